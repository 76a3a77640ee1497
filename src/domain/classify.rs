//! Deterministic classification of expenditure lines (shared/policy/CLASSIFICATION.md).
//!
//! Every rule — categories, keywords, exceptions — lives in `config/classification.toml` so a
//! finance bureau can read and amend it; this module only applies them. Matching is plain
//! substring search on normalised text, so each verdict is explained by the keyword that fired.
use crate::domain::kind::ProjectKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    Review,
    Rejected,
}

/// Why a line got its verdict: a stable code (`travel_expense`, `needs_review:meals`,
/// `exception:instructor_fee`, …), a sentence, and the keyword or name that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ClassificationReason)]
pub struct Reason {
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Classification {
    pub verdict: Verdict,
    /// The declared category's slug, even when rejected; `None` only for a prohibited account name.
    pub category: Option<String>,
    pub reasons: Vec<Reason>,
    /// The rule file that judged the line (`r-` and the start of its SHA-256), so a past verdict
    /// can be reproduced; absent on lines classified before versions were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_version: Option<String>,
    /// The learned second opinion consulted, if any (`GET`-able in `classifier_models`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub slug: String,
    pub code: String,
    pub name: String,
    pub kind: ProjectKind,
}

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read classification rules {path}: {source}", path = .0.display(), source = .1)]
    Io(PathBuf, #[source] std::io::Error),
    #[error("classification rules are not valid TOML: {0}")]
    Parse(String),
    #[error("classification rules are invalid: {0}")]
    Invalid(String),
}

// The file's shape. Unknown fields are errors so that a misspelt section cannot silently
// switch a rule off.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    category: Vec<Category>,
    prohibited_accounts: RawNames,
    travel: RawList,
    freight: RawFreight,
    labor: RawLabor,
    unrelated: Vec<RawUnrelated>,
    purpose: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    review: Vec<RawGroup>,
    #[serde(default)]
    exception: Vec<Exception>,
    #[serde(default)]
    benign: RawBenign,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    keywords: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFreight {
    keywords: Vec<String>,
    #[serde(default)]
    explains: Vec<String>,
    #[serde(default)]
    clause_breaks: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabor {
    keywords: Vec<String>,
    #[serde(default)]
    pays_people: Vec<String>,
}

/// One family of spending that serves the unit or its people rather than the training: its
/// `keywords` reject, its `ambiguous` words send the line to a reviewer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnrelated {
    why: String,
    keywords: Vec<String>,
    #[serde(default)]
    ambiguous: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    why: String,
    keywords: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exception {
    why: String,
    categories: Vec<String>,
    keywords: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBenign {
    phrases: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Travel,
    Labor,
    /// Index into `Rules::unrelated_whys`: rejected.
    Unrelated(usize),
    /// Index into `Rules::unrelated_whys`: reviewed.
    MaybeUnrelated(usize),
    Freight,
    Benign,
    /// Index into `Rules::review_whys`.
    Review(usize),
    /// Index into `Rules::exceptions`.
    Exception(usize),
}

#[derive(Debug)]
struct Keyword {
    text: String,
    signal: Signal,
}

#[derive(Debug)]
pub struct Rules {
    categories: Vec<Category>,
    prohibited: Vec<String>,
    keywords: Vec<Keyword>,
    /// Each keyword's index in `keywords` by its first character: a line's text is scanned once
    /// rather than searched once per keyword.
    starting: HashMap<char, Vec<usize>>,
    review_whys: Vec<String>,
    exceptions: Vec<Exception>,
    freight_explains: Vec<usize>,
    clause_breaks: Vec<String>,
    pays_people: Vec<String>,
    unrelated_whys: Vec<String>,
    /// Per category slug, the words naming its legitimate objects.
    purpose: HashMap<String, Vec<String>>,
    version: String,
    /// The learned second opinion now in force (replaced when the model is retrained).
    model: RwLock<Option<Arc<super::model::Model>>>,
}

/// Full-width ASCII → half-width, lower-case ASCII: what a clerk types on a Chinese IME
/// (（）, ＡＢＣ) must match the rule file written in plain text.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub(crate) fn normalise(s: &str) -> String {
    fold(s).trim().to_string()
}

/// `why` tags and slugs end up inside reason codes and URLs, so keep them to snake_case.
fn is_tag(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_code(code: &str) -> bool {
    code.len() == 6 && code.starts_with("5001") && code.bytes().all(|b| b.is_ascii_digit())
}

struct Builder {
    keywords: Vec<Keyword>,
    seen: HashMap<String, String>,
}

impl Builder {
    fn add(&mut self, section: &str, words: &[String], signal: Signal) -> Result<(), String> {
        if words.is_empty() {
            return Err(format!("{section}: the keyword list is empty"));
        }
        for (i, w) in words.iter().enumerate() {
            let text = normalise(w);
            if text.is_empty() {
                return Err(format!("{section}: keyword #{} is empty", i + 1));
            }
            // One keyword, one meaning: a word in two lists would make the verdict depend on order.
            if let Some(first) = self.seen.insert(text.clone(), section.to_string()) {
                return Err(format!("{section}: keyword \"{text}\" is already listed in {first}"));
            }
            self.keywords.push(Keyword { text, signal });
        }
        Ok(())
    }
}

impl Rules {
    pub fn from_toml_str(text: &str) -> Result<Rules, RulesError> {
        Self::parse(text, "<rules text>")
    }

    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|e| RulesError::Io(path.to_path_buf(), e))?;
        Self::parse(&text, &path.display().to_string())
    }

    fn parse(text: &str, origin: &str) -> Result<Rules, RulesError> {
        let raw: RawRules = toml::from_str(text).map_err(|e| RulesError::Parse(format!("{origin}: {e}")))?;
        let version = super::model::digest("r-", text.as_bytes());
        Self::build(raw, version).map_err(|e| RulesError::Invalid(format!("{origin}: {e}")))
    }

    fn build(raw: RawRules, version: String) -> Result<Rules, String> {
        let mut categories = raw.category;
        for (i, c) in categories.iter().enumerate() {
            let at = format!("[[category]] #{} ({})", i + 1, c.slug);
            if !is_tag(&c.slug) {
                return Err(format!("{at}: slug must be snake_case ASCII"));
            }
            if !check_code(&c.code) {
                return Err(format!("{at}: code \"{}\" must be 5001xx", c.code));
            }
            if c.name.trim().is_empty() {
                return Err(format!("{at}: name is empty"));
            }
            if let Some(d) = categories[..i].iter().find(|d| d.slug == c.slug || d.code == c.code) {
                return Err(format!("{at}: slug or code {} repeats {}", c.code, d.slug));
            }
        }
        for kind in [ProjectKind::Base, ProjectKind::Studio] {
            if !categories.iter().any(|c| c.kind == kind) {
                return Err(format!("[[category]]: no category of kind {}", kind.as_str()));
            }
        }
        categories.sort_by(|a, b| a.code.cmp(&b.code));
        let known = |section: &str, slug: &String| -> Result<(), String> {
            match categories.iter().any(|c| &c.slug == slug) {
                true => Ok(()),
                false => Err(format!("{section}: unknown category \"{slug}\"")),
            }
        };

        let mut prohibited = Vec::new();
        for name in &raw.prohibited_accounts.names {
            let n = normalise(name);
            if n.is_empty() {
                return Err("[prohibited_accounts]: a name is empty".into());
            }
            if categories.iter().any(|c| normalise(&c.slug) == n || c.code == n) {
                return Err(format!("[prohibited_accounts]: \"{n}\" is also a category"));
            }
            prohibited.push(n);
        }

        let mut b = Builder { keywords: Vec::new(), seen: HashMap::new() };
        b.add("[travel]", &raw.travel.keywords, Signal::Travel)?;
        b.add("[freight]", &raw.freight.keywords, Signal::Freight)?;
        b.add("[labor]", &raw.labor.keywords, Signal::Labor)?;
        let mut unrelated_whys: Vec<String> = Vec::new();
        for g in &raw.unrelated {
            let at = format!("[[unrelated]] \"{}\"", g.why);
            if !is_tag(&g.why) || unrelated_whys.contains(&g.why) {
                return Err(format!("{at}: why must be a unique snake_case tag"));
            }
            b.add(&at, &g.keywords, Signal::Unrelated(unrelated_whys.len()))?;
            if !g.ambiguous.is_empty() {
                b.add(&format!("{at} ambiguous"), &g.ambiguous, Signal::MaybeUnrelated(unrelated_whys.len()))?;
            }
            unrelated_whys.push(g.why.clone());
        }
        if unrelated_whys.is_empty() {
            return Err("[[unrelated]]: no family of unrelated spending".into());
        }
        let mut purpose = HashMap::new();
        for (slug, words) in &raw.purpose {
            known("[purpose]", slug)?;
            let words: Vec<String> = words.iter().map(|w| normalise(w)).collect();
            if words.is_empty() || words.iter().any(String::is_empty) {
                return Err(format!("[purpose] {slug}: the list or one of its words is empty"));
            }
            purpose.insert(slug.clone(), words);
        }
        if let Some(c) = categories.iter().find(|c| !purpose.contains_key(&c.slug)) {
            return Err(format!("[purpose]: category {} has no words for what it pays for", c.slug));
        }
        let mut review_whys: Vec<String> = Vec::new();
        for g in &raw.review {
            let at = format!("[[review]] \"{}\"", g.why);
            if !is_tag(&g.why) || review_whys.contains(&g.why) {
                return Err(format!("{at}: why must be a unique snake_case tag"));
            }
            b.add(&at, &g.keywords, Signal::Review(review_whys.len()))?;
            review_whys.push(g.why.clone());
        }
        let mut exceptions: Vec<Exception> = Vec::new();
        for e in raw.exception {
            let at = format!("[[exception]] \"{}\"", e.why);
            if !is_tag(&e.why) || review_whys.contains(&e.why) || exceptions.iter().any(|x| x.why == e.why) {
                return Err(format!("{at}: why must be a unique snake_case tag"));
            }
            if e.categories.is_empty() {
                return Err(format!("{at}: categories is empty"));
            }
            e.categories.iter().try_for_each(|c| known(&at, c))?;
            b.add(&at, &e.keywords, Signal::Exception(exceptions.len()))?;
            exceptions.push(e);
        }
        let mut freight_explains = Vec::new();
        for why in &raw.freight.explains {
            match review_whys.iter().position(|w| w == why) {
                Some(i) => freight_explains.push(i),
                None => return Err(format!("[freight] explains: no [[review]] group \"{why}\"")),
            }
        }
        // Not trimmed: a space is a legitimate break.
        let clause_breaks: Vec<String> = raw.freight.clause_breaks.iter().map(|b| fold(b)).collect();
        if clause_breaks.iter().any(|b| b.is_empty()) {
            return Err("[freight] clause_breaks: a break is empty".into());
        }
        raw.labor.pays_people.iter().try_for_each(|c| known("[labor] pays_people", c))?;

        let signals = b.keywords.len();
        if !raw.benign.phrases.is_empty() {
            b.add("[benign]", &raw.benign.phrases, Signal::Benign)?;
        }
        // A benign phrase that contains no keyword masks nothing: almost surely a typo.
        for p in &b.keywords[signals..] {
            if !b.keywords[..signals].iter().any(|k| p.text.contains(&k.text)) {
                return Err(format!("[benign]: phrase \"{}\" contains no keyword", p.text));
            }
        }

        let mut starting: HashMap<char, Vec<usize>> = HashMap::new();
        for (i, k) in b.keywords.iter().enumerate() {
            let first = k.text.chars().next().expect("a keyword is not empty");
            starting.entry(first).or_default().push(i);
        }
        Ok(Rules {
            categories,
            prohibited,
            keywords: b.keywords,
            starting,
            review_whys,
            exceptions,
            freight_explains,
            clause_breaks,
            pays_people: raw.labor.pays_people,
            unrelated_whys,
            purpose,
            version,
            model: RwLock::new(None),
        })
    }

    /// `r-` and the first 12 hex digits of the rule file's SHA-256.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The learned second opinion in force, if one was trained.
    pub fn model(&self) -> Option<Arc<super::model::Model>> {
        self.model.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts a newly trained model in force for every classification from now on.
    pub fn set_model(&self, model: Arc<super::model::Model>) {
        *self.model.write().unwrap_or_else(|e| e.into_inner()) = Some(model);
    }

    /// The words naming what `slug` legitimately pays for.
    pub fn purpose(&self, slug: &str) -> &[String] {
        self.purpose.get(slug).map_or(&[], Vec::as_slice)
    }

    pub fn categories(&self, kind: ProjectKind) -> Vec<&Category> {
        self.categories.iter().filter(|c| c.kind == kind).collect()
    }

    /// Category of ANY kind whose slug or code equals `account` (exact match).
    pub fn find_category(&self, account: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.slug == account || c.code == account)
    }

    /// True if `account` names a prohibited use (差旅费 / 劳务费 / travel / labor_fee …).
    pub fn is_prohibited_account(&self, account: &str) -> bool {
        let n = normalise(account);
        self.prohibited.contains(&n)
    }

    /// Keyword occurrences in `text`, in text order. A hit lying inside a longer hit is dropped:
    /// the longer phrase is the more specific one (过路费 is a toll, not 路费).
    fn hits<'r>(&'r self, text: &str) -> Vec<(usize, &'r Keyword)> {
        // Each keyword's occurrences as `match_indices` gives them: left to right, none starting
        // inside the one before (`ends` holds where each keyword's last occurrence ended).
        let mut all: Vec<(usize, usize, &Keyword)> = Vec::new();
        let mut ends: Vec<(usize, usize)> = Vec::new();
        for (at, c) in text.char_indices() {
            let Some(candidates) = self.starting.get(&c) else { continue };
            for &i in candidates {
                let kw = &self.keywords[i];
                if !text[at..].starts_with(kw.text.as_str()) {
                    continue;
                }
                let end = at + kw.text.len();
                match ends.iter_mut().find(|(k, _)| *k == i) {
                    Some((_, last)) if *last > at => continue,
                    Some((_, last)) => *last = end,
                    None => ends.push((i, end)),
                }
                all.push((at, end, kw));
            }
        }
        let inside = |&(s, e, _): &(usize, usize, &Keyword)| all.iter().any(|&(os, oe, _)| os <= s && e <= oe && oe - os > e - s);
        let mut kept: Vec<_> = all.iter().filter(|h| !inside(h)).map(|&(s, _, k)| (s, k)).collect();
        kept.sort_by_key(|&(s, k)| (s, k.text.len()));
        kept
    }

    /// Classify one debit line declared against `account` (a slug, a code, or a prohibited name).
    /// Returns None when `account` is neither a known category of any kind nor a prohibited name
    /// (the caller then reports unknown_account).
    pub fn classify(&self, kind: ProjectKind, account: &str, summary: &str) -> Option<Classification> {
        use Verdict::*;
        let mut found: Vec<(Verdict, Reason)> = Vec::new();
        let category = self.find_category(account);
        // Exceptions and the people-paying leniency rest on a legitimate category, so they
        // apply only when the declared category belongs to the project's kind.
        let scope = match category {
            Some(c) if c.kind == kind => Some(c.slug.as_str()),
            Some(c) => {
                let detail =
                    format!("category {} ({} {}) is for {} projects, not {}", c.slug, c.code, c.name, c.kind.as_str(), kind.as_str());
                found.push((Rejected, reason("category_not_allowed", detail, None)));
                None
            }
            None if self.is_prohibited_account(account) => {
                let detail = format!("\"{account}\" is a prohibited use of the grant (差旅费/劳务费)");
                found.push((Rejected, reason("prohibited_category", detail, Some(account))));
                None
            }
            None => return None,
        };
        let in_scope = |list: &[String]| scope.is_some_and(|s| list.iter().any(|c| c == s));

        let text = normalise(summary);
        let hits = self.hits(&text);
        let ends: Vec<usize> = self.clause_breaks.iter().flat_map(|b| text.match_indices(b.as_str()).map(|(at, m)| at + m.len())).collect();
        let clause = |pos: usize| ends.iter().filter(|&&end| end <= pos).count();
        // Freight explains a transport word only in the same clause: 快递费及打车费 is two things.
        let freight_near = |pos: usize| {
            hits.iter().find(|(at, k)| k.signal == Signal::Freight && clause(*at) == clause(pos)).map(|(_, k)| k.text.as_str())
        };
        for (at, kw) in &hits {
            let w = kw.text.as_str();
            let (verdict, code, detail) = match kw.signal {
                Signal::Travel => (
                    Rejected,
                    "travel_expense".to_string(),
                    format!("travel (差旅费) may not be paid from the grant: “{w}” points to a trip"),
                ),
                Signal::Labor if in_scope(&self.pays_people) => (
                    Review,
                    "needs_review:labor_word_in_people_category".to_string(),
                    format!("“{w}” is a labour-fee word in a category that pays people: check it"),
                ),
                Signal::Labor => (Rejected, "labor_fee".to_string(), format!("labour fees (劳务费) may not be paid from the grant: “{w}”")),
                Signal::Unrelated(i) => (
                    Rejected,
                    "unrelated_to_project".to_string(),
                    format!("“{w}” serves the unit or its people, not the training ({}): unrelated to the project", self.unrelated_whys[i]),
                ),
                Signal::MaybeUnrelated(i) => (
                    Review,
                    "needs_review:unrelated_to_project".to_string(),
                    format!(
                        "“{w}” may serve the unit or its people rather than the training ({}): a reviewer decides",
                        self.unrelated_whys[i]
                    ),
                ),
                Signal::Review(i) => match freight_near(*at) {
                    Some(f) if self.freight_explains.contains(&i) => {
                        (Allowed, "exception:freight".to_string(), format!("“{w}” is the transport of goods here (freight word “{f}”)"))
                    }
                    _ => (
                        Review,
                        format!("needs_review:{}", self.review_whys[i]),
                        format!("“{w}” may or may not be a project cost: a reviewer decides"),
                    ),
                },
                Signal::Exception(i) => {
                    let e = &self.exceptions[i];
                    match in_scope(&e.categories) {
                        true => (Allowed, format!("exception:{}", e.why), format!("“{w}” is allowed under {}", e.categories.join(", "))),
                        false => (
                            Review,
                            format!("needs_review:{}", e.why),
                            format!("“{w}” belongs under {}: a reviewer decides", e.categories.join(", ")),
                        ),
                    }
                }
                Signal::Freight | Signal::Benign => continue,
            };
            // The same word twice in one summary is one reason, not two.
            if !found.iter().any(|(_, r)| r.code == code && r.matched.as_deref() == Some(w)) {
                found.push((verdict, reason(&code, detail, Some(w))));
            }
        }
        // Purpose: a line not already refused must name something its category pays for. An
        // exception allowed in the category (课时费 under instructors) names it too.
        if let Some(slug) = scope {
            let excepted = found.iter().any(|(v, r)| *v == Allowed && r.code.starts_with("exception:") && r.code != "exception:freight");
            let words = self.purpose(slug);
            let named = words.iter().any(|w| text.contains(w.as_str()));
            if !named && !excepted && !found.iter().any(|(v, _)| *v == Rejected) {
                let shown: Vec<&str> = words.iter().take(8).map(String::as_str).collect();
                let name = category.map_or("", |c| c.name.as_str());
                let detail = format!("the text names nothing {slug} ({name}) pays for, such as {}…: a reviewer decides", shown.join("、"));
                found.push((Review, reason("category_mismatch", detail, Some(name))));
            }
        }
        Some(Classification {
            verdict: found.iter().map(|(v, _)| *v).max().unwrap_or(Allowed),
            category: category.map(|c| c.slug.clone()),
            reasons: found.into_iter().map(|(_, r)| r).collect(),
            rules_version: Some(self.version.clone()),
            model_version: None,
        })
    }
}

fn reason(code: &str, detail: String, matched: Option<&str>) -> Reason {
    Reason { code: code.to_string(), detail, matched: matched.map(str::to_string) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProjectKind::{Base, Studio};

    const MINI: &str = r#"
        category = [
          { slug = "instructors", code = "500103", name = "指导教师聘用", kind = "base" },
          { slug = "equipment", code = "500101", name = "实训设备购置改造与维护", kind = "base" },
          { slug = "operating", code = "500115", name = "日常工作经费", kind = "studio" },
        ]
        prohibited_accounts = { names = ["差旅费", "travel"] }
        travel = { keywords = ["机票", "路费", "高铁"] }
        freight = { keywords = ["运费"], explains = ["local_transport"], clause_breaks = ["，"] }
        labor = { keywords = ["劳务费"], pays_people = ["instructors"] }
        unrelated = [{ why = "welfare_gifts", keywords = ["购物卡"], ambiguous = ["茶叶"] }]
        purpose = { instructors = ["教师", "课时"], equipment = ["设备", "模型"], operating = ["宽带"] }
        review = [{ why = "local_transport", keywords = ["交通费", "过路费"] }]
        exception = [{ why = "instructor_fee", categories = ["instructors"], keywords = ["课时费"] }]
        benign = { phrases = ["高铁车辆"] }
    "#;

    #[test]
    fn validation_names_the_problem() {
        let edits = [
            (r#"categories = ["instructors"]"#, r#"categories = ["x"]"#, "unknown category \"x\""),
            (r#"["购物卡"]"#, r#"["购物卡", " "]"#, "\"welfare_gifts\": keyword #2 is empty"),
            (r#"operating = ["宽带"]"#, r#"operating = []"#, "[purpose] operating"),
            (r#", operating = ["宽带"]"#, "", "category operating has no words"),
            (r#"equipment = ["#, r#"equipmen = ["#, "[purpose]: unknown category"),
            (r#""500101""#, r#""500103""#, "repeats"),
            (r#""500101""#, r#""600101""#, "5001xx"),
            (r#"["购物卡"]"#, r#"["机票"]"#, "already listed in [travel]"),
            (r#"people = ["instructors"]"#, r#"people = ["x"]"#, "[labor] pays_people"),
            (r#"["高铁车辆"]"#, r#"["车辆"]"#, "contains no keyword"),
            ("benign =", "benigne =", "not valid TOML"),
        ];
        for (from, to, want) in edits {
            assert!(MINI.contains(from), "edit must apply: {from}");
            let e = Rules::from_toml_str(&MINI.replacen(from, to, 1)).unwrap_err();
            assert!(e.to_string().contains(want), "{to}: {e}");
        }
    }

    #[test]
    fn verdicts() {
        let r = Rules::from_toml_str(MINI).unwrap();
        let cases: [(&str, &str, Verdict, &[&str]); 11] = [
            ("equipment", "设备运费交通费", Verdict::Allowed, &["exception:freight"]),
            ("equipment", "设备运费，教师交通费", Verdict::Review, &["needs_review:local_transport"]),
            ("500101", "机票及运费", Verdict::Rejected, &["travel_expense"]),
            ("instructors", "外聘教师课时费", Verdict::Allowed, &["exception:instructor_fee"]),
            ("equipment", "外聘教师课时费", Verdict::Review, &["needs_review:instructor_fee", "category_mismatch"]),
            ("instructors", "劳务费", Verdict::Review, &["needs_review:labor_word_in_people_category", "category_mismatch"]),
            ("equipment", "劳务费、购物卡", Verdict::Rejected, &["labor_fee", "unrelated_to_project"]),
            // Purpose: nothing equipment pays for is named; an ambiguous unrelated word reviews.
            ("equipment", "办公用纸", Verdict::Review, &["category_mismatch"]),
            ("equipment", "设备间茶叶", Verdict::Review, &["needs_review:unrelated_to_project"]),
            ("instructors", "设备购物卡", Verdict::Rejected, &["unrelated_to_project"]),
            // 过路费 contains 路费; 高铁车辆 is a subject, not a ticket.
            ("equipment", "高铁车辆模型过路费", Verdict::Review, &["needs_review:local_transport"]),
        ];
        for (account, summary, verdict, codes) in cases {
            let c = r.classify(Base, account, summary).unwrap();
            let got: Vec<_> = c.reasons.iter().map(|r| r.code.as_str()).collect();
            assert_eq!((c.verdict, got.as_slice()), (verdict, codes), "{summary}");
        }
    }

    #[test]
    fn accounts() {
        let r = Rules::from_toml_str(MINI).unwrap();
        assert!(r.classify(Base, "unknown", "x").is_none());
        assert!(r.is_prohibited_account(" ＴＲＡＶＥＬ "));
        let c = r.classify(Base, "差旅费", "购买导线").unwrap();
        assert_eq!((c.verdict, c.category), (Verdict::Rejected, None));
        assert_eq!(c.reasons[0].matched.as_deref(), Some("差旅费"));
        let c = r.classify(Base, "operating", "宽带费").unwrap();
        assert_eq!(c.reasons[0].code, "category_not_allowed");
        assert_eq!(c.category.as_deref(), Some("operating"));
        let codes: Vec<_> = r.categories(Base).iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["500101", "500103"]);
        let c = r.classify(Studio, "operating", "宽带费").unwrap();
        assert!(c.reasons.is_empty());
    }

    /// The one-pass scan finds exactly what searching for each keyword in turn finds, repeated
    /// and overlapping keywords included (过路费 holds 路费; 高铁车辆 holds 高铁).
    #[test]
    fn hits_match_a_search_per_keyword() {
        use proptest::prelude::*;
        let r = Rules::from_toml_str(MINI).unwrap();
        let per_keyword = |text: &str| {
            let mut all: Vec<(usize, usize, &str)> = Vec::new();
            for kw in &r.keywords {
                all.extend(text.match_indices(kw.text.as_str()).map(|(at, m)| (at, at + m.len(), kw.text.as_str())));
            }
            let inside = |&(s, e, _): &(usize, usize, &str)| all.iter().any(|&(os, oe, _)| os <= s && e <= oe && oe - os > e - s);
            let mut kept: Vec<(usize, &str)> = all.iter().filter(|h| !inside(h)).map(|&(s, _, k)| (s, k)).collect();
            kept.sort_by_key(|&(s, k)| (s, k.len()));
            kept
        };
        proptest!(|(text in "(机票|路费|过路费|高铁|车辆|运费|劳务费|课时费|购物卡|茶叶|交通费|路|费|高|，|a){0,12}")| {
            let scanned: Vec<(usize, &str)> = r.hits(&text).into_iter().map(|(at, k)| (at, k.text.as_str())).collect();
            prop_assert_eq!(scanned, per_keyword(&text));
        });
        assert_eq!(r.hits("路费路费过路费").len(), 3);
    }
}
