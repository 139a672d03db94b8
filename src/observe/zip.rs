//! A small, defensive ZIP reader for app archives (APK, AAB, XAPK, IPA).
//!
//! Only the central directory is trusted for the list of entries; each
//! entry is read on demand, through its local header, with hard limits:
//! at most [`ZipLimits::max_entries`] entries, a cap on each entry's and on
//! the whole archive's uncompressed size, and a cap on the compression
//! ratio. An entry that inflates to more than its declared size, or whose
//! CRC does not match, is refused: zip bombs and lying headers give a clear
//! error instead of filling memory. Stored and deflated entries are
//! supported (the only two methods APKs and IPAs use); ZIP64 archives are
//! read too.

use crate::error::{describe_io, Error, Result};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Limits applied while reading an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Most entries in the central directory.
    pub max_entries: usize,
    /// Largest uncompressed size of one entry that is read.
    pub max_entry_bytes: u64,
    /// Most bytes inflated from the archive, all reads together.
    pub max_total_bytes: u64,
    /// Largest uncompressed size the central directory may declare in total.
    pub max_declared_bytes: u64,
    /// Largest uncompressed:compressed ratio for entries over [`RATIO_FLOOR`] bytes.
    pub max_ratio: u64,
}

/// Entries smaller than this are not ratio-checked (tiny files compress well and harm nobody).
pub const RATIO_FLOOR: u64 = 1024 * 1024;

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 65_536,
            max_entry_bytes: 256 * 1024 * 1024,
            max_total_bytes: 1024 * 1024 * 1024,
            max_declared_bytes: 16 * 1024 * 1024 * 1024,
            max_ratio: 100,
        }
    }
}

/// Largest central directory read into memory.
const MAX_CENTRAL_DIRECTORY: u64 = 64 * 1024 * 1024;

/// One entry of the central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    /// 0 = stored, 8 = deflated.
    pub method: u16,
    flags: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    local_offset: u64,
}

impl ZipEntry {
    /// True for folder entries (`name/`).
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }
}

/// An open archive.
pub struct ZipArchive<R> {
    reader: R,
    path: PathBuf,
    entries: Vec<ZipEntry>,
    limits: ZipLimits,
    len: u64,
    /// Bytes inflated so far, shared with the archives nested in this one
    /// (an XAPK's APKs): [`ZipLimits::max_total_bytes`] bounds them all together.
    inflated: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

impl ZipArchive<std::fs::File> {
    /// Open an archive file with the default limits.
    pub fn open_file(path: &Path) -> Result<Self> {
        Self::open_file_with(path, ZipLimits::default())
    }

    /// Open an archive file with the given limits.
    pub fn open_file_with(path: &Path, limits: ZipLimits) -> Result<Self> {
        let (file, _) = crate::input::open_input(path, u64::MAX)?;
        ZipArchive::new(file, path, limits)
    }
}

impl<R: Read + Seek> ZipArchive<R> {
    /// Read the central directory; `path` names the archive in errors.
    pub fn new(mut reader: R, path: &Path, limits: ZipLimits) -> Result<Self> {
        let bad = |p: String| Error::input(path, p);
        let io = |e: std::io::Error| Error::input(path, format!("cannot read archive: {}", describe_io(&e)));
        let len = reader.seek(SeekFrom::End(0)).map_err(io)?;
        if len < 22 {
            return Err(bad(format!("not a ZIP archive: only {len} bytes (no end-of-central-directory record)")));
        }
        // The end record is in the last 22 + 65535 bytes (its comment is at most 64 KiB).
        let tail_len = len.min(22 + 65_535 + 20);
        let mut tail = vec![0u8; tail_len as usize];
        reader.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
        reader.read_exact(&mut tail).map_err(io)?;
        let eocd = (0..=tail.len() - 22)
            .rev()
            .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
            .ok_or_else(|| {
                let hint = if tail.starts_with(b"PK") || len < 4096 { "" } else { " (is this really an APK/IPA?)" };
                bad(format!("not a ZIP archive: no end-of-central-directory record{hint}"))
            })?;
        let field16 = |at: usize| u16_at(&tail, eocd + at).unwrap_or(0);
        let field32 = |at: usize| u32_at(&tail, eocd + at).unwrap_or(0);
        let mut count = field16(10) as u64;
        let mut cd_size = field32(12) as u64;
        let mut cd_offset = field32(16) as u64;
        if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
            // ZIP64: a locator sits right before the end record.
            let loc = eocd.checked_sub(20).filter(|&l| tail[l..l + 4] == [0x50, 0x4b, 0x06, 0x07]);
            if let Some(loc) = loc {
                let rec_off = u64_at(&tail, loc + 8).unwrap_or(u64::MAX);
                if rec_off.checked_add(56).is_none_or(|end| end > len) {
                    return Err(bad(format!("ZIP64 end record offset {rec_off} is outside the {len}-byte file")));
                }
                let mut rec = [0u8; 56];
                reader.seek(SeekFrom::Start(rec_off)).map_err(io)?;
                reader.read_exact(&mut rec).map_err(io)?;
                if rec[0..4] != [0x50, 0x4b, 0x06, 0x06] {
                    return Err(bad("ZIP64 end record signature is wrong (corrupt archive)".to_string()));
                }
                count = u64_at(&rec, 32).unwrap_or(0);
                cd_size = u64_at(&rec, 40).unwrap_or(0);
                cd_offset = u64_at(&rec, 48).unwrap_or(0);
            }
        }
        if count > limits.max_entries as u64 {
            return Err(bad(format!("archive lists {count} entries, over the limit of {}", limits.max_entries)));
        }
        if cd_size > MAX_CENTRAL_DIRECTORY {
            return Err(bad(format!("central directory of {cd_size} bytes is over the {MAX_CENTRAL_DIRECTORY} byte limit")));
        }
        if cd_offset.checked_add(cd_size).is_none_or(|end| end > len) {
            return Err(bad(format!(
                "central directory ({cd_size} bytes at offset {cd_offset}) lies outside the {len}-byte file (truncated archive?)"
            )));
        }
        let mut cd = vec![0u8; cd_size as usize];
        reader.seek(SeekFrom::Start(cd_offset)).map_err(io)?;
        reader.read_exact(&mut cd).map_err(io)?;
        let mut entries = Vec::with_capacity(count.min(65_536) as usize);
        let mut at = 0usize;
        let mut declared: u64 = 0;
        while at + 4 <= cd.len() && cd[at..at + 4] == [0x50, 0x4b, 0x01, 0x02] {
            if entries.len() >= limits.max_entries {
                return Err(bad(format!("archive has more than {} entries", limits.max_entries)));
            }
            let h = |off: usize| u16_at(&cd, at + off);
            let w = |off: usize| u32_at(&cd, at + off);
            let (Some(flags), Some(method), Some(crc), Some(csize), Some(usize_), Some(nlen), Some(xlen), Some(clen), Some(loff)) =
                (h(8), h(10), w(16), w(20), w(24), h(28), h(30), h(32), w(42))
            else {
                return Err(bad(format!("central directory entry {} is truncated", entries.len())));
            };
            let name_start = at + 46;
            let extra_start = name_start + nlen as usize;
            let end = extra_start + xlen as usize + clen as usize;
            let (Some(name), Some(extra)) = (cd.get(name_start..extra_start), cd.get(extra_start..extra_start + xlen as usize))
            else {
                return Err(bad(format!("central directory entry {} runs past the directory's end", entries.len())));
            };
            let mut e = ZipEntry {
                name: String::from_utf8_lossy(name).into_owned(),
                method,
                flags,
                crc32: crc,
                compressed_size: csize as u64,
                size: usize_ as u64,
                local_offset: loff as u64,
            };
            apply_zip64_extra(&mut e, extra, usize_, csize, loff);
            declared = declared.saturating_add(e.size);
            entries.push(e);
            at = end;
        }
        if (entries.len() as u64) < count {
            return Err(bad(format!(
                "central directory lists {count} entries but only {} could be read (corrupt archive)",
                entries.len()
            )));
        }
        if declared > limits.max_declared_bytes {
            return Err(bad(format!(
                "archive declares {declared} bytes uncompressed in total, over the {} byte limit (zip bomb?)",
                limits.max_declared_bytes
            )));
        }
        check_overlaps(&entries).map_err(bad)?;
        Ok(ZipArchive { reader, path: path.to_path_buf(), entries, limits, len, inflated: Default::default() })
    }

    /// Open an archive held in an entry of this one (an APK inside an
    /// XAPK): it gets this archive's limits, and its inflation counts
    /// against the same total.
    pub fn open_nested(&self, bytes: Vec<u8>, path: &Path) -> Result<ZipArchive<std::io::Cursor<Vec<u8>>>> {
        let mut inner = ZipArchive::new(std::io::Cursor::new(bytes), path, self.limits)?;
        inner.inflated = self.inflated.clone();
        Ok(inner)
    }

    /// The entries, in central-directory order.
    pub fn entries(&self) -> &[ZipEntry] {
        &self.entries
    }

    /// The index of the entry with exactly this name.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.name == name)
    }

    /// Inflate one entry, enforcing the limits.
    pub fn read(&mut self, index: usize) -> Result<Vec<u8>> {
        let path = self.path.clone();
        let Some(e) = self.entries.get(index).cloned() else {
            return Err(Error::input(&path, format!("no entry number {index}")));
        };
        let bad = |p: String| Error::input(&path, format!("entry {}: {p}", e.name));
        let io = |err: std::io::Error| Error::input(&path, format!("entry {}: cannot read: {}", e.name, describe_io(&err)));
        if e.flags & 1 != 0 {
            return Err(bad("is encrypted".to_string()));
        }
        if e.size > self.limits.max_entry_bytes {
            return Err(bad(format!("declares {} bytes uncompressed, over the {} byte limit", e.size, self.limits.max_entry_bytes)));
        }
        if e.size > RATIO_FLOOR && e.size / e.compressed_size.max(1) > self.limits.max_ratio {
            return Err(bad(format!(
                "compression ratio {}:1 ({} bytes from {}) is over the {}:1 limit (zip bomb?)",
                e.size / e.compressed_size.max(1),
                e.size,
                e.compressed_size,
                self.limits.max_ratio
            )));
        }
        let inflated = self.inflated.load(std::sync::atomic::Ordering::Relaxed);
        if inflated.saturating_add(e.size) > self.limits.max_total_bytes {
            return Err(bad(format!(
                "reading it would inflate more than {} bytes from this archive (and the archives around or inside it) in total",
                self.limits.max_total_bytes
            )));
        }
        if e.local_offset.checked_add(30).is_none_or(|end| end > self.len) {
            return Err(bad(format!("local header offset {} is outside the {}-byte file", e.local_offset, self.len)));
        }
        let mut local = [0u8; 30];
        self.reader.seek(SeekFrom::Start(e.local_offset)).map_err(io)?;
        self.reader.read_exact(&mut local).map_err(io)?;
        if local[0..4] != [0x50, 0x4b, 0x03, 0x04] {
            return Err(bad(format!("no local header at offset {} (corrupt archive)", e.local_offset)));
        }
        let skip = u16_at(&local, 26).unwrap_or(0) as u64 + u16_at(&local, 28).unwrap_or(0) as u64;
        let data_start = e.local_offset + 30 + skip;
        if data_start.checked_add(e.compressed_size).is_none_or(|end| end > self.len) {
            return Err(bad(format!(
                "{} compressed bytes at offset {data_start} run past the end of the {}-byte file (truncated archive?)",
                e.compressed_size, self.len
            )));
        }
        self.reader.seek(SeekFrom::Start(data_start)).map_err(io)?;
        let raw = (&mut self.reader).take(e.compressed_size);
        let mut out = Vec::with_capacity(e.size.min(16 * 1024 * 1024) as usize);
        let got = match e.method {
            0 => {
                if e.compressed_size != e.size {
                    return Err(bad(format!("stored entry has {} bytes but declares {}", e.compressed_size, e.size)));
                }
                raw.take(e.size + 1).read_to_end(&mut out)
            }
            8 => flate2::read::DeflateDecoder::new(raw).take(e.size + 1).read_to_end(&mut out),
            m => return Err(bad(format!("compression method {m} is not supported (only stored and deflate)"))),
        };
        got.map_err(|err| bad(format!("corrupt compressed data: {err}")))?;
        if out.len() as u64 > e.size {
            return Err(bad(format!("inflates to more than its declared {} bytes (corrupt archive or zip bomb)", e.size)));
        }
        if (out.len() as u64) < e.size {
            return Err(bad(format!("inflates to {} bytes, less than its declared {} (truncated?)", out.len(), e.size)));
        }
        let mut crc = flate2::Crc::new();
        crc.update(&out);
        if crc.sum() != e.crc32 {
            return Err(bad(format!("CRC mismatch (stored {:08x}, computed {:08x}): corrupt archive", e.crc32, crc.sum())));
        }
        self.inflated.fetch_add(out.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(out)
    }

    /// Inflate the entry with this name, if there is one.
    pub fn read_named(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        match self.find(name) {
            Some(i) => self.read(i).map(Some),
            None => Ok(None),
        }
    }
}

/// Refuse entries whose data overlap: every entry's local header (30
/// bytes at least) and compressed data must end before the next entry's
/// local header begins. Real archives never share bytes between entries;
/// a bomb does, to make one stored blob count many times.
fn check_overlaps(entries: &[ZipEntry]) -> std::result::Result<(), String> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].local_offset);
    for pair in order.windows(2) {
        let (a, b) = (&entries[pair[0]], &entries[pair[1]]);
        let a_end = a.local_offset.saturating_add(30).saturating_add(a.compressed_size);
        if b.local_offset < a_end {
            return Err(format!(
                "entries {} and {} overlap (local headers at offsets {} and {}): not a well-formed archive (zip bomb?)",
                a.name, b.name, a.local_offset, b.local_offset
            ));
        }
    }
    Ok(())
}

/// Replace 0xFFFFFFFF sizes and offsets with the values of the ZIP64 extra field.
fn apply_zip64_extra(e: &mut ZipEntry, extra: &[u8], size: u32, csize: u32, offset: u32) {
    let mut at = 0usize;
    while let (Some(id), Some(len)) = (u16_at(extra, at), u16_at(extra, at + 2)) {
        let body_start = at + 4;
        let Some(body) = extra.get(body_start..body_start + len as usize) else { return };
        if id == 0x0001 {
            let mut p = 0usize;
            if size == 0xFFFF_FFFF {
                if let Some(v) = u64_at(body, p) {
                    e.size = v;
                }
                p += 8;
            }
            if csize == 0xFFFF_FFFF {
                if let Some(v) = u64_at(body, p) {
                    e.compressed_size = v;
                }
                p += 8;
            }
            if offset == 0xFFFF_FFFF {
                if let Some(v) = u64_at(body, p) {
                    e.local_offset = v;
                }
            }
            return;
        }
        at = body_start + len as usize;
    }
}
