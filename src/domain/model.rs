//! The learned second opinion on an expenditure line: naive Bayes over the character n-grams of
//! its text, trained on the corpus (config/corpus.tsv) and the finance bureau's review decisions.
//!
//! It may only send an `allowed` line to review; it never rejects and never allows (see
//! `second_opinion`). Written here rather than taken from `linfa-bayes`: that crate wants a dense
//! `ndarray` feature matrix and brings ndarray, linfa and their numeric stack for what is a
//! table of sparse counts, a sum of logarithms and a threshold. Training is counting: no
//! randomness, and the same examples give the same model and the same version in any order.
use super::classify::{Classification, Reason, Verdict};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Names the features and the scoring; changed whenever either changes, so a version made by
/// another algorithm can never be mistaken for this one's.
pub const ALGORITHM: &str = "nb1";
/// The score from which a line the rules allowed goes to review. Chosen on the k-fold figures
/// (`cargo run --example classifier_cv`): high enough that the corpus's allowed lines pass.
pub const THRESHOLD: f64 = 0.90;
/// How many corpus lines one bureau decision counts as: the bureau's own word on a real voucher
/// outweighs a hand-written example, so one decline is felt at once.
pub const DECISION_WEIGHT: u32 = 4;
/// Laplace smoothing of the n-gram counts.
const ALPHA: f64 = 0.5;
/// How strongly the mean log-likelihood ratio of a line's n-grams moves its score. The mean, not
/// the sum: a long summary must not be more certain than a short one for being long.
const GAIN: f64 = 6.0;

/// One training line: its declared category, its text, and whether it was refused (`suspect`: a
/// rejected corpus line, a held line the bureau declined) or allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub category: String,
    pub text: String,
    pub suspect: bool,
    /// How many times it counts (a decision counts `DECISION_WEIGHT`).
    pub weight: u32,
}

#[derive(Debug)]
pub struct Model {
    version: String,
    /// Per n-gram, its weighted count among allowed [0] and suspect [1] lines.
    counts: HashMap<String, [f64; 2]>,
    totals: [f64; 2],
    lines: [f64; 2],
    pub examples: usize,
}

/// What the model thinks of one line: the probability-like score that it is suspect, and the
/// n-grams that weighed most towards suspicion.
#[derive(Debug, Clone, PartialEq)]
pub struct Opinion {
    pub score: f64,
    pub grams: Vec<String>,
}

/// `prefix` and the first 12 hex digits of the SHA-256 of `bytes`.
pub fn digest(prefix: &str, bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// The features of a line: its category, and the 1-, 2- and 3-grams of its text's letters (digits,
/// punctuation and spaces break words apart: amounts and dates say nothing about purpose).
pub fn grams(category: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_gram(category, text, |g| out.push(g.to_string()));
    out
}

/// Hands each feature of `grams`, in the same order, to `f`, built in one reused buffer: scoring
/// runs on every expenditure line posted and needs no String per n-gram.
fn each_gram(category: &str, text: &str, mut f: impl FnMut(&str)) {
    let mut gram = String::with_capacity(category.len() + 2);
    gram.push_str("c:");
    gram.push_str(category);
    f(&gram);
    let folded = super::classify::normalise(text);
    let words = folded.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty());
    let mut chars: Vec<char> = Vec::new();
    for word in words {
        chars.clear();
        chars.extend(word.chars());
        for n in 1..=3 {
            for w in chars.windows(n) {
                gram.clear();
                gram.extend(w);
                f(&gram);
            }
        }
    }
}

impl Model {
    pub fn train(examples: &[Example]) -> Model {
        let mut counts: HashMap<String, [f64; 2]> = HashMap::new();
        let (mut totals, mut lines) = ([0.0; 2], [0.0; 2]);
        for e in examples {
            let (class, w) = (usize::from(e.suspect), f64::from(e.weight));
            lines[class] += w;
            for g in grams(&e.category, &e.text) {
                counts.entry(g).or_insert([0.0; 2])[class] += w;
                totals[class] += w;
            }
        }
        // The version hashes the examples sorted, so their order does not matter.
        let mut rows: Vec<String> = examples.iter().map(|e| format!("{}\t{}\t{}\t{}\n", e.category, e.text, e.suspect, e.weight)).collect();
        rows.sort();
        let version = digest(&format!("{ALGORITHM}-"), format!("{THRESHOLD} {ALPHA} {GAIN}\n{}", rows.concat()).as_bytes());
        Model { version, counts, totals, lines, examples: examples.len() }
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The log-likelihood ratio (suspect over allowed) of a known n-gram; `None` for one never
    /// seen, which says nothing (counting it would only add the classes' size).
    fn ratio(&self, gram: &str) -> Option<f64> {
        let c = self.counts.get(gram)?;
        let vocab = self.counts.len() as f64;
        let p = |k: usize| (c[k] + ALPHA) / (self.totals[k] + ALPHA * vocab);
        Some((p(1) / p(0)).ln())
    }

    /// The score from the ratios' sum (from 0.0, in n-gram order in both `score` and
    /// `suspicion`, so they give the same bits) and count.
    fn score_of(&self, sum: f64, n: usize) -> f64 {
        let prior = ((self.lines[1] + 1.0) / (self.lines[0] + 1.0)).ln();
        let mean = if n == 0 { 0.0 } else { sum / n as f64 };
        1.0 / (1.0 + (-(prior + GAIN * mean)).exp())
    }

    /// `score(..).score` without the n-grams that explain it: what every judged line needs.
    pub fn suspicion(&self, category: &str, text: &str) -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        each_gram(category, text, |g| {
            if let Some(r) = self.ratio(g) {
                sum += r;
                n += 1;
            }
        });
        self.score_of(sum, n)
    }

    pub fn score(&self, category: &str, text: &str) -> Opinion {
        let mut ratios: Vec<(f64, String)> = Vec::new();
        each_gram(category, text, |g| ratios.extend(self.ratio(g).map(|r| (r, g.to_string()))));
        let sum = ratios.iter().fold(0.0, |sum, (r, _)| sum + r);
        let score = self.score_of(sum, ratios.len());
        // The longest and strongest n-grams towards suspicion explain the score.
        ratios.retain(|(r, g)| *r > 0.0 && g.chars().count() >= 2 && !g.starts_with("c:"));
        ratios.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut grams: Vec<String> = Vec::new();
        for (_, g) in ratios {
            if grams.len() < 3 && !grams.iter().any(|k| k.contains(&g) || g.contains(k.as_str())) {
                grams.push(g);
            }
        }
        Opinion { score, grams }
    }
}

/// The model's word on a line the rules have judged: it records its version on every line, and
/// sends an `allowed` line to review when its score reaches `THRESHOLD`. A line the rules held or
/// refused is left exactly as it was.
pub fn second_opinion(model: &Model, c: &mut Classification, text: &str) {
    c.model_version = Some(model.version.clone());
    if c.verdict != Verdict::Allowed {
        return;
    }
    let category = c.category.as_deref().unwrap_or_default();
    // Most lines stay allowed: only those that reach the threshold are explained.
    if model.suspicion(category, text) < THRESHOLD {
        return;
    }
    let o = model.score(category, text);
    let like = o.grams.iter().map(|g| format!("“{g}”")).collect::<Vec<_>>().join("、");
    let detail = format!(
        "model {} scores {:.2} (reviews from {THRESHOLD:.2}): the text resembles lines that were refused or declined ({like})",
        model.version, o.score
    );
    c.reasons.push(Reason { code: "needs_review:model".into(), detail, matched: Some(model.version.clone()) });
    c.verdict = Verdict::Review;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ex(category: &str, text: &str, suspect: bool) -> Example {
        Example { category: category.into(), text: text.into(), suspect, weight: 1 }
    }

    fn sample() -> Vec<Example> {
        vec![
            ex("equipment", "购置数控车床两台", false),
            ex("equipment", "维修实训设备", false),
            ex("materials", "购买焊条焊丝", false),
            ex("other_training", "职工节日慰问品", true),
            ex("other_training", "宴请合作单位", true),
        ]
    }

    #[test]
    fn training_is_deterministic_and_order_free() {
        let a = Model::train(&sample());
        let mut rev = sample();
        rev.reverse();
        let b = Model::train(&rev);
        assert_eq!(a.version(), b.version());
        assert!(a.version().starts_with("nb1-") && a.version().len() == 16);
        assert_eq!(a.score("equipment", "慰问品"), b.score("equipment", "慰问品"));
        let mut more = sample();
        more.push(ex("equipment", "节日慰问", true));
        assert_ne!(Model::train(&more).version(), a.version());
    }

    #[test]
    fn suspect_text_scores_higher_and_is_explained() {
        let m = Model::train(&sample());
        let bad = m.score("other_training", "春节慰问品");
        let good = m.score("equipment", "购置数控车床");
        assert!(bad.score > 0.5 && good.score < 0.5, "{bad:?} {good:?}");
        assert!(bad.grams.iter().any(|g| "慰问品".contains(g.as_str())), "{bad:?}");
        assert_eq!(grams("x", "A1 b")[1..], ["a", "b"]);
    }

    /// The scenario of the black-box test (tests/api/classifier.rs): the corpus alone lets a line
    /// through; one declined voucher like it, counted `DECISION_WEIGHT` times, sends it to review.
    #[test]
    fn one_decline_is_felt_on_a_similar_line() {
        let rules = crate::domain::classify::Rules::from_toml_str(include_str!("../../config/classification.toml")).unwrap();
        let lines = crate::domain::corpus::parse(crate::domain::corpus::BUILT_IN).unwrap();
        let mut examples = crate::domain::corpus::examples(&rules, &lines);
        let line = "技能培训 为培训班购买高档保健品";
        let before = Model::train(&examples).score("other_training", line);
        examples.push(Example {
            category: "other_training".into(),
            text: "技能培训 购买高档保健品及茶歇".into(),
            suspect: true,
            weight: DECISION_WEIGHT,
        });
        let after = Model::train(&examples).score("other_training", line);
        println!("{before:?} {after:?}");
        assert!(before.score < THRESHOLD && after.score >= THRESHOLD, "{before:?} {after:?}");
        assert!(after.grams.iter().any(|g| g.contains("保健")), "{after:?}");
        // A plain training cost stays below.
        assert!(Model::train(&examples).score("other_training", "技能培训 培训场地租赁费").score < THRESHOLD);
    }

    fn verdict() -> impl Strategy<Value = Verdict> {
        prop_oneof![Just(Verdict::Allowed), Just(Verdict::Review), Just(Verdict::Rejected)]
    }

    proptest! {
        /// Whatever it was trained on and whatever the line says, the model only ever moves
        /// allowed to review, keeps every reason the rules gave, and records its version.
        #[test]
        fn never_rejects_nor_allows(
            train in proptest::collection::vec(("[a-c]{1,2}", "[慰问品车床焊条宴请购置a-z ]{0,12}", any::<bool>(), 1u32..5), 0..12),
            v in verdict(),
            text in "[慰问品车床焊条宴请购置a-z0-9 ]{0,16}",
        ) {
            let examples: Vec<Example> = train.into_iter().map(|(c, t, s, w)| Example { category: c, text: t, suspect: s, weight: w }).collect();
            let m = Model::train(&examples);
            let before = Classification {
                verdict: v,
                category: Some("a".into()),
                reasons: vec![Reason { code: "x".into(), detail: "y".into(), matched: None }],
                rules_version: Some("r-1".into()),
                model_version: None,
            };
            let mut after = before.clone();
            second_opinion(&m, &mut after, &text);
            let s = m.score("a", &text).score;
            prop_assert!((0.0..=1.0).contains(&s));
            // The fast path posting takes gives exactly the explained score.
            prop_assert_eq!(m.suspicion("a", &text).to_bits(), s.to_bits());
            match v {
                Verdict::Allowed => prop_assert!(after.verdict == Verdict::Allowed || after.verdict == Verdict::Review),
                _ => prop_assert_eq!(after.verdict, v),
            }
            prop_assert_eq!(&after.reasons[..1], &before.reasons[..]);
            prop_assert_eq!(after.model_version.as_deref(), Some(m.version()));
            prop_assert_eq!(after.verdict == Verdict::Review && v == Verdict::Allowed, after.reasons.len() == 2);
        }
    }
}
