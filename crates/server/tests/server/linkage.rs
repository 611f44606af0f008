//! Privacy-preserving linkage through the API, on a real server over SQLite and PostgreSQL:
//! contributors submit encodings, the operator runs linkage, reads the overlap, works the review
//! queue, and the decisions steer the next run.

use crate::common;

use common::*;
use serde_json::{json, Value};

async fn ids_of_records(admin: &Client, contribution: i64) -> Vec<i64> {
    let (s, v) = admin
        .get(&format!(
            "/api/contributions/{contribution}/records?limit=10"
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

fn person_of<'a>(persons: &'a Value, org: i64, reference: &str) -> Option<&'a Value> {
    persons["persons"].as_array().unwrap().iter().find(|p| {
        p["records"].as_array().unwrap().iter().any(|r| {
            r["organisation_id"].as_i64() == Some(org)
                && r["record_ref"].as_str() == Some(reference)
        })
    })
}

async fn flow(backend: &str) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let seed = seed(&server).await;
    let admin = Client::login(&server, "admin").await;
    let contrib_a = Client::login(&server, "contrib_a").await;
    let contrib_b = Client::login(&server, "contrib_b").await;
    let ca = admin.contribute(seed.org_a, 6, 1).await;
    let cb = admin.contribute(seed.org_b, 6, 2).await;
    let (ra, rb) = (
        ids_of_records(&admin, ca).await,
        ids_of_records(&admin, cb).await,
    );

    // Fewer than two organisations: refused with a reason.
    let (s, v) = admin.post("/api/linkage/runs", json!({})).await;
    assert_eq!(s, 400, "{v}");

    let a_refs: Vec<String> = ra.iter().take(4).map(|id| format!("record:{id}")).collect();
    let b_refs: Vec<String> = rb.iter().take(4).map(|id| format!("record:{id}")).collect();
    let a_file = encodings(
        &[
            (&a_refs[0], "maria", "lopez", "19900101"),
            (&a_refs[1], "john", "smith", "19851231"),
            (&a_refs[2], "amina", "yusuf", "20010704"),
            (&a_refs[3], "olga", "ivanova", "19950505"),
        ],
        LINKAGE_SECRET,
    );
    let (s, sub) = contrib_a
        .upload("/api/linkage/submissions", "a.json", &a_file)
        .await;
    assert_eq!(s, 201, "{sub}");
    assert_eq!(sub["records"], 4);
    assert_eq!(sub["organisation"]["id"].as_i64(), Some(seed.org_a));
    // The same file again is a conflict; garbage and another secret are refused.
    let (s, v) = contrib_a
        .upload("/api/linkage/submissions", "a.json", &a_file)
        .await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = contrib_b
        .upload(
            "/api/linkage/submissions",
            "b.json",
            b"{\"not\": \"encodings\"}",
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let other = encodings(
        &[("x", "maria", "lopez", "19900101")],
        b"a different secret of sixteen+",
    );
    let (s, v) = contrib_b
        .upload("/api/linkage/submissions", "b.json", &other)
        .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("same linkage schema and shared secret"),
        "{v}"
    );
    let b_file = encodings(
        &[
            (&b_refs[0], "maria", "lopes", "19900101"),
            (&b_refs[1], "jon", "smith", "19851231"),
            (&b_refs[2], "peter", "novak", "19700303"),
            ("B-unmapped-7", "olga", "ivanova", "19950505"),
        ],
        LINKAGE_SECRET,
    );
    let (s, v) = contrib_b
        .upload("/api/linkage/submissions", "b.json", &b_file)
        .await;
    assert_eq!(s, 201, "{v}");
    // Contributors see only their own organisation's submissions.
    let (_, mine) = contrib_b.get("/api/linkage/submissions").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, all) = admin.get("/api/linkage/submissions").await;
    assert_eq!(all.as_array().unwrap().len(), 2);

    // A strict run: maria/maria and olga/olga exact enough, john/jon uncertain.
    let (s, run) = admin
        .post(
            "/api/linkage/runs",
            json!({"match_threshold": 0.95, "review_threshold": 0.5, "use_blocking": false}),
        )
        .await;
    assert_eq!(s, 201, "{run}");
    let id = run["id"].as_i64().unwrap();
    let sum = &run["summary"];
    assert_eq!(
        sum["persons"].as_u64().unwrap() + sum["persons_in_several"].as_u64().unwrap(),
        8,
        "{sum}"
    );
    assert_eq!(sum["parties"][0]["case_records_matched"], 4, "{sum}");
    assert_eq!(sum["parties"][1]["case_records_matched"], 3, "{sum}");
    assert_eq!(sum["shared"][0]["persons"], sum["persons_in_several"]);
    let (s, q) = admin.get(&format!("/api/linkage/runs/{id}/review")).await;
    assert_eq!(s, 200, "{q}");
    let pairs = q["pairs"].as_array().unwrap();
    let john = pairs
        .iter()
        .find(|p| {
            [p["a"]["record_ref"].as_str(), p["b"]["record_ref"].as_str()]
                == [Some(a_refs[1].as_str()), Some(b_refs[1].as_str())]
        })
        .unwrap_or_else(|| panic!("john/jon is queued: {q}"));
    assert_eq!(john["reason"], "uncertain");
    let (_, persons) = admin.get(&format!("/api/linkage/runs/{id}/persons")).await;
    assert!(person_of(&persons, seed.org_a, &a_refs[1]).is_none());
    let olga = person_of(&persons, seed.org_a, &a_refs[3]).expect("olga linked");
    assert!(olga["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["record_ref"] == "B-unmapped-7" && r["case_record_id"].is_null()));

    // Accept john/jon, reject olga: the next run follows the operator.
    for (a, b, d) in [
        (&a_refs[1], &b_refs[1], "accept"),
        (&a_refs[3], &"B-unmapped-7".to_string(), "reject"),
    ] {
        let (s, v) = admin
            .post(
                "/api/linkage/decisions",
                json!({"a": {"organisation_id": seed.org_b, "record_ref": b},
                       "b": {"organisation_id": seed.org_a, "record_ref": a}, "decision": d}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = admin
        .post(
            "/api/linkage/decisions",
            json!({"a": {"organisation_id": seed.org_a, "record_ref": "x"},
                   "b": {"organisation_id": seed.org_a, "record_ref": "y"}, "decision": "accept"}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (_, pending) = admin.get(&format!("/api/linkage/runs/{id}/review")).await;
    assert!(pending["pairs"].as_array().unwrap().len() < pairs.len());
    let (s, run2) = admin
        .post(
            "/api/linkage/runs",
            json!({"match_threshold": 0.95, "review_threshold": 0.5, "use_blocking": false}),
        )
        .await;
    assert_eq!(s, 201, "{run2}");
    assert_eq!(run2["summary"]["decisions_accepted_applied"], 1);
    assert_eq!(run2["summary"]["decisions_rejected_applied"], 1);
    let id2 = run2["id"].as_i64().unwrap();
    let (_, persons2) = admin.get(&format!("/api/linkage/runs/{id2}/persons")).await;
    assert!(
        person_of(&persons2, seed.org_a, &a_refs[1]).is_some(),
        "john accepted"
    );
    assert!(
        person_of(&persons2, seed.org_a, &a_refs[3]).is_none(),
        "olga rejected"
    );
    let (_, runs) = admin.get("/api/linkage/runs").await;
    assert_eq!(runs[0]["id"].as_i64(), Some(id2));

    // Person ids reach the store for releases: the accepted pair's case records share one.
    let (_, map) = server
        .with_store(|st| cthub_store::linkage::latest_persons(st).unwrap().unwrap())
        .await;
    assert_eq!(map[&rb[1]], map[&ra[1]]);
    assert_ne!(map[&ra[3]], map[&ra[1]]);

    let audit = server
        .with_store(|st| cthub_store::hub::recent_audit(st, 500).unwrap())
        .await;
    for action in [
        "linkage.submit",
        "linkage.run",
        "linkage.decide",
        "linkage.persons.read",
    ] {
        assert!(
            audit.iter().any(|a| a.action == action),
            "{action} not audited"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linkage_through_the_api_sqlite() {
    flow("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linkage_through_the_api_postgres() {
    flow("postgres").await;
}
