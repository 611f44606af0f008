//! k-anonymity on ARX's Adult data set: every column except `salary-class` is a quasi-identifier
//! with ARX's hierarchy; prints the figures as JSON.
//!
//! ```text
//! cargo run --release -p cthub-privacy --example kanon_adult -- [DATA_DIR] [K] [SUPPRESSION] [METRIC] [exhaustive]
//! ```
//! `DATA_DIR` defaults to the shared `adult-arx` folder beside the workspace, `K` to 5,
//! `SUPPRESSION` to 0.05, `METRIC` to `discernibility` (or `loss`, `non-uniform-entropy`);
//! `exhaustive` also evaluates every node of the lattice and prints its optimum (a cross-check
//! of the search, a few seconds).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use cthub_privacy::{anonymise, Hierarchy, MetricKind, Model, Problem, Table};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kanon_adult: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/adult-arx"
        ))
    });
    let k: usize = args.get(1).map_or(Ok(5), |s| s.parse())?;
    let limit: f64 = args.get(2).map_or(Ok(0.05), |s| s.parse())?;
    let metric = match args.get(3).map(String::as_str) {
        None | Some("discernibility") => MetricKind::Discernibility,
        Some("loss") => MetricKind::Loss,
        Some("non-uniform-entropy") => MetricKind::NonUniformEntropy,
        Some(other) => return Err(format!("unknown metric {other:?}").into()),
    };
    let start = Instant::now();
    let table = Table::from_csv(&dir.join("adult.csv"), b';')?;
    let mut qis = Vec::new();
    for (i, name) in table.names().iter().enumerate() {
        if *name == "salary-class" {
            continue;
        }
        let h = Hierarchy::from_csv(&dir.join(format!("adult_hierarchy_{name}.csv")), b';')?;
        qis.push((i, h));
    }
    let load_ms = start.elapsed().as_secs_f64() * 1e3;
    let problem = Problem {
        quasi_identifiers: qis,
        sensitive: vec![],
        models: vec![Model::KAnonymity { k }],
        suppression_limit: limit,
        metric,
    };
    if args.get(4).map(String::as_str) == Some("exhaustive") {
        // Cross-check: evaluate every node of the lattice.
        let engine = cthub_privacy::sdc::Engine::new(&table, &problem)?;
        let (best, stats) = cthub_privacy::sdc::lattice::exhaustive(&engine, &engine.lattice);
        let best = best.ok_or("no solution")?;
        let frontier = (0..engine.lattice.size)
            .filter(|&i| {
                let lv = engine.lattice.levels(i);
                let anon = |l: &[u8]| engine.evaluate(&engine.classes_at(l), l).1;
                anon(&lv)
                    && (0..lv.len()).filter(|&q| lv[q] > 0).all(|q| {
                        let mut p = lv.clone();
                        p[q] -= 1;
                        !anon(&p)
                    })
            })
            .count();
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::json!({"exhaustive_levels": best.levels, "exhaustive_value": best.value,
                "anonymous_nodes": stats.anonymous_nodes, "minimal_anonymous_nodes": frontier,
                "exhaustive_ms": stats.search_ms})
        )?;
    }
    let release = anonymise(&table, &problem)?;
    let s = &release.summary;
    let figures = serde_json::json!({
        "k": k,
        "suppression_limit": limit,
        "load_ms": load_ms,
        "anonymise_ms": s.total_ms,
        "search_ms": s.search.search_ms,
        "levels": s.transformation.iter().map(|q| (q.column.clone(), q.level)).collect::<Vec<_>>(),
        "records": s.records,
        "classes": s.classes,
        "suppressed": s.suppressed,
        "metric": s.metric,
        "metric_value": s.metric_value,
        "lattice_size": s.search.lattice_size,
        "nodes_checked": s.search.nodes_checked,
        "nodes_pruned": s.search.nodes_pruned,
        "nodes_infeasible": s.search.nodes_infeasible,
        "anonymous_nodes": s.search.anonymous_nodes,
        "classes_rolled_up": s.search.classes_rolled_up,
    });
    writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&figures)?
    )?;
    Ok(())
}
