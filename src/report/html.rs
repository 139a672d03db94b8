//! HTML output: self-contained pages (inline CSS, JS and SVG; nothing is
//! fetched from the network).
//!
//! - One app ([`render_html`]): the flow matrix ([`FlowMatrix`]: data
//!   types by recipients, each cell coloured by its verdict and linked to
//!   its finding and policy sentence), the findings with their most telling
//!   evidence (the rest in `<details>`), every flow in a table that can be
//!   filtered by verdict, data type and recipient, and the policy text with
//!   every practice sentence highlighted (`<mark id="ev-START">`, coloured
//!   by whether it discloses, denies or is scoped) and linked to the cells
//!   it decides. One column on a phone, the policy beside on a wide screen.
//! - A catalog: see `catalog_html.rs`, which shares the style and helpers.
//!
//! Every piece of text from the inputs is HTML-escaped.

use super::matrix::{extent_of, finding_evidence, Evidence, FlowMatrix, WORST_FIRST};
use super::{describe_label, AppReport};
use crate::compare::{recipient_key, recipient_name, FindingKind, Label, Severity, Verdict};
use crate::observe::FlowSource;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Escape text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The colour of a verdict in tables and charts.
pub(super) fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Clear => "#2e7d32",
        Verdict::Vague => "#b8860b",
        Verdict::Omitted => "#c62828",
        Verdict::Incorrect => "#6a1b9a",
        Verdict::Ambiguous => "#e65100",
    }
}

/// The verdict a finding is about, if it is about a flow.
fn finding_verdict(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::OmittedFlow => "omitted",
        FindingKind::IncorrectFlow => "incorrect",
        FindingKind::AmbiguousFlow => "ambiguous",
        FindingKind::VagueFlow => "vague",
        _ => "",
    }
}

const CSS: &str = r#"
:root{--fg:#1c1c1c;--muted:#666;--line:#ddd;--bg:#fff;--soft:#f6f6f4}
*{box-sizing:border-box}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1680px;padding:1rem clamp(.5rem,2vw,1.5rem) 4rem}
h1{font-size:1.5rem;margin:.5rem 0;overflow-wrap:anywhere}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
.muted{color:var(--muted)}code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.92em}
.badges span{display:inline-block;margin:0 .4rem .4rem 0;padding:.1rem .55rem;border-radius:1rem;color:#fff;font-weight:600}
.sev-error{color:#c62828;font-weight:700}.sev-warning{color:#e65100;font-weight:700}.sev-note{color:#1565c0;font-weight:700}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid var(--line);padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:var(--soft)}td.num,th.num{text-align:right}
#findings th,#flows th{position:sticky;top:0}
td.sev,td.code,th.sev,th.code{white-space:nowrap;width:1%}
td.msg{overflow-wrap:anywhere;min-width:12rem}
tr:target,td:target{outline:2px solid #1565c0;outline-offset:-2px}
.v{font-weight:600}
.layout{display:grid;grid-template-columns:minmax(0,1fr);gap:0 2rem}
@media (min-width:1200px){.layout{grid-template-columns:minmax(0,3fr) minmax(320px,2fr)}#policy-pane{position:sticky;top:0;max-height:100vh;overflow:auto}}
.scroll{overflow-x:auto;max-width:100%}
#matrix{width:auto;border-collapse:separate;border-spacing:2px;margin:.25rem 0}
#matrix th,#matrix td{border:0;padding:.2rem .45rem;white-space:nowrap;text-align:center;vertical-align:middle}
#matrix thead th{vertical-align:bottom;font-weight:600}
#matrix th.cat{font-weight:400;color:var(--muted);text-transform:capitalize;border-bottom:2px solid var(--line)}
#matrix th.rcpt small{display:block;font-weight:400;color:var(--muted);font-size:.75em;max-width:14rem;overflow:hidden;text-overflow:ellipsis}
#matrix th.rcpt small.unnamed{color:#c62828}
#matrix tbody th{text-align:left;font-weight:400;background:var(--bg);position:sticky;left:0;z-index:1}
#matrix thead th.corner{position:sticky;left:0;z-index:2}
#matrix td.cell{border-radius:.25rem;min-width:5.5rem;position:relative}
#matrix td.cell a{color:inherit;text-decoration:none;display:block;font-weight:600}
#matrix td.cell small{display:block;font-size:.78em;font-weight:400}
#matrix td.cell a.para{position:absolute;top:0;right:.2rem;font-size:.75em;opacity:.8}
#matrix td.empty{background:var(--soft)}
.v-incorrect{background:#6a1b9a;color:#fff}.v-omitted{background:#c62828;color:#fff}.v-ambiguous{background:#e65100;color:#fff}
.v-vague{background:#f2c94c;color:#1c1c1c}.v-clear{background:#2e7d32;color:#fff}
.legend .sw{display:inline-block;padding:0 .5rem;border-radius:.25rem;font-weight:600;margin-right:.2rem}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;background:var(--soft);padding:.5rem .75rem;border-radius:.4rem}
.filters label{display:flex;gap:.35rem;align-items:center}
.filters select{max-width:60vw}
#policy{white-space:pre-wrap;background:var(--soft);padding:1rem;border-radius:.4rem;overflow-wrap:anywhere}
mark{padding:0 .1rem;border-radius:.15rem;color:inherit}
mark.disclose{background:#cdeccf}mark.deny{background:#f3d1f7}mark.scoped{background:#e3e8f0;text-decoration:underline dashed #8a96a8}mark.mixed{background:#ffd8a8}
mark:target{outline:2px solid #1565c0}
sup.refs a{margin-left:.2rem;padding:0 .2rem;border-radius:.2rem;font-size:.72em;text-decoration:none}
ul.labels{margin:.2rem 0 .4rem 1rem;padding:0}ul.labels li{overflow-wrap:anywhere}
details summary{cursor:pointer}details#all-flows>summary h2{display:inline-block;border:0}
svg text{font:12px system-ui,sans-serif;fill:#333}
.legend span{display:inline-block;margin-right:.8rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.25rem;vertical-align:-1px}
th[data-sort]{cursor:pointer;user-select:none;white-space:nowrap}th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
.pager{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
@media print{
 body{max-width:none;padding:0;font-size:11px}
 .layout{display:block}#policy-pane{position:static;max-height:none;overflow:visible}
 .filters,.pager,a.tocell,a.para{display:none}
 .scroll{overflow:visible}
 a{color:inherit;text-decoration:none}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 thead{display:table-header-group}tr{break-inside:avoid}
 #findings th,#flows th{position:static}
}
"#;

/// Filters rows of every `table.filterable` by the values of the `select`s
/// and `input`s in `.filters` (`data-key` names the row attribute); opens
/// the disclosure holding a link's target, and every disclosure for print.
const FILTER_JS: &str = r#"
(function(){
  var controls=Array.prototype.slice.call(document.querySelectorAll('.filters [data-key]'));
  function matches(row,c){
    var want=c.value.trim();if(!want)return true;
    var have=row.getAttribute('data-'+c.getAttribute('data-key'))||'';
    var mode=c.getAttribute('data-mode');
    if(mode==='list')return (' '+have+' ').indexOf(' '+want+' ')>=0;
    if(mode==='text')return have.toLowerCase().indexOf(want.toLowerCase())>=0;
    return have===want;
  }
  function apply(){
    document.querySelectorAll('table.filterable').forEach(function(t){
      var rows=t.querySelectorAll('tbody tr'),shown=0;
      rows.forEach(function(r){var ok=controls.every(function(c){return matches(r,c);});r.hidden=!ok;if(ok)shown++;});
      var counter=document.getElementById(t.id+'-count');if(counter)counter.textContent=shown+' of '+rows.length;
    });
  }
  controls.forEach(function(c){c.addEventListener('change',apply);c.addEventListener('input',apply);});
  apply();
  function reveal(){var id=decodeURIComponent(location.hash.slice(1));var t=id&&document.getElementById(id);
    for(var e=t;e;e=e.parentElement){if(e.tagName==='DETAILS')e.open=true;}if(t)t.scrollIntoView();}
  window.addEventListener('hashchange',reveal);reveal();
  window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
})();
"#;

/// A whole page with the shared style and the row filter script.
fn page(title: &str, body: &str) -> String {
    page_with_script(title, body, FILTER_JS)
}

/// A whole page with the shared style and the given inline script.
pub(super) fn page_with_script(title: &str, body: &str, script: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"candor {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n<script>{script}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title)
    )
}

/// A `<select>` filter over the row attribute `key`.
pub(super) fn select(label: &str, key: &str, mode: &str, options: &BTreeSet<String>, show: impl Fn(&str) -> String) -> String {
    let mut s = format!("<label>{} <select data-key=\"{}\" data-mode=\"{}\"><option value=\"\">all</option>", esc(label), esc(key), esc(mode));
    for o in options {
        let _ = write!(s, "<option value=\"{}\">{}</option>", esc(o), esc(&show(o)));
    }
    s.push_str("</select></label>");
    s
}

/// The verdict counts as coloured badges.
pub(super) fn verdict_badges(counts: &BTreeMap<Verdict, usize>) -> String {
    let mut s = String::from("<p class=\"badges\">");
    for v in Verdict::ALL {
        let _ = write!(s, "<span style=\"background:{}\">{} {}</span>", verdict_color(v), counts.get(&v).copied().unwrap_or(0), v.as_str());
    }
    s.push_str("</p>");
    s
}

/// True when most letters of the text are Han characters (the policy pane
/// then says `lang="zh"`, so the browser picks Chinese glyphs from the CJK
/// font stack).
fn mostly_chinese(text: &str) -> bool {
    let (mut han, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}') {
            han += 1;
        }
    }
    letters > 0 && han * 2 > letters
}

/// The colour class of a practice sentence: what its practices say.
fn practice_class(report: &AppReport, ids: &[usize]) -> &'static str {
    let kinds: BTreeSet<&str> = ids
        .iter()
        .filter_map(|&i| report.practices.get(i))
        .map(|p| match (p.scope.is_some(), p.negated) {
            (true, _) => "scoped",
            (false, true) => "deny",
            (false, false) => "disclose",
        })
        .collect();
    match kinds.len() {
        1 => kinds.into_iter().next().unwrap_or("disclose"),
        _ => "mixed",
    }
}

/// A practice in a few words: "not third_party share crash_logs (restriction)".
fn practice_words(p: &crate::extract::Practice) -> String {
    let scope = p.scope.as_ref().map(|s| format!(" ({s}: decides no flow)")).unwrap_or_default();
    format!("{}{} {} {}{scope}", if p.negated { "not " } else { "" }, p.actor, p.action, p.data_type)
}

/// The flow matrix: data types down, recipients across (grouped by
/// category), each cell coloured by its verdict, linked to its finding and
/// to the policy sentence behind it, with those sentences in its title.
fn matrix_html(report: &AppReport, m: &FlowMatrix, mark_of: &dyn Fn(usize, usize) -> Option<String>) -> String {
    let mut s = String::from("<section id=\"matrix-section\"><h2>Flow matrix <small class=\"muted\">which data goes to whom, and does the policy say so</small></h2>");
    if m.cells.is_empty() {
        s.push_str("<p>No flows observed.</p></section>");
        return s;
    }
    s.push_str("<p class=\"legend\">");
    for v in WORST_FIRST {
        let _ = write!(s, "<span class=\"sw v-{0}\" data-verdict=\"{0}\">{0}</span> ", v.as_str());
    }
    s.push_str("<span class=\"muted\">A cell shows the worst verdict of its flows and how many requests they were seen in; hover for the policy sentences, click for the finding.</span></p>");
    s.push_str("<div class=\"scroll\"><table id=\"matrix\"><thead><tr><th rowspan=\"2\" class=\"corner\">data type</th>");
    // Category groups over the recipient columns.
    let mut i = 0;
    while i < m.recipients.len() {
        let cat = &m.recipients[i].category;
        let span = m.recipients[i..].iter().take_while(|r| &r.category == cat).count();
        let _ = write!(s, "<th colspan=\"{span}\" class=\"cat\">{}</th>", esc(&cat.replace('_', " ")));
        i += span;
    }
    s.push_str("</tr><tr>");
    for r in &m.recipients {
        let _ = write!(s, "<th class=\"rcpt\" data-recipient=\"{}\">{}", esc(&r.key), esc(&r.name));
        if !r.hosts.is_empty() {
            let _ = write!(s, "<small>{}</small>", esc(&r.hosts.join(", ")));
        }
        if !r.sdks.is_empty() {
            let _ = write!(s, "<small>SDK: {}</small>", esc(&r.sdks.join(", ")));
        }
        if r.unnamed {
            s.push_str("<small class=\"unnamed\">never named in the policy</small>");
        }
        s.push_str("</th>");
    }
    s.push_str("</tr></thead><tbody>");
    for (row, t) in m.data_types.iter().enumerate() {
        let _ = write!(s, "<tr><th scope=\"row\"><code>{}</code></th>", esc(t));
        for (col, r) in m.recipients.iter().enumerate() {
            let Some(c) = m.cell(row, col) else {
                s.push_str("<td class=\"empty\"></td>");
                continue;
            };
            let v = c.verdict.as_str();
            let mut title = format!("{t} → {}: {v}, {}", r.name, c.extent());
            let mut first_mark = None;
            let mut seen = BTreeSet::new();
            for (&i, neg) in c.contradicting.iter().map(|i| (i, true)).chain(c.supporting.iter().map(|i| (i, false))) {
                let Some(p) = report.practices.get(i) else { continue };
                if !seen.insert(p.evidence.start) {
                    continue;
                }
                let _ = write!(title, "\n{}: \"{}\"", if neg { "denied" } else { "disclosed" }, p.evidence.text);
                if first_mark.is_none() {
                    first_mark = mark_of(p.evidence.start, p.evidence.end);
                }
            }
            if seen.is_empty() {
                title.push_str("\nno policy sentence covers it");
            }
            let n = if c.requests > 0 { format!("{} req", c.requests) } else { "permission".to_string() };
            let href = c.finding().map(|f| format!("#finding-{f}")).unwrap_or_else(|| format!("#flow-{}", c.flows[0]));
            let _ = write!(
                s,
                "<td id=\"cell-{row}-{col}\" class=\"cell v-{v}\" data-type=\"{}\" data-recipient=\"{}\" data-verdict=\"{v}\" title=\"{}\"><a href=\"{href}\">{v}<small>{n}</small></a>",
                esc(t),
                esc(&r.key),
                esc(&title)
            );
            if let Some(id) = first_mark {
                let _ = write!(s, "<a class=\"para\" href=\"#{id}\" aria-label=\"policy sentence\">¶</a>");
            }
            s.push_str("</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div></section>");
    s
}

/// One evidence item of a finding, linked to its policy mark or flow row.
fn evidence_item(e: &Evidence, mark_of: &dyn Fn(usize, usize) -> Option<String>) -> String {
    let (place, what) = describe_label(&e.label);
    let link = match (&e.label, e.flow) {
        (Label::Policy { start, end, .. }, _) => mark_of(*start, *end),
        (_, Some(k)) => Some(format!("flow-{k}")),
        _ => None,
    };
    match link {
        Some(id) => format!("<li><a href=\"#{id}\"><code>{}</code></a> {}</li>", esc(&place), esc(&what)),
        None => format!("<li><code>{}</code> {}</li>", esc(&place), esc(&what)),
    }
}

/// Evidence items a finding shows before its disclosure.
const SHOWN_EVIDENCE: usize = 3;
/// Evidence items listed in a finding's disclosure at most.
const MAX_EVIDENCE: usize = 200;

/// The HTML report of one app: the flow matrix, the findings with their
/// most telling evidence (the rest behind a disclosure), every flow, the
/// embedded SDKs, and the policy with its practice sentences highlighted
/// and linked both ways to the matrix cells they decide. Shows the policy
/// text when the report carries it ([`AppReport::with_policy_text`]).
pub fn render_html(report: &AppReport) -> String {
    let title = format!("candor report{}", report.app.as_deref().map(|a| format!(": {a}")).unwrap_or_default());
    let text = report.policy_text.as_deref();
    let m = FlowMatrix::build(report);

    // Evidence spans (sentence offsets) -> practices, and -> matrix cells they decide.
    let mut span_practices: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, p) in report.practices.iter().enumerate() {
        span_practices.entry((p.evidence.start, p.evidence.end)).or_default().push(i);
    }
    let mut span_cells: BTreeMap<(usize, usize), BTreeSet<usize>> = BTreeMap::new();
    for (ci, c) in m.cells.iter().enumerate() {
        for &i in c.supporting.iter().chain(&c.contradicting) {
            if let Some(p) = report.practices.get(i) {
                span_cells.entry((p.evidence.start, p.evidence.end)).or_default().insert(ci);
            }
        }
    }
    // The spans that become marks: inside the text, on char boundaries, not overlapping.
    let mut marks: BTreeMap<usize, (usize, usize)> = BTreeMap::new(); // start -> (start, end)
    if let Some(text) = text {
        let mut cursor = 0usize;
        for &(start, end) in span_practices.keys() {
            if start >= cursor && end > start && text.get(start..end).is_some() {
                marks.insert(start, (start, end));
                cursor = end;
            }
        }
    }
    let mark_of = |start: usize, end: usize| marks.get(&start).filter(|s| s.1 == end).map(|_| format!("ev-{start}"));

    let mut body = String::new();
    let _ = write!(body, "<header><h1>{}</h1>", esc(&title));
    let _ = write!(
        body,
        "<p class=\"muted\">Policy <code>{}</code>; extractor <code>{}</code> ({}{}); {} practices, {} flows in {} (data type, recipient) pairs, {} hosts contacted.</p>",
        esc(&report.inputs.policy),
        esc(&report.extractor.name),
        esc(&report.extractor.version),
        if report.extractor.cached { ", cached" } else { "" },
        report.summary.practices,
        report.summary.flows,
        m.cells.len(),
        report.summary.contacted_hosts
    );
    body.push_str(&verdict_badges(&report.summary.verdicts));
    let sev = |s: Severity| report.summary.findings.get(&s).copied().unwrap_or(0);
    let _ = write!(
        body,
        "<p><span class=\"sev-error\">{} errors</span>, <span class=\"sev-warning\">{} warnings</span>, <span class=\"sev-note\">{} notes</span></p></header><div class=\"layout\"><main>",
        sev(Severity::Error),
        sev(Severity::Warning),
        sev(Severity::Note)
    );
    body.push_str(&matrix_html(report, &m, &mark_of));

    // Filters shared by the findings and flows tables.
    let verdicts: BTreeSet<String> = report.flows.iter().map(|f| f.verdict.as_str().to_string()).collect();
    let mut types: BTreeSet<String> = report.flows.iter().map(|f| f.flow.data_type.clone()).collect();
    types.extend(report.findings.iter().filter_map(|f| f.data_type.clone()));
    let mut recipients: BTreeMap<String, String> =
        report.flows.iter().map(|f| (recipient_key(&f.flow.destination), recipient_name(&f.flow.destination))).collect();
    for f in &report.findings {
        if let Some(r) = &f.recipient {
            recipients.entry(r.clone()).or_insert_with(|| r.clone());
        }
    }
    let recipient_keys: BTreeSet<String> = recipients.keys().cloned().collect();

    // Findings, one per (kind, data type, recipient).
    let _ = write!(body, "<h2>Findings <small class=\"muted\" id=\"findings-count\"></small></h2>");
    body.push_str("<div class=\"filters\">");
    body.push_str(&select("Verdict", "verdict", "exact", &verdicts, str::to_string));
    body.push_str(&select("Data type", "type", "exact", &types, str::to_string));
    body.push_str(&select("Recipient", "recipient", "exact", &recipient_keys, |k| recipients.get(k).cloned().unwrap_or_else(|| k.to_string())));
    body.push_str("</div>");
    if report.findings.is_empty() {
        body.push_str("<p>No findings.</p>");
    } else {
        body.push_str("<table id=\"findings\" class=\"filterable\"><thead><tr><th class=\"sev\">severity</th><th class=\"code\">code</th><th>finding and evidence</th></tr></thead><tbody>");
        for (n, f) in report.findings.iter().enumerate() {
            let cell = m.cell_of_finding(n);
            let _ = write!(
                body,
                "<tr id=\"finding-{n}\" data-verdict=\"{}\" data-type=\"{}\" data-recipient=\"{}\"><td class=\"sev sev-{}\">{}</td><td class=\"code\"><code>{}</code></td><td class=\"msg\">{}",
                finding_verdict(f.kind),
                esc(f.data_type.as_deref().unwrap_or("")),
                esc(f.recipient.as_deref().unwrap_or("")),
                f.severity.as_str(),
                f.severity.as_str(),
                esc(&f.code),
                esc(&f.message)
            );
            if let Some(c) = cell {
                let _ = write!(
                    body,
                    " <span class=\"muted\">({})</span> <a class=\"tocell\" href=\"#cell-{}-{}\">matrix</a>",
                    extent_of(report, &m.flows_of(report, c, f.kind)),
                    c.row,
                    c.col
                );
            }
            let evidence = finding_evidence(report, &m, n);
            body.push_str("<ul class=\"labels\">");
            for e in evidence.iter().take(SHOWN_EVIDENCE) {
                body.push_str(&evidence_item(e, &mark_of));
            }
            body.push_str("</ul>");
            if evidence.len() > SHOWN_EVIDENCE {
                let _ = write!(body, "<details><summary>{} more</summary><ul class=\"labels\">", evidence.len() - SHOWN_EVIDENCE);
                for e in evidence.iter().skip(SHOWN_EVIDENCE).take(MAX_EVIDENCE) {
                    body.push_str(&evidence_item(e, &mark_of));
                }
                if evidence.len() > SHOWN_EVIDENCE + MAX_EVIDENCE {
                    let _ = write!(body, "<li class=\"muted\">and {} more (see the JSON report)</li>", evidence.len() - SHOWN_EVIDENCE - MAX_EVIDENCE);
                }
                body.push_str("</ul></details>");
            }
            body.push_str("</td></tr>");
        }
        body.push_str("</tbody></table>");
    }

    // Flows.
    if report.flows.is_empty() {
        body.push_str("<h2>Flows</h2><p>No flows observed.</p>");
    } else {
        let _ = write!(
            body,
            "<details id=\"all-flows\"><summary><h2>All {} flows <small class=\"muted\" id=\"flows-count\"></small></h2></summary>",
            report.flows.len()
        );
        body.push_str("<table id=\"flows\" class=\"filterable\"><thead><tr><th class=\"num\">#</th><th>verdict</th><th>data type</th><th>recipient</th><th>seen in</th><th>policy evidence</th></tr></thead><tbody>");
        for (k, f) in report.flows.iter().enumerate() {
            let source = match &f.flow.source {
                FlowSource::Permission { permission, file } => format!("permission {permission} ({file})"),
                FlowSource::Request { method, url, location, file, entry, .. } => format!("{method} {url} [{location}] ({file} #{entry})"),
                #[allow(unreachable_patterns)]
                other => describe_source(other),
            };
            let mut evidence = String::new();
            let mut seen = BTreeSet::new();
            for (&i, neg) in f.supporting.iter().map(|i| (i, false)).chain(f.contradicting.iter().map(|i| (i, true))) {
                let Some(p) = report.practices.get(i) else { continue };
                if !seen.insert((p.evidence.start, p.evidence.end)) {
                    continue;
                }
                let what = format!("{}{} {} {}", if neg { "not " } else { "" }, p.actor, p.action, p.data_type);
                match mark_of(p.evidence.start, p.evidence.end) {
                    Some(id) => {
                        let _ = write!(evidence, "<a href=\"#{id}\" title=\"{}\">{}</a> ", esc(&p.evidence.text), esc(&what));
                    }
                    None => {
                        let _ = write!(evidence, "<span title=\"{}\">{}</span> ", esc(&p.evidence.text), esc(&what));
                    }
                }
            }
            let _ = write!(
                body,
                "<tr id=\"flow-{k}\" data-verdict=\"{}\" data-type=\"{}\" data-recipient=\"{}\"><td class=\"num\">{k}</td><td class=\"v\" style=\"color:{}\">{}</td><td>{}</td><td>{}</td><td class=\"msg\">{}</td><td>{}</td></tr>",
                f.verdict.as_str(),
                esc(&f.flow.data_type),
                esc(&recipient_key(&f.flow.destination)),
                verdict_color(f.verdict),
                f.verdict.as_str(),
                esc(&f.flow.data_type),
                esc(&recipient_name(&f.flow.destination)),
                esc(&source),
                evidence
            );
        }
        body.push_str("</tbody></table></details>");
    }

    // Tracker SDKs embedded in the app's code.
    if !report.sdks.is_empty() {
        let _ = write!(body, "<h2>Embedded SDKs <small class=\"muted\">{}</small></h2>", report.sdks.len());
        body.push_str("<table id=\"sdks\"><thead><tr><th>SDK</th><th>organization</th><th>categories</th><th>status</th><th>matched class</th><th>file</th></tr></thead><tbody>");
        for sdk in &report.sdks {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code title=\"signature {}\">{}</code></td><td>{}</td></tr>",
                esc(&sdk.name),
                esc(sdk.organization_name.as_deref().unwrap_or("-")),
                esc(&sdk.categories.join(", ")),
                match sdk.status {
                    crate::observe::SdkStatus::Embedded => "embedded",
                    crate::observe::SdkStatus::Contacted => "contacted",
                },
                esc(&sdk.signature),
                esc(&sdk.class),
                esc(&sdk.file)
            );
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("</main>");

    // The policy with its practice sentences highlighted.
    body.push_str("<aside id=\"policy-pane\"><h2>Policy</h2>");
    match text {
        Some(text) => {
            body.push_str("<p class=\"legend\"><mark class=\"disclose\">discloses</mark> <mark class=\"deny\">denies</mark> <mark class=\"scoped\">scoped (a restriction or condition: decides no flow)</mark> <mark class=\"mixed\">both</mark> <span class=\"muted\">The data types after a sentence link to the matrix cells it decides.</span></p>");
            let _ = write!(body, "<div id=\"policy\"{}>", if mostly_chinese(text) { " lang=\"zh\"" } else { "" });
            let mut cursor = 0usize;
            for &(start, end) in marks.values() {
                body.push_str(&esc(text.get(cursor..start).unwrap_or("")));
                let ids = span_practices.get(&(start, end)).cloned().unwrap_or_default();
                let class = practice_class(report, &ids);
                let title: Vec<String> = ids.iter().filter_map(|&i| report.practices.get(i)).map(practice_words).collect();
                let _ = write!(
                    body,
                    "<mark id=\"ev-{start}\" class=\"{class}\" title=\"{}\">{}</mark>",
                    esc(&title.join("; ")),
                    esc(text.get(start..end).unwrap_or(""))
                );
                if let Some(cells) = span_cells.get(&(start, end)) {
                    body.push_str("<sup class=\"refs\">");
                    for &ci in cells.iter().take(8) {
                        let c = &m.cells[ci];
                        let _ = write!(
                            body,
                            "<a href=\"#cell-{}-{}\" class=\"v-{}\" title=\"{} → {}: {}\">{}</a>",
                            c.row,
                            c.col,
                            c.verdict.as_str(),
                            esc(&m.data_types[c.row]),
                            esc(&m.recipients[c.col].name),
                            c.verdict.as_str(),
                            esc(&m.data_types[c.row])
                        );
                    }
                    if cells.len() > 8 {
                        let _ = write!(body, " +{}", cells.len() - 8);
                    }
                    body.push_str("</sup>");
                }
                cursor = end;
            }
            body.push_str(&esc(text.get(cursor..).unwrap_or("")));
            body.push_str("</div>");
        }
        None => {
            body.push_str("<p class=\"muted\">The policy text is not part of this report; the evidence sentences:</p><ul>");
            for ((start, end), ids) in &span_practices {
                if let Some(p) = ids.first().and_then(|&i| report.practices.get(i)) {
                    let _ = write!(body, "<li><code>{start}..{end}</code> {}</li>", esc(&p.evidence.text));
                }
            }
            body.push_str("</ul>");
        }
    }
    body.push_str("</aside></div>");
    page(&title, &body)
}

/// A flow source of a kind without its own rendering: its kind and fields.
fn describe_source(source: &FlowSource) -> String {
    match serde_json::to_value(source) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}
