//! DP synthetic data: quality on Adult, small categories on the CTDC VP file, input errors.

use std::path::Path;

use cthub_privacy::dp::budget::{epsilon_to_rho, Conversion};
use cthub_privacy::dp::evaluate::evaluate;
use cthub_privacy::dp::synth::{synthesize, SynthConfig};
use cthub_privacy::dp::workload::{evaluate_workload, Indicator, IndicatorQuality};
use cthub_privacy::dp::DpError;
use cthub_privacy::Table;
use proptest::prelude::*;

const ADULT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/adult-arx/adult.csv"
);
const VP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/ctdc-vp-synthetic/CTDC_VPsynthetic_condensed.csv"
);

/// Adult, 9 categorical columns, ε = 1, δ = 1e-9 (ρ ≈ 0.0150, tight conversion).
/// Targets: AIM's mean TVD (2-way 0.040, 3-way 0.097) and a wide margin over the
/// independent-columns baseline (2-way 0.081). The noise is fresh on every run (it does not
/// depend on the seed). Measured over 20 release-build runs of the default configuration:
/// 2-way TVD 0.0349-0.0403 (median 0.0371, 1 run of 20 above 0.040), 3-way 0.0790-0.0866
/// (median 0.0817, every run at least 0.01 below its target).
/// Statistic: the **median of 5 runs** must meet the strict targets. It fails only if at least
/// 3 of 5 runs miss; with a per-run miss rate p ≈ 0.05 (1 of 20 observed; even p = 0.1 gives
/// 8.6e-3) that is 10·p³ − 15·p⁴ + 6·p⁵ ≈ 1.2e-3, and far smaller for the 3-way target.
#[test]
fn adult_meets_quality_targets() {
    if !Path::new(ADULT).exists() {
        eprintln!("SKIPPED: {ADULT} not found");
        return;
    }
    let t = Table::from_csv(Path::new(ADULT), b';').unwrap();
    assert_eq!((t.n_rows(), t.n_columns()), (30_162, 9));
    let rho = epsilon_to_rho(1.0, 1e-9, Conversion::Tight).unwrap();
    let runs = 5;
    let (mut t2s, mut t3s) = (Vec::new(), Vec::new());
    for seed in 0..runs {
        let mut cfg = SynthConfig::new(rho);
        cfg.seed = seed;
        let s = synthesize(&t, &cfg).unwrap();
        let r = evaluate(&t, &s.table, 3, 10).unwrap();
        eprintln!(
            "Adult eps=1 run {seed}: rows {} TVD 1-way {:.4} 2-way {:.4} 3-way {:.4}, single values {}/{}, rare leakage {:.3}",
            s.table.n_rows(),
            r.tvd(1).unwrap(),
            r.tvd(2).unwrap(),
            r.tvd(3).unwrap(),
            r.single_values_surviving,
            r.single_values_sensitive,
            r.rare_leakage_share
        );
        t2s.push(r.tvd(2).unwrap());
        t3s.push(r.tvd(3).unwrap());
        assert!(
            r.tvd(2).unwrap() < 0.081 * 0.6,
            "not far enough below the independent baseline"
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (t2, t3) = (median(&mut t2s), median(&mut t3s));
    eprintln!("Adult eps=1 median of {runs}: TVD 2-way {t2:.4} 3-way {t3:.4}");
    assert!(t2 <= 0.040, "2-way TVD median {t2} (target 0.040)");
    assert!(t3 <= 0.097, "3-way TVD median {t3} (target 0.097)");
}

/// Declared public domains: values outside become the `other` value, and the output's values
/// are exactly the declared list (plus `other`), whatever the data holds.
#[test]
fn public_domains_are_used() {
    let rows: Vec<Vec<String>> = (0..300)
        .map(|i| {
            vec![
                ["a", "b", "zz"][i % 3].to_string(),
                ["x", "y"][i % 2].to_string(),
            ]
        })
        .collect();
    let t = Table::from_rows(&["p", "q"], rows);
    let mut cfg = SynthConfig::new(1.0);
    cfg.public_domains
        .insert("p".into(), vec!["a".into(), "b".into(), "c".into()]);
    cfg.other_value = "other".into();
    let s = synthesize(&t, &cfg).unwrap();
    let p = s.table.column("p").unwrap();
    assert!(p
        .values
        .iter()
        .all(|v| ["a", "b", "c", "other"].contains(&v.as_str())));
    assert!(p.values.iter().any(|v| v == "other"), "zz maps to other");
    let recoded =
        cthub_privacy::dp::apply_public_domains(&t, &cfg.public_domains, "other").unwrap();
    assert_eq!(
        recoded.column("p").unwrap().values,
        vec!["a", "b", "c", "other"]
    );
    cfg.public_domains.insert("nope".into(), vec![]);
    assert_eq!(
        synthesize(&t, &cfg).unwrap_err(),
        DpError::UnknownColumn("nope".into())
    );
}

/// CTDC VP file at ε = 4 (δ = 1e-9): reports how many single values of the input survive.
#[test]
fn vp_keeps_small_categories() {
    if !Path::new(VP).exists() {
        eprintln!("SKIPPED: {VP} not found");
        return;
    }
    let t = Table::from_csv(Path::new(VP), b',').unwrap();
    let rho = epsilon_to_rho(4.0, 1e-9, Conversion::Tight).unwrap();
    let s = synthesize(&t, &SynthConfig::new(rho)).unwrap();
    let r = evaluate(&t, &s.table, 3, 10).unwrap();
    eprintln!(
        "VP eps=4: {} of {} single values survive (lost: {:?}); TVD 1-way {:.4} 2-way {:.4} 3-way {:.4}; rare-combination leakage {:.3}",
        r.single_values_surviving,
        r.single_values_sensitive,
        r.single_values_lost,
        r.tvd(1).unwrap(),
        r.tvd(2).unwrap(),
        r.tvd(3).unwrap(),
        r.rare_leakage_share
    );
    assert!(r.single_values_surviving * 10 >= r.single_values_sensitive * 9);
    // the exact record count is not reproduced on purpose: rows = noisy total
    assert!((s.table.n_rows() as f64 - t.n_rows() as f64).abs() < 500.0);
}

#[test]
fn bad_input_is_refused() {
    let rows = vec![vec!["a".to_string(), "b".to_string()]];
    let t = Table::from_rows(&["x", "y"], rows);
    assert_eq!(
        synthesize(&t, &SynthConfig::new(0.0)).unwrap_err(),
        DpError::InvalidRho(0.0)
    );
    let mut cfg = SynthConfig::new(1.0);
    cfg.columns = Some(vec!["zz".into()]);
    assert_eq!(
        synthesize(&t, &cfg).unwrap_err(),
        DpError::UnknownColumn("zz".into())
    );
    cfg.columns = Some(vec![]);
    assert_eq!(synthesize(&t, &cfg).unwrap_err(), DpError::NoColumns);
    let empty = Table::from_rows(&["x"], Vec::<Vec<String>>::new());
    assert_eq!(
        synthesize(&empty, &SynthConfig::new(1.0)).unwrap_err(),
        DpError::EmptyTable
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    /// Any small table: the output has the requested rows, the same columns, and only values of
    /// the input's (public) domains.
    #[test]
    fn output_is_well_formed(
        rows in proptest::collection::vec(proptest::collection::vec(0u8..5, 3), 1..200),
        rho in 0.01f64..10.0,
        n in 0usize..300,
    ) {
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|v| format!("v{v}")).collect()).collect();
        let t = Table::from_rows(&["a", "b", "c"], rows);
        let mut cfg = SynthConfig::new(rho);
        cfg.rows = Some(n);
        let s = synthesize(&t, &cfg).unwrap();
        prop_assert_eq!(s.table.n_rows(), n);
        prop_assert_eq!(s.table.names(), t.names());
        for (a, b) in s.table.columns.iter().zip(&t.columns) {
            prop_assert!(a.values.iter().all(|v| b.values.contains(v)));
        }
    }
}

/// The columns of the long-tail test: the dashboard's figures and a few more.
const FLOW_COLUMNS: [&str; 9] = [
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "meansOfControlDebtBondage",
    "recruiterRelationFriend",
];

fn long_tail_table(victims: usize, seed: u64) -> Table {
    demo_table(victims, seed, cthub_demo::FlowShape::LongTail)
}

fn demo_table(victims: usize, seed: u64, flows: cthub_demo::FlowShape) -> Table {
    let cfg = cthub_demo::DemoConfig {
        seed,
        victims,
        flows,
        ..cthub_demo::DemoConfig::default()
    };
    let header = cthub_standard::ctdc::KANON_2018_COLUMNS;
    let idx: Vec<usize> = FLOW_COLUMNS
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap())
        .collect();
    Table::from_rows(
        &FLOW_COLUMNS,
        cthub_demo::DemoGenerator::new(cfg)
            .map(|r| idx.iter().map(|&i| r[i].clone()).collect::<Vec<_>>()),
    )
}

fn flow_quality(sensitive: &Table, synthetic: &Table) -> IndicatorQuality {
    flow_quality_top(sensitive, synthetic, 10)
}

fn flow_quality_top(sensitive: &Table, synthetic: &Table, top_k: usize) -> IndicatorQuality {
    let missing = |v: &str| v == "00" || v == "-99" || v == "Unknown" || v.is_empty();
    evaluate_workload(
        sensitive,
        synthetic,
        &[Indicator::new(
            "flows",
            &["citizenship", "CountryOfExploitation"],
        )],
        top_k,
        &missing,
    )
    .unwrap()
    .remove(0)
}

/// The flows of a long-tail population (50,000 victims, ~100 pairs carry 90% of flows,
/// ~2,000 pairs under 20 records, 139 × 160 countries) survive synthesis at ε = 1 (δ = 1e-6)
/// when they are the declared workload: flow TVD ≤ 0.15, at most 5% of synthetic flow records
/// on pairs the data lacks, and the 10 largest flows among the synthetic top 10 (at least 9:
/// the 9th and 10th true flows can differ by less than the noise). Without the workload the
/// same synthesiser fabricates most flows (printed for comparison).
/// Statistic: the median of 3 runs (fresh noise each) must meet each target.
#[test]
fn long_tail_flows_survive_at_epsilon_one_with_the_workload() {
    let t = long_tail_table(50_000, 2002);
    let rho = epsilon_to_rho(1.0, 1e-6, Conversion::Tight).unwrap();
    let mut plain = SynthConfig::new(rho);
    plain.seed = 1;
    let q0 = flow_quality(&t, &synthesize(&t, &plain).unwrap().table);
    println!(
        "without workload: flow TVD {:.3}, fabricated {:.3}, top-10 kept {}",
        q0.tvd, q0.fabricated_record_share, q0.top_k_kept
    );
    let mut cfg = plain.clone();
    cfg.workload = vec![vec!["citizenship".into(), "CountryOfExploitation".into()]];
    let (mut tvd, mut fab, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    for seed in 1..=3 {
        cfg.seed = seed;
        let s = synthesize(&t, &cfg).unwrap();
        let q = flow_quality(&t, &s.table);
        println!(
            "with workload (σ_w {:.1}, {} flow cells kept): flow TVD {:.3}, fabricated {:.3}, top-10 kept {}",
            s.workload_sigma, s.workload_support[0], q.tvd, q.fabricated_record_share, q.top_k_kept
        );
        tvd.push(q.tvd);
        fab.push(q.fabricated_record_share);
        kept.push(q.top_k_kept);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[1]
    };
    kept.sort_unstable();
    assert!(median(&mut tvd) <= 0.15, "flow TVD {tvd:?}");
    assert!(median(&mut fab) <= 0.05, "fabricated flow records {fab:?}");
    assert!(kept[1] >= 9, "top-10 flows kept {kept:?}");
}

/// The demo store's population (200,000 victims, the README's first command): at ε = 1 with the
/// flows as workload (as `cthub release synthetic` declares them), the synthetic top 5 flows are
/// the true top 5, so the Sankey a visitor sees first shows the true routes. The 5th and 6th true
/// flows (KH → TH, UA → UA) differ by about 500 records, against a measurement noise σ of a few
/// records (printed) and a sampling spread of about ±100 records, so a false failure needs a
/// many-σ event. Statistic: at least 2 of 3 runs (fresh noise each).
#[test]
fn demo_top_five_flows_are_the_true_top_five() {
    let t = demo_table(200_000, 2002, cthub_demo::FlowShape::Demo);
    let rho = epsilon_to_rho(1.0, 1e-6, Conversion::Tight).unwrap();
    let mut cfg = SynthConfig::new(rho);
    cfg.workload = vec![vec!["citizenship".into(), "CountryOfExploitation".into()]];
    let mut kept = Vec::new();
    for seed in 1..=3 {
        cfg.seed = seed;
        let s = synthesize(&t, &cfg).unwrap();
        let q = flow_quality_top(&t, &s.table, 6);
        println!(
            "demo, workload σ {:.1}: true top {:?}, synthetic top {:?}",
            s.workload_sigma, q.sensitive_top, q.synthetic_top
        );
        let top5 = |v: &[(String, f64)]| {
            let mut k: Vec<String> = v.iter().take(5).map(|(p, _)| p.clone()).collect();
            k.sort();
            k
        };
        kept.push(top5(&q.sensitive_top) == top5(&q.synthetic_top));
    }
    assert!(
        kept.iter().filter(|k| **k).count() >= 2,
        "runs whose synthetic top 5 flows are the true top 5: {kept:?}"
    );
}

#[test]
fn workload_errors_are_clear() {
    let t = long_tail_table(500, 1);
    let mut cfg = SynthConfig::new(1.0);
    cfg.workload = vec![vec!["citizenship".into(), "nope".into()]];
    let e = synthesize(&t, &cfg).unwrap_err().to_string();
    assert!(e.contains("nope"), "{e}");
    cfg.workload = vec![vec![
        "gender".into(),
        "ageBroad".into(),
        "citizenship".into(),
    ]];
    assert!(synthesize(&t, &cfg).is_err());
    cfg.workload = vec![vec!["gender".into()]];
    cfg.workload_share = 1.0;
    assert!(synthesize(&t, &cfg).is_err());
}
