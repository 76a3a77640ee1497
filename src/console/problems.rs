//! A refusal of the rules, said to a clerk: every error code of the contract in Chinese (and
//! English), with the figures its problem document carries (the available amount, the account,
//! the line), and the per-field messages of `validation_failed` for the form that caused them.
//! Pages show `Explained` next to the form, never the API's English `detail` alone.
use super::format::amount;
use super::i18n::Lang;
use crate::domain::money::Money;
use crate::error::{AppError, Code};
use maud::{html, Markup};
use serde_json::Value;

/// What went wrong, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub code: Code,
    /// One sentence for the top of the form.
    pub message: String,
    /// Messages that belong to one form field (`validation_failed`), by field name.
    pub fields: Vec<(String, String)>,
    /// The problem's extra members as the API gives them (`lines` of a `voucher_rejected`, ...),
    /// for pages that show more than the sentence.
    pub extra: serde_json::Map<String, Value>,
}

impl Explained {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }

    /// The sentence as an alert box (`data-testid="form-error"`, `data-code` the contract's code).
    pub fn alert(&self) -> Markup {
        html! {
            div.alert role="alert" data-testid="form-error" data-code=(self.code.as_str()) {
                p { (self.message) }
                @if !self.fields.is_empty() {
                    ul { @for (f, m) in &self.fields { li data-field=(f) { (m) } } }
                }
            }
        }
    }
}

/// An amount member of a problem ("80000.00") as the console writes amounts ("80,000.00").
fn money_of(e: &AppError, key: &str) -> String {
    let raw = e.extra.get(key).and_then(Value::as_str).unwrap_or("");
    let fen = raw.parse::<rust_decimal::Decimal>().ok().and_then(|d| i64::try_from((d * rust_decimal::Decimal::ONE_HUNDRED).trunc()).ok());
    fen.map(|f| amount(Money::from_fen(f))).unwrap_or_else(|| raw.to_string())
}

fn text_of(e: &AppError, key: &str) -> String {
    match e.extra.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// The `targets` of a `targets_not_met` problem, one per missed target: "2025 trained_total 4/5".
fn missed_targets(e: &AppError) -> String {
    let Some(Value::Array(targets)) = e.extra.get("targets") else { return String::new() };
    let one = |t: &Value| {
        let measured = t["measured"].as_i64().map(|m| m.to_string()).unwrap_or_else(|| "—".into());
        format!("{} {} {}/{}", t["year"], t["target"].as_str().unwrap_or(""), measured, t["required"])
    };
    targets.iter().map(one).collect::<Vec<_>>().join("; ")
}

pub fn explain(lang: Lang, e: &AppError) -> Explained {
    let zh = lang == Lang::Zh;
    let pick = |c: String, en: String| if zh { c } else { en };
    let line = text_of(e, "line");
    let at_line = |zh_s: &str, en_s: &str| {
        if line.is_empty() {
            pick(zh_s.to_string(), en_s.to_string())
        } else {
            pick(format!("第 {line} 行：{zh_s}"), format!("Line {line}: {en_s}"))
        }
    };
    let message = match e.code {
        Code::InsufficientFunds => pick(
            format!("银行存款可用余额不足：可用 {} 元，本次需要 {} 元。", money_of(e, "available"), money_of(e, "requested")),
            format!(
                "Not enough money in the bank account: {} available, {} requested.",
                money_of(e, "available"),
                money_of(e, "requested")
            ),
        ),
        Code::GrantExceeded => pick(format!("超出补助资金额度。（{}）", e.detail), format!("Above the grant. ({})", e.detail)),
        Code::ProjectNotActive => pick(
            format!("项目当前状态为“{}”，不能办理此业务。", lang.code_name(&text_of(e, "status"))),
            format!("The project is {}: this cannot be done now.", lang.code_name(&text_of(e, "status"))),
        ),
        Code::IdempotencyConflict => pick("该表单已提交过，请勿重复提交。".into(), "This form was already submitted.".into()),
        Code::AlreadyReversed => pick("该凭证已被冲销。".into(), "This voucher was reversed already.".into()),
        Code::PendingReviews => pick(
            format!("尚有 {} 张凭证待审核，请先完成审核。", text_of(e, "pending")),
            format!("{} voucher(s) still await review: decide them first.", text_of(e, "pending")),
        ),
        Code::InvalidTransition => pick(format!("不允许的操作。（{}）", e.detail), format!("Not allowed now. ({})", e.detail)),
        Code::NotPending => pick("该凭证不在待审核状态。".into(), "This voucher is not awaiting review.".into()),
        Code::ExceedsOwed => pick(
            format!("超过应缴回金额（应缴 {} 元）。", money_of(e, "owed")),
            format!("More than is owed ({} owed).", money_of(e, "owed")),
        ),
        Code::NothingOwed => pick("没有需要缴回财政的资金。".into(), "Nothing is owed to the finance bureau.".into()),
        Code::PayablesOutstanding => pick(
            format!("应付账款尚未结清（{} 元），不能收回。", money_of(e, "payables")),
            format!("Accounts payable are not settled ({}): no recovery yet.", money_of(e, "payables")),
        ),
        Code::PeriodNotEnded => pick(
            format!("项目周期尚未结束（结束日期 {}）。", text_of(e, "end_date")),
            format!("The project period has not ended (end date {}).", text_of(e, "end_date")),
        ),
        Code::NegativeBalance => pick(
            format!("科目 {} 的余额将为负数。", text_of(e, "account")),
            format!("Account {} would go below zero.", text_of(e, "account")),
        ),
        Code::LastAdmin => pick("不能停用或降级最后一位管理员。".into(), "The last active admin cannot be deactivated or demoted.".into()),
        Code::DuplicateInvoice => at_line(
            &format!("发票号码 {} 已在其他已记账或待审核的凭证上报销过，不能重复报销。", text_of(e, "number")),
            &format!("Invoice {} is already on a posted or pending voucher: it cannot be reimbursed twice.", text_of(e, "number")),
        ),
        Code::DuplicateDocument => match e.extra.get("voucher_number").and_then(Value::as_i64) {
            Some(n) => pick(
                format!("该文件已附在项目「{}」的第 {n} 号凭证上，同一原始凭证不能附在两张凭证上。", text_of(e, "project_name")),
                format!("This file is already attached to voucher {n} of project “{}”: one original document evidences one voucher.", text_of(e, "project_name")),
            ),
            None => pick(
                "该文件已附在其他凭证上，同一原始凭证不能附在两张凭证上。".into(),
                "This file is already attached to another voucher: one original document evidences one voucher.".into(),
            ),
        },
        Code::TooEarly => pick(
            format!("尚未到验收时间：最早可在 {} 组织验收（项目结束前 60 天）。", text_of(e, "earliest_date")),
            format!("Too early for the acceptance: the earliest date is {} (60 days before the period ends).", text_of(e, "earliest_date")),
        ),
        Code::AcceptanceRequired => pick(
            format!("尚无相应的项目产出验收记录，不能以此事由收回。（{}）", e.detail),
            format!("No output acceptance on record allows this reason. ({})", e.detail),
        ),
        Code::ProjectNotClosed => pick(
            format!("项目尚未结项（当前状态“{}”），结项后才能导出会计档案。", lang.code_name(&text_of(e, "project_status"))),
            format!(
                "The project is {}: its accounting archive is packed once it is closed.",
                lang.code_name(&text_of(e, "project_status"))
            ),
        ),
        Code::TargetsNotMet => pick(
            format!("产出指标未达到：{}。结论为“通过”须填写说明理由。", missed_targets(e)),
            format!("Output targets not met: {}. A passing conclusion needs an override reason.", missed_targets(e)),
        ),
        Code::AlreadyExists => pick("该记录已存在（用户名、单位名称或该年度报告重复）。".into(), "That exists already.".into()),
        Code::InvalidAmount => at_line(
            "金额格式不正确，应为不超过两位小数的正数，例如 1200.50。",
            "Not a valid amount: a positive number with at most two decimals, e.g. 1200.50.",
        ),
        Code::UnbalancedVoucher => pick(
            format!("借贷不平衡：借方合计 {}，贷方合计 {}。", money_of(e, "debit_total"), money_of(e, "credit_total")),
            format!("Debits and credits differ: debits {}, credits {}.", money_of(e, "debit_total"), money_of(e, "credit_total")),
        ),
        Code::UnknownAccount => at_line(
            &format!("科目 {} 不在本项目的科目表中。", text_of(e, "account")),
            &format!("Account {} is not in this project's chart.", text_of(e, "account")),
        ),
        Code::OutOfPeriod => pick(
            format!("日期不在项目周期内（{} 至 {}）。", text_of(e, "start_date"), text_of(e, "end_date")),
            format!("The date is outside the project period ({} to {}).", text_of(e, "start_date"), text_of(e, "end_date")),
        ),
        Code::VoucherRejected => pick(
            "凭证含有不允许列支的支出（如差旅费、劳务费），未入账。".into(),
            "The voucher holds prohibited spending (such as travel or labour fees); nothing was posted.".into(),
        ),
        Code::ValidationFailed => pick("请更正以下内容后再提交。".into(), "Please correct the following.".into()),
        Code::InvalidLine => at_line(&format!("分录不正确。（{}）", e.detail), &format!("A line is not valid. ({})", e.detail)),
        Code::ImportRejected => pick(
            format!(
                "导入文件中有 {} 处被拒绝的行，全部未入账；请按行号更正后重新导入。",
                e.extra.get("refused").and_then(|n| n.as_u64()).unwrap_or(0)
            ),
            format!(
                "{} row(s) of the import were refused, so nothing was posted; correct them by row number and import again.",
                e.extra.get("refused").and_then(|n| n.as_u64()).unwrap_or(0)
            ),
        ),
        Code::Forbidden => pick("您的角色无权办理此业务。".into(), "Your role may not do this.".into()),
        Code::NotFound => pick("未找到该对象。".into(), "Not found.".into()),
        Code::MalformedRequest => {
            pick(format!("提交的内容格式不正确。（{}）", e.detail), format!("The form was not understood. ({})", e.detail))
        }
        Code::ServiceUnavailable => {
            pick("系统繁忙，未能保存，请稍后重试。".into(), "The service was busy and nothing was saved; try again.".into())
        }
        Code::Unauthenticated => pick("请重新登录。".into(), "Please sign in again.".into()),
        Code::TooManyAttempts => {
            let minutes = (e.extra.get("retry_after").and_then(Value::as_i64).unwrap_or(60) + 59) / 60;
            pick(
                format!("登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。"),
                format!("Too many failed sign-ins: locked for now, try again in {minutes} minute(s)."),
            )
        }
        Code::PayloadTooLarge => match e.extra.get("limit_bytes").and_then(Value::as_u64) {
            Some(limit) => pick(
                format!("文件超过 {} MiB 的上限，未保存。", limit.div_ceil(1 << 20)),
                format!("The file is over the {} MiB limit; nothing was saved.", limit.div_ceil(1 << 20)),
            ),
            None => pick("提交的内容过大，未保存。".into(), "The request was too large; nothing was saved.".into()),
        },
        Code::UnsupportedMediaType => pick(
            "不支持的文件类型：只接受 PDF、OFD、XML 电子发票和 JPEG、PNG 扫描件（按文件内容判断，不看文件名）。".into(),
            "Unsupported file type: only PDF, OFD and XML e-invoices and JPEG or PNG scans are taken (judged by the content, not the name).".into(),
        ),
        Code::MethodNotAllowed | Code::InternalError => {
            pick("出错了，未能保存。".into(), "Something went wrong; nothing was saved.".into())
        }
    };
    let fields = match e.extra.get("errors").and_then(Value::as_array) {
        Some(errors) => errors
            .iter()
            .map(|fe| {
                let f = fe["field"].as_str().unwrap_or("").to_string();
                let m = fe["message"].as_str().unwrap_or("").to_string();
                (f, m)
            })
            .collect(),
        None => Vec::new(),
    };
    Explained { code: e.code, message, fields, extra: e.extra.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::LedgerError;

    #[test]
    fn insufficient_funds_names_the_available_amount_in_the_consoles_format() {
        let e: AppError =
            LedgerError::InsufficientFunds { available: Money::from_yuan(80_000), requested: Money::from_yuan(5_600_000) }.into();
        let x = explain(Lang::Zh, &e);
        assert_eq!(x.code, Code::InsufficientFunds);
        assert!(x.message.contains("80,000.00") && x.message.contains("5,600,000.00"), "{}", x.message);
        assert!(explain(Lang::En, &e).message.contains("80,000.00 available"));
    }

    #[test]
    fn field_errors_stay_with_their_fields() {
        let e = AppError::field("leader_age", "a studio leader must be under 60");
        let x = explain(Lang::Zh, &e);
        assert_eq!(x.field("leader_age"), Some("a studio leader must be under 60"));
        assert_eq!(x.field("name"), None);
    }

    #[test]
    fn every_code_has_a_sentence_in_each_language() {
        for code in Code::ALL {
            let e = AppError::new(code, "detail");
            for lang in [Lang::Zh, Lang::En] {
                assert!(!explain(lang, &e).message.trim().is_empty(), "{code} in {lang:?}");
            }
        }
    }
}
