//! The HTML reports (one app, a catalog): rendered in headless Chromium,
//! the evidence is highlighted and the tables are there and filtered by the
//! inline script; and the pages reference no external resource.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run the candor binary from the repository root, without colours.
fn candor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_candor")).args(args).current_dir(root()).env("NO_COLOR", "1").output().expect("run candor")
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM after scripts ran, or `None` when Chromium is not installed.
fn dump_dom(file: &Path) -> Option<String> {
    dump_dom_sized(file, None)
}

/// [`dump_dom`] in a window of the given size (CSS pixels).
fn dump_dom_sized(file: &Path, window: Option<(u32, u32)>) -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("warning: {CHROMIUM} not found; only the static checks ran (install chromium to render)");
        return None;
    }
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
        ])
        .args(window.map(|(w, h)| format!("--window-size={w},{h}")))
        .arg(file)
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// No `http(s)://` in src/href of script, link or img elements (or any
/// src), and no CSS `@import`.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("@import"), "the page imports CSS");
    for tag in ["<script", "<link", "<img", "<iframe", "<source", "<video", "<audio", "<object", "<embed"] {
        let mut rest = lower.as_str();
        while let Some(i) = rest.find(tag) {
            let after = &rest[i..];
            let end = after.find('>').unwrap_or(after.len());
            let element = &after[..end];
            for attr in ["src=", "href=", "data="] {
                if let Some(j) = element.find(attr) {
                    let value = element[j + attr.len()..].trim_start_matches(['"', '\'']);
                    assert!(
                        !value.starts_with("http:") && !value.starts_with("https:") && !value.starts_with("//"),
                        "external resource: {element}"
                    );
                }
            }
            rest = &after[tag.len()..];
        }
    }
    assert!(!lower.contains("url(http") && !lower.contains("url(//"), "CSS loads a URL");
}

#[test]
fn html_report_of_one_app_highlights_evidence_and_filters_flows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    let cache = dir.path().join("cache");
    // `check APP --format html --out OUT` with the rule extractor and one cache.
    let check_html = |app: &str, out: &std::path::Path| {
        candor(&[
            "check",
            app,
            "--format",
            "html",
            "--extractor",
            "rules",
            "--cache",
            cache.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let out = check_html("examples/sharelocation", &file);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_self_contained(&html);
    assert!(html.contains("<mark id=\"ev-"), "no highlighted evidence");
    assert!(html.contains("<table id=\"flows\""));
    assert!(html.contains("href=\"#flow-"), "evidence is not linked to flows");
    assert!(html.contains("href=\"#cell-"), "policy sentences are not linked to the matrix");
    assert!(html.contains("href=\"#ev-"), "flows are not linked to evidence");

    // The sample app: traffic to third parties, with undisclosed recipients.
    let sample = dir.path().join("sample.html");
    let out = check_html("examples/sample-app", &sample);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let sample_html = std::fs::read_to_string(&sample).unwrap();
    assert_self_contained(&sample_html);
    assert!(sample_html.contains("data-recipient=\"facebook\""));
    assert!(sample_html.contains("CND011"));

    if let Some(dom) = dump_dom(&file) {
        assert!(dom.contains("<mark id=\"ev-"), "no highlighted evidence in the rendered page");
        assert!(dom.contains("<table id=\"flows\""), "no flows table in the rendered page");
        // The inline script ran: it wrote the row counts.
        assert!(dom.contains(" of "), "the filter script did not run");
        let flows = dom.matches("<tr id=\"flow-").count();
        assert!(flows > 0);
        assert!(dom.contains(&format!("{flows} of {flows}")), "the filter script did not count the flows");
    }
    if let Some(dom) = dump_dom(&sample) {
        assert!(dom.contains("<table id=\"findings\""));
        assert_self_contained(&dom);
    }
}

#[test]
fn html_report_of_a_catalog_has_charts_and_a_filterable_table() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let catalog = root().join("tests/fixtures/catalog/apps.jsonl");
    let run = candor(&["catalog", "run", catalog.to_str().unwrap(), "--store", store.to_str().unwrap(), "--extractor", "rules", "--jobs", "2", "--progress", "quiet"]);
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stderr));
    let file = dir.path().join("catalog.html");
    let out = candor(&["catalog", "report", "--store", store.to_str().unwrap(), "--format", "html", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&file).unwrap();
    assert_self_contained(&html);
    assert!(html.matches("<svg").count() >= 2, "missing charts");
    assert!(html.contains("Top undisclosed recipients"));
    assert!(html.contains("<table id=\"apps\""));
    if let Some(dom) = dump_dom(&file) {
        assert!(dom.contains("<svg"));
        // The table script rendered every app (one page of 50).
        assert_eq!(dom.matches("<tr data-app=\"org.example.").count(), 30);
        assert!(dom.contains("30 of 30"), "the table script did not run");
    }
}

/// The HTML report of `check` (rule extractor) on a plain-text policy with
/// the given text and sharelocation's manifest.
fn html_report_of_text_policy(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("privacy.txt");
    std::fs::write(&policy, text).unwrap();
    let file = dir.path().join("report.html");
    let out = candor(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        "--manifest",
        "examples/sharelocation/AndroidManifest.xml",
        "--format",
        "html",
        "--extractor",
        "rules",
        "--no-cache",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(&file).unwrap()
}

#[test]
fn html_escapes_policy_text() {
    // Plain text keeps the markup as text (Markdown and HTML ingest would drop the tags).
    let html = html_report_of_text_policy(
        "Policy\n\nWe collect your <script>alert(1)</script> location & \"email address\" and share it with Google.\n",
    );
    assert!(!html.contains("<script>alert(1)"), "unescaped policy text");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the policy text is not shown escaped");
    assert_eq!(html.matches("<script>").count(), 1, "only candor's own script");
}

/// Runs in the page after it rendered and writes what it measured into
/// `<pre id="measure">` as JSON: every matrix cell (data type, recipient,
/// verdict, background colour, where its link goes), the legend's colour
/// per verdict, and for the severity and code cells of the findings table
/// the most line boxes any of their texts takes and whether they overflow.
const MEASURE_JS: &str = r#"<script>
(function(){
  function lines(td){
    var w=document.createTreeWalker(td,NodeFilter.SHOW_TEXT),n,most=0;
    while((n=w.nextNode())){if(!n.textContent.trim())continue;var r=document.createRange();r.selectNodeContents(n);
      var tops={};Array.prototype.forEach.call(r.getClientRects(),function(x){tops[Math.round(x.top)]=1;});
      most=Math.max(most,Object.keys(tops).length);}
    return most;
  }
  var cells=Array.prototype.map.call(document.querySelectorAll('#matrix td.cell'),function(td){
    var a=td.querySelector('a'),t=a&&document.querySelector(a.getAttribute('href'));
    return {type:td.getAttribute('data-type'),recipient:td.getAttribute('data-recipient'),verdict:td.getAttribute('data-verdict'),
      text:a?a.firstChild.textContent:'',bg:getComputedStyle(td).backgroundColor,
      target_type:t?t.getAttribute('data-type'):null,target_recipient:t?t.getAttribute('data-recipient'):null,target_verdict:t?t.getAttribute('data-verdict'):null};
  });
  var legend={};document.querySelectorAll('.legend .sw[data-verdict]').forEach(function(s){legend[s.getAttribute('data-verdict')]=getComputedStyle(s).backgroundColor;});
  var fixed=Array.prototype.map.call(document.querySelectorAll('#findings td.sev, #findings td.code'),function(td){
    return {text:td.textContent,lines:lines(td),overflow:td.scrollWidth>td.clientWidth+1,width:td.getBoundingClientRect().width};
  });
  var pre=document.createElement('pre');pre.id='measure';
  pre.textContent=JSON.stringify({cells:cells,legend:legend,fixed:fixed,viewport:window.innerWidth,
    page_overflow:document.documentElement.scrollWidth>window.innerWidth+1});
  document.body.appendChild(pre);
})();
</script>"#;

/// The measurements [`MEASURE_JS`] wrote into a dumped DOM.
fn measurements(dom: &str) -> serde_json::Value {
    let start = dom.find("<pre id=\"measure\">").expect("the measuring script ran") + "<pre id=\"measure\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    serde_json::from_str(&json).expect("measurements are JSON")
}

/// The rank of a verdict, worst highest (incorrect > omitted > ambiguous > vague > clear).
fn rank(v: &str) -> u8 {
    match v {
        "clear" => 0,
        "vague" => 1,
        "ambiguous" => 2,
        "omitted" => 3,
        "incorrect" => 4,
        other => panic!("unknown verdict {other}"),
    }
}

/// The recipient key of a flow destination in the JSON report.
fn recipient_key(d: &serde_json::Value) -> String {
    if d["first_party"].as_bool().unwrap() {
        "first_party".to_string()
    } else {
        d["organization"].as_str().or(d["domain"].as_str()).unwrap().to_string()
    }
}

#[test]
fn flow_matrix_matches_the_json_report_and_severity_does_not_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let c = cache.to_str().unwrap();
    // Two apps: the sample app (third parties, omitted and incorrect) and
    // one with first-party permission flows (vague), rules extractor.
    for (app, extractor) in [("examples/sample-app", "model"), ("examples/sharelocation", "rules")] {
        let json = candor(&["check", app, "--format", "json", "--extractor", extractor, "--cache", c]);
        assert!(matches!(json.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&json.stderr));
        let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let mut expected: std::collections::BTreeMap<(String, String), String> = Default::default();
        for f in report["flows"].as_array().unwrap() {
            let key = (f["data_type"].as_str().unwrap().to_string(), recipient_key(&f["destination"]));
            let v = f["verdict"].as_str().unwrap().to_string();
            let e = expected.entry(key).or_insert_with(|| v.clone());
            if rank(&v) > rank(e) {
                *e = v;
            }
        }
        assert!(!expected.is_empty(), "{app}: no flows");

        let file = dir.path().join(format!("{}.html", app.replace('/', "_")));
        let out = candor(&["check", app, "--format", "html", "--extractor", extractor, "--cache", c, "--out", file.to_str().unwrap()]);
        assert!(matches!(out.status.code(), Some(0 | 1)));
        let html = std::fs::read_to_string(&file).unwrap();
        assert_self_contained(&html);
        // Static: one cell per pair, before the findings.
        assert_eq!(html.matches("<td id=\"cell-").count(), expected.len(), "{app}: cells");
        let matrix_at = html.find("<table id=\"matrix\"").expect("matrix");
        assert!(html.find("<table id=\"findings\"").is_none_or(|f| matrix_at < f), "the matrix is not at the top");
        let measured = html.replace("</body>", &format!("{MEASURE_JS}</body>"));
        std::fs::write(&file, measured).unwrap();

        for window in [(390, 844), (1400, 900)] {
            let Some(dom) = dump_dom_sized(&file, Some(window)) else { return };
            let m = measurements(&dom);
            let cells = m["cells"].as_array().unwrap();
            let mut seen: std::collections::BTreeMap<(String, String), String> = Default::default();
            let legend = m["legend"].as_object().unwrap();
            assert_eq!(legend.len(), 5, "legend: {legend:?}");
            let colours: std::collections::BTreeSet<&str> = legend.values().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(colours.len(), 5, "verdict colours are not distinct: {legend:?}");
            for cell in cells {
                let key = (cell["type"].as_str().unwrap().to_string(), cell["recipient"].as_str().unwrap().to_string());
                let v = cell["verdict"].as_str().unwrap();
                assert_eq!(cell["text"], v, "{app}: cell {key:?} shows another verdict");
                assert_eq!(cell["bg"], legend[v], "{app}: cell {key:?} is not coloured as {v}");
                // The cell links to the finding (or flow) about the same pair.
                assert_eq!(cell["target_type"], key.0.as_str(), "{app}: cell {key:?} links elsewhere: {cell}");
                if cell["target_recipient"] != "" {
                    assert_eq!(cell["target_recipient"], key.1.as_str(), "{app}: cell {key:?} links elsewhere: {cell}");
                }
                assert!(seen.insert(key.clone(), v.to_string()).is_none(), "{app}: two cells for {key:?}");
            }
            assert_eq!(seen, expected, "{app}: the matrix does not match the JSON report's flows");
            // Severity and code never wrap, at phone width either.
            let fixed = m["fixed"].as_array().unwrap();
            assert_eq!(fixed.len(), 2 * report["findings"].as_array().unwrap().len());
            for f in fixed {
                assert_eq!(f["lines"], 1, "{app} at {window:?}: wraps: {f}");
                assert_eq!(f["overflow"], false, "{app} at {window:?}: overflows: {f}");
            }
            assert_eq!(m["page_overflow"], false, "{app} at {window:?}: the page scrolls sideways");
        }
    }
}

#[test]
fn sample_app_terminal_output_is_short_and_verbose_lists_everything() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().to_str().unwrap();
    let out = candor(&["check", "examples/sample-app", "--cache", c]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() <= 60, "{} lines:\n{text}", lines.len());
    assert!(lines.last().unwrap().starts_with("summary: "), "{text}");
    let json = candor(&["check", "examples/sample-app", "--cache", c, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // Every data type observed is in the matrix; every recipient is named.
    for f in report["flows"].as_array().unwrap() {
        let t = f["data_type"].as_str().unwrap();
        assert!(lines.iter().any(|l| l.trim_start().starts_with(&format!("{t} "))), "{t} missing from the matrix:\n{text}");
    }
    for org in ["Branch Metrics", "Bugsnag", "Facebook"] {
        assert!(text.contains(&format!("sent to {org} (")), "{org}:\n{text}");
    }
    // Evidence: at most two lines per diagnostic.
    let mut run = 0;
    for l in &lines {
        run = if l.starts_with("  --> ") { run + 1 } else { 0 };
        assert!(run <= 2, "more than two evidence lines:\n{text}");
    }

    let verbose = candor(&["check", "examples/sample-app", "--cache", c, "--verbose"]);
    let vtext = String::from_utf8(verbose.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let heads = vtext.lines().filter(|l| l.starts_with("error[") || l.starts_with("warning[") || l.starts_with("note[")).count();
    assert_eq!(heads, findings.len(), "--verbose lists every finding");
    // All evidence: every request flow of a finding (all but clear ones) appears.
    let requests =
        report["flows"].as_array().unwrap().iter().filter(|f| f["source"]["kind"] == "request" && f["verdict"] != "clear").count();
    assert_eq!(vtext.matches("  --> examples/sample-app/first-run.har #").count() - count_recipient_labels(findings), requests, "{vtext}");
    assert!(vtext.lines().last().unwrap().starts_with("summary: "));
}

/// Request labels of undisclosed-recipient findings (they are contacts, not flows).
fn count_recipient_labels(findings: &[serde_json::Value]) -> usize {
    findings.iter().filter(|f| f["code"] == "CND011").map(|f| f["labels"].as_array().unwrap().len()).sum()
}

/// Drives the catalog page's table after it loaded and writes what it saw
/// into `<pre id="measure">`: rows in the document and the counter, after
/// load, a filter, two sorts, the next page, a bigger page and opening one
/// app's report, with the time each took.
const CATALOG_JS: &str = r#"<script>
(function(){
  var t0=performance.now(),out={loaded_ms:t0};
  function rows(){return Array.prototype.map.call(document.querySelectorAll('#apps tbody tr'),function(r){return r.getAttribute('data-app');});}
  function snap(name){var t=performance.now(),r=rows();out[name]={rows:r.length,first:r[0]||null,last:r[r.length-1]||null,count:document.getElementById('apps-count').textContent,ms:t-t1};}
  var t1=performance.now();snap('initial');
  var q=document.querySelector('#apps-filters [data-key="app"]');
  t1=performance.now();q.value='big00042';q.dispatchEvent(new Event('input'));snap('filtered');
  q.value='';q.dispatchEvent(new Event('input'));
  var th=document.querySelector('#apps th[data-sort="app"]');
  t1=performance.now();th.click();snap('by_app');
  t1=performance.now();th.click();snap('by_app_desc');
  t1=performance.now();document.querySelector('#apps-pager .next').click();snap('next_page');
  var size=document.querySelector('#apps-pager .size');size.value='500';
  t1=performance.now();size.dispatchEvent(new Event('change'));snap('page_500');
  location.hash='#app=org.example.big00004';window.dispatchEvent(new HashChangeEvent('hashchange'));
  var d=document.getElementById('app-detail');out.detail={hidden:d.hidden,text:d.textContent.slice(0,400),findings:d.querySelectorAll('tbody tr').length};
  var pre=document.createElement('pre');pre.id='measure';pre.textContent=JSON.stringify(out);document.body.appendChild(pre);
})();
</script>"#;

#[test]
fn catalog_table_of_10000_apps_pages_sorts_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let catalog = root().join("tests/fixtures/catalog/apps.jsonl");
    let run = candor(&["catalog", "run", catalog.to_str().unwrap(), "--store", store.to_str().unwrap(), "--extractor", "rules", "--jobs", "2", "--progress", "quiet"]);
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stderr));
    // 10,000 apps made from the 30 checked ones.
    let mut report = candor::catalog::summary::CatalogReport::load(&[store]).unwrap();
    let base = std::mem::take(&mut report.apps);
    let with_findings = base.iter().filter(|a| !a.findings.is_empty()).count();
    assert!(with_findings > 0 && with_findings < base.len());
    for i in 0..10_000 {
        let mut a = base[i % base.len()].clone();
        a.app_id = format!("org.example.big{i:05}");
        report.apps.push(a);
    }
    report.summary.apps = report.apps.len();
    let html = candor::report::render_catalog_html(&report);
    eprintln!("10,000 apps: {} MB of HTML", html.len() / 1_000_000);
    assert_self_contained(&html);
    // The rows are not in the page as HTML: the script renders one page of them.
    assert_eq!(html.matches("<tr data-app=\"org.").count(), 0);
    let file = dir.path().join("big.html");
    std::fs::write(&file, html.replace("</body>", &format!("{CATALOG_JS}</body>"))).unwrap();
    let started = std::time::Instant::now();
    let Some(dom) = dump_dom_sized(&file, Some((1280, 900))) else { return };
    eprintln!("10,000 apps rendered and driven in {:?}", started.elapsed());
    let m = measurements(&dom);
    eprintln!("{m}");
    let step = |k: &str| &m[k];
    assert_eq!(step("initial")["rows"], 50, "{m}");
    assert_eq!(step("initial")["count"], "10000 of 10000");
    // Most severe first: the first app has findings, the last of the first page too.
    let first = step("initial")["first"].as_str().unwrap();
    let first_base = &base[first.trim_start_matches("org.example.big").parse::<usize>().unwrap() % base.len()];
    assert!(first_base.findings.iter().any(|f| f.severity == candor::compare::Severity::Error), "{first}");
    assert_eq!(step("filtered")["rows"], 1);
    assert_eq!(step("filtered")["count"], "1 of 10000");
    assert_eq!(step("filtered")["first"], "org.example.big00042");
    assert_eq!(step("by_app")["first"], "org.example.big00000");
    assert_eq!(step("by_app")["last"], "org.example.big00049");
    assert_eq!(step("by_app_desc")["first"], "org.example.big09999");
    assert_eq!(step("next_page")["first"], "org.example.big09949");
    assert_eq!(step("page_500")["rows"], 500);
    assert_eq!(step("page_500")["first"], "org.example.big09999");
    let detail = &m["detail"];
    assert_eq!(detail["hidden"], false, "{m}");
    assert!(detail["text"].as_str().unwrap().contains("org.example.big00004"), "{m}");
    assert_eq!(detail["findings"].as_u64().unwrap() as usize, base[4].findings.len().min(25), "{m}");
    // Usable: loading and each step well within what a reader waits for
    // (generous bounds for a loaded 2-core machine).
    assert!(m["loaded_ms"].as_f64().unwrap() < 15_000.0, "{m}");
    for k in ["filtered", "by_app", "by_app_desc", "next_page", "page_500"] {
        assert!(step(k)["ms"].as_f64().unwrap() < 2_000.0, "{k}: {m}");
    }
}

#[test]
fn chinese_policy_is_shown_with_a_cjk_font() {
    let html = html_report_of_text_policy("隐私政策\n\n我们会收集您的设备型号和位置信息，用于提供服务。我们不会向第三方出售您的个人信息。\n");
    assert!(html.contains("<div id=\"policy\" lang=\"zh\">"), "the policy pane is not marked Chinese");
    assert!(html.contains("我们会收集您的设备型号"));
    let probe = r#"<script>var pre=document.createElement('pre');pre.id='measure';
      pre.textContent=JSON.stringify({font:getComputedStyle(document.getElementById('policy')).fontFamily});document.body.appendChild(pre);</script>"#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zh.html");
    std::fs::write(&file, html.replace("</body>", &format!("{probe}</body>"))).unwrap();
    if let Some(dom) = dump_dom(&file) {
        let font = measurements(&dom)["font"].as_str().unwrap().to_string();
        for family in ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC"] {
            assert!(font.contains(family), "{family} missing from the font stack: {font}");
        }
    }
}

#[test]
fn policy_sentences_are_coloured_by_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().to_str().unwrap();
    let json = candor(&["check", "examples/sample-app", "--cache", c, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let file = dir.path().join("r.html");
    candor(&["check", "examples/sample-app", "--cache", c, "--format", "html", "--out", file.to_str().unwrap()]);
    let html = std::fs::read_to_string(&file).unwrap();
    // What the practices of each sentence say: discloses, denies, scoped (decides nothing), or a mix.
    let mut spans: std::collections::BTreeMap<u64, std::collections::BTreeSet<&str>> = Default::default();
    for p in report["practices"].as_array().unwrap() {
        let kind = match (p.get("scope").is_some_and(|s| !s.is_null()), p["negated"].as_bool().unwrap()) {
            (true, _) => "scoped",
            (false, true) => "deny",
            (false, false) => "disclose",
        };
        spans.entry(p["evidence"]["start"].as_u64().unwrap()).or_default().insert(kind);
    }
    let mut classes = std::collections::BTreeSet::new();
    for (start, kinds) in &spans {
        let expected = if kinds.len() == 1 { *kinds.iter().next().unwrap() } else { "mixed" };
        let mark = format!("<mark id=\"ev-{start}\" class=\"");
        let Some(at) = html.find(&mark) else { continue }; // overlapped by an earlier mark
        let class = &html[at + mark.len()..];
        let class = &class[..class.find('"').unwrap()];
        assert_eq!(class, expected, "sentence at {start}: {kinds:?}");
        classes.insert(class.to_string());
    }
    assert!(classes.contains("disclose") && classes.len() >= 2, "{classes:?}");
    // A sentence that decides a flow links to its matrix cell, and the cell back to a sentence.
    assert!(html.contains("<sup class=\"refs\"><a href=\"#cell-"));
    assert!(html.contains("<a class=\"para\" href=\"#ev-"));
}
