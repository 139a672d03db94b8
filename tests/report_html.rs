//! The HTML reports (one app, a catalog): rendered in headless Chromium,
//! the evidence is highlighted and the tables are there and filtered by the
//! inline script; and the pages reference no external resource.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn candor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_candor")).args(args).current_dir(root()).env("NO_COLOR", "1").output().expect("run candor")
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM after scripts ran, or `None` when Chromium is not installed.
fn dump_dom(file: &Path) -> Option<String> {
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
        assert_eq!(dom.matches("<tr data-app=").count(), 30);
        assert!(dom.contains("30 of 30"), "the filter script did not run");
    }
}

#[test]
fn html_escapes_policy_text() {
    let dir = tempfile::tempdir().unwrap();
    // Plain text keeps the markup as text (Markdown and HTML ingest would drop the tags).
    let policy = dir.path().join("privacy.txt");
    std::fs::write(&policy, "Policy\n\nWe collect your <script>alert(1)</script> location & \"email address\" and share it with Google.\n").unwrap();
    let file = dir.path().join("r.html");
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
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(!html.contains("<script>alert(1)"), "unescaped policy text");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the policy text is not shown escaped");
    assert_eq!(html.matches("<script>").count(), 1, "only candor's own script");
}
