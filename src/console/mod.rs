//! The browser console: server-rendered pages (maud templates compiled into the binary) for every
//! role, a cookie session with CSRF tokens, Chinese by default. It reads through the store and
//! the same visibility rules as the API; it never writes SQL. Nothing here changes `/api/v1`,
//! which keeps Bearer tokens only.
pub mod assets;
mod cookies;
pub mod format;
pub mod i18n;
mod layout;
mod pages;
pub mod problems;
pub mod session;
pub mod stash;

use crate::auth::Caller;
use crate::error::AppError;
use crate::http::State;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};
use i18n::{Lang, Words};
use maud::Markup;
use session::Session;

/// Mounted at the root by `http::app`, beside `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // Each area's fixed paths (`/projects/new`) come before `/projects/{id}`.
    pages::vouchers::routes(cfg);
    pages::finance::routes(cfg);
    pages::flags::routes(cfg);
    pages::people::routes(cfg);
    cfg.route("/", web::get().to(pages::home::home))
        .route("/login", web::post().to(pages::login::login))
        .route("/login", web::get().to(pages::login::to_start))
        .route("/logout", web::post().to(pages::login::logout))
        .route("/projects/{id}", web::get().to(pages::project::show))
        .route("/projects/{id}/audit", web::get().to(pages::audit::page))
        .route("/projects/{id}/audit/trail.jsonl", web::get().to(pages::audit::trail))
        .route("/projects/{id}/audit/checkpoint.txt", web::get().to(pages::audit::checkpoint))
        .route("/assets/{file}", web::get().to(assets::serve));
}

/// Who is asking, in which language: every console handler takes one.
pub struct Visit {
    pub lang: Lang,
    remember_lang: bool,
    pub session: Option<Session>,
    /// A re-signed session token to send back (the idle clock restarts).
    refreshed: Option<String>,
    /// The request had a session cookie that no longer works: delete it.
    stale_cookie: bool,
    path: String,
    /// The request's query without `lang`, each pair followed by `&`: the language switch keeps
    /// the page's filters and dates.
    query_kept: String,
    pub state: State,
}

impl FromRequest for Visit {
    type Error = AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Visit, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<State>().ok_or_else(|| AppError::internal("no app state"))?.clone();
            let (lang, remember_lang) = Lang::of(&req);
            let now = chrono::Utc::now().timestamp();
            let console = &state.settings.console;
            let cookie = cookies::get(&req, session::COOKIE);
            let checked = cookie.as_deref().and_then(|t| session::check(&state.keys, console, t, now));
            // The same standing check as a Bearer token: a deactivated user's session stops
            // working, a changed role applies.
            let session = match checked {
                None => None,
                Some(s) => match state.standings.confirm(&state, s.caller.clone()).await {
                    Ok(caller) => Some(s.acting_as(caller)),
                    Err(e) if e.status() == StatusCode::UNAUTHORIZED => None,
                    Err(e) => return Err(e),
                },
            };
            if let Some(s) = &session {
                crate::http::request_id::authenticated(&req, &s.caller.user_id);
            }
            let refreshed = session.as_ref().and_then(|s| s.refreshed(&state.keys, console, now));
            let stale_cookie = cookie.is_some() && session.is_none();
            Ok(Visit {
                lang,
                remember_lang,
                session,
                refreshed,
                stale_cookie,
                path: req.path().to_string(),
                query_kept: kept_query(req.query_string()),
                state,
            })
        })
    }
}

/// What a page handler produces: a page, or why not.
pub struct Page {
    pub status: StatusCode,
    pub title: String,
    pub body: Markup,
}

impl Page {
    pub fn ok(title: impl Into<String>, body: Markup) -> Page {
        Page { status: StatusCode::OK, title: title.into(), body }
    }
}

/// Why a page is not shown.
#[derive(Debug)]
pub enum Refusal {
    /// Not signed in (or the session ended): back to the sign-in page.
    SignIn,
    NotFound,
    Forbidden,
    /// A state-changing request without this session's CSRF token.
    Csrf,
    Failed(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Refusal {
        match e.status() {
            StatusCode::UNAUTHORIZED => Refusal::SignIn,
            StatusCode::FORBIDDEN => Refusal::Forbidden,
            StatusCode::NOT_FOUND => Refusal::NotFound,
            _ => Refusal::Failed(e),
        }
    }
}

impl Visit {
    pub fn t(&self) -> &'static Words {
        self.lang.t()
    }

    /// The signed-in caller, or the sign-in page.
    pub fn caller(&self) -> Result<&Caller, Refusal> {
        self.session.as_ref().map(|s| &s.caller).ok_or(Refusal::SignIn)
    }

    pub fn csrf(&self) -> Option<String> {
        self.session.as_ref().map(|s| s.csrf(&self.state.keys))
    }

    /// Refuses a state-changing request whose CSRF token (form field or `X-CSRF-Token`) is not
    /// this session's.
    pub fn require_csrf(&self, req: &HttpRequest, form_field: Option<&str>) -> Result<&Session, Refusal> {
        let s = self.session.as_ref().ok_or(Refusal::Csrf)?;
        let header = req.headers().get("X-CSRF-Token").and_then(|h| h.to_str().ok());
        match form_field.or(header) {
            Some(given) if s.csrf_matches(&self.state.keys, given) => Ok(s),
            _ => Err(Refusal::Csrf),
        }
    }

    /// The page, or the refusal as a page, with the cookies this visit must set.
    pub fn respond(&self, outcome: Result<Page, Refusal>) -> HttpResponse {
        let t = self.t();
        let page = match outcome {
            Ok(page) => page,
            Err(Refusal::SignIn) => {
                let mut r = HttpResponse::SeeOther();
                r.insert_header(("Location", "/"));
                return self.finish(&mut r, None);
            }
            Err(Refusal::NotFound) => layout::message(StatusCode::NOT_FOUND, t.not_found, t),
            Err(Refusal::Forbidden) => layout::message(StatusCode::FORBIDDEN, t.forbidden, t),
            Err(Refusal::Csrf) => layout::message(StatusCode::FORBIDDEN, t.csrf_refused, t),
            Err(Refusal::Failed(e)) => {
                if e.status().is_server_error() {
                    tracing::error!(error = %e, "console page failed");
                }
                layout::message(e.status(), t.error, t)
            }
        };
        let html = layout::document(self, &page.title, page.body);
        let mut r = HttpResponse::build(page.status);
        r.content_type("text/html; charset=utf-8");
        self.finish(&mut r, Some(html.into_string()))
    }

    /// This visit ends its session: the cookie is deleted with the response.
    pub fn end_session(&mut self) {
        self.session = None;
        self.refreshed = None;
        self.stale_cookie = true;
    }

    /// A redirect after a form was handled (303: the browser follows with GET).
    pub fn redirect(&self, to: &str, set_cookie: Option<String>) -> HttpResponse {
        let mut r = HttpResponse::SeeOther();
        r.insert_header(("Location", to));
        if let Some(c) = set_cookie {
            r.append_header(("Set-Cookie", c));
        }
        self.finish(&mut r, None)
    }

    fn finish(&self, r: &mut HttpResponseBuilder, body: Option<String>) -> HttpResponse {
        let secure = self.state.settings.console.https;
        if self.remember_lang {
            let code = if self.lang == Lang::En { "en" } else { "zh" };
            r.append_header(("Set-Cookie", cookies::set(i18n::LANG_COOKIE, code, Some(365 * 24 * 3600), true, secure)));
        }
        if let (Some(token), Some(s)) = (&self.refreshed, &self.session) {
            let max_age = s.max_age_s(chrono::Utc::now().timestamp());
            r.append_header(("Set-Cookie", cookies::set(session::COOKIE, token, Some(max_age), true, secure)));
        } else if self.stale_cookie {
            r.append_header(("Set-Cookie", cookies::set(session::COOKIE, "", Some(0), true, secure)));
        }
        r.insert_header(("Cache-Control", "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Referrer-Policy", "same-origin"))
            .insert_header((
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ));
        match body {
            Some(b) => r.body(b),
            None => r.finish(),
        }
    }
}

/// A raw query's pairs other than `lang`, as they came, each followed by `&`.
fn kept_query(raw: &str) -> String {
    raw.split('&').filter(|p| !p.is_empty() && *p != "lang" && !p.starts_with("lang=")).map(|p| format!("{p}&")).collect()
}
