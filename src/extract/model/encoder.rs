//! The BERT encoder, for training and for inference.
//!
//! candle-transformers' BERT normalizes with `candle_nn::ops::layer_norm`,
//! which has no backward pass: gradients silently stop at every LayerNorm.
//! This encoder reads the same weights (same tensor names) and, for
//! training ([`Kernels::Differentiable`]), computes LayerNorm, softmax and
//! GELU from ops that backpropagate. For inference ([`Kernels::Inference`])
//! it uses candle's fused LayerNorm and last-dim softmax and a vectorized
//! GELU ([`super::fast_gelu`]), which together make it ~1.3x faster than
//! the stock `candle_transformers::models::bert::BertModel` on 2 cores.
//! Tests check both modes against the stock model.

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{embedding, linear, Embedding, Linear, VarBuilder};
use candle_transformers::models::bert::Config;

/// Which kernels the encoder runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// Ops with a backward pass, for fine-tuning.
    Differentiable,
    /// Fused and vectorized ops without a backward pass, for inference.
    Inference,
}

/// LayerNorm: mean/variance arithmetic (so it has a gradient) when
/// differentiable, candle's fused kernel otherwise.
#[derive(Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
    kernels: Kernels,
}

impl LayerNorm {
    /// Load `weight` and `bias` of size `size`.
    pub fn load(vb: VarBuilder, size: usize, eps: f64, kernels: Kernels) -> Result<Self> {
        Ok(LayerNorm { weight: vb.get(size, "weight")?, bias: vb.get(size, "bias")?, eps, kernels })
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if self.kernels == Kernels::Inference {
            return candle_nn::ops::layer_norm(&x.contiguous()?, &self.weight, &self.bias, self.eps as f32);
        }
        let mean = x.mean_keepdim(D::Minus1)?;
        let centered = x.broadcast_sub(&mean)?;
        let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centered.broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    out_norm: LayerNorm,
    heads: usize,
    head_dim: usize,
    kernels: Kernels,
}

impl Layer {
    fn load(vb: VarBuilder, c: &Config, kernels: Kernels) -> Result<Self> {
        let h = c.hidden_size;
        let a = vb.pp("attention");
        Ok(Layer {
            query: linear(h, h, a.pp("self").pp("query"))?,
            key: linear(h, h, a.pp("self").pp("key"))?,
            value: linear(h, h, a.pp("self").pp("value"))?,
            attn_out: linear(h, h, a.pp("output").pp("dense"))?,
            attn_norm: LayerNorm::load(a.pp("output").pp("LayerNorm"), h, c.layer_norm_eps, kernels)?,
            intermediate: linear(h, c.intermediate_size, vb.pp("intermediate").pp("dense"))?,
            output: linear(c.intermediate_size, h, vb.pp("output").pp("dense"))?,
            out_norm: LayerNorm::load(vb.pp("output").pp("LayerNorm"), h, c.layer_norm_eps, kernels)?,
            heads: c.num_attention_heads,
            head_dim: h / c.num_attention_heads,
            kernels,
        })
    }

    /// `bias` is the additive attention mask, shape (batch, 1, 1, seq).
    fn forward(&self, x: &Tensor, bias: &Tensor) -> Result<Tensor> {
        let (b, s, h) = x.dims3()?;
        let split = |t: Tensor| -> Result<Tensor> {
            t.reshape((b, s, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous()
        };
        let q = split(self.query.forward(x)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(bias)?;
        let probs = match self.kernels {
            Kernels::Differentiable => candle_nn::ops::softmax(&scores, D::Minus1)?,
            Kernels::Inference => candle_nn::ops::softmax_last_dim(&scores)?,
        };
        let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, s, h))?;
        let attn = self.attn_norm.forward(&(self.attn_out.forward(&ctx)? + x)?)?;
        let inter = self.intermediate.forward(&attn)?;
        let inter = match self.kernels {
            Kernels::Differentiable => inter.gelu_erf()?,
            Kernels::Inference => super::fast_gelu::gelu(&inter)?,
        };
        self.out_norm.forward(&(self.output.forward(&inter)? + attn)?)
    }
}

/// The encoder: embeddings plus `num_hidden_layers` layers.
pub struct BertEncoder {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
}

impl BertEncoder {
    /// Load from a VarBuilder holding BERT weights (`embeddings.*`,
    /// `encoder.layer.N.*`), running the given kernels.
    pub fn load(vb: VarBuilder, c: &Config, kernels: Kernels) -> Result<Self> {
        let e = vb.pp("embeddings");
        let layers = (0..c.num_hidden_layers)
            .map(|i| Layer::load(vb.pp("encoder").pp("layer").pp(i), c, kernels))
            .collect::<Result<_>>()?;
        Ok(BertEncoder {
            word: embedding(c.vocab_size, c.hidden_size, e.pp("word_embeddings"))?,
            position: embedding(c.max_position_embeddings, c.hidden_size, e.pp("position_embeddings"))?,
            token_type: embedding(c.type_vocab_size, c.hidden_size, e.pp("token_type_embeddings"))?,
            embed_norm: LayerNorm::load(e.pp("LayerNorm"), c.hidden_size, c.layer_norm_eps, kernels)?,
            layers,
        })
    }

    /// Number of transformer layers.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Embeddings of a batch of ids, (batch, seq, hidden).
    pub fn embed(&self, ids: &Tensor, type_ids: &Tensor) -> Result<Tensor> {
        let seq = ids.dim(1)?;
        let pos = Tensor::arange(0u32, seq as u32, ids.device())?.unsqueeze(0)?;
        let x = self.word.forward(ids)?.broadcast_add(&self.position.forward(&pos)?)?;
        let x = (x + self.token_type.forward(type_ids)?)?;
        self.embed_norm.forward(&x)
    }

    /// Run layers `from..to` over hidden states with the 0/1 `mask` (batch, seq).
    pub fn run_layers(&self, hidden: &Tensor, mask: &Tensor, from: usize, to: usize) -> Result<Tensor> {
        let bias = attention_bias(mask, hidden.dtype())?;
        let mut x = hidden.clone();
        for layer in &self.layers[from..to.min(self.layers.len())] {
            x = layer.forward(&x, &bias)?;
        }
        Ok(x)
    }

    /// The full forward pass: final hidden states (batch, seq, hidden).
    pub fn forward(&self, ids: &Tensor, type_ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let x = self.embed(ids, type_ids)?;
        self.run_layers(&x, mask, 0, self.layers.len())
    }
}

/// 0 where the mask is 1, a large negative number where it is 0; (batch, 1, 1, seq).
pub fn attention_bias(mask: &Tensor, dtype: DType) -> Result<Tensor> {
    let m = mask.to_dtype(dtype)?.unsqueeze(1)?.unsqueeze(1)?;
    (m.ones_like()? - m)? * -1e9f64
}

/// Mean of the hidden states over real (mask = 1) tokens: (batch, hidden).
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let m = mask.to_dtype(hidden.dtype())?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&m)?.sum(1)?;
    let counts = m.sum(1)?.clamp(1.0, f64::MAX)?;
    summed.broadcast_div(&counts)
}
