//! `candor catalog` subcommands: `run`, `status`, `report`.

use super::run::{run_catalog, ProgressMode, RunOptions};
use super::summary::CatalogReport;
use super::{digest_inputs, read_catalog, AppStatus, ResultStore, Shard};
use crate::cli::{emit, make_extractor, parse_fail_on, ExtractorArgs};
use crate::{Error, Result};
use clap::ValueEnum;
use std::path::PathBuf;
use std::time::Duration;

/// `candor catalog` subcommands.
#[derive(clap::Subcommand)]
pub enum CatalogCmd {
    /// Check every app of a catalog (JSONL or CSV), in parallel; resumable.
    Run(RunArgs),
    /// Count done, failed and pending apps.
    Status(StatusArgs),
    /// Report on the apps of one or more stores (merged).
    Report(ReportArgs),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ProgressChoice {
    Auto,
    Lines,
    Quiet,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The catalog: JSONL (one JSON object per app) or CSV (with a header).
    catalog: PathBuf,
    /// Folder of the result store (created if missing).
    #[arg(long)]
    store: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Only the apps of shard I of N (0-based), by a stable hash of app_id.
    #[arg(long)]
    shard: Option<Shard>,
    /// Extractor, model and practice cache (for `catalog run` the cache defaults to the store folder).
    #[command(flatten)]
    extractor: ExtractorArgs,
    /// Finding kinds that make the exit code 1 (as for `check`).
    #[arg(long, default_value = "omitted,incorrect,cross-border,pre-consent")]
    fail_on: String,
    /// Progress: a bar on a terminal and lines otherwise (auto), always lines, or none.
    #[arg(long, value_enum, default_value = "auto")]
    progress: ProgressChoice,
    /// Seconds between two progress lines (0: one line per app).
    #[arg(long, default_value_t = 10.0)]
    progress_interval: f64,
    /// Sleep this many milliseconds after each app (to test interruption).
    #[arg(long, default_value_t = 0, hide = true)]
    delay_ms: u64,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum StatusFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// Folder of the result store.
    #[arg(long)]
    store: PathBuf,
    /// The catalog, to count pending apps (not stored, or stored with other inputs).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Only the apps of this shard of the catalog.
    #[arg(long)]
    shard: Option<Shard>,
    #[arg(long, value_enum, default_value = "text")]
    format: StatusFormat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CatalogFormat {
    Json,
    Csv,
    Md,
    Html,
    Sarif,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Store folder (repeatable: the stores of several shards are merged).
    #[arg(long, required = true)]
    store: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "json")]
    format: CatalogFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Run a catalog subcommand; returns the exit code.
pub fn run(cmd: CatalogCmd) -> Result<u8> {
    match cmd {
        CatalogCmd::Run(a) => run_cmd(a),
        CatalogCmd::Status(a) => status_cmd(a),
        CatalogCmd::Report(a) => report_cmd(a),
    }
}

fn run_cmd(a: RunArgs) -> Result<u8> {
    let fail_on = parse_fail_on(&a.fail_on)?;
    if !(a.progress_interval.is_finite() && a.progress_interval >= 0.0) {
        return Err(Error::Usage("--progress-interval must be a number of seconds >= 0".into()));
    }
    let ont = crate::ontology::shipped()?;
    let mut extractor = make_extractor(a.extractor.extractor, a.extractor.model.as_deref(), ont)?;
    let opts = RunOptions {
        catalog: a.catalog.clone(),
        store: a.store.clone(),
        jobs: a.jobs,
        shard: a.shard,
        cache: if a.extractor.no_cache { None } else { Some(a.extractor.cache.clone().unwrap_or_else(|| a.store.clone())) },
        progress: match a.progress {
            ProgressChoice::Auto => ProgressMode::Auto,
            ProgressChoice::Lines => ProgressMode::Lines,
            ProgressChoice::Quiet => ProgressMode::Quiet,
        },
        progress_interval: Duration::from_secs_f64(a.progress_interval),
        delay: Duration::from_millis(a.delay_ms),
        fail_on,
    };
    let outcome = run_catalog(&opts, extractor.as_mut(), ont)?;
    let name = a.catalog.display();
    for issue in &outcome.issues {
        eprintln!("{name}:{}: skipped: {}", issue.line, issue.message);
    }
    eprintln!(
        "catalog: {} apps{}: {} done, {} failed, {} failing --fail-on; {} checked now ({} up to date), {} policies extracted, {:.1}s",
        outcome.in_shard,
        a.shard.map(|s| format!(" in shard {s}")).unwrap_or_default(),
        outcome.done,
        outcome.failed,
        outcome.failing,
        outcome.computed,
        outcome.reused,
        outcome.extractions,
        outcome.elapsed.as_secs_f64()
    );
    if !outcome.issues.is_empty() {
        eprintln!("catalog: {} bad lines skipped", outcome.issues.len());
    }
    Ok(outcome.exit_code())
}

fn status_cmd(a: StatusArgs) -> Result<u8> {
    if !a.store.join("results.sled").exists() {
        return Err(Error::Store { path: a.store.clone(), problem: "no catalog store here (run `candor catalog run` first)".into() });
    }
    let store = ResultStore::open_for_reading(&a.store)?;
    let (mut done, mut failed) = (0usize, 0usize);
    let mut stored = std::collections::HashMap::new();
    for r in store.iter() {
        let r = r?;
        match r.status {
            AppStatus::Done => done += 1,
            AppStatus::Failed => failed += 1,
        }
        stored.insert(r.app_id.clone(), (r.input_hash, r.extractor, r.status));
    }
    let mut json = serde_json::json!({"store": a.store.display().to_string(), "stored": done + failed, "done": done, "failed": failed});
    let mut text = format!("store {}: {} apps stored: {done} done, {failed} failed\n", a.store.display(), done + failed);
    if let Some(path) = &a.catalog {
        let catalog = read_catalog(path)?;
        let (mut c_done, mut c_failed, mut stale, mut pending, mut total) = (0usize, 0usize, 0usize, 0usize, 0usize);
        for app in catalog.apps.iter().filter(|app| a.shard.is_none_or(|s| s.contains(&app.app_id))) {
            total += 1;
            match stored.get(&app.app_id) {
                None => pending += 1,
                Some((hash, extractor, status)) => {
                    if digest_inputs(app, extractor).total == *hash {
                        match status {
                            AppStatus::Done => c_done += 1,
                            AppStatus::Failed => c_failed += 1,
                        }
                    } else {
                        stale += 1;
                    }
                }
            }
        }
        let shard = a.shard.map(|s| format!(" (shard {s})")).unwrap_or_default();
        text.push_str(&format!(
            "catalog {}{shard}: {total} apps: {c_done} done, {c_failed} failed, {} pending ({pending} never run, {stale} with changed inputs), {} bad lines\n",
            path.display(),
            pending + stale,
            catalog.issues.len()
        ));
        json["catalog"] = serde_json::json!({
            "path": path.display().to_string(),
            "shard": a.shard.map(|s| s.to_string()),
            "apps": total,
            "done": c_done,
            "failed": c_failed,
            "pending": pending + stale,
            "never_run": pending,
            "stale": stale,
            "bad_lines": catalog.issues.iter().map(|i| serde_json::json!({"line": i.line, "message": i.message})).collect::<Vec<_>>(),
        });
    }
    let out = match a.format {
        StatusFormat::Text => text,
        StatusFormat::Json => serde_json::to_string_pretty(&json).map_err(|e| Error::Data(e.to_string()))? + "\n",
    };
    emit(&out, None)?;
    Ok(0)
}

fn report_cmd(a: ReportArgs) -> Result<u8> {
    let report = CatalogReport::load(&a.store)?;
    let text = match a.format {
        CatalogFormat::Json => super::summary::render_json(&report),
        CatalogFormat::Csv => super::summary::render_csv(&report)?,
        CatalogFormat::Md => super::summary::render_markdown(&report),
        CatalogFormat::Html => crate::report::render_catalog_html(&report),
        CatalogFormat::Sarif => crate::report::render_catalog_sarif(&report),
    };
    emit(&text, a.out.as_deref())?;
    Ok(0)
}

