//! Incremental near-duplicate clustering: MinHash-LSH candidates, exact verification, union-find.
//!
//! [`TemplateIndex::add`] tokenises a text (slot values normalised), builds its shingle set and
//! signature, looks its bands up in the bucket maps, verifies each candidate whose signature estimate is within 4 standard errors of the threshold by the exact Jaccard
//! similarity of the shingle sets (candidates already in the same cluster are skipped), joins
//! verified pairs in a union-find and files the document in its buckets. Adding documents one by
//! one or as a batch ([`TemplateIndex::add_batch`], which computes signatures on several threads)
//! gives the same clusters for the same order. Clusters are the connected components of the
//! verified pairs, so a new document can join a cluster or merge two.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::minhash::{estimate, jaccard, Banding, MinHashParams, MinHasher};
use crate::text::tokenize;

/// A hasher for keys that are already uniformly distributed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ b as u64 ^ (self.0 >> 56);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type Buckets = HashMap<u64, Vec<u32>, BuildHasherDefault<PassThroughHasher>>;

/// Parameters of the clustering.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusterParams {
    /// Shingling and MinHash.
    pub minhash: MinHashParams,
    /// Jaccard similarity of shingle sets (after slot normalisation) at or above which two
    /// documents are near duplicates.
    pub threshold: f64,
    /// Probability that a pair exactly at the threshold becomes a candidate (pairs above it are
    /// likelier); sets the banding when `banding` is `None`.
    pub lsh_recall: f64,
    /// LSH banding; chosen for the threshold by [`Banding::for_threshold`] when `None`.
    pub banding: Option<Banding>,
    /// At most this many candidates verified exactly per added document, and 16 times as many
    /// looked at (bounds the work in huge buckets).
    pub max_verify: usize,
    /// A document with fewer distinct shingles than this (a title-only ad, a one-liner) joins
    /// only documents with the same shingle set: on a few words a Jaccard threshold chains
    /// unrelated texts.
    pub min_shingles: usize,
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            minhash: MinHashParams::default(),
            threshold: 0.5,
            lsh_recall: 0.98,
            banding: None,
            max_verify: 512,
            min_shingles: 8,
        }
    }
}

/// What one document contributes to the index.
#[derive(Debug, Clone)]
pub struct Prepared {
    shingles: Vec<u32>,
    signature: Vec<u32>,
}

/// Counters of the work done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexStats {
    /// Candidate pairs looked at (distinct per added document).
    pub candidates: u64,
    /// Candidate pairs whose exact similarity was computed (signature estimate within reach of
    /// the threshold).
    pub verified: u64,
    /// Verified pairs at or above the threshold that joined two clusters.
    pub merges: u64,
}

/// The incremental clustering index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateIndex {
    params: ClusterParams,
    banding: Banding,
    #[serde(skip)]
    hasher: Option<MinHasher>,
    buckets: Vec<Buckets>,
    shingles: Vec<Vec<u32>>,
    /// Signatures of all documents, `num_perm` values each.
    signatures: Vec<u32>,
    /// `seen[m] == id` while document `id` is being inserted and `m` was looked at.
    #[serde(skip)]
    seen: Vec<u32>,
    parent: Vec<u32>,
    size: Vec<u32>,
    stats: IndexStats,
}

impl TemplateIndex {
    /// An empty index.
    pub fn new(params: ClusterParams) -> Self {
        let banding = params.banding.unwrap_or_else(|| {
            Banding::for_threshold(params.minhash.num_perm, params.threshold, params.lsh_recall)
        });
        TemplateIndex {
            params,
            banding,
            hasher: Some(MinHasher::new(params.minhash)),
            buckets: (0..banding.bands).map(|_| Buckets::default()).collect(),
            shingles: Vec::new(),
            signatures: Vec::new(),
            seen: Vec::new(),
            parent: Vec::new(),
            size: Vec::new(),
            stats: IndexStats::default(),
        }
    }

    /// Restores the hasher after deserialisation.
    pub fn restore(mut self) -> Self {
        self.hasher = Some(MinHasher::new(self.params.minhash));
        self
    }

    fn hasher(&self) -> &MinHasher {
        self.hasher
            .as_ref()
            .expect("the hasher is set by new() and restore()")
    }

    /// The parameters.
    pub fn params(&self) -> &ClusterParams {
        &self.params
    }

    /// The banding in use.
    pub fn banding(&self) -> Banding {
        self.banding
    }

    /// Work counters.
    pub fn stats(&self) -> IndexStats {
        self.stats
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The shingle set of document `i`.
    pub fn shingles(&self, i: u32) -> &[u32] {
        &self.shingles[i as usize]
    }

    /// Tokenise, shingle and sign one text (no change to the index).
    pub fn prepare(&self, text: &str) -> Prepared {
        let h = self.hasher();
        let shingles = h.shingles(&tokenize(text));
        let signature = h.signature(&shingles);
        Prepared {
            shingles,
            signature,
        }
    }

    /// Adds one text; returns its document number.
    pub fn add(&mut self, text: &str) -> u32 {
        let p = self.prepare(text);
        self.insert(p)
    }

    /// Adds texts in order, preparing them on up to `threads` threads; the result is the same as
    /// adding them one by one.
    pub fn add_batch<S: AsRef<str> + Sync>(&mut self, texts: &[S], threads: usize) {
        self.add_batch_with_progress(texts, threads, |_| {})
    }

    /// [`Self::add_batch`], calling `progress(n)` after every chunk of `n` documents inserted.
    pub fn add_batch_with_progress<S: AsRef<str> + Sync>(
        &mut self,
        texts: &[S],
        threads: usize,
        mut progress: impl FnMut(usize),
    ) {
        let threads = threads.max(1);
        for chunk in texts.chunks(4096) {
            let per = chunk.len().div_ceil(threads);
            let prepared: Vec<Prepared> = if threads == 1 || chunk.len() < 64 {
                chunk.iter().map(|t| self.prepare(t.as_ref())).collect()
            } else {
                let this = &*self;
                std::thread::scope(|s| {
                    let handles: Vec<_> = chunk
                        .chunks(per)
                        .map(|part| {
                            s.spawn(move || {
                                part.iter()
                                    .map(|t| this.prepare(t.as_ref()))
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .flat_map(|h| h.join().expect("signature threads do not panic"))
                        .collect()
                })
            };
            for p in prepared {
                self.insert(p);
            }
            progress(chunk.len());
        }
    }

    /// Root of `x` with path halving.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let gp = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = gp;
            x = gp;
        }
        x
    }

    fn root(&self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        true
    }

    /// Inserts a prepared document; returns its number.
    pub fn insert(&mut self, p: Prepared) -> u32 {
        let id = self.parent.len() as u32;
        self.parent.push(id);
        self.size.push(1);
        self.signatures.extend_from_slice(&p.signature);
        if p.shingles.is_empty() {
            self.shingles.push(p.shingles);
            return id;
        }
        let keys: Vec<u64> = (0..self.banding.bands)
            .map(|b| self.banding.key(&p.signature, b))
            .collect();
        if self.seen.len() < self.parent.len() {
            self.seen.resize(self.parent.len(), u32::MAX);
        }
        let k = p.signature.len();
        // A candidate whose signature estimate is 4 standard errors below the threshold is not
        // verified exactly (a pair at the threshold falls there with probability < 1e-4).
        let t = self.params.threshold;
        let floor = t - 4.0 * (t * (1.0 - t) / k as f64).sqrt();
        let max_candidates = self.params.max_verify.saturating_mul(16);
        let (mut verified, mut looked) = (0usize, 0usize);
        'bands: for (band, key) in keys.iter().enumerate() {
            let Some(members) = self.buckets[band].get_mut(key).map(std::mem::take) else {
                continue;
            };
            // Newest first: recent reposts are the likeliest matches.
            for &m in members.iter().rev() {
                if verified >= self.params.max_verify || looked >= max_candidates {
                    self.buckets[band].insert(*key, members);
                    break 'bands;
                }
                if self.seen[m as usize] == id {
                    continue;
                }
                self.seen[m as usize] = id;
                looked += 1;
                self.stats.candidates += 1;
                if self.find(m) == self.find(id) {
                    continue;
                }
                let sig = &self.signatures[m as usize * k..(m as usize + 1) * k];
                if estimate(&p.signature, sig) < floor {
                    continue;
                }
                verified += 1;
                self.stats.verified += 1;
                let other = &self.shingles[m as usize];
                let similar = if p.shingles.len().min(other.len()) < self.params.min_shingles {
                    p.shingles == *other
                } else {
                    jaccard(&p.shingles, other) >= t
                };
                if similar && self.union(m, id) {
                    self.stats.merges += 1;
                }
            }
            self.buckets[band].insert(*key, members);
        }
        for (band, key) in keys.into_iter().enumerate() {
            self.buckets[band].entry(key).or_default().push(id);
        }
        self.shingles.push(p.shingles);
        id
    }

    /// Cluster label of every document: the smallest document number in its cluster.
    pub fn labels(&self) -> Vec<u32> {
        let mut smallest: HashMap<u32, u32> = HashMap::new();
        let roots: Vec<u32> = (0..self.len() as u32).map(|i| self.root(i)).collect();
        for (i, r) in roots.iter().enumerate() {
            smallest.entry(*r).or_insert(i as u32);
        }
        roots.iter().map(|r| smallest[r]).collect()
    }

    /// Clusters as sorted member lists, ordered by their first member.
    pub fn clusters(&self) -> Vec<Vec<u32>> {
        let labels = self.labels();
        let mut by: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, l) in labels.iter().enumerate() {
            by.entry(*l).or_default().push(i as u32);
        }
        let mut out: Vec<Vec<u32>> = by.into_values().collect();
        out.sort_by_key(|c| c[0]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reposts_with_other_slots_join() {
        let mut ix = TemplateIndex::new(ClusterParams::default());
        let a = ix.add("Hiring waitresses in Dubai, salary 2500 USD per month, free flight and visa, call +971 50 123 4567 or write to jobs@example.com today");
        let b = ix.add("Hiring waitresses in Dubai, salary 3100 USD per month, free flight and visa, call +971 55 987 6543 or write to work@other.org today");
        let c = ix.add("Senior software engineer wanted for a fintech startup in Berlin; Rust and Kubernetes experience required");
        let l = ix.labels();
        assert_eq!(l[a as usize], l[b as usize]);
        assert_ne!(l[a as usize], l[c as usize]);
        assert_eq!(ix.clusters().len(), 2);
    }

    #[test]
    fn empty_documents_are_singletons() {
        let mut ix = TemplateIndex::new(ClusterParams::default());
        ix.add("");
        ix.add("");
        assert_eq!(ix.clusters().len(), 2);
    }
}
