//! The entity ontology: the first party, third-party categories (advertising,
//! analytics, ...) and organizations with their names and domains.

use super::phrases::{PhraseMatch, PhraseMatcher};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A class of recipient, e.g. `advertising` under `third_party`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EntityCategory {
    pub id: String,
    pub parent: Option<String>,
    /// Lower-case phrases a policy uses for this class ("advertisers", "ad networks").
    #[serde(default)]
    pub names: Vec<String>,
}

/// A named company with the domains it owns.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// Other names a policy may use (products, former names, SDK names).
    /// A leading `=` marks a name matched case-sensitively (see
    /// [`PhraseMatcher`]); `=Name` here also makes `name` case-sensitive.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Category ids this organization belongs to.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Registrable domains (or host suffixes) it owns.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Where the record came from (for the NOTICE).
    #[serde(default)]
    pub source: String,
}

#[derive(Deserialize)]
struct EntitiesFile {
    categories: Vec<EntityCategory>,
    organizations: Vec<Organization>,
    /// Phrases that contain a recipient's name but name no recipient
    /// ("third-party devices", "third-party websites"): a match on one
    /// takes the place of the shorter name inside it and then names nothing.
    #[serde(default)]
    not_recipients: Vec<String>,
}

/// Lookups over categories and organizations.
#[derive(Debug, Clone)]
pub struct EntityOntology {
    categories: Vec<EntityCategory>,
    organizations: Vec<Organization>,
    category_by_id: HashMap<String, usize>,
    org_by_id: HashMap<String, usize>,
    org_by_domain: HashMap<String, usize>,
    matcher: PhraseMatcher,
    /// Digest of the source JSON (see [`EntityOntology::digest`]).
    digest: String,
}

/// Prefix of phrase-match ids that name a category (the rest name organizations).
const CATEGORY_PREFIX: &str = "category:";

impl EntityOntology {
    /// A short digest of the file this ontology was read from (part of the
    /// extractors' versions).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Parse and check the entity file.
    pub fn from_json(json: &str) -> crate::Result<Self> {
        let file: EntitiesFile =
            serde_json::from_str(json).map_err(|e| crate::Error::Data(format!("entities.json: {e}")))?;
        Self::build(file.categories, file.organizations, file.not_recipients)
    }

    /// Build from parsed parts, checking ids, parents and category references.
    pub fn build(categories: Vec<EntityCategory>, organizations: Vec<Organization>, not_recipients: Vec<String>) -> crate::Result<Self> {
        let digest = super::short_digest(&[
            &serde_json::to_string(&categories).unwrap_or_default(),
            &serde_json::to_string(&organizations).unwrap_or_default(),
            &not_recipients.join("\n"),
        ]);
        let mut category_by_id = HashMap::new();
        for (i, c) in categories.iter().enumerate() {
            if category_by_id.insert(c.id.clone(), i).is_some() {
                return Err(crate::Error::Data(format!("entity category {} is defined twice", c.id)));
            }
        }
        for c in &categories {
            let mut cur = c.parent.as_deref();
            let mut steps = 0;
            while let Some(p) = cur {
                let Some(&i) = category_by_id.get(p) else {
                    return Err(crate::Error::Data(format!("entity category {} has unknown parent {p}", c.id)));
                };
                steps += 1;
                if p == c.id || steps > categories.len() {
                    return Err(crate::Error::Data(format!("entity category {} is its own ancestor", c.id)));
                }
                cur = categories[i].parent.as_deref();
            }
        }
        let mut org_by_id = HashMap::new();
        let mut org_by_domain = HashMap::new();
        let mut phrases = Vec::new();
        for c in &categories {
            for n in &c.names {
                phrases.push((n.clone(), format!("{CATEGORY_PREFIX}{}", c.id)));
            }
        }
        for (i, o) in organizations.iter().enumerate() {
            if org_by_id.insert(o.id.clone(), i).is_some() {
                return Err(crate::Error::Data(format!("organization {} is defined twice", o.id)));
            }
            for c in &o.categories {
                if !category_by_id.contains_key(c) {
                    return Err(crate::Error::Data(format!("organization {} has unknown category {c}", o.id)));
                }
            }
            for d in &o.domains {
                org_by_domain.entry(d.to_ascii_lowercase()).or_insert(i);
            }
            // Names shorter than 3 characters cause too many false matches in
            // prose. A name that is also a common word is listed among the
            // aliases as `=Name` (matched case-sensitively) and then not
            // matched case-insensitively as well.
            let exact_name = format!("={}", o.name.trim());
            let name_is_exact = o.aliases.iter().any(|a| a.trim() == exact_name);
            let names = std::iter::once(&o.name).filter(|_| !name_is_exact).chain(o.aliases.iter());
            for n in names {
                if n.trim().trim_start_matches('=').trim().len() >= 3 {
                    phrases.push((n.clone(), o.id.clone()));
                }
            }
        }
        phrases.extend(not_recipients.into_iter().map(|n| (n, String::new())));
        let matcher = PhraseMatcher::new(phrases)?;
        Ok(EntityOntology { categories, organizations, category_by_id, org_by_id, org_by_domain, matcher, digest })
    }

    /// All categories in file order.
    pub fn categories(&self) -> &[EntityCategory] {
        &self.categories
    }

    /// All organizations in file order.
    pub fn organizations(&self) -> &[Organization] {
        &self.organizations
    }

    /// The category with this id.
    pub fn category(&self, id: &str) -> Option<&EntityCategory> {
        self.category_by_id.get(id).map(|&i| &self.categories[i])
    }

    /// The organization with this id.
    pub fn organization(&self, id: &str) -> Option<&Organization> {
        self.org_by_id.get(id).map(|&i| &self.organizations[i])
    }

    /// True when category `general` equals `specific` or is an ancestor of it.
    pub fn category_subsumes(&self, general: &str, specific: &str) -> bool {
        let mut cur = Some(specific);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == general {
                return true;
            }
            steps += 1;
            if steps > self.categories.len() {
                return false;
            }
            cur = self.category(c).and_then(|c| c.parent.as_deref());
        }
        false
    }

    /// The organization owning `host`: the longest domain suffix of the host
    /// that the ontology lists.
    pub fn organization_for_host(&self, host: &str) -> Option<&Organization> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let mut rest = host.as_str();
        loop {
            if let Some(&i) = self.org_by_domain.get(rest) {
                return Some(&self.organizations[i]);
            }
            match rest.find('.') {
                Some(dot) => rest = &rest[dot + 1..],
                None => return None,
            }
        }
    }

    /// Organization and category mentions in text. A match id is either an
    /// organization id or `category:<id>`; see [`EntityOntology::split_mention`].
    /// A phrase of `not_recipients` names no one.
    pub fn find_mentions(&self, text: &str) -> Vec<PhraseMatch> {
        self.matcher.find(text)
    }

    /// Tell apart an organization mention from a category mention.
    pub fn split_mention(id: &str) -> EntityMention<'_> {
        match id.strip_prefix(CATEGORY_PREFIX) {
            Some(c) => EntityMention::Category(c),
            None => EntityMention::Organization(id),
        }
    }
}

/// What an entity phrase match names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityMention<'a> {
    Category(&'a str),
    Organization(&'a str),
}
