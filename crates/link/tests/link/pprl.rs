//! Privacy-preserving linkage: encodings, fingerprints, Dice linkage, multiparty and the attack.

use cthub_link::pprl::{
    attack, dice, Encoder, EncodingSet, FieldEncoding, Hardening, LinkageSchema,
};
use cthub_link::synth::{name_population, typo};
use cthub_link::LinkError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

const SECRET: &[u8] = b"shared secret of the contributors, 32+ bytes";

fn schema(h: Hardening) -> LinkageSchema {
    LinkageSchema {
        filter_bits: 1024,
        fields: vec![
            FieldEncoding {
                name: "first".into(),
                q: 2,
                k: 20,
                normalize: cthub_link::normalize::Normalizer::Name,
            },
            FieldEncoding {
                name: "last".into(),
                q: 2,
                k: 20,
                normalize: cthub_link::normalize::Normalizer::Name,
            },
        ],
        hardening: h,
        blocking: vec![],
    }
}

fn encode(s: &LinkageSchema, secret: &[u8], first: &[String], last: &[String]) -> EncodingSet {
    let ids: Vec<String> = (0..first.len()).map(|i| i.to_string()).collect();
    Encoder::new(s.clone(), secret)
        .unwrap()
        .with_blip_seed(1)
        .encode(&ids, &[first, last])
        .unwrap()
}

#[test]
fn same_name_same_encoding_and_typos_stay_similar() {
    let s = schema(Hardening::default());
    let f = vec![
        "Anna".to_string(),
        "ANNA".into(),
        "Ana".into(),
        "Bob".into(),
        "".into(),
    ];
    let l = vec![
        "Müller".to_string(),
        "Muller".into(),
        "Muller".into(),
        "Stone".into(),
        "".into(),
    ];
    let e = encode(&s, SECRET, &f, &l);
    assert_eq!(e.filter(0), e.filter(1));
    assert!(dice::dice(e.filter(0), e.filter(2)) > 0.8);
    assert!(dice::dice(e.filter(0), e.filter(3)) < 0.3);
    assert_eq!(e.popcounts[4], 0, "missing fields set no bits");
    let back = EncodingSet::from_json(&e.to_json().unwrap()).unwrap();
    assert_eq!(back, e);
}

#[test]
fn mismatched_secret_or_schema_is_refused() {
    let s = schema(Hardening::default());
    let f = vec!["anna".to_string()];
    let l = vec!["smith".to_string()];
    let a = encode(&s, SECRET, &f, &l);
    let b = encode(&s, b"another secret of sixteen+ bytes", &f, &l);
    let err = dice::match_two(&a, &b, 0.8, false).unwrap_err();
    assert!(matches!(err, LinkError::SchemaMismatch { .. }), "{err}");
    assert!(err.to_string().contains("same shared secret"));
    let mut s2 = schema(Hardening::default());
    s2.fields[0].k = 10;
    let c = encode(&s2, SECRET, &f, &l);
    assert!(matches!(
        dice::match_two(&a, &c, 0.8, false),
        Err(LinkError::SchemaMismatch { .. })
    ));
    assert!(Encoder::new(s.clone(), b"short").is_err());
    let mut bad = s.clone();
    bad.filter_bits = 1000;
    assert!(matches!(
        Encoder::new(bad, SECRET),
        Err(LinkError::Schema(_))
    ));
    // A tampered file (lengths disagree) is refused.
    let mut t = a.clone();
    t.bits.pop();
    assert!(EncodingSet::from_json(&t.to_json().unwrap()).is_err());
}

/// Two parties share 800 of 1,000 people; the second copy has typos.
fn two_parties(h: Hardening) -> (f64, usize) {
    let (first, last, _, _, _) = name_population(1000, 5000, 0.3, 11);
    let mut rng = ChaCha12Rng::seed_from_u64(5);
    let dob: Vec<String> = (0..1000)
        .map(|_| {
            format!(
                "19{:02}-{:02}-{:02}",
                rng.random_range(40..99),
                rng.random_range(1..13),
                rng.random_range(1..29)
            )
        })
        .collect();
    let mut s = schema(h);
    s.fields.push(FieldEncoding {
        name: "dob".into(),
        q: 2,
        k: 20,
        normalize: cthub_link::normalize::Normalizer::Digits,
    });
    let ids: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let a = Encoder::new(s.clone(), SECRET)
        .unwrap()
        .with_blip_seed(2)
        .encode(&ids, &[&first, &last, &dob])
        .unwrap();
    let (mut f2, mut l2, mut d2, mut ids2) = (vec![], vec![], vec![], vec![]);
    for i in 0..800 {
        f2.push(if rng.random_bool(0.3) {
            typo(&mut rng, &first[i])
        } else {
            first[i].clone()
        });
        l2.push(if rng.random_bool(0.3) {
            typo(&mut rng, &last[i])
        } else {
            last[i].clone()
        });
        d2.push(dob[i].clone());
        ids2.push(i.to_string());
    }
    let b = Encoder::new(s, SECRET)
        .unwrap()
        .with_blip_seed(3)
        .encode(&ids2, &[&f2, &l2, &d2])
        .unwrap();
    let m = dice::match_two(&a, &b, 0.75, false).unwrap();
    let tp = m
        .iter()
        .filter(|(i, j, _)| a.ids[*i as usize] == b.ids[*j as usize])
        .count();
    let p = tp as f64 / m.len().max(1) as f64;
    let r = tp as f64 / 800.0;
    (2.0 * p * r / (p + r).max(1e-12), m.len())
}

#[test]
fn encoded_linkage_quality() {
    let (f1, n) = two_parties(Hardening::default());
    println!("encoded linkage, no hardening: F1 {f1:.4} ({n} matches)");
    assert!(f1 > 0.95, "{f1}");
    let (f1b, _) = two_parties(Hardening {
        balance: true,
        ..Default::default()
    });
    println!("encoded linkage, balanced: F1 {f1b:.4}");
    assert!(f1b > 0.9, "{f1b}");
}

#[test]
fn multiparty_clusters_have_one_record_per_party() {
    let s = schema(Hardening::default());
    let (first, last, _, _, _) = name_population(200, 1000, 0.3, 3);
    let sets: Vec<EncodingSet> = (0..3).map(|_| encode(&s, SECRET, &first, &last)).collect();
    let refs: Vec<&EncodingSet> = sets.iter().collect();
    let clusters = dice::match_multi(&refs, 0.9, false).unwrap();
    assert!(!clusters.is_empty());
    for c in &clusters {
        let mut parties: Vec<u16> = c.iter().map(|x| x.0).collect();
        parties.sort_unstable();
        parties.dedup();
        assert_eq!(parties.len(), c.len());
    }
}

#[test]
fn attack_reidentifies_less_with_hardening() {
    let (first, last, list, probs, truth) = name_population(10_000, 500, 1.0, 2024);
    let mut shares = Vec::new();
    for (label, h) in [
        ("none", Hardening::default()),
        (
            "balance",
            Hardening {
                balance: true,
                ..Default::default()
            },
        ),
        (
            "xor_fold",
            Hardening {
                xor_fold: true,
                ..Default::default()
            },
        ),
        (
            "blip eps=4",
            Hardening {
                blip_epsilon: Some(4.0),
                ..Default::default()
            },
        ),
        (
            "blip eps=2",
            Hardening {
                blip_epsilon: Some(2.0),
                ..Default::default()
            },
        ),
    ] {
        let s = schema(h);
        let e = encode(&s, SECRET, &first, &last);
        let r = attack::run(&e, &s, &list, &probs, &truth, 30, 3);
        println!(
            "ATTACK hardening={label:<11} records={} distinct={} anchors={} grams_learned={} reidentified={} share={:.1}%",
            r.records, r.distinct_encodings, r.anchors, r.grams_learned, r.reidentified, 100.0 * r.share
        );
        shares.push(r.share);
    }
    assert!(
        shares[0] > 0.2,
        "the attack should work on unhardened encodings: {shares:?}"
    );
    assert!(
        shares[3] < shares[0] / 2.0 && shares[4] < shares[0] / 2.0,
        "{shares:?}"
    );
}

#[test]
fn keyed_blocking_finds_the_same_matches_with_fewer_comparisons() {
    let (first, last, _, _, _) = name_population(2000, 20_000, 0.2, 9);
    let mut s = schema(Hardening::default());
    s.blocking = vec![vec!["last:2".into()], vec!["first:3".into()]];
    let ids: Vec<String> = (0..first.len()).map(|i| i.to_string()).collect();
    let enc = Encoder::new(s.clone(), SECRET).unwrap();
    let a = enc.encode(&ids, &[&first, &last]).unwrap();
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let f2: Vec<String> = first
        .iter()
        .map(|f| {
            if rng.random_bool(0.2) {
                typo(&mut rng, f)
            } else {
                f.clone()
            }
        })
        .collect();
    let b = enc.encode(&ids, &[&f2, &last]).unwrap();
    assert_eq!(a.block_keys.len(), a.len());
    let all = dice::match_two(&a, &b, 0.8, false).unwrap();
    let blocked = dice::match_two(&a, &b, 0.8, true).unwrap();
    let correct = |m: &[(u32, u32, f32)]| m.iter().filter(|(i, j, _)| i == j).count();
    println!(
        "keyed blocking: {} of {} correct matches kept",
        correct(&blocked),
        correct(&all)
    );
    assert!(correct(&blocked) as f64 >= 0.97 * correct(&all) as f64);
    // A schema blocking key naming no field is refused.
    let mut bad = s.clone();
    bad.blocking = vec![vec!["nope".into()]];
    assert!(matches!(
        Encoder::new(bad, SECRET),
        Err(LinkError::Schema(_))
    ));
}
