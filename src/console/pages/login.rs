//! Sign in and out.
use super::super::i18n::Words;
use super::super::problems::explain;
use super::super::{cookies, session, Page, Refusal, Visit};
use crate::error::AppError;
use crate::http::accounts::{authenticate, client_address, sign_out};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

/// The sign-in page; `refused` after a wrong password (401) or while sign-ins are locked (429),
/// with that status and the reason.
pub fn page(t: &Words, refused: Option<(StatusCode, String)>) -> Page {
    let status = refused.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let body = html! {
        section.login {
            h1 { (t.app_name) }
            @if let Some((status, why)) = &refused {
                p.error data-testid="login-error" data-status=(status.as_u16()) role="alert" { (why) }
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
    let address = client_address(&req, v.state.settings.auth.trust_forwarded_for);
    let caller = match authenticate(&v.state, username, password, address).await {
        Ok((_, caller)) => caller,
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
            return v.respond(Ok(page(v.t(), Some((e.status(), v.t().login_error.to_string())))))
        }
        Err(e) if e.status() == StatusCode::TOO_MANY_REQUESTS => {
            let mut answer = v.respond(Ok(page(v.t(), Some((e.status(), explain(v.lang, &e).message)))));
            if let Some(wait) = e.extra.get("retry_after").and_then(|s| s.as_i64()) {
                if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&wait.to_string()) {
                    answer.headers_mut().insert(actix_web::http::header::RETRY_AFTER, value);
                }
            }
            return answer;
        }
        Err(e) => return v.respond(Err(Refusal::Failed(e))),
    };
    let console = &v.state.settings.console;
    let token = match session::start(&v.state.keys, console, &caller, chrono::Utc::now().timestamp()) {
        Ok(token) => token,
        Err(e) => return v.respond(Err(Refusal::Failed(AppError::internal(e)))),
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

/// `POST /logout`: needs the session's CSRF token; the user's sessions and tokens are revoked on
/// the server (a copied cookie no longer works) and the cookie is deleted.
pub async fn logout(mut v: Visit, req: HttpRequest, form: Option<web::Form<LogoutForm>>) -> HttpResponse {
    let given = form.as_ref().and_then(|f| f.csrf.clone());
    let caller = match v.require_csrf(&req, given.as_deref()) {
        Ok(session) => session.caller.clone(),
        Err(refused) => return v.respond(Err(refused)),
    };
    if let Err(e) = sign_out(&v.state, &caller).await {
        return v.respond(Err(Refusal::Failed(e)));
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
