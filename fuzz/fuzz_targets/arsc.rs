#![no_main]
//! resources.arsc string lookups.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for id in [0x7f01_0000u32, 0x7f0c_0001, 0x7f0e_001b, 0x0104_0001] {
        let _ = candor::observe::arsc::resolve_string(data, id);
    }
});
