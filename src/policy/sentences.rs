//! Sentence splitting for policy text.
//!
//! A sentence ends at `.`, `!`, `?` or `…` (with any closing quotes or
//! brackets after it) followed by whitespace and a character that can start a
//! sentence (an upper-case letter, a digit, an opening quote or bracket, or a
//! letter of a script without case), or at the end of the text. Chinese and
//! Japanese `。！？；` end a sentence wherever they stand, and so do the
//! half-width `.!?;` (and the full-width `．`) right after a Chinese
//! character when no Latin letter or digit comes next ("信息.我们"). A title in
//! `《...》` is never split. Abbreviations
//! (e.g., i.e., Dr., No. 5 ...), initials, decimals, URLs and e-mail
//! addresses do not end a sentence. Sentences longer than
//! [`MAX_SENTENCE_BYTES`] are cut at a `;`, `,` or space.
//!
//! Runs in one forward pass over the text: linear in its length.

/// The longest sentence handed on; longer run-ons are cut.
pub const MAX_SENTENCE_BYTES: usize = 1500;

/// Abbreviations after which a period never ends a sentence.
const ALWAYS_ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "eg", "ie", "mr", "mrs", "ms", "dr", "prof", "rev", "hon", "gen", "gov", "sen", "rep", "st", "vs",
    "approx", "cf", "viz", "esp", "incl", "excl", "dept", "est", "ca", "al", "resp", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    // Statute citations: "Cal. Civ. Code § 1798.83", "Bus. & Prof. Code".
    "cal", "civ", "stat", "ann", "bus", "proc", "regs", "crim", "admin",
    // Company forms that never end a name: "Bytedance Pte. Ltd.".
    "pte", "pvt", "pty", "sdn",
];

/// Abbreviations that never end a sentence when a number follows ("No. 5").
const NUMBER_ABBREVIATIONS: &[&str] =
    &["no", "nos", "nr", "art", "arts", "sec", "secs", "para", "paras", "vol", "p", "pp", "fig", "figs", "ch", "ref", "tel", "ph", "ext", "op", "reg"];

/// Abbreviations that often end a sentence too: they end one only when the
/// next word is a common sentence opener ("... Google Inc. We use ...").
const MAYBE_ABBREVIATIONS: &[&str] = &[
    "etc", "inc", "ltd", "co", "corp", "llc", "plc", "gmbh", "ag", "bv", "nv", "lp", "llp", "sa", "srl", "jr", "sr",
    "bros", "intl", "assn", "govt", "a.m", "p.m",
];

/// Words that start sentences; used to decide after a [`MAYBE_ABBREVIATIONS`] entry.
pub(crate) const OPENERS: &[&str] = &[
    "a", "accordingly", "additionally", "after", "all", "also", "although", "an", "any", "are", "as", "at", "because",
    "before", "by", "can", "click", "contact", "do", "does", "during", "each", "finally", "for", "from", "further",
    "furthermore", "he", "her", "here", "his", "how", "however", "i", "if", "in", "is", "it", "its", "learn", "may",
    "moreover", "my", "no", "note", "on", "once", "our", "please", "read", "see", "she", "should", "since", "some",
    "such", "that", "the", "their", "then", "there", "therefore", "these", "they", "this", "those", "thus", "to",
    "unless", "upon", "us", "use", "we", "what", "when", "where", "whether", "which", "while", "who", "why", "will",
    "with", "you", "your",
];

/// Byte ranges of the sentences in `s`, trimmed of whitespace, in order.
pub fn split_sentences(s: &str) -> Vec<(usize, usize)> {
    let mut raw = Vec::new();
    let mut start = 0usize;
    let mut word_start = 0usize;
    let mut i = 0usize;
    // The character before `i`, when it is a Han character.
    let mut after_han = false;
    while let Some(c) = s[i..].chars().next() {
        let next = i + c.len_utf8();
        if c.is_whitespace() {
            word_start = next;
            after_han = false;
            i = next;
            continue;
        }
        if c == '《' {
            // A title: skip to its end when it closes soon.
            if let Some(close) = title_end(s, next) {
                after_han = false;
                i = close;
                continue;
            }
        }
        let half_cjk = after_han && matches!(c, '.' | '!' | '?' | ';' | '．');
        if !is_terminator(c) && !half_cjk {
            after_han = super::language::is_han(c);
            i = next;
            continue;
        }
        // The terminator cluster: "?!", "...", ".”", ".)" ...
        let mut end = next;
        let mut cjk = is_cjk_terminator(c);
        while let Some(d) = s[end..].chars().next() {
            if is_terminator(d) || is_closing(d) {
                cjk |= is_cjk_terminator(d);
                end += d.len_utf8();
            } else {
                break;
            }
        }
        // "信息.我们", "删除!": not "微信.com", "第1.2条" or "QQ.5".
        let half_cjk = half_cjk && !s[end..].trim_start().starts_with(|d: char| d.is_ascii_alphanumeric() || matches!(d, '@' | '/' | '_' | '-'));
        if cjk || half_cjk || ends_sentence(s, start, word_start, i, end) {
            raw.push((start, end));
            start = end;
        }
        after_han = false;
        i = end;
    }
    raw.push((start, s.len()));

    let mut out = Vec::with_capacity(raw.len());
    for (a, b) in raw {
        if let Some((a, b)) = trim_range(s, a, b) {
            cut_long(s, a, b, &mut out);
        }
    }
    out
}

/// Whether the ASCII-style terminator cluster `s[at..end]` ends the sentence
/// that began at `start`; `word_start` is where the word before it begins.
fn ends_sentence(s: &str, start: usize, word_start: usize, at: usize, end: usize) -> bool {
    let rest = &s[end..];
    let Some(first) = rest.chars().next() else {
        return true; // end of text
    };
    if !first.is_whitespace() {
        return false; // "3.5", "example.com", "a.b@c.d", "?id=1"
    }
    let Some(opener) = rest.trim_start().chars().next() else {
        return true;
    };
    if !can_start_sentence(opener) {
        return false;
    }
    let cluster = &s[at..end];
    let word = s[word_start.min(at)..at].trim_start_matches(is_opening);
    if cluster.starts_with('!') && word.eq_ignore_ascii_case("yahoo") {
        return false;
    }
    // Only a single period (maybe with closing quotes) can be an abbreviation.
    if !cluster.starts_with('.') || cluster[1..].starts_with(['.', '!', '?', '…']) {
        return true;
    }
    let word = word.trim_end_matches(is_closing);
    if word.is_empty() || cluster.len() > 1 && !word.contains('.') && word.len() > 1 {
        // "... the end.” Next" : a quote closes the sentence.
        return true;
    }
    let lower = word.to_lowercase();
    let lower = lower.as_str();
    let next_word: String = rest.trim_start().chars().take(24).take_while(|c| c.is_alphanumeric()).collect();
    if ALWAYS_ABBREVIATIONS.contains(&lower) {
        return false;
    }
    if NUMBER_ABBREVIATIONS.contains(&lower) && opener.is_ascii_digit() {
        return false;
    }
    // Single initials: "John F. Kennedy", "A. Personal data".
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    if word.chars().count() == 1 && letters.next().is_some() {
        return false;
    }
    // Numbering at the start of a sentence: "1. Information We Collect", "IV. Cookies".
    if word_start <= start && is_enumerator(word) {
        return false;
    }
    // Dotted abbreviations: "U.S.", "U.K.", "a.m.", "Ph.D.".
    let dotted = word.contains('.') && word.split('.').all(|p| !p.is_empty() && p.chars().count() <= 3 && p.chars().all(char::is_alphabetic));
    if dotted || MAYBE_ABBREVIATIONS.contains(&lower) {
        return OPENERS.contains(&next_word.to_lowercase().as_str());
    }
    true
}

/// "1", "12", "1.2", "iv", "IV": a section or list number.
fn is_enumerator(word: &str) -> bool {
    if word.is_empty() || word.len() > 8 {
        return false;
    }
    let numeric = word.chars().all(|c| c.is_ascii_digit() || c == '.') && word.starts_with(|c: char| c.is_ascii_digit());
    let roman = word.len() <= 5 && word.chars().all(|c| matches!(c.to_ascii_lowercase(), 'i' | 'v' | 'x' | 'l'));
    numeric || roman
}

/// Longest title in `《...》` kept whole (bytes).
const MAX_TITLE_BYTES: usize = 300;

/// Where the `《...》` title whose text starts at `from` ends (after its
/// `》`), when it closes within [`MAX_TITLE_BYTES`] and before another `《`.
fn title_end(s: &str, from: usize) -> Option<usize> {
    let mut limit = (from + MAX_TITLE_BYTES).min(s.len());
    while !s.is_char_boundary(limit) {
        limit -= 1;
    }
    let window = &s[from..limit];
    let close = window.find(['》', '《'])?;
    window[close..].starts_with('》').then(|| from + close + '》'.len_utf8())
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…') || is_cjk_terminator(c)
}

fn is_cjk_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '｡')
}

fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '}' | '”' | '’' | '»' | '›' | '」' | '』' | '）' | '】' | '〕' | '》')
}

fn is_opening(c: char) -> bool {
    matches!(c, '"' | '\'' | '(' | '[' | '{' | '“' | '‘' | '«' | '‹' | '「' | '『' | '（' | '【' | '《')
}

/// A character a sentence can begin with.
fn can_start_sentence(c: char) -> bool {
    c.is_uppercase()
        || c.is_ascii_digit()
        || is_opening(c)
        || matches!(c, '¿' | '¡' | '•' | '*' | '-' | '–' | '—' | '#' | '@' | '$' | '€' | '£')
        || (c.is_alphabetic() && !c.is_lowercase())
}

/// `s[a..b]` without surrounding whitespace, or `None` when nothing is left.
fn trim_range(s: &str, a: usize, b: usize) -> Option<(usize, usize)> {
    let piece = &s[a..b];
    let left = piece.len() - piece.trim_start().len();
    let right = piece.len() - piece.trim_end().len();
    if left + right >= piece.len() {
        return None;
    }
    Some((a + left, b - right))
}

/// Push `s[a..b]`, cut into pieces of at most [`MAX_SENTENCE_BYTES`] at the
/// best boundary available: after `;`, after `,`, at a space, else anywhere
/// between characters.
fn cut_long(s: &str, mut a: usize, b: usize, out: &mut Vec<(usize, usize)>) {
    while b - a > MAX_SENTENCE_BYTES {
        let mut limit = a + MAX_SENTENCE_BYTES;
        while !s.is_char_boundary(limit) {
            limit -= 1;
        }
        let window = &s[a..limit];
        let floor = MAX_SENTENCE_BYTES / 3;
        let found = [";", ","]
            .iter()
            .find_map(|sep| window.rfind(sep).filter(|&p| p >= floor).map(|p| p + 1))
            .or_else(|| window.rfind(char::is_whitespace).filter(|&p| p >= floor));
        let cut = a + found.unwrap_or(window.len());
        if let Some(piece) = trim_range(s, a, cut) {
            out.push(piece);
        }
        match trim_range(s, cut, b) {
            Some((x, _)) => a = x,
            None => return,
        }
    }
    out.push((a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<&str> {
        split_sentences(s).into_iter().map(|(a, b)| &s[a..b]).collect()
    }

    #[test]
    fn basic_split() {
        assert_eq!(split("We collect data. We share it! Do we sell it? No."), vec![
            "We collect data.",
            "We share it!",
            "Do we sell it?",
            "No."
        ]);
        assert_eq!(split("  "), Vec::<&str>::new());
        assert_eq!(split("No terminator at all"), vec!["No terminator at all"]);
    }

    #[test]
    fn abbreviations_do_not_split() {
        let s = "We collect identifiers, e.g. Your name, i.e. The one you give. Contact Dr. Smith at No. 5 Main St. Boston.";
        assert_eq!(split(s), vec!["We collect identifiers, e.g. Your name, i.e. The one you give.", "Contact Dr. Smith at No. 5 Main St. Boston."]);
        assert_eq!(split("Data is stored in the U.S. Privacy Shield applies."), vec!["Data is stored in the U.S. Privacy Shield applies."]);
        assert_eq!(split("Data is stored in the U.S. We protect it."), vec!["Data is stored in the U.S.", "We protect it."]);
        assert_eq!(split("Acme Inc. Privacy Team and Foo Ltd. Partners agree."), vec!["Acme Inc. Privacy Team and Foo Ltd. Partners agree."]);
        assert_eq!(split("Names, emails, etc. We use them."), vec!["Names, emails, etc.", "We use them."]);
        assert_eq!(split("Written by John F. Kennedy. Approx. 30 users vs. 40 Bots."), vec!["Written by John F. Kennedy.", "Approx. 30 users vs. 40 Bots."]);
    }

    #[test]
    fn decimals_urls_emails() {
        let s = "Version 3.5 applies. See www.google.com/policies/privacy for details. Email privacy@example.com. Visit example.com. Thanks.";
        assert_eq!(split(s), vec![
            "Version 3.5 applies.",
            "See www.google.com/policies/privacy for details.",
            "Email privacy@example.com.",
            "Visit example.com.",
            "Thanks."
        ]);
        assert_eq!(split("Go to https://example.com/a?b=1. Then stop."), vec!["Go to https://example.com/a?b=1.", "Then stop."]);
    }

    #[test]
    fn numbering_and_quotes() {
        assert_eq!(split("1. Information We Collect"), vec!["1. Information We Collect"]);
        assert_eq!(split("He said \"stop.\" Then left."), vec!["He said \"stop.\"", "Then left."]);
        assert_eq!(split("(We do.) You may."), vec!["(We do.)", "You may."]);
        assert_eq!(split("Lowercase after. period stays."), vec!["Lowercase after. period stays."]);
    }

    #[test]
    fn chinese() {
        assert_eq!(split("我们收集信息。我们不会出售；您可以删除！"), vec!["我们收集信息。", "我们不会出售；", "您可以删除！"]);
        // Half-width punctuation used as Chinese sentence ends.
        assert_eq!(split("我们收集信息.我们不会出售;您可以删除!好吗?"), vec!["我们收集信息.", "我们不会出售;", "您可以删除!", "好吗?"]);
        // ... but not in numbers, domains and English.
        assert_eq!(split("访问微信.com或第1.2条; we do; so."), vec!["访问微信.com或第1.2条; we do; so."]);
        // A title is never split.
        assert_eq!(split("请阅读《隐私政策！儿童版》。我们会更新。"), vec!["请阅读《隐私政策！儿童版》。", "我们会更新。"]);
        // An unclosed 《 does not swallow the text.
        assert_eq!(split("《未闭合。我们收集。"), vec!["《未闭合。", "我们收集。"]);
        // Closing brackets and quotes stay with the sentence.
        assert_eq!(split("我们称之为“服务。”您同意。"), vec!["我们称之为“服务。”", "您同意。"]);
    }

    #[test]
    fn long_runons_are_cut() {
        let clause = "we collect your name and your email address and your phone number, ";
        let s = clause.repeat(100);
        let parts = split_sentences(&s);
        assert!(parts.len() > 1);
        for &(a, b) in &parts {
            assert!(b - a <= MAX_SENTENCE_BYTES);
            assert_eq!(s[a..b].trim(), &s[a..b]);
        }
        // No spaces at all, multi-byte characters: still cut on char boundaries.
        let s = "é".repeat(5000);
        let parts = split_sentences(&s);
        assert!(parts.iter().all(|&(a, b)| b - a <= MAX_SENTENCE_BYTES && s.is_char_boundary(a) && s.is_char_boundary(b)));
        assert_eq!(parts.iter().map(|&(a, b)| b - a).sum::<usize>(), s.len());
    }

    #[test]
    fn ranges_are_char_boundaries() {
        let s = "Ünïcödé… Ñext sentence？ 次の文。 Fin.";
        for (a, b) in split_sentences(s) {
            assert!(s.is_char_boundary(a) && s.is_char_boundary(b));
        }
    }
}
