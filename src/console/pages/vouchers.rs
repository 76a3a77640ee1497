//! A project's vouchers: the list, each voucher's page and its printed 记账凭证, the unit's entry
//! form with live classification, reversal, and the annual report form.
use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
