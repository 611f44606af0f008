//! The report of a release: JSON for machines and one self-contained HTML page (no scripts, no
//! external resources; charts are inline SVG) for people.
//!
//! A release writes two reports. The *public* report travels with the released files: the
//! privacy parameters, the ledger after the release and figures computed only from released
//! (noisy or generalised) data. The *quality* report compares the release with the sensitive
//! data (exact counts, TVD, leakage); it is for the data holder and is marked as not for
//! publication, because exact figures of the sensitive data are exactly what a release must not
//! disclose.

use serde::Serialize;

/// One release report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub title: String,
    /// `public` or `internal` (not for publication).
    pub audience: Audience,
    /// Short facts shown first (parameter name, value).
    pub facts: Vec<(String, String)>,
    pub sections: Vec<Section>,
    /// Machine-readable details (the release's own summary structs).
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Public,
    Internal,
}

/// A titled part of a report: text, an optional table and an optional bar chart.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Section {
    pub title: String,
    pub text: String,
    pub table: Option<TableData>,
    pub bars: Option<Bars>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct TableData {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A horizontal bar chart; `interval` draws an error bar per bar (e.g. a 95% interval).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Bars {
    pub label: String,
    pub items: Vec<Bar>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

impl Report {
    pub fn new(title: impl Into<String>, audience: Audience) -> Report {
        Report {
            title: title.into(),
            audience,
            facts: Vec::new(),
            sections: Vec::new(),
            details: serde_json::Value::Null,
        }
    }

    pub fn fact(&mut self, name: impl Into<String>, value: impl ToString) -> &mut Self {
        self.facts.push((name.into(), value.to_string()));
        self
    }

    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// The report as one HTML page.
    pub fn to_html(&self) -> String {
        let mut h = String::with_capacity(16 << 10);
        h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.push_str(&format!("<title>{}</title>", esc(&self.title)));
        h.push_str(STYLE);
        h.push_str("</head><body><main>");
        h.push_str(&format!("<h1>{}</h1>", esc(&self.title)));
        match self.audience {
            Audience::Public => h.push_str(
                "<p class=\"note\">Public report: every figure below comes from the released \
                 data or from the privacy parameters.</p>",
            ),
            Audience::Internal => h.push_str(
                "<p class=\"warn\"><strong>Not for publication.</strong> This report compares the \
                 release with the sensitive data and contains exact figures of it.</p>",
            ),
        }
        if !self.facts.is_empty() {
            h.push_str("<dl>");
            for (k, v) in &self.facts {
                h.push_str(&format!("<dt>{}</dt><dd>{}</dd>", esc(k), esc(v)));
            }
            h.push_str("</dl>");
        }
        for s in &self.sections {
            h.push_str(&format!("<section><h2>{}</h2>", esc(&s.title)));
            if !s.text.is_empty() {
                h.push_str(&format!("<p>{}</p>", esc(&s.text)));
            }
            if let Some(b) = &s.bars {
                h.push_str(&bars_svg(b));
            }
            if let Some(t) = &s.table {
                h.push_str("<div class=\"scroll\"><table><thead><tr>");
                for c in &t.header {
                    h.push_str(&format!("<th scope=\"col\">{}</th>", esc(c)));
                }
                h.push_str("</tr></thead><tbody>");
                for r in &t.rows {
                    h.push_str("<tr>");
                    for c in r {
                        h.push_str(&format!("<td>{}</td>", esc(c)));
                    }
                    h.push_str("</tr>");
                }
                h.push_str("</tbody></table></div>");
            }
            h.push_str("</section>");
        }
        h.push_str("</main></body></html>\n");
        h
    }
}

const STYLE: &str = "<style>body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24}\
main{max-width:960px;margin:auto;padding:1rem}h1{font-size:1.5rem}h2{font-size:1.15rem;\
margin-top:2rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}\
dt{font-weight:600}dd{margin:0}.note{color:#334}.warn{background:#fff3cd;padding:.6rem;\
border-left:4px solid #b58900}.scroll{overflow-x:auto}table{border-collapse:collapse;\
font-size:.9rem}th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left}\
td:not(:first-child){font-variant-numeric:tabular-nums}svg text{font:12px system-ui,sans-serif}\
</style>";

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn bars_svg(b: &Bars) -> String {
    const ROW: f64 = 22.0;
    const LABEL: f64 = 220.0;
    const WIDTH: f64 = 700.0;
    let max = b
        .items
        .iter()
        .map(|i| i.interval.map_or(i.value, |(_, hi)| hi.max(i.value)))
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let scale = |v: f64| (v.max(0.0) / max) * (WIDTH - LABEL - 170.0);
    let height = ROW * b.items.len() as f64 + 8.0;
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\">",
        esc(&b.label)
    );
    for (n, i) in b.items.iter().enumerate() {
        let y = n as f64 * ROW + 4.0;
        let w = scale(i.value);
        s.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\">{l}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\" fill=\"#3b6ea8\"/>",
            x = LABEL - 6.0,
            ty = y + 14.0,
            l = esc(&i.label),
            h = ROW - 6.0,
        ));
        if let Some((lo, hi)) = i.interval {
            let (x1, x2, cy) = (LABEL + scale(lo), LABEL + scale(hi), y + (ROW - 6.0) / 2.0);
            s.push_str(&format!(
                "<line x1=\"{x1:.1}\" x2=\"{x2:.1}\" y1=\"{cy}\" y2=\"{cy}\" stroke=\"#111\"/>\
                 <line x1=\"{x1:.1}\" x2=\"{x1:.1}\" y1=\"{a}\" y2=\"{b}\" stroke=\"#111\"/>\
                 <line x1=\"{x2:.1}\" x2=\"{x2:.1}\" y1=\"{a}\" y2=\"{b}\" stroke=\"#111\"/>",
                a = cy - 4.0,
                b = cy + 4.0,
            ));
        }
        let shown = match i.interval {
            Some((lo, hi)) => format!("{} [{lo}, {hi}]", fmt_num(i.value)),
            None => fmt_num(i.value),
        };
        s.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{ty}\">{shown}</text>",
            x = LABEL + w.max(i.interval.map_or(0.0, |(_, hi)| scale(hi))) + 6.0,
            ty = y + 14.0,
        ));
    }
    s.push_str("</svg>");
    s
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_self_contained() {
        let mut r = Report::new("Release <1>", Audience::Internal);
        r.fact("epsilon", 1.0);
        r.sections.push(Section {
            title: "Counts".into(),
            text: "a & b".into(),
            table: Some(TableData {
                header: vec!["value".into(), "count".into()],
                rows: vec![vec!["<script>".into(), "3".into()]],
            }),
            bars: Some(Bars {
                label: "counts".into(),
                items: vec![Bar {
                    label: "x".into(),
                    value: 3.0,
                    interval: Some((1.0, 5.0)),
                }],
            }),
        });
        let h = r.to_html();
        assert!(h.contains("Release &lt;1&gt;"));
        assert!(h.contains("&lt;script&gt;"));
        assert!(!h.contains("<script"));
        assert!(!h.contains("http"), "no external resources");
        assert!(h.contains("Not for publication"));
        assert!(h.contains("<svg"));
        let j: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        assert_eq!(j["audience"], "internal");
    }
}
