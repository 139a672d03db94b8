//! Catalog mode: bulk-compare many apps, cached and resumable.
//!
//! A catalog is a JSONL (or CSV) file with one app per line ([`input`]).
//! [`run::run_catalog`] checks every app of the catalog (or of one shard of
//! it, [`shard`]) in parallel, extracting each distinct policy text once,
//! and stores each app's [`AppResult`] in a sled store ([`store`]) the
//! moment it is finished, keyed by app id and tagged with a hash of the
//! app's input files: a run killed at any point and started again carries
//! on where it stopped. [`summary`] merges stores into one catalog report.

pub mod cli;
pub mod input;
pub mod run;
pub mod shard;
pub mod store;
pub mod summary;

use crate::compare::{compare, Declared, Finding, FindingKind, Severity, Verdict};
use crate::extract::{mentioned_organizations, Extractor, Practice};
use crate::observe::{observe, ObserveInputs};
use crate::ontology::Ontologies;
use crate::policy::PolicyDocument;
use crate::report::{AppReport, ExtractorInfo, Inputs};
use crate::store::{extract_cached, PracticeCache};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use input::{read_catalog, AppEntry, Catalog, CatalogIssue};
pub use shard::Shard;
pub use store::ResultStore;

/// The schema id of stored app results and of the catalog JSON report.
pub const SCHEMA: &str = "candor-catalog/1";

/// Whether an app was checked or could not be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppStatus {
    Done,
    Failed,
}

impl AppStatus {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AppStatus::Done => "done",
            AppStatus::Failed => "failed",
        }
    }
}

/// The input files an app was checked with, as given in the catalog (resolved).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInputs {
    pub policy: Option<String>,
    #[serde(default)]
    pub manifests: Vec<String>,
    #[serde(default)]
    pub traffic: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipa: Option<String>,
}

/// What the catalog keeps about one app: the outcome of checking it (or
/// why it could not be checked), compact enough to keep for millions of apps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppResult {
    pub app_id: String,
    pub status: AppStatus,
    /// Hash of the app's input files (content), extractor and ontologies;
    /// a stored result with another hash is stale and recomputed.
    pub input_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Android package (or iOS bundle id) seen in the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    pub inputs: StoredInputs,
    /// SHA-256 of the normalized policy text (apps sharing a policy share it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    #[serde(default)]
    pub extractor: String,
    #[serde(default)]
    pub practices: usize,
    #[serde(default)]
    pub flows: usize,
    #[serde(default)]
    pub contacted_hosts: usize,
    #[serde(default)]
    pub verdict_counts: BTreeMap<Verdict, usize>,
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Data flows that left the policy's home region, per destination country.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flows_abroad: BTreeMap<String, usize>,
    /// Things worth knowing that are not findings (an input this version ignores).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Seconds since the Unix epoch when the app was finished.
    #[serde(default)]
    pub finished_at: u64,
    #[serde(default)]
    pub elapsed_ms: u64,
}

impl AppResult {
    /// A failed app: `error` says why.
    pub fn failed(app: &AppEntry, input_hash: &str, extractor_version: &str, error: impl std::fmt::Display) -> Self {
        AppResult {
            app_id: app.app_id.clone(),
            status: AppStatus::Failed,
            input_hash: input_hash.to_string(),
            error: Some(error.to_string()),
            package: None,
            inputs: app.stored_inputs(),
            policy_hash: None,
            extractor: extractor_version.to_string(),
            practices: 0,
            flows: 0,
            contacted_hosts: 0,
            verdict_counts: BTreeMap::new(),
            findings: Vec::new(),
            flows_abroad: BTreeMap::new(),
            notes: Vec::new(),
            finished_at: now_secs(),
            elapsed_ms: 0,
        }
    }

    /// The compact result of a full report.
    pub fn from_report(app: &AppEntry, input_hash: &str, policy_hash: Option<String>, report: &AppReport) -> Self {
        AppResult {
            app_id: app.app_id.clone(),
            status: AppStatus::Done,
            input_hash: input_hash.to_string(),
            error: None,
            package: report.app.clone(),
            inputs: app.stored_inputs(),
            policy_hash,
            extractor: report.extractor.version.clone(),
            practices: report.summary.practices,
            flows: report.summary.flows,
            contacted_hosts: report.summary.contacted_hosts,
            verdict_counts: report.summary.verdicts.clone(),
            findings: report.findings.clone(),
            flows_abroad: report.cross_border.as_ref().map(|c| c.abroad_by_country()).unwrap_or_default(),
            notes: Vec::new(),
            finished_at: now_secs(),
            elapsed_ms: 0,
        }
    }

    /// Findings by severity (errors, warnings, notes).
    pub fn severity_counts(&self) -> (usize, usize, usize) {
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        (count(Severity::Error), count(Severity::Warning), count(Severity::Note))
    }

    /// A score to rank apps by: errors weigh most, then warnings, then notes.
    pub fn severity_score(&self) -> u64 {
        let (e, w, n) = self.severity_counts();
        e as u64 * 10_000 + w as u64 * 100 + n as u64
    }

    /// True when any finding is of a kind in `fail_on`.
    pub fn fails(&self, fail_on: &[FindingKind]) -> bool {
        self.findings.iter().any(|f| fail_on.contains(&f.kind))
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The finding kinds that make `catalog run` exit 1 (those `check` fails on by default).
pub const DEFAULT_FAIL_ON: [FindingKind; 4] =
    [FindingKind::OmittedFlow, FindingKind::IncorrectFlow, FindingKind::TransferContradicted, FindingKind::PreConsentCollection];

/// A policy read and extracted once, shared by every app that uses it.
pub struct PolicyContext {
    pub doc: PolicyDocument,
    pub practices: std::sync::Arc<Vec<Practice>>,
    pub cached: bool,
    pub mentioned_organizations: BTreeSet<String>,
    /// The policy defines personal information by a closed list.
    pub personal_info_defined: bool,
}

impl PolicyContext {
    /// Read nothing: wrap an already loaded document and its practices.
    pub fn new(doc: PolicyDocument, practices: std::sync::Arc<Vec<Practice>>, cached: bool, ont: &Ontologies) -> Self {
        let mentioned_organizations = mentioned_organizations(&doc, ont);
        let personal_info_defined = crate::extract::defines_personal_info(&doc, ont);
        PolicyContext { doc, practices, cached, mentioned_organizations, personal_info_defined }
    }
}

/// Check one app from scratch: load its policy, observe its files, extract
/// (through `cache`), compare, and return the compact result. The same
/// stages as `candor check`.
pub fn check_app(
    app: &AppEntry,
    ont: &'static Ontologies,
    extractor: &dyn Extractor,
    cache: Option<&PracticeCache>,
) -> Result<AppResult> {
    let hash = input_hash(app, extractor)?;
    let policy = app.policy_path()?;
    let doc = crate::policy::load_policy(policy)?;
    let (practices, cached) = extract_cached(cache, extractor, &doc)?;
    let ctx = PolicyContext::new(doc, std::sync::Arc::new(practices), cached, ont);
    let report = check_app_report(app, ont, extractor, &ctx)?;
    Ok(AppResult::from_report(app, &hash, Some(ctx.doc.text_hash()), &report))
}

/// The full report of one app whose policy is already read and extracted.
pub fn check_app_report(app: &AppEntry, ont: &'static Ontologies, extractor: &dyn Extractor, ctx: &PolicyContext) -> Result<AppReport> {
    let policy_path = app.policy_path()?;
    let observed = observe(&observe_inputs(app), ont)?;
    let declared = Declared {
        practices: &ctx.practices,
        mentioned_organizations: ctx.mentioned_organizations.clone(),
        personal_info_defined: ctx.personal_info_defined,
    };
    let mut comparison = compare(&declared, &observed, ont);
    // Cross-border: the home region is the one the policy states.
    let regions = crate::extract::region::region_statements(&ctx.doc)?;
    let (cross_border, transfers) = crate::compare::cross_border::judge(&regions, &observed, None)?;
    comparison.add_findings(transfers);
    // China's app rules with their defaults: captures named pre-consent*.har
    // were made before consent; the policy checks run on a Chinese policy.
    let rule_options = crate::rules::RuleOptions {
        consent: crate::rules::ConsentSplit {
            files: app
                .traffic
                .iter()
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(crate::cli::is_pre_consent_name))
                .map(|p| p.display().to_string())
                .collect(),
            at_ms: None,
        },
        ..Default::default()
    };
    crate::rules::apply(&rule_options, &ctx.doc, &observed, ont, &mut comparison)?;
    let contacted_hosts = {
        let mut hosts: Vec<&str> = observed.contacts.iter().map(|c| c.destination.host.as_str()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        hosts.len()
    };
    let show = |p: &Path| p.display().to_string();
    Ok(AppReport::new(
        observed.package.clone(),
        Inputs {
            policy: show(policy_path),
            manifests: app.manifests.iter().map(|p| show(p)).collect(),
            traffic: app.traffic.iter().map(|p| show(p)).collect(),
            device: app.device.as_deref().map(show),
        },
        ExtractorInfo { name: extractor.name().to_string(), version: extractor.version(), cached: ctx.cached },
        ctx.practices.as_ref().clone(),
        observed.permissions,
        contacted_hosts,
        comparison,
    )
    .with_sdks(observed.sdks)
    .with_cross_border(cross_border))
}

/// What to observe of an app: manifests (`.plist`/`.xcprivacy` files given as
/// manifests are iOS property lists), archives, and traffic (`.pcap`/`.pcapng`
/// files are packet captures, anything else a HAR capture).
pub fn observe_inputs(app: &AppEntry) -> ObserveInputs {
    let ext = |p: &PathBuf| p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let (plists, manifests): (Vec<PathBuf>, Vec<PathBuf>) =
        app.manifests.iter().cloned().partition(|p| matches!(ext(p).as_str(), "plist" | "xcprivacy"));
    let (pcaps, traffic): (Vec<PathBuf>, Vec<PathBuf>) =
        app.traffic.iter().cloned().partition(|p| matches!(ext(p).as_str(), "pcap" | "pcapng"));
    ObserveInputs {
        manifests,
        traffic,
        device: app.device.clone(),
        first_party_domains: app.first_party_domains.clone(),
        apks: app.apk.iter().cloned().collect(),
        ipas: app.ipa.iter().cloned().collect(),
        plists,
        pcaps,
        geo_table: None,
    }
}

/// SHA-256 of a file's content, or a marker saying why it could not be read
/// (so that a file appearing later changes the hash).
pub fn file_digest(path: &Path) -> String {
    crate::input::digest_file(path)
}

/// The hashes a run needs for one app: of all its inputs together, and of
/// its policy file alone (apps whose policy files are identical are grouped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDigest {
    pub total: String,
    pub policy: Option<String>,
}

/// Hash an app's inputs: every file's content by role and order, the extra
/// first-party domains, the extractor version, the ontologies and candor's version.
pub fn digest_inputs(app: &AppEntry, extractor_version: &str) -> InputDigest {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut part = |role: &str, value: &str| {
        h.update(role.as_bytes());
        h.update([0u8]);
        h.update(value.as_bytes());
        h.update([0xffu8]);
    };
    part("candor", env!("CARGO_PKG_VERSION"));
    part("extractor", extractor_version);
    part("ontology", &crate::store::ontology_hash());
    let policy = app.policy.as_deref().map(file_digest);
    part("policy", policy.as_deref().unwrap_or("none"));
    for m in &app.manifests {
        part("manifest", &file_digest(m));
    }
    for t in &app.traffic {
        part("traffic", &file_digest(t));
    }
    if let Some(d) = &app.device {
        part("device", &file_digest(d));
    }
    if let Some(p) = &app.apk {
        part("apk", &file_digest(p));
    }
    if let Some(p) = &app.ipa {
        part("ipa", &file_digest(p));
    }
    for d in &app.first_party_domains {
        part("first_party_domain", d);
    }
    let total = h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
    InputDigest { total, policy }
}

/// The input hash of one app under `extractor`.
pub fn input_hash(app: &AppEntry, extractor: &dyn Extractor) -> Result<String> {
    Ok(digest_inputs(app, &extractor.version()).total)
}

/// Resolve `p` against `base` unless it is absolute.
pub(crate) fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}
