//! Sign in and out.
use super::super::i18n::Words;
use super::super::{cookies, session, Page, Refusal, Visit};
use crate::auth::Caller;
use crate::http::accounts::authenticate;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

/// The sign-in page; `failed` after a wrong password (then with status 401).
pub fn page(t: &Words, failed: bool) -> Page {
    let status = if failed { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    let body = html! {
        section.login {
            h1 { (t.app_name) }
            @if failed {
                p.error data-testid="login-error" role="alert" { (t.login_error) }
            }
            form method="post" action="/login" {
                label for="username" { (t.username) }
                input id="username" name="username" type="text" autocomplete="username" required autofocus;
                label for="password" { (t.password) }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { (t.sign_in) }
            }
        }
    };
    Page { status, title: t.sign_in.to_string(), body }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`: 303 to `/` with a session cookie, or the sign-in page again with 401.
pub async fn login(v: Visit, req: HttpRequest, form: web::Form<LoginForm>) -> HttpResponse {
    // There is no session yet to take a CSRF token from; a browser names the page a form was
    // sent from, and a sign-in posted from another site is refused (login CSRF).
    if !same_origin(&req) {
        return v.respond(Err(Refusal::Csrf));
    }
    let LoginForm { username, password } = form.into_inner();
    let (user, role) = match authenticate(&v.state, username, password).await {
        Ok(found) => found,
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => return v.respond(Ok(page(v.t(), true))),
        Err(e) => return v.respond(Err(Refusal::Failed(e))),
    };
    let caller = Caller { user_id: user.id, username: user.username, role, org_id: user.org_id };
    let console = &v.state.settings.console;
    let token = match session::start(&v.state.keys, console, &caller, chrono::Utc::now().timestamp()) {
        Ok(token) => token,
        Err(e) => return v.respond(Err(Refusal::Failed(crate::error::AppError::internal(e)))),
    };
    let cookie = cookies::set(session::COOKIE, &token, Some(console.idle_minutes * 60), true, console.https);
    v.redirect("/", Some(cookie))
}

/// `GET /login` (a bookmarked form address): the sign-in page is `/`.
pub async fn to_start(v: Visit) -> HttpResponse {
    v.redirect("/", None)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
}

/// `POST /logout`: needs the session's CSRF token; the cookie is deleted.
pub async fn logout(mut v: Visit, req: HttpRequest, form: Option<web::Form<LogoutForm>>) -> HttpResponse {
    let given = form.as_ref().and_then(|f| f.csrf.clone());
    if let Err(refused) = v.require_csrf(&req, given.as_deref()) {
        return v.respond(Err(refused));
    }
    v.end_session();
    v.redirect("/", None)
}

/// Whether the request's `Origin` (when a browser sends one) is this host.
fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN).and_then(|h| h.to_str().ok()) else {
        return true;
    };
    let host = req.connection_info().host().to_string();
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}
