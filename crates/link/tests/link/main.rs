//! Integration tests of record linkage, in one test binary.

mod linkage;
mod pprl;
