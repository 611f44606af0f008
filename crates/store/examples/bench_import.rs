//! Import throughput: N synthetic accepted rows (~1 KB of record JSON each) through
//! `ImportTx::add`, then the headline and a full stream, with timings.
//!
//! ```text
//! cargo run --release -p cthub-store --example bench_import -- sqlite [ROWS] [PATH]
//! cargo run --release -p cthub-store --example bench_import -- postgres [ROWS] [URL]
//! ```
//! PostgreSQL runs in a throw-away schema `cthub_bench_<pid>` that is dropped afterwards
//! (the SQLite file is deleted); set `BENCH_KEEP=1` to keep them.

use std::time::Instant;

use cthub_ingest::{ImportSummary, ImportedRow, SourceInfo};
use cthub_standard::model::YearSpan;
use cthub_standard::vocab::*;
use cthub_standard::{CaseRecord, Country};
use cthub_store::ContributionMeta;

/// A small deterministic generator (xorshift), so the example needs no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn yes(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

fn record(rng: &mut Rng, countries: &[Country], i: u64) -> CaseRecord {
    let mut r = CaseRecord::new();
    r.person.gender = Some(rng.pick(Gender::all()));
    let age = (rng.next() % 60) as u8 + 5;
    r.person.age = Some(age);
    r.person.age_band = Some(AgeBand::of_age(age));
    r.person.majority = AgeBand::of_age(age).majority();
    r.person.citizenship.push(rng.pick(countries));
    r.victim.registration = Some(YearSpan::year(2002 + (rng.next() % 22) as u16));
    r.victim.data_source = Some(rng.pick(DataSource::all()));
    r.victim.country_of_exploitation = Some(rng.pick(countries));
    for &t in &ExploitationType::all()[..6] {
        r.victim.exploitation.insert(t, rng.yes());
    }
    for &m in &MeansOfControl::all()[..10] {
        r.victim.means_of_control.insert(m, rng.yes());
    }
    for &s in &IsicSection::all()[..6] {
        r.victim.industries.insert(s, rng.yes());
    }
    for &m in &RecruitmentMethod::all()[..5] {
        r.victim.recruitment_methods.insert(m, rng.yes());
    }
    r.extra.insert("caseRef".into(), format!("C-{i:09}"));
    r
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = args.first().map(String::as_str).unwrap_or("sqlite");
    let rows: u64 = args
        .get(1)
        .map(|s| s.parse().expect("ROWS"))
        .unwrap_or(1_000_000);
    let pid = std::process::id();
    let (location, cleanup): (String, Box<dyn Fn()>) = match backend {
        "sqlite" => {
            let path = args.get(2).cloned().unwrap_or_else(|| {
                std::env::temp_dir()
                    .join(format!("cthub-bench-{pid}.db"))
                    .display()
                    .to_string()
            });
            let p = path.clone();
            (
                path,
                Box::new(move || {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{p}{suffix}"));
                    }
                }),
            )
        }
        "postgres" => {
            let url = args
                .get(2)
                .cloned()
                .unwrap_or_else(|| "postgres://postgres:postgres@127.0.0.1:5432/test".to_string());
            let schema = format!("cthub_bench_{pid}");
            let loc = format!(
                "{url}{}schema={schema}",
                if url.contains('?') { '&' } else { '?' }
            );
            (
                loc,
                Box::new(move || {
                    if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
                        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                    }
                }),
            )
        }
        other => panic!("unknown backend {other}: use sqlite or postgres"),
    };
    let result = run(&location, rows);
    if std::env::var_os("BENCH_KEEP").is_none() {
        cleanup();
    }
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(location: &str, rows: u64) -> cthub_store::Result<()> {
    let countries: Vec<Country> = [
        "NA", "ZA", "PH", "UA", "MD", "US", "MX", "TH", "KH", "NG", "GH", "RO",
    ]
    .iter()
    .map(|c| Country::parse(c).unwrap())
    .collect();
    let mut store = cthub_store::open(location)?;
    println!("backend {} at {}", store.backend(), store.location());
    let meta = ContributionMeta {
        organisation: "bench".into(),
        imported_by: "bench".into(),
        source: SourceInfo {
            file_name: "bench.csv".into(),
            sha256: format!("bench-{}", std::process::id()),
            bytes: 0,
            format: "bench".into(),
            container: "csv".into(),
            sheet: None,
            columns: vec![],
            schema_version: cthub_standard::SCHEMA_VERSION,
        },
        synthetic: true,
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let sample = serde_json::to_string(&record(&mut rng, &countries, 0))?;
    println!("record JSON ~{} bytes", sample.len());

    // Rows are made on the fly (bounded memory); generation time is measured apart.
    let t_gen = Instant::now();
    let mut probe = Rng(1);
    for i in 0..rows.min(100_000) {
        std::hint::black_box(record(&mut probe, &countries, i));
    }
    let gen_per_row = t_gen.elapsed().as_secs_f64() / rows.min(100_000) as f64;

    let t0 = Instant::now();
    let mut summary = ImportSummary::default();
    let mut tx = store.begin_import(&meta)?;
    for i in 0..rows {
        let row = ImportedRow {
            source_row: i + 2,
            raw: vec![format!("{i}"), "F".into(), "NA".into(), "2019".into()].into(),
            record: Some(record(&mut rng, &countries, i)),
            issues: vec![],
        };
        summary.add_row(&row);
        tx.add(&row)?;
    }
    let t_add = t0.elapsed();
    let c = tx.commit(&summary)?;
    let total = t0.elapsed();
    let net = total.as_secs_f64() - gen_per_row * rows as f64;
    println!(
        "imported {} rows: add {:.2}s, commit {:.2}s, total {:.2}s = {:.0} rows/s ({:.0} rows/s without row generation, {:.2} µs/row generation)",
        c.rows_accepted,
        t_add.as_secs_f64(),
        (total - t_add).as_secs_f64(),
        total.as_secs_f64(),
        rows as f64 / total.as_secs_f64(),
        rows as f64 / net,
        gen_per_row * 1e6,
    );
    let t = Instant::now();
    let h = store.headline()?;
    println!(
        "headline in {:.3}s: {} records, female {:.3?}, minor {:.3?}, years {:?}, flows {}",
        t.elapsed().as_secs_f64(),
        h.records,
        h.female_share,
        h.minor_share,
        h.years,
        h.top_flows.len()
    );
    let t = Instant::now();
    let counts = store.counts()?;
    println!("counts in {:.3}s: {counts:?}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let n = store.for_each_record(None, &mut |r| {
        std::hint::black_box(r);
        Ok(())
    })?;
    println!(
        "streamed {n} records in {:.2}s = {:.0} records/s",
        t.elapsed().as_secs_f64(),
        n as f64 / t.elapsed().as_secs_f64()
    );
    Ok(())
}
