//! The differentially private release workflow, shared by `cthub release` and the hub's API
//! (`POST /api/releases`), so a release started from the command line and one started by an
//! admin in the dashboard meet the same refusals and charge the same ledger.
//!
//! Every release follows the same order, so that nothing leaves the process unless the ledger
//! accepted its cost:
//! 1. check the parameters, the output directory (if any) and that the dataset's remaining
//!    budget covers the release, before any data is read;
//! 2. read the sensitive table (the store's records flattened to a CTDC layout, or a file);
//! 3. compute the release in memory;
//! 4. charge the ledger (checked again under the store's lock; refused = nothing written);
//! 5. write the files into a temporary directory beside the output directory and rename it
//!    into place, so a partially written release is never left behind (command line only);
//! 6. register the release with its public files in the store's registry (files named
//!    `*.internal.*` hold exact figures and stay with the data holder).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use cthub_privacy::dp::aggregates::{dp_aggregates, AggregateConfig};
use cthub_privacy::dp::budget::{epsilon_to_rho, rho_to_epsilon, Conversion};
use cthub_privacy::dp::synth::{synthesize, SynthConfig};
use cthub_privacy::report::{Section, TableData};
use cthub_privacy::table::TableBuilder;
use cthub_privacy::{Generalisation, Table};
use cthub_standard::ctdc::CtdcSchema;
use cthub_store::{PrivacyAccount, Store};

mod reports;

pub use reports::publication_workload;

/// A release request the caller got wrong (a parameter, a column, an empty dataset): the hub
/// answers it with 400, the command line with its message. Budget refusals are the store's
/// [`cthub_store::StoreError::NoBudget`] and [`cthub_store::StoreError::BudgetExceeded`].
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn refuse<T>(message: impl Into<String>) -> anyhow::Result<T> {
    Err(Refused(message.into()).into())
}

/// Where the sensitive records come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The store's records (of one contribution, or all), flattened to a CTDC layout. Ledger
    /// account `contribution:<id>` or `store`.
    Store {
        contribution: Option<i64>,
        layout: CtdcSchema,
    },
    /// A delimited file; its SHA-256 names its ledger account (`file:<sha256>`), which lives in
    /// the store. Command line only.
    File { path: PathBuf, delimiter: u8 },
}

/// The release's algorithm and its own parameters.
#[derive(Clone, Debug)]
pub enum Method {
    /// Noisy counts of every combination of up to `length` columns, small counts falling back
    /// through the columns' hierarchies (`COLUMN=NAME` or `COLUMN=FILE.csv`; default the
    /// built-ins of the CTDC columns).
    Aggregates {
        length: usize,
        hierarchies: Vec<String>,
    },
    /// Synthetic records from a model fitted to noisy marginals; `seed` drives the sampling
    /// step only (the noise always comes from the system's randomness).
    Synthetic { seed: u64 },
}

impl Method {
    pub fn kind(&self) -> &'static str {
        match self {
            Method::Aggregates { .. } => "aggregates",
            Method::Synthetic { .. } => "synthetic",
        }
    }
}

/// One differentially private release to make.
#[derive(Clone, Debug)]
pub struct DpRequest {
    pub source: Source,
    pub method: Method,
    /// Privacy loss ε (> 0), charged to the dataset's budget as zCDP ρ.
    pub epsilon: f64,
    /// δ of the (ε, δ) statement (0 < δ < 1).
    pub delta: f64,
    /// Columns to release; empty: those of `config`, else the headline set (aggregates) or
    /// every column (synthetic).
    pub columns: Vec<String>,
    /// A release configuration (TOML): its quasi-identifiers and sensitive attributes are the
    /// released columns, its hierarchies the fallback levels. Command line only.
    pub config: Option<PathBuf>,
    /// A column identifying the person, whose records are bounded together; `linkage` (with
    /// the store as source) takes the person ids of the newest linkage run.
    pub person_id: Option<String>,
    /// Records kept per person when `person_id` is given.
    pub max_records_per_person: usize,
    /// Declared public value lists by column (public knowledge, not read from the data); they
    /// take precedence over the standard's lists. Released columns with neither get DP partition
    /// selection (see [`DomainSource`]).
    pub domains: Vec<(String, Vec<String>)>,
    /// Publish at once (visible without login on the dashboard).
    pub publish: bool,
    /// Who asks: recorded in the ledger and the registry, shown to admins only.
    pub actor: String,
}

/// A release made, charged and registered.
#[derive(Debug)]
pub struct Released {
    pub kind: &'static str,
    /// The ledger account charged.
    pub dataset: String,
    /// What the account holds, in words.
    pub description: String,
    pub rho: f64,
    pub release: cthub_store::hub::Release,
    /// The account after the charge.
    pub account: PrivacyAccount,
    /// Every file of the release, internal ones included.
    pub files: Vec<(String, Vec<u8>)>,
    /// The release's figures for a machine-readable summary (`counts`, `noisy_total` of
    /// aggregates; `synthetic_records`, `tvd`, `workload`, `seconds` of synthetic data).
    pub summary: serde_json::Value,
    /// One line for people.
    pub message: String,
}

/// The columns counted by default when releasing aggregates of a CTDC layout.
pub const HEADLINE_COLUMNS: &[&str] = &[
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
];

/// The column holding linkage person ids when `person_id` is `linkage` (never released).
pub const LINKAGE_PERSON: &str = "linkage_person";

/// Share of a release's ρ spent on DP partition selection when some released column has no
/// public value list.
pub const SELECTION_SHARE: f64 = 0.1;

/// Where a released column's value list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainSource {
    /// The standard's list for the CTDC layout ([`cthub_standard::crosswalk::public_values`]).
    Standard,
    /// Declared by the caller.
    Declared,
    /// Chosen from the data by DP partition selection, charged with the release.
    Selected,
}

/// The value lists of a release's columns: every released column has one, so no value appears
/// in a release because a record holds it.
#[derive(Debug, Clone)]
pub struct DomainPlan {
    pub domains: HashMap<String, Vec<String>>,
    pub sources: Vec<(String, DomainSource)>,
    /// What a value outside its column's list becomes (the layout's missing marker).
    pub other: String,
    pub selection: Option<cthub_privacy::dp::partition::PartitionSelection>,
    /// ρ charged for the whole release: of (ε, δ), or of (ε, δ/2) when a selection spends the
    /// other δ/2.
    pub rho_charged: f64,
    /// ρ left to the release's own mechanism (the charge minus the selection's).
    pub rho_mechanism: f64,
}

/// The value lists of `columns` (see [`DomainPlan`]); columns without a public or declared list
/// get DP partition selection with [`SELECTION_SHARE`] of the release's ρ and half its δ.
fn domain_plan(
    req: &DpRequest,
    table: &Table,
    columns: &[String],
    person_id: Option<&str>,
    rho_full: f64,
) -> anyhow::Result<DomainPlan> {
    let (layout, other) = match req.source {
        Source::Store { layout, .. } => (
            Some(layout),
            cthub_standard::crosswalk::missing_marker(layout).to_string(),
        ),
        Source::File { .. } => (None, String::new()),
    };
    let this_year = current_year();
    for (c, _) in &req.domains {
        if !columns.contains(c) {
            return refuse(format!(
                "a value list is declared for {c:?}, which is not a released column"
            ));
        }
    }
    let mut domains = HashMap::new();
    let mut sources = Vec::new();
    let mut unlisted = Vec::new();
    for c in columns {
        if let Some((_, d)) = req.domains.iter().find(|(x, _)| x == c) {
            domains.insert(c.clone(), d.clone());
            sources.push((c.clone(), DomainSource::Declared));
        } else if let Some(d) =
            layout.and_then(|l| cthub_standard::crosswalk::public_values(l, c, this_year))
        {
            domains.insert(c.clone(), d);
            sources.push((c.clone(), DomainSource::Standard));
        } else {
            unlisted.push(c.clone());
            sources.push((c.clone(), DomainSource::Selected));
        }
    }
    let (selection, rho_charged, rho_mechanism) = if unlisted.is_empty() {
        (None, rho_full, rho_full)
    } else {
        let rho_charged = rho_of(req.epsilon, req.delta / 2.0)?;
        let rho_selection = SELECTION_SHARE * rho_charged;
        let always: Vec<String> = match layout {
            Some(l) => cthub_standard::crosswalk::missing_markers(l)
                .iter()
                .map(|m| m.to_string())
                .collect(),
            None => vec![other.clone()],
        };
        let sel = cthub_privacy::dp::partition::select_values(
            table,
            &unlisted,
            &always,
            rho_selection,
            req.delta / 2.0,
            person_id,
            req.max_records_per_person,
        )
        .map_err(|e| Refused(e.to_string()))?;
        domains.extend(sel.domains());
        (Some(sel), rho_charged, rho_charged - rho_selection)
    };
    Ok(DomainPlan {
        domains,
        sources,
        other,
        selection,
        rho_charged,
        rho_mechanism,
    })
}

/// The current calendar year (UTC), the last year of the public list of registration years.
fn current_year() -> u16 {
    use chrono::Datelike;
    u16::try_from(chrono::Utc::now().year()).unwrap_or(u16::MAX)
}

/// ρ of an (ε, δ) statement, refused when ε or δ are out of range.
pub fn rho_of(epsilon: f64, delta: f64) -> anyhow::Result<f64> {
    epsilon_to_rho(epsilon, delta, Conversion::Tight).map_err(|e| Refused(e.to_string()).into())
}

/// The ledger account of a file: `file:<sha256>`.
pub fn file_dataset(path: &Path) -> anyhow::Result<String> {
    let (sha, _) = cthub_ingest::pipeline::hash_file(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(format!("file:{sha}"))
}

/// The ledger account of a source and what it holds, in words.
pub fn account_of(source: &Source) -> anyhow::Result<(String, String)> {
    Ok(match source {
        Source::File { path, .. } => (file_dataset(path)?, format!("file {}", path.display())),
        Source::Store {
            contribution: Some(c),
            ..
        } => (format!("contribution:{c}"), format!("contribution {c}")),
        Source::Store {
            contribution: None, ..
        } => ("store".to_string(), "every record of the store".to_string()),
    })
}

/// The sensitive table and the ledger account it is charged to.
pub struct Sensitive {
    pub table: Table,
    pub dataset: String,
    pub description: String,
}

/// Reads the sensitive table of `source`, whose ledger account [`account_of`] named; with
/// `linkage_persons`, adds the person id of the newest linkage run per record as the column
/// [`LINKAGE_PERSON`].
pub fn load(
    source: &Source,
    (dataset, description): (String, String),
    store: &mut dyn Store,
    linkage_persons: bool,
) -> anyhow::Result<Sensitive> {
    let table = match source {
        Source::File { path, delimiter } => Table::from_csv(path, *delimiter)
            .map_err(|e| Refused(format!("{}: {e}", path.display())))?,
        Source::Store {
            contribution,
            layout,
        } => {
            let schema = *layout;
            let mut header: Vec<String> = cthub_standard::crosswalk::columns(schema)
                .iter()
                .map(|c| c.column.to_string())
                .collect();
            let persons = if linkage_persons {
                let Some((_, persons)) = cthub_store::linkage::latest_persons(store)? else {
                    return refuse(
                        "person id `linkage` needs a linkage run: submit encodings and run \
                         the linkage (`cthub linkage run`) first",
                    );
                };
                header.push(LINKAGE_PERSON.to_string());
                Some(persons)
            } else {
                None
            };
            let mut b = TableBuilder::new(header);
            store.for_each_record(*contribution, &mut |r| {
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
        return refuse(format!("{description} has no records to release"));
    }
    Ok(Sensitive {
        table,
        dataset,
        description,
    })
}

/// Refuses early (before reading any data) when the output exists or the account is missing
/// or too small.
fn precheck(
    store: &mut dyn Store,
    dataset: &str,
    rho: f64,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(out) = out.filter(|o| o.exists()) {
        return refuse(format!(
            "{} already exists; releases never overwrite",
            out.display()
        ));
    }
    let Some(acc) = store.privacy_account(dataset)? else {
        return Err(cthub_store::StoreError::NoBudget(dataset.to_string()).into());
    };
    cthub_store::check_budget(dataset, acc.budget_rho, acc.spent_rho, rho)?;
    Ok(())
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
pub fn write_release<N: AsRef<str>>(out: &Path, files: &[(N, Vec<u8>)]) -> anyhow::Result<()> {
    if out.exists() {
        return refuse(format!(
            "{} already exists; releases never overwrite",
            out.display()
        ));
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
            let path = tmp.join(file.as_ref());
            std::fs::write(&path, bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
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

/// What the registry records of a release besides its files.
pub struct Registration<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub dataset: &'a str,
    pub manifest: serde_json::Value,
    pub publish: bool,
    pub actor: &'a str,
}

/// Registers a release in the store's release registry (served by the hub) with its public
/// files: files named `*.internal.*` stay on disk only.
pub fn register_release<N: AsRef<str>>(
    store: &mut dyn Store,
    r: Registration<'_>,
    files: &[(N, Vec<u8>)],
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
        .map(|(n, b)| (n.as_ref(), b))
        .filter(|(n, _)| !n.contains(".internal."))
        .map(|(n, b)| (n.to_string(), media(n).to_string(), b.clone()))
        .collect();
    Ok(cthub_store::hub::save_release(
        store,
        cthub_store::hub::NewRelease {
            kind: r.kind,
            title: r.title,
            dataset: r.dataset,
            created_by: r.actor,
            published: r.publish,
            manifest: r.manifest,
            files,
        },
    )?)
}

/// A table as CSV bytes (`,`).
pub fn table_csv(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    t.write_csv(&mut out, b',')?;
    Ok(out)
}

/// The table restricted to `columns`, in that order.
pub fn project(t: &Table, columns: &[String]) -> anyhow::Result<Table> {
    let mut cols = Vec::with_capacity(columns.len());
    for c in columns {
        cols.push(t.column(c).map_err(|e| Refused(e.to_string()))?.clone());
    }
    Ok(Table { columns: cols })
}

/// The report section listing an account's budget and charges.
pub fn ledger_section(acc: &PrivacyAccount, delta: f64) -> Section {
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

/// The columns and hierarchies of a release configuration, if given (checked against the data).
#[allow(clippy::type_complexity)]
fn configured_columns(
    config: Option<&Path>,
    table: &Table,
) -> anyhow::Result<(Vec<String>, Vec<(String, cthub_privacy::Hierarchy)>)> {
    let Some(path) = config else {
        return Ok((Vec::new(), Vec::new()));
    };
    let cfg = cthub_privacy::ReleaseConfig::from_path(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(cfg.dp_columns(table, base)?)
}

/// Hierarchies of the released columns for the fallback of small counts: `COLUMN=NAME` (a
/// built-in name or an ARX hierarchy CSV) or, by default, the built-ins of the CTDC columns
/// (countries → UN M49 subregion → region, age bands → wider bands, years → periods).
/// Precedence: the request's, then the configuration's, then the built-in default.
fn fallback_hierarchies(
    table: &Table,
    columns: &[String],
    asked: &[String],
    mut configured: Vec<(String, cthub_privacy::Hierarchy)>,
    domains: &HashMap<String, Vec<String>>,
) -> anyhow::Result<Vec<(String, cthub_privacy::Hierarchy)>> {
    use cthub_privacy::hierarchy::{Builtin, Hierarchy};
    let mut specs: Vec<(String, String)> = Vec::new();
    for a in asked {
        let Some((c, h)) = a.split_once('=') else {
            return refuse(format!(
                "a hierarchy is COLUMN=NAME or COLUMN=FILE.csv, got {a:?}"
            ));
        };
        if !columns.iter().any(|x| x == c) {
            return refuse(format!(
                "the hierarchy of {c:?} names a column that is not released"
            ));
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
        // the hierarchy covers the column's value list (the released values), not the data's
        let col = table.column(&c).map_err(|e| Refused(e.to_string()))?;
        let values: &[String] = domains.get(&c).map_or(&col.values, |d| d.as_slice());
        let hierarchy = if h.ends_with(".csv") {
            let hier = Hierarchy::from_csv(Path::new(&h), b';')?;
            if let Some(v) = values.iter().find(|v| !hier.covers(v)) {
                return refuse(format!(
                    "hierarchy {h} does not cover the value {v:?} of column {c:?}"
                ));
            }
            hier
        } else {
            Builtin::parse(&h)
                .map_err(|e| Refused(e.to_string()))?
                .build(values.iter().map(String::as_str))?
        };
        out.push((c, hierarchy));
    }
    Ok(out)
}

/// Makes one DP release: checks, reads, computes, charges, writes (into `out` when given) and
/// registers it (see the crate's documentation for the order).
pub fn run(store: &mut dyn Store, req: &DpRequest, out: Option<&Path>) -> anyhow::Result<Released> {
    if let Method::Aggregates { length: 0, .. } = req.method {
        return refuse("the reporting length must be at least 1");
    }
    if req.max_records_per_person == 0 {
        return refuse("records per person must be at least 1");
    }
    let rho = rho_of(req.epsilon, req.delta)?;
    let account = account_of(&req.source)?;
    let dataset = account.0.clone();
    precheck(store, &dataset, rho, out)?;
    let from_store = matches!(req.source, Source::Store { .. });
    let linkage = from_store && req.person_id.as_deref() == Some("linkage");
    let sensitive = load(&req.source, account, store, linkage)?;
    let (configured, configured_hierarchies) =
        configured_columns(req.config.as_deref(), &sensitive.table)?;
    let asked = if req.columns.is_empty() {
        configured
    } else {
        req.columns.clone()
    };
    if linkage && asked.iter().any(|c| c == LINKAGE_PERSON) {
        return refuse(format!(
            "{LINKAGE_PERSON} identifies persons and is never released"
        ));
    }
    let names = sensitive.table.names();
    if let Some(c) = asked.iter().find(|c| !names.contains(&c.as_str())) {
        return refuse(format!(
            "no column {c:?} in {} (columns: {})",
            sensitive.description,
            names
                .iter()
                .filter(|n| **n != LINKAGE_PERSON)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let default_columns = match req.method {
        Method::Aggregates { .. } => Some(HEADLINE_COLUMNS),
        Method::Synthetic { .. } => None,
    };
    let mut columns = select_columns(&sensitive.table, &asked, default_columns);
    let person_id = if linkage {
        columns.retain(|c| c != LINKAGE_PERSON);
        Some(LINKAGE_PERSON.to_string())
    } else {
        if let Some(p) = req.person_id.as_deref().filter(|p| !names.contains(p)) {
            return refuse(format!(
                "the person id column {p:?} is not a column of {}",
                sensitive.description
            ));
        }
        req.person_id.clone()
    };
    let plan = domain_plan(req, &sensitive.table, &columns, person_id.as_deref(), rho)?;
    let (rho, description) = (plan.rho_charged, sensitive.description.clone());
    let job = Job {
        req,
        sensitive,
        columns,
        person_id,
        configured_hierarchies,
        plan,
    };
    let made = match &req.method {
        Method::Aggregates {
            length,
            hierarchies,
        } => job.aggregates(store, *length, hierarchies)?,
        Method::Synthetic { seed } => job.synthetic(store, *seed)?,
    };
    if let Some(out) = out {
        write_release(out, &made.files)?;
    }
    let release = register_release(
        store,
        Registration {
            kind: req.method.kind(),
            title: &made.title,
            dataset: &dataset,
            manifest: made.manifest,
            publish: req.publish,
            actor: &req.actor,
        },
        &made.files,
    )?;
    Ok(Released {
        kind: req.method.kind(),
        dataset,
        description,
        rho,
        release,
        account: made.account,
        files: made.files,
        summary: made.summary,
        message: made.message,
    })
}

/// A computed and charged release, before it is written and registered.
struct Made {
    title: String,
    account: PrivacyAccount,
    files: Vec<(String, Vec<u8>)>,
    manifest: serde_json::Value,
    summary: serde_json::Value,
    message: String,
}

/// The checked request with its sensitive table and released columns.
struct Job<'a> {
    req: &'a DpRequest,
    sensitive: Sensitive,
    columns: Vec<String>,
    /// The person column the release bounds by (`person_id`, or [`LINKAGE_PERSON`]).
    person_id: Option<String>,
    /// Hierarchies of the configuration, for the fallback of aggregates.
    configured_hierarchies: Vec<(String, cthub_privacy::Hierarchy)>,
    /// Every released column's value list.
    plan: DomainPlan,
}

impl Job<'_> {
    /// What the ledger records of a release beyond its kind: its value lists and the partition
    /// selection's share of the budget.
    fn domains_record(&self) -> serde_json::Value {
        serde_json::json!({
            "sources": self.plan.sources.iter().map(|(c, s)| (c.clone(), *s)).collect::<HashMap<_, _>>(),
            "selection": self.plan.selection.as_ref().map(|s| serde_json::json!({
                "rho": s.rho, "delta": s.delta, "threshold": s.threshold,
                "columns": s.columns.iter().map(|c| c.column.clone()).collect::<Vec<_>>(),
            })),
        })
    }

    /// Charges the computed release to the ledger (refused = nothing is written) and returns
    /// the account after the charge.
    fn charge(
        &self,
        store: &mut dyn Store,
        purpose: &str,
        record: &serde_json::Value,
    ) -> anyhow::Result<PrivacyAccount> {
        let dataset = &self.sensitive.dataset;
        store.charge_privacy(
            dataset,
            self.plan.rho_charged,
            purpose,
            record,
            &self.req.actor,
        )?;
        store
            .privacy_account(dataset)?
            .context("the ledger account vanished")
    }

    fn aggregates(
        mut self,
        store: &mut dyn Store,
        length: usize,
        asked_hierarchies: &[String],
    ) -> anyhow::Result<Made> {
        let (req, rho, columns) = (self.req, self.plan.rho_charged, self.columns.clone());
        let mut config = AggregateConfig::new(columns.clone(), self.plan.rho_mechanism);
        config.public_domains = self.plan.domains.clone();
        config.other_value = self.plan.other.clone();
        config.reporting_length = length;
        config.person_id = self.person_id.clone();
        config.max_records_per_person = req.max_records_per_person;
        let configured = std::mem::take(&mut self.configured_hierarchies);
        let owned = fallback_hierarchies(
            &self.sensitive.table,
            &columns,
            asked_hierarchies,
            configured,
            &self.plan.domains,
        )?;
        let hierarchies: HashMap<String, &dyn Generalisation> = owned
            .iter()
            .map(|(c, h)| (c.clone(), h as &dyn Generalisation))
            .collect();
        let release = dp_aggregates(&self.sensitive.table, &config, &hierarchies)
            .map_err(|e| Refused(e.to_string()))?;
        let purpose = format!(
            "DP aggregates of {} columns, length {length}, epsilon {} at delta {:e}",
            columns.len(),
            req.epsilon,
            req.delta
        );
        let record = serde_json::json!({
            "kind": "aggregates", "columns": columns, "length": length,
            "epsilon": req.epsilon, "delta": req.delta, "domains": self.domains_record(),
        });
        let acc = self.charge(store, &purpose, &record)?;
        let mut report = reports::aggregate_report(
            &release,
            (req.epsilon, req.delta),
            &acc,
            &self.sensitive.description,
        );
        report.sections.push(reports::domains_section(&self.plan));
        let mut csv = Vec::new();
        release.write_csv(&mut csv)?;
        let files = vec![
            ("aggregates.csv".to_string(), csv),
            (
                "aggregates.json".to_string(),
                serde_json::to_vec_pretty(&release)?,
            ),
            ("report.json".to_string(), report.to_json()?.into_bytes()),
            ("report.html".to_string(), report.to_html().into_bytes()),
        ];
        Ok(Made {
            title: format!("DP aggregates of {}", self.sensitive.dataset),
            account: acc,
            files,
            manifest: serde_json::json!({"epsilon": req.epsilon, "delta": req.delta, "rho": rho,
                "columns": columns, "length": length, "records": release.total.count,
                "counts": release.counts.len(), "domains": self.domains_record()}),
            summary: serde_json::json!({"counts": release.counts.len(), "noisy_total": release.total}),
            message: format!(
                "released {} noisy counts (noisy total {} [{}, {}])",
                release.counts.len(),
                release.total.count,
                release.total.lower,
                release.total.upper,
            ),
        })
    }

    fn synthetic(self, store: &mut dyn Store, seed: u64) -> anyhow::Result<Made> {
        let (req, rho, columns) = (self.req, self.plan.rho_charged, self.columns.clone());
        let mut config = SynthConfig::new(self.plan.rho_mechanism);
        config.public_domains = self.plan.domains.clone();
        config.other_value = self.plan.other.clone();
        config.columns = Some(columns.clone());
        config.person_id = self.person_id.clone();
        config.max_records_per_person = req.max_records_per_person;
        config.seed = seed;
        // The flows are the figure readers look at first and the hardest to keep (~100 × 100
        // mostly empty cells): measured on their own, no record on a pair outside their support.
        if reports::FLOWS
            .iter()
            .all(|f| columns.iter().any(|c| c == f))
        {
            config.workload = vec![reports::FLOWS.map(String::from).to_vec()];
        }
        let started = std::time::Instant::now();
        let synth =
            synthesize(&self.sensitive.table, &config).map_err(|e| Refused(e.to_string()))?;
        let seconds = started.elapsed().as_secs_f64();
        let purpose = format!(
            "DP synthetic data, {} columns, epsilon {} at delta {:e}",
            columns.len(),
            req.epsilon,
            req.delta
        );
        let record = serde_json::json!({
            "kind": "synthetic", "columns": columns, "epsilon": req.epsilon, "delta": req.delta,
            "domains": self.domains_record(),
        });
        let acc = self.charge(store, &purpose, &record)?;
        let layout = match req.source {
            Source::Store { layout, .. } => Some(layout),
            Source::File { .. } => None,
        };
        let sensitive = project(&self.sensitive.table, &columns)?;
        let mut q = reports::synthetic_reports(reports::SynthInput {
            sensitive: &sensitive,
            synth: &synth,
            config: &config,
            columns: &columns,
            layout,
            privacy: (req.epsilon, req.delta),
            acc: &acc,
            description: &self.sensitive.description,
            seconds,
        })?;
        q.public.sections.push(reports::domains_section(&self.plan));
        let files = vec![
            ("synthetic.csv".to_string(), table_csv(&synth.table)?),
            ("report.json".to_string(), q.public.to_json()?.into_bytes()),
            ("report.html".to_string(), q.public.to_html().into_bytes()),
            (
                "quality.internal.json".to_string(),
                q.internal.to_json()?.into_bytes(),
            ),
            (
                "quality.internal.html".to_string(),
                q.internal.to_html().into_bytes(),
            ),
        ];
        let quality = &q.quality;
        Ok(Made {
            title: format!("DP synthetic data of {}", self.sensitive.dataset),
            account: acc,
            files,
            manifest: serde_json::json!({"epsilon": req.epsilon, "delta": req.delta, "rho": rho,
                "columns": columns, "records": synth.table.n_rows(),
                "flows": reports::flows_statement(&q.indicators), "domains": self.domains_record()}),
            summary: serde_json::json!({
                "synthetic_records": synth.table.n_rows(),
                "tvd": { "1": quality.tvd(1), "2": quality.tvd(2), "3": quality.tvd(3) },
                "workload": q.indicators.iter().map(|q| serde_json::json!({
                    "indicator": q.name, "tvd": q.tvd,
                    "fabricated_record_share": q.fabricated_record_share,
                    "top_k": q.top_k, "top_k_kept": q.top_k_kept,
                })).collect::<Vec<_>>(),
                "seconds": seconds,
            }),
            message: format!(
                "released {} synthetic records (mean TVD 1/2/3-way {:.4}/{:.4}/{:.4}; see quality.internal.html)",
                synth.table.n_rows(),
                quality.tvd(1).unwrap_or(f64::NAN),
                quality.tvd(2).unwrap_or(f64::NAN),
                quality.tvd(3).unwrap_or(f64::NAN)
            ),
        })
    }
}
