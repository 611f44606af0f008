//! `cthub link`, `cthub encode` and `cthub link-encoded`: record linkage in the clear (at a
//! contributor, on files that still hold names) and privacy-preserving linkage (contributors
//! encode locally with a shared secret; the hub links encodings only).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use cthub_link::pprl::{dice, Encoder, EncodingSet, LinkageSchema};
use cthub_link::{Dataset, Linker, Model, Settings};

use crate::{exit, out};

#[derive(Args)]
pub struct LinkArgs {
    /// Linkage settings (TOML): fields, comparison levels, blocking rules, thresholds.
    #[arg(long)]
    pub settings: PathBuf,
    /// One file to deduplicate, or several to link (CSV or Parquet).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Use this saved model (JSON) instead of training one on the data.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Output directory (must not exist): model.json, matches.csv, persons.csv, summary.json.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Write the per-comparison explanation of the first N matches to explanations.jsonl.
    #[arg(long, default_value_t = 100)]
    pub explain: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct EncodeArgs {
    /// Linkage schema (TOML) agreed among the contributors: fields, q-grams, hash functions,
    /// filter length, hardening.
    #[arg(long)]
    pub schema: PathBuf,
    /// File holding the secret shared only among contributors (at least 16 bytes). The hub
    /// never receives it; the encodings carry only its fingerprint with the schema's.
    #[arg(long, env = "CTHUB_LINK_SECRET_FILE")]
    pub secret_file: PathBuf,
    /// Column with the contributor's record id (kept in the encoding file).
    #[arg(long)]
    pub id_column: String,
    /// The file with identifying fields (CSV or Parquet).
    pub file: PathBuf,
    /// Encoding file to send to the hub (JSON).
    #[arg(long, short)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LinkEncodedArgs {
    /// Encoding files of two or more contributors (same schema and secret).
    #[arg(required = true, num_args = 2..)]
    pub files: Vec<PathBuf>,
    /// Dice similarity at or above which two encodings are the same person.
    #[arg(long, default_value_t = 0.8)]
    pub threshold: f64,
    /// Output CSV: one line per linked record (person, party file, record id).
    #[arg(long, short)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

fn file_label(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

pub fn run_link(a: LinkArgs) -> anyhow::Result<u8> {
    if a.out.exists() {
        bail!(
            "{} already exists; choose a new output directory",
            a.out.display()
        );
    }
    let settings = Settings::from_file(&a.settings)?;
    let mut datasets = Vec::new();
    for f in &a.files {
        datasets.push(Dataset::read(f).with_context(|| format!("cannot read {}", f.display()))?);
    }
    let sizes: Vec<usize> = datasets.iter().map(Dataset::len).collect();
    let linker = Linker::new(settings, datasets)?;
    let started = std::time::Instant::now();
    let model = match &a.model {
        Some(p) => Model::load(p)?,
        None => linker.train()?,
    };
    let predictions = linker.predict(&model)?;
    let clustering = linker.cluster(&model, &predictions)?;
    let seconds = started.elapsed().as_secs_f64();

    // Global record index -> (file, row within the file, 1-based data row).
    let offsets: Vec<usize> = sizes
        .iter()
        .scan(0, |acc, n| {
            let o = *acc;
            *acc += n;
            Some(o)
        })
        .collect();
    let labels: Vec<String> = a.files.iter().map(|f| file_label(f)).collect();
    let locate = |i: u32| {
        let src = linker.sources()[i as usize] as usize;
        (labels[src].as_str(), i as usize - offsets[src] + 1)
    };
    let mut matches = csv::Writer::from_writer(Vec::new());
    matches.write_record([
        "file_a",
        "row_a",
        "file_b",
        "row_b",
        "match_weight",
        "probability",
    ])?;
    for p in &predictions.matches {
        let ((fa, ra), (fb, rb)) = (locate(p.a), locate(p.b));
        matches.write_record([
            fa.to_string(),
            ra.to_string(),
            fb.to_string(),
            rb.to_string(),
            format!("{:.4}", p.weight),
            format!("{:.6}", p.probability()),
        ])?;
    }
    let mut persons = csv::Writer::from_writer(Vec::new());
    persons.write_record(["file", "row", "person"])?;
    for (i, label) in clustering.labels.iter().enumerate() {
        let (f, r) = locate(i as u32);
        persons.write_record([f.to_string(), r.to_string(), label.to_string()])?;
    }
    let mut explanations = Vec::new();
    for p in predictions.matches.iter().take(a.explain) {
        serde_json::to_writer(&mut explanations, &linker.explain(&model, p.a, p.b)?)?;
        explanations.push(b'\n');
    }
    let in_several = clustering.clusters.iter().filter(|c| c.len() > 1).count();
    let summary = serde_json::json!({
        "files": labels, "records": linker.len(), "candidate_pairs": predictions.candidate_pairs,
        "matches": predictions.matches.len(), "threshold_weight": predictions.threshold_weight,
        "persons": clustering.clusters.len(), "persons_with_several_records": in_several,
        "merges_refused_below_floor": clustering.refused_floor,
        "merges_refused_size": clustering.refused_size, "seconds": seconds,
        "model": if a.model.is_some() { "loaded" } else { "trained" },
    });
    crate::release::write_release(
        &a.out,
        &[
            ("model.json", model.to_json()?.into_bytes()),
            (
                "matches.csv",
                matches.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
            (
                "persons.csv",
                persons.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
            ("explanations.jsonl", explanations),
            ("summary.json", serde_json::to_vec_pretty(&summary)?),
        ],
    )?;
    if a.json {
        out::json(&summary);
    } else {
        println!(
            "{} records, {} candidate pairs, {} matches, {} persons ({} with several records) in {:.2} s; wrote {}",
            linker.len(),
            predictions.candidate_pairs,
            predictions.matches.len(),
            clustering.clusters.len(),
            in_several,
            seconds,
            a.out.display()
        );
    }
    Ok(exit::OK)
}

pub fn run_encode(a: EncodeArgs) -> anyhow::Result<u8> {
    if a.out.exists() {
        bail!("{} already exists", a.out.display());
    }
    let secret = std::fs::read(&a.secret_file)
        .with_context(|| format!("cannot read the secret file {}", a.secret_file.display()))?;
    let secret = secret.trim_ascii();
    if secret.len() < 16 {
        bail!(
            "the secret in {} has {} bytes; use at least 16 random bytes shared only among contributors",
            a.secret_file.display(),
            secret.len()
        );
    }
    let text = std::fs::read_to_string(&a.schema)
        .with_context(|| format!("cannot read {}", a.schema.display()))?;
    let schema = LinkageSchema::from_toml(&text)?;
    let ds = Dataset::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let ids = ds.require(&a.id_column, "id column")?.to_vec();
    let cols: Vec<&[String]> = schema
        .fields
        .iter()
        .map(|f| ds.require(&f.name, "linkage schema"))
        .collect::<Result<_, _>>()?;
    let started = std::time::Instant::now();
    let enc = Encoder::new(schema, secret)?.encode(&ids, &cols)?;
    let seconds = started.elapsed().as_secs_f64();
    std::fs::write(&a.out, enc.to_json()?)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    let summary = serde_json::json!({
        "records": enc.len(), "fingerprint": enc.fingerprint, "out": a.out, "seconds": seconds,
    });
    if a.json {
        out::json(&summary);
    } else {
        println!(
            "encoded {} records (schema and secret fingerprint {}) to {}; no names leave this machine",
            enc.len(),
            enc.fingerprint,
            a.out.display()
        );
    }
    Ok(exit::OK)
}

pub fn run_link_encoded(a: LinkEncodedArgs) -> anyhow::Result<u8> {
    if !(a.threshold > 0.0 && a.threshold <= 1.0) {
        bail!("--threshold must be in (0, 1], got {}", a.threshold);
    }
    let mut sets = Vec::new();
    for f in &a.files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        sets.push(
            EncodingSet::from_json(&text)
                .with_context(|| format!("{} is not an encoding file", f.display()))?,
        );
    }
    for (set, file) in sets.iter().zip(&a.files).skip(1) {
        set.check(&sets[0].fingerprint, &file.display().to_string())
            .with_context(|| {
                format!(
                    "{} was encoded with another schema or secret than {}; nothing linked",
                    file.display(),
                    a.files[0].display()
                )
            })?;
    }
    let started = std::time::Instant::now();
    let refs: Vec<&EncodingSet> = sets.iter().collect();
    let clusters = dice::match_multi(&refs, a.threshold, true)?;
    let seconds = started.elapsed().as_secs_f64();
    let labels: Vec<String> = a.files.iter().map(|f| file_label(f)).collect();
    let mut w = csv::Writer::from_path(&a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    w.write_record(["person", "party", "record_id"])?;
    let mut linked = 0usize;
    for (n, c) in clusters.iter().filter(|c| c.len() > 1).enumerate() {
        linked += 1;
        for &(party, rec) in c {
            w.write_record([
                n.to_string(),
                labels[party as usize].clone(),
                sets[party as usize].ids[rec as usize].clone(),
            ])?;
        }
    }
    w.flush()?;
    let summary = serde_json::json!({
        "parties": labels, "records": sets.iter().map(EncodingSet::len).collect::<Vec<_>>(),
        "persons_known_to_several_parties": linked, "threshold": a.threshold, "seconds": seconds,
    });
    if a.json {
        out::json(&summary);
    } else {
        println!(
            "{linked} persons are known to more than one party (Dice >= {}); wrote {}",
            a.threshold,
            a.out.display()
        );
    }
    Ok(exit::OK)
}
