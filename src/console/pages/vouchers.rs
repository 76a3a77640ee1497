//! A project's vouchers: the list, each voucher's page and its printed 记账凭证, the unit's entry
//! form with live classification, the import of a file of vouchers, reversal, and the annual
//! report form.
mod entry;
mod import;
mod list;
mod live;
mod reports;
mod sheet;
mod show;

use super::super::i18n::vouchers::{words, VoucherWords};
use super::super::{Refusal, Visit};
use crate::error::AppError;
use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/vouchers/new` before `/vouchers/{vid}`.
    cfg.route("/projects/{id}/vouchers", web::get().to(list::page))
        .service(
            // 200 lines of Chinese summaries, percent-encoded, pass the default 16 KiB of a form.
            web::resource("/projects/{id}/vouchers/new")
                .app_data(web::FormConfig::default().limit(512 * 1024))
                .route(web::get().to(entry::form))
                .route(web::post().to(entry::submit)),
        )
        .route("/projects/{id}/classify", web::post().to(live::classify))
        .route("/projects/{id}/import", web::get().to(import::page))
        .route("/projects/{id}/import", web::post().to(import::check))
        .route("/projects/{id}/import/post", web::post().to(import::post))
        .route("/imports/template", web::get().to(import::template))
        .route("/projects/{id}/vouchers/{vid}", web::get().to(show::page))
        .route("/projects/{id}/vouchers/{vid}/reverse", web::post().to(show::reverse))
        .route("/projects/{id}/vouchers/{vid}/documents", web::post().to(show::upload))
        .route("/projects/{id}/vouchers/{vid}/documents/{aid}", web::get().to(show::document))
        .route("/projects/{id}/reports", web::get().to(reports::page))
        .route("/projects/{id}/reports", web::post().to(reports::file));
}

fn vw(v: &Visit) -> &'static VoucherWords {
    words(v.lang)
}

/// A voucher's number as bookkeepers write it: 记-0005 (记 for 记账凭证); none before posting.
pub fn number_label(number: Option<i64>) -> Option<String> {
    number.map(|n| format!("记-{n:04}"))
}

/// How a form's POST ends: on the saved thing's page, or on the form again with the refusal.
enum Done {
    Saved(String),
    Refused(super::super::Page),
}

/// A fresh Idempotency-Key for a form: a double click posts the same key, which replays.
fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A refusal of a form's request: shown on the form, unless the page itself is not there for this
/// caller (404, signed out) or the service failed.
fn on_form(e: AppError) -> Result<AppError, Refusal> {
    let status = e.status();
    if status.is_server_error() || status == actix_web::http::StatusCode::NOT_FOUND || status == actix_web::http::StatusCode::UNAUTHORIZED {
        return Err(Refusal::from(e));
    }
    Ok(e)
}
