//! Headers every response carries, whatever answered it: the API, the console, its assets, the
//! docs page, an error or a 404.
//!
//! - `X-Content-Type-Options: nosniff`, so a browser never runs a CSV or a JSON answer as a
//!   script or a page;
//! - `Cache-Control: no-store` unless the route chose its own: the books, statements, tokens and
//!   audit trails must not stay in a browser's or a proxy's cache. Only what is the same for
//!   everyone (the OpenAPI document, the docs page, the console's assets, which set their own)
//!   may be kept.
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderValue, CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

/// Paths whose answers hold nothing of any one user or project.
const PUBLIC: [&str; 2] = ["/api/v1/openapi.json", "/api/docs"];

/// The middleware (`actix_web::middleware::from_fn(headers::middleware)`), inside the request id
/// and outside everything else.
pub async fn middleware(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let public = PUBLIC.iter().any(|p| req.path().starts_with(p));
    match next.call(req).await {
        Ok(res) => {
            let mut res = res.map_into_boxed_body();
            secure(res.headers_mut(), public);
            Ok(res)
        }
        // An error from an inner middleware or extractor: its response is made later, outside.
        Err(e) => Err(Secured(e, public).into()),
    }
}

fn secure(headers: &mut HeaderMap, public: bool) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !public && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// An error whose response gets the headers when it is made.
#[derive(Debug)]
struct Secured(actix_web::Error, bool);

impl std::fmt::Display for Secured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for Secured {
    fn status_code(&self) -> StatusCode {
        self.0.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.0.error_response();
        secure(res.headers_mut(), self.1);
        res
    }
}
