//! Parse and validate a file without a store, printing rows/s:
//! `cargo run --release -p cthub-ingest --example validate_speed -- FILE`
fn main() {
    let path = std::env::args().nth(1).expect("usage: validate_speed FILE");
    let started = std::time::Instant::now();
    let mut p =
        cthub_ingest::prepare(std::path::Path::new(&path), &Default::default()).expect("open");
    let mut n = 0u64;
    while let Some(_row) = p.next_row().expect("read") {
        n += 1;
    }
    let s = started.elapsed().as_secs_f64();
    println!(
        "{n} rows in {s:.2}s: {:.0} rows/s ({})",
        n as f64 / s,
        p.info.format
    );
}
