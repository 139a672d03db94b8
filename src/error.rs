//! The error type every stage returns: each error names the file (or input)
//! it is about and what is wrong with it, so the CLI can print one clear line.

use std::path::{Path, PathBuf};

/// An error from any stage of candor.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file could not be read or parsed.
    #[error("{path}: {problem}")]
    Input { path: PathBuf, problem: String },
    /// The command line asked for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// A shipped data file or model is broken (a bug or a bad checkout).
    #[error("internal data: {0}")]
    Data(String),
    /// The cache or result store failed.
    #[error("store {path}: {problem}")]
    Store { path: PathBuf, problem: String },
    /// The NLP model failed to load or run.
    #[error("model: {0}")]
    Model(String),
    /// Writing output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// An input error about `path`.
    pub fn input(path: impl AsRef<Path>, problem: impl std::fmt::Display) -> Self {
        Error::Input { path: path.as_ref().to_path_buf(), problem: problem.to_string() }
    }
}

/// An error writing standard output, saying so ("stdout: ..."). A closed
/// pipe stays [`Error::Io`] of kind `BrokenPipe`, which ends a run quietly.
pub fn stdout_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Error::Io(e);
    }
    Error::Io(std::io::Error::new(e.kind(), format!("stdout: cannot write: {e}")))
}

/// Result with candor's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

// File reading, with its limits, lives in `input.rs`; these names stay
// here for the stages that import them from `error`.
pub use crate::input::{describe_io, map_input, read_input, InputBytes};
