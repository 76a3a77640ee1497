//! An exported trail checked with nothing but the file: `fundledger verify --trail FILE.jsonl`.
//! Each line is an event as `?format=jsonl` serves it. Its canonical text is rebuilt from the
//! fields, hashed and linked to the line before (as the service's own verify does), and its
//! Merkle leaf pushed into the tree; with a kept checkpoint and the verifier key, the checkpoint's
//! signature is checked and the first `size` events must give its root.
use super::audit::{canonical_data, canonical_text, Actor, Event, Verifier};
use super::checkpoint::{open_signed, Kept};
use super::merkle::Roots;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A kept checkpoint (the signed note's text) and the verifier key it must be signed with.
pub struct KeptNote<'a> {
    pub checkpoint: &'a str,
    pub key: &'a str,
}

/// What the check found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Holds { events: i64, head: String, root: String, extends: Option<(String, u64)> },
    Broken(String),
}

#[derive(Deserialize)]
struct Line {
    seq: i64,
    at: String,
    actor: Actor,
    action: String,
    object: String,
    data: Value,
    prev_hash: String,
    hash: String,
    canonical: String,
}

/// Checks a whole trail, from its first event: lines are read one at a time, memory stays flat.
pub fn check(lines: impl Iterator<Item = std::io::Result<String>>, kept: Option<KeptNote>) -> Verdict {
    let kept = match kept.map(|k| open_signed(k.key, k.checkpoint)).transpose() {
        Ok(k) => k,
        Err(e) => return Verdict::Broken(format!("the checkpoint: {e}")),
    };
    let mut verifier = Verifier::default();
    let mut roots = Roots::default();
    let mut first_object = None;
    let mut at_kept = kept.as_ref().filter(|(_, k)| k.size == 0).map(|_| super::merkle::EMPTY_HASH.0);
    for (number, line) in lines.enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(e) => return Verdict::Broken(format!("line {}: {e}", number + 1)),
        };
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = match serde_json::from_str(&line) {
            Ok(l) => l,
            Err(e) => return Verdict::Broken(format!("line {}: not an exported event ({e})", number + 1)),
        };
        first_object.get_or_insert_with(|| l.object.clone());
        let data_text = canonical_data(&l.data);
        let event = Event {
            seq: l.seq,
            at: l.at,
            actor: l.actor,
            action: l.action,
            object: l.object,
            data: l.data,
            prev_hash: l.prev_hash,
            hash: l.hash,
            canonical: l.canonical,
            data_text,
        };
        verifier.feed(&event);
        if verifier.is_broken() {
            break;
        }
        // The leaf over the text rebuilt from the fields, which `feed` found equal to the line's.
        let rebuilt = canonical_text(event.seq, &event.at, &event.actor, &event.action, &event.object, &event.data_text, &event.prev_hash);
        roots.push(Sha256::new().chain_update([0u8]).chain_update(rebuilt.as_bytes()).finalize().into());
        if kept.as_ref().is_some_and(|(_, k)| k.size == roots.size()) {
            at_kept = Some(roots.root());
        }
    }
    let v = verifier.finish();
    if let (Some(seq), Some(problem)) = (v.broken_seq, &v.problem) {
        return Verdict::Broken(format!("event {seq}: {problem}"));
    }
    if v.events == 0 {
        return Verdict::Broken("the file holds no events".into());
    }
    let extends = match kept {
        None => None,
        Some((origin, Kept { size, root })) => {
            if let Err(problem) = same_chain(&origin, first_object.as_deref()) {
                return Verdict::Broken(problem);
            }
            if size > roots.size() {
                return Verdict::Broken(format!(
                    "the trail has {} events, fewer than the {size} of the kept checkpoint: it was cut back",
                    roots.size()
                ));
            }
            if at_kept != Some(root.0) {
                return Verdict::Broken(format!("the first {size} events are not those the kept checkpoint was signed over"));
            }
            Some((origin, size))
        }
    };
    Verdict::Holds { events: v.events, head: v.head, root: hex::encode(roots.root()), extends }
}

/// A project chain opens with the project's registration (`project/<id>`), so a checkpoint of
/// another project is told apart; the global chain has no such opening event to compare.
fn same_chain(origin: &str, first_object: Option<&str>) -> Result<(), String> {
    let project = origin.rsplit_once("/projects/").map(|(_, id)| id);
    match (project, first_object.and_then(|o| o.strip_prefix("project/"))) {
        (Some(kept), Some(trail)) if kept != trail => Err(format!("the checkpoint is of project {kept}, the trail of project {trail}")),
        (Some(kept), None) => Err(format!("the checkpoint is of project {kept}, the trail is not a project's")),
        (None, Some(trail)) => Err(format!("the checkpoint is of {origin}, the trail of project {trail}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::{seal, GENESIS};
    use crate::domain::checkpoint::Notary;
    use crate::domain::merkle::record_hash;
    use serde_json::json;

    fn trail(n: usize) -> Vec<String> {
        let actor = Actor { user_id: "u1".into(), username: "赵会计".into(), role: "unit".into() };
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let object = if i == 0 { "project/p1".to_string() } else { "voucher/v".to_string() };
                let e = seal(
                    i as i64 + 1,
                    "2025-03-01T08:00:00.000000Z".into(),
                    actor.clone(),
                    "voucher.posted",
                    &object,
                    json!({"n": i}),
                    &prev,
                );
                prev = e.hash.clone();
                json!(e).to_string()
            })
            .collect()
    }

    fn run(lines: &[String], kept: Option<KeptNote>) -> Verdict {
        check(lines.iter().cloned().map(Ok), kept)
    }

    #[test]
    fn a_trail_holds_and_extends_its_checkpoint() {
        let lines = trail(7);
        let n = Notary::from_seed("fundledger.test", [7u8; 32]).unwrap();
        let leaves =
            lines.iter().take(5).map(|l| record_hash(serde_json::from_str::<Value>(l).unwrap()["canonical"].as_str().unwrap().as_bytes()));
        let note = n.sign("p1", 5, crate::domain::merkle::root_of(leaves));
        assert!(
            matches!(run(&lines, Some(KeptNote { checkpoint: &note, key: "garbage" })), Verdict::Broken(p) if p.contains("not a verifier key"))
        );
        let kept = KeptNote { checkpoint: &note, key: n.verifier_key() };
        let Verdict::Holds { events, extends, .. } = run(&lines, Some(kept)) else { panic!("holds") };
        assert_eq!((events, extends), (7, Some(("fundledger.test/projects/p1".to_string(), 5))));
        // Cut back below the checkpoint.
        let kept = KeptNote { checkpoint: &note, key: n.verifier_key() };
        assert!(matches!(run(&lines[..4], Some(kept)), Verdict::Broken(p) if p.contains("cut back")));
        // Another key.
        let other = Notary::from_seed("fundledger.test", [8u8; 32]).unwrap();
        let kept = KeptNote { checkpoint: &note, key: other.verifier_key() };
        assert!(matches!(run(&lines, Some(kept)), Verdict::Broken(p) if p.contains("not signed by")));
    }

    #[test]
    fn an_edited_or_missing_event_is_named() {
        let mut lines = trail(4);
        lines[2] = lines[2].replace("\"n\":2", "\"n\":9");
        assert_eq!(run(&lines, None), Verdict::Broken("event 3: stored fields do not match the canonical text".into()));
        let mut lines = trail(4);
        lines.remove(1);
        assert_eq!(run(&lines, None), Verdict::Broken("event 2: expected seq 2, found 3".into()));
    }
}
