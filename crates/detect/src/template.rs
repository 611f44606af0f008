//! A readable template for a cluster: the common text with the varying slots marked.
//!
//! The medoid (the member most similar to the others) is the reference. Every member's token
//! keys are aligned to the medoid's (patience-style: unique common tokens as anchors, their
//! longest increasing run, small gaps filled by an exact LCS). A medoid token matched in a strict
//! majority of members is *fixed* (slot placeholders such as `<num>` only when every matched
//! member has the same raw value). Between two consecutive fixed tokens, each member whose copy
//! of both is aligned contributes the raw text it has there. Where most members have text there
//! and it differs, that region is a slot `[[slot N]]` and its observed values are listed; where
//! most have nothing, or most have one value that every other value only extends, it is an
//! insertion in a few members and is left out.

use std::collections::HashMap;

use serde::Serialize;

use crate::minhash::jaccard;
use crate::text::{tokenize, Token, TokenKind};

/// One observed value of a slot and how many members have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotValue {
    /// The raw text in the member.
    pub value: String,
    /// Members with this value.
    pub count: usize,
}

/// A varying part of a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slot {
    /// 1-based slot number as it appears in the template (`[[slot 1]]`).
    pub slot: usize,
    /// `number`, `email`, `url`, `masked` when every value is of that kind, else `text`.
    pub kind: String,
    /// Distinct values observed.
    pub distinct: usize,
    /// The most frequent values (at most 20), most frequent first.
    pub values: Vec<SlotValue>,
}

/// The template of a cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    /// The common text with `[[slot N]]` placeholders.
    pub template: String,
    /// The slots in order.
    pub slots: Vec<Slot>,
    /// Index (into the members given) of the medoid.
    pub medoid: usize,
    /// Number of members aligned to the medoid (at most the limit given).
    pub aligned: usize,
    /// Mean Jaccard similarity of the aligned members to the medoid.
    pub cohesion: f64,
}

/// Longest common subsequence of `a` and `b` by dynamic programming; appends matched pairs
/// (offset by `ao`, `bo`) to `out` in increasing order.
fn lcs_dp(a: &[u64], b: &[u64], ao: usize, bo: usize, out: &mut Vec<(usize, usize)>) {
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    let mut t = vec![0u16; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * w + j] = if a[i] == b[j] {
                t[(i + 1) * w + j + 1] + 1
            } else {
                t[(i + 1) * w + j].max(t[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((ao + i, bo + j));
            i += 1;
            j += 1;
        } else if t[(i + 1) * w + j] >= t[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
}

/// Longest strictly increasing subsequence of `v` (indices into `v`).
fn lis(v: &[usize]) -> Vec<usize> {
    let mut tails: Vec<usize> = Vec::new(); // index into v
    let mut prev = vec![usize::MAX; v.len()];
    for i in 0..v.len() {
        let pos = tails.partition_point(|&t| v[t] < v[i]);
        if pos > 0 {
            prev[i] = tails[pos - 1];
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut k = tails.last().copied().unwrap_or(usize::MAX);
    while k != usize::MAX {
        out.push(k);
        k = prev[k];
    }
    out.reverse();
    out
}

/// Aligns two key sequences; returns matched index pairs in increasing order.
pub fn align(a: &[u64], b: &[u64]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    align_range(a, 0, a.len(), b, 0, b.len(), &mut out, 0);
    out
}

#[allow(clippy::too_many_arguments)]
fn align_range(
    a: &[u64],
    mut a0: usize,
    mut a1: usize,
    b: &[u64],
    mut b0: usize,
    mut b1: usize,
    out: &mut Vec<(usize, usize)>,
    depth: usize,
) {
    while a0 < a1 && b0 < b1 && a[a0] == b[b0] {
        out.push((a0, b0));
        a0 += 1;
        b0 += 1;
    }
    let mut suffix = Vec::new();
    while a0 < a1 && b0 < b1 && a[a1 - 1] == b[b1 - 1] {
        suffix.push((a1 - 1, b1 - 1));
        a1 -= 1;
        b1 -= 1;
    }
    if a0 < a1 && b0 < b1 {
        let (n, m) = (a1 - a0, b1 - b0);
        if n * m <= 4096 {
            lcs_dp(&a[a0..a1], &b[b0..b1], a0, b0, out);
        } else {
            // Unique common keys as anchors.
            let mut counts: HashMap<u64, (u32, usize, u32, usize)> = HashMap::new();
            for (i, k) in a[a0..a1].iter().enumerate() {
                let e = counts.entry(*k).or_insert((0, 0, 0, 0));
                e.0 += 1;
                e.1 = a0 + i;
            }
            for (j, k) in b[b0..b1].iter().enumerate() {
                if let Some(e) = counts.get_mut(k) {
                    e.2 += 1;
                    e.3 = b0 + j;
                }
            }
            let mut pairs: Vec<(usize, usize)> = counts
                .values()
                .filter(|e| e.0 == 1 && e.2 == 1)
                .map(|e| (e.1, e.3))
                .collect();
            pairs.sort_unstable();
            let bs: Vec<usize> = pairs.iter().map(|p| p.1).collect();
            let anchors: Vec<(usize, usize)> = lis(&bs).into_iter().map(|k| pairs[k]).collect();
            if anchors.is_empty() || depth > 64 {
                if n * m <= 1 << 20 {
                    lcs_dp(&a[a0..a1], &b[b0..b1], a0, b0, out);
                }
            } else {
                let (mut pa, mut pb) = (a0, b0);
                for &(i, j) in &anchors {
                    align_range(a, pa, i, b, pb, j, out, depth + 1);
                    out.push((i, j));
                    pa = i + 1;
                    pb = j + 1;
                }
                align_range(a, pa, a1, b, pb, b1, out, depth + 1);
            }
        }
    }
    out.extend(suffix.into_iter().rev());
}

/// Picks the medoid: among up to 32 evenly spaced candidates, the one with the largest summed
/// Jaccard similarity to up to 32 evenly spaced members.
fn medoid(shingles: &[&[u32]]) -> usize {
    let n = shingles.len();
    let step = n.div_ceil(32).max(1);
    let sample: Vec<usize> = (0..n).step_by(step).collect();
    let mut best = (f64::MIN, 0usize);
    for &c in &sample {
        let s: f64 = sample
            .iter()
            .filter(|&&o| o != c)
            .map(|&o| jaccard(shingles[c], shingles[o]))
            .sum();
        if s > best.0 {
            best = (s, c);
        }
    }
    best.1
}

enum Part {
    Text(String),
    Slot(usize),
}

/// Explains a cluster given its members' texts and shingle sets (same order). At most
/// `max_align` members (the medoid and the first others) are aligned.
pub fn explain(texts: &[&str], shingles: &[&[u32]], max_align: usize) -> Template {
    assert_eq!(texts.len(), shingles.len());
    if texts.is_empty() {
        return Template {
            template: String::new(),
            slots: Vec::new(),
            medoid: 0,
            aligned: 0,
            cohesion: 1.0,
        };
    }
    let med = medoid(shingles);
    let mut chosen = vec![med];
    chosen.extend(
        (0..texts.len())
            .filter(|&i| i != med)
            .take(max_align.max(1) - 1),
    );
    let cohesion = chosen
        .iter()
        .map(|&i| jaccard(shingles[med], shingles[i]))
        .sum::<f64>()
        / chosen.len() as f64;
    let tokens: Vec<Vec<Token>> = chosen.iter().map(|&i| tokenize(texts[i])).collect();
    let keys: Vec<Vec<u64>> = tokens
        .iter()
        .map(|t| t.iter().map(|x| x.key).collect())
        .collect();
    let mt = &tokens[0];
    let mtext = texts[med];
    let l = mt.len();
    let n = chosen.len();
    // pos[m][p]: position in member m of medoid token p.
    let mut pos: Vec<Vec<Option<u32>>> = Vec::with_capacity(n);
    pos.push((0..l as u32).map(Some).collect());
    for k in &keys[1..] {
        let mut v = vec![None; l];
        for (p, j) in align(&keys[0], k) {
            v[p] = Some(j as u32);
        }
        pos.push(v);
    }
    // Fixed medoid positions.
    let mut fixed = vec![false; l];
    for p in 0..l {
        let matched: Vec<usize> = (0..n).filter(|&m| pos[m][p].is_some()).collect();
        if matched.len() * 2 <= n {
            continue;
        }
        if mt[p].kind.is_slot() {
            let raw = mt[p].raw(mtext);
            fixed[p] = matched.iter().all(|&m| {
                let j = pos[m][p].expect("matched") as usize;
                tokens[m][j].raw(texts[chosen[m]]) == raw
            }) && matched.len() == n;
        } else {
            fixed[p] = true;
        }
    }
    let mut parts: Vec<Part> = Vec::new();
    let mut slots: Vec<Slot> = Vec::new();
    // Regions between consecutive fixed positions (None = text start / end).
    let fixed_positions: Vec<usize> = (0..l).filter(|&p| fixed[p]).collect();
    let mut boundaries: Vec<Option<usize>> = vec![None];
    boundaries.extend(fixed_positions.iter().map(|&p| Some(p)));
    boundaries.push(None);
    for w in boundaries.windows(2) {
        let (left, right) = (w[0], w[1]);
        if w[0].is_none() && w[1].is_none() && l > 0 && !fixed_positions.is_empty() {
            continue;
        }
        // Region values over members whose copies of both boundaries are aligned.
        let mut values: HashMap<String, usize> = HashMap::new();
        let mut kinds: Vec<TokenKind> = Vec::new();
        let (mut defined, mut non_empty) = (0usize, 0usize);
        for m in 0..n {
            let lo = match left {
                None => Some(0usize),
                Some(p) => pos[m][p].map(|j| j as usize + 1),
            };
            let hi = match right {
                None => Some(tokens[m].len()),
                Some(p) => pos[m][p].map(|j| j as usize),
            };
            let (Some(lo), Some(hi)) = (lo, hi) else {
                continue;
            };
            defined += 1;
            if lo >= hi {
                continue;
            }
            non_empty += 1;
            let t = &tokens[m];
            let text = texts[chosen[m]];
            let v = &text[t[lo].start as usize..t[hi - 1].end as usize];
            kinds.extend(t[lo..hi].iter().map(|x| x.kind));
            *values.entry(v.to_string()).or_default() += 1;
        }
        // The most frequent value, if every other value only adds words around it (an
        // insertion in a few members, not a slot).
        let top = values
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(v, n)| (v.clone(), *n));
        let insertion_noise = top.as_ref().is_some_and(|(v, n)| {
            n * 2 > non_empty && values.keys().all(|other| other.contains(v.as_str()))
        });
        if defined > 0 && non_empty * 2 > defined {
            if values.len() == 1 || insertion_noise {
                let v = top.map(|(v, _)| v).unwrap_or_default();
                parts.push(Part::Text(v));
            } else {
                kinds.sort_unstable();
                kinds.dedup();
                let kind = match kinds.as_slice() {
                    [TokenKind::Number] => "number",
                    [TokenKind::Email] => "email",
                    [TokenKind::Url] => "url",
                    [TokenKind::Masked] => "masked",
                    _ => "text",
                };
                let mut vals: Vec<SlotValue> = values
                    .into_iter()
                    .map(|(value, count)| SlotValue { value, count })
                    .collect();
                vals.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                let distinct = vals.len();
                vals.truncate(20);
                slots.push(Slot {
                    slot: slots.len() + 1,
                    kind: kind.to_string(),
                    distinct,
                    values: vals,
                });
                parts.push(Part::Slot(slots.len()));
            }
        }
        if let Some(p) = right {
            parts.push(Part::Text(mt[p].display(mtext).to_string()));
        }
    }
    let template = parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => t.clone(),
            Part::Slot(k) => format!("[[slot {k}]]"),
        })
        .collect::<Vec<_>>()
        .join(" ");
    Template {
        template,
        slots,
        medoid: med,
        aligned: n,
        cohesion,
    }
}

impl Template {
    /// The template with each slot's most frequent values inline, e.g. `[[Anna | Maria | …]]`.
    pub fn explained(&self) -> String {
        let mut s = self.template.clone();
        for slot in &self.slots {
            let mut vals: Vec<&str> = slot
                .values
                .iter()
                .take(3)
                .map(|v| v.value.as_str())
                .collect();
            if slot.distinct > 3 {
                vals.push("…");
            }
            s = s.replacen(
                &format!("[[slot {}]]", slot.slot),
                &format!("[[{}]]", vals.join(" | ")),
                1,
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::{MinHashParams, MinHasher};

    #[test]
    fn alignment_matches_common_tokens() {
        let a: Vec<u64> = vec![1, 2, 3, 4, 5, 6];
        let b: Vec<u64> = vec![1, 9, 3, 4, 6, 7];
        assert_eq!(align(&a, &b), vec![(0, 0), (2, 2), (3, 3), (5, 4)]);
        // Long sequences go through anchors.
        let a: Vec<u64> = (0..500).collect();
        let mut b: Vec<u64> = (0..500).filter(|x| x % 7 != 0).collect();
        b.insert(100, 9999);
        let m = align(&a, &b);
        assert_eq!(m.len(), b.len() - 1);
    }

    #[test]
    fn template_marks_the_slots() {
        let texts = [
            "Call Anna on +1 555 010 1234 for work in Dubai. Good pay, free visa!",
            "Call Maria on +44 7700 900123 for work in Doha. Good pay, free visa!",
            "Call Olga on 0049 151 2345678 for work in Riyadh. Good pay, free visa!",
            "Call Anna on +1 555 010 9999 for work in Doha. Good pay, free visa!",
        ];
        let h = MinHasher::new(MinHashParams::default());
        let sh: Vec<Vec<u32>> = texts.iter().map(|t| h.shingles(&tokenize(t))).collect();
        let refs: Vec<&[u32]> = sh.iter().map(|s| s.as_slice()).collect();
        let t = explain(&texts, &refs, 100);
        assert_eq!(
            t.template, "Call [[slot 1]] on [[slot 2]] for work in [[slot 3]] Good pay, free visa!",
            "{t:?}"
        );
        assert_eq!(t.slots[0].kind, "text");
        assert_eq!(t.slots[0].values[0].value, "Anna");
        assert_eq!(t.slots[1].kind, "number");
        assert_eq!(t.slots[1].distinct, 4);
        assert_eq!(t.slots[2].distinct, 3);
        assert!(
            t.explained().contains("[[Anna | Maria | Olga]]"),
            "{}",
            t.explained()
        );
    }

    #[test]
    fn words_inserted_in_one_member_are_not_slots() {
        let texts = [
            "Lead large projects and programs for our clients",
            "Lead large projects and programs for our clients",
            "Lead large projects tripled and reviewing programs for our clients",
            "Lead large projects and programs for all our clients",
        ];
        let h = MinHasher::new(MinHashParams::default());
        let sh: Vec<Vec<u32>> = texts.iter().map(|t| h.shingles(&tokenize(t))).collect();
        let refs: Vec<&[u32]> = sh.iter().map(|s| s.as_slice()).collect();
        let t = explain(&texts, &refs, 100);
        assert_eq!(
            t.template,
            "Lead large projects and programs for our clients"
        );
        assert!(t.slots.is_empty());
    }
}
