//! SDK findings: the SDKs an app was seen to hold or contact
//! ([`crate::observe::SdkDetector::seen`]) against the policy's third-party
//! SDK list (the practices [`crate::extract::sdk_list`] read, those with an
//! `sdk`).
//!
//! * `CND030 sdk-not-listed`: an SDK in the app's code (DEX class, manifest
//!   component) or whose hosts the app contacted, that no list row names
//!   (by the SDK's names, or by its organization), when the policy has a list;
//! * `CND031 sdk-list-missing`: the app holds or contacts SDKs and the
//!   policy, in Chinese, has no list (认定方法 二.1: the app, and the third
//!   party code embedded in it, must list what each collects and why;
//!   GB/T 35273-2020 9.7);
//! * `CND032 sdk-data-not-listed`: a data type sent to an organization whose
//!   list rows name data types, none of which is or covers it;
//! * `CND033 sdk-listed-not-found` (note): a row naming a known SDK whose
//!   code is not in the app archives scanned (only when DEX code was read).

use super::{flow_label, recipient_name, Declared, Finding, FindingKind, Label, MAX_LABELS};
use crate::extract::Actor;
use crate::observe::sdk::{SdkEvidence, SeenSdk};
use crate::observe::{Observation, SdkDetector};
use crate::ontology::Ontologies;
use crate::policy::Language;
use std::collections::BTreeMap;

/// One row of the policy's SDK list, rebuilt from its practices.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    /// The organization id, when the row's actor is a known organization.
    organization: Option<String>,
    /// Data types the row names (those found by a phrase).
    data_types: Vec<String>,
    start: usize,
    end: usize,
    text: String,
}

/// The rows of the list, in document order.
fn rows(declared: &Declared, ont: &Ontologies) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for p in declared.practices {
        let Some(name) = &p.sdk else { continue };
        let i = match out.iter().position(|r| r.start == p.evidence.start && r.end == p.evidence.end) {
            Some(i) => i,
            None => {
                let organization = match &p.actor {
                    Actor::Organization(o) if ont.entities.organization(o).is_some() => Some(o.clone()),
                    _ => None,
                };
                out.push(Row {
                    name: name.clone(),
                    organization,
                    data_types: Vec::new(),
                    start: p.evidence.start,
                    end: p.evidence.end,
                    text: p.evidence.text.clone(),
                });
                out.len() - 1
            }
        };
        if p.data_phrase.is_some() && !out[i].data_types.contains(&p.data_type) {
            out[i].data_types.push(p.data_type.clone());
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

fn row_label(r: &Row, note: &str) -> Label {
    Label::Policy { start: r.start, end: r.end, text: r.text.clone(), note: note.to_string() }
}

/// The evidence of a seen SDK as labels, code first.
fn evidence_labels(s: &SeenSdk) -> Vec<Label> {
    let mut out: Vec<Label> = s
        .evidence
        .iter()
        .map(|e| match e {
            SdkEvidence::Class { class, file } => Label::Code { element: format!("class {class}"), file: file.clone() },
            SdkEvidence::Component { kind, name, file } => {
                Label::Code { element: format!("{kind} {name}"), file: file.clone() }
            }
            SdkEvidence::Contact { contact } => Label::Request {
                method: contact.method.clone(),
                url: contact.url.clone(),
                location: String::new(),
                matched: "contact".to_string(),
                file: contact.file.clone(),
                entry: contact.entry,
            },
        })
        .collect();
    out.truncate(MAX_LABELS);
    out
}

/// "Getui Push (个推)": the SDK's name and its first other name.
fn sdk_title(det: &SdkDetector, i: usize) -> String {
    let s = &det.sdks()[i];
    match s.names.first() {
        Some(n) if n != &s.name => format!("{} ({n})", s.name),
        _ => s.name.clone(),
    }
}

/// How an SDK was seen, in words.
fn seen_how(s: &SeenSdk) -> &'static str {
    match (s.embedded(), s.contacted()) {
        (true, true) => "is in the app's code and was contacted",
        (true, false) => "is in the app's code",
        _ => "was contacted by the app",
    }
}

fn finding(
    kind: FindingKind,
    message: String,
    data_type: Option<String>,
    recipient: Option<String>,
    labels: Vec<Label>,
) -> Finding {
    Finding { code: kind.code().to_string(), kind, severity: kind.severity(), message, data_type, recipient, labels }
}

/// The SDK findings of one app (see the module documentation).
pub fn sdk_findings(declared: &Declared, observed: &Observation, ont: &Ontologies) -> Vec<Finding> {
    let Ok(det) = SdkDetector::shipped() else { return Vec::new() };
    let seen = det.seen(observed);
    let rows = rows(declared, ont);
    let org_of = |i: usize| det.organization(i, &ont.entities).map(|o| o.id.clone());
    let mut out = Vec::new();

    if rows.is_empty() {
        let chinese = declared.practices.iter().any(|p| p.language == Language::Zh);
        if chinese && !seen.is_empty() {
            let names: Vec<String> = seen.iter().map(|s| sdk_title(det, s.sdk)).collect();
            let mut labels: Vec<Label> = seen.iter().filter_map(|s| evidence_labels(s).into_iter().next()).collect();
            labels.truncate(2 * MAX_LABELS);
            out.push(finding(
                FindingKind::SdkListMissing,
                format!(
                    "the app holds or contacts {} third-party SDK{} ({}), but the policy has no third-party SDK list (认定方法 二.1; GB/T 35273-2020 9.7)",
                    seen.len(),
                    if seen.len() == 1 { "" } else { "s" },
                    names.join(", ")
                ),
                None,
                None,
                labels,
            ));
        }
        return out;
    }

    // SDKs seen but not listed.
    for s in &seen {
        let org = org_of(s.sdk);
        let listed =
            rows.iter().any(|r| det.match_name(&r.name).contains(&s.sdk) || (org.is_some() && r.organization == org));
        if listed {
            continue;
        }
        let mut labels = evidence_labels(s);
        labels.push(row_label(&rows[0], "the policy's SDK list starts here"));
        let org_name = det.organization(s.sdk, &ont.entities).map(|o| format!(", {}", o.name)).unwrap_or_default();
        out.push(finding(
            FindingKind::SdkNotListed,
            format!(
                "{}{org_name} {}, but the policy's third-party SDK list does not name it",
                sdk_title(det, s.sdk),
                seen_how(s)
            ),
            None,
            Some(org.unwrap_or_else(|| det.sdks()[s.sdk].name.clone())),
            labels,
        ));
    }

    // Data sent to a listed organization that its rows do not name.
    let mut groups: BTreeMap<(String, String), Vec<&crate::observe::Flow>> = BTreeMap::new();
    for f in observed.flows.iter().filter(|f| !f.destination.first_party && !f.is_device_access()) {
        let Some(org) = &f.destination.organization else { continue };
        let org_rows: Vec<&Row> = rows.iter().filter(|r| r.organization.as_deref() == Some(org.as_str())).collect();
        let listed: Vec<&String> = org_rows.iter().flat_map(|r| &r.data_types).collect();
        if listed.is_empty() {
            continue;
        }
        let covered = listed.iter().any(|t| **t == f.data_type || ont.data_types.subsumes(t, &f.data_type));
        if !covered {
            groups.entry((org.clone(), f.data_type.clone())).or_default().push(f);
        }
    }
    for ((org, data_type), flows) in groups {
        let org_rows: Vec<&Row> = rows.iter().filter(|r| r.organization.as_deref() == Some(org.as_str())).collect();
        let names: Vec<&str> = org_rows.iter().map(|r| r.name.as_str()).collect();
        let mut labels: Vec<Label> = flows.iter().take(MAX_LABELS).map(|f| flow_label(f)).collect();
        for r in org_rows.iter().take(MAX_LABELS) {
            labels.push(row_label(r, &format!("the SDK list names only: {}", r.data_types.join(", "))));
        }
        out.push(finding(
            FindingKind::SdkDataNotListed,
            format!(
                "{data_type} sent to {}, but the policy's SDK list row for {} does not name it",
                recipient_name(&flows[0].destination),
                names.join(", ")
            ),
            Some(data_type),
            Some(org),
            labels,
        ));
    }

    // Listed SDKs not in the app's code (only when code was read).
    if observed.apps.iter().any(|a| a.classes > 0) {
        for r in &rows {
            let named = det.match_name(&r.name);
            if named.is_empty() {
                continue;
            }
            let found = seen
                .iter()
                .filter(|s| s.embedded())
                .any(|s| named.contains(&s.sdk) || (r.organization.is_some() && org_of(s.sdk) == r.organization));
            if !found {
                out.push(finding(
                    FindingKind::SdkListedNotFound,
                    format!("the policy's SDK list names {}, but its code was not found in the app", r.name),
                    None,
                    r.organization.clone(),
                    vec![row_label(r, "listed here")],
                ));
            }
        }
    }
    out
}
