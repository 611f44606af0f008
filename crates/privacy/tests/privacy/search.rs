//! Property tests of the search on generated tables and hierarchies: the optimum equals the
//! exhaustive optimum, and every release satisfies its models within the suppression limit.

use std::collections::HashMap;

use cthub_privacy::hierarchy::CodedHierarchy;
use cthub_privacy::sdc::lattice::{exhaustive, optimal};
use cthub_privacy::sdc::model::{entropy, equal_distance, hierarchical_emd};
use cthub_privacy::sdc::Engine;
use cthub_privacy::{anonymise, Distance, Hierarchy, MetricKind, Model, Problem, SdcError, Table};
use proptest::prelude::*;

/// A small deterministic generator (SplitMix64), so fixtures are reproducible from a seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A hierarchy over `v0..v{domain}`: level `i` groups values by `value / fan^i`, top `*`.
fn hierarchy(prefix: &str, domain: usize, levels: usize, fan: usize) -> Hierarchy {
    let rows = (0..domain)
        .map(|v| {
            let mut row = vec![format!("{prefix}{v}")];
            let mut g = v;
            for level in 1..levels - 1 {
                g /= fan;
                row.push(format!("{prefix}L{level}g{g}"));
            }
            row.push("*".to_string());
            row
        })
        .collect();
    Hierarchy::from_rows(prefix, rows).unwrap()
}

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    rows: usize,
    qis: usize,
    k: usize,
    l_distinct: Option<usize>,
    l_entropy: Option<f64>,
    t: Option<(f64, bool)>,
    limit: f64,
    metric: MetricKind,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        8usize..60,
        1usize..4,
        1usize..6,
        prop::option::of(1usize..4),
        prop::option::of(1.0f64..2.5),
        prop::option::of((0.1f64..1.0, any::<bool>())),
        prop::sample::select(vec![0.0, 0.05, 0.2, 0.5]),
        prop::sample::select(vec![
            MetricKind::Discernibility,
            MetricKind::Loss,
            MetricKind::NonUniformEntropy,
        ]),
    )
        .prop_map(
            |(seed, rows, qis, k, l_distinct, l_entropy, t, limit, metric)| Case {
                seed,
                rows,
                qis,
                k,
                l_distinct,
                l_entropy,
                t,
                limit,
                metric,
            },
        )
}

/// Builds the table (QIs `q0..`, sensitive `s`, an untouched `id`) and the problem.
fn build(c: &Case) -> (Table, Problem) {
    let mut rng = Rng(c.seed);
    let mut header: Vec<String> = (0..c.qis).map(|i| format!("q{i}")).collect();
    header.push("s".into());
    header.push("id".into());
    let shapes: Vec<(usize, usize, usize)> = (0..c.qis)
        .map(|_| (2 + rng.below(6), 2 + rng.below(3), 2 + rng.below(2)))
        .collect();
    let s_domain = 2 + rng.below(3);
    let rows: Vec<Vec<String>> = (0..c.rows)
        .map(|r| {
            let mut row: Vec<String> = shapes
                .iter()
                .enumerate()
                .map(|(i, &(d, _, _))| {
                    // Skewed values so that some classes are large and some small.
                    let v = rng.below(d).min(rng.below(d));
                    format!("q{i}v{v}")
                })
                .collect();
            row.push(format!("sv{}", rng.below(s_domain)));
            row.push(format!("row{r}"));
            row
        })
        .collect();
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let table = Table::from_rows(&h, rows);
    let qis = shapes
        .iter()
        .enumerate()
        .map(|(i, &(d, levels, fan))| (i, hierarchy(&format!("q{i}v"), d, levels, fan)))
        .collect();
    let mut models = vec![Model::KAnonymity { k: c.k }];
    if let Some(l) = c.l_distinct {
        models.push(Model::DistinctLDiversity { attribute: 0, l });
    }
    if let Some(l) = c.l_entropy {
        models.push(Model::EntropyLDiversity { attribute: 0, l });
    }
    if let Some((t, hier)) = c.t {
        let distance = if hier {
            Distance::Hierarchical
        } else {
            Distance::Equal
        };
        models.push(Model::TCloseness {
            attribute: 0,
            t,
            distance,
        });
    }
    let problem = Problem {
        quasi_identifiers: qis,
        sensitive: vec![(c.qis, Some(hierarchy("sv", s_domain, 3, 2)))],
        models,
        suppression_limit: c.limit,
        metric: c.metric,
    };
    (table, problem)
}

/// Checks a release against the models directly on its strings.
fn check_release(c: &Case, input: &Table, problem: &Problem, output: &Table) {
    let n = input.n_rows();
    assert_eq!(output.n_rows(), n, "rows are never dropped");
    assert_eq!(output.column("id").unwrap(), input.column("id").unwrap());
    assert_eq!(output.column("s").unwrap(), input.column("s").unwrap());
    let s = input.column("s").unwrap();
    let s_h = CodedHierarchy::new(s, problem.sensitive[0].1.as_ref().unwrap()).unwrap();
    let mut overall = vec![0.0; s.values.len()];
    for &code in &s.codes {
        overall[code as usize] += 1.0 / n as f64;
    }
    let mut classes: HashMap<Vec<&str>, Vec<u32>> = HashMap::new();
    let mut suppressed = 0;
    for row in 0..n {
        let key: Vec<&str> = (0..c.qis).map(|i| output.columns[i].value(row)).collect();
        if key.iter().all(|v| *v == "*") {
            suppressed += 1;
            continue;
        }
        let hist = classes
            .entry(key)
            .or_insert_with(|| vec![0; s.values.len()]);
        hist[s.codes[row] as usize] += 1;
    }
    // Rows that are all `*` may also be a legitimate top-level class; either way the
    // suppressed share must respect the limit unless the whole top class is anonymous.
    let all_star_is_class = {
        let mut h = vec![0u32; s.values.len()];
        for row in 0..n {
            if (0..c.qis).all(|i| output.columns[i].value(row) == "*") {
                h[s.codes[row] as usize] += 1;
            }
        }
        h
    };
    let star_ok = class_ok(c, &all_star_is_class, &overall, &s_h);
    if !star_ok {
        assert!(
            suppressed as f64 <= c.limit * n as f64 + 1e-9,
            "suppressed {suppressed} of {n} above limit {}",
            c.limit
        );
    }
    for (key, hist) in &classes {
        assert!(
            class_ok(c, hist, &overall, &s_h),
            "class {key:?} {hist:?} fails"
        );
    }
}

fn class_ok(c: &Case, hist: &[u32], overall: &[f64], s_h: &CodedHierarchy) -> bool {
    let size: u32 = hist.iter().sum();
    if size == 0 {
        return true;
    }
    if (size as usize) < c.k {
        return false;
    }
    if let Some(l) = c.l_distinct {
        if hist.iter().filter(|&&x| x > 0).count() < l {
            return false;
        }
    }
    if let Some(l) = c.l_entropy {
        if entropy(hist) + 1e-9 < l.ln() {
            return false;
        }
    }
    if let Some((t, hier)) = c.t {
        let p: Vec<f64> = hist
            .iter()
            .map(|&x| f64::from(x) / f64::from(size))
            .collect();
        let d = if hier {
            hierarchical_emd(s_h, &p, overall)
        } else {
            equal_distance(&p, overall)
        };
        if d > t + 1e-9 {
            return false;
        }
    }
    true
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn search_finds_the_exhaustive_optimum_and_releases_are_safe(c in case()) {
        let (table, problem) = build(&c);
        let engine = Engine::new(&table, &problem).unwrap();
        let (fast, _) = optimal(&engine, &engine.lattice);
        let (slow, _) = exhaustive(&engine, &engine.lattice);
        match (&fast, &slow) {
            (None, None) => {
                prop_assert!(matches!(anonymise(&table, &problem), Err(SdcError::NoSolution)));
            }
            (Some(f), Some(s)) => {
                prop_assert!(close(f.value, s.value), "search {f:?} vs exhaustive {s:?}");
                let release = anonymise(&table, &problem).unwrap();
                prop_assert!(close(release.summary.metric_value, s.value));
                prop_assert!(release.summary.suppressed as f64 <= c.limit * c.rows as f64 + 1e-9);
                check_release(&c, &table, &problem, &release.table);
            }
            _ => prop_assert!(false, "search {fast:?} vs exhaustive {slow:?}"),
        }
    }
}

#[test]
fn no_suppression_means_no_star_rows_unless_top() {
    let c = Case {
        seed: 7,
        rows: 40,
        qis: 3,
        k: 3,
        l_distinct: None,
        l_entropy: None,
        t: None,
        limit: 0.0,
        metric: MetricKind::Discernibility,
    };
    let (table, problem) = build(&c);
    let r = anonymise(&table, &problem).unwrap();
    assert_eq!(r.summary.suppressed, 0);
    check_release(&c, &table, &problem, &r.table);
}

/// Larger lattices (5–6 QIs, up to a few thousand nodes, 3,000 rows) against the exhaustive
/// search, with and without a tiny roll-up store (forcing roll-ups from the base).
#[test]
fn larger_lattices_match_exhaustive() {
    for seed in 0..6u64 {
        for (limit, k) in [(0.0, 3), (0.03, 5), (0.1, 10)] {
            let c = Case {
                seed,
                rows: 3000,
                qis: 5 + (seed as usize % 2),
                k,
                l_distinct: (seed % 3 == 0).then_some(2),
                l_entropy: None,
                t: (seed % 3 == 1).then_some((0.4, seed % 2 == 0)),
                limit,
                metric: [
                    MetricKind::Discernibility,
                    MetricKind::Loss,
                    MetricKind::NonUniformEntropy,
                ][seed as usize % 3],
            };
            let (table, problem) = build(&c);
            let mut engine = Engine::new(&table, &problem).unwrap();
            let (slow, _) = exhaustive(&engine, &engine.lattice);
            for budget in [usize::MAX, 50] {
                engine.store_budget = budget;
                let (fast, stats) = optimal(&engine, &engine.lattice);
                match (&fast, &slow) {
                    (None, None) => {}
                    (Some(f), Some(s)) => assert!(
                        close(f.value, s.value),
                        "seed {seed} limit {limit}: search {f:?} vs exhaustive {s:?} ({stats:?})"
                    ),
                    _ => {
                        panic!("seed {seed} limit {limit}: search {fast:?} vs exhaustive {slow:?}")
                    }
                }
            }
            if slow.is_some() {
                let r = anonymise(&table, &problem).unwrap();
                check_release(&c, &table, &problem, &r.table);
            }
        }
    }
}

/// Quasi-identifiers that need more than 64 bits per key: the search switches to 128-bit keys
/// and still finds the exhaustive optimum.
#[test]
fn wide_keys_use_128_bits() {
    let mut rng = Rng(11);
    let qis = 7;
    let header: Vec<String> = (0..qis).map(|i| format!("q{i}")).collect();
    let rows: Vec<Vec<String>> = (0..3000)
        .map(|_| {
            (0..qis)
                // Over 1,024 distinct values per column: 11 bits each, 77 bits in all.
                .map(|_| format!("v{}", rng.below(2000)))
                .collect()
        })
        .collect();
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let table = Table::from_rows(&h, rows);
    let problem = Problem {
        quasi_identifiers: (0..qis).map(|i| (i, hierarchy("v", 2000, 3, 40))).collect(),
        sensitive: vec![],
        models: vec![Model::KAnonymity { k: 4 }],
        suppression_limit: 0.05,
        metric: MetricKind::Discernibility,
    };
    assert!(matches!(
        Engine::new(&table, &problem),
        Err(SdcError::KeyTooWide(77, 64))
    ));
    let release = anonymise(&table, &problem).unwrap();
    let engine = Engine::<u128>::build(&table, &problem).unwrap();
    let (slow, _) = exhaustive(&engine, &engine.lattice);
    let slow = slow.unwrap();
    assert!(close(release.summary.metric_value, slow.value));
    assert!(release.summary.suppressed <= 150);
}
