//! k-fold cross-validation of the classifier on the corpus: per-class precision and recall of the
//! rules alone, and of the rules with the learned second opinion (trained on the other folds).
//!
//! `cargo run --example classifier_cv [FOLDS]` (5 by default). The split is deterministic: line i
//! of the corpus (in file order) is in fold i mod FOLDS. The rules were written against this
//! corpus, so their figures here are an upper bound, not a held-out measurement; the model's are
//! held out (it never sees the fold it judges). A last table shows the model on its own as a
//! detector of lines that are not plainly allowed.
use fundledger::domain::classify::{Rules, Verdict};
use fundledger::domain::corpus::{self, Line};
use fundledger::domain::model::{self, Model};
use std::path::Path;

const CLASSES: [Verdict; 3] = [Verdict::Allowed, Verdict::Review, Verdict::Rejected];

/// Counts of (truth, predicted) over the three verdicts.
#[derive(Default)]
struct Confusion([[usize; 3]; 3]);

impl Confusion {
    fn add(&mut self, truth: Verdict, got: Verdict) {
        self.0[truth as usize][got as usize] += 1;
    }

    fn precision(&self, c: usize) -> f64 {
        let predicted: usize = (0..3).map(|t| self.0[t][c]).sum();
        ratio(self.0[c][c], predicted)
    }

    fn recall(&self, c: usize) -> f64 {
        ratio(self.0[c][c], self.0[c].iter().sum())
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        f64::NAN
    } else {
        n as f64 / d as f64
    }
}

fn name(v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => "allowed",
        Verdict::Review => "review",
        Verdict::Rejected => "rejected",
    }
}

fn category(rules: &Rules, l: &Line) -> String {
    rules.find_category(&l.account).map_or_else(|| l.account.clone(), |c| c.slug.clone())
}

fn main() {
    let folds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).filter(|&k| k >= 2).unwrap_or(5);
    let rules = Rules::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config/classification.toml"))).expect("rules");
    let lines: Vec<Line> = corpus::parse(corpus::BUILT_IN).expect("corpus");
    let (mut alone, mut with_model) = (Confusion::default(), Confusion::default());
    // The model on its own: flagged (score >= threshold) against "not plainly allowed".
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut moved = Vec::new();
    // Every held-out score, for the sweep of thresholds: (score, allowed by the corpus).
    let mut scores: Vec<(f64, bool)> = Vec::new();
    for fold in 0..folds {
        let train: Vec<_> = lines.iter().enumerate().filter(|(i, _)| i % folds != fold).map(|(_, l)| l.clone()).collect();
        let train = corpus::examples(&rules, &train);
        let m = Model::train(&train);
        for (_, line) in lines.iter().enumerate().filter(|(i, _)| i % folds == fold) {
            let c = rules.classify(line.kind, &line.account, &line.summary).expect("a known account");
            alone.add(line.verdict, c.verdict);
            let mut second = c.clone();
            model::second_opinion(&m, &mut second, &line.summary);
            with_model.add(line.verdict, second.verdict);
            if second.verdict != c.verdict {
                moved.push(format!("  line {} ({}): {} {} → review", line.line_no, name(line.verdict), line.account, line.summary));
            }
            let score = m.score(&category(&rules, line), &line.summary).score;
            scores.push((score, line.verdict == Verdict::Allowed));
            let flagged = score >= model::THRESHOLD;
            let suspect = line.verdict != Verdict::Allowed;
            match (flagged, suspect) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                (false, false) => {}
            }
        }
    }
    println!("{}-fold cross-validation on {} corpus lines (threshold {:.2})\n", folds, lines.len(), model::THRESHOLD);
    println!("| class | lines | rules: precision | rules: recall | rules + model: precision | rules + model: recall |");
    println!("|---|---:|---:|---:|---:|---:|");
    for v in CLASSES {
        let c = v as usize;
        let n: usize = alone.0[c].iter().sum();
        println!(
            "| {} | {n} | {:.3} | {:.3} | {:.3} | {:.3} |",
            name(v),
            alone.precision(c),
            alone.recall(c),
            with_model.precision(c),
            with_model.recall(c)
        );
    }
    println!("\nThe model alone, as a detector of lines that are not plainly allowed (review or rejected):");
    println!("precision {:.3}, recall {:.3} ({tp} caught, {fp} false alarms, {fn_} missed)", ratio(tp, tp + fp), ratio(tp, tp + fn_));
    println!("\nThe same at other thresholds (allowed lines it would send to review, suspect lines it would flag):");
    println!("| threshold | allowed lines sent to review | suspect lines flagged |");
    println!("|---:|---:|---:|");
    let (allowed, suspect) = (scores.iter().filter(|s| s.1).count(), scores.iter().filter(|s| !s.1).count());
    for t in [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95] {
        let over = |ok: bool| scores.iter().filter(|s| s.1 == ok && s.0 >= t).count();
        println!("| {t:.2} | {} of {allowed} | {} of {suspect} |", over(true), over(false));
    }
    println!("\nLines the model moved from allowed to review ({}):", moved.len());
    for m in moved {
        println!("{m}");
    }
}
