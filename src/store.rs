//! The sled cache: extracted practices keyed by (normalized policy hash,
//! extractor version, ontology hash), so a second run on the same policy
//! skips extraction.

use crate::extract::{Extractor, Practice};
use crate::policy::PolicyDocument;
use std::path::{Path, PathBuf};

/// The platform cache folder for candor (`~/.cache/candor` on Linux).
pub fn default_cache_dir() -> PathBuf {
    dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("candor")
}

/// A hash of the shipped ontologies and rule tables, computed once (the
/// catalog digests it into every app's inputs: observation and comparison
/// read the ontologies too).
pub fn ontology_hash() -> String {
    use std::sync::OnceLock;
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [
            crate::ontology::DATA_TYPES_JSON,
            crate::ontology::ENTITIES_JSON,
            crate::ontology::PERMISSIONS_JSON,
            crate::extract::rules::RULES_JSON,
        ] {
            h.update(part.as_bytes());
        }
        h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
    })
    .clone()
}

/// Page cache of the practice store's sled database.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// Largest practice list cached for one policy (the JSON of a long real
/// policy's practices is well under 1 MB).
pub const MAX_CACHED_PRACTICES_BYTES: usize = 4 * 1024 * 1024;

/// Practices cached per policy text and extractor.
pub struct PracticeCache {
    tree: sled::Tree,
    sentences: sled::Tree,
    path: PathBuf,
}

/// Per-sentence model outputs in a sled tree (little-endian f32s).
pub struct SledSentenceCache(sled::Tree);

impl crate::extract::SentenceCache for SledSentenceCache {
    fn get(&self, key: &[u8]) -> Option<Vec<f32>> {
        let bytes = self.0.get(key).ok()??;
        if bytes.len() % 4 != 0 {
            return None;
        }
        Some(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    fn put(&self, key: &[u8], probs: &[f32]) {
        let bytes: Vec<u8> = probs.iter().flat_map(|p| p.to_le_bytes()).collect();
        let _ = self.0.insert(key, bytes);
    }
}

impl PracticeCache {
    /// Open (or create) the cache in `dir`.
    pub fn open(dir: &Path) -> crate::Result<Self> {
        let err = |e: &dyn std::fmt::Display| crate::Error::Store { path: dir.to_path_buf(), problem: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|e| err(&e))?;
        // sled's default page cache is 1 GiB; a bounded one keeps a long catalog
        // run's memory flat (entries are read once per policy or sentence).
        let db = sled::Config::new()
            .path(dir.join("practices.sled"))
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|e| err(&e))?;
        let tree = db.open_tree("practices").map_err(|e| err(&e))?;
        let sentences = db.open_tree("sentences").map_err(|e| err(&e))?;
        Ok(PracticeCache { tree, sentences, path: dir.to_path_buf() })
    }

    /// The per-sentence cache in the same database, for [`crate::extract::Extractor::use_sentence_cache`].
    pub fn sentence_cache(&self) -> std::sync::Arc<dyn crate::extract::SentenceCache> {
        std::sync::Arc::new(SledSentenceCache(self.sentences.clone()))
    }

    /// Where the cache lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cache key of a document under an extractor. The extractor's
    /// version holds digests of the ontologies and rule tables it reads,
    /// so practices cached under other phrases are not reused.
    pub fn key(doc: &PolicyDocument, extractor: &dyn Extractor) -> String {
        format!("{}|{}", doc.text_hash(), extractor.version())
    }

    /// Cached practices, if any (a corrupt entry counts as a miss).
    pub fn get(&self, key: &str) -> Option<Vec<Practice>> {
        let bytes = self.tree.get(key.as_bytes()).ok()??;
        serde_json::from_slice(&bytes).ok()
    }

    /// Store practices under `key`; a list larger than
    /// [`MAX_CACHED_PRACTICES_BYTES`] is not cached (it would be read back,
    /// whole, by sled's recovery on every later open of the cache).
    pub fn put(&self, key: &str, practices: &[Practice]) -> crate::Result<()> {
        let bytes = serde_json::to_vec(practices).map_err(|e| crate::Error::Data(e.to_string()))?;
        if bytes.len() > MAX_CACHED_PRACTICES_BYTES {
            return Ok(());
        }
        self.tree
            .insert(key.as_bytes(), bytes)
            .and_then(|_| self.tree.flush().map(|_| ()))
            .map_err(|e| crate::Error::Store { path: self.path.clone(), problem: e.to_string() })
    }
}

/// Extract through the cache: a hit skips extraction. The practices of the
/// policy's third-party SDK list ([`crate::extract::sdk_list`]) are added
/// after the extractor's, read anew each time. Returns the practices and
/// whether they came from the cache.
pub fn extract_cached(
    cache: Option<&PracticeCache>,
    extractor: &dyn Extractor,
    doc: &PolicyDocument,
) -> crate::Result<(Vec<Practice>, bool)> {
    let key = PracticeCache::key(doc, extractor);
    // The SDK list is read by rule, not cached, and added after the extractor's practices.
    let sdk_list = crate::extract::sdk_list::sdk_list_practices(doc, crate::ontology::shipped()?)?;
    if let Some(mut hit) = cache.and_then(|c| c.get(&key)) {
        hit.extend(sdk_list);
        return Ok((hit, true));
    }
    let mut practices = extractor.extract(doc)?;
    if let Some(c) = cache {
        c.put(&key, &practices)?;
        c.sentences.flush().map_err(|e| crate::Error::Store { path: c.path.clone(), problem: e.to_string() })?;
    }
    practices.extend(sdk_list);
    Ok((practices, false))
}
