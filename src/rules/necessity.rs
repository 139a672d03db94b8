//! Necessary information (认定方法 四.1 and the 2021 《常见类型移动互联网应用程序
//! 必要个人信息范围规定》): for 39 common app types the regulation lists the
//! personal information the basic service needs (`ontology/necessary_info.json`,
//! each item mapped to candor data types). With `--app-type`, every data
//! type the app was seen to collect beyond that is reported, as a note: an
//! app may collect more with the user's separate consent, but may not refuse
//! the basic service to a user who declines.

use super::{finding, MiitRules, MAX_LABELS};
use crate::compare::{flow_label, Finding, FindingKind};
use crate::observe::Observation;
use crate::ontology::Ontologies;
use crate::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The table as JSON.
pub const NECESSARY_INFO_JSON: &str = include_str!("../../ontology/necessary_info.json");

/// One item of necessary information.
#[derive(Debug, Clone, Deserialize)]
pub struct NecessaryItem {
    pub zh: String,
    pub en: String,
    /// The candor data types the item stands for.
    pub data_types: Vec<String>,
}

/// One of the 39 app types.
#[derive(Debug, Clone, Deserialize)]
pub struct AppType {
    /// Its number in the regulation (1 to 39).
    pub number: u32,
    /// candor's id (`map-navigation`).
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub basic_service: String,
    /// Empty: the basic service needs no personal information.
    pub necessary: Vec<NecessaryItem>,
}

/// `ontology/necessary_info.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct NecessaryInfo {
    pub source: String,
    pub app_types: Vec<AppType>,
}

impl NecessaryInfo {
    /// The table compiled into the binary.
    pub fn shipped() -> Result<&'static NecessaryInfo> {
        use std::sync::OnceLock;
        static CELL: OnceLock<std::result::Result<NecessaryInfo, String>> = OnceLock::new();
        CELL.get_or_init(|| serde_json::from_str(NECESSARY_INFO_JSON).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Data(format!("ontology/necessary_info.json: {e}")))
    }

    /// Find an app type by its id, number (`1`..`39`), Chinese name (with
    /// or without the final 类) or English name (any case); a usage error
    /// listing the ids otherwise.
    pub fn find(&'static self, name: &str) -> Result<&'static AppType> {
        let n = name.trim();
        let lower = n.to_lowercase();
        self.app_types
            .iter()
            .find(|t| {
                t.id == lower
                    || n.parse::<u32>().is_ok_and(|x| x == t.number)
                    || t.name_zh == n
                    || t.name_zh.trim_end_matches('类') == n
                    || t.name_en.to_lowercase() == lower
            })
            .ok_or_else(|| {
                let ids: Vec<&str> = self.app_types.iter().map(|t| t.id.as_str()).collect();
                Error::Usage(format!("--app-type: unknown app type {n:?} (use one of: {})", ids.join(", ")))
            })
    }
}

impl AppType {
    /// Whether the necessary information covers a data type: a necessary
    /// type equals it, or one of them is the other's ancestor (a flow named
    /// only broadly, `contact_info`, is given the benefit of the doubt).
    pub fn covers(&self, data_type: &str, ont: &Ontologies) -> bool {
        self.necessary.iter().flat_map(|i| &i.data_types).any(|t| {
            t == data_type || ont.data_types.subsumes(t, data_type) || ont.data_types.subsumes(data_type, t)
        })
    }
}

/// The findings of the necessity rule: one note per data type collected
/// (a request carried it, or a dangerous permission exposes it) that the
/// app type's necessary information does not cover, with up to five flows
/// as evidence.
pub fn beyond_necessary(app_type: &AppType, observed: &Observation, ont: &Ontologies) -> Vec<Finding> {
    let Ok(rules) = MiitRules::shipped() else { return Vec::new() };
    let mut by_type: BTreeMap<&str, Vec<&crate::observe::Flow>> = BTreeMap::new();
    for f in observed.flows.iter().filter(|f| rules.not_personal.counts(f)) {
        if !app_type.covers(&f.data_type, ont) {
            by_type.entry(f.data_type.as_str()).or_default().push(f);
        }
    }
    let needed = if app_type.necessary.is_empty() {
        "which needs no personal information for its basic service".to_string()
    } else {
        format!("whose necessary information is: {}", app_type.necessary.iter().map(|i| i.en.as_str()).collect::<Vec<_>>().join("; "))
    };
    by_type
        .into_iter()
        .map(|(data_type, flows)| {
            let message = format!(
                "{data_type} collected ({} flow{}), beyond the necessary information of a {} ({}) app, {needed}",
                flows.len(),
                if flows.len() == 1 { "" } else { "s" },
                app_type.name_en,
                app_type.name_zh
            );
            let labels = flows.iter().take(MAX_LABELS).map(|f| flow_label(f)).collect();
            finding(FindingKind::UnnecessaryData, message, Some(data_type.to_string()), None, labels)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_39_types_with_known_data_types() {
        let t = NecessaryInfo::shipped().expect("necessary_info.json parses");
        let ont = crate::ontology::shipped().unwrap();
        assert_eq!(t.app_types.len(), 39);
        for (i, a) in t.app_types.iter().enumerate() {
            assert_eq!(a.number as usize, i + 1);
            for d in a.necessary.iter().flat_map(|n| &n.data_types) {
                assert!(ont.data_types.contains(d), "{}: unknown data type {d}", a.id);
            }
        }
        // 13 types need no personal information (规定 第五条).
        assert_eq!(t.app_types.iter().filter(|a| a.necessary.is_empty()).count(), 13);
        assert_eq!(t.find("地图导航类").unwrap().id, "map-navigation");
        assert_eq!(t.find("地图导航").unwrap().number, 1);
        assert_eq!(t.find("39").unwrap().id, "performance-tickets");
        assert!(t.find("spaceships").is_err());
    }
}
