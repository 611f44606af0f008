// temporary experiment: raw SQLite insert speed under settings
use std::time::Instant;
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let page: u32 = a[0].parse().unwrap();
    let cache_mb: i64 = a[1].parse().unwrap();
    let idx: bool = a[2] == "1";
    let wal: bool = a[3] == "1";
    let n: u64 = a.get(4).map(|s| s.parse().unwrap()).unwrap_or(1_000_000);
    let path = a.get(5).cloned().unwrap_or("/tmp/exp.db".into());
    for s in ["", "-wal", "-shm"] { let _ = std::fs::remove_file(format!("{path}{s}")); }
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(&format!("PRAGMA page_size={page}")).unwrap();
    if wal { let _: String = c.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).unwrap(); }
    c.execute_batch(&format!("PRAGMA synchronous=NORMAL; PRAGMA cache_size=-{}; PRAGMA foreign_keys={};", cache_mb * 1024, std::env::var("FK").unwrap_or("ON".into()))).unwrap();
    c.execute_batch("CREATE TABLE p(id INTEGER PRIMARY KEY); INSERT INTO p VALUES (1); CREATE TABLE t(id INTEGER PRIMARY KEY, cid INTEGER NOT NULL REFERENCES p(id), srow INTEGER, sv INTEGER, y INTEGER, y2 INTEGER, ds TEXT, g TEXT, ab TEXT, mj TEXT, cit TEXT, coe TEXT, fl INTEGER, se INTEGER, ot INTEGER, record TEXT, raw TEXT)").unwrap();
    if idx { if std::env::var("COVER3").is_ok() { c.execute_batch("CREATE INDEX i1 ON t(cid, id, y, g, mj, cit, coe, fl, se, ot); CREATE INDEX i2 ON t(y); CREATE INDEX i3 ON t(cit, coe); CREATE INDEX i4 ON t(coe);").unwrap(); } else if std::env::var("COVER2").is_ok() { c.execute_batch("CREATE INDEX i1 ON t(cid, id, y, g, mj, cit, coe, fl, se, ot); CREATE INDEX i2 ON t(y); CREATE INDEX i3 ON t(cit); CREATE INDEX i4 ON t(coe);").unwrap(); } else if std::env::var("COVER").is_ok() { c.execute_batch("CREATE INDEX i1 ON t(cid); CREATE INDEX i2 ON t(y, g, mj, cit, coe, fl, se, ot); CREATE INDEX i3 ON t(cit, coe); CREATE INDEX i4 ON t(coe);").unwrap(); } else { c.execute_batch("CREATE INDEX i1 ON t(cid); CREATE INDEX i2 ON t(y); CREATE INDEX i3 ON t(cit); CREATE INDEX i4 ON t(coe);").unwrap(); } }
    let json = "x".repeat(std::env::var("JSONLEN").map(|s| s.parse().unwrap()).unwrap_or(1450));
    let cs = ["NA","ZA","PH","UA","MD","US","MX","TH","KH","NG","GH","RO"];
    let t0 = Instant::now();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    {
        let mut st = c.prepare_cached("INSERT INTO t (cid, srow, sv, y, y2, ds, g, ab, mj, cit, coe, fl, se, ot, record, raw) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)").unwrap();
        let mut x: u64 = 88172645463325252;
        for i in 0..n {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            st.execute(rusqlite::params![1, i, 1, 2002 + (x % 22) as i64, 2002 + (x % 22) as i64, "Hotline", "Feminine", "Age18To20", "Adult", cs[(x % 12) as usize], cs[((x >> 8) % 12) as usize], (x>>3)&1, (x>>4)&1, (x>>5)&1, json.as_str(), "[\"1\",\"F\",\"NA\",\"2019\"]"]).unwrap();
        }
    }
    let t1 = t0.elapsed();
    c.execute_batch("COMMIT").unwrap();
    let t2 = t0.elapsed();
    println!("page {page} cache {cache_mb}MB idx {idx} wal {wal}: insert {:.2}s commit {:.2}s => {:.0} rows/s", t1.as_secs_f64(), (t2-t1).as_secs_f64(), n as f64 / t2.as_secs_f64());
    for s in ["", "-wal", "-shm"] { let _ = std::fs::remove_file(format!("{path}{s}")); }
}
