//! The charts people would rather look at than read: a project's spending over its period and
//! the portfolio's utilization by band. SVG made on the server in whole units (amounts in fen,
//! scaled with integers), so they read without JavaScript and print.
use super::super::format::amount;
use super::super::i18n::charts::ChartWords;
use crate::db::DbConn;
use crate::domain::money::Money;
use crate::domain::statement::Figures;
use crate::error::AppResult;
use crate::store::statements::{totals_at_each, Books};
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};

/// What a project had implemented by the end of `day`.
pub struct Point {
    pub day: NaiveDate,
    pub implemented: Money,
}

/// The days a project's spending is drawn at: its first day, each month's end within its period
/// up to the last day drawn (today, or the period's end once it is past), and that last day.
pub fn drawn_days(start: NaiveDate, end: NaiveDate, today: NaiveDate) -> Vec<NaiveDate> {
    let last = today.min(end);
    if last < start {
        return Vec::new();
    }
    let mut days = vec![start];
    let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), 1);
    while let Some(first) = month {
        let next = first.checked_add_months(chrono::Months::new(1));
        let Some(month_end) = next.and_then(|n| n.pred_opt()) else { break };
        if month_end >= last {
            break;
        }
        if month_end > start {
            days.push(month_end);
        }
        month = next;
    }
    if last > start {
        days.push(last);
    }
    days
}

/// The implemented spending at each drawn day: the statement's own figure (`Figures::implemented`)
/// over the books as they stood then, read from the journal once.
pub fn spending_over_time(conn: &mut DbConn, b: &Books, today: NaiveDate) -> AppResult<Vec<Point>> {
    let days = drawn_days(b.project.start(), b.project.end(), today);
    let totals = totals_at_each(conn, &b.project.id, &days)?;
    Ok(days
        .into_iter()
        .zip(totals)
        .map(|(day, totals)| {
            let then = Figures { totals: &totals, ..b.figures() };
            Point { day, implemented: then.implemented() }
        })
        .collect())
}

// The plot's box in the SVG's own units.
const LEFT: i64 = 16;
const WIDTH: i64 = 608;
const TOP: i64 = 34;
const HEIGHT: i64 = 176;

/// `part` of `whole` across `span` units, in integers (i128: fen times units stays in range).
fn scale(part: i64, whole: i64, span: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    (i128::from(span) * i128::from(part.clamp(0, whole)) / i128::from(whole)) as i64
}

/// Cumulative implemented spending against the period: a line of month-end points, the grant
/// as a horizontal line, the period's end as a vertical one.
pub fn spending_chart(points: &[Point], grant: Money, start: NaiveDate, end: NaiveDate, w: &ChartWords) -> Markup {
    let Some(last) = points.last() else {
        return html! { p.muted { (w.not_started) } };
    };
    let top = points.iter().map(|p| p.implemented.fen()).max().unwrap_or(0).max(grant.fen()).max(1);
    let period = (end - start).num_days().max(1);
    let x = |day: NaiveDate| LEFT + scale((day - start).num_days(), period, WIDTH);
    let y = |m: Money| TOP + HEIGHT - scale(m.fen(), top, HEIGHT);
    let line: Vec<String> = points.iter().map(|p| format!("{},{}", x(p.day), y(p.implemented))).collect();
    let (grant_y, end_x, base) = (y(grant), x(end), TOP + HEIGHT);
    let label = format!("{}{}{} {}{}{}", w.over_time, w.colon, w.spent_to, last.day, w.colon, amount(last.implemented));
    html! {
        figure.chart {
            svg.chart.timeline viewBox="0 0 640 264" role="img" aria-label=(label) data-testid="spending-chart" {
                title { (label) }
                line.axis x1=(LEFT) y1=(base) x2=(LEFT + WIDTH) y2=(base) {}
                line.grant x1=(LEFT) y1=(grant_y) x2=(LEFT + WIDTH) y2=(grant_y) data-testid="grant-line" data-amount=(grant) {}
                text.label x=(LEFT) y=(grant_y - 8) { (w.grant_line) " " (amount(grant)) }
                line.period-end x1=(end_x) y1=(TOP - 24) x2=(end_x) y2=(base) data-testid="period-end" data-day=(end) {}
                text.label.end x=(end_x - 6) y=(TOP - 12) { (w.period_end) " " (end) }
                polyline.spent points=(line.join(" ")) {}
                @for p in points {
                    circle.spent cx=(x(p.day)) cy=(y(p.implemented)) r="4"
                        data-testid="spent-point" data-day=(p.day) data-implemented=(p.implemented) {
                        title { (p.day) (w.colon) (amount(p.implemented)) }
                    }
                }
                text.label x=(LEFT) y=(base + 22) { (start) }
                text.label.end x=(LEFT + WIDTH) y=(base + 22) { (end) }
                text.value x=(LEFT) y=(base + 44) { (w.spent_to) " " (last.day) (w.colon) (amount(last.implemented)) }
            }
            figcaption.muted { (w.over_time_desc) }
        }
    }
}

/// Projects by utilization: none spent yet, below 25 %, 25–50 %, 50–75 %, 75 % and above.
pub const BANDS: [&str; 5] = ["0%", "< 25%", "25–50%", "50–75%", "≥ 75%"];

/// The band of a project's utilization, in integers: quarters of the grant spent.
pub fn band_of(grant: Money, implemented: Money) -> usize {
    if implemented.fen() <= 0 {
        return 0;
    }
    if grant.fen() <= 0 {
        return BANDS.len() - 1;
    }
    let quarters = i128::from(implemented.fen()) * 4 / i128::from(grant.fen());
    1 + quarters.clamp(0, 3) as usize
}

/// How many projects, holding how much of the grants, sit in each band.
pub fn bands(projects: impl Iterator<Item = (Money, Money)>) -> [(usize, Money); 5] {
    let mut out = [(0, Money::ZERO); 5];
    for (grant, implemented) in projects {
        let b = &mut out[band_of(grant, implemented)];
        *b = (b.0 + 1, b.1 + grant);
    }
    out
}

/// The bands as horizontal bars scaled to the fullest band, each under its label, count and
/// grants (two lines a band, so the words keep their size on a phone).
pub fn utilization_chart(bands: &[(usize, Money); 5], w: &ChartWords) -> Markup {
    let most = bands.iter().map(|b| b.0).max().unwrap_or(0) as i64;
    let (row, bar_w) = (46, 464);
    html! {
        figure.chart {
            svg.chart.bands viewBox=(format!("0 0 480 {}", row * BANDS.len() as i64 + 8)) role="img" aria-label=(w.by_band)
                data-testid="utilization-chart" {
                title { (w.by_band) }
                @for (i, (label, (count, grant))) in BANDS.iter().zip(bands).enumerate() {
                    @let y = 6 + row * i as i64;
                    @let len = scale(*count as i64, most, bar_w);
                    text.label x="8" y=(y + 14) {
                        tspan.value { (label) } " · " (count) " " (w.projects_n) " · " (w.of_grant) " " (amount(*grant))
                    }
                    rect.track x="8" y=(y + 21) width=(bar_w) height="16" rx="2" {}
                    rect.fill x="8" y=(y + 21) width=(len) height="16" rx="2"
                        data-testid="band-bar" data-band=(i) data-count=(count) data-grant=(grant) {}
                }
            }
            figcaption.muted { (w.by_band_desc) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn points_fall_on_month_ends_up_to_today_or_the_period_end() {
        let days = drawn_days(d("2025-01-15"), d("2026-06-30"), d("2025-04-10"));
        assert_eq!(days, [d("2025-01-15"), d("2025-01-31"), d("2025-02-28"), d("2025-03-31"), d("2025-04-10")]);
        let past = drawn_days(d("2025-11-30"), d("2026-01-31"), d("2027-03-01"));
        assert_eq!(past, [d("2025-11-30"), d("2025-12-31"), d("2026-01-31")]);
        assert_eq!(drawn_days(d("2026-12-02"), d("2028-01-01"), d("2026-12-02")), [d("2026-12-02")]);
        assert!(drawn_days(d("2027-01-01"), d("2028-01-01"), d("2026-12-02")).is_empty());
    }

    #[test]
    fn bands_count_quarters_of_the_grant_in_fen() {
        let g = Money::from_fen(100_000);
        let bands = bands(
            [(g, Money::ZERO), (g, Money::from_fen(24_999)), (g, Money::from_fen(25_000)), (g, Money::from_fen(100_000))].into_iter(),
        );
        assert_eq!(bands.map(|b| b.0), [1, 1, 1, 0, 1]);
        assert_eq!(bands[0].1, g);
    }
}
