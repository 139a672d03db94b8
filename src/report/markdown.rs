//! Markdown output: a summary table, the findings with evidence, and every flow.

use super::{describe_label, AppReport};

/// Escape table-breaking characters.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Render the report as Markdown.
pub fn render_markdown(report: &AppReport) -> String {
    let mut out = String::new();
    out.push_str(&format!("# candor report{}\n\n", report.app.as_deref().map(|a| format!(": {a}")).unwrap_or_default()));
    out.push_str(&format!(
        "Policy `{}`; extractor `{}` ({}); {} practices, {} flows.\n\n",
        report.inputs.policy, report.extractor.name, report.extractor.version, report.summary.practices, report.summary.flows
    ));
    out.push_str("| verdict | flows |\n|---|---:|\n");
    for (v, n) in &report.summary.verdicts {
        out.push_str(&format!("| {} | {n} |\n", v.as_str()));
    }
    out.push_str("\n## Findings\n\n");
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    }
    for f in &report.findings {
        out.push_str(&format!("### {} `{}`: {}\n\n", f.severity.as_str(), f.code, cell(&f.message)));
        for label in &f.labels {
            let (place, what) = describe_label(label);
            out.push_str(&format!("- `{}`: {}\n", cell(&place), cell(&what)));
        }
        out.push('\n');
    }
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
    out.push_str("## Flows\n\n| verdict | data type | recipient | host | source |\n|---|---|---|---|---|\n");
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
    out
}
