//! Command-line options (hand-parsed: the benchmark adds no dependency for this).
use std::path::PathBuf;

pub const USAGE: &str = "\
fundledger benchmark: starts the service in this process and drives it over HTTP.

  cargo run --release --example bench -- [options]

  --mode post|read|all|import|flags|statements  what to run (default all; flags and
                           statements run alone); --skip-reads = --mode post; import: one CSV of
                           --vouchers two-line vouchers (at most 50,000) into one project;
                           statements: GET /statements pages of 500 over --statement-projects
                           projects with varied figures (default 10,000 in this mode), each sort
  --flag-projects N        --mode flags: projects (default 1000)
  --flag-vouchers N        --mode flags: vouchers over them in total (default 1e5)
  --pg URL                 PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres);
                           a fresh database fl_bench_<uuid> is created there and dropped after.
                           Default: SQLite in a temporary directory.
  --sqlite-dir DIR         where the temporary SQLite directory is made (default: the system temp dir)
  --pool N                 database.pool_size (default: the built-in configuration's)
  --workers N              HTTP workers (default: number of cores)
  --clients N              concurrent client threads (default 16)
  --projects N             projects the posting run spreads over (default 20)
  --vouchers N             vouchers posted in total (default 5000)
  --lines N[,N..]          read side: journal sizes of one project each (default 1e3; e.g. 1e3,1e5)
  --lines-per-voucher N    lines per voucher when seeding those journals (2..200, default 200)
  --statement-projects N   read side: projects registered for GET /statements (default 1000; 0 skips;
                           --mode statements: default 10,000)
  --samples N              sequential GETs per read-side figure (default 200)
  --verify-runs N          GET verify this many times per chain and report the median (default 3)
  --verify-events N        read side: a project whose chain gets N small postings, then verified (default 0)
  --config FILE            start from this configuration file instead of the built-in one
                           (database.url, pool_size, the jwt secret and admin password are still set
                           by the benchmark); for A/B runs of a setting
  --sql-profile            count and time every SQL statement during the posting run (slows it down)
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Post,
    Read,
    All,
    /// POST /projects/{id}/imports: one file of two-line vouchers.
    Import,
    /// The red-flag rules over a portfolio (`--flag-projects`, `--flag-vouchers`).
    Flags,
    /// GET /statements paged and sorted over `--statement-projects` projects.
    Statements,
}

#[derive(Debug, Clone)]
pub struct Opts {
    pub mode: Mode,
    pub pg: Option<String>,
    pub sqlite_dir: Option<PathBuf>,
    pub pool: u32,
    pub workers: usize,
    pub clients: usize,
    pub projects: usize,
    pub vouchers: usize,
    pub lines: Vec<usize>,
    pub lines_per_voucher: usize,
    pub statement_projects: usize,
    pub samples: usize,
    pub verify_events: usize,
    pub verify_runs: usize,
    pub sql_profile: bool,
    pub config: Option<PathBuf>,
    pub flag_projects: usize,
    pub flag_vouchers: usize,
}

impl Opts {
    pub fn posts(&self) -> bool {
        matches!(self.mode, Mode::Post | Mode::All)
    }
    pub fn reads(&self) -> bool {
        matches!(self.mode, Mode::Read | Mode::All)
    }

    pub fn parse(args: impl Iterator<Item = String>) -> Result<Opts, String> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let mut o = Opts {
            mode: Mode::All,
            pg: None,
            sqlite_dir: None,
            pool: fundledger::config::Settings::built_in().database.pool_size,
            workers: cores,
            clients: 16,
            projects: 20,
            vouchers: 5000,
            lines: vec![1000],
            lines_per_voucher: 200,
            statement_projects: 1000,
            samples: 200,
            verify_events: 0,
            verify_runs: 3,
            sql_profile: false,
            config: None,
            flag_projects: 1000,
            flag_vouchers: 100_000,
        };
        let mut statement_projects = None;
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            let (key, inline) = match arg.split_once('=') {
                Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{key} needs a value"));
            match key.as_str() {
                "-h" | "--help" => return Err(String::new()),
                "--mode" => {
                    o.mode = match value()?.as_str() {
                        "post" => Mode::Post,
                        "read" => Mode::Read,
                        "all" => Mode::All,
                        "import" => Mode::Import,
                        "flags" => Mode::Flags,
                        "statements" => Mode::Statements,
                        m => return Err(format!("--mode {m}: expected post, read, all, import, flags or statements")),
                    }
                }
                "--skip-reads" => o.mode = Mode::Post,
                "--sql-profile" => o.sql_profile = true,
                "--pg" => o.pg = Some(value()?),
                "--config" => o.config = Some(PathBuf::from(value()?)),
                "--sqlite-dir" => o.sqlite_dir = Some(PathBuf::from(value()?)),
                "--pool" => o.pool = count(&key, &value()?)? as u32,
                "--workers" => o.workers = count(&key, &value()?)?,
                "--clients" => o.clients = count(&key, &value()?)?,
                "--projects" => o.projects = count(&key, &value()?)?,
                "--vouchers" => o.vouchers = count(&key, &value()?)?,
                "--lines" => o.lines = value()?.split(',').filter(|s| !s.is_empty()).map(|s| count(&key, s)).collect::<Result<_, _>>()?,
                "--lines-per-voucher" => o.lines_per_voucher = count(&key, &value()?)?,
                "--statement-projects" => statement_projects = Some(count(&key, &value()?)?),
                "--samples" => o.samples = count(&key, &value()?)?,
                "--verify-events" => o.verify_events = count(&key, &value()?)?,
                "--verify-runs" => o.verify_runs = count(&key, &value()?)?,
                "--flag-projects" => o.flag_projects = count(&key, &value()?)?,
                "--flag-vouchers" => o.flag_vouchers = count(&key, &value()?)?,
                other => return Err(format!("unknown option {other}")),
            }
        }
        o.statement_projects = statement_projects.unwrap_or(if o.mode == Mode::Statements { 10_000 } else { 1000 });
        if o.flag_projects == 0 {
            return Err("--flag-projects must be at least 1".into());
        }
        if o.pool == 0 || o.workers == 0 || o.clients == 0 || o.projects == 0 || o.samples == 0 || o.verify_runs == 0 {
            return Err("--pool, --workers, --clients, --projects, --samples and --verify-runs must be at least 1".into());
        }
        if !(2..=200).contains(&o.lines_per_voucher) {
            return Err("--lines-per-voucher must be between 2 and 200".into());
        }
        Ok(o)
    }
}

/// A count: `5000`, `5_000`, `1e5` or `2.5e4`.
fn count(key: &str, s: &str) -> Result<usize, String> {
    let t = s.trim().replace('_', "");
    let bad = || format!("{key} {s}: not a count");
    if let Ok(n) = t.parse::<usize>() {
        return Ok(n);
    }
    let f: f64 = t.parse().map_err(|_| bad())?;
    if !(0.0..1e12).contains(&f) || f.fract() != 0.0 {
        return Err(bad());
    }
    Ok(f as usize)
}
