//! Device profile: known identifier values (stub).
use std::collections::BTreeMap;
/// Known values of the test device, keyed by data-type id.
#[derive(Debug, Clone, Default)]
pub struct DeviceProfile {
    pub values: BTreeMap<String, Vec<String>>,
}
