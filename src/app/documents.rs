//! Attaching an original document to a voucher: the same file again on its own voucher is the
//! record made before; on any other voucher, of any project, it is refused — a unit learns only
//! that, finance and inspectors also which voucher holds it.
use crate::auth::Role;
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::document::{ContentType, DocumentKind};
use crate::error::{AppError, AppResult, Code};
use crate::store::documents::{self, Attach, Attached, AttachmentRow, DocumentStore, NewDocument};
use crate::store::{projects, vouchers};

/// An upload as received: the bytes once, their sha256 computed as they arrived, and the type
/// judged from them.
pub struct Upload {
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub content_type: ContentType,
    pub filename: String,
    pub kind: DocumentKind,
}

/// What the upload did.
pub enum Attachment {
    /// Attached now (201).
    Added(AttachmentRow),
    /// This voucher had the same file already (200, the earlier record; nothing written).
    Present(AttachmentRow),
}

/// Attaches `upload` to the project's voucher; `by` decides what a refusal says.
pub fn attach(
    conn: &mut DbConn,
    store: &dyn DocumentStore,
    actor: &Actor,
    by: Role,
    project_id: &str,
    voucher_id: &str,
    upload: &Upload,
) -> AppResult<Attachment> {
    vouchers::voucher(conn, project_id, voucher_id)?;
    let document = NewDocument { sha256: &upload.sha256, content_type: upload.content_type, bytes: &upload.bytes };
    let a = Attach { project_id, voucher_id, document, filename: &upload.filename, kind: upload.kind };
    match documents::attach(conn, store, actor, a)? {
        Attached::New(row) => Ok(Attachment::Added(row)),
        Attached::Already(row) if row.voucher_id == voucher_id => Ok(Attachment::Present(row)),
        Attached::Already(row) => Err(held_elsewhere(conn, by, &row)),
    }
}

/// `409 duplicate_document`; the voucher that holds the document only for those who read every
/// project's books.
fn held_elsewhere(conn: &mut DbConn, by: Role, held: &AttachmentRow) -> AppError {
    let refusal = AppError::conflict(Code::DuplicateDocument, "this document is already attached to another voucher")
        .with("sha256", held.sha256.clone());
    if by == Role::Unit {
        return refusal;
    }
    let voucher = vouchers::voucher(conn, &held.project_id, &held.voucher_id);
    let project = projects::get(conn, &held.project_id);
    match (voucher, project) {
        (Ok(v), Ok(p)) => {
            refusal.with("project_id", p.id).with("project_name", p.name).with("voucher_id", v.id).with("voucher_number", v.number)
        }
        // The refusal stands without the detail.
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "the voucher holding a document could not be read");
            refusal
        }
    }
}
