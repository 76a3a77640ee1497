//! Every failure a client can see: a stable `code`, its HTTP status, RFC 9457 problem details.
use crate::domain::eligibility::FieldError;
use crate::domain::ledger::LedgerError;
use crate::domain::money::AmountError;
use crate::domain::verdicts::UnknownAccount;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value};

/// Every error code a client can branch on. The `match` in `status` is the one table from codes
/// to HTTP statuses; a new code cannot be added without its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    MalformedRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    InsufficientFunds,
    GrantExceeded,
    ProjectNotActive,
    IdempotencyConflict,
    AlreadyReversed,
    PendingReviews,
    InvalidTransition,
    NotPending,
    ExceedsOwed,
    NegativeBalance,
    PeriodNotEnded,
    NothingOwed,
    PayablesOutstanding,
    LastAdmin,
    AlreadyExists,
    DuplicateInvoice,
    DuplicateDocument,
    TooEarly,
    AcceptanceRequired,
    ProjectNotClosed,
    TargetsNotMet,
    InvalidAmount,
    UnbalancedVoucher,
    UnknownAccount,
    OutOfPeriod,
    VoucherRejected,
    ValidationFailed,
    InvalidLine,
    ImportRejected,
    TooManyAttempts,
    ServiceUnavailable,
    InternalError,
}

impl Code {
    pub const ALL: [Code; 39] = [
        Code::MalformedRequest,
        Code::Unauthenticated,
        Code::Forbidden,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::InsufficientFunds,
        Code::GrantExceeded,
        Code::ProjectNotActive,
        Code::IdempotencyConflict,
        Code::AlreadyReversed,
        Code::PendingReviews,
        Code::InvalidTransition,
        Code::NotPending,
        Code::ExceedsOwed,
        Code::NegativeBalance,
        Code::PeriodNotEnded,
        Code::NothingOwed,
        Code::PayablesOutstanding,
        Code::LastAdmin,
        Code::AlreadyExists,
        Code::DuplicateInvoice,
        Code::DuplicateDocument,
        Code::TooEarly,
        Code::AcceptanceRequired,
        Code::ProjectNotClosed,
        Code::TargetsNotMet,
        Code::InvalidAmount,
        Code::UnbalancedVoucher,
        Code::UnknownAccount,
        Code::OutOfPeriod,
        Code::VoucherRejected,
        Code::ValidationFailed,
        Code::InvalidLine,
        Code::ImportRejected,
        Code::TooManyAttempts,
        Code::ServiceUnavailable,
        Code::InternalError,
    ];

    pub fn status(self) -> StatusCode {
        match self {
            Code::MalformedRequest => StatusCode::BAD_REQUEST,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InsufficientFunds
            | Code::GrantExceeded
            | Code::ProjectNotActive
            | Code::IdempotencyConflict
            | Code::AlreadyReversed
            | Code::PendingReviews
            | Code::InvalidTransition
            | Code::NotPending
            | Code::ExceedsOwed
            | Code::NegativeBalance
            | Code::PeriodNotEnded
            | Code::NothingOwed
            | Code::PayablesOutstanding
            | Code::LastAdmin
            | Code::AlreadyExists
            | Code::DuplicateInvoice
            | Code::DuplicateDocument
            | Code::TooEarly
            | Code::AcceptanceRequired
            | Code::ProjectNotClosed => StatusCode::CONFLICT,
            Code::InvalidAmount
            | Code::UnbalancedVoucher
            | Code::UnknownAccount
            | Code::OutOfPeriod
            | Code::VoucherRejected
            | Code::ValidationFailed
            | Code::InvalidLine
            | Code::TargetsNotMet
            | Code::ImportRejected => StatusCode::UNPROCESSABLE_ENTITY,
            Code::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Code::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code as clients see it: snake_case, stable.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedRequest => "malformed_request",
            Code::Unauthenticated => "unauthenticated",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::PayloadTooLarge => "payload_too_large",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::InsufficientFunds => "insufficient_funds",
            Code::GrantExceeded => "grant_exceeded",
            Code::ProjectNotActive => "project_not_active",
            Code::IdempotencyConflict => "idempotency_conflict",
            Code::AlreadyReversed => "already_reversed",
            Code::PendingReviews => "pending_reviews",
            Code::InvalidTransition => "invalid_transition",
            Code::NotPending => "not_pending",
            Code::ExceedsOwed => "exceeds_owed",
            Code::NegativeBalance => "negative_balance",
            Code::PeriodNotEnded => "period_not_ended",
            Code::NothingOwed => "nothing_owed",
            Code::PayablesOutstanding => "payables_outstanding",
            Code::LastAdmin => "last_admin",
            Code::AlreadyExists => "already_exists",
            Code::DuplicateInvoice => "duplicate_invoice",
            Code::DuplicateDocument => "duplicate_document",
            Code::TooEarly => "too_early",
            Code::AcceptanceRequired => "acceptance_required",
            Code::ProjectNotClosed => "project_not_closed",
            Code::TargetsNotMet => "targets_not_met",
            Code::InvalidAmount => "invalid_amount",
            Code::UnbalancedVoucher => "unbalanced_voucher",
            Code::UnknownAccount => "unknown_account",
            Code::OutOfPeriod => "out_of_period",
            Code::VoucherRejected => "voucher_rejected",
            Code::ValidationFailed => "validation_failed",
            Code::InvalidLine => "invalid_line",
            Code::ImportRejected => "import_rejected",
            Code::TooManyAttempts => "too_many_attempts",
            Code::ServiceUnavailable => "service_unavailable",
            Code::InternalError => "internal_error",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct AppError {
    pub code: Code,
    pub detail: String,
    pub extra: Map<String, Value>,
}

impl AppError {
    pub fn new(code: Code, detail: impl Into<String>) -> AppError {
        AppError { code, detail: detail.into(), extra: Map::new() }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> AppError {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn malformed(detail: impl Into<String>) -> AppError {
        AppError::new(Code::MalformedRequest, detail)
    }
    /// Text holding NUL, which PostgreSQL cannot store.
    pub fn nul_text() -> AppError {
        AppError::malformed("text may not contain NUL (\\u0000) characters")
    }
    pub fn unauthenticated(detail: impl Into<String>) -> AppError {
        AppError::new(Code::Unauthenticated, detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> AppError {
        AppError::new(Code::Forbidden, detail)
    }
    pub fn not_found(what: &str) -> AppError {
        AppError::new(Code::NotFound, format!("no such {what}"))
    }
    pub fn conflict(code: Code, detail: impl Into<String>) -> AppError {
        AppError::new(code, detail)
    }
    pub fn validation(errors: Vec<FieldError>) -> AppError {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        AppError::new(Code::ValidationFailed, detail).with("errors", serde_json::to_value(errors).unwrap_or(Value::Null))
    }
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::validation(vec![FieldError::new(field, message)])
    }
    /// The per-field errors of a `validation_failed` (none for other codes).
    pub fn field_errors(&self) -> Vec<FieldError> {
        let list = self.extra.get("errors").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        list.iter().filter_map(|e| Some(FieldError::new(e.get("field")?.as_str()?, e.get("message")?.as_str()?))).collect()
    }

    /// Sign-in refused without checking the password: too many failures for the username or from
    /// the address. Answered with `Retry-After`.
    pub fn too_many_attempts(retry_after_s: i64) -> AppError {
        AppError::new(Code::TooManyAttempts, format!("too many failed sign-ins: try again in {retry_after_s} seconds"))
            .with("retry_after", retry_after_s)
    }
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(%cause, "internal error");
        AppError::new(Code::InternalError, "the server could not complete the request")
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The problem document. Extra members never replace the standard ones (a client reads
    /// `status` as the HTTP status whatever else the problem carries).
    pub fn body(&self) -> Value {
        let status = self.status();
        let mut body = self.extra.clone();
        body.insert("type".into(), format!("https://fundledger.example/problems/{}", self.code.as_str().replace('_', "-")).into());
        body.insert("title".into(), status.canonical_reason().unwrap_or("Error").into());
        body.insert("status".into(), status.as_u16().into());
        body.insert("detail".into(), self.detail.clone().into());
        body.insert("code".into(), self.code.as_str().into());
        Value::Object(body)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status());
        if let (Code::TooManyAttempts, Some(seconds)) = (self.code, self.extra.get("retry_after").and_then(Value::as_i64)) {
            r.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        r.content_type("application/problem+json").json(self.body())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::not_found("object"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(constraint = ?info.constraint_name(), "unique violation");
                AppError::new(Code::AlreadyExists, "an object with the same unique field already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::field("reference", "refers to an object that does not exist")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::new(Code::ServiceUnavailable, "the database was busy; retry the request").with("retryable", true)
            }
            // PostgreSQL text cannot hold NUL (SQLSTATE 22021); it came from the client's input.
            // diesel gives no SQLSTATE, and the message is translated by the server's
            // lc_messages; the byte it names, 0x00, is not.
            Error::DatabaseError(_, info) if info.message().contains("invalid byte sequence") || info.message().contains("0x00") => {
                AppError::nul_text()
            }
            // SQLite waited busy_timeout for another writer (another process, or a long batch).
            Error::DatabaseError(_, info) if info.message().contains("database is locked") => {
                tracing::warn!("SQLite write lock not obtained within busy_timeout");
                AppError::new(Code::ServiceUnavailable, "the database was busy; retry the request").with("retryable", true)
            }
            other => AppError::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> AppError {
        tracing::warn!(error = %e, "database pool exhausted");
        AppError::new(Code::ServiceUnavailable, "the database is busy; retry shortly").with("retryable", true)
    }
}

impl From<AmountError> for AppError {
    fn from(e: AmountError) -> AppError {
        AppError::new(Code::InvalidAmount, e.to_string())
    }
}

impl From<LedgerError> for AppError {
    fn from(e: LedgerError) -> AppError {
        let detail = e.to_string();
        match e {
            LedgerError::LineCount(_) | LedgerError::LineSides(_) | LedgerError::NotAnExpense(_) => {
                AppError::new(Code::InvalidLine, detail)
            }
            LedgerError::Unbalanced { debit, credit } => AppError::new(Code::UnbalancedVoucher, detail)
                .with("debit_total", debit.to_string())
                .with("credit_total", credit.to_string()),
            LedgerError::UnknownAccount(code) => AppError::new(Code::UnknownAccount, detail).with("account", code),
            LedgerError::InsufficientFunds { available, requested } => AppError::new(Code::InsufficientFunds, detail)
                .with("available", available.to_string())
                .with("requested", requested.to_string()),
            LedgerError::GrantExceeded(_) => AppError::new(Code::GrantExceeded, detail),
            LedgerError::ExceedsOwed { owed, .. } => AppError::new(Code::ExceedsOwed, detail).with("owed", owed.to_string()),
            LedgerError::NegativeBalance { code, .. } => AppError::new(Code::NegativeBalance, detail).with("account", code),
            LedgerError::Overflow => AppError::new(Code::InvalidAmount, detail),
        }
    }
}

impl From<UnknownAccount> for AppError {
    fn from(e: UnknownAccount) -> AppError {
        AppError::new(Code::UnknownAccount, e.to_string()).with("line", e.line).with("account", e.account)
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> AppError {
        AppError::internal(e)
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_text_and_are_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), Value::String(code.as_str().into()));
            assert!(seen.insert(code.as_str()), "{code} listed twice");
        }
    }

    #[test]
    fn extras_never_replace_the_standard_members() {
        let body = AppError::new(Code::ProjectNotActive, "closed").with("status", "closed").with("code", "x").body();
        assert_eq!((body["status"].as_u64(), body["code"].as_str()), (Some(409), Some("project_not_active")));
    }

    #[test]
    fn problem_body_carries_code_status_and_extras() {
        let body = AppError::new(Code::InsufficientFunds, "no money").with("available", "0.00").body();
        assert_eq!(body["status"], 409);
        assert_eq!(body["code"], "insufficient_funds");
        assert_eq!(body["type"], "https://fundledger.example/problems/insufficient-funds");
        assert_eq!(body["available"], "0.00");
    }
}
