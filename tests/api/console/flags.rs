//! The console's red flags: the portfolio's list with filters for finance, hr and inspectors, and
//! each project's flags on its page; a unit sees its own project's, never the portfolio's.
use super::{other_units_project, root, send, sign_in, Browser};
use crate::common::{on_each_backend, Db, World};
use serde_json::json;

/// A project of `w.unit` with an expense declaring no documents (and the 2025 report unfiled).
fn flagged_project(w: &World) -> (String, String) {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-10", "20000.00").status, 201);
    let body = json!({"date": "2025-04-01", "summary": "采购实训设备", "attachments": 0, "lines": [
        {"account": "equipment", "debit": "1234.50", "summary": "采购实训设备"}, {"account": "1002", "credit": "1234.50"}]});
    let r = w.post(&w.unit, &format!("/projects/{p}/vouchers"), body);
    assert_eq!(r.status, 201, "{r:?}");
    (p, r.body["id"].as_str().unwrap().to_string())
}

#[test]
fn the_flags_page_lists_the_portfolios_flags_with_filters_and_the_project_page_its_own() {
    on_each_backend(|w| {
        let (p, v) = flagged_project(&w);
        let q = other_units_project(&w);
        let root = root(&w);
        let insp = sign_in(&w, "insp1", "password-123");
        let page = send("GET", &format!("{root}/flags?rule=missing_documents"), Some(&insp), None, &[]);
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.text.contains("原始凭证不足") && page.text.contains("风险提示"), "Chinese labels");
        assert_eq!(page.text.matches("data-testid=\"flag-row\"").count(), 1, "{}", page.text);
        assert!(page.text.contains(&format!("data-project-id=\"{p}\"")) && page.text.contains(&format!("/projects/{p}/vouchers/{v}")));
        let en = send("GET", &format!("{root}/flags?rule=missing_documents&lang=en"), Some(&insp), None, &[]);
        assert!(en.text.contains("Missing documents") && en.text.contains("fewer than 1 original document"), "{}", en.text);
        let studio = send("GET", &format!("{root}/flags?kind=studio"), Some(&insp), None, &[]);
        assert!(studio.text.contains("data-testid=\"no-flags\""), "no studio has flags");
        let bad = send("GET", &format!("{root}/flags?rule=nonsense"), Some(&insp), None, &[]);
        assert!(bad.text.contains("data-testid=\"form-error\""), "{}", bad.text);

        let fin = sign_in(&w, "fin1", "password-123");
        let project = send("GET", &format!("{root}/projects/{p}"), Some(&fin), None, &[]);
        assert!(project.text.contains("data-testid=\"project-flags\"") && project.text.contains("data-rule=\"missing_documents\""));
        let unit = sign_in(&w, "unit1", "password-123");
        assert_eq!(send("GET", &format!("{root}/flags"), Some(&unit), None, &[]).status, 403);
        let own = send("GET", &format!("{root}/projects/{p}"), Some(&unit), None, &[]);
        assert!(own.text.contains("data-rule=\"missing_documents\""), "a unit sees its own project's flags");
        assert_eq!(send("GET", &format!("{root}/projects/{q}"), Some(&unit), None, &[]).status, 404);
    });
}

#[test]
fn the_flags_page_in_the_browser() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let (p, _) = flagged_project(&w);
        b.sign_in(&root, "insp1", "password-123");
        b.wait_for("[data-testid=project-row]", 10);
        b.goto(&format!("{root}/flags?lang=zh"));
        b.wait_for(&format!("[data-testid=flag-row][data-project-id='{p}']"), 10);
        if w.db == Db::Sqlite {
            b.screenshot("flags-zh");
        }
        b.goto(&format!("{root}/flags?severity=high"));
        b.wait_for("[data-testid=flag-row][data-severity=high]", 10);
        assert!(b.find_all("[data-testid=flag-row][data-severity=warning]").is_empty(), "the filter keeps high only");
        b.goto(&format!("{root}/projects/{p}"));
        b.wait_for("[data-testid=project-flags] [data-rule=missing_documents]", 10);
    });
}
