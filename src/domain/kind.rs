use serde::{Deserialize, Serialize};

/// The two kinds of project the city funds (POLICY.md, "Two kinds of project").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectKind {
    Base,
    Studio,
}

impl ProjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectKind::Base => "base",
            ProjectKind::Studio => "studio",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "base" => Some(ProjectKind::Base),
            "studio" => Some(ProjectKind::Studio),
            _ => None,
        }
    }
}
