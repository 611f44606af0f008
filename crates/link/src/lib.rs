//! # cthub-link — record linkage for cthub
//!
//! Two families of linkage, both as a library (the CLI and store integration build on it):
//!
//! * **Probabilistic linkage and deduplication** ([`Settings`], [`Linker`], [`Model`]):
//!   declarative TOML settings (fields, comparison levels, blocking rules, thresholds),
//!   Fellegi-Sunter weights with m by EM and u by random sampling, term-frequency adjustment,
//!   per-comparison explanations, clustering with a guard against chaining ([`cluster`]).
//! * **Privacy-preserving linkage** ([`pprl`]): keyed Bloom-filter (CLK-like) encodings made
//!   locally by each contributor, hardening, fast Dice comparison, blocking, 1-to-1 assignment
//!   and multiparty clustering, and a frequency attack to measure what hardening buys.
//!
//! [`eval`] computes pairwise and cluster precision/recall/F1 against known entities.
//!
//! ```no_run
//! use cthub_link::{Dataset, Linker, Settings};
//! let settings = Settings::from_file("febrl.toml")?;
//! let a = Dataset::from_csv("dataset4a.csv")?;
//! let b = Dataset::from_csv("dataset4b.csv")?;
//! let linker = Linker::new(settings, vec![a, b])?;
//! let model = linker.train()?;
//! let predictions = linker.predict(&model)?;
//! for p in predictions.matches.iter().take(3) {
//!     println!("{:?}", linker.explain(&model, p.a, p.b)?);
//! }
//! let clusters = linker.cluster(&model, &predictions)?;
//! # Ok::<(), cthub_link::LinkError>(())
//! ```

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod data;
pub mod error;
pub mod eval;
pub mod linker;
pub mod names;
pub mod normalize;
pub mod pprl;
pub mod settings;
pub mod synth;

pub use data::Dataset;
pub use error::{LinkError, Result};
pub use linker::{Explanation, Linker, Model, Predictions, ScoredPair, Term};
pub use settings::Settings;
