//! Ingest: reads a privacy policy (HTML, Markdown, plain text) into a
//! normalized text with sections and sentences. Every offset candor reports
//! is a byte offset into [`PolicyDocument::text`].

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The formats a policy can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyFormat {
    Html,
    Markdown,
    Text,
}

/// What kind of block a section of the policy was in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Heading,
    Paragraph,
    ListItem,
    TableRow,
}

/// One block of the normalized text (a heading, paragraph, list item or table row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub kind: BlockKind,
    /// Byte range in [`PolicyDocument::text`].
    pub start: usize,
    pub end: usize,
    /// The nearest heading above this block, if any.
    pub heading: Option<String>,
    /// The language the block is written in.
    #[serde(default)]
    pub language: Language,
}

/// One sentence of the normalized text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    /// Byte range in [`PolicyDocument::text`]; `text[start..end] == self.text`.
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Index into [`PolicyDocument::sections`].
    pub section: usize,
    /// The nearest heading above the sentence, if any (context for the model).
    pub heading: Option<String>,
    /// The language the sentence is written in.
    #[serde(default)]
    pub language: Language,
}

/// A policy read into normalized text, blocks and sentences.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyDocument {
    /// Where the policy came from (a path or a name).
    pub source: String,
    pub format: PolicyFormat,
    /// The normalized text: blocks joined by blank lines, whitespace collapsed.
    pub text: String,
    pub sections: Vec<Section>,
    pub sentences: Vec<Sentence>,
    /// The policy's main language: the one most of its sentence text is in.
    #[serde(default)]
    pub language: Language,
    /// Every language some sentence is in, the main one first.
    #[serde(default)]
    pub languages: Vec<Language>,
}

mod decode;
mod html;
mod language;
mod markdown;
mod sentences;
mod text;

pub use decode::decode_text;
pub use language::{detect_language, Language};
pub use sentences::split_sentences;
pub(crate) use language::is_han;

/// Largest policy file candor reads (bytes).
pub const MAX_POLICY_BYTES: u64 = 32 * 1024 * 1024;

/// Most text a policy may hold once its markup is gone (bytes). The
/// longest real policies hold a few hundred KB; every practice carries its
/// sentence, so the extraction's output (and memory) grows with the text.
pub const MAX_POLICY_TEXT_BYTES: usize = 1024 * 1024;

impl PolicyDocument {
    /// A hex SHA-256 of the normalized text: the cache key for extraction.
    pub fn text_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.text.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Read and parse the policy at `path`, picking the format from the file
/// extension, falling back to sniffing the content.
///
/// A policy whose text (markup removed) is over [`MAX_POLICY_TEXT_BYTES`]
/// is refused; a plain-text or Markdown file over four times that is
/// refused before it is parsed.
pub fn load_policy(path: &Path) -> crate::Result<PolicyDocument> {
    let bytes = crate::error::read_input(path, MAX_POLICY_BYTES)?;
    let hint = format_from_extension(path);
    let too_long = |n: usize| {
        crate::Error::input(
            path,
            format!("the policy holds {n} bytes of text, over the {MAX_POLICY_TEXT_BYTES} byte limit for a policy's text"),
        )
    };
    if matches!(hint, Some(PolicyFormat::Text | PolicyFormat::Markdown)) && bytes.len() > 4 * MAX_POLICY_TEXT_BYTES {
        return Err(too_long(bytes.len()));
    }
    let doc = parse_policy(&bytes, hint, &path.display().to_string()).map_err(|problem| crate::Error::input(path, problem))?;
    if doc.text.len() > MAX_POLICY_TEXT_BYTES {
        return Err(too_long(doc.text.len()));
    }
    Ok(doc)
}

/// The format a file extension names, if it names one.
pub fn format_from_extension(path: &Path) -> Option<PolicyFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" | "xhtml" => Some(PolicyFormat::Html),
        "md" | "markdown" => Some(PolicyFormat::Markdown),
        "txt" | "text" => Some(PolicyFormat::Text),
        _ => None,
    }
}

/// Parse policy bytes. `hint` is the format to use (sniffed when `None`);
/// `source` names the input in the document. Errors are plain problem
/// descriptions; the caller adds the file name.
pub fn parse_policy(bytes: &[u8], hint: Option<PolicyFormat>, source: &str) -> Result<PolicyDocument, String> {
    if bytes.is_empty() {
        return Err("the file is empty".to_string());
    }
    let decoded = decode_text(bytes)?;
    let format = hint.unwrap_or_else(|| sniff_format(&decoded));

    let blocks = match format {
        PolicyFormat::Html => html::blocks(&decoded),
        PolicyFormat::Markdown => markdown::blocks(&decoded),
        PolicyFormat::Text => text::blocks(&decoded),
    };
    let doc = assemble(source, format, blocks);
    if doc.sentences.is_empty() {
        return Err("the policy has no readable text".to_string());
    }
    Ok(doc)
}

/// Guess the format of decoded text that came without a telling extension.
fn sniff_format(text: &str) -> PolicyFormat {
    let head: String = text.chars().take(2048).collect::<String>().to_ascii_lowercase();
    if head.contains("<html") || head.contains("<!doctype html") || head.contains("<body") || head.contains("<p>") || head.contains("<div") {
        PolicyFormat::Html
    } else if head.lines().any(|l| l.starts_with("# ") || l.starts_with("## ")) {
        PolicyFormat::Markdown
    } else {
        PolicyFormat::Text
    }
}

/// A block of text found by a format reader, before offsets are assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub kind: BlockKind,
    pub text: String,
}

/// Short "headings" right after a lead-in sentence that ends in a colon
/// are the items it introduces: pages that set every line in `<h2>`
/// ("We may collect, with Your prior permission:" / "Information
/// regarding your location" / "Pictures ... from your Device's camera").
/// Numbered titles stay headings, and a real list ends the run.
fn items_after_lead_ins(mut blocks: Vec<Block>) -> Vec<Block> {
    let mut after_lead_in = false;
    for block in &mut blocks {
        let text = block.text.trim();
        let colon = text.ends_with([':', '\u{ff1a}']);
        let numbered = text::numbered_title(text).is_some() || text::cjk_enumerated(text);
        if block.kind == BlockKind::Heading && after_lead_in && !colon && !numbered {
            block.kind = BlockKind::ListItem;
            continue;
        }
        let words = text.split_whitespace().count().max(text.chars().filter(|&c| text::is_cjk(c)).count() / 2);
        after_lead_in = matches!(block.kind, BlockKind::Heading | BlockKind::Paragraph) && colon && words >= 6;
    }
    blocks
}

/// Join blocks into the normalized text and split each into sentences.
fn assemble(source: &str, format: PolicyFormat, blocks: Vec<Block>) -> PolicyDocument {
    let mut text = String::new();
    let mut sections = Vec::new();
    let mut sentences = Vec::new();
    let mut heading: Option<String> = None;
    // The language each section and sentence says clearly, if it does.
    let mut section_clear = Vec::new();
    let mut sentence_clear = Vec::new();
    for block in items_after_lead_ins(blocks.into_iter().flat_map(split_label).collect()) {
        let body = collapse_whitespace(&block.text);
        // Blocks of only punctuation or joiners ("|", "•", U+200D) say nothing.
        if !body.chars().any(char::is_alphanumeric) {
            continue;
        }
        // A "heading" that runs on (an unclosed <h1>, a bad guess) is text.
        let kind = if block.kind == BlockKind::Heading && body.len() > MAX_HEADING_BYTES {
            BlockKind::Paragraph
        } else {
            block.kind
        };
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let start = text.len();
        text.push_str(&body);
        let end = text.len();
        if kind == BlockKind::Heading {
            heading = Some(body.clone());
        }
        let index = sections.len();
        sections.push(Section { kind, start, end, heading: heading.clone(), language: detect_language(&body) });
        section_clear.push(language::clear_language(&body));
        for (s, e) in split_sentences(&body) {
            if !body[s..e].chars().any(char::is_alphanumeric) {
                continue;
            }
            sentences.push(Sentence {
                start: start + s,
                end: start + e,
                text: body[s..e].to_string(),
                section: index,
                heading: if kind == BlockKind::Heading { None } else { heading.clone() },
                language: detect_language(&body[s..e]),
            });
            sentence_clear.push(language::clear_language(&body[s..e]));
        }
    }
    // Text that does not say its language clearly ("3.", "Vivo SDK") takes
    // its block's, else the policy's main language.
    let main = policy_languages(sentences.iter().zip(&sentence_clear).filter_map(|(s, l)| l.map(|l| (l, s.text.len())))).0;
    for (section, clear) in sections.iter_mut().zip(&section_clear) {
        section.language = clear.unwrap_or(main);
    }
    for (sentence, clear) in sentences.iter_mut().zip(&sentence_clear) {
        sentence.language = clear.or(section_clear[sentence.section]).unwrap_or(main);
    }
    let (language, languages) = policy_languages(sentences.iter().map(|s| (s.language, s.text.len())));
    PolicyDocument { source: source.to_string(), format, text, sections, sentences, language, languages }
}

/// The main language of a policy (the one most of its sentence text, in
/// bytes, is in) and every language some sentence is in, main first, from
/// (language, bytes) pairs.
fn policy_languages(sentences: impl Iterator<Item = (Language, usize)>) -> (Language, Vec<Language>) {
    let mut bytes: Vec<(Language, usize)> = Vec::new();
    for (language, len) in sentences {
        match bytes.iter_mut().find(|(l, _)| *l == language) {
            Some((_, n)) => *n += len,
            None => bytes.push((language, len)),
        }
    }
    // Most text first; ties in order of the language's first sentence.
    bytes.sort_by(|a, b| b.1.cmp(&a.1));
    let languages: Vec<Language> = bytes.into_iter().map(|(l, _)| l).collect();
    (languages.first().copied().unwrap_or_default(), languages)
}

/// Longest label in 【...】 read as a heading (characters, brackets included).
const MAX_LABEL_CHARS: usize = 24;

/// A paragraph or list item that starts with a short bracketed label
/// ("【特别提示】本政策仅适用于…") becomes a heading (the label) and the
/// rest of the block.
fn split_label(block: Block) -> Vec<Block> {
    if !matches!(block.kind, BlockKind::Paragraph | BlockKind::ListItem) {
        return vec![block];
    }
    let trimmed = block.text.trim_start();
    let Some(inner) = trimmed.strip_prefix('【') else {
        return vec![block];
    };
    let Some(close) = inner.char_indices().take(MAX_LABEL_CHARS).find(|&(_, c)| c == '】' || c == '【').map(|(i, _)| i) else {
        return vec![block];
    };
    let label_text = &inner[..close];
    if !inner[close..].starts_with('】')
        || !label_text.chars().any(char::is_alphanumeric)
        // "【姓名、性别、电话号码】等信息" is a list, not a label.
        || label_text.contains(['。', '！', '？', '；', '、', '，', ',', '\n', '\u{2028}'])
    {
        return vec![block];
    }
    let label_end = trimmed.len() - inner.len() + close + '】'.len_utf8();
    let label = Block { kind: BlockKind::Heading, text: trimmed[..label_end].to_string() };
    let rest = trimmed[label_end..].trim_start_matches([' ', '：', ':', '\u{3000}']);
    if rest.trim().is_empty() {
        return vec![label];
    }
    vec![label, Block { kind: block.kind, text: rest.to_string() }]
}

/// Longest heading kept as a heading (bytes of normalized text).
const MAX_HEADING_BYTES: usize = 300;

/// Collapse runs of whitespace (including newlines) into single spaces and
/// trim. Control characters and U+FFFD count as whitespace; invisible format
/// characters (zero-width space, soft hyphen, BOM) are dropped.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        // U+FFFD mostly stands for a mis-decoded no-break space.
        if c.is_whitespace() || c.is_control() || c == '\u{FFFD}' {
            pending_space = true;
        } else if matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}') {
            continue;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}
