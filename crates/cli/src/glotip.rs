//! `cthub glotip import | stats`: UNODC's GLOTIP country statistics in the store.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use cthub_glotip::stats::{By, Cells, Selection, Stats};
use cthub_glotip::Indicator;

use crate::{exit, out, StoreArgs};

#[derive(Subcommand)]
pub enum GlotipCommand {
    /// Import dataUNODC's trafficking-in-persons table (XLSX as published, or CSV) with a full
    /// accounting of its rows; re-importing the same file is a no-op that says so.
    Import(ImportArgs),
    /// Country statistics of the newest (or a given) import: detected victims, persons in formal
    /// contact, prosecuted and convicted per year with censoring bounds, and GLOTIP's published
    /// figures recomputed.
    Stats(StatsArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// The GLOTIP file (.xlsx or .csv).
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Who imports (recorded with the import).
    #[arg(long, default_value = "cthub")]
    pub by: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The GLOTIP import to use (default: the newest).
    #[arg(long)]
    pub import: Option<i64>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: GlotipCommand) -> anyhow::Result<u8> {
    match cmd {
        GlotipCommand::Import(a) => import(a),
        GlotipCommand::Stats(a) => stats(a),
    }
}

fn import(a: ImportArgs) -> anyhow::Result<u8> {
    let (sha, _) = cthub_ingest::pipeline::hash_file(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let mut store = cthub_store::open(&a.store.database)?;
    if let Some(prev) = store
        .glotip_imports()?
        .into_iter()
        .find(|g| g.sha256 == sha)
    {
        let msg = format!(
            "{} was already imported as GLOTIP import {}; nothing to do",
            a.file.display(),
            prev.id
        );
        if a.json {
            out::json(
                &serde_json::json!({ "status": "already-imported", "glotip_import": prev.id, "message": msg }),
            );
        } else {
            println!("{msg}");
        }
        return Ok(exit::OK);
    }
    let started = std::time::Instant::now();
    let g = cthub_glotip::import_path(&a.file)?;
    if !g.accounting.balanced() {
        anyhow::bail!(
            "internal error: {} rows read but {} stored and {} quarantined",
            g.accounting.rows_in,
            g.accounting.rows_stored,
            g.accounting.rows_quarantined
        );
    }
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let saved = store.save_glotip(&name, &sha, &a.by, &g)?;
    let acc = &saved.accounting;
    if a.json {
        out::json(&serde_json::json!({
            "status": "imported", "glotip_import": saved.id, "seconds": started.elapsed().as_secs_f64(),
            "accounting": acc,
        }));
    } else {
        println!(
            "imported {} as GLOTIP import {}: {} rows read = {} stored + {} quarantined \
             ({} country rows, {} unnamed aggregates, {} censored <5 values)",
            name,
            saved.id,
            acc.rows_in,
            acc.rows_stored,
            acc.rows_quarantined,
            acc.country_rows,
            acc.aggregate_rows,
            acc.censored_values
        );
        for q in acc.quarantine.iter().take(20) {
            println!(
                "  quarantined {} row {}: column {} value {:?}: {}",
                q.file, q.row, q.column, q.value, q.rule
            );
        }
    }
    Ok(if acc.rows_quarantined > 0 {
        exit::REJECTED_ROWS
    } else {
        exit::OK
    })
}

fn stats(a: StatsArgs) -> anyhow::Result<u8> {
    let mut store = cthub_store::open(&a.store.database)?;
    let Some(g) = store.load_glotip(a.import)? else {
        anyhow::bail!("no GLOTIP import in the store; run `cthub glotip import FILE` first");
    };
    let s = Stats::new(&g);
    let mut by_indicator = serde_json::Map::new();
    for &ind in Indicator::ALL {
        let years = s.group(&Selection::new(ind, Cells::Total), By::Year);
        by_indicator.insert(ind.label().to_string(), serde_json::to_value(&years)?);
    }
    let checks = cthub_glotip::published::checks(&s);
    if a.json {
        out::json(&serde_json::json!({
            "accounting": g.accounting, "by_year": by_indicator, "published_checks": checks,
        }));
        return Ok(exit::OK);
    }
    println!("GLOTIP country statistics (sums of reported country totals; <5 counted 0..4)");
    let years = s.group(
        &Selection::new(Indicator::DetectedVictims, Cells::Total),
        By::Year,
    );
    println!("  detected victims by year: lower..upper (censored cells)");
    for (y, b) in &years {
        println!("    {y}  {:>7}..{:<7} ({})", b.lo, b.hi, b.censored_cells);
    }
    println!("  published figures recomputed from the file:");
    for c in &checks {
        let verdict = if c.expect_gap {
            "gap expected (another base)"
        } else if c.within {
            "within tolerance"
        } else {
            "OUTSIDE tolerance"
        };
        println!(
            "    {:<45} published {:>8.1}  file {:>8.1}  (±{}) {verdict}",
            c.name, c.published, c.computed, c.tolerance
        );
    }
    Ok(exit::OK)
}
