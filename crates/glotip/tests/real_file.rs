//! Tests against UNODC's GLOTIP release of 2023-05-30 in `../shared/data/glotip`.
//! They print what they compute and skip, saying so, when the folder is absent.

use std::path::PathBuf;
use std::sync::OnceLock;

use cthub_glotip::stats::{By, Cells, Selection, Stats};
use cthub_glotip::{import_path, Glotip, Indicator, PlaceClass};

fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/glotip"
    ))
}

fn load(name: &str) -> Option<&'static Glotip> {
    static XLSX: OnceLock<Option<Glotip>> = OnceLock::new();
    static CSV: OnceLock<Option<Glotip>> = OnceLock::new();
    let cell = if name.ends_with(".xlsx") { &XLSX } else { &CSV };
    cell.get_or_init(|| {
        let p = dir().join(name);
        if !p.exists() {
            eprintln!(
                "SKIPPED: {} not found (the shared GLOTIP data is absent)",
                p.display()
            );
            return None;
        }
        Some(import_path(&p).expect("GLOTIP file imports"))
    })
    .as_ref()
}

fn xlsx() -> Option<&'static Glotip> {
    load("data_glotip_2023-05-30.xlsx")
}

fn csv() -> Option<&'static Glotip> {
    load("data_glotip_2023-05-30.csv")
}

#[test]
fn every_row_is_accounted_for_in_both_formats() {
    for g in [xlsx(), csv()] {
        let Some(g) = g else { return };
        let a = &g.accounting;
        println!(
            "{}: header row {}, rows in {}, stored {}, quarantined {}, aggregates {}, territories {}, censored {}, thousands {}, repeated keys {}",
            a.file, a.header_row, a.rows_in, a.rows_stored, a.rows_quarantined, a.aggregate_rows,
            a.territory_rows, a.censored_values, a.thousands_separated_values, a.repeated_key_rows
        );
        for q in &a.quarantine {
            println!("  quarantined: {q}");
        }
        assert!(a.balanced());
        assert_eq!(a.rows_in, 46_556);
        assert_eq!(a.rows_stored + a.rows_quarantined, 46_556);
        assert_eq!(a.censored_values, 23_076, "every <5 kept censored");
        assert_eq!(a.thousands_separated_values, 462);
        assert_eq!(a.aggregate_rows, 957);
        for code in [
            "SAM",
            "SAF",
            "CAR",
            "CAS",
            "EEU",
            "MCA",
            "MCN",
            "Aruba/Curacao",
        ] {
            assert!(a.aggregate_codes.contains_key(code), "{code}");
        }
    }
    if let Some(x) = xlsx() {
        assert_eq!(
            x.accounting.header_row, 3,
            "two stamp rows above the header"
        );
        assert_eq!(x.accounting.preamble_rows, 2);
    }
}

#[test]
fn xlsx_and_csv_give_the_same_observations() {
    let (Some(x), Some(c)) = (xlsx(), csv()) else {
        return;
    };
    assert_eq!(x.observations.len(), c.observations.len());
    let mut diffs = 0;
    for (a, b) in x.observations.iter().zip(&c.observations) {
        // the workbook numbers rows from the sheet top (stamp + header), the CSV from line 1
        if a.row != b.row + 2 || a.value != b.value || a.category != b.category || a.area != b.area
        {
            diffs += 1;
            if diffs < 5 {
                println!("differs: {a:?}\n     vs: {b:?}");
            }
        }
    }
    println!("rows differing between XLSX and CSV: {diffs}");
    assert_eq!(diffs, 0);
}

#[test]
fn indicators_and_category_cleaning() {
    let Some(g) = csv() else { return };
    let s = Stats::new(g);
    let ind = s.indicators();
    println!("indicators (country rows): {ind:?}");
    assert_eq!(ind.len(), 5);
    for acc in [&g.accounting.citizenship, &g.accounting.repatriation] {
        println!("categories by class: {:?}", acc.rows_by_class);
        println!(
            "distinct texts resolved to a country: {}",
            acc.distinct_resolved
        );
        println!("unresolved: {:?}", acc.unresolved);
    }
    let cit = &g.accounting.citizenship;
    let rows: u64 = cit.rows_by_class.values().sum();
    let resolved = cit.rows_by_class.get("country").copied().unwrap_or(0);
    let unresolved: u64 = cit.unresolved.values().sum();
    assert_eq!(rows, 7_722);
    assert!(resolved as f64 / rows as f64 > 0.9, "{resolved}/{rows}");
    assert!(unresolved < 60, "{unresolved} unresolved citizenship rows");
    // nationals vs foreigners and origin regions exist for detected victims
    let sel = Selection::new(Indicator::DetectedVictims, Cells::Citizenship).year(2020);
    let nat = s.shares(&sel, By::Nationality);
    for p in &nat.parts {
        println!(
            "2020 victims by nationality: {} {}..{} ({:.1}%)",
            p.key,
            p.count.lo,
            p.count.hi,
            p.share * 100.0
        );
    }
    assert!(nat.get("nationals").is_some() && nat.get("foreigners").is_some());
    let origin = s.group(&sel, By::OriginRegion);
    println!("2020 victims by origin region: {origin:?}");
    assert!(origin.contains_key("domestic") && origin.contains_key("Sub-Saharan Africa"));
    // a typed-in TOTAL in a breakdown is never summed with its parts
    assert!(g.observations.iter().any(|o| matches!(&o.category,
        cthub_glotip::Category::Citizenship(p) if p.class == PlaceClass::TotalRow)));
}

#[test]
fn regional_and_indicator_breakdowns() {
    let Some(g) = csv() else { return };
    let s = Stats::new(g);
    for ind in [
        Indicator::DetectedVictims,
        Indicator::FormalContact,
        Indicator::Prosecuted,
        Indicator::Convicted,
    ] {
        let sel = Selection::new(ind, Cells::Total).year(2020);
        let total = s.sum(&sel);
        let by_region = s.group(&sel, By::GlotipRegion);
        let by_m49 = s.group(&sel, By::M49Region);
        let sum_lo: u64 = by_region.values().map(|b| b.lo).sum();
        let sum_hi: u64 = by_region.values().map(|b| b.hi).sum();
        println!(
            "{ind} 2020: {}..{} ({} censored) in {} countries; GLOTIP regions {:?}",
            total.lo,
            total.hi,
            total.censored_cells,
            s.reporting(&sel).len(),
            by_region
                .iter()
                .map(|(k, b)| format!("{k}: {}", b.lo))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            (sum_lo, sum_hi),
            (total.lo, total.hi),
            "regions partition the countries"
        );
        assert_eq!(by_m49.values().map(|b| b.lo).sum::<u64>(), total.lo);
        assert!(!by_region.contains_key("no region"));
    }
}

#[test]
fn published_figures() {
    let Some(g) = xlsx().or(csv()) else { return };
    let s = Stats::new(g);
    let checks = cthub_glotip::published::checks(&s);
    for c in &checks {
        println!(
            "{:<45} published {:>9.1} +-{:<6.1} computed {:>9.2} [{:.2}..{:.2}] {} countries={} {}{}",
            c.name, c.published, c.tolerance, c.computed, c.computed_min, c.computed_max, c.unit,
            c.countries,
            if c.within { "OK" } else { "OUTSIDE" },
            if c.expect_gap { " (expected gap: other base)" } else { "" }
        );
    }
    assert_eq!(checks.len(), 3 + 8 + 1 + 3);
    for c in checks.iter().filter(|c| !c.expect_gap) {
        assert!(
            c.within,
            "{} computed {:.2}, published {} +- {}",
            c.name, c.computed, c.published, c.tolerance
        );
    }
    // the forms-of-exploitation shares are computed, not forced: they must still be shares
    let forms: f64 = checks
        .iter()
        .filter(|c| c.expect_gap)
        .map(|c| c.computed)
        .sum();
    assert!((forms - 100.0).abs() < 0.01);
}
