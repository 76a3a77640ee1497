//! The words of the console's charts (spending over the period, utilization across the
//! portfolio), in Chinese and English.
use super::Lang;

pub struct ChartWords {
    pub over_time: &'static str,
    pub over_time_desc: &'static str,
    pub not_started: &'static str,
    pub grant_line: &'static str,
    pub period_end: &'static str,
    pub spent_to: &'static str,
    pub by_band: &'static str,
    pub by_band_desc: &'static str,
    pub projects_n: &'static str,
    pub of_grant: &'static str,
    pub colon: &'static str,
}

static ZH: ChartWords = ChartWords {
    over_time: "实施进度（累计实施金额）",
    over_time_desc: "每月末累计实施金额，横线为核定拨款，竖线为实施期限截止日。",
    not_started: "实施期限尚未开始。",
    grant_line: "核定拨款",
    period_end: "期限截止",
    spent_to: "累计实施至",
    by_band: "执行率分布",
    by_band_desc: "按执行率（累计实施 ÷ 核定拨款）分档的项目个数及其核定拨款合计。",
    projects_n: "个项目",
    of_grant: "拨款",
    colon: "：",
};

static EN: ChartWords = ChartWords {
    over_time: "Spending over the period (cumulative implemented)",
    over_time_desc: "Implemented spending at each month's end; the horizontal line is the grant, the vertical line the period's end.",
    not_started: "The period has not started yet.",
    grant_line: "Grant",
    period_end: "Period ends",
    spent_to: "Implemented to",
    by_band: "Utilization across the portfolio",
    by_band_desc: "Projects by utilization (implemented ÷ grant), with the grants they hold.",
    projects_n: "projects",
    of_grant: "grant",
    colon: ": ",
};

pub fn words(lang: Lang) -> &'static ChartWords {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}
