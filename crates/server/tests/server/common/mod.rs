//! A real server on a loopback port over a real store: SQLite in a temporary directory, or
//! PostgreSQL in a fresh schema (`CTHUB_TEST_DATABASE_URL`, default
//! `postgres://postgres:postgres@127.0.0.1:5432/test`; skipped with a visible line when unreachable
//! unless `CTHUB_REQUIRE_POSTGRES=1`).

#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use cthub_server::ServerConfig;
use cthub_store::hub::{self, Role};
use serde_json::{json, Value};

pub struct TestServer {
    pub addr: SocketAddr,
    pub database: String,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
    pub pg_schema: Option<String>,
}

pub const PASSWORD: &str = "correct horse battery staple";

fn pg_url() -> String {
    std::env::var("CTHUB_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/test".into())
}

/// `Some(location)` for the backend, `None` (after printing SKIPPED) when PostgreSQL is absent.
pub fn location(backend: &str, dir: &std::path::Path) -> Option<(String, Option<String>)> {
    if backend == "sqlite" {
        return Some((dir.join("hub.db").to_string_lossy().into_owned(), None));
    }
    static N: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "srv_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let url = pg_url();
    match postgres::Client::connect(&url, postgres::NoTls) {
        Ok(_) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            Some((format!("{url}{sep}schema={schema}"), Some(schema)))
        }
        Err(e) => {
            let line = format!("SKIPPED (PostgreSQL not reachable: {e})");
            if std::env::var("CTHUB_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("{line} and CTHUB_REQUIRE_POSTGRES=1");
            }
            let _ = writeln!(std::io::stderr(), "{line}");
            None
        }
    }
}

impl TestServer {
    pub async fn start(backend: &str) -> Option<TestServer> {
        let dir = tempfile::tempdir().unwrap();
        let (b, p) = (backend.to_string(), dir.path().to_path_buf());
        // The PostgreSQL client blocks: never on an async worker.
        let (database, pg_schema) = blocking(move || location(&b, &p)).await?;
        let cfg = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            database: database.clone(),
            login_attempts: 3,
            ..ServerConfig::default()
        };
        let bound = cthub_server::bind(cfg).await.unwrap();
        let addr = bound.addr;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            bound
                .serve(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Some(TestServer {
            addr,
            database,
            _dir: dir,
            shutdown: Some(tx),
            handle: Some(handle),
            pg_schema,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Runs `f` on a blocking thread with a direct store connection (seeding, checks).
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn cthub_store::Store) -> T + Send + 'static,
    ) -> T {
        let db = self.database.clone();
        blocking(move || {
            let mut s = cthub_store::open(&db).unwrap();
            f(s.as_mut())
        })
        .await
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            join_server(h).await;
        }
        if let Some(schema) = self.pg_schema.take() {
            blocking(move || {
                if let Ok(mut c) = postgres::Client::connect(&pg_url(), postgres::NoTls) {
                    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            })
            .await;
        }
    }
}

/// The longest a test waits for one request, or for the server to shut down.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// An HTTP client whose every request has a deadline (no test hangs on a silent server).
pub fn http_client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(cookies)
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(DEADLINE)
        .build()
        .unwrap()
}

/// Waits for the server task after its shutdown signal, failing by name after [`DEADLINE`]
/// (graceful shutdown waits for open connections: a leaked one must not hang the suite).
pub async fn join_server<T>(h: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(DEADLINE, h)
        .await
        .expect("the server did not shut down within 60 s of its shutdown signal")
        .unwrap()
}

pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// A logged-in (or public) client that sends the CSRF header on writes.
pub struct Client {
    pub http: reqwest::Client,
    pub csrf: Option<String>,
    pub base: String,
}

impl Client {
    pub fn public(s: &TestServer) -> Client {
        Client {
            http: http_client(true),
            csrf: None,
            base: s.url(""),
        }
    }

    pub async fn login(s: &TestServer, user: &str) -> Client {
        let mut c = Client::public(s);
        let r = c
            .http
            .post(s.url("/api/session"))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {user}: {}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        c.csrf = v["csrf_token"].as_str().map(str::to_string);
        c
    }

    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if method != reqwest::Method::GET {
            if let Some(t) = &self.csrf {
                r = r.header("x-csrf-token", t);
            }
        }
        r
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.req(reqwest::Method::POST, path).json(&body)).await
    }

    /// Uploads `ctdc_file(rows, 0, salt)` for `org` and commits it (as an admin): the new
    /// contribution's id.
    pub async fn contribute(&self, org: i64, rows: usize, salt: u32) -> i64 {
        let (s, up) = self
            .upload(
                &format!("/api/uploads?organisation={org}"),
                "cases.csv",
                &ctdc_file(rows, 0, salt),
            )
            .await;
        assert_eq!(s, 201, "{up}");
        let (s, done) = self
            .post(&format!("/api/uploads/{}/commit", up["id"]), json!({}))
            .await;
        assert_eq!(s, 200, "{done}");
        done["contribution_id"].as_i64().unwrap()
    }

    pub async fn upload(&self, path: &str, name: &str, content: &[u8]) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_string());
        let form = reqwest::multipart::Form::new().part("file", part);
        send(self.req(reqwest::Method::POST, path).multipart(form)).await
    }
}

pub async fn send(r: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A small CTDC 2024 file: `good` valid rows of organisation-specific values, plus `bad` rows
/// with an unknown gender (quarantined).
pub fn ctdc_file(good: usize, bad: usize, salt: u32) -> Vec<u8> {
    let mut s = String::from(
        "yearOfRegistration,Datasource,gender,ageBroad,citizenship,CountryOfExploitation,isForcedLabour,isSexualExploit,meansDebtBondageEarnings\n",
    );
    for i in 0..good {
        let year = 2015 + ((i as u32 + salt) % 8);
        let (g, ex) = if i % 3 == 0 {
            ("Man", "1,,1")
        } else {
            ("Woman", ",1,")
        };
        let cit = ["UA", "PH", "RO", "NG"][i % 4];
        let coe = ["RU", "US", "GB", "IT"][(i + salt as usize) % 4];
        s.push_str(&format!(
            "{year},Case management,{g},18--20,{cit},{coe},{ex}\n"
        ));
    }
    for _ in 0..bad {
        s.push_str("2019,Case management,Dragon,18--20,UA,RU,1,,\n");
    }
    s.into_bytes()
}

/// Seeds organisations, one account per role and three releases (DP aggregates published,
/// synthetic table published, an unpublished one). Returns ids.
pub struct Seed {
    pub org_a: i64,
    pub org_b: i64,
    pub investigator_id: i64,
    pub published_dp: i64,
    pub published_records: i64,
    pub unpublished: i64,
    pub to_publish: i64,
}

pub async fn seed(s: &TestServer) -> Seed {
    s.with_store(seed_store).await
}

fn seed_store(st: &mut dyn cthub_store::Store) -> Seed {
    let h = cthub_server::auth::hash_password(PASSWORD).unwrap();
    let org_a = hub::create_organisation(st, "Org A", "test").unwrap().id;
    let org_b = hub::create_organisation(st, "Org B", "test").unwrap().id;
    hub::create_user(st, "admin", &h, Role::Admin, None, "test").unwrap();
    hub::create_user(st, "contrib_a", &h, Role::Contributor, Some(org_a), "test").unwrap();
    hub::create_user(st, "contrib_b", &h, Role::Contributor, Some(org_b), "test").unwrap();
    hub::create_user(st, "analyst", &h, Role::Analyst, None, "test").unwrap();
    let inv = hub::create_user(st, "investigator", &h, Role::Investigator, None, "test").unwrap();
    // a record-level release and DP aggregates of it, made with the real mechanisms
    let csv = String::from_utf8(ctdc_file(400, 0, 1)).unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let mut tb = cthub_privacy::table::TableBuilder::new(header.clone());
    for r in rdr.records() {
        let r = r.unwrap();
        tb.push(r.iter());
    }
    let table = tb.finish();
    let cols: Vec<String> = [
        "yearOfRegistration",
        "gender",
        "ageBroad",
        "citizenship",
        "CountryOfExploitation",
        "isForcedLabour",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let config = cthub_privacy::dp::aggregates::AggregateConfig::new(cols, 0.5);
    let agg =
        cthub_privacy::dp::aggregates::dp_aggregates(&table, &config, &Default::default()).unwrap();
    let rel = |kind: &str,
               title: &str,
               published: bool,
               files: Vec<(String, String, Vec<u8>)>,
               st: &mut dyn cthub_store::Store| {
        hub::save_release(
            st,
            hub::NewRelease {
                kind,
                title,
                dataset: "store",
                created_by: "test",
                published,
                manifest: json!({"epsilon": 1.0, "delta": 1e-6, "records": 400}),
                files,
            },
        )
        .unwrap()
        .id
    };
    let report = (
        "report.html".to_string(),
        "text/html; charset=utf-8".to_string(),
        b"<html><body>report</body></html>".to_vec(),
    );
    let published_dp = rel(
        "aggregates",
        "DP aggregates",
        true,
        vec![
            (
                "aggregates.json".into(),
                "application/json".into(),
                serde_json::to_vec(&agg).unwrap(),
            ),
            report.clone(),
        ],
        st,
    );
    let records = (
        "synthetic.csv".to_string(),
        "text/csv".to_string(),
        csv.clone().into_bytes(),
    );
    let published_records = rel(
        "synthetic",
        "Synthetic",
        true,
        vec![records.clone(), report.clone()],
        st,
    );
    let unpublished = rel(
        "synthetic",
        "Draft",
        false,
        vec![records.clone(), report.clone()],
        st,
    );
    let to_publish = rel("synthetic", "To publish", false, vec![records, report], st);
    Seed {
        org_a,
        org_b,
        investigator_id: inv.id,
        published_dp,
        published_records,
        unpublished,
        to_publish,
    }
}

/// The linkage schema of the tests' encodings (first name, last name, date of birth).
pub const LINKAGE_SCHEMA: &str = r#"
filter_bits = 1024
[[fields]]
name = "first"
k = 20
[[fields]]
name = "last"
k = 20
[[fields]]
name = "dob"
k = 10
q = 1
normalize = "digits"
"#;

/// The shared secret of the tests' parties.
pub const LINKAGE_SECRET: &[u8] = b"the parties' shared test secret";

/// An encoding file as `cthub encode` writes it: `rows` are (record id, first, last, dob).
pub fn encodings(rows: &[(&str, &str, &str, &str)], secret: &[u8]) -> Vec<u8> {
    use cthub_link::pprl::{Encoder, LinkageSchema};
    let enc = Encoder::new(LinkageSchema::from_toml(LINKAGE_SCHEMA).unwrap(), secret).unwrap();
    let ids: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
    let col = |k: usize| -> Vec<String> {
        rows.iter()
            .map(|r| [r.1, r.2, r.3][k].to_string())
            .collect()
    };
    let (a, b, c) = (col(0), col(1), col(2));
    enc.encode(&ids, &[&a, &b, &c])
        .unwrap()
        .to_json()
        .unwrap()
        .into_bytes()
}
