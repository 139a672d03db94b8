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
