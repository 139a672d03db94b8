//! Whole-word, case-insensitive phrase lookup in one multi-pattern pass.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

/// One phrase found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhraseMatch {
    /// Byte range in the searched text.
    pub start: usize,
    pub end: usize,
    /// The id the phrase names (a data type or an entity).
    pub id: String,
}

/// Finds phrases (whole words, ASCII case-insensitive, optional plural `s`)
/// and reports the id each one names; overlaps resolve to the longest.
#[derive(Debug, Clone)]
pub struct PhraseMatcher {
    automaton: Option<AhoCorasick>,
    ids: Vec<String>,
}

impl PhraseMatcher {
    /// Build from `(phrase, id)` pairs. Empty phrases are ignored.
    pub fn new(pairs: Vec<(String, String)>) -> crate::Result<Self> {
        let mut patterns = Vec::new();
        let mut ids = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (phrase, id) in pairs {
            let p = phrase.trim().to_ascii_lowercase();
            if p.is_empty() || !seen.insert(p.clone()) {
                continue;
            }
            patterns.push(p);
            ids.push(id);
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .map_err(|e| crate::Error::Data(format!("phrase automaton: {e}")))?,
            )
        };
        Ok(PhraseMatcher { automaton, ids })
    }

    /// All whole-word matches in `text`, left to right, longest wins on overlap.
    pub fn find(&self, text: &str) -> Vec<PhraseMatch> {
        let Some(ac) = &self.automaton else { return Vec::new() };
        let bytes = text.as_bytes();
        let mut cands: Vec<(usize, usize, usize)> = Vec::new();
        for m in ac.find_overlapping_iter(text) {
            let (s, mut e) = (m.start(), m.end());
            if s > 0 && is_word_byte(bytes[s - 1]) {
                continue;
            }
            // Allow a plural ending: "s" or "es".
            if e < bytes.len() && (bytes[e] == b's' || bytes[e] == b'S') && !(e + 1 < bytes.len() && is_word_byte(bytes[e + 1])) {
                e += 1;
            } else if e + 1 < bytes.len()
                && bytes[e].eq_ignore_ascii_case(&b'e')
                && bytes[e + 1].eq_ignore_ascii_case(&b's')
                && !(e + 2 < bytes.len() && is_word_byte(bytes[e + 2]))
            {
                e += 2;
            }
            if e < bytes.len() && is_word_byte(bytes[e]) {
                continue;
            }
            cands.push((s, e, m.pattern().as_usize()));
        }
        // Longest first, then leftmost; keep those that do not overlap a kept one.
        cands.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
        let mut kept: Vec<(usize, usize, usize)> = Vec::new();
        for c in cands {
            if kept.iter().all(|k| c.1 <= k.0 || c.0 >= k.1) {
                kept.push(c);
            }
        }
        kept.sort_by_key(|k| k.0);
        kept.into_iter().map(|(start, end, p)| PhraseMatch { start, end, id: self.ids[p].clone() }).collect()
    }
}

/// Bytes that continue a word (ASCII alphanumerics, and any non-ASCII byte).
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_longest_whole_word_phrases() {
        let m = PhraseMatcher::new(vec![
            ("location".into(), "location".into()),
            ("precise location".into(), "precise_location".into()),
            ("email address".into(), "email_address".into()),
        ])
        .unwrap();
        let found = m.find("We collect your precise location and email addresses, not relocation data.");
        let ids: Vec<_> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, vec!["precise_location", "email_address"]);
        assert_eq!(&"We collect your precise location and email addresses"[found[1].start..found[1].end], "email addresses");
    }
}
