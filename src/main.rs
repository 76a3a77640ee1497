#![forbid(unsafe_code)]
use actix_web::{web, HttpServer};
use fundledger::config::Settings;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's allocator: the request paths allocate many small strings per row
/// and per statement, and glibc spent a tenth of the verifier's time consolidating its free lists.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
fundledger: the books and audit trail of Chifeng City's skill-training grants

usage:
  fundledger [serve]                   run the service
  fundledger backup FILE               write a consistent copy of the SQLite database to FILE (a new
                                       file), also while the service runs; on PostgreSQL, print the
                                       pg_dump command that does it
  fundledger reset-password USERNAME   give the user a new generated password, printed once; audited
                                       on the global chain, and the user's earlier tokens stop working
  fundledger verify --trail FILE.jsonl [--checkpoint FILE --key KEY]
                                       check an exported audit trail (?format=jsonl) with no
                                       server and no database: every hash and link and its Merkle
                                       root; with a kept checkpoint and the verifier key
                                       (/audit-key, the text or a file holding it) the signature,
                                       and that the trail extends the checkpoint. Exit 0 when it
                                       holds, 1 when it does not; the verdict is one line
  fundledger verify --package FILE.zip [--key KEY]
                                       check a closed project's archive package
                                       (/archive-package) offline: every file against
                                       manifest.json, the audit trail against its signed
                                       checkpoint (under KEY, else the package's own key), and
                                       that the journal balances and is what the chain says
  fundledger --version | --help

Every command reads the service's settings: config/default.toml built in, the file named by
FUNDLEDGER_CONFIG, and the FUNDLEDGER_* variables (FUNDLEDGER_DATABASE_URL, FUNDLEDGER_BIND,
FUNDLEDGER_METRICS_BIND, FUNDLEDGER_JWT_SECRET, FUNDLEDGER_ADMIN_PASSWORD,
FUNDLEDGER_TOKEN_TTL_SECONDS); RUST_LOG filters the log. See README.md.
";

#[actix_web::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match args.as_slice() {
        [] | ["serve"] => tracing_subscriber::fmt().with_env_filter(filter()).init(),
        ["--help" | "-h" | "help"] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        ["--version" | "-V"] => {
            println!("fundledger {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        // A command's own output (a password, a command to run) is alone on stdout.
        ["backup", file] => return command(|s| backup(s, file)),
        ["reset-password", username] => return command(|s| reset_password(s, username)),
        ["verify", "--package", file] => return verify_package(file, None),
        ["verify", "--package", file, "--key", key] | ["verify", "--key", key, "--package", file] => {
            return verify_package(file, Some(key))
        }
        ["verify", options @ ..] => return verify_trail(options),
        _ => {
            eprintln!("fundledger: unknown command line '{}'\n\n{USAGE}", args.join(" "));
            return ExitCode::from(2);
        }
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("fundledger: {e}");
            ExitCode::FAILURE
        }
    }
}

fn command(f: impl FnOnce(&Settings) -> Result<ExitCode, String>) -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(EnvFilter::new("warn")).with_writer(std::io::stderr).init();
    match Settings::load().map_err(|e| e.to_string()).and_then(|s| f(&s)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fundledger: {e}");
            ExitCode::FAILURE
        }
    }
}

fn backup(settings: &Settings, file: &str) -> Result<ExitCode, String> {
    match fundledger::ops::backup(settings, std::path::Path::new(file))? {
        fundledger::ops::Backup::Written(bytes) => {
            println!("wrote {file} ({bytes} bytes): a consistent copy of {}", settings.database.url);
            Ok(ExitCode::SUCCESS)
        }
        // Not a success: a script that runs this has not got its backup.
        fundledger::ops::Backup::UsePgDump(command) => {
            eprintln!("fundledger: on PostgreSQL the database is copied with pg_dump (a consistent snapshot); run:");
            println!("{command}");
            Ok(ExitCode::from(3))
        }
    }
}

fn reset_password(settings: &Settings, username: &str) -> Result<ExitCode, String> {
    let password = fundledger::ops::reset_password(settings, username)?;
    println!("New password for '{username}': {password}");
    Ok(ExitCode::SUCCESS)
}

/// The inspector's offline check: reads no settings and opens no database.
fn verify_trail(options: &[&str]) -> ExitCode {
    let mut given = std::collections::HashMap::new();
    for pair in options.chunks(2) {
        match pair {
            [name @ ("--trail" | "--checkpoint" | "--key"), value] if given.insert(*name, *value).is_none() => {}
            _ => return usage_error(options),
        }
    }
    let (Some(trail), checkpoint, key) = (given.get("--trail"), given.get("--checkpoint"), given.get("--key")) else {
        return usage_error(options);
    };
    if checkpoint.is_some() != key.is_some() {
        return usage_error(options);
    }
    let verdict = match open_trail(trail, checkpoint.copied(), key.copied()) {
        Ok((lines, kept)) => {
            let kept = kept.as_ref().map(|(checkpoint, key)| fundledger::domain::trail::KeptNote { checkpoint, key });
            fundledger::domain::trail::check(lines, kept)
        }
        Err(e) => fundledger::domain::trail::Verdict::Broken(e),
    };
    match verdict {
        fundledger::domain::trail::Verdict::Holds { events, head, root, extends } => {
            let extends = match extends {
                Some((origin, size)) => format!("; extends the checkpoint of {origin} at {size} events, signed by the key given"),
                None => String::new(),
            };
            println!("OK: {trail}: {events} events, every hash and link holds; head {head}, Merkle root {root}{extends}");
            ExitCode::SUCCESS
        }
        fundledger::domain::trail::Verdict::Broken(problem) => {
            println!("REJECTED: {trail}: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// The offline check of an archive package: reads no settings and opens no database.
fn verify_package(file: &str, key: Option<&str>) -> ExitCode {
    use fundledger::domain::archive::{check_package, PackageVerdict};
    let key = match key.map(|k| match std::path::Path::new(k).is_file() {
        true => std::fs::read_to_string(k).map_err(|e| format!("cannot read the key {k}: {e}")),
        false => Ok(k.to_string()),
    }) {
        Some(Err(e)) => return rejected(file, &e),
        Some(Ok(k)) => Some(k),
        None => None,
    };
    let files = match unzip(file) {
        Ok(files) => files,
        Err(e) => return rejected(file, &e),
    };
    match check_package(&files, key.as_deref()) {
        PackageVerdict::Holds { files, events, vouchers, head, checkpoint } => {
            let signed = match (checkpoint, key.is_some()) {
                (Some((origin, size)), true) => format!("; extends the checkpoint of {origin} at {size} events, signed by the key given"),
                (Some((origin, size)), false) => {
                    format!("; extends the checkpoint of {origin} at {size} events, signed by the package's own key (give --key to trust yours)")
                }
                (None, _) => String::new(),
            };
            println!(
                "OK: {file}: {files} files as the manifest lists them; {events} events, every hash and link holds, head {head}{signed}; \
                 the journal's {vouchers} vouchers balance and are what the chain says"
            );
            ExitCode::SUCCESS
        }
        PackageVerdict::Broken(problem) => rejected(file, &problem),
    }
}

fn rejected(file: &str, problem: &str) -> ExitCode {
    println!("REJECTED: {file}: {problem}");
    ExitCode::FAILURE
}

/// A package's files by path. Bounded: a package is a project's books, not gigabytes, and a zip
/// that inflates past the bound is refused rather than filling memory.
fn unzip(file: &str) -> Result<std::collections::BTreeMap<String, Vec<u8>>, String> {
    use std::io::Read;
    const MAX_BYTES: u64 = 4 << 30;
    let opened = std::fs::File::open(file).map_err(|e| format!("cannot read the package: {e}"))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(opened)).map_err(|e| format!("not a zip file: {e}"))?;
    let mut files = std::collections::BTreeMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
        let mut bytes = Vec::new();
        let left = MAX_BYTES - total;
        (&mut entry).take(left + 1).read_to_end(&mut bytes).map_err(|e| format!("{}: {e}", entry.name()))?;
        total += bytes.len() as u64;
        if total > MAX_BYTES {
            return Err(format!("the package inflates past {MAX_BYTES} bytes"));
        }
        if files.insert(entry.name().to_string(), bytes).is_some() {
            return Err(format!("{} is in the package twice", entry.name()));
        }
    }
    Ok(files)
}

type TrailLines = std::io::Lines<std::io::BufReader<std::fs::File>>;

/// The trail's lines, and the checkpoint's text with the key (given as its text or a file).
fn open_trail(trail: &str, checkpoint: Option<&str>, key: Option<&str>) -> Result<(TrailLines, Option<(String, String)>), String> {
    use std::io::BufRead;
    let lines = std::fs::File::open(trail).map_err(|e| format!("cannot read the trail: {e}"))?;
    let kept = match (checkpoint, key) {
        (Some(checkpoint), Some(key)) => {
            let checkpoint = std::fs::read_to_string(checkpoint).map_err(|e| format!("cannot read the checkpoint {checkpoint}: {e}"))?;
            let key = match std::path::Path::new(key).is_file() {
                true => std::fs::read_to_string(key).map_err(|e| format!("cannot read the key {key}: {e}"))?,
                false => key.to_string(),
            };
            Some((checkpoint, key))
        }
        _ => None,
    };
    Ok((std::io::BufReader::new(lines).lines(), kept))
}

fn usage_error(options: &[&str]) -> ExitCode {
    eprintln!(
        "fundledger: verify wants --trail FILE.jsonl, and --checkpoint FILE with --key KEY together: got '{}'\n\n{USAGE}",
        options.join(" ")
    );
    ExitCode::from(2)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::load()?;
    tracing::info!(?settings, "starting");
    // The addresses first: one that is taken stops the start before a database or an admin user
    // is created.
    let listener = listen(&settings.server.bind, "server.bind (FUNDLEDGER_BIND)")?;
    let metrics = match &settings.server.metrics_bind {
        Some(bind) => Some((listen(bind, "server.metrics_bind (FUNDLEDGER_METRICS_BIND)")?, fundledger::metrics::install()?)),
        None => None,
    };
    let workers = settings.server.workers;
    let state = web::Data::new(tokio_free_build(settings).await?);
    if let Some((listener, handle)) = metrics {
        tracing::info!(bind = %listener.local_addr()?, "metrics at /metrics");
        let pool = state.pool.clone();
        let server = HttpServer::new(move || fundledger::metrics::app(handle.clone(), pool.clone())).workers(1).listen(listener)?;
        actix_web::rt::spawn(server.run());
    }
    tracing::info!(database = state.backend.as_str(), bind = %listener.local_addr()?, "listening");
    let mut server = HttpServer::new(move || fundledger::http::app(state.clone())).listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    // actix-web drains in-flight requests on SIGTERM/SIGINT before it exits.
    server.shutdown_timeout(30).run().await?;
    tracing::info!("stopped");
    Ok(())
}

fn listen(bind: &str, setting: &str) -> Result<std::net::TcpListener, String> {
    std::net::TcpListener::bind(bind).map_err(|e| format!("cannot listen on {bind} ({setting}): {e}"))
}

/// Start-up touches the database (migrations, bootstrap): keep it off the async executor.
async fn tokio_free_build(settings: Settings) -> Result<fundledger::http::AppState, Box<dyn std::error::Error>> {
    Ok(web::block(move || fundledger::build_state(settings)).await??)
}
