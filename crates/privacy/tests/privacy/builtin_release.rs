//! End to end on a generated (seeded) CTDC-shaped table: a TOML configuration with the built-in
//! trafficking hierarchies, l-diversity and t-closeness, then risk before and after.

use std::path::Path;

use cthub_privacy::{anonymise, assess_risk, ReleaseConfig, Table};

/// SplitMix64.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn table(rows: usize, seed: u64) -> Table {
    let countries = [
        "UA", "MD", "RO", "PH", "ID", "US", "MX", "NG", "GH", "00", "",
    ];
    let bands = [
        "0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+", "",
    ];
    let types = [
        "Forced labour",
        "Sexual exploitation",
        "Forced marriage",
        "Forced begging",
        "Servitude",
    ];
    let sectors = [
        "Construction",
        "Agriculture",
        "DomesticWork",
        "Hospitality",
        "",
    ];
    let mut s = seed;
    let mut year = seed ^ 0x5EED;
    let mut pick = |xs: &[&'static str]| {
        // Skewed: earlier values are more frequent.
        let a = next(&mut s) % xs.len() as u64;
        let b = next(&mut s) % xs.len() as u64;
        xs[a.min(b) as usize]
    };
    let data: Vec<Vec<String>> = (0..rows)
        .map(|_| {
            vec![
                pick(&countries).to_string(),
                pick(&bands).to_string(),
                (2002 + next(&mut year) % 20).to_string(),
                pick(&sectors).to_string(),
                pick(&types).to_string(),
            ]
        })
        .collect();
    Table::from_rows(&["country", "age", "year", "sector", "type"], data)
}

const CONFIG: &str = r#"
suppression_limit = 0.05
metric = "loss"
[[quasi_identifier]]
column = "country"
hierarchy = "country"
[[quasi_identifier]]
column = "age"
hierarchy = "age-band"
[[quasi_identifier]]
column = "year"
hierarchy = "year"
[[quasi_identifier]]
column = "sector"
hierarchy = "isic-section"
[[sensitive]]
column = "type"
hierarchy = "exploitation-type"
[[model]]
kind = "k-anonymity"
k = 5
[[model]]
kind = "distinct-l-diversity"
attribute = "type"
l = 2
[[model]]
kind = "t-closeness"
attribute = "type"
t = 0.4
distance = "hierarchical"
"#;

#[test]
fn builtin_hierarchies_release() {
    let t = table(3000, 42);
    let cfg = ReleaseConfig::from_toml_str("ctdc.toml", CONFIG).unwrap();
    let problem = cfg.resolve(&t, Path::new(".")).unwrap();
    let r = anonymise(&t, &problem).unwrap();
    let s = &r.summary;
    eprintln!("{}", serde_json::to_string(s).unwrap());
    assert!(s.suppressed as f64 <= 0.05 * 3000.0);
    let qis = ["country", "age", "year", "sector"];
    let before = assess_risk(&t, &qis, None, 0.2).unwrap();
    let after = assess_risk(&r.table, &qis, None, 0.2).unwrap();
    eprintln!(
        "uniques {} -> {}, highest prosecutor risk {:.3} -> {:.3}",
        before.sample_uniques,
        after.sample_uniques,
        before.prosecutor.highest,
        after.prosecutor.highest
    );
    assert!(before.sample_uniques > 0);
    // Only the suppressed records (all `*`) may form a class below k.
    assert!(after.prosecutor.records_at_risk as u64 <= s.suppressed);
    // Labels come from the built-in hierarchies.
    let country = r.table.column("country").unwrap();
    let level = s.transformation[0].level;
    if level == 1 {
        assert!(
            country.values.iter().any(|v| v == "Eastern Europe"),
            "{:?}",
            country.values
        );
    }
}
