//! Markdown output: a summary, the flow matrix, one table row per finding
//! with its most telling evidence, and every flow behind a disclosure.

use super::matrix::{extent_of, finding_evidence, FlowMatrix, WORST_FIRST};
use super::{describe_label, AppReport};

/// Escape table-breaking characters.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Evidence lines shown per finding.
const EVIDENCE: usize = 3;

/// The flow matrix as a Markdown table: data types down, recipients across.
fn matrix_table(m: &FlowMatrix) -> String {
    let mut out = String::from("## Flow matrix\n\n");
    if m.cells.is_empty() {
        out.push_str("No flows observed.\n\n");
        return out;
    }
    let legend: Vec<&str> = WORST_FIRST.iter().map(|v| v.as_str()).collect();
    out.push_str(&format!(
        "Each cell: the worst verdict of the flows of that data type to that recipient ({}), and how many requests they were seen in.\n\n",
        legend.join(" > ")
    ));
    out.push_str("| data type |");
    for r in &m.recipients {
        let hosts = if r.hosts.is_empty() { String::new() } else { format!("<br>{}", r.hosts.join(", ")) };
        let unnamed = if r.unnamed { "<br>*never named*" } else { "" };
        out.push_str(&format!(" {} ({}){}{} |", cell(&r.name), cell(&r.category), cell(&hosts), unnamed));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(m.recipients.len()));
    out.push('\n');
    for (row, t) in m.data_types.iter().enumerate() {
        out.push_str(&format!("| `{}` |", cell(t)));
        for col in 0..m.recipients.len() {
            match m.cell(row, col) {
                Some(c) => {
                    let n = if c.requests > 0 { format!("{} req", c.requests) } else { "permission".to_string() };
                    let v = c.verdict.as_str();
                    let v = if super::matrix::verdict_rank(c.verdict) >= 3 { format!("**{v}**") } else { v.to_string() };
                    out.push_str(&format!(" {v} {n} |"));
                }
                None => out.push_str(" |"),
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

/// Render the report as Markdown.
pub fn render_markdown(report: &AppReport) -> String {
    let m = FlowMatrix::build(report);
    let mut out = String::new();
    out.push_str(&format!("# candor report{}\n\n", report.app.as_deref().map(|a| format!(": {a}")).unwrap_or_default()));
    let verdicts: Vec<String> = report.summary.verdicts.iter().map(|(v, n)| format!("{n} {}", v.as_str())).collect();
    out.push_str(&format!(
        "Policy `{}`; extractor `{}` ({}); {} practices, {} flows: {}.\n\n",
        report.inputs.policy,
        report.extractor.name,
        report.extractor.version,
        report.summary.practices,
        report.summary.flows,
        verdicts.join(", ")
    ));
    out.push_str(&matrix_table(&m));
    out.push_str("## Findings\n\n");
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        out.push_str("| severity | code | finding | evidence |\n|---|---|---|---|\n");
    }
    for (n, f) in report.findings.iter().enumerate() {
        let labels: Vec<_> = finding_evidence(report, &m, n).into_iter().map(|e| e.label).collect();
        let message = match m.cell_of_finding(n) {
            Some(c) => format!("{} ({})", f.message, extent_of(report, &m.flows_of(report, c, f.kind))),
            None => f.message.clone(),
        };
        let mut ev: Vec<String> = labels
            .iter()
            .take(EVIDENCE)
            .map(|l| {
                let (place, what) = describe_label(l);
                format!("`{}` {}", cell(&place), cell(&what))
            })
            .collect();
        if labels.len() > EVIDENCE {
            ev.push(format!("*{} more in `--format json` or `html`*", labels.len() - EVIDENCE));
        }
        out.push_str(&format!("| {} | `{}` | {} | {} |\n", f.severity.as_str(), f.code, cell(&message), ev.join("<br>")));
    }
    out.push('\n');
    if !report.sdks.is_empty() {
        out.push_str("## Embedded SDKs\n\n| SDK | organization | categories | status | evidence |\n|---|---|---|---|---|\n");
        for sdk in &report.sdks {
            out.push_str(&format!(
                "| {} | {} | {} | {:?} | `{}` in {} |\n",
                cell(&sdk.name),
                cell(sdk.organization_name.as_deref().unwrap_or("-")),
                sdk.categories.join(", "),
                sdk.status,
                cell(&sdk.class),
                cell(&sdk.file)
            ));
        }
        out.push('\n');
    }
    out.push_str(&super::cross_border::markdown_section(report));
    out.push_str(&format!(
        "## Flows\n\n<details><summary>All {} flows</summary>\n\n| verdict | data type | recipient | host | source |\n|---|---|---|---|---|\n",
        report.flows.len()
    ));
    for f in &report.flows {
        let source = match &f.flow.source {
            crate::observe::FlowSource::Permission { permission, .. } => format!("permission {permission}"),
            crate::observe::FlowSource::Request { method, location, .. } => format!("{method} {location}"),
            crate::observe::FlowSource::UsageDescription { key, .. } => format!("usage description {key}"),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            f.verdict.as_str(),
            f.flow.data_type,
            cell(&crate::compare::recipient_name(&f.flow.destination)),
            f.flow.destination.host,
            cell(&source)
        ));
    }
    out.push_str("\n</details>\n");
    out
}
