//! China's app rules (MIIT, `src/rules/`) end to end: each rule on an app
//! that breaks it and on one that satisfies it, in JSON and every other
//! report format, and in catalog summaries. Runs use `--extractor rules`
//! (no model): the rules do not depend on extracted practices.

#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use run::{candor, stderr, stdout};
use serde_json::Value;

const DIR: &str = "tests/fixtures/miit_rules";

fn fx(name: &str) -> String {
    format!("{DIR}/{name}")
}

/// `candor check` with the fixture manifest and device profile, as JSON.
fn check_json(policy: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let policy = fx(policy);
    let (manifest, device) = (fx("AndroidManifest.xml"), fx("device.json"));
    let mut args = vec!["check", "--policy", &policy, "--manifest", &manifest, "--device", &device, "--first-party-domain", "weather.example", "--extractor", "rules", "--no-cache", "--format", "json"];
    args.extend_from_slice(extra);
    let out = candor(&args);
    let code = out.status.code();
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}: {}", stderr(&out));
    (code, serde_json::from_str(&stdout(&out)).expect("JSON report"))
}

fn findings<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).collect()
}

fn codes(report: &Value) -> Vec<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).filter(|c| c.starts_with("MIIT")).collect()
}

/// The distinct request URLs of a finding's evidence, sorted.
fn request_urls(f: &Value) -> Vec<String> {
    let mut v: Vec<String> = f["labels"].as_array().unwrap().iter().filter(|l| l["kind"] == "request").map(|l| l["url"].as_str().unwrap().to_string()).collect();
    v.sort();
    v.dedup();
    v
}

const TEXT_CODES: [&str; 6] = [
    "MIIT-2.1-collection-list",
    "MIIT-3.8-withdraw-consent",
    "MIIT-6.1-delete-data",
    "MIIT-6.1-cancel-account",
    "MIIT-6.5-complaint-channel",
    "MIIT-6.5-response-time",
];

#[test]
fn pre_consent_capture_reports_identifiers_with_evidence() {
    let leak = fx("pre-consent-leak.har");
    let (code, r) = check_json("policy_complete_zh.txt", &["--pre-consent", &leak]);
    let f = findings(&r, "MIIT-3.1-pre-consent");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["kind"], "pre-consent-collection");
    assert_eq!(f[0]["recipient"], "umeng");
    assert!(f[0]["message"].as_str().unwrap().contains("android_id"), "{}", f[0]["message"]);
    assert_eq!(request_urls(f[0]), vec!["https://ulogs.umeng.com/unify_logs"]);
    // An error in the default --fail-on.
    assert_eq!(code, Some(1));
    // The capture is read as traffic too.
    assert!(r["inputs"]["traffic"].as_array().unwrap().iter().any(|t| t.as_str().unwrap().ends_with("pre-consent-leak.har")));
}

#[test]
fn policy_page_and_static_assets_before_consent_are_not_findings() {
    let clean = fx("pre-consent-clean.har");
    let (_, r) = check_json("policy_complete_zh.txt", &["--pre-consent", &clean]);
    assert!(findings(&r, "MIIT-3.1-pre-consent").is_empty(), "{:#?}", r["findings"]);
    // The same requests without a consent split: no rule runs on them either.
    let (_, r) = check_json("policy_complete_zh.txt", &["--traffic", &fx("pre-consent-leak.har")]);
    assert!(findings(&r, "MIIT-3.1-pre-consent").is_empty());
}

#[test]
fn consent_at_splits_one_capture_by_request_time() {
    let timed = fx("timed.har");
    // Consent at 10:00:10 +08:00: the IMEI sent at 10:00:05 came before it; the policy page carries nothing.
    let (_, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed, "--consent-at", "2026-05-01T02:00:10Z"]);
    let f = findings(&r, "MIIT-3.1-pre-consent");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["data_type"], "imei");
    assert_eq!(f[0]["recipient"], "first_party");
    assert_eq!(request_urls(f[0]), vec!["https://api.weather.example/v1/register"]);
    assert!(f[0]["message"].as_str().unwrap().contains("before consent at 2026-05-01T02:00:10.000Z"));
    // Consent before every request: nothing came before it (the untimed request is never judged).
    let (_, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed, "--consent-at", "2026-05-01T09:59:00+08:00"]);
    assert!(findings(&r, "MIIT-3.1-pre-consent").is_empty());
    // Consent after everything: the location requests count too, the untimed one still not.
    let (_, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed, "--consent-at", "2026-05-02T00:00:00Z"]);
    let all: Vec<String> = findings(&r, "MIIT-3.1-pre-consent").iter().flat_map(|f| request_urls(f)).collect();
    assert!(all.iter().any(|u| u.contains("/v1/weather")), "{all:?}");
    assert!(!all.iter().any(|u| u.contains("untimed")), "{all:?}");
}

#[test]
fn bad_consent_time_and_limits_are_usage_errors() {
    for (flag, value, says) in [
        ("--consent-at", "yesterday", "RFC 3339"),
        ("--frequency-limit", "location=5", "TYPE=N/WINDOW"),
        ("--frequency-limit", "nonsense=5/1m", "unknown data type"),
        ("--app-type", "spaceships", "unknown app type"),
    ] {
        let out = candor(&["check", "--policy", &fx("policy_complete_zh.txt"), "--extractor", "rules", "--no-cache", flag, value]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        assert!(stderr(&out).contains(says), "{flag} {value}: {}", stderr(&out));
    }
}

#[test]
fn frequency_over_the_limit_is_reported_with_count_and_window() {
    let timed = fx("timed.har");
    let (_, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed]);
    let f = findings(&r, "MIIT-4.4-frequency");
    // 12 location requests within 33 s to api.weather.example (default: at most 10 per 60 s); 3 to geo.weather.example are fine.
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["severity"], "warning");
    assert_eq!(f[0]["data_type"], "location");
    let m = f[0]["message"].as_str().unwrap();
    assert!(m.contains("api.weather.example") && m.contains("in 12 requests within 60s"), "{m}");
    assert!(m.contains("2026-05-01T02:00:20.000Z to 2026-05-01T02:00:53.000Z"), "{m}");
    assert_eq!(f[0]["labels"].as_array().unwrap().len(), 5);
    // A looser limit given on the command line replaces the default.
    let (_, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed, "--frequency-limit", "location=12/1m"]);
    assert!(findings(&r, "MIIT-4.4-frequency").is_empty());
    // A stricter one catches the other host too.
    let (_, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed, "--frequency-limit", "location=2/30s"]);
    assert_eq!(findings(&r, "MIIT-4.4-frequency").len(), 2);
}

#[test]
fn necessary_information_follows_the_app_type() {
    let timed = fx("timed.har");
    // Map and navigation apps need location: only the identifiers are beyond it.
    let (code, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed, "--app-type", "地图导航类", "--fail-on", "none"]);
    assert_eq!(code, Some(0), "a note by default, not a failure");
    let f = findings(&r, "MIIT-4.1-unnecessary");
    let types: Vec<&str> = f.iter().map(|f| f["data_type"].as_str().unwrap()).collect();
    assert!(types.contains(&"imei") && !types.iter().any(|t| t.contains("location")), "{types:?}");
    assert!(f.iter().all(|f| f["severity"] == "note"));
    // News apps need no personal information: location is beyond it too.
    let (code, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed, "--app-type", "news", "--fail-on", "unnecessary-data"]);
    assert_eq!(code, Some(1), "opted in with --fail-on");
    let types: Vec<String> = findings(&r, "MIIT-4.1-unnecessary").iter().map(|f| f["data_type"].as_str().unwrap().to_string()).collect();
    assert!(types.iter().any(|t| t.contains("location")), "{types:?}");
    assert!(types.iter().any(|t| t == "camera"), "dangerous permissions count as collection: {types:?}");
    // Without --app-type the rule does not run.
    let (_, r) = check_json("policy_complete_zh.txt", &["--traffic", &timed]);
    assert!(findings(&r, "MIIT-4.1-unnecessary").is_empty());
}

#[test]
fn complete_policies_pass_every_text_check() {
    let (_, zh) = check_json("policy_complete_zh.txt", &[]);
    assert!(codes(&zh).is_empty(), "{:?}", codes(&zh));
    let (_, en) = check_json("policy_complete_en.md", &["--miit", "on"]);
    assert!(codes(&en).is_empty(), "{:?}", codes(&en));
}

#[test]
fn missing_items_are_each_a_finding() {
    let (code, r) = check_json("policy_missing_zh.txt", &["--fail-on", "miit"]);
    assert_eq!(code, Some(1));
    for c in TEXT_CODES {
        let f = findings(&r, c);
        assert_eq!(f.len(), 1, "{c}");
        assert_eq!(f[0]["severity"], "warning");
    }
    // The camera is named without a purpose; location is never named.
    let p = findings(&r, "MIIT-2.3-permission-purpose");
    assert_eq!(p.len(), 2, "{p:#?}");
    let camera = p.iter().find(|f| f["message"].as_str().unwrap().contains("CAMERA")).unwrap();
    assert!(camera["message"].as_str().unwrap().contains("states no purpose"));
    assert!(camera["labels"].as_array().unwrap().iter().any(|l| l["kind"] == "policy" && l["text"].as_str().unwrap().contains("相机")));
    let location = p.iter().find(|f| f["message"].as_str().unwrap().contains("ACCESS_FINE_LOCATION")).unwrap();
    assert!(location["message"].as_str().unwrap().contains("never names"));
}

#[test]
fn policy_checks_are_off_for_english_policies_unless_asked() {
    let (_, r) = check_json("policy_complete_en.md", &[]);
    assert!(codes(&r).is_empty());
    let (_, r) = check_json("policy_missing_zh.txt", &["--miit", "off"]);
    assert!(codes(&r).is_empty());
}

#[test]
fn the_shipped_example_reports_collection_before_consent() {
    let out = candor(&["check", "examples/zh-rules-demo", "--extractor", "rules", "--no-cache", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let f = findings(&r, "MIIT-3.1-pre-consent");
    let recipients: Vec<&str> = f.iter().map(|f| f["recipient"].as_str().unwrap()).collect();
    assert_eq!(recipients, vec!["baidu", "umeng"], "{f:#?}");
    for f in &f {
        let m = f["message"].as_str().unwrap();
        assert!(m.contains("imei"), "{m}");
        assert!(request_urls(f).iter().all(|u| !u.contains("yjjcloud.com")), "the policy page is no finding");
    }
    // The after-consent first-party location flow is no rule finding.
    assert!(r["findings"].as_array().unwrap().iter().all(|f| !(f["code"].as_str().unwrap().starts_with("MIIT") && f["data_type"] == "precise_location")));
    // The unnamed ad SDK (Baidu) is contacted: the compare stage reports it.
    assert!(findings(&r, "CND011").iter().any(|f| f["recipient"] == "baidu"));
    // The policy never says how to withdraw consent; it does give a response time.
    assert_eq!(findings(&r, "MIIT-3.8-withdraw-consent").len(), 1);
    assert!(findings(&r, "MIIT-6.5-response-time").is_empty());
}

#[test]
fn a_capture_named_twice_is_read_once() {
    let out = candor(&["check", "examples/zh-rules-demo", "--pre-consent", "examples/zh-rules-demo/pre-consent.har", "--extractor", "rules", "--no-cache", "--format", "json"]);
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["inputs"]["traffic"].as_array().unwrap().len(), 2);
    for f in findings(&r, "MIIT-3.1-pre-consent") {
        assert!(f["message"].as_str().unwrap().contains("(1 request,"), "{}", f["message"]);
    }
}

#[test]
fn rule_findings_appear_in_every_report_format() {
    for format in ["text", "md", "html", "sarif"] {
        let out = candor(&["check", "examples/zh-rules-demo", "--extractor", "rules", "--no-cache", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let s = stdout(&out);
        for code in ["MIIT-3.1-pre-consent", "MIIT-3.8-withdraw-consent", "MIIT-2.3-permission-purpose"] {
            assert!(s.contains(code), "{format} lacks {code}");
        }
        if format == "sarif" {
            let v: Value = serde_json::from_str(&s).unwrap();
            let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
            let pre = rules.iter().find(|r| r["id"] == "MIIT-3.1-pre-consent").expect("a SARIF rule per MIIT code");
            assert!(pre["help"]["text"].as_str().unwrap().contains("三.1"));
        }
    }
}

#[test]
fn catalog_summaries_count_rule_findings() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let s = store.to_str().unwrap();
    let out = candor(&["catalog", "run", &fx("catalog.jsonl"), "--store", s, "--extractor", "rules", "--jobs", "1"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let out = candor(&["catalog", "report", "--store", s, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let by_code = &v["summary"]["findings_by_code"];
    assert_eq!(by_code["MIIT-3.1-pre-consent"], 2, "{by_code}");
    assert_eq!(by_code["MIIT-3.8-withdraw-consent"], 1, "{by_code}");
    let md = stdout(&candor(&["catalog", "report", "--store", s, "--format", "md"]));
    assert!(md.contains("## China app rules (MIIT)") && md.contains("| `MIIT-3.1-pre-consent` | 1 | 2 |"), "{md}");
    let rules = v["summary"]["miit_rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["name"] == "MIIT-3.1-pre-consent" && r["apps"] == 1), "{rules:?}");
    let html_path = dir.path().join("catalog.html");
    let out = candor(&["catalog", "report", "--store", s, "--format", "html", "--out", html_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&html_path).unwrap().contains("China app rules (MIIT)"));
}
