//! A contributor sees their own organisation's data only, scoped by the organisation's id:
//! organisations whose names differ only in case or spacing stay apart.

use crate::common;

use common::*;
use cthub_store::hub::{self, Role};
use serde_json::json;

async fn scope(backend: &str) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    seed(&server).await;
    let names = ["Safe Haven", "safe haven", "Safe  Haven "];
    let orgs: Vec<i64> = server
        .with_store(move |st| {
            let h = cthub_server::auth::hash_password(PASSWORD).unwrap();
            names
                .iter()
                .enumerate()
                .map(|(k, n)| {
                    // a name the hub refused as a duplicate could not be confused either
                    let id = hub::create_organisation(st, n, "test").map_or(-1, |o| o.id);
                    if id > 0 {
                        hub::create_user(
                            st,
                            &format!("near{k}"),
                            &h,
                            Role::Contributor,
                            Some(id),
                            "test",
                        )
                        .unwrap();
                    }
                    id
                })
                .collect()
        })
        .await;
    let admin = Client::login(&server, "admin").await;
    let mut made = Vec::new();
    for (k, &org) in orgs.iter().enumerate() {
        if org < 0 {
            continue;
        }
        let rows = 11 + 7 * k;
        admin.contribute(org, rows, 40 + k as u32).await;
        made.push((k, org, rows));
    }
    assert!(
        made.len() >= 2,
        "the hub merged names differing in case: {orgs:?}"
    );
    for &(k, org, rows) in &made {
        let c = Client::login(&server, &format!("near{k}")).await;
        let (s, ind) = c.get("/api/indicators/by_year?source=store").await;
        assert_eq!(s, 200, "{ind}");
        assert_eq!(
            ind["population"], rows as f64,
            "org {org} ({:?}): {ind}",
            names[k]
        );
        let (_, list) = c.get("/api/contributions").await;
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        for &(other_k, other, _) in &made {
            if other == org {
                continue;
            }
            // the other organisation's contribution: invisible
            let (_, theirs) = admin.get("/api/contributions").await;
            let theirs: Vec<i64> = theirs
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["organisation"] == json!(names[other_k]))
                .map(|c| c["id"].as_i64().unwrap())
                .collect();
            for id in theirs {
                let (s, v) = c.get(&format!("/api/contributions/{id}/records")).await;
                assert_eq!(s, 404, "org {org} reads org {other}'s records: {v}");
            }
        }
        let (s, f) = c.get("/api/filters?source=store").await;
        assert_eq!(s, 200, "{f}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisations_are_scoped_by_id_sqlite() {
    scope("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisations_are_scoped_by_id_postgres() {
    scope("postgres").await;
}
