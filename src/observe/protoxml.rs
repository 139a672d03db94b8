//! The protocol-buffer form of Android XML (`aapt.pb.XmlNode` from aapt2's
//! `Resources.proto`): how Android App Bundles (`.aab`) and
//! `aapt2 --proto-format` output store `AndroidManifest.xml`.
//!
//! Only the wire format and the few messages a manifest needs are decoded:
//!
//! ```text
//! XmlNode      { XmlElement element = 1; string text = 2; }
//! XmlElement   { string namespace_uri = 2; string name = 3;
//!                repeated XmlAttribute attribute = 4; repeated XmlNode child = 5; }
//! XmlAttribute { string namespace_uri = 1; string name = 2; string value = 3;
//!                uint32 resource_id = 5; Item compiled_item = 6; }
//! Item         { Reference ref = 1; ...; Primitive prim = 7; }
//! Reference    { uint32 id = 2; string name = 3; }
//! Primitive    { float float_value = 3; int32 int_decimal_value = 6;
//!                uint32 int_hexadecimal_value = 7; bool boolean_value = 8; ... }
//! ```
//!
//! String resources referenced from the manifest (a version name given as
//! `@string/...`) are looked up in the bundle's `resources.pb`, the same
//! file's `ResourceTable`:
//!
//! ```text
//! ResourceTable { repeated Package package = 2; }
//! Package       { PackageId package_id = 1; string package_name = 2; repeated Type type = 3; }
//! Type          { TypeId type_id = 1; string name = 2; repeated Entry entry = 3; }
//! Entry         { EntryId entry_id = 1; string name = 2; repeated ConfigValue config_value = 6; }
//! ConfigValue   { Configuration config = 1; Value value = 2; }
//! Value         { Item item = 4; ... }
//! Item          { Reference ref = 1; String str = 2; RawString raw_str = 3; StyledString styled_str = 4; ... }
//! PackageId, TypeId, EntryId { uint32 id = 1; }   String, RawString, StyledString { string value = 1; }
//! ```
//!
//! Every other field is skipped by its wire type. The output is the same
//! event stream the binary-XML reader gives ([`super::axml::AxEvent`]), so
//! APKs and bundles share one manifest interpreter. Lengths are checked
//! against the buffer, nesting is capped, and a malformed message gives an
//! error naming the file, never a panic.

use super::axml::{AxAttr, AxEvent, AxValue};
use crate::error::{Error, Result};
use std::path::Path;

/// Deepest element nesting accepted (as for binary XML).
const MAX_DEPTH: usize = 256;
/// Most elements accepted.
const MAX_ELEMENTS: usize = 1 << 20;

/// Decode a protobuf `XmlNode` into start/end element events.
pub fn parse_proto_xml(bytes: &[u8], path: &Path) -> Result<Vec<AxEvent>> {
    let fail = |what: String| Error::input(path, format!("protobuf XML: {what}"));
    let mut events = Vec::new();
    let mut elements = 0usize;
    node(bytes, 0, &mut events, &mut elements).map_err(fail)?;
    if events.is_empty() {
        return Err(fail("no root element".into()));
    }
    Ok(events)
}

/// One protobuf field: its number and its payload.
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
    Fixed64,
}

/// Iterate over the fields of one message.
struct Fields<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Fields { buf, at: 0 }
    }

    fn varint(&mut self) -> std::result::Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.buf.get(self.at) else {
                return Err(format!("varint runs past the end of the message at byte {}", self.at));
            };
            self.at += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("varint longer than 10 bytes at byte {}", self.at))
    }

    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(format!("a field says {n} bytes at byte {} but the message has {} (truncated?)", self.at, self.buf.len()));
        };
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }

    /// The next field, or None at the end of the message.
    fn next_field(&mut self) -> std::result::Result<Option<(u64, Field<'a>)>, String> {
        if self.at >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Field::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| "field length does not fit in memory".to_string())?;
                Field::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                Field::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            w => return Err(format!("unsupported wire type {w} for field {number} (not a protobuf XmlNode?)")),
        };
        Ok(Some((number, field)))
    }
}

fn text(b: &[u8]) -> std::result::Result<String, String> {
    std::str::from_utf8(b).map(str::to_string).map_err(|_| "a string field is not UTF-8".to_string())
}

/// An `XmlNode`: an element (events appended) or text (ignored).
fn node(buf: &[u8], depth: usize, events: &mut Vec<AxEvent>, elements: &mut usize) -> std::result::Result<(), String> {
    let mut fields = Fields::new(buf);
    while let Some((number, field)) = fields.next_field()? {
        if let (1, Field::Bytes(b)) = (number, field) {
            element(b, depth, events, elements)?;
        }
    }
    Ok(())
}

/// An `XmlElement`: a start event with its attributes, its children, an end event.
fn element(buf: &[u8], depth: usize, events: &mut Vec<AxEvent>, elements: &mut usize) -> std::result::Result<(), String> {
    if depth >= MAX_DEPTH {
        return Err(format!("elements nested deeper than {MAX_DEPTH}"));
    }
    *elements += 1;
    if *elements > MAX_ELEMENTS {
        return Err(format!("more than {MAX_ELEMENTS} elements"));
    }
    let mut name = String::new();
    let mut attrs = Vec::new();
    let mut children: Vec<&[u8]> = Vec::new();
    let mut fields = Fields::new(buf);
    while let Some((number, field)) = fields.next_field()? {
        match (number, field) {
            (3, Field::Bytes(b)) => name = text(b)?,
            (4, Field::Bytes(b)) => attrs.push(attribute(b)?),
            (5, Field::Bytes(b)) => children.push(b),
            _ => {}
        }
    }
    if name.is_empty() {
        return Err("an element has no name".into());
    }
    events.push(AxEvent::Start { name, attrs });
    for child in children {
        node(child, depth + 1, events, elements)?;
    }
    events.push(AxEvent::End);
    Ok(())
}

/// An `XmlAttribute`. Its source text (`value`) is used when present, as
/// aapt2 writes it when compiling from source; a bundle converted from an
/// APK keeps only the compiled item, which is decoded instead.
fn attribute(buf: &[u8]) -> std::result::Result<AxAttr, String> {
    let mut ns = None;
    let mut name = String::new();
    let mut raw = String::new();
    let mut compiled = None;
    let mut fields = Fields::new(buf);
    while let Some((number, field)) = fields.next_field()? {
        match (number, field) {
            (1, Field::Bytes(b)) if !b.is_empty() => ns = Some(text(b)?),
            (2, Field::Bytes(b)) => name = text(b)?,
            (3, Field::Bytes(b)) => raw = text(b)?,
            (6, Field::Bytes(b)) => compiled = item(b)?,
            _ => {}
        }
    }
    let value = match compiled {
        Some(v) if raw.is_empty() => v,
        _ => AxValue::String(raw),
    };
    Ok(AxAttr { ns, name, value })
}

/// A compiled `Item`: a reference or a primitive; other kinds give None.
fn item(buf: &[u8]) -> std::result::Result<Option<AxValue>, String> {
    let mut out = None;
    let mut fields = Fields::new(buf);
    while let Some((number, field)) = fields.next_field()? {
        match (number, field) {
            (1, Field::Bytes(b)) => {
                if let Some(id) = varint_field(b, 2)? {
                    out = Some(AxValue::Reference(id as u32));
                }
            }
            (7, Field::Bytes(b)) => {
                let mut p = Fields::new(b);
                while let Some((n, f)) = p.next_field()? {
                    out = match (n, f) {
                        // int32 is sign-extended to 64 bits on the wire.
                        (6, Field::Varint(v)) => Some(AxValue::Int(i64::from(v as i32))),
                        (7, Field::Varint(v)) => Some(AxValue::Int(i64::from(v as u32))),
                        (8, Field::Varint(v)) => Some(AxValue::Bool(v != 0)),
                        (3, Field::Fixed32(v)) => Some(AxValue::Float(f32::from_bits(v))),
                        _ => out,
                    };
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// References followed before a string resource lookup gives up.
const MAX_REFERENCE_HOPS: usize = 8;

/// The value of string resource `id` (`0xPPTTEEEE`) in a protobuf
/// `ResourceTable` (`resources.pb`): the default configuration's value
/// (the one with an empty `Configuration`), else the first; references to
/// other resources are followed. `Ok(None)` when the table has no such
/// string.
pub fn resolve_string_pb(table: &[u8], id: u32) -> std::result::Result<Option<String>, String> {
    let mut id = id;
    for _ in 0..MAX_REFERENCE_HOPS {
        match entry_item(table, id)? {
            Some(TableItem::Text(t)) => return Ok(Some(t)),
            Some(TableItem::Reference(next)) => id = next,
            None => return Ok(None),
        }
    }
    Err(format!("resource 0x{id:08x}: more than {MAX_REFERENCE_HOPS} references in a row"))
}

/// A resource value as far as string lookup needs it.
enum TableItem {
    Text(String),
    Reference(u32),
}

/// The last field `number` of message `buf` that `pick` accepts, as `pick` reads it.
fn last_field<'a, T>(buf: &'a [u8], number: u64, pick: impl Fn(Field<'a>) -> Option<T>) -> std::result::Result<Option<T>, String> {
    let mut f = Fields::new(buf);
    let mut out = None;
    while let Some((n, v)) = f.next_field()? {
        if n == number {
            out = pick(v).or(out);
        }
    }
    Ok(out)
}

/// The last value of varint field `number` in message `buf`, if any.
fn varint_field(buf: &[u8], number: u64) -> std::result::Result<Option<u64>, String> {
    last_field(buf, number, |f| match f {
        Field::Varint(v) => Some(v),
        _ => None,
    })
}

/// The last value of length-delimited field `number` in message `buf`, if any.
fn bytes_field(buf: &[u8], number: u64) -> std::result::Result<Option<&[u8]>, String> {
    last_field(buf, number, |f| match f {
        Field::Bytes(b) => Some(b),
        _ => None,
    })
}

/// The `uint32 id = 1` of a `PackageId`, `TypeId` or `EntryId` (0 when unset).
fn id_of(buf: &[u8]) -> std::result::Result<u32, String> {
    Ok(varint_field(buf, 1)?.unwrap_or(0) as u32)
}

/// The messages in field `number` of `buf` whose id message (field 1) is `want`.
fn children_with_id(buf: &[u8], number: u64, want: u32) -> std::result::Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut f = Fields::new(buf);
    while let Some((n, v)) = f.next_field()? {
        if let (true, Field::Bytes(child)) = (n == number, v) {
            let id = match bytes_field(child, 1)? {
                Some(b) => id_of(b)?,
                None => 0,
            };
            if id == want {
                out.push(child);
            }
        }
    }
    Ok(out)
}

/// The item of resource `id` in the table, in its default configuration.
fn entry_item(table: &[u8], id: u32) -> std::result::Result<Option<TableItem>, String> {
    let (package, type_id, entry_id) = (id >> 24, (id >> 16) & 0xff, id & 0xffff);
    for p in children_with_id(table, 2, package)? {
        for t in children_with_id(p, 3, type_id)? {
            for e in children_with_id(t, 3, entry_id)? {
                let mut chosen: Option<&[u8]> = None;
                let mut f = Fields::new(e);
                while let Some((n, v)) = f.next_field()? {
                    if let (6, Field::Bytes(cv)) = (n, v) {
                        let config = bytes_field(cv, 1)?.unwrap_or_default();
                        if let Some(value) = bytes_field(cv, 2)? {
                            if config.is_empty() {
                                chosen = Some(value);
                                break;
                            }
                            chosen = chosen.or(Some(value));
                        }
                    }
                }
                if let Some(value) = chosen {
                    return value_item(value);
                }
            }
        }
    }
    Ok(None)
}

/// The string or reference a `Value` holds (its `Item`), if any.
fn value_item(value: &[u8]) -> std::result::Result<Option<TableItem>, String> {
    let mut f = Fields::new(value);
    while let Some((n, v)) = f.next_field()? {
        let (4, Field::Bytes(item)) = (n, v) else { continue };
        let mut g = Fields::new(item);
        while let Some((m, w)) = g.next_field()? {
            match (m, w) {
                (1, Field::Bytes(r)) => {
                    if let Some(id) = varint_field(r, 2)? {
                        return Ok(Some(TableItem::Reference(id as u32)));
                    }
                }
                (2..=4, Field::Bytes(s)) => {
                    let t = bytes_field(s, 1)?.unwrap_or_default();
                    return Ok(Some(TableItem::Text(text(t)?)));
                }
                _ => {}
            }
        }
    }
    Ok(None)
}
