//! `cthub detect …`: ingest ads and job posts, extract entities, cluster templated ads, generate
//! planted corpora and score clusterings. The work is done by `cthub-detect`; this module parses
//! arguments, reads and writes files, and prints.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use cthub_detect::cluster::{ClusterParams, TemplateIndex};
use cthub_detect::corpus::{self, CorpusKind, CorpusSpec};
use cthub_detect::entities::{parse_region, KeyedHasher, RegionId};
use cthub_detect::ingest::{self, Ad, IngestOptions, Layout};
use cthub_detect::minhash::MinHashParams;
use cthub_detect::score;
use cthub_detect::template;
use serde::{Deserialize, Serialize};

use crate::{exit, out};

#[derive(Subcommand)]
pub enum DetectCommand {
    /// Read ads or job posts (CSV or JSON Lines; generic ads or EMSCAD layout), check every row,
    /// extract entities, merge exact reposts; exit 3 if rows were quarantined.
    Ingest(IngestArgs),
    /// Entities per ad (phones in E.164, e-mails, URLs, handles, crypto, prices, …) and counts by kind.
    Entities(EntitiesArgs),
    /// Cluster near-duplicate (templated) ads: MinHash-LSH on slot-normalised shingles, verified,
    /// each cluster explained as a template with its slots.
    Cluster(ClusterArgs),
    /// Generate a corpus with planted near-duplicate clusters (true label in each line).
    Corpus(CorpusArgs),
    /// Score a clustering against true labels: adjusted Rand index, pairwise precision/recall.
    Score(ScoreArgs),
    /// Screen ads with weighted indicators (reasons listed); with --label, measure each
    /// indicator's precision against that column.
    Screen(ScreenArgs),
}

#[derive(Args)]
pub struct ScreenArgs {
    /// An ads file (CSV/JSON Lines) or the output of `cthub detect ingest`.
    pub file: PathBuf,
    #[arg(long, default_value = "auto")]
    pub layout: Layout,
    #[command(flatten)]
    pub entity: EntityOptions,
    /// Indicators (JSON list of {name, description, weight, kind: text|entity, pattern | entity,
    /// platform}); default: the built-in labour-exploitation and job-scam set.
    #[arg(long)]
    pub indicators: Option<PathBuf>,
    /// A 0/1 column (e.g. EMSCAD's `fraudulent`) to measure each indicator against. Only ads
    /// with a non-empty text are measured (EMSCAD's legitimate rows often have none, which would
    /// leak the label).
    #[arg(long)]
    pub label: Option<String>,
    /// Prevalence to which precision is re-weighted (EMSCAD: 866 of 17,880).
    #[arg(long, default_value_t = 0.0484)]
    pub prevalence: f64,
    /// Write one JSON line per ad: id, score, reasons.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Highest-scoring ads listed.
    #[arg(long, default_value_t = 10)]
    pub show: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct EntityOptions {
    /// Default region for phone numbers written without a country code (ISO 3166 alpha-2, e.g. US, GB).
    /// Without it only international numbers (+…, 00…) are read.
    #[arg(long)]
    pub region: Option<String>,
    /// File holding a key (at least 16 bytes): identifying entities are stored as HMAC-SHA256
    /// hashes under it, contact fields are dropped and identifying text is masked.
    #[arg(long, env = "CTHUB_DETECT_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

impl EntityOptions {
    fn region(&self) -> anyhow::Result<Option<RegionId>> {
        self.region
            .as_deref()
            .map(parse_region)
            .transpose()
            .map_err(anyhow::Error::msg)
    }

    fn key(&self) -> anyhow::Result<Option<KeyedHasher>> {
        let Some(p) = &self.key_file else {
            return Ok(None);
        };
        let key = std::fs::read(p)
            .with_context(|| format!("cannot read the key file {}", p.display()))?;
        KeyedHasher::new(key.trim_ascii())
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }
}

#[derive(Args)]
pub struct IngestArgs {
    /// CSV or JSON Lines files (.jsonl, .ndjson, .json).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Column layout: auto (EMSCAD when the header has job_id, description, fraudulent), emscad, ads.
    #[arg(long, default_value = "auto")]
    pub layout: Layout,
    #[command(flatten)]
    pub entity: EntityOptions,
    /// Write the distinct ads (with versions and entities) as JSON Lines.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Write quarantined rows (raw cells and issues) as JSON Lines (default: <out>.quarantine.jsonl).
    #[arg(long)]
    pub quarantine: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct EntitiesArgs {
    /// An ads file (CSV/JSON Lines) or the output of `cthub detect ingest`.
    pub file: PathBuf,
    #[arg(long, default_value = "auto")]
    pub layout: Layout,
    #[command(flatten)]
    pub entity: EntityOptions,
    /// Write one JSON line per ad: id and entities.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Ads listed in the human summary.
    #[arg(long, default_value_t = 10)]
    pub show: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ClusterArgs {
    /// Documents: CSV or JSON Lines with an id column and a text column (ads, a corpus, or the
    /// output of `cthub detect ingest`).
    pub file: PathBuf,
    /// Jaccard similarity of slot-normalised shingle sets at or above which two ads are near duplicates.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Smallest cluster listed with a template.
    #[arg(long, default_value_t = 2)]
    pub min_size: usize,
    /// Words per shingle (1: slot-normalised token sets, robust to inserted/deleted words).
    #[arg(long, default_value_t = 1)]
    pub shingle: usize,
    /// MinHash permutations.
    #[arg(long, default_value_t = 256)]
    pub num_perm: usize,
    /// Documents with fewer distinct shingles than this join only documents with the same
    /// shingle set (short texts chain at a Jaccard threshold).
    #[arg(long, default_value_t = 8)]
    pub min_shingles: usize,
    /// Members aligned per cluster for its template.
    #[arg(long, default_value_t = 50)]
    pub align: usize,
    /// Threads for signatures (default: available cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// An index file: loaded if it exists (the new documents join or merge its clusters), then
    /// saved with the new documents.
    #[arg(long)]
    pub index: Option<PathBuf>,
    /// Write clusters (templates, slots, members) and every document's cluster as JSON.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Clusters listed in the human summary.
    #[arg(long, default_value_t = 5)]
    pub show: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct CorpusArgs {
    /// slots (EMSCAD bases, slot edits), edits (EMSCAD bases, slot and word edits) or synthetic
    /// (invented vocabulary, slot and word edits; no reference data needed).
    #[arg(long)]
    pub kind: CorpusKind,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output: .jsonl (id, label, text) or .csv.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Planted clusters.
    #[arg(long, default_value_t = 300)]
    pub clusters: usize,
    /// Texts used once (noise).
    #[arg(long, default_value_t = 300)]
    pub singletons: usize,
    #[arg(long, default_value_t = 2)]
    pub min_copies: usize,
    #[arg(long, default_value_t = 10)]
    pub max_copies: usize,
    /// Folder with the EMSCAD CSV files (read at run time, never copied).
    #[arg(
        long,
        env = "CTHUB_EMSCAD_DIR",
        default_value = "../shared/data/emscad-partial"
    )]
    pub emscad: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ScoreArgs {
    /// True labels: CSV or JSON Lines with `id` and `label` (a corpus file).
    #[arg(long)]
    pub truth: PathBuf,
    /// Predicted clusters: the JSON written by `cthub detect cluster --out`, or CSV/JSON Lines
    /// with `id` and `cluster`. Documents absent from it count as singletons.
    #[arg(long)]
    pub clusters: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn run(c: DetectCommand) -> anyhow::Result<u8> {
    match c {
        DetectCommand::Ingest(a) => run_ingest(a),
        DetectCommand::Entities(a) => run_entities(a),
        DetectCommand::Cluster(a) => run_cluster(a),
        DetectCommand::Corpus(a) => run_corpus(a),
        DetectCommand::Score(a) => run_score(a),
        DetectCommand::Screen(a) => run_screen(a),
    }
}

fn write_jsonl<T: Serialize>(
    path: &Path,
    items: impl IntoIterator<Item = T>,
) -> anyhow::Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    for x in items {
        serde_json::to_writer(&mut w, &x)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

fn counts_by_kind<'a>(ads: impl IntoIterator<Item = &'a Ad>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for ad in ads {
        for e in &ad.entities {
            *m.entry(e.kind.name().to_string()).or_default() += 1;
        }
    }
    m
}

fn run_ingest(a: IngestArgs) -> anyhow::Result<u8> {
    let opts = IngestOptions {
        layout: a.layout,
        region: a.entity.region()?,
        key: a.entity.key()?,
    };
    let paths: Vec<&Path> = a.files.iter().map(PathBuf::as_path).collect();
    let started = std::time::Instant::now();
    let r = ingest::ingest(&paths, &opts)?;
    let seconds = started.elapsed().as_secs_f64();
    let versions: usize = r.ads.iter().map(|x| x.versions.len()).sum();
    let quarantine_path = a.quarantine.clone().or_else(|| {
        a.out.as_ref().map(|o| {
            let mut s = o.as_os_str().to_owned();
            s.push(".quarantine.jsonl");
            PathBuf::from(s)
        })
    });
    if let Some(o) = &a.out {
        write_jsonl(o, &r.ads)?;
    }
    if let Some(q) = &quarantine_path {
        if !r.quarantined.is_empty() {
            write_jsonl(q, &r.quarantined)?;
        }
    }
    let issues: Vec<&ingest::Issue> = r.quarantined.iter().flat_map(|q| &q.issues).collect();
    let summary = serde_json::json!({
        "files": r.layouts.iter().map(|(f, l)| serde_json::json!({"file": f, "layout": l})).collect::<Vec<_>>(),
        "rows": r.rows, "ads": r.ads.len(), "versions": versions, "duplicates": r.duplicates,
        "quarantined": r.quarantined.len(), "warnings": r.warnings.len(),
        "entities": counts_by_kind(&r.ads), "keyed": opts.key.is_some(),
        "issues": issues.iter().take(100).collect::<Vec<_>>(),
        "warning_list": r.warnings.iter().take(100).collect::<Vec<_>>(),
        "out": a.out, "quarantine": quarantine_path.filter(|_| !r.quarantined.is_empty()),
        "seconds": seconds,
    });
    if a.json {
        out::json(&summary);
    } else {
        println!(
            "{} rows read: {} distinct ads ({} versions, {} exact reposts merged), {} rows quarantined, {} warnings",
            r.rows,
            r.ads.len(),
            versions,
            r.duplicates,
            r.quarantined.len(),
            r.warnings.len()
        );
        for (k, n) in counts_by_kind(&r.ads) {
            println!("  {k:<14} {n:>8}");
        }
        for i in issues.iter().take(20) {
            eprintln!("error: {i}");
        }
        if issues.len() > 20 {
            eprintln!("… {} more errors", issues.len() - 20);
        }
        for w in r.warnings.iter().take(10) {
            eprintln!("warning: {w}");
        }
    }
    Ok(if r.quarantined.is_empty() {
        exit::OK
    } else {
        exit::REJECTED_ROWS
    })
}

fn read_ingested(path: &Path) -> anyhow::Result<Option<Vec<Ad>>> {
    let first =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let Some(line) = first.lines().find(|l| !l.trim().is_empty()) else {
        return Ok(None);
    };
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(v) if v.get("fingerprint").is_some() && v.get("versions").is_some() => {}
        _ => return Ok(None),
    }
    let mut ads = Vec::new();
    for (i, l) in first
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        ads.push(
            serde_json::from_str::<Ad>(l).with_context(|| {
                format!("{}: line {}: not an ingested ad", path.display(), i + 1)
            })?,
        );
    }
    Ok(Some(ads))
}

/// Ads of an ingested file, or of a raw file ingested now (with the number of quarantined rows).
fn load_ads(
    file: &Path,
    layout: Layout,
    entity: &EntityOptions,
) -> anyhow::Result<(Vec<Ad>, usize)> {
    Ok(match read_ingested(file)? {
        Some(ads) => (ads, 0),
        None => {
            let opts = IngestOptions {
                layout,
                region: entity.region()?,
                key: entity.key()?,
            };
            let r = ingest::ingest(&[file], &opts)?;
            (r.ads, r.quarantined.len())
        }
    })
}

fn run_screen(a: ScreenArgs) -> anyhow::Result<u8> {
    use cthub_detect::screen::{default_indicators, evaluate, Screener};
    if !(a.prevalence > 0.0 && a.prevalence < 1.0) {
        bail!("--prevalence must be in (0, 1), got {}", a.prevalence);
    }
    let screener = match &a.indicators {
        Some(p) => Screener::from_json(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        )
        .with_context(|| format!("{}: invalid indicators", p.display()))?,
        None => Screener::new(default_indicators())?,
    };
    let (ads, quarantined) = load_ads(&a.file, a.layout, &a.entity)?;
    let mut results: Vec<_> = ads.iter().map(|ad| screener.screen(ad)).collect();
    if let Some(o) = &a.out {
        write_jsonl(o, &results)?;
    }
    let quality = match &a.label {
        None => None,
        Some(col) => {
            let mut sel = Vec::new();
            let mut labels = Vec::new();
            for ad in ads.iter().filter(|ad| !ad.text.trim().is_empty()) {
                match ad.extra.get(col).map(|v| v.trim()) {
                    Some("1") | Some("true") => labels.push(true),
                    Some("0") | Some("false") => labels.push(false),
                    _ => continue,
                }
                sel.push(ad);
            }
            if sel.is_empty() {
                bail!("no ad with a text has a 0/1 value in column `{col}`");
            }
            let positives = labels.iter().filter(|&&y| y).count();
            Some((
                evaluate(&screener, &sel, &labels, a.prevalence),
                sel.len(),
                positives,
            ))
        }
    };
    results.sort_by(|x, y| y.score.total_cmp(&x.score));
    let flagged = results.iter().filter(|r| r.score > 0.0).count();
    if a.json {
        out::json(&serde_json::json!({
            "ads": ads.len(), "quarantined": quarantined, "flagged": flagged,
            "top": results.iter().take(a.show).collect::<Vec<_>>(),
            "evaluation": quality.as_ref().map(|(q, n, p)| serde_json::json!({
                "label": a.label, "ads": n, "positives": p, "prevalence": a.prevalence, "indicators": q,
            })),
        }));
    } else {
        println!(
            "{} ads screened, {flagged} with a positive score",
            ads.len()
        );
        for r in results.iter().take(a.show) {
            println!("  {:>6.2}  {}  {}", r.score, r.id, r.reasons.join(", "));
        }
        if let Some((q, n, p)) = &quality {
            println!(
                "\nindicators against `{}` on {n} ads with text ({p} positive); precision re-weighted to prevalence {}:",
                a.label.as_deref().unwrap_or(""),
                a.prevalence
            );
            println!(
                "  {:<28} {:>6} {:>9} {:>7} {:>7} {:>12}",
                "indicator", "fired", "precision", "recall", "LR+", "P@prevalence"
            );
            for x in q {
                let lr = match (x.likelihood_ratio, x.true_positives) {
                    (Some(v), _) => format!("{v:.2}"),
                    (None, 0) => "-".to_string(),
                    (None, _) => "inf".to_string(),
                };
                println!(
                    "  {:<28} {:>6} {:>9.3} {:>7.3} {:>7} {:>12.3}",
                    x.name, x.fired, x.precision, x.recall, lr, x.precision_at_prevalence
                );
            }
        }
    }
    Ok(if quarantined == 0 {
        exit::OK
    } else {
        exit::REJECTED_ROWS
    })
}

fn run_entities(a: EntitiesArgs) -> anyhow::Result<u8> {
    let (ads, quarantined) = load_ads(&a.file, a.layout, &a.entity)?;
    #[derive(Serialize)]
    struct PerAd<'a> {
        id: &'a str,
        entities: &'a [cthub_detect::entities::Entity],
    }
    let per_ad: Vec<PerAd> = ads
        .iter()
        .map(|ad| PerAd {
            id: &ad.id,
            entities: &ad.entities,
        })
        .collect();
    if let Some(o) = &a.out {
        write_jsonl(o, &per_ad)?;
    }
    let counts = counts_by_kind(&ads);
    if a.json {
        out::json(&serde_json::json!({
            "ads": ads.len(), "quarantined": quarantined, "counts": counts, "per_ad": per_ad,
        }));
    } else {
        println!("{} ads; entities by kind:", ads.len());
        for (k, n) in &counts {
            println!("  {k:<14} {n:>8}");
        }
        for p in per_ad
            .iter()
            .filter(|p| !p.entities.is_empty())
            .take(a.show)
        {
            let list: Vec<String> = p
                .entities
                .iter()
                .map(|e| match &e.platform {
                    Some(pl) => format!("{}({pl})={}", e.kind.name(), e.value),
                    None => format!("{}={}", e.kind.name(), e.value),
                })
                .collect();
            println!("  {}: {}", p.id, list.join(", "));
        }
        if quarantined > 0 {
            eprintln!(
                "{quarantined} rows were quarantined; run `cthub detect ingest` for the issues"
            );
        }
    }
    Ok(if quarantined == 0 {
        exit::OK
    } else {
        exit::REJECTED_ROWS
    })
}

/// A saved clustering index with the ids and texts of its documents.
#[derive(Serialize, Deserialize)]
struct IndexFile {
    ids: Vec<String>,
    texts: Vec<String>,
    index: TemplateIndex,
}

#[derive(Serialize)]
struct ClusterOut {
    cluster: usize,
    size: usize,
    template: String,
    explained: String,
    slots: Vec<template::Slot>,
    medoid: String,
    cohesion: f64,
    members: Vec<String>,
}

fn run_cluster(a: ClusterArgs) -> anyhow::Result<u8> {
    if !(a.threshold > 0.0 && a.threshold <= 1.0) {
        bail!("--threshold must be in (0, 1], got {}", a.threshold);
    }
    if a.shingle == 0 || a.num_perm == 0 {
        bail!("--shingle and --num-perm must be at least 1");
    }
    let started = std::time::Instant::now();
    let docs = ingest::read_texts(&a.file)?;
    let params = ClusterParams {
        minhash: MinHashParams {
            shingle: a.shingle,
            num_perm: a.num_perm,
            ..MinHashParams::default()
        },
        threshold: a.threshold,
        min_shingles: a.min_shingles,
        ..ClusterParams::default()
    };
    let (mut ids, mut texts, mut index) = match a.index.as_ref().filter(|p| p.exists()) {
        Some(p) => {
            let f: IndexFile = serde_json::from_reader(std::io::BufReader::new(
                std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?,
            ))
            .with_context(|| format!("{} is not a cthub detect index", p.display()))?;
            let ix = f.index.restore();
            if ix.params().minhash != params.minhash
                || ix.params().threshold != params.threshold
                || ix.params().min_shingles != params.min_shingles
            {
                bail!(
                    "{} was built with other parameters ({:?}, threshold {}, min shingles {}); use the same --shingle, --num-perm, --threshold and --min-shingles",
                    p.display(),
                    ix.params().minhash,
                    ix.params().threshold,
                    ix.params().min_shingles
                );
            }
            (f.ids, f.texts, ix)
        }
        None => (Vec::new(), Vec::new(), TemplateIndex::new(params)),
    };
    let before = ids.len();
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let new_texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
    let bar = if new_texts.len() >= 20_000 {
        indicatif::ProgressBar::new(new_texts.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} documents {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    index.add_batch_with_progress(&new_texts, threads, |n| bar.inc(n as u64));
    bar.finish_and_clear();
    let clustered_at = started.elapsed().as_secs_f64();
    ids.extend(docs.iter().map(|d| d.id.clone()));
    texts.extend(docs.into_iter().map(|d| d.text));
    let clusters = index.clusters();
    let mut outs = Vec::new();
    let mut assignment = vec![0usize; ids.len()];
    for (k, members) in clusters.iter().enumerate() {
        for &m in members {
            assignment[m as usize] = k + 1;
        }
        if members.len() < a.min_size.max(1) {
            continue;
        }
        let mt: Vec<&str> = members
            .iter()
            .map(|&m| texts[m as usize].as_str())
            .collect();
        let ms: Vec<&[u32]> = members.iter().map(|&m| index.shingles(m)).collect();
        let t = template::explain(&mt, &ms, a.align.max(2));
        outs.push(ClusterOut {
            cluster: k + 1,
            size: members.len(),
            explained: t.explained(),
            template: t.template,
            slots: t.slots,
            medoid: ids[members[t.medoid] as usize].clone(),
            cohesion: t.cohesion,
            members: members.iter().map(|&m| ids[m as usize].clone()).collect(),
        });
    }
    outs.sort_by(|x, y| y.size.cmp(&x.size).then(x.cluster.cmp(&y.cluster)));
    let seconds = started.elapsed().as_secs_f64();
    let in_clusters: usize = outs.iter().map(|c| c.size).sum();
    let summary = serde_json::json!({
        "documents": ids.len(), "new_documents": ids.len() - before,
        "clusters": outs.len(), "documents_in_clusters": in_clusters,
        "threshold": a.threshold, "shingle": a.shingle, "num_perm": a.num_perm,
        "bands": index.banding().bands, "rows_per_band": index.banding().rows,
        "candidates": index.stats().candidates, "verified": index.stats().verified,
        "seconds": seconds, "seconds_clustering": clustered_at,
        "documents_per_second": (ids.len() - before) as f64 / seconds.max(1e-9),
    });
    if let Some(o) = &a.out {
        let assignments: Vec<serde_json::Value> = ids
            .iter()
            .zip(&assignment)
            .map(|(id, c)| serde_json::json!({"id": id, "cluster": c}))
            .collect();
        let doc =
            serde_json::json!({"summary": summary, "clusters": outs, "assignments": assignments});
        let f =
            std::fs::File::create(o).with_context(|| format!("cannot write {}", o.display()))?;
        serde_json::to_writer(std::io::BufWriter::new(f), &doc)?;
    }
    if let Some(p) = &a.index {
        let f = IndexFile { ids, texts, index };
        let w =
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?;
        serde_json::to_writer(std::io::BufWriter::new(w), &f)?;
    }
    if a.json {
        let mut s = summary.clone();
        s["top"] = serde_json::to_value(outs.iter().take(a.show).collect::<Vec<_>>())?;
        out::json(&s);
    } else {
        println!(
            "{} documents ({} new): {} clusters of {}+ holding {} documents; {:.2} s ({:.0} documents/s)",
            summary["documents"],
            summary["new_documents"],
            outs.len(),
            a.min_size,
            in_clusters,
            seconds,
            summary["documents_per_second"].as_f64().unwrap_or(0.0)
        );
        for c in outs.iter().take(a.show) {
            let t: String = c.explained.chars().take(400).collect();
            println!(
                "\ncluster {} ({} ads, cohesion {:.2}):\n  {t}",
                c.cluster, c.size, c.cohesion
            );
        }
    }
    Ok(exit::OK)
}

fn run_corpus(a: CorpusArgs) -> anyhow::Result<u8> {
    let mut spec = CorpusSpec::new(a.kind, a.seed);
    spec.clusters = a.clusters;
    spec.singletons = a.singletons;
    spec.min_copies = a.min_copies;
    spec.max_copies = a.max_copies;
    let docs = match a.kind {
        CorpusKind::Synthetic => corpus::synthetic(&spec)?,
        _ => {
            if !a.emscad.exists() {
                bail!(
                    "EMSCAD folder {} not found; give --emscad DIR (or CTHUB_EMSCAD_DIR), or use --kind synthetic",
                    a.emscad.display()
                );
            }
            let bases = corpus::emscad_bases(&a.emscad)?;
            corpus::generate(&spec, &bases)?
        }
    };
    let csv_out = a
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if csv_out {
        let mut w = csv::Writer::from_path(&a.out)
            .with_context(|| format!("cannot write {}", a.out.display()))?;
        w.write_record(["id", "label", "text"])?;
        for d in &docs {
            w.write_record([&d.id, &d.label, &d.text])?;
        }
        w.flush()?;
    } else {
        write_jsonl(&a.out, &docs)?;
    }
    let labels: std::collections::HashSet<&str> = docs.iter().map(|d| d.label.as_str()).collect();
    let summary = serde_json::json!({
        "kind": a.kind, "seed": a.seed, "documents": docs.len(), "labels": labels.len(),
        "clusters": spec.clusters, "singletons": spec.singletons, "out": a.out,
    });
    if a.json {
        out::json(&summary);
    } else {
        println!(
            "{} documents ({} planted clusters, {} singletons, seed {}) written to {}",
            docs.len(),
            spec.clusters,
            spec.singletons,
            a.seed,
            a.out.display()
        );
    }
    Ok(exit::OK)
}

/// id → label from a CSV/JSON Lines file with `id` and a label column (`label` or `cluster`).
fn read_labels(path: &Path, column: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut err: Option<String> = None;
    ingest::for_each_row(path, |row_no, row, _| match row {
        Ok(row) => {
            let get = |n: &str| row.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            match (get("id"), get(column)) {
                (Some(id), Some(l)) => out.push((id, l)),
                _ if err.is_none() => {
                    err = Some(format!(
                        "{}: row {row_no}: needs columns `id` and `{column}`",
                        path.display()
                    ))
                }
                _ => {}
            }
        }
        Err((_, issues)) => {
            if err.is_none() {
                err = issues.first().map(|i| i.to_string());
            }
        }
    })?;
    if let Some(e) = err {
        bail!(e);
    }
    Ok(out)
}

fn run_score(a: ScoreArgs) -> anyhow::Result<u8> {
    let truth = read_labels(&a.truth, "label")?;
    let predicted: Vec<(String, String)> = {
        let text = std::fs::read_to_string(&a.clusters)
            .with_context(|| format!("cannot read {}", a.clusters.display()))?;
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) if v.get("assignments").is_some() => v["assignments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| {
                    let id = x.get("id")?.as_str()?.to_string();
                    let c = x.get("cluster")?;
                    Some((id, c.to_string()))
                })
                .collect(),
            _ => read_labels(&a.clusters, "cluster")?,
        }
    };
    let pred: HashMap<&str, &str> = predicted
        .iter()
        .map(|(i, c)| (i.as_str(), c.as_str()))
        .collect();
    let mut t = Vec::with_capacity(truth.len());
    let mut p = Vec::with_capacity(truth.len());
    let mut missing = 0usize;
    for (id, label) in &truth {
        t.push(label.clone());
        match pred.get(id.as_str()) {
            Some(c) => p.push(format!("c:{c}")),
            None => {
                missing += 1;
                p.push(format!("missing:{id}"));
            }
        }
    }
    let g = score::agreement(&t, &p);
    if a.json {
        let mut v = serde_json::to_value(g)?;
        v["missing_from_clusters"] = missing.into();
        out::json(&v);
    } else {
        println!(
            "ARI {:.4}; pairwise precision {:.4}, recall {:.4} ({} items, {} true pairs, {} predicted pairs){}",
            g.ari,
            g.pairwise_precision,
            g.pairwise_recall,
            g.items,
            g.true_pairs,
            g.predicted_pairs,
            if missing > 0 {
                format!("; {missing} items absent from the clustering counted as singletons")
            } else {
                String::new()
            }
        );
    }
    Ok(exit::OK)
}
