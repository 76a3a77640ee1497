//! The archive each base and studio keeps (POLICY.md §7: members, major activities,
//! achievements, summaries, images), and the electronic accounting archive (会计档案) of a
//! closed project: what its package holds and how it is checked.
use super::export::CSV_HEADER;
use super::money::Money;
use super::reconcile::{Books, LineFacts};
use super::trail::{self, KeptNote, Verdict};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What an archive entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ArchiveKind)]
pub enum Kind {
    /// 成员信息
    Member,
    /// 重大活动记录
    Activity,
    /// 工作业绩
    Achievement,
    /// 工作总结
    Summary,
    /// 影像资料
    Image,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Member, Kind::Activity, Kind::Achievement, Kind::Summary, Kind::Image];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Member => "member",
            Kind::Activity => "activity",
            Kind::Achievement => "achievement",
            Kind::Summary => "summary",
            Kind::Image => "image",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The names, for an error message.
    pub fn names() -> String {
        Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The files of an archive package every check reads, by path.
pub mod files {
    pub const MANIFEST: &str = "manifest.json";
    pub const JOURNAL_CSV: &str = "journal/journal.csv";
    pub const JOURNAL_BEANCOUNT: &str = "journal/journal.beancount";
    pub const TRAIL: &str = "audit/audit-trail.jsonl";
    pub const CHECKPOINT: &str = "audit/checkpoint.txt";
    pub const KEY: &str = "audit/audit-key.txt";
}

/// Where a stored document lies in a package: `documents/<attachment id>-<file name>`, the name
/// kept to letters, digits and `.-_` (and Chinese), so no path can leave the folder.
pub fn document_path(attachment_id: &str, filename: &str) -> String {
    let safe: String = filename.chars().map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    let safe = safe.trim_start_matches('.');
    format!("documents/{attachment_id}-{safe}")
}

/// One file of a package as its manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    pub path: String,
    pub size: u64,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The manifest of a package's files, in their order.
pub fn manifest(files: &[(String, Vec<u8>)]) -> Vec<ManifestEntry> {
    files
        .iter()
        .map(|(path, bytes)| ManifestEntry { path: path.clone(), size: bytes.len() as u64, sha256: hex::encode(Sha256::digest(bytes)) })
        .collect()
}

/// What the offline check of a package found.
#[derive(Debug, PartialEq, Eq)]
pub enum PackageVerdict {
    Holds { files: usize, events: i64, vouchers: usize, head: String, checkpoint: Option<(String, u64)> },
    Broken(String),
}

/// Checks a package with nothing but its files: every file is the one the manifest names (size
/// and SHA-256) and nothing is unlisted; the audit trail holds (hashes, links, Merkle tree) and
/// extends the package's signed checkpoint under `key` (else the package's own `audit-key.txt`,
/// which proves less: whoever rewrote the package could have signed it); and the journal's
/// vouchers each balance and are, line for line and in every account's totals, what the chain's
/// events say.
pub fn check_package(files: &BTreeMap<String, Vec<u8>>, key: Option<&str>) -> PackageVerdict {
    match check(files, key) {
        Ok(v) => v,
        Err(problem) => PackageVerdict::Broken(problem),
    }
}

fn text<'a>(files: &'a BTreeMap<String, Vec<u8>>, path: &str) -> Result<&'a str, String> {
    let bytes = files.get(path).ok_or_else(|| format!("{path} is missing"))?;
    std::str::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8 text"))
}

fn check(files: &BTreeMap<String, Vec<u8>>, key: Option<&str>) -> Result<PackageVerdict, String> {
    let listed: Vec<ManifestEntry> =
        serde_json::from_str(text(files, files::MANIFEST)?).map_err(|e| format!("{} does not parse: {e}", files::MANIFEST))?;
    for entry in &listed {
        let bytes = files.get(&entry.path).ok_or_else(|| format!("{} is in the manifest but not in the package", entry.path))?;
        if bytes.len() as u64 != entry.size || hex::encode(Sha256::digest(bytes)) != entry.sha256 {
            return Err(format!("{} is not the file the manifest lists (size or SHA-256 differ)", entry.path));
        }
    }
    if let Some(extra) = files.keys().find(|p| *p != files::MANIFEST && !listed.iter().any(|e| &e.path == *p)) {
        return Err(format!("{extra} is in the package but not in the manifest"));
    }
    let trail_text = text(files, files::TRAIL)?;
    let checkpoint = text(files, files::CHECKPOINT)?;
    let key = match key {
        Some(k) => k.to_string(),
        None => text(files, files::KEY)?.trim().to_string(),
    };
    let kept = KeptNote { checkpoint, key: &key };
    let (events, head, extends) = match trail::check(trail_text.lines().map(|l| Ok(l.to_string())), Some(kept)) {
        Verdict::Holds { events, head, extends, .. } => (events, head, extends),
        Verdict::Broken(problem) => return Err(format!("{}: {problem}", files::TRAIL)),
    };
    let mut books = Books::new();
    for line in trail_text.lines().filter(|l| !l.trim().is_empty()) {
        let e: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{}: {e}", files::TRAIL))?;
        let (seq, action) = (e["seq"].as_i64().unwrap_or_default(), e["action"].as_str().unwrap_or_default());
        books.apply(seq, action, &e["data"]).map_err(|m| format!("{}: event {}: {:?}", files::TRAIL, m.key, m.chain))?;
    }
    documents_against_chain(files, trail_text)?;
    let vouchers = journal_against_chain(text(files, files::JOURNAL_CSV)?, &mut books)?;
    Ok(PackageVerdict::Holds { files: listed.len(), events, vouchers, head, checkpoint: extends })
}

/// Every document the trail recorded (`attachment.added`) is in the package, and its bytes are
/// the ones whose SHA-256 the chain holds.
fn documents_against_chain(files: &BTreeMap<String, Vec<u8>>, trail_text: &str) -> Result<(), String> {
    for line in trail_text.lines().filter(|l| !l.trim().is_empty()) {
        let e: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{}: {e}", files::TRAIL))?;
        if e["action"] != "attachment.added" {
            continue;
        }
        let d = &e["data"];
        let (id, name, sha) = (d["attachment_id"].as_str(), d["filename"].as_str(), d["sha256"].as_str());
        let (Some(id), Some(name), Some(sha)) = (id, name, sha) else {
            return Err(format!("{}: event {} records a document without its id, name or SHA-256", files::TRAIL, e["seq"]));
        };
        let path = document_path(id, name);
        let bytes = files.get(&path).ok_or_else(|| format!("{path}: the document the trail recorded is missing"))?;
        if hex::encode(Sha256::digest(bytes)) != sha {
            return Err(format!("{path}: not the document the trail recorded (SHA-256 differs)"));
        }
    }
    Ok(())
}

/// Reads the journal's CSV (`export::CSV_HEADER`): each voucher balances, each line is the
/// chain's, and the accounts' totals are the chain's. Returns how many vouchers it holds.
fn journal_against_chain(csv_text: &str, books: &mut Books) -> Result<usize, String> {
    let path = files::JOURNAL_CSV;
    let mut reader = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().map_err(|e| format!("{path}: {e}"))?.iter().map(str::to_string).collect();
    if header != CSV_HEADER {
        return Err(format!("{path}: the header is not {}", CSV_HEADER.join(",")));
    }
    let column = |name: &str| CSV_HEADER.iter().position(|h| *h == name).expect("a column of the header");
    let (id_at, account_at, debit_at, credit_at) = (column("voucher_id"), column("account"), column("debit"), column("credit"));
    let mut sums: BTreeMap<String, (i64, i64, i32)> = BTreeMap::new();
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{path}: {e}"))?;
        let amount = |at: usize| {
            Money::parse_written(record.get(at).unwrap_or_default()).map(Money::fen).map_err(|e| format!("{path} row {}: {e}", i + 2))
        };
        let (id, account) = (record.get(id_at).unwrap_or_default().to_string(), record.get(account_at).unwrap_or_default().to_string());
        let (debit, credit) = (amount(debit_at)?, amount(credit_at)?);
        let voucher = sums.entry(id.clone()).or_default();
        *voucher = (voucher.0 + debit, voucher.1 + credit, voucher.2 + 1);
        let line = LineFacts { voucher_id: id, line_no: voucher.2, account: account.clone(), debit_fen: debit, credit_fen: credit };
        books.line(&line).map_err(|m| format!("{path}: line {} differs from the chain in {} ({:?})", m.key, m.field, m.chain))?;
        let t = totals.entry(account).or_default();
        *t = (t.0 + debit, t.1 + credit);
    }
    if let Some((id, (d, c, _))) = sums.iter().find(|(_, (d, c, _))| d != c) {
        return Err(format!("{path}: voucher {id} does not balance (debits {}, credits {})", Money::from_fen(*d), Money::from_fen(*c)));
    }
    let totals: Vec<(String, i64, i64)> = totals.into_iter().map(|(code, (d, c))| (code, d, c)).collect();
    books
        .accounts(&totals)
        .map_err(|m| format!("{path}: account {} differs from the chain: chain {:?}, journal {:?}", m.key, m.chain, m.table_value))?;
    Ok(sums.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_back_from_its_text_and_serialises_as_it() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(Kind::parse("photo"), None);
    }

    #[test]
    fn a_package_is_first_checked_against_its_manifest() {
        let listed = vec![("a.txt".to_string(), b"one".to_vec())];
        let mut package: BTreeMap<String, Vec<u8>> = listed.iter().cloned().collect();
        let broken = |p: &BTreeMap<String, Vec<u8>>| match check_package(p, None) {
            PackageVerdict::Broken(problem) => problem,
            holds => panic!("{holds:?}"),
        };
        assert_eq!(broken(&package), "manifest.json is missing");
        package.insert(files::MANIFEST.into(), serde_json::to_vec(&manifest(&listed)).unwrap());
        assert_eq!(manifest(&listed)[0].sha256, "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed");
        package.insert("b.txt".into(), b"two".to_vec());
        assert_eq!(broken(&package), "b.txt is in the package but not in the manifest");
        package.remove("b.txt");
        package.insert("a.txt".into(), b"One".to_vec());
        assert_eq!(broken(&package), "a.txt is not the file the manifest lists (size or SHA-256 differ)");
        package.insert("a.txt".into(), b"one".to_vec());
        assert_eq!(broken(&package), "audit/audit-trail.jsonl is missing", "then the trail");
    }
}
