#![no_main]
//! Policy ingest: text decoding, then HTML, Markdown or plain text (the first byte picks).
use candor::policy::{parse_policy, PolicyFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let format = match pick % 4 {
        0 => Some(PolicyFormat::Html),
        1 => Some(PolicyFormat::Markdown),
        2 => Some(PolicyFormat::Text),
        _ => None,
    };
    let _ = parse_policy(rest, format, "fuzz");
});
