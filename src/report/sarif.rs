//! SARIF 2.1.0 output, for code-scanning dashboards: one rule per finding
//! code (`CND001` ...), one result per finding with its level from the
//! severity. A finding with policy evidence is located in the policy file,
//! its region given by byte offsets into candor's normalized policy text
//! (the offsets of the JSON report; `region.properties.offsets` says so)
//! with the sentence as snippet; other findings are located in the HAR
//! capture or manifest they were seen in. Every label is also a related
//! location.

use super::AppReport;
use crate::catalog::summary::CatalogReport;
use crate::catalog::AppStatus;
use crate::compare::{Finding, FindingKind, Label, Severity};
use serde_json::{json, Value};

/// The SARIF schema this output follows.
pub const SARIF_SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF level of a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A rule's short and full description.
fn rule_text(kind: FindingKind) -> (&'static str, &'static str) {
    match kind {
        FindingKind::OmittedFlow => (
            "Data flow not disclosed",
            "The app was seen to access or send a data type to a recipient, and no statement of the privacy policy covers it.",
        ),
        FindingKind::IncorrectFlow => (
            "Data flow denied by the policy",
            "The app was seen to access or send a data type to a recipient, and the privacy policy only says it does not.",
        ),
        FindingKind::AmbiguousFlow => (
            "Data flow both disclosed and denied",
            "The privacy policy has statements that cover the observed flow and statements that deny it.",
        ),
        FindingKind::VagueFlow => (
            "Data flow disclosed only in broader terms",
            "The observed flow is covered only by broader terms (\"personal information\", \"third parties\").",
        ),
        FindingKind::UndisclosedPermission => (
            "Permission's data never mentioned",
            "The app requests a dangerous permission whose data types the privacy policy never mentions.",
        ),
        FindingKind::UndisclosedRecipient => (
            "Contacted organization never named",
            "The app contacts a third-party organization that the privacy policy never names.",
        ),
        FindingKind::TransferContradicted => (
            "Data sent outside the region the policy keeps it in",
            "A request carrying data reached a server whose IP address is registered in a country outside the region where the privacy policy says data is stored or stays. An IP address's registered country is not proof of where data is stored.",
        ),
        FindingKind::UndisclosedTransfer => (
            "Transfer abroad never addressed",
            "A request carrying data reached a server whose IP address is registered outside the home region, and the privacy policy says nothing about transfers abroad. An IP address's registered country is not proof of where data is stored.",
        ),
        FindingKind::SdkNotListed => (
            "SDK missing from the policy's SDK list",
            "An SDK whose code is in the app, or whose hosts the app contacted, is not named in the policy's third-party SDK list.",
        ),
        FindingKind::SdkListMissing => (
            "Policy has no third-party SDK list",
            "The app embeds or contacts third-party SDKs and the policy, written in Chinese, lists none (MIIT 认定方法 二.1; GB/T 35273-2020 9.7).",
        ),
        FindingKind::SdkDataNotListed => (
            "SDK receives data its list row does not name",
            "Traffic to an SDK's organization carried a data type that the policy's SDK list row for it does not name.",
        ),
        FindingKind::SdkListedNotFound => (
            "Listed SDK not found in the app",
            "The policy's SDK list names an SDK whose code was not found in the app archives scanned.",
        ),
        // China's app rules: the titles and summaries are data (ontology/miit_rules.json).
        _ => crate::rules::MiitRules::shipped()
            .ok()
            .and_then(|r| r.item(kind.code()))
            .map(|i| (i.name.as_str(), i.summary.as_str()))
            .unwrap_or(("China app rule (MIIT)", "")),
    }
}

/// How to act on a finding of a kind.
fn rule_help(kind: FindingKind, full: &str) -> String {
    match crate::rules::MiitRules::shipped().ok().and_then(|r| r.item(kind.code())) {
        Some(i) => format!("认定方法 {} ({}). {full} candor checks: {} (candor --fail-on {})", i.item, i.title_zh, i.checked, kind.name()),
        None => format!("{full} Disclose the flow in the policy, or stop it in the app. (candor --fail-on {})", kind.name()),
    }
}

/// The SARIF rules, one per finding code.
fn rules() -> Vec<Value> {
    FindingKind::ALL
        .iter()
        .map(|k| {
            let (short, full) = rule_text(*k);
            json!({
                "id": k.code(),
                "name": k.name(),
                "shortDescription": {"text": short},
                "fullDescription": {"text": full},
                "defaultConfiguration": {"level": level(k.severity())},
                "help": {"text": rule_help(*k, full)},
            })
        })
        .collect()
}

/// The index of a finding code among the rules.
fn rule_index(code: &str) -> Option<usize> {
    FindingKind::ALL.iter().position(|k| k.code() == code)
}

/// A path as a URI reference: forward slashes, reserved bytes percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF location of one piece of evidence.
fn location(label: &Label, policy: &str) -> Value {
    match label {
        Label::Policy { start, end, text, note } => json!({
            "physicalLocation": {
                "artifactLocation": {"uri": uri(policy)},
                "region": {
                    "byteOffset": start,
                    "byteLength": end.saturating_sub(*start),
                    "snippet": {"text": text},
                    "properties": {"offsets": "candor normalized policy text"},
                },
            },
            "message": {"text": note},
        }),
        Label::Request { method, url, location, matched, file, entry } => json!({
            "physicalLocation": {"artifactLocation": {"uri": uri(file)}},
            "logicalLocations": [{"name": format!("entry {entry}"), "fullyQualifiedName": format!("{file}#entries[{entry}]"), "kind": "object"}],
            "message": {"text": if location.is_empty() { format!("{method} {url}") } else { format!("{method} {url} ({location}, {matched})") }},
        }),
        Label::Permission { permission, file } => json!({
            "physicalLocation": {"artifactLocation": {"uri": uri(file)}},
            "logicalLocations": [{"name": permission, "kind": "element"}],
            "message": {"text": format!("uses-permission {permission}")},
        }),
        Label::Code { element, file } => json!({
            "physicalLocation": {"artifactLocation": {"uri": uri(file)}},
            "logicalLocations": [{"name": element, "kind": "type"}],
            "message": {"text": element},
        }),
    }
}

/// A stable fingerprint of a finding of an app (same app, code, data type
/// and recipient: same fingerprint across runs).
fn fingerprint(app: &str, f: &Finding) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [app, f.code.as_str(), f.data_type.as_deref().unwrap_or(""), f.recipient.as_deref().unwrap_or("")] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// One finding as a SARIF result.
fn result(f: &Finding, app: &str, policy: &str, fallback_uri: &str) -> Value {
    let primary = f
        .labels
        .iter()
        .find(|l| matches!(l, Label::Policy { .. }))
        .or_else(|| f.labels.first())
        .map(|l| location(l, policy))
        .unwrap_or_else(|| json!({"physicalLocation": {"artifactLocation": {"uri": uri(fallback_uri)}}}));
    let related: Vec<Value> = f
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut v = location(l, policy);
            v["id"] = json!(i);
            v
        })
        .collect();
    let mut r = json!({
        "ruleId": f.code,
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": [primary],
        "relatedLocations": related,
        "partialFingerprints": {"candorFinding/v1": fingerprint(app, f)},
        "properties": {
            "app": app,
            "kind": f.kind.name(),
            "dataType": f.data_type,
            "recipient": f.recipient,
        },
    });
    if let Some(i) = rule_index(&f.code) {
        r["ruleIndex"] = json!(i);
    }
    r
}

/// The tool driver: candor, its version and rules.
fn driver() -> Value {
    json!({
        "name": "candor",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules(),
    })
}

/// A SARIF log around one run, pretty-printed.
fn wrap(run: Value) -> String {
    let log = json!({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]});
    serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}

/// One app's findings as a SARIF 2.1.0 log.
pub fn render_sarif(report: &AppReport) -> String {
    let app = report.app.clone().unwrap_or_else(|| report.inputs.policy.clone());
    let results: Vec<Value> = report.findings.iter().map(|f| result(f, &app, &report.inputs.policy, &report.inputs.policy)).collect();
    wrap(json!({
        "tool": {"driver": driver()},
        "results": results,
        "properties": {"extractor": report.extractor.version, "app": report.app},
    }))
}

/// Every app's findings of a catalog as one SARIF 2.1.0 run; failed apps
/// are tool execution notifications.
pub fn render_catalog_sarif(report: &CatalogReport) -> String {
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for app in &report.apps {
        let policy = app.inputs.policy.clone().unwrap_or_default();
        let fallback = app.inputs.manifests.first().or(app.inputs.traffic.first()).cloned().unwrap_or_else(|| policy.clone());
        if app.status == AppStatus::Failed {
            notifications.push(json!({
                "level": "error",
                "message": {"text": format!("{}: {}", app.app_id, app.error.as_deref().unwrap_or("failed"))},
                "properties": {"app": app.app_id},
            }));
            continue;
        }
        results.extend(app.findings.iter().map(|f| result(f, &app.app_id, &policy, &fallback)));
    }
    wrap(json!({
        "tool": {"driver": driver()},
        "invocations": [{"executionSuccessful": notifications.is_empty(), "toolExecutionNotifications": notifications}],
        "results": results,
        "properties": {"apps": report.summary.apps, "done": report.summary.done, "failed": report.summary.failed},
    }))
}
