//! The whole journal of one project as text other bookkeeping tools read: beancount, the
//! ledger-cli / hledger journal format, and CSV rows. Pure rendering: no HTTP, no storage.
//!
//! Both plain-text formats end with balance assertions equal to the service's own account totals,
//! so `bean-check`, `hledger check` and `ledger balance` fail if the journal and the service differ.
//! Amounts are signed from the debit view in both (debit positive, credit negative), so a
//! credit-side account's assertion is the negative of its contract balance.
use super::chart::{self, AccountDef, Side};
use super::kind::{ProjectKind, VoucherKind};
use super::ledger::Totals;
use super::money::Money;
use super::status::ProjectStatus;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fmt::Write;

pub const CURRENCY: &str = "CNY";

/// The CSV header, one row per journal line.
/// The invoice a line pays comes last, so that readers of the first nine columns read on unchanged.
pub const CSV_HEADER: [&str; 12] = [
    "date",
    "number",
    "voucher_id",
    "kind",
    "account",
    "account_name",
    "debit",
    "credit",
    "summary",
    "invoice_number",
    "invoice_seller",
    "invoice_seller_tax_id",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Beancount,
    Ledger,
    Csv,
}

impl ExportFormat {
    pub const NAMES: [&'static str; 3] = ["beancount", "ledger", "csv"];

    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "beancount" => Some(ExportFormat::Beancount),
            "ledger" => Some(ExportFormat::Ledger),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Beancount => "beancount",
            ExportFormat::Ledger => "ledger",
            ExportFormat::Csv => "csv",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProjectMeta {
    pub id: String,
    pub name: String,
    pub kind: ProjectKind,
    pub status: ProjectStatus,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub grant: Money,
}

#[derive(Debug, Clone)]
pub struct ExportLine {
    pub code: String,
    pub debit: Money,
    pub credit: Money,
    pub summary: String,
    /// The invoice the line pays, if it names one: number, seller, seller's credit code.
    pub invoice: Option<(String, String, String)>,
}

impl ExportLine {
    /// The amount as both text formats write it: debit positive, credit negative.
    pub fn signed(&self) -> Money {
        self.debit - self.credit
    }
}

#[derive(Debug, Clone)]
pub struct ExportVoucher {
    pub id: String,
    pub number: i64,
    pub kind: VoucherKind,
    pub date: NaiveDate,
    pub summary: String,
    /// The id of the voucher this one reverses (red-ink reversal), if any.
    pub reverses: Option<String>,
    pub lines: Vec<ExportLine>,
}

/// A project's posted journal (vouchers in date then number order) and its final account totals.
#[derive(Debug, Clone)]
pub struct Journal {
    pub project: ProjectMeta,
    pub chart: Vec<AccountDef>,
    pub vouchers: Vec<ExportVoucher>,
    pub totals: BTreeMap<String, Totals>,
}

/// An account as the text formats name it, e.g. `Assets:Bank:A1002`, `Expenses:Project:A500101`.
/// Valid for beancount (capitalised ASCII components) and for ledger / hledger alike.
pub fn account_name(code: &str, side: Side) -> String {
    let group = match code {
        chart::BANK => "Assets:Bank",
        chart::GRANT_RECEIVABLE => "Assets:Receivable",
        chart::PAYABLES => "Liabilities:Payable",
        chart::REFUND_OWED => "Liabilities:Refund",
        chart::GRANT_FUND => "Equity:Grant",
        c if chart::is_expenditure(c) => "Expenses:Project",
        // Every posted code is in the chart (the ledger refuses others); this only names the group.
        _ => match side {
            Side::Debit => "Assets:Other",
            Side::Credit => "Liabilities:Other",
        },
    };
    let safe: String = code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    format!("{group}:A{safe}")
}

struct Account {
    code: String,
    name: String,
    side: Side,
    /// Debit total minus credit total: what the tools compute for the account.
    signed_balance: Money,
    /// The balance as the contract reports it (on the account's own side).
    balance: Money,
}

impl Journal {
    /// Every account of the chart, then any other code the journal or the totals name.
    fn accounts(&self) -> Vec<Account> {
        let mut defs: Vec<(String, String, Side)> = self.chart.iter().map(|a| (a.code.clone(), a.name.clone(), a.side)).collect();
        let extra = self.vouchers.iter().flat_map(|v| v.lines.iter().map(|l| l.code.clone())).chain(self.totals.keys().cloned());
        for code in extra {
            if !defs.iter().any(|(c, _, _)| *c == code) {
                defs.push((code.clone(), code.clone(), self.side_of(&code)));
            }
        }
        defs.into_iter()
            .map(|(code, name, side)| {
                let t = self.totals.get(&code).copied().unwrap_or_default();
                Account { signed_balance: t.debit - t.credit, balance: t.balance(side), code, name, side }
            })
            .collect()
    }

    fn side_of(&self, code: &str) -> Side {
        chart::side_of(&self.chart, code)
    }

    fn name_of(&self, code: &str) -> String {
        account_name(code, self.side_of(code))
    }

    /// Accounts open from the project start (or an earlier voucher, should there be one).
    pub fn open_date(&self) -> NaiveDate {
        self.vouchers.iter().map(|v| v.date).min().map_or(self.project.start, |d| d.min(self.project.start))
    }

    /// The balance assertions' date: the day after the last voucher, because beancount checks a
    /// `balance` at the start of its day (and so the assertions follow every entry in all tools).
    pub fn assertion_date(&self) -> NaiveDate {
        self.vouchers.iter().map(|v| v.date).max().and_then(|d| d.succ_opt()).unwrap_or(self.open_date())
    }
}

/// A beancount double-quoted string: backslashes, quotes and line breaks escaped (beancount reads
/// `\n`, `\r`, `\t` back as the characters), other control characters written as spaces.
pub fn beancount_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A description on a ledger / hledger transaction line: no line breaks or control characters,
/// and no `;` (hledger starts a comment there); it becomes its full-width form `；`.
pub fn ledger_description(s: &str) -> String {
    one_line(s, |c| c == ';')
}

/// Text in a ledger / hledger comment: as a description, and no `:` either (in a comment `word:`
/// is a tag and `word::` an expression ledger evaluates); it becomes its full-width form `：`.
pub fn ledger_comment(s: &str) -> String {
    one_line(s, |c| c == ';' || c == ':')
}

fn one_line(s: &str, widen: impl Fn(char) -> bool) -> String {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            c if widen(c) => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(' '),
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A beancount link: `^` then letters, digits and `-_/.` only.
fn link(id: &str) -> String {
    let safe: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.')).collect();
    format!("^fundledger-{safe}")
}

fn voucher_label(number: i64) -> String {
    format!("记字第{number}号")
}

/// The journal in beancount syntax (checked with `bean-check`).
pub fn beancount(j: &Journal) -> String {
    let accounts = j.accounts();
    let p = &j.project;
    let open = j.open_date();
    let mut o = String::new();
    let _ = writeln!(o, "; fundledger export: project {} ({})", ledger_comment(&p.name), p.id);
    let _ = writeln!(o, "; kind {}, status {}, period {} to {}, grant {} {CURRENCY}", p.kind, p.status, p.start, p.end, p.grant);
    let _ = writeln!(o, "; Amounts are debit-positive; the closing balance assertions equal the service's balances.");
    let _ = writeln!(o, "option \"title\" {}", beancount_str(&p.name));
    let _ = writeln!(o, "option \"operating_currency\" \"{CURRENCY}\"");
    let _ = writeln!(o);
    let _ = writeln!(o, "{open} commodity {CURRENCY}");
    let _ = writeln!(o);
    for a in &accounts {
        let _ = writeln!(o, "{open} open {} {CURRENCY}", account_name(&a.code, a.side));
        let _ = writeln!(o, "  code: \"{}\"", a.code);
        let _ = writeln!(o, "  name: {}", beancount_str(&a.name));
        let _ = writeln!(o, "  side: \"{}\"", a.side.as_str());
    }
    for v in &j.vouchers {
        let _ = writeln!(o);
        let mut links = link(&v.id);
        if let Some(r) = &v.reverses {
            links = format!("{links} {}", link(r));
        }
        let _ = writeln!(o, "{} * {} {} {links}", v.date, beancount_str(&voucher_label(v.number)), beancount_str(&v.summary));
        let _ = writeln!(o, "  voucher: {}", v.number);
        let _ = writeln!(o, "  voucher_id: {}", beancount_str(&v.id));
        let _ = writeln!(o, "  kind: {}", beancount_str(v.kind.as_str()));
        if let Some(r) = &v.reverses {
            let _ = writeln!(o, "  reverses: {}", beancount_str(r));
        }
        for l in &v.lines {
            let _ = writeln!(o, "  {}  {} {CURRENCY}", j.name_of(&l.code), l.signed());
            if !l.summary.is_empty() {
                let _ = writeln!(o, "    summary: {}", beancount_str(&l.summary));
            }
        }
    }
    let _ = writeln!(o);
    // An explicit zero tolerance: beancount would otherwise accept a 2-decimal amount ±0.01 off.
    let _ =
        writeln!(o, "; Closing balances as the service reports them, exact to the fen (checked at the start of {}).", j.assertion_date());
    for a in &accounts {
        let _ = writeln!(
            o,
            "{} balance {}  {} ~ 0.00 {CURRENCY}  ; {} balance {}",
            j.assertion_date(),
            account_name(&a.code, a.side),
            a.signed_balance,
            a.side.as_str(),
            a.balance
        );
    }
    o
}

/// The journal in the ledger-cli / hledger format (checked with `hledger check` and `ledger balance`).
pub fn ledger(j: &Journal) -> String {
    let accounts = j.accounts();
    let p = &j.project;
    let mut o = String::new();
    let _ = writeln!(o, "; fundledger export: project {} ({})", ledger_comment(&p.name), p.id);
    let _ = writeln!(o, "; kind {}, status {}, period {} to {}, grant {} {CURRENCY}", p.kind, p.status, p.start, p.end, p.grant);
    let _ = writeln!(o, "; Amounts are debit-positive; the closing balance assertions equal the service's balances.");
    let _ = writeln!(o);
    // Declared commodity, tags and accounts: `hledger check --strict`, `ledger --pedantic` pass.
    let _ = writeln!(o, "commodity {CURRENCY}");
    let _ = writeln!(o);
    for tag in ["voucher_id", "kind", "reverses"] {
        let _ = writeln!(o, "tag {tag}");
    }
    let _ = writeln!(o);
    for a in &accounts {
        let _ = writeln!(o, "account {}", account_name(&a.code, a.side));
        let _ = writeln!(o, "    ; {} {} ({})", a.code, ledger_comment(&a.name), a.side.as_str());
    }
    for v in &j.vouchers {
        let _ = writeln!(o);
        let _ = writeln!(o, "{} * ({}) {}", v.date, v.number, ledger_description(&format!("{} {}", voucher_label(v.number), v.summary)));
        let _ = writeln!(o, "    ; voucher_id: {}", ledger_comment(&v.id));
        let _ = writeln!(o, "    ; kind: {}", ledger_comment(v.kind.as_str()));
        if let Some(r) = &v.reverses {
            let _ = writeln!(o, "    ; reverses: {}", ledger_comment(r));
        }
        for l in &v.lines {
            let _ = write!(o, "    {}  {} {CURRENCY}", j.name_of(&l.code), l.signed());
            let summary = ledger_comment(&l.summary);
            if !summary.is_empty() {
                let _ = write!(o, "  ; {summary}");
            }
            let _ = writeln!(o);
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "{} * 期末余额 closing balances as the service reports them", j.assertion_date());
    for a in &accounts {
        let _ = writeln!(
            o,
            "    {}  0.00 {CURRENCY} = {} {CURRENCY}  ; {} balance {}",
            account_name(&a.code, a.side),
            a.signed_balance,
            a.side.as_str(),
            a.balance
        );
    }
    o
}

/// One CSV row per journal line, in journal order (see `CSV_HEADER`).
pub fn csv_rows(j: &Journal) -> Vec<Vec<String>> {
    let names: BTreeMap<&str, &str> = j.chart.iter().map(|a| (a.code.as_str(), a.name.as_str())).collect();
    j.vouchers
        .iter()
        .flat_map(|v| {
            v.lines.iter().map(|l| {
                vec![
                    v.date.to_string(),
                    v.number.to_string(),
                    v.id.clone(),
                    v.kind.as_str().to_string(),
                    l.code.clone(),
                    names.get(l.code.as_str()).map(|n| n.to_string()).unwrap_or_default(),
                    l.debit.to_string(),
                    l.credit.to_string(),
                    l.summary.clone(),
                    l.invoice.as_ref().map(|i| i.0.clone()).unwrap_or_default(),
                    l.invoice.as_ref().map(|i| i.1.clone()).unwrap_or_default(),
                    l.invoice.as_ref().map(|i| i.2.clone()).unwrap_or_default(),
                ]
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn def(code: &str, name: &str, side: Side) -> AccountDef {
        AccountDef { code: code.into(), name: name.into(), side, category: None }
    }

    fn line(code: &str, debit: i64, credit: i64, summary: &str) -> ExportLine {
        ExportLine {
            code: code.into(),
            debit: Money::from_fen(debit),
            credit: Money::from_fen(credit),
            summary: summary.into(),
            invoice: None,
        }
    }

    fn voucher(n: i64, date: &str, summary: &str, lines: Vec<ExportLine>) -> ExportVoucher {
        ExportVoucher {
            id: format!("v-{n}"),
            number: n,
            kind: VoucherKind::Expense,
            date: d(date),
            summary: summary.into(),
            reverses: None,
            lines,
        }
    }

    /// Allocation 1000.00, disbursement 600.00, an expense of 123.45 with a quote and a newline.
    fn journal() -> Journal {
        let vouchers = vec![
            voucher(1, "2025-03-01", "拨款", vec![line("1221", 100_000, 0, "应收"), line("2401", 0, 100_000, "补助")]),
            voucher(2, "2025-03-05", "拨付", vec![line("1002", 60_000, 0, ""), line("1221", 0, 60_000, "")]),
            voucher(
                3,
                "2025-04-30",
                "买\"车床\"\n第二行; x:: y",
                vec![line("500101", 12_345, 0, "车床 \"A\"\\型"), line("1002", 0, 12_345, "付款;备注")],
            ),
        ];
        let mut totals = BTreeMap::new();
        for v in &vouchers {
            for l in &v.lines {
                let t: &mut Totals = totals.entry(l.code.clone()).or_default();
                t.debit = t.debit + l.debit;
                t.credit = t.credit + l.credit;
            }
        }
        Journal {
            project: ProjectMeta {
                id: "p1".into(),
                name: "基地 \"一\"".into(),
                kind: ProjectKind::Base,
                status: ProjectStatus::Active,
                start: d("2025-03-01"),
                end: d("2027-02-28"),
                grant: Money::from_fen(100_000),
            },
            chart: vec![
                def("1002", "银行存款—项目专户", Side::Debit),
                def("1221", "应收补助资金", Side::Debit),
                def("2202", "应付账款", Side::Credit),
                def("2241", "应退财政资金", Side::Credit),
                def("2401", "项目补助资金", Side::Credit),
                def("500101", "项目支出—实训设备", Side::Debit),
            ],
            vouchers,
            totals,
        }
    }

    fn valid_beancount_account(name: &str) -> bool {
        let mut parts = name.split(':');
        let root = parts.next().unwrap_or("");
        ["Assets", "Liabilities", "Equity", "Income", "Expenses"].contains(&root)
            && parts.clone().count() >= 1
            && parts.all(|p| {
                p.chars().next().is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                    && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    }

    #[test]
    fn account_names_are_valid_and_fixed() {
        assert_eq!(account_name("1002", Side::Debit), "Assets:Bank:A1002");
        assert_eq!(account_name("1221", Side::Debit), "Assets:Receivable:A1221");
        assert_eq!(account_name("2202", Side::Credit), "Liabilities:Payable:A2202");
        assert_eq!(account_name("2241", Side::Credit), "Liabilities:Refund:A2241");
        assert_eq!(account_name("2401", Side::Credit), "Equity:Grant:A2401");
        assert_eq!(account_name("500101", Side::Debit), "Expenses:Project:A500101");
        for code in ["1002", "1221", "2202", "2241", "2401", "500115", "1999", "2999", "4001", "6001", "x y", "中文"] {
            for side in [Side::Debit, Side::Credit] {
                let n = account_name(code, side);
                assert!(valid_beancount_account(&n), "{n}");
            }
        }
    }

    #[test]
    fn assertions_are_dated_the_day_after_the_last_voucher() {
        let j = journal();
        assert_eq!(j.open_date(), d("2025-03-01"));
        assert_eq!(j.assertion_date(), d("2025-05-01"));
        let text = beancount(&j);
        assert!(text.contains("2025-05-01 balance Assets:Bank:A1002  476.55 ~ 0.00 CNY"), "{text}");
        assert!(!text.contains("2025-04-30 balance"));
        assert!(text.contains("2025-03-01 open Assets:Bank:A1002 CNY"));
        let l = ledger(&j);
        assert!(l.contains("2025-05-01 * 期末余额"), "{l}");
        // Without vouchers the assertions (all zero) fall on the opening date.
        let empty = Journal { vouchers: vec![], totals: BTreeMap::new(), ..journal() };
        assert_eq!(empty.assertion_date(), d("2025-03-01"));
        assert!(beancount(&empty).contains("2025-03-01 balance Equity:Grant:A2401  0.00 ~ 0.00 CNY"));
    }

    #[test]
    fn amounts_are_signed_from_the_debit_view() {
        let j = journal();
        let b = beancount(&j);
        // A credit-side account's assertion is the negative of its contract balance.
        assert!(b.contains("balance Equity:Grant:A2401  -1000.00 ~ 0.00 CNY  ; credit balance 1000.00"), "{b}");
        assert!(b.contains("balance Assets:Receivable:A1221  400.00 ~ 0.00 CNY  ; debit balance 400.00"), "{b}");
        assert!(b.contains("balance Expenses:Project:A500101  123.45 ~ 0.00 CNY"), "{b}");
        assert!(b.contains("balance Liabilities:Payable:A2202  0.00 ~ 0.00 CNY"), "{b}");
        assert!(b.contains("  Assets:Bank:A1002  -123.45 CNY\n"), "{b}");
        assert!(b.contains("  Expenses:Project:A500101  123.45 CNY\n"), "{b}");
        let l = ledger(&j);
        assert!(l.contains("    Equity:Grant:A2401  0.00 CNY = -1000.00 CNY  ; credit balance 1000.00\n"), "{l}");
        assert!(l.contains("    Assets:Bank:A1002  0.00 CNY = 476.55 CNY"), "{l}");
        assert!(l.contains("    Equity:Grant:A2401  -1000.00 CNY  ; 补助\n"), "{l}");
        // The assertions use the service's totals, not sums of the rendered journal.
        let mut off = journal();
        off.totals.get_mut("1002").unwrap().debit = Money::from_fen(1);
        assert!(beancount(&off).contains("balance Assets:Bank:A1002  -123.44 ~ 0.00 CNY"));
    }

    #[test]
    fn every_transaction_balances() {
        let j = journal();
        for v in &j.vouchers {
            assert_eq!(v.lines.iter().map(|l| l.signed()).sum::<Money>(), Money::ZERO);
        }
        let total: Money = j.accounts().iter().map(|a| a.signed_balance).sum();
        assert_eq!(total, Money::ZERO);
    }

    #[test]
    fn beancount_strings_are_escaped() {
        assert_eq!(beancount_str("a\"b\\c\nd\re\tf\u{7}g"), r#""a\"b\\c\nd\re\tf g""#);
        let b = beancount(&journal());
        assert!(b.contains(r#"2025-04-30 * "记字第3号" "买\"车床\"\n第二行; x:: y" ^fundledger-v-3"#), "{b}");
        assert!(b.contains("    summary: \"车床 \\\"A\\\"\\\\型\"\n"), "{b}");
        assert!(b.contains("option \"title\" \"基地 \\\"一\\\"\""), "{b}");
        // No line break leaks out of a string: every transaction header is one line.
        assert!(!b.lines().any(|l| l.starts_with("第二行")));
    }

    #[test]
    fn ledger_text_stays_on_its_line() {
        assert_eq!(ledger_comment("a;b\nc:: d\t e"), "a；b c：： d e");
        assert_eq!(ledger_description("a;b\r\nc:: d"), "a；b c:: d");
        let l = ledger(&journal());
        assert!(l.contains("2025-04-30 * (3) 记字第3号 买\"车床\" 第二行； x:: y\n"), "{l}");
        assert!(l.contains("    ; voucher_id: v-3\n    ; kind: expense\n"), "{l}");
        assert!(l.contains("    Assets:Bank:A1002  -123.45 CNY  ; 付款；备注\n"), "{l}");
        assert!(l.contains("account Expenses:Project:A500101\n    ; 500101 项目支出—实训设备 (debit)\n"), "{l}");
        assert!(l.contains("commodity CNY\n\ntag voucher_id\ntag kind\ntag reverses\n"), "{l}");
    }

    #[test]
    fn reversals_link_to_the_original() {
        let mut j = journal();
        let mut r = voucher(4, "2025-05-02", "冲销第3号凭证", vec![line("1002", 12_345, 0, "冲销"), line("500101", 0, 12_345, "冲销")]);
        r.kind = VoucherKind::Reversal;
        r.reverses = Some("v-3".into());
        j.vouchers.push(r);
        let b = beancount(&j);
        assert!(b.contains("\"冲销第3号凭证\" ^fundledger-v-4 ^fundledger-v-3\n"), "{b}");
        assert!(b.contains("  reverses: \"v-3\"\n"));
        assert!(ledger(&j).contains("    ; reverses: v-3\n"));
    }

    #[test]
    fn csv_has_one_row_per_line() {
        let mut j = journal();
        let v3 = j.vouchers.iter_mut().find(|v| v.id == "v-3").unwrap();
        v3.lines[0].invoice = Some(("04403210".into(), "某数控设备有限公司".into(), "91110108551385082Q".into()));
        let rows = csv_rows(&j);
        assert_eq!(rows.len(), 6);
        assert!(rows.iter().all(|r| r.len() == CSV_HEADER.len()));
        assert_eq!(
            rows[4],
            [
                "2025-04-30",
                "3",
                "v-3",
                "expense",
                "500101",
                "项目支出—实训设备",
                "123.45",
                "0.00",
                "车床 \"A\"\\型",
                "04403210",
                "某数控设备有限公司",
                "91110108551385082Q"
            ]
        );
        assert_eq!(rows[5][9..], ["", "", ""], "a line without an invoice leaves its cells blank");
        assert_eq!(rows[5][6..8], ["0.00", "123.45"]);
    }

    #[test]
    fn formats_parse() {
        assert_eq!(ExportFormat::parse("beancount"), Some(ExportFormat::Beancount));
        assert_eq!(ExportFormat::parse("ledger"), Some(ExportFormat::Ledger));
        assert_eq!(ExportFormat::parse("csv"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("xlsx"), None);
        assert_eq!(ExportFormat::parse("CSV"), None);
    }
}
