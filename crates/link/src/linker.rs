//! Fellegi-Sunter linkage and deduplication.
//!
//! **Model.** For a pair of records, each comparison `k` falls into a level `l` (see
//! [`crate::compare`]). With `m_kl = P(level l | match)` and `u_kl = P(level l | non-match)`, the
//! match weight is `W = log2(λ / (1 - λ)) + Σ_k log2(m_kl / u_kl)` (comparisons independent given
//! the match status), where `λ` is the prior probability that two random records match; the
//! match probability is `2^W / (1 + 2^W)`. The null level (a value missing) has weight 0.
//!
//! **u by random sampling.** Almost all random pairs are non-matches, so `u_kl` is estimated from
//! `u_sample_pairs` uniformly sampled record pairs (across datasets when linking), seeded, with a
//! pseudo-count of 0.5 per level so that a level never seen among random pairs gets a finite
//! (large) weight.
//!
//! **m by EM on blocked pairs.** Candidate pairs from the blocking rules are summarised as counts
//! of comparison vectors (patterns). Expectation-maximisation fits a two-class mixture on them:
//! E-step `P(match | pattern) = λ_b Π m / (λ_b Π m + (1 - λ_b) Π u_b)`, M-step re-estimates `m`,
//! and `λ_b` from the expected counts, until no parameter moves more than `em_tolerance`.
//! By default (`em_method = "per_rule"`, as Splink trains) EM runs once per training blocking
//! rule, on the pairs of that rule alone, with `u` fixed at the random-sample estimate and the
//! comparisons of the rule's own columns left out (they agree by construction); each comparison's
//! `m` is the mean over the rules that estimated it. The expected number of matches is the
//! largest `λ_r · |pairs of rule r|` over the rules (a lower bound for the union), which gives
//! the prior. `em_method = "union"` runs one EM on all blocked pairs with a free blocked-pair `u`. The final model uses EM's `m`, the random-sample `u` (blocked non-matches
//! agree more often than random ones) and `λ = λ_b · blocked pairs / all pairs` unless
//! `training.prior` fixes it.
//!
//! **Term-frequency adjustment.** For a comparison with `tf_adjust`, an exact agreement on value
//! `v` gets the extra weight `log2(u_exact / max(f_v, tf_min))`, where `f_v` is the share of
//! records holding `v`: agreeing on a rare surname is stronger evidence than on a common one.
//!
//! **Explanations.** [`Linker::explain`] returns, per comparison, the level hit, `m`, `u`, the
//! partial weight and the TF adjustment; they sum (with the prior) to the match weight.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::blocking::{candidate_pairs, unpack, ResolvedKey};
use crate::cluster::{cluster, Clustering};
use crate::compare::{level_of, PreparedColumn};
use crate::data::Dataset;
use crate::error::{LinkError, Result};
use crate::normalize::Normalizer;
use crate::settings::{
    prob_to_weight, weight_to_prob, EmMethod, LevelSpec, LinkType, Settings, TrainingSpec,
};

/// m and u of one level slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedLevel {
    pub label: String,
    pub m: f64,
    pub u: f64,
}

/// Trained parameters of one comparison; `levels[0]` is null, the last is else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedComparison {
    pub name: String,
    pub column: String,
    pub levels: Vec<TrainedLevel>,
}

/// What training saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    pub records: usize,
    pub blocked_pairs: usize,
    pub distinct_patterns: usize,
    pub u_pairs_sampled: usize,
    pub em_iterations: usize,
    pub em_converged: bool,
    pub lambda_blocked: f64,
    /// Comparisons whose m no EM rule could estimate (initial values kept).
    #[serde(default)]
    pub m_not_estimated: Vec<String>,
}

/// A trained model: settings plus m, u and prior. Saved and loaded as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub settings: Settings,
    /// Prior probability that two random records match.
    pub prior: f64,
    pub comparisons: Vec<TrainedComparison>,
    pub report: TrainingReport,
}

impl Model {
    /// Serialise as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Parse from JSON and check its shape against its own settings.
    pub fn from_json(text: &str) -> Result<Self> {
        let m: Model = serde_json::from_str(text)?;
        m.check_shape(&m.settings)?;
        Ok(m)
    }

    /// Save as JSON.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        std::fs::write(path, self.to_json()?)?;
        Ok(())
    }

    /// Load from JSON.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self> {
        Model::from_json(&std::fs::read_to_string(path)?)
    }

    fn check_shape(&self, settings: &Settings) -> Result<()> {
        if self.comparisons.len() != settings.comparisons.len() {
            return Err(LinkError::Model(format!(
                "model has {} comparisons, settings {}",
                self.comparisons.len(),
                settings.comparisons.len()
            )));
        }
        for (t, s) in self.comparisons.iter().zip(&settings.comparisons) {
            if t.column != s.column || t.levels.len() != s.levels.len() + 2 {
                return Err(LinkError::Model(format!(
                    "comparison `{}` does not fit the settings",
                    t.name
                )));
            }
            if t.levels
                .iter()
                .any(|l| !(l.m > 0.0 && l.u > 0.0 && l.m.is_finite() && l.u.is_finite()))
            {
                return Err(LinkError::Model(format!(
                    "comparison `{}` has m or u outside (0, inf)",
                    t.name
                )));
            }
        }
        if !(self.prior > 0.0 && self.prior < 1.0) {
            return Err(LinkError::Model(format!(
                "prior {} outside (0, 1)",
                self.prior
            )));
        }
        Ok(())
    }
}

/// One comparison's share of a pair's weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    pub comparison: String,
    pub value_a: Option<String>,
    pub value_b: Option<String>,
    pub level: String,
    pub m: f64,
    pub u: f64,
    /// `log2(m / u)` (0 for null).
    pub partial_weight: f64,
    /// Term-frequency adjustment (0 unless exact on a `tf_adjust` comparison).
    pub tf_adjustment: f64,
}

/// Why a pair got its weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub id_a: String,
    pub id_b: String,
    pub prior_weight: f64,
    pub terms: Vec<Term>,
    pub match_weight: f64,
    pub match_probability: f64,
}

/// A scored candidate pair (global record indices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    pub weight: f64,
}

impl ScoredPair {
    /// Match probability.
    pub fn probability(&self) -> f64 {
        weight_to_prob(self.weight)
    }
}

/// Output of [`Linker::predict`].
#[derive(Debug, Clone, Default)]
pub struct Predictions {
    /// Candidate pairs compared.
    pub candidate_pairs: usize,
    /// Pairs at or above the threshold.
    pub matches: Vec<ScoredPair>,
    /// The threshold used (match weight).
    pub threshold_weight: f64,
}

/// Initial m: most mass on the strictest level, geometric decay after it.
fn initial_m(sizes: &[usize]) -> Vec<Vec<f64>> {
    sizes
        .iter()
        .map(|&s| {
            let mut v = vec![1.0; s];
            let mut rest = 0.2;
            v[1] = 0.8;
            for x in v.iter_mut().take(s).skip(2) {
                rest /= 2.0;
                *x = rest;
            }
            let z: f64 = v[1..].iter().sum();
            for x in v.iter_mut().skip(1) {
                *x /= z;
            }
            v
        })
        .collect()
}

struct EmFit {
    m: Vec<Vec<f64>>,
    lambda: f64,
    iterations: usize,
    converged: bool,
}

/// Two-class EM on pattern counts (slot 0 = null/left out, never counted).
fn em(
    pats: &[(u64, f64)],
    sizes: &[usize],
    m0: &[Vec<f64>],
    u: &[Vec<f64>],
    fix_u: bool,
    s: &TrainingSpec,
) -> EmFit {
    let k = sizes.len();
    let slot = |p: u64, j: usize| ((p >> (4 * j)) & 0xF) as usize;
    let mut m = m0.to_vec();
    let mut ub = u.to_vec();
    let mut lambda = 0.1f64;
    let (mut iterations, mut converged) = (0, false);
    if pats.is_empty() {
        return EmFit {
            m,
            lambda,
            iterations,
            converged: true,
        };
    }
    for it in 0..s.em_max_iterations {
        iterations = it + 1;
        let mut mc: Vec<Vec<f64>> = sizes.iter().map(|&s| vec![0.01; s]).collect();
        let mut uc: Vec<Vec<f64>> = sizes.iter().map(|&s| vec![0.01; s]).collect();
        let (mut wm, mut wt) = (0.0, 0.0);
        for &(p, c) in pats {
            let (mut pm, mut pu) = (lambda, 1.0 - lambda);
            for j in 0..k {
                let l = slot(p, j);
                if l != 0 {
                    pm *= m[j][l];
                    pu *= ub[j][l];
                }
            }
            let w = if pm + pu > 0.0 { pm / (pm + pu) } else { 0.0 };
            wm += c * w;
            wt += c;
            for j in 0..k {
                let l = slot(p, j);
                mc[j][l] += c * w;
                uc[j][l] += c * (1.0 - w);
            }
        }
        let mut delta: f64 = 0.0;
        for j in 0..k {
            let zm: f64 = mc[j][1..].iter().sum();
            let zu: f64 = uc[j][1..].iter().sum();
            for l in 1..sizes[j] {
                let nm = mc[j][l] / zm;
                delta = delta.max((nm - m[j][l]).abs());
                m[j][l] = nm;
                if !fix_u {
                    let nu = uc[j][l] / zu;
                    delta = delta.max((nu - ub[j][l]).abs());
                    ub[j][l] = nu;
                }
            }
        }
        let nl = (wm / wt).clamp(1e-12, 1.0 - 1e-12);
        delta = delta.max((nl - lambda).abs());
        lambda = nl;
        if delta < s.em_tolerance {
            converged = true;
            break;
        }
    }
    EmFit {
        m,
        lambda,
        iterations,
        converged,
    }
}

/// Datasets prepared for linkage under one set of settings.
pub struct Linker {
    settings: Settings,
    names: Vec<String>,
    ids: Vec<String>,
    source: Vec<u16>,
    sizes: Vec<usize>,
    columns: Vec<PreparedColumn>,
    block_columns: Vec<PreparedColumn>,
    block_index: HashMap<String, usize>,
    /// Cached candidate pairs.
    pairs: std::sync::OnceLock<Vec<u64>>,
}

const MAX_LEVELS: usize = 13;
const MAX_COMPARISONS: usize = 16;

/// Weights of a model prepared for fast scoring.
struct Weights {
    prior_w: f64,
    w: Vec<Vec<f64>>,
    tf: Vec<Option<(u8, f64, f64)>>, // (exact slot, u_exact, tf_min)
}

impl Linker {
    /// Validate the settings against the datasets and prepare (normalise, code) the columns.
    pub fn new(settings: Settings, datasets: Vec<Dataset>) -> Result<Self> {
        settings.validate(&datasets)?;
        if settings.comparisons.len() > MAX_COMPARISONS {
            return Err(LinkError::Settings(format!(
                "at most {MAX_COMPARISONS} comparisons"
            )));
        }
        if settings
            .comparisons
            .iter()
            .any(|c| c.levels.len() > MAX_LEVELS)
        {
            return Err(LinkError::Settings(format!(
                "at most {MAX_LEVELS} levels per comparison"
            )));
        }
        if datasets.len() > u16::MAX as usize {
            return Err(LinkError::Datasets("too many datasets".into()));
        }
        let total: usize = datasets.iter().map(Dataset::len).sum();
        if total >= u32::MAX as usize {
            return Err(LinkError::Datasets(
                "too many records (at most 2^32 - 1)".into(),
            ));
        }
        let mut ids = Vec::with_capacity(total);
        let mut source = Vec::with_capacity(total);
        for (i, ds) in datasets.iter().enumerate() {
            ids.extend(
                ds.require(&settings.unique_id, "unique_id")?
                    .iter()
                    .cloned(),
            );
            source.extend(std::iter::repeat_n(i as u16, ds.len()));
        }
        let columns = settings
            .comparisons
            .par_iter()
            .map(|c| {
                let dates = c
                    .levels
                    .iter()
                    .any(|l| matches!(l, LevelSpec::DateDays { .. }));
                let tokens = c
                    .levels
                    .iter()
                    .any(|l| matches!(l, LevelSpec::Jaccard { .. }));
                let parts: Vec<&[String]> = datasets
                    .iter()
                    .map(|d| d.column(&c.column).unwrap_or(&[]))
                    .collect();
                PreparedColumn::build(parts, c.normalize, dates, tokens)
            })
            .collect();
        let mut block_index = HashMap::new();
        let mut block_specs: Vec<(String, Normalizer)> = Vec::new();
        for rule in settings
            .block_rules()?
            .into_iter()
            .chain(settings.em_rules()?)
        {
            for k in rule {
                if !block_index.contains_key(&k.column) {
                    let norm = settings
                        .comparisons
                        .iter()
                        .find(|c| c.column == k.column)
                        .map_or(Normalizer::Trim, |c| c.normalize);
                    block_index.insert(k.column.clone(), block_specs.len());
                    block_specs.push((k.column.clone(), norm));
                }
            }
        }
        let block_columns = block_specs
            .par_iter()
            .map(|(col, norm)| {
                let parts: Vec<&[String]> = datasets
                    .iter()
                    .map(|d| d.column(col).unwrap_or(&[]))
                    .collect();
                PreparedColumn::build(parts, *norm, false, false)
            })
            .collect();
        Ok(Linker {
            names: datasets.iter().map(|d| d.name.clone()).collect(),
            sizes: datasets.iter().map(Dataset::len).collect(),
            settings,
            ids,
            source,
            columns,
            block_columns,
            block_index,
            pairs: std::sync::OnceLock::new(),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Number of records over all datasets.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Unique id of a record.
    pub fn record_id(&self, r: u32) -> &str {
        &self.ids[r as usize]
    }

    /// Dataset index of a record.
    pub fn source(&self, r: u32) -> u16 {
        self.source[r as usize]
    }

    /// Dataset index per record.
    pub fn sources(&self) -> &[u16] {
        &self.source
    }

    /// Dataset names.
    pub fn dataset_names(&self) -> &[String] {
        &self.names
    }

    fn link_only(&self) -> bool {
        self.settings.link_type == LinkType::Link
    }

    /// Number of pairs the model's prior refers to (all pairs, across datasets when linking).
    pub fn total_pairs(&self) -> f64 {
        match self.settings.link_type {
            LinkType::Dedupe => {
                let n = self.len() as f64;
                n * (n - 1.0) / 2.0
            }
            LinkType::Link => {
                let mut t = 0.0;
                for i in 0..self.sizes.len() {
                    for j in i + 1..self.sizes.len() {
                        t += self.sizes[i] as f64 * self.sizes[j] as f64;
                    }
                }
                t
            }
        }
    }

    /// Candidate pairs of the blocking rules (computed once).
    pub fn candidate_pairs(&self) -> &[u64] {
        self.pairs.get_or_init(|| {
            let rules: Vec<Vec<ResolvedKey<'_>>> = self
                .settings
                .block_rules()
                .unwrap_or_default()
                .into_iter()
                .map(|rule| {
                    rule.into_iter()
                        .map(|k| ResolvedKey {
                            column: &self.block_columns[self.block_index[&k.column]],
                            prefix: k.prefix,
                        })
                        .collect()
                })
                .collect();
            candidate_pairs(&rules, &self.source, self.link_only())
        })
    }

    /// Level slot per comparison of a pair, packed 4 bits each.
    #[inline]
    fn pattern(&self, a: u32, b: u32) -> u64 {
        let mut p = 0u64;
        for (k, (c, spec)) in self
            .columns
            .iter()
            .zip(&self.settings.comparisons)
            .enumerate()
        {
            let l = level_of(c, &spec.levels, c.ids[a as usize], c.ids[b as usize]);
            p |= u64::from(l) << (4 * k);
        }
        p
    }

    fn slot(p: u64, k: usize) -> usize {
        ((p >> (4 * k)) & 0xF) as usize
    }

    /// Pattern counts of pairs; slots outside `mask` read as null.
    fn patterns(&self, pairs: &[u64], mask: u64) -> Vec<(u64, f64)> {
        let h: HashMap<u64, f64> = pairs
            .par_chunks(1 << 14)
            .map(|chunk| {
                let mut h: HashMap<u64, f64> = HashMap::new();
                for &p in chunk {
                    let (a, b) = unpack(p);
                    *h.entry(self.pattern(a, b) & mask).or_default() += 1.0;
                }
                h
            })
            .reduce(HashMap::new, |mut a, b| {
                for (k, v) in b {
                    *a.entry(k).or_default() += v;
                }
                a
            });
        let mut v: Vec<(u64, f64)> = h.into_iter().collect();
        v.sort_unstable_by_key(|x| x.0);
        v
    }

    /// Estimate u from random pairs: per comparison, probabilities of each non-null slot.
    fn estimate_u(&self) -> (Vec<Vec<f64>>, usize) {
        let s = &self.settings.training;
        let n = self.len();
        let k = self.columns.len();
        let target = s.u_sample_pairs.max(1000);
        let threads = 16usize;
        let per = target.div_ceil(threads);
        let counts: Vec<Vec<Vec<f64>>> = (0..threads)
            .into_par_iter()
            .map(|t| {
                let mut rng =
                    ChaCha12Rng::seed_from_u64(s.seed.wrapping_add(t as u64 * 0x9E37_79B9));
                let mut c: Vec<Vec<f64>> = self
                    .settings
                    .comparisons
                    .iter()
                    .map(|c| vec![0.0; c.levels.len() + 2])
                    .collect();
                let mut done = 0;
                let mut attempts = 0;
                while done < per && attempts < per * 20 {
                    attempts += 1;
                    let a = rng.random_range(0..n) as u32;
                    let b = rng.random_range(0..n) as u32;
                    if a == b
                        || (self.link_only() && self.source[a as usize] == self.source[b as usize])
                    {
                        continue;
                    }
                    let p = self.pattern(a, b);
                    for (j, cj) in c.iter_mut().enumerate() {
                        cj[Self::slot(p, j)] += 1.0;
                    }
                    done += 1;
                }
                c
            })
            .collect();
        let mut total: Vec<Vec<f64>> = self
            .settings
            .comparisons
            .iter()
            .map(|c| vec![0.0; c.levels.len() + 2])
            .collect();
        let mut sampled = 0.0;
        for c in &counts {
            for j in 0..k {
                for (l, v) in c[j].iter().enumerate() {
                    total[j][l] += v;
                }
            }
            sampled += c[0].iter().sum::<f64>();
        }
        let u = total
            .into_iter()
            .map(|c| {
                let non_null: f64 = c[1..].iter().sum::<f64>() + 0.5 * (c.len() - 1) as f64;
                let mut u = vec![1.0; c.len()];
                for l in 1..c.len() {
                    u[l] = (c[l] + 0.5) / non_null;
                }
                u
            })
            .collect();
        (u, sampled as usize)
    }

    /// Train the model: u by random sampling, m and λ by EM on the blocked pairs.
    pub fn train(&self) -> Result<Model> {
        if self.len() < 2 {
            return Err(LinkError::Datasets("need at least two records".into()));
        }
        let (u, u_sampled) = self.estimate_u();
        let pairs = self.candidate_pairs();
        let sizes: Vec<usize> = self
            .settings
            .comparisons
            .iter()
            .map(|c| c.levels.len() + 2)
            .collect();
        let s = &self.settings.training;
        let all_pats = self.patterns(pairs, u64::MAX);
        let (m, lambda, iterations, converged, m_not_estimated) = match s.em_method {
            EmMethod::Union => {
                let fit = em(&all_pats, &sizes, &initial_m(&sizes), &u, false, s);
                (fit.m, fit.lambda, fit.iterations, fit.converged, Vec::new())
            }
            EmMethod::PerRule => {
                let mut msum: Vec<Vec<f64>> = sizes.iter().map(|&n| vec![0.0; n]).collect();
                let mut mcount = vec![0usize; sizes.len()];
                let mut best_matches = 0.0f64;
                let (mut iterations, mut converged) = (0, true);
                for rule in self.settings.em_rules()? {
                    let keys: Vec<ResolvedKey<'_>> = rule
                        .iter()
                        .map(|k| ResolvedKey {
                            column: &self.block_columns[self.block_index[&k.column]],
                            prefix: k.prefix,
                        })
                        .collect();
                    let mut rp = candidate_pairs(&[keys], &self.source, self.link_only());
                    let rule_pairs = rp.len();
                    if rp.len() > s.em_max_pairs.max(1) {
                        let step = rp.len().div_ceil(s.em_max_pairs.max(1));
                        rp = rp.into_iter().step_by(step).collect();
                    }
                    // Leave out the comparisons of the rule's columns (their slots read as null).
                    let mut mask = u64::MAX;
                    let mut used = vec![true; sizes.len()];
                    for (j, c) in self.settings.comparisons.iter().enumerate() {
                        if rule.iter().any(|k| k.column == c.column) {
                            mask &= !(0xF << (4 * j));
                            used[j] = false;
                        }
                    }
                    if !used.iter().any(|&x| x) || rp.is_empty() {
                        continue;
                    }
                    let pats = self.patterns(&rp, mask);
                    let fit = em(&pats, &sizes, &initial_m(&sizes), &u, true, s);
                    iterations += fit.iterations;
                    converged &= fit.converged;
                    best_matches = best_matches.max(fit.lambda * rule_pairs as f64);
                    for j in 0..sizes.len() {
                        if used[j] {
                            mcount[j] += 1;
                            for (acc, v) in msum[j].iter_mut().zip(&fit.m[j]) {
                                *acc += v;
                            }
                        }
                    }
                }
                let init = initial_m(&sizes);
                let mut missing = Vec::new();
                let m: Vec<Vec<f64>> = (0..sizes.len())
                    .map(|j| {
                        if mcount[j] == 0 {
                            missing.push(self.settings.comparisons[j].display_name().to_string());
                            init[j].clone()
                        } else {
                            msum[j].iter().map(|v| v / mcount[j] as f64).collect()
                        }
                    })
                    .collect();
                // Expected matches: the most any single EM rule finds (a lower bound of the
                // union's), as a share of the blocked pairs.
                let lambda = (best_matches / pairs.len().max(1) as f64).clamp(1e-12, 1.0 - 1e-12);
                (m, lambda, iterations, converged, missing)
            }
        };
        let pats = all_pats;
        let total_pairs = self.total_pairs().max(1.0);
        let prior = s
            .prior
            .unwrap_or_else(|| (lambda * pairs.len() as f64 / total_pairs).clamp(1e-12, 0.5));
        let comparisons = self
            .settings
            .comparisons
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let mut levels = Vec::with_capacity(sizes[j]);
                levels.push(TrainedLevel {
                    label: "null".into(),
                    m: 1.0,
                    u: 1.0,
                });
                for (l, spec) in c.levels.iter().enumerate() {
                    levels.push(TrainedLevel {
                        label: spec.label(),
                        m: m[j][l + 1].max(1e-12),
                        u: u[j][l + 1],
                    });
                }
                let last = sizes[j] - 1;
                levels.push(TrainedLevel {
                    label: "else".into(),
                    m: m[j][last].max(1e-12),
                    u: u[j][last],
                });
                TrainedComparison {
                    name: c.display_name().to_string(),
                    column: c.column.clone(),
                    levels,
                }
            })
            .collect();
        Ok(Model {
            settings: self.settings.clone(),
            prior,
            comparisons,
            report: TrainingReport {
                records: self.len(),
                blocked_pairs: pairs.len(),
                distinct_patterns: pats.len(),
                u_pairs_sampled: u_sampled,
                em_iterations: iterations,
                em_converged: converged,
                lambda_blocked: lambda,
                m_not_estimated,
            },
        })
    }

    fn weights(&self, model: &Model) -> Result<Weights> {
        model.check_shape(&self.settings)?;
        let w = model
            .comparisons
            .iter()
            .map(|c| {
                c.levels
                    .iter()
                    .enumerate()
                    .map(|(l, lv)| if l == 0 { 0.0 } else { (lv.m / lv.u).log2() })
                    .collect()
            })
            .collect();
        let tf = self
            .settings
            .comparisons
            .iter()
            .zip(&model.comparisons)
            .map(|(c, t)| {
                if !c.tf_adjust {
                    return None;
                }
                let exact = c
                    .levels
                    .iter()
                    .position(|l| matches!(l, LevelSpec::Exact))?
                    + 1;
                Some((exact as u8, t.levels[exact].u, c.tf_min.unwrap_or(1e-6)))
            })
            .collect();
        Ok(Weights {
            prior_w: prob_to_weight(model.prior),
            w,
            tf,
        })
    }

    #[inline]
    fn score_with(&self, w: &Weights, a: u32, b: u32) -> f64 {
        let mut total = w.prior_w;
        for (j, (c, spec)) in self
            .columns
            .iter()
            .zip(&self.settings.comparisons)
            .enumerate()
        {
            let (ia, ib) = (c.ids[a as usize], c.ids[b as usize]);
            let l = level_of(c, &spec.levels, ia, ib);
            total += w.w[j][l as usize];
            if let Some((exact, u_exact, tf_min)) = w.tf[j] {
                if l == exact {
                    total += (u_exact / c.frequency(ia).max(tf_min)).log2();
                }
            }
        }
        total
    }

    /// Match weight of any two records under a model.
    pub fn score(&self, model: &Model, a: u32, b: u32) -> Result<f64> {
        let w = self.weights(model)?;
        self.check_record(a)?;
        self.check_record(b)?;
        Ok(self.score_with(&w, a, b))
    }

    fn check_record(&self, r: u32) -> Result<()> {
        if (r as usize) < self.len() {
            Ok(())
        } else {
            Err(LinkError::Datasets(format!(
                "record index {r} out of range"
            )))
        }
    }

    /// Score all candidate pairs; keep those at or above the settings' threshold.
    pub fn predict(&self, model: &Model) -> Result<Predictions> {
        let threshold = self.settings.threshold.as_weight();
        self.predict_at(model, threshold)
    }

    /// Score all candidate pairs; keep those with weight at or above `threshold_weight`.
    pub fn predict_at(&self, model: &Model, threshold_weight: f64) -> Result<Predictions> {
        let w = self.weights(model)?;
        let pairs = self.candidate_pairs();
        let matches: Vec<ScoredPair> = pairs
            .par_chunks(1 << 14)
            .flat_map_iter(|chunk| {
                let w = &w;
                chunk.iter().filter_map(move |&p| {
                    let (a, b) = unpack(p);
                    let weight = self.score_with(w, a, b);
                    (weight >= threshold_weight).then_some(ScoredPair { a, b, weight })
                })
            })
            .collect();
        Ok(Predictions {
            candidate_pairs: pairs.len(),
            matches,
            threshold_weight,
        })
    }

    /// Cluster the matches into persons (see [`crate::cluster`]) with the settings' floor and
    /// maximum cluster size.
    pub fn cluster(&self, model: &Model, predictions: &Predictions) -> Result<Clustering> {
        let w = self.weights(model)?;
        let edges: Vec<(u32, u32, f64)> = predictions
            .matches
            .iter()
            .map(|p| (p.a, p.b, p.weight))
            .collect();
        let floor = self
            .settings
            .clustering
            .floor_probability
            .map(prob_to_weight);
        Ok(cluster(
            self.len(),
            &edges,
            floor,
            self.settings.clustering.max_cluster_size,
            |x, y| self.score_with(&w, x, y),
        ))
    }

    /// Explain the weight of a pair, comparison by comparison.
    pub fn explain(&self, model: &Model, a: u32, b: u32) -> Result<Explanation> {
        let w = self.weights(model)?;
        self.check_record(a)?;
        self.check_record(b)?;
        let mut terms = Vec::with_capacity(self.columns.len());
        let mut total = w.prior_w;
        for (j, (c, spec)) in self
            .columns
            .iter()
            .zip(&self.settings.comparisons)
            .enumerate()
        {
            let (ia, ib) = (c.ids[a as usize], c.ids[b as usize]);
            let l = level_of(c, &spec.levels, ia, ib);
            let lv = &model.comparisons[j].levels[l as usize];
            let mut tf_adjustment = 0.0;
            if let Some((exact, u_exact, tf_min)) = w.tf[j] {
                if l == exact {
                    tf_adjustment = (u_exact / c.frequency(ia).max(tf_min)).log2();
                }
            }
            total += w.w[j][l as usize] + tf_adjustment;
            terms.push(Term {
                comparison: model.comparisons[j].name.clone(),
                value_a: c.value(a as usize).map(str::to_string),
                value_b: c.value(b as usize).map(str::to_string),
                level: lv.label.clone(),
                m: lv.m,
                u: lv.u,
                partial_weight: w.w[j][l as usize],
                tf_adjustment,
            });
        }
        Ok(Explanation {
            id_a: self.ids[a as usize].clone(),
            id_b: self.ids[b as usize].clone(),
            prior_weight: w.prior_w,
            terms,
            match_weight: total,
            match_probability: weight_to_prob(total),
        })
    }
}
