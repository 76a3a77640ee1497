//! Application conditions a project must meet at registration (POLICY.md §4).
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Vocational skill levels, lowest first (国家职业资格 / 职业技能等级).
pub const SKILL_LEVELS: [&str; 7] = [
    "junior_worker",
    "intermediate_worker",
    "senior_worker",
    "technician",
    "senior_technician",
    "chief_technician",
    "principal_technician",
];
const TECHNICIAN_RANK: usize = 3;

pub const MIN_BASE_SPECIALTIES: usize = 3;
pub const LEADER_AGE_LIMIT: u32 = 65;
pub const ETHNIC_HEIR_AGE_LIMIT: u32 = 68;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Leader {
    pub name: String,
    /// technician, senior_technician, … (a studio's leader must be technician or above).
    pub skill_level: String,
    pub birth_date: NaiveDate,
    #[serde(default)]
    pub ethnic_skill_heir: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError { field: field.to_string(), message: message.into() }
    }
}

/// Whole years of age on `on` (a person born on 29 Feb has a birthday on 1 Mar in common years).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

pub fn check_specialties(specialties: &[String]) -> Vec<FieldError> {
    let mut distinct: Vec<&str> = specialties.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_BASE_SPECIALTIES {
        vec![FieldError::new(
            "specialties",
            format!("a training base needs at least {MIN_BASE_SPECIALTIES} distinct specialties, got {}", distinct.len()),
        )]
    } else {
        Vec::new()
    }
}

/// A studio leader must be a technician or above and under 65 (68 for an ethnic skill heir) on `on`.
pub fn check_leader(leader: &Leader, on: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if leader.name.trim().is_empty() {
        errors.push(FieldError::new("leader.name", "the leader's name is required"));
    }
    match SKILL_LEVELS.iter().position(|l| *l == leader.skill_level) {
        None => errors.push(FieldError::new(
            "leader.skill_level",
            format!("unknown skill level '{}'; expected one of {}", leader.skill_level, SKILL_LEVELS.join(", ")),
        )),
        Some(rank) if rank < TECHNICIAN_RANK => {
            errors.push(FieldError::new("leader.skill_level", "a studio leader must be at technician (技师) level or above"))
        }
        Some(_) => {}
    }
    let limit = if leader.ethnic_skill_heir { ETHNIC_HEIR_AGE_LIMIT } else { LEADER_AGE_LIMIT };
    let age = age_on(leader.birth_date, on);
    if age < 0 {
        errors.push(FieldError::new("leader.birth_date", "birth date is after the start date"));
    } else if age >= limit as i32 {
        errors.push(FieldError::new("leader.birth_date", format!("the leader is {age} on {on}; the limit is under {limit}")));
    }
    errors
}

/// Last day of a period of `years` starting on `start` (start + years − 1 day).
pub fn end_date(start: NaiveDate, years: u32) -> NaiveDate {
    let after = start.checked_add_months(Months::new(12 * years)).unwrap_or(NaiveDate::MAX);
    after.pred_opt().unwrap_or(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn leader(level: &str, birth: &str, heir: bool) -> Leader {
        Leader { name: "王师傅".into(), skill_level: level.into(), birth_date: d(birth), ethnic_skill_heir: heir }
    }

    #[test]
    fn age_edges() {
        assert_eq!(age_on(d("1960-03-01"), d("2025-02-28")), 64);
        assert_eq!(age_on(d("1960-03-01"), d("2025-03-01")), 65);
        assert_eq!(age_on(d("1960-02-29"), d("2025-02-28")), 64);
        assert_eq!(age_on(d("1960-02-29"), d("2025-03-01")), 65);
    }

    #[test]
    fn leader_age_limit_is_exclusive() {
        assert!(check_leader(&leader("technician", "1960-03-02", false), d("2025-03-01")).is_empty());
        assert_eq!(check_leader(&leader("technician", "1960-03-01", false), d("2025-03-01")).len(), 1);
        assert!(check_leader(&leader("technician", "1957-03-02", true), d("2025-03-01")).is_empty());
        assert_eq!(check_leader(&leader("technician", "1957-03-01", true), d("2025-03-01")).len(), 1);
    }

    #[test]
    fn leader_level() {
        assert_eq!(check_leader(&leader("senior_worker", "1980-01-01", false), d("2025-03-01")).len(), 1);
        assert!(check_leader(&leader("senior_technician", "1980-01-01", false), d("2025-03-01")).is_empty());
        assert_eq!(check_leader(&leader("master", "1980-01-01", false), d("2025-03-01")).len(), 1);
    }

    #[test]
    fn specialties_are_distinct() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(check_specialties(&s(&["数控加工", "焊接", "工业机器人"])).is_empty());
        assert_eq!(check_specialties(&s(&["焊接", "焊接", "数控加工"])).len(), 1);
    }

    #[test]
    fn periods() {
        assert_eq!(end_date(d("2025-03-01"), 2), d("2027-02-28"));
        assert_eq!(end_date(d("2025-03-01"), 1), d("2026-02-28"));
        assert_eq!(end_date(d("2024-01-01"), 1), d("2024-12-31"));
    }
}
