//! Training and evaluation of the extractor model (`candor train`,
//! `candor eval`): dataset preparation from the annotated corpora,
//! fine-tuning, metrics.

pub mod capp130;
pub mod dataset;
pub mod disclosure;
pub mod eval;
pub mod metrics;
pub mod trainer;
pub mod verdicts;
pub mod cli;
