//! The books as the audit chain tells them, rebuilt from the chain's voucher events, and compared
//! with the books the tables hold. An insider who edits a voucher, a line or an account total in
//! the database without writing a matching (hash-linked) event makes the two disagree.
//!
//! Every voucher event since the first release carries what a rebuild needs: `voucher.posted`
//! and `voucher.pending_review` the voucher's id, number (posted only), date, `reverses` (posted
//! only) and each line's account, debit and credit in order; `voucher.approved` the number taken;
//! `voucher.declined` the id. So old chains reconcile whole; nothing had to be added to events.
use super::chart;
use super::ledger::Totals;
use super::money::Money;
use super::status::VoucherStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The first place where the tables and the chain disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Mismatch {
    /// `voucher`, `line`, `account`, `account_day`, `project` (its copy of the fixed accounts'
    /// totals and its sort keys) or `event` (an event the rebuild cannot read).
    pub table: &'static str,
    /// The voucher id, `<voucher id>/<line no>`, the account code (of `account` and `project`),
    /// `utilization_bp` or `recoverable_fen` (of `project`), `<code>/<day>`, or the event's seq.
    pub key: String,
    /// The field that differs (`value` of a sort key), or `row` when the row is missing on one side.
    pub field: &'static str,
    /// What the chain's events say; absent when the chain has no such row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// What the table holds; absent when the table has no such row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_value: Option<String>,
}

/// A voucher row as the tables hold it (the fields the chain vouches for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherFacts {
    pub id: String,
    pub number: Option<i64>,
    pub date: String,
    pub status: String,
    pub reverses: Option<String>,
    pub reversed_by: Option<String>,
}

/// A voucher line row as the tables hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFacts {
    pub voucher_id: String,
    pub line_no: i32,
    pub account: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
}

struct Voucher {
    number: Option<i64>,
    date: String,
    status: VoucherStatus,
    reverses: Option<String>,
    reversed_by: Option<String>,
    /// (account index into `Books::codes`, debit fen, credit fen): a million lines stay small.
    lines: Vec<(u32, i64, i64)>,
    seen: bool,
    /// Which lines the table showed; the table's key makes each (voucher, line no) unique.
    lines_seen: Vec<bool>,
}

/// The books rebuilt from a chain, then ticked off against the tables row by row.
#[derive(Default)]
pub struct Books {
    vouchers: HashMap<String, Voucher>,
    codes: Vec<String>,
    code_index: HashMap<String, u32>,
    /// Debit and credit fen per account code index, over vouchers in the books.
    totals: BTreeMap<u32, (i64, i64)>,
}

/// Totals as a mismatch shows them.
fn shown(debit: i64, credit: i64) -> String {
    format!("debit {} credit {}", Money::from_fen(debit), Money::from_fen(credit))
}

fn event_problem(seq: i64, what: &str) -> Mismatch {
    Mismatch { table: "event", key: seq.to_string(), field: "data", chain: Some(what.to_string()), table_value: None }
}

/// A money string of an event ("0.00" for an empty side), in fen.
fn fen(text: &str) -> Option<i64> {
    match text {
        "0" | "0.00" | "0.0" => Some(0),
        s => Money::parse_positive(s).ok().map(Money::fen),
    }
}

/// The fields of a voucher event the rebuild reads; every other field is skipped unread. A
/// missing field is `None` here and a `Mismatch` naming it in `apply_data`.
#[derive(Deserialize)]
struct VoucherData<'a> {
    #[serde(borrow)]
    voucher_id: Option<&'a str>,
    number: Option<i64>,
    #[serde(borrow)]
    date: Option<&'a str>,
    #[serde(borrow)]
    reverses: Option<&'a str>,
    #[serde(borrow)]
    lines: Option<Vec<LineData<'a>>>,
}

#[derive(Deserialize)]
struct LineData<'a> {
    #[serde(borrow)]
    account: Option<&'a str>,
    #[serde(borrow)]
    debit: Option<&'a str>,
    #[serde(borrow)]
    credit: Option<&'a str>,
}

impl Books {
    pub fn new() -> Books {
        Books::default()
    }

    fn code(&mut self, code: &str) -> u32 {
        if let Some(&i) = self.code_index.get(code) {
            return i;
        }
        let i = self.codes.len() as u32;
        self.codes.push(code.to_string());
        self.code_index.insert(code.to_string(), i);
        i
    }

    fn book(&mut self, lines: &[(u32, i64, i64)]) {
        for &(code, debit, credit) in lines {
            let t = self.totals.entry(code).or_default();
            *t = (t.0 + debit, t.1 + credit);
        }
    }

    /// Applies one event of the chain, in order, from its `data` text. Actions that change no
    /// voucher are skipped unread. The text is decoded straight into the few fields the rebuild
    /// reads, borrowed (no tree of values: that was most of a long project's reconciliation); data
    /// that decode refuses (a field of another type, an escaped string, a repeated key) goes the
    /// way of `apply`, so the answer is the same either way.
    pub fn apply_text(&mut self, seq: i64, action: &str, data: &str) -> Result<(), Mismatch> {
        if !action.starts_with("voucher.") {
            return Ok(());
        }
        match serde_json::from_str::<VoucherData<'_>>(data) {
            Ok(d) => self.apply_data(seq, action, &d),
            Err(_) => {
                let value: Value = serde_json::from_str(data).map_err(|_| event_problem(seq, "data that is not JSON"))?;
                self.apply(seq, action, &value)
            }
        }
    }

    /// Applies one event of the chain, in order. Actions that change no voucher are skipped.
    pub fn apply(&mut self, seq: i64, action: &str, data: &Value) -> Result<(), Mismatch> {
        let lines = data["lines"].as_array().map(|lines| {
            lines
                .iter()
                .map(|l| LineData { account: l["account"].as_str(), debit: l["debit"].as_str(), credit: l["credit"].as_str() })
                .collect()
        });
        let d = VoucherData {
            voucher_id: data["voucher_id"].as_str(),
            number: data["number"].as_i64(),
            date: data["date"].as_str(),
            reverses: data["reverses"].as_str(),
            lines,
        };
        self.apply_data(seq, action, &d)
    }

    fn apply_data(&mut self, seq: i64, action: &str, data: &VoucherData<'_>) -> Result<(), Mismatch> {
        let bad = |what: &str| event_problem(seq, what);
        let id = || data.voucher_id.map(str::to_string).ok_or_else(|| bad("no voucher_id"));
        match action {
            "voucher.posted" | "voucher.pending_review" => {
                let id = id()?;
                let posted = action == "voucher.posted";
                let number = if posted { Some(data.number.ok_or_else(|| bad("no number"))?) } else { None };
                let date = data.date.ok_or_else(|| bad("no date"))?.to_string();
                let reverses = if posted { data.reverses.map(str::to_string) } else { None };
                let given = data.lines.as_deref().ok_or_else(|| bad("no lines"))?;
                let mut lines = Vec::with_capacity(given.len());
                for l in given {
                    let account = l.account.ok_or_else(|| bad("a line without its account"))?;
                    let debit = l.debit.and_then(fen).ok_or_else(|| bad("a line without its debit"))?;
                    let credit = l.credit.and_then(fen).ok_or_else(|| bad("a line without its credit"))?;
                    lines.push((self.code(account), debit, credit));
                }
                if posted {
                    self.book(&lines);
                }
                if let Some(original) = &reverses {
                    let o = self.vouchers.get_mut(original).ok_or_else(|| bad("reverses a voucher the chain never posted"))?;
                    o.status = VoucherStatus::Reversed;
                    o.reversed_by = Some(id.clone());
                }
                let status = if posted { VoucherStatus::Posted } else { VoucherStatus::PendingReview };
                let lines_seen = vec![false; lines.len()];
                let v = Voucher { number, date, status, reverses, reversed_by: None, lines, seen: false, lines_seen };
                if self.vouchers.insert(id, v).is_some() {
                    return Err(bad("a voucher recorded twice"));
                }
            }
            "voucher.approved" | "voucher.declined" => {
                let id = data.voucher_id.ok_or_else(|| bad("no voucher_id"))?;
                let v = self.vouchers.get_mut(id).ok_or_else(|| bad("decides a voucher the chain never held"))?;
                if action == "voucher.approved" {
                    v.status = VoucherStatus::Posted;
                    v.number = Some(data.number.ok_or_else(|| bad("no number"))?);
                    let lines = std::mem::take(&mut v.lines);
                    self.book(&lines);
                    self.vouchers.get_mut(id).expect("just found").lines = lines;
                } else {
                    v.status = VoucherStatus::Declined;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Ticks off one voucher row; a row the chain does not know, or one that differs, is a mismatch.
    pub fn voucher(&mut self, row: &VoucherFacts) -> Result<(), Mismatch> {
        let differ = |field: &'static str, chain: Option<String>, table: Option<String>| {
            Err(Mismatch { table: "voucher", key: row.id.clone(), field, chain, table_value: table })
        };
        let Some(v) = self.vouchers.get_mut(&row.id) else {
            return differ("row", None, Some(format!("number {:?}, {}", row.number, row.status)));
        };
        v.seen = true;
        let show = |n: Option<i64>| n.map(|n| n.to_string());
        if v.number != row.number {
            return differ("number", show(v.number), show(row.number));
        }
        if v.date != row.date {
            return differ("date", Some(v.date.clone()), Some(row.date.clone()));
        }
        if v.status.as_str() != row.status {
            return differ("status", Some(v.status.as_str().to_string()), Some(row.status.clone()));
        }
        if v.reverses != row.reverses {
            return differ("reverses", v.reverses.clone(), row.reverses.clone());
        }
        if v.reversed_by != row.reversed_by {
            return differ("reversed_by", v.reversed_by.clone(), row.reversed_by.clone());
        }
        Ok(())
    }

    /// Ticks off one line row, in any order. Nothing is formatted unless the row differs: a
    /// million rows that agree allocate nothing here.
    pub fn line(&mut self, row: &LineFacts) -> Result<(), Mismatch> {
        let key = || format!("{}/{}", row.voucher_id, row.line_no);
        let shown = |account: &str, debit: i64, credit: i64| {
            format!("{account} debit {} credit {}", Money::from_fen(debit), Money::from_fen(credit))
        };
        let found = || Some(shown(&row.account, row.debit_fen, row.credit_fen));
        let lost = || Mismatch { table: "line", key: key(), field: "row", chain: None, table_value: found() };
        let Some(v) = self.vouchers.get_mut(&row.voucher_id) else {
            return Err(lost());
        };
        let index = usize::try_from(row.line_no - 1).ok().filter(|&i| i < v.lines.len());
        let Some(index) = index else {
            return Err(lost());
        };
        let (code, debit, credit) = v.lines[index];
        v.lines_seen[index] = true;
        let account = &self.codes[code as usize];
        let field = if *account != row.account {
            "account"
        } else if debit != row.debit_fen {
            "debit"
        } else if credit != row.credit_fen {
            "credit"
        } else {
            return Ok(());
        };
        Err(Mismatch { table: "line", key: key(), field, chain: Some(shown(account, debit, credit)), table_value: found() })
    }

    /// After every voucher and line row: a voucher or a line the chain holds and the tables lost.
    pub fn missing_rows(&self) -> Result<(), Mismatch> {
        let lost_line = |v: &Voucher| v.lines_seen.iter().position(|seen| !seen);
        let mut lost: Vec<(&String, &Voucher)> = self.vouchers.iter().filter(|(_, v)| !v.seen || lost_line(v).is_some()).collect();
        lost.sort_by_key(|(id, v)| (v.number, id.as_str()));
        let Some((id, v)) = lost.first() else { return Ok(()) };
        let (table, key) = match (v.seen, lost_line(v)) {
            (true, Some(i)) => ("line", format!("{id}/{}", i + 1)),
            _ => ("voucher", id.to_string()),
        };
        let chain = Some(format!("number {:?}, {}", v.number, v.status.as_str()));
        Err(Mismatch { table, key, field: "row", chain, table_value: None })
    }

    /// Compares the stored totals of every account, `(code, debit fen, credit fen)`, with the
    /// sums of the lines of the vouchers in the books; an account the chain moved but the table
    /// lacks is reported too.
    pub fn accounts(&self, stored: &[(String, i64, i64)]) -> Result<(), Mismatch> {
        for (code, debit, credit) in stored {
            self.totals_of("account", code, *debit, *credit)?;
        }
        for (&i, &(d, c)) in &self.totals {
            let code = &self.codes[i as usize];
            if !stored.iter().any(|(s, _, _)| s == code) {
                return Err(Mismatch { table: "account", key: code.clone(), field: "row", chain: Some(shown(d, c)), table_value: None });
            }
        }
        Ok(())
    }

    /// Compares the project row's copy of the fixed accounts' totals, `(code, debit fen, credit
    /// fen)`, with the sums of the lines: the figures the portfolio reads.
    pub fn project_copy(&self, stored: &[(&str, i64, i64)]) -> Result<(), Mismatch> {
        for (code, debit, credit) in stored {
            self.totals_of("project", code, *debit, *credit)?;
        }
        Ok(())
    }

    /// Compares the project row's sort keys, `[utilization_bp, recoverable_fen]`, with what the
    /// chain's totals of the fixed accounts and the grant give (`statement::sort_keys`): what the
    /// portfolio orders by. A differing key is named by its column, the field `value`.
    pub fn project_keys(&self, grant: Money, stored: [i64; 2]) -> Result<(), Mismatch> {
        let fixed = chart::FIXED_CODES.map(|code| {
            let (debit, credit) = self.code_index.get(code).and_then(|i| self.totals.get(i)).copied().unwrap_or((0, 0));
            Totals { debit: Money::from_fen(debit), credit: Money::from_fen(credit) }
        });
        let expected = super::statement::sort_keys(grant, fixed);
        for ((column, want), have) in ["utilization_bp", "recoverable_fen"].into_iter().zip(expected).zip(stored) {
            if want != have {
                let (chain, table_value) = (Some(want.to_string()), Some(have.to_string()));
                return Err(Mismatch { table: "project", key: column.to_string(), field: "value", chain, table_value });
            }
        }
        Ok(())
    }

    /// An account's totals as `table` holds them against the sums of the lines.
    fn totals_of(&self, table: &'static str, code: &str, debit: i64, credit: i64) -> Result<(), Mismatch> {
        let expected = self.code_index.get(code).and_then(|i| self.totals.get(i)).copied().unwrap_or((0, 0));
        if expected == (debit, credit) {
            return Ok(());
        }
        let field = if expected.0 != debit { "debit" } else { "credit" };
        let (chain, table_value) = (Some(shown(expected.0, expected.1)), Some(shown(debit, credit)));
        Err(Mismatch { table, key: code.to_string(), field, chain, table_value })
    }

    /// Compares every account's days as stored, `(code, day, debit fen, credit fen)`, with the sums
    /// of the lines of the vouchers in the books by their date: the figures a past `as_of` reads.
    pub fn days(&self, stored: &[(String, String, i64, i64)]) -> Result<(), Mismatch> {
        // (code, day) → (the chain's sums, the table's row), walked in order so the earliest
        // day that differs is the one reported.
        type Sides = (Option<(i64, i64)>, Option<(i64, i64)>);
        let mut both: BTreeMap<(&str, &str), Sides> = BTreeMap::new();
        for v in self.vouchers.values().filter(|v| VoucherStatus::IN_BOOKS.contains(&v.status)) {
            for &(code, debit, credit) in &v.lines {
                let t = both.entry((self.codes[code as usize].as_str(), v.date.as_str())).or_default().0.get_or_insert((0, 0));
                *t = (t.0 + debit, t.1 + credit);
            }
        }
        for (code, day, debit, credit) in stored {
            both.entry((code.as_str(), day.as_str())).or_default().1 = Some((*debit, *credit));
        }
        let shown = |(d, c): (i64, i64)| format!("debit {} credit {}", Money::from_fen(d), Money::from_fen(c));
        for ((code, day), (chain, table)) in both {
            let field = match (chain, table) {
                (Some(_), None) => "row",
                (chain, Some(t)) if chain.unwrap_or((0, 0)) != t => {
                    if chain.unwrap_or((0, 0)).0 != t.0 {
                        "debit"
                    } else {
                        "credit"
                    }
                }
                _ => continue,
            };
            let (chain, table_value) = (Some(shown(chain.unwrap_or((0, 0)))), table.map(shown));
            return Err(Mismatch { table: "account_day", key: format!("{code}/{day}"), field, chain, table_value });
        }
        Ok(())
    }

    /// Vouchers the chain holds.
    pub fn vouchers(&self) -> usize {
        self.vouchers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn posted(id: &str, number: i64, reverses: Option<&str>, lines: Value) -> Value {
        json!({"voucher_id": id, "number": number, "date": "2025-03-05", "reverses": reverses, "lines": lines})
    }

    fn books() -> Books {
        let mut b = Books::new();
        let pay = json!([{"account": "5101", "debit": "10.00", "credit": "0.00"}, {"account": "1002", "debit": "0.00", "credit": "10.00"}]);
        let back =
            json!([{"account": "5101", "debit": "0.00", "credit": "10.00"}, {"account": "1002", "debit": "10.00", "credit": "0.00"}]);
        b.apply(1, "project.registered", &json!({})).unwrap();
        b.apply(2, "voucher.posted", &posted("a", 1, None, pay.clone())).unwrap();
        b.apply(3, "voucher.posted", &posted("b", 2, Some("a"), back)).unwrap();
        b.apply(4, "voucher.pending_review", &json!({"voucher_id": "c", "date": "2025-03-06", "lines": pay})).unwrap();
        b.apply(5, "voucher.approved", &json!({"voucher_id": "c", "number": 3})).unwrap();
        b
    }

    fn row(id: &str, number: i64, status: &str, reverses: Option<&str>, reversed_by: Option<&str>) -> VoucherFacts {
        let date = if id == "c" { "2025-03-06" } else { "2025-03-05" };
        VoucherFacts {
            id: id.into(),
            number: Some(number),
            date: date.into(),
            status: status.into(),
            reverses: reverses.map(Into::into),
            reversed_by: reversed_by.map(Into::into),
        }
    }

    fn line(v: &str, no: i32, account: &str, debit_fen: i64, credit_fen: i64) -> LineFacts {
        LineFacts { voucher_id: v.into(), line_no: no, account: account.into(), debit_fen, credit_fen }
    }

    /// An account's stored totals: (code, debit fen, credit fen).
    type Totals = Vec<(String, i64, i64)>;

    fn tables() -> (Vec<VoucherFacts>, Vec<LineFacts>, Totals) {
        let vouchers =
            vec![row("a", 1, "reversed", None, Some("b")), row("b", 2, "posted", Some("a"), None), row("c", 3, "posted", None, None)];
        let lines = vec![
            line("a", 1, "5101", 1000, 0),
            line("a", 2, "1002", 0, 1000),
            line("b", 1, "5101", 0, 1000),
            line("b", 2, "1002", 1000, 0),
            line("c", 1, "5101", 1000, 0),
            line("c", 2, "1002", 0, 1000),
        ];
        (vouchers, lines, vec![("1002".into(), 1000, 2000), ("5101".into(), 2000, 1000), ("1001".into(), 0, 0)])
    }

    fn compare(v: &[VoucherFacts], l: &[LineFacts], a: &[(String, i64, i64)]) -> Result<(), Mismatch> {
        let mut b = books();
        v.iter().try_for_each(|r| b.voucher(r))?;
        l.iter().try_for_each(|r| b.line(r))?;
        b.missing_rows()?;
        b.accounts(a)
    }

    #[test]
    fn intact_books_reconcile() {
        let (v, l, a) = tables();
        assert_eq!(compare(&v, &l, &a), Ok(()));
    }

    #[test]
    fn each_edit_is_the_first_mismatch() {
        let (v, mut l, a) = tables();
        l[4].debit_fen += 10_000_000;
        let m = compare(&v, &l, &a).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field), ("line", "c/1", "debit"));

        let (mut v, l, a) = tables();
        v[0].status = "posted".into();
        v[0].reversed_by = None;
        let m = compare(&v, &l, &a).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field), ("voucher", "a", "status"));

        let (mut v, mut l, a) = tables();
        v.remove(2);
        l.truncate(4);
        let m = compare(&v, &l, &a).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field, m.table_value), ("voucher", "c", "row", None));

        let (v, l, mut a) = tables();
        a[1].1 += 1;
        let m = compare(&v, &l, &a).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field), ("account", "5101", "debit"));

        let (mut v, l, a) = tables();
        v.push(row("x", 4, "posted", None, None));
        let m = compare(&v, &l, &a).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field, m.chain), ("voucher", "x", "row", None));

        let (v, mut l, a) = tables();
        l.remove(1);
        let m = compare(&v, &l, &a).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field), ("line", "a/2", "row"));
    }

    /// The typed decode and the tree of values rebuild the same books, and refuse the same
    /// events with the same words: data the decode refuses (escapes, other types, repeated keys)
    /// takes the other path.
    #[test]
    fn data_text_reads_as_its_value_does() {
        let cases = [
            r#"{"voucher_id":"a","number":1,"date":"2025-03-05","reverses":null,"kind":"expense","summary":"买\"书\"","lines":[{"account":"5101","debit":"10.00","credit":"0.00","summary":"x"}]}"#,
            r#"{"voucher_id":"\u0061","number":1,"date":"2025-03-05","lines":[{"account":"5101","debit":"10.00","credit":"0"}]}"#,
            r#"{"voucher_id":"a","number":"1","date":"2025-03-05","lines":[]}"#,
            r#"{"voucher_id":"a","number":1,"number":2,"date":"2025-03-05","lines":[]}"#,
            r#"{"voucher_id":"a","number":1,"date":"2025-03-05","lines":[{"account":"5101","debit":10,"credit":"0.00"}]}"#,
            r#"{"voucher_id":"a","number":1,"lines":[]}"#,
            r#"{"voucher_id":"a","number":1,"date":"2025-03-05","lines":{}}"#,
            r#"{"voucher_id":"a","number":1,"date":"2025-03-05","reverses":"zz","lines":[]}"#,
        ];
        for (i, text) in cases.iter().enumerate() {
            for action in ["voucher.posted", "voucher.pending_review", "voucher.approved", "project.registered"] {
                let (mut typed, mut valued) = (Books::new(), Books::new());
                let value: Value = serde_json::from_str(text).unwrap();
                let (a, b) = (typed.apply_text(3, action, text), valued.apply(3, action, &value));
                assert_eq!(a, b, "case {i}, {action}");
                let summary = |b: &Books| {
                    let mut v: Vec<_> = b.vouchers.iter().map(|(id, v)| (id.clone(), v.number, v.date.clone(), v.lines.clone())).collect();
                    v.sort();
                    (v, b.totals.clone())
                };
                assert_eq!(summary(&typed), summary(&valued), "case {i}, {action}");
            }
        }
        let m = Books::new().apply_text(9, "voucher.posted", "{not json").unwrap_err();
        assert_eq!((m.table, m.key.as_str()), ("event", "9"));
    }

    #[test]
    fn a_document_attached_to_a_voucher_changes_nothing_the_books_rebuild() {
        let mut b = books();
        let data = json!({"attachment_id": "d", "voucher_id": "a", "sha256": "9f86", "size": 4, "filename": "收据.pdf", "kind": "receipt"});
        assert_eq!(b.apply(6, "attachment.added", &data), Ok(()));
        let (v, l, a) = tables();
        v.iter().try_for_each(|r| b.voucher(r)).unwrap();
        l.iter().try_for_each(|r| b.line(r)).unwrap();
        assert_eq!(b.missing_rows().and_then(|()| b.accounts(&a)), Ok(()));
        assert_eq!(b.vouchers(), 3);
    }

    /// The project row's copy of the fixed accounts: checked like the accounts, an edited side
    /// named, an account the chain never moved expected at zero.
    #[test]
    fn the_project_rows_copy_is_checked_like_the_accounts() {
        let intact = [("1002", 1000, 2000), ("2401", 0, 0)];
        assert_eq!(books().project_copy(&intact), Ok(()));
        let m = books().project_copy(&[("1002", 1000, 1999)]).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field), ("project", "1002", "credit"));
        assert_eq!((m.chain.as_deref(), m.table_value.as_deref()), (Some("debit 10.00 credit 20.00"), Some("debit 10.00 credit 19.99")));
        let m = books().project_copy(&[("2401", 1, 0)]).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field), ("project", "2401", "debit"));
    }

    /// The row's sort keys: what the chain's fixed accounts and the grant give, an edited one
    /// named by its column.
    #[test]
    fn the_project_rows_sort_keys_are_checked_against_the_chains_totals() {
        let b = books();
        let fixed = chart::FIXED_CODES.map(|code| {
            let (debit, credit) = b.code_index.get(code).and_then(|i| b.totals.get(i)).copied().unwrap_or((0, 0));
            crate::domain::ledger::Totals { debit: Money::from_fen(debit), credit: Money::from_fen(credit) }
        });
        let grant = Money::from_fen(5000);
        let keys = super::super::statement::sort_keys(grant, fixed);
        assert_eq!(b.project_keys(grant, keys), Ok(()));
        let m = b.project_keys(grant, [keys[0] + 1, keys[1]]).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field), ("project", "utilization_bp", "value"));
        let m = b.project_keys(grant, [keys[0], keys[1] - 1]).unwrap_err();
        assert_eq!((m.key.as_str(), m.table_value), ("recoverable_fen", Some((keys[1] - 1).to_string())));
    }

    /// Each account's days: what the books moved on the vouchers' dates, a reversal and an
    /// approval included; a day edited, moved or lost is named.
    #[test]
    fn account_days_are_checked_against_the_vouchers_dates() {
        let days = |rows: &[(&str, &str, i64, i64)]| -> Vec<(String, String, i64, i64)> {
            rows.iter().map(|(c, d, x, y)| (c.to_string(), d.to_string(), *x, *y)).collect()
        };
        let intact = [
            ("1002", "2025-03-05", 1000, 1000),
            ("1002", "2025-03-06", 0, 1000),
            ("5101", "2025-03-05", 1000, 1000),
            ("5101", "2025-03-06", 1000, 0),
        ];
        assert_eq!(books().days(&days(&intact)), Ok(()));
        let mut edited = intact;
        edited[3].2 = 100_001_000;
        let m = books().days(&days(&edited)).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field), ("account_day", "5101/2025-03-06", "debit"));
        let mut moved = intact;
        moved[3].1 = "2025-03-07";
        let m = books().days(&days(&moved)).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field, m.table_value), ("account_day", "5101/2025-03-06", "row", None));
        let mut added = intact.to_vec();
        added.push(("5101", "2025-03-07", 0, 5));
        let m = books().days(&days(&added)).unwrap_err();
        assert_eq!(
            (m.table, m.key.as_str(), m.field, m.chain),
            ("account_day", "5101/2025-03-07", "credit", Some("debit 0.00 credit 0.00".into()))
        );
        let m = books().days(&days(&intact[..3])).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.field, m.table_value), ("account_day", "5101/2025-03-06", "row", None));
    }

    #[test]
    fn an_event_the_rebuild_cannot_read_is_named() {
        let mut b = Books::new();
        let m = b.apply(7, "voucher.posted", &json!({"voucher_id": "a", "number": 1, "date": "2025-03-05"})).unwrap_err();
        assert_eq!((m.table, m.key.as_str(), m.chain.as_deref()), ("event", "7", Some("no lines")));
    }
}
