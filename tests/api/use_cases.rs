//! Issue 13: the use cases behind the money routes, typed states read strictly from the database.

use crate::common::{on_each_backend, Db, World};
use diesel::{Connection, RunQueryDsl};
use serde_json::json;

/// Runs SQL straight on the test's database, behind the service's back.
fn tamper(w: &World, sql: &str) {
    let changed = match w.db {
        Db::Sqlite => diesel::sql_query(sql).execute(&mut diesel::SqliteConnection::establish(&w.fresh.url).unwrap()),
        Db::Postgres => diesel::sql_query(sql).execute(&mut diesel::PgConnection::establish(&w.fresh.url).unwrap()),
    };
    assert_eq!(changed.unwrap(), 1, "{sql}");
}

#[test]
fn a_stored_value_that_does_not_parse_is_an_internal_error_not_a_default() {
    on_each_backend(|w| {
        let project = |tamper_with: &str| {
            let p = w.base_project("2025-03-01");
            tamper(&w, &tamper_with.replace("{p}", &p));
            p
        };
        let internal = |path: String| {
            let r = w.get(&w.finance, &path);
            assert_eq!((r.status, r.code()), (500, "internal_error"), "{path}: {r:?}");
        };
        let p = project("UPDATE projects SET status = 'archived' WHERE id = '{p}'");
        internal(format!("/projects/{p}"));
        let r = w.disburse(&p, "2025-03-10", "100.00");
        assert_eq!((r.status, r.code()), (500, "internal_error"), "{r:?}");
        let p = project("UPDATE projects SET kind = 'academy' WHERE id = '{p}'");
        internal(format!("/projects/{p}"));
        let p = project("UPDATE projects SET end_date = '2027-02-31' WHERE id = '{p}'");
        internal(format!("/projects/{p}"));
        let p = project("UPDATE accounts SET side = 'sideways' WHERE project_id = '{p}' AND code = '1002'");
        internal(format!("/projects/{p}/balances"));
        let p = project("UPDATE vouchers SET kind = 'gift' WHERE project_id = '{p}'");
        internal(format!("/projects/{p}/vouchers"));
        let p = project("UPDATE vouchers SET date = '2025-3-1' WHERE project_id = '{p}'");
        internal(format!("/projects/{p}/vouchers"));
        let p = project("UPDATE vouchers SET status = 'void' WHERE project_id = '{p}'");
        internal(format!("/projects/{p}/vouchers"));
        // An untouched project still reads.
        let p = w.base_project("2025-03-01");
        assert_eq!(w.get(&w.finance, &format!("/projects/{p}")).status, 200);
        let r = w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "suspended", "reason": "整改"}));
        assert_eq!((r.status, &r.body["status"]), (200, &json!("suspended")), "{r:?}");
    });
}
