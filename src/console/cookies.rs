//! The two cookies the console sets (session, language), read and written by hand: the values are
//! plain tokens, so actix's `cookies` feature and its dependencies are not needed.
use actix_web::HttpRequest;

/// The value of a request cookie.
pub fn get(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
}

/// A `Set-Cookie` value: always `Path=/` and `SameSite=Strict`; `HttpOnly` unless scripts must
/// read it; `Secure` when the service is reached over https. `max_age_s` None: a browser-session
/// cookie; Some(0): delete it.
pub fn set(name: &str, value: &str, max_age_s: Option<i64>, http_only: bool, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite=Strict");
    if let Some(age) = max_age_s {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn reads_one_cookie_among_several() {
        let req = TestRequest::default().insert_header(("Cookie", "a=1; fl_session=abc.def; b=2")).to_http_request();
        assert_eq!(get(&req, "fl_session").as_deref(), Some("abc.def"));
        assert_eq!(get(&req, "missing"), None);
    }

    #[test]
    fn flags() {
        assert_eq!(set("s", "v", None, true, true), "s=v; Path=/; SameSite=Strict; HttpOnly; Secure");
        assert_eq!(set("l", "en", Some(31536000), false, false), "l=en; Path=/; SameSite=Strict; Max-Age=31536000");
    }
}
