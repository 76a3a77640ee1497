//! The console's words: one table per language. Chinese is the default; English on `?lang=en`
//! or an `Accept-Language` that prefers English, remembered in a cookie.
use actix_web::HttpRequest;

// Each area of the console keeps its own words beside these shared ones, in the same two-table
// pattern (a struct of fields, one static per language).
pub mod charts;
pub mod finance;
pub mod flags;
pub mod imports;
pub mod people;
pub mod vouchers;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

pub const LANG_COOKIE: &str = "fl_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language of a request, and whether it was chosen now (`?lang=`) and should be
    /// remembered.
    pub fn of(req: &HttpRequest) -> (Lang, bool) {
        let asked = req.query_string().split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(Lang::parse);
        if let Some(lang) = asked {
            return (lang, true);
        }
        if let Some(lang) = super::cookies::get(req, LANG_COOKIE).and_then(|c| Lang::parse(&c)) {
            return (lang, false);
        }
        // The first language the browser names decides; no q-value arithmetic for two languages.
        let header = req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).unwrap_or("");
        let first = header.split(',').next().and_then(|l| l.split(';').next()).unwrap_or("");
        (Lang::parse(first).unwrap_or(Lang::Zh), false)
    }

    pub fn t(self) -> &'static Words {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// A stored code (status, role, kind, action) in words; an unknown code is shown as it is.
    pub fn code_name(self, code: &str) -> String {
        let table: &[(&str, &str)] = match self {
            Lang::Zh => ZH_CODES,
            Lang::En => EN_CODES,
        };
        table.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_string(), |(_, w)| w.to_string())
    }
}

/// Every sentence and label of the console.
pub struct Words {
    pub app_name: &'static str,
    pub other_lang: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub login_error: &'static str,
    pub signed_in_as: &'static str,
    pub projects: &'static str,
    pub portfolio: &'static str,
    pub reviews: &'static str,
    pub users: &'static str,
    pub orgs: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    pub region: &'static str,
    pub status: &'static str,
    pub role: &'static str,
    pub org: &'static str,
    pub active: &'static str,
    pub inactive: &'static str,
    pub created_at: &'static str,
    pub any: &'static str,
    pub filter: &'static str,
    pub sort_by: &'static str,
    pub grant: &'static str,
    pub disbursed: &'static str,
    pub undisbursed: &'static str,
    pub implemented: &'static str,
    pub bank_balance: &'static str,
    pub available: &'static str,
    pub recoverable: &'static str,
    pub utilization: &'static str,
    pub days_left: &'static str,
    pub period: &'static str,
    pub totals: &'static str,
    pub no_projects: &'static str,
    pub statement: &'static str,
    pub by_category: &'static str,
    pub no_spending: &'static str,
    pub audit_trail: &'static str,
    pub seq: &'static str,
    pub at: &'static str,
    pub actor: &'static str,
    pub action: &'static str,
    pub object: &'static str,
    pub hash: &'static str,
    pub verify_in_browser: &'static str,
    pub verify_explain: &'static str,
    pub verifying: &'static str,
    pub chain_valid: &'static str,
    pub chain_broken: &'static str,
    pub server_verify: &'static str,
    pub events: &'static str,
    pub older: &'static str,
    pub not_found: &'static str,
    pub forbidden: &'static str,
    pub error: &'static str,
    pub back_home: &'static str,
    pub csrf_refused: &'static str,
    pub vouchers: &'static str,
    pub new_voucher: &'static str,
    pub disburse: &'static str,
    pub recovery: &'static str,
    pub trial_balance: &'static str,
    pub ledger: &'static str,
    pub annual_reports: &'static str,
    pub manage_project: &'static str,
    pub new_project: &'static str,
    pub tree_root: &'static str,
    pub keep_checkpoint: &'static str,
    pub keep_checkpoint_explain: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    /// "page {n} of {m}" is written `page_of[0] n page_of[1] m page_of[2]`.
    pub page_of: [&'static str; 3],
}

static ZH: Words = Words {
    app_name: "技能培训补助资金账簿",
    other_lang: "English",
    sign_in: "登录",
    sign_out: "退出",
    username: "用户名",
    password: "密码",
    login_error: "用户名或密码错误，或账户已停用。",
    signed_in_as: "当前用户",
    projects: "项目",
    portfolio: "项目总览",
    reviews: "待审核",
    users: "用户",
    orgs: "单位",
    name: "名称",
    kind: "类型",
    region: "地区",
    status: "状态",
    role: "角色",
    org: "单位",
    active: "启用",
    inactive: "停用",
    created_at: "创建时间",
    any: "全部",
    filter: "筛选",
    sort_by: "排序",
    grant: "补助资金",
    disbursed: "已拨付",
    undisbursed: "未拨付",
    implemented: "已执行",
    bank_balance: "银行存款",
    available: "可用余额",
    recoverable: "可收回",
    utilization: "执行率",
    days_left: "剩余天数",
    period: "项目周期",
    totals: "合计",
    no_projects: "暂无项目。",
    statement: "资金情况",
    by_category: "按支出类别",
    no_spending: "尚无支出。",
    audit_trail: "审计记录",
    seq: "序号",
    at: "时间",
    actor: "操作人",
    action: "操作",
    object: "对象",
    hash: "哈希",
    verify_in_browser: "在浏览器中校验哈希链",
    verify_explain: "本页下载全部审计记录，用浏览器自带的 SHA-256 逐条重新计算哈希并核对前后链接，不依赖服务器的结论。",
    verifying: "正在校验…",
    chain_valid: "哈希链完整",
    chain_broken: "哈希链已被篡改",
    server_verify: "服务器校验结果",
    events: "条记录",
    older: "更早的记录",
    not_found: "未找到该页面或项目。",
    forbidden: "您的角色无权查看此页面。",
    error: "出错了",
    back_home: "返回首页",
    csrf_refused: "请求缺少有效的安全令牌，已拒绝。请刷新页面后重试。",
    vouchers: "凭证",
    new_voucher: "录入凭证",
    disburse: "拨付资金",
    recovery: "资金收回",
    trial_balance: "试算平衡表",
    ledger: "明细账",
    annual_reports: "年度报告",
    manage_project: "项目变更",
    new_project: "项目登记",
    tree_root: "默克尔树根",
    keep_checkpoint: "下载并保存检查点",
    keep_checkpoint_explain: "检查点由本系统的密钥签名，记录此刻审计记录的条数和默克尔树根。请自行保存；日后用它核验（verify?checkpoint=），若有人删改或截断记录，即可发现。",
    previous_page: "上一页",
    next_page: "下一页",
    page_of: ["第 ", " 页，共 ", " 页"],
};

static EN: Words = Words {
    app_name: "Skill-training grant books",
    other_lang: "中文",
    sign_in: "Sign in",
    sign_out: "Sign out",
    username: "Username",
    password: "Password",
    login_error: "Wrong username or password, or the account is deactivated.",
    signed_in_as: "Signed in as",
    projects: "Projects",
    portfolio: "Portfolio",
    reviews: "Review queue",
    users: "Users",
    orgs: "Organisations",
    name: "Name",
    kind: "Kind",
    region: "Region",
    status: "Status",
    role: "Role",
    org: "Organisation",
    active: "active",
    inactive: "deactivated",
    created_at: "Created",
    any: "Any",
    filter: "Filter",
    sort_by: "Sort by",
    grant: "Grant",
    disbursed: "Disbursed",
    undisbursed: "Undisbursed",
    implemented: "Implemented",
    bank_balance: "Bank balance",
    available: "Available",
    recoverable: "Recoverable",
    utilization: "Utilization",
    days_left: "Days left",
    period: "Period",
    totals: "Totals",
    no_projects: "No projects yet.",
    statement: "Statement",
    by_category: "Spending by category",
    no_spending: "Nothing spent yet.",
    audit_trail: "Audit trail",
    seq: "Seq",
    at: "Time",
    actor: "Actor",
    action: "Action",
    object: "Object",
    hash: "Hash",
    verify_in_browser: "Verify the hash chain in this browser",
    verify_explain: "This page downloads the whole trail and recomputes every event's SHA-256 and link with the browser's own cryptography, independently of the server.",
    verifying: "Verifying…",
    chain_valid: "The chain is intact",
    chain_broken: "The chain has been tampered with",
    server_verify: "The server's verification",
    events: "events",
    older: "Older events",
    not_found: "No such page or project.",
    forbidden: "Your role may not see this page.",
    error: "Something went wrong",
    back_home: "Back to the start page",
    csrf_refused: "The request lacked a valid security token and was refused. Reload the page and try again.",
    vouchers: "Vouchers",
    new_voucher: "Enter a voucher",
    disburse: "Disburse",
    recovery: "Recovery",
    trial_balance: "Trial balance",
    ledger: "Ledger",
    annual_reports: "Annual reports",
    manage_project: "Change the project",
    new_project: "Register a project",
    tree_root: "Merkle tree root",
    keep_checkpoint: "Download and keep a checkpoint",
    keep_checkpoint_explain: "A checkpoint is signed by this service's key and records how many events the trail has now and their Merkle root. Keep it yourself: checked later (verify?checkpoint=), it shows whether anyone has since rewritten or cut the trail.",
    previous_page: "Previous page",
    next_page: "Next page",
    page_of: ["Page ", " of ", ""],
};

static ZH_CODES: &[(&str, &str)] = &[
    ("admin", "系统管理员"),
    ("hr", "人社局"),
    ("finance", "财政局"),
    ("inspector", "监督检查"),
    ("unit", "建设单位"),
    ("base", "培训基地"),
    ("studio", "技能大师工作室"),
    ("active", "执行中"),
    ("suspended", "暂停"),
    ("cancelled", "撤销"),
    ("completed", "已完成"),
    ("acceptance_failed", "验收未通过"),
    ("closed", "已结项"),
    ("posted", "已记账"),
    ("pending_review", "待审核"),
    ("declined", "已驳回"),
    ("reversed", "已冲销"),
    ("enterprise", "企业"),
    ("school", "学校"),
    ("training_institution", "培训机构"),
    ("research_institute", "科研院所"),
    ("public_institution", "事业单位"),
    ("project.registered", "项目登记"),
    ("project.status_changed", "状态变更"),
    ("voucher.posted", "凭证记账"),
    ("voucher.pending_review", "凭证待审"),
    ("voucher.approved", "审核通过"),
    ("voucher.declined", "审核驳回"),
    ("voucher.refused", "凭证被拒"),
    ("approval.refused", "审核被拒"),
    ("decline.refused", "驳回被拒"),
    ("reversal.refused", "冲销被拒"),
    ("disbursement.refused", "拨付被拒"),
    ("recovery.refused", "收回被拒"),
    ("remittance.refused", "缴回被拒"),
    ("project.closed", "项目结项"),
    ("project.leader_replaced", "负责人变更"),
    ("project.renamed", "项目更名"),
    ("report.filed", "年度报告报送"),
    ("acceptance.recorded", "项目产出验收"),
    ("archive.added", "项目档案登记"),
    ("user.created", "新建用户"),
    ("user.updated", "用户变更"),
    ("org.created", "新建单位"),
    ("allocation", "资金下达"),
    ("disbursement", "资金拨付"),
    ("expense", "费用支出"),
    ("reversal", "红字冲销"),
    ("recovery", "资金收回"),
    ("remittance", "缴回财政"),
];

static EN_CODES: &[(&str, &str)] = &[
    ("admin", "admin"),
    ("hr", "HR bureau"),
    ("finance", "finance bureau"),
    ("inspector", "inspector"),
    ("unit", "unit"),
    ("base", "training base"),
    ("studio", "master studio"),
    ("pending_review", "pending review"),
    ("training_institution", "training institution"),
    ("research_institute", "research institute"),
    ("public_institution", "public institution"),
    ("project.registered", "project registered"),
    ("project.status_changed", "status changed"),
    ("project.leader_replaced", "leader replaced"),
    ("project.renamed", "project renamed"),
    ("project.closed", "project closed"),
    ("voucher.posted", "voucher posted"),
    ("voucher.pending_review", "voucher awaits review"),
    ("voucher.approved", "voucher approved"),
    ("voucher.declined", "voucher declined"),
    ("voucher.refused", "voucher refused"),
    ("report.filed", "annual report filed"),
    ("acceptance_failed", "acceptance failed"),
    ("acceptance.recorded", "output acceptance recorded"),
    ("archive.added", "archive entry added"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn chinese_unless_english_is_asked_for_or_preferred() {
        assert_eq!(Lang::of(&TestRequest::default().to_http_request()), (Lang::Zh, false));
        assert_eq!(Lang::of(&TestRequest::with_uri("/?lang=en").to_http_request()), (Lang::En, true));
        let en_browser = TestRequest::default().insert_header(("Accept-Language", "en-GB,en;q=0.9,zh;q=0.5")).to_http_request();
        assert_eq!(Lang::of(&en_browser), (Lang::En, false));
        let zh_browser = TestRequest::default().insert_header(("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")).to_http_request();
        assert_eq!(Lang::of(&zh_browser), (Lang::Zh, false));
        let remembered = TestRequest::default().insert_header(("Cookie", "fl_lang=en")).to_http_request();
        assert_eq!(Lang::of(&remembered), (Lang::En, false));
        // The query wins over the cookie.
        let switched = TestRequest::with_uri("/?lang=zh").insert_header(("Cookie", "other=1; fl_lang=en")).to_http_request();
        assert_eq!(Lang::of(&switched), (Lang::Zh, true));
    }

    #[test]
    fn unknown_codes_show_as_they_are() {
        assert_eq!(Lang::Zh.code_name("finance"), "财政局");
        assert_eq!(Lang::En.code_name("finance"), "finance bureau");
        assert_eq!(Lang::En.code_name("posted"), "posted");
    }
}
