//! Login, users and organisations.
use super::openapi::Problem;
use super::routes::Routes;
use super::{db, paged, Page, Paged, State};
use crate::auth::{hash_password, verify_password, Caller, Role};
use crate::error::{AppError, AppResult};
use crate::store::people::{self, NewUser, UserPatch, ORG_KINDS};
use crate::store::rows::{Org, User};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn routes(r: &mut Routes) {
    r.post("/auth/login", login)
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

/// The active user with this name and password, and their role; else 401 (the API's login and
/// the console's sign in).
pub async fn authenticate(state: &State, username: String, password: String) -> AppResult<(User, Role)> {
    let user = db(state, move |conn| people::find_by_username(conn, &username)).await?;
    // Verify against a dummy hash when the user is unknown, so timing does not reveal names.
    let hash = user.as_ref().map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let matches = hashing(move || verify_password(&password, &hash)).await?;
    let user = user.filter(|u| matches && u.active).ok_or_else(|| AppError::unauthenticated("wrong username or password"))?;
    let role = Role::parse(&user.role).ok_or_else(|| AppError::internal("stored role is unknown"))?;
    Ok((user, role))
}

/// Sign in: a bearer token for the other calls.
///
/// No authentication.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = LoginAnswer), (status = 401, description = "`unauthenticated`: wrong username or password, or the user is deactivated", body = Problem, content_type = "application/problem+json")))]
pub async fn login(state: State, body: web::Json<Login>) -> AppResult<HttpResponse> {
    let Login { username, password } = body.into_inner();
    let (user, role) = authenticate(&state, username, password).await?;
    let token = state.keys.issue(&user.id, &user.username, role, user.org_id.clone())?;
    Ok(HttpResponse::Ok().json(LoginAnswer { access_token: token, token_type: "Bearer", expires_in: state.keys.ttl_seconds, user }))
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
    #[validate(length(min = 8, max = 256, message = "8 to 256 characters"))]
    #[schema(min_length = 8, max_length = 256)]
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
        return super::tables::csv("users.csv", &super::tables::USER, &users);
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
    #[validate(length(min = 8, max = 256, message = "8 to 256 characters"))]
    #[schema(min_length = 8, max_length = 256)]
    pub(crate) password: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub(crate) role: Option<String>,
}

/// Change a user: deactivate, set a new password, change the role.
///
/// Roles: admin.
#[utoipa::path(patch, path = "/users/{id}", tag = "admin", params(("id" = String, Path)), request_body = PatchUser, security(("bearer" = [])),
    responses((status = 200, body = User),
        (status = 403, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_admin`: the last active admin cannot be deactivated or demoted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: nothing to change, a short password or an unknown role", body = Problem, content_type = "application/problem+json")))]
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
        Some(pw) => Some(hashing(move || hash_password(&pw)).await??),
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
        return super::tables::csv("orgs.csv", &super::tables::ORG, &orgs);
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
