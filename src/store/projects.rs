//! Project registration and lifecycle.
// Re-exported for the console pages, which name it here.
pub use super::rows::{ProjectFigures, ProjectRow};
use super::{audit, ledger, new_id, now};
use crate::db::schema::{accounts, projects};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::chart::{self, AccountDef};
use crate::domain::eligibility::Leader;
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::ledger::Line;
use crate::domain::money::Money;
use crate::domain::status::{ProjectStatus, VoucherStatus};
use crate::error::{AppError, AppResult, Code};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::{json, Value};

pub struct NewProject {
    pub kind: ProjectKind,
    pub name: String,
    pub org_id: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub fund_source: String,
    pub specialties: Vec<String>,
    pub leader: Option<Leader>,
    pub grant: Money,
    pub chart: Vec<AccountDef>,
}

pub fn register(conn: &mut DbConn, actor: &Actor, p: NewProject) -> AppResult<String> {
    let id = new_id();
    super::unit::write(conn, |conn| {
        diesel::insert_into(projects::table)
            .values((
                projects::id.eq(&id),
                projects::kind.eq(p.kind.as_str()),
                projects::name.eq(&p.name),
                projects::org_id.eq(&p.org_id),
                projects::start_date.eq(p.start_date.to_string()),
                projects::end_date.eq(p.end_date.to_string()),
                projects::fund_source.eq(&p.fund_source),
                projects::specialties.eq(serde_json::to_string(&p.specialties).unwrap_or_default()),
                projects::leader.eq(p.leader.as_ref().map(|l| json!(l).to_string())),
                projects::grant_fen.eq(p.grant.fen()),
                projects::status.eq(ProjectStatus::Active.as_str()),
                projects::next_voucher_no.eq(1i64),
                projects::reserved_bank_fen.eq(0i64),
                projects::reserved_expense_fen.eq(0i64),
                projects::version.eq(0i64),
                projects::created_at.eq(now()),
            ))
            .execute(conn)
            .map_err(|e| match AppError::from(e) {
                e if e.code == Code::ValidationFailed => AppError::field("org_id", "no such organisation"),
                e => e,
            })?;
        let rows: Vec<_> = p
            .chart
            .iter()
            .map(|a| {
                (
                    accounts::project_id.eq(&id),
                    accounts::code.eq(&a.code),
                    accounts::name.eq(&a.name),
                    accounts::side.eq(a.side.as_str()),
                    accounts::category.eq(a.category.as_deref()),
                    accounts::debit_fen.eq(0i64),
                    accounts::credit_fen.eq(0i64),
                )
            })
            .collect();
        for row in rows {
            diesel::insert_into(accounts::table).values(row).execute(conn)?;
        }
        audit::create_chain(conn, &id)?;
        let data = json!({
            "kind": p.kind.as_str(), "name": p.name, "org_id": p.org_id, "start_date": p.start_date,
            "end_date": p.end_date, "grant": p.grant.to_string(), "fund_source": p.fund_source,
            "specialties": p.specialties, "leader": p.leader,
        });
        audit::append(conn, &id, actor, "project.registered", &format!("project/{id}"), data)?;
        let mut locked = ledger::lock(conn, &id)?;
        let lines = [Line::debit(chart::GRANT_RECEIVABLE, p.grant), Line::credit(chart::GRANT_FUND, p.grant)];
        let posting = ledger::Posting {
            kind: VoucherKind::Allocation,
            date: p.start_date,
            summary: "项目补助资金下达".into(),
            attachments: 0,
            reference: None,
            reverses: None,
            lines: lines.iter().map(|l| ledger::PostLine::plain(l.clone(), "项目补助资金下达")).collect(),
        };
        ledger::post(conn, &mut locked, actor, &posting)?;
        ledger::save(conn, &locked)?;
        Ok(())
    })?;
    Ok(id)
}

pub fn get(conn: &mut DbConn, id: &str) -> AppResult<ProjectRow> {
    projects::table.find(id).first(conn).optional()?.ok_or_else(|| AppError::not_found("project"))
}

#[derive(Debug, Default)]
pub struct ListFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub org_ids: Option<Vec<String>>,
    pub after: String,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, f: &ListFilter) -> AppResult<Vec<ProjectRow>> {
    Ok(filtered(f).order(projects::id).limit(f.limit).load(conn)?)
}

/// The figures of every project the filter lists, in no particular order: what the portfolio
/// orders (itself, by its sort key and id) and adds up 10,000 projects by, reading none of their
/// texts. Unordered and without a bound on the id, SQLite reads the table straight through rather
/// than walking the id index and looking up each row.
pub fn figures(conn: &mut DbConn, f: &ListFilter) -> AppResult<Vec<ProjectFigures>> {
    Ok(filtered(f).limit(f.limit).select(ProjectFigures::as_select()).load(conn)?)
}

/// The rows of the listed projects (a page's), in the order listed.
pub fn rows_of(conn: &mut DbConn, ids: &[&str]) -> AppResult<Vec<ProjectRow>> {
    let mut found: std::collections::HashMap<String, ProjectRow> = std::collections::HashMap::with_capacity(ids.len());
    // In parts: SQLite takes at most 32,766 bound values in one statement.
    for part in ids.chunks(1000) {
        let rows: Vec<ProjectRow> = projects::table.filter(projects::id.eq_any(part)).load(conn)?;
        found.extend(rows.into_iter().map(|r| (r.id.clone(), r)));
    }
    ids.iter().map(|id| found.remove(*id).ok_or_else(|| AppError::internal(format!("project {id} was listed but not read")))).collect()
}

pub(super) fn filtered(f: &ListFilter) -> projects::BoxedQuery<'_, <DbConn as Connection>::Backend> {
    let mut q = projects::table.into_boxed();
    if !f.after.is_empty() {
        q = q.filter(projects::id.gt(&f.after));
    }
    if let Some(k) = &f.kind {
        q = q.filter(projects::kind.eq(k.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(projects::status.eq(s.clone()));
    }
    if let Some(orgs) = &f.org_ids {
        q = q.filter(projects::org_id.eq_any(orgs.clone()));
    }
    q
}

pub fn chart_of(conn: &mut DbConn, project_id: &str) -> AppResult<Vec<AccountDef>> {
    Ok(super::statements::current(conn, Some(project_id))?.remove(project_id).map(|(chart, _)| chart).unwrap_or_default())
}

/// Writes a project's new status and records the change on its chain. The caller holds the
/// project's lock and has checked that the change is allowed.
pub fn set_status(conn: &mut DbConn, actor: &Actor, row: &mut ProjectRow, to: ProjectStatus, reason: &str) -> AppResult<()> {
    let (id, from) = (&row.id, row.status);
    diesel::update(projects::table.find(id)).set(projects::status.eq(to.as_str())).execute(conn)?;
    let data = json!({"from": from, "to": to, "reason": reason});
    audit::append(conn, id, actor, "project.status_changed", &format!("project/{id}"), data)?;
    row.status = to;
    Ok(())
}

pub fn replace_leader(conn: &mut DbConn, actor: &Actor, id: &str, leader: &Leader, reason: &str) -> AppResult<()> {
    super::unit::write(conn, |conn| {
        let locked = ledger::lock(conn, id)?;
        if locked.row.kind() != ProjectKind::Studio {
            return Err(AppError::conflict(Code::InvalidTransition, "only a studio has a leader"));
        }
        if !locked.row.status.is_underway() {
            return Err(AppError::conflict(Code::ProjectNotActive, format!("the project is {}", locked.row.status)));
        }
        let old: Value = locked.row.leader.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null);
        diesel::update(projects::table.find(id)).set(projects::leader.eq(json!(leader).to_string())).execute(conn)?;
        audit::append(
            conn,
            id,
            actor,
            "project.leader_replaced",
            &format!("project/{id}"),
            json!({"from": old, "to": leader, "reason": reason}),
        )?;
        Ok(())
    })
}

pub fn rename(conn: &mut DbConn, actor: &Actor, id: &str, name: &str, reason: &str) -> AppResult<()> {
    super::unit::write(conn, |conn| {
        let locked = ledger::lock(conn, id)?;
        diesel::update(projects::table.find(id)).set(projects::name.eq(name)).execute(conn)?;
        audit::append(
            conn,
            id,
            actor,
            "project.renamed",
            &format!("project/{id}"),
            json!({"from": locked.row.name, "to": name, "reason": reason}),
        )?;
        Ok(())
    })
}

/// Vouchers of a project still waiting for a review decision.
pub fn pending_reviews(conn: &mut DbConn, project_id: &str) -> AppResult<i64> {
    use crate::db::schema::vouchers;
    Ok(vouchers::table
        .filter(vouchers::project_id.eq(project_id))
        .filter(vouchers::status.eq(VoucherStatus::PendingReview.as_str()))
        .count()
        .get_result(conn)?)
}

/// Closes a project after recovery; the caller holds its lock.
pub fn close(conn: &mut DbConn, actor: &Actor, row: &mut ProjectRow, data: Value) -> AppResult<()> {
    let (id, to) = (&row.id, ProjectStatus::Closed);
    diesel::update(projects::table.find(id)).set(projects::status.eq(to.as_str())).execute(conn)?;
    let mut data = data;
    data["from"] = json!(row.status);
    data["to"] = json!(to);
    audit::append(conn, id, actor, "project.closed", &format!("project/{id}"), data)?;
    row.status = to;
    Ok(())
}
