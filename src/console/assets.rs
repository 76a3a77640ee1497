//! The console's stylesheet and script, built into the binary and served under a name that
//! carries a hash of their content, so browsers may keep them for a year: a new build that
//! changes a file changes its name.
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub struct Asset {
    /// `/assets/console.<hash>.css`
    pub path: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

fn asset(stem: &str, ext: &str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    let hash = hex::encode(&Sha256::digest(bytes)[..6]);
    Asset { path: format!("/assets/{stem}.{hash}.{ext}"), content_type, bytes }
}

pub static CSS: LazyLock<Asset> =
    LazyLock::new(|| asset("console", "css", "text/css; charset=utf-8", include_bytes!("assets/console.css")));
pub static JS: LazyLock<Asset> =
    LazyLock::new(|| asset("console", "js", "text/javascript; charset=utf-8", include_bytes!("assets/console.js")));

/// The vouchers pages' script: live totals and classification, Enter to the next cell, printing.
pub static VOUCHERS_JS: LazyLock<Asset> =
    LazyLock::new(|| asset("vouchers", "js", "text/javascript; charset=utf-8", include_bytes!("assets/vouchers.js")));

/// `GET /assets/{file}`: only the current names; an old or unknown name is 404.
pub async fn serve(file: web::Path<String>) -> HttpResponse {
    let wanted = format!("/assets/{file}");
    match [&*CSS, &*JS, &*VOUCHERS_JS].into_iter().find(|a| a.path == wanted) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(a.bytes),
        None => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such asset"),
    }
}
