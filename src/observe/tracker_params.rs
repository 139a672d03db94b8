//! Per-tracker parameter names (`ontology/tracker_parameters.json`): what a
//! tracker's own parameters carry, where its documentation or SDK source
//! says so ("`rdid`" at Google's ad servers is the advertising ID, "`v`" at
//! Singular is the OS version). Such names are too short or too generic to
//! read as data anywhere else, so a rule applies only to requests whose host
//! is one of the tracker's domains. Each entry names the research note it
//! rests on.

use serde::Deserialize;

/// The shipped table.
pub const TRACKER_PARAMETERS_JSON: &str = include_str!("../../ontology/tracker_parameters.json");

/// One documented parameter.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct TrackerParameter {
    /// The parameter (query or form key, JSON key or dotted JSON path, cookie name).
    pub name: String,
    /// The data-type ontology id it carries.
    pub data_type: String,
    /// The research note the entry rests on.
    pub research: String,
}

/// One tracker: its domains and documented parameters.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct TrackerParameters {
    /// TrackHAR's tracker slug (`branch-io`).
    pub tracker: String,
    pub name: String,
    /// Registrable domains (every host under one matches).
    pub hosts: Vec<String>,
    pub parameters: Vec<TrackerParameter>,
}

/// The table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct TrackerParameterTable {
    pub source: String,
    pub trackers: Vec<TrackerParameters>,
}

impl TrackerParameterTable {
    /// The table compiled into candor.
    pub fn shipped() -> crate::Result<&'static TrackerParameterTable> {
        use std::sync::OnceLock;
        static CELL: OnceLock<Result<TrackerParameterTable, String>> = OnceLock::new();
        match CELL.get_or_init(|| {
            serde_json::from_str(TRACKER_PARAMETERS_JSON).map_err(|e| format!("ontology/tracker_parameters.json: {e}"))
        }) {
            Ok(t) => Ok(t),
            Err(e) => Err(crate::Error::Data(e.clone())),
        }
    }

    /// The tracker whose registrable domain is `domain` (as
    /// [`super::destination::registrable_domain`] gives it for a request's host).
    pub fn for_domain(&self, domain: &str) -> Option<&TrackerParameters> {
        self.trackers.iter().find(|t| t.hosts.iter().any(|h| h == domain))
    }
}

impl TrackerParameters {
    /// The documented parameter a key names: the key itself (any letter
    /// case), or for a dotted JSON path the end of the key's location
    /// (`body:json:client.uuids.advertisingIdentifier`).
    pub fn parameter(&self, key: &str, location: &str) -> Option<&TrackerParameter> {
        let location = location.as_bytes();
        self.parameters.iter().find(|p| {
            let name = p.name.as_bytes();
            p.name.eq_ignore_ascii_case(key)
                || (p.name.contains('.')
                    && location.len() > name.len()
                    && location[location.len() - name.len()..].eq_ignore_ascii_case(name)
                    && matches!(location[location.len() - name.len() - 1], b':' | b'.'))
        })
    }
}
