//! The classification corpus (config/corpus.tsv): expenditure summaries as Chifeng units word
//! them, each with the verdict a finance reviewer gives. The rules must agree with every line
//! (tests/classification_corpus.rs), and the learned second opinion is trained on them.
use super::classify::{Rules, Verdict};
use super::kind::ProjectKind;
use super::model::Example;

/// The corpus as this binary was built with it.
pub const BUILT_IN: &str = include_str!("../../config/corpus.tsv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// From 1, in the file.
    pub line_no: usize,
    pub kind: ProjectKind,
    pub account: String,
    pub summary: String,
    pub verdict: Verdict,
    /// A reason code the verdict must carry; empty for an allowed line with no reasons at all.
    pub code: String,
}

/// The lines of a corpus file: `kind TAB account TAB summary TAB verdict [TAB code]`; blank lines
/// and lines starting with `#` are skipped.
pub fn parse(text: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let at = i + 1;
        let f: Vec<&str> = raw.split('\t').collect();
        if !(4..=5).contains(&f.len()) {
            return Err(format!("corpus line {at}: {} fields, want 4 or 5", f.len()));
        }
        let kind = ProjectKind::parse(f[0]).ok_or_else(|| format!("corpus line {at}: unknown kind {}", f[0]))?;
        let verdict = match f[3] {
            "allowed" => Verdict::Allowed,
            "review" => Verdict::Review,
            "rejected" => Verdict::Rejected,
            v => return Err(format!("corpus line {at}: unknown verdict {v}")),
        };
        let code = f.get(4).unwrap_or(&"").to_string();
        if verdict != Verdict::Allowed && code.is_empty() {
            return Err(format!("corpus line {at}: a {} line names its reason", f[3]));
        }
        out.push(Line { line_no: at, kind, account: f[1].into(), summary: f[2].into(), verdict, code });
    }
    Ok(out)
}

/// The corpus lines as training examples: allowed lines against rejected ones. Lines the rules hold
/// for review are left out: the rules already catch them, and their words (补贴, 餐费) are as often
/// fine as not; trained on them the model sent 23 of 185 allowed lines to review instead of 4
/// (k-fold, threshold 0.90 — see examples/classifier_cv.rs).
pub fn examples(rules: &Rules, lines: &[Line]) -> Vec<Example> {
    lines
        .iter()
        .filter(|l| l.verdict != Verdict::Review)
        .map(|l| Example {
            category: rules.find_category(&l.account).map_or_else(|| l.account.clone(), |c| c.slug.clone()),
            text: l.summary.clone(),
            suspect: l.verdict != Verdict::Allowed,
            weight: 1,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_corpus_parses_and_bad_lines_are_named() {
        assert!(parse(BUILT_IN).unwrap().len() >= 400);
        assert!(parse("base\tequipment\tx").unwrap_err().contains("line 1"));
        assert!(parse("# c\nbase\tequipment\tx\treview").unwrap_err().contains("line 2: a review line names its reason"));
        assert!(parse("town\tequipment\tx\tallowed").unwrap_err().contains("unknown kind"));
    }
}
