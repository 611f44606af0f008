//! Linkage at the hub: the parties' encodings in, persons, a review queue and overlap out.
//!
//! The hub holds one [`EncodingSet`] per contributing organisation (a *party*) and never a name.
//! [`link_parties`] compares every pair of parties by Dice similarity and sorts each pair into
//! one of three bins:
//!
//! * **match**: Dice ≥ `match_threshold`, or the operator *accepted* the pair earlier;
//! * **review**: `review_threshold` ≤ Dice < `match_threshold` and not decided yet — the
//!   uncertain pairs an operator should look at;
//! * **non-match**: below `review_threshold`, or the operator *rejected* the pair earlier
//!   (a rejection wins over any similarity).
//!
//! Match edges are clustered greedily from the strongest down (accepted pairs first) with at most
//! one record per party in a person, the same rule as [`super::dice::match_multi`]: chaining
//! through a third party can never put two records of one organisation into one person. A match
//! edge refused by that rule is a *conflict* and goes to the review queue too, unless decided.
//! A rejected pair never ends up in one person, not even through third records: a merge that
//! would join the two sides of a rejection is refused the same way.
//! A review pair whose two records ended up in one person anyway (through other matches) is not
//! queued: there is nothing left to decide.
//!
//! Decisions are keyed by the two records' (party, record id) so they survive new encodings of
//! the same records and apply to every later run. Everything is deterministic: the same
//! encodings and decisions give the same persons and queue, whatever the thread count.
//!
//! [`Overlap`] says how many persons each party knows, how many are known to more than one
//! party and to which pairs of parties: the statistic the hub operator needs to say that a
//! person counted by two organisations is counted once.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{dice, EncodingSet};
use crate::error::{LinkError, Result};

/// One party's encodings under its name (at the hub: the organisation).
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    pub name: &'a str,
    pub encodings: &'a EncodingSet,
}

/// Thresholds of a hub linkage run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HubParams {
    /// Dice similarity at or above which two encodings are the same person.
    pub match_threshold: f64,
    /// Dice similarity at or above which an unmatched pair is queued for review.
    pub review_threshold: f64,
    /// Compare only pairs sharing a keyed blocking value (when the schema has blocking rules).
    pub use_blocking: bool,
}

impl Default for HubParams {
    fn default() -> Self {
        HubParams {
            match_threshold: 0.8,
            review_threshold: 0.7,
            use_blocking: true,
        }
    }
}

impl HubParams {
    /// Checks `0 ≤ review ≤ match ≤ 1`.
    pub fn check(&self) -> Result<()> {
        let ok = |t: f64| t.is_finite() && (0.0..=1.0).contains(&t);
        if !ok(self.match_threshold) || !ok(self.review_threshold) {
            return Err(LinkError::Settings(format!(
                "thresholds must lie in [0, 1] (match {}, review {})",
                self.match_threshold, self.review_threshold
            )));
        }
        if self.review_threshold > self.match_threshold {
            return Err(LinkError::Settings(format!(
                "the review threshold ({}) must not exceed the match threshold ({})",
                self.review_threshold, self.match_threshold
            )));
        }
        Ok(())
    }
}

/// A record: its party's index among the run's parties and its index in that party's set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordAt {
    pub party: u16,
    pub record: u32,
}

/// The operator's word on a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The same person.
    Accept,
    /// Different persons.
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::Reject => "reject",
        }
    }
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "accept" => Some(Decision::Accept),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
}

/// A pair of records by (party name, record id), in a canonical order (the smaller first), so a
/// decision keyed by it is found whichever way round the pair comes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PairKey {
    pub a: (String, String),
    pub b: (String, String),
}

impl PairKey {
    pub fn new(party_a: &str, id_a: &str, party_b: &str, id_b: &str) -> PairKey {
        let x = (party_a.to_string(), id_a.to_string());
        let y = (party_b.to_string(), id_b.to_string());
        if x <= y {
            PairKey { a: x, b: y }
        } else {
            PairKey { a: y, b: x }
        }
    }
}

/// Why a pair is in the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewReason {
    /// Similarity between the review and the match threshold.
    Uncertain,
    /// Above the match threshold, but joining would put two records of one party into one
    /// person (one of them matched someone else more strongly).
    Conflict,
}

impl ReviewReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewReason::Uncertain => "uncertain",
            ReviewReason::Conflict => "conflict",
        }
    }
}

/// A pair for the operator to decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewPair {
    pub a: RecordAt,
    pub b: RecordAt,
    pub similarity: f32,
    pub reason: ReviewReason,
}

/// How many persons are known to one party, to several, and to each pair of parties.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Overlap {
    /// Records per party (in party order).
    pub records: Vec<u64>,
    /// Records per party that are linked to a record of another party.
    pub linked_records: Vec<u64>,
    /// Distinct persons over all parties (linked clusters plus unlinked records).
    pub persons: u64,
    /// Persons known to two or more parties.
    pub persons_in_several: u64,
    /// `persons_by_parties[k]` = persons known to exactly `k + 1` parties.
    pub persons_by_parties: Vec<u64>,
    /// `(p, q, n)`: `n` persons known to both party `p` and party `q` (p < q).
    pub shared: Vec<(u16, u16, u64)>,
}

/// What a run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubLinkage {
    /// Persons with records at two or more parties (sorted; each sorted by party).
    pub persons: Vec<Vec<RecordAt>>,
    /// Pairs to review, strongest first.
    pub review: Vec<ReviewPair>,
    /// Candidate pairs compared at or above the review threshold.
    pub candidate_pairs: u64,
    /// Match edges used (similarity or accepted).
    pub match_edges: u64,
    /// Decisions that applied to a pair of this run: accepted, rejected.
    pub accepted_applied: u64,
    pub rejected_applied: u64,
    /// Decisions naming a record no party has any more (kept, not applied).
    pub decisions_unmatched: u64,
    pub overlap: Overlap,
}

/// Links the parties' encodings (same schema and secret; at most 64 parties, each name once)
/// under `params`, applying the operator's earlier `decisions`.
pub fn link_parties(
    parties: &[Party<'_>],
    params: &HubParams,
    decisions: &HashMap<PairKey, Decision>,
) -> Result<HubLinkage> {
    params.check()?;
    if parties.len() < 2 {
        return Err(LinkError::Datasets(format!(
            "linkage needs encodings of at least two parties, got {}",
            parties.len()
        )));
    }
    if parties.len() > 64 {
        return Err(LinkError::Datasets("at most 64 parties".into()));
    }
    let first = parties[0].encodings.fingerprint.clone();
    for p in parties {
        p.encodings
            .check(&first, &format!("the encodings of {}", p.name))?;
    }
    let mut names: Vec<&str> = parties.iter().map(|p| p.name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(LinkError::Datasets(format!(
            "party {:?} is given twice",
            w[0]
        )));
    }

    // Look-up of records by id for the decisions; duplicate ids would make decisions ambiguous.
    let mut by_id: Vec<HashMap<&str, u32>> = Vec::with_capacity(parties.len());
    for p in parties {
        let mut m = HashMap::with_capacity(p.encodings.len());
        for (i, id) in p.encodings.ids.iter().enumerate() {
            if m.insert(id.as_str(), i as u32).is_some() {
                return Err(LinkError::Datasets(format!(
                    "{}: record id {id:?} appears twice in its encodings",
                    p.name
                )));
            }
        }
        by_id.push(m);
    }
    let party_index: HashMap<&str, u16> = parties
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name, i as u16))
        .collect();
    let key_of = |a: RecordAt, b: RecordAt| {
        let pa = &parties[a.party as usize];
        let pb = &parties[b.party as usize];
        PairKey::new(
            pa.name,
            &pa.encodings.ids[a.record as usize],
            pb.name,
            &pb.encodings.ids[b.record as usize],
        )
    };

    // Candidates at the review threshold for every pair of parties.
    let mut cands: Vec<(RecordAt, RecordAt, f32)> = Vec::new();
    for p in 0..parties.len() {
        for q in p + 1..parties.len() {
            for (i, j, d) in dice::candidates(
                parties[p].encodings,
                parties[q].encodings,
                params.review_threshold,
                params.use_blocking,
            )? {
                cands.push((
                    RecordAt {
                        party: p as u16,
                        record: i,
                    },
                    RecordAt {
                        party: q as u16,
                        record: j,
                    },
                    d,
                ));
            }
        }
    }
    let candidate_pairs = cands.len() as u64;

    // Accepted pairs the candidate search did not find (blocking, or below the review
    // threshold) still count: the operator said so.
    let mut accepted_extra = Vec::new();
    let mut rejected_pairs: Vec<(RecordAt, RecordAt)> = Vec::new();
    let mut decisions_unmatched = 0u64;
    {
        let seen: std::collections::HashSet<PairKey> = cands
            .iter()
            .filter(|(a, b, _)| decisions.contains_key(&key_of(*a, *b)))
            .map(|(a, b, _)| key_of(*a, *b))
            .collect();
        let mut keys: Vec<(&PairKey, &Decision)> = decisions.iter().collect();
        keys.sort_by(|x, y| x.0.cmp(y.0));
        for (k, d) in keys {
            let locate = |(party, id): &(String, String)| {
                let p = *party_index.get(party.as_str())?;
                let r = *by_id[p as usize].get(id.as_str())?;
                Some(RecordAt {
                    party: p,
                    record: r,
                })
            };
            match (locate(&k.a), locate(&k.b)) {
                (Some(a), Some(b)) => {
                    if *d == Decision::Reject {
                        rejected_pairs.push((a, b));
                    }
                    if *d == Decision::Accept && !seen.contains(k) && a.party != b.party {
                        let (a, b) = if a <= b { (a, b) } else { (b, a) };
                        let s = dice::dice(
                            parties[a.party as usize]
                                .encodings
                                .filter(a.record as usize),
                            parties[b.party as usize]
                                .encodings
                                .filter(b.record as usize),
                        ) as f32;
                        accepted_extra.push((a, b, s));
                    }
                }
                _ => decisions_unmatched += 1,
            }
        }
    }

    // Sort into bins.
    let mut edges: Vec<(f32, f32, RecordAt, RecordAt)> = Vec::new(); // (priority, dice, a, b)
    let mut uncertain: Vec<(RecordAt, RecordAt, f32)> = Vec::new();
    let (mut accepted_applied, mut rejected_applied) = (0u64, 0u64);
    for (a, b, d) in cands.into_iter().chain(accepted_extra) {
        match decisions.get(&key_of(a, b)) {
            Some(Decision::Reject) => rejected_applied += 1,
            Some(Decision::Accept) => {
                accepted_applied += 1;
                edges.push((2.0, d, a, b));
            }
            None if f64::from(d) >= params.match_threshold => edges.push((d, d, a, b)),
            None => uncertain.push((a, b, d)),
        }
    }
    edges.sort_by(|x, y| {
        y.0.total_cmp(&x.0)
            .then(y.1.total_cmp(&x.1))
            .then((x.2, x.3).cmp(&(y.2, y.3)))
    });

    // Greedy clustering, one record per party per person.
    let offsets: Vec<u32> = parties
        .iter()
        .scan(0u32, |acc, p| {
            let o = *acc;
            *acc += p.encodings.len() as u32;
            Some(o)
        })
        .collect();
    let flat = |r: RecordAt| offsets[r.party as usize] + r.record;
    let n: usize = parties.iter().map(|p| p.encodings.len()).sum();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut mask: Vec<u64> = Vec::with_capacity(n);
    for (p, party) in parties.iter().enumerate() {
        mask.extend(std::iter::repeat_n(1u64 << p, party.encodings.len()));
    }
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    // Rejected pairs by record, and the members of every cluster that holds one, so a merge
    // that would put a rejected pair into one person (through third records) is refused.
    let mut rejected_with: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(a, b) in &rejected_pairs {
        rejected_with.entry(flat(a)).or_default().push(flat(b));
        rejected_with.entry(flat(b)).or_default().push(flat(a));
    }
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut review: Vec<ReviewPair> = Vec::new();
    let mut match_edges = 0u64;
    for &(priority, d, a, b) in &edges {
        let (ra, rb) = (find(&mut parent, flat(a)), find(&mut parent, flat(b)));
        if ra == rb {
            match_edges += 1;
            continue;
        }
        let of = |r: u32, members: &HashMap<u32, Vec<u32>>| {
            members.get(&r).cloned().unwrap_or_else(|| vec![r])
        };
        let apart = !rejected_with.is_empty() && {
            let (ma, mb) = (of(ra, &members), of(rb, &members));
            ma.iter().any(|x| {
                rejected_with
                    .get(x)
                    .is_some_and(|ys| ys.iter().any(|y| mb.contains(y)))
            })
        };
        if !apart && mask[ra as usize] & mask[rb as usize] == 0 {
            let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[child as usize] = root;
            mask[root as usize] |= mask[child as usize];
            match_edges += 1;
            if !rejected_with.is_empty() {
                let mut all = of(root, &members);
                all.extend(of(child, &members));
                members.remove(&child);
                members.insert(root, all);
            }
        } else if priority <= 1.0 {
            review.push(ReviewPair {
                a,
                b,
                similarity: d,
                reason: ReviewReason::Conflict,
            });
        }
    }
    for (a, b, d) in uncertain {
        if find(&mut parent, flat(a)) != find(&mut parent, flat(b)) {
            review.push(ReviewPair {
                a,
                b,
                similarity: d,
                reason: ReviewReason::Uncertain,
            });
        }
    }
    review.sort_by(|x, y| {
        y.similarity
            .total_cmp(&x.similarity)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });

    // Persons and overlap.
    let mut groups: BTreeMap<u32, Vec<RecordAt>> = BTreeMap::new();
    for (p, party) in parties.iter().enumerate() {
        for i in 0..party.encodings.len() as u32 {
            let r = RecordAt {
                party: p as u16,
                record: i,
            };
            let root = find(&mut parent, flat(r));
            groups.entry(root).or_default().push(r);
        }
    }
    let k = parties.len();
    let mut overlap = Overlap {
        records: parties.iter().map(|p| p.encodings.len() as u64).collect(),
        linked_records: vec![0; k],
        persons: groups.len() as u64,
        persons_in_several: 0,
        persons_by_parties: vec![0; k],
        shared: Vec::new(),
    };
    let mut shared: BTreeMap<(u16, u16), u64> = BTreeMap::new();
    let mut persons: Vec<Vec<RecordAt>> = Vec::new();
    for (_, g) in groups {
        overlap.persons_by_parties[g.len() - 1] += 1;
        if g.len() < 2 {
            continue;
        }
        overlap.persons_in_several += 1;
        for (x, r) in g.iter().enumerate() {
            overlap.linked_records[r.party as usize] += 1;
            for s in &g[x + 1..] {
                *shared.entry((r.party, s.party)).or_default() += 1;
            }
        }
        persons.push(g);
    }
    overlap.shared = shared.into_iter().map(|((p, q), n)| (p, q, n)).collect();
    persons.sort();
    Ok(HubLinkage {
        persons,
        review,
        candidate_pairs,
        match_edges,
        accepted_applied,
        rejected_applied,
        decisions_unmatched,
        overlap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pprl::{Encoder, LinkageSchema};

    const SCHEMA: &str = r#"
filter_bits = 1024
[[fields]]
name = "first"
k = 20
[[fields]]
name = "last"
k = 20
[[fields]]
name = "dob"
k = 10
q = 1
normalize = "digits"
"#;

    fn encode(ids: &[&str], rows: &[(&str, &str, &str)], secret: &[u8]) -> EncodingSet {
        let schema = LinkageSchema::from_toml(SCHEMA).unwrap();
        let enc = Encoder::new(schema, secret).unwrap();
        let col = |k: usize| -> Vec<String> {
            rows.iter()
                .map(|r| [r.0, r.1, r.2][k].to_string())
                .collect()
        };
        let (a, b, c) = (col(0), col(1), col(2));
        let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        enc.encode(&ids, &[&a, &b, &c]).unwrap()
    }

    /// The three parties A, B, C.
    fn named<'a>(a: &'a EncodingSet, b: &'a EncodingSet, c: &'a EncodingSet) -> [Party<'a>; 3] {
        [("A", a), ("B", b), ("C", c)].map(|(name, encodings)| Party { name, encodings })
    }

    fn parties3() -> (EncodingSet, EncodingSet, EncodingSet) {
        let s = b"a shared secret of the parties";
        let a = encode(
            &["a1", "a2", "a3"],
            &[
                ("maria", "lopez", "19900101"),
                ("john", "smith", "19851231"),
                ("amina", "yusuf", "20010704"),
            ],
            s,
        );
        let b = encode(
            &["b1", "b2", "b3"],
            &[
                ("maria", "lopes", "19900101"),
                ("jon", "smith", "19851231"),
                ("peter", "novak", "19700303"),
            ],
            s,
        );
        let c = encode(
            &["c1", "c2"],
            &[
                ("maria", "lopez", "19900101"),
                ("olga", "ivanova", "19950505"),
            ],
            s,
        );
        (a, b, c)
    }

    fn params() -> HubParams {
        HubParams {
            match_threshold: 0.85,
            review_threshold: 0.5,
            use_blocking: false,
        }
    }

    #[test]
    fn three_parties_give_persons_review_and_overlap() {
        let (a, b, c) = parties3();
        let parties = named(&a, &b, &c);
        let out = link_parties(&parties, &params(), &HashMap::new()).unwrap();
        // Maria is known to all three parties.
        let maria = out
            .persons
            .iter()
            .find(|p| {
                p.contains(&RecordAt {
                    party: 0,
                    record: 0,
                })
            })
            .expect("maria linked");
        assert_eq!(maria.len(), 3);
        assert_eq!(out.overlap.persons_by_parties[2], 1);
        // Every record is in exactly one person.
        let total: u64 = out
            .overlap
            .persons_by_parties
            .iter()
            .enumerate()
            .map(|(k, n)| (k as u64 + 1) * n)
            .sum();
        assert_eq!(total, 8);
        assert_eq!(
            out.overlap.persons,
            out.overlap.persons_by_parties.iter().sum::<u64>()
        );
        // No person holds two records of one party.
        for p in &out.persons {
            let mut parties: Vec<u16> = p.iter().map(|r| r.party).collect();
            parties.sort_unstable();
            parties.dedup();
            assert_eq!(parties.len(), p.len());
        }
        // The unrelated people are not linked to anyone.
        for lonely in [
            RecordAt {
                party: 1,
                record: 2,
            },
            RecordAt {
                party: 2,
                record: 1,
            },
        ] {
            assert!(!out.persons.iter().any(|p| p.contains(&lonely)));
        }
    }

    #[test]
    fn decisions_move_pairs_in_and_out() {
        let (a, b, c) = parties3();
        let parties = named(&a, &b, &c);
        let strict = HubParams {
            match_threshold: 0.99,
            review_threshold: 0.5,
            use_blocking: false,
        };
        let before = link_parties(&parties, &strict, &HashMap::new()).unwrap();
        let john = (
            RecordAt {
                party: 0,
                record: 1,
            },
            RecordAt {
                party: 1,
                record: 1,
            },
        );
        let queued = before
            .review
            .iter()
            .find(|r| (r.a, r.b) == john)
            .expect("john/jon is uncertain at 0.99");
        assert_eq!(queued.reason, ReviewReason::Uncertain);
        assert!(!before.persons.iter().any(|p| p.contains(&john.0)));

        // Accept john/jon, reject the exact maria A–C pair.
        let mut d = HashMap::new();
        d.insert(PairKey::new("B", "b2", "A", "a2"), Decision::Accept);
        d.insert(PairKey::new("A", "a1", "C", "c1"), Decision::Reject);
        d.insert(PairKey::new("A", "gone", "C", "c1"), Decision::Accept);
        let after = link_parties(&parties, &strict, &d).unwrap();
        assert!(after
            .persons
            .iter()
            .any(|p| p.contains(&john.0) && p.contains(&john.1)));
        assert!(!after.review.iter().any(|r| (r.a, r.b) == john));
        assert!(!after.persons.iter().any(|p| p.contains(&RecordAt {
            party: 0,
            record: 0
        }) && p.contains(&RecordAt {
            party: 2,
            record: 0
        })));
        assert_eq!(after.accepted_applied, 1);
        assert_eq!(after.rejected_applied, 1);
        assert_eq!(after.decisions_unmatched, 1);
    }

    #[test]
    fn refuses_bad_input() {
        let (a, b, _) = parties3();
        let other = encode(
            &["x"],
            &[("maria", "lopez", "19900101")],
            b"another secret!!!!",
        );
        let err = link_parties(
            &[
                Party {
                    name: "A",
                    encodings: &a,
                },
                Party {
                    name: "X",
                    encodings: &other,
                },
            ],
            &params(),
            &HashMap::new(),
        )
        .unwrap_err();
        assert!(matches!(err, LinkError::SchemaMismatch { .. }), "{err}");
        let err = link_parties(
            &[
                Party {
                    name: "A",
                    encodings: &a,
                },
                Party {
                    name: "A",
                    encodings: &b,
                },
            ],
            &params(),
            &HashMap::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
        let bad = HubParams {
            match_threshold: 0.6,
            review_threshold: 0.7,
            use_blocking: false,
        };
        assert!(link_parties(
            &[
                Party {
                    name: "A",
                    encodings: &a
                },
                Party {
                    name: "B",
                    encodings: &b
                },
            ],
            &bad,
            &HashMap::new(),
        )
        .is_err());
        assert!(link_parties(
            &[Party {
                name: "A",
                encodings: &a
            }],
            &params(),
            &HashMap::new()
        )
        .is_err());
    }

    #[test]
    fn deterministic() {
        let (a, b, c) = parties3();
        let parties = named(&a, &b, &c);
        let x = link_parties(&parties, &params(), &HashMap::new()).unwrap();
        let y = link_parties(&parties, &params(), &HashMap::new()).unwrap();
        assert_eq!(x, y);
    }

    /// A record of a generated party: its reference and (first name, last name, date of birth).
    type Row<'a> = (String, (&'a str, &'a str, &'a str));

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Whatever the data and decisions: persons partition the records, no person holds two
        /// records of one party, a rejected pair is never one person, and every review pair is
        /// between records of two different persons.
        #[test]
        fn persons_partition_and_decisions_hold(
            names in proptest::collection::vec((0u8..4, 0u8..4, 0u8..3), 3..12),
            split in proptest::collection::vec(0u8..3, 12),
            rejects in proptest::collection::vec((0usize..12, 0usize..12), 0..4),
        ) {
            let first = ["maria", "marie", "john", "jon"];
            let last = ["lopez", "lopes", "smith", "smyth"];
            let dob = ["19900101", "19900110", "19851231"];
            let mut rows: [Vec<Row<'_>>; 3] = Default::default();
            for (i, (f, l, d)) in names.iter().enumerate() {
                let p = split[i] as usize;
                rows[p].push((format!("r{i}"), (first[*f as usize], last[*l as usize], dob[*d as usize])));
            }
            let s = b"a shared secret of the parties";
            let sets: Vec<EncodingSet> = rows
                .iter()
                .map(|r| {
                    let ids: Vec<&str> = r.iter().map(|x| x.0.as_str()).collect();
                    let vals: Vec<(&str, &str, &str)> = r.iter().map(|x| x.1).collect();
                    encode(&ids, &vals, s)
                })
                .collect();
            let names_p = ["A", "B", "C"];
            let parties: Vec<Party<'_>> = sets
                .iter()
                .enumerate()
                .map(|(i, e)| Party { name: names_p[i], encodings: e })
                .collect();
            let party_of = |i: usize| split[i] as usize;
            let mut d = HashMap::new();
            for &(x, y) in &rejects {
                if x < names.len() && y < names.len() && party_of(x) != party_of(y) {
                    d.insert(
                        PairKey::new(names_p[party_of(x)], &format!("r{x}"), names_p[party_of(y)], &format!("r{y}")),
                        Decision::Reject,
                    );
                }
            }
            let out = link_parties(&parties, &HubParams { match_threshold: 0.8, review_threshold: 0.6, use_blocking: false }, &d).unwrap();
            let total: usize = sets.iter().map(|e| e.len()).sum();
            let mut seen = std::collections::HashSet::new();
            for p in &out.persons {
                proptest::prop_assert!(p.len() >= 2);
                let mut ps: Vec<u16> = p.iter().map(|r| r.party).collect();
                ps.sort();
                ps.dedup();
                proptest::prop_assert_eq!(ps.len(), p.len());
                for r in p {
                    proptest::prop_assert!(seen.insert(*r));
                }
            }
            let singles = total - seen.len();
            proptest::prop_assert_eq!(out.overlap.persons as usize, out.persons.len() + singles);
            let id_of = |r: &RecordAt| (names_p[r.party as usize], sets[r.party as usize].ids[r.record as usize].clone());
            for k in d.keys() {
                for p in &out.persons {
                    let ids: Vec<(&str, String)> = p.iter().map(id_of).collect();
                    let has = |x: &(String, String)| ids.iter().any(|(a, b)| *a == x.0 && *b == x.1);
                    proptest::prop_assert!(!(has(&k.a) && has(&k.b)), "a rejected pair was linked");
                }
            }
            for r in &out.review {
                let together = out.persons.iter().any(|p| p.contains(&r.a) && p.contains(&r.b));
                proptest::prop_assert!(!together);
            }
        }
    }
}
