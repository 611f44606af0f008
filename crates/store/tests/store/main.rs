//! The store on SQLite and PostgreSQL, in one test binary.

#[macro_use]
mod common;

mod behaviour;
mod crash;
mod errors;
mod tokens;
