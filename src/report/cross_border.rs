//! The cross-border section of each report format: the home region, the
//! policy's storage and transfer statements, every contacted host with the
//! country of its server address, and (HTML) which data goes to which
//! country as a table and a bar chart.

use super::html::esc;
use super::AppReport;
use crate::compare::cross_border::{CrossBorder, HomeSource, CAVEAT};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The home region and where it came from, in words.
fn home_words(cb: &CrossBorder) -> String {
    match (&cb.home_region, cb.home_source) {
        (Some(r), Some(HomeSource::Policy)) => format!("{r} (stated by the policy)"),
        (Some(r), _) => format!("{r} (from --home-region)"),
        (None, _) => "none (the policy states none; pass --home-region to judge transfers abroad)".to_string(),
    }
}

/// Data types per destination country (`unknown` included), from the hosts.
fn data_by_country(cb: &CrossBorder) -> BTreeMap<String, (BTreeSet<String>, String)> {
    let mut out: BTreeMap<String, (BTreeSet<String>, String)> = BTreeMap::new();
    for h in &cb.hosts {
        let c = h.country.clone().unwrap_or_else(|| "unknown".into());
        let e = out.entry(c).or_insert_with(|| (BTreeSet::new(), h.status.clone()));
        e.0.extend(h.data_types.iter().cloned());
    }
    out
}

/// Plain-text lines for the terminal report (empty when nothing was located).
pub fn text_section(report: &AppReport) -> String {
    let Some(cb) = &report.cross_border else { return String::new() };
    if cb.hosts.is_empty() && cb.statements.is_empty() {
        return String::new();
    }
    let mut out = format!("cross-border: home region {}\n", home_words(cb));
    for s in &cb.statements {
        let _ = writeln!(out, "  policy @{}..{}: {}", s.evidence.start, s.evidence.end, s.describe());
    }
    for h in &cb.hosts {
        let _ = writeln!(
            out,
            "  {} -> {} [{}]{}{}",
            h.host,
            h.country.as_deref().unwrap_or("unknown"),
            h.status,
            if h.ips.is_empty() { String::new() } else { format!(" {}", h.ips.join(", ")) },
            if h.data_types.is_empty() { String::new() } else { format!(": {}", h.data_types.join(", ")) }
        );
    }
    let _ = writeln!(out, "  (countries from {}; {CAVEAT})\n", cb.geo_table.as_deref().unwrap_or("no IP table"));
    out
}

/// A Markdown section.
pub fn markdown_section(report: &AppReport) -> String {
    let Some(cb) = &report.cross_border else { return String::new() };
    if cb.hosts.is_empty() && cb.statements.is_empty() {
        return String::new();
    }
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!("## Cross-border transfers\n\nHome region: {}.\n\n", home_words(cb));
    if !cb.statements.is_empty() {
        out.push_str("| policy statement (rule-based) | evidence |\n|---|---|\n");
        for s in &cb.statements {
            let _ = writeln!(out, "| {} | {} |", s.describe(), cell(&s.evidence.text));
        }
        out.push('\n');
    }
    if !cb.hosts.is_empty() {
        out.push_str("| host | country | status | server addresses | data types | requests |\n|---|---|---|---|---|---|\n");
        for h in &cb.hosts {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&h.host),
                h.country.as_deref().unwrap_or("unknown"),
                h.status,
                h.ips.join(", "),
                h.data_types.join(", "),
                h.requests
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Countries from {}; {CAVEAT}.\n", cb.geo_table.as_deref().unwrap_or("no IP table"));
    out
}

/// An HTML section: hosts with countries, which data goes where, and a bar
/// chart of data flows per country (home region green, abroad red).
pub fn html_section(report: &AppReport) -> String {
    let Some(cb) = &report.cross_border else { return String::new() };
    if cb.hosts.is_empty() && cb.statements.is_empty() {
        return String::new();
    }
    // Long host names, addresses and sentences wrap instead of widening the page.
    let mut s = String::from("<style>#cross-border td{overflow-wrap:anywhere;word-break:break-word}</style><section id=\"cross-border\"><h2>Cross-border transfers <small class=\"muted\">where each request went, and what the policy says about it</small></h2>");
    let _ = write!(s, "<p>Home region: {}.</p>", esc(&home_words(cb)));
    if !cb.statements.is_empty() {
        s.push_str("<table id=\"region-statements\"><thead><tr><th>policy statement (rule-based)</th><th>evidence</th></tr></thead><tbody>");
        for st in &cb.statements {
            let _ = write!(s, "<tr><td>{}</td><td>{}</td></tr>", esc(&st.describe()), esc(&st.evidence.text));
        }
        s.push_str("</tbody></table>");
    }
    if !cb.flows_by_country.is_empty() {
        let by_country = data_by_country(cb);
        let max = cb.flows_by_country.values().copied().max().unwrap_or(1).max(1);
        s.push_str("<h3>Which data goes where</h3><table id=\"data-by-country\"><thead><tr><th>country</th><th>status</th><th>data flows</th><th>data types</th></tr></thead><tbody>");
        for (country, n) in &cb.flows_by_country {
            let (types, status) = by_country.get(country).cloned().unwrap_or_default();
            let color = match status.as_str() {
                "home" => "#2e7d32",
                "abroad" => "#c62828",
                _ => "#9e9e9e",
            };
            let width = (n * 200 / max).max(2);
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td><span class=\"geo-bar\" style=\"display:inline-block;height:0.8em;width:{width}px;background:{color}\"></span> {n}</td><td>{}</td></tr>",
                esc(country),
                esc(&status),
                esc(&types.into_iter().collect::<Vec<_>>().join(", "))
            );
        }
        s.push_str("</tbody></table>");
    }
    if !cb.hosts.is_empty() {
        s.push_str("<h3>Hosts</h3><table id=\"hosts-by-country\"><thead><tr><th>host</th><th>country</th><th>status</th><th>server addresses</th><th>data types</th><th>requests</th></tr></thead><tbody>");
        for h in &cb.hosts {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&h.host),
                esc(h.country.as_deref().unwrap_or("unknown")),
                esc(&h.status),
                esc(&h.ips.join(", ")),
                esc(&h.data_types.join(", ")),
                h.requests
            );
        }
        s.push_str("</tbody></table>");
    }
    let _ = write!(s, "<p class=\"muted\">Countries from {}; {}.</p></section>", esc(cb.geo_table.as_deref().unwrap_or("no IP table")), esc(CAVEAT));
    s
}
