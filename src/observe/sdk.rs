//! SDK detection: class names from an app's DEX files are matched against
//! the Exodus Privacy tracker code signatures (Java package prefixes,
//! shipped in `ontology/sdk_signatures.json`). Each SDK found gets its
//! owner from the entity ontology (by website domain, network signature
//! domain or name) and candor categories from the Exodus ones.
//!
//! An embedded SDK is not a data flow: it is reported as `embedded`, and
//! as `contacted` only when traffic reached a host its network signature
//! names.

use super::{Contact, EmbeddedSdk, SdkStatus};
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
    /// Exodus categories (Advertisement, Analytics, Crash reporting, ...).
    #[serde(default)]
    pub categories: Vec<String>,
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
        Ok(SdkDetector { sdks: file.sdks, automaton, patterns })
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
            let mapped = match c.as_str() {
                "Advertisement" => Some("advertising"),
                "Analytics" | "Profiling" => Some("analytics"),
                "Crash reporting" => Some("crash_reporting"),
                _ => None,
            };
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
            let regexes: Vec<regex::Regex> = sig
                .network
                .iter()
                .filter_map(|n| regex::RegexBuilder::new(n).case_insensitive(true).size_limit(1 << 20).build().ok())
                .collect();
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
}

/// The organization behind an SDK: by website host, by a plain domain of
/// its network signature, then by name.
fn organization_for<'o>(s: &SdkSignature, entities: &'o EntityOntology) -> Option<&'o crate::ontology::Organization> {
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
