//! `--mode import`: one CSV of two-line expense vouchers (Dr materials, Cr bank) posted into one
//! funded project by `POST /projects/{id}/imports`, first as a dry run, then for real; classification,
//! the guards, the audit chain and the sha256 record are all in the figure. The books are checked after.
use super::args::Opts;
use super::http::{expect, World, R};
use std::fmt::Write as _;
use std::time::Instant;

const HEADER: &str = "voucher_ref,date,summary,account,debit,credit,line_summary,invoice_number,seller,seller_tax_id,attachments\n";

/// The Markdown table row and whether every check passed.
pub fn run(w: &World, o: &Opts) -> R<(String, bool)> {
    let n = o.vouchers;
    let p = w.project(&w.client, 0, true)?;
    let mut csv = String::from(HEADER);
    for i in 0..n {
        let _ = write!(csv, "V{i},2025-03-04,采购焊丝,materials,1.00,,焊丝,,,,1\nV{i},,,1002,,1.00,银行付款,,,,\n");
    }
    let path = format!("/projects/{p}/imports");
    eprintln!("import: {n} vouchers ({} rows, {:.1} MB) into one project ...", 2 * n, csv.len() as f64 / 1e6);
    let t = Instant::now();
    let dry = w.client.post_bytes(&w.unit, &format!("{path}?dry_run=true"), "text/csv", csv.as_bytes())?;
    let dry_s = t.elapsed().as_secs_f64();
    let dry = expect(dry, 200, "POST imports?dry_run=true")?;
    let (t, cpu_before) = (Instant::now(), super::machine::cpu_ticks());
    let real = w.client.post_bytes(&w.unit, &path, "text/csv", csv.as_bytes())?;
    let real_s = t.elapsed().as_secs_f64();
    let cpu_us = (super::machine::cpu_ticks().process - cpu_before.process) as f64 * 10_000.0 / n.max(1) as f64;
    let real = expect(real, 201, "POST imports")?;
    let t = Instant::now();
    let replay = expect(w.client.post_bytes(&w.unit, &path, "text/csv", csv.as_bytes())?, 201, "POST imports (replay)")?;
    let replay_s = t.elapsed().as_secs_f64();
    let balances = expect(w.client.get(&w.finance, &format!("/projects/{p}/balances"))?, 200, "GET balances")?;
    let bank = balances["accounts"].as_array().and_then(|a| a.iter().find(|x| x["code"] == "1002")).map(|x| x["balance"].clone());
    let want_bank = format!("{}.00", 500_000 - n);
    let verified = expect(w.client.get(&w.finance, &format!("/projects/{p}/audit-trail/verify"))?, 200, "GET verify")?;
    let checks = [
        ("dry run counted every voucher", dry["vouchers"] == n),
        ("import posted every voucher", real["posted"] == n && real["pending_review"] == 0),
        ("replay answered the first answer", replay == real),
        ("bank balance is the grant less the import", bank.as_ref().and_then(|b| b.as_str()) == Some(want_bank.as_str())),
        ("the project's chain verifies", verified["valid"] == true),
    ];
    for (what, passed) in &checks {
        println!("{}  import: {what}", if *passed { "PASS" } else { "FAIL" });
    }
    println!("## Import run\n");
    println!(
        "{n} vouchers ({} lines) imported in {real_s:.2} s = {:.0} vouchers/s; dry run {dry_s:.2} s = {:.0} vouchers/s; replay {:.3} s",
        2 * n,
        n as f64 / real_s,
        n as f64 / dry_s,
        replay_s
    );
    println!("CPU per imported voucher (user + system, the whole process): {cpu_us:.1} µs");
    let backend = if o.pg.is_some() { "postgres" } else { "sqlite" };
    let table = format!(
        "| backend | vouchers (2 lines) | file MB | import s | vouchers/s | dry run s | dry run vouchers/s | replay s |\n|---|---|---|---|---|---|---|---|\n\
         | {backend} | {n} | {:.1} | {real_s:.2} | {:.0} | {dry_s:.2} | {:.0} | {replay_s:.3} |",
        csv.len() as f64 / 1e6,
        n as f64 / real_s,
        n as f64 / dry_s
    );
    Ok((table, checks.iter().all(|c| c.1)))
}
