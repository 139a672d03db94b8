//! The result store: a sled database in the `--store` folder holding one
//! [`AppResult`] per app id. Each result is written and flushed to disk the
//! moment its app is finished, so a run killed at any point (SIGKILL
//! included) loses at most the apps that were in flight, and a key per app
//! id means an app is never stored twice. Records are deflate-compressed
//! JSON with a SHA-256 checksum.
//!
//! Damage is reported, never read as "no record": a record whose checksum
//! does not match or that does not decode is an error naming the store and
//! the app, and so is a database that sled recovers with fewer records than
//! were written (sled stops recovering its log at the first damaged
//! message, and silently drops the rest). The number of records written is
//! kept beside the database, in `results.count`, for that check.

use super::AppResult;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The format marker kept in the store.
const STORE_FORMAT: &str = "candor-catalog-store/1";

/// Memory sled may use for its page cache (keeps RSS flat on big stores).
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Marks a deflate-compressed JSON record without a checksum (written
/// before checksums; plain JSON starts with `{`).
const DEFLATE_TAG: u8 = b'z';

/// Marks a record of a SHA-256 checksum (32 bytes) then deflate-compressed JSON.
const CHECKED_TAG: u8 = b'c';

/// Largest decompressed record read.
const MAX_RECORD_BYTES: u64 = 256 * 1024 * 1024;

/// The file beside the database holding how many records were written.
const COUNT_FILE: &str = "results.count";

/// A record as stored: a checksum, then deflate-compressed JSON (findings
/// repeat URLs and sentences, so records shrink several times).
fn encode(result: &AppResult) -> std::result::Result<Vec<u8>, String> {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let json = serde_json::to_vec(result).map_err(|e| e.to_string())?;
    let mut packed = Vec::new();
    let mut enc = flate2::write::DeflateEncoder::new(&mut packed, flate2::Compression::fast());
    enc.write_all(&json).map_err(|e| e.to_string())?;
    enc.finish().map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(33 + packed.len());
    out.push(CHECKED_TAG);
    out.extend_from_slice(&Sha256::digest(&packed));
    out.extend_from_slice(&packed);
    Ok(out)
}

/// Read a record (checked, compressed or plain JSON), or say what is wrong with it.
fn decode(bytes: &[u8]) -> std::result::Result<AppResult, String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let inflate = |packed: &[u8]| -> std::result::Result<Vec<u8>, String> {
        let mut json = Vec::new();
        flate2::read::DeflateDecoder::new(packed)
            .take(MAX_RECORD_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| format!("cannot decompress: {e}"))?;
        if json.len() as u64 > MAX_RECORD_BYTES {
            return Err(format!("decompresses to more than {MAX_RECORD_BYTES} bytes"));
        }
        Ok(json)
    };
    let json = match bytes.split_first() {
        Some((&CHECKED_TAG, rest)) => {
            if rest.len() < 32 {
                return Err("truncated (no room for its checksum)".to_string());
            }
            let (sum, packed) = rest.split_at(32);
            if Sha256::digest(packed).as_slice() != sum {
                return Err("checksum mismatch".to_string());
            }
            inflate(packed)?
        }
        Some((&DEFLATE_TAG, rest)) => inflate(rest)?,
        _ => bytes.to_vec(),
    };
    serde_json::from_slice(&json).map_err(|e| format!("not a result record: {e}"))
}

/// Per-app results of catalog runs.
pub struct ResultStore {
    db: sled::Db,
    apps: sled::Tree,
    path: PathBuf,
    /// The copy a read-only store is read from, removed when the store is dropped.
    _copy: Option<TempCopy>,
    /// Records in the store, kept in [`COUNT_FILE`] (the lock orders the file's updates).
    count: std::sync::Mutex<u64>,
}

impl ResultStore {
    /// Open (or create) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let err = |e: &dyn std::fmt::Display| Error::Store { path: dir.to_path_buf(), problem: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| err(&crate::error::describe_io(&e)))?;
        Self::open_at(dir, &dir.join("results.sled"), true)
    }

    /// Open an existing store to read it (`catalog status` and `report`).
    /// sled always opens its files for writing; when the store cannot be
    /// written (a read-only folder or file system), its database is copied
    /// to a temporary folder and read there.
    pub fn open_for_reading(dir: &Path) -> Result<Self> {
        let db = dir.join("results.sled");
        match Self::open_at(dir, &db, false) {
            Err(Error::Store { problem, .. }) if is_read_only(&problem) => {
                let copy = TempCopy::of(&db).map_err(|e| Error::Store {
                    path: dir.to_path_buf(),
                    problem: format!("{problem}; cannot copy the read-only store to read it: {e}"),
                })?;
                let mut store = Self::open_at(dir, &copy.0, false)?;
                store._copy = Some(copy);
                Ok(store)
            }
            other => other,
        }
    }

    fn open_at(dir: &Path, db_path: &Path, create: bool) -> Result<Self> {
        let err = |e: &dyn std::fmt::Display| Error::Store { path: dir.to_path_buf(), problem: describe_sled(&e.to_string()) };
        let had_data = std::fs::metadata(db_path.join("db")).is_ok_and(|m| m.len() > 0);
        let written = read_count(dir).map_err(|e| err(&e))?;
        let db = sled::Config::new()
            .path(db_path)
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|e| {
                let msg = e.to_string();
                if msg.contains("lock") || msg.contains("WouldBlock") || msg.contains("temporarily unavailable") {
                    err(&format!("{msg} (is another candor catalog run using this store?)"))
                } else {
                    err(&msg)
                }
            })?;
        let damaged = |what: String| {
            err(&format!(
                "the database is damaged: {what}; the records it still holds can not be told from the lost ones \
                 (move the store aside and run the catalog again to recompute it)"
            ))
        };
        match db.get(b"format").map_err(|e| err(&e))? {
            Some(v) if v.as_ref() != STORE_FORMAT.as_bytes() => {
                return Err(err(&format!("not a {STORE_FORMAT} store ({})", String::from_utf8_lossy(&v))));
            }
            Some(_) => {}
            None if had_data || written > 0 => {
                return Err(damaged(format!("sled recovered no format marker from {}", db_path.join("db").display())));
            }
            None if create => {
                db.insert(b"format", STORE_FORMAT.as_bytes()).map_err(|e| err(&e))?;
                db.flush().map_err(|e| err(&e))?;
            }
            None => {}
        }
        let apps = db.open_tree("apps").map_err(|e| err(&e))?;
        let held = apps.len() as u64;
        if held < written {
            return Err(damaged(format!("{written} records were written, sled recovered {held}")));
        }
        Ok(ResultStore { db, apps, path: dir.to_path_buf(), _copy: None, count: std::sync::Mutex::new(held) })
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::Store { path: self.path.clone(), problem: describe_sled(&e.to_string()) }
    }

    /// The stored result of an app; a damaged record is an error naming
    /// the store and the app.
    pub fn get(&self, app_id: &str) -> Result<Option<AppResult>> {
        let Some(bytes) = self.apps.get(app_id.as_bytes()).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        decode(&bytes).map(Some).map_err(|e| self.err(format!("the record of app {app_id:?} is damaged: {e}")))
    }

    /// Store (or replace) an app's result and flush it to disk.
    pub fn put(&self, result: &AppResult) -> Result<()> {
        let bytes = encode(result).map_err(|e| self.err(e))?;
        let new = self.apps.insert(result.app_id.as_bytes(), bytes).map_err(|e| self.err(e))?.is_none();
        self.apps.flush().map_err(|e| self.err(e))?;
        if new {
            // Counted only once the record is on disk: a run killed in
            // between leaves a count lower than the records, never higher.
            let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
            *count += 1;
            write_count(&self.path, *count).map_err(|e| self.err(format!("{COUNT_FILE}: {e}")))?;
        }
        Ok(())
    }

    /// Number of stored apps.
    pub fn len(&self) -> usize {
        self.apps.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }

    /// Every stored result, in app-id order; a damaged record is an error
    /// naming the store and the app.
    pub fn iter(&self) -> impl Iterator<Item = Result<AppResult>> + '_ {
        self.apps.iter().map(move |item| match item {
            Ok((k, v)) => decode(&v)
                .map_err(|e| self.err(format!("the record of app {:?} is damaged: {e}", String::from_utf8_lossy(&k)))),
            Err(e) => Err(self.err(e)),
        })
    }

    /// Bytes on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// Flush everything (also done after every `put`).
    pub fn flush(&self) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(|e| self.err(e))
    }
}

/// The number of records written to the store in `dir` (0 when not kept:
/// a store from before the count, or a new one).
fn read_count(dir: &Path) -> std::result::Result<u64, String> {
    match std::fs::read_to_string(dir.join(COUNT_FILE)) {
        Ok(t) => t.trim().parse().map_err(|_| format!("{COUNT_FILE} is damaged ({:?})", t.chars().take(40).collect::<String>())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(format!("{COUNT_FILE}: {}", crate::error::describe_io(&e))),
    }
}

/// Replace the record count (write a temporary file, then rename it).
fn write_count(dir: &Path, n: u64) -> std::io::Result<()> {
    let tmp = dir.join(format!("{COUNT_FILE}.tmp"));
    std::fs::write(&tmp, format!("{n}\n"))?;
    std::fs::rename(&tmp, dir.join(COUNT_FILE))
}

/// A sled error in words: its corruption error says that the database is damaged.
fn describe_sled(msg: &str) -> String {
    let msg = msg.trim_end_matches(" backtrace ()").trim_end_matches(" backtrace");
    if msg.contains("corrupted data") && !msg.starts_with("the database is damaged") {
        format!("the database is damaged ({msg})")
    } else {
        msg.to_string()
    }
}

/// True when a store's open failed because it cannot be written.
fn is_read_only(problem: &str) -> bool {
    let p = problem.to_ascii_lowercase();
    p.contains("permission denied") || p.contains("read-only file system") || p.contains("os error 30")
}

/// A copy of a sled database folder in the temporary folder, removed when dropped.
struct TempCopy(PathBuf);

impl TempCopy {
    fn of(db: &Path) -> std::io::Result<TempCopy> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let to = std::env::temp_dir().join(format!("candor-store-{}-{nanos}", std::process::id()));
        let copy = TempCopy(to.clone());
        copy_dir(db, &to)?;
        Ok(copy)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_record_is_an_error_not_a_miss() {
        let result: AppResult = serde_json::from_value(serde_json::json!({
            "app_id": "a", "status": "done", "input_hash": "h", "inputs": {}, "extractor": "x", "finished_at": 1
        }))
        .unwrap_or_else(|e| panic!("AppResult fields changed: {e}"));
        let mut bytes = encode(&result).unwrap();
        assert_eq!(decode(&bytes).unwrap().app_id, "a");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(decode(&bytes).unwrap_err(), "checksum mismatch");
        assert!(decode(&bytes[..10]).unwrap_err().contains("truncated"));
    }
}
