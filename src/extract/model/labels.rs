//! The model's label space: which output is which head, the decision
//! threshold of each, and which data type each data group stands for.
//! Stored beside the weights as `labels.json`.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Per-sentence heads before the data groups, in output order.
pub const BASE_LABELS: [&str; 9] =
    ["practice", "first_party", "third_party", "collect", "use", "share", "sell", "retain", "negated"];

/// Index of each base head in the output vector.
pub mod idx {
    pub const PRACTICE: usize = 0;
    pub const FIRST_PARTY: usize = 1;
    pub const THIRD_PARTY: usize = 2;
    /// collect, use, share, sell, retain follow in [`crate::extract::Action::ALL`] order.
    pub const ACTIONS: usize = 3;
    pub const NEGATED: usize = 8;
    pub const GROUPS: usize = 9;
}

/// One data group the model predicts (an OPP-115 "personal information type").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataGroup {
    /// Label name, e.g. `contact`.
    pub name: String,
    /// The candor data-type id the group stands for, e.g. `contact_info`:
    /// what a predicted group with no data phrase in the sentence yields.
    pub data_type: String,
    /// Further subtrees the group covers where the OPP-115 scheme and the
    /// ontology's tree differ: OPP-115's "User profile" includes content
    /// the user uploads or posts and the account's user name, which the
    /// ontology files under `user_content` and `identifiers`, not under
    /// `account_info`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

impl DataGroup {
    /// The most specific of the group's roots (its data type and `also`)
    /// above data type `id`, with its depth in the tree.
    fn covering_depth(&self, dt: &crate::ontology::DataTypeOntology, id: &str) -> Option<usize> {
        std::iter::once(&self.data_type).chain(&self.also).filter(|root| dt.subsumes(root, id)).map(|root| dt.depth(root)).max()
    }

    /// Does the group cover data type `id`?
    pub fn covers(&self, dt: &crate::ontology::DataTypeOntology, id: &str) -> bool {
        self.covering_depth(dt, id).is_some()
    }
}

/// The group a data type is labelled with: of the `groups` that cover data
/// type `id`, the one whose covering root is the most specific, if any.
pub fn group_of<'g>(groups: &'g [DataGroup], dt: &crate::ontology::DataTypeOntology, id: &str) -> Option<&'g DataGroup> {
    group_index(groups, dt, id).map(|i| &groups[i])
}

/// Position in `groups` of the group [`group_of`] gives data type `id`.
pub fn group_index(groups: &[DataGroup], dt: &crate::ontology::DataTypeOntology, id: &str) -> Option<usize> {
    groups.iter().enumerate().filter_map(|(i, g)| g.covering_depth(dt, id).map(|d| (i, d))).max_by_key(|(_, d)| *d).map(|(i, _)| i)
}

/// The label map shipped with the model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LabelSpace {
    /// Model version; part of the extraction cache key.
    pub version: String,
    pub groups: Vec<DataGroup>,
    /// One threshold per output (base labels, then groups).
    pub thresholds: Vec<f32>,
    /// Encoder layers fine-tuned (the rest were frozen).
    #[serde(default)]
    pub trainable_layers: usize,
    /// Held-out metrics measured when the model was trained.
    #[serde(default)]
    pub metrics: serde_json::Value,
    /// Decoding bars chosen for this model on its development data, where
    /// they differ from the defaults of [`crate::extract::model::decode`].
    #[serde(default, skip_serializing_if = "DecodingBars::is_default")]
    pub decoding: DecodingBars,
}

/// The bars decoding applies to a model's probabilities (see
/// `decode::MIN_PRACTICE_PROBABILITY` and its neighbours for what each does).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DecodingBars {
    pub min_practice: f32,
    pub min_phrase_group: f32,
    pub min_umbrella: f32,
}

impl Default for DecodingBars {
    fn default() -> Self {
        use crate::extract::model::decode::{MIN_PHRASE_GROUP_PROBABILITY, MIN_PRACTICE_PROBABILITY, MIN_UMBRELLA_PROBABILITY};
        DecodingBars { min_practice: MIN_PRACTICE_PROBABILITY, min_phrase_group: MIN_PHRASE_GROUP_PROBABILITY, min_umbrella: MIN_UMBRELLA_PROBABILITY }
    }
}

impl DecodingBars {
    /// True for the defaults (then labels.json need not mention them).
    pub fn is_default(&self) -> bool {
        *self == DecodingBars::default()
    }
}

impl LabelSpace {
    /// All output names: base labels then `group:<name>`.
    pub fn names(&self) -> Vec<String> {
        BASE_LABELS
            .iter()
            .map(|s| s.to_string())
            .chain(self.groups.iter().map(|g| format!("group:{}", g.name)))
            .collect()
    }

    /// Number of outputs.
    pub fn len(&self) -> usize {
        BASE_LABELS.len() + self.groups.len()
    }

    /// True when there are no outputs (never for a real model).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Read `labels.json`.
    pub fn load(path: &Path) -> crate::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::Model(format!("{}: {e}", path.display())))?;
        let space: LabelSpace =
            serde_json::from_str(&text).map_err(|e| crate::Error::Model(format!("{}: {e}", path.display())))?;
        if space.thresholds.len() != space.len() {
            return Err(crate::Error::Model(format!(
                "{}: {} thresholds for {} outputs",
                path.display(),
                space.thresholds.len(),
                space.len()
            )));
        }
        Ok(space)
    }

    /// Write `labels.json`.
    pub fn save(&self, path: &Path) -> crate::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| crate::Error::Model(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| crate::Error::Model(format!("{}: {e}", path.display())))
    }
}

/// The OPP-115 personal-information types the model predicts, with the
/// candor data type each stands for (and the further subtrees it covers).
pub fn default_groups() -> Vec<DataGroup> {
    [
        ("contact", "contact_info", &[][..]),
        ("location", "location", &[]),
        ("computer_info", "device_info", &[]),
        ("cookies_tracking", "cookies", &[]),
        ("ip_device_ids", "identifiers", &[]),
        ("demographic", "demographics", &[]),
        ("financial", "financial_info", &[]),
        // OPP-115: "health conditions, ... health monitoring data, e.g.
        // heart rate, step count, activity level".
        ("health", "health_fitness", &[]),
        ("personal_identifier", "government_id", &[]),
        ("social_media", "social_media_info", &[]),
        ("survey", "survey_responses", &[]),
        ("online_activity", "usage_data", &[]),
        // OPP-115's "User profile" includes the user name of the account
        // (the ontology files user names under identifiers) and content
        // the user uploads or posts (under `user_content`).
        ("user_profile", "account_info", &["user_content", "username"]),
        ("generic", "personal_info", &[]),
    ]
    .into_iter()
    .map(|(n, d, also)| DataGroup {
        name: n.to_string(),
        data_type: d.to_string(),
        also: also.iter().map(|s| s.to_string()).collect(),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_types_fall_in_the_opp115_group_that_describes_them() {
        let dt = &crate::ontology::shipped().unwrap().data_types;
        let groups = default_groups();
        for g in &groups {
            for root in std::iter::once(&g.data_type).chain(&g.also) {
                assert!(dt.contains(root), "group {} names unknown type {root}", g.name);
            }
        }
        let group = |id: &str| group_of(&groups, dt, id).map(|g| g.name.as_str());
        // The most specific covering root wins: survey answers are user
        // content, but the survey group's own type is more specific.
        assert_eq!(group("survey_responses"), Some("survey"));
        assert_eq!(group("photos_videos"), Some("user_profile"), "uploaded content is OPP-115 'User profile'");
        assert_eq!(group("account_credentials"), Some("user_profile"));
        assert_eq!(group("username"), Some("user_profile"), "a screen name belongs to the account profile");
        assert_eq!(group("user_id"), Some("ip_device_ids"));
        assert_eq!(group("fitness_info"), Some("health"), "step count, activity level");
        assert_eq!(group("health_info"), Some("health"));
        assert_eq!(group("ssn"), Some("personal_identifier"));
        assert_eq!(group("advertising_id"), Some("ip_device_ids"));
        assert_eq!(group("email_address"), Some("contact"));
        assert_eq!(group("personal_info"), Some("generic"));
        let survey = groups.iter().find(|g| g.name == "survey").unwrap();
        assert!(survey.covers(dt, "survey_responses") && !survey.covers(dt, "photos_videos"));
    }
}
