//! ARI over seeds for the default parameters (to choose test bounds far from what is measured).
//!
//! usage: cargo run -p cthub-detect --example seeds [EMSCAD_DIR]

use cthub_detect::cluster::{ClusterParams, TemplateIndex};
use cthub_detect::corpus::{self, CorpusKind, CorpusSpec};
use cthub_detect::score::adjusted_rand_index;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/emscad-partial".into());
    let bases = corpus::emscad_bases(std::path::Path::new(&dir)).ok();
    for (kind, clusters) in [
        (CorpusKind::Synthetic, 100),
        (CorpusKind::Slots, 300),
        (CorpusKind::Edits, 300),
    ] {
        let mut aris = Vec::new();
        for seed in 1..=12u64 {
            let mut spec = CorpusSpec::new(kind, seed);
            spec.clusters = clusters;
            spec.singletons = clusters;
            let docs = match (kind, &bases) {
                (CorpusKind::Synthetic, _) => corpus::synthetic(&spec).unwrap(),
                (_, Some(b)) => corpus::generate(&spec, b).unwrap(),
                _ => continue,
            };
            let truth: Vec<&str> = docs.iter().map(|d| d.label.as_str()).collect();
            let mut ix = TemplateIndex::new(ClusterParams::default());
            let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
            ix.add_batch(&texts, 2);
            aris.push(adjusted_rand_index(&truth, &ix.labels()));
        }
        if aris.is_empty() {
            continue;
        }
        let n = aris.len() as f64;
        let mean = aris.iter().sum::<f64>() / n;
        let sd = (aris.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let min = aris.iter().cloned().fold(f64::MAX, f64::min);
        println!(
            "{kind:?}: mean ARI {mean:.5}, sd {sd:.5}, min {min:.5}, mean-7sd {:.4}",
            mean - 7.0 * sd
        );
    }
}
