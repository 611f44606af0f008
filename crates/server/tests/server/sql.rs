//! The analysts' SQL is bounded: a cross join of two large releases that must be held in memory
//! ends in a clear 400 within the time limit, and the server's memory stays bounded.

use crate::common;

use common::*;
use cthub_store::hub;
use serde_json::json;

/// The process's peak resident memory (VmHWM), in MiB.
fn peak_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_cross_join_is_refused_in_bounded_memory() {
    let server = TestServer::start("sqlite").await.unwrap();
    seed(&server).await;
    let ids: Vec<i64> = server
        .with_store(|st| {
            (0..2)
                .map(|k| {
                    let mut csv = String::from("year,gender,citizenship,country,note\n");
                    for i in 0..6000 {
                        csv.push_str(&format!(
                            "{},{},C{},D{},row {i} of table {k} with some text\n",
                            2000 + i % 24,
                            ["Woman", "Man"][i % 2],
                            i % 97,
                            i % 89
                        ));
                    }
                    hub::save_release(
                        st,
                        hub::NewRelease {
                            kind: "synthetic",
                            title: "big",
                            dataset: "store",
                            created_by: "test",
                            published: true,
                            manifest: json!({"records": 6000}),
                            files: vec![(
                                "synthetic.csv".into(),
                                "text/csv".into(),
                                csv.into_bytes(),
                            )],
                        },
                    )
                    .unwrap()
                    .id
                })
                .collect()
        })
        .await;
    let analyst = Client::login(&server, "analyst").await;
    let (a, b) = (ids[0], ids[1]);
    let (s, v) = analyst
        .post(
            "/api/sql",
            json!({"sql": format!("SELECT COUNT(*) AS n FROM release_{a}")}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rows"][0][0], "6000", "{v}");
    // 36 million distinct values that an aggregate must hold at once (a sort or a DISTINCT under
    // the row limit would be a bounded top-k)
    let before = peak_mib();
    let started = std::time::Instant::now();
    let (s, v) = analyst
        .post(
            "/api/sql",
            json!({"sql": format!(
                "SELECT COUNT(DISTINCT x.note || y.note) AS pairs FROM release_{a} x CROSS JOIN release_{b} y"
            )}),
        )
        .await;
    let took = started.elapsed();
    let text = v.to_string();
    assert_eq!(s, 400, "{:.400}", text);
    assert!(text.contains("MiB"), "not the memory limit: {:.400}", text);
    let after = peak_mib();
    println!("refused in {took:?}; peak memory {before:?} -> {after:?} MiB");
    if let (Some(b0), Some(b1)) = (before, after) {
        // the query may use 256 MiB; its batches in flight, the server around it and other
        // tests of this binary running meanwhile add some. Unbounded, the 36 million distinct
        // strings would take several GiB.
        assert!(b1 - b0 < 1024.0, "peak memory grew from {b0} to {b1} MiB");
    }
    // bounded results still work, from the cached tables
    let (s, v) = analyst
        .post(
            "/api/sql",
            json!({"sql": format!("SELECT x.note FROM release_{a} x CROSS JOIN release_{b} y LIMIT 3")}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rows"].as_array().unwrap().len(), 3, "{v}");
    server.stop().await;
}
