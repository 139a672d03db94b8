//! Hostile inputs (issue 14): each ends quickly with a message naming the
//! file and the problem, or a correct result; none is silently lost. Every
//! input is generated here, none is stored in git.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;
use run::{candor, stderr, stdout, write};


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
    assert_input_error(&o, &catalog, "over the 134217728 byte limit");
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

// ---------------------------------------------------------------------------
// 3. The result store

/// A store of `n` finished apps.
fn finished_store(dir: &Path, n: usize) -> PathBuf {
    let policy = root_file(POLICY);
    let lines: Vec<String> = (0..n).map(|i| app_line(&format!("app{i:04}"), &policy)).collect();
    let catalog = write(dir, "apps.jsonl", lines.join("\n").as_bytes());
    let store = dir.join("store");
    let o = run_catalog(&catalog, &store, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    store
}

/// Flip every 97th byte of the store's database (the reproduction of
/// issue 14): sled used to recover an empty tree and status said 0 apps.
#[test]
fn corrupted_store_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let store = finished_store(dir.path(), 300);
    let db = store.join("results.sled").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    for i in (0..bytes.len()).step_by(97) {
        bytes[i] ^= 0xff;
    }
    std::fs::write(&db, bytes).unwrap();
    for args in [&["catalog", "status"][..], &["catalog", "report", "--format", "csv"][..]] {
        let mut a = args.to_vec();
        a.extend(["--store", store.to_str().unwrap()]);
        let o = candor(&a);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?} exit: {err}\n{}", stdout(&o));
        assert!(err.contains(&format!("store {}", store.display())) && err.contains("damaged"), "{args:?}: {err}");
    }
}

/// Records lost by sled's recovery (fewer than were written) are reported.
#[test]
fn store_with_fewer_records_than_written_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = finished_store(dir.path(), 3);
    assert_eq!(std::fs::read_to_string(store.join("results.count")).unwrap().trim(), "3");
    std::fs::write(store.join("results.count"), "5\n").unwrap();
    let o = candor(&["catalog", "status", "--store", store.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("5 records were written, sled recovered 3"), "{}", stderr(&o));
}

/// `status` and `report` read a store that cannot be written. As root the
/// store is made read-only with a read-only bind mount; the test says so
/// and passes when neither that nor file modes can make it read-only.
#[cfg(unix)]
#[test]
fn read_only_store_can_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = finished_store(dir.path(), 3);
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let mounted = Command::new("mount").arg("--bind").arg(&store).arg(&ro).status().is_ok_and(|s| s.success())
        && Command::new("mount").args(["-o", "remount,ro,bind"]).arg(&ro).status().is_ok_and(|s| s.success());
    let target = if mounted { ro.clone() } else { store.clone() };
    if !mounted {
        set_writable(&store, false);
    }
    let writable = std::fs::write(target.join("probe"), b"x").is_ok();
    if !writable {
        let status = candor(&["catalog", "status", "--store", target.to_str().unwrap()]);
        let report = candor(&["catalog", "report", "--store", target.to_str().unwrap(), "--format", "csv"]);
        if mounted {
            let _ = Command::new("umount").arg(&ro).status();
        } else {
            set_writable(&store, true);
        }
        assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
        assert!(stdout(&status).contains("3 apps stored: 3 done"), "{}", stdout(&status));
        assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
        assert_eq!(stdout(&report).lines().count(), 4, "{}", stdout(&report));
    } else {
        eprintln!("read_only_store_can_be_read: cannot make a read-only folder here (root without mount); not checked");
        if mounted {
            let _ = Command::new("umount").arg(&ro).status();
        }
        set_writable(&store, true);
    }
}

#[cfg(unix)]
fn set_writable(dir: &Path, writable: bool) {
    use std::os::unix::fs::PermissionsExt;
    for entry in walk(dir) {
        let meta = std::fs::metadata(&entry).unwrap();
        let mode = meta.permissions().mode();
        let mode = if writable { mode | 0o200 } else { mode & !0o222 };
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// 4. ZIP archives (APK, XAPK)

/// A ZIP with the given stored entries, then a central directory whose
/// records are (name, index of the entry whose local header they point at).
fn zip_pointing(entries: &[(&str, &[u8])], records: &[(String, usize)]) -> Vec<u8> {
    let crc = |b: &[u8]| {
        let mut c = flate2::Crc::new();
        c.update(b);
        c.sum()
    };
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for (name, data) in entries {
        offsets.push(out.len() as u32);
        out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc(data).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
    }
    let mut central = Vec::new();
    for (name, target) in records {
        let data = entries[*target].1;
        central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&crc(data).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offsets[*target].to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    out.extend_from_slice(&(records.len() as u16).to_le_bytes());
    out.extend_from_slice(&(records.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The issue's reproduction, scaled down: an inner APK whose five DEX
/// records share one blob, stored 400 times at offset 0 of an XAPK.
#[test]
fn zip_entries_sharing_their_data_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dex = vec![0u8; 4096];
    let dex_records: Vec<(String, usize)> =
        ["classes.dex", "classes2.dex", "classes3.dex", "classes4.dex", "classes5.dex"].iter().map(|n| (n.to_string(), 0)).collect();
    let inner = zip_pointing(&[("classes.dex", &dex)], &dex_records);
    let apk = write(dir.path(), "inner.apk", &inner);
    let o = candor(&["observe", apk.to_str().unwrap()]);
    assert_input_error(&o, &apk, "overlap");

    let outer_records: Vec<(String, usize)> = (0..400).map(|i| (format!("split{i}.apk"), 0)).collect();
    let xapk = write(dir.path(), "outer.xapk", &zip_pointing(&[("split0.apk", &inner)], &outer_records));
    let start = Instant::now();
    let o = candor(&["observe", xapk.to_str().unwrap()]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_input_error(&o, &xapk, "overlap");
}

/// An APK inside an XAPK counts against the XAPK's inflation total: the
/// limits are not fresh for each nested archive.
#[test]
fn nested_archives_share_one_inflation_budget() {
    use candor::observe::zip::{ZipArchive, ZipLimits};
    let a = vec![b'a'; 6000];
    let inner = zip_pointing(&[("a", &a), ("b", &a)], &[("a".into(), 0), ("b".into(), 1)]);
    let outer = zip_pointing(&[("inner.apk", &inner)], &[("inner.apk".into(), 0)]);
    let limits = ZipLimits { max_total_bytes: inner.len() as u64 + 8000, ..ZipLimits::default() };
    let mut zip = ZipArchive::new(std::io::Cursor::new(outer), Path::new("outer.xapk"), limits).unwrap();
    let bytes = zip.read(0).unwrap();
    let mut nested = zip.open_nested(bytes, Path::new("outer.xapk!inner.apk")).unwrap();
    assert_eq!(nested.read(0).unwrap().len(), 6000);
    let e = nested.read(1).unwrap_err().to_string();
    assert!(e.contains("outer.xapk!inner.apk") && e.contains("in total"), "{e}");
}

// ---------------------------------------------------------------------------
// 5. HAR captures

/// One bad entry (no URL, a lone surrogate, no request) is skipped with a
/// message naming the file and the entry; the other entries are read.
#[test]
fn har_bad_entries_are_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"request":{"method":"GET","url":"https://tracker.example.com/?idfa=1209d0b9-b959-42e6-b921-aa5d9d08c1af"}}"#;
    let text = format!(
        r#"{{"log":{{"entries":[{good},{{"request":{{"method":"GET"}}}},{{"request":{{"url":"https://a.example/\ud800x"}}}},{{"response":{{}}}},{good}]}}}}"#
    );
    let har = write(dir.path(), "bad-entries.har", text.as_bytes());
    let o = candor(&["observe", har.to_str().unwrap(), "--format", "json"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["contacts"].as_array().unwrap().len(), 2, "{v}");
    for (i, why) in [(1, "no \"url\""), (2, "hex escape"), (3, "no \"request\"")] {
        let needle = format!("{}: entry {i} skipped", har.display());
        assert!(err.lines().any(|l| l.contains(&needle) && l.contains(why)), "entry {i}: {err}");
    }
    assert_eq!(v["skipped"].as_array().unwrap().len(), 3, "{v}");
}

/// Gzip bodies that each inflate to almost the per-body cap: the capture's
/// total is bounded, the bodies past it are searched as they are and reported.
#[test]
fn har_gzip_bombs_share_one_budget_per_file() {
    use base64::Engine;
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..30 {
        gz.write_all(&chunk).unwrap();
    }
    let body = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    let entry = format!(
        r#"{{"request":{{"method":"POST","url":"https://collect.example.com/e","postData":{{"mimeType":"application/octet-stream","encoding":"base64","text":"{body}"}}}}}}"#
    );
    let entries = vec![entry; 20];
    let har = write(dir.path(), "bombs.har", format!(r#"{{"log":{{"entries":[{}]}}}}"#, entries.join(",")).as_bytes());
    let start = Instant::now();
    let o = candor(&["observe", har.to_str().unwrap(), "--format", "json"]);
    let elapsed = start.elapsed();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    assert!(err.contains("bombs.har: entry 4: body searched without decompressing"), "{err}");
    assert!(err.contains("decompress to more than 134217728 bytes"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["contacts"].as_array().unwrap().len(), 20);
}

// ---------------------------------------------------------------------------
// 6. Policies

#[test]
fn huge_one_line_policy_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let line = "We collect your email address and share it with advertising partners. ".repeat(30_000_000 / 71);
    let p = write(dir.path(), "huge.md", line.as_bytes());
    let start = Instant::now();
    let o = candor(&["extract", p.to_str().unwrap(), "--extractor", "rules", "--no-cache"]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_input_error(&o, &p, "over the 1048576 byte limit for a policy's text");
}

/// A policy at the text limit whose every sentence is full of practices:
/// its large practice list is not cached, so the cache stays small.
#[test]
fn large_practice_lists_are_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let text = "we collect your email address and location data ".repeat(1_000_000 / 49);
    let p = write(dir.path(), "dense.md", text.as_bytes());
    let cache = dir.path().join("cache");
    let o = candor(&["extract", p.to_str().unwrap(), "--extractor", "rules", "--cache", cache.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let size: u64 = walk(&cache).iter().filter(|p| p.is_file()).map(|p| std::fs::metadata(p).unwrap().len()).sum();
    assert!(size < 16 << 20, "cache grew to {size} bytes");
}

// ---------------------------------------------------------------------------
// 7. Output

#[cfg(target_os = "linux")]
#[test]
fn stdout_write_errors_name_stdout() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["ontology", "data-types"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("stdout: cannot write: No space left on device"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------
// Fuzz-target smoke run: every parser the `fuzz/` targets drive, over every
// fixture and a few damaged copies of it (truncated, bytes flipped). The
// fuzzers themselves need a nightly toolchain (see the README).

fn files_under(dir: &Path) -> Vec<PathBuf> {
    walk(dir).into_iter().filter(|p| p.is_file()).collect()
}

#[test]
fn every_parser_survives_every_fixture() {
    use candor::observe::{apk, arsc, axml, dex, har, ios, manifest, pcap, protoxml, zip};
    use candor::policy::{parse_policy, PolicyFormat};
    let ont = candor::ontology::shipped().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = files_under(&root.join("tests/fixtures"));
    files.extend(files_under(&root.join("examples")));
    let start = Instant::now();
    let mut runs = 0usize;
    for f in &files {
        let original = std::fs::read(f).unwrap();
        if original.len() > 4 << 20 {
            continue;
        }
        let mut variants = vec![original.clone(), original[..original.len() / 2].to_vec()];
        let mut flipped = original.clone();
        for i in (7..flipped.len()).step_by(61) {
            flipped[i] ^= 0x5a;
        }
        variants.push(flipped);
        for data in &variants {
            let p = Path::new("fuzz");
            let _ = har::parse_har(data, p, ont, &Default::default(), None);
            for format in [Some(PolicyFormat::Html), Some(PolicyFormat::Markdown), Some(PolicyFormat::Text), None] {
                let parsed = parse_policy(data, format, "fuzz");
                // The SDK-list reader, as the `sdk_list` fuzz target runs it.
                if let (None, Ok(doc)) = (format, &parsed) {
                    let _ = candor::extract::sdk_list::read_sdk_list(doc);
                    let _ = candor::extract::sdk_list::sdk_list_practices(doc, ont);
                }
            }
            let _ = axml::parse_axml(data, p);
            let _ = apk::parse_binary_manifest(data, p, &ont.data_types);
            let _ = arsc::resolve_string(data, 0x7f0c_0001);
            let _ = protoxml::parse_proto_xml(data, p);
            let _ = protoxml::resolve_string_pb(data, 0x7f0c_0001);
            let _ = dex::class_descriptors(data, p);
            let limits = zip::ZipLimits { max_entry_bytes: 8 << 20, max_total_bytes: 32 << 20, ..zip::ZipLimits::default() };
            if let Ok(mut z) = zip::ZipArchive::new(std::io::Cursor::new(data.clone()), p, limits) {
                for i in 0..z.entries().len().min(64) {
                    let _ = z.read(i);
                }
            }
            let _ = pcap::capture_hosts(&data[..], p);
            let _ = ios::parse_ios_plist(data, p, "Info.plist", true, &ont.data_types);
            let _ = manifest::parse_manifest(data, p, &ont.data_types);
            if let Ok(text) = std::str::from_utf8(data) {
                let _ = candor::observe::DeviceProfile::from_json(text, p, &ont.data_types);
            }
            runs += 1;
        }
    }
    assert!(runs > 100, "only {runs} inputs");
    assert!(start.elapsed() < Duration::from_secs(120), "{:?}", start.elapsed());
}

/// Millions of bad lines take no memory per line past the first thousand.
#[test]
fn catalog_bad_lines_past_a_thousand_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = app_line("good", &root_file(POLICY));
    text.push('\n');
    text.push_str(&"{oops\n".repeat(5000));
    let catalog = write(dir.path(), "bad.jsonl", text.as_bytes());
    let store = dir.path().join("store");
    let o = run_catalog(&catalog, &store, &[]);
    let err = stderr(&o);
    assert_eq!(err.matches(": skipped: not valid JSON").count(), 1000, "{}", &err[..err.len().min(500)]);
    assert!(err.contains("bad.jsonl:1002: skipped: 4000 more bad lines from this one on (only the first 1000 are listed)"), "{}", &err[err.len().saturating_sub(500)..]);
}
