//! Vouchers and their lines as stored, and the reads of them. A page of vouchers is read in two
//! queries whatever its length: the vouchers, then all their lines at once.
use super::rows::{LineRow, Stored, VoucherRow};
use crate::db::schema::{projects, voucher_lines, vouchers};
use crate::db::DbConn;
use crate::domain::kind::VoucherKind;
use crate::domain::status::VoucherStatus;
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use diesel::prelude::*;
use std::collections::HashMap;

pub fn voucher(conn: &mut DbConn, project_id: &str, id: &str) -> AppResult<VoucherRow> {
    vouchers::table
        .filter(vouchers::id.eq(id))
        .filter(vouchers::project_id.eq(project_id))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("voucher"))
}

pub fn lines_of(conn: &mut DbConn, voucher_id: &str) -> AppResult<Vec<LineRow>> {
    Ok(voucher_lines::table.filter(voucher_lines::voucher_id.eq(voucher_id)).order(voucher_lines::line_no).load(conn)?)
}

/// A project's voucher with its lines.
pub fn stored(conn: &mut DbConn, project_id: &str, id: &str) -> AppResult<Stored> {
    let voucher = voucher(conn, project_id, id)?;
    let lines = lines_of(conn, id)?;
    Ok(Stored { voucher, lines })
}

/// Vouchers with their lines, read in one query for all of them; in the order given.
pub fn with_lines(conn: &mut DbConn, vouchers: Vec<VoucherRow>) -> AppResult<Vec<Stored>> {
    if vouchers.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = vouchers.iter().map(|v| v.id.as_str()).collect();
    let rows: Vec<LineRow> = voucher_lines::table
        .filter(voucher_lines::voucher_id.eq_any(&ids))
        .order((voucher_lines::voucher_id, voucher_lines::line_no))
        .load(conn)?;
    let mut by_voucher: HashMap<String, Vec<LineRow>> = HashMap::with_capacity(vouchers.len());
    for row in rows {
        by_voucher.entry(row.voucher_id.clone()).or_default().push(row);
    }
    Ok(vouchers
        .into_iter()
        .map(|voucher| {
            let lines = by_voucher.remove(&voucher.id).unwrap_or_default();
            Stored { voucher, lines }
        })
        .collect())
}

/// Which of a project's vouchers a page lists (API.md: `GET /projects/{id}/vouchers`).
#[derive(Debug, Default)]
pub struct VoucherFilter {
    pub status: Option<VoucherStatus>,
    pub kind: Option<VoucherKind>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Vouchers with a line on this account code.
    pub account: Option<String>,
    /// The page starts after this voucher id.
    pub after: String,
    pub limit: i64,
}

/// A page of a project's vouchers in id order, with their lines.
pub fn list(conn: &mut DbConn, project_id: &str, f: &VoucherFilter) -> AppResult<Vec<Stored>> {
    let mut query = vouchers::table.filter(vouchers::project_id.eq(project_id)).filter(vouchers::id.gt(&f.after)).into_boxed();
    if let Some(s) = f.status {
        query = query.filter(vouchers::status.eq(s.as_str()));
    }
    if let Some(k) = f.kind {
        query = query.filter(vouchers::kind.eq(k.as_str()));
    }
    if let Some(from) = f.from {
        query = query.filter(vouchers::date.ge(from.to_string()));
    }
    if let Some(to) = f.to {
        query = query.filter(vouchers::date.le(to.to_string()));
    }
    if let Some(a) = &f.account {
        let with_account = voucher_lines::table
            .filter(voucher_lines::project_id.eq(project_id))
            .filter(voucher_lines::account_code.eq(a))
            .select(voucher_lines::voucher_id);
        query = query.filter(vouchers::id.eq_any(with_account));
    }
    let page: Vec<VoucherRow> = query.order(vouchers::id).limit(f.limit).load(conn)?;
    with_lines(conn, page)
}

/// An organisation's most used voucher summaries (常用摘要), most used first: what its clerks pick
/// from instead of typing the same words again.
pub fn common_summaries(conn: &mut DbConn, org_id: &str, limit: i64) -> AppResult<Vec<String>> {
    use diesel::dsl::count_star;
    let rows: Vec<(String, i64)> = vouchers::table
        .inner_join(projects::table)
        .filter(projects::org_id.eq(org_id))
        .filter(vouchers::kind.eq(VoucherKind::Expense.as_str()))
        .filter(vouchers::summary.ne(""))
        .group_by(vouchers::summary)
        .select((vouchers::summary, count_star()))
        .order((count_star().desc(), vouchers::summary))
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, _)| s).collect())
}

/// A page of the review queue across projects (vouchers of one status, in id order), each with
/// its lines and its project's name.
pub fn across_projects(conn: &mut DbConn, status: VoucherStatus, after: &str, limit: i64) -> AppResult<Vec<(Stored, String)>> {
    let page: Vec<(VoucherRow, String)> = vouchers::table
        .inner_join(projects::table)
        .filter(vouchers::status.eq(status.as_str()))
        .filter(vouchers::id.gt(after))
        .order(vouchers::id)
        .limit(limit)
        .select((vouchers::all_columns, projects::name))
        .load(conn)?;
    let (page, names): (Vec<VoucherRow>, Vec<String>) = page.into_iter().unzip();
    Ok(with_lines(conn, page)?.into_iter().zip(names).collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::db::{self, Target};
    use crate::domain::chart;
    use crate::domain::classify::Rules;
    use crate::domain::kind::VoucherKind;
    use crate::domain::ledger::Line;
    use crate::domain::money::Money;
    use crate::store::ledger::{self, PostLine, Posting};
    use crate::store::{people, projects, system_actor};
    use diesel::connection::{Connection, InstrumentationEvent};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A project with `n` disbursements besides its allocation, each voucher two lines.
    pub(crate) fn project_with_vouchers(conn: &mut DbConn, n: usize) -> String {
        let actor = system_actor();
        let org = people::create_org(conn, &actor, &format!("学校{n}"), "school", "红山区").unwrap();
        let rules = Rules::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config/classification.toml"))).unwrap();
        let start = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let new = projects::NewProject {
            kind: crate::domain::kind::ProjectKind::Base,
            name: "基地".into(),
            org_id: org.id,
            start_date: start,
            end_date: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
            fund_source: "demonstration_matching".into(),
            specialties: vec!["数控加工".into(), "焊接".into(), "工业机器人".into()],
            leader: None,
            grant: Money::from_yuan(500_000),
            chart: chart::accounts_for(crate::domain::kind::ProjectKind::Base, &rules),
        };
        let id = projects::register(conn, &actor, new).unwrap();
        let mut l = ledger::lock(conn, &id).unwrap();
        for _ in 0..n {
            // Small enough that a million lines stay within the grant.
            let amount = Money::from_fen(50);
            let p = Posting {
                kind: VoucherKind::Disbursement,
                date: start,
                summary: "拨付".into(),
                attachments: 0,
                reference: None,
                reverses: None,
                lines: vec![
                    PostLine::plain(Line::debit(chart::BANK, amount), "收到"),
                    PostLine::plain(Line::credit(chart::GRANT_RECEIVABLE, amount), "减少"),
                ],
            };
            ledger::post(conn, &mut l, &actor, &p).unwrap();
        }
        ledger::save(conn, &l).unwrap();
        id
    }

    /// Runs `f`, counting the queries it sends.
    fn queries<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> T) -> (usize, T) {
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        conn.set_instrumentation(move |e: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = e {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let out = f(conn);
        conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
        (count.load(Ordering::Relaxed), out)
    }

    #[test]
    fn a_page_of_vouchers_is_two_queries_however_long() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::connect(&Target::Sqlite(dir.path().join("t.db").display().to_string()), 2, 5_000).unwrap();
        let mut conn = pool.get().unwrap();
        let (few, many) = (project_with_vouchers(&mut conn, 1), project_with_vouchers(&mut conn, 12));
        for (project, vouchers) in [(&few, 2), (&many, 13)] {
            let filter = VoucherFilter { limit: 500, ..Default::default() };
            let (n, page) = queries(&mut conn, |c| list(c, project, &filter).unwrap());
            assert_eq!((n, page.len()), (2, vouchers));
            assert!(page.iter().all(|s| s.lines.len() == 2 && s.lines.iter().all(|l| l.voucher_id == s.voucher.id)));
            assert!(page.windows(2).all(|w| w[0].voucher.id < w[1].voucher.id));
        }
        let (n, queue) = queries(&mut conn, |c| across_projects(c, VoucherStatus::Posted, "", 500).unwrap());
        assert_eq!((n, queue.len()), (2, 15));
        assert!(queue.iter().all(|(s, name)| s.lines.len() == 2 && name == "基地"));
    }
}
