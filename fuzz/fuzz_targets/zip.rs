#![no_main]
//! The ZIP reader: central directory, then every entry (small limits keep runs fast).
use candor::observe::zip::{ZipArchive, ZipLimits};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let limits = ZipLimits { max_entry_bytes: 1 << 20, max_total_bytes: 4 << 20, ..ZipLimits::default() };
    let Ok(mut zip) = ZipArchive::new(std::io::Cursor::new(data.to_vec()), Path::new("fuzz.zip"), limits) else { return };
    for i in 0..zip.entries().len().min(64) {
        if let Ok(bytes) = zip.read(i) {
            let _ = zip.open_nested(bytes, Path::new("fuzz.zip!inner"));
        }
    }
});
