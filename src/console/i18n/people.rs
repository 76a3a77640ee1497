//! The words of the console's people pages (HR's projects and reports, the admin's users and
//! organisations), in Chinese and English.
use super::Lang;
use crate::domain::eligibility::{ETHNIC_HEIR_AGE_LIMIT, LEADER_AGE_LIMIT, MIN_BASE_SPECIALTIES};

pub struct PeopleWords {
    pub register_title: &'static str,
    pub register: &'static str,
    pub project_name: &'static str,
    pub start_date: &'static str,
    pub fund_source: &'static str,
    pub choose: &'static str,
    pub base_only: &'static str,
    pub specialties: &'static str,
    pub studio_only: &'static str,
    pub leader_name: &'static str,
    pub skill_level: &'static str,
    pub birth_date: &'static str,
    pub ethnic_skill_heir: &'static str,
    pub manage_title: &'static str,
    pub change_status: &'static str,
    pub new_status: &'static str,
    pub reason: &'static str,
    pub no_transition: &'static str,
    pub change_leader: &'static str,
    pub current_leader: &'static str,
    pub rename: &'static str,
    pub new_name: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub reports_title: &'static str,
    pub overdue: &'static str,
    pub overdue_rule: &'static str,
    pub no_overdue: &'static str,
    pub received: &'static str,
    pub no_reports: &'static str,
    pub year: &'static str,
    pub project: &'static str,
    pub filed_at: &'static str,
    pub trained: &'static str,
    pub targets: &'static str,
    pub met: &'static str,
    pub not_met: &'static str,
    pub judged_by_people: &'static str,
    pub on_time: &'static str,
    pub late: &'static str,
    pub new_user: &'static str,
    pub display_name: &'static str,
    pub initial_password: &'static str,
    pub password_hint: &'static str,
    pub unit_org_hint: &'static str,
    pub create: &'static str,
    pub new_org: &'static str,
    pub org_name: &'static str,
    pub org_kind: &'static str,
    pub user_title: &'static str,
    pub deactivate: &'static str,
    pub reactivate: &'static str,
    pub change_role: &'static str,
    pub reset_password: &'static str,
    pub generate_password: &'static str,
    pub or_type_one: &'static str,
    pub new_password_once: &'static str,
    pub manage: &'static str,
    pub none: &'static str,
    /// Between a heading's subject and its name (a full-width colon in Chinese).
    pub sep: &'static str,
}

pub fn words(lang: Lang) -> &'static PeopleWords {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

static ZH: PeopleWords = PeopleWords {
    register_title: "登记项目",
    register: "登记",
    project_name: "项目名称",
    start_date: "开始日期",
    fund_source: "资金来源",
    choose: "请选择",
    base_only: "培训基地填写",
    specialties: "培训专业",
    studio_only: "技能大师工作室填写：负责人",
    leader_name: "负责人姓名",
    skill_level: "技能等级",
    birth_date: "出生日期",
    ethnic_skill_heir: "民族技艺传承人",
    manage_title: "项目变更",
    change_status: "变更状态",
    new_status: "新状态",
    reason: "原因",
    no_transition: "项目当前状态不能再变更。",
    change_leader: "更换负责人",
    current_leader: "现任负责人",
    rename: "项目更名",
    new_name: "新名称",
    save: "保存",
    saved: "已保存。",
    reports_title: "年度报告",
    overdue: "逾期未报",
    overdue_rule: "规则：项目周期内每个已结束的自然年度，须在当年 12 月 31 日（赤峰时间）前报送年度报告；执行中、暂停和已完成的项目计入，撤销和已结项的项目不再催报。",
    no_overdue: "没有逾期未报的年度报告。",
    received: "已收到的报告",
    no_reports: "尚未收到年度报告。",
    year: "年度",
    project: "项目",
    filed_at: "报送日期",
    trained: "培训人数（其中高级工及以上）",
    targets: "目标",
    met: "达标",
    not_met: "未达标",
    judged_by_people: "首年由人工评定",
    on_time: "按时",
    late: "逾期",
    new_user: "新建用户",
    display_name: "姓名",
    initial_password: "初始密码",
    password_hint: "10 至 256 个字符，不能全是空格，不能与用户名相同。",
    unit_org_hint: "建设单位用户必须选择所属单位；其他角色不选。",
    create: "创建",
    new_org: "新建单位",
    org_name: "单位名称",
    org_kind: "单位类型",
    user_title: "用户",
    deactivate: "停用",
    reactivate: "重新启用",
    change_role: "变更角色",
    reset_password: "重置密码",
    generate_password: "生成新密码",
    or_type_one: "或输入新密码",
    new_password_once: "新密码（只显示这一次，请转告用户）：",
    manage: "管理",
    none: "无",
    sep: "：",
};

static EN: PeopleWords = PeopleWords {
    register_title: "Register a project",
    register: "Register",
    project_name: "Project name",
    start_date: "Start date",
    fund_source: "Fund source",
    choose: "Choose",
    base_only: "For a training base",
    specialties: "Specialties",
    studio_only: "For a master studio: its leader",
    leader_name: "Leader's name",
    skill_level: "Skill level",
    birth_date: "Birth date",
    ethnic_skill_heir: "Ethnic skill heir",
    manage_title: "Project changes",
    change_status: "Change the status",
    new_status: "New status",
    reason: "Reason",
    no_transition: "The project's status cannot change any more.",
    change_leader: "Replace the leader",
    current_leader: "Current leader",
    rename: "Rename the project",
    new_name: "New name",
    save: "Save",
    saved: "Saved.",
    reports_title: "Annual reports",
    overdue: "Overdue",
    overdue_rule: "Rule: for each calendar year of the period that has ended, a report is due by 31 December (Chifeng time); active, suspended and completed projects count, cancelled and closed ones are no longer asked.",
    no_overdue: "No annual report is overdue.",
    received: "Reports received",
    no_reports: "No annual report has been filed yet.",
    year: "Year",
    project: "Project",
    filed_at: "Filed on",
    trained: "Trained (of them advanced)",
    targets: "Targets",
    met: "met",
    not_met: "not met",
    judged_by_people: "first year: judged by people",
    on_time: "on time",
    late: "late",
    new_user: "New user",
    display_name: "Full name",
    initial_password: "Initial password",
    password_hint: "10 to 256 characters, not all spaces, not the username.",
    unit_org_hint: "A unit user must belong to an organisation; other roles have none.",
    create: "Create",
    new_org: "New organisation",
    org_name: "Organisation name",
    org_kind: "Organisation type",
    user_title: "User",
    deactivate: "Deactivate",
    reactivate: "Reactivate",
    change_role: "Change the role",
    reset_password: "Reset the password",
    generate_password: "Generate a new password",
    or_type_one: "or type a new password",
    new_password_once: "New password (shown this once; pass it on to the user):",
    manage: "Manage",
    none: "none",
    sep: ": ",
};

/// How a base's specialties are typed, with the rule they must meet.
pub fn specialties_hint(lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("每行一个专业，至少 {MIN_BASE_SPECIALTIES} 个不同专业。"),
        Lang::En => format!("One per line; at least {MIN_BASE_SPECIALTIES} different ones."),
    }
}

/// Who may lead a studio: judged on the start date at registration, on the day of a change later.
pub fn leader_hint(lang: Lang, at_registration: bool) -> String {
    let (limit, heir) = (LEADER_AGE_LIMIT, ETHNIC_HEIR_AGE_LIMIT);
    match (lang, at_registration) {
        (Lang::Zh, true) => format!("须为技师及以上，开始日期时未满 {limit} 周岁（民族技艺传承人未满 {heir} 周岁）。"),
        (Lang::Zh, false) => format!("新负责人须在今天符合条件：技师及以上，未满 {limit} 周岁（民族技艺传承人未满 {heir} 周岁）。"),
        (Lang::En, true) => format!("Technician or above, under {limit} on the start date (under {heir} for an ethnic skill heir)."),
        (Lang::En, false) => {
            format!("The new leader must qualify today: technician or above, under {limit} ({heir} for an ethnic skill heir).")
        }
    }
}

/// The names of the codes only these pages show.
pub fn code_name(lang: Lang, code: &str) -> &str {
    let zh = lang == Lang::Zh;
    match code {
        "demonstration_matching" if zh => "公共示范项目市级配套资金",
        "demonstration_matching" => "city matching funds for public demonstration projects",
        "employment_talent_fund" if zh => "市级就业补助及人才发展专项资金",
        "employment_talent_fund" => "city employment and talent development fund",
        "junior_worker" if zh => "初级工",
        "intermediate_worker" if zh => "中级工",
        "senior_worker" if zh => "高级工",
        "technician" if zh => "技师",
        "senior_technician" if zh => "高级技师",
        "chief_technician" if zh => "特级技师",
        "principal_technician" if zh => "首席技师",
        "junior_worker" => "junior worker",
        "intermediate_worker" => "intermediate worker",
        "senior_worker" => "senior worker (advanced)",
        "senior_technician" => "senior technician",
        "chief_technician" => "chief technician",
        "principal_technician" => "principal technician",
        other => other,
    }
}

/// A field's message of a `validation_failed`, said in the page's language. The API's messages
/// are English sentences with their figures; in Chinese each field's rule is said again, with the
/// figures taken from the English sentence.
pub fn field_message(lang: Lang, field: &str, message: &str) -> String {
    if lang == Lang::En {
        let mut chars = message.chars();
        return chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    }
    let numbers: Vec<&str> = message.split(|c: char| !c.is_ascii_digit() && c != '-').filter(|s| !s.is_empty()).collect();
    match field {
        "kind" if message.contains("enterprise") => "请选择单位类型。".to_string(),
        "kind" => "请选择项目类型：培训基地或技能大师工作室。".to_string(),
        "name" => "名称须为 1 至 200 个字符。".to_string(),
        "org_id" if message.contains("no such") => "请选择一个已登记的单位。".to_string(),
        "org_id" => "建设单位用户必须选择所属单位；其他角色不能选择单位。".to_string(),
        "start_date" => "请填写有效的开始日期，例如 2025-03-01。".to_string(),
        "fund_source" => "请选择资金来源。".to_string(),
        "specialties" => {
            let got = message.rsplit("got ").next().unwrap_or("0");
            format!("培训基地至少需要 {MIN_BASE_SPECIALTIES} 个不同的培训专业，现有 {got} 个。")
        }
        "leader" => "技能大师工作室必须填写负责人。".to_string(),
        "leader.name" => "请填写负责人姓名。".to_string(),
        "leader.skill_level" if message.starts_with("unknown") => "请选择负责人的技能等级。".to_string(),
        "leader.skill_level" => "工作室负责人须具备技师及以上技能等级。".to_string(),
        "leader.birth_date" if message.contains("not a date") => "请填写有效的出生日期，例如 1975-06-01。".to_string(),
        "leader.birth_date" if message.contains("after") => "出生日期不能晚于开始日期。".to_string(),
        // "the leader is 66 on 2025-03-01; the limit is under 65"
        "leader.birth_date" => {
            let (age, limit) = (numbers.first().copied().unwrap_or(""), numbers.last().copied().unwrap_or(""));
            let on = message.split(" on ").nth(1).and_then(|s| s.split(';').next()).unwrap_or("");
            format!("负责人在 {on} 已满 {age} 周岁，须未满 {limit} 周岁（民族技艺传承人未满 {ETHNIC_HEIR_AGE_LIMIT} 周岁）。")
        }
        "reason" => "请填写原因。".to_string(),
        "status" => "请选择项目可以变更到的状态。".to_string(),
        "username" => "用户名须为 2 至 64 个字符。".to_string(),
        "password" if message.contains("whitespace") => "密码不能全是空格。".to_string(),
        "password" if message.contains("username") => "密码不能与用户名相同。".to_string(),
        "password" => format!("密码须为 {} 至 {} 个字符。", crate::auth::MIN_PASSWORD_CHARS, crate::auth::MAX_PASSWORD_CHARS),
        "role" if message.contains("bound to an organisation") => "只有属于某个单位的用户才能设为建设单位角色。".to_string(),
        "role" if message.contains("stays a unit") => "建设单位用户不能改为其他角色。".to_string(),
        "role" => "请选择角色。".to_string(),
        "display_name" => "姓名最多 128 个字符。".to_string(),
        "region" => "地区须为 1 至 100 个字符。".to_string(),
        "active" => "请至少变更一项。".to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_age_refusal_keeps_its_figures_in_chinese() {
        let m = field_message(Lang::Zh, "leader.birth_date", "the leader is 66 on 2025-03-01; the limit is under 65");
        assert_eq!(m, "负责人在 2025-03-01 已满 66 周岁，须未满 65 周岁（民族技艺传承人未满 68 周岁）。");
        let s = field_message(Lang::Zh, "specialties", "a training base needs at least 3 distinct specialties, got 2");
        assert!(s.contains("现有 2 个"), "{s}");
        assert_eq!(field_message(Lang::En, "leader", "a studio needs a leader"), "A studio needs a leader");
    }
}
