//! A download's table, built once by the handler that also answers its JSON, from the same
//! figures: typed cells (text, amount, count, ratio), so that the CSV writes each as the JSON does
//! and the workbook (`http::xlsx`) as a number where it is one.
use super::{csv_response, xlsx};
use crate::domain::money::Money;
use crate::error::{AppError, AppResult};
use actix_web::HttpResponse;

/// A file in place of the JSON answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    Csv,
    Xlsx,
}

/// The language of a workbook's headers: Chinese unless `?lang=en`. A CSV's headers are the
/// JSON's field names whatever the language, so that a program reading them never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(lang: Option<&str>) -> AppResult<Lang> {
        match lang {
            None | Some("zh") => Ok(Lang::Zh),
            Some("en") => Ok(Lang::En),
            Some(other) => Err(AppError::field("lang", format!("'{other}' is not one of zh, en"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Money(Money),
    Count(i64),
    /// A ratio as the JSON writes it, 4 decimals (`0.2416`).
    Ratio(String),
    Blank,
}

impl Cell {
    pub fn opt_text(text: Option<&str>) -> Cell {
        text.map_or(Cell::Blank, |t| Cell::Text(t.to_string()))
    }

    /// The cell as the JSON answer writes the figure.
    pub fn written(&self) -> String {
        match self {
            Cell::Text(t) | Cell::Ratio(t) => t.clone(),
            Cell::Money(m) => m.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Blank => String::new(),
        }
    }
}

pub struct Table {
    /// The file's name without its extension (`trial-balance`), and the worksheet's.
    pub name: &'static str,
    /// Each column's key: the CSV's header, and the workbook's through `label`.
    pub keys: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// The columns that a totals row under the rows adds up: SUM formulas in the workbook.
    pub sums: Vec<usize>,
    /// Whether the CSV has the totals row too (the trial balance's `total` row, which CSV readers
    /// already expect; the other CSVs stay one row per item).
    pub csv_totals: bool,
}

impl Table {
    pub fn new(name: &'static str, keys: &[&'static str], rows: Vec<Vec<Cell>>) -> Table {
        Table { name, keys: keys.to_vec(), rows, sums: Vec::new(), csv_totals: false }
    }

    /// Totals under the columns named.
    pub fn summing(mut self, keys: &[&str]) -> Table {
        self.sums = self.keys.iter().enumerate().filter(|(_, k)| keys.contains(k)).map(|(i, _)| i).collect();
        debug_assert_eq!(self.sums.len(), keys.len(), "every summed column is in the table");
        self
    }

    /// The sum of each summed column, from the rows' own amounts.
    pub fn totals(&self) -> Vec<(usize, Money)> {
        let column = |c: usize| self.rows.iter().filter_map(move |r| if let Some(Cell::Money(m)) = r.get(c) { Some(*m) } else { None });
        self.sums.iter().map(|&c| (c, column(c).sum())).collect()
    }

    pub fn respond(self, download: Download, lang: Lang) -> AppResult<HttpResponse> {
        match download {
            Download::Csv => self.csv(),
            Download::Xlsx => xlsx::response(&self, lang),
        }
    }

    fn csv(self) -> AppResult<HttpResponse> {
        csv_response(&format!("{}.csv", self.name), &self.keys, self.csv_rows())
    }

    /// The CSV file's bytes, as the download has them.
    pub fn csv_bytes(&self) -> AppResult<Vec<u8>> {
        super::csv_bytes(&self.keys, self.csv_rows())
    }

    fn csv_rows(&self) -> Vec<Vec<String>> {
        let mut rows: Vec<Vec<String>> = self.rows.iter().map(|r| r.iter().map(Cell::written).collect()).collect();
        if self.csv_totals {
            let mut total = vec![String::new(); self.keys.len()];
            total[0] = "total".into();
            for (c, sum) in self.totals() {
                total[c] = sum.to_string();
            }
            rows.push(total);
        }
        rows
    }
}

/// The header a workbook shows over a column.
pub fn label(key: &str, lang: Lang) -> &str {
    let Some((zh, en)) = LABELS.iter().find(|(k, _, _)| *k == key).map(|(_, zh, en)| (*zh, *en)) else { return key };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// Every column a workbook may have: its key, and its header in Chinese and in English.
const LABELS: &[(&str, &str, &str)] = &[
    ("code", "科目编码", "Account code"),
    ("name", "科目名称", "Account name"),
    ("side", "余额方向", "Normal side"),
    ("debit_total", "借方发生额", "Debit total"),
    ("credit_total", "贷方发生额", "Credit total"),
    ("balance", "余额", "Balance"),
    ("date", "日期", "Date"),
    ("number", "凭证号", "Voucher no."),
    ("summary", "摘要", "Summary"),
    ("debit", "借方", "Debit"),
    ("credit", "贷方", "Credit"),
    ("project_id", "项目编号", "Project ID"),
    ("grant", "建设补助资金", "Grant"),
    ("disbursed", "已拨付", "Disbursed"),
    ("undisbursed", "未拨付", "Undisbursed"),
    ("bank_balance", "银行存款余额", "Bank balance"),
    ("payables", "应付款项", "Payables"),
    ("implemented", "已执行", "Implemented"),
    ("pending_review", "待审核", "Pending review"),
    ("available", "可用余额", "Available"),
    ("recovered", "已收回", "Recovered"),
    ("recoverable", "应收回", "Recoverable"),
    ("utilization", "执行率", "Utilization"),
    ("start_date", "开始日期", "Start date"),
    ("end_date", "结束日期", "End date"),
    ("id", "凭证编号", "Voucher ID"),
    ("status", "状态", "Status"),
    ("kind", "类型", "Kind"),
    ("attachments", "附件张数", "Attachments"),
    ("reference", "文号", "Reference"),
    ("total", "金额合计", "Total"),
    ("reserved", "审核中占用", "Reserved"),
    ("created_by", "制单人", "Entered by"),
    ("created_at", "制单时间", "Entered at"),
    ("reverses_id", "冲销的凭证", "Reverses"),
    ("reversed_by_id", "被冲销于", "Reversed by"),
    ("decision", "审核结果", "Decision"),
    ("decision_note", "审核意见", "Decision note"),
    ("line_no", "行号", "Line"),
    ("account", "会计科目", "Account"),
    ("line_summary", "分录摘要", "Line summary"),
    ("verdict", "分类结论", "Verdict"),
    ("category", "支出类别", "Category"),
    ("invoice_number", "发票号码", "Invoice number"),
    ("invoice_seller", "销售方", "Seller"),
    ("invoice_seller_tax_id", "销售方统一社会信用代码", "Seller's credit code"),
    ("rule", "风险规则", "Rule"),
    ("severity", "风险等级", "Severity"),
    ("voucher_ids", "涉及凭证", "Vouchers"),
    ("amount", "金额", "Amount"),
    ("detail", "说明", "Detail"),
];

/// The total row's label, in the first column.
pub fn total_label(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "合计",
        Lang::En => "Total",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_the_named_columns_only() {
        let row = |d: i64, b: i64| vec![Cell::Text("x".into()), Cell::Money(Money::from_fen(d)), Cell::Money(Money::from_fen(b))];
        let t = Table::new("t", &["name", "debit", "balance"], vec![row(150, 7), row(-50, 9)]).summing(&["debit"]);
        assert_eq!(t.totals(), [(1, Money::from_fen(100))]);
    }

    #[test]
    fn headers_are_chinese_unless_english_is_asked() {
        assert_eq!((label("debit_total", Lang::Zh), label("debit_total", Lang::En)), ("借方发生额", "Debit total"));
        assert_eq!(Lang::parse(None).ok(), Some(Lang::Zh));
        assert!(Lang::parse(Some("fr")).is_err());
    }
}
