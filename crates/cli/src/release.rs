//! `cthub release …` and `cthub ledger …`: de-identified releases charged to the privacy ledger.
//!
//! Every differentially private release follows the same order, so that nothing leaves the
//! process unless the ledger accepted its cost:
//! 1. check the parameters and that the dataset's remaining budget covers the release;
//! 2. read the sensitive table (the store's records flattened to a CTDC layout, or a file);
//! 3. compute the release in memory;
//! 4. charge the ledger (checked again under the store's lock; refused = nothing written);
//! 5. write the files into a temporary directory beside `--out` and rename it into place, so a
//!    partially written release is never left behind.

//!
//! The DP workflow itself lives in `cthub-release`, shared with the hub's API; this module
//! parses the arguments, runs k-anonymisation and prints.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use cthub_privacy::report::{Audience, Report, Section, TableData};
use cthub_release::{account_of, file_dataset, load, rho_of, DpRequest, Method, Source};
use cthub_standard::ctdc::CtdcSchema;
use cthub_store::PrivacyAccount;

use crate::{exit, out, StoreArgs};

#[derive(Subcommand)]
pub enum ReleaseCommand {
    /// Differentially private counts of every combination of up to --length columns, each with
    /// a 95% interval; small country counts fall back to subregion/region.
    Aggregates(AggregateArgs),
    /// Differentially private synthetic records (marginal-based), in the input's columns.
    Synthetic(SyntheticArgs),
    /// A k-anonymous (optionally l-diverse, t-close) table: the optimal full-domain
    /// generalisation under a TOML release configuration (no DP budget; audited).
    Kanon(KanonArgs),
}

#[derive(Args, Clone)]
pub struct KanonArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Release configuration (TOML): quasi-identifiers with hierarchies, sensitive attributes,
    /// models, suppression limit, utility metric.
    #[arg(long)]
    pub config: PathBuf,
    /// Risk threshold: records whose prosecutor risk is above it are "at risk".
    #[arg(long, default_value_t = 0.2)]
    pub risk_threshold: f64,
    /// Output directory (must not exist).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Publish the release in the hub at once (visible without login on `cthub serve`).
    #[arg(long)]
    pub publish: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Show every dataset's budget, spending and charges (the default).
    Show {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Set a dataset's total privacy budget (as ε at δ, or as zCDP ρ).
    SetBudget(SetBudgetArgs),
}

/// The columns a store's records are flattened to before a release.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ReleaseLayout {
    /// CTDC synthetic 2024/2025 (27 columns).
    #[value(name = "ctdc-synthetic-2024")]
    CtdcSynthetic2024,
    /// CTDC synthetic 2021.
    #[value(name = "ctdc-synthetic-2021")]
    CtdcSynthetic2021,
    /// CTDC Victim-Perpetrator (16 columns).
    #[value(name = "ctdc-vp")]
    CtdcVp,
}

impl ReleaseLayout {
    fn schema(self) -> CtdcSchema {
        match self {
            ReleaseLayout::CtdcSynthetic2024 => CtdcSchema::Synthetic2024,
            ReleaseLayout::CtdcSynthetic2021 => CtdcSchema::Synthetic2021,
            ReleaseLayout::CtdcVp => CtdcSchema::VictimPerpetrator,
        }
    }
}

#[derive(Args, Clone)]
pub struct InputArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Release from this delimited file instead of the store's records; its SHA-256 names its
    /// ledger account (`file:<sha256>`), which lives in the store.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Field delimiter of --input (one character; \t for tab).
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// Only the records of this contribution (ledger account `contribution:<id>`); default all
    /// records (account `store`).
    #[arg(long, conflicts_with = "input")]
    pub contribution: Option<i64>,
    /// Columns the store's records are flattened to.
    #[arg(long, value_enum, default_value = "ctdc-synthetic-2024")]
    pub layout: ReleaseLayout,
}

#[derive(Args, Clone)]
pub struct DpArgs {
    /// Privacy loss ε of this release (> 0); charged to the dataset's budget as zCDP ρ.
    #[arg(long)]
    pub epsilon: f64,
    /// δ of the (ε, δ) statement (0 < δ < 1).
    #[arg(long, default_value_t = 1e-6)]
    pub delta: f64,
    /// Columns to release (comma-separated; default: those of --config, else all, or the
    /// headline set for aggregates).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Release configuration (TOML, as for `release kanon`): its quasi-identifiers and sensitive
    /// attributes are the released columns, their hierarchies the fallback levels.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A column identifying the person: each person's records are bounded together. With the
    /// store as input, `linkage` takes the person ids of the newest linkage run (`cthub linkage
    /// run`): records of one person at several organisations are bounded together; records the
    /// run does not name count as persons of their own.
    #[arg(long)]
    pub person_id: Option<String>,
    /// Records kept per person when --person-id is given.
    #[arg(long, default_value_t = 1)]
    pub max_records_per_person: usize,
    /// A released column's public value list: COLUMN=FILE (one value per line; of a `;`-separated
    /// line the first field, so an ARX hierarchy file lists its column's values) or
    /// COLUMN=v1;v2;... Repeatable. Columns of the store's CTDC layouts have the standard's lists;
    /// any other released column without one gets DP partition selection (10% of the release's
    /// rho and half its delta): a value held by few records is not released.
    #[arg(long)]
    pub domain: Vec<String>,
    /// Output directory (must not exist).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Publish the release in the hub at once (visible without login on `cthub serve`).
    #[arg(long)]
    pub publish: bool,
    /// Machine-readable summary on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Clone)]
pub struct AggregateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub dp: DpArgs,
    /// Longest combination of columns counted (reporting length).
    #[arg(long, default_value_t = 3)]
    pub length: usize,
    /// Fallback hierarchy of a column for small counts: COLUMN=NAME (country, age-band, year,
    /// exploitation-type, isic-section, interval:5,10,20) or COLUMN=FILE.csv (ARX form, `;`).
    /// Repeatable. Default: the built-ins of the CTDC columns.
    #[arg(long)]
    pub hierarchy: Vec<String>,
}

#[derive(Args, Clone)]
pub struct SyntheticArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub dp: DpArgs,
    /// Seed of the sampling step (the noise always comes from the system's randomness).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Args, Clone)]
pub struct SetBudgetArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Account: `store`, `contribution:<id>` or `file:<sha256>` (or use --input FILE).
    #[arg(long, required_unless_present = "input")]
    pub dataset: Option<String>,
    /// The budget of the file's account (`file:<sha256>`).
    #[arg(long, conflicts_with = "dataset")]
    pub input: Option<PathBuf>,
    /// Total budget as ε (with --delta).
    #[arg(long, required_unless_present = "rho")]
    pub epsilon: Option<f64>,
    #[arg(long, default_value_t = 1e-6)]
    pub delta: f64,
    /// Total budget as zCDP ρ.
    #[arg(long, conflicts_with = "epsilon")]
    pub rho: Option<f64>,
    /// What the dataset is.
    #[arg(long, default_value = "")]
    pub description: String,
    #[arg(long)]
    pub json: bool,
}

/// Who runs a CLI release: `cli:<operating-system user>`, recorded in the ledger and shown to
/// the hub's admins only.
fn actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".to_string())
    )
}

fn delimiter(s: &str) -> anyhow::Result<u8> {
    match s {
        "\\t" | "\t" | "tab" => Ok(b'\t'),
        s if s.len() == 1 => Ok(s.as_bytes()[0]),
        _ => bail!("--delimiter must be one character (or \\t), got {s:?}"),
    }
}

/// `write_release` of the library, for the other commands that write release directories.
pub(crate) use cthub_release::write_release;

/// The request the library runs for these arguments.
fn dp_request(input: &InputArgs, dp: &DpArgs, method: Method) -> anyhow::Result<DpRequest> {
    Ok(DpRequest {
        source: source_of(input)?,
        method,
        epsilon: dp.epsilon,
        delta: dp.delta,
        columns: dp.columns.clone(),
        config: dp.config.clone(),
        person_id: dp.person_id.clone(),
        max_records_per_person: dp.max_records_per_person,
        domains: dp
            .domain
            .iter()
            .map(|d| parse_domain(d))
            .collect::<anyhow::Result<_>>()?,
        publish: dp.publish,
        actor: actor(),
    })
}

/// `COLUMN=FILE` (one value per line, the first `;`-separated field of each) or
/// `COLUMN=v1;v2;...`.
fn parse_domain(spec: &str) -> anyhow::Result<(String, Vec<String>)> {
    let Some((column, list)) = spec.split_once('=') else {
        bail!("--domain takes COLUMN=FILE or COLUMN=v1;v2;..., got {spec:?}");
    };
    let path = Path::new(list);
    let values: Vec<String> = if !list.contains(';') && path.is_file() {
        std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("--domain {column}: cannot read {list}: {e}"))?
            .lines()
            .map(|l| l.split(';').next().unwrap_or("").trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    } else {
        list.split(';').map(|v| v.trim().to_string()).collect()
    };
    if column.is_empty() || values.is_empty() {
        bail!("--domain {spec:?}: give a column and at least one value");
    }
    Ok((column.to_string(), values))
}

fn source_of(input: &InputArgs) -> anyhow::Result<Source> {
    Ok(match &input.input {
        Some(path) => Source::File {
            path: path.clone(),
            delimiter: delimiter(&input.delimiter)?,
        },
        None => Source::Store {
            contribution: input.contribution,
            layout: input.layout.schema(),
        },
    })
}

/// Runs a DP release through the library and prints its summary.
fn dp_release(input: &InputArgs, dp: &DpArgs, method: Method) -> anyhow::Result<u8> {
    let req = dp_request(input, dp, method)?;
    let mut store = cthub_store::open(&input.store.database)?;
    let r = cthub_release::run(store.as_mut(), &req, Some(&dp.out))?;
    if dp.json {
        let mut j = serde_json::json!({
            "out": dp.out, "kind": r.kind, "dataset": r.dataset, "rho": r.rho,
            "epsilon": dp.epsilon, "delta": dp.delta, "ledger": r.account,
            "release_id": r.release.id, "published": r.release.published,
        });
        if let (Some(j), serde_json::Value::Object(summary)) = (j.as_object_mut(), r.summary) {
            j.extend(summary);
        }
        out::json(&j);
    } else {
        println!("{} to {}", r.message, dp.out.display());
        print_ledger_line(&r.account);
    }
    Ok(exit::OK)
}

fn print_ledger_line(acc: &PrivacyAccount) {
    println!(
        "ledger {}: budget rho {:.6}, spent {:.6} in {} release(s), remaining {:.6}",
        acc.dataset,
        acc.budget_rho,
        acc.spent_rho.max(0.0),
        acc.charges.len(),
        (acc.budget_rho - acc.spent_rho).max(0.0)
    );
}

pub fn run_release(cmd: ReleaseCommand) -> anyhow::Result<u8> {
    match cmd {
        ReleaseCommand::Aggregates(a) => dp_release(
            &a.input,
            &a.dp,
            Method::Aggregates {
                length: a.length,
                hierarchies: a.hierarchy.clone(),
            },
        ),
        ReleaseCommand::Synthetic(a) => {
            dp_release(&a.input, &a.dp, Method::Synthetic { seed: a.seed })
        }
        ReleaseCommand::Kanon(a) => kanon(a),
    }
}

fn kanon(a: KanonArgs) -> anyhow::Result<u8> {
    if !(a.risk_threshold > 0.0 && a.risk_threshold <= 1.0) {
        bail!(
            "--risk-threshold must be in (0, 1], got {}",
            a.risk_threshold
        );
    }
    if a.out.exists() {
        bail!(
            "{} already exists; releases never overwrite",
            a.out.display()
        );
    }
    let cfg = cthub_privacy::ReleaseConfig::from_path(&a.config)?;
    let mut store = cthub_store::open(&a.input.store.database)?;
    let source = source_of(&a.input)?;
    let s = load(&source, account_of(&source)?, store.as_mut(), false)?;
    let base = a.config.parent().unwrap_or(Path::new("."));
    let problem = cfg.resolve(&s.table, base)?;
    let release = cthub_privacy::anonymise(&s.table, &problem)?;
    let qis: Vec<&str> = cfg
        .quasi_identifiers
        .iter()
        .map(|q| q.column.as_str())
        .collect();
    let before = cthub_privacy::assess_risk(&s.table, &qis, None, a.risk_threshold)?;
    let after = cthub_privacy::assess_risk(&release.table, &qis, None, a.risk_threshold)?;
    let sum = &release.summary;
    let mut public = Report::new("cthub release: k-anonymised records", Audience::Public);
    public
        .fact("dataset", &s.description)
        .fact("configuration", a.config.display())
        .fact(
            "records released (suppressed rows included, with * in every quasi-identifier)",
            sum.records,
        )
        .fact("suppressed records", sum.suppressed)
        .fact("equivalence classes", sum.classes)
        .fact(
            format!("{:?} metric", sum.metric),
            format!("{:.6e}", sum.metric_value),
        );
    public.sections.push(Section {
        title: "Transformation (generalisation level per quasi-identifier)".into(),
        table: Some(TableData {
            header: ["quasi-identifier", "level", "of levels"]
                .map(String::from)
                .to_vec(),
            rows: sum
                .transformation
                .iter()
                .map(|q| {
                    vec![
                        q.column.clone(),
                        q.level.to_string(),
                        (q.levels - 1).to_string(),
                    ]
                })
                .collect(),
        }),
        ..Section::default()
    });
    public.sections.push(risk_section(
        "Re-identification risk of the released table",
        &after,
    ));
    let mut internal = Report::new("cthub release: risk of the input", Audience::Internal);
    internal.fact("dataset", &s.description);
    internal
        .sections
        .push(risk_section("Re-identification risk of the input", &before));
    internal
        .sections
        .push(risk_section("Re-identification risk of the output", &after));
    internal.details =
        serde_json::json!({ "summary": sum, "risk_input": before, "risk_output": after });
    public.details = serde_json::json!({ "summary": sum, "risk_output": after });
    let mut csv = Vec::new();
    release.table.write_csv(&mut csv, b',')?;
    let files = [
        ("kanon.csv", csv),
        ("report.json", public.to_json()?.into_bytes()),
        ("report.html", public.to_html().into_bytes()),
        ("risk.internal.json", internal.to_json()?.into_bytes()),
        ("risk.internal.html", internal.to_html().into_bytes()),
    ];
    write_release(&a.out, &files)?;
    cthub_release::register_release(
        store.as_mut(),
        cthub_release::Registration {
            kind: "kanon",
            title: &format!("k-anonymous table of {}", s.dataset),
            dataset: &s.dataset,
            manifest: serde_json::json!({"records": sum.records, "suppressed": sum.suppressed,
                "classes": sum.classes, "transformation": sum.transformation}),
            publish: a.publish,
            actor: &actor(),
        },
        &files,
    )?;
    store.record_audit(
        &actor(),
        "release-kanon",
        serde_json::json!({
            "dataset": s.dataset, "config": a.config.display().to_string(),
            "out": a.out.display().to_string(), "transformation": sum.transformation,
            "suppressed": sum.suppressed,
        }),
    )?;
    if a.json {
        out::json(&serde_json::json!({
            "out": a.out, "summary": sum, "risk_input": before, "risk_output": after,
        }));
    } else {
        println!(
            "released {} records ({} suppressed, {} classes) to {}; transformation {}",
            sum.records,
            sum.suppressed,
            sum.classes,
            a.out.display(),
            sum.transformation
                .iter()
                .map(|q| format!("{}={}", q.column, q.level))
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!(
            "prosecutor risk: highest {:.3} -> {:.3}, records at risk {} -> {}; sample uniques {} -> {}",
            before.prosecutor.highest,
            after.prosecutor.highest,
            before.prosecutor.records_at_risk,
            after.prosecutor.records_at_risk,
            before.sample_uniques,
            after.sample_uniques
        );
    }
    Ok(exit::OK)
}

fn risk_section(title: &str, r: &cthub_privacy::RiskSummary) -> Section {
    let row = |name: &str, m: &cthub_privacy::risk::ModelRisk| {
        vec![
            name.to_string(),
            format!("{:.4}", m.highest),
            format!("{:.4}", m.average),
            m.records_at_risk.to_string(),
            format!("{:.4}", m.share_at_risk),
        ]
    };
    Section {
        title: title.into(),
        text: format!(
            "Quasi-identifiers: {}. Records: {}, classes: {}, sample uniques: {} ({:.2}%). \
             Marketer risk {:.4}. Threshold for \"at risk\": {}.",
            r.quasi_identifiers.join(", "),
            r.records,
            r.classes,
            r.sample_uniques,
            r.sample_unique_share * 100.0,
            r.marketer,
            r.threshold
        ),
        table: Some(TableData {
            header: [
                "attacker",
                "highest",
                "average",
                "records at risk",
                "share at risk",
            ]
            .map(String::from)
            .to_vec(),
            rows: vec![
                row("prosecutor", &r.prosecutor),
                row("journalist", &r.journalist),
            ],
        }),
        bars: None,
    }
}

pub fn run_ledger(cmd: Option<LedgerCommand>, store: StoreArgs, json: bool) -> anyhow::Result<u8> {
    match cmd.unwrap_or(LedgerCommand::Show { store, json }) {
        LedgerCommand::Show { store, json } => {
            let mut s = cthub_store::open(&store.database)?;
            let accounts = s.privacy_accounts()?;
            if json {
                out::json(&accounts);
            } else if accounts.is_empty() {
                println!(
                    "no privacy budgets set (cthub ledger set-budget --dataset store --epsilon 10)"
                );
            } else {
                for acc in &accounts {
                    print_ledger_line(acc);
                    for c in &acc.charges {
                        println!(
                            "  #{:<3} {}  {:<10} rho {:.6}  {}",
                            c.seq, c.at, c.actor, c.rho, c.purpose
                        );
                    }
                }
            }
            Ok(exit::OK)
        }
        LedgerCommand::SetBudget(a) => {
            let dataset = match (&a.dataset, &a.input) {
                (Some(d), _) => d.clone(),
                (None, Some(p)) => file_dataset(p)?,
                (None, None) => bail!("give --dataset or --input"),
            };
            let rho = match (a.rho, a.epsilon) {
                (Some(r), _) => r,
                (None, Some(e)) => rho_of(e, a.delta)?,
                (None, None) => bail!("give --epsilon or --rho"),
            };
            let mut s = cthub_store::open(&a.store.database)?;
            let acc = s.set_privacy_budget(&dataset, &a.description, rho, &actor())?;
            if a.json {
                out::json(&acc);
            } else {
                print_ledger_line(&acc);
            }
            Ok(exit::OK)
        }
    }
}
