//! The extractor model: loading, tokenization, gradient flow through the
//! trainable encoder, the stable loss, and sentences whose practices the
//! shipped model must get right.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::Config;
use candor::extract::model::encoder::{mean_pool, BertEncoder, Kernels};
use candor::extract::model::head::Head;
use candor::extract::model::tokenize::SentenceTokenizer;
use candor::extract::model::{locate_model_dir, ModelExtractor, SentenceClassifier};
use candor::extract::{Action, Actor, Extractor};
use candor::train::trainer::{abs_sum, weighted_bce_with_logits};
use std::path::PathBuf;

fn model_dir() -> PathBuf {
    locate_model_dir().expect("the shipped model must be in models/candor-minilm")
}

fn tiny_config() -> Config {
    serde_json::from_str(
        r#"{"vocab_size":50,"hidden_size":16,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":32,
        "hidden_act":"gelu","hidden_dropout_prob":0.0,"max_position_embeddings":32,"type_vocab_size":2,
        "initializer_range":0.02,"layer_norm_eps":1e-12,"pad_token_id":0}"#,
    )
    .unwrap()
}

#[test]
fn every_trainable_variable_receives_a_gradient() {
    let dev = Device::Cpu;
    let cfg = tiny_config();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
    let bert = BertEncoder::load(vb.clone(), &cfg, Kernels::Differentiable).unwrap();
    let head = Head::load(vb.pp("head"), 16, 3).unwrap();
    // Give every parameter a random non-zero value, so nothing is trivially zero.
    for var in varmap.all_vars() {
        let r = Tensor::randn(0.5f32, 0.3, var.as_tensor().dims(), &dev).unwrap();
        var.set(&r).unwrap();
    }
    let ids = Tensor::new(&[[1u32, 5, 9, 2, 0], [1, 7, 3, 4, 2]], &dev).unwrap();
    let types = ids.zeros_like().unwrap();
    let mask = Tensor::new(&[[1u32, 1, 1, 1, 0], [1, 1, 1, 1, 1]], &dev).unwrap();
    let hidden = bert.forward(&ids, &types, &mask).unwrap();
    let logits = head.forward(&mean_pool(&hidden, &mask).unwrap()).unwrap();
    let y = Tensor::new(&[[1f32, 0., 1.], [0., 1., 0.]], &dev).unwrap();
    let w = Tensor::new(&[[2f32, 1., 1.]], &dev).unwrap();
    let loss = weighted_bce_with_logits(&logits, &y, &w).unwrap();
    let grads = loss.backward().unwrap();
    let vars = varmap.data().lock().unwrap();
    assert!(vars.len() > 30, "expected the whole encoder, got {} vars", vars.len());
    for (name, var) in vars.iter() {
        let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{name} received no gradient"));
        // Position/word rows of unused ids legitimately stay zero; the rest must move.
        if !name.contains("embeddings.") {
            assert!(abs_sum(g).unwrap() > 0.0, "{name} has an all-zero gradient");
        }
    }
    // LayerNorm parameters are exactly what stock candle would block.
    assert!(vars.keys().filter(|k| k.contains("LayerNorm")).count() >= 5);
}

#[test]
fn stable_bce_stays_finite_for_extreme_logits() {
    let dev = Device::Cpu;
    let x = Tensor::new(&[[100f32, -100., 0.]], &dev).unwrap();
    let y = Tensor::new(&[[1f32, 0., 1.]], &dev).unwrap();
    let w = Tensor::new(&[[1f32, 1., 1.]], &dev).unwrap();
    let l = weighted_bce_with_logits(&x, &y, &w).unwrap().to_scalar::<f32>().unwrap();
    // Only the third term contributes: log(2)/3.
    assert!((l - std::f32::consts::LN_2 / 3.0).abs() < 1e-5, "{l}");
    let wrong = Tensor::new(&[[-100f32, 100., 0.]], &dev).unwrap();
    let l = weighted_bce_with_logits(&wrong, &y, &w).unwrap().to_scalar::<f32>().unwrap();
    assert!(l.is_finite() && (l - (200.0 + std::f32::consts::LN_2) / 3.0).abs() < 1e-3, "{l}");
}

#[test]
fn tokenizer_pads_to_the_longest_in_batch_not_128() {
    let tok = SentenceTokenizer::load(&model_dir().join("tokenizer.json")).unwrap();
    let batch = tok.encode_batch(&["short one", "we share your precise location with advertisers"], &Device::Cpu).unwrap();
    let (rows, width) = batch.input_ids.dims2().unwrap();
    assert_eq!(rows, 2);
    assert!(width < 20, "padded to {width}");
    assert_eq!(batch.lengths[1], width);
    assert!(batch.lengths[0] < width);
    let long = "word ".repeat(400);
    assert_eq!(tok.count_tokens(&long).unwrap(), 128, "long inputs are truncated to 128 word pieces");
}

#[test]
fn encoder_matches_stock_candle_bert_in_both_modes() {
    let dir = model_dir();
    let dev = Device::Cpu;
    let cfg: Config = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[dir.join("model.safetensors")], DType::F32, &dev) }.unwrap();
    let stock_bert = candle_transformers::models::bert::BertModel::load(vb.clone(), &cfg).unwrap();
    let texts = ["We collect your email address.", "Advertisers may receive your device identifiers and location."];
    let tok = SentenceTokenizer::load(&dir.join("tokenizer.json")).unwrap();
    let b = tok.encode_batch(&texts, &dev).unwrap();
    let stock = mean_pool(&stock_bert.forward(&b.input_ids, &b.type_ids, Some(&b.mask)).unwrap(), &b.mask).unwrap();
    for (kernels, tolerance) in [(Kernels::Differentiable, 1e-3), (Kernels::Inference, 1e-4)] {
        let bert = BertEncoder::load(vb.clone(), &cfg, kernels).unwrap();
        let ours = mean_pool(&bert.forward(&b.input_ids, &b.type_ids, &b.mask).unwrap(), &b.mask).unwrap();
        let diff = (&stock - ours).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(diff < tolerance, "{kernels:?}: max difference {diff}");
    }
    // The classifier runs the inference kernels.
    let classifier = SentenceClassifier::load(&dir).unwrap();
    let diff = (stock - classifier.pooled(&texts).unwrap()).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
    assert!(diff < 1e-4, "classifier: max difference {diff}");
}

/// Practices of one sentence through the whole extractor.
fn extract_one(ex: &ModelExtractor, text: &str) -> Vec<candor::extract::Practice> {
    let doc = candor::policy::parse_policy(text.as_bytes(), Some(candor::policy::PolicyFormat::Text), "test").unwrap();
    ex.extract(&doc).unwrap()
}

#[test]
fn known_sentences_get_the_expected_practices() {
    let ont = candor::ontology::shipped().unwrap();
    let ex = ModelExtractor::load(&model_dir(), ont).unwrap();

    let ps = extract_one(&ex, "We do not share your precise location with advertisers.");
    assert!(
        ps.iter().any(|p| p.negated
            && p.action == Action::Share
            && p.data_type == "precise_location"
            && matches!(&p.actor, Actor::Category(c) if c == "advertising")),
        "{ps:#?}"
    );
    assert!(ps.iter().all(|p| p.negated), "{ps:#?}");

    let ps = extract_one(&ex, "We collect your email address and phone number when you create an account.");
    for dt in ["email_address", "phone_number"] {
        assert!(
            ps.iter().any(|p| !p.negated && p.actor == Actor::FirstParty && p.action == Action::Collect && p.data_type == dt),
            "{dt}: {ps:#?}"
        );
    }

    let ps = extract_one(&ex, "We may share your device identifiers and IP address with third-party analytics providers.");
    assert!(ps.iter().any(|p| !p.negated && p.actor != Actor::FirstParty && p.data_type == "ip_address"), "{ps:#?}");

    let ps = extract_one(&ex, "Please read our terms of service carefully before using the website.");
    assert!(ps.is_empty(), "{ps:#?}");

    // A sentence about where data goes, naming no recipient, is a
    // cross-border statement, not a share with third parties.
    let ps = extract_one(&ex, "Your personal information will be transferred from your jurisdiction to servers located in the United States.");
    assert!(ps.iter().all(|p| p.actor == Actor::FirstParty), "{ps:#?}");

    // A service the app maker says it uses takes part in the practice.
    let ps = extract_one(&ex, "We use Google Analytics, which lets us analyze our users demographics (age, gender).");
    assert!(ps.iter().any(|p| !p.negated && matches!(&p.actor, Actor::Organization(o) if o == "google") && p.data_type == "gender"), "{ps:#?}");

    // What a statement leaves out is denied to its recipients.
    let ps = extract_one(&ex, "Advertising companies may use information (not including your name, address, email address, or telephone number) about your visits to provide advertisements.");
    assert!(!ps.iter().any(|p| !p.negated && p.data_type == "email_address"), "{ps:#?}");
    assert!(ps.iter().any(|p| p.negated && p.data_type == "email_address" && p.actor != Actor::FirstParty), "{ps:#?}");

    // An item of a list whose lead-in states a practice states it too.
    let doc = candor::policy::parse_policy(
        b"<p>For registered users, data stored on our server consist of:</p><ul><li>the information given at registration time (at least a login, an encrypted password and an email address)</li></ul>",
        Some(candor::policy::PolicyFormat::Html),
        "t",
    )
    .unwrap();
    let ps = ex.extract(&doc).unwrap();
    assert!(ps.iter().any(|p| !p.negated && p.actor == Actor::FirstParty && p.data_type == "email_address"), "{ps:#?}");

    // Evidence spans point into the normalized text.
    let doc = candor::policy::parse_policy(
        b"Introduction.\n\nWe collect your precise location to show nearby stores.",
        Some(candor::policy::PolicyFormat::Text),
        "t",
    )
    .unwrap();
    let ps = ex.extract(&doc).unwrap();
    assert!(!ps.is_empty());
    for p in &ps {
        assert_eq!(&doc.text[p.evidence.start..p.evidence.end], p.evidence.text);
    }
}

/// An in-memory sentence cache that counts what it is asked.
#[derive(Default)]
struct CountingCache {
    map: std::sync::Mutex<std::collections::HashMap<Vec<u8>, Vec<f32>>>,
    puts: std::sync::atomic::AtomicUsize,
}

impl candor::extract::SentenceCache for CountingCache {
    fn get(&self, key: &[u8]) -> Option<Vec<f32>> {
        self.map.lock().unwrap().get(key).cloned()
    }
    fn put(&self, key: &[u8], probs: &[f32]) {
        self.puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.map.lock().unwrap().insert(key.to_vec(), probs.to_vec());
    }
}

#[test]
fn sentences_shared_across_policies_are_encoded_once() {
    let ont = candor::ontology::shipped().unwrap();
    let mut ex = ModelExtractor::load(&model_dir(), ont).unwrap();
    let cache = std::sync::Arc::new(CountingCache::default());
    ex.use_sentence_cache(cache.clone());
    let a = "We collect your email address when you register.\n\nWe share usage data with analytics providers.";
    let b = "We collect your email address when you register.\n\nWe share usage data with analytics providers.\n\nWe retain your location data for 30 days.";
    let parse = |t: &str| candor::policy::parse_policy(t.as_bytes(), Some(candor::policy::PolicyFormat::Text), "t").unwrap();
    let first = ex.extract(&parse(a)).unwrap();
    let after_a = cache.puts.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after_a, 2);
    ex.extract(&parse(b)).unwrap();
    assert_eq!(cache.puts.load(std::sync::atomic::Ordering::SeqCst), 3, "only the new sentence is encoded");
    // Cached results give the same practices as fresh ones.
    assert_eq!(ex.extract(&parse(a)).unwrap(), first);
}

#[test]
fn prepared_policies_are_read_together_and_extract_the_same() {
    let ont = candor::ontology::shipped().unwrap();
    let parse = |t: &str| candor::policy::parse_policy(t.as_bytes(), Some(candor::policy::PolicyFormat::Text), "t").unwrap();
    let a = parse("We collect your email address when you register.\n\nWe share usage data with analytics providers.");
    let b = parse(
        "We collect your email address when you register.\n\nWe collect your email address when you register.\n\nWe retain your location data for 30 days.",
    );
    let plain = ModelExtractor::load(&model_dir(), ont).unwrap();
    let (want_a, want_b) = (plain.extract(&a).unwrap(), plain.extract(&b).unwrap());

    let mut ex = ModelExtractor::load(&model_dir(), ont).unwrap();
    let cache = std::sync::Arc::new(CountingCache::default());
    ex.use_sentence_cache(cache.clone());
    ex.prepare(&[&a, &b]).unwrap();
    // Three distinct sentences among five: each read once, in one pass.
    assert_eq!(cache.puts.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert_eq!(ex.extract(&a).unwrap(), want_a);
    assert_eq!(ex.extract(&b).unwrap(), want_b);
    assert_eq!(cache.puts.load(std::sync::atomic::Ordering::SeqCst), 3, "extraction after prepare reads nothing again");
}

#[test]
fn the_extractor_version_changes_with_the_thresholds_and_the_ontology() {
    // Cached practices are keyed by the extractor version: a threshold
    // changed by `candor tune` must not reuse practices decoded before.
    let ont = candor::ontology::shipped().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for f in ["config.json", "labels.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(model_dir().join(f), dir.path().join(f)).unwrap();
    }
    let labels_path = dir.path().join("labels.json");
    let mut labels: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&labels_path).unwrap()).unwrap();
    let t = labels["thresholds"][0].as_f64().unwrap();
    labels["thresholds"][0] = serde_json::json!(t + 0.05);
    std::fs::write(&labels_path, labels.to_string()).unwrap();
    let shipped = ModelExtractor::load(&model_dir(), ont).unwrap().version();
    let tuned = ModelExtractor::load(dir.path(), ont).unwrap().version();
    assert_ne!(shipped, tuned);
    let name = labels["version"].as_str().unwrap();
    // The shipped folder has the Chinese model beside it, whose version joins in.
    assert!(shipped.starts_with(&format!("model:{name}/candor-e5zh")) && tuned.starts_with(&format!("model:{name}+")), "{shipped} {tuned}");
    // One more data-type phrase changes what sentences are read as naming,
    // so it changes the version too (for the rule baseline as well).
    use candor::ontology::{DataTypeOntology, EntityOntology, Ontologies, DATA_TYPES_JSON, ENTITIES_JSON, PERMISSIONS_JSON};
    let edited = DATA_TYPES_JSON.replacen("\"ip number\"", "\"ip number\", \"net address\"", 1);
    assert_ne!(edited, DATA_TYPES_JSON);
    let other: &'static Ontologies = Box::leak(Box::new(Ontologies {
        data_types: DataTypeOntology::from_json(&edited, PERMISSIONS_JSON).unwrap(),
        entities: EntityOntology::from_json(ENTITIES_JSON).unwrap(),
    }));
    assert_ne!(ModelExtractor::load(&model_dir(), other).unwrap().version(), shipped);
    use candor::extract::rules::RuleExtractor;
    assert_ne!(RuleExtractor::new(other).version(), RuleExtractor::new(ont).version());
}
