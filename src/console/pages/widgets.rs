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
    // Geometry in whole tenths of a pixel, computed in integers like the amounts themselves.
    let (bar_w, row_h): (i64, i64) = (4400, 440);
    let height = row_h * items.len() as i64 + 80;
    let px = |tenths: i64| format!("{}.{}", tenths / 10, tenths % 10);
    html! {
        svg.chart viewBox=(format!("0 0 {} {}", px(bar_w + 1200), px(height))) role="img" aria-label=(title) {
            title { (title) }
            @for (i, c) in items.iter().enumerate() {
                @let y = 40 + row_h * i as i64;
                // i128: an amount in fen times the bar's tenths stays far inside its range.
                @let w = (i128::from(bar_w) * i128::from(c.amount.fen().max(0)) / i128::from(largest)) as i64;
                text.label x="8" y=(px(y + 150)) { (if english { c.category.as_str() } else { c.name.as_str() }) }
                rect.fill x="8" y=(px(y + 210)) width=(px(w)) height="14" rx="2" {}
                text.value x=(px(80 + w + 60)) y=(px(y + 330)) { (amount(c.amount)) }
            }
        }
    }
}

/// The first crumb, back to the start page: a unit's projects, the admin's users, the others'
/// portfolio — named as the top bar names it.
pub fn home_crumb(v: &super::super::Visit) -> Markup {
    let t = v.t();
    let label = match v.session.as_ref().map(|s| s.caller.role) {
        Some(crate::auth::Role::Unit) => t.projects,
        Some(crate::auth::Role::Admin) => t.users,
        _ => t.portfolio,
    };
    html! { a href="/" { (label) } }
}
