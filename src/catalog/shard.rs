//! `--shard I/N`: a deterministic subset of a catalog by a stable hash of
//! the app id, so that N machines (a Kubernetes Indexed Job, a Slurm array)
//! each take one shard and together cover every app exactly once.

use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// True when `app_id` belongs to this shard.
    pub fn contains(&self, app_id: &str) -> bool {
        stable_hash(app_id) % self.count == self.index
    }
}

/// The first 8 bytes of SHA-256 of the app id, big-endian: the same on every
/// machine, build and run.
pub fn stable_hash(app_id: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(app_id.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard: expected I/N with 0 <= I < N (e.g. 0/4), got {s:?}");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_shards_partition_ids() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        let mut sizes = [0usize; 3];
        for n in 0..3000 {
            let id = format!("com.example.app{n}");
            let owners: Vec<usize> = shards.iter().enumerate().filter(|(_, s)| s.contains(&id)).map(|(i, _)| i).collect();
            assert_eq!(owners.len(), 1);
            sizes[owners[0]] += 1;
        }
        assert!(sizes.iter().all(|&s| s > 800), "{sizes:?}");
    }

    #[test]
    fn catalog_shard_parse() {
        assert_eq!("1/3".parse::<Shard>().unwrap(), Shard { index: 1, count: 3 });
        for bad in ["3/3", "0/0", "x/2", "1", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(stable_hash("a"), stable_hash("a"));
    }
}
