//! DP synthetic microdata by marginal-based synthesis (in the spirit of MST, McKenna et al.
//! 2021): noisy 1-way and 2-way marginals, a private maximum spanning tree of column pairs,
//! a tree-structured model consistent with the noisy marginals, and sampling with controlled
//! rounding.
//!
//! # Algorithm and privacy argument
//! With `m` columns, `c` records per person (see [`super::aggregates::bound_contributions`]) and
//! budget ρ split as ρ₁ + ρ₂ + ρ₃ (default 5% / 65% / 30%):
//! 1. **1-way**: every column's full-domain histogram gets N_Z(0, σ₁²); the `m` histograms
//!    have L2 sensitivity `c√m`, σ₁² = c²m/(2ρ₁).
//! 2. **Selection**: all `m(m−1)/2` pair histograms get N_Z(0, σ₂²) (L2 sensitivity
//!    `c√(m(m−1)/2)`). Each pair is scored from *its noisy counts only* by its L1 distance from
//!    independence, minus the noise's expected contribution; a maximum spanning tree of these
//!    scores is chosen (post-processing).
//! 3. **Cliques**: columns are ordered by a breadth-first walk of the tree from the first
//!    column. Each later column `X` gets its tree parent `P` and, when the cross product stays
//!    below `max_clique_cells`, a second parent `Q`: the earlier column with the best selection
//!    score with `X` (a degree-2 Bayesian network, as in PrivBayes). The `m−1` cliques
//!    (`P,Q,X` or `P,X`) are measured with N_Z(0, σ₃²) (L2 sensitivity `c√(m−1)`).
//!
//! The three steps are ρ₁-, ρ₂- and ρ₃-zCDP and compose to ρ. Everything below is
//! post-processing of the noisy counts:
//! * 1-way estimates combine the 1-way measurement with the sums of every pair measurement
//!   (inverse-variance weights); each noisy histogram is projected onto the simplex
//!   `{x ≥ 0, Σx = N̂}` (N̂: the noisy total), which removes most noise from empty cells;
//! * pair estimates combine the selection measurement with the clique's sums over its third
//!   column, and are fitted to the 1-way estimates by iterative proportional fitting (IPF);
//! * a clique table is fitted by IPF to the (P,X) and (Q,X) estimates and to the (P,Q)
//!   distribution of the records generated so far, giving `P(X | P, Q)`;
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
    /// Largest 3-way clique (cells) measured; larger ones fall back to one parent.
    pub max_clique_cells: u64,
}

impl SynthConfig {
    pub fn new(rho: f64) -> Self {
        SynthConfig {
            columns: None,
            rho,
            shares: [0.05, 0.65, 0.3],
            person_id: None,
            max_records_per_person: 1,
            seed: 0,
            rows: None,
            max_cells: 1 << 22,
            max_clique_cells: 2_000,
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

#[derive(Debug, Clone, Copy)]
struct Clique {
    x: usize,
    p: usize,
    q: Option<usize>,
}

/// IPF of a 3-way table [P][Q][X] to its (P,Q), (P,X) and (Q,X) targets.
fn ipf3(x: &mut [f64], [np, nq, nx]: [usize; 3], pq: &[f64], px: &[f64], qx: &[f64]) {
    let idx = |i: usize, j: usize, k: usize| (i * nq + j) * nx + k;
    for _ in 0..25 {
        let mut s = vec![0.0; np * nx];
        for i in 0..np {
            for j in 0..nq {
                for k in 0..nx {
                    s[i * nx + k] += x[idx(i, j, k)];
                }
            }
        }
        for i in 0..np {
            for j in 0..nq {
                for k in 0..nx {
                    let d = s[i * nx + k];
                    if d > 0.0 {
                        x[idx(i, j, k)] *= px[i * nx + k] / d;
                    }
                }
            }
        }
        let mut s = vec![0.0; nq * nx];
        for i in 0..np {
            for j in 0..nq {
                for k in 0..nx {
                    s[j * nx + k] += x[idx(i, j, k)];
                }
            }
        }
        for i in 0..np {
            for j in 0..nq {
                for k in 0..nx {
                    let d = s[j * nx + k];
                    if d > 0.0 {
                        x[idx(i, j, k)] *= qx[j * nx + k] / d;
                    }
                }
            }
        }
        for i in 0..np * nq {
            let d: f64 = x[i * nx..(i + 1) * nx].iter().sum();
            if d > 0.0 {
                let f = pq[i] / d;
                x[i * nx..(i + 1) * nx].iter_mut().for_each(|v| *v *= f);
            }
        }
    }
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
    let mut p1: Vec<Vec<f64>> = one.iter().map(|y| project_simplex(y, total)).collect();

    // 2. selection on all pairs
    let pairs = combinations(m, 2);
    let mut sigmas = [n1.sigma(), 0.0, 0.0];
    let mut tree_pairs: Vec<(usize, usize)> = Vec::new();
    let mut pair_meas: Vec<Option<Vec<f64>>> = vec![None; pairs.len()];
    let mut sigma2 = f64::INFINITY;
    let mut score = vec![vec![f64::NEG_INFINITY; m]; m];
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
            let sc = l1 - bias.min(l1 * 0.9);
            score[pr[0]][pr[1]] = sc;
            score[pr[1]][pr[0]] = sc;
            scores.push((sc, k));
            pair_meas[k] = Some(y);
        }
        // refine the 1-way estimates with the pair measurements' sums (inverse variance)
        let v1 = sigmas[0] * sigmas[0];
        let mut acc: Vec<(Vec<f64>, f64)> = one
            .iter()
            .map(|y| (y.iter().map(|v| v / v1).collect(), 1.0 / v1))
            .collect();
        for (k, pr) in pairs.iter().enumerate() {
            let y = pair_meas[k].as_deref().unwrap_or(&[]);
            let (na, nb) = (one[pr[0]].len(), one[pr[1]].len());
            let (va, vb) = (nb as f64 * sigma2 * sigma2, na as f64 * sigma2 * sigma2);
            for i in 0..na {
                let s: f64 = y[i * nb..(i + 1) * nb].iter().sum();
                acc[pr[0]].0[i] += s / va;
            }
            acc[pr[0]].1 += 1.0 / va;
            for j in 0..nb {
                let s: f64 = (0..na).map(|i| y[i * nb + j]).sum();
                acc[pr[1]].0[j] += s / vb;
            }
            acc[pr[1]].1 += 1.0 / vb;
        }
        p1 = acc
            .iter()
            .map(|(num, w)| {
                let y: Vec<f64> = num.iter().map(|v| v / w).collect();
                project_simplex(&y, total)
            })
            .collect();
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

    // 3. generation order (BFS of the tree from column 0), cliques, measurement
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); m];
    for &(a, b) in &tree_pairs {
        adj[a].push(b);
        adj[b].push(a);
    }
    let root = 0usize;
    let mut order: Vec<(usize, Option<usize>)> = vec![(root, None)];
    let mut placed = vec![false; m];
    placed[root] = true;
    let mut head = 0;
    while head < order.len() {
        let u = order[head].0;
        head += 1;
        for &v in &adj[u] {
            if !placed[v] {
                placed[v] = true;
                order.push((v, Some(u)));
            }
        }
    }
    for (k, p) in placed.iter().enumerate() {
        if !p {
            order.push((k, None));
        }
    }
    let size = |k: usize| p1[k].len();
    let mut cliques: Vec<Clique> = Vec::new();
    for (pos, &(x, parent)) in order.iter().enumerate() {
        let Some(tree_parent) = parent else { continue };
        let earlier: Vec<usize> = order[..pos].iter().map(|o| o.0).collect();
        let p = tree_parent;
        let q = earlier
            .iter()
            .copied()
            .filter(|&q| q != p && (size(x) * size(p) * size(q)) as u64 <= config.max_clique_cells)
            .max_by(|&a, &b| score[x][a].total_cmp(&score[x][b]));
        cliques.push(Clique { x, p, q });
    }
    let mut clique_meas: Vec<Vec<f64>> = Vec::with_capacity(cliques.len());
    let mut sigma3 = f64::INFINITY;
    if !cliques.is_empty() {
        let n3 = DiscreteGaussian::for_zcdp(c * (cliques.len() as f64).sqrt(), rho[2])?;
        sigma3 = n3.sigma();
        sigmas[2] = sigma3;
        for cl in &cliques {
            let tc: Vec<usize> = match cl.q {
                Some(q) => vec![cols[cl.p], cols[q], cols[cl.x]],
                None => vec![cols[cl.p], cols[cl.x]],
            };
            clique_meas.push(noisy(
                &Marginal::count_ordered(table, &tc, Some(&rows)),
                &n3,
            )?);
        }
    }
    // pair estimate [a][b]: selection measurement (+ an extra one), projected, fitted to 1-ways
    let pair_est = |a: usize, b: usize, extra: Option<(&[f64], f64)>| -> Vec<f64> {
        let (na, nb) = (size(a), size(b));
        let (lo, hi) = (a.min(b), a.max(b));
        let k = pairs.iter().position(|pr| pr[0] == lo && pr[1] == hi);
        let mut y = vec![0.0; na * nb];
        if let Some(meas) = k.and_then(|k| pair_meas[k].as_ref()) {
            for i in 0..na {
                for j in 0..nb {
                    y[i * nb + j] = if a < b {
                        meas[i * nb + j]
                    } else {
                        meas[j * na + i]
                    };
                }
            }
        }
        if let Some((e, var)) = extra {
            let (w2, w3) = (1.0 / (sigma2 * sigma2), 1.0 / var);
            for (v, z) in y.iter_mut().zip(e) {
                *v = (*v * w2 + z * w3) / (w2 + w3);
            }
        }
        let mut x = project_simplex(&y, total);
        for i in 0..na {
            for j in 0..nb {
                x[i * nb + j] += 1e-3 * p1[a][i] * p1[b][j] / total;
            }
        }
        ipf(&mut x, na, nb, &p1[a], &p1[b]);
        x
    };

    // 4. sample in order
    let n_out = config.rows.unwrap_or(total.round() as usize);
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
    let mut codes: Vec<Option<Vec<u32>>> = vec![None; m];
    let mut tree_out = Vec::new();
    let mut ci = 0usize;
    for &(x, parent) in &order {
        let Some(p) = parent else {
            let mut v = systematic(&p1[x], n_out, &mut rng);
            v.shuffle(&mut rng);
            codes[x] = Some(v);
            continue;
        };
        let cl = cliques[ci];
        let y = &clique_meas[ci];
        ci += 1;
        let (nx, np) = (size(x), size(p));
        // conditional tables by group key
        let pc = codes[p].clone().unwrap_or_default();
        let (keys, ngroups, cond): (Vec<usize>, usize, Vec<f64>) = match cl.q {
            None => {
                let t = pair_est(p, x, Some((y, sigma3 * sigma3)));
                (pc.iter().map(|&v| v as usize).collect(), np, t)
            }
            Some(q) => {
                let nq = size(q);
                let qc = codes[q].clone().unwrap_or_default();
                // (P, X) from the selection measurement and Σ_Q of the clique
                let mut px = vec![0.0; np * nx];
                for i in 0..np {
                    for j in 0..nq {
                        for k in 0..nx {
                            px[i * nx + k] += y[(i * nq + j) * nx + k];
                        }
                    }
                }
                let t_px = pair_est(p, x, Some((&px, nq as f64 * sigma3 * sigma3)));
                let mut qx = vec![0.0; nq * nx];
                for i in 0..np {
                    for j in 0..nq {
                        for k in 0..nx {
                            qx[j * nx + k] += y[(i * nq + j) * nx + k];
                        }
                    }
                }
                let t_qx = pair_est(q, x, Some((&qx, np as f64 * sigma3 * sigma3)));
                let keys: Vec<usize> = pc
                    .iter()
                    .zip(&qc)
                    .map(|(&a, &b)| a as usize * nq + b as usize)
                    .collect();
                let mut t_pq = vec![0.0; np * nq];
                let f = total / n_out.max(1) as f64;
                for &k in &keys {
                    t_pq[k] += f;
                }
                let mut x3 = project_simplex(y, total);
                for i in 0..np * nq {
                    for k in 0..nx {
                        x3[i * nx + k] += 1e-3 * t_pq[i] * p1[x][k] / total;
                    }
                }
                ipf3(&mut x3, [np, nq, nx], &t_pq, &t_px, &t_qx);
                (keys, np * nq, x3)
            }
        };
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); ngroups];
        for (r, &k) in keys.iter().enumerate() {
            groups[k].push(r);
        }
        let mut out = vec![0u32; n_out];
        for (g, mut members) in groups.into_iter().enumerate() {
            if members.is_empty() {
                continue;
            }
            let row = &cond[g * nx..(g + 1) * nx];
            let row: Vec<f64> = if row.iter().sum::<f64>() > 0.0 {
                row.to_vec()
            } else {
                p1[x].clone()
            };
            let draws = systematic(&row, members.len(), &mut rng);
            members.shuffle(&mut rng);
            for (r, v) in members.into_iter().zip(draws) {
                out[r] = v;
            }
        }
        codes[x] = Some(out);
        tree_out.push((p, x));
        if let Some(q) = cl.q {
            tree_out.push((q, x));
        }
    }
    let order = tree_out;

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
