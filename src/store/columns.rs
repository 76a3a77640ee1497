//! How the domain's types are read from their text columns. A stored value that is not one of its
//! type's texts (a kind, a status, a side, a date) cannot be read: it was written by this service,
//! so it can only be corrupt, and no default would be right in its place. The request reading it
//! fails with an internal error whose cause is logged.
//!
//! A row type reads such a field through `StoredText` (`#[diesel(deserialize_as = StoredText)]`),
//! which parses it when the row is built; a batch that reads many projects' rows at once reads
//! each as `Checked<Row>`, so one unreadable row fails only the requests that need it.
use crate::domain::chart::Side;
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::status::{ProjectStatus, VoucherStatus};
use crate::error::AppError;
use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::sql_types::{SingleValue, Text};

/// A text column as stored, not yet parsed into its type.
pub struct StoredText(String);

impl<DB> FromSql<Text, DB> for StoredText
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(bytes).map(StoredText)
    }
}

impl<ST, DB> Queryable<ST, DB> for StoredText
where
    ST: SingleValue,
    DB: Backend,
    StoredText: FromSql<ST, DB>,
{
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

impl StoredText {
    /// The value, or an internal error naming what was stored.
    pub fn parse<T: TryFrom<StoredText, Error = Unreadable>>(self) -> Result<T, AppError> {
        T::try_from(self).map_err(AppError::internal)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("stored {what} '{text}' is not one this service writes")]
pub struct Unreadable {
    what: &'static str,
    text: String,
}

fn read<T>(stored: StoredText, what: &'static str, parse: impl Fn(&str) -> Option<T>) -> Result<T, Unreadable> {
    parse(&stored.0).ok_or_else(|| Unreadable { what, text: stored.0.escape_debug().to_string() })
}

macro_rules! text_column {
    ($($ty:ty => $what:literal, $parse:expr;)*) => {$(
        impl TryFrom<StoredText> for $ty {
            type Error = Unreadable;
            fn try_from(stored: StoredText) -> Result<Self, Unreadable> {
                read(stored, $what, $parse)
            }
        }
    )*};
}

text_column! {
    ProjectKind => "project kind", ProjectKind::parse;
    ProjectStatus => "project status", ProjectStatus::parse;
    VoucherKind => "voucher kind", VoucherKind::parse;
    VoucherStatus => "voucher status", VoucherStatus::parse;
    Side => "account side", Side::parse;
    NaiveDate => "date", iso_date;
}

/// ISO `YYYY-MM-DD`, as `NaiveDate` writes it. By hand rather than with a chrono format: the
/// portfolio reads two dates of each of 10,000 projects, and the format parser was a tenth of that.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| digits.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')));
    NaiveDate::from_ymd_opt(number(&b[0..4])? as i32, number(&b[5..7])?, number(&b[8..10])?)
}

/// A row read without failing the rows read with it: its own value, or why it could not be read.
pub struct Checked<T>(pub Result<T, String>);

impl<ST, DB, T> Queryable<ST, DB> for Checked<T>
where
    DB: Backend,
    T: Queryable<ST, DB>,
{
    type Row = T::Row;
    fn build(row: T::Row) -> deserialize::Result<Self> {
        Ok(Checked(T::build(row).map_err(|e| e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_parses_into_its_type_or_names_what_was_stored() {
        let stored = |s: &str| StoredText(s.to_string());
        assert_eq!(ProjectStatus::try_from(stored("suspended")).unwrap(), ProjectStatus::Suspended);
        assert_eq!(NaiveDate::try_from(stored("2025-03-01")).unwrap(), NaiveDate::from_ymd_opt(2025, 3, 1).unwrap());
        for (bad, what) in [("2025-3-1", "date"), ("2025-02-30", "date"), ("Debit", "account side")] {
            let err = match what {
                "date" => NaiveDate::try_from(stored(bad)).unwrap_err(),
                _ => Side::try_from(stored(bad)).unwrap_err(),
            };
            assert_eq!(err.to_string(), format!("stored {what} '{bad}' is not one this service writes"));
        }
        assert!(VoucherKind::try_from(stored("")).is_err());
        for bad in ["2025-03-0a", "2025/03/01", "20250301xx", "2025-13-01", "0000-00-00", "2025-03-01 "] {
            assert!(NaiveDate::try_from(stored(bad)).is_err(), "{bad}");
        }
        assert_eq!(NaiveDate::try_from(stored("2024-02-29")).unwrap(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
    }
}
