//! DP aggregates: every k-way marginal of chosen columns up to a reporting length, measured with
//! discrete Gaussian noise and published with thresholds, consistency, a hierarchy-aware
//! fallback and a 95% interval on every count.
//!
//! # Algorithm
//! 1. **Contribution bounding.** With a person-id column, only the first `c` records of each
//!    person (in row order) are kept; without one, each record is its own person (`c = 1`).
//!    Which of a person's records are kept depends only on that person's records, so adding or
//!    removing a person changes at most `c` kept records.
//! 2. **Measurement.** The noisy total is measured once (L2 sensitivity `c`). For each length
//!    `k = 1..=L`, all `M_k = C(m, k)` marginals over the `m` columns are counted over the *full*
//!    cross product of the columns' (public) value lists, zero cells included, and every cell
//!    gets independent N_Z(0, σ_k²). A person's `c` records change each marginal's vector by at
//!    most `c` in L2 norm (all records in one cell is the worst case), so the `M_k` marginals
//!    together have L2 sensitivity `c√M_k`; with the length's share ρ_k of the budget,
//!    σ_k² = c²·M_k / (2ρ_k). Charged in total: ρ = ρ_total + Σ ρ_k (the configured budget).
//! 3. **Post-processing** (free):
//!    * *consistency*: noisy counts are clamped at 0; 1-way counts are capped by the noisy
//!      total and every k-way count by the minimum of its (k−1)-way sub-combinations, top-down,
//!      so no published combination exceeds any of its sub-combinations;
//!    * *thresholds*: a combination is published only if its consistent count reaches the
//!      length's threshold (by default the 95% half-width `t_k`, so the interval excludes 0)
//!      and all its sub-combinations are published (downward closed);
//!    * *hierarchy-aware fallback*: the unpublished cells of a marginal are regrouped by
//!      generalising the columns that have a [`Generalisation`] one level at a time
//!      (country → subregion → region …); a group whose summed noisy count reaches the
//!      threshold for a sum of `g` noises is published at that level (`levels` records the
//!      level of each column) as the count of the records of that coarse combination **not**
//!      already published in detail, and its cells leave the pool;
//!    * *error bars*: a detailed count x carries `[min(x, max(0, x̃ − t_k)), x̃ + t_k]` around its
//!      raw noisy value x̃ (widened down to x when capping lowered it, so coverage is kept) (exact discrete Gaussian quantiles, see [`super::noise`]); a merged count of `g`
//!      cells uses the subgaussian bound for a sum of `g` noises.
//!
//! The exact number of records is never published: only the noisy total.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::{Deserialize, Serialize};

use super::marginal::{check_cells, combinations, Marginal};
use super::noise::{subgaussian_half_width, DiscreteGaussian};
use super::{Charge, DpError, Ledger, LedgerError};
use crate::{Generalisation, Table};

/// How the publication threshold of a length is derived.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// The 95% half-width of the length's noise (a published count's interval excludes 0).
    #[default]
    HalfWidth95,
    /// A multiple of the length's σ (for a sum of `g` cells: of σ√g).
    SigmaMultiple(f64),
    /// A fixed count.
    Fixed(u64),
}

/// What to release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateConfig {
    /// Columns to count (not the person id).
    pub columns: Vec<String>,
    /// Longest combination published (default 3).
    pub reporting_length: usize,
    /// Total zCDP budget of the release.
    pub rho: f64,
    /// Share of `rho` spent on the noisy total (default 0.05).
    pub total_share: f64,
    /// Relative weights of the lengths 1..=L (default: equal).
    pub length_weights: Option<Vec<f64>>,
    /// Column identifying the person; `None`: every record is a person.
    pub person_id: Option<String>,
    /// At most this many records per person are kept (default 1).
    pub max_records_per_person: usize,
    pub threshold: Threshold,
    /// Largest cross product of one marginal (default 2^22 cells).
    pub max_cells: u64,
    /// Declared public value lists by column (see [`super::apply_public_domains`]); columns
    /// not listed use their observed values, which are then treated as public.
    #[serde(default)]
    pub public_domains: HashMap<String, Vec<String>>,
    /// Value replacing anything outside a declared domain (default `""`, missing).
    #[serde(default)]
    pub other_value: String,
}

impl AggregateConfig {
    pub fn new(columns: Vec<String>, rho: f64) -> Self {
        AggregateConfig {
            columns,
            reporting_length: 3,
            rho,
            total_share: 0.05,
            length_weights: None,
            person_id: None,
            max_records_per_person: 1,
            threshold: Threshold::HalfWidth95,
            max_cells: 1 << 22,
            public_domains: HashMap::new(),
            other_value: String::new(),
        }
    }
}

/// A noisy count with its 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoisyCount {
    pub count: u64,
    pub lower: u64,
    pub upper: u64,
}

/// One published combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedCount {
    /// Column names of the combination.
    pub columns: Vec<String>,
    /// One value (or coarse label) per column.
    pub values: Vec<String>,
    /// Generalisation level of each value (0 = as recorded).
    pub levels: Vec<usize>,
    /// True for a fallback count: the records of this coarse combination not published in detail.
    pub remainder: bool,
    #[serde(flatten)]
    pub noisy: NoisyCount,
}

/// Noise parameters of one length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthInfo {
    pub length: usize,
    pub marginals: usize,
    pub rho: f64,
    pub sigma: f64,
    pub half_width_95: u64,
    pub threshold: u64,
    pub published: usize,
    pub fallback: usize,
}

/// The release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateRelease {
    pub columns: Vec<String>,
    pub reporting_length: usize,
    pub rho: f64,
    pub max_records_per_person: usize,
    pub total: NoisyCount,
    pub lengths: Vec<LengthInfo>,
    pub counts: Vec<PublishedCount>,
}

impl AggregateRelease {
    /// Writes the counts as CSV: `length,columns,values,levels,remainder,count,lower,upper`;
    /// `columns`, `values` and `levels` are JSON arrays (values may contain any character).
    /// The first data row is the noisy total (length 0).
    pub fn write_csv<W: Write>(&self, out: W) -> Result<(), csv::Error> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "length",
            "columns",
            "values",
            "levels",
            "remainder",
            "count",
            "lower",
            "upper",
        ])?;
        w.write_record([
            "0",
            "[]",
            "[]",
            "[]",
            "false",
            &self.total.count.to_string(),
            &self.total.lower.to_string(),
            &self.total.upper.to_string(),
        ])?;
        for c in &self.counts {
            let json = |v: &dyn erased::Ser| v.json();
            w.write_record([
                c.columns.len().to_string(),
                json(&c.columns),
                json(&c.values),
                json(&c.levels),
                c.remainder.to_string(),
                c.noisy.count.to_string(),
                c.noisy.lower.to_string(),
                c.noisy.upper.to_string(),
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}

mod erased {
    pub trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

/// Hierarchies by column name.
pub type Hierarchies<'a> = HashMap<String, &'a dyn Generalisation>;

/// Row indices kept after bounding each person's contribution to `c` records.
pub fn bound_contributions(
    table: &Table,
    person_id: Option<&str>,
    c: usize,
) -> Result<Vec<u32>, DpError> {
    if c == 0 {
        return Err(DpError::ZeroContributionBound);
    }
    let Some(pid) = person_id else {
        return Ok((0..table.n_rows() as u32).collect());
    };
    let col = table
        .column(pid)
        .map_err(|_| DpError::UnknownColumn(pid.to_string()))?;
    let mut seen = vec![0usize; col.values.len()];
    Ok(col
        .codes
        .iter()
        .enumerate()
        .filter_map(|(r, &code)| {
            let n = &mut seen[code as usize];
            *n += 1;
            (*n <= c).then_some(r as u32)
        })
        .collect())
}

fn resolve_columns(table: &Table, names: &[String]) -> Result<Vec<usize>, DpError> {
    if names.is_empty() {
        return Err(DpError::NoColumns);
    }
    let mut idx = Vec::with_capacity(names.len());
    for n in names {
        let i = table
            .column_index(n)
            .map_err(|_| DpError::UnknownColumn(n.clone()))?;
        if idx.contains(&i) {
            return Err(DpError::DuplicateColumn(n.clone()));
        }
        idx.push(i);
    }
    Ok(idx)
}

fn threshold_for(t: Threshold, sigma: f64, g: usize) -> Result<u64, DpError> {
    Ok(match t {
        Threshold::HalfWidth95 => subgaussian_half_width(sigma, g, 0.95)?.max(1),
        Threshold::SigmaMultiple(k) => (k * sigma * (g as f64).sqrt()).ceil().max(1.0) as u64,
        Threshold::Fixed(f) => f.max(1),
    })
}

/// Charges the release's ρ to `ledger` (refused if it does not fit), then computes it.
pub fn release_with_ledger(
    ledger: &dyn Ledger,
    dataset: &str,
    table: &Table,
    config: &AggregateConfig,
    hierarchies: &Hierarchies<'_>,
) -> Result<AggregateRelease, ReleaseError> {
    validate(table, config)?;
    ledger.charge(
        dataset,
        &Charge {
            rho: config.rho,
            purpose: format!(
                "DP aggregates: columns {:?}, length {}",
                config.columns, config.reporting_length
            ),
        },
    )?;
    Ok(dp_aggregates(table, config, hierarchies)?)
}

/// Errors of [`release_with_ledger`].
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Dp(#[from] DpError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

fn validate(table: &Table, config: &AggregateConfig) -> Result<Vec<usize>, DpError> {
    if !(config.rho.is_finite() && config.rho > 0.0) {
        return Err(DpError::InvalidRho(config.rho));
    }
    if config.reporting_length == 0 {
        return Err(DpError::ZeroReportingLength);
    }
    if config.max_records_per_person == 0 {
        return Err(DpError::ZeroContributionBound);
    }
    if !(config.total_share > 0.0 && config.total_share < 1.0) {
        return Err(DpError::InvalidParameter(format!(
            "total_share must be in (0, 1), got {}",
            config.total_share
        )));
    }
    let cols = resolve_columns(table, &config.columns)?;
    if let Some(pid) = &config.person_id {
        let p = table
            .column_index(pid)
            .map_err(|_| DpError::UnknownColumn(pid.clone()))?;
        if cols.contains(&p) {
            return Err(DpError::InvalidParameter(format!(
                "the person-id column {pid:?} cannot be counted"
            )));
        }
    }
    let len = config.reporting_length.min(cols.len());
    if let Some(w) = &config.length_weights {
        if w.len() < len || w.iter().take(len).any(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(DpError::InvalidParameter(format!(
                "length_weights needs {len} positive weights, got {w:?}"
            )));
        }
    }
    if table.n_rows() == 0 {
        return Err(DpError::EmptyTable);
    }
    for k in 1..=len {
        for combo in combinations(cols.len(), k) {
            let c: Vec<usize> = combo.iter().map(|&i| cols[i]).collect();
            check_cells(table, &c, config.max_cells)?;
        }
    }
    Ok(cols)
}

struct Measured {
    /// positions into the selected columns
    combo: Vec<usize>,
    marginal: Marginal,
    /// raw noisy counts
    noisy: Vec<i64>,
    /// consistent (clamped, capped) counts
    consistent: Vec<f64>,
    published: Vec<bool>,
}

/// Computes the release (does not touch any ledger: see [`release_with_ledger`]).
pub fn dp_aggregates(
    table: &Table,
    config: &AggregateConfig,
    hierarchies: &Hierarchies<'_>,
) -> Result<AggregateRelease, DpError> {
    if !config.public_domains.is_empty() {
        let recoded =
            super::apply_public_domains(table, &config.public_domains, &config.other_value)?;
        let mut cfg = config.clone();
        cfg.public_domains.clear();
        return dp_aggregates(&recoded, &cfg, hierarchies);
    }
    let cols = validate(table, config)?;
    let c = config.max_records_per_person as f64;
    let rows = bound_contributions(
        table,
        config.person_id.as_deref(),
        config.max_records_per_person,
    )?;
    let len = config.reporting_length.min(cols.len());
    let m = cols.len();

    // Budget split.
    let rho_total = config.rho * config.total_share;
    let rest = config.rho - rho_total;
    let weights: Vec<f64> = match &config.length_weights {
        Some(w) => w[..len].to_vec(),
        None => vec![1.0; len],
    };
    let wsum: f64 = weights.iter().sum();

    let total_noise = DiscreteGaussian::for_zcdp(c, rho_total)?;
    let total_raw = rows.len() as i64 + total_noise.sample()?;
    let total_t = total_noise.half_width(0.95)?;
    let total_count = total_raw.max(0) as f64;

    let mut lengths = Vec::new();
    let mut by_combo: HashMap<Vec<usize>, Measured> = HashMap::new();
    let mut counts_out = Vec::new();
    for k in 1..=len {
        let combos = combinations(m, k);
        let rho_k = rest * weights[k - 1] / wsum;
        let noise = DiscreteGaussian::for_zcdp(c * (combos.len() as f64).sqrt(), rho_k)?;
        let t_k = noise.half_width(0.95)?;
        let tau = threshold_for(config.threshold, noise.sigma(), 1)?;
        let mut info = LengthInfo {
            length: k,
            marginals: combos.len(),
            rho: rho_k,
            sigma: noise.sigma(),
            half_width_95: t_k,
            threshold: tau,
            published: 0,
            fallback: 0,
        };
        for combo in combos {
            let tcols: Vec<usize> = combo.iter().map(|&i| cols[i]).collect();
            let marginal = Marginal::count(table, &tcols, Some(&rows));
            let counts: Vec<u64> = marginal.counts.iter().map(|&x| x as u64).collect();
            let noisy = noise.perturb(&counts)?;
            // consistency, top-down
            let mut consistent: Vec<f64> = noisy.iter().map(|&x| x.max(0) as f64).collect();
            let mut published = vec![false; consistent.len()];
            for (idx, value) in consistent.iter_mut().enumerate() {
                let codes = marginal.decode(idx);
                let mut cap = total_count;
                let mut parents_published = true;
                if k > 1 {
                    for drop in 0..k {
                        let sub: Vec<usize> = (0..k).filter(|&j| j != drop).collect();
                        let sub_combo: Vec<usize> = sub.iter().map(|&j| combo[j]).collect();
                        let parent = &by_combo[&sub_combo];
                        let sub_codes: Vec<u32> = sub.iter().map(|&j| codes[j]).collect();
                        let pidx = Marginal::encode(&parent.marginal.sizes, &sub_codes);
                        cap = cap.min(parent.consistent[pidx]);
                        parents_published &= parent.published[pidx];
                    }
                }
                *value = value.min(cap);
                published[idx] = parents_published && *value >= tau as f64;
            }
            for (idx, &p) in published.iter().enumerate() {
                if p {
                    let codes = marginal.decode(idx);
                    counts_out.push(PublishedCount {
                        columns: tcols
                            .iter()
                            .map(|&t| table.columns[t].name.clone())
                            .collect(),
                        values: tcols
                            .iter()
                            .zip(&codes)
                            .map(|(&t, &v)| table.columns[t].values[v as usize].clone())
                            .collect(),
                        levels: vec![0; k],
                        remainder: false,
                        noisy: NoisyCount {
                            count: consistent[idx] as u64,
                            lower: ((noisy[idx] - t_k as i64).max(0) as u64)
                                .min(consistent[idx] as u64),
                            upper: (noisy[idx] + t_k as i64).max(0) as u64,
                        },
                    });
                    info.published += 1;
                }
            }
            let measured = Measured {
                combo: combo.clone(),
                marginal,
                noisy,
                consistent,
                published,
            };
            let fallback = fallback(
                table,
                &measured,
                hierarchies,
                config.threshold,
                noise.sigma(),
            )?;
            info.fallback += fallback.len();
            counts_out.extend(fallback);
            by_combo.insert(combo, measured);
        }
        lengths.push(info);
    }
    cap_remainders(&mut counts_out);
    Ok(AggregateRelease {
        columns: config.columns.clone(),
        reporting_length: len,
        rho: config.rho,
        max_records_per_person: config.max_records_per_person,
        total: NoisyCount {
            count: total_raw.max(0) as u64,
            lower: (total_raw - total_t as i64).max(0) as u64,
            upper: (total_raw + total_t as i64).max(0) as u64,
        },
        lengths,
        counts: counts_out,
    })
}

/// Consistency of the fallback rows: a remainder row (cells merged at a coarser level) never
/// exceeds a published detailed sub-combination of its level-0 positions, e.g. "2020 × Northern
/// Europe (remainder)" ≤ "2020". (Detailed rows are capped while they are measured.) The
/// interval is cut at the same bound. Post-processing of published counts only.
fn cap_remainders(counts: &mut [PublishedCount]) {
    let detailed: HashMap<(Vec<String>, Vec<String>), u64> = counts
        .iter()
        .filter(|c| !c.remainder)
        .map(|c| ((c.columns.clone(), c.values.clone()), c.noisy.count))
        .collect();
    for c in counts.iter_mut().filter(|c| c.remainder) {
        let fixed: Vec<usize> = (0..c.levels.len()).filter(|&i| c.levels[i] == 0).collect();
        // Every non-empty subset of the level-0 positions.
        for mask in 1u32..(1u32 << fixed.len().min(16)) {
            let pos: Vec<usize> = fixed
                .iter()
                .enumerate()
                .filter(|(j, _)| mask & (1 << j) != 0)
                .map(|(_, &i)| i)
                .collect();
            let key = (
                pos.iter()
                    .map(|&i| c.columns[i].clone())
                    .collect::<Vec<_>>(),
                pos.iter().map(|&i| c.values[i].clone()).collect::<Vec<_>>(),
            );
            if let Some(&part) = detailed.get(&key) {
                c.noisy.count = c.noisy.count.min(part);
                c.noisy.lower = c.noisy.lower.min(c.noisy.count);
            }
        }
    }
}

/// Publishes unpublished cells of a marginal at coarser levels of the columns' hierarchies.
fn fallback(
    table: &Table,
    measured: &Measured,
    hierarchies: &Hierarchies<'_>,
    threshold: Threshold,
    sigma: f64,
) -> Result<Vec<PublishedCount>, DpError> {
    let marginal = &measured.marginal;
    let cols = &marginal.cols;
    let hs: Vec<Option<&dyn Generalisation>> = cols
        .iter()
        .map(|&c| hierarchies.get(&table.columns[c].name).copied())
        .collect();
    let max_level = hs
        .iter()
        .map(|h| h.map_or(0, |h| h.levels().saturating_sub(1)))
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    if max_level == 0 {
        return Ok(out);
    }
    let mut pool: Vec<usize> = (0..measured.noisy.len())
        .filter(|&i| !measured.published[i])
        .collect();
    let _ = &measured.combo;
    for level in 1..=max_level {
        // group the pool by coarse labels
        let mut groups: BTreeMap<Vec<(String, usize)>, Vec<usize>> = BTreeMap::new();
        for &idx in &pool {
            let codes = marginal.decode(idx);
            let mut key = Vec::with_capacity(cols.len());
            let mut ok = true;
            for (j, &c) in cols.iter().enumerate() {
                let value = &table.columns[c].values[codes[j] as usize];
                match hs[j] {
                    Some(h) => {
                        let l = level.min(h.levels() - 1);
                        match h.generalise(value, l) {
                            Some(label) => key.push((label.to_string(), l)),
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    None => key.push((value.clone(), 0)),
                }
            }
            if ok {
                groups.entry(key).or_default().push(idx);
            }
        }
        let mut taken = std::collections::HashSet::new();
        for (key, members) in groups {
            let g = members.len();
            let sum: i64 = members.iter().map(|&i| measured.noisy[i]).sum();
            let tau = threshold_for(threshold, sigma, g)?;
            if sum >= tau as i64 {
                let t = subgaussian_half_width(sigma, g, 0.95)? as i64;
                out.push(PublishedCount {
                    columns: cols
                        .iter()
                        .map(|&c| table.columns[c].name.clone())
                        .collect(),
                    values: key.iter().map(|(v, _)| v.clone()).collect(),
                    levels: key.iter().map(|(_, l)| *l).collect(),
                    remainder: true,
                    noisy: NoisyCount {
                        count: sum as u64,
                        lower: (sum - t).max(0) as u64,
                        upper: (sum + t).max(0) as u64,
                    },
                });
                taken.extend(members);
            }
        }
        pool.retain(|i| !taken.contains(i));
        if pool.is_empty() {
            break;
        }
    }
    Ok(out)
}
