//! Reading a catalog: JSONL (one JSON object per line) or CSV (a header
//! row, then one app per row), with the same fields:
//!
//! | field | value |
//! |---|---|
//! | `app_id` | required, unique |
//! | `policy` | the privacy policy file |
//! | `manifest` (or `manifests`) | one AndroidManifest.xml or a list (iOS `Info.plist`/`PrivacyInfo.xcprivacy` too) |
//! | `traffic` | one HAR capture or a list (`.pcap`/`.pcapng` packet captures too) |
//! | `device` | a device profile (JSON) |
//! | `apk`, `ipa` | the app archive (APK/XAPK or IPA) |
//! | `first_party_domain(s)` | domains of the app maker, one or a list |
//!
//! In CSV a list is separated by `;`. Relative paths resolve against the
//! catalog file's folder. A bad line is reported with its line number and
//! skipped; it never stops the run. Unknown fields are ignored.

use super::{resolve, StoredInputs};
use crate::{Error, Result};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One app of a catalog, with its paths resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppEntry {
    pub app_id: String,
    pub policy: Option<PathBuf>,
    pub manifests: Vec<PathBuf>,
    pub traffic: Vec<PathBuf>,
    pub device: Option<PathBuf>,
    pub apk: Option<PathBuf>,
    pub ipa: Option<PathBuf>,
    pub first_party_domains: Vec<String>,
    /// The line of the catalog the app is on (1-based).
    pub line: usize,
}

impl AppEntry {
    /// The policy path, or an error naming the app.
    pub fn policy_path(&self) -> Result<&Path> {
        self.policy
            .as_deref()
            .ok_or_else(|| Error::Usage(format!("app {:?} has no policy in the catalog", self.app_id)))
    }

    /// The paths as stored with the result.
    pub fn stored_inputs(&self) -> StoredInputs {
        let show = |p: &PathBuf| p.display().to_string();
        StoredInputs {
            policy: self.policy.as_ref().map(show),
            manifests: self.manifests.iter().map(show).collect(),
            traffic: self.traffic.iter().map(show).collect(),
            device: self.device.as_ref().map(show),
            apk: self.apk.as_ref().map(show),
            ipa: self.ipa.as_ref().map(show),
        }
    }
}

/// A catalog line that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogIssue {
    pub line: usize,
    pub message: String,
}

/// The apps of a catalog and the lines that were skipped.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub path: PathBuf,
    pub apps: Vec<AppEntry>,
    pub issues: Vec<CatalogIssue>,
}

/// Read a catalog: CSV when the file name ends in `.csv`, JSONL otherwise.
/// Only an unreadable file is an error; bad lines become [`CatalogIssue`]s.
pub fn read_catalog(path: &Path) -> Result<Catalog> {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let (file, _) = crate::input::open_input(path, MAX_CATALOG_BYTES).map_err(|e| match e {
        Error::Input { path, problem } => Error::input(path, format!("{problem} (a catalog is a .jsonl or .csv file)")),
        other => other,
    })?;
    let is_csv = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut catalog = Catalog { path: path.to_path_buf(), ..Default::default() };
    let rows: Vec<(usize, std::result::Result<RawEntry, String>)> = if is_csv {
        read_csv_rows(RecordBudget::new(file)).map_err(|e| Error::input(path, e))?
    } else {
        // Even a file that grows while it is read is read no further than the limit.
        let file = std::io::Read::take(file, MAX_CATALOG_BYTES);
        read_jsonl_rows(std::io::BufReader::new(file)).map_err(|e| Error::input(path, e))?
    };
    let mut first_line: HashMap<String, usize> = HashMap::new();
    // Bad lines past the first MAX_LISTED_ISSUES are counted, not kept.
    let mut unlisted: Option<(usize, usize)> = None;
    let mut issue = |catalog: &mut Catalog, line: usize, message: String| {
        if catalog.issues.len() < MAX_LISTED_ISSUES {
            catalog.issues.push(CatalogIssue { line, message });
        } else {
            let u = unlisted.get_or_insert((line, 0));
            u.1 += 1;
        }
    };
    for (line, row) in rows {
        match row.and_then(|raw| raw.into_entry(&base, line)) {
            Ok(entry) => {
                if let Some(first) = first_line.get(&entry.app_id) {
                    let message = format!("duplicate app_id {:?} (first on line {first})", entry.app_id);
                    issue(&mut catalog, line, message);
                } else {
                    first_line.insert(entry.app_id.clone(), line);
                    catalog.apps.push(entry);
                }
            }
            Err(message) => issue(&mut catalog, line, message),
        }
    }
    if let Some((line, n)) = unlisted {
        catalog.issues.push(CatalogIssue {
            line,
            message: format!("{n} more bad lines from this one on (only the first {MAX_LISTED_ISSUES} are listed)"),
        });
    }
    Ok(catalog)
}

/// An app's fields before paths are resolved.
#[derive(Debug, Default)]
struct RawEntry {
    app_id: Option<String>,
    policy: Option<String>,
    manifests: Vec<String>,
    traffic: Vec<String>,
    device: Option<String>,
    apk: Option<String>,
    ipa: Option<String>,
    first_party_domains: Vec<String>,
}

impl RawEntry {
    fn into_entry(self, base: &Path, line: usize) -> std::result::Result<AppEntry, String> {
        let app_id = self.app_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).ok_or("missing app_id")?;
        if app_id.chars().any(char::is_control) {
            return Err("app_id contains control characters".to_string());
        }
        let one = |p: Option<String>| p.filter(|s| !s.trim().is_empty()).map(|s| resolve(base, s.trim()));
        let many = |v: Vec<String>| v.into_iter().filter(|s| !s.trim().is_empty()).map(|s| resolve(base, s.trim())).collect();
        Ok(AppEntry {
            app_id,
            policy: one(self.policy),
            manifests: many(self.manifests),
            traffic: many(self.traffic),
            device: one(self.device),
            apk: one(self.apk),
            ipa: one(self.ipa),
            first_party_domains: self.first_party_domains.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            line,
        })
    }

    /// Set one field from text; `list` values are split on `;` (CSV).
    fn set(&mut self, key: &str, value: Vec<String>) -> std::result::Result<(), String> {
        let single = |v: Vec<String>| -> std::result::Result<Option<String>, String> {
            match v.len() {
                0 => Ok(None),
                1 => Ok(v.into_iter().next()),
                _ => Err(format!("{key} takes one value, got {}", v.len())),
            }
        };
        match key {
            "app_id" => self.app_id = single(value)?,
            "policy" => self.policy = single(value)?,
            "manifest" | "manifests" => self.manifests.extend(value),
            "traffic" | "har" => self.traffic.extend(value),
            "device" => self.device = single(value)?,
            "apk" => self.apk = single(value)?,
            "ipa" => self.ipa = single(value)?,
            "first_party_domain" | "first_party_domains" => self.first_party_domains.extend(value),
            _ => {}
        }
        Ok(())
    }
}

/// Longest catalog line (or CSV record) read (bytes); longer lines are
/// skipped as bad, and never held in memory whole.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Largest catalog file read (some 400,000 apps at 300 bytes a line).
pub const MAX_CATALOG_BYTES: u64 = 128 * 1024 * 1024;

/// Bad lines listed one by one; the rest are counted in one more issue.
pub const MAX_LISTED_ISSUES: usize = 1000;

fn read_jsonl_rows(mut reader: impl BufRead) -> std::result::Result<Vec<(usize, std::result::Result<RawEntry, String>)>, String> {
    let mut rows = Vec::new();
    let mut buf = Vec::new();
    let mut line = 0usize;
    loop {
        let n = crate::input::read_line_bounded(&mut reader, &mut buf, MAX_LINE_BYTES + 4)
            .map_err(|e| crate::error::describe_io(&e))?;
        if n == 0 {
            break;
        }
        line += 1;
        if n > MAX_LINE_BYTES + 3 {
            rows.push((line, Err(format!("line is {n} bytes, over the {MAX_LINE_BYTES} byte limit"))));
            continue;
        }
        let bytes = if line == 1 { buf.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&buf) } else { &buf[..] };
        if bytes.len() > MAX_LINE_BYTES {
            rows.push((line, Err(format!("line is {} bytes, over the {MAX_LINE_BYTES} byte limit", bytes.len()))));
            continue;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t.trim(),
            Err(_) => {
                rows.push((line, Err("not valid UTF-8".to_string())));
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        rows.push((line, parse_json_entry(text)));
    }
    Ok(rows)
}

fn parse_json_entry(text: &str) -> std::result::Result<RawEntry, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let obj = value.as_object().ok_or("expected a JSON object")?;
    let mut raw = RawEntry::default();
    for (key, v) in obj {
        let values: Vec<String> = match v {
            serde_json::Value::Null => Vec::new(),
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Number(n) if key == "app_id" => vec![n.to_string()],
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| format!("{key}: expected a list of strings")))
                .collect::<std::result::Result<_, _>>()?,
            _ => {
                if matches!(
                    key.as_str(),
                    "app_id" | "policy" | "manifest" | "manifests" | "traffic" | "har" | "device" | "apk" | "ipa" | "first_party_domain" | "first_party_domains"
                ) {
                    return Err(format!("{key}: expected a string or a list of strings"));
                }
                continue;
            }
        };
        raw.set(key, values)?;
    }
    Ok(raw)
}

/// A reader that fails with [`RecordTooLong`] once more than
/// [`MAX_LINE_BYTES`] have been read since `used` was last reset: the CSV
/// parser reads a quoted field until its closing quote, which an unclosed
/// quote puts at the end of the file. It also stops at
/// [`MAX_CATALOG_BYTES`] in all, should the file grow while it is read.
struct RecordBudget<R> {
    inner: R,
    used: std::rc::Rc<std::cell::Cell<usize>>,
    total: u64,
}

#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a record runs past {MAX_LINE_BYTES} bytes")
    }
}

impl std::error::Error for RecordTooLong {}

impl<R> RecordBudget<R> {
    fn new(inner: R) -> Self {
        RecordBudget { inner, used: Default::default(), total: 0 }
    }
}

impl<R: std::io::Read> std::io::Read for RecordBudget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.used.get() > MAX_LINE_BYTES {
            return Err(std::io::Error::other(RecordTooLong));
        }
        if self.total > MAX_CATALOG_BYTES {
            return Err(std::io::Error::other(format!("the catalog grew past {MAX_CATALOG_BYTES} bytes while it was read")));
        }
        let n = self.inner.read(buf)?;
        self.used.set(self.used.get() + n);
        self.total += n as u64;
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for RecordBudget<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// The offset just past the first `\n` at or after `from` (`None` when the
/// input ends first), read in blocks.
fn next_line_start<R: std::io::Read + std::io::Seek>(r: &mut R, from: u64) -> std::io::Result<Option<u64>> {
    r.seek(std::io::SeekFrom::Start(from))?;
    let mut block = vec![0u8; 64 * 1024];
    let mut at = from;
    loop {
        let n = match r.read(&mut block) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(i) = block[..n].iter().position(|&b| b == b'\n') {
            return Ok(Some(at + i as u64 + 1));
        }
        at += n as u64;
    }
}

fn read_csv_rows<R: std::io::Read + std::io::Seek>(
    reader: RecordBudget<R>,
) -> std::result::Result<Vec<(usize, std::result::Result<RawEntry, String>)>, String> {
    let used = reader.used.clone();
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(reader);
    let mut rows = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut record = csv::ByteRecord::new();
    loop {
        let start = rdr.position().clone();
        let line_hint = start.line() as usize;
        used.set(0);
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(line_hint);
                let too_long = match e.kind() {
                    csv::ErrorKind::Io(io) => io.get_ref().is_some_and(|i| i.is::<RecordTooLong>()),
                    _ => false,
                };
                if too_long {
                    if header.is_none() {
                        return Err(format!("line {line_hint}: the CSV header runs past {MAX_LINE_BYTES} bytes"));
                    }
                    // The record is reported at the line it starts on, and
                    // reading starts again on the next line: a stray quote
                    // costs its own line, not every app after it.
                    rows.push((
                        line_hint,
                        Err(format!("a record starting on this line runs past {MAX_LINE_BYTES} bytes (an unclosed quote?)")),
                    ));
                    let next = next_line_start(&mut rdr.get_mut().inner, start.byte()).map_err(|e| crate::error::describe_io(&e))?;
                    let Some(next) = next else { break };
                    let mut pos = csv::Position::new();
                    pos.set_byte(next).set_line(start.line() + 1).set_record(start.record() + 1);
                    used.set(0);
                    rdr.seek_raw(std::io::SeekFrom::Start(next), pos).map_err(|e| e.to_string())?;
                    continue;
                }
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(e.to_string());
                }
                rows.push((line, Err(format!("bad CSV: {e}"))));
                continue;
            }
        }
        let line = record.position().map(|p| p.line() as usize).unwrap_or(line_hint);
        let fields: std::result::Result<Vec<String>, String> = record
            .iter()
            .map(|f| std::str::from_utf8(f).map(|s| s.trim_start_matches('\u{feff}').to_string()).map_err(|_| "not valid UTF-8".to_string()))
            .collect();
        let fields = match fields {
            Ok(f) => f,
            Err(e) => {
                rows.push((line, Err(e)));
                continue;
            }
        };
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let Some(names) = &header else {
            let names: Vec<String> = fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect();
            if !names.iter().any(|n| n == "app_id") {
                return Err(format!("line {line}: the CSV header has no app_id column"));
            }
            header = Some(names);
            continue;
        };
        if fields.len() > names.len() {
            rows.push((line, Err(format!("{} fields, but the header has {}", fields.len(), names.len()))));
            continue;
        }
        let mut raw = RawEntry::default();
        let mut result = Ok(());
        for (name, value) in names.iter().zip(fields) {
            let values: Vec<String> = value.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
            if let Err(e) = raw.set(name, values) {
                result = Err(e);
                break;
            }
        }
        rows.push((line, result.map(|_| raw)));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_jsonl_resolves_paths_and_skips_bad_lines() {
        let rows = read_jsonl_rows(
            &b"{\"app_id\":\"a\",\"policy\":\"p.md\",\"manifest\":[\"m1.xml\",\"m2.xml\"],\"traffic\":\"t.har\"}\n\nnot json\n{\"policy\":\"x\"}\n[1]\n"[..],
        )
        .unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].0, 1);
        let e = rows.into_iter().next().unwrap().1.unwrap().into_entry(Path::new("/base"), 1).unwrap();
        assert_eq!(e.policy, Some(PathBuf::from("/base/p.md")));
        assert_eq!(e.manifests.len(), 2);
        assert_eq!(e.traffic, vec![PathBuf::from("/base/t.har")]);
    }

    #[test]
    fn catalog_jsonl_reports_line_numbers() {
        let rows = read_jsonl_rows(&b"{\"app_id\":\"a\"}\n\n{oops\n{\"policy\":\"x\"}\n"[..]).unwrap();
        let bad: Vec<usize> = rows.iter().filter(|(_, r)| r.is_err()).map(|(l, _)| *l).collect();
        assert_eq!(bad, vec![3]);
        let missing = rows.into_iter().nth(2).unwrap().1.unwrap().into_entry(Path::new("."), 4);
        assert!(missing.is_err());
    }

    #[test]
    fn catalog_csv_lists_and_bad_rows() {
        let rows = read_csv_rows(RecordBudget::new(std::io::Cursor::new(&b"app_id,policy,manifest,traffic\na,p.md,m1.xml;m2.xml,\nb,p.md,m.xml,t.har,extra\n"[..]))).unwrap();
        assert_eq!(rows.len(), 2);
        let a = rows[0].1.as_ref().unwrap();
        assert_eq!(a.manifests, vec!["m1.xml", "m2.xml"]);
        assert!(a.traffic.is_empty());
        assert_eq!(rows[1].0, 3);
        assert!(rows[1].1.is_err());
    }
}
