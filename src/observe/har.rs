//! HAR 1.2 reader (mitmproxy, Chrome, Firefox, Charles exports): turns each
//! request into a [`Contact`] and the data types it carried into [`Flow`]s.
//!
//! Data types are found two ways:
//! * by key name (confidence 0.6): the lower-cased names of query
//!   parameters, form fields, JSON object keys at any depth (also JSON
//!   nested inside a form field or a query value), header names and cookie
//!   names are looked up with [`DataTypeOntology::for_traffic_key`];
//! * by value (confidence 1.0): the device profile's known values found in
//!   the URL, headers, cookies or body, plain, URL-encoded, base64 (both
//!   alphabets, padded or not, also inside a larger base64 blob), hex, or as
//!   an MD5, SHA-1 or SHA-256 hex digest (of the value, lower- or upper-cased),
//!   all in one Aho-Corasick pass per text; `matched` says which
//!   (`value:base64`, `value:md5`, ...). Also the profile's coordinates when a
//!   latitude and a longitude within 0.01 degrees of them appear in the same
//!   request.
//!
//! Bodies may be base64 (`encoding: "base64"`, or unmarked when a
//! `Content-Encoding` says the bytes are compressed), compressed with gzip,
//! deflate or brotli (`Content-Encoding`), and multipart (each part is a
//! named field).

use super::destination::{is_ip_address, resolve_destination, FirstParty};
use super::device::{DeviceProfile, COORDINATE_DATA_TYPE};
use super::{Contact, Destination, Flow, FlowSource};
use crate::error::{map_input, Error, InputBytes, Result};
use crate::ontology::{DataTypeOntology, Ontologies};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Largest HAR file accepted (the file is mapped and its entries parsed
/// one by one; a gzip-compressed capture is inflated in memory).
pub const MAX_HAR_BYTES: u64 = 512 * 1024 * 1024;
/// Largest decompressed request body inspected.
const MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;
/// Most bytes decompressed from the bodies of one capture, all together:
/// past it, compressed bodies are searched as they are (and reported).
pub const MAX_INFLATED_PER_FILE: u64 = 128 * 1024 * 1024;
/// Deepest JSON nesting walked in a body.
const MAX_JSON_DEPTH: usize = 64;
/// How many times JSON inside a JSON string (or form field) is unpacked.
const MAX_NESTED_JSON: usize = 4;
/// Longest key name kept in a location.
const MAX_KEY_CHARS: usize = 80;
/// Confidence of a data type recognised by its key name only.
pub const KEY_CONFIDENCE: f32 = 0.6;
/// Confidence of a data type recognised by a parameter name the tracker
/// receiving it documents (`ontology/tracker_parameters.json`).
pub const TRACKER_KEY_CONFIDENCE: f32 = 0.8;
/// Confidence of a device-profile value found in the request.
pub const VALUE_CONFIDENCE: f32 = 1.0;
/// Largest distance, in degrees, between a profile coordinate and a number in traffic.
pub const COORDINATE_TOLERANCE: f64 = 0.01;

/// What a traffic capture shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traffic {
    /// Data types seen leaving the device, one per (entry, data type, location).
    pub flows: Vec<Flow>,
    /// Every request, in capture order.
    pub contacts: Vec<Contact>,
    /// Entries skipped or read only in part, each with the file, the entry and why.
    pub skipped: Vec<String>,
}

/// Parse the HAR's JSON and hand each `log.entries[i]` to `on_entry` as
/// soon as it is parsed, then drop it: a capture is never held in memory
/// twice (bytes and parsed strings), and each entry is scanned while its
/// text is still in the CPU cache. Other members of the file are skipped
/// without being built.
fn stream_entries(
    bytes: &[u8],
    path: &Path,
    on_entry: &mut dyn FnMut(usize, std::result::Result<HarEntry, String>) -> Result<()>,
) -> Result<()> {
    use serde::de::DeserializeSeed;
    let mut stream = EntryStream { on_entry, failure: None, log: false, entries: false };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = HarFileSeed(&mut stream).deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = stream.failure.take() {
        return Err(e);
    }
    parsed.map_err(|e| {
        let hint = if e.is_eof() { " (the file looks truncated)" } else { "" };
        Error::input(path, format!("invalid HAR JSON at line {}, column {}: {e}{hint}", e.line(), e.column()))
    })?;
    if !stream.log {
        return Err(Error::input(path, "not a HAR file: no \"log\" object at the top level"));
    }
    if !stream.entries {
        return Err(Error::input(path, "not a HAR file: \"log\" has no \"entries\" array"));
    }
    Ok(())
}

/// What the streaming parse has seen, and the first error of `on_entry`
/// (which stops the parse).
struct EntryStream<'a> {
    on_entry: &'a mut dyn FnMut(usize, std::result::Result<HarEntry, String>) -> Result<()>,
    failure: Option<Error>,
    log: bool,
    entries: bool,
}

/// The top-level object: only `log` is read.
struct HarFileSeed<'s, 'a>(&'s mut EntryStream<'a>);
/// `log`: only `entries` is read.
struct LogSeed<'s, 'a>(&'s mut EntryStream<'a>);
/// `log.entries`: each element is parsed and handed on.
struct EntriesSeed<'s, 'a>(&'s mut EntryStream<'a>);

impl<'de> serde::de::DeserializeSeed<'de> for HarFileSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for HarFileSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a HAR object")
    }
    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> std::result::Result<(), M::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<str>>()? {
            if key == "log" && !self.0.log {
                map.next_value_seed(Nullable(LogSeed(&mut *self.0)))?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A seed that also accepts `null` (reading nothing): `log` and `entries`
/// may be null in a broken export, which reads as "missing".
struct Nullable<S>(S);

impl<'de, S: serde::de::DeserializeSeed<'de, Value = ()>> serde::de::DeserializeSeed<'de> for Nullable<S> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: serde::de::DeserializeSeed<'de, Value = ()>> serde::de::Visitor<'de> for Nullable<S> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a HAR object, array or null")
    }
    fn visit_none<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        self.0.deserialize(d)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for LogSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for LogSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a HAR \"log\" object")
    }
    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> std::result::Result<(), M::Error> {
        self.0.log = true;
        while let Some(key) = map.next_key::<std::borrow::Cow<str>>()? {
            if key == "entries" && !self.0.entries {
                map.next_value_seed(Nullable(EntriesSeed(&mut *self.0)))?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a HAR \"entries\" array")
    }
    fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut seq: S) -> std::result::Result<(), S::Error> {
        self.0.entries = true;
        let mut index = 0;
        // Each entry is first delimited (without building anything), then
        // parsed: an entry that does not parse (a lone surrogate in a
        // string, a field of the wrong type) is handed on as an error, to be
        // skipped and reported while the rest of the capture is read.
        while let Some(raw) = seq.next_element::<&serde_json::value::RawValue>()? {
            let entry = serde_json::from_str::<HarEntry>(raw.get()).map_err(|e| e.to_string());
            if let Err(e) = (self.0.on_entry)(index, entry) {
                self.0.failure = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
            index += 1;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HarEntry {
    request: Option<HarRequest>,
    /// The server's address as the capture recorded it (HAR 1.2 `serverIPAddress`).
    #[serde(default, rename = "serverIPAddress")]
    server_ip_address: Option<Value>,
    #[serde(default)]
    started_date_time: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HarRequest {
    method: Option<String>,
    url: Option<String>,
    #[serde(default)]
    headers: Option<Vec<NameValue>>,
    #[serde(default)]
    cookies: Option<Vec<NameValue>>,
    #[serde(default)]
    post_data: Option<PostData>,
}

#[derive(Deserialize)]
struct NameValue {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostData {
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    params: Option<Vec<NameValue>>,
    #[serde(default)]
    encoding: Option<String>,
}

/// A JSON scalar as text (HAR writers disagree on strings vs numbers).
fn scalar(v: &Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// Read a HAR capture and find the data each request carried.
pub fn read_har(
    path: &Path,
    ont: &Ontologies,
    first_party: &FirstParty,
    device: Option<&DeviceProfile>,
) -> Result<Traffic> {
    let bytes = map_input(path, MAX_HAR_BYTES).map_err(|e| match e {
        Error::Input { path, problem } if problem.contains("byte limit") => Error::input(
            path,
            format!("{problem}: HAR files over 512 MB are not supported (split the capture into smaller files)"),
        ),
        other => other,
    })?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        InputBytes::Read(
            gunzip(&bytes, MAX_HAR_BYTES).map_err(|p| Error::input(path, format!("gzip-compressed HAR: {p}")))?,
        )
    } else {
        bytes
    };
    parse_har(&bytes, path, ont, first_party, device)
}

/// Parse HAR bytes; `path` names the source in errors and in the evidence.
pub fn parse_har(
    bytes: &[u8],
    path: &Path,
    ont: &Ontologies,
    first_party: &FirstParty,
    device: Option<&DeviceProfile>,
) -> Result<Traffic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => return Err(Error::input(path, "file is empty, expected a HAR (JSON) capture")),
        Some(b'{') => {}
        Some(_) => {
            let binary = bytes.iter().take(512).any(|&b| b == 0 || (b < 0x09)) || std::str::from_utf8(bytes).is_err();
            return Err(Error::input(
                path,
                if binary {
                    "not a HAR file: binary data where a JSON object was expected".to_string()
                } else {
                    "not a HAR file: expected a JSON object starting with '{'".to_string()
                },
            ));
        }
    }
    let file = path.display().to_string();
    let matcher = ValueMatcher::new(device).map_err(|e| Error::input(path, e))?;
    let tracker_parameters = super::tracker_params::TrackerParameterTable::shipped()?;
    let mut destinations: HashMap<String, Destination> = HashMap::new();
    let mut implicit = super::implicit::ImplicitFlows::new()?;
    let mut traffic = Traffic::default();
    let mut inflate_budget = MAX_INFLATED_PER_FILE;
    let mut read_entry = |index: usize, entry: std::result::Result<HarEntry, String>| -> Result<()> {
        let entry = match entry {
            Ok(entry) => entry,
            Err(why) => {
                traffic.skipped.push(format!("{file}: entry {index} skipped: {why}"));
                return Ok(());
            }
        };
        let Some(req) = &entry.request else {
            traffic.skipped.push(format!("{file}: entry {index} skipped: it has no \"request\" object"));
            return Ok(());
        };
        let Some(raw_url) = req.url.as_deref() else {
            traffic.skipped.push(format!("{file}: entry {index} skipped: its request has no \"url\""));
            return Ok(());
        };
        // Relative, data:, blob:, about:, chrome-extension: ... are not network traffic.
        let Ok(url) = url::Url::parse(raw_url.trim()) else { return Ok(()) };
        if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
            return Ok(());
        }
        let Some(url_host) = url.host_str() else { return Ok(()) };
        let headers: Vec<(String, String)> = req
            .headers
            .iter()
            .flatten()
            .map(|h| (scalar(&h.name), scalar(&h.value)))
            .filter(|(n, _)| !n.is_empty())
            .collect();
        let host = effective_host(url_host, &headers);
        let mut destination = destinations
            .entry(host.clone())
            .or_insert_with(|| resolve_destination(&host, &ont.entities, first_party))
            .clone();
        // The address this request reached (its country is looked up later).
        if let Some(ip) = super::geo::parse_ip(&scalar(&entry.server_ip_address)) {
            destination.ip = Some(ip.to_string());
        }
        let method = req.method.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| "GET".to_string());
        let url_text = url.as_str().to_string();

        let mut scan = Scanner::new(&ont.data_types, &matcher, tracker_parameters.for_domain(&destination.domain));
        scan_url(&mut scan, &url);
        scan_headers_and_cookies(&mut scan, &headers, req.cookies.as_deref().unwrap_or_default());
        if let Some(post) = &req.post_data {
            if !scan_body(&mut scan, post, &headers, &mut inflate_budget) {
                traffic.skipped.push(format!(
                    "{file}: entry {index}: body searched without decompressing it: the capture's bodies \
                     decompress to more than {MAX_INFLATED_PER_FILE} bytes in all"
                ));
            }
        }
        // Data found in the request, then what the contact itself hands over.
        let has_payload = req.post_data.is_some() || url.query().is_some_and(|q| !q.is_empty());
        let found = scan.finish().into_iter().map(|h| (h.data_type, h.location, h.matched, h.confidence));
        let implied = implicit.request(&destination, &headers, has_payload).into_iter().map(|h| (h.data_type, h.location, h.matched, h.confidence));
        for (data_type, location, matched, confidence) in found.chain(implied) {
            traffic.flows.push(Flow {
                data_type,
                destination: destination.clone(),
                source: FlowSource::Request {
                    method: method.clone(),
                    url: url_text.clone(),
                    location,
                    matched,
                    file: file.clone(),
                    entry: index,
                },
                confidence,
            });
        }
        let started_ms = match &entry.started_date_time {
            Some(Value::String(t)) => super::timestamp::parse_rfc3339(t),
            _ => None,
        };
        traffic.contacts.push(Contact { method, url: url_text, destination, file: file.clone(), entry: index, started_ms });
        Ok(())
    };
    stream_entries(bytes, path, &mut read_entry)?;
    Ok(traffic)
}

/// The host a request went to. A capture made in transparent mode may
/// show an IP address in the URL; the `Host` header then names the server.
fn effective_host(url_host: &str, headers: &[(String, String)]) -> String {
    let url_host = url_host.trim_start_matches('[').trim_end_matches(']');
    if is_ip_address(url_host) {
        for (n, v) in headers {
            if n.eq_ignore_ascii_case("host") || n == ":authority" {
                let named = super::destination::normalize_host(v);
                if !named.is_empty() && !is_ip_address(&named) && named.contains('.') {
                    return named;
                }
            }
        }
    }
    url_host.to_string()
}

/// Decompress gzip data, refusing more than `cap` bytes of output.
fn gunzip(bytes: &[u8], cap: u64) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot decompress: {e}"))?;
    if out.len() as u64 > cap {
        return Err(format!("decompresses to more than {cap} bytes"));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Request parts

fn scan_url(scan: &mut Scanner, url: &url::Url) {
    let path = url.path();
    scan.text("url:path", path, None);
    if let Some(query) = url.query() {
        for (raw_key, raw_value) in split_pairs(query) {
            let key = percent_decode(raw_key, true);
            let value = percent_decode(raw_value, true);
            let location = format!("query:{}", short_key(&key));
            scan.field(&location, &key, raw_value, &value);
        }
    }
}

/// HTTP headers every client sends; their names are not evidence of a data flow.
const STANDARD_HEADERS: &[&str] = &[
    "user-agent",
    "accept",
    "accept-language",
    "accept-encoding",
    "accept-charset",
    "connection",
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "host",
    "origin",
    "referer",
    "cache-control",
    "pragma",
    "te",
    "upgrade-insecure-requests",
    "if-none-match",
    "if-modified-since",
    "range",
];

fn scan_headers_and_cookies(scan: &mut Scanner, headers: &[(String, String)], har_cookies: &[NameValue]) {
    let mut cookies: Vec<(String, String)> = Vec::new();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for c in har_cookies {
        let pair = (scalar(&c.name), scalar(&c.value));
        if !pair.0.is_empty() && seen.insert(pair.clone()) {
            cookies.push(pair);
        }
    }
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with(':') {
            continue; // HTTP/2 pseudo-headers repeat the URL.
        }
        if lower == "cookie" {
            // The header's name is a key too (sending cookies at all).
            if !value.trim().is_empty() {
                scan.key(&lower, "header:cookie");
            }
            for part in value.split(';') {
                let (n, v) = part.split_once('=').unwrap_or((part, ""));
                let (n, v) = (n.trim().to_string(), v.trim().to_string());
                if !n.is_empty() && seen.insert((n.clone(), v.clone())) {
                    cookies.push((n, v));
                }
            }
            continue;
        }
        let location = format!("header:{}", short_key(&lower));
        let decoded = if value.contains('%') { percent_decode(value, false) } else { value.clone() };
        if STANDARD_HEADERS.contains(&lower.as_str()) {
            // Every client sends these: their names say nothing about the app,
            // but a known device value inside one still counts.
            scan.text(&location, value, if decoded != *value { Some(&decoded) } else { None });
        } else {
            scan.field(&location, &lower, value, &decoded);
        }
    }
    for (name, value) in &cookies {
        let location = format!("cookie:{}", short_key(name));
        let decoded = if value.contains('%') { percent_decode(value, false) } else { value.clone() };
        scan.field(&location, name, value, &decoded);
    }
}

/// Scan a request body. `budget` is what the capture may still decompress;
/// false when a body was searched compressed because the budget was spent.
fn scan_body(scan: &mut Scanner, post: &PostData, headers: &[(String, String)], budget: &mut u64) -> bool {
    let cap = MAX_BODY_BYTES.min(*budget);
    let mut within_budget = true;
    let raw_header =
        |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_string());
    let header = |name: &str| raw_header(name).map(|v| v.to_ascii_lowercase());
    let mime = post
        .mime_type
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map(str::to_ascii_lowercase)
        .or_else(|| header("content-type"))
        .unwrap_or_default();
    let content_encoding = header("content-encoding").unwrap_or_default();
    let params: Vec<(String, String)> = post
        .params
        .iter()
        .flatten()
        .map(|p| (scalar(&p.name), scalar(&p.value)))
        .filter(|(n, _)| !n.is_empty())
        .collect();
    let is_base64 = post.encoding.as_deref().is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let coded = !content_encoding.is_empty() && content_encoding != "identity";
    let text: Option<std::borrow::Cow<str>> = match &post.text {
        None => None,
        Some(t) if t.is_empty() => None,
        // Plain text sent as is (the common case): read it in place.
        Some(t) if !is_base64 && !coded => Some(std::borrow::Cow::Borrowed(t.as_str())),
        Some(t) => Some(std::borrow::Cow::Owned({
            let bytes: Option<Vec<u8>> = if is_base64 { decode_base64(t) } else { Some(t.as_bytes().to_vec()) };
            let inflated = if coded {
                // The body as sent: the HAR text itself, or (when the exporter did not
                // say so) base64 of the compressed bytes.
                let mut candidates: Vec<Vec<u8>> = Vec::new();
                if !is_base64 {
                    candidates.extend(decode_base64(t));
                }
                candidates.extend(bytes.clone());
                candidates.iter().find_map(|b| decode_content(b, &content_encoding, cap))
            } else {
                None
            };
            if coded && inflated.is_none() && cap < MAX_BODY_BYTES {
                within_budget = false;
            }
            if let Some(plain) = &inflated {
                *budget -= plain.len() as u64;
            }
            match (inflated, bytes) {
                (Some(plain), _) => Some(String::from_utf8_lossy(&plain).into_owned()),
                // Undecodable base64: search the text as it is.
                (None, None) => Some(t.clone()),
                (None, Some(b)) if b.starts_with(&[0x1f, 0x8b]) => match gunzip(&b, cap) {
                    Ok(plain) => {
                        *budget -= plain.len() as u64;
                        Some(String::from_utf8_lossy(&plain).into_owned())
                    }
                    Err(_) => {
                        within_budget = cap == MAX_BODY_BYTES;
                        Some(String::from_utf8_lossy(&b).into_owned())
                    }
                },
                (None, Some(b)) => Some(String::from_utf8_lossy(&b).into_owned()),
            }
            .unwrap_or_default()
        })),
    };
    if let (Some(t), true) = (&text, mime.contains("multipart/")) {
        if let Some(boundary) = multipart_boundary(&mime, post.mime_type.clone().or_else(|| raw_header("content-type")).as_deref()) {
            if scan_multipart(scan, t, &boundary) {
                return within_budget;
            }
        }
    }
    let Some(text) = text else {
        // Some exporters give only the parsed form/multipart fields.
        for (n, v) in &params {
            let decoded = if mime.contains("x-www-form-urlencoded") { percent_decode(v, true) } else { v.clone() };
            scan.field(&format!("body:form:{}", short_key(n)), n, v, &decoded);
        }
        return within_budget;
    };
    let trimmed = text.trim_start();
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    if mime.contains("json") || looks_json {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            scan.json(&v, "body:json:", 0);
            return within_budget;
        }
        // Newline-delimited JSON (batched analytics events).
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if lines.len() > 1 && lines.iter().all(|l| l.starts_with('{')) {
            let parsed: Vec<Value> = lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
            if parsed.len() == lines.len() {
                for v in &parsed {
                    scan.json(v, "body:json:", 0);
                }
                return within_budget;
            }
        }
    }
    // A body sent without a Content-Type is written with no MIME type, or
    // as application/octet-stream (HTTP Toolkit): sniff it for a form.
    let unlabelled = mime.is_empty() || mime.starts_with("application/octet-stream");
    if mime.contains("x-www-form-urlencoded") || (unlabelled && looks_like_form(&text)) {
        for (raw_key, raw_value) in split_pairs(&text) {
            let key = percent_decode(raw_key, true);
            let value = percent_decode(raw_value, true);
            scan.field(&format!("body:form:{}", short_key(&key)), &key, raw_value, &value);
        }
        return within_budget;
    }
    if !params.is_empty() {
        for (n, v) in &params {
            scan.field(&format!("body:form:{}", short_key(n)), n, v, v);
        }
    }
    // Anything else (text, XML, protobuf, multipart): search values in the raw body.
    scan.text("body:text", &text, None);
    within_budget
}

/// `a=1&b=2` with no spaces or newlines.
fn looks_like_form(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.contains('=')
        && !t.contains(char::is_whitespace)
        && t.split('&').all(|p| p.split_once('=').is_some_and(|(k, _)| !k.is_empty()))
}

/// Undo a `Content-Encoding` (`gzip`, `deflate`, `br`, or a comma-separated
/// chain of them, applied in reverse), capped at `cap` bytes.
fn decode_content(bytes: &[u8], encoding: &str, cap: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut cur = bytes.to_vec();
    for enc in encoding.split(',').map(str::trim).rev() {
        let mut out = Vec::new();
        let ok = match enc {
            "" | "identity" => continue,
            "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(cur.as_slice()).take(cap + 1).read_to_end(&mut out).is_ok(),
            "deflate" => {
                flate2::read::ZlibDecoder::new(cur.as_slice()).take(cap + 1).read_to_end(&mut out).is_ok() || {
                    out.clear();
                    flate2::read::DeflateDecoder::new(cur.as_slice()).take(cap + 1).read_to_end(&mut out).is_ok()
                }
            }
            "br" => brotli_decompressor::Decompressor::new(cur.as_slice(), 4096)
                .take(cap + 1)
                .read_to_end(&mut out)
                .is_ok(),
            _ => false,
        };
        if !ok || out.is_empty() || out.len() as u64 > cap {
            return None;
        }
        cur = out;
    }
    Some(cur)
}

/// The `boundary` parameter of a multipart content type (case kept from the original header).
fn multipart_boundary(lower: &str, original: Option<&str>) -> Option<String> {
    let src = original.filter(|o| o.to_ascii_lowercase() == lower).unwrap_or(lower);
    let at = src.to_ascii_lowercase().find("boundary=")?;
    let rest = &src[at + "boundary=".len()..];
    let b = if let Some(q) = rest.strip_prefix('"') {
        q.split('"').next().unwrap_or("")
    } else {
        rest.split(';').next().unwrap_or("").trim()
    };
    (!b.is_empty() && b.len() <= 200).then(|| b.to_string())
}

/// Scan each part of a multipart body as a named field; false when no part was found.
fn scan_multipart(scan: &mut Scanner, text: &str, boundary: &str) -> bool {
    let delimiter = format!("--{boundary}");
    let mut any = false;
    for (i, part) in text.split(delimiter.as_str()).enumerate().skip(1).take(1000) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").or_else(|| part.strip_prefix('\n')).unwrap_or(part);
        let (head, body) = match part.find("\r\n\r\n") {
            Some(at) => (&part[..at], &part[at + 4..]),
            None => match part.find("\n\n") {
                Some(at) => (&part[..at], &part[at + 2..]),
                None => continue,
            },
        };
        let body = body.strip_suffix("\r\n").or_else(|| body.strip_suffix('\n')).unwrap_or(body);
        let mut name = format!("part{i}");
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                if let Some(at) = lower.find(" name=").or_else(|| lower.find(";name=")) {
                    let v = &line[at + 6..];
                    let v = v.trim_start_matches('"');
                    let end = v.find(['"', ';']).unwrap_or(v.len());
                    if !v[..end].is_empty() {
                        name = v[..end].to_string();
                    }
                }
            }
        }
        any = true;
        scan.field(&format!("body:multipart:{}", short_key(&name)), &name, body, body);
    }
    any
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        if let Ok(b) = engine.decode(&compact) {
            return Some(b);
        }
    }
    None
}

/// Split `a=1&b=2` into raw (still encoded) pairs; empty pieces are skipped.
fn split_pairs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    s.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Decode `%XX` escapes (and `+` as a space in forms); invalid escapes stay as they are.
pub fn percent_decode(s: &str, plus_as_space: bool) -> String {
    let b = s.as_bytes();
    // Nothing to decode: skip the byte loop and the UTF-8 re-check.
    if !b.contains(&b'%') && !(plus_as_space && b.contains(&b'+')) {
        return s.to_string();
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_as_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A key as shown in a location: at most [`MAX_KEY_CHARS`] characters.
fn short_key(k: &str) -> String {
    if k.chars().count() <= MAX_KEY_CHARS {
        k.to_string()
    } else {
        let mut s: String = k.chars().take(MAX_KEY_CHARS).collect();
        s.push('…');
        s
    }
}

// ---------------------------------------------------------------------------
// Matching

/// How a device-profile value appears in traffic. The order is the
/// preference when one value matches several ways.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Encoding {
    Plain,
    UrlEncoded,
    Base64,
    Hex,
    Md5,
    Sha1,
    Sha256,
}

impl Encoding {
    fn label(self) -> &'static str {
        match self {
            Encoding::Plain => "value:plain",
            Encoding::UrlEncoded => "value:urlencoded",
            Encoding::Base64 => "value:base64",
            Encoding::Hex => "value:hex",
            Encoding::Md5 => "value:md5",
            Encoding::Sha1 => "value:sha1",
            Encoding::Sha256 => "value:sha256",
        }
    }
}

/// Shortest base64 or hex pattern kept (shorter ones would match by chance).
const MIN_ENCODED_PATTERN: usize = 8;

/// Largest total pattern length searched with a full DFA (fastest, but its
/// memory is states times alphabet); above it the contiguous NFA is used.
const MAX_DFA_PATTERN_BYTES: usize = 256 * 1024;

/// What a pattern of the automaton stands for.
struct PatternMeta {
    data_type: String,
    encoding: Encoding,
    /// The pattern's first/last bytes are word bytes: require a non-word byte (or the edge) next to them.
    first_word: bool,
    last_word: bool,
    /// Base64 is case-sensitive: the match must equal the pattern byte for byte.
    exact: bool,
}

/// One multi-pattern automaton over every encoding of every profile value:
/// plain, URL-encoded, base64 (standard and URL-safe alphabets, padded or
/// not, and at each of the three byte alignments, so a value inside a
/// larger base64 blob is found too), hex, and MD5/SHA-1/SHA-256 hex digests
/// of the value as written, trimmed, lower- and upper-cased. The automaton
/// is ASCII case-insensitive (hex digits, digests and identifiers in either
/// case); base64 matches are then checked case-sensitively. A text is
/// searched in one pass, whatever the number of values and encodings.
struct ValueMatcher {
    automaton: Option<AhoCorasick>,
    patterns: Vec<String>,
    meta: Vec<PatternMeta>,
    coordinates: Vec<(f64, f64)>,
}

impl ValueMatcher {
    fn new(device: Option<&DeviceProfile>) -> std::result::Result<Self, String> {
        let mut patterns: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut meta = Vec::new();
        let mut add = |p: String, dt: &str, enc: Encoding, exact: bool, bounded: bool| {
            let key = if exact { format!("={p}") } else { p.to_ascii_lowercase() };
            if p.len() < 4 || !seen.insert(key) {
                return;
            }
            let word = |b: Option<u8>| bounded && b.is_some_and(|b| b.is_ascii_alphanumeric());
            meta.push(PatternMeta {
                data_type: dt.to_string(),
                encoding: enc,
                first_word: word(p.bytes().next()),
                last_word: word(p.bytes().last()),
                exact,
            });
            patterns.push(p);
        };
        if let Some(d) = device {
            for (dt, v) in d.pairs() {
                add(v.to_string(), dt, Encoding::Plain, false, true);
                let form: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
                add(form.clone(), dt, Encoding::UrlEncoded, false, true);
                add(form.replace('+', "%20"), dt, Encoding::UrlEncoded, false, true);
                let mut forms: Vec<String> = vec![v.to_string(), v.trim().to_string(), v.to_lowercase(), v.to_uppercase()];
                forms.dedup();
                let mut done: std::collections::HashSet<&str> = std::collections::HashSet::new();
                for f in &forms {
                    if !done.insert(f.as_str()) {
                        continue;
                    }
                    for core in base64_cores(f.as_bytes()) {
                        add(core, dt, Encoding::Base64, true, false);
                    }
                    let hex = hex_lower(f.as_bytes());
                    if hex.len() >= MIN_ENCODED_PATTERN {
                        add(hex, dt, Encoding::Hex, false, true);
                    }
                    add(digest_hex::<md5::Md5>(f), dt, Encoding::Md5, false, true);
                    add(digest_hex::<sha1::Sha1>(f), dt, Encoding::Sha1, false, true);
                    add(digest_hex::<sha2::Sha256>(f), dt, Encoding::Sha256, false, true);
                }
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            // A full DFA and no prefilter: the crate's rare-byte prefilter
            // picks bytes of the encoded values (hex digits, base64 letters)
            // that are common in real bodies, and then stops at nearly
            // every byte. With the sample app's advertising ID that made a
            // 69 MB capture take 1.31 s instead of 0.45 s. A DFA's memory is
            // its states times its alphabet, so a large profile (up to the
            // device profile's limits) gets the compact NFA instead.
            let total: usize = patterns.iter().map(String::len).sum();
            let kind = if total <= MAX_DFA_PATTERN_BYTES {
                aho_corasick::AhoCorasickKind::DFA
            } else {
                aho_corasick::AhoCorasickKind::ContiguousNFA
            };
            let built = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                .prefilter(false)
                .build(&patterns)
                .map_err(|e| {
                    format!(
                        "cannot search traffic for the device profile's {} values ({} patterns, {total} bytes): {e}",
                        device.map_or(0, |d| d.pairs().count()),
                        patterns.len()
                    )
                })?;
            Some(built)
        };
        Ok(ValueMatcher {
            automaton,
            patterns,
            meta,
            coordinates: device.map(|d| d.coordinates.clone()).unwrap_or_default(),
        })
    }

    /// Data types whose values occur in `hay` as whole tokens, with the encoding seen.
    fn find(&self, hay: &str) -> Vec<(&str, Encoding)> {
        let Some(ac) = &self.automaton else { return Vec::new() };
        // Most texts hold no value at all: a plain search rules them out
        // before the overlapping search that finds every match.
        if !ac.is_match(hay) {
            return Vec::new();
        }
        let bytes = hay.as_bytes();
        let mut out: Vec<(&str, Encoding)> = Vec::new();
        for m in ac.find_overlapping_iter(hay) {
            let pm = &self.meta[m.pattern().as_usize()];
            if pm.first_word && m.start() > 0 && bytes[m.start() - 1].is_ascii_alphanumeric() {
                continue;
            }
            if pm.last_word && m.end() < bytes.len() && bytes[m.end()].is_ascii_alphanumeric() {
                continue;
            }
            if pm.exact && &bytes[m.start()..m.end()] != self.patterns[m.pattern().as_usize()].as_bytes() {
                continue;
            }
            match out.iter_mut().find(|(d, _)| *d == pm.data_type) {
                Some(existing) => existing.1 = existing.1.min(pm.encoding),
                None => out.push((pm.data_type.as_str(), pm.encoding)),
            }
        }
        out
    }
}

/// The parts of the base64 text of `v` that do not depend on the bytes
/// around it, for each of the three alignments `v` can have in a larger
/// encoded stream, in both alphabets. Padded and unpadded encodings of `v`
/// alone contain the alignment-0 core.
fn base64_cores(v: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut out = Vec::new();
    for k in 0..3usize {
        let mut buf = vec![0u8; k];
        buf.extend_from_slice(v);
        let skip = [0, 2, 3][k];
        let partial = usize::from(buf.len() % 3 != 0);
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let enc = engine.encode(&buf);
            if enc.len() < skip + partial + MIN_ENCODED_PATTERN {
                continue;
            }
            let core = enc[skip..enc.len() - partial].to_string();
            if !out.contains(&core) {
                out.push(core);
            }
        }
    }
    out
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_hex<D: sha2::Digest>(s: &str) -> String {
    hex_lower(&D::digest(s.as_bytes()))
}

/// One finding within a request.
struct Hit {
    data_type: String,
    location: String,
    matched: String,
    confidence: f32,
}

/// Collects the findings of one request, deduplicated per (data type, location).
struct Scanner<'a> {
    ont: &'a DataTypeOntology,
    values: &'a ValueMatcher,
    /// The documented parameters of the tracker the request went to, if any.
    tracker: Option<&'a super::tracker_params::TrackerParameters>,
    hits: Vec<Hit>,
    index: HashMap<(String, String), usize>,
    /// Numbers seen (for coordinate matching), with their location.
    numbers: Vec<(f64, String)>,
}

impl<'a> Scanner<'a> {
    fn new(
        ont: &'a DataTypeOntology,
        values: &'a ValueMatcher,
        tracker: Option<&'a super::tracker_params::TrackerParameters>,
    ) -> Self {
        Scanner { ont, values, tracker, hits: Vec::new(), index: HashMap::new(), numbers: Vec::new() }
    }

    fn add(&mut self, data_type: &str, location: &str, matched: &str, confidence: f32) {
        let k = (data_type.to_string(), location.to_string());
        match self.index.get(&k) {
            Some(&i) => {
                if confidence > self.hits[i].confidence {
                    self.hits[i].matched = matched.to_string();
                    self.hits[i].confidence = confidence;
                }
            }
            None => {
                self.index.insert(k, self.hits.len());
                self.hits.push(Hit {
                    data_type: data_type.to_string(),
                    location: location.to_string(),
                    matched: matched.to_string(),
                    confidence,
                });
            }
        }
    }

    /// A named field: match its key name (when it carries a value), its value,
    /// and JSON nested in the value.
    fn field(&mut self, location: &str, key: &str, raw: &str, decoded: &str) {
        if !decoded.trim().is_empty() {
            self.key(key, location);
        }
        self.text(location, raw, if decoded != raw { Some(decoded) } else { None });
        self.nested_json(location, decoded, 0);
    }

    fn key(&mut self, key: &str, location: &str) {
        if let Some(p) = self.tracker.and_then(|t| t.parameter(key, location)) {
            if self.ont.contains(&p.data_type) {
                let dt = p.data_type.clone();
                self.add(&dt, location, "key:tracker-documented", TRACKER_KEY_CONFIDENCE);
                return;
            }
        }
        if let Some(dt) = key_data_type(self.ont, key) {
            let dt = dt.to_string();
            self.add(&dt, location, "key", KEY_CONFIDENCE);
        }
    }

    /// Search a value (and its decoded form) for profile values and coordinates.
    fn text(&mut self, location: &str, raw: &str, decoded: Option<&str>) {
        let mut found: Vec<(String, Encoding)> =
            self.values.find(raw).into_iter().map(|(d, e)| (d.to_string(), e)).collect();
        if let Some(dec) = decoded {
            for (d, e) in self.values.find(dec) {
                // Seen only after decoding: it was sent URL-encoded.
                let e = if e == Encoding::Plain { Encoding::UrlEncoded } else { e };
                if !found.iter().any(|(fd, _)| fd == d) {
                    found.push((d.to_string(), e));
                }
            }
        }
        for (dt, enc) in found {
            self.add(&dt, location, enc.label(), VALUE_CONFIDENCE);
        }
        if !self.values.coordinates.is_empty() {
            for n in coordinate_numbers(decoded.unwrap_or(raw)) {
                self.numbers.push((n, location.to_string()));
            }
        }
    }

    /// A string that holds JSON (a form field, a query value, a JSON string).
    fn nested_json(&mut self, location: &str, s: &str, depth: usize) {
        let t = s.trim();
        if depth >= MAX_NESTED_JSON || t.len() < 2 || !(t.starts_with('{') || t.starts_with('[')) {
            return;
        }
        if let Ok(v) = serde_json::from_str::<Value>(t) {
            if v.is_object() || v.is_array() {
                self.json(&v, &format!("{location}:json:"), depth + 1);
            }
        }
    }

    /// Walk a JSON value without recursion: keys at any depth, string and number leaves.
    fn json(&mut self, root: &Value, prefix: &str, nested: usize) {
        let mut stack: Vec<(&Value, String, usize)> = vec![(root, String::new(), 0)];
        while let Some((v, path, depth)) = stack.pop() {
            let location = if path.is_empty() { prefix.trim_end_matches(':').to_string() } else { format!("{prefix}{path}") };
            match v {
                Value::Object(map) => {
                    if depth >= MAX_JSON_DEPTH {
                        continue;
                    }
                    let children: Vec<(&Value, String)> = map
                        .iter()
                        .map(|(k, child)| {
                            let k_short = short_key(k);
                            let child_path = if path.is_empty() { k_short } else { format!("{path}.{k_short}") };
                            if !is_empty_json(child) {
                                self.key(&k.to_ascii_lowercase(), &format!("{prefix}{child_path}"));
                            }
                            (child, child_path)
                        })
                        .collect();
                    // Reversed, so that the stack pops children in order.
                    for (child, child_path) in children.into_iter().rev() {
                        stack.push((child, child_path, depth + 1));
                    }
                }
                Value::Array(items) => {
                    if depth >= MAX_JSON_DEPTH {
                        continue;
                    }
                    let child_path = format!("{path}[]");
                    for child in items.iter().rev() {
                        stack.push((child, child_path.clone(), depth + 1));
                    }
                }
                Value::String(s) => {
                    let decoded = if s.contains('%') { Some(percent_decode(s, false)) } else { None };
                    self.text(&location, s, decoded.as_deref().filter(|d| *d != s));
                    self.nested_json(&location, s, nested);
                }
                Value::Number(n) => {
                    let text = n.to_string();
                    // Also collects it as a coordinate candidate (when it has two or more decimals).
                    self.text(&location, &text, None);
                }
                Value::Bool(_) | Value::Null => {}
            }
        }
    }

    /// The findings, in the order first seen; adds coordinate matches.
    fn finish(mut self) -> Vec<Hit> {
        let coords = self.values.coordinates.clone();
        for (lat, lon) in coords {
            let lat_hit = self.numbers.iter().position(|(n, _)| (n - lat).abs() <= COORDINATE_TOLERANCE);
            let lon_hit = self
                .numbers
                .iter()
                .enumerate()
                .position(|(i, (n, _))| Some(i) != lat_hit && (n - lon).abs() <= COORDINATE_TOLERANCE);
            if let (Some(a), Some(b)) = (lat_hit, lon_hit) {
                let la = self.numbers[a].1.clone();
                let lo = self.numbers[b].1.clone();
                self.add(COORDINATE_DATA_TYPE, &la, "value:coordinates", VALUE_CONFIDENCE);
                if lo != la {
                    self.add(COORDINATE_DATA_TYPE, &lo, "value:coordinates", VALUE_CONFIDENCE);
                }
            }
        }
        self.hits
    }
}

fn is_empty_json(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The data type a key name carries: tried as written (lower case), with
/// `-` as `_`, without an `x-` prefix, and with separators removed.
fn key_data_type<'o>(ont: &'o DataTypeOntology, key: &str) -> Option<&'o str> {
    let k = key.trim().to_ascii_lowercase();
    if k.is_empty() {
        return None;
    }
    if let Some(dt) = ont.for_traffic_key(&k) {
        return Some(dt);
    }
    let underscored = k.replace('-', "_");
    if let Some(dt) = ont.for_traffic_key(&underscored) {
        return Some(dt);
    }
    if let Some(rest) = underscored.strip_prefix("x_") {
        if let Some(dt) = ont.for_traffic_key(rest) {
            return Some(dt);
        }
    }
    let bare: String = k.chars().filter(|c| *c != '-' && *c != '_').collect();
    if bare != k && bare.len() >= 3 {
        return ont.for_traffic_key(&bare);
    }
    None
}

/// Decimal numbers in a text that could be coordinates: at most three
/// integer digits and at least two decimals (`52.5200`, `-13.40`).
fn coordinate_numbers(s: &str) -> Vec<f64> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < 64 {
        if b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_digit() || b[i - 1] == b'.')) {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let int_digits = j - i;
            if j < b.len() && b[j] == b'.' {
                let mut k = j + 1;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                let frac = k - j - 1;
                let followed_ok = k >= b.len() || !(b[k] == b'.' || b[k].is_ascii_alphanumeric());
                if int_digits <= 3 && frac >= 2 && followed_ok {
                    if let Ok(n) = s[start..k].parse::<f64>() {
                        out.push(n);
                    }
                }
                i = k;
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%40b.com", false), "a@b.com");
        assert_eq!(percent_decode("a+b%2", true), "a b%2");
        assert_eq!(percent_decode("%", true), "%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("%E2%82%AC", false), "€");
    }

    #[test]
    fn finds_coordinate_numbers() {
        assert_eq!(coordinate_numbers("52.5200,13.405"), vec![52.52, 13.405]);
        assert_eq!(coordinate_numbers("lat=-33.87&v=1.2.3&x=1234.56"), vec![-33.87]);
        assert!(coordinate_numbers("version 23.13.1").is_empty());
    }

    #[test]
    fn form_detection() {
        assert!(looks_like_form("a=1&b=2"));
        assert!(!looks_like_form("hello world"));
        assert!(!looks_like_form("=1"));
    }
}
