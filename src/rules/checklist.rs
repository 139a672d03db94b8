//! Text checks (认定方法 二.1, 二.3, 三.8, 六.1, 六.5): what the policy text
//! must contain: a list of the personal information collected, a purpose
//! for each dangerous permission the app requests, how to withdraw
//! consent, delete data and cancel the account, and a complaint channel
//! with a response time. Each is found by cue phrases in Chinese and
//! English (`ontology/policy_checklist.json`), matched in the policy text
//! directly, not through extracted practices; each missing item is a finding.

use super::finding;
use crate::compare::{Finding, FindingKind, Label};
use crate::observe::Observation;
use crate::ontology::Ontologies;
use crate::policy::PolicyDocument;
use crate::{Error, Result};
use regex::Regex;
use serde::Deserialize;

/// The table as JSON.
pub const POLICY_CHECKLIST_JSON: &str = include_str!("../../ontology/policy_checklist.json");

/// One text check.
#[derive(Debug, Clone, Deserialize)]
pub struct TextCheck {
    pub code: String,
    /// What the policy should say ("how to withdraw consent").
    pub what: String,
    /// Passes when the text contains any of these (lower case compare).
    #[serde(default)]
    pub cues: Vec<String>,
    /// Or: passes when one sentence holds one of these and matches a pattern.
    #[serde(default)]
    pub sentence_cues: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// Permissions that share cue names (location, camera ...).
#[derive(Debug, Clone, Deserialize)]
pub struct PermissionGroup {
    pub id: String,
    pub permissions: Vec<String>,
    pub names: Vec<String>,
}

/// The permission-purpose check.
#[derive(Debug, Clone, Deserialize)]
pub struct PermissionPurpose {
    pub code: String,
    pub purpose_cues: Vec<String>,
    pub groups: Vec<PermissionGroup>,
}

/// `ontology/policy_checklist.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct PolicyChecklist {
    pub checks: Vec<TextCheck>,
    pub permission_purpose: PermissionPurpose,
}

/// The checklist with its patterns compiled.
pub struct Compiled {
    pub table: PolicyChecklist,
    /// `patterns[i]` are the compiled patterns of `table.checks[i]`.
    patterns: Vec<Vec<Regex>>,
}

impl Compiled {
    /// The table compiled into the binary, its patterns compiled once.
    pub fn shipped() -> Result<&'static Compiled> {
        use std::sync::OnceLock;
        static CELL: OnceLock<std::result::Result<Compiled, String>> = OnceLock::new();
        CELL.get_or_init(|| Compiled::parse(POLICY_CHECKLIST_JSON))
            .as_ref()
            .map_err(|e| Error::Data(format!("ontology/policy_checklist.json: {e}")))
    }

    /// Parse and compile a checklist.
    pub fn parse(json: &str) -> std::result::Result<Compiled, String> {
        let table: PolicyChecklist = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut patterns = Vec::new();
        for c in &table.checks {
            let compiled: std::result::Result<Vec<Regex>, String> =
                c.patterns.iter().map(|p| Regex::new(p).map_err(|e| format!("{}: pattern {p:?}: {e}", c.code))).collect();
            patterns.push(compiled?);
            if c.cues.is_empty() && (c.sentence_cues.is_empty() || c.patterns.is_empty()) {
                return Err(format!("{}: a check needs cues, or sentence cues and patterns", c.code));
            }
        }
        Ok(Compiled { table, patterns })
    }
}

fn lower_all(v: &[String]) -> Vec<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

/// Whether one text check passes on the policy.
fn passes(check: &TextCheck, patterns: &[Regex], doc: &PolicyDocument, lower_text: &str) -> bool {
    if lower_all(&check.cues).iter().any(|c| lower_text.contains(c.as_str())) {
        return true;
    }
    let cues = lower_all(&check.sentence_cues);
    doc.sentences.iter().any(|s| {
        let lower = s.text.to_lowercase();
        cues.iter().any(|c| lower.contains(c.as_str())) && patterns.iter().any(|p| p.is_match(&s.text))
    })
}

/// The findings of the text checks and of the permission-purpose check.
pub fn check_policy(doc: &PolicyDocument, observed: &Observation, ont: &Ontologies) -> Result<Vec<Finding>> {
    let compiled = Compiled::shipped()?;
    let lower_text = doc.text.to_lowercase();
    let mut out = Vec::new();
    for (check, patterns) in compiled.table.checks.iter().zip(&compiled.patterns) {
        if passes(check, patterns, doc, &lower_text) {
            continue;
        }
        let Some(kind) = FindingKind::miit().find(|k| k.code() == check.code) else {
            return Err(Error::Data(format!("ontology/policy_checklist.json: unknown code {}", check.code)));
        };
        out.push(finding(kind, format!("the policy does not say {}", check.what), None, None, Vec::new()));
    }
    out.extend(permission_purposes(&compiled.table.permission_purpose, doc, observed, ont));
    Ok(out)
}

/// Most policy sentences shown for a permission named without a purpose.
const MAX_POLICY_LABELS: usize = 3;

/// One finding per permission group (or ungrouped permission) whose
/// dangerous permissions the app requests and that no policy sentence names
/// together with a purpose. A permission in no group is named by its data
/// types' ontology names; a dangerous permission that exposes no data type
/// (notifications) is not checked.
pub fn permission_purposes(table: &PermissionPurpose, doc: &PolicyDocument, observed: &Observation, ont: &Ontologies) -> Vec<Finding> {
    let purpose = lower_all(&table.purpose_cues);
    let sentences: Vec<(String, &crate::policy::Sentence)> = doc.sentences.iter().map(|s| (s.text.to_lowercase(), s)).collect();
    // group key -> (names, permissions)
    let mut groups: Vec<(String, Vec<String>, Vec<&crate::observe::RequestedPermission>)> = Vec::new();
    for p in observed.permissions.iter().filter(|p| p.dangerous && !p.data_types.is_empty()) {
        let (key, names) = match table.groups.iter().find(|g| g.permissions.contains(&p.name)) {
            Some(g) => (g.id.clone(), lower_all(&g.names)),
            None => {
                let names = p
                    .data_types
                    .iter()
                    .filter_map(|t| ont.data_types.get(t))
                    .flat_map(|t| t.names.iter().map(|n| n.to_lowercase()))
                    .filter(|n| n.chars().count() >= 2)
                    .collect();
                (p.name.clone(), names)
            }
        };
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.2.push(p),
            None => groups.push((key, names, vec![p])),
        }
    }
    let mut out = Vec::new();
    for (key, names, perms) in groups {
        let mentions: Vec<&(String, &crate::policy::Sentence)> =
            sentences.iter().filter(|(l, _)| names.iter().any(|n| l.contains(n.as_str()))).collect();
        if mentions.iter().any(|(l, _)| purpose.iter().any(|c| l.contains(c.as_str()))) {
            continue;
        }
        let perm_names: Vec<&str> = perms.iter().map(|p| p.name.as_str()).collect();
        let message = if mentions.is_empty() {
            format!("the app requests {} ({key}), which the policy never names with its purpose", perm_names.join(", "))
        } else {
            format!("the app requests {} ({key}); the policy names it but states no purpose", perm_names.join(", "))
        };
        let mut labels: Vec<Label> = perms.iter().map(|p| Label::Permission { permission: p.name.clone(), file: p.file.clone() }).collect();
        labels.extend(mentions.iter().take(MAX_POLICY_LABELS).map(|(_, s)| Label::Policy {
            start: s.start,
            end: s.end,
            text: s.text.clone(),
            note: "named here without a purpose".to_string(),
        }));
        let data_type = perms.iter().flat_map(|p| p.data_types.first()).next().cloned();
        out.push(finding(FindingKind::NoPermissionPurpose, message, data_type, Some("first_party".to_string()), labels));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checklist_parses_and_names_miit_codes() {
        let c = Compiled::shipped().expect("policy_checklist.json parses");
        for check in &c.table.checks {
            assert!(FindingKind::miit().any(|k| k.code() == check.code), "{}", check.code);
        }
        assert_eq!(c.table.permission_purpose.code, FindingKind::NoPermissionPurpose.code());
        let rt = c.table.checks.iter().position(|k| k.code == "MIIT-6.5-response-time").unwrap();
        for s in ["我们将在十五个工作日内回复", "within 15 working days", "within thirty (30) days", "在15天内", "我们将在【15】天内做出答复", "within [30] days"] {
            assert!(c.patterns[rt].iter().any(|p| p.is_match(s)), "{s}");
        }
    }
}
