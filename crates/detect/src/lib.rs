//! # cthub-detect — early detection in online ads and job posts
//!
//! A library with no knowledge of HTTP or the store (the CLI and the server call it):
//!
//! * [`ingest`]: ads and job posts from CSV and JSON Lines (a generic ads layout and the EMSCAD
//!   job-ad schema), every row checked (bad rows quarantined with file, row, column, value and
//!   rule), exact reposts merged into one ad with every version and its time.
//! * [`entities`]: phone numbers in E.164 (libphonenumber metadata via the `phonenumber` crate),
//!   e-mails, URLs and domains, social-media and messenger handles, crypto addresses (checksums
//!   verified), prices, locations, masked tokens; keyed HMAC-SHA256 hashes so ads link without the
//!   raw values.
//! * [`cluster`] and [`template`]: near-duplicate template clustering — slot-normalised word
//!   shingles ([`text`]), MinHash with LSH banding ([`minhash`]), exact verification, union-find,
//!   incremental; each cluster explained as a template with its varying slots.
//! * [`screen`]: weighted indicators (labour exploitation, job scams) with reasons, and their
//!   precision measured against a label and re-weighted to a real prevalence.
//! * [`corpus`] and [`score`]: seeded corpora with planted clusters (EMSCAD-based or synthetic)
//!   and the adjusted Rand index.
//!
//! ```
//! use cthub_detect::cluster::{ClusterParams, TemplateIndex};
//! let mut index = TemplateIndex::new(ClusterParams::default());
//! index.add("Waitress wanted in Dubai, 2500 USD a month, call +971 50 123 4567 today");
//! index.add("Waitress wanted in Dubai, 3000 USD a month, call +971 55 765 4321 today");
//! index.add("Senior Rust engineer for a fintech in Berlin");
//! assert_eq!(index.clusters().len(), 2);
//! ```

pub mod cluster;
pub mod corpus;
pub mod entities;
pub mod error;
pub mod ingest;
pub mod minhash;
pub mod score;
pub mod screen;
pub mod template;
pub mod text;

pub use error::{DetectError, Result};
