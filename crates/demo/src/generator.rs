//! The victim model and the row renderer.
//!
//! Each victim is drawn as a chain of conditional choices, so the joint distribution is
//! correlated the way published breakdowns are:
//!
//! `year → data source → gender → age band → form of exploitation (| gender, minor, year)
//!  → flow (| form, data source) → sector (| gender, minor, destination) / type of sexual
//!  exploitation (| minor, year) → abduction (| form, minor) → means of control (| form,
//!  severity, abduction) → recruiter relation (| gender, minor, form)`,
//!
//! and only then is each group of columns either recorded or left missing, with
//! missingness that depends on the data source (hotline records are sparser).

use std::sync::OnceLock;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::columns::{self, exploit, labour, means, recruiter, sex, FlagGroup};
use crate::flows::{Flow, FlowKind, FlowTables};
use crate::sampling::{chance, pick, Categorical};
use crate::{DemoConfig, DemoError, FlowShape};
use cthub_standard::ctdc::{AGE_BANDS, KANON_2018_COLUMNS};

/// `Datasource` value of case-management records.
pub const CASE_MANAGEMENT: &str = "Case Management";
/// `Datasource` value of hotline records.
pub const HOTLINE: &str = "Hotline";
/// Missing-value marker of case-management records.
pub const MISSING_CASE_MANAGEMENT: &str = "-99";
/// Missing-value marker of hotline records.
pub const MISSING_HOTLINE: &str = "Unknown";
/// Unknown-country code of the CTDC country lookup.
pub const UNKNOWN_COUNTRY: &str = "00";
/// The `gender` values, as in the dictionary's `Gender` lookup.
pub const GENDERS: [&str; 3] = ["Female", "Male", "Transgender/NonConforming"];

/// Relative number of registrations per year 2002..=2023 (growth, a late-2010s peak, the 2020
/// dip). Years outside that span take the nearest end's weight.
const YEAR_WEIGHTS: [f64; 22] = [
    0.8, 1.2, 1.8, 2.5, 3.2, 3.8, 4.2, 4.0, 4.5, 5.0, 5.5, 6.0, 7.5, 11.0, 15.0, 18.5, 20.0, 19.5,
    13.0, 15.0, 16.5, 16.0,
];
const FIRST_WEIGHTED_YEAR: u16 = 2002;

fn year_weight(year: u16) -> f64 {
    let i = year.saturating_sub(FIRST_WEIGHTED_YEAR) as usize;
    YEAR_WEIGHTS[i.min(YEAR_WEIGHTS.len() - 1)]
}

/// Probability that a record of `year` comes from a hotline (hotline data joins from 2012).
fn hotline_probability(year: u16) -> f64 {
    match year {
        ..=2011 => 0.0,
        2012..=2014 => 0.05,
        _ => 0.20,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gender {
    Female = 0,
    Male = 1,
    TransNonConforming = 2,
}

/// Latent gender among all victims (the female share matches published figures).
const GENDER_WEIGHTS: [f64; 3] = [0.72, 0.276, 0.004];

/// Age band (AGE_BANDS order) by gender; bands 0 and 1 are minors.
const AGE_WEIGHTS: [[f64; 9]; 3] = [
    [0.04, 0.22, 0.13, 0.13, 0.11, 0.09, 0.17, 0.08, 0.03],
    [0.05, 0.19, 0.08, 0.09, 0.10, 0.10, 0.23, 0.12, 0.04],
    [0.01, 0.12, 0.15, 0.18, 0.16, 0.12, 0.17, 0.07, 0.02],
];

/// The form of exploitation of one victim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Sexual = 0,
    Labour = 1,
    SexAndLabour = 2,
    Other = 3,
    Marriage = 4,
    Military = 5,
    Organ = 6,
}

const FORMS: [Form; 7] = [
    Form::Sexual,
    Form::Labour,
    Form::SexAndLabour,
    Form::Other,
    Form::Marriage,
    Form::Military,
    Form::Organ,
];

/// Form weights by `[gender][minor]`.
const FORM_WEIGHTS: [[[f64; 7]; 2]; 3] = [
    [
        [0.635, 0.305, 0.030, 0.012, 0.015, 0.001, 0.002],
        [0.625, 0.230, 0.020, 0.050, 0.065, 0.008, 0.002],
    ],
    [
        [0.060, 0.880, 0.015, 0.028, 0.002, 0.010, 0.005],
        [0.110, 0.740, 0.010, 0.100, 0.005, 0.030, 0.005],
    ],
    [
        [0.720, 0.200, 0.030, 0.040, 0.005, 0.000, 0.005],
        [0.700, 0.150, 0.020, 0.100, 0.020, 0.005, 0.005],
    ],
];

/// Labour sector weights (LABOUR_SECTORS order, without `NotSpecified`) by
/// `[female/male][minor]`.
const SECTOR_WEIGHTS: [[[f64; labour::SPECIFIC]; 2]; 2] = [
    [
        [
            0.08, 0.005, 0.015, 0.01, 0.46, 0.10, 0.02, 0.11, 0.005, 0.02, 0.005, 0.06,
        ],
        [
            0.08, 0.005, 0.12, 0.005, 0.35, 0.05, 0.06, 0.07, 0.005, 0.10, 0.005, 0.10,
        ],
    ],
    [
        [
            0.18, 0.06, 0.015, 0.30, 0.05, 0.06, 0.02, 0.13, 0.04, 0.015, 0.03, 0.04,
        ],
        [
            0.15, 0.05, 0.16, 0.08, 0.05, 0.04, 0.10, 0.08, 0.03, 0.12, 0.01, 0.08,
        ],
    ],
];

/// Means-of-control probabilities (MEANS_OF_CONTROL order, without `NotSpecified`) for
/// `[sexual, labour, other]` exploitation.
const MEANS_PROBABILITIES: [[f64; means::SPECIFIC]; 3] = [
    [
        0.12, 0.28, 0.05, 0.35, 0.52, 0.40, 0.28, 0.20, 0.14, 0.40, 0.04, 0.05, 0.02, 0.07, 0.06,
        0.08, 0.05,
    ],
    [
        0.32, 0.30, 0.07, 0.32, 0.42, 0.26, 0.03, 0.32, 0.02, 0.36, 0.05, 0.22, 0.01, 0.09, 0.11,
        0.26, 0.05,
    ],
    [
        0.05, 0.08, 0.02, 0.28, 0.45, 0.33, 0.12, 0.12, 0.04, 0.35, 0.03, 0.06, 0.03, 0.03, 0.06,
        0.05, 0.10,
    ],
];

/// Per-victim severity: multiplies every means-of-control probability, so the means co-occur.
const SEVERITY: [f64; 3] = [0.65, 1.0, 1.45];
const SEVERITY_WEIGHTS: [f64; 3] = [0.30, 0.45, 0.25];

/// Missingness of the groups, `[case management, hotline]`.
struct Missingness {
    gender: f64,
    age: f64,
    /// `majorityStatus` missing when `ageBroad` is missing.
    majority_without_age: f64,
    majority_at_exploit: f64,
    majority_entry: f64,
    citizenship: f64,
    exploitation_country: f64,
    form: f64,
    /// Sector group missing although the victim is known to be in forced labour.
    sector: f64,
    /// Type-of-sexual-exploitation group missing although the victim is known to be exploited
    /// sexually.
    sex_type: f64,
    means_form_known: f64,
    means_form_unknown: f64,
    abduction: f64,
    recruiter: f64,
}

const MISSING: [Missingness; 2] = [
    Missingness {
        gender: 0.04,
        age: 0.28,
        majority_without_age: 0.5,
        majority_at_exploit: 0.35,
        majority_entry: 0.45,
        citizenship: 0.08,
        exploitation_country: 0.06,
        form: 0.20,
        sector: 0.10,
        sex_type: 0.65,
        means_form_known: 0.47,
        means_form_unknown: 0.70,
        abduction: 0.45,
        recruiter: 0.80,
    },
    Missingness {
        gender: 0.10,
        age: 0.45,
        majority_without_age: 0.6,
        majority_at_exploit: 0.60,
        majority_entry: 0.70,
        citizenship: 0.45,
        exploitation_country: 0.10,
        form: 0.30,
        sector: 0.10,
        sex_type: 0.40,
        means_form_known: 0.30,
        means_form_unknown: 0.55,
        abduction: 0.60,
        recruiter: 0.45,
    },
];

/// Seed-independent tables, built once per process.
struct Tables {
    flows: FlowTables,
    genders: Categorical,
    ages: [Categorical; 3],
    forms: [[Categorical; 2]; 3],
}

fn tables(shape: FlowShape) -> &'static Tables {
    static TABLES: [OnceLock<Tables>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = match shape {
        FlowShape::Demo => 0,
        FlowShape::LongTail => 1,
    };
    TABLES[slot].get_or_init(|| Tables {
        flows: FlowTables::build(shape.head_share()),
        genders: Categorical::new(GENDER_WEIGHTS),
        ages: AGE_WEIGHTS.map(Categorical::new),
        forms: FORM_WEIGHTS.map(|by_minor| by_minor.map(Categorical::new)),
    })
}

/// Seeded generator of synthetic victims, one CTDC 2018 k-anonymised row each.
///
/// Deterministic: the same [`DemoConfig`] yields the same rows on every platform (ChaCha8
/// seeded from `seed`, no platform-dependent float functions, no hash-map iteration).
pub struct DemoGenerator {
    cfg: DemoConfig,
    rng: ChaCha8Rng,
    remaining: usize,
    tables: &'static Tables,
    years: Categorical,
    year_text: Vec<String>,
    /// Cells no part of the model fills (columns added to the list later): the missing marker.
    unmodelled: Vec<usize>,
}

impl std::fmt::Debug for DemoGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoGenerator")
            .field("cfg", &self.cfg)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

/// Everything drawn for one victim before rendering.
struct Victim {
    year_index: usize,
    year: u16,
    hotline: bool,
    gender: Gender,
    age_band: usize,
    minor_at_exploit: bool,
    minor_at_entry: bool,
    form: Form,
    flow: Flow,
    abducted: bool,
}

impl DemoGenerator {
    /// A generator for `cfg`. Years given in reverse order are swapped; use
    /// [`DemoGenerator::try_new`] to reject them instead.
    pub fn new(cfg: DemoConfig) -> Self {
        let (first_year, last_year) = if cfg.first_year <= cfg.last_year {
            (cfg.first_year, cfg.last_year)
        } else {
            (cfg.last_year, cfg.first_year)
        };
        let cfg = DemoConfig {
            first_year,
            last_year,
            ..cfg
        };
        let covered: Vec<usize> = covered_columns();
        let unmodelled = (0..KANON_2018_COLUMNS.len())
            .filter(|i| !covered.contains(i))
            .collect();
        DemoGenerator {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            remaining: cfg.victims,
            tables: tables(cfg.flows),
            years: Categorical::new((first_year..=last_year).map(year_weight)),
            year_text: (first_year..=last_year).map(|y| y.to_string()).collect(),
            unmodelled,
            cfg,
        }
    }

    /// A generator for `cfg`, or an error when the configuration is invalid.
    pub fn try_new(cfg: DemoConfig) -> Result<Self, DemoError> {
        cfg.validate()?;
        Ok(Self::new(cfg))
    }

    /// The (normalised) configuration.
    pub fn config(&self) -> &DemoConfig {
        &self.cfg
    }

    /// Rows still to come.
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// Writes the next victim into `row` (resized to the 2018 width, its strings reused) and
    /// returns `true`; returns `false`, leaving `row` alone, once all victims were produced.
    pub fn next_into(&mut self, row: &mut Vec<String>) -> bool {
        if self.remaining == 0 {
            return false;
        }
        self.remaining -= 1;
        row.resize_with(KANON_2018_COLUMNS.len(), String::new);
        let victim = self.draw_victim();
        self.render(&victim, row);
        true
    }

    fn draw_victim(&mut self) -> Victim {
        let t = self.tables;
        let rng = &mut self.rng;
        let year_index = self.years.sample(rng);
        let year = self.cfg.first_year + year_index as u16;
        let hotline = chance(rng, hotline_probability(year));
        let gender = match t.genders.sample(rng) {
            0 => Gender::Female,
            1 => Gender::Male,
            _ => Gender::TransNonConforming,
        };
        let age_band = t.ages[gender as usize].sample(rng);
        let minor = age_band < 2;
        let minor_at_exploit = minor
            || chance(
                rng,
                match age_band {
                    2 => 0.35,
                    3 => 0.12,
                    4 => 0.05,
                    _ => 0.01,
                },
            );
        let minor_at_entry = minor_at_exploit || (age_band <= 4 && chance(rng, 0.04));
        let mut form = FORMS[t.forms[gender as usize][usize::from(minor)].sample(rng)];
        // Forced labour was identified less often in the early years.
        if year < 2012 && form == Form::Labour && gender != Gender::Male && chance(rng, 0.3) {
            form = Form::Sexual;
        }
        let flow_kind = match form {
            Form::Sexual => FlowKind::Sexual,
            Form::Labour => FlowKind::Labour,
            _ => FlowKind::Other,
        };
        let flow = t.flows.sample(rng, flow_kind, hotline);
        let abduction_p = match form {
            Form::Military => 0.5,
            Form::Marriage => 0.2,
            Form::Organ => 0.1,
            _ if minor => 0.08,
            _ => 0.04,
        };
        let abducted = chance(rng, abduction_p);
        Victim {
            year_index,
            year,
            hotline,
            gender,
            age_band,
            minor_at_exploit,
            minor_at_entry,
            form,
            flow,
            abducted,
        }
    }

    fn render(&mut self, v: &Victim, row: &mut [String]) {
        let rng = &mut self.rng;
        let miss = &MISSING[usize::from(v.hotline)];
        let m = if v.hotline {
            MISSING_HOTLINE
        } else {
            MISSING_CASE_MANAGEMENT
        };
        let minor = v.age_band < 2;

        set(&mut row[columns::YEAR], &self.year_text[v.year_index]);
        set(
            &mut row[columns::DATASOURCE],
            if v.hotline { HOTLINE } else { CASE_MANAGEMENT },
        );
        let gender = if chance(rng, miss.gender) {
            m
        } else {
            GENDERS[v.gender as usize]
        };
        set(&mut row[columns::GENDER], gender);

        let age_known = !chance(rng, miss.age);
        set(
            &mut row[columns::AGE_BROAD],
            if age_known { AGE_BANDS[v.age_band] } else { m },
        );
        let majority_known = age_known || !chance(rng, miss.majority_without_age);
        set(
            &mut row[columns::MAJORITY],
            if majority_known {
                adult_minor(minor)
            } else {
                m
            },
        );
        let at_exploit = if chance(rng, miss.majority_at_exploit) {
            m
        } else {
            adult_minor(v.minor_at_exploit)
        };
        set(&mut row[columns::MAJORITY_AT_EXPLOIT], at_exploit);
        let entry = if chance(rng, miss.majority_entry) {
            m
        } else {
            adult_minor(v.minor_at_entry)
        };
        set(&mut row[columns::MAJORITY_ENTRY], entry);

        let citizenship = country_or_missing(rng, v.flow.citizenship, miss.citizenship, m);
        set(&mut row[columns::CITIZENSHIP], citizenship);
        let exploitation =
            country_or_missing(rng, v.flow.exploitation, miss.exploitation_country, m);
        set(&mut row[columns::EXPLOITATION_COUNTRY], exploitation);

        // Forms of exploitation and their sub-groups.
        let form_known = !chance(rng, miss.form);
        let (is_labour, is_sexual) = match v.form {
            Form::Labour => (true, false),
            Form::Sexual => (false, true),
            Form::SexAndLabour => (true, true),
            _ => (false, false),
        };
        let form_mask = if form_known {
            Some(match v.form {
                Form::Sexual => 1 << exploit::SEXUAL,
                Form::Labour => 1 << exploit::LABOUR,
                Form::SexAndLabour => {
                    (1 << exploit::SEXUAL) | (1 << exploit::LABOUR) | (1 << exploit::SEX_AND_LABOUR)
                }
                Form::Other => 1 << exploit::OTHER,
                Form::Marriage => 1 << exploit::MARRIAGE,
                Form::Military => 1 << exploit::MILITARY,
                Form::Organ => 1 << exploit::ORGAN,
            })
        } else {
            None
        };
        write_group(row, &columns::EXPLOITATION, form_mask, m);
        if let Some(i) = columns::SLAVERY {
            set(&mut row[i], if form_known { "0" } else { m });
        }

        let sector_mask = if !form_known {
            None
        } else if !is_labour {
            Some(0)
        } else if chance(rng, miss.sector) {
            None
        } else {
            Some(draw_sectors(rng, v))
        };
        write_group(row, &columns::LABOUR_SECTORS, sector_mask, m);

        let sex_mask = if !form_known {
            None
        } else if !is_sexual {
            Some(0)
        } else if chance(rng, miss.sex_type) {
            None
        } else {
            Some(draw_sex_types(rng, v.year, minor))
        };
        write_group(row, &columns::SEX_TYPES, sex_mask, m);

        // Means of control: drawn from the latent form even when the form is not recorded.
        let means_missing = if form_known {
            miss.means_form_known
        } else {
            miss.means_form_unknown
        };
        let means_mask = if chance(rng, means_missing) {
            None
        } else {
            Some(draw_means(rng, v))
        };
        write_group(row, &columns::MEANS_OF_CONTROL, means_mask, m);

        let abduction = if v.year < 2017 || chance(rng, miss.abduction) {
            m
        } else if v.abducted {
            "1"
        } else {
            "0"
        };
        set(&mut row[columns::ABDUCTION], abduction);

        let recruiter_mask = if chance(rng, miss.recruiter) {
            None
        } else {
            Some(draw_recruiters(rng, v.gender, minor, is_sexual, is_labour))
        };
        write_group(row, &columns::RECRUITER_RELATIONS, recruiter_mask, m);
        // The free-text relationship column is a hotline (Polaris) field in the 2018 dictionary.
        let text = &mut row[columns::RECRUITER_TEXT];
        match recruiter_mask {
            Some(mask) if v.hotline => {
                text.clear();
                push_labels(text, &columns::RECRUITER_RELATIONS, mask);
            }
            _ => set(text, m),
        }

        for &i in &self.unmodelled {
            set(&mut row[i], m);
        }
    }
}

/// Every position the renderer writes.
fn covered_columns() -> Vec<usize> {
    let mut v = vec![
        columns::YEAR,
        columns::DATASOURCE,
        columns::GENDER,
        columns::AGE_BROAD,
        columns::MAJORITY,
        columns::MAJORITY_AT_EXPLOIT,
        columns::MAJORITY_ENTRY,
        columns::CITIZENSHIP,
        columns::ABDUCTION,
        columns::RECRUITER_TEXT,
        columns::EXPLOITATION_COUNTRY,
    ];
    v.extend(columns::SLAVERY);
    for g in columns::FLAG_GROUPS {
        v.extend(g.start..g.start + g.flags.len());
        v.extend(g.concat);
    }
    v
}

fn adult_minor(minor: bool) -> &'static str {
    if minor {
        "Minor"
    } else {
        "Adult"
    }
}

/// A known country, or (with probability `p_missing`) either the `00` unknown-country code or
/// the row's missing marker, half and half.
fn country_or_missing(
    rng: &mut ChaCha8Rng,
    code: &'static str,
    p_missing: f64,
    marker: &'static str,
) -> &'static str {
    if chance(rng, p_missing) {
        if chance(rng, 0.5) {
            UNKNOWN_COUNTRY
        } else {
            marker
        }
    } else {
        code
    }
}

#[inline]
fn set(cell: &mut String, value: &str) {
    cell.clear();
    cell.push_str(value);
}

/// Labels of the flags set in `mask`, joined by `;` in column order (derived flags excluded).
fn push_labels(out: &mut String, group: &FlagGroup, mask: u32) {
    let mask = mask & !group.concat_excluded;
    for (i, (_, label)) in group.flags.iter().enumerate() {
        if mask & (1 << i) != 0 {
            if !out.is_empty() {
                out.push(';');
            }
            out.push_str(label);
        }
    }
}

/// Writes a flag group: all `marker` when `mask` is `None`, else `1`/`0` per flag. The
/// concatenated column lists the labels of the flags set, or holds `marker` when none is.
fn write_group(row: &mut [String], group: &FlagGroup, mask: Option<u32>, marker: &str) {
    for i in 0..group.flags.len() {
        let value = match mask {
            None => marker,
            Some(mask) if mask & (1 << i) != 0 => "1",
            Some(_) => "0",
        };
        set(&mut row[group.start + i], value);
    }
    if let Some(c) = group.concat {
        let cell = &mut row[c];
        cell.clear();
        push_labels(cell, group, mask.unwrap_or(0));
        if cell.is_empty() {
            cell.push_str(marker);
        }
    }
}

fn draw_sectors(rng: &mut ChaCha8Rng, v: &Victim) -> u32 {
    if chance(rng, 0.2) {
        return 1 << labour::NOT_SPECIFIED;
    }
    let female_like = v.gender != Gender::Male;
    let minor = v.age_band < 2;
    let mut w = SECTOR_WEIGHTS[usize::from(!female_like)][usize::from(minor)];
    if v.flow.dest_south_east_asia && !female_like {
        w[labour::AQUAFARMING] *= 6.0;
    }
    if v.flow.dest_western_asia && female_like {
        w[labour::DOMESTIC_WORK] *= 1.6;
    }
    if v.flow.dest_eastern_europe && !female_like {
        w[labour::CONSTRUCTION] *= 1.5;
    }
    let first = pick(rng, &w);
    let mut mask = 1 << first;
    if chance(rng, 0.1) {
        mask |= 1 << pick(rng, &w);
    }
    mask
}

fn draw_sex_types(rng: &mut ChaCha8Rng, year: u16, minor: bool) -> u32 {
    // Remote interactive and private sexual services are collected from 2017 on.
    let mut w = [0.88, 0.06, 0.0, 0.0];
    if year >= 2017 {
        w[sex::REMOTE_INTERACTIVE] = 0.03;
        w[sex::PRIVATE_SERVICES] = 0.03;
    }
    if minor {
        w[sex::PORNOGRAPHY] *= 3.0;
    }
    let mut mask = 1 << pick(rng, &w);
    if chance(rng, 0.08) {
        mask |= 1 << pick(rng, &w);
    }
    mask
}

fn draw_means(rng: &mut ChaCha8Rng, v: &Victim) -> u32 {
    if chance(rng, 0.12) {
        return 1 << means::NOT_SPECIFIED;
    }
    let mut p = match v.form {
        Form::Sexual => MEANS_PROBABILITIES[0],
        Form::Labour => MEANS_PROBABILITIES[1],
        Form::SexAndLabour => {
            let (s, l) = (MEANS_PROBABILITIES[0], MEANS_PROBABILITIES[1]);
            std::array::from_fn(|i| s[i].max(l[i]))
        }
        Form::Marriage => {
            let mut o = MEANS_PROBABILITIES[2];
            o[means::SEXUAL_ABUSE] = 0.35;
            o
        }
        Form::Other | Form::Military | Form::Organ => MEANS_PROBABILITIES[2],
    };
    if v.hotline && v.form != Form::Labour {
        p[means::DEBT_BONDAGE] *= 0.5;
    }
    if v.abducted {
        p[means::PHYSICAL_ABUSE] *= 1.5;
    }
    let severity = SEVERITY[pick(rng, &SEVERITY_WEIGHTS)];
    let mut mask = 0u32;
    for (i, &pi) in p.iter().enumerate() {
        if chance(rng, (pi * severity).min(0.95)) {
            mask |= 1 << i;
        }
    }
    if mask == 0 {
        // Recorded means of control name at least one: keep the most likely one.
        let top = (0..p.len()).fold(0, |best, i| if p[i] > p[best] { i } else { best });
        mask = 1 << top;
    }
    mask
}

fn draw_recruiters(
    rng: &mut ChaCha8Rng,
    gender: Gender,
    minor: bool,
    sexual: bool,
    labour: bool,
) -> u32 {
    let mut w = [0.08, 0.20, 0.18, 0.32, 0.22];
    if sexual && gender != Gender::Male {
        w[recruiter::INTIMATE_PARTNER] = 0.30;
    }
    if minor {
        w[recruiter::FAMILY] *= 2.5;
        w[recruiter::INTIMATE_PARTNER] *= 0.5;
    }
    if labour {
        w[recruiter::OTHER] *= 1.3;
        w[recruiter::INTIMATE_PARTNER] *= 0.3;
    }
    let first = pick(rng, &w);
    let mut mask = 1 << first;
    if first != recruiter::UNKNOWN && chance(rng, 0.06) {
        w[recruiter::UNKNOWN] = 0.0;
        w[first] = 0.0;
        mask |= 1 << pick(rng, &w);
    }
    mask
}

impl Iterator for DemoGenerator {
    type Item = Vec<String>;

    fn next(&mut self) -> Option<Vec<String>> {
        let mut row = Vec::with_capacity(KANON_2018_COLUMNS.len());
        self.next_into(&mut row).then_some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for DemoGenerator {}
impl std::iter::FusedIterator for DemoGenerator {}
