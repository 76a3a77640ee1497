//! Every row type the store reads or writes, with its typed accessors: one place that says how a
//! table's columns map onto Rust values. A text column holding a domain type (a kind, a status, a
//! date) is parsed while the row is built (`columns::StoredText`).
use super::columns::StoredText;
use crate::auth::Role;
use crate::db::schema::{acceptances, annual_reports, archive_entries, audit_events, projects};
use crate::domain::audit::{Actor, StoredEvent};
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::ledger::Totals;
use crate::domain::money::Money;
use crate::domain::status::{ProjectStatus, VoucherStatus};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;

#[derive(Debug, Clone, Queryable)]
pub struct ProjectRow {
    pub id: String,
    #[diesel(deserialize_as = StoredText)]
    pub kind: ProjectKind,
    pub name: String,
    pub org_id: String,
    #[diesel(deserialize_as = StoredText)]
    pub start_date: NaiveDate,
    #[diesel(deserialize_as = StoredText)]
    pub end_date: NaiveDate,
    pub fund_source: String,
    pub specialties: String,
    pub leader: Option<String>,
    pub grant_fen: i64,
    #[diesel(deserialize_as = StoredText)]
    pub status: ProjectStatus,
    pub next_voucher_no: i64,
    pub reserved_bank_fen: i64,
    pub reserved_expense_fen: i64,
    pub version: i64,
    pub created_at: String,
    /// A copy of the five fixed accounts' totals (`fixed_totals`), written with them.
    pub bank_debit_fen: i64,
    pub bank_credit_fen: i64,
    pub receivable_debit_fen: i64,
    pub receivable_credit_fen: i64,
    pub payables_debit_fen: i64,
    pub payables_credit_fen: i64,
    pub refund_owed_debit_fen: i64,
    pub refund_owed_credit_fen: i64,
    pub grant_fund_debit_fen: i64,
    pub grant_fund_credit_fen: i64,
    /// What the portfolio orders by, written with the copy: utilization as shown, in
    /// ten-thousandths, and the recoverable amount (`statement::sort_keys`).
    pub utilization_bp: i64,
    pub recoverable_fen: i64,
}

impl ProjectRow {
    pub fn kind(&self) -> ProjectKind {
        self.kind
    }
    pub fn start(&self) -> NaiveDate {
        self.start_date
    }
    pub fn end(&self) -> NaiveDate {
        self.end_date
    }
    pub fn grant(&self) -> Money {
        Money::from_fen(self.grant_fen)
    }
    /// The five fixed accounts' totals as the row keeps them, in `chart::FIXED_CODES` order: what
    /// the portfolio reads instead of the accounts (the posting transaction writes both).
    pub fn fixed_totals(&self) -> [Totals; 5] {
        self.figures().fixed_totals()
    }
    pub fn figures(&self) -> ProjectFigures {
        ProjectFigures {
            id: self.id.clone(),
            start_date: self.start_date,
            end_date: self.end_date,
            grant_fen: self.grant_fen,
            reserved_bank_fen: self.reserved_bank_fen,
            reserved_expense_fen: self.reserved_expense_fen,
            bank_debit_fen: self.bank_debit_fen,
            bank_credit_fen: self.bank_credit_fen,
            receivable_debit_fen: self.receivable_debit_fen,
            receivable_credit_fen: self.receivable_credit_fen,
            payables_debit_fen: self.payables_debit_fen,
            payables_credit_fen: self.payables_credit_fen,
            refund_owed_debit_fen: self.refund_owed_debit_fen,
            refund_owed_credit_fen: self.refund_owed_credit_fen,
            grant_fund_debit_fen: self.grant_fund_debit_fen,
            grant_fund_credit_fen: self.grant_fund_credit_fen,
        }
    }
}

/// A project row's period and figures without its texts (name, organisation, specialties,
/// leader): what the portfolio orders and adds up every project of a filter by. Decoding the
/// texts of 10,000 rows was half of a page's cost; a page reads its own rows whole.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = projects)]
pub struct ProjectFigures {
    pub id: String,
    #[diesel(deserialize_as = StoredText)]
    pub start_date: NaiveDate,
    #[diesel(deserialize_as = StoredText)]
    pub end_date: NaiveDate,
    pub grant_fen: i64,
    pub reserved_bank_fen: i64,
    pub reserved_expense_fen: i64,
    pub bank_debit_fen: i64,
    pub bank_credit_fen: i64,
    pub receivable_debit_fen: i64,
    pub receivable_credit_fen: i64,
    pub payables_debit_fen: i64,
    pub payables_credit_fen: i64,
    pub refund_owed_debit_fen: i64,
    pub refund_owed_credit_fen: i64,
    pub grant_fund_debit_fen: i64,
    pub grant_fund_credit_fen: i64,
}

impl ProjectFigures {
    pub fn grant(&self) -> Money {
        Money::from_fen(self.grant_fen)
    }
    /// See `ProjectRow::fixed_totals`.
    pub fn fixed_totals(&self) -> [Totals; 5] {
        let t = |d: i64, c: i64| Totals { debit: Money::from_fen(d), credit: Money::from_fen(c) };
        [
            t(self.bank_debit_fen, self.bank_credit_fen),
            t(self.receivable_debit_fen, self.receivable_credit_fen),
            t(self.payables_debit_fen, self.payables_credit_fen),
            t(self.refund_owed_debit_fen, self.refund_owed_credit_fen),
            t(self.grant_fund_debit_fen, self.grant_fund_credit_fen),
        ]
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct VoucherRow {
    pub id: String,
    pub project_id: String,
    pub number: Option<i64>,
    #[diesel(deserialize_as = StoredText)]
    pub status: VoucherStatus,
    #[diesel(deserialize_as = StoredText)]
    pub kind: VoucherKind,
    #[diesel(deserialize_as = StoredText)]
    pub date: NaiveDate,
    pub summary: String,
    pub attachments: i32,
    pub reference: Option<String>,
    pub reserved_bank_fen: i64,
    pub reserved_expense_fen: i64,
    pub created_by: String,
    pub created_at: String,
    pub reverses_id: Option<String>,
    pub reversed_by_id: Option<String>,
    /// The review decision as JSON text (`ledger::Decision`).
    pub decision: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
pub struct LineRow {
    pub voucher_id: String,
    pub line_no: i32,
    pub project_id: String,
    pub account_code: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
    pub summary: String,
    /// The classifier's verdict as JSON text (`domain::classify::Classification`).
    pub classification: Option<String>,
    /// The invoice the line pays, if it names one (`domain::invoice::Invoice`).
    pub invoice_number: Option<String>,
    pub invoice_seller: Option<String>,
    pub invoice_seller_tax_id: Option<String>,
}

/// A voucher with its lines, in line order.
#[derive(Debug, Clone)]
pub struct Stored {
    pub voucher: VoucherRow,
    pub lines: Vec<LineRow>,
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    #[schema(value_type = Role)]
    pub role: String,
    pub org_id: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    pub created_at: String,
    /// Raised by every change that must end the user's tokens and sessions.
    #[serde(skip)]
    pub token_version: i32,
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Queryable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = annual_reports)]
pub struct Report {
    pub id: String,
    pub project_id: String,
    pub year: i32,
    pub summary: String,
    pub next_year_plan: String,
    pub trained_total: i32,
    pub trained_advanced: i32,
    pub filed_by: String,
    pub filed_at: String,
}

/// A stored event, as read back (its chain is known to the reader).
#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct EventRow {
    pub seq: i64,
    pub at: String,
    pub actor_user_id: String,
    pub actor_username: String,
    pub actor_role: String,
    pub action: String,
    pub object: String,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

impl EventRow {
    pub fn stored(self) -> StoredEvent {
        StoredEvent {
            seq: self.seq,
            at: self.at,
            actor: Actor { user_id: self.actor_user_id, username: self.actor_username, role: self.actor_role },
            action: self.action,
            object: self.object,
            data: self.data,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

/// An Idempotency-Key as a raw query returns it (the batch's claim of its keys).
#[derive(QueryableByName)]
pub struct KeyName {
    #[diesel(sql_type = Text)]
    pub user_id: String,
    #[diesel(sql_type = Text)]
    pub key: String,
}

/// An output acceptance as stored: `record` is the JSON the service answered with when it was made.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = acceptances)]
pub struct AcceptanceRow {
    pub id: String,
    pub project_id: String,
    /// 1, 2, ... per project: the highest is the current record, the others are superseded.
    pub seq: i32,
    pub date: String,
    pub conclusion: String,
    pub supersedes: Option<String>,
    pub record: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// An entry of a project's archive (members, activities, achievements, summaries, images).
#[derive(Debug, Clone, Queryable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = archive_entries)]
pub struct ArchiveEntry {
    pub id: String,
    pub project_id: String,
    /// member, activity, achievement, summary or image.
    pub kind: String,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub title: String,
    pub text: String,
    pub added_by: String,
    pub added_at: String,
}
