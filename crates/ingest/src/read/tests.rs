//! End-to-end tests of the readers, on fixtures generated in a temporary directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;

use super::*;

fn write_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read_all(source: &mut dyn RowSource) -> Result<Vec<RawRow>, ReadError> {
    let mut rows = Vec::new();
    while let Some(row) = source.next_row()? {
        rows.push(row);
    }
    Ok(rows)
}

fn open_sniffed(path: &Path, opts: &ReadOptions) -> Result<Box<dyn RowSource>, ReadError> {
    open_table(path, sniff_kind(path)?, opts)
}

fn cells(row: &RawRow) -> Vec<&str> {
    row.cells.iter().map(String::as_str).collect()
}

// ---------------------------------------------------------------- text

#[test]
fn csv_with_utf8_bom() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "bom.csv", "\u{feff} id ,name\n1,Ana\n".as_bytes());
    assert_eq!(
        sniff_kind(&path).unwrap(),
        TableKind::Csv { delimiter: b',' }
    );
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    assert_eq!(source.headers(), ["id", "name"]);
    assert_eq!(source.sheet(), None);
    assert_eq!(source.rows_hint(), None);
    let rows = read_all(source.as_mut()).unwrap();
    assert_eq!(
        rows,
        vec![RawRow {
            number: 2,
            cells: vec!["1".into(), "Ana".into()]
        }]
    );
    assert_eq!(
        source.bytes_read(),
        Some(std::fs::metadata(&path).unwrap().len())
    );
}

#[test]
fn sniffs_semicolon_and_tab() {
    let dir = tempfile::tempdir().unwrap();
    let semi = write_file(
        &dir,
        "semi.txt",
        b"id;amount;note\n1;2,5;\"a;b\"\n2;3,75;c\n",
    );
    let kind = sniff_kind(&semi).unwrap();
    assert_eq!(kind, TableKind::Csv { delimiter: b';' });
    assert_eq!(kind.name(), "csv");
    let mut source = open_table(&semi, kind, &ReadOptions::default()).unwrap();
    assert_eq!(source.headers(), ["id", "amount", "note"]);
    let rows = read_all(source.as_mut()).unwrap();
    assert_eq!(cells(&rows[0]), ["1", "2,5", "a;b"]);
    assert_eq!(cells(&rows[1]), ["2", "3,75", "c"]);

    let tab = write_file(
        &dir,
        "tab.csv",
        b"id\tname, full\tcity\n1\tDoe, J.\tParis\n",
    );
    let kind = sniff_kind(&tab).unwrap();
    assert_eq!(kind, TableKind::Csv { delimiter: b'\t' });
    assert_eq!(kind.name(), "tsv");
    let mut source = open_table(&tab, kind, &ReadOptions::default()).unwrap();
    assert_eq!(source.headers(), ["id", "name, full", "city"]);
    assert_eq!(
        cells(&source.next_row().unwrap().unwrap()),
        ["1", "Doe, J.", "Paris"]
    );

    // The delimiter option overrides the kind.
    let opts = ReadOptions {
        delimiter: Some(b'\t'),
        ..ReadOptions::default()
    };
    let source = open_table(&tab, TableKind::Csv { delimiter: b',' }, &opts).unwrap();
    assert_eq!(source.headers().len(), 3);

    let pipe = write_file(&dir, "pipe.csv", b"a|b\n1|2\n");
    assert_eq!(
        sniff_kind(&pipe).unwrap(),
        TableKind::Csv { delimiter: b'|' }
    );
}

#[test]
fn quoted_newlines_and_row_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id,note\n\
                1,\"line one\nline two\"\n\
                2,x\r\n\
                3,\"a\r\nb\"\r\n\
                \r\n\
                4,y\n\
                ,\n\
                5,\"\"\"quoted\"\"\"\r\
                6,last";
    let path = write_file(&dir, "multi.csv", text.as_bytes());
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    let rows = read_all(source.as_mut()).unwrap();
    let numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [2, 4, 5, 8, 10, 11]);
    assert_eq!(cells(&rows[0]), ["1", "line one\nline two"]);
    assert_eq!(cells(&rows[2]), ["3", "a\r\nb"]);
    assert_eq!(cells(&rows[4]), ["5", "\"quoted\""]);
    assert_eq!(cells(&rows[5]), ["6", "last"]);
}

#[test]
fn ragged_rows_are_returned_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "ragged.csv", b"a,b,c\n1,2\n1,2,3,4\n\n1,2,3\n");
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    let rows = read_all(source.as_mut()).unwrap();
    assert_eq!(cells(&rows[0]), ["1", "2"]);
    assert_eq!(cells(&rows[1]), ["1", "2", "3", "4"]);
    assert_eq!(cells(&rows[2]), ["1", "2", "3"]);
    assert_eq!(rows[2].number, 5);
}

#[test]
fn invalid_utf8_is_an_encoding_error_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        &dir,
        "latin.csv",
        b"id,name\n1,ok\n2,\"Caf\xe9\nbar\"\n3,\"x\ny\xe9\"\n",
    );
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    assert_eq!(source.next_row().unwrap().unwrap().number, 2);
    let err = source.next_row().unwrap_err();
    match &err {
        ReadError::Encoding {
            file,
            line,
            byte_offset,
            detail,
            hint,
        } => {
            assert!(file.ends_with("latin.csv"));
            assert_eq!(*line, 3);
            assert_eq!(*byte_offset, 19);
            assert!(detail.contains("0xE9"), "{detail}");
            assert!(detail.contains("Caf"), "{detail}");
            assert!(hint.contains("--encoding windows-1252"), "{hint}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("latin.csv: line 3"), "{message}");
    assert!(!message.contains('\n'));
    // The stream is over after a fatal error.
    assert_eq!(source.next_row().unwrap(), None);

    // The exact line inside a multi-line record.
    let path = write_file(&dir, "latin2.csv", b"id,name\n3,\"x\ny\xe9\"\n");
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    match source.next_row().unwrap_err() {
        ReadError::Encoding {
            line, byte_offset, ..
        } => {
            assert_eq!((line, byte_offset), (3, 14));
        }
        other => panic!("unexpected {other:?}"),
    }

    // Invalid fields whose concatenation would be valid UTF-8 ("é" split by a comma).
    let path = write_file(&dir, "split.csv", b"a,b\n\xC3,\xA9\n");
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    match source.next_row().unwrap_err() {
        ReadError::Encoding {
            line, byte_offset, ..
        } => assert_eq!((line, byte_offset), (2, 4)),
        other => panic!("unexpected {other:?}"),
    }

    // In the header row.
    let path = write_file(&dir, "latin3.csv", b"id,n\xe4me\n1,2\n");
    match open_sniffed(&path, &ReadOptions::default()).err().unwrap() {
        ReadError::Encoding {
            line, byte_offset, ..
        } => assert_eq!((line, byte_offset), (1, 4)),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn explicit_encodings() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        &dir,
        "cp1252.csv",
        b"id;name\n1;Caf\xe9 \x80\n2;\xc9l\xe9onore\n",
    );
    for label in ["windows-1252", "latin1", "ISO-8859-1", " cp1252 "] {
        let opts = ReadOptions {
            encoding: Some(label.into()),
            ..ReadOptions::default()
        };
        let mut source = open_sniffed(&path, &opts).unwrap();
        let rows = read_all(source.as_mut()).unwrap();
        assert_eq!(cells(&rows[0]), ["1", "Café €"]);
        assert_eq!(cells(&rows[1]), ["2", "Éléonore"]);
        assert_eq!(rows[1].number, 3);
        assert!(source.bytes_read().unwrap() > 0);
    }
    let opts = ReadOptions {
        encoding: Some("klingon".into()),
        ..ReadOptions::default()
    };
    let err = open_sniffed(&path, &opts).err().unwrap();
    assert!(matches!(err, ReadError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("klingon"));
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

#[test]
fn utf16() {
    let dir = tempfile::tempdir().unwrap();
    let text = "id\tname\n1\tÉlise\n2\t\"a\nb\"\n3\tz\n";
    let path = write_file(&dir, "u16.tsv", &utf16le(text, true));
    let kind = sniff_kind(&path).unwrap();
    assert_eq!(kind, TableKind::Csv { delimiter: b'\t' });
    let mut source = open_table(&path, kind, &ReadOptions::default()).unwrap();
    assert_eq!(source.headers(), ["id", "name"]);
    let rows = read_all(source.as_mut()).unwrap();
    assert_eq!(cells(&rows[0]), ["1", "Élise"]);
    assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 3, 5]);

    // Without a BOM: a clear error, or decoded when asked to.
    let path = write_file(&dir, "u16nobom.tsv", &utf16le(text, false));
    let err = open_table(&path, kind, &ReadOptions::default())
        .err()
        .unwrap();
    match &err {
        ReadError::Encoding { hint, .. } => assert!(hint.contains("utf-16le"), "{hint}"),
        other => panic!("unexpected {other:?}"),
    }
    let opts = ReadOptions {
        encoding: Some("utf-16le".into()),
        ..ReadOptions::default()
    };
    let mut source = open_table(&path, kind, &opts).unwrap();
    assert_eq!(read_all(source.as_mut()).unwrap().len(), 3);
}

#[test]
fn header_row_option() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "title.csv", b"Export of 2024\n\nid,x\n1,2\n");
    let mut source = open_table(
        &path,
        TableKind::Csv { delimiter: b',' },
        &ReadOptions {
            header_row: Some(3),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(source.headers(), ["id", "x"]);
    let row = source.next_row().unwrap().unwrap();
    assert_eq!((row.number, cells(&row)), (4, vec!["1", "2"]));

    // Default: the first non-empty row.
    let source = open_table(
        &path,
        TableKind::Csv { delimiter: b',' },
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(source.headers(), ["Export of 2024"]);

    // Past the end: empty.
    let err = open_table(
        &path,
        TableKind::Csv { delimiter: b',' },
        &ReadOptions {
            header_row: Some(9),
            ..ReadOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(matches!(err, ReadError::Empty { .. }), "{err}");
}

#[test]
fn empty_and_blank_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("empty.csv", &b""[..]),
        ("blank.csv", b"\n\r\n,,\n"),
        ("bom.csv", b"\xEF\xBB\xBF"),
    ] {
        let path = write_file(&dir, name, bytes);
        let err = open_sniffed(&path, &ReadOptions::default()).err().unwrap();
        assert!(matches!(err, ReadError::Empty { .. }), "{name}: {err}");
        assert!(err.to_string().starts_with(&path.display().to_string()));
    }
    let path = write_file(&dir, "header_only.csv", b"a,b");
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    assert_eq!(source.headers(), ["a", "b"]);
    assert_eq!(source.next_row().unwrap(), None);
    let missing = dir.path().join("missing.csv");
    assert!(matches!(sniff_kind(&missing), Err(ReadError::Io { .. })));
    assert!(matches!(
        open_table(
            &missing,
            TableKind::Csv { delimiter: b',' },
            &ReadOptions::default()
        ),
        Err(ReadError::Io { .. })
    ));
}

#[test]
fn unclosed_quote_is_a_csv_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "quote.csv", b"id,note\n1,ok\n2,\"oops\n3,x\n4,y\n");
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    assert_eq!(source.next_row().unwrap().unwrap().number, 2);
    let err = source.next_row().unwrap_err();
    match &err {
        ReadError::Csv { line, detail, .. } => {
            assert_eq!(*line, 3);
            assert!(detail.contains("never closed"), "{detail}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // A literal quote inside an unquoted field is fine.
    let path = write_file(&dir, "inch.csv", b"size,note\n5\",x\n");
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    assert_eq!(cells(&source.next_row().unwrap().unwrap()), ["5\"", "x"]);
}

#[test]
fn read_row_into_reuses_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "reuse.csv", b"a,b,c\n1,2,3\nx,y\n\n,,\n4,5,6,7\n");
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    let mut row = RawRow::default();
    let mut seen = Vec::new();
    while source.read_row_into(&mut row).unwrap() {
        seen.push(row.clone());
    }
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    assert_eq!(seen, read_all(source.as_mut()).unwrap());
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].number, 6);
}

#[test]
fn binary_and_unsupported_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(1024, 0);
    let path = write_file(&dir, "old.xls", &xls);
    let err = sniff_kind(&path).unwrap_err();
    match &err {
        ReadError::Unsupported { hint, .. } => assert!(hint.contains(".xlsx"), "{hint}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        list_sheets(&path),
        Err(ReadError::Unsupported { .. })
    ));
    let path = write_file(&dir, "data.csv.gz", &[0x1F, 0x8B, 8, 0, 0, 0]);
    assert!(matches!(
        sniff_kind(&path),
        Err(ReadError::Unsupported { .. })
    ));
    let path = write_file(&dir, "blob.bin", &[0u8, 1, 2, 0, 0, 0, 7, 0, 0, 0, 0, 9]);
    assert!(matches!(
        sniff_kind(&path),
        Err(ReadError::Unsupported { .. })
    ));
}

// ---------------------------------------------------------------- zip / ods

fn write_zip(path: &Path, entries: &[(&str, &[u8], bool)]) {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, content, stored) in entries {
        let method = if *stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        zip.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

const ODS_MANIFEST: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;

fn ods_content(rows: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="Blank"><table:table-row><table:table-cell/></table:table-row></table:table>
<table:table table:name="Cases">{rows}</table:table>
</office:spreadsheet></office:body></office:document-content>"#
    )
    .into_bytes()
}

#[test]
fn ods_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let s = |v: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#
        )
    };
    let n = |v: &str| {
        format!(
            r#"<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>"#
        )
    };
    let empty = "<table:table-cell/>";
    let rows = [
        format!("<table:table-row>{}{}{}{}</table:table-row>", s("id"), s(" date "), s("time"), s("amount")),
        format!(
            r#"<table:table-row>{}<table:table-cell office:value-type="date" office:date-value="2021-03-04"><text:p>04/03/21</text:p></table:table-cell><table:table-cell office:value-type="time" office:time-value="PT10H20M00S"><text:p>10:20</text:p></table:table-cell>{}</table:table-row>"#,
            n("1"),
            n("2.5")
        ),
        format!("<table:table-row>{empty}{empty}{empty}{empty}</table:table-row>"),
        format!("<table:table-row>{}{empty}{empty}{}</table:table-row>", n("2"), n("3")),
    ]
    .concat();
    let path = dir.path().join("book.ods");
    write_zip(
        &path,
        &[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
                true,
            ),
            ("META-INF/manifest.xml", ODS_MANIFEST, false),
            ("content.xml", &ods_content(&rows), false),
        ],
    );
    assert_eq!(sniff_kind(&path).unwrap(), TableKind::Ods);
    assert_eq!(TableKind::Ods.name(), "ods");
    assert_eq!(list_sheets(&path).unwrap(), ["Blank", "Cases"]);
    let mut source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    assert_eq!(source.sheet(), Some("Cases"));
    assert_eq!(source.headers(), ["id", "date", "time", "amount"]);
    assert_eq!(source.rows_hint(), Some(2));
    let rows = read_all(source.as_mut()).unwrap();
    assert_eq!(cells(&rows[0]), ["1", "2021-03-04", "10:20:00", "2.5"]);
    assert_eq!(rows[0].number, 2);
    assert_eq!(cells(&rows[1]), ["2", "", "", "3"]);
    assert_eq!(rows[1].number, 4);

    // The mimetype need not be the first entry.
    let path = dir.path().join("late_mimetype.zip");
    write_zip(
        &path,
        &[
            ("META-INF/manifest.xml", ODS_MANIFEST, false),
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
                false,
            ),
        ],
    );
    assert_eq!(sniff_kind(&path).unwrap(), TableKind::Ods);
}

#[test]
fn other_zip_archives() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.odt");
    write_zip(
        &path,
        &[("mimetype", b"application/vnd.oasis.opendocument.text", true)],
    );
    assert!(matches!(
        sniff_kind(&path),
        Err(ReadError::Unsupported { .. })
    ));
    let path = dir.path().join("photos.zip");
    write_zip(&path, &[("a.jpg", b"not really", false)]);
    let err = sniff_kind(&path).unwrap_err();
    assert!(err.to_string().contains("zip archive"), "{err}");
    let path = dir.path().join("book.xlsb");
    write_zip(&path, &[("xl/workbook.bin", b"", false)]);
    assert!(matches!(
        sniff_kind(&path),
        Err(ReadError::Unsupported { .. })
    ));
}

// ---------------------------------------------------------------- xlsx

fn write_xlsx(path: &Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut workbook = Workbook::new();
    workbook.add_worksheet().set_name("Empty").unwrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Data").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let time = Format::new().set_num_format("hh:mm:ss");
    sheet.write_string(0, 0, "Monthly report").unwrap();
    for (col, name) in [" id ", "amount", "date", "when", "flag", "", "note", "time"]
        .iter()
        .enumerate()
    {
        if !name.is_empty() {
            sheet.write_string(2, col as u16, *name).unwrap();
        }
    }
    // Row 4.
    sheet.write_number(3, 0, 1).unwrap();
    sheet.write_number(3, 1, 3.0).unwrap();
    sheet
        .write_datetime_with_format(3, 2, ExcelDateTime::from_ymd(2021, 3, 4).unwrap(), &date)
        .unwrap();
    let when = ExcelDateTime::from_ymd(2021, 3, 4)
        .unwrap()
        .and_hms(10, 20, 0)
        .unwrap();
    sheet
        .write_datetime_with_format(3, 3, &when, &datetime)
        .unwrap();
    sheet.write_boolean(3, 4, true).unwrap();
    sheet.write_string(3, 6, "x").unwrap();
    let noon = ExcelDateTime::from_hms(12, 30, 0).unwrap();
    sheet
        .write_datetime_with_format(3, 7, &noon, &time)
        .unwrap();
    // Row 5: internal empty cells.
    sheet.write_number(4, 0, 2).unwrap();
    sheet.write_number(4, 1, 2.5).unwrap();
    sheet.write_boolean(4, 4, false).unwrap();
    sheet
        .write_formula(4, 6, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    // Row 6 is empty; row 7 has a value beyond the header.
    sheet.write_number(6, 0, 3).unwrap();
    sheet.write_string(6, 9, "extra").unwrap();
    // Row 8 only has whitespace.
    sheet.write_string(7, 1, "  ").unwrap();
    // A sheet whose used range starts at C5.
    let notes = workbook.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(4, 2, " n ").unwrap();
    notes.write_string(6, 2, "v").unwrap();
    notes.write_number(6, 3, 7).unwrap();
    workbook.save(path).unwrap();
}

#[test]
fn xlsx_values_and_header_on_row_3() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.bin");
    write_xlsx(&path);
    assert_eq!(sniff_kind(&path).unwrap(), TableKind::Xlsx);
    assert_eq!(list_sheets(&path).unwrap(), ["Empty", "Data", "Notes"]);
    let opts = ReadOptions {
        header_row: Some(3),
        ..ReadOptions::default()
    };
    let mut source = open_sniffed(&path, &opts).unwrap();
    assert_eq!(source.sheet(), Some("Data"));
    assert_eq!(
        source.headers(),
        ["id", "amount", "date", "when", "flag", "", "note", "time"]
    );
    assert_eq!(source.rows_hint(), Some(3));
    assert_eq!(source.bytes_read(), None);
    let rows = read_all(source.as_mut()).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].number, 4);
    assert_eq!(
        cells(&rows[0]),
        [
            "1",
            "3",
            "2021-03-04",
            "2021-03-04T10:20:00",
            "TRUE",
            "",
            "x",
            "12:30:00"
        ]
    );
    assert_eq!(rows[1].number, 5);
    assert_eq!(
        cells(&rows[1]),
        ["2", "2.5", "", "", "FALSE", "", "#N/A", ""]
    );
    assert_eq!(rows[2].number, 7);
    assert_eq!(
        cells(&rows[2]),
        ["3", "", "", "", "", "", "", "", "", "extra"]
    );

    // Default header: the first non-empty row.
    let source = open_sniffed(&path, &ReadOptions::default()).unwrap();
    assert_eq!(source.headers(), ["Monthly report"]);

    // Named sheet, case-insensitively.
    let opts = ReadOptions {
        sheet: Some("notes".into()),
        ..ReadOptions::default()
    };
    let mut source = open_sniffed(&path, &opts).unwrap();
    assert_eq!(source.sheet(), Some("Notes"));
    assert_eq!(source.headers(), ["n"]);
    assert_eq!(source.rows_hint(), Some(1));
    let row = source.next_row().unwrap().unwrap();
    assert_eq!((row.number, cells(&row)), (7, vec!["v", "7"]));
    assert_eq!(source.next_row().unwrap(), None);

    // Header row given as a sheet row number, below the range start.
    let opts = ReadOptions {
        sheet: Some("Notes".into()),
        header_row: Some(7),
        ..ReadOptions::default()
    };
    let mut source = open_sniffed(&path, &opts).unwrap();
    assert_eq!(source.headers(), ["v", "7"]);
    assert_eq!(source.next_row().unwrap(), None);

    // An empty sheet has no header.
    let opts = ReadOptions {
        sheet: Some("Empty".into()),
        ..ReadOptions::default()
    };
    assert!(matches!(
        open_sniffed(&path, &opts),
        Err(ReadError::Empty { .. })
    ));
}

#[test]
fn no_such_sheet_lists_the_available_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    write_xlsx(&path);
    let opts = ReadOptions {
        sheet: Some("Victims".into()),
        ..ReadOptions::default()
    };
    let err = open_table(&path, TableKind::Xlsx, &opts).err().unwrap();
    match &err {
        ReadError::NoSuchSheet {
            sheet, available, ..
        } => {
            assert_eq!(sheet, "Victims");
            assert_eq!(available, &["Empty", "Data", "Notes"]);
        }
        other => panic!("unexpected {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("\"Victims\""), "{message}");
    assert!(
        message.contains("\"Empty\", \"Data\", \"Notes\""),
        "{message}"
    );
}

#[test]
fn truncated_xlsx_is_a_workbook_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    write_xlsx(&path);
    let bytes = std::fs::read(&path).unwrap();
    let cut = write_file(&dir, "cut.xlsx", &bytes[..bytes.len() / 2]);
    let kind = sniff_kind(&cut).unwrap();
    assert_eq!(kind, TableKind::Xlsx);
    let err = open_table(&cut, kind, &ReadOptions::default())
        .err()
        .unwrap();
    match &err {
        ReadError::Workbook { hint, .. } => {
            assert!(hint.contains("truncated or corrupt"), "{hint}")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().starts_with(&cut.display().to_string()));
    assert!(matches!(list_sheets(&cut), Err(ReadError::Workbook { .. })));
    // Garbage that claims to be a workbook.
    let junk = write_file(&dir, "junk.xlsx", b"PK\x03\x04garbage");
    assert!(matches!(
        open_table(&junk, TableKind::Xlsx, &ReadOptions::default()),
        Err(ReadError::Workbook { .. })
    ));
    assert!(matches!(
        open_table(&junk, TableKind::Ods, &ReadOptions::default()),
        Err(ReadError::Workbook { .. })
    ));
}

// ---------------------------------------------------------------- parquet

fn write_parquet(path: &Path) {
    use arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, NullArray, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("score", DataType::Float64, true),
        Field::new(" name ", DataType::Utf8, true),
        Field::new("nothing", DataType::Null, true),
        Field::new("day", DataType::Date32, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![Some(1), None, Some(3), None])),
        Arc::new(Float64Array::from(vec![Some(2.5), Some(-1.0), None, None])),
        Arc::new(StringArray::from(vec![
            Some("Ana"),
            Some("Bo, \"B\""),
            None,
            None,
        ])),
        Arc::new(NullArray::new(4)),
        Arc::new(Date32Array::from(vec![Some(18690), None, None, None])),
    ];
    let batch = arrow::array::RecordBatch::try_new(schema.clone(), columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_size(3)
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn parquet_columns_and_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.bin");
    write_parquet(&path);
    let kind = sniff_kind(&path).unwrap();
    assert_eq!(kind, TableKind::Parquet);
    assert_eq!(kind.name(), "parquet");
    assert!(list_sheets(&path).unwrap().is_empty());
    let mut source = open_table(&path, kind, &ReadOptions::default()).unwrap();
    assert_eq!(source.headers(), ["id", "score", "name", "nothing", "day"]);
    assert_eq!(source.rows_hint(), Some(8));
    assert_eq!(source.sheet(), None);
    let rows = read_all(source.as_mut()).unwrap();
    // The all-null records (4 and 8) are skipped.
    assert_eq!(
        rows.iter().map(|r| r.number).collect::<Vec<_>>(),
        [2, 3, 4, 6, 7, 8]
    );
    assert_eq!(cells(&rows[0]), ["1", "2.5", "Ana", "", "2021-03-04"]);
    assert_eq!(cells(&rows[1]), ["", "-1.0", "Bo, \"B\"", "", ""]);
    assert_eq!(cells(&rows[2]), ["3", "", "", "", ""]);
    assert_eq!(rows[3].cells, rows[0].cells);

    let bytes = std::fs::read(&path).unwrap();
    let cut = write_file(&dir, "cut.parquet", &bytes[..bytes.len() / 2]);
    let err = open_table(&cut, TableKind::Parquet, &ReadOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, ReadError::Parquet { .. }), "{err}");
    // Damaged data pages: an error (or garbage values), never a panic.
    let mut damaged = bytes.clone();
    for b in &mut damaged[8..bytes.len() / 2] {
        *b ^= 0x5A;
    }
    let damaged = write_file(&dir, "damaged.parquet", &damaged);
    if let Ok(mut source) = open_table(&damaged, TableKind::Parquet, &ReadOptions::default()) {
        let _ = read_all(source.as_mut());
    }
}

// ---------------------------------------------------------------- properties

/// Line breaks in `text`, counting `\r\n` once.
fn line_breaks(text: &str) -> u64 {
    let normalised = text.replace("\r\n", "\n");
    normalised
        .chars()
        .filter(|&c| c == '\n' || c == '\r')
        .count() as u64
}

fn cell_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9é€\"', ;\t|\r\n]{0,8}",
        any::<String>(),
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn csv_round_trip(
        headers in prop::collection::vec("[A-Za-z][A-Za-z0-9_ ]{0,8}", 1..6),
        pad in any::<bool>(),
        rows in prop::collection::vec(prop::collection::vec(cell_strategy(), 1..7), 0..20),
        delimiter in prop_oneof![Just(b','), Just(b';'), Just(b'\t')],
        crlf in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("round.csv");
        let terminator = if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(terminator)
            .flexible(true)
            .from_writer(Vec::new());
        let header_cells: Vec<String> = headers
            .iter()
            .map(|h| if pad { format!(" {h} ") } else { h.clone() })
            .collect();
        writer.write_record(&header_cells).unwrap();
        writer.flush().unwrap();
        let mut line = 1 + line_breaks(std::str::from_utf8(writer.get_ref()).unwrap());
        let mut expected = Vec::new();
        for row in &rows {
            let before = writer.get_ref().len();
            writer.write_record(row).unwrap();
            writer.flush().unwrap();
            if !row.iter().all(|c| c.trim().is_empty()) {
                expected.push(RawRow { number: line, cells: row.clone() });
            }
            line += line_breaks(std::str::from_utf8(&writer.get_ref()[before..]).unwrap());
        }
        std::fs::write(&path, writer.into_inner().unwrap()).unwrap();

        let mut source = open_table(&path, TableKind::Csv { delimiter }, &ReadOptions::default()).unwrap();
        let trimmed: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
        prop_assert_eq!(source.headers(), &trimmed[..]);
        let actual = read_all(source.as_mut()).unwrap();
        prop_assert_eq!(actual.len(), expected.len());
        prop_assert_eq!(actual, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary bytes never make a reader panic.
    #[test]
    fn arbitrary_bytes_never_panic(
        prefix in prop_oneof![
            Just(Vec::new()),
            Just(b"PK\x03\x04".to_vec()),
            Just(b"PAR1".to_vec()),
            Just(b"\xEF\xBB\xBF".to_vec()),
            Just(b"\xFF\xFE".to_vec()),
        ],
        body in prop::collection::vec(
            prop_oneof![any::<u8>(), Just(b'"'), Just(b','), Just(b'\n'), Just(b'\r')],
            0..400,
        ),
        encoding in prop_oneof![Just(None), Just(Some("windows-1252".to_owned()))],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("any");
        std::fs::write(&path, [prefix, body].concat()).unwrap();
        let opts = ReadOptions { encoding, ..ReadOptions::default() };
        let kinds = [
            sniff_kind(&path).ok(),
            Some(TableKind::Csv { delimiter: b',' }),
            Some(TableKind::Xlsx),
            Some(TableKind::Ods),
            Some(TableKind::Parquet),
        ];
        for kind in kinds.into_iter().flatten() {
            if let Ok(mut source) = open_table(&path, kind, &opts) {
                let _ = read_all(source.as_mut());
            }
        }
        let _ = list_sheets(&path);
    }
}

// ---------------------------------------------------------------- speed

/// `cargo test --release -p cthub-ingest --lib read::tests::csv_speed -- --ignored --nocapture`
#[test]
#[ignore = "benchmark; run in release mode"]
fn csv_speed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.csv");
    let rows = 500_000;
    let mut text = String::new();
    let header: Vec<String> = (0..63).map(|c| format!("col{c}")).collect();
    text.push_str(&header.join(","));
    text.push('\n');
    for r in 0..rows {
        for c in 0..63 {
            if c > 0 {
                text.push(',');
            }
            text.push_str(["a", "12", "xy", "", "3.5", "no"][(r + c) % 6]);
        }
        text.push('\n');
    }
    std::fs::write(&path, &text).unwrap();
    let mb = text.len() as f64 / 1e6;

    // Best of three runs, as the machine may be busy.
    let kind = TableKind::Csv { delimiter: b',' };
    let mut best = [f64::MAX; 2];
    for _ in 0..3 {
        let start = std::time::Instant::now();
        let mut source = open_table(&path, kind, &ReadOptions::default()).unwrap();
        let mut row = RawRow::default();
        let mut n = 0;
        while source.read_row_into(&mut row).unwrap() {
            n += 1;
        }
        best[0] = best[0].min(start.elapsed().as_secs_f64());
        assert_eq!(n, rows);

        let start = std::time::Instant::now();
        let mut source = open_table(&path, kind, &ReadOptions::default()).unwrap();
        let mut n = 0;
        while source.next_row().unwrap().is_some() {
            n += 1;
        }
        best[1] = best[1].min(start.elapsed().as_secs_f64());
        assert_eq!(n, rows);
    }
    for (name, secs) in ["read_row_into", "next_row"].iter().zip(best) {
        println!(
            "{name}: {:.0} rows/s, {:.0} MB/s",
            rows as f64 / secs,
            mb / secs
        );
    }
}

#[test]
fn messages_are_one_line_and_start_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("book.xlsx");
    write_xlsx(&xlsx);
    let bytes = std::fs::read(&xlsx).unwrap();
    let cut = write_file(&dir, "cut.xlsx", &bytes[..bytes.len() / 2]);
    let latin = write_file(&dir, "latin.csv", b"id,name\n1,Jos\xe9 Mar\xeda\n");
    let quote = write_file(&dir, "quote.csv", b"id,name\n1,\"Ana\n2,Bo\n");
    let empty = write_file(&dir, "empty.csv", b"");
    let parquet = write_file(&dir, "bad.parquet", b"PAR1 not really");
    let xls = write_file(
        &dir,
        "old.xls",
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
    );
    let sheet = ReadOptions {
        sheet: Some("Victims".into()),
        ..ReadOptions::default()
    };
    let errors = [
        sniff_kind(&dir.path().join("missing.csv")).unwrap_err(),
        open_table(&cut, TableKind::Xlsx, &ReadOptions::default())
            .err()
            .unwrap(),
        open_table(&xlsx, TableKind::Xlsx, &sheet).err().unwrap(),
        open_sniffed(&latin, &ReadOptions::default())
            .unwrap()
            .next_row()
            .unwrap_err(),
        open_sniffed(&quote, &ReadOptions::default())
            .unwrap()
            .next_row()
            .unwrap_err(),
        open_sniffed(&empty, &ReadOptions::default()).err().unwrap(),
        open_table(&parquet, TableKind::Parquet, &ReadOptions::default())
            .err()
            .unwrap(),
        sniff_kind(&xls).unwrap_err(),
    ];
    for err in errors {
        let message = err.to_string();
        println!("{message}");
        assert!(!message.contains('\n'), "{message}");
        assert!(
            message.starts_with(&dir.path().display().to_string()),
            "{message}"
        );
        assert!(message.starts_with(err.file()), "{message}");
    }
}
