#![no_main]
//! pcap and pcapng captures (DNS names, TLS server names).
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = candor::observe::pcap::capture_hosts(data, Path::new("fuzz.pcap"));
});
