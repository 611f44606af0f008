//! The reports of DP releases: the public report of each, and the internal quality report of
//! synthetic data (exact figures computed on the sensitive data, for the data holder only).

use cthub_privacy::dp::aggregates::AggregateRelease;
use cthub_privacy::dp::evaluate::{evaluate, EvaluationReport};
use cthub_privacy::dp::synth::{SynthConfig, Synthesis};
use cthub_privacy::dp::workload::{
    evaluate_workload, Indicator, IndicatorQuality, RELIABLE_FABRICATED, RELIABLE_TVD,
};
use cthub_privacy::report::{Audience, Bar, Bars, Report, Section, TableData};
use cthub_privacy::Table;
use cthub_standard::ctdc::CtdcSchema;
use cthub_store::PrivacyAccount;

use crate::ledger_section;

pub(crate) fn aggregate_report(
    r: &AggregateRelease,
    (epsilon, delta): (f64, f64),
    acc: &PrivacyAccount,
    description: &str,
) -> Report {
    let mut rep = Report::new(
        "cthub release: differentially private aggregates",
        Audience::Public,
    );
    rep.fact("dataset", format!("{} ({description})", acc.dataset))
        .fact("epsilon", epsilon)
        .fact("delta", delta)
        .fact("zCDP rho", format!("{:.6}", r.rho))
        .fact("columns", r.columns.join(", "))
        .fact("reporting length", r.reporting_length)
        .fact("records per person (bound)", r.max_records_per_person)
        .fact(
            "noisy total",
            format!(
                "{} (95%: {}-{})",
                r.total.count, r.total.lower, r.total.upper
            ),
        );
    rep.sections.push(Section {
        title: "Noise and thresholds by combination length".into(),
        text: "Counts below the threshold are not published at their detailed level; country \
               combinations fall back to UN M49 subregion or region and are marked with the level."
            .into(),
        table: Some(TableData {
            header: [
                "length",
                "marginals",
                "rho",
                "sigma",
                "95% half-width",
                "threshold",
                "published",
                "fallback",
            ]
            .map(String::from)
            .to_vec(),
            rows: r
                .lengths
                .iter()
                .map(|l| {
                    vec![
                        l.length.to_string(),
                        l.marginals.to_string(),
                        format!("{:.6}", l.rho),
                        format!("{:.2}", l.sigma),
                        l.half_width_95.to_string(),
                        l.threshold.to_string(),
                        l.published.to_string(),
                        l.fallback.to_string(),
                    ]
                })
                .collect(),
        }),
        bars: None,
    });
    // One chart per single column (length-1 counts), with their 95% intervals.
    for col in &r.columns {
        let mut singles: Vec<_> = r
            .counts
            .iter()
            .filter(|c| c.columns.len() == 1 && &c.columns[0] == col)
            .collect();
        // Numbers (years) in order, anything else by count.
        if singles.iter().all(|c| c.values[0].parse::<f64>().is_ok()) {
            singles.sort_by(|a, b| {
                let (x, y) = (a.values[0].parse::<f64>(), b.values[0].parse::<f64>());
                x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0))
            });
        } else {
            singles.sort_by_key(|c| std::cmp::Reverse(c.noisy.count));
        }
        let items: Vec<Bar> = singles
            .into_iter()
            .take(40)
            .map(|c| Bar {
                label: format!(
                    "{}{}",
                    if c.values[0].is_empty() {
                        "(not recorded)"
                    } else {
                        &c.values[0]
                    },
                    if c.levels[0] > 0 {
                        " (generalised)"
                    } else {
                        ""
                    }
                ),
                value: c.noisy.count as f64,
                interval: Some((c.noisy.lower as f64, c.noisy.upper as f64)),
            })
            .collect();
        if !items.is_empty() {
            rep.sections.push(Section {
                title: format!("{col}: noisy counts with 95% intervals"),
                bars: Some(Bars {
                    label: col.clone(),
                    items,
                }),
                ..Section::default()
            });
        }
    }
    rep.sections.push(ledger_section(acc, delta));
    rep.details = serde_json::json!({ "lengths": r.lengths, "total": r.total });
    rep
}

/// What the synthetic release's reports are made from.
pub(crate) struct SynthInput<'a> {
    /// The sensitive table restricted to the released columns.
    pub sensitive: &'a Table,
    pub synth: &'a Synthesis,
    pub config: &'a SynthConfig,
    pub columns: &'a [String],
    /// The CTDC layout of store releases (its missing-value codes), `None` for files.
    pub layout: Option<CtdcSchema>,
    pub privacy: (f64, f64),
    pub acc: &'a PrivacyAccount,
    pub description: &'a str,
    pub seconds: f64,
}

/// The public report, the internal quality report (exact figures) and what they were made of.
pub(crate) struct SynthReports {
    pub public: Report,
    pub internal: Report,
    pub quality: EvaluationReport,
    pub indicators: Vec<IndicatorQuality>,
}

pub(crate) fn synthetic_reports(i: SynthInput<'_>) -> anyhow::Result<SynthReports> {
    let SynthInput {
        sensitive,
        synth,
        config,
        columns,
        layout,
        privacy: (epsilon, delta),
        acc,
        description,
        seconds,
    } = i;
    let quality = evaluate(sensitive, &synth.table, 3, 10)?;
    let missing = |col: &str, v: &str| match layout
        .and_then(|schema| Some((schema, cthub_standard::crosswalk::column(schema, col)?)))
    {
        Some((schema, c)) => cthub_standard::crosswalk::is_missing(schema, &c.target, v),
        None => v.trim().is_empty(),
    };
    let workload = publication_workload(columns);
    let indicators = workload
        .iter()
        .map(|ind| {
            // each indicator's missing rule is its columns' rule in the release layout
            let cols = ind.columns.clone();
            let miss = |v: &str| cols.iter().any(|c| missing(c, v));
            evaluate_workload(
                sensitive,
                &synth.table,
                std::slice::from_ref(ind),
                10,
                &miss,
            )
            .map(|mut q| q.remove(0))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let worst = quality.worst_pairs(5);
    let mut public = Report::new(
        "cthub release: differentially private synthetic data",
        Audience::Public,
    );
    public
        .fact("dataset", format!("{} ({description})", acc.dataset))
        .fact("epsilon", epsilon)
        .fact("delta", delta)
        .fact("zCDP rho", format!("{:.6}", synth.rho))
        .fact("synthetic records", synth.table.n_rows())
        .fact("columns", columns.join(", "))
        .fact(
            "model",
            format!(
                "{} dependencies: {}",
                synth.tree.len(),
                synth
                    .tree
                    .iter()
                    .map(|(x, p)| format!("{x}<-{p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    let mut what = String::from(
        "Records generated from a model fitted to noisy marginals of the sensitive data. \
         They are not real cases; no record corresponds to a person. The number of records \
         is itself noisy.",
    );
    if !config.workload.is_empty() {
        what.push_str(&format!(
            " The flows (citizenship → country of exploitation) were measured on their own with \
             {:.0}% of the budget; a flow whose noisy count was under {:.0} records \
             ({} standard deviations of its noise) is treated as absent, so small flows do not \
             appear and flows that the data does not contain almost never do.",
            config.workload_share * 100.0,
            config.support_sigmas * synth.workload_sigma,
            config.support_sigmas
        ));
    }
    public.sections.push(Section {
        title: "What this is".into(),
        text: what,
        ..Section::default()
    });
    public.sections.push(ledger_section(acc, delta));
    let mut internal = Report::new(
        "cthub release: quality of the synthetic data",
        Audience::Internal,
    );
    internal
        .fact("dataset", &acc.dataset)
        .fact("sensitive records", quality.sensitive_rows)
        .fact("synthetic records", quality.synthetic_rows)
        .fact(
            "record expansion",
            format!("{:.4}", quality.record_expansion),
        )
        .fact("synthesis time (s)", format!("{seconds:.2}"))
        .fact(
            "rare combinations leaked (count < 10)",
            format!(
                "{} of {} ({:.1}%)",
                quality.rare_leaked,
                quality.rare_combinations,
                quality.rare_leakage_share * 100.0
            ),
        )
        .fact(
            "single values kept",
            format!(
                "{} of {}",
                quality.single_values_surviving, quality.single_values_sensitive
            ),
        );
    internal.sections.push(Section {
        title: "Mean total-variation distance by combination length".into(),
        bars: Some(Bars {
            label: "mean TVD".into(),
            items: quality
                .lengths
                .iter()
                .map(|l| Bar {
                    label: format!("{}-way", l.length),
                    value: (l.mean_tvd * 10_000.0).round() / 10_000.0,
                    interval: None,
                })
                .collect(),
        }),
        table: Some(TableData {
            header: [
                "length",
                "mean TVD",
                "max TVD",
                "preserved",
                "suppressed",
                "fabricated",
            ]
            .map(String::from)
            .to_vec(),
            rows: quality
                .lengths
                .iter()
                .map(|l| {
                    vec![
                        l.length.to_string(),
                        format!("{:.4}", l.mean_tvd),
                        format!("{:.4}", l.max_tvd),
                        l.preserved.to_string(),
                        l.suppressed.to_string(),
                        l.fabricated.to_string(),
                    ]
                })
                .collect(),
        }),
        ..Section::default()
    });
    internal.sections.push(Section {
        title: "Preservation by count bucket".into(),
        table: Some(TableData {
            header: ["sensitive count", "combinations", "preserved", "share"]
                .map(String::from)
                .to_vec(),
            rows: quality
                .buckets
                .iter()
                .map(|b| {
                    vec![
                        b.bucket.clone(),
                        b.sensitive_combinations.to_string(),
                        b.preserved.to_string(),
                        format!("{:.3}", b.preserved_share),
                    ]
                })
                .collect(),
        }),
        ..Section::default()
    });
    internal.sections.push(workload_section(&indicators));
    internal.sections.push(Section {
        title: "The five 2-way marginals that differ most".into(),
        table: Some(TableData {
            header: ["columns", "TVD"].map(String::from).to_vec(),
            rows: worst
                .iter()
                .map(|(cols, tvd)| vec![cols.join(" × "), format!("{tvd:.4}")])
                .collect(),
        }),
        ..Section::default()
    });
    public.sections.push(reliability_section(&indicators));
    let mut details = serde_json::to_value(&quality)?;
    details["workload"] = serde_json::to_value(&indicators)?;
    details["worst_pairs"] = worst
        .iter()
        .map(|(cols, tvd)| serde_json::json!({"columns": cols, "tvd": tvd}))
        .collect();
    internal.details = details;
    Ok(SynthReports {
        public,
        internal,
        quality,
        indicators,
    })
}

pub(crate) const FLOWS: [&str; 2] = ["citizenship", "CountryOfExploitation"];

/// The figures the hub publishes from a release (the dashboard's indicators), as far as the
/// release has their columns: flows, sex × age, year trend, exploitation type × sex.
pub fn publication_workload(columns: &[String]) -> Vec<Indicator> {
    let candidates = [
        Indicator::new("flows (citizenship → country of exploitation)", &FLOWS),
        Indicator::new("sex × age band", &["gender", "ageBroad"]),
        Indicator::new("year of registration", &["yearOfRegistration"]),
        Indicator::new("forced labour × sex", &["isForcedLabour", "gender"]),
        Indicator::new("sexual exploitation × sex", &["isSexualExploit", "gender"]),
    ];
    candidates
        .into_iter()
        .filter(|i| i.columns.iter().all(|c| columns.contains(c)))
        .collect()
}

/// What the dashboard says beside a synthetic release's flows: reliable or not, and the share of
/// synthetic flow records on pairs the data lacks in coarse bands (never the exact figure).
/// `null` when the release has no flows.
pub(crate) fn flows_statement(indicators: &[IndicatorQuality]) -> serde_json::Value {
    let Some(q) = indicators.iter().find(|q| q.columns == FLOWS) else {
        return serde_json::Value::Null;
    };
    serde_json::json!({"reliable": q.reliable(), "fabricated": q.fabricated_band()})
}

/// The internal per-indicator table: exact figures, for the data holder.
fn workload_section(indicators: &[IndicatorQuality]) -> Section {
    Section {
        title: "The published figures, one by one (records with a value in every column)".into(),
        text: format!(
            "Averages hide failures: each indicator is compared on its own. Reliable means TVD ≤ \
             {RELIABLE_TVD}, at most {:.0}% of synthetic records on combinations absent from the \
             data, and at least 8 of the true top 10 among the synthetic top 10.",
            RELIABLE_FABRICATED * 100.0
        ),
        table: Some(TableData {
            header: [
                "indicator",
                "TVD",
                "fabricated records",
                "top-10 kept",
                "cells (data / synthetic / fabricated)",
                "reliable",
            ]
            .map(String::from)
            .to_vec(),
            rows: indicators
                .iter()
                .map(|q| {
                    vec![
                        q.name.clone(),
                        format!("{:.4}", q.tvd),
                        format!("{:.1}%", q.fabricated_record_share * 100.0),
                        format!("{} of {}", q.top_k_kept, q.top_k),
                        format!(
                            "{} / {} / {}",
                            q.sensitive_cells, q.synthetic_cells, q.fabricated_cells
                        ),
                        if q.reliable() { "yes" } else { "no" }.to_string(),
                    ]
                })
                .collect(),
        }),
        ..Section::default()
    }
}

/// The public counterpart: which indicators are reliable at this ε, in words, without the exact
/// figures (they are computed on the sensitive data).
fn reliability_section(indicators: &[IndicatorQuality]) -> Section {
    let (ok, weak): (Vec<_>, Vec<_>) = indicators.iter().partition(|q| q.reliable());
    let names = |v: &[&IndicatorQuality]| {
        v.iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut text = String::new();
    if !ok.is_empty() {
        text.push_str(&format!(
            "Close to the data at this privacy budget: {}. ",
            names(&ok)
        ));
    }
    if !weak.is_empty() {
        text.push_str(&format!(
            "Not reliable at this privacy budget (distorted, or showing combinations the data \
             does not contain): {}. Read these from the DP aggregates release instead.",
            names(&weak)
        ));
    }
    Section {
        title: "Which figures to trust".into(),
        text,
        ..Section::default()
    }
}

/// Where each released column's value list comes from: no value appears in the release because
/// a record holds it, except through the DP partition selection stated here.
pub(crate) fn domains_section(plan: &crate::DomainPlan) -> Section {
    use crate::DomainSource;
    let of = |source: DomainSource| -> Vec<&str> {
        plan.sources
            .iter()
            .filter(|(_, s)| *s == source)
            .map(|(c, _)| c.as_str())
            .collect()
    };
    let mut text = String::from(
        "Every released column has a list of values fixed before the data was read, so no \
         value appears here because a single record holds it. ",
    );
    let standard = of(DomainSource::Standard);
    if !standard.is_empty() {
        text.push_str(&format!(
            "From the data standard (picklists, countries, age bands, years): {}. ",
            standard.join(", ")
        ));
    }
    let declared = of(DomainSource::Declared);
    if !declared.is_empty() {
        text.push_str(&format!(
            "Declared by the data holder: {}. ",
            declared.join(", ")
        ));
    }
    if let Some(sel) = &plan.selection {
        text.push_str(&format!(
            "Chosen with differential privacy (partition selection: a value is kept when its \
             noisy count exceeds {:.1}; zCDP rho {:.6} and delta {:e}, included in this \
             release's charge): {}. Values not kept read as not recorded.",
            sel.threshold,
            sel.rho,
            sel.delta,
            sel.columns
                .iter()
                .map(|c| format!("{} ({} values kept)", c.column, c.kept.len()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Section {
        title: "Value lists".into(),
        text,
        ..Section::default()
    }
}
