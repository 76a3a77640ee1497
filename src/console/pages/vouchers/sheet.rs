//! The 记账凭证 as printed: unit, date, number, each line's 摘要, account (code and name), 借方 and
//! 贷方, totals in figures and in capitals (大写), attachments, and 制单/审核/记账. On screen it is
//! the voucher's body; on paper (A5 landscape, see console.css) it is all that prints.
use super::super::super::format::{amount, capitals};
use super::super::super::i18n::vouchers::VoucherWords;
use super::number_label;
use crate::domain::chart::{self, AccountDef};
use crate::domain::money::Money;
use crate::http::views::VoucherView;
use maud::{html, Markup};

/// Who prepared, reviewed and posted a voucher, by name.
pub struct Signatures {
    pub maker: String,
    pub reviewer: Option<String>,
    pub poster: Option<String>,
}

pub fn account_name<'a>(chart: &'a [AccountDef], code: &str) -> &'a str {
    chart::find(chart, code).map_or("", |a| a.name.as_str())
}

pub fn sheet(w: &VoucherWords, unit: &str, v: &VoucherView, chart: &[AccountDef], who: &Signatures) -> Markup {
    let debits: Money = v.lines.iter().map(|l| l.debit).sum();
    let credits: Money = v.lines.iter().map(|l| l.credit).sum();
    let number = number_label(v.number);
    html! {
        section.sheet aria-label=(w.voucher_title) {
            h2.sheet-title { (w.voucher_title) }
            div.sheet-head {
                span { (w.unit_name) (w.colon) (unit) }
                span { (w.date) (w.colon) (v.date.format("%Y-%m-%d")) }
                span data-testid="voucher-number" data-number=[v.number] {
                    (w.number) (w.colon) (number.as_deref().unwrap_or(w.unnumbered))
                }
            }
            table.sheet-lines {
                thead { tr { th { (w.summary) } th { (w.account) } th.num { (w.debit) } th.num { (w.credit) } } }
                tbody {
                    @for l in &v.lines {
                        tr {
                            td {
                                @if l.summary.is_empty() { (v.summary) } @else { (l.summary) }
                                @if let Some(i) = &l.invoice {
                                    div.muted data-testid="line-invoice" { (w.invoice) " " (i.number) @if !i.seller.is_empty() { " · " (i.seller) } }
                                }
                            }
                            td { span.mono { (l.account) } " " (account_name(chart, &l.account)) }
                            td.num { @if !l.debit.is_zero() { (amount(l.debit)) } }
                            td.num { @if !l.credit.is_zero() { (amount(l.credit)) } }
                        }
                    }
                }
                tfoot {
                    tr {
                        th colspan="2" { (w.total_capitals) (w.colon) span data-testid="total-capitals" { (capitals(debits)) } }
                        td.num data-testid="debit-total" { (amount(debits)) }
                        td.num data-testid="credit-total" { (amount(credits)) }
                    }
                }
            }
            div.sheet-foot {
                span data-testid="attachments" { (w.attachments) " " (v.attachments) " " (w.attachments_unit) }
                span { (w.poster) (w.colon) (who.poster.as_deref().unwrap_or("")) }
                span { (w.reviewer) (w.colon) (who.reviewer.as_deref().unwrap_or("")) }
                span { (w.maker) (w.colon) (who.maker) }
            }
        }
    }
}
