//! Tokenization, kept apart from the model: turns sentences into padded
//! id / type-id / mask tensors, padded to the longest sentence in the batch.

use candle_core::{Device, Tensor};
use std::path::Path;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams, TruncationStrategy};

/// Longest input (in word pieces, with [CLS] and [SEP]) the model reads.
pub const MAX_TOKENS: usize = 128;

/// A batch ready for the encoder.
pub struct Batch {
    pub input_ids: Tensor,
    pub type_ids: Tensor,
    pub mask: Tensor,
    /// Real (unpadded) token count of each row.
    pub lengths: Vec<usize>,
}

/// The WordPiece tokenizer of the encoder, set to pad to the longest in batch.
pub struct SentenceTokenizer {
    inner: Tokenizer,
}

impl SentenceTokenizer {
    /// Load `tokenizer.json`, switching its fixed padding to longest-in-batch.
    pub fn load(path: &Path) -> crate::Result<Self> {
        let mut inner = Tokenizer::from_file(path)
            .map_err(|e| crate::Error::Model(format!("{}: {e}", path.display())))?;
        inner.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..Default::default() }));
        inner
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                strategy: TruncationStrategy::LongestFirst,
                ..Default::default()
            }))
            .map_err(|e| crate::Error::Model(format!("tokenizer truncation: {e}")))?;
        Ok(SentenceTokenizer { inner })
    }

    /// Number of word pieces (with specials) of one sentence, capped at [`MAX_TOKENS`].
    pub fn count_tokens(&self, text: &str) -> crate::Result<usize> {
        let enc = self.inner.encode(text, true).map_err(|e| crate::Error::Model(format!("tokenize: {e}")))?;
        Ok(enc.get_ids().len())
    }

    /// Tokenize a batch into tensors on `device`.
    pub fn encode_batch(&self, texts: &[&str], device: &Device) -> crate::Result<Batch> {
        let encodings = self
            .inner
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| crate::Error::Model(format!("tokenize: {e}")))?;
        let rows = encodings.len();
        let width = encodings.first().map(|e| e.get_ids().len()).unwrap_or(0);
        let mut ids = Vec::with_capacity(rows * width);
        let mut types = Vec::with_capacity(rows * width);
        let mut mask = Vec::with_capacity(rows * width);
        let mut lengths = Vec::with_capacity(rows);
        for e in &encodings {
            ids.extend(e.get_ids().iter().copied());
            types.extend(e.get_type_ids().iter().copied());
            mask.extend(e.get_attention_mask().iter().copied());
            lengths.push(e.get_attention_mask().iter().filter(|&&m| m == 1).count());
        }
        let m = |e: candle_core::Error| crate::Error::Model(e.to_string());
        Ok(Batch {
            input_ids: Tensor::from_vec(ids, (rows, width), device).map_err(m)?,
            type_ids: Tensor::from_vec(types, (rows, width), device).map_err(m)?,
            mask: Tensor::from_vec(mask, (rows, width), device).map_err(m)?,
            lengths,
        })
    }
}
