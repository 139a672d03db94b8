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
    /// The candor data-type id the group stands for, e.g. `contact_info`.
    pub data_type: String,
}

/// The most specific of `groups` whose data type subsumes data type `id`
/// (the group a data type is labelled with), if any.
pub fn group_of<'g>(groups: &'g [DataGroup], dt: &crate::ontology::DataTypeOntology, id: &str) -> Option<&'g DataGroup> {
    groups.iter().filter(|g| dt.subsumes(&g.data_type, id)).max_by_key(|g| dt.depth(&g.data_type))
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
/// candor data type each stands for.
pub fn default_groups() -> Vec<DataGroup> {
    [
        ("contact", "contact_info"),
        ("location", "location"),
        ("computer_info", "device_info"),
        ("cookies_tracking", "cookies"),
        ("ip_device_ids", "identifiers"),
        ("demographic", "demographics"),
        ("financial", "financial_info"),
        ("health", "health_info"),
        ("personal_identifier", "government_id"),
        ("social_media", "social_media_info"),
        ("survey", "user_content"),
        ("online_activity", "usage_data"),
        ("user_profile", "account_info"),
        ("generic", "personal_info"),
    ]
    .into_iter()
    .map(|(n, d)| DataGroup { name: n.to_string(), data_type: d.to_string() })
    .collect()
}
