//! Bulk imports: the answers kept by each file's SHA-256, and the journal a dry run (or the rest
//! of an import already refused) writes to, which keeps nothing.
use super::journal::{duplicate_invoice, Journal};
use super::rows::{LineRow, VoucherRow};
use crate::db::schema::{audit_chains, imports, invoice_claims};
use crate::db::DbConn;
use crate::domain::audit::{self, Actor, Event};
use crate::domain::merkle::Tree;
use crate::error::{AppError, AppResult};
use diesel::connection::Connection;
use diesel::prelude::*;
use diesel::query_builder::{QueryFragment, QueryId};
use serde_json::Value;
use std::collections::HashSet;

/// The answer given when this file was first imported into the project: (status, body).
pub fn answer(conn: &mut DbConn, project_id: &str, sha256: &str) -> AppResult<Option<(u16, Value)>> {
    let kept: Option<(i32, String)> =
        imports::table.find((project_id, sha256)).select((imports::status_code, imports::body)).first(conn).optional()?;
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

/// Where an import's postings go: every check a posting makes runs as it would alone, but its
/// rows are kept in memory and written in multi-row statements, a chunk at a time as they fill
/// and the rest in `flush`, with the audit chain's events sealed and its tree grown here as
/// `audit::append` would, one by one. The chain's row is written once, at the end; a refused
/// import's rows are rolled back with its transaction. Writing as it goes keeps the memory of
/// one chunk, reused, rather than of the whole file: fresh pages cost the kernel a quarter of an
/// import's time when every row was held to the end.
/// Invoice numbers are claimed at once, as a single submission claims them. Once `dry`, it keeps
/// nothing and claims nothing: a number is then refused when a voucher holds it or an earlier
/// voucher of the file named it.
pub struct Staged<'c> {
    conn: &'c mut DbConn,
    pub dry: bool,
    chain_id: String,
    seq: i64,
    head: String,
    tree: Tree,
    vouchers: Vec<VoucherRow>,
    lines: Vec<LineRow>,
    events: Vec<Event>,
    /// The tree's records, `(seq, hashes)`, as `tree::insert` keeps them.
    records: Vec<(i64, Vec<u8>)>,
    named: HashSet<String>,
}

/// Rows per statement: under SQLite's 32,766 bound parameters for the widest row (16 columns).
const CHUNK: usize = 1_000;

impl<'c> Staged<'c> {
    /// Takes the project's chain (its row locked, as an append locks it) under the project's lock.
    pub fn start(conn: &'c mut DbConn, chain_id: &str, dry: bool) -> AppResult<Staged<'c>> {
        let (seq, head, size, frontier): (i64, String, i64, String) = diesel::update(audit_chains::table.find(chain_id))
            .set(audit_chains::seq.eq(audit_chains::seq))
            .returning((audit_chains::seq, audit_chains::head, audit_chains::tree_size, audit_chains::tree_frontier))
            .get_result(conn)?;
        let mut tree = super::tree::parse(size, &frontier)?;
        if size < seq {
            tree = super::tree::catch_up(conn, chain_id, tree, seq)?;
        }
        let (vouchers, lines, events, records) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        Ok(Staged { conn, dry, chain_id: chain_id.to_string(), seq, head, tree, vouchers, lines, events, records, named: HashSet::new() })
    }

    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    /// Writes the rows kept so far (vouchers, lines, events and tree hashes) and forgets them.
    fn write_kept(&mut self) -> AppResult<()> {
        let conn = &mut *self.conn;
        for chunk in self.vouchers.chunks(CHUNK) {
            let dates: Vec<String> = chunk.iter().map(|v| v.date.to_string()).collect();
            run(conn, super::sql::InsertVouchers { rows: chunk, dates: &dates })?;
        }
        for chunk in self.lines.chunks(CHUNK) {
            run(conn, super::sql::InsertLines { rows: chunk })?;
        }
        for chunk in self.events.chunks(CHUNK) {
            run(conn, super::sql::InsertEvents { chain_id: &self.chain_id, rows: chunk })?;
        }
        super::tree::insert(conn, &self.chain_id, &self.records)?;
        self.vouchers.clear();
        self.lines.clear();
        self.events.clear();
        self.records.clear();
        Ok(())
    }

    /// Writes what is left, then the chain's head and tree.
    pub fn flush(mut self) -> AppResult<&'c mut DbConn> {
        if self.dry {
            return Ok(self.conn);
        }
        self.write_kept()?;
        let conn = self.conn;
        diesel::update(audit_chains::table.find(&self.chain_id))
            .set((
                audit_chains::seq.eq(self.seq),
                audit_chains::head.eq(&self.head),
                audit_chains::tree_size.eq(self.tree.size() as i64),
                audit_chains::tree_frontier.eq(self.tree.frontier_hex()),
            ))
            .execute(conn)?;
        Ok(conn)
    }
}

fn run<Q>(conn: &mut DbConn, q: Q) -> AppResult<()>
where
    Q: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
{
    match conn {
        DbConn::Pg(c) => c.execute_returning_count(&q)?,
        DbConn::Sqlite(c) => c.execute_returning_count(&q)?,
    };
    Ok(())
}

impl Journal for Staged<'_> {
    fn insert_voucher(&mut self, voucher: &VoucherRow, lines: &[LineRow]) -> AppResult<()> {
        if self.dry {
            return Ok(());
        }
        // A full chunk is written before the next voucher's rows join it.
        if self.vouchers.len() >= CHUNK {
            self.write_kept()?;
        }
        self.vouchers.push(voucher.clone());
        self.lines.extend_from_slice(lines);
        Ok(())
    }

    fn append(&mut self, chain_id: &str, actor: &Actor, action: &str, object: &str, data: Value) -> AppResult<()> {
        if chain_id != self.chain_id {
            return Err(AppError::internal(format!("an import appends to its project's chain, not {chain_id}")));
        }
        if self.dry {
            return Ok(());
        }
        let event = audit::seal(self.seq + 1, super::now(), actor.clone(), action, object, data, &self.head);
        let stored = self.tree.append_canonical(event.canonical.as_bytes());
        self.records.push((event.seq, super::tree::record_hashes(&stored)));
        self.seq = event.seq;
        self.head.clone_from(&event.hash);
        self.events.push(event);
        Ok(())
    }

    fn claim_invoices(&mut self, numbers: &[String]) -> AppResult<()> {
        if !self.dry {
            return self.conn.claim_invoices(numbers);
        }
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
