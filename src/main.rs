use actix_web::{web, HttpServer};
use fundledger::config::Settings;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's allocator: the request paths allocate many small strings per row
/// and per statement, and glibc spent a tenth of the verifier's time consolidating its free lists.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))).init();
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some(other) => {
            eprintln!("usage: fundledger [serve]   (unknown command '{other}')");
            return std::process::ExitCode::from(2);
        }
    }
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("fundledger: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::load()?;
    tracing::info!(?settings, "starting");
    let bind = settings.server.bind.clone();
    let workers = settings.server.workers;
    let state = web::Data::new(tokio_free_build(settings).await?);
    tracing::info!(database = state.backend.as_str(), %bind, "listening");
    let mut server = HttpServer::new(move || fundledger::http::app(state.clone())).bind(&bind)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    // actix-web drains in-flight requests on SIGTERM/SIGINT before it exits.
    server.shutdown_timeout(30).run().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Start-up touches the database (migrations, bootstrap): keep it off the async executor.
async fn tokio_free_build(settings: Settings) -> Result<fundledger::http::AppState, Box<dyn std::error::Error>> {
    Ok(web::block(move || fundledger::build_state(settings)).await??)
}
