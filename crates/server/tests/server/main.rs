//! The server over real stores, in one test binary (the browser test `e2e` stays apart so its time shows on its own).

mod common;

mod access;
mod answers;
mod flow;
mod identifiers;
mod linkage;
mod races;
mod releases;
mod scope;
mod sql;
