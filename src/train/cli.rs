//! `candor train`, `candor eval` and `candor bench`.

use super::dataset::{opp115_examples, read_jsonl, write_jsonl, Split};
use super::disclosure::{app_half, read_app_sentences, score_disclosures};
use super::eval::{evaluate, markdown_table};
use super::trainer::{train as run_training, TrainConfig};
use crate::extract::model::decode::may_state_practice;
use crate::extract::model::{locate_model_dir, ModelExtractor, SentenceClassifier};
use crate::extract::rules::RuleExtractor;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// Held-out evaluation sentences shipped with the repository.
pub const DEFAULT_EVAL_SET: &str = "tests/fixtures/eval/opp115_heldout.jsonl";

#[derive(clap::Args)]
pub struct TrainArgs {
    /// Folder of the annotated corpora (holds opp115/).
    #[arg(long, default_value = "../shared/data/corpora")]
    corpus: PathBuf,
    /// Base encoder folder (all-MiniLM-L6-v2: config.json, model.safetensors, tokenizer.json).
    #[arg(long)]
    base: PathBuf,
    /// Output model folder.
    #[arg(long, default_value = "models/candor-minilm")]
    out: PathBuf,
    /// Where to write the held-out test sentences.
    #[arg(long, default_value = DEFAULT_EVAL_SET)]
    eval_out: PathBuf,
    #[arg(long, default_value_t = 4)]
    epochs: usize,
    /// Keep only the lowest N encoder layers of the base (default: all).
    #[arg(long)]
    layers: Option<usize>,
    /// Top encoder layers to fine-tune.
    #[arg(long, default_value_t = 2)]
    trainable_layers: usize,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    #[arg(long, default_value_t = 1e-4)]
    lr_encoder: f64,
    #[arg(long, default_value_t = 1e-3)]
    lr_head: f64,
    #[arg(long, default_value_t = 13)]
    seed: u64,
    /// Also write the validation sentences (JSONL), e.g. to label them by hand.
    #[arg(long)]
    validation_out: Option<PathBuf>,
    /// Also write the OPP-115 training sentences (JSONL), e.g. to label them by hand.
    #[arg(long)]
    train_out: Option<PathBuf>,
    /// Hand labels (data groups and negation) of every OPP-115 training and
    /// validation sentence, replacing the projected ones (JSONL).
    #[arg(long)]
    hand_labels: Option<PathBuf>,
    /// Only prepare the data splits, do not train.
    #[arg(long)]
    prepare_only: bool,
    /// Hand-labelled app-policy sentences (disclosure JSONL) added to training.
    #[arg(long)]
    app_train: Option<PathBuf>,
    /// How many times the --app-train sentences are added (weighting the
    /// app-policy domain against OPP-115's 6,945 website sentences).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    app_repeat: u32,
    /// Synthetic template sentences added to training (0 for none).
    #[arg(long, default_value_t = 0)]
    synthetic: usize,
    /// Version string written into labels.json.
    #[arg(long, default_value = "candor-minilm-1")]
    version: String,
    /// Train the Chinese model instead: the CAPP-130 annotation folder
    /// (`rw_*.jsonl`, from `capp130_zh/annotation.tar.gz`). OPP-115 is not read.
    #[arg(long)]
    capp130: Option<PathBuf>,
    /// Which CAPP-130 policies are dev (validation) and test (held out).
    #[arg(long, default_value = "models/training/capp130_split.json")]
    capp130_split: PathBuf,
    /// Hand labels (disclosure JSONL) of CAPP-130 training sentences; they
    /// replace the labels derived from the corpus for those sentences.
    /// Repeat the option (or give several files) for several batches.
    #[arg(long, num_args = 1..)]
    capp130_hand: Vec<PathBuf>,
    /// How many times each hand-labelled CAPP-130 sentence is added
    /// (weighting the hand labels against the ~15,000 sentences labelled
    /// from the corpus's categories).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10))]
    capp130_hand_repeat: u32,
    /// Share of the CAPP-130 training sentences that state no practice
    /// which are kept (a stable hash of the text decides which).
    #[arg(long, default_value_t = 1.0)]
    other_fraction: f64,
    /// Where the CAPP-130 dev and test sentences are written
    /// (capp130_dev.jsonl, capp130_test.jsonl).
    #[arg(long, default_value = "tests/fixtures/eval")]
    capp130_eval_out: PathBuf,
}

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Labelled sentences (JSONL); "" to score only the disclosures.
    #[arg(long, default_value = DEFAULT_EVAL_SET)]
    data: String,
    #[arg(long)]
    model: Option<PathBuf>,
    /// Hand-labelled app-policy sentences for the disclosure score ("" to skip).
    #[arg(long, default_value = super::disclosure::DEFAULT_APP_SENTENCES)]
    app_sentences: String,
    /// Hand-adjudicated negation labels of the held-out sentences ("" to skip).
    #[arg(long, default_value = super::eval::DEFAULT_NEGATION_LABELS)]
    negation_labels: String,
    /// Hand-adjudicated data-group labels of the held-out sentences ("" to skip).
    #[arg(long, default_value = super::eval::DEFAULT_GROUP_LABELS)]
    group_labels: String,
    /// Output: md (table) or json.
    #[arg(long, default_value = "md")]
    format: String,
    /// Write the model's per-sentence misses and wrong disclosures on the
    /// app sentences to this JSONL file (error analysis).
    #[arg(long)]
    errors: Option<PathBuf>,
    /// Write the held-out sentences whose extractor data groups differ from
    /// the hand-adjudicated ones to this JSONL file (error analysis).
    #[arg(long)]
    group_errors: Option<PathBuf>,
    /// Run the verdict benchmark in this folder instead (`tests/verdicts`):
    /// 5-class verdict accuracy, confusion matrix and flagged
    /// (omitted/incorrect) precision and recall, per half, for the model
    /// and the rule baseline. With `--errors F`, the flows judged wrongly
    /// are written to F (JSONL).
    #[arg(long)]
    verdicts: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct TuneArgs {
    /// Validation sentences (JSONL), as `candor train --validation-out` writes them.
    #[arg(long)]
    data: PathBuf,
    /// Hand-adjudicated negation labels of those sentences (JSONL).
    #[arg(long)]
    negation_labels: PathBuf,
    #[arg(long)]
    model: Option<PathBuf>,
    /// Write the chosen thresholds into the model's labels.json.
    #[arg(long)]
    write: bool,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Policies to extract from (files or folders).
    #[arg(default_value = "policies")]
    inputs: Vec<PathBuf>,
    #[arg(long)]
    model: Option<PathBuf>,
    /// Also time the plain pipeline (every sentence, input order, no dedup).
    #[arg(long)]
    compare_plain: bool,
}

fn model_dir(arg: Option<&Path>) -> Result<PathBuf> {
    match arg {
        Some(p) => Ok(p.to_path_buf()),
        None => locate_model_dir().ok_or_else(|| Error::Model("no model found in models/candor-minilm; pass --model".into())),
    }
}

/// `candor train`.
pub fn train(a: TrainArgs) -> Result<u8> {
    if a.capp130.is_some() {
        return train_chinese(a);
    }
    let opp = a.corpus.join("opp115");
    eprintln!("reading {}", opp.display());
    let all = opp115_examples(&opp)?;
    let pick = |s: Split| all.iter().filter(|(sp, _)| *sp == s).map(|(_, e)| e.clone()).collect::<Vec<_>>();
    let (mut tr, mut va, te) = (pick(Split::Train), pick(Split::Validation), pick(Split::Test));
    if let Some(path) = &a.hand_labels {
        let labels: Vec<super::dataset::HandLabel> = read_jsonl(path)?;
        let groups: Vec<String> = crate::extract::model::labels::default_groups().into_iter().map(|g| g.name).collect();
        super::dataset::apply_hand_labels(&mut tr, &labels, &groups)?;
        super::dataset::apply_hand_labels(&mut va, &labels, &groups)?;
        eprintln!("data groups and negation of the training and validation sentences from {}", path.display());
    }
    let policies = |v: &[super::dataset::Example]| {
        let mut p: Vec<&str> = v.iter().map(|e| e.policy.as_str()).collect();
        p.sort();
        p.dedup();
        p.len()
    };
    eprintln!(
        "sentences: train {} ({} policies), validation {} ({}), test {} ({})",
        tr.len(),
        policies(&tr),
        va.len(),
        policies(&va),
        te.len(),
        policies(&te)
    );
    if let Some(path) = &a.train_out {
        write_jsonl(path, &tr)?;
        eprintln!("wrote {} OPP-115 training sentences to {}", tr.len(), path.display());
    }
    if a.synthetic > 0 {
        let ont = crate::ontology::shipped()?;
        let synthetic = super::dataset::synthetic_examples(ont, &crate::extract::model::labels::default_groups(), a.synthetic, a.seed);
        eprintln!("adding {} synthetic template sentences to training", synthetic.len());
        tr.extend(synthetic);
    }
    if let Some(path) = &a.app_train {
        let ont = crate::ontology::shipped()?;
        let sentences = super::disclosure::read_app_sentences(path)?;
        let app = super::dataset::examples_from_disclosures(&sentences, ont, &crate::extract::model::labels::default_groups());
        eprintln!(
            "adding {} hand-labelled app-policy sentences from {} to training ({} times)",
            app.len(),
            path.display(),
            a.app_repeat
        );
        for _ in 0..a.app_repeat {
            tr.extend(app.iter().cloned());
        }
    }
    write_jsonl(&a.eval_out, &te)?;
    eprintln!("wrote held-out test set to {}", a.eval_out.display());
    if let Some(path) = &a.validation_out {
        write_jsonl(path, &va)?;
        eprintln!("wrote validation set to {}", path.display());
    }
    if a.prepare_only {
        return Ok(0);
    }
    fine_tune(a, tr, va)
}

/// `candor train --capp130 DIR`: the Chinese model, trained on CAPP-130's
/// training policies and validated on its dev policies.
fn train_chinese(a: TrainArgs) -> Result<u8> {
    use super::capp130::{capp130_examples, Capp130Split, Part};
    let dir = a.capp130.clone().unwrap_or_default();
    let split = Capp130Split::load(&a.capp130_split)?;
    let ont = crate::ontology::shipped()?;
    let groups = crate::extract::model::labels::default_groups();
    let mut hand = Vec::new();
    for p in &a.capp130_hand {
        hand.extend(read_app_sentences(p)?);
    }
    let all = capp130_examples(&dir, &split, &hand, a.capp130_hand_repeat as usize, ont, &groups)?;
    let keep_other = |text: &str| (super::dataset::stable_hash(text) % 10_000) as f64 / 10_000.0 < a.other_fraction;
    let pick = |p: Part| all.iter().filter(|(q, _)| *q == p).map(|(_, e)| e.clone()).collect::<Vec<_>>();
    let tr: Vec<_> = pick(Part::Train).into_iter().filter(|e| !e.labels.is_empty() || keep_other(&e.text)).collect();
    let (va, te) = (pick(Part::Dev), pick(Part::Test));
    eprintln!("sentences: train {}, dev {}, test {}", tr.len(), va.len(), te.len());
    write_jsonl(&a.capp130_eval_out.join("capp130_dev.jsonl"), &va)?;
    write_jsonl(&a.capp130_eval_out.join("capp130_test.jsonl"), &te)?;
    eprintln!("wrote the dev and test sentences to {}", a.capp130_eval_out.display());
    if a.prepare_only {
        return Ok(0);
    }
    fine_tune(a, tr, va)
}

/// Fine-tune the base of `a` on `train`, validating on `validation`, and
/// write the model folder.
fn fine_tune(a: TrainArgs, train: Vec<super::dataset::Example>, validation: Vec<super::dataset::Example>) -> Result<u8> {
    let out = a.out.clone();
    let cfg = TrainConfig {
        base: a.base,
        train,
        validation,
        out: a.out,
        epochs: a.epochs,
        layers: a.layers,
        trainable_layers: a.trainable_layers,
        batch_size: a.batch_size,
        lr_encoder: a.lr_encoder,
        lr_head: a.lr_head,
        seed: a.seed,
        version: a.version,
    };
    run_training(&cfg)?;
    eprintln!("model written to {}", out.display());
    Ok(0)
}

/// `candor eval`.
pub fn eval(a: EvalArgs) -> Result<u8> {
    let ont = crate::ontology::shipped()?;
    let dir = model_dir(a.model.as_deref())?;
    let classifier = SentenceClassifier::load(&dir)?;
    // Chinese sentences go to the Chinese model beside the one evaluated, if any.
    let chinese = || crate::extract::model::locate_chinese_model_dir(&dir).map(|d| SentenceClassifier::load(&d)).transpose();
    if let Some(dir) = &a.verdicts {
        let model = ModelExtractor::from_classifier(classifier, ont).with_chinese(chinese()?);
        let rules = RuleExtractor::new(ont);
        let scores = super::verdicts::evaluate_verdicts(dir, &[&model, &rules], ont)?;
        if let Some(path) = &a.errors {
            let errors: Vec<&super::verdicts::VerdictError> =
                scores.iter().filter(|s| s.extractor == "model").flat_map(|s| &s.errors).collect();
            write_jsonl(path, &errors)?;
            eprintln!("wrote {} wrongly judged flows to {}", errors.len(), path.display());
        }
        let text = if a.format == "json" {
            serde_json::to_string_pretty(&scores).map_err(|e| Error::Data(e.to_string()))? + "\n"
        } else {
            super::verdicts::markdown(&scores)
        };
        print!("{text}");
        return Ok(0);
    }
    let rules = RuleExtractor::new(ont);
    // `--data ""` skips the labelled-sentence table (only the disclosures are scored).
    let report = if a.data.is_empty() {
        None
    } else {
        let examples = read_jsonl(Path::new(&a.data))?;
        let negation: Option<Vec<super::eval::NegationLabel>> =
            if a.negation_labels.is_empty() { None } else { Some(read_jsonl(Path::new(&a.negation_labels))?) };
        let groups: Option<Vec<super::eval::GroupLabel>> =
            if a.group_labels.is_empty() { None } else { Some(read_jsonl(Path::new(&a.group_labels))?) };
        Some(evaluate(&classifier, &rules, ont, &examples, negation.as_deref(), groups.as_deref())?)
    };
    if let Some(path) = &a.group_errors {
        let errors = report.as_ref().and_then(|r| r.groups_adjudicated.as_ref()).map(|g| g.extractor_errors.as_slice()).unwrap_or_default();
        write_jsonl(path, errors)?;
        eprintln!("wrote {} held-out sentences with data-group errors to {}", errors.len(), path.display());
    }
    let mut disclosures = Vec::new();
    if !a.app_sentences.is_empty() {
        let sentences = read_app_sentences(Path::new(&a.app_sentences))?;
        let model = ModelExtractor::from_classifier(classifier, ont).with_chinese(chinese()?);
        for half in ["dev", "test"] {
            let part: Vec<&_> = sentences.iter().filter(|s| app_half(&s.app) == half).collect();
            disclosures.push(score_disclosures(&model, ont, &part, half)?);
            disclosures.push(score_disclosures(&rules, ont, &part, half)?);
        }
        if let Some(path) = &a.errors {
            let errors: Vec<&super::disclosure::SentenceErrors> =
                disclosures.iter().filter(|d| d.extractor == "model").flat_map(|d| &d.errors).collect();
            write_jsonl(path, &errors)?;
            eprintln!("wrote {} sentences with errors to {}", errors.len(), path.display());
        }
    }
    let text = if a.format == "json" {
        let all = serde_json::json!({ "opp115_heldout": report, "app_sentences": disclosures });
        serde_json::to_string_pretty(&all).map_err(|e| Error::Data(e.to_string()))? + "\n"
    } else {
        let labelled = report.as_ref().map(markdown_table).unwrap_or_default();
        let scored = if disclosures.is_empty() { String::new() } else { super::disclosure::markdown_table(&a.app_sentences, &disclosures) };
        [labelled, scored].into_iter().filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n")
    };
    print!("{text}");
    Ok(0)
}

/// `candor tune`: choose every output's threshold on the validation
/// sentences (as training does, with the minimum-support guard), and the
/// negation head's on their hand-adjudicated negation labels.
pub fn tune(a: TuneArgs) -> Result<u8> {
    use crate::extract::model::labels::idx;
    let dir = model_dir(a.model.as_deref())?;
    let classifier = SentenceClassifier::load(&dir)?;
    let examples: Vec<super::dataset::Example> = read_jsonl(&a.data)?;
    // Every other output: F1-best on the validation labels, as training
    // chooses them (all sentences, no prefilter), 0.5 for labels with too
    // few positives there.
    let names = classifier.labels.names();
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let probs = classifier.predict(&texts)?;
    let gold: Vec<Vec<f32>> = examples.iter().map(|e| super::trainer::targets(e, &names)).collect();
    let thresholds = super::metrics::tune_thresholds(&probs, &gold, names.len());
    for (j, (name, t)) in names.iter().zip(&thresholds).enumerate() {
        let old = classifier.labels.thresholds.get(j).copied().unwrap_or(0.5);
        if j != idx::NEGATED && (old - t).abs() > 1e-6 {
            let positives = gold.iter().filter(|g| g[j] > 0.5).count();
            println!("{name}: threshold {old:.2} -> {t:.2} ({positives} validation positives)");
        }
    }
    let labels: Vec<super::eval::NegationLabel> = read_jsonl(&a.negation_labels)?;
    let (table, best) = super::eval::negation_thresholds(&classifier, &examples, &labels)?;
    let current = classifier.labels.thresholds.get(idx::NEGATED).copied().unwrap_or(0.5);
    println!("| threshold | P | R | F1 |\n|---:|---:|---:|---:|");
    for (t, score) in &table {
        println!("| {t:.2} | {:.3} | {:.3} | {:.3} |", score.precision, score.recall, score.f1);
    }
    let (best_threshold, best) = best;
    println!("\nnegation threshold: current {current:.2}, best {best_threshold:.2} (F1 {:.3})", best.f1);
    if a.write {
        let path = dir.join("labels.json");
        let mut space = crate::extract::model::labels::LabelSpace::load(&path)?;
        space.thresholds = thresholds;
        if let Some(t) = space.thresholds.get_mut(idx::NEGATED) {
            *t = best_threshold;
        }
        space.save(&path)?;
        println!("wrote {}", path.display());
    }
    Ok(0)
}

/// Peak resident set size of this process in MiB (Linux), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Policy files under the inputs (folders are read one level deep).
fn policy_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for i in inputs {
        if i.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(i)
                .map_err(|e| Error::input(i, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| crate::policy::format_from_extension(p).is_some())
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(i.clone());
        }
    }
    Ok(out)
}

/// `candor bench`: sentences/s, tokens/s, policies/s and peak RSS.
pub fn bench(a: BenchArgs) -> Result<u8> {
    let classifier = SentenceClassifier::load(&model_dir(a.model.as_deref())?)?;
    let files = policy_files(&a.inputs)?;
    let docs: Vec<_> = files.iter().map(|f| crate::policy::load_policy(f)).collect::<Result<_>>()?;
    let sentences: Vec<&str> = docs.iter().flat_map(|d| d.sentences.iter().map(|s| s.text.as_str())).collect();
    let tokens: usize = sentences.iter().map(|s| classifier.tokenizer().count_tokens(s).unwrap_or(0)).sum();
    println!("{} policies, {} sentences, {} tokens", docs.len(), sentences.len(), tokens);
    // candor's pipeline: dedup, prefilter, length-sorted batches.
    let started = std::time::Instant::now();
    let mut unique: Vec<&str> = sentences.clone();
    unique.sort();
    unique.dedup();
    let kept: Vec<&str> = unique.into_iter().filter(|s| may_state_practice(s)).collect();
    classifier.predict(&kept)?;
    let t = started.elapsed().as_secs_f64();
    println!(
        "candor pipeline: {:.2}s, {:.1} sentences/s, {:.0} tokens/s, {:.2} policies/s ({} sentences encoded after dedup and prefilter)",
        t,
        sentences.len() as f64 / t,
        tokens as f64 / t,
        docs.len() as f64 / t,
        kept.len()
    );
    if a.compare_plain {
        let started = std::time::Instant::now();
        for chunk in sentences.chunks(crate::extract::model::BATCH_SIZE) {
            classifier.predict_unsorted(chunk)?;
        }
        let t = started.elapsed().as_secs_f64();
        println!(
            "plain encoder (every sentence, input order, batch {}): {:.2}s, {:.1} sentences/s, {:.0} tokens/s",
            crate::extract::model::BATCH_SIZE,
            t,
            sentences.len() as f64 / t,
            tokens as f64 / t
        );
    }
    if let Some(rss) = peak_rss_mib() {
        println!("peak RSS: {rss:.0} MiB");
    }
    Ok(0)
}
