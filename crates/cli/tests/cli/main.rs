//! End-to-end tests of the `cthub` binary, in one test binary (one link instead of one per file).

mod common;

mod commands;
mod detect;
mod glotip;
mod link;
mod linkage;
mod release;
