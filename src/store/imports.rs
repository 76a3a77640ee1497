//! Bulk imports: the answers kept by each file's SHA-256, and the journal a dry run (or the rest
//! of an import already refused) writes to, which keeps nothing.
use super::journal::{duplicate_invoice, Journal};
use super::rows::{LineRow, VoucherRow};
use crate::db::schema::{imports, invoice_claims};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult};
use diesel::prelude::*;
use serde_json::Value;
use std::collections::HashSet;

/// The answer given when this file was first imported into the project: (status, body).
pub fn answer(conn: &mut DbConn, project_id: &str, sha256: &str) -> AppResult<Option<(u16, Value)>> {
    let kept: Option<(i32, String)> = imports::table
        .find((project_id, sha256))
        .select((imports::status_code, imports::body))
        .first(conn)
        .optional()?;
    kept.map(|(status, body)| Ok((status as u16, serde_json::from_str(&body).map_err(AppError::internal)?))).transpose()
}

/// Keeps an import's answer under its file's hash, in the import's own transaction.
pub fn keep(conn: &mut DbConn, project_id: &str, sha256: &str, actor: &Actor, status: u16, body: &Value) -> AppResult<()> {
    diesel::insert_into(imports::table)
        .values((
            imports::project_id.eq(project_id),
            imports::sha256.eq(sha256),
            imports::created_by.eq(&actor.user_id),
            imports::created_at.eq(super::now()),
            imports::status_code.eq(status as i32),
            imports::body.eq(body.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A journal that writes nothing: every check a posting makes runs as it would, and an invoice
/// number is refused when a voucher already holds it or an earlier voucher of this file named it.
pub struct Dry<'c> {
    conn: &'c mut DbConn,
    named: HashSet<String>,
}

impl<'c> Dry<'c> {
    pub fn new(conn: &'c mut DbConn) -> Dry<'c> {
        Dry { conn, named: HashSet::new() }
    }
}

impl Journal for Dry<'_> {
    fn insert_voucher(&mut self, _: &VoucherRow, _: &[LineRow]) -> AppResult<()> {
        Ok(())
    }

    fn append(&mut self, _: &str, _: &Actor, _: &str, _: &str, _: Value) -> AppResult<()> {
        Ok(())
    }

    fn claim_invoices(&mut self, numbers: &[String]) -> AppResult<()> {
        for number in numbers {
            let held = self.named.contains(number)
                || diesel::select(diesel::dsl::exists(invoice_claims::table.find(number))).get_result::<bool>(self.conn)?;
            if held {
                return Err(duplicate_invoice(number));
            }
        }
        self.named.extend(numbers.iter().cloned());
        Ok(())
    }
}
