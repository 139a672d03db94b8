#![no_main]
//! The HAR reader (streamed entries, bodies, device-value matching).
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let ont = candor::ontology::shipped().expect("ontologies");
    let _ = candor::observe::har::parse_har(data, Path::new("fuzz.har"), ont, &Default::default(), None);
});
