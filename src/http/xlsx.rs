//! `?format=xlsx`: a table as an Excel workbook. Headers in the caller's language, amounts as
//! numbers formatted `#,##0.00`, the header row frozen, totals as SUM formulas, columns as wide
//! as what they hold; text cells pass the same formula rule as the CSV's (`spreadsheet::cell`).
use super::sheet::{label, total_label, Cell, Lang, Table};
use crate::domain::money::Money;
use crate::domain::spreadsheet;
use crate::error::{AppError, AppResult};
use actix_web::HttpResponse;
use rust_xlsxwriter::utility::column_number_to_name;
use rust_xlsxwriter::{Format, Formula, Workbook, XlsxError};

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Excel's own limit is 255 characters; past 60 a column of long summaries crowds out the rest.
const MAX_WIDTH_CHARS: usize = 60;

pub fn response(table: &Table, lang: Lang) -> AppResult<HttpResponse> {
    Ok(download(table.name, bytes(table, lang)?))
}

/// A workbook's bytes as the download `name.xlsx`.
pub fn download(name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.xlsx\"")))
        .body(bytes)
}

/// The workbook's bytes, as the download has them.
pub fn bytes(table: &Table, lang: Lang) -> AppResult<Vec<u8>> {
    let mut book = Workbook::new();
    write(table, lang, book.add_worksheet())?;
    book.save_to_buffer().map_err(AppError::internal)
}

/// The workbook as a temporary file, for a table of any length: its rows go to disk as they are
/// written (rust_xlsxwriter's constant memory mode), and the file is then streamed
/// (`download_file`), so neither the worksheet nor the zip is held in memory.
pub fn file(table: &Table, lang: Lang) -> AppResult<std::fs::File> {
    let mut book = Workbook::new();
    write(table, lang, book.add_worksheet_with_constant_memory())?;
    let mut file = tempfile::tempfile().map_err(AppError::internal)?;
    book.save_to_writer(&mut file).map_err(AppError::internal)?;
    std::io::Seek::rewind(&mut file).map_err(AppError::internal)?;
    Ok(file)
}

/// Chunks of about 64 KB.
const CHUNK: usize = 1 << 16;

/// A workbook file as the download `name.xlsx`, streamed in chunks as the client reads them.
pub fn download_file(name: &str, mut file: std::fs::File) -> HttpResponse {
    use std::io::Read;
    let chunks = std::iter::from_fn(move || {
        let mut buf = vec![0; CHUNK];
        match file.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some(Ok::<_, std::io::Error>(actix_web::web::Bytes::from(buf)))
            }
            Err(e) => Some(Err(e)),
        }
    });
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.xlsx\"")))
        .streaming(futures_util::stream::iter(chunks))
}

/// Writes the table into `sheet` row by row, in order (as constant memory mode requires).
fn write(table: &Table, lang: Lang, sheet: &mut rust_xlsxwriter::Worksheet) -> AppResult<()> {
    fill(table, lang, sheet).map_err(AppError::internal)
}

fn fill(table: &Table, lang: Lang, sheet: &mut rust_xlsxwriter::Worksheet) -> Result<(), XlsxError> {
    let header = Format::new().set_bold();
    let amount = Format::new().set_num_format("#,##0.00");
    let total = Format::new().set_bold().set_num_format("#,##0.00");
    let ratio = Format::new().set_num_format("0.00%");
    sheet.set_name(table.name)?;
    let mut widths: Vec<usize> = table.keys.iter().map(|k| width(label(k, lang))).collect();
    for (c, key) in table.keys.iter().enumerate() {
        sheet.write_string_with_format(0, col(c), label(key, lang), &header)?;
    }
    for (r, cells) in table.rows.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, cell) in cells.iter().enumerate() {
            match cell {
                Cell::Text(t) => sheet.write_string(row, col(c), spreadsheet::cell(t))?,
                Cell::Money(m) => sheet.write_number_with_format(row, col(c), number(*m), &amount)?,
                Cell::Count(n) => sheet.write_number(row, col(c), *n as f64)?,
                Cell::Ratio(t) => sheet.write_number_with_format(row, col(c), t.parse::<f64>().map_err(|_| bad_ratio(t))?, &ratio)?,
                Cell::Blank => sheet,
            };
            widths[c] = widths[c].max(width(&shown(cell)));
        }
    }
    if !table.sums.is_empty() && !table.rows.is_empty() {
        let (row, last) = (table.rows.len() as u32 + 1, table.rows.len() + 1);
        sheet.write_string_with_format(row, 0, total_label(lang), &header)?;
        for (c, sum) in table.totals() {
            let name = column_number_to_name(col(c));
            // The value is cached beside the formula, so a reader that computes nothing (a
            // preview, a library) still shows the total the JSON has.
            let formula = Formula::new(format!("=SUM({name}2:{name}{last})")).set_result(sum.to_string());
            sheet.write_formula_with_format(row, col(c), formula, &total)?;
            widths[c] = widths[c].max(width(&grouped(sum)));
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (c, w) in widths.into_iter().enumerate() {
        sheet.set_column_width(col(c), (w.min(MAX_WIDTH_CHARS) + 2) as f64)?;
    }
    Ok(())
}

fn col(c: usize) -> u16 {
    u16::try_from(c).expect("a table has far fewer columns than a worksheet")
}

/// An amount as a workbook holds every number: an IEEE double, as the file format has it. Every
/// amount the service keeps (at most 999,999,999,999.99, under 2^53 fen) becomes the double
/// nearest its decimal, which is what Excel stores for the same amount typed by hand.
fn number(m: Money) -> f64 {
    m.fen() as f64 / 100.0
}

fn bad_ratio(t: &str) -> XlsxError {
    XlsxError::ParameterError(format!("ratio '{t}' is not a number"))
}

/// The text a cell shows, to size its column.
fn shown(cell: &Cell) -> String {
    match cell {
        Cell::Money(m) => grouped(*m),
        other => other.written(),
    }
}

/// An amount as `#,##0.00` shows it.
fn grouped(m: Money) -> String {
    m.grouped()
}

/// Width in Excel's character units: a Chinese character takes two.
fn width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_as_excel_shows_them() {
        for (fen, shown) in [(0, "0.00"), (12345, "123.45"), (12000000, "120,000.00"), (-123456789, "-1,234,567.89")] {
            assert_eq!(grouped(Money::from_fen(fen)), shown);
        }
        assert_eq!(width("合计 1"), 6);
    }
}
