//! iOS apps: `.ipa` archives (a ZIP with `Payload/NAME.app/`) and loose
//! property lists. `Info.plist` (XML or binary) gives the bundle id, the
//! version and the `NS*UsageDescription` keys, each the app's request for
//! access to a kind of data with the developer's stated reason; the table
//! mapping keys to data types is `ontology/ios_usage_keys.json`.
//! `PrivacyInfo.xcprivacy` (the privacy manifest) gives the collected data
//! types, whether the app tracks, and its tracking domains.
//!
//! Usage descriptions and the app's own collected data types become
//! permission-like flows to the first party. Privacy manifests of embedded
//! frameworks describe the SDK, not the app: they are listed, with their
//! tracking domains, but make no flows.

use super::zip::ZipArchive;
use super::AppInfo;
use crate::error::{read_input, Error, Result};
use crate::ontology::DataTypeOntology;
use plist::Value;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// The shipped usage-key table.
pub const IOS_USAGE_KEYS_JSON: &str = include_str!("../../ontology/ios_usage_keys.json");

/// Largest property list read.
pub const MAX_PLIST_BYTES: u64 = 16 * 1024 * 1024;
/// Longest stated reason kept (characters).
const MAX_REASON_CHARS: usize = 500;

/// Data access an iOS app declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredAccess {
    pub data_type: String,
    /// `NSCameraUsageDescription` or `NSPrivacyCollectedDataTypePreciseLocation`.
    pub key: String,
    /// The developer's stated reason (usage descriptions), or the privacy manifest's
    /// linked/tracking/purposes (collected data types).
    pub reason: String,
    pub file: String,
}

/// What iOS files showed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IosContents {
    /// The app (and each framework with a privacy manifest).
    pub apps: Vec<AppInfo>,
    /// Declared data access of the app itself.
    pub declared: Vec<DeclaredAccess>,
}

impl IosContents {
    /// Append another file's findings.
    pub fn merge(&mut self, other: IosContents) {
        self.apps.extend(other.apps);
        self.declared.extend(other.declared);
    }
}

#[derive(Deserialize)]
struct KeyEntry {
    key: String,
    data_types: Vec<String>,
}

#[derive(Deserialize)]
struct KeyFile {
    usage_keys: Vec<KeyEntry>,
    privacy_manifest_types: Vec<KeyEntry>,
}

/// Usage key or collected-data type -> data-type ids.
fn key_table() -> Result<&'static HashMap<String, Vec<String>>> {
    use std::sync::OnceLock;
    static CELL: OnceLock<std::result::Result<HashMap<String, Vec<String>>, String>> = OnceLock::new();
    let t = CELL.get_or_init(|| {
        let f: KeyFile = serde_json::from_str(IOS_USAGE_KEYS_JSON).map_err(|e| format!("ios_usage_keys.json: {e}"))?;
        Ok(f.usage_keys.into_iter().chain(f.privacy_manifest_types).map(|e| (e.key, e.data_types)).collect())
    });
    t.as_ref().map_err(|e| Error::Data(e.clone()))
}

/// Read a loose `Info.plist` or `PrivacyInfo.xcprivacy` (told apart by content).
pub fn read_ios_file(path: &Path, ont: &DataTypeOntology) -> Result<IosContents> {
    let bytes = read_input(path, MAX_PLIST_BYTES)?;
    let label = path.display().to_string();
    parse_ios_plist(&bytes, path, &label, true, ont)
}

/// Parse a property list; `own` is false for a framework's privacy manifest
/// (listed, but it makes no flows).
pub fn parse_ios_plist(bytes: &[u8], path: &Path, label: &str, own: bool, ont: &DataTypeOntology) -> Result<IosContents> {
    let value = Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| Error::input(path, format!("not a valid property list (XML or binary): {e}")))?;
    let Some(dict) = value.as_dictionary() else {
        return Err(Error::input(path, "property list's top level is not a dictionary"));
    };
    let table = key_table()?;
    let mut out = IosContents::default();
    let mut info = AppInfo { file: label.to_string(), platform: "ios".into(), ..AppInfo::default() };
    let s = |k: &str| dict.get(k).and_then(Value::as_string).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let is_privacy_manifest = dict.keys().any(|k| k.starts_with("NSPrivacy"));
    if is_privacy_manifest {
        info.tracking = dict.get("NSPrivacyTracking").and_then(Value::as_boolean);
        if let Some(domains) = dict.get("NSPrivacyTrackingDomains").and_then(Value::as_array) {
            info.tracking_domains = domains.iter().filter_map(Value::as_string).map(|d| d.trim().to_string()).collect();
        }
        for item in dict.get("NSPrivacyCollectedDataTypes").and_then(Value::as_array).into_iter().flatten() {
            let Some(d) = item.as_dictionary() else { continue };
            let Some(kind) = d.get("NSPrivacyCollectedDataType").and_then(Value::as_string) else { continue };
            let flag = |k: &str| match d.get(k).and_then(Value::as_boolean) {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unstated",
            };
            let purposes: Vec<&str> = d
                .get("NSPrivacyCollectedDataTypePurposes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_string)
                .map(|p| p.trim_start_matches("NSPrivacyCollectedDataTypePurpose"))
                .collect();
            let reason = format!(
                "linked to user: {}; used for tracking: {}; purposes: {}",
                flag("NSPrivacyCollectedDataTypeLinked"),
                flag("NSPrivacyCollectedDataTypeTracking"),
                if purposes.is_empty() { "unstated".to_string() } else { purposes.join(", ") }
            );
            if own {
                push_declared(&mut out, table, ont, kind.trim(), &reason, label);
            }
        }
    } else {
        info.package = s("CFBundleIdentifier");
        info.version_code = s("CFBundleVersion");
        info.version_name = s("CFBundleShortVersionString");
        info.min_sdk = s("MinimumOSVersion").or_else(|| s("LSMinimumSystemVersion"));
        for (k, v) in dict.iter() {
            if !k.ends_with("UsageDescription") && !table.contains_key(k.as_str()) {
                continue;
            }
            let reason: String = match v {
                Value::String(r) => r.trim().chars().take(MAX_REASON_CHARS).collect(),
                _ => String::new(),
            };
            if own {
                push_declared(&mut out, table, ont, k, &reason, label);
            }
        }
    }
    out.apps.push(info);
    Ok(out)
}

fn push_declared(
    out: &mut IosContents,
    table: &HashMap<String, Vec<String>>,
    ont: &DataTypeOntology,
    key: &str,
    reason: &str,
    label: &str,
) {
    for dt in table.get(key).into_iter().flatten() {
        if ont.contains(dt) {
            out.declared.push(DeclaredAccess {
                data_type: dt.clone(),
                key: key.to_string(),
                reason: reason.to_string(),
                file: label.to_string(),
            });
        }
    }
}

/// Read an `.ipa`: the app's Info.plist and privacy manifest, and the
/// privacy manifests of its frameworks and bundles.
pub fn read_ipa(path: &Path, ont: &DataTypeOntology) -> Result<IosContents> {
    let mut zip = ZipArchive::open_file(path)?;
    let label = path.display().to_string();
    let mut wanted: Vec<(usize, bool)> = Vec::new();
    for (i, e) in zip.entries().iter().enumerate() {
        let Some(rest) = e.name.strip_prefix("Payload/") else { continue };
        let parts: Vec<&str> = rest.split('/').collect();
        let app_level = parts.len() == 2 && parts[0].ends_with(".app");
        if app_level && (parts[1] == "Info.plist" || parts[1] == "PrivacyInfo.xcprivacy") {
            wanted.push((i, true));
        } else if parts.len() > 2 && parts[0].ends_with(".app") && parts.last() == Some(&"PrivacyInfo.xcprivacy") {
            wanted.push((i, false));
        }
    }
    if !wanted.iter().any(|(i, own)| *own && zip.entries()[*i].name.ends_with("/Info.plist")) {
        return Err(Error::input(path, "no Payload/NAME.app/Info.plist: not an iOS app archive"));
    }
    let mut out = IosContents::default();
    for (i, own) in wanted {
        let name = zip.entries()[i].name.clone();
        let size = zip.entries()[i].size;
        let entry_label = format!("{label}!{name}");
        if size > MAX_PLIST_BYTES {
            return Err(Error::input(path, format!("{name}: {size} bytes, over the {MAX_PLIST_BYTES} byte limit for a property list")));
        }
        let bytes = zip.read(i)?;
        out.merge(parse_ios_plist(&bytes, Path::new(&entry_label), &entry_label, own, ont)?);
    }
    Ok(out)
}
