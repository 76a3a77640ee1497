//! Reading an import file into rows of text: a CSV (UTF-8 with or without a byte-order mark, or
//! GB18030 as Chinese Excel saves it) or an xlsx workbook's first sheet. Nothing here judges a
//! row; `app::imports` does, as a voucher submitted alone would be judged.
use crate::error::{AppError, AppResult, Code};
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use std::io::Cursor;

/// The columns, in the template's order. A file names them in its first row, in any order.
pub const COLUMNS: [&str; 11] = [
    "voucher_ref",
    "date",
    "summary",
    "account",
    "debit",
    "credit",
    "line_summary",
    "invoice_number",
    "seller",
    "seller_tax_id",
    "attachments",
];

/// One data row: its number as a spreadsheet shows it (the header is row 1) and its cells, one
/// per column of `COLUMNS`, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: [String; 11],
}

impl Row {
    pub fn get(&self, column: Col) -> &str {
        &self.cells[column as usize]
    }
}

/// A column by its place in `COLUMNS`.
#[derive(Debug, Clone, Copy)]
pub enum Col {
    VoucherRef,
    Date,
    Summary,
    Account,
    Debit,
    Credit,
    LineSummary,
    InvoiceNumber,
    Seller,
    SellerTaxId,
    Attachments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// An xlsx workbook's media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

impl Format {
    /// The body's format from its Content-Type, or from its first bytes when none is given
    /// (an xlsx is a zip archive).
    pub fn of(content_type: Option<&str>, body: &[u8]) -> AppResult<Format> {
        let essence = content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        match essence.as_deref() {
            Some("text/csv") | Some("text/plain") => Ok(Format::Csv),
            Some(XLSX) => Ok(Format::Xlsx),
            Some("application/octet-stream") | None if body.starts_with(ZIP_MAGIC) => Ok(Format::Xlsx),
            Some("application/octet-stream") | None => Ok(Format::Csv),
            Some(other) => Err(AppError::new(Code::UnsupportedMediaType, format!("an import is text/csv or {} (xlsx), not {other}", XLSX))),
        }
    }
}

/// The rows of a file, at most `max_rows` of them (more is `413 payload_too_large`).
pub fn rows(format: Format, body: &[u8], max_rows: usize) -> AppResult<Vec<Row>> {
    let table = match format {
        Format::Csv => csv_table(&text(body)?, max_rows)?,
        Format::Xlsx => xlsx_table(body, max_rows)?,
    };
    let mut table = table.into_iter();
    let header = table.next().ok_or_else(|| bad_file("the file is empty: it needs a header row naming the columns"))?;
    let places = places(&header)?;
    let mut rows = Vec::new();
    for (i, record) in table.enumerate() {
        // Blank lines (a sheet's trailing rows) are not rows.
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells = std::array::from_fn(|c| places[c].and_then(|p| record.get(p)).map(|s| s.trim().to_string()).unwrap_or_default());
        rows.push(Row { number: i + 2, cells });
        if rows.len() > max_rows {
            return Err(too_many_rows(max_rows));
        }
    }
    if rows.is_empty() {
        return Err(bad_file("the file has a header but no rows"));
    }
    Ok(rows)
}

fn too_many_rows(max_rows: usize) -> AppError {
    AppError::new(Code::PayloadTooLarge, format!("an import has at most {max_rows} rows")).with("max_rows", max_rows)
}

fn bad_file(detail: impl Into<String>) -> AppError {
    AppError::field("file", detail)
}

/// Where each column of `COLUMNS` is in the file: every one must be named, once; a column the
/// service does not know is refused rather than silently dropped. `invoice_number`, `seller`,
/// `seller_tax_id` and `attachments` may be left out.
fn places(header: &[String]) -> AppResult<[Option<usize>; 11]> {
    let mut places = [None; 11];
    for (p, name) in header.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        let c = COLUMNS.iter().position(|k| *k == name).ok_or_else(|| bad_file(format!("unknown column '{name}'")))?;
        if places[c].replace(p).is_some() {
            return Err(bad_file(format!("column '{name}' is named twice")));
        }
    }
    let missing: Vec<&str> = COLUMNS.iter().zip(&places).take(7).filter(|(_, p)| p.is_none()).map(|(k, _)| *k).collect();
    if !missing.is_empty() {
        return Err(bad_file(format!("the header lacks the column(s) {}", missing.join(", "))));
    }
    Ok(places)
}

/// The file as text: UTF-8 (a byte-order mark dropped), else GB18030 (which also reads GBK and
/// GB2312); a file that is neither is refused rather than read with replacement characters.
pub fn text(body: &[u8]) -> AppResult<String> {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    if let Ok(s) = std::str::from_utf8(body) {
        return Ok(s.to_string());
    }
    let (decoded, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(body);
    if had_errors {
        return Err(bad_file("the file is neither UTF-8 nor GB18030 text"));
    }
    Ok(decoded.into_owned())
}

fn csv_table(text: &str, max_rows: usize) -> AppResult<Vec<Vec<String>>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut table = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad_file(format!("the CSV cannot be read: {e}")))?;
        table.push(record.iter().map(str::to_string).collect());
        // The header and one row more than allowed are enough to refuse it.
        if table.len() > max_rows + 1 {
            return Err(too_many_rows(max_rows));
        }
    }
    Ok(table)
}

fn xlsx_table(body: &[u8], max_rows: usize) -> AppResult<Vec<Vec<String>>> {
    let unreadable = |e: &dyn std::fmt::Display| bad_file(format!("the workbook cannot be read: {e}"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(body)).map_err(|e| unreadable(&e))?;
    let range = book.worksheet_range_at(0).ok_or_else(|| bad_file("the workbook has no sheet"))?.map_err(|e| unreadable(&e))?;
    if range.height() > max_rows + 1 {
        return Err(too_many_rows(max_rows));
    }
    Ok(range.rows().map(|r| r.iter().map(cell_text).collect()).collect())
}

/// A cell as the text a CSV would hold. A number is written shortest (so 120.5 typed in Excel is
/// "120.5", read then as money by the same rule as any amount); a date cell becomes YYYY-MM-DD.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()).map(|d| d.to_string()).unwrap_or_else(|| d.as_f64().to_string()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// An Excel serial date (the 1900 system: day 1 is 1900-01-01, counted from 1899-12-30 because of
/// Excel's phantom 1900-02-29) as a date; the time of day is dropped.
fn excel_date(serial: f64) -> Option<NaiveDate> {
    let days = serial.floor();
    if !(1.0..=2_958_465.0).contains(&days) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(days as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "voucher_ref,date,summary,account,debit,credit,line_summary,invoice_number,seller,seller_tax_id,attachments\n";

    #[test]
    fn utf8_with_and_without_bom_and_gb18030_read_alike() {
        let csv = format!("{HEADER}V1,2025-03-04,采购焊丝,materials,120.00,,焊丝,,,,1\nV1,,,1002,,120.00,银行付款,,,,\n");
        let plain = rows(Format::Csv, csv.as_bytes(), 10).unwrap();
        let bom = rows(Format::Csv, &[b"\xef\xbb\xbf".as_slice(), csv.as_bytes()].concat(), 10).unwrap();
        let (gb, _, lossy) = encoding_rs::GB18030.encode(&csv);
        assert!(!lossy);
        assert!(std::str::from_utf8(&gb).is_err(), "the GB18030 bytes are not UTF-8");
        let gb = rows(Format::Csv, &gb, 10).unwrap();
        assert_eq!(plain, bom);
        assert_eq!(plain, gb);
        assert_eq!(plain[0].number, 2);
        assert_eq!(plain[0].get(Col::Summary), "采购焊丝");
        assert_eq!(plain[1].get(Col::Credit), "120.00");
    }

    #[test]
    fn columns_in_any_order_the_optional_ones_left_out() {
        let csv = "account,debit,credit,voucher_ref,date,summary,line_summary\nmaterials,1.00,,A,2025-03-04,s,l\n";
        let r = rows(Format::Csv, csv.as_bytes(), 10).unwrap();
        assert_eq!(r[0].get(Col::VoucherRef), "A");
        assert_eq!(r[0].get(Col::Account), "materials");
        assert_eq!(r[0].get(Col::InvoiceNumber), "");
    }

    #[test]
    fn bad_headers_and_too_many_rows_are_refused() {
        let unknown = rows(Format::Csv, b"voucher_ref,date,summary,account,debit,credit,line_summary,colour\n", 10).unwrap_err();
        assert!(unknown.detail.contains("colour") || format!("{:?}", unknown.extra).contains("colour"), "{unknown:?}");
        assert!(rows(Format::Csv, b"voucher_ref,date\nA,2025-01-01\n", 10).is_err());
        let csv = format!("{HEADER}{}", "A,2025-03-04,s,materials,1.00,,l,,,,\n".repeat(3));
        assert_eq!(rows(Format::Csv, csv.as_bytes(), 2).unwrap_err().code, Code::PayloadTooLarge);
        assert_eq!(rows(Format::Csv, csv.as_bytes(), 3).unwrap().len(), 3);
        assert!(text(b"\xff\xff\xff\x00").is_err(), "neither UTF-8 nor GB18030");
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(45720.0), NaiveDate::from_ymd_opt(2025, 3, 4));
        assert_eq!(excel_date(45720.75), NaiveDate::from_ymd_opt(2025, 3, 4));
        assert_eq!(excel_date(-1.0), None);
        assert_eq!(cell_text(&Data::Float(120.5)), "120.5");
        assert_eq!(cell_text(&Data::Float(120.0)), "120");
        // A computed cell keeps every digit its double has, so the amount grammar refuses it
        // rather than anything rounding it to a fen.
        let computed = cell_text(&Data::Float(0.1 + 0.2));
        assert_eq!(computed, "0.30000000000000004");
        assert!(crate::domain::money::Money::parse_positive(&computed).is_err());
    }
}
