//! Report: renders one app's comparison as terminal diagnostics, JSON
//! (schema `candor-report/1`, documented in the README) or Markdown.

use crate::compare::{Comparison, Finding, FindingKind, Label, Severity, Verdict};
use crate::extract::Practice;
use crate::observe::{Flow, RequestedPermission};
use serde::Serialize;
use std::collections::BTreeMap;

mod catalog_html;
mod cross_border;
mod html;
mod markdown;
pub mod matrix;
mod sarif;
mod text;

pub use catalog_html::render_catalog_html;
pub use html::render_html;
pub use markdown::render_markdown;
pub use matrix::FlowMatrix;
pub use sarif::{render_catalog_sarif, render_sarif};
pub use text::render_text;

/// The JSON schema id of [`AppReport`].
pub const SCHEMA: &str = "candor-report/1";

/// The inputs a report was made from.
#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    pub policy: String,
    pub manifests: Vec<String>,
    pub traffic: Vec<String>,
    pub device: Option<String>,
}

/// Which extractor produced the practices.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractorInfo {
    pub name: String,
    pub version: String,
    /// True when the practices came from the cache.
    pub cached: bool,
}

/// Counts at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub practices: usize,
    pub flows: usize,
    pub verdicts: BTreeMap<Verdict, usize>,
    pub findings: BTreeMap<Severity, usize>,
    pub contacted_hosts: usize,
}

/// A flow with its verdict, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct ReportedFlow {
    #[serde(flatten)]
    pub flow: Flow,
    pub verdict: Verdict,
    /// Indices into `practices`.
    pub supporting: Vec<usize>,
    pub contradicting: Vec<usize>,
}

/// Everything candor says about one app.
#[derive(Debug, Clone, Serialize)]
pub struct AppReport {
    pub schema: &'static str,
    pub app: Option<String>,
    pub inputs: Inputs,
    pub extractor: ExtractorInfo,
    pub summary: Summary,
    pub practices: Vec<Practice>,
    pub permissions: Vec<RequestedPermission>,
    pub flows: Vec<ReportedFlow>,
    pub findings: Vec<Finding>,
    /// The normalized policy text the evidence offsets index (set for the
    /// HTML report, which shows the policy with its evidence highlighted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_text: Option<String>,
    /// Tracker SDKs found in the app's code (APK DEX files); `embedded`
    /// unless traffic reached them. They are not flows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sdks: Vec<crate::observe::EmbeddedSdk>,
    /// Destination countries and the policy's storage and transfer statements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_border: Option<crate::compare::cross_border::CrossBorder>,
}

impl AppReport {
    /// Assemble a report.
    pub fn new(
        app: Option<String>,
        inputs: Inputs,
        extractor: ExtractorInfo,
        practices: Vec<Practice>,
        permissions: Vec<RequestedPermission>,
        contacted_hosts: usize,
        comparison: Comparison,
    ) -> Self {
        let verdicts = comparison.verdict_counts();
        let mut findings_by_sev: BTreeMap<Severity, usize> =
            [Severity::Error, Severity::Warning, Severity::Note].into_iter().map(|s| (s, 0)).collect();
        for f in &comparison.findings {
            *findings_by_sev.entry(f.severity).or_default() += 1;
        }
        AppReport {
            schema: SCHEMA,
            app,
            inputs,
            extractor,
            summary: Summary {
                practices: practices.len(),
                flows: comparison.flows.len(),
                verdicts,
                findings: findings_by_sev,
                contacted_hosts,
            },
            practices,
            permissions,
            flows: comparison
                .flows
                .into_iter()
                .map(|f| ReportedFlow { flow: f.flow, verdict: f.verdict, supporting: f.supporting, contradicting: f.contradicting })
                .collect(),
            findings: comparison.findings,
            policy_text: None,
            sdks: Vec::new(),
            cross_border: None,
        }
    }

    /// The same report listing the SDKs embedded in the app.
    pub fn with_sdks(mut self, sdks: Vec<crate::observe::EmbeddedSdk>) -> Self {
        self.sdks = sdks;
        self
    }

    /// The same report with its cross-border part (countries and region statements).
    pub fn with_cross_border(mut self, cross_border: crate::compare::cross_border::CrossBorder) -> Self {
        self.cross_border = Some(cross_border);
        self
    }

    /// The same report carrying the normalized policy text.
    pub fn with_policy_text(mut self, text: impl Into<String>) -> Self {
        self.policy_text = Some(text.into());
        self
    }

    /// True when any finding is of a kind in `fail_on`.
    pub fn fails(&self, fail_on: &[FindingKind]) -> bool {
        self.findings.iter().any(|f| fail_on.contains(&f.kind))
    }
}

/// JSON, pretty-printed.
pub fn render_json(report: &AppReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// One line describing a label, shared by the text and Markdown renderers.
fn describe_label(label: &Label) -> (String, String) {
    match label {
        Label::Policy { start, end, text, note } => (format!("policy {start}..{end}"), format!("{note}: \"{text}\"")),
        Label::Request { method, url, location, matched, file, entry } => {
            let what = if location.is_empty() { String::new() } else { format!(" ({location}, {matched})") };
            (format!("{file} #{entry}"), format!("{method} {url}{what}"))
        }
        Label::Permission { permission, file } => (file.clone(), format!("uses-permission {permission}")),
        Label::Code { element, file } => (file.clone(), element.clone()),
    }
}
