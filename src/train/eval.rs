//! Evaluation: per-label precision/recall/F1 of the model and of the rule
//! baseline on the same held-out sentences, side by side.

use super::dataset::{index_labels, Example, SentenceLabel};
use super::metrics::{candidate_thresholds, score_at, score_sets, LabelScore};
use crate::extract::model::decode::may_state_practice;
use crate::extract::model::labels::{idx, LabelSpace};
use crate::extract::model::SentenceClassifier;
use crate::extract::rules::RuleExtractor;
use crate::extract::{Action, Actor};
use crate::ontology::Ontologies;
use serde::Serialize;

/// Headline figures.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub model_data_group_macro_f1: f64,
    /// The same for the extractor's output (model heads decoded with the ontology).
    pub extractor_data_group_macro_f1: f64,
    pub extractor_negation_f1: f64,
    pub extractor_practice_f1: f64,
    pub baseline_data_group_macro_f1: f64,
    pub model_negation_f1: f64,
    pub baseline_negation_f1: f64,
    pub model_practice_f1: f64,
    pub baseline_practice_f1: f64,
    /// Share of gold practice sentences the prefilter lets through.
    pub prefilter_practice_recall: f64,
    /// Share of all sentences the prefilter lets through.
    pub prefilter_kept: f64,
}

/// One held-out sentence whose negation was adjudicated by hand
/// (`tests/fixtures/eval/opp115_heldout_negation.jsonl`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NegationLabel {
    pub policy: String,
    pub text: String,
    /// Does the sentence state that a data practice does not happen?
    pub negated: bool,
    /// `children` for statements about children's data only (COPPA
    /// clauses, which OPP-115 files under "specific audiences" and candor
    /// does not read as app-wide practices).
    #[serde(default)]
    pub audience: Option<String>,
}

/// The hand-adjudicated negation labels of the held-out split.
pub const DEFAULT_NEGATION_LABELS: &str = "tests/fixtures/eval/opp115_heldout_negation.jsonl";

/// Negation scored against the hand-adjudicated labels: every held-out
/// sentence with a negation word was labelled; the others count as not negated.
#[derive(Debug, Clone, Serialize)]
pub struct AdjudicatedNegation {
    /// Sentences labelled by hand, and how many of them are negated.
    pub labelled: usize,
    pub negated: usize,
    /// Sentences whose OPP-115 projected label differs from the adjudicated one.
    pub changed_from_opp: usize,
    pub model: LabelScore,
    pub extractor: LabelScore,
    pub baseline: LabelScore,
    /// The same without the statements about children only.
    pub general_negated: usize,
    pub general_model: LabelScore,
    pub general_extractor: LabelScore,
    pub general_baseline: LabelScore,
}

/// One held-out sentence whose data groups were labelled again by hand
/// (`tests/fixtures/eval/opp115_heldout_groups.jsonl`): every sentence of
/// the split, with the OPP-115 personal-information types of the practices
/// it states, under the written guideline in `tests/fixtures/eval/SOURCES.md`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct GroupLabel {
    pub policy: String,
    pub text: String,
    /// Group names without the `group:` prefix (`contact`, `generic`, ...).
    pub groups: Vec<String>,
}

/// The hand-adjudicated data-group labels of the held-out split.
pub const DEFAULT_GROUP_LABELS: &str = "tests/fixtures/eval/opp115_heldout_groups.jsonl";

/// Data groups scored against the hand-adjudicated labels.
#[derive(Debug, Clone, Serialize)]
pub struct AdjudicatedGroups {
    /// Sentences labelled, and how many carry at least one group.
    pub labelled: usize,
    pub with_groups: usize,
    /// (sentence, group) labels the OPP-115 projection lacks / has that the
    /// adjudication lacks.
    pub added_to_opp: usize,
    pub removed_from_opp: usize,
    pub model: Vec<LabelScore>,
    pub extractor: Vec<LabelScore>,
    pub baseline: Vec<LabelScore>,
    pub model_macro_f1: f64,
    pub extractor_macro_f1: f64,
    pub baseline_macro_f1: f64,
    /// Held-out sentences whose extractor groups differ from the adjudicated
    /// ones (error analysis; not printed in the table).
    #[serde(skip)]
    pub extractor_errors: Vec<GroupErrors>,
}

/// Where the extractor's data groups for one held-out sentence differ from
/// the hand-adjudicated ones.
#[derive(Debug, Clone, Serialize)]
pub struct GroupErrors {
    pub policy: String,
    pub text: String,
    /// Adjudicated groups the extractor did not give.
    pub missed: Vec<String>,
    /// Groups the extractor gave that the adjudication does not have.
    pub wrong: Vec<String>,
    /// Whether the extractor decoded any practice from the sentence.
    pub practice: bool,
}

impl SentenceLabel for NegationLabel {
    fn sentence(&self) -> (&str, &str) {
        (&self.policy, &self.text)
    }
}

impl SentenceLabel for GroupLabel {
    fn sentence(&self) -> (&str, &str) {
        (&self.policy, &self.text)
    }
}

/// Label probabilities of each text as `candor extract` computes them: None
/// for a text the prefilter drops (never sent to the model).
fn prefiltered_probs(classifier: &SentenceClassifier, texts: &[&str]) -> crate::Result<Vec<Option<Vec<f32>>>> {
    let kept: Vec<bool> = texts.iter().map(|t| may_state_practice(t)).collect();
    let sent: Vec<&str> = texts.iter().zip(&kept).filter(|(_, k)| **k).map(|(t, _)| *t).collect();
    let mut probs = classifier.predict(&sent)?.into_iter();
    Ok(kept.iter().map(|&k| if k { probs.next() } else { None }).collect())
}

/// Scores of the negation head at each candidate threshold (0.05, 0.10, ...
/// 0.95) against hand-adjudicated labels of `examples` (sentences the
/// prefilter drops count as not negated; statements about children only
/// are left out, as candor does not read them as app-wide practices), and
/// the best one (highest F1, the higher threshold on a tie).
pub fn negation_thresholds(
    classifier: &SentenceClassifier,
    examples: &[Example],
    labels: &[NegationLabel],
) -> crate::Result<(Vec<(f32, LabelScore)>, (f32, LabelScore))> {
    let by_text = index_labels(labels);
    let kept: Vec<(&Example, bool)> = examples
        .iter()
        .filter_map(|e| match by_text.get(&(e.policy.as_str(), e.text.as_str())) {
            Some(l) if l.audience.as_deref() == Some("children") => None,
            Some(l) => Some((e, l.negated)),
            None => Some((e, false)),
        })
        .collect();
    let texts: Vec<&str> = kept.iter().map(|(e, _)| e.text.as_str()).collect();
    let p: Vec<f32> = prefiltered_probs(classifier, &texts)?
        .into_iter()
        .map(|p| p.and_then(|p| p.get(idx::NEGATED).copied()).unwrap_or(0.0))
        .collect();
    let y: Vec<bool> = kept.iter().map(|(_, gold)| *gold).collect();
    let table: Vec<(f32, LabelScore)> = candidate_thresholds().map(|t| (t, score_at(&p, &y, t))).collect();
    let best = table
        .iter()
        .max_by(|a, b| a.1.f1.total_cmp(&b.1.f1).then(a.0.total_cmp(&b.0)))
        .cloned()
        .ok_or_else(|| crate::Error::Data("no thresholds".into()))?;
    Ok((table, best))
}

/// The full evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub examples: usize,
    pub policies: usize,
    /// The model's heads, thresholded.
    pub model: Vec<LabelScore>,
    /// What the extractor outputs (heads decoded into practices).
    pub extractor: Vec<LabelScore>,
    pub baseline: Vec<LabelScore>,
    pub summary: Summary,
    /// Negation against hand-adjudicated labels, when given.
    pub negation_adjudicated: Option<AdjudicatedNegation>,
    /// Data groups against hand-adjudicated labels, when given.
    pub groups_adjudicated: Option<AdjudicatedGroups>,
}

/// Label names the model predicts for one sentence.
pub fn model_labels(probs: &[f32], space: &LabelSpace) -> Vec<String> {
    space
        .names()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| probs.get(*i).copied().unwrap_or(0.0) >= space.thresholds.get(*i).copied().unwrap_or(0.5))
        .map(|(_, n)| n)
        .collect()
}

/// Label names the rule baseline gives one sentence, in the model's label space.
pub fn baseline_labels(rules: &RuleExtractor, text: &str, space: &LabelSpace, ont: &Ontologies) -> Vec<String> {
    let Some(r) = rules.read(text) else { return Vec::new() };
    let mut out = vec!["practice".to_string()];
    if r.actors.contains(&Actor::FirstParty) {
        out.push("first_party".into());
    }
    if r.actors.iter().any(|a| *a != Actor::FirstParty) {
        out.push("third_party".into());
    }
    for a in Action::ALL {
        if r.actions.contains(&a) {
            out.push(a.as_str().to_string());
        }
    }
    if r.negated {
        out.push("negated".into());
    }
    for (id, _, _) in &r.data_types {
        push_group(&mut out, id, space, ont);
    }
    out
}

/// Add the label of the most specific data group above data type `id`.
fn push_group(out: &mut Vec<String>, id: &str, space: &LabelSpace, ont: &Ontologies) {
    if let Some(g) = crate::extract::model::labels::group_of(&space.groups, &ont.data_types, id) {
        let label = format!("group:{}", g.name);
        if !out.contains(&label) {
            out.push(label);
        }
    }
}

/// Label names of what the extractor outputs for one sentence: the model's
/// probabilities decoded into practices as `candor extract` does (ontology
/// phrases give the data types), put back in the label space.
pub fn decoded_labels(text: &str, probs: &[f32], space: &LabelSpace, ont: &Ontologies) -> Vec<String> {
    let sentence = crate::policy::Sentence { start: 0, end: text.len(), text: text.to_string(), section: 0, heading: None, language: Default::default() };
    let practices = crate::extract::model::decode::practices(&sentence, &Default::default(), probs, space, ont);
    let mut out = Vec::new();
    let add = |l: &str, out: &mut Vec<String>| {
        if !out.iter().any(|x| x == l) {
            out.push(l.to_string());
        }
    };
    for p in &practices {
        add("practice", &mut out);
        add(if p.actor == Actor::FirstParty { "first_party" } else { "third_party" }, &mut out);
        add(p.action.as_str(), &mut out);
        if p.negated {
            add("negated", &mut out);
        }
        push_group(&mut out, &p.data_type, space, ont);
    }
    out
}

/// Mean F1 over the labels selected by `pick` that have gold support.
fn macro_f1(scores: &[LabelScore], pick: impl Fn(&str) -> bool) -> f64 {
    let f: Vec<f64> = scores.iter().filter(|s| pick(&s.label) && s.support > 0).map(|s| s.f1).collect();
    if f.is_empty() {
        0.0
    } else {
        f.iter().sum::<f64>() / f.len() as f64
    }
}

fn f1_of(scores: &[LabelScore], label: &str) -> f64 {
    scores.iter().find(|s| s.label == label).map(|s| s.f1).unwrap_or(0.0)
}

/// Evaluate the model (with its prefilter, as `candor extract` runs it) and
/// the baseline on `examples`.
pub fn evaluate(
    classifier: &SentenceClassifier,
    rules: &RuleExtractor,
    ont: &Ontologies,
    examples: &[Example],
    negation: Option<&[NegationLabel]>,
    groups: Option<&[GroupLabel]>,
) -> crate::Result<EvalReport> {
    let space = &classifier.labels;
    let names = space.names();
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let all_probs = prefiltered_probs(classifier, &texts)?;
    let kept: Vec<bool> = all_probs.iter().map(Option::is_some).collect();
    let model_pred: Vec<Vec<String>> =
        all_probs.iter().map(|p| p.as_ref().map(|p| model_labels(p, space)).unwrap_or_default()).collect();
    let extractor_pred: Vec<Vec<String>> = examples
        .iter()
        .zip(&all_probs)
        .map(|(e, p)| p.as_ref().map(|p| decoded_labels(&e.text, p, space, ont)).unwrap_or_default())
        .collect();
    let base_pred: Vec<Vec<String>> = examples.iter().map(|e| baseline_labels(rules, &e.text, space, ont)).collect();
    let gold: Vec<Vec<String>> = examples.iter().map(|e| e.labels.clone()).collect();
    let model = score_sets(&names, &gold, &model_pred);
    let extractor = score_sets(&names, &gold, &extractor_pred);
    let baseline = score_sets(&names, &gold, &base_pred);
    let practice_gold = gold.iter().filter(|g| g.iter().any(|l| l == "practice")).count();
    let practice_kept =
        gold.iter().zip(&kept).filter(|(g, k)| **k && g.iter().any(|l| l == "practice")).count();
    let is_group = |l: &str| l.starts_with("group:");
    let mut policies: Vec<&str> = examples.iter().map(|e| e.policy.as_str()).collect();
    policies.sort();
    policies.dedup();
    let summary = Summary {
        model_data_group_macro_f1: macro_f1(&model, is_group),
        extractor_data_group_macro_f1: macro_f1(&extractor, is_group),
        extractor_negation_f1: f1_of(&extractor, names[idx::NEGATED].as_str()),
        extractor_practice_f1: f1_of(&extractor, "practice"),
        baseline_data_group_macro_f1: macro_f1(&baseline, is_group),
        model_negation_f1: f1_of(&model, names[idx::NEGATED].as_str()),
        baseline_negation_f1: f1_of(&baseline, names[idx::NEGATED].as_str()),
        model_practice_f1: f1_of(&model, "practice"),
        baseline_practice_f1: f1_of(&baseline, "practice"),
        prefilter_practice_recall: if practice_gold == 0 { 1.0 } else { practice_kept as f64 / practice_gold as f64 },
        prefilter_kept: kept.iter().filter(|&&k| k).count() as f64 / examples.len().max(1) as f64,
    };
    let negation_adjudicated = negation.map(|labels| {
        let by_text = index_labels(labels);
        let label_of = |e: &Example| by_text.get(&(e.policy.as_str(), e.text.as_str())).copied();
        let name = names[idx::NEGATED].clone();
        let only = |v: &[String]| if v.contains(&name) { vec![name.clone()] } else { Vec::new() };
        let adjudicated: Vec<Vec<String>> =
            examples.iter().map(|e| if label_of(e).is_some_and(|l| l.negated) { vec![name.clone()] } else { Vec::new() }).collect();
        let changed_from_opp = adjudicated.iter().zip(&gold).filter(|(a, g)| only(a) != only(g)).count();
        let general: Vec<bool> =
            examples.iter().map(|e| label_of(e).is_none_or(|l| l.audience.as_deref() != Some("children"))).collect();
        let score = |pred: &[Vec<String>], keep: &dyn Fn(usize) -> bool| {
            let g: Vec<Vec<String>> = (0..examples.len()).filter(|&i| keep(i)).map(|i| adjudicated[i].clone()).collect();
            let p: Vec<Vec<String>> = (0..examples.len()).filter(|&i| keep(i)).map(|i| only(&pred[i])).collect();
            score_sets(std::slice::from_ref(&name), &g, &p).remove(0)
        };
        let all = |_: usize| true;
        let general_only = |i: usize| general[i];
        AdjudicatedNegation {
            labelled: labels.len(),
            negated: labels.iter().filter(|l| l.negated).count(),
            changed_from_opp,
            model: score(&model_pred, &all),
            extractor: score(&extractor_pred, &all),
            baseline: score(&base_pred, &all),
            general_negated: labels.iter().filter(|l| l.negated && l.audience.as_deref() != Some("children")).count(),
            general_model: score(&model_pred, &general_only),
            general_extractor: score(&extractor_pred, &general_only),
            general_baseline: score(&base_pred, &general_only),
        }
    });
    let groups_adjudicated = match groups {
        Some(labels) => Some(adjudicated_groups(labels, examples, &names, &gold, [&model_pred, &extractor_pred, &base_pred])?),
        None => None,
    };
    Ok(EvalReport {
        examples: examples.len(),
        policies: policies.len(),
        model,
        extractor,
        baseline,
        summary,
        negation_adjudicated,
        groups_adjudicated,
    })
}

/// Score the group labels of the three predictions (heads, extractor,
/// baseline) against the hand-adjudicated groups; every example must have
/// its adjudicated line.
fn adjudicated_groups(
    labels: &[GroupLabel],
    examples: &[Example],
    names: &[String],
    gold: &[Vec<String>],
    [model, extractor, baseline]: [&[Vec<String>]; 3],
) -> crate::Result<AdjudicatedGroups> {
    let by_text = index_labels(labels);
    let group_names: Vec<String> = names.iter().filter(|n| n.starts_with("group:")).cloned().collect();
    let mut adjudicated = Vec::with_capacity(examples.len());
    for e in examples {
        let l = by_text.get(&(e.policy.as_str(), e.text.as_str())).ok_or_else(|| {
            crate::Error::Data(format!("no adjudicated data groups for a sentence of {}: {:?}", e.policy, e.text))
        })?;
        let mut set = Vec::new();
        for g in &l.groups {
            let name = format!("group:{g}");
            if !group_names.contains(&name) {
                return Err(crate::Error::Data(format!("unknown data group {g:?} in the adjudicated labels of {}", e.policy)));
            }
            set.push(name);
        }
        adjudicated.push(set);
    }
    let only_groups = |v: &[String]| -> Vec<String> { v.iter().filter(|l| l.starts_with("group:")).cloned().collect() };
    let (mut added, mut removed) = (0, 0);
    for (a, g) in adjudicated.iter().zip(gold) {
        let g = only_groups(g);
        added += a.iter().filter(|l| !g.contains(l)).count();
        removed += g.iter().filter(|l| !a.contains(l)).count();
    }
    let score = |pred: &[Vec<String>]| {
        let p: Vec<Vec<String>> = pred.iter().map(|v| only_groups(v)).collect();
        score_sets(&group_names, &adjudicated, &p)
    };
    let extractor_errors = examples
        .iter()
        .zip(&adjudicated)
        .zip(extractor)
        .filter_map(|((e, a), pred)| {
            let p = only_groups(pred);
            let missed: Vec<String> = a.iter().filter(|l| !p.contains(l)).cloned().collect();
            let wrong: Vec<String> = p.iter().filter(|l| !a.contains(l)).cloned().collect();
            (!missed.is_empty() || !wrong.is_empty()).then(|| GroupErrors {
                policy: e.policy.clone(),
                text: e.text.clone(),
                missed,
                wrong,
                practice: pred.iter().any(|l| l == "practice"),
            })
        })
        .collect();
    let (model, extractor, baseline) = (score(model), score(extractor), score(baseline));
    let all = |_: &str| true;
    Ok(AdjudicatedGroups {
        labelled: labels.len(),
        with_groups: adjudicated.iter().filter(|a| !a.is_empty()).count(),
        added_to_opp: added,
        removed_from_opp: removed,
        model_macro_f1: macro_f1(&model, all),
        extractor_macro_f1: macro_f1(&extractor, all),
        baseline_macro_f1: macro_f1(&baseline, all),
        model,
        extractor,
        baseline,
        extractor_errors,
    })
}

/// One Markdown table row per label: heads, extractor and baseline side by side.
fn side_by_side(model: &[LabelScore], extractor: &[LabelScore], baseline: &[LabelScore]) -> String {
    let mut out = String::from("| label | support | heads P | heads R | heads F1 | extractor P | extractor R | extractor F1 | baseline P | baseline R | baseline F1 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for ((mo, ex), ba) in model.iter().zip(extractor).zip(baseline) {
        out.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | **{:.3}** | {:.3} | {:.3} | {:.3} |\n",
            mo.label, mo.support, mo.precision, mo.recall, mo.f1, ex.precision, ex.recall, ex.f1, ba.precision, ba.recall, ba.f1
        ));
    }
    out
}

/// The side-by-side table as Markdown.
pub fn markdown_table(report: &EvalReport) -> String {
    let mut out = side_by_side(&report.model, &report.extractor, &report.baseline);
    let s = &report.summary;
    out.push_str(&format!(
        "\nData-group macro-F1: heads {:.3}, extractor {:.3}, baseline {:.3}. Negation F1: heads {:.3}, extractor {:.3}, baseline {:.3}. Practice F1: heads {:.3}, extractor {:.3}, baseline {:.3}.\nPrefilter keeps {:.1}% of sentences and {:.1}% of gold practice sentences. {} sentences from {} held-out policies.\n",
        s.model_data_group_macro_f1,
        s.extractor_data_group_macro_f1,
        s.baseline_data_group_macro_f1,
        s.model_negation_f1,
        s.extractor_negation_f1,
        s.baseline_negation_f1,
        s.model_practice_f1,
        s.extractor_practice_f1,
        s.baseline_practice_f1,
        s.prefilter_kept * 100.0,
        s.prefilter_practice_recall * 100.0,
        report.examples,
        report.policies
    ));
    if let Some(n) = &report.negation_adjudicated {
        out.push_str(&format!(
            "\nNegation against hand-adjudicated labels ({} held-out sentences with a negation word labelled by hand, {} negated; {} labels differ from the OPP-115 projection; tests/fixtures/eval/SOURCES.md). \"general\" leaves out the {} statements about children only:\n\n| negated | all: support | P | R | F1 | general: support | P | R | F1 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            n.labelled, n.negated, n.changed_from_opp, n.negated - n.general_negated
        ));
        for (who, sc, g) in [
            ("heads", &n.model, &n.general_model),
            ("extractor", &n.extractor, &n.general_extractor),
            ("baseline", &n.baseline, &n.general_baseline),
        ] {
            out.push_str(&format!(
                "| {who} | {} | {:.3} | {:.3} | **{:.3}** | {} | {:.3} | {:.3} | **{:.3}** |\n",
                sc.support, sc.precision, sc.recall, sc.f1, g.support, g.precision, g.recall, g.f1
            ));
        }
    }
    if let Some(g) = &report.groups_adjudicated {
        out.push_str(&format!(
            "\nData groups against hand-adjudicated labels (all {} held-out sentences labelled by hand, {} with a data group; {} labels added to and {} removed from the OPP-115 projection; tests/fixtures/eval/SOURCES.md):\n\n",
            g.labelled, g.with_groups, g.added_to_opp, g.removed_from_opp
        ));
        out.push_str(&side_by_side(&g.model, &g.extractor, &g.baseline));
        out.push_str(&format!(
            "\nData-group macro-F1 against adjudicated labels: heads {:.3}, extractor {:.3}, baseline {:.3}.\n",
            g.model_macro_f1, g.extractor_macro_f1, g.baseline_macro_f1
        ));
    }
    out
}
