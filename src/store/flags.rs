//! The books as the red-flag rules read them (`domain::flags::ProjectBooks`): for any number of
//! projects, four reads — account totals, vouchers, expense lines, annual reports — in parts of
//! 1,000 projects, rather than queries per project.
use super::columns::StoredText;
use super::rows::ProjectRow;
use super::statements::books_of_many;
use crate::db::schema::{annual_reports, attachments, voucher_lines, vouchers};
use crate::db::DbConn;
use crate::domain::calendar;
use crate::domain::flags::{FiledReport, ProjectBooks, SellerAmount, VoucherFacts};
use crate::domain::kind::VoucherKind;
use crate::domain::money::Money;
use crate::error::{AppError, AppResult};
use diesel::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// id, project id, kind, status, date, declared attachments
type VoucherHead = (String, String, StoredText, StoredText, StoredText, i32);
/// voucher id, debit fen, seller, seller's credit code
type ExpenseLine = (String, i64, Option<String>, Option<String>);

/// The books of `projects` (in their order). `everything`: the projects are every project, so
/// the account totals are read without a filter. Run it inside `store::snapshot`.
pub fn books_for_flags(conn: &mut DbConn, projects: Vec<ProjectRow>, everything: bool) -> AppResult<Vec<ProjectBooks>> {
    let ids: Vec<String> = projects.iter().map(|p| p.id.clone()).collect();
    let mut vouchers_of: HashMap<String, Vec<VoucherFacts>> = HashMap::new();
    let mut reports_of: HashMap<String, Vec<FiledReport>> = HashMap::new();
    // In parts: SQLite takes at most 32,766 bound values in one statement.
    for part in ids.chunks(1000) {
        for (project_id, v) in voucher_facts(conn, part)? {
            vouchers_of.entry(project_id).or_default().push(v);
        }
        for (project_id, r) in filed_reports(conn, part)? {
            reports_of.entry(project_id).or_default().push(r);
        }
    }
    let books = books_of_many(conn, projects, everything, None)?;
    Ok(books
        .into_iter()
        .map(|b| {
            let implemented = b.figures().implemented();
            let p = b.project;
            ProjectBooks {
                vouchers: vouchers_of.remove(&p.id).unwrap_or_default(),
                reports: reports_of.remove(&p.id).unwrap_or_default(),
                project_id: p.id,
                kind: p.kind,
                status: p.status,
                start: p.start_date,
                end: p.end_date,
                grant: Money::from_fen(p.grant_fen),
                implemented,
            }
        })
        .collect())
}

/// Every voucher of the projects, with its total and, for expenses, what each seller was paid.
fn voucher_facts(conn: &mut DbConn, project_ids: &[String]) -> AppResult<Vec<(String, VoucherFacts)>> {
    let heads: Vec<VoucherHead> = vouchers::table
        .filter(vouchers::project_id.eq_any(project_ids))
        // By date, so that a finding names its vouchers in the order they were dated, alike on
        // both backends.
        .order((vouchers::date, vouchers::id))
        .select((vouchers::id, vouchers::project_id, vouchers::kind, vouchers::status, vouchers::date, vouchers::attachments))
        .load(conn)?;
    let lines: Vec<ExpenseLine> = voucher_lines::table
        .inner_join(vouchers::table)
        // The lines' own project column, which an index leads with: filtered through `vouchers`,
        // PostgreSQL scanned every line (36 ms for one project of 100,000 vouchers' database).
        .filter(voucher_lines::project_id.eq_any(project_ids))
        .filter(vouchers::kind.eq(VoucherKind::Expense.as_str()))
        .filter(voucher_lines::debit_fen.gt(0))
        .select((voucher_lines::voucher_id, voucher_lines::debit_fen, voucher_lines::invoice_seller, voucher_lines::invoice_seller_tax_id))
        .load(conn)?;
    // Documents uploaded to each voucher; the rule counts what is stored or what the unit
    // declared (paper originals kept by the unit), whichever is more.
    let uploaded: Vec<String> =
        attachments::table.filter(attachments::project_id.eq_any(project_ids)).select(attachments::voucher_id).load(conn)?;
    let mut stored: HashMap<String, i64> = HashMap::new();
    for voucher_id in uploaded {
        *stored.entry(voucher_id).or_default() += 1;
    }
    let mut paid: HashMap<String, (Money, BTreeMap<String, SellerAmount>)> = HashMap::new();
    for (voucher_id, debit, seller, tax_id) in lines {
        let amount = Money::from_fen(debit);
        let (total, sellers) = paid.entry(voucher_id).or_default();
        *total = *total + amount;
        let name = seller.unwrap_or_default().trim().to_string();
        let key = tax_id.map(|t| t.trim().to_uppercase()).filter(|t| !t.is_empty()).unwrap_or_else(|| name.clone());
        if key.is_empty() {
            continue;
        }
        let s = sellers.entry(key.clone()).or_insert_with(|| SellerAmount { key, name, amount: Money::ZERO });
        s.amount = s.amount + amount;
    }
    heads
        .into_iter()
        .map(|(id, project_id, kind, status, date, attachments)| {
            let (amount, sellers) = paid.remove(&id).unwrap_or_default();
            let v = VoucherFacts {
                kind: kind.parse()?,
                status: status.parse()?,
                date: date.parse()?,
                amount,
                documents: i64::from(attachments).max(stored.get(&id).copied().unwrap_or(0)),
                sellers: sellers.into_values().collect(),
                id,
            };
            Ok((project_id, v))
        })
        .collect()
}

fn filed_reports(conn: &mut DbConn, project_ids: &[String]) -> AppResult<Vec<(String, FiledReport)>> {
    let rows: Vec<(String, i32, String)> = annual_reports::table
        .filter(annual_reports::project_id.eq_any(project_ids))
        .select((annual_reports::project_id, annual_reports::year, annual_reports::filed_at))
        .load(conn)?;
    rows.into_iter()
        .map(|(project_id, year, filed_at)| {
            let filed_on = calendar::local_date_of(&filed_at)
                .ok_or_else(|| AppError::internal(format!("report of {project_id} for {year}: filed_at '{filed_at}'")))?;
            Ok((project_id, FiledReport { year, filed_on }))
        })
        .collect()
}
