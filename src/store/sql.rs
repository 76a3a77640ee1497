//! The fixed statements every posting runs (was `hot`). Column lists come from the schema
//! (`column_list!`, `all_columns`), never restated by hand: a schema change the SQL does not follow
//! fails to compile or fails `tests::fixed_statements_name_the_schema_columns`.
//!
//! The UPDATE statements every posting runs, written as fixed-shape queries so the connection
//! keeps them prepared. Diesel prepares each `diesel::update(..)` anew on every call (a changeset
//! may leave out columns, so it never caches one); at five UPDATEs per voucher, re-preparing them
//! was an eighth of the SQLite writer's time. Each type here always renders the same SQL, which
//! is what its static `QueryId` promises diesel's statement cache.
use crate::db::schema::{audit_events, audit_tree, invoice_claims, projects, voucher_lines, vouchers};
use diesel::backend::Backend;
use diesel::helper_types::SqlTypeOf;
use diesel::pg::{Pg, PgQueryBuilder};
use diesel::query_builder::{AstPass, Query, QueryBuilder, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Binary, Integer, Nullable, Text};
use diesel::{QueryResult, RunQueryDsl, Table};
use std::sync::OnceLock;

/// Some columns of one table, as an SQL list (`a, b, c`), from the schema's `Column::NAME`: a
/// column renamed or dropped there fails to compile here. Joined once per call site.
macro_rules! column_list {
    ($table:ident: $($column:ident),+ $(,)?) => {{
        static LIST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        LIST.get_or_init(|| [$(<$table::$column as diesel::Column>::NAME),+].join(", ")).as_str()
    }};
}
pub(super) use column_list;

/// Defines a statement: its fields, its SQL (text and binds, in order) and, for a statement with
/// RETURNING, the SQL types it returns.
macro_rules! statement {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* $(,)? } $(returns $sql_type:ty)? => |$this:ident, $out:ident| $body:block) => {
        $(#[$doc])*
        pub struct $name<'a> {
            $(pub $field: $ty,)*
        }

        impl QueryId for $name<'_> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl<DB> QueryFragment<DB> for $name<'_>
        where
            DB: Backend,
            str: ToSql<Text, DB>,
            i64: ToSql<BigInt, DB>,
        {
            fn walk_ast<'b>(&'b self, mut $out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                let $this = self;
                $body
                Ok(())
            }
        }

        $(impl Query for $name<'_> {
            type SqlType = $sql_type;
        })?

        impl<Conn> RunQueryDsl<Conn> for $name<'_> {}
    };
}

/// Marks statements whose SQL text depends on their data (how many rows, which accounts): their
/// query id is not static, so diesel caches each prepared statement by its text.
macro_rules! unprepared {
    ($($name:ident),*) => {$(
        impl QueryId for $name<'_> {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl<Conn> RunQueryDsl<Conn> for $name<'_> {}
    )*};
}

unprepared!(InsertLines, InsertTreeRecords, SetManyTotals, AddToDays, InsertVouchers, InsertEvents);

/// Every column of `projects` in the schema's order, which is `ProjectRow`'s (it is read from
/// `ProjectSql`). Rendered once from `projects::all_columns` with PostgreSQL's query builder, then
/// unquoted and unqualified so the same text serves SQLite: the backend-generic `walk_ast` below
/// cannot render the tuple itself without a bound private to diesel.
fn project_columns() -> &'static str {
    static COLUMNS: OnceLock<String> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        let mut sql = PgQueryBuilder::default();
        // Rendering column names does not fail: no binds, no fallible fragments.
        projects::all_columns.to_sql(&mut sql, &Pg).expect("projects' columns render");
        sql.finish().replace("\"projects\".", "").replace('"', "")
    })
}

/// The project row's copy of what the portfolio reads of its books: debit and credit of each of
/// `chart::FIXED_CODES`, in order, then the sort keys that follow from them and the grant
/// (`statement::sort_keys`).
pub const COPY_COLUMNS: [&str; 12] = [
    "bank_debit_fen",
    "bank_credit_fen",
    "receivable_debit_fen",
    "receivable_credit_fen",
    "payables_debit_fen",
    "payables_credit_fen",
    "refund_owed_debit_fen",
    "refund_owed_credit_fen",
    "grant_fund_debit_fen",
    "grant_fund_credit_fen",
    "utilization_bp",
    "recoverable_fen",
];

type ProjectSql = SqlTypeOf<<projects::table as Table>::AllColumns>;

statement! {
    /// Locks a project row (see `ledger::lock`) and returns it.
    LockProject { id: &'a str } returns ProjectSql => |s, out| {
        out.push_sql("UPDATE projects SET version = version + 1 WHERE id = ");
        out.push_bind_param::<Text, str>(s.id)?;
        out.push_sql(" RETURNING ");
        out.push_sql(project_columns());
    }
}

statement! {
    /// Reads a project row under SQLite's database write lock, which its transaction took when it
    /// began (`unit::write`): no other transaction can change the row, so unlike PostgreSQL's
    /// `LockProject` it need not write it to lock it.
    ReadProject { id: &'a str } returns ProjectSql => |s, out| {
        out.push_sql("SELECT ");
        out.push_sql(project_columns());
        out.push_sql(" FROM projects WHERE id = ");
        out.push_bind_param::<Text, str>(s.id)?;
    }
}

statement! {
    /// Writes back a project's voucher counter, reservations, version (the lock's: see
    /// `ledger::lock`) and its copy of the fixed accounts' totals and sort keys (`COPY_COLUMNS` order).
    SaveProject { id: &'a str, next_voucher_no: i64, reserved_bank_fen: i64, reserved_expense_fen: i64, version: i64, copy: [i64; 12] } => |s, out| {
        out.push_sql("UPDATE projects SET version = ");
        out.push_bind_param::<BigInt, i64>(&s.version)?;
        out.push_sql(", next_voucher_no = ");
        out.push_bind_param::<BigInt, i64>(&s.next_voucher_no)?;
        out.push_sql(", reserved_bank_fen = ");
        out.push_bind_param::<BigInt, i64>(&s.reserved_bank_fen)?;
        out.push_sql(", reserved_expense_fen = ");
        out.push_bind_param::<BigInt, i64>(&s.reserved_expense_fen)?;
        for (column, value) in COPY_COLUMNS.iter().zip(&s.copy) {
            out.push_sql(", ");
            out.push_sql(column);
            out.push_sql(" = ");
            out.push_bind_param::<BigInt, i64>(value)?;
        }
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, str>(s.id)?;
    }
}

statement! {
    /// Writes back one account's maintained totals.
    SetTotals { project_id: &'a str, code: &'a str, debit_fen: i64, credit_fen: i64 } => |s, out| {
        out.push_sql("UPDATE accounts SET debit_fen = ");
        out.push_bind_param::<BigInt, i64>(&s.debit_fen)?;
        out.push_sql(", credit_fen = ");
        out.push_bind_param::<BigInt, i64>(&s.credit_fen)?;
        out.push_sql(" WHERE project_id = ");
        out.push_bind_param::<Text, str>(s.project_id)?;
        out.push_sql(" AND code = ");
        out.push_bind_param::<Text, str>(s.code)?;
    }
}

statement! {
    /// Takes the next seq of an audit chain, locking the chain row; returns it, the head and the
    /// chain's Merkle tree (size, frontier).
    NextSeq { chain_id: &'a str } returns (BigInt, Text, BigInt, Text) => |s, out| {
        out.push_sql("UPDATE audit_chains SET seq = seq + 1 WHERE chain_id = ");
        out.push_bind_param::<Text, str>(s.chain_id)?;
        out.push_sql(" RETURNING seq, head, tree_size, tree_frontier");
    }
}

statement! {
    /// `NextSeq` under SQLite's database write lock (see `ReadProject`): reads the chain row and
    /// writes nothing; `SetHead` then records the seq taken.
    ReadNextSeq { chain_id: &'a str } returns (BigInt, Text, BigInt, Text) => |s, out| {
        out.push_sql("SELECT seq + 1, head, tree_size, tree_frontier FROM audit_chains WHERE chain_id = ");
        out.push_bind_param::<Text, str>(s.chain_id)?;
    }
}

statement! {
    /// Records an audit chain's new length, head and tree.
    SetHead { chain_id: &'a str, seq: i64, head: &'a str, tree_size: i64, tree_frontier: &'a str } => |s, out| {
        out.push_sql("UPDATE audit_chains SET seq = ");
        out.push_bind_param::<BigInt, i64>(&s.seq)?;
        out.push_sql(", head = ");
        out.push_bind_param::<Text, str>(s.head)?;
        out.push_sql(", tree_size = ");
        out.push_bind_param::<BigInt, i64>(&s.tree_size)?;
        out.push_sql(", tree_frontier = ");
        out.push_bind_param::<Text, str>(s.tree_frontier)?;
        out.push_sql(" WHERE chain_id = ");
        out.push_bind_param::<Text, str>(s.chain_id)?;
    }
}

statement! {
    /// Claims an invoice number for the voucher being written; claims nothing (0 rows) when a
    /// posted or pending voucher holds it. On PostgreSQL a claim another transaction has made but
    /// not committed waits for it, and then finds the number taken, or free if it rolled back.
    ClaimInvoice { number: &'a str, claimed_at: &'a str } => |s, out| {
        out.push_sql("INSERT INTO invoice_claims (");
        out.push_sql(column_list!(invoice_claims: number, claimed_at));
        out.push_sql(") VALUES (");
        out.push_bind_param::<Text, str>(s.number)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, str>(s.claimed_at)?;
        out.push_sql(") ON CONFLICT DO NOTHING");
    }
}

/// Every line of a voucher in one INSERT: one statement (one round trip on PostgreSQL) however
/// many lines the voucher has (`unprepared!`: one cached statement per line count).
pub struct InsertLines<'a> {
    pub rows: &'a [super::rows::LineRow],
}

impl<DB> QueryFragment<DB> for InsertLines<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
    Option<String>: ToSql<Nullable<Text>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO voucher_lines (");
        out.push_sql(column_list!(voucher_lines:
            voucher_id, line_no, project_id, account_code, debit_fen, credit_fen, summary, classification,
            invoice_number, invoice_seller, invoice_seller_tax_id));
        out.push_sql(") VALUES ");
        for (i, r) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            out.push_bind_param::<Text, str>(&r.voucher_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Integer, i32>(&r.line_no)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&r.project_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&r.account_code)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, i64>(&r.debit_fen)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, i64>(&r.credit_fen)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&r.summary)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, Option<String>>(&r.classification)?;
            for invoice in [&r.invoice_number, &r.invoice_seller, &r.invoice_seller_tax_id] {
                out.push_sql(", ");
                out.push_bind_param::<Nullable<Text>, Option<String>>(invoice)?;
            }
            out.push_sql(")");
        }
        Ok(())
    }
}

/// Records of an audit chain's Merkle tree in one INSERT, `(seq, hashes)` (`unprepared!`: one
/// cached statement per row count; only catching a tree up writes more than one).
pub struct InsertTreeRecords<'a> {
    pub chain_id: &'a str,
    pub rows: &'a [(i64, Vec<u8>)],
}

impl<DB> QueryFragment<DB> for InsertTreeRecords<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    [u8]: ToSql<Binary, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO audit_tree (");
        out.push_sql(column_list!(audit_tree: chain_id, seq, hashes));
        out.push_sql(") VALUES ");
        for (i, (seq, hashes)) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            out.push_bind_param::<Text, str>(self.chain_id)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, i64>(seq)?;
            out.push_sql(", ");
            out.push_bind_param::<Binary, [u8]>(hashes)?;
            out.push_sql(")");
        }
        Ok(())
    }
}

/// The record one append stores: a fixed statement, so it stays prepared.
pub struct InsertTreeRecord<'a> {
    pub chain_id: &'a str,
    pub seq: i64,
    pub hashes: &'a [u8],
}

impl QueryId for InsertTreeRecord<'_> {
    type QueryId = InsertTreeRecord<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB> QueryFragment<DB> for InsertTreeRecord<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    [u8]: ToSql<Binary, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO audit_tree (");
        out.push_sql(column_list!(audit_tree: chain_id, seq, hashes));
        out.push_sql(") VALUES (");
        out.push_bind_param::<Text, str>(self.chain_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, i64>(&self.seq)?;
        out.push_sql(", ");
        out.push_bind_param::<Binary, [u8]>(self.hashes)?;
        out.push_sql(")");
        Ok(())
    }
}

/// Many vouchers in one INSERT (a bulk import writes its vouchers in a few of these).
pub struct InsertVouchers<'a> {
    pub rows: &'a [super::rows::VoucherRow],
    /// Each row's date as stored (YYYY-MM-DD), in the rows' order.
    pub dates: &'a [String],
}

impl<DB> QueryFragment<DB> for InsertVouchers<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
    Option<String>: ToSql<Nullable<Text>, DB>,
    Option<i64>: ToSql<Nullable<BigInt>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO vouchers (");
        out.push_sql(column_list!(vouchers:
            id, project_id, number, status, kind, date, summary, attachments, reference, reserved_bank_fen,
            reserved_expense_fen, created_by, created_at, reverses_id, reversed_by_id, decision));
        out.push_sql(") VALUES ");
        for (i, v) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            out.push_bind_param::<Text, str>(&v.id)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&v.project_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<BigInt>, Option<i64>>(&v.number)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(v.status.as_str())?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(v.kind.as_str())?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&self.dates[i])?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&v.summary)?;
            out.push_sql(", ");
            out.push_bind_param::<Integer, i32>(&v.attachments)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, Option<String>>(&v.reference)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, i64>(&v.reserved_bank_fen)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, i64>(&v.reserved_expense_fen)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&v.created_by)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(&v.created_at)?;
            for optional in [&v.reverses_id, &v.reversed_by_id, &v.decision] {
                out.push_sql(", ");
                out.push_bind_param::<Nullable<Text>, Option<String>>(optional)?;
            }
            out.push_sql(")");
        }
        Ok(())
    }
}

/// Audit events of one chain in one INSERT (a bulk import's).
pub struct InsertEvents<'a> {
    pub chain_id: &'a str,
    pub rows: &'a [crate::domain::audit::Event],
}

impl<DB> QueryFragment<DB> for InsertEvents<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO audit_events (");
        out.push_sql(column_list!(audit_events:
            chain_id, seq, at, actor_user_id, actor_username, actor_role, action, object, data, prev_hash, hash));
        out.push_sql(") VALUES ");
        for (i, e) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            out.push_bind_param::<Text, str>(self.chain_id)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, i64>(&e.seq)?;
            for text in
                [&e.at, &e.actor.user_id, &e.actor.username, &e.actor.role, &e.action, &e.object, &e.data_text, &e.prev_hash, &e.hash]
            {
                out.push_sql(", ");
                out.push_bind_param::<Text, str>(text)?;
            }
            out.push_sql(")");
        }
        Ok(())
    }
}

/// The new totals of several accounts of one project in one UPDATE (a CASE per column), rather
/// than one statement per account (`unprepared!`).
pub struct SetManyTotals<'a> {
    pub project_id: &'a str,
    /// (code, debit_fen, credit_fen)
    pub totals: &'a [(&'a str, i64, i64)],
}

impl<DB> QueryFragment<DB> for SetManyTotals<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let debit: for<'x> fn(&'x (&str, i64, i64)) -> &'x i64 = |t| &t.1;
        let credit: for<'x> fn(&'x (&str, i64, i64)) -> &'x i64 = |t| &t.2;
        out.push_sql("UPDATE accounts SET ");
        for (i, (column, amount)) in [("debit_fen", debit), ("credit_fen", credit)].into_iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql(column);
            out.push_sql(" = CASE code");
            for t in self.totals {
                out.push_sql(" WHEN ");
                out.push_bind_param::<Text, str>(t.0)?;
                out.push_sql(" THEN ");
                out.push_bind_param::<BigInt, i64>(amount(t))?;
            }
            out.push_sql(" END");
        }
        out.push_sql(" WHERE project_id = ");
        out.push_bind_param::<Text, str>(self.project_id)?;
        out.push_sql(" AND code IN (");
        for (i, t) in self.totals.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<Text, str>(t.0)?;
        }
        out.push_sql(")");
        Ok(())
    }
}

/// Adds what postings moved to each account's day (`account_days`), a row made on an account's
/// first movement of a day. The text depends only on how many rows: a voucher's usual two stay
/// prepared.
pub struct AddToDays<'a> {
    pub project_id: &'a str,
    /// (day, code, debit_fen, credit_fen), each (day, code) once.
    pub days: &'a [(String, &'a str, i64, i64)],
}

impl<DB> QueryFragment<DB> for AddToDays<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO account_days (project_id, code, day, debit_fen, credit_fen) VALUES ");
        for (i, (day, code, debit, credit)) in self.days.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            out.push_bind_param::<Text, str>(self.project_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(code)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, str>(day)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, i64>(debit)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, i64>(credit)?;
            out.push_sql(")");
        }
        out.push_sql(ADD_TO_DAYS);
        Ok(())
    }
}

/// How a day already on record takes more (also the PostgreSQL batch's).
pub const ADD_TO_DAYS: &str = " ON CONFLICT (project_id, code, day) DO UPDATE SET \
     debit_fen = account_days.debit_fen + excluded.debit_fen, credit_fen = account_days.credit_fen + excluded.credit_fen";

/// Runs two writes, `a` then `b`, that read nothing the other wrote: on PostgreSQL as one
/// statement, `WITH first AS (a) b` (a data-modifying WITH runs exactly once, in the same snapshot
/// and transaction), which saves a round trip; on SQLite, which has no writes inside WITH, one
/// after the other. `b` may reference a row `a` inserts (lines of a new voucher): foreign keys are
/// checked at the end of the statement.
/// Runs on the backend's own connection, inside whatever transaction the caller has open.
pub fn write_both<A, B>(conn: &mut crate::db::DbConn, a: A, b: B) -> QueryResult<()>
where
    A: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
    B: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
{
    use diesel::Connection;
    match conn {
        crate::db::DbConn::Pg(c) => c.execute_returning_count(&WithFirst { a, b }).map(drop),
        crate::db::DbConn::Sqlite(c) => {
            c.execute_returning_count(&a)?;
            c.execute_returning_count(&b).map(drop)
        }
    }
}

/// Runs one write on the backend's own connection (for the statements here, which are written
/// for both backends but not for the multi-backend connection).
pub fn write_one<A>(conn: &mut crate::db::DbConn, a: A) -> QueryResult<()>
where
    A: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
{
    use diesel::Connection;
    match conn {
        crate::db::DbConn::Pg(c) => c.execute_returning_count(&a).map(drop),
        crate::db::DbConn::Sqlite(c) => c.execute_returning_count(&a).map(drop),
    }
}

/// `write_both` with a third write: `WITH first AS (a) WITH…` nests on PostgreSQL as
/// `WITH first AS (a), second AS (b) c`.
pub fn write_three<A, B, C>(conn: &mut crate::db::DbConn, a: A, b: B, c: C) -> QueryResult<()>
where
    A: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
    B: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
    C: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
{
    use diesel::Connection;
    match conn {
        crate::db::DbConn::Pg(conn) => conn.execute_returning_count(&WithTwo { a, b, c }).map(drop),
        crate::db::DbConn::Sqlite(conn) => {
            conn.execute_returning_count(&a)?;
            conn.execute_returning_count(&b)?;
            conn.execute_returning_count(&c).map(drop)
        }
    }
}

struct WithTwo<A, B, C> {
    a: A,
    b: B,
    c: C,
}

impl<A, B, C> QueryId for WithTwo<A, B, C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<A, B, C> QueryFragment<diesel::pg::Pg> for WithTwo<A, B, C>
where
    A: QueryFragment<diesel::pg::Pg>,
    B: QueryFragment<diesel::pg::Pg>,
    C: QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql("WITH first AS (");
        self.a.walk_ast(out.reborrow())?;
        out.push_sql("), second AS (");
        self.b.walk_ast(out.reborrow())?;
        out.push_sql(") ");
        self.c.walk_ast(out.reborrow())
    }
}

struct WithFirst<A, B> {
    a: A,
    b: B,
}

impl<A, B> QueryId for WithFirst<A, B> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<A, B> QueryFragment<diesel::pg::Pg> for WithFirst<A, B>
where
    A: QueryFragment<diesel::pg::Pg>,
    B: QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql("WITH first AS (");
        self.a.walk_ast(out.reborrow())?;
        out.push_sql(") ");
        self.b.walk_ast(out.reborrow())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sqlite::Sqlite;
    use diesel::{debug_query, QueryDsl};

    #[test]
    fn lock_and_read_project_return_every_schema_column_in_order() {
        let sql = debug_query::<Sqlite, _>(&LockProject { id: "p" }).to_string();
        let dsl = debug_query::<Sqlite, _>(&projects::table.select(projects::all_columns)).to_string();
        // "SELECT `projects`.`id`, … FROM `projects` -- binds: []"
        let columns = dsl["SELECT ".len()..dsl.find(" FROM").unwrap()].replace("`projects`.", "").replace('`', "");
        assert!(columns.starts_with("id, kind, name") && columns.ends_with("created_at, bank_debit_fen, bank_credit_fen, receivable_debit_fen, receivable_credit_fen, payables_debit_fen, payables_credit_fen, refund_owed_debit_fen, refund_owed_credit_fen, grant_fund_debit_fen, grant_fund_credit_fen, utilization_bp, recoverable_fen"), "{columns}");
        assert!(sql.contains(&format!(" RETURNING {columns} --")), "{sql}");
        let read = debug_query::<Sqlite, _>(&ReadProject { id: "p" }).to_string();
        assert!(read.starts_with(&format!("SELECT {columns} FROM projects WHERE")), "{read}");
    }

    /// Every lower-case word of a statement (SQL keywords are upper case) other than its table is
    /// one of the table's columns: the UPDATEs name their columns in text the compiler cannot check.
    #[test]
    fn fixed_statements_name_the_schema_columns() {
        use crate::db::schema::{accounts, audit_chains};
        fn columns(select: String) -> Vec<String> {
            let list = &select["SELECT ".len()..select.find(" FROM").unwrap()];
            list.split(", ").map(|c| c.rsplit('.').next().unwrap().replace('`', "")).collect()
        }
        macro_rules! of {
            ($t:ident) => {
                (stringify!($t), columns(debug_query::<Sqlite, _>(&$t::table.select($t::all_columns)).to_string()))
            };
        }
        let line = crate::store::rows::LineRow {
            voucher_id: "v".into(),
            line_no: 1,
            project_id: "p".into(),
            account_code: "1002".into(),
            debit_fen: 1,
            credit_fen: 0,
            summary: "s".into(),
            classification: None,
            invoice_number: None,
            invoice_seller: None,
            invoice_seller_tax_id: None,
        };
        let statements = [
            (of!(projects), debug_query::<Sqlite, _>(&LockProject { id: "p" }).to_string()),
            (
                of!(projects),
                debug_query::<Sqlite, _>(&SaveProject {
                    id: "p",
                    next_voucher_no: 1,
                    reserved_bank_fen: 0,
                    reserved_expense_fen: 0,
                    version: 1,
                    copy: [0; 12],
                })
                .to_string(),
            ),
            (of!(accounts), debug_query::<Sqlite, _>(&SetTotals { project_id: "p", code: "c", debit_fen: 0, credit_fen: 0 }).to_string()),
            (of!(accounts), debug_query::<Sqlite, _>(&SetManyTotals { project_id: "p", totals: &[("c", 0, 0)] }).to_string()),
            (of!(projects), debug_query::<Sqlite, _>(&ReadProject { id: "p" }).to_string()),
            (of!(audit_chains), debug_query::<Sqlite, _>(&NextSeq { chain_id: "c" }).to_string()),
            (of!(audit_chains), debug_query::<Sqlite, _>(&ReadNextSeq { chain_id: "c" }).to_string()),
            (
                of!(audit_chains),
                debug_query::<Sqlite, _>(&SetHead { chain_id: "c", seq: 1, head: "h", tree_size: 0, tree_frontier: "" }).to_string(),
            ),
            (of!(voucher_lines), debug_query::<Sqlite, _>(&InsertLines { rows: std::slice::from_ref(&line) }).to_string()),
        ];
        for ((table, columns), sql) in statements {
            let sql = sql.split(" -- binds").next().unwrap();
            let words: Vec<&str> = sql
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_') && *w != table)
                .collect();
            assert!(!words.is_empty(), "{sql}");
            for word in words {
                assert!(columns.iter().any(|c| c == word), "{table} has no column {word}: {sql}");
            }
        }
    }
}
