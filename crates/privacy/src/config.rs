//! The release configuration: a TOML file that says what to protect and how.
//!
//! ```toml
//! suppression_limit = 0.05          # largest share of records that may be suppressed
//! metric = "discernibility"         # or "loss", "non-uniform-entropy"
//!
//! [[quasi_identifier]]
//! column = "country"
//! hierarchy = "country"             # built-in: country, age-band, year, exploitation-type,
//!                                   # isic-section, interval:5,10,20
//! [[quasi_identifier]]
//! column = "age"
//! hierarchy_file = "age.csv"        # ARX hierarchy CSV (`;`), relative to the config file
//!
//! [[sensitive]]
//! column = "exploitation"
//! hierarchy = "exploitation-type"   # only needed for hierarchical t-closeness
//!
//! [[model]]
//! kind = "k-anonymity"
//! k = 5
//! [[model]]
//! kind = "distinct-l-diversity"     # or "entropy-l-diversity"
//! attribute = "exploitation"
//! l = 2
//! [[model]]
//! kind = "t-closeness"
//! attribute = "exploitation"
//! t = 0.3
//! distance = "hierarchical"         # or "equal"
//! ```
//!
//! [`ReleaseConfig::resolve`] checks everything against the data before any work is done and
//! returns a [`Problem`] for [`crate::sdc::anonymise`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hierarchy::{Builtin, Hierarchy, HierarchyError};
use crate::metrics::MetricKind;
use crate::sdc::{Distance, Model, Problem};
use crate::table::Table;
use crate::Generalisation;

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Toml {
        file: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("{role} {column:?} is not a column of the data (columns: {columns})")]
    NoColumn {
        role: &'static str,
        column: String,
        columns: String,
    },
    #[error("column {0:?} is listed twice")]
    Duplicate(String),
    #[error("column {0:?} cannot be both a quasi-identifier and sensitive")]
    QiAndSensitive(String),
    #[error(
        "column {0:?}: give exactly one of `hierarchy` (a built-in name) and `hierarchy_file`"
    )]
    HierarchySpec(String),
    #[error("column {column:?}: hierarchy {hierarchy} has {levels} level(s); it needs at least 2 (the value and a top)")]
    MissingLevels {
        column: String,
        hierarchy: String,
        levels: usize,
    },
    #[error(transparent)]
    Hierarchy(#[from] HierarchyError),
    #[error("no quasi-identifier is configured")]
    NoQuasiIdentifier,
    #[error("no privacy model is configured")]
    NoModel,
    #[error("k = {0} must be at least 1")]
    KTooSmall(i64),
    #[error("k = {k} is larger than the number of records ({records})")]
    KTooLarge { k: i64, records: usize },
    #[error("l = {0} must be at least 1")]
    LTooSmall(f64),
    #[error("t = {0} is outside (0, 1]")]
    TOutOfRange(f64),
    #[error("suppression_limit = {0} is outside [0, 1]")]
    Suppression(f64),
    #[error("hierarchical t-closeness on {0:?} needs a hierarchy for it in [[sensitive]]")]
    NeedsHierarchy(String),
}

/// How a column's hierarchy is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
    pub column: String,
    /// A built-in hierarchy name (see [`Builtin::parse`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hierarchy: Option<String>,
    /// An ARX hierarchy CSV file (`;`-separated), relative to the configuration file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hierarchy_file: Option<PathBuf>,
}

/// One privacy model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ModelConfig {
    KAnonymity {
        k: i64,
    },
    DistinctLDiversity {
        attribute: String,
        l: i64,
    },
    EntropyLDiversity {
        attribute: String,
        l: f64,
    },
    TCloseness {
        attribute: String,
        t: f64,
        #[serde(default)]
        distance: Distance,
    },
}

/// A release configuration (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseConfig {
    #[serde(default)]
    pub suppression_limit: f64,
    #[serde(default)]
    pub metric: MetricKind,
    #[serde(default, rename = "quasi_identifier")]
    pub quasi_identifiers: Vec<ColumnConfig>,
    #[serde(default, rename = "sensitive")]
    pub sensitive: Vec<ColumnConfig>,
    #[serde(default, rename = "model")]
    pub models: Vec<ModelConfig>,
}

impl ReleaseConfig {
    /// Parses TOML text; `name` appears in errors.
    pub fn from_toml_str(name: &str, text: &str) -> Result<ReleaseConfig, ConfigError> {
        toml::from_str(text).map_err(|source| ConfigError::Toml {
            file: name.to_string(),
            source,
        })
    }

    /// Reads a TOML file.
    pub fn from_path(path: &Path) -> Result<ReleaseConfig, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_toml_str(&file, &text)
    }

    /// Checks the configuration against `table` (hierarchy files are read relative to
    /// `base_dir`) and builds the [`Problem`].
    pub fn resolve(&self, table: &Table, base_dir: &Path) -> Result<Problem, ConfigError> {
        let n = table.n_rows();
        if !(0.0..=1.0).contains(&self.suppression_limit) {
            return Err(ConfigError::Suppression(self.suppression_limit));
        }
        if self.quasi_identifiers.is_empty() {
            return Err(ConfigError::NoQuasiIdentifier);
        }
        if self.models.is_empty() {
            return Err(ConfigError::NoModel);
        }
        let columns = table.names().join(", ");
        let find = |role: &'static str, name: &str| {
            table.column_index(name).map_err(|_| ConfigError::NoColumn {
                role,
                column: name.to_string(),
                columns: columns.clone(),
            })
        };
        let mut seen = std::collections::HashSet::new();
        let mut qis = Vec::new();
        for q in &self.quasi_identifiers {
            let c = find("quasi-identifier", &q.column)?;
            if !seen.insert(q.column.as_str()) {
                return Err(ConfigError::Duplicate(q.column.clone()));
            }
            let h = load(q, table, c, base_dir)?
                .ok_or_else(|| ConfigError::HierarchySpec(q.column.clone()))?;
            check_hierarchy(&q.column, &h, table, c)?;
            qis.push((c, h));
        }
        let mut sensitive: Vec<(usize, Option<Hierarchy>)> = Vec::new();
        let mut sensitive_names: Vec<String> = Vec::new();
        for s in &self.sensitive {
            let c = find("sensitive attribute", &s.column)?;
            if self.quasi_identifiers.iter().any(|q| q.column == s.column) {
                return Err(ConfigError::QiAndSensitive(s.column.clone()));
            }
            if sensitive_names.contains(&s.column) {
                return Err(ConfigError::Duplicate(s.column.clone()));
            }
            let h = load(s, table, c, base_dir)?;
            if let Some(h) = &h {
                check_hierarchy(&s.column, h, table, c)?;
            }
            sensitive.push((c, h));
            sensitive_names.push(s.column.clone());
        }
        // Model attributes not listed under [[sensitive]] become sensitive without a hierarchy.
        let mut attribute = |name: &str| -> Result<usize, ConfigError> {
            if let Some(i) = sensitive_names.iter().position(|s| s == name) {
                return Ok(i);
            }
            let c = find("sensitive attribute", name)?;
            if self.quasi_identifiers.iter().any(|q| q.column == name) {
                return Err(ConfigError::QiAndSensitive(name.to_string()));
            }
            sensitive.push((c, None));
            sensitive_names.push(name.to_string());
            Ok(sensitive_names.len() - 1)
        };
        let mut models = Vec::new();
        for m in &self.models {
            models.push(match m {
                ModelConfig::KAnonymity { k } => {
                    if *k < 1 {
                        return Err(ConfigError::KTooSmall(*k));
                    }
                    if *k as u64 > n as u64 {
                        return Err(ConfigError::KTooLarge { k: *k, records: n });
                    }
                    Model::KAnonymity { k: *k as usize }
                }
                ModelConfig::DistinctLDiversity { attribute: a, l } => {
                    if *l < 1 {
                        return Err(ConfigError::LTooSmall(*l as f64));
                    }
                    Model::DistinctLDiversity {
                        attribute: attribute(a)?,
                        l: *l as usize,
                    }
                }
                ModelConfig::EntropyLDiversity { attribute: a, l } => {
                    if l.is_nan() || *l < 1.0 {
                        return Err(ConfigError::LTooSmall(*l));
                    }
                    Model::EntropyLDiversity {
                        attribute: attribute(a)?,
                        l: *l,
                    }
                }
                ModelConfig::TCloseness {
                    attribute: a,
                    t,
                    distance,
                } => {
                    if !(*t > 0.0 && *t <= 1.0) {
                        return Err(ConfigError::TOutOfRange(*t));
                    }
                    Model::TCloseness {
                        attribute: attribute(a)?,
                        t: *t,
                        distance: *distance,
                    }
                }
            });
        }
        for m in &models {
            if let Model::TCloseness {
                attribute,
                distance: Distance::Hierarchical,
                ..
            } = m
            {
                if sensitive[*attribute].1.is_none() {
                    return Err(ConfigError::NeedsHierarchy(
                        sensitive_names[*attribute].clone(),
                    ));
                }
            }
        }
        Ok(Problem {
            quasi_identifiers: qis,
            sensitive,
            models,
            suppression_limit: self.suppression_limit,
            metric: self.metric,
        })
    }
}

impl ReleaseConfig {
    /// For differentially private releases driven by the same file: the columns to release
    /// (quasi-identifiers, then sensitive attributes) and the configured hierarchies (used for
    /// the fallback of small counts), checked against the data. Privacy models and the
    /// suppression limit do not apply to DP releases and are ignored.
    #[allow(clippy::type_complexity)]
    pub fn dp_columns(
        &self,
        table: &Table,
        base_dir: &Path,
    ) -> Result<(Vec<String>, Vec<(String, Hierarchy)>), ConfigError> {
        let mut columns = Vec::new();
        let mut hierarchies = Vec::new();
        for (role, list) in [
            ("quasi-identifier", &self.quasi_identifiers),
            ("sensitive attribute", &self.sensitive),
        ] {
            for c in list {
                let i = table
                    .column_index(&c.column)
                    .map_err(|_| ConfigError::NoColumn {
                        role,
                        column: c.column.clone(),
                        columns: table.names().join(", "),
                    })?;
                if columns.contains(&c.column) {
                    return Err(ConfigError::Duplicate(c.column.clone()));
                }
                columns.push(c.column.clone());
                if let Some(h) = load(c, table, i, base_dir)? {
                    check_hierarchy(&c.column, &h, table, i)?;
                    hierarchies.push((c.column.clone(), h));
                }
            }
        }
        Ok((columns, hierarchies))
    }
}

/// The hierarchy of a column, if one is configured.
fn load(
    c: &ColumnConfig,
    table: &Table,
    column: usize,
    base_dir: &Path,
) -> Result<Option<Hierarchy>, ConfigError> {
    match (&c.hierarchy, &c.hierarchy_file) {
        (Some(_), Some(_)) => Err(ConfigError::HierarchySpec(c.column.clone())),
        (None, None) => Ok(None),
        (Some(name), None) => {
            let b = Builtin::parse(name)?;
            let values = table.columns[column].values.iter().map(String::as_str);
            Ok(Some(b.build(values)?))
        }
        (None, Some(file)) => {
            let path = if file.is_absolute() {
                file.clone()
            } else {
                base_dir.join(file)
            };
            Ok(Some(Hierarchy::from_csv(&path, b';')?))
        }
    }
}

/// At least two levels, and every value of the column is covered.
fn check_hierarchy(
    name: &str,
    h: &Hierarchy,
    table: &Table,
    column: usize,
) -> Result<(), ConfigError> {
    if h.levels() < 2 {
        return Err(ConfigError::MissingLevels {
            column: name.to_string(),
            hierarchy: h.name().to_string(),
            levels: h.levels(),
        });
    }
    for v in &table.columns[column].values {
        if !h.covers(v) {
            return Err(HierarchyError::NotCovered {
                column: name.to_string(),
                value: v.clone(),
                hierarchy: h.name().to_string(),
            }
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let rows = [
            ["FR", "23", "ForcedLabour"],
            ["DE", "37", "SexualExploitation"],
            ["NA", "41", "ForcedLabour"],
        ];
        Table::from_rows(
            &["country", "age", "type"],
            rows.iter()
                .map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
        )
    }

    const GOOD: &str = r#"
suppression_limit = 0.1
metric = "loss"
[[quasi_identifier]]
column = "country"
hierarchy = "country"
[[quasi_identifier]]
column = "age"
hierarchy = "interval:5,10"
[[sensitive]]
column = "type"
hierarchy = "exploitation-type"
[[model]]
kind = "k-anonymity"
k = 2
[[model]]
kind = "t-closeness"
attribute = "type"
t = 0.5
distance = "hierarchical"
"#;

    fn resolve(text: &str) -> Result<Problem, ConfigError> {
        ReleaseConfig::from_toml_str("r.toml", text)?.resolve(&table(), Path::new("."))
    }

    #[test]
    fn resolves_a_good_config() {
        let p = resolve(GOOD).unwrap();
        assert_eq!(p.quasi_identifiers.len(), 2);
        assert_eq!(p.metric, MetricKind::Loss);
        assert_eq!(p.models.len(), 2);
        assert!(p.sensitive[0].1.is_some());
    }

    #[test]
    fn rejects_bad_configs_with_clear_errors() {
        let cases = [
            (GOOD.replace("column = \"age\"", "column = \"agee\""), "quasi-identifier \"agee\" is not a column"),
            (GOOD.replace("k = 2", "k = 4"), "k = 4 is larger than the number of records (3)"),
            (GOOD.replace("k = 2", "k = 0"), "k = 0 must be at least 1"),
            (GOOD.replace("t = 0.5", "t = 1.5"), "t = 1.5 is outside (0, 1]"),
            (GOOD.replace("t = 0.5", "t = 0.0"), "t = 0 is outside (0, 1]"),
            (GOOD.replace("suppression_limit = 0.1", "suppression_limit = 1.1"), "suppression_limit = 1.1 is outside [0, 1]"),
            (GOOD.replace("hierarchy = \"country\"", "hierarchy = \"planet\""), "unknown built-in hierarchy \"planet\""),
            (GOOD.replace("hierarchy = \"country\"", ""), "column \"country\": give exactly one of"),
            (GOOD.replace("[[sensitive]]\ncolumn = \"type\"\nhierarchy = \"exploitation-type\"\n", ""), "hierarchical t-closeness on \"type\" needs a hierarchy"),
            (GOOD.replace("metric = \"loss\"", "metric = \"joy\""), "r.toml:"),
            (format!("{GOOD}\n[[model]]\nkind = \"entropy-l-diversity\"\nattribute = \"type\"\nl = 0.5\n"), "l = 0.5 must be at least 1"),
            (format!("{GOOD}\n[[model]]\nkind = \"distinct-l-diversity\"\nattribute = \"age\"\nl = 2\n"), "cannot be both"),
        ];
        for (text, expected) in cases {
            let e = resolve(&text).unwrap_err().to_string();
            assert!(e.contains(expected), "expected {expected:?} in {e:?}");
        }
    }

    #[test]
    fn hierarchy_file_coverage_and_levels() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("age.csv"), "23;*\n37;*\n").unwrap();
        std::fs::write(dir.path().join("flat.csv"), "23\n").unwrap();
        let text = GOOD.replace(
            "hierarchy = \"interval:5,10\"",
            "hierarchy_file = \"age.csv\"",
        );
        let c = ReleaseConfig::from_toml_str("r.toml", &text).unwrap();
        let e = c.resolve(&table(), dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("column \"age\": value \"41\" is not covered by hierarchy"),
            "{e}"
        );
        assert!(e.contains("age.csv"), "{e}");
        let text = GOOD.replace(
            "hierarchy = \"interval:5,10\"",
            "hierarchy_file = \"flat.csv\"",
        );
        let c = ReleaseConfig::from_toml_str("r.toml", &text).unwrap();
        let e = c.resolve(&table(), dir.path()).unwrap_err().to_string();
        assert!(e.contains("has 1 level(s)"), "{e}");
    }
}
