#![no_main]
//! Catalog lines, JSONL or CSV (the first byte picks), read from a file as the CLI does.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let dir = std::env::temp_dir();
    let name = if pick % 2 == 0 { "candor-fuzz-catalog.jsonl" } else { "candor-fuzz-catalog.csv" };
    let path = dir.join(format!("{}-{name}", std::process::id()));
    if std::fs::write(&path, rest).is_ok() {
        let _ = candor::catalog::read_catalog(&path);
    }
});
