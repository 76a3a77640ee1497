//! The states a project and a voucher pass through, and the changes allowed between them. Each
//! state's text (`as_str`, serde) is what the database stores and clients read.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a project stands (API.md, Projects; POLICY.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    Active,
    Suspended,
    Cancelled,
    Completed,
    /// The output acceptance failed (issue 19): the unspent funds are due back.
    AcceptanceFailed,
    /// Its unspent funds were recovered; nothing changes any more.
    Closed,
}

impl ProjectStatus {
    pub const ALL: [ProjectStatus; 6] = [
        ProjectStatus::Active,
        ProjectStatus::Suspended,
        ProjectStatus::Cancelled,
        ProjectStatus::Completed,
        ProjectStatus::AcceptanceFailed,
        ProjectStatus::Closed,
    ];

    /// The statuses hr sets (`POST /projects/{id}/status`); `closed` comes only from recovery.
    pub const SET_BY_HR: [ProjectStatus; 4] =
        [ProjectStatus::Suspended, ProjectStatus::Active, ProjectStatus::Cancelled, ProjectStatus::Completed];

    pub const fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Active => "active",
            ProjectStatus::Suspended => "suspended",
            ProjectStatus::Cancelled => "cancelled",
            ProjectStatus::Completed => "completed",
            ProjectStatus::AcceptanceFailed => "acceptance_failed",
            ProjectStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectStatus> {
        ProjectStatus::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Whether hr may move a project from this status to `to`.
    pub fn may_become(self, to: ProjectStatus) -> bool {
        use ProjectStatus::*;
        matches!((self, to), (Active, Suspended) | (Suspended, Active) | (Active | Suspended, Cancelled) | (Active, Completed))
    }

    /// Whether an output acceptance may be recorded: a project that ran (or runs) to its end, or
    /// whose acceptance is being corrected by a new record; not a cancelled or closed one.
    pub fn may_be_accepted(self) -> bool {
        !matches!(self, ProjectStatus::Cancelled | ProjectStatus::Closed)
    }

    /// Money moves only in an active project.
    pub fn is_active(self) -> bool {
        self == ProjectStatus::Active
    }

    /// Running or paused, not ended: a studio's leader can still be replaced.
    pub fn is_underway(self) -> bool {
        matches!(self, ProjectStatus::Active | ProjectStatus::Suspended)
    }
}

/// Where a voucher stands (API.md, Money movements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoucherStatus {
    Posted,
    /// Flagged by the classifier: its money is reserved and it has no number until a decision.
    PendingReview,
    /// Posted, then cancelled by a red-ink reversal (which is posted itself).
    Reversed,
    Declined,
}

impl VoucherStatus {
    pub const ALL: [VoucherStatus; 4] =
        [VoucherStatus::Posted, VoucherStatus::PendingReview, VoucherStatus::Reversed, VoucherStatus::Declined];

    /// Vouchers whose lines are in the books: posted ones, and reversed ones (their reversal is too).
    pub const IN_BOOKS: [VoucherStatus; 2] = [VoucherStatus::Posted, VoucherStatus::Reversed];

    pub const fn as_str(self) -> &'static str {
        match self {
            VoucherStatus::Posted => "posted",
            VoucherStatus::PendingReview => "pending_review",
            VoucherStatus::Reversed => "reversed",
            VoucherStatus::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<VoucherStatus> {
        VoucherStatus::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// A review posts or declines a pending voucher; a reversal cancels a posted one. Nothing else
    /// changes a voucher: the books are corrected by new vouchers, never by edits.
    pub fn may_become(self, to: VoucherStatus) -> bool {
        use VoucherStatus::*;
        matches!((self, to), (PendingReview, Posted | Declined) | (Posted, Reversed))
    }
}

impl fmt::Display for ProjectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for VoucherStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_reads_back_from_its_text_and_serialises_as_it() {
        for s in ProjectStatus::ALL {
            assert_eq!(ProjectStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in VoucherStatus::ALL {
            assert_eq!(VoucherStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(ProjectStatus::parse("Active"), None);
        assert_eq!(VoucherStatus::parse("pending"), None);
    }

    #[test]
    fn hr_moves_projects_only_along_the_allowed_changes() {
        use ProjectStatus::*;
        let allowed: Vec<(ProjectStatus, ProjectStatus)> = ProjectStatus::ALL
            .into_iter()
            .flat_map(|from| ProjectStatus::ALL.into_iter().map(move |to| (from, to)))
            .filter(|(from, to)| from.may_become(*to))
            .collect();
        assert_eq!(allowed, [(Active, Suspended), (Active, Cancelled), (Active, Completed), (Suspended, Active), (Suspended, Cancelled)]);
        assert!(ProjectStatus::SET_BY_HR.iter().all(|s| *s != Closed && *s != AcceptanceFailed));
        let accepted: Vec<ProjectStatus> = ProjectStatus::ALL.into_iter().filter(|s| s.may_be_accepted()).collect();
        assert_eq!(accepted, [Active, Suspended, Completed, AcceptanceFailed]);
    }

    #[test]
    fn vouchers_change_only_by_review_or_reversal() {
        use VoucherStatus::*;
        let allowed: Vec<(VoucherStatus, VoucherStatus)> = VoucherStatus::ALL
            .into_iter()
            .flat_map(|from| VoucherStatus::ALL.into_iter().map(move |to| (from, to)))
            .filter(|(from, to)| from.may_become(*to))
            .collect();
        assert_eq!(allowed, [(Posted, Reversed), (PendingReview, Posted), (PendingReview, Declined)]);
    }
}
