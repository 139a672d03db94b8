//! Terminal output: the flow matrix in compact form, then the findings as
//! compiler-style diagnostics, then a verdict summary. By default the flow
//! findings are grouped per (kind, recipient), one line each with its two
//! most telling pieces of evidence; `--verbose` lists every finding with
//! all of its evidence.

use super::matrix::{evidence_order, extent_of, finding_evidence, flow_label, verdict_letter, FlowMatrix, WORST_FIRST};
use super::{describe_label, AppReport};
use crate::compare::{FindingKind, Label, Severity};
use std::collections::BTreeMap;

/// ANSI colours, or none.
struct Style {
    on: bool,
}

impl Style {
    /// `s` in the ANSI style `code` when colours are on.
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

/// Evidence lines shown per finding by default.
const DEFAULT_EVIDENCE: usize = 2;
/// Recipient columns the terminal matrix shows; the rest are counted.
const MAX_COLUMNS: usize = 8;
/// Data-type rows the terminal matrix shows by default (the worst first);
/// the rest are counted.
const MAX_ROWS: usize = 30;
/// Data types a grouped finding names before "and N more".
const MAX_TYPES: usize = 6;

/// The ANSI colour and name of a severity.
fn severity_style(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Error => ("1;31", "error"),
        Severity::Warning => ("1;33", "warning"),
        Severity::Note => ("1;36", "note"),
    }
}

/// The colour of a verdict letter.
fn verdict_style(v: crate::compare::Verdict) -> &'static str {
    use crate::compare::Verdict::*;
    match v {
        Clear => "32",
        Vague => "33",
        Omitted => "31",
        Incorrect => "35",
        Ambiguous => "33;1",
    }
}

/// The matrix as a small grid: data types down, recipients across, each
/// cell its verdict letter and request count; `max_rows` data types and
/// `max_cols` recipients at most.
fn render_matrix(m: &FlowMatrix, st: &Style, max_rows: usize, max_cols: usize) -> String {
    let mut out = String::new();
    if m.cells.is_empty() {
        out.push_str("flows: none observed\n\n");
        return out;
    }
    // The columns shown: the ones with the worst cells, in matrix order.
    let mut cols: Vec<usize> = (0..m.recipients.len()).collect();
    if cols.len() > max_cols {
        let score = |c: usize| {
            let cells = m.cells.iter().filter(|x| x.col == c);
            cells.map(|x| 1 + 10 * super::matrix::verdict_rank(x.verdict) as usize).sum::<usize>()
        };
        cols.sort_by_key(|&c| std::cmp::Reverse(score(c)));
        cols.truncate(max_cols);
        cols.sort();
    }
    let legend: Vec<String> =
        WORST_FIRST.iter().map(|v| format!("{} {}", st.paint(verdict_style(*v), &verdict_letter(*v).to_string()), v.as_str())).collect();
    out.push_str(&format!(
        "{} {} data types x {} recipients (cell: verdict, requests; p = permission only): {}\n",
        st.paint("1", "flows:"),
        m.data_types.len(),
        m.recipients.len(),
        legend.join(", ")
    ));
    let row_w = m.data_types.iter().map(|t| t.chars().count()).max().unwrap_or(0).clamp(9, 28);
    let widths: Vec<usize> = cols
        .iter()
        .map(|&c| {
            let r = &m.recipients[c];
            clip(&r.name, 16).chars().count().max(clip(&r.category, 16).chars().count()).max(6)
        })
        .collect();
    let header = |f: &dyn Fn(usize) -> String| {
        let mut line = format!("  {:row_w$}", "");
        for (i, &c) in cols.iter().enumerate() {
            line.push_str(&format!("  {:w$}", f(c), w = widths[i]));
        }
        line.trim_end().to_string() + "\n"
    };
    out.push_str(&st.paint("1", header(&|c| clip(&m.recipients[c].name, 16)).trim_end()));
    out.push('\n');
    out.push_str(&st.paint("2", header(&|c| clip(&m.recipients[c].category, 16)).trim_end()));
    out.push('\n');
    for (row, t) in m.data_types.iter().enumerate().take(max_rows) {
        let mut line = format!("  {:row_w$}", clip(t, row_w));
        for (i, &c) in cols.iter().enumerate() {
            let (text, code) = match m.cell(row, c) {
                Some(cell) => {
                    let n = if cell.requests > 0 { cell.requests.to_string() } else { "p".to_string() };
                    (format!("{} {n}", verdict_letter(cell.verdict)), verdict_style(cell.verdict))
                }
                None => (".".to_string(), "2"),
            };
            let pad = widths[i].saturating_sub(text.chars().count());
            line.push_str(&format!("  {}{}", st.paint(code, &text), " ".repeat(pad)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if m.data_types.len() > max_rows {
        out.push_str(&format!("  ... and {} more data types (--verbose shows them all)\n", m.data_types.len() - max_rows));
    }
    if cols.len() < m.recipients.len() {
        out.push_str(&format!("  ... and {} more recipients (--verbose or --format html show them all)\n", m.recipients.len() - cols.len()));
    }
    out.push('\n');
    out
}

/// One diagnostic: the headline and up to `max` evidence lines (all when `None`).
fn diagnostic(out: &mut String, st: &Style, severity: Severity, code: &str, message: &str, labels: &[Label], max: Option<usize>) {
    let (colour, sev) = severity_style(severity);
    out.push_str(&format!("{}{} {}\n", st.paint(colour, &format!("{sev}[{code}]")), st.paint("1", ":"), st.paint("1", message)));
    let shown = max.unwrap_or(labels.len()).min(labels.len());
    for label in &labels[..shown] {
        let (place, what) = describe_label(label);
        out.push_str(&format!("  {} {}\n", st.paint("34", &format!("--> {place}")), clip(&what, 220)));
    }
}

/// The message of several flow findings of one kind about one recipient.
fn group_message(kind: FindingKind, types: &[&str], who: &str, first_party: bool, extent: &str) -> String {
    let mut names: Vec<String> = types.iter().take(MAX_TYPES).map(|t| t.to_string()).collect();
    if types.len() > MAX_TYPES {
        names.push(format!("{} more", types.len() - MAX_TYPES));
    }
    let list = match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    };
    let via = if first_party { "accessed by" } else { "sent to" };
    let (one, many) = match kind {
        FindingKind::OmittedFlow => ("but the policy does not disclose it", "but the policy does not disclose them"),
        FindingKind::IncorrectFlow => ("but the policy says it is not", "but the policy says they are not"),
        FindingKind::AmbiguousFlow => ("the policy both discloses and denies it", "the policy both discloses and denies them"),
        _ => ("disclosed only in broader terms", "disclosed only in broader terms"),
    };
    let tail = if types.len() == 1 { one } else { many };
    let sep = if matches!(kind, FindingKind::AmbiguousFlow) { ";" } else { "," };
    let what = if types.len() > 1 { format!("{} data types ({list})", types.len()) } else { list };
    format!("{what} {via} {who}{sep} {tail} ({extent})")
}

/// Render the report for a terminal; `color` adds ANSI colours, `verbose`
/// lists every finding with all its evidence instead of the grouped form.
pub fn render_text(report: &AppReport, color: bool, verbose: bool) -> String {
    let st = Style { on: color };
    let m = FlowMatrix::build(report);
    let mut out = if verbose { render_matrix(&m, &st, usize::MAX, usize::MAX) } else { render_matrix(&m, &st, MAX_ROWS, MAX_COLUMNS) };

    if verbose {
        for (n, f) in report.findings.iter().enumerate() {
            let labels: Vec<Label> = finding_evidence(report, &m, n).into_iter().map(|e| e.label).collect();
            let message = match m.cell_of_finding(n) {
                Some(cell) => format!("{} ({})", f.message, extent_of(report, &m.flows_of(report, cell, f.kind))),
                None => f.message.clone(),
            };
            diagnostic(&mut out, &st, f.severity, &f.code, &message, &labels, None);
            out.push('\n');
        }
    } else {
        // Flow findings grouped per (kind, recipient), in the findings' order.
        let mut groups: Vec<((FindingKind, String), Vec<usize>)> = Vec::new();
        let mut index: BTreeMap<(FindingKind, String), usize> = BTreeMap::new();
        for (n, f) in report.findings.iter().enumerate() {
            let key = match (m.cell_of_finding(n), &f.recipient) {
                (Some(_), Some(r)) => (f.kind, r.clone()),
                _ => (f.kind, format!("\u{0}{n}")), // on its own
            };
            match index.get(&key) {
                Some(&g) => groups[g].1.push(n),
                None => {
                    index.insert(key.clone(), groups.len());
                    groups.push((key, vec![n]));
                }
            }
        }
        for ((kind, _), members) in &groups {
            let first = &report.findings[members[0]];
            let Some(cell) = m.cell_of_finding(members[0]) else {
                diagnostic(&mut out, &st, first.severity, &first.code, &first.message, &first.labels, Some(DEFAULT_EVIDENCE));
                continue;
            };
            let recipient = &m.recipients[cell.col];
            let mut flows = Vec::new();
            let mut types = Vec::new();
            let mut policy: Vec<Label> = Vec::new();
            for &n in members {
                let c = m.cell_of_finding(n).unwrap_or(cell);
                types.push(m.data_types[c.row].as_str());
                flows.extend(m.flows_of(report, c, *kind));
                for e in finding_evidence(report, &m, n) {
                    if e.flow.is_none() && !policy.contains(&e.label) {
                        policy.push(e.label);
                    }
                }
            }
            // The most telling evidence of the group: a denying sentence,
            // then the best flows of all its findings, different requests first.
            policy.sort_by_key(|l| !matches!(l, Label::Policy { note, .. } if note.contains("denied")));
            evidence_order(report, &mut flows);
            let mut ordered: Vec<Label> = policy.into_iter().take(1).collect();
            ordered.extend(flows.iter().map(|&k| flow_label(&report.flows[k])));
            let mut hosts: Vec<&str> = flows
                .iter()
                .filter(|&&k| matches!(report.flows[k].flow.source, crate::observe::FlowSource::Request { .. }))
                .map(|&k| report.flows[k].flow.destination.host.as_str())
                .collect();
            hosts.sort();
            hosts.dedup();
            let who = if hosts.is_empty() { recipient.name.clone() } else { format!("{} ({})", recipient.name, hosts.join(", ")) };
            let message = group_message(*kind, &types, &who, recipient.first_party, &extent_of(report, &flows));
            diagnostic(&mut out, &st, first.severity, &first.code, &message, &ordered, Some(DEFAULT_EVIDENCE));
        }
        if !groups.is_empty() {
            out.push_str(&format!(
                "{}\n\n",
                st.paint("2", &format!(
                    "({} finding{} in {} group{}, {DEFAULT_EVIDENCE} lines of evidence each; --verbose shows every finding and all its evidence)",
                    report.findings.len(),
                    if report.findings.len() == 1 { "" } else { "s" },
                    groups.len(),
                    if groups.len() == 1 { "" } else { "s" }
                ))
            ));
        }
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
    out.push_str(&super::cross_border::text_section(report));
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
