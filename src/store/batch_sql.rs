//! The one statement that writes a whole PostgreSQL posting batch: every table's rows go in as
//! arrays, one per column, through `UNNEST`, each table's part a data-modifying `WITH`. Its text
//! is the same for every batch (however many rows), so it stays prepared, and it is one round trip.
//! The lines may reference vouchers of the same statement: foreign keys are checked at its end.
use super::batch::Buffer;
use super::ledger::{self, Locked};
use super::unit::Answer;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel::QueryResult;

enum Col {
    Text(Vec<String>),
    OptText(Vec<Option<String>>),
    Big(Vec<i64>),
    OptBig(Vec<Option<i64>>),
    Int(Vec<i32>),
}

impl Col {
    fn bind<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match self {
            Col::Text(v) => out.push_bind_param::<Array<Text>, _>(v),
            Col::OptText(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v),
            Col::Big(v) => out.push_bind_param::<Array<BigInt>, _>(v),
            Col::OptBig(v) => out.push_bind_param::<Array<Nullable<BigInt>>, _>(v),
            Col::Int(v) => out.push_bind_param::<Array<Integer>, _>(v),
        }
    }
}

/// One table's part: `head UNNEST(col, col, …) tail`.
struct Part {
    head: &'static str,
    cols: Vec<Col>,
    tail: &'static str,
}

pub struct Flush {
    parts: Vec<Part>,
}

fn texts<T>(rows: &[T], f: impl Fn(&T) -> &String) -> Col {
    Col::Text(rows.iter().map(|r| f(r).clone()).collect())
}

fn strs<T>(rows: &[T], f: impl Fn(&T) -> &str) -> Col {
    Col::Text(rows.iter().map(|r| f(r).to_string()).collect())
}

fn opt_texts<T>(rows: &[T], f: impl Fn(&T) -> &Option<String>) -> Col {
    Col::OptText(rows.iter().map(|r| f(r).clone()).collect())
}

fn bigs<T>(rows: &[T], f: impl Fn(&T) -> i64) -> Col {
    Col::Big(rows.iter().map(f).collect())
}

impl Flush {
    /// The batch's rows; the changed totals and the counters of every locked project; the answers
    /// of the Idempotency-Keys the batch claimed, and those it claimed but did not answer
    /// (`released`), each by (user_id, key).
    pub fn new<'a>(
        b: Buffer,
        locked: impl Iterator<Item = &'a Locked> + Clone,
        answered: Vec<((String, String), Answer)>,
        released: Vec<(String, String)>,
    ) -> Flush {
        let v = &b.vouchers;
        let vouchers = Part {
            head: "INSERT INTO vouchers (id, project_id, number, status, kind, date, summary, attachments, reference, \
                   reserved_bank_fen, reserved_expense_fen, created_by, created_at, reverses_id, reversed_by_id, decision) \
                   SELECT * FROM ",
            cols: vec![
                texts(v, |r| &r.id),
                texts(v, |r| &r.project_id),
                Col::OptBig(v.iter().map(|r| r.number).collect()),
                strs(v, |r| r.status.as_str()),
                strs(v, |r| r.kind.as_str()),
                Col::Text(v.iter().map(|r| r.date.to_string()).collect()),
                texts(v, |r| &r.summary),
                Col::Int(v.iter().map(|r| r.attachments).collect()),
                opt_texts(v, |r| &r.reference),
                bigs(v, |r| r.reserved_bank_fen),
                bigs(v, |r| r.reserved_expense_fen),
                texts(v, |r| &r.created_by),
                texts(v, |r| &r.created_at),
                opt_texts(v, |r| &r.reverses_id),
                opt_texts(v, |r| &r.reversed_by_id),
                opt_texts(v, |r| &r.decision),
            ],
            tail: "",
        };
        let l = &b.lines;
        let lines = Part {
            head: "INSERT INTO voucher_lines (voucher_id, line_no, project_id, account_code, debit_fen, credit_fen, summary, \
                   classification) SELECT * FROM ",
            cols: vec![
                texts(l, |r| &r.voucher_id),
                Col::Int(l.iter().map(|r| r.line_no).collect()),
                texts(l, |r| &r.project_id),
                texts(l, |r| &r.account_code),
                bigs(l, |r| r.debit_fen),
                bigs(l, |r| r.credit_fen),
                texts(l, |r| &r.summary),
                opt_texts(l, |r| &r.classification),
            ],
            tail: "",
        };
        let e = &b.events;
        let events = Part {
            head: "INSERT INTO audit_events (chain_id, seq, at, actor_user_id, actor_username, actor_role, action, object, data, \
                   prev_hash, hash) SELECT * FROM ",
            cols: vec![
                texts(e, |(c, _)| c),
                bigs(e, |(_, e)| e.seq),
                texts(e, |(_, e)| &e.at),
                texts(e, |(_, e)| &e.actor.user_id),
                texts(e, |(_, e)| &e.actor.username),
                texts(e, |(_, e)| &e.actor.role),
                texts(e, |(_, e)| &e.action),
                texts(e, |(_, e)| &e.object),
                texts(e, |(_, e)| &e.data_text),
                texts(e, |(_, e)| &e.prev_hash),
                texts(e, |(_, e)| &e.hash),
            ],
            tail: "",
        };
        // Each chain once, at its last event.
        let mut heads: Vec<(&String, i64, &String)> = Vec::new();
        for (chain, ev) in e.iter().rev() {
            if !heads.iter().any(|(c, _, _)| *c == chain) {
                heads.push((chain, ev.seq, &ev.hash));
            }
        }
        let chains = Part {
            head: "UPDATE audit_chains t SET seq = u.seq, head = u.head FROM ",
            cols: vec![
                Col::Text(heads.iter().map(|h| h.0.clone()).collect()),
                Col::Big(heads.iter().map(|h| h.1).collect()),
                Col::Text(heads.iter().map(|h| h.2.clone()).collect()),
            ],
            tail: " AS u(chain_id, seq, head) WHERE t.chain_id = u.chain_id",
        };
        let mut totals: Vec<(String, String, i64, i64)> = Vec::new();
        for p in locked.clone() {
            totals.extend(ledger::changed_totals(p).into_iter().map(|(code, d, c)| (p.row.id.clone(), code.to_string(), d, c)));
        }
        let accounts = Part {
            head: "UPDATE accounts t SET debit_fen = u.debit_fen, credit_fen = u.credit_fen FROM ",
            cols: vec![texts(&totals, |t| &t.0), texts(&totals, |t| &t.1), bigs(&totals, |t| t.2), bigs(&totals, |t| t.3)],
            tail: " AS u(project_id, code, debit_fen, credit_fen) WHERE t.project_id = u.project_id AND t.code = u.code",
        };
        let k = &answered;
        let keys = Part {
            head: "UPDATE idempotency_keys t SET request_hash = u.request_hash, status_code = u.status_code, body = u.body, \
                   created_at = u.created_at FROM ",
            cols: vec![
                texts(k, |((user, _), _)| user),
                texts(k, |((_, key), _)| key),
                texts(k, |(_, (hash, _, _))| hash),
                Col::Int(k.iter().map(|(_, (_, status, _))| *status).collect()),
                texts(k, |(_, (_, _, body))| body),
                Col::Text(vec![super::now(); k.len()]),
            ],
            tail: " AS u(user_id, key, request_hash, status_code, body, created_at) WHERE t.user_id = u.user_id AND t.key = u.key",
        };
        let released = Part {
            head: "DELETE FROM idempotency_keys t USING ",
            cols: vec![texts(&released, |r| &r.0), texts(&released, |r| &r.1)],
            tail: " AS u(user_id, key) WHERE t.user_id = u.user_id AND t.key = u.key",
        };
        let projects = Part {
            head: "UPDATE projects t SET next_voucher_no = u.next_voucher_no, reserved_bank_fen = u.reserved_bank_fen, \
                   reserved_expense_fen = u.reserved_expense_fen, version = t.version + 1 FROM ",
            cols: vec![
                Col::Text(locked.clone().map(|p| p.row.id.clone()).collect()),
                Col::Big(locked.clone().map(|p| p.row.next_voucher_no).collect()),
                Col::Big(locked.clone().map(|p| p.book.reserved.bank.fen()).collect()),
                Col::Big(locked.map(|p| p.book.reserved.expense.fen()).collect()),
            ],
            tail: " AS u(id, next_voucher_no, reserved_bank_fen, reserved_expense_fen) WHERE t.id = u.id",
        };
        Flush { parts: vec![vouchers, lines, events, chains, accounts, keys, released, projects] }
    }
}

impl QueryId for Flush {
    type QueryId = Flush;
    // The text never changes: the same parts, each with the same columns.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for Flush {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let last = self.parts.len() - 1;
        for (i, part) in self.parts.iter().enumerate() {
            if i < last {
                out.push_sql(if i == 0 { "WITH " } else { ", " });
                out.push_sql(&format!("w{i}"));
                out.push_sql(" AS (");
            }
            out.push_sql(part.head);
            out.push_sql("UNNEST(");
            for (j, col) in part.cols.iter().enumerate() {
                if j > 0 {
                    out.push_sql(", ");
                }
                col.bind(&mut out)?;
            }
            out.push_sql(")");
            out.push_sql(part.tail);
            if i < last {
                out.push_sql(")");
            }
        }
        Ok(())
    }
}
