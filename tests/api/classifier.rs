//! Issue 20 through HTTP, on each backend: a line naming nothing its category pays for is held
//! (`category_mismatch`), spending that serves the unit is refused (`unrelated_to_project`), every
//! stored verdict records the rules' and the model's versions, and a decline by the finance bureau,
//! once the model is retrained, sends a similar line the rules allow to review — never further.
use crate::common::{call, on_each_backend, settings, Db, Server, World};
use diesel::{Connection, RunQueryDsl};
use fundledger::store::classifier::ModelRow;
use serde_json::{json, Value};

/// The model recorded under `version`, read straight from the database; and whether an UPDATE of
/// it is refused (the table is append-only).
fn recorded(w: &World, version: &str) -> (ModelRow, bool) {
    let select = format!("SELECT * FROM classifier_models WHERE version = '{version}'");
    let update = format!("UPDATE classifier_models SET threshold = '0.10' WHERE version = '{version}'");
    let (mut rows, refused): (Vec<ModelRow>, bool) = match w.db {
        Db::Sqlite => {
            let mut c = diesel::SqliteConnection::establish(&w.fresh.url).unwrap();
            (diesel::sql_query(select).load(&mut c).unwrap(), diesel::sql_query(update).execute(&mut c).is_err())
        }
        Db::Postgres => {
            let mut c = diesel::PgConnection::establish(&w.fresh.url).unwrap();
            (diesel::sql_query(select).load(&mut c).unwrap(), diesel::sql_query(update).execute(&mut c).is_err())
        }
    };
    assert_eq!(rows.len(), 1, "{version} recorded once");
    (rows.remove(0), refused)
}

/// An expense voucher of one debit line, with its own voucher summary.
fn submit(w: &World, p: &str, voucher_summary: &str, account: &str, line_summary: &str) -> crate::common::Resp {
    w.post(
        &w.unit,
        &format!("/projects/{p}/vouchers"),
        json!({"date": "2025-03-20", "summary": voucher_summary, "attachments": 1, "lines": [
            {"account": account, "debit": "100.00", "summary": line_summary},
            {"account": "1002", "credit": "100.00", "summary": "银行付款"}]}),
    )
}

/// The dry run's verdict on one line, and its reasons.
fn dry_run(w: &World, p: &str, voucher_summary: &str, account: &str, line_summary: &str) -> (String, Vec<Value>) {
    let r = w.post(
        &w.unit,
        "/classify",
        json!({"project_id": p, "summary": voucher_summary, "lines": [{"account": account, "debit": "1.00", "summary": line_summary}]}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    (r.body["verdict"].as_str().unwrap().to_string(), r.body["lines"][0]["reasons"].as_array().unwrap().clone())
}

fn codes(reasons: &[Value]) -> Vec<&str> {
    reasons.iter().map(|r| r["code"].as_str().unwrap()).collect()
}

#[test]
fn purpose_and_unrelated_spending() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-02", "10000.00").status, 201);

        // Office paper booked as equipment names no machine, tool or repair: held for review.
        let r = submit(&w, &p, "购买", "equipment", "办公用A4打印纸");
        assert_eq!((r.status, r.body["status"].as_str()), (201, Some("pending_review")), "{r:?}");
        let c = &r.body["lines"][0]["classification"];
        assert_eq!(c["verdict"], "review");
        assert_eq!(codes(c["reasons"].as_array().unwrap()), ["category_mismatch"], "{c}");
        assert!(c["reasons"][0]["detail"].as_str().unwrap().contains("equipment"), "{c}");
        // Every stored verdict says which rules and which model judged it.
        assert!(c["rules_version"].as_str().unwrap().starts_with("r-"), "{c}");
        assert!(c["model_version"].as_str().unwrap().starts_with("nb1-"), "{c}");

        // The unit's staff's gym cards are not a training cost: refused, nothing posted.
        let r = submit(&w, &p, "职工福利", "other_training", "单位职工健身卡");
        assert_eq!((r.status, r.code()), (422, "voucher_rejected"), "{r:?}");
        let reasons = r.body["lines"][0]["reasons"].as_array().unwrap();
        assert!(codes(reasons).contains(&"unrelated_to_project"), "{r:?}");
        // A refusal names the versions that refused it, and so does its audit event.
        assert!(
            r.body["rules_version"].as_str().unwrap().starts_with("r-") && r.body["model_version"].as_str().unwrap().starts_with("nb1-")
        );
        let refused = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=voucher.refused"));
        assert_eq!(refused.body["items"][0]["data"]["extra"]["rules_version"], r.body["rules_version"], "{refused:?}");
        assert_eq!(w.statement(&p)["implemented"], "0.00");

        // Ambiguous: tea for a tea-art course may be a material; a reviewer decides.
        let (v, reasons) = dry_run(&w, &p, "采购", "materials", "茶艺实训用茶叶");
        assert_eq!((v.as_str(), codes(&reasons)), ("review", vec!["needs_review:unrelated_to_project"]));
        // The fine lines stay as they were: a hired instructor's fee, equipment named plainly.
        let (v, reasons) = dry_run(&w, &p, "支付", "instructors", "外聘企业技师实训指导课时费");
        assert_eq!((v.as_str(), codes(&reasons)), ("allowed", vec!["exception:instructor_fee"]));
        let r = submit(&w, &p, "采购", "equipment", "购置中医按摩实训设备");
        assert_eq!((r.status, r.body["status"].as_str()), (201, Some("posted")), "{r:?}");
    });
}

#[test]
fn a_decline_retrains_the_second_opinion() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-02", "10000.00").status, 201);
        let similar = ("技能培训", "other_training", "为培训班购买高档保健品");
        let (v, _) = dry_run(&w, &p, similar.0, similar.1, similar.2);
        assert_eq!(v, "allowed", "the rules and the start-up model let it through");

        // Held for its tea break, then declined by the bureau.
        let r = submit(&w, &p, "技能培训", "other_training", "购买高档保健品及茶歇");
        assert_eq!(r.body["status"], "pending_review", "{r:?}");
        let first_model = r.body["lines"][0]["classification"]["model_version"].as_str().unwrap().to_string();
        let vid = r.body["id"].as_str().unwrap();
        let d = w.post(&w.finance, &format!("/projects/{p}/vouchers/{vid}/decline"), json!({"reason": "保健品不属于培训成本"}));
        assert_eq!(d.status, 200, "{d:?}");
        assert_eq!(dry_run(&w, &p, similar.0, similar.1, similar.2).0, "allowed", "not learned before a retrain");

        // Only finance retrains.
        let r = call("POST", &w.url("/classifier/retrain"), Some(&w.unit), None, &[]);
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{r:?}");
        let t = call("POST", &w.url("/classifier/retrain"), Some(&w.finance), None, &[]);
        assert_eq!(t.status, 200, "{t:?}");
        assert_eq!((t.body["declined_examples"].as_u64(), t.body["approved_examples"].as_u64()), (Some(1), Some(0)), "{t:?}");
        let model = t.body["model_version"].as_str().unwrap().to_string();
        assert!(model.starts_with("nb1-") && model != first_model, "{t:?}");
        assert!(t.body["corpus_examples"].as_u64().unwrap() >= 400, "{t:?}");
        // Recorded with what it learned from, so it can be trained again; and kept as it was.
        let (row, refused) = recorded(&w, &model);
        assert_eq!((row.rules_version.as_str(), row.decision_examples), (t.body["rules_version"].as_str().unwrap(), 1));
        assert_eq!(row.decided_vouchers, json!([vid]).to_string());
        assert!(refused, "classifier_models is append-only");
        // Asked for by finance, it is on the global audit trail.
        let trail = w.get(&w.inspector, "/audit-trail?action=classifier.retrained");
        assert_eq!(trail.status, 200, "{trail:?}");
        let events = trail.body["items"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{trail:?}");
        assert_eq!((&events[0]["data"]["model_version"], &events[0]["data"]["declined_examples"]), (&json!(model), &json!(1)));
        assert_eq!(w.get(&w.inspector, "/audit-trail/verify").body["valid"], true);
        // Retraining on the same decisions gives the same model.
        let again = call("POST", &w.url("/classifier/retrain"), Some(&w.finance), None, &[]);
        assert_eq!(again.body["model_version"], model.as_str());

        // The similar line now goes to review, the model naming itself and its score.
        let (v, reasons) = dry_run(&w, &p, similar.0, similar.1, similar.2);
        assert_eq!((v.as_str(), codes(&reasons)), ("review", vec!["needs_review:model"]));
        let detail = reasons[0]["detail"].as_str().unwrap();
        assert!(detail.contains(&model) && detail.contains(" scores "), "{detail}");
        assert_eq!(reasons[0]["matched"], model.as_str());
        let dry = w.post(&w.unit, "/classify", json!({"project_id": p, "lines": [{"account": "equipment", "summary": "购置车床"}]}));
        assert_eq!((&dry.body["model_version"], &dry.body["rules_version"]), (&json!(model), &t.body["rules_version"]));
        let r = submit(&w, &p, similar.0, similar.1, similar.2);
        assert_eq!(r.body["status"], "pending_review", "{r:?}");
        assert_eq!(r.body["lines"][0]["classification"]["model_version"], model.as_str());

        // It never rejects nor allows by itself: a plain training cost still posts, a gift is
        // still refused by the rules alone, a held meal stays held for its own reason.
        let r = submit(&w, &p, "技能培训", "other_training", "培训场地租赁费");
        assert_eq!(r.body["status"], "posted", "{r:?}");
        let (v, reasons) = dry_run(&w, &p, "技能培训", "other_training", "购买高档保健品作为礼品");
        assert_eq!(v, "rejected");
        assert!(!codes(&reasons).contains(&"needs_review:model"), "{reasons:?}");
        let (v, reasons) = dry_run(&w, &p, "技能培训", "other_training", "购买高档保健品及茶歇");
        assert_eq!((v.as_str(), codes(&reasons)), ("review", vec!["needs_review:meals"]));

        // Approved vouchers count as allowed examples.
        let held = submit(&w, &p, "培训", "other_training", "培训学员伙食费");
        let hid = held.body["id"].as_str().unwrap();
        assert_eq!(w.post(&w.finance, &format!("/projects/{p}/vouchers/{hid}/approve"), json!({"note": "学员伙食"})).status, 200);
        let t = call("POST", &w.url("/classifier/retrain"), Some(&w.finance), None, &[]);
        assert_eq!((t.body["declined_examples"].as_u64(), t.body["approved_examples"].as_u64()), (Some(1), Some(1)), "{t:?}");
    });
}

/// Two service processes on one database: a retrain asked of one is the model the other judges
/// by too, within the follower's interval, and under the same version.
#[test]
fn a_retrain_reaches_every_process_on_the_database() {
    on_each_backend(|w| {
        let other = Server::start(settings(&w.fresh.url));
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-02", "10000.00").status, 201);
        let r = submit(&w, &p, "技能培训", "other_training", "购买高档保健品及茶歇");
        let vid = r.body["id"].as_str().unwrap();
        let d = w.post(&w.finance, &format!("/projects/{p}/vouchers/{vid}/decline"), json!({"reason": "保健品不属于培训成本"}));
        assert_eq!(d.status, 200, "{d:?}");
        let t = call("POST", &w.url("/classifier/retrain"), Some(&w.finance), None, &[]);
        assert_eq!(t.status, 200, "{t:?}");
        let model = t.body["model_version"].as_str().unwrap();

        let body = json!({"project_id": p, "summary": "技能培训",
            "lines": [{"account": "other_training", "debit": "1.00", "summary": "为培训班购买高档保健品"}]});
        let ask = |base: &str| call("POST", &format!("{base}/classify"), Some(&w.unit), Some(&body), &[]);
        let here = ask(&w.server.base);
        assert_eq!((here.body["verdict"].as_str(), here.body["model_version"].as_str()), (Some("review"), Some(model)), "{here:?}");
        let deadline = std::time::Instant::now() + fundledger::app::classifier::FOLLOW_EVERY * 3;
        let there = loop {
            let there = ask(&other.base);
            if there.body["model_version"] == model || std::time::Instant::now() > deadline {
                break there;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        assert_eq!((&there.body["verdict"], &there.body["lines"]), (&here.body["verdict"], &here.body["lines"]), "{there:?}");
        assert_eq!(there.body["model_version"], model, "{there:?}");
    });
}
