//! Issue 6: the tamper-evident audit trail, checked from outside and attacked from inside.

use crate::common::{call, on_each_backend, Db, World};
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Runs SQL straight against the service's database, as an attacker with database access would.
fn sql(w: &World, statement: &str) -> Result<usize, diesel::result::Error> {
    match w.db {
        Db::Sqlite => diesel::sql_query(statement).execute(&mut diesel::SqliteConnection::establish(&w.fresh.url).unwrap()),
        Db::Postgres => diesel::sql_query(statement).execute(&mut diesel::PgConnection::establish(&w.fresh.url).unwrap()),
    }
}

fn busy_project(w: &World) -> String {
    let p = w.base_project("2025-03-01");
    w.disburse(&p, "2025-03-02", "10000.00");
    w.spend(&w.unit, &p, "2025-03-03", "equipment", "1000.00", "购置台式钻床一台");
    w.spend(&w.unit, &p, "2025-03-03", "teacher_training", "200.00", "教师参加研修班往返动车票");
    w.spend(&w.unit, &p, "2025-03-04", "materials", "99.99", "购买焊条");
    p
}

#[test]
fn an_inspector_can_verify_the_download_independently() {
    on_each_backend(|w| {
        let p = busy_project(&w);
        let r = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?format=jsonl"));
        assert_eq!(r.status, 200);
        let mut prev = "0".repeat(64);
        let mut n = 0;
        for (i, line) in r.text.lines().enumerate() {
            let e: Value = serde_json::from_str(line).unwrap();
            assert_eq!(e["seq"], i as i64 + 1);
            assert_eq!(e["prev_hash"], prev.as_str());
            let canonical = e["canonical"].as_str().unwrap();
            assert_eq!(hex::encode(Sha256::digest(canonical.as_bytes())), e["hash"].as_str().unwrap());
            // The canonical text is exactly the hashed fields of the event.
            let fields: Value = serde_json::from_str(canonical).unwrap();
            for k in ["seq", "at", "actor", "action", "object", "data", "prev_hash"] {
                assert_eq!(fields[k], e[k], "{k}");
            }
            prev = e["hash"].as_str().unwrap().to_string();
            n += 1;
        }
        let v = w.verify(&p);
        assert_eq!((v["valid"].as_bool(), v["events"].as_i64(), v["head"].as_str()), (Some(true), Some(n), Some(prev.as_str())));
        let actions: Vec<String> =
            r.text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["action"].as_str().unwrap().to_string()).collect();
        assert_eq!(
            actions,
            ["project.registered", "voucher.posted", "voucher.posted", "voucher.posted", "voucher.refused", "voucher.posted"]
        );
        // Pages chain together through the cursor.
        let first = w.get(&w.finance, &format!("/projects/{p}/audit-trail?limit=4"));
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let rest = w.get(&w.finance, &format!("/projects/{p}/audit-trail?limit=4&cursor={cursor}"));
        assert_eq!(rest.body["items"].as_array().unwrap().len(), 2);
        assert!(rest.body["next_cursor"].is_null());
        // The CSV holds the same events as the JSONL download, column for column.
        let csv = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?format=csv"));
        let mut rd = csv::Reader::from_reader(csv.text.trim_start_matches('\u{feff}').as_bytes());
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 6);
        assert_eq!(
            rd.headers().unwrap(),
            vec!["seq", "at", "username", "role", "action", "object", "data", "prev_hash", "hash", "canonical"]
        );
        for (row, line) in rows.iter().zip(r.text.lines()) {
            let e: Value = serde_json::from_str(line).unwrap();
            let text = |v: &Value| v.as_str().unwrap().to_string();
            let expected = [
                e["seq"].to_string(),
                text(&e["at"]),
                text(&e["actor"]["username"]),
                text(&e["actor"]["role"]),
                text(&e["action"]),
                text(&e["object"]),
                e["data"].to_string(),
                text(&e["prev_hash"]),
                text(&e["hash"]),
                text(&e["canonical"]),
            ];
            assert_eq!(row.iter().collect::<Vec<_>>(), expected.iter().map(String::as_str).collect::<Vec<_>>());
        }
        // Time bounds: a date, or an instant in any offset; anything else is refused up front.
        let at = |i: usize| serde_json::from_str::<Value>(r.text.lines().nth(i).unwrap()).unwrap()["at"].as_str().unwrap().to_string();
        let since = chrono::DateTime::parse_from_rfc3339(&at(3)).unwrap().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        let later = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?from={}", since.to_rfc3339().replace('+', "%2B")));
        assert_eq!(later.body["items"][0]["seq"], 4, "{later:?}");
        let until = chrono::DateTime::parse_from_rfc3339(&at(2)).unwrap().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        let earlier = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?to={}", until.to_rfc3339().replace('+', "%2B")));
        let seqs: Vec<i64> = earlier.body["items"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, [1, 2, 3], "`to` includes the instant given: {earlier:?}");
        // A date bounds whole days: from its first to its last microsecond.
        let day = &at(0)[..10];
        let that_day = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?from={day}&to={day}"));
        assert_eq!(that_day.body["items"].as_array().unwrap().len(), 6, "{that_day:?}");
        for bad in ["to=2025-13-99", "from=yesterday", "format=xml"] {
            let r = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?{bad}"));
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{bad}");
        }
        let global = w.get(&w.inspector, "/audit-trail?action=user.created");
        assert_eq!(global.body["items"].as_array().unwrap().len(), 6, "admin and five users");
        assert_eq!(w.get(&w.inspector, "/audit-trail/verify").body["valid"], true);
        assert_eq!(w.get(&w.finance, "/audit-trail").status, 403);
    });
}

#[test]
fn editing_a_stored_event_is_refused_and_detected() {
    on_each_backend(|w| {
        let p = busy_project(&w);
        let edit = format!("UPDATE audit_events SET data = '{{\"amount\":\"1.00\"}}' WHERE chain_id = '{p}' AND seq = 3");
        assert!(sql(&w, &edit).is_err(), "the append-only trigger refuses updates");
        assert!(sql(&w, &format!("DELETE FROM audit_events WHERE chain_id = '{p}' AND seq = 6")).is_err());
        // An attacker with DDL rights removes the guard first; verification still finds the edit.
        match w.db {
            Db::Sqlite => {
                sql(&w, "DROP TRIGGER audit_events_no_update").unwrap();
            }
            Db::Postgres => {
                sql(&w, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only").unwrap();
            }
        }
        assert_eq!(sql(&w, &edit).unwrap(), 1);
        let v = w.verify(&p);
        assert_eq!((v["valid"].as_bool(), v["broken_seq"].as_i64()), (Some(false), Some(3)), "{v}");
        // A forged hash of its own is caught at the event itself.
        let p2 = busy_project(&w);
        sql(&w, &format!("UPDATE audit_events SET hash = '{}' WHERE chain_id = '{p2}' AND seq = 2", "f".repeat(64))).unwrap();
        let v = w.verify(&p2);
        assert_eq!(v["broken_seq"], 2, "{v}");
        // An edit with a correctly recomputed hash breaks the link from the next event instead.
        let p4 = busy_project(&w);
        let e = w.get(&w.inspector, &format!("/projects/{p4}/audit-trail?limit=3")).body["items"][2].clone();
        let actor: fundledger::domain::audit::Actor = fundledger::domain::audit::Actor {
            user_id: e["actor"]["user_id"].as_str().unwrap().into(),
            username: e["actor"]["username"].as_str().unwrap().into(),
            role: e["actor"]["role"].as_str().unwrap().into(),
        };
        let forged = json!({"amount": "1.00"});
        let text = fundledger::domain::audit::canonical(
            3,
            e["at"].as_str().unwrap(),
            &actor,
            e["action"].as_str().unwrap(),
            e["object"].as_str().unwrap(),
            &forged,
            e["prev_hash"].as_str().unwrap(),
        );
        let hash = fundledger::domain::audit::sha256_hex(&text);
        let edit = format!("UPDATE audit_events SET data = '{forged}', hash = '{hash}' WHERE chain_id = '{p4}' AND seq = 3");
        assert_eq!(sql(&w, &edit).unwrap(), 1);
        let v = w.verify(&p4);
        assert_eq!(
            (v["broken_seq"].as_i64(), v["problem"].as_str()),
            (Some(4), Some("prev_hash does not match the previous event's hash")),
            "{v}"
        );
        // Bytes that are not text where text belongs (SQLite stores a blob as it is) are caught
        // at that event, and reported, not fatal to the verifier.
        let garbage = match w.db {
            Db::Sqlite => "X'00FFFE7B'",
            Db::Postgres => "E'\\x01\\x7f'",
        };
        for column in ["data", "actor_username"] {
            let p5 = busy_project(&w);
            let edit = format!("UPDATE audit_events SET {column} = {garbage} WHERE chain_id = '{p5}' AND seq = 2");
            assert_eq!(sql(&w, &edit).unwrap(), 1, "{edit}");
            let v = w.verify(&p5);
            assert_eq!((v["valid"].as_bool(), v["broken_seq"].as_i64()), (Some(false), Some(2)), "{column}: {v}");
            if w.db == Db::Sqlite {
                assert_eq!(v["problem"], "a stored field is not UTF-8 text", "{v}");
            }
        }
        // Cutting events off the end is caught: the chain records its length and head.
        let p3 = busy_project(&w);
        let n = w.verify(&p3)["events"].as_i64().unwrap();
        if w.db == Db::Sqlite {
            sql(&w, "DROP TRIGGER audit_events_no_delete").unwrap();
        }
        assert_eq!(sql(&w, &format!("DELETE FROM audit_events WHERE chain_id = '{p3}' AND seq = {n}")).unwrap(), 1);
        let v = w.verify(&p3);
        assert_eq!((v["valid"].as_bool(), v["broken_seq"].as_i64(), v["events"].as_i64()), (Some(false), Some(n), Some(n - 1)), "{v}");
    });
}

#[test]
fn the_chain_stays_linear_under_parallel_postings() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "100000.00");
        let posting = std::sync::atomic::AtomicBool::new(true);
        std::thread::scope(|s| {
            // Verifying while events are appended checks the chain as it stood when the
            // verification began: never a false alarm.
            s.spawn(|| {
                let mut checks = 0;
                while posting.load(std::sync::atomic::Ordering::Relaxed) || checks == 0 {
                    let v = w.verify(&p);
                    assert_eq!(v["valid"], true, "{v}");
                    checks += 1;
                }
            });
            let mut posters = Vec::new();
            for t in 0..8 {
                let (w, p) = (&w, &p);
                posters.push(s.spawn(move || {
                    for i in 0..5 {
                        let body = json!({"date": "2025-03-05", "summary": format!("第{t}-{i}批耗材"), "lines": [
                            {"account": "materials", "debit": "10.00", "summary": "购买焊丝"}, {"account": "1002", "credit": "10.00"}]});
                        let r = call("POST", &w.url(&format!("/projects/{p}/vouchers")), Some(&w.unit), Some(&body), &[]);
                        assert_eq!(r.status, 201, "{r:?}");
                    }
                }));
            }
            let results: Vec<_> = posters.into_iter().map(|h| h.join()).collect();
            posting.store(false, std::sync::atomic::Ordering::Relaxed);
            for r in results {
                if let Err(panic) = r {
                    std::panic::resume_unwind(panic);
                }
            }
        });
        let v = w.verify(&p);
        assert_eq!((v["valid"].as_bool(), v["events"].as_i64()), (Some(true), Some(43)), "{v}");
    });
}
