#![no_main]
//! SDK lists in a policy: the policy is read (HTML, Markdown or text, the first byte picks), then
//! its SDK tables and SDK paragraphs are read into rows and into practices.
use candor::policy::{parse_policy, PolicyFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let format = match pick % 3 {
        0 => PolicyFormat::Html,
        1 => PolicyFormat::Markdown,
        _ => PolicyFormat::Text,
    };
    let Ok(doc) = parse_policy(rest, Some(format), "fuzz") else { return };
    let _ = candor::extract::sdk_list::read_sdk_list(&doc);
    if let Ok(ont) = candor::ontology::shipped() {
        let _ = candor::extract::sdk_list::sdk_list_practices(&doc, ont);
    }
});
