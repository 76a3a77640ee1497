//! Issue 18, read side: `GET /statements` paged (`limit`, `cursor`), ordered (`sort`), with totals
//! over the whole filter on every page, and downloads that hold every row.
use crate::common::{fen, items, on_each_backend, Resp, World};
use serde_json::{json, Value};

const SORTS: [&str; 8] =
    ["project_id", "-project_id", "utilization", "-utilization", "days_left", "-days_left", "recoverable", "-recoverable"];

/// Eleven projects with figures that differ and tie: two orgs in two regions, both kinds, a
/// cancelled and recovered one, a suspended one, equal spending on two (equal utilization and
/// recoverable), equal start dates (equal days left), a voucher awaiting review.
fn portfolio(w: &World) -> Vec<String> {
    let mut ids = Vec::new();
    let bases = [
        ("2025-03-01", "12000.00"),
        ("2025-03-01", "12000.00"),
        ("2025-09-01", "30000.50"),
        ("2026-06-01", ""),
        ("2024-01-01", "99999.99"),
    ];
    for (i, (start, spent)) in bases.into_iter().enumerate() {
        let p = w.base_project(start);
        assert_eq!(w.disburse(&p, start, &format!("{}.00", 100_000 * (i + 1))).status, 201);
        if !spent.is_empty() {
            let r = w.spend(&w.unit, &p, start, "equipment", spent, "采购数控车床实训设备");
            assert_eq!(r.status, 201, "{r:?}");
        }
        ids.push(p);
    }
    for start in ["2025-03-01", "2026-01-01", "2026-01-01"] {
        let s = w.studio_project(start);
        assert_eq!(w.disburse(&s, start, "50000.00").status, 201);
        ids.push(s);
    }
    let r = w.spend(&w.unit, &ids[5], "2025-06-01", "studio_equipment", "20000.00", "购置数字化电焊机一台");
    assert_eq!(r.status, 201, "{r:?}");
    // A voucher the classifier sends to review: pending_review and the reservation count.
    let r = w.spend(&w.unit, &ids[1], "2026-07-03", "other_training", "300.00", "召开培训工作研讨会餐费");
    assert_eq!(r.body["status"], "pending_review", "{r:?}");
    // Cancelled and recovered: recovered, owed to finance, a closed status.
    let r = w.post(&w.hr, &format!("/projects/{}/status", ids[2]), json!({"status": "cancelled", "reason": "建设单位注销"}));
    assert_eq!(r.status, 200, "{r:?}");
    let r = w.post(
        &w.finance,
        &format!("/projects/{}/recovery", ids[2]),
        json!({"date": "2026-08-01", "reason": "cancelled", "note": "依据实施方案第八条"}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let r = w.post(&w.hr, &format!("/projects/{}/status", ids[3]), json!({"status": "suspended", "reason": "整改"}));
    assert_eq!(r.status, 200, "{r:?}");
    // Two in the other organisation's region (松山区).
    for start in ["2025-03-01", "2025-09-01"] {
        let r = w.post(
            &w.hr,
            "/projects",
            json!({"kind": "base", "name": "松山区焊接实训基地", "org_id": w.other_org_id, "start_date": start,
                   "fund_source": "demonstration_matching", "specialties": ["数控加工", "焊接", "工业机器人"]}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    ids
}

fn get(w: &World, path: &str) -> Resp {
    let r = w.get(&w.finance, path);
    assert_eq!(r.status, 200, "GET {path}: {r:?}");
    r
}

/// The sort key of a row, as the API orders by it.
fn key(item: &Value, sort: &str) -> i64 {
    let s = &item["statement"];
    match sort.trim_start_matches('-') {
        "utilization" => s["utilization"].as_str().unwrap().replace('.', "").parse().unwrap(),
        "days_left" => s["period"]["days_left"].as_i64().unwrap(),
        "recoverable" => fen(s["recoverable"].as_str().unwrap()),
        _ => 0,
    }
}

fn id(item: &Value) -> String {
    item["project_id"].as_str().unwrap().to_string()
}

/// Every page of `query` with pages of `limit`, checking each page's totals against `totals`.
fn walk(w: &World, query: &str, limit: usize, totals: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let r = get(w, &format!("/statements?{query}&limit={limit}{cursor}"));
        assert_eq!(&r.body["totals"], totals, "every page's totals are the whole filter's: {query}");
        let page = items(&r);
        assert!(page.len() <= limit && !page.is_empty(), "{query}: {r:?}");
        out.extend(page);
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
    panic!("{query}: the pages never end");
}

#[test]
fn pages_walk_every_project_once_in_each_order() {
    on_each_backend(|w| {
        let ids = portfolio(&w);
        for sort in SORTS {
            let all = get(&w, &format!("/statements?sort={sort}"));
            let every = items(&all);
            assert_eq!((every.len(), all.body["totals"]["projects"].as_u64()), (ids.len(), Some(ids.len() as u64)));
            assert_eq!(all.body["next_cursor"], Value::Null, "without a limit every row is one page");
            for pair in every.windows(2) {
                let (a, b) = ((key(&pair[0], sort), id(&pair[0])), (key(&pair[1], sort), id(&pair[1])));
                let in_order = match sort {
                    "project_id" => a.1 < b.1,
                    "-project_id" => a.1 > b.1,
                    s if s.starts_with('-') => a.0 > b.0 || (a.0 == b.0 && a.1 < b.1),
                    _ => a.0 < b.0 || (a.0 == b.0 && a.1 < b.1),
                };
                assert!(in_order, "sort={sort}: {a:?} before {b:?}");
            }
            for limit in [1, 4, 500] {
                let walked = walk(&w, &format!("sort={sort}"), limit, &all.body["totals"]);
                assert_eq!(walked, every, "sort={sort} limit={limit}: the pages are the whole answer, in its order");
            }
        }
        // The portfolio's ties are real: the test would not see a tie broken wrongly otherwise.
        let every = items(&get(&w, "/statements"));
        for sort in ["utilization", "days_left", "recoverable"] {
            let mut keys: Vec<i64> = every.iter().map(|i| key(i, sort)).collect();
            let n = keys.len();
            keys.sort_unstable();
            keys.dedup();
            assert!(keys.len() < n && keys.len() > 2, "{sort}: ties and differences both present: {keys:?}");
        }
    });
}

#[test]
fn each_row_is_the_projects_own_statement() {
    on_each_backend(|w| {
        let ids = portfolio(&w);
        for query in ["", "as_of=2026-07-02&"] {
            let r = get(&w, &format!("/statements?{query}sort=-utilization&limit=3"));
            let next = r.body["next_cursor"].as_str().unwrap().to_string();
            let rows = [items(&r), items(&get(&w, &format!("/statements?{query}sort=-utilization&limit=500&cursor={next}")))].concat();
            assert_eq!(rows.len(), ids.len());
            for row in rows {
                let own = get(&w, &format!("/projects/{}/statement?{query}", id(&row)));
                assert_eq!(row["statement"], own.body["statement"], "{query}: {}", id(&row));
            }
        }
    });
}

#[test]
fn totals_cover_the_whole_filter_on_every_page() {
    on_each_backend(|w| {
        portfolio(&w);
        for filter in
            ["kind=base", "kind=studio", "status=active", "status=closed", "region=松山区", "region=红山区&kind=base", "as_of=2026-07-02"]
        {
            let all = get(&w, &format!("/statements?{filter}"));
            let every = items(&all);
            let t = &all.body["totals"];
            assert_eq!(t["projects"].as_u64(), Some(every.len() as u64), "{filter}");
            for field in [
                "grant",
                "disbursed",
                "undisbursed",
                "bank_balance",
                "payables",
                "implemented",
                "pending_review",
                "available",
                "recovered",
                "recoverable",
            ] {
                let sum: i64 = every.iter().map(|i| fen(i["statement"][field].as_str().unwrap())).sum();
                assert_eq!(fen(t[field].as_str().unwrap()), sum, "{filter}: totals.{field}");
            }
            let first = get(&w, &format!("/statements?{filter}&limit=1&sort=recoverable"));
            assert_eq!(&first.body["totals"], t, "{filter}: a page of one has the whole filter's totals");
            assert_eq!(items(&first).len(), every.len().min(1));
        }
        let t = get(&w, "/statements?region=松山区").body["totals"].clone();
        assert_eq!((t["projects"].as_u64(), t["disbursed"].as_str()), (Some(2), Some("0.00")), "{t}");
        let closed = get(&w, "/statements?status=closed").body["totals"].clone();
        assert_eq!(closed["projects"], 1, "{closed}");
        assert_ne!(closed["recovered"], "0.00", "{closed}");
        let empty = get(&w, "/statements?kind=studio&region=松山区&limit=5");
        assert_eq!((items(&empty).len(), &empty.body["next_cursor"], &empty.body["totals"]["projects"]), (0, &Value::Null, &json!(0)));
    });
}

#[test]
fn bad_paging_is_a_422_naming_the_field() {
    on_each_backend(|w| {
        portfolio(&w);
        let cursor = get(&w, "/statements?sort=days_left&limit=2").body["next_cursor"].as_str().unwrap().to_string();
        // Its last character changed: to one it is not, or the "mangled" cursor would be itself.
        let other = if cursor.ends_with('x') { 'y' } else { 'x' };
        let mangled = format!("{}{other}", &cursor[..cursor.len() - 1]);
        for (query, field) in [
            ("limit=0".to_string(), "limit"),
            ("limit=501".to_string(), "limit"),
            ("limit=-1".to_string(), "limit"),
            ("sort=name".to_string(), "sort"),
            ("sort=-".to_string(), "sort"),
            ("sort=Utilization".to_string(), "sort"),
            ("cursor=not-a-cursor".to_string(), "cursor"),
            ("cursor=%F0%9F%92%B0".to_string(), "cursor"),
            (format!("sort=-days_left&cursor={cursor}"), "cursor"),
            (format!("sort=days_left&cursor={mangled}"), "cursor"),
            (format!("cursor={cursor}"), "cursor"),
            ("format=csv&cursor=x".to_string(), "cursor"),
            ("format=xlsx&limit=0".to_string(), "limit"),
        ] {
            let r = w.get(&w.finance, &format!("/statements?{query}"));
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{query}: {r:?}");
            assert_eq!(r.body["errors"][0]["field"], field, "{query}: {r:?}");
        }
        let r = get(&w, &format!("/statements?sort=days_left&limit=2&cursor={cursor}"));
        assert_eq!(items(&r).len(), 2, "the cursor itself works with its own sort");
    });
}

#[test]
fn downloads_hold_every_row_in_order() {
    on_each_backend(|w| {
        let ids = portfolio(&w);
        let every = items(&get(&w, "/statements?sort=-recoverable"));
        let r = get(&w, "/statements?sort=-recoverable&format=csv&limit=2");
        assert!(r.content_type.starts_with("text/csv"), "{r:?}");
        let lines: Vec<&str> = r.text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines.len(), ids.len() + 1, "a header and every row, whatever the limit: {}", r.text);
        assert!(lines[0].starts_with("project_id,grant,disbursed"), "{}", lines[0]);
        for (line, item) in lines[1..].iter().zip(&every) {
            let own = get(&w, &format!("/projects/{}/statement?format=csv", id(item)));
            let own_row = own.text.trim_start_matches('\u{feff}').lines().nth(1).unwrap().to_string();
            assert_eq!(*line, format!("{},{own_row}", id(item)), "the project's own statement row, in the sort's order");
        }
        let book = w.get(&w.finance, "/statements?format=xlsx&limit=1");
        assert_eq!(book.status, 200, "{book:?}");
        assert!(book.content_type.contains("spreadsheetml"), "{book:?}");
        // Both are streamed: sent in chunks as they are read, their length unknown beforehand.
        for r in [&r, &book] {
            assert_eq!((r.header("transfer-encoding"), r.header("content-length")), (Some("chunked"), None), "{:?}", r.headers);
        }
    });
}
