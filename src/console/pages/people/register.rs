//! HR registers an approved project: a training base with its specialties, or a master studio
//! with its leader; the API's eligibility refusals are shown on the fields they concern.
use super::super::super::i18n::people::{code_name, leader_hint, specialties_hint, words};
use super::super::super::problems::Explained;
use super::super::super::{Page, Refusal, Visit};
use super::form::{csrf, refused, Shown};
use crate::auth::Role;
use crate::domain::eligibility::{Leader, SKILL_LEVELS};
use crate::domain::kind::ProjectKind;
use crate::error::AppResult;
use crate::http::projects::{register_project, Register, FUND_SOURCES};
use crate::http::{db, parse_date};
use crate::store::people;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

/// The form as typed: kept as text so a refused form comes back exactly as it was.
#[derive(Deserialize, Default)]
pub struct RegisterForm {
    csrf: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    fund_source: String,
    /// One per line (commas and 、 separate too).
    #[serde(default)]
    specialties: String,
    #[serde(default, rename = "leader.name")]
    leader_name: String,
    #[serde(default, rename = "leader.skill_level")]
    leader_skill_level: String,
    #[serde(default, rename = "leader.birth_date")]
    leader_birth_date: String,
    #[serde(default, rename = "leader.ethnic_skill_heir")]
    leader_heir: Option<String>,
}

impl RegisterForm {
    /// The API's request: a base's specialties, a studio's leader (none when its fields are all
    /// blank, so the API says a studio needs one).
    fn request(&self) -> AppResult<Register> {
        let studio = self.kind == ProjectKind::Studio.as_str();
        let blank_leader = self.leader_name.trim().is_empty() && self.leader_skill_level.is_empty() && self.leader_birth_date.is_empty();
        let leader = if studio && !blank_leader {
            Some(Leader {
                name: self.leader_name.trim().to_string(),
                skill_level: self.leader_skill_level.clone(),
                birth_date: parse_date("leader.birth_date", self.leader_birth_date.trim())?,
                ethnic_skill_heir: self.leader_heir.is_some(),
            })
        } else {
            None
        };
        let specialties = if self.kind == ProjectKind::Base.as_str() {
            self.specialties.split(['\n', ',', '，', '、']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
        } else {
            Vec::new()
        };
        Ok(Register {
            kind: self.kind.clone(),
            name: self.name.clone(),
            org_id: self.org_id.clone(),
            start_date: self.start_date.trim().to_string(),
            fund_source: self.fund_source.clone(),
            specialties,
            leader,
        })
    }
}

pub async fn show(v: Visit) -> HttpResponse {
    let outcome = page(&v, &RegisterForm::default(), None).await;
    v.respond(outcome)
}

pub async fn submit(v: Visit, req: HttpRequest, form: web::Form<RegisterForm>) -> HttpResponse {
    let f = form.into_inner();
    let caller = match v.require_csrf(&req, f.csrf.as_deref()) {
        Ok(s) => s.caller.clone(),
        Err(r) => return v.respond(Err(r)),
    };
    let registered = match f.request() {
        Ok(r) => register_project(&v.state, &caller, r).await,
        Err(e) => Err(e),
    };
    match registered {
        Ok(p) => v.redirect(&format!("/projects/{}", p.id()), None),
        Err(e) => {
            let outcome = match refused(v.lang, e) {
                Ok(x) => page(&v, &f, Some(x)).await,
                Err(r) => Err(r),
            };
            v.respond(outcome)
        }
    }
}

async fn page(v: &Visit, f: &RegisterForm, refusal: Option<(StatusCode, Explained)>) -> Result<Page, Refusal> {
    v.caller()?.require(&[Role::Hr])?;
    let orgs = db(&v.state, |conn| people::list_orgs(conn, "", i64::MAX)).await?;
    let (t, w) = (v.t(), words(v.lang));
    let s = Shown { lang: v.lang, refusal: refusal.as_ref().map(|(_, x)| x), scope: "" };
    let orgs: Vec<(String, String)> = orgs.into_iter().map(|o| (o.id, format!("{}（{}）", o.name, o.region))).collect();
    let sources: Vec<(String, String)> = FUND_SOURCES.iter().map(|c| (c.to_string(), code_name(v.lang, c).to_string())).collect();
    let levels: Vec<(String, String)> = SKILL_LEVELS.iter().map(|c| (c.to_string(), code_name(v.lang, c).to_string())).collect();
    let kind_error = s.error("kind");
    let body = html! {
        nav.crumbs { a href="/" { (t.portfolio) } " › " (w.register_title) }
        h1 { (w.register_title) }
        form.people-form.register method="post" action="/projects/new" novalidate {
            (csrf(&v.csrf()))
            (s.alert())
            fieldset.kind.invalid[kind_error.is_some()] {
                legend { (t.kind) }
                @for k in [ProjectKind::Base, ProjectKind::Studio] {
                    label.choice {
                        input type="radio" name="kind" value=(k.as_str()) id={ "kind-" (k.as_str()) } checked[f.kind == k.as_str()];
                        " " (v.lang.code_name(k.as_str()))
                    }
                }
                (s.group_error("kind"))
            }
            (s.input("name", w.project_name, "text", &f.name, true, None))
            (s.select("org_id", t.org, &orgs, &f.org_id, w.choose))
            (s.input("start_date", w.start_date, "date", &f.start_date, true, None))
            (s.select("fund_source", w.fund_source, &sources, &f.fund_source, w.choose))
            fieldset.base-only {
                legend { (w.base_only) }
                (s.textarea("specialties", w.specialties, &f.specialties, &specialties_hint(v.lang)))
            }
            fieldset.studio-only.invalid[s.error("leader").is_some()] {
                legend { (w.studio_only) }
                p.hint { (leader_hint(v.lang, true)) }
                (s.group_error("leader"))
                (s.input("leader.name", w.leader_name, "text", &f.leader_name, false, None))
                (s.select("leader.skill_level", w.skill_level, &levels, &f.leader_skill_level, w.choose))
                (s.input("leader.birth_date", w.birth_date, "date", &f.leader_birth_date, false, None))
                (s.checkbox("leader.ethnic_skill_heir", w.ethnic_skill_heir, f.leader_heir.is_some()))
            }
            button type="submit" { (w.register) }
        }
    };
    let status = refusal.map_or(StatusCode::OK, |(status, _)| status);
    Ok(Page { status, title: w.register_title.to_string(), body })
}
