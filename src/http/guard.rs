//! Input every route refuses alike, checked once before any handler or console page reads it:
//! a JSON body with a duplicate key or a NUL character, a form body, path or query string with a
//! NUL. Each handler's own extractor would let the last duplicate win, and a NUL reached the
//! database, where SQLite stored it and PostgreSQL refused it.
use super::State;
use crate::error::{AppError, Code};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage};
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;

/// The middleware (`actix_web::middleware::from_fn(guard::middleware)`), inside the request id.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // NUL reaches a path or query only percent-encoded: the HTTP parser refuses a raw one.
    let uri = req.uri();
    if uri.path().contains("%00") || uri.query().is_some_and(|q| q.contains("%00")) {
        return Ok(req.error_response(AppError::nul_text()));
    }
    let body = body_kind(&req);
    if body != Body::Other {
        let (http, payload) = req.parts_mut();
        let bytes = match web::Bytes::from_request(http, payload).await {
            Ok(bytes) => bytes,
            Err(e) => {
                let refusal = unreadable(e, limit(&req));
                return Ok(req.error_response(refusal));
            }
        };
        if let Err(e) = check(body, &bytes) {
            return Ok(req.error_response(e));
        }
        req.set_payload(Payload::from(bytes));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Json,
    Form,
    Other,
}

/// What the route's extractor will read the body as: JSON as actix's `Json` accepts it
/// (`application/json`, `…+json`), or an HTML form. Other bodies are refused by their routes.
fn body_kind(req: &ServiceRequest) -> Body {
    match req.mime_type() {
        Ok(Some(m)) if m.subtype() == mime_json() || m.suffix() == Some(mime_json()) => Body::Json,
        Ok(Some(m)) if m == actix_web::mime::APPLICATION_WWW_FORM_URLENCODED => Body::Form,
        _ => Body::Other,
    }
}

fn mime_json() -> actix_web::mime::Name<'static> {
    actix_web::mime::JSON
}

fn limit(req: &ServiceRequest) -> usize {
    req.app_data::<State>().map_or(usize::MAX, |s| s.settings.server.body_limit_bytes)
}

fn unreadable(e: actix_web::Error, limit: usize) -> AppError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => AppError::new(Code::PayloadTooLarge, format!("the body is over the {limit}-byte limit")),
        _ => AppError::malformed("the body could not be read"),
    }
}

fn check(kind: Body, bytes: &[u8]) -> Result<(), AppError> {
    match kind {
        // A form encodes NUL as %00; its decoder would pass it on.
        Body::Form if bytes.windows(3).any(|w| w == b"%00") || bytes.contains(&0) => Err(AppError::nul_text()),
        Body::Json => match serde_json::from_slice::<Checked>(bytes) {
            Ok(Checked) => Ok(()),
            Err(e) if e.is_data() && e.to_string().starts_with(NUL) => Err(AppError::nul_text()),
            Err(e) if e.is_data() => Err(AppError::malformed(e.to_string())),
            // Not JSON at all: the route's own extractor says so, in its usual words.
            Err(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

const NUL: &str = "NUL";

/// Any JSON value, read only to find a duplicate key in an object or a NUL in a string or key.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(Checked)
    }
}

impl Checked {
    fn text<E: serde::de::Error>(s: &str) -> Result<Checked, E> {
        if s.contains('\0') {
            return Err(E::custom(NUL));
        }
        Ok(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Checked, E> {
        Checked::text(s)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            Checked::text::<A::Error>(&key)?;
            map.next_value::<Checked>()?;
            if let Some(key) = keys.replace(key) {
                return Err(A::Error::custom(format!("the key \"{key}\" appears twice in one object")));
            }
        }
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_and_nul_are_found_at_any_depth() {
        for bad in [r#"{"a":1,"a":2}"#, r#"{"x":[{"b":1,"c":{"d":1,"d":1}}]}"#, r#"{"a":"x\u0000"}"#, r#"{"a\u0000":1}"#, r#"["\u0000"]"#] {
            assert!(check(Body::Json, bad.as_bytes()).is_err(), "{bad}");
        }
        for good in
            [r#"{"a":1,"b":{"a":2}}"#, r#"[{"a":1},{"a":1}]"#, "not json", r#"{"a":"\u0001"}"#, "", r#"{"a":1.5e3,"b":null,"c":true}"#]
        {
            assert!(check(Body::Json, good.as_bytes()).is_ok(), "{good}");
        }
    }
}
