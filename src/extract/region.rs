//! Region statements: what a policy says about where personal data is
//! stored and whether it leaves a region ("stored in the People's Republic
//! of China", "将在中华人民共和国境内收集和产生的个人信息存储在境内", "we do
//! not transfer personal data outside the EEA", "may be transferred to the
//! United States", "standard contractual clauses", "单独同意").
//!
//! The reading is rule-based, from the cue tables of `ontology/regions.json`
//! (region names, storage and transfer verbs, negations, conditions,
//! safeguards), in English and Chinese, sentence by sentence. A negation
//! counts only close before the verb it denies; a sentence with a condition
//! ("unless", "except", "if", "除非", "如需", "征得") makes its statement
//! conditional, and a conditional denial confines nothing.

use super::Evidence;
use crate::policy::{Language, PolicyDocument};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a region statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// Data is stored in the region ("stored on servers in the EU").
    StoredIn,
    /// Data stays in the region only ("存储在境内", "stored exclusively in Germany").
    StaysIn,
    /// Data may go to the region, or abroad when `region` is `None`.
    TransferredTo,
    /// Data does not leave the region (the home region when `region` is `None`).
    DeniesTransfer,
    /// A transfer safeguard (standard contractual clauses, 单独同意 ...).
    Safeguard,
}

impl RegionKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionKind::StoredIn => "stored_in",
            RegionKind::StaysIn => "stays_in",
            RegionKind::TransferredTo => "transferred_to",
            RegionKind::DeniesTransfer => "denies_transfer",
            RegionKind::Safeguard => "safeguard",
        }
    }
}

/// One statement about where data is stored or goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionStatement {
    pub kind: RegionKind,
    /// A region id of `ontology/regions.json` (`EU`, `EEA`) or an ISO
    /// country code (`CN`, `US`); `None` for "abroad" / the home region.
    pub region: Option<String>,
    /// For [`RegionKind::Safeguard`]: which (`standard_contractual_clauses`,
    /// `adequacy`, `separate_consent`, `security_assessment` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safeguard: Option<String>,
    /// The sentence states a condition or exception ("unless", "如需").
    pub conditional: bool,
    /// The sentence.
    pub evidence: Evidence,
    pub language: Language,
}

impl RegionStatement {
    /// A one-line description (`stays_in CN`, `transferred_to abroad [conditional]`).
    pub fn describe(&self) -> String {
        let what = match (&self.safeguard, &self.region) {
            (Some(s), _) => s.clone(),
            (None, Some(r)) => r.clone(),
            (None, None) if self.kind == RegionKind::DeniesTransfer => "home region".to_string(),
            (None, None) => "abroad".to_string(),
        };
        format!("{} {what}{}", self.kind.as_str(), if self.conditional { " [conditional]" } else { "" })
    }
}

/// The cue tables (`ontology/regions.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct RegionCues {
    /// Region groups: id -> member country codes.
    pub groups: BTreeMap<String, Vec<String>>,
    pub names: Vec<RegionName>,
    pub outside_before: Vec<String>,
    pub outside_after: Vec<String>,
    /// Between two region names of one list ("EU/EEA", "EU or EEA"): the
    /// second is outside when the first is.
    pub joiners: Vec<String>,
    /// Before or after a region name, these make it about people or laws,
    /// not a place data goes ("residents of the EEA", "U.S. state laws").
    pub people_before: Vec<String>,
    pub people_after: Vec<String>,
    pub abroad: Vec<String>,
    pub storage: Vec<String>,
    pub transfer: Vec<String>,
    pub confine: Vec<String>,
    pub negation: Vec<String>,
    pub conditions: Vec<String>,
    pub data_words: Vec<String>,
    pub cross_border_context: Vec<String>,
    pub safeguards: Vec<SafeguardCue>,
}

/// A name of a region or country.
#[derive(Debug, Clone, Deserialize)]
pub struct RegionName {
    pub phrase: String,
    pub region: String,
    /// Match the case as written (abbreviations: `US`, `EU`).
    #[serde(default)]
    pub case_sensitive: bool,
    /// The name means "inside the country" (境内): data kept there stays there.
    #[serde(default)]
    pub domestic: bool,
    /// The name means "outside the region" (境外).
    #[serde(default)]
    pub outside: bool,
}

/// A safeguard phrase.
#[derive(Debug, Clone, Deserialize)]
pub struct SafeguardCue {
    pub phrase: String,
    pub safeguard: String,
    /// Only in a sentence about transfers abroad (单独同意 is asked for other things too).
    #[serde(default)]
    pub needs_context: bool,
}

/// The tables as JSON.
pub const REGIONS_JSON: &str = include_str!("../../ontology/regions.json");

impl RegionCues {
    /// The tables compiled into the binary (checked by a test).
    pub fn shipped() -> crate::Result<&'static RegionCues> {
        use std::sync::OnceLock;
        static CELL: OnceLock<std::result::Result<RegionCues, String>> = OnceLock::new();
        CELL.get_or_init(|| serde_json::from_str(REGIONS_JSON).map_err(|e| format!("ontology/regions.json: {e}")))
            .as_ref()
            .map_err(|e| crate::Error::Data(e.clone()))
    }

    /// Whether `country` (ISO code) lies in `region` (a group id or a country code).
    pub fn contains(&self, region: &str, country: &str) -> bool {
        match self.groups.get(region) {
            Some(members) => members.iter().any(|m| m == country),
            None => region.eq_ignore_ascii_case(country),
        }
    }

    /// Parse a `--home-region` value: a group id or a two-letter country code.
    pub fn parse_region(&self, s: &str) -> Option<String> {
        let up = s.trim().to_ascii_uppercase();
        (self.groups.contains_key(&up) || (up.len() == 2 && up.bytes().all(|b| b.is_ascii_uppercase()))).then_some(up)
    }
}

/// A region named in a sentence.
struct Mention {
    region: String,
    start: usize,
    outside: bool,
    domestic: bool,
}

/// Positions (byte offsets into `lower`) where `cue` occurs at word
/// boundaries (ASCII cues) or anywhere (others).
fn find_all(hay: &str, cue: &str) -> Vec<usize> {
    let ascii = cue.is_ascii();
    let b = hay.as_bytes();
    hay.match_indices(cue)
        .map(|(i, _)| i)
        .filter(|&i| {
            !ascii || {
                let before = i.checked_sub(1).map(|j| b[j]);
                let after = b.get(i + cue.len()).copied();
                let word = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric());
                // A cue ending in a stem ("transfer") may run on ("transferred").
                !word(before) && (!word(after) || cue.ends_with(' '))
            }
        })
        .collect()
}

fn any_cue(hay: &str, cues: &[String]) -> bool {
    cues.iter().any(|c| !find_all(hay, c).is_empty())
}

/// The regions a sentence names, longest names first, without overlaps.
fn mentions(text: &str, lower: &str, cues: &RegionCues) -> Vec<Mention> {
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut names: Vec<&RegionName> = cues.names.iter().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.phrase.len()));
    let mut out = Vec::new();
    for n in names {
        let hits = if n.case_sensitive { find_all(text, &n.phrase) } else { find_all(lower, &n.phrase.to_ascii_lowercase()) };
        for start in hits {
            let end = start + n.phrase.len();
            if taken.iter().any(|&(s, e)| start < e && s < end) {
                continue;
            }
            taken.push((start, end));
            let before = lower[..start].trim_end();
            let before_the = before.strip_suffix(" the").unwrap_or(before).trim_end();
            if cues.people_before.iter().any(|p| before.ends_with(p.as_str()) || before_the.ends_with(p.as_str()))
                || cues.people_after.iter().any(|p| lower[end..].starts_with(p.as_str()))
            {
                continue;
            }
            let outside = n.outside
                || cues.outside_before.iter().any(|o| before.ends_with(o.as_str()))
                || cues.outside_after.iter().any(|o| lower[end..].starts_with(o.as_str()));
            out.push(Mention { region: n.region.clone(), start, outside, domestic: n.domestic && !outside });
        }
    }
    out.sort_by_key(|m| m.start);
    // "outside the EU/EEA": a name listed right after an outside one is outside too.
    for i in 1..out.len() {
        let (prev_end, prev_outside) = (out[i - 1].start + region_len(text, &out[i - 1], cues), out[i - 1].outside);
        if prev_outside && prev_end <= out[i].start {
            let between = &lower[prev_end..out[i].start];
            let between = between.strip_suffix("the ").unwrap_or(between);
            if cues.joiners.iter().any(|j| between == j.as_str()) {
                out[i].outside = true;
                out[i].domestic = false;
            }
        }
    }
    out
}

/// The byte length of the name a mention matched (the longest name of its
/// region that occurs at its start).
fn region_len(text: &str, m: &Mention, cues: &RegionCues) -> usize {
    let lower = text[m.start..].to_ascii_lowercase();
    cues.names
        .iter()
        .filter(|n| n.region == m.region)
        .filter(|n| if n.case_sensitive { text[m.start..].starts_with(n.phrase.as_str()) } else { lower.starts_with(&n.phrase.to_ascii_lowercase()) })
        .map(|n| n.phrase.len())
        .max()
        .unwrap_or(0)
}

/// Whether a negation stands close before `at` (the verb it would deny):
/// within 40 bytes and the same clause.
fn negated_at(lower: &str, at: usize, cues: &RegionCues) -> bool {
    let mut from = at.saturating_sub(40);
    while !lower.is_char_boundary(from) {
        from += 1;
    }
    let window = &lower[from..at];
    let clause = match window.char_indices().rev().find(|(_, c)| matches!(c, ',' | ';' | '，' | '；' | ':' | '：')) {
        Some((i, c)) => &window[i + c.len_utf8()..],
        None => window,
    };
    // "n't" ends a word ("don't"), so it is matched anywhere.
    cues.negation.iter().any(|n| !find_all(clause, n).is_empty() || ((!n.is_ascii() || n.starts_with("n'")) && clause.contains(n.as_str())))
}

/// The first position of any cue of `cues` in `lower`, with whether it is negated.
fn cue_hits(lower: &str, list: &[String], cues: &RegionCues) -> Vec<(usize, bool)> {
    let mut hits: Vec<(usize, bool)> =
        list.iter().flat_map(|c| find_all(lower, c)).map(|i| (i, negated_at(lower, i, cues))).collect();
    hits.sort_unstable();
    hits
}

/// Read one sentence (`start` is its offset in the policy text).
pub fn read_sentence(text: &str, start: usize, language: Language, cues: &RegionCues) -> Vec<RegionStatement> {
    let lower = text.to_ascii_lowercase();
    let regions = mentions(text, &lower, cues);
    let abroad = any_cue(&lower, &cues.abroad);
    let conditional = any_cue(&lower, &cues.conditions);
    let evidence = Evidence { start, end: start + text.len(), text: text.to_string() };
    let mut out: Vec<RegionStatement> = Vec::new();
    let mut push = |kind: RegionKind, region: Option<String>, safeguard: Option<String>| {
        if !out.iter().any(|s| s.kind == kind && s.region == region && s.safeguard == safeguard) {
            out.push(RegionStatement { kind, region, safeguard, conditional, evidence: evidence.clone(), language });
        }
    };
    let storage = cue_hits(&lower, &cues.storage, cues);
    let transfer = cue_hits(&lower, &cues.transfer, cues);
    let about_data = any_cue(&lower, &cues.data_words);
    let outside: Vec<&Mention> = regions.iter().filter(|m| m.outside).collect();
    let inside: Vec<&Mention> = regions.iter().filter(|m| !m.outside).collect();
    // A denial of a transfer or of storage outside a region (or abroad).
    let denied = storage.iter().chain(&transfer).any(|&(_, neg)| neg);
    let affirmed_transfer = transfer.iter().any(|&(_, neg)| !neg);
    let affirmed_storage = storage.iter().any(|&(_, neg)| !neg);
    if denied && (!outside.is_empty() || abroad) {
        match outside.first() {
            Some(m) => push(RegionKind::DeniesTransfer, Some(m.region.clone()), None),
            None => push(RegionKind::DeniesTransfer, None, None),
        }
    } else if (affirmed_transfer || affirmed_storage) && (!outside.is_empty() || abroad) && about_data {
        push(RegionKind::TransferredTo, None, None);
    }
    // Where data is stored, or may be sent.
    if affirmed_storage && about_data {
        let confined = any_cue(&lower, &cues.confine) || cues.confine.iter().any(|c| !c.is_ascii() && lower.contains(c.as_str()));
        // The region named after the storage verb, or any when none follows.
        let first_storage = storage.iter().find(|(_, n)| !n).map(|s| s.0).unwrap_or(0);
        let after: Vec<&&Mention> = inside.iter().filter(|m| m.start >= first_storage).collect();
        let chosen: Vec<&&Mention> = if after.is_empty() { inside.iter().collect() } else { after };
        for m in chosen {
            // "stay in China" beats "stored in China" when both are read.
            let kind = if confined || m.domestic { RegionKind::StaysIn } else { RegionKind::StoredIn };
            push(kind, Some(m.region.clone()), None);
        }
    } else if affirmed_transfer && !denied && about_data {
        for m in &inside {
            if !m.domestic {
                push(RegionKind::TransferredTo, Some(m.region.clone()), None);
            }
        }
    }
    // Safeguards.
    let context = any_cue(&lower, &cues.cross_border_context) || !outside.is_empty() || abroad;
    for s in &cues.safeguards {
        let hit = if s.phrase.is_ascii() { !find_all(&lower, &s.phrase).is_empty() } else { lower.contains(s.phrase.as_str()) };
        if hit && (!s.needs_context || context) {
            push(RegionKind::Safeguard, None, Some(s.safeguard.clone()));
        }
    }
    // A stays-in statement makes a stored-in one for the same region redundant.
    let stays: Vec<Option<String>> = out.iter().filter(|s| s.kind == RegionKind::StaysIn).map(|s| s.region.clone()).collect();
    out.retain(|s| !(s.kind == RegionKind::StoredIn && stays.contains(&s.region)));
    out
}

/// Read every sentence of a policy for region statements.
pub fn region_statements(doc: &PolicyDocument) -> crate::Result<Vec<RegionStatement>> {
    let cues = RegionCues::shipped()?;
    Ok(doc.sentences.iter().flat_map(|s| read_sentence(&s.text, s.start, s.language, cues)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Vec<String> {
        let lang = if s.is_ascii() { Language::En } else { Language::Zh };
        read_sentence(s, 0, lang, RegionCues::shipped().unwrap()).iter().map(|r| r.describe()).collect()
    }

    #[test]
    fn reads_english_statements() {
        assert_eq!(read("We do not transfer personal data outside the EEA."), vec!["denies_transfer EEA"]);
        assert_eq!(read("Your data may be transferred to the United States."), vec!["transferred_to US"]);
        assert_eq!(read("All personal data is stored on servers in the European Union."), vec!["stored_in EU"]);
        assert_eq!(read("Your data is stored exclusively in the EU."), vec!["stays_in EU"]);
        assert_eq!(read("Your data is stored in Germany."), vec!["stored_in DE"]);
        assert_eq!(
            read("We do not transfer personal data outside the EEA unless we rely on standard contractual clauses."),
            vec!["denies_transfer EEA [conditional]", "safeguard standard_contractual_clauses [conditional]"]
        );
        assert!(read("Tell us about yourself, we love to hear from you.").is_empty());
        assert!(read("If you are a resident of the EEA you have the right to object.").is_empty());
        assert!(read("Additional U.S. state disclosures: how we disclose that information.").is_empty());
        assert_eq!(read("Where a data transfer outside the EU/EEA is not covered by an adequacy decision, we rely on safeguards."), vec!["transferred_to abroad", "safeguard adequacy"]);
    }

    #[test]
    fn reads_chinese_statements() {
        assert_eq!(read("我们将在中华人民共和国境内收集和产生的个人信息存储在境内"), vec!["stays_in CN"]);
        assert_eq!(read("我们不会将您的个人信息传输至境外"), vec!["denies_transfer CN"]);
        let consent = read("如需向境外提供您的个人信息，我们会征得您的单独同意并通过安全评估");
        assert!(consent.contains(&"transferred_to abroad [conditional]".to_string()), "{consent:?}");
        assert!(consent.contains(&"safeguard separate_consent [conditional]".to_string()), "{consent:?}");
        // 单独同意 outside a cross-border sentence is no transfer safeguard.
        assert!(read("处理敏感个人信息前，我们会取得您的单独同意").is_empty());
    }
}
