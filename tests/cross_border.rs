//! Cross-border transfers end to end: server addresses of HAR captures
//! located with the shipped IP table, region statements read from English
//! and Chinese policies, CND020/CND021 findings and the exit code, the
//! countries in every report format, and bad tables refused.

#[path = "support/run.rs"]
mod run;

use candor::observe::geo::GeoTable;
use run::{candor, stderr, stdout, write};
use serde_json::Value;

const DIR: &str = "tests/fixtures/cross_border";

fn fx(name: &str) -> String {
    format!("{DIR}/{name}")
}

/// `candor check` with the rule extractor and JSON output; (exit code, report).
fn check(policy: &str, har: &str, extra: &[&str]) -> (i32, Value) {
    let (p, h) = (fx(policy), fx(har));
    let mut args = vec!["check", "--policy", &p, "--traffic", &h, "--extractor", "rules", "--no-cache", "--format", "json"];
    args.extend_from_slice(extra);
    let out = candor(&args);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("JSON report ({e}): {}", stderr(&out)));
    (out.status.code().unwrap_or(-1), report)
}

/// The cross-border findings (CND020, CND021) of a report.
fn transfers(report: &Value) -> Vec<&Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "CND020" || f["code"] == "CND021").collect()
}

fn host_country<'a>(report: &'a Value, host: &str) -> &'a Value {
    let hosts = report["cross_border"]["hosts"].as_array().expect("hosts");
    &hosts.iter().find(|h| h["host"] == host).unwrap_or_else(|| panic!("no host {host}"))["country"]
}

#[test]
fn shipped_table_locates_real_addresses() {
    let t = GeoTable::shipped().expect("shipped table loads");
    assert!(t.label().starts_with("geo-whois-asn-country "), "{}", t.label());
    let c = |ip: &str| t.country(ip.parse().unwrap());
    assert_eq!(c("114.114.114.114").as_deref(), Some("CN"));
    assert_eq!(c("8.8.8.8").as_deref(), Some("US"));
    assert_eq!(c("88.198.1.1").as_deref(), Some("DE"));
    assert_eq!(c("2001:4860:4860::8888").as_deref(), Some("US"));
    assert_eq!(c("240e::1").as_deref(), Some("CN"));
    assert_eq!(c("10.0.0.7"), None, "private addresses stay unknown");
    assert_eq!(c("192.168.1.1"), None, "private addresses stay unknown");
    assert_eq!(c("fe80::1"), None);
}

#[test]
fn eu_only_policy_and_identifier_to_a_us_server_is_an_error_naming_the_country() {
    let (code, report) = check("eu-only.md", "eu-app.har", &[]);
    assert_eq!(code, 1, "cross-border is in the default --fail-on");
    let found = transfers(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    assert_eq!(f["code"], "CND020");
    assert_eq!(f["severity"], "error");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("registered in US") && msg.contains("collect.stats-usa.example") && msg.contains("8.8.8.8"), "{msg}");
    assert!(msg.contains("not proof of where the data is stored"), "{msg}");
    assert!(f["labels"].as_array().unwrap().iter().any(|l| l["kind"] == "policy" && l["text"].as_str().unwrap().contains("outside the EEA")));
    // The in-region requests beside it are not reported.
    assert!(!found.iter().any(|f| f["message"].as_str().unwrap().contains("eu-notes.example")));
    assert_eq!(host_country(&report, "api.eu-notes.example"), "DE");
    assert_eq!(report["cross_border"]["home_region"], "EEA");
    // Only the cross-border finding decides the exit code here.
    let (code, _) = check("eu-only.md", "eu-app.har", &["--fail-on", "cross-border"]);
    assert_eq!(code, 1);
}

#[test]
fn chinese_keep_in_china_policy_and_device_id_to_a_us_server_is_an_error() {
    let (code, report) = check("cn-keeps.md", "cn-app.har", &["--fail-on", "cross-border"]);
    assert_eq!(code, 1);
    let found = transfers(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    let msg = found[0]["message"].as_str().unwrap();
    assert_eq!(found[0]["code"], "CND020");
    assert!(msg.contains("registered in US") && msg.contains("log.us-sdk.example") && msg.contains("outside CN"), "{msg}");
    // In-region hosts (IPv4 and IPv6) are located and not reported; a private address stays unknown.
    assert_eq!(host_country(&report, "img.cn-reader.example"), "CN");
    assert_eq!(host_country(&report, "api.cn-reader.example"), "CN");
    assert_eq!(report["cross_border"]["home_region"], "CN");
    assert_eq!(report["cross_border"]["home_source"], "policy");
    let flows = report["flows"].as_array().unwrap();
    assert!(flows.iter().any(|f| f["destination"]["ip"] == "10.0.0.7" && f["destination"]["country"].is_null()));
    assert!(flows.iter().any(|f| f["destination"]["host"] == "log.us-sdk.example" && f["destination"]["country"] == "US"));
}

#[test]
fn disclosed_transfers_are_clear_in_both_languages() {
    for (policy, har) in [("eu-discloses.md", "eu-app.har"), ("cn-discloses.md", "cn-app.har"), ("eu-conditional.md", "eu-app.har")] {
        let (code, report) = check(policy, har, &["--fail-on", "cross-border,undisclosed-transfer", "--home-region", "CN"]);
        assert_eq!(code, 0, "{policy}");
        assert!(transfers(&report).is_empty(), "{policy}: {:#?}", transfers(&report));
    }
}

#[test]
fn silent_policy_with_a_home_region_warns_and_without_one_judges_nothing() {
    for (policy, har, home, host) in
        [("eu-silent.md", "eu-app.har", "EU", "collect.stats-usa.example"), ("cn-silent.md", "cn-app.har", "cn", "log.us-sdk.example")]
    {
        let (code, report) = check(policy, har, &["--home-region", home, "--fail-on", "cross-border"]);
        assert_eq!(code, 0, "a warning is not in --fail-on cross-border");
        let found = transfers(&report);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0]["code"], "CND021");
        assert_eq!(found[0]["severity"], "warning");
        let msg = found[0]["message"].as_str().unwrap();
        assert!(msg.contains(host) && msg.contains("registered in US") && msg.contains("--home-region"), "{msg}");
        let (code, _) = check(policy, har, &["--home-region", home, "--fail-on", "undisclosed-transfer"]);
        assert_eq!(code, 1);
        let (_, report) = check(policy, har, &[]);
        assert!(transfers(&report).is_empty());
        assert_eq!(report["cross_border"]["home_region"], Value::Null);
        assert_eq!(host_country(&report, host), "US", "countries are listed even without a home region");
    }
}

#[test]
fn a_newer_table_can_be_passed_and_changes_the_country() {
    let tmp = tempfile::tempdir().unwrap();
    // A table where 8.0.0.0/8 is registered in Germany and 114.0.0.0/8 in China.
    let bytes = GeoTable::encode(&[(0x0800_0000, 0x08FF_FFFF, *b"DE"), (0x7200_0000, 0x72FF_FFFF, *b"CN")], &[], "test table").unwrap();
    let table = write(tmp.path(), "geo.bin", &bytes);
    let (code, report) = check("eu-only.md", "eu-app.har", &["--geo-table", table.to_str().unwrap(), "--fail-on", "cross-border"]);
    assert_eq!(code, 0);
    assert!(transfers(&report).is_empty());
    assert_eq!(host_country(&report, "collect.stats-usa.example"), "DE");
    assert!(host_country(&report, "cdn.eu-notes.example").is_null(), "not in this table: unknown");
    assert_eq!(report["cross_border"]["geo_table"], "test table");
}

#[test]
fn corrupt_or_truncated_tables_are_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let good = GeoTable::encode(&[(0x0800_0000, 0x08FF_FFFF, *b"US")], &[], "t").unwrap();
    let truncated = write(tmp.path(), "truncated.bin", &good[..good.len() - 3]);
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 0x20;
    let corrupt = write(tmp.path(), "corrupt.bin", &flipped);
    let junk = write(tmp.path(), "junk.bin", b"this is not a table at all, just some text that is long enough to pass the header length check of the geo table format ....");
    for (path, why) in [(&truncated, "truncated or corrupt"), (&corrupt, "checksum"), (&junk, "magic")] {
        let out = candor(&["check", "--policy", &fx("eu-only.md"), "--traffic", &fx("eu-app.har"), "--extractor", "rules", "--no-cache", "--geo-table", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(path.file_name().unwrap().to_str().unwrap()) && err.contains(why), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = candor(&["check", "--policy", &fx("eu-only.md"), "--extractor", "rules", "--no-cache", "--home-region", "Europe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--home-region"));
}

#[test]
fn extract_lists_region_statements_in_both_languages() {
    let out = candor(&["extract", &fx("cn-keeps.md"), "--extractor", "rules", "--no-cache", "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let kinds: Vec<(String, String, bool)> = v["region_statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["kind"].as_str().unwrap().to_string(), s["region"].as_str().or(s["safeguard"].as_str()).unwrap_or("abroad").to_string(), s["conditional"].as_bool().unwrap()))
        .collect();
    assert!(kinds.contains(&("stays_in".into(), "CN".into(), false)), "{kinds:?}");
    assert!(kinds.contains(&("safeguard".into(), "separate_consent".into(), true)), "{kinds:?}");
    assert!(kinds.contains(&("safeguard".into(), "security_assessment".into(), true)), "{kinds:?}");
    let out = candor(&["extract", &fx("eu-only.md"), "--extractor", "rules", "--no-cache", "--format", "text"]);
    let text = stdout(&out);
    assert!(text.contains("[region, rule-based] denies_transfer EEA"), "{text}");
    assert!(text.contains("[region, rule-based] stored_in EU"), "{text}");
}

#[test]
fn every_report_format_shows_the_countries() {
    let (p, h) = (fx("cn-keeps.md"), fx("cn-app.har"));
    let run = |format: &str| {
        let out = candor(&["check", "--policy", &p, "--traffic", &h, "--extractor", "rules", "--no-cache", "--format", format, "--color", "never"]);
        stdout(&out)
    };
    let text = run("text");
    assert!(text.contains("error[CND020]") && text.contains("log.us-sdk.example -> US [abroad]") && text.contains("img.cn-reader.example -> CN [home]"), "{text}");
    let md = run("md");
    assert!(md.contains("## Cross-border transfers") && md.contains("| log.us-sdk.example | US | abroad |"), "{md}");
    let html = run("html");
    assert!(html.contains("id=\"cross-border\"") && html.contains("id=\"data-by-country\"") && html.contains("geo-bar"), "html section");
    assert!(html.contains("CND020"));
    let sarif: Value = serde_json::from_str(&run("sarif")).expect("sarif json");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "CND020" && r["message"]["text"].as_str().unwrap().contains("registered in US")));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "CND021"));
}

#[test]
fn observe_shows_each_flows_server_and_country() {
    let out = candor(&["observe", &fx("eu-app.har"), "--format", "text"]);
    let text = stdout(&out);
    assert!(text.contains("8.8.8.8 in US") && text.contains("88.198.1.1 in DE"), "{text}");
}

/// An IPv4 packet (no checksums: the reader does not check them).
fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0];
    p[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

fn dns_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// A DNS query for `name`, or its response with one A record.
fn dns(name: &str, answer: Option<[u8; 4]>) -> Vec<u8> {
    let flags: u16 = if answer.is_some() { 0x8180 } else { 0x0100 };
    let mut m = vec![0x12, 0x34];
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
    m.extend_from_slice(&dns_name(name));
    m.extend_from_slice(&[0, 1, 0, 1]);
    if let Some(a) = answer {
        // Name: a pointer to the question; type A, class IN, TTL 60, 4 bytes.
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        m.extend_from_slice(&a);
    }
    m
}

/// A TCP segment carrying a TLS ClientHello naming `sni`.
fn tls_hello(dport: u16, sni: &str) -> Vec<u8> {
    let name = sni.as_bytes();
    let mut ext = vec![0, 0];
    ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
    ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    ext.extend_from_slice(name);
    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[7u8; 32]);
    hello.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    hello.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    hello.extend_from_slice(&ext);
    let mut hs = vec![1, 0];
    hs.extend_from_slice(&(hello.len() as u16).to_be_bytes());
    hs.extend_from_slice(&hello);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    let mut tcp = vec![0xc3, 0x50];
    tcp.extend_from_slice(&dport.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(&rec);
    tcp
}

/// A classic little-endian pcap of raw IPv4 packets.
fn pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0];
    for p in packets {
        f.extend_from_slice(&[0u8; 8]);
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(p);
    }
    f
}

#[test]
fn packet_captures_give_hosts_the_country_of_their_tls_server_or_dns_answer() {
    let (me, resolver) = ([10, 0, 0, 2], [10, 0, 0, 1]);
    let file = pcap(&[
        ipv4(17, me, resolver, &udp(5353, 53, &dns("api.cn-reader.example", None))),
        ipv4(17, resolver, me, &udp(53, 5353, &dns("api.cn-reader.example", Some([114, 114, 114, 114])))),
        ipv4(6, me, [8, 8, 8, 8], &tls_hello(443, "log.us-sdk.example")),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), "c.pcap", &file);
    let out = candor(&["observe", path.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let contacts = v["contacts"].as_array().unwrap();
    let find = |host: &str| contacts.iter().find(|c| c["destination"]["host"] == host).unwrap_or_else(|| panic!("no {host}: {contacts:#?}"));
    assert_eq!(find("api.cn-reader.example")["destination"]["ip"], "114.114.114.114");
    assert_eq!(find("api.cn-reader.example")["destination"]["country"], "CN");
    assert_eq!(find("log.us-sdk.example")["destination"]["ip"], "8.8.8.8");
    assert_eq!(find("log.us-sdk.example")["destination"]["country"], "US");
}

#[test]
fn catalog_counts_cross_border_flows_per_country_and_app() {
    let tmp = tempfile::tempdir().unwrap();
    let abs = |name: &str| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR).join(name).display().to_string();
    let line = |id: &str, policy: &str, har: &str| serde_json::json!({"app_id": id, "policy": abs(policy), "traffic": abs(har)}).to_string();
    let catalog = [line("eu", "eu-only.md", "eu-app.har"), line("cn", "cn-keeps.md", "cn-app.har"), line("cn-open", "cn-discloses.md", "cn-app.har")].join("\n");
    let list = write(tmp.path(), "apps.jsonl", catalog.as_bytes());
    let store = tmp.path().join("store");
    let out = candor(&["catalog", "run", list.to_str().unwrap(), "--store", store.to_str().unwrap(), "--extractor", "rules", "--jobs", "1", "--progress", "quiet", "--fail-on", "cross-border"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = candor(&["catalog", "report", "--store", store.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let us = v["summary"]["cross_border"].as_array().unwrap().iter().find(|r| r["name"] == "US").expect("US counted");
    assert_eq!(us["apps"], 2, "{us}");
    assert_eq!(us["findings"], 2, "one flow abroad in each of two apps: {us}");
    let app = |id: &str| v["apps"].as_array().unwrap().iter().find(|a| a["app_id"] == id).unwrap().clone();
    assert_eq!(app("eu")["flows_abroad"]["US"], 1);
    assert!(app("cn-open")["flows_abroad"].is_null(), "no home region stated: nothing is abroad");
    let md = stdout(&candor(&["catalog", "report", "--store", store.to_str().unwrap(), "--format", "md"]));
    assert!(md.contains("## Cross-border flows by country") && md.contains("| US | 2 | 2 |"), "{md}");
}
