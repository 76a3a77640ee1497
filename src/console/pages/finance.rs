//! The finance bureau's work: the review queue (approve, decline), disbursement, recovery and
//! remittance, the trial balance and the ledger with their downloads.
use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
