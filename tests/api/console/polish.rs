//! The console's finish (issue 15): the charts against the API's figures (spending over the
//! period on the project page, utilization by band on the portfolio), the print media of the
//! statement, trial balance and voucher, and a clerk's walk through every role's pages at a
//! laptop's and a phone's width, in Chinese and English.
use super::{root, spent_project, Browser};
use crate::common::{on_each_backend, Db, World};
use serde_json::{json, Value};

/// Whole fen of an API amount ("1234.56").
fn fen(amount: &Value) -> i64 {
    let s = amount.as_str().unwrap_or_else(|| panic!("not an amount: {amount}"));
    let (yuan, cents) = s.split_once('.').unwrap_or((s, "00"));
    yuan.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

/// `start`, the last day of each month after it while before `last`, then `last`: the days the
/// chart should draw, worked out here independently of the console.
fn month_ends(start: &str, last: &str) -> Vec<String> {
    let (mut y, mut m): (i32, u32) = (start[..4].parse().unwrap(), start[5..7].parse().unwrap());
    let mut out = vec![start.to_string()];
    loop {
        let days = match m {
            2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let end = format!("{y:04}-{m:02}-{days:02}");
        if end.as_str() >= last {
            break;
        }
        if end.as_str() > start {
            out.push(end);
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    if last > start {
        out.push(last.to_string());
    }
    out
}

fn print_media(b: &Browser, on: bool) {
    let media = if on { "print" } else { "" };
    let r = b.call("POST", "/goog/cdp/execute", Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}})));
    assert!(r.get("error").is_none(), "print media: {r}");
}

fn displayed(b: &Browser, css: &str) -> bool {
    let el = b.wait_for(css, 10);
    b.call("GET", &format!("/element/{el}/displayed"), None).as_bool().unwrap_or(false)
}

fn script(b: &Browser, js: &str) -> Value {
    b.call("POST", "/execute/sync", Some(json!({"script": js, "args": []})))
}

/// The project with spending in several months, so the line rises more than once.
fn spread_project(w: &World) -> String {
    let p = spent_project(w);
    for (date, account, amount, summary) in
        [("2025-06-18", "materials", "8000.00", "购买实训耗材"), ("2025-11-05", "equipment", "30000.00", "采购数控车床配件")]
    {
        assert_eq!(w.spend(&w.unit, &p, date, account, amount, summary).status, 201);
    }
    p
}

#[test]
fn the_charts_draw_the_apis_figures() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let p = spread_project(&w);
        let project = w.get(&w.finance, &format!("/projects/{p}")).body;
        let today = w.get(&w.finance, &format!("/projects/{p}/statement")).body;
        let (start, end) = (project["start_date"].as_str().unwrap(), project["end_date"].as_str().unwrap());
        let last = today["as_of"].as_str().unwrap().min(end);

        b.sign_in(&root, "fin1", "password-123");
        b.wait_for("[data-testid=project-row]", 10);
        b.goto(&format!("{root}/projects/{p}"));
        b.wait_for("[data-testid=spending-chart]", 10);
        let points = b.find_all("[data-testid=spent-point]");
        let days = month_ends(start, last);
        assert_eq!(points.len(), days.len(), "one point per month's end and today");
        for (el, day) in points.iter().zip(&days) {
            assert_eq!(b.attr(el, "data-day").as_deref(), Some(day.as_str()));
            let then = w.get(&w.finance, &format!("/projects/{p}/statement?as_of={day}")).body;
            assert_eq!(b.attr(el, "data-implemented").as_deref(), then["statement"]["implemented"].as_str(), "{day}");
        }
        let grant = b.wait_for("[data-testid=grant-line]", 5);
        assert_eq!(b.attr(&grant, "data-amount").as_deref(), today["statement"]["grant"].as_str());
        let period_end = b.wait_for("[data-testid=period-end]", 5);
        assert_eq!(b.attr(&period_end, "data-day").as_deref(), Some(end));
        if w.db == Db::Sqlite {
            script(&b, "document.getElementById('over-time-h').scrollIntoView();");
            b.screenshot("polish-project-chart-zh");
            b.window(390, 844);
            b.goto(&format!("{root}/projects/{p}"));
            b.wait_for("[data-testid=spending-chart]", 10);
            script(&b, "document.getElementById('over-time-h').scrollIntoView();");
            b.screenshot("polish-project-chart-phone-zh");
            b.window(1366, 768);
        }

        // The portfolio: every project the API's /statements lists, counted in its band.
        b.goto(&format!("{root}/"));
        b.wait_for("[data-testid=utilization-chart]", 10);
        let items = w.get(&w.finance, "/statements").body["items"].as_array().unwrap().clone();
        let mut expected = [(0usize, 0i64); 5];
        for item in &items {
            let (g, i) = (fen(&item["statement"]["grant"]), fen(&item["statement"]["implemented"]));
            let band = if i <= 0 { 0 } else { 1 + (i * 4 / g).clamp(0, 3) as usize };
            expected[band] = (expected[band].0 + 1, expected[band].1 + g);
        }
        let bars = b.find_all("[data-testid=band-bar]");
        assert_eq!(bars.len(), 5);
        for (band, el) in bars.iter().enumerate() {
            assert_eq!(b.attr(el, "data-band"), Some(band.to_string()));
            let count: usize = b.attr(el, "data-count").unwrap().parse().unwrap();
            let grant = fen(&json!(b.attr(el, "data-grant").unwrap()));
            assert_eq!((count, grant), expected[band], "band {band}");
        }
        assert!(expected.iter().map(|e| e.0).sum::<usize>() >= 1);
        if w.db == Db::Sqlite {
            b.screenshot("polish-portfolio-chart-zh");
        }
    });
}

#[test]
fn statements_print_on_a4_without_the_chrome_and_the_voucher_still_prints() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let p = spread_project(&w);
        let voucher = w.get(&w.finance, &format!("/projects/{p}/vouchers")).body["items"][0]["id"].as_str().unwrap().to_string();
        let shots = w.db == Db::Sqlite;
        b.sign_in(&root, "fin1", "password-123");
        b.wait_for("[data-testid=project-row]", 10);
        b.window(820, 1100);
        for (path, name) in [
            (format!("/projects/{p}"), "statement"),
            (format!("/projects/{p}/trial-balance"), "trial-balance"),
            (format!("/projects/{p}/vouchers/{voucher}"), "voucher"),
        ] {
            b.goto(&format!("{root}{path}"));
            b.wait_for("main h1", 10);
            assert!(displayed(&b, "header.top"), "{path}: the top bar shows on screen");
            print_media(&b, true);
            assert!(!displayed(&b, "header.top"), "{path}: the top bar does not print");
            if name == "voucher" {
                assert!(displayed(&b, "section.sheet"), "the 记账凭证 prints");
                assert!(!displayed(&b, "main h1"), "the voucher prints its sheet alone");
            } else {
                assert!(displayed(&b, "main h1"), "{path}: the title prints");
                assert!(displayed(&b, "main table, dl.figures"), "{path}: the figures print");
                assert!(!displayed(&b, "p.actions, form.filters"), "{path}: the forms and links do not print");
            }
            if name == "statement" {
                assert!(displayed(&b, "[data-testid=spending-chart]"), "the chart prints");
            }
            if shots {
                b.screenshot(&format!("polish-print-{name}"));
            }
            print_media(&b, false);
        }
        b.window(1366, 768);
    });
}

/// Every page of every role, at 1366×768 and 390 wide, in both languages: it answers, has its
/// title, and nothing but a table's own scroller is wider than the window.
#[test]
fn a_clerks_walk_through_every_page() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let p = spread_project(&w);
        let voucher = w.get(&w.finance, &format!("/projects/{p}/vouchers")).body["items"][0]["id"].as_str().unwrap().to_string();
        let at = |s: &str| format!("/projects/{p}{s}");
        let vpage = at(&format!("/vouchers/{voucher}"));
        let walks: Vec<(&str, &str, Vec<String>)> = vec![
            ("unit", "unit1", vec!["/".into(), at(""), at("/vouchers"), at("/vouchers/new"), vpage.clone(), at("/reports")]),
            (
                "finance",
                "fin1",
                vec![
                    "/".into(),
                    "/reviews".into(),
                    at(""),
                    at("/vouchers"),
                    vpage.clone(),
                    at("/disburse"),
                    at("/recovery"),
                    at("/trial-balance"),
                    at("/ledger"),
                    at("/audit"),
                ],
            ),
            ("hr", "hr1", vec!["/".into(), "/projects/new".into(), "/reports".into(), at(""), at("/manage"), at("/reports")]),
            ("inspector", "insp1", vec!["/".into(), at(""), at("/vouchers"), at("/trial-balance"), at("/ledger"), at("/audit")]),
            ("admin", "admin", vec!["/".into(), "/users/new".into(), "/orgs/new".into()]),
        ];
        let shots = w.db == Db::Sqlite;
        for (role, user, pages) in &walks {
            let password = if *user == "admin" { crate::common::ADMIN_PASSWORD } else { "password-123" };
            b.sign_in(&root, user, password);
            b.wait_for("header.top .who", 10);
            for (width, height, lang) in [(1366, 768, "zh"), (1366, 768, "en"), (390, 844, "zh"), (390, 844, "en")] {
                b.window(width, height);
                for (i, path) in pages.iter().enumerate() {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    b.goto(&format!("{root}{path}{sep}lang={lang}"));
                    b.wait_for("main h1", 10);
                    assert!(b.find_all("section.message").is_empty(), "{role} {path}: an error page");
                    let wide = script(
                        &b,
                        "const inScroller = e => { for (let a = e.parentElement; a; a = a.parentElement) { \
                           const o = getComputedStyle(a).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; }; \
                         return [...document.querySelectorAll('body *')].filter(e => !inScroller(e) \
                           && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1) \
                         .map(e => e.tagName + '.' + (typeof e.className === 'string' ? e.className : e.className.baseVal)).slice(0, 5);",
                    );
                    assert_eq!(wide, json!([]), "{role} {path} at {width} ({lang}): wider than the window");
                    // A page not in the top bar has a way back, its first step named as the top
                    // bar names the start page.
                    let in_top_bar = !b.find_all(&format!("header.top nav a[href='{path}']")).is_empty();
                    let crumb = b.find_all("nav.crumbs a").into_iter().next();
                    assert!(in_top_bar || crumb.is_some(), "{role} {path} ({lang}): no way back");
                    if let Some(crumb) = crumb {
                        let start = b.wait_for("header.top nav a", 5);
                        assert_eq!(b.text(&crumb), b.text(&start), "{role} {path} ({lang}): the first crumb");
                    }
                    if shots {
                        b.screenshot(&format!("walk-{role}-{i:02}-{width}-{lang}"));
                    }
                }
            }
            b.window(1366, 768);
        }

        // Switching the language keeps the page's filters.
        b.sign_in(&root, "fin1", "password-123");
        // Signed in before going on: the sign-in's own redirect would otherwise overtake the page.
        b.wait_for("header.top .who", 10);
        b.goto(&format!("{root}/?kind=base&sort=grant&lang=zh"));
        let switch = b.wait_for("header.top a.lang", 10);
        let href = b.attr(&switch, "href").unwrap_or_default();
        assert_eq!(href, "/?kind=base&sort=grant&lang=en");
    });
}
