//! Counts as GLOTIP publishes them, and sums that keep censoring bounds.
//!
//! `txtVALUE` is text: a plain count (`103`), a count with thousands separators
//! (`1,282`) or the suppression marker `<5`, which means "somewhere in 0..=4".
//! A `<5` is kept as [`Value::Censored`] with `lo = 0, hi = 4` and is never read
//! as 5. Sums of such values are [`Bounds`]: the lower bound counts every
//! censored cell as its `lo` (0), the upper bound as its `hi` (4), and the
//! number of censored cells travels with the sum.

use serde::{Deserialize, Serialize};

/// One GLOTIP count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    /// A published count.
    Exact(u64),
    /// A suppressed small count known only to lie in `lo..=hi` (`<5` is `0..=4`).
    Censored {
        /// Smallest possible value.
        lo: u64,
        /// Largest possible value.
        hi: u64,
    },
}

impl Value {
    /// GLOTIP's `<5`.
    pub const LESS_THAN_FIVE: Value = Value::Censored { lo: 0, hi: 4 };

    /// Lowest value the cell can have.
    pub fn lo(self) -> u64 {
        match self {
            Value::Exact(v) => v,
            Value::Censored { lo, .. } => lo,
        }
    }

    /// Highest value the cell can have.
    pub fn hi(self) -> u64 {
        match self {
            Value::Exact(v) => v,
            Value::Censored { hi, .. } => hi,
        }
    }

    /// True for a suppressed cell.
    pub fn is_censored(self) -> bool {
        matches!(self, Value::Censored { .. })
    }
}

/// Why a `txtVALUE` cell is not a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// The cell is empty.
    Empty,
    /// Not a non-negative whole number, with or without thousands separators, nor `<N`.
    NotACount,
    /// Thousands separators in the wrong places (`1,28`, `,128`).
    BadThousands,
    /// `<0` or a number too large for 64 bits.
    OutOfRange,
}

impl ValueRule {
    /// Short rule name used in the quarantine report.
    pub fn name(self) -> &'static str {
        match self {
            ValueRule::Empty => "value: empty",
            ValueRule::NotACount => "value: not a count (whole number, `1,282` or `<5`)",
            ValueRule::BadThousands => "value: misplaced thousands separator",
            ValueRule::OutOfRange => "value: out of range",
        }
    }
}

/// What the parser saw, for the import accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    /// The value.
    pub value: Value,
    /// True if the text carried thousands separators.
    pub had_thousands: bool,
}

/// Parse a `txtVALUE` cell: `123`, `1,282`, `<5` (any `<N` with N >= 1 is
/// censored `0..=N-1`). Surrounding whitespace is ignored.
pub fn parse_value(text: &str) -> Result<Parsed, ValueRule> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ValueRule::Empty);
    }
    if let Some(rest) = t.strip_prefix('<') {
        let n = parse_digits(rest.trim())?;
        if n.value == 0 {
            return Err(ValueRule::OutOfRange);
        }
        return Ok(Parsed {
            value: Value::Censored {
                lo: 0,
                hi: n.value - 1,
            },
            had_thousands: n.had_thousands,
        });
    }
    let n = parse_digits(t)?;
    Ok(Parsed {
        value: Value::Exact(n.value),
        had_thousands: n.had_thousands,
    })
}

struct Digits {
    value: u64,
    had_thousands: bool,
}

fn parse_digits(t: &str) -> Result<Digits, ValueRule> {
    if t.is_empty() {
        return Err(ValueRule::NotACount);
    }
    if !t.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return Err(ValueRule::NotACount);
    }
    let had_thousands = t.contains(',');
    if had_thousands {
        let mut groups = t.split(',');
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 {
            return Err(ValueRule::BadThousands);
        }
        if groups.any(|g| g.len() != 3) {
            return Err(ValueRule::BadThousands);
        }
    }
    let mut v: u64 = 0;
    for b in t.bytes().filter(|b| b.is_ascii_digit()) {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(ValueRule::OutOfRange)?;
    }
    Ok(Digits {
        value: v,
        had_thousands,
    })
}

/// A sum of counts some of which are censored.
///
/// Invariants: `lo <= hi`; `lo` is the sum of the exact parts plus the lower
/// bounds of censored parts (0 for `<5`); `hi - lo` is the sum of the censored
/// intervals' widths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    /// Lower bound (every `<5` as 0).
    pub lo: u64,
    /// Upper bound (every `<5` as 4).
    pub hi: u64,
    /// Number of exact cells summed.
    pub exact_cells: u64,
    /// Number of censored cells summed.
    pub censored_cells: u64,
}

impl Bounds {
    /// The empty sum.
    pub const ZERO: Bounds = Bounds {
        lo: 0,
        hi: 0,
        exact_cells: 0,
        censored_cells: 0,
    };

    /// Add one cell (saturating: a sum of real GLOTIP counts never comes near `u64::MAX`).
    pub fn add(&mut self, v: Value) {
        self.lo = self.lo.saturating_add(v.lo());
        self.hi = self.hi.saturating_add(v.hi());
        if v.is_censored() {
            self.censored_cells += 1;
        } else {
            self.exact_cells += 1;
        }
    }

    /// Add another sum.
    pub fn merge(&mut self, o: &Bounds) {
        self.lo = self.lo.saturating_add(o.lo);
        self.hi = self.hi.saturating_add(o.hi);
        self.exact_cells += o.exact_cells;
        self.censored_cells += o.censored_cells;
    }

    /// Number of cells summed.
    pub fn cells(&self) -> u64 {
        self.exact_cells + self.censored_cells
    }

    /// Midpoint of the bounds, for display.
    pub fn mid(&self) -> f64 {
        (self.lo as f64 + self.hi as f64) / 2.0
    }

    /// True if no censored cell went into the sum.
    pub fn is_exact(&self) -> bool {
        self.censored_cells == 0
    }
}

impl FromIterator<Value> for Bounds {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        let mut b = Bounds::ZERO;
        for v in iter {
            b.add(v);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_glotip_values() {
        assert_eq!(parse_value("103").unwrap().value, Value::Exact(103));
        let p = parse_value("1,282").unwrap();
        assert_eq!(p.value, Value::Exact(1282));
        assert!(p.had_thousands);
        assert_eq!(
            parse_value("12,345,678").unwrap().value,
            Value::Exact(12_345_678)
        );
        assert_eq!(parse_value("<5").unwrap().value, Value::LESS_THAN_FIVE);
        assert_eq!(parse_value(" <5 ").unwrap().value.hi(), 4);
        assert_ne!(parse_value("<5").unwrap().value, Value::Exact(5));
        assert_eq!(parse_value("0").unwrap().value, Value::Exact(0));
    }

    #[test]
    fn rejects_non_counts() {
        assert_eq!(parse_value(""), Err(ValueRule::Empty));
        assert_eq!(parse_value("  "), Err(ValueRule::Empty));
        assert_eq!(parse_value("-3"), Err(ValueRule::NotACount));
        assert_eq!(parse_value("1.5"), Err(ValueRule::NotACount));
        assert_eq!(parse_value("n/a"), Err(ValueRule::NotACount));
        assert_eq!(parse_value("1,28"), Err(ValueRule::BadThousands));
        assert_eq!(parse_value(",128"), Err(ValueRule::BadThousands));
        assert_eq!(parse_value("1282,"), Err(ValueRule::BadThousands));
        assert_eq!(parse_value("<0"), Err(ValueRule::OutOfRange));
        assert_eq!(parse_value("<"), Err(ValueRule::NotACount));
        assert_eq!(
            parse_value("99999999999999999999999"),
            Err(ValueRule::OutOfRange)
        );
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0u64..1_000_000).prop_map(Value::Exact),
            Just(Value::LESS_THAN_FIVE),
        ]
    }

    proptest! {
        #[test]
        fn censored_sums_are_consistent(vals in proptest::collection::vec(arb_value(), 0..200)) {
            let b: Bounds = vals.iter().copied().collect();
            let exact: u64 = vals.iter().filter_map(|v| match v { Value::Exact(x) => Some(*x), _ => None }).sum();
            let censored = vals.iter().filter(|v| v.is_censored()).count() as u64;
            prop_assert!(b.lo <= b.hi);
            prop_assert_eq!(b.lo, exact);
            prop_assert_eq!(b.hi, exact + 4 * censored);
            prop_assert_eq!(b.censored_cells, censored);
            prop_assert_eq!(b.cells(), vals.len() as u64);
        }

        #[test]
        fn merge_equals_sum_of_concatenation(a in proptest::collection::vec(arb_value(), 0..50),
                                             c in proptest::collection::vec(arb_value(), 0..50)) {
            let mut x: Bounds = a.iter().copied().collect();
            x.merge(&c.iter().copied().collect());
            let y: Bounds = a.iter().chain(c.iter()).copied().collect();
            prop_assert_eq!(x, y);
        }

        #[test]
        fn formatted_counts_round_trip(n in 0u64..10_000_000_000) {
            let plain = n.to_string();
            let mut grouped = String::new();
            for (i, ch) in plain.chars().enumerate() {
                if i > 0 && (plain.len() - i) % 3 == 0 { grouped.push(','); }
                grouped.push(ch);
            }
            prop_assert_eq!(parse_value(&plain).unwrap().value, Value::Exact(n));
            prop_assert_eq!(parse_value(&grouped).unwrap().value, Value::Exact(n));
        }
    }
}
