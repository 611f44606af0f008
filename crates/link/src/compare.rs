//! Prepared columns and comparison levels.
//!
//! Each compared column is normalised once and dictionary-coded: every record holds a `u32` id of
//! its normalised value (or [`NULL_ID`]). Exact equality is then id equality, term frequencies
//! are counts per id, and dates / token sets are parsed once per distinct value.
//!
//! A comparison maps a pair of records to a *level slot*: slot 0 is **null** (either value
//! missing — it carries weight 0 and is never evidence of a match), slots `1..=L` are the
//! configured levels tried in order (the first that holds wins), and slot `L + 1` is **else**
//! (no level held).
//!
//! Similarities: Jaro-Winkler and (Damerau-)Levenshtein from `strsim`; Jaccard on whitespace
//! token sets (`|A ∩ B| / |A ∪ B|`, sorted-merge intersection); date distance in days.

use std::collections::HashMap;

use crate::normalize::{parse_date, Normalizer};
use crate::settings::LevelSpec;

/// Id of a missing value.
pub const NULL_ID: u32 = u32::MAX;

/// One normalised, dictionary-coded column over all records of all datasets.
#[derive(Debug, Clone, Default)]
pub struct PreparedColumn {
    /// Value id per record, [`NULL_ID`] when missing.
    pub ids: Vec<u32>,
    /// Normalised value per id.
    pub dict: Vec<String>,
    /// Records per id (term frequencies).
    pub counts: Vec<u32>,
    /// Non-null records.
    pub non_null: usize,
    /// Parsed date per id (only when a date level is used).
    pub dates: Vec<Option<i64>>,
    /// Sorted token ids per id (only when a Jaccard level is used).
    pub tokens: Vec<Vec<u32>>,
}

impl PreparedColumn {
    /// Normalise and code the cells of one column (given as slices, one per dataset).
    pub fn build<'a>(
        parts: impl IntoIterator<Item = &'a [String]>,
        normalizer: Normalizer,
        need_dates: bool,
        need_tokens: bool,
    ) -> Self {
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut col = PreparedColumn::default();
        for part in parts {
            col.ids.reserve(part.len());
            for cell in part {
                let id = match normalizer.apply(cell) {
                    None => NULL_ID,
                    Some(v) => {
                        let next = col.dict.len() as u32;
                        let id = *index.entry(v).or_insert(next);
                        if id == next {
                            col.dict.push(String::new());
                            col.counts.push(0);
                        }
                        col.counts[id as usize] += 1;
                        col.non_null += 1;
                        id
                    }
                };
                col.ids.push(id);
            }
        }
        for (v, id) in index {
            col.dict[id as usize] = v;
        }
        if need_dates {
            col.dates = col.dict.iter().map(|v| parse_date(v)).collect();
        }
        if need_tokens {
            let mut tok_index: HashMap<&str, u32> = HashMap::new();
            let mut tokens = Vec::with_capacity(col.dict.len());
            for v in &col.dict {
                let mut t: Vec<u32> = v
                    .split_whitespace()
                    .map(|w| {
                        let n = tok_index.len() as u32;
                        *tok_index.entry(w).or_insert(n)
                    })
                    .collect();
                t.sort_unstable();
                t.dedup();
                tokens.push(t);
            }
            col.tokens = tokens;
        }
        col
    }

    /// Normalised value of a record.
    pub fn value(&self, record: usize) -> Option<&str> {
        match self.ids.get(record) {
            Some(&id) if id != NULL_ID => Some(&self.dict[id as usize]),
            _ => None,
        }
    }

    /// Relative frequency of a value id among non-null records.
    pub fn frequency(&self, id: u32) -> f64 {
        if id == NULL_ID || self.non_null == 0 {
            return 0.0;
        }
        f64::from(self.counts[id as usize]) / self.non_null as f64
    }
}

/// Jaccard similarity of two sorted, deduplicated token lists.
pub fn jaccard_sorted(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Level slot of a pair of value ids under `levels` (0 = null, L + 1 = else).
pub fn level_of(col: &PreparedColumn, levels: &[LevelSpec], a: u32, b: u32) -> u8 {
    if a == NULL_ID || b == NULL_ID {
        return 0;
    }
    let (sa, sb) = (&col.dict[a as usize], &col.dict[b as usize]);
    let mut jw: Option<f64> = None;
    let mut lev: Option<usize> = None;
    for (i, level) in levels.iter().enumerate() {
        let hit = match level {
            LevelSpec::Exact => a == b,
            LevelSpec::JaroWinkler { threshold } => {
                a == b || *jw.get_or_insert_with(|| strsim::jaro_winkler(sa, sb)) >= *threshold
            }
            LevelSpec::Levenshtein { max } => {
                a == b
                    || (sa.len().abs_diff(sb.len()) <= *max
                        && *lev.get_or_insert_with(|| strsim::levenshtein(sa, sb)) <= *max)
            }
            LevelSpec::Damerau { max } => {
                a == b
                    || (sa.len().abs_diff(sb.len()) <= *max
                        && strsim::damerau_levenshtein(sa, sb) <= *max)
            }
            LevelSpec::Jaccard { threshold } => {
                match (col.tokens.get(a as usize), col.tokens.get(b as usize)) {
                    (Some(ta), Some(tb)) => jaccard_sorted(ta, tb) >= *threshold,
                    _ => false,
                }
            }
            LevelSpec::DateDays { max_days } => {
                match (col.dates.get(a as usize), col.dates.get(b as usize)) {
                    (Some(Some(da)), Some(Some(db))) => (da - db).abs() <= *max_days,
                    _ => false,
                }
            }
        };
        if hit {
            return (i + 1) as u8;
        }
    }
    (levels.len() + 1) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col_with(values: &[&str], n: Normalizer) -> PreparedColumn {
        let v: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        PreparedColumn::build([v.as_slice()], n, true, true)
    }

    fn col(values: &[&str]) -> PreparedColumn {
        col_with(values, Normalizer::Name)
    }

    #[test]
    fn null_is_never_a_match() {
        let c = col(&["", "anna", "  "]);
        let levels = [LevelSpec::Exact];
        assert_eq!(level_of(&c, &levels, c.ids[0], c.ids[2]), 0);
        assert_eq!(level_of(&c, &levels, c.ids[0], c.ids[1]), 0);
    }

    #[test]
    fn levels_in_order() {
        let c = col(&["jonathan", "jonathon", "jonathan", "maria", "Jonathán"]);
        let levels = [LevelSpec::Exact, LevelSpec::JaroWinkler { threshold: 0.9 }];
        assert_eq!(level_of(&c, &levels, c.ids[0], c.ids[2]), 1);
        assert_eq!(
            level_of(&c, &levels, c.ids[0], c.ids[4]),
            1,
            "diacritics stripped"
        );
        assert_eq!(level_of(&c, &levels, c.ids[0], c.ids[1]), 2);
        assert_eq!(level_of(&c, &levels, c.ids[0], c.ids[3]), 3);
    }

    #[test]
    fn jaccard_and_dates() {
        assert!((jaccard_sorted(&[1, 2, 3], &[2, 3, 4]) - 0.5).abs() < 1e-12);
        let c = col_with(
            &["1990-01-01", "1990-01-20", "1991-06-01"],
            Normalizer::Trim,
        );
        let levels = [LevelSpec::DateDays { max_days: 30 }];
        assert_eq!(level_of(&c, &levels, c.ids[0], c.ids[1]), 1);
        assert_eq!(level_of(&c, &levels, c.ids[0], c.ids[2]), 2);
    }
}
