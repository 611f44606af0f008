//! Tokenisation with slot normalisation, and the 64-bit hashing used by MinHash.
//!
//! A text is split into tokens in one pass. Tokens that are *slots* — numbers (anything with a
//! digit), phone-like runs, e-mail addresses, URLs and masked tokens such as EMSCAD's
//! `#PHONE_…#` — are hashed as their slot kind (`<num>`, `<email>`, …) so that two ads that differ
//! only in those values have the same token keys. Every other token is a word, hashed in lower
//! case. Each token keeps its byte span in the text for templates and slot values.

use serde::Serialize;

/// What a token is: a word or one of the slot kinds that are normalised before shingling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// An ordinary word (compared in lower case).
    Word,
    /// Anything containing a digit: prices, ages, phone fragments, dates.
    Number,
    /// An e-mail address.
    Email,
    /// A URL or a bare `www.` address.
    Url,
    /// A masked token `#PHONE_…#`, `#EMAIL_…#`, `#URL_…#` (EMSCAD, or cthub's keyed redaction).
    Masked,
}

impl TokenKind {
    /// Whether tokens of this kind are replaced by a placeholder before shingling.
    pub fn is_slot(self) -> bool {
        self != TokenKind::Word
    }

    /// The placeholder text of a slot kind.
    pub fn placeholder(self) -> &'static str {
        match self {
            TokenKind::Word => "",
            TokenKind::Number => "<num>",
            TokenKind::Email => "<email>",
            TokenKind::Url => "<url>",
            TokenKind::Masked => "<masked>",
        }
    }
}

/// One token: its normalised key (64-bit hash), its kind and its span in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Hash of the lower-cased word, or of the placeholder for slot kinds.
    pub key: u64,
    /// Word or slot kind.
    pub kind: TokenKind,
    /// Byte offset of the token in the text.
    pub start: u32,
    /// Byte offset after the token.
    pub end: u32,
    /// Byte offset after the token and the punctuation that follows it (for display).
    pub display_end: u32,
}

impl Token {
    /// The token as it appears in `text`.
    pub fn raw<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start as usize..self.end as usize]
    }

    /// The token with the punctuation that follows it, for readable templates.
    pub fn display<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start as usize..self.display_end as usize]
    }
}

/// MurmurHash3's 64-bit finaliser: a bijection that mixes every input bit into every output bit.
#[inline]
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// SplitMix64 step, used to derive seeds.
#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    fmix64(*state)
}

/// 64-bit hash of a byte string: 8 bytes at a time, multiply-rotate, then [`fmix64`].
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 =
        0x243f_6a88_85a3_08d3 ^ (bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ v).wrapping_mul(0x9fb2_1c65_1e98_df25).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(buf))
            .wrapping_mul(0x9fb2_1c65_1e98_df25)
            .rotate_left(29);
    }
    fmix64(h)
}

/// The key of a slot kind's placeholder.
pub fn placeholder_key(kind: TokenKind) -> u64 {
    hash_bytes(kind.placeholder().as_bytes())
}

/// The key of a word (hashed in lower case).
pub fn word_key(word: &str) -> u64 {
    if word.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        hash_bytes(word.to_lowercase().as_bytes())
    } else {
        hash_bytes(word.as_bytes())
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '’'
}

/// Split `text` into tokens. Slot tokens get their placeholder key.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(text.len() / 5 + 1);
    tokenize_into(text, &mut out);
    out
}

/// [`tokenize`] into a reused buffer (cleared first).
pub fn tokenize_into(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let n = bytes.len();
    while i < n {
        // Skip whitespace.
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c >= 0x80 {
            let ch = text[i..].chars().next().unwrap_or(' ');
            if ch.is_whitespace() {
                i += ch.len_utf8();
                continue;
            }
        }
        // A chunk: maximal run of non-whitespace.
        let start = i;
        while i < n {
            let b = bytes[i];
            if b.is_ascii_whitespace() {
                break;
            }
            if b >= 0x80 {
                let ch = text[i..].chars().next().unwrap_or(' ');
                if ch.is_whitespace() {
                    break;
                }
                i += ch.len_utf8();
            } else {
                i += 1;
            }
        }
        chunk_tokens(text, start, i, out);
    }
}

fn masked_at(bytes: &[u8], i: usize, end: usize) -> Option<usize> {
    // #KIND_hex#
    if bytes[i] != b'#' {
        return None;
    }
    let mut j = i + 1;
    while j < end && bytes[j].is_ascii_uppercase() {
        j += 1;
    }
    if j == i + 1 || j >= end || bytes[j] != b'_' {
        return None;
    }
    j += 1;
    let hex_start = j;
    while j < end && bytes[j].is_ascii_alphanumeric() {
        j += 1;
    }
    if j == hex_start || j >= end || bytes[j] != b'#' {
        return None;
    }
    Some(j + 1)
}

fn push(out: &mut Vec<Token>, key: u64, kind: TokenKind, start: usize, end: usize) {
    out.push(Token {
        key,
        kind,
        start: start as u32,
        end: end as u32,
        display_end: end as u32,
    });
}

/// Tokens of one whitespace-free chunk `text[start..end]`.
fn chunk_tokens(text: &str, start: usize, end: usize, out: &mut Vec<Token>) {
    let bytes = text.as_bytes();
    let first = out.len();
    let chunk = &text[start..end];
    // Trim surrounding punctuation for whole-chunk classification.
    let trimmed_start = start
        + chunk
            .find(|c: char| c.is_alphanumeric() || c == '#' || c == '+')
            .unwrap_or(chunk.len());
    let trimmed_end = start
        + chunk
            .rfind(|c: char| c.is_alphanumeric() || c == '#' || c == '/')
            .map(|p| p + chunk[p..].chars().next().map_or(1, char::len_utf8))
            .unwrap_or(0);
    if trimmed_start < trimmed_end {
        let t = &text[trimmed_start..trimmed_end];
        let lower_start = t.get(..8).unwrap_or(t).to_ascii_lowercase();
        if !t.contains('#')
            && (lower_start.starts_with("http://")
                || lower_start.starts_with("https://")
                || lower_start.starts_with("www."))
        {
            push(
                out,
                placeholder_key(TokenKind::Url),
                TokenKind::Url,
                trimmed_start,
                trimmed_end,
            );
            finish_display(out, first, end);
            return;
        }
        if let Some(at) = t.find('@') {
            let (user, domain) = (&t[..at], &t[at + 1..]);
            if !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !t.contains('#')
            {
                push(
                    out,
                    placeholder_key(TokenKind::Email),
                    TokenKind::Email,
                    trimmed_start,
                    trimmed_end,
                );
                finish_display(out, first, end);
                return;
            }
        }
        // A phone-like chunk: digits with + ( ) - . / only, at least 7 digits.
        let digits = t.bytes().filter(u8::is_ascii_digit).count();
        if digits >= 7
            && t.bytes()
                .all(|b| b.is_ascii_digit() || b"+()-./".contains(&b))
        {
            push(
                out,
                placeholder_key(TokenKind::Number),
                TokenKind::Number,
                trimmed_start,
                trimmed_end,
            );
            finish_display(out, first, end);
            return;
        }
    }
    // Otherwise: masked tokens and alphanumeric runs.
    let mut i = start;
    while i < end {
        if let Some(e) = masked_at(bytes, i, end) {
            push(
                out,
                placeholder_key(TokenKind::Masked),
                TokenKind::Masked,
                i,
                e,
            );
            i = e;
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        if !is_word_char(ch) || ch == '\'' || ch == '’' {
            i += ch.len_utf8();
            continue;
        }
        let s = i;
        let mut has_digit = false;
        let mut has_upper = false;
        while i < end {
            let ch = text[i..].chars().next().unwrap_or(' ');
            if !is_word_char(ch) {
                // Keep decimal separators inside numbers: 2,500 and 12.50.
                if (ch == ',' || ch == '.')
                    && has_digit
                    && i + 1 < end
                    && bytes[i + 1].is_ascii_digit()
                {
                    i += 1;
                    continue;
                }
                break;
            }
            has_digit |= ch.is_ascii_digit();
            has_upper |= !ch.is_ascii_lowercase();
            i += ch.len_utf8();
        }
        let word = &text[s..i];
        if has_digit {
            push(
                out,
                placeholder_key(TokenKind::Number),
                TokenKind::Number,
                s,
                i,
            );
        } else {
            let key = if has_upper {
                word_key(word)
            } else {
                hash_bytes(word.as_bytes())
            };
            push(out, key, TokenKind::Word, s, i);
        }
    }
    finish_display(out, first, end);
}

/// Extend each new token's display span over the punctuation that follows it in its chunk.
fn finish_display(out: &mut [Token], first: usize, chunk_end: usize) {
    let n = out.len();
    for k in first..n {
        let next = if k + 1 < n {
            out[k + 1].start
        } else {
            chunk_end as u32
        };
        out[k].display_end = next.max(out[k].end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, TokenKind)> {
        tokenize(text)
            .iter()
            .map(|t| (t.raw(text).to_string(), t.kind))
            .collect()
    }

    #[test]
    fn slots_are_normalised() {
        let k = kinds(
            "Call +1 (555) 010-1234 or mail jo.b@x.org, see https://a.b/c?d=1 #PHONE_ab12# now!",
        );
        assert_eq!(k[0], ("Call".into(), TokenKind::Word));
        assert!(k
            .iter()
            .any(|(r, t)| r == "jo.b@x.org" && *t == TokenKind::Email));
        assert!(k
            .iter()
            .any(|(r, t)| r == "https://a.b/c?d=1" && *t == TokenKind::Url));
        assert!(k
            .iter()
            .any(|(r, t)| r == "#PHONE_ab12#" && *t == TokenKind::Masked));
        assert!(k
            .iter()
            .any(|(r, t)| r == "010-1234" && *t == TokenKind::Number));
        let a = tokenize("Pay $2,500 per month");
        let b = tokenize("pay $3,100.50 PER month");
        assert_eq!(
            a.iter().map(|t| t.key).collect::<Vec<_>>(),
            b.iter().map(|t| t.key).collect::<Vec<_>>()
        );
    }

    #[test]
    fn glued_masked_tokens_and_display() {
        let text = "email:#EMAIL_0687b965#today. Hello, world";
        let k = kinds(text);
        assert_eq!(k[0].0, "email");
        assert_eq!(k[1], ("#EMAIL_0687b965#".into(), TokenKind::Masked));
        assert_eq!(k[2].0, "today");
        let t = tokenize(text);
        assert_eq!(t[3].display(text), "Hello,");
    }

    #[test]
    fn unicode_words() {
        let k = kinds("Trabajo en MÜNCHEN — ¡ya!");
        assert_eq!(k.len(), 4);
        assert_eq!(word_key("MÜNCHEN"), word_key("münchen"));
    }
}
