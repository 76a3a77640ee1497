//! The black-box tests: one binary, so actix and diesel are linked once. Each module starts the
//! real service (in process, or the built binary) and speaks HTTP+JSON to it, on SQLite and, when
//! FUNDLEDGER_TEST_PG_URL names a server, on PostgreSQL too.
mod common;

mod acceptance;
mod audit;
mod batch;
mod binary;
mod classifier;
mod console;
mod contract;
mod documents;
mod downloads;
mod excel;
mod export;
mod flags;
mod foundation;
mod imports;
mod invoices;
mod ledger;
mod operations;
mod ops;
mod portfolio;
mod properties;
mod recovery;
mod reports;
mod security;
mod strict_input;
mod transparency;
mod upgrade;
mod use_cases;
mod walkthrough;
