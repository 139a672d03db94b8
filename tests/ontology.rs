//! Checks of the shipped ontology tables (`ontology/*.json`): the data-type
//! tree, the permission table, the entity ontology, and how their phrases,
//! keys and domains resolve.

use candor::ontology::{
    DataType, DataTypeOntology, EntityMention, EntityOntology, Ontologies, PermissionInfo, ENTITIES_JSON,
};
use std::collections::{BTreeMap, BTreeSet};

fn shipped() -> Ontologies {
    Ontologies::shipped().expect("the shipped ontology loads")
}

fn entities_file() -> serde_json::Value {
    serde_json::from_str(ENTITIES_JSON).unwrap()
}

// ------------------------------------------------------------------ data types

const REQUIRED_TYPES: &[&str] = &[
    "personal_info",
    "location",
    "precise_location",
    "coarse_location",
    "email_address",
    "person_name",
    "phone_number",
    "advertising_id",
    "mac_address",
    "imei",
    "router_ssid",
    "android_id",
    "serial_number",
    "sim_serial_number",
    "contacts",
    "ip_address",
    "device_info",
    "cookies",
    "contact_info",
];

#[test]
fn required_data_types_are_present() {
    let ont = shipped();
    for id in REQUIRED_TYPES {
        assert!(ont.data_types.contains(id), "missing data type {id}");
    }
    assert_eq!(ont.data_types.get("precise_location").unwrap().parent.as_deref(), Some("location"));
    assert_eq!(ont.data_types.get("coarse_location").unwrap().parent.as_deref(), Some("location"));
    assert!(ont.data_types.all().len() >= 60, "only {} data types", ont.data_types.all().len());
}

#[test]
fn data_types_form_one_tree() {
    let ont = shipped();
    let types = ont.data_types.all();
    let roots: Vec<&str> = types.iter().filter(|t| t.parent.is_none()).map(|t| t.id.as_str()).collect();
    assert_eq!(roots, ["personal_info"]);
    for t in types {
        // Every lineage ends at the root (the loader rejects cycles).
        assert_eq!(ont.data_types.lineage(&t.id).last(), Some("personal_info"), "{}", t.id);
        assert!(ont.data_types.subsumes("personal_info", &t.id));
        assert!(
            t.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') && !t.id.starts_with('_'),
            "id {} is not snake_case",
            t.id
        );
        assert!(!t.description.trim().is_empty(), "{} has no description", t.id);
    }
    assert!(ont.data_types.subsumes("location", "precise_location"));
    assert!(ont.data_types.subsumes("location", "router_ssid"));
    assert!(ont.data_types.subsumes("device_ids", "advertising_id"));
    assert!(ont.data_types.subsumes("identifiers", "ip_address"));
    assert!(ont.data_types.subsumes("contact_info", "email_address"));
    assert!(!ont.data_types.subsumes("precise_location", "location"));
    assert!(!ont.data_types.subsumes("location", "email_address"));
}

fn dt(id: &str, parent: Option<&str>) -> DataType {
    DataType {
        id: id.into(),
        parent: parent.map(Into::into),
        names: vec![],
        permissions: vec![],
        traffic_keys: vec![],
        description: String::new(),
    }
}

#[test]
fn broken_trees_are_rejected() {
    let cyclic = vec![dt("root", None), dt("a", Some("b")), dt("b", Some("a"))];
    assert!(DataTypeOntology::build(cyclic, vec![]).is_err());
    let self_parent = vec![dt("root", None), dt("a", Some("a"))];
    assert!(DataTypeOntology::build(self_parent, vec![]).is_err());
    let unknown_parent = vec![dt("root", None), dt("a", Some("nowhere"))];
    assert!(DataTypeOntology::build(unknown_parent, vec![]).is_err());
    let twice = vec![dt("root", None), dt("root", None)];
    assert!(DataTypeOntology::build(twice, vec![]).is_err());
    assert!(DataTypeOntology::build(vec![dt("root", None), dt("a", Some("root"))], vec![]).is_ok());
}

#[test]
fn phrases_and_keys_name_one_type_each() {
    let ont = shipped();
    let mut phrases: BTreeMap<String, &str> = BTreeMap::new();
    let mut keys: BTreeMap<&str, &str> = BTreeMap::new();
    for t in ont.data_types.all() {
        for n in &t.names {
            let bare = n.trim_start_matches('=');
            assert!(bare == bare.trim() && !bare.is_empty(), "{}: bad phrase {n:?}", t.id);
            if !n.starts_with('=') {
                assert_eq!(*n, n.to_lowercase(), "{}: phrase {n:?} is not lower-case", t.id);
            }
            if let Some(other) = phrases.insert(bare.to_lowercase(), &t.id) {
                panic!("phrase {n:?} names both {other} and {}", t.id);
            }
        }
        for k in &t.traffic_keys {
            assert_eq!(*k, k.to_ascii_lowercase(), "{}: key {k:?} is not lower-case", t.id);
            if let Some(other) = keys.insert(k, &t.id) {
                panic!("traffic key {k:?} names both {other} and {}", t.id);
            }
            assert_eq!(ont.data_types.for_traffic_key(k), Some(t.id.as_str()));
        }
    }
    // Words that match everywhere in a policy are not phrases.
    for generic in ["data", "information", "id", "info", "details", "address", "name", "contact", "device"] {
        assert!(!phrases.contains_key(generic), "over-generic phrase {generic:?}");
    }
    assert!(phrases.len() > 500, "only {} phrases", phrases.len());
    for (key, id) in [
        ("idfa", "advertising_id"),
        ("gaid", "advertising_id"),
        ("advertiser_id", "advertising_id"),
        ("android_id", "android_id"),
        ("imei", "imei"),
        ("lat", "precise_location"),
        ("longitude", "precise_location"),
        ("email", "email_address"),
        ("msisdn", "phone_number"),
        ("bssid", "router_ssid"),
        ("mac", "mac_address"),
        ("os_version", "os_version"),
        ("carrier", "carrier"),
        ("ip", "ip_address"),
    ] {
        assert_eq!(ont.data_types.for_traffic_key(key), Some(id), "key {key}");
    }
}

#[test]
fn policy_phrases_are_found() {
    let ont = shipped();
    let ids = |text: &str| ont.data_types.find_phrases(text).into_iter().map(|m| m.id).collect::<Vec<_>>();
    let found = ids("We collect your precise location and email address");
    assert!(found.contains(&"precise_location".to_string()), "{found:?}");
    assert!(found.contains(&"email_address".to_string()), "{found:?}");
    assert!(!found.contains(&"location".to_string()), "the longest phrase wins: {found:?}");
    assert_eq!(ids("Your IP addresses and advertising identifiers"), ["ip_address", "advertising_id"]);
    assert_eq!(ids("the SSID and BSSID of nearby Wi-Fi access points"), ["router_ssid", "router_ssid", "router_ssid"]);
    assert_eq!(ids("names and phone numbers stored in your address book"), ["phone_number", "contacts"]);
    // Whole words only; common non-data uses are not phrases.
    assert!(ids("relocation of our legitimate interests and business transactions").is_empty());
    assert!(ids("You can exercise your rights; we take reasonable steps.").is_empty());
}

// ------------------------------------------------------------------ permissions

#[test]
fn permissions_table_covers_aosp_and_the_data_types() {
    let ont = shipped();
    let file: serde_json::Value = serde_json::from_str(candor::ontology::PERMISSIONS_JSON).unwrap();
    let perms: Vec<PermissionInfo> = serde_json::from_value(file["permissions"].clone()).unwrap();
    assert!(perms.len() >= 1029, "only {} permissions", perms.len());
    let names: BTreeSet<&str> = perms.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), perms.len(), "a permission is listed twice");
    for t in ont.data_types.all() {
        for p in &t.permissions {
            assert!(names.contains(p.as_str()), "{} names unknown permission {p}", t.id);
        }
    }
    for p in [
        "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.ACCESS_COARSE_LOCATION",
        "android.permission.ACCESS_BACKGROUND_LOCATION",
        "android.permission.READ_CONTACTS",
        "android.permission.READ_PHONE_STATE",
        "android.permission.READ_SMS",
        "android.permission.CAMERA",
        "android.permission.RECORD_AUDIO",
        "android.permission.BODY_SENSORS",
        "android.permission.BLUETOOTH_SCAN",
        "android.permission.NEARBY_WIFI_DEVICES",
    ] {
        assert!(ont.data_types.is_dangerous(p), "{p} should be dangerous");
    }
    assert!(!ont.data_types.is_dangerous("android.permission.INTERNET"));
    assert_eq!(ont.data_types.permission("com.google.android.gms.permission.AD_ID").unwrap().protection, "normal");
    let fine = ont.data_types.permission("android.permission.ACCESS_FINE_LOCATION").unwrap();
    assert_eq!(fine.group.as_deref(), Some("LOCATION"));
    let wifi = ont.data_types.permission("android.permission.NEARBY_WIFI_DEVICES").unwrap();
    assert!(wifi.label.as_deref().unwrap().contains("Wi-Fi"), "{:?}", wifi.label);
}

#[test]
fn permissions_map_to_the_data_they_expose() {
    let ont = shipped();
    let has = |p: &str, id: &str| ont.data_types.for_permission(p).contains(&id);
    assert!(has("android.permission.ACCESS_FINE_LOCATION", "precise_location"));
    assert!(has("android.permission.ACCESS_COARSE_LOCATION", "coarse_location"));
    assert!(has("android.permission.READ_CONTACTS", "contacts"));
    assert!(has("android.permission.GET_ACCOUNTS", "device_accounts"));
    assert!(has("android.permission.READ_PHONE_STATE", "imei"));
    assert!(has("android.permission.ACCESS_WIFI_STATE", "router_ssid"));
    assert!(has("android.permission.ACCESS_WIFI_STATE", "mac_address"));
    assert!(has("com.google.android.gms.permission.AD_ID", "advertising_id"));
    assert!(has("android.permission.QUERY_ALL_PACKAGES", "installed_apps"));
    assert!(has("android.permission.RECORD_AUDIO", "audio_recordings"));
    assert!(has("android.permission.CAMERA", "camera"));
    assert!(has("android.permission.READ_CALL_LOG", "call_log"));
    assert!(has("android.permission.READ_CALENDAR", "calendar"));
    assert!(ont.data_types.for_permission("android.permission.INTERNET").is_empty());
    // Every dangerous permission that reads personal data maps to a type.
    for p in [
        "READ_SMS",
        "RECEIVE_SMS",
        "BODY_SENSORS",
        "ACTIVITY_RECOGNITION",
        "BLUETOOTH_SCAN",
        "BLUETOOTH_CONNECT",
        "READ_MEDIA_IMAGES",
        "READ_MEDIA_VIDEO",
        "READ_MEDIA_AUDIO",
        "READ_EXTERNAL_STORAGE",
        "READ_PHONE_NUMBERS",
        "ACCESS_BACKGROUND_LOCATION",
        "ACCESS_MEDIA_LOCATION",
    ] {
        let p = format!("android.permission.{p}");
        assert!(!ont.data_types.for_permission(&p).is_empty(), "{p} maps to no data type");
    }
}

// ------------------------------------------------------------------ entities

#[test]
fn entity_categories_form_one_tree() {
    let ont = shipped();
    let cats = ont.entities.categories();
    let roots: Vec<&str> = cats.iter().filter(|c| c.parent.is_none()).map(|c| c.id.as_str()).collect();
    // "Other users" (who sees what a user posts) is a second root: no
    // organization belongs to it, so it covers no flow to a company.
    assert_eq!(roots, ["third_party", "other_users"]);
    assert!(!ont.entities.category_subsumes("third_party", "other_users"));
    for id in ["advertising", "analytics", "social_network", "crash_reporting", "payments", "cloud_cdn"] {
        assert!(ont.entities.category(id).is_some(), "missing category {id}");
        assert!(ont.entities.category_subsumes("third_party", id));
    }
    assert!(ont.entities.category_subsumes("advertising", "attribution"));
    assert!(!ont.entities.category_subsumes("advertising", "analytics"));
    for c in cats {
        assert!(!c.names.is_empty(), "category {} has no phrases", c.id);
        assert!(!c.id.contains("first"), "no first-party category: {}", c.id);
    }
}

#[test]
fn organizations_have_domains_and_valid_categories() {
    let ont = shipped();
    let orgs = ont.entities.organizations();
    assert!(orgs.len() >= 1000, "only {} organizations", orgs.len());
    let mut domains: BTreeMap<&str, &str> = BTreeMap::new();
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    for o in orgs {
        assert!(!o.domains.is_empty(), "{} has no domain", o.id);
        assert!(!o.categories.is_empty(), "{} has no category", o.id);
        assert!(!o.source.is_empty(), "{} has no source", o.id);
        assert!(
            o.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "id {} is not snake_case",
            o.id
        );
        for c in &o.categories {
            assert!(ont.entities.category(c).is_some(), "{}: unknown category {c}", o.id);
        }
        for d in &o.domains {
            assert_eq!(*d, d.to_ascii_lowercase(), "{}: domain {d}", o.id);
            assert!(
                d.contains('.') && !d.contains('*') && !d.contains('/') && !d.contains(':'),
                "{}: domain {d}",
                o.id
            );
            if let Some(other) = domains.insert(d, &o.id) {
                panic!("domain {d} belongs to both {other} and {}", o.id);
            }
        }
        for n in std::iter::once(&o.name).chain(&o.aliases) {
            let key = n.trim_start_matches('=').to_lowercase();
            match names.insert(key, &o.id) {
                Some(other) if other != o.id => panic!("name {n:?} names both {other} and {}", o.id),
                _ => {}
            }
        }
    }
    // NC-licensed lists are not a source.
    for o in orgs {
        let s = o.source.to_lowercase();
        assert!(!["duckduckgo", "disconnect", "ghostery"].iter().any(|x| s.contains(x)), "{}: {}", o.id, o.source);
    }
}

#[test]
fn hosts_resolve_to_their_owners() {
    let ont = shipped();
    let owner = |host: &str| ont.entities.organization_for_host(host).map(|o| o.id.as_str());
    let fb = ont.entities.organization_for_host("graph.facebook.com").expect("graph.facebook.com");
    assert!(fb.id == "facebook" || fb.id == "meta", "{}", fb.id);
    assert!(fb.name.contains("Facebook") || fb.name.contains("Meta"), "{}", fb.name);
    for (host, id) in [
        ("graph.facebook.com", "facebook"),
        ("scontent.fbcdn.net", "facebook"),
        ("api2.branch.io", "branch"),
        ("cdn.branch.io", "branch"),
        ("sessions.bugsnag.com", "bugsnag"),
        ("notify.bugsnag.com", "bugsnag"),
        ("googleads.g.doubleclick.net", "google"),
        ("firebaseinstallations.googleapis.com", "google"),
        ("firebase-settings.crashlytics.com", "google"),
        ("app-measurement.com", "google"),
        ("o123.ingest.sentry.io", "sentry"),
        ("app.adjust.com", "adjust"),
        ("t.appsflyer.com", "appsflyer"),
        ("d.applovin.com", "applovin"),
        ("ads.api.vungle.com", "liftoff"),
        ("config.unityads.unity3d.com", "unity"),
        ("init.supersonicads.com", "unity"),
        ("control.kochava.com", "kochava"),
        ("config.inmobi.com", "inmobi"),
        ("analytics-ios-tcp.mtgglobals.com", "mintegral"),
        ("api.mixpanel.com", "mixpanel"),
        ("d1pyesk9jfjbwi.cloudfront.net", "amazon"),
        ("xp.apple.com", "apple"),
        ("Graph.Facebook.COM.", "facebook"),
    ] {
        assert_eq!(owner(host), Some(id), "{host}");
    }
    assert_eq!(owner("example.org"), None);
    assert_eq!(owner("localhost"), None);
}

/// Every host of the real tweasel capture that belongs to a known company resolves.
#[test]
fn real_capture_hosts_resolve() {
    let ont = shipped();
    for host in ["api2.branch.io", "cdn.branch.io", "graph.facebook.com", "notify.bugsnag.com", "sessions.bugsnag.com"]
    {
        assert!(ont.entities.organization_for_host(host).is_some(), "{host}");
    }
}

#[test]
fn mentions_find_categories_and_organizations() {
    let ont = shipped();
    let mentions = |text: &str| {
        ont.entities
            .find_mentions(text)
            .into_iter()
            .map(|m| match EntityOntology::split_mention(&m.id) {
                EntityMention::Category(c) => format!("category:{c}"),
                EntityMention::Organization(o) => o.to_string(),
            })
            .collect::<Vec<_>>()
    };
    let found = mentions("We share data with advertisers and Google");
    assert!(found.contains(&"category:advertising".to_string()), "{found:?}");
    assert!(found.contains(&"google".to_string()), "{found:?}");
    let found = mentions("We use Firebase Crashlytics, AdMob and the Facebook SDK.");
    assert_eq!(found, ["google", "google", "facebook"]);
    let found = mentions("Our analytics providers and third-party service providers");
    assert_eq!(found, ["category:analytics", "category:service_providers"]);
    assert_eq!(mentions("We may share it with third parties."), ["category:third_party"]);
    // Names that are also common words match only as names.
    assert_eq!(mentions("We use Adjust and Branch to attribute installs."), ["adjust", "branch"]);
    assert!(mentions("You can adjust your settings at any branch office.").is_empty());
    assert_eq!(mentions("Bugsnag and Sentry receive crash reports."), ["bugsnag", "sentry"]);
    // "third-party devices" names a device, not a recipient (`not_recipients`).
    assert_eq!(mentions("We share it with TV providers like Google to enable casting on third party devices like TVs."), ["google"]);
    assert!(mentions("Links to third-party websites are not covered.").is_empty());
}

#[test]
fn curated_merges_hold() {
    let ont = shipped();
    let google = ont.entities.organization("google").unwrap();
    for d in ["doubleclick.net", "googleapis.com", "app-measurement.com", "crashlytics.com", "firebaseio.com"] {
        assert!(google.domains.iter().any(|x| x == d), "google lacks {d}");
    }
    for a in ["Firebase", "AdMob", "Crashlytics", "Google Analytics"] {
        assert!(google.aliases.iter().any(|x| x == a), "google lacks alias {a}");
    }
    let fb = ont.entities.organization("facebook").unwrap();
    for d in ["facebook.com", "fbcdn.net", "instagram.com"] {
        assert!(fb.domains.iter().any(|x| x == d), "facebook lacks {d}");
    }
    // The file is compact enough to compile into the binary.
    assert!(ENTITIES_JSON.len() < 1_500_000, "entities.json is {} bytes", ENTITIES_JSON.len());
    let file = entities_file();
    assert!(file["organizations"].as_array().unwrap().len() >= 1000);
}
