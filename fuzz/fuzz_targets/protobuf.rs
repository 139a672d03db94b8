#![no_main]
//! App-bundle protobuf manifest (XmlNode) and resource table.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = candor::observe::protoxml::parse_proto_xml(data, Path::new("fuzz.pb"));
    for id in [0x7f01_0000u32, 0x7f0c_0001] {
        let _ = candor::observe::protoxml::resolve_string_pb(data, id);
    }
});
