//! Template clustering on planted corpora: recall/ARI, incremental = batch, templates, properties.

use std::path::{Path, PathBuf};

use cthub_detect::cluster::{ClusterParams, TemplateIndex};
use cthub_detect::corpus::{self, CorpusDoc, CorpusKind, CorpusSpec};
use cthub_detect::score::{adjusted_rand_index, agreement};
use cthub_detect::template;
use proptest::prelude::*;

fn synthetic(seed: u64, clusters: usize) -> Vec<CorpusDoc> {
    let mut spec = CorpusSpec::new(CorpusKind::Synthetic, seed);
    spec.clusters = clusters;
    spec.singletons = clusters;
    corpus::synthetic(&spec).expect("enough synthetic bases")
}

fn cluster(docs: &[CorpusDoc], params: ClusterParams) -> TemplateIndex {
    let mut ix = TemplateIndex::new(params);
    let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
    ix.add_batch(&texts, 2);
    ix
}

fn ari(docs: &[CorpusDoc], ix: &TemplateIndex) -> f64 {
    let truth: Vec<&str> = docs.iter().map(|d| d.label.as_str()).collect();
    adjusted_rand_index(&truth, &ix.labels())
}

/// Measured over seeds 1-12 (`examples/seeds.rs`): ARI 1.0000 for every seed (sd 0) on
/// synthetic corpora of 100 clusters + 100 singletons with slot and 10-20% word edits. The
/// corpus and the clustering are deterministic for a seed; the bound leaves room for a change of
/// parameters without flaking and stays far above the peers' 0.55 (PEERS.md).
#[test]
fn planted_synthetic_clusters_are_recovered() {
    let docs = synthetic(7, 100);
    let ix = cluster(&docs, ClusterParams::default());
    let truth: Vec<&str> = docs.iter().map(|d| d.label.as_str()).collect();
    let a = agreement(&truth, &ix.labels());
    println!("synthetic seed 7: {} docs, {a:?}", docs.len());
    assert!(a.ari >= 0.95, "{a:?}");
    assert!(a.pairwise_recall >= 0.95, "{a:?}");
}

#[test]
fn word_shingles_of_five_lose_pairs_under_word_edits() {
    // The reason for the default: 5-word shingles (the peer's setting) break under 10-20%
    // inserted/deleted words, while slot-normalised token sets do not.
    let docs = synthetic(3, 60);
    let mut p = ClusterParams::default();
    p.minhash.shingle = 5;
    let five = ari(&docs, &cluster(&docs, p));
    let one = ari(&docs, &cluster(&docs, ClusterParams::default()));
    println!("ARI 5-word shingles {five:.3}, token sets {one:.3}");
    assert!(one > five + 0.3, "{one} vs {five}");
}

#[test]
fn incremental_adds_give_the_batch_clusters() {
    let docs = synthetic(11, 60);
    let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
    let batch = cluster(&docs, ClusterParams::default());
    // One by one, and in two batches with a save/load in between.
    let mut single = TemplateIndex::new(ClusterParams::default());
    for t in &texts {
        single.add(t);
    }
    let mut first = TemplateIndex::new(ClusterParams::default());
    let half = texts.len() / 2;
    first.add_batch(&texts[..half], 2);
    let saved = serde_json::to_string(&first).unwrap();
    let mut second: TemplateIndex = serde_json::from_str::<TemplateIndex>(&saved)
        .unwrap()
        .restore();
    second.add_batch(&texts[half..], 1);
    assert_eq!(batch.clusters(), single.clusters());
    assert_eq!(batch.clusters(), second.clusters());
    // Adding a repost of a clustered document joins its cluster.
    let target = batch.clusters().into_iter().find(|c| c.len() >= 2).unwrap();
    let new = second.add(texts[target[0] as usize]);
    let labels = second.labels();
    assert_eq!(labels[new as usize], labels[target[0] as usize]);
}

#[test]
fn new_document_merges_two_clusters() {
    let mut ix = TemplateIndex::new(ClusterParams::default());
    let a = "alpha beta gamma delta epsilon zeta common words";
    let b = "lambda mu nu xi omicron pi common words";
    ix.add(a);
    ix.add(b);
    assert_eq!(ix.clusters().len(), 2);
    // Shares 8 of 14 distinct tokens with each (Jaccard 0.57 >= 0.5 with both).
    ix.add("alpha beta gamma delta epsilon zeta lambda mu nu xi omicron pi common words");
    assert_eq!(ix.clusters().len(), 1);
}

#[test]
fn templates_of_planted_clusters_mark_the_slots() {
    let mut spec = CorpusSpec::new(CorpusKind::Slots, 5);
    spec.clusters = 10;
    spec.singletons = 0;
    spec.min_copies = 6;
    spec.max_copies = 6;
    let bases = corpus::distinct_bases(corpus::synthetic_bases(5, 30), 30, 0.2);
    let docs = corpus::generate(&spec, &bases).unwrap();
    let ix = cluster(&docs, ClusterParams::default());
    assert_eq!(ari(&docs, &ix), 1.0);
    for c in ix.clusters() {
        let texts: Vec<&str> = c.iter().map(|&i| docs[i as usize].text.as_str()).collect();
        let sh: Vec<&[u32]> = c.iter().map(|&i| ix.shingles(i)).collect();
        let t = template::explain(&texts, &sh, 50);
        // Every generated contact sentence has a phone, an e-mail or a salary: a slot of numbers
        // or e-mails; the invented words of the base are all in the template.
        assert!(!t.slots.is_empty(), "{t:?}");
        assert!(t.template.contains("[[slot 1]]"));
        for s in &t.slots {
            assert!(s.distinct >= 2, "{s:?}");
        }
        let base_words: Vec<&str> = texts[t.medoid]
            .split_whitespace()
            .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()) && w.len() > 3)
            .collect();
        for w in base_words.iter().take(20) {
            assert!(t.template.contains(w), "{w} missing in {}", t.template);
        }
        // No phone number or e-mail of a member is left in the template text.
        assert!(!t.template.contains('@'), "{}", t.template);
    }
}

fn emscad() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/emscad-partial");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is absent", p.display());
        None
    }
}

/// Measured over seeds 1-12 (`examples/seeds.rs`, 300 clusters + 300 singletons): ARI 1.0000
/// for every seed on both corpora (sd 0). The bound is far below that and far above the peers
/// (0.65 / 0.55 in PEERS.md).
#[test]
fn emscad_planted_corpora() {
    let Some(dir) = emscad() else { return };
    let bases = corpus::emscad_bases(&dir).unwrap();
    assert!(bases.len() >= 600, "{} bases", bases.len());
    for kind in [CorpusKind::Slots, CorpusKind::Edits] {
        let spec = CorpusSpec::new(kind, 2);
        let docs = corpus::generate(&spec, &bases).unwrap();
        let a = ari(&docs, &cluster(&docs, ClusterParams::default()));
        println!("EMSCAD {kind:?}: {} docs, ARI {a:.4}", docs.len());
        assert!(a >= 0.95, "{kind:?}: {a}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ari_is_symmetric_bounded_and_label_free(
        truth in proptest::collection::vec(0u8..6, 2..40),
        pred in proptest::collection::vec(0u8..6, 40),
        shift in 1u8..50,
    ) {
        let pred = &pred[..truth.len()];
        let a = adjusted_rand_index(&truth, pred);
        let b = adjusted_rand_index(pred, &truth);
        prop_assert!((a - b).abs() < 1e-9);
        prop_assert!((-1.0 - 1e-12..=1.0 + 1e-12).contains(&a));
        let relabelled: Vec<u16> = truth.iter().map(|&x| x as u16 * 7 + shift as u16).collect();
        prop_assert!((adjusted_rand_index(&truth, &relabelled) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn clusters_partition_the_documents(words in proptest::collection::vec("[a-e]{1,2}( [a-e]{1,2}){0,12}", 1..30)) {
        let mut ix = TemplateIndex::new(ClusterParams::default());
        for w in &words {
            ix.add(w);
        }
        let mut all: Vec<u32> = ix.clusters().into_iter().flatten().collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..words.len() as u32).collect::<Vec<_>>());
        // Identical texts always share a cluster.
        let labels = ix.labels();
        for i in 0..words.len() {
            for j in 0..i {
                if words[i] == words[j] {
                    prop_assert_eq!(labels[i], labels[j]);
                }
            }
        }
    }
}
