//! Money: exact yuan amounts held as integer fen. Parsing goes string → digits → fen, never via a float.
use rust_decimal::Decimal;
use std::fmt;

/// The largest amount a request may carry (API.md, Conventions).
pub const MAX_FEN: i64 = 99_999_999_999_999;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount must be a JSON string such as \"12.50\"")]
    NotAString,
    #[error("amount '{0}' is not a decimal number")]
    NotANumber(String),
    #[error("amount '{0}' has more than two decimals")]
    TooPrecise(String),
    #[error("amount '{0}' must be positive")]
    NotPositive(String),
    #[error("amount '{0}' is above 999999999999.99")]
    TooLarge(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn from_yuan(yuan: i64) -> Money {
        Money(yuan * 100)
    }

    /// Parses a request amount: the contract's grammar `digits[.d{1,2}]` exactly (no sign, no
    /// spaces, no bare point), positive and within bounds.
    pub fn parse_positive(text: &str) -> Result<Money, AmountError> {
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
            return Err(AmountError::NotANumber(text.to_string()));
        }
        let fraction = fraction.unwrap_or("");
        if fraction.len() > 2 {
            return Err(AmountError::TooPrecise(text.to_string()));
        }
        // Leading zeros are digits too ("0012.50"); past 12 significant digits it is too large
        // whatever follows, which also keeps the arithmetic below inside i64.
        let whole = whole.trim_start_matches('0');
        if whole.len() > 12 {
            return Err(AmountError::TooLarge(text.to_string()));
        }
        let yuan: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| AmountError::NotANumber(text.to_string()))? };
        let fen_part: i64 = format!("{fraction:0<2}").parse().map_err(|_| AmountError::NotANumber(text.to_string()))?;
        let fen = yuan * 100 + fen_part;
        if fen == 0 {
            return Err(AmountError::NotPositive(text.to_string()));
        }
        if fen > MAX_FEN {
            return Err(AmountError::TooLarge(text.to_string()));
        }
        Ok(Money(fen))
    }

    /// Parses a JSON value that must be a money string.
    pub fn from_json(value: &serde_json::Value) -> Result<Money, AmountError> {
        match value {
            serde_json::Value::String(s) => Money::parse_positive(s),
            _ => Err(AmountError::NotAString),
        }
    }

    /// An amount as the service itself writes one (`-120.00`, `0.00`): to read its own answers
    /// back, never a request's amount (that is `parse_positive`).
    pub fn parse_written(text: &str) -> Result<Money, AmountError> {
        let (sign, unsigned) = match text.strip_prefix('-') {
            Some(unsigned) => (-1, unsigned),
            None => (1, text),
        };
        match Money::parse_positive(unsigned) {
            Ok(m) => Ok(Money(sign * m.0)),
            Err(AmountError::NotPositive(_)) => Ok(Money::ZERO),
            Err(e) => Err(e),
        }
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Always exactly two decimals, as the contract requires ("500000.00").
        write!(f, "{:.2}", self.to_decimal())
    }
}

impl Money {
    /// As people read an amount: thousands separated, two decimals (`120,000.00`, `-1,234.50`).
    pub fn grouped(self) -> String {
        let (sign, abs) = if self.0 < 0 { ("-", self.0.unsigned_abs()) } else { ("", self.0 as u64) };
        let digits = (abs / 100).to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}.{:02}", abs % 100)
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// In the API, money is a string with exactly two decimals (yuan).
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^-?[0-9]{1,12}\.[0-9]{2}$"))
            .description(Some("Yuan with exactly two decimals, as a string"))
            .examples(["120000.00"])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

/// A ratio with four decimals (utilization = implemented ÷ grant), as a string.
pub fn ratio4(numerator: Money, denominator: Money) -> String {
    if denominator.0 == 0 {
        return "0.0000".to_string();
    }
    let r = (Decimal::from(numerator.0) / Decimal::from(denominator.0))
        .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointNearestEven);
    format!("{r:.4}")
}

/// `ratio4` as a whole number of ten-thousandths (`0.2416` → 2416): ordering by it orders by
/// what the answer shows.
pub fn ratio4_units(numerator: Money, denominator: Money) -> i64 {
    if denominator.0 == 0 {
        return 0;
    }
    let r = (Decimal::from(numerator.0) / Decimal::from(denominator.0))
        .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointNearestEven);
    // Past i64 only for a ratio over 10^14, which no grant of at least one fen reaches.
    (r * Decimal::from(10_000)).trunc().try_into().unwrap_or(if r.is_sign_negative() { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_contract_forms() {
        assert_eq!(Money::parse_positive("12").unwrap().fen(), 1200);
        assert_eq!(Money::parse_positive("12.5").unwrap().fen(), 1250);
        assert_eq!(Money::parse_positive("12.50").unwrap().fen(), 1250);
        assert_eq!(Money::parse_positive("0.01").unwrap().fen(), 1);
        assert_eq!(Money::parse_positive("999999999999.99").unwrap().fen(), MAX_FEN);
    }

    #[test]
    fn refuses_bad_amounts() {
        for bad in ["", "abc", "1e5", "0", "0.00", "-1", "12.345", "12.500", "1000000000000.00", "1.2.3", "NaN", " ", "+", "."]
            .into_iter()
            .chain([" 100", "100 ", "+100", "100.", ".5", "1_000", "١٢", "0x10", "12.5\n", "1,000.00", "-0"])
        {
            assert!(Money::parse_positive(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(Money::from_json(&serde_json::json!(12.5)), Err(AmountError::NotAString));
    }

    #[test]
    fn reads_back_what_it_writes() {
        for fen in [0, 1, -1, 12_345, -12_000_000, 99_999_999_999_999] {
            assert_eq!(Money::parse_written(&Money(fen).to_string()).ok(), Some(Money(fen)), "{fen}");
        }
        for bad in ["", "-", "--1.00", "1.000", "+1.00", "abc"] {
            assert!(Money::parse_written(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formats_two_decimals() {
        assert_eq!(Money::from_fen(50_000_000).to_string(), "500000.00");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-1250).to_string(), "-12.50");
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(ratio4(Money::from_fen(1), Money::from_fen(3)), "0.3333");
    }

    /// The contract's grammar, written independently of the parser: `digits[.d{1,2}]`.
    fn in_grammar(text: &str) -> bool {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        digits(whole) && digits(fraction) && fraction.len() <= 2 && !text.ends_with('.')
    }

    proptest! {
        /// Any text over the characters amounts are made of, and a few that sneak in: accepted
        /// exactly when it is in the grammar and its value is within (0, MAX].
        #[test]
        fn accepts_exactly_the_grammar(text in "[0-9. +\\-eE_,]{0,16}") {
            let expected = in_grammar(&text) && {
                let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
                let whole = whole.trim_start_matches('0');
                whole.len() <= 12 && {
                    let fen = whole.parse::<i64>().unwrap_or(0) * 100 + format!("{fraction:0<2}").parse::<i64>().unwrap();
                    (1..=MAX_FEN).contains(&fen)
                }
            };
            prop_assert_eq!(Money::parse_positive(&text).is_ok(), expected, "{:?}", text);
        }

        /// The units order exactly as the shown ratios do, and are the shown ratio's digits.
        #[test]
        fn ratio_units_are_the_shown_ratio(n in -10_000_000_000i64..10_000_000_000, d in 0i64..10_000_000_000) {
            let (shown, units) = (ratio4(Money(n), Money(d)), ratio4_units(Money(n), Money(d)));
            prop_assert_eq!(shown.parse::<Decimal>().unwrap(), Decimal::new(units, 4), "{} {}", n, d);
        }

        #[test]
        fn grammar_texts_parse_to_their_value(yuan in 0i64..=999_999_999_999, fen in 0i64..100, decimals in 0usize..=2, zeros in 0usize..3) {
            let text = match decimals {
                0 => format!("{}{yuan}", "0".repeat(zeros)),
                1 => format!("{}{yuan}.{}", "0".repeat(zeros), fen / 10),
                _ => format!("{}{yuan}.{fen:02}", "0".repeat(zeros)),
            };
            let value = yuan * 100 + match decimals { 0 => 0, 1 => fen / 10 * 10, _ => fen };
            match Money::parse_positive(&text) {
                Ok(m) => prop_assert_eq!(m.fen(), value),
                Err(e) => prop_assert!(value == 0, "{} refused: {}", text, e),
            }
        }

        #[test]
        fn format_then_parse_round_trips(fen in 1i64..=MAX_FEN) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_positive(&m.to_string()).unwrap(), m);
        }
    }
}
