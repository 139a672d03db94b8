//! Observe: manifests, device profiles, destinations and HAR traffic, on
//! real captures and manifests (tests/fixtures/observe/real), small
//! hand-made HARs (hand/) and hostile inputs (hostile/).
//!
//! Detection logic is tested against a small ontology built here, so the
//! assertions do not move when the shipped vocabulary grows; the `shipped_*`
//! tests check the same inputs against the shipped ontology.

use candor::observe::destination::normalize_host;
use candor::observe::{
    observe, read_har, read_manifest, resolve_destination, DeviceProfile, FirstParty, Flow, FlowSource, ObserveInputs,
};
use candor::ontology::{DataTypeOntology, EntityOntology, Ontologies};
use candor::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const AAID: &str = "38400000-8cf0-11bd-b23e-10b96e40000d";
/// The advertising id in the real tweasel capture.
const REAL_AAID: &str = "1209d0b9-b959-42e6-b921-aa5d9d08c1af";

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/observe").join(rel)
}

const TEST_TYPES: &str = r#"{"data_types":[
 {"id":"personal_info","parent":null},
 {"id":"identifier","parent":"personal_info"},
 {"id":"advertising_id","parent":"identifier","traffic_keys":["adid","gaid","aaid","advertising_id","advertiser_id","google_advertising_id","idfa"]},
 {"id":"android_id","parent":"identifier","traffic_keys":["android_id"]},
 {"id":"imei","parent":"identifier","traffic_keys":["imei"]},
 {"id":"device_id","parent":"identifier","traffic_keys":["hardware_id","device_id"]},
 {"id":"email_address","parent":"personal_info","traffic_keys":["email"]},
 {"id":"cookies","parent":"identifier","traffic_keys":["cookie"]},
 {"id":"contacts","parent":"personal_info","permissions":["android.permission.READ_CONTACTS"]},
 {"id":"location","parent":"personal_info"},
 {"id":"precise_location","parent":"location","permissions":["android.permission.ACCESS_FINE_LOCATION"],"traffic_keys":["lat","lng","latitude","longitude"]},
 {"id":"coarse_location","parent":"location","permissions":["android.permission.ACCESS_COARSE_LOCATION"],"traffic_keys":["zip"]}
]}"#;

const TEST_PERMISSIONS: &str = r#"{"permissions":[
 {"name":"android.permission.ACCESS_FINE_LOCATION","protection":"dangerous"},
 {"name":"android.permission.ACCESS_COARSE_LOCATION","protection":"dangerous"},
 {"name":"android.permission.READ_CONTACTS","protection":"dangerous"},
 {"name":"android.permission.INTERNET","protection":"normal"}
]}"#;

const TEST_ENTITIES: &str = r#"{"categories":[
 {"id":"third_party","parent":null},{"id":"advertising","parent":"third_party"},{"id":"analytics","parent":"third_party"}],
 "organizations":[
 {"id":"facebook","name":"Facebook","categories":["advertising"],"domains":["facebook.com","facebook.net"]},
 {"id":"branch","name":"Branch Metrics","categories":["analytics"],"domains":["branch.io"]},
 {"id":"bugsnag","name":"Bugsnag","categories":["analytics"],"domains":["bugsnag.com"]},
 {"id":"example_tracker","name":"Example Tracker","categories":["advertising"],"domains":["example-tracker.net"]}]}"#;

fn test_ont() -> Ontologies {
    Ontologies {
        data_types: DataTypeOntology::from_json(TEST_TYPES, TEST_PERMISSIONS).unwrap(),
        entities: EntityOntology::from_json(TEST_ENTITIES).unwrap(),
    }
}

fn test_device(ont: &Ontologies) -> DeviceProfile {
    DeviceProfile::load(&fixture("hand/device.json"), &ont.data_types).unwrap()
}

fn locations<'a>(flows: &'a [Flow], data_type: &str) -> Vec<(&'a str, &'a str, f32)> {
    flows
        .iter()
        .filter(|f| f.data_type == data_type)
        .filter_map(|f| match &f.source {
            FlowSource::Request { location, matched, .. } => Some((location.as_str(), matched.as_str(), f.confidence)),
            _ => None,
        })
        .collect()
}

fn has(flows: &[Flow], data_type: &str, location: &str, matched: &str) -> bool {
    locations(flows, data_type).iter().any(|(l, m, _)| *l == location && *m == matched)
}

/// The error must be an input error naming the file.
fn assert_input_error(err: Error, path: &Path, needle: &str) {
    let msg = err.to_string();
    match &err {
        Error::Input { path: p, .. } => assert_eq!(p, path, "{msg}"),
        other => panic!("expected an input error, got {other:?}"),
    }
    assert!(msg.contains(&path.display().to_string()), "message does not name the file: {msg}");
    assert!(msg.to_lowercase().contains(&needle.to_lowercase()), "message lacks {needle:?}: {msg}");
}

// ---------------------------------------------------------------- manifests

#[test]
fn manifest_sharelocation() {
    let ont = test_ont();
    let path = fixture("real/sharelocation/AndroidManifest.xml");
    let m = read_manifest(&path, &ont.data_types).unwrap();
    assert_eq!(m.package, None, "modern source manifests carry no package attribute");
    let names: Vec<_> = m.permissions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["android.permission.INTERNET", "android.permission.ACCESS_COARSE_LOCATION", "android.permission.ACCESS_FINE_LOCATION"]
    );
    let fine = &m.permissions[2];
    assert!(fine.dangerous);
    assert_eq!(fine.data_types, ["precise_location"]);
    assert_eq!(fine.file, path.display().to_string());
    assert!(!m.permissions[0].dangerous);
    assert!(m.permissions[0].data_types.is_empty());
}

#[test]
fn manifest_fairemail() {
    let ont = test_ont();
    let m = read_manifest(&fixture("real/fairemail/AndroidManifest.xml"), &ont.data_types).unwrap();
    let creds = m.permissions.iter().find(|p| p.name == "android.permission.USE_CREDENTIALS").unwrap();
    assert_eq!(creds.max_sdk, Some(22));
    let contacts = m.permissions.iter().find(|p| p.name == "android.permission.READ_CONTACTS").unwrap();
    assert!(contacts.dangerous);
    assert_eq!(contacts.data_types, ["contacts"]);
    // <package android:name> under <queries> is not a permission or the app's package.
    assert!(m.permissions.iter().all(|p| p.name != "com.android.vending"));
    assert_eq!(m.package, None);
    assert!(m.features.contains(&"android.hardware.camera".to_string()));
    // Commented out in the file.
    assert!(!m.features.contains(&"android.software.webview".to_string()));
    let mut names: Vec<_> = m.permissions.iter().map(|p| p.name.clone()).collect();
    let n = names.len();
    names.dedup();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "permissions are deduplicated");
    assert!(n >= 15, "{n} permissions");
}

#[test]
fn manifest_package_sdk23_dedupe_and_tools_remove() {
    let ont = test_ont();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("AndroidManifest.xml");
    std::fs::write(
        &path,
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE manifest>\n\
         <manifest xmlns:a=\"http://schemas.android.com/apk/res/android\" xmlns:tools=\"http://schemas.android.com/tools\" package=\" com.spotify.music \">\n\
           <uses-permission a:name=\"android.permission.ACCESS_FINE_LOCATION\"/>\n\
           <uses-permission-sdk-23 a:name=\"android.permission.READ_CONTACTS\" a:maxSdkVersion=\"30\"/>\n\
           <uses-permission-sdk-m a:name=\"android.permission.ACCESS_FINE_LOCATION\"/>\n\
           <uses-permission a:name=\"android.permission.INTERNET\" tools:node=\"remove\"/>\n\
           <uses-permission a:name=\"android.permission.INTERNET\"/>\n\
           <uses-feature a:name=\"android.hardware.location.gps\" a:required=\"false\"></uses-feature>\n\
           <uses-feature a:glEsVersion=\"0x00020000\"/>\n\
           <application><uses-permission a:name=\"not.top.level\"/></application>\n\
         </manifest>\n",
    )
    .unwrap();
    let m = read_manifest(&path, &ont.data_types).unwrap();
    assert_eq!(m.package.as_deref(), Some("com.spotify.music"));
    let names: Vec<_> = m.permissions.iter().map(|p| (p.name.as_str(), p.max_sdk)).collect();
    assert_eq!(
        names,
        [("android.permission.ACCESS_FINE_LOCATION", None), ("android.permission.READ_CONTACTS", Some(30))]
    );
    assert_eq!(m.features, ["android.hardware.location.gps"]);
}

#[test]
fn manifest_billion_laughs_is_refused_fast() {
    let ont = test_ont();
    let path = fixture("hostile/billion-laughs.xml");
    let start = Instant::now();
    let err = read_manifest(&path, &ont.data_types).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_input_error(err, &path, "entity");
}

#[test]
fn manifest_entity_reference_without_declaration_is_not_expanded() {
    let ont = test_ont();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("AndroidManifest.xml");
    std::fs::write(
        &path,
        "<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\"><uses-permission android:name=\"&xxe;\"/></manifest>",
    )
    .unwrap();
    let err = read_manifest(&path, &ont.data_types).unwrap_err();
    assert_input_error(err, &path, "line 1");
}

#[test]
fn manifest_axml_is_refused() {
    let ont = test_ont();
    let path = fixture("hostile/axml-manifest.xml");
    let err = read_manifest(&path, &ont.data_types).unwrap_err();
    assert_input_error(err, &path, "binary APK manifests are not supported");
}

#[test]
fn manifest_malformed_and_truncated() {
    let ont = test_ont();
    let path = fixture("hostile/malformed-manifest.xml");
    let err = read_manifest(&path, &ont.data_types).unwrap_err();
    assert_input_error(err, &path, "line 4");
    let path = fixture("hostile/truncated-manifest.xml");
    let err = read_manifest(&path, &ont.data_types).unwrap_err();
    assert_input_error(err, &path, "end of file");
    // Binary junk, a HAR, a missing file, a directory.
    for (rel, needle) in [
        ("hostile/junk.har", "utf-8"),
        ("hand/device.json", "malformed XML"),
        ("hostile/does-not-exist.xml", "no such file"),
        ("hostile", "directory"),
    ] {
        let path = fixture(rel);
        let err = read_manifest(&path, &ont.data_types).unwrap_err();
        assert_input_error(err, &path, needle);
    }
}

#[test]
fn manifest_wrong_root() {
    let ont = test_ont();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layout.xml");
    std::fs::write(&path, "<LinearLayout/>").unwrap();
    assert_input_error(read_manifest(&path, &ont.data_types).unwrap_err(), &path, "expected <manifest>");
    std::fs::write(&path, "").unwrap();
    assert_input_error(read_manifest(&path, &ont.data_types).unwrap_err(), &path, "empty");
}

// ---------------------------------------------------------------- device profiles

#[test]
fn device_profile_loads() {
    let ont = test_ont();
    let d = test_device(&ont);
    assert_eq!(d.values["advertising_id"], [AAID]);
    assert_eq!(d.values["imei"], ["490154203237518"]);
    assert_eq!(d.coordinates, [(52.52, 13.405)]);
    assert!(!d.values.contains_key("latitude"));
}

#[test]
fn device_profile_errors() {
    let ont = test_ont();
    let path = fixture("hostile/unknown-key-device.json");
    let err = DeviceProfile::load(&path, &ont.data_types).unwrap_err();
    assert_input_error(err, &path, "shoe_size_eu");
    let path = fixture("hostile/nope.json");
    assert_input_error(DeviceProfile::load(&path, &ont.data_types).unwrap_err(), &path, "no such file");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.json");
    for (json, needle) in [
        (r#"{"imei": "12"}"#, "too short"),
        (r#"{"latitude": 52.5}"#, "without longitude"),
        (r#"{"latitude": 95, "longitude": 1}"#, "out of range"),
        (r#"{"imei": {"a": 1}}"#, "imei"),
        (r#"["imei"]"#, "JSON object"),
        (r#"{"imei": "4901542032"#, "invalid JSON"),
    ] {
        std::fs::write(&path, json).unwrap();
        assert_input_error(DeviceProfile::load(&path, &ont.data_types).unwrap_err(), &path, needle);
    }
    std::fs::write(&path, r#"{"imei": ["490154203237518", 490154203237519], "latitude": [1.5, 2.5], "longitude": ["3.5", 4.5]}"#)
        .unwrap();
    let d = DeviceProfile::load(&path, &ont.data_types).unwrap();
    assert_eq!(d.values["imei"], ["490154203237518", "490154203237519"]);
    assert_eq!(d.coordinates, [(1.5, 3.5), (2.5, 4.5)]);
}

// ---------------------------------------------------------------- destinations

#[test]
fn destinations_resolve() {
    let ont = test_ont();
    let fp = FirstParty::default();
    let d = resolve_destination("graph.facebook.com", &ont.entities, &fp);
    assert_eq!((d.host.as_str(), d.domain.as_str()), ("graph.facebook.com", "facebook.com"));
    assert_eq!(d.organization.as_deref(), Some("facebook"));
    assert_eq!(d.categories, ["advertising"]);
    assert!(!d.first_party);
    let d = resolve_destination("api2.branch.io", &ont.entities, &fp);
    assert_eq!(d.domain, "branch.io");
    assert_eq!(d.organization_name.as_deref(), Some("Branch Metrics"));
    let d = resolve_destination("192.168.0.1", &ont.entities, &fp);
    assert_eq!((d.host.as_str(), d.domain.as_str()), ("192.168.0.1", "192.168.0.1"));
    assert_eq!(d.organization, None);
    let mut fp = FirstParty::default();
    fp.add_domain("example.com");
    let d = resolve_destination("Example.COM.", &ont.entities, &fp);
    assert_eq!((d.host.as_str(), d.domain.as_str()), ("example.com", "example.com"));
    assert!(d.first_party);
    let d = resolve_destination("CDN.example.com:8443", &ont.entities, &fp);
    assert_eq!((d.host.as_str(), d.domain.as_str(), d.first_party), ("cdn.example.com", "example.com", true));
    let d = resolve_destination("[2001:db8::1]:443", &ont.entities, &fp);
    assert_eq!(d.domain, "2001:db8::1");
    let d = resolve_destination("a.b.example.co.uk", &ont.entities, &fp);
    assert_eq!(d.domain, "example.co.uk");
    assert!(!d.first_party);
    assert_eq!(normalize_host(" Host.Example.org.. "), "host.example.org");
}

#[test]
fn first_party_from_package() {
    assert_eq!(FirstParty::from_package("com.spotify.music").domains, ["spotify.com"]);
    assert_eq!(FirstParty::from_package("eu.faircode.email").domains, ["faircode.eu"]);
    for generic in ["com.github.someone.app", "com.example.app", "tld.sample.app", "app", "io.github.x.y", ""] {
        assert!(FirstParty::from_package(generic).domains.is_empty(), "{generic}");
    }
    let ont = test_ont();
    let fp = FirstParty::from_package("com.facebook.katana");
    assert!(resolve_destination("graph.facebook.com", &ont.entities, &fp).first_party);
}

// ---------------------------------------------------------------- HAR: hand-made

#[test]
fn har_base64_bodies() {
    let ont = test_ont();
    let dev = test_device(&ont);
    let t = read_har(&fixture("hand/base64-body.har"), &ont, &FirstParty::default(), Some(&dev)).unwrap();
    assert_eq!(t.contacts.len(), 2);
    assert!(has(&t.flows, "android_id", "body:json:device.android_id", "value:plain"));
    assert!(has(&t.flows, "advertising_id", "body:json:gaid", "value:plain"));
    assert!(t.flows.iter().all(|f| f.destination.organization.as_deref() == Some("example_tracker")));
    // base64 of gzip of JSON.
    assert!(has(&t.flows, "imei", "body:json:hw.serial", "value:plain"));
    // Without a profile, only key names: 0.6.
    let t = read_har(&fixture("hand/base64-body.har"), &ont, &FirstParty::default(), None).unwrap();
    assert_eq!(locations(&t.flows, "android_id"), [("body:json:device.android_id", "key", 0.6)]);
    assert_eq!(locations(&t.flows, "advertising_id"), [("body:json:gaid", "key", 0.6)]);
    assert!(locations(&t.flows, "imei").is_empty());
}

#[test]
fn har_json_nested_email() {
    let ont = test_ont();
    let dev = test_device(&ont);
    let path = fixture("hand/json-nested-email.har");
    let t = read_har(&path, &ont, &FirstParty::default(), Some(&dev)).unwrap();
    let email = locations(&t.flows, "email_address");
    // Key and value at the same place: one flow, the value match wins.
    assert_eq!(email, [("body:json:user.profile.email", "value:plain", 1.0)]);
    let f = t.flows.iter().find(|f| f.data_type == "email_address").unwrap();
    match &f.source {
        FlowSource::Request { method, url, file, entry, .. } => {
            assert_eq!(method, "POST");
            assert_eq!(url, "https://api.example-analytics.io/v2/identify");
            assert_eq!(file, &path.display().to_string());
            assert_eq!(*entry, 0);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.destination.domain, "example-analytics.io");
    assert_eq!(f.destination.organization, None);
}

#[test]
fn har_form_body() {
    let ont = test_ont();
    let dev = test_device(&ont);
    let t = read_har(&fixture("hand/form-body.har"), &ont, &FirstParty::default(), Some(&dev)).unwrap();
    assert!(has(&t.flows, "imei", "body:form:imei", "value:plain"));
    // JSON inside a form field, URL-encoded in the body.
    assert!(has(&t.flows, "email_address", "body:form:payload", "value:urlencoded"), "{:#?}", t.flows);
    assert!(has(&t.flows, "email_address", "body:form:payload:json:email", "value:plain"));
    // One flow per (entry, data type, location).
    let mut keys: Vec<_> = t
        .flows
        .iter()
        .map(|f| match &f.source {
            FlowSource::Request { location, entry, .. } => (f.data_type.clone(), location.clone(), *entry),
            _ => unreachable!(),
        })
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn har_query_lat_lng() {
    let ont = test_ont();
    let dev = test_device(&ont);
    let t = read_har(&fixture("hand/query-latlng.har"), &ont, &FirstParty::default(), Some(&dev)).unwrap();
    let first: Vec<_> = t
        .flows
        .iter()
        .filter(|f| matches!(f.source, FlowSource::Request { entry: 0, .. }) && f.data_type == "precise_location")
        .collect();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|f| f.confidence == 1.0));
    assert!(has(&t.flows, "precise_location", "query:lat", "value:coordinates"));
    assert!(has(&t.flows, "precise_location", "query:lng", "value:coordinates"));
    assert!(has(&t.flows, "coarse_location", "query:zip", "key"));
    // Entry 1 is elsewhere (Paris): key names only.
    let second: Vec<_> = t
        .flows
        .iter()
        .filter(|f| matches!(f.source, FlowSource::Request { entry: 1, .. }))
        .map(|f| (f.data_type.as_str(), f.confidence))
        .collect();
    assert_eq!(second, [("precise_location", 0.6), ("precise_location", 0.6)]);
}

#[test]
fn har_urlencoded_value_headers_cookies() {
    let ont = test_ont();
    let dev = test_device(&ont);
    let t = read_har(&fixture("hand/urlencoded-value.har"), &ont, &FirstParty::default(), Some(&dev)).unwrap();
    assert!(has(&t.flows, "email_address", "query:u", "value:urlencoded"), "{:#?}", t.flows);
    // Upper-cased advertising id in a header whose name is also a key.
    assert!(has(&t.flows, "advertising_id", "header:x-adid", "value:plain"));
    assert!(has(&t.flows, "android_id", "cookie:uid", "value:plain"));
    // The Cookie header and the HAR cookie list give the same cookie: one flow.
    assert_eq!(locations(&t.flows, "android_id").len(), 1);
    assert!(has(&t.flows, "cookies", "header:cookie", "key"));
}

#[test]
fn har_odd_entries() {
    let ont = test_ont();
    let dev = test_device(&ont);
    let t = read_har(&fixture("hand/mixed-schemes.har"), &ont, &FirstParty::default(), Some(&dev)).unwrap();
    // data:, chrome-extension: and unparsable URLs are skipped; entry numbers keep their place.
    let hosts: Vec<_> = t.contacts.iter().map(|c| (c.entry, c.destination.host.as_str())).collect();
    assert_eq!(hosts, [(3, "192.168.0.1"), (4, "graph.facebook.com"), (5, "api2.branch.io")]);
    assert_eq!(t.contacts[1].destination.organization.as_deref(), Some("facebook"));
    assert_eq!(t.contacts[2].destination.organization.as_deref(), Some("branch"));
    assert!(has(&t.flows, "advertising_id", "body:text", "value:plain"));
}

// ---------------------------------------------------------------- HAR: hostile

#[test]
fn har_hostile_inputs() {
    let ont = test_ont();
    let fp = FirstParty::default();
    for (rel, needle) in [
        ("hostile/truncated.har", "line"),
        ("hostile/truncated.har", "truncated"),
        ("hostile/junk.har", "binary"),
        ("hostile/no-entries.har", "entries"),
        ("hostile/no-log.har", "\"log\""),
        ("hostile/missing.har", "no such file"),
        ("real/sharelocation/AndroidManifest.xml", "not a HAR"),
        ("hostile", "directory"),
    ] {
        let path = fixture(rel);
        let start = Instant::now();
        let err = read_har(&path, &ont, &fp, None).unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(5), "{rel}");
        assert_input_error(err, &path, needle);
    }
    // Too deep a structure inside one entry skips that entry, with a message.
    let path = fixture("hostile/deep-structure.har");
    let t = read_har(&path, &ont, &fp, None).unwrap();
    assert!(t.contacts.is_empty());
    assert!(t.skipped.len() == 1 && t.skipped[0].contains("entry 0 skipped: recursion limit"), "{:?}", t.skipped);
}

#[test]
fn har_deep_body_does_not_crash() {
    let ont = test_ont();
    let dev = test_device(&ont);
    let t = read_har(&fixture("hostile/deep-body.har"), &ont, &FirstParty::default(), Some(&dev)).unwrap();
    assert_eq!(t.contacts.len(), 1);
    assert!(t.flows.is_empty());
}

#[test]
fn har_gzip_and_odd_shapes() {
    use std::io::Write;
    let ont = test_ont();
    let dir = tempfile::tempdir().unwrap();
    // A gzip-compressed HAR.
    let plain = std::fs::read(fixture("hand/form-body.har")).unwrap();
    let path = dir.path().join("capture.har.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let t = read_har(&path, &ont, &FirstParty::default(), None).unwrap();
    assert!(has(&t.flows, "imei", "body:form:imei", "key"));
    // Missing optional parts, numbers where strings are expected, an entry without request.
    let path = dir.path().join("odd.har");
    std::fs::write(
        &path,
        r#"{"log":{"entries":[{"request":{"url":"https://x.example.net/?idfa=AAAA-BBBB","headers":[{"name":"Lat","value":52.1}],"postData":{"mimeType":"application/json","text":"{\"email\": null, \"a\": {\"gaid\": \"\"}}"}}}]}}"#,
    )
    .unwrap();
    let t = read_har(&path, &ont, &FirstParty::default(), None).unwrap();
    assert_eq!(t.contacts[0].method, "GET");
    let dts: Vec<_> = t.flows.iter().map(|f| f.data_type.as_str()).collect();
    // Empty and null values are not counted as sent.
    assert_eq!(dts, ["advertising_id", "precise_location"]);
    std::fs::write(&path, r#"{"log":{"entries":[{"response":{}}]}}"#).unwrap();
    let t = read_har(&path, &ont, &FirstParty::default(), None).unwrap();
    assert!(t.contacts.is_empty() && t.skipped[0].contains("entry 0 skipped"), "{:?}", t.skipped);
}

#[test]
fn har_in_the_shape_http_toolkit_writes() {
    // Hand-made (no real HTTP Toolkit export under a permissive licence was
    // found) after the exporter's source (httptoolkit-ui, `har.ts`): HTTP/2
    // pseudo-headers, an empty cookies array with the cookies in the header,
    // the *decoded* body under a `content-encoding: gzip` header, a body
    // without Content-Type given as application/octet-stream, a body over
    // 40 KB left out, pages named after the capturing source, and an
    // aborted request (response status 0).
    let ont = test_ont();
    let dev = test_device(&ont);
    let t = read_har(&fixture("hand/httptoolkit-shape.har"), &ont, &FirstParty::default(), Some(&dev)).unwrap();
    assert_eq!(t.contacts.len(), 3);
    assert_eq!(t.contacts[0].destination.host, "events.acme-analytics.example");
    assert!(has(&t.flows, "advertising_id", "body:json:device.gaid", "value:plain"), "{:#?}", t.flows);
    assert!(has(&t.flows, "android_id", "cookie:uid", "value:plain"));
    assert!(has(&t.flows, "email_address", "body:form:email", "value:urlencoded"));
    assert!(has(&t.flows, "imei", "body:form:imei", "value:plain"));
    assert!(locations(&t.flows, "precise_location").iter().any(|(l, m, _)| *l == "query:lat" && *m == "value:coordinates"));
    // The pseudo-headers repeat the URL and are not read as data.
    assert!(t.flows.iter().all(|f| match &f.source {
        FlowSource::Request { location, .. } => !location.starts_with("header::"),
        _ => true,
    }));
    assert!(t.flows.iter().all(|f| match &f.source {
        FlowSource::Request { entry, .. } => *entry != 2,
        _ => true,
    }));
}

#[test]
fn har_is_read_whatever_the_order_of_its_members() {
    // Entries are parsed one at a time as the file streams by: members
    // before or after `entries`, a second `log`, and null parts behave as
    // when the whole file was parsed first.
    let ont = test_ont();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("order.har");
    let entry = r#"{"request":{"url":"https://x.example.net/?idfa=AAAA-BBBB"}}"#;
    let ok = [
        format!(r#"{{"log":{{"version":"1.2","creator":{{"name":"HTTP Toolkit"}},"entries":[{entry},{entry}],"pages":[]}}}}"#),
        format!(r#"{{"other":{{"entries":[1]}},"log":{{"pages":[{{"id":"p"}}],"entries":[{entry},{entry}]}},"log":null}}"#),
    ];
    for text in ok {
        std::fs::write(&path, &text).unwrap();
        let t = read_har(&path, &ont, &FirstParty::default(), None).unwrap();
        assert_eq!(t.contacts.len(), 2, "{text}");
        assert_eq!(t.contacts[1].entry, 1);
    }
    for (text, needle) in [
        (r#"{"log":null}"#, "no \"log\""),
        (r#"{"log":{"entries":null}}"#, "no \"entries\""),
        (r#"{"log":{"entries":{}}}"#, "invalid HAR JSON"),
        (r#"{"log":{"entries":[]}} trailing"#, "invalid HAR JSON"),
        ("", "empty"),
    ] {
        std::fs::write(&path, text).unwrap();
        assert_input_error(read_har(&path, &ont, &FirstParty::default(), None).unwrap_err(), &path, needle);
    }
    // An entry without a URL is skipped and reported; the others are read.
    std::fs::write(&path, r#"{"log":{"entries":[{"request":{"url":"https://a.example"}},{"request":{}}]}}"#).unwrap();
    let t = read_har(&path, &ont, &FirstParty::default(), None).unwrap();
    assert_eq!(t.contacts.len(), 1);
    assert!(t.skipped[0].contains("entry 1 skipped"), "{:?}", t.skipped);
}

// ---------------------------------------------------------------- HAR: real capture

#[test]
fn har_real_tweasel_capture() {
    let ont = test_ont();
    let path = fixture("real/tweasel/first-run.har");
    let t = read_har(&path, &ont, &FirstParty::from_package("tld.sample.app"), None).unwrap();
    assert_eq!(t.contacts.len(), 16);
    let mut hosts: Vec<_> = t.contacts.iter().map(|c| c.destination.host.as_str()).collect();
    hosts.sort();
    hosts.dedup();
    assert_eq!(
        hosts,
        ["api2.branch.io", "cdn.branch.io", "graph.facebook.com", "notify.bugsnag.com", "sessions.bugsnag.com"]
    );
    assert!(t.contacts.iter().all(|c| c.destination.organization.is_some() && !c.destination.first_party));
    // Key names: Facebook's advertiser_id form field and Branch's JSON keys.
    assert!(has(&t.flows, "advertising_id", "body:form:advertiser_id", "key"));
    assert!(has(&t.flows, "advertising_id", "body:json:google_advertising_id", "key"));
    assert!(has(&t.flows, "advertising_id", "body:json:advertising_ids.aaid", "key"));
    assert!(has(&t.flows, "device_id", "body:json:hardware_id", "key"));
    // With the device's advertising id known, the value is found at Facebook and Branch.
    let dir = tempfile::tempdir().unwrap();
    let dev_path = dir.path().join("device.json");
    std::fs::write(&dev_path, format!(r#"{{"advertising_id": "{REAL_AAID}"}}"#)).unwrap();
    let dev = DeviceProfile::load(&dev_path, &ont.data_types).unwrap();
    let t = read_har(&path, &ont, &FirstParty::default(), Some(&dev)).unwrap();
    let mut orgs: Vec<_> = t
        .flows
        .iter()
        .filter(|f| f.data_type == "advertising_id" && f.confidence == 1.0)
        .filter_map(|f| f.destination.organization.as_deref())
        .collect();
    orgs.sort();
    orgs.dedup();
    assert_eq!(orgs, ["branch", "facebook"]);
    assert!(has(&t.flows, "advertising_id", "body:form:advertiser_id", "value:plain"));
}

// ---------------------------------------------------------------- observe()

#[test]
fn observe_combines_inputs() {
    let ont = test_ont();
    let inputs = ObserveInputs {
        manifests: vec![fixture("real/sharelocation/AndroidManifest.xml"), fixture("real/fairemail/AndroidManifest.xml")],
        traffic: vec![fixture("hand/form-body.har"), fixture("hand/urlencoded-value.har")],
        device: Some(fixture("hand/device.json")),
        first_party_domains: vec!["example-dmp.com".into()],
        ..Default::default()
    };
    let obs = observe(&inputs, &ont).unwrap();
    assert_eq!(obs.package, None);
    assert_eq!(obs.contacts.len(), 2);
    assert!(obs.contacts[1].destination.first_party);
    assert!(!obs.contacts[0].destination.first_party);
    let perm_flows: Vec<_> = obs
        .flows
        .iter()
        .filter_map(|f| match &f.source {
            FlowSource::Permission { permission, .. } => Some((f.data_type.as_str(), permission.as_str(), f.destination.host.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        perm_flows,
        [
            ("coarse_location", "android.permission.ACCESS_COARSE_LOCATION", "app"),
            ("precise_location", "android.permission.ACCESS_FINE_LOCATION", "app"),
            ("contacts", "android.permission.READ_CONTACTS", "app"),
        ]
    );
    assert!(obs.flows.iter().all(|f| f.confidence > 0.0));
    assert!(obs.permissions.iter().filter(|p| p.name == "android.permission.INTERNET").count() == 1);
    // A bad input anywhere fails the whole observation, naming the file.
    let bad = ObserveInputs { device: Some(fixture("hostile/unknown-key-device.json")), ..inputs };
    assert_input_error(observe(&bad, &ont).unwrap_err(), &fixture("hostile/unknown-key-device.json"), "shoe_size_eu");
}

#[test]
fn observe_package_names_the_app() {
    let ont = test_ont();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("AndroidManifest.xml");
    std::fs::write(
        &path,
        r#"<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.facebook.katana"><uses-permission android:name="android.permission.ACCESS_FINE_LOCATION"/></manifest>"#,
    )
    .unwrap();
    let inputs = ObserveInputs { manifests: vec![path], traffic: vec![fixture("hand/mixed-schemes.har")], ..Default::default() };
    let obs = observe(&inputs, &ont).unwrap();
    assert_eq!(obs.package.as_deref(), Some("com.facebook.katana"));
    assert_eq!(obs.flows[0].destination.host, "com.facebook.katana");
    assert!(obs.flows[0].destination.first_party);
    let fb = obs.contacts.iter().find(|c| c.destination.host == "graph.facebook.com").unwrap();
    assert!(fb.destination.first_party, "facebook.com is the first party of com.facebook.katana");
}

// ---------------------------------------------------------------- shipped ontology

fn shipped() -> &'static Ontologies {
    candor::ontology::shipped().unwrap()
}

#[test]
fn shipped_ontology_knows_what_observe_needs() {
    let ont = shipped();
    for id in ["precise_location", "advertising_id", "email_address", "imei", "android_id"] {
        assert!(ont.data_types.contains(id), "shipped ontology lacks {id}");
    }
    assert!(ont.data_types.is_dangerous("android.permission.ACCESS_FINE_LOCATION"));
    assert!(ont.data_types.for_permission("android.permission.ACCESS_FINE_LOCATION").contains(&"precise_location"));
    let fp = FirstParty::default();
    for host in ["graph.facebook.com", "api2.branch.io", "sessions.bugsnag.com"] {
        let d = resolve_destination(host, &ont.entities, &fp);
        assert!(d.organization.is_some(), "{host} has no organization");
    }
    let d = resolve_destination("192.168.0.1", &ont.entities, &fp);
    assert_eq!((d.domain.as_str(), d.organization.as_deref()), ("192.168.0.1", None));
    let d = resolve_destination("Example.COM.", &ont.entities, &fp);
    assert_eq!((d.host.as_str(), d.domain.as_str()), ("example.com", "example.com"));
}

#[test]
fn shipped_device_profile_and_real_capture() {
    let ont = shipped();
    let dev = DeviceProfile::load(&fixture("hand/device.json"), &ont.data_types).unwrap();
    let path = fixture("hand/json-nested-email.har");
    let t = read_har(&path, ont, &FirstParty::default(), Some(&dev)).unwrap();
    assert!(has(&t.flows, "email_address", "body:json:user.profile.email", "value:plain"));
    let t = read_har(&fixture("hand/query-latlng.har"), ont, &FirstParty::default(), Some(&dev)).unwrap();
    assert!(has(&t.flows, "precise_location", "query:lat", "value:coordinates"));

    let dir = tempfile::tempdir().unwrap();
    let dev_path = dir.path().join("device.json");
    std::fs::write(&dev_path, format!(r#"{{"advertising_id": "{REAL_AAID}"}}"#)).unwrap();
    let dev = DeviceProfile::load(&dev_path, &ont.data_types).unwrap();
    let t = read_har(&fixture("real/tweasel/first-run.har"), ont, &FirstParty::from_package("tld.sample.app"), Some(&dev)).unwrap();
    assert_eq!(t.contacts.len(), 16);
    for c in &t.contacts {
        assert!(c.destination.organization.is_some(), "{} has no organization", c.destination.host);
    }
    let hosts: std::collections::BTreeSet<_> = t
        .flows
        .iter()
        .filter(|f| f.data_type == "advertising_id" && f.confidence == 1.0)
        .map(|f| f.destination.domain.as_str())
        .collect();
    assert_eq!(hosts.into_iter().collect::<Vec<_>>(), ["branch.io", "facebook.com"]);
}

// ---------------------------------------------------------------- size stress

#[test]
fn large_inputs_stay_linear() {
    let ont = test_ont();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("AndroidManifest.xml");
    let mut xml = String::from("<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\">\n");
    for i in 0..50_000 {
        xml.push_str(&format!("<uses-permission android:name=\"p.{i}\"/><uses-feature android:name=\"f.{i}\"/>\n"));
    }
    xml.push_str("</manifest>\n");
    std::fs::write(&path, xml).unwrap();
    let start = Instant::now();
    let m = read_manifest(&path, &ont.data_types).unwrap();
    assert_eq!((m.permissions.len(), m.features.len()), (50_000, 50_000));
    assert!(start.elapsed() < Duration::from_secs(20));

    let cookie: Vec<String> = (0..50_000).map(|i| format!("c{i}=v{i}")).collect();
    let har = serde_json::json!({"log": {"entries": [{"request": {
        "method": "GET", "url": "https://example.org/",
        "headers": [{"name": "Cookie", "value": cookie.join("; ")}],
        "cookies": (0..50_000).map(|i| serde_json::json!({"name": format!("c{i}"), "value": format!("v{i}")})).collect::<Vec<_>>()
    }}]}});
    let path = dir.path().join("cookies.har");
    std::fs::write(&path, har.to_string()).unwrap();
    let dev = test_device(&ont);
    let start = Instant::now();
    let t = read_har(&path, &ont, &FirstParty::default(), Some(&dev)).unwrap();
    assert_eq!(t.contacts.len(), 1);
    assert!(start.elapsed() < Duration::from_secs(20));
}
