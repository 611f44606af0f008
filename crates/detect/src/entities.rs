//! Entity extraction from ad texts and contact fields.
//!
//! Kinds: phone numbers (parsed and validated with the `phonenumber` crate, Google's
//! libphonenumber metadata, normalised to E.164; numbers without a country code are read in the
//! default region), e-mail addresses (also `name [at] host [dot] com`), URLs and their domains,
//! social-media and messenger handles (WhatsApp, Telegram, Instagram, Snapchat, Kik, WeChat, Line,
//! Signal, Viber, Skype, TikTok, Facebook, Twitter/X; from profile links or a platform name
//! followed by `:`/`@`/a number), crypto addresses (Bitcoin base58check and bech32/bech32m with
//! their checksums verified, Ethereum `0x` + 40 hex), prices with their currency, locations (from
//! a location field), masked tokens (`#PHONE_…#`, `#EMAIL_…#`, `#URL_…#`, as in EMSCAD) and image
//! perceptual hashes (from an image-hash field).
//!
//! [`KeyedHasher`] replaces identifying values by HMAC-SHA256 (hex) under a user key, so ads can
//! be linked by shared phones or handles without keeping the raw values; [`redact`] replaces them
//! in the text by masked tokens in EMSCAD's style.

use hmac::{Hmac, Mac};
use phonenumber::country;
use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A phone-number region (ISO 3166 alpha-2), as the `phonenumber` crate names it.
pub use phonenumber::country::Id as RegionId;

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A phone number in E.164 (`+447911123456`).
    Phone,
    /// An e-mail address (lower case).
    Email,
    /// A URL.
    Url,
    /// The registered host of a URL, without `www.`.
    Domain,
    /// A social-media or messenger handle; `platform` says where.
    Handle,
    /// A crypto-currency address; `platform` is `bitcoin` or `ethereum`.
    Crypto,
    /// A price or salary: `<amount> <ISO currency>`.
    Price,
    /// A location from a location field.
    Location,
    /// A masked phone number (`#PHONE_…#`).
    MaskedPhone,
    /// A masked e-mail address (`#EMAIL_…#`).
    MaskedEmail,
    /// A masked URL (`#URL_…#`).
    MaskedUrl,
    /// An image perceptual hash (hex).
    ImageHash,
}

impl EntityKind {
    /// Whether values of this kind identify a person or an account (and are hashed under a key).
    pub fn is_identifying(self) -> bool {
        !matches!(self, EntityKind::Price | EntityKind::Location)
    }

    /// The tag used in masked tokens made by [`redact`].
    fn tag(self) -> &'static str {
        match self {
            EntityKind::Phone | EntityKind::MaskedPhone => "PHONE",
            EntityKind::Email | EntityKind::MaskedEmail => "EMAIL",
            EntityKind::Url | EntityKind::Domain | EntityKind::MaskedUrl => "URL",
            EntityKind::Handle => "HANDLE",
            EntityKind::Crypto => "CRYPTO",
            EntityKind::ImageHash => "IMAGE",
            EntityKind::Price => "PRICE",
            EntityKind::Location => "LOCATION",
        }
    }

    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Phone => "phone",
            EntityKind::Email => "email",
            EntityKind::Url => "url",
            EntityKind::Domain => "domain",
            EntityKind::Handle => "handle",
            EntityKind::Crypto => "crypto",
            EntityKind::Price => "price",
            EntityKind::Location => "location",
            EntityKind::MaskedPhone => "masked_phone",
            EntityKind::MaskedEmail => "masked_email",
            EntityKind::MaskedUrl => "masked_url",
            EntityKind::ImageHash => "image_hash",
        }
    }
}

/// One entity found in a field of an ad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// What it is.
    pub kind: EntityKind,
    /// Normalised value (E.164, lower-case e-mail, `2500 USD`, …), or its keyed hash (hex).
    pub value: String,
    /// Platform of a handle or crypto address (`telegram`, `bitcoin`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The field it was found in.
    pub field: String,
    /// Byte span in the field's text (absent once hashed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
    /// Whether `value` is a keyed hash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hashed: bool,
}

/// Extracts entities; build once and reuse (regexes are compiled in [`Extractor::new`]).
#[derive(Debug, Clone)]
pub struct Extractor {
    region: Option<country::Id>,
    masked: Regex,
    url: Regex,
    email: Regex,
    email_obfuscated: Regex,
    dot: Regex,
    handle: Regex,
    at_handle: Regex,
    phone: Regex,
    btc: Regex,
    bech32: Regex,
    eth: Regex,
    price: Regex,
}

const PLATFORMS: &[(&str, &str)] = &[
    ("whatsapp", "whatsapp"),
    ("whats app", "whatsapp"),
    ("wa", "whatsapp"),
    ("telegram", "telegram"),
    ("tg", "telegram"),
    ("instagram", "instagram"),
    ("insta", "instagram"),
    ("ig", "instagram"),
    ("snapchat", "snapchat"),
    ("snap", "snapchat"),
    ("sc", "snapchat"),
    ("kik", "kik"),
    ("wechat", "wechat"),
    ("line", "line"),
    ("signal", "signal"),
    ("viber", "viber"),
    ("skype", "skype"),
    ("tiktok", "tiktok"),
    ("facebook", "facebook"),
    ("fb", "facebook"),
    ("twitter", "twitter"),
];

fn platform_of(keyword: &str) -> &'static str {
    let k = keyword
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    PLATFORMS
        .iter()
        .find(|(n, _)| *n == k)
        .map(|(_, p)| *p)
        .unwrap_or("unknown")
}

/// The default region from an ISO 3166 alpha-2 code (`GB`, `US`, …).
pub fn parse_region(code: &str) -> Result<country::Id, String> {
    code.trim()
        .to_uppercase()
        .parse::<country::Id>()
        .map_err(|_| {
            format!("unknown phone region `{code}` (use an ISO 3166 alpha-2 code such as GB or US)")
        })
}

impl Extractor {
    /// An extractor reading national phone numbers in `region` (none: only numbers with `+`/`00`).
    pub fn new(region: Option<country::Id>) -> Self {
        let re = |p: &str| Regex::new(p).expect("the entity patterns are valid");
        Extractor {
            region,
            masked: re(r"#(PHONE|EMAIL|URL)_([0-9A-Za-z]+)#"),
            url: re(
                r"(?i)\b(?:https?://|www\.)[^\s<>\x22'\[\]{}|]+|\b(?:t\.me|wa\.me|instagram\.com|snapchat\.com|tiktok\.com|facebook\.com|fb\.com|twitter\.com|x\.com)/[^\s<>\x22'\[\]{}|]+",
            ),
            email: re(
                r"(?i)\b[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}\b",
            ),
            email_obfuscated: re(
                r"(?i)\b([a-z0-9][a-z0-9._%+\-]*)\s*[\[\(\{]\s*at\s*[\]\)\}]\s*([a-z0-9\-]+(?:\s*[\[\(\{]\s*dot\s*[\]\)\}]\s*[a-z0-9\-]+)+)\b",
            ),
            dot: re(r"(?i)\s*[\[\(\{]\s*dot\s*[\]\)\}]\s*"),
            handle: re(
                r"(?i)\b(whats\s?app|wa|telegram|tg|instagram|insta|ig|snapchat|snap|sc|kik|wechat|line|signal|viber|skype|tiktok|facebook|fb|twitter)\b(?:\s*(?:id|me|at|on|to|us))?\s*(?:[:=\-]\s*|(@))(@?[A-Za-z0-9_.]{2,32}|\+?\d[\d\s().\-]{5,18}\d)|(?i)\b(whats\s?app|telegram|viber|signal|wechat|line)\b(?:\s*(?:me|at|on|to|us))?\s+(\+?\d[\d\s().\-]{5,18}\d)",
            ),
            at_handle: re(r"(?:^|[\s(,;])@([A-Za-z0-9_][A-Za-z0-9_.]{2,29})"),
            phone: re(r"(?:\+|\b00|\(|\b)\d[\d\s().\-]{5,20}\d\b"),
            btc: re(r"\b[13][a-km-zA-HJ-NP-Z1-9]{25,34}\b"),
            bech32: re(r"(?i)\b(?:bc1|tb1)[02-9ac-hj-np-z]{11,71}\b"),
            eth: re(r"\b0x[0-9a-fA-F]{40}\b"),
            price: re(
                r"(?i)(?:(US\$|[$€£¥₹₦]|\b(?:usd|eur|gbp|aed|inr|ngn|rub|php|chf|cad|aud)\b)\s?(\d{1,3}(?:[,.\s]\d{3})+|\d+)(?:[.,](\d{1,2}))?(k\b)?)|(?:\b(\d{1,3}(?:[,.]\d{3})+|\d+)(?:[.,](\d{1,2}))?(k)?\s?(usd|eur|gbp|aed|inr|ngn|rub|php|chf|cad|aud|dollars?|euros?|pounds?|dirhams?|naira|rubles?|€|\$|£)(?:\b|$|\s))",
            ),
        }
    }

    /// Entities of a free-text field (title, description, contact field, …).
    pub fn extract(&self, field: &str, text: &str) -> Vec<Entity> {
        let mut out: Vec<Entity> = Vec::new();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let free = |taken: &[(usize, usize)], s: usize, e: usize| {
            taken.iter().all(|&(a, b)| e <= a || s >= b)
        };
        let push = |out: &mut Vec<Entity>,
                    kind,
                    value: String,
                    platform: Option<&str>,
                    s: usize,
                    e: usize| {
            out.push(Entity {
                kind,
                value,
                platform: platform.map(str::to_string),
                field: field.to_string(),
                span: Some((s, e)),
                hashed: false,
            });
        };
        for c in self.masked.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let kind = match &c[1] {
                "PHONE" => EntityKind::MaskedPhone,
                "EMAIL" => EntityKind::MaskedEmail,
                _ => EntityKind::MaskedUrl,
            };
            push(
                &mut out,
                kind,
                m.as_str().to_string(),
                None,
                m.start(),
                m.end(),
            );
            taken.push((m.start(), m.end()));
        }
        for m in self.url.find_iter(text) {
            if !free(&taken, m.start(), m.end()) {
                continue;
            }
            let raw = m
                .as_str()
                .trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
            let (s, e) = (m.start(), m.start() + raw.len());
            let with_scheme = if raw.to_lowercase().starts_with("http") {
                raw.to_string()
            } else {
                format!("http://{raw}")
            };
            let Ok(u) = url::Url::parse(&with_scheme) else {
                continue;
            };
            let Some(host) = u.host_str() else { continue };
            let host = host.trim_start_matches("www.").to_lowercase();
            taken.push((s, e));
            push(&mut out, EntityKind::Url, u.to_string(), None, s, e);
            push(&mut out, EntityKind::Domain, host.clone(), None, s, e);
            let mut segs = u
                .path_segments()
                .into_iter()
                .flatten()
                .filter(|x| !x.is_empty());
            let first = segs.next().map(str::to_string);
            let handle =
                |p: &'static str, h: Option<String>| h.filter(|h| !h.is_empty()).map(|h| (p, h));
            let found = match host.as_str() {
                "t.me" | "telegram.me" => handle("telegram", first),
                "instagram.com" => handle("instagram", first),
                "tiktok.com" => handle(
                    "tiktok",
                    first.map(|f| f.trim_start_matches('@').to_string()),
                ),
                "facebook.com" | "fb.com" => handle("facebook", first),
                "twitter.com" | "x.com" => handle("twitter", first),
                "snapchat.com" => {
                    if first.as_deref() == Some("add") {
                        handle("snapchat", segs.next().map(str::to_string))
                    } else {
                        handle("snapchat", first)
                    }
                }
                "wa.me" => {
                    if let Some(n) = first
                        .as_deref()
                        .and_then(|n| self.phone_e164(&format!("+{n}")))
                    {
                        push(&mut out, EntityKind::Phone, n.clone(), None, s, e);
                        Some(("whatsapp", n))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some((p, h)) = found {
                push(
                    &mut out,
                    EntityKind::Handle,
                    h.to_lowercase(),
                    Some(p),
                    s,
                    e,
                );
            }
        }
        for m in self.email.find_iter(text) {
            if free(&taken, m.start(), m.end()) {
                push(
                    &mut out,
                    EntityKind::Email,
                    m.as_str().to_lowercase(),
                    None,
                    m.start(),
                    m.end(),
                );
                taken.push((m.start(), m.end()));
            }
        }
        for c in self.email_obfuscated.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            if free(&taken, m.start(), m.end()) {
                let host = self.dot.replace_all(&c[2], ".");
                push(
                    &mut out,
                    EntityKind::Email,
                    format!("{}@{}", &c[1], host).to_lowercase(),
                    None,
                    m.start(),
                    m.end(),
                );
                taken.push((m.start(), m.end()));
            }
        }
        for c in self.handle.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let (kw, val) = match (c.get(1), c.get(3), c.get(4), c.get(5)) {
                (Some(k), Some(v), _, _) => (k.as_str(), v),
                (_, _, Some(k), Some(v)) => (k.as_str(), v),
                _ => continue,
            };
            if !free(&taken, val.start(), val.end()) {
                continue;
            }
            let platform = platform_of(kw);
            let v = val.as_str();
            if v.chars()
                .next()
                .is_some_and(|ch| ch == '+' || ch.is_ascii_digit())
                && v.chars().filter(char::is_ascii_digit).count() >= 7
            {
                if let Some(n) = self.phone_e164(v) {
                    push(
                        &mut out,
                        EntityKind::Phone,
                        n.clone(),
                        None,
                        val.start(),
                        val.end(),
                    );
                    push(
                        &mut out,
                        EntityKind::Handle,
                        n,
                        Some(platform),
                        val.start(),
                        val.end(),
                    );
                    taken.push((val.start(), val.end()));
                }
                continue;
            }
            let h = v
                .trim_start_matches('@')
                .trim_end_matches('.')
                .to_lowercase();
            if h.len() < 2 || h.chars().all(|ch| ch.is_ascii_digit()) {
                continue;
            }
            push(
                &mut out,
                EntityKind::Handle,
                h,
                Some(platform),
                val.start(),
                val.end(),
            );
            taken.push((m.start().max(val.start()), val.end()));
        }
        for c in self.at_handle.captures_iter(text) {
            let g = c.get(1).expect("group 1");
            if free(&taken, g.start() - 1, g.end()) {
                let h = g.as_str().trim_end_matches('.').to_lowercase();
                push(
                    &mut out,
                    EntityKind::Handle,
                    h,
                    Some("unknown"),
                    g.start() - 1,
                    g.end(),
                );
                taken.push((g.start() - 1, g.end()));
            }
        }
        for m in self.btc.find_iter(text) {
            if free(&taken, m.start(), m.end()) && base58check_ok(m.as_str()) {
                push(
                    &mut out,
                    EntityKind::Crypto,
                    m.as_str().to_string(),
                    Some("bitcoin"),
                    m.start(),
                    m.end(),
                );
                taken.push((m.start(), m.end()));
            }
        }
        for m in self.bech32.find_iter(text) {
            if free(&taken, m.start(), m.end()) && bech32_ok(m.as_str()) {
                push(
                    &mut out,
                    EntityKind::Crypto,
                    m.as_str().to_lowercase(),
                    Some("bitcoin"),
                    m.start(),
                    m.end(),
                );
                taken.push((m.start(), m.end()));
            }
        }
        for m in self.eth.find_iter(text) {
            if free(&taken, m.start(), m.end()) {
                push(
                    &mut out,
                    EntityKind::Crypto,
                    m.as_str().to_lowercase(),
                    Some("ethereum"),
                    m.start(),
                    m.end(),
                );
                taken.push((m.start(), m.end()));
            }
        }
        // Prices before phones, so `$2,500` is not read as a number.
        for c in self.price.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            if !free(&taken, m.start(), m.end()) {
                continue;
            }
            let (cur, int, frac, k) = if c.get(2).is_some() {
                (c.get(1), c.get(2), c.get(3), c.get(4))
            } else {
                (c.get(8), c.get(5), c.get(6), c.get(7))
            };
            let (Some(cur), Some(int)) = (cur, int) else {
                continue;
            };
            let digits: String = int.as_str().chars().filter(char::is_ascii_digit).collect();
            let Ok(mut amount) = digits.parse::<f64>() else {
                continue;
            };
            if let Some(f) = frac {
                amount +=
                    f.as_str().parse::<f64>().unwrap_or(0.0) / 10f64.powi(f.as_str().len() as i32);
            }
            if k.is_some() {
                amount *= 1000.0;
            }
            let code = currency_code(cur.as_str());
            let value = if amount.fract() == 0.0 {
                format!("{amount:.0} {code}")
            } else {
                format!("{amount:.2} {code}")
            };
            let end = m.as_str().trim_end().len() + m.start();
            push(&mut out, EntityKind::Price, value, None, m.start(), end);
            taken.push((m.start(), end));
        }
        for m in self.phone.find_iter(text) {
            let raw = m.as_str().trim();
            let s = m.start() + (m.as_str().len() - m.as_str().trim_start().len());
            let e = s + raw.len();
            if !free(&taken, s, e) {
                continue;
            }
            let digits = raw.chars().filter(char::is_ascii_digit).count();
            if !(7..=15).contains(&digits) || looks_like_range(raw) {
                continue;
            }
            if let Some(n) = self.phone_e164(raw) {
                push(&mut out, EntityKind::Phone, n, None, s, e);
                taken.push((s, e));
            }
        }
        out.sort_by_key(|e| (e.span.map(|s| s.0), e.kind));
        out
    }

    /// A phone number in E.164 if `raw` is a valid number (international, or national in the
    /// default region).
    pub fn phone_e164(&self, raw: &str) -> Option<String> {
        let cleaned = raw.trim();
        let cleaned = if let Some(rest) = cleaned.strip_prefix("00") {
            format!("+{rest}")
        } else {
            cleaned.to_string()
        };
        let region = if cleaned.starts_with('+') {
            None
        } else {
            self.region
        };
        if region.is_none() && !cleaned.starts_with('+') {
            return None;
        }
        let n = phonenumber::parse(region, &cleaned).ok()?;
        if !phonenumber::is_valid(&n) {
            return None;
        }
        Some(n.format().mode(phonenumber::Mode::E164).to_string())
    }

    /// Entities of a location field: one location, normalised (`US, CA, Los Angeles`).
    pub fn location(&self, field: &str, value: &str) -> Option<Entity> {
        let parts: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| Entity {
            kind: EntityKind::Location,
            value: parts.join(", "),
            platform: None,
            field: field.to_string(),
            span: None,
            hashed: false,
        })
    }
}

fn looks_like_range(raw: &str) -> bool {
    // Salary or year ranges: 23040-28800, 2012 - 2014.
    let parts: Vec<&str> = raw.split('-').map(str::trim).collect();
    parts.len() == 2
        && parts
            .iter()
            .all(|p| (3..=6).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
}

fn currency_code(s: &str) -> String {
    let l = s.to_lowercase();
    match l.trim_end_matches('s') {
        "$" | "us$" | "usd" | "dollar" => "USD".into(),
        "€" | "eur" | "euro" => "EUR".into(),
        "£" | "gbp" | "pound" => "GBP".into(),
        "¥" => "JPY".into(),
        "₹" | "inr" => "INR".into(),
        "₦" | "ngn" | "naira" => "NGN".into(),
        "aed" | "dirham" => "AED".into(),
        "rub" | "ruble" => "RUB".into(),
        other => other.to_uppercase(),
    }
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Whether `s` is a base58check string of 25 bytes (a legacy Bitcoin address).
pub fn base58check_ok(s: &str) -> bool {
    let mut bytes: Vec<u8> = vec![0; 25];
    for c in s.bytes() {
        let Some(mut carry) = BASE58.iter().position(|&b| b == c).map(|v| v as u32) else {
            return false;
        };
        for b in bytes.iter_mut().rev() {
            carry += 58 * (*b as u32);
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        if carry != 0 {
            return false;
        }
    }
    let check = Sha256::digest(Sha256::digest(&bytes[..21]));
    check[..4] == bytes[21..]
}

/// Whether `s` is a valid bech32 (BIP-173) or bech32m (BIP-350) string.
pub fn bech32_ok(s: &str) -> bool {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let s = s.to_lowercase();
    let Some(sep) = s.rfind('1') else {
        return false;
    };
    let (hrp, data) = (&s[..sep], &s[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    for c in data.bytes() {
        match CHARSET.iter().position(|&x| x == c) {
            Some(v) => values.push(v as u8),
            None => return false,
        }
    }
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let b = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ v as u32;
        for (i, g) in GEN.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk == 1 || chk == 0x2bc8_30a3
}

/// Keyed hashing of identifying entity values: HMAC-SHA256(key, kind ‖ 0 ‖ value), hex.
#[derive(Clone)]
pub struct KeyedHasher {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHasher(..)")
    }
}

impl KeyedHasher {
    /// A hasher under `key` (at least 16 bytes).
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < 16 {
            return Err(format!(
                "the key has {} bytes; use at least 16 random bytes",
                key.len()
            ));
        }
        Ok(KeyedHasher {
            mac: <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length"),
        })
    }

    /// The keyed hash of a value of a kind (hex, 64 characters).
    pub fn hash(&self, kind: EntityKind, value: &str) -> String {
        let mut m = self.mac.clone();
        m.update(kind.name().as_bytes());
        m.update(&[0]);
        m.update(value.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    /// Replaces the value of every identifying entity by its keyed hash and drops its span.
    pub fn protect(&self, entities: &mut [Entity]) {
        for e in entities
            .iter_mut()
            .filter(|e| e.kind.is_identifying() && !e.hashed)
        {
            e.value = self.hash(e.kind, &e.value);
            e.hashed = true;
        }
    }
}

/// Replaces the spans of identifying entities in `text` by masked tokens `#PHONE_<16 hex>#`
/// (the first 16 hex digits of the keyed hash), in EMSCAD's style. Existing masked tokens stay.
pub fn redact(text: &str, entities: &[Entity], hasher: &KeyedHasher) -> String {
    let mut spans: Vec<(usize, usize, String)> = entities
        .iter()
        .filter(|e| {
            e.kind.is_identifying()
                && !matches!(
                    e.kind,
                    EntityKind::MaskedPhone
                        | EntityKind::MaskedEmail
                        | EntityKind::MaskedUrl
                        | EntityKind::Domain
                )
        })
        .filter_map(|e| {
            let (s, t) = e.span?;
            let h = if e.hashed {
                e.value.clone()
            } else {
                hasher.hash(e.kind, &e.value)
            };
            Some((s, t, format!("#{}_{}#", e.kind.tag(), &h[..16])))
        })
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for (s, e, tok) in spans {
        if s < at || e > text.len() {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(&tok);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex() -> Extractor {
        Extractor::new(Some(parse_region("GB").unwrap()))
    }

    fn values(text: &str, kind: EntityKind) -> Vec<String> {
        ex().extract("text", text)
            .into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.value)
            .collect()
    }

    #[test]
    fn phones_in_many_formats() {
        let t = "Call 07911 123456, or +44 (0)20 7946 0958, intl 0044 7911 123 457, US +1 (212) 555-0123 / 212.555.0199 x";
        let p = values(t, EntityKind::Phone);
        assert!(p.contains(&"+447911123456".to_string()), "{p:?}");
        assert!(p.contains(&"+442079460958".to_string()), "{p:?}");
        assert!(p.contains(&"+447911123457".to_string()), "{p:?}");
        assert!(p.contains(&"+12125550123".to_string()), "{p:?}");
        // A national US number is not valid in the GB default region.
        assert!(!p.contains(&"+12125550199".to_string()), "{p:?}");
        let us = Extractor::new(Some(parse_region("us").unwrap()));
        assert_eq!(
            us.phone_e164("212.555.0199").as_deref(),
            Some("+12125550199")
        );
        // Not phones: salary ranges, years, short numbers.
        assert!(values(
            "salary 23040-28800, since 2012 - 2014, room 12345",
            EntityKind::Phone
        )
        .is_empty());
        assert!(Extractor::new(None).phone_e164("07911 123456").is_none());
    }

    #[test]
    fn masked_tokens_are_entities_and_not_phones() {
        let t = "Send CV to #EMAIL_f4da338e899ddba9# or call #PHONE_90d33c9d7ec1484a# see #URL_8b28dea5#";
        let e = ex().extract("description", t);
        let kinds: Vec<EntityKind> = e.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            vec![
                EntityKind::MaskedEmail,
                EntityKind::MaskedPhone,
                EntityKind::MaskedUrl
            ]
        );
        assert_eq!(e[1].value, "#PHONE_90d33c9d7ec1484a#");
    }

    #[test]
    fn emails_urls_handles() {
        let t = "Mail Anna.B@Example.org or anna [at] mail [dot] ru; see https://www.jobs-abroad.example.com/apply?x=1. \
                 WhatsApp +44 7911 123458, Telegram: @easy_money, t.me/fastjobs, instagram.com/model.agency, snap: lucy_x, @recruiter99";
        let e = ex().extract("text", t);
        let get = |k: EntityKind| {
            e.iter()
                .filter(|x| x.kind == k)
                .map(|x| (x.value.clone(), x.platform.clone()))
                .collect::<Vec<_>>()
        };
        let emails: Vec<String> = get(EntityKind::Email).into_iter().map(|x| x.0).collect();
        assert_eq!(emails, vec!["anna.b@example.org", "anna@mail.ru"]);
        assert_eq!(get(EntityKind::Domain)[0].0, "jobs-abroad.example.com");
        let handles = get(EntityKind::Handle);
        for (v, p) in [
            ("+447911123458", "whatsapp"),
            ("easy_money", "telegram"),
            ("fastjobs", "telegram"),
            ("model.agency", "instagram"),
            ("lucy_x", "snapchat"),
            ("recruiter99", "unknown"),
        ] {
            assert!(
                handles.contains(&(v.to_string(), Some(p.to_string()))),
                "{v} {p}: {handles:?}"
            );
        }
        assert!(get(EntityKind::Phone)
            .iter()
            .any(|x| x.0 == "+447911123458"));
        // "Line manager" is not a handle.
        assert!(values("reports to the line manager", EntityKind::Handle).is_empty());
    }

    #[test]
    fn crypto_and_prices() {
        let t = "Pay the deposit to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa or bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq \
                 or 0x52908400098527886E0F7030069857D2E4169EE7 (not 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb). \
                 Earn $2,500 per month or 1.5k EUR, €300 bonus, 40 dollars an hour";
        let c = values(t, EntityKind::Crypto);
        assert_eq!(c.len(), 3, "{c:?}");
        assert!(c.contains(&"0x52908400098527886e0f7030069857d2e4169ee7".to_string()));
        let p = values(t, EntityKind::Price);
        assert_eq!(p, vec!["2500 USD", "1500 EUR", "300 EUR", "40 USD"]);
    }

    #[test]
    fn keyed_hashes_and_redaction() {
        let h = KeyedHasher::new(b"0123456789abcdef-secret").unwrap();
        assert!(KeyedHasher::new(b"short").is_err());
        let t = "call +44 7911 123456 now";
        let mut e = ex().extract("text", t);
        let red = redact(t, &e, &h);
        assert!(
            red.starts_with("call #PHONE_") && red.ends_with("# now"),
            "{red}"
        );
        h.protect(&mut e);
        assert_eq!(e[0].value.len(), 64);
        assert_eq!(e[0].value, h.hash(EntityKind::Phone, "+447911123456"));
        let other = KeyedHasher::new(b"another key of 16+ bytes").unwrap();
        assert_ne!(e[0].value, other.hash(EntityKind::Phone, "+447911123456"));
    }
}
