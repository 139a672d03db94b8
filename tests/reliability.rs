//! Hostile inputs (issue 14): each ends quickly with a message naming the
//! file and the problem, or a correct result; none is silently lost. Every
//! input is generated here, none is stored in git.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn candor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run candor")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A deterministic alphanumeric string of `n` characters.
fn noise(n: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// Exit status 2 with a message naming `file` and containing `problem`.
fn assert_input_error(o: &Output, file: &Path, problem: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(&file.display().to_string()), "message does not name {}: {err}", file.display());
    assert!(err.contains(problem), "message does not say {problem:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

const HAR: &str = "examples/sample-app/first-run.har";

// ---------------------------------------------------------------------------
// 1. Device profiles

#[test]
fn device_profile_with_a_long_value_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let profile = format!(
        r#"{{"advertising_id": "1209d0b9-b959-42e6-b921-aa5d9d08c1af", "email_address": "{}"}}"#,
        noise(200_000, 1)
    );
    let d = write(dir.path(), "d.json", profile.as_bytes());
    let start = Instant::now();
    let o = candor(&["observe", HAR, "--device", d.to_str().unwrap()]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_input_error(&o, &d, "longer than the 256 byte limit");
}

#[test]
fn device_profile_with_too_many_values_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<String> = (0..200_000).map(|i| format!("\"{}\"", noise(10, i))).collect();
    let profile = format!(r#"{{"email_address": [{}]}}"#, values.join(","));
    let d = write(dir.path(), "d.json", profile.as_bytes());
    let o = candor(&["observe", HAR, "--device", d.to_str().unwrap()]);
    assert_input_error(&o, &d, "more than 256 values");
}

/// A profile at the limits (256 values of 256 bytes) still finds the
/// advertising id in the capture: value matching is never switched off.
#[test]
fn device_profile_at_the_limits_still_matches_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut values: Vec<String> = (0..255).map(|i| format!("\"{}\"", noise(256, i))).collect();
    values.push("\"1209d0b9-b959-42e6-b921-aa5d9d08c1af\"".to_string());
    let profile = format!(r#"{{"advertising_id": [{}]}}"#, values.join(","));
    let d = write(dir.path(), "d.json", profile.as_bytes());
    let o = candor(&["observe", HAR, "--device", d.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("value:plain"), "no value match with a full profile");
}

// ---------------------------------------------------------------------------
// 2. Catalogs

const POLICY: &str = "examples/opennote/PRIVACY_POLICY.md";
const MANIFEST: &str = "examples/opennote/AndroidManifest.xml";

fn root_file(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel).display().to_string()
}

fn app_line(id: &str, policy: &str) -> String {
    serde_json::json!({"app_id": id, "policy": policy, "manifest": root_file(MANIFEST)}).to_string()
}

fn run_catalog(catalog: &Path, store: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["catalog", "run", catalog.to_str().unwrap(), "--store", store.to_str().unwrap(), "--extractor", "rules", "--progress", "quiet"];
    args.extend_from_slice(extra);
    candor(&args)
}

fn report_csv(store: &Path) -> String {
    let o = candor(&["catalog", "report", "--store", store.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

#[cfg(unix)]
#[test]
fn catalog_that_is_a_device_is_refused_by_type() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("zero.jsonl");
    std::os::unix::fs::symlink("/dev/zero", &catalog).unwrap();
    let start = Instant::now();
    let o = run_catalog(&catalog, &dir.path().join("store"), &[]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_input_error(&o, &catalog, "is a character device");
}

#[test]
fn catalog_over_the_size_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("sparse.jsonl");
    // Sparse: no disk space and no time to write.
    std::fs::File::create(&catalog).unwrap().set_len(2 << 30).unwrap();
    let start = Instant::now();
    let o = run_catalog(&catalog, &dir.path().join("store"), &[]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_input_error(&o, &catalog, "over the 268435456 byte limit");
}

/// A line far over the line limit is skipped with its number, the apps
/// around it are checked.
#[test]
fn catalog_long_line_is_skipped_while_reading() {
    let dir = tempfile::tempdir().unwrap();
    let policy = root_file(POLICY);
    let mut text = app_line("first", &policy);
    text.push('\n');
    text.push_str(&"x".repeat(20 << 20));
    text.push('\n');
    text.push_str(&app_line("last", &policy));
    text.push('\n');
    let catalog = write(dir.path(), "long.jsonl", text.as_bytes());
    let store = dir.path().join("store");
    let o = run_catalog(&catalog, &store, &[]);
    let err = stderr(&o);
    assert!(err.contains("long.jsonl:2: skipped: line is 20971521 bytes, over the 1048576 byte limit"), "{err}");
    let report = report_csv(&store);
    assert!(report.contains("\nfirst,done") && report.contains("\nlast,done"), "{report}");
}

/// A CSV record with an unclosed quote and megabytes after it: the record
/// is reported at its line, and reading resumes on the next line.
#[test]
fn catalog_csv_unclosed_quote_is_bounded_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (p, m) = (root_file(POLICY), root_file(MANIFEST));
    let mut text = format!("app_id,policy,manifest\nfirst,{p},{m}\n\"broken,{p},{m}\nafter,{p},{m}\n");
    for _ in 0..40_000 {
        text.push_str("# padding padding padding padding padding padding padding padding padding padding\n");
    }
    let catalog = write(dir.path(), "quote.csv", text.as_bytes());
    let store = dir.path().join("store");
    let start = Instant::now();
    let o = run_catalog(&catalog, &store, &[]);
    assert!(start.elapsed() < Duration::from_secs(30));
    let err = stderr(&o);
    assert!(err.contains("quote.csv:3: skipped: a record starting on this line runs past 1048576 bytes (an unclosed quote?)"), "{err}");
    let report = report_csv(&store);
    assert!(report.contains("\nfirst,done") && report.contains("\nafter,done"), "{report}");
    // The skipped line is listed by status with the catalog.
    let s = candor(&["catalog", "status", "--store", store.to_str().unwrap(), "--catalog", catalog.to_str().unwrap(), "--format", "json"]);
    let s: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert!(s["catalog"]["bad_lines"].as_array().unwrap().iter().any(|b| b["line"] == 3), "{s}");
}

/// Inputs that are devices or FIFOs fail their app with a message; the
/// input digest does not read them (it used to hang on both).
#[cfg(unix)]
#[test]
fn catalog_inputs_that_are_special_files_fail_their_app() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let policy = root_file(POLICY);
    let text = [app_line("good", &policy), app_line("zero", "/dev/zero"), app_line("fifo", fifo.to_str().unwrap())].join("\n");
    let catalog = write(dir.path(), "special.jsonl", text.as_bytes());
    let store = dir.path().join("store");
    let start = Instant::now();
    let o = run_catalog(&catalog, &store, &[]);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let report = report_csv(&store);
    assert!(report.contains("\ngood,done"), "{report}");
    assert!(report.contains("/dev/zero: is a character device, expected a regular file"), "{report}");
    assert!(report.contains("fifo: is a FIFO (named pipe), expected a regular file"), "{report}");
}

#[test]
fn catalog_jobs_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = write(dir.path(), "one.jsonl", app_line("one", &root_file(POLICY)).as_bytes());
    let start = Instant::now();
    let o = run_catalog(&catalog, &dir.path().join("store"), &["--jobs", "1000000"]);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("--jobs 1000000 is more than the"), "{}", stderr(&o));
}
