//! The one statement that writes a whole PostgreSQL posting batch: every table's rows go in as
//! arrays, one per column, through `UNNEST`, each table's part a data-modifying `WITH`. Its text
//! is the same for every batch (however many rows), so it stays prepared, and it is one round trip.
//! The lines may reference vouchers of the same statement: foreign keys are checked at its end.
use super::ledger::{self, Locked};
use super::rows::{LineRow, VoucherRow};
use super::sql::{column_list, COPY_COLUMNS};
use super::unit::Answer;
use crate::db::schema::{account_days, audit_events, audit_tree, voucher_lines, vouchers};
use crate::domain::audit::Event;
use crate::domain::merkle::Tree;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Binary, Integer, Nullable, Text};
use diesel::QueryResult;
use std::collections::HashMap;

enum Col {
    Text(Vec<String>),
    OptText(Vec<Option<String>>),
    Big(Vec<i64>),
    OptBig(Vec<Option<i64>>),
    Int(Vec<i32>),
    Bytes(Vec<Vec<u8>>),
}

impl Col {
    fn bind<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match self {
            Col::Text(v) => out.push_bind_param::<Array<Text>, _>(v),
            Col::OptText(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v),
            Col::Big(v) => out.push_bind_param::<Array<BigInt>, _>(v),
            Col::OptBig(v) => out.push_bind_param::<Array<Nullable<BigInt>>, _>(v),
            Col::Int(v) => out.push_bind_param::<Array<Integer>, _>(v),
            Col::Bytes(v) => out.push_bind_param::<Array<Binary>, _>(v),
        }
    }
}

/// One table's part: `head UNNEST(col, col, …) tail`.
struct Part {
    head: String,
    cols: Vec<Col>,
    tail: &'static str,
}

/// `INSERT INTO table (columns) SELECT * FROM `, the columns in the order of the part's arrays.
fn insert_select(table: &str, columns: &str) -> String {
    format!("INSERT INTO {table} ({columns}) SELECT * FROM ")
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

/// The trees' new records (chain, seq, the hashes its append stored) and each chain's tree after them.
pub type TreeRows<'a> = (&'a [(String, i64, Vec<u8>)], &'a HashMap<String, Tree>);

impl Flush {
    /// The batch's rows (vouchers, lines, audit events by chain); the changed totals and the
    /// counters of every locked project; the answers of the Idempotency-Keys the batch claimed,
    /// and those it claimed but did not answer (`released`), each by (user_id, key).
    pub fn new<'a>(
        v: &[VoucherRow],
        l: &[LineRow],
        e: &[(String, Event)],
        (hashes, trees): TreeRows,
        locked: impl Iterator<Item = &'a Locked> + Clone,
        answered: Vec<((String, String), Answer)>,
        released: Vec<(String, String)>,
    ) -> Flush {
        let vouchers = Part {
            head: insert_select(
                "vouchers",
                column_list!(vouchers: id, project_id, number, status, kind, date, summary, attachments, reference,
                    reserved_bank_fen, reserved_expense_fen, created_by, created_at, reverses_id, reversed_by_id, decision),
            ),
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
        let lines = Part {
            head: insert_select(
                "voucher_lines",
                column_list!(voucher_lines: voucher_id, line_no, project_id, account_code, debit_fen, credit_fen, summary,
                    classification, invoice_number, invoice_seller, invoice_seller_tax_id),
            ),
            cols: vec![
                texts(l, |r| &r.voucher_id),
                Col::Int(l.iter().map(|r| r.line_no).collect()),
                texts(l, |r| &r.project_id),
                texts(l, |r| &r.account_code),
                bigs(l, |r| r.debit_fen),
                bigs(l, |r| r.credit_fen),
                texts(l, |r| &r.summary),
                opt_texts(l, |r| &r.classification),
                opt_texts(l, |r| &r.invoice_number),
                opt_texts(l, |r| &r.invoice_seller),
                opt_texts(l, |r| &r.invoice_seller_tax_id),
            ],
            tail: "",
        };
        let events = Part {
            head: insert_select(
                "audit_events",
                column_list!(audit_events: chain_id, seq, at, actor_user_id, actor_username, actor_role, action, object, data,
                    prev_hash, hash),
            ),
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
        let tree_hashes = Part {
            head: insert_select("audit_tree", column_list!(audit_tree: chain_id, seq, hashes)),
            cols: vec![texts(hashes, |h| &h.0), bigs(hashes, |h| h.1), Col::Bytes(hashes.iter().map(|h| h.2.clone()).collect())],
            tail: "",
        };
        let tree = |chain: &String| trees.get(chain).map(|t| (t.size() as i64, t.frontier_hex())).unwrap_or_default();
        let chains = Part {
            head: "UPDATE audit_chains t SET seq = u.seq, head = u.head, tree_size = u.tree_size, tree_frontier = u.tree_frontier \
                   FROM "
                .into(),
            cols: vec![
                Col::Text(heads.iter().map(|h| h.0.clone()).collect()),
                Col::Big(heads.iter().map(|h| h.1).collect()),
                Col::Text(heads.iter().map(|h| h.2.clone()).collect()),
                Col::Big(heads.iter().map(|h| tree(h.0).0).collect()),
                Col::Text(heads.iter().map(|h| tree(h.0).1).collect()),
            ],
            tail: " AS u(chain_id, seq, head, tree_size, tree_frontier) WHERE t.chain_id = u.chain_id",
        };
        let mut totals: Vec<(String, String, i64, i64)> = Vec::new();
        for p in locked.clone() {
            totals.extend(ledger::changed_totals(p).into_iter().map(|(code, d, c)| (p.row.id.clone(), code.to_string(), d, c)));
        }
        let accounts = Part {
            head: "UPDATE accounts t SET debit_fen = u.debit_fen, credit_fen = u.credit_fen FROM ".into(),
            cols: vec![texts(&totals, |t| &t.0), texts(&totals, |t| &t.1), bigs(&totals, |t| t.2), bigs(&totals, |t| t.3)],
            tail: " AS u(project_id, code, debit_fen, credit_fen) WHERE t.project_id = u.project_id AND t.code = u.code",
        };
        let mut days: Vec<(String, String, String, i64, i64)> = Vec::new();
        for p in locked.clone() {
            days.extend(ledger::changed_days(p).into_iter().map(|(day, code, d, c)| (p.row.id.clone(), code.to_string(), day, d, c)));
        }
        let account_days = Part {
            head: insert_select("account_days", column_list!(account_days: project_id, code, day, debit_fen, credit_fen)),
            cols: vec![texts(&days, |t| &t.0), texts(&days, |t| &t.1), texts(&days, |t| &t.2), bigs(&days, |t| t.3), bigs(&days, |t| t.4)],
            tail: super::sql::ADD_TO_DAYS,
        };
        let k = &answered;
        let keys = Part {
            head: "UPDATE idempotency_keys t SET request_hash = u.request_hash, status_code = u.status_code, body = u.body, \
                   created_at = u.created_at FROM "
                .into(),
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
            head: "DELETE FROM idempotency_keys t USING ".into(),
            cols: vec![texts(&released, |r| &r.0), texts(&released, |r| &r.1)],
            tail: " AS u(user_id, key) WHERE t.user_id = u.user_id AND t.key = u.key",
        };
        let copy: Vec<[i64; 12]> = locked.clone().map(ledger::row_copy).collect();
        let mut project_cols = vec![
            Col::Text(locked.clone().map(|p| p.row.id.clone()).collect()),
            Col::Big(locked.clone().map(|p| p.row.next_voucher_no).collect()),
            Col::Big(locked.clone().map(|p| p.book.reserved.bank.fen()).collect()),
            Col::Big(locked.map(|p| p.book.reserved.expense.fen()).collect()),
        ];
        project_cols.extend((0..COPY_COLUMNS.len()).map(|i| Col::Big(copy.iter().map(|f| f[i]).collect())));
        let projects = Part {
            head: format!(
                "UPDATE projects t SET next_voucher_no = u.next_voucher_no, reserved_bank_fen = u.reserved_bank_fen, \
                 reserved_expense_fen = u.reserved_expense_fen, version = t.version + 1{} FROM ",
                COPY_COLUMNS.iter().map(|c| format!(", {c} = u.{c}")).collect::<String>()
            ),
            cols: project_cols,
            tail: projects_tail(),
        };
        Flush { parts: vec![vouchers, lines, events, tree_hashes, chains, accounts, account_days, keys, released, projects] }
    }
}

/// ` AS u(id, …) WHERE t.id = u.id`, naming the projects part's columns in its arrays' order.
fn projects_tail() -> &'static str {
    static TAIL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAIL.get_or_init(|| {
        format!(" AS u(id, next_voucher_no, reserved_bank_fen, reserved_expense_fen, {}) WHERE t.id = u.id", COPY_COLUMNS.join(", "))
    })
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
            out.push_sql(&part.head);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::{accounts, audit_chains, idempotency_keys, projects};
    use diesel::{debug_query, QueryDsl};
    use std::collections::BTreeMap;

    /// Each table's columns as the schema names them, rendered from its `all_columns`.
    fn schema_columns() -> BTreeMap<&'static str, Vec<String>> {
        fn names(select: String, table: &str) -> Vec<String> {
            let list = &select["SELECT ".len()..select.find(" FROM").unwrap()];
            list.replace(&format!("\"{table}\"."), "").replace('"', "").split(", ").map(String::from).collect()
        }
        macro_rules! tables {
            ($($t:ident),*) => { BTreeMap::from([$((
                stringify!($t),
                names(debug_query::<Pg, _>(&$t::table.select($t::all_columns)).to_string(), stringify!($t)),
            )),*]) };
        }
        tables!(vouchers, voucher_lines, audit_events, audit_tree, audit_chains, accounts, account_days, idempotency_keys, projects)
    }

    /// Every column a part names (`x = `, `t.x`, `u.x`, `AS u(x, y)`, an INSERT's list) is one of
    /// its table's: the UPDATE parts are hand-written text the compiler does not check.
    #[test]
    fn every_part_names_its_tables_columns() {
        let flush = Flush::new(&[], &[], &[], (&[], &HashMap::new()), std::iter::empty(), Vec::new(), Vec::new());
        let schema = schema_columns();
        assert_eq!(flush.parts.len(), 10);
        for part in &flush.parts {
            let text = format!("{}{}", part.head, part.tail);
            let words: Vec<&str> = text.split_whitespace().collect();
            let table = words[words.iter().position(|w| ["UPDATE", "INTO", "FROM"].contains(w)).unwrap() + 1];
            let columns = &schema[table];
            let mut named = Vec::new();
            for piece in text.split(['(', ')', ',', ' ']).filter(|p| !p.is_empty()) {
                let name = piece.strip_prefix("t.").or_else(|| piece.strip_prefix("u.")).unwrap_or(piece);
                let lower = name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if lower && name != table && name != "t" && name != "u" {
                    named.push(name);
                }
            }
            assert!(!named.is_empty(), "{text}");
            for name in named {
                assert!(columns.iter().any(|c| c == name), "{table} has no column {name}: {text}");
            }
        }
    }
}
