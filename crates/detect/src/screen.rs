//! Screening: weighted indicators with measured precision, not a red-flag checklist.
//!
//! An indicator is data ([`Indicator`], loadable from JSON): a case-insensitive regex over the
//! ad's title, text and other text fields, or the presence of an entity kind (optionally on a
//! platform). An ad's score is the sum of the weights of the indicators that fire, and every
//! fired indicator is listed as a reason. [`evaluate`] measures each indicator against a label
//! (e.g. EMSCAD's `fraudulent`): support, precision, recall and the likelihood ratio, with the
//! precision re-weighted to a stated prevalence, since PEERS.md warns that popular red flags are
//! weak or even inverted. The built-in set ([`default_indicators`]) targets labour exploitation
//! and job scams (fees, documents, travel paid, messenger-only contact, pay that is too good).

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::entities::EntityKind;
use crate::error::DetectError;
use crate::ingest::Ad;

/// What makes an indicator fire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Condition {
    /// A case-insensitive regular expression over title, text and the other text fields.
    Text { pattern: String },
    /// An entity of this kind (and platform, if given).
    Entity {
        entity: EntityKind,
        #[serde(default)]
        platform: Option<String>,
    },
}

/// One weighted signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Stable name.
    pub name: String,
    /// What it looks for, for the reasons shown to an analyst.
    pub description: String,
    /// Weight added to the score when it fires (log-odds-like; may be negative).
    pub weight: f64,
    /// When it fires.
    #[serde(flatten)]
    pub condition: Condition,
}

const DEFAULT_INDICATORS: &str = r#"[
  {"name": "fee-or-deposit", "description": "asks the applicant to pay a fee or deposit", "weight": 2.0, "kind": "text",
   "pattern": "\\b(registration|processing|application|training|visa|placement|recruitment)\\s+fee|\\bpay\\s+(a|the)?\\s*(small\\s+)?(fee|deposit)|\\brefundable\\s+deposit"},
  {"name": "documents-requested", "description": "asks for passport or ID copies or bank details up front", "weight": 1.5, "kind": "text",
   "pattern": "\\b(copy|copies|scan)\\s+of\\s+(your\\s+)?(passport|id|identity|driver'?s\\s+licen[cs]e)|\\bbank\\s+(account\\s+)?details|\\bsocial\\s+security\\s+number"},
  {"name": "travel-paid", "description": "promises paid flights, visa or accommodation abroad", "weight": 1.0, "kind": "text",
   "pattern": "\\b(free|paid)\\s+(flight|ticket|visa|accommodation|housing)|\\b(visa|flight|ticket)s?\\s+(will\\s+be\\s+)?(provided|sponsored|paid)"},
  {"name": "no-experience-high-pay", "description": "no experience or qualifications needed", "weight": 0.8, "kind": "text",
   "pattern": "\\bno\\s+(prior\\s+|previous\\s+)?(experience|qualifications?|skills?|interview)\\s+(is\\s+)?(needed|required|necessary)"},
  {"name": "easy-money", "description": "earnings per day or week, quick or easy money", "weight": 1.0, "kind": "text",
   "pattern": "\\bearn\\s+(up\\s+to\\s+)?[$€£]?\\s?\\d[\\d,.]*\\s*(k\\s*)?(\\w+\\s+)?(per|a|/)\\s*(day|week|hour)|\\b(easy|quick|fast)\\s+(money|cash)|\\bweekly\\s+pay(out|check)?"},
  {"name": "work-from-home-data-entry", "description": "home-based data entry, typing or envelope work", "weight": 1.0, "kind": "text",
   "pattern": "\\b(data\\s+entry|typing\\s+job|envelope\\s+stuffing|home\\s+based|work\\s+from\\s+home|online\\s+surveys?)\\b"},
  {"name": "urgency", "description": "urgent hiring, immediate start", "weight": 0.5, "kind": "text",
   "pattern": "\\burgent(ly)?\\s+(hiring|needed|required|vacanc)|\\bimmediate\\s+(start|hire|hiring)|\\bapply\\s+now\\b"},
  {"name": "messenger-contact", "description": "contact through a messenger (WhatsApp, Telegram, …)", "weight": 1.0, "kind": "entity", "entity": "handle"},
  {"name": "crypto-address", "description": "a crypto-currency address", "weight": 2.0, "kind": "entity", "entity": "crypto"},
  {"name": "free-mail-contact", "description": "contact e-mail at a free mail provider", "weight": 0.7, "kind": "text",
   "pattern": "@(gmail|yahoo|hotmail|outlook|aol|mail|yandex|gmx)\\.(com|ru|de|co\\.uk)\\b"},
  {"name": "company-profile-present", "description": "the post describes the employer (EMSCAD company_profile)", "weight": -1.0, "kind": "text",
   "pattern": "\\bwe\\s+are\\s+(a|an|the)\\b|\\bfounded\\s+in\\s+\\d{4}"}
]"#;

/// The built-in indicators (labour exploitation and job scams).
pub fn default_indicators() -> Vec<Indicator> {
    serde_json::from_str(DEFAULT_INDICATORS).expect("the built-in indicators are valid JSON")
}

/// Indicators compiled for screening.
#[derive(Debug, Clone)]
pub struct Screener {
    indicators: Vec<(Indicator, Option<Regex>)>,
}

/// The result of screening one ad.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screening {
    /// Ad id.
    pub id: String,
    /// Sum of the weights of the indicators that fired.
    pub score: f64,
    /// Names of the indicators that fired, in declaration order.
    pub reasons: Vec<String>,
}

impl Screener {
    /// Compiles indicators; an invalid pattern is an error naming the indicator.
    pub fn new(indicators: Vec<Indicator>) -> Result<Self, DetectError> {
        let mut out = Vec::with_capacity(indicators.len());
        for i in indicators {
            let re = match &i.condition {
                Condition::Text { pattern } => {
                    Some(Regex::new(&format!("(?i){pattern}")).map_err(|e| {
                        DetectError::Input(format!("indicator `{}`: invalid pattern: {e}", i.name))
                    })?)
                }
                Condition::Entity { .. } => None,
            };
            out.push((i, re));
        }
        Ok(Screener { indicators: out })
    }

    /// Indicators from a JSON file (a list of [`Indicator`]).
    pub fn from_json(text: &str) -> Result<Self, DetectError> {
        Self::new(serde_json::from_str(text)?)
    }

    /// The indicators.
    pub fn indicators(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter().map(|(i, _)| i)
    }

    /// Which indicators fire on an ad (by index).
    pub fn fired(&self, ad: &Ad) -> Vec<usize> {
        let mut text = String::with_capacity(ad.title.len() + ad.text.len() + 16);
        text.push_str(&ad.title);
        text.push('\n');
        text.push_str(&ad.text);
        for k in ["company_profile", "requirements", "benefits"] {
            if let Some(v) = ad.extra.get(k) {
                text.push('\n');
                text.push_str(v);
            }
        }
        for c in &ad.contacts {
            text.push('\n');
            text.push_str(c);
        }
        self.indicators
            .iter()
            .enumerate()
            .filter(|(_, (ind, re))| match (&ind.condition, re) {
                (Condition::Text { .. }, Some(re)) => re.is_match(&text),
                (Condition::Entity { entity, platform }, _) => ad.entities.iter().any(|e| {
                    e.kind == *entity
                        && platform
                            .as_ref()
                            .is_none_or(|p| e.platform.as_deref() == Some(p.as_str()))
                }),
                _ => false,
            })
            .map(|(k, _)| k)
            .collect()
    }

    /// Screens one ad.
    pub fn screen(&self, ad: &Ad) -> Screening {
        let fired = self.fired(ad);
        Screening {
            id: ad.id.clone(),
            score: fired.iter().map(|&k| self.indicators[k].0.weight).sum(),
            reasons: fired
                .iter()
                .map(|&k| self.indicators[k].0.name.clone())
                .collect(),
        }
    }
}

/// How one indicator does against a label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorQuality {
    /// Indicator name.
    pub name: String,
    /// Ads it fired on.
    pub fired: usize,
    /// Of those, labelled positive.
    pub true_positives: usize,
    /// Precision in the evaluation set.
    pub precision: f64,
    /// Recall in the evaluation set.
    pub recall: f64,
    /// Likelihood ratio TPR / FPR; `None` when it never fired on a negative (infinite or
    /// undefined: see `fired`).
    pub likelihood_ratio: Option<f64>,
    /// Precision re-weighted to the stated prevalence: π·TPR / (π·TPR + (1 − π)·FPR).
    pub precision_at_prevalence: f64,
}

/// Measures each indicator on ads with a 0/1 label (`labels[i]` for `ads[i]`) and reports
/// precision in the set and at `prevalence` (EMSCAD: 866 of 17,880, 4.8%).
pub fn evaluate(
    screener: &Screener,
    ads: &[&Ad],
    labels: &[bool],
    prevalence: f64,
) -> Vec<IndicatorQuality> {
    let n = screener.indicators.len();
    let (mut fired, mut tp) = (vec![0usize; n], vec![0usize; n]);
    for (ad, &y) in ads.iter().zip(labels) {
        for k in screener.fired(ad) {
            fired[k] += 1;
            if y {
                tp[k] += 1;
            }
        }
    }
    let pos = labels.iter().filter(|&&y| y).count().max(1) as f64;
    let neg = labels.iter().filter(|&&y| !y).count().max(1) as f64;
    screener
        .indicators
        .iter()
        .enumerate()
        .map(|(k, (ind, _))| {
            let tpr = tp[k] as f64 / pos;
            let fpr = (fired[k] - tp[k]) as f64 / neg;
            let denom = prevalence * tpr + (1.0 - prevalence) * fpr;
            IndicatorQuality {
                name: ind.name.clone(),
                fired: fired[k],
                true_positives: tp[k],
                precision: if fired[k] == 0 {
                    0.0
                } else {
                    tp[k] as f64 / fired[k] as f64
                },
                recall: tpr,
                likelihood_ratio: (fpr > 0.0).then(|| tpr / fpr),
                precision_at_prevalence: if denom == 0.0 {
                    0.0
                } else {
                    prevalence * tpr / denom
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::Entity;

    fn ad(id: &str, text: &str, entities: Vec<Entity>) -> Ad {
        Ad {
            id: id.into(),
            title: String::new(),
            text: text.into(),
            price: None,
            location: None,
            contacts: vec![],
            image_hashes: vec![],
            extra: Default::default(),
            entities,
            versions: vec![],
            fingerprint: String::new(),
        }
    }

    #[test]
    fn indicators_fire_with_reasons() {
        let s = Screener::new(default_indicators()).unwrap();
        let handle = Entity {
            kind: EntityKind::Handle,
            value: "x".into(),
            platform: Some("telegram".into()),
            field: "text".into(),
            span: None,
            hashed: false,
        };
        let a = ad(
            "1",
            "Urgent hiring! No experience needed. Free flight and visa. Pay a small registration fee.",
            vec![handle],
        );
        let r = s.screen(&a);
        assert_eq!(
            r.reasons,
            vec![
                "fee-or-deposit",
                "travel-paid",
                "no-experience-high-pay",
                "urgency",
                "messenger-contact"
            ]
        );
        assert!((r.score - 5.3).abs() < 1e-9, "{r:?}");
        let b = ad("2", "We are a software company founded in 2004.", vec![]);
        assert_eq!(s.screen(&b).score, -1.0);
    }

    #[test]
    fn evaluation_reweights_to_prevalence() {
        let s = Screener::new(vec![Indicator {
            name: "fee".into(),
            description: String::new(),
            weight: 1.0,
            condition: Condition::Text {
                pattern: "fee".into(),
            },
        }])
        .unwrap();
        // 4 positives (2 fire), 4 negatives (1 fires): TPR 0.5, FPR 0.25, precision 2/3.
        let ads: Vec<Ad> = ["fee", "fee", "x", "x", "fee", "x", "x", "x"]
            .iter()
            .enumerate()
            .map(|(i, t)| ad(&i.to_string(), t, vec![]))
            .collect();
        let refs: Vec<&Ad> = ads.iter().collect();
        let labels = [true, true, true, true, false, false, false, false];
        let q = &evaluate(&s, &refs, &labels, 0.05)[0];
        assert!((q.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((q.likelihood_ratio.unwrap() - 2.0).abs() < 1e-12);
        let expect = 0.05 * 0.5 / (0.05 * 0.5 + 0.95 * 0.25);
        assert!((q.precision_at_prevalence - expect).abs() < 1e-12);
        assert!(Screener::from_json(
            r#"[{"name":"bad","description":"","weight":1,"kind":"text","pattern":"("}]"#
        )
        .is_err());
    }
}
