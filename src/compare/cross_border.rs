//! Cross-border transfers: each request's destination country (from its
//! server address, [`crate::observe::geo`]) against what the policy says
//! about where data is stored and whether it leaves a region
//! ([`crate::extract::region`]).
//!
//! The home region is the one the policy states (a stays-in, a denial of
//! transfers out of a named region, or a stored-in statement), else the
//! `--home-region` given. A flow of data to a country outside it is:
//! - an error ([`FindingKind::TransferContradicted`]) when the policy says
//!   data stays in a region that does not contain the country (stays in,
//!   "we do not transfer it outside ...", or stored in, unless the policy
//!   also discloses transfers abroad without a condition), and no statement
//!   names the country (or a region holding it) as a destination;
//! - a warning ([`FindingKind::UndisclosedTransfer`]) when the policy says
//!   nothing about transfers abroad;
//! - nothing when the policy discloses the transfer.
//!
//! A flow whose server address is unknown or not in the table is never
//! judged; a country is never guessed from a host name.

use super::{flow_label, recipient_key, Finding, FindingKind, Label, MAX_LABELS};
use crate::extract::region::{RegionCues, RegionKind, RegionStatement};
use crate::observe::{FlowSource, Observation};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Said in every cross-border finding.
pub const CAVEAT: &str = "an IP address's registered country is not proof of where the data is stored";

/// Where the home region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HomeSource {
    Policy,
    Flag,
}

/// One contacted host and the country of its server address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostCountry {
    pub host: String,
    /// Server addresses seen for it.
    pub ips: Vec<String>,
    /// Registered country; `None` when no address was recorded or the table does not cover it.
    pub country: Option<String>,
    /// Requests (and packet-capture sightings) to it.
    pub requests: usize,
    /// Data types seen going to it.
    pub data_types: Vec<String>,
    /// `home` (inside the home region), `abroad`, or `unknown` (no
    /// country, or no home region to judge against).
    pub status: String,
}

/// The cross-border part of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossBorder {
    /// The home region (`EU`, `CN`, a country code), if any.
    pub home_region: Option<String>,
    pub home_source: Option<HomeSource>,
    /// The IP table's label (source and date).
    pub geo_table: Option<String>,
    /// The policy's storage and transfer statements.
    pub statements: Vec<RegionStatement>,
    /// Contacted hosts with their countries.
    pub hosts: Vec<HostCountry>,
    /// Data flows (requests carrying data) per destination country, `unknown` included.
    pub flows_by_country: BTreeMap<String, usize>,
}

impl CrossBorder {
    /// Data flows that left the home region, per country.
    pub fn abroad_by_country(&self) -> BTreeMap<String, usize> {
        let cues = RegionCues::shipped().ok();
        self.flows_by_country
            .iter()
            .filter(|(c, _)| c.as_str() != "unknown")
            .filter(|(c, _)| match (&self.home_region, cues) {
                (Some(h), Some(cues)) => !cues.contains(h, c),
                _ => false,
            })
            .map(|(c, n)| (c.clone(), *n))
            .collect()
    }
}

/// The home region: the policy's (first a stays-in, then a denial out of
/// a named region, then a stored-in; unconditional statements before
/// conditional ones), else `flag`.
pub fn home_region(statements: &[RegionStatement], flag: Option<&str>) -> (Option<String>, Option<HomeSource>) {
    // Unconditional statements first; a conditional one ("we do not
    // transfer it outside the EEA unless ...") still says where data is.
    let stated = [false, true].iter().find_map(|&conditional| {
        [RegionKind::StaysIn, RegionKind::DeniesTransfer, RegionKind::StoredIn].iter().find_map(|k| {
            statements.iter().find(|s| s.kind == *k && s.conditional == conditional && s.region.is_some()).and_then(|s| s.region.clone())
        })
    });
    match (stated, flag) {
        (Some(r), _) => (Some(r), Some(HomeSource::Policy)),
        (None, Some(f)) => (Some(f.to_string()), Some(HomeSource::Flag)),
        (None, None) => (None, None),
    }
}

/// Judge every request flow's destination country against the policy's
/// region statements; `home_flag` is a parsed `--home-region`. Returns the
/// cross-border summary for the report and the findings.
pub fn judge(statements: &[RegionStatement], observed: &Observation, home_flag: Option<&str>) -> crate::Result<(CrossBorder, Vec<Finding>)> {
    let cues = RegionCues::shipped()?;
    let (home, home_source) = home_region(statements, home_flag);
    let firm = |s: &&RegionStatement| !s.conditional;
    // Regions the policy confines data to, strongly (stays in, denial) or weakly (stored in).
    let region_of = |s: &RegionStatement| s.region.clone().or_else(|| home.clone());
    let strong: Vec<(String, &RegionStatement)> = statements
        .iter()
        .filter(firm)
        .filter(|s| matches!(s.kind, RegionKind::StaysIn | RegionKind::DeniesTransfer))
        .filter_map(|s| region_of(s).map(|r| (r, s)))
        .collect();
    let weak: Vec<(String, &RegionStatement)> =
        statements.iter().filter(firm).filter(|s| s.kind == RegionKind::StoredIn).filter_map(|s| region_of(s).map(|r| (r, s))).collect();
    // Transfers disclosed: to named regions, or abroad in general.
    let named: Vec<&RegionStatement> =
        statements.iter().filter(firm).filter(|s| s.kind == RegionKind::TransferredTo && s.region.is_some()).collect();
    let generic_firm = statements.iter().filter(firm).any(|s| match s.kind {
        RegionKind::TransferredTo => s.region.is_none(),
        RegionKind::Safeguard => true,
        _ => false,
    });
    let addressed = statements.iter().any(|s| {
        matches!(s.kind, RegionKind::TransferredTo | RegionKind::Safeguard) || (s.kind == RegionKind::DeniesTransfer && s.conditional)
    });

    // Hosts and their countries, from every contact and flow.
    let mut hosts: BTreeMap<String, HostCountry> = BTreeMap::new();
    let mut note_host = |host: &str, ip: &Option<String>, country: &Option<String>, data_type: Option<&str>, request: bool| {
        let h = hosts.entry(host.to_string()).or_insert_with(|| HostCountry {
            host: host.to_string(),
            ips: Vec::new(),
            country: None,
            requests: 0,
            data_types: Vec::new(),
            status: String::new(),
        });
        if let Some(ip) = ip {
            if !h.ips.contains(ip) && h.ips.len() < MAX_LABELS {
                h.ips.push(ip.clone());
            }
        }
        if h.country.is_none() {
            h.country = country.clone();
        }
        if let Some(t) = data_type {
            if !h.data_types.iter().any(|x| x == t) {
                h.data_types.push(t.to_string());
            }
        }
        h.requests += usize::from(request);
    };
    for c in &observed.contacts {
        note_host(&c.destination.host, &c.destination.ip, &c.destination.country, None, true);
    }
    let mut flows_by_country: BTreeMap<String, usize> = BTreeMap::new();
    // (kind, country, recipient) -> flows
    let mut groups: BTreeMap<(FindingKind, String, String), Vec<&crate::observe::Flow>> = BTreeMap::new();
    for f in observed.flows.iter().filter(|f| matches!(f.source, FlowSource::Request { .. })) {
        let d = &f.destination;
        note_host(&d.host, &d.ip, &d.country, Some(&f.data_type), false);
        *flows_by_country.entry(d.country.clone().unwrap_or_else(|| "unknown".into())).or_default() += 1;
        let (Some(country), Some(home)) = (&d.country, &home) else { continue };
        if cues.contains(home, country) {
            continue;
        }
        if named.iter().any(|s| s.region.as_deref().is_some_and(|r| cues.contains(r, country))) {
            continue;
        }
        let outside = |list: &[(String, &RegionStatement)]| !list.is_empty() && !list.iter().any(|(r, _)| cues.contains(r, country));
        let kind = if outside(&strong) || (outside(&weak) && strong.is_empty() && !generic_firm) {
            FindingKind::TransferContradicted
        } else if !addressed && strong.is_empty() && weak.is_empty() {
            FindingKind::UndisclosedTransfer
        } else {
            continue;
        };
        groups.entry((kind, country.clone(), recipient_key(d))).or_default().push(f);
    }
    for h in hosts.values_mut() {
        h.status = match (&h.country, &home) {
            (Some(c), Some(home)) if cues.contains(home, c) => "home",
            (Some(_), Some(_)) => "abroad",
            _ => "unknown",
        }
        .to_string();
    }

    let mut findings = Vec::new();
    let home_name = home.clone().unwrap_or_default();
    for ((kind, country, recipient), flows) in groups {
        let d = &flows[0].destination;
        let types: BTreeSet<&str> = flows.iter().map(|f| f.data_type.as_str()).collect();
        let types: Vec<&str> = types.into_iter().collect();
        let ip = d.ip.as_deref().unwrap_or("?");
        let who = super::recipient_name(d);
        let message = match kind {
            FindingKind::TransferContradicted => {
                let (region, _) = strong.iter().chain(&weak).find(|(r, _)| !cues.contains(r, &country)).cloned().unwrap_or((home_name.clone(), &statements[0]));
                format!(
                    "{} sent to {who}, a server registered in {country} ({ip}), outside {region} where the policy says data stays; {CAVEAT}",
                    types.join(", ")
                )
            }
            _ => format!(
                "{} sent to {who}, a server registered in {country} ({ip}), outside the home region {home_name} ({}); the policy says nothing about transfers abroad; {CAVEAT}",
                types.join(", "),
                match home_source {
                    Some(HomeSource::Flag) => "from --home-region",
                    _ => "stated by the policy",
                }
            ),
        };
        let mut labels: Vec<Label> = flows.iter().take(MAX_LABELS).map(|f| flow_label(f)).collect();
        if kind == FindingKind::TransferContradicted {
            let mut seen = BTreeSet::new();
            for (r, s) in strong.iter().chain(&weak).filter(|(r, _)| !cues.contains(r, &country)) {
                if labels.len() < 2 * MAX_LABELS && seen.insert(s.evidence.start) {
                    labels.push(Label::Policy {
                        start: s.evidence.start,
                        end: s.evidence.end,
                        text: s.evidence.text.clone(),
                        note: format!("says data stays in {r} here"),
                    });
                }
            }
        }
        findings.push(Finding {
            code: kind.code().to_string(),
            kind,
            severity: kind.severity(),
            message,
            data_type: types.first().map(|t| t.to_string()),
            recipient: Some(recipient),
            labels,
        });
    }
    let summary = CrossBorder {
        home_region: home,
        home_source,
        geo_table: observed.geo_table.clone(),
        statements: statements.to_vec(),
        hosts: hosts.into_values().collect(),
        flows_by_country,
    };
    Ok((summary, findings))
}
