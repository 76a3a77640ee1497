//! The files checked on the import page, held on the server between the dry run and the posting,
//! so the browser never carries the bytes back (a hidden field could hold any other file) and the
//! accountant does not choose the file twice. Each is held for the user and the project it was
//! checked for, under its SHA-256: the posting form names the hash only, and another user's
//! session cannot take the file. One file per user (checking another replaces it), for
//! `KEEP_S`, and at most `BUDGET_BYTES` in all, the oldest let go first. The stash is this
//! process's memory: after a restart, or on another process behind a balancer without sticky
//! sessions, the page asks for the file again, and nothing is posted.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a checked file waits for its posting: long enough to read the check's answer.
pub const KEEP_S: u64 = 30 * 60;
/// What every held file may take together (five files at the default 20 MiB limit of an import).
const BUDGET_BYTES: usize = 100 << 20;

struct Held {
    user_id: String,
    project_id: String,
    sha256: String,
    bytes: Arc<Vec<u8>>,
    at: Instant,
}

#[derive(Default)]
pub struct Stash {
    held: Mutex<Vec<Held>>,
}

impl Stash {
    /// Holds a checked file for its user and project, in place of that user's earlier one.
    pub fn hold(&self, user_id: &str, project_id: &str, sha256: &str, bytes: Arc<Vec<u8>>) {
        let mut held = self.lock();
        let now = Instant::now();
        held.retain(|h| h.user_id != user_id && fresh(h, now));
        held.push(Held { user_id: user_id.into(), project_id: project_id.into(), sha256: sha256.into(), bytes, at: now });
        // Oldest first: the newest file stays even when it alone passes the budget.
        while held.len() > 1 && held.iter().map(|h| h.bytes.len()).sum::<usize>() > BUDGET_BYTES {
            held.remove(0);
        }
    }

    /// The file this user checked for this project under this hash, while it is held.
    pub fn get(&self, user_id: &str, project_id: &str, sha256: &str) -> Option<Arc<Vec<u8>>> {
        let now = Instant::now();
        let held = self.lock();
        held.iter()
            .find(|h| h.user_id == user_id && h.project_id == project_id && h.sha256 == sha256 && fresh(h, now))
            .map(|h| h.bytes.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Held>> {
        // A panic while holding the lock leaves a list that is still whole: keep using it.
        self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn fresh(h: &Held, now: Instant) -> bool {
    now.duration_since(h.at) < Duration::from_secs(KEEP_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: usize) -> Arc<Vec<u8>> {
        Arc::new(vec![7; n])
    }

    #[test]
    fn a_file_is_found_only_by_its_user_project_and_hash() {
        let s = Stash::default();
        s.hold("u1", "p1", "aa", file(3));
        assert_eq!(s.get("u1", "p1", "aa").as_deref().map(Vec::len), Some(3));
        assert!(s.get("u2", "p1", "aa").is_none(), "another user");
        assert!(s.get("u1", "p2", "aa").is_none(), "another project");
        assert!(s.get("u1", "p1", "bb").is_none(), "another hash");
    }

    #[test]
    fn a_users_next_file_replaces_the_last_and_the_budget_lets_the_oldest_go() {
        let s = Stash::default();
        s.hold("u1", "p1", "aa", file(3));
        s.hold("u1", "p1", "bb", file(3));
        assert!(s.get("u1", "p1", "aa").is_none() && s.get("u1", "p1", "bb").is_some());
        s.hold("u2", "p1", "cc", file(BUDGET_BYTES / 2));
        s.hold("u3", "p1", "dd", file(BUDGET_BYTES / 2 + 1));
        assert!(s.get("u1", "p1", "bb").is_none() && s.get("u2", "p1", "cc").is_none(), "over the budget");
        assert!(s.get("u3", "p1", "dd").is_some(), "the newest stays");
    }
}
