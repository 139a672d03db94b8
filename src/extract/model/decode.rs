//! From per-sentence label probabilities to [`Practice`]s: the model says
//! whether and how a sentence states a practice and which data groups it
//! names; the ontologies pin down the exact data types (phrases under a
//! predicted group) and the named recipients (organizations, categories).

use super::labels::{group_index, idx, LabelSpace};
use crate::extract::{rules::RuleTables, Action, Actor, Evidence, Practice};
use crate::ontology::{EntityMention, EntityOntology, Ontologies, PhraseMatch};
use crate::policy::Sentence;

/// The prefilter: false for sentences that cannot state a data practice
/// (no practice verb, data noun or recipient word at all). Skipped
/// sentences are never sent to the encoder.
pub fn may_state_practice(text: &str) -> bool {
    RuleTables::shipped().has_practice_cue(text)
}

/// Revision of these decoding rules. Bump it with any change that can
/// change the practices decoded from the same probabilities: it is part of
/// the extractor's version, so practices cached by an older candor are not
/// reused.
pub const REVISION: u32 = 5;

// The three bars below were chosen together for `candor-minilm-7-l4` on a
// grid (practice 0.6/0.7/0.8 x phrase 0.05/0.1/0.2 x umbrella
// 0.7/0.8/0.85/0.9), by the sum of two development scores: data-group
// macro-F1 on the OPP-115 validation policies against their hand labels, and
// disclosure F1 on the dev half of the hand-labelled app sentences; the
// held-out figures played no part in that choice. (Earlier exploration of
// the phrase bar and umbrella range on other models printed held-out
// figures beside validation ones: see the caveat in models/README.md,
// which also holds the grid and its figures.)

/// Least `practice` probability for a sentence to state a practice (the
/// label's own threshold applies when it is higher). Threshold tuning on
/// OPP-115 validation picks a lower bar, which on app policies lets
/// definitions and cookie explanations through ("A cookie is a small piece
/// of data ..."): on the app dev half, 0.6, 0.7 and 0.8 give F1 0.856,
/// 0.859 and 0.861 at sentence false-positive rates 0.135, 0.115, 0.115.
pub const MIN_PRACTICE_PROBABILITY: f32 = 0.8;

/// Least probability of a data group for its own data type (the group's
/// umbrella, e.g. `usage_data` for `online_activity`) to be read from a
/// sentence that names no phrase under it. Below this the sentence gives
/// only the types its words name. Vague wording ("information about your
/// visits", "your account") is common in policies, so the umbrella often is
/// what the sentence says; but on app policies an umbrella beside the
/// specific types a sentence lists is often a guess (0.7: app dev F1 0.851,
/// OPP-115 validation 0.769; 0.8: 0.861 and 0.766; 0.9: 0.870 and 0.738).
pub const MIN_UMBRELLA_PROBABILITY: f32 = 0.8;

/// Least probability of the data group an ontology phrase falls under for
/// the phrase to give its data type: a phrase the model does not read as
/// data of its group at all is not what the sentence states a practice
/// about ("email us at ..." in a sentence about cookies). A low bar: it
/// drops phrases the model rules out, not those it is unsure of (0.05 and
/// 0.1 score within 0.004 of each other on both development sets, 0.2
/// loses 0.015 of OPP-115 validation F1).
pub const MIN_PHRASE_GROUP_PROBABILITY: f32 = 0.05;

/// The data type of a negated or sale statement that names no data type.
const GENERIC_DATA_TYPE: &str = "personal_info";

/// Threshold of output `i`.
fn threshold(labels: &LabelSpace, i: usize) -> f32 {
    labels.thresholds.get(i).copied().unwrap_or(0.5)
}

/// Practices one sentence states, given its label probabilities.
pub fn practices(sentence: &Sentence, probs: &[f32], labels: &LabelSpace, ont: &Ontologies) -> Vec<Practice> {
    let on = |i: usize| probs.get(i).copied().unwrap_or(0.0) >= threshold(labels, i);
    let p_practice = probs.get(idx::PRACTICE).copied().unwrap_or(0.0);
    let states_practice = on(idx::PRACTICE) && p_practice >= MIN_PRACTICE_PROBABILITY;
    // A sentence that says a practice does not happen states a practice
    // too, even where the practice head (trained mostly on affirmative
    // OPP-115 statements) is unsure: "TEN will not otherwise provide any
    // personal data to your credit card company" (practice 0.36, negated 0.64).
    if !states_practice && !on(idx::NEGATED) {
        return Vec::new();
    }
    let predicted: Vec<Action> =
        Action::ALL.iter().enumerate().filter(|(k, _)| on(idx::ACTIONS + k)).map(|(_, a)| *a).collect();
    let negated = on(idx::NEGATED);
    let mut data = data_types(sentence, probs, labels, ont);
    if data.is_empty() {
        // "We do not share your information", "We never sell your data": a
        // promise or a sale about personal data in general still counts (a
        // flow can contradict it); other practices need a data type.
        if !(negated || predicted.contains(&Action::Sell)) || !ont.data_types.contains(GENERIC_DATA_TYPE) {
            return Vec::new();
        }
        data.push((GENERIC_DATA_TYPE.to_string(), None));
    }
    // A recipient named in the sentence (an organization, "advertising
    // partners", "payment processors") halves the bar for the third-party head.
    let p_third = probs.get(idx::THIRD_PARTY).copied().unwrap_or(0.0);
    let mentions = ont.entities.find_mentions(&sentence.text);
    let third = on(idx::THIRD_PARTY) || (!mentions.is_empty() && p_third >= 0.5 * threshold(labels, idx::THIRD_PARTY));
    let actors = actors(&mentions, on(idx::FIRST_PARTY), third);
    let evidence = Evidence { start: sentence.start, end: sentence.end, text: sentence.text.clone() };
    let audience = RuleTables::shipped().audience(&sentence.text);
    let mut out = Vec::new();
    for actor in &actors {
        for action in actions_for(actor, &predicted) {
            for (data_type, phrase) in &data {
                out.push(Practice {
                    actor: actor.clone(),
                    action,
                    data_type: data_type.clone(),
                    negated,
                    evidence: evidence.clone(),
                    data_phrase: phrase.clone(),
                    confidence: p_practice,
                    audience: audience.clone(),
                });
            }
        }
    }
    out
}

/// Data types the sentence names: every ontology phrase in a sentence the
/// model reads as a practice whose data group the model does not rule out
/// (the phrase is the evidence), plus the group's own type for a
/// confidently predicted group with no phrase under it ("information that
/// identifies you" -> personal_info).
fn data_types(sentence: &Sentence, probs: &[f32], labels: &LabelSpace, ont: &Ontologies) -> Vec<(String, Option<Evidence>)> {
    let dt = &ont.data_types;
    let group_on = |g: usize| {
        let p = probs.get(idx::GROUPS + g).copied().unwrap_or(0.0);
        p >= threshold(labels, idx::GROUPS + g) && p >= MIN_UMBRELLA_PROBABILITY
    };
    let mut out: Vec<(String, Option<Evidence>)> = Vec::new();
    let mut covered = vec![false; labels.groups.len()];
    for m in dt.find_phrases(&sentence.text) {
        for (g, group) in labels.groups.iter().enumerate() {
            if group.covers(dt, &m.id) {
                covered[g] = true;
            }
        }
        if let Some(g) = group_index(&labels.groups, dt, &m.id) {
            if probs.get(idx::GROUPS + g).copied().unwrap_or(0.0) < MIN_PHRASE_GROUP_PROBABILITY {
                continue;
            }
        }
        if !out.iter().any(|(id, _)| *id == m.id) {
            out.push((
                m.id.clone(),
                Some(Evidence {
                    start: sentence.start + m.start,
                    end: sentence.start + m.end,
                    text: sentence.text[m.start..m.end].to_string(),
                }),
            ));
        }
    }
    for (g, group) in labels.groups.iter().enumerate() {
        if group_on(g) && !covered[g] && dt.contains(&group.data_type) && !out.iter().any(|(id, _)| *id == group.data_type) {
            out.push((group.data_type.clone(), None));
        }
    }
    out
}

/// Actors: the first party when predicted; for a third-party sentence the
/// organizations and categories among the sentence's entity `mentions`, or
/// third parties in general.
fn actors(mentions: &[PhraseMatch], first: bool, third: bool) -> Vec<Actor> {
    let mut out = Vec::new();
    if third {
        for m in mentions {
            let actor = match EntityOntology::split_mention(&m.id) {
                EntityMention::Category("third_party") => Actor::ThirdParty,
                EntityMention::Category(c) => Actor::Category(c.to_string()),
                EntityMention::Organization(o) => Actor::Organization(o.to_string()),
            };
            if !out.contains(&actor) {
                out.push(actor);
            }
        }
        if out.is_empty() {
            out.push(Actor::ThirdParty);
        }
    }
    if first || out.is_empty() {
        out.insert(0, Actor::FirstParty);
    }
    out
}

/// The predicted actions that fit the actor (the first party collects, uses
/// and retains; a third party receives: share, sell, collect), or the
/// actor's default action when none fits.
fn actions_for(actor: &Actor, predicted: &[Action]) -> Vec<Action> {
    let fits = |a: &Action| match actor {
        Actor::FirstParty => matches!(a, Action::Collect | Action::Use | Action::Retain),
        _ => matches!(a, Action::Share | Action::Sell | Action::Collect),
    };
    let mut out: Vec<Action> = predicted.iter().copied().filter(fits).collect();
    if out.is_empty() {
        out.push(if *actor == Actor::FirstParty { Action::Collect } else { Action::Share });
    }
    out
}
