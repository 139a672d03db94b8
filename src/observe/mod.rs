//! Observe: what the app was seen to do. Reads Android manifests (text XML),
//! HAR traffic captures and an optional device profile, and produces
//! [`Flow`]s: a data type reaching a destination, with the evidence.

use serde::{Deserialize, Serialize};

pub mod destination;
pub mod device;
pub mod har;
pub mod manifest;

pub use destination::{resolve_destination, FirstParty};
pub use device::DeviceProfile;
pub use har::{read_har, Traffic};
pub use manifest::{read_manifest, Manifest};

use crate::ontology::Ontologies;
use std::path::PathBuf;

/// Where data went.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Destination {
    /// Host name as contacted (lower case).
    pub host: String,
    /// Registrable domain (public suffix + 1), e.g. `doubleclick.net`.
    pub domain: String,
    /// Entity-ontology organization id, when known.
    pub organization: Option<String>,
    /// The organization's display name, when known.
    pub organization_name: Option<String>,
    /// The organization's entity categories (advertising, analytics, ...).
    pub categories: Vec<String>,
    /// True when the host belongs to the app maker itself.
    pub first_party: bool,
}

/// How an observed flow was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlowSource {
    /// The manifest requests a permission that exposes the data type.
    Permission { permission: String, file: String },
    /// A request carried the data.
    Request {
        method: String,
        url: String,
        /// Where in the request: `query:lat`, `header:x-device-id`, `body:json:user.email`, `cookie:uid`.
        location: String,
        /// How the data was recognised: `key` (by its name) or `value:<encoding>` (a device-profile value).
        matched: String,
        file: String,
        /// Index of the entry in the capture (0-based).
        entry: usize,
    },
}

/// One observed data flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// A data-type ontology id.
    pub data_type: String,
    pub destination: Destination,
    pub source: FlowSource,
    /// 1.0 for value matches and permissions, lower for key-name guesses.
    pub confidence: f32,
}

/// A permission the manifest requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestedPermission {
    pub name: String,
    /// AOSP `dangerous` (runtime) permission.
    pub dangerous: bool,
    /// Data types it exposes (data-type ontology ids).
    pub data_types: Vec<String>,
    /// `maxSdkVersion`, when set.
    pub max_sdk: Option<u32>,
    /// The manifest it came from.
    pub file: String,
}

/// A request seen in traffic (one per HAR entry), whether or not it carried
/// recognised data: it tells which organizations the app contacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub method: String,
    pub url: String,
    pub destination: Destination,
    pub file: String,
    pub entry: usize,
}

/// Everything observed about one app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Android package name (or iOS bundle id).
    pub package: Option<String>,
    pub permissions: Vec<RequestedPermission>,
    /// `uses-feature` names.
    pub features: Vec<String>,
    pub flows: Vec<Flow>,
    pub contacts: Vec<Contact>,
}

/// The files to observe one app from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObserveInputs {
    /// Text AndroidManifest.xml files (main and flavours).
    pub manifests: Vec<PathBuf>,
    /// HAR captures of the app's traffic.
    pub traffic: Vec<PathBuf>,
    /// A device profile (known identifier values of the test device).
    pub device: Option<PathBuf>,
    /// Extra domains owned by the app maker (besides the one the package name suggests).
    pub first_party_domains: Vec<String>,
}

/// Observe an app: read its manifests (package, permissions, features), the
/// device profile and the traffic captures, and gather the flows.
///
/// Each data type of a dangerous permission becomes a flow to the app itself
/// (host = package name, or `app` when unknown; first party; confidence 1.0).
/// The package name suggests a first-party domain ([`FirstParty::from_package`]),
/// to which `first_party_domains` are added.
pub fn observe(inputs: &ObserveInputs, ont: &Ontologies) -> crate::Result<Observation> {
    use std::collections::HashSet;
    let mut obs = Observation::default();
    let mut seen_permissions: HashSet<String> = HashSet::new();
    let mut seen_features: HashSet<String> = HashSet::new();
    for path in &inputs.manifests {
        let m = read_manifest(path, &ont.data_types)?;
        if obs.package.is_none() {
            obs.package = m.package;
        }
        for p in m.permissions {
            if seen_permissions.insert(p.name.clone()) {
                obs.permissions.push(p);
            }
        }
        for f in m.features {
            if seen_features.insert(f.clone()) {
                obs.features.push(f);
            }
        }
    }
    let mut first_party = match &obs.package {
        Some(p) => FirstParty::from_package(p),
        None => FirstParty::default(),
    };
    for d in &inputs.first_party_domains {
        first_party.add_domain(d);
    }
    let app = obs.package.clone().unwrap_or_else(|| "app".to_string());
    let app_destination = Destination {
        host: app.clone(),
        domain: app,
        organization: None,
        organization_name: None,
        categories: Vec::new(),
        first_party: true,
    };
    // Permissions are unique by now, and so are their (permission, data type) flows.
    for p in obs.permissions.iter().filter(|p| p.dangerous) {
        let mut seen_types: HashSet<&str> = HashSet::new();
        for dt in &p.data_types {
            let source = FlowSource::Permission { permission: p.name.clone(), file: p.file.clone() };
            if seen_types.insert(dt.as_str()) {
                obs.flows.push(Flow {
                    data_type: dt.clone(),
                    destination: app_destination.clone(),
                    source,
                    confidence: 1.0,
                });
            }
        }
    }
    let device = match &inputs.device {
        Some(path) => Some(DeviceProfile::load(path, &ont.data_types)?),
        None => None,
    };
    for path in &inputs.traffic {
        let t = read_har(path, ont, &first_party, device.as_ref())?;
        obs.flows.extend(t.flows);
        obs.contacts.extend(t.contacts);
    }
    Ok(obs)
}
