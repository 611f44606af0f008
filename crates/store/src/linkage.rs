//! Record linkage at the hub (migration 8): what contributors submitted, what each linkage run
//! found, and what the hub operator decided.
//!
//! * `linkage_submission`: a contributor's keyed Bloom-filter encodings (the JSON of
//!   `cthub encode`), never a name; the newest submission of each organisation takes part in the
//!   next run. Kept with who sent it, when, its SHA-256 (a resubmission of the same file is a
//!   conflict) and the schema fingerprint.
//! * `linkage_run`: one run over the organisations' newest submissions — thresholds, which
//!   submissions, and a JSON summary (counts and overlap statistics).
//! * `person_link`: the provenance of every person id — run, person, organisation, the
//!   contributor's record reference and, where the reference names a stored case record of that
//!   organisation, that record's id. Every encoded record gets a person, linked or not.
//! * `link_review`: the run's uncertain and conflicting pairs, for the operator.
//! * `link_decision`: the operator's accept/reject per pair of (organisation, reference), in a
//!   canonical order; decisions outlive runs and steer every later one.
//!
//! The crate knows nothing of Dice similarity: the link crate computes, this module keeps.
//! Every write is audited in the same transaction.

use serde::Serialize;

use crate::hub::{audit, tx, OrgRef};
use crate::sql::{Sql, Val};
use crate::{now, Result, Store, StoreError};

/// A contributor's submitted encodings (without their content).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkageSubmission {
    pub id: i64,
    pub organisation: OrgRef,
    pub submitted_by: String,
    pub submitted_at: String,
    pub file_name: String,
    pub sha256: String,
    pub fingerprint: String,
    pub records: u64,
}

const SUB_COLS: &str = "s.id, s.organisation_id, o.name, s.submitted_by, s.submitted_at, \
                        s.file_name, s.sha256, s.fingerprint, s.records";
const SUB_FROM: &str = "linkage_submission s JOIN organisation o ON o.id = s.organisation_id";

fn sub_row(r: &[Val]) -> Result<LinkageSubmission> {
    Ok(LinkageSubmission {
        id: r[0].int()?,
        organisation: OrgRef {
            id: r[1].int()?,
            name: r[2].text()?,
        },
        submitted_by: r[3].text()?,
        submitted_at: r[4].text()?,
        file_name: r[5].text()?,
        sha256: r[6].text()?,
        fingerprint: r[7].text()?,
        records: crate::to_u64(r[8].int()?, "records")?,
    })
}

/// A submission to store.
pub struct NewSubmission<'a> {
    pub organisation_id: i64,
    pub submitted_by: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub fingerprint: &'a str,
    pub records: u64,
    pub content: Vec<u8>,
}

/// Stores a submission; [`StoreError::Conflict`] when the same file (SHA-256) was submitted
/// before, [`StoreError::Invalid`] when the organisation does not exist.
pub fn save_submission(store: &mut dyn Store, s: NewSubmission<'_>) -> Result<LinkageSubmission> {
    let mut content = Some(s.content);
    tx(store, |db| {
        if db
            .query_opt(
                "SELECT id FROM organisation WHERE id = $1",
                &[s.organisation_id.into()],
            )?
            .is_none()
        {
            return Err(StoreError::Invalid(format!(
                "organisation {} does not exist",
                s.organisation_id
            )));
        }
        if let Some(r) = db.query_opt(
            "SELECT id FROM linkage_submission WHERE sha256 = $1",
            &[s.sha256.into()],
        )? {
            return Err(StoreError::Conflict(format!(
                "these encodings (sha256 {}) were submitted before as submission {}",
                s.sha256,
                r[0].int()?
            )));
        }
        let r = db.query_one(
            "INSERT INTO linkage_submission (organisation_id, submitted_by, submitted_at, file_name, \
             sha256, fingerprint, records, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                s.organisation_id.into(),
                s.submitted_by.into(),
                now().into(),
                s.file_name.into(),
                s.sha256.into(),
                s.fingerprint.into(),
                crate::to_i64(s.records, "records")?.into(),
                Val::Blob(content.take().unwrap_or_default()),
            ],
        )?;
        let id = r[0].int()?;
        audit(
            db,
            s.submitted_by,
            "linkage.submit",
            serde_json::json!({"id": id, "organisation_id": s.organisation_id, "file": s.file_name,
                "sha256": s.sha256, "fingerprint": s.fingerprint, "records": s.records}),
        )?;
        sub_row(&db.query_one(
            &format!("SELECT {SUB_COLS} FROM {SUB_FROM} WHERE s.id = $1"),
            &[id.into()],
        )?)
    })
}

/// Submissions (of one organisation, or all), newest first.
pub fn submissions(
    store: &mut dyn Store,
    organisation_id: Option<i64>,
) -> Result<Vec<LinkageSubmission>> {
    tx(store, |db| {
        let rows = match organisation_id {
            Some(o) => db.query(
                &format!(
                    "SELECT {SUB_COLS} FROM {SUB_FROM} WHERE s.organisation_id = $1 ORDER BY s.id DESC"
                ),
                &[o.into()],
            )?,
            None => db.query(
                &format!("SELECT {SUB_COLS} FROM {SUB_FROM} ORDER BY s.id DESC"),
                &[],
            )?,
        };
        rows.iter().map(|r| sub_row(r)).collect()
    })
}

/// The newest submission of every organisation that submitted, with its content, by
/// organisation id.
pub fn latest_submissions(store: &mut dyn Store) -> Result<Vec<(LinkageSubmission, Vec<u8>)>> {
    tx(store, |db| {
        let rows = db.query(
            &format!(
                "SELECT {SUB_COLS}, s.content FROM {SUB_FROM} WHERE s.id IN \
                 (SELECT MAX(id) FROM linkage_submission GROUP BY organisation_id) \
                 ORDER BY s.organisation_id"
            ),
            &[],
        )?;
        rows.into_iter()
            .map(|mut r| {
                let content = r.pop().unwrap_or(Val::Null).blob()?;
                Ok((sub_row(&r)?, content))
            })
            .collect()
    })
}

/// One side of a pair: an organisation and the contributor's record reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LinkSide {
    pub organisation_id: i64,
    pub record_ref: String,
}

/// A pair in canonical order (the smaller side first).
fn canonical(a: LinkSide, b: LinkSide) -> (LinkSide, LinkSide) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The operator's word on a pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkDecision {
    pub a: LinkSide,
    pub b: LinkSide,
    /// `accept` (the same person) or `reject` (different persons).
    pub decision: String,
    pub decided_by: String,
    pub decided_at: String,
}

fn decision_row(r: &[Val]) -> Result<LinkDecision> {
    Ok(LinkDecision {
        a: LinkSide {
            organisation_id: r[0].int()?,
            record_ref: r[1].text()?,
        },
        b: LinkSide {
            organisation_id: r[2].int()?,
            record_ref: r[3].text()?,
        },
        decision: r[4].text()?,
        decided_by: r[5].text()?,
        decided_at: r[6].text()?,
    })
}

/// Every decision, in pair order.
pub fn decisions(store: &mut dyn Store) -> Result<Vec<LinkDecision>> {
    tx(store, |db| {
        db.query(
            "SELECT org_a, ref_a, org_b, ref_b, decision, decided_by, decided_at FROM link_decision \
             ORDER BY org_a, ref_a, org_b, ref_b",
            &[],
        )?
        .iter()
        .map(|r| decision_row(r))
        .collect()
    })
}

/// Records (or replaces) the decision on a pair. A pair of one record with itself, or of two
/// records of one organisation, is [`StoreError::Invalid`] (the hub links across organisations;
/// each organisation deduplicates its own records), as is a decision other than accept/reject.
pub fn decide(
    store: &mut dyn Store,
    a: LinkSide,
    b: LinkSide,
    decision: &str,
    actor: &str,
) -> Result<LinkDecision> {
    if decision != "accept" && decision != "reject" {
        return Err(StoreError::Invalid(format!(
            "a decision is accept or reject, not {decision:?}"
        )));
    }
    if a.organisation_id == b.organisation_id {
        return Err(StoreError::Invalid(
            "both records belong to one organisation; the hub decides only on pairs across organisations"
                .into(),
        ));
    }
    let (a, b) = canonical(a, b);
    tx(store, |db| {
        let at = now();
        db.exec(
            "INSERT INTO link_decision (org_a, ref_a, org_b, ref_b, decision, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (org_a, ref_a, org_b, ref_b) DO UPDATE SET decision = excluded.decision, \
             decided_by = excluded.decided_by, decided_at = excluded.decided_at",
            &[
                a.organisation_id.into(),
                a.record_ref.as_str().into(),
                b.organisation_id.into(),
                b.record_ref.as_str().into(),
                decision.into(),
                actor.into(),
                at.as_str().into(),
            ],
        )?;
        audit(
            db,
            actor,
            "linkage.decide",
            serde_json::json!({"a": a, "b": b, "decision": decision}),
        )?;
        Ok(LinkDecision {
            a: a.clone(),
            b: b.clone(),
            decision: decision.to_string(),
            decided_by: actor.to_string(),
            decided_at: at.clone(),
        })
    })
}

/// A record's person in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonLink {
    pub person: i64,
    pub organisation_id: i64,
    pub record_ref: String,
    /// The stored case record the reference names, when it names one of that organisation's.
    pub case_record_id: Option<i64>,
}

/// A pair queued for review in one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewEntry {
    pub a: LinkSide,
    pub b: LinkSide,
    pub similarity: f64,
    /// `uncertain` (between the thresholds) or `conflict` (a match refused because it would put
    /// two records of one organisation into one person).
    pub reason: String,
}

/// A run to store.
pub struct NewRun<'a> {
    pub created_by: &'a str,
    pub fingerprint: &'a str,
    pub match_threshold: f64,
    pub review_threshold: f64,
    pub submissions: Vec<i64>,
    pub summary: serde_json::Value,
    pub persons: &'a [PersonLink],
    pub review: &'a [ReviewEntry],
}

/// A stored linkage run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkageRun {
    pub id: i64,
    pub created_at: String,
    pub created_by: String,
    pub fingerprint: String,
    pub match_threshold: f64,
    pub review_threshold: f64,
    pub submissions: Vec<i64>,
    pub summary: serde_json::Value,
}

const RUN_COLS: &str =
    "id, created_at, created_by, fingerprint, match_threshold, review_threshold, \
                        submissions, summary";

fn run_row(r: &[Val]) -> Result<LinkageRun> {
    Ok(LinkageRun {
        id: r[0].int()?,
        created_at: r[1].text()?,
        created_by: r[2].text()?,
        fingerprint: r[3].text()?,
        match_threshold: r[4].real()?,
        review_threshold: r[5].real()?,
        submissions: serde_json::from_str(&r[6].text()?)?,
        summary: serde_json::from_str(&r[7].text()?)?,
    })
}

/// Rows per multi-row INSERT (5–7 parameters each: far below both backends' limits).
const CHUNK: usize = 400;

fn insert_chunked<T>(
    db: &mut dyn Sql,
    head: &str,
    width: usize,
    rows: &[T],
    mut bind: impl FnMut(&T, &mut Vec<Val>),
) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut sql = String::with_capacity(head.len() + chunk.len() * width * 5);
        sql.push_str(head);
        let mut params = Vec::with_capacity(chunk.len() * width);
        for (i, row) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { " (" } else { ", (" });
            for j in 0..width {
                if j > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", i * width + j + 1));
            }
            sql.push(')');
            bind(row, &mut params);
        }
        db.exec(&sql, &params)?;
    }
    Ok(())
}

/// Stores a run with its persons and review queue in one transaction.
pub fn save_run(store: &mut dyn Store, run: NewRun<'_>) -> Result<LinkageRun> {
    tx(store, |db| {
        let r = db.query_one(
            "INSERT INTO linkage_run (created_at, created_by, fingerprint, match_threshold, \
             review_threshold, submissions, summary) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                now().into(),
                run.created_by.into(),
                run.fingerprint.into(),
                run.match_threshold.into(),
                run.review_threshold.into(),
                serde_json::to_string(&run.submissions)?.into(),
                run.summary.to_string().into(),
            ],
        )?;
        let id = r[0].int()?;
        insert_chunked(
            db,
            "INSERT INTO person_link (run_id, person, organisation_id, record_ref, case_record_id) VALUES",
            5,
            run.persons,
            |p, v| {
                v.extend([
                    id.into(),
                    p.person.into(),
                    p.organisation_id.into(),
                    p.record_ref.as_str().into(),
                    p.case_record_id.into(),
                ])
            },
        )?;
        insert_chunked(
            db,
            "INSERT INTO link_review (run_id, org_a, ref_a, org_b, ref_b, similarity, reason) VALUES",
            7,
            run.review,
            |e, v| {
                let (a, b) = canonical(e.a.clone(), e.b.clone());
                v.extend([
                    id.into(),
                    a.organisation_id.into(),
                    a.record_ref.into(),
                    b.organisation_id.into(),
                    b.record_ref.into(),
                    e.similarity.into(),
                    e.reason.as_str().into(),
                ])
            },
        )?;
        audit(
            db,
            run.created_by,
            "linkage.run",
            serde_json::json!({"id": id, "submissions": run.submissions, "persons_rows": run.persons.len(),
                "review": run.review.len(), "match_threshold": run.match_threshold,
                "review_threshold": run.review_threshold}),
        )?;
        run_row(&db.query_one(
            &format!("SELECT {RUN_COLS} FROM linkage_run WHERE id = $1"),
            &[id.into()],
        )?)
    })
}

/// Every run, newest first.
pub fn runs(store: &mut dyn Store) -> Result<Vec<LinkageRun>> {
    tx(store, |db| {
        db.query(
            &format!("SELECT {RUN_COLS} FROM linkage_run ORDER BY id DESC"),
            &[],
        )?
        .iter()
        .map(|r| run_row(r))
        .collect()
    })
}

/// One run (`None`: the newest).
pub fn run(store: &mut dyn Store, id: Option<i64>) -> Result<Option<LinkageRun>> {
    tx(store, |db| {
        let r = match id {
            Some(id) => db.query_opt(
                &format!("SELECT {RUN_COLS} FROM linkage_run WHERE id = $1"),
                &[id.into()],
            )?,
            None => db.query_opt(
                &format!("SELECT {RUN_COLS} FROM linkage_run ORDER BY id DESC LIMIT 1"),
                &[],
            )?,
        };
        r.map(|r| run_row(&r)).transpose()
    })
}

/// The persons of a run, by person then organisation and reference.
pub fn person_links(store: &mut dyn Store, run_id: i64) -> Result<Vec<PersonLink>> {
    tx(store, |db| {
        db.query(
            "SELECT person, organisation_id, record_ref, case_record_id FROM person_link \
             WHERE run_id = $1 ORDER BY person, organisation_id, record_ref",
            &[run_id.into()],
        )?
        .iter()
        .map(|r| {
            Ok(PersonLink {
                person: r[0].int()?,
                organisation_id: r[1].int()?,
                record_ref: r[2].text()?,
                case_record_id: r[3].opt_int()?,
            })
        })
        .collect()
    })
}

/// A queued pair with the organisations' names and the decision taken on it since, if any.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewItem {
    #[serde(flatten)]
    pub entry: ReviewEntry,
    pub organisation_a: String,
    pub organisation_b: String,
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

/// The review queue of a run, most similar first (`pending_only`: without a decision yet).
pub fn review_queue(
    store: &mut dyn Store,
    run_id: i64,
    pending_only: bool,
) -> Result<Vec<ReviewItem>> {
    tx(store, |db| {
        let filter = if pending_only {
            " AND d.decision IS NULL"
        } else {
            ""
        };
        db.query(
            &format!(
                "SELECT r.org_a, r.ref_a, r.org_b, r.ref_b, r.similarity, r.reason, oa.name, ob.name, \
                 d.decision, d.decided_by, d.decided_at \
                 FROM link_review r \
                 JOIN organisation oa ON oa.id = r.org_a JOIN organisation ob ON ob.id = r.org_b \
                 LEFT JOIN link_decision d ON d.org_a = r.org_a AND d.ref_a = r.ref_a \
                   AND d.org_b = r.org_b AND d.ref_b = r.ref_b \
                 WHERE r.run_id = $1{filter} \
                 ORDER BY r.similarity DESC, r.org_a, r.ref_a, r.org_b, r.ref_b"
            ),
            &[run_id.into()],
        )?
        .iter()
        .map(|r| {
            Ok(ReviewItem {
                entry: ReviewEntry {
                    a: LinkSide {
                        organisation_id: r[0].int()?,
                        record_ref: r[1].text()?,
                    },
                    b: LinkSide {
                        organisation_id: r[2].int()?,
                        record_ref: r[3].text()?,
                    },
                    similarity: r[4].real()?,
                    reason: r[5].text()?,
                },
                organisation_a: r[6].text()?,
                organisation_b: r[7].text()?,
                decision: r[8].opt_text()?,
                decided_by: r[9].opt_text()?,
                decided_at: r[10].opt_text()?,
            })
        })
        .collect()
    })
}

/// Person id per stored case record in a run (records the run does not name are absent).
pub fn persons_by_case_record(
    store: &mut dyn Store,
    run_id: i64,
) -> Result<std::collections::HashMap<i64, i64>> {
    tx(store, |db| {
        db.query(
            "SELECT case_record_id, person FROM person_link \
             WHERE run_id = $1 AND case_record_id IS NOT NULL",
            &[run_id.into()],
        )?
        .iter()
        .map(|r| Ok((r[0].int()?, r[1].int()?)))
        .collect()
    })
}

/// Person id per stored case record from the newest run, with the run's id (`None`: no run
/// yet). Releases bound each person's records by these ids (`--person-id linkage`).
pub fn latest_persons(
    store: &mut dyn Store,
) -> Result<Option<(i64, std::collections::HashMap<i64, i64>)>> {
    let Some(run) = run(store, None)? else {
        return Ok(None);
    };
    Ok(Some((run.id, persons_by_case_record(store, run.id)?)))
}
