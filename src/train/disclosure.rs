//! Disclosure extraction scored on hand-labelled app-policy sentences
//! (`tests/fixtures/eval/app_sentences.jsonl`): for each sentence, which
//! (actor, data type) disclosures does an extractor find, against what a
//! person read there. This is the measure PoliGraph and PolicyLint report
//! (precision / recall of disclosures), plus a false-positive rate over the
//! sentences that state no practice at all.
//!
//! Matching: the actor by kind (first party / any third party); the data
//! type equal, more specific than the label, or more general but not the
//! ontology's root (`personal_info` does not stand for "email address");
//! negation must agree. Actions are not scored.

use crate::extract::{Actor, Extractor, Practice};
use crate::ontology::Ontologies;
use crate::policy::{parse_policy, PolicyFormat};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Hand-labelled sentences shipped with the repository.
pub const DEFAULT_APP_SENTENCES: &str = "tests/fixtures/eval/app_sentences.jsonl";

/// One labelled disclosure.
#[derive(Debug, Clone, Deserialize)]
pub struct GoldDisclosure {
    /// `first_party`, `third_party`, `category:ID` or `org:Name`.
    pub actor: String,
    pub action: String,
    pub data_type: String,
    #[serde(default)]
    pub negated: bool,
}

/// One labelled sentence.
#[derive(Debug, Clone, Deserialize)]
pub struct AppSentence {
    pub app: String,
    pub text: String,
    pub disclosures: Vec<GoldDisclosure>,
}

/// Which half an app's sentences belong to: `dev` (decoding rules were
/// looked at and tuned there) or `test` (only reported), by a stable hash
/// of the app name.
pub fn app_half(app: &str) -> &'static str {
    if super::dataset::stable_hash(app) % 2 == 0 {
        "dev"
    } else {
        "test"
    }
}

/// Read the labelled sentences (JSONL).
pub fn read_app_sentences(path: &Path) -> crate::Result<Vec<AppSentence>> {
    super::dataset::read_jsonl(path)
}

/// Scores of one extractor.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DisclosureScore {
    pub extractor: String,
    /// `dev`, `test` or `all`.
    pub half: String,
    pub sentences: usize,
    /// Affirmative gold disclosures, and how many were found.
    pub gold: usize,
    pub found: usize,
    /// Affirmative predicted disclosures, and how many match a gold one.
    pub predicted: usize,
    pub correct: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Negated gold disclosures found as negated.
    pub negated_gold: usize,
    pub negated_found: usize,
    pub negated_predicted: usize,
    pub negated_correct: usize,
    /// Sentences with no labelled disclosure (affirmative or negated), and
    /// how many of them the extractor gave an affirmative disclosure.
    pub empty_sentences: usize,
    pub false_positive_sentences: usize,
    pub false_positive_rate: f64,
    /// Sentences where the extractor missed a labelled disclosure or gave
    /// one that matches no label (for error analysis; not serialized in
    /// the score table).
    #[serde(skip)]
    pub errors: Vec<SentenceErrors>,
}

/// What an extractor got wrong on one labelled sentence.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceErrors {
    pub app: String,
    pub half: String,
    pub text: String,
    /// Labelled disclosures no prediction stands for: `third|first data_type [negated]`.
    pub missed: Vec<String>,
    /// Predicted disclosures that stand for no label.
    pub wrong: Vec<String>,
}

fn describe(k: &Key) -> String {
    format!("{} {}{}", if k.0 { "third" } else { "first" }, k.1, if k.2 { " negated" } else { "" })
}

/// (third party?, data type, negated) of a disclosure.
type Key = (bool, String, bool);

fn gold_key(d: &GoldDisclosure) -> Key {
    (d.actor != "first_party", d.data_type.clone(), d.negated)
}

fn predicted_key(p: &Practice) -> Key {
    (!matches!(p.actor, Actor::FirstParty), p.data_type.clone(), p.negated)
}

/// Does a predicted disclosure stand for a labelled one?
fn matches(pred: &Key, gold: &Key, ont: &Ontologies) -> bool {
    let dt = &ont.data_types;
    pred.0 == gold.0
        && pred.2 == gold.2
        && (pred.1 == gold.1
            || dt.subsumes(&gold.1, &pred.1)
            || (dt.subsumes(&pred.1, &gold.1) && dt.depth(&pred.1) > 0))
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Score `extractor` on the labelled sentences; each sentence is read as a
/// one-sentence text policy.
pub fn score_disclosures(
    extractor: &dyn Extractor,
    ont: &Ontologies,
    sentences: &[&AppSentence],
    half: &str,
) -> crate::Result<DisclosureScore> {
    let mut s = DisclosureScore {
        extractor: extractor.name().to_string(),
        half: half.to_string(),
        sentences: sentences.len(),
        ..Default::default()
    };
    for sentence in sentences {
        let doc = parse_policy(sentence.text.as_bytes(), Some(PolicyFormat::Text), &sentence.app)
            .map_err(|e| crate::Error::Data(format!("{}: {e}", sentence.app)))?;
        let mut predicted: Vec<Key> = extractor.extract(&doc)?.iter().map(predicted_key).collect();
        predicted.sort();
        predicted.dedup();
        let gold: Vec<Key> = sentence.disclosures.iter().map(gold_key).collect();
        let missed: Vec<String> =
            gold.iter().filter(|g| !predicted.iter().any(|p| matches(p, g, ont))).map(describe).collect();
        let wrong: Vec<String> =
            predicted.iter().filter(|p| !gold.iter().any(|g| matches(p, g, ont))).map(describe).collect();
        if !missed.is_empty() || !wrong.is_empty() {
            s.errors.push(SentenceErrors {
                app: sentence.app.clone(),
                half: half.to_string(),
                text: sentence.text.clone(),
                missed,
                wrong,
            });
        }
        for negated in [false, true] {
            let g: Vec<&Key> = gold.iter().filter(|k| k.2 == negated).collect();
            let p: Vec<&Key> = predicted.iter().filter(|k| k.2 == negated).collect();
            let found = g.iter().filter(|gk| p.iter().any(|pk| matches(pk, gk, ont))).count();
            let correct = p.iter().filter(|pk| g.iter().any(|gk| matches(pk, gk, ont))).count();
            if negated {
                s.negated_gold += g.len();
                s.negated_found += found;
                s.negated_predicted += p.len();
                s.negated_correct += correct;
            } else {
                s.gold += g.len();
                s.found += found;
                s.predicted += p.len();
                s.correct += correct;
            }
        }
        if gold.is_empty() {
            s.empty_sentences += 1;
            if predicted.iter().any(|k| !k.2) {
                s.false_positive_sentences += 1;
            }
        }
    }
    s.precision = ratio(s.correct, s.predicted);
    s.recall = ratio(s.found, s.gold);
    s.f1 = if s.precision + s.recall > 0.0 { 2.0 * s.precision * s.recall / (s.precision + s.recall) } else { 0.0 };
    s.false_positive_rate = ratio(s.false_positive_sentences, s.empty_sentences);
    Ok(s)
}

/// The scores of several extractors on the hand-labelled sentences of
/// `source` (the file they were read from) as a Markdown table.
pub fn markdown_table(source: &str, scores: &[DisclosureScore]) -> String {
    let mut out = format!(
        "Disclosure extraction on hand-labelled app-policy sentences ({source}; one row per extractor and half of the file; for tests/fixtures/eval/app_sentences.jsonl decoding was tuned on its dev half only, and each Chinese file is one half of the CAPP-130 split, so pool its two rows):\n\n| extractor | half | sentences | precision | recall | F1 | negated P | negated R | sentence FPR |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for s in scores {
        out.push_str(&format!(
            "| {} | {} | {} | {:.3} ({}/{}) | {:.3} ({}/{}) | **{:.3}** | {:.3} | {:.3} ({}/{}) | {:.3} ({}/{}) |\n",
            s.extractor,
            s.half,
            s.sentences,
            s.precision,
            s.correct,
            s.predicted,
            s.recall,
            s.found,
            s.gold,
            s.f1,
            ratio(s.negated_correct, s.negated_predicted),
            ratio(s.negated_found, s.negated_gold),
            s.negated_found,
            s.negated_gold,
            s.false_positive_rate,
            s.false_positive_sentences,
            s.empty_sentences
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(third: bool, dt: &str, negated: bool) -> Key {
        (third, dt.to_string(), negated)
    }

    #[test]
    fn a_disclosure_matches_by_actor_kind_negation_and_related_type() {
        let ont = crate::ontology::shipped().unwrap();
        let gold = key(true, "location", false);
        assert!(matches(&key(true, "location", false), &gold, ont));
        assert!(matches(&key(true, "precise_location", false), &gold, ont), "more specific");
        assert!(!matches(&key(false, "location", false), &gold, ont), "actor kind");
        assert!(!matches(&key(true, "location", true), &gold, ont), "negation");
        assert!(!matches(&key(true, "email_address", false), &gold, ont), "unrelated type");
        assert!(!matches(&key(true, "personal_info", false), &gold, ont), "the root stands for nothing");
        assert!(matches(&key(true, "location", false), &key(true, "precise_location", false), ont), "more general");
    }

    #[test]
    fn scores_count_found_missed_and_false_positive_sentences() {
        let ont = crate::ontology::shipped().unwrap();
        let rules = crate::extract::rules::RuleExtractor::new(ont);
        let line = |text: &str, disclosures: &str| -> AppSentence {
            serde_json::from_str(&format!(r#"{{"app":"a","text":"{text}","disclosures":{disclosures}}}"#)).unwrap()
        };
        let sentences = [
            line(
                "We collect your email address.",
                r#"[{"actor":"first_party","action":"collect","data_type":"email_address","negated":false}]"#,
            ),
            line(
                "We collect your phone number.",
                r#"[{"actor":"first_party","action":"collect","data_type":"health_info","negated":false}]"#,
            ),
            line("Contact us if you have questions.", "[]"),
        ];
        let refs: Vec<&AppSentence> = sentences.iter().collect();
        let s = score_disclosures(&rules, ont, &refs, "all").unwrap();
        assert_eq!((s.gold, s.found), (2, 1), "{s:?}");
        assert!(s.predicted >= 2 && s.correct == 1, "{s:?}");
        assert_eq!((s.empty_sentences, s.false_positive_sentences), (1, 0), "{s:?}");
    }
}
