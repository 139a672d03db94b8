//! Host -> destination (registrable domain, organization, first party). (stub)
use super::Destination;
use crate::ontology::EntityOntology;

/// The app maker's own domains.
#[derive(Debug, Clone, Default)]
pub struct FirstParty {
    /// Registrable domains that belong to the app maker.
    pub domains: Vec<String>,
}

/// Resolve a host to a destination.
pub fn resolve_destination(host: &str, entities: &EntityOntology, first_party: &FirstParty) -> Destination {
    let host = host.to_ascii_lowercase();
    let org = entities.organization_for_host(&host);
    Destination {
        domain: host.clone(),
        first_party: first_party.domains.iter().any(|d| host == *d || host.ends_with(&format!(".{d}"))),
        organization: org.map(|o| o.id.clone()),
        organization_name: org.map(|o| o.name.clone()),
        categories: org.map(|o| o.categories.clone()).unwrap_or_default(),
        host,
    }
}
