//! How the console writes amounts and dates: `120,000.00`, `2025-03-15`, and amounts in Chinese
//! capitals (大写) for the printed voucher.
use crate::domain::money::Money;

/// `120,000.00`: thousands separated, always two decimals, a minus sign when negative.
pub fn amount(m: Money) -> String {
    m.grouped()
}

/// A utilization ratio as the API gives it ("0.2416") as a percentage with one decimal.
pub fn percent(ratio: &str) -> String {
    ratio.parse::<f64>().map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|_| ratio.to_string())
}

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const PLACES: [&str; 4] = ["", "拾", "佰", "仟"];
const GROUPS: [&str; 4] = ["", "万", "亿", "万亿"];

/// An amount in Chinese capitals as written on vouchers and cheques: 120,000.50 → 壹拾贰万元伍角,
/// 1.05 → 壹元零伍分, 500,000.00 → 伍拾万元整. "整" follows an amount of whole yuan only (after
/// 角 it may be left out, and is).
pub fn capitals(m: Money) -> String {
    let fen = m.fen();
    let abs = fen.unsigned_abs();
    let (yuan, jiao, cents) = (abs / 100, (abs / 10 % 10) as usize, (abs % 10) as usize);
    let mut out = String::new();
    if fen < 0 {
        out.push('负');
    }
    if yuan > 0 {
        out.push_str(&integer(yuan));
        out.push('元');
    }
    match (jiao, cents) {
        (0, 0) if yuan == 0 => out.push_str("零元整"),
        (0, 0) => out.push('整'),
        (0, c) => {
            if yuan > 0 {
                out.push('零');
            }
            out.push(DIGITS[c]);
            out.push('分');
        }
        (j, c) => {
            out.push(DIGITS[j]);
            out.push('角');
            if c > 0 {
                out.push(DIGITS[c]);
                out.push('分');
            }
        }
    }
    out
}

/// A positive whole number in capitals, in groups of four digits (万, 亿), with one 零 for each
/// run of zeros between digits.
fn integer(n: u64) -> String {
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push((rest % 10_000) as usize);
        rest /= 10_000;
    }
    assert!(groups.len() <= GROUPS.len(), "amounts stay below 10^16 yuan");
    let mut out = String::new();
    let mut skipped_zero = false;
    for (i, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            skipped_zero = !out.is_empty();
            continue;
        }
        if !out.is_empty() && (skipped_zero || g < 1000) {
            out.push('零');
        }
        out.push_str(&group(g));
        out.push_str(GROUPS[i]);
        skipped_zero = false;
    }
    out
}

/// One group of up to four digits, without leading or trailing 零.
fn group(g: usize) -> String {
    let mut out = String::new();
    let mut zero = false;
    for place in (0..4).rev() {
        let d = g / 10usize.pow(place as u32) % 10;
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
        }
        out.push(DIGITS[d]);
        out.push_str(PLACES[place]);
        zero = false;
    }
    out
}

/// A stored UTC instant as Chifeng's wall-clock time (UTC+8), to the second: what the people
/// reading the console keep their day by.
pub fn local_time(at: &str) -> String {
    let chifeng = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&chifeng).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        let neg = text.starts_with('-');
        let m = Money::parse_positive(text.trim_start_matches('-')).unwrap();
        if neg {
            -m
        } else {
            m
        }
    }

    #[test]
    fn amounts_have_thousands_separators_and_two_decimals() {
        assert_eq!(amount(m("120000.00")), "120,000.00");
        assert_eq!(amount(m("500000.5")), "500,000.50");
        assert_eq!(amount(m("999.99")), "999.99");
        assert_eq!(amount(m("1000")), "1,000.00");
        assert_eq!(amount(m("1234567.01")), "1,234,567.01");
        assert_eq!(amount(Money::ZERO), "0.00");
        assert_eq!(amount(m("-560.00")), "-560.00");
        assert_eq!(amount(m("-1000.00")), "-1,000.00");
    }

    #[test]
    fn capitals_as_on_a_voucher() {
        for (figure, words) in [
            ("120000.50", "壹拾贰万元伍角"),
            ("500000.00", "伍拾万元整"),
            ("50000.00", "伍万元整"),
            ("1.05", "壹元零伍分"),
            ("0.07", "柒分"),
            ("0.50", "伍角"),
            ("0.56", "伍角陆分"),
            ("10.00", "壹拾元整"),
            ("1010.10", "壹仟零壹拾元壹角"),
            ("10500.00", "壹万零伍佰元整"),
            ("100500.00", "壹拾万零伍佰元整"),
            ("1001000.00", "壹佰万壹仟元整"),
            ("100000001.00", "壹亿零壹元整"),
            ("100010000.00", "壹亿零壹万元整"),
            ("120800.00", "壹拾贰万零捌佰元整"),
            ("379200.00", "叁拾柒万玖仟贰佰元整"),
            ("560.00", "伍佰陆拾元整"),
            ("-560.00", "负伍佰陆拾元整"),
        ] {
            assert_eq!(capitals(m(figure)), words, "{figure}");
        }
        assert_eq!(capitals(Money::ZERO), "零元整");
    }

    #[test]
    fn percentages_from_ratios() {
        assert_eq!(percent("0.2416"), "24.2%");
        assert_eq!(percent("1.0000"), "100.0%");
    }
}
