//! Linkage at the hub, end to end: the organisations' newest encoded submissions in, a stored
//! run out (person ids with provenance, a review queue, overlap statistics).
//!
//! Used by `cthub linkage ...` and by the API. A reference names a stored case record of the
//! submitting organisation by its `case.reference` (mapped at import) or as `record:<id>`. The Dice comparison and clustering are the link
//! crate's ([`cthub_link::pprl::hub::link_parties`]); this module reads the submissions and the
//! operator's decisions from the store, maps each encoded record reference to the stored case
//! record of the same organisation whose `case.reference` it is, numbers the persons and stores
//! the run (`cthub_store::linkage`).
//!
//! Person ids are numbered 1, 2, … per run in a fixed order (organisations by id, then the
//! order of their encodings); a record linked to nobody is a person of its own. Releases bound
//! contributions per person with them (`cthub release dp --person-id linkage`).

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Context};
use cthub_link::pprl::hub::{link_parties, Decision, HubParams, PairKey, Party};
use cthub_link::pprl::EncodingSet;
use cthub_store::linkage::{self, LinkSide, LinkageRun, NewRun, PersonLink, ReviewEntry};
use cthub_store::Store;
use serde::Serialize;

/// Checks a submission before it is stored: it parses as an encoding set, has records, no record
/// reference twice or empty, and (when other organisations submitted already) the same schema
/// fingerprint as theirs. Returns the parsed set.
pub fn check_submission(
    store: &mut dyn Store,
    organisation_id: i64,
    content: &[u8],
) -> anyhow::Result<EncodingSet> {
    let text = std::str::from_utf8(content).context("the encodings are not UTF-8 JSON")?;
    let set = EncodingSet::from_json(text)
        .map_err(|e| anyhow::anyhow!("not an encoding file of `cthub encode`: {e}"))?;
    if set.is_empty() {
        bail!("the encoding file holds no records");
    }
    let mut seen = std::collections::HashSet::with_capacity(set.len());
    for (i, id) in set.ids.iter().enumerate() {
        if id.trim().is_empty() {
            bail!("record {} of the encoding file has an empty id", i + 1);
        }
        if !seen.insert(id.as_str()) {
            bail!("record id {id:?} appears twice in the encoding file");
        }
    }
    for (other, _) in linkage::latest_submissions(store)? {
        if other.organisation.id != organisation_id && other.fingerprint != set.fingerprint {
            bail!(
                "these encodings have schema fingerprint {} but {} submitted under {}: \
                 all organisations must encode with the same linkage schema and shared secret",
                set.fingerprint,
                other.organisation.name,
                other.fingerprint
            );
        }
    }
    Ok(set)
}

/// What a run reports (also stored as the run's summary).
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub parties: Vec<PartySummary>,
    /// Distinct persons over all organisations' encoded records.
    pub persons: u64,
    /// Persons known to two or more organisations.
    pub persons_in_several: u64,
    /// `persons_by_organisations[k]`: persons known to exactly k + 1 organisations.
    pub persons_by_organisations: Vec<u64>,
    /// Persons known to both of two organisations.
    pub shared: Vec<SharedPersons>,
    pub candidate_pairs: u64,
    pub match_edges: u64,
    pub review_pairs: u64,
    pub review_conflicts: u64,
    pub decisions_accepted_applied: u64,
    pub decisions_rejected_applied: u64,
    pub decisions_unmatched: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartySummary {
    pub organisation_id: i64,
    pub organisation: String,
    pub submission_id: i64,
    pub records: u64,
    /// Records linked to a record of another organisation.
    pub linked_records: u64,
    /// Records whose reference names a stored case record of the organisation.
    pub case_records_matched: u64,
    /// References naming two or more stored case records of the organisation (left unmapped).
    pub case_references_ambiguous: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SharedPersons {
    pub organisation_a: String,
    pub organisation_b: String,
    pub persons: u64,
}

/// How encoded record references find stored case records.
struct CaseRefs {
    /// Case record id per (organisation id, case reference); `None` where ambiguous.
    by_reference: HashMap<(i64, String), Option<i64>>,
    /// Organisation of every stored record (for `record:<id>` references).
    org_of_record: HashMap<i64, i64>,
}

impl CaseRefs {
    /// The case record `reference` of `org` names: its `case.reference`, or `record:<id>` (the
    /// hub's own record id, as the contributor's record listing shows it). `Err(())`: ambiguous.
    fn find(&self, org: i64, reference: &str) -> Result<Option<i64>, ()> {
        match self.by_reference.get(&(org, reference.to_string())) {
            Some(Some(r)) => return Ok(Some(*r)),
            Some(None) => return Err(()),
            None => {}
        }
        Ok(reference
            .strip_prefix("record:")
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|r| self.org_of_record.get(r) == Some(&org)))
    }
}

fn case_references(store: &mut dyn Store) -> anyhow::Result<CaseRefs> {
    let orgs: HashMap<String, i64> = cthub_store::hub::organisations(store)?
        .into_iter()
        .map(|o| (o.name, o.id))
        .collect();
    let contribution_org: HashMap<i64, Option<i64>> = store
        .contributions()?
        .into_iter()
        .map(|c| (c.id, orgs.get(&c.organisation).copied()))
        .collect();
    let mut out: HashMap<(i64, String), Option<i64>> = HashMap::new();
    let mut org_of_record = HashMap::new();
    store.for_each_record(None, &mut |r| {
        let Some(Some(org)) = contribution_org.get(&r.contribution_id) else {
            return Ok(());
        };
        org_of_record.insert(r.id, *org);
        if let Some(reference) = r.record.case.as_ref().and_then(|c| c.reference.as_ref()) {
            out.entry((*org, reference.clone()))
                .and_modify(|v| *v = None)
                .or_insert(Some(r.id));
        }
        Ok(())
    })?;
    Ok(CaseRefs {
        by_reference: out,
        org_of_record,
    })
}

/// Runs linkage over every organisation's newest submission and stores the run.
pub fn run_linkage(
    store: &mut dyn Store,
    params: HubParams,
    actor: &str,
) -> anyhow::Result<(LinkageRun, RunSummary)> {
    params.check().map_err(|e| anyhow::anyhow!("{e}"))?;
    let latest = linkage::latest_submissions(store)?;
    if latest.len() < 2 {
        bail!(
            "linkage needs encodings from at least two organisations; {} submitted",
            latest.len()
        );
    }
    let mut subs = Vec::with_capacity(latest.len());
    for (s, content) in latest {
        let text = std::str::from_utf8(&content)
            .with_context(|| format!("submission {} is not UTF-8", s.id))?;
        let set = EncodingSet::from_json(text)
            .map_err(|e| anyhow::anyhow!("submission {} cannot be read: {e}", s.id))?;
        subs.push((s, set));
    }
    let parties: Vec<Party<'_>> = subs
        .iter()
        .map(|(s, set)| Party {
            name: s.organisation.name.as_str(),
            encodings: set,
        })
        .collect();
    let org_name: HashMap<i64, &str> = subs
        .iter()
        .map(|(s, _)| (s.organisation.id, s.organisation.name.as_str()))
        .collect();
    let mut decisions: HashMap<PairKey, Decision> = HashMap::new();
    for d in linkage::decisions(store)? {
        let (Some(a), Some(b)) = (
            org_name.get(&d.a.organisation_id),
            org_name.get(&d.b.organisation_id),
        ) else {
            continue; // an organisation that has no submission now
        };
        let Some(decision) = Decision::parse(&d.decision) else {
            bail!("the store holds an unknown decision {:?}", d.decision);
        };
        decisions.insert(
            PairKey::new(a, &d.a.record_ref, b, &d.b.record_ref),
            decision,
        );
    }
    let result = link_parties(&parties, &params, &decisions).map_err(|e| anyhow::anyhow!("{e}"))?;

    // Person numbers: linked persons by their first record, everyone else on their own, in
    // party then record order.
    let mut person_of: HashMap<(u16, u32), usize> = HashMap::new();
    for (k, members) in result.persons.iter().enumerate() {
        for m in members {
            person_of.insert((m.party, m.record), k);
        }
    }
    let refs = case_references(store)?;
    let mut next = 0i64;
    let mut number: HashMap<usize, i64> = HashMap::new();
    let mut persons = Vec::with_capacity(subs.iter().map(|(_, s)| s.len()).sum());
    let mut party_summaries = Vec::with_capacity(subs.len());
    for (p, (s, set)) in subs.iter().enumerate() {
        let (mut matched, mut ambiguous) = (0u64, 0u64);
        for (i, id) in set.ids.iter().enumerate() {
            let person = match person_of.get(&(p as u16, i as u32)) {
                Some(&k) => *number.entry(k).or_insert_with(|| {
                    next += 1;
                    next
                }),
                None => {
                    next += 1;
                    next
                }
            };
            let case_record_id = match refs.find(s.organisation.id, id) {
                Ok(Some(r)) => {
                    matched += 1;
                    Some(r)
                }
                Ok(None) => None,
                Err(()) => {
                    ambiguous += 1;
                    None
                }
            };
            persons.push(PersonLink {
                person,
                organisation_id: s.organisation.id,
                record_ref: id.clone(),
                case_record_id,
            });
        }
        party_summaries.push(PartySummary {
            organisation_id: s.organisation.id,
            organisation: s.organisation.name.clone(),
            submission_id: s.id,
            records: set.len() as u64,
            linked_records: result.overlap.linked_records[p],
            case_records_matched: matched,
            case_references_ambiguous: ambiguous,
        });
    }
    let side = |r: cthub_link::pprl::hub::RecordAt| {
        let (s, set) = &subs[r.party as usize];
        LinkSide {
            organisation_id: s.organisation.id,
            record_ref: set.ids[r.record as usize].clone(),
        }
    };
    let review: Vec<ReviewEntry> = result
        .review
        .iter()
        .map(|r| ReviewEntry {
            a: side(r.a),
            b: side(r.b),
            similarity: f64::from(r.similarity),
            reason: r.reason.as_str().to_string(),
        })
        .collect();
    let shared = result
        .overlap
        .shared
        .iter()
        .map(|&(a, b, n)| SharedPersons {
            organisation_a: subs[a as usize].0.organisation.name.clone(),
            organisation_b: subs[b as usize].0.organisation.name.clone(),
            persons: n,
        })
        .collect();
    let summary = RunSummary {
        parties: party_summaries,
        persons: result.overlap.persons,
        persons_in_several: result.overlap.persons_in_several,
        persons_by_organisations: result.overlap.persons_by_parties.clone(),
        shared,
        candidate_pairs: result.candidate_pairs,
        match_edges: result.match_edges,
        review_pairs: review.len() as u64,
        review_conflicts: review.iter().filter(|r| r.reason == "conflict").count() as u64,
        decisions_accepted_applied: result.accepted_applied,
        decisions_rejected_applied: result.rejected_applied,
        decisions_unmatched: result.decisions_unmatched,
    };
    debug_assert_eq!(
        persons
            .iter()
            .map(|p| p.person)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64,
        summary.persons
    );
    let run = linkage::save_run(
        store,
        NewRun {
            created_by: actor,
            fingerprint: &subs[0].1.fingerprint,
            match_threshold: params.match_threshold,
            review_threshold: params.review_threshold,
            submissions: subs.iter().map(|(s, _)| s.id).collect(),
            summary: serde_json::to_value(&summary)?,
            persons: &persons,
            review: &review,
        },
    )?;
    Ok((run, summary))
}

/// Persons of a run with their records, for display: person -> [(organisation id, reference,
/// case record id)], only persons known to two or more organisations.
pub fn linked_persons(
    store: &mut dyn Store,
    run_id: i64,
) -> anyhow::Result<BTreeMap<i64, Vec<PersonLink>>> {
    let mut by: BTreeMap<i64, Vec<PersonLink>> = BTreeMap::new();
    for p in linkage::person_links(store, run_id)? {
        by.entry(p.person).or_default().push(p);
    }
    by.retain(|_, v| {
        let mut orgs: Vec<i64> = v.iter().map(|p| p.organisation_id).collect();
        orgs.dedup();
        orgs.len() > 1
    });
    Ok(by)
}
