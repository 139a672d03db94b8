#![no_main]
//! Binary AndroidManifest.xml (AXML) and the manifest built from it.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let ont = candor::ontology::shipped().expect("ontologies");
    let _ = candor::observe::axml::parse_axml(data, Path::new("fuzz.axml"));
    let _ = candor::observe::apk::parse_binary_manifest(data, Path::new("fuzz.axml"), &ont.data_types);
});
