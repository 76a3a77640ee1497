//! The UPDATE statements every posting runs, written as fixed-shape queries so the connection
//! keeps them prepared. Diesel prepares each `diesel::update(..)` anew on every call (a changeset
//! may leave out columns, so it never caches one); at five UPDATEs per voucher, re-preparing them
//! was an eighth of the SQLite writer's time. Each type here always renders the same SQL, which
//! is what its static `QueryId` promises diesel's statement cache.
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel::{QueryResult, RunQueryDsl};

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

unprepared!(InsertLines, SetManyTotals);

/// The columns of `projects` in `ProjectRow`'s order.
const PROJECT_COLUMNS: &str = "id, kind, name, org_id, start_date, end_date, fund_source, specialties, leader, grant_fen, \
     status, next_voucher_no, reserved_bank_fen, reserved_expense_fen, version, created_at";

type ProjectSql = (Text, Text, Text, Text, Text, Text, Text, Text, Nullable<Text>, BigInt, Text, BigInt, BigInt, BigInt, BigInt, Text);

statement! {
    /// Locks a project row (see `ledger::lock`) and returns it.
    LockProject { id: &'a str } returns ProjectSql => |s, out| {
        out.push_sql("UPDATE projects SET version = version + 1 WHERE id = ");
        out.push_bind_param::<Text, str>(s.id)?;
        out.push_sql(" RETURNING ");
        out.push_sql(PROJECT_COLUMNS);
    }
}

statement! {
    /// Writes back a project's voucher counter and reservations.
    SaveProject { id: &'a str, next_voucher_no: i64, reserved_bank_fen: i64, reserved_expense_fen: i64 } => |s, out| {
        out.push_sql("UPDATE projects SET next_voucher_no = ");
        out.push_bind_param::<BigInt, i64>(&s.next_voucher_no)?;
        out.push_sql(", reserved_bank_fen = ");
        out.push_bind_param::<BigInt, i64>(&s.reserved_bank_fen)?;
        out.push_sql(", reserved_expense_fen = ");
        out.push_bind_param::<BigInt, i64>(&s.reserved_expense_fen)?;
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
    /// Takes the next seq of an audit chain, locking the chain row; returns it and the head.
    NextSeq { chain_id: &'a str } returns (BigInt, Text) => |s, out| {
        out.push_sql("UPDATE audit_chains SET seq = seq + 1 WHERE chain_id = ");
        out.push_bind_param::<Text, str>(s.chain_id)?;
        out.push_sql(" RETURNING seq, head");
    }
}

statement! {
    /// Records an audit chain's new head.
    SetHead { chain_id: &'a str, head: &'a str } => |s, out| {
        out.push_sql("UPDATE audit_chains SET head = ");
        out.push_bind_param::<Text, str>(s.head)?;
        out.push_sql(" WHERE chain_id = ");
        out.push_bind_param::<Text, str>(s.chain_id)?;
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
        out.push_sql(
            "INSERT INTO voucher_lines (voucher_id, line_no, project_id, account_code, debit_fen, credit_fen, summary, classification) VALUES ",
        );
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

/// Runs two writes, `a` then `b`, that read nothing the other wrote: on PostgreSQL as one
/// statement, `WITH first AS (a) b` (a data-modifying WITH runs exactly once, in the same snapshot
/// and transaction), which saves a round trip; on SQLite, which has no writes inside WITH, one
/// after the other. `b` may reference a row `a` inserts (lines of a new voucher): foreign keys are
/// checked at the end of the statement.
/// Runs on the backend's own connection, inside whatever transaction the caller has open.
pub fn together<A, B>(conn: &mut crate::db::DbConn, a: A, b: B) -> QueryResult<()>
where
    A: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
    B: QueryFragment<diesel::pg::Pg> + QueryFragment<diesel::sqlite::Sqlite> + QueryId,
{
    use diesel::Connection;
    match conn {
        crate::db::DbConn::Pg(c) => c.execute_returning_count(&Together { a, b }).map(drop),
        crate::db::DbConn::Sqlite(c) => {
            c.execute_returning_count(&a)?;
            c.execute_returning_count(&b).map(drop)
        }
    }
}

struct Together<A, B> {
    a: A,
    b: B,
}

impl<A, B> QueryId for Together<A, B> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<A, B> QueryFragment<diesel::pg::Pg> for Together<A, B>
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
