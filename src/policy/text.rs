//! Plain-text reader: blank lines separate paragraphs; heading-like lines
//! become headings and bullet lines become list items.
//!
//! A line is heading-like when it is short, does not end like a sentence and
//! is ALL CAPS, numbered ("1. Information We Collect", "2.1 Cookies"),
//! Title Case, a short question, ends with ':' or starts with '#'. Inside a
//! hard-wrapped paragraph only ALL-CAPS or numbered lines after a finished
//! sentence count, so wrapped prose is not cut up.

use super::{Block, BlockKind};

/// Longest line (in characters) that can be a heading.
const MAX_HEADING_CHARS: usize = 100;
/// Most words a heading line can have.
const MAX_HEADING_WORDS: usize = 14;

/// Split plain text into blocks.
pub(crate) fn blocks(s: &str) -> Vec<Block> {
    let mut reader = Reader::default();
    // Old Mac files end lines with a bare CR.
    if s.contains('\r') && !s.contains('\n') {
        s.split('\r').for_each(|line| reader.line(line));
    } else {
        s.lines().for_each(|line| reader.line(line));
    }
    reader.finish()
}

#[derive(Default)]
struct Reader {
    out: Vec<Block>,
    current: Option<Block>,
    /// Whether the last line added to `current` ended a sentence.
    last_ended_sentence: bool,
    /// The last line added to `current`.
    last_line: String,
}

impl Reader {
    fn line(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            self.flush();
            return;
        }
        // "=====" or "-----" under a one-line block: a Setext-style heading;
        // alone: a separator.
        if line.len() >= 3 && line.chars().all(|c| matches!(c, '=' | '-' | '_' | '*' | '~' | '#')) {
            if let Some(block) = self.current.as_mut() {
                if block.kind == BlockKind::Paragraph && !block.text.contains('\n') && block.text.len() <= MAX_HEADING_CHARS * 2 {
                    block.kind = BlockKind::Heading;
                }
            }
            self.flush();
            return;
        }
        if let Some(rest) = strip_bullet(line) {
            self.flush();
            self.start(BlockKind::ListItem, rest);
            return;
        }
        if let Some(title) = line.strip_prefix('#') {
            let title = title.trim_start_matches('#');
            if title.starts_with(' ') {
                self.flush();
                self.out.push(Block { kind: BlockKind::Heading, text: title.trim().to_string() });
                return;
            }
        }
        let first_in_group = self.current.is_none();
        let heading = if first_in_group {
            looks_like_heading(line)
        } else {
            (cjk_enumerated(line)
                || self.last_ended_sentence && (is_all_caps(line) || numbered_title(line).is_some()))
                && looks_like_heading(line)
        };
        if heading {
            self.flush();
            self.out.push(Block { kind: BlockKind::Heading, text: line.to_string() });
            return;
        }
        if let Some(rest) = numbered_item(line) {
            self.flush();
            self.start(BlockKind::ListItem, rest);
            return;
        }
        match self.current.as_mut() {
            Some(block) if !(block.kind == BlockKind::Paragraph && line_break_is_boundary(&self.last_line, line)) => {
                block.text.push('\n');
                block.text.push_str(line);
            }
            _ => {
                self.flush();
                self.current = Some(Block { kind: BlockKind::Paragraph, text: line.to_string() });
            }
        }
        self.last_ended_sentence = ends_sentence(line);
        self.last_line.clear();
        self.last_line.push_str(line);
    }

    fn start(&mut self, kind: BlockKind, text: &str) {
        self.current = Some(Block { kind, text: text.to_string() });
        self.last_ended_sentence = ends_sentence(text);
        self.last_line.clear();
        self.last_line.push_str(text);
    }

    fn flush(&mut self) {
        if let Some(block) = self.current.take() {
            self.out.push(block);
        }
        self.last_ended_sentence = false;
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush();
        self.out
    }
}

/// The character markup readers put in a block for an explicit line break
/// (`<br>`, a Markdown line end); it is whitespace, so it collapses away.
pub(crate) const LINE_BREAK: char = '\u{2028}';

/// Whether the break between two lines of one paragraph is also a sentence
/// break that no punctuation shows: the first line does not end in
/// punctuation or a function word, and the next starts with a capitalised
/// sentence opener ("We", "The", "If" ...). Such text is written one
/// sentence per line, and the sentence splitter cannot see the boundary.
/// Between two lines of Chinese or Japanese the break always counts: those
/// scripts are not hard-wrapped, so each line is a paragraph.
pub(crate) fn line_break_is_boundary(prev: &str, next: &str) -> bool {
    let cjk_end = prev.trim_end().chars().last().is_some_and(|c| is_cjk(c) || matches!(c, '。' | '！' | '？' | '；' | '：' | '）' | '」' | '”'));
    let cjk_start = next.trim_start().chars().next().is_some_and(|c| is_cjk(c) || matches!(c, '（' | '「' | '“' | '【'));
    if cjk_end && cjk_start {
        return true;
    }
    const JOINING: &[&str] = &[
        "a", "an", "the", "to", "of", "and", "or", "nor", "with", "by", "for", "in", "on", "at", "from", "as", "that",
        "which", "our", "your", "their", "its", "is", "are", "be", "such", "than", "via", "including", "like", "if",
        "when", "where", "we", "you", "i", "not", "no", "all", "any", "this", "these", "those",
    ];
    let prev = prev.trim_end();
    let next = next.trim_start();
    let Some(last_char) = prev.chars().last() else { return false };
    if !last_char.is_alphanumeric() && !matches!(last_char, ')' | '"' | '”' | '’' | '\'' | '*' | '_' | '`') {
        return false; // ".", ",", ":", "-", "(" ...: punctuation decides
    }
    let last_word = prev.rsplit(char::is_whitespace).next().unwrap_or("").trim_matches(|c: char| !c.is_alphanumeric());
    if JOINING.contains(&last_word.to_lowercase().as_str()) {
        return false;
    }
    let first_word: String = next.chars().take(24).take_while(|c| c.is_alphabetic()).collect();
    first_word.starts_with(char::is_uppercase)
        && super::sentences::OPENERS.contains(&first_word.to_lowercase().as_str())
        && first_word.to_lowercase() != "a"
        && first_word.to_lowercase() != "i"
}

/// Split the text of a paragraph at its explicit line breaks (`sep`) where a
/// line is a bullet item or [`line_break_is_boundary`] says a sentence ends.
pub(crate) fn split_soft_lines(text: &str, sep: char) -> Vec<Block> {
    if !text.contains(sep) {
        return vec![Block { kind: BlockKind::Paragraph, text: text.to_string() }];
    }
    let mut out: Vec<Block> = Vec::new();
    let mut last = "";
    for line in text.split(sep) {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = strip_bullet(line.trim()) {
            out.push(Block { kind: BlockKind::ListItem, text: rest.to_string() });
        } else {
            match out.last_mut() {
                Some(block) if !line_break_is_boundary(last, line) => {
                    block.text.push(' ');
                    block.text.push_str(line);
                }
                _ => out.push(Block { kind: BlockKind::Paragraph, text: line.to_string() }),
            }
        }
        last = line;
    }
    out
}

fn ends_sentence(line: &str) -> bool {
    line.trim_end_matches(['"', '\'', ')', '”', '’']).ends_with(['.', '!', '?', ':', '。', '！', '？'])
}

/// The text of a bullet line without its bullet: "- x", "* x", "• x",
/// "1) x", "(a) x", "a) x".
pub(crate) fn strip_bullet(line: &str) -> Option<&str> {
    const MARKS: &[char] = &['-', '*', '•', '·', '◦', '○', '●', '▪', '■', '□', '–', '—', '➢', '►', '▶', '→', '✓', '✔', '\u{F0B7}', '\u{F0A7}', '+'];
    let mut chars = line.chars();
    let first = chars.next()?;
    if MARKS.contains(&first) {
        let rest = chars.as_str();
        if rest.starts_with(char::is_whitespace) && !rest.trim().is_empty() {
            return Some(rest.trim_start());
        }
        // "•Text" without a space is still a bullet for the round ones.
        if matches!(first, '•' | '●' | '▪' | '■' | '◦' | '\u{F0B7}' | '\u{F0A7}') && !rest.trim().is_empty() {
            return Some(rest.trim_start());
        }
        return None;
    }
    if let Some(rest) = cjk_numbered_sentence(line) {
        return Some(rest);
    }
    // "1) ", "a) ", "(1) ", "(a) ", "(iv) ".
    let inner = line.strip_prefix('(').unwrap_or(line);
    let close = inner.find(')')?;
    let label = &inner[..close];
    let rest = &inner[close + 1..];
    let label_ok = !label.is_empty()
        && label.len() <= 4
        && (label.chars().all(|c| c.is_ascii_digit())
            || (label.len() == 1 && label.chars().all(|c| c.is_ascii_alphabetic()))
            || label.chars().all(|c| matches!(c, 'i' | 'v' | 'x')));
    if label_ok && rest.starts_with(char::is_whitespace) && !rest.trim().is_empty() {
        return Some(rest.trim_start());
    }
    None
}

/// "1、获得您的明确同意后。", "（2）关系公共安全的情况时。", "3.我们不会出售。":
/// a Chinese numbered line that is a sentence (it ends in a sentence
/// mark), read as a list item without its number. Numbered lines that do
/// not end a sentence ("（1）日志信息") are left to the heading rules.
fn cjk_numbered_sentence(line: &str) -> Option<&str> {
    if !line.trim_end_matches(['”', '’', '）', ')', '」', '』']).ends_with(['。', '！', '？', '；', '.', '!', '?', ';']) {
        return None;
    }
    let rest = match line.strip_prefix(['（', '(']) {
        Some(inner) => {
            let close = inner.find(['）', ')'])?;
            let label = &inner[..close];
            if label.is_empty() || label.chars().count() > 3 || !label.chars().all(|c| c.is_ascii_digit() || "一二三四五六七八九十".contains(c)) {
                return None;
            }
            let close_len = inner[close..].chars().next()?.len_utf8();
            &inner[close + close_len..]
        }
        None => {
            let digits = line.find(|c: char| !c.is_ascii_digit())?;
            if digits == 0 || digits > 2 {
                return None;
            }
            let after = &line[digits..];
            let mark = after.chars().next().filter(|c| matches!(c, '、' | '．' | '.'))?;
            &after[mark.len_utf8()..]
        }
    };
    let rest = rest.trim_start();
    rest.starts_with(|c: char| super::language::is_han(c) || matches!(c, '“' | '《' | '【' | '（')).then_some(rest)
}

/// "1. We collect your e-mail." : a numbered list item that is not a heading.
fn numbered_item(line: &str) -> Option<&str> {
    let digits = line.find(|c: char| !c.is_ascii_digit())?;
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = line[digits..].strip_prefix('.')?;
    if rest.starts_with(char::is_whitespace) && !rest.trim().is_empty() {
        Some(rest.trim_start())
    } else {
        None
    }
}

/// The title of a numbered heading line: "1. Information We Collect",
/// "2.1 Cookies", "Section 3 - Sharing", "IV. Rights".
pub(crate) fn numbered_title(line: &str) -> Option<&str> {
    let lower = line.to_ascii_lowercase();
    let mut rest = line;
    for word in ["section ", "article ", "part ", "chapter "] {
        if lower.starts_with(word) {
            rest = &line[word.len()..];
            break;
        }
    }
    let label_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let label_len = if label_len == 0 {
        // Roman numerals followed by a period: "IV. Rights".
        let roman = rest.find(|c: char| !matches!(c, 'I' | 'V' | 'X')).unwrap_or(0);
        if roman > 0 && rest[roman..].starts_with('.') {
            roman + 1
        } else {
            0
        }
    } else {
        label_len
    };
    if label_len == 0 || !rest.starts_with(|c: char| c.is_ascii_digit() || c == 'I' || c == 'V' || c == 'X') {
        return None;
    }
    let title = rest[label_len..].trim_start_matches([')', ':', '-', '–', ' ', '\t']);
    if title.len() < rest[label_len..].len() && title.starts_with(|c: char| c.is_uppercase()) {
        Some(title)
    } else {
        None
    }
}

fn is_all_caps(line: &str) -> bool {
    let mut upper = 0usize;
    for c in line.chars() {
        if c.is_lowercase() {
            return false;
        }
        if c.is_uppercase() {
            upper += 1;
        }
    }
    upper >= 2
}

/// Whether a line reads like Title Case: most words that are not short
/// function words start with a capital letter.
fn is_title_case(line: &str) -> bool {
    const SMALL: &[&str] = &[
        "a", "an", "the", "and", "or", "nor", "of", "to", "in", "on", "for", "with", "by", "at", "from", "as", "via",
        "vs", "per", "into", "about", "&", "is", "are", "we", "you", "do", "does", "not", "your", "our", "that", "this",
        "its", "it", "under", "how", "what", "who", "which", "when", "why", "may", "can", "be", "if",
    ];
    let mut capital = 0usize;
    let mut total = 0usize;
    for word in line.split_whitespace() {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        let Some(first) = word.chars().next() else { continue };
        if !first.is_alphabetic() {
            continue;
        }
        if first.is_uppercase() {
            capital += 1;
            total += 1;
        } else if !SMALL.contains(&word) {
            total += 1;
        }
    }
    capital > 0 && capital * 4 >= total * 3
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}')
}

/// A line that starts like a Chinese section number: "一、", "（二）",
/// "3、", "第五条".
pub(crate) fn cjk_enumerated(line: &str) -> bool {
    const NUMERALS: &str = "一二三四五六七八九十百零〇";
    if !line.chars().any(is_cjk) {
        return false;
    }
    let mut chars = line.chars().peekable();
    if line.starts_with('第') {
        return line.chars().take(8).any(|c| matches!(c, '条' | '章' | '节' | '部' | '款'));
    }
    let open = matches!(chars.peek(), Some('（' | '('));
    if open {
        chars.next();
    }
    let mut count = 0;
    while chars.peek().is_some_and(|&c| NUMERALS.contains(c) || c.is_ascii_digit() || ('０'..='９').contains(&c)) {
        chars.next();
        count += 1;
    }
    if count == 0 {
        return false;
    }
    match chars.next() {
        Some('）' | ')') => open,
        Some('、' | '．' | '.') => !open,
        _ => false,
    }
}

/// Whether one line of text looks like a heading.
pub(crate) fn looks_like_heading(line: &str) -> bool {
    let line = line.trim();
    let chars = line.chars().count();
    if !(2..=MAX_HEADING_CHARS).contains(&chars) || line.split_whitespace().count() > MAX_HEADING_WORDS {
        return false;
    }
    if !line.chars().any(|c| c.is_alphabetic()) {
        return false;
    }
    if line.ends_with(['.', ',', ';', '!', '。', '，', '；', '！', '？']) {
        // "1. Information We Collect." is still not a heading; neither is prose.
        return false;
    }
    if line.ends_with(':') || line.ends_with('：') {
        return true;
    }
    if line.chars().any(is_cjk) {
        // Chinese and Japanese have no case: only enumerated short lines.
        return chars <= 40 && cjk_enumerated(line);
    }
    if line.ends_with('?') {
        return line.split_whitespace().count() <= 12 && line.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit());
    }
    is_all_caps(line) || numbered_title(line).is_some() || is_title_case(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(BlockKind, String)> {
        blocks(s).into_iter().map(|b| (b.kind, b.text.split_whitespace().collect::<Vec<_>>().join(" "))).collect()
    }

    #[test]
    fn paragraphs_headings_and_bullets() {
        let s = "PRIVACY POLICY\n\n1. Information We Collect\nWe collect your name\nand your e-mail.\n\nWe may collect:\n- location\n* contacts\n• photos\n1) device id\n(b) IP address\n\nHow We Use Your Information\n\nWe use it to run the app.\n";
        let got = kinds(s);
        use BlockKind::*;
        assert_eq!(got, vec![
            (Heading, "PRIVACY POLICY".to_string()),
            (Heading, "1. Information We Collect".to_string()),
            (Paragraph, "We collect your name and your e-mail.".to_string()),
            (Heading, "We may collect:".to_string()),
            (ListItem, "location".to_string()),
            (ListItem, "contacts".to_string()),
            (ListItem, "photos".to_string()),
            (ListItem, "device id".to_string()),
            (ListItem, "IP address".to_string()),
            (Heading, "How We Use Your Information".to_string()),
            (Paragraph, "We use it to run the app.".to_string()),
        ]);
    }

    #[test]
    fn wrapped_prose_is_not_cut() {
        let s = "We share data with Service Providers\nPartners Who Help Us Run The App, and with\nothers when the law requires it.\n";
        assert_eq!(kinds(s).len(), 1);
    }

    #[test]
    fn crlf_and_numbered_items() {
        let s = "Intro text here.\r\n\r\n1. We collect your e-mail address.\r\n2. We never sell it.\r\n";
        let got = kinds(s);
        assert_eq!(got[1], (BlockKind::ListItem, "We collect your e-mail address.".to_string()));
        assert_eq!(got[2], (BlockKind::ListItem, "We never sell it.".to_string()));
    }

    #[test]
    fn chinese_lines() {
        let got = kinds("隐私政策\n一、我们如何收集信息\n我们收集您的手机号。\n我们不会出售。\n（一）共享\n我们不共享。");
        use BlockKind::*;
        assert_eq!(got, vec![
            (Paragraph, "隐私政策".to_string()),
            (Heading, "一、我们如何收集信息".to_string()),
            (Paragraph, "我们收集您的手机号。".to_string()),
            (Paragraph, "我们不会出售。".to_string()),
            (Heading, "（一）共享".to_string()),
            (Paragraph, "我们不共享。".to_string()),
        ]);
    }

    #[test]
    fn setext_and_hash_headings() {
        let got = kinds("Cookies\n=======\nWe use cookies.\n\n## Contact\nmail us.");
        assert_eq!(got[0], (BlockKind::Heading, "Cookies".to_string()));
        assert_eq!(got[2], (BlockKind::Heading, "Contact".to_string()));
    }

    #[test]
    fn heading_heuristics() {
        assert!(looks_like_heading("INFORMATION WE COLLECT"));
        assert!(looks_like_heading("2.1 Cookies and Similar Technologies"));
        assert!(looks_like_heading("Information that Sci-News.com May Collect Online"));
        assert!(!looks_like_heading("We collect your e-mail address."));
        assert!(!looks_like_heading("we collect data without saying so"));
        assert!(!looks_like_heading("12345"));
        assert!(looks_like_heading("一、我们如何收集和使用您的个人信息"));
        assert!(looks_like_heading("（二）业务功能"));
        assert!(looks_like_heading("第五条 信息共享"));
        assert!(!looks_like_heading("我们仅会出于本政策所述的以下目的"));
        assert!(!looks_like_heading("一、我们如何收集。"));
        assert!(looks_like_heading("１．信息收集"));
        assert!(looks_like_heading("(2)位置信息"));
    }
}
