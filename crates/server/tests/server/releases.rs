//! DP releases started by an admin from the hub (`POST /api/releases`): the same workflow as
//! `cthub release`, with its refusals, its ledger charge and its registry entry.

use crate::common;

use common::*;
use serde_json::json;

async fn spent(server: &TestServer) -> (f64, usize) {
    server
        .with_store(|st| {
            let acc = st.privacy_account("store").unwrap().unwrap();
            (acc.spent_rho, acc.charges.len())
        })
        .await
}

async fn hub_releases(backend: &str) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let seed = seed(&server).await;
    let admin = Client::login(&server, "admin").await;
    let contributor = Client::login(&server, "contrib_a").await;
    let public = Client::public(&server);
    admin.contribute(seed.org_a, 300, 7).await;

    let synthetic = json!({"kind": "synthetic", "epsilon": 1.0});
    // no budget yet: refused before any data is read, nothing charged
    let (s, v) = admin.post("/api/releases", synthetic.clone()).await;
    assert_eq!(s, 409, "{v}");
    assert!(v.to_string().contains("no privacy budget"), "{v}");
    // the budget holds one release at ε = 1 and one at ε = 0.5 (δ = 1e-6), not two at ε = 1
    let rho = |e: f64| {
        cthub_privacy::dp::budget::epsilon_to_rho(
            e,
            1e-6,
            cthub_privacy::dp::budget::Conversion::Tight,
        )
        .unwrap()
    };
    let (rho_1, rho_half) = (rho(1.0), rho(0.5));
    assert!(rho_half < rho_1);
    server
        .with_store(move |st| {
            st.set_privacy_budget("store", "the store", rho_1 + rho_half * 1.01, "test")
                .unwrap();
        })
        .await;
    let (s, v) = contributor.post("/api/releases", synthetic.clone()).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = public.post("/api/releases", synthetic.clone()).await;
    assert_eq!(s, 401, "{v}");
    for (body, words) in [
        (json!({"kind": "kanon", "epsilon": 1.0}), "kind must be"),
        (json!({"kind": "synthetic", "epsilon": -1.0}), "epsilon"),
        (
            json!({"kind": "synthetic", "epsilon": 1.0, "delta": 2.0}),
            "delta",
        ),
        (
            json!({"kind": "synthetic", "epsilon": 1.0, "columns": ["gender", "passportNumber"]}),
            "passportNumber",
        ),
        (
            json!({"kind": "aggregates", "epsilon": 1.0, "length": 0}),
            "length",
        ),
        (
            json!({"kind": "synthetic", "epsilon": 1.0, "layout": "mine"}),
            "layout",
        ),
        (
            json!({"kind": "synthetic", "epsilon": 1.0, "contribution": 999_999}),
            "no privacy budget",
        ),
        (
            json!({"kind": "synthetic", "epsilon": 1.0, "person_id": "linkage"}),
            "linkage run",
        ),
    ] {
        let (s, v) = admin.post("/api/releases", body.clone()).await;
        assert!(
            s == 400 || (s == 409 && words == "no privacy budget"),
            "{body} -> {s} {v}"
        );
        assert!(
            v.to_string().to_lowercase().contains(&words.to_lowercase()),
            "{body}: {v}"
        );
    }
    let spent_before = spent(&server).await;
    assert_eq!(spent_before, (0.0, 0), "refusals charged the ledger");

    let (s, v) = admin.post("/api/releases", synthetic.clone()).await;
    assert_eq!(s, 201, "{v}");
    let rel = &v["release"];
    assert_eq!(rel["kind"], "synthetic", "{v}");
    assert_eq!(rel["published"], false, "{v}");
    assert!(
        v["summary"]["synthetic_records"].as_u64().unwrap() > 100,
        "{v}"
    );
    assert_eq!(v["ledger"]["charges"], 1, "{v}");
    let names: Vec<&str> = rel["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"synthetic.csv"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains(".internal.")),
        "internal quality figures registered: {names:?}"
    );
    let id = rel["id"].as_i64().unwrap();
    let (s, _) = public.get(&format!("/api/releases/{id}")).await;
    assert_eq!(s, 404, "an unpublished release is visible to the public");
    let (charged, charges) = spent(&server).await;
    assert!(
        (charged - rho_1).abs() < 1e-12,
        "charged rho {charged}, not {rho_1}"
    );
    assert_eq!(charges, 1);
    // the ledger shows who ran it to admins
    let (_, ledger) = admin.get("/api/ledger").await;
    assert!(ledger.to_string().contains("admin"), "{ledger}");

    // a second one does not fit: refused, nothing charged, nothing registered
    let (s, v) = admin.post("/api/releases", synthetic.clone()).await;
    assert_eq!(s, 409, "{v}");
    assert!(v.to_string().contains("exceeded"), "{v}");
    assert_eq!(spent(&server).await, (charged, 1));
    let (_, all) = admin.get("/api/releases").await;
    let before = all.as_array().unwrap().len();

    // small aggregates, published at once, feed the public dashboard
    let (s, v) = admin
        .post(
            "/api/releases",
            // one count per year and per sex, so that every year (about 38 records) clears the
            // noise (σ ≈ 12) with a wide margin
            json!({"kind": "aggregates", "epsilon": 0.5, "length": 1, "publish": true,
                   "columns": ["yearOfRegistration", "gender"]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let agg = v["release"]["id"].as_i64().unwrap();
    assert_eq!(v["release"]["published"], true, "{v}");
    let (s, by_year) = public
        .get(&format!("/api/indicators/by_year?source=release-{agg}"))
        .await;
    assert_eq!(s, 200, "{by_year}");
    let (_, all) = admin.get("/api/releases").await;
    assert_eq!(all.as_array().unwrap().len(), before + 1);
    let (_, charges) = spent(&server).await;
    assert_eq!(charges, 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_releases_sqlite() {
    hub_releases("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_releases_postgres() {
    hub_releases("postgres").await;
}
