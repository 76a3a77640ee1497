//! HR's project work (registration, status, leader, rename, annual reports received and late,
//! output acceptance; every reader's view of the acceptance and the archive) and the admin's users
//! and organisations.
mod acceptance;
mod form;
mod manage;
mod register;
mod reports;
mod users;

use actix_web::web;

pub use acceptance::links as acceptance_links;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/new", web::get().to(register::show))
        .route("/projects/new", web::post().to(register::submit))
        .route("/projects/{id}/manage", web::get().to(manage::show))
        .route("/projects/{id}/manage", web::post().to(manage::submit))
        .route("/projects/{id}/acceptance", web::get().to(acceptance::show))
        .route("/projects/{id}/acceptance", web::post().to(acceptance::submit))
        .route("/projects/{id}/archive", web::get().to(acceptance::archive))
        .route("/reports", web::get().to(reports::show))
        .route("/users/new", web::get().to(users::new_user))
        .route("/users/new", web::post().to(users::create_user))
        .route("/users/{id}", web::get().to(users::user))
        .route("/users/{id}", web::post().to(users::change))
        .route("/orgs/new", web::get().to(users::new_org))
        .route("/orgs/new", web::post().to(users::create_org));
}
