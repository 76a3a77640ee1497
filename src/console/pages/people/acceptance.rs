//! A project's output acceptance (项目产出验收) as people read it — the current record with the
//! figures checked, the final accounts frozen in it and the records it superseded — HR's form to
//! record one, and the project's archive (档案). Through the API's own code.
use super::super::super::format::amount;
use super::super::super::i18n::Lang;
use super::super::super::problems::Explained;
use super::super::super::{Page, Refusal, Visit};
use super::form::{csrf, refused, Shown};
use crate::auth::Role;
use crate::domain::acceptance::{ChecklistItem, Conclusion, PanelMember};
use crate::domain::archive::Kind;
use crate::domain::kind::ProjectKind;
use crate::domain::money::Money;
use crate::error::AppError;
use crate::http::acceptance::{history, record_acceptance, AcceptanceIn, OutputsIn};
use crate::http::archive::entries_of;
use crate::http::db;
use crate::http::projects::visible;
use crate::store::rows::ProjectRow;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Datelike;
use maud::{html, Markup};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The qualitative items the plan names (§7), offered as the checklist of each kind.
fn checklist_items(kind: ProjectKind) -> &'static [&'static str] {
    match kind {
        ProjectKind::Base => &["建立完整的培训体系", "培训场地与设备到位", "师资队伍满足培训需要", "与企业院校合作开展培训"],
        ProjectKind::Studio => &["有固定场所", "有规章制度", "有稳定团队", "定期开展技术交流活动"],
    }
}

struct Words {
    title: &'static str,
    archive_title: &'static str,
    current: &'static str,
    none_yet: &'static str,
    history: &'static str,
    superseded: &'static str,
    date: &'static str,
    panel: &'static str,
    panel_hint: &'static str,
    conclusion: &'static str,
    override_reason: &'static str,
    note: &'static str,
    targets: &'static str,
    year: &'static str,
    target: &'static str,
    measured: &'static str,
    met: &'static str,
    not_met: &'static str,
    source: &'static str,
    checklist: &'static str,
    remark: &'static str,
    final_accounts: &'static str,
    chain_head: &'static str,
    record: &'static str,
    trained_total: &'static str,
    trained_advanced: &'static str,
    outputs_hint: &'static str,
    choose: &'static str,
    saved: &'static str,
    recorded_by: &'static str,
    kind: &'static str,
    title_col: &'static str,
    text: &'static str,
    all: &'static str,
    filter: &'static str,
    no_entries: &'static str,
}

const ZH: Words = Words {
    title: "项目产出验收",
    archive_title: "项目档案",
    current: "当前验收结论",
    none_yet: "尚未组织验收。",
    history: "验收记录（含已被更正的记录）",
    superseded: "已被更正",
    date: "验收日期",
    panel: "验收专家组",
    panel_hint: "每行一位专家：姓名，职称",
    conclusion: "验收结论",
    override_reason: "指标未达到而结论为通过的理由",
    note: "备注",
    targets: "产出指标核对",
    year: "年度",
    target: "指标（培训人次/高级工以上）",
    measured: "实际",
    met: "达到",
    not_met: "未达到",
    source: "数据来源",
    checklist: "定性指标",
    remark: "说明",
    final_accounts: "决算（验收时冻结）",
    chain_head: "审计链头",
    record: "记录验收",
    trained_total: "培训人次",
    trained_advanced: "其中高级工以上",
    outputs_hint: "专家组实测的年度数据；空着的年度按已报送的年度报告核对。",
    choose: "请选择",
    saved: "验收已记录。",
    recorded_by: "记录人",
    kind: "类别",
    title_col: "标题",
    text: "内容",
    all: "全部",
    filter: "筛选",
    no_entries: "暂无档案。",
};

const EN: Words = Words {
    title: "Output acceptance",
    archive_title: "Project archive",
    current: "Current conclusion",
    none_yet: "No acceptance has been held yet.",
    history: "Records (with those corrected)",
    superseded: "superseded",
    date: "Date",
    panel: "Panel",
    panel_hint: "One expert a line: name, title",
    conclusion: "Conclusion",
    override_reason: "Why it passes though a target is missed",
    note: "Note",
    targets: "Targets checked",
    year: "Year",
    target: "Target (trained / advanced)",
    measured: "Measured",
    met: "met",
    not_met: "not met",
    source: "Source",
    checklist: "Qualitative items",
    remark: "Remark",
    final_accounts: "Final accounts (frozen at acceptance)",
    chain_head: "Audit chain head",
    record: "Record the acceptance",
    trained_total: "Trained",
    trained_advanced: "Of them advanced",
    outputs_hint: "The panel's figures per year; a year left empty is checked on its annual report.",
    choose: "Choose",
    saved: "The acceptance was recorded.",
    recorded_by: "Recorded by",
    kind: "Kind",
    title_col: "Title",
    text: "Text",
    all: "All",
    filter: "Filter",
    no_entries: "No entries yet.",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

fn conclusion_name(lang: Lang, c: &str) -> &'static str {
    match (c, lang) {
        ("passed", Lang::Zh) => "通过",
        ("passed_with_conditions", Lang::Zh) => "有条件通过",
        ("failed", Lang::Zh) => "不通过",
        ("passed", Lang::En) => "passed",
        ("passed_with_conditions", Lang::En) => "passed with conditions",
        ("failed", Lang::En) => "failed",
        _ => "",
    }
}

fn kind_name(lang: Lang, k: Kind) -> &'static str {
    match (k, lang) {
        (Kind::Member, Lang::Zh) => "成员信息",
        (Kind::Activity, Lang::Zh) => "重大活动记录",
        (Kind::Achievement, Lang::Zh) => "工作业绩",
        (Kind::Summary, Lang::Zh) => "工作总结",
        (Kind::Image, Lang::Zh) => "影像资料",
        (Kind::Member, Lang::En) => "member",
        (Kind::Activity, Lang::En) => "activity",
        (Kind::Achievement, Lang::En) => "achievement",
        (Kind::Summary, Lang::En) => "summary",
        (Kind::Image, Lang::En) => "image",
    }
}

/// The links a project's page offers to these pages: (path under `/projects/{id}`, label).
pub fn links(lang: Lang) -> [(&'static str, &'static str); 2] {
    let w = words(lang);
    [("/acceptance", w.title), ("/archive", w.archive_title)]
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(v: Visit, id: web::Path<String>, q: web::Query<Done>) -> HttpResponse {
    let done = q.into_inner().done.is_some();
    let outcome = page(&v, id.into_inner(), &HashMap::new(), None, done).await;
    v.respond(outcome)
}

pub async fn submit(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let (id, f) = (id.into_inner(), form.into_inner());
    let caller = match v.require_csrf(&req, f.get("csrf").map(String::as_str)) {
        Ok(s) => s.caller.clone(),
        Err(r) => return v.respond(Err(r)),
    };
    if let Err(e) = caller.require(&[Role::Hr]) {
        return v.respond(Err(e.into()));
    }
    let pid = id.clone();
    let project = match db(&v.state, {
        let caller = caller.clone();
        move |conn| visible(conn, &caller, &pid)
    })
    .await
    {
        Ok(p) => p,
        Err(e) => return v.respond(Err(e.into())),
    };
    match record_acceptance(&v.state, &caller, id.clone(), body_of(&f, &project)).await {
        Ok(_) => v.redirect(&format!("/projects/{id}/acceptance?done=1"), None),
        Err(e) => {
            let outcome = match refused(v.lang, e) {
                Ok(x) => page(&v, id, &f, Some(x), false).await,
                Err(r) => Err(r),
            };
            v.respond(outcome)
        }
    }
}

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("").trim()
}

/// The years of a project's period, each a row of the outputs.
fn years(p: &ProjectRow) -> std::ops::RangeInclusive<i32> {
    p.start_date.year()..=p.end_date.year()
}

/// The form as the API's body: a panel line splits at its first comma (either width) or tab.
fn body_of(f: &HashMap<String, String>, p: &ProjectRow) -> AcceptanceIn {
    let panel = field(f, "panel")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, title) = l.split_once(['，', ',', '\t']).unwrap_or((l, ""));
            PanelMember { name: name.trim().to_string(), title: title.trim().to_string() }
        })
        .collect();
    let checklist = checklist_items(p.kind)
        .iter()
        .enumerate()
        .map(|(i, item)| ChecklistItem {
            item: item.to_string(),
            met: f.contains_key(&format!("met.{i}")),
            remark: field(f, &format!("remark.{i}")).to_string(),
        })
        .collect();
    let mut outputs = OutputsIn::default();
    for y in years(p) {
        let (t, a) = (field(f, &format!("total.{y}")), field(f, &format!("advanced.{y}")));
        if t.is_empty() && a.is_empty() {
            continue;
        }
        // A figure that is no number is sent as -1, which the API refuses on its field.
        outputs.trained_total.insert(y.to_string(), t.parse().unwrap_or(-1));
        outputs.trained_advanced.insert(y.to_string(), a.parse().unwrap_or(-1));
    }
    AcceptanceIn {
        date: field(f, "date").to_string(),
        panel,
        outputs,
        checklist,
        conclusion: field(f, "conclusion").to_string(),
        override_reason: Some(field(f, "override_reason").to_string()),
        note: field(f, "note").to_string(),
    }
}

async fn page(
    v: &Visit,
    id: String,
    f: &HashMap<String, String>,
    refusal: Option<(StatusCode, Explained)>,
    done: bool,
) -> Result<Page, Refusal> {
    let caller = v.caller()?.clone();
    let role = caller.role;
    let pid = id.clone();
    let project = db(&v.state, {
        let caller = caller.clone();
        move |conn| visible(conn, &caller, &pid)
    })
    .await?;
    let records = history(&v.state, caller, id).await?;
    let (t, w) = (v.t(), words(v.lang));
    let records = serde_json::to_value(&records).map_err(AppError::internal)?;
    let history: Vec<Value> = records["history"].as_array().cloned().unwrap_or_default();
    let current = history.last();
    let body = html! {
        nav.crumbs { a href="/" { (t.portfolio) } " › " a href={ "/projects/" (project.id) } { (project.name) } " › " (w.title) }
        h1 { (w.title) " · " (project.name) }
        p.meta {
            span class={ "status " (project.status) } data-testid="project-status" data-status=(project.status.as_str()) { (v.lang.code_name(project.status.as_str())) }
            " · " (project.start_date) " – " (project.end_date)
        }
        @if done { p.notice role="status" data-testid="saved" { (w.saved) } }
        section aria-labelledby="current-h" {
            h2 id="current-h" { (w.current) }
            @match current {
                Some(r) => (record(v.lang, r)),
                None => p.muted data-testid="no-acceptance" { (w.none_yet) },
            }
        }
        @if history.len() > 1 {
            section aria-labelledby="history-h" {
                h2 id="history-h" { (w.history) }
                ol data-testid="acceptance-history" {
                    @for r in &history {
                        li {
                            (r["date"].as_str().unwrap_or("")) " · " (conclusion_name(v.lang, r["conclusion"].as_str().unwrap_or("")))
                            @if !r["superseded_by"].is_null() { " · " span.muted { (w.superseded) } }
                        }
                    }
                }
            }
        }
        @if role == Role::Hr && project.status.may_be_accepted() {
            (form(v, &project, f, refusal.as_ref().map(|(_, x)| x)))
        }
    };
    let status = refusal.map_or(StatusCode::OK, |(status, _)| status);
    Ok(Page { status, title: format!("{} · {}", w.title, project.name), body })
}

/// One record: conclusion, panel, the targets checked, the checklist, the final accounts.
fn record(lang: Lang, r: &Value) -> Markup {
    let w = words(lang);
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let money = |v: &Value| Money::parse_written(v.as_str().unwrap_or("")).map(amount).unwrap_or_default();
    let fa = &r["final_accounts"];
    let count = |v: &Value| v.as_i64().map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    html! {
        dl.record data-testid="acceptance-record" data-conclusion=(s(&r["conclusion"])) {
            dt { (w.date) } dd { (s(&r["date"])) }
            dt { (w.conclusion) } dd { strong { (conclusion_name(lang, &s(&r["conclusion"]))) } }
            @if !r["override_reason"].is_null() { dt { (w.override_reason) } dd { (s(&r["override_reason"])) } }
            dt { (w.panel) } dd { @for m in r["panel"].as_array().into_iter().flatten() { (s(&m["name"])) "（" (s(&m["title"])) "） " } }
            @if !s(&r["note"]).is_empty() { dt { (w.note) } dd { (s(&r["note"])) } }
            dt { (w.recorded_by) } dd { (s(&r["recorded_by_name"])) " · " (s(&r["recorded_at"])) }
        }
        h3 { (w.targets) }
        table data-testid="targets-met" {
            thead { tr { th { (w.year) } th { (w.target) } th { (w.measured) } th { (w.source) } th { (w.met) } } }
            tbody {
                @for c in r["targets_met"].as_array().into_iter().flatten() {
                    tr {
                        td { (count(&c["year"])) }
                        td { (count(&c["target"]["trained_total"])) " / " (count(&c["target"]["trained_advanced"])) }
                        td { (count(&c["trained_total"])) " / " (count(&c["trained_advanced"])) }
                        td { (s(&c["source"])) }
                        td { @if c["met"] == true { (w.met) } @else { strong { (w.not_met) } } }
                    }
                }
            }
        }
        h3 { (w.checklist) }
        ul { @for c in r["checklist"].as_array().into_iter().flatten() {
            li { (s(&c["item"])) " · " @if c["met"] == true { (w.met) } @else { strong { (w.not_met) } }
                @if !s(&c["remark"]).is_empty() { " · " (s(&c["remark"])) } }
        } }
        h3 { (w.final_accounts) }
        table.figures data-testid="final-accounts" {
            tbody {
                @for key in ["grant", "disbursed", "implemented", "recoverable", "recovered", "owed_to_finance"] {
                    tr { th { (key) } td.num { (money(&fa[key])) } }
                }
                tr { th { "utilization" } td.num { (s(&fa["utilization"])) } }
                tr { th { (w.chain_head) } td { code { (s(&fa["chain_head"])) } " (" (count(&fa["chain_size"])) ")" } }
            }
        }
    }
}

/// HR's form: the date, the panel, each year's figures, the plan's qualitative items, the conclusion.
fn form(v: &Visit, p: &ProjectRow, f: &HashMap<String, String>, refusal: Option<&Explained>) -> Markup {
    let w = words(v.lang);
    let s = Shown { lang: v.lang, refusal, scope: "acceptance" };
    let kept = |name: &str| field(f, name).to_string();
    let conclusions: Vec<(String, String)> =
        Conclusion::ALL.iter().map(|c| (c.as_str().to_string(), conclusion_name(v.lang, c.as_str()).to_string())).collect();
    html! {
        section aria-labelledby="record-h" {
            h2 id="record-h" { (w.record) }
            form.people-form method="post" action={ "/projects/" (p.id) "/acceptance" } data-testid="acceptance-form" {
                (csrf(&v.csrf()))
                (s.alert())
                (s.input("date", w.date, "date", &kept("date"), true, None))
                (s.textarea("panel", w.panel, &kept("panel"), w.panel_hint))
                fieldset {
                    legend { (w.targets) }
                    small.hint { (w.outputs_hint) }
                    @for y in years(p) {
                        (s.input(&format!("total.{y}"), &format!("{y} {}", w.trained_total), "number", &kept(&format!("total.{y}")), false, None))
                        (s.input(&format!("advanced.{y}"), &format!("{y} {}", w.trained_advanced), "number", &kept(&format!("advanced.{y}")), false, None))
                    }
                }
                fieldset {
                    legend { (w.checklist) }
                    @for (i, item) in checklist_items(p.kind).iter().enumerate() {
                        (s.checkbox(&format!("met.{i}"), item, f.contains_key(&format!("met.{i}"))))
                        (s.input(&format!("remark.{i}"), w.remark, "text", &kept(&format!("remark.{i}")), false, None))
                    }
                }
                (s.select("conclusion", w.conclusion, &conclusions, &kept("conclusion"), w.choose))
                (s.input("override_reason", w.override_reason, "text", &kept("override_reason"), false, None))
                (s.input("note", w.note, "text", &kept("note"), false, None))
                button type="submit" { (w.record) }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ArchiveQuery {
    kind: Option<String>,
    year: Option<String>,
}

/// The project's archive, by kind and year.
pub async fn archive(v: Visit, id: web::Path<String>, q: web::Query<ArchiveQuery>) -> HttpResponse {
    let outcome = archive_page(&v, id.into_inner(), q.into_inner()).await;
    v.respond(outcome)
}

async fn archive_page(v: &Visit, id: String, q: ArchiveQuery) -> Result<Page, Refusal> {
    let caller = v.caller()?.clone();
    let kind = q.kind.filter(|k| Kind::parse(k).is_some());
    let year = q.year.as_deref().and_then(|y| y.parse::<i32>().ok());
    let pid = id.clone();
    let project = db(&v.state, {
        let caller = caller.clone();
        move |conn| visible(conn, &caller, &pid)
    })
    .await?;
    let entries = entries_of(&v.state, caller, id, kind.clone(), year).await?;
    let (t, w) = (v.t(), words(v.lang));
    let by_kind: BTreeMap<&str, &'static str> = Kind::ALL.iter().map(|k| (k.as_str(), kind_name(v.lang, *k))).collect();
    let body = html! {
        nav.crumbs { a href="/" { (t.portfolio) } " › " a href={ "/projects/" (project.id) } { (project.name) } " › " (w.archive_title) }
        h1 { (w.archive_title) " · " (project.name) }
        form.filters method="get" {
            label for="a-kind" { (w.kind) }
            select id="a-kind" name="kind" {
                option value="" { (w.all) }
                @for k in Kind::ALL { option value=(k.as_str()) selected[kind.as_deref() == Some(k.as_str())] { (kind_name(v.lang, k)) } }
            }
            label for="a-year" { (w.year) }
            input id="a-year" name="year" type="number" value=[year];
            button type="submit" { (w.filter) }
        }
        @if entries.is_empty() {
            p.muted { (w.no_entries) }
        } @else {
            table data-testid="archive-list" {
                thead { tr { th { (w.date) } th { (w.kind) } th { (w.title_col) } th { (w.text) } } }
                tbody {
                    @for e in &entries {
                        tr data-kind=(e.kind) {
                            td { (e.date) } td { (by_kind.get(e.kind.as_str()).copied().unwrap_or("")) } td { (e.title) } td { (e.text) }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::ok(format!("{} · {}", w.archive_title, project.name), body))
}
