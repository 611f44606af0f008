//! Ingest of online ads and job posts from CSV and JSON Lines.
//!
//! Two layouts: **ads** (columns found by name: platform, url, posted_at, title, text, price or
//! salary, location, contact fields, image hashes; see [`ADS_FIELDS`]) and **emscad** (the
//! Employment Scam Aegean Dataset's columns: `job_id`, `title`, `location`, `department`,
//! `salary_range`, `company_profile`, `description`, `requirements`, `benefits`, flags,
//! `fraudulent`). `auto` picks EMSCAD when the header has `job_id`, `description` and
//! `fraudulent`. Every column not mapped is kept in the ad's `extra`.
//!
//! Each row is checked; a row with an error is *quarantined* with its raw cells and one
//! [`Issue`] per problem (file, row, column, value, rule), never dropped. Warnings keep the row.
//! Exact reposts — the same normalised title, text and contact values — become one [`Ad`] with
//! one [`Version`] per posting (file, row, time, URL, platform).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::entities::{Entity, EntityKind, Extractor, KeyedHasher};
use crate::error::DetectError;

/// How the columns of a file are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// EMSCAD when the header looks like it, else ads.
    Auto,
    /// The EMSCAD job-ad schema.
    Emscad,
    /// Generic ads: columns found by name.
    Ads,
}

impl std::str::FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Layout::Auto),
            "emscad" => Ok(Layout::Emscad),
            "ads" => Ok(Layout::Ads),
            _ => Err(format!("unknown layout `{s}` (use auto, emscad or ads)")),
        }
    }
}

/// Column names (lower case) accepted for each field of the ads layout.
pub const ADS_FIELDS: &[(&str, &[&str])] = &[
    ("id", &["id", "ad_id", "post_id", "job_id"]),
    ("platform", &["platform", "site", "source", "website"]),
    ("url", &["url", "link", "ad_url", "post_url"]),
    (
        "posted_at",
        &[
            "posted_at",
            "posted",
            "date",
            "timestamp",
            "created_at",
            "time",
        ],
    ),
    ("title", &["title", "headline", "subject"]),
    (
        "text",
        &["text", "body", "description", "content", "message"],
    ),
    (
        "price",
        &["price", "salary", "salary_range", "rate", "pay", "wage"],
    ),
    ("location", &["location", "city", "place", "region"]),
    (
        "image_hashes",
        &[
            "image_hashes",
            "image_hash",
            "phash",
            "image_phash",
            "phashes",
        ],
    ),
];

/// Column names read as contact fields (their platform, if the name says it).
pub const CONTACT_FIELDS: &[(&str, Option<&str>)] = &[
    ("phone", None),
    ("phones", None),
    ("telephone", None),
    ("tel", None),
    ("mobile", None),
    ("email", None),
    ("e-mail", None),
    ("contact", None),
    ("contacts", None),
    ("handle", None),
    ("handles", None),
    ("whatsapp", Some("whatsapp")),
    ("telegram", Some("telegram")),
    ("instagram", Some("instagram")),
    ("snapchat", Some("snapchat")),
    ("kik", Some("kik")),
    ("wechat", Some("wechat")),
];

const EMSCAD_TEXT: &[&str] = &["company_profile", "description", "requirements", "benefits"];
const EMSCAD_FLAGS: &[&str] = &[
    "telecommuting",
    "has_company_logo",
    "has_questions",
    "fraudulent",
];

/// One posting of an ad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// File name it came from.
    pub file: String,
    /// Row in that file (header = row 1; JSON Lines: line number).
    pub row: usize,
    /// The source's id of this posting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// When it was posted (RFC 3339, UTC when the source gave no offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_at: Option<String>,
    /// Where it was posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// On which platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// An ad or job post (one per distinct text and contacts; reposts are its versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ad {
    /// Id: the source id of the first version (`file:id` if an earlier ad has that id), or `file:row`.
    pub id: String,
    /// Title or headline.
    pub title: String,
    /// Body text (EMSCAD: the description).
    pub text: String,
    /// Price or salary as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// Location as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Contact fields as given (`column: value`); empty when hashed under a key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// Image perceptual hashes (lower-case hex).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_hashes: Vec<String>,
    /// Every other column.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    /// Entities found in every field.
    #[serde(default)]
    pub entities: Vec<Entity>,
    /// Every posting of this ad, oldest first.
    pub versions: Vec<Version>,
    /// SHA-256 (hex, 32 digits) of the normalised title, text fields, price, location and contact
    /// values: equal for reposts.
    pub fingerprint: String,
}

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The row is quarantined.
    Error,
    /// The row is kept; the value is not used.
    Warning,
}

/// One problem with one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// File name.
    pub file: String,
    /// Row (header = row 1) or JSON Lines line number.
    pub row: usize,
    /// Column or JSON field (empty for the whole row).
    pub column: String,
    /// The offending value (truncated to 200 characters).
    pub value: String,
    /// The rule it breaks (stable identifier).
    pub rule: String,
    /// What would be accepted.
    pub hint: String,
    /// Error (row quarantined) or warning (row kept).
    pub severity: Severity,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: row {}, column `{}`, value {:?}: {} ({})",
            self.file, self.row, self.column, self.value, self.rule, self.hint
        )
    }
}

/// A row that failed a rule, kept with its raw cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quarantined {
    /// File name.
    pub file: String,
    /// Row.
    pub row: usize,
    /// The raw row: an object of column → cell, or the raw line when it is not a JSON object.
    pub raw: serde_json::Value,
    /// Why.
    pub issues: Vec<Issue>,
}

/// Options of an ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Layout of the files.
    pub layout: Layout,
    /// Default region for national phone numbers.
    pub region: Option<phonenumber::country::Id>,
    /// Keyed hashing of identifying entities: values hashed, contact fields dropped, identifying
    /// spans in title and text replaced by masked tokens.
    pub key: Option<KeyedHasher>,
}

/// Result of an ingest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    /// Distinct ads.
    pub ads: Vec<Ad>,
    /// Quarantined rows.
    pub quarantined: Vec<Quarantined>,
    /// Warnings on kept rows.
    pub warnings: Vec<Issue>,
    /// Rows read (all files).
    pub rows: usize,
    /// Rows that were reposts of an earlier ad.
    pub duplicates: usize,
    /// Layout used per file.
    pub layouts: Vec<(String, Layout)>,
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 200 {
        s.chars().take(200).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}

/// Parses a posting time: RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, `YYYY-MM-DDTHH:MM[:SS]` (UTC),
/// `YYYY-MM-DD`, or Unix seconds. Returns RFC 3339.
pub fn parse_time(s: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(
                Utc.from_utc_datetime(&t)
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
            );
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0)?;
        return Some(
            Utc.from_utc_datetime(&t)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        );
    }
    if s.len() >= 9 && s.len() <= 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().ok()?;
        return Utc
            .timestamp_opt(secs, 0)
            .single()
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    None
}

fn norm_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A row as column → cell, in column order.
type Row = Vec<(String, String)>;

struct Ingester<'a> {
    opts: &'a IngestOptions,
    extractor: Extractor,
    report: IngestReport,
    by_fingerprint: HashMap<String, usize>,
    ids: std::collections::HashSet<String>,
}

impl<'a> Ingester<'a> {
    fn issue(
        file: &str,
        row: usize,
        column: &str,
        value: &str,
        rule: &str,
        hint: &str,
        severity: Severity,
    ) -> Issue {
        Issue {
            file: file.to_string(),
            row,
            column: column.to_string(),
            value: truncate(value),
            rule: rule.to_string(),
            hint: hint.to_string(),
            severity,
        }
    }

    fn quarantine(&mut self, file: &str, row: usize, raw: serde_json::Value, issues: Vec<Issue>) {
        self.report.quarantined.push(Quarantined {
            file: file.to_string(),
            row,
            raw,
            issues,
        });
    }

    fn raw_object(row: &Row) -> serde_json::Value {
        serde_json::Value::Object(
            row.iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        )
    }

    /// Builds an ad from a row in `layout` and files it (or quarantines the row).
    fn add_row(&mut self, file: &str, row_no: usize, row: Row, layout: Layout) {
        let mut issues: Vec<Issue> = Vec::new();
        let mut warnings: Vec<Issue> = Vec::new();
        let mut used = vec![false; row.len()];
        let find = |names: &[&str], used: &mut Vec<bool>| -> Option<(String, String)> {
            for (i, (k, v)) in row.iter().enumerate() {
                if names.contains(&k.to_lowercase().trim()) && !used[i] {
                    used[i] = true;
                    return Some((k.clone(), v.clone()));
                }
            }
            None
        };
        let (mut id, mut title, mut text, mut price, mut location) =
            (None, String::new(), String::new(), None, None);
        let (mut platform, mut url, mut posted_at) = (None, None, None);
        let mut image_hashes = Vec::new();
        let mut text_fields: Vec<(String, String)> = Vec::new();
        let mut contacts: Vec<(String, String, Option<&str>)> = Vec::new();
        match layout {
            Layout::Emscad => {
                if let Some((c, v)) = find(&["job_id"], &mut used) {
                    if v.trim().parse::<u64>().is_err() {
                        issues.push(Self::issue(
                            file,
                            row_no,
                            &c,
                            &v,
                            "emscad-job-id-integer",
                            "job_id is a positive integer",
                            Severity::Error,
                        ));
                    }
                    id = Some(v.trim().to_string());
                }
                if let Some((_, v)) = find(&["title"], &mut used) {
                    title = v;
                }
                for name in EMSCAD_TEXT {
                    if let Some((c, v)) = find(&[name], &mut used) {
                        if *name == "description" {
                            text = v.clone();
                        }
                        text_fields.push((c, v));
                    }
                }
                if let Some((c, v)) = find(&["salary_range"], &mut used) {
                    let v = v.trim().to_string();
                    if !v.is_empty() {
                        let ok = v.split('-').count() <= 2
                            && v.split('-').all(|p| p.trim().parse::<u64>().is_ok());
                        if !ok {
                            warnings.push(Self::issue(file, row_no, &c, &v, "emscad-salary-range", "a number or `low-high` (values such as `Oct-15` were mangled by a spreadsheet)", Severity::Warning));
                        }
                        price = Some(v);
                    }
                }
                if let Some((_, v)) = find(&["location"], &mut used) {
                    location = Some(v).filter(|v| !v.trim().is_empty());
                }
                for flag in EMSCAD_FLAGS {
                    if let Some((c, v)) = row.iter().find(|(k, _)| k == flag) {
                        if !matches!(v.trim(), "0" | "1") {
                            issues.push(Self::issue(
                                file,
                                row_no,
                                c,
                                v,
                                "emscad-flag-0-1",
                                "0 or 1",
                                Severity::Error,
                            ));
                        }
                    }
                }
            }
            Layout::Ads | Layout::Auto => {
                for (field, names) in ADS_FIELDS {
                    let Some((c, v)) = find(names, &mut used) else {
                        continue;
                    };
                    let t = v.trim();
                    match *field {
                        "id" => id = Some(t.to_string()).filter(|x| !x.is_empty()),
                        "platform" => platform = Some(t.to_string()).filter(|x| !x.is_empty()),
                        "url" if !t.is_empty() => match url::Url::parse(t) {
                            Ok(u) if matches!(u.scheme(), "http" | "https") => {
                                url = Some(u.to_string())
                            }
                            _ => issues.push(Self::issue(
                                file,
                                row_no,
                                &c,
                                t,
                                "url-absolute-http",
                                "an absolute http(s) URL",
                                Severity::Error,
                            )),
                        },
                        "posted_at" if !t.is_empty() => match parse_time(t) {
                            Some(x) => posted_at = Some(x),
                            None => issues.push(Self::issue(
                                file,
                                row_no,
                                &c,
                                t,
                                "posted-at-time",
                                "RFC 3339, YYYY-MM-DD[ HH:MM[:SS]] or Unix seconds",
                                Severity::Error,
                            )),
                        },
                        "title" => title = v.clone(),
                        "text" => {
                            text = v.clone();
                            text_fields.push((c.clone(), v.clone()));
                        }
                        "price" => price = Some(t.to_string()).filter(|x| !x.is_empty()),
                        "location" => location = Some(t.to_string()).filter(|x| !x.is_empty()),
                        "image_hashes" => {
                            for h in t.split([';', ',', ' ']).filter(|h| !h.is_empty()) {
                                let ok = (8..=64).contains(&h.len())
                                    && h.len() % 2 == 0
                                    && h.bytes().all(|b| b.is_ascii_hexdigit());
                                if ok {
                                    image_hashes.push(h.to_lowercase());
                                } else {
                                    issues.push(Self::issue(file, row_no, &c, h, "image-hash-hex", "hex perceptual hashes (8-64 even-length hex digits) separated by `;`", Severity::Error));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                for (i, (k, v)) in row.iter().enumerate() {
                    if used[i] || v.trim().is_empty() {
                        continue;
                    }
                    let lk = k.to_lowercase();
                    if let Some((_, p)) = CONTACT_FIELDS.iter().find(|(n, _)| *n == lk.trim()) {
                        used[i] = true;
                        contacts.push((k.clone(), v.clone(), *p));
                    }
                }
            }
        }
        if title.trim().is_empty() && text.trim().is_empty() {
            issues.push(Self::issue(
                file,
                row_no,
                "title/text",
                "",
                "text-required",
                "an ad needs a title or a text",
                Severity::Error,
            ));
        }
        if !issues.is_empty() {
            let raw = Self::raw_object(&row);
            self.quarantine(file, row_no, raw, issues);
            return;
        }
        // Entities.
        let ex = &self.extractor;
        let mut entities: Vec<Entity> = ex.extract("title", &title);
        for (c, v) in &text_fields {
            entities.extend(ex.extract(c, v));
        }
        for (c, v, platform) in &contacts {
            let mut found = ex.extract(c, v);
            // A bare value in a platform column is a handle (or a phone on WhatsApp and the like).
            if found.is_empty() {
                if let Some(p) = platform {
                    let h = v.trim().trim_start_matches('@').to_lowercase();
                    if let Some(n) = ex.phone_e164(v.trim()) {
                        found.push(Entity {
                            kind: EntityKind::Phone,
                            value: n.clone(),
                            platform: None,
                            field: c.clone(),
                            span: None,
                            hashed: false,
                        });
                        found.push(Entity {
                            kind: EntityKind::Handle,
                            value: n,
                            platform: Some(p.to_string()),
                            field: c.clone(),
                            span: None,
                            hashed: false,
                        });
                    } else {
                        found.push(Entity {
                            kind: EntityKind::Handle,
                            value: h,
                            platform: Some(p.to_string()),
                            field: c.clone(),
                            span: None,
                            hashed: false,
                        });
                    }
                } else if v.chars().filter(char::is_ascii_digit).count() >= 7 {
                    warnings.push(Self::issue(file, row_no, c, v, "contact-phone-valid", "a valid phone number (international with +, or national in the default region)", Severity::Warning));
                }
            } else if let Some(p) = platform {
                for e in found.clone().iter().filter(|e| e.kind == EntityKind::Phone) {
                    found.push(Entity {
                        kind: EntityKind::Handle,
                        platform: Some(p.to_string()),
                        ..e.clone()
                    });
                }
            }
            entities.extend(found);
        }
        if let Some(p) = &price {
            let mut f = ex.extract("price", p);
            f.retain(|e| e.kind == EntityKind::Price);
            if f.is_empty() && layout == Layout::Emscad {
                // EMSCAD salary ranges carry no currency: keep the figures.
                if p.split('-').all(|x| x.trim().parse::<u64>().is_ok()) {
                    f.push(Entity {
                        kind: EntityKind::Price,
                        value: p.replace(' ', ""),
                        platform: None,
                        field: "salary_range".into(),
                        span: None,
                        hashed: false,
                    });
                }
            }
            entities.extend(f);
        }
        if let Some(l) = &location {
            entities.extend(ex.location("location", l));
        }
        for h in &image_hashes {
            entities.push(Entity {
                kind: EntityKind::ImageHash,
                value: h.clone(),
                platform: None,
                field: "image_hashes".into(),
                span: None,
                hashed: false,
            });
        }
        // Fingerprint: normalised title + text + contact entity values.
        let mut contact_values: Vec<String> = entities
            .iter()
            .filter(|e| e.kind.is_identifying() && e.kind != EntityKind::ImageHash)
            .map(|e| format!("{}:{}", e.kind.name(), e.value))
            .collect();
        contact_values.sort();
        contact_values.dedup();
        let mut h = Sha256::new();
        h.update(norm_text(&title).as_bytes());
        h.update([0]);
        h.update(norm_text(&text).as_bytes());
        // Other text fields (EMSCAD's profile, requirements, benefits), price and location: a
        // repost carries the same; two posts that share a title only do not.
        for (_, v) in &text_fields {
            h.update([1]);
            h.update(norm_text(v).as_bytes());
        }
        for v in [&price, &location] {
            h.update([2]);
            h.update(norm_text(v.as_deref().unwrap_or("")).as_bytes());
        }
        for v in &contact_values {
            h.update([0]);
            h.update(v.as_bytes());
        }
        let fingerprint = hex::encode(&h.finalize()[..16]);
        let version = Version {
            file: file.to_string(),
            row: row_no,
            source_id: id.clone(),
            posted_at,
            url,
            platform,
        };
        self.report.warnings.extend(warnings);
        if let Some(&k) = self.by_fingerprint.get(&fingerprint) {
            self.report.ads[k].versions.push(version);
            self.report.duplicates += 1;
            return;
        }
        let mut extra = BTreeMap::new();
        for (i, (k, v)) in row.iter().enumerate() {
            if !used[i] && !EMSCAD_TEXT.contains(&k.as_str()) {
                extra.insert(k.clone(), v.clone());
            }
        }
        if layout == Layout::Emscad {
            for (c, v) in &text_fields {
                if c != "description" && !v.is_empty() {
                    extra.insert(c.clone(), v.clone());
                }
            }
        }
        let (mut title, mut text) = (title, text);
        let mut contacts_out: Vec<String> = contacts
            .iter()
            .map(|(c, v, _)| format!("{c}: {v}"))
            .collect();
        if let Some(key) = &self.opts.key {
            let in_field = |f: &str| {
                entities
                    .iter()
                    .filter(|e| e.field == f)
                    .cloned()
                    .collect::<Vec<_>>()
            };
            title = crate::entities::redact(&title, &in_field("title"), key);
            let text_col = text_fields
                .iter()
                .find(|(_, v)| *v == text)
                .map(|(c, _)| c.clone())
                .unwrap_or_default();
            text = crate::entities::redact(&text, &in_field(&text_col), key);
            for (k, v) in extra.iter_mut() {
                let e = in_field(k);
                if !e.is_empty() {
                    *v = crate::entities::redact(v, &e, key);
                }
            }
            contacts_out.clear();
            key.protect(&mut entities);
            for e in entities.iter_mut() {
                e.span = None;
            }
        }
        // Ids stay unique across files (EMSCAD's copies both number their rows from 1).
        let id = match id {
            Some(i) if self.ids.insert(i.clone()) => i,
            Some(i) => format!("{file}:{i}"),
            None => format!("{file}:{row_no}"),
        };
        self.by_fingerprint
            .insert(fingerprint.clone(), self.report.ads.len());
        self.report.ads.push(Ad {
            id,
            title,
            text,
            price,
            location,
            contacts: contacts_out,
            image_hashes,
            extra,
            entities,
            versions: vec![version],
            fingerprint,
        });
    }
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|e| {
        e.eq_ignore_ascii_case("jsonl")
            || e.eq_ignore_ascii_case("ndjson")
            || e.eq_ignore_ascii_case("json")
    })
}

fn detect_layout(header: &[String]) -> Layout {
    let has = |n: &str| header.iter().any(|h| h == n);
    if has("job_id") && has("description") && has("fraudulent") {
        Layout::Emscad
    } else {
        Layout::Ads
    }
}

fn cell_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => Some(String::new()),
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| match x {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(";")),
        serde_json::Value::Object(_) => None,
    }
}

/// Visits the rows of a CSV or JSON Lines file as column → cell lists. Rows that cannot be read
/// as such (ragged CSV rows, invalid JSON, nested values) are passed as issues instead.
pub fn for_each_row(
    path: &Path,
    mut f: impl FnMut(usize, Result<Row, (serde_json::Value, Vec<Issue>)>, &[String]),
) -> Result<(), DetectError> {
    let file = file_label(path);
    if is_jsonl(path) {
        let reader = std::io::BufReader::new(
            std::fs::File::open(path).map_err(|e| DetectError::io(path, e))?,
        );
        let mut header: Vec<String> = Vec::new();
        for (i, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| DetectError::io(path, e))?;
            let row_no = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(&line) {
                Ok(serde_json::Value::Object(o)) => {
                    let mut row = Vec::with_capacity(o.len());
                    let mut issues = Vec::new();
                    for (k, v) in &o {
                        match cell_text(v) {
                            Some(t) => row.push((k.clone(), t)),
                            None => issues.push(Ingester::issue(
                                &file,
                                row_no,
                                k,
                                &v.to_string(),
                                "json-scalar",
                                "a string, number, boolean, null or list of strings",
                                Severity::Error,
                            )),
                        }
                        if !header.contains(k) {
                            header.push(k.clone());
                        }
                    }
                    if issues.is_empty() {
                        f(row_no, Ok(row), &header);
                    } else {
                        f(row_no, Err((serde_json::Value::Object(o), issues)), &header);
                    }
                }
                Ok(other) => f(
                    row_no,
                    Err((
                        other.clone(),
                        vec![Ingester::issue(
                            &file,
                            row_no,
                            "",
                            &other.to_string(),
                            "json-object",
                            "one JSON object per line",
                            Severity::Error,
                        )],
                    )),
                    &header,
                ),
                Err(e) => f(
                    row_no,
                    Err((
                        serde_json::Value::String(line.clone()),
                        vec![Ingester::issue(
                            &file,
                            row_no,
                            "",
                            &line,
                            "json-syntax",
                            &e.to_string(),
                            Severity::Error,
                        )],
                    )),
                    &header,
                ),
            }
        }
        return Ok(());
    }
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| DetectError::csv(path, e))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| DetectError::csv(path, e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut rec = csv::StringRecord::new();
    let mut row_no = 1usize;
    loop {
        match r.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                row_no += 1;
                if rec.len() != header.len() {
                    let raw = serde_json::Value::Array(
                        rec.iter()
                            .map(|c| serde_json::Value::String(c.to_string()))
                            .collect(),
                    );
                    let issue = Ingester::issue(
                        &file,
                        row_no,
                        "",
                        &format!("{} fields", rec.len()),
                        "csv-field-count",
                        &format!("{} fields as in the header", header.len()),
                        Severity::Error,
                    );
                    f(row_no, Err((raw, vec![issue])), &header);
                    continue;
                }
                let row = header
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(str::to_string))
                    .collect();
                f(row_no, Ok(row), &header);
            }
            Err(e) => {
                row_no += 1;
                let issue = Ingester::issue(
                    &file,
                    row_no,
                    "",
                    "",
                    "csv-syntax",
                    &e.to_string(),
                    Severity::Error,
                );
                f(row_no, Err((serde_json::Value::Null, vec![issue])), &header);
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Ingests files: checks every row, extracts entities, merges exact reposts.
pub fn ingest(paths: &[&Path], opts: &IngestOptions) -> Result<IngestReport, DetectError> {
    let mut ing = Ingester {
        opts,
        extractor: Extractor::new(opts.region),
        report: IngestReport::default(),
        by_fingerprint: HashMap::new(),
        ids: std::collections::HashSet::new(),
    };
    for path in paths {
        let file = file_label(path);
        let mut layout: Option<Layout> = None;
        for_each_row(path, |row_no, row, header| {
            ing.report.rows += 1;
            let l = *layout.get_or_insert_with(|| match opts.layout {
                Layout::Auto => detect_layout(header),
                other => other,
            });
            match row {
                Ok(row) => ing.add_row(&file, row_no, row, l),
                Err((raw, issues)) => ing.quarantine(&file, row_no, raw, issues),
            }
        })?;
        ing.report
            .layouts
            .push((file, layout.unwrap_or(opts.layout)));
    }
    for ad in &mut ing.report.ads {
        ad.versions.sort_by(|a, b| {
            (a.posted_at.is_none(), &a.posted_at, &a.file, a.row).cmp(&(
                b.posted_at.is_none(),
                &b.posted_at,
                &b.file,
                b.row,
            ))
        });
    }
    Ok(ing.report)
}

/// A document to cluster: id, text and (when the file has one) a `label` column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextDoc {
    /// Id column (`id`, `ad_id`, `job_id`), else the row number.
    pub id: String,
    /// Text column (`text`, `description`, `body`, …), else the title.
    pub text: String,
}

/// Reads only ids and texts from a CSV or JSON Lines file (ads, corpora, or `ingest` output),
/// for clustering. Rows without any text are kept (as empty documents).
pub fn read_texts(path: &Path) -> Result<Vec<TextDoc>, DetectError> {
    let mut out = Vec::new();
    let mut bad: Option<Issue> = None;
    let ids = ADS_FIELDS[0].1;
    let texts = ADS_FIELDS[5].1;
    if is_jsonl(path) {
        // Only the id and text fields are read; other fields may be anything (ingest output
        // has nested entities and versions).
        let reader = std::io::BufReader::new(
            std::fs::File::open(path).map_err(|e| DetectError::io(path, e))?,
        );
        for (i, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| DetectError::io(path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&line).map_err(|e| {
                DetectError::Input(format!("{}: line {}: {e}", path.display(), i + 1))
            })?;
            let get = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| v.get(*n).and_then(cell_text))
                    .filter(|t| !t.trim().is_empty())
            };
            out.push(TextDoc {
                id: get(ids).unwrap_or_else(|| (i + 1).to_string()),
                text: get(texts).or_else(|| get(&["title"])).unwrap_or_default(),
            });
        }
        return Ok(out);
    }
    for_each_row(path, |row_no, row, _| match row {
        Ok(row) => {
            let get = |names: &[&str]| {
                row.iter()
                    .find(|(k, _)| names.contains(&k.as_str()))
                    .map(|(_, v)| v.clone())
            };
            let text = get(texts)
                .filter(|t| !t.trim().is_empty())
                .or_else(|| get(&["title"]))
                .unwrap_or_default();
            out.push(TextDoc {
                id: get(ids).unwrap_or_else(|| row_no.to_string()),
                text,
            });
        }
        Err((_, issues)) => {
            if bad.is_none() {
                bad = issues.into_iter().next();
            }
        }
    })?;
    if let Some(i) = bad {
        return Err(DetectError::Input(format!(
            "{i}; run `cthub detect ingest` to quarantine bad rows first"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(
            parse_time("2024-03-01").as_deref(),
            Some("2024-03-01T00:00:00Z")
        );
        assert_eq!(
            parse_time("2024-03-01 12:30").as_deref(),
            Some("2024-03-01T12:30:00Z")
        );
        assert_eq!(
            parse_time("2024-03-01T12:30:05+02:00").as_deref(),
            Some("2024-03-01T12:30:05+02:00")
        );
        assert_eq!(
            parse_time("1700000000").as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert!(parse_time("yesterday").is_none());
        assert!(parse_time("2024-13-01").is_none());
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn opts() -> IngestOptions {
        IngestOptions {
            layout: Layout::Auto,
            region: Some(crate::entities::parse_region("GB").unwrap()),
            key: None,
        }
    }

    #[test]
    fn ads_csv_with_reposts_and_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "ads.csv",
            "platform,url,posted_at,title,text,price,location,whatsapp,phash\n\
             board,https://b.example/1,2024-01-02,Waitress,\"Work in Dubai, call 07911 123456\",$2500,Dubai,+447911123459,ffd8a0b0c0d0e0f0\n\
             board,https://b.example/2,2024-01-01,Waitress,\"Work  in Dubai, call 07911 123456\",$2500,Dubai,+447911123459,\n\
             board,not a url,2024-01-03,Cook,Kitchen job,,,,\n\
             board,https://b.example/4,someday,Cook,Kitchen job,,,,\n\
             board,https://b.example/5,2024-01-05,,,,,,\n\
             board,https://b.example/6,2024-01-06,Cook,Kitchen,,,,zz\n\
             short,row\n",
        );
        let r = ingest(&[&p], &opts()).unwrap();
        assert_eq!(r.rows, 7);
        assert_eq!(r.ads.len(), 1);
        assert_eq!(r.duplicates, 1);
        let ad = &r.ads[0];
        assert_eq!(ad.versions.len(), 2);
        assert_eq!(
            ad.versions[0].posted_at.as_deref(),
            Some("2024-01-01T00:00:00Z"),
            "oldest first"
        );
        assert_eq!(ad.image_hashes, vec!["ffd8a0b0c0d0e0f0"]);
        let has = |k: EntityKind, v: &str| ad.entities.iter().any(|e| e.kind == k && e.value == v);
        assert!(has(EntityKind::Phone, "+447911123456"));
        assert!(has(EntityKind::Handle, "+447911123459"));
        assert!(has(EntityKind::Price, "2500 USD"));
        assert!(has(EntityKind::Location, "Dubai"));
        assert!(has(EntityKind::ImageHash, "ffd8a0b0c0d0e0f0"));
        let rules: Vec<(usize, String, String)> = r
            .quarantined
            .iter()
            .flat_map(|q| {
                q.issues
                    .iter()
                    .map(|i| (i.row, i.column.clone(), i.rule.clone()))
            })
            .collect();
        assert_eq!(
            rules,
            vec![
                (4, "url".to_string(), "url-absolute-http".to_string()),
                (5, "posted_at".into(), "posted-at-time".into()),
                (6, "title/text".into(), "text-required".into()),
                (7, "phash".into(), "image-hash-hex".into()),
                (8, "".into(), "csv-field-count".into()),
            ]
        );
        // Quarantined rows keep their raw cells.
        assert_eq!(r.quarantined[0].raw["url"], "not a url");
    }

    #[test]
    fn jsonl_and_keyed_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "ads.jsonl",
            "{\"id\":\"a1\",\"text\":\"Models wanted, telegram: @casting_now, call +44 7911 123456\",\"posted_at\":\"2024-05-01T10:00:00Z\"}\n\
             not json\n\
             {\"id\":\"a2\",\"text\":{\"nested\":1}}\n\
             [1,2]\n",
        );
        let mut o = opts();
        o.key = Some(KeyedHasher::new(b"a key of sixteen bytes or more").unwrap());
        let r = ingest(&[&p], &o).unwrap();
        assert_eq!(r.ads.len(), 1);
        let ad = &r.ads[0];
        assert!(!ad.text.contains("7911"), "{}", ad.text);
        assert!(!ad.text.contains("casting_now"), "{}", ad.text);
        assert!(ad.text.contains("#PHONE_"), "{}", ad.text);
        assert!(ad
            .entities
            .iter()
            .all(|e| e.hashed && e.value.len() == 64 && e.span.is_none()));
        let rules: Vec<&str> = r
            .quarantined
            .iter()
            .map(|q| q.issues[0].rule.as_str())
            .collect();
        assert_eq!(rules, vec!["json-syntax", "json-scalar", "json-object"]);
        assert_eq!(r.quarantined[1].issues[0].column, "text");
    }

    #[test]
    fn emscad_layout() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "e.csv",
            "job_id,title,location,department,salary_range,company_profile,description,requirements,benefits,telecommuting,has_company_logo,has_questions,employment_type,required_experience,required_education,industry,function,fraudulent\n\
             1,Admin,\"US, CA, Los Angeles\",,23040-28800,,Apply at #EMAIL_f4da338e# now,,,0,0,0,Full-time,,,,,1\n\
             2,Admin,\"US, CA, Los Angeles\",,Oct-15,,Another job text,,,0,0,0,Full-time,,,,,0\n\
             x,Clerk,,,,,Text,,,0,0,2,,,,,,0\n",
        );
        let r = ingest(&[&p], &opts()).unwrap();
        assert_eq!(r.layouts[0].1, Layout::Emscad);
        assert_eq!(r.ads.len(), 2);
        assert_eq!(r.ads[0].id, "1");
        assert_eq!(r.ads[0].extra["fraudulent"], "1");
        assert!(r.ads[0]
            .entities
            .iter()
            .any(|e| e.kind == EntityKind::MaskedEmail));
        assert!(r.ads[0]
            .entities
            .iter()
            .any(|e| e.kind == EntityKind::Price && e.value == "23040-28800"));
        assert!(r.ads[0]
            .entities
            .iter()
            .any(|e| e.kind == EntityKind::Location && e.value == "US, CA, Los Angeles"));
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].rule, "emscad-salary-range");
        assert_eq!(r.warnings[0].value, "Oct-15");
        let q = &r.quarantined[0];
        assert_eq!(q.row, 4);
        let rules: Vec<&str> = q.issues.iter().map(|i| i.rule.as_str()).collect();
        assert_eq!(rules, vec!["emscad-job-id-integer", "emscad-flag-0-1"]);
    }
}
