//! From per-sentence label probabilities to [`Practice`]s: the model says
//! whether and how a sentence states a practice and which data groups it
//! names; the ontologies pin down the exact data types (phrases under a
//! predicted group) and the named recipients (organizations, categories).

use super::labels::{group_index, idx, LabelSpace};
use crate::extract::statement::{read_statement, StatementKind, StatementReading, StatementTables, Subject};
use crate::extract::{rules::RuleTables, Action, Actor, Evidence, Practice};
use crate::ontology::{EntityMention, EntityOntology, Ontologies, PhraseMatch};
use crate::policy::{BlockKind, Sentence};

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
pub const REVISION: u32 = 27;

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

/// Where a sentence stands in its policy: the kind of block it is in and
/// the sentence before it (pronouns such as "they" point back to it).
#[derive(Debug, Clone, Copy)]
pub struct SentenceContext<'a> {
    pub block: BlockKind,
    pub previous: Option<&'a Sentence>,
    /// For a list item: the sentence that introduces the list ("This
    /// service may collect the following:") and the one before it.
    pub lead_in: Option<(&'a Sentence, Option<&'a Sentence>)>,
    /// The sentences that follow under the same heading (a few): what
    /// "except in the following circumstances:" refers to.
    pub following: &'a [Sentence],
    /// The sentences before (a few, nearest last): what "these third
    /// parties" refers to.
    pub before: &'a [Sentence],
}

impl Default for SentenceContext<'_> {
    fn default() -> Self {
        SentenceContext { block: BlockKind::Paragraph, previous: None, lead_in: None, following: &[], before: &[] }
    }
}

/// Mentions found in another sentence, given an empty span in this one (they
/// name who this sentence speaks of, not where it names them).
fn from_elsewhere(mentions: Vec<PhraseMatch>) -> Vec<PhraseMatch> {
    mentions.into_iter().map(|m| PhraseMatch { start: 0, end: 0, ..m }).collect()
}

/// Who a list's lead-in sentence (with its statement `reading`) speaks of,
/// when it is a third party: its named recipients (or those of the sentence
/// before, for "this service"), or third parties in general. `None` when
/// the lead-in is about the app maker or says nothing of whom.
fn lead_in_recipients(lead_in: &Sentence, reading: &StatementReading, before: Option<&Sentence>, ont: &Ontologies) -> Option<Vec<PhraseMatch>> {
    let lower = format!(" {} ", lead_in.text.to_lowercase());
    let we = [" we ", " us ", " our ", " we'", " us,", " us."].iter().any(|w| lower.contains(w)) || lead_in.text.contains("我们");
    let mut mentions = ont.entities.find_mentions(&lead_in.text);
    if reading.subject == Subject::ThirdParty && mentions.is_empty() {
        mentions = before.map(|b| ont.entities.find_mentions(&b.text)).unwrap_or_default();
    }
    if reading.subject == Subject::ThirdParty || (!we && !mentions.is_empty()) {
        Some(from_elsewhere(mentions))
    } else {
        None
    }
}

/// Practices one sentence states, given its label probabilities and its
/// place in the policy.
///
/// The model says whether the sentence states a practice, by whom, which
/// actions and whether it is negated; the statement reading
/// ([`crate::extract::statement`]) says whether it is a statement at all
/// (headings and questions are not), which verbs a negation denies (the
/// other actions stay affirmative), and whether a negation is only a
/// restriction on a recipient, conditional ("except ...", data of one
/// page) or about something else than a practice: none of those is a
/// denial. "Only ... with X" denies sharing with anyone but X.
pub fn practices(sentence: &Sentence, context: &SentenceContext, probs: &[f32], labels: &LabelSpace, ont: &Ontologies) -> Vec<Practice> {
    let reading = read_statement(&sentence.text, context.block);
    // Headings and questions state nothing. A sentence about the policy
    // itself or the user's rights ("This page is used to inform visitors
    // regarding ... Personal Information", "you have the right to access
    // your contact information") names practices but declares none: they
    // are listed, marked `about_policy`, and compare ignores them.
    if matches!(reading.kind, StatementKind::Heading | StatementKind::Question | StatementKind::LegalGround) {
        return Vec::new();
    }
    let about_policy = reading.kind == StatementKind::Meta;
    let on = |i: usize| probs.get(i).copied().unwrap_or(0.0) >= threshold(labels, i);
    let p_practice = probs.get(idx::PRACTICE).copied().unwrap_or(0.0);
    // An item of a list whose lead-in states a practice ("For registered
    // users, data stored on our server consist of:") and that names data
    // ("a login, an encrypted password and an email") states that practice,
    // however short the item is.
    // The lead-in of a list item, read once for both uses below.
    let lead_in = context.lead_in.filter(|_| context.block == BlockKind::ListItem);
    let lead_reading = lead_in.map(|(lead, _)| read_statement(&lead.text, BlockKind::Paragraph));
    let lead_in_practice = lead_in.zip(lead_reading.as_ref()).is_some_and(|((lead, _), r)| {
        lead.text.trim_end().ends_with([':', '\u{ff1a}']) && r.negation.denied.is_empty() && !r.negation.affirmed.is_empty()
    }) && !ont.data_types.find_phrases(&sentence.text).is_empty();
    let states_practice = (on(idx::PRACTICE) && p_practice >= labels.decoding.min_practice) || lead_in_practice;
    // A recipient named in the sentence (an organization, "advertising
    // partners", "payment processors") halves the bar for the third-party
    // head. "They", "these partners", "none of them" are the third parties
    // of the sentence before when this one names none.
    let p_third = probs.get(idx::THIRD_PARTY).copied().unwrap_or(0.0);
    let mut mentions = ont.entities.find_mentions(&sentence.text);
    // "these third parties have access to ...": the recipients named just
    // before, when the sentence names none of its own but the generic ones.
    let lower_text = sentence.text.to_lowercase();
    let anaphoric = StatementTables::shipped().anaphors.iter().any(|a| lower_text.contains(a.as_str()));
    let pronoun = reading.subject == Subject::ThirdParty || anaphoric;
    let is_specific = |m: &PhraseMatch| !matches!(EntityOntology::split_mention(&m.id), EntityMention::Category("third_party"));
    let only_generic = mentions.iter().all(|m| matches!(EntityOntology::split_mention(&m.id), EntityMention::Category(_)));
    // "these third parties" points back to the nearest recipients named
    // before (a few sentences up); a reference that finds none says nothing
    // of third parties in general.
    let mut unresolved = false;
    if anaphoric && !mentions.iter().any(|m| is_specific(m)) {
        let found = context.before.iter().rev().take(12).find_map(|b| {
            let m: Vec<PhraseMatch> = ont.entities.find_mentions(&b.text).into_iter().filter(|m| is_specific(m)).collect();
            (!m.is_empty()).then_some(m)
        });
        match found {
            Some(m) => mentions = from_elsewhere(m),
            None => unresolved = true,
        }
    } else if pronoun && only_generic {
        if let Some(prev) = context.previous {
            let earlier: Vec<PhraseMatch> = ont.entities.find_mentions(&prev.text);
            if earlier.iter().any(|m| matches!(EntityOntology::split_mention(&m.id), EntityMention::Organization(_))) {
                mentions = from_elsewhere(earlier);
            }
        }
    }
    if unresolved {
        return Vec::new();
    }
    if pronoun && mentions.is_empty() {
        if let Some(prev) = context.previous {
            mentions = from_elsewhere(ont.entities.find_mentions(&prev.text));
        }
    }
    // A list item that names no one of its own is said by its lead-in
    // ("This service may collect ...: - Device information ...").
    let mut list_third = false;
    if context.block == BlockKind::ListItem && mentions.is_empty() && !pronoun {
        let lower = format!(" {} ", sentence.text.to_lowercase());
        let we = [" we ", " us ", " our "].iter().any(|w| lower.contains(w)) || sentence.text.contains("我们");
        if let (false, Some((lead, before)), Some(r)) = (we, lead_in, lead_reading.as_ref()) {
            if let Some(m) = lead_in_recipients(lead, r, before, ont) {
                mentions = m;
                list_third = true;
            }
        }
    }
    let pronoun = pronoun || list_third;
    // "Your personal information will be transferred from your jurisdiction
    // to servers in another country": a sentence about where data is stored
    // or goes, naming no recipient, speaks of a cross-border transfer (read
    // by `region`), not of a third party receiving the data.
    let cross_border_only = mentions.is_empty() && !pronoun && states_cross_border(sentence);
    // "We use Google Analytics, which lets us analyze our users'
    // demographics (age, gender)", "The app uses AdMob": a service the app
    // maker says it uses takes part in the practice of the sentence.
    let uses_service = mentions.iter().any(|m| {
        matches!(EntityOntology::split_mention(&m.id), EntityMention::Organization(_)) && follows_use_verb(&sentence.text, m.start)
    });
    let third = !cross_border_only
        && (pronoun || uses_service || on(idx::THIRD_PARTY) || (!mentions.is_empty() && p_third >= 0.5 * threshold(labels, idx::THIRD_PARTY)));
    let first = on(idx::FIRST_PARTY) && !pronoun;
    // Recipients named after "except", "other than" or "only ... with" are
    // the ones allowed: a denial leaves them out.
    let (allowed, others): (Vec<PhraseMatch>, Vec<PhraseMatch>) = match reading.allowed_from {
        Some(at) if !pronoun => mentions.iter().cloned().partition(|m| m.start >= at),
        _ => (Vec::new(), mentions.clone()),
    };
    // "We do not share it except in the following circumstances:" names
    // the allowed recipients in what follows.
    let mut allowed = allowed;
    if reading.allowed_from.is_some() && allowed.is_empty() && sentence.text.trim_end().ends_with([':', '：']) && !reading.negation.denied.is_empty() {
        for next in context.following.iter().filter(|n| n.heading == sentence.heading) {
            allowed.extend(from_elsewhere(ont.entities.find_mentions(&next.text)));
        }
    }
    let allowed_actors = actors(&allowed, false, true).into_iter().filter(|a| *a != Actor::FirstParty && *a != Actor::ThirdParty).collect::<Vec<_>>();
    // The model says the sentence is negated; the reading says which
    // actions the negation denies. A negation that restricts a recipient,
    // is conditional ("without your consent", "except as described", data
    // of one page) or is about something else denies nothing; one with
    // named exceptions ("other than Google Crashlytics") denies the act to
    // every recipient but those.
    // "We will not share it with third parties other than our Clients":
    // the exception names a recipient the ontology does not know; the
    // denial stands for every recipient an app's traffic shows.
    let unknown_recipient = allowed_actors.is_empty()
        && reading.allowed_from.is_some()
        && unknown_recipient_exception(&sentence.text).is_some_and(|(from, to)| !mentions.iter().any(|m| m.start >= from && m.start < to));
    let mut denied: Vec<Action> = if on(idx::NEGATED) && (!reading.negation.conditional || !allowed_actors.is_empty() || unknown_recipient) {
        reading.negation.denied.clone()
    } else {
        Vec::new()
    };
    // "The app does not use cookies": a denied use of data, with no other
    // verb that affirms collecting it, denies collecting it too.
    if denied.contains(&Action::Use) && !denied.contains(&Action::Collect) && !reading.negation.affirmed.contains(&Action::Collect) {
        denied.push(Action::Collect);
    }
    // A sentence that says a practice does not happen states a practice
    // too, even where the practice head (trained mostly on affirmative
    // OPP-115 statements) is unsure: "TEN will not otherwise provide any
    // personal data to your credit card company" (practice 0.36, negated 0.64).
    // A negation the model reads that denies nothing outright is kept,
    // marked with why, so the practice list says what the sentence says.
    let scoped = on(idx::NEGATED) && denied.is_empty();
    let scope = scoped.then(|| {
        if reading.negation.restriction {
            "restriction"
        } else if reading.negation.conditional {
            "conditional"
        } else {
            "off_practice"
        }
        .to_string()
    });
    if !states_practice && denied.is_empty() && !reading.only_with && !scoped {
        return Vec::new();
    }
    // In a sentence with a negation, an action is affirmed only where a
    // verb of it stands outside the negation ("we *collect* it but do not
    // share it"); "we do not sell your data" affirms no sharing.
    // A negation the reading finds is read so even where the model's
    // negation head is unsure ("未经您授权，我们不会将您的个人信息与服务商共享"
    // affirms no share).
    let negation_read = !denied.is_empty() || scoped || !reading.negation.denied.is_empty();
    let model_actions: Vec<Action> = Action::ALL.iter().enumerate().filter(|(k, _)| on(idx::ACTIONS + k)).map(|(_, a)| *a).collect();
    let predicted: Vec<Action> = if states_practice {
        model_actions
            .iter()
            .copied()
            .filter(|a| !denied.contains(a) && (!negation_read || reading.negation.affirmed.contains(a)))
            .collect()
    } else {
        Vec::new()
    };
    let mut data = data_types(sentence, probs, labels, ont);
    // "These companies may use information (not including your name, address,
    // email address, or telephone number)": the data named after "not
    // including" is what the sentence's recipients do not get.
    let spans = exclusion_spans(&sentence.text);
    let inside = |e: &Option<Evidence>| {
        e.as_ref().is_some_and(|e| spans.iter().any(|&(a, b)| e.start >= sentence.start + a && e.end <= sentence.start + b))
    };
    let excluded: Vec<(String, Option<Evidence>)> = data.iter().filter(|(_, e)| inside(e)).cloned().collect();
    if !excluded.is_empty() {
        data.retain(|(_, e)| !inside(e));
        if data.is_empty() && states_practice && ont.data_types.contains(GENERIC_DATA_TYPE) {
            data.push((GENERIC_DATA_TYPE.to_string(), None));
        }
    }
    if data.is_empty() && !excluded.is_empty() {
        return Vec::new();
    }
    if data.is_empty() {
        // "We do not share your information", "We never sell your data": a
        // promise or a sale about personal data in general still counts (a
        // flow can contradict it); other practices need a data type.
        let generic = !denied.is_empty() || scoped || reading.only_with || predicted.contains(&Action::Sell);
        if !generic || !ont.data_types.contains(GENERIC_DATA_TYPE) {
            return Vec::new();
        }
        data.push((GENERIC_DATA_TYPE.to_string(), None));
    }
    let evidence = Evidence { start: sentence.start, end: sentence.end, text: sentence.text.clone() };
    let audience = RuleTables::shipped().audience(&sentence.text);
    let mut out = Vec::new();
    let push_types = |types: &[(String, Option<Evidence>)], actor: &Actor, action: Action, negated: bool, except: &[Actor], scope: Option<String>, out: &mut Vec<Practice>| {
        for (data_type, phrase) in types {
            let p = Practice {
                actor: actor.clone(),
                action,
                data_type: data_type.clone(),
                negated,
                evidence: evidence.clone(),
                data_phrase: phrase.clone(),
                confidence: p_practice,
                audience: audience.clone(),
                except: except.to_vec(),
                condition: if negated { None } else { reading.condition.clone() },
                scope: if about_policy { Some("about_policy".to_string()) } else { scope.clone() },
                language: sentence.language,
                sdk: None,
            };
            if !out.contains(&p) {
                out.push(p);
            }
        }
    };
    let push = |actor: &Actor, action: Action, negated: bool, except: &[Actor], scope: Option<String>, out: &mut Vec<Practice>| {
        push_types(&data, actor, action, negated, except, scope, out)
    };
    // Affirmative practices: every actor of the sentence (recipients
    // allowed by an exception included).
    if states_practice || !allowed_actors.is_empty() {
        for actor in actors(&mentions, first, third) {
            let allowed_here = allowed_actors.contains(&actor);
            if !states_practice && !allowed_here {
                continue;
            }
            // An actor whose only fitting act is denied is not affirmed by
            // the default act ("we do not share it with third parties").
            let acts: Vec<Action> = if !negation_read || allowed_here {
                actions_for(&actor, &predicted)
            } else {
                predicted.iter().copied().filter(|a| fits(&actor, a)).collect()
            };
            for action in acts {
                push(&actor, action, false, &[], None, &mut out);
            }
        }
    }
    // Denials: the denied actions, for the actors they fit (no default act).
    let deniers = actors(&others, first, third);
    if !denied.is_empty() {
        for actor in &deniers {
            for &action in denied.iter().filter(|a| fits(actor, a)) {
                push(actor, action, true, &allowed_actors, None, &mut out);
            }
        }
        // "We do not collect, store or share any personal information":
        // sharing is with third parties even where none is named.
        if deniers.iter().all(|a| *a == Actor::FirstParty) {
            for &action in denied.iter().filter(|a| matches!(a, Action::Share | Action::Sell)) {
                push(&Actor::ThirdParty, action, true, &allowed_actors, None, &mut out);
            }
        }
    }
    // A negation that is no outright denial: listed, with why.
    if scoped {
        for actor in &deniers {
            for action in actions_for(actor, &model_actions) {
                push(actor, action, true, &[], scope.clone(), &mut out);
            }
        }
    }
    // "We only share it with X": sharing with any other third party is denied.
    if reading.only_with && !pronoun {
        push(&Actor::ThirdParty, Action::Share, true, &allowed_actors, None, &mut out);
    }
    // What a statement excludes ("not including your email address") its
    // recipients are denied.
    if states_practice && !excluded.is_empty() {
        for actor in actors(&mentions, first, third) {
            for action in actions_for(&actor, &predicted) {
                push_types(&excluded, &actor, action, true, &[], None, &mut out);
            }
        }
    }
    out
}

/// Where an exception of the sentence names recipients ("other than our
/// Clients", "except the Company's affiliates"), as opposed to a condition
/// ("except as described", "unless you consent", "other than for the
/// purposes ..."): the cue followed by a determiner and a noun that is no
/// condition word (`exception_condition_nouns` in statements.json). The
/// byte range of the determiner and noun.
fn unknown_recipient_exception(text: &str) -> Option<(usize, usize)> {
    const CUES: [&str; 5] = ["other than ", "except ", "apart from ", "aside from ", "besides "];
    const DETERMINERS: [&str; 4] = ["our ", "the ", "its ", "their "];
    // ASCII lower case keeps every byte offset of `text`.
    let lower = text.to_ascii_lowercase();
    let condition_nouns = &StatementTables::shipped().exception_condition_nouns;
    for cue in CUES {
        for (at, _) in lower.match_indices(cue) {
            let from = at + cue.len();
            let Some(det) = DETERMINERS.iter().find(|d| lower[from..].starts_with(*d)) else { continue };
            let noun_at = from + det.len();
            let noun_len = lower[noun_at..].find(|c: char| !c.is_alphanumeric() && c != '-').unwrap_or(lower.len() - noun_at);
            let noun = &lower[noun_at..noun_at + noun_len];
            if !noun.is_empty() && !condition_nouns.iter().any(|n| n == noun) {
                return Some((from, noun_at + noun_len));
            }
        }
    }
    None
}

/// Byte ranges of a sentence that name what a statement leaves out: from
/// "not including" or "excluding" to the closing parenthesis of the
/// parenthesis it opens in, or else to the end of its clause.
fn exclusion_spans(text: &str) -> Vec<(usize, usize)> {
    // ASCII lower case keeps every byte offset of `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for cue in ["not including", "excluding", "does not include", "do not include"] {
        let mut from = 0;
        while let Some(k) = lower[from..].find(cue) {
            let start = from + k + cue.len();
            let in_parens = lower[..start].rfind('(').is_some_and(|o| lower[o..start].find(')').is_none());
            let end = if in_parens {
                lower[start..].find(')').map_or(lower.len(), |e| start + e)
            } else {
                lower[start..].find(['.', ';']).map_or(lower.len(), |e| start + e)
            };
            out.push((start, end));
            from = start;
        }
    }
    out
}

/// Whether the words just before byte `at` of `text` say that the app maker
/// uses what is named there ("we use", "the app uses", "integrates").
fn follows_use_verb(text: &str, at: usize) -> bool {
    const VERBS: [&str; 12] =
        ["use", "uses", "using", "utilize", "utilizes", "utilise", "utilises", "integrate", "integrates", "employ", "employs", "implements"];
    text.get(..at).is_some_and(|before| {
        before
            .rsplit(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(2)
            .any(|w| VERBS.iter().any(|v| w.eq_ignore_ascii_case(v)))
    })
}

/// Whether the sentence says where data is stored or that it goes abroad
/// (a storage or transfer statement of [`crate::extract::region`]).
fn states_cross_border(sentence: &Sentence) -> bool {
    use crate::extract::region::{read_sentence, RegionCues, RegionKind};
    let Ok(cues) = RegionCues::shipped() else { return false };
    read_sentence(&sentence.text, sentence.start, sentence.language, cues)
        .iter()
        .any(|r| matches!(r.kind, RegionKind::TransferredTo | RegionKind::StoredIn | RegionKind::StaysIn))
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
        p >= threshold(labels, idx::GROUPS + g) && p >= labels.decoding.min_umbrella
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
            if probs.get(idx::GROUPS + g).copied().unwrap_or(0.0) < labels.decoding.min_phrase_group {
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

/// Whether an action fits an actor: the first party collects, uses and
/// retains; a third party receives (share, sell) or collects.
fn fits(actor: &Actor, action: &Action) -> bool {
    match actor {
        Actor::FirstParty => matches!(action, Action::Collect | Action::Use | Action::Retain),
        _ => matches!(action, Action::Share | Action::Sell | Action::Collect),
    }
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
    let mut out: Vec<Action> = predicted.iter().copied().filter(|a| fits(actor, a)).collect();
    if out.is_empty() {
        out.push(if *actor == Actor::FirstParty { Action::Collect } else { Action::Share });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_that_name_recipients_or_conditions() {
        let text = "We will not share personal information with external third parties other than our Clients in any form.";
        let (from, to) = unknown_recipient_exception(text).expect("names a recipient");
        assert_eq!(&text[from..to], "our Clients");
        for t in [
            "We do not share it other than for the purposes described above.",
            "We do not share it except as described in this policy.",
            "We do not share it unless you consent.",
            "We will not share it other than the following circumstances.",
        ] {
            assert_eq!(unknown_recipient_exception(t), None, "{t}");
        }
    }
}
