//! The data-type tree: ids, parents, the phrases policies use for each type,
//! the Android permissions that expose it and the traffic keys that carry it.

use super::phrases::{PhraseMatch, PhraseMatcher};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One node of the data-type tree.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataType {
    pub id: String,
    pub parent: Option<String>,
    /// Lower-case phrases a policy uses to name this type.
    #[serde(default)]
    pub names: Vec<String>,
    /// Android permissions that give access to this type.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Lower-case request keys (query, form, JSON, header, cookie names) that carry it.
    #[serde(default)]
    pub traffic_keys: Vec<String>,
    /// Human description.
    #[serde(default)]
    pub description: String,
}

/// One Android permission and what candor knows of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PermissionInfo {
    pub name: String,
    /// AOSP protection level (dangerous, normal, signature, ...).
    pub protection: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Deserialize)]
struct DataTypesFile {
    data_types: Vec<DataType>,
    /// Phrases that contain a data type's name but name no data
    /// ("短信验证码", a one-time code sent by SMS, is not SMS content): they
    /// win over the shorter name they contain and then give nothing.
    #[serde(default)]
    not_data: Vec<String>,
}

#[derive(Deserialize)]
struct PermissionsFile {
    permissions: Vec<PermissionInfo>,
}

/// The data-type tree with lookups by id, permission, traffic key and phrase.
#[derive(Debug, Clone)]
pub struct DataTypeOntology {
    types: Vec<DataType>,
    by_id: HashMap<String, usize>,
    by_permission: HashMap<String, Vec<usize>>,
    by_traffic_key: HashMap<String, usize>,
    permissions: HashMap<String, PermissionInfo>,
    matcher: PhraseMatcher,
    /// Digest of the source JSON (see [`DataTypeOntology::digest`]).
    digest: String,
}

impl DataTypeOntology {
    /// A short digest of the files this ontology was read from: part of the
    /// extractors' versions, so practices cached under other phrases are
    /// not reused.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Parse and check the data-type file and the permission table.
    pub fn from_json(types_json: &str, permissions_json: &str) -> crate::Result<Self> {
        let file: DataTypesFile = serde_json::from_str(types_json)
            .map_err(|e| crate::Error::Data(format!("data_types.json: {e}")))?;
        let perms: PermissionsFile = serde_json::from_str(permissions_json)
            .map_err(|e| crate::Error::Data(format!("permissions.json: {e}")))?;
        let mut ontology = Self::build(file.data_types, perms.permissions)?;
        if !file.not_data.is_empty() {
            let mut pairs: Vec<(String, String)> =
                ontology.types.iter().flat_map(|t| t.names.iter().map(|n| (n.clone(), t.id.clone()))).collect();
            pairs.extend(file.not_data.iter().map(|n| (n.clone(), String::new())));
            ontology.matcher = PhraseMatcher::new(pairs)?;
            ontology.digest = super::short_digest(&[&ontology.digest, &file.not_data.join("\n")]);
        }
        Ok(ontology)
    }

    /// Build from parsed parts, checking ids are unique, parents exist and
    /// the tree has no cycle.
    pub fn build(types: Vec<DataType>, permissions: Vec<PermissionInfo>) -> crate::Result<Self> {
        let digest = super::short_digest(&[
            &serde_json::to_string(&types).unwrap_or_default(),
            &serde_json::to_string(&permissions).unwrap_or_default(),
        ]);
        let mut by_id = HashMap::new();
        for (i, t) in types.iter().enumerate() {
            if by_id.insert(t.id.clone(), i).is_some() {
                return Err(crate::Error::Data(format!("data type {} is defined twice", t.id)));
            }
        }
        for t in &types {
            if let Some(p) = &t.parent {
                if !by_id.contains_key(p) {
                    return Err(crate::Error::Data(format!("data type {} has unknown parent {p}", t.id)));
                }
            }
        }
        for t in &types {
            let mut seen = 0;
            let mut cur = t.parent.as_deref();
            while let Some(p) = cur {
                seen += 1;
                if p == t.id || seen > types.len() {
                    return Err(crate::Error::Data(format!("data type {} is its own ancestor", t.id)));
                }
                cur = types[by_id[p]].parent.as_deref();
            }
        }
        let mut by_permission: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_traffic_key = HashMap::new();
        let mut phrases = Vec::new();
        for (i, t) in types.iter().enumerate() {
            for p in &t.permissions {
                by_permission.entry(p.clone()).or_default().push(i);
            }
            for k in &t.traffic_keys {
                by_traffic_key.entry(k.to_ascii_lowercase()).or_insert(i);
            }
            for n in &t.names {
                phrases.push((n.clone(), t.id.clone()));
            }
        }
        let matcher = PhraseMatcher::new(phrases)?;
        let permissions = permissions.into_iter().map(|p| (p.name.clone(), p)).collect();
        Ok(DataTypeOntology { types, by_id, by_permission, by_traffic_key, permissions, matcher, digest })
    }

    /// All data types in file order.
    pub fn all(&self) -> &[DataType] {
        &self.types
    }

    /// The data type with this id.
    pub fn get(&self, id: &str) -> Option<&DataType> {
        self.by_id.get(id).map(|&i| &self.types[i])
    }

    /// True when `id` names a data type.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The ids from `id` up to the root, `id` first.
    pub fn lineage<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let mut cur = self.get(id).map(|t| t.id.as_str());
        std::iter::from_fn(move || {
            let this = cur?;
            cur = self.get(this).and_then(|t| t.parent.as_deref());
            Some(this)
        })
    }

    /// True when `general` equals `specific` or is one of its ancestors.
    pub fn subsumes(&self, general: &str, specific: &str) -> bool {
        self.lineage(specific).any(|a| a == general)
    }

    /// Number of edges from the root to `id` (root = 0).
    pub fn depth(&self, id: &str) -> usize {
        self.lineage(id).count().saturating_sub(1)
    }

    /// Data types a permission exposes.
    pub fn for_permission(&self, permission: &str) -> Vec<&str> {
        self.by_permission
            .get(permission)
            .map(|v| v.iter().map(|&i| self.types[i].id.as_str()).collect())
            .unwrap_or_default()
    }

    /// What candor knows of an Android permission.
    pub fn permission(&self, permission: &str) -> Option<&PermissionInfo> {
        self.permissions.get(permission)
    }

    /// True for AOSP `dangerous` (runtime) permissions.
    pub fn is_dangerous(&self, permission: &str) -> bool {
        self.permission(permission).is_some_and(|p| p.protection.split('|').any(|l| l == "dangerous"))
    }

    /// The data type a request key (already lower-cased) carries, if known.
    pub fn for_traffic_key(&self, key: &str) -> Option<&str> {
        self.by_traffic_key.get(key).map(|&i| self.types[i].id.as_str())
    }

    /// Find data-type phrases in text; overlapping matches resolve to the
    /// longest (a phrase of `not_data` names nothing).
    pub fn find_phrases(&self, text: &str) -> Vec<PhraseMatch> {
        self.matcher.find(text)
    }
}
