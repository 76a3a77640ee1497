//! Response bodies of the money routes, as types: the same JSON the contract shows, field for field.
use crate::app::funds::Recovery;
use crate::domain::classify::{Classification, Verdict};
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::money::Money;
use crate::domain::recovery::Reason;
use crate::domain::status::{ProjectStatus, VoucherStatus};
use crate::domain::verdicts::LineVerdict;
use crate::error::{AppError, AppResult};
use crate::store::ledger::Decision;
use crate::store::rows::{LineRow, Stored};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A voucher with its lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherView {
    pub id: String,
    pub project_id: String,
    /// Null until the voucher is posted.
    pub number: Option<i64>,
    pub status: VoucherStatus,
    pub kind: VoucherKind,
    pub date: NaiveDate,
    pub summary: String,
    pub attachments: i32,
    pub reference: Option<String>,
    /// The sum of the debits.
    pub total: Money,
    /// What the voucher holds back while it awaits review.
    pub reserved: Money,
    pub created_by: String,
    pub created_at: String,
    pub reverses_id: Option<String>,
    pub reversed_by_id: Option<String>,
    /// The review decision, once a voucher held for review is approved or declined.
    pub decision: Option<Decision>,
    pub lines: Vec<LineView>,
    /// The original documents stored with the voucher (`…/attachments`), in upload order; absent
    /// when it has none. `attachments` stays the count the voucher declared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<super::documents::AttachmentView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub line_no: i32,
    pub account: String,
    pub debit: Money,
    pub credit: Money,
    pub summary: String,
    /// The classifier's verdict on a debit to expenditure; null on other lines.
    pub classification: Option<Classification>,
    /// The invoice the line pays; absent when it names none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<InvoiceView>,
}

/// An invoice named on a voucher line, as entered (the credit code in upper case).
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    #[schema(example = "25442000000123456789")]
    pub number: String,
    #[schema(example = "某某数控设备有限公司")]
    pub seller: String,
    #[schema(example = "91350100M000100Y43")]
    pub seller_tax_id: String,
}

/// A value this service keeps as JSON text; text that does not read back is corrupt.
fn kept<T: DeserializeOwned>(text: &Option<String>) -> AppResult<Option<T>> {
    text.as_deref().map(serde_json::from_str).transpose().map_err(AppError::internal)
}

impl VoucherView {
    pub fn of(s: &Stored) -> AppResult<VoucherView> {
        let v = &s.voucher;
        Ok(VoucherView {
            id: v.id.clone(),
            project_id: v.project_id.clone(),
            number: v.number,
            status: v.status,
            kind: v.kind,
            date: v.date,
            summary: v.summary.clone(),
            attachments: v.attachments,
            reference: v.reference.clone(),
            total: s.lines.iter().map(|l| Money::from_fen(l.debit_fen)).sum(),
            reserved: Money::from_fen(v.reserved_bank_fen),
            created_by: v.created_by.clone(),
            created_at: v.created_at.clone(),
            reverses_id: v.reverses_id.clone(),
            reversed_by_id: v.reversed_by_id.clone(),
            decision: kept(&v.decision)?,
            lines: s.lines.iter().map(LineView::of).collect::<AppResult<_>>()?,
            // A voucher being written has none yet; a stored one's come from `with_documents`.
            documents: Vec::new(),
        })
    }

    /// The voucher with its stored documents, picked from `rows` (the documents of one or more
    /// vouchers, in upload order).
    pub fn with_documents(mut self, rows: &[crate::store::documents::AttachmentRow]) -> AppResult<VoucherView> {
        let mine = rows.iter().filter(|r| r.voucher_id == self.id);
        self.documents = mine.map(super::documents::AttachmentView::of).collect::<AppResult<_>>()?;
        Ok(self)
    }
}

impl LineView {
    fn of(l: &LineRow) -> AppResult<LineView> {
        Ok(LineView {
            line_no: l.line_no,
            account: l.account_code.clone(),
            debit: Money::from_fen(l.debit_fen),
            credit: Money::from_fen(l.credit_fen),
            summary: l.summary.clone(),
            classification: kept(&l.classification)?,
            invoice: l.invoice_number.as_ref().map(|number| InvoiceView {
                number: number.clone(),
                seller: l.invoice_seller.clone().unwrap_or_default(),
                seller_tax_id: l.invoice_seller_tax_id.clone().unwrap_or_default(),
            }),
        })
    }
}

/// A voucher in the review queue: the voucher and its project's name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewItem {
    #[serde(flatten)]
    pub voucher: VoucherView,
    pub project_name: String,
}

/// A recovery's outcome: the project is closed and what was not implemented comes back.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryView {
    pub project_id: String,
    pub status: ProjectStatus,
    pub reason: Reason,
    pub recoverable: Money,
    /// Cancelled from the receivable (1221): never paid out.
    pub undisbursed: Money,
    /// Owed back by the unit (2241): paid out and not spent.
    pub to_remit: Money,
    /// The recovery voucher (Dr 2401 / Cr 1221, 2241); null when nothing was left to recover.
    pub voucher: Option<VoucherView>,
}

impl RecoveryView {
    pub fn of(r: &Recovery) -> AppResult<RecoveryView> {
        Ok(RecoveryView {
            project_id: r.project_id.clone(),
            status: r.status,
            reason: r.reason,
            recoverable: r.plan.recoverable,
            undisbursed: r.plan.undisbursed,
            to_remit: r.plan.to_remit,
            voucher: r.voucher.as_ref().map(VoucherView::of).transpose()?,
        })
    }
}

/// The classifier's dry run (`POST /classify`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassifyView {
    pub project_kind: ProjectKind,
    /// The worst verdict on any line.
    pub verdict: Verdict,
    pub lines: Vec<LineVerdict>,
    /// The rule file that judged the lines (`r-…`), as a stored classification records it.
    pub rules_version: String,
    /// The learned second opinion consulted (`nb1-…`).
    pub model_version: Option<String>,
}

/// A money request's answer: its status and its body as JSON (kept with its Idempotency-Key).
pub fn answer(status: u16, body: impl Serialize) -> AppResult<(u16, Value)> {
    Ok((status, serde_json::to_value(body).map_err(AppError::internal)?))
}

/// A stored voucher as a money request's answer.
pub fn voucher_answer(status: u16, s: &Stored) -> AppResult<(u16, Value)> {
    answer(status, VoucherView::of(s)?)
}

/// A decided voucher as its answer, with the documents it had while it awaited review, so the
/// answer is what reading the voucher gives.
pub fn decided_answer(conn: &mut crate::db::DbConn, status: u16, s: &Stored) -> AppResult<(u16, Value)> {
    let documents = crate::store::documents::of_vouchers(conn, &[s.voucher.id.as_str()])?;
    answer(status, VoucherView::of(s)?.with_documents(&documents)?)
}
