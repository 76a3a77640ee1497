//! `GET /metrics`: the service's counters and histograms in Prometheus's text format, on an address
//! of its own (`server.metrics_bind`), so the figures are never served beside the API. Until
//! `install` runs every metric below is a no-op.
use crate::db::DbPool;
use actix_web::{web, HttpResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

const REQUEST_SECONDS: &str = "fundledger_http_request_duration_seconds";
const REQUESTS: &str = "fundledger_http_requests_total";
const POSTINGS: &str = "fundledger_postings_total";
const REFUSALS: &str = "fundledger_refusals_total";
const BATCH_SIZE: &str = "fundledger_posting_batch_size";
const POOL: &str = "fundledger_db_pool_connections";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs this process's recorder, once: the metrics are the process's, whichever server asks.
pub fn install() -> Result<PrometheusHandle, String> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    // Request latency from 0.5 ms (a statement read) to 10 s (a busy SQLite writer's timeout).
    let seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    let sizes = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), &seconds)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), &sizes))
        .and_then(|b| b.install_recorder())
        .map_err(|e| format!("metrics: {e}"))?;
    metrics::describe_histogram!(REQUEST_SECONDS, metrics::Unit::Seconds, "HTTP requests by method, route pattern and status");
    metrics::describe_counter!(REQUESTS, "HTTP requests answered, by method, route pattern and status");
    metrics::describe_counter!(POSTINGS, "money requests that committed, by request (voucher, disbursement, review, ...)");
    metrics::describe_counter!(REFUSALS, "money requests refused by the rules and recorded on the chain, by code");
    metrics::describe_histogram!(BATCH_SIZE, "requests per group commit (SQLite writer, PostgreSQL posting batch)");
    metrics::describe_gauge!(POOL, "database pool connections by state (in_use, idle, max)");
    let kept = handle.clone();
    // Histograms keep recent samples until upkeep folds them in; scrapes may be rare.
    std::thread::Builder::new()
        .name("fundledger-metrics".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(5));
            kept.run_upkeep();
        })
        .map_err(|e| format!("metrics: {e}"))?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// One answered request (from the access log's middleware).
pub fn request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [("method", method.to_string()), ("route", route.to_string()), ("status", status.to_string())];
    metrics::histogram!(REQUEST_SECONDS, &labels).record(elapsed.as_secs_f64());
    metrics::counter!(REQUESTS, &labels).increment(1);
}

/// A money request's end: committed, or refused by the rules with `code`.
pub fn money(refusal_action: &str, refused: Option<&str>) {
    let request = refusal_action.strip_suffix(".refused").unwrap_or(refusal_action).to_string();
    match refused {
        None => metrics::counter!(POSTINGS, "request" => request).increment(1),
        Some(code) => metrics::counter!(REFUSALS, "request" => request, "code" => code.to_string()).increment(1),
    }
}

/// The requests one group commit carried.
pub fn batch(size: usize) {
    metrics::histogram!(BATCH_SIZE).record(size as f64);
}

/// The app on the metrics address: `GET /metrics` and nothing else.
pub fn app(
    handle: PrometheusHandle,
    pool: DbPool,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    actix_web::App::new().app_data(web::Data::new((handle, pool))).route("/metrics", web::get().to(scrape))
}

async fn scrape(data: web::Data<(PrometheusHandle, DbPool)>) -> HttpResponse {
    let (handle, pool) = data.get_ref();
    let state = pool.state();
    metrics::gauge!(POOL, "state" => "in_use").set(f64::from(state.connections - state.idle_connections));
    metrics::gauge!(POOL, "state" => "idle").set(f64::from(state.idle_connections));
    metrics::gauge!(POOL, "state" => "max").set(f64::from(pool.max_size()));
    handle.run_upkeep();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(handle.render())
}
