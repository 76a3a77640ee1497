//! The posting workload (C client threads, D vouchers spread over the projects) and the checks
//! run on the books afterwards.
use crate::http::{expect, Client, World, R, START, VOUCHER_DATE};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Spec<'a> {
    pub client: &'a Client,
    pub token: &'a str,
    pub projects: &'a [String],
    pub total: usize,
    pub clients: usize,
    /// Lines per voucher: 2 is Dr materials 1.00 / Cr 1002 1.00; more is (n-1) debits of 0.01
    /// and one credit of their sum.
    pub lines: usize,
    /// Days the vouchers' dates are spread over, from the project's start (1: all on
    /// `VOUCHER_DATE`), so that a past `as_of` meets a journal of many days.
    pub days: usize,
}

/// The date of voucher `i`.
fn date_of(i: usize, days: usize) -> String {
    if days <= 1 {
        return VOUCHER_DATE.to_string();
    }
    let start = chrono::NaiveDate::parse_from_str(START, "%Y-%m-%d").expect("START is a date");
    (start + chrono::Days::new((i % days) as u64)).to_string()
}

/// Fen spent by one voucher of `lines` lines.
pub fn fen_per_voucher(lines: usize) -> i64 {
    if lines <= 2 {
        100
    } else {
        lines as i64 - 1
    }
}

pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The `lines` array of every voucher of this shape, serialised once.
fn lines_json(lines: usize) -> String {
    let debits = lines.max(2) - 1;
    let each = if lines <= 2 { "1.00".to_string() } else { "0.01".to_string() };
    let mut v: Vec<serde_json::Value> =
        (0..debits).map(|_| serde_json::json!({"account": "materials", "debit": each, "summary": "焊接实训耗材"})).collect();
    v.push(serde_json::json!({"account": "1002", "credit": yuan(fen_per_voucher(lines)), "summary": "银行付款"}));
    serde_json::Value::Array(v).to_string()
}

#[derive(Default)]
pub struct Outcome {
    pub elapsed: Duration,
    /// Latency of every request in µs, sorted.
    pub lat_us: Vec<u64>,
    /// Responses by status; 0 counts transport failures.
    pub statuses: BTreeMap<u16, u64>,
    /// Per project: vouchers the clients saw posted, and refusals (403/409/422: these are on the chain).
    pub ok: Vec<u64>,
    pub refused: Vec<u64>,
    /// 201s that came back pending_review (the workload is meant never to need a review).
    pub pending: u64,
    pub errors: Vec<String>,
}

impl Outcome {
    pub fn posted(&self) -> u64 {
        self.ok.iter().sum()
    }
    pub fn rate(&self) -> f64 {
        self.posted() as f64 / self.elapsed.as_secs_f64()
    }
    pub fn non_201(&self) -> String {
        let v: Vec<String> = self
            .statuses
            .iter()
            .filter(|(s, _)| **s != 201)
            .map(|(s, n)| if *s == 0 { format!("transport {n}") } else { format!("{s}: {n}") })
            .collect();
        if v.is_empty() {
            "0".into()
        } else {
            v.join(", ")
        }
    }
}

/// Nearest-rank percentile of sorted µs, in ms.
pub fn pct(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil().max(1.0) as usize;
    sorted_us[rank.min(sorted_us.len()) - 1] as f64 / 1000.0
}

pub fn run(spec: &Spec) -> Outcome {
    let next = AtomicUsize::new(0);
    let lines = lines_json(spec.lines);
    let np = spec.projects.len();
    let started = Instant::now();
    let parts: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..spec.clients)
            .map(|_| {
                // Named, so that a profile can tell the load generator from the service.
                std::thread::Builder::new().name("bench-client".into()).spawn_scoped(s, || {
                    let c = spec.client.clone_fresh();
                    let mut o = Outcome { ok: vec![0; np], refused: vec![0; np], ..Outcome::default() };
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= spec.total {
                            return o;
                        }
                        let pi = i % np;
                        let path = format!("/projects/{}/vouchers", spec.projects[pi]);
                        let date = date_of(i, spec.days);
                        let body = format!(r#"{{"date":"{date}","summary":"购买焊接实训耗材第{i}批","attachments":1,"lines":{lines}}}"#);
                        let t = Instant::now();
                        let r = c.call("POST", &path, Some(spec.token), Some(&body));
                        o.lat_us.push(t.elapsed().as_micros() as u64);
                        match r {
                            Ok(r) => {
                                *o.statuses.entry(r.status).or_default() += 1;
                                match r.status {
                                    201 if r.body["status"] == "posted" => o.ok[pi] += 1,
                                    201 => o.pending += 1,
                                    403 | 409 | 422 => o.refused[pi] += 1,
                                    _ => {}
                                }
                                if r.status != 201 && o.errors.len() < 3 {
                                    o.errors.push(format!("{} {}", r.status, r.body));
                                }
                            }
                            Err(e) => {
                                *o.statuses.entry(0).or_default() += 1;
                                if o.errors.len() < 3 {
                                    o.errors.push(e);
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.expect("client thread starts").join().expect("client thread")).collect()
    });
    let mut all = Outcome { elapsed: started.elapsed(), ok: vec![0; np], refused: vec![0; np], ..Outcome::default() };
    for p in parts {
        all.lat_us.extend(p.lat_us);
        for (s, n) in p.statuses {
            *all.statuses.entry(s).or_default() += n;
        }
        for i in 0..np {
            all.ok[i] += p.ok[i];
            all.refused[i] += p.refused[i];
        }
        all.pending += p.pending;
        all.errors.extend(p.errors);
    }
    all.lat_us.sort_unstable();
    all
}

/// Money string to fen ("12.34" → 1234).
pub fn fen(s: &str) -> Option<i64> {
    let (y, f) = s.split_once('.')?;
    Some(y.parse::<i64>().ok()? * 100 + f.parse::<i64>().ok()?)
}

#[derive(Default)]
pub struct Checks {
    /// (check, failures: project and detail)
    pub results: Vec<(String, Vec<String>)>,
    pub verify_events: i64,
    pub verify_secs: f64,
}

impl Checks {
    fn record(&mut self, name: &str, failure: Option<String>) {
        let i = match self.results.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.results.push((name.to_string(), Vec::new()));
                self.results.len() - 1
            }
        };
        if let Some(f) = failure {
            self.results[i].1.push(f);
        }
    }

    pub fn passed(&self) -> bool {
        self.results.iter().all(|(_, f)| f.is_empty())
    }

    pub fn print(&self, label: &str, projects: usize) {
        for (name, failures) in &self.results {
            if failures.is_empty() {
                println!("PASS  {label}: {name} ({projects}/{projects} projects)");
            } else {
                println!("FAIL  {label}: {name} ({} of {projects} projects failed; first: {})", failures.len(), failures[0]);
            }
        }
    }
}

/// Checks each project's books after a run: balanced trial balance, a valid chain holding exactly
/// the events the clients caused, implemented spending equal to what the clients saw posted, and
/// (with `list`) the posted vouchers themselves.
pub fn check(w: &World, projects: &[String], baseline: &[i64], o: &Outcome, lines: usize, list: bool) -> R<Checks> {
    let mut c = Checks::default();
    let f = &w.finance;
    for (i, p) in projects.iter().enumerate() {
        let tb = expect(w.client.get(f, &format!("/projects/{p}/trial-balance"))?, 200, "trial-balance")?;
        c.record("trial balance balanced", (tb["balanced"] != true).then(|| format!("{p}: {}", tb["totals"])));

        let t = Instant::now();
        let v = expect(w.client.get(f, &format!("/projects/{p}/audit-trail/verify"))?, 200, "verify")?;
        c.verify_secs += t.elapsed().as_secs_f64();
        let events = v["events"].as_i64().unwrap_or(-1);
        c.verify_events += events.max(0);
        c.record("audit chain verifies", (v["valid"] != true).then(|| format!("{p}: {v}")));
        let want = baseline[i] + (o.ok[i] + o.refused[i]) as i64;
        c.record("audit events = before + postings + refusals", (events != want).then(|| format!("{p}: {events} events, expected {want}")));

        let s = expect(w.client.get(f, &format!("/projects/{p}/statement"))?, 200, "statement")?;
        let implemented = s["statement"]["implemented"].as_str().and_then(fen);
        let want = o.ok[i] as i64 * fen_per_voucher(lines);
        c.record(
            "implemented = client-seen postings x amount",
            (implemented != Some(want)).then(|| format!("{p}: {} vs {}", s["statement"]["implemented"], yuan(want))),
        );

        if list {
            let (expense, mut numbers) = posted_vouchers(w, p)?;
            c.record("posted expense vouchers = client-seen 201s", (expense != o.ok[i]).then(|| format!("{p}: {expense} vs {}", o.ok[i])));
            numbers.sort_unstable();
            let contiguous = numbers.iter().enumerate().all(|(k, n)| *n == k as i64 + 1);
            c.record("voucher numbers contiguous from 1", (!contiguous).then(|| format!("{p}: {} numbers", numbers.len())));
        }
    }
    Ok(c)
}

/// Posted expense vouchers of a project, and the numbers of every posted voucher.
fn posted_vouchers(w: &World, p: &str) -> R<(u64, Vec<i64>)> {
    let (mut expense, mut numbers, mut cursor) = (0u64, Vec::new(), String::new());
    loop {
        let path = format!("/projects/{p}/vouchers?status=posted&limit=500{cursor}");
        let page = expect(w.client.get(&w.finance, &path)?, 200, "GET vouchers")?;
        for v in page["items"].as_array().into_iter().flatten() {
            expense += u64::from(v["kind"] == "expense");
            numbers.push(v["number"].as_i64().unwrap_or(0));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return Ok((expense, numbers)),
        }
    }
}
