//! Changes that race with the server: decisions on a staged upload (the import and the status
//! change are one transaction, so exactly one decision wins, the other gets 409, and a discarded
//! upload leaves no contribution behind), and imports by another process (the CLI) into the
//! store of a running server, which its charts show without a restart.

use crate::common;

use common::*;
use serde_json::json;

async fn races(backend: &str) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let seed = seed(&server).await;
    let a = Client::login(&server, "admin").await;
    let b = Client::login(&server, "admin").await;
    let mut committed = 0;
    for k in 0..12u32 {
        let (s, up) = a
            .upload(
                &format!("/api/uploads?organisation={}", seed.org_a),
                "race.csv",
                &ctdc_file(40 + k as usize, 1, k),
            )
            .await;
        assert_eq!(s, 201, "{up}");
        let id = up["id"].as_i64().unwrap();
        let commit = format!("/api/uploads/{id}/commit");
        // even k: commit against discard; odd k: commit against commit
        let other = if k % 2 == 0 {
            format!("/api/uploads/{id}/discard")
        } else {
            commit.clone()
        };
        let ((s1, v1), (s2, v2)) =
            tokio::join!(a.post(&commit, json!({})), b.post(&other, json!({})));
        let mut statuses = [s1, s2];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "upload {id}: {v1} / {v2}");
        let (_, after) = a.get(&format!("/api/uploads/{id}")).await;
        let won_commit = s1 == 200 || (k % 2 == 1);
        if won_commit {
            committed += 1;
            assert_eq!(after["status"], "committed", "{after}");
            assert!(after["contribution_id"].as_i64().is_some(), "{after}");
        } else {
            assert_eq!(after["status"], "discarded", "{after}");
        }
        // never a contribution without its upload marked committed
        let contributions = server
            .with_store(|st| st.contributions().unwrap().len())
            .await;
        assert_eq!(contributions, committed, "after upload {id}: {after}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_decisions_race_sqlite() {
    races("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_decisions_race_postgres() {
    races("postgres").await;
}

async fn outside_imports(backend: &str) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    seed(&server).await;
    let admin = Client::login(&server, "admin").await;
    let population = |v: &serde_json::Value| v["population"].as_f64().unwrap();
    let (s, before) = admin.get("/api/indicators/by_year?source=store").await;
    assert_eq!(s, 200, "{before}");
    assert_eq!(population(&before), 0.0, "{before}");
    for (k, rows) in [(1u32, 25usize), (2, 17)] {
        // what `cthub import` does: its own connection, not through the server
        server
            .with_store(move |st| {
                cthub_server::upload::commit(
                    st,
                    "cli.csv",
                    &ctdc_file(rows, 0, k),
                    "Org A",
                    "cli:test",
                )
                .unwrap()
            })
            .await;
    }
    let (_, after) = admin.get("/api/indicators/by_year?source=store").await;
    assert_eq!(population(&after), 42.0, "{after}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_imports_reach_the_charts_sqlite() {
    outside_imports("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_imports_reach_the_charts_postgres() {
    outside_imports("postgres").await;
}
