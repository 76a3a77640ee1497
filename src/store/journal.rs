//! Where a posting's rows go. A voucher submission or a disbursement reads nothing but its locked
//! project (`ledger::Locked`) and only adds rows: the voucher, its lines and one audit event. Such
//! work is written against this trait, so it can run straight on the transaction (`DbConn`) or
//! inside a PostgreSQL batch that writes many postings' rows in one statement (`store::batch`).
use super::audit;
use super::rows::{LineRow, VoucherRow};
use crate::db::schema::{invoice_claims, vouchers};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult, Code};
use diesel::prelude::*;
use serde_json::Value;

pub trait Journal {
    /// Adds a voucher and its lines.
    fn insert_voucher(&mut self, voucher: &VoucherRow, lines: &[LineRow]) -> AppResult<()>;
    /// Appends an event to an audit chain, after every event appended before it.
    fn append(&mut self, chain_id: &str, actor: &Actor, action: &str, object: &str, data: Value) -> AppResult<()>;
    /// Claims invoice numbers (each once) for the voucher being written, or refuses with
    /// `duplicate_invoice` when a posted or pending voucher of any project holds one.
    fn claim_invoices(&mut self, numbers: &[String]) -> AppResult<()>;
}

/// The refusal of an invoice number already reimbursed.
pub fn duplicate_invoice(number: &str) -> AppError {
    AppError::conflict(Code::DuplicateInvoice, format!("invoice {number} is already on a posted or pending voucher")).with("number", number)
}

/// Gives back the invoice numbers of a voucher that is declined or reversed, so a corrected
/// voucher may carry them again. The voucher held them alone (the claim's key), so no other
/// voucher's claim is touched.
pub fn release_invoices(conn: &mut DbConn, lines: &[LineRow]) -> AppResult<()> {
    let numbers: Vec<&str> = lines.iter().filter_map(|l| l.invoice_number.as_deref()).collect();
    if !numbers.is_empty() {
        diesel::delete(invoice_claims::table.filter(invoice_claims::number.eq_any(numbers))).execute(conn)?;
    }
    Ok(())
}

/// Straight into the caller's transaction.
impl Journal for DbConn {
    fn insert_voucher(&mut self, v: &VoucherRow, lines: &[LineRow]) -> AppResult<()> {
        // Explicit columns rather than the Insertable struct: optional fields then bind NULL
        // instead of being left out, so the SQL text is always the same and stays prepared.
        let insert = diesel::insert_into(vouchers::table).values((
            vouchers::id.eq(&v.id),
            vouchers::project_id.eq(&v.project_id),
            vouchers::number.eq(v.number),
            vouchers::status.eq(v.status.as_str()),
            vouchers::kind.eq(v.kind.as_str()),
            vouchers::date.eq(v.date.to_string()),
            vouchers::summary.eq(&v.summary),
            vouchers::attachments.eq(v.attachments),
            vouchers::reference.eq(&v.reference),
            vouchers::reserved_bank_fen.eq(v.reserved_bank_fen),
            vouchers::reserved_expense_fen.eq(v.reserved_expense_fen),
            vouchers::created_by.eq(&v.created_by),
            vouchers::created_at.eq(&v.created_at),
            vouchers::reverses_id.eq(&v.reverses_id),
            vouchers::reversed_by_id.eq(&v.reversed_by_id),
            vouchers::decision.eq(&v.decision),
        ));
        super::sql::write_both(self, insert, super::sql::InsertLines { rows: lines })?;
        Ok(())
    }

    fn append(&mut self, chain_id: &str, actor: &Actor, action: &str, object: &str, data: Value) -> AppResult<()> {
        audit::append(self, chain_id, actor, action, object, data).map(drop)
    }

    fn claim_invoices(&mut self, numbers: &[String]) -> AppResult<()> {
        let claimed_at = super::now();
        for number in numbers {
            // ON CONFLICT DO NOTHING rather than a caught unique violation: a failed statement
            // would abort a PostgreSQL transaction, and the refusal is answered, not an error.
            let claim = super::sql::ClaimInvoice { number, claimed_at: &claimed_at };
            if claim.execute(self)? == 0 {
                return Err(duplicate_invoice(number));
            }
        }
        Ok(())
    }
}
