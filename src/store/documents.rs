//! Original documents and the vouchers they are attached to. The bytes sit behind
//! `DocumentStore`: in the database by default (`InDatabase`: transactional, backed up with the
//! books, shared by every process on one PostgreSQL), so that an object store could take its
//! place; the attachments and their chain events stay in the database either way.
use super::{audit, new_id, now, snapshot};
use crate::db::schema::{attachments, audit_events, documents};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::document::{ChangedDocument, ContentType, DocumentKind, DocumentsCheck};
use crate::error::{AppError, AppResult};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Text};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Bytes read from the store at a time: a download or a re-hash never holds more of a document.
pub const CHUNK: usize = 1 << 20;

/// A document about to be kept: its bytes, hashed as they arrived.
pub struct NewDocument<'a> {
    pub sha256: &'a str,
    pub content_type: ContentType,
    pub bytes: &'a [u8],
}

/// Where documents' bytes are kept, by their sha256.
pub trait DocumentStore: Send + Sync {
    /// Keeps the bytes unless the store has them already (the same sha256 is the same bytes).
    /// Runs inside the attaching transaction.
    fn put(&self, conn: &mut DbConn, doc: &NewDocument<'_>) -> AppResult<()>;
    /// Up to `len` bytes from `offset`; fewer at the end, none past it.
    fn read(&self, conn: &mut DbConn, sha256: &str, offset: usize, len: usize) -> AppResult<Vec<u8>>;
}

/// The documents table: one row per sha256 with its bytes.
pub struct InDatabase;

#[derive(QueryableByName)]
struct Chunk {
    #[diesel(sql_type = Binary)]
    chunk: Vec<u8>,
}

impl DocumentStore for InDatabase {
    fn put(&self, conn: &mut DbConn, doc: &NewDocument<'_>) -> AppResult<()> {
        // ON CONFLICT DO NOTHING: the row is append-only, and a failed statement would abort a
        // PostgreSQL transaction. `$n` placeholders number the binds on both backends.
        diesel::sql_query(
            "INSERT INTO documents (sha256, size, content_type, bytes, stored_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind::<Text, _>(doc.sha256)
        .bind::<BigInt, _>(doc.bytes.len() as i64)
        .bind::<Text, _>(doc.content_type.mime())
        .bind::<Binary, _>(doc.bytes)
        .bind::<Text, _>(now())
        .execute(conn)?;
        Ok(())
    }

    fn read(&self, conn: &mut DbConn, sha256: &str, offset: usize, len: usize) -> AppResult<Vec<u8>> {
        let (start, len) = (i32::try_from(offset + 1).map_err(AppError::internal)?, i32::try_from(len).map_err(AppError::internal)?);
        let rows: Vec<Chunk> = diesel::sql_query("SELECT substr(bytes, $1, $2) AS chunk FROM documents WHERE sha256 = $3")
            .bind::<Integer, _>(start)
            .bind::<Integer, _>(len)
            .bind::<Text, _>(sha256)
            .load(conn)?;
        rows.into_iter().next().map(|c| c.chunk).ok_or_else(|| AppError::internal(format!("document {sha256} is not stored")))
    }
}

/// An attachment with its document's size and type.
#[derive(Debug, Clone, Queryable)]
pub struct AttachmentRow {
    pub id: String,
    pub project_id: String,
    pub voucher_id: String,
    pub sha256: String,
    pub filename: String,
    pub kind: String,
    pub uploaded_at: String,
    pub uploaded_by: String,
    pub size: i64,
    pub content_type: String,
}

type Columns = (
    attachments::id,
    attachments::project_id,
    attachments::voucher_id,
    attachments::sha256,
    attachments::filename,
    attachments::kind,
    attachments::uploaded_at,
    attachments::uploaded_by,
    documents::size,
    documents::content_type,
);

const COLUMNS: Columns = (
    attachments::id,
    attachments::project_id,
    attachments::voucher_id,
    attachments::sha256,
    attachments::filename,
    attachments::kind,
    attachments::uploaded_at,
    attachments::uploaded_by,
    documents::size,
    documents::content_type,
);

/// What attaching did.
pub enum Attached {
    /// A new attachment, recorded on the project's chain.
    New(AttachmentRow),
    /// The document is attached already (to this voucher or another): nothing was written.
    Already(AttachmentRow),
}

/// A document to attach, with the voucher it evidences.
pub struct Attach<'a> {
    pub project_id: &'a str,
    pub voucher_id: &'a str,
    pub document: NewDocument<'a>,
    pub filename: &'a str,
    pub kind: DocumentKind,
}

/// Attaches a document to a voucher in one transaction: the bytes, the attachment and the
/// `attachment.added` event on the project's chain, or nothing. A document belongs to one
/// voucher: the unique index on `attachments.sha256` decides between two racing uploads.
pub fn attach(conn: &mut DbConn, store: &dyn DocumentStore, actor: &Actor, a: Attach<'_>) -> AppResult<Attached> {
    super::unit::write(conn, |conn| {
        // The write comes first: on SQLite it takes the write lock before anything is read.
        store.put(conn, &a.document)?;
        if let Some(held) = by_sha256(conn, a.document.sha256)? {
            return Ok(Attached::Already(held));
        }
        let id = new_id();
        let uploaded_at = now();
        let inserted = diesel::sql_query(
            "INSERT INTO attachments (id, project_id, voucher_id, sha256, filename, kind, uploaded_at, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind::<Text, _>(&id)
        .bind::<Text, _>(a.project_id)
        .bind::<Text, _>(a.voucher_id)
        .bind::<Text, _>(a.document.sha256)
        .bind::<Text, _>(a.filename)
        .bind::<Text, _>(a.kind.as_str())
        .bind::<Text, _>(&uploaded_at)
        .bind::<Text, _>(&actor.user_id)
        .execute(conn)?;
        if inserted == 0 {
            // Another upload of the same bytes committed meanwhile (PostgreSQL waited for it).
            let held = by_sha256(conn, a.document.sha256)?.ok_or_else(|| AppError::internal("a claimed document has no attachment"))?;
            return Ok(Attached::Already(held));
        }
        let data = json!({"attachment_id": id, "voucher_id": a.voucher_id, "sha256": a.document.sha256,
            "size": a.document.bytes.len(), "content_type": a.document.content_type.mime(), "filename": a.filename, "kind": a.kind.as_str()});
        audit::append(conn, a.project_id, actor, "attachment.added", &format!("voucher/{}", a.voucher_id), data)?;
        get(conn, a.project_id, &id).map(Attached::New)
    })
}

fn by_sha256(conn: &mut DbConn, sha256: &str) -> AppResult<Option<AttachmentRow>> {
    Ok(attachments::table.inner_join(documents::table).filter(attachments::sha256.eq(sha256)).select(COLUMNS).first(conn).optional()?)
}

/// One attachment of a project.
pub fn get(conn: &mut DbConn, project_id: &str, id: &str) -> AppResult<AttachmentRow> {
    attachments::table
        .inner_join(documents::table)
        .filter(attachments::id.eq(id))
        .filter(attachments::project_id.eq(project_id))
        .select(COLUMNS)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("attachment"))
}

/// A voucher's attachments in the order they were uploaded, `limit` after the id `after`.
pub fn of_voucher(conn: &mut DbConn, voucher_id: &str, after: &str, limit: i64) -> AppResult<Vec<AttachmentRow>> {
    Ok(attachments::table
        .inner_join(documents::table)
        .filter(attachments::voucher_id.eq(voucher_id))
        .filter(attachments::id.gt(after))
        .order(attachments::id.asc())
        .limit(limit)
        .select(COLUMNS)
        .load(conn)?)
}

/// The attachments of many vouchers at once (a page of vouchers), in upload order.
pub fn of_vouchers(conn: &mut DbConn, voucher_ids: &[&str]) -> AppResult<Vec<AttachmentRow>> {
    if voucher_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(attachments::table
        .inner_join(documents::table)
        .filter(attachments::voucher_id.eq_any(voucher_ids))
        .order(attachments::id.asc())
        .select(COLUMNS)
        .load(conn)?)
}

/// Every attachment of a project's vouchers, oldest first.
pub fn of_project(conn: &mut DbConn, project_id: &str) -> AppResult<Vec<AttachmentRow>> {
    Ok(attachments::table
        .inner_join(documents::table)
        .filter(attachments::project_id.eq(project_id))
        .order(attachments::id.asc())
        .select(COLUMNS)
        .load(conn)?)
}

/// The sha256 of the bytes stored under `sha256`, read `CHUNK` at a time; None when absent.
fn rehash(conn: &mut DbConn, store: &dyn DocumentStore, sha256: &str) -> AppResult<Option<String>> {
    let stored: Option<i64> = documents::table.find(sha256).select(documents::size).first(conn).optional()?;
    let Some(size) = stored else { return Ok(None) };
    let mut hasher = Sha256::new();
    let mut offset = 0usize;
    loop {
        let chunk = store.read(conn, sha256, offset, CHUNK)?;
        hasher.update(&chunk);
        offset += chunk.len();
        // The size column is not trusted to end the loop: the bytes are what is checked.
        if chunk.len() < CHUNK || offset as i64 > size.max(0) + CHUNK as i64 {
            break;
        }
    }
    Ok(Some(hex::encode(hasher.finalize())))
}

/// Re-hashes every document the project's chain recorded (`attachment.added`) from the stored
/// bytes, and finds attachments the chain never recorded; one read snapshot.
pub fn check(conn: &mut DbConn, store: &dyn DocumentStore, project_id: &str) -> AppResult<DocumentsCheck> {
    snapshot(conn, |conn| {
        let events: Vec<String> = audit_events::table
            .filter(audit_events::chain_id.eq(project_id))
            .filter(audit_events::action.eq("attachment.added"))
            .order(audit_events::seq.asc())
            .select(audit_events::data)
            .load(conn)?;
        let rows: Vec<(String, String, String)> = attachments::table
            .filter(attachments::project_id.eq(project_id))
            .select((attachments::id, attachments::voucher_id, attachments::sha256))
            .load(conn)?;
        let mut check = DocumentsCheck { checked: 0, changed: Vec::new(), unrecorded: Vec::new() };
        let mut recorded = std::collections::HashSet::new();
        for data in events {
            let data: serde_json::Value = serde_json::from_str(&data).map_err(AppError::internal)?;
            let field =
                |k: &str| data[k].as_str().map(str::to_string).ok_or_else(|| AppError::internal(format!("attachment.added without {k}")));
            let (id, voucher_id, sha256) = (field("attachment_id")?, field("voucher_id")?, field("sha256")?);
            recorded.insert(id.clone());
            check.checked += 1;
            let row = rows.iter().find(|(r, _, _)| *r == id);
            let found = match row {
                // The attachment now names other bytes or another voucher.
                Some((_, v, s)) if *s != sha256 || *v != voucher_id => Some(s.clone()),
                Some(_) => rehash(conn, store, &sha256)?,
                None => None,
            };
            if found.as_deref() != Some(sha256.as_str()) {
                check.changed.push(ChangedDocument { attachment_id: id, voucher_id, sha256, found });
            }
        }
        check.unrecorded = rows.into_iter().filter(|(id, _, _)| !recorded.contains(id)).map(|(id, _, _)| id).collect();
        Ok(check)
    })
}
