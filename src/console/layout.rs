//! The page shell: head with the hashed assets, the top bar (who is signed in, the role's pages,
//! the language switch, sign out), and the message page for refusals.
use super::assets::{CSS, JS};
use super::i18n::{Lang, Words};
use super::{Page, Visit};
use crate::auth::Role;
use actix_web::http::StatusCode;
use maud::{html, Markup, DOCTYPE};

pub fn document(v: &Visit, title: &str, body: Markup) -> Markup {
    let t = v.t();
    let other = if v.lang == Lang::Zh { "en" } else { "zh" };
    html! {
        (DOCTYPE)
        html lang=(v.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t.app_name) }
                link rel="stylesheet" href=(CSS.path);
                script src=(JS.path) defer {}
            }
            body {
                header.top {
                    a.brand href="/" { (t.app_name) }
                    @if let Some(s) = &v.session {
                        nav aria-label=(t.projects) {
                            @for (href, label) in links(s.caller.role, v.lang) {
                                a href=(href) aria-current=[(v.path == href).then_some("page")] { (label) }
                            }
                        }
                    }
                    div.me {
                        a.lang href={ (v.path) "?" (v.query_kept) "lang=" (other) } lang=(if other == "en" { "en" } else { "zh-CN" }) { (t.other_lang) }
                        @if let Some(s) = &v.session {
                            span.who { (s.caller.username) " · " (v.lang.code_name(s.caller.role.as_str())) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(s.csrf(&v.state.keys));
                                button.link type="submit" { (t.sign_out) }
                            }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    }
}

/// The pages a role starts from.
fn links(role: Role, lang: Lang) -> Vec<(&'static str, &'static str)> {
    let (t, people, flags) = (lang.t(), super::i18n::people::words(lang), super::i18n::flags::words(lang).title);
    match role {
        Role::Unit => vec![("/", t.projects)],
        Role::Finance => vec![("/", t.portfolio), ("/reviews", t.reviews), ("/flags", flags)],
        Role::Hr => vec![("/", t.portfolio), ("/projects/new", t.new_project), ("/reports", t.annual_reports), ("/flags", flags)],
        Role::Inspector => vec![("/", t.portfolio), ("/flags", flags)],
        Role::Admin => vec![("/", t.users), ("/users/new", people.new_user), ("/orgs/new", people.new_org)],
    }
}

/// A page that only says why the asked page is not shown.
pub fn message(status: StatusCode, text: &str, t: &Words) -> Page {
    Page {
        status,
        title: format!("{} {}", status.as_u16(), t.error),
        body: html! {
            section.message role="alert" {
                h1 { (status.as_u16()) }
                p { (text) }
                p { a href="/" { (t.back_home) } }
            }
        },
    }
}
