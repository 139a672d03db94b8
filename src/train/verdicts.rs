//! The verdict benchmark (`candor eval --verdicts DIR`): real app policies,
//! each with a manifest, a capture and a device profile in which flows were
//! planted, and a gold verdict for every planted flow fixed by reading the
//! policy before candor ran (`tests/verdicts/GUIDELINE.md`). Each app is
//! checked as `candor check` would (policy -> extract -> observe ->
//! compare); every gold flow is looked up among the observed flows by
//! (data type, recipient, how it was seen) and its verdict compared.

use crate::compare::{compare, Declared, Verdict};
use crate::extract::{mentioned_organizations, Extractor};
use crate::observe::{observe, Flow, FlowSource, ObserveInputs};
use crate::ontology::Ontologies;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One app's gold file (`gold.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct GoldApp {
    pub app: String,
    #[serde(default)]
    pub first_party_domains: Vec<String>,
    pub flows: Vec<GoldFlow>,
}

/// One planted flow and its gold verdict.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GoldFlow {
    pub data_type: String,
    /// `first_party`, `org:<organization id>` or `host:<host name>`.
    pub recipient: String,
    /// `request` or `permission`.
    pub via: String,
    pub verdict: Verdict,
    #[serde(default)]
    pub why: String,
}

/// The benchmark's split (`split.json`): app folder names per half.
#[derive(Debug, Clone, Deserialize)]
pub struct VerdictSplit {
    pub dev: Vec<String>,
    pub test: Vec<String>,
}

/// A gold flow candor judged differently (or did not observe).
#[derive(Debug, Clone, Serialize)]
pub struct VerdictError {
    pub app: String,
    pub flow: GoldFlow,
    /// candor's verdict; `None` when no observed flow matched.
    pub predicted: Option<Verdict>,
    /// The policy sentences candor's verdict rests on.
    pub evidence: Vec<String>,
}

/// Scores of one extractor on one half.
#[derive(Debug, Clone, Serialize)]
pub struct VerdictScore {
    pub half: String,
    pub extractor: String,
    pub apps: usize,
    pub flows: usize,
    /// Gold flows found among the observed flows.
    pub detected: usize,
    pub accuracy: f64,
    /// Flagged = omitted or incorrect: what a reviewer must act on.
    pub flagged_precision: f64,
    pub flagged_recall: f64,
    /// gold verdict -> predicted verdict (or "undetected") -> count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    #[serde(skip)]
    pub errors: Vec<VerdictError>,
}

fn is_flagged(v: Verdict) -> bool {
    matches!(v, Verdict::Omitted | Verdict::Incorrect)
}

/// Whether an observed flow is the gold flow's.
fn matches(gold: &GoldFlow, flow: &Flow) -> bool {
    if flow.data_type != gold.data_type {
        return false;
    }
    let via_ok = match gold.via.as_str() {
        "permission" => flow.is_device_access(),
        "request" => matches!(flow.source, FlowSource::Request { .. }),
        _ => false,
    };
    let d = &flow.destination;
    let who_ok = if gold.recipient == "first_party" {
        d.first_party
    } else if let Some(org) = gold.recipient.strip_prefix("org:") {
        !d.first_party && d.organization.as_deref() == Some(org)
    } else if let Some(host) = gold.recipient.strip_prefix("host:") {
        !d.first_party && d.host == host
    } else {
        false
    };
    via_ok && who_ok
}

/// The files of one benchmark app.
fn app_inputs(dir: &Path, gold: &GoldApp) -> Result<(PathBuf, ObserveInputs)> {
    let mut policy = None;
    let mut inputs = ObserveInputs { first_party_domains: gold.first_party_domains.clone(), ..Default::default() };
    let entries = std::fs::read_dir(dir).map_err(|e| Error::input(dir, format!("cannot list the folder: {e}")))?;
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    for p in names {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        if name.starts_with("policy.") || name.starts_with("privacy") {
            policy = Some(p);
        } else if name.ends_with("androidmanifest.xml") {
            inputs.manifests.push(p);
        } else if name.ends_with(".har") {
            inputs.traffic.push(p);
        } else if name == "device.json" {
            inputs.device = Some(p);
        }
    }
    let policy = policy.ok_or_else(|| Error::input(dir, "no policy.* file in the benchmark app folder"))?;
    Ok((policy, inputs))
}

/// Run the benchmark in `dir` with each extractor; one score per (half, extractor).
pub fn evaluate_verdicts(dir: &Path, extractors: &[&dyn Extractor], ont: &Ontologies) -> Result<Vec<VerdictScore>> {
    let split_path = dir.join("split.json");
    let split_text = std::fs::read_to_string(&split_path).map_err(|e| Error::input(&split_path, e.to_string()))?;
    let split: VerdictSplit =
        serde_json::from_str(&split_text).map_err(|e| Error::input(&split_path, format!("invalid split: {e}")))?;
    let mut out = Vec::new();
    for (half, apps) in [("dev", &split.dev), ("test", &split.test)] {
        for ex in extractors {
            let mut score = VerdictScore {
                half: half.to_string(),
                extractor: ex.name().to_string(),
                apps: 0,
                flows: 0,
                detected: 0,
                accuracy: 0.0,
                flagged_precision: 0.0,
                flagged_recall: 0.0,
                confusion: BTreeMap::new(),
                errors: Vec::new(),
            };
            let (mut correct, mut tp, mut pred_flagged, mut gold_flagged) = (0usize, 0usize, 0usize, 0usize);
            for app in apps.iter() {
                let app_dir = dir.join(app);
                let gold_path = app_dir.join("gold.json");
                let text = std::fs::read_to_string(&gold_path).map_err(|e| Error::input(&gold_path, e.to_string()))?;
                let gold: GoldApp =
                    serde_json::from_str(&text).map_err(|e| Error::input(&gold_path, format!("invalid gold file: {e}")))?;
                let (policy_path, inputs) = app_inputs(&app_dir, &gold)?;
                let doc = crate::policy::load_policy(&policy_path)?;
                let practices = ex.extract(&doc)?;
                let observed = observe(&inputs, ont)?;
                let declared = Declared {
        practices: &practices,
        mentioned_organizations: mentioned_organizations(&doc, ont),
        personal_info_defined: crate::extract::defines_personal_info(&doc, ont),
    };
                let comparison = compare(&declared, &observed, ont);
                score.apps += 1;
                for g in &gold.flows {
                    score.flows += 1;
                    // The surest observed flow of this (data type, recipient, way).
                    let found = comparison
                        .flows
                        .iter()
                        .filter(|fv| matches(g, &fv.flow))
                        .max_by(|a, b| a.flow.confidence.total_cmp(&b.flow.confidence));
                    let predicted = found.map(|fv| fv.verdict);
                    if found.is_some() {
                        score.detected += 1;
                    }
                    let name = predicted.map_or("undetected", |v| v.as_str());
                    *score.confusion.entry(g.verdict.as_str().to_string()).or_default().entry(name.to_string()).or_default() += 1;
                    let pf = predicted.is_some_and(is_flagged);
                    let gf = is_flagged(g.verdict);
                    pred_flagged += pf as usize;
                    gold_flagged += gf as usize;
                    tp += (pf && gf) as usize;
                    if predicted == Some(g.verdict) {
                        correct += 1;
                    } else {
                        let evidence = found
                            .map(|fv| {
                                fv.contradicting
                                    .iter()
                                    .chain(&fv.supporting)
                                    .map(|&i| {
                                        let p = &practices[i];
                                        format!("{}{} {} {}: {}", if p.negated { "NOT " } else { "" }, p.actor, p.action, p.data_type, p.evidence.text)
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        score.errors.push(VerdictError { app: app.clone(), flow: g.clone(), predicted, evidence });
                    }
                }
            }
            let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            score.accuracy = ratio(correct, score.flows);
            score.flagged_precision = ratio(tp, pred_flagged);
            score.flagged_recall = ratio(tp, gold_flagged);
            out.push(score);
        }
    }
    Ok(out)
}

/// The scores as Markdown: a summary table and each half's confusion matrix.
pub fn markdown(scores: &[VerdictScore]) -> String {
    let mut s = String::from(
        "| half | extractor | apps | flows | detected | accuracy | flagged P | flagged R |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for v in scores {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} |\n",
            v.half, v.extractor, v.apps, v.flows, v.detected, v.accuracy, v.flagged_precision, v.flagged_recall
        ));
    }
    let cols: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).chain(["undetected"]).collect();
    for v in scores {
        s.push_str(&format!("\n{} half, {} (rows: gold, columns: candor)\n\n| gold \\ candor | {} |\n|---|{}\n", v.half, v.extractor, cols.join(" | "), "---:|".repeat(cols.len())));
        for g in Verdict::ALL {
            let row = v.confusion.get(g.as_str());
            let cells: Vec<String> = cols.iter().map(|c| row.and_then(|r| r.get(*c)).copied().unwrap_or(0).to_string()).collect();
            s.push_str(&format!("| {} | {} |\n", g.as_str(), cells.join(" | ")));
        }
    }
    s
}
