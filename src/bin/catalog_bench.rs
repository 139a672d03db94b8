//! Scale benchmark of `candor catalog run`.
//!
//! Builds catalogs of N apps (default 1,000 and 10,000) over real policies
//! (`policies/` by default; `--policies DIR` adds every .html/.md/.txt under
//! DIR, e.g. the PoliCond corpus unpacked) and the real manifests and HAR
//! capture of `examples/`, then runs each catalog in a fresh process (so the
//! peak RSS is that run's alone) and once more over the finished store (the
//! resume pass). Reports apps/min, extractions, peak RSS (VmHWM) and store size.
//!
//! ```text
//! cargo run --release --bin catalog_bench -- --extractor rules --apps 1000,10000
//! ```

use candor::catalog::run::{run_catalog, ProgressMode, RunOptions};
use candor::cli::{make_extractor, ExtractorChoice};
use clap::Parser;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Scale benchmark of candor catalog run")]
struct Args {
    /// Catalog sizes to run (comma-separated).
    #[arg(long, default_value = "1000,10000", value_delimiter = ',')]
    apps: Vec<usize>,
    #[arg(long, value_enum, default_value = "rules")]
    extractor: ExtractorChoice,
    #[arg(long)]
    model: Option<PathBuf>,
    /// Extra policy folders (searched recursively); `policies/` is always used.
    #[arg(long)]
    policies: Vec<PathBuf>,
    /// Use at most this many distinct policies (0: all found).
    #[arg(long, default_value_t = 0)]
    max_policies: usize,
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Work folder (default: a temporary folder, removed at the end).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Internal: run one catalog in this process and print its figures as JSON.
    #[arg(long, hide = true, num_args = 2)]
    child: Option<Vec<PathBuf>>,
}

fn main() {
    candor::extract::model::single_threaded_ops();
    let args = Args::parse();
    let code = match &args.child {
        Some(paths) if paths.len() == 2 => child(&args, &paths[0], &paths[1]),
        _ => parent(&args),
    };
    std::process::exit(code);
}

/// Peak resident set size of this process (kB), from /proc/self/status.
fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(|e| e.ok())
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn child(args: &Args, catalog: &Path, store: &Path) -> i32 {
    let ont = match candor::ontology::shipped() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("catalog_bench: {e}");
            return 2;
        }
    };
    let mut extractor = match make_extractor(args.extractor, args.model.as_deref(), ont) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("catalog_bench: {e}");
            return 2;
        }
    };
    let opts = RunOptions {
        catalog: catalog.to_path_buf(),
        store: store.to_path_buf(),
        jobs: args.jobs,
        shard: None,
        cache: Some(store.to_path_buf()),
        progress: ProgressMode::Lines,
        progress_interval: Duration::from_secs(30),
        delay: Duration::ZERO,
        fail_on: candor::catalog::DEFAULT_FAIL_ON.to_vec(),
    };
    match run_catalog(&opts, extractor.as_mut(), ont) {
        Ok(o) => {
            let figures = serde_json::json!({
                "apps": o.in_shard,
                "computed": o.computed,
                "reused": o.reused,
                "done": o.done,
                "failed": o.failed,
                "extractions": o.extractions,
                "distinct_policies": o.distinct_policies,
                "seconds": o.elapsed.as_secs_f64(),
                "apps_per_min": o.apps_per_minute(),
                "vm_hwm_kb": vm_hwm_kb(),
                "store_bytes": dir_size(store),
            });
            println!("{figures}");
            0
        }
        Err(e) => {
            eprintln!("catalog_bench: {e}");
            2
        }
    }
}

fn collect_policies(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect_policies(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("html" | "htm" | "md" | "txt")) && !p.ends_with("SOURCES.md") {
            out.push(p);
        }
    }
}

fn parent(args: &Args) -> i32 {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut policies = Vec::new();
    collect_policies(&root.join("policies"), &mut policies);
    for d in &args.policies {
        collect_policies(d, &mut policies);
    }
    if args.max_policies > 0 {
        policies.truncate(args.max_policies);
    }
    if policies.is_empty() {
        eprintln!("catalog_bench: no policies found");
        return 2;
    }
    let ex = root.join("examples");
    let manifests: Vec<PathBuf> =
        ["sharelocation", "fairemail", "opennote", "destinystatus"].iter().map(|a| ex.join(a).join("AndroidManifest.xml")).collect();
    let har = ex.join("sample-app/first-run.har");
    let device = ex.join("sample-app/device.json");

    let work = args.work.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("candor-catalog-bench-{}", std::process::id())));
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("catalog_bench: {e}");
            return 2;
        }
    };
    println!(
        "catalog_bench: {} distinct policy files, extractor {:?}, jobs {}",
        policies.len(),
        if args.extractor == ExtractorChoice::Rules { "rules" } else { "model" },
        if args.jobs == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) } else { args.jobs }
    );
    println!("| apps | pass | checked | extractions | seconds | apps/min | peak RSS MiB | store MiB | failed |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &args.apps {
        let dir = work.join(format!("apps{n}"));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("catalog_bench: {}: {e}", dir.display());
            return 2;
        }
        let catalog = dir.join("catalog.jsonl");
        let store = dir.join("store");
        let _ = std::fs::remove_dir_all(&store);
        let mut lines = String::new();
        for i in 0..n {
            let mut entry = serde_json::json!({
                "app_id": format!("bench.app{i:06}"),
                "policy": policies[i % policies.len()],
                "manifest": manifests[(i / policies.len()) % manifests.len()],
            });
            if i % 3 == 0 {
                entry["traffic"] = serde_json::json!(har);
                entry["device"] = serde_json::json!(device);
            }
            lines.push_str(&entry.to_string());
            lines.push('\n');
        }
        if let Err(e) = std::fs::write(&catalog, lines) {
            eprintln!("catalog_bench: {}: {e}", catalog.display());
            return 2;
        }
        for pass in ["fresh", "resume"] {
            let mut cmd = Command::new(&exe);
            cmd.arg("--child").arg(&catalog).arg(&store).arg("--jobs").arg(args.jobs.to_string());
            cmd.arg("--extractor").arg(if args.extractor == ExtractorChoice::Rules { "rules" } else { "model" });
            if let Some(m) = &args.model {
                cmd.arg("--model").arg(m);
            }
            let out = match cmd.output() {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("catalog_bench: {e}");
                    return 2;
                }
            };
            let stdout = String::from_utf8_lossy(&out.stdout);
            let Some(v) = stdout.lines().last().and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok()) else {
                eprintln!("catalog_bench: the run of {n} apps failed: {}", String::from_utf8_lossy(&out.stderr));
                return 2;
            };
            let mib = |k: &str, div: f64| v[k].as_f64().map(|x| format!("{:.1}", x / div)).unwrap_or_else(|| "-".into());
            println!(
                "| {n} | {pass} | {} | {} | {:.1} | {:.0} | {} | {} | {} |",
                v["computed"],
                v["extractions"],
                v["seconds"].as_f64().unwrap_or(0.0),
                v["apps_per_min"].as_f64().unwrap_or(0.0),
                mib("vm_hwm_kb", 1024.0),
                mib("store_bytes", 1024.0 * 1024.0),
                v["failed"]
            );
            let _ = std::io::stdout().flush();
        }
    }
    if args.work.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    }
    0
}
