//! AndroidManifest.xml reader (text XML, as found in source trees or
//! decoded with apktool). Reads the package name, requested permissions
//! (`uses-permission`, `uses-permission-sdk-23`, `uses-permission-sdk-m`)
//! and `uses-feature` names.
//!
//! Safety: DOCTYPE entity declarations are refused before anything is
//! expanded (quick-xml never expands custom entities anyway), the file size
//! is capped, and binary (AXML) manifests from APKs are recognised and
//! refused with a clear message.

use super::RequestedPermission;
use crate::error::{read_input, Error, Result};
use crate::ontology::DataTypeOntology;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use std::collections::HashSet;
use std::path::Path;

/// Largest manifest accepted (real ones are well under 1 MB).
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 256;

/// The Android resource namespace.
const ANDROID_NS: &[u8] = b"http://schemas.android.com/apk/res/android";
/// The build-tools namespace (`tools:node="remove"`).
const TOOLS_NS: &[u8] = b"http://schemas.android.com/tools";

/// What a manifest declares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    /// `manifest@package`; absent in modern source manifests (Gradle's `namespace` replaced it).
    pub package: Option<String>,
    /// Requested permissions, deduplicated by name, in file order.
    pub permissions: Vec<RequestedPermission>,
    /// `uses-feature` names, deduplicated, in file order.
    pub features: Vec<String>,
}

/// Read a text AndroidManifest.xml and map its permissions to data types.
pub fn read_manifest(path: &Path, ont: &DataTypeOntology) -> Result<Manifest> {
    let bytes = read_input(path, MAX_MANIFEST_BYTES)?;
    parse_manifest(&bytes, path, ont)
}

/// Parse manifest bytes; `path` names the source in errors and in each
/// permission's `file`.
pub fn parse_manifest(bytes: &[u8], path: &Path, ont: &DataTypeOntology) -> Result<Manifest> {
    let text = decode_text(bytes, path)?;
    let file = path.display().to_string();
    let mut reader = NsReader::from_str(&text);
    {
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
    }
    let mut manifest = Manifest::default();
    let mut stack: Vec<String> = Vec::new();
    let mut saw_root = false;
    // Permissions removed with tools:node="remove" (applies to the merged manifest).
    let mut removed: Vec<String> = Vec::new();
    let mut seen_permissions: HashSet<String> = HashSet::new();
    let mut seen_features: HashSet<String> = HashSet::new();
    loop {
        // Where the next event starts: positions in messages point at the element.
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            let at = reader.error_position() as usize;
            Error::input(path, format!("malformed XML at {}: {e}", line_col(&text, at)))
        })?;
        match event {
            Event::DocType(dt) => {
                let body = String::from_utf8_lossy(&dt).to_string();
                if body.contains("<!ENTITY") || body.contains("<!entity") {
                    return Err(Error::input(
                        path,
                        format!(
                            "DOCTYPE with entity declarations at {} is refused (entities are never expanded; an Android manifest has no DOCTYPE)",
                            line_col(&text, pos)
                        ),
                    ));
                }
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let (_, local) = reader.resolve_element(e.name());
                let name = String::from_utf8_lossy(local.as_ref()).to_string();
                if stack.is_empty() {
                    if saw_root {
                        return Err(Error::input(path, format!("second root element <{name}> at {}", line_col(&text, pos))));
                    }
                    saw_root = true;
                    if name != "manifest" {
                        return Err(Error::input(
                            path,
                            format!("root element is <{name}>, expected <manifest> (is this an AndroidManifest.xml?)"),
                        ));
                    }
                    manifest.package = plain_attr(&reader, e, b"package", path, &text, pos)?
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty());
                } else if stack.len() == 1 {
                    match name.as_str() {
                        "uses-permission" | "uses-permission-sdk-23" | "uses-permission-sdk-m" => {
                            if let Some(perm) = android_attr(&reader, e, b"name", path, &text, pos)? {
                                let perm = perm.trim().to_string();
                                if perm.is_empty() {
                                    // An empty name requests nothing.
                                } else if is_removed(&reader, e, path, &text, pos)? {
                                    removed.push(perm);
                                } else if seen_permissions.insert(perm.clone()) {
                                    let max_sdk = match android_attr(&reader, e, b"maxSdkVersion", path, &text, pos)? {
                                        None => None,
                                        Some(v) => Some(v.trim().parse::<u32>().map_err(|_| {
                                            Error::input(
                                                path,
                                                format!(
                                                    "maxSdkVersion {v:?} of {perm} at {} is not a number",
                                                    line_col(&text, pos)
                                                ),
                                            )
                                        })?),
                                    };
                                    manifest.permissions.push(RequestedPermission {
                                        dangerous: ont.is_dangerous(&perm),
                                        data_types: ont.for_permission(&perm).into_iter().map(str::to_string).collect(),
                                        name: perm,
                                        max_sdk,
                                        file: file.clone(),
                                    });
                                }
                            }
                        }
                        "uses-feature" => {
                            if let Some(f) = android_attr(&reader, e, b"name", path, &text, pos)? {
                                let f = f.trim().to_string();
                                if !f.is_empty() && seen_features.insert(f.clone()) {
                                    manifest.features.push(f);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if !is_empty {
                    if stack.len() >= MAX_DEPTH {
                        return Err(Error::input(
                            path,
                            format!("elements nested deeper than {MAX_DEPTH} levels at {}", line_col(&text, pos)),
                        ));
                    }
                    stack.push(name);
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            // Text outside the root is not XML; inside, it is ignored.
            Event::Text(t) if stack.is_empty() && !t.iter().all(|b| b.is_ascii_whitespace()) => {
                return Err(Error::input(
                    path,
                    format!("malformed XML: text outside the root element at {}", line_col(&text, pos)),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(Error::input(
            path,
            format!("malformed XML: unexpected end of file inside <{}> (truncated?)", stack.join("><")),
        ));
    }
    if !saw_root {
        return Err(Error::input(path, "no <manifest> element: the file is empty or not XML"));
    }
    // A permission both requested and removed (merge overlays) is removed.
    if !removed.is_empty() {
        let removed: HashSet<String> = removed.into_iter().collect();
        manifest.permissions.retain(|p| !removed.contains(&p.name));
    }
    Ok(manifest)
}

/// Decode the file as text: refuse binary AXML and other binary data,
/// accept UTF-8 (with or without BOM) and UTF-16 with a BOM.
fn decode_text(bytes: &[u8], path: &Path) -> Result<String> {
    if bytes.len() >= 4 && bytes[0..4] == [0x03, 0x00, 0x08, 0x00] {
        return Err(Error::input(
            path,
            "this is a binary (AXML) manifest as stored inside an APK; binary APK manifests are not supported yet \
             (decode it to text first, e.g. with apktool, or use the source AndroidManifest.xml)",
        ));
    }
    if bytes.is_empty() {
        return Err(Error::input(path, "file is empty, expected an AndroidManifest.xml"));
    }
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        if enc != encoding_rs::UTF_8 {
            let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
            if had_errors {
                return Err(Error::input(path, format!("invalid {} text", enc.name())));
            }
            return Ok(text.into_owned());
        }
        return std::str::from_utf8(&bytes[bom_len..])
            .map(str::to_string)
            .map_err(|e| Error::input(path, format!("not valid UTF-8 text at byte {}", e.valid_up_to() + bom_len)));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\0') => Ok(s.to_string()),
        Ok(_) => Err(Error::input(path, "contains NUL bytes: binary data, not a text AndroidManifest.xml")),
        Err(e) => Err(Error::input(
            path,
            format!("not valid UTF-8 text at byte {} (binary data, not a text AndroidManifest.xml?)", e.valid_up_to()),
        )),
    }
}

/// `line L, column C` (1-based) of a byte offset.
fn line_col(text: &str, pos: usize) -> String {
    let pos = pos.min(text.len());
    let before = text.as_bytes().get(..pos).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    format!("line {line}, column {col}")
}

/// Which namespace an attribute must be in to be picked.
#[derive(Clone, Copy, PartialEq)]
enum Ns {
    /// No prefix (`package`).
    Plain,
    /// `android:` (also accepted without a prefix, as some tools write it).
    Android,
    /// `tools:`.
    Tools,
}

fn find_attr(
    reader: &NsReader<&[u8]>,
    e: &BytesStart,
    want: &[u8],
    ns: Ns,
    path: &Path,
    text: &str,
    pos: usize,
) -> Result<Option<String>> {
    let mut fallback = None;
    for a in e.attributes() {
        let a = a.map_err(|err| Error::input(path, format!("malformed attribute at {}: {err}", line_col(text, pos))))?;
        let (res, local) = reader.resolve_attribute(a.key);
        if local.as_ref() != want {
            continue;
        }
        let exact = match (&res, ns) {
            (ResolveResult::Unbound, Ns::Plain) => true,
            (ResolveResult::Bound(n), Ns::Android) => n.as_ref() == ANDROID_NS,
            (ResolveResult::Bound(n), Ns::Tools) => n.as_ref() == TOOLS_NS,
            _ => false,
        };
        let loose = matches!((&res, ns), (ResolveResult::Unbound, Ns::Android));
        if !exact && !loose {
            continue;
        }
        let value = a
            .unescape_value()
            .map_err(|err| {
                Error::input(
                    path,
                    format!(
                        "attribute {} at {}: {err} (entity references are not expanded)",
                        String::from_utf8_lossy(a.key.as_ref()),
                        line_col(text, pos)
                    ),
                )
            })?
            .into_owned();
        if exact {
            return Ok(Some(value));
        }
        fallback = Some(value);
    }
    Ok(fallback)
}

fn android_attr(
    reader: &NsReader<&[u8]>,
    e: &BytesStart,
    want: &[u8],
    path: &Path,
    text: &str,
    pos: usize,
) -> Result<Option<String>> {
    find_attr(reader, e, want, Ns::Android, path, text, pos)
}

fn plain_attr(
    reader: &NsReader<&[u8]>,
    e: &BytesStart,
    want: &[u8],
    path: &Path,
    text: &str,
    pos: usize,
) -> Result<Option<String>> {
    find_attr(reader, e, want, Ns::Plain, path, text, pos)
}

/// `tools:node="remove"` or `"removeAll"`: the element is dropped when manifests merge.
fn is_removed(reader: &NsReader<&[u8]>, e: &BytesStart, path: &Path, text: &str, pos: usize) -> Result<bool> {
    Ok(find_attr(reader, e, b"node", Ns::Tools, path, text, pos)?
        .is_some_and(|v| v.trim() == "remove" || v.trim() == "removeAll"))
}
