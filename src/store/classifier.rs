//! What the learned second opinion reads and writes: the finance bureau's review decisions, and
//! the record of each model put in force (`classifier_models`, append-only).
use crate::db::DbConn;
use crate::error::AppResult;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

/// One judged line of a voucher the bureau decided, as the classifier read it.
#[derive(QueryableByName, Debug, Clone)]
pub struct Decided {
    #[diesel(sql_type = Text)]
    pub voucher_id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub account_code: String,
    #[diesel(sql_type = Text)]
    pub voucher_summary: String,
    #[diesel(sql_type = Text)]
    pub line_summary: String,
    /// The line's classification when it was held (JSON).
    #[diesel(sql_type = Text)]
    pub classification: String,
    /// The decision (JSON: `outcome` approved or declined, by whom, when, why).
    #[diesel(sql_type = Text)]
    pub decision: String,
}

/// Every judged debit line of every voucher a review decided, in a fixed order.
pub fn decisions(conn: &mut DbConn) -> AppResult<Vec<Decided>> {
    let rows = diesel::sql_query(
        "SELECT v.id AS voucher_id, p.kind AS kind, l.account_code AS account_code, v.summary AS voucher_summary,
                l.summary AS line_summary, l.classification AS classification, v.decision AS decision
           FROM vouchers v
           JOIN voucher_lines l ON l.voucher_id = v.id
           JOIN projects p ON p.id = v.project_id
          WHERE v.decision IS NOT NULL AND l.debit_fen > 0 AND l.classification IS NOT NULL
          ORDER BY v.id, l.line_no",
    )
    .load(conn)?;
    Ok(rows)
}

/// A model as recorded (see the migration `classifier_models`).
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct ModelRow {
    #[diesel(sql_type = Text)]
    pub version: String,
    #[diesel(sql_type = Text)]
    pub rules_version: String,
    #[diesel(sql_type = Text)]
    pub corpus_version: String,
    #[diesel(sql_type = Integer)]
    pub corpus_examples: i32,
    #[diesel(sql_type = Integer)]
    pub decision_examples: i32,
    /// JSON array of voucher ids.
    #[diesel(sql_type = Text)]
    pub decided_vouchers: String,
    #[diesel(sql_type = Text)]
    pub threshold: String,
    #[diesel(sql_type = Text)]
    pub trained_at: String,
}

/// Records a model; one already recorded under its version (the same training set, so the same
/// model) is kept as it was first recorded.
pub fn record(conn: &mut DbConn, m: &ModelRow) -> AppResult<()> {
    let values = params(conn, 8);
    diesel::sql_query(format!(
        "INSERT INTO classifier_models (version, rules_version, corpus_version, corpus_examples, decision_examples,
                decided_vouchers, threshold, trained_at)
         VALUES ({values}) ON CONFLICT (version) DO NOTHING"
    ))
    .bind::<Text, _>(&m.version)
    .bind::<Text, _>(&m.rules_version)
    .bind::<Text, _>(&m.corpus_version)
    .bind::<Integer, _>(m.corpus_examples)
    .bind::<Integer, _>(m.decision_examples)
    .bind::<Text, _>(&m.decided_vouchers)
    .bind::<Text, _>(&m.threshold)
    .bind::<Text, _>(&m.trained_at)
    .execute(conn)?;
    Ok(())
}

/// The model recorded under `version`.
pub fn find(conn: &mut DbConn, version: &str) -> AppResult<Option<ModelRow>> {
    let rows: Vec<ModelRow> = diesel::sql_query(format!("SELECT * FROM classifier_models WHERE version = {}", params(conn, 1)))
        .bind::<Text, _>(version)
        .load(conn)?;
    Ok(rows.into_iter().next())
}

/// The model recorded last (the one in force for every process on this database).
pub fn latest(conn: &mut DbConn) -> AppResult<Option<ModelRow>> {
    let rows: Vec<ModelRow> =
        diesel::sql_query("SELECT * FROM classifier_models ORDER BY trained_at DESC, version DESC LIMIT 1").load(conn)?;
    Ok(rows.into_iter().next())
}

/// `n` bind parameters as the backend writes them.
fn params(conn: &DbConn, n: usize) -> String {
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    (1..=n).map(|i| if sqlite { "?".to_string() } else { format!("${i}") }).collect::<Vec<_>>().join(", ")
}
