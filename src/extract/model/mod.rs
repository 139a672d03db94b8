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

/// Folder name of the Chinese model, beside the English one in `models/`.
pub const CHINESE_MODEL_DIR_NAME: &str = "candor-e5-zh";

/// The Chinese model folder: `CANDOR_ZH_MODEL_DIR` when set, else
/// `candor-e5-zh` beside the English model folder, when it holds weights.
pub fn locate_chinese_model_dir(english: &Path) -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("CANDOR_ZH_MODEL_DIR") {
        return Some(PathBuf::from(dir));
    }
    let dir = english.parent()?.join(CHINESE_MODEL_DIR_NAME);
    dir.join("model.safetensors").is_file().then_some(dir)
}

/// The default extractor: the models plus the ontologies for decoding.
/// English sentences go to the English model; Chinese ones to the Chinese
/// model when there is one (else to the English model too).
pub struct ModelExtractor {
    classifier: SentenceClassifier,
    chinese: Option<SentenceClassifier>,
    ontologies: &'static Ontologies,
    sentence_cache: Option<std::sync::Arc<dyn crate::extract::SentenceCache>>,
}

impl ModelExtractor {
    /// Load the English model from `dir` and the Chinese one found by
    /// [`locate_chinese_model_dir`].
    pub fn load(dir: &Path, ontologies: &'static Ontologies) -> crate::Result<Self> {
        let chinese = locate_chinese_model_dir(dir).map(|d| SentenceClassifier::load(&d)).transpose()?;
        Ok(ModelExtractor { classifier: SentenceClassifier::load(dir)?, chinese, ontologies, sentence_cache: None })
    }

    /// Wrap a loaded classifier (English; Chinese too unless
    /// [`ModelExtractor::with_chinese`] gives a Chinese one).
    pub fn from_classifier(classifier: SentenceClassifier, ontologies: &'static Ontologies) -> Self {
        ModelExtractor { classifier, chinese: None, ontologies, sentence_cache: None }
    }

    /// Read Chinese sentences with `chinese`.
    pub fn with_chinese(mut self, chinese: Option<SentenceClassifier>) -> Self {
        self.chinese = chinese;
        self
    }

    /// The classifier that reads sentences of `language`.
    fn classifier_for(&self, language: crate::policy::Language) -> &SentenceClassifier {
        match (language, &self.chinese) {
            (crate::policy::Language::Zh, Some(zh)) => zh,
            _ => &self.classifier,
        }
    }

    /// The classifier inside.
    pub fn classifier(&self) -> &SentenceClassifier {
        &self.classifier
    }

    /// The sentence-cache key of a text: model version and text.
    fn cache_key(classifier: &SentenceClassifier, text: &str) -> Vec<u8> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(classifier.labels.version.as_bytes());
        h.update([0u8]);
        h.update(text.as_bytes());
        h.finalize().to_vec()
    }

    /// Label probabilities of sentences, through the sentence cache when
    /// one is set. A text that occurs more than once is read once.
    fn predict_cached(&self, classifier: &SentenceClassifier, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
        let cache = self.sentence_cache.as_deref();
        let keys: Vec<Vec<u8>> = texts.iter().map(|t| Self::cache_key(classifier, t)).collect();
        let width = classifier.labels.len();
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
            for (&i, p) in missing.iter().zip(classifier.predict(&miss_texts)?) {
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

    /// Label probabilities of texts, in input order, each read by the model
    /// of its language (each language's texts in one batch).
    fn predict_by_language(&self, items: &[(crate::policy::Language, &str)]) -> crate::Result<Vec<Vec<f32>>> {
        let mut probs: Vec<Vec<f32>> = vec![Vec::new(); items.len()];
        for language in [crate::policy::Language::En, crate::policy::Language::Zh] {
            let picked: Vec<usize> = (0..items.len()).filter(|&k| items[k].0 == language).collect();
            if picked.is_empty() {
                continue;
            }
            let texts: Vec<&str> = picked.iter().map(|&k| items[k].1).collect();
            for (&k, p) in picked.iter().zip(self.predict_cached(self.classifier_for(language), &texts)?) {
                probs[k] = p;
            }
        }
        Ok(probs)
    }

    /// The sentences of a policy the model reads (those that may state a
    /// practice), each with the text the model reads for it: a list item
    /// under a lead-in that ends in a colon ("we collect the following
    /// personal data:") is read together with its lead-in, so "Date of
    /// birth" is read as what the lead-in says is collected.
    fn candidates(doc: &PolicyDocument) -> Vec<(usize, String)> {
        // (Which model reads each is decided by its sentence's language.)
        let mut out = Vec::new();
        for i in 0..doc.sentences.len() {
            let s = &doc.sentences[i];
            let text = match lead_in_of(doc, i) {
                Some(j) if doc.sentences[j].text.trim_end().ends_with([':', '：']) => format!("{} {}", doc.sentences[j].text, s.text),
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

    /// The models' versions, a digest of their decision thresholds and decoding bars (which
    /// `candor tune` may change without retraining), the decoding rules'
    /// revision, the prefilter's rule tables and the ontologies (whose
    /// phrases give the data types and recipients): anything that changes
    /// the practices of a sentence.
    fn version(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for labels in std::iter::once(&self.classifier.labels).chain(self.chinese.iter().map(|c| &c.labels)) {
            let bars = labels.decoding;
            for t in labels.thresholds.iter().chain([bars.min_practice, bars.min_phrase_group, bars.min_umbrella].iter()) {
                h.update(t.to_le_bytes());
            }
        }
        let h = h.finalize();
        let version = match &self.chinese {
            Some(zh) => format!("{}/{}", self.classifier.labels.version, zh.labels.version),
            None => self.classifier.labels.version.clone(),
        };
        format!(
            "model:{}+t{:02x}{:02x}{:02x}{:02x}+d{}+r{}+s{}+o{}",
            version,
            h[0],
            h[1],
            h[2],
            h[3],
            decode::REVISION,
            crate::extract::rules::rules_digest(),
            crate::ontology::short_digest(&[crate::extract::statement::STATEMENTS_JSON, crate::extract::statement_zh::STATEMENTS_ZH_JSON]),
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
        let mut by_model: Vec<(crate::policy::Language, String)> = Vec::new();
        for d in docs {
            by_model.extend(Self::candidates(d).into_iter().map(|(i, t)| (d.sentences[i].language, t)));
        }
        let items: Vec<(crate::policy::Language, &str)> = by_model.iter().map(|(l, t)| (*l, t.as_str())).collect();
        self.predict_by_language(&items).map(|_| ())
    }

    fn extract(&self, doc: &PolicyDocument) -> crate::Result<Vec<Practice>> {
        let candidates = Self::candidates(doc);
        let items: Vec<(crate::policy::Language, &str)> =
            candidates.iter().map(|(i, t)| (doc.sentences[*i].language, t.as_str())).collect();
        let probs = self.predict_by_language(&items)?;
        let mut practices = Vec::new();
        for ((i, _), p) in candidates.iter().zip(&probs) {
            let i = *i;
            let labels = &self.classifier_for(doc.sentences[i].language).labels;
            let lead_in = lead_in_of(doc, i).map(|j| (&doc.sentences[j], j.checked_sub(1).map(|k| &doc.sentences[k])));
            let following = &doc.sentences[(i + 1).min(doc.sentences.len())..(i + 6).min(doc.sentences.len())];
            let context = decode::SentenceContext {
                block: block_of(doc, i),
                previous: i.checked_sub(1).map(|j| &doc.sentences[j]),
                lead_in,
                following,
                before: &doc.sentences[i.saturating_sub(12)..i],
            };
            practices.extend(decode::practices(&doc.sentences[i], &context, p, labels, self.ontologies));
        }
        Ok(practices)
    }
}
