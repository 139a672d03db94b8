//! Catalog mode: bulk-compare many apps, cached and resumable (in progress).
pub mod cli;
