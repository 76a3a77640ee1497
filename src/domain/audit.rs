//! The tamper-evident audit chain: each event's hash covers its RFC 8785 canonical JSON, which
//! includes the previous event's hash, so any edit, insertion or deletion breaks verification.
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub role: String,
}

/// An event as stored and as served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub seq: i64,
    pub at: String,
    pub actor: Actor,
    pub action: String,
    pub object: String,
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
    pub canonical: String,
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The RFC 8785 text of the hashed fields.
pub fn canonical(seq: i64, at: &str, actor: &Actor, action: &str, object: &str, data: &Value, prev_hash: &str) -> String {
    let value = json!({
        "seq": seq, "at": at, "actor": actor, "action": action,
        "object": object, "data": data, "prev_hash": prev_hash,
    });
    let mut out = String::with_capacity(256);
    if write_canonical(&value, &mut out) {
        out
    } else {
        // Floats need RFC 8785's number formatting; the service never writes one, but be exact.
        serde_jcs::to_string(&value).expect("JSON values always canonicalise")
    }
}

/// RFC 8785 for the JSON the service writes: strings, integers, booleans, nulls, arrays, objects.
/// Keys are ordered by UTF-16 code units and strings escaped exactly as serde_json does (which is
/// RFC 8785's escaping). Returns false on a float, so the caller falls back to serde_jcs. This is
/// the hot path of both posting and verification, hence not serde_jcs's generic route.
fn write_canonical(v: &Value, out: &mut String) -> bool {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // RFC 8785 numbers are IEEE doubles: integers up to 2^53 print as themselves.
        Value::Number(n) => match n.as_i64() {
            Some(i) if i.unsigned_abs() <= 1 << 53 => out.push_str(&i.to_string()),
            _ => return false,
        },
        Value::String(s) => push_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_canonical(item, out) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(k, out);
                out.push(':');
                if !write_canonical(&map[k.as_str()], out) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    true
}

fn push_string(s: &str, out: &mut String) {
    // serde_json escapes `"`, `\\` and control characters (\b \f \n \r \t, else \u00xx) only.
    out.push_str(&serde_json::to_string(s).expect("strings always serialise"));
}

/// Builds the next event of a chain whose head is `prev_hash` and last seq is `seq - 1`.
pub fn seal(seq: i64, at: String, actor: Actor, action: &str, object: &str, data: Value, prev_hash: &str) -> Event {
    let canonical = canonical(seq, &at, &actor, action, object, &data, prev_hash);
    let hash = sha256_hex(&canonical);
    Event {
        seq,
        at,
        actor,
        action: action.to_string(),
        object: object.to_string(),
        data,
        prev_hash: prev_hash.to_string(),
        hash,
        canonical,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub valid: bool,
    pub events: i64,
    pub head: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Incremental verifier, so a chain can be checked page by page without holding it in memory.
pub struct Verifier {
    expected_seq: i64,
    head: String,
    broken: Option<(i64, String)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier { expected_seq: 1, head: GENESIS.to_string(), broken: None }
    }
}

impl Verifier {
    pub fn feed(&mut self, e: &Event) {
        if self.broken.is_some() {
            return;
        }
        let problem = if e.seq != self.expected_seq {
            Some(format!("expected seq {}, found {}", self.expected_seq, e.seq))
        } else if e.prev_hash != self.head {
            Some("prev_hash does not match the previous event's hash".to_string())
        } else if canonical(e.seq, &e.at, &e.actor, &e.action, &e.object, &e.data, &e.prev_hash) != e.canonical {
            Some("stored fields do not match the canonical text".to_string())
        } else if sha256_hex(&e.canonical) != e.hash {
            Some("hash is not sha256 of the canonical text".to_string())
        } else {
            None
        };
        match problem {
            Some(p) => self.broken = Some((self.expected_seq, p)),
            None => {
                self.expected_seq += 1;
                self.head = e.hash.clone();
            }
        }
    }

    pub fn finish(self) -> Verification {
        let events = self.expected_seq - 1;
        match self.broken {
            None => Verification { valid: true, events, head: self.head, broken_seq: None, problem: None },
            Some((seq, p)) => Verification { valid: false, events, head: self.head, broken_seq: Some(seq), problem: Some(p) },
        }
    }
}

pub fn verify<'a>(events: impl IntoIterator<Item = &'a Event>) -> Verification {
    let mut v = Verifier::default();
    events.into_iter().for_each(|e| v.feed(e));
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: usize) -> Vec<Event> {
        let actor = Actor { user_id: "u1".into(), username: "赵会计".into(), role: "unit".into() };
        let mut out: Vec<Event> = Vec::new();
        for i in 0..n {
            let prev = out.last().map(|e| e.hash.clone()).unwrap_or_else(|| GENESIS.to_string());
            let data = json!({"amount": format!("{}.00", i * 7), "summary": "购置焊机\n\"A\"", "n": i});
            out.push(seal(i as i64 + 1, "2025-03-01T08:00:00Z".into(), actor.clone(), "voucher.posted", "voucher/x", data, &prev));
        }
        out
    }

    #[test]
    fn canonical_is_sorted_and_compact() {
        let actor = Actor { user_id: "u".into(), username: "a".into(), role: "hr".into() };
        let c = canonical(1, "t", &actor, "x", "o", &json!({"b": 1, "a": "é"}), GENESIS);
        assert!(c.starts_with(r#"{"action":"x","actor":{"role":"hr","user_id":"u","username":"a"},"at":"t","data":{"a":"é","b":1}"#));
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let v = verify(&c);
        assert!(v.valid);
        assert_eq!(v.events, 5);
        assert_eq!(v.head, c[4].hash);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            (-(1i64 << 53)..=(1i64 << 53)).prop_map(|i| json!(i)),
            "\\PC{0,12}|[\\x00-\\x1f\"\\\\/é€😀]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map("\\PC{0,6}|[a-z_]{1,8}|[€😀ａ]{1,2}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The fast canonical writer agrees with serde_jcs, the reference RFC 8785 implementation.
        #[test]
        fn canonical_writer_matches_serde_jcs(v in json_value()) {
            let mut out = String::new();
            if write_canonical(&v, &mut out) {
                prop_assert_eq!(out, serde_jcs::to_string(&v).unwrap());
            }
        }

        #[test]
        fn any_edit_is_found_at_its_seq(n in 1usize..20, at in any::<usize>(), what in 0u8..4) {
            let mut c = chain(n);
            let i = at % n;
            match what {
                0 => c[i].data = json!({"amount": "1.00"}),
                1 => c[i].action = "voucher.deleted".into(),
                2 => c[i].canonical.push(' '),
                _ => c[i].prev_hash = GENESIS.replace('0', "1"),
            }
            let v = verify(&c);
            prop_assert!(!v.valid);
            prop_assert_eq!(v.broken_seq, Some(i as i64 + 1));
        }

        #[test]
        fn removing_an_event_breaks_the_chain(n in 2usize..20, at in any::<usize>()) {
            let mut c = chain(n);
            let i = at % (n - 1);
            c.remove(i);
            prop_assert_eq!(verify(&c).broken_seq, Some(i as i64 + 1));
        }
    }
}
