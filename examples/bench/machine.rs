//! Facts about the machine, and this process's resident memory (the service runs in it too).
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim())
}

pub fn cpu_model() -> String {
    field(&read("/proc/cpuinfo"), "model name").unwrap_or("unknown").to_string()
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

pub fn ram_gib() -> f64 {
    let kib: f64 = field(&read("/proc/meminfo"), "MemTotal").and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0.0);
    kib / 1024.0 / 1024.0
}

pub fn kernel() -> String {
    read("/proc/sys/kernel/osrelease").trim().to_string()
}

pub fn loadavg() -> String {
    read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// The file system type of the mount holding `path` (longest mount-point prefix).
pub fn fs_type(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut best: (usize, String) = (0, "unknown".into());
    for line in read("/proc/mounts").lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [dev, mount, fs, ..] = parts[..] {
            if path.starts_with(mount) && mount.len() >= best.0 {
                best = (mount.len(), format!("{fs} on {dev}"));
            }
        }
    }
    best.1
}

/// VmRSS of this process in KiB.
/// CPU time this process has used, user and system, in ms (from /proc/self/stat, in clock ticks
/// of 10 ms): on a machine shared with other work it says what a request cost where wall time
/// says also how long it waited for a core.
pub fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 * 10.0
}

pub fn rss_kib() -> u64 {
    field(&read("/proc/self/status"), "VmRSS").and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Samples VmRSS every 50 ms until stopped.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<(u64, u64)>,
}

impl RssSampler {
    pub fn start() -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let (mut max, mut sum, mut n) = (0u64, 0u64, 0u64);
            loop {
                let r = rss_kib();
                max = max.max(r);
                sum += r;
                n += 1;
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            (max, sum / n.max(1))
        });
        RssSampler { stop, handle }
    }

    /// (max, mean) in KiB.
    pub fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or((0, 0))
    }
}

/// CPU time (user + system, in clock ticks of 10 ms) used so far by the whole process and by its
/// threads named `writer` (the SQLite group-commit thread): a figure of work per voucher that a
/// loaded machine distorts far less than throughput does.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTicks {
    pub process: u64,
    pub writer: u64,
}

/// Fields 14 and 15 (utime, stime) of a /proc `stat` line; the name in parentheses may hold spaces.
fn ticks(stat: &str) -> u64 {
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after.split_whitespace().skip(11).take(2).filter_map(|f| f.parse::<u64>().ok()).sum()
}

pub fn cpu_ticks() -> CpuTicks {
    let process = ticks(&read("/proc/self/stat"));
    let mut writer = 0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = read(&format!("{}/stat", task.path().display()));
            if stat.contains("(fundledger-writ") {
                writer += ticks(&stat);
            }
        }
    }
    CpuTicks { process, writer }
}
