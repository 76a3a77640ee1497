//! The finance bureau's work: the review queue (approve, decline), disbursement, recovery and
//! remittance, the trial balance and the ledger with their downloads. Every form posts through
//! the API's own use-case calls (`http::money::disbursement`, `http::reviews::approval`, ...),
//! with its Idempotency-Key in a hidden field.
mod books;
mod funds;
mod reviews;

use super::super::i18n::finance::{words, FinanceWords};
use super::super::problems::{explain, Explained};
use super::super::{Page, Refusal, Visit};
use crate::auth::Role;
use crate::error::AppError;
use actix_web::http::StatusCode;
use actix_web::web;
use maud::{html, Markup};
use rand::Rng;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::get().to(reviews::queue))
        .route("/projects/{id}/vouchers/{vid}/approve", web::post().to(reviews::approve))
        .route("/projects/{id}/vouchers/{vid}/decline", web::post().to(reviews::decline))
        .route("/projects/{id}/disburse", web::get().to(funds::disburse_page))
        .route("/projects/{id}/disburse", web::post().to(funds::disburse))
        .route("/projects/{id}/recovery", web::get().to(funds::recovery_page))
        .route("/projects/{id}/recovery", web::post().to(funds::recover))
        .route("/projects/{id}/remittances", web::post().to(funds::remit))
        .route("/projects/{id}/trial-balance", web::get().to(books::trial_balance))
        .route("/projects/{id}/ledger", web::get().to(books::ledger))
        .route("/projects/{id}/statement", web::get().to(books::statement_csv))
        .route("/projects/{id}/export", web::get().to(books::journal));
}

fn fw(v: &Visit) -> &'static FinanceWords {
    words(v.lang)
}

/// Only the finance bureau works these forms; others are told so (a project they may not see
/// stays a 404, checked by the use case or the read).
fn finance_only(v: &Visit) -> Result<(), Refusal> {
    match v.caller()?.role {
        Role::Finance => Ok(()),
        _ => Err(Refusal::Forbidden),
    }
}

/// A fresh Idempotency-Key for a form: a double submit of the same rendered form replays.
fn form_key() -> String {
    let bytes: [u8; 16] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A refusal of the rules to show on the form again, with its HTTP status; a refusal that is
/// not about the form (no session, not found, forbidden) becomes its page.
fn on_form(v: &Visit, e: AppError) -> Result<(StatusCode, Explained), Refusal> {
    match e.status() {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => Err(e.into()),
        s if s.is_server_error() => Err(Refusal::Failed(e)),
        s => Ok((s, explain(v.lang, &e))),
    }
}

/// The page of a form shown again after a refusal, with the refusal's status.
fn refused(page: Page, status: StatusCode) -> Page {
    Page { status, ..page }
}

/// Under a field: the refusal's word about it (in the page's language, not the API's English).
fn field_error(x: Option<&Explained>, name: &str, said: &str) -> Markup {
    html! {
        @if x.and_then(|x| x.field(name)).is_some() {
            span.field-error data-testid="field-error" data-field=(name) { (said) }
        }
    }
}

/// Where a form may send the browser back to: a path of this site only (`/…`, never `//host`
/// or `/\host`, which browsers read as another site).
fn local_path(back: Option<&str>) -> Option<&str> {
    let b = back?.trim();
    let ok = b.starts_with('/')
        && !b.starts_with("//")
        && b.len() <= 512
        && !b.contains('\\')
        && b.chars().all(|c| !c.is_control() && !c.is_whitespace());
    ok.then_some(b)
}

/// `path` with `key=value` added to its query.
fn with_param(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{key}={value}")
}

/// Accountants type `120,000.00`; the API reads `120000.00`.
fn amount_text(raw: &str) -> String {
    raw.chars().filter(|c| *c != ',' && *c != '，' && !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed_back() {
        for ok in ["/reviews", "/projects/p1/vouchers/v1", "/reviews?lang=en"] {
            assert_eq!(local_path(Some(ok)), Some(ok));
        }
        for bad in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "evil", "", "/a b", "/a\nLocation: x"] {
            assert_eq!(local_path(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(local_path(None), None);
    }

    #[test]
    fn typed_amounts_lose_their_separators() {
        assert_eq!(amount_text(" 120,000.00 "), "120000.00");
        assert_eq!(amount_text("1，000"), "1000");
    }
}
