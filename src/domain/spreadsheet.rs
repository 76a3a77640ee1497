//! Cells a spreadsheet opens as data, never as a formula (OWASP "CSV injection").
//!
//! Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`, `-` or `@` as a
//! formula, and a leading tab or carriage return can hide such a start. A summary like
//! `@SUM(1+1)*cmd|' /C calc'!A0` typed by a unit would run on the inspector's machine. Such a cell
//! is prefixed with a single quote, which the spreadsheet shows as text.
//!
//! A cell that is wholly a plain decimal number (`-120.00`, `-3`) is left as it is: it cannot be a
//! formula, and a spreadsheet must still add up a negative balance. Anything more than a number
//! (`-1+1`, `-120.00 ` with a space) is text and is neutralised.
use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The text of a cell as written to a CSV file the service serves.
pub fn cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(first) if FORMULA_STARTS.contains(&first) && !is_plain_number(text) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// An optional minus, digits, and an optional fraction of digits: the only form in which the
/// service writes numbers (amounts, counts, ratios).
fn is_plain_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_quoted() {
        for text in ["=1+1", "+1", "-1+1", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1", "\r=1", "-", "--1", "-1.", "-.5", "-1e5", "- 1"] {
            assert_eq!(cell(text), format!("'{text}"), "{text:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_are_kept() {
        for text in ["-120.00", "-3", "120.00", "0.00", "", "购买耗材", "2025-03-15", "'=1", " =1", "a=1", "1002"] {
            assert_eq!(cell(text), text, "{text:?}");
        }
    }
}
