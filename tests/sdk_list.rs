//! Third-party SDK lists in policies (every shape, Chinese and English),
//! the SDK findings (CND030-CND033) firing and not firing, and the
//! signature table of Chinese SDKs.

#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use candor::compare::{compare, Declared, FindingKind};
use candor::extract::sdk_list::{read_sdk_list, sdk_list_practices, SdkListRow};
use candor::extract::{Action, Actor, Evidence, Practice};
use candor::observe::{AppInfo, Component, EmbeddedSdk, Observation, ObserveInputs, SdkDetector, SdkStatus};
use candor::ontology::{shipped, Ontologies};
use candor::policy::{load_policy, Language, PolicyDocument};
use run::{candor, stdout};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdk_list").join(name)
}

fn doc(name: &str) -> PolicyDocument {
    load_policy(&fixture(name)).unwrap()
}

fn rows(name: &str) -> Vec<SdkListRow> {
    read_sdk_list(&doc(name)).unwrap()
}

fn ont() -> &'static Ontologies {
    shipped().unwrap()
}

/// The practices of a fixture's SDK list.
fn list_practices(name: &str) -> Vec<Practice> {
    sdk_list_practices(&doc(name), ont()).unwrap()
}

/// Data types of the practices of the row named `sdk`.
fn types_of(practices: &[Practice], sdk: &str) -> Vec<String> {
    let mut t: Vec<String> =
        practices.iter().filter(|p| p.sdk.as_deref() == Some(sdk)).map(|p| p.data_type.clone()).collect();
    t.sort();
    t.dedup();
    t
}

fn actor_of(practices: &[Practice], sdk: &str) -> Actor {
    practices.iter().find(|p| p.sdk.as_deref() == Some(sdk)).map(|p| p.actor.clone()).expect("a practice for the row")
}

fn org(id: &str) -> Actor {
    Actor::Organization(id.to_string())
}

// ---- reading the list ----

#[test]
fn chinese_html_table() {
    let r = rows("zh_table.html");
    let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["极光推送SDK", "友盟+ SDK", "高德定位SDK"]);
    assert_eq!(r[0].provider.as_deref(), Some("深圳市和讯华谷信息技术有限公司"));
    assert_eq!(r[0].purpose.as_deref(), Some("消息推送"));
    assert_eq!(r[0].data.as_deref(), Some("设备标识符（IMEI、Android ID）、网络信息"));
    assert_eq!(r[0].link.as_deref(), Some("https://www.jiguang.cn/license/privacy"));
    assert!(r.iter().all(|x| x.share), "the heading says 共享清单");
    assert!(r.iter().all(|x| x.language == Language::Zh));
    let p = list_practices("zh_table.html");
    assert_eq!(actor_of(&p, "极光推送SDK"), org("jiguang_aurora_mobile_jpush"));
    assert_eq!(actor_of(&p, "友盟+ SDK"), org("umeng"));
    assert_eq!(actor_of(&p, "高德定位SDK"), org("alibaba"));
    assert!(types_of(&p, "极光推送SDK").iter().any(|t| t == "imei"));
    assert!(types_of(&p, "极光推送SDK").iter().any(|t| t == "android_id"));
    assert!(types_of(&p, "友盟+ SDK").iter().any(|t| t == "mac_address"));
    // Collected and shared, with the row as evidence.
    let jpush: Vec<&Practice> = p.iter().filter(|x| x.sdk.as_deref() == Some("极光推送SDK")).collect();
    assert!(jpush.iter().any(|x| x.action == Action::Collect) && jpush.iter().any(|x| x.action == Action::Share));
    let d = doc("zh_table.html");
    for x in &p {
        assert_eq!(&d.text[x.evidence.start..x.evidence.end], x.evidence.text);
        assert!(!x.negated);
    }
}

#[test]
fn chinese_markdown_table() {
    let r = rows("zh_table.md");
    let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["极光推送SDK", "个推SDK"]);
    assert_eq!(r[1].provider.as_deref(), Some("每日互动股份有限公司"));
    let p = list_practices("zh_table.md");
    assert_eq!(actor_of(&p, "个推SDK"), org("getui"));
    assert!(types_of(&p, "个推SDK").contains(&"imei".to_string()));
    assert!(p.iter().any(|x| x.action == Action::Share), "the heading says 共享清单");
}

#[test]
fn chinese_fields_in_one_paragraph() {
    let r = rows("zh_fields.txt");
    let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["极光推送SDK", "腾讯Bugly"]);
    assert_eq!(r[1].provider.as_deref(), Some("深圳市腾讯计算机系统有限公司"));
    assert_eq!(r[1].purpose.as_deref(), Some("崩溃日志收集"));
    assert!(r[1].link.as_deref().is_some_and(|l| l.starts_with("https://privacy.qq.com/")));
    let p = list_practices("zh_fields.txt");
    assert_eq!(actor_of(&p, "腾讯Bugly"), org("tencent"));
    // "第三方SDK目录" says nothing of sharing: collected only.
    assert!(p.iter().all(|x| x.action == Action::Collect));
    assert!(types_of(&p, "腾讯Bugly").contains(&"crash_logs".to_string()));
}

#[test]
fn chinese_one_field_per_item_under_a_title() {
    let r = rows("zh_fields_blocks.md");
    let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["个推推送SDK", "微信开放平台SDK"]);
    assert_eq!(r[0].provider.as_deref(), Some("每日互动股份有限公司"));
    assert_eq!(r[0].purpose.as_deref(), Some("向您推送消息"));
    let p = list_practices("zh_fields_blocks.md");
    assert_eq!(actor_of(&p, "个推推送SDK"), org("getui"));
    assert_eq!(actor_of(&p, "微信开放平台SDK"), org("tencent"));
    // "设备标识符（Android ID）": the umbrella and its member.
    assert_eq!(types_of(&p, "微信开放平台SDK"), ["android_id", "device_ids"]);
}

#[test]
fn chinese_text_table_in_one_block() {
    // A pipe table in a .txt policy: ingest joins its lines into one block.
    let r = rows("zh_text_table.txt");
    let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["极光推送SDK", "个推SDK"]);
    assert_eq!(r[1].provider.as_deref(), Some("每日互动股份有限公司"));
    assert_eq!(r[1].data.as_deref(), Some("IMEI、MAC address"));
    let d = doc("zh_text_table.txt");
    assert_eq!(&d.text[r[0].start..r[0].end], "极光推送SDK | 深圳市和讯华谷信息技术有限公司 | IMEI、Android ID");
    let p = list_practices("zh_text_table.txt");
    assert_eq!(types_of(&p, "个推SDK"), ["imei", "mac_address"]);
}

#[test]
fn english_table() {
    let r = rows("en_table.md");
    let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["Firebase Analytics", "AppsFlyer SDK"]);
    let p = list_practices("en_table.md");
    assert_eq!(actor_of(&p, "Firebase Analytics"), org("google"));
    assert_eq!(actor_of(&p, "AppsFlyer SDK"), org("appsflyer"));
    assert_eq!(types_of(&p, "AppsFlyer SDK"), ["advertising_id", "ip_address"]);
    assert!(p.iter().all(|x| x.language == Language::En));
}

#[test]
fn english_fields() {
    let r = rows("en_fields.html");
    let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["Google AdMob", "Sentry"]);
    assert_eq!(r[1].provider.as_deref(), Some("Functional Software, Inc."));
    assert_eq!(r[1].link, None);
    let p = list_practices("en_fields.html");
    assert_eq!(actor_of(&p, "Sentry"), org("sentry"));
    assert!(types_of(&p, "Google AdMob").contains(&"advertising_id".to_string()));
}

#[test]
fn policies_without_a_list_have_no_rows() {
    for f in ["zh_no_list.txt", "en_no_list.md", "cookie_table.md"] {
        assert!(rows(f).is_empty(), "{f}: {:?}", rows(f));
        assert!(list_practices(f).is_empty(), "{f}");
    }
}

#[test]
fn unknown_provider_becomes_an_unknown_organization() {
    let d = candor::policy::parse_policy(
        "| SDK名称 | 提供方 | 收集的个人信息 |\n| --- | --- | --- |\n| 示例统计SDK | 某某数据有限公司 | IMEI |\n".as_bytes(),
        Some(candor::policy::PolicyFormat::Markdown),
        "inline.md",
    )
    .unwrap();
    let p = sdk_list_practices(&d, ont()).unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].actor, org("某某数据有限公司"));
    assert_eq!(p[0].data_type, "imei");
    assert_eq!(p[0].sdk.as_deref(), Some("示例统计SDK"));
}

#[test]
fn extract_shows_the_sdk_in_text_and_json() {
    let f = fixture("zh_table.md");
    let f = f.to_str().unwrap();
    let o = candor(&["extract", f, "--extractor", "rules", "--no-cache", "--format", "json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let sdks: Vec<&str> = v["practices"].as_array().unwrap().iter().filter_map(|p| p["sdk"].as_str()).collect();
    assert!(sdks.contains(&"极光推送SDK") && sdks.contains(&"个推SDK"), "{sdks:?}");
    let o = candor(&["extract", f, "--extractor", "rules", "--no-cache", "--format", "text"]);
    assert!(stdout(&o).contains("[sdk: 个推SDK] org:getui collect imei"), "{}", stdout(&o));
}

// ---- findings ----

fn zh_practice() -> Practice {
    let text = "我们会收集您的手机号码。".to_string();
    Practice {
        actor: Actor::FirstParty,
        action: Action::Collect,
        data_type: "phone_number".to_string(),
        negated: false,
        evidence: Evidence { start: 0, end: text.len(), text },
        data_phrase: None,
        confidence: 1.0,
        audience: None,
        except: Vec::new(),
        condition: None,
        scope: None,
        language: Language::Zh,
        sdk: None,
    }
}

/// An SDK embedded by DEX class, as `observe` reports it.
fn embedded(name: &str, class: &str) -> EmbeddedSdk {
    let det = SdkDetector::shipped().unwrap();
    let s = det.sdks().iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no signature {name}"));
    EmbeddedSdk {
        tracker_id: s.id,
        name: s.name.clone(),
        organization: None,
        organization_name: None,
        categories: Vec::new(),
        tracker_categories: Vec::new(),
        website: String::new(),
        signature: s.code[0].clone(),
        class: class.to_string(),
        file: "app.apk!classes.dex".to_string(),
        status: SdkStatus::Embedded,
        contacted_hosts: Vec::new(),
    }
}

/// An app archive whose DEX code was read (so absent SDKs are known absent).
fn scanned_app(components: &[&str]) -> AppInfo {
    AppInfo {
        file: "app.apk".to_string(),
        platform: "android".to_string(),
        package: Some("cn.example.app".to_string()),
        components: components.iter().map(|c| Component { kind: "service".to_string(), name: c.to_string() }).collect(),
        classes: 1000,
        ..Default::default()
    }
}

fn findings(practices: &[Practice], obs: &Observation) -> Vec<candor::compare::Finding> {
    let declared = Declared { practices, ..Default::default() };
    compare(&declared, obs, ont()).findings
}

fn codes(f: &[candor::compare::Finding], kind: FindingKind) -> Vec<String> {
    f.iter().filter(|x| x.kind == kind).map(|x| x.message.clone()).collect()
}

fn observe_capture() -> Observation {
    let inputs = ObserveInputs { traffic: vec![fixture("capture.har")], ..Default::default() };
    candor::observe::observe(&inputs, ont()).unwrap()
}

#[test]
fn embedded_sdk_missing_from_the_list() {
    // The list names JPush and Getui; the app also holds GDT's code.
    let p = list_practices("zh_table.md");
    let obs = Observation {
        apps: vec![scanned_app(&[])],
        sdks: vec![
            embedded("JiGuang Aurora Mobile JPush", "cn.jpush.android.api.JPushInterface"),
            embedded("Tencent GDT (Youlianghui)", "com.qq.e.ads.splash.SplashAD"),
        ],
        ..Default::default()
    };
    let f = findings(&p, &obs);
    let missing = codes(&f, FindingKind::SdkNotListed);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("优量汇") && missing[0].contains("is in the app's code"), "{}", missing[0]);
    let gdt = f.iter().find(|x| x.kind == FindingKind::SdkNotListed).unwrap();
    assert_eq!(gdt.code, "CND030");
    assert_eq!(gdt.recipient.as_deref(), Some("tencent"));
    assert!(gdt.labels.iter().any(
        |l| matches!(l, candor::compare::Label::Code { element, .. } if element == "class com.qq.e.ads.splash.SplashAD")
    ));
    assert!(gdt.labels.iter().any(|l| matches!(l, candor::compare::Label::Policy { .. })));
    // Getui is listed but not in the code: a note.
    let absent = codes(&f, FindingKind::SdkListedNotFound);
    assert_eq!(absent.len(), 1, "{absent:?}");
    assert!(absent[0].contains("个推SDK"));
    assert!(codes(&f, FindingKind::SdkListMissing).is_empty());
}

#[test]
fn manifest_component_missing_from_the_list() {
    let p = list_practices("zh_fields.txt");
    let obs = Observation {
        apps: vec![scanned_app(&["com.igexin.sdk.PushService", "cn.example.app.MainService"])],
        ..Default::default()
    };
    let f = findings(&p, &obs);
    let missing = codes(&f, FindingKind::SdkNotListed);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].starts_with("Getui Push (个推)"), "{}", missing[0]);
    let getui = f.iter().find(|x| x.kind == FindingKind::SdkNotListed).unwrap();
    assert!(getui.labels.iter().any(
        |l| matches!(l, candor::compare::Label::Code { element, .. } if element == "service com.igexin.sdk.PushService")
    ));
}

#[test]
fn contacted_sdk_missing_from_the_list_and_unlisted_data() {
    // zh_fields.txt lists JPush (IMEI, Android ID) and Bugly; the capture
    // reaches Getui and sends a location to JPush.
    let p = list_practices("zh_fields.txt");
    let obs = observe_capture();
    let f = findings(&p, &obs);
    let missing = codes(&f, FindingKind::SdkNotListed);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("Getui") && missing[0].contains("was contacted by the app"), "{}", missing[0]);
    let extra: Vec<&candor::compare::Finding> = f.iter().filter(|x| x.kind == FindingKind::SdkDataNotListed).collect();
    assert!(!extra.is_empty(), "{f:#?}");
    for x in &extra {
        assert_eq!(x.recipient.as_deref(), Some("jiguang_aurora_mobile_jpush"));
        let t = x.data_type.as_deref().unwrap();
        assert!(t != "imei" && t != "android_id", "listed types must not be reported: {t}");
        assert!(x.labels.iter().any(|l| matches!(l, candor::compare::Label::Request { .. })));
        assert!(x.labels.iter().any(|l| matches!(l, candor::compare::Label::Policy { .. })));
    }
    assert!(extra.iter().any(|x| x.data_type.as_deref().is_some_and(|t| t.contains("location"))), "{extra:#?}");
    // No code was scanned: absent SDKs are not reported.
    assert!(codes(&f, FindingKind::SdkListedNotFound).is_empty());
}

#[test]
fn nothing_fires_when_the_list_matches_the_app() {
    // zh_table.md lists JPush and Getui; the app holds both, and the
    // capture sends JPush an IMEI and an Android ID only.
    let p = list_practices("zh_table.md");
    let mut obs = observe_capture();
    obs.flows.retain(|f| matches!(f.data_type.as_str(), "imei" | "android_id"));
    obs.apps = vec![scanned_app(&["com.igexin.sdk.PushService"])];
    obs.sdks = vec![embedded("JiGuang Aurora Mobile JPush", "cn.jpush.android.api.JPushInterface")];
    let f = findings(&p, &obs);
    for k in [
        FindingKind::SdkNotListed,
        FindingKind::SdkListMissing,
        FindingKind::SdkDataNotListed,
        FindingKind::SdkListedNotFound,
    ] {
        assert!(codes(&f, k).is_empty(), "{k:?}: {:?}", codes(&f, k));
    }
}

#[test]
fn missing_list_in_a_chinese_policy() {
    let mut p = list_practices("zh_no_list.txt");
    p.push(zh_practice());
    let obs = Observation {
        sdks: vec![embedded("Tencent GDT (Youlianghui)", "com.qq.e.ads.splash.SplashAD")],
        ..Default::default()
    };
    let f = findings(&p, &obs);
    let m = codes(&f, FindingKind::SdkListMissing);
    assert_eq!(m.len(), 1);
    assert!(m[0].contains("认定方法 二.1") && m[0].contains("优量汇"), "{}", m[0]);
    assert!(codes(&f, FindingKind::SdkNotListed).is_empty());
    // No SDK seen: nothing to list.
    let f = findings(&p, &Observation::default());
    assert!(codes(&f, FindingKind::SdkListMissing).is_empty());
    // An English policy without a list: not required, not reported.
    let f = findings(&list_practices("en_no_list.md"), &obs);
    assert!(codes(&f, FindingKind::SdkListMissing).is_empty());
}

#[test]
fn check_reports_sdk_findings_in_every_format() {
    let policy = fixture("zh_fields.txt");
    let har = fixture("capture.har");
    let (policy, har) = (policy.to_str().unwrap(), har.to_str().unwrap());
    for (format, needle) in
        [("json", "\"CND030\""), ("text", "CND030"), ("md", "CND030"), ("html", "CND030"), ("sarif", "\"CND030\"")]
    {
        let o = candor(&[
            "check",
            "--policy",
            policy,
            "--traffic",
            har,
            "--extractor",
            "rules",
            "--no-cache",
            "--format",
            format,
        ]);
        let out = stdout(&o);
        assert!(out.contains(needle), "{format}: {out}");
        assert!(out.contains("CND032"), "{format}: no CND032");
    }
    let o = candor(&[
        "check",
        "--policy",
        policy,
        "--traffic",
        har,
        "--extractor",
        "rules",
        "--no-cache",
        "--fail-on",
        "sdk-not-listed",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

// ---- the signature table ----

#[test]
fn signature_table_is_sound() {
    let det = SdkDetector::shipped().unwrap();
    let ont = ont();
    let mut prefixes = std::collections::HashMap::new();
    let mut ids = std::collections::HashSet::new();
    let mut chinese = 0;
    for (i, s) in det.sdks().iter().enumerate() {
        assert!(ids.insert(s.id), "duplicate id {}", s.id);
        assert!(s.code.iter().any(|c| c.trim().len() >= 3) || !s.network.is_empty(), "{}: no prefix or domain", s.name);
        for c in &s.code {
            let c = c.trim().trim_end_matches('.');
            if let Some(other) = prefixes.insert(c.to_string(), s.name.clone()) {
                panic!("prefix {c} in both {other} and {}", s.name);
            }
        }
        for n in &s.network {
            regex::Regex::new(n).unwrap_or_else(|e| panic!("{}: {n}: {e}", s.name));
        }
        if let Some(o) = &s.organization {
            assert!(ont.entities.organization(o).is_some(), "{}: unknown organization {o}", s.name);
        }
        let has_chinese = s.names.iter().any(|n| n.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        if has_chinese {
            chinese += 1;
            assert!(det.organization(i, &ont.entities).is_some(), "{}: organization does not resolve", s.name);
        }
        if s.source.as_deref() == Some("candor") {
            assert!(s.id > 100_000 && has_chinese && s.organization.is_some(), "{}", s.name);
        }
    }
    assert!(chinese >= 60, "{chinese} SDKs with Chinese names");
    // The starting set of the issue.
    for (class, name) in [
        ("Lcn/jpush/android/service/PushService;", "JiGuang Aurora Mobile JPush"),
        ("Lcom/umeng/analytics/MobclickAgent;", "Umeng Analytics"),
        ("Lcom/igexin/sdk/PushManager;", "Getui Push"),
        ("Lcom/tencent/bugly/crashreport/CrashReport;", "Bugly"),
        ("Lcom/amap/api/location/AMapLocationClient;", "AutoNavi / Amap"),
        ("Lcom/baidu/location/LocationClient;", "Baidu Location"),
        ("Lcom/bytedance/sdk/openadsdk/TTAdSdk;", "Pangle"),
        ("Lcom/qq/e/ads/splash/SplashAD;", "Tencent GDT (Youlianghui)"),
        ("Lcom/kwad/sdk/api/KsAdSDK;", "Kuaishou Ads"),
        ("Lcom/huawei/hms/push/HmsMessaging;", "Huawei Push"),
        ("Lcom/xiaomi/mipush/sdk/MiPushClient;", "Xiaomi Push"),
        ("Lcom/heytap/msp/push/HeytapPushManager;", "OPPO Push"),
        ("Lcom/vivo/push/PushClient;", "vivo Push"),
        ("Lcom/tencent/mm/opensdk/openapi/WXAPIFactory;", "WeChat OpenSDK"),
        ("Lcom/tencent/tauth/Tencent;", "QQ Connect"),
        ("Lcom/alipay/sdk/app/PayTask;", "Alipay SDK"),
        ("Lcom/sina/weibo/sdk/WbSdk;", "Sina Weibo SDK"),
        ("Lcom/sensorsdata/analytics/android/sdk/SensorsDataAPI;", "Sensors Analytics"),
        ("Lcom/tendcloud/tenddata/TCAgent;", "TalkingData"),
        ("Lcn/sharesdk/framework/ShareSDK;", "MobTech ShareSDK"),
    ] {
        let m = det.detect([class]);
        assert!(
            m.iter().any(|m| det.sdks()[m.sdk].name == name),
            "{class}: {:?}",
            m.iter().map(|m| &det.sdks()[m.sdk].name).collect::<Vec<_>>()
        );
    }
    // ByteDance's analytics is not Pangle.
    let m = det.detect(["Lcom/bytedance/applog/AppLog;"]);
    assert_eq!(m.iter().map(|m| det.sdks()[m.sdk].name.as_str()).collect::<Vec<_>>(), ["Volcengine AppLog"]);
    // Hosts.
    let hosts = |h: &str| det.match_host(h).into_iter().map(|i| det.sdks()[i].name.clone()).collect::<Vec<_>>();
    assert!(hosts("api.jpush.cn").contains(&"JiGuang Aurora Mobile JPush".to_string()));
    assert!(hosts("sdk.open.api.igexin.com").contains(&"Getui Push".to_string()));
    assert!(hosts("mi.gdt.qq.com").contains(&"Tencent GDT (Youlianghui)".to_string()));
    assert!(hosts("www.example.com").is_empty());
}

#[test]
fn appended_organizations_are_unique() {
    let ont = ont();
    let mut names = std::collections::HashMap::new();
    for o in ont.entities.organizations() {
        for n in std::iter::once(&o.name).chain(&o.aliases) {
            let n = n.trim_start_matches('=').to_lowercase();
            if let Some(other) = names.insert(n.clone(), o.id.clone()) {
                assert_eq!(other, o.id, "name {n} in two organizations");
            }
        }
    }
    for id in ["getui", "kuaishou", "shumei", "china_mobile", "msa"] {
        assert!(ont.entities.organization(id).is_some(), "{id}");
    }
}
