//! Value generalisation hierarchies.
//!
//! A [`Hierarchy`] is stored the way ARX writes it: one row per original value (a *leaf*),
//! `value;level1;level2;...;top`. Level 0 is the value itself and the last level holds a single
//! top value (usually `*`). Loading validates the three properties every algorithm relies on:
//!
//! * every row has the same number of levels;
//! * the last level is one value for all rows;
//! * the hierarchy is a tree: a label at level `i` has one parent at level `i + 1` (two rows that
//!   agree at level `i` agree on every higher level), and no leaf appears twice.
//!
//! Built-in hierarchies for trafficking data ([`Builtin`]) are built over the distinct values of a
//! column (so spelling variants that `cthub-standard` parses are covered) and go through the same
//! validation. Values a built-in hierarchy cannot interpret (missing, `00`, unknown codes)
//! generalise to `Unknown` at every level below the top, so they form one consistent branch.
//!
//! [`CodedHierarchy`] is the form the search uses: for one column of a [`Table`](crate::Table), the labels of each
//! level are dictionary-coded and the maps `leaf code → level code` and `level code → next level
//! code` are precomputed, so generalising a cell is one array look-up.

use std::collections::HashMap;
use std::path::Path;

use cthub_standard::vocab::{AgeBand, ExploitationType, IsicSection, LabourActivity, Majority};
use cthub_standard::{Country, Vocab};

use crate::table::Column;
use crate::Generalisation;

/// The label of values a built-in hierarchy cannot interpret.
pub const UNKNOWN: &str = "Unknown";
/// The top label of built-in hierarchies and the label of suppressed cells.
pub const TOP: &str = "*";

/// Why a hierarchy could not be loaded or built.
#[derive(Debug, thiserror::Error)]
pub enum HierarchyError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Csv {
        file: String,
        #[source]
        source: csv::Error,
    },
    #[error("{file}: the hierarchy has no rows")]
    Empty { file: String },
    #[error("{file}: row {row} has {found} levels, row 1 has {expected}")]
    Ragged {
        file: String,
        row: usize,
        found: usize,
        expected: usize,
    },
    #[error("{file}: row {row} ends in {found:?}, the top level must be one value ({expected:?} in row 1)")]
    TopNotSingle {
        file: String,
        row: usize,
        found: String,
        expected: String,
    },
    #[error("{file}: row {row}: value {value:?} appears again (first in row {first_row})")]
    Duplicate {
        file: String,
        row: usize,
        value: String,
        first_row: usize,
    },
    #[error(
        "{file}: row {row}: {value:?} at level {level} generalises to {parent:?}, \
         but to {other_parent:?} in row {other_row}"
    )]
    Inconsistent {
        file: String,
        row: usize,
        level: usize,
        value: String,
        parent: String,
        other_parent: String,
        other_row: usize,
    },
    #[error("unknown built-in hierarchy {0:?} (known: country, age-band, year, exploitation-type, isic-section, interval:W1,W2,...)")]
    UnknownBuiltin(String),
    #[error(
        "interval widths {0:?}: give increasing positive widths, each a multiple of the previous"
    )]
    BadIntervals(Vec<u32>),
    #[error("column {column:?}: value {value:?} is not covered by hierarchy {hierarchy}")]
    NotCovered {
        column: String,
        value: String,
        hierarchy: String,
    },
}

/// A validated generalisation hierarchy (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    name: String,
    /// `rows[i]` = `[leaf, level 1, ..., top]`.
    rows: Vec<Vec<String>>,
    index: HashMap<String, usize>,
}

impl Hierarchy {
    /// Validates rows (`[value, level1, ..., top]`); `name` (a file name or built-in name) is used
    /// in error messages, rows are numbered from 1.
    pub fn from_rows(name: &str, rows: Vec<Vec<String>>) -> Result<Hierarchy, HierarchyError> {
        let file = name.to_string();
        let first = rows
            .first()
            .ok_or(HierarchyError::Empty { file: file.clone() })?;
        let expected = first.len();
        let top = first.last().cloned().unwrap_or_default();
        if expected == 0 {
            return Err(HierarchyError::Empty { file });
        }
        let mut index = HashMap::with_capacity(rows.len());
        // (level, label) -> (parent label, row)
        let mut parents: HashMap<(usize, &str), (&str, usize)> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let row_no = i + 1;
            if row.len() != expected {
                return Err(HierarchyError::Ragged {
                    file,
                    row: row_no,
                    found: row.len(),
                    expected,
                });
            }
            if row[expected - 1] != top {
                return Err(HierarchyError::TopNotSingle {
                    file,
                    row: row_no,
                    found: row[expected - 1].clone(),
                    expected: top,
                });
            }
            if let Some(&first_row) = index.get(&row[0]) {
                return Err(HierarchyError::Duplicate {
                    file,
                    row: row_no,
                    value: row[0].clone(),
                    first_row: first_row + 1,
                });
            }
            index.insert(row[0].clone(), i);
            for level in 1..expected.saturating_sub(1) {
                let (label, parent) = (row[level].as_str(), row[level + 1].as_str());
                match parents.get(&(level, label)) {
                    Some(&(other, other_row)) if other != parent => {
                        return Err(HierarchyError::Inconsistent {
                            file,
                            row: row_no,
                            level,
                            value: label.to_string(),
                            parent: parent.to_string(),
                            other_parent: other.to_string(),
                            other_row,
                        })
                    }
                    Some(_) => {}
                    None => {
                        parents.insert((level, label), (parent, row_no));
                    }
                }
            }
        }
        drop(parents);
        Ok(Hierarchy {
            name: file,
            rows,
            index,
        })
    }

    /// Reads ARX's hierarchy CSV form (no header; empty lines are skipped; cells are trimmed).
    pub fn from_csv(path: &Path, delimiter: u8) -> Result<Hierarchy, HierarchyError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| HierarchyError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_csv_str(&file, &text, delimiter)
    }

    /// [`Hierarchy::from_csv`] on text already read; `name` appears in errors.
    pub fn from_csv_str(
        name: &str,
        text: &str,
        delimiter: u8,
    ) -> Result<Hierarchy, HierarchyError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|source| HierarchyError::Csv {
                file: name.to_string(),
                source,
            })?;
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push(record.iter().map(|c| c.trim().to_string()).collect());
        }
        Self::from_rows(name, rows)
    }

    /// The file or built-in name the hierarchy came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The leaves (level-0 values), in row order.
    pub fn leaves(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|r| r[0].as_str())
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.rows.len()
    }

    /// The single top label.
    pub fn top(&self) -> &str {
        self.rows[0].last().map_or("", String::as_str)
    }

    /// Number of leaves under each label of `level`.
    pub fn leaves_under(&self, level: usize) -> HashMap<&str, usize> {
        let mut m = HashMap::new();
        for row in &self.rows {
            if let Some(label) = row.get(level) {
                *m.entry(label.as_str()).or_insert(0) += 1;
            }
        }
        m
    }

    /// Whether `value` is a leaf.
    pub fn covers(&self, value: &str) -> bool {
        self.index.contains_key(value)
    }
}

impl Generalisation for Hierarchy {
    fn levels(&self) -> usize {
        self.rows[0].len()
    }

    fn generalise(&self, value: &str, level: usize) -> Option<&str> {
        let i = *self.index.get(value)?;
        self.rows[i].get(level).map(String::as_str)
    }
}

/// Built-in hierarchies for trafficking data, built from `cthub-standard`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Builtin {
    /// Country (alpha-2, alpha-3, M49 or name) → UN M49 subregion → region → `*`.
    Country,
    /// CTDC age band (`0--8`, `9--17`, ...) → wider band → Minor/Adult → `*`.
    AgeBand,
    /// Year → 5-year period → decade → `*`.
    Year,
    /// Type of exploitation → group (sexual, labour, marriage/adoption, other) → `*`.
    ExploitationType,
    /// ISIC section or CTDC type of labour → ISIC section → broad sector → `*`.
    IsicSection,
    /// Numbers → intervals of each width (e.g. 5, 10, 20) → `*`.
    Interval(Vec<u32>),
}

impl Builtin {
    /// Parses a built-in name: `country`, `age-band`, `year`, `exploitation-type`,
    /// `isic-section` or `interval:5,10,20`.
    pub fn parse(name: &str) -> Result<Builtin, HierarchyError> {
        let n = name.trim();
        if let Some(widths) = n.strip_prefix("interval:") {
            let w: Result<Vec<u32>, _> = widths.split(',').map(|w| w.trim().parse()).collect();
            return match w {
                Ok(w) => {
                    check_widths(&w)?;
                    Ok(Builtin::Interval(w))
                }
                Err(_) => Err(HierarchyError::UnknownBuiltin(name.to_string())),
            };
        }
        Ok(match n {
            "country" => Builtin::Country,
            "age-band" => Builtin::AgeBand,
            "year" => Builtin::Year,
            "exploitation-type" => Builtin::ExploitationType,
            "isic-section" => Builtin::IsicSection,
            _ => return Err(HierarchyError::UnknownBuiltin(name.to_string())),
        })
    }

    /// The name [`Builtin::parse`] accepts.
    pub fn name(&self) -> String {
        match self {
            Builtin::Country => "country".into(),
            Builtin::AgeBand => "age-band".into(),
            Builtin::Year => "year".into(),
            Builtin::ExploitationType => "exploitation-type".into(),
            Builtin::IsicSection => "isic-section".into(),
            Builtin::Interval(w) => format!(
                "interval:{}",
                w.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
            ),
        }
    }

    /// The labels of `value` at levels 1..=top.
    pub fn labels(&self, value: &str) -> Vec<String> {
        let unknown = |n: usize| {
            let mut v = vec![UNKNOWN.to_string(); n];
            v.push(TOP.to_string());
            v
        };
        match self {
            Builtin::Country => match Country::parse(value) {
                Some(c) => vec![
                    c.subregion()
                        .map_or_else(|| UNKNOWN.to_string(), |s| pretty_slug(&s)),
                    c.region()
                        .map_or_else(|| UNKNOWN.to_string(), |r| r.label().to_string()),
                    TOP.to_string(),
                ],
                None => unknown(2),
            },
            Builtin::AgeBand => match AgeBand::parse(value) {
                Some(b) => {
                    use AgeBand as A;
                    let wider = match b {
                        A::Age0To8 | A::Age9To17 => "0--17",
                        A::Age18To20 | A::Age21To23 | A::Age24To26 | A::Age27To29 => "18--29",
                        A::Age30To38 | A::Age39To47 => "30--47",
                        A::Age48Plus => "48+",
                        A::Age0To29 => "0--29",
                    };
                    let majority = b.majority().map_or(UNKNOWN, Majority::label);
                    vec![wider.to_string(), majority.to_string(), TOP.to_string()]
                }
                None => unknown(2),
            },
            Builtin::Year => match value.trim().parse::<i32>() {
                Ok(y) => {
                    let p = y.div_euclid(5) * 5;
                    let d = y.div_euclid(10) * 10;
                    vec![
                        format!("{p}-{}", p + 4),
                        format!("{d}-{}", d + 9),
                        TOP.to_string(),
                    ]
                }
                Err(_) => unknown(2),
            },
            Builtin::ExploitationType => match ExploitationType::parse(value) {
                Some(t) => {
                    use ExploitationType as E;
                    let group = match t {
                        E::SexualExploitation => "Sexual exploitation",
                        E::ForcedLabour
                        | E::ChildLabour
                        | E::Servitude
                        | E::ForcedBegging
                        | E::ForcedMilitaryByNonStateActors => "Labour exploitation",
                        E::ForcedMarriage | E::ForcedAdoption | E::Surrogacy => {
                            "Marriage, adoption and surrogacy"
                        }
                        E::OrganRemoval | E::Other => "Other exploitation",
                    };
                    vec![group.to_string(), TOP.to_string()]
                }
                None => unknown(1),
            },
            Builtin::IsicSection => {
                let section = IsicSection::parse(value)
                    .or_else(|| LabourActivity::parse(value).and_then(|a| a.isic_section()));
                match section {
                    Some(s) => {
                        let broad = match s.letter() {
                            'A' => "Agriculture",
                            'B'..='F' => "Industry",
                            _ => "Services",
                        };
                        vec![s.code().to_string(), broad.to_string(), TOP.to_string()]
                    }
                    None => unknown(2),
                }
            }
            Builtin::Interval(widths) => match value.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => {
                    let mut v: Vec<String> = widths.iter().map(|&w| interval(x, w)).collect();
                    v.push(TOP.to_string());
                    v
                }
                _ => unknown(widths.len()),
            },
        }
    }

    /// Builds the hierarchy over `values` (typically a column's distinct values).
    pub fn build<'a>(
        &self,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<Hierarchy, HierarchyError> {
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<Vec<String>> = values
            .into_iter()
            .filter(|v| seen.insert(*v))
            .map(|v| {
                let mut row = vec![v.to_string()];
                row.extend(self.labels(v));
                row
            })
            .collect();
        if rows.is_empty() {
            // An empty column still gets a well-formed hierarchy.
            let mut row = vec![String::new()];
            row.extend(self.labels(""));
            return Hierarchy::from_rows(&self.name(), vec![row]);
        }
        Hierarchy::from_rows(&self.name(), rows)
    }
}

fn check_widths(w: &[u32]) -> Result<(), HierarchyError> {
    let ok = !w.is_empty() && w[0] > 0 && w.windows(2).all(|p| p[1] > p[0] && p[1] % p[0] == 0);
    if ok {
        Ok(())
    } else {
        Err(HierarchyError::BadIntervals(w.to_vec()))
    }
}

/// `[lo, lo + w)` as `lo-hi` for integers (`20-24`), `[lo, hi)` otherwise.
fn interval(x: f64, w: u32) -> String {
    let w = f64::from(w);
    let lo = (x / w).floor() * w;
    if x.fract() == 0.0 {
        format!("{}-{}", lo as i64, (lo + w) as i64 - 1)
    } else {
        format!("[{}, {})", lo as i64, (lo + w) as i64)
    }
}

/// `sub-saharan-africa` → `Sub-Saharan Africa`, `australia-and-new-zealand` →
/// `Australia and New Zealand`.
fn pretty_slug(s: &str) -> String {
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect::<String>())
            .unwrap_or_default()
    };
    let words: Vec<String> = s
        .split('-')
        .map(|w| if w == "and" { w.to_string() } else { cap(w) })
        .collect();
    let joined = words.join(" ");
    joined.replace("Sub Saharan", "Sub-Saharan")
}

/// A hierarchy coded over one column's dictionary (see the module docs).
#[derive(Debug, Clone)]
pub struct CodedHierarchy {
    /// The distinct labels of each level; `labels[0]` is the column's dictionary.
    pub labels: Vec<Vec<String>>,
    /// `from_leaf[level][leaf code]` = code of the leaf's label at `level`.
    pub from_leaf: Vec<Vec<u32>>,
    /// `up[level][code]` = code at `level + 1` of the label `code` at `level`.
    pub up: Vec<Vec<u32>>,
    /// `loss[level][code]`: ARX's loss of the label, (leaves under it − 1) / (all leaves − 1),
    /// counting the hierarchy's leaves.
    pub loss: Vec<Vec<f64>>,
}

impl CodedHierarchy {
    /// Codes `hierarchy` over `column`; every value of the column must be a leaf.
    pub fn new(column: &Column, hierarchy: &Hierarchy) -> Result<CodedHierarchy, HierarchyError> {
        let levels = hierarchy.levels();
        let mut labels: Vec<Vec<String>> = vec![column.values.clone()];
        let mut from_leaf: Vec<Vec<u32>> = vec![(0..column.values.len() as u32).collect()];
        let mut rows = Vec::with_capacity(column.values.len());
        for v in &column.values {
            match hierarchy.index.get(v.as_str()) {
                Some(&i) => rows.push(&hierarchy.rows[i]),
                None => {
                    return Err(HierarchyError::NotCovered {
                        column: column.name.clone(),
                        value: v.clone(),
                        hierarchy: hierarchy.name.clone(),
                    })
                }
            }
        }
        for level in 1..levels {
            let mut dict: HashMap<&str, u32> = HashMap::new();
            let mut lv = Vec::new();
            let mut map = Vec::with_capacity(rows.len());
            for row in &rows {
                let label = row[level].as_str();
                let code = *dict.entry(label).or_insert_with(|| {
                    lv.push(label.to_string());
                    (lv.len() - 1) as u32
                });
                map.push(code);
            }
            labels.push(lv);
            from_leaf.push(map);
        }
        let mut up = Vec::with_capacity(levels.saturating_sub(1));
        for level in 0..levels.saturating_sub(1) {
            let mut m = vec![0u32; labels[level].len()];
            for leaf in 0..rows.len() {
                m[from_leaf[level][leaf] as usize] = from_leaf[level + 1][leaf];
            }
            up.push(m);
        }
        let total = hierarchy.n_leaves();
        let loss = (0..levels)
            .map(|level| {
                let under = hierarchy.leaves_under(level);
                labels[level]
                    .iter()
                    .map(|l| {
                        let n = under.get(l.as_str()).copied().unwrap_or(1);
                        if total <= 1 {
                            0.0
                        } else {
                            (n as f64 - 1.0) / (total as f64 - 1.0)
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(CodedHierarchy {
            labels,
            from_leaf,
            up,
            loss,
        })
    }

    /// Number of levels.
    pub fn levels(&self) -> usize {
        self.labels.len()
    }

    /// Code at level `to` of the label `code` at level `from` (`from <= to`).
    #[inline]
    pub fn lift(&self, mut code: u32, from: usize, to: usize) -> u32 {
        for level in from..to {
            code = self.up[level][code as usize];
        }
        code
    }

    /// The label of `code` at `level`.
    pub fn label(&self, level: usize, code: u32) -> &str {
        &self.labels[level][code as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Table;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|l| l.split(';').map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn loads_and_generalises() {
        let h = Hierarchy::from_csv_str("t.csv", "a;ab;*\nb;ab;*\nc;c;*\n", b';').unwrap();
        assert_eq!(h.levels(), 3);
        assert_eq!(h.generalise("a", 1), Some("ab"));
        assert_eq!(h.generalise("c", 2), Some("*"));
        assert_eq!(h.generalise("a", 3), None);
        assert_eq!(h.generalise("z", 0), None);
        assert_eq!(h.top(), "*");
    }

    #[test]
    fn errors_name_file_and_row() {
        let e = Hierarchy::from_rows("h.csv", rows("a;x;*\nb;*")).unwrap_err();
        assert_eq!(e.to_string(), "h.csv: row 2 has 2 levels, row 1 has 3");
        let e = Hierarchy::from_rows("h.csv", rows("a;x;*\nb;x;ALL")).unwrap_err();
        assert!(
            e.to_string().starts_with("h.csv: row 2 ends in \"ALL\""),
            "{e}"
        );
        let e = Hierarchy::from_rows("h.csv", rows("a;x;y;*\nb;x;z;*")).unwrap_err();
        assert!(
            e.to_string().contains("h.csv: row 2: \"x\" at level 1"),
            "{e}"
        );
        let e = Hierarchy::from_rows("h.csv", rows("a;x;*\na;x;*")).unwrap_err();
        assert!(
            e.to_string().contains("row 2: value \"a\" appears again"),
            "{e}"
        );
        assert!(matches!(
            Hierarchy::from_rows("h.csv", vec![]),
            Err(HierarchyError::Empty { .. })
        ));
    }

    #[test]
    fn builtin_country() {
        let h = Builtin::Country
            .build(["NA", "FR", "", "00", "Ukraine"])
            .unwrap();
        assert_eq!(h.levels(), 4);
        assert_eq!(h.generalise("NA", 1), Some("Southern Africa"));
        assert_eq!(h.generalise("NA", 2), Some("Africa"));
        assert_eq!(h.generalise("Ukraine", 1), Some("Eastern Europe"));
        assert_eq!(h.generalise("00", 1), Some(UNKNOWN));
        assert_eq!(h.generalise("", 2), Some(UNKNOWN));
        assert_eq!(h.generalise("", 3), Some("*"));
    }

    #[test]
    fn builtin_age_band_year_types_isic() {
        let bands: Vec<&str> = AgeBand::all().iter().map(|b| b.label()).collect();
        let h = Builtin::AgeBand
            .build(bands.iter().copied().chain([""]))
            .unwrap();
        assert_eq!(h.generalise("9--17", 1), Some("0--17"));
        assert_eq!(h.generalise("9--17", 2), Some("Minor"));
        assert_eq!(h.generalise("21--23", 2), Some("Adult"));
        assert_eq!(h.generalise("0--29", 2), Some(UNKNOWN));
        let h = Builtin::Year.build(["2017", "2020", "n/a"]).unwrap();
        assert_eq!(h.generalise("2017", 1), Some("2015-2019"));
        assert_eq!(h.generalise("2017", 2), Some("2010-2019"));
        assert_eq!(h.generalise("n/a", 1), Some(UNKNOWN));
        let h = Builtin::ExploitationType
            .build(["Forced labour", "SexualExploitation", "ForcedMarriage", ""])
            .unwrap();
        assert_eq!(
            h.generalise("Forced labour", 1),
            Some("Labour exploitation")
        );
        assert_eq!(h.levels(), 3);
        let h = Builtin::IsicSection
            .build(["Construction", "C_Manufacturing", "Hospitality", "Begging"])
            .unwrap();
        assert_eq!(h.generalise("Construction", 1), Some("F_Construction"));
        assert_eq!(h.generalise("Construction", 2), Some("Industry"));
        assert_eq!(h.generalise("Hospitality", 2), Some("Services"));
        assert_eq!(h.generalise("Begging", 2), Some(UNKNOWN));
    }

    #[test]
    fn builtin_interval() {
        let b = Builtin::parse("interval:5,10,20").unwrap();
        let h = b.build(["23", "37", "x"]).unwrap();
        assert_eq!(h.generalise("23", 1), Some("20-24"));
        assert_eq!(h.generalise("23", 3), Some("20-39"));
        assert_eq!(h.generalise("37", 2), Some("30-39"));
        assert_eq!(h.generalise("x", 4), Some("*"));
        assert!(Builtin::parse("interval:5,7").is_err());
        assert!(Builtin::parse("interval:0").is_err());
        assert!(Builtin::parse("nope").is_err());
    }

    #[test]
    fn coded_hierarchy_maps() {
        let t = Table::from_rows(
            &["c"],
            ["b", "a", "c", "a"].iter().map(|v| vec![v.to_string()]),
        );
        let h = Hierarchy::from_rows("h", rows("a;ab;*\nb;ab;*\nc;c;*\nd;d;*")).unwrap();
        let c = CodedHierarchy::new(&t.columns[0], &h).unwrap();
        assert_eq!(c.levels(), 3);
        assert_eq!(c.labels[1], vec!["ab", "c"]);
        assert_eq!(c.from_leaf[1], vec![0, 0, 1]);
        assert_eq!(c.lift(2, 0, 2), 0);
        assert!((c.loss[1][0] - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(c.loss[2][0], 1.0);
        let h = Hierarchy::from_rows("h", rows("a;*\nb;*")).unwrap();
        let e = CodedHierarchy::new(&t.columns[0], &h).unwrap_err();
        assert_eq!(
            e.to_string(),
            "column \"c\": value \"c\" is not covered by hierarchy h"
        );
    }
}
