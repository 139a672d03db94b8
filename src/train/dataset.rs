//! Training and evaluation examples: one sentence with the names of the
//! labels that hold for it, derived from the OPP-115 consolidated
//! annotations and split by policy.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// One labelled sentence.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Example {
    /// The policy the sentence comes from (splits never share a policy).
    pub policy: String,
    pub text: String,
    /// Names of the labels that hold (`practice`, `first_party`, `group:location`, ...).
    pub labels: Vec<String>,
}

/// Which split a policy belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Validation,
    Test,
}

/// FNV-1a of a text: a hash stable across platforms and Rust versions,
/// for splits and samples that must not change between runs.
pub fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Assign a policy to a split from a stable hash of its name: 20% test,
/// 10% validation, 70% train.
pub fn split_of(policy: &str) -> Split {
    match stable_hash(policy) % 10 {
        0 | 1 => Split::Test,
        2 => Split::Validation,
        _ => Split::Train,
    }
}

/// Read one JSON value per non-empty line (examples, labelled sentences).
pub fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> crate::Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::input(path, crate::error::describe_io(&e)))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| crate::Error::input(path, format!("line {}: {e}", i + 1))))
        .collect()
}

/// Write examples as JSONL.
pub fn write_jsonl<T: serde::Serialize>(path: &Path, examples: &[T]) -> crate::Result<()> {
    let mut out = String::new();
    for e in examples {
        out.push_str(&serde_json::to_string(e).map_err(|e| crate::Error::Data(e.to_string()))?);
        out.push('\n');
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, out).map_err(|e| crate::Error::input(path, e))
}

/// Annotators that must agree before a label counts for a sentence.
const MIN_VOTES: usize = 2;

/// Map an OPP-115 "Personal Information Type" value to a data-group label.
fn group_of(value: &str) -> Option<&'static str> {
    Some(match value {
        "Contact" => "contact",
        "Location" => "location",
        "Computer information" => "computer_info",
        "Cookies and tracking elements" => "cookies_tracking",
        "IP address and device IDs" => "ip_device_ids",
        "Demographic" => "demographic",
        "Financial" => "financial",
        "Health" => "health",
        "Personal identifier" => "personal_identifier",
        "Social media data" => "social_media",
        "Survey data" => "survey",
        "User online activities" => "online_activity",
        "User profile" | "User Profile" => "user_profile",
        "Generic personal information" => "generic",
        _ => return None,
    })
}

const FPCU: &str = "First Party Collection/Use";
const TPSC: &str = "Third Party Sharing/Collection";
const RETENTION: &str = "Data Retention";

/// One attribute of an annotation: its name, value and span in the segment.
struct Attribute {
    name: String,
    value: String,
    span: Option<(usize, usize)>,
}

/// Labels one annotation gives to a sentence spanning `range` of the segment.
fn labels_for(category: &str, attrs: &[Attribute], range: (usize, usize), text: &str) -> Vec<String> {
    let overlaps = |span: Option<(usize, usize)>| span.is_some_and(|(s, e)| s < range.1 && e > range.0);
    if !matches!(category, FPCU | TPSC | RETENTION) || !attrs.iter().any(|a| overlaps(a.span)) {
        return Vec::new();
    }
    let value = |name: &str| attrs.iter().find(|a| a.name == name).map(|a| a.value.as_str()).unwrap_or("");
    let mut out = vec!["practice".to_string()];
    match category {
        FPCU => {
            out.push("first_party".into());
            out.push("collect".into());
        }
        TPSC => {
            out.push("third_party".into());
            match value("Action Third Party") {
                "Collect on first party website/app" | "Track on first party website/app" => out.push("collect".into()),
                _ => out.push("share".into()),
            }
            let lower = text.to_ascii_lowercase();
            if ["sell", "sold", "selling", "rent ", "rented", "renting", "trade "].iter().any(|w| lower.contains(w)) {
                out.push("sell".into());
            }
        }
        _ => {
            out.push("first_party".into());
            out.push("retain".into());
        }
    }
    // Negation only where the annotators' "Does Not" span (the cue itself:
    // "will not", "never", "prohibits") lies in this sentence, not on every
    // sentence the annotation's other spans touch.
    if attrs.iter().any(|a| a.name == "Does/Does Not" && a.value == "Does Not" && overlaps(a.span)) {
        out.push("negated".into());
    }
    for a in attrs {
        if a.name == "Purpose" && a.value != "Unspecified" && overlaps(a.span) {
            out.push("use".into());
        }
        if a.name == "Personal Information Type" && overlaps(a.span) {
            if let Some(g) = group_of(&a.value) {
                out.push(format!("group:{g}"));
            }
        }
    }
    out
}

/// Words that name a data practice, in the forms that follow a negation
/// ("do not *share*", "is never *sold*"). Nouns ("collection", "use of")
/// are left out on purpose where they differ from the verb.
const PRACTICE_VERBS: &[&str] = &[
    "collect", "collects", "collected", "collecting", "gather", "gathers", "gathered", "gathering", "obtain", "obtains",
    "obtained", "obtaining", "receive", "receives", "received", "receiving", "access", "accessed", "accessing", "record",
    "recorded", "recording", "track", "tracks", "tracked", "tracking", "store", "stores", "stored", "storing", "retain",
    "retains", "retained", "retaining", "keep", "keeps", "kept", "keeping", "use", "uses", "used", "using", "process",
    "processed", "processing", "share", "shares", "shared", "sharing", "disclose", "discloses", "disclosed", "disclosing",
    "provide", "provides", "provided", "providing", "give", "gives", "given", "giving", "transfer", "transferred",
    "transferring", "transmit", "transmits", "transmitted", "transmitting", "sell", "sells", "sold", "selling", "rent",
    "rents", "rented", "renting", "trade", "trades", "traded", "trading", "swap", "lease", "leased", "release",
    "released", "distribute", "distributed", "solicit", "solicited", "request", "requested", "monitor", "monitored",
    "combine", "combined", "target", "targeted",
];

/// Words between a negation and a practice verb that make it something
/// else: "not *required* to provide", "not *intended* for use". None of
/// them is a practice verb.
const NOT_A_PRACTICE: &[&str] = &["required", "intended", "able", "obligated", "responsible", "have", "need", "wish", "want"];

/// Does the sentence say that a data practice does not happen? A negation
/// ("not", "never", "n't", "no ... is collected", "in no event", "prohibits
/// ... from") followed within three words by a practice verb, unless the
/// negated subject is the user ("if you do not provide", "please do not
/// share"), it is "may or may not", the words between make it a
/// requirement or an intent, or it is the name of the "Do Not Track" signal.
pub fn negates_a_practice(text: &str) -> bool {
    let mut lower = text.replace("Do Not Track", " ").replace("DO NOT TRACK", " ").to_lowercase();
    for signal in ["signal", "request", "header", "setting", "preference", "feature", "option", "mechanism", "browser"] {
        lower = lower.replace(&format!("do not track {signal}"), " ").replace(&format!("do-not-track {signal}"), " ");
    }
    let words: Vec<String> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('’', "'"))
        .collect();
    let is_verb = |w: &str| PRACTICE_VERBS.contains(&w);
    let user_before = |i: usize| {
        words[i.saturating_sub(3)..i]
            .iter()
            .any(|w| matches!(w.as_str(), "you" | "if" | "please" | "unless" | "whether"))
            || words[i.saturating_sub(2)..i].iter().any(|w| w == "or")
            || words[i.saturating_sub(8)..i].iter().any(|w| matches!(w.as_str(), "guarantee" | "ensure" | "warrant"))
    };
    for i in 0..words.len() {
        let w = words[i].as_str();
        let negation = matches!(w, "not" | "never" | "cannot")
            || (w.ends_with("n't") && w != "n't")
            || (w == "no" && words.get(i + 1).is_some_and(|n| n != "longer" && n != "one"))
            || (w == "prohibits" || w == "prohibit" || w == "prohibited");
        if !negation || user_before(i) {
            continue;
        }
        // "no personal information is collected": the verb may come later.
        let reach = if w == "no" || w.starts_with("prohibit") { 10 } else { 4 };
        for w2 in words.iter().skip(i + 1).take(reach) {
            if NOT_A_PRACTICE.contains(&w2.as_str()) {
                break;
            }
            if is_verb(w2) {
                return true;
            }
        }
    }
    false
}

/// Replace HTML tags with spaces of the same length, so offsets hold.
fn blank_tags(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut in_tag = false;
    for c in segment.chars() {
        if c == '<' {
            in_tag = true;
        }
        if in_tag {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
        if c == '>' {
            in_tag = false;
        }
    }
    out
}

/// Decode the few HTML entities OPP-115 segments use and collapse whitespace.
fn clean_sentence(s: &str) -> String {
    let s = s
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Build labelled sentences from the OPP-115 corpus folder
/// (`sanitized_policies/*.html` and
/// `consolidation/threshold-0.75-overlap-similarity/*.csv`).
pub fn opp115_examples(dir: &Path) -> crate::Result<Vec<(Split, Example)>> {
    let ann_dir = dir.join("consolidation/threshold-0.75-overlap-similarity");
    let mut names: Vec<String> = std::fs::read_dir(&ann_dir)
        .map_err(|e| crate::Error::input(&ann_dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".csv")).map(String::from))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let html_path = dir.join("sanitized_policies").join(format!("{name}.html"));
        let html = std::fs::read_to_string(&html_path).map_err(|e| crate::Error::input(&html_path, e))?;
        let segments: Vec<String> = html.split("|||").map(blank_tags).collect();
        // segment -> annotations (annotator, category, attributes)
        let mut by_segment: HashMap<usize, Vec<(String, String, Vec<Attribute>)>> = HashMap::new();
        let csv_path = ann_dir.join(format!("{name}.csv"));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&csv_path)
            .map_err(|e| crate::Error::input(&csv_path, e))?;
        for row in reader.records() {
            let row = row.map_err(|e| crate::Error::input(&csv_path, e))?;
            let (Some(annotator), Some(seg), Some(category), Some(json)) = (row.get(2), row.get(4), row.get(5), row.get(6))
            else {
                continue;
            };
            let Ok(seg) = seg.parse::<usize>() else { continue };
            let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else { continue };
            let attrs = map
                .iter()
                .map(|(k, v)| {
                    let s = v.get("startIndexInSegment").and_then(|x| x.as_i64()).unwrap_or(-1);
                    let e = v.get("endIndexInSegment").and_then(|x| x.as_i64()).unwrap_or(-1);
                    Attribute {
                        name: k.clone(),
                        value: v.get("value").and_then(|x| x.as_str()).unwrap_or("").to_string(),
                        span: (s >= 0 && e > s).then_some((s as usize, e as usize)),
                    }
                })
                .collect();
            by_segment.entry(seg).or_default().push((annotator.to_string(), category.to_string(), attrs));
        }
        let split = split_of(&name);
        for (si, segment) in segments.iter().enumerate() {
            let anns = by_segment.get(&si);
            for (s, e) in crate::policy::split_sentences(segment) {
                let text = clean_sentence(&segment[s..e]);
                if text.split_whitespace().count() < 3 {
                    continue;
                }
                let mut votes: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
                for (annotator, category, attrs) in anns.into_iter().flatten() {
                    for label in labels_for(category, attrs, (s, e), &text) {
                        votes.entry(label).or_default().insert(annotator);
                    }
                }
                let mut labels: Vec<String> =
                    votes.into_iter().filter(|(_, v)| v.len() >= MIN_VOTES).map(|(k, _)| k).collect();
                // The annotators' "Does Not" marks miss most negated statements
                // ("We will not share, sell, rent ... your email address" is a
                // practice without "Does Not"): a practice sentence whose wording
                // negates a practice verb is labelled negated too, in training
                // and validation; the held-out test set keeps the projection.
                if split != Split::Test
                    && labels.iter().any(|l| l == "practice")
                    && !labels.iter().any(|l| l == "negated")
                    && negates_a_practice(&text)
                {
                    labels.push("negated".into());
                    labels.sort();
                }
                out.push((split, Example { policy: name.clone(), text, labels }));
            }
        }
    }
    Ok(out)
}

/// A hand label of one sentence, found by (policy, sentence text).
pub trait SentenceLabel {
    fn sentence(&self) -> (&str, &str);
}

/// Hand labels by (policy, sentence text).
pub fn index_labels<L: SentenceLabel>(labels: &[L]) -> HashMap<(&str, &str), &L> {
    labels.iter().map(|l| (l.sentence(), l)).collect()
}

/// A hand label of one OPP-115 training or validation sentence: the data
/// groups of the practices it states and whether it states that a practice
/// does not happen, under the written guidelines of the held-out
/// adjudication (`models/training/SOURCES.md`).
#[derive(Debug, Clone, Deserialize)]
pub struct HandLabel {
    pub policy: String,
    pub text: String,
    /// Group names without the `group:` prefix.
    pub groups: Vec<String>,
    pub negated: bool,
}

impl SentenceLabel for HandLabel {
    fn sentence(&self) -> (&str, &str) {
        (&self.policy, &self.text)
    }
}

/// Replace the projected `group:*` and `negated` labels of every example by
/// its hand label (found by policy and text), and mark a sentence with a
/// hand-labelled group or negation as a practice; `groups` are the model's
/// group names. A sentence without a hand label, or a label naming an
/// unknown group, is an error: a partly relabelled split would mix two
/// labelling schemes silently.
pub fn apply_hand_labels(examples: &mut [Example], labels: &[HandLabel], groups: &[String]) -> crate::Result<()> {
    let by_text = index_labels(labels);
    for e in examples.iter_mut() {
        let l = by_text.get(&(e.policy.as_str(), e.text.as_str())).ok_or_else(|| {
            crate::Error::Data(format!("no hand label for a sentence of {}: {:?}", e.policy, e.text))
        })?;
        e.labels.retain(|x| !x.starts_with("group:") && x != "negated");
        for g in &l.groups {
            if !groups.iter().any(|n| n == g) {
                return Err(crate::Error::Data(format!("unknown data group {g:?} in the hand label of {}: {:?}", e.policy, e.text)));
            }
            e.labels.push(format!("group:{g}"));
        }
        if l.negated {
            e.labels.push("negated".into());
        }
        // The guideline gives groups (or negation) only to a sentence that
        // states a practice: OPP-115 files many of those under other
        // categories ("you consent to the collection of your information").
        if !l.groups.is_empty() || l.negated {
            e.labels.push("practice".into());
        }
        e.labels.sort();
        e.labels.dedup();
    }
    Ok(())
}

/// Data types whose phrases the synthetic sentences use: the ones apps are
/// checked for most, which OPP-115's 2016 website policies rarely name.
const SYNTHETIC_TYPES: &[&str] = &[
    "precise_location", "coarse_location", "location", "router_ssid", "contacts", "email_address", "phone_number",
    "person_name", "postal_address", "advertising_id", "android_id", "imei", "serial_number", "sim_serial_number",
    "mac_address", "device_ids", "ip_address", "cookies", "device_info", "device_model", "os_version", "carrier",
    "payment_card", "purchase_history", "birth_date", "gender", "health_info", "app_usage", "browsing_history",
    "search_history", "installed_apps", "crash_logs", "account_credentials", "government_id",
];

/// Seeded synthetic sentences ("We do not share your precise location with
/// advertisers.") with the labels they state, built from sentence templates
/// and the ontology's phrases. They teach the heads app-specific data types
/// and short negated statements; they are added to training only, never to
/// validation or test.
pub fn synthetic_examples(ont: &crate::ontology::Ontologies, groups: &[crate::extract::model::labels::DataGroup], count: usize, seed: u64) -> Vec<Example> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dt = &ont.data_types;
    let mut phrases: Vec<(String, String)> = Vec::new();
    for id in SYNTHETIC_TYPES {
        let Some(t) = dt.get(id) else { continue };
        let Some(g) = crate::extract::model::labels::group_of(groups, dt, id) else { continue };
        for name in t.names.iter().take(3) {
            phrases.push((name.clone(), format!("group:{}", g.name)));
        }
    }
    let recipients = ["advertisers", "third parties", "our partners", "analytics providers", "advertising networks", "Google", "Facebook", "data brokers", "service providers"];
    let purposes = ["provide the service", "show you relevant ads", "improve the app", "personalize your experience", "prevent fraud"];
    // (template, labels); {d} = data phrase, {r} = recipient, {p} = purpose
    let templates: &[(&str, &[&str])] = &[
        ("We collect your {d}.", &["practice", "first_party", "collect"]),
        ("We may collect your {d} when you use the app.", &["practice", "first_party", "collect"]),
        ("The app accesses your {d} to {p}.", &["practice", "first_party", "collect", "use"]),
        ("We use your {d} to {p}.", &["practice", "first_party", "collect", "use"]),
        ("We share your {d} with {r}.", &["practice", "third_party", "share"]),
        ("Your {d} may be disclosed to {r}.", &["practice", "third_party", "share"]),
        ("{R} may collect your {d} through our app.", &["practice", "third_party", "collect"]),
        ("We may sell your {d} to {r}.", &["practice", "third_party", "share", "sell"]),
        ("We retain your {d} for as long as your account is active.", &["practice", "first_party", "retain"]),
        ("We do not collect your {d}.", &["practice", "first_party", "collect", "negated"]),
        ("We never collect or store your {d}.", &["practice", "first_party", "collect", "negated"]),
        ("We do not share your {d} with {r}.", &["practice", "third_party", "share", "negated"]),
        ("Your {d} is never shared with {r}.", &["practice", "third_party", "share", "negated"]),
        ("We do not sell your {d}.", &["practice", "third_party", "share", "sell", "negated"]),
        ("The app does not access your {d}.", &["practice", "first_party", "collect", "negated"]),
    ];
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let (phrase, group) = &phrases[rng.gen_range(0..phrases.len())];
        let (template, labels) = templates[rng.gen_range(0..templates.len())];
        let r = recipients[rng.gen_range(0..recipients.len())];
        let mut r_cap = r.to_string();
        if let Some(c) = r_cap.get_mut(0..1) {
            c.make_ascii_uppercase();
        }
        let text = template
            .replace("{d}", phrase)
            .replace("{r}", r)
            .replace("{R}", &r_cap)
            .replace("{p}", purposes[rng.gen_range(0..purposes.len())]);
        let mut labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        labels.push(group.clone());
        labels.sort();
        out.push(Example { policy: format!("synthetic-{}", i / 50), text, labels });
    }
    out
}

/// Training examples from hand-labelled app-policy sentences (the
/// disclosure format of `tests/fixtures/eval/app_sentences.jsonl`), put in
/// the model's label space: `practice` when any disclosure is stated, the
/// actor kinds, the actions, `negated`, and the most specific data group
/// above each data type.
pub fn examples_from_disclosures(
    sentences: &[super::disclosure::AppSentence],
    ont: &crate::ontology::Ontologies,
    groups: &[crate::extract::model::labels::DataGroup],
) -> Vec<Example> {
    let dt = &ont.data_types;
    sentences
        .iter()
        .map(|s| {
            let mut labels: BTreeSet<String> = BTreeSet::new();
            for d in &s.disclosures {
                labels.insert("practice".into());
                labels.insert(if d.actor == "first_party" { "first_party" } else { "third_party" }.into());
                labels.insert(d.action.clone());
                if d.negated {
                    labels.insert("negated".into());
                }
                if let Some(g) = crate::extract::model::labels::group_of(groups, dt, &d.data_type) {
                    labels.insert(format!("group:{}", g.name));
                }
            }
            Example { policy: format!("app:{}", s.app), text: s.text.clone(), labels: labels.into_iter().collect() }
        })
        .collect()
}

#[cfg(test)]
mod disclosure_label_tests {
    use super::*;

    #[test]
    fn negated_practices_are_recognised_from_their_wording() {
        assert!(NOT_A_PRACTICE.iter().all(|w| !PRACTICE_VERBS.contains(w)));
        for t in [
            "We do not sell your personal information.",
            "We will not share, sell, rent, swap or authorize any third party to use your email address.",
            "No personally identifiable information is collected.",
            "Sci-News.com does not sell, trade or rent your personal information to third parties.",
            "We don't generally collect any personally identifying information about our users.",
            "This information is never shared with advertisers.",
            "In no event will we sell or rent your personal information.",
            "The company prohibits web beacons from being used to collect your personal information.",
            "We do not track your activities across third party websites.",
        ] {
            assert!(negates_a_practice(t), "{t}");
        }
        for t in [
            "If you do not provide your email address, you cannot register.",
            "Please do not disclose any information if you are under 13.",
            "Our services are not intended for use by children.",
            "The laws of these countries may or may not provide equivalent protection.",
            "A business is not required to provide the lists.",
            "We cannot guarantee that such third parties will not disclose your information.",
            "Our system may not respond to Do Not Track requests.",
            "We collect your email address and share it with partners.",
        ] {
            assert!(!negates_a_practice(t), "{t}");
        }
    }

    #[test]
    fn disclosures_become_labels_of_the_model() {
        let ont = crate::ontology::shipped().unwrap();
        let s: crate::train::disclosure::AppSentence = serde_json::from_str(
            r#"{"app":"a","text":"We do not share your precise location with advertisers.","disclosures":[{"actor":"category:advertising","action":"share","data_type":"precise_location","negated":true}]}"#,
        )
        .unwrap();
        let none: crate::train::disclosure::AppSentence =
            serde_json::from_str(r#"{"app":"a","text":"Contact us with questions.","disclosures":[]}"#).unwrap();
        let ex = examples_from_disclosures(&[s, none], ont, &crate::extract::model::labels::default_groups());
        assert_eq!(ex[0].labels, ["group:location", "negated", "practice", "share", "third_party"]);
        assert!(ex[1].labels.is_empty());
        assert_eq!(ex[0].policy, "app:a");
    }

    #[test]
    fn hand_labels_replace_projected_groups_and_negation() {
        let ex = |text: &str, labels: &[&str]| Example {
            policy: "p".into(),
            text: text.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
        };
        let label = |text: &str, groups: &[&str], negated: bool| HandLabel {
            policy: "p".into(),
            text: text.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            negated,
        };
        let groups: Vec<String> = ["contact", "generic"].map(String::from).to_vec();
        let mut examples = vec![
            ex("We will not sell your email address.", &["group:generic", "practice", "sell"]),
            ex("We may share information with partners.", &["negated", "practice", "share"]),
        ];
        let labels = vec![
            label("We will not sell your email address.", &["contact"], true),
            label("We may share information with partners.", &[], false),
        ];
        apply_hand_labels(&mut examples, &labels, &groups).unwrap();
        assert_eq!(examples[0].labels, ["group:contact", "negated", "practice", "sell"]);
        assert_eq!(examples[1].labels, ["practice", "share"]);
        let mut consent = vec![ex("You consent to the collection of your information.", &[])];
        let labels = vec![label("You consent to the collection of your information.", &["generic"], false)];
        apply_hand_labels(&mut consent, &labels, &groups).unwrap();
        assert_eq!(consent[0].labels, ["group:generic", "practice"]);
        // A sentence with no hand label, or an unknown group, is an error.
        let mut more = vec![ex("Another sentence entirely.", &[])];
        assert!(apply_hand_labels(&mut more, &labels, &groups).unwrap_err().to_string().contains("no hand label"));
        let bad = vec![label("Another sentence entirely.", &["contacts"], false)];
        assert!(apply_hand_labels(&mut more, &bad, &groups).unwrap_err().to_string().contains("unknown data group"));
    }
}
