//! Indicator answers are cached per data version: every cached answer equals a fresh
//! computation over the store's records, for every indicator and a sample of filters, and an
//! upload commit or an import by another process changes them at once.

use crate::common;

use common::*;
use serde_json::{json, Value};

/// The indicator as a fresh computation: the analytics table built from the store's records
/// now, as the server builds it, and the indicator computed on it.
async fn fresh(
    server: &TestServer,
    id: &'static str,
    f: cthub_server::analytics::Filters,
) -> Value {
    let rows = server
        .with_store(|st| {
            let orgs: std::collections::HashMap<i64, i64> = st
                .contributions()
                .unwrap()
                .into_iter()
                .map(|c| (c.id, c.organisation_id))
                .collect();
            let mut rows = Vec::new();
            st.for_each_record(None, &mut |r| {
                rows.push((
                    cthub_server::analytics::store_row(&r.record),
                    orgs.get(&r.contribution_id).copied(),
                ));
                Ok(())
            })
            .unwrap();
            rows
        })
        .await;
    let mut b =
        cthub_server::analytics::FrameBuilder::new(&cthub_server::analytics::store_header());
    for (row, org) in &rows {
        b.push(row, *org);
    }
    let frame = b.finish().unwrap();
    let def = cthub_server::analytics::indicator(id).unwrap();
    let ind = cthub_server::analytics::compute(&frame, def, &f, None, "store")
        .await
        .unwrap();
    serde_json::to_value(ind).unwrap()
}

/// Equal JSON, numbers within a relative 1e-12 (a share divided in another order of partial
/// sums may differ in its last bit).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_answers_equal_fresh_ones_and_follow_the_data() {
    let server = TestServer::start("sqlite").await.unwrap();
    let seed = seed(&server).await;
    let admin = Client::login(&server, "admin").await;
    admin.contribute(seed.org_a, 60, 3).await;
    let filters: Vec<(&str, cthub_server::analytics::Filters)> = vec![
        ("", Default::default()),
        (
            "&sex=Female",
            cthub_server::analytics::Filters {
                sex: Some("Female".into()),
                ..Default::default()
            },
        ),
        (
            "&year_from=2017&year_to=2020&citizenship=UA",
            cthub_server::analytics::Filters {
                year_from: Some(2017),
                year_to: Some(2020),
                citizenship: Some("UA".into()),
                ..Default::default()
            },
        ),
    ];
    let (_, list) = admin.get("/api/indicators").await;
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 8, "{list}");
    for round in 0..2 {
        for id in &ids {
            let id: &'static str = Box::leak(id.clone().into_boxed_str());
            for (q, f) in &filters {
                // twice: the second answer comes from the cache
                let (s1, a1) = admin
                    .get(&format!("/api/indicators/{id}?source=store{q}"))
                    .await;
                let (s2, a2) = admin
                    .get(&format!("/api/indicators/{id}?source=store{q}"))
                    .await;
                assert_eq!((s1, s2), (200, 200), "{id}{q}: {a1}");
                assert_eq!(a1, a2, "{id}{q}");
                let b = fresh(&server, id, f.clone()).await;
                assert!(same(&a1, &b), "{id}{q} (round {round}):\n{a1}\n{b}");
            }
        }
        if round == 0 {
            // an upload commit, then an import by another process: answers follow at once
            admin.contribute(seed.org_b, 25, 4).await;
            server
                .with_store(|st| {
                    cthub_server::upload::commit(
                        st,
                        "cli.csv",
                        &ctdc_file(13, 0, 5),
                        "Org A",
                        "cli:test",
                    )
                    .unwrap()
                })
                .await;
            let (_, ind) = admin.get("/api/indicators/by_year?source=store").await;
            assert_eq!(ind["population"], json!(98.0), "{ind}");
        }
    }
    server.stop().await;
}

/// A burst of distinct chart requests (each a computation) is answered, or refused at once with
/// 503 and `Retry-After` past the queue bound; none hangs, and health answers meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_computations_is_bounded() {
    let server = TestServer::start("sqlite").await.unwrap();
    let seed = seed(&server).await;
    let admin = Client::login(&server, "admin").await;
    admin.contribute(seed.org_a, 200, 9).await;
    let ids = [
        "by_year",
        "sex_age",
        "by_citizenship",
        "by_country",
        "exploitation_type",
        "flows",
    ];
    let mut tasks = Vec::new();
    for k in 0..180usize {
        let path = format!(
            "/api/indicators/{}?source=store&year_from={}&year_to={}",
            ids[k % ids.len()],
            2000 + k % 17,
            2030 - k % 13
        );
        let rb = admin.req(reqwest::Method::GET, &path);
        tasks.push(tokio::spawn(async move {
            let r = rb.send().await.unwrap();
            let retry = r.headers().get("retry-after").is_some();
            (r.status().as_u16(), retry)
        }));
    }
    let (s, _) = Client::public(&server).get("/api/health").await;
    assert_eq!(s, 200);
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => ok += 1,
            (503, true) => refused += 1,
            other => panic!("a chart request answered {other:?}"),
        }
    }
    println!("{ok} answered, {refused} refused with Retry-After");
    assert!(ok > 0);
    server.stop().await;
}
