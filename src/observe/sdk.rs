//! SDK detection: class names from an app's DEX files are matched against
//! the Exodus Privacy tracker code signatures (Java package prefixes,
//! shipped in `ontology/sdk_signatures.json`). Each SDK found gets its
//! owner from the entity ontology (by website domain, network signature
//! domain or name) and candor categories from the Exodus ones.
//!
//! An embedded SDK is not a data flow: it is reported as `embedded`, and
//! as `contacted` only when traffic reached a host its network signature
//! names.
//!
//! The table also holds SDKs common in Chinese apps (entries with source
//! `candor`), and per SDK the other names a policy's SDK list uses for it
//! (English and Chinese), its organization in the entity ontology and the
//! manifest components it declares. [`SdkDetector::seen`] gathers every
//! SDK an observation shows: by DEX class, by manifest component and by a
//! contacted host.

use super::{Contact, EmbeddedSdk, Observation, SdkStatus};
use crate::ontology::EntityOntology;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;

/// The shipped signature table.
pub const SDK_SIGNATURES_JSON: &str = include_str!("../../ontology/sdk_signatures.json");

/// One tracker SDK of the table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SdkSignature {
    /// Exodus tracker id.
    pub id: u32,
    pub name: String,
    /// Java package prefixes (`com.facebook.ads.`).
    pub code: Vec<String>,
    /// Host regular expressions (`graph\.facebook\.com`).
    #[serde(default)]
    pub network: Vec<String>,
    #[serde(default)]
    pub website: String,
    /// Exodus categories (Advertisement, Analytics, Crash reporting, ...),
    /// and for candor's entries also Push, Location, Payment, Login,
    /// Social, Messaging, Fraud prevention, Cloud, Identification.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Other names a policy uses for the SDK (English and Chinese).
    #[serde(default)]
    pub names: Vec<String>,
    /// The entity-ontology organization id, when set by hand.
    #[serde(default)]
    pub organization: Option<String>,
    /// Manifest component class names the SDK declares (besides any
    /// component under one of its code prefixes).
    #[serde(default)]
    pub components: Vec<String>,
    /// Where the entry comes from: `exodus`, `exodus+candor` or `candor`.
    #[serde(default)]
    pub source: Option<String>,
}

/// How an SDK was seen in an observation.
#[derive(Debug, Clone, PartialEq)]
pub enum SdkEvidence {
    /// A DEX class under one of its code prefixes.
    Class { class: String, file: String },
    /// A manifest component (`service com.igexin.sdk.PushService`).
    Component { kind: String, name: String, file: String },
    /// A request to a host of its network signature.
    Contact { contact: Contact },
}

/// One SDK an observation shows, with all the evidence for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenSdk {
    /// Index into [`SdkDetector::sdks`].
    pub sdk: usize,
    pub evidence: Vec<SdkEvidence>,
}

impl SeenSdk {
    /// True when the SDK's code is in the app (a class or a component), not
    /// only its hosts in traffic.
    pub fn embedded(&self) -> bool {
        self.evidence.iter().any(|e| !matches!(e, SdkEvidence::Contact { .. }))
    }

    /// True when traffic reached one of its hosts.
    pub fn contacted(&self) -> bool {
        self.evidence.iter().any(|e| matches!(e, SdkEvidence::Contact { .. }))
    }
}

#[derive(Deserialize)]
struct SdkFile {
    sdks: Vec<SdkSignature>,
}

/// A compiled signature table.
#[derive(Debug, Clone)]
pub struct SdkDetector {
    sdks: Vec<SdkSignature>,
    automaton: AhoCorasick,
    /// Per pattern: (sdk index, code index).
    patterns: Vec<(usize, usize)>,
    /// Per SDK, its network signature compiled (invalid expressions dropped).
    network: Vec<Vec<regex::Regex>>,
}

/// One match: which SDK, by which signature, with one class as evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkMatch {
    pub sdk: usize,
    pub signature: String,
    pub class: String,
}

impl SdkDetector {
    /// Parse a signature table (the shipped one is [`SdkDetector::shipped`]).
    pub fn from_json(json: &str) -> crate::Result<Self> {
        let file: SdkFile =
            serde_json::from_str(json).map_err(|e| crate::Error::Data(format!("sdk_signatures.json: {e}")))?;
        let mut pats = Vec::new();
        let mut patterns = Vec::new();
        for (i, s) in file.sdks.iter().enumerate() {
            for (j, c) in s.code.iter().enumerate() {
                let c = c.trim();
                if c.len() < 3 {
                    continue;
                }
                pats.push(format!("L{}", c.replace('.', "/")));
                patterns.push((i, j));
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&pats)
            .map_err(|e| crate::Error::Data(format!("sdk_signatures.json: {e}")))?;
        let network = file
            .sdks
            .iter()
            .map(|s| {
                s.network
                    .iter()
                    .filter_map(|n| regex::RegexBuilder::new(n).case_insensitive(true).size_limit(1 << 20).build().ok())
                    .collect()
            })
            .collect();
        Ok(SdkDetector { sdks: file.sdks, automaton, patterns, network })
    }

    /// The shipped table, compiled on first use.
    pub fn shipped() -> crate::Result<&'static SdkDetector> {
        use std::sync::OnceLock;
        static CELL: OnceLock<Result<SdkDetector, String>> = OnceLock::new();
        match CELL.get_or_init(|| SdkDetector::from_json(SDK_SIGNATURES_JSON).map_err(|e| e.to_string())) {
            Ok(d) => Ok(d),
            Err(e) => Err(crate::Error::Data(e.clone())),
        }
    }

    /// All signatures.
    pub fn sdks(&self) -> &[SdkSignature] {
        &self.sdks
    }

    /// Match class descriptors (`Lcom/foo/Bar;`): one match per SDK, the
    /// first class seen and the longest signature that matched it.
    pub fn detect<'a>(&self, descriptors: impl IntoIterator<Item = &'a str>) -> Vec<SdkMatch> {
        let mut seen = vec![false; self.sdks.len()];
        let mut out: Vec<SdkMatch> = Vec::new();
        for d in descriptors {
            // Per SDK, the longest signature that is a prefix of this descriptor.
            let mut here: Vec<(usize, usize)> = Vec::new();
            for m in self.automaton.find_overlapping_iter(d) {
                if m.start() != 0 {
                    continue;
                }
                let (sdk, code) = self.patterns[m.pattern().as_usize()];
                if seen[sdk] {
                    continue;
                }
                match here.iter_mut().find(|(s, _)| *s == sdk) {
                    Some(e) if self.sdks[sdk].code[e.1].len() < self.sdks[sdk].code[code].len() => e.1 = code,
                    Some(_) => {}
                    None => here.push((sdk, code)),
                }
            }
            for (sdk, code) in here {
                seen[sdk] = true;
                out.push(SdkMatch {
                    sdk,
                    signature: self.sdks[sdk].code[code].clone(),
                    class: super::dex::descriptor_to_java(d),
                });
            }
        }
        out
    }

    /// Turn a match into an [`EmbeddedSdk`], with its owner and categories.
    pub fn describe(&self, m: &SdkMatch, entities: &EntityOntology, file: &str) -> EmbeddedSdk {
        let s = &self.sdks[m.sdk];
        let org = organization_for(s, entities);
        let mut categories: Vec<String> = Vec::new();
        for c in &s.categories {
            let mapped = category_id(c);
            if let Some(m) = mapped.filter(|m| entities.category(m).is_some()) {
                if !categories.iter().any(|x| x == m) {
                    categories.push(m.to_string());
                }
            }
        }
        if let Some(o) = org {
            for c in &o.categories {
                if !categories.contains(c) {
                    categories.push(c.clone());
                }
            }
        }
        EmbeddedSdk {
            tracker_id: s.id,
            name: s.name.clone(),
            organization: org.map(|o| o.id.clone()),
            organization_name: org.map(|o| o.name.clone()),
            categories,
            tracker_categories: s.categories.clone(),
            website: s.website.clone(),
            signature: m.signature.clone(),
            class: m.class.clone(),
            file: file.to_string(),
            status: SdkStatus::Embedded,
            contacted_hosts: Vec::new(),
        }
    }

    /// Mark SDKs whose network signature matches a contacted host.
    pub fn mark_contacted(&self, sdks: &mut [EmbeddedSdk], contacts: &[Contact]) {
        let mut hosts: Vec<&str> = contacts.iter().map(|c| c.destination.host.as_str()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        for sdk in sdks.iter_mut() {
            let Some(sig) = self.sdks.iter().find(|s| s.id == sdk.tracker_id) else { continue };
            let Some(i) = self.sdks.iter().position(|s| s.id == sig.id) else { continue };
            let regexes = &self.network[i];
            for h in &hosts {
                if regexes.iter().any(|r| r.is_match(h)) && !sdk.contacted_hosts.iter().any(|x| x == h) {
                    sdk.contacted_hosts.push(h.to_string());
                }
            }
            if !sdk.contacted_hosts.is_empty() {
                sdk.status = SdkStatus::Contacted;
            }
        }
    }

    /// The SDKs whose code prefix starts a manifest component's class name
    /// or which list the component by name: (sdk index, matching prefix or name).
    pub fn match_component(&self, class: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (i, s) in self.sdks.iter().enumerate() {
            let hit = s.components.iter().find(|c| c.as_str() == class).or_else(|| {
                s.code.iter().filter(|c| c.trim().len() >= 3 && class.starts_with(c.trim())).max_by_key(|c| c.len())
            });
            if let Some(h) = hit {
                out.push((i, h.clone()));
            }
        }
        out
    }

    /// The SDKs whose network signature matches a host.
    pub fn match_host(&self, host: &str) -> Vec<usize> {
        (0..self.sdks.len()).filter(|&i| self.network[i].iter().any(|r| r.is_match(host))).collect()
    }

    /// Every SDK the observation shows, in a stable order: embedded ones
    /// found in DEX code ([`Observation::sdks`]), SDKs whose components an
    /// app's manifest declares, and SDKs whose hosts were contacted (first
    /// party hosts excepted). At most `MAX_EVIDENCE` pieces of evidence of
    /// each kind are kept per SDK.
    pub fn seen(&self, obs: &Observation) -> Vec<SeenSdk> {
        const MAX_EVIDENCE: usize = 5;
        let mut out: Vec<SeenSdk> = Vec::new();
        let add = |out: &mut Vec<SeenSdk>, sdk: usize, e: SdkEvidence| {
            let idx = match out.iter().position(|s| s.sdk == sdk) {
                Some(i) => i,
                None => {
                    out.push(SeenSdk { sdk, evidence: Vec::new() });
                    out.len() - 1
                }
            };
            let same_kind =
                out[idx].evidence.iter().filter(|x| std::mem::discriminant(*x) == std::mem::discriminant(&e)).count();
            if same_kind < MAX_EVIDENCE && !out[idx].evidence.contains(&e) {
                out[idx].evidence.push(e);
            }
        };
        for e in &obs.sdks {
            if let Some(i) = self.sdks.iter().position(|s| s.id == e.tracker_id) {
                add(&mut out, i, SdkEvidence::Class { class: e.class.clone(), file: e.file.clone() });
            }
        }
        for app in &obs.apps {
            for c in &app.components {
                for (i, _) in self.match_component(&c.name) {
                    add(
                        &mut out,
                        i,
                        SdkEvidence::Component { kind: c.kind.clone(), name: c.name.clone(), file: app.file.clone() },
                    );
                }
            }
        }
        // Each host is matched once (a capture repeats few hosts many times).
        let mut by_host: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
        for c in obs.contacts.iter().filter(|c| !c.destination.first_party) {
            let host = c.destination.host.as_str();
            let sdks = by_host.entry(host).or_insert_with(|| self.match_host(host));
            for &i in sdks.iter() {
                add(&mut out, i, SdkEvidence::Contact { contact: c.clone() });
            }
        }
        out
    }

    /// The SDKs a name from a policy (an SDK list row) refers to: those
    /// whose name or one of whose other names the policy's name contains
    /// (compared without case, spaces or a trailing "SDK"), longest name
    /// first. Names shorter than two characters are ignored.
    pub fn match_name(&self, text: &str) -> Vec<usize> {
        let t = normalize_name(text);
        if t.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for (i, s) in self.sdks.iter().enumerate() {
            let best = std::iter::once(&s.name)
                .chain(&s.names)
                .map(|n| normalize_name(n))
                .filter(|n| {
                    n.chars().count() >= 2 && if n.is_ascii() && n.len() <= 3 { t == *n } else { t.contains(n.as_str()) }
                })
                .map(|n| n.len())
                .max();
            if let Some(len) = best {
                hits.push((i, len));
            }
        }
        let longest = hits.iter().map(|h| h.1).max().unwrap_or(0);
        hits.retain(|h| h.1 == longest);
        hits.into_iter().map(|h| h.0).collect()
    }

    /// The organization behind the SDK at `index`, if known.
    pub fn organization<'o>(&self, index: usize, entities: &'o EntityOntology) -> Option<&'o crate::ontology::Organization> {
        self.sdks.get(index).and_then(|s| organization_for(s, entities))
    }
}

/// An SDK name compared loosely: lower case, no spaces, hyphens or
/// underscores, no trailing "sdk".
pub fn normalize_name(s: &str) -> String {
    let n: String =
        s.chars().filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '·')).flat_map(char::to_lowercase).collect();
    let n = n.strip_suffix("sdk").unwrap_or(&n);
    n.to_string()
}

/// The entity-ontology category a signature category stands for.
fn category_id(c: &str) -> Option<&'static str> {
    match c {
        "Advertisement" => Some("advertising"),
        "Analytics" | "Profiling" => Some("analytics"),
        "Crash reporting" => Some("crash_reporting"),
        "Push" | "Messaging" => Some("push_messaging"),
        "Location" => Some("maps"),
        "Payment" => Some("payments"),
        "Login" => Some("authentication"),
        "Social" => Some("social_network"),
        "Fraud prevention" => Some("fraud_prevention"),
        "Cloud" => Some("cloud_cdn"),
        _ => None,
    }
}

/// The organization behind an SDK: the one set by hand, by website host,
/// by a plain domain of its network signature, then by name.
fn organization_for<'o>(s: &SdkSignature, entities: &'o EntityOntology) -> Option<&'o crate::ontology::Organization> {
    if let Some(o) = s.organization.as_deref().and_then(|id| entities.organization(id)) {
        return Some(o);
    }
    let website_host = url::Url::parse(s.website.trim()).ok().and_then(|u| u.host_str().map(str::to_string));
    if let Some(o) = website_host.as_deref().and_then(|h| entities.organization_for_host(h.trim_start_matches("www."))) {
        return Some(o);
    }
    for n in &s.network {
        let plain = n.replace("\\.", ".");
        let plain = plain.trim_start_matches('^').trim_start_matches('.').trim_end_matches('$');
        if !plain.is_empty() && plain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') {
            if let Some(o) = entities.organization_for_host(plain) {
                return Some(o);
            }
        }
    }
    let name = s.name.trim().to_ascii_lowercase();
    entities.organizations().iter().find(|o| {
        o.name.trim().to_ascii_lowercase() == name
            || o.aliases.iter().any(|a| a.trim().trim_start_matches('=').to_ascii_lowercase() == name)
    })
}
