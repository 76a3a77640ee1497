//! `--mode statements`: `GET /statements` over `--statement-projects` projects (default 10,000)
//! whose figures differ — start dates over three years, disbursements of 1 to 5 tenths of the
//! grant, spending on two in three — so every sort key has many values. Times a page of 500,
//! the first and one from the middle, for each sort key and direction; the unpaged answer of
//! every project; and the streamed CSV.
use crate::http::{expect, World, R};
use crate::machine::{cpu_ms, loadavg};
use crate::posting::pct;
use chrono::{Days, NaiveDate};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SORTS: [&str; 8] =
    ["project_id", "-project_id", "utilization", "-utilization", "days_left", "-days_left", "recoverable", "-recoverable"];
const PAGE: usize = 500;

pub struct Figures {
    pub projects: u64,
    pub seeded: Duration,
    /// (sort, first page, middle page, page bytes)
    pub pages: Vec<(String, Sampled, Sampled, usize)>,
    pub unpaged: Sampled,
    pub unpaged_bytes: usize,
    pub csv: Sampled,
    pub csv_bytes: usize,
}

/// Registers, disburses and spends on `n` projects from `clients` threads.
fn seed(w: &World, n: usize, clients: usize) -> R<()> {
    let next = AtomicUsize::new(0);
    let first = NaiveDate::from_ymd_opt(2024, 1, 1).ok_or("a date")?;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients.min(n).max(1))
            .map(|_| {
                s.spawn(|| -> R<()> {
                    let c = w.client.clone_fresh();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return Ok(());
                        }
                        let start = (first + Days::new((i * 37 % 1090) as u64)).to_string();
                        let body = json!({"kind": "base", "name": format!("基准测试高技能人才培训基地{i}"), "org_id": w.org_id,
                            "start_date": start, "fund_source": "demonstration_matching", "specialties": ["数控加工", "焊接", "工业机器人"]});
                        let p = expect(c.post(&w.hr, "/projects", &body)?, 201, "POST /projects")?["id"].as_str().unwrap_or_default().to_string();
                        let paid = 100_000 * (1 + i % 5);
                        let body = json!({"date": start, "amount": format!("{paid}.00"), "reference": "财拨[2025]1号"});
                        expect(c.post(&w.finance, &format!("/projects/{p}/disbursements"), &body)?, 201, "POST disbursements")?;
                        if i % 3 != 0 {
                            let fen = (i * 7_919 % (paid * 100)) as i64 + 1;
                            let amount = format!("{}.{:02}", fen / 100, fen % 100);
                            let body = json!({"date": start, "summary": "采购焊接实训耗材", "attachments": 1, "lines": [
                                {"account": "materials", "debit": amount, "summary": "焊接实训耗材"},
                                {"account": "1002", "credit": amount, "summary": "银行付款"}]});
                            expect(c.post(&w.unit, &format!("/projects/{p}/vouchers"), &body)?, 201, "POST vouchers")?;
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().map_err(|_| "a seeding thread panicked".to_string())?)
    })
}

/// Latencies in µs, sorted, and the process's CPU time per request in ms (service and client
/// together: the client's JSON parsing is in it).
pub struct Sampled {
    pub us: Vec<u64>,
    pub cpu_ms: f64,
}

/// `n` GETs after a few warm-ups; and the body's size.
fn sample(w: &World, path: &str, n: usize) -> R<(Sampled, usize)> {
    let mut bytes = 0;
    for _ in 0..n.min(3) {
        bytes = w.client.timed_get_sized(&w.finance, path)?.2;
    }
    let mut us = Vec::with_capacity(n);
    let cpu = cpu_ms();
    for _ in 0..n {
        us.push(w.client.timed_get_sized(&w.finance, path)?.0.as_micros() as u64);
    }
    let cpu_ms = (cpu_ms() - cpu) / n as f64;
    us.sort_unstable();
    Ok((Sampled { us, cpu_ms }, bytes))
}

/// The cursor that starts the page in the middle of `sort`'s order.
fn middle(w: &World, sort: &str, projects: u64) -> R<String> {
    let mut cursor = String::new();
    for _ in 0..(projects as usize / PAGE / 2).max(1) {
        let body = expect(w.client.get(&w.finance, &format!("/statements?sort={sort}&limit={PAGE}{cursor}"))?, 200, "GET /statements")?;
        match body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    Ok(cursor)
}

pub fn run(w: &World, n: usize, clients: usize, samples: usize) -> R<Figures> {
    eprintln!("statements: seeding {n} projects over HTTP ...");
    let t = Instant::now();
    seed(w, n, clients)?;
    let seeded = t.elapsed();
    let totals = expect(w.client.get(&w.finance, "/statements?limit=1")?, 200, "GET /statements")?;
    let projects = totals["totals"]["projects"].as_u64().unwrap_or(0);
    let mut pages = Vec::new();
    for sort in SORTS {
        eprintln!("  sort={sort} ...");
        let (first, bytes) = sample(w, &format!("/statements?sort={sort}&limit={PAGE}"), samples)?;
        let cursor = middle(w, sort, projects)?;
        let (mid, _) = sample(w, &format!("/statements?sort={sort}&limit={PAGE}{cursor}"), samples)?;
        pages.push((sort.to_string(), first, mid, bytes));
    }
    eprintln!("  unpaged and CSV ...");
    let (unpaged, unpaged_bytes) = sample(w, "/statements", samples.min(20))?;
    let (csv, csv_bytes) = csv(w, samples.min(20))?;
    Ok(Figures { projects, seeded, pages, unpaged, unpaged_bytes, csv, csv_bytes })
}

/// The CSV download read to its end (it is not JSON, so not `timed_get`).
fn csv(w: &World, n: usize) -> R<(Sampled, usize)> {
    let mut v = Vec::new();
    let mut bytes = 0;
    let mut cpu = cpu_ms();
    for i in 0..n + 1 {
        if i == 1 {
            cpu = cpu_ms();
        }
        let r = w.client.get(&w.finance, "/statements?format=csv&sort=-utilization")?;
        v.push(r.received.as_micros() as u64);
        if r.status != 200 {
            return Err(format!("GET /statements?format=csv: {}", r.status));
        }
        bytes = r.bytes;
    }
    let cpu_ms = (cpu_ms() - cpu) / n.max(1) as f64;
    v.remove(0);
    v.sort_unstable();
    Ok((Sampled { us: v, cpu_ms }, bytes))
}

impl Figures {
    pub fn table(&self, backend: &str) -> String {
        let ms = |v: &Sampled| format!("{:.1} / {:.1} ({:.1})", pct(&v.us, 50.0), pct(&v.us, 99.0), v.cpu_ms);
        let mut s = format!(
            "{} projects seeded in {:.0} s; load average now {}\n\n| backend | projects | sort | first page of {PAGE}: p50 / p99 ms (CPU ms per request), {n} GETs | middle page: the same | page size |\n|---|---|---|---|---|---|\n",
            self.projects,
            self.seeded.as_secs_f64(),
            loadavg(),
            n = self.pages.first().map_or(0, |p| p.1.us.len()),
        );
        for (sort, first, mid, bytes) in &self.pages {
            s.push_str(&format!(
                "| {backend} | {} | `{sort}` | {} | {} | {:.2} MB |\n",
                self.projects,
                ms(first),
                ms(mid),
                *bytes as f64 / 1e6
            ));
        }
        s.push_str(&format!(
            "| {backend} | {} | unpaged (every row, {} GETs) | {} | | {:.1} MB |\n| {backend} | {} | CSV download, streamed ({} GETs) | {} | | {:.1} MB |\n",
            self.projects,
            self.unpaged.us.len(),
            ms(&self.unpaged),
            self.unpaged_bytes as f64 / 1e6,
            self.projects,
            self.csv.us.len(),
            ms(&self.csv),
            self.csv_bytes as f64 / 1e6
        ));
        s
    }
}
