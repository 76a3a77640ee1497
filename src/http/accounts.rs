//! Login, users and organisations.
use super::openapi::Problem;
use super::routes::Routes;
use super::{db, paged, Page, Paged, State};
use crate::auth::{hash_password, password_problem, verify_password, Caller, Role};
use crate::error::{AppError, AppResult};
use crate::store::people::{self, NewUser, UserPatch, ORG_KINDS};
use crate::store::rows::{Org, User};
use crate::store::throttle;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn routes(r: &mut Routes) {
    r.post("/auth/login", login)
        .post("/auth/logout", logout)
        .get("/auth/me", me)
        .post("/users", create_user)
        .get("/users", list_users)
        .get("/users/{id}", get_user)
        .patch("/users/{id}", patch_user)
        .post("/orgs", create_org)
        .get("/orgs", list_orgs)
        .get("/orgs/{id}", get_org);
}

/// validator's errors as the contract's `validation_failed` list.
pub fn check<T: Validate>(v: &T) -> AppResult<()> {
    let errors = field_errors(v);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// validator's errors, each as the field it concerns and a message.
pub fn field_errors<T: Validate>(v: &T) -> Vec<crate::domain::eligibility::FieldError> {
    let Err(errs) = v.validate() else { return Vec::new() };
    errs.field_errors()
        .into_iter()
        .flat_map(|(field, es)| {
            es.iter().map(move |e| {
                let msg = e.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| format!("is invalid ({})", e.code));
                crate::domain::eligibility::FieldError::new(field.as_ref(), msg)
            })
        })
        .collect()
}

#[derive(Deserialize, ToSchema)]
pub struct Login {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginAnswer {
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the token expires.
    expires_in: i64,
    user: User,
}

/// A real hash to verify against for unknown users, made once.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-password").unwrap_or_default())
}

/// Argon2 is slow and takes ~19 MiB on purpose. It runs on the blocking pool without holding a
/// database connection, at most one per core at a time: a flood of logins waits here (costing
/// neither threads nor memory) instead of starving every other request of connections.
async fn hashing<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let permits = PERMITS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));
    let _permit = permits.acquire().await.map_err(AppError::internal)?;
    Ok(web::block(f).await?)
}

/// Where a sign-in comes from, for throttling: the TCP peer, or with `auth.trust_forwarded_for`
/// the last `X-Forwarded-For` entry (the address the proxy in front of the service saw).
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = || {
        let header = req.headers().get_all("x-forwarded-for").filter_map(|h| h.to_str().ok()).last()?;
        let last = header.rsplit(',').next()?.trim();
        (!last.is_empty()).then(|| last.chars().take(64).collect::<String>())
    };
    let peer = || req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into());
    if trust_forwarded_for {
        forwarded().unwrap_or_else(peer)
    } else {
        peer()
    }
}

/// The active user with this name and password, as a caller with their role and token version;
/// else 401, and 429 while the name or the address is locked after too many failures (the API's
/// login and the console's sign in).
pub async fn authenticate(state: &State, username: String, password: String, address: String) -> AppResult<(User, Caller)> {
    let now = chrono::Utc::now();
    let (name, from) = (username.clone(), address.clone());
    // Checked before the password, so a locked name cannot be guessed at all.
    if let Some(wait) = db(state, move |conn| throttle::locked_for(conn, &name, &from, now)).await? {
        return Err(AppError::too_many_attempts(wait));
    }
    let name = username.clone();
    let user = db(state, move |conn| people::find_by_username(conn, &name)).await?;
    // Verify against a dummy hash when the user is unknown, so timing does not reveal names.
    let hash = user.as_ref().map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let matches = hashing(move || verify_password(&password, &hash)).await?;
    let Some(user) = user.filter(|u| matches && u.active) else {
        db(state, move |conn| throttle::record_failure(conn, &username, &address, chrono::Utc::now())).await?;
        return Err(AppError::unauthenticated("wrong username or password"));
    };
    let role = Role::parse(&user.role).ok_or_else(|| AppError::internal("stored role is unknown"))?;
    let caller = Caller {
        user_id: user.id.clone(),
        username: user.username.clone(),
        role,
        org_id: user.org_id.clone(),
        token_version: user.token_version,
    };
    Ok((user, caller))
}

/// Sign in: a bearer token for the other calls.
///
/// No authentication.
/// Every failure is an `auth.login_failed` event on the global audit chain. After 5 failures for
/// one username within 15 minutes, or 30 from one address within a minute, sign-ins for that
/// name or from that address are refused for 15 minutes (1 for an address) without checking the
/// password: `429 too_many_attempts` with `Retry-After`, and the lock is an `auth.locked` event.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = LoginAnswer),
        (status = 401, description = "`unauthenticated`: wrong username or password, or the user is deactivated", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: the username or the address is locked after too many failures; `Retry-After` (and `retry_after`) says in how many seconds to try again",
            body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "seconds until a sign-in may be tried again")))))]
pub async fn login(state: State, req: HttpRequest, body: web::Json<Login>) -> AppResult<HttpResponse> {
    let Login { username, password } = body.into_inner();
    let address = client_address(&req, state.settings.auth.trust_forwarded_for);
    let (user, caller) = authenticate(&state, username, password, address).await?;
    let token = state.keys.issue(&caller)?;
    Ok(HttpResponse::Ok().json(LoginAnswer { access_token: token, token_type: "Bearer", expires_in: state.keys.ttl_seconds, user }))
}

/// Sign out: ends this token and every other token and console session of the caller (they sign
/// in again on every device).
///
/// Roles: any signed-in user.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "signed out: this token and the caller's every other token and session are refused from now on"),
        (status = 401, description = "`unauthenticated`: no valid token", body = Problem, content_type = "application/problem+json")))]
pub async fn logout(state: State, caller: Caller) -> AppResult<HttpResponse> {
    sign_out(&state, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes every token and session of `caller` (the API's logout and the console's sign-out).
pub async fn sign_out(state: &State, caller: &Caller) -> AppResult<()> {
    let (actor, id) = (caller.actor(), caller.user_id.clone());
    db(state, move |conn| people::revoke_tokens(conn, &actor, &id)).await?;
    state.standings.forget(&caller.user_id);
    Ok(())
}

/// The caller.
///
/// Roles: any signed-in user.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("bearer" = [])), responses((status = 200, body = User)))]
pub async fn me(state: State, caller: Caller) -> AppResult<HttpResponse> {
    let user = db(&state, move |conn| people::get_user(conn, &caller.user_id)).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[validate(length(min = 2, max = 64, message = "2 to 64 characters"))]
    #[schema(min_length = 2, max_length = 64)]
    pub(crate) username: String,
    /// 10 to 256 characters, not all whitespace, not the username.
    #[validate(length(min = 10, max = 256, message = "10 to 256 characters"))]
    #[schema(min_length = 10, max_length = 256)]
    pub(crate) password: String,
    /// admin, hr, finance, inspector or unit.
    #[schema(value_type = Role)]
    pub(crate) role: String,
    /// The organisation a `unit` user keeps the books of.
    pub(crate) org_id: Option<String>,
    #[validate(length(max = 128, message = "at most 128 characters"))]
    pub(crate) display_name: Option<String>,
}

/// Create a user.
///
/// Roles: admin.
#[utoipa::path(post, path = "/users", tag = "admin", request_body = CreateUser, security(("bearer" = [])),
    responses((status = 201, body = User),
        (status = 403, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists`: the username is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a field is missing or out of range, or the organisation does not exist", body = Problem, content_type = "application/problem+json")))]
pub async fn create_user(state: State, caller: Caller, body: web::Json<CreateUser>) -> AppResult<HttpResponse> {
    let user = add_user(&state, &caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(user))
}

/// The user's creation itself, for the API and the console's form alike.
pub(crate) async fn add_user(state: &State, caller: &Caller, b: CreateUser) -> AppResult<User> {
    caller.require(&[Role::Admin])?;
    check(&b)?;
    if let Some(problem) = password_problem(&b.username, &b.password) {
        return Err(AppError::field("password", problem));
    }
    let role = Role::parse(&b.role).ok_or_else(|| AppError::field("role", "one of admin, hr, finance, inspector, unit"))?;
    let actor = caller.actor();
    let password = b.password.clone();
    let hash = hashing(move || hash_password(&password)).await??;
    db(state, move |conn| {
        people::create_user(
            conn,
            &actor,
            NewUser {
                username: &b.username,
                password_hash: &hash,
                role,
                org_id: b.org_id.as_deref(),
                display_name: b.display_name.as_deref(),
            },
        )
    })
    .await
}

/// List users, by id.
///
/// Roles: admin.
#[utoipa::path(get, path = "/users", tag = "admin", params(Page), security(("bearer" = [])),
    responses((status = 200, content((Paged<User> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` out of 1..500, a `format` other than json or csv", body = Problem, content_type = "application/problem+json")))]
pub async fn list_users(state: State, caller: Caller, page: web::Query<Page>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Admin])?;
    let csv = super::Format { format: page.format.clone() }.is_csv()?;
    let limit = super::tables::limit(&page, csv)?;
    let after = page.after();
    let users = db(&state, move |conn| people::list_users(conn, &after, limit)).await?;
    if csv {
        return super::tables::csv("users", &super::tables::USER, &users);
    }
    Ok(HttpResponse::Ok().json(paged(users, limit, |u| u.id.clone())))
}

/// One user.
///
/// Roles: admin; any user for themselves.
#[utoipa::path(get, path = "/users/{id}", tag = "admin", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = User),
        (status = 404, description = "`not_found`: no such user visible to the caller", body = Problem, content_type = "application/problem+json")))]
pub async fn get_user(state: State, caller: Caller, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    if caller.role != Role::Admin && caller.user_id != id {
        return Err(AppError::not_found("user"));
    }
    let user = db(&state, move |conn| people::get_user(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    pub(crate) active: Option<bool>,
    /// 10 to 256 characters, not all whitespace, not the username.
    #[validate(length(min = 10, max = 256, message = "10 to 256 characters"))]
    #[schema(min_length = 10, max_length = 256)]
    pub(crate) password: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub(crate) role: Option<String>,
}

/// Change a user: deactivate, set a new password, change the role.
///
/// A new password, a role change or a deactivation revokes every token and console session the
/// user was issued before (they sign in again).
///
/// Roles: admin.
#[utoipa::path(patch, path = "/users/{id}", tag = "admin", params(("id" = String, Path)), request_body = PatchUser, security(("bearer" = [])),
    responses((status = 200, body = User),
        (status = 403, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_admin`: the last active admin cannot be deactivated or demoted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: nothing to change, a password under 10 characters, all whitespace or the username, or an unknown role", body = Problem, content_type = "application/problem+json")))]
pub async fn patch_user(state: State, caller: Caller, id: web::Path<String>, body: web::Json<PatchUser>) -> AppResult<HttpResponse> {
    let user = change_user(&state, &caller, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// The user's change itself, for the API and the console's form alike.
pub(crate) async fn change_user(state: &State, caller: &Caller, id: String, b: PatchUser) -> AppResult<User> {
    caller.require(&[Role::Admin])?;
    check(&b)?;
    if b.active.is_none() && b.password.is_none() && b.role.is_none() {
        return Err(AppError::field("active", "give at least one of active, password, role"));
    }
    let role = b.role.as_deref().map(|r| Role::parse(r).ok_or_else(|| AppError::field("role", "unknown role"))).transpose()?;
    let password_hash = match b.password {
        Some(pw) => {
            let user_id = id.clone();
            let user = db(state, move |conn| people::get_user(conn, &user_id)).await?;
            if let Some(problem) = password_problem(&user.username, &pw) {
                return Err(AppError::field("password", problem));
            }
            Some(hashing(move || hash_password(&pw)).await??)
        }
        None => None,
    };
    let actor = caller.actor();
    let patch = UserPatch { active: b.active, password_hash, role };
    let user = db(state, move |conn| people::patch_user(conn, &actor, &id, patch)).await?;
    state.standings.forget(&user.id);
    Ok(user)
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub(crate) name: String,
    /// enterprise, school, training_institution, research_institute or public_institution.
    #[schema(pattern = "^(enterprise|school|training_institution|research_institute|public_institution)$")]
    pub(crate) kind: String,
    #[validate(length(min = 1, max = 100, message = "1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub(crate) region: String,
}

/// Register an organisation (a project unit).
///
/// Roles: admin, hr.
#[utoipa::path(post, path = "/orgs", tag = "admin", request_body = CreateOrg, security(("bearer" = [])),
    responses((status = 201, body = Org),
        (status = 403, description = "`forbidden`: not admin or hr", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists`: an organisation of that name exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a blank name or region, or an unknown kind", body = Problem, content_type = "application/problem+json")))]
pub async fn create_org(state: State, caller: Caller, body: web::Json<CreateOrg>) -> AppResult<HttpResponse> {
    let org = add_org(&state, &caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(org))
}

/// The organisation's registration itself, for the API and the console's form alike.
pub(crate) async fn add_org(state: &State, caller: &Caller, mut b: CreateOrg) -> AppResult<Org> {
    caller.require(&[Role::Admin, Role::Hr])?;
    (b.name, b.region) = (b.name.trim().to_string(), b.region.trim().to_string());
    check(&b)?;
    if !ORG_KINDS.contains(&b.kind.as_str()) {
        return Err(AppError::field("kind", format!("one of {}", ORG_KINDS.join(", "))));
    }
    let actor = caller.actor();
    db(state, move |conn| people::create_org(conn, &actor, &b.name, &b.kind, &b.region)).await
}

/// List organisations, by id.
///
/// Roles: any signed-in user; a unit sees only its own.
#[utoipa::path(get, path = "/orgs", tag = "admin", params(Page), security(("bearer" = [])),
    responses((status = 200, content((Paged<Org> = "application/json"), (String = "text/csv"))),
        (status = 422, description = "`validation_failed`: `limit` out of 1..500, a `format` other than json or csv", body = Problem, content_type = "application/problem+json")))]
pub async fn list_orgs(state: State, caller: Caller, page: web::Query<Page>) -> AppResult<HttpResponse> {
    let csv = super::Format { format: page.format.clone() }.is_csv()?;
    let limit = super::tables::limit(&page, csv)?;
    let after = page.after();
    let orgs = match (caller.role, caller.org_id.clone()) {
        // A unit sees only its own organisation.
        (Role::Unit, own) => {
            let own = own.unwrap_or_default();
            let visible = own.as_str() > after.as_str();
            db(&state, move |conn| Ok(if visible { vec![people::get_org(conn, &own)?] } else { Vec::new() })).await?
        }
        _ => db(&state, move |conn| people::list_orgs(conn, &after, limit)).await?,
    };
    if csv {
        return super::tables::csv("orgs", &super::tables::ORG, &orgs);
    }
    Ok(HttpResponse::Ok().json(paged(orgs, limit, |o| o.id.clone())))
}

/// One organisation.
///
/// Roles: any signed-in user; a unit only its own.
#[utoipa::path(get, path = "/orgs/{id}", tag = "admin", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Org),
        (status = 404, description = "`not_found`: no such organisation visible to the caller", body = Problem, content_type = "application/problem+json")))]
pub async fn get_org(state: State, caller: Caller, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    if !caller.sees_org(&id) {
        return Err(AppError::not_found("organisation"));
    }
    let org = db(&state, move |conn| people::get_org(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(org))
}
