//! Terminal output: findings as compiler-style diagnostics, then a verdict summary.

use super::{describe_label, AppReport};
use crate::compare::Severity;

/// ANSI colours, or none.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// Truncate long evidence for the terminal.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Render findings as diagnostics; `color` adds ANSI colours.
pub fn render_text(report: &AppReport, color: bool) -> String {
    let st = Style { on: color };
    let mut out = String::new();
    for f in &report.findings {
        let (code, sev) = match f.severity {
            Severity::Error => ("1;31", "error"),
            Severity::Warning => ("1;33", "warning"),
            Severity::Note => ("1;36", "note"),
        };
        out.push_str(&format!("{}{} {}\n", st.paint(code, &format!("{sev}[{}]", f.code)), st.paint("1", ":"), st.paint("1", &f.message)));
        for label in &f.labels {
            let (place, what) = describe_label(label);
            out.push_str(&format!("  {} {}\n", st.paint("34", &format!("--> {place}")), clip(&what, 220)));
        }
        out.push('\n');
    }
    for sdk in &report.sdks {
        let status = match sdk.status {
            crate::observe::SdkStatus::Embedded => "embedded, not seen in traffic",
            crate::observe::SdkStatus::Contacted => "embedded and contacted",
        };
        out.push_str(&format!(
            "{} {} ({}; {}) --> {} in {}\n",
            st.paint("1;36", "sdk:"),
            sdk.name,
            sdk.organization_name.as_deref().unwrap_or("unknown organization"),
            status,
            sdk.class,
            sdk.file
        ));
    }
    let s = &report.summary;
    let verdicts: Vec<String> = s.verdicts.iter().map(|(v, n)| format!("{n} {}", v.as_str())).collect();
    out.push_str(&format!(
        "{}: {} practices extracted ({}{}), {} flows: {}; {} errors, {} warnings, {} notes\n",
        st.paint("1", "summary"),
        s.practices,
        report.extractor.name,
        if report.extractor.cached { ", cached" } else { "" },
        s.flows,
        verdicts.join(", "),
        s.findings.get(&Severity::Error).copied().unwrap_or(0),
        s.findings.get(&Severity::Warning).copied().unwrap_or(0),
        s.findings.get(&Severity::Note).copied().unwrap_or(0),
    ));
    out
}
