//! Issue 5: recovery of unspent funds and the project lifecycle, with exact amounts.

use crate::common::{on_each_backend, World};
use serde_json::json;

fn recover(w: &World, p: &str, date: &str, reason: &str) -> crate::common::Resp {
    w.post(&w.finance, &format!("/projects/{p}/recovery"), json!({"date": date, "reason": reason, "note": "依据实施方案第八条"}))
}

/// Recovers and checks the amounts: (recoverable, undisbursed, to_remit).
fn assert_recovers(w: &World, p: &str, date: &str, reason: &str, amounts: [&str; 3]) {
    let r = recover(w, p, date, reason);
    assert_eq!(r.status, 201, "{r:?}");
    let got = [&r.body["recoverable"], &r.body["undisbursed"], &r.body["to_remit"]].map(|v| v.as_str().unwrap_or_default().to_string());
    assert_eq!(got, amounts, "{r:?}");
}

fn remit(w: &World, token: &str, p: &str, date: &str, amount: &str) -> crate::common::Resp {
    w.post(token, &format!("/projects/{p}/remittances"), json!({"date": date, "amount": amount, "reference": "缴款书001"}))
}

/// Every account of a closed, fully remitted project is zero except expenditures and the grant
/// fund, which net to each other.
fn assert_only_spending_left(w: &World, p: &str) {
    let r = w.get(&w.inspector, &format!("/projects/{p}/balances"));
    let mut expenditure = 0i64;
    let mut fund = 0i64;
    for a in r.body["accounts"].as_array().unwrap() {
        let code = a["code"].as_str().unwrap();
        let fen: i64 = a["balance"].as_str().unwrap().replace('.', "").parse().unwrap();
        match code {
            "2401" => fund = fen,
            c if c.starts_with("5001") => expenditure += fen,
            _ => assert_eq!(fen, 0, "{code} is not zero: {a}"),
        }
    }
    assert_eq!(fund, expenditure);
    assert_eq!(w.verify(p)["valid"], true);
}

#[test]
fn cancelled_base_half_spent() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "300000.00").status, 201);
        for (cat, amount, text) in [
            ("equipment", "180000.00", "采购数控车床实训设备"),
            ("materials", "40000.00", "采购焊接实训耗材"),
            ("curriculum", "30000.00", "编印《数控加工实训指导书》"),
        ] {
            assert_eq!(w.spend(&w.unit, &p, "2025-06-01", cat, amount, text).status, 201);
        }
        let r = w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "cancelled", "reason": "建设单位注销"}));
        assert_eq!(r.status, 200, "{r:?}");
        let rec = w.get(&w.finance, &format!("/projects/{p}/recoverable"));
        assert_eq!(rec.body["recoverable"], "250000.00");
        assert_eq!(rec.body["undisbursed"], "200000.00");
        assert_eq!(rec.body["to_remit"], "50000.00");
        assert_eq!(rec.body["implemented"], "250000.00");
        let r = recover(&w, &p, "2025-07-01", "cancelled");
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!((r.body["to_remit"].as_str(), r.body["status"].as_str()), (Some("50000.00"), Some("closed")));
        assert_eq!(w.balance(&p, "2241"), "50000.00");
        assert_eq!(w.spend(&w.unit, &p, "2025-07-02", "equipment", "1.00", "采购").code(), "project_not_active");
        assert_eq!(recover(&w, &p, "2025-07-02", "cancelled").code(), "invalid_transition");
        let r = remit(&w, &w.unit, &p, "2025-07-05", "50000.01");
        assert_eq!(r.code(), "exceeds_owed", "{r:?}");
        assert_eq!(remit(&w, &w.unit, &p, "2025-07-05", "50000.00").status, 201);
        assert_eq!(remit(&w, &w.unit, &p, "2025-07-06", "1.00").code(), "nothing_owed");
        assert_eq!(w.get(&w.finance, &format!("/projects/{p}/recoverable")).body["recoverable"], "0.00");
        assert_only_spending_left(&w, &p);
        let closed = w.get(&w.hr, &format!("/projects/{p}"));
        assert_eq!(closed.body["status"], "closed");
        let r = w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "active", "reason": "x"}));
        assert_eq!(r.code(), "invalid_transition");
    });
}

#[test]
fn studio_whose_master_left_unreplaced() {
    on_each_backend(|w| {
        let p = w.studio_project("2025-04-01");
        assert_eq!(w.disburse(&p, "2025-04-10", "50000.00").status, 201);
        assert_eq!(w.spend(&w.unit, &p, "2025-05-01", "studio_equipment", "15000.00", "购置数字化电焊机一台").status, 201);
        assert_eq!(w.spend(&w.unit, &p, "2025-06-30", "apprentice_allowance", "3500.50", "发放领办人第二季度带徒津贴").status, 201);
        // Still in its period, but the master left and nobody qualified took over.
        let r = recover(&w, &p, "2025-09-01", "completed");
        assert_eq!(r.code(), "period_not_ended", "{r:?}");
        assert_recovers(&w, &p, "2025-09-01", "leader_unqualified", ["31499.50", "0.00", "31499.50"]);
        assert_eq!(remit(&w, &w.unit, &p, "2025-09-10", "20000.00").status, 201);
        assert_eq!(w.balance(&p, "2241"), "11499.50");
        assert_eq!(remit(&w, &w.finance, &p, "2025-09-20", "11499.50").status, 201);
        assert_only_spending_left(&w, &p);
        let base = w.base_project("2025-04-01");
        assert_eq!(recover(&w, &base, "2025-09-01", "leader_unqualified").code(), "validation_failed");
    });
}

#[test]
fn payables_are_settled_before_recovery() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-10", "10000.00");
        let on_credit = json!({"date": "2025-04-01", "summary": "赊购焊接耗材", "lines": [
            {"account": "materials", "debit": "1000.00", "summary": "采购焊丝"}, {"account": "2202", "credit": "1000.00", "summary": "应付某五金公司"}]});
        assert_eq!(w.post(&w.unit, &format!("/projects/{p}/vouchers"), on_credit).status, 201);
        let r = recover(&w, &p, "2025-05-01", "cancelled");
        assert_eq!((r.status, r.code(), r.body["payables"].as_str()), (409, "payables_outstanding", Some("1000.00")), "{r:?}");
        let refused = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=recovery.refused"));
        assert_eq!(refused.body["items"].as_array().map(Vec::len), Some(1), "one refusal, recorded once: {refused:?}");
        assert_eq!(refused.body["items"][0]["data"]["code"], "payables_outstanding");
        let pay = json!({"date": "2025-04-20", "summary": "支付货款", "lines": [
            {"account": "2202", "debit": "1000.00", "summary": "付某五金公司"}, {"account": "1002", "credit": "1000.00"}]});
        assert_eq!(w.post(&w.unit, &format!("/projects/{p}/vouchers"), pay).status, 201);
        assert_recovers(&w, &p, "2025-05-01", "cancelled", ["499000.00", "490000.00", "9000.00"]);
        assert_eq!(remit(&w, &w.unit, &p, "2025-05-10", "9000.00").status, 201);
        assert_only_spending_left(&w, &p);
    });
}

#[test]
fn base_at_period_end() {
    on_each_backend(|w| {
        let p = w.base_project("2023-01-01");
        w.disburse(&p, "2023-01-15", "250000.00");
        w.disburse(&p, "2024-01-15", "250000.00");
        assert_eq!(w.spend(&w.unit, &p, "2023-05-01", "equipment", "300000.00", "采购工业机器人实训工作站2套").status, 201);
        assert_eq!(w.spend(&w.unit, &p, "2024-06-01", "teacher_training", "120000.00", "选派教师参加国家级师资研修班培训费").status, 201);
        assert_eq!(w.spend(&w.unit, &p, "2024-12-31", "infrastructure", "60000.00", "实训车间地面环氧改造工程").status, 201);
        assert_eq!(w.spend(&w.unit, &p, "2025-01-01", "materials", "1.00", "采购导线").code(), "out_of_period");
        assert_eq!(recover(&w, &p, "2024-12-31", "period_ended").code(), "period_not_ended");
        // A voucher waiting for review blocks recovery until it is decided.
        let pending = w.spend(&w.unit, &p, "2024-12-30", "other_training", "500.00", "召开培训工作研讨会餐费");
        assert_eq!(pending.body["status"], "pending_review", "{pending:?}");
        let r = recover(&w, &p, "2025-01-05", "period_ended");
        assert_eq!((r.status, r.code()), (409, "pending_reviews"));
        let vid = pending.body["id"].as_str().unwrap();
        assert_eq!(w.post(&w.finance, &format!("/projects/{p}/vouchers/{vid}/decline"), json!({"reason": "与培训无关"})).status, 200);
        assert_recovers(&w, &p, "2025-01-05", "period_ended", ["20000.00", "0.00", "20000.00"]);
        let s = w.statement(&p);
        assert_eq!(
            (s["implemented"].as_str(), s["recovered"].as_str(), s["owed_to_finance"].as_str()),
            (Some("480000.00"), Some("20000.00"), Some("20000.00"))
        );
        assert_eq!(remit(&w, &w.unit, &p, "2025-01-10", "20000.00").status, 201);
        assert_only_spending_left(&w, &p);
        let trail = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=project.closed"));
        assert_eq!(trail.body["items"][0]["data"]["reason"], "period_ended");
    });
}

#[test]
fn lifecycle_changes_are_checked_and_recorded() {
    on_each_backend(|w| {
        let studio = w.studio_project("2025-03-01");
        let status = |s: &str| w.post(&w.hr, &format!("/projects/{studio}/status"), json!({"status": s, "reason": "检查"}));
        assert_eq!(status("suspended").status, 200);
        assert_eq!(status("suspended").code(), "invalid_transition");
        assert_eq!(status("completed").code(), "invalid_transition");
        assert_eq!(status("active").status, 200);
        assert_eq!(w.post(&w.finance, &format!("/projects/{studio}/status"), json!({"status": "suspended", "reason": "x"})).status, 403);
        let leader = |birth: &str, level: &str| {
            w.post(
                &w.hr,
                &format!("/projects/{studio}/leader"),
                json!({"leader": {"name": "张师傅", "skill_level": level,
                "birth_date": birth, "ethnic_skill_heir": false}, "reason": "原领办人退休"}),
            )
        };
        assert_eq!(leader("1980-01-01", "senior_worker").code(), "validation_failed");
        assert_eq!(leader("1950-01-01", "technician").code(), "validation_failed");
        let r = leader("1980-01-01", "technician");
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["leader"]["name"], "张师傅");
        let base = w.base_project("2025-03-01");
        let r = w.post(
            &w.hr,
            &format!("/projects/{base}/leader"),
            json!({"leader": {"name": "x", "skill_level": "technician", "birth_date": "1980-01-01"}}),
        );
        assert_eq!(r.code(), "invalid_transition");
        let r = w.post(&w.hr, &format!("/projects/{base}/name"), json!({"name": "赤峰市数控技术培训基地（更名）", "reason": "单位更名"}));
        assert_eq!((r.status, r.body["name"].as_str()), (200, Some("赤峰市数控技术培训基地（更名）")));
        let trail = w.get(&w.inspector, &format!("/projects/{studio}/audit-trail"));
        let actions: Vec<&str> = trail.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(
            actions,
            ["project.registered", "voucher.posted", "project.status_changed", "project.status_changed", "project.leader_replaced"]
        );
    });
}
