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
