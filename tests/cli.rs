//! The `candor` binary end to end: exit codes, output formats, app folders,
//! the cache, and bad input (exit 2, a message naming the file, no panic).

use std::path::Path;

#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;
use run::{candor, stderr, stdout, write};

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}


#[test]
fn check_sample_app_reports_undisclosed_recipients_as_json() {
    let cache = temp_dir();
    let out = candor(&[
        "check",
        "examples/sample-app",
        "--format",
        "json",
        "--cache",
        cache.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["schema"], "candor-report/1");
    let flows = v["flows"].as_array().unwrap();
    assert!(!flows.is_empty());
    for f in flows {
        let verdict = f["verdict"].as_str().unwrap();
        assert!(["clear", "vague", "omitted", "incorrect", "ambiguous"].contains(&verdict));
        assert!(f["destination"]["host"].is_string());
    }
    let findings = v["findings"].as_array().unwrap();
    let undisclosed: Vec<&str> = findings
        .iter()
        .filter(|f| f["code"] == "CND011")
        .filter_map(|f| f["recipient"].as_str())
        .collect();
    for org in ["facebook", "branch", "bugsnag"] {
        assert!(undisclosed.contains(&org), "{org} missing from {undisclosed:?}");
    }
    // The advertising ID (a value match from the device profile) reaches Branch.
    assert!(flows.iter().any(|f| f["data_type"] == "advertising_id" && f["destination"]["organization"] == "branch"));
}

#[test]
fn fail_on_none_exits_zero_and_markdown_renders() {
    let out = candor(&["check", "examples/sample-app", "--format", "md", "--fail-on", "none", "--no-cache"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(md.starts_with("# candor report"));
    assert!(md.contains("## Findings") && md.contains("CND011"));
}

#[test]
fn text_output_reads_like_diagnostics() {
    let out = candor(&["check", "examples/sample-app", "--no-cache"]);
    let text = stdout(&out);
    assert!(text.contains("warning[CND011]"), "{text}");
    assert!(text.contains("--> "), "{text}");
    assert!(text.contains("summary:"), "{text}");
    assert!(!text.contains("\x1b["), "no colour when not a terminal");
}

#[test]
fn second_run_uses_the_cache() {
    let cache = temp_dir();
    let c = cache.path().to_str().unwrap();
    let args = ["check", "--policy", "examples/sharelocation/PRIVACY_POLICY.md", "--manifest", "examples/sharelocation/AndroidManifest.xml", "--format", "json", "--fail-on", "none", "--cache", c];
    let first: serde_json::Value = serde_json::from_str(&stdout(&candor(&args))).unwrap();
    let second: serde_json::Value = serde_json::from_str(&stdout(&candor(&args))).unwrap();
    assert_eq!(first["extractor"]["cached"], false);
    assert_eq!(second["extractor"]["cached"], true);
    assert_eq!(first["practices"], second["practices"]);
    assert_eq!(first["flows"], second["flows"]);
}

#[test]
fn extract_prints_practices_with_evidence_spans() {
    let out = candor(&["extract", "policies/policond-FindmyPhoneFamilyLocator.html", "--format", "json", "--no-cache"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let practices = v["practices"].as_array().unwrap();
    assert!(practices.len() >= 5, "{}", practices.len());
    for p in practices {
        for key in ["actor", "action", "data_type", "negated"] {
            assert!(!p[key].is_null(), "{key} missing in {p}");
        }
        let (s, e) = (p["evidence"]["start"].as_u64().unwrap(), p["evidence"]["end"].as_u64().unwrap());
        assert!(s < e && !p["evidence"]["text"].as_str().unwrap().is_empty());
    }
    assert!(practices.iter().any(|p| p["data_type"].as_str().unwrap().contains("location")));
}

#[test]
fn ontology_commands_print_json() {
    let out = candor(&["ontology", "data-types", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let types = v["data_types"].as_array().unwrap();
    assert!(types.len() >= 60);
    assert!(types.iter().all(|t| t["id"].is_string() && t["names"].is_array() && t.get("parent").is_some()));
    let out = candor(&["ontology", "entities", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v["organizations"].as_array().unwrap().len() >= 1000);
}

#[test]
fn bad_input_exits_2_with_a_message_naming_the_file() {
    let dir = temp_dir();
    let junk = write(dir.path(), "junk.html", &[0x89, b'P', b'N', b'G', 0, 0, 0, 13, 0xff, 0xfe, 0, 1, 2, 3, 0, 0]);
    let truncated = write(dir.path(), "cut.har", br#"{"log": {"version": "1.2", "entries": [{"request": {"method": "GET", "url": "#);
    let bomb = write(
        dir.path(),
        "bomb.xml",
        br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<manifest package="&lol3;"/>"#,
    );
    let policy = "examples/sharelocation/PRIVACY_POLICY.md";
    let cases: Vec<(Vec<&str>, &Path)> = vec![
        (vec!["check", "--policy", junk.to_str().unwrap(), "--extractor", "rules"], junk.as_path()),
        (vec!["check", "--policy", policy, "--traffic", truncated.to_str().unwrap(), "--extractor", "rules"], truncated.as_path()),
        (vec!["check", "--policy", policy, "--manifest", bomb.to_str().unwrap(), "--extractor", "rules"], bomb.as_path()),
        (vec!["check", "--policy", "does/not/exist.md"], Path::new("does/not/exist.md")),
    ];
    for (args, file) in cases {
        let out = candor(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&file.display().to_string()), "{args:?}: message does not name the file: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Usage errors are exit 2 as well.
    let out = candor(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let out = candor(&["check", "--policy", policy, "--fail-on", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bogus"));
}

#[test]
fn device_profile_with_an_unknown_key_is_rejected() {
    let dir = temp_dir();
    let device = write(dir.path(), "device.json", br#"{"favourite_colour": "blue"}"#);
    let out = candor(&["check", "examples/sample-app", "--device", device.to_str().unwrap(), "--extractor", "rules", "--no-cache"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("favourite_colour") && err.contains("device.json"), "{err}");
}

#[test]
fn min_confidence_keeps_only_certain_flows() {
    let out = candor(&["check", "examples/sample-app", "--format", "json", "--min-confidence", "1", "--no-cache", "--fail-on", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let flows = v["flows"].as_array().unwrap();
    assert!(!flows.is_empty());
    assert!(flows.iter().all(|f| f["confidence"].as_f64().unwrap() >= 1.0));
    assert!(flows.iter().all(|f| f["data_type"] == "advertising_id"), "only the device-profile value is certain here");
    let out = candor(&["check", "examples/sample-app", "--min-confidence", "2", "--no-cache"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--min-confidence"));
}

#[test]
fn eval_and_bench_run_on_the_shipped_data() {
    let out = candor(&["eval", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["opp115_heldout"]["examples"], 1509);
    let halves = v["app_sentences"].as_array().expect("app sentence scores");
    assert_eq!(halves.len(), 4, "model and rules on the dev and test halves");
    let sentences: u64 = halves.iter().filter(|h| h["extractor"] == "model").map(|h| h["sentences"].as_u64().unwrap()).sum();
    assert_eq!(sentences, 256);
    for h in halves {
        let r = h["recall"].as_f64().unwrap();
        assert!(r > 0.0 && r <= 1.0, "{h}");
    }
    let groups = &v["opp115_heldout"]["groups_adjudicated"];
    assert_eq!(groups["labelled"], 1509, "every held-out sentence has adjudicated data groups");
    let support: u64 = groups["extractor"].as_array().unwrap().iter().map(|s| s["support"].as_u64().unwrap()).sum();
    assert_eq!(groups["extractor"].as_array().unwrap().len(), 14);
    assert!(support > groups["with_groups"].as_u64().unwrap(), "some sentences hold several groups: {support}");
    for who in ["model_macro_f1", "extractor_macro_f1", "baseline_macro_f1"] {
        let f = groups[who].as_f64().unwrap();
        assert!(f > 0.0 && f < 1.0, "{who} {f}");
    }

    // The error listing names, for each sentence the model got wrong, what it missed and what it added.
    let dir = temp_dir();
    let errors = dir.path().join("errors.jsonl");
    let out = candor(&["eval", "--negation-labels", "", "--group-labels", "", "--errors", errors.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("| model | dev |"), "{}", stdout(&out));
    let listed: Vec<serde_json::Value> =
        std::fs::read_to_string(&errors).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!listed.is_empty() && listed.len() < 256);
    for e in &listed {
        let n = e["missed"].as_array().unwrap().len() + e["wrong"].as_array().unwrap().len();
        assert!(n > 0 && ["dev", "test"].contains(&e["half"].as_str().unwrap()), "{e}");
    }
    let out = candor(&["bench", "policies/fairemail-PRIVACY.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sentences/s") && text.contains("peak RSS"), "{text}");
}

#[test]
fn tune_picks_the_negation_threshold_from_hand_labels_and_writes_it() {
    let dir = temp_dir();
    let model = dir.path().join("model");
    std::fs::create_dir(&model).unwrap();
    for f in ["config.json", "labels.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(Path::new("models/candor-minilm").join(f), model.join(f)).unwrap();
    }
    let sentences = [
        ("We do not sell your personal information to anyone.", true),
        ("We will never share your email address with advertisers.", true),
        ("No precise location data is collected by the app.", true),
        ("We collect your email address when you register.", false),
        ("We share usage data with analytics providers.", false),
        ("If you do not provide your email address, you cannot register.", false),
    ];
    let mut data = String::new();
    let mut labels = String::new();
    for (text, negated) in sentences {
        data.push_str(&serde_json::json!({"policy": "p", "text": text, "labels": []}).to_string());
        data.push('\n');
        labels.push_str(&serde_json::json!({"policy": "p", "text": text, "negated": negated}).to_string());
        labels.push('\n');
    }
    let data = write(dir.path(), "validation.jsonl", data.as_bytes());
    let labels = write(dir.path(), "negation.jsonl", labels.as_bytes());
    let args = ["tune", "--data", data.to_str().unwrap(), "--negation-labels", labels.to_str().unwrap(), "--model", model.to_str().unwrap()];
    let out = candor(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().filter(|l| l.starts_with("| 0.")).count(), 19, "{text}");
    let best: f32 = text
        .lines()
        .find_map(|l| l.strip_prefix("negation threshold: current ").and_then(|r| r.split("best ").nth(1)))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .expect("best threshold printed");
    // These six sentences are easy: the best threshold separates them perfectly.
    assert!(text.contains("(F1 1.000)"), "{text}");
    let mut with_write = args.to_vec();
    with_write.push("--write");
    assert_eq!(candor(&with_write).status.code(), Some(0));
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(model.join("labels.json")).unwrap()).unwrap();
    let negated_index = 8; // practice, first_party, third_party, 5 actions, negated
    let t = written["thresholds"][negated_index].as_f64().unwrap() as f32;
    assert!((t - best).abs() < 1e-6, "{t} vs {best}");
}
