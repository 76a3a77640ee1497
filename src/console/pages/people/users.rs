//! The admin's users and organisations: create a user or an organisation; deactivate or
//! reactivate a user, change the role, reset the password. Each form goes through the API's own
//! code (`http::accounts`), so `last_admin`, `already_exists` and the field rules are the API's.
use super::super::super::i18n::people::words;
use super::super::super::problems::Explained;
use super::super::super::{Page, Refusal, Visit};
use super::form::{csrf, refused, Shown};
use crate::auth::Role;
use crate::error::AppError;
use crate::http::accounts::{add_org, add_user, change_user, CreateOrg, CreateUser, PatchUser};
use crate::http::db;
use crate::store::people::{self, ORG_KINDS};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

const ROLES: [Role; 5] = [Role::Unit, Role::Finance, Role::Hr, Role::Inspector, Role::Admin];

fn role_options(v: &Visit) -> Vec<(String, String)> {
    ROLES.iter().map(|r| (r.as_str().to_string(), v.lang.code_name(r.as_str()))).collect()
}

fn blank(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

// ---- A new user ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct NewUserForm {
    csrf: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    password: String,
}

pub async fn new_user(v: Visit) -> HttpResponse {
    let outcome = new_user_page(&v, &NewUserForm::default(), None).await;
    v.respond(outcome)
}

pub async fn create_user(v: Visit, req: HttpRequest, form: web::Form<NewUserForm>) -> HttpResponse {
    let f = form.into_inner();
    let caller = match v.require_csrf(&req, f.csrf.as_deref()) {
        Ok(s) => s.caller.clone(),
        Err(r) => return v.respond(Err(r)),
    };
    let b = CreateUser {
        username: f.username.trim().to_string(),
        password: f.password.clone(),
        role: f.role.clone(),
        org_id: blank(&f.org_id),
        display_name: blank(&f.display_name),
    };
    match add_user(&v.state, &caller, b).await {
        Ok(u) => v.redirect(&format!("/users/{}", u.id), None),
        Err(e) => {
            let outcome = match refused(v.lang, e) {
                Ok(x) => new_user_page(&v, &f, Some(x)).await,
                Err(r) => Err(r),
            };
            v.respond(outcome)
        }
    }
}

async fn new_user_page(v: &Visit, f: &NewUserForm, refusal: Option<(StatusCode, Explained)>) -> Result<Page, Refusal> {
    v.caller()?.require(&[Role::Admin])?;
    let orgs = db(&v.state, |conn| people::list_orgs(conn, "", i64::MAX)).await?;
    let (t, w) = (v.t(), words(v.lang));
    let s = Shown { lang: v.lang, refusal: refusal.as_ref().map(|(_, x)| x), scope: "" };
    let orgs: Vec<(String, String)> = orgs.into_iter().map(|o| (o.id, format!("{}（{}）", o.name, o.region))).collect();
    let body = html! {
        nav.crumbs { a href="/" { (t.users) } " › " (w.new_user) }
        h1 { (w.new_user) }
        form.people-form method="post" action="/users/new" novalidate {
            (csrf(&v.csrf()))
            (s.alert())
            (s.input("username", t.username, "text", &f.username, true, None))
            (s.input("display_name", w.display_name, "text", &f.display_name, false, None))
            (s.select("role", t.role, &role_options(v), &f.role, w.choose))
            (s.select("org_id", t.org, &orgs, &f.org_id, w.none))
            p.hint { (w.unit_org_hint) }
            // A password is never sent back in a page, refused or not.
            (s.input("password", w.initial_password, "password", "", true, Some(w.password_hint)))
            button type="submit" { (w.create) }
        }
    };
    let status = refusal.map_or(StatusCode::OK, |(status, _)| status);
    Ok(Page { status, title: w.new_user.to_string(), body })
}

// ---- One user: active, role, password --------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct UserForm {
    csrf: Option<String>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn user(v: Visit, id: web::Path<String>) -> HttpResponse {
    let outcome = user_page(&v, id.into_inner(), &UserForm::default(), None, None).await;
    v.respond(outcome)
}

/// A password an admin can read out or type: 14 letters and digits without look-alikes
/// (about 80 bits).
fn new_password() -> String {
    use rand::seq::SliceRandom;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..14).filter_map(|_| ALPHABET.choose(&mut rng)).map(|&b| b as char).collect()
}

pub async fn change(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<UserForm>) -> HttpResponse {
    let (id, f) = (id.into_inner(), form.into_inner());
    let caller = match v.require_csrf(&req, f.csrf.as_deref()) {
        Ok(s) => s.caller.clone(),
        Err(r) => return v.respond(Err(r)),
    };
    // Another role is refused before its input is read, whatever it holds.
    if let Err(e) = caller.require(&[Role::Admin]) {
        return v.respond(Err(e.into()));
    }
    let none = PatchUser { active: None, password: None, role: None };
    // A generated password is shown once, on the answer to this request; nothing keeps it.
    let generated = (f.action == "generate").then(new_password);
    let patch = match f.action.as_str() {
        "deactivate" => PatchUser { active: Some(false), ..none },
        "reactivate" => PatchUser { active: Some(true), ..none },
        "role" => PatchUser { role: Some(f.role.clone()), ..none },
        "password" => PatchUser { password: Some(f.password.clone()), ..none },
        "generate" => PatchUser { password: generated.clone(), ..none },
        // Not one of this page's forms: nothing of it to show again.
        _ => return v.respond(Err(Refusal::Failed(AppError::malformed("unknown action")))),
    };
    let outcome = match change_user(&v.state, &caller, id.clone(), patch).await {
        Ok(_) if generated.is_some() => user_page(&v, id, &UserForm::default(), None, generated).await,
        Ok(_) => return v.redirect(&format!("/users/{id}"), None),
        Err(e) => match refused(v.lang, e) {
            Ok(x) => user_page(&v, id, &f, Some(x), None).await,
            Err(r) => Err(r),
        },
    };
    v.respond(outcome)
}

async fn user_page(
    v: &Visit,
    id: String,
    f: &UserForm,
    refusal: Option<(StatusCode, Explained)>,
    generated: Option<String>,
) -> Result<Page, Refusal> {
    v.caller()?.require(&[Role::Admin])?;
    let (u, org) = db(&v.state, move |conn| {
        let u = people::get_user(conn, &id)?;
        let org = u.org_id.as_deref().map(|o| people::get_org(conn, o)).transpose()?;
        Ok((u, org))
    })
    .await?;
    let (t, w) = (v.t(), words(v.lang));
    // The refusal belongs to the form that was sent.
    let shown = |forms: &[&str]| Shown {
        lang: v.lang,
        refusal: refusal.as_ref().filter(|_| forms.contains(&f.action.as_str())).map(|(_, x)| x),
        scope: "",
    };
    let action = format!("/users/{}", u.id);
    let small_form = |name: &str, label: &str, extra: Markup| {
        html! {
            form.people-form.bare method="post" action=(action) data-testid={ (name) "-form" } {
                (csrf(&v.csrf())) input type="hidden" name="action" value=(name);
                (extra)
                button type="submit" { (label) }
            }
        }
    };
    let body = html! {
        nav.crumbs { a href="/" { (t.users) } " › " (u.username) }
        h1 { (w.user_title) (w.sep) (u.username) @if let Some(d) = &u.display_name { " (" (d) ")" } }
        p.meta {
            (v.lang.code_name(&u.role)) @if let Some(o) = &org { " · " (o.name) } " · "
            @if u.active { span.status data-testid="user-active" data-active="true" { (t.active) } }
            @else { span.status.cancelled data-testid="user-active" data-active="false" { (t.inactive) } }
        }
        @if let Some(pw) = &generated {
            div.notice role="status" { p { (w.new_password_once) } p { code.mono data-testid="new-password" { (pw) } } }
        }
        section aria-labelledby="active-h" {
            h2 id="active-h" { (if u.active { w.deactivate } else { w.reactivate }) }
            @let alert = shown(&["deactivate", "reactivate"]).alert();
            @if u.active { (small_form("deactivate", w.deactivate, alert)) } @else { (small_form("reactivate", w.reactivate, alert)) }
        }
        section aria-labelledby="role-h" {
            h2 id="role-h" { (w.change_role) }
            @let s = shown(&["role"]);
            @let chosen = if f.action == "role" { f.role.clone() } else { u.role.clone() };
            (small_form("role", w.change_role, html! { (s.alert()) (s.select("role", t.role, &role_options(v), &chosen, w.choose)) }))
        }
        section aria-labelledby="password-h" {
            h2 id="password-h" { (w.reset_password) }
            @let s = shown(&["password", "generate"]);
            (small_form("generate", w.generate_password, s.alert()))
            (small_form("password", w.reset_password, s.input("password", w.or_type_one, "password", "", true, Some(w.password_hint))))
        }
    };
    let status = refusal.map_or(StatusCode::OK, |(status, _)| status);
    Ok(Page { status, title: format!("{} · {}", w.user_title, u.username), body })
}

// ---- A new organisation ----------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct NewOrgForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region: String,
}

pub async fn new_org(v: Visit) -> HttpResponse {
    let outcome = new_org_page(&v, &NewOrgForm::default(), None);
    v.respond(outcome)
}

pub async fn create_org(v: Visit, req: HttpRequest, form: web::Form<NewOrgForm>) -> HttpResponse {
    let f = form.into_inner();
    let caller = match v.require_csrf(&req, f.csrf.as_deref()) {
        Ok(s) => s.caller.clone(),
        Err(r) => return v.respond(Err(r)),
    };
    // The API lets HR register organisations too; in the console it is the admin's page.
    if let Err(e) = caller.require(&[Role::Admin]) {
        return v.respond(Err(e.into()));
    }
    let b = CreateOrg { name: f.name.clone(), kind: f.kind.clone(), region: f.region.clone() };
    match add_org(&v.state, &caller, b).await {
        Ok(_) => v.redirect("/", None),
        Err(e) => {
            let outcome = refused(v.lang, e).and_then(|x| new_org_page(&v, &f, Some(x)));
            v.respond(outcome)
        }
    }
}

/// Admins make organisations here (the API lets HR too; HR's console has no such page yet).
fn new_org_page(v: &Visit, f: &NewOrgForm, refusal: Option<(StatusCode, Explained)>) -> Result<Page, Refusal> {
    v.caller()?.require(&[Role::Admin])?;
    let (t, w) = (v.t(), words(v.lang));
    let s = Shown { lang: v.lang, refusal: refusal.as_ref().map(|(_, x)| x), scope: "" };
    let kinds: Vec<(String, String)> = ORG_KINDS.iter().map(|k| (k.to_string(), v.lang.code_name(k))).collect();
    let body = html! {
        nav.crumbs { a href="/" { (t.users) } " › " (w.new_org) }
        h1 { (w.new_org) }
        form.people-form method="post" action="/orgs/new" novalidate {
            (csrf(&v.csrf()))
            (s.alert())
            (s.input("name", w.org_name, "text", &f.name, true, None))
            (s.select("kind", w.org_kind, &kinds, &f.kind, w.choose))
            (s.input("region", t.region, "text", &f.region, true, None))
            button type="submit" { (w.create) }
        }
    };
    let status = refusal.map_or(StatusCode::OK, |(status, _)| status);
    Ok(Page { status, title: w.new_org.to_string(), body })
}
