//! `resources.arsc`, the compiled resource table of an APK: just enough of
//! it to resolve a string resource a manifest attribute refers to
//! (`android:versionName="@string/app_version"` is stored as the reference
//! `0x7f0e0001`), the way aapt does: the default configuration's value
//! when there is one, else the first configuration that has the entry.
//!
//! Every offset and size is checked against the bytes; a malformed table is
//! an `Err` naming the problem, never a panic. Chunk walking advances by
//! each chunk's size (at least its 8-byte header), so it always ends.

use super::axml::{rd16, rd32, StringPool};

const RES_STRING_POOL_TYPE: u16 = 0x0001;
const RES_TABLE_TYPE: u16 = 0x0002;
const RES_TABLE_PACKAGE_TYPE: u16 = 0x0200;
const RES_TABLE_TYPE_TYPE: u16 = 0x0201;

const FLAG_SPARSE: u8 = 0x01;
const FLAG_OFFSET16: u8 = 0x02;
const ENTRY_FLAG_COMPLEX: u16 = 0x0001;
const ENTRY_FLAG_COMPACT: u16 = 0x0008;

const TYPE_REFERENCE: u8 = 0x01;
const TYPE_STRING: u8 = 0x03;

/// References followed before giving up (a reference to a reference...).
const MAX_REFERENCE_DEPTH: usize = 8;

/// One chunk: its type, header size and bytes (header included).
struct Chunk<'a> {
    kind: u16,
    header: usize,
    bytes: &'a [u8],
}

/// The chunks in `data` one after another.
fn chunks(data: &[u8]) -> Result<Vec<Chunk<'_>>, String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= data.len() {
        let (kind, header, size) = (rd16(data, at), rd16(data, at + 2), rd32(data, at + 4));
        let (Some(kind), Some(header), Some(size)) = (kind, header, size) else { break };
        let (header, size) = (header as usize, size as usize);
        if size < 8 || header < 8 || header > size || at.checked_add(size).is_none_or(|end| end > data.len()) {
            return Err(format!("chunk at byte {at} has a bogus size ({size} bytes, header {header})"));
        }
        out.push(Chunk { kind, header, bytes: &data[at..at + size] });
        at += size;
    }
    Ok(out)
}

/// The string value of resource `id`, following references; `Ok(None)`
/// when the table has no such entry or the value is not a string.
pub fn resolve_string(table: &[u8], id: u32) -> Result<Option<String>, String> {
    let top = chunks(table)?;
    let Some(root) = top.first().filter(|c| c.kind == RES_TABLE_TYPE) else {
        return Err("not a resource table (first chunk is not RES_TABLE_TYPE)".into());
    };
    let inner = chunks(&root.bytes[root.header..])?;
    let Some(pool_chunk) = inner.iter().find(|c| c.kind == RES_STRING_POOL_TYPE) else {
        return Err("no global string pool".into());
    };
    let mut pool = StringPool::parse(pool_chunk.bytes, pool_chunk.header)?;
    let packages: Vec<&Chunk> = inner.iter().filter(|c| c.kind == RES_TABLE_PACKAGE_TYPE).collect();
    let mut id = id;
    for _ in 0..MAX_REFERENCE_DEPTH {
        let Some((kind, data)) = value_of(&packages, id)? else { return Ok(None) };
        match kind {
            TYPE_STRING => return pool.get(data).map(Some),
            TYPE_REFERENCE if data != 0 => id = data,
            _ => return Ok(None),
        }
    }
    Err(format!("resource 0x{id:08x}: references nest more than {MAX_REFERENCE_DEPTH} deep"))
}

/// (value type, value data) of entry `id` in the default configuration, or
/// the first configuration that has it.
fn value_of(packages: &[&Chunk], id: u32) -> Result<Option<(u8, u32)>, String> {
    let (package_id, type_id, entry) = (id >> 24, ((id >> 16) & 0xff) as u8, (id & 0xffff) as usize);
    for package in packages {
        if rd32(package.bytes, 8) != Some(package_id) {
            continue;
        }
        let mut found: Option<(u8, u32)> = None;
        for chunk in chunks(&package.bytes[package.header..])? {
            if chunk.kind != RES_TABLE_TYPE_TYPE || chunk.bytes.get(8) != Some(&type_id) {
                continue;
            }
            let Some(value) = entry_value(&chunk, entry)? else { continue };
            if is_default_config(&chunk) {
                return Ok(Some(value));
            }
            found.get_or_insert(value);
        }
        return Ok(found);
    }
    Ok(None)
}

/// True when the chunk's ResTable_config is all zeros after its size field.
fn is_default_config(chunk: &Chunk) -> bool {
    let Some(size) = rd32(chunk.bytes, 20) else { return false };
    let end = (20 + size as usize).min(chunk.header);
    chunk.bytes.get(24..end).is_some_and(|c| c.iter().all(|&b| b == 0))
}

/// The value of entry `index` in one type chunk, if present and simple.
fn entry_value(chunk: &Chunk, index: usize) -> Result<Option<(u8, u32)>, String> {
    let b = chunk.bytes;
    let bad = |what: &str| format!("type chunk {}: {what}", b.get(8).copied().unwrap_or(0));
    let flags = *b.get(9).ok_or_else(|| bad("truncated header"))?;
    let count = rd32(b, 12).ok_or_else(|| bad("truncated header"))? as usize;
    let entries_start = rd32(b, 16).ok_or_else(|| bad("truncated header"))? as usize;
    let offsets = chunk.header;
    let offset = if flags & FLAG_SPARSE != 0 {
        // (entry index, offset / 4) pairs, sorted by index.
        (0..count)
            .map_while(|k| Some((rd16(b, offsets + k * 4)?, rd16(b, offsets + k * 4 + 2)?)))
            .find(|&(i, _)| i as usize == index)
            .map(|(_, o)| o as usize * 4)
    } else if index >= count {
        None
    } else if flags & FLAG_OFFSET16 != 0 {
        let o = rd16(b, offsets + index * 2).ok_or_else(|| bad("offset table runs past the chunk"))?;
        (o != 0xffff).then_some(o as usize * 4)
    } else {
        let o = rd32(b, offsets + index * 4).ok_or_else(|| bad("offset table runs past the chunk"))?;
        (o != 0xffff_ffff).then_some(o as usize)
    };
    let Some(offset) = offset else { return Ok(None) };
    let at = entries_start.checked_add(offset).ok_or_else(|| bad("entry offset overflows"))?;
    let size = rd16(b, at).ok_or_else(|| bad("entry outside the chunk"))? as usize;
    let entry_flags = rd16(b, at + 2).ok_or_else(|| bad("entry outside the chunk"))?;
    if entry_flags & ENTRY_FLAG_COMPACT != 0 {
        // Compact entry: the value's type is the high byte of the flags.
        let data = rd32(b, at + 4).ok_or_else(|| bad("entry outside the chunk"))?;
        return Ok(Some(((entry_flags >> 8) as u8, data)));
    }
    if entry_flags & ENTRY_FLAG_COMPLEX != 0 {
        return Ok(None);
    }
    let value = at.checked_add(size).ok_or_else(|| bad("entry size overflows"))?;
    let kind = *b.get(value + 3).ok_or_else(|| bad("value outside the chunk"))?;
    let data = rd32(b, value + 4).ok_or_else(|| bad("value outside the chunk"))?;
    Ok(Some((kind, data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16le(v: u16) -> [u8; 2] {
        v.to_le_bytes()
    }
    fn u32le(v: u32) -> [u8; 4] {
        v.to_le_bytes()
    }

    /// A UTF-8 string pool chunk.
    fn pool(strings: &[&str]) -> Vec<u8> {
        let mut data = Vec::new();
        let mut offsets = Vec::new();
        for s in strings {
            offsets.push(data.len() as u32);
            data.push(s.chars().count() as u8);
            data.push(s.len() as u8);
            data.extend_from_slice(s.as_bytes());
            data.push(0);
        }
        while data.len() % 4 != 0 {
            data.push(0);
        }
        let header = 28usize;
        let strings_start = header + 4 * strings.len();
        let mut c = Vec::new();
        c.extend(u16le(RES_STRING_POOL_TYPE));
        c.extend(u16le(header as u16));
        c.extend(u32le((strings_start + data.len()) as u32));
        c.extend(u32le(strings.len() as u32));
        c.extend(u32le(0));
        c.extend(u32le(0x100)); // UTF-8
        c.extend(u32le(strings_start as u32));
        c.extend(u32le(0));
        for o in offsets {
            c.extend(u32le(o));
        }
        c.extend(data);
        c
    }

    /// A type chunk with one configuration (`language` "fr" when not default)
    /// holding simple values.
    fn type_chunk(type_id: u8, default: bool, values: &[Option<(u8, u32)>]) -> Vec<u8> {
        let mut config = vec![0u8; 64];
        config[..4].copy_from_slice(&u32le(64));
        if !default {
            config[8] = b'f';
            config[9] = b'r';
        }
        let header = 20 + config.len();
        let entries_start = header + 4 * values.len();
        let mut offsets = Vec::new();
        let mut entries = Vec::new();
        for v in values {
            match v {
                None => offsets.extend(u32le(0xffff_ffff)),
                Some((kind, data)) => {
                    offsets.extend(u32le(entries.len() as u32));
                    entries.extend(u16le(8));
                    entries.extend(u16le(0));
                    entries.extend(u32le(0));
                    entries.extend(u16le(8));
                    entries.push(0);
                    entries.push(*kind);
                    entries.extend(u32le(*data));
                }
            }
        }
        let mut c = Vec::new();
        c.extend(u16le(RES_TABLE_TYPE_TYPE));
        c.extend(u16le(header as u16));
        c.extend(u32le((entries_start + entries.len()) as u32));
        c.push(type_id);
        c.push(0);
        c.extend(u16le(0));
        c.extend(u32le(values.len() as u32));
        c.extend(u32le(entries_start as u32));
        c.extend(config);
        c.extend(offsets);
        c.extend(entries);
        c
    }

    fn table(types: &[Vec<u8>], strings: &[&str]) -> Vec<u8> {
        let header = 288usize;
        let body: Vec<u8> = types.concat();
        let mut package = Vec::new();
        package.extend(u16le(RES_TABLE_PACKAGE_TYPE));
        package.extend(u16le(header as u16));
        package.extend(u32le((header + body.len()) as u32));
        package.extend(u32le(0x7f));
        package.resize(header, 0);
        package.extend(body);
        let global = pool(strings);
        let mut t = Vec::new();
        t.extend(u16le(RES_TABLE_TYPE));
        t.extend(u16le(12));
        t.extend(u32le((12 + global.len() + package.len()) as u32));
        t.extend(u32le(1));
        t.extend(global);
        t.extend(package);
        t
    }

    #[test]
    fn resolves_strings_prefers_the_default_config_and_follows_references() {
        let strings = ["2.4.1-fr", "2.4.1", "Shop"];
        let t = table(
            &[
                type_chunk(3, false, &[Some((TYPE_STRING, 0))]),
                type_chunk(3, true, &[Some((TYPE_STRING, 1)), None, Some((TYPE_REFERENCE, 0x7f03_0003))]),
                type_chunk(3, true, &[None, None, None, Some((TYPE_STRING, 2))]),
            ],
            &strings,
        );
        assert_eq!(resolve_string(&t, 0x7f03_0000).unwrap().as_deref(), Some("2.4.1"));
        assert_eq!(resolve_string(&t, 0x7f03_0001).unwrap(), None, "no entry");
        assert_eq!(resolve_string(&t, 0x7f03_0002).unwrap().as_deref(), Some("Shop"), "reference followed");
        assert_eq!(resolve_string(&t, 0x7f04_0000).unwrap(), None, "other type");
        assert_eq!(resolve_string(&t, 0x0103_0000).unwrap(), None, "other package");
    }

    #[test]
    fn hostile_tables_are_errors_not_panics() {
        let good = table(&[type_chunk(3, true, &[Some((TYPE_STRING, 0))])], &["1.0"]);
        // Every truncation and a few corruptions: never a panic.
        for cut in 0..good.len() {
            let _ = resolve_string(&good[..cut], 0x7f03_0000);
        }
        for at in (0..good.len()).step_by(3) {
            for v in [0x00, 0xff, 0x7f] {
                let mut bad = good.clone();
                bad[at] = v;
                let _ = resolve_string(&bad, 0x7f03_0000);
            }
        }
        assert!(resolve_string(b"junk junk junk", 0x7f03_0000).is_err());
        // A self-reference loop ends.
        let looped = table(&[type_chunk(3, true, &[Some((TYPE_REFERENCE, 0x7f03_0000))])], &["x"]);
        assert!(resolve_string(&looped, 0x7f03_0000).is_err());
    }
}
