//! DP aggregates: consistency, thresholds, fallback, errors, and the CTDC VP file.

use std::collections::HashMap;

use cthub_privacy::dp::aggregates::{
    dp_aggregates, release_with_ledger, AggregateConfig, AggregateRelease, Hierarchies,
    ReleaseError, Threshold,
};
use cthub_privacy::dp::{DpError, InMemoryLedger, LedgerError};
use cthub_privacy::{Generalisation, Table};
use proptest::prelude::*;

fn table(header: &[&str], rows: &[Vec<String>]) -> Table {
    Table::from_rows(header, rows.iter().cloned())
}

/// Checks every invariant of a release.
fn check_release(r: &AggregateRelease) {
    let mut detailed: HashMap<(Vec<String>, Vec<String>), u64> = HashMap::new();
    for c in r.counts.iter().filter(|c| !c.remainder) {
        detailed.insert((c.columns.clone(), c.values.clone()), c.noisy.count);
    }
    for c in &r.counts {
        let k = c.columns.len();
        let info = &r.lengths[k - 1];
        assert!(c.noisy.count >= info.threshold, "below threshold: {c:?}");
        assert!(c.noisy.lower <= c.noisy.count && c.noisy.count <= c.noisy.upper || c.remainder);
        if c.remainder {
            assert!(c.levels.iter().any(|&l| l > 0));
            continue;
        }
        assert!(c.levels.iter().all(|&l| l == 0));
        if k == 1 {
            assert!(c.noisy.count <= r.total.count, "{c:?} exceeds total");
        }
        for drop in 0..k {
            if k == 1 {
                break;
            }
            let cols: Vec<String> = (0..k)
                .filter(|&j| j != drop)
                .map(|j| c.columns[j].clone())
                .collect();
            let vals: Vec<String> = (0..k)
                .filter(|&j| j != drop)
                .map(|j| c.values[j].clone())
                .collect();
            let parent = detailed
                .get(&(cols.clone(), vals.clone()))
                .unwrap_or_else(|| {
                    panic!("{c:?} published without its sub-combination {cols:?}={vals:?}")
                });
            assert!(
                c.noisy.count <= *parent,
                "{c:?} exceeds sub-combination {parent}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn consistency_and_thresholds_hold(
        rows in proptest::collection::vec(proptest::collection::vec(0u8..4, 4), 1..400),
        rho in 0.01f64..5.0,
        len in 1usize..=4,
        fixed in proptest::option::of(1u64..20),
    ) {
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|v| format!("v{v}")).collect()).collect();
        let t = table(&["a", "b", "c", "d"], &rows);
        let mut cfg = AggregateConfig::new(vec!["a".into(), "b".into(), "c".into(), "d".into()], rho);
        cfg.reporting_length = len;
        if let Some(f) = fixed { cfg.threshold = Threshold::Fixed(f); }
        let r = dp_aggregates(&t, &cfg, &HashMap::new()).unwrap();
        check_release(&r);
        prop_assert_eq!(r.lengths.len(), len);
    }
}

/// country → region → *: countries named "E.." are in Europe, "US" in the Americas.
struct Regions(Vec<String>);
impl Generalisation for Regions {
    fn levels(&self) -> usize {
        3
    }
    fn generalise(&self, value: &str, level: usize) -> Option<&str> {
        match level {
            0 => self.0.iter().find(|v| *v == value).map(String::as_str),
            1 if value.starts_with('E') => Some("Europe"),
            1 if value == "US" => Some("Americas"),
            2 => Some("*"),
            _ => None,
        }
    }
}

#[test]
fn rare_countries_fall_back_to_region() {
    // 3000 US and 20 European countries of 12 records: at σ ≈ 13 a single country (threshold
    // ≈ 26) is rarely published, the European remainder (≈ 200 over ~17 cells, threshold
    // ≈ 2.72·σ·√17 ≈ 148) nearly always is: 20 tries all failing has probability < 1e-15.
    let mut rows = Vec::new();
    for i in 0..3000 {
        rows.push(vec!["US".to_string(), format!("s{}", i % 2)]);
    }
    for c in 0..20 {
        for i in 0..12 {
            rows.push(vec![format!("E{c}"), format!("s{}", i % 2)]);
        }
    }
    let t = table(&["country", "sex"], &rows);
    let mut cfg = AggregateConfig::new(vec!["country".into(), "sex".into()], 0.006 / 0.95);
    cfg.reporting_length = 1;
    let regions = Regions(
        (0..20)
            .map(|c| format!("E{c}"))
            .chain(["US".to_string()])
            .collect(),
    );
    let mut h: Hierarchies = HashMap::new();
    h.insert("country".into(), &regions);
    let mut europe_seen = 0;
    for _ in 0..20 {
        let r = dp_aggregates(&t, &cfg, &h).unwrap();
        check_release(&r);
        if r.counts
            .iter()
            .any(|c| c.remainder && c.values == ["Europe"] && c.levels == [1])
        {
            europe_seen += 1;
        }
        assert!(!r
            .counts
            .iter()
            .any(|c| c.remainder && c.values == ["Americas"]));
    }
    assert!(europe_seen > 0, "the Europe remainder was never published");
    // 2-way: the (Europe, sex) remainders appear too
    cfg.reporting_length = 2;
    cfg.rho = 1.0;
    let r = dp_aggregates(&t, &cfg, &h).unwrap();
    check_release(&r);
}

#[test]
fn person_bound_changes_sensitivity() {
    let rows: Vec<Vec<String>> = (0..100)
        .map(|i| vec![format!("p{}", i % 10), "x".into()])
        .collect();
    let t = table(&["pid", "v"], &rows);
    let mut cfg = AggregateConfig::new(vec!["v".into()], 1.0);
    cfg.person_id = Some("pid".into());
    cfg.max_records_per_person = 2;
    let r = dp_aggregates(&t, &cfg, &HashMap::new()).unwrap();
    let r1 = {
        let mut c = cfg.clone();
        c.max_records_per_person = 1;
        dp_aggregates(&t, &c, &HashMap::new()).unwrap()
    };
    assert!((r.lengths[0].sigma - 2.0 * r1.lengths[0].sigma).abs() < 1e-9);
    // Only 20 records are kept: the noisy total is near 20, far from 100. Within four 95%
    // half-widths (about 7.8 sigma: a false failure has probability below 1e-13), never a
    // check the 95% interval itself would fail one run in twenty.
    let hw = r.total.upper.saturating_sub(r.total.lower) / 2;
    let diff = (r.total.count as i64 - 20).unsigned_abs();
    assert!(diff <= 4 * hw.max(1), "{:?}", r.total);
    assert!(
        20 + 4 * hw < 100,
        "the test cannot tell 20 from 100: {:?}",
        r.total
    );
    cfg.columns = vec!["pid".into()];
    assert!(matches!(
        dp_aggregates(&t, &cfg, &HashMap::new()),
        Err(DpError::InvalidParameter(_))
    ));
}

#[test]
fn bad_input_is_refused_clearly() {
    let rows = vec![vec!["a".to_string()]];
    let t = table(&["x"], &rows);
    let h = HashMap::new();
    let mut cfg = AggregateConfig::new(vec!["y".into()], 1.0);
    assert_eq!(
        dp_aggregates(&t, &cfg, &h).unwrap_err(),
        DpError::UnknownColumn("y".into())
    );
    cfg.columns = vec!["x".into()];
    cfg.reporting_length = 0;
    assert_eq!(
        dp_aggregates(&t, &cfg, &h).unwrap_err(),
        DpError::ZeroReportingLength
    );
    cfg.reporting_length = 2;
    cfg.rho = -1.0;
    assert!(dp_aggregates(&t, &cfg, &h)
        .unwrap_err()
        .to_string()
        .contains("rho"));
    cfg.rho = 1.0;
    let ledger = InMemoryLedger::new();
    ledger.set_budget("d", 1.5).unwrap();
    release_with_ledger(&ledger, "d", &t, &cfg, &h).unwrap();
    let err = release_with_ledger(&ledger, "d", &t, &cfg, &h).unwrap_err();
    assert!(
        matches!(err, ReleaseError::Ledger(LedgerError::Exceeded { .. })),
        "{err}"
    );
    let mut csv = Vec::new();
    dp_aggregates(&t, &cfg, &h)
        .unwrap()
        .write_csv(&mut csv)
        .unwrap();
    assert!(String::from_utf8(csv)
        .unwrap()
        .starts_with("length,columns,values"));
}

#[test]
fn ctdc_vp_aggregates() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/ctdc-vp-synthetic/CTDC_VPsynthetic_condensed.csv"
    );
    if !std::path::Path::new(path).exists() {
        eprintln!("SKIPPED: {path} not found");
        return;
    }
    let t = Table::from_csv(std::path::Path::new(path), b',').unwrap();
    let cols: Vec<String> = t.names().iter().map(|s| s.to_string()).collect();
    let rho = cthub_privacy::dp::budget::epsilon_to_rho(4.0, 1e-6, Default::default()).unwrap();
    let cfg = AggregateConfig::new(cols, rho);
    let r = dp_aggregates(&t, &cfg, &HashMap::new()).unwrap();
    check_release(&r);
    let singles = r.counts.iter().filter(|c| c.columns.len() == 1).count();
    let input_singles: usize = t.columns.iter().map(|c| c.values.len()).sum();
    eprintln!(
        "VP aggregates at eps=4: {} counts, {singles} of {input_singles} single values published, lengths {:?}",
        r.counts.len(),
        r.lengths
    );
    assert!(singles * 10 >= input_singles * 8);
}
