//! Verdicts and findings of the compare stage, on hand-built practices and
//! flows over the shipped ontologies (independent of the model).

use candor::compare::{compare, judge_flow, Declared, FindingKind, Verdict};
use candor::extract::{Action, Actor, Evidence, Practice};
use candor::observe::{resolve_destination, Contact, FirstParty, Flow, FlowSource, Observation, RequestedPermission};

fn practice(actor: Actor, action: Action, data_type: &str, negated: bool) -> Practice {
    let text = format!("{actor} {action} {data_type}");
    Practice {
        actor,
        action,
        data_type: data_type.to_string(),
        negated,
        evidence: Evidence { start: 0, end: text.len(), text },
        data_phrase: None,
        confidence: 1.0,
        audience: None,
        except: Vec::new(),
        condition: None,
        scope: None,
        language: Default::default(),
        sdk: None,
    }
}

fn flow(data_type: &str, host: &str) -> Flow {
    let ont = candor::ontology::shipped().unwrap();
    let fp = FirstParty::from_package("com.acmeweather.app");
    Flow {
        data_type: data_type.to_string(),
        destination: resolve_destination(host, &ont.entities, &fp),
        source: FlowSource::Request {
            method: "POST".into(),
            url: format!("https://{host}/collect"),
            location: "body:json:x".into(),
            matched: "value:plain".into(),
            file: "t.har".into(),
            entry: 0,
        },
        confidence: 1.0,
    }
}

fn verdict(practices: &[Practice], f: &Flow) -> Verdict {
    judge_flow(f, practices, candor::ontology::shipped().unwrap(), false, false).verdict
}

#[test]
fn each_verdict_class() {
    let fb = flow("precise_location", "graph.facebook.com");
    assert_eq!(fb.destination.organization.as_deref(), Some("facebook"));
    // clear: exact data type and the named organization
    let ps = [practice(Actor::Organization("facebook".into()), Action::Share, "precise_location", false)];
    assert_eq!(verdict(&ps, &fb), Verdict::Clear);
    // vague: broader data type, or third parties in general, or a category
    let ps = [practice(Actor::Organization("facebook".into()), Action::Share, "location", false)];
    assert_eq!(verdict(&ps, &fb), Verdict::Vague);
    let ps = [practice(Actor::ThirdParty, Action::Share, "precise_location", false)];
    assert_eq!(verdict(&ps, &fb), Verdict::Vague);
    let ps = [practice(Actor::Category("advertising".into()), Action::Share, "precise_location", false)];
    assert_eq!(verdict(&ps, &fb), Verdict::Vague);
    // omitted: nothing covers it (first-party statements do not cover third parties)
    let ps = [practice(Actor::FirstParty, Action::Collect, "precise_location", false)];
    assert_eq!(verdict(&ps, &fb), Verdict::Omitted);
    let ps = [practice(Actor::ThirdParty, Action::Share, "email_address", false)];
    assert_eq!(verdict(&ps, &fb), Verdict::Omitted);
    // incorrect: only negative statements
    let ps = [practice(Actor::Category("advertising".into()), Action::Share, "precise_location", true)];
    assert_eq!(verdict(&ps, &fb), Verdict::Incorrect);
    // ambiguous: both, equally specific
    let ps = [
        practice(Actor::ThirdParty, Action::Share, "location", true),
        practice(Actor::ThirdParty, Action::Share, "location", false),
    ];
    assert_eq!(verdict(&ps, &fb), Verdict::Ambiguous);
    // the more specific statement decides: a named disclosure over a general denial ...
    let ps = [
        practice(Actor::ThirdParty, Action::Share, "location", true),
        practice(Actor::Organization("facebook".into()), Action::Share, "precise_location", false),
    ];
    assert_eq!(verdict(&ps, &fb), Verdict::Clear);
    // ... and a denial about advertisers over a general disclosure to third parties
    let ps = [
        practice(Actor::Category("advertising".into()), Action::Share, "precise_location", true),
        practice(Actor::ThirdParty, Action::Share, "location", false),
    ];
    assert_eq!(verdict(&ps, &fb), Verdict::Incorrect);
    // a sale denial denies no transfer; a restriction (scope) denies nothing
    let ps = [practice(Actor::ThirdParty, Action::Sell, "precise_location", true)];
    assert_eq!(verdict(&ps, &fb), Verdict::Omitted);
    let mut restricted = practice(Actor::ThirdParty, Action::Share, "precise_location", true);
    restricted.scope = Some("restriction".into());
    assert_eq!(verdict(&[restricted], &fb), Verdict::Omitted);
    // an unrelated category does not cover Facebook
    let ps = [practice(Actor::Category("payments".into()), Action::Share, "precise_location", false)];
    assert_eq!(verdict(&ps, &fb), Verdict::Omitted);
}

#[test]
fn first_party_flows_need_first_party_statements() {
    let own = flow("email_address", "api.acmeweather.com");
    assert!(own.destination.first_party);
    let ps = [practice(Actor::ThirdParty, Action::Share, "email_address", false)];
    assert_eq!(verdict(&ps, &own), Verdict::Omitted);
    let ps = [practice(Actor::FirstParty, Action::Collect, "email_address", false)];
    assert_eq!(verdict(&ps, &own), Verdict::Clear);
    let ps = [practice(Actor::FirstParty, Action::Collect, "contact_info", false)];
    assert_eq!(verdict(&ps, &own), Verdict::Vague);
}

#[test]
fn statements_about_children_only_do_not_judge_the_apps_flows() {
    // "We do not knowingly collect personal information from children under
    // 13" is extracted (audience: children) but neither contradicts nor
    // covers a flow of the app's users.
    let own = flow("email_address", "api.acmeweather.com");
    let mut coppa = practice(Actor::FirstParty, Action::Collect, "personal_info", true);
    coppa.audience = Some("children".into());
    assert_eq!(verdict(std::slice::from_ref(&coppa), &own), Verdict::Omitted);
    let general = practice(Actor::FirstParty, Action::Collect, "email_address", false);
    assert_eq!(verdict(&[coppa.clone(), general], &own), Verdict::Clear);
    coppa.audience = None;
    assert_eq!(verdict(&[coppa], &own), Verdict::Incorrect);
    // Both extractors mark such sentences, and only those.
    let rules = candor::extract::rules::RuleTables::shipped();
    for t in [
        "We do not knowingly collect personal information from children under 13.",
        "If we learn that we have collected personal data from a child under the age of 16, we will delete it.",
        "We comply with COPPA and do not collect information from kids under 13.",
        "We do not knowingly collect children\u{2019}s personal information.",
    ] {
        assert_eq!(rules.audience(t).as_deref(), Some("children"), "{t}");
    }
    for t in [
        "We do not sell your personal information.",
        "We collect information from all users, including parents and their children, to run the service.",
    ] {
        assert_eq!(rules.audience(t), None, "{t}");
    }
}

#[test]
fn findings_have_codes_and_evidence() {
    let ont = candor::ontology::shipped().unwrap();
    let fb = flow("advertising_id", "graph.facebook.com");
    let branch = flow("advertising_id", "api2.branch.io");
    let contact = |f: &Flow| Contact {
        method: "GET".into(),
        url: format!("https://{}/", f.destination.host),
        destination: f.destination.clone(),
        file: "t.har".into(),
        entry: 1,
        started_ms: None,
    };
    let observed = Observation {
        package: Some("com.example.app".into()),
        permissions: vec![RequestedPermission {
            name: "android.permission.READ_CONTACTS".into(),
            dangerous: true,
            data_types: vec!["contacts".into()],
            max_sdk: None,
            file: "AndroidManifest.xml".into(),
        }],
        features: vec![],
        flows: vec![fb.clone(), branch.clone()],
        contacts: vec![contact(&fb), contact(&branch)],
        ..Default::default()
    };
    let practices = [practice(Actor::Organization("facebook".into()), Action::Share, "advertising_id", true)];
    let declared = Declared { practices: &practices, mentioned_organizations: ["facebook".to_string()].into_iter().collect(), personal_info_defined: false };
    let result = compare(&declared, &observed, ont);
    let kinds: Vec<FindingKind> = result.findings.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&FindingKind::IncorrectFlow), "{kinds:?}");
    assert!(kinds.contains(&FindingKind::OmittedFlow), "{kinds:?}");
    assert!(kinds.contains(&FindingKind::UndisclosedPermission), "{kinds:?}");
    // Branch is contacted but never named; Facebook is named.
    let undisclosed: Vec<_> = result.findings.iter().filter(|f| f.kind == FindingKind::UndisclosedRecipient).collect();
    assert_eq!(undisclosed.len(), 1);
    assert_eq!(undisclosed[0].recipient.as_deref(), Some("branch"));
    let incorrect = result.findings.iter().find(|f| f.kind == FindingKind::IncorrectFlow).unwrap();
    assert_eq!(incorrect.code, "CND002");
    assert!(incorrect.labels.iter().any(|l| matches!(l, candor::compare::Label::Policy { note, .. } if note == "denied here")));
    assert!(incorrect.labels.iter().any(|l| matches!(l, candor::compare::Label::Request { url, .. } if url.contains("facebook"))));
    // Errors sort first.
    assert_eq!(result.findings[0].severity, candor::compare::Severity::Error);
    let counts = result.verdict_counts();
    assert_eq!(counts[&Verdict::Incorrect] + counts[&Verdict::Omitted], 2);
}

/// A practice whose sentence and data phrase are the given texts.
fn said(actor: Actor, action: Action, data_type: &str, negated: bool, text: &str, phrase: &str) -> Practice {
    let mut p = practice(actor, action, data_type, negated);
    p.evidence = Evidence { start: 0, end: text.len(), text: text.to_string() };
    let at = text.find(phrase).unwrap_or(0);
    p.data_phrase = Some(Evidence { start: at, end: at + phrase.len(), text: phrase.to_string() });
    p
}

#[test]
fn denials_read_in_their_ordinary_sense() {
    let ad_id = flow("advertising_id", "ads.applovin.com");
    let events = flow("app_interactions", "ads.applovin.com");
    // "We do not collect any personal information" covers what the app's
    // own SDKs send out: an advertising ID to an ad network ...
    let blanket = [said(Actor::FirstParty, Action::Collect, "personal_info", true, "We do not collect any personal information.", "personal information")];
    assert_eq!(verdict(&blanket, &ad_id), Verdict::Incorrect);
    // ... but not usage events, which are not personal information in the ordinary sense.
    assert_eq!(verdict(&blanket, &events), Verdict::Omitted);
    // "Personally identifiable information" does not reach an advertising ID.
    let pii = [said(Actor::FirstParty, Action::Collect, "personal_info", true, "We do not collect any personally identifiable information.", "personally identifiable information")];
    assert_eq!(verdict(&pii, &ad_id), Verdict::Omitted);
    // A denial that does not say "collect" ("does not log") says nothing of SDKs.
    let log = [said(Actor::FirstParty, Action::Collect, "personal_info", true, "The keyboard does not log user information.", "user information")];
    assert_eq!(verdict(&log, &ad_id), Verdict::Omitted);
}

#[test]
fn permission_flows_weigh_access_over_collection() {
    let mut location = flow("precise_location", "api.acmeweather.app");
    location.source = FlowSource::Permission { permission: "android.permission.ACCESS_FINE_LOCATION".into(), file: "AndroidManifest.xml".into() };
    location.destination.first_party = true;
    let denial = said(Actor::FirstParty, Action::Collect, "location", true, "We do not collect your location.", "location");
    // "we do not collect your location" denies the location permission ...
    assert_eq!(verdict(std::slice::from_ref(&denial), &location), Verdict::Incorrect);
    // ... unless the policy speaks of the permission itself.
    let access = said(Actor::FirstParty, Action::Collect, "location", false, "Some features require the location permission.", "location");
    assert_eq!(verdict(&[denial, access], &location), Verdict::Clear);
}

#[test]
fn consent_to_unnamed_recipients_discloses_no_transfer() {
    let ad_id = flow("advertising_id", "ads.applovin.com");
    let mut anyone = practice(Actor::ThirdParty, Action::Share, "personal_info", false);
    anyone.condition = Some("consent".into());
    assert_eq!(verdict(std::slice::from_ref(&anyone), &ad_id), Verdict::Omitted);
    let mut advertisers = practice(Actor::Category("advertising".into()), Action::Share, "advertising_id", false);
    advertisers.condition = Some("consent".into());
    assert_eq!(verdict(&[anyone, advertisers], &ad_id), Verdict::Vague);
}

#[test]
fn mentions_that_name_no_recipient() {
    let ont = candor::ontology::shipped().unwrap();
    let text = "We use Firebase Analytics.\n\nContact: privacy.team@gmail.com\n\nGoogle Sites Report abuse\n";
    let doc = candor::policy::parse_policy(text.as_bytes(), Some(candor::policy::PolicyFormat::Text), "p.txt").unwrap();
    let named = candor::extract::mentioned_organizations(&doc, ont);
    assert!(named.contains("google"), "Firebase names Google: {named:?}");
    let text = "Contact: privacy.team@gmail.com\n\nGoogle Sites Report abuse\n";
    let doc = candor::policy::parse_policy(text.as_bytes(), Some(candor::policy::PolicyFormat::Text), "p.txt").unwrap();
    assert!(candor::extract::mentioned_organizations(&doc, ont).is_empty());
}

#[test]
fn non_personal_data_covers_technical_data_only() {
    let ad_id = flow("advertising_id", "ads.applovin.com");
    let email = flow("email_address", "ads.applovin.com");
    let ps = [practice(Actor::Category("advertising".into()), Action::Share, "non_personal_info", false)];
    assert_eq!(verdict(&ps, &ad_id), Verdict::Vague);
    assert_eq!(verdict(&ps, &email), Verdict::Omitted);
    // The phrase is read as what it says, not as "personally identifiable information".
    let ont = candor::ontology::shipped().unwrap();
    let found: Vec<String> = ont.data_types.find_phrases("We may share your non-personally identifiable information.").into_iter().map(|m| m.id).collect();
    assert_eq!(found, ["non_personal_info"]);
}
