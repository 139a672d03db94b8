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

/// Result with candor's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The metadata of an input file, refused when it is a directory or larger
/// than `max_bytes`.
fn input_metadata(path: &Path, max_bytes: u64) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| Error::input(path, describe_io(&e)))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, expected a file"));
    }
    if meta.len() > max_bytes {
        return Err(Error::input(
            path,
            format!("file is {} bytes, over the {} byte limit for this kind of input", meta.len(), max_bytes),
        ));
    }
    Ok(meta)
}

/// Read a whole input file with a size limit, naming the file on failure.
pub fn read_input(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let meta = input_metadata(path, max_bytes)?;
    let file = std::fs::File::open(path).map_err(|e| Error::input(path, describe_io(&e)))?;
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(max_bytes + 1).read_to_end(&mut buf).map_err(|e| Error::input(path, describe_io(&e)))?;
    if buf.len() as u64 > max_bytes {
        return Err(Error::input(path, format!("file grew past the {max_bytes} byte limit while reading")));
    }
    Ok(buf)
}

/// The bytes of an input file: memory-mapped, or read when mapping is not
/// possible (an empty file, a pipe).
pub enum InputBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for InputBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            InputBytes::Mapped(m) => m,
            InputBytes::Read(v) => v,
        }
    }
}

/// Map a large input file into memory with a size limit, naming the file
/// on failure. Mapping spares a copy of the whole file and the page faults
/// of a buffer as large as it; the pages are the kernel's file cache. A
/// file that is not a regular file is read with [`read_input`].
pub fn map_input(path: &Path, max_bytes: u64) -> Result<InputBytes> {
    let meta = input_metadata(path, max_bytes)?;
    if !meta.is_file() || meta.len() == 0 {
        return read_input(path, max_bytes).map(InputBytes::Read);
    }
    let file = std::fs::File::open(path).map_err(|e| Error::input(path, describe_io(&e)))?;
    // SAFETY: the map is only read. Like any program that maps its input
    // (ripgrep does the same), candor may see changed bytes, or be stopped
    // by SIGBUS, if another process truncates the file while it is read.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => Ok(InputBytes::Mapped(map)),
        Err(_) => read_input(path, max_bytes).map(InputBytes::Read),
    }
}

/// A short human description of an I/O error.
pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
