//! Observe from real app artifacts: APK/XAPK (binary manifest, DEX code,
//! tracker SDKs), IPA and iOS property lists, pcap/pcapng captures, and
//! identifier encodings in HAR traffic. Every artifact is built here, byte
//! by byte, so each test says exactly what it feeds in; hostile variants
//! (zip bombs, bogus offsets, truncation, random corruption) must give a
//! clear error naming the file, never a panic or a hang.

use candor::observe::apk::parse_binary_manifest;
use candor::observe::axml::parse_axml;
use candor::observe::dex::class_descriptors;
use candor::observe::pcap::{capture_hosts, client_hello_sni, HostSource};
use candor::observe::zip::{ZipArchive, ZipLimits};
use candor::observe::{
    observe, read_apk, read_har, read_ios_file, read_ipa, read_pcap, DeviceProfile, FirstParty, FlowSource,
    ObserveInputs, SdkStatus,
};
use candor::ontology::Ontologies;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const AAID: &str = "38400000-8cf0-11bd-b23e-10b96e40000d";

fn ont() -> &'static Ontologies {
    candor::ontology::shipped().expect("shipped ontologies load")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

fn err_text<T: std::fmt::Debug>(r: candor::Result<T>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// A tiny deterministic generator for corruption tests.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// A copy of `good` with between 1 and `most` bytes set at random.
    fn corrupt(&mut self, good: &[u8], most: u64) -> Vec<u8> {
        let mut b = good.to_vec();
        for _ in 0..(1 + self.next() % most) {
            let at = (self.next() as usize) % b.len();
            b[at] = self.next() as u8;
        }
        b
    }
}

// ---------------------------------------------------------------------------
// Builders

/// A ZIP entry to write: name, data, deflate?, and an optional lie about the uncompressed size.
struct Entry<'a> {
    name: &'a str,
    data: &'a [u8],
    deflate: bool,
    declared_size: Option<u32>,
}

fn entry<'a>(name: &'a str, data: &'a [u8]) -> Entry<'a> {
    Entry { name, data, deflate: true, declared_size: None }
}

fn crc32(b: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(b);
    c.sum()
}

fn deflate(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).expect("deflate");
    e.finish().expect("deflate")
}

fn build_zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let data = if e.deflate { deflate(e.data) } else { e.data.to_vec() };
        let method: u16 = if e.deflate { 8 } else { 0 };
        let size = e.declared_size.unwrap_or(e.data.len() as u32);
        let offset = out.len() as u32;
        let crc = crc32(e.data);
        out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]);
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&data);
        central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0]);
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// An attribute value for the AXML builder.
enum V<'a> {
    Str(&'a str),
    Int(i32),
    Bool(bool),
}

/// An AXML event: start (name, attributes as (android ns?, name, value)) or end.
enum X<'a> {
    S(&'a str, Vec<(bool, &'a str, V<'a>)>),
    E,
}

const ANDROID: &str = "http://schemas.android.com/apk/res/android";

fn chunk(ty: u16, header_size: u16, body: &[u8]) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend_from_slice(&ty.to_le_bytes());
    c.extend_from_slice(&header_size.to_le_bytes());
    c.extend_from_slice(&((8 + body.len()) as u32).to_le_bytes());
    c.extend_from_slice(body);
    c
}

/// Build a binary manifest: a UTF-16 (or UTF-8) string pool, a resource map
/// for `android:name`, and the elements.
fn build_axml(events: &[X], utf8: bool) -> Vec<u8> {
    let mut strings: Vec<String> = vec!["name".into(), "android".into(), ANDROID.into()];
    let idx = |s: &str, strings: &mut Vec<String>| -> u32 {
        match strings.iter().position(|x| x == s) {
            Some(i) => i as u32,
            None => {
                strings.push(s.to_string());
                (strings.len() - 1) as u32
            }
        }
    };
    // Elements first, so every string is in the pool before it is written.
    let mut body_chunks = Vec::new();
    // start namespace
    let mut ns = Vec::new();
    ns.extend_from_slice(&1u32.to_le_bytes());
    ns.extend_from_slice(&u32::MAX.to_le_bytes());
    ns.extend_from_slice(&1u32.to_le_bytes());
    ns.extend_from_slice(&2u32.to_le_bytes());
    body_chunks.push(chunk(0x0100, 16, &ns));
    let mut names_stack = Vec::new();
    for ev in events {
        match ev {
            X::S(name, attrs) => {
                let n = idx(name, &mut strings);
                names_stack.push(n);
                let mut b = Vec::new();
                b.extend_from_slice(&1u32.to_le_bytes()); // line
                b.extend_from_slice(&u32::MAX.to_le_bytes()); // comment
                b.extend_from_slice(&u32::MAX.to_le_bytes()); // ns
                b.extend_from_slice(&n.to_le_bytes());
                b.extend_from_slice(&20u16.to_le_bytes()); // attributeStart
                b.extend_from_slice(&20u16.to_le_bytes()); // attributeSize
                b.extend_from_slice(&(attrs.len() as u16).to_le_bytes());
                b.extend_from_slice(&[0; 6]);
                for (android, an, v) in attrs {
                    let an_i = idx(an, &mut strings);
                    let ns_i = if *android { 2 } else { u32::MAX };
                    let (raw, ty, data) = match v {
                        V::Str(s) => {
                            let i = idx(s, &mut strings);
                            (i, 0x03u8, i)
                        }
                        V::Int(n) => (u32::MAX, 0x10, *n as u32),
                        V::Bool(b) => (u32::MAX, 0x12, if *b { u32::MAX } else { 0 }),
                    };
                    b.extend_from_slice(&ns_i.to_le_bytes());
                    b.extend_from_slice(&an_i.to_le_bytes());
                    b.extend_from_slice(&raw.to_le_bytes());
                    b.extend_from_slice(&8u16.to_le_bytes());
                    b.push(0);
                    b.push(ty);
                    b.extend_from_slice(&data.to_le_bytes());
                }
                body_chunks.push(chunk(0x0102, 16, &b));
            }
            X::E => {
                let n = names_stack.pop().unwrap_or(0);
                let mut b = Vec::new();
                b.extend_from_slice(&1u32.to_le_bytes());
                b.extend_from_slice(&u32::MAX.to_le_bytes());
                b.extend_from_slice(&u32::MAX.to_le_bytes());
                b.extend_from_slice(&n.to_le_bytes());
                body_chunks.push(chunk(0x0103, 16, &b));
            }
        }
    }
    // String pool.
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for s in &strings {
        offsets.push(data.len() as u32);
        if utf8 {
            let n = s.len();
            assert!(n < 0x80);
            data.push(s.chars().count() as u8);
            data.push(n as u8);
            data.extend_from_slice(s.as_bytes());
            data.push(0);
        } else {
            let units: Vec<u16> = s.encode_utf16().collect();
            data.extend_from_slice(&(units.len() as u16).to_le_bytes());
            for u in units {
                data.extend_from_slice(&u.to_le_bytes());
            }
            data.extend_from_slice(&[0, 0]);
        }
    }
    while data.len() % 4 != 0 {
        data.push(0);
    }
    let mut pool = Vec::new();
    pool.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    pool.extend_from_slice(&0u32.to_le_bytes());
    pool.extend_from_slice(&(if utf8 { 0x100u32 } else { 0 }).to_le_bytes());
    pool.extend_from_slice(&(28 + 4 * strings.len() as u32).to_le_bytes());
    pool.extend_from_slice(&0u32.to_le_bytes());
    for o in &offsets {
        pool.extend_from_slice(&o.to_le_bytes());
    }
    pool.extend_from_slice(&data);
    let mut body = chunk(0x0001, 28, &pool);
    // Resource map: string 0 ("name") is android:name.
    body.extend(chunk(0x0180, 8, &0x0101_0003u32.to_le_bytes()));
    for c in body_chunks {
        body.extend(c);
    }
    chunk(0x0003, 8, &body)
}

fn shop_manifest() -> Vec<u8> {
    use V::*;
    use X::*;
    build_axml(
        &[
            S(
                "manifest",
                vec![
                    (false, "package", Str("com.acme.shop")),
                    (true, "versionCode", Int(42)),
                    (true, "versionName", Str("1.2.3")),
                ],
            ),
            S("uses-sdk", vec![(true, "minSdkVersion", Int(21)), (true, "targetSdkVersion", Int(34))]),
            E,
            S("uses-permission", vec![(true, "name", Str("android.permission.ACCESS_FINE_LOCATION"))]),
            E,
            S(
                "uses-permission-sdk-23",
                vec![(true, "name", Str("android.permission.READ_CONTACTS")), (true, "maxSdkVersion", Int(28))],
            ),
            E,
            S("uses-permission", vec![(true, "name", Str("android.permission.INTERNET"))]),
            E,
            S("uses-feature", vec![(true, "name", Str("android.hardware.camera")), (true, "required", Bool(false))]),
            E,
            S("queries", vec![]),
            S("package", vec![(true, "name", Str("com.whatsapp"))]),
            E,
            S("intent", vec![]),
            S("action", vec![(true, "name", Str("android.intent.action.VIEW"))]),
            E,
            E,
            E,
            S("application", vec![]),
            S("activity", vec![(true, "name", Str(".MainActivity"))]),
            E,
            S("service", vec![(true, "name", Str("com.acme.shop.SyncService"))]),
            S("meta-data", vec![(true, "name", Str("sync.mode")), (true, "value", Str("eager"))]),
            E,
            E,
            S("meta-data", vec![(true, "name", Str("com.facebook.sdk.ApplicationId")), (true, "value", Str("fb1234567890"))]),
            E,
            E,
            E,
        ],
        false,
    )
}

/// A DEX file defining the given classes (descriptors).
fn build_dex(classes: &[&str]) -> Vec<u8> {
    let n = classes.len();
    let string_ids_off = 0x70;
    let type_ids_off = string_ids_off + 4 * n;
    let class_defs_off = type_ids_off + 4 * n;
    let data_off = class_defs_off + 32 * n;
    let mut sorted: Vec<&str> = classes.to_vec();
    sorted.sort();
    let mut data = Vec::new();
    let mut string_offsets = Vec::new();
    for c in &sorted {
        string_offsets.push((data_off + data.len()) as u32);
        data.push(c.len() as u8); // ULEB128 length, < 128
        data.extend_from_slice(c.as_bytes());
        data.push(0);
    }
    let file_size = data_off + data.len();
    let mut d = vec![0u8; 0x70];
    d[0..8].copy_from_slice(b"dex\n035\0");
    let put = |d: &mut Vec<u8>, at: usize, v: u32| d[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put(&mut d, 32, file_size as u32);
    put(&mut d, 36, 0x70);
    put(&mut d, 40, 0x1234_5678);
    put(&mut d, 56, n as u32);
    put(&mut d, 60, string_ids_off as u32);
    put(&mut d, 64, n as u32);
    put(&mut d, 68, type_ids_off as u32);
    put(&mut d, 96, n as u32);
    put(&mut d, 100, class_defs_off as u32);
    for o in &string_offsets {
        d.extend_from_slice(&o.to_le_bytes());
    }
    for i in 0..n {
        d.extend_from_slice(&(i as u32).to_le_bytes());
    }
    for i in 0..n {
        let mut def = [0u8; 32];
        def[0..4].copy_from_slice(&(i as u32).to_le_bytes());
        d.extend_from_slice(&def);
    }
    d.extend_from_slice(&data);
    d
}

fn shop_apk() -> Vec<u8> {
    let manifest = shop_manifest();
    let dex1 = build_dex(&["Lcom/acme/shop/MainActivity;", "Lcom/acme/shop/SyncService;"]);
    let dex2 = build_dex(&["Lcom/facebook/ads/AdView;", "Lcom/appsflyer/AppsFlyerLib;", "Lcom/facebook/ads/InterstitialAd;"]);
    build_zip(&[
        entry("AndroidManifest.xml", &manifest),
        entry("classes.dex", &dex1),
        entry("classes2.dex", &dex2),
        Entry { name: "resources.arsc", data: b"not read", deflate: false, declared_size: None },
    ])
}

// ---------------------------------------------------------------------------
// APK

#[test]
fn apk_binary_manifest_is_decoded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let apk = write(dir.path(), "shop.apk", &shop_apk());
    let c = read_apk(&apk, ont()).expect("apk reads");
    assert_eq!(c.info.package.as_deref(), Some("com.acme.shop"));
    assert_eq!(c.info.version_code.as_deref(), Some("42"));
    assert_eq!(c.info.version_name.as_deref(), Some("1.2.3"));
    assert_eq!(c.info.min_sdk.as_deref(), Some("21"));
    assert_eq!(c.info.target_sdk.as_deref(), Some("34"));
    let names: Vec<&str> = c.permissions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["android.permission.ACCESS_FINE_LOCATION", "android.permission.READ_CONTACTS", "android.permission.INTERNET"]
    );
    assert_eq!(c.permissions[1].max_sdk, Some(28));
    assert!(c.permissions[0].dangerous);
    assert!(c.permissions[0].data_types.iter().any(|d| d == "precise_location"));
    assert!(c.permissions[0].file.ends_with("shop.apk!AndroidManifest.xml"));
    assert_eq!(c.features, ["android.hardware.camera"]);
    assert_eq!(c.info.queries, ["package:com.whatsapp", "intent:android.intent.action.VIEW"]);
    let comps: Vec<(&str, &str)> = c.info.components.iter().map(|x| (x.kind.as_str(), x.name.as_str())).collect();
    assert_eq!(comps, [("activity", "com.acme.shop.MainActivity"), ("service", "com.acme.shop.SyncService")]);
    let md: Vec<(&str, &str, Option<&str>)> =
        c.info.meta_data.iter().map(|m| (m.name.as_str(), m.value.as_str(), m.component.as_deref())).collect();
    assert_eq!(
        md,
        [
            ("sync.mode", "eager", Some("com.acme.shop.SyncService")),
            ("com.facebook.sdk.ApplicationId", "fb1234567890", None)
        ]
    );
}

#[test]
fn utf8_string_pool_is_decoded_too() {
    use V::*;
    use X::*;
    let bytes = build_axml(
        &[
            S("manifest", vec![(false, "package", Str("org.example.utf"))]),
            S("uses-permission", vec![(true, "name", Str("android.permission.CAMERA"))]),
            E,
            E,
        ],
        true,
    );
    let (info, perms, _) = parse_binary_manifest(&bytes, Path::new("m.axml"), &ont().data_types).expect("parses");
    assert_eq!(info.package.as_deref(), Some("org.example.utf"));
    assert_eq!(perms[0].name, "android.permission.CAMERA");
}

#[test]
fn apk_sdks_are_detected_in_multidex_and_marked_embedded_or_contacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let apk = write(dir.path(), "shop.apk", &shop_apk());
    let obs = observe(&ObserveInputs { apks: vec![apk.clone()], ..Default::default() }, ont()).expect("observes");
    let fb = obs.sdks.iter().find(|s| s.name == "Facebook Ads").expect("Facebook Ads found");
    assert_eq!(fb.signature, "com.facebook.ads");
    assert_eq!(fb.class, "com.facebook.ads.AdView");
    assert!(fb.file.ends_with("shop.apk!classes2.dex"), "{}", fb.file);
    assert_eq!(fb.status, SdkStatus::Embedded);
    assert!(fb.categories.iter().any(|c| c == "advertising"), "{:?}", fb.categories);
    let af = obs.sdks.iter().find(|s| s.name == "AppsFlyer").expect("AppsFlyer found");
    assert!(af.categories.iter().any(|c| c == "analytics"));
    // An SDK is not a transfer: only the dangerous permissions make flows.
    assert!(obs.flows.iter().all(|f| matches!(f.source, FlowSource::Permission { .. })));
    assert_eq!(obs.package.as_deref(), Some("com.acme.shop"));
    assert_eq!(obs.apps.len(), 1);

    // With traffic to graph.facebook.com, Facebook Ads is contacted; AppsFlyer stays embedded.
    let har = r#"{"log":{"entries":[{"request":{"method":"GET","url":"https://graph.facebook.com/v2/ads","headers":[]}}]}}"#;
    let har_path = write(dir.path(), "t.har", har.as_bytes());
    let obs = observe(&ObserveInputs { apks: vec![apk], traffic: vec![har_path], ..Default::default() }, ont())
        .expect("observes");
    let fb = obs.sdks.iter().find(|s| s.name == "Facebook Ads").expect("found");
    assert_eq!(fb.status, SdkStatus::Contacted);
    assert_eq!(fb.contacted_hosts, ["graph.facebook.com"]);
    let af = obs.sdks.iter().find(|s| s.name == "AppsFlyer").expect("found");
    assert_eq!(af.status, SdkStatus::Embedded);
}

#[test]
fn check_reports_embedded_sdks_in_json_and_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let apk = write(dir.path(), "shop.apk", &shop_apk());
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/opennote/PRIVACY_POLICY.md");
    let run = |format: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_candor"))
            .args(["check", "--apk"])
            .arg(&apk)
            .arg("--policy")
            .arg(&policy)
            .args(["--extractor", "rules", "--no-cache", "--fail-on", "none", "--format", format])
            .env("NO_COLOR", "1")
            .output()
            .expect("runs")
    };
    let out = run("json");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sdks = v["sdks"].as_array().expect("sdks listed");
    assert!(sdks.iter().any(|s| s["name"] == "Facebook Ads" && s["status"] == "embedded"), "{sdks:?}");
    let text = String::from_utf8_lossy(&run("text").stdout).into_owned();
    assert!(text.contains("sdk: Facebook Ads"), "{text}");
    let md = String::from_utf8_lossy(&run("md").stdout).into_owned();
    assert!(md.contains("## Embedded SDKs") && md.contains("Facebook Ads"), "{md}");
    let html = String::from_utf8_lossy(&run("html").stdout).into_owned();
    assert!(html.contains("<table id=\"sdks\">") && html.contains("<td>Facebook Ads</td>"), "{html}");
}

#[test]
fn apk_permissions_give_the_same_flows_as_a_text_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let apk = write(dir.path(), "shop.apk", &shop_apk());
    let text = r#"<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme.shop">
  <uses-permission android:name="android.permission.ACCESS_FINE_LOCATION"/>
  <uses-permission-sdk-23 android:name="android.permission.READ_CONTACTS" android:maxSdkVersion="28"/>
  <uses-permission android:name="android.permission.INTERNET"/>
</manifest>"#;
    let xml = write(dir.path(), "AndroidManifest.xml", text.as_bytes());
    let a = observe(&ObserveInputs { apks: vec![apk], ..Default::default() }, ont()).expect("apk");
    let b = observe(&ObserveInputs { manifests: vec![xml], ..Default::default() }, ont()).expect("xml");
    let types = |o: &candor::observe::Observation| {
        let mut v: Vec<(String, String)> = o
            .flows
            .iter()
            .map(|f| match &f.source {
                FlowSource::Permission { permission, .. } => (f.data_type.clone(), permission.clone()),
                other => panic!("unexpected source {other:?}"),
            })
            .collect();
        v.sort();
        v
    };
    assert!(!types(&a).is_empty());
    assert_eq!(types(&a), types(&b));
    assert_eq!(a.permissions.iter().map(|p| (&p.name, p.max_sdk, p.dangerous)).collect::<Vec<_>>(),
               b.permissions.iter().map(|p| (&p.name, p.max_sdk, p.dangerous)).collect::<Vec<_>>());
}

#[test]
fn xapk_of_base_and_split_apks_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = shop_apk();
    let split_manifest = {
        use V::*;
        use X::*;
        build_axml(
            &[
                S("manifest", vec![(false, "package", Str("com.acme.shop")), (false, "split", Str("config.en"))]),
                S("uses-permission", vec![(true, "name", Str("android.permission.RECORD_AUDIO"))]),
                E,
                E,
            ],
            false,
        )
    };
    let split = build_zip(&[entry("AndroidManifest.xml", &split_manifest)]);
    let xapk = build_zip(&[
        entry("manifest.json", b"{}"),
        Entry { name: "config.en.apk", data: &split, deflate: false, declared_size: None },
        Entry { name: "com.acme.shop.apk", data: &base, deflate: false, declared_size: None },
    ]);
    let p = write(dir.path(), "shop.xapk", &xapk);
    let c = read_apk(&p, ont()).expect("xapk reads");
    assert_eq!(c.info.package.as_deref(), Some("com.acme.shop"));
    assert_eq!(c.info.version_code.as_deref(), Some("42"));
    assert!(c.permissions.iter().any(|p| p.name == "android.permission.RECORD_AUDIO"));
    assert!(c.permissions.iter().any(|p| p.name == "android.permission.READ_CONTACTS"));
    assert!(c.sdks.iter().any(|s| s.name == "Facebook Ads"));
}

#[test]
fn bundles_without_manifests_and_non_apk_zips_are_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let aab = write(dir.path(), "app.aab", &build_zip(&[entry("BundleConfig.pb", b"x"), entry("feature/readme.txt", b"x")]));
    let e = err_text(read_apk(&aab, ont()));
    assert!(e.contains("app.aab") && e.contains("App Bundle without a module manifest"), "{e}");
    let other = write(dir.path(), "notes.apk", &build_zip(&[entry("readme.txt", b"hello")]));
    let e = err_text(read_apk(&other, ont()));
    assert!(e.contains("notes.apk") && e.contains("not an Android app archive"), "{e}");
    let garbage = write(dir.path(), "garbage.apk", &[7u8; 5000]);
    let e = err_text(read_apk(&garbage, ont()));
    assert!(e.contains("garbage.apk") && e.contains("not a ZIP archive"), "{e}");
}

// ---------------------------------------------------------------------------
// A real APK (appium io.appium.settings 8.0.10 from npm), checked against
// androguard 4.1.4, and an App Bundle made from it.

const APPIUM: &str = "tests/fixtures/observe/real/appium-settings";

/// What androguard reports for the real APK (`androguard_expected.py`).
fn androguard_expected() -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{APPIUM}/expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().expect("array").iter().map(|x| x.as_str().expect("string").to_string()).collect()
}

/// Assert that what candor read from the app equals androguard's report.
fn assert_matches_androguard(c: &candor::observe::apk::ApkContents, e: &serde_json::Value) {
    let num = |k: &str| e[k].as_i64().map(|n| n.to_string()).or_else(|| e[k].as_str().map(str::to_string));
    assert_eq!(c.info.package.as_deref(), e["package"].as_str());
    assert_eq!(c.info.version_code, num("version_code"));
    assert_eq!(c.info.version_name.as_deref(), e["version_name"].as_str());
    assert_eq!(c.info.min_sdk, num("min_sdk"));
    assert_eq!(c.info.target_sdk, num("target_sdk"));
    let mut perms: Vec<(String, Option<u32>)> = c.permissions.iter().map(|p| (p.name.clone(), p.max_sdk)).collect();
    perms.sort();
    let want: Vec<(String, Option<u32>)> = e["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| (p["name"].as_str().expect("name").to_string(), p["max_sdk"].as_u64().map(|n| n as u32)))
        .collect();
    assert_eq!(perms, want);
    let mut features = c.features.clone();
    features.sort();
    assert_eq!(features, strings(&e["features"]));
    for kind in ["activity", "service", "receiver", "provider"] {
        let mut got: Vec<String> = c.info.components.iter().filter(|x| x.kind == kind).map(|x| x.name.clone()).collect();
        got.sort();
        assert_eq!(got, strings(&e["components"][kind]), "{kind}");
    }
    let mut md: Vec<String> = c.info.meta_data.iter().map(|m| m.name.clone()).collect();
    md.sort();
    assert_eq!(md, strings(&e["meta_data"]));
    assert_eq!(c.info.classes as u64, e["classes"].as_u64().expect("classes"));
}

#[test]
fn real_apk_matches_androguard() {
    let apk = Path::new(APPIUM).join("settings_apk-debug.apk");
    let c = read_apk(&apk, ont()).expect("the real APK reads");
    let e = androguard_expected();
    assert_matches_androguard(&c, &e);
    let dex: Vec<String> = c.info.dex_files.iter().map(|d| d.rsplit('!').next().unwrap_or("").to_string()).collect();
    assert_eq!(dex, strings(&e["dex_files"]), "every DEX of the multidex APK is scanned, in order");
    // Permissions map to data types through the ontology.
    let types = |name: &str| c.permissions.iter().find(|p| p.name == name).map(|p| p.data_types.clone()).unwrap_or_default();
    assert!(types("android.permission.ACCESS_FINE_LOCATION").contains(&"precise_location".to_string()));
    assert!(types("android.permission.RECORD_AUDIO").iter().any(|t| t.contains("audio") || t.contains("voice")), "{:?}", types("android.permission.RECORD_AUDIO"));
    assert!(!types("android.permission.READ_SMS").is_empty());
}

/// APK observation time on the largest real APK at hand (3.1 MB, 9 DEX
/// files), median of 5 runs:
/// `cargo test --release --test observe_artifacts -- --ignored --nocapture apk_observation_time`.
#[test]
#[ignore]
fn apk_observation_time() {
    let apk = Path::new(APPIUM).join("settings_apk-debug.apk");
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let c = read_apk(&apk, ont()).expect("reads");
            assert!(c.info.classes > 0);
            started.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let mb = std::fs::metadata(&apk).expect("apk").len() as f64 / 1e6;
    println!("APK observation: {mb:.1} MB in {:.1} ms (median of 5; min {:.1}, max {:.1})", times[2] * 1e3, times[0] * 1e3, times[4] * 1e3);
}

/// Protobuf wire-format builders for hand-made bundle manifests.
fn pb_len(field: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = pb_key(field, 2);
    pb_push_varint(&mut out, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}
fn pb_key(field: u32, wire: u32) -> Vec<u8> {
    let mut out = Vec::new();
    pb_push_varint(&mut out, u64::from(field << 3 | wire));
    out
}
fn pb_push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
/// `XmlNode { element { name, attribute*, child* } }`; attributes are `android:` ones.
fn pb_element(name: &str, attrs: &[(&str, &str)], children: &[Vec<u8>]) -> Vec<u8> {
    let mut el = pb_len(3, name.as_bytes());
    for (k, v) in attrs {
        let mut a = pb_len(1, ANDROID.as_bytes());
        a.extend(pb_len(2, k.as_bytes()));
        a.extend(pb_len(3, v.as_bytes()));
        el.extend(pb_len(4, &a));
    }
    for c in children {
        el.extend(pb_len(5, c));
    }
    pb_len(1, &el)
}

/// An App Bundle: `BundleConfig.pb`, the base module (the real APK's
/// manifest in aapt2's protobuf form, `aapt2 convert --output-format proto`,
/// and the APK's DEX files), plus any extra modules given as (name, manifest).
fn appium_bundle(extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let manifest = std::fs::read(format!("{APPIUM}/AndroidManifest.pb")).expect("AndroidManifest.pb");
    let mut apk = ZipArchive::open_file(&Path::new(APPIUM).join("settings_apk-debug.apk")).expect("apk opens");
    let dex_names: Vec<String> = strings(&androguard_expected()["dex_files"]);
    let dex: Vec<(String, Vec<u8>)> = dex_names
        .iter()
        .map(|n| (format!("base/dex/{n}"), apk.read_named(n).expect("reads").expect("present")))
        .collect();
    let extra_names: Vec<String> = extra.iter().map(|(m, _)| format!("{m}/manifest/AndroidManifest.xml")).collect();
    let mut entries = vec![entry("BundleConfig.pb", b""), entry("base/manifest/AndroidManifest.xml", &manifest)];
    entries.extend(dex.iter().map(|(n, d)| Entry { name: n, data: d, deflate: false, declared_size: None }));
    entries.extend(extra.iter().zip(&extra_names).map(|((_, m), n)| entry(n, m)));
    build_zip(&entries)
}

#[test]
fn app_bundle_protobuf_manifest_reads_like_the_apk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let aab = write(dir.path(), "settings.aab", &appium_bundle(&[]));
    let c = read_apk(&aab, ont()).expect("the bundle reads");
    assert_matches_androguard(&c, &androguard_expected());
    assert!(c.info.dex_files[0].ends_with("settings.aab!base/dex/classes.dex"), "{:?}", c.info.dex_files);
    assert!(c.permissions[0].file.ends_with("settings.aab!base/manifest/AndroidManifest.xml"));

    // A feature module adds its permissions; the base module still describes the app.
    let camera = pb_element(
        "manifest",
        &[],
        &[
            pb_element("uses-permission", &[("name", "android.permission.CAMERA")], &[]),
            pb_element("application", &[], &[pb_element("activity", &[("name", "io.appium.settings.CameraActivity")], &[])]),
        ],
    );
    let aab = write(dir.path(), "split.aab", &appium_bundle(&[("camera", camera)]));
    let c = read_apk(&aab, ont()).expect("the bundle reads");
    assert_eq!(c.info.package.as_deref(), Some("io.appium.settings"));
    assert!(!c.info.components.iter().any(|x| x.name.ends_with("CameraActivity")), "components come from base");
    let cam = c.permissions.iter().find(|p| p.name == "android.permission.CAMERA").expect("feature module permission");
    assert!(cam.file.ends_with("split.aab!camera/manifest/AndroidManifest.xml"), "{}", cam.file);
    assert!(cam.dangerous);
}

#[test]
fn hostile_protobuf_manifests_are_clear_errors() {
    use candor::observe::protoxml::parse_proto_xml;
    let good = std::fs::read(format!("{APPIUM}/AndroidManifest.pb")).expect("AndroidManifest.pb");
    assert!(parse_proto_xml(&good, Path::new("m.pb")).is_ok());
    let e = err_text(parse_proto_xml(&good[..good.len() / 2], Path::new("cut.pb")));
    assert!(e.contains("cut.pb") && e.contains("truncated"), "{e}");
    let e = err_text(parse_proto_xml(&[0x0b, 0x01], Path::new("group.pb")));
    assert!(e.contains("group.pb") && e.contains("wire type 3"), "{e}");
    let e = err_text(parse_proto_xml(b"", Path::new("empty.pb")));
    assert!(e.contains("no root element"), "{e}");
    // 10,000 nested elements: refused at the depth cap, no stack overflow.
    let mut deep = pb_element("leaf", &[], &[]);
    for _ in 0..10_000 {
        deep = pb_element("x", &[], &[deep]);
    }
    let e = err_text(parse_proto_xml(&deep, Path::new("deep.pb")));
    assert!(e.contains("nested deeper"), "{e}");
    // Random corruption never panics.
    let mut rng = Lcg(13);
    for _ in 0..2000 {
        let _ = parse_proto_xml(&rng.corrupt(&good, 4), Path::new("f.pb"));
    }
    // In a bundle, the error names the archive and the entry.
    let dir = tempfile::tempdir().expect("tempdir");
    let aab = write(dir.path(), "bad.aab", &build_zip(&[entry("BundleConfig.pb", b""), entry("base/manifest/AndroidManifest.xml", &good[..100])]));
    let e = err_text(read_apk(&aab, ont()));
    assert!(e.contains("bad.aab!base/manifest/AndroidManifest.xml") && e.contains("protobuf XML"), "{e}");
}

// ---------------------------------------------------------------------------
// ZIP limits

#[test]
fn zip_bomb_by_ratio_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bomb = build_zip(&[entry("AndroidManifest.xml", &zeros)]);
    assert!(bomb.len() < 1024 * 1024, "the bomb should compress well ({} bytes)", bomb.len());
    let p = write(dir.path(), "bomb.apk", &bomb);
    let started = Instant::now();
    let e = err_text(read_apk(&p, ont()));
    assert!(e.contains("bomb.apk") && e.contains("ratio") && e.contains("zip bomb"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn zip_entry_inflating_past_its_declared_size_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = vec![b'a'; 8 * 1024 * 1024];
    // Declares 1,000 bytes (ratio looks harmless), inflates to 8 MiB.
    let lying = build_zip(&[Entry { name: "AndroidManifest.xml", data: &big, deflate: true, declared_size: Some(1000) }]);
    let p = write(dir.path(), "liar.apk", &lying);
    let e = err_text(read_apk(&p, ont()));
    assert!(e.contains("liar.apk") && e.contains("more than its declared 1000 bytes"), "{e}");
}

#[test]
fn zip_limits_on_entries_and_sizes() {
    let a = vec![b'x'; 5000];
    let zip = build_zip(&[entry("a", &a), entry("b", &a), entry("c", &a)]);
    let open = |limits: ZipLimits| ZipArchive::new(std::io::Cursor::new(zip.clone()), Path::new("x.zip"), limits);
    let e = err_text(open(ZipLimits { max_entries: 2, ..ZipLimits::default() }).map(|_| ()));
    assert!(e.contains("3 entries") && e.contains("limit of 2"), "{e}");
    let e = err_text(open(ZipLimits { max_declared_bytes: 10_000, ..ZipLimits::default() }).map(|_| ()));
    assert!(e.contains("15000 bytes uncompressed in total"), "{e}");
    let mut z = open(ZipLimits { max_entry_bytes: 4000, ..ZipLimits::default() }).expect("opens");
    assert!(err_text(z.read(0)).contains("over the 4000 byte limit"));
    let mut z = open(ZipLimits { max_total_bytes: 12_000, ..ZipLimits::default() }).expect("opens");
    assert_eq!(z.read(0).expect("first").len(), 5000);
    assert_eq!(z.read(1).expect("second").len(), 5000);
    assert!(err_text(z.read(2)).contains("in total"));
    // The real default: 65,536 entries at most.
    assert_eq!(ZipLimits::default().max_entries, 65_536);
}

#[test]
fn zip_with_more_entries_than_allowed_in_its_end_record_is_refused() {
    let mut zip = build_zip(&[entry("a", b"1")]);
    let n = zip.len();
    // Total entries field of the end record: claim 65,535 (readable) then check the count mismatch.
    zip[n - 12..n - 10].copy_from_slice(&65_535u16.to_le_bytes());
    let e = err_text(ZipArchive::new(std::io::Cursor::new(zip), Path::new("lie.zip"), ZipLimits::default()).map(|_| ()));
    assert!(e.contains("lie.zip") && e.contains("65535 entries"), "{e}");
}

#[test]
fn corrupted_archives_never_panic() {
    let good = shop_apk();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Lcg(7);
    for round in 0..300 {
        let mut b = rng.corrupt(&good, 8);
        if round % 10 == 0 {
            b.truncate((rng.next() as usize) % b.len());
        }
        let p = write(dir.path(), "fuzz.apk", &b);
        let _ = read_apk(&p, ont());
    }
}

// ---------------------------------------------------------------------------
// AXML and DEX, hostile

#[test]
fn axml_with_bogus_string_offsets_is_a_clear_error() {
    let mut b = shop_manifest();
    // String offsets sit right after the pool header: file header (8) + pool header (28);
    // string 3 is "manifest", the root element's name.
    let at = 8 + 28 + 4 * 3;
    b[at..at + 4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let e = err_text(parse_binary_manifest(&b, Path::new("bad.axml"), &ont().data_types));
    assert!(e.contains("bad.axml") && e.contains("outside the string pool"), "{e}");

    // A string count far beyond the pool.
    let mut b = shop_manifest();
    b[8 + 8..8 + 12].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    let e = err_text(parse_binary_manifest(&b, Path::new("bad.axml"), &ont().data_types));
    assert!(e.contains("claims 1073741824 strings"), "{e}");

    // A chunk size running past the file.
    let mut b = shop_manifest();
    b[8 + 4..8 + 8].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    let e = err_text(parse_binary_manifest(&b, Path::new("bad.axml"), &ont().data_types));
    assert!(e.contains("bogus sizes"), "{e}");

    // Truncated and not AXML at all.
    let b = shop_manifest();
    let e = err_text(parse_axml(&b[..b.len() / 2], Path::new("cut.axml")));
    assert!(e.contains("cut.axml") && e.contains("truncated"), "{e}");
    let e = err_text(parse_axml(b"<manifest/>", Path::new("text.xml")));
    assert!(e.contains("not an Android binary XML"), "{e}");
}

#[test]
fn corrupted_axml_and_dex_never_panic() {
    let good = shop_manifest();
    let dex = build_dex(&["Lcom/facebook/ads/AdView;", "Lcom/a/B;"]);
    let mut rng = Lcg(11);
    for _ in 0..3000 {
        let (b, d) = (rng.corrupt(&good, 4), rng.corrupt(&dex, 4));
        let _ = parse_binary_manifest(&b, Path::new("f.axml"), &ont().data_types);
        let _ = class_descriptors(&d, Path::new("f.dex"));
    }
}

#[test]
fn truncated_or_bogus_dex_is_a_clear_error() {
    let dex = build_dex(&["Lcom/facebook/ads/AdView;", "Lcom/a/B;"]);
    assert_eq!(
        class_descriptors(&dex, Path::new("ok.dex")).expect("parses"),
        ["Lcom/a/B;", "Lcom/facebook/ads/AdView;"]
    );
    let e = err_text(class_descriptors(&dex[..dex.len() - 10], Path::new("cut.dex")));
    assert!(e.contains("cut.dex") && e.contains("truncated"), "{e}");
    let e = err_text(class_descriptors(&dex[..50], Path::new("tiny.dex")));
    assert!(e.contains("shorter than the 112-byte header"), "{e}");
    let mut bad = dex.clone();
    bad[100..104].copy_from_slice(&0xffff_fff0u32.to_le_bytes()); // class_defs_off
    let e = err_text(class_descriptors(&bad, Path::new("bad.dex")));
    assert!(e.contains("class_defs table") && e.contains("outside"), "{e}");
    let mut bad = dex;
    let class_defs_off = u32::from_le_bytes([bad[100], bad[101], bad[102], bad[103]]) as usize;
    bad[class_defs_off..class_defs_off + 4].copy_from_slice(&999u32.to_le_bytes());
    let e = err_text(class_descriptors(&bad, Path::new("bad.dex")));
    assert!(e.contains("past the 2 type ids"), "{e}");

    // In an APK, a truncated DEX names the archive and the entry.
    let dir = tempfile::tempdir().expect("tempdir");
    let dexbytes = build_dex(&["Lcom/a/B;"]);
    let apk = build_zip(&[entry("AndroidManifest.xml", &shop_manifest()), entry("classes.dex", &dexbytes[..90])]);
    let p = write(dir.path(), "t.apk", &apk);
    let e = err_text(read_apk(&p, ont()));
    assert!(e.contains("t.apk!classes.dex") && e.contains("DEX"), "{e}");
}

// ---------------------------------------------------------------------------
// pcap / pcapng

fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m
}

fn client_hello(host: &str, padding: usize) -> Vec<u8> {
    let mut sni = Vec::new();
    let name = host.as_bytes();
    sni.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni.extend_from_slice(name);
    let mut exts = Vec::new();
    // A padding extension first, so the SNI lands in a later segment when split.
    exts.extend_from_slice(&21u16.to_be_bytes());
    exts.extend_from_slice(&(padding as u16).to_be_bytes());
    exts.extend(std::iter::repeat_n(0u8, padding));
    exts.extend_from_slice(&0u16.to_be_bytes());
    exts.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    exts.extend_from_slice(&sni);
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[7u8; 32]);
    body.push(0); // session id
    body.extend_from_slice(&[0, 2, 0x13, 0x01]);
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![1u8];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

fn ipv4(proto: u8, transport: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&((20 + transport.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 2, 93, 184, 216, 34]);
    p.extend_from_slice(transport);
    p
}

fn ipv6(proto: u8, transport: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(transport.len() as u16).to_be_bytes());
    p.extend_from_slice(&[proto, 64]);
    p.extend_from_slice(&[0xfd; 16]);
    p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend_from_slice(transport);
    p
}

fn udp(dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&40000u16.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

fn tcp(dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&50000u16.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

fn ether(ethertype: u16, ip: &[u8]) -> Vec<u8> {
    let mut e = vec![0xaa; 6];
    e.extend_from_slice(&[0xbb; 6]);
    e.extend_from_slice(&ethertype.to_be_bytes());
    e.extend_from_slice(ip);
    e
}

fn sample_packets() -> Vec<Vec<u8>> {
    let hello = client_hello("graph.facebook.com", 1400);
    let (a, b) = hello.split_at(1000);
    vec![
        ether(0x0800, &ipv4(17, &udp(53, &dns_query(1, "app-measurement.com")))),
        ether(0x0800, &ipv4(17, &udp(53, &dns_query(2, "app-measurement.com")))), // repeated: one contact
        ether(0x86dd, &ipv6(17, &udp(53, &dns_query(3, "api.acme-shop.example")))),
        ether(0x0800, &ipv4(17, &udp(53, &dns_query(4, "4.3.2.1.in-addr.arpa")))), // reverse lookup: ignored
        ether(0x0800, &ipv4(6, &tcp(443, 1000, a))),
        ether(0x0800, &ipv4(6, &tcp(443, 1000 + a.len() as u32, b))),
        ether(0x86dd, &ipv6(6, &tcp(8443, 5, &client_hello("sdk.ads.example.net", 10)))),
        ether(0x0800, &ipv4(6, &tcp(80, 1, b"GET / HTTP/1.1\r\n\r\n"))),
    ]
}

fn build_pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    f.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    for p in packets {
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(p);
    }
    f
}

fn build_pcapng(packets: &[Vec<u8>]) -> Vec<u8> {
    let block = |ty: u32, body: &[u8]| {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let len = (12 + body.len()) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&body);
        b.extend_from_slice(&len.to_le_bytes());
        b
    };
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b3c4du32.to_le_bytes());
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut f = block(0x0a0d0d0a, &shb);
    let mut idb = Vec::new();
    idb.extend_from_slice(&1u16.to_le_bytes());
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&0u32.to_le_bytes());
    f.extend(block(1, &idb));
    for p in packets {
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&[0; 8]);
        epb.extend_from_slice(&(p.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(p.len() as u32).to_le_bytes());
        epb.extend_from_slice(p);
        f.extend(block(6, &epb));
    }
    f
}

fn expected_hosts() -> Vec<(String, HostSource)> {
    vec![
        ("app-measurement.com".into(), HostSource::Dns),
        ("api.acme-shop.example".into(), HostSource::Dns),
        ("graph.facebook.com".into(), HostSource::Tls(443)),
        ("sdk.ads.example.net".into(), HostSource::Tls(8443)),
    ]
}

#[test]
fn pcap_gives_dns_and_tls_contacts() {
    let file = build_pcap(&sample_packets());
    let hosts = capture_hosts(file.as_slice(), Path::new("c.pcap")).expect("parses");
    let got: Vec<(String, HostSource)> = hosts.iter().map(|h| (h.host.clone(), h.source)).collect();
    assert_eq!(got, expected_hosts());
    assert_eq!(hosts[2].packet, 5, "the split ClientHello completes in packet 5");

    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "c.pcap", &file);
    let contacts = read_pcap(&p, ont(), &FirstParty::default()).expect("reads");
    let fb = contacts.iter().find(|c| c.destination.host == "graph.facebook.com").expect("tls contact");
    assert_eq!(fb.method, "TLS");
    assert_eq!(fb.url, "tls://graph.facebook.com:443");
    assert_eq!(fb.destination.domain, "facebook.com");
    let dns = contacts.iter().find(|c| c.destination.host == "app-measurement.com").expect("dns contact");
    assert_eq!(dns.method, "DNS");

    // Through observe(): contacts only, no flows.
    let obs = observe(&ObserveInputs { pcaps: vec![p], ..Default::default() }, ont()).expect("observes");
    assert_eq!(obs.contacts.len(), 4);
    assert!(obs.flows.is_empty());
}

#[test]
fn pcapng_gives_the_same_hosts() {
    let file = build_pcapng(&sample_packets());
    let hosts = capture_hosts(file.as_slice(), Path::new("c.pcapng")).expect("parses");
    let got: Vec<(String, HostSource)> = hosts.iter().map(|h| (h.host.clone(), h.source)).collect();
    assert_eq!(got, expected_hosts());
}

#[test]
fn hostile_captures_are_clear_errors_and_never_panic() {
    let file = build_pcap(&sample_packets());
    let e = err_text(capture_hosts(&file[..file.len() - 7], Path::new("cut.pcap")));
    assert!(e.contains("cut.pcap") && e.contains("truncated"), "{e}");
    let mut huge = file.clone();
    huge[24 + 8..24 + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let e = err_text(capture_hosts(huge.as_slice(), Path::new("huge.pcap")));
    assert!(e.contains("over the") && e.contains("limit"), "{e}");
    let e = err_text(capture_hosts(&b"GET / HTTP/1.1\r\n"[..], Path::new("x.pcap")));
    assert!(e.contains("not a packet capture"), "{e}");
    let ng = build_pcapng(&sample_packets());
    let mut bad = ng.clone();
    bad[4..8].copy_from_slice(&13u32.to_le_bytes());
    let e = err_text(capture_hosts(bad.as_slice(), Path::new("bad.pcapng")));
    assert!(e.contains("bogus length 13"), "{e}");
    assert!(client_hello_sni(&[0x16, 3, 1, 0xff, 0xff, 1, 0, 0]).is_none());
    let mut rng = Lcg(3);
    for _ in 0..2000 {
        let (a, b) = (rng.corrupt(&file, 6), rng.corrupt(&ng, 6));
        let _ = capture_hosts(a.as_slice(), Path::new("f.pcap"));
        let _ = capture_hosts(b.as_slice(), Path::new("f.pcapng"));
    }
}

// ---------------------------------------------------------------------------
// iOS

fn info_plist_value() -> plist::Value {
    let mut d = plist::Dictionary::new();
    d.insert("CFBundleIdentifier".into(), "com.acme.shop".into());
    d.insert("CFBundleVersion".into(), "317".into());
    d.insert("CFBundleShortVersionString".into(), "4.5".into());
    d.insert("MinimumOSVersion".into(), "15.0".into());
    d.insert("NSLocationWhenInUseUsageDescription".into(), "We show stores near you.".into());
    d.insert("NSUserTrackingUsageDescription".into(), "Ads that fit you.".into());
    d.insert("NSCameraUsageDescription".into(), "Scan barcodes.".into());
    d.insert("NSFaceIDUsageDescription".into(), "Unlock with Face ID.".into());
    d.insert("NSSomethingNewUsageDescription".into(), "Unknown key.".into());
    plist::Value::Dictionary(d)
}

fn binary_plist(v: &plist::Value) -> Vec<u8> {
    let mut out = Vec::new();
    v.to_writer_binary(&mut out).expect("binary plist");
    out
}

const XCPRIVACY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
 <key>NSPrivacyTracking</key><true/>
 <key>NSPrivacyTrackingDomains</key><array><string>tracker.example.net</string></array>
 <key>NSPrivacyCollectedDataTypes</key><array>
  <dict>
   <key>NSPrivacyCollectedDataType</key><string>NSPrivacyCollectedDataTypeEmailAddress</string>
   <key>NSPrivacyCollectedDataTypeLinked</key><true/>
   <key>NSPrivacyCollectedDataTypeTracking</key><false/>
   <key>NSPrivacyCollectedDataTypePurposes</key><array><string>NSPrivacyCollectedDataTypePurposeAppFunctionality</string></array>
  </dict>
 </array>
</dict></plist>"#;

#[test]
fn binary_info_plist_usage_descriptions_become_flows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "Info.plist", &binary_plist(&info_plist_value()));
    let c = read_ios_file(&p, &ont().data_types).expect("reads");
    assert_eq!(c.apps[0].package.as_deref(), Some("com.acme.shop"));
    assert_eq!(c.apps[0].version_code.as_deref(), Some("317"));
    assert_eq!(c.apps[0].version_name.as_deref(), Some("4.5"));
    let obs = observe(&ObserveInputs { plists: vec![p], ..Default::default() }, ont()).expect("observes");
    assert_eq!(obs.package.as_deref(), Some("com.acme.shop"));
    let mut got: Vec<(String, String, String)> = obs
        .flows
        .iter()
        .map(|f| match &f.source {
            FlowSource::UsageDescription { key, reason, .. } => (f.data_type.clone(), key.clone(), reason.clone()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("advertising_id".into(), "NSUserTrackingUsageDescription".into(), "Ads that fit you.".into()),
            ("camera".into(), "NSCameraUsageDescription".into(), "Scan barcodes.".into()),
            ("precise_location".into(), "NSLocationWhenInUseUsageDescription".into(), "We show stores near you.".into()),
        ]
    );
    assert!(obs.flows.iter().all(|f| f.destination.first_party && f.confidence == 1.0));
}

#[test]
fn usage_key_table_names_only_known_data_types() {
    let table: serde_json::Value =
        serde_json::from_str(candor::observe::ios::IOS_USAGE_KEYS_JSON).expect("ios_usage_keys.json parses");
    for section in ["usage_keys", "privacy_manifest_types"] {
        for e in table[section].as_array().expect("array") {
            for dt in e["data_types"].as_array().expect("data_types") {
                let dt = dt.as_str().expect("string");
                assert!(ont().data_types.contains(dt), "{section}: {} -> unknown data type {dt}", e["key"]);
            }
        }
    }
}

#[test]
fn ipa_reads_info_plist_and_privacy_manifests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let info = binary_plist(&info_plist_value());
    let framework_manifest = XCPRIVACY.replace("EmailAddress", "PreciseLocation");
    let ipa = build_zip(&[
        entry("Payload/", b""),
        entry("Payload/Shop.app/Info.plist", &info),
        entry("Payload/Shop.app/PrivacyInfo.xcprivacy", XCPRIVACY.as_bytes()),
        entry("Payload/Shop.app/Frameworks/Ads.framework/PrivacyInfo.xcprivacy", framework_manifest.as_bytes()),
    ]);
    let p = write(dir.path(), "Shop.ipa", &ipa);
    let c = read_ipa(&p, &ont().data_types).expect("reads");
    assert_eq!(c.apps.len(), 3);
    let own = c.apps.iter().find(|a| a.file.ends_with("Shop.app/PrivacyInfo.xcprivacy")).expect("own manifest");
    assert_eq!(own.tracking, Some(true));
    assert_eq!(own.tracking_domains, ["tracker.example.net"]);
    let email = c.declared.iter().find(|d| d.data_type == "email_address").expect("email declared");
    assert_eq!(email.key, "NSPrivacyCollectedDataTypeEmailAddress");
    assert!(email.reason.contains("linked to user: yes") && email.reason.contains("AppFunctionality"), "{}", email.reason);
    // The framework's manifest is listed but makes no flow of its own.
    assert!(c.declared.iter().all(|d| !d.file.contains("Ads.framework")));
    let obs = observe(&ObserveInputs { ipas: vec![p], ..Default::default() }, ont()).expect("observes");
    assert!(obs.flows.iter().any(|f| f.data_type == "email_address"));
    assert!(obs.flows.iter().any(|f| f.data_type == "precise_location"
        && matches!(&f.source, FlowSource::UsageDescription { key, .. } if key == "NSLocationWhenInUseUsageDescription")));
}

#[test]
fn a_real_sdk_privacy_manifest_is_read() {
    // Countly's iOS SDK manifest (MIT): performance and crash data, a device
    // ID linked to the user, no tracking.
    let c = read_ios_file(Path::new("tests/fixtures/observe/real/countly/PrivacyInfo.xcprivacy"), &ont().data_types)
        .expect("reads");
    assert_eq!(c.apps.len(), 1);
    assert_eq!(c.apps[0].tracking, Some(false));
    assert!(c.apps[0].tracking_domains.is_empty());
    let mut got: Vec<(&str, &str)> = c.declared.iter().map(|d| (d.key.as_str(), d.data_type.as_str())).collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("NSPrivacyCollectedDataTypeCrashData", "crash_logs"),
            ("NSPrivacyCollectedDataTypeDeviceID", "device_ids"),
            ("NSPrivacyCollectedDataTypePerformanceData", "diagnostics"),
        ]
    );
    let device = c.declared.iter().find(|d| d.data_type == "device_ids").expect("device id");
    assert!(device.reason.contains("linked to user: yes") && device.reason.contains("Analytics"), "{}", device.reason);
}

#[test]
fn hostile_plists_and_ipas_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "Info.plist", b"bplist00\xff\xff\xff garbage");
    let e = err_text(read_ios_file(&p, &ont().data_types));
    assert!(e.contains("Info.plist") && e.contains("not a valid property list"), "{e}");
    let p = write(dir.path(), "arr.plist", &binary_plist(&plist::Value::Array(vec![1.into()])));
    assert!(err_text(read_ios_file(&p, &ont().data_types)).contains("not a dictionary"));
    let p = write(dir.path(), "empty.ipa", &build_zip(&[entry("Payload/readme", b"x")]));
    assert!(err_text(read_ipa(&p, &ont().data_types)).contains("not an iOS app archive"));
    let good = binary_plist(&info_plist_value());
    let mut rng = Lcg(5);
    for _ in 0..1000 {
        let b = rng.corrupt(&good, 4);
        let _ = candor::observe::ios::parse_ios_plist(&b, Path::new("f.plist"), "f.plist", true, &ont().data_types);
    }
}

// ---------------------------------------------------------------------------
// HAR: identifier encodings

fn b64(engine: &base64::engine::GeneralPurpose, b: &[u8]) -> String {
    use base64::Engine;
    engine.encode(b)
}

fn hexd<D: sha2::Digest>(s: &str) -> String {
    D::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn har_of(entries: &[serde_json::Value]) -> String {
    serde_json::json!({"log": {"entries": entries.iter().map(|r| serde_json::json!({"request": r})).collect::<Vec<_>>()}})
        .to_string()
}

fn profile() -> DeviceProfile {
    DeviceProfile::from_json(&format!(r#"{{"advertising_id":"{AAID}"}}"#), Path::new("device.json"), &ont().data_types)
        .expect("profile")
}

/// (entry index, location, matched) of the advertising-id flows.
fn aaid_hits(har: &str) -> Vec<(usize, String, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "enc.har", har.as_bytes());
    let t = read_har(&p, ont(), &FirstParty::default(), Some(&profile())).expect("har reads");
    t.flows
        .iter()
        .filter(|f| f.data_type == "advertising_id")
        .filter_map(|f| match &f.source {
            FlowSource::Request { entry, location, matched, .. } if matched.starts_with("value:") => {
                Some((*entry, location.clone(), matched.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn tracker_documented_parameters_are_read_only_at_that_tracker() {
    use candor::observe::tracker_params::TrackerParameterTable;
    let table = TrackerParameterTable::shipped().expect("table");
    for t in &table.trackers {
        for h in &t.hosts {
            let d = candor::observe::destination::registrable_domain(h);
            assert_eq!(&d, h, "{}: hosts are registrable domains", t.tracker);
        }
        for p in &t.parameters {
            assert!(ont().data_types.contains(&p.data_type), "{}: {} -> unknown {}", t.tracker, p.name, p.data_type);
            assert!(p.research.starts_with(&format!("{}/", t.tracker)), "{}: {} has no research note", t.tracker, p.name);
        }
    }
    let har = har_of(&[
        serde_json::json!({"method": "GET", "url": "https://pagead2.googlesyndication.com/getconfig/pubsetup?rdid=abc-123&vnm=2.17.0",
            "headers": [{"name": "Cookie", "value": "IDE=AHWqTUkq1"}]}),
        serde_json::json!({"method": "GET", "url": "https://sdk-api-v1.singular.net/api/v1/start?v=14.8&av=7.0.1511&asid=5f2c&custom_user_id=u-991"}),
        serde_json::json!({"method": "POST", "url": "https://de.ioam.de/tx.io", "postData": {"mimeType": "application/json",
            "text": r#"{"client":{"uuids":{"advertisingIdentifier":"ead12c883812cadaf46f99793f2d824"}}}"#}}),
        // The same short names elsewhere say nothing.
        serde_json::json!({"method": "GET", "url": "https://api.example-shop.com/items?v=14.8&av=7&rdid=1&vnm=2"}),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "trackers.har", har.as_bytes());
    let t = read_har(&p, ont(), &FirstParty::default(), None).expect("har reads");
    let documented: Vec<(usize, String, String)> = t
        .flows
        .iter()
        .filter_map(|f| match &f.source {
            FlowSource::Request { entry, location, matched, .. } if matched == "key:tracker-documented" => {
                assert_eq!(f.confidence, candor::observe::har::TRACKER_KEY_CONFIDENCE);
                Some((*entry, location.clone(), f.data_type.clone()))
            }
            _ => None,
        })
        .collect();
    let want = |e: usize, loc: &str, dt: &str| (e, loc.to_string(), dt.to_string());
    for w in [
        want(0, "query:rdid", "advertising_id"),
        want(0, "query:vnm", "app_info"),
        want(0, "cookie:IDE", "cookies"),
        want(1, "query:v", "os_version"),
        want(1, "query:av", "app_info"),
        want(1, "query:asid", "device_ids"),
        want(1, "query:custom_user_id", "user_id"),
        want(2, "body:json:client.uuids.advertisingIdentifier", "advertising_id"),
    ] {
        assert!(documented.contains(&w), "{w:?} missing from {documented:?}");
    }
    assert!(!documented.iter().any(|(e, _, _)| *e == 3), "{documented:?}");
    assert!(!t.flows.iter().any(|f| matches!(&f.source, FlowSource::Request { entry: 3, location, .. } if location == "query:v" || location == "query:av")));
}

fn brotli_stored(data: &[u8]) -> Vec<u8> {
    // WBITS=16 (bit 0), ISLAST=0, MNIBBLES=4 (00), MLEN-1 (16 bits), ISUNCOMPRESSED=1, pad; data; last empty block.
    assert!(!data.is_empty() && data.len() <= 65536);
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut push = |v: u32, w: u32| {
        bits |= v << n;
        n += w;
    };
    push(0, 1);
    push(0, 1);
    push(0, 2);
    push((data.len() - 1) as u32, 16);
    push(1, 1);
    let mut out = bits.to_le_bytes()[..3].to_vec();
    out.extend_from_slice(data);
    out.push(0b11);
    out
}

#[test]
fn every_encoding_of_an_advertising_id_is_found() {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let upper = AAID.to_uppercase();
    let json_blob = format!(r#"{{"event":"open","device":{{"gaid":"{AAID}"}},"n":1}}"#);
    let entries = vec![
        serde_json::json!({"method":"GET","url":format!("https://t.example.com/a?x={}", b64(&STANDARD, AAID.as_bytes()).replace('=', "%3D"))}),
        serde_json::json!({"method":"GET","url":format!("https://t.example.com/b?x={}", b64(&URL_SAFE_NO_PAD, upper.as_bytes()))}),
        serde_json::json!({"method":"POST","url":"https://t.example.com/c","postData":{"mimeType":"application/json","text":format!(r#"{{"h":"{}"}}"#, AAID.bytes().map(|b| format!("{b:02X}")).collect::<String>())}}),
        serde_json::json!({"method":"POST","url":"https://t.example.com/d","postData":{"mimeType":"application/json","text":format!(r#"{{"u":{{"m":"{}"}}}}"#, hexd::<md5::Md5>(AAID))}}),
        serde_json::json!({"method":"GET","url":"https://t.example.com/e","headers":[{"name":"X-Dev","value":hexd::<sha1::Sha1>(&upper).to_uppercase()}]}),
        serde_json::json!({"method":"GET","url":"https://t.example.com/f","headers":[{"name":"X-Dev","value":hexd::<sha2::Sha256>(AAID)}]}),
        // The id inside a base64 blob of JSON, at whatever alignment it lands.
        serde_json::json!({"method":"POST","url":"https://t.example.com/g","postData":{"mimeType":"text/plain","text":b64(&STANDARD, json_blob.as_bytes())}}),
        serde_json::json!({"method":"GET","url":format!("https://t.example.com/h?id={AAID}")}),
        serde_json::json!({"method":"GET","url":format!("https://t.example.com/i?id={}", AAID.replace('-', "%2D"))}),
    ];
    let hits = aaid_hits(&har_of(&entries));
    let expect = [
        (0, "query:x", "value:base64"),
        (1, "query:x", "value:base64"),
        (2, "body:json:h", "value:hex"),
        (3, "body:json:u.m", "value:md5"),
        (4, "header:x-dev", "value:sha1"),
        (5, "header:x-dev", "value:sha256"),
        (6, "body:text", "value:base64"),
        (7, "query:id", "value:plain"),
        (8, "query:id", "value:urlencoded"),
    ];
    for (i, loc, m) in expect {
        assert!(
            hits.iter().any(|(e, l, mm)| *e == i && l == loc && mm == m),
            "entry {i}: expected {loc} {m}, got {:?}",
            hits.iter().filter(|h| h.0 == i).collect::<Vec<_>>()
        );
    }
}

#[test]
fn base64_matches_are_case_sensitive_and_short_values_do_not_match_by_chance() {
    use base64::engine::general_purpose::STANDARD;
    let swapped: String = b64(&STANDARD, AAID.as_bytes())
        .chars()
        .map(|c| if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() })
        .collect();
    let entries = vec![serde_json::json!({"method":"GET","url":format!("https://t.example.com/a?x={swapped}")})];
    assert!(aaid_hits(&har_of(&entries)).is_empty());
}

#[test]
fn compressed_and_multipart_bodies_are_searched() {
    let body = format!(r#"{{"advertising":"{AAID}"}}"#);
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(body.as_bytes()).expect("gzip");
        e.finish().expect("gzip")
    };
    let zlib = {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(body.as_bytes()).expect("zlib");
        e.finish().expect("zlib")
    };
    use base64::engine::general_purpose::STANDARD;
    let multipart = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"gaid\"\r\n\r\n{AAID}\r\n--XyZ--\r\n"
    );
    let entries = vec![
        // gzip, base64 in the HAR (marked as such).
        serde_json::json!({"method":"POST","url":"https://t.example.com/gz","headers":[{"name":"Content-Encoding","value":"gzip"}],
            "postData":{"mimeType":"application/json","encoding":"base64","text":b64(&STANDARD, &gz)}}),
        // deflate (zlib), base64 without the HAR saying so.
        serde_json::json!({"method":"POST","url":"https://t.example.com/df","headers":[{"name":"content-encoding","value":"deflate"}],
            "postData":{"mimeType":"application/json","text":b64(&STANDARD, &zlib)}}),
        // brotli.
        serde_json::json!({"method":"POST","url":"https://t.example.com/br","headers":[{"name":"Content-Encoding","value":"br"}],
            "postData":{"mimeType":"application/json","encoding":"base64","text":b64(&STANDARD, &brotli_stored(body.as_bytes()))}}),
        serde_json::json!({"method":"POST","url":"https://t.example.com/mp",
            "postData":{"mimeType":"multipart/form-data; boundary=XyZ","text":multipart}}),
    ];
    let hits = aaid_hits(&har_of(&entries));
    for (i, loc) in [(0, "body:json:advertising"), (1, "body:json:advertising"), (2, "body:json:advertising"), (3, "body:multipart:gaid")] {
        assert!(
            hits.iter().any(|(e, l, m)| *e == i && l == loc && m == "value:plain"),
            "entry {i}: expected {loc}, got {hits:?}"
        );
    }
}

#[test]
fn a_one_gigabyte_har_is_refused_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("huge.har");
    let f = std::fs::File::create(&p).expect("create");
    f.set_len(1 << 30).expect("sparse file");
    let started = Instant::now();
    let e = err_text(read_har(&p, ont(), &FirstParty::default(), Some(&profile())).map(|_| ()));
    assert!(e.contains("huge.har") && e.contains("limit"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(2), "refused by size, not by reading");
}

/// Throughput of HAR scanning with every encoding on. Run with
/// `cargo test --test observe_artifacts -- --ignored --nocapture har_scan_throughput`.
#[test]
#[ignore]
fn har_scan_throughput() {
    let mut rng = Lcg(1);
    let mut entries = Vec::new();
    let mut bytes = 0usize;
    while bytes < 64 * 1024 * 1024 {
        let payload: String = (0..4000).map(|_| char::from(b'a' + (rng.next() % 26) as u8)).collect();
        let body = format!(r#"{{"events":[{{"name":"screen_view","data":"{payload}","n":{}}}],"k":"{payload}"}}"#, rng.next());
        bytes += body.len() + 200;
        entries.push(serde_json::json!({"method":"POST","url":format!("https://t.example.com/e?q={}", &payload[..200]),
            "headers":[{"name":"User-Agent","value":"Mozilla/5.0"}],"postData":{"mimeType":"application/json","text":body}}));
    }
    let har = har_of(&entries);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "big.har", har.as_bytes());
    let mb = har.len() as f64 / 1e6;
    // The throughput depends on the profile's values (their encodings are
    // the patterns): one ID of mostly digits, the sample app's ID, and a
    // profile of five identifiers.
    let profiles = [
        ("digit-heavy advertising ID", format!(r#"{{"advertising_id":"{AAID}"}}"#)),
        ("examples/sample-app/device.json", std::fs::read_to_string("examples/sample-app/device.json").expect("sample device")),
        (
            "five identifiers",
            r#"{"advertising_id":"1209d0b9-b959-42e6-b921-aa5d9d08c1af","email_address":"tester@example.com","android_id":"9774d56d682e549c","imei":"490154203237518","phone_number":"+33612345678"}"#.to_string(),
        ),
    ];
    for (name, json) in profiles {
        let device = DeviceProfile::from_json(&json, Path::new("device.json"), &ont().data_types).expect("profile");
        let started = Instant::now();
        let t = read_har(&p, ont(), &FirstParty::default(), Some(&device)).expect("reads");
        let secs = started.elapsed().as_secs_f64();
        println!("HAR scan ({name}): {mb:.1} MB, {} entries in {secs:.2} s = {:.1} MB/s", t.contacts.len(), mb / secs);
    }
}

#[test]
fn artifacts_given_as_manifests_or_traffic_are_recognised_by_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let apk = write(dir.path(), "shop.apk", &shop_apk());
    let axml = write(dir.path(), "AndroidManifest.xml", &shop_manifest());
    let plist = write(dir.path(), "Info.plist", &binary_plist(&info_plist_value()));
    let pcap = write(dir.path(), "capture.bin", &build_pcap(&sample_packets()));
    let obs = observe(
        &ObserveInputs { manifests: vec![axml, apk, plist], traffic: vec![pcap], ..Default::default() },
        ont(),
    )
    .expect("observes");
    assert_eq!(obs.package.as_deref(), Some("com.acme.shop"));
    assert_eq!(obs.apps.len(), 3);
    assert!(obs.sdks.iter().any(|s| s.name == "Facebook Ads" && s.status == SdkStatus::Contacted));
    assert_eq!(obs.contacts.len(), 4);
    assert!(obs.flows.iter().any(|f| matches!(f.source, FlowSource::UsageDescription { .. })));
}

/// (data type, location, matched) of every request flow of a HAR.
fn request_flows(t: &candor::observe::har::Traffic) -> Vec<(String, String, String)> {
    t.flows
        .iter()
        .filter_map(|f| match &f.source {
            FlowSource::Request { location, matched, .. } => Some((f.data_type.clone(), location.clone(), matched.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn real_browser_and_proxy_exports_are_read() {
    // HAR files as Chrome DevTools (WebInspector), Firefox 47 (HAR 1.1) and
    // Charles Proxy 4.2 wrote them, from MIT/BSD/Apache-2.0 repositories
    // (tests/fixtures/observe/SOURCES.md). Each device-profile value below
    // is one that really occurs in the capture, in the place named.
    let dir = Path::new("tests/fixtures/observe/real/har-exports");
    let cases: &[(&str, usize, &str, &[(&str, &str, &str)])] = &[
        // Charles: JSON request bodies (postData with mimeType), base64 JSON responses.
        (
            "charles_har2case-demo-quickstart.har",
            2,
            r#"{"device_ids": "958a05393efef0ac7c0fb80a7eac45e24fd40c27"}"#,
            &[("device_ids", "body:json:sign", "value:plain"), ("account_credentials", "body:json:password", "key")],
        ),
        // Chrome: the request's parsed cookies array, a query key given twice.
        ("chrome_mswjs-localhost.har", 1, r#"{"user_id": "WZyHDuKmbu9P2XSoAAAQ"}"#, &[("user_id", "cookie:io", "value:plain")]),
        // Firefox 47: log version 1.1, query strings, failed requests with status 0.
        (
            "firefox_harviewer-issue23-ff47-base64.har",
            3,
            r#"{"user_id": "bi1hfff2_0_f"}"#,
            &[("user_id", "query:c0", "value:plain")],
        ),
        ("firefox_harviewer-issue49-ff47.har", 3, "{}", &[]),
        // Chrome: base64 image responses (JPEG, SVG), Set-Cookie responses.
        ("chrome_mswjs-response-binary.har", 1, "{}", &[]),
        ("chrome_harviewer-issue62-svg-base64.har", 1, "{}", &[]),
        ("chrome_mswjs-response-cookies.har", 1, "{}", &[]),
    ];
    for (file, requests, profile, want) in cases {
        let device = DeviceProfile::from_json(profile, Path::new("device.json"), &ont().data_types).expect("profile");
        let t = read_har(&dir.join(file), ont(), &FirstParty::default(), Some(&device)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(t.contacts.len(), *requests, "{file}");
        let flows = request_flows(&t);
        for (dt, location, matched) in *want {
            assert!(
                flows.iter().any(|f| (f.0.as_str(), f.1.as_str(), f.2.as_str()) == (*dt, *location, *matched)),
                "{file}: no {dt} at {location} ({matched}) in {flows:?}"
            );
        }
        // Response bodies (base64 images, JSON) never count as data leaving the device.
        assert!(flows.iter().all(|f| !f.1.starts_with("response")), "{file}: {flows:?}");
    }
}

/// An `XmlAttribute` whose value is only a compiled reference (as in a
/// bundle converted from an APK): `name`, namespace `ns`, `Item { ref { id } }`.
fn pb_ref_attr(ns: &str, name: &str, id: u32) -> Vec<u8> {
    let mut r = pb_key(2, 0);
    pb_push_varint(&mut r, u64::from(id));
    let mut a = pb_len(1, ns.as_bytes());
    a.extend(pb_len(2, name.as_bytes()));
    a.extend(pb_len(6, &pb_len(1, &r)));
    a
}

#[test]
fn bundle_string_resources_are_resolved_from_resources_pb() {
    use candor::observe::protoxml::resolve_string_pb;
    // The real APK's resource table in aapt2's protobuf form: string type 8,
    // entry 0 is app_name, entry 1 a string translated into 80 languages.
    let table = std::fs::read(format!("{APPIUM}/resources.pb")).expect("resources.pb");
    assert_eq!(resolve_string_pb(&table, 0x7f08_0000).unwrap().as_deref(), Some("Appium Settings"));
    assert_eq!(resolve_string_pb(&table, 0x7f08_0001).unwrap().as_deref(), Some("Enable"), "the default configuration wins");
    assert_eq!(resolve_string_pb(&table, 0x7f08_ffff).unwrap(), None);
    assert_eq!(resolve_string_pb(&table, 0x0108_0000).unwrap(), None, "another package");
    let mut rng = Lcg(29);
    for _ in 0..300 {
        let _ = resolve_string_pb(&rng.corrupt(&table, 4), 0x7f08_0000);
    }

    // A base manifest whose versionName is only a reference to @string/app_name.
    let mut el = pb_len(3, b"manifest");
    let mut package = pb_len(2, b"package");
    package.extend(pb_len(3, b"io.appium.settings"));
    el.extend(pb_len(4, &package));
    el.extend(pb_len(4, &pb_ref_attr(ANDROID, "versionName", 0x7f08_0000)));
    let manifest = pb_len(1, &el);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = |with_table: bool| {
        let mut entries = vec![entry("BundleConfig.pb", b""), entry("base/manifest/AndroidManifest.xml", &manifest)];
        if with_table {
            entries.push(entry("base/resources.pb", &table));
        }
        build_zip(&entries)
    };
    let c = read_apk(&write(dir.path(), "res.aab", &bundle(true)), ont()).expect("reads");
    assert_eq!(c.info.version_name.as_deref(), Some("Appium Settings"));
    let c = read_apk(&write(dir.path(), "nores.aab", &bundle(false)), ont()).expect("reads");
    assert_eq!(c.info.version_name.as_deref(), Some("@0x7f080000"), "without a table the reference stays visible");
}
