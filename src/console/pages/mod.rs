//! One file per area of the console.
pub mod audit;
mod charts;
pub mod finance;
pub mod flags;
pub mod home;
pub mod login;
pub mod people;
pub mod project;
pub mod vouchers;
mod widgets;
