//! A voucher's lines through the classifier: which lines it judges and its verdict on each. The
//! same entry serves a submission, an approval (the rules may have changed since) and the dry run
//! of `/classify`, each giving the lines as the classifier reads them.
use super::chart::{self, AccountDef};
use super::classify::{Classification, Reason, Rules, Verdict};
use super::kind::ProjectKind;
use super::model;
use serde::Serialize;

/// One line as the classifier reads it: the account as the voucher names it (a code or a category
/// slug), its summary, and whether it is a debit.
#[derive(Debug, Clone, Copy)]
pub struct LineText<'a> {
    pub account: &'a str,
    pub summary: &'a str,
    pub is_debit: bool,
}

/// A line names an account that is neither in the project's chart nor a category or prohibited
/// use the rules know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: account '{account}' is not in this project's chart")]
pub struct UnknownAccount {
    /// From 1.
    pub line: usize,
    pub account: String,
}

/// The verdict on each line of a voucher, in order: `None` for a line the classifier does not judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdicts(pub Vec<Option<Classification>>);

/// Classifies every debit line to expenditure, or to names of prohibited uses and other kinds'
/// categories (which are never in a chart); a reviewer reads each line with the voucher's summary.
pub fn classify_voucher(
    rules: &Rules,
    kind: ProjectKind,
    chart: &[AccountDef],
    summary: &str,
    lines: &[LineText<'_>],
) -> Result<Verdicts, UnknownAccount> {
    // The model in force when the voucher is judged, the same for all its lines.
    let second = rules.model();
    let judged = lines.iter().enumerate().map(|(i, l)| {
        let account = l.account;
        let resolved = chart::find(chart, account);
        if resolved.is_none() && !rules.is_prohibited_account(account) && rules.find_category(account).is_none() {
            return Err(UnknownAccount { line: i + 1, account: l.account.to_string() });
        }
        let expenditure = resolved.is_none_or(|a| chart::is_expenditure(&a.code));
        if !(l.is_debit && expenditure) {
            return Ok(None);
        }
        let text = format!("{} {}", summary.trim(), l.summary.trim());
        let mut c = rules.classify(kind, account, text.trim());
        if let (Some(c), Some(m)) = (c.as_mut(), second.as_deref()) {
            model::second_opinion(m, c, text.trim());
        }
        Ok(c)
    });
    judged.collect::<Result<_, _>>().map(Verdicts)
}

impl Verdicts {
    /// The worst verdict on any line; `allowed` when no line is judged.
    pub fn overall(&self) -> Verdict {
        self.0.iter().flatten().map(|c| c.verdict).max().unwrap_or(Verdict::Allowed)
    }

    /// The versions of the rules and the model that judged the voucher (the same on every judged
    /// line); `None` when no line was judged.
    pub fn versions(&self) -> (Option<String>, Option<String>) {
        match self.0.iter().flatten().next() {
            Some(c) => (c.rules_version.clone(), c.model_version.clone()),
            None => (None, None),
        }
    }

    /// Each line's verdict with its grounds, naming the account as `accounts` gives it (in order).
    pub fn listed<'a>(&self, accounts: impl IntoIterator<Item = &'a str>) -> Vec<LineVerdict> {
        self.0
            .iter()
            .zip(accounts)
            .enumerate()
            .map(|(i, (c, account))| LineVerdict {
                line: i + 1,
                account: account.to_string(),
                verdict: c.as_ref().map(|c| c.verdict),
                category: c.as_ref().map(|c| c.category.clone()),
                reasons: c.as_ref().map(|c| c.reasons.clone()),
            })
            .collect()
    }
}

/// A line's verdict as the API shows it (`/classify`, and a `voucher_rejected` refusal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineVerdict {
    pub line: usize,
    pub account: String,
    /// Null for a line the classifier does not judge (a credit, or a debit to a balance account).
    pub verdict: Option<Verdict>,
    /// The declared category's slug (null for a prohibited account name); absent on a line not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    /// Why the line got its verdict; absent on a line not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<Reason>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> Rules {
        Rules::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config/classification.toml"))).unwrap()
    }

    fn line<'a>(account: &'a str, summary: &'a str, is_debit: bool) -> LineText<'a> {
        LineText { account, summary, is_debit }
    }

    #[test]
    fn judges_debits_to_expenditure_and_names_the_rest_unjudged() {
        let rules = rules();
        let chart = chart::accounts_for(ProjectKind::Base, &rules);
        let lines = [line("equipment", "采购工业机器人实训工作站", true), line("1002", "银行付款", false), line("2202", "", true)];
        let v = classify_voucher(&rules, ProjectKind::Base, &chart, "采购", &lines).unwrap();
        assert_eq!(v.0.iter().map(|c| c.as_ref().map(|c| c.verdict)).collect::<Vec<_>>(), [Some(Verdict::Allowed), None, None]);
        assert_eq!(v.overall(), Verdict::Allowed);
        let listed = serde_json::to_value(v.listed(lines.iter().map(|l| l.account))).unwrap();
        assert_eq!(
            listed,
            json!([{"line": 1, "account": "equipment", "verdict": "allowed", "category": "equipment", "reasons": []},
                   {"line": 2, "account": "1002", "verdict": null}, {"line": 3, "account": "2202", "verdict": null}])
        );
        // An account is matched exactly: padded, it names nothing in the chart.
        let padded = [line(" equipment ", "采购工业机器人实训工作站", true)];
        assert_eq!(
            classify_voucher(&rules, ProjectKind::Base, &chart, "采购", &padded).err().map(|e| e.account),
            Some(" equipment ".to_string())
        );
    }

    #[test]
    fn reads_the_line_with_the_voucher_summary_and_takes_the_worst_verdict() {
        let rules = rules();
        let chart = chart::accounts_for(ProjectKind::Base, &rules);
        let lines = [line("materials", "购买焊条", true), line("teacher_training", "往返动车票", true), line("1002", "", false)];
        let v = classify_voucher(&rules, ProjectKind::Base, &chart, "教师参加研修班", &lines).unwrap();
        assert_eq!(v.overall(), Verdict::Rejected);
        // A prohibited name is judged though it is in no chart; a credit to it is not.
        let v = classify_voucher(&rules, ProjectKind::Base, &chart, "", &[line("差旅费", "", false)]).unwrap();
        assert_eq!(v, Verdicts(vec![None]));
    }

    #[test]
    fn an_account_nobody_knows_names_its_line() {
        let rules = rules();
        let chart = chart::accounts_for(ProjectKind::Studio, &rules);
        let err = classify_voucher(&rules, ProjectKind::Studio, &chart, "", &[line("1002", "", false), line("999999", "", true)]);
        assert_eq!(err, Err(UnknownAccount { line: 2, account: "999999".into() }));
        assert_eq!(err.unwrap_err().to_string(), "line 2: account '999999' is not in this project's chart");
    }
}
