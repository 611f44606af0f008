//! Privacy accounting in zero-concentrated differential privacy (ρ-zCDP) and the budget ledger.
//!
//! * **Composition**: running mechanisms that are ρ₁-, …, ρₖ-zCDP on the same data is
//!   (Σρᵢ)-zCDP ([`compose`]). The ledger charges ρ and adds.
//! * **Conversion to (ε, δ)**: ρ-zCDP implies (ε, δ)-DP for every δ ∈ (0,1) with
//!   - [`Conversion::Standard`]: ε = ρ + 2√(ρ ln(1/δ)) (Bun & Steinke 2016, Prop. 1.3);
//!   - [`Conversion::Tight`]: ε = inf over α > 1 of
//!     αρ + (ln(1/δ) + (α−1) ln(1−1/α) − ln α)/(α−1) (Canonne, Kamath & Steinke 2020,
//!     Cor. 13). Any α gives a valid ε, so the numerical minimisation is sound even where it is
//!     not exact; the result is never above the standard bound.
//! * **From a user's ε at a fixed δ to ρ** ([`epsilon_to_rho`]): the largest ρ whose conversion
//!   is at most ε (bisection, returning the lower end, so the promise ε is kept).
//!
//! # Ledger
//! [`Ledger`] is the interface of a per-dataset budget store: list a dataset's entries, its
//! budget, what it has spent, and `charge` — which must refuse (atomically, in a store: check and
//! insert in one transaction) any charge that would take the spent total over the budget, and
//! any charge that is not a finite positive ρ. [`InMemoryLedger`] implements it for tests and
//! for single-process use.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::DpError;

fn check_rho(rho: f64) -> Result<f64, DpError> {
    if rho.is_finite() && rho > 0.0 {
        Ok(rho)
    } else {
        Err(DpError::InvalidRho(rho))
    }
}

fn check_delta(delta: f64) -> Result<f64, DpError> {
    if delta > 0.0 && delta < 1.0 {
        Ok(delta)
    } else {
        Err(DpError::InvalidDelta(delta))
    }
}

fn check_epsilon(epsilon: f64) -> Result<f64, DpError> {
    if epsilon.is_finite() && epsilon > 0.0 {
        Ok(epsilon)
    } else {
        Err(DpError::InvalidEpsilon(epsilon))
    }
}

/// Sequential composition in zCDP: the ρ's add.
pub fn compose(rhos: &[f64]) -> Result<f64, DpError> {
    rhos.iter().try_fold(0.0, |acc, &r| Ok(acc + check_rho(r)?))
}

/// Which zCDP → (ε, δ) conversion to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conversion {
    /// ε = ρ + 2√(ρ ln(1/δ)).
    Standard,
    /// The CKS20 bound, minimised over the Rényi order (never larger than `Standard`).
    #[default]
    Tight,
}

/// The ε for which ρ-zCDP implies (ε, δ)-DP.
pub fn rho_to_epsilon(rho: f64, delta: f64, conversion: Conversion) -> Result<f64, DpError> {
    let rho = check_rho(rho)?;
    let delta = check_delta(delta)?;
    let standard = rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt();
    Ok(match conversion {
        Conversion::Standard => standard,
        Conversion::Tight => tight_epsilon(rho, delta).min(standard),
    })
}

fn tight_epsilon(rho: f64, delta: f64) -> f64 {
    let ln_inv_delta = (1.0 / delta).ln();
    let eps_at = |alpha: f64| {
        alpha * rho
            + (ln_inv_delta + (alpha - 1.0) * (1.0 - 1.0 / alpha).ln() - alpha.ln()) / (alpha - 1.0)
    };
    // Grid over log(α - 1), then golden-section refinement around the best point.
    let mut best = (f64::INFINITY, 0.0f64);
    let steps = 400;
    for i in 0..=steps {
        let t = -8.0 + 20.0 * i as f64 / steps as f64; // α - 1 from e^-8 to e^12
        let alpha = 1.0 + t.exp();
        let e = eps_at(alpha);
        if e < best.0 {
            best = (e, t);
        }
    }
    let (mut lo, mut hi) = (best.1 - 0.05, best.1 + 0.05);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let a = hi - phi * (hi - lo);
        let b = lo + phi * (hi - lo);
        if eps_at(1.0 + a.exp()) < eps_at(1.0 + b.exp()) {
            hi = b;
        } else {
            lo = a;
        }
    }
    let refined = eps_at(1.0 + (0.5 * (lo + hi)).exp());
    refined.min(best.0).max(0.0)
}

/// The largest ρ such that ρ-zCDP implies (ε, δ)-DP under `conversion`.
pub fn epsilon_to_rho(epsilon: f64, delta: f64, conversion: Conversion) -> Result<f64, DpError> {
    let epsilon = check_epsilon(epsilon)?;
    let delta = check_delta(delta)?;
    // Standard bound inverted in closed form is a valid lower starting point.
    let l = (1.0 / delta).ln();
    let standard = ((l + epsilon).sqrt() - l.sqrt()).powi(2);
    if conversion == Conversion::Standard {
        return Ok(standard);
    }
    let (mut lo, mut hi) = (standard, epsilon.max(standard * 4.0));
    while rho_to_epsilon(hi, delta, conversion)? <= epsilon {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if rho_to_epsilon(mid, delta, conversion)? <= epsilon {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// A privacy budget stated either as ρ or as (ε, δ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    Rho(f64),
    EpsilonDelta { epsilon: f64, delta: f64 },
}

impl Budget {
    /// The budget as ρ (an (ε, δ) budget is converted with the tight conversion).
    pub fn rho(&self) -> Result<f64, DpError> {
        match *self {
            Budget::Rho(r) => check_rho(r),
            Budget::EpsilonDelta { epsilon, delta } => {
                epsilon_to_rho(epsilon, delta, Conversion::Tight)
            }
        }
    }
}

/// A request to spend part of a dataset's budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charge {
    /// zCDP cost; must be finite and > 0.
    pub rho: f64,
    /// What the budget is spent on (e.g. "DP aggregates, length 3, columns ...").
    pub purpose: String,
}

/// One accepted charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub dataset: String,
    /// Position of this entry in the dataset's ledger, from 0.
    pub seq: u64,
    pub rho: f64,
    pub purpose: String,
}

/// Failures of a ledger.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LedgerError {
    #[error("dataset {0:?} has no privacy budget set")]
    UnknownDataset(String),
    #[error(
        "privacy budget of dataset {dataset:?} exceeded: budget rho = {budget}, already spent \
         rho = {spent}, requested rho = {requested} (remaining rho = {remaining})",
        remaining = (budget - spent).max(0.0)
    )]
    Exceeded {
        dataset: String,
        budget: f64,
        spent: f64,
        requested: f64,
    },
    #[error("a charge must be a finite rho > 0, got {0}")]
    InvalidCharge(f64),
    #[error("a budget must be a finite rho > 0, got {0}")]
    InvalidBudget(f64),
    #[error("ledger storage failed: {0}")]
    Backend(String),
}

/// A per-dataset zCDP budget ledger. Object-safe: a store-backed implementation can be used as
/// `&dyn Ledger` / `Arc<dyn Ledger + Send + Sync>`.
///
/// Invariants every implementation keeps: entries are never negative; the sum of a dataset's
/// entries never exceeds its budget; a refused charge leaves the ledger unchanged.
pub trait Ledger {
    /// The dataset's total budget ρ.
    fn budget(&self, dataset: &str) -> Result<f64, LedgerError>;
    /// The dataset's accepted charges, oldest first.
    fn entries(&self, dataset: &str) -> Result<Vec<LedgerEntry>, LedgerError>;
    /// Total ρ spent on the dataset.
    fn spent(&self, dataset: &str) -> Result<f64, LedgerError> {
        Ok(self.entries(dataset)?.iter().map(|e| e.rho).sum())
    }
    /// What is left of the budget.
    fn remaining(&self, dataset: &str) -> Result<f64, LedgerError> {
        Ok((self.budget(dataset)? - self.spent(dataset)?).max(0.0))
    }
    /// Records the charge if it fits in the remaining budget, else refuses it with
    /// [`LedgerError::Exceeded`].
    fn charge(&self, dataset: &str, charge: &Charge) -> Result<LedgerEntry, LedgerError>;
}

#[derive(Debug, Default)]
struct Account {
    budget: f64,
    entries: Vec<LedgerEntry>,
}

/// A [`Ledger`] in memory (behind a mutex, so it can be shared between threads).
#[derive(Debug, Default)]
pub struct InMemoryLedger {
    accounts: Mutex<BTreeMap<String, Account>>,
}

impl InMemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or raises/lowers) a dataset's total budget. Lowering it below what is already spent
    /// is refused.
    pub fn set_budget(&self, dataset: &str, rho: f64) -> Result<(), LedgerError> {
        if !(rho.is_finite() && rho > 0.0) {
            return Err(LedgerError::InvalidBudget(rho));
        }
        let mut accounts = self.lock()?;
        let account = accounts.entry(dataset.to_string()).or_default();
        let spent: f64 = account.entries.iter().map(|e| e.rho).sum();
        if spent > rho {
            return Err(LedgerError::Exceeded {
                dataset: dataset.to_string(),
                budget: rho,
                spent,
                requested: 0.0,
            });
        }
        account.budget = rho;
        Ok(())
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<String, Account>>, LedgerError> {
        self.accounts
            .lock()
            .map_err(|_| LedgerError::Backend("ledger mutex poisoned".into()))
    }
}

impl Ledger for InMemoryLedger {
    fn budget(&self, dataset: &str) -> Result<f64, LedgerError> {
        self.lock()?
            .get(dataset)
            .map(|a| a.budget)
            .ok_or_else(|| LedgerError::UnknownDataset(dataset.to_string()))
    }

    fn entries(&self, dataset: &str) -> Result<Vec<LedgerEntry>, LedgerError> {
        self.lock()?
            .get(dataset)
            .map(|a| a.entries.clone())
            .ok_or_else(|| LedgerError::UnknownDataset(dataset.to_string()))
    }

    fn charge(&self, dataset: &str, charge: &Charge) -> Result<LedgerEntry, LedgerError> {
        if !(charge.rho.is_finite() && charge.rho > 0.0) {
            return Err(LedgerError::InvalidCharge(charge.rho));
        }
        let mut accounts = self.lock()?;
        let account = accounts
            .get_mut(dataset)
            .ok_or_else(|| LedgerError::UnknownDataset(dataset.to_string()))?;
        let spent: f64 = account.entries.iter().map(|e| e.rho).sum();
        if spent + charge.rho > account.budget {
            return Err(LedgerError::Exceeded {
                dataset: dataset.to_string(),
                budget: account.budget,
                spent,
                requested: charge.rho,
            });
        }
        let entry = LedgerEntry {
            dataset: dataset.to_string(),
            seq: account.entries.len() as u64,
            rho: charge.rho,
            purpose: charge.purpose.clone(),
        };
        account.entries.push(entry.clone());
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        for &(eps, delta) in &[(1.0, 1e-9), (4.0, 1e-6), (0.1, 1e-5), (10.0, 1e-9)] {
            for conv in [Conversion::Standard, Conversion::Tight] {
                let rho = epsilon_to_rho(eps, delta, conv).unwrap();
                let back = rho_to_epsilon(rho, delta, conv).unwrap();
                assert!(
                    back <= eps + 1e-9 && back > eps * 0.999,
                    "{eps} {conv:?} {back}"
                );
            }
            let s = epsilon_to_rho(eps, delta, Conversion::Standard).unwrap();
            let t = epsilon_to_rho(eps, delta, Conversion::Tight).unwrap();
            assert!(t >= s, "tight must allow at least the standard rho");
        }
        // ε=1, δ=1e-9: standard ρ ≈ 0.01174
        let s = epsilon_to_rho(1.0, 1e-9, Conversion::Standard).unwrap();
        assert!((s - 0.011_74).abs() < 1e-4, "{s}");
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert_eq!(
            epsilon_to_rho(0.0, 1e-9, Conversion::Tight),
            Err(DpError::InvalidEpsilon(0.0))
        );
        assert_eq!(
            epsilon_to_rho(1.0, 1.0, Conversion::Tight),
            Err(DpError::InvalidDelta(1.0))
        );
        assert!(rho_to_epsilon(-1.0, 1e-6, Conversion::Standard).is_err());
        assert!(compose(&[0.1, -0.1]).is_err());
        assert!((compose(&[0.1, 0.2]).unwrap() - 0.3).abs() < 1e-15);
    }

    #[test]
    fn ledger_refuses_overspending_with_figures() {
        let l = InMemoryLedger::new();
        l.set_budget("vp", 1.0).unwrap();
        l.charge(
            "vp",
            &Charge {
                rho: 0.6,
                purpose: "a".into(),
            },
        )
        .unwrap();
        let err = l
            .charge(
                "vp",
                &Charge {
                    rho: 0.5,
                    purpose: "b".into(),
                },
            )
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("budget rho = 1")
                && msg.contains("spent rho = 0.6")
                && msg.contains("requested rho = 0.5"),
            "{msg}"
        );
        assert!(l
            .charge(
                "vp",
                &Charge {
                    rho: -0.1,
                    purpose: "c".into()
                }
            )
            .is_err());
        assert!(l
            .charge(
                "nope",
                &Charge {
                    rho: 0.1,
                    purpose: "c".into()
                }
            )
            .is_err());
        assert_eq!(l.entries("vp").unwrap().len(), 1);
        let dynamic: &dyn Ledger = &l;
        assert!((dynamic.remaining("vp").unwrap() - 0.4).abs() < 1e-12);
    }
}
