//! The per-project chart of accounts (API.md, "Chart of accounts"). Codes are the contract.
use super::classify::Rules;
use super::kind::ProjectKind;
use serde::Serialize;

pub const BANK: &str = "1002";
pub const GRANT_RECEIVABLE: &str = "1221";
pub const PAYABLES: &str = "2202";
pub const REFUND_OWED: &str = "2241";
pub const GRANT_FUND: &str = "2401";
/// The accounts every chart has, whose totals alone give a statement's single amounts
/// (`statement::Balances::of_fixed` takes them in this order).
pub const FIXED_CODES: [&str; 5] = [BANK, GRANT_RECEIVABLE, PAYABLES, REFUND_OWED, GRANT_FUND];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }

    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "debit" => Some(Side::Debit),
            "credit" => Some(Side::Credit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AccountDef {
    pub code: String,
    pub name: String,
    pub side: Side,
    /// The expenditure category slug, for 5001xx accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

const FIXED: [(&str, &str, Side); 5] = [
    (BANK, "银行存款—项目专户", Side::Debit),
    (GRANT_RECEIVABLE, "应收补助资金", Side::Debit),
    (PAYABLES, "应付账款", Side::Credit),
    (REFUND_OWED, "应退财政资金", Side::Credit),
    (GRANT_FUND, "项目补助资金", Side::Credit),
];

/// The accounts a project of `kind` gets at registration: the fixed ones and one per allowed category.
pub fn accounts_for(kind: ProjectKind, rules: &Rules) -> Vec<AccountDef> {
    let fixed =
        FIXED.iter().map(|(code, name, side)| AccountDef { code: code.to_string(), name: name.to_string(), side: *side, category: None });
    let expenses = rules.categories(kind).into_iter().map(|c| AccountDef {
        code: c.code.clone(),
        name: format!("项目支出—{}", c.name),
        side: Side::Debit,
        category: Some(c.slug.clone()),
    });
    fixed.chain(expenses).collect()
}

/// The account a request names, by code or by category slug.
pub fn find<'a>(chart: &'a [AccountDef], account: &str) -> Option<&'a AccountDef> {
    chart.iter().find(|a| a.code == account || a.category.as_deref() == Some(account))
}

/// The normal side of an account code; a code outside the chart (an expense category since
/// dropped from the rules) reads debit-side, as every expenditure account does.
pub fn side_of(chart: &[AccountDef], code: &str) -> Side {
    chart.iter().find(|a| a.code == code).map_or(Side::Debit, |a| a.side)
}

pub fn is_expenditure(code: &str) -> bool {
    code.len() == 6 && code.starts_with("5001")
}

/// Accounts an expenditure voucher may name (API.md, Money movements). The other accounts move
/// only through their own endpoints: disbursement, recovery, remittance.
pub fn expense_voucher_may_use(code: &str) -> bool {
    is_expenditure(code) || code == BANK || code == PAYABLES
}
