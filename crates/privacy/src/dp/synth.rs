//! DP synthetic microdata by marginal-based synthesis (in the spirit of MST, McKenna et al.
//! 2021): noisy 1-way and 2-way marginals, a private maximum spanning tree of column pairs,
//! a tree-structured model consistent with the noisy marginals, and sampling with controlled
//! rounding.
//!
//! # Algorithm and privacy argument
//! With `m` columns, `c` records per person (see [`super::aggregates::bound_contributions`]) and
//! budget ρ split as ρ₁ + ρ₂ + ρ₃ (default 10% / 30% / 60%):
//! 1. **1-way**: every column's full-domain histogram gets N_Z(0, σ₁²); the `m` histograms
//!    have L2 sensitivity `c√m`, σ₁² = c²m/(2ρ₁).
//! 2. **Selection**: all `m(m−1)/2` pair histograms get N_Z(0, σ₂²) (L2 sensitivity
//!    `c√(m(m−1)/2)`). Each pair is scored from *its noisy counts only* by its L1 distance from
//!    independence, minus the noise's expected contribution; a maximum spanning tree of these
//!    scores is chosen (post-processing).
//! 3. **Measurement**: the `m−1` tree pairs are measured again with N_Z(0, σ₃²)
//!    (L2 sensitivity `c√(m−1)`) and combined with step 2's measurement of the same pair by
//!    inverse-variance weighting.
//!
//! The three steps are ρ₁-, ρ₂- and ρ₃-zCDP and compose to ρ. Everything below is
//! post-processing of the noisy counts:
//! * each noisy histogram is projected onto the simplex `{x ≥ 0, Σx = N̂}` (N̂: the noisy total
//!   estimated from the 1-way histograms), which removes most noise from empty cells;
//! * each tree pair is made consistent with its two columns' 1-way estimates by iterative
//!   proportional fitting, giving the model `P(root) Π P(child | parent)`;
//! * records are generated top-down along the tree: the root's values by systematic sampling
//!   (counts within ±1 of N̂·p), then, within each group of records sharing a parent value, the
//!   child's values by systematic sampling of the conditional, assigned to the group's records in
//!   random order. The seed only drives this sampling step; the noise always comes from the
//!   OpenDP sampler.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::aggregates::bound_contributions;
use super::marginal::{check_cells, combinations, Marginal};
use super::noise::DiscreteGaussian;
use super::DpError;
use crate::table::{Table, TableBuilder};

/// Settings of the synthesiser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthConfig {
    /// Columns to synthesise (`None`: every column except the person id).
    pub columns: Option<Vec<String>>,
    /// Total zCDP budget.
    pub rho: f64,
    /// Shares of ρ for 1-way, selection and tree measurement (normalised).
    pub shares: [f64; 3],
    pub person_id: Option<String>,
    pub max_records_per_person: usize,
    /// Seed of the sampling step only.
    pub seed: u64,
    /// Number of records to generate (`None`: the noisy total).
    pub rows: Option<usize>,
    /// Largest cross product of a pair of columns (default 2^22).
    pub max_cells: u64,
}

impl SynthConfig {
    pub fn new(rho: f64) -> Self {
        SynthConfig {
            columns: None,
            rho,
            shares: [0.1, 0.3, 0.6],
            person_id: None,
            max_records_per_person: 1,
            seed: 0,
            rows: None,
            max_cells: 1 << 22,
        }
    }
}

/// The synthetic table and what was done to make it.
#[derive(Debug, Clone)]
pub struct Synthesis {
    pub table: Table,
    /// The tree's pairs (parent, child), in generation order.
    pub tree: Vec<(String, String)>,
    pub rho: f64,
    /// σ of the 1-way, selection and tree measurements.
    pub sigmas: [f64; 3],
    pub noisy_total: f64,
}

/// Euclidean projection of `y` onto `{x ≥ 0, Σx = total}`.
pub(crate) fn project_simplex(y: &[f64], total: f64) -> Vec<f64> {
    if y.is_empty() {
        return Vec::new();
    }
    if total <= 0.0 {
        return vec![0.0; y.len()];
    }
    let mut sorted: Vec<f64> = y.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut cum = 0.0;
    let mut lambda = 0.0;
    for (i, &v) in sorted.iter().enumerate() {
        cum += v;
        let l = (cum - total) / (i as f64 + 1.0);
        if v - l > 0.0 {
            lambda = l;
        } else {
            break;
        }
    }
    y.iter().map(|&v| (v - lambda).max(0.0)).collect()
}

fn noisy(m: &Marginal, noise: &DiscreteGaussian) -> Result<Vec<f64>, DpError> {
    m.counts
        .iter()
        .map(|&c| Ok(c + noise.sample()? as f64))
        .collect()
}

/// Fits a 2-way table (rows a, columns b) to the 1-way targets by iterative proportional fitting.
fn ipf(x: &mut [f64], na: usize, nb: usize, pa: &[f64], pb: &[f64]) {
    for _ in 0..30 {
        for i in 0..na {
            let s: f64 = x[i * nb..(i + 1) * nb].iter().sum();
            if s > 0.0 {
                let f = pa[i] / s;
                x[i * nb..(i + 1) * nb].iter_mut().for_each(|v| *v *= f);
            }
        }
        for j in 0..nb {
            let s: f64 = (0..na).map(|i| x[i * nb + j]).sum();
            if s > 0.0 {
                let f = pb[j] / s;
                (0..na).for_each(|i| x[i * nb + j] *= f);
            }
        }
    }
}

/// Systematic sampling: `n` draws with counts within ±1 of `n·p`, random offset.
fn systematic(p: &[f64], n: usize, rng: &mut ChaCha20Rng) -> Vec<u32> {
    let total: f64 = p.iter().sum();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    if total <= 0.0 {
        // no information: uniform
        for _ in 0..n {
            out.push(rng.random_range(0..p.len().max(1)) as u32);
        }
        return out;
    }
    let step = total / n as f64;
    let mut u = rng.random::<f64>() * step;
    let mut cum = 0.0;
    let mut k = 0usize;
    for (i, &w) in p.iter().enumerate() {
        cum += w;
        while k < n && u < cum {
            out.push(i as u32);
            k += 1;
            u += step;
        }
    }
    while out.len() < n {
        out.push((p.len() - 1) as u32);
    }
    out
}

/// Synthesises a table (see the module docs).
pub fn synthesize(table: &Table, config: &SynthConfig) -> Result<Synthesis, DpError> {
    if !(config.rho.is_finite() && config.rho > 0.0) {
        return Err(DpError::InvalidRho(config.rho));
    }
    if config.shares.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(DpError::InvalidParameter(format!(
            "budget shares must be positive, got {:?}",
            config.shares
        )));
    }
    let names: Vec<String> = match &config.columns {
        Some(c) => c.clone(),
        None => table
            .names()
            .into_iter()
            .filter(|n| Some(*n) != config.person_id.as_deref())
            .map(String::from)
            .collect(),
    };
    if names.is_empty() {
        return Err(DpError::NoColumns);
    }
    let mut cols = Vec::new();
    for n in &names {
        let i = table
            .column_index(n)
            .map_err(|_| DpError::UnknownColumn(n.clone()))?;
        if cols.contains(&i) {
            return Err(DpError::DuplicateColumn(n.clone()));
        }
        if config.person_id.as_deref() == Some(n.as_str()) {
            return Err(DpError::InvalidParameter(format!(
                "the person-id column {n:?} cannot be synthesised"
            )));
        }
        cols.push(i);
    }
    if table.n_rows() == 0 {
        return Err(DpError::EmptyTable);
    }
    for pair in combinations(cols.len(), 2) {
        check_cells(table, &[cols[pair[0]], cols[pair[1]]], config.max_cells)?;
    }
    let rows = bound_contributions(
        table,
        config.person_id.as_deref(),
        config.max_records_per_person,
    )?;
    let c = config.max_records_per_person as f64;
    let m = cols.len();
    let share_sum: f64 = config.shares.iter().sum();
    let rho: Vec<f64> = config
        .shares
        .iter()
        .map(|s| config.rho * s / share_sum)
        .collect();

    // 1. one-way
    let n1 = DiscreteGaussian::for_zcdp(c * (m as f64).sqrt(), rho[0])?;
    let mut one: Vec<Vec<f64>> = Vec::with_capacity(m);
    for &col in &cols {
        one.push(noisy(&Marginal::count(table, &[col], Some(&rows)), &n1)?);
    }
    // noisy total: inverse-variance average of the 1-way sums (variance K·σ₁² each)
    let (mut num, mut den) = (0.0, 0.0);
    for y in &one {
        let w = 1.0 / y.len() as f64;
        num += w * y.iter().sum::<f64>();
        den += w;
    }
    let total = (num / den).max(1.0);
    let p1: Vec<Vec<f64>> = one.iter().map(|y| project_simplex(y, total)).collect();

    // 2. selection on all pairs
    let pairs = combinations(m, 2);
    let mut sigmas = [n1.sigma(), 0.0, 0.0];
    let mut tree_pairs: Vec<(usize, usize)> = Vec::new();
    let mut pair_meas: Vec<Option<Vec<f64>>> = vec![None; pairs.len()];
    let mut sigma2 = f64::INFINITY;
    if m > 1 {
        let n2 = DiscreteGaussian::for_zcdp(c * (pairs.len() as f64).sqrt(), rho[1])?;
        sigma2 = n2.sigma();
        sigmas[1] = sigma2;
        let mut scores = Vec::with_capacity(pairs.len());
        for (k, pr) in pairs.iter().enumerate() {
            let marg = Marginal::count(table, &[cols[pr[0]], cols[pr[1]]], Some(&rows));
            let y = noisy(&marg, &n2)?;
            let x = project_simplex(&y, total);
            let (na, nb) = (p1[pr[0]].len(), p1[pr[1]].len());
            let mut l1 = 0.0;
            for i in 0..na {
                for j in 0..nb {
                    l1 += (x[i * nb + j] - p1[pr[0]][i] * p1[pr[1]][j] / total).abs();
                }
            }
            // expected L1 of pure noise on the cells, a (loose) bias correction
            let bias = (na * nb) as f64 * sigma2 * (2.0 / std::f64::consts::PI).sqrt() * 0.5;
            scores.push((l1 - bias.min(l1 * 0.9), k));
            pair_meas[k] = Some(y);
        }
        // maximum spanning tree (Kruskal)
        scores.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut parent: Vec<usize> = (0..m).collect();
        fn find(p: &mut [usize], x: usize) -> usize {
            let mut r = x;
            while p[r] != r {
                r = p[r];
            }
            let mut x = x;
            while p[x] != r {
                let n = p[x];
                p[x] = r;
                x = n;
            }
            r
        }
        for &(_, k) in &scores {
            let (a, b) = (pairs[k][0], pairs[k][1]);
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                parent[ra] = rb;
                tree_pairs.push((a, b));
            }
        }
    }

    // 3. measure the tree pairs again, combine, project, fit
    let mut edge_tables: Vec<Vec<f64>> = Vec::new();
    if !tree_pairs.is_empty() {
        let n3 = DiscreteGaussian::for_zcdp(c * (tree_pairs.len() as f64).sqrt(), rho[2])?;
        sigmas[2] = n3.sigma();
        let (w2, w3) = (1.0 / (sigma2 * sigma2), 1.0 / (n3.sigma() * n3.sigma()));
        for &(a, b) in &tree_pairs {
            let marg = Marginal::count(table, &[cols[a], cols[b]], Some(&rows));
            let y3 = noisy(&marg, &n3)?;
            let k = pairs
                .iter()
                .position(|p| p[0] == a && p[1] == b)
                .unwrap_or(0);
            let y2 = pair_meas[k].as_deref().unwrap_or(&y3);
            let y: Vec<f64> = y2
                .iter()
                .zip(&y3)
                .map(|(u, v)| (u * w2 + v * w3) / (w2 + w3))
                .collect();
            let mut x = project_simplex(&y, total);
            let (na, nb) = (p1[a].len(), p1[b].len());
            // a little independence mass so that IPF can reach every 1-way target
            for i in 0..na {
                for j in 0..nb {
                    x[i * nb + j] += 1e-3 * p1[a][i] * p1[b][j] / total;
                }
            }
            ipf(&mut x, na, nb, &p1[a], &p1[b]);
            edge_tables.push(x);
        }
    }

    // 4. sample along the tree from a root
    let n_out = config.rows.unwrap_or(total.round() as usize);
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
    let mut codes: Vec<Option<Vec<u32>>> = vec![None; m];
    let root = 0usize;
    codes[root] = Some({
        let mut v = systematic(&p1[root], n_out, &mut rng);
        v.shuffle(&mut rng);
        v
    });
    let mut order = Vec::new();
    let mut done = vec![false; m];
    done[root] = true;
    let mut progressed = true;
    while progressed {
        progressed = false;
        for (e, &(a, b)) in tree_pairs.iter().enumerate() {
            let (parent, child, parent_is_a) = if done[a] && !done[b] {
                (a, b, true)
            } else if done[b] && !done[a] {
                (b, a, false)
            } else {
                continue;
            };
            let (na, nb) = (p1[a].len(), p1[b].len());
            let x = &edge_tables[e];
            let pcodes = codes[parent].clone().unwrap_or_default();
            let np = p1[parent].len();
            let nc = p1[child].len();
            let mut groups: Vec<Vec<usize>> = vec![Vec::new(); np];
            for (r, &pc) in pcodes.iter().enumerate() {
                groups[pc as usize].push(r);
            }
            let mut out = vec![0u32; n_out];
            for (u, mut members) in groups.into_iter().enumerate() {
                if members.is_empty() {
                    continue;
                }
                let cond: Vec<f64> = (0..nc)
                    .map(|v| {
                        if parent_is_a {
                            x[u * nb + v]
                        } else {
                            x[v * nb + u]
                        }
                    })
                    .collect();
                let cond = if cond.iter().sum::<f64>() > 0.0 {
                    cond
                } else {
                    p1[child].clone()
                };
                let draws = systematic(&cond, members.len(), &mut rng);
                members.shuffle(&mut rng);
                for (r, v) in members.into_iter().zip(draws) {
                    out[r] = v;
                }
            }
            let _ = na;
            codes[child] = Some(out);
            done[child] = true;
            order.push((parent, child));
            progressed = true;
        }
    }
    // columns not reached (only when m == 1 or a disconnected tree): independent
    for k in 0..m {
        if codes[k].is_none() {
            let mut v = systematic(&p1[k], n_out, &mut rng);
            v.shuffle(&mut rng);
            codes[k] = Some(v);
        }
    }

    let mut builder = TableBuilder::new(names.clone());
    let cols_codes: Vec<Vec<u32>> = codes.into_iter().map(Option::unwrap_or_default).collect();
    for r in 0..n_out {
        builder.push(
            cols.iter()
                .zip(&cols_codes)
                .map(|(&tc, cc)| table.columns[tc].values[cc[r] as usize].as_str()),
        );
    }
    Ok(Synthesis {
        table: builder.finish(),
        tree: order
            .into_iter()
            .map(|(p, ch)| (names[p].clone(), names[ch].clone()))
            .collect(),
        rho: config.rho,
        sigmas,
        noisy_total: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplex_projection() {
        let x = project_simplex(&[5.0, -3.0, 1.0, 0.5], 4.0);
        assert!((x.iter().sum::<f64>() - 4.0).abs() < 1e-9);
        assert!(x.iter().all(|&v| v >= 0.0));
        assert_eq!(x[1], 0.0);
        let x = project_simplex(&[1.0, 1.0], 4.0);
        assert_eq!(x, vec![2.0, 2.0]);
    }

    #[test]
    fn systematic_counts_are_close() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let d = systematic(&[0.5, 0.25, 0.25], 101, &mut rng);
        let c0 = d.iter().filter(|&&v| v == 0).count();
        assert!((50..=51).contains(&c0));
        assert_eq!(d.len(), 101);
    }
}
