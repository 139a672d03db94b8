//! The NLP extractor: a fine-tuned all-MiniLM-L6-v2 encoder with a
//! multi-label head that reads each sentence and says whether it states a
//! data practice, who the actor is, which actions, whether it is negated,
//! and which data groups it names. [`decode`] turns those per-sentence
//! predictions into [`Practice`]s using the ontologies for the exact data
//! types and organizations the sentence names.
//!
//! Files in the model folder: `config.json` (BERT config),
//! `model.safetensors` (encoder + head, f16), `tokenizer.json`,
//! `labels.json` ([`LabelSpace`]).

pub mod decode;
pub mod encoder;
pub mod fast_gelu;
pub mod head;
pub mod labels;
pub mod tokenize;

use crate::extract::{Extractor, Practice};
use crate::ontology::Ontologies;
use crate::policy::PolicyDocument;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use encoder::{BertEncoder, Kernels};
use head::Head;
pub use labels::LabelSpace;
use std::path::{Path, PathBuf};
use tokenize::SentenceTokenizer;

/// Sentences per encoder batch.
pub const BATCH_SIZE: usize = 32;

/// Most word pieces (padding included) in one batch: long sentences go in
/// smaller batches, so the attention tensors of two batches in flight stay
/// small (peak RSS) while short sentences still fill [`BATCH_SIZE`].
pub const BATCH_TOKENS: usize = 1024;

/// Split `order` (indices into `texts`, sorted by length) into batches of
/// at most [`BATCH_SIZE`] sentences and about [`BATCH_TOKENS`] padded word
/// pieces, estimating a sentence's word pieces from its bytes (~4 per piece).
fn length_batches<'a>(order: &'a [usize], texts: &[&str]) -> Vec<&'a [usize]> {
    let pieces = |i: usize| (texts[i].len() / 4 + 2).min(tokenize::MAX_TOKENS);
    let mut out = Vec::new();
    let mut start = 0;
    for end in 1..=order.len() {
        // Sorted ascending, so the last sentence is the longest of the batch.
        let rows = end - start;
        if rows == BATCH_SIZE || end == order.len() || (rows + 1) * pieces(order[end]) > BATCH_TOKENS {
            out.push(&order[start..end]);
            start = end;
        }
    }
    out
}

/// The folder of the shipped model, relative to the repository root.
pub const DEFAULT_MODEL_DIR: &str = "models/candor-minilm";

/// Where to find the model: `$CANDOR_MODEL_DIR`, then `models/candor-minilm`
/// under the current directory, then beside the executable's repository
/// (`target/release/../../models/...`), then the source tree it was built from.
pub fn locate_model_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("CANDOR_MODEL_DIR") {
        return Some(PathBuf::from(dir));
    }
    let mut candidates = vec![PathBuf::from(DEFAULT_MODEL_DIR)];
    if let Ok(exe) = std::env::current_exe() {
        for anc in exe.ancestors().skip(1).take(4) {
            candidates.push(anc.join(DEFAULT_MODEL_DIR));
        }
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_MODEL_DIR));
    candidates.into_iter().find(|c| c.join("model.safetensors").is_file())
}

/// Make candle run each tensor op on the calling thread (unless
/// `CANDLE_NUM_THREADS` is set): [`SentenceClassifier::predict`] runs whole
/// batches in parallel instead, which on 2 cores encodes ~1.5x more sentences
/// per second than splitting every small op across threads and leaves no
/// spinning pool threads behind. Call it first thing in `main`, before any
/// thread starts, because it sets an environment variable candle reads once.
pub fn single_threaded_ops() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}

/// Encoder + head, loaded for inference.
pub struct SentenceClassifier {
    bert: BertEncoder,
    head: Head,
    tokenizer: SentenceTokenizer,
    pub labels: LabelSpace,
    device: Device,
}

fn model_err(e: candle_core::Error) -> crate::Error {
    crate::Error::Model(e.to_string())
}

impl SentenceClassifier {
    /// Load the model folder (weights memory-mapped).
    pub fn load(dir: &Path) -> crate::Result<Self> {
        let device = Device::Cpu;
        let config_path = dir.join("config.json");
        let config: Config = serde_json::from_str(
            &std::fs::read_to_string(&config_path)
                .map_err(|e| crate::Error::Model(format!("{}: {e}", config_path.display())))?,
        )
        .map_err(|e| crate::Error::Model(format!("{}: {e}", config_path.display())))?;
        let labels = LabelSpace::load(&dir.join("labels.json"))?;
        let weights = dir.join("model.safetensors");
        if !weights.is_file() {
            return Err(crate::Error::Model(format!("{}: no such file", weights.display())));
        }
        // SAFETY: the weights file is opened read-only and not modified while mapped.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device) }.map_err(model_err)?;
        let bert = BertEncoder::load(vb.clone(), &config, Kernels::Inference).map_err(model_err)?;
        let head = Head::load(vb.pp("head"), config.hidden_size, labels.len()).map_err(model_err)?;
        let tokenizer = SentenceTokenizer::load(&dir.join("tokenizer.json"))?;
        Ok(SentenceClassifier { bert, head, tokenizer, labels, device })
    }

    /// The tokenizer (for token counts in benchmarks).
    pub fn tokenizer(&self) -> &SentenceTokenizer {
        &self.tokenizer
    }

    /// Label probabilities for each text, in input order. Texts are sorted
    /// by length into batches so padding stays small.
    pub fn predict(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        // Batches run side by side on rayon's threads, each op single-threaded
        // (see [`single_threaded_ops`]): on small batches that beats splitting
        // every op across threads.
        use rayon::prelude::*;
        let chunks = length_batches(&order, texts);
        let batches: Vec<Vec<Vec<f32>>> = chunks
            .par_iter()
            .map(|chunk| {
                let batch_texts: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
                self.predict_batch(&batch_texts)
            })
            .collect::<crate::Result<_>>()?;
        let mut out = vec![Vec::new(); texts.len()];
        for (chunk, probs) in chunks.iter().zip(batches) {
            for (&i, p) in chunk.iter().zip(probs) {
                out[i] = p;
            }
        }
        Ok(out)
    }

    /// Probabilities for one batch exactly as given (no sorting); for benchmarks.
    pub fn predict_unsorted(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
        self.predict_batch(texts)
    }

    /// Mean-pooled final hidden states (batch, hidden) of one batch, as the head sees them.
    pub fn pooled(&self, texts: &[&str]) -> crate::Result<Tensor> {
        let batch = self.tokenizer.encode_batch(texts, &self.device)?;
        let hidden = self.bert.forward(&batch.input_ids, &batch.type_ids, &batch.mask).map_err(model_err)?;
        encoder::mean_pool(&hidden, &batch.mask).map_err(model_err)
    }

    fn predict_batch(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
        let batch = self.tokenizer.encode_batch(texts, &self.device)?;
        let hidden = self.bert.forward(&batch.input_ids, &batch.type_ids, &batch.mask).map_err(model_err)?;
        let pooled = encoder::mean_pool(&hidden, &batch.mask).map_err(model_err)?;
        let logits = self.head.forward(&pooled).map_err(model_err)?;
        let probs = candle_nn::ops::sigmoid(&logits).map_err(model_err)?;
        probs.to_dtype(DType::F32).and_then(|p: Tensor| p.to_vec2::<f32>()).map_err(model_err)
    }
}

/// The default extractor: the model plus the ontologies for decoding.
pub struct ModelExtractor {
    classifier: SentenceClassifier,
    ontologies: &'static Ontologies,
    sentence_cache: Option<std::sync::Arc<dyn crate::extract::SentenceCache>>,
}

impl ModelExtractor {
    /// Load the model from `dir`.
    pub fn load(dir: &Path, ontologies: &'static Ontologies) -> crate::Result<Self> {
        Ok(ModelExtractor { classifier: SentenceClassifier::load(dir)?, ontologies, sentence_cache: None })
    }

    /// Wrap a loaded classifier.
    pub fn from_classifier(classifier: SentenceClassifier, ontologies: &'static Ontologies) -> Self {
        ModelExtractor { classifier, ontologies, sentence_cache: None }
    }

    /// The classifier inside.
    pub fn classifier(&self) -> &SentenceClassifier {
        &self.classifier
    }

    /// The sentence-cache key of a text: model version and text.
    fn cache_key(&self, text: &str) -> Vec<u8> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.classifier.labels.version.as_bytes());
        h.update([0u8]);
        h.update(text.as_bytes());
        h.finalize().to_vec()
    }

    /// Label probabilities of sentences, through the sentence cache when
    /// one is set. A text that occurs more than once is read once.
    fn predict_cached(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
        let cache = self.sentence_cache.as_deref();
        let keys: Vec<Vec<u8>> = texts.iter().map(|t| self.cache_key(t)).collect();
        let width = self.classifier.labels.len();
        let mut out: Vec<Option<Vec<f32>>> =
            keys.iter().map(|k| cache.and_then(|c| c.get(k)).filter(|p| p.len() == width)).collect();
        // First occurrence of each missing text, and where every copy goes.
        let mut first: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
        let mut missing: Vec<usize> = Vec::new();
        let mut copies: Vec<(usize, usize)> = Vec::new();
        for i in (0..texts.len()).filter(|&i| out[i].is_none()) {
            match first.get(keys[i].as_slice()) {
                Some(&j) => copies.push((i, j)),
                None => {
                    first.insert(&keys[i], i);
                    missing.push(i);
                }
            }
        }
        if !missing.is_empty() {
            let miss_texts: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            for (&i, p) in missing.iter().zip(self.classifier.predict(&miss_texts)?) {
                if let Some(c) = cache {
                    c.put(&keys[i], &p);
                }
                out[i] = Some(p);
            }
            for (i, j) in copies {
                out[i] = out[j].clone();
            }
        }
        Ok(out.into_iter().map(|p| p.unwrap_or_default()).collect())
    }

    /// The sentences of a policy the model reads (those that may state a
    /// practice), each with the text the model reads for it: a list item
    /// under a lead-in that ends in a colon ("we collect the following
    /// personal data:") is read together with its lead-in, so "Date of
    /// birth" is read as what the lead-in says is collected.
    fn candidates(doc: &PolicyDocument) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for i in 0..doc.sentences.len() {
            let s = &doc.sentences[i];
            let text = match lead_in_of(doc, i) {
                Some(j) if doc.sentences[j].text.trim_end().ends_with(':') => format!("{} {}", doc.sentences[j].text, s.text),
                _ => s.text.clone(),
            };
            if decode::may_state_practice(&text) {
                out.push((i, text));
            }
        }
        out
    }
}

/// The kind of block sentence `i` stands in.
fn block_of(doc: &PolicyDocument, i: usize) -> crate::policy::BlockKind {
    doc.sections.get(doc.sentences[i].section).map_or(crate::policy::BlockKind::Paragraph, |s| s.kind)
}

/// For a list item, the nearest sentence above its list (its lead-in).
fn lead_in_of(doc: &PolicyDocument, i: usize) -> Option<usize> {
    use crate::policy::BlockKind::ListItem;
    if block_of(doc, i) != ListItem {
        return None;
    }
    (0..i).rev().find(|&j| block_of(doc, j) != ListItem)
}

impl Extractor for ModelExtractor {
    fn name(&self) -> &str {
        "model"
    }

    /// The model's version, a digest of its decision thresholds (which
    /// `candor tune` may change without retraining), the decoding rules'
    /// revision, the prefilter's rule tables and the ontologies (whose
    /// phrases give the data types and recipients): anything that changes
    /// the practices of a sentence.
    fn version(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for t in &self.classifier.labels.thresholds {
            h.update(t.to_le_bytes());
        }
        let h = h.finalize();
        format!(
            "model:{}+t{:02x}{:02x}{:02x}{:02x}+d{}+r{}+s{}+o{}",
            self.classifier.labels.version,
            h[0],
            h[1],
            h[2],
            h[3],
            decode::REVISION,
            crate::extract::rules::rules_digest(),
            crate::ontology::short_digest(&[crate::extract::statement::STATEMENTS_JSON]),
            self.ontologies.digest()
        )
    }

    fn use_sentence_cache(&mut self, cache: std::sync::Arc<dyn crate::extract::SentenceCache>) {
        self.sentence_cache = Some(cache);
    }

    fn prepare(&self, docs: &[&PolicyDocument]) -> crate::Result<()> {
        if self.sentence_cache.is_none() {
            return Ok(());
        }
        let candidates: Vec<String> = docs.iter().flat_map(|d| Self::candidates(d).into_iter().map(|(_, t)| t)).collect();
        let texts: Vec<&str> = candidates.iter().map(String::as_str).collect();
        self.predict_cached(&texts).map(|_| ())
    }

    fn extract(&self, doc: &PolicyDocument) -> crate::Result<Vec<Practice>> {
        let candidates = Self::candidates(doc);
        let texts: Vec<&str> = candidates.iter().map(|(_, t)| t.as_str()).collect();
        let probs = self.predict_cached(&texts)?;
        let mut practices = Vec::new();
        for ((i, _), p) in candidates.iter().zip(&probs) {
            let i = *i;
            let lead_in = lead_in_of(doc, i).map(|j| (&doc.sentences[j], j.checked_sub(1).map(|k| &doc.sentences[k])));
            let following = &doc.sentences[(i + 1).min(doc.sentences.len())..(i + 6).min(doc.sentences.len())];
            let context = decode::SentenceContext {
                block: block_of(doc, i),
                previous: i.checked_sub(1).map(|j| &doc.sentences[j]),
                lead_in,
                following,
                before: &doc.sentences[i.saturating_sub(12)..i],
            };
            practices.extend(decode::practices(&doc.sentences[i], &context, p, &self.classifier.labels, self.ontologies));
        }
        Ok(practices)
    }
}
