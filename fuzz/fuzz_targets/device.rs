#![no_main]
//! Device profiles, and the value matcher built from an accepted one.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const HAR: &[u8] = br#"{"log":{"entries":[{"request":{"method":"POST","url":"https://t.example.com/?a=1","postData":{"text":"x=1"}}}]}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ont = candor::ontology::shipped().expect("ontologies");
    if let Ok(profile) = candor::observe::DeviceProfile::from_json(text, Path::new("device.json"), &ont.data_types) {
        let _ = candor::observe::har::parse_har(HAR, Path::new("fuzz.har"), ont, &Default::default(), Some(&profile));
    }
});
