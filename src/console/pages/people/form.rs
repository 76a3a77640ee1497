//! The people pages' form pieces: labelled inputs that carry the user's input back and show a
//! refusal's message on the field it concerns, in the page's language.
use super::super::super::i18n::people::field_message;
use super::super::super::i18n::Lang;
use super::super::super::problems::{explain, Explained};
use super::super::super::Refusal;
use crate::error::AppError;
use actix_web::http::StatusCode;
use maud::{html, Markup};

/// A refusal of a form: shown on the form again at the API's status, unless it is one of those
/// that replace the page (401, 403, 404).
pub fn refused(lang: Lang, e: AppError) -> Result<(StatusCode, Explained), Refusal> {
    match e.status() {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => Err(Refusal::from(e)),
        status if status.is_server_error() => Err(Refusal::Failed(e)),
        status => {
            let mut x = explain(lang, &e);
            // The general sentence carries the API's English detail; a status change names both
            // statuses, which can be said properly.
            if let (Some(from), Some(to)) = (x.extra.get("from").and_then(|v| v.as_str()), x.extra.get("to").and_then(|v| v.as_str())) {
                x.message = match lang {
                    Lang::Zh => format!("项目当前状态为“{}”，不能变更为“{}”。", lang.code_name(from), lang.code_name(to)),
                    Lang::En => format!("A project that is {} cannot become {}.", lang.code_name(from), lang.code_name(to)),
                };
            }
            Ok((status, x))
        }
    }
}

/// One form as shown: its language and, after a refusal, the explanation.
pub struct Shown<'a> {
    pub lang: Lang,
    pub refusal: Option<&'a Explained>,
    /// Tells the ids of this form's inputs from another form's on the same page.
    pub scope: &'static str,
}

impl Shown<'_> {
    fn id_of(&self, name: &str) -> String {
        match self.scope {
            "" => format!("f-{}", name.replace('.', "-")),
            scope => format!("{scope}-f-{}", name.replace('.', "-")),
        }
    }

    /// The message for one field, if the refusal named it.
    pub fn error(&self, field: &str) -> Option<String> {
        self.refusal.and_then(|x| x.field(field)).map(|m| field_message(self.lang, field, m))
    }

    /// The refusal's sentence at the top of the form (`form-error`, with the contract's code).
    pub fn alert(&self) -> Markup {
        html! {
            @if let Some(x) = self.refusal {
                div.alert role="alert" data-testid="form-error" data-code=(x.code.as_str()) {
                    p { (x.message) }
                    @if !x.fields.is_empty() {
                        ul { @for (f, m) in &x.fields { li { a href={ "#" (self.id_of(f)) } { (field_message(self.lang, f, m)) } } } }
                    }
                }
            }
        }
    }

    /// The first field the refusal names takes the focus, so the page opens where the fix is.
    fn first(&self, name: &str) -> bool {
        self.refusal.and_then(|x| x.fields.first()).is_some_and(|(f, _)| f == name)
    }

    fn field_error(&self, name: &str) -> Markup {
        html! {
            @if let Some(e) = self.error(name) {
                p.field-error id={ (self.id_of(name)) "-error" } data-testid="field-error" data-field=(name) { (e) }
            }
        }
    }

    /// A labelled `<input>`; `ty` is text, date, password, ...
    pub fn input(&self, name: &str, label: &str, ty: &str, value: &str, required: bool, hint: Option<&str>) -> Markup {
        let id = self.id_of(name);
        let bad = self.error(name).is_some();
        html! {
            div.field.invalid[bad] {
                label for=(id) { (label) }
                input id=(id) name=(name) type=(ty) value=(value) required[required] autofocus[self.first(name)]
                    aria-invalid=[bad.then_some("true")] aria-describedby=[bad.then(|| format!("{id}-error"))];
                @if let Some(h) = hint { small.hint { (h) } }
                (self.field_error(name))
            }
        }
    }

    /// A labelled `<select>` of (value, label) options, with an empty first choice.
    pub fn select(&self, name: &str, label: &str, options: &[(String, String)], chosen: &str, placeholder: &str) -> Markup {
        let id = self.id_of(name);
        let bad = self.error(name).is_some();
        html! {
            div.field.invalid[bad] {
                label for=(id) { (label) }
                select id=(id) name=(name) autofocus[self.first(name)] aria-invalid=[bad.then_some("true")] aria-describedby=[bad.then(|| format!("{id}-error"))] {
                    option value="" { (placeholder) }
                    @for (value, text) in options { option value=(value) selected[value == chosen] { (text) } }
                }
                (self.field_error(name))
            }
        }
    }

    pub fn textarea(&self, name: &str, label: &str, value: &str, hint: &str) -> Markup {
        let id = self.id_of(name);
        let bad = self.error(name).is_some();
        html! {
            div.field.invalid[bad] {
                label for=(id) { (label) }
                textarea id=(id) name=(name) rows="4" autofocus[self.first(name)] aria-invalid=[bad.then_some("true")] aria-describedby=[bad.then(|| format!("{id}-error"))] { (value) }
                small.hint { (hint) }
                (self.field_error(name))
            }
        }
    }

    pub fn checkbox(&self, name: &str, label: &str, checked: bool) -> Markup {
        let id = self.id_of(name);
        html! {
            div.field.check {
                input id=(id) name=(name) type="checkbox" value="true" checked[checked];
                label for=(id) { (label) }
                (self.field_error(name))
            }
        }
    }

    /// A message for a group of fields (a fieldset), e.g. "a studio needs a leader".
    pub fn group_error(&self, name: &str) -> Markup {
        self.field_error(name)
    }
}

/// The CSRF field every form carries.
pub fn csrf(token: &Option<String>) -> Markup {
    html! { input type="hidden" name="csrf" value=(token.as_deref().unwrap_or("")); }
}
