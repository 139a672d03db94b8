//! Android binary XML (AXML), the compiled form of `AndroidManifest.xml`
//! inside an APK: a chunk stream holding a string pool (UTF-8 or UTF-16),
//! a resource map (attribute resource ids), namespace and element chunks
//! whose attributes carry typed values.
//!
//! Every offset and length read from the file is bounds-checked; a bogus
//! one gives an error that names the file and the chunk, never a panic.
//! Strings are decoded on demand and at most once each, and the output is
//! capped, so a small file cannot make the decoder produce gigabytes.

use crate::error::{Error, Result};
use std::path::Path;

/// The Android resource namespace URI.
pub const ANDROID_NS: &str = "http://schemas.android.com/apk/res/android";

const RES_XML_TYPE: u16 = 0x0003;
const RES_STRING_POOL_TYPE: u16 = 0x0001;
const RES_XML_RESOURCE_MAP_TYPE: u16 = 0x0180;
const RES_XML_START_NAMESPACE_TYPE: u16 = 0x0100;
const RES_XML_END_NAMESPACE_TYPE: u16 = 0x0101;
const RES_XML_START_ELEMENT_TYPE: u16 = 0x0102;
const RES_XML_END_ELEMENT_TYPE: u16 = 0x0103;
const RES_XML_CDATA_TYPE: u16 = 0x0104;
const NO_INDEX: u32 = 0xFFFF_FFFF;

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 256;
/// Longest single string decoded (characters).
const MAX_STRING_CHARS: usize = 1 << 20;
/// Most string bytes handed out in elements and attributes, all together.
const MAX_OUTPUT_BYTES: usize = 64 << 20;
/// Most elements accepted.
const MAX_ELEMENTS: usize = 1 << 20;

/// Well-known attribute resource ids of the `android:` namespace. The
/// platform resolves attributes by these ids, so an obfuscated or empty
/// attribute name string does not hide them.
const KNOWN_ATTRS: &[(u32, &str)] = &[
    (0x0101_0003, "name"),
    (0x0101_0024, "value"),
    (0x0101_0025, "resource"),
    (0x0101_0018, "authorities"),
    (0x0101_020c, "minSdkVersion"),
    (0x0101_0270, "targetSdkVersion"),
    (0x0101_0271, "maxSdkVersion"),
    (0x0101_021b, "versionCode"),
    (0x0101_021c, "versionName"),
    (0x0101_028e, "required"),
    (0x0101_0010, "exported"),
];

/// A typed attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AxValue {
    String(String),
    Int(i64),
    Bool(bool),
    /// A resource reference (`@0x7f0e0001`); the APK reader resolves a string-valued versionName through resources.arsc ([`super::arsc`]).
    Reference(u32),
    Float(f32),
    /// Any other type: (type code, raw data).
    Other(u8, u32),
}

impl AxValue {
    /// The value as manifest text (`@0x..` for references).
    pub fn to_text(&self) -> String {
        match self {
            AxValue::String(s) => s.clone(),
            AxValue::Int(i) => i.to_string(),
            AxValue::Bool(b) => b.to_string(),
            AxValue::Reference(r) => format!("@0x{r:08x}"),
            AxValue::Float(f) => f.to_string(),
            AxValue::Other(t, d) => format!("0x{d:x} (type 0x{t:02x})"),
        }
    }
}

/// One attribute of an element.
#[derive(Debug, Clone, PartialEq)]
pub struct AxAttr {
    /// Namespace URI, when the attribute has one.
    pub ns: Option<String>,
    /// Local name (from the resource id when it is a known `android:` attribute).
    pub name: String,
    pub value: AxValue,
}

/// A parse event.
#[derive(Debug, Clone, PartialEq)]
pub enum AxEvent {
    Start { name: String, attrs: Vec<AxAttr> },
    End,
}

/// Find an attribute by local name, preferring the android namespace.
pub fn attr<'a>(attrs: &'a [AxAttr], name: &str) -> Option<&'a AxValue> {
    attrs
        .iter()
        .find(|a| a.name == name && a.ns.as_deref() == Some(ANDROID_NS))
        .or_else(|| attrs.iter().find(|a| a.name == name))
        .map(|a| &a.value)
}

pub(crate) fn rd16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
pub(crate) fn rd32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// The string pool, decoded lazily.
pub(crate) struct StringPool<'a> {
    data: &'a [u8],
    offsets: Vec<u32>,
    strings_start: usize,
    utf8: bool,
    cache: Vec<Option<String>>,
}

impl<'a> StringPool<'a> {
    pub(crate) fn parse(chunk: &'a [u8], header_size: usize) -> std::result::Result<Self, String> {
        let count = rd32(chunk, 8).ok_or("string pool header is truncated")? as usize;
        let flags = rd32(chunk, 16).ok_or("string pool header is truncated")?;
        let strings_start = rd32(chunk, 20).ok_or("string pool header is truncated")? as usize;
        let offsets_end = count
            .checked_mul(4)
            .and_then(|n| n.checked_add(header_size))
            .filter(|&end| end <= chunk.len())
            .ok_or_else(|| format!("string pool claims {count} strings, more than its {} bytes can hold", chunk.len()))?;
        if count > 0 && (strings_start < header_size || strings_start > chunk.len()) {
            return Err(format!("string data offset {strings_start} is outside the {}-byte pool", chunk.len()));
        }
        let offsets = (0..count).filter_map(|i| rd32(chunk, header_size + i * 4)).collect::<Vec<_>>();
        debug_assert!(offsets_end <= chunk.len());
        Ok(StringPool { data: chunk, offsets, strings_start, utf8: flags & 0x100 != 0, cache: vec![None; count] })
    }

    pub(crate) fn get(&mut self, index: u32) -> std::result::Result<String, String> {
        let i = index as usize;
        if i >= self.offsets.len() {
            return Err(format!("string index {index} is past the pool's {} strings", self.offsets.len()));
        }
        if let Some(s) = &self.cache[i] {
            return Ok(s.clone());
        }
        let at = self
            .strings_start
            .checked_add(self.offsets[i] as usize)
            .filter(|&a| a < self.data.len())
            .ok_or_else(|| format!("string {index} has offset {} outside the string pool", self.offsets[i]))?;
        let s = if self.utf8 { self.utf8_at(at) } else { self.utf16_at(at) }
            .ok_or_else(|| format!("string {index} at offset {} runs past the end of the string pool", self.offsets[i]))??;
        self.cache[i] = Some(s.clone());
        Ok(s)
    }

    fn utf8_at(&self, at: usize) -> Option<std::result::Result<String, String>> {
        let d = self.data;
        let len8 = |p: usize| -> Option<(usize, usize)> {
            let b0 = *d.get(p)? as usize;
            if b0 & 0x80 != 0 {
                Some((((b0 & 0x7f) << 8) | *d.get(p + 1)? as usize, 2))
            } else {
                Some((b0, 1))
            }
        };
        let (_chars, n1) = len8(at)?;
        let (bytes, n2) = len8(at + n1)?;
        if bytes > MAX_STRING_CHARS {
            return Some(Err(format!("string of {bytes} bytes is too long")));
        }
        let start = at + n1 + n2;
        let raw = d.get(start..start.checked_add(bytes)?)?;
        Some(Ok(String::from_utf8_lossy(raw).into_owned()))
    }

    fn utf16_at(&self, at: usize) -> Option<std::result::Result<String, String>> {
        let d = self.data;
        let first = rd16(d, at)? as usize;
        let (len, n) = if first & 0x8000 != 0 { (((first & 0x7fff) << 16) | rd16(d, at + 2)? as usize, 4) } else { (first, 2) };
        if len > MAX_STRING_CHARS {
            return Some(Err(format!("string of {len} characters is too long")));
        }
        let start = at + n;
        let raw = d.get(start..start.checked_add(len.checked_mul(2)?)?)?;
        let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        Some(Ok(String::from_utf16_lossy(&units)))
    }
}

/// Parse a binary XML document into start/end events.
pub fn parse_axml(bytes: &[u8], path: &Path) -> Result<Vec<AxEvent>> {
    let fail = |what: String| Error::input(path, format!("binary XML: {what}"));
    let (Some(ty), Some(hsize), Some(size)) = (rd16(bytes, 0), rd16(bytes, 2), rd32(bytes, 4)) else {
        return Err(fail("file is too short for a header".into()));
    };
    if ty != RES_XML_TYPE {
        return Err(fail(format!("not an Android binary XML file (chunk type 0x{ty:04x}, expected 0x0003)")));
    }
    let size = size as usize;
    if size > bytes.len() {
        return Err(fail(format!("header says {size} bytes but the file has {} (truncated?)", bytes.len())));
    }
    let doc = &bytes[..size];
    let mut at = (hsize as usize).max(8);
    let mut pool: Option<StringPool> = None;
    let mut res_map: Vec<u32> = Vec::new();
    let mut events = Vec::new();
    let mut depth = 0usize;
    let mut elements = 0usize;
    let mut out_bytes = 0usize;
    while at + 8 <= doc.len() {
        let (Some(cty), Some(chs), Some(csize)) = (rd16(doc, at), rd16(doc, at + 2), rd32(doc, at + 4)) else { break };
        let (chs, csize) = (chs as usize, csize as usize);
        if csize < 8 || chs < 8 || chs > csize || at.checked_add(csize).is_none_or(|end| end > doc.len()) {
            return Err(fail(format!(
                "chunk 0x{cty:04x} at offset {at} has bogus sizes (header {chs}, size {csize}, {} bytes left)",
                doc.len() - at
            )));
        }
        let chunk = &doc[at..at + csize];
        let here = at;
        at += csize;
        match cty {
            // Only the first string pool counts.
            RES_STRING_POOL_TYPE if pool.is_none() => {
                let parsed = StringPool::parse(chunk, chs).map_err(|e| fail(format!("chunk at offset {here}: {e}")))?;
                pool = Some(parsed);
            }
            RES_XML_RESOURCE_MAP_TYPE => {
                res_map = chunk[chs..].chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            }
            RES_XML_START_NAMESPACE_TYPE | RES_XML_END_NAMESPACE_TYPE | RES_XML_CDATA_TYPE => {}
            RES_XML_START_ELEMENT_TYPE => {
                let Some(pool) = pool.as_mut() else {
                    return Err(fail(format!("element at offset {here} comes before any string pool")));
                };
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(fail(format!("more than {MAX_ELEMENTS} elements")));
                }
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(fail(format!("elements nested deeper than {MAX_DEPTH} levels")));
                }
                let ext = chs;
                let (Some(name_idx), Some(attr_start), Some(attr_size), Some(attr_count)) =
                    (rd32(chunk, ext + 4), rd16(chunk, ext + 8), rd16(chunk, ext + 10), rd16(chunk, ext + 12))
                else {
                    return Err(fail(format!("element at offset {here} is truncated")));
                };
                let name = pool.get(name_idx).map_err(|e| fail(format!("element at offset {here}: {e}")))?;
                out_bytes += name.len();
                let (attr_start, attr_size) = (attr_start as usize, attr_size as usize);
                if attr_count > 0 && attr_size < 20 {
                    return Err(fail(format!("element <{name}> at offset {here}: attribute size {attr_size} is below 20")));
                }
                let mut attrs = Vec::with_capacity(attr_count as usize);
                for i in 0..attr_count as usize {
                    let a = ext + attr_start + i * attr_size;
                    let (Some(ns), Some(an), Some(raw), Some(dtype), Some(data)) =
                        (rd32(chunk, a), rd32(chunk, a + 4), rd32(chunk, a + 8), chunk.get(a + 15).copied(), rd32(chunk, a + 16))
                    else {
                        return Err(fail(format!(
                            "element <{name}> at offset {here}: attribute {i} lies outside the chunk (bogus attribute offsets)"
                        )));
                    };
                    let known = res_map.get(an as usize).and_then(|id| KNOWN_ATTRS.iter().find(|(k, _)| k == id)).map(|(_, n)| *n);
                    let mut get = |idx: u32| pool.get(idx).map_err(|e| fail(format!("element <{name}> attribute {i}: {e}")));
                    let aname = match known {
                        Some(n) => n.to_string(),
                        None => get(an)?,
                    };
                    let ns = if ns == NO_INDEX { None } else { Some(get(ns)?) };
                    let value = match dtype {
                        0x03 => AxValue::String(get(if raw != NO_INDEX { raw } else { data })?),
                        0x01 | 0x07 => AxValue::Reference(data),
                        0x04 => AxValue::Float(f32::from_bits(data)),
                        0x10 => AxValue::Int(data as i32 as i64),
                        0x11 => AxValue::Int(data as i64),
                        0x12 => AxValue::Bool(data != 0),
                        0x00 if raw != NO_INDEX => AxValue::String(get(raw)?),
                        t => AxValue::Other(t, data),
                    };
                    if let AxValue::String(s) = &value {
                        out_bytes += s.len();
                    }
                    out_bytes += aname.len();
                    attrs.push(AxAttr { ns, name: aname, value });
                }
                if out_bytes > MAX_OUTPUT_BYTES {
                    return Err(fail(format!("decodes to more than {MAX_OUTPUT_BYTES} bytes of names and values")));
                }
                events.push(AxEvent::Start { name, attrs });
            }
            RES_XML_END_ELEMENT_TYPE => {
                if depth == 0 {
                    return Err(fail(format!("end element at offset {here} without a start element")));
                }
                depth -= 1;
                events.push(AxEvent::End);
            }
            _ => {} // Unknown chunks are skipped, as the platform does.
        }
    }
    if events.is_empty() {
        return Err(fail("no elements".into()));
    }
    Ok(events)
}
