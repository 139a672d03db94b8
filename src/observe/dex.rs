//! Dalvik executable (DEX) reader: just enough to list the classes a DEX
//! file defines (header -> class_defs -> type_ids -> string_ids -> string
//! data), for SDK detection. Every offset, size and index is checked
//! against the file; a truncated or bogus file gives a clear error.

use crate::error::{Error, Result};
use std::path::Path;

/// Longest class descriptor read.
const MAX_DESCRIPTOR_BYTES: usize = 4096;
/// Size of the DEX header.
const HEADER_SIZE: usize = 0x70;
const ENDIAN_CONSTANT: u32 = 0x1234_5678;

fn rd32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// True when the bytes start like a DEX file.
pub fn is_dex(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[0..4] == b"dex\n" && bytes[7] == 0
}

/// The descriptors (`Lcom/example/Foo;`) of the classes a DEX file defines.
pub fn class_descriptors(bytes: &[u8], path: &Path) -> Result<Vec<String>> {
    let fail = |p: String| Error::input(path, format!("DEX: {p}"));
    if !is_dex(bytes) {
        return Err(fail("not a DEX file (bad magic)".into()));
    }
    if bytes.len() < HEADER_SIZE {
        return Err(fail(format!("only {} bytes, shorter than the {HEADER_SIZE}-byte header (truncated)", bytes.len())));
    }
    let h = |at: usize| rd32(bytes, at).unwrap_or(0) as usize;
    let file_size = h(32);
    if rd32(bytes, 40) != Some(ENDIAN_CONSTANT) {
        return Err(fail("byte order is not little-endian (unsupported endian tag)".into()));
    }
    if file_size > bytes.len() {
        return Err(fail(format!("header says {file_size} bytes but only {} are there (truncated)", bytes.len())));
    }
    let dex = &bytes[..file_size.max(HEADER_SIZE)];
    let table = |name: &str, count: usize, off: usize, item: usize| -> Result<()> {
        match count.checked_mul(item).and_then(|n| n.checked_add(off)) {
            Some(end) if count == 0 || end <= dex.len() => Ok(()),
            _ => Err(fail(format!("{name} table ({count} items at offset {off}) lies outside the {}-byte file", dex.len()))),
        }
    };
    let (strings_n, strings_off) = (h(56), h(60));
    let (types_n, types_off) = (h(64), h(68));
    let (classes_n, classes_off) = (h(96), h(100));
    table("string_ids", strings_n, strings_off, 4)?;
    table("type_ids", types_n, types_off, 4)?;
    table("class_defs", classes_n, classes_off, 32)?;
    let mut out = Vec::with_capacity(classes_n.min(1 << 16));
    for i in 0..classes_n {
        let class_idx = rd32(dex, classes_off + i * 32).unwrap_or(u32::MAX) as usize;
        if class_idx >= types_n {
            return Err(fail(format!("class_def {i} names type {class_idx}, past the {types_n} type ids")));
        }
        let desc_idx = rd32(dex, types_off + class_idx * 4).unwrap_or(u32::MAX) as usize;
        if desc_idx >= strings_n {
            return Err(fail(format!("type {class_idx} names string {desc_idx}, past the {strings_n} string ids")));
        }
        let data_off = rd32(dex, strings_off + desc_idx * 4).unwrap_or(u32::MAX) as usize;
        let s = string_at(dex, data_off)
            .ok_or_else(|| fail(format!("string {desc_idx} at offset {data_off} is outside the file or unterminated")))?;
        out.push(s);
    }
    Ok(out)
}

/// A `string_data_item`: ULEB128 length (UTF-16 units), then MUTF-8 bytes up to a NUL.
fn string_at(dex: &[u8], off: usize) -> Option<String> {
    let mut at = off;
    // Skip the ULEB128 length (at most 5 bytes).
    for _ in 0..5 {
        let b = *dex.get(at)?;
        at += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    let rest = dex.get(at..)?;
    let end = rest.iter().take(MAX_DESCRIPTOR_BYTES).position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// `Lcom/example/Foo$Bar;` -> `com.example.Foo$Bar`.
pub fn descriptor_to_java(desc: &str) -> String {
    desc.strip_prefix('L').unwrap_or(desc).trim_end_matches(';').replace('/', ".")
}
