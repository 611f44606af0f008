//! Deduplicate one file with a settings file and score it against a true-entity column:
//! pairwise and cluster precision/recall/F1, times, peak memory.
//!
//! `cargo run --release -p cthub-link --example dedupe -- <data.csv|parquet> <settings.toml> <truth column>`
//! Without arguments: `fake_1000` and `historical_figures_with_errors_50k` from the shared data.

mod common;

use std::path::Path;
use std::time::Instant;

use cthub_link::{eval, Dataset, Linker, Settings};

fn run(data: &Path, settings: &Path, truth: &str) -> Result<(), Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    let ds = Dataset::read(data)?;
    let truth_col: Vec<String> = ds.require(truth, "truth column")?.to_vec();
    let name = ds.name.clone();
    let linker = Linker::new(Settings::from_file(settings)?, vec![ds])?;
    let t_load = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let model = linker.train()?;
    let t_train = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let pred = linker.predict(&model)?;
    let t_pred = t2.elapsed().as_secs_f64();
    let t3 = Instant::now();
    let clusters = linker.cluster(&model, &pred)?;
    let t_clu = t3.elapsed().as_secs_f64();
    let mut ids = std::collections::HashMap::new();
    let entity: Vec<u64> = truth_col
        .iter()
        .map(|t| {
            let n = ids.len() as u64;
            *ids.entry(t.clone()).or_insert(n)
        })
        .collect();
    let pw = eval::pairwise(
        pred.matches.iter().map(|p| (p.a, p.b)),
        &entity,
        linker.sources(),
        false,
    );
    let cl = eval::cluster_pairwise(&clusters.labels, &entity, linker.sources(), false);
    let found = linker
        .candidate_pairs()
        .iter()
        .filter(|&&p| {
            let (a, b) = cthub_link::blocking::unpack(p);
            entity[a as usize] == entity[b as usize]
        })
        .count();
    println!(
        "{name}: {} records, {} candidate pairs ({found} true), {:?}",
        linker.len(),
        pred.candidate_pairs,
        model.report
    );
    println!("{name}: pairwise {pw}");
    if std::env::var_os("SHOW_FP").is_some() {
        for c in &model.comparisons {
            let lv: Vec<String> = c
                .levels
                .iter()
                .skip(1)
                .map(|l| format!("{} m={:.3} u={:.2e}", l.label, l.m, l.u))
                .collect();
            println!("  {}: {}", c.name, lv.join("; "));
        }
        for m in pred
            .matches
            .iter()
            .filter(|m| entity[m.a as usize] != entity[m.b as usize])
            .take(4)
        {
            let e = linker.explain(&model, m.a, m.b)?;
            println!(
                "  FP w={:.1}: {}",
                e.match_weight,
                e.terms
                    .iter()
                    .map(|t| format!(
                        "{}={:?}/{:?}:{:.1}",
                        t.comparison,
                        t.value_a,
                        t.value_b,
                        t.partial_weight + t.tf_adjustment
                    ))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    println!(
        "{name}: clusters {} (refused by floor {}, by size {}): {cl}",
        clusters.clusters.len(),
        clusters.refused_floor,
        clusters.refused_size
    );
    println!(
        "RESULT dedupe {name} records={} load_s={t_load:.3} train_s={t_train:.3} predict_s={t_pred:.3} cluster_s={t_clu:.3} pair_p={:.4} pair_r={:.4} pair_f1={:.4} cluster_p={:.4} cluster_r={:.4} cluster_f1={:.4} peak_mb={:.0}",
        linker.len(),
        pw.precision,
        pw.recall,
        pw.f1,
        cl.precision,
        cl.recall,
        cl.f1,
        common::peak_rss_mb()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 4 {
        return run(Path::new(&args[1]), Path::new(&args[2]), &args[3]);
    }
    let Some(dir) = common::data_dir() else {
        return Ok(());
    };
    let ex = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"));
    run(
        &dir.join("fake_1000.csv"),
        &ex.join("fake_1000.toml"),
        "cluster",
    )?;
    run(
        &dir.join("historical_figures_with_errors_50k.parquet"),
        &ex.join("historical_figures.toml"),
        "cluster",
    )?;
    Ok(())
}
