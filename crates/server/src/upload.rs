//! The contribution flow: an uploaded file goes through the same reader and validation as
//! `cthub import` (`cthub_ingest::prepare`), the contributor reads the report, then commits
//! (the staged rows are imported into the store in one transaction) or discards it.
//!
//! The raw file never enters the database: what waits for the decision is the *validated rows*
//! (direct identifiers already withheld by the importer, as in a contribution), compressed.
//! Names, phones, e-mails and addresses of an HTCDS file are dropped while the upload is read.

use std::io::Write;

use cthub_ingest::{ImportIssue, ImportOptions, ImportSummary, ImportedRow, SourceInfo};
use cthub_store::{ContributionMeta, Store};

/// Issues kept in the stored report (the CSV download has all of them up to this bound).
pub const MAX_STORED_ISSUES: usize = 100_000;
/// Issues shown in the JSON answer.
pub const ISSUES_SHOWN: usize = 500;

fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("upload");
    let s: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.trim_matches('.').is_empty() {
        "upload.csv".into()
    } else {
        s
    }
}

/// Writes the content to a private temporary file that keeps the original extension (the
/// reader picks the format by it).
fn temp_file(
    name: &str,
    content: &[u8],
) -> anyhow::Result<(tempfile::TempDir, std::path::PathBuf)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(safe_name(name));
    let mut f = std::fs::File::create(&path)?;
    f.write_all(content)?;
    f.sync_all()?;
    Ok((dir, path))
}

/// Marks a staged upload (validated rows), as opposed to an upload stored before staging existed
/// (the raw file).
const STAGED_MAGIC: &[u8] = b"cthub-staged-rows-v1\n";

/// One line of a staged upload: the source's provenance first, then every row, then the
/// summary.
#[derive(serde::Serialize, serde::Deserialize)]
enum Staged {
    Source(SourceInfo),
    Row(Box<ImportedRow>),
    Summary(ImportSummary),
}

/// A validated upload: the file's SHA-256, the report the contributor reads, and the staged rows
/// the commit imports (identifiers withheld; see the module's documentation).
pub struct Validated {
    pub sha256: String,
    pub report: serde_json::Value,
    pub staged: Vec<u8>,
}

/// Validates a file as `cthub validate` does (the report holds the summary and the issues) and
/// stages its validated rows.
pub fn validate(name: &str, content: &[u8]) -> anyhow::Result<Validated> {
    let (_dir, path) = temp_file(name, content)?;
    let mut p = cthub_ingest::prepare(&path, &ImportOptions::default())
        .map_err(|e| anyhow::anyhow!(crate::upload::Rejected(e.to_string())))?;
    let sha = p.info.sha256.clone();
    let format = p.info.format.clone();
    let mut staged = STAGED_MAGIC.to_vec();
    let mut z = zstd::Encoder::new(&mut staged, 3)?;
    let line = |z: &mut zstd::Encoder<'_, &mut Vec<u8>>, v: &Staged| -> anyhow::Result<()> {
        serde_json::to_writer(&mut *z, v)?;
        z.write_all(b"\n")?;
        Ok(())
    };
    line(&mut z, &Staged::Source(p.info.clone()))?;
    let mut issues: Vec<ImportIssue> = Vec::new();
    let mut total = 0u64;
    while let Some(row) = p
        .next_row()
        .map_err(|e| anyhow::anyhow!(Rejected(e.to_string())))?
    {
        for i in &row.issues {
            total += 1;
            if issues.len() < MAX_STORED_ISSUES {
                issues.push(i.clone());
            }
        }
        line(&mut z, &Staged::Row(Box::new(row)))?;
    }
    let s = p.into_summary();
    line(&mut z, &Staged::Summary(s.clone()))?;
    z.finish()?;
    let report = serde_json::json!({
        "format": format,
        "summary": {
            "rows": s.rows_read, "accepted": s.rows_accepted, "quarantined": s.rows_quarantined,
            "errors": s.issues, "warnings": s.warnings,
            "by_rule": s.by_rule, "by_column": s.by_column,
            "unmapped_columns": s.unmapped_columns, "withheld_columns": s.withheld_columns,
        },
        "issues_total": total,
        "issues": issues.iter().map(issue_json).collect::<Vec<_>>(),
    });
    Ok(Validated {
        sha256: sha,
        report,
        staged,
    })
}

fn issue_json(i: &ImportIssue) -> serde_json::Value {
    serde_json::json!({
        "row": i.row, "column": i.column, "value": i.value, "rule": i.rule,
        "severity": i.severity, "message": i.hint,
    })
}

/// A file the reader cannot read at all (wrong format, broken encoding): a 400, not a 500.
#[derive(Debug)]
pub struct Rejected(pub String);
impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the file cannot be read: {}", self.0)
    }
}
impl std::error::Error for Rejected {}

/// Imports a file into the store (one transaction), through the same validation and staging as
/// an upload; returns the contribution id.
pub fn commit(
    store: &mut dyn Store,
    name: &str,
    content: &[u8],
    organisation: &str,
    by: &str,
) -> anyhow::Result<i64> {
    let v = validate(name, content)?;
    import_staged(store, &v.staged, organisation, by, None)
}

/// Imports a staged upload's rows and marks the upload committed in the same transaction: a
/// concurrent commit or discard of the same upload makes one of the two fail with a conflict
/// and leaves no contribution behind. An upload stored before staging existed holds its raw
/// file, which is validated again first.
pub fn commit_upload(
    store: &mut dyn Store,
    upload: &cthub_store::hub::Upload,
    content: &[u8],
    by: &str,
) -> anyhow::Result<i64> {
    let restaged;
    let staged = if content.starts_with(STAGED_MAGIC) {
        content
    } else {
        restaged = validate(&upload.file_name, content)?.staged;
        &restaged
    };
    import_staged(
        store,
        staged,
        &upload.organisation.name,
        by,
        Some(upload.id),
    )
}

/// Imports staged rows as one contribution of `organisation`; with `upload`, marks that upload
/// committed in the import's transaction.
fn import_staged(
    store: &mut dyn Store,
    staged: &[u8],
    organisation: &str,
    by: &str,
    upload: Option<i64>,
) -> anyhow::Result<i64> {
    let body = staged
        .strip_prefix(STAGED_MAGIC)
        .ok_or_else(|| anyhow::anyhow!("not staged rows"))?;
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(zstd::Decoder::new(body)?));
    let mut next = || -> anyhow::Result<Staged> {
        let l = lines
            .next()
            .ok_or_else(|| anyhow::anyhow!("the staged rows end early"))??;
        Ok(serde_json::from_str(&l)?)
    };
    let Staged::Source(info) = next()? else {
        anyhow::bail!("the staged rows lack their source");
    };
    if let Some(c) = store.contribution_by_hash(&info.sha256)? {
        anyhow::bail!(cthub_store::StoreError::AlreadyImported {
            contribution_id: c.id,
            file: c.file_name,
        });
    }
    let meta = ContributionMeta {
        organisation: organisation.to_string(),
        imported_by: by.to_string(),
        source: info,
        synthetic: false,
    };
    let mut tx = store.begin_import(&meta)?;
    loop {
        match next()? {
            Staged::Row(row) => tx.add(&row)?,
            Staged::Summary(summary) => {
                let c = match upload {
                    Some(id) => tx.commit_upload(&summary, id, by)?,
                    None => tx.commit(&summary)?,
                };
                return Ok(c.id);
            }
            Staged::Source(_) => anyhow::bail!("the staged rows hold a second source"),
        }
    }
}

/// The report's issues as CSV.
pub fn report_csv(report: &serde_json::Value) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["row", "column", "value", "rule", "severity", "message"])?;
    for i in report["issues"].as_array().into_iter().flatten() {
        let s = |k: &str| match &i[k] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            v => v.to_string(),
        };
        w.write_record([
            s("row"),
            s("column"),
            s("value"),
            s("rule"),
            s("severity"),
            s("message"),
        ])?;
    }
    Ok(w.into_inner()?)
}
