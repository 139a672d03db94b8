//! Collection frequency (认定方法 四.4): the same data type sent to the
//! same host more often than a rate. The rule sets no numbers; candor's
//! defaults per data type are data (`ontology/miit_rules.json`) and
//! `--frequency-limit TYPE=N/WINDOW` replaces them. Request times come from
//! the captures (HAR `startedDateTime`); requests without one are not counted.

use super::{finding, MiitRules, MAX_LABELS};
use crate::compare::{flow_label, recipient_key, recipient_name, Finding, FindingKind};
use crate::observe::timestamp::format_rfc3339;
use crate::observe::{Flow, FlowSource, Observation};
use crate::ontology::Ontologies;
use crate::{Error, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// At most `max` requests carrying `data_type` (or a narrower type) to one
/// host within any `window_s` seconds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FrequencyLimit {
    pub data_type: String,
    pub max: u32,
    pub window_s: u64,
}

impl FrequencyLimit {
    /// Parse `TYPE=N/WINDOW` (`location=3/10m`; the window in seconds, or
    /// with a unit `s`, `m`, `h`, `d`), checking the data type against the
    /// ontology.
    pub fn parse(spec: &str, ont: &Ontologies) -> Result<FrequencyLimit> {
        let bad = |why: &str| Error::Usage(format!("--frequency-limit {spec:?}: {why} (expected TYPE=N/WINDOW, e.g. location=3/10m)"));
        let (data_type, rate) = spec.split_once('=').ok_or_else(|| bad("no '='"))?;
        let data_type = data_type.trim();
        if !ont.data_types.contains(data_type) {
            return Err(bad(&format!("unknown data type {data_type:?} (see `candor ontology data-types --format text`)")));
        }
        let (max, window) = rate.split_once('/').ok_or_else(|| bad("no '/'"))?;
        let max: u32 = max.trim().parse().map_err(|_| bad("the count is not a whole number"))?;
        let window = window.trim();
        let (digits, unit) = window.split_at(window.find(|c: char| !c.is_ascii_digit()).unwrap_or(window.len()));
        let n: u64 = digits.parse().map_err(|_| bad("the window is not a whole number"))?;
        let scale = match unit {
            "" | "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad(&format!("unknown time unit {unit:?} (use s, m, h or d)"))),
        };
        let window_s = n.checked_mul(scale).filter(|w| *w > 0 && *w <= 366 * 86_400).ok_or_else(|| bad("the window must be between 1 second and a year"))?;
        if max == 0 {
            return Err(bad("the count must be at least 1"));
        }
        Ok(FrequencyLimit { data_type: data_type.to_string(), max, window_s })
    }
}

/// The limits in force: the defaults, each replaced by a given limit of
/// the same data type, and the given limits of other types.
pub fn effective_limits(defaults: &[FrequencyLimit], given: &[FrequencyLimit]) -> Vec<FrequencyLimit> {
    let mut out: Vec<FrequencyLimit> = defaults.iter().filter(|d| !given.iter().any(|g| g.data_type == d.data_type)).cloned().collect();
    out.extend(given.iter().cloned());
    out
}

/// The most requests within any `window_ms` of sorted times, and where that
/// window starts (index).
fn densest(times: &[i64], window_ms: i64) -> (usize, usize) {
    let (mut best, mut at, mut lo) = (0, 0, 0);
    for hi in 0..times.len() {
        while times[hi] - times[lo] >= window_ms {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            at = lo;
        }
    }
    (best, at)
}

/// The findings of the frequency rule: per limit and host, when more than
/// `max` distinct requests carrying the data type fall within one window,
/// a warning with the count, the window, its first and last request and
/// up to five of its requests as evidence. Implicit flows (made once per
/// host) are not counted.
pub fn excessive(observed: &Observation, given: &[FrequencyLimit], rules: &MiitRules, ont: &Ontologies) -> Result<Vec<Finding>> {
    let times: HashMap<(&str, usize), i64> =
        observed.contacts.iter().filter_map(|c| c.started_ms.map(|t| ((c.file.as_str(), c.entry), t))).collect();
    let mut out = Vec::new();
    for limit in effective_limits(&rules.frequency.limits, given) {
        // host -> time -> (entry, flow); one per request.
        let mut by_host: BTreeMap<&str, BTreeMap<(i64, &str, usize), &Flow>> = BTreeMap::new();
        for flow in observed.flows.iter().filter(|f| rules.not_personal.counts(f)) {
            let FlowSource::Request { file, entry, matched, .. } = &flow.source else { continue };
            if matched.starts_with(crate::observe::implicit::IMPLICIT_PREFIX) {
                continue;
            }
            if flow.data_type != limit.data_type && !ont.data_types.subsumes(&limit.data_type, &flow.data_type) {
                continue;
            }
            if let Some(&t) = times.get(&(file.as_str(), *entry)) {
                by_host.entry(flow.destination.host.as_str()).or_default().entry((t, file.as_str(), *entry)).or_insert(flow);
            }
        }
        for requests in by_host.values() {
            let list: Vec<(&(i64, &str, usize), &&Flow)> = requests.iter().collect();
            let ts: Vec<i64> = list.iter().map(|(k, _)| k.0).collect();
            let window_ms = i64::try_from(limit.window_s).unwrap_or(i64::MAX / 1000).saturating_mul(1000);
            let (count, start) = densest(&ts, window_ms);
            if count <= limit.max as usize {
                continue;
            }
            let in_window = &list[start..start + count];
            let flow = in_window[0].1;
            let mut types: Vec<&str> = in_window.iter().map(|(_, f)| f.data_type.as_str()).collect();
            types.sort_unstable();
            types.dedup();
            let message = format!(
                "{} sent to {} in {count} requests within {}s ({} to {}), more than the limit of {} per {}s for {}",
                types.join(", "),
                recipient_name(&flow.destination),
                limit.window_s,
                format_rfc3339(ts[start]),
                format_rfc3339(ts[start + count - 1]),
                limit.max,
                limit.window_s,
                limit.data_type
            );
            let labels = in_window.iter().take(MAX_LABELS).map(|(_, f)| flow_label(f)).collect();
            out.push(finding(FindingKind::ExcessiveFrequency, message, Some(limit.data_type.clone()), Some(recipient_key(&flow.destination)), labels));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn densest_window() {
        assert_eq!(densest(&[], 1000), (0, 0));
        assert_eq!(densest(&[0, 500, 999, 1000, 5000], 1000), (3, 0));
        assert_eq!(densest(&[0, 3000, 3100, 3200, 3999], 1000), (4, 1));
    }

    #[test]
    fn parses_limits() {
        let ont = crate::ontology::shipped().unwrap();
        assert_eq!(FrequencyLimit::parse("location=3/10m", ont).unwrap(), FrequencyLimit { data_type: "location".into(), max: 3, window_s: 600 });
        assert_eq!(FrequencyLimit::parse("imei=1/30", ont).unwrap().window_s, 30);
        for bad in ["location", "nothing=1/1s", "location=x/1s", "location=1/1y", "location=0/1s", "location=1/0s", "location=1/99999999999999999d"] {
            assert!(FrequencyLimit::parse(bad, ont).is_err(), "{bad}");
        }
    }
}
