//! Implicit flows: what a request hands its recipient by merely being
//! made. Every request gives the server the device's IP address; a
//! User-Agent header names the device model and OS version ("Dalvik/2.1.0
//! (Linux; U; Android 13; Pixel 7 Build/TQ3A)"); a request with a payload
//! to an analytics or advertising endpoint reports how the app is used
//! (session ids, page URLs, screen sizes), even where no device identifier
//! was matched. F-Droid's reviewers flag exactly such contacts as tracking.
//!
//! These flows say how they were found (`matched` is `implicit:ip`,
//! `implicit:user-agent` or `implicit:tracker-endpoint`) and carry a
//! confidence below a value match. Which flows and how sure is data
//! (`ontology/implicit_flows.json`). They are made only for third-party
//! hosts of a known organization, once per (data type, host) in a capture.

use super::Destination;
use serde::Deserialize;
use std::collections::HashSet;

/// The shipped table.
pub const IMPLICIT_FLOWS_JSON: &str = include_str!("../../ontology/implicit_flows.json");

/// How every implicit flow's `matched` begins.
pub const IMPLICIT_PREFIX: &str = "implicit";

#[derive(Debug, Clone, Deserialize)]
struct IpRule {
    data_type: String,
    confidence: f32,
}

#[derive(Debug, Clone, Deserialize)]
struct UserAgentRule {
    device_model: String,
    os_version: String,
    confidence: f32,
}

#[derive(Debug, Clone, Deserialize)]
struct UsageRule {
    data_type: String,
    confidence: f32,
    categories: Vec<String>,
}

/// The implicit-flow rules (`ontology/implicit_flows.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct ImplicitRules {
    ip_address: IpRule,
    user_agent: UserAgentRule,
    usage_events: UsageRule,
}

impl ImplicitRules {
    /// The shipped rules.
    pub fn shipped() -> crate::Result<&'static ImplicitRules> {
        use std::sync::OnceLock;
        static CELL: OnceLock<Result<ImplicitRules, String>> = OnceLock::new();
        CELL.get_or_init(|| serde_json::from_str(IMPLICIT_FLOWS_JSON).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| crate::Error::Data(format!("ontology/implicit_flows.json: {e}")))
    }
}

/// One implicit flow of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct ImplicitHit {
    pub data_type: String,
    /// Where: `connection`, `header:user-agent`, `body` or `query`.
    pub location: String,
    /// `implicit:ip`, `implicit:user-agent`, `implicit:tracker-endpoint`.
    pub matched: String,
    pub confidence: f32,
}

/// What the User-Agent header tells: (device model, OS version), each
/// when present. Reads the Android forms ("Linux; Android 13; Pixel 7
/// Build/...", "Linux; U; Android 11; SM-G991B Build/...") and the iOS ones
/// ("iPhone; iOS 16.1;", "CPU iPhone OS 16_1 like Mac OS X").
pub fn read_user_agent(ua: &str) -> (Option<String>, Option<String>) {
    let mut model = None;
    let mut os = None;
    for group in ua.split(['(', ')']).skip(1).step_by(2) {
        let parts: Vec<&str> = group.split(';').map(str::trim).collect();
        for (i, part) in parts.iter().enumerate() {
            if let Some(v) = part.strip_prefix("Android ") {
                if v.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    os.get_or_insert(format!("Android {v}"));
                    // The model follows the Android version, often with " Build/...".
                    if let Some(next) = parts.get(i + 1) {
                        let m = next.split(" Build/").next().unwrap_or("").trim();
                        // "K" is Chrome's reduced User-Agent placeholder, "wv" a web view mark.
                        if !m.is_empty() && !m.contains('/') && !matches!(m, "wv" | "K" | "U") {
                            model.get_or_insert(m.to_string());
                        }
                    }
                }
            } else if let Some(v) = part.strip_prefix("iOS ") {
                os.get_or_insert(format!("iOS {v}"));
            } else if let Some(rest) = part.split("iPhone OS ").nth(1) {
                let v = rest.split_whitespace().next().unwrap_or("").replace('_', ".");
                os.get_or_insert(format!("iOS {v}"));
            } else if matches!(*part, "iPhone" | "iPad" | "iPod touch") || part.starts_with("iPhone") && part.contains(',') {
                model.get_or_insert(part.to_string());
            }
        }
    }
    (model, os)
}

/// Finds the implicit flows of the requests of one capture, once per
/// (data type, host).
pub struct ImplicitFlows {
    rules: &'static ImplicitRules,
    seen: HashSet<(String, String)>,
}

impl ImplicitFlows {
    /// A finder over the shipped rules.
    pub fn new() -> crate::Result<Self> {
        Ok(ImplicitFlows { rules: ImplicitRules::shipped()?, seen: HashSet::new() })
    }

    /// The implicit flows of one request not seen before in this capture:
    /// `headers` are the request's headers, `has_payload` whether it has a
    /// body or a query string.
    pub fn request(&mut self, destination: &Destination, headers: &[(String, String)], has_payload: bool) -> Vec<ImplicitHit> {
        let mut out = Vec::new();
        if destination.first_party || destination.organization.is_none() {
            return out;
        }
        let host = destination.host.clone();
        let mut add = |seen: &mut HashSet<(String, String)>, data_type: &str, location: &str, how: &str, confidence: f32| {
            if seen.insert((data_type.to_string(), host.clone())) {
                out.push(ImplicitHit {
                    data_type: data_type.to_string(),
                    location: location.to_string(),
                    matched: format!("{IMPLICIT_PREFIX}:{how}"),
                    confidence,
                });
            }
        };
        let r = self.rules;
        add(&mut self.seen, &r.ip_address.data_type, "connection", "ip", r.ip_address.confidence);
        if let Some((_, ua)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("user-agent")) {
            let (model, os) = read_user_agent(ua);
            if model.is_some() {
                add(&mut self.seen, &r.user_agent.device_model, "header:user-agent", "user-agent", r.user_agent.confidence);
            }
            if os.is_some() {
                add(&mut self.seen, &r.user_agent.os_version, "header:user-agent", "user-agent", r.user_agent.confidence);
            }
        }
        let tracker = destination.categories.iter().any(|c| r.usage_events.categories.contains(c));
        if tracker && has_payload {
            add(&mut self.seen, &r.usage_events.data_type, "body", "tracker-endpoint", r.usage_events.confidence);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents() {
        assert_eq!(
            read_user_agent("Dalvik/2.1.0 (Linux; U; Android 11; SM-G991B Build/RP1A.200720.012)"),
            (Some("SM-G991B".to_string()), Some("Android 11".to_string()))
        );
        assert_eq!(
            read_user_agent("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36"),
            (Some("Pixel 7".to_string()), Some("Android 13".to_string()))
        );
        assert_eq!(
            read_user_agent("MyApp/2.3 (iPhone; iOS 16.1; Scale/3.00)"),
            (Some("iPhone".to_string()), Some("iOS 16.1".to_string()))
        );
        assert_eq!(read_user_agent("okhttp/4.9.0"), (None, None));
    }

    #[test]
    fn rules_parse() {
        ImplicitRules::shipped().expect("implicit_flows.json parses");
    }
}
