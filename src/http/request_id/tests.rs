use super::*;
use actix_web::test::{call_service, init_service, try_call_service, TestRequest};
use actix_web::{web, App};
use std::sync::{Arc, Mutex, OnceLock};

/// Every line logged in this test process, without colours. The subscriber is global because the
/// blocking pool's threads log too; each test picks out the lines of its own request ids.
fn logged() -> Arc<Mutex<Vec<u8>>> {
    static LINES: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LINES
        .get_or_init(|| {
            let lines = Arc::new(Mutex::new(Vec::new()));
            let sink = lines.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_ansi(false)
                .with_max_level(tracing::Level::INFO)
                .with_writer(move || Sink(sink.clone()))
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other subscriber in the unit tests");
            lines
        })
        .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn lines_with(text: &str) -> Vec<String> {
    let all = String::from_utf8(logged().lock().unwrap().clone()).unwrap();
    all.lines().filter(|l| l.contains(text)).map(str::to_string).collect()
}

async fn voucher(req: HttpRequest) -> HttpResponse {
    authenticated(&req, "user-7");
    tracing::info!("in the handler");
    web::block(in_current_span(|| tracing::info!("on the blocking pool"))).await.unwrap();
    HttpResponse::Created().finish()
}

/// Sends one request with `id` as its X-Request-Id through the middleware, over a small app.
async fn send(path: &str, id: &str) -> ServiceResponse<impl MessageBody> {
    let app = init_service(
        App::new()
            .wrap(actix_web::middleware::from_fn(middleware))
            .service(web::scope("/api/v1").route("/projects/{id}/vouchers", web::post().to(voucher))),
    )
    .await;
    call_service(&app, TestRequest::post().uri(path).insert_header((HEADER, id)).to_request()).await
}

#[actix_web::test]
async fn a_request_logs_one_access_line_with_its_route_pattern_and_user() {
    logged();
    let res = send("/api/v1/projects/p-123/vouchers", "unit-access-1").await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers().get(&HEADER).unwrap(), "unit-access-1");
    let lines = lines_with("unit-access-1");
    let access: Vec<_> = lines.iter().filter(|l| l.contains("fundledger::access")).collect();
    assert_eq!(access.len(), 1, "{lines:#?}");
    for field in
        ["method=POST", "route=\"/api/v1/projects/{id}/vouchers\"", "status=201", "request_id=\"unit-access-1\"", "user_id=\"user-7\""]
    {
        assert!(access[0].contains(field), "{field} missing: {}", access[0]);
    }
    assert!(access[0].contains(" INFO ") && access[0].contains("duration_ms="), "{}", access[0]);
    assert!(!access[0].contains("p-123"), "the concrete path stays out: {}", access[0]);
    // What the handler logs, here and on the blocking pool, is inside the request's span.
    for said in ["in the handler", "on the blocking pool"] {
        assert!(lines.iter().any(|l| l.contains("request{request_id=\"unit-access-1\"}") && l.contains(said)), "{said}: {lines:#?}");
    }
}

#[actix_web::test]
async fn an_unmatched_request_logs_no_route_and_no_user() {
    logged();
    let res = send("/api/v1/nowhere/p-123", "unit-access-2").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers().get(&HEADER).unwrap(), "unit-access-2");
    let lines = lines_with("unit-access-2");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("route=\"-\""), "{}", lines[0]);
    assert!(lines[0].contains("status=404") && !lines[0].contains("user_id") && !lines[0].contains("p-123"), "{}", lines[0]);
}

#[actix_web::test]
async fn an_error_raised_outside_the_handlers_still_carries_the_id() {
    logged();
    let failing = |_: ServiceRequest, _: &_| async { Err::<ServiceResponse, _>(actix_web::error::ErrorBadRequest("refused early")) };
    let app = init_service(
        App::new().wrap_fn(failing).wrap(actix_web::middleware::from_fn(middleware)).route("/health", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let req = TestRequest::get().uri("/health").insert_header((HEADER, "unit-access-3")).to_request();
    let Err(err) = try_call_service(&app, req).await else { panic!("the inner middleware fails") };
    let res = err.error_response();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers().get(&HEADER).unwrap(), "unit-access-3");
    let lines = lines_with("unit-access-3");
    assert!(lines.len() == 1 && lines[0].contains("status=400"), "{lines:#?}");
}

#[test]
fn only_a_sane_id_is_taken_from_the_caller() {
    assert_eq!(RequestId::parse(b"abc-123_X.y:z").unwrap().as_str(), "abc-123_X.y:z");
    assert!(RequestId::parse("x".repeat(128).as_bytes()).is_some());
    for insane in [&b""[..], b"has space", b"tab\there", b"new\nline", "é".as_bytes(), &[0x7f], "x".repeat(129).as_bytes()] {
        assert_eq!(RequestId::parse(insane), None, "{insane:?}");
    }
    let made = RequestId::generate();
    assert_eq!(uuid::Uuid::parse_str(made.as_str()).unwrap().get_version_num(), 7);
}
