//! Every endpoint × every role, on a real server over SQLite and PostgreSQL. The table must
//! name every route the router serves (recorded as the router is built, not read from the
//! documentation): a new endpoint without an access row fails here, and so does one missing from
//! the OpenAPI document.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const ROLES: [&str; 6] = [
    "public",
    "admin",
    "contrib_a",
    "contrib_b",
    "analyst",
    "investigator",
];

/// The expected outcome for one role.
#[derive(Clone, Copy, Debug)]
enum E {
    /// Allowed: 2xx. On a row marked `once` (a decision that can be taken once, such as a
    /// commit), the first allowed role gets 2xx and the later ones 409, never anything else.
    Ok,
    /// Denied with this status.
    No(u16),
}
use E::*;

/// (method, path template, body, outcome per role in ROLES order)
struct Case {
    method: Method,
    path: String,
    body: Body,
    expect: [E; 6],
    /// A decision taken once: the allowed roles after the first get 409.
    once: bool,
}

#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Upload,
    /// A login, sent without the role's cookies (anyone may log in).
    Login,
    /// A multipart encoding file (distinct per role).
    Encodings,
}

fn c(method: Method, path: impl Into<String>, body: Body, expect: [E; 6]) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        expect,
        once: false,
    }
}

/// A row whose decision can be taken only once (see [`Case::once`]).
fn once(mut case: Case) -> Case {
    case.once = true;
    case
}

const ALL: [E; 6] = [Ok, Ok, Ok, Ok, Ok, Ok];
const LOGGED_IN: [E; 6] = [No(401), Ok, Ok, Ok, Ok, Ok];
const ADMIN: [E; 6] = [No(401), Ok, No(403), No(403), No(403), No(403)];
const STORE: [E; 6] = [No(401), Ok, Ok, Ok, No(403), No(403)];
const ANALYSTS: [E; 6] = [No(401), Ok, No(403), No(403), Ok, No(403)];
const HIDDEN_RELEASE: [E; 6] = [No(404), Ok, No(404), No(404), Ok, No(404)];
/// Org A's resource: its contributor and admins; org B's contributor does not see it.
const ORG_A: [E; 6] = [No(401), Ok, Ok, No(404), No(403), No(403)];

/// The OpenAPI template of a concrete path (`/api/uploads/3/commit` → `/api/uploads/{id}/commit`).
fn template(path: &str) -> String {
    let p = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = p.split('/').collect();
    let mut out = Vec::new();
    for (i, s) in parts.iter().enumerate() {
        if s.parse::<i64>().is_ok() {
            out.push("{id}".to_string());
        } else if i > 0 && parts[i - 1] == "files" {
            out.push("{name}".to_string());
        } else if i > 0 && parts[i - 1] == "indicators" {
            out.push("{id}".to_string());
        } else {
            out.push(s.to_string());
        }
    }
    out.join("/")
}

async fn run_matrix(backend: &str) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let seed = seed(&server).await;
    let mut clients = Vec::new();
    for r in ROLES {
        clients.push(if r == "public" {
            Client::public(&server)
        } else {
            Client::login(&server, r).await
        });
    }
    let admin = &clients[1];
    // Org A's contribution (through the real upload flow) and staged uploads to decide on.
    let (s, up) = admin
        .upload(
            &format!("/api/uploads?organisation={}", seed.org_a),
            "a.csv",
            &ctdc_file(30, 2, 0),
        )
        .await;
    assert_eq!(s, 201, "{up}");
    let (s, done) = admin
        .post(&format!("/api/uploads/{}/commit", up["id"]), json!({}))
        .await;
    assert_eq!(s, 200, "{done}");
    let contribution = done["contribution_id"].as_i64().unwrap();
    let mut staged = Vec::new();
    for k in 0..2 {
        let (s, up) = admin
            .upload(
                &format!("/api/uploads?organisation={}", seed.org_a),
                "b.csv",
                &ctdc_file(5, 1, 100 + k),
            )
            .await;
        assert_eq!(s, 201, "{up}");
        staged.push(up["id"].as_i64().unwrap());
    }
    let (s, tok) = admin
        .post("/api/tokens", json!({"name": "admin script"}))
        .await;
    assert_eq!(s, 201, "{tok}");
    let admin_token = tok["id"].as_i64().unwrap();
    // Encodings of both organisations and a linkage run to read.
    for (org, refs) in [(seed.org_a, ["a1", "a2"]), (seed.org_b, ["b1", "b2"])] {
        let file = encodings(
            &[
                (refs[0], "maria", "lopez", "19900101"),
                (refs[1], "john", "smith", "19851231"),
            ],
            LINKAGE_SECRET,
        );
        let (s, v) = admin
            .upload(
                &format!("/api/linkage/submissions?organisation={org}"),
                "enc.json",
                &file,
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, run) = admin.post("/api/linkage/runs", json!({})).await;
    assert_eq!(s, 201, "{run}");
    let linkage_run = run["id"].as_i64().unwrap();
    let upload_for = |role: &str| {
        if role == "admin" {
            format!("/api/uploads?organisation={}", seed.org_b)
        } else {
            "/api/uploads".to_string()
        }
    };

    // a budget for the release an admin starts from the hub
    server
        .with_store(|st| {
            st.set_privacy_budget("store", "the store", 1.0, "test")
                .unwrap();
        })
        .await;
    let pub_r = seed.published_records;
    let hidden = seed.unpublished;
    let cases = vec![
        c(Method::GET, "/api/health", Body::None, ALL),
        c(Method::GET, "/api/ready", Body::None, ALL),
        c(Method::GET, "/api/openapi.json", Body::None, ALL),
        c(Method::GET, "/api/session", Body::None, ALL),
        c(Method::POST, "/api/session", Body::Login, ALL),
        c(Method::GET, "/api/sources", Body::None, ALL),
        c(
            Method::GET,
            format!("/api/filters?source=release-{pub_r}"),
            Body::None,
            ALL,
        ),
        c(Method::GET, "/api/filters?source=store", Body::None, STORE),
        c(Method::GET, "/api/indicators", Body::None, ALL),
        c(
            Method::GET,
            format!("/api/indicators/by_year?source=release-{pub_r}"),
            Body::None,
            ALL,
        ),
        c(
            Method::GET,
            format!(
                "/api/indicators/by_year?source=release-{}",
                seed.published_dp
            ),
            Body::None,
            ALL,
        ),
        c(
            Method::GET,
            "/api/indicators/exploitation_type?source=store",
            Body::None,
            STORE,
        ),
        c(
            Method::GET,
            format!("/api/indicators/flows?source=release-{hidden}"),
            Body::None,
            HIDDEN_RELEASE,
        ),
        c(Method::GET, "/api/countries", Body::None, ALL),
        c(Method::GET, "/api/releases", Body::None, ALL),
        c(
            Method::POST,
            "/api/releases",
            Body::Json(
                json!({"kind": "aggregates", "epsilon": 0.1, "columns": ["gender"], "length": 1}),
            ),
            ADMIN,
        ),
        c(
            Method::GET,
            format!("/api/releases/{pub_r}"),
            Body::None,
            ALL,
        ),
        c(
            Method::GET,
            format!("/api/releases/{hidden}"),
            Body::None,
            HIDDEN_RELEASE,
        ),
        c(
            Method::GET,
            format!("/api/releases/{pub_r}/files/synthetic.csv"),
            Body::None,
            ALL,
        ),
        c(
            Method::GET,
            format!("/api/releases/{hidden}/files/synthetic.csv"),
            Body::None,
            HIDDEN_RELEASE,
        ),
        c(
            Method::POST,
            format!("/api/releases/{}/publish", seed.to_publish),
            Body::None,
            ADMIN,
        ),
        c(Method::GET, "/api/ledger", Body::None, ALL),
        c(
            Method::POST,
            "/api/sql",
            Body::Json(json!({"sql": format!("SELECT COUNT(*) FROM release_{pub_r}")})),
            ANALYSTS,
        ),
        c(Method::GET, "/api/contributions", Body::None, STORE),
        c(
            Method::GET,
            format!("/api/contributions/{contribution}/records?limit=5"),
            Body::None,
            ORG_A,
        ),
        c(Method::POST, "/api/uploads", Body::Upload, STORE),
        c(Method::GET, "/api/uploads", Body::None, STORE),
        c(
            Method::GET,
            format!("/api/uploads/{}", staged[0]),
            Body::None,
            ORG_A,
        ),
        c(
            Method::GET,
            format!("/api/uploads/{}/report.csv", staged[0]),
            Body::None,
            ORG_A,
        ),
        once(c(
            Method::POST,
            format!("/api/uploads/{}/commit", staged[0]),
            Body::None,
            ORG_A,
        )),
        once(c(
            Method::POST,
            format!("/api/uploads/{}/discard", staged[1]),
            Body::None,
            ORG_A,
        )),
        c(Method::GET, "/api/organisations", Body::None, ADMIN),
        c(
            Method::POST,
            "/api/organisations",
            Body::Json(json!({"name": "ROLE-org"})),
            ADMIN,
        ),
        c(Method::GET, "/api/users", Body::None, ADMIN),
        c(
            Method::POST,
            "/api/users",
            Body::Json(json!({"username": "ROLE-user", "password": PASSWORD, "role": "analyst"})),
            ADMIN,
        ),
        c(
            Method::PATCH,
            format!("/api/users/{}", seed.investigator_id),
            Body::Json(json!({"disabled": false})),
            ADMIN,
        ),
        c(Method::GET, "/api/tokens", Body::None, LOGGED_IN),
        c(
            Method::POST,
            "/api/tokens",
            Body::Json(json!({"name": "script"})),
            LOGGED_IN,
        ),
        c(
            Method::DELETE,
            format!("/api/tokens/{admin_token}"),
            Body::None,
            [No(401), Ok, No(404), No(404), No(404), No(404)],
        ),
        c(Method::GET, "/api/audit", Body::None, ADMIN),
        c(Method::GET, "/api/linkage/submissions", Body::None, STORE),
        c(
            Method::POST,
            "/api/linkage/submissions",
            Body::Encodings,
            STORE,
        ),
        c(Method::GET, "/api/linkage/runs", Body::None, ADMIN),
        c(
            Method::POST,
            "/api/linkage/runs",
            Body::Json(json!({"match_threshold": 0.9})),
            ADMIN,
        ),
        c(
            Method::GET,
            format!("/api/linkage/runs/{linkage_run}"),
            Body::None,
            ADMIN,
        ),
        c(
            Method::GET,
            format!("/api/linkage/runs/{linkage_run}/review?pending=false"),
            Body::None,
            ADMIN,
        ),
        c(
            Method::GET,
            format!("/api/linkage/runs/{linkage_run}/persons"),
            Body::None,
            ADMIN,
        ),
        c(Method::GET, "/api/linkage/decisions", Body::None, ADMIN),
        c(
            Method::POST,
            "/api/linkage/decisions",
            Body::Json(
                json!({"a": {"organisation_id": seed.org_a, "record_ref": "a2"},
                "b": {"organisation_id": seed.org_b, "record_ref": "b2"}, "decision": "accept"}),
            ),
            ADMIN,
        ),
        c(Method::DELETE, "/api/session", Body::None, LOGGED_IN),
    ];

    // Every route the router serves has a row, and is documented.
    let mut covered: Vec<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_string(), template(&c.path)))
        .collect();
    covered.sort();
    covered.dedup();
    let served = cthub_server::api::route_table();
    for r in &served {
        assert!(covered.contains(r), "no access row for {} {}", r.0, r.1);
    }
    let documented = cthub_server::api::documented_routes();
    let undocumented: Vec<_> = served.iter().filter(|r| !documented.contains(r)).collect();
    let unserved: Vec<_> = documented.iter().filter(|r| !served.contains(r)).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not documented: {undocumented:?}; documented but not served: {unserved:?}"
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        let mut decided = false;
        // Roles in an order where the allowed decisions happen last (denials first).
        let mut order: Vec<usize> = (0..ROLES.len()).collect();
        order.sort_by_key(|&i| matches!(case.expect[i], Ok));
        for i in order {
            let role = ROLES[i];
            let cl = &clients[i];
            let path = if matches!(case.body, Body::Upload) && case.method == Method::POST {
                upload_for(role)
            } else if matches!(case.body, Body::Encodings) {
                upload_for(role).replace("/api/uploads", &case.path)
            } else {
                case.path.clone()
            };
            let mut rb = cl.req(case.method.clone(), &path);
            match &case.body {
                Body::Login => {
                    rb = http_client(false)
                        .post(server.url(&path))
                        .json(&json!({"username": "analyst", "password": PASSWORD}));
                }
                Body::None => {}
                Body::Json(v) => {
                    let v: Value =
                        serde_json::from_str(&v.to_string().replace("ROLE", role)).unwrap();
                    rb = rb.json(&v);
                }
                Body::Encodings => {
                    let id = format!("{role}-1");
                    let file = encodings(&[(&id, "amina", "yusuf", "20010704")], LINKAGE_SECRET);
                    let part = reqwest::multipart::Part::bytes(file).file_name("enc.json");
                    rb = rb.multipart(reqwest::multipart::Form::new().part("file", part));
                }
                Body::Upload => {
                    let part = reqwest::multipart::Part::bytes(ctdc_file(3, 1, 7 + i as u32))
                        .file_name("m.csv");
                    rb = rb.multipart(reqwest::multipart::Form::new().part("file", part));
                }
            }
            let (status, body) = send(rb).await;
            checked += 1;
            let ok = match case.expect[i] {
                Ok if case.once && decided => status == 409,
                Ok => (200..300).contains(&status),
                No(s) => status == s,
            };
            decided |= (200..300).contains(&status);
            if !ok {
                failures.push(format!(
                    "{role:>12} {} {path}: got {status}, expected {:?}: {body}",
                    case.method, case.expect[i]
                ));
            }
            if status >= 400 {
                // Every error has the JSON shape with a request id.
                let id = body["error"]["request_id"].as_str().unwrap_or("");
                if id.is_empty() || body["error"]["code"].as_str().is_none() {
                    failures.push(format!(
                        "{role} {} {path}: error without shape: {body}",
                        case.method
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{backend}: {} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Record-level reads are audited.
    let audit = server
        .with_store(|st| cthub_store::hub::recent_audit(st, 5000).unwrap())
        .await;
    assert!(
        audit.iter().any(|a| a.action == "records.read"),
        "records.read not audited"
    );
    assert!(audit.iter().any(|a| a.action == "upload.commit"));
    assert!(audit.iter().any(|a| a.action == "release.publish"));
    assert!(audit.iter().any(|a| a.action == "linkage.persons.read"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_for_every_role_sqlite() {
    run_matrix("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_for_every_role_postgres() {
    run_matrix("postgres").await;
}
