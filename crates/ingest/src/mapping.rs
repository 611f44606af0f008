//! Declarative TOML mappings: how an organisation's own CSV/XLSX columns map onto the case model.
//!
//! ```toml
//! name = "shelter-intake-v3"
//! description = "Intake sheet of the shelter"
//! unmapped = "extra"            # extra (default): keep verbatim | error: reject the file | ignore
//!
//! [source]
//! sheet = "Intake"              # workbook sheet (default: first non-empty)
//! header_row = 1                # default: first non-empty row
//! delimiter = ";"               # text files; default: sniffed
//! encoding = "windows-1252"     # default UTF-8
//! missing = ["", "n/a", "unknown", "-"]
//! date_format = ["%d/%m/%Y"]    # tried in order, then ISO 8601
//!
//! [[column]]
//! source = "Sex"
//! field = "person.gender"
//! values = { F = "Feminine", M = "Masculine", X = "NonConforming" }
//!
//! [[column]]
//! source = "Control"
//! field = "victim.means_of_control"
//! separator = ","
//! values = { debt = "DebtBondage", "passport taken" = "WithholdsDocuments" }
//!
//! [[column]]
//! source = "Client name"
//! field = "identifier"          # never stored
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use cthub_standard::field::{Target, ValueFormat};
use cthub_standard::vocab::normalise;
use serde::Deserialize;

/// A parsed mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub unmapped: Unmapped,
    #[serde(default)]
    pub source: SourceOptions,
    #[serde(rename = "column", default)]
    pub columns: Vec<ColumnMapping>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmapped {
    #[default]
    Extra,
    Error,
    Ignore,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceOptions {
    pub sheet: Option<String>,
    pub header_row: Option<usize>,
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub date_format: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    pub source: String,
    pub field: String,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    pub separator: Option<String>,
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub date_format: Vec<String>,
    /// A missing source column is an error unless `optional = true`.
    #[serde(default)]
    pub optional: bool,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// A mapping problem, located in the mapping file.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{file}: cannot read mapping: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: invalid TOML: {detail}")]
    Toml { file: String, detail: String },
    #[error("{file}: column {column:?}: {detail}")]
    Column {
        file: String,
        column: String,
        detail: String,
    },
}

/// A column mapping with its field resolved and its value map checked.
#[derive(Debug, Clone)]
pub struct ResolvedColumn {
    pub source: String,
    pub target: Target,
    /// normalised published value → model code (or raw text for free-text targets)
    pub values: Vec<(String, String)>,
    pub separator: Option<char>,
    pub missing: Vec<String>,
    pub format: ValueFormat,
    pub optional: bool,
}

impl Mapping {
    pub fn load(path: &Path) -> Result<(Mapping, Vec<ResolvedColumn>), MappingError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
            file: file.clone(),
            source,
        })?;
        Mapping::parse(&text, &file)
    }

    pub fn parse(text: &str, file: &str) -> Result<(Mapping, Vec<ResolvedColumn>), MappingError> {
        let m: Mapping = toml::from_str(text).map_err(|e| MappingError::Toml {
            file: file.to_string(),
            detail: e.to_string().replace('\n', " "),
        })?;
        let resolved = m.resolve(file)?;
        Ok((m, resolved))
    }

    fn resolve(&self, file: &str) -> Result<Vec<ResolvedColumn>, MappingError> {
        let global_missing = self
            .source
            .missing
            .clone()
            .unwrap_or_else(|| vec![String::new()]);
        let mut out = Vec::new();
        for c in &self.columns {
            let err = |detail: String| MappingError::Column {
                file: file.to_string(),
                column: c.source.clone(),
                detail,
            };
            let target = Target::from_path(&c.field).ok_or_else(|| {
                let close: Vec<String> = Target::all_paths()
                    .into_iter()
                    .filter(|p| {
                        let a = normalise(p);
                        let b = normalise(&c.field);
                        a.contains(&b) || b.contains(&a)
                    })
                    .take(8)
                    .collect();
                err(format!(
                    "unknown field {:?}{}; run `cthub import --list-fields` for all fields",
                    c.field,
                    if close.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean one of: {})", close.join(", "))
                    }
                ))
            })?;
            if let Target::FlagList(g) = target {
                for code in c.values.values() {
                    if g.canonical(code).is_none() {
                        return Err(err(format!(
                            "value {code:?} is not a code of {}; allowed: {}",
                            g.path(),
                            g.codes().join(", ")
                        )));
                    }
                }
            }
            let separator = match c.separator.as_deref() {
                None => None,
                Some(s) if s.chars().count() == 1 => s.chars().next(),
                Some(" ") => Some(' '),
                Some(s) => return Err(err(format!("separator must be one character, got {s:?}"))),
            };
            if separator.is_some() && !target.is_multi() {
                return Err(err(format!(
                    "separator given but {} holds a single value",
                    c.field
                )));
            }
            let mut date_formats = c.date_format.clone();
            date_formats.extend(self.source.date_format.iter().cloned());
            out.push(ResolvedColumn {
                source: c.source.clone(),
                target,
                values: c
                    .values
                    .iter()
                    .map(|(k, v)| (normalise_value(k), v.clone()))
                    .collect(),
                separator,
                missing: c
                    .missing
                    .clone()
                    .unwrap_or_else(|| global_missing.clone())
                    .iter()
                    .map(|s| normalise_value(s))
                    .collect(),
                format: ValueFormat { date_formats },
                optional: c.optional,
            });
        }
        Ok(out)
    }
}

/// Values compare trimmed and case-insensitively.
pub fn normalise_value(s: &str) -> String {
    s.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "shelter"
[source]
missing = ["", "n/a"]
date_format = "%d/%m/%Y"
[[column]]
source = "Sex"
field = "person.gender"
values = { F = "Feminine", M = "Masculine" }
[[column]]
source = "Control"
field = "victim.means_of_control"
separator = ","
values = { debt = "DebtBondage" }
"#;

    #[test]
    fn parses_and_resolves() {
        let (m, cols) = Mapping::parse(GOOD, "m.toml").unwrap();
        assert_eq!(m.name, "shelter");
        assert_eq!(cols.len(), 2);
        assert_eq!(cols[1].separator, Some(','));
        assert_eq!(cols[0].values[0], ("f".to_string(), "Feminine".to_string()));
        assert_eq!(cols[0].format.date_formats, vec!["%d/%m/%Y".to_string()]);
        assert!(cols[0].missing.contains(&"n/a".to_string()));
    }

    #[test]
    fn bad_field_and_bad_code_are_located() {
        let bad = GOOD.replace("person.gender", "person.sex");
        let e = Mapping::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(
            e.contains("m.toml") && e.contains("Sex") && e.contains("person.sex"),
            "{e}"
        );
        let bad = GOOD.replace("\"DebtBondage\"", "\"Debts\"");
        let e = Mapping::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(e.contains("Debts") && e.contains("DebtBondage"), "{e}");
        let e = Mapping::parse("name = 3", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid TOML"), "{e}");
    }
}
