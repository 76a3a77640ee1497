//! The contract, compiled: the OpenAPI 3.1 document is generated from the handlers' own request
//! and response types and their `#[utoipa::path]` annotations, served at
//! `/api/v1/openapi.json` and shown by the page at `/api/docs`. A test checks that every route
//! `http::register` serves is in the document and the other way round.
use super::{
    acceptance, accounts, archive, audit, documents, export, flags, imports, money, package, portfolio, projects, recovery, reports,
    reviews, statements, transparency,
};
use crate::error::Code;
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fundledger",
        description = "The books and audit trail of Chifeng City's skill-training grants. Money is a JSON string \
            with two decimals (yuan); dates are YYYY-MM-DD. Errors are RFC 9457 problem details with a stable `code`. \
            Roles are named in each operation's description. The guide for people is docs/API.md in the repository."
    ),
    servers((url = "/api/v1")),
    paths(
        super::health,
        openapi_json,
        accounts::login,
        accounts::logout,
        accounts::me,
        accounts::create_user,
        accounts::list_users,
        accounts::get_user,
        accounts::patch_user,
        accounts::create_org,
        accounts::list_orgs,
        accounts::get_org,
        projects::register,
        projects::list,
        projects::get,
        projects::replace_leader,
        projects::rename,
        statements::balances,
        statements::trial_balance,
        statements::ledger,
        statements::project_statement,
        statements::recoverable,
        portfolio::all_statements,
        export::export,
        flags::project_flags,
        flags::all_flags,
        audit::project_trail,
        audit::project_verify,
        audit::global_trail,
        audit::global_verify,
        transparency::audit_key,
        transparency::project_checkpoint,
        transparency::project_inclusion,
        transparency::project_consistency,
        transparency::global_checkpoint,
        transparency::global_inclusion,
        transparency::global_consistency,
        documents::upload,
        documents::list,
        documents::download,
        reports::file,
        reports::list,
        acceptance::record,
        acceptance::of_project,
        acceptance::list,
        archive::add,
        archive::list,
        package::package,
        // Money, reviews, recovery and status changes (src/http/money.rs, reviews.rs,
        // recovery.rs, projects::change_status).
        projects::change_status,
        money::disburse,
        money::submit,
        money::list,
        money::get,
        money::reverse,
        imports::import,
        imports::template,
        reviews::approve,
        reviews::decline,
        reviews::reviews,
        reviews::classify,
        reviews::retrain,
        recovery::recover,
        recovery::remit,
    ),
    components(schemas(Problem, Code, ProblemField)),
    modifiers(&Security, &CommonErrors),
    tags(
        (name = "auth", description = "Sign-in and the caller"),
        (name = "admin", description = "Users and organisations"),
        (name = "projects", description = "Projects: registration and lifecycle (hr)"),
        (name = "vouchers", description = "Money movements: disbursements, vouchers, reversals"),
        (name = "reviews", description = "The finance bureau's review of flagged vouchers; the classifier"),
        (name = "recovery", description = "Recovery of unspent funds and their remittance"),
        (name = "statements", description = "Balances, trial balance, ledger, statements, exports"),
        (name = "audit", description = "The tamper-evident audit trail"),
        (name = "reports", description = "Annual reports"),
        (name = "documents", description = "Original documents (receipts, e-invoices, contracts) on vouchers"),
        (name = "acceptance", description = "Output acceptance (项目产出验收) and the project archive"),
        (name = "flags", description = "Red flags for inspectors: patterns in the books that deserve a look"),
        (name = "service", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// The header that makes a money request safe to repeat.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// 1 to 128 printable ASCII characters. The same key from the same user with the same method,
    /// path and body answers what the first request got and moves nothing again; with anything
    /// else, `409 idempotency_conflict`.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 128, pattern = "^[\\x20-\\x7e]+$")]
    #[allow(dead_code)]
    key: Option<String>,
}

/// An RFC 9457 problem: every error answer of the API.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem: `https://fundledger.example/problems/<code with dashes>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    pub status: u16,
    /// A sentence for people.
    pub detail: String,
    pub code: Code,
    /// With `validation_failed`: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description = Some("A token from POST /auth/login, sent as `Authorization: Bearer …`.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// The answers any operation can give, added to each so the paths list only their own codes:
/// a malformed request, a missing token (where one is needed), a project or route not found,
/// a body over the limit, a busy database.
struct CommonErrors;

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    ResponseBuilder::new().description(description).content("application/problem+json", content).build().into()
}

fn add_common(op: &mut Operation, has_body: bool) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut common = vec![
        ("400", "`malformed_request`: the body, query or path is not what this operation takes"),
        ("503", "`service_unavailable`: the database was busy; retry (with the same Idempotency-Key)"),
    ];
    if secured {
        common.push(("401", "`unauthenticated`: missing, malformed, expired or badly signed token"));
    }
    if has_body {
        common.push(("413", "`payload_too_large`: the body is over the configured limit"));
        common.push(("415", "`unsupported_media_type`: send `Content-Type: application/json`"));
    }
    for (status, description) in common {
        op.responses.responses.entry(status.to_string()).or_insert_with(|| problem(description));
    }
}

impl Modify for CommonErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.patch].into_iter().flatten() {
                add_common(op, op.request_body.is_some());
            }
            if let Some(op) = &mut item.post {
                add_common(op, true);
            }
        }
    }
}

/// The document, built once.
pub fn document() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serializes"))
}

/// This document: OpenAPI 3.1, generated from the handlers' types.
///
/// No authentication.
#[utoipa::path(get, path = "/openapi.json", tag = "service", responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document())
}

/// The page at `/api/docs`: Swagger UI, its files built into the binary.
pub fn docs_page() -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}").config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every route served under /api/v1 is documented, and every documented operation is served.
    #[test]
    fn document_and_routes_agree() {
        let served: BTreeSet<(String, String)> = super::super::routes::Routes::table(super::super::register)
            .into_iter()
            .map(|(m, p)| (m.as_str().to_lowercase(), p.to_string()))
            .collect();
        let doc = ApiDoc::openapi();
        let mut documented = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in
                [("get", &item.get), ("post", &item.post), ("patch", &item.patch), ("put", &item.put), ("delete", &item.delete)]
            {
                if op.is_some() {
                    documented.insert((method.to_string(), path.clone()));
                }
            }
        }
        let missing: Vec<_> = served.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&served).collect();
        assert!(missing.is_empty() && extra.is_empty(), "served but not documented: {missing:?}; documented but not served: {extra:?}");
    }

    /// Client generators name methods after operation ids: each must be unique.
    #[test]
    fn operation_ids_are_unique() {
        let doc = ApiDoc::openapi();
        let mut seen = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for op in [&item.get, &item.post, &item.patch].into_iter().flatten() {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(seen.insert(id.clone()), "operation id {id} of {path} is used twice");
            }
        }
    }

    /// Each operation names its roles (or says it needs none) and answers at least one error.
    #[test]
    fn every_operation_says_who_may_call_it() {
        let doc = ApiDoc::openapi();
        for (path, item) in &doc.paths.paths {
            for op in [&item.get, &item.post, &item.patch].into_iter().flatten() {
                let text = format!("{} {}", op.summary.clone().unwrap_or_default(), op.description.clone().unwrap_or_default());
                assert!(text.contains("Roles:") || text.contains("No authentication"), "{path}: {text}");
            }
        }
    }
}
