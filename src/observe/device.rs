//! Device profile: the known identifier values of the test device (its
//! advertising id, IMEI, the account's e-mail, its coordinates...), so that
//! traffic can be searched for the values themselves, not only for key names.
//!
//! The file is a JSON object whose keys are data-type ids and whose values
//! are strings, numbers or arrays of them:
//!
//! ```json
//! {"advertising_id": "1209d0b9-b959-42e6-b921-aa5d9d08c1af",
//!  "email_address": ["tester@example.org"],
//!  "latitude": 52.5200, "longitude": 13.4050}
//! ```
//!
//! `latitude` and `longitude` (numbers, or arrays of numbers of equal length)
//! are a `precise_location` coordinate pair.
//!
//! A profile holds at most [`MAX_VALUES`] values of at most
//! [`MAX_VALUE_BYTES`] bytes each; a larger one is refused with a message,
//! so the automaton that searches traffic for them stays small (about
//! 100 MB at the limits) and is always built.

use crate::error::{read_input, Error, Result};
use crate::ontology::DataTypeOntology;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Largest device profile accepted.
pub const MAX_DEVICE_PROFILE_BYTES: u64 = 4 * 1024 * 1024;

/// Shortest value accepted: shorter ones would match by chance everywhere.
pub const MIN_VALUE_CHARS: usize = 4;

/// Longest value accepted, in bytes. Identifiers (advertising ids, IMEIs,
/// e-mail addresses, phone numbers) are far shorter; each value becomes
/// about forty search patterns (encodings, digests), so the length bounds
/// the size of the automaton that searches traffic for them.
pub const MAX_VALUE_BYTES: usize = 256;

/// Most values accepted in one profile, over all keys.
pub const MAX_VALUES: usize = 256;

/// The data type a coordinate pair stands for.
pub const COORDINATE_DATA_TYPE: &str = "precise_location";

/// Known values of the test device, keyed by data-type id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceProfile {
    /// Data-type id -> the device's values of it (as written, deduplicated).
    pub values: BTreeMap<String, Vec<String>>,
    /// The device's (latitude, longitude) positions, from `latitude`/`longitude`.
    pub coordinates: Vec<(f64, f64)>,
}

impl DeviceProfile {
    /// Read a profile file, checking every key against the data-type ontology.
    pub fn load(path: &Path, ont: &DataTypeOntology) -> Result<DeviceProfile> {
        let bytes = read_input(path, MAX_DEVICE_PROFILE_BYTES)?;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&bytes);
        let text = std::str::from_utf8(bytes)
            .map_err(|e| Error::input(path, format!("not UTF-8 text (byte {}): expected a JSON object", e.valid_up_to())))?;
        Self::from_json(text, path, ont)
    }

    /// Parse profile JSON; `path` names the source in errors.
    pub fn from_json(text: &str, path: &Path, ont: &DataTypeOntology) -> Result<DeviceProfile> {
        let root: Value = serde_json::from_str(text)
            .map_err(|e| Error::input(path, format!("invalid JSON in device profile: {e}")))?;
        let Value::Object(map) = root else {
            return Err(Error::input(path, "device profile must be a JSON object of data-type id -> value(s)"));
        };
        let mut profile = DeviceProfile::default();
        let mut lats: Option<Vec<f64>> = None;
        let mut lons: Option<Vec<f64>> = None;
        let mut count = 0usize;
        for (key, value) in &map {
            match key.as_str() {
                "latitude" | "longitude" => {
                    let nums = numbers(value).ok_or_else(|| {
                        Error::input(path, format!("key \"{key}\": expected a number or an array of numbers"))
                    })?;
                    if nums.len() > MAX_VALUES {
                        return Err(Error::input(
                            path,
                            format!("key \"{key}\": {} numbers, over the {MAX_VALUES} value limit of a device profile", nums.len()),
                        ));
                    }
                    let limit = if key == "latitude" { 90.0 } else { 180.0 };
                    if let Some(bad) = nums.iter().find(|n| !n.is_finite() || n.abs() > limit) {
                        return Err(Error::input(path, format!("key \"{key}\": {bad} is out of range (±{limit})")));
                    }
                    if key == "latitude" {
                        lats = Some(nums);
                    } else {
                        lons = Some(nums);
                    }
                }
                _ => {
                    if !ont.contains(key) {
                        return Err(Error::input(
                            path,
                            format!("unknown key \"{key}\": keys must be data-type ids of the ontology, or latitude/longitude"),
                        ));
                    }
                    let strings = strings(value).ok_or_else(|| {
                        Error::input(path, format!("key \"{key}\": expected a string, a number or an array of them"))
                    })?;
                    if count + strings.len() > MAX_VALUES {
                        return Err(Error::input(
                            path,
                            format!("key \"{key}\": the profile holds more than {MAX_VALUES} values (the limit of a device profile)"),
                        ));
                    }
                    count += strings.len();
                    let entry = profile.values.entry(key.clone()).or_default();
                    for s in strings {
                        let s = s.trim().to_string();
                        if s.len() > MAX_VALUE_BYTES {
                            return Err(Error::input(
                                path,
                                format!(
                                    "key \"{key}\": a value of {} bytes is longer than the {MAX_VALUE_BYTES} byte limit of a device-profile value",
                                    s.len()
                                ),
                            ));
                        }
                        if s.chars().count() < MIN_VALUE_CHARS {
                            return Err(Error::input(
                                path,
                                format!(
                                    "key \"{key}\": value {s:?} is too short to be found reliably in traffic (at least {MIN_VALUE_CHARS} characters)"
                                ),
                            ));
                        }
                        if !entry.contains(&s) {
                            entry.push(s);
                        }
                    }
                    if entry.is_empty() {
                        profile.values.remove(key);
                    }
                }
            }
        }
        match (lats, lons) {
            (None, None) => {}
            (Some(la), Some(lo)) if la.len() == lo.len() => {
                profile.coordinates = la.into_iter().zip(lo).collect();
            }
            (Some(la), Some(lo)) => {
                return Err(Error::input(
                    path,
                    format!("latitude has {} values but longitude has {}: they must pair up", la.len(), lo.len()),
                ))
            }
            (Some(_), None) => return Err(Error::input(path, "latitude given without longitude")),
            (None, Some(_)) => return Err(Error::input(path, "longitude given without latitude")),
        }
        Ok(profile)
    }

    /// True when the profile holds no value and no coordinate.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.coordinates.is_empty()
    }

    /// Every (data type, value) pair.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
    }
}

/// A string, number or array of them, as strings.
fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Number(n) => Some(vec![n.to_string()]),
        Value::Array(items) => {
            let mut out = Vec::new();
            for i in items {
                match i {
                    Value::String(s) => out.push(s.clone()),
                    Value::Number(n) => out.push(n.to_string()),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// A number (or numeric string) or an array of them.
fn numbers(v: &Value) -> Option<Vec<f64>> {
    let one = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match v {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        Value::Array(_) => None,
        other => one(other).map(|n| vec![n]),
    }
}
