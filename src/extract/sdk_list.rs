//! SDK lists: the third-party SDK list a policy carries (第三方SDK共享清单,
//! "third-party SDKs we use"), read into one row per SDK and turned into
//! practices.
//!
//! A list comes in one of these shapes, all kept by ingest as blocks:
//! a table (HTML, Markdown; each row a [`BlockKind::TableRow`] block, cells
//! joined by ` | `) whose header names an SDK column and a provider, purpose
//! or data column; or labelled fields (`SDK名称：…`, `提供方：…`,
//! `收集个人信息类型：…`, `SDK name: …`, `Provider: …`), all in one block or
//! one field per block, a record starting at each name field (or, when a
//! record has no name field, taking the short block just before it as the
//! name). The field labels and header words are data in
//! `ontology/sdk_list.json`.
//!
//! Each row becomes practices: the actor is the SDK's organization (from
//! the SDK signatures by name, else an organization named in the provider
//! text, else the provider text itself as an unknown organization), the
//! action is `collect` (and `share` where the row or the list's heading
//! says the data is shared), one practice per data type found in the row's
//! data field (the whole row when it has none), with the row as evidence
//! and the SDK name in [`Practice::sdk`]. A row whose data names no known
//! type gives one practice about personal information in general, without
//! a data phrase.

use super::{Action, Actor, Evidence, Practice};
use crate::ontology::{EntityMention, EntityOntology, Ontologies};
use crate::policy::{BlockKind, Language, PolicyDocument};
use serde::Deserialize;

/// The header words and field labels, as JSON.
pub const SDK_LIST_JSON: &str = include_str!("../../ontology/sdk_list.json");

/// What a column or field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Provider,
    Purpose,
    Data,
    Link,
}

/// The words that name each field.
#[derive(Debug, Clone, Deserialize)]
pub struct SdkListWords {
    /// (field, words) in the order tried: a table header cell that
    /// contains a word (compared without case or spaces) holds that field.
    pub headers: Vec<(Field, Vec<String>)>,
    /// (field, labels): a field label that is exactly one of the labels
    /// (without case, spaces or a leading enumerator) holds that field.
    pub labels: Vec<(Field, Vec<String>)>,
    /// Words that say the data is shared (共享, shared with).
    pub share_words: Vec<String>,
    /// Most characters a header cell may have (longer text is not a header).
    pub max_header_chars: usize,
}

impl SdkListWords {
    /// The shipped words (checked by a test).
    pub fn shipped() -> crate::Result<&'static SdkListWords> {
        use std::sync::OnceLock;
        static CELL: OnceLock<Result<SdkListWords, String>> = OnceLock::new();
        match CELL.get_or_init(|| serde_json::from_str(SDK_LIST_JSON).map_err(|e| format!("ontology/sdk_list.json: {e}"))) {
            Ok(w) => Ok(w),
            Err(e) => Err(crate::Error::Data(e.clone())),
        }
    }

    /// The field a table header cell names, if any.
    fn header_field(&self, cell: &str) -> Option<Field> {
        let l = squash(cell);
        if l.is_empty() || l.chars().count() > self.max_header_chars {
            return None;
        }
        self.headers.iter().find(|(_, words)| words.iter().any(|w| l.contains(&squash(w)))).map(|(f, _)| *f)
    }

    /// The field a label (the text before a colon) names, if any.
    fn label_field(&self, label: &str) -> Option<Field> {
        let l = squash(label);
        let l = l.trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '.' | '、' | '-' | '•' | '·') || ('①'..='⑳').contains(&c)
        });
        if l.is_empty() {
            return None;
        }
        self.labels.iter().find(|(_, words)| words.iter().any(|w| squash(w) == l)).map(|(f, _)| *f)
    }

    /// The most characters a label has.
    fn max_label_chars(&self) -> usize {
        self.labels.iter().flat_map(|(_, w)| w.iter().map(|x| x.chars().count())).max().unwrap_or(0) + 6
    }
}

/// One row of a policy's SDK list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkListRow {
    /// The SDK's name as the policy writes it.
    pub name: String,
    pub provider: Option<String>,
    pub purpose: Option<String>,
    pub data: Option<String>,
    pub link: Option<String>,
    /// The row (or its heading) says the data is shared.
    pub share: bool,
    /// Byte range of the row in [`PolicyDocument::text`].
    pub start: usize,
    pub end: usize,
    pub language: Language,
}

/// A table row from its cells by field (`get` gives a field's text), when
/// it names an SDK; `share` says whether the row or what leads to it speaks
/// of sharing.
fn table_row(
    get: impl Fn(Field) -> Option<String>,
    share: impl FnOnce() -> bool,
    start: usize,
    end: usize,
    language: Language,
) -> Option<SdkListRow> {
    let name = get(Field::Name).and_then(|n| clean_name(&n))?;
    Some(SdkListRow {
        name,
        provider: get(Field::Provider),
        purpose: get(Field::Purpose),
        data: get(Field::Data),
        link: get(Field::Link),
        share: share(),
        start,
        end,
        language,
    })
}

/// Most rows read from one policy (a list longer than this is cut).
pub const MAX_ROWS: usize = 500;

/// Lower case without spaces or the punctuation around labels.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '*' | '#' | '：' | ':' | '（' | '）' | '(' | ')' | '【' | '】' | '[' | ']')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Read a policy's SDK list: every table whose header names an SDK column
/// and at least one other field, and every record of labelled fields with
/// a name and at least one other field. Rows come in document order.
pub fn read_sdk_list(doc: &PolicyDocument) -> crate::Result<Vec<SdkListRow>> {
    let words = SdkListWords::shipped()?;
    let mut rows = read_tables(doc, words);
    rows.extend(read_field_records(doc, words));
    rows.sort_by_key(|r| r.start);
    rows.dedup_by(|a, b| a.start < b.end && b.start < a.end);
    rows.truncate(MAX_ROWS);
    Ok(rows)
}

fn share_in(text: &str, words: &SdkListWords) -> bool {
    let l = text.to_lowercase();
    words.share_words.iter().any(|w| l.contains(&w.to_lowercase()))
}

/// A row's SDK name without a leading bullet or enumerator ("Ø", "•",
/// "1、", "（2）").
fn clean_name(s: &str) -> Option<String> {
    let mut t = s.trim();
    loop {
        let before = t;
        t = t.trim_start_matches(|c: char| !c.is_alphanumeric() && !matches!(c, '（' | '('));
        t = t.trim_start_matches(|c: char| ('①'..='⑳').contains(&c));
        // Word's symbol-font bullets, mis-decoded ("Ø阿里云…SDK").
        let mut cs = t.chars();
        if let (Some('Ø' | 'ü' | '§' | '\u{F0D8}' | '\u{F0B7}'), Some(next)) = (cs.next(), cs.next()) {
            if ('\u{4e00}'..='\u{9fff}').contains(&next) {
                t = &t[t.chars().next().map_or(0, char::len_utf8)..];
            }
        }
        // "1、", "2." and "3)" enumerate; "360加固" is a name.
        let digits = t.trim_start_matches(|c: char| c.is_ascii_digit());
        if digits.len() < t.len() && digits.starts_with(['、', '.', '．', ')', '）', ' ']) {
            t = digits.trim_start_matches(['、', '.', '．', ')', '）', ' ']);
        }
        if let Some(rest) = t.strip_prefix(['（', '(']) {
            let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            if digits.len() < rest.len() {
                t = digits.trim_start_matches(['）', ')', ' ']);
            }
        }
        if t == before {
            break;
        }
    }
    non_empty(t)
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim().trim_matches(|c: char| matches!(c, '；' | ';' | '，' | ',' | '。' | '-' | '—')).trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Tables: a header row, then the data rows up to the next non-row block.
/// A table whose first row is not a header is not read.
fn read_tables(doc: &PolicyDocument, words: &SdkListWords) -> Vec<SdkListRow> {
    let mut out = Vec::new();
    let mut columns: Option<Vec<Option<Field>>> = None;
    // The blocks just before the table (its heading, an introduction that
    // may itself read as a heading): they say whether the list is of
    // sharing ("第三方SDK共享清单").
    let mut recent: Vec<&str> = Vec::new();
    for sec in &doc.sections {
        if sec.kind != BlockKind::TableRow {
            columns = None;
            let intro_shares = recent.iter().any(|b| share_in(b, words));
            out.extend(read_text_table(doc, sec, words, intro_shares));
            if recent.len() == 3 {
                recent.remove(0);
            }
            recent.push(&doc.text[sec.start..sec.end]);
            continue;
        }
        let text = &doc.text[sec.start..sec.end];
        let cells: Vec<&str> = text.split(" | ").collect();
        let header: Vec<Option<Field>> = cells.iter().map(|c| words.header_field(c)).collect();
        // A header is the first row of a table, or a later row all of whose
        // cells name fields (a data row's name cell "极光推送SDK" or
        // provider cell "…有限公司" may name one too).
        let is_header = (columns.is_none() || header.iter().all(Option::is_some))
            && header.contains(&Some(Field::Name))
            && header.iter().any(|f| matches!(f, Some(Field::Provider | Field::Data | Field::Purpose)));
        if is_header {
            columns = Some(header);
            continue;
        }
        let Some(cols) = &columns else {
            // Not a list: skip its rows (an empty header marks it read).
            columns = Some(Vec::new());
            continue;
        };
        let get = |f: Field| cols.iter().position(|c| *c == Some(f)).and_then(|i| cells.get(i)).and_then(|c| non_empty(c));
        let heading = sec.heading.as_deref().unwrap_or("");
        let share = || share_in(text, words) || share_in(heading, words) || recent.iter().any(|b| share_in(b, words));
        if let Some(row) = table_row(get, share, sec.start, sec.end, sec.language) {
            out.push(row);
        }
    }
    out
}

/// A pipe table written as text whose lines ingest joined into one block
/// ("SDK名称 | 提供方 | … --- | --- | … 极光推送SDK | … | … 个推SDK | …"):
/// the cells before the `---` separator are the header; rows follow, each
/// with as many cells. Where rows have no outer pipes, the cell that holds
/// the end of one row and the start of the next is split after a link it
/// holds, else at its last space.
fn read_text_table(
    doc: &PolicyDocument,
    sec: &crate::policy::Section,
    words: &SdkListWords,
    intro_shares: bool,
) -> Vec<SdkListRow> {
    let text = &doc.text[sec.start..sec.end];
    if !text.contains("---") || !text.contains('|') {
        return Vec::new();
    }
    let Ok(sep) = regex::Regex::new(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?") else { return Vec::new() };
    let Some(m) = sep.find(text) else { return Vec::new() };
    // The header: the cells of the text before the separator, back to the
    // start of the block or the last sentence end.
    let head_start =
        text[..m.start()].rfind(['。', '：', ':']).map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8));
    // The first cell may begin with the table's title line ("…SDK详情 SDK名称").
    let header: Vec<Option<Field>> = text[head_start..m.start()]
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .enumerate()
        .map(|(i, c)| {
            words.header_field(c).or_else(|| {
                if i == 0 {
                    c.rsplit(' ').next().and_then(|l| words.header_field(l))
                } else {
                    None
                }
            })
        })
        .collect();
    let n = header.len();
    if n < 2
        || !header.contains(&Some(Field::Name))
        || !header.iter().any(|f| matches!(f, Some(Field::Provider | Field::Data | Field::Purpose)))
    {
        return Vec::new();
    }
    // Cells after the separator, as byte ranges in `text`.
    let body = m.end();
    let mut cells: Vec<(usize, usize)> = Vec::new();
    let mut from = body;
    for (i, _) in text[body..].match_indices('|') {
        cells.push((from, body + i));
        from = body + i + 1;
    }
    cells.push((from, text.len()));
    let outer = text[m.start()..m.end()].trim_start().starts_with('|');
    let mut rows: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut row: Vec<(usize, usize)> = Vec::new();
    let count = cells.len();
    for (k, (a, b)) in cells.into_iter().enumerate() {
        let cell = &text[a..b];
        if outer && cell.trim().is_empty() {
            if !row.is_empty() {
                rows.push(std::mem::take(&mut row));
            }
            continue;
        }
        if !outer && row.len() == n - 1 && k + 1 < count {
            // The end of this row and the start of the next.
            let t = cell.trim_end();
            let split = regex::Regex::new(r"https?://\S+")
                .ok()
                .and_then(|r| r.find_iter(t).last())
                .map(|u| u.end())
                .filter(|&e| e < t.len())
                .or_else(|| t.trim_start().rfind(char::is_whitespace).map(|i| i + (t.len() - t.trim_start().len())));
            match split {
                Some(k) => {
                    row.push((a, a + k));
                    rows.push(std::mem::take(&mut row));
                    row.push((a + k, b));
                }
                None => row.push((a, b)),
            }
            continue;
        }
        row.push((a, b));
        if outer && row.len() == n {
            rows.push(std::mem::take(&mut row));
        }
    }
    if !row.is_empty() {
        rows.push(row);
    }
    let mut out = Vec::new();
    for r in rows.iter().take(MAX_ROWS) {
        let get = |f: Field| {
            header.iter().position(|c| *c == Some(f)).and_then(|i| r.get(i)).and_then(|&(a, b)| non_empty(&text[a..b]))
        };
        let (Some(first), Some(last)) = (r.first(), r.last()) else { continue };
        let (start, end) = (first.0 + (text[first.0..first.1].len() - text[first.0..first.1].trim_start().len()), last.1);
        let share = || intro_shares || share_in(&text[start..end], words) || share_in(&text[..m.start()], words);
        if let Some(row) = table_row(get, share, sec.start + start, sec.start + end.max(start), sec.language) {
            out.push(row);
        }
    }
    out
}

/// The labelled fields of one block: (field, label start, value start) in
/// order. A label is the text before a colon (full or half width) from the
/// block's start or a separator (；;。，, a line break, a space before an
/// ASCII label) that is exactly a known label.
fn fields_of(text: &str, words: &SdkListWords) -> Vec<(Field, usize, usize)> {
    let max = words.max_label_chars();
    let mut found = Vec::new();
    for (ci, m) in text.match_indices(['：', ':']) {
        let after = ci + m.len();
        if text[after..].starts_with("//") {
            continue;
        }
        let before = &text[..ci];
        let mut best: Option<(Field, usize)> = None;
        for (n, (i, ch)) in before.char_indices().rev().enumerate() {
            if n >= max || matches!(ch, '；' | ';' | '。' | '\n' | '|' | '，' | ',' | '：' | ':') {
                break;
            }
            let at_boundary = i == 0
                || before[..i]
                    .ends_with(|c: char| c.is_whitespace() || matches!(c, '；' | ';' | '。' | '，' | ',' | '、' | '|'));
            if at_boundary {
                if let Some(f) = words.label_field(&before[i..]) {
                    best = Some((f, i));
                }
            }
        }
        if let Some((f, s)) = best {
            found.push((f, s, after));
        }
    }
    found
}

/// Records of labelled fields, in one block or one field per block.
fn read_field_records(doc: &PolicyDocument, words: &SdkListWords) -> Vec<SdkListRow> {
    #[derive(Default)]
    struct Rec {
        name: Option<String>,
        provider: Option<String>,
        purpose: Option<String>,
        data: Option<String>,
        link: Option<String>,
        start: usize,
        end: usize,
        text: String,
        heading: String,
        language: Language,
    }
    let finish = |r: Rec, out: &mut Vec<SdkListRow>| {
        let others = r.provider.is_some() || r.purpose.is_some() || r.data.is_some();
        if let (Some(name), true) = (r.name.as_deref().and_then(clean_name), others) {
            out.push(SdkListRow {
                name,
                provider: r.provider,
                purpose: r.purpose,
                data: r.data,
                link: r.link,
                share: share_in(&r.text, words) || share_in(&r.heading, words),
                start: r.start,
                end: r.end,
                language: r.language,
            });
        }
    };
    let mut out = Vec::new();
    let mut cur: Option<Rec> = None;
    // The previous block without fields: a record without a name field takes it as its name.
    let mut title: Option<(String, usize)> = None;
    for sec in &doc.sections {
        let text = &doc.text[sec.start..sec.end];
        if sec.kind == BlockKind::TableRow {
            if let Some(r) = cur.take() {
                finish(r, &mut out);
            }
            title = None;
            continue;
        }
        let fields = fields_of(text, words);
        if fields.is_empty() {
            if let Some(r) = cur.take() {
                finish(r, &mut out);
            }
            let t = text.trim();
            title = (sec.kind != BlockKind::Heading || t.chars().count() <= 40)
                .then(|| {
                    (
                        t.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | '、' | ')' | '）' | ' '))
                            .to_string(),
                        sec.start,
                    )
                })
                .filter(|(t, _)| !t.is_empty() && t.chars().count() <= 40 && names_an_sdk(t));
            continue;
        }
        for (k, &(field, _label, value_start)) in fields.iter().enumerate() {
            let value_end = fields.get(k + 1).map(|f| f.1).unwrap_or(text.len());
            let value = non_empty(&text[value_start..value_end.max(value_start)]);
            let starts_new = field == Field::Name || cur.is_none();
            if starts_new {
                if let Some(r) = cur.take() {
                    finish(r, &mut out);
                }
                let mut r = Rec {
                    start: sec.start,
                    end: sec.end,
                    heading: sec.heading.clone().unwrap_or_default(),
                    language: sec.language,
                    ..Default::default()
                };
                if field != Field::Name {
                    if let Some((t, s)) = title.take() {
                        r.name = Some(t);
                        r.start = s;
                    }
                }
                cur = Some(r);
            }
            let Some(r) = cur.as_mut() else { continue };
            r.end = r.end.max(sec.end);
            let slot = match field {
                Field::Name => &mut r.name,
                Field::Provider => &mut r.provider,
                Field::Purpose => &mut r.purpose,
                Field::Data => &mut r.data,
                Field::Link => &mut r.link,
            };
            if slot.is_none() {
                *slot = value;
            }
        }
        if let Some(r) = cur.as_mut() {
            r.text = doc.text[r.start..r.end].to_string();
        }
        title = None;
    }
    if let Some(r) = cur.take() {
        finish(r, &mut out);
    }
    out
}

/// Whether a short block could be an SDK's name: it says "SDK" or names a
/// known SDK.
fn names_an_sdk(t: &str) -> bool {
    t.to_lowercase().contains("sdk") || crate::observe::SdkDetector::shipped().is_ok_and(|d| !d.match_name(t).is_empty())
}

/// The organization a row names: by the SDK signatures (the row's name),
/// then an organization the provider text or the name mentions (entity
/// phrases, or for names in Chinese an alias the text contains).
pub fn row_organization(row: &SdkListRow, entities: &EntityOntology) -> Option<String> {
    if let Ok(det) = crate::observe::SdkDetector::shipped() {
        let orgs: Vec<String> = det
            .match_name(&row.name)
            .into_iter()
            .filter_map(|i| det.organization(i, entities).map(|o| o.id.clone()))
            .collect();
        if let Some(o) = orgs.first().filter(|o| orgs.iter().all(|x| x == *o)) {
            return Some(o.clone());
        }
    }
    for text in row.provider.iter().chain(std::iter::once(&row.name)) {
        let mention = entities.find_mentions(text).into_iter().find_map(|m| match EntityOntology::split_mention(&m.id) {
            EntityMention::Organization(o) => Some(o.to_string()),
            EntityMention::Category(_) => None,
        });
        if mention.is_some() {
            return mention;
        }
        // Chinese names: the longest non-ASCII alias the text contains.
        let best = entities
            .organizations()
            .iter()
            .flat_map(|o| o.aliases.iter().map(move |a| (o, a)))
            .filter(|(_, a)| !a.is_ascii() && a.chars().count() >= 2 && text.contains(a.as_str()))
            .max_by_key(|(_, a)| a.len());
        if let Some((o, _)) = best {
            return Some(o.id.clone());
        }
    }
    None
}

/// The practices of a policy's SDK list (see the module documentation).
pub fn sdk_list_practices(doc: &PolicyDocument, ont: &Ontologies) -> crate::Result<Vec<Practice>> {
    let rows = read_sdk_list(doc)?;
    let generic = crate::compare::VerdictRules::shipped().generic.data_type.clone();
    let mut out = Vec::new();
    for row in &rows {
        let actor = match row_organization(row, &ont.entities) {
            Some(o) => Actor::Organization(o),
            None => Actor::Organization(row.provider.clone().unwrap_or_else(|| row.name.clone())),
        };
        let evidence = Evidence { start: row.start, end: row.end, text: doc.text[row.start..row.end].to_string() };
        // The data field, else the whole row (found at its offset in the document).
        let (scan, offset) = match &row.data {
            Some(d) => match evidence.text.find(d.as_str()) {
                Some(i) => (d.as_str(), row.start + i),
                None => (d.as_str(), row.start),
            },
            None => (evidence.text.as_str(), row.start),
        };
        let mut types: Vec<(String, Option<Evidence>)> = Vec::new();
        for m in ont.data_types.find_phrases(scan) {
            if !types.iter().any(|(t, _)| *t == m.id) {
                let phrase =
                    Evidence { start: offset + m.start, end: offset + m.end, text: scan[m.start..m.end].to_string() };
                types.push((m.id, Some(phrase)));
            }
        }
        if types.is_empty() && !generic.is_empty() {
            types.push((generic.clone(), None));
        }
        let mut actions = vec![Action::Collect];
        if row.share {
            actions.push(Action::Share);
        }
        for action in actions {
            for (t, phrase) in &types {
                out.push(Practice {
                    actor: actor.clone(),
                    action,
                    data_type: t.clone(),
                    negated: false,
                    evidence: evidence.clone(),
                    data_phrase: phrase.clone(),
                    confidence: 1.0,
                    audience: None,
                    except: Vec::new(),
                    condition: None,
                    scope: None,
                    language: row.language,
                    sdk: Some(row.name.clone()),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse_and_name_fields() {
        let w = SdkListWords::shipped().expect("ontology/sdk_list.json parses");
        assert_eq!(w.header_field("SDK名称"), Some(Field::Name));
        assert_eq!(w.header_field("第三方公司名称"), Some(Field::Provider));
        assert_eq!(w.header_field("收集个人信息的目的"), Some(Field::Purpose));
        assert_eq!(w.header_field("收集个人信息类型"), Some(Field::Data));
        assert_eq!(w.header_field("隐私政策链接"), Some(Field::Link));
        assert_eq!(w.header_field("Data collected"), Some(Field::Data));
        assert_eq!(w.header_field("Cookie name"), None);
        assert_eq!(w.header_field("We use the following SDKs in our app to provide services"), None);
        assert_eq!(w.label_field("1. SDK名称"), Some(Field::Name));
        assert_eq!(w.label_field("我们会收集以下信息"), None);
    }

    #[test]
    fn names_lose_bullets_and_enumerators() {
        assert_eq!(clean_name("Ø阿里云金融级实人认证SDK").as_deref(), Some("阿里云金融级实人认证SDK"));
        assert_eq!(clean_name("1、极光推送SDK").as_deref(), Some("极光推送SDK"));
        assert_eq!(clean_name("（2）个推SDK").as_deref(), Some("个推SDK"));
        assert_eq!(clean_name("• 360加固").as_deref(), Some("360加固"));
        assert_eq!(clean_name("（友盟）统计SDK").as_deref(), Some("（友盟）统计SDK"));
        assert_eq!(clean_name("-"), None);
    }

    #[test]
    fn labels_in_one_line_are_split() {
        let w = SdkListWords::shipped().unwrap();
        let t = "SDK名称：极光推送SDK；提供方：深圳市和讯华谷信息技术有限公司；收集个人信息类型：设备信息；隐私政策链接：https://www.jiguang.cn/license/privacy";
        let f: Vec<Field> = fields_of(t, w).into_iter().map(|x| x.0).collect();
        assert_eq!(f, vec![Field::Name, Field::Provider, Field::Data, Field::Link]);
    }
}
