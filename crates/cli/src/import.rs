//! `cthub import` and `cthub validate`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use cthub_ingest::read::ReadOptions;
use cthub_ingest::{ImportIssue, ImportOptions, ImportSummary, ImportedRow, Prepared};
use cthub_store::{ContributionMeta, Store};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::{exit, out, SourceArgs, StoreArgs};

#[derive(Args)]
pub struct ImportArgs {
    /// Files to import (CSV, TSV, XLSX, ODS or Parquet).
    #[arg(required_unless_present = "list_fields")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Organisation contributing the data (recorded as provenance).
    #[arg(long, default_value = "unspecified organisation")]
    pub org: String,
    /// Who runs the import (default: $USER).
    #[arg(long, env = "USER", default_value = "unknown")]
    pub by: String,
    /// Mark the contribution as synthetic (demo or test data).
    #[arg(long)]
    pub synthetic: bool,
    /// Print the model's field paths usable in mapping files and exit.
    #[arg(long)]
    pub list_fields: bool,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ValidateArgs {
    /// Files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long)]
    pub json: bool,
}

pub fn import_options(s: &SourceArgs) -> ImportOptions {
    ImportOptions {
        format: s.format.clone(),
        mapping: s.mapping.clone(),
        kind: None,
        read: ReadOptions {
            sheet: s.sheet.clone(),
            header_row: s.header_row,
            delimiter: s.delimiter.as_deref().and_then(|d| match d {
                "\\t" | "tab" | "TAB" => Some(b'\t'),
                d => d.bytes().next(),
            }),
            encoding: s.encoding.clone(),
        },
    }
}

/// Result of one file, as printed with --json.
#[derive(Serialize)]
pub struct FileOutcome {
    pub file: String,
    pub status: &'static str,
    pub contribution_id: Option<i64>,
    pub format: Option<String>,
    pub sha256: Option<String>,
    pub summary: Option<ImportSummary>,
    pub first_issues: Vec<ImportIssue>,
    pub error: Option<String>,
    pub seconds: f64,
    pub rows_per_second: Option<f64>,
}

impl FileOutcome {
    /// A file that could not be processed at all.
    fn failed(file: &Path, error: String) -> FileOutcome {
        FileOutcome {
            file: file.display().to_string(),
            status: "error",
            contribution_id: None,
            format: None,
            sha256: None,
            summary: None,
            first_issues: Vec::new(),
            error: Some(error),
            seconds: 0.0,
            rows_per_second: None,
        }
    }
}

/// Keeps the first issues for the summary and writes every issue to the report.
fn note_issue(
    i: &ImportIssue,
    first: &mut Vec<ImportIssue>,
    report: &mut Option<ReportWriter>,
) -> anyhow::Result<()> {
    if first.len() < 20 {
        first.push(i.clone());
    }
    if let Some(r) = report.as_mut() {
        r.write(i)?;
    }
    Ok(())
}

fn progress(p: &Prepared, file: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let (len, template) = match (p.rows_hint(), p.bytes_read()) {
        (Some(n), _) => (
            n,
            "{prefix} [{bar:30}] {pos}/{len} rows {per_sec} eta {eta}",
        ),
        (None, Some(_)) => (
            p.info.bytes,
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ),
        (None, None) => (0, "{prefix} {spinner} {pos} rows"),
    };
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_prefix(file.to_string());
    pb
}

/// Issues report writer: CSV or JSON lines, by extension.
pub struct ReportWriter {
    csv: Option<csv::Writer<std::fs::File>>,
    jsonl: Option<std::io::BufWriter<std::fs::File>>,
}

impl ReportWriter {
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let f = std::fs::File::create(path)
            .with_context(|| format!("cannot create report {}", path.display()))?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            let mut w = csv::Writer::from_writer(f);
            w.write_record(["file", "row", "column", "value", "rule", "severity", "hint"])?;
            Ok(ReportWriter {
                csv: Some(w),
                jsonl: None,
            })
        } else {
            Ok(ReportWriter {
                csv: None,
                jsonl: Some(std::io::BufWriter::new(f)),
            })
        }
    }
    pub fn write(&mut self, i: &ImportIssue) -> anyhow::Result<()> {
        if let Some(w) = &mut self.csv {
            let sev = format!("{:?}", i.severity).to_lowercase();
            w.write_record([
                &i.file,
                &i.row.to_string(),
                &i.column,
                &i.value,
                &i.rule,
                &sev,
                &i.hint,
            ])?;
        }
        if let Some(w) = &mut self.jsonl {
            serde_json::to_writer(&mut *w, i)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    }
    pub fn finish(self) -> anyhow::Result<()> {
        if let Some(mut w) = self.csv {
            w.flush()?;
        }
        if let Some(mut w) = self.jsonl {
            w.flush()?;
        }
        Ok(())
    }
}

const BATCH: usize = 2048;

/// Import one file in one transaction: rows are parsed and validated on a worker thread while
/// this thread writes them to the store.
/// Who contributes a file, recorded as provenance.
pub struct Provenance<'a> {
    pub org: &'a str,
    pub by: &'a str,
    pub synthetic: bool,
}

pub fn import_one(
    store: &mut dyn Store,
    path: &Path,
    opts: &ImportOptions,
    who: &Provenance,
    report: &mut Option<ReportWriter>,
    quiet: bool,
) -> anyhow::Result<FileOutcome> {
    let started = Instant::now();
    let file = path.display().to_string();
    // `prepare` hashes the file once; the hash decides whether it is already in the store.
    let mut prepared = cthub_ingest::prepare(path, opts)?;
    let sha = prepared.info.sha256.clone();
    if let Some(c) = store.contribution_by_hash(&sha)? {
        return Ok(FileOutcome {
            file,
            status: "already-imported",
            contribution_id: Some(c.id),
            format: Some(c.format),
            sha256: Some(sha),
            summary: None,
            first_issues: Vec::new(),
            error: None,
            seconds: started.elapsed().as_secs_f64(),
            rows_per_second: None,
        });
    }
    let meta = ContributionMeta {
        organisation: who.org.to_string(),
        imported_by: who.by.to_string(),
        source: prepared.info.clone(),
        synthetic: who.synthetic,
    };
    let format = prepared.info.format.clone();
    let pb = progress(&prepared, &prepared.info.file_name.clone(), quiet);
    let mut first_issues = Vec::new();
    let mut tx = store.begin_import(&meta)?;
    let (sender, receiver) = crossbeam_channel::bounded::<Vec<ImportedRow>>(8);
    let summary = std::thread::scope(|scope| -> anyhow::Result<ImportSummary> {
        let worker = std::thread::Builder::new()
            .name("cthub-parse".into())
            .spawn_scoped(
                scope,
                move || -> Result<(Prepared, u64), cthub_ingest::IngestError> {
                    let mut batch = Vec::with_capacity(BATCH);
                    let mut n = 0u64;
                    while let Some(row) = prepared.next_row()? {
                        batch.push(row);
                        n += 1;
                        if batch.len() == BATCH {
                            let b = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                            if sender.send(b).is_err() {
                                break;
                            }
                        }
                    }
                    if !batch.is_empty() {
                        let _ = sender.send(batch);
                    }
                    Ok((prepared, n))
                },
            )?;
        let mut written = 0u64;
        for batch in receiver.iter() {
            for row in &batch {
                tx.add(row)?;
                for i in &row.issues {
                    note_issue(i, &mut first_issues, report)?;
                }
            }
            written += batch.len() as u64;
            pb.set_position(written);
        }
        let (prepared, _) = worker
            .join()
            .map_err(|_| anyhow::anyhow!("the parsing thread panicked"))??;
        Ok(prepared.into_summary())
    })?;
    pb.finish_and_clear();
    let contribution = tx.commit(&summary)?;
    let secs = started.elapsed().as_secs_f64();
    Ok(FileOutcome {
        file,
        status: if summary.rows_quarantined > 0 {
            "imported-with-quarantine"
        } else {
            "imported"
        },
        contribution_id: Some(contribution.id),
        format: Some(format),
        sha256: Some(sha),
        rows_per_second: Some(summary.rows_read as f64 / secs.max(1e-9)),
        summary: Some(summary),
        first_issues,
        error: None,
        seconds: secs,
    })
}

pub fn print_outcome(o: &FileOutcome) {
    match o.status {
        "already-imported" => println!(
            "{}: already imported as contribution {} (same SHA-256 {}); nothing to do",
            o.file,
            o.contribution_id.unwrap_or_default(),
            o.sha256.as_deref().unwrap_or("")
        ),
        "error" => println!("{}: {}", o.file, o.error.as_deref().unwrap_or("error")),
        _ => {
            let s = o.summary.as_ref().expect("summary for processed files");
            let verb = if o.contribution_id.is_some() {
                "imported"
            } else {
                "checked"
            };
            println!(
                "{}: {verb} as {} — {} rows read, {} accepted, {} quarantined, {} rejected values, {} warnings ({:.1}s, {:.0} rows/s){}",
                o.file,
                o.format.as_deref().unwrap_or("?"),
                s.rows_read,
                s.rows_accepted,
                s.rows_quarantined,
                s.issues,
                s.warnings,
                o.seconds,
                o.rows_per_second.unwrap_or(0.0),
                o.contribution_id.map(|c| format!(", contribution {c}")).unwrap_or_default()
            );
            if !s.by_rule.is_empty() {
                let rules: Vec<String> =
                    s.by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
                println!("  by rule: {}", rules.join(", "));
            }
            if !s.withheld_columns.is_empty() {
                println!(
                    "  direct identifiers withheld (never stored): {}",
                    s.withheld_columns.join(", ")
                );
            }
            if !s.unmapped_columns.is_empty() {
                println!(
                    "  columns kept verbatim (no field): {}",
                    s.unmapped_columns.join(", ")
                );
            }
            if s.label_rows_skipped > 0 {
                println!("  label rows skipped: {}", s.label_rows_skipped);
            }
            for i in o.first_issues.iter().take(10) {
                println!(
                    "  row {} column {:?} value {:?}: {} ({})",
                    i.row, i.column, i.value, i.rule, i.hint
                );
            }
            if o.first_issues.len() > 10 || s.issues + s.warnings > 10 {
                println!("  … see --report FILE for every issue");
            }
        }
    }
}

pub fn run_import(a: ImportArgs) -> anyhow::Result<u8> {
    if a.list_fields {
        for p in cthub_standard::Target::all_paths() {
            println!("{p}");
        }
        return Ok(exit::OK);
    }
    let mut store = cthub_store::open(&a.store.database)?;
    let opts = import_options(&a.source);
    let mut report = a
        .source
        .report
        .as_deref()
        .map(ReportWriter::create)
        .transpose()?;
    let mut outcomes = Vec::new();
    let mut code = exit::OK;
    for f in &a.files {
        match import_one(
            store.as_mut(),
            f,
            &opts,
            &Provenance {
                org: &a.org,
                by: &a.by,
                synthetic: a.synthetic,
            },
            &mut report,
            a.json,
        ) {
            Ok(o) => {
                if o.summary.as_ref().is_some_and(|s| s.rows_quarantined > 0) {
                    code = code.max(exit::REJECTED_ROWS);
                }
                if !a.json {
                    print_outcome(&o);
                }
                outcomes.push(o);
            }
            Err(e) => {
                code = exit::ERROR;
                let msg = format!("{e:#}");
                if !a.json {
                    eprintln!("error: {msg}");
                }
                outcomes.push(FileOutcome::failed(f, msg));
            }
        }
    }
    if let Some(r) = report {
        r.finish()?;
    }
    if a.json {
        out::json(&outcomes);
    }
    Ok(code)
}

pub fn run_validate(a: ValidateArgs) -> anyhow::Result<u8> {
    let opts = import_options(&a.source);
    let mut report = a
        .source
        .report
        .as_deref()
        .map(ReportWriter::create)
        .transpose()?;
    let mut outcomes = Vec::new();
    let mut code = exit::OK;
    for f in &a.files {
        let started = Instant::now();
        let res = (|| -> anyhow::Result<FileOutcome> {
            let mut p = cthub_ingest::prepare(f, &opts)?;
            let mut first = Vec::new();
            while let Some(row) = p.next_row()? {
                for i in &row.issues {
                    note_issue(i, &mut first, &mut report)?;
                }
            }
            let format = p.info.format.clone();
            let sha = p.info.sha256.clone();
            let s = p.into_summary();
            let secs = started.elapsed().as_secs_f64();
            Ok(FileOutcome {
                file: f.display().to_string(),
                status: if s.rows_quarantined > 0 {
                    "rejected-rows"
                } else {
                    "valid"
                },
                contribution_id: None,
                format: Some(format),
                sha256: Some(sha),
                rows_per_second: Some(s.rows_read as f64 / secs.max(1e-9)),
                summary: Some(s),
                first_issues: first,
                error: None,
                seconds: secs,
            })
        })();
        let o = res.unwrap_or_else(|e| {
            code = exit::ERROR;
            FileOutcome::failed(f, format!("{e:#}"))
        });
        if o.summary.as_ref().is_some_and(|s| s.rows_quarantined > 0) {
            code = code.max(exit::REJECTED_ROWS);
        }
        if !a.json {
            if o.status == "error" {
                eprintln!("error: {}", o.error.as_deref().unwrap_or(""));
            } else {
                print_outcome(&o);
            }
        }
        outcomes.push(o);
    }
    if let Some(r) = report {
        r.finish()?;
    }
    if a.json {
        out::json(&outcomes);
    }
    Ok(code)
}
