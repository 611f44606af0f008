//! Record segments: the full text of accepted records, stored in blocks.
//!
//! Every accepted record has a narrow row in `case_record` (id, provenance, the indexed facts);
//! its complete case record (JSON) and its source cells (a JSON array) are kept in
//! `record_segment`, a block of up to about a thousand consecutive records of one contribution,
//! as JSON lines compressed with zstd. A block compresses ~10x (records of one file repeat the
//! same keys and values), so an import writes a tenth of the bytes one row per record would, and
//! a full scan reads and decodes sequential blocks.
//!
//! Record *i* of a contribution (in `case_record.id` order) is line *i* of the concatenated
//! segments of that contribution (in `seq` order). Segments written by migration 4 from older
//! stores hold one record each, uncompressed (`jsonl`).

use std::borrow::Cow;

use crate::{Result, StoreError};

/// The encoding written by imports.
pub(crate) const ZSTD_JSONL: &str = "jsonl+zstd";
/// Plain JSON lines (records migrated from schema version 3).
pub(crate) const JSONL: &str = "jsonl";

/// zstd level of new segments: level 1 compresses ~600 KB of record JSON in a few ms at a
/// ratio close to the default level's.
const LEVEL: i32 = 1;

/// Compresses segment text; keeps its zstd context between segments.
pub(crate) struct Encoder(zstd::bulk::Compressor<'static>);

impl Encoder {
    pub fn new() -> Result<Encoder> {
        Ok(Encoder(zstd::bulk::Compressor::new(LEVEL)?))
    }

    pub fn encode(&mut self, jsonl: &[u8]) -> Result<Vec<u8>> {
        Ok(self.0.compress(jsonl)?)
    }
}

/// The JSON lines of a stored segment.
pub(crate) fn decode<'a>(encoding: &str, data: &'a [u8]) -> Result<Cow<'a, [u8]>> {
    match encoding {
        ZSTD_JSONL => zstd::stream::decode_all(data).map(Cow::Owned).map_err(|e| {
            StoreError::Corrupt(format!("a record segment cannot be decompressed: {e}"))
        }),
        JSONL => Ok(Cow::Borrowed(data)),
        other => Err(StoreError::Corrupt(format!(
            "unknown record segment encoding {other:?}"
        ))),
    }
}

/// Splits decoded JSON lines (serde_json never writes a raw newline inside a value).
pub(crate) fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b'\n').filter(|l| !l.is_empty())
}

/// One decoded segment: `records` pairs of (record JSON, raw JSON).
pub(crate) struct Decoded {
    records: Vec<u8>,
    raw: Vec<u8>,
}

impl Decoded {
    pub fn new(expected: i64, encoding: &str, records: &[u8], raw: &[u8]) -> Result<Decoded> {
        let d = Decoded {
            records: decode(encoding, records)?.into_owned(),
            raw: decode(encoding, raw)?.into_owned(),
        };
        let (a, b) = (lines(&d.records).count(), lines(&d.raw).count());
        if a as i64 != expected || b as i64 != expected {
            return Err(StoreError::Corrupt(format!(
                "a record segment should hold {expected} records but holds {a} records and {b} source rows"
            )));
        }
        Ok(d)
    }

    /// (record JSON, raw JSON) pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        lines(&self.records).zip(lines(&self.raw))
    }
}

/// A segment line without its `case_record` row.
pub(crate) fn orphan(contribution: i64) -> StoreError {
    StoreError::Corrupt(format!(
        "contribution {contribution} has more records in its segments than case_record rows"
    ))
}

/// A `case_record` row without its segment line.
pub(crate) fn missing(contribution: i64) -> StoreError {
    StoreError::Corrupt(format!(
        "contribution {contribution} has case_record rows whose record text is missing"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut e = Encoder::new().unwrap();
        let recs = b"{\"a\":1}\n{\"a\":2}\n";
        let raw = b"[\"x\"]\n[\"y\\n\"]\n";
        let d = Decoded::new(
            2,
            ZSTD_JSONL,
            &e.encode(recs).unwrap(),
            &e.encode(raw).unwrap(),
        )
        .unwrap();
        let pairs: Vec<_> = d.pairs().collect();
        assert_eq!(
            pairs,
            vec![
                (&b"{\"a\":1}"[..], &b"[\"x\"]"[..]),
                (&b"{\"a\":2}"[..], &b"[\"y\\n\"]"[..])
            ]
        );
        assert!(Decoded::new(
            3,
            ZSTD_JSONL,
            &e.encode(recs).unwrap(),
            &e.encode(raw).unwrap()
        )
        .is_err());
        assert!(Decoded::new(1, JSONL, b"{}", b"[]").is_ok());
        assert!(decode("lz4", b"").is_err());
        assert!(decode(ZSTD_JSONL, b"not zstd").is_err());
    }
}
