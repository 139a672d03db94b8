#![no_main]
//! iOS property lists (binary and XML): Info.plist and PrivacyInfo.xcprivacy.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let ont = candor::ontology::shipped().expect("ontologies");
    let _ = candor::observe::ios::parse_ios_plist(data, Path::new("Info.plist"), "Info.plist", true, &ont.data_types);
    let _ = candor::observe::ios::parse_ios_plist(data, Path::new("PrivacyInfo.xcprivacy"), "PrivacyInfo.xcprivacy", true, &ont.data_types);
});
