//! A corpus of expenditure summaries as Chifeng project units write them, classified with the
//! shipped rule file. Each case records what a finance reviewer would accept; the comments explain
//! the judgement calls. All mismatches are printed together before the test fails.
use fundledger::domain::classify::{Classification, Rules, RulesError, Verdict};
use fundledger::domain::corpus;
use fundledger::domain::kind::ProjectKind;
use std::path::Path;

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/classification.toml");

const OK: &str = "allowed";
const RV: &str = "review";
const RJ: &str = "rejected";

/// The corpus (config/corpus.tsv): (kind, declared account, summary, verdict, reason code that must
/// be present). An `allowed` case with an empty code must have no reasons at all; a non-empty one
/// names the exception rule that decided it.
fn cases() -> Vec<corpus::Line> {
    // Read at run time, so an edit of the file is tested without rebuilding the library; the
    // library's built-in copy is the same file (checked below).
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/corpus.tsv")).unwrap();
    corpus::parse(&text).unwrap_or_else(|e| panic!("{e}"))
}

fn rules() -> Rules {
    Rules::load(Path::new(RULES)).unwrap_or_else(|e| panic!("{e}"))
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => OK,
        Verdict::Review => RV,
        Verdict::Rejected => RJ,
    }
}

fn check(c: &Classification, want: &str, code: &str) -> bool {
    let has = c.reasons.iter().any(|r| r.code == code);
    verdict(c.verdict) == want && if code.is_empty() { c.reasons.is_empty() } else { has }
}

#[test]
fn corpus() {
    let rules = rules();
    let cases = cases();
    let mut mismatches = Vec::new();
    let mut counts = [0usize; 3];
    for c in &cases {
        let (want, code) = (verdict(c.verdict), c.code.as_str());
        assert!(want != OK || code.is_empty() || code.starts_with("exception:"), "line {}", c.line_no);
        counts[c.verdict as usize] += 1;
        match rules.classify(c.kind, &c.account, &c.summary) {
            Some(got) if check(&got, want, code) => {}
            got => mismatches.push(format!(
                "line {} {} {} “{}”: want {want} {code}, got {}",
                c.line_no,
                c.kind.as_str(),
                c.account,
                c.summary,
                serde_json::to_string(&got).unwrap()
            )),
        }
    }
    println!("classification corpus: {} cases ({} allowed, {} review, {} rejected)", cases.len(), counts[0], counts[1], counts[2]);
    for m in &mismatches {
        println!("MISMATCH {m}");
    }
    assert!(mismatches.is_empty(), "{} of {} cases mismatched", mismatches.len(), cases.len());
    assert!(cases.len() >= 400);
}

#[test]
fn every_category_is_covered() {
    let rules = rules();
    let cases = cases();
    for kind in [ProjectKind::Base, ProjectKind::Studio] {
        for c in rules.categories(kind) {
            let seen = |a: &str| a == c.slug || a == c.code;
            let of = |v: Verdict| cases.iter().filter(|l| l.kind == kind && seen(&l.account) && l.verdict == v).count();
            let n = of(Verdict::Allowed) + of(Verdict::Review) + of(Verdict::Rejected);
            assert!(n >= 12, "category {} has only {n} cases", c.slug);
            assert!(of(Verdict::Allowed) >= 4 && of(Verdict::Review) >= 2 && of(Verdict::Rejected) >= 2, "{} lacks a verdict", c.slug);
            assert!(cases.iter().any(|l| l.account == c.code), "{} never named by code", c.slug);
            // A near miss of the purpose rule: a line of this category held as category_mismatch.
            assert!(cases.iter().any(|l| seen(&l.account) && l.code == "category_mismatch"), "{} has no category_mismatch line", c.slug);
        }
    }
}

#[test]
fn reasons_are_all_reported() {
    let rules = rules();
    let c = rules.classify(ProjectKind::Base, "other_training", "支付场地保洁临时工工资").unwrap();
    let codes: Vec<_> = c.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["labor_fee", "needs_review:wages"]);
    assert_eq!(c.reasons[0].matched.as_deref(), Some("临时工"));
    let c = rules.classify(ProjectKind::Studio, "research_subsidy", "攻关补贴").unwrap();
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["verdict"], "allowed");
    assert_eq!(json["category"], "research_subsidy");
    let c = rules.classify(ProjectKind::Base, "劳务费", "出差机票").unwrap();
    assert_eq!(c.category, None);
    assert_eq!(c.reasons.len(), 3, "{c:?}"); // prohibited_category, 出差, 机票
}

#[test]
fn unknown_accounts_are_not_classified() {
    let rules = rules();
    for account in ["office_supplies", "500199", "1002", "", "差旅费用报销", "EQUIPMENT"] {
        assert!(rules.classify(ProjectKind::Base, account, "购买导线").is_none(), "{account}");
    }
    assert!(rules.is_prohibited_account(" 劳务费 "));
    assert!(!rules.is_prohibited_account("equipment"));
    assert_eq!(rules.find_category("500113").map(|c| c.slug.as_str()), Some("apprentice_allowance"));
    let base: Vec<_> = rules.categories(ProjectKind::Base).iter().map(|c| c.code.clone()).collect();
    assert_eq!(base, ["500101", "500102", "500103", "500104", "500105", "500106", "500107", "500108"]);
    assert_eq!(rules.categories(ProjectKind::Studio).len(), 5);
}

/// The shipped file with one edit applied; the result must be a clear start-up error.
fn broken(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(RULES).unwrap();
    assert!(text.contains(from), "edit does not apply: {from}");
    match Rules::from_toml_str(&text.replacen(from, to, 1)) {
        Ok(_) => panic!("rules with {to:?} were accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_rule_files_are_clear_errors() {
    let cases = [
        (r#"categories = ["instructors"]"#, r#"categories = ["instructor"]"#, "unknown category \"instructor\""),
        (r#""课时费","#, r#""课时费", "","#, "keyword #2 is empty"),
        (r#""课时费","#, r#""课时费", "  ","#, "[[exception]] \"instructor_fee\""),
        (r#"code = "500102""#, r#"code = "500101""#, "repeats"),
        (r#"code = "500115""#, r#"code = "600115""#, "must be 5001xx"),
        (r#"code = "500115""#, r#"code = "50011""#, "must be 5001xx"),
        (r#"code = "500115""#, r#"code = "5001ab""#, "must be 5001xx"),
        (r#"pays_people = ["instructors""#, r#"pays_people = ["teachers""#, "[labor] pays_people"),
        (r#"explains = ["local_transport"]"#, r#"explains = ["transport"]"#, "[freight] explains"),
        (r#""福利","#, r#""福利", "机票","#, "already listed in [travel]"),
        (r#"kind = "studio""#, r#"kind = "workshop""#, "not valid TOML"),
        ("[[unrelated]]", "[[unrelate]]", "not valid TOML"),
        (r#"ambiguous = ["接待","#, r#"ambiguous = ["招待","#, "\"hospitality\" ambiguous: keyword \"招待\" is already listed"),
        ("\nequipment = [", "\nequipmen = [", "[purpose]: unknown category \"equipmen\""),
        ("\noperating = [", "\noperatin = [", "unknown category"),
        (r#"apprentice_allowance = ["带徒""#, r#"apprentice_allowance = ["""#, "[purpose] apprentice_allowance"),
        ("\"赴我\",", "\"赴我\", \"欢迎\",", "contains no keyword"),
        (r#"names = ["#, r#"names = ["equipment", "#, "is also a category"),
    ];
    for (from, to, want) in cases {
        let e = broken(from, to);
        assert!(e.contains(want), "{to}: error {e:?} should mention {want:?}");
    }
    match Rules::load(Path::new("/nonexistent/classification.toml")) {
        Err(e @ RulesError::Io(..)) => assert!(e.to_string().contains("/nonexistent/")),
        other => panic!("expected Io error, got {:?}", other.map(|_| ())),
    }
}
