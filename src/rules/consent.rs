//! Collection before consent (认定方法 三.1): every personal-data flow in
//! traffic captured before the user accepted the policy is a finding,
//! whatever the policy says. Which traffic came first is said by the
//! capture (`--pre-consent FILE`, an app folder's `pre-consent*.har`) or by
//! the time of consent (`--consent-at`), against each request's start time.

use super::{finding, MiitRules, MAX_LABELS};
use crate::compare::{flow_label, recipient_key, recipient_name, Finding, FindingKind};
use crate::observe::timestamp::format_rfc3339;
use crate::observe::{Flow, FlowSource, Observation};
use std::collections::{BTreeMap, HashMap};

/// Which captured requests were made before the user consented.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentSplit {
    /// Captures made entirely before consent, as the evidence names them
    /// (the path as given, `Path::display`).
    pub files: Vec<String>,
    /// The moment of consent (milliseconds since the epoch): requests of
    /// any capture that started earlier came before it.
    pub at_ms: Option<i64>,
}

impl ConsentSplit {
    /// True when nothing is marked as before consent.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.at_ms.is_none()
    }
}

/// Why a request counts as before consent, for the message.
fn why(split: &ConsentSplit, file: &str, started: Option<i64>) -> Option<String> {
    if split.files.iter().any(|f| f == file) {
        return Some(format!("captured before consent in {file}"));
    }
    match (split.at_ms, started) {
        (Some(at), Some(t)) if t < at => Some(format!("at {}, before consent at {}", format_rfc3339(t), format_rfc3339(at))),
        _ => None,
    }
}

/// The findings of the pre-consent rule: one per recipient that personal
/// data reached before consent, error severity, naming every data type
/// sent, with up to five requests as evidence (surest matches first). The
/// IP address and User-Agent every request carries and technical settings
/// (`not_personal` in `ontology/miit_rules.json`) are not personal-data
/// flows: a request carrying nothing else (the policy page, a static
/// asset) is no finding. Requests without a start time are never judged
/// by `at_ms`.
pub fn pre_consent(split: &ConsentSplit, observed: &Observation, rules: &MiitRules) -> Vec<Finding> {
    if split.is_empty() {
        return Vec::new();
    }
    let times: HashMap<(&str, usize), Option<i64>> = observed.contacts.iter().map(|c| ((c.file.as_str(), c.entry), c.started_ms)).collect();
    let mut groups: BTreeMap<String, Vec<(&Flow, String)>> = BTreeMap::new();
    for flow in observed.flows.iter().filter(|f| rules.not_personal.counts(f)) {
        let FlowSource::Request { file, entry, .. } = &flow.source else { continue };
        let started = times.get(&(file.as_str(), *entry)).copied().flatten();
        if let Some(reason) = why(split, file, started) {
            groups.entry(recipient_key(&flow.destination)).or_default().push((flow, reason));
        }
    }
    groups
        .into_iter()
        .map(|(recipient, mut members)| {
            let mut types: Vec<&str> = members.iter().map(|(f, _)| f.data_type.as_str()).collect();
            types.sort_unstable();
            types.dedup();
            let mut entries: Vec<(&str, usize)> = members
                .iter()
                .filter_map(|(f, _)| match &f.source {
                    FlowSource::Request { file, entry, .. } => Some((file.as_str(), *entry)),
                    _ => None,
                })
                .collect();
            entries.sort_unstable();
            entries.dedup();
            let n = entries.len();
            let reason = members[0].1.clone();
            let message = format!(
                "{} sent to {} before the user consented to the policy ({n} request{}, first {reason})",
                types.join(", "),
                recipient_name(&members[0].0.destination),
                if n == 1 { "" } else { "s" }
            );
            members.sort_by(|a, b| b.0.confidence.total_cmp(&a.0.confidence));
            let labels = members.iter().take(MAX_LABELS).map(|(f, _)| flow_label(f)).collect();
            let data_type = (types.len() == 1).then(|| types[0].to_string());
            finding(FindingKind::PreConsentCollection, message, data_type, Some(recipient), labels)
        })
        .collect()
}
