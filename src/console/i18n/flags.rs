//! The words of the console's red-flag pages, in Chinese and English.
use super::Lang;

pub struct FlagWords {
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub project_none: &'static str,
    pub rule: &'static str,
    pub severity: &'static str,
    pub project: &'static str,
    pub vouchers: &'static str,
    pub amount: &'static str,
    pub detail: &'static str,
    pub kind: &'static str,
    pub region: &'static str,
    pub any: &'static str,
    pub filter: &'static str,
    pub count: &'static str,
    pub bad_filter: &'static str,
}

const ZH: FlagWords = FlagWords {
    title: "风险提示",
    intro: "按规则从账簿中找出值得核查的情况（阈值见 config/flags.toml）。风险提示只是线索，不是违规结论。",
    none: "没有符合条件的风险提示。",
    project_none: "本项目暂无风险提示。",
    rule: "风险规则",
    severity: "风险等级",
    project: "项目",
    vouchers: "涉及凭证",
    amount: "金额",
    detail: "说明",
    kind: "项目类型",
    region: "地区",
    any: "全部",
    filter: "筛选",
    count: "条数",
    bad_filter: "筛选条件无法识别，请重新选择。",
};

const EN: FlagWords = FlagWords {
    title: "Red flags",
    intro: "Patterns in the books that deserve a look, by the rules in config/flags.toml. A flag is a lead, not a finding of wrongdoing.",
    none: "No red flags match.",
    project_none: "No red flags for this project.",
    rule: "Rule",
    severity: "Severity",
    project: "Project",
    vouchers: "Vouchers",
    amount: "Amount",
    detail: "Detail",
    kind: "Kind",
    region: "Region",
    any: "Any",
    filter: "Filter",
    count: "Count",
    bad_filter: "A filter was not recognised; choose again.",
};

pub fn words(lang: Lang) -> &'static FlagWords {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}
