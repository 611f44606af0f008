//! The declarative linkage model: a TOML settings file.
//!
//! ```toml
//! link_type = "link"            # "link" (two or more datasets) or "dedupe" (one)
//! unique_id = "rec_id"
//! blocking = [                  # union of rules; a rule is a list of keys that must all agree
//!   ["given_name", "surname"],  # exact on normalised values
//!   ["surname:3", "postcode"],  # "column:n" = first n characters
//! ]
//!
//! [[comparisons]]
//! column = "given_name"
//! normalize = "name"            # trim | name | digits | raw
//! tf_adjust = true              # term-frequency adjustment of the exact level
//! levels = [
//!   { kind = "exact" },
//!   { kind = "jaro_winkler", threshold = 0.92 },
//!   { kind = "levenshtein", max = 2 },
//! ]                             # + implicit "null" (a value missing) and "else" levels
//!
//! [threshold]
//! match_probability = 0.9       # or match_weight = 3.3
//!
//! [clustering]
//! floor_probability = 0.01      # no cluster keeps two members scoring below this
//! max_cluster_size = 50
//! ```
//!
//! [`Settings::validate`] checks the settings against the datasets before any work: every named
//! column must exist in every dataset ([`LinkError::UnknownColumn`]), every comparison needs at
//! least one level, thresholds must be in range.

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{LinkError, Result};
use crate::normalize::Normalizer;

/// Link two or more datasets (only pairs across datasets) or deduplicate one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    Link,
    Dedupe,
}

/// One comparison level test, tried in order; the first that holds is the level of a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LevelSpec {
    /// Equal normalised values (term-frequency adjusted when the comparison has `tf_adjust`).
    Exact,
    /// Jaro-Winkler similarity at least `threshold`.
    JaroWinkler { threshold: f64 },
    /// Levenshtein distance at most `max`.
    Levenshtein { max: usize },
    /// Damerau-Levenshtein (transpositions count 1) distance at most `max`.
    Damerau { max: usize },
    /// Jaccard similarity of the sets of whitespace tokens at least `threshold`.
    Jaccard { threshold: f64 },
    /// Both values parse as dates at most `max_days` apart.
    DateDays { max_days: i64 },
}

impl LevelSpec {
    /// Human label used in explanations.
    pub fn label(&self) -> String {
        match self {
            LevelSpec::Exact => "exact".into(),
            LevelSpec::JaroWinkler { threshold } => format!("jaro_winkler>={threshold}"),
            LevelSpec::Levenshtein { max } => format!("levenshtein<={max}"),
            LevelSpec::Damerau { max } => format!("damerau<={max}"),
            LevelSpec::Jaccard { threshold } => format!("jaccard>={threshold}"),
            LevelSpec::DateDays { max_days } => format!("date<={max_days}d"),
        }
    }
}

/// One field comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonSpec {
    /// Column compared.
    pub column: String,
    /// Name shown in explanations (defaults to the column).
    #[serde(default)]
    pub name: Option<String>,
    /// Normalisation applied before comparing and blocking.
    #[serde(default)]
    pub normalize: Normalizer,
    /// Levels from strictest to loosest.
    pub levels: Vec<LevelSpec>,
    /// Term-frequency adjustment for the exact level.
    #[serde(default)]
    pub tf_adjust: bool,
    /// Lower bound of the per-value frequency used by the adjustment (default 1e-6).
    #[serde(default)]
    pub tf_min: Option<f64>,
}

impl ComparisonSpec {
    /// Display name.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.column)
    }
}

/// Training parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingSpec {
    /// Random pairs sampled to estimate u.
    pub u_sample_pairs: usize,
    /// Maximum EM iterations.
    pub em_max_iterations: usize,
    /// EM stops when no parameter moves more than this.
    pub em_tolerance: f64,
    /// Seed of the u sampler.
    pub seed: u64,
    /// Fixed prior probability that two random records match (instead of EM's estimate).
    pub prior: Option<f64>,
    /// `per_rule` (default): EM once per training blocking rule on the pairs of that rule alone,
    /// with u fixed at the random-sample estimate and the comparisons of the rule's columns left
    /// out; each comparison's m is the mean over the rules that estimated it. `union`: one EM on
    /// all blocked pairs with a free blocked-pair u.
    pub em_method: EmMethod,
    /// Blocking rules used for per-rule EM (default: the blocking rules). Choose rules whose
    /// columns are not correlated with the compared ones.
    pub em_blocking: Option<Vec<Vec<String>>>,
    /// At most this many pairs per EM rule (an even stride sample beyond it).
    pub em_max_pairs: usize,
}

/// How m is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EmMethod {
    #[default]
    PerRule,
    Union,
}

impl Default for TrainingSpec {
    fn default() -> Self {
        TrainingSpec {
            u_sample_pairs: 2_000_000,
            em_max_iterations: 100,
            em_tolerance: 1e-6,
            seed: 42,
            prior: None,
            em_method: EmMethod::PerRule,
            em_blocking: None,
            em_max_pairs: 5_000_000,
        }
    }
}

/// Match threshold: a pair is a match when its probability (or weight) reaches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThresholdSpec {
    pub match_probability: Option<f64>,
    pub match_weight: Option<f64>,
}

impl Default for ThresholdSpec {
    fn default() -> Self {
        ThresholdSpec {
            match_probability: Some(0.9),
            match_weight: None,
        }
    }
}

impl ThresholdSpec {
    /// The threshold as a match weight (log2 odds).
    pub fn as_weight(&self) -> f64 {
        match (self.match_weight, self.match_probability) {
            (Some(w), _) => w,
            (None, Some(p)) => prob_to_weight(p),
            (None, None) => prob_to_weight(0.9),
        }
    }
}

/// Clustering of pairwise matches into persons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSpec {
    /// Two records whose own pairwise match probability is below this never share a cluster.
    pub floor_probability: Option<f64>,
    /// Clusters never grow beyond this many records.
    pub max_cluster_size: Option<usize>,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            floor_probability: Some(0.001),
            max_cluster_size: Some(100),
        }
    }
}

/// The whole settings file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub link_type: LinkType,
    pub unique_id: String,
    pub blocking: Vec<Vec<String>>,
    pub comparisons: Vec<ComparisonSpec>,
    #[serde(default)]
    pub training: TrainingSpec,
    #[serde(default)]
    pub threshold: ThresholdSpec,
    #[serde(default)]
    pub clustering: ClusterSpec,
}

/// log2 odds of a probability (clamped away from 0 and 1).
pub fn prob_to_weight(p: f64) -> f64 {
    let p = p.clamp(1e-15, 1.0 - 1e-15);
    (p / (1.0 - p)).log2()
}

/// Probability of a log2-odds weight.
pub fn weight_to_prob(w: f64) -> f64 {
    let o = w.exp2();
    if o.is_infinite() {
        1.0
    } else {
        o / (1.0 + o)
    }
}

/// A parsed blocking key: column and optional prefix length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockKey {
    pub column: String,
    pub prefix: Option<usize>,
}

impl BlockKey {
    /// Parse `column` or `column:n`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.rsplit_once(':') {
            Some((col, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
                let n: usize = n
                    .parse()
                    .map_err(|_| LinkError::Settings(format!("bad prefix in `{s}`")))?;
                if n == 0 {
                    return Err(LinkError::Settings(format!(
                        "blocking key `{s}`: prefix must be at least 1"
                    )));
                }
                Ok(BlockKey {
                    column: col.to_string(),
                    prefix: Some(n),
                })
            }
            _ => Ok(BlockKey {
                column: s.to_string(),
                prefix: None,
            }),
        }
    }
}

impl Settings {
    /// Parse TOML settings (structure only; see [`Settings::validate`]).
    pub fn from_toml(text: &str) -> Result<Self> {
        let s: Settings = toml::from_str(text).map_err(|e| LinkError::Settings(e.to_string()))?;
        s.check_self()?;
        Ok(s)
    }

    /// Read a TOML settings file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let text = std::fs::read_to_string(path.as_ref()).map_err(|e| LinkError::Read {
            path: path.as_ref().display().to_string(),
            message: e.to_string(),
        })?;
        Settings::from_toml(&text)
    }

    /// Parsed blocking rules.
    pub fn block_rules(&self) -> Result<Vec<Vec<BlockKey>>> {
        self.blocking
            .iter()
            .map(|r| r.iter().map(|k| BlockKey::parse(k)).collect())
            .collect()
    }

    /// Parsed EM training rules (the blocking rules unless `training.em_blocking` is set).
    pub fn em_rules(&self) -> Result<Vec<Vec<BlockKey>>> {
        match &self.training.em_blocking {
            Some(r) => r
                .iter()
                .map(|r| r.iter().map(|k| BlockKey::parse(k)).collect())
                .collect(),
            None => self.block_rules(),
        }
    }

    fn check_self(&self) -> Result<()> {
        if self.comparisons.is_empty() {
            return Err(LinkError::Settings("no comparisons".into()));
        }
        if self.blocking.is_empty() || self.blocking.iter().any(Vec::is_empty) {
            return Err(LinkError::Settings(
                "at least one blocking rule with at least one key is required (comparing all pairs is not offered)".into(),
            ));
        }
        self.block_rules()?;
        if self.em_rules()?.iter().any(Vec::is_empty) {
            return Err(LinkError::Settings("an em_blocking rule has no key".into()));
        }
        for c in &self.comparisons {
            if c.levels.is_empty() {
                return Err(LinkError::Settings(format!(
                    "comparison `{}` has no levels",
                    c.display_name()
                )));
            }
            for l in &c.levels {
                let ok = match l {
                    LevelSpec::JaroWinkler { threshold } | LevelSpec::Jaccard { threshold } => {
                        (0.0..=1.0).contains(threshold)
                    }
                    LevelSpec::DateDays { max_days } => *max_days >= 0,
                    _ => true,
                };
                if !ok {
                    return Err(LinkError::Settings(format!(
                        "comparison `{}`: level {} out of range",
                        c.display_name(),
                        l.label()
                    )));
                }
            }
        }
        if let Some(p) = self.threshold.match_probability {
            if !(0.0..1.0).contains(&p) || p <= 0.0 {
                return Err(LinkError::Settings(format!(
                    "match_probability {p} must be in (0, 1)"
                )));
            }
        }
        if let Some(p) = self.training.prior {
            if !(p > 0.0 && p < 1.0) {
                return Err(LinkError::Settings(format!("prior {p} must be in (0, 1)")));
            }
        }
        Ok(())
    }

    /// Check the settings against the datasets: mode vs number of datasets, every column exists.
    pub fn validate(&self, datasets: &[Dataset]) -> Result<()> {
        self.check_self()?;
        match (self.link_type, datasets.len()) {
            (_, 0) => return Err(LinkError::Datasets("no dataset given".into())),
            (LinkType::Link, 1) => {
                return Err(LinkError::Datasets(
                    "link_type = \"link\" needs two or more datasets".into(),
                ))
            }
            (LinkType::Dedupe, n) if n > 1 => {
                return Err(LinkError::Datasets(format!(
                    "link_type = \"dedupe\" takes one dataset, got {n}"
                )))
            }
            _ => {}
        }
        for ds in datasets {
            ds.require(&self.unique_id, "unique_id")?;
            for c in &self.comparisons {
                ds.require(&c.column, &format!("comparison `{}`", c.display_name()))?;
            }
            for rule in self.block_rules()? {
                for k in rule {
                    ds.require(&k.column, "blocking rule")?;
                }
            }
            for rule in self.em_rules()? {
                for k in rule {
                    ds.require(&k.column, "training.em_blocking rule")?;
                }
            }
        }
        Ok(())
    }
}
