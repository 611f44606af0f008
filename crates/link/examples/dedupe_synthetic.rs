//! Deduplicate a seeded synthetic population (default about 1,000,000 records): time per stage,
//! peak memory, pairwise and cluster precision/recall/F1.
//!
//! `cargo run --release -p cthub-link --example dedupe_synthetic [entities] [dup_mean]`

mod common;

use std::time::Instant;

use cthub_link::{eval, synth, Linker, Settings};

const SETTINGS: &str = r#"
link_type = "dedupe"
unique_id = "id"
blocking = [
  ["first_name", "dob"],
  ["surname", "dob"],
  ["email"],
  ["first_name", "surname", "city"],
]

[[comparisons]]
column = "first_name"
normalize = "name"
tf_adjust = true
levels = [{ kind = "exact" }, { kind = "jaro_winkler", threshold = 0.9 }, { kind = "jaro_winkler", threshold = 0.75 }]

[[comparisons]]
column = "surname"
normalize = "name"
tf_adjust = true
levels = [{ kind = "exact" }, { kind = "jaro_winkler", threshold = 0.9 }, { kind = "jaro_winkler", threshold = 0.75 }]

[[comparisons]]
column = "dob"
levels = [{ kind = "exact" }, { kind = "levenshtein", max = 1 }, { kind = "date_days", max_days = 400 }]

[[comparisons]]
column = "city"
normalize = "name"
levels = [{ kind = "exact" }]

[[comparisons]]
column = "email"
levels = [{ kind = "exact" }, { kind = "levenshtein", max = 2 }]

[training]
u_sample_pairs = 2000000
em_blocking = [["dob"], ["email"]]

[threshold]
match_probability = 0.99

[clustering]
floor_probability = 0.01
max_cluster_size = 50
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let entities: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(600_000);
    let dup_mean: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.67);
    let t0 = Instant::now();
    let ds = synth::dedupe_population(entities, dup_mean, 2026);
    let t_gen = t0.elapsed().as_secs_f64();
    let entity: Vec<u64> = ds
        .require("cluster", "truth")?
        .iter()
        .map(|c| c.parse().unwrap_or(u64::MAX))
        .collect();
    let n = ds.len();
    let t1 = Instant::now();
    let linker = Linker::new(Settings::from_toml(SETTINGS)?, vec![ds])?;
    let t_prep = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let model = linker.train()?;
    let t_train = t2.elapsed().as_secs_f64();
    let t3 = Instant::now();
    let pred = linker.predict(&model)?;
    let t_pred = t3.elapsed().as_secs_f64();
    let t4 = Instant::now();
    let clusters = linker.cluster(&model, &pred)?;
    let t_clu = t4.elapsed().as_secs_f64();
    let total = t1.elapsed().as_secs_f64();
    let pw = eval::pairwise(
        pred.matches.iter().map(|p| (p.a, p.b)),
        &entity,
        linker.sources(),
        false,
    );
    let cl = eval::cluster_pairwise(&clusters.labels, &entity, linker.sources(), false);
    println!("{:?}", model.report);
    println!("pairwise {pw}");
    println!(
        "clusters {} (refused floor {}, size {}): {cl}",
        clusters.clusters.len(),
        clusters.refused_floor,
        clusters.refused_size
    );
    println!(
        "RESULT dedupe_synthetic records={n} generate_s={t_gen:.2} prepare_s={t_prep:.2} train_s={t_train:.2} predict_s={t_pred:.2} cluster_s={t_clu:.2} link_total_s={total:.2} candidate_pairs={} pair_f1={:.4} cluster_p={:.4} cluster_r={:.4} cluster_f1={:.4} peak_mb={:.0} threads={}",
        pred.candidate_pairs,
        pw.f1,
        cl.precision,
        cl.recall,
        cl.f1,
        common::peak_rss_mb(),
        rayon::current_num_threads()
    );
    Ok(())
}
