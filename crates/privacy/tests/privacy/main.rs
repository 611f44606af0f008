//! Integration and property tests of the privacy library, in one test binary.

mod adult;
mod builtin_release;
mod dp_aggregates;
mod dp_ledger;
mod dp_noise;
mod dp_synth;
mod hierarchy_csv;
mod search;
