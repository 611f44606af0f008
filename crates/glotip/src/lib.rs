//! `cthub-glotip`: UNODC's GLOTIP country data (victims, persons in formal
//! contact, prosecuted and convicted) imported losslessly and queried as
//! country statistics.
//!
//! - [`import`]: reads the workbook as UNODC publishes it (stamp rows above the
//!   header) or the CSV, and accounts for every row (stored or quarantined
//!   with file, row, column, value and rule).
//! - [`model`]: the typed [`Observation`] (Indicator × Dimension × Category ×
//!   Sex × Age × year × [`Value`]).
//! - [`value`]: counts, `<5` kept censored as `0..=4`, sums with bounds.
//! - [`place`]: free-text citizenship and repatriation categories cleaned to
//!   ISO codes, raw text kept.
//! - [`regions`]: the GLOTIP 2022 report regions.
//! - [`stats`]: sums, groupings, shares with bases and trends on constant
//!   country sets, within one dimension at a time.
//! - [`published`]: GLOTIP's published figures recomputed from the file.
//!
//! ```no_run
//! use cthub_glotip::{import_path, stats::{Cells, Selection, Stats}, Indicator};
//! let g = import_path("data_glotip.xlsx".as_ref()).unwrap();
//! assert!(g.accounting.balanced());
//! let s = Stats::new(&g);
//! let v = s.sum(&Selection::new(Indicator::DetectedVictims, Cells::Total).year(2020));
//! println!("{}..{} victims, {} censored cells", v.lo, v.hi, v.censored_cells);
//! ```
#![warn(missing_docs)]

pub mod import;
pub mod model;
pub mod place;
pub mod published;
pub mod regions;
pub mod stats;
pub mod value;

pub use import::{import_csv, import_path, import_xlsx, Accounting, Glotip, ImportError, RowError};
pub use model::{Age, Area, Category, Dimension, Form, Indicator, Observation, Sex, SexAge};
pub use place::{Place, PlaceClass};
pub use regions::GlotipRegion;
pub use value::{Bounds, Value};
