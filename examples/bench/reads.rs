//! Read-side figures: statement and trial-balance latency for one project of a given journal
//! size, GET /statements over many projects, and audit-chain verification speed.
use crate::args::Opts;
use crate::http::{World, R};
use crate::posting::{self, Checks, Spec};
use std::time::{Duration, Instant};

/// Latencies in µs, sorted.
fn sample(w: &World, path: &str, n: usize) -> R<Vec<u64>> {
    for _ in 0..n.min(5) {
        w.client.timed_get(&w.finance, path)?;
    }
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(w.client.timed_get(&w.finance, path)?.0.as_micros() as u64);
    }
    v.sort_unstable();
    Ok(v)
}

/// Latencies in µs, sorted, of `n` GETs going round `paths`.
fn sample_round(w: &World, paths: &[String], n: usize) -> R<Vec<u64>> {
    let mut v = Vec::with_capacity(n);
    for (i, path) in paths.iter().cycle().take(n + paths.len()).enumerate() {
        let took = w.client.timed_get(&w.finance, path)?.0.as_micros() as u64;
        // The first round warms up.
        if i >= paths.len() {
            v.push(took);
        }
    }
    v.sort_unstable();
    Ok(v)
}

/// Days across the seeded journal and past its end, for `as_of`: the 1st and 15th of each month.
fn as_of_days() -> Vec<String> {
    (2025..=2026).flat_map(|y| (1..=12).flat_map(move |m| [format!("{y}-{m:02}-01"), format!("{y}-{m:02}-15")])).collect()
}

pub struct Verify {
    pub events: i64,
    /// Median of `--verify-runs` GETs.
    pub secs: f64,
}

impl Verify {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.secs
    }
}

fn verify(w: &World, p: &str, runs: usize) -> R<Verify> {
    let path = format!("/projects/{p}/audit-trail/verify");
    let mut times = Vec::new();
    let mut events = 0;
    for _ in 0..runs {
        let (d, v) = w.client.timed_get(&w.finance, &path)?;
        if v["valid"] != true {
            return Err(format!("{path}: {v}"));
        }
        events = v["events"].as_i64().unwrap_or(0);
        times.push(d.as_micros() as u64);
    }
    times.sort();
    Ok(Verify { events, secs: posting::pct(&times, 50.0) / 1000.0 })
}

pub struct Journal {
    pub lines: usize,
    pub vouchers: usize,
    pub seed: Duration,
    pub statement: Vec<u64>,
    pub trial_balance: Vec<u64>,
    /// Over `as_of_days`, round and round.
    pub statement_as_of: Vec<u64>,
    pub trial_balance_as_of: Vec<u64>,
    pub verify: Verify,
    pub checks: Checks,
}

/// The seeded journal's dates run over this many days from the project's start (to 2026-11-30,
/// before today): a past `as_of` then sums a long history, not one day.
const SEED_DAYS: usize = 640;

/// Journal lines a fresh, disbursed project already has: allocation and disbursement, 2 each.
const LINES_AT_START: usize = 4;

pub fn journal(w: &World, o: &Opts, want: usize) -> R<Journal> {
    let p = w.project(&w.client, 100_000 + want, true)?;
    let k = o.lines_per_voucher;
    let vouchers = want.saturating_sub(LINES_AT_START).div_ceil(k);
    let baseline = w.events(&p)?;
    let projects = [p.clone()];
    eprintln!("  seeding {vouchers} vouchers of {k} lines ...");
    let out = posting::run(&Spec {
        client: &w.client,
        token: &w.unit,
        projects: &projects,
        total: vouchers,
        clients: o.clients,
        lines: k,
        days: SEED_DAYS,
    });
    if out.posted() as usize != vouchers {
        return Err(format!("seeding posted {} of {vouchers} vouchers: {} {:?}", out.posted(), out.non_201(), out.errors));
    }
    let checks = posting::check(w, &projects, &[baseline], &out, k, false)?;
    eprintln!("  measuring ...");
    let n = o.samples;
    Ok(Journal {
        lines: LINES_AT_START + vouchers * k,
        vouchers,
        seed: out.elapsed,
        statement: sample(w, &format!("/projects/{p}/statement"), n)?,
        trial_balance: sample(w, &format!("/projects/{p}/trial-balance"), n)?,
        statement_as_of: sample_round(
            w,
            &as_of_days().iter().map(|d| format!("/projects/{p}/statement?as_of={d}")).collect::<Vec<_>>(),
            n,
        )?,
        trial_balance_as_of: sample_round(
            w,
            &as_of_days().iter().map(|d| format!("/projects/{p}/trial-balance?as_of={d}")).collect::<Vec<_>>(),
            n,
        )?,
        verify: verify(w, &p, o.verify_runs)?,
        checks,
    })
}

pub struct Statements {
    pub projects: u64,
    /// Size of one response body.
    pub bytes: usize,
    pub register: Duration,
    pub latency: Vec<u64>,
}

/// Registers `n` more projects, then times GET /statements (every project in the database).
pub fn statements(w: &World, o: &Opts, n: usize) -> R<Statements> {
    let t = Instant::now();
    w.projects(n, o.clients, false)?;
    let register = t.elapsed();
    let (_, body, bytes) = w.client.timed_get_sized(&w.finance, "/statements")?;
    let projects = body["totals"]["projects"].as_u64().unwrap_or(0);
    Ok(Statements { projects, bytes, register, latency: sample(w, "/statements", o.samples.min(20))? })
}

pub struct Chain {
    pub posted: u64,
    pub post: Duration,
    pub verify: Verify,
    pub checks: Checks,
    /// Latencies in µs, sorted: an inclusion proof for events spread over the chain, a
    /// consistency proof from trees of spread sizes, a signed checkpoint.
    pub inclusion: Vec<u64>,
    pub consistency: Vec<u64>,
    pub checkpoint: Vec<u64>,
}

/// Proof latencies over the chain of `events`: `n` requests each, the leaves or older sizes
/// spread evenly (a stride coprime with most sizes), after a few warm-ups.
fn proofs(w: &World, p: &str, events: i64, n: usize) -> R<(Vec<u64>, Vec<u64>)> {
    let mut inclusion = Vec::with_capacity(n);
    let mut consistency = Vec::with_capacity(n);
    let pick = |i: usize| 1 + (i as i64 * 7_919) % events.max(1);
    for i in 0..n + 5 {
        let (d, v) = w.client.timed_get(&w.finance, &format!("/projects/{p}/audit-trail/proof/inclusion?seq={}", pick(i)))?;
        if v["hashes"].as_array().is_none() {
            return Err(format!("inclusion proof: {v}"));
        }
        let (e, v) = w.client.timed_get(&w.finance, &format!("/projects/{p}/audit-trail/proof/consistency?from={}", pick(i)))?;
        if v["hashes"].as_array().is_none() {
            return Err(format!("consistency proof: {v}"));
        }
        if i >= 5 {
            inclusion.push(d.as_micros() as u64);
            consistency.push(e.as_micros() as u64);
        }
    }
    inclusion.sort_unstable();
    consistency.sort_unstable();
    Ok((inclusion, consistency))
}

/// A project whose chain receives `n` small postings from the clients, then verified.
pub fn chain(w: &World, o: &Opts, n: usize) -> R<Chain> {
    let p = w.project(&w.client, 200_000, true)?;
    let baseline = w.events(&p)?;
    let projects = [p.clone()];
    let out =
        posting::run(&Spec { client: &w.client, token: &w.unit, projects: &projects, total: n, clients: o.clients, lines: 2, days: 1 });
    let checks = posting::check(w, &projects, &[baseline], &out, 2, false)?;
    let verify = verify(w, &p, o.verify_runs)?;
    let (inclusion, consistency) = proofs(w, &p, verify.events, o.samples)?;
    let checkpoint = sample(w, &format!("/projects/{p}/audit-trail/checkpoint"), o.samples)?;
    Ok(Chain { posted: out.posted(), post: out.elapsed, verify, checks, inclusion, consistency, checkpoint })
}
