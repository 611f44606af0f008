//! `cthub linkage submit | run | review | decide | persons`: privacy-preserving linkage kept in
//! the hub's store (the hub operator's side of `cthub encode`).
//!
//! Contributors encode at home (`cthub encode`) and submit the encoding file; the operator runs
//! linkage over every organisation's newest submission, reads the overlap statistics, works
//! through the review queue (`decide` accepts or rejects a pair; decisions steer every later
//! run) and releases bound contributions per linked person (`release dp --person-id linkage`).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use cthub_link::pprl::hub::HubParams;
use cthub_server::linkage as hub_linkage;
use cthub_store::linkage::{self, LinkSide, NewSubmission};

use crate::{exit, out, StoreArgs};

#[derive(Subcommand)]
pub enum LinkageCommand {
    /// Store an organisation's encoding file (from `cthub encode`) for the next linkage run.
    Submit(SubmitArgs),
    /// Link every organisation's newest submission; store person ids, the review queue and
    /// overlap statistics.
    Run(RunArgs),
    /// The review queue of a run (default: the newest), most similar pairs first.
    Review(ReviewArgs),
    /// Accept (same person) or reject (different persons) a pair; applies from the next run on.
    Decide(DecideArgs),
    /// Runs so far, or one run's summary with its overlap statistics.
    Runs(RunsArgs),
}

#[derive(Args)]
pub struct SubmitArgs {
    /// The encoding file (JSON written by `cthub encode`).
    pub file: PathBuf,
    /// The submitting organisation (its name in the hub).
    #[arg(long)]
    pub organisation: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Who submits (recorded).
    #[arg(long, default_value = "cthub")]
    pub by: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Dice similarity at or above which two records are the same person.
    #[arg(long, default_value_t = 0.8)]
    pub match_threshold: f64,
    /// Dice similarity at or above which a pair below the match threshold is queued for review.
    #[arg(long, default_value_t = 0.7)]
    pub review_threshold: f64,
    /// Compare every pair instead of only pairs sharing a keyed blocking value.
    #[arg(long)]
    pub no_blocking: bool,
    /// Who runs it (recorded).
    #[arg(long, default_value = "cthub")]
    pub by: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The run (default: the newest).
    #[arg(long)]
    pub run: Option<i64>,
    /// Include pairs decided since the run.
    #[arg(long)]
    pub all: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct DecideArgs {
    /// accept or reject.
    pub decision: String,
    /// One record: ORGANISATION_ID:RECORD_REF (as in the review queue).
    pub a: String,
    /// The other record: ORGANISATION_ID:RECORD_REF.
    pub b: String,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, default_value = "cthub")]
    pub by: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Show this run's summary (default: list every run).
    #[arg(long)]
    pub run: Option<i64>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(c: LinkageCommand) -> anyhow::Result<u8> {
    match c {
        LinkageCommand::Submit(a) => submit(a),
        LinkageCommand::Run(a) => run_linkage(a),
        LinkageCommand::Review(a) => review(a),
        LinkageCommand::Decide(a) => decide(a),
        LinkageCommand::Runs(a) => runs(a),
    }
}

fn submit(a: SubmitArgs) -> anyhow::Result<u8> {
    let content =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let mut store = cthub_store::open(&a.store.database)?;
    let org = cthub_store::hub::organisations(store.as_mut())?
        .into_iter()
        .find(|o| o.name == a.organisation)
        .with_context(|| {
            format!(
                "no organisation named {:?} in the hub (create it with the admin API or dashboard)",
                a.organisation
            )
        })?;
    let set = hub_linkage::check_submission(store.as_mut(), org.id, &content)
        .with_context(|| format!("{} cannot be submitted", a.file.display()))?;
    let (sha, _) = cthub_ingest::pipeline::hash_file(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let file_name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let s = linkage::save_submission(
        store.as_mut(),
        NewSubmission {
            organisation_id: org.id,
            submitted_by: &a.by,
            file_name: &file_name,
            sha256: &sha,
            fingerprint: &set.fingerprint,
            records: set.len() as u64,
            content,
        },
    )?;
    if a.json {
        out::json(&s);
    } else {
        println!(
            "submission {}: {} encoded records of {} (schema fingerprint {})",
            s.id, s.records, s.organisation.name, s.fingerprint
        );
    }
    Ok(exit::OK)
}

fn run_linkage(a: RunArgs) -> anyhow::Result<u8> {
    let mut store = cthub_store::open(&a.store.database)?;
    let params = HubParams {
        match_threshold: a.match_threshold,
        review_threshold: a.review_threshold,
        use_blocking: !a.no_blocking,
    };
    let started = std::time::Instant::now();
    let (run, summary) = hub_linkage::run_linkage(store.as_mut(), params, &a.by)?;
    let secs = started.elapsed().as_secs_f64();
    if a.json {
        out::json(&serde_json::json!({"run": run, "seconds": secs}));
    } else {
        print_summary(run.id, &run.summary);
        println!(
            "  ({:.2} s; {} candidate pairs)",
            secs, summary.candidate_pairs
        );
    }
    Ok(exit::OK)
}

fn print_summary(id: i64, s: &serde_json::Value) {
    println!("linkage run {id}");
    if let Some(parties) = s["parties"].as_array() {
        println!(
            "  {:<28} {:>9} {:>9} {:>12}",
            "organisation", "records", "linked", "case records"
        );
        for p in parties {
            println!(
                "  {:<28} {:>9} {:>9} {:>12}",
                p["organisation"].as_str().unwrap_or(""),
                p["records"],
                p["linked_records"],
                p["case_records_matched"]
            );
        }
    }
    println!(
        "  persons {}; known to two or more organisations {}",
        s["persons"], s["persons_in_several"]
    );
    if let Some(shared) = s["shared"].as_array() {
        for x in shared {
            println!(
                "    {} & {}: {} persons",
                x["organisation_a"].as_str().unwrap_or(""),
                x["organisation_b"].as_str().unwrap_or(""),
                x["persons"]
            );
        }
    }
    println!(
        "  review queue {} pairs ({} conflicts); decisions applied: {} accepted, {} rejected",
        s["review_pairs"],
        s["review_conflicts"],
        s["decisions_accepted_applied"],
        s["decisions_rejected_applied"]
    );
}

fn pick_run(store: &mut dyn cthub_store::Store, id: Option<i64>) -> anyhow::Result<i64> {
    match linkage::run(store, id)? {
        Some(r) => Ok(r.id),
        None => match id {
            Some(id) => bail!("no linkage run {id}"),
            None => bail!("no linkage run yet: run `cthub linkage run` first"),
        },
    }
}

fn review(a: ReviewArgs) -> anyhow::Result<u8> {
    let mut store = cthub_store::open(&a.store.database)?;
    let run = pick_run(store.as_mut(), a.run)?;
    let q = linkage::review_queue(store.as_mut(), run, !a.all)?;
    if a.json {
        out::json(&serde_json::json!({"run": run, "pairs": q}));
    } else {
        println!("review queue of linkage run {run}: {} pairs", q.len());
        for r in &q {
            println!(
                "  {:.3} {:<9} {}:{} ({})  ~  {}:{} ({}){}",
                r.entry.similarity,
                r.entry.reason,
                r.entry.a.organisation_id,
                r.entry.a.record_ref,
                r.organisation_a,
                r.entry.b.organisation_id,
                r.entry.b.record_ref,
                r.organisation_b,
                r.decision
                    .as_ref()
                    .map(|d| format!("  [{d}]"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(exit::OK)
}

fn side(s: &str) -> anyhow::Result<LinkSide> {
    let Some((org, r)) = s.split_once(':') else {
        bail!("{s:?} is not ORGANISATION_ID:RECORD_REF");
    };
    let organisation_id = org
        .parse()
        .with_context(|| format!("{org:?} is not an organisation id"))?;
    if r.is_empty() {
        bail!("{s:?} has an empty record reference");
    }
    Ok(LinkSide {
        organisation_id,
        record_ref: r.to_string(),
    })
}

fn decide(a: DecideArgs) -> anyhow::Result<u8> {
    let (x, y) = (side(&a.a)?, side(&a.b)?);
    let mut store = cthub_store::open(&a.store.database)?;
    let d = linkage::decide(store.as_mut(), x, y, &a.decision, &a.by)?;
    if a.json {
        out::json(&d);
    } else {
        println!(
            "{}: {}:{} and {}:{} (applies from the next run)",
            d.decision, d.a.organisation_id, d.a.record_ref, d.b.organisation_id, d.b.record_ref
        );
    }
    Ok(exit::OK)
}

fn runs(a: RunsArgs) -> anyhow::Result<u8> {
    let mut store = cthub_store::open(&a.store.database)?;
    if let Some(id) = a.run {
        let Some(r) = linkage::run(store.as_mut(), Some(id))? else {
            bail!("no linkage run {id}");
        };
        if a.json {
            out::json(&r);
        } else {
            print_summary(r.id, &r.summary);
        }
        return Ok(exit::OK);
    }
    let list = linkage::runs(store.as_mut())?;
    if a.json {
        out::json(&list);
    } else {
        println!("{} linkage runs", list.len());
        for r in &list {
            println!(
                "  run {:>4}  {}  by {:<12} persons {:>8}  in several {:>6}  review {:>5}",
                r.id,
                r.created_at,
                r.created_by,
                r.summary["persons"],
                r.summary["persons_in_several"],
                r.summary["review_pairs"]
            );
        }
    }
    Ok(exit::OK)
}
