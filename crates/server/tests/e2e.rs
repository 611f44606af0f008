//! The dashboard end to end in Debian's headless Chromium: `web/e2e/dashboard.mjs`
//! (playwright-core, system browser) against a real server over a real SQLite store seeded
//! with demo records and two published releases made by the real DP mechanisms. Screenshots
//! of every page go to `target/e2e-screenshots/`.
//!
//! Skipped with a visible line when Node.js, Chromium or `web/node_modules` is missing, unless
//! `CTHUB_REQUIRE_E2E=1` (set by `.ci/run`).

#[path = "server/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use common::*;
use cthub_store::hub::{self, Role};
use serde_json::json;

fn skip(why: &str) -> bool {
    let line = format!("SKIPPED (dashboard end-to-end test): {why}");
    if std::env::var("CTHUB_REQUIRE_E2E").as_deref() == Ok("1") {
        panic!("{line} and CTHUB_REQUIRE_E2E=1");
    }
    let _ = writeln!(std::io::stderr(), "{line}");
    true
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Demo records, imported through the upload path, and DP releases of them.
fn seed_demo(st: &mut dyn cthub_store::Store, admin_password: &str) {
    let h = cthub_server::auth::hash_password(admin_password).unwrap();
    hub::create_user(st, "admin", &h, Role::Admin, None, "e2e").unwrap();
    hub::create_organisation(st, "Demo NGO", "e2e").unwrap();
    hub::create_organisation(st, "Partner NGO", "e2e").unwrap();
    let cfg = cthub_demo::DemoConfig {
        seed: 7,
        victims: 3000,
        ..cthub_demo::DemoConfig::default()
    };
    let mut csv = Vec::new();
    cthub_demo::write_kanon_csv(&cfg, &mut csv).unwrap();
    cthub_server::upload::commit(st, "demo.csv", &csv, "Demo NGO", "e2e").unwrap();
    // room for one small release started from the Releases page (ε 0.5 ≈ ρ 0.0044), not ε 10
    st.set_privacy_budget("store", "the demo store", 0.05, "e2e")
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.csv");
    std::fs::write(&path, &csv).unwrap();
    let table = cthub_privacy::Table::from_csv(&path, b',').unwrap();
    let columns: Vec<String> = cthub_release::HEADLINE_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let agg = cthub_privacy::dp::aggregates::dp_aggregates(
        &table,
        &cthub_privacy::dp::aggregates::AggregateConfig::new(columns.clone(), 0.5),
        &Default::default(),
    )
    .unwrap();
    let mut agg_csv = Vec::new();
    agg.write_csv(&mut agg_csv).unwrap();
    let report = (
        "report.html".to_string(),
        "text/html; charset=utf-8".to_string(),
        b"<!doctype html><title>report</title><p>release report".to_vec(),
    );
    hub::save_release(
        st,
        hub::NewRelease {
            kind: "aggregates",
            title: "DP aggregates of the demo",
            dataset: "store",
            created_by: "e2e",
            published: true,
            manifest: json!({"epsilon": 1.0, "delta": 1e-6, "records": agg.total.count}),
            files: vec![
                ("aggregates.csv".into(), "text/csv".into(), agg_csv),
                (
                    "aggregates.json".into(),
                    "application/json".into(),
                    serde_json::to_vec(&agg).unwrap(),
                ),
                report.clone(),
            ],
        },
    )
    .unwrap();
    let mut sc = cthub_privacy::dp::synth::SynthConfig::new(0.5);
    sc.columns = Some(
        table
            .names()
            .into_iter()
            .filter(|c| !c.ends_with("Concatenated"))
            .map(str::to_string)
            .collect(),
    );
    sc.workload = vec![vec!["citizenship".into(), "CountryOfExploitation".into()]];
    let synth = cthub_privacy::dp::synth::synthesize(&table, &sc).unwrap();
    // the flows statement the CLI publishes beside a synthetic release's flows
    let flows = cthub_privacy::dp::workload::evaluate_workload(
        &table,
        &synth.table,
        &[cthub_privacy::dp::workload::Indicator::new(
            "flows",
            &["citizenship", "CountryOfExploitation"],
        )],
        10,
        &|v| cthub_standard::crosswalk::is_missing_in_any_layout(v, true),
    )
    .unwrap()
    .remove(0);
    let mut syn_csv = Vec::new();
    synth.table.write_csv(&mut syn_csv, b',').unwrap();
    hub::save_release(
        st,
        hub::NewRelease {
            kind: "synthetic",
            title: "DP synthetic data of the demo",
            dataset: "store",
            created_by: "e2e",
            published: true,
            manifest: json!({"epsilon": 1.0, "delta": 1e-6, "records": synth.table.n_rows(),
                "flows": {"reliable": flows.reliable(), "fabricated": flows.fabricated_band()}}),
            files: vec![("synthetic.csv".into(), "text/csv".into(), syn_csv), report],
        },
    )
    .unwrap();
}

/// `web/` and the Chromium binary, or `None` (after saying SKIPPED) when Node.js, Chromium or
/// `web/node_modules` is missing.
fn prerequisites() -> Option<(PathBuf, String)> {
    let web = repo().join("web");
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Command::new("node")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_err()
    {
        skip("node is not installed");
        return None;
    }
    if !std::path::Path::new(&chromium).exists() {
        skip(&format!("{chromium} is missing (Debian package chromium)"));
        return None;
    }
    if !web.join("node_modules/playwright-core").exists() {
        skip("web/node_modules/playwright-core is missing (run npm ci in web/)");
        return None;
    }
    Some((web, chromium))
}

/// Chart tooltips show labels as text: `web/e2e/tooltips.mjs` against the mock API serving
/// labels that carry `<img src=x onerror=...>`, on a dashboard built for the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tooltips_escape_labels_in_chromium() {
    let Some((web, chromium)) = prerequisites() else {
        return;
    };
    let dist = tempfile::tempdir().unwrap();
    let shots = repo().join("target/e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let (d, w) = (dist.path().to_path_buf(), web.clone());
    let out = tokio::task::spawn_blocking(move || {
        let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
        let built = cthub_testkit::output_within(
            Command::new(npm)
                .args(["run", "build", "--", "--outDir"])
                .arg(&d)
                .arg("--emptyOutDir")
                .current_dir(&w),
            std::time::Duration::from_secs(110),
            "npm run build (the dashboard for the tooltip test)",
        );
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        cthub_testkit::output_within(
            Command::new("node")
                .arg(w.join("e2e/tooltips.mjs"))
                .arg("--dist")
                .arg(&d)
                .arg("--shots")
                .arg(&shots)
                .args(["--chromium", &chromium]),
            std::time::Duration::from_secs(60),
            "node web/e2e/tooltips.mjs (tooltips in Chromium)",
        )
    })
    .await
    .unwrap();
    succeeded(&out, "tooltip test");
}

/// A browser script's output: printed, and its summary when it succeeded (else the test fails
/// with its output).
fn succeeded(out: &std::process::Output, what: &str) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
    assert_eq!(v["ok"], true, "{stdout}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_chromium() {
    let Some((web, chromium)) = prerequisites() else {
        return;
    };
    let server = TestServer::start("sqlite").await.unwrap();
    let password = "e2e admin password 1";
    server.with_store(move |st| seed_demo(st, password)).await;
    let shots = repo().join("target/e2e-screenshots");
    // Two organisations' encodings for the Linkage page: maria lopez and olga ivanova are the
    // same in both and link (Dice 1); john/jon (Dice ≈ 0.90) lands in the review queue at the
    // thresholds the script sets (0.95 / 0.5). (maria lopez/lopes, Dice ≈ 0.875, would be
    // queued too: a one-letter surname change is not a match at 0.95.)
    let enc_dir = tempfile::tempdir().unwrap();
    let demo_enc = enc_dir.path().join("demo-ngo.json");
    let partner_enc = enc_dir.path().join("partner-ngo.json");
    std::fs::write(
        &demo_enc,
        encodings(
            &[
                ("record:1", "maria", "lopez", "19900101"),
                ("record:2", "john", "smith", "19851231"),
                ("record:3", "amina", "yusuf", "20010704"),
                ("record:4", "olga", "ivanova", "19950505"),
            ],
            LINKAGE_SECRET,
        ),
    )
    .unwrap();
    std::fs::write(
        &partner_enc,
        encodings(
            &[
                ("P-1", "maria", "lopez", "19900101"),
                ("P-2", "jon", "smith", "19851231"),
                ("P-3", "peter", "novak", "19700303"),
                ("P-4", "olga", "ivanova", "19950505"),
            ],
            LINKAGE_SECRET,
        ),
    )
    .unwrap();
    let linkage = format!(
        "Demo NGO={};Partner NGO={}",
        demo_enc.display(),
        partner_enc.display()
    );
    let base = server.url("");
    let out = tokio::task::spawn_blocking(move || {
        cthub_testkit::output_within(
            Command::new("node")
                .arg(web.join("e2e/dashboard.mjs"))
                .args(["--base", &base])
                .args(["--admin", &format!("admin:{password}")])
                .arg("--upload")
                .arg(web.join("e2e/upload-with-errors.csv"))
                .arg("--shots")
                .arg(&shots)
                .args(["--chromium", &chromium])
                .args(["--linkage", &linkage]),
            std::time::Duration::from_secs(110),
            "node web/e2e/dashboard.mjs (the dashboard in Chromium)",
        )
    })
    .await
    .unwrap();
    succeeded(&out, "dashboard end-to-end");
    server.stop().await;
}
