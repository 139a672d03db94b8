//! Observe: what the app was seen to do. Reads Android manifests (text XML),
//! app archives (APK/XAPK with binary manifests and DEX code, IPA), iOS
//! `Info.plist` and `PrivacyInfo.xcprivacy` files, HAR traffic captures,
//! pcap/pcapng packet captures and an optional device profile, and produces
//! [`Flow`]s: a data type reaching a destination, with the evidence; plus
//! the contacted hosts and the tracker SDKs embedded in the code.

use serde::{Deserialize, Serialize};

pub mod apk;
pub mod arsc;
pub mod axml;
pub mod destination;
pub mod device;
pub mod dex;
pub mod geo;
pub mod har;
pub mod implicit;
pub mod ios;
pub mod manifest;
pub mod pcap;
pub mod protoxml;
pub mod sdk;
pub mod timestamp;
pub mod tracker_params;
pub mod zip;

pub use destination::{resolve_destination, FirstParty};
pub use device::DeviceProfile;
pub use har::{read_har, Traffic};
pub use manifest::{read_manifest, Manifest};
pub use apk::{read_apk, ApkContents};
pub use ios::{read_ios_file, read_ipa, IosContents};
pub use pcap::read_pcap;
pub use sdk::SdkDetector;

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
    /// The server address the capture recorded for this request or host
    /// (HAR `serverIPAddress`, a packet's destination, a DNS answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The country `ip` is registered to ([`geo`]); `None` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
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
    /// An iOS app declares access to the data: an `NS*UsageDescription`
    /// key of its Info.plist (with the developer's stated reason), or a
    /// collected-data type of its privacy manifest.
    UsageDescription { key: String, reason: String, file: String },
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

impl Flow {
    /// True for access the app declares to data on the device (a dangerous
    /// permission, an iOS usage description or privacy-manifest type)
    /// rather than data seen leaving it in a request.
    pub fn is_device_access(&self) -> bool {
        matches!(self.source, FlowSource::Permission { .. } | FlowSource::UsageDescription { .. })
    }
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
    /// When the request started (HAR `startedDateTime`), in milliseconds
    /// since the Unix epoch; `None` when the capture does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_ms: Option<i64>,
}

/// An app component declared in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// `activity`, `activity-alias`, `service`, `receiver` or `provider`.
    pub kind: String,
    /// Fully qualified class name.
    pub name: String,
}

/// A `<meta-data>` entry (SDK keys and settings often live here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaData {
    pub name: String,
    /// The value, or `@0x...` for an unresolved resource reference.
    pub value: String,
    /// The component it belongs to; `None` for the application's own.
    #[serde(default)]
    pub component: Option<String>,
}

/// Facts about an app package read from an archive or iOS property list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppInfo {
    /// The archive or file read.
    pub file: String,
    /// `android` or `ios`.
    pub platform: String,
    /// Package name or bundle id.
    pub package: Option<String>,
    /// Android versionCode / iOS CFBundleVersion.
    pub version_code: Option<String>,
    /// Android versionName / iOS CFBundleShortVersionString.
    pub version_name: Option<String>,
    /// Android minSdkVersion / iOS MinimumOSVersion.
    pub min_sdk: Option<String>,
    pub target_sdk: Option<String>,
    pub components: Vec<Component>,
    pub meta_data: Vec<MetaData>,
    /// Android `<queries>`: `package:NAME`, `intent:ACTION`, `provider:AUTHORITY`.
    pub queries: Vec<String>,
    /// iOS privacy manifest `NSPrivacyTracking`.
    pub tracking: Option<bool>,
    /// iOS privacy manifest `NSPrivacyTrackingDomains`.
    pub tracking_domains: Vec<String>,
    /// Android: the DEX files scanned for tracker SDKs (`app.apk!classes2.dex`), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dex_files: Vec<String>,
    /// Android: classes defined in those DEX files, all together.
    #[serde(skip_serializing_if = "is_zero")]
    pub classes: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Whether an embedded SDK was also seen in traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdkStatus {
    /// The code is in the app; no traffic to it was observed (not a transfer).
    #[default]
    Embedded,
    /// The code is in the app and traffic reached a host of its network signature.
    Contacted,
}

/// A tracker SDK whose code is embedded in the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddedSdk {
    /// Exodus Privacy tracker id.
    pub tracker_id: u32,
    pub name: String,
    /// Entity-ontology organization id, when known.
    pub organization: Option<String>,
    pub organization_name: Option<String>,
    /// Entity-ontology category ids (advertising, analytics, ...).
    pub categories: Vec<String>,
    /// Exodus categories as published.
    pub tracker_categories: Vec<String>,
    pub website: String,
    /// The code signature that matched (`com.facebook.ads.`).
    pub signature: String,
    /// One class that matched it (`com.facebook.ads.AdView`).
    pub class: String,
    /// The DEX file it was found in (`app.apk!classes2.dex`).
    pub file: String,
    pub status: SdkStatus,
    /// Hosts of its network signature that traffic reached.
    #[serde(default)]
    pub contacted_hosts: Vec<String>,
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
    /// App archives and property lists read (version, components, meta-data, ...).
    #[serde(default)]
    pub apps: Vec<AppInfo>,
    /// Tracker SDKs embedded in the code (not transfers by themselves).
    #[serde(default)]
    pub sdks: Vec<EmbeddedSdk>,
    /// Capture entries skipped or read only in part, with the file and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// The IP-to-country table the destinations' countries come from (its label: source and date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_table: Option<String>,
}

/// The files to observe one app from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObserveInputs {
    /// Text AndroidManifest.xml files (main and flavours). Binary manifests,
    /// app archives (APK/XAPK/IPA) and iOS property lists given here are
    /// recognised by their content and read as such.
    pub manifests: Vec<PathBuf>,
    /// HAR captures of the app's traffic; pcap/pcapng files given here are
    /// recognised by their magic number and read as packet captures.
    pub traffic: Vec<PathBuf>,
    /// A device profile (known identifier values of the test device).
    pub device: Option<PathBuf>,
    /// Extra domains owned by the app maker (besides the one the package name suggests).
    pub first_party_domains: Vec<String>,
    /// Android archives (.apk, .xapk).
    pub apks: Vec<PathBuf>,
    /// iOS archives (.ipa).
    pub ipas: Vec<PathBuf>,
    /// Loose iOS files: Info.plist (XML or binary) and PrivacyInfo.xcprivacy.
    pub plists: Vec<PathBuf>,
    /// Packet captures (.pcap, .pcapng): DNS queries and TLS server names.
    pub pcaps: Vec<PathBuf>,
    /// An IP-to-country table to use instead of the shipped one.
    pub geo_table: Option<PathBuf>,
}

/// Observe an app: read its manifests and archives (package, permissions,
/// features, embedded SDKs), its iOS property lists (usage descriptions,
/// privacy manifest), the device profile and the traffic and packet
/// captures, and gather the flows.
///
/// iOS usage descriptions and the app's privacy-manifest data types are
/// flows to the app itself, like dangerous permissions. Embedded SDKs make
/// no flows: they are listed in [`Observation::sdks`], `contacted` when a
/// capture reached a host of their network signature.
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
    let mut add_manifest = |obs: &mut Observation, m: Manifest| {
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
    };
    // Archives and property lists given as manifests are dispatched by content.
    let mut apks: Vec<&PathBuf> = inputs.apks.iter().collect();
    let mut ipas: Vec<&PathBuf> = inputs.ipas.iter().collect();
    let mut plists: Vec<&PathBuf> = inputs.plists.iter().collect();
    for path in &inputs.manifests {
        match sniff(path) {
            Sniffed::Zip if has_extension(path, &["ipa"]) => ipas.push(path),
            Sniffed::Zip => apks.push(path),
            Sniffed::Plist => plists.push(path),
            Sniffed::Axml => {
                let bytes = crate::error::read_input(path, manifest::MAX_MANIFEST_BYTES)?;
                let (info, permissions, features) = apk::parse_binary_manifest(&bytes, path, &ont.data_types)?;
                add_manifest(&mut obs, Manifest { package: info.package.clone(), permissions, features });
                obs.apps.push(info);
            }
            _ => {
                let m = read_manifest(path, &ont.data_types)?;
                add_manifest(&mut obs, m);
            }
        }
    }
    for path in apks {
        let apk = read_apk(path, ont)?;
        add_manifest(&mut obs, Manifest { package: apk.info.package.clone(), permissions: apk.permissions, features: apk.features });
        obs.apps.push(apk.info);
        for s in apk.sdks {
            if !obs.sdks.iter().any(|x| x.tracker_id == s.tracker_id) {
                obs.sdks.push(s);
            }
        }
    }
    let mut ios = IosContents::default();
    for path in ipas {
        ios.merge(read_ipa(path, &ont.data_types)?);
    }
    for path in plists {
        ios.merge(read_ios_file(path, &ont.data_types)?);
    }
    if obs.package.is_none() {
        obs.package = ios.apps.iter().find_map(|a| a.package.clone());
    }
    obs.apps.extend(ios.apps.iter().cloned());
    let mut first_party = match &obs.package {
        Some(p) => FirstParty::from_package(p),
        None => FirstParty::default(),
    };
    for d in &inputs.first_party_domains {
        first_party.add_domain(d);
    }
    let first_party = first_party.with_organization_of_domains(&ont.entities);
    let app = obs.package.clone().unwrap_or_else(|| "app".to_string());
    let app_destination = Destination {
        host: app.clone(),
        domain: app,
        organization: None,
        organization_name: None,
        categories: Vec::new(),
        first_party: true,
        ip: None,
        country: None,
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
    // iOS usage descriptions and privacy-manifest data types: access the app declares.
    let mut seen_declared: HashSet<(String, String)> = HashSet::new();
    for d in &ios.declared {
        if seen_declared.insert((d.data_type.clone(), d.key.clone())) {
            obs.flows.push(Flow {
                data_type: d.data_type.clone(),
                destination: app_destination.clone(),
                source: FlowSource::UsageDescription { key: d.key.clone(), reason: d.reason.clone(), file: d.file.clone() },
                confidence: 1.0,
            });
        }
    }
    let device = match &inputs.device {
        Some(path) => Some(DeviceProfile::load(path, &ont.data_types)?),
        None => None,
    };
    let mut pcaps: Vec<&PathBuf> = inputs.pcaps.iter().collect();
    for path in &inputs.traffic {
        if sniff(path) == Sniffed::Pcap {
            pcaps.push(path);
            continue;
        }
        let t = read_har(path, ont, &first_party, device.as_ref())?;
        obs.flows.extend(t.flows);
        obs.contacts.extend(t.contacts);
        // Said on standard error as they are found (a few per file), and kept.
        for s in t.skipped.iter().take(MAX_SKIPPED_SHOWN) {
            eprintln!("candor: warning: {s}");
        }
        if t.skipped.len() > MAX_SKIPPED_SHOWN {
            eprintln!("candor: warning: {}: {} more entries skipped or read in part", path.display(), t.skipped.len() - MAX_SKIPPED_SHOWN);
        }
        obs.skipped.extend(t.skipped);
    }
    for path in pcaps {
        obs.contacts.extend(read_pcap(path, ont, &first_party)?);
    }
    if !obs.sdks.is_empty() {
        SdkDetector::shipped()?.mark_contacted(&mut obs.sdks, &obs.contacts);
    }
    // Server addresses -> registered countries.
    match &inputs.geo_table {
        Some(path) => geo::locate(&mut obs, &geo::GeoTable::load(path)?),
        None => geo::locate(&mut obs, geo::GeoTable::shipped()?),
    }
    Ok(obs)
}

/// Skipped capture entries shown on standard error per file (all are in [`Observation::skipped`]).
const MAX_SKIPPED_SHOWN: usize = 10;

/// What a file looks like from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Zip,
    Plist,
    Pcap,
    /// A binary (compiled) AndroidManifest.xml.
    Axml,
    Other,
}

/// Tell archives, property lists and packet captures apart by content (and
/// the `.plist`/`.xcprivacy` extension for XML property lists). Unreadable
/// files are `Other`: the reader of the default kind reports the problem.
fn sniff(path: &std::path::Path) -> Sniffed {
    use std::io::Read;
    let mut head = [0u8; 8];
    // Only a regular file is opened: opening a FIFO waits for a writer.
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let n = if regular { std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0) } else { 0 };
    let head = &head[..n];
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Sniffed::Zip
    } else if head.starts_with(&[0x03, 0x00, 0x08, 0x00]) {
        Sniffed::Axml
    } else if head.starts_with(b"bplist") || has_extension(path, &["plist", "xcprivacy"]) {
        Sniffed::Plist
    } else if matches!(
        head.get(..4),
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4] | [0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d] | [0x0a, 0x0d, 0x0d, 0x0a])
    ) {
        Sniffed::Pcap
    } else {
        Sniffed::Other
    }
}

fn has_extension(path: &std::path::Path, exts: &[&str]) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    exts.contains(&ext.as_str())
}
