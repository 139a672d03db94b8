//! Verdicts end to end with the shipped model: the verdict benchmark's
//! floor, and the reading classes the verdicts issue names (scoped and
//! qualified negations, restrictions on a recipient, headings, permissions
//! beside unrelated denials, implicit transfers to an unnamed tracker).

use candor::compare::{compare, Declared, Verdict};
use candor::extract::model::{locate_model_dir, ModelExtractor};
use candor::extract::{mentioned_organizations, Extractor};
use candor::observe::{observe, ObserveInputs};
use std::path::{Path, PathBuf};
use std::process::Command;

fn model() -> ModelExtractor {
    let dir = locate_model_dir().expect("the shipped model must be in models/candor-minilm");
    ModelExtractor::load(&dir, candor::ontology::shipped().unwrap()).expect("model loads")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A HAR with one request per (method, url, body, user agent).
fn har(requests: &[(&str, &str, &str)]) -> String {
    let entries: Vec<serde_json::Value> = requests
        .iter()
        .map(|(method, url, body)| {
            let mut request = serde_json::json!({
                "method": method, "url": url, "httpVersion": "HTTP/1.1",
                "headers": [{"name": "User-Agent", "value": "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36"}],
                "queryString": [], "cookies": [], "headersSize": -1, "bodySize": body.len()
            });
            if !body.is_empty() {
                request["postData"] = serde_json::json!({"mimeType": "application/json", "text": body});
            }
            serde_json::json!({"startedDateTime": "2026-01-01T00:00:00Z", "time": 1, "request": request,
                "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                             "content": {"size": 0, "mimeType": "text/plain"}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
                "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0}})
        })
        .collect();
    serde_json::json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}).to_string()
}

/// Verdicts of every flow of an app folder, as (data type, recipient key, verdict).
fn verdicts(ex: &ModelExtractor, policy: &Path, inputs: &ObserveInputs) -> Vec<(String, String, Verdict)> {
    let ont = candor::ontology::shipped().unwrap();
    let doc = candor::policy::load_policy(policy).unwrap();
    let practices = ex.extract(&doc).unwrap();
    let observed = observe(inputs, ont).unwrap();
    let declared = Declared {
        practices: &practices,
        mentioned_organizations: mentioned_organizations(&doc, ont),
        personal_info_defined: candor::extract::defines_personal_info(&doc, ont),
    };
    compare(&declared, &observed, ont)
        .flows
        .into_iter()
        .map(|fv| (fv.flow.data_type.clone(), candor::compare::recipient_key(&fv.flow.destination), fv.verdict))
        .collect()
}

#[test]
fn verdict_benchmark_holds_its_floors() {
    let ex = model();
    let rules = candor::extract::rules::RuleExtractor::new(candor::ontology::shipped().unwrap());
    let scores = candor::train::verdicts::evaluate_verdicts(
        Path::new("tests/verdicts"),
        &[&ex as &dyn Extractor, &rules],
        candor::ontology::shipped().unwrap(),
    )
    .unwrap();
    let get = |half: &str, who: &str| scores.iter().find(|s| s.half == half && s.extractor == who).unwrap();
    // Floors a little under the figures in the README (dev: apps 01-58, on
    // which the rules were developed; test: the holdout, apps 59-69): a
    // change that loses verdicts fails here.
    for (half, accuracy, precision, recall) in [("dev", 0.74, 0.75, 0.72), ("test", 0.64, 0.70, 0.66)] {
        let m = get(half, "model");
        assert_eq!(m.detected, m.flows, "{half}: every planted flow is observed");
        assert!(m.accuracy >= accuracy, "{half} accuracy {}", m.accuracy);
        assert!(m.flagged_precision >= precision, "{half} flagged precision {}", m.flagged_precision);
        assert!(m.flagged_recall >= recall, "{half} flagged recall {}", m.flagged_recall);
        assert!(m.accuracy > get(half, "rules").accuracy, "{half}: the model beats the rule baseline");
    }
}

#[test]
fn an_honest_policy_leaves_a_location_permission_clear() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "privacy.md",
        "# Privacy Policy\n\n## Location\n\nThe app accesses your precise location through the Android location services to show nearby trails.\n\n\
         ## Sharing\n\nYour data is never shared with a third party.\n\nWe do not sell your personal information.\n",
    );
    let manifest = write(
        dir.path(),
        "AndroidManifest.xml",
        r#"<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.example.trails">
  <uses-permission android:name="android.permission.ACCESS_FINE_LOCATION"/>
</manifest>"#,
    );
    let inputs = ObserveInputs { manifests: vec![manifest], ..Default::default() };
    let v = verdicts(&model(), &policy, &inputs);
    assert!(!v.is_empty());
    for (dt, who, verdict) in &v {
        assert!(matches!(verdict, Verdict::Clear | Verdict::Vague), "{dt} -> {who}: {verdict:?} ({v:?})");
    }
}

#[test]
fn scoped_denials_restrictions_and_headings_do_not_deny() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "privacy.md",
        "# Privacy Policy\n\n## Sharing Your Information with Third Parties\n\n\
         We share your email address with Mailchimp, our mailing partner, who may not use it for other purposes.\n\n\
         Information from our donation page is never shared with third parties.\n\n\
         ## Does the app sell your data?\n\nWe do not sell your personal information.\n",
    );
    let device = write(dir.path(), "device.json", r#"{"email_address": "tester@example.org", "advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d"}"#);
    let traffic = write(
        dir.path(),
        "traffic.har",
        &har(&[
            ("POST", "https://us1.api.mailchimp.com/3.0/lists/abc/members", r#"{"email_address": "tester@example.org"}"#),
            ("POST", "https://api2.branch.io/v1/open", r#"{"google_advertising_id": "38400000-8cf0-11bd-b23e-10b96e40000d"}"#),
        ]),
    );
    let inputs = ObserveInputs { traffic: vec![traffic], device: Some(device), ..Default::default() };
    let v = verdicts(&model(), &policy, &inputs);
    let verdict_of = |dt: &str, who: &str| v.iter().find(|(d, w, _)| d == dt && w == who).map(|x| x.2);
    // The share to the named mailing partner is disclosed; its restriction denies nothing.
    let mail = verdict_of("email_address", "mailchimp");
    assert!(matches!(mail, Some(Verdict::Clear | Verdict::Vague)), "email to Mailchimp: {mail:?} ({v:?})");
    // Neither the heading, nor the donation-page denial, nor the sale
    // denial discloses or denies an advertising ID sent to Branch.
    assert_eq!(verdict_of("advertising_id", "branch"), Some(Verdict::Omitted), "{v:?}");
}

#[test]
fn a_host_named_by_its_brand_and_a_denial_with_only_a_merger_as_exception() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "privacy.md",
        "# Privacy Policy\n\nWe collect your email address through our sales platform, Lemon Squeezy, when you subscribe.\n\n\
         Your contact information will not be sold, transferred or given to any other company for any reason, \
         except if our entire company should be purchased by a third party.\n",
    );
    let device = write(dir.path(), "device.json", r#"{"email_address": "tester@example.org"}"#);
    let traffic = write(
        dir.path(),
        "traffic.har",
        &har(&[
            ("POST", "https://api.lemonsqueezy.com/v1/checkouts", r#"{"email": "tester@example.org"}"#),
            ("POST", "https://api.braze.com/users/track", r#"{"email": "tester@example.org"}"#),
        ]),
    );
    let inputs = ObserveInputs { traffic: vec![traffic], device: Some(device), ..Default::default() };
    let v = verdicts(&model(), &policy, &inputs);
    let verdict_of = |dt: &str, who: &str| v.iter().find(|(d, w, _)| d == dt && w == who).map(|x| x.2);
    // No organization of the ontology owns lemonsqueezy.com: the policy names it by its brand.
    assert_eq!(verdict_of("email_address", "lemonsqueezy.com"), Some(Verdict::Clear), "{v:?}");
    // The only exception is an acquisition: routine transfers stay denied.
    assert_eq!(verdict_of("email_address", "braze"), Some(Verdict::Incorrect), "{v:?}");
}

#[test]
fn check_fails_by_default_on_an_undisclosed_analytics_service() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "privacy.md", "# Privacy Policy\n\nWe collect your email address to create your account.\n");
    write(
        dir.path(),
        "traffic.har",
        &har(&[(
            "POST",
            "https://api.mixpanel.com/track",
            r#"{"event": "page_view", "properties": {"session": "s-8812", "url": "https://app.example.org/home", "viewport": "412x915"}}"#,
        )]),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["check", dir.path().to_str().unwrap(), "--no-cache", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let flows = report["flows"].as_array().unwrap();
    let ip = flows
        .iter()
        .find(|f| f["data_type"] == "ip_address" && f["destination"]["organization"].as_str().is_some())
        .expect("an implicit ip_address flow to the tracker");
    assert_eq!(ip["source"]["matched"], "implicit:ip");
    assert_eq!(ip["verdict"], "omitted");
    assert!(ip["confidence"].as_f64().unwrap() < 1.0);
    assert!(flows.iter().any(|f| f["data_type"] == "os_version" && f["source"]["matched"] == "implicit:user-agent"));
}
