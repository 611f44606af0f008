//! `cthub export`: stored records out as CSV or Parquet in a CTDC layout, JSON lines of the case
//! model, or the contribution's own source rows (lossless, including quarantined rows).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use arrow::array::{ArrayRef, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use clap::{Args, ValueEnum};
use cthub_standard::crosswalk;
use cthub_standard::CtdcSchema;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::{exit, out, StoreArgs};

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Layout {
    /// CTDC k-anonymised global dataset layout (2018 dictionary).
    #[value(name = "ctdc-kanon-2018")]
    CtdcKanon2018,
    /// CTDC synthetic 2021 layout.
    #[value(name = "ctdc-synthetic-2021")]
    CtdcSynthetic2021,
    /// CTDC synthetic 2024/2025 layout (27 columns, merged means of control).
    #[value(name = "ctdc-synthetic-2024")]
    CtdcSynthetic2024,
    /// CTDC Victim-Perpetrator layout.
    CtdcVp,
    /// One JSON object per line: the full case model (HTCDS-aligned).
    Json,
    /// The contribution's own columns and cells, accepted and quarantined rows, in source order.
    Source,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Container {
    Csv,
    Parquet,
    Jsonl,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Output file.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Layout of the rows.
    #[arg(long, value_enum, default_value = "ctdc-kanon-2018")]
    pub layout: Layout,
    /// File type; default from the output file's extension.
    #[arg(long, value_enum)]
    pub to: Option<Container>,
    /// Only this contribution (required for --layout source).
    #[arg(long)]
    pub contribution: Option<i64>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub json: bool,
}

enum Sink {
    Csv(csv::Writer<std::io::BufWriter<std::fs::File>>),
    Parquet {
        writer: ArrowWriter<std::fs::File>,
        schema: Arc<Schema>,
        columns: Vec<StringBuilder>,
        pending: usize,
    },
    Jsonl(std::io::BufWriter<std::fs::File>),
}

impl Sink {
    fn open(
        path: &PathBuf,
        to: Container,
        header: &[String],
        delimiter: u8,
    ) -> anyhow::Result<Sink> {
        let f = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(match to {
            Container::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .from_writer(std::io::BufWriter::new(f));
                w.write_record(header)?;
                Sink::Csv(w)
            }
            Container::Jsonl => Sink::Jsonl(std::io::BufWriter::new(f)),
            Container::Parquet => {
                let schema = Arc::new(Schema::new(
                    header
                        .iter()
                        .map(|h| Field::new(h, DataType::Utf8, true))
                        .collect::<Vec<_>>(),
                ));
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .build();
                let writer = ArrowWriter::try_new(f, schema.clone(), Some(props))?;
                Sink::Parquet {
                    writer,
                    columns: header.iter().map(|_| StringBuilder::new()).collect(),
                    schema,
                    pending: 0,
                }
            }
        })
    }

    fn row(&mut self, cells: &[String]) -> anyhow::Result<()> {
        match self {
            Sink::Csv(w) => w.write_record(cells)?,
            Sink::Jsonl(_) => bail!("JSON lines take records, not rows"),
            Sink::Parquet {
                columns, pending, ..
            } => {
                for (i, b) in columns.iter_mut().enumerate() {
                    match cells.get(i) {
                        Some(c) if !c.is_empty() => b.append_value(c),
                        _ => b.append_null(),
                    }
                }
                *pending += 1;
                if *pending >= 65_536 {
                    self.flush_batch()?;
                }
            }
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> anyhow::Result<()> {
        if let Sink::Parquet {
            writer,
            schema,
            columns,
            pending,
        } = self
        {
            if *pending > 0 {
                let arrays: Vec<ArrayRef> = columns
                    .iter_mut()
                    .map(|b| Arc::new(b.finish()) as ArrayRef)
                    .collect();
                writer.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
                *pending = 0;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<()> {
        self.flush_batch()?;
        match self {
            Sink::Csv(mut w) => w.flush()?,
            Sink::Jsonl(mut w) => w.flush()?,
            Sink::Parquet { writer, .. } => {
                writer.close()?;
            }
        }
        Ok(())
    }
}

fn schema_of(l: Layout) -> Option<CtdcSchema> {
    Some(match l {
        Layout::CtdcKanon2018 => CtdcSchema::Kanon2018,
        Layout::CtdcSynthetic2021 => CtdcSchema::Synthetic2021,
        Layout::CtdcSynthetic2024 => CtdcSchema::Synthetic2024,
        Layout::CtdcVp => CtdcSchema::VictimPerpetrator,
        _ => return None,
    })
}

pub fn run(a: ExportArgs) -> anyhow::Result<u8> {
    let to = a.to.unwrap_or_else(|| {
        match a
            .out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet") => Container::Parquet,
            Some("jsonl") | Some("json") | Some("ndjson") => Container::Jsonl,
            _ => Container::Csv,
        }
    });
    if (a.layout == Layout::Json) != (to == Container::Jsonl) {
        bail!("--layout json goes with JSON lines output (.jsonl), and JSON lines only with --layout json");
    }
    let mut store = cthub_store::open(&a.store.database)?;
    let mut rows = 0u64;
    match a.layout {
        Layout::Source => {
            let Some(id) = a.contribution else {
                bail!("--layout source needs --contribution ID (see `cthub stats --json` or the import output)");
            };
            let contribution = store
                .contributions()?
                .into_iter()
                .find(|c| c.id == id)
                .with_context(|| format!("no contribution {id} in the store"))?;
            let mut quarantined = store.quarantine(Some(id))?;
            quarantined.sort_by_key(|q| q.source_row);
            let mut q = quarantined.into_iter().peekable();
            let delimiter = if contribution.container == "tsv" {
                b'\t'
            } else {
                b','
            };
            let mut sink = Sink::open(&a.out, to, &contribution.columns, delimiter)?;
            store.for_each_record(Some(id), &mut |r| {
                while q.peek().is_some_and(|x| x.source_row < r.source_row) {
                    let x = q.next().expect("peeked");
                    sink.row(&x.raw).map_err(|e| {
                        cthub_store::StoreError::Io(std::io::Error::other(e.to_string()))
                    })?;
                    rows += 1;
                }
                sink.row(&r.raw).map_err(|e| {
                    cthub_store::StoreError::Io(std::io::Error::other(e.to_string()))
                })?;
                rows += 1;
                Ok(())
            })?;
            for x in q {
                sink.row(&x.raw)?;
                rows += 1;
            }
            sink.finish()?;
        }
        Layout::Json => {
            let mut sink = Sink::open(&a.out, to, &[], b',')?;
            let Sink::Jsonl(w) = &mut sink else {
                unreachable!()
            };
            store.for_each_record(a.contribution, &mut |r| {
                let line = serde_json::json!({
                    "id": r.id,
                    "contribution_id": r.contribution_id,
                    "source_row": r.source_row,
                    "record": r.record,
                });
                serde_json::to_writer(&mut *w, &line).map_err(|e| {
                    cthub_store::StoreError::Io(std::io::Error::other(e.to_string()))
                })?;
                w.write_all(b"\n").map_err(|e| {
                    cthub_store::StoreError::Io(std::io::Error::other(e.to_string()))
                })?;
                rows += 1;
                Ok(())
            })?;
            sink.finish()?;
        }
        layout => {
            let schema = schema_of(layout).expect("CTDC layouts");
            let header: Vec<String> = schema.columns().iter().map(|s| s.to_string()).collect();
            let mut sink = Sink::open(&a.out, to, &header, schema.delimiter())?;
            store.for_each_record(a.contribution, &mut |r| {
                let row = crosswalk::to_row(schema, &r.record);
                sink.row(&row).map_err(|e| {
                    cthub_store::StoreError::Io(std::io::Error::other(e.to_string()))
                })?;
                rows += 1;
                Ok(())
            })?;
            sink.finish()?;
        }
    }
    if a.json {
        out::json(
            &serde_json::json!({"out": a.out, "rows": rows, "layout": format!("{:?}", a.layout)}),
        );
    } else {
        println!("wrote {rows} rows to {}", a.out.display());
    }
    Ok(exit::OK)
}
