//! `--sql-profile`: diesel's default instrumentation, installed before the service opens its
//! pool, counts and times every statement (BEGIN and COMMIT included) on every connection.
use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

static ON: AtomicBool = AtomicBool::new(false);
static STATS: Mutex<Option<HashMap<String, (u64, u128)>>> = Mutex::new(None);

struct Timer {
    sql: String,
    started: Option<Instant>,
}

/// Keeps the SQL text and stops before the bind values are formatted.
struct SqlOnly<'a>(&'a mut String);

impl Write for SqlOnly<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.push_str(s);
        if self.0.contains(" -- binds") {
            return Err(std::fmt::Error);
        }
        Ok(())
    }
}

/// One key per statement shape: whitespace collapsed, binds dropped, `IN (?, ?, …)` kept as is.
fn key(raw: &str) -> String {
    let sql = raw.split(" -- binds").next().unwrap_or(raw);
    let mut out = String::with_capacity(sql.len());
    for w in sql.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.replace(['"', '`'], "")
}

impl Instrumentation for Timer {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if !ON.load(Ordering::Relaxed) {
            return;
        }
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                self.sql.clear();
                let _ = write!(SqlOnly(&mut self.sql), "{query}");
                self.started = Some(Instant::now());
            }
            InstrumentationEvent::FinishQuery { .. } => {
                if let Some(t) = self.started.take() {
                    let ns = t.elapsed().as_nanos();
                    if let Ok(mut g) = STATS.lock() {
                        let e = g.get_or_insert_with(HashMap::new).entry(key(&self.sql)).or_default();
                        e.0 += 1;
                        e.1 += ns;
                    }
                }
            }
            _ => {}
        }
    }
}

fn make() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(Timer { sql: String::new(), started: None }))
}

/// Must run before the service builds its pool.
pub fn install() -> Result<(), String> {
    set_default_instrumentation(make).map_err(|e| e.to_string())
}

/// Clears the counters and starts counting.
pub fn start() {
    if let Ok(mut g) = STATS.lock() {
        *g = Some(HashMap::new());
    }
    ON.store(true, Ordering::Relaxed);
}

/// Stops counting: (statement, calls, total ns), most total time first.
pub fn stop() -> Vec<(String, u64, u128)> {
    ON.store(false, Ordering::Relaxed);
    let map = STATS.lock().ok().and_then(|mut g| g.take()).unwrap_or_default();
    let mut v: Vec<_> = map.into_iter().map(|(k, (n, ns))| (k, n, ns)).collect();
    v.sort_by_key(|r| std::cmp::Reverse(r.2));
    v
}
