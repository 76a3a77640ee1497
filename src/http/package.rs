//! `GET /projects/{id}/archive-package`: a closed project's electronic accounting archive (会计档案)
//! as one zip, every file listed with its size and SHA-256 in `manifest.json`, checked offline by
//! `fundledger verify --package FILE` (`domain::archive::check_package`).
use super::acceptance::history_of;
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::sheet::{Lang, Table};
use super::statements::{balance_table, statement_row, STATEMENT_HEADER};
use super::views::VoucherView;
use super::{db, State};
use crate::auth::{Caller, Role};
use crate::domain::archive::{document_path, files, manifest};
use crate::domain::audit::Event;
use crate::domain::export::{self, Journal, CSV_HEADER};
use crate::domain::merkle::Tree;
use crate::domain::statement::{self, Statement};
use crate::domain::status::ProjectStatus;
use crate::error::{AppError, AppResult, Code};
use crate::store::rows::ArchiveEntry;
use crate::store::vouchers::VoucherFilter;
use crate::store::{archive, audit, documents, export as journal_store, snapshot, statements, tree, vouchers};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use std::io::Write;

pub fn routes(r: &mut Routes) {
    r.get("/projects/{id}/archive-package", package);
}

const READERS: [Role; 3] = [Role::Finance, Role::Inspector, Role::Hr];

/// Everything a package holds, read in one snapshot so the files agree with each other.
struct Contents {
    journal: Journal,
    vouchers: Vec<VoucherView>,
    statement: Statement,
    balances: Vec<statement::AccountBalance>,
    acceptance: Value,
    archive: Vec<ArchiveEntry>,
    events: Vec<Event>,
    tree: Tree,
    /// Every stored document of the project's vouchers, with its bytes.
    documents: Vec<(documents::AttachmentRow, Vec<u8>)>,
}

/// The project's electronic accounting archive (会计档案): one zip holding the journal (CSV and
/// beancount), every voucher with its lines and their classification (JSON), the closing statement
/// and trial balance (CSV and xlsx), the acceptance records, the archive entries, the audit trail
/// (JSONL) with a checkpoint of it signed now and the key that verifies it, and `manifest.json`
/// (`[{"path", "size", "sha256"}]`). `fundledger verify --package FILE` checks it offline.
/// Every stored document is under `documents/` (`documents/index.json` lists them).
///
/// Roles: finance, inspector, hr.
#[utoipa::path(get, path = "/projects/{id}/archive-package", tag = "acceptance", operation_id = "archive_package", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "application/zip", body = String),
        (status = 403, description = "`forbidden`: not finance, inspector or hr", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`project_not_closed`: the project is not closed yet (with `project_status`)", body = Problem, content_type = "application/problem+json")))]
pub async fn package(state: State, caller: Caller, id: web::Path<String>) -> AppResult<HttpResponse> {
    caller.require(&READERS)?;
    let id = id.into_inner();
    let chain = id.clone();
    let store = state.documents.clone();
    let c = db(&state, move |conn| {
        snapshot(conn, |conn| {
            let p = visible(conn, &caller, &id)?;
            if p.status != ProjectStatus::Closed {
                return Err(AppError::conflict(
                    Code::ProjectNotClosed,
                    format!("the project is {}: its archive is packed once closed", p.status),
                )
                .with("project_status", p.status.as_str()));
            }
            let all = VoucherFilter { limit: i64::MAX, ..Default::default() };
            let vouchers = vouchers::list(conn, &id, &all)?.iter().map(VoucherView::of).collect::<AppResult<Vec<_>>>()?;
            let b = statements::books(conn, p.clone(), None)?;
            let statement = b.figures().statement(p.start(), p.end(), crate::domain::calendar::today());
            let balances = statement::balances(&b.chart, &b.totals);
            let acceptance = serde_json::to_value(history_of(conn, &id)?).map_err(AppError::internal)?;
            let archive = archive::list(conn, &id, None, None)?;
            let events = audit::list(conn, &id, &audit::Filter { limit: i64::MAX, ..Default::default() })?;
            let tree = tree::of(conn, &id)?;
            let journal = journal_store::journal(conn, p)?;
            let mut stored = Vec::new();
            for row in documents::of_project(conn, &id)? {
                let size = usize::try_from(row.size).map_err(AppError::internal)?;
                let bytes = store.read(conn, &row.sha256, 0, size)?;
                stored.push((row, bytes));
            }
            Ok(Contents { journal, vouchers, statement, balances, acceptance, archive, events, tree, documents: stored })
        })
    })
    .await?;
    let checkpoint = state.notary.sign(&chain, c.tree.size(), c.tree.root());
    let packed = web::block(move || pack(&c, &checkpoint, state.notary.verifier_key())).await??;
    let name: String = chain.chars().filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-').collect();
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"project-{name}-archive.zip\"")))
        .body(packed))
}

fn json_bytes<T: Serialize>(v: &T) -> AppResult<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(AppError::internal)
}

/// The package's files in order, then the manifest of them, zipped.
fn pack(c: &Contents, checkpoint: &str, key: &str) -> AppResult<Vec<u8>> {
    let statement = Table::new("statement", &STATEMENT_HEADER[1..], vec![statement_row(&c.statement)]);
    let trial = Table { csv_totals: true, ..balance_table("trial-balance", &c.balances) };
    let trail: String = c.events.iter().map(|e| format!("{}\n", serde_json::json!(e))).collect();
    let mut out: Vec<(String, Vec<u8>)> = vec![
        (files::JOURNAL_CSV.into(), super::csv_bytes(&CSV_HEADER, export::csv_rows(&c.journal))?),
        (files::JOURNAL_BEANCOUNT.into(), export::beancount(&c.journal).into_bytes()),
        ("vouchers/vouchers.json".into(), json_bytes(&c.vouchers)?),
        ("statements/statement.csv".into(), statement.csv_bytes()?),
        ("statements/statement.xlsx".into(), super::xlsx::bytes(&statement, Lang::Zh)?),
        ("statements/trial-balance.csv".into(), trial.csv_bytes()?),
        ("statements/trial-balance.xlsx".into(), super::xlsx::bytes(&trial, Lang::Zh)?),
        ("acceptance/acceptance.json".into(), json_bytes(&c.acceptance)?),
        ("archive/archive.json".into(), json_bytes(&c.archive)?),
        (files::TRAIL.into(), trail.into_bytes()),
        (files::CHECKPOINT.into(), checkpoint.as_bytes().to_vec()),
        (files::KEY.into(), format!("{key}\n").into_bytes()),
    ];
    if !c.documents.is_empty() {
        let index: Vec<Value> = c
            .documents
            .iter()
            .map(|(r, _)| {
                serde_json::json!({"path": document_path(&r.id, &r.filename), "attachment_id": r.id, "voucher_id": r.voucher_id,
                    "kind": r.kind, "filename": r.filename, "sha256": r.sha256, "size": r.size, "content_type": r.content_type,
                    "uploaded_at": r.uploaded_at})
            })
            .collect();
        out.push(("documents/index.json".into(), json_bytes(&index)?));
        out.extend(c.documents.iter().map(|(r, bytes)| (document_path(&r.id, &r.filename), bytes.clone())));
    }
    let listed = json_bytes(&manifest(&out))?;
    out.push((files::MANIFEST.into(), listed));
    zip(&out)
}

fn zip(files: &[(String, Vec<u8>)]) -> AppResult<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (path, bytes) in files {
        w.start_file(path.as_str(), options).map_err(AppError::internal)?;
        w.write_all(bytes).map_err(AppError::internal)?;
    }
    Ok(w.finish().map_err(AppError::internal)?.into_inner())
}
