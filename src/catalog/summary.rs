//! The catalog report: every stored app of one or more stores (merged),
//! and a summary: apps by status, flows by verdict, the most common
//! undisclosed data types and recipients, and apps ranked by severity.
//! Rendered as JSON, CSV, Markdown here; HTML and SARIF in [`crate::report`].

use super::{AppResult, AppStatus, ResultStore, SCHEMA};
use crate::compare::{FindingKind, Severity, Verdict};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// A data type or recipient and how many apps it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ranked {
    pub name: String,
    /// Apps with at least one such finding.
    pub apps: usize,
    /// Findings in all.
    pub findings: usize,
}

/// One app's place in the severity ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedApp {
    pub app_id: String,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

/// Counts over the whole catalog.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CatalogSummary {
    pub apps: usize,
    pub done: usize,
    pub failed: usize,
    /// Done apps with at least one finding.
    pub apps_with_findings: usize,
    /// Flows by verdict, over all apps.
    pub verdicts: BTreeMap<Verdict, usize>,
    /// Apps with at least one flow of each verdict.
    pub apps_by_verdict: BTreeMap<Verdict, usize>,
    pub findings: BTreeMap<Severity, usize>,
    pub findings_by_code: BTreeMap<String, usize>,
    /// Data types the apps were seen to use but their policies do not
    /// disclose (omitted or contradicted flows, unmentioned permissions).
    pub undisclosed_data_types: Vec<Ranked>,
    /// Recipients of undisclosed flows and organizations contacted but never named.
    pub undisclosed_recipients: Vec<Ranked>,
    /// Apps with findings, most severe first (errors, then warnings, then notes).
    pub ranking: Vec<RankedApp>,
    /// Data flows that left their policy's home region, per destination
    /// country (`name`): apps with such flows and the flows (`findings`).
    #[serde(default)]
    pub cross_border: Vec<Ranked>,
    /// China's app rules (MIIT): each rule code with findings, by the apps it concerns.
    #[serde(default)]
    pub miit_rules: Vec<Ranked>,
}

/// Every app of the merged stores and the summary.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogReport {
    pub schema: &'static str,
    pub stores: Vec<String>,
    pub apps: Vec<AppResult>,
    pub summary: CatalogSummary,
}

/// How many undisclosed data types and recipients the summary lists.
pub const TOP_N: usize = 20;

impl CatalogReport {
    /// Read and merge stores. An app in several stores is taken from the
    /// one where it is done (over failed), then the most recently finished.
    pub fn load(stores: &[PathBuf]) -> Result<Self> {
        if stores.is_empty() {
            return Err(Error::Usage("catalog report needs at least one --store".into()));
        }
        let mut merged: BTreeMap<String, AppResult> = BTreeMap::new();
        for dir in stores {
            if !dir.join("results.sled").exists() {
                return Err(Error::Store { path: dir.clone(), problem: "no catalog store here (run `candor catalog run` first)".into() });
            }
            let store = ResultStore::open_for_reading(dir)?;
            for r in store.iter() {
                let r = r?;
                let better = match merged.get(&r.app_id) {
                    None => true,
                    Some(old) => (r.status == AppStatus::Done, r.finished_at) > (old.status == AppStatus::Done, old.finished_at),
                };
                if better {
                    merged.insert(r.app_id.clone(), r);
                }
            }
        }
        Ok(Self::from_apps(stores.iter().map(|p| p.display().to_string()).collect(), merged.into_values().collect()))
    }

    /// Summarize results (kept in the given order).
    pub fn from_apps(stores: Vec<String>, apps: Vec<AppResult>) -> Self {
        let summary = summarize(&apps);
        CatalogReport { schema: SCHEMA, stores, apps, summary }
    }
}

fn summarize(apps: &[AppResult]) -> CatalogSummary {
    let mut s = CatalogSummary {
        verdicts: Verdict::ALL.iter().map(|v| (*v, 0)).collect(),
        apps_by_verdict: Verdict::ALL.iter().map(|v| (*v, 0)).collect(),
        findings: [Severity::Error, Severity::Warning, Severity::Note].into_iter().map(|v| (v, 0)).collect(),
        ..Default::default()
    };
    s.apps = apps.len();
    // name -> (apps, findings)
    let mut types: BTreeMap<String, (BTreeSet<&str>, usize)> = BTreeMap::new();
    let mut recipients: BTreeMap<String, (BTreeSet<&str>, usize)> = BTreeMap::new();
    let mut countries: BTreeMap<String, (BTreeSet<&str>, usize)> = BTreeMap::new();
    let mut miit: BTreeMap<String, (BTreeSet<&str>, usize)> = BTreeMap::new();
    for app in apps {
        match app.status {
            AppStatus::Done => s.done += 1,
            AppStatus::Failed => {
                s.failed += 1;
                continue;
            }
        }
        if !app.findings.is_empty() {
            s.apps_with_findings += 1;
        }
        for (country, n) in &app.flows_abroad {
            let e = countries.entry(country.clone()).or_default();
            e.0.insert(&app.app_id);
            e.1 += n;
        }
        for (v, n) in &app.verdict_counts {
            *s.verdicts.entry(*v).or_default() += n;
            if *n > 0 {
                *s.apps_by_verdict.entry(*v).or_default() += 1;
            }
        }
        for f in &app.findings {
            *s.findings.entry(f.severity).or_default() += 1;
            *s.findings_by_code.entry(f.code.clone()).or_default() += 1;
            if f.kind.is_miit() {
                let e = miit.entry(f.code.clone()).or_default();
                e.0.insert(&app.app_id);
                e.1 += 1;
            }
            let undisclosed_type = matches!(f.kind, FindingKind::OmittedFlow | FindingKind::IncorrectFlow | FindingKind::UndisclosedPermission);
            if undisclosed_type {
                if let Some(t) = &f.data_type {
                    let e = types.entry(t.clone()).or_default();
                    e.0.insert(&app.app_id);
                    e.1 += 1;
                }
            }
            let undisclosed_recipient = matches!(f.kind, FindingKind::OmittedFlow | FindingKind::IncorrectFlow | FindingKind::UndisclosedRecipient);
            if undisclosed_recipient {
                if let Some(r) = f.recipient.as_deref().filter(|r| *r != "first_party") {
                    let e = recipients.entry(r.to_string()).or_default();
                    e.0.insert(&app.app_id);
                    e.1 += 1;
                }
            }
        }
        if !app.findings.is_empty() {
            let (errors, warnings, notes) = app.severity_counts();
            s.ranking.push(RankedApp { app_id: app.app_id.clone(), errors, warnings, notes });
        }
    }
    let rank = |m: BTreeMap<String, (BTreeSet<&str>, usize)>| -> Vec<Ranked> {
        let mut v: Vec<Ranked> = m.into_iter().map(|(name, (a, n))| Ranked { name, apps: a.len(), findings: n }).collect();
        v.sort_by(|a, b| b.apps.cmp(&a.apps).then(b.findings.cmp(&a.findings)).then(a.name.cmp(&b.name)));
        v.truncate(TOP_N);
        v
    };
    s.undisclosed_data_types = rank(types);
    s.undisclosed_recipients = rank(recipients);
    s.cross_border = rank(countries);
    s.miit_rules = rank(miit);
    s.ranking.sort_by(|a, b| {
        (b.errors, b.warnings, b.notes).cmp(&(a.errors, a.warnings, a.notes)).then(a.app_id.cmp(&b.app_id))
    });
    s
}

/// The catalog report as pretty JSON.
pub fn render_json(report: &CatalogReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}

/// One CSV row per app.
pub fn render_csv(report: &CatalogReport) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["app_id".to_string(), "status".into(), "package".into(), "policy".into(), "flows".into()];
    header.extend(Verdict::ALL.iter().map(|v| v.as_str().to_string()));
    header.extend(["errors", "warnings", "notes", "finding_codes", "undisclosed_recipients", "error"].map(String::from));
    let csv_err = |e: csv::Error| Error::Data(e.to_string());
    w.write_record(&header).map_err(csv_err)?;
    for app in &report.apps {
        let (e, wn, n) = app.severity_counts();
        let codes: BTreeSet<&str> = app.findings.iter().map(|f| f.code.as_str()).collect();
        let recipients: BTreeSet<&str> = app
            .findings
            .iter()
            .filter(|f| matches!(f.kind, FindingKind::OmittedFlow | FindingKind::IncorrectFlow | FindingKind::UndisclosedRecipient))
            .filter_map(|f| f.recipient.as_deref())
            .filter(|r| *r != "first_party")
            .collect();
        let mut row = vec![
            app.app_id.clone(),
            app.status.as_str().to_string(),
            app.package.clone().unwrap_or_default(),
            app.inputs.policy.clone().unwrap_or_default(),
            app.flows.to_string(),
        ];
        row.extend(Verdict::ALL.iter().map(|v| app.verdict_counts.get(v).copied().unwrap_or(0).to_string()));
        row.extend([
            e.to_string(),
            wn.to_string(),
            n.to_string(),
            codes.into_iter().collect::<Vec<_>>().join(";"),
            recipients.into_iter().collect::<Vec<_>>().join(";"),
            app.error.clone().unwrap_or_default(),
        ]);
        w.write_record(&row).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Data(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| Error::Data(e.to_string()))
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The catalog report as Markdown: summary tables, the ranking, failures.
pub fn render_markdown(report: &CatalogReport) -> String {
    let s = &report.summary;
    let mut out = String::from("# candor catalog report\n\n");
    out.push_str(&format!(
        "{} apps: {} done, {} failed; {} with findings.\n\n",
        s.apps, s.done, s.failed, s.apps_with_findings
    ));
    out.push_str("| verdict | flows | apps |\n|---|---:|---:|\n");
    for v in Verdict::ALL {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            v.as_str(),
            s.verdicts.get(&v).copied().unwrap_or(0),
            s.apps_by_verdict.get(&v).copied().unwrap_or(0)
        ));
    }
    for (title, rows) in [("Most common undisclosed data types", &s.undisclosed_data_types), ("Most common undisclosed recipients", &s.undisclosed_recipients)] {
        out.push_str(&format!("\n## {title}\n\n| name | apps | findings |\n|---|---:|---:|\n"));
        for r in rows {
            out.push_str(&format!("| {} | {} | {} |\n", md_cell(&r.name), r.apps, r.findings));
        }
    }
    if !report.summary.cross_border.is_empty() {
        out.push_str("\n## Cross-border flows by country\n\nData flows to servers registered outside the home region their policy states (registered country, not proof of where data is stored).\n\n| country | apps | flows |\n|---|---:|---:|\n");
        for r in &report.summary.cross_border {
            out.push_str(&format!("| {} | {} | {} |\n", md_cell(&r.name), r.apps, r.findings));
        }
        out.push_str("\n| app | flows abroad by country |\n|---|---|\n");
        for a in report.apps.iter().filter(|a| !a.flows_abroad.is_empty()) {
            let list: Vec<String> = a.flows_abroad.iter().map(|(c, n)| format!("{c} {n}")).collect();
            out.push_str(&format!("| {} | {} |\n", md_cell(&a.app_id), list.join(", ")));
        }
    }
    if !s.miit_rules.is_empty() {
        out.push_str("\n## China app rules (MIIT)\n\n| rule | apps | findings |\n|---|---:|---:|\n");
        for r in &s.miit_rules {
            out.push_str(&format!("| `{}` | {} | {} |\n", md_cell(&r.name), r.apps, r.findings));
        }
    }
    out.push_str("\n## Apps by severity\n\n| app | errors | warnings | notes | top finding |\n|---|---:|---:|---:|---|\n");
    let by_id: BTreeMap<&str, &AppResult> = report.apps.iter().map(|a| (a.app_id.as_str(), a)).collect();
    for r in &s.ranking {
        let top = by_id.get(r.app_id.as_str()).and_then(|a| a.findings.first()).map(|f| format!("`{}` {}", f.code, md_cell(&f.message))).unwrap_or_default();
        out.push_str(&format!("| {} | {} | {} | {} | {} |\n", md_cell(&r.app_id), r.errors, r.warnings, r.notes, top));
    }
    let failed: Vec<&AppResult> = report.apps.iter().filter(|a| a.status == AppStatus::Failed).collect();
    if !failed.is_empty() {
        out.push_str("\n## Failed apps\n\n| app | error |\n|---|---|\n");
        for a in failed {
            out.push_str(&format!("| {} | {} |\n", md_cell(&a.app_id), md_cell(a.error.as_deref().unwrap_or(""))));
        }
    }
    out
}
