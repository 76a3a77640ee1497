//! Proofs an inspector can keep (the contract's "Transparency"): each chain's signed checkpoint,
//! inclusion and consistency proofs (RFC 9162 §2.1.3–2.1.4) from the stored tree, and the key
//! that verifies the checkpoints.
use super::audit::TRAIL_READERS;
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::{db, State};
use crate::auth::{Caller, Role};
use crate::db::DbConn;
use crate::domain::merkle::{prove_record, prove_tree, Stores};
use crate::error::{AppError, AppResult};
use crate::store::{audit, snapshot, tree};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes) {
    r.get("/audit-key", audit_key)
        .get("/projects/{id}/audit-trail/checkpoint", project_checkpoint)
        .get("/projects/{id}/audit-trail/proof/inclusion", project_inclusion)
        .get("/projects/{id}/audit-trail/proof/consistency", project_consistency)
        .get("/audit-trail/checkpoint", global_checkpoint)
        .get("/audit-trail/proof/inclusion", global_inclusion)
        .get("/audit-trail/proof/consistency", global_consistency);
}

const GLOBAL_READERS: [Role; 2] = [Role::Inspector, Role::Admin];

fn text(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").insert_header(("Cache-Control", "no-store")).body(body)
}

/// The key that verifies every checkpoint of this service, in the C2SP signed-note verifier key
/// form `<name>+<key id>+<base64>`. Keep it beside the checkpoints you keep.
///
/// No authentication: anyone may check a checkpoint.
#[utoipa::path(get, path = "/audit-key", tag = "audit", responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn audit_key(state: State) -> HttpResponse {
    text(format!("{}\n", state.notary.verifier_key()))
}

/// The chain's tree as it stands, signed now; `check` names the chain once the caller may read it.
pub(crate) async fn signed(state: &State, check: impl FnOnce(&mut DbConn) -> AppResult<String> + Send + 'static) -> AppResult<String> {
    let (chain, t) = db(state, move |conn| {
        snapshot(conn, |conn| {
            let chain = check(conn)?;
            let t = tree::of(conn, &chain)?;
            Ok((chain, t))
        })
    })
    .await?;
    Ok(state.notary.sign(&chain, t.size(), t.root()))
}

async fn checkpoint(state: State, check: impl FnOnce(&mut DbConn) -> AppResult<String> + Send + 'static) -> AppResult<HttpResponse> {
    Ok(text(signed(&state, check).await?))
}

/// A signed checkpoint of the project's audit tree (C2SP tlog-checkpoint in a signed note):
/// origin, tree size, base64 root hash, a blank line, an Ed25519 signature line. Keep it: later,
/// `verify?checkpoint=` proves the trail still extends it.
///
/// Roles: inspector, finance, hr; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/audit-trail/checkpoint", tag = "audit", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "text/plain", body = String),
        (status = 403, description = "`forbidden`: admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json")))]
pub async fn project_checkpoint(state: State, caller: Caller, id: web::Path<String>) -> AppResult<HttpResponse> {
    caller.require(&TRAIL_READERS)?;
    let id = id.into_inner();
    checkpoint(state, move |conn| visible(conn, &caller, &id).map(|p| p.id)).await
}

/// A signed checkpoint of the global chain's tree.
///
/// Roles: inspector, admin.
#[utoipa::path(get, path = "/audit-trail/checkpoint", tag = "audit", security(("bearer" = [])),
    responses((status = 200, content_type = "text/plain", body = String),
        (status = 403, description = "`forbidden`: not inspector or admin", body = Problem, content_type = "application/problem+json")))]
pub async fn global_checkpoint(state: State, caller: Caller) -> AppResult<HttpResponse> {
    caller.require(&GLOBAL_READERS)?;
    checkpoint(state, |_| Ok(audit::GLOBAL.to_string())).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The event's `seq` (its leaf is `seq - 1`). Required; optional in the query's type only so
    /// that a caller without the role hears 403 before any complaint about the query.
    #[param(minimum = 1, required = true)]
    seq: Option<i64>,
    /// The tree the proof is for (a kept checkpoint's size); default the whole chain.
    #[param(minimum = 1)]
    tree_size: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree's size (a kept checkpoint's). Required (see `seq` above).
    #[param(minimum = 1, required = true)]
    from: Option<i64>,
    /// The newer tree's size; default the whole chain.
    #[param(minimum = 1)]
    to: Option<i64>,
}

/// RFC 9162 §2.1.3: the audit path from the leaf of event `seq` to the root of the tree of
/// `tree_size` leaves.
#[derive(Serialize, ToSchema)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Hex SHA-256 hashes, leaf to root.
    pub hashes: Vec<String>,
}

/// RFC 9162 §2.1.4: the proof that the tree of `to` leaves extends the tree of `from` leaves.
#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub hashes: Vec<String>,
}

/// A size a proof names, checked against the chain's tree: 1 to its size.
fn within(field: &str, n: i64, size: u64) -> AppResult<u64> {
    u64::try_from(n)
        .ok()
        .filter(|n| (1..=size).contains(n))
        .ok_or_else(|| AppError::field(field, format!("must be 1 to {size}, the chain's tree size")))
}

/// Reads the stored hashes a proof needs through the connection of the snapshot.
fn proof<T>(
    conn: &mut DbConn,
    chain: &str,
    prove: impl FnOnce(u64, &Stores<&dyn Fn(&[u64]) -> Result<Vec<crate::domain::merkle::TreeHash>, String>>) -> AppResult<T>,
) -> AppResult<T> {
    let size = tree::of(conn, chain)?.size();
    let conn = RefCell::new(conn);
    let read = |ix: &[u64]| tree::hashes(&mut conn.borrow_mut(), chain, ix);
    prove(size, &Stores(&read))
}

fn hexes(hashes: Vec<crate::domain::merkle::TreeHash>) -> Vec<String> {
    hashes.into_iter().map(|h| hex::encode(h.0)).collect()
}

fn inclusion(conn: &mut DbConn, chain: &str, q: &InclusionQuery) -> AppResult<InclusionProof> {
    proof(conn, chain, |size, reader| {
        let tree_size = within("tree_size", q.tree_size.unwrap_or(size as i64), size)?;
        let seq = q.seq.ok_or_else(|| AppError::field("seq", "required: the event's seq"))?;
        let seq = within("seq", seq, tree_size).map_err(|_| AppError::field("seq", format!("must be 1 to tree_size ({tree_size})")))?;
        let hashes = prove_record(tree_size, seq - 1, reader).map_err(AppError::internal)?;
        Ok(InclusionProof { leaf_index: seq - 1, tree_size, hashes: hexes(hashes) })
    })
}

fn consistency(conn: &mut DbConn, chain: &str, q: &ConsistencyQuery) -> AppResult<ConsistencyProof> {
    proof(conn, chain, |size, reader| {
        let to = within("to", q.to.unwrap_or(size as i64), size)?;
        let from = q.from.ok_or_else(|| AppError::field("from", "required: the older tree's size"))?;
        let from = within("from", from, to).map_err(|_| AppError::field("from", format!("must be 1 to `to` ({to})")))?;
        let hashes = prove_tree(to, from, reader).map_err(AppError::internal)?;
        Ok(ConsistencyProof { from, to, hashes: hexes(hashes) })
    })
}

/// A proof of a project's tree, in one snapshot once the caller may see the project.
async fn project_proof<T: Serialize + Send + 'static>(
    state: State,
    caller: Caller,
    id: String,
    prove: impl FnOnce(&mut DbConn, &str) -> AppResult<T> + Send + 'static,
) -> AppResult<HttpResponse> {
    caller.require(&TRAIL_READERS)?;
    let p = db(&state, move |conn| {
        snapshot(conn, |conn| {
            visible(conn, &caller, &id)?;
            prove(conn, &id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// The proof that event `seq` is in the project's tree of `tree_size` events.
///
/// Roles: inspector, finance, hr; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/audit-trail/proof/inclusion", tag = "audit", params(("id" = String, Path), InclusionQuery),
    security(("bearer" = [])),
    responses((status = 200, body = InclusionProof),
        (status = 403, description = "`forbidden`: admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `seq` or `tree_size` outside the tree", body = Problem, content_type = "application/problem+json")))]
pub async fn project_inclusion(
    state: State,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<InclusionQuery>,
) -> AppResult<HttpResponse> {
    project_proof(state, caller, id.into_inner(), move |conn, chain| inclusion(conn, chain, &q)).await
}

/// The proof that the project's tree of `to` events extends its tree of `from` events.
///
/// Roles: inspector, finance, hr; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/audit-trail/proof/consistency", tag = "audit", params(("id" = String, Path), ConsistencyQuery),
    security(("bearer" = [])),
    responses((status = 200, body = ConsistencyProof),
        (status = 403, description = "`forbidden`: admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `from` or `to` outside the tree", body = Problem, content_type = "application/problem+json")))]
pub async fn project_consistency(
    state: State,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<ConsistencyQuery>,
) -> AppResult<HttpResponse> {
    project_proof(state, caller, id.into_inner(), move |conn, chain| consistency(conn, chain, &q)).await
}

/// The proof that event `seq` is in the global chain's tree of `tree_size` events.
///
/// Roles: inspector, admin.
#[utoipa::path(get, path = "/audit-trail/proof/inclusion", tag = "audit", params(InclusionQuery), security(("bearer" = [])),
    responses((status = 200, body = InclusionProof),
        (status = 403, description = "`forbidden`: not inspector or admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `seq` or `tree_size` outside the tree", body = Problem, content_type = "application/problem+json")))]
pub async fn global_inclusion(state: State, caller: Caller, q: web::Query<InclusionQuery>) -> AppResult<HttpResponse> {
    caller.require(&GLOBAL_READERS)?;
    let p = db(&state, move |conn| snapshot(conn, |conn| inclusion(conn, audit::GLOBAL, &q))).await?;
    Ok(HttpResponse::Ok().json(p))
}

/// The proof that the global chain's tree of `to` events extends its tree of `from` events.
///
/// Roles: inspector, admin.
#[utoipa::path(get, path = "/audit-trail/proof/consistency", tag = "audit", params(ConsistencyQuery), security(("bearer" = [])),
    responses((status = 200, body = ConsistencyProof),
        (status = 403, description = "`forbidden`: not inspector or admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `from` or `to` outside the tree", body = Problem, content_type = "application/problem+json")))]
pub async fn global_consistency(state: State, caller: Caller, q: web::Query<ConsistencyQuery>) -> AppResult<HttpResponse> {
    caller.require(&GLOBAL_READERS)?;
    let p = db(&state, move |conn| snapshot(conn, |conn| consistency(conn, audit::GLOBAL, &q))).await?;
    Ok(HttpResponse::Ok().json(p))
}
