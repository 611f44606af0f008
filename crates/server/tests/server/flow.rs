//! The server's flows end to end over a real store (SQLite and PostgreSQL): contribution
//! upload → report → commit → analytics; sessions, CSRF, rate limiting, tokens; releases and
//! the analysts' SQL; the dashboard's static files.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn contribution_flow(backend: &str) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let seed = seed(&server).await;
    let a = Client::login(&server, "contrib_a").await;
    let b = Client::login(&server, "contrib_b").await;
    let admin = Client::login(&server, "admin").await;

    // Upload a file with 2 bad rows: the report names row, column, value and rule.
    let (s, up) = a
        .upload("/api/uploads", "cases.csv", &ctdc_file(40, 2, 3))
        .await;
    assert_eq!(s, 201, "{up}");
    assert_eq!(up["status"], "validated");
    assert_eq!(up["organisation"]["id"], seed.org_a);
    assert_eq!(up["summary"]["rows"], 42, "{up}");
    assert_eq!(up["summary"]["quarantined"], 2, "{up}");
    assert_eq!(up["summary"]["accepted"], 40, "{up}");
    let issues = up["issues"].as_array().unwrap();
    let bad = issues
        .iter()
        .find(|i| i["severity"] == "error")
        .expect("an error issue");
    assert_eq!(bad["column"], "gender", "{bad}");
    assert_eq!(bad["value"], "Dragon", "{bad}");
    assert!(bad["row"].as_u64().unwrap() >= 42, "{bad}");
    assert!(!bad["rule"].as_str().unwrap().is_empty());
    let id = up["id"].as_i64().unwrap();

    // The report as CSV.
    let r = a
        .req(Method::GET, &format!("/api/uploads/{id}/report.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = r.text().await.unwrap();
    assert!(
        csv.starts_with("row,column,value,rule,severity,message"),
        "{csv}"
    );
    assert!(csv.contains("Dragon"));

    // Nothing is in the store before the commit.
    let (_, before) = admin.get("/api/indicators/by_year?source=store").await;
    assert_eq!(before["population"], 0.0, "{before}");

    // Another organisation's contributor cannot see or commit it.
    let (s, _) = b.get(&format!("/api/uploads/{id}")).await;
    assert_eq!(s, 404);
    let (s, _) = b
        .post(&format!("/api/uploads/{id}/commit"), json!({}))
        .await;
    assert_eq!(s, 404);

    let (s, done) = a
        .post(&format!("/api/uploads/{id}/commit"), json!({}))
        .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["status"], "committed");
    let (s, again) = a
        .post(&format!("/api/uploads/{id}/commit"), json!({}))
        .await;
    assert_eq!(s, 409, "{again}");

    // The same file again is refused at commit: it is already a contribution.
    let (_, dup) = a
        .upload("/api/uploads", "cases.csv", &ctdc_file(40, 2, 3))
        .await;
    let (s, e) = a
        .post(&format!("/api/uploads/{}/commit", dup["id"]), json!({}))
        .await;
    assert_eq!(s, 409, "{e}");

    // Contributions: each contributor sees only its own organisation's.
    let (_, mine) = a.get("/api/contributions").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["organisation"], "Org A");
    let (_, theirs) = b.get("/api/contributions").await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);

    // Analytics on the store refresh after the write, scoped per organisation.
    let (s, ind) = admin.get("/api/indicators/by_year?source=store").await;
    assert_eq!(s, 200, "{ind}");
    assert_eq!(ind["population"], 40.0, "{ind}");
    let total: f64 = ind["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_f64().unwrap())
        .sum();
    assert_eq!(total, 40.0);
    let (_, ind_b) = b.get("/api/indicators/by_year?source=store").await;
    assert_eq!(
        ind_b["population"], 0.0,
        "org B sees none of org A's records: {ind_b}"
    );
    let (_, ex) = a
        .get("/api/indicators/exploitation_type?source=store")
        .await;
    let fl = ex["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "isForcedLabour")
        .unwrap()
        .clone();
    // rows 0,3,6,... are forced labour: 14 of 40; the denominator is everyone with a recorded type.
    assert_eq!(fl["count"], 14.0, "{ex}");
    assert_eq!(ex["denominator"], 40.0, "{ex}");
    let (_, f) = a.get("/api/indicators/by_year?source=store&sex=Male").await;
    assert_eq!(f["population"], 14.0, "{f}");
    let (s, e) = a
        .get("/api/indicators/by_year?source=store&exploitation=nonsense")
        .await;
    assert_eq!(s, 400, "{e}");

    // Filter options of the source.
    let (_, opts) = admin.get("/api/filters?source=store").await;
    assert!(
        opts["citizenship"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["key"] == "UA" && o["label"] == "Ukraine"),
        "{opts}"
    );
    assert_eq!(
        (opts["year"]["min"].as_i64(), opts["year"]["max"].as_i64()),
        (Some(2015), Some(2022)),
        "{opts}"
    );

    // Record-level read of the contribution, audited.
    let cid = done["contribution_id"].as_i64().unwrap();
    let (s, recs) = a
        .get(&format!("/api/contributions/{cid}/records?limit=3"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(recs["total"], 40);
    assert_eq!(recs["records"].as_array().unwrap().len(), 3);
    let (_, audit) = admin.get("/api/audit?limit=50").await;
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "records.read" && e["actor"] == "user:contrib_a"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contribution_flow_sqlite() {
    contribution_flow("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contribution_flow_postgres() {
    contribution_flow("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_csrf_rate_limit_and_tokens() {
    let server = TestServer::start("sqlite").await.unwrap();
    seed(&server).await;
    let admin = Client::login(&server, "admin").await;

    // Cookie flags.
    let r = http_client(false)
        .post(server.url("/api/session"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // A state-changing request with the cookie but without the CSRF header is refused.
    let (s, e) = send(
        admin
            .http
            .post(server.url("/api/organisations"))
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(s, 403, "{e}");
    assert_eq!(e["error"]["code"], "csrf");
    let (s, _) = send(
        admin
            .http
            .post(server.url("/api/organisations"))
            .header("x-csrf-token", "wrong")
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = admin.post("/api/organisations", json!({"name": "x"})).await;
    assert_eq!(s, 201);
    let (s, _) = admin.post("/api/organisations", json!({"name": "x"})).await;
    assert_eq!(s, 409, "duplicate names are a conflict");

    // Login rate limit: 3 failures (test config), then 429 even with the right password.
    let anon = http_client(false);
    for _ in 0..3 {
        let (s, _) = send(
            anon.post(server.url("/api/session"))
                .json(&json!({"username": "analyst", "password": "wrong password!"})),
        )
        .await;
        assert_eq!(s, 401);
    }
    let r = anon
        .post(server.url("/api/session"))
        .json(&json!({"username": "analyst", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    // Another user is not locked out.
    let (s, _) = send(
        anon.post(server.url("/api/session"))
            .json(&json!({"username": "contrib_a", "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, 200);
    // Unknown users get the same answer as wrong passwords.
    let (s, e) = send(
        anon.post(server.url("/api/session"))
            .json(&json!({"username": "nobody", "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(e["error"]["message"], "wrong user name or password");

    // API tokens: bearer works without cookie or CSRF; revoked tokens do not.
    let (s, t) = admin.post("/api/tokens", json!({"name": "ci"})).await;
    assert_eq!(s, 201);
    let token = t["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("cthub_"));
    let (_, list) = admin.get("/api/tokens").await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|x| x.get("token").is_none() && x.get("token_hash").is_none()),
        "tokens are shown once: {list}"
    );
    let bearer = http_client(false);
    let (s, me) = send(bearer.get(server.url("/api/session")).bearer_auth(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(me["user"]["username"], "admin");
    let (s, _) = send(
        bearer
            .post(server.url("/api/organisations"))
            .bearer_auth(&token)
            .json(&json!({"name": "by token"})),
    )
    .await;
    assert_eq!(s, 201, "tokens need no CSRF header");
    let (s, _) = send(admin.req(Method::DELETE, &format!("/api/tokens/{}", t["id"]))).await;
    assert_eq!(s, 204);
    let (s, _) = send(bearer.get(server.url("/api/users")).bearer_auth(&token)).await;
    assert_eq!(s, 401);

    // Disabling an account ends its sessions.
    let inv = Client::login(&server, "investigator").await;
    let (_, users) = admin.get("/api/users").await;
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "investigator")
        .unwrap()["id"]
        .clone();
    let (s, _) = send(
        admin
            .req(Method::PATCH, &format!("/api/users/{id}"))
            .json(&json!({"disabled": true})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, me) = inv.get("/api/session").await;
    assert_eq!(me["user"], Value::Null);

    // Logout.
    let (s, _) = send(admin.req(Method::DELETE, "/api/session")).await;
    assert_eq!(s, 204);
    let (_, me) = admin.get("/api/session").await;
    assert_eq!(me["user"], Value::Null);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_dp_indicators_sql_and_static_files() {
    let server = TestServer::start("sqlite").await.unwrap();
    let seed = seed(&server).await;
    let public = Client::public(&server);
    let analyst = Client::login(&server, "analyst").await;

    // Who ran a release or spent budget is shown to admins only (the CLI records the
    // operating-system user); each charge shows its own (ε, δ).
    server
        .with_store(|st| {
            st.set_privacy_budget("store", "the store", 1.0, "cli:alice-os-user")
                .unwrap();
            st.charge_privacy(
                "store",
                0.01,
                "a test release",
                &json!({"kind": "aggregates", "epsilon": 0.7, "delta": 1e-8}),
                "cli:alice-os-user",
            )
            .unwrap();
        })
        .await;
    let admin = Client::login(&server, "admin").await;
    for (who, client) in [
        ("public", &public),
        ("analyst", &analyst),
        ("admin", &admin),
    ] {
        let (s, ledger) = client.get("/api/ledger").await;
        assert_eq!(s, 200, "{ledger}");
        let (_, releases) = client.get("/api/releases").await;
        let text = format!("{ledger}{releases}");
        let charge = &ledger[0]["charges"][0];
        assert_eq!(
            (charge["epsilon"].as_f64(), charge["delta"].as_f64()),
            (Some(0.7), Some(1e-8)),
            "{ledger}"
        );
        if who == "admin" {
            assert!(text.contains("cli:alice-os-user"), "{ledger}");
        } else {
            assert!(
                !text.contains("alice-os-user"),
                "{who} sees who ran it: {text}"
            );
            assert!(
                !text.contains("\"test\""),
                "{who} sees the release's creator: {releases}"
            );
            assert_eq!(charge["actor"], "hub operator");
        }
    }

    // Public sees the published releases only, as sources and as releases.
    let (_, sources) = public.get("/api/sources").await;
    let ids: Vec<&str> = sources
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&format!("release-{}", seed.published_dp).as_str()),
        "{sources}"
    );
    assert!(!ids.contains(&format!("release-{}", seed.unpublished).as_str()));
    assert!(!ids.contains(&"store"));

    // DP indicators carry intervals that contain the noisy count.
    let (s, ind) = public
        .get(&format!(
            "/api/indicators/by_year?source=release-{}",
            seed.published_dp
        ))
        .await;
    assert_eq!(s, 200, "{ind}");
    assert_eq!(ind["dp"], true);
    let rows = ind["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{ind}");
    for r in rows {
        let (n, lo, hi) = (
            r["count"].as_f64().unwrap(),
            r["lower"].as_f64().unwrap(),
            r["upper"].as_f64().unwrap(),
        );
        assert!(lo <= n && n <= hi && hi > lo, "{r}");
    }
    // The noisy year counts add up to about the 400 records (7 noisy cells, half-widths ~
    // tens); a bound far outside the noise.
    let sum: f64 = rows.iter().map(|r| r["count"].as_f64().unwrap()).sum();
    assert!((sum - 400.0).abs() < 400.0, "{sum}");
    // A filter through a released 2-way combination.
    let (s, f) = public
        .get(&format!(
            "/api/indicators/by_year?source=release-{}&sex=Woman",
            seed.published_dp
        ))
        .await;
    assert_eq!(s, 200, "{f}");
    // A filter the release cannot answer is a clear 400.
    let (s, e) = public
        .get(&format!(
            "/api/indicators/by_year?source=release-{}&data_source=x",
            seed.published_dp
        ))
        .await;
    assert_eq!(s, 400, "{e}");

    // Record-level release: exact counts over the released rows.
    let (_, ind) = public
        .get(&format!(
            "/api/indicators/flows?source=release-{}",
            seed.published_records
        ))
        .await;
    let total: f64 = ind["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_f64().unwrap())
        .sum();
    assert_eq!(total, 400.0, "{ind}");
    assert_eq!(
        ind["rows"][0]["label"].as_str().map(|s| s.len() > 2),
        Some(true),
        "country names: {ind}"
    );

    // Downloads.
    let r = public
        .req(
            Method::GET,
            &format!(
                "/api/releases/{}/files/synthetic.csv",
                seed.published_records
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.text().await.unwrap().lines().count(), 401);

    // SQL for analysts over released tables only; writes and DDL are refused.
    let (s, q) = analyst.post("/api/sql", json!({"sql": format!("SELECT gender, COUNT(*) AS n FROM release_{} GROUP BY gender ORDER BY gender", seed.published_records)})).await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["columns"], json!(["gender", "n"]));
    for bad in [
        "CREATE TABLE x (a INT)",
        "INSERT INTO release_1 VALUES (1)",
        "SELECT * FROM case_record",
    ] {
        let (s, e) = analyst.post("/api/sql", json!({"sql": bad})).await;
        assert_eq!(s, 400, "{bad}: {e}");
    }

    // The ledger is public.
    let (s, l) = public.get("/api/ledger").await;
    assert_eq!(s, 200, "{l}");

    // The dashboard: index for client routes, JSON 404 under /api.
    let r = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("<html"));
    let r = reqwest::get(server.url("/some/client/route"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, e) = public.get("/api/nothing-here").await;
    assert_eq!(s, 404);
    assert_eq!(e["error"]["code"], "not_found");
    assert!(e["error"]["request_id"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));

    // The OpenAPI document.
    let (s, doc) = public.get("/api/openapi.json").await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/indicators/{id}"]["get"].is_object());

    // Health, readiness, request ids.
    let r = reqwest::get(server.url("/api/ready")).await.unwrap();
    assert!(r.headers().get("x-request-id").is_some());
    assert_eq!(r.json::<Value>().await.unwrap()["store"], "sqlite");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_size_limited() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cthub_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: dir.path().join("x.db").to_string_lossy().into_owned(),
        // above the router-wide 1 MiB body limit, so the route's own limit is what is tested
        max_upload_mb: 2,
        ..Default::default()
    };
    let bound = cthub_server::bind(cfg.clone()).await.unwrap();
    let addr = bound.addr;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let h = tokio::spawn(async move {
        bound
            .serve(async {
                let _ = rx.await;
            })
            .await
            .unwrap()
    });
    let db = cfg.database.clone();
    blocking(move || {
        let mut st = cthub_store::open(&db).unwrap();
        let hsh = cthub_server::auth::hash_password(PASSWORD).unwrap();
        let org = cthub_store::hub::create_organisation(st.as_mut(), "O", "t")
            .unwrap()
            .id;
        cthub_store::hub::create_user(
            st.as_mut(),
            "c",
            &hsh,
            cthub_store::hub::Role::Contributor,
            Some(org),
            "t",
        )
        .unwrap();
    })
    .await;
    let http = http_client(true);
    let v: Value = http
        .post(format!("http://{addr}/api/session"))
        .json(&json!({"username": "c", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    // just under the route's limit (and over the router-wide 1 MiB): accepted
    let mut under = ctdc_file(0, 0, 0);
    let rows = ctdc_file(1_000, 0, 0);
    let body = &rows[rows.iter().position(|&b| b == b'\n').unwrap() + 1..];
    while under.len() + body.len() < 2 * 1024 * 1024 - 4 * 1024 {
        under.extend_from_slice(body);
    }
    assert!(under.len() > 1024 * 1024 + 64 * 1024, "{}", under.len());
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(under).file_name("under.csv"),
    );
    let (s, up) = send(
        http.post(format!("http://{addr}/api/uploads"))
            .header("x-csrf-token", &csrf)
            .multipart(form),
    )
    .await;
    assert_eq!(
        s, 201,
        "an upload under the route's limit was refused: {up}"
    );
    // Over the limit: just over it (2 MiB + 64 KiB of multipart allowance, plus 64 KiB), and
    // far over it (8 MiB). The server answers 413 as soon as the limit is passed. When it has
    // not received the whole body by then it closes the connection, and its answer says
    // `Connection: close` so that the client does not pool the dead connection (the requests
    // below reuse this client: before that header they failed with a broken pipe, now and
    // then); the client may also still be writing and see the closed socket instead of the
    // answer. Either way nothing may be stored.
    for (size, must_close) in [
        (2 * 1024 * 1024 + 128 * 1024, false),
        (8 * 1024 * 1024, true),
    ] {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(vec![b'a'; size]).file_name("big.csv"),
        );
        match http
            .post(format!("http://{addr}/api/uploads"))
            .header("x-csrf-token", &csrf)
            .multipart(form)
            .send()
            .await
        {
            Ok(r) => {
                assert_eq!(r.status(), 413, "{size} bytes");
                let close = r.headers().get("connection").and_then(|v| v.to_str().ok());
                println!("{size} bytes: answered 413, connection: {close:?}");
                if must_close {
                    assert_eq!(
                        close,
                        Some("close"),
                        "a response sent before the body was read must close the connection: {:?}",
                        r.headers()
                    );
                }
                let e: Value = r.json().await.unwrap();
                assert_eq!(e["error"]["code"], "payload_too_large", "{e}");
            }
            Err(e) => {
                println!("{size} bytes: the client saw the closed connection ({e})");
                assert!(e.is_request() || e.is_body(), "{e}")
            }
        }
    }
    let (s, list) = send(http.get(format!("http://{addr}/api/uploads"))).await;
    assert_eq!(s, 200);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "only the upload under the limit is stored: {list}"
    );
    let form = reqwest::multipart::Form::new().text("other", "x");
    let (s, e) = send(
        http.post(format!("http://{addr}/api/uploads"))
            .header("x-csrf-token", &csrf)
            .multipart(form),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    tx.send(()).unwrap();
    join_server(h).await;
}

/// The login limiter under attack: concurrent wrong passwords, a spray of names from one
/// address, and a huge name.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_limiter_holds_under_attack() {
    let server = TestServer::start("sqlite").await.unwrap();
    seed(&server).await;
    let url = server.url("/api/session");
    // 50 concurrent wrong passwords for one user: at most 3 (the test config) are verified
    let http = http_client(false);
    let tries = (0..50).map(|_| {
        let (http, url) = (http.clone(), url.clone());
        tokio::spawn(async move {
            send(
                http.post(url)
                    .json(&json!({"username": "analyst", "password": "wrong!"})),
            )
            .await
            .0
        })
    });
    let mut codes = Vec::new();
    for t in tries {
        codes.push(t.await.unwrap());
    }
    let verified = codes.iter().filter(|&&c| c == 401).count();
    let limited = codes.iter().filter(|&&c| c == 429).count();
    println!("50 concurrent wrong logins: {verified} verified (401), {limited} refused (429)");
    assert!(
        verified <= 3,
        "{verified} wrong passwords were verified: {codes:?}"
    );
    assert_eq!(verified + limited, 50, "{codes:?}");

    // 10,000 names from one address: limited per address (10 × 3 failures in the window)
    let mut spray = (0u32, 0u32);
    for i in 0..10_000 {
        let (s, _) = send(
            http.post(&url)
                .json(&json!({"username": format!("nobody{i}"), "password": "wrong!"})),
        )
        .await;
        match s {
            401 => spray.0 += 1,
            429 | 503 => spray.1 += 1,
            other => panic!("login {i} answered {other}"),
        }
    }
    println!(
        "10,000 names from one address: {} verified, {} refused",
        spray.0, spray.1
    );
    // the 3 analyst failures above came from the same address
    assert!(spray.0 <= 30, "{} names were tried", spray.0);

    // a 1 MB name: 400, and nothing about it is stored
    let huge = "n".repeat(1_000_000);
    let (s, e) = send(
        http.post(&url)
            .json(&json!({"username": huge, "password": "x"})),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    let audit = server.with_store(|st| st.audit_log().unwrap()).await;
    assert!(
        !format!("{audit:?}").contains("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"),
        "the huge name reached the audit log"
    );
    server.stop().await;
}
