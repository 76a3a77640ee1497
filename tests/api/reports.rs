//! Annual reports (POLICY.md §8.3): filed by the unit once a year, read by the bureaus and
//! inspectors with the plan's output targets checked, recorded on the audit chain.

use crate::common::{items, on_each_backend};
use chrono::Datelike;
use serde_json::json;

fn report(year: i32, total: i32, advanced: i32) -> serde_json::Value {
    json!({"year": year, "summary": "开展数控、焊接、工业机器人培训，建成实训教学体系", "next_year_plan": "扩大社会培训规模",
           "trained_total": total, "trained_advanced": advanced})
}

#[test]
fn units_file_yearly_reports_checked_against_the_targets() {
    on_each_backend(|w| {
        let base = w.base_project("2025-03-01");
        let path = format!("/projects/{base}/annual-reports");
        let r = w.post(&w.unit, &path, report(2025, 180, 40));
        assert_eq!(r.status, 201, "{r:?}");
        assert!(r.body["targets"].is_null(), "a base's first year is judged by its training system: {r:?}");
        let r = w.post(&w.unit, &path, report(2026, 520, 110));
        assert_eq!((r.body["targets"]["trained_total"].as_i64(), r.body["meets_targets"].as_bool()), (Some(500), Some(true)), "{r:?}");
        assert_eq!(w.post(&w.unit, &path, report(2026, 1, 1)).code(), "already_exists");
        assert_eq!(w.post(&w.unit, &path, report(2028, 1, 1)).code(), "validation_failed");
        let r = w.post(&w.unit, &path, report(2026, 10, 11));
        assert_eq!(r.body["errors"][0]["field"], "trained_advanced", "{r:?}");
        // A year of the period that has not begun in Chifeng has no report yet, whatever today is.
        let this_year = fundledger::domain::calendar::today().year();
        let current = w.base_project(&format!("{this_year}-01-01"));
        let r = w.post(&w.unit, &format!("/projects/{current}/annual-reports"), report(this_year + 1, 10, 3));
        assert_eq!((r.status, r.body["errors"][0]["field"].as_str()), (422, Some("year")), "{r:?}");
        let r = w.post(
            &w.unit,
            &path,
            json!({"year": 2025, "summary": "   ", "next_year_plan": "计划", "trained_total": 1, "trained_advanced": 0}),
        );
        assert_eq!(r.body["errors"][0]["field"], "summary", "blank after trimming: {r:?}");
        assert_eq!(w.post(&w.finance, &path, report(2026, 1, 1)).status, 403);
        assert_eq!(w.post(&w.other_unit, &path, report(2026, 1, 1)).status, 404);
        assert_eq!(w.get(&w.other_unit, &path).status, 404, "another unit's reports do not exist for it");
        let listed = w.get(&w.inspector, &path);
        let years: Vec<i64> = items(&listed).iter().filter_map(|i| i["report"]["year"].as_i64()).collect();
        assert_eq!(years, [2025, 2026]);
        assert_eq!(items(&listed)[0]["late"], true, "2025's report was filed after December 2025");
        assert_eq!(items(&listed)[1]["late"], this_year > 2026, "2026's report is due by 31 December 2026, Chifeng time");
        let trail = w.get(&w.inspector, &format!("/projects/{base}/audit-trail?action=report.filed"));
        assert_eq!(items(&trail).len(), 2, "one event per report filed");
        assert_eq!(w.verify(&base)["valid"], true);

        let studio = w.studio_project("2025-12-01");
        let r = w.post(&w.unit, &format!("/projects/{studio}/annual-reports"), report(2026, 6, 2));
        assert_eq!((r.status, r.body["meets_targets"].as_bool()), (201, Some(false)), "a studio needs 3 advanced: {r:?}");
    });
}
