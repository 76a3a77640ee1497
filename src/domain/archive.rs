//! The archive each base and studio keeps (POLICY.md §7: members, major activities,
//! achievements, summaries, images), and the electronic accounting archive (会计档案) of a
//! closed project: what its package holds and how it is checked.
use serde::{Deserialize, Serialize};

/// What an archive entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ArchiveKind)]
pub enum Kind {
    /// 成员信息
    Member,
    /// 重大活动记录
    Activity,
    /// 工作业绩
    Achievement,
    /// 工作总结
    Summary,
    /// 影像资料
    Image,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Member, Kind::Activity, Kind::Achievement, Kind::Summary, Kind::Image];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Member => "member",
            Kind::Activity => "activity",
            Kind::Achievement => "achievement",
            Kind::Summary => "summary",
            Kind::Image => "image",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The names, for an error message.
    pub fn names() -> String {
        Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_back_from_its_text_and_serialises_as_it() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(Kind::parse("photo"), None);
    }
}
