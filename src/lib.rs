//! candor: checks whether an app does what its privacy policy says.
//!
//! Data flows one way through the modules:
//! [`policy`] (ingest) -> [`extract`] (declared practices) -> [`observe`]
//! (behavior) -> [`compare`] (verdicts) -> [`rules`] (China's app rules,
//! MIIT) -> [`report`] (text, JSON, Markdown).
//! [`ontology`] holds the data-type and entity vocabularies every stage
//! shares, and [`store`] caches extraction results in sled.

pub mod catalog;
pub mod cli;
pub mod compare;
pub mod error;
pub mod extract;
pub mod input;
pub mod observe;
pub mod ontology;
pub mod policy;
pub mod report;
pub mod rules;
pub mod store;
pub mod train;

pub use error::{Error, Result};
