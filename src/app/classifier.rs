//! Training the learned second opinion: on the corpus built into the binary and on every review
//! decision in the store (an approved line is an allowed example, a declined held line a suspect
//! one), then putting it in force for every classification that follows and recording it.
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::classify::{Classification, Rules, Verdict};
use crate::domain::corpus;
use crate::domain::model::{self, Example, Model};
use crate::error::{AppError, AppResult};
use crate::store::{self, classifier::ModelRow};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A model put in force, as `POST /classifier/retrain` answers.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trained {
    /// `nb1-` and the start of the SHA-256 of the training set: the same examples, the same version.
    #[schema(example = "nb1-3f9c0a1b22de")]
    pub model_version: String,
    /// The rule file in force (`r-` and the start of its SHA-256).
    #[schema(example = "r-8d41e07c5a90")]
    pub rules_version: String,
    /// The corpus trained on (`c-` and the start of its SHA-256).
    pub corpus_version: String,
    pub corpus_examples: usize,
    /// Lines of decided vouchers learned from: approved lines, and the held lines of declined ones.
    pub approved_examples: usize,
    pub declined_examples: usize,
    /// The score from which an allowed line is sent to review.
    pub threshold: f64,
    pub trained_at: String,
}

/// How often a process checks for a model recorded by another.
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Deserialize)]
struct Outcome {
    outcome: String,
}

/// The bureau's decisions as training examples: every judged line of an approved voucher is
/// allowed; of a declined voucher, the lines that were held (its allowed lines were not what the
/// bureau refused), each counting `DECISION_WEIGHT` times. Also the ids of the vouchers used.
fn decision_examples(rules: &Rules, rows: &[store::classifier::Decided]) -> (Vec<Example>, Vec<String>) {
    let mut examples = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for r in rows {
        let Ok(d) = serde_json::from_str::<Outcome>(&r.decision) else { continue };
        let held = serde_json::from_str::<Classification>(&r.classification).map(|c| c.verdict == Verdict::Review).unwrap_or(false);
        let suspect = match d.outcome.as_str() {
            "approved" => false,
            "declined" if held => true,
            _ => continue,
        };
        let category = rules.find_category(&r.account_code).map_or_else(|| r.account_code.clone(), |c| c.slug.clone());
        // The text as the classifier read it (`classify_voucher`): the voucher's summary, then the line's.
        let text = format!("{} {}", r.voucher_summary.trim(), r.line_summary.trim()).trim().to_string();
        examples.push(Example { category, text, suspect, weight: model::DECISION_WEIGHT });
        if ids.last() != Some(&r.voucher_id) {
            ids.push(r.voucher_id.clone());
        }
    }
    (examples, ids)
}

/// Puts in force the model recorded last, when it is not the one in force here: another
/// process on the same database retrained, or started later with more decisions. The model is
/// rebuilt from what its record names (the corpus built in, the decisions of the vouchers it
/// lists; decisions never change), so it is exactly the recorded one; a record this binary cannot
/// reproduce (another corpus or rules) is left alone. Answers whether the model changed.
pub fn adopt_latest(conn: &mut DbConn, rules: &Rules) -> AppResult<bool> {
    let Some(row) = store::classifier::latest(conn)? else { return Ok(false) };
    if rules.model().is_some_and(|m| m.version() == row.version) {
        return Ok(false);
    }
    let ids: std::collections::HashSet<String> = serde_json::from_str(&row.decided_vouchers).map_err(AppError::internal)?;
    let lines = corpus::parse(corpus::BUILT_IN).map_err(AppError::internal)?;
    let mut examples = corpus::examples(rules, &lines);
    let decided: Vec<_> = store::classifier::decisions(conn)?.into_iter().filter(|d| ids.contains(&d.voucher_id)).collect();
    examples.extend(decision_examples(rules, &decided).0);
    let m = Model::train(&examples);
    if m.version() != row.version {
        tracing::warn!(recorded = %row.version, rebuilt = %m.version(), "the classifier model recorded last cannot be rebuilt by this binary; keeping the one in force");
        return Ok(false);
    }
    rules.set_model(Arc::new(m));
    Ok(true)
}

/// Every process follows the model recorded last: a retrain in one reaches the others within
/// `every`. Stops when the service's rules are dropped.
pub fn follow(pool: crate::db::DbPool, rules: std::sync::Weak<Rules>, every: std::time::Duration) {
    let spawned = std::thread::Builder::new().name("fundledger-classifier".into()).spawn(move || loop {
        std::thread::sleep(every);
        let Some(rules) = rules.upgrade() else { return };
        let Ok(mut conn) = pool.get() else { continue };
        match adopt_latest(&mut conn, &rules) {
            Ok(true) => {
                tracing::info!(model = ?rules.model().map(|m| m.version().to_string()), "classifier model adopted from the database")
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e.detail, "checking the classifier model in force"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "the classifier follower did not start");
    }
}

/// Trains a model on the corpus and every decision so far, records it and puts it in force. A
/// retrain someone asked for (`by`) is an event `classifier.retrained` on the global audit trail,
/// in the transaction that records the model; the one at start is recorded only.
pub fn retrain(conn: &mut DbConn, rules: &Rules, by: Option<&Actor>) -> AppResult<Trained> {
    let lines = corpus::parse(corpus::BUILT_IN).map_err(AppError::internal)?;
    let mut examples = corpus::examples(rules, &lines);
    let (decided, ids) = decision_examples(rules, &store::classifier::decisions(conn)?);
    let declined = decided.iter().filter(|e| e.suspect).count();
    let approved = decided.len() - declined;
    examples.extend(decided);
    let m = Model::train(&examples);
    let t = Trained {
        model_version: m.version().to_string(),
        rules_version: rules.version().to_string(),
        corpus_version: model::digest("c-", corpus::BUILT_IN.as_bytes()),
        corpus_examples: lines.len(),
        approved_examples: approved,
        declined_examples: declined,
        threshold: model::THRESHOLD,
        trained_at: store::now(),
    };
    let row = ModelRow {
        version: t.model_version.clone(),
        rules_version: t.rules_version.clone(),
        corpus_version: t.corpus_version.clone(),
        corpus_examples: i32::try_from(t.corpus_examples).unwrap_or(i32::MAX),
        decision_examples: i32::try_from(approved + declined).unwrap_or(i32::MAX),
        decided_vouchers: serde_json::to_string(&ids).map_err(AppError::internal)?,
        threshold: format!("{:.2}", t.threshold),
        trained_at: t.trained_at.clone(),
    };
    store::unit::write(conn, |conn| {
        store::classifier::record(conn, &row)?;
        if let Some(actor) = by {
            // Integers and strings only: the event's hash is re-checked by other tools (RFC 8785).
            let data = serde_json::json!({"model_version": t.model_version, "rules_version": t.rules_version,
                "corpus_version": t.corpus_version, "approved_examples": t.approved_examples,
                "declined_examples": t.declined_examples, "threshold": format!("{:.2}", t.threshold)});
            store::audit::append(
                conn,
                store::audit::GLOBAL,
                actor,
                "classifier.retrained",
                &format!("classifier/{}", t.model_version),
                data,
            )?;
        }
        Ok(())
    })?;
    rules.set_model(Arc::new(m));
    Ok(t)
}
