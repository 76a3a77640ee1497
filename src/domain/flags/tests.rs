//! Each rule's pattern built on purpose, and its near miss.
use super::*;
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::status::{ProjectStatus, VoucherStatus};
use proptest::prelude::*;

const BUILT_IN: &str = include_str!("../../../config/flags.toml");

fn t() -> Thresholds {
    Thresholds::from_toml_str(BUILT_IN).unwrap_or_else(|e| panic!("{e}"))
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn yuan(y: &str) -> Money {
    Money::parse_positive(y).unwrap()
}

/// A base from 2025-03-01 to 2027-02-28, with a grant of 500,000.00 and these vouchers.
fn books(vouchers: Vec<VoucherFacts>) -> ProjectBooks {
    ProjectBooks {
        project_id: "p1".into(),
        kind: ProjectKind::Base,
        status: ProjectStatus::Active,
        start: d("2025-03-01"),
        end: d("2027-02-28"),
        grant: Money::from_yuan(500_000),
        implemented: vouchers.iter().filter(|v| v.is_spending()).map(|v| v.amount).sum(),
        vouchers,
        reports: Vec::new(),
    }
}

/// A posted expense on a weekday-or-not date, with one document.
fn spend(id: &str, date: &str, amount: &str) -> VoucherFacts {
    VoucherFacts {
        id: id.into(),
        kind: VoucherKind::Expense,
        status: VoucherStatus::Posted,
        date: d(date),
        amount: yuan(amount),
        documents: 1,
        sellers: Vec::new(),
    }
}

fn bought(id: &str, date: &str, seller: &str, amount: &str) -> VoucherFacts {
    let sellers = vec![SellerAmount { key: format!("KEY-{seller}"), name: seller.into(), amount: yuan(amount) }];
    VoucherFacts { sellers, ..spend(id, date, amount) }
}

fn rules_of(b: &ProjectBooks, today: &str) -> Vec<Finding> {
    evaluate(b, &t(), d(today))
}

fn only(b: &ProjectBooks, rule: Rule, today: &str) -> Vec<Finding> {
    rules_of(b, today).into_iter().filter(|f| f.rule == rule).collect()
}

const TODAY: &str = "2025-06-02";

#[test]
fn the_built_in_thresholds_are_valid() {
    let t = t();
    assert_eq!(t.split_purchase.threshold, Money::from_yuan(10_000));
    assert_eq!(t.split_purchase.window_days, 30);
    assert_eq!(t.late_annual_report.severity, Severity::High);
}

#[test]
fn an_expense_without_documents_is_flagged_and_one_with_a_document_or_pending_is_not() {
    let mut bare = spend("v1", "2025-04-01", "800.00");
    bare.documents = 0;
    let mut pending = spend("v3", "2025-04-02", "50.00");
    pending.documents = 0;
    pending.status = VoucherStatus::PendingReview;
    let b = books(vec![bare, spend("v2", "2025-04-01", "900.00"), pending]);
    let f = only(&b, Rule::MissingDocuments, TODAY);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].voucher_ids.clone(), f[0].amount, f[0].severity), (vec!["v1".to_string()], yuan("800.00"), Severity::Warning));
    assert!(f[0].detail(Lang::Zh).contains("原始凭证少于 1 张"), "{}", f[0].detail(Lang::Zh));
    assert!(f[0].detail(Lang::En).contains("fewer than 1 original document"));
}

#[test]
fn a_purchase_split_within_the_window_is_flagged() {
    let b = books(vec![
        bought("v1", "2025-04-01", "赤峰机床", "6000.00"),
        bought("v2", "2025-05-01", "赤峰机床", "6000.00"),
        bought("v3", "2025-04-10", "另一家", "6000.00"),
    ]);
    let f = only(&b, Rule::SplitPurchase, TODAY);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].voucher_ids.clone(), f[0].amount), (vec!["v1".to_string(), "v2".to_string()], yuan("12000.00")));
    assert_eq!(f[0].severity, Severity::High);
    assert!(f[0].detail(Lang::Zh).contains("赤峰机床") && f[0].detail(Lang::Zh).contains("10,000.00"), "{}", f[0].detail(Lang::Zh));
}

#[test]
fn a_split_one_day_outside_the_window_is_not_flagged() {
    // 30 days apart is inside the window; 31 is outside.
    let b = books(vec![bought("v1", "2025-04-01", "赤峰机床", "6000.00"), bought("v2", "2025-05-02", "赤峰机床", "6000.00")]);
    assert!(only(&b, Rule::SplitPurchase, TODAY).is_empty());
}

#[test]
fn pieces_that_stay_under_the_threshold_together_or_one_over_it_are_not_a_split() {
    let under = books(vec![bought("v1", "2025-04-01", "a", "5000.00"), bought("v2", "2025-04-02", "a", "5000.00")]);
    assert!(only(&under, Rule::SplitPurchase, TODAY).is_empty(), "10,000.00 together is not over 10,000.00");
    let over = books(vec![bought("v1", "2025-04-01", "a", "10000.00"), bought("v2", "2025-04-02", "a", "500.00")]);
    assert!(only(&over, Rule::SplitPurchase, TODAY).is_empty(), "a payment at the threshold is not a piece");
    let two_sellers = books(vec![bought("v1", "2025-04-01", "a", "6000.00"), bought("v2", "2025-04-02", "b", "6000.00")]);
    assert!(only(&two_sellers, Rule::SplitPurchase, TODAY).is_empty());
}

#[test]
fn spending_crowded_into_the_last_weeks_is_flagged_and_a_day_earlier_is_not() {
    // The last 8 weeks of a period ending 2027-02-28 begin on 2027-01-04.
    let rush = books(vec![spend("v1", "2025-06-01", "100000.00"), spend("v2", "2027-01-04", "100000.00")]);
    let f = only(&rush, Rule::PeriodEndRush, "2027-02-01");
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].voucher_ids.clone(), f[0].amount), (vec!["v2".to_string()], yuan("100000.00")));
    assert!(f[0].detail(Lang::En).contains("50%"), "{}", f[0].detail(Lang::En));
    let before = books(vec![spend("v1", "2025-06-01", "100000.00"), spend("v2", "2027-01-03", "100000.00")]);
    assert!(only(&before, Rule::PeriodEndRush, "2027-02-01").is_empty());
    let small = books(vec![spend("v1", "2025-06-01", "100.00"), spend("v2", "2027-01-04", "9999.99")]);
    assert!(only(&small, Rule::PeriodEndRush, "2027-02-01").is_empty(), "under min_amount");
}

#[test]
fn many_round_amounts_are_flagged_and_a_cent_off_is_not_round() {
    let round = ["2000.00", "3000.00", "5000.00", "1234.56", "88.80"];
    let b = books(round.iter().enumerate().map(|(i, a)| spend(&format!("v{i}"), "2025-04-01", a)).collect());
    let f = only(&b, Rule::RoundAmounts, TODAY);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].voucher_ids.len(), f[0].amount), (3, yuan("10000.00")));
    let near = ["2000.01", "3000.00", "5000.00", "1234.56", "88.80"];
    let b = books(near.iter().enumerate().map(|(i, a)| spend(&format!("v{i}"), "2025-04-01", a)).collect());
    assert!(only(&b, Rule::RoundAmounts, TODAY).is_empty());
    assert!(!purchases::is_round(yuan("999.00"), yuan("1000.00")) && purchases::is_round(yuan("1000.00"), yuan("1000.00")));
}

#[test]
fn an_expense_dated_on_a_weekend_is_flagged_and_a_friday_is_not() {
    let b = books(vec![spend("sat", "2025-03-08", "10.00"), spend("fri", "2025-03-07", "20.00")]);
    let f = only(&b, Rule::WeekendPosting, TODAY);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].voucher_ids.clone(), f[0].amount), (vec!["sat".to_string()], yuan("10.00")));
    let weekday = books(vec![spend("fri", "2025-03-07", "20.00")]);
    assert!(only(&weekday, Rule::WeekendPosting, TODAY).is_empty());
}

fn reversed(id: &str) -> VoucherFacts {
    VoucherFacts { status: VoucherStatus::Reversed, ..spend(id, "2025-04-01", "100.00") }
}

#[test]
fn a_fifth_of_expenses_reversed_is_flagged_and_one_in_six_is_not() {
    let mut v: Vec<_> = (0..4).map(|i| spend(&format!("v{i}"), "2025-04-01", "100.00")).collect();
    v.push(reversed("r1"));
    let f = only(&books(v.clone()), Rule::HighReversalRate, TODAY);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].voucher_ids.clone(), f[0].amount), (vec!["r1".to_string()], yuan("100.00")));
    v.push(spend("v9", "2025-04-01", "100.00"));
    assert!(only(&books(v), Rule::HighReversalRate, TODAY).is_empty(), "1 of 6 is 16%");
    let few = vec![reversed("r1"), spend("v1", "2025-04-01", "1.00")];
    assert!(only(&books(few), Rule::HighReversalRate, TODAY).is_empty(), "too few vouchers to judge a rate");
}

#[test]
fn little_spent_with_little_time_left_is_flagged_and_a_day_more_is_not() {
    let b = books(vec![spend("v1", "2025-04-01", "200000.00")]);
    // 2027-02-28 less 90 days is 2026-11-30.
    let f = only(&b, Rule::IdleFunds, "2026-11-30");
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].amount, f[0].voucher_ids.len()), (yuan("300000.00"), 0));
    assert!(f[0].detail(Lang::Zh).contains("40%") && f[0].detail(Lang::Zh).contains("90 天"), "{}", f[0].detail(Lang::Zh));
    assert!(only(&b, Rule::IdleFunds, "2026-11-29").is_empty(), "91 days left");
    let half = books(vec![spend("v1", "2025-04-01", "250000.00")]);
    assert!(only(&half, Rule::IdleFunds, "2027-02-01").is_empty(), "half spent is not idle");
    let cancelled = ProjectBooks { status: ProjectStatus::Cancelled, ..b.clone() };
    assert!(only(&cancelled, Rule::IdleFunds, "2027-02-01").is_empty());
    assert!(only(&b, Rule::IdleFunds, "2027-03-10")[0].detail(Lang::En).contains("ended on 2027-02-28"));
}

#[test]
fn a_missing_report_is_flagged_once_its_year_is_over_and_a_late_one_as_late() {
    let b = books(Vec::new());
    assert!(only(&b, Rule::LateAnnualReport, "2025-12-31").is_empty(), "due on the last day of the year");
    let f = only(&b, Rule::LateAnnualReport, "2026-01-01");
    assert_eq!((f.len(), f[0].severity), (1, Severity::High));
    assert!(f[0].detail(Lang::Zh).contains("2025 年度报告") && f[0].detail(Lang::Zh).contains("未报送"));
    let late = ProjectBooks { reports: vec![FiledReport { year: 2025, filed_on: d("2026-01-05") }], ..b.clone() };
    let f = only(&late, Rule::LateAnnualReport, "2026-02-01");
    assert_eq!((f.len(), f[0].severity), (1, Severity::Info));
    assert!(f[0].detail(Lang::En).contains("filed late, on 2026-01-05"));
    let on_time = ProjectBooks { reports: vec![FiledReport { year: 2025, filed_on: d("2025-12-31") }], ..b.clone() };
    assert!(only(&on_time, Rule::LateAnnualReport, "2026-02-01").is_empty());
    let closed = ProjectBooks { status: ProjectStatus::Closed, ..b };
    assert!(only(&closed, Rule::LateAnnualReport, "2026-02-01").is_empty());
}

#[test]
fn a_bad_threshold_stops_the_start_naming_its_key() {
    for (from, to, key) in [
        ("severity = \"high\"\n# A report", "severity = \"urgent\"\n# A report", "late_annual_report.severity"),
        ("threshold = \"10000.00\"", "threshold = \"10000.001\"", "split_purchase.threshold"),
        ("window_days = 30", "window_days = 0", "split_purchase.window_days"),
        ("min_share_percent = 40", "min_share_percent = 140", "period_end_rush.min_share_percent"),
    ] {
        assert!(BUILT_IN.contains(from), "{from}");
        let text = BUILT_IN.replacen(from, to, 1);
        let e = Thresholds::from_toml_str(&text).expect_err(key).to_string();
        assert!(e.contains(key), "{e}");
    }
    let misspelt = BUILT_IN.replacen("window_days = 30", "window_dyas = 30", 1);
    let e = Thresholds::from_toml_str(&misspelt).expect_err("misspelt").to_string();
    assert!(e.contains("window_dyas"), "{e}");
}

fn any_voucher(project: usize) -> impl Strategy<Value = VoucherFacts> {
    let kinds = prop_oneof![Just(VoucherKind::Expense), Just(VoucherKind::Disbursement), Just(VoucherKind::Reversal)];
    let statuses = prop_oneof![Just(VoucherStatus::Posted), Just(VoucherStatus::Reversed), Just(VoucherStatus::PendingReview)];
    (0u32..10_000, kinds, statuses, 0i64..730, 1i64..3_000_000, 0i64..3, proptest::option::of(0usize..3)).prop_map(
        move |(n, kind, status, day, fen, documents, seller)| {
            let amount = Money::from_fen(if n % 3 == 0 { (fen / 100_000 + 1) * 100_000 } else { fen });
            let sellers =
                seller.map(|s| vec![SellerAmount { key: format!("s{s}"), name: format!("seller {s}"), amount }]).unwrap_or_default();
            VoucherFacts {
                id: format!("p{project}-v{n}"),
                kind,
                status,
                date: d("2025-03-01") + chrono::Days::new(day as u64),
                amount,
                documents,
                sellers,
            }
        },
    )
}

proptest! {
    /// Whatever the books, a finding names only vouchers of its own project, each once, and its
    /// amount is what those vouchers add up to (a split purchase: what they paid the seller).
    #[test]
    fn findings_name_their_own_projects_vouchers_and_add_them_up(
        a in proptest::collection::vec(any_voucher(1), 0..60),
        b in proptest::collection::vec(any_voucher(2), 0..60),
        today in 0i64..1000,
    ) {
        let today = d("2025-03-01") + chrono::Days::new(today as u64);
        for (pid, vouchers) in [("p1", a), ("p2", b)] {
            let mut vouchers = vouchers;
            vouchers.sort_by(|x, y| x.id.cmp(&y.id));
            vouchers.dedup_by(|x, y| x.id == y.id);
            let project = ProjectBooks { project_id: pid.into(), ..books(vouchers) };
            for f in evaluate(&project, &t(), today) {
                prop_assert_eq!(&f.project_id, pid);
                let mut ids = f.voucher_ids.clone();
                ids.sort();
                ids.dedup();
                prop_assert_eq!(ids.len(), f.voucher_ids.len(), "a voucher named twice");
                let named: Vec<&VoucherFacts> = f.voucher_ids.iter().map(|id| project.vouchers.iter().find(|v| &v.id == id)).collect::<Option<_>>().expect("named vouchers are the project's");
                let sum: Money = named.iter().map(|v| v.amount).sum();
                match f.rule {
                    Rule::SplitPurchase => prop_assert!(f.amount <= sum && f.amount > t().split_purchase.threshold),
                    Rule::IdleFunds | Rule::LateAnnualReport => prop_assert!(named.is_empty()),
                    _ => prop_assert_eq!(f.amount, sum),
                }
                prop_assert!(!f.detail(Lang::Zh).is_empty() && !f.detail(Lang::En).is_empty());
            }
        }
    }
}
