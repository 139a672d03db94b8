//! Statement reading: what kind of sentence a policy sentence is (a
//! statement, a heading, a question) and, where it has a negation, what the
//! negation applies to. The model reads a whole sentence and says whether
//! it is negated; a careful reader asks which verb the "not" belongs to and
//! whose act it restricts:
//!
//! - "Information from our donation page is never shared" denies sharing of
//!   *that* information only (a qualified denial);
//! - "Usage of a cookie is in no way linked to personal information" denies
//!   linking, not collection (the negation is off the practice verbs);
//! - "... our mailing partner, who may not use it for other purposes"
//!   restricts the partner; it discloses the share;
//! - "We do not share your data except with our service providers" denies
//!   nothing outright: it names the recipients it allows;
//! - "We only share it with a government agency" denies sharing with anyone
//!   else;
//! - "None of them collect your e-mail address" is about the third parties
//!   of the sentence before, not about the app maker.
//!
//! The cue words are data (`ontology/statements.json`); this module only
//! applies them. Decoding ([`super::model::decode`]) combines the reading
//! with the model's outputs.

use super::rules::RuleTables;
use super::Action;
use crate::policy::BlockKind;
use serde::Deserialize;

/// The shipped statement tables (JSON).
pub const STATEMENTS_JSON: &str = include_str!("../../ontology/statements.json");

/// Cue words for reading statements (`ontology/statements.json`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct StatementTables {
    /// Words that negate what follows ("not", "never", "no", "none").
    pub negations: Vec<String>,
    /// Words that may stand between a negation and its verb ("be", "ever",
    /// "knowingly", "otherwise").
    pub skippable: Vec<String>,
    /// Phrases after a negation that make it about something else than a
    /// practice ("not limited to", "in no way linked", "not necessary").
    pub off_practice: Vec<String>,
    /// Words that make a denial conditional: what follows names what is
    /// allowed ("except", "unless", "other than").
    pub exceptions: Vec<String>,
    /// Modal phrases that, with a third party as subject, restrict the
    /// recipient ("may not", "are not permitted to").
    pub restriction_modals: Vec<String>,
    /// Subjects that are third parties ("they", "these partners", "none of them").
    pub third_party_subjects: Vec<String>,
    /// Words that make a generic data subject refer to a particular set of
    /// data ("this", "such", "from our", "collected through").
    pub qualifiers: Vec<String>,
    /// Words that hedge a negation just after them ("generally",
    /// "usually"): such a denial is conditional.
    #[serde(default)]
    pub hedges: Vec<String>,
    /// Words of an "only" statement ("only", "solely", "exclusively").
    pub only: Vec<String>,
    /// Phrases after "only" that refer back to the policy ("as described").
    pub only_as_described: Vec<String>,
    /// Condition name -> phrases that make an affirmative statement
    /// conditional on an event other than the app's routine operation
    /// ("legal": "required by law"; "corporate_transaction": "merger").
    #[serde(default)]
    pub conditions: std::collections::BTreeMap<String, Vec<String>>,
    /// Phrases of an item of a list of legal grounds for processing without
    /// consent ("national security", "publicly disclosed"): a sentence with
    /// one and no speaker of its own is [`StatementKind::LegalGround`].
    #[serde(default)]
    pub legal_grounds: Vec<String>,
    /// Starts of a sentence about the policy itself ("this page", "this policy").
    #[serde(default)]
    pub meta_starts: Vec<String>,
    /// Phrases of a sentence about the policy itself ("you agree to the collection").
    #[serde(default)]
    pub meta_phrases: Vec<String>,
    /// Capitalised terms a policy defines for the app itself ("This
    /// Service"): a sentence starting with one is about the app maker.
    #[serde(default)]
    pub app_terms: Vec<String>,
    /// Phrases that point back to recipients named before ("these third
    /// parties").
    #[serde(default)]
    pub anaphors: Vec<String>,
    /// Words after "other than our/the ..." that name a condition or a
    /// document, not a recipient ("other than the purposes described").
    #[serde(default)]
    pub exception_condition_nouns: Vec<String>,
    /// Extra verb stems by action name (`share`, `collect`, `retain`).
    #[serde(default)]
    pub extra_verbs: std::collections::BTreeMap<String, Vec<String>>,
}

impl StatementTables {
    /// The tables compiled into the binary (checked by a test).
    pub fn shipped() -> &'static StatementTables {
        use std::sync::OnceLock;
        static CELL: OnceLock<StatementTables> = OnceLock::new();
        CELL.get_or_init(|| serde_json::from_str(STATEMENTS_JSON).unwrap_or_default())
    }
}

/// What kind of sentence it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// A statement: it may declare a practice.
    Statement,
    /// A heading ("Sharing Your Information with Third Parties"): context,
    /// not a statement.
    Heading,
    /// A question ("Does the app collect precise location?").
    Question,
    /// A sentence about the policy itself ("This page is used to inform
    /// visitors regarding our policies with the collection ... of Personal
    /// Information").
    Meta,
    /// An item of a list of legal grounds for processing without consent
    /// ("与国家安全、国防安全有关的", "您自行向社会公众公开的个人信息"):
    /// it names when a practice may happen, not that it does.
    LegalGround,
}

/// How a sentence's negation bears on its practices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegationReading {
    /// Actions the negation denies outright (its verb, in a clause whose
    /// subject is the speaker or the data).
    pub denied: Vec<Action>,
    /// The sentence has a negation that restricts a recipient ("who may not
    /// use it for other purposes"): the share it speaks of is disclosed.
    pub restriction: bool,
    /// The denial is limited ("except", "unless", a qualified data subject):
    /// it is not a denial of the practice in general.
    pub conditional: bool,
    /// A negation that applies to something other than a practice ("not
    /// limited to", "not necessary").
    pub off_practice: bool,
    /// Actions of practice verbs outside every negation's reach ("we
    /// *collect* it but do not share it").
    pub affirmed: Vec<Action>,
}

/// Where the sentence's subject points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Not determined from the words ("we", a noun phrase...): the model decides.
    Unknown,
    /// A pronoun or noun phrase for third parties ("they", "these partners").
    ThirdParty,
}

/// A sentence read as a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementReading {
    pub kind: StatementKind,
    pub negation: NegationReading,
    pub subject: Subject,
    /// Byte offset (in the sentence) where an "only ... with" or "except"
    /// clause starts: recipients named after it are the ones allowed.
    pub allowed_from: Option<usize>,
    /// An "only ... with" statement: it denies sharing with anyone but the
    /// recipients named after `allowed_from`.
    pub only_with: bool,
    /// The event the statement is conditional on ("legal",
    /// "corporate_transaction", "consent"), when it names one.
    pub condition: Option<String>,
}

/// One lower-case word of a sentence with its byte range.
#[derive(Debug, Clone)]
struct Word<'a> {
    text: &'a str,
    start: usize,
}

fn words(lower: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in lower.char_indices() {
        let part = c.is_alphanumeric() || c == '\'' || c == '\u{2019}' || c == '-';
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Word { text: &lower[s..i], start: s });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Word { text: &lower[s..], start: s });
    }
    out
}

/// True when `phrase` (space-separated words) occurs at word `i` of `ws`.
fn phrase_at(ws: &[Word], i: usize, phrase: &str) -> bool {
    let mut k = i;
    for p in phrase.split(' ').filter(|p| !p.is_empty()) {
        match ws.get(k) {
            Some(w) if w.text == p => k += 1,
            _ => return false,
        }
    }
    k > i
}

/// The action a word's stem names, when it is a practice verb.
fn verb_action(word: &str) -> Option<Action> {
    // "n't" and apostrophes are not part of a verb.
    let w = word.trim_matches(|c| c == '\'' || c == '\u{2019}');
    let actions = RuleTables::shipped().actions(w);
    // A one-word stem matching several lists: prefer the most specific reading.
    let found = [Action::Sell, Action::Share, Action::Collect, Action::Retain, Action::Use].into_iter().find(|a| actions.contains(a));
    found.or_else(|| {
        StatementTables::shipped().extra_verbs.iter().find_map(|(name, stems)| {
            stems.iter().any(|st| w.starts_with(st.as_str())).then(|| match name.as_str() {
                "share" => Some(Action::Share),
                "collect" => Some(Action::Collect),
                "retain" => Some(Action::Retain),
                _ => None,
            })?
        })
    })
}

/// True for a word that is a negation ("not", "never", "don't").
fn is_negation(w: &str, t: &StatementTables) -> bool {
    t.negations.iter().any(|n| n == w) || w.ends_with("n't") || w.ends_with("n\u{2019}t")
}

/// Read what kind of statement a sentence is, given the kind of block it
/// stands in.
pub fn statement_kind(text: &str, block: BlockKind) -> StatementKind {
    if crate::policy::detect_language(text) == crate::policy::Language::Zh {
        return super::statement_zh::statement_kind_zh(text, block);
    }
    let trimmed = text.trim();
    if trimmed.ends_with('?') {
        return StatementKind::Question;
    }
    let t = StatementTables::shipped();
    let lower = trimmed.to_lowercase();
    if t.meta_starts.iter().any(|m| lower.starts_with(m.as_str())) || t.meta_phrases.iter().any(|m| lower.contains(m.as_str())) {
        return StatementKind::Meta;
    }
    if block == BlockKind::Heading {
        return StatementKind::Heading;
    }
    // "vi. Where the personal information is voluntarily disclosed to the
    // public by yourself;": an item of a list of legal grounds names when a
    // practice may happen without consent, not that it does. A sentence with
    // a speaker of its own ("we may share it where ...") states a practice.
    let padded = format!(" {} ", lower.replace(|c: char| !c.is_alphanumeric(), " "));
    let speaker = [" we ", " us ", " our "].iter().any(|w| padded.contains(w));
    if !speaker && t.legal_grounds.iter().any(|g| lower.contains(g.as_str())) {
        return StatementKind::LegalGround;
    }
    // A short line without a sentence's end, set in Title Case or capitals,
    // is a heading that the source did not mark up as one.
    let ws: Vec<&str> = trimmed.split_whitespace().collect();
    let ends_sentence = trimmed.ends_with('.') || trimmed.ends_with('!') || trimmed.ends_with(';');
    if !ends_sentence && !ws.is_empty() && ws.len() <= 12 && block != BlockKind::ListItem && block != BlockKind::TableRow {
        let lettered: Vec<&&str> = ws.iter().filter(|w| w.chars().next().is_some_and(char::is_alphabetic)).collect();
        let small = ["a", "an", "and", "or", "of", "the", "to", "with", "for", "in", "on", "by", "from", "your", "our", "we", "is", "at", "as", "how", "what"];
        let capitalised = lettered
            .iter()
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase) || small.contains(&w.to_lowercase().as_str()))
            .count();
        let starts_upper = lettered.first().is_some_and(|w| w.chars().next().is_some_and(char::is_uppercase));
        if starts_upper && !lettered.is_empty() && capitalised == lettered.len() && lettered.len() >= 2 {
            return StatementKind::Heading;
        }
        let all_caps = trimmed.chars().filter(|c| c.is_alphabetic()).all(|c| !c.is_lowercase());
        if all_caps && lettered.len() >= 2 {
            return StatementKind::Heading;
        }
        // A short line in sentence case with no subject or finite verb of a
        // clause ("Data from other sources", "Transfer of information") is a
        // heading too.
        let clause_words = ["we", "you", "they", "it", "i", "is", "are", "was", "were", "will", "may", "can", "do", "does", "not", "should", "must"];
        let has_clause = ws.iter().any(|w| clause_words.contains(&w.to_lowercase().trim_matches(|c: char| !c.is_alphanumeric())));
        if block == BlockKind::Paragraph && starts_upper && lettered.len() <= 6 && !has_clause && !trimmed.ends_with(':') {
            return StatementKind::Heading;
        }
    }
    StatementKind::Statement
}

/// Read a sentence: its kind, its subject and what its negations apply to.
///
/// A Chinese sentence is read by [`super::statement_zh::read_statement_zh`].
pub fn read_statement(text: &str, block: BlockKind) -> StatementReading {
    if crate::policy::detect_language(text) == crate::policy::Language::Zh {
        return super::statement_zh::read_statement_zh(text, block);
    }
    let t = StatementTables::shipped();
    let kind = statement_kind(text, block);
    let lower = text.to_lowercase().replace('\u{2019}', "'");
    let ws = words(&lower);
    // "This Service" with a capital S is the defined term for the app itself.
    let defined_term = t.app_terms.iter().any(|d| text.trim_start().starts_with(d.as_str()));
    let subject = if defined_term { Subject::Unknown } else { subject_of(&ws, t) };
    let mut negation = NegationReading::default();
    let mut allowed_from = None;
    // Exceptions ("except", "unless", "other than") name what is allowed.
    // One that names only an extraordinary event ("except if our company is
    // acquired", "unless required by law") allows no routine transfer: the
    // denial stands for the flows an app shows.
    let mut routine_exception = false;
    for (i, w) in ws.iter().enumerate() {
        if t.exceptions.iter().any(|e| phrase_at(&ws, i, e)) {
            if !extraordinary_exception(&lower[w.start..], t) {
                routine_exception = true;
            }
            allowed_from.get_or_insert(w.start);
        }
    }
    if !routine_exception {
        allowed_from = None;
    }
    let mut negated_verbs: Vec<usize> = Vec::new();
    let mut hedged = false;
    let mut i = 0;
    while i < ws.len() {
        let w = ws[i].text;
        let in_no_way = w == "in" && phrase_at(&ws, i, "in no way");
        if !(is_negation(w, t) || in_no_way) {
            i += 1;
            continue;
        }
        let neg_len = if in_no_way { 3 } else { 1 };
        // "We generally do not share ...": a hedged negation promises nothing.
        if (i.saturating_sub(3)..i).any(|k| t.hedges.iter().any(|h| h == ws[k].text)) {
            hedged = true;
        }
        if t.off_practice.iter().any(|p| phrase_at(&ws, i, p)) {
            negation.off_practice = true;
            i += neg_len;
            continue;
        }
        // The verb the negation belongs to: the next practice verb, past
        // auxiliaries and adverbs; for "no"/"none" also past the noun phrase
        // it determines ("no personal information is shared").
        let determiner = matches!(w, "no" | "none" | "neither" | "nor");
        let reach = if determiner { 9 } else { 4 };
        let mut verb = None;
        let mut k = i + neg_len;
        let mut seen = 0;
        while k < ws.len() && seen < reach {
            let x = ws[k].text;
            if let Some(a) = verb_action(x) {
                verb = Some((a, k));
                break;
            }
            let skip = t.skippable.iter().any(|s| s == x);
            if !skip && !determiner {
                // A content word that is no practice verb: the negation is
                // about that word ("not necessary", "not responsible").
                if t.off_practice.iter().any(|p| p == x) || k > i + neg_len + 1 {
                    break;
                }
            }
            seen += 1;
            k += 1;
        }
        let Some((action, at)) = verb else {
            negation.off_practice = true;
            i += neg_len;
            continue;
        };
        // Whose act: a third party restricted by a modal ("they may not
        // use", "who may not share", "partners are not permitted to").
        let restricted = restriction_subject(&ws[..i], t)
            && t.restriction_modals.iter().any(|m| phrase_at(&ws, i, m) || (i > 0 && phrase_at(&ws, i - 1, m)));
        negation.restriction |= restricted;
        // The verb and those coordinated with it ("not sold, traded or
        // provided to third parties") are denied, unless restricted.
        let mut verbs = vec![(action, at)];
        let mut k = at + 1;
        while k < ws.len() {
            if matches!(ws[k].text, "or" | "and" | "nor") {
                k += 1;
                continue;
            }
            match verb_action(ws[k].text) {
                Some(a) => verbs.push((a, k)),
                None => break,
            }
            k += 1;
        }
        for (a, k) in verbs {
            negated_verbs.push(k);
            if !restricted && !negation.denied.contains(&a) {
                negation.denied.push(a);
            }
        }
        i += neg_len;
    }
    for (k, w) in ws.iter().enumerate() {
        if let (false, Some(a)) = (negated_verbs.contains(&k), verb_action(w.text)) {
            if !negation.affirmed.contains(&a) {
                negation.affirmed.push(a);
            }
        }
    }
    if !negation.denied.is_empty() && (allowed_from.is_some() || hedged || qualified_subject(&ws, t)) {
        negation.conditional = true;
    }
    // "We only share ... with X": sharing with anyone else is denied.
    let mut only_with = false;
    for (i, w) in ws.iter().enumerate() {
        if !t.only.iter().any(|o| o == w.text) {
            continue;
        }
        let window = &ws[i..ws.len().min(i + 10)];
        let is_share = |x: &Word| matches!(verb_action(x.text), Some(Action::Share) | Some(Action::Sell));
        // "... and only with vendors working on our behalf": the share verb
        // stands before the "only".
        let only_with_next = ws.get(i + 1).is_some_and(|x| x.text == "with") && ws[..i].iter().any(is_share);
        let shares = window.iter().any(is_share) || only_with_next;
        let with_at = window.iter().position(|x| x.text == "with" || x.text == "to");
        // "only with vendors ... for the purposes described here" names its
        // recipients; "we only share it as described" names none.
        let described = !only_with_next && t.only_as_described.iter().any(|d| lower[w.start..].contains(d.as_str()));
        if shares && with_at.is_some() && !described {
            only_with = true;
            let at = window[with_at.unwrap_or(0)].start;
            allowed_from = Some(allowed_from.map_or(at, |a| a.min(at)));
        }
    }
    let condition = t
        .conditions
        .iter()
        .find(|(_, phrases)| phrases.iter().any(|p| lower.contains(p.as_str())))
        .map(|(name, _)| name.clone());
    StatementReading { kind, negation, subject, allowed_from, only_with, condition }
}

/// True when the exception clause starting `clause` (lower case, up to the
/// next comma or the end of its clause) names a legal duty or a corporate
/// transaction.
fn extraordinary_exception(clause: &str, t: &StatementTables) -> bool {
    let end = clause.find(['.', ';', ',']).unwrap_or(clause.len()).min(160);
    let end = (0..=end).rev().find(|&e| clause.is_char_boundary(e)).unwrap_or(0);
    let clause = &clause[..end];
    ["legal", "corporate_transaction"]
        .iter()
        .filter_map(|name| t.conditions.get(*name))
        .any(|phrases| phrases.iter().any(|p| clause.contains(p.as_str())))
}

/// A third party at the start of the sentence ("They ...", "These
/// partners ...", "None of them ...").
fn subject_of(ws: &[Word], t: &StatementTables) -> Subject {
    let mut i = 0;
    while i < ws.len() && matches!(ws[i].text, "and" | "but" | "however" | "also" | "in" | "addition" | "furthermore" | "moreover") {
        i += 1;
    }
    if t.third_party_subjects.iter().any(|s| phrase_at(ws, i, s)) {
        Subject::ThirdParty
    } else {
        Subject::Unknown
    }
}

/// True when the words before a negation end in a third-party subject of
/// the clause ("..., who", "they", "such partners", "third parties").
fn restriction_subject(before: &[Word], t: &StatementTables) -> bool {
    let start = before.len().saturating_sub(6);
    (start..before.len()).any(|i| {
        matches!(before[i].text, "who" | "they" | "which" | "them")
            || t.third_party_subjects.iter().any(|s| phrase_at(before, i, s))
            || before[i].text.starts_with("partner")
            || before[i].text.starts_with("provider")
            || before[i].text.starts_with("vendor")
            || before[i].text.starts_with("processor")
            || before[i].text.starts_with("contractor")
            || (before[i].text.starts_with("part") && i > 0 && before[i - 1].text == "third")
            || before[i].text == "third-party"
            || before[i].text == "third-parties"
    })
}

/// True when the data a denial is about is a particular set ("information
/// from our donation page", "such information", "this data").
fn qualified_subject(ws: &[Word], t: &StatementTables) -> bool {
    (0..ws.len()).any(|i| t.qualifiers.iter().any(|q| phrase_at(ws, i, q)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> StatementReading {
        read_statement(s, BlockKind::Paragraph)
    }

    #[test]
    fn tables_parse() {
        let t: StatementTables = serde_json::from_str(STATEMENTS_JSON).expect("statements.json parses");
        assert!(!t.negations.is_empty() && !t.skippable.is_empty() && !t.off_practice.is_empty());
        assert!(!t.app_terms.is_empty() && !t.anaphors.is_empty() && !t.extra_verbs.is_empty());
    }

    #[test]
    fn headings_and_questions() {
        assert_eq!(statement_kind("Sharing Your Information with Third Parties", BlockKind::Paragraph), StatementKind::Heading);
        assert_eq!(statement_kind("Does the app collect precise location?", BlockKind::Paragraph), StatementKind::Question);
        assert_eq!(statement_kind("THE DATA COLLECTED BY THIRD PARTIES AUTOMATICALLY:", BlockKind::Paragraph), StatementKind::Heading);
        assert_eq!(statement_kind("We collect your email address.", BlockKind::Paragraph), StatementKind::Statement);
        assert_eq!(
            statement_kind("This page is used to inform visitors regarding our policies with the collection of Personal Information.", BlockKind::Paragraph),
            StatementKind::Meta
        );
        assert_eq!(statement_kind("Email address", BlockKind::ListItem), StatementKind::Statement);
        assert_eq!(statement_kind("We collect your email address", BlockKind::Heading), StatementKind::Heading);
    }

    #[test]
    fn plain_denials() {
        assert_eq!(read("We do not share your location with third parties.").negation.denied, vec![Action::Share]);
        assert_eq!(read("We never collect your contacts.").negation.denied, vec![Action::Collect]);
        assert_eq!(read("No personal information is collected by the app.").negation.denied, vec![Action::Collect]);
        assert_eq!(read("We don't sell your data.").negation.denied, vec![Action::Sell]);
        let r = read("We do not sell, trade, or share your personal information.");
        assert_eq!(r.negation.denied, vec![Action::Sell, Action::Share]);
        let r = read("It is never relayed back to us.");
        assert_eq!(r.negation.denied, vec![Action::Share]);
        let r = read("We collect your location but we do not share it with anyone.");
        assert_eq!(r.negation.denied, vec![Action::Share]);
    }

    #[test]
    fn negations_off_practice() {
        let r = read("Usage of a cookie is in no way linked to any personally identifiable information.");
        assert!(r.negation.denied.is_empty(), "{r:?}");
        let r = read("We collect information, including but not limited to your name and email address.");
        assert!(r.negation.denied.is_empty(), "{r:?}");
        let r = read("We do not request data that is not necessary for the app.");
        assert!(r.negation.off_practice || r.negation.conditional, "{r:?}");
    }

    #[test]
    fn restrictions_are_not_denials() {
        let r = read("We share your email with our mailing partner, who may not use it for other purposes.");
        assert!(r.negation.denied.is_empty() && r.negation.restriction, "{r:?}");
        let r = read("They may not share that information with any other third party.");
        assert!(r.negation.denied.is_empty() && r.negation.restriction, "{r:?}");
    }

    #[test]
    fn scoped_and_conditional_denials() {
        let r = read("Information from our donation page is never shared with third parties.");
        assert!(r.negation.conditional, "{r:?}");
        let r = read("We do not share your personal information with third parties except with our service providers.");
        assert!(r.negation.conditional && r.allowed_from.is_some(), "{r:?}");
        let r = read("We do not share your personal information with third parties.");
        assert!(!r.negation.conditional, "{r:?}");
        // An exception that names only an extraordinary event leaves the
        // denial standing for routine flows.
        let r = read("Your contact information will not be given to any other company for any reason, except if our entire company should be purchased by a third party.");
        assert!(!r.negation.conditional && r.allowed_from.is_none() && !r.negation.denied.is_empty(), "{r:?}");
        let r = read("We do not share your information with third parties unless required by law.");
        assert!(!r.negation.conditional, "{r:?}");
        let r = read("We do not share your information without your consent, except as required by law.");
        assert!(r.negation.conditional, "{r:?}");
        let r = read("We generally do not share personally identifiable information with other companies.");
        assert!(r.negation.conditional && !r.negation.denied.is_empty(), "{r:?}");
    }

    #[test]
    fn legal_grounds_and_sentence_case_headings() {
        let kind = |s: &str| statement_kind(s, BlockKind::ListItem);
        assert_eq!(kind("vi. Where the involved personal information is voluntarily disclosed to public by yourself;"), StatementKind::LegalGround);
        assert_eq!(kind("Directly related to national security or national defense security;"), StatementKind::LegalGround);
        assert_eq!(kind("We may share your information where it is related to national security."), StatementKind::Statement);
        let para = |s: &str| statement_kind(s, BlockKind::Paragraph);
        assert_eq!(para("Data from other sources"), StatementKind::Heading);
        assert_eq!(para("Transfer of information"), StatementKind::Heading);
        assert_eq!(para("We collect your location"), StatementKind::Statement);
        assert_eq!(para("Data we collect:"), StatementKind::Statement);
        assert_eq!(kind("Email address"), StatementKind::Statement);
        assert_eq!(para("We may provide your personal data to you or a third party you choose in a machine-readable format."), StatementKind::Meta);
    }

    #[test]
    fn only_statements_and_subjects() {
        let r = read("We only share the information you give us with another government agency.");
        assert!(r.only_with && r.allowed_from.is_some(), "{r:?}");
        let r = read("We only share information as described in this policy with partners.");
        assert!(!r.only_with, "{r:?}");
        let r = read("We share your information as necessary and only with vendors working on our behalf for the purposes described in this policy.");
        assert!(r.only_with && r.allowed_from.is_some(), "{r:?}");
        assert_eq!(read("None of them collect your e-mail address.").subject, Subject::ThirdParty);
        assert_eq!(read("We collect your e-mail address.").subject, Subject::Unknown);
        assert_eq!(read("This service may collect your device model.").subject, Subject::ThirdParty);
        let r = read("We may disclose your information if required to do so by law.");
        assert_eq!(r.condition.as_deref(), Some("legal"));
        assert_eq!(read("We share your email with Mailchimp.").condition, None);
    }
}
