//! The vocabularies every stage shares: a tree of data types and a set of
//! entities (first party, third-party categories, organizations with their
//! domains). Both are data files under `ontology/` at the repository root,
//! compiled into the binary so a fresh install needs nothing else.

mod data_types;
mod entities;
mod phrases;

pub use data_types::{DataType, DataTypeOntology, PermissionInfo};
pub use entities::{EntityCategory, EntityMention, EntityOntology, Organization};
pub use phrases::{PhraseMatch, PhraseMatcher};

/// The shipped data-type ontology (JSON).
pub const DATA_TYPES_JSON: &str = include_str!("../../ontology/data_types.json");
/// The shipped Android permission table (JSON).
pub const PERMISSIONS_JSON: &str = include_str!("../../ontology/permissions.json");
/// The shipped entity ontology (JSON).
pub const ENTITIES_JSON: &str = include_str!("../../ontology/entities.json");

/// Both ontologies, loaded once and shared by every stage.
#[derive(Debug, Clone)]
pub struct Ontologies {
    pub data_types: DataTypeOntology,
    pub entities: EntityOntology,
}

impl Ontologies {
    /// Load the ontologies compiled into the binary.
    pub fn shipped() -> crate::Result<Self> {
        Ok(Ontologies {
            data_types: DataTypeOntology::from_json(DATA_TYPES_JSON, PERMISSIONS_JSON)?,
            entities: EntityOntology::from_json(ENTITIES_JSON)?,
        })
    }

    /// A short digest of both ontologies' source files: anything that can
    /// change which data types and recipients a sentence is read as naming.
    pub fn digest(&self) -> String {
        short_digest(&[self.data_types.digest(), self.entities.digest()])
    }
}

/// First 4 bytes of the SHA-256 of `parts` (each length-prefixed), in hex.
pub(crate) fn short_digest(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize()[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The shipped ontologies, parsed on first use.
pub fn shipped() -> crate::Result<&'static Ontologies> {
    use std::sync::OnceLock;
    static CELL: OnceLock<Result<Ontologies, String>> = OnceLock::new();
    match CELL.get_or_init(|| Ontologies::shipped().map_err(|e| e.to_string())) {
        Ok(o) => Ok(o),
        Err(e) => Err(crate::Error::Data(e.clone())),
    }
}
