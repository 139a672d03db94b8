//! Host -> destination: the registrable domain (via the public suffix list),
//! the organization that owns it (entity ontology) and whether it belongs to
//! the app maker (first party).

use super::Destination;
use crate::ontology::EntityOntology;
use std::net::IpAddr;

/// The app maker's own domains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstParty {
    /// Registrable domains that belong to the app maker (lower case, no trailing dot).
    pub domains: Vec<String>,
    /// The organization that owns the app maker's domain, when the entity
    /// ontology knows it (Tencent for `com.tencent.map`): hosts of that
    /// organization (`map.qq.com`) are the app maker's own too.
    pub organization: Option<String>,
}

/// Second-level labels that, in a reversed package name, name a hosting
/// service, a platform or a placeholder rather than the app maker:
/// `com.github.someone.app` is not made by github.com.
const GENERIC_PACKAGE_OWNERS: &[&str] = &[
    "android", "app", "apps", "appspot", "bitbucket", "blogspot", "codeberg", "company", "example", "firebaseapp",
    "github", "gitlab", "googlecode", "herokuapp", "mycompany", "myapp", "netlify", "sample", "sourceforge", "test",
    "vercel", "yourcompany",
];

impl FirstParty {
    /// No first-party domains.
    pub fn new() -> Self {
        FirstParty::default()
    }

    /// First-party domains guessed from an Android package name: the first
    /// two labels reversed (`com.example.app` -> `example.com`), kept only
    /// when that is a registrable domain under a known public suffix and the
    /// owner label is not a hosting service or placeholder (`com.github.*`,
    /// `com.example.*`).
    pub fn from_package(package: &str) -> Self {
        let mut fp = FirstParty::default();
        if let Some(d) = package_domain(package) {
            fp.domains.push(d);
        }
        fp
    }

    /// Add a domain owned by the app maker. A host name is reduced to its
    /// registrable domain (`api.example.com` -> `example.com`); IP addresses
    /// are kept as they are. Empty input and public suffixes (`co.uk`,
    /// `github.io`), which nobody owns, are ignored.
    pub fn add_domain(&mut self, domain: &str) {
        let host = normalize_host(domain);
        if host.is_empty() {
            return;
        }
        let ip = host.parse::<IpAddr>().is_ok();
        if !ip && host.contains('.') && psl::domain_str(&host).is_none() {
            return;
        }
        let d = registrable_domain(&host);
        if !self.domains.contains(&d) {
            self.domains.push(d);
        }
    }

    /// Take the organization that owns one of the app maker's domains.
    pub fn with_organization_of_domains(mut self, entities: &EntityOntology) -> Self {
        self.organization = self.domains.iter().find_map(|d| entities.organization_for_host(d)).map(|o| o.id.clone());
        self
    }

    /// True when `host` (any form [`normalize_host`] accepts) belongs to the
    /// app maker by its domain (not by its organization: see
    /// [`resolve_destination`]).
    pub fn contains_host(&self, host: &str) -> bool {
        let host = normalize_host(host);
        if host.is_empty() {
            return false;
        }
        let domain = registrable_domain(&host);
        self.domains.iter().any(|d| *d == domain || *d == host || host.ends_with(&format!(".{d}")))
    }
}

/// The domain a package name suggests, if it is plausible (see [`FirstParty::from_package`]).
fn package_domain(package: &str) -> Option<String> {
    let mut labels = package.trim().split('.');
    let tld = labels.next()?.to_ascii_lowercase();
    let owner = labels.next()?.to_ascii_lowercase();
    let valid = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !valid(&tld) || !valid(&owner) || GENERIC_PACKAGE_OWNERS.contains(&owner.as_str()) {
        return None;
    }
    if !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let candidate = format!("{owner}.{tld}");
    let suffix = psl::suffix(candidate.as_bytes())?;
    if !suffix.is_known() || suffix.as_bytes() != tld.as_bytes() {
        return None;
    }
    match psl::domain_str(&candidate) {
        Some(d) if d == candidate => Some(candidate),
        _ => None,
    }
}

/// Lower-case a host, drop a port, IPv6 brackets, user info and trailing dots.
/// `Example.COM.` -> `example.com`, `[::1]:443` -> `::1`, `host:8080` -> `host`.
pub fn normalize_host(host: &str) -> String {
    let mut h = host.trim();
    if let Some(at) = h.rfind('@') {
        h = &h[at + 1..];
    }
    let h = if let Some(rest) = h.strip_prefix('[') {
        // [v6]:port
        rest.split(']').next().unwrap_or("")
    } else if h.matches(':').count() == 1 {
        // name:port or v4:port (a bare IPv6 address has several colons)
        h.split(':').next().unwrap_or("")
    } else {
        h
    };
    h.trim_end_matches('.').to_ascii_lowercase()
}

/// The registrable domain (public suffix + 1) of a normalized host. IP
/// addresses, single labels and hosts that are themselves a public suffix
/// give the host unchanged.
pub fn registrable_domain(host: &str) -> String {
    if host.parse::<IpAddr>().is_ok() {
        return host.to_string();
    }
    match psl::domain_str(host) {
        Some(d) => d.to_string(),
        None => host.to_string(),
    }
}

/// True when the host is an IPv4 or IPv6 address literal.
pub fn is_ip_address(host: &str) -> bool {
    normalize_host(host).parse::<IpAddr>().is_ok()
}

/// Resolve a host to a destination: registrable domain, owning organization
/// (longest listed domain suffix) and whether it is first party. Accepts
/// hosts with ports, upper case, IPv6 brackets and trailing dots.
pub fn resolve_destination(host: &str, entities: &EntityOntology, first_party: &FirstParty) -> Destination {
    let host = normalize_host(host);
    let ip = host.parse::<IpAddr>().is_ok();
    let domain = registrable_domain(&host);
    let org = if ip || host.is_empty() { None } else { entities.organization_for_host(&host) };
    Destination {
        first_party: !host.is_empty()
            && (first_party.contains_host(&host) || first_party.organization.as_ref().is_some_and(|fp| org.is_some_and(|o| o.id == *fp))),
        organization: org.map(|o| o.id.clone()),
        organization_name: org.map(|o| o.name.clone()),
        categories: org.map(|o| o.categories.clone()).unwrap_or_default(),
        domain,
        // A host that is an address is its own server address.
        ip: ip.then(|| host.clone()),
        country: None,
        host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_hosts() {
        assert_eq!(normalize_host("Example.COM."), "example.com");
        assert_eq!(normalize_host("api.example.com:8443"), "api.example.com");
        assert_eq!(normalize_host("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(normalize_host("2001:db8::1"), "2001:db8::1");
        assert_eq!(normalize_host("user@host.example.org"), "host.example.org");
        assert_eq!(normalize_host("10.0.0.1:80"), "10.0.0.1");
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable_domain("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(registrable_domain("graph.facebook.com"), "facebook.com");
        assert_eq!(registrable_domain("192.168.0.1"), "192.168.0.1");
        assert_eq!(registrable_domain("localhost"), "localhost");
        assert_eq!(registrable_domain("com"), "com");
    }

    #[test]
    fn package_domains() {
        assert_eq!(FirstParty::from_package("com.spotify.music").domains, vec!["spotify.com"]);
        assert_eq!(FirstParty::from_package("eu.faircode.email").domains, vec!["faircode.eu"]);
        assert!(FirstParty::from_package("com.github.someone.app").domains.is_empty());
        assert!(FirstParty::from_package("com.example.app").domains.is_empty());
        assert!(FirstParty::from_package("tld.sample.app").domains.is_empty());
        assert!(FirstParty::from_package("app").domains.is_empty());
        assert!(FirstParty::from_package("").domains.is_empty());
        assert!(FirstParty::from_package("io.github.user.app").domains.is_empty());
        assert!(FirstParty::from_package("de.1und1.mail").domains == vec!["1und1.de"]);
    }

    #[test]
    fn first_party_matching() {
        let mut fp = FirstParty::from_package("com.spotify.music");
        fp.add_domain("API.Scdn.co.");
        assert_eq!(fp.domains, vec!["spotify.com", "scdn.co"]);
        assert!(fp.contains_host("spclient.wg.spotify.com"));
        assert!(fp.contains_host("i.scdn.co:443"));
        assert!(!fp.contains_host("notspotify.com"));
        assert!(!fp.contains_host(""));
        fp.add_domain("co.uk");
        fp.add_domain("github.io");
        fp.add_domain("");
        fp.add_domain("10.0.0.2");
        assert_eq!(fp.domains, vec!["spotify.com", "scdn.co", "10.0.0.2"]);
        assert!(!fp.contains_host("bbc.co.uk"));
        assert!(fp.contains_host("10.0.0.2:8080"));
    }
}
