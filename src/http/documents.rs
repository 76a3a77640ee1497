//! Original documents on vouchers: the upload (multipart, streamed: hashed and judged as it
//! arrives, refused as soon as it is too large or not a document), the list, and the download
//! (streamed from the store in chunks).
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::{db, paged, Page, Paged, State};
use crate::app::documents::{self as attaching, Attachment, Upload};
use crate::auth::{Caller, Role};
use crate::domain::document::{self, ContentType, DocumentKind, Judged, Sniffer};
use crate::error::{AppError, AppResult, Code};
use crate::store::documents::{self, AttachmentRow, CHUNK};
use crate::store::vouchers;
use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/vouchers/{vid}/attachments", upload)
        .get("/projects/{id}/vouchers/{vid}/attachments", list)
        .get("/projects/{id}/vouchers/{vid}/attachments/{aid}", download);
}

/// Who may attach documents: the project's unit, and finance.
pub const UPLOADERS: [Role; 2] = [Role::Unit, Role::Finance];

/// A document attached to a voucher.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub voucher_id: String,
    /// Hex SHA-256 of the bytes: also the download's `ETag` and the chain event's `sha256`.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub sha256: String,
    /// Bytes.
    pub size: i64,
    /// Judged from the bytes: application/pdf, application/ofd, application/xml, image/jpeg or image/png.
    #[schema(example = "application/pdf")]
    pub content_type: String,
    #[schema(example = "增值税电子普通发票.pdf")]
    pub filename: String,
    pub kind: DocumentKind,
    pub uploaded_at: String,
    /// The uploader's user id.
    pub uploaded_by: String,
}

impl AttachmentView {
    pub fn of(r: &AttachmentRow) -> AppResult<AttachmentView> {
        let kind = DocumentKind::parse(&r.kind).ok_or_else(|| AppError::internal(format!("attachment {} kind '{}'", r.id, r.kind)))?;
        Ok(AttachmentView {
            id: r.id.clone(),
            voucher_id: r.voucher_id.clone(),
            sha256: r.sha256.clone(),
            size: r.size,
            content_type: r.content_type.clone(),
            filename: r.filename.clone(),
            kind,
            uploaded_at: r.uploaded_at.clone(),
            uploaded_by: r.uploaded_by.clone(),
        })
    }
}

/// The form an upload is: one part `file`, and `kind` optionally.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The document: PDF, OFD, XML, JPEG or PNG (judged by its bytes), at most `attachments.max_bytes`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// invoice, receipt, contract, acceptance or other (default).
    kind: Option<DocumentKind>,
}

/// Attach an original document (a scanned receipt, a PDF, OFD or XML e-invoice, a contract, an
/// acceptance record) to a voucher.
///
/// `multipart/form-data` with one part `file` and optionally `kind`. The type is judged from the
/// bytes, never from the name; the sha256 is recorded on the project's chain
/// (`attachment.added`). A document evidences one voucher: the same file on another voucher of any
/// project is refused; the same file again on this voucher answers the record made before (200).
/// Documents are never deleted or replaced.
///
/// Roles: unit (its organisation's projects), finance.
#[utoipa::path(post, path = "/projects/{id}/vouchers/{vid}/attachments", tag = "documents", operation_id = "upload_attachment",
    params(("id" = String, Path), ("vid" = String, Path)), request_body(content = UploadForm, content_type = "multipart/form-data"), security(("bearer" = [])),
    responses((status = 201, description = "Attached", body = AttachmentView),
        (status = 200, description = "This voucher has the same file already: the earlier record", body = AttachmentView),
        (status = 400, description = "`malformed_request`: a multipart body that does not parse", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not unit or finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller, or no such voucher in it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_document`: the file is attached to another voucher (finance also hears which: `project_id`, `project_name`, `voucher_id`, `voucher_number`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the file is over `attachments.max_bytes` (`limit_bytes`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not multipart/form-data, or the file is none of PDF, OFD, XML, JPEG, PNG", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: no `file` part, an empty file, two files, an unknown part or `kind`", body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let (id, vid) = path.into_inner();
    let (status, view) = attach(&state, &caller, &req, id, vid, form).await?;
    Ok(HttpResponse::build(status).json(view))
}

/// The upload itself, for the API and the console's form alike: the caller and the voucher are
/// checked before a byte of the body is read.
pub(crate) async fn attach(
    state: &State,
    caller: &Caller,
    req: &HttpRequest,
    id: String,
    vid: String,
    form: Multipart,
) -> AppResult<(actix_web::http::StatusCode, AttachmentView)> {
    caller.require(&UPLOADERS)?;
    let (who, project, voucher) = (caller.clone(), id.clone(), vid.clone());
    db(state, move |conn| {
        visible(conn, &who, &project)?;
        vouchers::voucher(conn, &project, &voucher).map(drop)
    })
    .await?;
    let max_bytes = state.settings.attachments.max_bytes;
    let expected = expected_length(req);
    // A body announced far over the limit is refused before any of it is read.
    if expected > max_bytes.saturating_add(FORM_OVERHEAD) {
        return Err(too_large(max_bytes));
    }
    let upload = receive(form, max_bytes, expected).await?;
    let (actor, by, store) = (caller.actor(), caller.role, state.documents.clone());
    let done = db(state, move |conn| attaching::attach(conn, store.as_ref(), &actor, by, &id, &vid, &upload)).await?;
    Ok(match done {
        Attachment::Added(row) => (actix_web::http::StatusCode::CREATED, AttachmentView::of(&row)?),
        Attachment::Present(row) => (actix_web::http::StatusCode::OK, AttachmentView::of(&row)?),
    })
}

/// The body's announced length, to size the buffer once (it is a hint: the limit is enforced on
/// the bytes that arrive).
fn expected_length(req: &HttpRequest) -> usize {
    req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Reads the form's parts: the file into one buffer, hashed and judged chunk by chunk.
async fn receive(mut form: Multipart, max_bytes: usize, expected: usize) -> AppResult<Upload> {
    let mut file: Option<(Vec<u8>, String, ContentType, Option<String>)> = None;
    let mut kind = DocumentKind::Other;
    while let Some(part) = form.next().await {
        let mut part = part.map_err(unreadable)?;
        let name = part.name().map(str::to_string);
        match name.as_deref() {
            Some("file") if file.is_some() => return Err(AppError::field("file", "one file per upload")),
            Some("file") => {
                let sent = part.content_disposition().and_then(sent_filename);
                let (bytes, sha256, content_type) = read_file(&mut part, max_bytes, expected).await?;
                file = Some((bytes, sha256, content_type, sent));
            }
            Some("kind") => {
                let text = read_text(&mut part, 32).await?;
                kind = DocumentKind::parse(text.trim())
                    .ok_or_else(|| AppError::field("kind", "one of invoice, receipt, contract, acceptance, other"))?;
            }
            other => return Err(AppError::field(other.unwrap_or("part"), "not a part of this form (file, kind)")),
        }
    }
    let (bytes, sha256, content_type, sent) = file.ok_or_else(|| AppError::field("file", "the form has no file part"))?;
    if sent.as_deref().is_some_and(|n| n.contains('\0')) {
        return Err(AppError::nul_text());
    }
    let filename = document::filename(sent.as_deref(), content_type);
    Ok(Upload { bytes, sha256, content_type, filename, kind })
}

/// The file name as sent: RFC 5987 `filename*` when given, else `filename`.
fn sent_filename(cd: &ContentDisposition) -> Option<String> {
    match cd.get_filename_ext() {
        Some(ext) => Some(String::from_utf8_lossy(&ext.value).into_owned()),
        None => cd.get_filename().map(str::to_string),
    }
}

async fn read_file(part: &mut Field, max_bytes: usize, expected: usize) -> AppResult<(Vec<u8>, String, ContentType)> {
    let mut bytes = Vec::with_capacity(expected.min(max_bytes));
    let mut hasher = Sha256::new();
    let mut sniffer = Sniffer::default();
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_large(max_bytes));
        }
        if sniffer.feed(&chunk) == Judged::Refused {
            return Err(unsupported());
        }
        hasher.update(&chunk);
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err(AppError::field("file", "the file is empty"));
    }
    let content_type = sniffer.finish().ok_or_else(unsupported)?;
    Ok((bytes, hex::encode(hasher.finalize()), content_type))
}

async fn read_text(part: &mut Field, limit: usize) -> AppResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = part.next().await {
        bytes.extend_from_slice(&chunk.map_err(unreadable)?);
        if bytes.len() > limit {
            return Err(AppError::field(part.name().unwrap_or("part"), format!("at most {limit} bytes")));
        }
    }
    let text = String::from_utf8(bytes).map_err(|_| AppError::field(part.name().unwrap_or("part"), "not UTF-8 text"))?;
    if text.contains('\0') {
        return Err(AppError::nul_text());
    }
    Ok(text)
}

/// What a form adds to its file: boundaries, the parts' headers (a 200-character name is 600
/// bytes of UTF-8, percent-encoded at most 1,800), the `kind` part. A body announcing more than
/// the file's limit and this is refused before it is read.
const FORM_OVERHEAD: usize = 16 * 1024;

fn too_large(max_bytes: usize) -> AppError {
    AppError::new(Code::PayloadTooLarge, format!("the file is over the {max_bytes}-byte limit")).with("limit_bytes", max_bytes)
}

fn unsupported() -> AppError {
    AppError::new(Code::UnsupportedMediaType, "the file is not a PDF, OFD, XML, JPEG or PNG document (judged by its content)")
}

fn unreadable(e: MultipartError) -> AppError {
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => AppError::new(Code::UnsupportedMediaType, "send multipart/form-data with a part named file"),
        other => AppError::malformed(format!("the multipart body could not be read: {other}")),
    }
}

/// A voucher's documents, in the order they were uploaded.
///
/// Roles: hr, finance, inspector; a unit only its organisation's projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/vouchers/{vid}/attachments", tag = "documents", operation_id = "list_attachments",
    params(("id" = String, Path), ("vid" = String, Path), Page), security(("bearer" = [])),
    responses((status = 200, body = Paged<AttachmentView>),
        (status = 403, description = "`forbidden`: admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller, or no such voucher in it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` out of 1..500, a `format` other than json", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, caller: Caller, path: web::Path<(String, String)>, page: web::Query<Page>) -> AppResult<HttpResponse> {
    let (id, vid) = path.into_inner();
    if page.format.as_deref().is_some_and(|f| f != "json") {
        return Err(AppError::field("format", "only json"));
    }
    let (limit, after) = (page.limit()?, page.after());
    let body = db(&state, move |conn| {
        visible(conn, &caller, &id)?;
        vouchers::voucher(conn, &id, &vid)?;
        let rows = documents::of_voucher(conn, &vid, &after, limit)?;
        let views = rows.iter().map(AttachmentView::of).collect::<AppResult<Vec<_>>>()?;
        Ok(paged(views, limit, |v: &AttachmentView| v.id.clone()))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A document's bytes, streamed: `Content-Type` as judged at upload, `Content-Disposition` with
/// the UTF-8 file name (RFC 6266, RFC 5987), `ETag` the sha256 (`If-None-Match` → 304).
///
/// Roles: hr, finance, inspector; a unit only its organisation's projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/vouchers/{vid}/attachments/{aid}", tag = "documents", operation_id = "download_attachment",
    params(("id" = String, Path), ("vid" = String, Path), ("aid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The document's bytes, typed as judged at upload",
            content((String = "application/pdf"), (String = "application/ofd"), (String = "application/xml"), (String = "image/jpeg"), (String = "image/png"))),
        (status = 304, description = "`If-None-Match` names this document's ETag"),
        (status = 403, description = "`forbidden`: admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller, voucher in it, or document on that voucher", body = Problem, content_type = "application/problem+json")))]
pub async fn download(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (id, vid, aid) = path.into_inner();
    serve(state, caller, &req, id, vid, aid).await
}

/// The download itself, for the API and the console's link alike.
pub(crate) async fn serve(
    state: State,
    caller: Caller,
    req: &HttpRequest,
    id: String,
    vid: String,
    aid: String,
) -> AppResult<HttpResponse> {
    let row = db(&state, move |conn| {
        visible(conn, &caller, &id)?;
        documents::get(conn, &id, &aid).ok().filter(|r| r.voucher_id == vid).ok_or_else(|| AppError::not_found("attachment"))
    })
    .await?;
    let etag = header::EntityTag::new_strong(row.sha256.clone());
    if let Some(wanted) = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let matches = wanted.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/").trim_matches('"') == row.sha256);
        if matches {
            return Ok(HttpResponse::NotModified().insert_header(header::ETag(etag)).finish());
        }
    }
    let size = usize::try_from(row.size).map_err(AppError::internal)?;
    let (store, sha256) = (state.documents.clone(), row.sha256.clone());
    let chunks = futures_util::stream::unfold(0usize, move |offset| {
        let (state, store, sha256) = (state.clone(), store.clone(), sha256.clone());
        async move {
            if offset >= size {
                return None;
            }
            let read = db(&state, move |conn| store.read(conn, &sha256, offset, CHUNK.min(size - offset))).await;
            match read {
                Ok(chunk) if chunk.is_empty() => None,
                Ok(chunk) => {
                    let next = offset + chunk.len();
                    Some((Ok::<_, AppError>(Bytes::from(chunk)), next))
                }
                // The stream ends after the error (the connection is cut: the length is short).
                Err(e) => Some((Err(e), usize::MAX)),
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(row.content_type.as_str())
        .insert_header(header::ETag(etag))
        .insert_header(disposition(&row.filename))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .no_chunking(size as u64)
        .streaming(chunks))
}

/// `attachment` with an ASCII `filename` for old clients and the UTF-8 `filename*` (RFC 6266 §4.3).
fn disposition(name: &str) -> ContentDisposition {
    let ascii: String = name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}
