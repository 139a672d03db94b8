//! The baseline extractor: transparent phrase and verb rules. A sentence
//! states a practice when it names a data type (ontology phrase) and has a
//! practice verb; negation words flip it; "we" makes it first party, a
//! named recipient or a share/sell verb makes it third party. It is kept to
//! measure the model against, and as a fallback when no model is shipped.

use super::{Action, Actor, Evidence, Extractor, Practice};
use crate::ontology::{EntityMention, EntityOntology, Ontologies};
use crate::policy::{PolicyDocument, Sentence};
use serde::Deserialize;

/// The rule tables in `ontology/rules.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleTables {
    pub practice_cues: Vec<String>,
    pub collect_verbs: Vec<String>,
    pub use_verbs: Vec<String>,
    pub share_verbs: Vec<String>,
    pub sell_verbs: Vec<String>,
    pub retain_verbs: Vec<String>,
    pub negation_cues: Vec<String>,
    pub first_party_cues: Vec<String>,
    pub third_party_cues: Vec<String>,
    /// Phrases that make a sentence about children's data only.
    pub children_cues: Vec<String>,
}

/// The audience of a practice about children's data only.
pub const CHILDREN_AUDIENCE: &str = "children";

/// The shipped rule tables (JSON).
pub const RULES_JSON: &str = include_str!("../../ontology/rules.json");

/// True when `cue` occurs in lower-cased `text` at the start of a word.
/// Cues ending in a space or of two or more words match as written; a
/// one-word cue matches any word it begins (a stem).
fn has_stem(text: &str, cue: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find(cue) {
        let at = from + pos;
        if at == 0 || !bytes[at - 1].is_ascii_alphanumeric() {
            return true;
        }
        from = at + cue.len().max(1);
        if from >= text.len() {
            break;
        }
    }
    false
}

/// True when `word` occurs in lower-cased `text` as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .any(|w| w == word || (word == "n't" && w.ends_with("n't")))
}

impl RuleTables {
    /// The tables compiled into the binary.
    pub fn shipped() -> &'static RuleTables {
        use std::sync::OnceLock;
        static CELL: OnceLock<RuleTables> = OnceLock::new();
        CELL.get_or_init(|| match serde_json::from_str(RULES_JSON) {
            Ok(t) => t,
            // The file is compiled in and checked by a test; an empty table only
            // disables the rules rather than crashing a run.
            Err(_) => RuleTables {
                practice_cues: vec![],
                collect_verbs: vec![],
                use_verbs: vec![],
                share_verbs: vec![],
                sell_verbs: vec![],
                retain_verbs: vec![],
                negation_cues: vec![],
                first_party_cues: vec![],
                third_party_cues: vec![],
                children_cues: vec![],
            },
        })
    }

    /// True when the sentence has any practice cue (the model's prefilter).
    ///
    /// A Chinese sentence (no spaces to find stems by) passes when it holds
    /// a practice verb of `ontology/statements_zh.json` or one of the nouns
    /// Chinese policies name data by (信息, 数据, 权限, SDK, 第三方).
    pub fn has_practice_cue(&self, text: &str) -> bool {
        if crate::policy::detect_language(text) == crate::policy::Language::Zh {
            let zh = crate::extract::statement_zh::ChineseStatementTables::shipped();
            return zh.verbs.values().flatten().any(|v| text.contains(v.as_str()))
                || ["信息", "数据", "权限", "SDK", "第三方", "标识"].iter().any(|n| text.contains(n));
        }
        let lower = text.to_lowercase();
        self.practice_cues.iter().any(|c| has_stem(&lower, c))
    }

    /// Actions whose verbs occur in the sentence.
    pub fn actions(&self, lower: &str) -> Vec<Action> {
        let lists = [
            (Action::Collect, &self.collect_verbs),
            (Action::Use, &self.use_verbs),
            (Action::Share, &self.share_verbs),
            (Action::Sell, &self.sell_verbs),
            (Action::Retain, &self.retain_verbs),
        ];
        lists.iter().filter(|(_, verbs)| verbs.iter().any(|v| has_stem(lower, v))).map(|(a, _)| *a).collect()
    }

    /// True when the sentence has a negation word.
    pub fn negated(&self, lower: &str) -> bool {
        self.negation_cues.iter().any(|c| has_word(lower, c))
    }

    /// True when the sentence speaks of the first party ("we", "our").
    pub fn first_party(&self, lower: &str) -> bool {
        self.first_party_cues.iter().any(|c| has_word(lower, c))
    }

    /// True when the sentence speaks of third parties in general terms.
    pub fn third_party(&self, lower: &str) -> bool {
        self.third_party_cues.iter().any(|c| has_stem(lower, c))
    }

    /// The audience of the practices a sentence states: `Some("children")`
    /// for a sentence about children's data only ("We do not knowingly
    /// collect personal information from children under 13"), else `None`.
    pub fn audience(&self, text: &str) -> Option<String> {
        if crate::policy::detect_language(text) == crate::policy::Language::Zh {
            let zh = &crate::extract::statement_zh::ChineseStatementTables::shipped().children;
            return zh.iter().any(|c| text.contains(c.as_str())).then(|| CHILDREN_AUDIENCE.to_string());
        }
        let lower = text.to_lowercase().replace('\u{2019}', "'");
        self.children_cues.iter().any(|c| has_stem(&lower, c)).then(|| CHILDREN_AUDIENCE.to_string())
    }
}

/// The baseline extractor.
pub struct RuleExtractor {
    ontologies: &'static Ontologies,
}

/// What the rules read in one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceReading {
    pub actors: Vec<Actor>,
    pub actions: Vec<Action>,
    pub negated: bool,
    /// (data type id, phrase span within the sentence)
    pub data_types: Vec<(String, usize, usize)>,
}

impl RuleExtractor {
    /// A rule extractor over the shipped tables and the given ontologies.
    pub fn new(ontologies: &'static Ontologies) -> Self {
        RuleExtractor { ontologies }
    }

    /// Read one sentence; `None` when it states no practice.
    pub fn read(&self, text: &str) -> Option<SentenceReading> {
        let rules = RuleTables::shipped();
        let lower = text.to_lowercase();
        let data_types: Vec<(String, usize, usize)> =
            self.ontologies.data_types.find_phrases(text).into_iter().map(|m| (m.id, m.start, m.end)).collect();
        let actions = rules.actions(&lower);
        if data_types.is_empty() || actions.is_empty() {
            return None;
        }
        let mut recipients = Vec::new();
        for m in self.ontologies.entities.find_mentions(text) {
            let actor = match EntityOntology::split_mention(&m.id) {
                EntityMention::Category("third_party") => Actor::ThirdParty,
                EntityMention::Category(c) => Actor::Category(c.to_string()),
                EntityMention::Organization(o) => Actor::Organization(o.to_string()),
            };
            if !recipients.contains(&actor) {
                recipients.push(actor);
            }
        }
        if recipients.is_empty() && rules.third_party(&lower) {
            recipients.push(Actor::ThirdParty);
        }
        let shares = actions.iter().any(|a| matches!(a, Action::Share | Action::Sell));
        let mut actors = Vec::new();
        if rules.first_party(&lower) || recipients.is_empty() {
            actors.push(Actor::FirstParty);
        }
        if shares || !rules.first_party(&lower) {
            if recipients.is_empty() && shares {
                recipients.push(Actor::ThirdParty);
            }
            actors.extend(recipients);
        }
        Some(SentenceReading { actors, actions, negated: rules.negated(&lower), data_types })
    }

    /// Practices of one sentence.
    pub fn sentence_practices(&self, sentence: &Sentence) -> Vec<Practice> {
        let Some(reading) = self.read(&sentence.text) else { return Vec::new() };
        let evidence = Evidence { start: sentence.start, end: sentence.end, text: sentence.text.clone() };
        let audience = RuleTables::shipped().audience(&sentence.text);
        let mut out = Vec::new();
        for actor in &reading.actors {
            for &action in &reading.actions {
                let fits = match actor {
                    Actor::FirstParty => matches!(action, Action::Collect | Action::Use | Action::Retain),
                    _ => matches!(action, Action::Share | Action::Sell | Action::Collect),
                };
                if !fits {
                    continue;
                }
                for (dt, s, e) in &reading.data_types {
                    out.push(Practice {
                        actor: actor.clone(),
                        action,
                        data_type: dt.clone(),
                        negated: reading.negated,
                        evidence: evidence.clone(),
                        data_phrase: Some(Evidence {
                            start: sentence.start + s,
                            end: sentence.start + e,
                            text: sentence.text[*s..*e].to_string(),
                        }),
                        confidence: 1.0,
                        audience: audience.clone(),
                        except: Vec::new(),
                        condition: None,
                        scope: None,
                        language: sentence.language,
                        sdk: None,
                    });
                }
            }
        }
        out
    }
}

/// A short digest of the shipped rule tables (the rule extractor's cue
/// words and the model's prefilter both read them).
pub fn rules_digest() -> String {
    crate::ontology::short_digest(&[RULES_JSON])
}

impl Extractor for RuleExtractor {
    fn name(&self) -> &str {
        "rules"
    }

    fn version(&self) -> String {
        format!("rules:{}+o{}", rules_digest(), self.ontologies.digest())
    }

    fn extract(&self, doc: &PolicyDocument) -> crate::Result<Vec<Practice>> {
        Ok(doc.sentences.iter().flat_map(|s| self.sentence_practices(s)).collect())
    }
}
