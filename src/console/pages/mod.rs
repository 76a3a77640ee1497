//! One file per area of the console.
pub mod audit;
pub mod home;
pub mod login;
pub mod project;
mod widgets;
