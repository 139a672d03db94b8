//! Extract: turns a policy's sentences into declared practices: who (actor)
//! does what (action) with which data type, or explicitly does not
//! (negated), each with its evidence span in the normalized policy text.
//!
//! Two extractors share the [`Extractor`] interface: the NLP model
//! ([`model::ModelExtractor`], the default) and a transparent phrase/pattern
//! baseline ([`rules::RuleExtractor`]) the model is measured against.

use crate::policy::PolicyDocument;
use serde::{Deserialize, Serialize};
use std::fmt;

pub mod model;
pub mod region;
pub mod rules;
pub mod sdk_list;
pub mod statement;
pub mod statement_zh;

/// Who a practice is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    /// The app maker ("we", "us", the company that owns the policy).
    FirstParty,
    /// Third parties in general ("third parties", "partners").
    ThirdParty,
    /// A class of third party, by entity-ontology category id ("advertising").
    Category(String),
    /// A named organization, by entity-ontology id ("google").
    Organization(String),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::FirstParty => f.write_str("first_party"),
            Actor::ThirdParty => f.write_str("third_party"),
            Actor::Category(c) => write!(f, "category:{c}"),
            Actor::Organization(o) => write!(f, "org:{o}"),
        }
    }
}

impl std::str::FromStr for Actor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "first_party" => Ok(Actor::FirstParty),
            "third_party" => Ok(Actor::ThirdParty),
            _ => {
                if let Some(c) = s.strip_prefix("category:") {
                    Ok(Actor::Category(c.to_string()))
                } else if let Some(o) = s.strip_prefix("org:") {
                    Ok(Actor::Organization(o.to_string()))
                } else {
                    Err(format!("unknown actor {s:?}"))
                }
            }
        }
    }
}

impl Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What an actor does with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Collect,
    Use,
    Share,
    Sell,
    Retain,
}

impl Action {
    /// All actions, in a fixed order (the model's label order).
    pub const ALL: [Action; 5] = [Action::Collect, Action::Use, Action::Share, Action::Sell, Action::Retain];

    /// The lower-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Collect => "collect",
            Action::Use => "use",
            Action::Share => "share",
            Action::Sell => "sell",
            Action::Retain => "retain",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span of the normalized policy text that backs a practice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// Byte range in [`PolicyDocument::text`].
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// One declared practice: `actor` `action`s `data_type` (or does not, when `negated`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Practice {
    pub actor: Actor,
    pub action: Action,
    /// A data-type ontology id.
    pub data_type: String,
    pub negated: bool,
    /// The sentence that states the practice.
    pub evidence: Evidence,
    /// The phrase in the sentence that named the data type, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_phrase: Option<Evidence>,
    /// How sure the extractor is (1.0 for rules).
    pub confidence: f32,
    /// `children` when the sentence concerns children's data only (a COPPA
    /// clause): such a practice is listed but not used to judge an app's
    /// flows, which concern its users in general.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// For a denial: the recipients it leaves out ("we only share it with
    /// X" denies sharing with third parties except X). Empty for a denial
    /// without exceptions and for every affirmative practice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<Actor>,
    /// The event an affirmative statement is conditional on: `legal` ("if
    /// required by law"), `corporate_transaction` ("in a merger"),
    /// `consent` ("with your consent"). A transfer stated only under such a
    /// condition does not disclose the app's routine transfers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// For a negated sentence whose negation denies nothing outright: why
    /// (`restriction`: it restricts a recipient, "who may not use it for
    /// other purposes"; `conditional`: "except ...", "without your
    /// consent", data of one page; `off_practice`: the negation is about
    /// something else, "in no way linked"); `about_policy` for any practice
    /// named in a sentence about the policy itself or the user's rights
    /// ("you have the right to access your contact information"). Such a
    /// practice is listed as the sentence says it but decides no flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The language of the sentence that states it (`en`, `zh`).
    #[serde(default)]
    pub language: crate::policy::Language,
    /// For a practice read from the policy's third-party SDK list: the
    /// SDK's name as the list writes it ([`sdk_list`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk: Option<String>,
}

/// Turns a policy into practices.
pub trait Extractor: Send + Sync {
    /// A short name ("model", "rules").
    fn name(&self) -> &str;
    /// Changes whenever the extractor's output for the same text may change;
    /// part of the cache key.
    fn version(&self) -> String;
    /// Extract the practices the policy declares.
    fn extract(&self, doc: &PolicyDocument) -> crate::Result<Vec<Practice>>;
    /// Give the extractor a per-sentence cache (used by the model, so
    /// boilerplate shared across policies is encoded once). Default: ignored.
    fn use_sentence_cache(&mut self, _cache: std::sync::Arc<dyn SentenceCache>) {}
    /// Get ready to extract from these policies: the model reads all their
    /// sentences not yet in its sentence cache together, in shared
    /// length-sorted batches, so batches are full even when each policy is
    /// short and boilerplate shared between them is read once. Without a
    /// sentence cache to keep the results, and for the rules, it does nothing.
    fn prepare(&self, _docs: &[&PolicyDocument]) -> crate::Result<()> {
        Ok(())
    }
}

/// A store of per-sentence model outputs keyed by model version and sentence.
pub trait SentenceCache: Send + Sync {
    /// Cached label probabilities, if any.
    fn get(&self, key: &[u8]) -> Option<Vec<f32>>;
    /// Remember label probabilities (failures to write are ignored: it is a cache).
    fn put(&self, key: &[u8], probs: &[f32]);
}

/// Organization ids the policy names anywhere in its text (whether or not
/// a practice was extracted from that sentence).
pub fn mentioned_organizations(doc: &PolicyDocument, ont: &crate::ontology::Ontologies) -> std::collections::BTreeSet<String> {
    use crate::ontology::{EntityMention, EntityOntology};
    ont.entities
        .find_mentions(&doc.text)
        .into_iter()
        // The domain of a contact e-mail address ("support@gmail.com") names
        // the mail provider, not a recipient of the app's data.
        .filter(|m| !in_email_address(&doc.text, m.start))
        .filter_map(|m| match EntityOntology::split_mention(&m.id) {
            EntityMention::Organization(o) => Some(o.to_string()),
            EntityMention::Category(_) => None,
        })
        .collect()
}

/// Whether byte offset `at` of `text` lies after the `@` of an e-mail
/// address (in the same whitespace-free token).
fn in_email_address(text: &str, at: usize) -> bool {
    let Some(before) = text.get(..at) else { return false };
    let token_start = before.rfind(char::is_whitespace).map_or(0, |k| k + 1);
    before[token_start..].contains('@')
}

/// True when the policy defines personal information by a closed list
/// ("Personal information ... may include name, postal address, email
/// address and telephone number"): a statement about personal information
/// in general then means the data of that kind, not device identifiers,
/// usage or location. An open umbrella ("including but not limited to",
/// "such as ... etc.") or no definition leaves it covering all data about
/// the user.
pub fn defines_personal_info(doc: &PolicyDocument, ont: &crate::ontology::Ontologies) -> bool {
    const GENERIC: [&str; 4] = ["personal information", "personal data", "personally identifiable information", "personal info"];
    const DEFINES: [&str; 8] = [" means ", " includes ", " include ", " including ", " such as ", " consists of ", " refers to ", " is information "];
    const OPEN: [&str; 7] = ["not limited to", "etc", "and more", "among other", "without limitation", "any information", "all information"];
    doc.sentences.iter().any(|s| {
        let lower = format!(" {} ", s.text.to_lowercase().replace('\u{2019}', "'"));
        GENERIC.iter().any(|g| lower.contains(g))
            && DEFINES.iter().any(|d| lower.contains(d))
            && !OPEN.iter().any(|o| lower.contains(o))
            && {
                let mut types: Vec<String> = ont.data_types.find_phrases(&s.text).into_iter().map(|m| m.id).collect();
                types.sort();
                types.dedup();
                types.iter().filter(|t| t.as_str() != "personal_info").count() >= 2
            }
    })
}
