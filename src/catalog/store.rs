//! The result store: a sled database in the `--store` folder holding one
//! [`AppResult`] per app id. Each result is written and flushed to disk the
//! moment its app is finished, so a run killed at any point (SIGKILL
//! included) loses at most the apps that were in flight, and a key per app
//! id means an app is never stored twice. Records are deflate-compressed JSON.

use super::AppResult;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The format marker kept in the store.
const STORE_FORMAT: &str = "candor-catalog-store/1";

/// Memory sled may use for its page cache (keeps RSS flat on big stores).
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Marks a deflate-compressed JSON record (plain JSON starts with `{`).
const DEFLATE_TAG: u8 = b'z';

/// A record as stored: deflate-compressed JSON (findings repeat URLs and
/// sentences, so records shrink several times).
fn encode(result: &AppResult) -> std::result::Result<Vec<u8>, String> {
    use std::io::Write;
    let json = serde_json::to_vec(result).map_err(|e| e.to_string())?;
    let mut out = vec![DEFLATE_TAG];
    let mut enc = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::fast());
    enc.write_all(&json).map_err(|e| e.to_string())?;
    enc.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Read a record (compressed or plain JSON); `None` when it is unreadable.
fn decode(bytes: &[u8]) -> Option<AppResult> {
    use std::io::Read;
    match bytes.split_first() {
        Some((&DEFLATE_TAG, rest)) => {
            let mut json = Vec::new();
            flate2::read::DeflateDecoder::new(rest).take(256 * 1024 * 1024).read_to_end(&mut json).ok()?;
            serde_json::from_slice(&json).ok()
        }
        _ => serde_json::from_slice(bytes).ok(),
    }
}

/// Per-app results of catalog runs.
pub struct ResultStore {
    db: sled::Db,
    apps: sled::Tree,
    path: PathBuf,
}

impl ResultStore {
    /// Open (or create) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let err = |e: &dyn std::fmt::Display| Error::Store { path: dir.to_path_buf(), problem: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| err(&crate::error::describe_io(&e)))?;
        let db = sled::Config::new()
            .path(dir.join("results.sled"))
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
        match db.get(b"format").map_err(|e| err(&e))? {
            Some(v) if v.as_ref() != STORE_FORMAT.as_bytes() => {
                return Err(err(&format!("not a {STORE_FORMAT} store ({})", String::from_utf8_lossy(&v))));
            }
            Some(_) => {}
            None => {
                db.insert(b"format", STORE_FORMAT.as_bytes()).map_err(|e| err(&e))?;
            }
        }
        let apps = db.open_tree("apps").map_err(|e| err(&e))?;
        Ok(ResultStore { db, apps, path: dir.to_path_buf() })
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::Store { path: self.path.clone(), problem: e.to_string() }
    }

    /// The stored result of an app (an unreadable entry counts as absent,
    /// so the app is recomputed).
    pub fn get(&self, app_id: &str) -> Result<Option<AppResult>> {
        let Some(bytes) = self.apps.get(app_id.as_bytes()).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        Ok(decode(&bytes))
    }

    /// Store (or replace) an app's result and flush it to disk.
    pub fn put(&self, result: &AppResult) -> Result<()> {
        let bytes = encode(result).map_err(|e| self.err(e))?;
        self.apps.insert(result.app_id.as_bytes(), bytes).map_err(|e| self.err(e))?;
        self.apps.flush().map_err(|e| self.err(e))?;
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

    /// Every stored result, in app-id order; unreadable entries are skipped.
    pub fn iter(&self) -> impl Iterator<Item = Result<AppResult>> + '_ {
        self.apps.iter().filter_map(move |item| match item {
            Ok((_, v)) => decode(&v).map(Ok),
            Err(e) => Some(Err(self.err(e))),
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
