//! HTML reader: parses with `scraper` (html5ever) and walks the DOM without
//! recursion, turning headings, paragraphs, list items, table rows and loose
//! text into blocks.
//!
//! Dropped: `head`, scripts, styles, `noscript`, `nav`, `footer`,
//! `[role=navigation|contentinfo|banner|menubar|search]`, menus marked up
//! by id or class (`#nav`, `.navbar`, `.breadcrumb` ...), cookie-consent
//! banners (OneTrust, Cookiebot ...), icon-font ligatures, SVG/MathML,
//! templates, dialogs, embedded objects, images and form controls. `<br><br>` and the OPP-115 segment
//! separator `|||` break a block. Table rows become one block with the cells
//! joined by " | ", unless the row is page layout (it holds a nested table or
//! a heading, or a lot of text), in which case its content is read as
//! ordinary blocks. `<pre>` content is read like a plain-text file.
//!
//! Heading markup around a bullet item or a sentence ("- Email address",
//! "We use it to run the app.") gives a list item or a paragraph.
//! Loose paragraph text that is short and heading-like (see
//! [`super::text::looks_like_heading`]) becomes a heading, and paragraph text
//! that starts with a bullet ("- ", "• ") becomes a list item: sanitized
//! policies such as OPP-115 keep only `<br>` and text.

use super::text::{looks_like_heading, split_soft_lines, strip_bullet, LINE_BREAK};
use super::{Block, BlockKind};
use scraper::{Html, Node};

/// A table row with more text than this is read as layout, not data.
const MAX_DATA_ROW_BYTES: usize = 3000;
/// Nesting depth beyond which tags are dropped before parsing (their text is kept).
const MAX_TAG_DEPTH: usize = 256;

/// Split an HTML document into blocks.
pub(crate) fn blocks(s: &str) -> Vec<Block> {
    let prepared = prepare(s, MAX_TAG_DEPTH);
    let source = prepared.as_deref().unwrap_or(s);
    let document = Html::parse_document(source);
    let mut walker = Walker::default();
    // (node, entered): an explicit stack instead of recursion, so any depth is safe.
    let mut stack = vec![(document.tree.root(), false)];
    while let Some((node, entered)) = stack.pop() {
        if entered {
            if let Node::Element(element) = node.value() {
                walker.close(element.name());
            }
            continue;
        }
        match node.value() {
            Node::Text(text) => walker.text(text),
            Node::Element(element) => {
                if is_dropped(element) {
                    continue;
                }
                walker.open(element.name());
                stack.push((node, true));
                stack.extend(node.children().rev().map(|child| (child, false)));
            }
            Node::Document | Node::Fragment => {
                stack.extend(node.children().rev().map(|child| (child, false)));
            }
            _ => {}
        }
    }
    walker.finish()
}

/// Elements whose whole subtree is chrome, code or controls.
fn is_dropped(element: &scraper::node::Element) -> bool {
    const DROPPED: &[&str] = &[
        "head", "script", "style", "noscript", "nav", "footer", "svg", "math", "template", "iframe", "frame",
        "frameset", "object", "embed", "applet", "canvas", "audio", "video", "map", "button", "select", "option",
        "optgroup", "input", "textarea", "datalist", "label", "output", "progress", "meter", "title", "meta", "link",
        "base", "img", "picture", "source", "track", "area", "param", "dialog",
    ];
    if DROPPED.contains(&element.name()) {
        return true;
    }
    if let Some(role) = element.attr("role") {
        let role = role.trim().to_ascii_lowercase();
        if matches!(role.as_str(), "navigation" | "contentinfo" | "banner" | "menubar" | "search") {
            return true;
        }
    }
    // Menus that are not marked up as <nav>: an id or class that is exactly
    // a navigation name ("nav", "navbar", "breadcrumb" ...).
    const NAV_NAMES: &[&str] =
        &["nav", "navbar", "navigation", "menu", "menubar", "main-menu", "main-nav", "site-nav", "breadcrumb", "breadcrumbs", "skip-link"];
    // Cookie-consent banners and preference centres injected by consent
    // SDKs, and icon-font ligatures ("expand_more").
    const CHROME_IDS: &[&str] = &[
        "onetrust-consent-sdk", "onetrust-banner-sdk", "onetrust-pc-sdk", "cybotcookiebotdialog", "usercentrics-root",
        "didomi-host", "truste-consent-track", "cookie-banner", "cookie-notice", "cookie-law-info-bar",
        "wt-cli-cookie-banner", "cookie-consent-banner",
    ];
    const CHROME_CLASSES: &[&str] = &[
        "osano-cm-window", "cc-window", "cookie-banner", "cookie-notice", "cookie-consent-banner", "material-icons",
        "material-icons-outlined", "material-symbols-outlined", "google-material-icons", "screen-reader-shortcut",
    ];
    let is_nav_name = |value: &str| NAV_NAMES.iter().any(|name| value.eq_ignore_ascii_case(name));
    let is_chrome_class = |value: &str| is_nav_name(value) || CHROME_CLASSES.iter().any(|name| value.eq_ignore_ascii_case(name));
    element.attr("id").is_some_and(|id| {
        let id = id.trim();
        is_nav_name(id) || CHROME_IDS.iter().any(|name| id.eq_ignore_ascii_case(name))
    }) || element.attr("class").is_some_and(|class| class.split_whitespace().any(is_chrome_class))
}

/// Page chrome that survives as loose text: "Back to top" links and the like.
fn is_chrome_text(text: &str) -> bool {
    const PHRASES: &[&str] = &[
        "back to top", "return to top", "top of page", "scroll to top", "go to top", "skip to content",
        "skip to main content", "skip to navigation", "print", "print this page", "share", "expand_more",
        "expand_less", "close",
    ];
    let text = text.trim().trim_end_matches(['.', '↑', '^', '▲']).trim();
    text.len() <= 24 && PHRASES.iter().any(|p| text.eq_ignore_ascii_case(p))
}

/// Elements that start and end a block.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "form"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "legend"
            | "li"
            | "main"
            | "menu"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "tfoot"
            | "thead"
            | "tr"
            | "ul"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Heading,
    Item,
    Pre,
    Row,
}

fn context_of(name: &str) -> Option<Context> {
    match name {
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Some(Context::Heading),
        "li" | "dt" | "dd" => Some(Context::Item),
        "pre" | "xmp" | "listing" | "plaintext" => Some(Context::Pre),
        "tr" => Some(Context::Row),
        _ => None,
    }
}

/// A table row being read: its text pieces with the cell each came from.
#[derive(Default)]
struct Row {
    pieces: Vec<(usize, Block)>,
    cell: usize,
    bytes: usize,
    layout: bool,
}

#[derive(Default)]
struct Walker {
    out: Vec<Block>,
    /// Inline text of the block being read.
    buf: String,
    /// `buf.len()` just after the last `<br>`, if nothing was flushed since.
    after_br: Option<usize>,
    contexts: Vec<Context>,
    rows: Vec<Row>,
}

impl Walker {
    fn open(&mut self, name: &str) {
        match name {
            "br" => return self.line_break(),
            "td" | "th" => {
                if !self.rows.is_empty() {
                    self.flush();
                    if let Some(row) = self.rows.last_mut() {
                        row.cell += 1;
                    }
                }
                return;
            }
            "wbr" => return,
            _ => {}
        }
        if is_block(name) || context_of(name).is_some() {
            self.flush();
        }
        if let Some(context) = context_of(name) {
            if context == Context::Heading {
                if let Some(row) = self.rows.last_mut() {
                    row.layout = true;
                }
            }
            if context == Context::Row {
                self.rows.push(Row::default());
            }
            self.contexts.push(context);
        }
    }

    fn close(&mut self, name: &str) {
        if matches!(name, "td" | "th") {
            if !self.rows.is_empty() {
                self.flush();
            }
            return;
        }
        if is_block(name) || context_of(name).is_some() {
            self.flush();
        }
        if let Some(context) = context_of(name) {
            if let Some(pos) = self.contexts.iter().rposition(|&c| c == context) {
                self.contexts.remove(pos);
            }
            if context == Context::Row {
                self.end_row();
            }
        }
    }

    fn text(&mut self, text: &str) {
        if !text.contains("|||") {
            self.buf.push_str(text);
            return;
        }
        for (i, part) in text.split("|||").enumerate() {
            if i > 0 {
                self.flush();
            }
            self.buf.push_str(part);
        }
    }

    /// `<br>`: a line break, and a block break when it follows another `<br>`.
    fn line_break(&mut self) {
        if let Some(mark) = self.after_br {
            if self.buf.get(mark..).is_some_and(|rest| rest.trim().is_empty()) {
                self.flush();
                return;
            }
        }
        self.buf.push(if self.in_pre() { '\n' } else { LINE_BREAK });
        self.after_br = Some(self.buf.len());
    }

    /// The kind of block the text being read belongs to.
    fn kind(&self) -> BlockKind {
        for context in self.contexts.iter().rev() {
            match context {
                Context::Heading => return BlockKind::Heading,
                Context::Item => return BlockKind::ListItem,
                Context::Row => break,
                Context::Pre => {}
            }
        }
        BlockKind::Paragraph
    }

    /// End the block being read.
    fn flush(&mut self) {
        self.after_br = None;
        if self.buf.trim().is_empty() {
            self.buf.clear();
            return;
        }
        let text = std::mem::take(&mut self.buf);
        if self.in_pre() {
            for block in super::text::blocks(&text) {
                self.emit(block);
            }
            return;
        }
        let kind = self.kind();
        if kind == BlockKind::Paragraph {
            for block in split_soft_lines(&text, LINE_BREAK) {
                if let Some(block) = classify_loose(block) {
                    self.emit(block);
                }
            }
        } else if !is_chrome_text(&text) {
            self.emit(marked_heading(Block { kind, text }));
        }
    }

    /// Whether the text being read is inside `<pre>` (and not in a table row within it).
    fn in_pre(&self) -> bool {
        self.contexts.iter().rev().take_while(|&&c| c != Context::Row).any(|&c| c == Context::Pre)
    }

    fn emit(&mut self, block: Block) {
        match self.rows.last_mut() {
            Some(row) => {
                row.bytes += block.text.len();
                row.pieces.push((row.cell, block));
            }
            None => self.out.push(block),
        }
    }

    /// Close the innermost table row: one TableRow block, or its pieces
    /// when the row is layout.
    fn end_row(&mut self) {
        let Some(row) = self.rows.pop() else { return };
        if let Some(parent) = self.rows.last_mut() {
            parent.layout = true;
        }
        if row.layout || row.bytes > MAX_DATA_ROW_BYTES {
            for (_, block) in row.pieces {
                self.emit(block);
            }
            return;
        }
        let mut text = String::with_capacity(row.bytes + row.pieces.len() * 3);
        let mut last: Option<(usize, BlockKind)> = None;
        for (cell, block) in row.pieces {
            if let Some((last_cell, last_kind)) = last {
                if last_cell != cell {
                    text.push_str(" | ");
                } else if text.ends_with(['.', ';', ':', '!', '?', ',']) {
                    text.push(' ');
                } else if last_kind == BlockKind::ListItem || block.kind == BlockKind::ListItem {
                    text.push_str("; ");
                } else {
                    text.push(' ');
                }
            }
            text.push_str(block.text.trim());
            last = Some((cell, block.kind));
        }
        if !text.is_empty() {
            self.emit(Block { kind: BlockKind::TableRow, text });
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush();
        while !self.rows.is_empty() {
            self.end_row();
        }
        self.out
    }
}

/// Paragraph text that is really a bullet item or a heading.
fn classify_loose(block: Block) -> Option<Block> {
    if is_chrome_text(&block.text) {
        return None;
    }
    if block.kind != BlockKind::Paragraph {
        return Some(block);
    }
    let trimmed = block.text.trim();
    if let Some(rest) = strip_bullet(trimmed) {
        return Some(Block { kind: BlockKind::ListItem, text: rest.to_string() });
    }
    if trimmed.len() <= 400 && looks_like_heading(&collapse(trimmed)) {
        return Some(Block { kind: BlockKind::Heading, text: block.text });
    }
    Some(block)
}

/// Text marked up as a heading that is really a list item or a sentence:
/// pages that set their whole body in `<h2>` tags ("- Email address",
/// "We use it to run the app.") keep the kind of what the text is.
fn marked_heading(block: Block) -> Block {
    if block.kind != BlockKind::Heading {
        return block;
    }
    let text = collapse(&block.text);
    if let Some(rest) = strip_bullet(&text) {
        return Block { kind: BlockKind::ListItem, text: rest.to_string() };
    }
    let sentence = text.ends_with(['.', '!', ';', '。', '！', '；']) && text.split_whitespace().count() >= 5;
    if sentence && !looks_like_heading(&text) {
        return Block { kind: BlockKind::Paragraph, text: block.text };
    }
    block
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rewrite `s` so that html5ever's worst cases cannot happen: tags nested
/// deeper than `limit` are removed, and so are all tags of the "formatting"
/// elements (`a`, `b`, `i`, `font` ...); their text stays. `None` when
/// nothing had to be removed.
///
/// html5ever's scope checks walk the stack of open elements (quadratic on
/// deep nesting), and misnested or unclosed formatting elements are
/// re-opened for every later paragraph (quadratic output). The walker does
/// not use formatting elements, so dropping them loses nothing. This pass
/// is a rough tokenizer: it knows comments, quoted attribute values, void
/// elements, elements with optional end tags and raw-text elements, which
/// is enough to bound the depth. It is linear in the input.
fn prepare(s: &str, limit: usize) -> Option<String> {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
        "!doctype", "keygen",
    ];
    const OPTIONAL_END: &[&str] = &[
        "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "colgroup", "rb",
        "rt", "rp", "rtc", "html", "head", "body",
    ];
    const FORMATTING: &[&str] =
        &["a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"];
    const RAW: &[&str] = &["script", "style", "textarea", "title", "xmp", "noscript", "plaintext", "iframe", "noembed", "noframes"];
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    // (start, end, whether a space should stand in for the tag)
    let mut drops: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = 0usize;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        let start = i + off;
        i = start + 1;
        let rest = &s[start..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            i = match comment.find("-->") {
                Some(p) => start + 4 + p + 3,
                None => s.len(),
            };
            continue;
        }
        let closing = rest[1..].starts_with('/');
        let name_start = start + 1 + usize::from(closing);
        let name_len = s[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '!' || c == '-' || c == ':'))
            .unwrap_or(s.len() - name_start);
        if name_len == 0 || !s[name_start..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '!') {
            continue;
        }
        let name = s[name_start..name_start + name_len].to_ascii_lowercase();
        let tag_end = tag_end(bytes, name_start + name_len);
        i = tag_end;
        let name = name.as_str();
        if FORMATTING.contains(&name) {
            drops.push((start, tag_end, false));
            continue;
        }
        if OPTIONAL_END.contains(&name) || VOID.contains(&name) || name.starts_with('!') {
            // Closed implicitly by the parser: no depth.
            continue;
        }
        if closing {
            if depth > limit {
                drops.push((start, tag_end, true));
            }
            depth = depth.saturating_sub(1);
            continue;
        }
        if s[start..tag_end].ends_with("/>") {
            continue;
        }
        depth += 1;
        if depth > limit {
            drops.push((start, tag_end, true));
        }
        if RAW.contains(&name) {
            // Skip the raw text up to the matching end tag.
            let close = format!("</{name}");
            i = match find_ascii_ci(&s[tag_end..], &close) {
                Some(p) => tag_end + p,
                None => s.len(),
            };
        }
    }
    if drops.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0usize;
    for (a, b, space) in drops {
        if a >= at {
            out.push_str(&s[at..a]);
            // Keep words apart where a dropped block tag stood between them.
            if space && !out.ends_with(char::is_whitespace) {
                out.push(' ');
            }
            at = b;
        }
    }
    out.push_str(&s[at.min(s.len())..]);
    Some(out)
}

/// Where the tag whose attributes start at `from` ends (after its `>`),
/// skipping `>` inside quoted attribute values.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut after_equals = false;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'>' => return i + 1,
                b'"' | b'\'' if after_equals => quote = Some(b),
                b'=' => {
                    after_equals = true;
                    i += 1;
                    continue;
                }
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0C' if after_equals => {
                    i += 1;
                    continue;
                }
                _ => {}
            },
        }
        after_equals = false;
        i += 1;
    }
    bytes.len()
}

/// Case-insensitive ASCII find.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(BlockKind, String)> {
        blocks(s).into_iter().map(|b| (b.kind, collapse(&b.text))).collect()
    }

    #[test]
    fn structure() {
        let html = r#"<html><head><title>T</title><style>p{}</style></head><body>
            <nav><a>Home</a></nav><header role="navigation">Menu</header>
            <h1>Privacy Policy</h1>
            <p>We collect your <b>e-mail</b> &amp; name.</p>
            <ul><li>Location<ul><li>precise</li></ul></li><li>Contacts</li></ul>
            <table><tr><th>Data</th><th>Purpose</th></tr><tr><td>Email</td><td><ul><li>login</li><li>support</li></ul></td></tr></table>
            <div>Loose text in a div.<br>Second line.</div>
            <script>var secret = 1;</script><footer>Copyright</footer>
            <form><input value="x"><button>Send</button></form>
            </body></html>"#;
        use BlockKind::*;
        assert_eq!(kinds(html), vec![
            (Heading, "Privacy Policy".to_string()),
            (Paragraph, "We collect your e-mail & name.".to_string()),
            (ListItem, "Location".to_string()),
            (ListItem, "precise".to_string()),
            (ListItem, "Contacts".to_string()),
            (TableRow, "Data | Purpose".to_string()),
            (TableRow, "Email | login; support".to_string()),
            (Paragraph, "Loose text in a div. Second line.".to_string()),
        ]);
    }

    #[test]
    fn heading_markup_around_items_and_sentences() {
        let html = "<h3>5. What personal information do we collect</h3><h2>Personally identifiable information may include:</h2><h2>- Email address</h2><h2>Usage Data is collected automatically when using the Service.</h2><h2>1. Information We Collect.</h2>";
        use BlockKind::*;
        assert_eq!(kinds(html), vec![
            (Heading, "5. What personal information do we collect".to_string()),
            (Heading, "Personally identifiable information may include:".to_string()),
            (ListItem, "Email address".to_string()),
            (Paragraph, "Usage Data is collected automatically when using the Service.".to_string()),
            (Heading, "1. Information We Collect.".to_string()),
        ]);
    }

    #[test]
    fn opp115_segments() {
        let html = "Privacy Policy <br> <br> We are committed to privacy. <br> <br>|||Information We May Collect <br> <br> We may collect: <br> <br> - forms you fill in; <br> <br>|||- records of contact; <br> <br>";
        use BlockKind::*;
        assert_eq!(kinds(html), vec![
            (Heading, "Privacy Policy".to_string()),
            (Paragraph, "We are committed to privacy.".to_string()),
            (Heading, "Information We May Collect".to_string()),
            (Heading, "We may collect:".to_string()),
            (ListItem, "forms you fill in;".to_string()),
            (ListItem, "records of contact;".to_string()),
        ]);
    }

    #[test]
    fn layout_tables_are_read_as_flow() {
        let html = "<table><tr><td><h2>Cookies</h2><p>We use cookies.</p></td><td><table><tr><td>a</td><td>b</td></tr></table></td></tr></table>";
        use BlockKind::*;
        assert_eq!(kinds(html), vec![
            (Heading, "Cookies".to_string()),
            (Paragraph, "We use cookies.".to_string()),
            (TableRow, "a | b".to_string()),
        ]);
    }

    #[test]
    fn pre_is_plain_text() {
        let got = kinds("<pre>INTRODUCTION\nWe collect data.\n\n- email\n- phone</pre>");
        assert_eq!(got[0].0, BlockKind::Heading);
        assert_eq!(got[2], (BlockKind::ListItem, "email".to_string()));
    }

    #[test]
    fn prepare_drops_formatting_and_deep_tags() {
        assert_eq!(prepare("<p>We <b>do</b> <a href='x>y'>not</a> sell.</p>", 256).as_deref(), Some("<p>We do not sell.</p>"));
        assert_eq!(prepare("<div><p>fine</p></div>", 256), None);
        let deep = format!("{}x{}", "<div>".repeat(300), "</div>".repeat(300));
        let got = prepare(&deep, 256).unwrap_or_default();
        assert_eq!(got.matches("<div>").count(), 256);
        assert_eq!(got.matches("</div>").count(), 256);
        // Script text is not read as tags.
        assert_eq!(prepare("<script>if (a<b) {}</script><b>x</b>", 256).as_deref(), Some("<script>if (a<b) {}</script>x"));
    }

    #[test]
    fn unclosed_formatting_is_not_amplified() {
        let mut html = String::new();
        for i in 0..200 {
            html.push_str(&format!("<b id=\"{i}\"><i class=\"c{i}\">"));
        }
        html.push_str(&"<p>We collect data.".repeat(20_000));
        let started = std::time::Instant::now();
        let got = blocks(&html);
        assert_eq!(got.len(), 20_000);
        assert!(started.elapsed().as_secs() < 20);
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let n = 100_000;
        let html = format!("{}<p>deep text.</p>{}", "<div>".repeat(n), "</div>".repeat(n));
        let got = kinds(&html);
        assert_eq!(got, vec![(BlockKind::Paragraph, "deep text.".to_string())]);
    }
}
