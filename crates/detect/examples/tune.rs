//! Sweeps shingle size and threshold on planted corpora and prints ARI (a tuning aid).
//!
//! usage: cargo run -p cthub-detect --example tune [EMSCAD_DIR]

use cthub_detect::cluster::{ClusterParams, TemplateIndex};
use cthub_detect::corpus::{self, CorpusKind, CorpusSpec};
use cthub_detect::minhash::MinHashParams;
use cthub_detect::score::adjusted_rand_index;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/emscad-partial".into());
    let bases = corpus::emscad_bases(std::path::Path::new(&dir)).ok();
    if let Some(b) = &bases {
        println!("{} distinct EMSCAD bases", b.len());
    }
    for kind in [CorpusKind::Slots, CorpusKind::Edits, CorpusKind::Synthetic] {
        let spec = CorpusSpec::new(kind, 1);
        let docs = match (kind, &bases) {
            (CorpusKind::Synthetic, _) => corpus::synthetic(&spec).unwrap(),
            (_, Some(b)) => corpus::generate(&spec, b).unwrap(),
            _ => continue,
        };
        let truth: Vec<&str> = docs.iter().map(|d| d.label.as_str()).collect();
        for shingle in [1, 2, 3, 5] {
            for threshold in [0.3, 0.4, 0.5, 0.6] {
                let mut ix = TemplateIndex::new(ClusterParams {
                    minhash: MinHashParams {
                        shingle,
                        ..Default::default()
                    },
                    threshold,
                    ..Default::default()
                });
                let t = std::time::Instant::now();
                let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
                ix.add_batch(&texts, 2);
                let s = t.elapsed().as_secs_f64();
                let ari = adjusted_rand_index(&truth, &ix.labels());
                println!("{kind:?} docs={} shingle={shingle} t={threshold}: ARI {ari:.4} ({:.0} docs/s) {:?}", docs.len(), docs.len() as f64 / s, ix.stats());
            }
        }
    }
}
