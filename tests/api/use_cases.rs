//! Issue 13: the use cases behind the money routes, typed states read strictly from the database.

use crate::common::{on_each_backend, Db, World};
use diesel::{Connection, RunQueryDsl};
use serde_json::json;

/// Runs SQL straight on the test's database, behind the service's back.
fn tamper(w: &World, sql: &str) {
    let changed = match w.db {
        Db::Sqlite => diesel::sql_query(sql).execute(&mut diesel::SqliteConnection::establish(&w.fresh.url).unwrap()),
        Db::Postgres => diesel::sql_query(sql).execute(&mut diesel::PgConnection::establish(&w.fresh.url).unwrap()),
    };
    assert_eq!(changed.unwrap(), 1, "{sql}");
}

#[test]
fn a_stored_value_that_does_not_parse_is_an_internal_error_not_a_default() {
    on_each_backend(|w| {
        let project = |tamper_with: &str| {
            let p = w.base_project("2025-03-01");
            tamper(&w, &tamper_with.replace("{p}", &p));
            p
        };
        let internal = |path: String| {
            let r = w.get(&w.finance, &path);
            assert_eq!((r.status, r.code()), (500, "internal_error"), "{path}: {r:?}");
        };
        let p = project("UPDATE projects SET status = 'archived' WHERE id = '{p}'");
        internal(format!("/projects/{p}"));
        let r = w.disburse(&p, "2025-03-10", "100.00");
        assert_eq!((r.status, r.code()), (500, "internal_error"), "{r:?}");
        let p = project("UPDATE projects SET kind = 'academy' WHERE id = '{p}'");
        internal(format!("/projects/{p}"));
        let p = project("UPDATE projects SET end_date = '2027-02-31' WHERE id = '{p}'");
        internal(format!("/projects/{p}"));
        let p = project("UPDATE accounts SET side = 'sideways' WHERE project_id = '{p}' AND code = '1002'");
        internal(format!("/projects/{p}/balances"));
        let p = project("UPDATE vouchers SET kind = 'gift' WHERE project_id = '{p}'");
        internal(format!("/projects/{p}/vouchers"));
        let p = project("UPDATE vouchers SET date = '2025-3-1' WHERE project_id = '{p}'");
        internal(format!("/projects/{p}/vouchers"));
        let p = project("UPDATE vouchers SET status = 'void' WHERE project_id = '{p}'");
        internal(format!("/projects/{p}/vouchers"));
        // An untouched project still reads.
        let p = w.base_project("2025-03-01");
        assert_eq!(w.get(&w.finance, &format!("/projects/{p}")).status, 200);
        let r = w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "suspended", "reason": "整改"}));
        assert_eq!((r.status, &r.body["status"]), (200, &json!("suspended")), "{r:?}");
    });
}

fn keys(v: &serde_json::Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(|k| k.as_str()).collect();
    k.sort_unstable();
    k
}

const VOUCHER: [&str; 17] = [
    "attachments",
    "created_at",
    "created_by",
    "date",
    "decision",
    "id",
    "kind",
    "lines",
    "number",
    "project_id",
    "reference",
    "reserved",
    "reversed_by_id",
    "reverses_id",
    "status",
    "summary",
    "total",
];
const LINE: [&str; 6] = ["account", "classification", "credit", "debit", "line_no", "summary"];
const JUDGED: [&str; 5] = ["account", "category", "line", "reasons", "verdict"];

/// The answers of the money routes keep their fields; a decision answered from memory is what a
/// later read of the voucher shows.
#[test]
fn money_answers_keep_their_fields_and_match_what_is_read_back() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        let d = w.disburse(&p, "2025-03-10", "2000.00");
        assert_eq!((d.status, keys(&d.body)), (201, VOUCHER.to_vec()), "{d:?}");
        assert_eq!(keys(&d.body["lines"][0]), LINE);
        assert_eq!(
            (&d.body["kind"], &d.body["reference"], &d.body["decision"]),
            (&json!("disbursement"), &json!("财拨[2025]1号"), &json!(null))
        );
        let meal = |w: &World| w.spend(&w.unit, &p, "2025-03-18", "other_training", "800.00", "召开培训工作研讨会餐费");
        let held = meal(&w);
        assert_eq!(
            (held.status, &held.body["status"], &held.body["reserved"], &held.body["number"]),
            (201, &json!("pending_review"), &json!("800.00"), &json!(null))
        );
        assert_eq!(keys(&held.body["lines"][0]["classification"]), ["category", "model_version", "reasons", "rules_version", "verdict"]);
        assert_eq!(held.body["lines"][1]["classification"], json!(null));
        let queue = w.get(&w.finance, "/reviews");
        let item = &queue.body["items"][0];
        let mut reviewed = VOUCHER.to_vec();
        reviewed.push("project_name");
        reviewed.sort_unstable();
        assert_eq!(keys(item), reviewed);
        assert_eq!(item["project_name"], "数控技术高技能人才培训基地");
        let vid = held.body["id"].as_str().unwrap();
        let approved = w.post(&w.finance, &format!("/projects/{p}/vouchers/{vid}/approve"), json!({"note": " 符合会议费标准 "}));
        assert_eq!(
            (approved.status, &approved.body["status"], &approved.body["reserved"]),
            (200, &json!("posted"), &json!("0.00")),
            "{approved:?}"
        );
        assert_eq!(keys(&approved.body["decision"]), ["at", "by", "note", "outcome", "username"]);
        assert_eq!(
            (&approved.body["decision"]["outcome"], &approved.body["decision"]["note"]),
            (&json!("approved"), &json!("符合会议费标准"))
        );
        assert_eq!(w.get(&w.finance, &format!("/projects/{p}/vouchers/{vid}")).body, approved.body);
        let second = meal(&w).body["id"].as_str().unwrap().to_string();
        let declined = w.post(&w.finance, &format!("/projects/{p}/vouchers/{second}/decline"), json!({"reason": "超标准"}));
        assert_eq!(
            (declined.status, &declined.body["status"], &declined.body["decision"]["outcome"]),
            (200, &json!("declined"), &json!("declined"))
        );
        assert_eq!(w.get(&w.finance, &format!("/projects/{p}/vouchers/{second}")).body, declined.body);

        let c = w.post(
            &w.unit,
            "/classify",
            json!({"project_kind": "base", "summary": "研讨会", "lines": [
                {"account": "other_training", "debit": "800.00", "summary": "餐费"}, {"account": "1002", "credit": "800.00"}]}),
        );
        assert_eq!((c.status, keys(&c.body)), (200, vec!["lines", "model_version", "project_kind", "rules_version", "verdict"]), "{c:?}");
        assert_eq!((&c.body["project_kind"], &c.body["verdict"]), (&json!("base"), &json!("review")));
        assert_eq!(keys(&c.body["lines"][0]), JUDGED);
        assert_eq!(c.body["lines"][1], json!({"line": 2, "account": "1002", "verdict": null}));
        let r = w.spend(&w.unit, &p, "2025-03-19", "teacher_training", "560.00", "教师参加研修班往返动车票");
        assert_eq!((r.status, r.code()), (422, "voucher_rejected"));
        assert_eq!(keys(&r.body["lines"][0]), JUDGED);
        assert_eq!(r.body["lines"][1], json!({"line": 2, "account": "1002", "verdict": null}));

        let s = w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "cancelled", "reason": "建设单位注销"}));
        assert_eq!((s.status, &s.body["status"]), (200, &json!("cancelled")), "{s:?}");
        assert!(s.body.get("accounts").is_none(), "{s:?}");
        let rec =
            w.post(&w.finance, &format!("/projects/{p}/recovery"), json!({"date": "2025-04-01", "reason": "cancelled", "note": " 注销 "}));
        assert_eq!(rec.status, 201, "{rec:?}");
        assert_eq!(keys(&rec.body), ["project_id", "reason", "recoverable", "status", "to_remit", "undisbursed", "voucher"]);
        assert_eq!(
            (&rec.body["status"], &rec.body["reason"], &rec.body["to_remit"]),
            (&json!("closed"), &json!("cancelled"), &json!("1200.00"))
        );
        assert_eq!(keys(&rec.body["voucher"]), VOUCHER);
        assert_eq!(rec.body["voucher"]["summary"], "收回未实施补助资金 recovery of unspent funds (cancelled) 注销");
    });
}
