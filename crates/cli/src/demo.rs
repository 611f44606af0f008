//! `cthub demo` and `cthub up`: the synthetic demo population, its files, its import.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use cthub_demo::{DemoConfig, FlowShape};
use cthub_ingest::ImportOptions;
use cthub_standard::{crosswalk, CtdcSchema};

use crate::import::{import_one, print_outcome, Provenance};
use crate::{exit, out, StoreArgs};

pub const DEMO_ORG: &str = "cthub demo (synthetic)";
pub const KANON_FILE: &str = "cthub-synthetic-ctdc-kanon-2018.csv";
pub const SYNTH2024_FILE: &str = "cthub-synthetic-ctdc-synthetic-2024.csv";
pub const HTCDS_FILE: &str = "cthub-synthetic-htcds.jsonl";

#[derive(Args)]
pub struct DemoArgs {
    /// Number of synthetic victims.
    #[arg(long, default_value_t = 200_000)]
    pub victims: usize,
    /// Seed of the generator: the same seed gives the same files.
    #[arg(long, default_value_t = 2002)]
    pub seed: u64,
    #[arg(long, default_value_t = 2002)]
    pub first_year: u16,
    #[arg(long, default_value_t = 2023)]
    pub last_year: u16,
    /// Shape of the citizenship → country-of-exploitation flows: `demo` (a wide tail), or
    /// `long-tail` (~100 pairs carry 90% of flows, thousands of pairs under 20 records:
    /// the shape that tests DP synthesis).
    #[arg(long, value_enum, default_value_t = Flows::Demo)]
    pub flows: Flows,
    /// Directory for the generated files.
    #[arg(long, default_value = "demo-data")]
    pub out: PathBuf,
    /// Only the CTDC k-anonymised CSV (fast; used by benchmarks).
    #[arg(long)]
    pub kanon_only: bool,
    /// Also import the k-anonymised file into the store (as a synthetic contribution).
    #[arg(long)]
    pub import: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct UpArgs {
    #[arg(long, default_value_t = 200_000)]
    pub victims: usize,
    /// Address the dashboard listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Prepare everything (data, releases, admin account) but do not start the server.
    #[arg(long)]
    pub no_serve: bool,
    #[arg(long, default_value_t = 2002)]
    pub seed: u64,
    #[arg(long, default_value = "demo-data")]
    pub out: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct DemoFiles {
    kanon_2018: PathBuf,
    synthetic_2024: Option<PathBuf>,
    htcds_jsonl: Option<PathBuf>,
    notice: PathBuf,
    victims: u64,
}

fn generate(
    cfg: &DemoConfig,
    dir: &Path,
    kanon_only: bool,
    quiet: bool,
) -> anyhow::Result<DemoFiles> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let kanon = dir.join(KANON_FILE);
    let pb = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    pb.set_message(format!("generating {} synthetic victims", cfg.victims));
    let f = std::fs::File::create(&kanon)
        .with_context(|| format!("cannot create {}", kanon.display()))?;
    let n = cthub_demo::write_kanon_csv(cfg, std::io::BufWriter::new(f))?;
    let notice = dir.join("SYNTHETIC.md");
    std::fs::write(
        &notice,
        format!(
            "# Synthetic data\n\n{}\n\nFiles: {KANON_FILE}{}.\n",
            cthub_demo::synthetic_notice(cfg.seed),
            if kanon_only {
                ""
            } else {
                ", cthub-synthetic-ctdc-synthetic-2024.csv, cthub-synthetic-htcds.jsonl"
            }
        ),
    )?;
    let mut files = DemoFiles {
        kanon_2018: kanon.clone(),
        synthetic_2024: None,
        htcds_jsonl: None,
        notice,
        victims: n,
    };
    if !kanon_only {
        pb.set_message("writing the CTDC 2024 and HTCDS versions");
        // The other layouts come from the same records through the crosswalks.
        let opts = ImportOptions {
            format: Some(CtdcSchema::Kanon2018.name().into()),
            ..Default::default()
        };
        let mut p = cthub_ingest::prepare(&kanon, &opts)?;
        let s24 = dir.join(SYNTH2024_FILE);
        let mut w24 = csv::Writer::from_path(&s24)?;
        w24.write_record(CtdcSchema::Synthetic2024.columns())?;
        let hj = dir.join(HTCDS_FILE);
        let mut wj = std::io::BufWriter::new(std::fs::File::create(&hj)?);
        while let Some(row) = p.next_row()? {
            let rec = row.record.with_context(|| {
                format!(
                    "generated row {} did not validate: {:?}",
                    row.source_row, row.issues
                )
            })?;
            w24.write_record(crosswalk::to_row(CtdcSchema::Synthetic2024, &rec))?;
            serde_json::to_writer(&mut wj, &rec)?;
            wj.write_all(b"\n")?;
        }
        w24.flush()?;
        wj.flush()?;
        files.synthetic_2024 = Some(s24);
        files.htcds_jsonl = Some(hj);
    }
    pb.finish_and_clear();
    Ok(files)
}

fn import_demo(
    files: &DemoFiles,
    store: &StoreArgs,
    json: bool,
) -> anyhow::Result<(u8, serde_json::Value)> {
    let mut s = cthub_store::open(&store.database)?;
    let opts = ImportOptions {
        format: Some(CtdcSchema::Kanon2018.name().into()),
        ..Default::default()
    };
    let o = import_one(
        s.as_mut(),
        &files.kanon_2018,
        &opts,
        &Provenance {
            org: DEMO_ORG,
            by: "cthub demo",
            synthetic: true,
        },
        &mut None,
        json,
    )?;
    if !json {
        print_outcome(&o);
    }
    let h = s.headline()?;
    if !json {
        out::print_headline(&h, &s.location());
    }
    let code = if o.summary.as_ref().is_some_and(|s| s.rows_quarantined > 0) {
        exit::REJECTED_ROWS
    } else {
        exit::OK
    };
    Ok((code, serde_json::json!({"import": o, "headline": h})))
}

/// `--flows`: see [`FlowShape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Flows {
    Demo,
    LongTail,
}

pub fn run_demo(a: DemoArgs) -> anyhow::Result<u8> {
    let cfg = DemoConfig {
        seed: a.seed,
        victims: a.victims,
        first_year: a.first_year,
        last_year: a.last_year,
        flows: match a.flows {
            Flows::Demo => FlowShape::Demo,
            Flows::LongTail => FlowShape::LongTail,
        },
    };
    let files = generate(&cfg, &a.out, a.kanon_only, a.json)?;
    if !a.json {
        println!(
            "wrote {} synthetic victims to {} (see {})",
            files.victims,
            a.out.display(),
            files.notice.display()
        );
    }
    let mut code = exit::OK;
    let mut imported = serde_json::Value::Null;
    if a.import {
        let (c, v) = import_demo(&files, &a.store, a.json)?;
        code = c;
        imported = v;
    }
    if a.json {
        out::json(&serde_json::json!({"files": files, "imported": imported}));
    }
    Ok(code)
}

pub fn run_up(a: UpArgs) -> anyhow::Result<u8> {
    let cfg = DemoConfig {
        seed: a.seed,
        victims: a.victims,
        ..DemoConfig::default()
    };
    if !a.json {
        println!(
            "cthub up: generating the synthetic demo population ({} victims, seed {})",
            a.victims, a.seed
        );
    }
    let files = generate(&cfg, &a.out, false, a.json)?;
    let (code, v) = import_demo(&files, &a.store, a.json)?;
    // The demo store gets a privacy budget so that `cthub release …` works on it at once.
    let mut store = cthub_store::open(&a.store.database)?;
    let budget = match store.privacy_account("store")? {
        Some(acc) => acc,
        None => store.set_privacy_budget(
            "store",
            "the synthetic demo population (demo budget: epsilon 10 at delta 1e-6)",
            cthub_privacy::dp::budget::epsilon_to_rho(
                10.0,
                1e-6,
                cthub_privacy::dp::budget::Conversion::Tight,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?,
            "cthub up",
        )?,
    };
    drop(store);
    let releases = demo_releases(&a)?;
    let mut store = cthub_store::open(&a.store.database)?;
    let admin = demo_admin(store.as_mut())?;
    drop(store);
    if a.json {
        out::json(
            &serde_json::json!({"files": files, "imported": v, "privacy_budget": budget,
            "releases": releases, "admin": admin}),
        );
    } else {
        println!(
            "privacy ledger: dataset `store` has budget rho {:.4} (epsilon 10 at delta 1e-6); the demo's published releases spent epsilon 1 each",
            budget.budget_rho
        );
    }
    if a.no_serve {
        if !a.json {
            println!("{}", admin["message"].as_str().unwrap_or(""));
        }
        return Ok(code);
    }
    let mut cfg = cthub_server::ServerConfig::load(None)?;
    cfg.listen = a.listen;
    cfg.database = a.store.database.clone();
    let banner = vec![admin["message"].as_str().unwrap_or("").to_string()];
    crate::serve::serve(cfg, a.json, Some(banner))?;
    Ok(code)
}

/// The demo's published releases (made once per store): DP aggregates and DP synthetic data
/// of the store, epsilon 1 each, so the public dashboard has data with error bars and a
/// record-level release to filter.
fn demo_releases(a: &UpArgs) -> anyhow::Result<serde_json::Value> {
    use crate::release::{
        AggregateArgs, DpArgs, InputArgs, ReleaseCommand, ReleaseLayout, SyntheticArgs,
    };
    let mut store = cthub_store::open(&a.store.database)?;
    let existing = cthub_store::hub::releases(store.as_mut())?;
    drop(store);
    if !existing.is_empty() {
        return Ok(serde_json::json!({"existing": existing.len()}));
    }
    let input = InputArgs {
        store: a.store.clone(),
        input: None,
        delimiter: ",".into(),
        contribution: None,
        layout: ReleaseLayout::CtdcSynthetic2024,
    };
    let dp = |out: &str| DpArgs {
        epsilon: 1.0,
        delta: 1e-6,
        columns: Vec::new(),
        config: None,
        person_id: None,
        max_records_per_person: 1,
        domain: Vec::new(),
        out: a.out.join(out),
        publish: true,
        json: a.json,
    };
    for dir in ["release-aggregates", "release-synthetic"] {
        let p = a.out.join(dir);
        if p.exists() {
            std::fs::remove_dir_all(&p)?;
        }
    }
    if !a.json {
        println!("cthub up: releasing DP aggregates and DP synthetic data of the demo store (epsilon 1 each)");
    }
    crate::release::run_release(ReleaseCommand::Aggregates(AggregateArgs {
        input: input.clone(),
        dp: dp("release-aggregates"),
        length: 3,
        hierarchy: Vec::new(),
    }))?;
    crate::release::run_release(ReleaseCommand::Synthetic(SyntheticArgs {
        input,
        dp: dp("release-synthetic"),
        seed: a.seed,
    }))?;
    Ok(serde_json::json!({"created": 2}))
}

/// An admin account for the demo: created with a random password (printed once) when the
/// store has no accounts.
fn demo_admin(store: &mut dyn cthub_store::Store) -> anyhow::Result<serde_json::Value> {
    let users = cthub_store::hub::users(store)?;
    if !users.is_empty() {
        return Ok(serde_json::json!({
            "created": false,
            "message": "log in with an existing account (reset a password with `cthub user password <name>`)",
        }));
    }
    let password = cthub_server::auth::random_token()[..20].to_string();
    let h = cthub_server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!(e.message))?;
    cthub_store::hub::create_user(
        store,
        "admin",
        &h,
        cthub_store::hub::Role::Admin,
        None,
        "cthub up",
    )?;
    Ok(serde_json::json!({
        "created": true, "username": "admin", "password": password,
        "message": format!("admin login: user `admin`, password `{password}` (shown once; change it with `cthub user password admin`)"),
    }))
}
