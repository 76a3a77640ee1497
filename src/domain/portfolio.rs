//! The all-projects statement's order and pages (`GET /statements?sort=&limit=&cursor=`): a sort
//! key with its direction, and keyset cursors that hold the last row's key and project id, so a
//! walk through the pages lists every project once even while postings change other rows.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::cmp::Ordering;

/// What the rows are ordered by. Ties are broken by project id, ascending in either direction,
/// so the order is total and a cursor names one place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// The project id alone: the first edition's order.
    Project,
    /// implemented ÷ grant as shown, in ten-thousandths.
    Utilization,
    /// Days until the period ends (0 once it has).
    DaysLeft,
    /// The recoverable amount, in fen.
    Recoverable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

const KEYS: [(&str, SortKey); 4] = [
    ("project_id", SortKey::Project),
    ("utilization", SortKey::Utilization),
    ("days_left", SortKey::DaysLeft),
    ("recoverable", SortKey::Recoverable),
];

impl Sort {
    pub const DEFAULT: Sort = Sort { key: SortKey::Project, descending: false };

    /// `utilization` ascending, `-utilization` descending; none is by project id.
    pub fn parse(text: Option<&str>) -> Result<Sort, String> {
        let Some(text) = text else { return Ok(Sort::DEFAULT) };
        let (name, descending) = match text.strip_prefix('-') {
            Some(name) => (name, true),
            None => (text, false),
        };
        match KEYS.iter().find(|(n, _)| *n == name) {
            Some((_, key)) => Ok(Sort { key: *key, descending }),
            None => {
                let names: Vec<&str> = KEYS.iter().map(|(n, _)| *n).collect();
                Err(format!("'{text}' is not one of {}, each with a leading '-' for descending", names.join(", ")))
            }
        }
    }

    pub fn name(&self) -> String {
        let name = KEYS.iter().find(|(_, k)| *k == self.key).map_or("project_id", |(n, _)| *n);
        format!("{}{name}", if self.descending { "-" } else { "" })
    }

    /// The order of two rows given as (key, id).
    pub fn cmp(&self, a: (i64, &str), b: (i64, &str)) -> Ordering {
        let by_key = if self.key == SortKey::Project { Ordering::Equal } else { a.0.cmp(&b.0) };
        let by_key = if self.descending { by_key.reverse() } else { by_key };
        let by_id = a.1.cmp(b.1);
        by_key.then(if self.descending && self.key == SortKey::Project { by_id.reverse() } else { by_id })
    }
}

/// A row that can be ordered: its key under each sort and its project id.
pub trait Ranked {
    fn key(&self, key: SortKey) -> i64;
    fn id(&self) -> &str;
}

/// Where the previous page ended: its last row's key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: String,
}

/// A project id is a UUID; anything much longer did not come from this listing.
const MAX_ID: usize = 64;

impl Cursor {
    pub fn of<T: Ranked>(row: &T, sort: Sort) -> Cursor {
        Cursor { key: row.key(sort.key), id: row.id().to_string() }
    }

    /// Opaque to clients; it names the sort it belongs to, so a cursor from another order is
    /// refused rather than silently skipping rows.
    pub fn encode(&self, sort: Sort) -> String {
        let text = format!("{}|{}|{}", sort.name(), self.key, self.id);
        URL_SAFE_NO_PAD.encode(format!("{}|{text}", check(&text)))
    }

    pub fn decode(text: &str, sort: Sort) -> Result<Cursor, String> {
        let bad = || "not a cursor from this listing".to_string();
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        // A cut or mistyped cursor may still read as one: the check digits tell.
        let (sum, text) = text.split_once('|').ok_or_else(bad)?;
        if sum != check(text) {
            return Err(bad());
        }
        let mut parts = text.splitn(3, '|');
        let (Some(name), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
        if name != sort.name() {
            return Err(format!("the cursor belongs to sort={name}, not sort={}", sort.name()));
        }
        let key = key.parse::<i64>().map_err(|_| bad())?;
        if id.is_empty() || id.len() > MAX_ID || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad());
        }
        Ok(Cursor { key, id: id.to_string() })
    }
}

/// Eight hex digits of the cursor's SHA-256: against damage, not forgery (a forged cursor only
/// names another place in the same listing).
fn check(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(text.as_bytes())[..4])
}

/// Puts the rows in the sort's order.
pub fn order<T: Ranked>(rows: &mut [T], sort: Sort) {
    rows.sort_unstable_by(|a, b| sort.cmp((a.key(sort.key), a.id()), (b.key(sort.key), b.id())));
}

/// The page of ordered `rows` after `after`, of at most `limit` rows (every remaining row without
/// one), and the cursor of the next page when rows remain after it.
pub fn page<T: Ranked>(rows: &[T], sort: Sort, after: Option<&Cursor>, limit: Option<usize>) -> (std::ops::Range<usize>, Option<Cursor>) {
    let start = after.map_or(0, |c| rows.partition_point(|r| sort.cmp((r.key(sort.key), r.id()), (c.key, &c.id)) != Ordering::Greater));
    let end = limit.map_or(rows.len(), |n| start.saturating_add(n).min(rows.len()));
    let next = (end < rows.len() && end > start).then(|| Cursor::of(&rows[end - 1], sort));
    (start..end, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct Row {
        id: String,
        keys: [i64; 3],
    }

    impl Ranked for Row {
        fn key(&self, key: SortKey) -> i64 {
            match key {
                SortKey::Project => 0,
                SortKey::Utilization => self.keys[0],
                SortKey::DaysLeft => self.keys[1],
                SortKey::Recoverable => self.keys[2],
            }
        }
        fn id(&self) -> &str {
            &self.id
        }
    }

    fn sorts() -> Vec<Sort> {
        KEYS.iter().flat_map(|(_, key)| [false, true].map(|descending| Sort { key: *key, descending })).collect()
    }

    #[test]
    fn sorts_parse_and_name_themselves() {
        for s in sorts() {
            assert_eq!(Sort::parse(Some(&s.name())), Ok(s));
        }
        assert_eq!(Sort::parse(None), Ok(Sort::DEFAULT));
        for bad in ["", "-", "--utilization", "Utilization", "utilization ", "+utilization", "name"] {
            assert!(Sort::parse(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_cursor_is_refused_by_another_sort_and_when_mangled() {
        let (up, down) = (Sort::parse(Some("recoverable")).unwrap(), Sort::parse(Some("-recoverable")).unwrap());
        let c = Cursor { key: -12, id: "01a2345e-331b-702d-87e0-a8a3941c9edd".into() };
        assert_eq!(Cursor::decode(&c.encode(up), up), Ok(c.clone()));
        assert!(Cursor::decode(&c.encode(up), down).is_err());
        let text = c.encode(up);
        let signed = |t: &str| URL_SAFE_NO_PAD.encode(format!("{}|{t}", check(t)));
        assert_eq!(Cursor::decode(&signed("recoverable|7|p1"), up), Ok(Cursor { key: 7, id: "p1".into() }));
        for cut in 1..text.len() {
            assert!(Cursor::decode(&text[cut..], up).is_err() && Cursor::decode(&text[..cut], up).is_err(), "{cut}");
        }
        for bad in ["x", "", "!!!!", &URL_SAFE_NO_PAD.encode("recoverable|1|p"), &signed("recoverable|1.5|p"), &signed("recoverable|1|")] {
            assert!(Cursor::decode(bad, up).is_err(), "{bad:?}");
        }
        assert!(Cursor::decode(&signed(&format!("recoverable|1|{}", "p".repeat(65))), up).is_err());
    }

    fn rows() -> impl Strategy<Value = Vec<Row>> {
        // Few distinct keys, so that ties are common; ids unique.
        proptest::collection::btree_map("[a-f0-9]{1,6}", proptest::array::uniform3(-3i64..4), 0..60)
            .prop_map(|m| m.into_iter().map(|(id, keys)| Row { id, keys }).collect())
    }

    proptest! {
        /// Walking the pages from the first lists every row exactly once, in the sort's order
        /// (key, then id), and the last page has no next cursor.
        #[test]
        fn pages_walk_every_row_once_in_order(mut rows in rows(), limit in 1usize..9, which in 0usize..8) {
            let sort = sorts()[which];
            order(&mut rows, sort);
            for w in rows.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                prop_assert!(sort.key == SortKey::Project || a.key(sort.key) == b.key(sort.key) || (a.key(sort.key) < b.key(sort.key)) != sort.descending);
                if sort.key == SortKey::Project {
                    prop_assert!((a.id < b.id) != sort.descending, "by id alone");
                } else if a.key(sort.key) == b.key(sort.key) {
                    prop_assert!(a.id < b.id, "ties by id ascending");
                }
            }
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            for _ in 0..=rows.len() {
                let after = cursor.as_deref().map(|c| Cursor::decode(c, sort)).transpose().unwrap();
                let (range, next) = page(&rows, sort, after.as_ref(), Some(limit));
                prop_assert!(range.len() <= limit);
                seen.extend(rows[range].iter().map(|r| r.id.clone()));
                cursor = next.map(|c| c.encode(sort));
                if cursor.is_none() {
                    break;
                }
            }
            prop_assert!(cursor.is_none(), "the walk ends");
            prop_assert_eq!(seen, rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>());
        }

        /// A cursor taken, then rows added or changed elsewhere: the next page still starts right
        /// after the cursor's place, so no row that kept its key is skipped or listed twice.
        #[test]
        fn a_page_starts_after_its_cursor_whatever_changed(mut rows in rows(), at in 0usize..60, which in 0usize..8, moved in -3i64..4) {
            let sort = sorts()[which];
            order(&mut rows, sort);
            prop_assume!(!rows.is_empty());
            let c = Cursor::of(&rows[at % rows.len()], sort);
            let changed = (at * 7) % rows.len();
            rows[changed].keys = [moved; 3];
            order(&mut rows, sort);
            let (range, _) = page(&rows, sort, Some(&c), None);
            for (i, r) in rows.iter().enumerate() {
                let after = sort.cmp((r.key(sort.key), &r.id), (c.key, &c.id)) == Ordering::Greater;
                prop_assert_eq!(range.contains(&i), after);
            }
        }

        #[test]
        fn any_text_is_a_cursor_or_a_refusal(text in "\\PC{0,40}") {
            let _ = Cursor::decode(&text, Sort::DEFAULT);
        }
    }
}
