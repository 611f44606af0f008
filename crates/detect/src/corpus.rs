//! Seeded corpora with planted near-duplicate clusters, for tests and benchmarks.
//!
//! A corpus has `clusters` base texts, each copied 2–10 times, plus `singletons` base texts used
//! once (noise). Every copy is a *slot edit* of its base: the base gets, once, a contact sentence
//! with name, phone, e-mail, city and salary slots (and a city prefix half of the time); each copy
//! fills the slots with fresh values and also replaces every number and masked token of the base.
//! [`CorpusKind::Edits`] copies then get word-level insertions and deletions: each word is deleted
//! or followed by a random corpus word with a per-copy rate drawn from 10–20%.
//!
//! Bases are EMSCAD job descriptions read at run time ([`emscad_bases`]; the files are never
//! copied into the project) or texts over an invented vocabulary ([`synthetic_bases`]) for tests
//! that must run without `../shared`. Bases that are near duplicates of each other (word-bigram
//! Jaccard ≥ 0.2) are dropped first, so the true clusters are well defined.

use std::collections::HashSet;
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};

use crate::error::DetectError;
use crate::minhash::{jaccard, MinHashParams, MinHasher};
use crate::text::tokenize;

/// Which edits the copies of a base get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorpusKind {
    /// Slot edits only (names, numbers, phones, e-mails, cities, salaries).
    Slots,
    /// Slot edits plus 10–20% word insertions/deletions.
    Edits,
    /// Invented vocabulary, slot edits plus word insertions/deletions (no reference data needed).
    Synthetic,
}

impl std::str::FromStr for CorpusKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "slots" => Ok(CorpusKind::Slots),
            "edits" => Ok(CorpusKind::Edits),
            "synthetic" => Ok(CorpusKind::Synthetic),
            _ => Err(format!(
                "unknown corpus kind `{s}` (use slots, edits or synthetic)"
            )),
        }
    }
}

/// Shape of a generated corpus.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CorpusSpec {
    /// Slot edits only, or slot and word edits.
    pub kind: CorpusKind,
    /// Seed of every random choice.
    pub seed: u64,
    /// Number of planted clusters.
    pub clusters: usize,
    /// Fewest copies per cluster.
    pub min_copies: usize,
    /// Most copies per cluster.
    pub max_copies: usize,
    /// Number of texts used once.
    pub singletons: usize,
    /// Lowest per-copy word edit rate (edits and synthetic corpora).
    pub edit_min: f64,
    /// Highest per-copy word edit rate.
    pub edit_max: f64,
}

impl CorpusSpec {
    /// Defaults: 300 clusters of 2–10 copies, 300 singletons, 10–20% word edits.
    pub fn new(kind: CorpusKind, seed: u64) -> Self {
        CorpusSpec {
            kind,
            seed,
            clusters: 300,
            min_copies: 2,
            max_copies: 10,
            singletons: 300,
            edit_min: 0.10,
            edit_max: 0.20,
        }
    }
}

/// One generated document with its true cluster label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpusDoc {
    /// Document id (`d000001`, …).
    pub id: String,
    /// True cluster: `c…` for planted clusters, `s…` for singletons.
    pub label: String,
    /// The text.
    pub text: String,
}

const NAMES: &[&str] = &[
    "Anna", "Maria", "Olga", "Elena", "Fatima", "Aisha", "Grace", "Joy", "Mary", "Linh", "Mai",
    "Ana", "Sofia", "Irina", "Natasha", "Blessing", "Precious", "Amina", "Lucy", "Rosa", "Daniel",
    "Ahmed", "Ivan", "Peter", "John", "Mohammed", "Carlos", "Jose", "Tomasz", "Sergei", "David",
    "Kwame", "Chen", "Nguyen", "Ali", "Yusuf", "Pedro", "Luis", "Mark", "Omar",
];
const CITIES: &[&str] = &[
    "Dubai",
    "Doha",
    "Riyadh",
    "London",
    "Milan",
    "Madrid",
    "Berlin",
    "Warsaw",
    "Athens",
    "Istanbul",
    "Lagos",
    "Accra",
    "Nairobi",
    "Bangkok",
    "Manila",
    "Kuala Lumpur",
    "Singapore",
    "Moscow",
    "Kyiv",
    "Bucharest",
    "Sofia",
    "Lisbon",
    "Paris",
    "Vienna",
    "Prague",
    "Budapest",
    "Rome",
    "Naples",
    "Marseille",
    "Lyon",
    "Hamburg",
    "Munich",
    "Zurich",
    "Geneva",
    "Toronto",
    "Houston",
    "Miami",
    "New York",
    "Los Angeles",
    "Chicago",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "mail.ru",
    "hotmail.com",
    "proton.me",
    "yandex.ru",
    "aol.com",
    "gmx.de",
    "icloud.com",
];
const CONTACT: &[&str] = &[
    "Contact {name} on {phone} or {email}.",
    "Apply now: send your CV to {email} or WhatsApp {phone} ({name}).",
    "Salary {salary} per month, job based in {city}. Call {name}: {phone}",
    "Interviews in {city} this week. Ask for {name} at {phone}, pay {salary}.",
    "For details write to {email}, Telegram {phone}, salary from {salary}.",
];

fn pick<'a>(rng: &mut ChaCha12Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

fn phone(rng: &mut ChaCha12Rng) -> String {
    let d = |rng: &mut ChaCha12Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect()
    };
    match rng.random_range(0..5) {
        0 => format!("+1 ({}) {}-{}", d(rng, 3), d(rng, 3), d(rng, 4)),
        1 => format!("+44 7{} {}", d(rng, 3), d(rng, 6)),
        2 => format!("0049 15{} {}", d(rng, 1), d(rng, 7)),
        3 => format!("{}.{}.{}", d(rng, 3), d(rng, 3), d(rng, 4)),
        _ => format!("+971 5{} {} {}", d(rng, 1), d(rng, 3), d(rng, 4)),
    }
}

fn salary(rng: &mut ChaCha12Rng) -> String {
    let amount = rng.random_range(8..60) * 100;
    match rng.random_range(0..4) {
        0 => format!("${amount}"),
        1 => format!("{amount} EUR"),
        2 => format!("£{amount}"),
        _ => format!("USD {amount}"),
    }
}

fn email(rng: &mut ChaCha12Rng) -> String {
    format!(
        "{}{}@{}",
        pick(rng, NAMES).to_lowercase(),
        rng.random_range(1..999),
        pick(rng, DOMAINS)
    )
}

fn hex(rng: &mut ChaCha12Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A base prepared for copying: words with slot markers.
struct Prepared {
    words: Vec<String>,
}

const SLOT_PREFIX: char = '\u{1}';

fn prepare_base(rng: &mut ChaCha12Rng, text: &str) -> Prepared {
    let mut words: Vec<String> = Vec::new();
    if rng.random_bool(0.5) {
        words.push("Job".into());
        words.push("in".into());
        words.push(format!("{SLOT_PREFIX}city"));
        words.push("-".into());
    }
    for w in text.split_whitespace() {
        let masked = w.find("#PHONE_").or(w.find("#EMAIL_")).or(w.find("#URL_"));
        if masked.is_some() {
            words.push(format!("{SLOT_PREFIX}masked"));
        } else if w.bytes().any(|b| b.is_ascii_digit()) {
            words.push(format!("{SLOT_PREFIX}number"));
        } else if NAMES.contains(&w) {
            words.push(format!("{SLOT_PREFIX}name"));
        } else {
            words.push(w.to_string());
        }
    }
    for w in pick(rng, CONTACT).split_whitespace() {
        if let (Some(s), Some(e)) = (w.find('{'), w.find('}')) {
            if s > 0 {
                words.push(w[..s].to_string());
            }
            words.push(format!("{SLOT_PREFIX}{}", &w[s + 1..e]));
            if e + 1 < w.len() {
                // Punctuation after the slot stays glued to it when rendered.
                words.push(format!("{SLOT_PREFIX}glue{}", &w[e + 1..]));
            }
        } else {
            words.push(w.to_string());
        }
    }
    Prepared { words }
}

fn fill(rng: &mut ChaCha12Rng, base: &Prepared) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(base.words.len());
    for w in &base.words {
        let Some(slot) = w.strip_prefix(SLOT_PREFIX) else {
            out.push(w.clone());
            continue;
        };
        let v = match slot {
            "name" => pick(rng, NAMES).to_string(),
            "city" => pick(rng, CITIES).to_string(),
            "phone" => phone(rng),
            "email" => email(rng),
            "salary" => salary(rng),
            "number" => rng.random_range(1..5000).to_string(),
            "masked" => {
                let kind = pick(rng, &["PHONE", "EMAIL", "URL"]);
                format!("#{kind}_{}#", hex(rng, 16))
            }
            glue => {
                let p = glue.strip_prefix("glue").unwrap_or("");
                if let Some(last) = out.last_mut() {
                    last.push_str(p);
                }
                continue;
            }
        };
        out.push(v);
    }
    out
}

fn word_edits(
    rng: &mut ChaCha12Rng,
    words: Vec<String>,
    rate: f64,
    vocab: &[String],
) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len() + words.len() / 4);
    for w in words {
        let r: f64 = rng.random();
        if r < rate / 2.0 {
            continue;
        }
        out.push(w);
        if r < rate && !vocab.is_empty() {
            out.push(vocab[rng.random_range(0..vocab.len())].clone());
        }
    }
    out
}

/// Drops texts shorter than `min_words` words, exact duplicates and near duplicates (word-bigram
/// Jaccard ≥ `max_similarity` with a text kept earlier; above 1 only exact duplicates go).
pub fn distinct_bases(texts: Vec<String>, min_words: usize, max_similarity: f64) -> Vec<String> {
    let h = MinHasher::new(MinHashParams {
        shingle: 2,
        ..Default::default()
    });
    let mut kept: Vec<(String, Vec<u32>)> = Vec::new();
    let mut exact: HashSet<String> = HashSet::new();
    for t in texts {
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.split(' ').count() < min_words || !exact.insert(t.to_lowercase()) {
            continue;
        }
        let s = h.shingles(&tokenize(&t));
        let near = max_similarity <= 1.0
            && kept.iter().any(|(_, k)| {
                let (a, b) = (k.len() as f64, s.len() as f64);
                // Jaccard ≤ min/max: skip the merge when the sizes alone rule it out.
                a.min(b) / a.max(b) >= max_similarity && jaccard(k, &s) >= max_similarity
            });
        if !near {
            kept.push((t, s));
        }
    }
    kept.into_iter().map(|(t, _)| t).collect()
}

/// EMSCAD job descriptions from the CSV files in `dir` (both partial copies), as distinct bases.
pub fn emscad_bases(dir: &Path) -> Result<Vec<String>, DetectError> {
    let mut texts = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| DetectError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(DetectError::Input(format!(
            "no EMSCAD CSV files in {}",
            dir.display()
        )));
    }
    for f in files {
        let mut r = csv::Reader::from_path(&f).map_err(|e| DetectError::csv(&f, e))?;
        let headers = r.headers().map_err(|e| DetectError::csv(&f, e))?.clone();
        let Some(col) = headers.iter().position(|h| h == "description") else {
            continue;
        };
        for rec in r.records() {
            let rec = rec.map_err(|e| DetectError::csv(&f, e))?;
            if let Some(d) = rec.get(col) {
                texts.push(d.to_string());
            }
        }
    }
    Ok(distinct_bases(texts, 30, 0.2))
}

/// `n` texts of 40–220 words over an invented vocabulary of 4,000 words with Zipf frequencies,
/// so that unrelated texts share common words as in a real language.
pub fn synthetic_bases(seed: u64, n: usize) -> Vec<String> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0x5eed_ba5e);
    const SYL: &[&str] = &[
        "ka", "lo", "mi", "ra", "te", "su", "no", "vi", "da", "pe", "zu", "ko", "ri", "ma", "an",
        "el", "or", "is", "ul", "ba", "fe", "go", "hi", "ju", "ne",
    ];
    let vocab: Vec<String> = (0..4000)
        .map(|i| {
            let len = 1 + (i % 3) + usize::from(i > 200);
            (0..len).map(|_| pick(&mut rng, SYL)).collect::<String>()
        })
        .collect();
    // Zipf(1) cumulative weights.
    let mut cum = Vec::with_capacity(vocab.len());
    let mut acc = 0.0;
    for i in 0..vocab.len() {
        acc += 1.0 / (i as f64 + 1.0);
        cum.push(acc);
    }
    (0..n)
        .map(|_| {
            let len = rng.random_range(40..220);
            let mut words = Vec::with_capacity(len);
            for k in 0..len {
                let x = rng.random::<f64>() * acc;
                let i = cum.partition_point(|&c| c < x).min(vocab.len() - 1);
                let mut w = vocab[i].clone();
                if k % 11 == 10 {
                    w.push('.');
                }
                words.push(w);
            }
            words.join(" ")
        })
        .collect()
}

/// Generates a corpus from `bases` (shuffled; the first `clusters` become planted clusters, the
/// next `singletons` are used once). Fails if there are not enough bases.
pub fn generate(spec: &CorpusSpec, bases: &[String]) -> Result<Vec<CorpusDoc>, DetectError> {
    let need = spec.clusters + spec.singletons;
    if bases.len() < need {
        return Err(DetectError::Input(format!(
            "{} distinct base texts available, {} needed ({} clusters + {} singletons)",
            bases.len(),
            need,
            spec.clusters,
            spec.singletons
        )));
    }
    if spec.min_copies < 1 || spec.max_copies < spec.min_copies {
        return Err(DetectError::Input(format!(
            "copies per cluster must satisfy 1 <= min ({}) <= max ({})",
            spec.min_copies, spec.max_copies
        )));
    }
    let mut rng = ChaCha12Rng::seed_from_u64(spec.seed);
    let mut order: Vec<usize> = (0..bases.len()).collect();
    order.shuffle(&mut rng);
    let vocab: Vec<String> = {
        let mut v: Vec<String> = order[..need]
            .iter()
            .flat_map(|&i| bases[i].split_whitespace().map(str::to_string))
            .filter(|w| w.chars().all(char::is_alphabetic))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let word_edits_on = spec.kind != CorpusKind::Slots;
    let mut docs = Vec::new();
    for (k, &b) in order[..need].iter().enumerate() {
        let base = prepare_base(&mut rng, &bases[b]);
        let (label, copies) = if k < spec.clusters {
            (
                format!("c{:05}", k + 1),
                rng.random_range(spec.min_copies..=spec.max_copies),
            )
        } else {
            (format!("s{:05}", k + 1 - spec.clusters), 1)
        };
        for _ in 0..copies {
            let mut words = fill(&mut rng, &base);
            if word_edits_on {
                let rate = rng.random_range(spec.edit_min..=spec.edit_max);
                words = word_edits(&mut rng, words, rate, &vocab);
            }
            docs.push(CorpusDoc {
                id: String::new(),
                label: label.clone(),
                text: words.join(" "),
            });
        }
    }
    docs.shuffle(&mut rng);
    for (i, d) in docs.iter_mut().enumerate() {
        d.id = format!("d{:06}", i + 1);
    }
    Ok(docs)
}

/// A synthetic corpus (no reference data needed): bases from [`synthetic_bases`].
pub fn synthetic(spec: &CorpusSpec) -> Result<Vec<CorpusDoc>, DetectError> {
    let n = spec.clusters + spec.singletons;
    // Random texts over 4,000 invented words are not near duplicates of one another (no
    // accidental merges in the synthetic tests): only exact duplicates are removed, as a
    // quadratic near-duplicate check would dominate large corpora.
    let bases = distinct_bases(synthetic_bases(spec.seed, n + n / 10 + 10), 30, 1.5);
    generate(spec, &bases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_labelled() {
        let mut spec = CorpusSpec::new(CorpusKind::Synthetic, 3);
        spec.clusters = 20;
        spec.singletons = 10;
        let a = synthetic(&spec).unwrap();
        let b = synthetic(&spec).unwrap();
        assert_eq!(a, b);
        let labels: HashSet<&str> = a.iter().map(|d| d.label.as_str()).collect();
        assert_eq!(labels.len(), 30);
        assert!(a.len() >= 20 * 2 + 10 && a.len() <= 20 * 10 + 10);
        // Slots are filled: no marker left.
        assert!(a.iter().all(|d| !d.text.contains(SLOT_PREFIX)));
    }

    #[test]
    fn slot_copies_differ_only_in_slots() {
        let mut spec = CorpusSpec::new(CorpusKind::Slots, 9);
        spec.clusters = 5;
        spec.singletons = 0;
        spec.min_copies = 3;
        let bases = synthetic_bases(1, 20);
        let docs = generate(&spec, &bases).unwrap();
        let first = &docs[0];
        let mates: Vec<&CorpusDoc> = docs.iter().filter(|d| d.label == first.label).collect();
        let h = MinHasher::new(MinHashParams::default());
        let sh = |t: &str| h.shingles(&tokenize(t));
        let j = jaccard(&sh(&mates[0].text), &sh(&mates[1].text));
        assert!(j >= 0.5, "{j}: {} | {}", mates[0].text, mates[1].text);
    }
}
