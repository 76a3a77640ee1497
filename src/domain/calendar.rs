//! The calendar the rules are judged by: Chifeng's (China Standard Time, UTC+8 all year).
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// The local date of an instant: a report filed at 07:00 on 1 January in Chifeng is filed in the
/// new year, though it is still 31 December in UTC.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")).date_naive()
}

/// The local date of a stored RFC 3339 timestamp; None if it is not one.
pub fn local_date_of(rfc3339: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(rfc3339).ok().map(|t| local_date(t.with_timezone(&Utc)))
}

pub fn today() -> NaiveDate {
    local_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turns_at_midnight_in_chifeng() {
        assert_eq!(local_date_of("2025-12-31T15:59:59Z"), NaiveDate::from_ymd_opt(2025, 12, 31));
        assert_eq!(local_date_of("2025-12-31T16:00:00.000001Z"), NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(local_date_of("yesterday"), None);
    }
}
