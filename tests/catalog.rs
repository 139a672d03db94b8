//! `candor catalog` end to end: resuming after a kill, bad catalog lines,
//! missing files, shards, the report formats, CSV catalogs and changed inputs.
//! Runs use `--extractor rules` (fast), except one that checks the model-backed
//! catalog against `candor check` app by app.

#[path = "support/json_schema.rs"]
mod json_schema;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    root().join("tests/fixtures/catalog").join(name).display().to_string()
}

fn candor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run candor")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run_catalog(catalog: &str, store: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["catalog", "run", catalog, "--store", store.to_str().unwrap(), "--extractor", "rules", "--jobs", "2"];
    args.extend_from_slice(extra);
    candor(&args)
}

fn report_json(stores: &[&Path]) -> serde_json::Value {
    let mut args = vec!["catalog", "report", "--format", "json"];
    for s in stores {
        args.push("--store");
        args.push(s.to_str().unwrap());
    }
    let out = candor(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("catalog report is JSON")
}

fn app_ids(report: &serde_json::Value) -> Vec<String> {
    report["apps"].as_array().unwrap().iter().map(|a| a["app_id"].as_str().unwrap().to_string()).collect()
}

fn catalog_ids(file: &str) -> BTreeSet<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["app_id"].as_str().unwrap().to_string())
        .collect()
}

/// The parts of each app's result that must not depend on how the run went.
fn outcomes(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let key = serde_json::json!([a["status"], a["verdict_counts"], a["findings"], a["error"], a["input_hash"]]);
            (a["app_id"].as_str().unwrap().to_string(), key.to_string())
        })
        .collect()
}

#[test]
fn catalog_resumes_after_kill_with_every_app_exactly_once() {
    let catalog = fixture("apps.jsonl");
    let expected = catalog_ids(&catalog);
    assert_eq!(expected.len(), 30);
    let dir = tempfile::tempdir().unwrap();
    let killed = dir.path().join("killed");
    let whole = dir.path().join("whole");

    // A slow run (50 ms per app), killed with SIGKILL after its first stored results.
    let mut child = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["catalog", "run", &catalog, "--store", killed.to_str().unwrap(), "--extractor", "rules", "--jobs", "2"])
        .args(["--progress", "lines", "--progress-interval", "0", "--delay-ms", "50"])
        .current_dir(root())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen_done = 0usize;
    let mut log = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        // "catalog: 3/30 apps (10.0%), ..."
        if let Some(rest) = line.strip_prefix("catalog: ") {
            if let Some((done, _)) = rest.split_once('/') {
                if let Ok(n) = done.parse::<usize>() {
                    if n >= 3 {
                        seen_done = n;
                        child.kill().unwrap();
                        break;
                    }
                }
            }
        }
    }
    let status = child.wait().unwrap();
    assert!(seen_done >= 3, "the run never reported progress:\n{log}");
    assert!(!status.success(), "the run finished before it was killed:\n{log}");

    // Rerun with the same arguments: it carries on.
    let rerun = run_catalog(&catalog, &killed, &["--progress", "quiet"]);
    let err = text(&rerun.stderr);
    assert_eq!(rerun.status.code(), Some(1), "{err}");
    let up_to_date: usize = err
        .split_once("checked now (")
        .and_then(|(_, r)| r.split_once(" up to date"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary line: {err}"));
    assert!(up_to_date >= seen_done, "finished apps were recomputed ({up_to_date} < {seen_done}): {err}");
    assert!(up_to_date < 30, "{err}");

    // An uninterrupted run into another store.
    let full = run_catalog(&catalog, &whole, &["--progress", "quiet"]);
    assert_eq!(full.status.code(), Some(1), "{}", text(&full.stderr));

    let a = report_json(&[&killed]);
    let b = report_json(&[&whole]);
    let ids_a = app_ids(&a);
    assert_eq!(ids_a.len(), 30, "every app exactly once");
    assert_eq!(ids_a.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(outcomes(&a), outcomes(&b));
    assert_eq!(a["summary"]["verdicts"], b["summary"]["verdicts"]);
    assert_eq!(a["summary"]["done"], 30);

    // A third run has nothing left to do.
    let again = run_catalog(&catalog, &killed, &["--progress", "quiet"]);
    assert!(text(&again.stderr).contains("0 checked now (30 up to date)"), "{}", text(&again.stderr));
}

#[test]
fn catalog_skips_malformed_lines_with_line_numbers_and_stores_failed_apps() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = run_catalog(&fixture("bad.jsonl"), &store, &["--progress", "quiet"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for line in [2, 3, 5, 6, 7] {
        assert!(err.contains(&format!("bad.jsonl:{line}: skipped")), "line {line} not reported: {err}");
    }
    assert!(err.contains("duplicate app_id \"good.one\" (first on line 1)"), "{err}");
    assert!(!err.contains("bad.jsonl:4:"), "a blank line is not an error: {err}");
    assert!(!err.contains("panicked"), "{err}");

    let report = report_json(&[&store]);
    let apps: BTreeMap<String, &serde_json::Value> =
        report["apps"].as_array().unwrap().iter().map(|a| (a["app_id"].as_str().unwrap().to_string(), a)).collect();
    assert_eq!(apps.keys().cloned().collect::<Vec<_>>(), ["good.one", "good.two", "missing.file", "missing.har", "missing.other"]);
    assert_eq!(apps["good.one"]["status"], "done");
    assert_eq!(apps["good.two"]["status"], "done");
    for (id, file) in [("missing.file", "NO_SUCH_POLICY.md"), ("missing.har", "no-such-capture.har"), ("missing.other", "NO_SUCH_OTHER.md")] {
        assert_eq!(apps[id]["status"], "failed");
        let msg = apps[id]["error"].as_str().unwrap();
        assert!(msg.contains(file) && msg.contains("no such file"), "{id}: {msg}");
    }
    assert_eq!(report["summary"]["failed"], 3);

    let status = candor(&["catalog", "status", "--store", store.to_str().unwrap(), "--catalog", &fixture("bad.jsonl"), "--format", "json"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let s: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(s["done"], 2);
    assert_eq!(s["failed"], 3);
    assert_eq!(s["catalog"]["pending"], 0);
    assert_eq!(s["catalog"]["bad_lines"].as_array().unwrap().len(), 5);
}

#[test]
fn catalog_shards_cover_every_app_exactly_once() {
    let catalog = fixture("apps.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("shard{i}"))).collect();
    let mut seen: Vec<String> = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        let out = run_catalog(&catalog, store, &["--shard", &format!("{i}/3"), "--progress", "quiet"]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out.stderr));
        let ids = app_ids(&report_json(&[store]));
        assert!(!ids.is_empty(), "shard {i} is empty");
        seen.extend(ids);
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "an app is in two shards");
    assert_eq!(unique, catalog_ids(&catalog));
    let merged = report_json(&[&stores[0], &stores[1], &stores[2]]);
    assert_eq!(app_ids(&merged).len(), 30);
    assert_eq!(merged["summary"]["apps"], 30);

    let bad = run_catalog(&catalog, &dir.path().join("x"), &["--shard", "3/3"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn catalog_report_formats_parse() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = run_catalog(&fixture("apps.jsonl"), &store, &["--progress", "quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let s = store.to_str().unwrap();

    let json = report_json(&[&store]);
    assert_eq!(json["schema"], "candor-catalog/1");
    for app in json["apps"].as_array().unwrap() {
        assert!(app["verdict_counts"].is_object());
        assert!(app["findings"].is_array());
    }
    let summary = &json["summary"];
    assert!(summary["verdicts"]["omitted"].as_u64().unwrap() > 0);
    let recipients: Vec<&str> = summary["undisclosed_recipients"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(recipients.contains(&"facebook"), "{recipients:?}");
    let ranking = summary["ranking"].as_array().unwrap();
    assert!(!ranking.is_empty());
    let key = |r: &serde_json::Value| (r["errors"].as_u64().unwrap(), r["warnings"].as_u64().unwrap(), r["notes"].as_u64().unwrap());
    assert!(ranking.windows(2).all(|w| key(&w[0]) >= key(&w[1])), "ranking is not by severity");

    let csv_out = candor(&["catalog", "report", "--store", s, "--format", "csv"]);
    assert_eq!(csv_out.status.code(), Some(0));
    let mut rdr = csv::Reader::from_reader(&csv_out.stdout[..]);
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "app_id");
    assert!(headers.iter().any(|h| h == "omitted"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 30);

    let sarif_out = candor(&["catalog", "report", "--store", s, "--format", "sarif"]);
    assert_eq!(sarif_out.status.code(), Some(0));
    check_sarif(&serde_json::from_slice(&sarif_out.stdout).unwrap());

    let md = candor(&["catalog", "report", "--store", s, "--format", "md"]);
    assert!(text(&md.stdout).starts_with("# candor catalog report"));

    let html_path = dir.path().join("catalog.html");
    let html = candor(&["catalog", "report", "--store", s, "--format", "html", "--out", html_path.to_str().unwrap()]);
    assert_eq!(html.status.code(), Some(0));
    let page = std::fs::read_to_string(&html_path).unwrap();
    assert!(page.contains("<svg") && page.contains("id=\"apps\""));

    // SARIF for one app too.
    let cache = dir.path().join("cache");
    let one = candor(&["check", "examples/sample-app", "--format", "sarif", "--extractor", "rules", "--cache", cache.to_str().unwrap()]);
    assert_eq!(one.status.code(), Some(1), "{}", text(&one.stderr));
    check_sarif(&serde_json::from_slice(&one.stdout).unwrap());

    let missing = candor(&["catalog", "report", "--store", dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
}

/// The OASIS SARIF 2.1.0 JSON schema (tests/fixtures/sarif/SOURCES.md).
fn sarif_schema() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Valid against the SARIF 2.1.0 schema, with the fields code-scanning tools read.
fn check_sarif(v: &serde_json::Value) {
    let errors = json_schema::validate(&sarif_schema(), v);
    assert!(errors.is_empty(), "SARIF schema violations:\n{}", errors.join("\n"));
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-schema-2.1.0"));
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "candor");
    let rules = driver["rules"].as_array().unwrap();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(rule_ids.contains(&"CND001") && rule_ids.contains(&"CND011"));
    let results = runs[0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        assert!(rule_ids.contains(&id));
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], id);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].is_string(), "{r}");
        if let Some(region) = loc.get("region") {
            assert!(region["byteOffset"].is_u64() && region["byteLength"].is_u64());
        }
    }
}

#[test]
fn sarif_schema_validation_catches_broken_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let out = candor(&["check", "examples/sample-app", "--format", "sarif", "--extractor", "rules", "--cache", cache.to_str().unwrap()]);
    let good: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema = sarif_schema();
    assert!(json_schema::validate(&schema, &good).is_empty());
    let mut bad = good.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    bad["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
    bad["runs"][0]["tool"]["driver"]["rules"][0]["colour"] = "red".into();
    bad["version"] = "2.0.0".into();
    let errors = json_schema::validate(&schema, &bad).join("\n");
    for want in ["/runs/0/results/0/level", "\"message\" is missing", "\"colour\" is not allowed", "/version"] {
        assert!(errors.contains(want), "{want} not reported in:\n{errors}");
    }
}

#[test]
fn catalog_csv_input_matches_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("jsonl"), dir.path().join("csv"));
    assert_eq!(run_catalog(&fixture("apps.jsonl"), &a, &["--progress", "quiet"]).status.code(), Some(1));
    let out = run_catalog(&fixture("apps.csv"), &b, &["--progress", "quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let (ra, rb) = (report_json(&[&a]), report_json(&[&b]));
    assert_eq!(app_ids(&ra), app_ids(&rb));
    assert_eq!(ra["summary"]["verdicts"], rb["summary"]["verdicts"]);
}

#[test]
fn catalog_recomputes_an_app_whose_input_changed() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.md");
    std::fs::copy(root().join("examples/sharelocation/PRIVACY_POLICY.md"), &policy).unwrap();
    let manifest = root().join("examples/sharelocation/AndroidManifest.xml");
    let catalog = dir.path().join("catalog.jsonl");
    let mut lines = String::new();
    for i in 0..4 {
        let p = if i == 0 { "policy.md".to_string() } else { root().join("examples/opennote/PRIVACY_POLICY.md").display().to_string() };
        lines.push_str(&serde_json::json!({"app_id": format!("a{i}"), "policy": p, "manifest": manifest.display().to_string()}).to_string());
        lines.push('\n');
    }
    std::fs::write(&catalog, lines).unwrap();
    let store = dir.path().join("store");
    let c = catalog.to_str().unwrap();
    let first = run_catalog(c, &store, &["--progress", "quiet"]);
    assert!(text(&first.stderr).contains("4 checked now (0 up to date), 2 policies extracted"), "{}", text(&first.stderr));
    let same = run_catalog(c, &store, &["--progress", "quiet"]);
    assert!(text(&same.stderr).contains("0 checked now (4 up to date), 0 policies extracted"), "{}", text(&same.stderr));

    let mut body = std::fs::read_to_string(&policy).unwrap();
    body.push_str("\n\nWe collect your precise location and share it with advertising partners.\n");
    std::fs::write(&policy, body).unwrap();
    let status = candor(&["catalog", "status", "--store", store.to_str().unwrap(), "--catalog", c]);
    assert!(text(&status.stdout).contains("1 pending (0 never run, 1 with changed inputs)"), "{}", text(&status.stdout));
    let changed = run_catalog(c, &store, &["--progress", "quiet"]);
    assert!(text(&changed.stderr).contains("1 checked now (3 up to date), 1 policies extracted"), "{}", text(&changed.stderr));
}

#[test]
fn catalog_with_the_model_gives_each_app_what_check_gives_it() {
    // Policies are read a window at a time, their sentences batched
    // together across apps; each app must still get exactly what a lone
    // `candor check` with the model gives it.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let catalog = fixture("apps.jsonl");
    let out = candor(&["catalog", "run", &catalog, "--store", store.to_str().unwrap(), "--extractor", "model", "--jobs", "2"]);
    assert_ne!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let report = report_json(&[&store]);
    let base = root().join("tests/fixtures/catalog");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&catalog)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut compared = 0;
    for line in lines.iter().take(5) {
        let id = line["app_id"].as_str().unwrap();
        let mut args: Vec<String> = vec!["check".into(), "--format".into(), "json".into(), "--extractor".into(), "model".into()];
        for (key, flag) in [("policy", "--policy"), ("manifest", "--manifest"), ("traffic", "--traffic"), ("device", "--device")] {
            let paths: Vec<&str> = match &line[key] {
                serde_json::Value::String(s) => vec![s.as_str()],
                serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                _ => vec![],
            };
            for p in paths {
                args.push(flag.into());
                args.push(base.join(p).display().to_string());
            }
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = candor(&argv);
        assert_ne!(out.status.code(), Some(2), "{id}: {}", text(&out.stderr));
        let check: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let app = report["apps"].as_array().unwrap().iter().find(|a| a["app_id"] == id).expect("app in report");
        assert_eq!(app["verdict_counts"], check["summary"]["verdicts"], "{id}");
        assert_eq!(
            app["findings"].as_array().unwrap().len(),
            check["findings"].as_array().unwrap().len(),
            "{id}: findings"
        );
        compared += 1;
    }
    assert_eq!(compared, 5);
}
