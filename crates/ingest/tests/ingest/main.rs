//! Integration tests of the importers, in one test binary.

mod common;

mod ctdc;
mod formats;
mod real_data;
