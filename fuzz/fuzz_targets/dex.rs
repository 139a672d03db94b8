#![no_main]
//! DEX class descriptors.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = candor::observe::dex::class_descriptors(data, Path::new("fuzz.dex"));
});
