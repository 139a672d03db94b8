//! Reading input files, with the limits that go with reading: every input
//! is a regular file (FIFOs, devices and sockets are refused by their type,
//! before they are opened, since reading one may never end), no larger than
//! the limit of its kind, and read with that limit even if it grows.

use crate::error::{Error, Result};
use std::io::{BufRead, Read};
use std::path::Path;

/// What a file that is not a regular file is, in words; `None` for a
/// regular file.
pub fn special_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Refuse `meta` of the input at `path` when it is not a regular file or
/// is larger than `max_bytes`.
fn check_kind_and_size(path: &Path, meta: &std::fs::Metadata, max_bytes: u64) -> Result<()> {
    if let Some(kind) = special_kind(meta) {
        return Err(Error::input(path, format!("is {kind}, expected a regular file")));
    }
    if meta.len() > max_bytes {
        return Err(Error::input(
            path,
            format!("file is {} bytes, over the {} byte limit for this kind of input", meta.len(), max_bytes),
        ));
    }
    Ok(())
}

/// The metadata of an input file (following links), refused when it is not
/// a regular file or is larger than `max_bytes`.
pub fn input_metadata(path: &Path, max_bytes: u64) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| Error::input(path, describe_io(&e)))?;
    check_kind_and_size(path, &meta, max_bytes)?;
    Ok(meta)
}

/// Open an input file checked by [`input_metadata`]; the open file is
/// checked again, in case the path was replaced in between.
pub fn open_input(path: &Path, max_bytes: u64) -> Result<(std::fs::File, std::fs::Metadata)> {
    input_metadata(path, max_bytes)?;
    let file = std::fs::File::open(path).map_err(|e| Error::input(path, describe_io(&e)))?;
    let meta = file.metadata().map_err(|e| Error::input(path, describe_io(&e)))?;
    check_kind_and_size(path, &meta, max_bytes)?;
    Ok((file, meta))
}

/// Read a whole input file with a size limit, naming the file on failure.
pub fn read_input(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    let (file, meta) = open_input(path, max_bytes)?;
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(max_bytes + 1).read_to_end(&mut buf).map_err(|e| Error::input(path, describe_io(&e)))?;
    if buf.len() as u64 > max_bytes {
        return Err(Error::input(path, format!("file grew past the {max_bytes} byte limit while reading")));
    }
    Ok(buf)
}

/// The bytes of an input file: memory-mapped, or read when mapping is not
/// possible (an empty file).
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
/// of a buffer as large as it; the pages are the kernel's file cache.
pub fn map_input(path: &Path, max_bytes: u64) -> Result<InputBytes> {
    let (file, meta) = open_input(path, max_bytes)?;
    if meta.len() == 0 {
        return read_input(path, max_bytes).map(InputBytes::Read);
    }
    // SAFETY: the map is only read. Like any program that maps its input
    // (ripgrep does the same), candor may see changed bytes, or be stopped
    // by SIGBUS, if another process truncates the file while it is read.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => Ok(InputBytes::Mapped(map)),
        Err(_) => read_input(path, max_bytes).map(InputBytes::Read),
    }
}

/// Largest file whose content is hashed to tell whether an input changed
/// (above every input's own limit: such a file is refused when read).
pub const MAX_DIGEST_BYTES: u64 = 1 << 30;

/// The SHA-256 of a file's content, read in blocks with a limit. A file
/// that is not a regular file or cannot be read gets a marker naming the
/// problem instead (the stage that reads it reports the problem), and one
/// over [`MAX_DIGEST_BYTES`] a marker of its size and modification time.
pub fn digest_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    if let Ok(meta) = input_metadata(path, u64::MAX) {
        if meta.len() > MAX_DIGEST_BYTES {
            let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            return format!("large:{}:{:?}", meta.len(), modified);
        }
    }
    let (file, meta) = match open_input(path, MAX_DIGEST_BYTES) {
        Ok(f) => f,
        Err(Error::Input { problem, .. }) => return format!("unreadable:{problem}"),
        Err(e) => return format!("unreadable:{e}"),
    };
    let mut h = Sha256::new();
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, file.take(MAX_DIGEST_BYTES + 1));
    let mut total = 0u64;
    loop {
        match reader.fill_buf() {
            Ok([]) => break,
            Ok(block) => {
                let n = block.len();
                h.update(block);
                total += n as u64;
                reader.consume(n);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return format!("unreadable:{:?}", e.kind()),
        }
    }
    if total > MAX_DIGEST_BYTES {
        return format!("unreadable:grew past {MAX_DIGEST_BYTES} bytes (was {})", meta.len());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Read one line (up to and including `\n`) into `buf`, keeping at most
/// `max` bytes of it: the rest of a longer line is read and dropped, so a
/// line without end never takes more memory than `max`. Returns the line's
/// full length (0 at the end of input).
pub fn read_line_bounded(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<usize> {
    buf.clear();
    let mut total = 0usize;
    loop {
        let block = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if block.is_empty() {
            return Ok(total);
        }
        let (piece, done) = match block.iter().position(|&b| b == b'\n') {
            Some(i) => (&block[..=i], true),
            None => (block, false),
        };
        let n = piece.len();
        if buf.len() < max {
            let keep = n.min(max - buf.len());
            buf.extend_from_slice(&piece[..keep]);
        }
        total = total.saturating_add(n);
        reader.consume(n);
        if done {
            return Ok(total);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_while_reading() {
        let data = [vec![b'x'; 10_000], b"\nab\n".to_vec(), vec![b'y'; 50]].concat();
        let mut r = std::io::BufReader::with_capacity(64, &data[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut r, &mut buf, 100).unwrap(), 10_001);
        assert_eq!(buf.len(), 100);
        assert_eq!(read_line_bounded(&mut r, &mut buf, 100).unwrap(), 3);
        assert_eq!(buf, b"ab\n");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 100).unwrap(), 50);
        assert_eq!(read_line_bounded(&mut r, &mut buf, 100).unwrap(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_by_type() {
        let e = read_input(Path::new("/dev/zero"), 1 << 20).unwrap_err().to_string();
        assert!(e.contains("/dev/zero") && e.contains("character device"), "{e}");
        assert!(digest_file(Path::new("/dev/zero")).starts_with("unreadable:"));
    }
}
