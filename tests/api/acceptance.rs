//! Issue 19: output acceptance (项目产出验收) — when HR may record it, the plan's targets, the
//! supersession of records, the frozen final accounts, and what it lets the finance bureau recover.
use crate::common::{on_each_backend, Db, Resp, World};
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};

fn accept(w: &World, token: &str, p: &str, body: Value) -> Resp {
    w.post(token, &format!("/projects/{p}/acceptance"), body)
}

/// An acceptance body: the date, the panel's figures for one year (if any), the conclusion.
fn body(date: &str, year: Option<(&str, i64, i64)>, conclusion: &str) -> Value {
    let (total, advanced) = match year {
        Some((y, t, a)) => (json!({ y: t }), json!({ y: a })),
        None => (json!({}), json!({})),
    };
    json!({"date": date, "panel": [{"name": "李明", "title": "高级技师"}, {"name": "赵红", "title": "市职业技能鉴定中心主任"}],
        "outputs": {"trained_total": total, "trained_advanced": advanced},
        "checklist": [{"item": "有固定场所", "met": true, "remark": "实训车间 300 平方米"}, {"item": "定期开展交流活动", "met": true}],
        "conclusion": conclusion, "note": "现场查验"})
}

fn recover(w: &World, p: &str, date: &str, reason: &str) -> Resp {
    w.post(&w.finance, &format!("/projects/{p}/recovery"), json!({"date": date, "reason": reason, "note": "验收后收回"}))
}

fn status(w: &World, p: &str) -> String {
    w.get(&w.hr, &format!("/projects/{p}")).body["status"].as_str().unwrap_or_default().to_string()
}

fn sql(w: &World, statement: &str) -> Result<usize, diesel::result::Error> {
    match w.db {
        Db::Sqlite => diesel::sql_query(statement).execute(&mut diesel::SqliteConnection::establish(&w.fresh.url).unwrap()),
        Db::Postgres => diesel::sql_query(statement).execute(&mut diesel::PgConnection::establish(&w.fresh.url).unwrap()),
    }
}

#[test]
fn acceptance_is_hr_s_and_opens_sixty_days_before_the_period_ends() {
    on_each_backend(|w| {
        // Runs 2025-06-01 to 2026-05-31: the window opens on 2026-04-01.
        let p = w.studio_project("2025-06-01");
        let r = accept(&w, &w.hr, &p, body("2026-03-31", None, "passed"));
        assert_eq!((r.status, r.code(), r.body["earliest_date"].as_str()), (409, "too_early", Some("2026-04-01")), "{r:?}");
        for token in [&w.unit, &w.finance, &w.inspector, &w.admin] {
            let r = accept(&w, token, &p, body("2026-04-01", Some(("2025", 6, 3)), "passed"));
            assert_eq!((r.status, r.code()), (403, "forbidden"), "{r:?}");
        }
        let r = accept(&w, &w.hr, &p, body("2099-01-01", None, "passed"));
        assert_eq!((r.status, r.code()), (422, "validation_failed"), "a date after today: {r:?}");
        let mut no_panel = body("2026-04-01", None, "passed");
        no_panel["panel"] = json!([]);
        no_panel["conclusion"] = json!("excellent");
        let r = accept(&w, &w.hr, &p, no_panel);
        let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, ["panel", "conclusion"], "{r:?}");
        let r = accept(&w, &w.hr, &p, body("2026-04-01", Some(("2023", 6, 3)), "passed"));
        assert_eq!(r.body["errors"][0]["field"], "outputs.trained_total.2023", "a year outside the period: {r:?}");
        assert_eq!(w.get(&w.unit, &format!("/projects/{p}/acceptance")).body, json!({"current": null, "history": []}));
        assert_eq!(w.get(&w.other_unit, &format!("/projects/{p}/acceptance")).status, 404);
        // Nothing of the refusals was recorded.
        let trail = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=acceptance.recorded"));
        assert_eq!(trail.body["items"], json!([]));
        assert_eq!(status(&w, &p), "active");
    });
}

#[test]
fn a_pass_over_missed_targets_needs_an_override_and_a_correction_supersedes_keeping_both() {
    on_each_backend(|w| {
        // A studio of 2024-03-01 to 2025-02-28 whose 2024 report shows 4 trained, 2 advanced.
        let p = w.studio_project("2024-03-01");
        let report = json!({"year": 2024, "summary": "开展师带徒", "next_year_plan": "继续", "trained_total": 4, "trained_advanced": 2});
        assert_eq!(w.post(&w.unit, &format!("/projects/{p}/annual-reports"), report).status, 201);
        let r = accept(&w, &w.hr, &p, body("2025-02-20", None, "passed"));
        assert_eq!((r.status, r.code()), (422, "targets_not_met"), "{r:?}");
        assert_eq!(
            r.body["targets"],
            json!([{"year": 2024, "target": "trained_total", "required": 5, "measured": 4},
                   {"year": 2024, "target": "trained_advanced", "required": 3, "measured": 2}])
        );
        let r = accept(&w, &w.hr, &p, body("2025-02-20", None, "passed_with_conditions"));
        assert_eq!(r.code(), "targets_not_met", "passed with conditions still passes: {r:?}");
        // The panel's own figures count before the report's.
        let r = accept(&w, &w.hr, &p, body("2025-02-20", Some(("2024", 5, 2)), "passed"));
        assert_eq!(r.body["targets"][0]["target"], "trained_advanced", "{r:?}");

        let mut overridden = body("2025-02-20", None, "passed");
        overridden["override_reason"] = json!("第二季度学员因疫情延期结业，已于次年补齐");
        let first = accept(&w, &w.hr, &p, overridden);
        assert_eq!(first.status, 201, "{first:?}");
        assert_eq!(first.body["override_reason"], "第二季度学员因疫情延期结业，已于次年补齐");
        assert_eq!(first.body["targets_met"][0]["source"], "annual_report");
        assert_eq!(first.body["targets_met"][0]["met"], false);
        assert_eq!(first.body["seq"], 1);
        assert_eq!(status(&w, &p), "completed");

        // A failed record corrects it: both are kept, the project follows the current one.
        let second = accept(&w, &w.hr, &p, body("2025-03-05", Some(("2024", 4, 2)), "failed"));
        assert_eq!(second.status, 201, "{second:?}");
        assert_eq!((second.body["seq"].as_i64(), &second.body["supersedes"]), (Some(2), &first.body["id"]));
        assert_eq!(status(&w, &p), "acceptance_failed");
        let got = w.get(&w.inspector, &format!("/projects/{p}/acceptance"));
        assert_eq!(got.status, 200, "{got:?}");
        let history = got.body["history"].as_array().unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0]["superseded_by"], second.body["id"]);
        assert_eq!(history[0]["conclusion"], "passed");
        assert_eq!(got.body["current"]["id"], second.body["id"]);
        assert_eq!(got.body["current"]["superseded_by"], Value::Null);
        let mut first_now = history[0].clone();
        first_now["superseded_by"] = Value::Null;
        assert_eq!(first_now, first.body, "the first record reads back exactly as it was made");

        let events = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=acceptance.recorded"));
        assert_eq!(events.body["items"].as_array().map(Vec::len), Some(2), "{events:?}");
        assert_eq!(events.body["items"][1]["data"]["conclusion"], "failed");
        assert_eq!(w.verify(&p)["valid"], true);

        // The portfolio lists each project's current record only.
        let failed = w.get(&w.finance, "/acceptances?result=failed");
        assert_eq!(failed.body["items"].as_array().map(Vec::len), Some(1), "{failed:?}");
        assert_eq!(w.get(&w.finance, "/acceptances?result=passed").body["items"], json!([]));
        assert_eq!(w.get(&w.hr, "/acceptances?kind=base").body["items"], json!([]));
        assert_eq!(w.get(&w.hr, "/acceptances?result=great").code(), "validation_failed");
        assert_eq!(w.get(&w.unit, "/acceptances").status, 403);
        let csv = w.get(&w.inspector, "/acceptances?format=csv");
        assert!(csv.content_type.starts_with("text/csv"), "{csv:?}");
        let lines: Vec<&str> = csv.text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines.len(), 2, "{}", csv.text);
        assert!(lines[0].starts_with("id,project_id,project_kind,seq,date,conclusion") && lines[1].contains(",failed,"), "{}", csv.text);

        // The records are evidence: the database itself refuses to change or delete them.
        assert!(sql(&w, "UPDATE acceptances SET conclusion = 'passed'").is_err());
        assert!(sql(&w, "DELETE FROM acceptances").is_err());
        assert_eq!(w.get(&w.inspector, &format!("/projects/{p}/acceptance")).body["history"].as_array().map(Vec::len), Some(2));
    });
}

#[test]
fn recovery_for_completed_needs_a_passed_acceptance_and_the_final_accounts_stay_as_they_were() {
    on_each_backend(|w| {
        let p = w.base_project("2023-01-01");
        assert_eq!(w.disburse(&p, "2023-01-15", "300000.00").status, 201);
        assert_eq!(w.spend(&w.unit, &p, "2023-05-01", "equipment", "200000.00", "采购工业机器人实训工作站").status, 201);
        assert_eq!(w.spend(&w.unit, &p, "2024-06-01", "teacher_training", "50000.00", "选派教师参加国家级师资研修班培训费").status, 201);
        let r = recover(&w, &p, "2025-01-10", "completed");
        assert_eq!((r.status, r.code(), r.body["acceptance"].as_str()), (409, "acceptance_required", Some("none")), "{r:?}");

        let before = w.statement(&p);
        let trail_before = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?limit=500"));
        let events_before = trail_before.body["items"].as_array().unwrap().clone();
        let r = accept(&w, &w.hr, &p, body("2025-01-05", Some(("2024", 520, 110)), "passed"));
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(
            r.body["targets_met"],
            json!([{"year": 2024, "project_year": 2, "target": {"trained_total": 500, "trained_advanced": 100},
            "trained_total": 520, "trained_advanced": 110, "source": "acceptance", "met": true}])
        );
        let frozen = r.body["final_accounts"].clone();
        for key in ["grant", "disbursed", "implemented", "by_category", "utilization", "recoverable"] {
            assert_eq!(frozen[key], before[key], "{key}");
        }
        assert_eq!(frozen["implemented"], "250000.00");
        assert_eq!(frozen["chain_size"].as_u64(), Some(events_before.len() as u64));
        assert_eq!(frozen["chain_head"], events_before.last().unwrap()["hash"], "the head before the record's own event");
        // The frozen checkpoint is one this service signed over the chain as it stood.
        let kept: String = frozen["checkpoint"]
            .as_str()
            .unwrap()
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let v = w.get(&w.inspector, &format!("/projects/{p}/audit-trail/verify?checkpoint={kept}"));
        assert_eq!((v.body["valid"].as_bool(), v.body["checkpoint"]["consistent"].as_bool()), (Some(true), Some(true)), "{v:?}");

        let r = recover(&w, &p, "2025-01-10", "acceptance_failed");
        assert_eq!((r.status, r.code(), r.body["acceptance"].as_str()), (409, "acceptance_required", Some("passed")), "{r:?}");
        let r = recover(&w, &p, "2025-01-10", "completed");
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!((r.body["recoverable"].as_str(), r.body["to_remit"].as_str()), (Some("250000.00"), Some("50000.00")));
        let closed = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=project.closed"));
        assert_eq!(closed.body["items"][0]["data"]["acceptance"], w.get(&w.hr, &format!("/projects/{p}/acceptance")).body["current"]["id"]);
        assert_eq!(w.post(&w.unit, &format!("/projects/{p}/remittances"), json!({"date": "2025-01-20", "amount": "50000.00"})).status, 201);
        // After recovery and remittance the books moved on; the record did not.
        let after = w.statement(&p);
        assert_ne!(after["recoverable"], before["recoverable"]);
        let now = w.get(&w.finance, &format!("/projects/{p}/acceptance")).body["current"]["final_accounts"].clone();
        assert_eq!(now, frozen);
        assert_eq!(accept(&w, &w.hr, &p, body("2025-01-25", None, "passed")).code(), "invalid_transition", "a closed project");
    });
}

#[test]
fn a_failed_acceptance_is_recovered_as_a_cancellation_would_be() {
    on_each_backend(|w| {
        let [failed, cancelled] = [w.studio_project("2024-03-01"), w.studio_project("2024-03-01")];
        for p in [&failed, &cancelled] {
            assert_eq!(w.disburse(p, "2024-03-10", "30000.00").status, 201);
            assert_eq!(w.spend(&w.unit, p, "2024-05-01", "studio_equipment", "12000.00", "购置数字化电焊机一台").status, 201);
            assert_eq!(w.spend(&w.unit, p, "2024-06-30", "apprentice_allowance", "1500.50", "发放领办人第二季度带徒津贴").status, 201);
        }
        let r = recover(&w, &failed, "2025-03-10", "acceptance_failed");
        assert_eq!((r.status, r.code()), (409, "acceptance_required"), "no acceptance yet: {r:?}");
        let r = accept(&w, &w.hr, &failed, body("2025-02-25", Some(("2024", 2, 0)), "failed"));
        assert_eq!(r.status, 201, "a failure needs no override: {r:?}");
        assert_eq!(status(&w, &failed), "acceptance_failed");
        assert_eq!(w.spend(&w.unit, &failed, "2025-02-26", "studio_equipment", "1.00", "采购").code(), "project_not_active");
        assert_eq!(recover(&w, &failed, "2025-03-10", "completed").code(), "acceptance_required");
        let by_failure = recover(&w, &failed, "2025-03-10", "acceptance_failed");
        assert_eq!(by_failure.status, 201, "{by_failure:?}");

        let r = w.post(&w.hr, &format!("/projects/{cancelled}/status"), json!({"status": "cancelled", "reason": "建设单位注销"}));
        assert_eq!(r.status, 200, "{r:?}");
        let by_cancellation = recover(&w, &cancelled, "2025-03-10", "cancelled");
        assert_eq!(by_cancellation.status, 201, "{by_cancellation:?}");
        for key in ["recoverable", "undisbursed", "to_remit", "status"] {
            assert_eq!(by_failure.body[key], by_cancellation.body[key], "{key}");
        }
        assert_eq!(by_failure.body["recoverable"], "36499.50");
        let lines = |r: &Resp| {
            let v = &r.body["voucher"];
            v["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| (l["account"].clone(), l["debit"].clone(), l["credit"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(lines(&by_failure), lines(&by_cancellation));
        assert_eq!(w.statement(&failed)["owed_to_finance"], w.statement(&cancelled)["owed_to_finance"]);
        crate::common::assert_books_consistent(&w, &failed);
    });
}

#[test]
fn the_unit_keeps_its_archive_by_kind_and_year_and_cannot_rewrite_it() {
    on_each_backend(|w| {
        let p = w.studio_project("2024-03-01");
        let add = |token: &str, kind: &str, date: &str, title: &str| {
            w.post(token, &format!("/projects/{p}/archive"), json!({"kind": kind, "date": date, "title": title, "text": "详见附件"}))
        };
        for (kind, date, title) in [
            ("member", "2024-03-05", "工作室成员名单"),
            ("activity", "2024-06-18", "举办全市焊工技能竞赛"),
            ("achievement", "2025-01-10", "学员获自治区技术能手称号"),
            ("summary", "2025-02-20", "年度工作总结"),
            ("image", "2024-06-18", "竞赛现场照片"),
        ] {
            let r = add(&w.unit, kind, date, title);
            assert_eq!(r.status, 201, "{r:?}");
            assert_eq!((r.body["kind"].as_str(), r.body["title"].as_str()), (Some(kind), Some(title)));
        }
        assert_eq!(add(&w.hr, "activity", "2024-06-18", "x").status, 403);
        assert_eq!(add(&w.other_unit, "activity", "2024-06-18", "x").status, 404);
        let r = add(&w.unit, "photo", "2099-01-01", " ");
        let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, ["kind", "date", "title"], "{r:?}");
        assert_eq!(add(&w.unit, "activity", "2024-01-01", "开工前").code(), "validation_failed", "before the project started");

        let list = |q: &str| w.get(&w.inspector, &format!("/projects/{p}/archive{q}"));
        let titles =
            |r: &Resp| r.body["items"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(titles(&list("")).len(), 5);
        assert_eq!(titles(&list("?year=2025")), ["学员获自治区技术能手称号", "年度工作总结"]);
        assert_eq!(titles(&list("?kind=image&year=2024")), ["竞赛现场照片"]);
        assert_eq!(list("?kind=photo").code(), "validation_failed");
        assert_eq!(w.get(&w.unit, &format!("/projects/{p}/archive?kind=member")).body["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(w.get(&w.other_unit, &format!("/projects/{p}/archive")).status, 404);
        let csv = list("?format=csv");
        assert_eq!(csv.text.trim_start_matches('\u{feff}').lines().count(), 6, "{}", csv.text);

        let events = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=archive.added"));
        assert_eq!(events.body["items"].as_array().map(Vec::len), Some(5));
        assert_eq!(w.verify(&p)["valid"], true);
        assert!(sql(&w, "UPDATE archive_entries SET title = '改写'").is_err());
        assert!(sql(&w, "DELETE FROM archive_entries").is_err());
    });
}

/// The bytes of a download (the harness reads answers as text).
fn download(w: &World, token: &str, path: &str) -> (u16, Vec<u8>) {
    use std::io::Read;
    let r = ureq::get(&w.url(path)).set("Authorization", &format!("Bearer {token}")).call();
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    let status = r.status();
    let mut bytes = Vec::new();
    r.into_reader().read_to_end(&mut bytes).unwrap();
    (status, bytes)
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().to_string(), out)
        })
        .collect()
}

fn rezip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// `fundledger verify --package FILE [--key KEY]`: (exit code, the one-line verdict).
fn verify_package(bytes: &[u8], key: Option<&str>) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("package.zip");
    std::fs::write(&file, bytes).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fundledger"));
    cmd.args(["verify", "--package", file.to_str().unwrap()]);
    if let Some(k) = key {
        cmd.args(["--key", k]);
    }
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The manifest recomputed over `files` (as a forger who edits a file would).
fn with_manifest(mut files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    use sha2::Digest;
    files.retain(|(name, _)| name != "manifest.json");
    let listed: Vec<Value> =
        files.iter().map(|(path, b)| json!({"path": path, "size": b.len(), "sha256": hex::encode(sha2::Sha256::digest(b))})).collect();
    files.push(("manifest.json".into(), serde_json::to_vec(&listed).unwrap()));
    files
}

#[test]
fn a_closed_project_s_archive_package_holds_everything_and_is_checked_offline() {
    on_each_backend(|w| {
        let p = w.studio_project("2024-03-01");
        assert_eq!(w.disburse(&p, "2024-03-10", "30000.00").status, 201);
        let spent = w.spend(&w.unit, &p, "2024-05-01", "studio_equipment", "12000.00", "购置数字化电焊机一台");
        assert_eq!(spent.status, 201);
        let receipt = crate::documents::pdf(41, 3_000);
        let up = crate::documents::upload(&w, &w.unit, &p, spent.body["id"].as_str().unwrap(), "电焊机发票.pdf", &receipt, Some("invoice"));
        assert_eq!(up.status, 201, "{up:?}");
        let add = json!({"kind": "activity", "date": "2024-06-18", "title": "举办全市焊工技能竞赛", "text": "参赛 40 人"});
        assert_eq!(w.post(&w.unit, &format!("/projects/{p}/archive"), add).status, 201);
        let path = format!("/projects/{p}/archive-package");
        let r = w.get(&w.finance, &path);
        assert_eq!((r.status, r.code(), r.body["project_status"].as_str()), (409, "project_not_closed", Some("active")), "{r:?}");
        assert_eq!(w.get(&w.unit, &path).status, 403);
        assert_eq!(accept(&w, &w.hr, &p, body("2025-02-25", Some(("2024", 6, 3)), "passed")).status, 201);
        assert_eq!(recover(&w, &p, "2025-03-10", "completed").status, 201);

        let (status, bytes) = download(&w, &w.inspector, &path);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        let files = unzip(&bytes);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        for wanted in [
            "journal/journal.csv",
            "journal/journal.beancount",
            "vouchers/vouchers.json",
            "statements/statement.csv",
            "statements/statement.xlsx",
            "statements/trial-balance.csv",
            "statements/trial-balance.xlsx",
            "acceptance/acceptance.json",
            "archive/archive.json",
            "audit/audit-trail.jsonl",
            "audit/checkpoint.txt",
            "audit/audit-key.txt",
            "manifest.json",
        ] {
            assert!(names.contains(&wanted), "{wanted} in {names:?}");
        }
        let file = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone()).unwrap();
        let manifest: Vec<Value> = serde_json::from_slice(&file("manifest.json")).unwrap();
        assert_eq!(manifest.len(), files.len() - 1);
        let vouchers: Vec<Value> = serde_json::from_slice(&file("vouchers/vouchers.json")).unwrap();
        assert_eq!(vouchers.len(), 4, "allocation, disbursement, expense, recovery");
        assert!(vouchers.iter().any(|v| v["lines"][0]["classification"]["category"] == "studio_equipment"), "{vouchers:?}");
        let acceptance: Value = serde_json::from_slice(&file("acceptance/acceptance.json")).unwrap();
        assert_eq!(acceptance["current"]["conclusion"], "passed");
        let trail = String::from_utf8(file("audit/audit-trail.jsonl")).unwrap();
        let online = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?format=jsonl"));
        assert_eq!(trail, online.text, "the trail as the service exports it");
        let trial = String::from_utf8(file("statements/trial-balance.csv")).unwrap();
        assert!(trial.lines().last().unwrap().starts_with("total,"), "{trial}");
        // Every stored document, with its bytes, and an index of them.
        let document = format!("documents/{}-电焊机发票.pdf", up.body["id"].as_str().unwrap());
        assert_eq!(file(&document), receipt, "{names:?}");
        let index: Vec<Value> = serde_json::from_slice(&file("documents/index.json")).unwrap();
        assert_eq!((index.len(), &index[0]["sha256"], &index[0]["path"]), (1, &up.body["sha256"], &json!(document)));

        let key = w.get(&w.inspector, "/audit-key").text.trim().to_string();
        let (code, said) = verify_package(&bytes, Some(&key));
        assert_eq!(code, 0, "{said}");
        assert!(said.starts_with("OK:") && said.contains("4 vouchers balance") && said.contains("signed by the key given"), "{said}");
        assert_eq!(verify_package(&bytes, None).0, 0);

        // A file changed without its manifest, and a journal line changed with the manifest redone.
        let mut edited = files.clone();
        edited.iter_mut().find(|(n, _)| n == "archive/archive.json").unwrap().1.extend_from_slice(b" ");
        let (code, said) = verify_package(&rezip(&edited), Some(&key));
        assert_eq!(code, 1, "{said}");
        assert!(said.contains("archive/archive.json is not the file the manifest lists"), "{said}");
        let mut forged = files.clone();
        let journal = forged.iter_mut().find(|(n, _)| n == "journal/journal.csv").unwrap();
        journal.1 = String::from_utf8(journal.1.clone()).unwrap().replace("12000.00", "1200.00").into_bytes();
        let (code, said) = verify_package(&rezip(&with_manifest(forged)), Some(&key));
        assert_eq!(code, 1, "{said}");
        assert!(said.contains("journal/journal.csv") && said.contains("differs from the chain"), "{said}");
        // A document swapped, or taken out, with the manifest redone: the chain recorded its hash.
        let mut swapped = files.clone();
        swapped.iter_mut().find(|(n, _)| *n == document).unwrap().1 = crate::documents::pdf(42, 3_000);
        let (code, said) = verify_package(&rezip(&with_manifest(swapped)), Some(&key));
        assert_eq!(code, 1, "{said}");
        assert!(said.contains(&document) && said.contains("not the document the trail recorded"), "{said}");
        let without: Vec<_> = files.iter().filter(|(n, _)| *n != document).cloned().collect();
        let (code, said) = verify_package(&rezip(&with_manifest(without)), Some(&key));
        assert_eq!(code, 1, "{said}");
        assert!(said.contains(&document) && said.contains("missing"), "{said}");
        let mut cut = files.clone();
        let t = cut.iter_mut().find(|(n, _)| n == "audit/audit-trail.jsonl").unwrap();
        let text = String::from_utf8(t.1.clone()).unwrap();
        t.1 = text.lines().take(3).map(|l| format!("{l}\n")).collect::<String>().into_bytes();
        let (code, said) = verify_package(&rezip(&with_manifest(cut)), Some(&key));
        assert_eq!(code, 1, "a trail cut back below its checkpoint: {said}");
    });
}

/// A measurement, not a check of behaviour: the package of a studio with `FUNDLEDGER_PACKAGE_VOUCHERS`
/// (default 2000) expense vouchers, built and then verified offline. Run alone:
/// `cargo test [--release] --test api acceptance::measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_the_package_of_a_long_project() {
    let n: usize = std::env::var("FUNDLEDGER_PACKAGE_VOUCHERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let w = World::new(Db::Sqlite);
    let p = w.studio_project("2024-03-01");
    assert_eq!(w.disburse(&p, "2024-03-10", "50000.00").status, 201);
    for i in 0..n {
        let r = w.spend(&w.unit, &p, "2024-05-01", "studio_equipment", "1.00", &format!("购置数字化电焊机配件 {i}"));
        assert_eq!(r.status, 201, "{r:?}");
    }
    assert_eq!(accept(&w, &w.hr, &p, body("2025-02-25", Some(("2024", 6, 3)), "passed")).status, 201);
    assert_eq!(recover(&w, &p, "2025-03-10", "completed").status, 201);
    let started = std::time::Instant::now();
    let (status, bytes) = download(&w, &w.inspector, &format!("/projects/{p}/archive-package"));
    let built = started.elapsed();
    assert_eq!(status, 200);
    let started = std::time::Instant::now();
    let (code, said) = verify_package(&bytes, None);
    let checked = started.elapsed();
    assert_eq!(code, 0, "{said}");
    eprintln!("{n} vouchers: package {} bytes built in {built:?}, verified offline in {checked:?}", bytes.len());
}
