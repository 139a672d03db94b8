//! The HTML report of a catalog: summary counts, inline SVG charts (flows
//! by verdict per app, the most common undisclosed recipients and data
//! types) and a table of apps that sorts, filters and pages in the browser,
//! so that 10,000 apps stay usable: the apps are embedded once as JSON and
//! only the rows of the current page are in the document. Each app links to
//! its own report in the page (its inputs, verdict counts and findings).

use super::html::{esc, page_with_script, verdict_badges, verdict_color};
use crate::catalog::summary::{CatalogReport, Ranked};
use crate::catalog::{AppResult, AppStatus};
use crate::compare::{FindingKind, Severity, Verdict};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Horizontal bar chart of ranked names (apps per name), as inline SVG.
fn bar_chart(title: &str, rows: &[Ranked], color: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"muted\">{}: none.</p>", esc(title));
    }
    let label_w = 230.0;
    let bar_w = 420.0;
    let row_h = 22.0;
    let max = rows.iter().map(|r| r.apps).max().unwrap_or(1).max(1) as f64;
    let height = rows.len() as f64 * row_h + 10.0;
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        esc(title),
        esc(title),
        label_w + bar_w + 60.0,
        label_w + bar_w + 60.0
    );
    for (i, r) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = (r.apps as f64 / max * bar_w).max(1.0);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{color}\"><title>{}: {} apps, {} findings</title></rect><text x=\"{:.1}\" y=\"{}\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(&clip(&r.name, 34)),
            row_h - 6.0,
            esc(&r.name),
            r.apps,
            r.findings,
            label_w + w + 4.0,
            y + 14.0,
            r.apps
        );
    }
    s.push_str("</svg></figure>");
    s
}

/// Shorten a label to `max` characters with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Stacked bars of flows by verdict for the given apps, as inline SVG.
fn verdict_chart(apps: &[&AppResult]) -> String {
    if apps.is_empty() {
        return "<p class=\"muted\">No checked apps.</p>".to_string();
    }
    let label_w = 230.0;
    let bar_w = 420.0;
    let row_h = 20.0;
    let max = apps.iter().map(|a| a.verdict_counts.values().sum::<usize>()).max().unwrap_or(1).max(1) as f64;
    let height = apps.len() as f64 * row_h + 10.0;
    let mut s = String::from("<figure><figcaption>Flows by verdict per app (most severe apps first)</figcaption><p class=\"legend\">");
    for v in Verdict::ALL {
        let _ = write!(s, "<span><i style=\"background:{}\"></i>{}</span>", verdict_color(v), v.as_str());
    }
    let _ = write!(
        s,
        "</p><svg role=\"img\" aria-label=\"flows by verdict per app\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        label_w + bar_w + 60.0,
        label_w + bar_w + 60.0
    );
    for (i, a) in apps.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let _ = write!(s, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", label_w - 6.0, y + 13.0, esc(&clip(&a.app_id, 34)));
        let mut x = label_w;
        for v in Verdict::ALL {
            let n = a.verdict_counts.get(&v).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let w = n as f64 / max * bar_w;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {n} {}</title></rect>",
                row_h - 5.0,
                verdict_color(v),
                esc(&a.app_id),
                v.as_str()
            );
            x += w;
        }
        let total: usize = a.verdict_counts.values().sum();
        let _ = write!(s, "<text x=\"{:.1}\" y=\"{}\">{total}</text>", x + 4.0, y + 13.0);
    }
    s.push_str("</svg></figure>");
    s
}

/// Apps shown in the verdict chart.
const CHART_APPS: usize = 40;

/// Findings of one app embedded for its report in the page, at most.
const APP_FINDINGS: usize = 25;
/// Characters of a finding's first evidence embedded for an app's report.
const LABEL_CHARS: usize = 160;

/// The recipients of an app's undisclosed flows and unnamed organizations.
fn undisclosed_recipients(a: &AppResult) -> BTreeSet<String> {
    a.findings
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::OmittedFlow | FindingKind::IncorrectFlow | FindingKind::UndisclosedRecipient))
        .filter_map(|f| f.recipient.clone())
        .filter(|r| r != "first_party" && !r.contains(char::is_whitespace))
        .collect()
}

/// An app's undisclosed data types, the most findings first.
fn undisclosed_types(a: &AppResult) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &a.findings {
        if matches!(f.kind, FindingKind::OmittedFlow | FindingKind::IncorrectFlow | FindingKind::UndisclosedPermission) {
            if let Some(t) = &f.data_type {
                *counts.entry(t).or_default() += 1;
            }
        }
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter().map(|(t, _)| t.to_string()).collect()
}

/// One app as the page's script reads it (short keys keep 10,000 apps small).
fn app_json(a: &AppResult) -> serde_json::Value {
    let (e, w, n) = a.severity_counts();
    let findings: Vec<serde_json::Value> = a
        .findings
        .iter()
        .take(APP_FINDINGS)
        .map(|f| {
            let first = f.labels.first().map(|l| {
                let (place, what) = super::describe_label(l);
                clip(&format!("{place}: {what}"), LABEL_CHARS)
            });
            json!([f.severity.as_str(), f.code, f.message, first])
        })
        .collect();
    json!({
        "id": a.app_id,
        "pkg": a.package.as_deref().filter(|p| *p != a.app_id),
        "st": a.status.as_str(),
        "v": Verdict::ALL.iter().map(|v| a.verdict_counts.get(v).copied().unwrap_or(0)).collect::<Vec<_>>(),
        "e": e, "w": w, "n": n,
        "r": undisclosed_recipients(a),
        "t": undisclosed_types(a),
        "err": a.error,
        "f": findings,
        "nf": a.findings.len(),
        "in": {"policy": a.inputs.policy, "manifests": a.inputs.manifests, "traffic": a.inputs.traffic, "apk": a.inputs.apk, "ipa": a.inputs.ipa},
    })
}

/// JSON that is safe inside a `<script>` element.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// Sorts, filters and pages the apps table from the embedded JSON, and
/// shows one app's report when the address ends in `#app=ID`.
const CATALOG_JS: &str = r##"
(function(){
  var data=JSON.parse(document.getElementById('apps-data').textContent);
  var verdicts=JSON.parse(document.getElementById('apps-verdicts').textContent);
  var body=document.querySelector('#apps tbody'),counter=document.getElementById('apps-count');
  var pager=document.getElementById('apps-pager'),detail=document.getElementById('app-detail');
  var state={key:'score',dir:-1,page:0,size:50};
  function h(s){return String(s==null?'':s).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
  function value(a,k){
    if(k==='score')return a.e*1e8+a.w*1e4+a.n;
    if(k==='app')return a.id.toLowerCase();
    if(k==='status')return a.st;
    if(k==='recipients')return a.r.length;
    if(k==='types')return a.t.length;
    if(k==='e'||k==='w'||k==='n')return a[k];
    var i=verdicts.indexOf(k);return i>=0?a.v[i]:0;
  }
  function control(k){var c=document.querySelector('#apps-filters [data-key="'+k+'"]');return c?c.value.trim():'';}
  function matches(a){
    var q=control('app').toLowerCase(),st=control('status'),v=control('verdicts'),r=control('recipients'),t=control('types');
    if(q&&a.id.toLowerCase().indexOf(q)<0&&(!a.pkg||a.pkg.toLowerCase().indexOf(q)<0))return false;
    if(st&&a.st!==st)return false;
    if(v&&!(a.v[verdicts.indexOf(v)]>0))return false;
    if(r&&a.r.indexOf(r)<0)return false;
    if(t&&a.t.indexOf(t)<0)return false;
    return true;
  }
  function row(a){
    var s='<tr data-app="'+h(a.id)+'" data-status="'+a.st+'"><td><a href="#app='+encodeURIComponent(a.id)+'"><code>'+h(a.id)+'</code></a>'+(a.pkg?'<br><small class="muted">'+h(a.pkg)+'</small>':'')+'</td><td>'+a.st+'</td>';
    s+='<td class="num'+(a.e?' sev-error':'')+'">'+a.e+'</td><td class="num'+(a.w?' sev-warning':'')+'">'+a.w+'</td><td class="num'+(a.n?' sev-note':'')+'">'+a.n+'</td>';
    for(var i=0;i<verdicts.length;i++)s+='<td class="num">'+a.v[i]+'</td>';
    s+='<td>'+(a.err?'<span class="sev-error">failed:</span> '+h(a.err):h(a.r.join(', ')))+'</td><td>'+h(a.t.slice(0,3).join(', '))+(a.t.length>3?' <small class="muted">+'+(a.t.length-3)+'</small>':'')+'</td></tr>';
    return s;
  }
  function render(){
    var rows=data.filter(matches),k=state.key,d=state.dir;
    rows.sort(function(x,y){var a=value(x,k),b=value(y,k);return a<b?-d:a>b?d:(x.id<y.id?-1:x.id>y.id?1:0);});
    var pages=Math.max(1,Math.ceil(rows.length/state.size));state.page=Math.min(state.page,pages-1);
    var start=state.page*state.size,shown=rows.slice(start,start+state.size);
    body.innerHTML=shown.map(row).join('');
    counter.textContent=rows.length+' of '+data.length;
    pager.querySelector('.where').textContent=rows.length?('apps '+(start+1)+'-'+(start+shown.length)+', page '+(state.page+1)+' of '+pages):'no app matches';
    pager.querySelector('.prev').disabled=state.page===0;pager.querySelector('.next').disabled=state.page>=pages-1;
    document.querySelectorAll('#apps th[data-sort]').forEach(function(th){th.setAttribute('aria-sort',th.getAttribute('data-sort')===k?(d>0?'ascending':'descending'):'none');});
  }
  document.querySelectorAll('#apps th[data-sort]').forEach(function(th){th.addEventListener('click',function(){
    var k=th.getAttribute('data-sort');if(state.key===k)state.dir=-state.dir;else{state.key=k;state.dir=(k==='app'||k==='status')?1:-1;}state.page=0;render();});});
  document.querySelectorAll('#apps-filters [data-key]').forEach(function(c){function f(){state.page=0;render();}c.addEventListener('input',f);c.addEventListener('change',f);});
  pager.querySelector('.prev').addEventListener('click',function(){state.page--;render();});
  pager.querySelector('.next').addEventListener('click',function(){state.page++;render();});
  pager.querySelector('.size').addEventListener('change',function(e){state.size=+e.target.value;state.page=0;render();});
  function show(){
    var m=/^#app=(.*)$/.exec(location.hash),a=null;
    if(m){var id=decodeURIComponent(m[1]);for(var i=0;i<data.length;i++)if(data[i].id===id){a=data[i];break;}}
    if(!a){detail.hidden=true;return;}
    var s='<h2>'+h(a.id)+' <small class="muted">'+h(a.pkg||'')+'</small></h2><p><a href="#apps-section">back to the apps</a></p><p>Status '+a.st+'; '+a.e+' errors, '+a.w+' warnings, '+a.n+' notes; flows: ';
    s+=verdicts.map(function(v,i){return a.v[i]+' '+v;}).join(', ')+'.</p>';
    var inp=[];if(a.in.policy)inp.push('policy '+a.in.policy);(a.in.manifests||[]).forEach(function(x){inp.push('manifest '+x);});(a.in.traffic||[]).forEach(function(x){inp.push('traffic '+x);});if(a.in.apk)inp.push('apk '+a.in.apk);if(a.in.ipa)inp.push('ipa '+a.in.ipa);
    s+='<p class="muted">Inputs: <code>'+h(inp.join('; '))+'</code>. <code>candor check</code> on them gives the full report with its flow matrix.</p>';
    if(a.err)s+='<p><span class="sev-error">failed:</span> '+h(a.err)+'</p>';
    if(a.f.length){s+='<table class="app-findings"><thead><tr><th class="sev">severity</th><th class="code">code</th><th>finding</th></tr></thead><tbody>';
      a.f.forEach(function(f){s+='<tr><td class="sev sev-'+f[0]+'">'+f[0]+'</td><td class="code"><code>'+h(f[1])+'</code></td><td class="msg">'+h(f[2])+(f[3]?'<br><small class="muted">'+h(f[3])+'</small>':'')+'</td></tr>';});
      s+='</tbody></table>';if(a.nf>a.f.length)s+='<p class="muted">and '+(a.nf-a.f.length)+' more findings.</p>';}
    detail.innerHTML=s;detail.hidden=false;detail.scrollIntoView();
  }
  window.addEventListener('hashchange',show);
  render();show();
})();
"##;

/// A `<select>` over the given values (`data-key` names what it filters).
fn filter_select(label: &str, key: &str, options: &BTreeSet<String>) -> String {
    let mut s = format!("<label>{} <select data-key=\"{key}\"><option value=\"\">all</option>", esc(label));
    for o in options {
        let _ = write!(s, "<option value=\"{0}\">{0}</option>", esc(o));
    }
    s.push_str("</select></label>");
    s
}

/// The HTML report of a catalog.
pub fn render_catalog_html(report: &CatalogReport) -> String {
    let s = &report.summary;
    let mut body = String::from("<header><h1>candor catalog report</h1>");
    let _ = write!(
        body,
        "<p>{} apps: {} done, {} failed; {} with findings. <span class=\"muted\">Stores: {}</span></p>",
        s.apps,
        s.done,
        s.failed,
        s.apps_with_findings,
        esc(&report.stores.join(", "))
    );
    body.push_str(&verdict_badges(&s.verdicts));
    let sev = |v: Severity| s.findings.get(&v).copied().unwrap_or(0);
    let _ = write!(
        body,
        "<p><span class=\"sev-error\">{} errors</span>, <span class=\"sev-warning\">{} warnings</span>, <span class=\"sev-note\">{} notes</span></p></header>",
        sev(Severity::Error),
        sev(Severity::Warning),
        sev(Severity::Note)
    );

    body.push_str("<h2>Charts</h2>");
    let by_id: BTreeMap<&str, &AppResult> = report.apps.iter().map(|a| (a.app_id.as_str(), a)).collect();
    let mut chart_apps: Vec<&AppResult> = s.ranking.iter().filter_map(|r| by_id.get(r.app_id.as_str()).copied()).take(CHART_APPS).collect();
    if chart_apps.len() < CHART_APPS {
        let shown: BTreeSet<&str> = chart_apps.iter().map(|a| a.app_id.as_str()).collect();
        let rest: Vec<&AppResult> = report
            .apps
            .iter()
            .filter(|a| a.status == AppStatus::Done && !shown.contains(a.app_id.as_str()))
            .take(CHART_APPS - chart_apps.len())
            .collect();
        chart_apps.extend(rest);
    }
    body.push_str("<div class=\"scroll\">");
    body.push_str(&verdict_chart(&chart_apps));
    body.push_str(&bar_chart("Top undisclosed recipients (apps)", &s.undisclosed_recipients, "#c62828"));
    body.push_str(&bar_chart("Top undisclosed data types (apps)", &s.undisclosed_data_types, "#6a1b9a"));
    if !s.miit_rules.is_empty() {
        body.push_str(&bar_chart("China app rules (MIIT) findings (apps)", &s.miit_rules, "#e65100"));
    }
    body.push_str("</div>");

    // The apps, as data for the table script.
    let mut recipients = BTreeSet::new();
    let mut types = BTreeSet::new();
    let apps: Vec<serde_json::Value> = report
        .apps
        .iter()
        .map(|a| {
            recipients.extend(undisclosed_recipients(a));
            types.extend(undisclosed_types(a));
            app_json(a)
        })
        .collect();
    let statuses: BTreeSet<String> = ["done", "failed"].map(String::from).into_iter().collect();
    let verdicts: BTreeSet<String> = Verdict::ALL.iter().map(|v| v.as_str().to_string()).collect();
    body.push_str("<section id=\"apps-section\"><h2>Apps <small class=\"muted\" id=\"apps-count\"></small></h2><div class=\"filters\" id=\"apps-filters\">");
    body.push_str("<label>App <input type=\"search\" data-key=\"app\" placeholder=\"app id or package\"></label>");
    body.push_str(&filter_select("Status", "status", &statuses));
    body.push_str(&filter_select("Has verdict", "verdicts", &verdicts));
    body.push_str(&filter_select("Undisclosed recipient", "recipients", &recipients));
    body.push_str(&filter_select("Undisclosed data type", "types", &types));
    body.push_str("</div><p class=\"muted\">Click a column to sort; the app opens its report.</p><div class=\"scroll\"><table id=\"apps\"><thead><tr><th data-sort=\"app\">app</th><th data-sort=\"status\">status</th>");
    body.push_str("<th class=\"num\" data-sort=\"e\">errors</th><th class=\"num\" data-sort=\"w\">warnings</th><th class=\"num\" data-sort=\"n\">notes</th>");
    for v in Verdict::ALL {
        let _ = write!(body, "<th class=\"num\" data-sort=\"{0}\" style=\"color:{1}\">{0}</th>", v.as_str(), verdict_color(v));
    }
    body.push_str("<th data-sort=\"recipients\">undisclosed recipients</th><th data-sort=\"types\">top undisclosed data types</th></tr></thead><tbody></tbody></table></div>");
    body.push_str("<noscript><p>The table needs JavaScript; <code>candor catalog report --format json</code> has every app.</p></noscript>");
    body.push_str("<p id=\"apps-pager\" class=\"pager\"><button type=\"button\" class=\"prev\">previous</button> <span class=\"where\"></span> <button type=\"button\" class=\"next\">next</button> <label>rows <select class=\"size\"><option>25</option><option selected>50</option><option>100</option><option>500</option></select></label></p></section>");
    body.push_str("<section id=\"app-detail\" hidden></section>");
    let verdict_names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
    let _ = write!(
        body,
        "<script type=\"application/json\" id=\"apps-verdicts\">{}</script><script type=\"application/json\" id=\"apps-data\">{}</script>",
        script_json(&json!(verdict_names)),
        script_json(&serde_json::Value::Array(apps))
    );
    page_with_script("candor catalog report", &body, CATALOG_JS)
}
