//! Android app archives: `.apk`, `.xapk` (a ZIP of APKs: base and splits)
//! and `.aab` (an Android App Bundle: one folder per module). The manifest
//! (binary AXML in an APK, a protocol buffer in a bundle) gives the package,
//! version, SDK levels, requested permissions (mapped to data types as for
//! text manifests), features, `<queries>`, components and `<meta-data>`; the
//! DEX files (`classes.dex`, `classes2.dex`, ...) give the embedded SDKs.

use super::axml::{attr, parse_axml, AxEvent, AxValue};
use super::sdk::SdkDetector;
use super::zip::ZipArchive;
use super::{AppInfo, Component, EmbeddedSdk, MetaData, RequestedPermission};
use crate::error::{Error, Result};
use crate::ontology::{DataTypeOntology, Ontologies};
use std::collections::HashSet;
use std::io::{Read, Seek};
use std::path::Path;

/// What an app archive holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApkContents {
    pub info: AppInfo,
    /// Requested permissions, deduplicated, in manifest order.
    pub permissions: Vec<RequestedPermission>,
    /// `uses-feature` names.
    pub features: Vec<String>,
    /// Tracker SDKs found in the DEX files (which `info` lists).
    pub sdks: Vec<EmbeddedSdk>,
}

/// Read an `.apk`, `.xapk` or `.aab`.
pub fn read_apk(path: &Path, ont: &Ontologies) -> Result<ApkContents> {
    let mut zip = ZipArchive::open_file(path)?;
    let label = path.display().to_string();
    if zip.find("BundleConfig.pb").is_some() || zip.find("base/manifest/AndroidManifest.xml").is_some() {
        return read_bundle(&mut zip, path, &label, ont);
    }
    if zip.find("AndroidManifest.xml").is_some() {
        return read_apk_from(&mut zip, path, &label, ont);
    }
    // XAPK / APKS / APKM: a ZIP holding the base APK and split APKs.
    let apks: Vec<usize> = zip
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.is_dir() && e.name.to_ascii_lowercase().ends_with(".apk"))
        .map(|(i, _)| i)
        .collect();
    if apks.is_empty() {
        return Err(Error::input(path, "no AndroidManifest.xml and no APK inside: not an Android app archive"));
    }
    let mut merged = ApkContents::default();
    for i in apks {
        let name = zip.entries()[i].name.clone();
        let bytes = zip.read(i)?;
        let inner_label = format!("{label}!{name}");
        // The inner APK shares the outer archive's limits and inflation total.
        let mut inner = zip.open_nested(bytes, Path::new(&inner_label))?;
        let c = read_apk_from(&mut inner, Path::new(&inner_label), &inner_label, ont)?;
        let is_base = looks_like_base(&merged, &c);
        merge_split(&mut merged, c, &label, is_base);
    }
    Ok(merged)
}

/// Whether a split describes the app better than those merged so far: the
/// one with code, or else the first with a package.
fn looks_like_base(merged: &ApkContents, c: &ApkContents) -> bool {
    c.info.package.is_some() && (merged.info.package.is_none() || (merged.sdks.is_empty() && !c.sdks.is_empty()))
}

/// Add one split (an APK of an XAPK, a module of a bundle) to the app. The
/// base split's facts describe the app; permissions, features, SDKs and
/// DEX files are unions.
fn merge_split(merged: &mut ApkContents, c: ApkContents, label: &str, is_base: bool) {
    let mut dex_files = std::mem::take(&mut merged.info.dex_files);
    dex_files.extend(c.info.dex_files.iter().cloned());
    let classes = merged.info.classes + c.info.classes;
    if is_base {
        merged.info = AppInfo { file: label.to_string(), ..c.info.clone() };
    }
    merged.info.dex_files = dex_files;
    merged.info.classes = classes;
    for p in c.permissions {
        if !merged.permissions.iter().any(|x| x.name == p.name) {
            merged.permissions.push(p);
        }
    }
    for f in c.features {
        if !merged.features.contains(&f) {
            merged.features.push(f);
        }
    }
    for s in c.sdks {
        if !merged.sdks.iter().any(|x| x.tracker_id == s.tracker_id) {
            merged.sdks.push(s);
        }
    }
}

/// Read an Android App Bundle: every module folder with a
/// `manifest/AndroidManifest.xml` (a protobuf `XmlNode`) and its
/// `dex/classes*.dex`; `base` describes the app.
fn read_bundle<R: Read + Seek>(zip: &mut ZipArchive<R>, path: &Path, label: &str, ont: &Ontologies) -> Result<ApkContents> {
    let mut modules: Vec<(String, usize)> = zip
        .entries()
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let module = e.name.strip_suffix("/manifest/AndroidManifest.xml")?;
            (!module.is_empty() && !module.contains('/')).then(|| (module.to_string(), i))
        })
        .collect();
    if modules.is_empty() {
        return Err(Error::input(path, "Android App Bundle without a module manifest (base/manifest/AndroidManifest.xml)"));
    }
    modules.sort_by_key(|(m, _)| (m != "base", m.clone()));
    let has_base = modules.iter().any(|(m, _)| m == "base");
    let mut merged = ApkContents::default();
    for (module, i) in modules {
        let manifest_label = format!("{label}!{module}/manifest/AndroidManifest.xml");
        let bytes = zip.read(i)?;
        let events = super::protoxml::parse_proto_xml(&bytes, Path::new(&manifest_label))?;
        let (info, permissions, features) = manifest_from_events(&events, Path::new(&manifest_label), &ont.data_types)?;
        let mut c = ApkContents { info, permissions, features, ..ApkContents::default() };
        resolve_version_name(zip, &mut c.info, &format!("{module}/resources.pb"), super::protoxml::resolve_string_pb)?;
        scan_dex(zip, &format!("{module}/dex/"), label, ont, &mut c)?;
        let is_base = if has_base { module == "base" } else { looks_like_base(&merged, &c) };
        merge_split(&mut merged, c, label, is_base);
    }
    Ok(merged)
}

/// Read the manifest and the DEX files of one APK.
fn read_apk_from<R: Read + Seek>(zip: &mut ZipArchive<R>, path: &Path, label: &str, ont: &Ontologies) -> Result<ApkContents> {
    let Some(manifest) = zip.read_named("AndroidManifest.xml")? else {
        return Err(Error::input(path, "no AndroidManifest.xml: not an APK"));
    };
    let manifest_label = format!("{label}!AndroidManifest.xml");
    let (info, permissions, features) =
        parse_binary_manifest(&manifest, Path::new(&manifest_label), &ont.data_types)?;
    let mut contents =
        ApkContents { info: AppInfo { file: label.to_string(), ..info }, permissions, features, ..ApkContents::default() };
    resolve_version_name(zip, &mut contents.info, "resources.arsc", super::arsc::resolve_string)?;
    scan_dex(zip, "", label, ont, &mut contents)?;
    Ok(contents)
}

/// A version name given as a string resource (`@0x7f0e0001`) is looked up
/// in the resource table `table` (an APK's `resources.arsc`, a bundle
/// module's `resources.pb`) with `lookup`, as aapt does; a table that
/// cannot be read leaves the reference as it is rather than losing the
/// app's other results.
fn resolve_version_name<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    info: &mut AppInfo,
    table: &str,
    lookup: fn(&[u8], u32) -> std::result::Result<Option<String>, String>,
) -> Result<()> {
    let id = info.version_name.as_deref().and_then(|v| v.strip_prefix("@0x")).and_then(|h| u32::from_str_radix(h, 16).ok());
    let Some(id) = id else { return Ok(()) };
    if let Some(bytes) = zip.read_named(table)? {
        if let Ok(Some(name)) = lookup(&bytes, id) {
            info.version_name = Some(name);
        }
    }
    Ok(())
}

/// Scan the DEX files directly under `folder` (`""` in an APK, `base/dex/`
/// in a bundle), in `classes.dex`, `classes2.dex`, ... order, for tracker
/// SDKs; record the files and their class count.
fn scan_dex<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    folder: &str,
    label: &str,
    ont: &Ontologies,
    contents: &mut ApkContents,
) -> Result<()> {
    let mut dex_names: Vec<(usize, usize)> = zip
        .entries()
        .iter()
        .enumerate()
        .filter_map(|(i, e)| dex_number(e.name.strip_prefix(folder)?).map(|n| (n, i)))
        .collect();
    dex_names.sort();
    let detector = SdkDetector::shipped()?;
    for (_, i) in dex_names {
        let name = zip.entries()[i].name.clone();
        let bytes = zip.read(i)?;
        let dex_label = format!("{label}!{name}");
        let classes = super::dex::class_descriptors(&bytes, Path::new(&dex_label))?;
        contents.info.classes += classes.len();
        for m in detector.detect(classes.iter().map(String::as_str)) {
            if contents.sdks.iter().any(|s| s.tracker_id == detector.sdks()[m.sdk].id) {
                continue;
            }
            contents.sdks.push(detector.describe(&m, &ont.entities, &dex_label));
        }
        contents.info.dex_files.push(dex_label);
    }
    Ok(())
}

/// `classes.dex` -> 1, `classes7.dex` -> 7; other names -> None.
fn dex_number(name: &str) -> Option<usize> {
    let rest = name.strip_prefix("classes")?.strip_suffix(".dex")?;
    if rest.is_empty() {
        Some(1)
    } else if rest.bytes().all(|b| b.is_ascii_digit()) && rest.len() <= 4 {
        rest.parse().ok()
    } else {
        None
    }
}

/// Decode a binary AndroidManifest.xml: app facts, requested permissions
/// (with their data types) and features. `path` names it in errors and in
/// each permission's `file`.
pub fn parse_binary_manifest(
    bytes: &[u8],
    path: &Path,
    ont: &DataTypeOntology,
) -> Result<(AppInfo, Vec<RequestedPermission>, Vec<String>)> {
    manifest_from_events(&parse_axml(bytes, path)?, path, ont)
}

/// Interpret a compiled manifest's element events (from binary AXML or its
/// protobuf form): app facts, requested permissions and features.
fn manifest_from_events(
    events: &[AxEvent],
    path: &Path,
    ont: &DataTypeOntology,
) -> Result<(AppInfo, Vec<RequestedPermission>, Vec<String>)> {
    let file = path.display().to_string();
    let mut info = AppInfo { platform: "android".into(), file: file.clone(), ..AppInfo::default() };
    let mut permissions: Vec<RequestedPermission> = Vec::new();
    let mut features: Vec<String> = Vec::new();
    let mut seen_perm: HashSet<String> = HashSet::new();
    // (element name, component class if it is one)
    let mut stack: Vec<(String, Option<String>)> = Vec::new();
    let text = |v: Option<&AxValue>| v.map(AxValue::to_text).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    for ev in events {
        let (name, attrs) = match ev {
            AxEvent::End => {
                stack.pop();
                continue;
            }
            AxEvent::Start { name, attrs } => (name.as_str(), attrs.as_slice()),
        };
        let parent = stack.last().map(|(n, _)| n.as_str());
        let mut component = None;
        match (stack.len(), name, parent) {
            (0, "manifest", _) => {
                info.package = text(attrs.iter().find(|a| a.name == "package").map(|a| &a.value));
                info.version_code = text(attr(attrs, "versionCode"));
                info.version_name = text(attr(attrs, "versionName"));
            }
            (0, other, _) => {
                return Err(Error::input(path, format!("root element is <{other}>, expected <manifest>")));
            }
            (1, "uses-sdk", _) => {
                info.min_sdk = text(attr(attrs, "minSdkVersion"));
                info.target_sdk = text(attr(attrs, "targetSdkVersion"));
            }
            (1, "uses-permission" | "uses-permission-sdk-23" | "uses-permission-sdk-m", _) => {
                if let Some(perm) = text(attr(attrs, "name")) {
                    if seen_perm.insert(perm.clone()) {
                        let max_sdk = match attr(attrs, "maxSdkVersion") {
                            Some(AxValue::Int(n)) => u32::try_from(*n).ok(),
                            Some(AxValue::String(s)) => s.trim().parse().ok(),
                            _ => None,
                        };
                        permissions.push(RequestedPermission {
                            dangerous: ont.is_dangerous(&perm),
                            data_types: ont.for_permission(&perm).into_iter().map(str::to_string).collect(),
                            name: perm,
                            max_sdk,
                            file: file.clone(),
                        });
                    }
                }
            }
            (1, "uses-feature", _) => {
                if let Some(f) = text(attr(attrs, "name")) {
                    if !features.contains(&f) {
                        features.push(f);
                    }
                }
            }
            (_, "package", Some("queries")) => {
                if let Some(p) = text(attr(attrs, "name")) {
                    info.queries.push(format!("package:{p}"));
                }
            }
            (_, "provider", Some("queries")) => {
                if let Some(p) = text(attr(attrs, "authorities")) {
                    info.queries.push(format!("provider:{p}"));
                }
            }
            (_, "action", Some("intent")) if stack.iter().any(|(n, _)| n == "queries") => {
                if let Some(a) = text(attr(attrs, "name")) {
                    info.queries.push(format!("intent:{a}"));
                }
            }
            (2, "activity" | "activity-alias" | "service" | "receiver" | "provider", Some("application")) => {
                if let Some(c) = text(attr(attrs, "name")) {
                    let class = qualify(&c, info.package.as_deref());
                    info.components.push(Component { kind: name.to_string(), name: class.clone() });
                    component = Some(class);
                }
            }
            (_, "meta-data", _) => {
                if let Some(n) = text(attr(attrs, "name")) {
                    let value = text(attr(attrs, "value")).or_else(|| text(attr(attrs, "resource"))).unwrap_or_default();
                    let owner = stack.iter().rev().find_map(|(_, c)| c.clone());
                    info.meta_data.push(MetaData { name: n, value, component: owner });
                }
            }
            _ => {}
        }
        stack.push((name.to_string(), component));
    }
    if info.package.is_none() && permissions.is_empty() && info.components.is_empty() {
        return Err(Error::input(path, "binary manifest has no package, permissions or components"));
    }
    Ok((info, permissions, features))
}

/// `.Main` in `com.example` -> `com.example.Main`; `Main` -> `com.example.Main`.
fn qualify(class: &str, package: Option<&str>) -> String {
    match package {
        Some(p) if class.starts_with('.') => format!("{p}{class}"),
        Some(p) if !class.contains('.') => format!("{p}.{class}"),
        _ => class.to_string(),
    }
}
