//! The triggers that refuse UPDATE and DELETE on the audit events, the voucher lines, the audit
//! trees' hashes, the original documents with their attachments, the classifier's models, the
//! acceptance records and the archive entries, checked at every start: someone with the database
//! who drops, disables or rewrites one has made room for an edit, and the service says so before
//! it serves anything.
//! The statements are those of the migrations, repeated here so one trigger can be recreated.
use crate::db::DbConn;
use crate::error::AppResult;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// The guarded tables, with the message their SQLite triggers raise.
const TABLES: [(&str, &str); 8] = [
    ("audit_events", "audit events are append-only"),
    ("voucher_lines", "posted voucher lines are immutable"),
    ("audit_tree", "audit tree hashes are append-only"),
    ("documents", "documents are append-only"),
    ("attachments", "attachments are append-only"),
    ("classifier_models", "classifier models are append-only"),
    ("acceptances", "acceptance records are immutable"),
    ("archive_entries", "archive entries are append-only"),
];

const PG_FUNCTION: &str = "CREATE OR REPLACE FUNCTION fundledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql";

/// One trigger the service relies on.
struct Expected {
    name: String,
    table: &'static str,
    create: String,
    /// Text its stored definition holds when it still refuses the edit.
    refuses: &'static str,
}

fn expected(sqlite: bool) -> Vec<Expected> {
    let mut out = Vec::new();
    for (table, message) in TABLES {
        if sqlite {
            for verb in ["UPDATE", "DELETE"] {
                let name = format!("{table}_no_{}", verb.to_lowercase());
                let create = format!("CREATE TRIGGER {name} BEFORE {verb} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END");
                out.push(Expected { name, table, create, refuses: "RAISE(ABORT" });
            }
        } else {
            let name = format!("{table}_append_only");
            let create =
                format!("CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION fundledger_append_only()");
            out.push(Expected { name, table, create, refuses: "RAISE EXCEPTION" });
        }
    }
    out
}

#[derive(QueryableByName)]
struct Present {
    #[diesel(sql_type = Text)]
    name: String,
    /// The trigger's definition (on PostgreSQL with its function's), or `disabled`.
    #[diesel(sql_type = Text)]
    definition: String,
}

const SQLITE_TRIGGERS: &str = "SELECT name, COALESCE(sql, '') AS definition FROM sqlite_master WHERE type = 'trigger'";
const PG_TRIGGERS: &str = "SELECT t.tgname::text AS name,
    CASE WHEN t.tgenabled = 'D' THEN 'disabled'
         ELSE pg_get_triggerdef(t.oid) || ' ' || COALESCE(pg_get_functiondef(t.tgfoid), '') END AS definition
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)";

/// A guard that is not in place, as the start-up message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub trigger: String,
    pub table: &'static str,
    /// `missing`, `disabled`, or `altered` (it no longer refuses the edit).
    pub state: &'static str,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the append-only trigger {} on {} is {}", self.trigger, self.table, self.state)
    }
}

/// The guards that are not in place; with `repair`, each is recreated (in one transaction) and
/// the list says which were.
pub fn check(conn: &mut DbConn, repair: bool) -> AppResult<Vec<Gap>> {
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let present: Vec<Present> = diesel::sql_query(if sqlite { SQLITE_TRIGGERS } else { PG_TRIGGERS }).load(conn)?;
    let wanted = expected(sqlite);
    let gaps: Vec<(Gap, &Expected)> = wanted
        .iter()
        .filter_map(|e| {
            let state = match present.iter().find(|p| p.name == e.name) {
                None => "missing",
                Some(p) if p.definition == "disabled" => "disabled",
                Some(p) if !p.definition.contains(e.refuses) => "altered",
                Some(_) => return None,
            };
            Some((Gap { trigger: e.name.clone(), table: e.table, state }, e))
        })
        .collect();
    if repair && !gaps.is_empty() {
        super::unit::write(conn, |conn| {
            if !sqlite {
                diesel::sql_query(PG_FUNCTION).execute(conn)?;
            }
            for (_, e) in &gaps {
                let drop = if sqlite {
                    format!("DROP TRIGGER IF EXISTS {}", e.name)
                } else {
                    format!("DROP TRIGGER IF EXISTS {} ON {}", e.name, e.table)
                };
                diesel::sql_query(drop).execute(conn)?;
                diesel::sql_query(&e.create).execute(conn)?;
            }
            Ok(())
        })?;
    }
    Ok(gaps.into_iter().map(|(g, _)| g).collect())
}
