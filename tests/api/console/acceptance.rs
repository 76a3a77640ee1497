//! Issue 19 in the console: HR records an output acceptance on the project's acceptance page
//! (refusals explained in Chinese, input kept), every reader sees the record, and the archive list.
use super::{root, send, sign_in, Answer};
use crate::common::{on_each_backend, World};
use serde_json::json;

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn post(w: &World, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Answer {
    let body = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
    send("POST", &format!("{}{path}", root(w)), Some(cookie), Some(&body), &[])
}

#[test]
fn hr_records_an_acceptance_in_the_console_and_every_reader_sees_it() {
    on_each_backend(|w| {
        let p = w.studio_project("2024-03-01");
        assert_eq!(w.disburse(&p, "2024-03-10", "30000.00").status, 201);
        let page = format!("/projects/{p}/acceptance");
        let (hr, unit, finance) =
            (sign_in(&w, "hr1", "password-123"), sign_in(&w, "unit1", "password-123"), sign_in(&w, "fin1", "password-123"));
        let a = send("GET", &format!("{}{page}", root(&w)), Some(&hr), None, &[]);
        assert_eq!(a.status, 200, "{}", a.text);
        assert!(a.text.contains("data-testid=\"acceptance-form\"") && a.text.contains("data-testid=\"no-acceptance\""), "{}", a.text);
        let csrf = a.csrf();
        let u = send("GET", &format!("{}{page}", root(&w)), Some(&unit), None, &[]);
        assert!(u.status == 200 && !u.text.contains("acceptance-form"), "a unit reads, without the form: {}", u.text);
        assert_eq!(post(&w, &page, &hr, &[("date", "2025-02-25"), ("conclusion", "passed")]).status, 403, "no CSRF token");
        let fcsrf = send("GET", &format!("{}/", root(&w)), Some(&finance), None, &[]).csrf();
        assert_eq!(post(&w, &page, &finance, &[("csrf", &fcsrf), ("conclusion", "passed")]).status, 403);

        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("date", "2025-02-25"),
            ("panel", "李明，高级技师\n赵红，鉴定中心主任"),
            ("total.2024", "4"),
            ("advanced.2024", "2"),
            ("met.0", "true"),
            ("remark.0", "实训车间 300 平方米"),
            ("met.1", "true"),
            ("met.2", "true"),
            ("met.3", "true"),
            ("conclusion", "passed"),
        ];
        let a = post(&w, &page, &hr, &fields);
        assert_eq!(a.status, 422, "{}", a.text);
        assert!(
            a.text.contains("data-code=\"targets_not_met\"") && a.text.contains("产出指标未达到：2024 trained_total 4/5"),
            "{}",
            a.text
        );
        assert!(a.text.contains("实训车间 300 平方米"), "input kept: {}", a.text);
        fields.push(("override_reason", "学员延期结业，次年补齐"));
        let a = post(&w, &page, &hr, &fields);
        assert_eq!((a.status, a.header("location")), (303, Some(format!("{page}?done=1").as_str())), "{}", a.text);
        assert_eq!(w.get(&w.hr, &format!("/projects/{p}")).body["status"], "completed");
        let current = &w.get(&w.inspector, &page).body["current"];
        assert_eq!((current["panel"][1]["title"].as_str(), current["checklist"][0]["met"].as_bool()), (Some("鉴定中心主任"), Some(true)));

        let f = send("GET", &format!("{}{page}", root(&w)), Some(&finance), None, &[]);
        assert!(f.text.contains("data-conclusion=\"passed\"") && f.text.contains("学员延期结业，次年补齐"), "{}", f.text);
        assert!(f.text.contains("data-testid=\"final-accounts\"") && f.text.contains("30,000.00"), "{}", f.text);
        let project = send("GET", &format!("{}/projects/{p}", root(&w)), Some(&finance), None, &[]);
        assert!(project.text.contains(&format!("href=\"/projects/{p}/acceptance\"")), "linked from the project's page");

        // The archive list, by kind.
        for (kind, title) in [("activity", "举办全市焊工技能竞赛"), ("member", "工作室成员名单")] {
            let r = w.post(
                &w.unit,
                &format!("/projects/{p}/archive"),
                json!({"kind": kind, "date": "2024-06-18", "title": title, "text": "详见附件"}),
            );
            assert_eq!(r.status, 201, "{r:?}");
        }
        let list = send("GET", &format!("{}/projects/{p}/archive?kind=member", root(&w)), Some(&unit), None, &[]);
        assert!(list.status == 200 && list.text.contains("工作室成员名单") && !list.text.contains("举办全市焊工技能竞赛"), "{}", list.text);
        assert_eq!(
            send("GET", &format!("{}/projects/{p}/archive", root(&w)), Some(&sign_in(&w, "unit2", "password-123")), None, &[]).status,
            404
        );
    });
}
