//! Small pieces shared by pages: amounts, utilization bars, the spending chart.
use super::super::format::{amount, percent};
use crate::domain::money::Money;
use crate::domain::statement::CategoryAmount;
use maud::{html, Markup};

/// A right-aligned amount cell.
pub fn money_cell(m: Money) -> Markup {
    html! { td.num { (amount(m)) } }
}

/// A utilization bar (SVG: no inline style, so the page's CSP needs no 'unsafe-inline').
pub fn bar(ratio: &str) -> Markup {
    let width = ratio.parse::<f64>().map(|r| (r * 100.0).clamp(0.0, 100.0)).unwrap_or(0.0);
    let text = percent(ratio);
    html! {
        span.util {
            svg.bar width="80" height="10" viewBox="0 0 100 10" role="img" aria-label=(text) {
                rect.track width="100" height="10" rx="2" {}
                rect.fill width=(format!("{width:.1}")) height="10" rx="2" {}
            }
            span.pct { (text) }
        }
    }
}

/// Spending by category as horizontal bars, scaled to the largest; rendered on the server, so it
/// reads without JavaScript and prints.
pub fn category_chart(items: &[CategoryAmount], title: &str, empty: &str, english: bool) -> Markup {
    let largest = items.iter().map(|c| c.amount.fen()).max().unwrap_or(0);
    if largest <= 0 {
        return html! { p.muted { (empty) } };
    }
    // Each category on two lines, its name above its bar: the names are long (项目支出—实训设备购置
    // 改造与维护) and must not be cut, at a phone's width least of all.
    // Floats here are pixels only: a bar's length; every figure shown is the Money itself.
    let (bar_w, row_h) = (440.0, 44.0);
    let height = row_h * items.len() as f64 + 8.0;
    html! {
        svg.chart viewBox=(format!("0 0 {} {height}", bar_w + 120.0)) role="img" aria-label=(title) {
            title { (title) }
            @for (i, c) in items.iter().enumerate() {
                @let y = 4.0 + row_h * i as f64;
                @let w = bar_w * c.amount.fen().max(0) as f64 / largest as f64;
                text.label x="8" y=(y + 15.0) { (if english { c.category.as_str() } else { c.name.as_str() }) }
                rect.fill x="8" y=(y + 21.0) width=(format!("{w:.1}")) height="14" rx="2" {}
                text.value x=(8.0 + w + 6.0) y=(y + 33.0) { (amount(c.amount)) }
            }
        }
    }
}
