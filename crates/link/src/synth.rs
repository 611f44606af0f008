//! Seeded synthetic populations for tests, examples and benchmarks (never real people).
//!
//! An entity has a given name and a surname drawn from the public lists in [`crate::names`] with
//! Zipf frequencies, a date of birth uniform over 1940-2007, a city from a short list and an
//! email-like token. Duplicates of an entity get typos (substitution, deletion, insertion or
//! transposition of one character), swapped day/month, or missing values.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

use crate::data::Dataset;
use crate::names::{cumulative, draw, zipf_weights, FIRST_NAMES, SURNAMES};
use crate::normalize::days_from_civil;

const CITIES: &[&str] = &[
    "london",
    "manchester",
    "birmingham",
    "leeds",
    "glasgow",
    "liverpool",
    "bristol",
    "sheffield",
    "edinburgh",
    "cardiff",
    "leicester",
    "belfast",
    "nottingham",
    "newcastle",
    "brighton",
    "hull",
    "plymouth",
    "derby",
    "southampton",
    "aberdeen",
    "portsmouth",
    "york",
    "oxford",
    "cambridge",
    "swansea",
    "dundee",
    "norwich",
    "exeter",
    "bath",
    "coventry",
];

/// Introduce one random typo.
pub fn typo(rng: &mut ChaCha12Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 2 {
        return s.to_string();
    }
    let i = rng.random_range(0..c.len());
    let letter = (b'a' + rng.random_range(0..26u8)) as char;
    match rng.random_range(0..4) {
        0 => c[i] = letter,
        1 => {
            c.remove(i);
        }
        2 => c.insert(i, letter),
        _ => {
            let j = if i + 1 < c.len() { i + 1 } else { i - 1 };
            c.swap(i, j);
        }
    }
    c.into_iter().collect()
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A population for deduplication: `entities` people, each with 1 + a geometric number of
/// duplicates (mean `dup_mean`), as one dataset with columns `id, first_name, surname, dob, city,
/// email, cluster`. `cluster` is the true entity.
pub fn dedupe_population(entities: usize, dup_mean: f64, seed: u64) -> Dataset {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let fc = cumulative(&zipf_weights(FIRST_NAMES.len(), 0.8));
    let lc = cumulative(&zipf_weights(SURNAMES.len(), 0.8));
    let lo = days_from_civil(1940, 1, 1).unwrap_or(0);
    let hi = days_from_civil(2007, 12, 31).unwrap_or(1);
    let mut cols: Vec<Vec<String>> = vec![Vec::new(); 7];
    let p_more = dup_mean / (1.0 + dup_mean);
    let mut next_id = 0u64;
    for e in 0..entities {
        let first = FIRST_NAMES[draw(&fc, rng.random::<f64>())];
        // Double-barrelled surnames make the surname space large enough for big populations.
        let last = if rng.random_bool(0.3) {
            format!(
                "{}-{}",
                SURNAMES[draw(&lc, rng.random::<f64>())],
                SURNAMES[rng.random_range(0..SURNAMES.len())]
            )
        } else {
            SURNAMES[draw(&lc, rng.random::<f64>())].to_string()
        };
        let dob = rng.random_range(lo..=hi);
        let city = CITIES[rng.random_range(0..CITIES.len())];
        let email = format!(
            "{}{}@{}.example",
            &first[..first.len().min(4)],
            rng.random_range(0..1000),
            city
        );
        let mut copies = 1;
        while rng.random_bool(p_more) && copies < 20 {
            copies += 1;
        }
        for c in 0..copies {
            let mut f = first.to_string();
            let mut l = last.clone();
            let (mut y, mut m, mut d) = civil_from_days(dob);
            let mut ci = city.to_string();
            let mut em = email.clone();
            if c > 0 {
                if rng.random_bool(0.3) {
                    f = typo(&mut rng, &f);
                }
                if rng.random_bool(0.3) {
                    l = typo(&mut rng, &l);
                }
                if rng.random_bool(0.1) && d <= 12 {
                    std::mem::swap(&mut m, &mut d);
                }
                if rng.random_bool(0.1) {
                    y += rng.random_range(-1..=1);
                }
                if rng.random_bool(0.2) {
                    ci = CITIES[rng.random_range(0..CITIES.len())].to_string();
                }
                if rng.random_bool(0.3) {
                    em = typo(&mut rng, &em);
                }
                if rng.random_bool(0.1) {
                    f.clear();
                }
                if rng.random_bool(0.1) {
                    em.clear();
                }
            }
            let dob_s = if c > 0 && rng.random_bool(0.05) {
                String::new()
            } else {
                format!("{y:04}-{m:02}-{d:02}")
            };
            for (col, v) in
                cols.iter_mut()
                    .zip([next_id.to_string(), f, l, dob_s, ci, em, e.to_string()])
            {
                col.push(v);
            }
            next_id += 1;
        }
    }
    let headers = [
        "id",
        "first_name",
        "surname",
        "dob",
        "city",
        "email",
        "cluster",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Dataset::new("synthetic", headers, cols).unwrap_or_default()
}

/// A population for the attack test: a public list of `names` distinct full names (given name
/// and surname from the lists in [`crate::names`], seeded) with Zipf probabilities (exponent
/// `s`), and `n` records drawn from it. Returns (given names, surnames, the public list, its
/// probabilities, each record's index in the list).
#[allow(clippy::type_complexity)]
pub fn name_population(
    n: usize,
    names: usize,
    s: f64,
    seed: u64,
) -> (
    Vec<String>,
    Vec<String>,
    Vec<(String, String)>,
    Vec<f64>,
    Vec<usize>,
) {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let mut list: Vec<(String, String)> = Vec::with_capacity(names);
    let mut seen = std::collections::HashSet::new();
    let fc = cumulative(&zipf_weights(FIRST_NAMES.len(), 0.7));
    let lc = cumulative(&zipf_weights(SURNAMES.len(), 0.7));
    let max = FIRST_NAMES.len() * SURNAMES.len();
    while list.len() < names.min(max) {
        let f = FIRST_NAMES[draw(&fc, rng.random::<f64>())];
        let l = SURNAMES[draw(&lc, rng.random::<f64>())];
        if seen.insert((f, l)) {
            list.push((f.to_string(), l.to_string()));
        }
    }
    let probs = zipf_weights(list.len(), s);
    let cum = cumulative(&probs);
    let mut first = Vec::with_capacity(n);
    let mut last = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for _ in 0..n {
        let i = draw(&cum, rng.random::<f64>());
        first.push(list[i].0.clone());
        last.push(list[i].1.clone());
        truth.push(i);
    }
    (first, last, list, probs, truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_roundtrip() {
        for z in [-10_000, 0, 1, 11_016, 20_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), Some(z));
        }
    }

    #[test]
    fn population_is_seeded() {
        let a = dedupe_population(100, 0.5, 7);
        let b = dedupe_population(100, 0.5, 7);
        assert_eq!(a.columns, b.columns);
        assert!(a.len() > 100);
    }
}
