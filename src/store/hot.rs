//! The UPDATE statements every posting runs, written as fixed-shape queries so the connection
//! keeps them prepared. Diesel prepares each `diesel::update(..)` anew on every call (a changeset
//! may leave out columns, so it never caches one); at five UPDATEs per voucher, re-preparing them
//! was an eighth of the SQLite writer's time. Each type here always renders the same SQL, which
//! is what its static `QueryId` promises diesel's statement cache.
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Nullable, Text};
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
