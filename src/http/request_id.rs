//! Request ids and the access log. Every request gets an id — the caller's `X-Request-Id` when it
//! is sane, else a new UUIDv7 — which its response echoes whatever the status. The request runs in
//! one `request` span carrying the id, so every line logged on its behalf names it, and ends with
//! one access line at INFO (target `fundledger::access`).
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use std::time::{Duration, Instant};
use tracing::Instrument;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// What the access line says in place of the route of a request that matched none (or that actix
/// refused before its route was known).
const NO_ROUTE: &str = "-";

/// A request's id: the caller's own if sane, else a new UUIDv7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The caller's id if it is 1–128 printable ASCII characters without spaces: it goes into logs
    /// and back into a header, so nothing that could break either is taken.
    pub fn parse(value: &[u8]) -> Option<RequestId> {
        let sane = (1..=128).contains(&value.len()) && value.iter().all(u8::is_ascii_graphic);
        sane.then(|| RequestId(value.iter().map(|&b| char::from(b)).collect()))
    }

    /// A new id; UUIDv7, so ids sort by the time they were made.
    pub fn generate() -> RequestId {
        RequestId(uuid::Uuid::now_v7().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn of(req: &ServiceRequest) -> RequestId {
        req.headers().get(&HEADER).and_then(|v| RequestId::parse(v.as_bytes())).unwrap_or_else(RequestId::generate)
    }

    fn header(&self) -> Option<HeaderValue> {
        // Cannot fail: both kinds of id are printable ASCII.
        HeaderValue::from_str(&self.0).ok()
    }
}

/// The authenticated user of a request, kept for its access line.
struct UserId(String);

/// Records who a request was authenticated as (the `Caller` extractor calls this).
pub fn authenticated(req: &HttpRequest, user_id: &str) {
    req.extensions_mut().insert(UserId(user_id.to_string()));
}

/// `f`, to be run on another thread (the blocking pool) inside the span of the request that
/// hands it over, so the lines it logs name that request too.
pub fn in_current_span<T>(f: impl FnOnce() -> T + Send) -> impl FnOnce() -> T + Send {
    let span = tracing::Span::current();
    move || span.in_scope(f)
}

/// The middleware (`actix_web::middleware::from_fn(request_id::middleware)`), outermost, so that
/// every response — handler errors, 404s, 405s, refused bodies — carries the id.
pub async fn middleware(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = RequestId::of(&req);
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = id.as_str());
    let mut res = match next.call(req).instrument(span).await {
        Ok(res) => res,
        // Handlers' errors are responses already; an error here came from actix itself, and the
        // request went with it, so it is answered without a route.
        Err(e) => {
            let access = Access { method, route: None, status: e.as_response_error().status_code(), user_id: None };
            access.log(&id, started.elapsed());
            return Err(WithRequestId(e, id).into());
        }
    };
    if let Some(value) = id.header() {
        res.headers_mut().insert(HEADER, value);
    }
    // The time to the response head: a body streamed after it is not counted.
    Access::of(&res).log(&id, started.elapsed());
    Ok(res)
}

/// The fields of a request's access line that its response knows.
struct Access {
    method: Method,
    /// The route's pattern (`/api/v1/projects/{id}/vouchers`), not the concrete path: lines of
    /// one route read alike, and ids in paths stay out of the access log.
    route: Option<String>,
    status: StatusCode,
    user_id: Option<String>,
}

impl Access {
    fn of<B>(res: &ServiceResponse<B>) -> Access {
        let req = res.request();
        Access {
            method: req.method().clone(),
            route: req.match_pattern(),
            status: res.status(),
            user_id: req.extensions().get::<UserId>().map(|u| u.0.clone()),
        }
    }

    fn log(&self, id: &RequestId, elapsed: Duration) {
        crate::metrics::request(self.method.as_str(), self.route.as_deref().unwrap_or(NO_ROUTE), self.status.as_u16(), elapsed);
        tracing::info!(
            target: "fundledger::access",
            method = %self.method,
            route = self.route.as_deref().unwrap_or(NO_ROUTE),
            status = self.status.as_u16(),
            duration_ms = elapsed.as_micros() as f64 / 1000.0,
            request_id = id.as_str(),
            user_id = self.user_id.as_deref(),
            "request"
        );
    }
}

/// An error actix raised outside any handler, answered with the request's id.
#[derive(Debug)]
struct WithRequestId(actix_web::Error, RequestId);

impl std::fmt::Display for WithRequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for WithRequestId {
    fn status_code(&self) -> StatusCode {
        self.0.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.0.error_response();
        if let Some(value) = self.1.header() {
            res.headers_mut().insert(HEADER, value);
        }
        res
    }
}

#[cfg(test)]
mod tests;
