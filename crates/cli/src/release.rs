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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use cthub_privacy::dp::aggregates::{dp_aggregates, AggregateConfig, AggregateRelease};
use cthub_privacy::dp::budget::{epsilon_to_rho, rho_to_epsilon, Conversion};
use cthub_privacy::dp::evaluate::evaluate;
use cthub_privacy::dp::synth::{synthesize, SynthConfig};
use cthub_privacy::dp::workload::{
    evaluate_workload, Indicator, IndicatorQuality, RELIABLE_FABRICATED, RELIABLE_TVD,
};
use cthub_privacy::report::{Audience, Bar, Bars, Report, Section, TableData};
use cthub_privacy::table::TableBuilder;
use cthub_privacy::{Generalisation, Table};
use cthub_standard::ctdc::CtdcSchema;
use cthub_store::{PrivacyAccount, Store};

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

/// The columns counted by default when releasing aggregates of a CTDC layout.
const HEADLINE_COLUMNS: &[&str] = &[
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
];

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

/// The sensitive table and the ledger account it is charged to.
struct Sensitive {
    table: Table,
    dataset: String,
    description: String,
}

fn file_dataset(path: &Path) -> anyhow::Result<String> {
    let (sha, _) = cthub_ingest::pipeline::hash_file(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(format!("file:{sha}"))
}

fn dataset_of(input: &InputArgs) -> anyhow::Result<(String, String)> {
    Ok(match (&input.input, input.contribution) {
        (Some(p), _) => (file_dataset(p)?, format!("file {}", p.display())),
        (None, Some(c)) => (format!("contribution:{c}"), format!("contribution {c}")),
        (None, None) => ("store".to_string(), "every record of the store".to_string()),
    })
}

/// The column holding linkage person ids when `--person-id linkage` reads the store (never
/// released itself).
const LINKAGE_PERSON: &str = "linkage_person";

/// Reads the sensitive table of `input`, whose ledger account `dataset_of` named; with
/// `linkage_persons`, adds the person id of the newest linkage run per record as the column
/// [`LINKAGE_PERSON`].
fn load(
    input: &InputArgs,
    (dataset, description): (String, String),
    store: &mut dyn Store,
    linkage_persons: bool,
) -> anyhow::Result<Sensitive> {
    let table = match &input.input {
        Some(p) => Table::from_csv(p, delimiter(&input.delimiter)?)?,
        None => {
            let schema = input.layout.schema();
            let mut header: Vec<String> = cthub_standard::crosswalk::columns(schema)
                .iter()
                .map(|c| c.column.to_string())
                .collect();
            let persons = if linkage_persons {
                let Some((_, persons)) = cthub_server::linkage::latest_persons(store)? else {
                    bail!(
                        "--person-id linkage needs a linkage run: submit encodings and run \
                         `cthub linkage run` first"
                    );
                };
                header.push(LINKAGE_PERSON.to_string());
                Some(persons)
            } else {
                None
            };
            let mut b = TableBuilder::new(header);
            store.for_each_record(input.contribution, &mut |r| {
                let mut row = cthub_standard::crosswalk::to_row(schema, &r.record);
                if let Some(p) = &persons {
                    row.push(match p.get(&r.id) {
                        Some(person) => format!("p{person}"),
                        None => format!("r{}", r.id),
                    });
                }
                b.push(row.iter().map(String::as_str));
                Ok(())
            })?;
            b.finish()
        }
    };
    if table.n_rows() == 0 {
        bail!("{description} has no records to release");
    }
    Ok(Sensitive {
        table,
        dataset,
        description,
    })
}

/// Refuses early (before reading any data) when the output exists or the account is missing
/// or too small.
fn precheck(store: &mut dyn Store, dataset: &str, rho: f64, out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} already exists; releases never overwrite", out.display());
    }
    let Some(acc) = store.privacy_account(dataset)? else {
        bail!(
            "dataset {dataset:?} has no privacy budget; set one first, e.g. \
             `cthub ledger set-budget --dataset {dataset} --epsilon 10`"
        );
    };
    cthub_store::check_budget(dataset, acc.budget_rho, acc.spent_rho, rho)?;
    Ok(())
}

fn rho_of(epsilon: f64, delta: f64) -> anyhow::Result<f64> {
    epsilon_to_rho(epsilon, delta, Conversion::Tight).map_err(|e| anyhow::anyhow!("{e}"))
}

fn select_columns(table: &Table, asked: &[String], default: Option<&[&str]>) -> Vec<String> {
    if !asked.is_empty() {
        return asked.to_vec();
    }
    let names = table.names();
    match default {
        Some(d) if d.iter().all(|c| names.contains(c)) => d.iter().map(|c| c.to_string()).collect(),
        _ => names.iter().map(|c| c.to_string()).collect(),
    }
}

/// Writes a release directory atomically: files go to a sibling temporary directory that is
/// renamed to `out` only when complete.
pub(crate) fn write_release(out: &Path, files: &[(&str, Vec<u8>)]) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} already exists; releases never overwrite", out.display());
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "release".into());
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let result = (|| -> anyhow::Result<()> {
        for (file, bytes) in files {
            std::fs::write(tmp.join(file), bytes)
                .with_context(|| format!("cannot write {}", tmp.join(file).display()))?;
        }
        std::fs::rename(&tmp, out)
            .with_context(|| format!("cannot move the release to {}", out.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Registers a written release in the store's release registry (served by `cthub serve`),
/// with its public files: files named `*.internal.*` stay on disk only.
pub(crate) fn register_release(
    store: &mut dyn Store,
    kind: &str,
    title: &str,
    dataset: &str,
    manifest: serde_json::Value,
    files: &[(&str, Vec<u8>)],
    publish: bool,
) -> anyhow::Result<cthub_store::hub::Release> {
    let media = |n: &str| match n.rsplit('.').next().unwrap_or("") {
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "html" => "text/html; charset=utf-8",
        "parquet" => "application/vnd.apache.parquet",
        _ => "application/octet-stream",
    };
    let files = files
        .iter()
        .filter(|(n, _)| !n.contains(".internal."))
        .map(|(n, b)| (n.to_string(), media(n).to_string(), b.clone()))
        .collect();
    Ok(cthub_store::hub::save_release(
        store,
        cthub_store::hub::NewRelease {
            kind,
            title,
            dataset,
            created_by: &actor(),
            published: publish,
            manifest,
            files,
        },
    )?)
}

fn table_csv(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    t.write_csv(&mut out, b',')?;
    Ok(out)
}

fn ledger_section(acc: &PrivacyAccount, delta: f64) -> Section {
    let eps = |rho: f64| {
        rho_to_epsilon(rho, delta, Conversion::Tight)
            .map(|e| format!("{e:.4}"))
            .unwrap_or_else(|_| "-".into())
    };
    Section {
        title: format!("Privacy ledger of {}", acc.dataset),
        text: format!(
            "Budget rho = {:.6} (epsilon {} at delta {delta:e}); spent rho = {:.6}; remaining rho = {:.6}.",
            acc.budget_rho,
            eps(acc.budget_rho),
            acc.spent_rho,
            (acc.budget_rho - acc.spent_rho).max(0.0)
        ),
        table: Some(TableData {
            header: vec![
                "#".into(),
                "at".into(),
                "by".into(),
                "rho".into(),
                format!("epsilon at delta {delta:e}"),
                "purpose".into(),
            ],
            rows: acc
                .charges
                .iter()
                .map(|c| {
                    vec![
                        c.seq.to_string(),
                        c.at.clone(),
                        c.actor.clone(),
                        format!("{:.6}", c.rho),
                        eps(c.rho),
                        c.purpose.clone(),
                    ]
                })
                .collect(),
        }),
        bars: None,
    }
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

/// The columns and hierarchies of `--config`, if given (checked against the data).
#[allow(clippy::type_complexity)]
fn configured_columns(
    dp: &DpArgs,
    table: &Table,
) -> anyhow::Result<(Vec<String>, Vec<(String, cthub_privacy::Hierarchy)>)> {
    let Some(path) = &dp.config else {
        return Ok((Vec::new(), Vec::new()));
    };
    let cfg = cthub_privacy::ReleaseConfig::from_path(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(cfg.dp_columns(table, base)?)
}

/// Hierarchies of the released columns for the fallback of small counts: `--hierarchy
/// COLUMN=NAME` (a built-in name or an ARX hierarchy CSV) or, by default, the built-ins of the
/// CTDC columns (countries → UN M49 subregion → region, age bands → wider bands, years → periods).
/// Precedence: `--hierarchy`, then the configuration's, then the built-in default.
fn fallback_hierarchies(
    table: &Table,
    columns: &[String],
    asked: &[String],
    mut configured: Vec<(String, cthub_privacy::Hierarchy)>,
) -> anyhow::Result<Vec<(String, cthub_privacy::Hierarchy)>> {
    use cthub_privacy::hierarchy::{Builtin, Hierarchy};
    let mut specs: Vec<(String, String)> = Vec::new();
    for a in asked {
        let (c, h) = a.split_once('=').with_context(|| {
            format!("--hierarchy takes COLUMN=NAME or COLUMN=FILE.csv, got {a:?}")
        })?;
        if !columns.iter().any(|x| x == c) {
            bail!("--hierarchy names {c:?}, which is not a released column");
        }
        specs.push((c.to_string(), h.to_string()));
    }
    configured.retain(|(c, _)| columns.contains(c) && !specs.iter().any(|(x, _)| x == c));
    for c in columns {
        if specs.iter().any(|(x, _)| x == c) || configured.iter().any(|(x, _)| x == c) {
            continue;
        }
        let default = match c.as_str() {
            "citizenship" | "CountryOfExploitation" => Some("country"),
            "ageBroad" => Some("age-band"),
            "yearOfRegistration" => Some("year"),
            _ => None,
        };
        if let Some(d) = default {
            specs.push((c.clone(), d.to_string()));
        }
    }
    let mut out = configured;
    for (c, h) in specs {
        let col = table.column(&c)?;
        let hierarchy = if h.ends_with(".csv") {
            let hier = Hierarchy::from_csv(Path::new(&h), b';')?;
            if let Some(v) = col.values.iter().find(|v| !hier.covers(v)) {
                bail!("hierarchy {h} does not cover the value {v:?} of column {c:?}");
            }
            hier
        } else {
            Builtin::parse(&h)?.build(col.values.iter().map(String::as_str))?
        };
        out.push((c, hierarchy));
    }
    Ok(out)
}

pub fn run_release(cmd: ReleaseCommand) -> anyhow::Result<u8> {
    match cmd {
        ReleaseCommand::Aggregates(a) => aggregates(a),
        ReleaseCommand::Synthetic(a) => synthetic(a),
        ReleaseCommand::Kanon(a) => kanon(a),
    }
}

/// What every DP release does before its algorithm runs: the ε→ρ conversion, the budget and
/// output checks (before any data is read), the sensitive table and the released columns.
struct DpJob {
    store: Box<dyn Store>,
    dataset: String,
    rho: f64,
    sensitive: Sensitive,
    columns: Vec<String>,
    /// The person column the release bounds by (`--person-id`, or [`LINKAGE_PERSON`]).
    person_id: Option<String>,
    /// Hierarchies of `--config`, for the fallback of aggregates.
    configured_hierarchies: Vec<(String, cthub_privacy::Hierarchy)>,
}

impl DpJob {
    fn start(
        input: &InputArgs,
        dp: &DpArgs,
        default_columns: Option<&[&str]>,
    ) -> anyhow::Result<DpJob> {
        let rho = rho_of(dp.epsilon, dp.delta)?;
        let mut store = cthub_store::open(&input.store.database)?;
        let account = dataset_of(input)?;
        let dataset = account.0.clone();
        precheck(store.as_mut(), &dataset, rho, &dp.out)?;
        let linkage = input.input.is_none() && dp.person_id.as_deref() == Some("linkage");
        let sensitive = load(input, account, store.as_mut(), linkage)?;
        let (configured, configured_hierarchies) = configured_columns(dp, &sensitive.table)?;
        let asked = if dp.columns.is_empty() {
            configured
        } else {
            dp.columns.clone()
        };
        if linkage && asked.iter().any(|c| c == LINKAGE_PERSON) {
            bail!("{LINKAGE_PERSON} identifies persons and is never released");
        }
        let mut columns = select_columns(&sensitive.table, &asked, default_columns);
        let person_id = if linkage {
            columns.retain(|c| c != LINKAGE_PERSON);
            Some(LINKAGE_PERSON.to_string())
        } else {
            dp.person_id.clone()
        };
        Ok(DpJob {
            store,
            dataset,
            rho,
            sensitive,
            columns,
            person_id,
            configured_hierarchies,
        })
    }

    /// Charges the computed release to the ledger (refused = nothing is written) and returns
    /// the account after the charge.
    fn charge(
        &mut self,
        purpose: &str,
        record: &serde_json::Value,
    ) -> anyhow::Result<PrivacyAccount> {
        self.store
            .charge_privacy(&self.dataset, self.rho, purpose, record, &actor())?;
        self.store
            .privacy_account(&self.dataset)?
            .context("the ledger account vanished")
    }
}

fn aggregates(a: AggregateArgs) -> anyhow::Result<u8> {
    if a.length == 0 {
        bail!("--length must be at least 1");
    }
    let mut job = DpJob::start(&a.input, &a.dp, Some(HEADLINE_COLUMNS))?;
    let (rho, dataset, columns) = (job.rho, job.dataset.clone(), job.columns.clone());
    let mut config = AggregateConfig::new(columns.clone(), rho);
    config.reporting_length = a.length;
    config.person_id = job.person_id.clone();
    config.max_records_per_person = a.dp.max_records_per_person;
    let configured = std::mem::take(&mut job.configured_hierarchies);
    let owned = fallback_hierarchies(&job.sensitive.table, &columns, &a.hierarchy, configured)?;
    let hierarchies: HashMap<String, &dyn Generalisation> = owned
        .iter()
        .map(|(c, h)| (c.clone(), h as &dyn Generalisation))
        .collect();
    let release = dp_aggregates(&job.sensitive.table, &config, &hierarchies)?;
    let purpose = format!(
        "DP aggregates of {} columns, length {}, epsilon {} at delta {:e}",
        columns.len(),
        a.length,
        a.dp.epsilon,
        a.dp.delta
    );
    let record = serde_json::json!({
        "kind": "aggregates", "columns": columns, "length": a.length,
        "epsilon": a.dp.epsilon, "delta": a.dp.delta, "out": a.dp.out.display().to_string(),
    });
    let acc = job.charge(&purpose, &record)?;
    let report = aggregate_report(&release, &a, &acc, &job.sensitive.description);
    let mut csv = Vec::new();
    release.write_csv(&mut csv)?;
    let files = [
        ("aggregates.csv", csv),
        ("aggregates.json", serde_json::to_vec_pretty(&release)?),
        ("report.json", report.to_json()?.into_bytes()),
        ("report.html", report.to_html().into_bytes()),
    ];
    write_release(&a.dp.out, &files)?;
    let registered = register_release(
        job.store.as_mut(),
        "aggregates",
        &format!("DP aggregates of {dataset}"),
        &dataset,
        serde_json::json!({"epsilon": a.dp.epsilon, "delta": a.dp.delta, "rho": rho, "columns": columns,
            "length": a.length, "records": release.total.count, "counts": release.counts.len()}),
        &files,
        a.dp.publish,
    )?;
    if a.dp.json {
        out::json(&serde_json::json!({
            "out": a.dp.out, "dataset": dataset, "rho": rho, "epsilon": a.dp.epsilon,
            "delta": a.dp.delta, "counts": release.counts.len(), "noisy_total": release.total,
            "ledger": acc, "release_id": registered.id, "published": registered.published,
        }));
    } else {
        println!(
            "released {} noisy counts (noisy total {} [{}, {}]) to {}",
            release.counts.len(),
            release.total.count,
            release.total.lower,
            release.total.upper,
            a.dp.out.display()
        );
        print_ledger_line(&acc);
    }
    Ok(exit::OK)
}

fn aggregate_report(
    r: &AggregateRelease,
    a: &AggregateArgs,
    acc: &PrivacyAccount,
    description: &str,
) -> Report {
    let mut rep = Report::new(
        "cthub release: differentially private aggregates",
        Audience::Public,
    );
    rep.fact("dataset", format!("{} ({description})", acc.dataset))
        .fact("epsilon", a.dp.epsilon)
        .fact("delta", a.dp.delta)
        .fact("zCDP rho", format!("{:.6}", r.rho))
        .fact("columns", r.columns.join(", "))
        .fact("reporting length", r.reporting_length)
        .fact("records per person (bound)", r.max_records_per_person)
        .fact(
            "noisy total",
            format!(
                "{} (95%: {}-{})",
                r.total.count, r.total.lower, r.total.upper
            ),
        );
    rep.sections.push(Section {
        title: "Noise and thresholds by combination length".into(),
        text: "Counts below the threshold are not published at their detailed level; country \
               combinations fall back to UN M49 subregion or region and are marked with the level."
            .into(),
        table: Some(TableData {
            header: [
                "length",
                "marginals",
                "rho",
                "sigma",
                "95% half-width",
                "threshold",
                "published",
                "fallback",
            ]
            .map(String::from)
            .to_vec(),
            rows: r
                .lengths
                .iter()
                .map(|l| {
                    vec![
                        l.length.to_string(),
                        l.marginals.to_string(),
                        format!("{:.6}", l.rho),
                        format!("{:.2}", l.sigma),
                        l.half_width_95.to_string(),
                        l.threshold.to_string(),
                        l.published.to_string(),
                        l.fallback.to_string(),
                    ]
                })
                .collect(),
        }),
        bars: None,
    });
    // One chart per single column (length-1 counts), with their 95% intervals.
    for col in &r.columns {
        let mut singles: Vec<_> = r
            .counts
            .iter()
            .filter(|c| c.columns.len() == 1 && &c.columns[0] == col)
            .collect();
        // Numbers (years) in order, anything else by count.
        if singles.iter().all(|c| c.values[0].parse::<f64>().is_ok()) {
            singles.sort_by(|a, b| {
                let (x, y) = (a.values[0].parse::<f64>(), b.values[0].parse::<f64>());
                x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0))
            });
        } else {
            singles.sort_by_key(|c| std::cmp::Reverse(c.noisy.count));
        }
        let items: Vec<Bar> = singles
            .into_iter()
            .take(40)
            .map(|c| Bar {
                label: format!(
                    "{}{}",
                    if c.values[0].is_empty() {
                        "(not recorded)"
                    } else {
                        &c.values[0]
                    },
                    if c.levels[0] > 0 {
                        " (generalised)"
                    } else {
                        ""
                    }
                ),
                value: c.noisy.count as f64,
                interval: Some((c.noisy.lower as f64, c.noisy.upper as f64)),
            })
            .collect();
        if !items.is_empty() {
            rep.sections.push(Section {
                title: format!("{col}: noisy counts with 95% intervals"),
                bars: Some(Bars {
                    label: col.clone(),
                    items,
                }),
                ..Section::default()
            });
        }
    }
    rep.sections.push(ledger_section(acc, a.dp.delta));
    rep.details = serde_json::json!({ "lengths": r.lengths, "total": r.total });
    rep
}

fn synthetic(a: SyntheticArgs) -> anyhow::Result<u8> {
    let mut job = DpJob::start(&a.input, &a.dp, None)?;
    let (rho, dataset, columns) = (job.rho, job.dataset.clone(), job.columns.clone());
    let mut config = SynthConfig::new(rho);
    config.columns = Some(columns.clone());
    config.person_id = job.person_id.clone();
    config.max_records_per_person = a.dp.max_records_per_person;
    config.seed = a.seed;
    // The flows are the figure readers look at first and the hardest to keep (~100 × 100
    // mostly empty cells): measured on their own, no record on a pair outside their support.
    if FLOWS.iter().all(|f| columns.iter().any(|c| c == f)) {
        config.workload = vec![FLOWS.map(String::from).to_vec()];
    }
    let started = std::time::Instant::now();
    let synth = synthesize(&job.sensitive.table, &config)?;
    let seconds = started.elapsed().as_secs_f64();
    let purpose = format!(
        "DP synthetic data, {} columns, epsilon {} at delta {:e}",
        columns.len(),
        a.dp.epsilon,
        a.dp.delta
    );
    let record = serde_json::json!({
        "kind": "synthetic", "columns": columns, "epsilon": a.dp.epsilon,
        "delta": a.dp.delta, "out": a.dp.out.display().to_string(),
    });
    let acc = job.charge(&purpose, &record)?;
    // The quality report compares with the sensitive columns (internal: exact figures).
    let sensitive = project(&job.sensitive.table, &columns)?;
    let quality = evaluate(&sensitive, &synth.table, 3, 10)?;
    let schema = a.input.layout.schema();
    let missing = |col: &str, v: &str| match cthub_standard::crosswalk::column(schema, col) {
        Some(c) => cthub_standard::crosswalk::is_missing(schema, &c.target, v),
        None => v.trim().is_empty(),
    };
    let workload = publication_workload(&columns);
    let indicators = workload
        .iter()
        .map(|ind| {
            // each indicator's missing rule is its columns' rule in the release layout
            let cols = ind.columns.clone();
            let miss = |v: &str| cols.iter().any(|c| missing(c, v));
            evaluate_workload(
                &sensitive,
                &synth.table,
                std::slice::from_ref(ind),
                10,
                &miss,
            )
            .map(|mut q| q.remove(0))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let worst = quality.worst_pairs(5);
    let mut public = Report::new(
        "cthub release: differentially private synthetic data",
        Audience::Public,
    );
    public
        .fact(
            "dataset",
            format!("{} ({})", acc.dataset, job.sensitive.description),
        )
        .fact("epsilon", a.dp.epsilon)
        .fact("delta", a.dp.delta)
        .fact("zCDP rho", format!("{:.6}", synth.rho))
        .fact("synthetic records", synth.table.n_rows())
        .fact("columns", columns.join(", "))
        .fact(
            "model",
            format!(
                "{} dependencies: {}",
                synth.tree.len(),
                synth
                    .tree
                    .iter()
                    .map(|(x, p)| format!("{x}<-{p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    let mut what = String::from(
        "Records generated from a model fitted to noisy marginals of the sensitive data. \
         They are not real cases; no record corresponds to a person. The number of records \
         is itself noisy.",
    );
    if !config.workload.is_empty() {
        what.push_str(&format!(
            " The flows (citizenship → country of exploitation) were measured on their own with \
             {:.0}% of the budget; a flow whose noisy count was under {:.0} records \
             ({} standard deviations of its noise) is treated as absent, so small flows do not \
             appear and flows that the data does not contain almost never do.",
            config.workload_share * 100.0,
            config.support_sigmas * synth.workload_sigma,
            config.support_sigmas
        ));
    }
    public.sections.push(Section {
        title: "What this is".into(),
        text: what,
        ..Section::default()
    });
    public.sections.push(ledger_section(&acc, a.dp.delta));
    let mut internal = Report::new(
        "cthub release: quality of the synthetic data",
        Audience::Internal,
    );
    internal
        .fact("dataset", &acc.dataset)
        .fact("sensitive records", quality.sensitive_rows)
        .fact("synthetic records", quality.synthetic_rows)
        .fact(
            "record expansion",
            format!("{:.4}", quality.record_expansion),
        )
        .fact("synthesis time (s)", format!("{seconds:.2}"))
        .fact(
            "rare combinations leaked (count < 10)",
            format!(
                "{} of {} ({:.1}%)",
                quality.rare_leaked,
                quality.rare_combinations,
                quality.rare_leakage_share * 100.0
            ),
        )
        .fact(
            "single values kept",
            format!(
                "{} of {}",
                quality.single_values_surviving, quality.single_values_sensitive
            ),
        );
    internal.sections.push(Section {
        title: "Mean total-variation distance by combination length".into(),
        bars: Some(Bars {
            label: "mean TVD".into(),
            items: quality
                .lengths
                .iter()
                .map(|l| Bar {
                    label: format!("{}-way", l.length),
                    value: (l.mean_tvd * 10_000.0).round() / 10_000.0,
                    interval: None,
                })
                .collect(),
        }),
        table: Some(TableData {
            header: [
                "length",
                "mean TVD",
                "max TVD",
                "preserved",
                "suppressed",
                "fabricated",
            ]
            .map(String::from)
            .to_vec(),
            rows: quality
                .lengths
                .iter()
                .map(|l| {
                    vec![
                        l.length.to_string(),
                        format!("{:.4}", l.mean_tvd),
                        format!("{:.4}", l.max_tvd),
                        l.preserved.to_string(),
                        l.suppressed.to_string(),
                        l.fabricated.to_string(),
                    ]
                })
                .collect(),
        }),
        ..Section::default()
    });
    internal.sections.push(Section {
        title: "Preservation by count bucket".into(),
        table: Some(TableData {
            header: ["sensitive count", "combinations", "preserved", "share"]
                .map(String::from)
                .to_vec(),
            rows: quality
                .buckets
                .iter()
                .map(|b| {
                    vec![
                        b.bucket.clone(),
                        b.sensitive_combinations.to_string(),
                        b.preserved.to_string(),
                        format!("{:.3}", b.preserved_share),
                    ]
                })
                .collect(),
        }),
        ..Section::default()
    });
    internal.sections.push(workload_section(&indicators));
    internal.sections.push(Section {
        title: "The five 2-way marginals that differ most".into(),
        table: Some(TableData {
            header: ["columns", "TVD"].map(String::from).to_vec(),
            rows: worst
                .iter()
                .map(|(cols, tvd)| vec![cols.join(" × "), format!("{tvd:.4}")])
                .collect(),
        }),
        ..Section::default()
    });
    public.sections.push(reliability_section(&indicators));
    let mut details = serde_json::to_value(&quality)?;
    details["workload"] = serde_json::to_value(&indicators)?;
    details["worst_pairs"] = worst
        .iter()
        .map(|(cols, tvd)| serde_json::json!({"columns": cols, "tvd": tvd}))
        .collect();
    internal.details = details;
    let files = [
        ("synthetic.csv", table_csv(&synth.table)?),
        ("report.json", public.to_json()?.into_bytes()),
        ("report.html", public.to_html().into_bytes()),
        ("quality.internal.json", internal.to_json()?.into_bytes()),
        ("quality.internal.html", internal.to_html().into_bytes()),
    ];
    write_release(&a.dp.out, &files)?;
    let registered = register_release(
        job.store.as_mut(),
        "synthetic",
        &format!("DP synthetic data of {dataset}"),
        &dataset,
        serde_json::json!({"epsilon": a.dp.epsilon, "delta": a.dp.delta, "rho": rho, "columns": columns,
            "records": synth.table.n_rows(), "flows": flows_statement(&indicators)}),
        &files,
        a.dp.publish,
    )?;
    if a.dp.json {
        out::json(&serde_json::json!({
            "out": a.dp.out, "dataset": dataset, "rho": rho, "epsilon": a.dp.epsilon,
            "delta": a.dp.delta, "synthetic_records": synth.table.n_rows(),
            "tvd": { "1": quality.tvd(1), "2": quality.tvd(2), "3": quality.tvd(3) },
            "workload": indicators.iter().map(|q| serde_json::json!({
                "indicator": q.name, "tvd": q.tvd,
                "fabricated_record_share": q.fabricated_record_share,
                "top_k": q.top_k, "top_k_kept": q.top_k_kept,
            })).collect::<Vec<_>>(),
            "seconds": seconds, "ledger": acc, "release_id": registered.id,
        }));
    } else {
        println!(
            "released {} synthetic records to {} (mean TVD 1/2/3-way {:.4}/{:.4}/{:.4}; see quality.internal.html)",
            synth.table.n_rows(),
            a.dp.out.display(),
            quality.tvd(1).unwrap_or(f64::NAN),
            quality.tvd(2).unwrap_or(f64::NAN),
            quality.tvd(3).unwrap_or(f64::NAN)
        );
        print_ledger_line(&acc);
    }
    Ok(exit::OK)
}

/// The flows' columns (citizenship → country of exploitation) in the CTDC layouts.
const FLOWS: [&str; 2] = ["citizenship", "CountryOfExploitation"];

/// The figures the hub publishes from a release (the dashboard's indicators), as far as the
/// release has their columns: flows, sex × age, year trend, exploitation type × sex.
fn publication_workload(columns: &[String]) -> Vec<Indicator> {
    let candidates = [
        Indicator::new("flows (citizenship → country of exploitation)", &FLOWS),
        Indicator::new("sex × age band", &["gender", "ageBroad"]),
        Indicator::new("year of registration", &["yearOfRegistration"]),
        Indicator::new("forced labour × sex", &["isForcedLabour", "gender"]),
        Indicator::new("sexual exploitation × sex", &["isSexualExploit", "gender"]),
    ];
    candidates
        .into_iter()
        .filter(|i| i.columns.iter().all(|c| columns.contains(c)))
        .collect()
}

/// What the dashboard says beside a synthetic release's flows: reliable or not, and the share of
/// synthetic flow records on pairs the data lacks in coarse bands (never the exact figure).
/// `null` when the release has no flows.
fn flows_statement(indicators: &[IndicatorQuality]) -> serde_json::Value {
    let Some(q) = indicators.iter().find(|q| q.columns == FLOWS) else {
        return serde_json::Value::Null;
    };
    serde_json::json!({"reliable": q.reliable(), "fabricated": q.fabricated_band()})
}

/// The internal per-indicator table: exact figures, for the data holder.
fn workload_section(indicators: &[IndicatorQuality]) -> Section {
    Section {
        title: "The published figures, one by one (records with a value in every column)".into(),
        text: format!(
            "Averages hide failures: each indicator is compared on its own. Reliable means TVD ≤              {RELIABLE_TVD}, at most {:.0}% of synthetic records on combinations absent from the              data, and at least 8 of the true top 10 among the synthetic top 10.",
            RELIABLE_FABRICATED * 100.0
        ),
        table: Some(TableData {
            header: [
                "indicator",
                "TVD",
                "fabricated records",
                "top-10 kept",
                "cells (data / synthetic / fabricated)",
                "reliable",
            ]
            .map(String::from)
            .to_vec(),
            rows: indicators
                .iter()
                .map(|q| {
                    vec![
                        q.name.clone(),
                        format!("{:.4}", q.tvd),
                        format!("{:.1}%", q.fabricated_record_share * 100.0),
                        format!("{} of {}", q.top_k_kept, q.top_k),
                        format!(
                            "{} / {} / {}",
                            q.sensitive_cells, q.synthetic_cells, q.fabricated_cells
                        ),
                        if q.reliable() { "yes" } else { "no" }.to_string(),
                    ]
                })
                .collect(),
        }),
        ..Section::default()
    }
}

/// The public counterpart: which indicators are reliable at this ε, in words, without the exact
/// figures (they are computed on the sensitive data).
fn reliability_section(indicators: &[IndicatorQuality]) -> Section {
    let (ok, weak): (Vec<_>, Vec<_>) = indicators.iter().partition(|q| q.reliable());
    let names = |v: &[&IndicatorQuality]| {
        v.iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut text = String::new();
    if !ok.is_empty() {
        text.push_str(&format!(
            "Close to the data at this privacy budget: {}. ",
            names(&ok)
        ));
    }
    if !weak.is_empty() {
        text.push_str(&format!(
            "Not reliable at this privacy budget (distorted, or showing combinations the data              does not contain): {}. Read these from the DP aggregates release instead.",
            names(&weak)
        ));
    }
    Section {
        title: "Which figures to trust".into(),
        text,
        ..Section::default()
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
    let s = load(&a.input, dataset_of(&a.input)?, store.as_mut(), false)?;
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
    register_release(
        store.as_mut(),
        "kanon",
        &format!("k-anonymous table of {}", s.dataset),
        &s.dataset,
        serde_json::json!({"records": sum.records, "suppressed": sum.suppressed, "classes": sum.classes,
            "transformation": sum.transformation}),
        &files,
        a.publish,
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

/// The table restricted to `columns`, in that order.
fn project(t: &Table, columns: &[String]) -> anyhow::Result<Table> {
    let mut cols = Vec::with_capacity(columns.len());
    for c in columns {
        cols.push(t.column(c)?.clone());
    }
    Ok(Table { columns: cols })
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
