//! Value normalisation before comparison.
//!
//! Names of the same person are written in several scripts and spellings (`Müller`, `MUELLER`,
//! `Мюллер`). The `name` normaliser brings them to one comparable ASCII form:
//!
//! 1. Unicode NFKC (compatibility composition: full-width letters, ligatures, superscripts become
//!    their plain forms);
//! 2. case folding (Unicode lower case);
//! 3. transliteration to ASCII with `deunicode` (Cyrillic, Greek, Arabic, CJK, ... to Latin
//!    letters; diacritics are dropped with it: `é` → `e`);
//! 4. anything that is not an ASCII letter or digit becomes a separator; runs of separators
//!    collapse to one space, and the ends are trimmed.
//!
//! `digits` keeps only digits (phone numbers, postcodes, document numbers); `date` parses
//! `YYYY-MM-DD`, `YYYYMMDD`, `DD/MM/YYYY` into a day number (days since 1970-01-01) for date
//! distance; `trim` only trims and lower-cases. Empty results are *null*: they never match.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// How a column is normalised before comparison (settings: `normalize = "name"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Normalizer {
    /// Trim and lower-case.
    #[default]
    Trim,
    /// NFKC, case fold, transliterate to ASCII, strip diacritics and punctuation.
    Name,
    /// Digits only.
    Digits,
    /// Nothing at all (exact bytes).
    Raw,
}

/// Normalise a name: NFKC → lower case → ASCII transliteration → letters/digits separated by
/// single spaces. Returns an empty string for values without letters or digits.
pub fn normalize_name(value: &str) -> String {
    let nfkc: String = value.nfkc().collect();
    let folded = nfkc.to_lowercase();
    let ascii = if folded.is_ascii() {
        folded
    } else {
        deunicode::deunicode(&folded).to_ascii_lowercase()
    };
    let mut out = String::with_capacity(ascii.len());
    let mut pending_space = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else if c == '\'' || c == '\u{2019}' {
            // O'Brien == OBrien: apostrophes join.
        } else {
            pending_space = true;
        }
    }
    out
}

impl Normalizer {
    /// Apply the normaliser; `None` when the value is missing or normalises to nothing.
    pub fn apply(self, value: &str) -> Option<String> {
        if is_missing_marker(value) {
            return None;
        }
        let out = match self {
            Normalizer::Raw => value.to_string(),
            Normalizer::Trim => value.trim().to_lowercase(),
            Normalizer::Name => normalize_name(value),
            Normalizer::Digits => value.chars().filter(|c| c.is_ascii_digit()).collect(),
        };
        if out.is_empty() || is_missing_marker(&out) {
            None
        } else {
            Some(out)
        }
    }
}

/// Common spellings of "no value" that must never be compared as equal values.
pub fn is_missing_marker(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "na" | "n/a" | "nan" | "null" | "none" | "unknown" | "-" | "?"
    )
}

/// Parse a date into days since 1970-01-01. Accepts `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`,
/// `DD/MM/YYYY` and `DD-MM-YYYY`, with optional time after a `T` or space. Invalid calendar dates
/// (month 13, 31 February) give `None`.
pub fn parse_date(value: &str) -> Option<i64> {
    let v = value.trim();
    let v = v.split(['T', ' ']).next().unwrap_or(v);
    let (y, m, d) = if v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()) {
        (
            v[0..4].parse().ok()?,
            v[4..6].parse().ok()?,
            v[6..8].parse().ok()?,
        )
    } else {
        let parts: Vec<&str> = v.split(['-', '/', '.']).collect();
        if parts.len() != 3 {
            return None;
        }
        let nums: Vec<i64> = parts
            .iter()
            .map(|p| p.parse::<i64>())
            .collect::<Result<_, _>>()
            .ok()?;
        if parts[0].len() == 4 {
            (nums[0], nums[1], nums[2])
        } else if parts[2].len() == 4 {
            (nums[2], nums[1], nums[0])
        } else {
            return None;
        }
    };
    days_from_civil(y, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), `None` for
/// dates that do not exist.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || d < 1 || !(0..=9999).contains(&y) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > mdays[(m - 1) as usize] {
        return None;
    }
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_several_scripts_meet() {
        assert_eq!(normalize_name("  Müller "), "muller");
        assert_eq!(normalize_name("MÜLLER"), "muller");
        assert_eq!(normalize_name("Иванов"), "ivanov");
        assert_eq!(normalize_name("Ｊｏｓé"), "jose");
        assert_eq!(normalize_name("O'Brien-Smith"), "obrien smith");
        assert_eq!(normalize_name("Ἀλέξανδρος"), "alexandros");
        assert_eq!(Normalizer::Name.apply("  -- "), None);
        assert_eq!(Normalizer::Name.apply("N/A"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("19700102"), Some(1));
        assert_eq!(parse_date("02/01/1970"), Some(1));
        assert_eq!(parse_date("1971-02-30"), None);
        assert_eq!(parse_date("2000-02-29"), Some(11_016));
        assert_eq!(parse_date("garbage"), None);
    }
}
