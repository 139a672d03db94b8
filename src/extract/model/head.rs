//! The classification head on top of the mean-pooled encoder output:
//! dense -> GELU -> one logit per label.

use candle_core::{Module, Result, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

/// Pooled sentence vector -> label logits.
pub struct Head {
    dense: Linear,
    out: Linear,
}

impl Head {
    /// Load (or, from a VarMap-backed builder, create) `dense` and `out`.
    pub fn load(vb: VarBuilder, hidden: usize, labels: usize) -> Result<Self> {
        Ok(Head { dense: linear(hidden, hidden, vb.pp("dense"))?, out: linear(hidden, labels, vb.pp("out"))? })
    }

    /// Logits (batch, labels) from pooled vectors (batch, hidden).
    pub fn forward(&self, pooled: &Tensor) -> Result<Tensor> {
        self.out.forward(&self.dense.forward(pooled)?.gelu_erf()?)
    }
}
