//! The tamper-evident audit chain: each event's hash covers its RFC 8785 canonical JSON, which
//! includes the previous event's hash, so any edit, insertion or deletion breaks verification.
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub role: String,
}

impl Actor {
    pub fn parts(&self) -> [&str; 3] {
        [&self.user_id, &self.username, &self.role]
    }
}

/// An event as stored and as served.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub seq: i64,
    pub at: String,
    pub actor: Actor,
    pub action: String,
    pub object: String,
    #[schema(value_type = Object)]
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
    pub canonical: String,
    /// `data` as RFC 8785 text, as the row stores it.
    #[serde(skip)]
    pub data_text: String,
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The RFC 8785 text of the hashed fields.
pub fn canonical(seq: i64, at: &str, actor: &Actor, action: &str, object: &str, data: &Value, prev_hash: &str) -> String {
    canonical_text(seq, at, actor, action, object, &canonical_data(data), prev_hash)
}

/// RFC 8785 text of one JSON value: what the `data` column stores.
pub fn canonical_data(data: &Value) -> String {
    let mut out = String::with_capacity(128);
    if write_canonical(data, &mut out) {
        out
    } else {
        // Floats need RFC 8785's number formatting; the service never writes one, but be exact.
        serde_jcs::to_string(data).expect("JSON values always canonicalise")
    }
}

/// Where canonical text goes: a String, or straight into a hash (verification hashes the text
/// without building it).
trait Sink {
    fn put(&mut self, s: &str);
    /// Stored text as the database holds it: hashed as it is, not checked to be UTF-8 first.
    fn put_bytes(&mut self, b: &[u8]);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
    fn put_bytes(&mut self, b: &[u8]) {
        // Only text reaches a String sink; lossy decoding merely keeps this total.
        self.push_str(&String::from_utf8_lossy(b));
    }
}

impl Sink for Sha256 {
    fn put(&mut self, s: &str) {
        self.update(s.as_bytes());
    }
    fn put_bytes(&mut self, b: &[u8]) {
        self.update(b);
    }
}

/// The chain hash and the Merkle leaf hash (SHA-256 of 0x00 and the same text) in one walk.
struct Both(Sha256, Sha256);

impl Sink for Both {
    fn put(&mut self, s: &str) {
        self.0.update(s.as_bytes());
        self.1.update(s.as_bytes());
    }
    fn put_bytes(&mut self, b: &[u8]) {
        self.0.update(b);
        self.1.update(b);
    }
}

/// The canonical text from the fields, `data` given as its canonical text. The envelope is fixed,
/// so it is written directly, keys in RFC 8785 order (action, actor{role, user_id, username}, at,
/// data, object, prev_hash, seq); verification rebuilds it without parsing `data`.
pub fn canonical_text(seq: i64, at: &str, actor: &Actor, action: &str, object: &str, data: &str, prev_hash: &str) -> String {
    let mut out = String::with_capacity(160 + data.len() + object.len() + actor.username.len());
    let [user_id, username, role] = actor.parts();
    let actor = [user_id.as_bytes(), username.as_bytes(), role.as_bytes()];
    write_envelope(seq, at.as_bytes(), actor, action.as_bytes(), object.as_bytes(), data.as_bytes(), prev_hash.as_bytes(), &mut out);
    out
}

#[allow(clippy::too_many_arguments)]
fn write_envelope(
    seq: i64,
    at: &[u8],
    actor: [&[u8]; 3],
    action: &[u8],
    object: &[u8],
    data: &[u8],
    prev_hash: &[u8],
    out: &mut impl Sink,
) {
    let [user_id, username, role] = actor;
    out.put("{\"action\":");
    push_string(action, out);
    out.put(",\"actor\":{\"role\":");
    push_string(role, out);
    out.put(",\"user_id\":");
    push_string(user_id, out);
    out.put(",\"username\":");
    push_string(username, out);
    out.put("},\"at\":");
    push_string(at, out);
    out.put(",\"data\":");
    out.put_bytes(data);
    out.put(",\"object\":");
    push_string(object, out);
    out.put(",\"prev_hash\":");
    push_string(prev_hash, out);
    out.put(",\"seq\":");
    // Sequence numbers are far below 2^53, where RFC 8785 numbers print as plain integers.
    out.put(itoa::Buffer::new().format(seq));
    out.put("}");
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
        Value::String(s) => push_string(s.as_bytes(), out),
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
                push_string(k.as_bytes(), out);
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

fn push_string(s: &[u8], out: &mut impl Sink) {
    // serde_json escapes `"`, `\\` and control characters (\b \f \n \r \t, else \u00xx) only,
    // which is RFC 8785's escaping; most strings need none of it.
    if s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.put("\"");
        out.put_bytes(s);
        out.put("\"");
    } else {
        match std::str::from_utf8(s) {
            Ok(text) => out.put(&serde_json::to_string(text).expect("strings always serialise")),
            // Not text, so not what the service wrote and hashed: hashed as it is, it cannot match.
            Err(_) => out.put_bytes(s),
        }
    }
}

/// Builds the next event of a chain whose head is `prev_hash` and last seq is `seq - 1`.
pub fn seal(seq: i64, at: String, actor: Actor, action: &str, object: &str, data: Value, prev_hash: &str) -> Event {
    let data_text = canonical_data(&data);
    let canonical = canonical_text(seq, &at, &actor, action, object, &data_text, prev_hash);
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
        data_text,
    }
}

/// An event as its row holds it, `data` still text: what verification reads. The canonical text
/// is not stored: it is rebuilt from these fields, so the fields are the only copy to trust.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: String,
    pub actor: Actor,
    pub action: String,
    pub object: String,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    #[cfg(test)]
    fn fields(&self) -> StoredFields<'_> {
        let [user_id, username, role] = self.actor.parts();
        StoredFields {
            seq: self.seq,
            at: self.at.as_bytes(),
            actor: [user_id.as_bytes(), username.as_bytes(), role.as_bytes()],
            action: self.action.as_bytes(),
            object: self.object.as_bytes(),
            data: self.data.as_bytes(),
            prev_hash: self.prev_hash.as_bytes(),
            hash: self.hash.as_bytes(),
        }
    }

    pub fn into_event(self) -> Event {
        // Data that is not JSON was tampered with; keep the raw text so verification reports it.
        let data = serde_json::from_str(&self.data).unwrap_or_else(|_| Value::String(self.data.clone()));
        let data_text = canonical_data(&data);
        let canonical = canonical_text(self.seq, &self.at, &self.actor, &self.action, &self.object, &data_text, &self.prev_hash);
        Event {
            seq: self.seq,
            at: self.at,
            actor: self.actor,
            action: self.action,
            object: self.object,
            data,
            prev_hash: self.prev_hash,
            hash: self.hash,
            canonical,
            data_text,
        }
    }
}

/// A stored event's fields borrowed from wherever they were read, so the verifier can hash rows
/// as the database driver hands them over, without copying each field out first. Bytes, not
/// str: the hash is over the stored bytes, so they need no UTF-8 check (a tenth of the time).
pub struct StoredFields<'a> {
    pub seq: i64,
    pub at: &'a [u8],
    /// user_id, username, role
    pub actor: [&'a [u8]; 3],
    pub action: &'a [u8],
    pub object: &'a [u8],
    pub data: &'a [u8],
    pub prev_hash: &'a [u8],
    pub hash: &'a [u8],
}

impl<'a> StoredFields<'a> {
    /// From the stored columns in table order: at, actor_user_id, actor_username, actor_role,
    /// action, object, data, prev_hash, hash.
    pub fn from_columns(seq: i64, c: [&'a [u8]; 9]) -> StoredFields<'a> {
        let [at, user_id, username, role, action, object, data, prev_hash, hash] = c;
        StoredFields { seq, at, actor: [user_id, username, role], action, object, data, prev_hash, hash }
    }

    /// An owned copy, if every field is UTF-8 text.
    pub fn to_event(&self) -> Option<StoredEvent> {
        let text = |b: &[u8]| std::str::from_utf8(b).ok().map(str::to_string);
        let [user_id, username, role] = self.actor;
        Some(StoredEvent {
            seq: self.seq,
            at: text(self.at)?,
            actor: Actor { user_id: text(user_id)?, username: text(username)?, role: text(role)? },
            action: text(self.action)?,
            object: text(self.object)?,
            data: text(self.data)?,
            prev_hash: text(self.prev_hash)?,
            hash: text(self.hash)?,
        })
    }

    /// The fields, with `data` taken as stored, hash to the stored hash. Rows the service wrote
    /// pass without `data` being parsed; a row that fails gets the full check (`Verifier::feed`),
    /// which names the problem (and accepts `data` that is the same JSON in another spelling).
    pub fn self_consistent(&self) -> bool {
        self.checked().0
    }

    /// Whether the fields hash to the stored hash, and the event's Merkle leaf hash (RFC 9162:
    /// SHA-256 of 0x00 and the canonical text, here the text as stored).
    pub fn checked(&self) -> (bool, [u8; 32]) {
        let mut both = Both(Sha256::new(), Sha256::new_with_prefix([0u8]));
        write_envelope(self.seq, self.at, self.actor, self.action, self.object, self.data, self.prev_hash, &mut both);
        let mut hex = [0u8; 64];
        hex::encode_to_slice(both.0.finalize(), &mut hex).expect("64 hex digits hold a SHA-256");
        (hex == self.hash, both.1.finalize().into())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub valid: bool,
    pub events: i64,
    pub head: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The Merkle tree's root over every event (RFC 9162 MTH, hex), recomputed from the events;
    /// absent when the chain is broken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_root: Option<String>,
    /// The check against a checkpoint the caller kept (`?checkpoint=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<KeptCheck>,
    /// A project's chain only: whether its vouchers, their lines and the account totals in the
    /// tables are those the chain's events rebuild; absent when the chain is broken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciled: Option<bool>,
    /// The first place the tables differ from the chain (`reconciled: false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<super::reconcile::Mismatch>,
}

/// Whether today's chain extends a checkpoint kept earlier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KeptCheck {
    /// The kept checkpoint's tree size.
    pub size: i64,
    /// True when the first `size` events are still those the checkpoint was signed over.
    pub consistent: bool,
}

/// Incremental verifier of a run of events `first..`, fed in order, so a chain is checked page by
/// page in flat memory, and its parts can be checked side by side and then joined (`join`).
pub struct Verifier {
    expected_seq: i64,
    /// The hash the next event must link to; unknown at the start of a part after the first.
    head: Option<String>,
    /// The first event's prev_hash, for joining this part to the one before.
    first_prev: Option<String>,
    broken: Option<(i64, String)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier::starting_at(1, Some(GENESIS.to_string()))
    }
}

/// What a part of a chain came to: see `join`.
#[derive(Debug, Clone)]
pub struct Part {
    /// The events this part must hold: `first..=last`.
    pub first: i64,
    pub last: i64,
    pub first_prev: Option<String>,
    /// The seq the part stopped at: `last + 1` when it is whole.
    pub next_seq: i64,
    pub head: Option<String>,
    pub broken: Option<(i64, String)>,
}

impl Verifier {
    pub fn starting_at(seq: i64, head: Option<String>) -> Verifier {
        Verifier { expected_seq: seq, head, first_prev: None, broken: None }
    }

    fn link(&mut self, seq: i64, prev_hash: &str) -> Option<String> {
        if seq != self.expected_seq {
            return Some(format!("expected seq {}, found {}", self.expected_seq, seq));
        }
        match &self.head {
            Some(head) if head != prev_hash => Some("prev_hash does not match the previous event's hash".to_string()),
            Some(_) => None,
            None => {
                self.first_prev = Some(prev_hash.to_string());
                None
            }
        }
    }

    fn advance(&mut self, problem: Option<String>, hash: String) {
        match problem {
            Some(p) => self.broken = Some((self.expected_seq, p)),
            None => {
                self.expected_seq += 1;
                self.head = Some(hash);
            }
        }
    }

    pub fn feed(&mut self, e: &Event) {
        if self.broken.is_some() {
            return;
        }
        let problem = self.link(e.seq, &e.prev_hash).or_else(|| {
            if canonical(e.seq, &e.at, &e.actor, &e.action, &e.object, &e.data, &e.prev_hash) != e.canonical {
                Some("stored fields do not match the canonical text".to_string())
            } else if sha256_hex(&e.canonical) != e.hash {
                Some("the event's fields do not hash to its stored hash".to_string())
            } else {
                None
            }
        });
        self.advance(problem, e.hash.clone());
    }

    /// Feeds a stored row that is not self-consistent, for the full check that names what is
    /// wrong. The service writes only text; a row holding other bytes was written by something
    /// else, and is reported as such.
    pub fn feed_whole(&mut self, f: &StoredFields) {
        match f.to_event() {
            Some(stored) => self.feed(&stored.into_event()),
            None => self.feed_broken(f.seq, &String::from_utf8_lossy(f.prev_hash), "a stored field is not UTF-8 text"),
        }
    }

    /// Feeds an event the caller found broken: `problem` is reported unless its place in the
    /// chain is already wrong.
    pub fn feed_broken(&mut self, seq: i64, prev_hash: &str, problem: &str) {
        if self.broken.is_some() {
            return;
        }
        let problem = self.link(seq, prev_hash).unwrap_or_else(|| problem.to_string());
        self.advance(Some(problem), String::new());
    }

    /// Feeds an event whose fields were found to hash to `hash`: only its place in the chain is
    /// left to check.
    pub fn feed_consistent(&mut self, seq: i64, prev_hash: &str, hash: String) {
        if self.broken.is_some() {
            return;
        }
        let problem = self.link(seq, prev_hash);
        self.advance(problem, hash);
    }

    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    pub fn finish(self) -> Verification {
        let events = self.expected_seq - 1;
        let head = self.head.unwrap_or_else(|| GENESIS.to_string());
        match self.broken {
            None => Verification { valid: true, events, head, broken_seq: None, problem: None, ..Verification::default() },
            Some((seq, p)) => {
                Verification { valid: false, events, head, broken_seq: Some(seq), problem: Some(p), ..Verification::default() }
            }
        }
    }

    /// Ends a part that was to hold `first..=last`.
    pub fn into_part(self, first: i64, last: i64) -> Part {
        Part { first, last, first_prev: self.first_prev, next_seq: self.expected_seq, head: self.head, broken: self.broken }
    }
}

/// Joins the parts of a chain, checked side by side, in order, against what the chain records:
/// its length and head hash. The first problem in chain order is the one reported.
pub fn join(parts: &[Part], recorded_seq: i64, recorded_head: &str) -> Verification {
    let mut head = GENESIS.to_string();
    let mut verified = 0;
    let broken = |seq: i64, head: String, problem: String| Verification {
        valid: false,
        events: seq - 1,
        head,
        broken_seq: Some(seq),
        problem: Some(problem),
        ..Verification::default()
    };
    for part in parts {
        if let Some(prev) = &part.first_prev {
            if *prev != head {
                return broken(part.first, head, "prev_hash does not match the previous event's hash".to_string());
            }
        }
        if let Some((seq, problem)) = &part.broken {
            let at_break = if *seq == part.first { head } else { part.head.clone().unwrap_or(head) };
            return broken(*seq, at_break, problem.clone());
        }
        if part.next_seq != part.last + 1 {
            let at_break = part.head.clone().unwrap_or(head);
            let missing = format!("the chain records {recorded_seq} events, event {} is missing", part.next_seq);
            return broken(part.next_seq, at_break, missing);
        }
        if let Some(h) = &part.head {
            head = h.clone();
        }
        verified = part.last;
    }
    if verified != recorded_seq || head != recorded_head {
        return broken(verified + 1, head, format!("the chain records {recorded_seq} events and another head"));
    }
    Verification { valid: true, events: verified, head, broken_seq: None, problem: None, ..Verification::default() }
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
    use serde_json::json;

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

    fn stored(e: &Event) -> StoredEvent {
        StoredEvent {
            seq: e.seq,
            at: e.at.clone(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            object: e.object.clone(),
            data: e.data_text.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }

    /// Verifies stored rows the way the store does: split into `parts` runs checked separately,
    /// then joined against the recorded length and head.
    fn verify_in_parts(rows: &[StoredEvent], parts: i64, recorded_seq: i64, recorded_head: &str) -> Verification {
        let parts = parts.clamp(1, recorded_seq.max(1));
        let done: Vec<Part> = (0..parts)
            .map(|i| {
                let (first, last) = (recorded_seq * i / parts + 1, recorded_seq * (i + 1) / parts);
                let mut v = Verifier::starting_at(first, (first == 1).then(|| GENESIS.to_string()));
                let run: Vec<StoredEvent> = rows.iter().filter(|r| r.seq >= first && r.seq <= last).cloned().collect();
                for row in run {
                    // As the store does: the fast path, else the whole row.
                    let f = row.fields();
                    if f.self_consistent() {
                        v.feed_consistent(row.seq, &row.prev_hash, row.hash.clone());
                    } else {
                        v.feed_whole(&f);
                    }
                }
                v.into_part(first, last)
            })
            .collect();
        join(&done, recorded_seq, recorded_head)
    }

    #[test]
    fn a_field_that_is_not_text_is_named() {
        let rows: Vec<StoredEvent> = chain(3).iter().map(stored).collect();
        let mut v = Verifier::starting_at(1, Some(GENESIS.to_string()));
        v.feed_consistent(1, &rows[0].prev_hash, rows[0].hash.clone());
        let mut f = rows[1].fields();
        f.data = b"\xff";
        assert!(!f.self_consistent());
        v.feed_whole(&f);
        let r = join(&[v.into_part(1, 2)], 2, &rows[1].hash);
        assert_eq!((r.broken_seq, r.problem.as_deref()), (Some(2), Some("a stored field is not UTF-8 text")));
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

        /// The envelope written directly is RFC 8785 of the whole event, for any field contents.
        #[test]
        fn envelope_matches_serde_jcs(seq in 1i64..(1 << 53), strings in proptest::collection::vec("\\PC{0,10}|[\\x00-\\x1f\"\\\\]{0,4}", 6), data in json_value()) {
            let actor = Actor { user_id: strings[0].clone(), username: strings[1].clone(), role: strings[2].clone() };
            let whole = json!({"seq": seq, "at": strings[3], "actor": actor, "action": strings[4], "object": strings[5], "data": data, "prev_hash": GENESIS});
            prop_assert_eq!(canonical(seq, &strings[3], &actor, &strings[4], &strings[5], &data, GENESIS), serde_jcs::to_string(&whole).unwrap());
        }

        /// Verifying stored rows in parts, without parsing intact rows, finds exactly what the
        /// full check of the whole chain finds, at the same seq.
        #[test]
        fn parts_agree_with_the_full_check(n in 1usize..40, parts in 1i64..5, at in any::<usize>(), what in 0u8..7) {
            let c = chain(n);
            let head = c[n - 1].hash.clone();
            let mut rows: Vec<StoredEvent> = c.iter().map(stored).collect();
            let mut events = c.clone();
            let i = at % n;
            let mut recorded = n as i64;
            match what {
                0 => {}
                1 => { rows[i].data = r#"{"amount":"1.00"}"#.into(); events[i].data = json!({"amount": "1.00"}); }
                2 => { rows[i].action = "voucher.deleted".into(); events[i].action = "voucher.deleted".into(); }
                3 => { rows[i].prev_hash = "1".repeat(64); events[i].prev_hash = "1".repeat(64); }
                4 => { rows.remove(i); events.remove(i); }
                // The same JSON in another spelling is the same event.
                5 => { rows[i].data = rows[i].data.replace(',', " , "); }
                _ => { recorded += 1; }
            }
            let whole = verify(&events);
            let got = verify_in_parts(&rows, parts, recorded, &head);
            match what {
                0 | 5 => prop_assert!(got.valid && got.events == n as i64 && got.head == head, "{got:?}"),
                6 => prop_assert_eq!((got.valid, got.broken_seq), (false, Some(n as i64 + 1))),
                // Also the last event: the chain records its length.
                4 => prop_assert_eq!((got.valid, got.broken_seq), (false, Some(i as i64 + 1))),
                _ => prop_assert_eq!((got.valid, got.broken_seq), (false, whole.broken_seq)),
            }
            if what != 0 && what != 5 {
                prop_assert!(!got.valid);
                prop_assert_eq!(got.events, got.broken_seq.unwrap() - 1);
            }
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
