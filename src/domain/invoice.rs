//! An invoice (发票) named on a voucher line: its number, the seller and the seller's unified
//! social credit code (统一社会信用代码). The number is what makes an invoice reimbursable once; the
//! credit code is checked by its check character (GB 32100-2015) so a mistyped code is refused
//! at entry rather than found by an inspector.
use serde::{Deserialize, Serialize};

/// The characters a credit code is written in, in the order of their values: the digits and the
/// capital letters without I, O, Z, S and V (too easily read as 1, 0, 2, 5 and U).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weight of each of the first 17 characters: 3^i mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// 8 to 20 digits (a VAT invoice's 8, a fully digital e-invoice's 20).
    pub number: String,
    pub seller: String,
    /// An 18-character unified social credit code, upper case.
    pub seller_tax_id: String,
}

/// Why an invoice was refused, by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceError {
    pub field: &'static str,
    pub message: &'static str,
}

impl Invoice {
    /// The invoice as entered; the seller may be left out, the number and credit code may not be
    /// malformed. Surrounding spaces are dropped, and a credit code read in lower case is taken
    /// in upper case.
    pub fn parse(number: &str, seller: &str, seller_tax_id: &str) -> Result<Invoice, InvoiceError> {
        let number = number.trim();
        if !(8..=20).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvoiceError { field: "number", message: "an invoice number is 8 to 20 digits" });
        }
        let seller = seller.trim();
        if seller.chars().count() > 200 {
            return Err(InvoiceError { field: "seller", message: "at most 200 characters" });
        }
        let tax_id = seller_tax_id.trim().to_ascii_uppercase();
        if !tax_id.is_empty() && !is_credit_code(&tax_id) {
            return Err(InvoiceError {
                field: "seller_tax_id",
                message: "not a unified social credit code: 18 characters whose last is the check character (GB 32100-2015)",
            });
        }
        Ok(Invoice { number: number.to_string(), seller: seller.to_string(), seller_tax_id: tax_id })
    }
}

/// The numbers of a voucher's invoices, each once and in order: one invoice may be spread over
/// several lines of one voucher (equipment and its freight, say), and claims its number once.
pub fn distinct_numbers<'a>(invoices: impl Iterator<Item = &'a Invoice>) -> Vec<String> {
    let mut numbers: Vec<String> = invoices.map(|i| i.number.clone()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// Whether `code` is a unified social credit code whose 18th character is the check character of
/// the first 17 (GB 32100-2015, as ISO 7064 MOD 31-3): 31 less their weighted sum mod 31.
pub fn is_credit_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return false;
    }
    let value = |b: u8| CHARSET.iter().position(|&c| c == b).map(|v| v as u32);
    let mut sum = 0;
    for (&b, w) in bytes[..17].iter().zip(WEIGHTS) {
        match value(b) {
            Some(v) => sum += v * w,
            None => return false,
        }
    }
    let check = (31 - sum % 31) % 31;
    value(bytes[17]) == Some(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard's own example and codes that companies print on their invoices and licences.
    const PUBLISHED: [&str; 6] = [
        "91350100M000100Y43", // GB 32100-2015's worked example
        "9144030071526726XG", // 深圳市腾讯计算机系统有限公司
        "91440300708461136T", // 腾讯科技（深圳）有限公司
        "91110000802100433B", // 北京百度网讯科技有限公司
        "91330100716105852F", // 阿里巴巴（中国）有限公司
        "91110108551385082Q", // 小米科技有限责任公司
    ];

    #[test]
    fn published_codes_pass_their_check() {
        for code in PUBLISHED {
            assert!(is_credit_code(code), "{code}");
        }
    }

    #[test]
    fn a_changed_character_fails_the_check() {
        for code in PUBLISHED {
            for i in 0..18 {
                let mut bytes = code.as_bytes().to_vec();
                // Another character of the set at position i: the weights are invertible mod 31,
                // so any single change moves the check.
                let at = CHARSET.iter().position(|&c| c == bytes[i]).unwrap();
                bytes[i] = CHARSET[(at + 7) % 31];
                let changed = String::from_utf8(bytes).unwrap();
                assert!(!is_credit_code(&changed), "{changed} (from {code}, position {i})");
            }
        }
    }

    #[test]
    fn swapped_neighbours_fail_the_check() {
        // 91350100M000100Y43 with "M0" read as "0M".
        assert!(!is_credit_code("913501000M00100Y43"));
        // The last two of Tencent's code swapped.
        assert!(!is_credit_code("9144030071526726GX"));
    }

    #[test]
    fn wrong_lengths_and_characters_fail() {
        for code in ["", "91350100M000100Y4", "91350100M000100Y433", "91350100M000I00Y43", "91350100m000100y43", "９1350100M000100Y43"] {
            assert!(!is_credit_code(code), "{code}");
        }
    }

    #[test]
    fn parse_takes_lower_case_codes_and_trims() {
        let inv = Invoice::parse(" 04403210 ", " 某某培训器材有限公司 ", "91350100m000100y43").unwrap();
        assert_eq!(
            inv,
            Invoice {
                number: "04403210".into(), seller: "某某培训器材有限公司".into(), seller_tax_id: "91350100M000100Y43".into()
            }
        );
    }

    #[test]
    fn parse_refuses_bad_numbers_and_codes_by_field() {
        assert_eq!(Invoice::parse("1234567", "", "").unwrap_err().field, "number");
        assert_eq!(Invoice::parse("123456789012345678901", "", "").unwrap_err().field, "number");
        assert_eq!(Invoice::parse("1234 5678", "", "").unwrap_err().field, "number");
        assert_eq!(Invoice::parse("12345678", "", "91350100M000100Y44").unwrap_err().field, "seller_tax_id");
        assert!(Invoice::parse("12345678901234567890", "", "").is_ok());
    }
}
