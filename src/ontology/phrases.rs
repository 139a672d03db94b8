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
///
/// A phrase written with a leading `=` (`"=Adjust"`) is matched with its
/// case exactly as written, for names that are also common words
/// ("Adjust" the company, not "adjust your settings").
#[derive(Debug, Clone)]
pub struct PhraseMatcher {
    automaton: Option<AhoCorasick>,
    ids: Vec<String>,
    /// For each pattern, the exact bytes a case-sensitive phrase must match.
    exact: Vec<Option<Vec<u8>>>,
}

impl PhraseMatcher {
    /// Build from `(phrase, id)` pairs. Empty phrases are ignored; a phrase
    /// starting with `=` is matched case-sensitively (without the `=`).
    pub fn new(pairs: Vec<(String, String)>) -> crate::Result<Self> {
        let mut patterns = Vec::new();
        let mut ids = Vec::new();
        let mut exact = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (phrase, id) in pairs {
            let raw = phrase.trim();
            let (text, is_exact) = match raw.strip_prefix('=') {
                Some(rest) => (rest.trim(), true),
                None => (raw, false),
            };
            let p = text.to_ascii_lowercase();
            let form = is_exact.then(|| text.as_bytes().to_vec());
            if p.is_empty() || !seen.insert((p.clone(), form.clone())) {
                continue;
            }
            patterns.push(p);
            ids.push(id);
            exact.push(form);
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
        Ok(PhraseMatcher { automaton, ids, exact })
    }

    /// All whole-word matches in `text`, left to right, longest wins on
    /// overlap. A phrase with an empty id names nothing ("验证码" among the
    /// data types, "third-party devices" among the recipients): it takes
    /// the place of the shorter phrases inside it and is then left out.
    pub fn find(&self, text: &str) -> Vec<PhraseMatch> {
        let Some(ac) = &self.automaton else { return Vec::new() };
        let bytes = text.as_bytes();
        let mut cands: Vec<(usize, usize, usize)> = Vec::new();
        for m in ac.find_overlapping_iter(text) {
            let (s, mut e) = (m.start(), m.end());
            if text[..s].chars().next_back().is_some_and(is_word_char) {
                continue;
            }
            if let Some(form) = &self.exact[m.pattern().as_usize()] {
                if bytes[s..e] != form[..] {
                    continue;
                }
            }
            // Allow a plural ending: "s" or "es".
            if e < bytes.len() && (bytes[e] == b's' || bytes[e] == b'S') && !word_at(text, e + 1) {
                e += 1;
            } else if e + 1 < bytes.len()
                && bytes[e].eq_ignore_ascii_case(&b'e')
                && bytes[e + 1].eq_ignore_ascii_case(&b's')
                && !word_at(text, e + 2)
            {
                e += 2;
            }
            if word_at(text, e) {
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
        kept.into_iter()
            .filter(|&(_, _, p)| !self.ids[p].is_empty())
            .map(|(start, end, p)| PhraseMatch { start, end, id: self.ids[p].clone() })
            .collect()
    }
}

/// Characters that continue a word: letters and digits of any script and
/// `_`. Punctuation, including typographic quotes and dashes ("“cookies”",
/// "device ID’s"), ends one, and so does a Han character: Chinese and
/// Japanese write no spaces, so "收集IMEI信息" holds the word "IMEI" and
/// "获取位置信息" the phrase "位置信息".
fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() || c == '_') && !crate::policy::is_han(c)
}

/// Does a word character start at byte `i` of `text` (a char boundary or
/// the end)?
fn word_at(text: &str, i: usize) -> bool {
    text.get(i..).and_then(|t| t.chars().next()).is_some_and(is_word_char)
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

    #[test]
    fn equals_prefix_matches_case_exactly() {
        let m = PhraseMatcher::new(vec![("=Adjust".into(), "adjust".into()), ("google".into(), "google".into())]).unwrap();
        let ids = |t: &str| m.find(t).into_iter().map(|f| f.id).collect::<Vec<_>>();
        assert_eq!(ids("We use Adjust and GOOGLE."), vec!["adjust", "google"]);
        assert!(ids("You can adjust your settings.").is_empty());
        assert!(ids("ADJUST").is_empty());
    }

    #[test]
    fn a_phrase_with_an_empty_id_hides_the_shorter_phrases_inside_it() {
        let m = PhraseMatcher::new(vec![("third party".into(), "third_party".into()), ("third party devices".into(), String::new())]).unwrap();
        let ids = |t: &str| m.find(t).into_iter().map(|f| f.id).collect::<Vec<_>>();
        assert!(ids("casting on third party devices like TVs").is_empty());
        assert_eq!(ids("we share it with a third party"), vec!["third_party"]);
    }

    #[test]
    fn typographic_punctuation_ends_a_word_but_letters_of_any_script_do_not() {
        let m = PhraseMatcher::new(vec![("cookies".into(), "cookies".into()), ("device id".into(), "device_ids".into())]).unwrap();
        let ids = |t: &str| m.find(t).into_iter().map(|f| f.id).collect::<Vec<_>>();
        assert_eq!(ids("This Service does not use these \u{201c}cookies\u{201d} explicitly."), vec!["cookies"]);
        assert_eq!(ids("your device ID\u{2019}s value \u{2014}cookies\u{2014}"), vec!["device_ids", "cookies"]);
        assert!(ids("cookies\u{e9} and \u{e9}cookies").is_empty(), "accented letters continue a word");
        assert_eq!(ids("\u{6536}\u{96c6}cookies\u{6570}\u{636e}"), vec!["cookies"], "CJK characters do not");
    }

    #[test]
    fn chinese_phrases_match_inside_unspaced_text() {
        let m = PhraseMatcher::new(vec![
            ("位置信息".into(), "location".into()),
            ("精确位置信息".into(), "precise_location".into()),
            ("imei".into(), "imei".into()),
        ])
        .unwrap();
        let found = m.find("我们会获取您的精确位置信息和IMEI，以及位置信息。");
        let ids: Vec<_> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, vec!["precise_location", "imei", "location"]);
        assert_eq!(&"我们会获取您的精确位置信息和IMEI"[found[0].start..found[0].end], "精确位置信息");
    }
}
