//! Privacy-preserving record linkage on keyed Bloom-filter encodings (CLK-like).
//!
//! **Encoding.** Each contributor encodes the identifying fields of its records locally; only the
//! encodings leave the organisation. For every field of the [`LinkageSchema`] the value is
//! normalised (same normalisers as probabilistic linkage: NFKC, case fold, transliteration), padded
//! with `_` at both ends and split into q-grams (bigrams by default). Each q-gram is hashed with
//! HMAC-SHA256 under a per-field key derived from the shared secret (`HMAC(secret, "field:" +
//! name)`); the first two 64-bit words of the MAC give `h1`, `h2` and the gram sets the `k` bits
//! `(h1 + i · h2) mod L`, `i = 0..k` (keyed double hashing, Schnell et al. 2009; all fields go
//! into one filter, a cryptographic long-term key). A field's `k` is its weight: more reliable
//! fields get more bits. The MAC of a (field, gram) is cached per encoder, so the cost per record
//! is a few hash-map look-ups per q-gram.
//!
//! **Hardening** (after hashing, in this order):
//! * *balancing* (Schnell 2016): the filter of `L/2` bits is concatenated with its complement and
//!   the `L` bits are permuted by a secret-keyed permutation; every encoding then has exactly
//!   `L/2` bits set, so the popcount tells nothing about the number of q-grams;
//! * *XOR-folding* (Schnell et al. 2016): a filter of `2L` bits is folded into `L` bits by XOR of
//!   its halves, so a set bit no longer points at one q-gram;
//! * *BLIP* (randomised response, Schnell & Borgs 2016): every bit is flipped independently with
//!   probability `f = 1 / (1 + e^ε)`, which makes each bit ε-differentially private (ε per bit; a
//!   change of one value affects at most `2 · grams · k` bits, so the per-record guarantee is
//!   correspondingly weaker). Flips use fresh OS randomness unless a seed is given (tests).
//!
//! **Fingerprint.** An encoding set carries `HMAC(secret, canonical schema JSON)` (first 16
//! bytes, hex). Parties with a different schema or a different secret get different
//! fingerprints, and [`dice::match_two`] / [`dice::match_multi`] refuse to compare them
//! ([`LinkError::SchemaMismatch`]). The fingerprint reveals nothing about the secret.
//!
//! **Comparison** ([`dice`]): Dice similarity `2 |A ∧ B| / (|A| + |B|)` with popcounts over `u64`
//! words, precomputed popcounts per encoding and a popcount length filter; then a threshold and a
//! greedy 1-to-1 assignment (two parties) or greedy clustering with at most one record per party
//! (several parties). **Attack** ([`attack`]): a frequency + pattern-mining attack used to measure
//! what hardening buys.

pub mod attack;
pub mod dice;
pub mod hub;

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{LinkError, Result};
use crate::normalize::Normalizer;

type HmacSha256 = Hmac<Sha256>;

/// One encoded field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldEncoding {
    /// Column name.
    pub name: String,
    /// q-gram length (default 2).
    #[serde(default = "default_q")]
    pub q: usize,
    /// Bits set per q-gram (the field's weight); 0 leaves the field out.
    pub k: usize,
    /// Normaliser applied before splitting into q-grams.
    #[serde(default = "default_norm")]
    pub normalize: Normalizer,
}

fn default_q() -> usize {
    2
}
fn default_norm() -> Normalizer {
    Normalizer::Name
}

/// Hardening of the filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Hardening {
    /// Balanced Bloom filters (filter ‖ complement, keyed permutation).
    pub balance: bool,
    /// XOR-fold a double-length filter.
    pub xor_fold: bool,
    /// BLIP: flip each bit with probability `1 / (1 + e^ε)`.
    pub blip_epsilon: Option<f64>,
}

/// The linkage schema all parties agree on (public; the secret is not part of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkageSchema {
    /// Final filter length in bits (a multiple of 64; 1024 uses the fastest kernel).
    pub filter_bits: usize,
    pub fields: Vec<FieldEncoding>,
    #[serde(default)]
    pub hardening: Hardening,
    /// Optional blocking keys: each rule is a list of `field` / `field:n` (first n characters);
    /// records agreeing on a rule's keyed hash are compared.
    #[serde(default)]
    pub blocking: Vec<Vec<String>>,
}

impl LinkageSchema {
    /// Parse from TOML.
    pub fn from_toml(text: &str) -> Result<Self> {
        let s: LinkageSchema =
            toml::from_str(text).map_err(|e| LinkError::Schema(e.to_string()))?;
        s.check()?;
        Ok(s)
    }

    /// Check the schema.
    pub fn check(&self) -> Result<()> {
        if self.filter_bits == 0 || !self.filter_bits.is_multiple_of(64) {
            return Err(LinkError::Schema(format!(
                "filter_bits {} must be a positive multiple of 64",
                self.filter_bits
            )));
        }
        if self.hardening.balance && self.hardening.xor_fold {
            return Err(LinkError::Schema(
                "choose balance or xor_fold, not both".into(),
            ));
        }
        if self.hardening.balance && !self.filter_bits.is_multiple_of(128) {
            return Err(LinkError::Schema(
                "balancing needs filter_bits divisible by 128".into(),
            ));
        }
        if let Some(e) = self.hardening.blip_epsilon {
            if !(e > 0.0 && e.is_finite()) {
                return Err(LinkError::Schema(format!(
                    "blip_epsilon {e} must be positive"
                )));
            }
        }
        if self.fields.is_empty() || self.fields.iter().all(|f| f.k == 0) {
            return Err(LinkError::Schema("no field with k > 0".into()));
        }
        if self.fields.iter().any(|f| f.q == 0 || f.k > 64) {
            return Err(LinkError::Schema("q must be >= 1 and k <= 64".into()));
        }
        for rule in &self.blocking {
            for key in rule {
                let col = crate::settings::BlockKey::parse(key)?.column;
                if !self.fields.iter().any(|f| f.name == col) {
                    return Err(LinkError::Schema(format!(
                        "blocking key `{key}` names no schema field"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Bits of the filter before hardening changes its length.
    fn base_bits(&self) -> usize {
        if self.hardening.balance {
            self.filter_bits / 2
        } else if self.hardening.xor_fold {
            self.filter_bits * 2
        } else {
            self.filter_bits
        }
    }

    /// Words (`u64`) per encoding.
    pub fn words(&self) -> usize {
        self.filter_bits / 64
    }

    /// `HMAC(secret, canonical JSON)`, 16 bytes hex.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
        mac.update(b"cthub-link schema fingerprint v1\0");
        mac.update(json.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// Encodings of one party: ids, filters (flat, `words` per record), popcounts and block keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodingSet {
    pub fingerprint: String,
    pub words: usize,
    pub ids: Vec<String>,
    /// `words` u64 per record, concatenated.
    pub bits: Vec<u64>,
    /// Popcount per record.
    pub popcounts: Vec<u32>,
    /// Keyed blocking hashes per record (one per schema blocking rule; 0 = key missing).
    pub block_keys: Vec<Vec<u64>>,
}

impl EncodingSet {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Filter of record `i`.
    pub fn filter(&self, i: usize) -> &[u64] {
        &self.bits[i * self.words..(i + 1) * self.words]
    }

    /// Check the set is internally consistent and made under `expected` fingerprint.
    pub fn check(&self, expected: &str, what: &str) -> Result<()> {
        if self.fingerprint != expected {
            return Err(LinkError::SchemaMismatch {
                what: what.to_string(),
                expected: expected.to_string(),
                found: self.fingerprint.clone(),
            });
        }
        if self.words == 0
            || self.bits.len() != self.ids.len() * self.words
            || self.popcounts.len() != self.ids.len()
        {
            return Err(LinkError::Encoding(format!(
                "{what}: filters, popcounts and ids disagree in length"
            )));
        }
        Ok(())
    }

    /// Save as JSON.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string(self)?)
    }

    /// Load from JSON (consistency checked; the fingerprint is checked when linking).
    pub fn from_json(text: &str) -> Result<Self> {
        let s: EncodingSet = serde_json::from_str(text)?;
        s.check(&s.fingerprint.clone(), "encoding file")?;
        Ok(s)
    }
}

/// A contributor's encoder: schema + secret.
pub struct Encoder {
    schema: LinkageSchema,
    field_keys: Vec<HmacSha256>,
    block_key: HmacSha256,
    permutation: Vec<u32>,
    fingerprint: String,
    blip_seed: Option<u64>,
}

fn keyed(secret: &[u8], label: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(label);
    let key = mac.finalize().into_bytes();
    <HmacSha256 as Mac>::new_from_slice(&key).expect("HMAC accepts any key length")
}

/// q-grams of a normalised value, padded with `_` (q - 1 on each side).
pub fn qgrams(value: &str, q: usize) -> Vec<String> {
    let pad = "_".repeat(q.saturating_sub(1));
    let chars: Vec<char> = format!("{pad}{value}{pad}").chars().collect();
    if chars.len() < q {
        return vec![chars.iter().collect()];
    }
    chars.windows(q).map(|w| w.iter().collect()).collect()
}

impl Encoder {
    /// New encoder; the secret must be at least 16 bytes.
    pub fn new(schema: LinkageSchema, secret: &[u8]) -> Result<Self> {
        schema.check()?;
        if secret.len() < 16 {
            return Err(LinkError::Schema(
                "the shared secret must be at least 16 bytes".into(),
            ));
        }
        let field_keys = schema
            .fields
            .iter()
            .map(|f| keyed(secret, format!("field:{}", f.name).as_bytes()))
            .collect();
        let block_key = keyed(secret, b"blocking");
        let mut permutation: Vec<u32> = (0..schema.filter_bits as u32).collect();
        if schema.hardening.balance {
            let seed_mac = keyed(secret, b"permutation").finalize().into_bytes();
            let mut seed = [0u8; 32];
            seed.copy_from_slice(&seed_mac);
            let mut rng = ChaCha12Rng::from_seed(seed);
            for i in (1..permutation.len()).rev() {
                let j = rng.random_range(0..=i);
                permutation.swap(i, j);
            }
        }
        let fingerprint = schema.fingerprint(secret);
        Ok(Encoder {
            schema,
            field_keys,
            block_key,
            permutation,
            fingerprint,
            blip_seed: None,
        })
    }

    /// Use a fixed seed for BLIP flips (reproducible tests only; real use takes OS randomness).
    pub fn with_blip_seed(mut self, seed: u64) -> Self {
        self.blip_seed = Some(seed);
        self
    }

    /// The schema fingerprint under this secret.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The schema.
    pub fn schema(&self) -> &LinkageSchema {
        &self.schema
    }

    fn gram_hash(&self, field: usize, gram: &str) -> (u64, u64) {
        let mut mac = self.field_keys[field].clone();
        mac.update(gram.as_bytes());
        let out = mac.finalize().into_bytes();
        let h1 = u64::from_le_bytes(out[0..8].try_into().unwrap_or([0; 8]));
        let h2 = u64::from_le_bytes(out[8..16].try_into().unwrap_or([0; 8])) | 1;
        (h1, h2)
    }

    /// Encode one record (`values[i]` is the value of schema field `i`) into `out` (`words` u64).
    fn encode_into(
        &self,
        values: &[&str],
        cache: &mut [HashMap<String, (u64, u64)>],
        rng: &mut Option<ChaCha12Rng>,
        out: &mut [u64],
    ) {
        let base = self.schema.base_bits();
        let mut filt = vec![0u64; base / 64];
        for (fi, f) in self.schema.fields.iter().enumerate() {
            if f.k == 0 {
                continue;
            }
            let Some(v) = values.get(fi).and_then(|v| f.normalize.apply(v)) else {
                continue;
            };
            for g in qgrams(&v, f.q) {
                let (h1, h2) = match cache[fi].get(&g) {
                    Some(&h) => h,
                    None => {
                        let h = self.gram_hash(fi, &g);
                        cache[fi].insert(g, h);
                        h
                    }
                };
                let l = base as u64;
                for i in 0..f.k as u64 {
                    let bit = (h1.wrapping_add(i.wrapping_mul(h2)) % l) as usize;
                    filt[bit / 64] |= 1 << (bit % 64);
                }
            }
        }
        out.fill(0);
        let h = &self.schema.hardening;
        if h.balance {
            let half = base;
            for bit in 0..2 * half {
                let set = if bit < half {
                    filt[bit / 64] >> (bit % 64) & 1 == 1
                } else {
                    filt[(bit - half) / 64] >> ((bit - half) % 64) & 1 == 0
                };
                if set {
                    let p = self.permutation[bit] as usize;
                    out[p / 64] |= 1 << (p % 64);
                }
            }
        } else if h.xor_fold {
            let half = filt.len() / 2;
            for (i, o) in out.iter_mut().enumerate() {
                *o = filt[i] ^ filt[i + half];
            }
        } else {
            out.copy_from_slice(&filt);
        }
        if let (Some(eps), Some(rng)) = (h.blip_epsilon, rng.as_mut()) {
            let f = 1.0 / (1.0 + eps.exp());
            for bit in 0..self.schema.filter_bits {
                if rng.random_bool(f) {
                    out[bit / 64] ^= 1 << (bit % 64);
                }
            }
        }
    }

    fn block_hashes(&self, values: &[&str], rules: &[Vec<crate::settings::BlockKey>]) -> Vec<u64> {
        rules
            .iter()
            .enumerate()
            .map(|(ri, rule)| {
                let mut mac = self.block_key.clone();
                mac.update(&(ri as u32).to_le_bytes());
                for k in rule {
                    let Some(fi) = self.schema.fields.iter().position(|f| f.name == k.column)
                    else {
                        return 0;
                    };
                    let f = &self.schema.fields[fi];
                    let Some(v) = values.get(fi).and_then(|v| f.normalize.apply(v)) else {
                        return 0;
                    };
                    let v: String = match k.prefix {
                        Some(n) => v.chars().take(n).collect(),
                        None => v,
                    };
                    mac.update(v.as_bytes());
                    mac.update(&[0]);
                }
                let out = mac.finalize().into_bytes();
                u64::from_le_bytes(out[0..8].try_into().unwrap_or([0; 8])).max(1)
            })
            .collect()
    }

    /// Encode records: `columns[i]` holds schema field `i` for every record; `ids` names them.
    pub fn encode(&self, ids: &[String], columns: &[&[String]]) -> Result<EncodingSet> {
        if columns.len() != self.schema.fields.len() {
            return Err(LinkError::Schema(format!(
                "{} columns given for {} schema fields",
                columns.len(),
                self.schema.fields.len()
            )));
        }
        if columns.iter().any(|c| c.len() != ids.len()) {
            return Err(LinkError::Encoding(
                "every column must have one value per id".into(),
            ));
        }
        let words = self.schema.words();
        let rules: Vec<Vec<crate::settings::BlockKey>> = self
            .schema
            .blocking
            .iter()
            .map(|r| {
                r.iter()
                    .map(|k| crate::settings::BlockKey::parse(k))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<_>>()?;
        let mut bits = vec![0u64; ids.len() * words];
        let chunk = 4096;
        let block_keys: Vec<Vec<Vec<u64>>> = bits
            .par_chunks_mut(chunk * words)
            .enumerate()
            .map(|(ci, out)| {
                let mut cache: Vec<HashMap<String, (u64, u64)>> =
                    vec![HashMap::new(); self.schema.fields.len()];
                let mut rng = self
                    .schema
                    .hardening
                    .blip_epsilon
                    .map(|_| match self.blip_seed {
                        Some(s) => ChaCha12Rng::seed_from_u64(
                            s ^ (ci as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                        ),
                        None => ChaCha12Rng::from_rng(&mut rand::rng()),
                    });
                let mut keys = Vec::new();
                let mut values: Vec<&str> = Vec::with_capacity(columns.len());
                for (j, o) in out.chunks_mut(words).enumerate() {
                    let r = ci * chunk + j;
                    values.clear();
                    values.extend(columns.iter().map(|c| c[r].as_str()));
                    self.encode_into(&values, &mut cache, &mut rng, o);
                    if !rules.is_empty() {
                        keys.push(self.block_hashes(&values, &rules));
                    }
                }
                keys
            })
            .collect();
        let popcounts = bits
            .chunks(words)
            .map(|w| w.iter().map(|x| x.count_ones()).sum())
            .collect();
        Ok(EncodingSet {
            fingerprint: self.fingerprint.clone(),
            words,
            ids: ids.to_vec(),
            bits,
            popcounts,
            block_keys: block_keys.into_iter().flatten().collect(),
        })
    }
}
