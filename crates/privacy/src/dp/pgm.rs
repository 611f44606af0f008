//! A junction-tree graphical model fitted to noisy marginals (in the spirit of Private-PGM,
//! McKenna, Sheldon & Miklau 2019): one consistent distribution estimated from *all* the noisy
//! measurements jointly, instead of fitting each table on its own.
//!
//! The model is `p(x) = Π_C p_C(x_C) / Π_S p_S(x_S)` over the cliques `C` of a junction tree
//! (separators `S`), parametrised by log-potentials θ_C. Its clique marginals are computed
//! exactly by two-pass belief propagation, and θ is fitted by entropic mirror descent on
//! `L(μ) = Σ_i ‖M_i μ − y_i‖² / (2σ_i²)` (each measurement `y_i` a noisy marginal on a subset of
//! one clique, `σ_i` its noise scale), with a backtracking step size. Everything here is
//! post-processing of the noisy counts.

/// A noisy marginal on `vars` (ascending model-variable indices), cells in mixed radix order
/// (first variable most significant).
#[derive(Debug, Clone)]
pub(crate) struct Measurement {
    pub vars: Vec<usize>,
    pub y: Vec<f64>,
    pub sigma: f64,
}

/// For each cell of the table over `vars` (mixed radix), the index of its projection onto
/// `sub` (a subset of `vars`, ascending).
pub(crate) fn index_map(vars: &[usize], sizes: &[usize], sub: &[usize]) -> Vec<u32> {
    let mut stride = vec![0usize; vars.len()];
    let mut s = 1usize;
    for (k, &v) in vars.iter().enumerate().rev() {
        if sub.contains(&v) {
            stride[k] = s;
            s *= sizes[v];
        }
    }
    let cells: usize = vars.iter().map(|&v| sizes[v]).product();
    let mut out = Vec::with_capacity(cells);
    let mut codes = vec![0usize; vars.len()];
    let mut idx = 0usize;
    for _ in 0..cells {
        out.push(idx as u32);
        for k in (0..vars.len()).rev() {
            codes[k] += 1;
            idx += stride[k];
            if codes[k] < sizes[vars[k]] {
                break;
            }
            idx -= stride[k] * codes[k];
            codes[k] = 0;
        }
    }
    out
}

fn project(vals: &[f64], map: &[u32], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n];
    for (v, &j) in vals.iter().zip(map) {
        out[j as usize] += v;
    }
    out
}

fn logsumexp_project(vals: &[f64], map: &[u32], n: usize) -> Vec<f64> {
    let mut mx = vec![f64::NEG_INFINITY; n];
    for (v, &j) in vals.iter().zip(map) {
        let m = &mut mx[j as usize];
        if *v > *m {
            *m = *v;
        }
    }
    let mut s = vec![0.0; n];
    for (v, &j) in vals.iter().zip(map) {
        s[j as usize] += (v - mx[j as usize]).exp();
    }
    s.iter().zip(&mx).map(|(s, m)| m + s.ln()).collect()
}

/// A junction tree: cliques (ascending variables), each but the first attached to an earlier
/// clique.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub sizes: Vec<usize>,
    pub cliques: Vec<Vec<usize>>,
    pub parent: Vec<Option<usize>>,
    pub total: f64,
    /// Separator variables of clique c with its parent (empty for the root).
    pub sep: Vec<Vec<usize>>,
    map_child: Vec<Vec<u32>>,
    map_parent: Vec<Vec<u32>>,
    theta: Vec<Vec<f64>>,
    /// Measurements with the clique they are assigned to and the cell map onto them.
    meas: Vec<(usize, Vec<u32>, Measurement)>,
}

impl Model {
    /// `parent[c] < c` for every non-root clique. Measurements whose variables lie in no clique
    /// are ignored.
    pub fn new(
        sizes: Vec<usize>,
        cliques: Vec<Vec<usize>>,
        parent: Vec<Option<usize>>,
        total: f64,
        measurements: Vec<Measurement>,
    ) -> Model {
        let k = cliques.len();
        let mut sep = vec![Vec::new(); k];
        let mut map_child = vec![Vec::new(); k];
        let mut map_parent = vec![Vec::new(); k];
        for c in 0..k {
            if let Some(p) = parent[c] {
                let s: Vec<usize> = cliques[c]
                    .iter()
                    .copied()
                    .filter(|v| cliques[p].contains(v))
                    .collect();
                map_child[c] = index_map(&cliques[c], &sizes, &s);
                map_parent[c] = index_map(&cliques[p], &sizes, &s);
                sep[c] = s;
            }
        }
        let theta = cliques
            .iter()
            .map(|c| {
                let n: usize = c.iter().map(|&v| sizes[v]).product();
                vec![0.0; n]
            })
            .collect();
        let meas = measurements
            .into_iter()
            .filter_map(|m| {
                let c = cliques
                    .iter()
                    .position(|cl| m.vars.iter().all(|v| cl.contains(v)))?;
                let map = index_map(&cliques[c], &sizes, &m.vars);
                Some((c, map, m))
            })
            .collect();
        Model {
            sizes,
            cliques,
            parent,
            total,
            sep,
            map_child,
            map_parent,
            theta,
            meas,
        }
    }

    fn cells(&self, vars: &[usize]) -> usize {
        vars.iter().map(|&v| self.sizes[v]).product()
    }

    /// Clique marginals (counts summing to `total`) of the model with log-potentials `theta`.
    fn beliefs(&self, theta: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let k = self.cliques.len();
        let mut bel: Vec<Vec<f64>> = theta.to_vec();
        let mut msg: Vec<Vec<f64>> = vec![Vec::new(); k];
        for c in (1..k).rev() {
            let p = self.parent[c].unwrap_or(0);
            let ns = self.cells(&self.sep[c]);
            let m = logsumexp_project(&bel[c], &self.map_child[c], ns);
            let (lo, hi) = bel.split_at_mut(c);
            let _ = hi;
            for (v, &j) in lo[p].iter_mut().zip(&self.map_parent[c]) {
                *v += m[j as usize];
            }
            msg[c] = m;
        }
        for c in 1..k {
            let p = self.parent[c].unwrap_or(0);
            let ns = self.cells(&self.sep[c]);
            let pm = logsumexp_project(&bel[p], &self.map_parent[c], ns);
            let m = &msg[c];
            for (v, &j) in bel[c].iter_mut().zip(&self.map_child[c]) {
                *v += pm[j as usize] - m[j as usize];
            }
        }
        for b in &mut bel {
            let mx = b.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = b.iter().map(|v| (v - mx).exp()).sum();
            let f = self.total / s;
            b.iter_mut().for_each(|v| *v = (*v - mx).exp() * f);
        }
        bel
    }

    fn loss_grad(&self, mu: &[Vec<f64>], grad: Option<&mut Vec<Vec<f64>>>) -> f64 {
        let mut loss = 0.0;
        let mut g = grad;
        if let Some(g) = g.as_deref_mut() {
            for (gc, mc) in g.iter_mut().zip(mu) {
                gc.clear();
                gc.resize(mc.len(), 0.0);
            }
        }
        for (c, map, m) in &self.meas {
            let w = 1.0 / (m.sigma * m.sigma);
            let mut r = project(&mu[*c], map, m.y.len());
            for (r, y) in r.iter_mut().zip(&m.y) {
                *r -= y;
                loss += 0.5 * w * *r * *r;
            }
            if let Some(g) = g.as_deref_mut() {
                for (gv, &j) in g[*c].iter_mut().zip(map) {
                    *gv += w * r[j as usize];
                }
            }
        }
        loss
    }

    /// Entropic mirror descent for `iterations` steps; returns the final loss.
    pub fn fit(&mut self, iterations: usize) -> f64 {
        let min_var = self
            .meas
            .iter()
            .map(|m| m.2.sigma * m.2.sigma)
            .fold(f64::INFINITY, f64::min);
        if !min_var.is_finite() {
            return 0.0;
        }
        let mut eta = min_var / self.total.max(1.0);
        let mut mu = self.beliefs(&self.theta);
        let mut grad: Vec<Vec<f64>> = vec![Vec::new(); self.cliques.len()];
        let mut loss = self.loss_grad(&mu, Some(&mut grad));
        for _ in 0..iterations {
            let mut accepted = false;
            for _ in 0..20 {
                let cand: Vec<Vec<f64>> = self
                    .theta
                    .iter()
                    .zip(&grad)
                    .map(|(t, g)| t.iter().zip(g).map(|(t, g)| t - eta * g).collect())
                    .collect();
                let cmu = self.beliefs(&cand);
                // Armijo-type sufficient decrease: L(μ') ≤ L(μ) + ½⟨∇, μ' − μ⟩
                let lin: f64 = grad
                    .iter()
                    .zip(cmu.iter().zip(&mu))
                    .map(|(g, (a, b))| {
                        g.iter()
                            .zip(a.iter().zip(b))
                            .map(|(g, (a, b))| g * (a - b))
                            .sum::<f64>()
                    })
                    .sum();
                let closs = self.loss_grad(&cmu, None);
                if closs <= loss + 0.5 * lin {
                    self.theta = cand;
                    mu = cmu;
                    loss = self.loss_grad(&mu, Some(&mut grad));
                    eta *= 1.25;
                    accepted = true;
                    break;
                }
                eta *= 0.5;
            }
            if !accepted {
                break;
            }
        }
        loss
    }

    /// The fitted clique marginals (counts summing to `total`).
    pub fn marginals(&self) -> Vec<Vec<f64>> {
        self.beliefs(&self.theta)
    }

    /// The cell map of clique `c` onto its separator.
    pub fn sep_map(&self, c: usize) -> &[u32] {
        &self.map_child[c]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_map_projects() {
        // vars 0 (size 2), 1 (size 3): cell (i, j) = 3i + j
        let m = index_map(&[0, 1], &[2, 3], &[1]);
        assert_eq!(m, vec![0, 1, 2, 0, 1, 2]);
        let m = index_map(&[0, 1], &[2, 3], &[0]);
        assert_eq!(m, vec![0, 0, 0, 1, 1, 1]);
        let m = index_map(&[0, 1, 2], &[2, 3, 2], &[0, 2]);
        assert_eq!(m, vec![0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3]);
    }

    #[test]
    fn exact_measurements_are_recovered() {
        // chain 0 - 1 - 2, cliques {0,1} and {1,2}
        let sizes = vec![2, 2, 2];
        let p01 = vec![40.0, 10.0, 20.0, 30.0];
        // p(2 | 1): column 1 totals are 60, 40
        let p12 = vec![45.0, 15.0, 10.0, 30.0];
        let meas = vec![
            Measurement {
                vars: vec![0, 1],
                y: p01.clone(),
                sigma: 1.0,
            },
            Measurement {
                vars: vec![1, 2],
                y: p12.clone(),
                sigma: 1.0,
            },
        ];
        let mut m = Model::new(
            sizes,
            vec![vec![0, 1], vec![1, 2]],
            vec![None, Some(0)],
            100.0,
            meas,
        );
        m.fit(500);
        let mu = m.marginals();
        for (a, b) in mu[0].iter().zip(&p01) {
            assert!((a - b).abs() < 0.5, "{:?}", mu[0]);
        }
        for (a, b) in mu[1].iter().zip(&p12) {
            assert!((a - b).abs() < 0.5, "{:?}", mu[1]);
        }
    }
}
