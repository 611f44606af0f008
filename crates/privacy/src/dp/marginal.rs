//! Counting marginals over the full cross product of column domains (mixed-radix cell index,
//! first column most significant).

use crate::table::Table;

use super::DpError;

/// A marginal: a set of table columns (ascending indices) and one count per cell of the cross
/// product of their value lists.
#[derive(Debug, Clone)]
pub(crate) struct Marginal {
    pub cols: Vec<usize>,
    pub sizes: Vec<usize>,
    pub counts: Vec<f64>,
}

pub(crate) fn n_cells(sizes: &[usize]) -> u128 {
    sizes.iter().map(|&s| s as u128).product()
}

/// Checks the cross-product size against `limit`.
pub(crate) fn check_cells(table: &Table, cols: &[usize], limit: u64) -> Result<usize, DpError> {
    let sizes: Vec<usize> = cols
        .iter()
        .map(|&c| table.columns[c].values.len().max(1))
        .collect();
    let cells = n_cells(&sizes);
    if cells > limit as u128 {
        return Err(DpError::TooManyCells {
            columns: cols
                .iter()
                .map(|&c| table.columns[c].name.clone())
                .collect(),
            cells,
            limit,
        });
    }
    Ok(cells as usize)
}

impl Marginal {
    /// Counts the rows `rows` (all rows if `None`) of `table` over `cols`.
    pub fn count(table: &Table, cols: &[usize], rows: Option<&[u32]>) -> Marginal {
        let sizes: Vec<usize> = cols
            .iter()
            .map(|&c| table.columns[c].values.len().max(1))
            .collect();
        let mut counts = vec![0.0; n_cells(&sizes) as usize];
        let codes: Vec<&[u32]> = cols
            .iter()
            .map(|&c| table.columns[c].codes.as_slice())
            .collect();
        let mut add = |r: usize| {
            let mut idx = 0usize;
            for (k, col) in codes.iter().enumerate() {
                idx = idx * sizes[k] + col[r] as usize;
            }
            counts[idx] += 1.0;
        };
        match rows {
            Some(rows) => rows.iter().for_each(|&r| add(r as usize)),
            None => (0..table.n_rows()).for_each(add),
        }
        Marginal {
            cols: cols.to_vec(),
            sizes,
            counts,
        }
    }

    /// Like [`Marginal::count`] but keeps the given column order (which need not be ascending).
    pub fn count_ordered(table: &Table, cols: &[usize], rows: Option<&[u32]>) -> Marginal {
        Self::count(table, cols, rows)
    }

    /// The codes of cell `idx`, one per column.
    pub fn decode(&self, mut idx: usize) -> Vec<u32> {
        let mut out = vec![0u32; self.sizes.len()];
        for k in (0..self.sizes.len()).rev() {
            out[k] = (idx % self.sizes[k]) as u32;
            idx /= self.sizes[k];
        }
        out
    }

    /// The cell index of `codes`.
    pub fn encode(sizes: &[usize], codes: &[u32]) -> usize {
        codes
            .iter()
            .zip(sizes)
            .fold(0usize, |acc, (&c, &s)| acc * s + c as usize)
    }

    /// Sums this marginal onto the subset `keep` of its columns (positions into `self.cols`).
    #[allow(dead_code)] // used by the synthesiser
    pub fn project(&self, keep: &[usize]) -> Marginal {
        let sizes: Vec<usize> = keep.iter().map(|&k| self.sizes[k]).collect();
        let mut counts = vec![0.0; n_cells(&sizes) as usize];
        let mut codes = vec![0u32; self.sizes.len()];
        for (idx, &v) in self.counts.iter().enumerate() {
            if v == 0.0 {
                advance(&mut codes, &self.sizes);
                continue;
            }
            let mut j = 0usize;
            for &k in keep {
                j = j * self.sizes[k] + codes[k] as usize;
            }
            counts[j] += v;
            let _ = idx;
            advance(&mut codes, &self.sizes);
        }
        Marginal {
            cols: keep.iter().map(|&k| self.cols[k]).collect(),
            sizes,
            counts,
        }
    }
}

/// Increments a mixed-radix counter (last digit fastest).
#[allow(dead_code)]
pub(crate) fn advance(codes: &mut [u32], sizes: &[usize]) {
    for k in (0..sizes.len()).rev() {
        codes[k] += 1;
        if (codes[k] as usize) < sizes[k] {
            return;
        }
        codes[k] = 0;
    }
}

/// All `k`-subsets of `0..n`, in lexicographic order.
pub(crate) fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if k == 0 || k > n {
        return out;
    }
    let mut cur: Vec<usize> = (0..k).collect();
    loop {
        out.push(cur.clone());
        let mut i = k;
        loop {
            if i == 0 {
                return out;
            }
            i -= 1;
            if cur[i] < n - k + i {
                cur[i] += 1;
                for j in i + 1..k {
                    cur[j] = cur[j - 1] + 1;
                }
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combos() {
        assert_eq!(combinations(4, 2).len(), 6);
        assert_eq!(combinations(3, 3), vec![vec![0, 1, 2]]);
        assert!(combinations(2, 3).is_empty());
    }

    #[test]
    fn count_and_project() {
        let rows: Vec<Vec<String>> = [["a", "x"], ["b", "x"], ["a", "y"], ["a", "x"]]
            .iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect();
        let t = Table::from_rows(&["p", "q"], rows);
        let m = Marginal::count(&t, &[0, 1], None);
        assert_eq!(m.counts, vec![2.0, 1.0, 1.0, 0.0]);
        assert_eq!(m.decode(2), vec![1, 0]);
        assert_eq!(Marginal::encode(&m.sizes, &[1, 0]), 2);
        assert_eq!(m.project(&[1]).counts, vec![3.0, 1.0]);
        assert_eq!(m.project(&[0]).counts, vec![3.0, 1.0]);
    }
}
