//! FEBRL4 linkage (5,000 x 5,000): train, predict, pairwise precision/recall/F1, one explanation.
//!
//! `cargo run --release -p cthub-link --example febrl4 [settings.toml] [model-out.json]`

mod common;

use std::time::Instant;

use cthub_link::{eval, Dataset, Linker, Settings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = common::data_dir() else {
        return Ok(());
    };
    let args: Vec<String> = std::env::args().collect();
    let settings_path = args.get(1).cloned().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/febrl4.toml").to_string()
    });
    let t0 = Instant::now();
    let settings = Settings::from_file(&settings_path)?;
    let a = Dataset::from_csv(dir.join("dataset4a.csv"))?;
    let b = Dataset::from_csv(dir.join("dataset4b.csv"))?;
    let linker = Linker::new(settings, vec![a, b])?;
    let t_load = t0.elapsed();
    let t1 = Instant::now();
    let model = linker.train()?;
    let t_train = t1.elapsed();
    let t2 = Instant::now();
    let pred = linker.predict(&model)?;
    let t_predict = t2.elapsed();
    let entity: Vec<u64> = (0..linker.len() as u32)
        .map(|r| common::febrl_entity(linker.record_id(r)))
        .collect();
    let prf = eval::pairwise(
        pred.matches.iter().map(|p| (p.a, p.b)),
        &entity,
        linker.sources(),
        true,
    );
    println!("training: {:?}", model.report);
    println!("prior {:.3e}", model.prior);
    for c in &model.comparisons {
        let lv: Vec<String> = c
            .levels
            .iter()
            .skip(1)
            .map(|l| format!("{} m={:.3} u={:.2e}", l.label, l.m, l.u))
            .collect();
        println!("  {}: {}", c.name, lv.join("; "));
    }
    let blocked_true = linker
        .candidate_pairs()
        .iter()
        .filter(|&&p| {
            let (a, b) = cthub_link::blocking::unpack(p);
            entity[a as usize] == entity[b as usize]
        })
        .count();
    println!(
        "candidate pairs {} (true pairs among them: {blocked_true})",
        pred.candidate_pairs
    );
    let missed: Vec<_> = linker
        .candidate_pairs()
        .iter()
        .map(|&p| cthub_link::blocking::unpack(p))
        .filter(|&(a, b)| entity[a as usize] == entity[b as usize])
        .filter(|&(a, b)| !pred.matches.iter().any(|m| m.a == a && m.b == b))
        .take(3)
        .collect();
    for (a, b) in missed {
        let e = linker.explain(&model, a, b)?;
        println!(
            "missed: w={:.2} {}",
            e.match_weight,
            e.terms
                .iter()
                .map(|t| format!(
                    "{}:{:?}/{:?}={:.1}",
                    t.comparison,
                    t.value_a,
                    t.value_b,
                    t.partial_weight + t.tf_adjustment
                ))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    println!("FEBRL4 pairwise {prf}");
    // Best threshold sweep (for information).
    for p in [0.5, 0.9, 0.99, 0.999] {
        let w = cthub_link::settings::prob_to_weight(p);
        let prf = eval::pairwise(
            pred.matches
                .iter()
                .filter(|m| m.weight >= w)
                .map(|m| (m.a, m.b)),
            &entity,
            linker.sources(),
            true,
        );
        println!("  at p>={p}: {prf}");
    }
    // Missed true pairs, for inspection.
    let fp: Vec<_> = pred
        .matches
        .iter()
        .filter(|m| entity[m.a as usize] != entity[m.b as usize])
        .take(2)
        .collect();
    for m in fp {
        println!(
            "false positive: {}",
            serde_json::to_string(&linker.explain(&model, m.a, m.b)?)?
        );
    }
    if let Some(m) = pred.matches.first() {
        println!(
            "explanation: {}",
            serde_json::to_string_pretty(&linker.explain(&model, m.a, m.b)?)?
        );
    }
    if let Some(out) = args.get(2) {
        model.save(out)?;
    }
    let clusters = linker.cluster(&model, &pred)?;
    let cprf = eval::cluster_pairwise(&clusters.labels, &entity, linker.sources(), true);
    println!("FEBRL4 cluster {cprf}");
    println!(
        "RESULT febrl4 load_s={:.3} train_s={:.3} predict_s={:.3} precision={:.4} recall={:.4} f1={:.4} peak_mb={:.0}",
        t_load.as_secs_f64(),
        t_train.as_secs_f64(),
        t_predict.as_secs_f64(),
        prf.precision,
        prf.recall,
        prf.f1,
        common::peak_rss_mb()
    );
    Ok(())
}
