//! Fine-tuning: the lower encoder layers stay frozen and their output is
//! computed once per sentence; the top layers and the head train on it with
//! AdamW and a numerically stable weighted binary cross-entropy. Seeded,
//! logs loss, keeps the best epoch on the validation split, tunes one
//! threshold per label there, and writes the model folder (f16 weights).

use super::dataset::Example;
use super::metrics::{f1_at, tune_thresholds};
use crate::extract::model::encoder::{mean_pool, BertEncoder, Kernels};
use crate::extract::model::head::Head;
use crate::extract::model::labels::{default_groups, LabelSpace};
use crate::extract::model::tokenize::SentenceTokenizer;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use candle_transformers::models::bert::Config;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Settings of one training run.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Folder of the base encoder (config.json, model.safetensors, tokenizer.json).
    pub base: PathBuf,
    pub train: Vec<Example>,
    pub validation: Vec<Example>,
    /// Output model folder.
    pub out: PathBuf,
    pub epochs: usize,
    /// Keep only the lowest this many encoder layers of the base (None: all).
    pub layers: Option<usize>,
    /// Top encoder layers to fine-tune (the rest stay frozen).
    pub trainable_layers: usize,
    pub batch_size: usize,
    pub lr_encoder: f64,
    pub lr_head: f64,
    pub seed: u64,
    pub version: String,
}

fn m(e: candle_core::Error) -> crate::Error {
    crate::Error::Model(e.to_string())
}

/// Multi-hot target vector of an example over `names`.
pub fn targets(example: &Example, names: &[String]) -> Vec<f32> {
    names.iter().map(|n| if example.labels.iter().any(|l| l == n) { 1.0 } else { 0.0 }).collect()
}

/// Numerically stable weighted BCE with logits:
/// `w·y·softplus(-x) + (1-y)·softplus(x)`, softplus(x) = max(x,0) + log(1+exp(-|x|)).
pub fn weighted_bce_with_logits(logits: &Tensor, targets: &Tensor, pos_weight: &Tensor) -> candle_core::Result<Tensor> {
    let log_term = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    let sp_pos = (logits.relu()? + &log_term)?; // softplus(x)
    let sp_neg = (logits.neg()?.relu()? + &log_term)?; // softplus(-x)
    let pos = targets.broadcast_mul(pos_weight)?.mul(&sp_neg)?;
    let neg = (targets.ones_like()? - targets)?.mul(&sp_pos)?;
    (pos + neg)?.mean_all()
}

/// Frozen-layer outputs of each example, unpadded: (tokens, hidden).
struct Cached {
    hidden: Vec<Tensor>,
    lengths: Vec<usize>,
}

fn cache_lower_layers(
    bert: &BertEncoder,
    tok: &SentenceTokenizer,
    examples: &[Example],
    upto: usize,
    device: &Device,
) -> crate::Result<Cached> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.sort_by_key(|&i| examples[i].text.len());
    let mut hidden = vec![None; examples.len()];
    let mut lengths = vec![0; examples.len()];
    for (n, chunk) in order.chunks(64).enumerate() {
        let texts: Vec<&str> = chunk.iter().map(|&i| examples[i].text.as_str()).collect();
        let batch = tok.encode_batch(&texts, device)?;
        let x = bert.embed(&batch.input_ids, &batch.type_ids).map_err(m)?;
        let x = bert.run_layers(&x, &batch.mask, 0, upto).map_err(m)?.detach();
        for (row, &i) in chunk.iter().enumerate() {
            let len = batch.lengths[row];
            hidden[i] = Some(x.get(row).and_then(|t| t.narrow(0, 0, len)).and_then(|t| t.contiguous()).map_err(m)?);
            lengths[i] = len;
        }
        if n % 20 == 0 {
            eprintln!("  cached {}/{} sentences", ((n + 1) * 64).min(examples.len()), examples.len());
        }
    }
    let hidden = hidden.into_iter().collect::<Option<Vec<_>>>().ok_or_else(|| crate::Error::Model("cache slot left empty".into()))?;
    Ok(Cached { hidden, lengths })
}

/// Pad cached hidden states of `idx` into (batch, seq, hidden) plus a mask.
fn pad_batch(cached: &Cached, idx: &[usize], hidden_size: usize, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
    let max = idx.iter().map(|&i| cached.lengths[i]).max().unwrap_or(1);
    let mut rows = Vec::with_capacity(idx.len());
    let mut mask = Vec::with_capacity(idx.len() * max);
    for &i in idx {
        let len = cached.lengths[i];
        let h = &cached.hidden[i];
        rows.push(if len < max { Tensor::cat(&[h, &Tensor::zeros((max - len, hidden_size), DType::F32, device)?], 0)? } else { h.clone() });
        mask.extend((0..max).map(|t| u32::from(t < len)));
    }
    Ok((Tensor::stack(&rows, 0)?, Tensor::from_vec(mask, (idx.len(), max), device)?))
}

/// Probabilities for cached examples with the current weights (no grad).
fn predict_cached(
    bert: &BertEncoder,
    head: &Head,
    cached: &Cached,
    from: usize,
    hidden_size: usize,
    device: &Device,
) -> crate::Result<Vec<Vec<f32>>> {
    let n = cached.hidden.len();
    let mut out = vec![Vec::new(); n];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| cached.lengths[i]);
    for chunk in order.chunks(64) {
        let (x, mask) = pad_batch(cached, chunk, hidden_size, device).map_err(m)?;
        let h = bert.run_layers(&x, &mask, from, bert.num_layers()).map_err(m)?;
        let logits = head.forward(&mean_pool(&h, &mask).map_err(m)?).map_err(m)?;
        let probs = candle_nn::ops::sigmoid(&logits).and_then(|p| p.to_vec2::<f32>()).map_err(m)?;
        for (&i, p) in chunk.iter().zip(probs) {
            out[i] = p;
        }
    }
    Ok(out)
}

/// Mean F1 over labels that have positives, at threshold 0.5.
fn mean_f1(probs: &[Vec<f32>], gold: &[Vec<f32>], labels: usize) -> f64 {
    let f: Vec<f64> = (0..labels)
        .filter(|&j| gold.iter().any(|g| g[j] > 0.5))
        .map(|j| {
            let p: Vec<f32> = probs.iter().map(|r| r[j]).collect();
            let y: Vec<bool> = gold.iter().map(|g| g[j] > 0.5).collect();
            f1_at(&p, &y, 0.5)
        })
        .collect();
    if f.is_empty() {
        0.0
    } else {
        f.iter().sum::<f64>() / f.len() as f64
    }
}

/// Fine-tune and write the model folder. Returns the label space written.
pub fn train(cfg: &TrainConfig) -> crate::Result<LabelSpace> {
    let device = Device::Cpu;
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let config_path = cfg.base.join("config.json");
    let mut config_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&config_path).map_err(|e| crate::Error::input(&config_path, e))?,
    )
    .map_err(|e| crate::Error::input(&config_path, e))?;
    // A shallower encoder: the base's lowest `layers` layers (the upper ones
    // are never loaded), trading a little accuracy for speed.
    if let Some(n) = cfg.layers {
        let base_layers = config_json["num_hidden_layers"].as_u64().unwrap_or(0) as usize;
        if n == 0 || n > base_layers {
            return Err(crate::Error::Usage(format!("--layers must be 1..={base_layers}, not {n}")));
        }
        config_json["num_hidden_layers"] = serde_json::json!(n);
    }
    let config: Config =
        serde_json::from_value(config_json.clone()).map_err(|e| crate::Error::input(&config_path, e))?;
    let tok = SentenceTokenizer::load(&cfg.base.join("tokenizer.json"))?;
    let mut space = LabelSpace {
        version: cfg.version.clone(),
        groups: default_groups(),
        thresholds: Vec::new(),
        trainable_layers: cfg.trainable_layers,
        metrics: serde_json::Value::Null,
        decoding: Default::default(),
    };
    let names = space.names();
    let nl = names.len();

    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let bert = BertEncoder::load(vb.clone(), &config, Kernels::Differentiable).map_err(m)?;
    let mut varmap = varmap;
    varmap.load(cfg.base.join("model.safetensors")).map_err(m)?;
    let head = Head::load(vb.pp("head"), config.hidden_size, nl).map_err(m)?;
    let from = config.num_hidden_layers.saturating_sub(cfg.trainable_layers);

    // Seeded head initialisation (candle's CPU rng cannot be seeded), in
    // name order: drawing in the map's (per-process random) order gave each
    // run a different initialisation despite the seed.
    let vars: HashMap<String, Var> = varmap.data().lock().map_err(|_| crate::Error::Model("var map lock".into()))?.clone();
    let mut sorted: Vec<(&String, &Var)> = vars.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (name, var) in &sorted {
        if name.starts_with("head.") {
            let dims = var.as_tensor().dims().to_vec();
            let count: usize = dims.iter().product();
            let fan_in = *dims.last().unwrap_or(&1) as f64;
            let bound = if name.ends_with("bias") { 0.0 } else { (1.0 / fan_in).sqrt() };
            let values: Vec<f32> = (0..count).map(|_| (rng.gen_range(-1.0..=1.0) * bound) as f32).collect();
            var.set(&Tensor::from_vec(values, dims, &device).map_err(m)?).map_err(m)?;
        }
    }
    let is_trainable = |name: &str| {
        name.starts_with("head.")
            || (from..config.num_hidden_layers).any(|l| name.starts_with(&format!("encoder.layer.{l}.")))
    };
    let mut enc_vars = Vec::new();
    let mut head_vars = Vec::new();
    for (name, var) in &sorted {
        if name.starts_with("head.") {
            head_vars.push((*var).clone());
        } else if is_trainable(name) {
            enc_vars.push((*var).clone());
        }
    }
    eprintln!(
        "training {} encoder tensors (layers {from}..{}) and {} head tensors on {} sentences",
        enc_vars.len(),
        config.num_hidden_layers,
        head_vars.len(),
        cfg.train.len()
    );

    let gold_train: Vec<Vec<f32>> = cfg.train.iter().map(|e| targets(e, &names)).collect();
    let gold_valid: Vec<Vec<f32>> = cfg.validation.iter().map(|e| targets(e, &names)).collect();
    // Positive weights: sqrt(neg/pos), capped, so rare labels are not ignored.
    let pos_weight: Vec<f32> = (0..nl)
        .map(|j| {
            let pos = gold_train.iter().filter(|g| g[j] > 0.5).count().max(1) as f32;
            let neg = (gold_train.len() as f32 - pos).max(1.0);
            (neg / pos).sqrt().clamp(1.0, 8.0)
        })
        .collect();
    let pos_weight = Tensor::from_vec(pos_weight, (1, nl), &device).map_err(m)?;

    eprintln!("caching frozen layers 0..{from}");
    let train_cache = cache_lower_layers(&bert, &tok, &cfg.train, from, &device)?;
    let valid_cache = cache_lower_layers(&bert, &tok, &cfg.validation, from, &device)?;

    let mut opt_enc = AdamW::new(enc_vars.clone(), ParamsAdamW { lr: cfg.lr_encoder, weight_decay: 0.01, ..Default::default() }).map_err(m)?;
    let mut opt_head = AdamW::new(head_vars.clone(), ParamsAdamW { lr: cfg.lr_head, weight_decay: 0.01, ..Default::default() }).map_err(m)?;

    let mut best: Option<f64> = None;
    let mut order: Vec<usize> = (0..cfg.train.len()).collect();
    order.sort_by_key(|&i| train_cache.lengths[i]);
    let batches: Vec<Vec<usize>> = order.chunks(cfg.batch_size).map(|c| c.to_vec()).collect();
    let total_steps = (batches.len() * cfg.epochs).max(1);
    let mut step = 0usize;
    for epoch in 0..cfg.epochs {
        let mut epoch_batches = batches.clone();
        epoch_batches.shuffle(&mut rng);
        let started = std::time::Instant::now();
        let mut loss_sum = 0.0;
        for (b, idx) in epoch_batches.iter().enumerate() {
            // Linear decay of both learning rates.
            let scale = 1.0 - step as f64 / total_steps as f64;
            opt_enc.set_learning_rate(cfg.lr_encoder * scale);
            opt_head.set_learning_rate(cfg.lr_head * scale);
            step += 1;
            let (x, mask) = pad_batch(&train_cache, idx, config.hidden_size, &device).map_err(m)?;
            let h = bert.run_layers(&x, &mask, from, config.num_hidden_layers).map_err(m)?;
            let pooled = mean_pool(&h, &mask).map_err(m)?;
            // Seeded dropout on the pooled vector.
            let keep: Vec<f32> = (0..pooled.elem_count()).map(|_| if rng.gen::<f32>() < 0.1 { 0.0 } else { 1.0 / 0.9 }).collect();
            let keep = Tensor::from_vec(keep, pooled.dims(), &device).map_err(m)?;
            let logits = head.forward(&(pooled * keep).map_err(m)?).map_err(m)?;
            let y: Vec<f32> = idx.iter().flat_map(|&i| gold_train[i].iter().copied()).collect();
            let y = Tensor::from_vec(y, (idx.len(), nl), &device).map_err(m)?;
            let loss = weighted_bce_with_logits(&logits, &y, &pos_weight).map_err(m)?;
            let grads = loss.backward().map_err(m)?;
            opt_enc.step(&grads).map_err(m)?;
            opt_head.step(&grads).map_err(m)?;
            let l = loss.to_scalar::<f32>().map_err(m)? as f64;
            if !l.is_finite() {
                return Err(crate::Error::Model(format!("loss became {l} at epoch {epoch} batch {b}")));
            }
            loss_sum += l;
            if b % 25 == 0 {
                eprintln!(
                    "epoch {} batch {}/{} loss {:.4} ({:.1} sentences/s)",
                    epoch + 1,
                    b,
                    epoch_batches.len(),
                    loss_sum / (b + 1) as f64,
                    ((b + 1) * cfg.batch_size) as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
        let probs = predict_cached(&bert, &head, &valid_cache, from, config.hidden_size, &device)?;
        let f1 = mean_f1(&probs, &gold_valid, nl);
        eprintln!(
            "epoch {} done: mean train loss {:.4}, validation mean F1 {:.4} ({:.0}s)",
            epoch + 1,
            loss_sum / epoch_batches.len().max(1) as f64,
            f1,
            started.elapsed().as_secs_f64()
        );
        // Write the model whenever validation improves, so an interrupted run
        // still leaves the best model so far.
        if best.is_none_or(|b| f1 > b) {
            best = Some(f1);
            space.thresholds = tune_thresholds(&probs, &gold_valid, nl);
            space.metrics = serde_json::json!({"epoch": epoch + 1, "validation_mean_f1_at_0_5": f1});
            write_model(&varmap, &config_json, &cfg.base, &cfg.out, &space)?;
            eprintln!("  wrote {} (thresholds tuned on validation)", cfg.out.display());
        }
    }
    Ok(space)
}

/// Write weights (f16), config, tokenizer and labels into `out`.
fn write_model(varmap: &VarMap, config: &serde_json::Value, base: &Path, out: &Path, space: &LabelSpace) -> crate::Result<()> {
    std::fs::create_dir_all(out)?;
    let vars = varmap.data().lock().map_err(|_| crate::Error::Model("var map lock".into()))?;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (name, var) in vars.iter() {
        tensors.insert(name.clone(), var.as_tensor().to_dtype(DType::F16).map_err(m)?);
    }
    candle_core::safetensors::save(&tensors, out.join("model.safetensors")).map_err(m)?;
    let config_text = serde_json::to_string_pretty(config).map_err(|e| crate::Error::Data(e.to_string()))? + "\n";
    std::fs::write(out.join("config.json"), config_text).map_err(|e| crate::Error::input(out.join("config.json"), e))?;
    std::fs::copy(base.join("tokenizer.json"), out.join("tokenizer.json"))
        .map_err(|e| crate::Error::input(base.join("tokenizer.json"), e))?;
    space.save(&out.join("labels.json"))
}

/// Sum of a tensor's absolute values (for gradient checks).
pub fn abs_sum(t: &Tensor) -> candle_core::Result<f32> {
    t.abs()?.sum_all()?.to_scalar::<f32>()
}

