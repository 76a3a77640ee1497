//! Reading one project's whole posted journal and its account totals for export.
use super::columns::StoredText;
use super::rows::ProjectRow;
use super::statements::{current, IN_BOOKS};
use crate::db::schema::{voucher_lines, vouchers};
use crate::db::DbConn;
use crate::domain::export::{ExportLine, ExportVoucher, Journal, ProjectMeta};
use crate::domain::kind::VoucherKind;
use crate::domain::money::Money;
use crate::error::AppResult;
use chrono::NaiveDate;
use diesel::prelude::*;

/// A voucher's id, number, kind, date, summary and the id of the voucher it reverses.
type Head = (String, Option<i64>, StoredText, StoredText, String, Option<String>);

/// voucher id, account, debit fen, credit fen, summary, invoice number, seller, seller's code
type JournalLine = (String, String, i64, i64, String, Option<String>, Option<String>, Option<String>);

/// The journal (vouchers in the books, by date then number, with their lines) and the final
/// totals. Run it inside `store::snapshot` (with the read of the project) so that the balance
/// assertions match the journal exactly.
pub fn journal(conn: &mut DbConn, project: ProjectRow) -> AppResult<Journal> {
    let (chart, totals) = current(conn, Some(&project.id))?.remove(&project.id).unwrap_or_default();
    let heads: Vec<Head> = vouchers::table
        .filter(vouchers::project_id.eq(&project.id))
        .filter(vouchers::status.eq_any(IN_BOOKS))
        .order((vouchers::date, vouchers::number))
        .select((vouchers::id, vouchers::number, vouchers::kind, vouchers::date, vouchers::summary, vouchers::reverses_id))
        .load(conn)?;
    let rows: Vec<JournalLine> = voucher_lines::table
        .inner_join(vouchers::table)
        .filter(vouchers::project_id.eq(&project.id))
        .filter(vouchers::status.eq_any(IN_BOOKS))
        .order((vouchers::date, vouchers::number, voucher_lines::line_no))
        .select((
            voucher_lines::voucher_id,
            voucher_lines::account_code,
            voucher_lines::debit_fen,
            voucher_lines::credit_fen,
            voucher_lines::summary,
            voucher_lines::invoice_number,
            voucher_lines::invoice_seller,
            voucher_lines::invoice_seller_tax_id,
        ))
        .load(conn)?;
    // Both queries share one order, so each voucher's lines follow in a single pass.
    let mut rows = rows.into_iter().peekable();
    let mut out = Vec::with_capacity(heads.len());
    for (id, number, kind, date, summary, reverses) in heads {
        let mut lines = Vec::new();
        while let Some((_, code, d, c, s, number, seller, tax_id)) = rows.next_if(|r| r.0 == id) {
            let invoice = number.map(|n| (n, seller.unwrap_or_default(), tax_id.unwrap_or_default()));
            lines.push(ExportLine { code, debit: Money::from_fen(d), credit: Money::from_fen(c), summary: s, invoice });
        }
        let (kind, date): (VoucherKind, NaiveDate) = (kind.parse()?, date.parse()?);
        let number = number.unwrap_or_default();
        out.push(ExportVoucher { number, date, id, kind, summary, reverses, lines });
    }
    let meta = ProjectMeta {
        start: project.start(),
        end: project.end(),
        grant: project.grant(),
        id: project.id,
        name: project.name,
        kind: project.kind,
        status: project.status,
    };
    Ok(Journal { project: meta, chart, vouchers: out, totals })
}
