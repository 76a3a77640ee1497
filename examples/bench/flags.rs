//! `--mode flags`: every red-flag rule over 1,000 projects holding 10⁵ vouchers in total — first
//! the rules alone over books built in memory (varied amounts, dates, sellers and documents), then
//! `GET /flags` end to end over the same number of projects and vouchers posted through the API.
use crate::http::{expect, World, R};
use crate::posting::{self, pct, Spec};
use chrono::{Days, NaiveDate};
use fundledger::domain::flags::{self, FiledReport, ProjectBooks, SellerAmount, Thresholds, VoucherFacts};
use fundledger::domain::kind::{ProjectKind, VoucherKind};
use fundledger::domain::money::Money;
use fundledger::domain::status::{ProjectStatus, VoucherStatus};
use std::time::{Duration, Instant};

pub struct Figures {
    pub projects: usize,
    pub vouchers: usize,
    /// The rules alone over the in-memory books, each run in ms (sorted), and the findings.
    pub rules_ms: Vec<f64>,
    pub findings: usize,
    /// Seeding over HTTP, and GET /flags latency in µs (sorted) with its response size.
    pub seeded: Duration,
    pub posted: u64,
    pub get_us: Vec<u64>,
    pub get_items: usize,
    pub get_bytes: usize,
    pub project_us: Vec<u64>,
}

/// A small deterministic generator: the same books on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// `projects` bases from 2025-03-01 with `vouchers` expenses spread over them: amounts from 0.01
/// to 20,000.00 (a tenth of them round), dates over the two years, one of 40 sellers on half of
/// them, a twentieth without documents, a thirtieth reversed.
pub fn books_in_memory(projects: usize, vouchers: usize) -> Vec<ProjectBooks> {
    let start = NaiveDate::from_ymd_opt(2025, 3, 1).expect("a date");
    let end = NaiveDate::from_ymd_opt(2027, 2, 28).expect("a date");
    let mut g = Lcg(7);
    (0..projects)
        .map(|p| {
            let n = vouchers / projects + usize::from(p < vouchers % projects);
            let vouchers: Vec<VoucherFacts> = (0..n)
                .map(|i| {
                    let fen = if g.next(10) == 0 { (g.next(20) as i64 + 1) * 100_000 } else { g.next(2_000_000) as i64 + 1 };
                    let amount = Money::from_fen(fen);
                    let seller = g.next(80);
                    let sellers = if seller < 40 {
                        vec![SellerAmount { key: format!("9135010000000000{seller:02}"), name: format!("销售方{seller}"), amount }]
                    } else {
                        Vec::new()
                    };
                    VoucherFacts {
                        id: format!("p{p}-v{i}"),
                        kind: VoucherKind::Expense,
                        status: if g.next(30) == 0 { VoucherStatus::Reversed } else { VoucherStatus::Posted },
                        date: start + Days::new(g.next(730)),
                        amount,
                        documents: if g.next(20) == 0 { 0 } else { 1 + g.next(3) as i64 },
                        sellers,
                    }
                })
                .collect();
            let implemented = vouchers.iter().filter(|v| v.is_spending()).map(|v| v.amount).sum();
            ProjectBooks {
                project_id: format!("p{p}"),
                kind: ProjectKind::Base,
                status: ProjectStatus::Active,
                start,
                end,
                grant: Money::from_yuan(500_000),
                implemented,
                vouchers,
                reports: vec![FiledReport { year: 2025, filed_on: NaiveDate::from_ymd_opt(2026, 1, 10).expect("a date") }],
            }
        })
        .collect()
}

pub fn run(w: &World, projects: usize, vouchers: usize, clients: usize, samples: usize) -> R<Figures> {
    let thresholds = Thresholds::from_toml_str(include_str!("../../config/flags.toml")).map_err(|e| e.to_string())?;
    let books = books_in_memory(projects, vouchers);
    let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date");
    let mut rules_ms = Vec::new();
    let mut findings = 0;
    for _ in 0..samples.clamp(5, 50) {
        let t = Instant::now();
        let found: usize = books.iter().map(|b| flags::evaluate(b, &thresholds, today).len()).sum();
        rules_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        findings = found;
    }
    rules_ms.sort_by(f64::total_cmp);

    eprintln!("flags: registering {projects} projects and posting {vouchers} vouchers over HTTP ...");
    let t = Instant::now();
    let ids = w.projects(projects, clients, true)?;
    let out = posting::run(&Spec { client: &w.client, token: &w.unit, projects: &ids, total: vouchers, clients, lines: 2, days: 1 });
    let seeded = t.elapsed();
    let mut get_us = Vec::new();
    let (mut get_items, mut get_bytes) = (0, 0);
    for _ in 0..samples.clamp(3, 20) {
        let (d, body, bytes) = w.client.timed_get_sized(&w.finance, "/flags")?;
        get_us.push(d.as_micros() as u64);
        get_items = body["items"].as_array().map_or(0, Vec::len);
        get_bytes = bytes;
    }
    get_us.sort_unstable();
    let mut project_us = Vec::new();
    for i in 0..samples.clamp(20, 200) {
        let t = Instant::now();
        expect(w.client.get(&w.finance, &format!("/projects/{}/flags", ids[i % ids.len()]))?, 200, "GET /projects/{id}/flags")?;
        project_us.push(t.elapsed().as_micros() as u64);
    }
    project_us.sort_unstable();
    Ok(Figures { projects, vouchers, rules_ms, findings, seeded, posted: out.posted(), get_us, get_items, get_bytes, project_us })
}

impl Figures {
    pub fn table(&self, backend: &str) -> String {
        let ms = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p / 100.0).round() as usize];
        format!(
            "| backend | projects | vouchers | rules alone p50 / max ms ({} runs; findings) | seeded over HTTP | GET /flags p50 / p99 ms ({}; items, size) | GET /projects/{{id}}/flags p50 / p99 ms ({}) |\n\
             |---|---|---|---|---|---|---|\n\
             | {backend} | {} | {} (posted {}) | {:.1} / {:.1} ({}) | {:.0} s | {:.0} / {:.0} ({}, {:.1} MB) | {:.2} / {:.2} |",
            self.rules_ms.len(),
            self.get_us.len(),
            self.project_us.len(),
            self.projects,
            self.vouchers,
            self.posted,
            ms(&self.rules_ms, 50.0),
            ms(&self.rules_ms, 100.0),
            self.findings,
            self.seeded.as_secs_f64(),
            pct(&self.get_us, 50.0),
            pct(&self.get_us, 99.0),
            self.get_items,
            self.get_bytes as f64 / 1e6,
            pct(&self.project_us, 50.0),
            pct(&self.project_us, 99.0),
        )
    }
}
