//! Rules: China's app rules (MIIT), a stage after [`crate::compare`]. Each
//! rule is a small function over what was observed, what the policy says
//! and the comparison, and adds [`Finding`]s whose codes name the rule item
//! they come from (`MIIT-3.1-pre-consent` ...):
//! * [`consent`]: personal data sent before the user consented (认定方法 三.1);
//! * [`frequency`]: a data type sent to one host more often than a rate (四.4);
//! * [`necessity`]: data beyond the necessary information of the app's type
//!   (2021 《常见类型移动互联网应用程序必要个人信息范围规定》);
//! * [`checklist`]: what the policy text must contain (二.1, 二.3, 三.8, 六.1, 六.5).
//!
//! The tables are data: `ontology/miit_rules.json` (rule items, frequency
//! defaults), `ontology/necessary_info.json` (the 39 app types) and
//! `ontology/policy_checklist.json` (cue phrases in Chinese and English).

use crate::compare::{Comparison, Finding, FindingKind, Label};
use crate::observe::{Flow, FlowSource, Observation};
use crate::ontology::Ontologies;
use crate::policy::{Language, PolicyDocument};
use crate::{Error, Result};
use serde::Deserialize;

pub mod checklist;
pub mod consent;
pub mod frequency;
pub mod necessity;

pub use consent::ConsentSplit;
pub use frequency::FrequencyLimit;
pub use necessity::AppType;

/// The rule table as JSON.
pub const MIIT_RULES_JSON: &str = include_str!("../../ontology/miit_rules.json");

/// One rule item of the table.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleItem {
    pub code: String,
    /// A short English title.
    pub name: String,
    /// Where in the regulation (`三.1`).
    pub item: String,
    pub title_zh: String,
    /// The rule summarised in English.
    pub summary: String,
    /// What candor checks for it.
    pub checked: String,
}

/// `ontology/miit_rules.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct MiitRules {
    pub source: String,
    pub rules: Vec<RuleItem>,
    pub frequency: FrequencyTable,
    pub not_personal: NotPersonal,
}

/// Default frequency limits.
#[derive(Debug, Clone, Deserialize)]
pub struct FrequencyTable {
    pub limits: Vec<FrequencyLimit>,
}

/// What the consent, frequency and necessity rules leave aside.
#[derive(Debug, Clone, Deserialize)]
pub struct NotPersonal {
    /// Flow `matched` values (implicit flows every request makes).
    pub matches: Vec<String>,
    /// Technical data types that identify no one.
    pub data_types: Vec<String>,
}

impl NotPersonal {
    /// Whether a flow is data the app was seen to collect: a request that
    /// carried a personal data type (not merely made), or a dangerous permission.
    pub fn counts(&self, flow: &Flow) -> bool {
        let matched = match &flow.source {
            FlowSource::Request { matched, .. } => matched.as_str(),
            _ => "",
        };
        !self.matches.iter().any(|m| m == matched) && !self.data_types.contains(&flow.data_type)
    }
}

impl MiitRules {
    /// The table compiled into the binary.
    pub fn shipped() -> Result<&'static MiitRules> {
        use std::sync::OnceLock;
        static CELL: OnceLock<std::result::Result<MiitRules, String>> = OnceLock::new();
        CELL.get_or_init(|| serde_json::from_str(MIIT_RULES_JSON).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Data(format!("ontology/miit_rules.json: {e}")))
    }

    /// The rule item of a code.
    pub fn item(&self, code: &str) -> Option<&RuleItem> {
        self.rules.iter().find(|r| r.code == code)
    }
}

/// Whether the MIIT policy checks (text, necessity, frequency) run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MiitMode {
    /// On for a policy written mostly in Chinese.
    #[default]
    Auto,
    On,
    Off,
}

/// What the rules stage is asked to check.
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    pub miit: MiitMode,
    /// Which captured requests came before the user's consent.
    pub consent: ConsentSplit,
    /// `--app-type`: the necessary-information check runs only with one.
    pub app_type: Option<&'static AppType>,
    /// Limits that replace the default of their data type.
    pub frequency_limits: Vec<FrequencyLimit>,
}

impl RuleOptions {
    /// Whether the MIIT policy checks run for this policy.
    pub fn miit_on(&self, doc: &PolicyDocument) -> bool {
        match self.miit {
            MiitMode::On => true,
            MiitMode::Off => false,
            MiitMode::Auto => doc.language == Language::Zh || self.app_type.is_some() || !self.frequency_limits.is_empty(),
        }
    }
}

/// Run the rules and add their findings to `comparison` (kept in the
/// compare stage's order: severity, then code, then message). The
/// pre-consent rule runs whenever `options.consent` marks some traffic;
/// the others when [`RuleOptions::miit_on`]; the necessary-information
/// rule only with an app type.
pub fn apply(options: &RuleOptions, doc: &PolicyDocument, observed: &Observation, ont: &Ontologies, comparison: &mut Comparison) -> Result<()> {
    let rules = MiitRules::shipped()?;
    let mut found = consent::pre_consent(&options.consent, observed, rules);
    if options.miit_on(doc) {
        found.extend(frequency::excessive(observed, &options.frequency_limits, rules, ont)?);
        if let Some(t) = options.app_type {
            found.extend(necessity::beyond_necessary(t, observed, ont));
        }
        found.extend(checklist::check_policy(doc, observed, ont)?);
    }
    comparison.findings.extend(found);
    comparison.findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.code.cmp(&b.code)).then(a.message.cmp(&b.message)));
    Ok(())
}

/// A finding of one kind with its default severity.
pub(crate) fn finding(kind: FindingKind, message: String, data_type: Option<String>, recipient: Option<String>, labels: Vec<Label>) -> Finding {
    Finding { code: kind.code().to_string(), kind, severity: kind.severity(), message, data_type, recipient, labels }
}

/// Most request labels a rule finding carries.
pub(crate) const MAX_LABELS: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_miit_kind_has_a_rule_item_and_back() {
        let rules = MiitRules::shipped().expect("miit_rules.json parses");
        for k in FindingKind::miit() {
            assert!(rules.item(k.code()).is_some(), "{} has no rule item", k.code());
        }
        for r in &rules.rules {
            assert!(FindingKind::miit().any(|k| k.code() == r.code), "{} is no finding kind", r.code);
        }
        let ont = crate::ontology::shipped().unwrap();
        for t in &rules.not_personal.data_types {
            assert!(ont.data_types.contains(t), "unknown data type {t}");
        }
        for l in &rules.frequency.limits {
            assert!(ont.data_types.contains(&l.data_type), "unknown data type {}", l.data_type);
            assert!(l.max > 0 && l.window_s > 0);
        }
    }
}
