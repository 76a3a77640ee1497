//! Every failure a client can see: a stable `code`, its HTTP status, RFC 9457 problem details.
use crate::domain::eligibility::FieldError;
use crate::domain::ledger::LedgerError;
use crate::domain::money::AmountError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Map, Value};

#[derive(Debug, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct AppError {
    pub code: &'static str,
    pub detail: String,
    pub extra: Map<String, Value>,
}

/// The one table from codes to statuses.
fn status_of(code: &str) -> StatusCode {
    match code {
        "malformed_request" => StatusCode::BAD_REQUEST,
        "unauthenticated" => StatusCode::UNAUTHORIZED,
        "forbidden" => StatusCode::FORBIDDEN,
        "not_found" => StatusCode::NOT_FOUND,
        "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
        "payload_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "unsupported_media_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "insufficient_funds"
        | "grant_exceeded"
        | "project_not_active"
        | "idempotency_conflict"
        | "already_reversed"
        | "pending_reviews"
        | "conflict"
        | "invalid_transition"
        | "not_pending"
        | "exceeds_owed"
        | "negative_balance"
        | "period_not_ended"
        | "nothing_owed"
        | "payables_outstanding"
        | "last_admin"
        | "already_exists" => StatusCode::CONFLICT,
        "invalid_amount"
        | "unbalanced_voucher"
        | "unknown_account"
        | "account_not_allowed"
        | "out_of_period"
        | "voucher_rejected"
        | "validation_failed"
        | "invalid_line" => StatusCode::UNPROCESSABLE_ENTITY,
        "service_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl AppError {
    pub fn new(code: &'static str, detail: impl Into<String>) -> AppError {
        AppError { code, detail: detail.into(), extra: Map::new() }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> AppError {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn malformed(detail: impl Into<String>) -> AppError {
        AppError::new("malformed_request", detail)
    }
    /// Text holding NUL, which PostgreSQL cannot store.
    pub fn nul_text() -> AppError {
        AppError::malformed("text may not contain NUL (\\u0000) characters")
    }
    pub fn unauthenticated(detail: impl Into<String>) -> AppError {
        AppError::new("unauthenticated", detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> AppError {
        AppError::new("forbidden", detail)
    }
    pub fn not_found(what: &str) -> AppError {
        AppError::new("not_found", format!("no such {what}"))
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> AppError {
        AppError::new(code, detail)
    }
    pub fn validation(errors: Vec<FieldError>) -> AppError {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        AppError::new("validation_failed", detail).with("errors", serde_json::to_value(errors).unwrap_or(Value::Null))
    }
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::validation(vec![FieldError::new(field, message)])
    }
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(%cause, "internal error");
        AppError::new("internal_error", "the server could not complete the request")
    }

    pub fn status(&self) -> StatusCode {
        status_of(self.code)
    }

    pub fn body(&self) -> Value {
        let status = self.status();
        let mut body = json!({
            "type": format!("https://fundledger.example/problems/{}", self.code.replace('_', "-")),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let Value::Object(map) = &mut body {
            map.extend(self.extra.clone());
        }
        body
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status()).content_type("application/problem+json").json(self.body())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::not_found("object"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(constraint = ?info.constraint_name(), "unique violation");
                AppError::new("already_exists", "an object with the same unique field already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::field("reference", "refers to an object that does not exist")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::new("service_unavailable", "the database was busy; retry the request").with("retryable", true)
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
                AppError::new("service_unavailable", "the database was busy; retry the request").with("retryable", true)
            }
            other => AppError::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> AppError {
        tracing::warn!(error = %e, "database pool exhausted");
        AppError::new("service_unavailable", "the database is busy; retry shortly").with("retryable", true)
    }
}

impl From<AmountError> for AppError {
    fn from(e: AmountError) -> AppError {
        AppError::new("invalid_amount", e.to_string())
    }
}

impl From<LedgerError> for AppError {
    fn from(e: LedgerError) -> AppError {
        let detail = e.to_string();
        match e {
            LedgerError::LineCount(_) | LedgerError::LineSides(_) | LedgerError::NotAnExpense(_) => AppError::new("invalid_line", detail),
            LedgerError::Unbalanced { debit, credit } => {
                AppError::new("unbalanced_voucher", detail).with("debit_total", debit.to_string()).with("credit_total", credit.to_string())
            }
            LedgerError::UnknownAccount(code) => AppError::new("unknown_account", detail).with("account", code),
            LedgerError::InsufficientFunds { available, requested } => AppError::new("insufficient_funds", detail)
                .with("available", available.to_string())
                .with("requested", requested.to_string()),
            LedgerError::GrantExceeded(_) => AppError::new("grant_exceeded", detail),
            LedgerError::ExceedsOwed { owed, .. } => AppError::new("exceeds_owed", detail).with("owed", owed.to_string()),
            LedgerError::NegativeBalance { code, .. } => AppError::new("negative_balance", detail).with("account", code),
            LedgerError::Overflow => AppError::new("invalid_amount", detail),
        }
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

    /// Every code the source raises: the string right after `AppError::new(` or `::conflict(`.
    fn raised_codes() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for call in ["AppError::new(", "AppError::conflict("] {
                    for (at, _) in text.match_indices(call) {
                        let rest = text[at + call.len()..].trim_start();
                        let code = rest.strip_prefix('"').and_then(|r| r.split('"').next()).unwrap_or_default();
                        if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                            out.push((code.to_string(), path.display().to_string()));
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
        out
    }

    /// A code missing from the table would reach clients as a 500.
    #[test]
    fn every_raised_code_has_its_status() {
        let codes = raised_codes();
        assert!(codes.len() > 40, "the scan found the codes: {codes:?}");
        for (code, file) in codes {
            if code != "internal_error" {
                assert_ne!(status_of(&code), StatusCode::INTERNAL_SERVER_ERROR, "{code} (raised in {file}) is not in status_of");
            }
        }
    }
}
