#![no_main]
//! Text AndroidManifest.xml.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let ont = candor::ontology::shipped().expect("ontologies");
    let _ = candor::observe::manifest::parse_manifest(data, Path::new("AndroidManifest.xml"), &ont.data_types);
});
