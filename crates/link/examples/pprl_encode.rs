//! What a contributor runs locally: encode the identifying fields of a CSV/Parquet file under the
//! shared linkage schema and secret; only the JSON encodings leave the organisation. Then any
//! party can link two encoding files (refused when schema or secret differ).
//!
//! ```text
//! CTHUB_LINK_SECRET=... cargo run --release -p cthub-link --example pprl_encode -- encode schema.toml data.csv id_column out.json
//! cargo run --release -p cthub-link --example pprl_encode -- link a.json b.json 0.75
//! ```

use cthub_link::pprl::{dice, Encoder, EncodingSet, LinkageSchema};
use cthub_link::Dataset;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("encode") if args.len() == 6 => {
            let secret = std::env::var("CTHUB_LINK_SECRET").map_err(|_| "set CTHUB_LINK_SECRET (16+ bytes shared by all parties)")?;
            let schema = LinkageSchema::from_toml(&std::fs::read_to_string(&args[2])?)?;
            let ds = Dataset::read(&args[3])?;
            let ids = ds.require(&args[4], "id column")?.to_vec();
            let cols: Vec<&[String]> =
                schema.fields.iter().map(|f| ds.require(&f.name, "linkage schema")).collect::<Result<_, _>>()?;
            let enc = Encoder::new(schema.clone(), secret.as_bytes())?.encode(&ids, &cols)?;
            std::fs::write(&args[5], enc.to_json()?)?;
            eprintln!("{} encodings, schema fingerprint {}", enc.len(), enc.fingerprint);
        }
        Some("link") if args.len() == 5 => {
            let a = EncodingSet::from_json(&std::fs::read_to_string(&args[2])?)?;
            let b = EncodingSet::from_json(&std::fs::read_to_string(&args[3])?)?;
            let t: f64 = args[4].parse()?;
            for (i, j, d) in dice::match_two(&a, &b, t, true)? {
                println!("{},{},{d:.4}", a.ids[i as usize], b.ids[j as usize]);
            }
        }
        _ => eprintln!("usage: pprl_encode encode <schema.toml> <data> <id column> <out.json> | link <a.json> <b.json> <threshold>"),
    }
    Ok(())
}
