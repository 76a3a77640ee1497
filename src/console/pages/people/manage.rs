//! HR's changes to a registered project: its status (only the changes its status allows, with a
//! reason), a studio's leader, its name. Each is a small form through the API's own code.
use super::super::super::i18n::people::{code_name, leader_hint, words};
use super::super::super::problems::Explained;
use super::super::super::{Page, Refusal, Visit};
use super::form::{csrf, refused, Shown};
use crate::auth::Role;
use crate::domain::eligibility::{Leader, SKILL_LEVELS};
use crate::domain::kind::ProjectKind;
use crate::domain::status::ProjectStatus;
use crate::error::{AppError, AppResult};
use crate::http::projects::{set_leader, set_name, set_status, visible, LeaderChange, Rename, StatusChange};
use crate::http::{db, parse_date};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

const ACTIONS: [&str; 3] = ["status", "leader", "name"];

/// Any of the three forms; `action` says which was sent.
#[derive(Deserialize, Default)]
pub struct ManageForm {
    csrf: Option<String>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "leader.name")]
    leader_name: String,
    #[serde(default, rename = "leader.skill_level")]
    leader_skill_level: String,
    #[serde(default, rename = "leader.birth_date")]
    leader_birth_date: String,
    #[serde(default, rename = "leader.ethnic_skill_heir")]
    leader_heir: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(v: Visit, id: web::Path<String>, q: web::Query<Done>) -> HttpResponse {
    let done = q.into_inner().done.filter(|d| ACTIONS.contains(&d.as_str()));
    let outcome = page(&v, id.into_inner(), &ManageForm::default(), None, done).await;
    v.respond(outcome)
}

pub async fn submit(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<ManageForm>) -> HttpResponse {
    let (id, f) = (id.into_inner(), form.into_inner());
    let caller = match v.require_csrf(&req, f.csrf.as_deref()) {
        Ok(s) => s.caller.clone(),
        Err(r) => return v.respond(Err(r)),
    };
    // Another role is refused before its input is read, whatever it holds.
    if let Err(e) = caller.require(&[Role::Hr]) {
        return v.respond(Err(e.into()));
    }
    let (state, pid) = (&v.state, id.clone());
    let changed = match f.action.as_str() {
        "status" => set_status(state, &caller, pid, StatusChange { status: f.status.clone(), reason: f.reason.clone() }).await,
        "leader" => match f.leader() {
            Ok(leader) => set_leader(state, &caller, pid, LeaderChange { leader, reason: f.reason.clone() }).await,
            Err(e) => Err(e),
        },
        "name" => set_name(state, &caller, pid, Rename { name: f.name.clone(), reason: f.reason.clone() }).await,
        // Not one of this page's forms: nothing of it to show again.
        _ => return v.respond(Err(Refusal::Failed(AppError::malformed("unknown action")))),
    };
    match changed {
        Ok(_) => v.redirect(&format!("/projects/{id}/manage?done={}", f.action), None),
        Err(e) => {
            let outcome = match refused(v.lang, e) {
                Ok(x) => page(&v, id, &f, Some(x), None).await,
                Err(r) => Err(r),
            };
            v.respond(outcome)
        }
    }
}

impl ManageForm {
    fn leader(&self) -> AppResult<Leader> {
        Ok(Leader {
            name: self.leader_name.trim().to_string(),
            skill_level: self.leader_skill_level.clone(),
            birth_date: parse_date("leader.birth_date", self.leader_birth_date.trim())?,
            ethnic_skill_heir: self.leader_heir.is_some(),
        })
    }

    /// The input of the form that was sent; the others start empty.
    fn kept(&self, action: &str) -> Option<&ManageForm> {
        (self.action == action).then_some(self)
    }
}

async fn page(
    v: &Visit,
    id: String,
    f: &ManageForm,
    refusal: Option<(StatusCode, Explained)>,
    done: Option<String>,
) -> Result<Page, Refusal> {
    let caller = v.caller()?.clone();
    caller.require(&[Role::Hr])?;
    let p = db(&v.state, move |conn| visible(conn, &caller, &id)).await?;
    let leader: Option<Leader> = p.leader.as_deref().and_then(|l| serde_json::from_str(l).ok());
    let (t, w) = (v.t(), words(v.lang));
    let shown = |action: &'static str| Shown {
        lang: v.lang,
        refusal: refusal.as_ref().filter(|_| f.action == action).map(|(_, x)| x),
        scope: action,
    };
    let empty = ManageForm::default();
    let allowed: Vec<(String, String)> = ProjectStatus::SET_BY_HR
        .iter()
        .filter(|to| p.status.may_become(**to))
        .map(|to| (to.as_str().to_string(), v.lang.code_name(to.as_str())))
        .collect();
    let action = format!("/projects/{}/manage", p.id);
    let body = html! {
        nav.crumbs { a href="/" { (t.portfolio) } " › " a href={ "/projects/" (p.id) } { (p.name) } " › " (w.manage_title) }
        h1 { (w.manage_title) (w.sep) (p.name) }
        p.meta {
            (v.lang.code_name(p.kind.as_str())) " · "
            span class={ "status " (p.status) } data-testid="project-status" data-status=(p.status.as_str()) { (v.lang.code_name(p.status.as_str())) }
        }
        @if done.is_some() { p.notice role="status" data-testid="saved" { (w.saved) } }
        section aria-labelledby="status-h" {
            h2 id="status-h" { (w.change_status) }
            @let s = shown("status");
            @if allowed.is_empty() {
                // A change refused because the status moved on meanwhile still says why.
                (s.alert())
                p.muted { (w.no_transition) }
            } @else {
                @let kept = f.kept("status").unwrap_or(&empty);
                form.people-form method="post" action=(action) data-testid="status-form" {
                    (csrf(&v.csrf())) input type="hidden" name="action" value="status";
                    (s.alert())
                    (s.select("status", w.new_status, &allowed, &kept.status, w.choose))
                    (s.input("reason", w.reason, "text", &kept.reason, true, None))
                    button type="submit" { (w.change_status) }
                }
            }
        }
        @if p.kind == ProjectKind::Studio {
            section aria-labelledby="leader-h" {
                h2 id="leader-h" { (w.change_leader) }
                @if let Some(l) = &leader {
                    p { (w.current_leader) (w.sep) (l.name) " · " (code_name(v.lang, &l.skill_level)) " · " (w.birth_date) " " (l.birth_date)
                        @if l.ethnic_skill_heir { " · " (w.ethnic_skill_heir) } }
                }
                (leader_form(v, &shown("leader"), f.kept("leader").unwrap_or(&empty), &action))
            }
        }
        section aria-labelledby="name-h" {
            h2 id="name-h" { (w.rename) }
            @let s = shown("name");
            @let kept = f.kept("name").unwrap_or(&empty);
            form.people-form method="post" action=(action) data-testid="name-form" {
                (csrf(&v.csrf())) input type="hidden" name="action" value="name";
                (s.alert())
                (s.input("name", w.new_name, "text", &kept.name, true, None))
                (s.input("reason", w.reason, "text", &kept.reason, false, None))
                button type="submit" { (w.rename) }
            }
        }
    };
    let status = refusal.map_or(StatusCode::OK, |(status, _)| status);
    Ok(Page { status, title: format!("{} · {}", w.manage_title, p.name), body })
}

fn leader_form(v: &Visit, s: &Shown, kept: &ManageForm, action: &str) -> Markup {
    let w = words(v.lang);
    let levels: Vec<(String, String)> = SKILL_LEVELS.iter().map(|c| (c.to_string(), code_name(v.lang, c).to_string())).collect();
    html! {
        form.people-form method="post" action=(action) data-testid="leader-form" {
            (csrf(&v.csrf())) input type="hidden" name="action" value="leader";
            (s.alert())
            p.hint { (leader_hint(v.lang, false)) }
            (s.input("leader.name", w.leader_name, "text", &kept.leader_name, true, None))
            (s.select("leader.skill_level", w.skill_level, &levels, &kept.leader_skill_level, w.choose))
            (s.input("leader.birth_date", w.birth_date, "date", &kept.leader_birth_date, true, None))
            (s.checkbox("leader.ethnic_skill_heir", w.ethnic_skill_heir, kept.leader_heir.is_some()))
            (s.input("reason", w.reason, "text", &kept.reason, false, None))
            button type="submit" { (w.change_leader) }
        }
    }
}
