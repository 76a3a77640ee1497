//! HR's project work (registration, status, leader, rename, annual reports received and late) and
//! the admin's users and organisations.
use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
