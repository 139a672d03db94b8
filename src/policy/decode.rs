//! Byte decoding: turns the bytes of a policy file into text, or says
//! clearly why they are not text.
//!
//! Order of evidence: a byte-order mark (UTF-8, UTF-16 LE/BE), known binary
//! signatures, BOM-less UTF-16, binary-looking content (NUL bytes, control
//! characters), a charset declared in the first 2 KB (HTML `<meta>` or an
//! XML declaration; ignored when the bytes are non-ASCII valid UTF-8, which a
//! legacy encoding almost never produces), valid UTF-8, GB18030 (which
//! covers GBK and GB2312) for bytes that decode cleanly as it into Chinese,
//! and last windows-1252 for text that is plainly text but not UTF-8.
//!
//! BOM-less UTF-16 is recognised by its NUL bytes: ASCII-heavy text has a
//! NUL in nearly every other byte; Chinese text has a few NULs (from its
//! ASCII spaces, digits and line ends), and must then decode without error
//! to mostly ideographs, CJK punctuation and ASCII.

use super::language::is_han;
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// How far into the file a charset declaration is looked for.
const DECLARATION_WINDOW: usize = 2048;

/// Decode policy bytes to text.
///
/// Empty input decodes to an empty string (the caller decides whether that
/// is an error). Binary data and unsupported declared encodings give an
/// error string that says what was wrong.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if bytes.is_empty() {
        return Ok(String::new());
    }
    // Byte-order marks win over everything else.
    if bytes.starts_with(&[0xFF, 0xFE, 0x00, 0x00]) || bytes.starts_with(&[0x00, 0x00, 0xFE, 0xFF]) {
        return Err("unsupported encoding: UTF-32 (convert the file to UTF-8)".to_string());
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return decode_utf8(rest, "UTF-8 (with BOM)");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, UTF_16LE);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, UTF_16BE);
    }
    if let Some(kind) = binary_signature(bytes) {
        return Err(format!("not text: looks like binary data ({kind})"));
    }
    if let Some(encoding) = bomless_utf16(bytes) {
        return decode_utf16(bytes, encoding);
    }
    if let Some(problem) = binary_content(bytes) {
        return Err(format!("not text: looks like binary data ({problem})"));
    }
    if let Some(label) = declared_charset(bytes) {
        let encoding = Encoding::for_label_no_replacement(label.as_bytes())
            .ok_or_else(|| format!("unknown encoding: {label:?} is declared in the file but is not a supported charset"))?;
        // A declaration that can be read as ASCII cannot be in UTF-16 (the
        // HTML standard says to read such a document as UTF-8).
        let encoding = if encoding == UTF_16LE || encoding == UTF_16BE { UTF_8 } else { encoding };
        if encoding == UTF_8 {
            return decode_utf8(bytes, "UTF-8 (declared)");
        }
        // Saved pages often keep a stale declaration after being re-encoded:
        // non-ASCII text that is valid UTF-8 is almost never legacy-encoded.
        if !bytes.is_ascii() {
            if let Ok(text) = std::str::from_utf8(bytes) {
                return Ok(text.to_string());
            }
        }
        let (text, _had_errors) = encoding.decode_without_bom_handling(bytes);
        return Ok(text.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(_) => match sniff_gb18030(bytes) {
            Some(text) => Ok(text),
            None => decode_undeclared_8bit(bytes),
        },
    }
}

/// Chinese text in GB18030, GBK or GB2312 without a declaration: the bytes
/// decode as GB18030 without a single error, nearly all the non-ASCII
/// characters they give are CJK (ideographs, CJK and full-width
/// punctuation), and most two-byte codes lie in the GB2312 area (both bytes
/// 0xA1 or above), where common characters and punctuation are. Western
/// 8-bit text fails the last test: an accented letter followed by an ASCII
/// letter reads as a rare GBK character.
fn sniff_gb18030(bytes: &[u8]) -> Option<String> {
    let (mut double, mut gb2312, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
        } else if bytes.get(i + 1).is_some_and(|n| n.is_ascii_digit()) {
            i += 4; // a four-byte GB18030 code
        } else {
            double += 1;
            if b >= 0xA1 && bytes.get(i + 1).is_some_and(|&n| n >= 0xA1) {
                gb2312 += 1;
            }
            i += 2;
        }
    }
    if double < 2 || gb2312 * 10 < double * 8 {
        return None;
    }
    let text = GB18030.decode_without_bom_handling_and_without_replacement(bytes)?;
    let mut non_ascii = 0usize;
    let mut cjk = 0usize;
    for c in text.chars().filter(|c| !c.is_ascii()) {
        non_ascii += 1;
        if is_han(c) || is_cjk_symbol(c) {
            cjk += 1;
        }
    }
    if non_ascii < 2 || cjk * 10 < non_ascii * 9 || text.chars().any(is_binary_control) {
        return None;
    }
    Some(text.into_owned())
}

/// CJK punctuation, full-width forms, and the general punctuation Chinese
/// text uses (quotes, dashes, ellipsis), and circled or bracketed numbers.
fn is_cjk_symbol(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}' | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}' | '\u{2460}'..='\u{24FF}' | '\u{3200}'..='\u{32FF}' | '\u{FE30}'..='\u{FE4F}' | '\u{00B7}' | '\u{00D7}' | '\u{2160}'..='\u{217F}' | '\u{2190}'..='\u{21FF}' | '\u{25A0}'..='\u{25FF}' | '\u{2600}'..='\u{26FF}' | '\u{0391}'..='\u{03C9}')
}

/// UTF-8 that should be valid: a few bad bytes become U+FFFD, many are an error.
fn decode_utf8(bytes: &[u8], what: &str) -> Result<String, String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    let (text, _) = UTF_8.decode_without_bom_handling(bytes);
    let chars = text.chars().count().max(1);
    let bad = text.chars().filter(|&c| c == '\u{FFFD}').count();
    if bad * 20 > chars {
        return Err(format!("not text: {what} but {bad} of {chars} characters are invalid byte sequences"));
    }
    Ok(text.into_owned())
}

/// UTF-16 in the given byte order (BOM already removed or absent).
fn decode_utf16(bytes: &[u8], encoding: &'static Encoding) -> Result<String, String> {
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    let chars = text.chars().count().max(1);
    let bad = text.chars().filter(|&c| c == '\u{FFFD}').count();
    let control = text.chars().filter(|&c| is_binary_control(c)).count();
    if bad * 20 > chars || control * 50 > chars {
        return Err(format!(
            "not text: looks like binary data (declared {} by its byte-order mark, but it does not decode as text)",
            encoding.name()
        ));
    }
    Ok(text.into_owned())
}

/// Bytes that are not UTF-8 and declare no charset: read them as
/// windows-1252 when they look like 8-bit text, else refuse.
fn decode_undeclared_8bit(bytes: &[u8]) -> Result<String, String> {
    let high = bytes.iter().filter(|&&b| b >= 0x80).count();
    // Western 8-bit text has a few accented letters; random or compressed
    // data has about half its bytes above 0x7F.
    if high * 4 > bytes.len() {
        return Err("not text: looks like binary data (not valid UTF-8, no charset declared, too many non-ASCII bytes)".to_string());
    }
    let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
    Ok(text.into_owned())
}

/// A control character that text files do not contain.
fn is_binary_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{E}'..='\u{1A}' | '\u{1C}'..='\u{1F}' | '\u{7F}')
}

/// Well-known magic numbers of binary formats.
fn binary_signature(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"PK\x05\x06", "a ZIP archive"),
        (b"\x1F\x8B", "gzip-compressed data"),
        (b"BZh", "bzip2-compressed data"),
        (b"\xFD7zXZ\x00", "xz-compressed data"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"\x28\xB5\x2F\xFD", "zstd-compressed data"),
        (b"\x7FELF", "an ELF executable"),
        (b"MZ", "a Windows executable"),
        (b"\xCA\xFE\xBA\xBE", "a Java class or Mach-O file"),
        (b"\xCF\xFA\xED\xFE", "a Mach-O executable"),
        (b"dex\n", "an Android DEX file"),
        (b"%PDF-", "a PDF document"),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "an old Microsoft Office document"),
        (b"SQLite format 3\x00", "an SQLite database"),
        (b"\x00asm", "a WebAssembly module"),
        (b"RIFF", "a RIFF media file"),
        (b"OggS", "an Ogg media file"),
        (b"ID3", "an MP3 file"),
        (b"wOFF", "a web font"),
        (b"wOF2", "a web font"),
    ];
    // "MZ" and "BZh" are short: demand a NUL or a control byte nearby too,
    // so a text file that starts with those letters is not refused.
    let head = &bytes[..bytes.len().min(64)];
    let has_control = head.iter().any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'));
    SIGNATURES
        .iter()
        .find(|(magic, name)| {
            bytes.starts_with(magic) && (magic.len() > 3 || has_control || name.contains("JPEG") || name.contains("gzip"))
        })
        .map(|(_, name)| *name)
}

/// Detect UTF-16 without a BOM: ASCII-range text has a NUL in every other byte.
fn bomless_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_nul = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = sample.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nul * 10 >= pairs * 9 && even_nul * 10 <= pairs {
        return Some(UTF_16LE);
    } else if even_nul * 10 >= pairs * 9 && odd_nul * 10 <= pairs {
        return Some(UTF_16BE);
    }
    // Chinese: NULs from ASCII characters (and from ideographs such as
    // U+4E00) in mostly one byte position; the byte order with more NULs in
    // the high byte is tried first, and the text must then read as Chinese.
    if odd_nul + even_nul < 2 {
        return None;
    }
    let order = if odd_nul >= even_nul { [UTF_16LE, UTF_16BE] } else { [UTF_16BE, UTF_16LE] };
    order.into_iter().find(|&candidate| cjk_utf16(sample, candidate))
}

/// Whether `sample` decodes in the UTF-16 `encoding` without errors to
/// text that is Chinese and ASCII: a tenth or more ideographs, and at least
/// 95% ideographs, CJK punctuation, printable ASCII and line ends.
fn cjk_utf16(sample: &[u8], encoding: &'static Encoding) -> bool {
    // A surrogate pair cut by the end of the sample is not an error.
    let mut sample = sample;
    if sample.len() >= 2 {
        let last = &sample[sample.len() - 2..];
        let unit = if encoding == UTF_16LE { u16::from_le_bytes([last[0], last[1]]) } else { u16::from_be_bytes([last[0], last[1]]) };
        if (0xD800..0xDC00).contains(&unit) {
            sample = &sample[..sample.len() - 2];
        }
    }
    let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(sample) else {
        return false;
    };
    let (mut total, mut han, mut plausible) = (0usize, 0usize, 0usize);
    for c in text.chars() {
        total += 1;
        if is_han(c) {
            han += 1;
            plausible += 1;
        } else if is_cjk_symbol(c) || c.is_ascii_graphic() || matches!(c, ' ' | '\t' | '\n' | '\r') {
            plausible += 1;
        }
    }
    total > 0 && han * 10 >= total && plausible * 100 >= total * 95
}

/// Say why bytes look binary: NUL bytes or many control characters.
fn binary_content(bytes: &[u8]) -> Option<String> {
    let mut control = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if b == 0 {
            return Some(format!("NUL byte at offset {i}"));
        }
        if is_binary_control(char::from(b)) {
            control += 1;
        }
    }
    // A stray form feed or escape is fine; a percent of them is not text.
    if control > 8 && control * 100 > bytes.len() {
        return Some(format!("{control} control bytes in {} bytes", bytes.len()));
    }
    None
}

/// The charset named by an XML declaration or an HTML `<meta>` tag in the
/// first [`DECLARATION_WINDOW`] bytes, lower-cased.
fn declared_charset(bytes: &[u8]) -> Option<String> {
    let window = &bytes[..bytes.len().min(DECLARATION_WINDOW)];
    // Work on an ASCII-lowercased copy; non-ASCII bytes become '?' so that
    // indexes stay aligned and the string is valid UTF-8.
    let head: String = window
        .iter()
        .map(|&b| if b.is_ascii() { char::from(b.to_ascii_lowercase()) } else { '?' })
        .collect();
    let trimmed = head.trim_start();
    if trimmed.starts_with("<?xml") {
        let end = trimmed.find("?>").unwrap_or(trimmed.len());
        if let Some(value) = attribute_value(&trimmed[..end], "encoding") {
            return Some(value);
        }
    }
    let mut rest = head.as_str();
    while let Some(pos) = rest.find("<meta") {
        let tag_and_more = &rest[pos + 5..];
        let end = tag_and_more.find('>').unwrap_or(tag_and_more.len());
        let tag = &tag_and_more[..end];
        if let Some(value) = charset_in_meta(tag) {
            return Some(value);
        }
        rest = &tag_and_more[end..];
    }
    None
}

/// A charset in the attributes of one `<meta ...>` tag.
fn charset_in_meta(tag: &str) -> Option<String> {
    // <meta charset="x">, or "charset=x" inside content="text/html; charset=x".
    let mut search = tag;
    while let Some(pos) = search.find("charset") {
        let after = search[pos + 7..].trim_start();
        if let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start().trim_start_matches(['"', '\'']);
            let label: String = value
                .chars()
                .take_while(|c| !matches!(c, '"' | '\'' | ';' | '/' | '>' | ',') && !c.is_whitespace())
                .collect();
            if !label.is_empty() {
                return Some(label);
            }
        }
        search = &search[pos + 7..];
    }
    // <meta name="charset" content="utf-8"> (seen in the wild, not standard).
    if attribute_value(tag, "name").as_deref() == Some("charset") {
        return attribute_value(tag, "content").filter(|v| !v.is_empty() && !v.contains(' '));
    }
    None
}

/// The value of `name="value"` (or single-quoted, or bare) in a tag.
fn attribute_value(tag: &str, name: &str) -> Option<String> {
    let mut search = tag;
    while let Some(pos) = search.find(name) {
        let before_ok = pos == 0 || search[..pos].ends_with(|c: char| c.is_whitespace());
        let after = search[pos + name.len()..].trim_start();
        if let (true, Some(value)) = (before_ok, after.strip_prefix('=')) {
            let value = value.trim_start();
            let (quote, body) = match value.chars().next() {
                Some(q @ ('"' | '\'')) => (Some(q), &value[1..]),
                _ => (None, value),
            };
            let end = match quote {
                Some(q) => body.find(q).unwrap_or(body.len()),
                None => body.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(body.len()),
            };
            return Some(body[..end].trim().to_string());
        }
        search = &search[pos + name.len()..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFhello").as_deref(), Ok("hello"));
        assert_eq!(decode_text("café".as_bytes()).as_deref(), Ok("café"));
        assert_eq!(decode_text(b"").as_deref(), Ok(""));
    }

    #[test]
    fn utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in "We collect your e-mail. Café 隐私".encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode_text(&le).as_deref(), Ok("We collect your e-mail. Café 隐私"));
        assert_eq!(decode_text(&be).as_deref(), Ok("We collect your e-mail. Café 隐私"));
        // Without the BOM, ASCII-heavy UTF-16 is still recognised.
        assert_eq!(decode_text(&le[2..]).as_deref(), Ok("We collect your e-mail. Café 隐私"));
    }

    #[test]
    fn declared_windows_1252() {
        let html = b"<html><head><meta charset=\"windows-1252\"></head><body><p>Caf\xE9 \x93quoted\x94 \x80</p></body></html>";
        let text = decode_text(html).unwrap_or_default();
        assert!(text.contains("Café “quoted” €"), "{text}");
        let http_equiv = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"><p>na\xEFve</p>";
        assert!(decode_text(http_equiv).unwrap_or_default().contains("naïve"));
        let xml = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><p>r\xE9sum\xE9</p>";
        assert!(decode_text(xml).unwrap_or_default().contains("résumé"));
        let named = b"<meta content=\"windows-1252\" name=\"charset\"/><p>\xE9t\xE9</p>";
        assert!(decode_text(named).unwrap_or_default().contains("été"));
    }

    #[test]
    fn stale_declaration_on_utf8_bytes() {
        let html = "<meta charset=\"iso-8859-1\"><p>Café “quoted”</p>";
        assert_eq!(decode_text(html.as_bytes()).as_deref(), Ok(html));
    }

    #[test]
    fn unknown_declared_label() {
        let err = decode_text(b"<meta charset=\"klingon-8\"><p>hi</p>").unwrap_err();
        assert!(err.starts_with("unknown encoding"), "{err}");
    }

    #[test]
    fn binary_is_refused() {
        for bytes in [
            &b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"[..],
            &b"PK\x03\x04\x14\x00\x00\x00"[..],
            &b"\x7FELF\x02\x01\x01\x00"[..],
            &b"hello\x00world"[..],
        ] {
            let err = decode_text(bytes).unwrap_err();
            assert!(err.starts_with("not text: looks like binary data"), "{err}");
        }
        // Pseudo-random bytes.
        let mut x: u32 = 12345;
        let random: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        assert!(decode_text(&random).unwrap_err().starts_with("not text"));
    }

    #[test]
    fn undeclared_latin1_falls_back() {
        assert_eq!(decode_text(b"Caf\xE9 and cr\xE8me").as_deref(), Ok("Café and crème"));
    }

    #[test]
    fn text_starting_like_a_signature_is_text() {
        assert_eq!(decode_text(b"MZ Corp privacy policy").as_deref(), Ok("MZ Corp privacy policy"));
    }
}
