//! Markdown reader (pulldown-cmark, CommonMark plus tables): headings,
//! paragraphs, list items and table rows become blocks; inline code and
//! link text are kept; image alt text, footnote markers and YAML front
//! matter are dropped; raw HTML blocks are read with the HTML reader (so
//! their tags are stripped and their text kept).
//!
//! A paragraph that is all bold or italic and reads like a heading
//! ("**Information We Collect**") becomes a heading. Lines of a paragraph
//! written one sentence per line without final periods are split where the
//! next line clearly starts a new sentence (see
//! [`super::text::split_soft_lines`]).

use super::text::{looks_like_heading, split_soft_lines, LINE_BREAK};
use super::{Block, BlockKind};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Heading,
    Item,
    Code,
}

#[derive(Default)]
struct Reader {
    out: Vec<Block>,
    buf: String,
    contexts: Vec<Context>,
    /// Cells of the table row being read, when inside one.
    row: Option<Vec<String>>,
    /// Raw HTML of the HTML block being read, when inside one.
    html: Option<String>,
    /// Depth of images (their alt text is not policy text).
    image: usize,
    /// Depth of emphasis and strong emphasis.
    emphasis: usize,
    /// Whether the paragraph has text outside emphasis.
    plain_text: bool,
    /// Whether a metadata block (front matter) is open.
    metadata: bool,
    /// Whether an inline `<script>` or `<style>` element is open.
    raw_text: bool,
}

/// Split Markdown into blocks.
pub(crate) fn blocks(s: &str) -> Vec<Block> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut reader = Reader::default();
    for event in Parser::new_ext(s, options) {
        reader.event(event);
    }
    if let Some(raw) = reader.html.take() {
        reader.out.extend(super::html::blocks(&raw));
    }
    reader.flush();
    reader.out
}

impl Reader {
    fn event(&mut self, event: Event<'_>) {
        if let Some(html) = self.html.as_mut() {
            match event {
                Event::Html(raw) | Event::InlineHtml(raw) | Event::Text(raw) => {
                    html.push_str(&raw);
                    return;
                }
                Event::End(TagEnd::HtmlBlock) => {
                    let raw = std::mem::take(html);
                    self.html = None;
                    for block in super::html::blocks(&raw) {
                        self.out.push(block);
                    }
                    return;
                }
                _ => {}
            }
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::Code(text) => self.push_text(&text),
            Event::InlineMath(text) | Event::DisplayMath(text) => self.push_text(&text),
            Event::Html(raw) | Event::InlineHtml(raw) => {
                // Inline tags are dropped; a <br> is a line break; the text
                // of inline <script>/<style> elements is skipped.
                let lower = raw.trim().to_ascii_lowercase();
                if lower.starts_with("<br") {
                    self.buf.push(LINE_BREAK);
                } else if lower.starts_with("<script") || lower.starts_with("<style") {
                    self.raw_text = !lower.contains("</script") && !lower.contains("</style") && !lower.ends_with("/>");
                } else if lower.starts_with("</script") || lower.starts_with("</style") {
                    self.raw_text = false;
                }
            }
            Event::SoftBreak => self.buf.push(LINE_BREAK),
            Event::HardBreak => self.buf.push(LINE_BREAK),
            Event::Rule => self.flush(),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    fn push_text(&mut self, text: &str) {
        if self.image > 0 || self.metadata || self.raw_text {
            return;
        }
        if self.emphasis == 0 && !text.trim().is_empty() {
            self.plain_text = true;
        }
        self.buf.push_str(text);
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { .. } => {
                self.flush();
                self.contexts.push(Context::Heading);
            }
            Tag::Item => {
                self.flush();
                self.contexts.push(Context::Item);
            }
            Tag::CodeBlock(_) => {
                self.flush();
                self.contexts.push(Context::Code);
            }
            Tag::HtmlBlock => {
                self.flush();
                self.html = Some(String::new());
            }
            Tag::TableHead | Tag::TableRow => {
                self.flush();
                self.row = Some(Vec::new());
            }
            Tag::TableCell => self.buf.clear(),
            Tag::Image { .. } => self.image += 1,
            Tag::Emphasis | Tag::Strong | Tag::Strikethrough => self.emphasis += 1,
            Tag::MetadataBlock(_) => self.metadata = true,
            Tag::Link { .. } => {}
            Tag::Paragraph
            | Tag::BlockQuote(_)
            | Tag::List(_)
            | Tag::FootnoteDefinition(_)
            | Tag::Table(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition => self.flush(),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                self.flush();
                self.pop(Context::Heading);
            }
            TagEnd::Item => {
                self.flush();
                self.pop(Context::Item);
            }
            TagEnd::CodeBlock => {
                self.flush();
                self.pop(Context::Code);
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.buf);
                if let Some(row) = self.row.as_mut() {
                    row.push(cell.trim().to_string());
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if let Some(cells) = self.row.take() {
                    let text = cells.into_iter().filter(|c| !c.is_empty()).collect::<Vec<_>>().join(" | ");
                    if !text.is_empty() {
                        self.out.push(Block { kind: BlockKind::TableRow, text });
                    }
                }
                self.buf.clear();
            }
            TagEnd::Image => self.image = self.image.saturating_sub(1),
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.emphasis = self.emphasis.saturating_sub(1),
            TagEnd::MetadataBlock(_) => {
                self.metadata = false;
                self.buf.clear();
            }
            TagEnd::Link | TagEnd::HtmlBlock => {}
            TagEnd::Paragraph
            | TagEnd::BlockQuote(_)
            | TagEnd::List(_)
            | TagEnd::FootnoteDefinition
            | TagEnd::Table
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition => self.flush(),
        }
    }

    fn pop(&mut self, context: Context) {
        if let Some(pos) = self.contexts.iter().rposition(|&c| c == context) {
            self.contexts.remove(pos);
        }
    }

    fn flush(&mut self) {
        // Inline elements never span blocks.
        self.raw_text = false;
        let plain_text = std::mem::replace(&mut self.plain_text, false);
        if self.row.is_some() {
            return; // cell text is collected by the row
        }
        if self.buf.trim().is_empty() {
            self.buf.clear();
            return;
        }
        let text = std::mem::take(&mut self.buf);
        let kind = self.contexts.iter().rev().find_map(|c| match c {
            Context::Heading => Some(BlockKind::Heading),
            Context::Item => Some(BlockKind::ListItem),
            Context::Code => None,
        });
        if self.contexts.last() == Some(&Context::Code) {
            self.out.extend(super::text::blocks(&text));
            return;
        }
        match kind {
            Some(kind) => self.out.push(Block { kind, text }),
            None => {
                let one_line = !text.trim().contains(LINE_BREAK);
                if !plain_text && one_line && looks_like_heading(text.trim()) {
                    self.out.push(Block { kind: BlockKind::Heading, text });
                } else {
                    self.out.extend(split_soft_lines(&text, LINE_BREAK));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(BlockKind, String)> {
        blocks(s).into_iter().map(|b| (b.kind, b.text.split_whitespace().collect::<Vec<_>>().join(" "))).collect()
    }

    #[test]
    fn structure() {
        let md = "---\ntitle: x\n---\n\n# Privacy\n\nWe use `Firebase` and [Google Analytics](https://x.y/).<script>bad()</script>\n\n**What We Collect**\n\n- email\n  - hashed\n- phone\n\n| Data | Why |\n|---|---|\n| email | login |\n\n<div align=\"center\"><b>HTML</b> block text</div>\n\n![logo](x.png)\n";
        use BlockKind::*;
        assert_eq!(kinds(md), vec![
            (Heading, "Privacy".to_string()),
            (Paragraph, "We use Firebase and Google Analytics.".to_string()),
            (Heading, "What We Collect".to_string()),
            (ListItem, "email".to_string()),
            (ListItem, "hashed".to_string()),
            (ListItem, "phone".to_string()),
            (TableRow, "Data | Why".to_string()),
            (TableRow, "email | login".to_string()),
            (Paragraph, "HTML block text".to_string()),
        ]);
    }

    #[test]
    fn many_html_blocks_are_fast() {
        let md = "<div align=\"center\">We collect <b>nothing</b>.</div>\n\nSome text.\n\n".repeat(20_000);
        let started = std::time::Instant::now();
        let got = blocks(&md);
        assert_eq!(got.len(), 40_000);
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn one_sentence_per_line_without_periods() {
        let md = "This app was made by Jane Doe\nThe source code is on GitHub\nWe use Firebase\nCrashlytics for crashes";
        let got = kinds(md);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[2].1, "We use Firebase Crashlytics for crashes");
    }
}
