use serde::{Deserialize, Serialize};
use std::fmt;

/// The two kinds of project the city funds (POLICY.md, "Two kinds of project").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectKind {
    Base,
    Studio,
}

impl ProjectKind {
    pub const ALL: [ProjectKind; 2] = [ProjectKind::Base, ProjectKind::Studio];

    pub const fn as_str(self) -> &'static str {
        match self {
            ProjectKind::Base => "base",
            ProjectKind::Studio => "studio",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ProjectKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a voucher records: each kind comes from its own endpoint (or from registration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoucherKind {
    /// The grant allocated at registration: Dr 1221 / Cr 2401.
    Allocation,
    Disbursement,
    Expense,
    /// Red ink: the lines of a posted voucher with their sides swapped.
    Reversal,
    Recovery,
    Remittance,
}

impl VoucherKind {
    pub const ALL: [VoucherKind; 6] = [
        VoucherKind::Allocation,
        VoucherKind::Disbursement,
        VoucherKind::Expense,
        VoucherKind::Reversal,
        VoucherKind::Recovery,
        VoucherKind::Remittance,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            VoucherKind::Allocation => "allocation",
            VoucherKind::Disbursement => "disbursement",
            VoucherKind::Expense => "expense",
            VoucherKind::Reversal => "reversal",
            VoucherKind::Recovery => "recovery",
            VoucherKind::Remittance => "remittance",
        }
    }

    pub fn parse(s: &str) -> Option<VoucherKind> {
        VoucherKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ProjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for VoucherKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_back_from_its_text_and_serialises_as_it() {
        for k in ProjectKind::ALL {
            assert_eq!(ProjectKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for k in VoucherKind::ALL {
            assert_eq!(VoucherKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(VoucherKind::parse("Expense"), None);
    }
}
