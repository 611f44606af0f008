//! Output helpers: JSON to stdout, human summaries.

use cthub_store::Headline;

pub fn json<T: serde::Serialize + ?Sized>(v: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("output values serialise")
    );
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

pub fn print_headline(h: &Headline, location: &str) {
    println!("cthub headline indicators ({location})");
    println!(
        "  victims recorded     {:>10}   ({} synthetic)",
        h.records, h.synthetic_records
    );
    println!("  rows in quarantine   {:>10}", h.quarantined);
    println!("  contributions        {:>10}", h.contributions);
    if let Some((a, b)) = h.years {
        println!("  registration years   {a}-{b}");
    }
    if let Some(f) = h.female_share {
        println!("  female               {:>10}", pct(f));
    }
    if let Some(m) = h.minor_share {
        println!("  children (minors)    {:>10}", pct(m));
    }
    for (code, n) in &h.exploitation {
        println!("  {:<20} {:>10}", code, n);
    }
    if let Some(d) = h.domestic_share {
        println!(
            "  domestic trafficking {:>10}   (citizenship = country of exploitation)",
            pct(d)
        );
    }
    if !h.top_flows.is_empty() {
        println!("  top flows (citizenship -> country of exploitation):");
        for (a, b, n) in &h.top_flows {
            println!("    {a} -> {b}  {n}");
        }
    }
}
