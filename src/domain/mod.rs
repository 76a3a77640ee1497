//! The rules of the books, free of HTTP and storage so they can be tested exhaustively.
pub mod audit;
pub mod calendar;
pub mod chart;
pub mod checkpoint;
pub mod classify;
pub mod eligibility;
pub mod export;
pub mod kind;
pub mod ledger;
pub mod merkle;
pub mod money;
pub mod recovery;
pub mod reporting;
pub mod spreadsheet;
pub mod statement;
pub mod status;
pub mod verdicts;
