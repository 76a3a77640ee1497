//! Output acceptance (项目产出验收): HR records what the panel checked and concluded; the record
//! freezes the final accounts and the chain's head, and moves the project to `completed` or
//! `acceptance_failed` in the same transaction.
use crate::db::DbConn;
use crate::domain::acceptance::{self, ChecklistItem, Conclusion, FinalAccounts, PanelMember, YearCheck, YearFigures};
use crate::domain::audit::Actor;
use crate::domain::checkpoint::Notary;
use crate::domain::eligibility::FieldError;
use crate::domain::statement::Figures;
use crate::error::{AppError, AppResult, Code};
use crate::store::acceptances::{self, NewAcceptance};
use crate::store::ledger::Locked;
use crate::store::rows::AcceptanceRow;
use crate::store::{audit, projects, reports, tree};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// An acceptance as HR records it, its fields already of the right shape.
pub struct Accept {
    pub date: NaiveDate,
    pub panel: Vec<PanelMember>,
    pub trained_total: BTreeMap<String, i32>,
    pub trained_advanced: BTreeMap<String, i32>,
    pub checklist: Vec<ChecklistItem>,
    pub conclusion: Conclusion,
    pub override_reason: Option<String>,
    pub note: String,
}

/// What a record holds besides its row's own fields (id, seq, supersedes, who and when).
#[derive(Serialize)]
struct Record<'a> {
    project_kind: &'a str,
    date: NaiveDate,
    panel: &'a [PanelMember],
    outputs: Outputs<'a>,
    checklist: &'a [ChecklistItem],
    conclusion: Conclusion,
    override_reason: Option<&'a str>,
    note: &'a str,
    targets_met: &'a [YearCheck],
    final_accounts: FinalAccounts,
}

#[derive(Serialize)]
struct Outputs<'a> {
    trained_total: &'a BTreeMap<String, i32>,
    trained_advanced: &'a BTreeMap<String, i32>,
}

/// Records an acceptance of the locked project, `today` being Chifeng's date.
pub fn accept(
    conn: &mut DbConn,
    l: &mut Locked,
    actor: &Actor,
    notary: &Notary,
    cmd: Accept,
    today: NaiveDate,
) -> AppResult<AcceptanceRow> {
    let p = l.row.clone();
    if !p.status.may_be_accepted() {
        return Err(AppError::conflict(Code::InvalidTransition, format!("a {} project has no output acceptance", p.status))
            .with("from", p.status.as_str()));
    }
    if cmd.date > today {
        return Err(AppError::field("date", format!("{} is after today ({today}): record an acceptance once it was held", cmd.date)));
    }
    let earliest = acceptance::earliest_date(p.end_date);
    if cmd.date < earliest {
        return Err(AppError::conflict(
            Code::TooEarly,
            format!(
                "the acceptance may be held from {earliest}, {} days before the period ends on {}",
                acceptance::WINDOW_DAYS,
                p.end_date
            ),
        )
        .with("earliest_date", earliest.to_string()));
    }
    let measured =
        acceptance::parse_outputs(&cmd.trained_total, &cmd.trained_advanced, p.start_date, p.end_date).map_err(AppError::validation)?;
    let reported: BTreeMap<i32, YearFigures> =
        reports::list(conn, &p.id)?.into_iter().map(|r| (r.year, (r.trained_total, r.trained_advanced))).collect();
    let checks = acceptance::check_targets(p.kind, p.start_date, p.end_date, cmd.date, &measured, &reported);
    let missed = acceptance::missed(&checks);
    if cmd.conclusion.is_pass() && !missed.is_empty() && cmd.override_reason.is_none() {
        let names: Vec<String> = missed.iter().map(|m| format!("{} {}", m.year, m.target)).collect();
        return Err(AppError::new(
            Code::TargetsNotMet,
            format!("targets not met: {}; a passing conclusion needs an override_reason", names.join(", ")),
        )
        .with("targets", serde_json::to_value(&missed).map_err(AppError::internal)?));
    }
    let statement = Figures { grant: p.grant(), chart: &l.chart, totals: &l.book.totals, reserved: l.book.reserved }.statement(
        p.start_date,
        p.end_date,
        cmd.date,
    );
    let (size, head) = audit::head(conn, &p.id)?;
    let t = tree::of(conn, &p.id)?;
    if t.size() as i64 != size {
        return Err(AppError::internal(format!("the tree of chain {} covers {} of {size} events", p.id, t.size())));
    }
    let checkpoint = notary.sign(&p.id, t.size(), t.root());
    let record = Record {
        project_kind: p.kind.as_str(),
        date: cmd.date,
        panel: &cmd.panel,
        outputs: Outputs { trained_total: &cmd.trained_total, trained_advanced: &cmd.trained_advanced },
        checklist: &cmd.checklist,
        conclusion: cmd.conclusion,
        override_reason: cmd.override_reason.as_deref(),
        note: &cmd.note,
        targets_met: &checks,
        final_accounts: FinalAccounts::of(&statement, head, t.size(), checkpoint),
    };
    let record = serde_json::to_value(&record).map_err(AppError::internal)?;
    let new =
        NewAcceptance { project_id: p.id.clone(), date: cmd.date.to_string(), conclusion: cmd.conclusion.as_str().to_string(), record };
    let row = acceptances::append(conn, actor, new)?;
    let to = cmd.conclusion.status_after();
    if l.row.status != to {
        let reason = format!("output acceptance {}: {}", row.id, cmd.conclusion.as_str());
        projects::set_status(conn, actor, &mut l.row, to, &reason)?;
    }
    Ok(row)
}

/// The panel and checklist as given: names, titles and items are not blank.
pub fn check_people_and_items(panel: &[PanelMember], checklist: &[ChecklistItem]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if panel.is_empty() {
        errors.push(FieldError::new("panel", "name at least one expert of the panel"));
    }
    for (i, m) in panel.iter().enumerate() {
        if m.name.trim().is_empty() || m.name.chars().count() > 100 {
            errors.push(FieldError::new(&format!("panel[{i}].name"), "1 to 100 characters"));
        }
        if m.title.trim().is_empty() || m.title.chars().count() > 200 {
            errors.push(FieldError::new(&format!("panel[{i}].title"), "1 to 200 characters"));
        }
    }
    if checklist.is_empty() {
        errors.push(FieldError::new("checklist", "list the qualitative items checked, each met or not"));
    }
    for (i, c) in checklist.iter().enumerate() {
        if c.item.trim().is_empty() || c.item.chars().count() > 200 {
            errors.push(FieldError::new(&format!("checklist[{i}].item"), "1 to 200 characters"));
        }
        if c.remark.chars().count() > 2000 {
            errors.push(FieldError::new(&format!("checklist[{i}].remark"), "at most 2000 characters"));
        }
    }
    errors
}
