//! The benchmark the team runs on demand (issue 7): posting throughput and latency from C
//! concurrent clients with real tokens, classification and audit on; read-side latency; the
//! books checked afterwards. The service runs in this process, started exactly as tests/common
//! starts it, over a fresh SQLite file (default) or a fresh PostgreSQL database (`--pg`).
//!
//!     cargo run --release --example bench -- --help

/// The allocator the service binary uses (src/main.rs), so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
mod args;
mod flags;
mod http;
mod import;
mod machine;
mod portfolio;
mod posting;
mod reads;
mod server;
mod sqlprof;

use args::Opts;
use http::{World, R};
use machine::{mib, rss_kib, RssSampler};
use posting::{pct, Spec};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let o = match Opts::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(true) => {
            println!("\nRESULT: PASS");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("\nRESULT: FAIL");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn p50_p99(v: &[u64]) -> String {
    format!("{:.2} / {:.2}", pct(v, 50.0), pct(v, 99.0))
}

fn run(o: &Opts) -> R<bool> {
    if o.sql_profile {
        sqlprof::install()?;
    }
    let fresh = server::FreshDb::new(o.pg.as_deref(), o.sqlite_dir.as_ref())?;
    let settings = server::settings(&fresh.url, o.pool, o.config.as_ref())?;
    let database_settings = format!("{:?}", settings.database).replace(&fresh.url, "<fresh>");
    let srv = server::Server::start(settings, o.workers)?;
    let backend = if o.pg.is_some() { "postgres" } else { "sqlite" };

    println!("# fundledger benchmark");
    println!();
    println!(
        "- machine: {}, {} cores, {:.1} GiB RAM, Linux {}",
        machine::cpu_model(),
        machine::cores(),
        machine::ram_gib(),
        machine::kernel()
    );
    println!("- load average at start: {} (other builds may be running)", machine::loadavg());
    println!("- build: {}", if cfg!(debug_assertions) { "DEBUG (numbers are not representative)" } else { "release" });
    println!("- source: {}", server::source());
    match (&fresh.dir, fresh.pg_name()) {
        (Some(dir), _) => println!("- database: {} in {} ({})", server::durability(&srv.pool), dir.display(), machine::fs_type(dir)),
        (_, Some(name)) => println!("- database: {}, fresh database {name}", server::durability(&srv.pool)),
        _ => {}
    }
    println!("- settings: {database_settings}; HTTP workers={}; client threads={}; mode={:?}", o.workers, o.clients, o.mode);
    println!("- the service, the client threads and the harness share this one process and the machine's cores;");
    println!("  RSS is the whole process's VmRSS (service + clients).");
    println!();

    let t = Instant::now();
    let w = World::setup(&srv.base)?;
    let mut ok = true;
    let mut tables: Vec<String> = Vec::new();
    let mut chains: Vec<String> = Vec::new();

    if o.posts() {
        eprintln!("registering and disbursing {} projects ...", o.projects);
        let projects = w.projects(o.projects, o.clients, true)?;
        let baseline = projects.iter().map(|p| w.events(p)).collect::<R<Vec<_>>>()?;
        eprintln!("set-up took {:.1} s; posting {} vouchers from {} clients ...", t.elapsed().as_secs_f64(), o.vouchers, o.clients);
        let idle = rss_kib();
        let sampler = RssSampler::start();
        let cpu_before = machine::cpu_ticks();
        if o.sql_profile {
            sqlprof::start();
        }
        let out = posting::run(&Spec {
            client: &w.client,
            token: &w.unit,
            projects: &projects,
            total: o.vouchers,
            clients: o.clients,
            lines: 2,
            days: 1,
        });
        let cpu_after = machine::cpu_ticks();
        let profile = o.sql_profile.then(sqlprof::stop);
        let (rss_max, rss_mean) = sampler.finish();
        let l = &out.lat_us;
        println!("## Posting run");
        println!();
        println!(
            "{} vouchers posted in {:.2} s = {:.0} vouchers/s; latency ms p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2}; non-201: {}",
            out.posted(),
            out.elapsed.as_secs_f64(),
            out.rate(),
            pct(l, 50.0),
            pct(l, 90.0),
            pct(l, 99.0),
            pct(l, 100.0),
            out.non_201()
        );
        for e in &out.errors {
            println!("  e.g. {e}");
        }
        let per_voucher = |ticks: u64| ticks as f64 * 10_000.0 / out.posted().max(1) as f64;
        println!(
            "CPU per voucher (user + system, clients included): process {:.0} µs, SQLite writer thread {:.0} µs",
            per_voucher(cpu_after.process - cpu_before.process),
            per_voucher(cpu_after.writer - cpu_before.writer)
        );
        println!(
            "RSS (whole process): idle after set-up {:.1} MiB; under load mean {:.1} MiB, max {:.1} MiB",
            mib(idle),
            mib(rss_mean),
            mib(rss_max)
        );
        let checks = posting::check(&w, &projects, &baseline, &out, 2, true)?;
        let all_201 = out.statuses.keys().all(|s| *s == 201) && out.pending == 0;
        println!("{}  posting run: every voucher answered 201 posted ({})", if all_201 { "PASS" } else { "FAIL" }, out.non_201());
        checks.print("posting run", projects.len());
        ok &= all_201 && checks.passed();
        tables.push(format!(
            "| backend | pool | workers | clients | projects | vouchers | vouchers/s | p50 ms | p90 ms | p99 ms | max ms | non-201 | RSS idle MiB | RSS load mean / max MiB |\n\
             |---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n\
             | {backend} | {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.1} | {:.1} / {:.1} |",
            o.pool,
            o.workers,
            o.clients,
            o.projects,
            out.posted(),
            out.rate(),
            pct(l, 50.0),
            pct(l, 90.0),
            pct(l, 99.0),
            pct(l, 100.0),
            out.non_201(),
            mib(idle),
            mib(rss_mean),
            mib(rss_max)
        ));
        chains.push(format!(
            "| {backend} | {} posting-run chains | {} | {:.3} | {:.0} |",
            projects.len(),
            checks.verify_events,
            checks.verify_secs,
            checks.verify_events as f64 / checks.verify_secs
        ));
        if let Some(p) = profile {
            tables.push(profile_table(&p, out.posted(), l));
        }
    }

    if o.mode == args::Mode::Import {
        let (table, passed) = import::run(&w, o)?;
        ok &= passed;
        tables.push(table);
    }

    if o.reads() {
        let mut rows = Vec::new();
        for &n in &o.lines {
            eprintln!("read side: one project with {n} journal lines ...");
            let j = reads::journal(&w, o, n)?;
            j.checks.print(&format!("{} lines", j.lines), 1);
            ok &= j.checks.passed();
            rows.push(format!(
                "| {backend} | {} | {} in {:.1} s ({:.0} lines/s) | {} | {} | {} | {} |",
                j.lines,
                j.vouchers,
                j.seed.as_secs_f64(),
                (j.vouchers * o.lines_per_voucher) as f64 / j.seed.as_secs_f64(),
                p50_p99(&j.statement),
                p50_p99(&j.trial_balance),
                p50_p99(&j.statement_as_of),
                p50_p99(&j.trial_balance_as_of),
            ));
            chains.push(format!(
                "| {backend} | project of {} lines ({}-line vouchers) | {} | {:.3} | {:.0} |",
                j.lines,
                o.lines_per_voucher,
                j.verify.events,
                j.verify.secs,
                j.verify.rate()
            ));
        }
        if !rows.is_empty() {
            tables.push(format!(
                "| backend | journal lines in the project | seeded with vouchers | statement p50 / p99 ms ({n}) | trial balance p50 / p99 ms ({n}) | statement ?as_of= p50 / p99 ms ({n}, 48 days) | trial balance ?as_of= p50 / p99 ms ({n}) |\n\
                 |---|---|---|---|---|---|---|\n{}",
                rows.join("\n"),
                n = o.samples,
            ));
        }
        if o.statement_projects > 0 {
            eprintln!("read side: registering {} projects for GET /statements ...", o.statement_projects);
            let s = reads::statements(&w, o, o.statement_projects)?;
            tables.push(format!(
                "| backend | projects in /statements | response | registered at | /statements p50 / p99 ms ({}) |\n|---|---|---|---|---|\n| {backend} | {} | {:.1} MB | {:.0} projects/s | {} |",
                s.latency.len(),
                s.projects,
                s.bytes as f64 / 1e6,
                o.statement_projects as f64 / s.register.as_secs_f64(),
                p50_p99(&s.latency)
            ));
        }
        if o.verify_events > 0 {
            eprintln!("read side: {} postings into one chain ...", o.verify_events);
            let c = reads::chain(&w, o, o.verify_events)?;
            c.checks.print("verify chain", 1);
            ok &= c.checks.passed();
            chains.push(format!(
                "| {backend} | one project, {} postings ({:.0}/s into one project) | {} | {:.3} | {:.0} | {} | {} | {} |",
                c.posted,
                c.posted as f64 / c.post.as_secs_f64(),
                c.verify.events,
                c.verify.secs,
                c.verify.rate(),
                p50_p99(&c.inclusion),
                p50_p99(&c.consistency),
                p50_p99(&c.checkpoint)
            ));
        }
    }
    if o.mode == args::Mode::Flags {
        let f = flags::run(&w, o.flag_projects, o.flag_vouchers, o.clients, o.samples)?;
        let all_posted = f.posted == f.vouchers as u64;
        println!("{}  flags run: every seeding voucher posted ({} of {})", if all_posted { "PASS" } else { "FAIL" }, f.posted, f.vouchers);
        ok &= all_posted && f.get_items > 0;
        tables.push(f.table(backend));
    }
    if o.mode == args::Mode::Statements {
        let f = portfolio::run(&w, o.statement_projects, o.clients, o.samples)?;
        ok &= f.projects == o.statement_projects as u64;
        tables.push(f.table(backend));
    }
    if !chains.is_empty() {
        tables.push(format!(
            "| backend | audit chain | events | GET verify s | events/s | inclusion proof p50 / p99 ms | consistency proof p50 / p99 ms | checkpoint p50 / p99 ms |\n|---|---|---|---|---|---|---|---|\n{}",
            chains.join("\n")
        ));
    }
    println!("\nRSS at the end: {:.1} MiB; total time {:.1} s", mib(rss_kib()), t.elapsed().as_secs_f64());
    println!("\n## Figures (Markdown)\n");
    for table in &tables {
        println!("{table}\n");
    }
    drop(w);
    drop(srv);
    drop(fresh);
    Ok(ok)
}

/// Statements per voucher and where the database time went (from `--sql-profile`).
fn profile_table(p: &[(String, u64, u128)], posted: u64, lat_us: &[u64]) -> String {
    let per = posted.max(1) as f64;
    let calls: u64 = p.iter().map(|r| r.1).sum();
    let total_ns: u128 = p.iter().map(|r| r.2).sum();
    let mean_latency_us = lat_us.iter().sum::<u64>() as f64 / lat_us.len().max(1) as f64;
    let mut s = format!(
        "SQL per posted voucher: {:.1} statements (BEGIN/COMMIT included), {:.3} ms of database time; mean request latency {:.3} ms\n\n\
         | statement | calls / voucher | mean µs | share of DB time |\n|---|---|---|---|\n",
        calls as f64 / per,
        total_ns as f64 / 1e6 / per,
        mean_latency_us / 1000.0
    );
    for (sql, n, ns) in p.iter().take(20) {
        let short: String = sql.chars().take(110).collect();
        s.push_str(&format!(
            "| `{}` | {:.2} | {:.1} | {:.1}% |\n",
            short.replace('|', "\\|"),
            *n as f64 / per,
            *ns as f64 / *n as f64 / 1000.0,
            *ns as f64 * 100.0 / total_ns.max(1) as f64
        ));
    }
    s
}
