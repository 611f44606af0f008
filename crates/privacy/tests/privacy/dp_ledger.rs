//! Property tests of the budget ledger.

use cthub_privacy::dp::{Charge, InMemoryLedger, Ledger, LedgerError};
use proptest::prelude::*;

proptest! {
    /// Whatever sequence of charges (including invalid ones) is attempted, the ledger never goes
    /// below zero, never exceeds the budget, and refused charges change nothing.
    #[test]
    fn ledger_never_negative_never_over_budget(
        budget in 0.001f64..10.0,
        charges in proptest::collection::vec(
            prop_oneof![
                -1.0f64..2.0,
                Just(0.0),
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(-0.0),
                0.0f64..0.01
            ],
            0..60
        )
    ) {
        let l = InMemoryLedger::new();
        l.set_budget("d", budget).unwrap();
        let mut expected = 0.0f64;
        for (i, rho) in charges.into_iter().enumerate() {
            let before = l.entries("d").unwrap().len();
            match l.charge("d", &Charge { rho, purpose: format!("c{i}") }) {
                Ok(entry) => {
                    prop_assert!(rho > 0.0 && rho.is_finite());
                    prop_assert_eq!(entry.seq as usize, before);
                    expected += rho;
                }
                Err(LedgerError::Exceeded { budget: b, spent, requested, .. }) => {
                    prop_assert_eq!(b, budget);
                    prop_assert!(spent + requested > budget);
                    prop_assert_eq!(l.entries("d").unwrap().len(), before);
                }
                Err(LedgerError::InvalidCharge(_)) => {
                    prop_assert!(!(rho > 0.0 && rho.is_finite()));
                    prop_assert_eq!(l.entries("d").unwrap().len(), before);
                }
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
            let spent = l.spent("d").unwrap();
            prop_assert!(spent >= 0.0);
            prop_assert!(spent <= budget, "spent {spent} > budget {budget}");
            prop_assert!(l.entries("d").unwrap().iter().all(|e| e.rho > 0.0));
            prop_assert!((spent - expected).abs() < 1e-9);
        }
    }
}

#[test]
fn ledger_is_object_safe_and_shareable() {
    let l: std::sync::Arc<dyn Ledger + Send + Sync> = std::sync::Arc::new(InMemoryLedger::new());
    assert!(matches!(l.budget("x"), Err(LedgerError::UnknownDataset(_))));
}
