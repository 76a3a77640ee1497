//! Input every route refuses alike, checked once before any handler or console page reads it:
//! a JSON body with a duplicate key or a NUL character, a form body, path or query string with a
//! NUL. Each handler's own extractor would let the last duplicate win, and a NUL reached the
//! database, where SQLite stored it and PostgreSQL refused it.
//!
//! A JSON body is read whole (within the body limit every JSON route has) and passed on; a form
//! is checked as it streams, so each console form keeps its own size limit.
use super::State;
use crate::error::{AppError, Code};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, FromRequest, HttpMessage};
use futures_core::Stream;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::pin::Pin;
use std::task::{Context, Poll};

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
    if body == Body::Form {
        let inner = req.take_payload();
        req.set_payload(Payload::from(Box::pin(FormWithoutNul { inner, tail: Vec::new() }) as Pin<Box<dyn Stream<Item = _>>>));
    }
    if body == Body::Json {
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

/// A form body holding NUL: `%00` as forms encode it (their decoder would pass it on), or raw.
fn form_has_nul(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| w == b"%00") || bytes.contains(&0)
}

/// A form's body as it arrives, ending in an error at the first NUL: the form extractor then
/// refuses the request (400) before any page sees a field.
struct FormWithoutNul {
    inner: Payload,
    /// The last two bytes seen, for a `%00` split across two chunks.
    tail: Vec<u8>,
}

impl Stream for FormWithoutNul {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let chunk = match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            other => return other,
        };
        let seen = [this.tail.as_slice(), &chunk].concat();
        if form_has_nul(&seen) {
            let nul = std::io::Error::new(std::io::ErrorKind::InvalidData, "a form field holds NUL");
            return Poll::Ready(Some(Err(PayloadError::Io(nul))));
        }
        this.tail = seen[seen.len().saturating_sub(2)..].to_vec();
        Poll::Ready(Some(Ok(chunk)))
    }
}

fn check(kind: Body, bytes: &[u8]) -> Result<(), AppError> {
    match kind {
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
    fn a_form_nul_split_across_chunks_is_found() {
        let chunks = [Ok(Bytes::from_static(b"a=1&b=x%")), Ok(Bytes::from_static(b"00y"))];
        let inner: Pin<Box<dyn Stream<Item = _>>> = Box::pin(Chunks(chunks.into_iter().collect()));
        let mut form = FormWithoutNul { inner: Payload::from(inner), tail: Vec::new() };
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(matches!(Pin::new(&mut form).poll_next(&mut cx), Poll::Ready(Some(Ok(_)))));
        assert!(matches!(Pin::new(&mut form).poll_next(&mut cx), Poll::Ready(Some(Err(PayloadError::Io(_))))));
    }

    /// Chunks handed out one per poll.
    struct Chunks(std::collections::VecDeque<Result<Bytes, PayloadError>>);

    impl Stream for Chunks {
        type Item = Result<Bytes, PayloadError>;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.get_mut().0.pop_front())
        }
    }

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
