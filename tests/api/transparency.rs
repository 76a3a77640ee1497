//! Issue 17: each chain is a Merkle tree with signed checkpoints. The proofs are checked by an
//! RFC 9162 checker written separately in Python (`tests/tools/rfc9162.py`), the checkpoint's
//! signature with ed25519-dalek alone; then an insider rewrites or cuts the chain in the database
//! and a kept checkpoint exposes it.
use crate::common::{call, on_each_backend, Db, World};
use base64::Engine;
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};

fn sql(w: &World, statement: &str) {
    match w.db {
        Db::Sqlite => diesel::sql_query(statement).execute(&mut diesel::SqliteConnection::establish(&w.fresh.url).unwrap()),
        Db::Postgres => diesel::sql_query(statement).execute(&mut diesel::PgConnection::establish(&w.fresh.url).unwrap()),
    }
    .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

fn text(w: &World, token: &str, path: &str) -> String {
    let r = w.get(token, path);
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.text
}

/// (origin, size, root) of a checkpoint, its signature checked against `/audit-key` with
/// ed25519-dalek only (C2SP signed-note: the signature line is "— <name> base64(key id ‖ sig)").
fn open_checkpoint(w: &World, note: &str) -> (String, u64, Vec<u8>) {
    let key = call("GET", &w.url("/audit-key"), None, None, &[]);
    assert_eq!(key.status, 200);
    let parts: Vec<&str> = key.text.trim().splitn(3, '+').collect();
    let (name, raw) = (parts[0], base64::engine::general_purpose::STANDARD.decode(parts[2]).unwrap());
    assert_eq!(raw[0], 1, "an Ed25519 key");
    let public = ed25519_dalek::VerifyingKey::from_bytes(raw[1..].try_into().unwrap()).unwrap();
    let (body, sigs) = note.split_once("\n\n").expect("a blank line before the signatures");
    let body = format!("{body}\n");
    let line = sigs.lines().next().unwrap();
    let rest = line.strip_prefix(&format!("— {name} ")).unwrap_or_else(|| panic!("signed by {name}: {line}"));
    let sig = base64::engine::general_purpose::STANDARD.decode(rest).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&sig[4..]).unwrap();
    public.verify_strict(body.as_bytes(), &sig).expect("the checkpoint's signature holds");
    let lines: Vec<&str> = body.lines().collect();
    (lines[0].to_string(), lines[1].parse().unwrap(), base64::engine::general_purpose::STANDARD.decode(lines[2]).unwrap())
}

fn python(input: &Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/rfc9162.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs the independent RFC 9162 checker");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn canonicals(w: &World, p: &str) -> Vec<String> {
    let trail = text(w, &w.inspector, &format!("/projects/{p}/audit-trail?format=jsonl"));
    trail.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["canonical"].as_str().unwrap().to_string()).collect()
}

fn spend_some(w: &World, p: &str, n: usize) {
    for i in 0..n {
        assert_eq!(w.spend(&w.unit, p, "2025-03-05", "materials", &format!("{}.00", 10 + i), "购买焊条").status, 201);
    }
}

#[test]
fn checkpoints_and_proofs_check_with_an_independent_verifier() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "10000.00");
        spend_some(&w, &p, 4);
        let old_note = text(&w, &w.inspector, &format!("/projects/{p}/audit-trail/checkpoint"));
        let (origin, old_size, old_root) = open_checkpoint(&w, &old_note);
        assert!(origin.ends_with(&format!("/projects/{p}")), "{origin}");
        assert_eq!(old_size as usize, canonicals(&w, &p).len());
        // More events, through the posting batch on PostgreSQL.
        spend_some(&w, &p, 7);
        assert_eq!(w.spend(&w.unit, &p, "2025-03-06", "travel", "100.00", "差旅费").status, 422);
        let note = text(&w, &w.finance, &format!("/projects/{p}/audit-trail/checkpoint"));
        let (_, size, root) = open_checkpoint(&w, &note);
        let leaves = canonicals(&w, &p);
        assert_eq!(size as usize, leaves.len());

        let mut inclusion = Vec::new();
        for seq in 1..=size {
            for tree_size in [seq, size] {
                let r = w.get(&w.inspector, &format!("/projects/{p}/audit-trail/proof/inclusion?seq={seq}&tree_size={tree_size}"));
                assert_eq!(r.status, 200, "{}", r.text);
                inclusion.push(r.body);
            }
        }
        let mut consistency = Vec::new();
        for from in 1..=size {
            let r = w.get(&w.inspector, &format!("/projects/{p}/audit-trail/proof/consistency?from={from}"));
            assert_eq!(r.status, 200, "{}", r.text);
            let mut proof = r.body;
            proof["to_root"] = json!(hex::encode(&root));
            consistency.push(proof);
        }
        let checked = python(&json!({"leaves": leaves, "size": size, "inclusion": inclusion}));
        assert_eq!(checked["mth"], hex::encode(&root), "the checkpoint's root is the RFC 9162 hash of the events");
        assert!(checked["inclusion"].as_array().unwrap().iter().all(|ok| ok == true), "{checked}");
        // The checker does refuse: a proof with one hash changed fails.
        let mut broken = inclusion.last().unwrap().clone();
        broken["hashes"][0] = json!("00".repeat(32));
        assert_eq!(python(&json!({"leaves": leaves, "size": size, "inclusion": [broken]}))["inclusion"], json!([false]));
        // The consistency proofs need each older root: the checker computed them from the leaves.
        let from_roots: Vec<Value> = (1..=size).map(|m| python(&json!({"leaves": leaves, "size": m}))["mth"].clone()).collect();
        let consistency: Vec<Value> = consistency
            .into_iter()
            .zip(from_roots)
            .map(|(mut c, r)| {
                c["from_root"] = r;
                c
            })
            .collect();
        let checked = python(&json!({"leaves": leaves, "size": size, "consistency": consistency}));
        assert!(checked["consistency"].as_array().unwrap().iter().all(|ok| ok == true), "{checked}");
        let mut broken = consistency[2].clone();
        broken["hashes"][0] = json!("00".repeat(32));
        assert_eq!(python(&json!({"leaves": leaves, "size": size, "consistency": [broken]}))["consistency"], json!([false]));
        assert_eq!(python(&json!({"leaves": leaves, "size": old_size}))["mth"], hex::encode(&old_root));

        // Verify agrees, with the kept checkpoint too.
        let kept = urlencoding(&old_note);
        let v = w.get(&w.inspector, &format!("/projects/{p}/audit-trail/verify?checkpoint={kept}"));
        assert_eq!(v.status, 200, "{}", v.text);
        assert_eq!(v.body["valid"], true, "{}", v.text);
        assert_eq!(v.body["tree_root"], hex::encode(&root));
        assert_eq!(v.body["checkpoint"], json!({"size": old_size, "consistent": true}));

        // Bounds, another chain's checkpoint, a forged one.
        let bad = w.get(&w.inspector, &format!("/projects/{p}/audit-trail/proof/inclusion?seq={}", size + 1));
        assert_eq!((bad.status, bad.code()), (422, "validation_failed"));
        let bad = w.get(&w.inspector, &format!("/projects/{p}/audit-trail/proof/consistency?from=3&to=2"));
        assert_eq!((bad.status, bad.code()), (422, "validation_failed"));
        let other = w.base_project("2025-03-01");
        let wrong = w.get(&w.inspector, &format!("/projects/{other}/audit-trail/verify?checkpoint={kept}"));
        assert_eq!((wrong.status, wrong.code()), (422, "validation_failed"));
        let forged = urlencoding(&old_note.replacen(&format!("\n{old_size}\n"), &format!("\n{}\n", old_size - 1), 1));
        let wrong = w.get(&w.inspector, &format!("/projects/{p}/audit-trail/verify?checkpoint={forged}"));
        assert_eq!((wrong.status, wrong.code()), (422, "validation_failed"));
        // The global chain has its own.
        let (origin, size, _) = open_checkpoint(&w, &text(&w, &w.inspector, "/audit-trail/checkpoint"));
        assert!(origin.ends_with("/global") && size > 0, "{origin} {size}");
        assert_eq!(w.get(&w.unit, "/audit-trail/checkpoint").status, 403);
    });
}

/// An insider with the database deletes the last events and sets the chain's head back, so the
/// chain alone verifies; the checkpoint an inspector kept before shows the cut.
#[test]
fn a_kept_checkpoint_exposes_a_chain_cut_back_or_rewritten() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "10000.00");
        spend_some(&w, &p, 3);
        let kept = text(&w, &w.inspector, &format!("/projects/{p}/audit-trail/checkpoint"));
        let events = canonicals(&w, &p).len() as i64;
        let trail = text(&w, &w.inspector, &format!("/projects/{p}/audit-trail?format=jsonl"));
        let before_last: Value = serde_json::from_str(trail.lines().nth(events as usize - 2).unwrap()).unwrap();
        match w.db {
            Db::Sqlite => {
                sql(&w, "DROP TRIGGER audit_events_no_delete");
                sql(&w, "DROP TRIGGER audit_tree_no_delete");
            }
            Db::Postgres => {
                sql(&w, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
                sql(&w, "ALTER TABLE audit_tree DISABLE TRIGGER audit_tree_append_only");
            }
        }
        sql(&w, &format!("DELETE FROM audit_events WHERE chain_id = '{p}' AND seq = {events}"));
        // The thorough insider also rebuilds the tree's state for the shorter chain.
        let head = before_last["hash"].as_str().unwrap();
        sql(&w, &format!("UPDATE audit_chains SET seq = {}, head = '{head}' WHERE chain_id = '{p}'", events - 1));
        let rebuilt = rebuild_tree(&w, &p, events - 1);
        sql(&w, &format!("UPDATE audit_chains SET tree_size = {}, tree_frontier = '{rebuilt}' WHERE chain_id = '{p}'", events - 1));
        let alone = w.verify(&p);
        assert!(alone.get("broken_seq").is_none() && alone["tree_root"].is_string(), "the cut chain holds by itself: {alone}");
        // Only the books, which still hold the voucher the cut event recorded, tell without a checkpoint.
        assert_eq!((&alone["valid"], &alone["reconciled"], &alone["mismatch"]["field"]), (&json!(false), &json!(false), &json!("row")));
        let v = w.get(&w.inspector, &format!("/projects/{p}/audit-trail/verify?checkpoint={}", urlencoding(&kept)));
        assert_eq!(v.body["valid"], false, "{}", v.text);
        assert_eq!(v.body["checkpoint"], json!({"size": events, "consistent": false}));
        assert!(v.body["problem"].as_str().unwrap().contains("cut back"), "{}", v.text);
        // An insider who edits the tree's recorded state alone is caught without a checkpoint.
        sql(
            &w,
            &format!(
                "UPDATE audit_chains SET tree_frontier = '{}' WHERE chain_id = '{p}'",
                "ab".repeat(32 * (events - 1).count_ones() as usize)
            ),
        );
        let v = w.verify(&p);
        assert_eq!(v["valid"], false, "{v}");
        assert!(v["problem"].as_str().unwrap().contains("Merkle tree"), "{v}");
    });
}

/// The frontier of the first `n` events, as an insider would compute it to cover a cut.
fn rebuild_tree(w: &World, p: &str, n: i64) -> String {
    use sha2::{Digest, Sha256};
    let leaves: Vec<[u8; 32]> =
        canonicals(w, p).iter().take(n as usize).map(|c| Sha256::new().chain_update([0u8]).chain_update(c).finalize().into()).collect();
    // Complete subtrees left to right, one per set bit of n.
    let mut out = String::new();
    let mut start = 0usize;
    for bit in (0..63).rev() {
        let size = 1usize << bit;
        if n as usize & size != 0 {
            out.push_str(&hex::encode(subtree(&leaves[start..start + size])));
            start += size;
        }
    }
    out
}

fn subtree(leaves: &[[u8; 32]]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    if leaves.len() == 1 {
        return leaves[0];
    }
    let (l, r) = leaves.split_at(leaves.len() / 2);
    Sha256::new().chain_update([1u8]).chain_update(subtree(l)).chain_update(subtree(r)).finalize().into()
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The append-only triggers an insider with the database drops before editing the books.
fn drop_triggers(w: &World) {
    let statements: &[&str] = match w.db {
        Db::Sqlite => &[
            "DROP TRIGGER voucher_lines_no_update",
            "DROP TRIGGER voucher_lines_no_delete",
            "DROP TRIGGER audit_events_no_delete",
            "DROP TRIGGER audit_tree_no_delete",
        ],
        Db::Postgres => &[
            "ALTER TABLE voucher_lines DISABLE TRIGGER voucher_lines_append_only",
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
            "ALTER TABLE audit_tree DISABLE TRIGGER audit_tree_append_only",
        ],
    };
    statements.iter().for_each(|s| sql(w, s));
}

/// A project with a disbursement and three expenses, its books and chain in agreement; the id
/// of the voucher numbered `number`.
fn reconciled_project(w: &World) -> (String, impl Fn(i64) -> String + '_) {
    let p = w.base_project("2025-03-01");
    w.disburse(&p, "2025-03-02", "10000.00");
    spend_some(w, &p, 3);
    let v = w.verify(&p);
    assert_eq!((&v["valid"], &v["reconciled"]), (&json!(true), &json!(true)), "{v}");
    assert!(v.get("mismatch").is_none(), "{v}");
    let q = p.clone();
    let id = move |number: i64| {
        let all = crate::common::all_vouchers(w, &q);
        all.iter().find(|v| v["number"] == number).unwrap_or_else(|| panic!("voucher {number}"))["id"].as_str().unwrap().to_string()
    };
    (p, id)
}

fn mismatch(w: &World, p: &str) -> Value {
    let v = w.verify(p);
    assert_eq!((&v["valid"], &v["reconciled"]), (&json!(false), &json!(false)), "{v}");
    v["mismatch"].clone()
}

/// Issue 17: the four edits an insider made unseen, with the triggers dropped first, are each
/// reported by `verify` as the first place the tables differ from the chain's events.
#[test]
fn verify_reconciles_the_books_with_the_chain() {
    on_each_backend(|w| {
        drop_triggers(&w);

        // 100,000.00 added to one line's debit: the line is wrong before any total is.
        let (p, id) = reconciled_project(&w);
        let vid = id(4);
        sql(&w, &format!("UPDATE voucher_lines SET debit_fen = debit_fen + 10000000 WHERE voucher_id = '{vid}' AND line_no = 1"));
        let m = mismatch(&w, &p);
        assert_eq!((&m["table"], &m["key"], &m["field"]), (&json!("line"), &json!(format!("{vid}/1")), &json!("debit")), "{m}");
        assert_eq!(
            (&m["chain"], &m["table_value"]),
            (&json!("500102 debit 11.00 credit 0.00"), &json!("500102 debit 100011.00 credit 0.00"))
        );

        // A voucher deleted, lines and all.
        let (p, id) = reconciled_project(&w);
        let vid = id(3);
        sql(&w, &format!("DELETE FROM voucher_lines WHERE voucher_id = '{vid}'"));
        sql(&w, &format!("DELETE FROM vouchers WHERE id = '{vid}'"));
        let m = mismatch(&w, &p);
        assert_eq!((&m["table"], &m["key"], &m["field"]), (&json!("voucher"), &json!(vid), &json!("row")), "{m}");
        assert!(m.get("table_value").is_none(), "{m}");

        // A reversed voucher flipped back to posted.
        let (p, id) = reconciled_project(&w);
        let vid = id(3);
        let r = w.post(&w.unit, &format!("/projects/{p}/vouchers/{vid}/reverse"), json!({"date": "2025-03-06", "reason": "重复入账"}));
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(w.verify(&p)["reconciled"], true);
        sql(&w, &format!("UPDATE vouchers SET status = 'posted', reversed_by_id = NULL WHERE id = '{vid}'"));
        let m = mismatch(&w, &p);
        assert_eq!((&m["table"], &m["key"], &m["field"]), (&json!("voucher"), &json!(vid), &json!("status")), "{m}");
        assert_eq!((&m["chain"], &m["table_value"]), (&json!("reversed"), &json!("posted")));

        // The last event deleted and the head set back (the tree's state too): the chain holds by
        // itself, but the voucher that event recorded is in the tables and not in the chain.
        let (p, id) = reconciled_project(&w);
        let vid = id(5);
        let trail = text(&w, &w.inspector, &format!("/projects/{p}/audit-trail?format=jsonl"));
        let events = trail.lines().count() as i64;
        let before_last: Value = serde_json::from_str(trail.lines().nth(events as usize - 2).unwrap()).unwrap();
        let rebuilt = rebuild_tree(&w, &p, events - 1);
        sql(&w, &format!("DELETE FROM audit_events WHERE chain_id = '{p}' AND seq = {events}"));
        let head = before_last["hash"].as_str().unwrap();
        sql(
            &w,
            &format!(
                "UPDATE audit_chains SET seq = {n}, head = '{head}', tree_size = {n}, tree_frontier = '{rebuilt}' WHERE chain_id = '{p}'",
                n = events - 1
            ),
        );
        let m = mismatch(&w, &p);
        assert_eq!((&m["table"], &m["key"], &m["field"]), (&json!("voucher"), &json!(vid), &json!("row")), "{m}");
        assert!(m.get("chain").is_none(), "{m}");
    });
}

/// An account's stored total edited alone (the lines untouched) is reported too.
#[test]
fn verify_reconciles_the_account_totals() {
    on_each_backend(|w| {
        let (p, _) = reconciled_project(&w);
        sql(&w, &format!("UPDATE accounts SET credit_fen = credit_fen - 100 WHERE project_id = '{p}' AND code = '1002'"));
        let m = mismatch(&w, &p);
        assert_eq!((&m["table"], &m["key"], &m["field"]), (&json!("account"), &json!("1002"), &json!("credit")), "{m}");
    });
}

/// The project row's copy of a fixed account's totals (what the portfolio reads) edited alone is
/// reported too: the bank balance raised on the bureau's overview while the books say otherwise.
#[test]
fn verify_reconciles_the_project_rows_copy_of_the_fixed_accounts() {
    on_each_backend(|w| {
        let (p, _) = reconciled_project(&w);
        let listed = |w: &World| w.get(&w.finance, "/statements?limit=500").body["totals"]["bank_balance"].clone();
        let before = listed(&w);
        sql(&w, &format!("UPDATE projects SET bank_credit_fen = bank_credit_fen - 10000 WHERE id = '{p}'"));
        assert_ne!(listed(&w), before, "the edit changes what the portfolio shows");
        let m = mismatch(&w, &p);
        assert_eq!((&m["table"], &m["key"], &m["field"]), (&json!("project"), &json!("1002"), &json!("credit")), "{m}");
    });
}

/// The row's sort keys edited alone: the portfolio's order changes, and `verify` names the key.
#[test]
fn verify_reconciles_the_project_rows_sort_keys() {
    on_each_backend(|w| {
        let (p, _) = reconciled_project(&w);
        // Unspent: utilization 0 (below p's), recoverable its whole grant (above p's).
        w.base_project("2025-03-01");
        let first =
            |w: &World, sort: &str| w.get(&w.finance, &format!("/statements?limit=1&sort={sort}")).body["items"][0]["project_id"].clone();
        for (column, sort, delta) in [("utilization_bp", "-utilization", -100_000_000), ("recoverable_fen", "-recoverable", 100_000_000)] {
            let before = first(&w, sort);
            sql(&w, &format!("UPDATE projects SET {column} = {column} + ({delta}) WHERE id = '{p}'"));
            assert_ne!(first(&w, sort), before, "{sort}: the edit changes what the portfolio lists first");
            let m = mismatch(&w, &p);
            assert_eq!((&m["table"], &m["key"], &m["field"]), (&json!("project"), &json!(column), &json!("value")), "{m}");
            sql(&w, &format!("UPDATE projects SET {column} = {column} - ({delta}) WHERE id = '{p}'"));
            assert_eq!(w.verify(&p)["reconciled"], json!(true));
        }
    });
}

/// An account's day edited alone (what `as_of` statements read) is reported too: the bank's
/// credit moved to a later day, so a statement of the earlier day would show money unspent.
#[test]
fn verify_reconciles_the_account_days() {
    on_each_backend(|w| {
        let (p, _) = reconciled_project(&w);
        let before = w.get(&w.inspector, &format!("/projects/{p}/balances?as_of=2025-03-31")).body;
        sql(&w, &format!("UPDATE account_days SET day = '2099-01-01' WHERE project_id = '{p}' AND code = '1002' AND day > '2025-03-02'"));
        let after = w.get(&w.inspector, &format!("/projects/{p}/balances?as_of=2025-03-31")).body;
        assert_ne!(before, after, "the edit changes what a past statement shows");
        let m = mismatch(&w, &p);
        assert_eq!((&m["table"], &m["key"], &m["field"]), (&json!("account_day"), &json!("1002/2025-03-05"), &json!("row")), "{m}");
        assert_eq!(m["chain"], json!("debit 0.00 credit 33.00"), "{m}");
    });
}

/// `fundledger verify --trail` as an inspector runs it, with no server and no database.
fn offline(args: &[&std::path::Path]) -> (Option<i32>, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fundledger"));
    cmd.arg("verify").env_remove("FUNDLEDGER_DATABASE_URL");
    for (flag, file) in ["--trail", "--checkpoint", "--key"].iter().zip(args) {
        cmd.arg(flag).arg(file);
    }
    let out = cmd.output().unwrap();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// Issue 17: a real export is accepted (alone, and as extending a kept checkpoint signed with
/// the served key); an export with one amount changed, an export cut below the checkpoint and a
/// checkpoint checked with another key are each rejected, with exit status 1 and one line.
#[test]
fn the_offline_verifier_accepts_a_real_export_and_rejects_a_tampered_one() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "10000.00");
        spend_some(&w, &p, 2);
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let key = file("fundledger.key", &call("GET", &w.url("/audit-key"), None, None, &[]).text);
        let kept = file("kept.txt", &text(&w, &w.inspector, &format!("/projects/{p}/audit-trail/checkpoint")));
        spend_some(&w, &p, 1);
        let export = text(&w, &w.inspector, &format!("/projects/{p}/audit-trail?format=jsonl"));
        let trail = file("trail.jsonl", &export);
        let events = export.lines().count();

        let (code, out) = offline(&[&trail]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.starts_with("OK: ") && out.contains(&format!("{events} events")) && out.lines().count() == 1, "{out}");
        let root = w.verify(&p)["tree_root"].as_str().unwrap().to_string();
        assert!(out.contains(&format!("Merkle root {root}")), "{out}");
        let (code, out) = offline(&[&trail, &kept, &key]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains(&format!("extends the checkpoint of fundledger.chifeng/projects/{p} at {} events", events - 1)), "{out}");

        let tampered = file("tampered.jsonl", &export.replacen("\"debit\":\"10.00\"", "\"debit\":\"100010.00\"", 1));
        assert_ne!(std::fs::read_to_string(&tampered).unwrap(), export, "an amount was changed");
        let (code, out) = offline(&[&tampered]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.starts_with("REJECTED: ") && out.contains("do not match the canonical text"), "{out}");

        let cut: String = export.lines().take(events - 2).map(|l| format!("{l}\n")).collect();
        let (code, out) = offline(&[&file("cut.jsonl", &cut), &kept, &key]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("cut back"), "{out}");

        let other = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let wrong = file("wrong.key", &signed_note::new_ed25519_verifier_key("fundledger.chifeng", &other));
        let (code, out) = offline(&[&trail, &kept, &wrong]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.starts_with("REJECTED: ") && out.contains("not signed by the key"), "{out}");
    });
}

/// Issue 17: the binary refuses to start while an append-only trigger is missing or disabled,
/// naming it, and recreates it when told to (FUNDLEDGER_REPAIR_TRIGGERS=1); the edit the trigger
/// refused is refused again.
#[test]
fn the_service_refuses_to_start_without_its_append_only_triggers() {
    use crate::binary::{free_port, output, spawn, wait_healthy};
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "10000.00");
        let (dropped, delete) = match w.db {
            Db::Sqlite => ("voucher_lines_no_delete", "DROP TRIGGER voucher_lines_no_delete"),
            Db::Postgres => ("voucher_lines_append_only", "DROP TRIGGER voucher_lines_append_only ON voucher_lines"),
        };
        sql(&w, delete);
        let disabled = match w.db {
            Db::Sqlite => "audit_tree_no_update",
            Db::Postgres => "audit_tree_append_only",
        };
        match w.db {
            Db::Sqlite => {
                sql(&w, "DROP TRIGGER audit_tree_no_update");
                sql(&w, "CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree BEGIN SELECT 1; END");
            }
            Db::Postgres => sql(&w, "ALTER TABLE audit_tree DISABLE TRIGGER audit_tree_append_only"),
        }
        let dir = tempfile::tempdir().unwrap();
        let env = |port: u16, repair: &str| {
            vec![
                ("FUNDLEDGER_DATABASE_URL", w.fresh.url.clone()),
                ("FUNDLEDGER_JWT_SECRET", crate::common::SECRET.to_string()),
                ("FUNDLEDGER_BIND", format!("127.0.0.1:{port}")),
                ("FUNDLEDGER_REPAIR_TRIGGERS", repair.to_string()),
            ]
        };
        let (code, text) = output(spawn(dir.path(), &env(free_port(), "0")));
        assert_eq!(code, Some(1), "{text}");
        assert!(text.contains(&format!("the append-only trigger {dropped} on voucher_lines is missing")), "{text}");
        let state = if w.db == Db::Sqlite { "altered" } else { "disabled" };
        assert!(text.contains(&format!("the append-only trigger {disabled} on audit_tree is {state}")), "{text}");
        assert!(text.contains("FUNDLEDGER_REPAIR_TRIGGERS=1"), "{text}");

        let port = free_port();
        let child = spawn(dir.path(), &env(port, "1"));
        wait_healthy(port);
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        let (code, text) = output(child);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("recreated because FUNDLEDGER_REPAIR_TRIGGERS is set") && text.contains(dropped), "{text}");
        // Started again without the repair, it serves.
        let port = free_port();
        let child = spawn(dir.path(), &env(port, "0"));
        wait_healthy(port);
        std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert_eq!(output(child).0, Some(0));
        for edit in ["DELETE FROM voucher_lines", "UPDATE audit_tree SET hashes = hashes"] {
            let refused = match w.db {
                Db::Sqlite => diesel::sql_query(edit).execute(&mut diesel::SqliteConnection::establish(&w.fresh.url).unwrap()).is_err(),
                Db::Postgres => diesel::sql_query(edit).execute(&mut diesel::PgConnection::establish(&w.fresh.url).unwrap()).is_err(),
            };
            assert!(refused, "{edit} is refused again");
        }
    });
}
