//! `cthub`: the counter-trafficking data hub's command line.

mod demo;
mod detect;
mod export;
mod glotip;
mod import;
mod link;
mod linkage;
mod out;
mod release;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// mimalloc: an import allocates and frees tens of millions of small strings across threads
/// (cells are parsed on one thread, freed on another), where it is several times faster than
/// the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, stable for scripts.
pub mod exit {
    /// Everything worked.
    pub const OK: u8 = 0;
    /// A fatal error: unreadable file, store unavailable, bad mapping.
    pub const ERROR: u8 = 1;
    /// Bad command line (clap's own code).
    pub const USAGE: u8 = 2;
    /// Work done, but some rows were rejected (quarantined on import, reported on validate).
    pub const REJECTED_ROWS: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "cthub",
    version,
    about = "cthub, the counter-trafficking data hub: record, import, validate, export and summarise case data in HTCDS / CTDC formats",
    after_help = "Exit codes: 0 ok, 1 error, 2 usage, 3 some rows were rejected (quarantined).\nThe store is the SQLite file cthub.db unless --database or CTHUB_DATABASE_URL says otherwise (postgres://... for PostgreSQL)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct StoreArgs {
    /// Store location: a SQLite file path, or postgres://user@host:port/db for PostgreSQL.
    #[arg(
        long,
        global = true,
        env = "CTHUB_DATABASE_URL",
        default_value = "cthub.db"
    )]
    pub database: String,
}

#[derive(Args, Clone, Default)]
pub struct SourceArgs {
    /// Layout of the file; detected from the header when omitted.
    /// One of: ctdc-kanon-2018, ctdc-synthetic-2021, ctdc-synthetic-2024, ctdc-vp, htcds-template, htcds-xlsform.
    #[arg(long)]
    pub format: Option<String>,
    /// A TOML mapping describing the organisation's own layout (see `cthub import --list-fields`).
    #[arg(long, conflicts_with = "format")]
    pub mapping: Option<PathBuf>,
    /// Workbook sheet to read (default: the first non-empty sheet).
    #[arg(long)]
    pub sheet: Option<String>,
    /// 1-based row holding the column names (default: the first non-empty row).
    #[arg(long)]
    pub header_row: Option<usize>,
    /// Field delimiter of a text file (default: sniffed among , ; TAB |). Use \t for tab.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Text encoding, e.g. windows-1252, latin1, utf-16le (default: UTF-8).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Write every issue (file, row, column, value, rule, hint) to this file: .csv or .jsonl.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Create the store (or bring its schema up to date) and print where it is.
    Init {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Import case files into the store: one transaction per file; invalid rows are quarantined.
    Import(import::ImportArgs),
    /// Check files without importing: the same validation and report as `import`.
    Validate(import::ValidateArgs),
    /// Export stored records as CSV or Parquet in a CTDC layout, as JSON lines, or the source rows.
    Export(export::ExportArgs),
    /// Print headline indicators of the store.
    Stats {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Generate the synthetic demo population (CTDC and HTCDS files), optionally import it.
    Demo(demo::DemoArgs),
    /// The main job: generate the demo dataset, import it into the store and print the headline indicators.
    Up(demo::UpArgs),
    /// De-identified releases (DP aggregates, DP synthetic data), each charged to the privacy ledger.
    #[command(subcommand)]
    Release(release::ReleaseCommand),
    /// Link or deduplicate files of identifying data with a Fellegi-Sunter model (at a
    /// contributor: names never enter the hub).
    Link(link::LinkArgs),
    /// Encode identifying fields into keyed Bloom-filter encodings for privacy-preserving
    /// linkage (run at the contributor).
    Encode(link::EncodeArgs),
    /// Link the encoding files of two or more contributors by Dice similarity (run at the hub).
    LinkEncoded(link::LinkEncodedArgs),
    /// Privacy-preserving linkage kept in the hub: contributors' encoding submissions, linkage
    /// runs with person ids and overlap statistics, the review queue and its decisions.
    #[command(subcommand)]
    Linkage(linkage::LinkageCommand),
    /// UNODC GLOTIP country statistics: import the published table, query it.
    #[command(subcommand)]
    Glotip(glotip::GlotipCommand),
    /// Serve the hub: the HTTP API (OpenAPI at /api/openapi.json) and the web dashboard.
    Serve(serve::ServeArgs),
    /// Accounts of the hub server (admins, contributors, analysts, investigators).
    #[command(subcommand)]
    User(serve::UserCommand),
    /// Early detection in online ads and job posts: ingest, entities, template clusters.
    #[command(subcommand)]
    Detect(detect::DetectCommand),
    /// The privacy ledger: budgets per dataset and every release charged to them.
    Ledger {
        #[command(subcommand)]
        command: Option<release::LedgerCommand>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CTHUB_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init { store, json } => init(&store, json),
        Command::Import(a) => import::run_import(a),
        Command::Validate(a) => import::run_validate(a),
        Command::Export(a) => export::run(a),
        Command::Stats { store, json } => stats(&store, json),
        Command::Demo(a) => demo::run_demo(a),
        Command::Up(a) => demo::run_up(a),
        Command::Release(c) => release::run_release(c),
        Command::Glotip(c) => glotip::run(c),
        Command::Link(a) => link::run_link(a),
        Command::Encode(a) => link::run_encode(a),
        Command::LinkEncoded(a) => link::run_link_encoded(a),
        Command::Linkage(c) => linkage::run(c),
        Command::Serve(a) => serve::run_serve(a),
        Command::User(c) => serve::run_user(c),
        Command::Detect(c) => detect::run(c),
        Command::Ledger {
            command,
            store,
            json,
        } => release::run_ledger(command, store, json),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

fn init(store: &StoreArgs, json: bool) -> anyhow::Result<u8> {
    let mut s = cthub_store::open(&store.database)?;
    let v = s.schema_version()?;
    if json {
        out::json(&serde_json::json!({
            "backend": s.backend(),
            "location": s.location(),
            "schema_version": v,
            "case_schema_version": cthub_standard::SCHEMA_VERSION,
        }));
    } else {
        println!(
            "store ready: {} at {} (migration {}, case schema v{})",
            s.backend(),
            s.location(),
            v,
            cthub_standard::SCHEMA_VERSION
        );
    }
    Ok(exit::OK)
}

fn stats(store: &StoreArgs, json: bool) -> anyhow::Result<u8> {
    let mut s = cthub_store::open(&store.database)?;
    let h = s.headline()?;
    if json {
        out::json(&h);
    } else {
        out::print_headline(&h, &s.location());
    }
    Ok(exit::OK)
}
