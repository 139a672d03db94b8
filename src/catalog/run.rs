//! `candor catalog run`: check every app of a catalog (or of one shard),
//! in parallel, resumably.
//!
//! 1. Hash each app's input files and skip apps whose stored result has the
//!    same hash (finished by an earlier, maybe killed, run).
//! 2. Group the remaining apps by the content of their policy file, so a
//!    policy shared by many apps is read once; a memo keyed by the
//!    normalized text hash (and the practice cache on disk) makes each
//!    distinct policy text extracted once even across groups and runs.
//!    Policies are taken a window of [`POLICY_WINDOW`] groups at a time:
//!    the window's sentences go through the model together
//!    ([`Extractor::prepare`]), so model batches are filled across apps.
//! 3. Observe, compare and store each app the moment it is finished.

use super::input::CatalogIssue;
use super::{check_app_report, digest_inputs, read_catalog, AppEntry, AppResult, AppStatus, PolicyContext, ResultStore, Shard};
use crate::compare::FindingKind;
use crate::extract::{Extractor, Practice};
use crate::ontology::Ontologies;
use crate::policy::PolicyDocument;
use crate::store::{extract_cached, PracticeCache};
use crate::{Error, Result};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Policy groups whose sentences are read by the model together. Large
/// enough to fill length-sorted batches across short policies; small enough
/// that the first results are stored within seconds and memory stays flat.
pub const POLICY_WINDOW: usize = 32;

/// Most worker threads a run starts (or four per core, if more): a larger
/// `--jobs` is lowered to it with a note.
pub const MAX_JOBS: usize = 256;

/// How a run reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A progress bar on a terminal, plain periodic lines otherwise.
    Auto,
    /// Plain lines on standard error, at most one per interval.
    Lines,
    /// Nothing but the final summary.
    Quiet,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub catalog: PathBuf,
    pub store: PathBuf,
    /// Worker threads (0: one per core).
    pub jobs: usize,
    pub shard: Option<Shard>,
    /// The practice cache folder; `None` disables it.
    pub cache: Option<PathBuf>,
    pub progress: ProgressMode,
    /// Least time between two progress lines (zero: a line per app).
    pub progress_interval: Duration,
    /// Sleep this long after each app (for testing interruption).
    pub delay: Duration,
    pub fail_on: Vec<FindingKind>,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Valid apps in the catalog.
    pub catalog_apps: usize,
    /// Skipped catalog lines.
    pub issues: Vec<CatalogIssue>,
    /// Apps of the chosen shard (all apps without `--shard`).
    pub in_shard: usize,
    /// Apps whose stored result was up to date.
    pub reused: usize,
    /// Apps checked by this run.
    pub computed: usize,
    /// Apps of the shard that are done / failed after the run.
    pub done: usize,
    pub failed: usize,
    /// Done apps with a finding of a `fail_on` kind.
    pub failing: usize,
    /// Policy texts extracted by this run (cache misses).
    pub extractions: usize,
    /// Distinct policy texts among the apps checked by this run.
    pub distinct_policies: usize,
    pub elapsed: Duration,
}

impl RunOutcome {
    /// 2 when a catalog line was skipped or an app failed, 1 when an app has
    /// findings of a `fail_on` kind, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        if !self.issues.is_empty() || self.failed > 0 {
            2
        } else if self.failing > 0 {
            1
        } else {
            0
        }
    }

    /// Checked apps per minute.
    pub fn apps_per_minute(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.computed as f64 * 60.0 / secs
        } else {
            0.0
        }
    }
}

/// Counts calls to the wrapped extractor.
struct CountingExtractor<'a> {
    inner: &'a dyn Extractor,
    calls: AtomicUsize,
}

impl Extractor for CountingExtractor<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn version(&self) -> String {
        self.inner.version()
    }
    fn extract(&self, doc: &PolicyDocument) -> Result<Vec<Practice>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.extract(doc)
    }
    fn prepare(&self, docs: &[&PolicyDocument]) -> Result<()> {
        self.inner.prepare(docs)
    }
}

type Extraction = std::result::Result<Arc<Vec<Practice>>, String>;

/// Each distinct policy text extracted once: concurrent requests for one
/// text wait for the first; entries are dropped when no group uses them
/// (the practice cache on disk answers later requests).
#[derive(Default)]
struct ExtractionMemo {
    cells: Mutex<HashMap<String, Arc<OnceLock<Extraction>>>>,
    distinct: Mutex<std::collections::HashSet<String>>,
}

impl ExtractionMemo {
    fn practices(&self, doc: &PolicyDocument, extractor: &dyn Extractor, cache: Option<&PracticeCache>) -> (Extraction, bool) {
        let key = doc.text_hash();
        lock(&self.distinct).insert(key.clone());
        let cell = lock(&self.cells).entry(key.clone()).or_default().clone();
        let mut cached = true;
        let result = cell
            .get_or_init(|| match extract_cached(cache, extractor, doc) {
                Ok((p, hit)) => {
                    cached = hit;
                    Ok(Arc::new(p))
                }
                Err(e) => Err(e.to_string()),
            })
            .clone();
        let mut cells = lock(&self.cells);
        if cells.get(&key).is_some_and(|c| Arc::strong_count(c) <= 2) {
            cells.remove(&key);
        }
        (result, cached)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Progress: a bar on a terminal, periodic lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    total: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
    start: Instant,
    last_line: Mutex<Option<Instant>>,
    interval: Duration,
}

impl Progress {
    fn new(mode: ProgressMode, total: usize, interval: Duration) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = (mode == ProgressMode::Auto && terminal && total > 0).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} apps, {per_sec}, ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let lines = bar.is_none() && mode != ProgressMode::Quiet;
        Progress {
            bar,
            lines,
            total,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            start: Instant::now(),
            last_line: Mutex::new(None),
            interval,
        }
    }

    fn inc(&self, failed: bool) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let failures = if failed { self.failed.fetch_add(1, Ordering::SeqCst) + 1 } else { self.failed.load(Ordering::SeqCst) };
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if failed {
                bar.set_message(format!("{failures} failed"));
            }
            return;
        }
        if !self.lines {
            return;
        }
        let now = Instant::now();
        let mut last = lock(&self.last_line);
        let due = done == self.total || last.is_none_or(|t| now.duration_since(t) >= self.interval);
        if !due {
            return;
        }
        *last = Some(now);
        let secs = now.duration_since(self.start).as_secs_f64().max(1e-6);
        let rate = done as f64 / secs;
        let eta = if rate > 0.0 { (self.total - done) as f64 / rate } else { 0.0 };
        eprintln!(
            "catalog: {done}/{} apps ({:.1}%), {failures} failed, {:.0} apps/min, ETA {}",
            self.total,
            100.0 * done as f64 / self.total.max(1) as f64,
            rate * 60.0,
            fmt_secs(eta)
        );
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `1h02m`, `3m05s`, `12s`.
pub fn fmt_secs(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// An app waiting to be checked, with its input hash.
struct Pending<'a> {
    app: &'a AppEntry,
    hash: String,
}

/// Run a catalog; see the module docs.
pub fn run_catalog(opts: &RunOptions, extractor: &mut dyn Extractor, ont: &'static Ontologies) -> Result<RunOutcome> {
    let start = Instant::now();
    let catalog = read_catalog(&opts.catalog)?;
    let mut outcome = RunOutcome { catalog_apps: catalog.apps.len(), issues: catalog.issues.clone(), ..Default::default() };
    let apps: Vec<&AppEntry> = catalog.apps.iter().filter(|a| opts.shard.is_none_or(|s| s.contains(&a.app_id))).collect();
    outcome.in_shard = apps.len();
    let store = ResultStore::open(&opts.store)?;
    let cache = match &opts.cache {
        Some(dir) => match PracticeCache::open(dir) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("candor: warning: practice cache disabled: {e}");
                None
            }
        },
        None => None,
    };
    // Sentences shared by different policies (boilerplate) are read once.
    if let Some(c) = &cache {
        extractor.use_sentence_cache(c.sentence_cache());
    }
    let extractor: &dyn Extractor = extractor;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let max_jobs = MAX_JOBS.max(4 * cores);
    let jobs = match opts.jobs {
        0 => cores,
        n if n > max_jobs => {
            eprintln!("candor: --jobs {n} is more than the {max_jobs} worker threads a run starts; using {max_jobs}");
            max_jobs
        }
        n => n,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("candor-catalog-{i}"))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {jobs} worker threads: {e}")))?;
    let counting = CountingExtractor { inner: extractor, calls: AtomicUsize::new(0) };
    let version = extractor.version();

    // 1. What is already stored and up to date.
    struct Prior {
        status: AppStatus,
        fails: bool,
    }
    let scanned: Vec<(usize, std::result::Result<Prior, (String, Option<String>)>)> = pool.install(|| {
        apps.par_iter()
            .enumerate()
            .map(|(i, app)| {
                let digest = digest_inputs(app, &version);
                match store.get(&app.app_id) {
                    Ok(Some(r)) if r.input_hash == digest.total => {
                        Ok((i, Ok(Prior { status: r.status, fails: r.fails(&opts.fail_on) })))
                    }
                    Ok(_) => Ok((i, Err((digest.total, digest.policy)))),
                    Err(e) => Err(e),
                }
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut groups: BTreeMap<Option<String>, Vec<Pending>> = BTreeMap::new();
    let mut group_order: Vec<Option<String>> = Vec::new();
    for (i, s) in scanned {
        match s {
            Ok(prior) => {
                outcome.reused += 1;
                match prior.status {
                    AppStatus::Done => outcome.done += 1,
                    AppStatus::Failed => outcome.failed += 1,
                }
                outcome.failing += usize::from(prior.fails);
            }
            Err((hash, policy_digest)) => {
                // Same bytes and same extension (which picks the format): one parse.
                // An unreadable file is its own group, so its error names it.
                let key = match (&apps[i].policy, policy_digest) {
                    (Some(path), Some(d)) if d.starts_with("unreadable:") => Some(format!("{d}:{}", path.display())),
                    (Some(path), Some(d)) => {
                        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
                        Some(format!("{d}.{ext}"))
                    }
                    _ => None,
                };
                let group = groups.entry(key.clone()).or_insert_with(|| {
                    group_order.push(key);
                    Vec::new()
                });
                group.push(Pending { app: apps[i], hash });
            }
        }
    }
    let pending: usize = groups.values().map(Vec::len).sum();
    if opts.progress != ProgressMode::Quiet {
        let shard = opts.shard.map(|s| format!(" (shard {s}: {} apps)", apps.len())).unwrap_or_default();
        eprintln!(
            "catalog: {} apps{shard}; {} up to date in {}, {pending} to check with {jobs} jobs",
            catalog.apps.len(),
            outcome.reused,
            opts.store.display()
        );
    }

    // 2-3. Check the pending apps, a policy group at a time.
    let progress = Progress::new(opts.progress, pending, opts.progress_interval);
    let memo = ExtractionMemo::default();
    let stop = AtomicBool::new(false);
    let store_error: Mutex<Option<Error>> = Mutex::new(None);
    let tally = Mutex::new((0usize, 0usize, 0usize)); // done, failed, failing
    let ordered: Vec<(Option<String>, Vec<Pending>)> = {
        let mut groups = groups;
        group_order.into_iter().filter_map(|k| groups.remove(&k).map(|v| (k, v))).collect()
    };
    for window in ordered.chunks(POLICY_WINDOW) {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let docs: Vec<std::result::Result<PolicyDocument, String>> = pool.install(|| {
            window
                .par_iter()
                .map(|(policy_key, members)| match (policy_key, members[0].app.policy.as_deref()) {
                    (Some(_), Some(path)) => crate::policy::load_policy(path).map_err(|e| e.to_string()),
                    _ => Err("no policy in the catalog for this app".to_string()),
                })
                .collect()
        });
        // A model error here shows again, per policy, when that policy is extracted.
        let readable: Vec<&PolicyDocument> = docs.iter().filter_map(|d| d.as_ref().ok()).collect();
        let _ = pool.install(|| counting.prepare(&readable));
        pool.install(|| {
            window.par_iter().zip(docs).for_each(|((_, members), doc)| {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let ctx: std::result::Result<PolicyContext, String> = match doc {
                    Ok(doc) => match memo.practices(&doc, &counting, cache.as_ref()) {
                        (Ok(practices), cached) => Ok(PolicyContext::new(doc, practices, cached, ont)),
                        (Err(e), _) => Err(e),
                    },
                    Err(e) => Err(e),
                };
                let policy_hash = ctx.as_ref().ok().map(|c| c.doc.text_hash());
                members.par_iter().for_each(|p| {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let t0 = Instant::now();
                    let mut result = match &ctx {
                        Ok(ctx) => match check_app_report(p.app, ont, &counting, ctx) {
                            Ok(report) => AppResult::from_report(p.app, &p.hash, policy_hash.clone(), &report),
                            Err(e) => AppResult::failed(p.app, &p.hash, &version, e),
                        },
                        Err(e) => AppResult::failed(p.app, &p.hash, &version, e),
                    };
                    result.elapsed_ms = t0.elapsed().as_millis() as u64;
                    if let Err(e) = store.put(&result) {
                        stop.store(true, Ordering::SeqCst);
                        lock(&store_error).get_or_insert(e);
                        return;
                    }
                    let failed = result.status == AppStatus::Failed;
                    {
                        let mut t = lock(&tally);
                        if failed {
                            t.1 += 1;
                        } else {
                            t.0 += 1;
                            t.2 += usize::from(result.fails(&opts.fail_on));
                        }
                    }
                    progress.inc(failed);
                    if !opts.delay.is_zero() {
                        std::thread::sleep(opts.delay);
                    }
                });
            });
        });
    }
    progress.finish();
    if let Some(e) = lock(&store_error).take() {
        return Err(e);
    }
    let (done, failed, failing) = *lock(&tally);
    outcome.computed = done + failed;
    outcome.done += done;
    outcome.failed += failed;
    outcome.failing += failing;
    outcome.extractions = counting.calls.load(Ordering::SeqCst);
    outcome.distinct_policies = lock(&memo.distinct).len();
    outcome.elapsed = start.elapsed();
    Ok(outcome)
}
