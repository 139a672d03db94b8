//! Destination countries: the country an IP address is registered to, from
//! a compact offline IP-range table (no network). The table is compiled by
//! `src/bin/build_geo.rs` from ip-location-db's geo-whois-asn-country CSV
//! (CC BY 4.0, NRO; see NOTICE) and shipped gzip-compressed in
//! `ontology/geo/ip-country.bin.gz`; `--geo-table PATH` reads a newer one.
//!
//! A registered country is where the address block is registered or
//! announced, not proof of where a server stands or where data is stored.
//! An address the table does not cover stays unknown; no country is ever
//! guessed from a host name or its top-level domain.
//!
//! # Format (all integers little-endian)
//! - header, 96 bytes: magic `CNDGEO01`; `u32` IPv4 records; `u32` exact
//!   IPv6 records; `u32` IPv6 /64-prefix records; `u32` zero; a 40-byte
//!   NUL-padded ASCII label (source and date); the SHA-256 of the body.
//! - IPv4 records, 6 bytes: `u32` first address, 2-byte country code. A
//!   record covers up to the next record's first address; the code `\0\0`
//!   marks a gap (unknown).
//! - exact IPv6 records, 34 bytes: `u128` first, `u128` last, code: the
//!   ranges that do not start and end on a /64 boundary, looked up first.
//! - IPv6 prefix records, 10 bytes: `u64` first /64 prefix, code; as IPv4.
//!
//! Starts are strictly increasing within each record list; loading checks
//! the length, the digest, the order and the codes, so a truncated or
//! corrupt table is refused with a clear error instead of giving wrong
//! countries.

use super::{Destination, Observation};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::Path;

/// The table shipped with candor (gzip of the format above).
const SHIPPED: &[u8] = include_bytes!("../../ontology/geo/ip-country.bin.gz");

/// The magic number at the start of a table.
pub const MAGIC: &[u8; 8] = b"CNDGEO01";
/// Header length in bytes.
pub const HEADER: usize = 96;
const LABEL: usize = 40;
const V4_REC: usize = 6;
const V6X_REC: usize = 34;
const V6_REC: usize = 10;
/// Largest table accepted (decompressed), 256 MiB.
const MAX_TABLE: u64 = 256 * 1024 * 1024;

/// One range of a table being built: first and last address (inclusive), country.
pub type Range<T> = (T, T, [u8; 2]);

/// An IP-range-to-country table, validated and ready for binary search.
pub struct GeoTable {
    bytes: crate::input::InputBytes,
    label: String,
    n4: usize,
    n6x: usize,
    n6: usize,
}

impl std::fmt::Debug for GeoTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GeoTable({}, {} IPv4 + {} IPv6 ranges)", self.label, self.n4, self.n6 + self.n6x)
    }
}

impl GeoTable {
    /// The table shipped in the binary, decompressed and validated once.
    pub fn shipped() -> Result<&'static GeoTable> {
        use std::sync::OnceLock;
        static CELL: OnceLock<std::result::Result<GeoTable, String>> = OnceLock::new();
        CELL.get_or_init(|| {
            let raw = gunzip(SHIPPED, MAX_TABLE).map_err(|e| format!("ontology/geo/ip-country.bin.gz: {e}"))?;
            GeoTable::from_bytes(crate::input::InputBytes::Read(raw)).map_err(|e| format!("ontology/geo/ip-country.bin.gz: {e}"))
        })
        .as_ref()
        .map_err(|e| Error::Data(e.clone()))
    }

    /// Read a table file (raw, memory-mapped; or gzip-compressed, read
    /// once), with an error naming the file when it is not a valid table.
    pub fn load(path: &Path) -> Result<GeoTable> {
        let bytes = crate::input::map_input(path, MAX_TABLE)?;
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            crate::input::InputBytes::Read(gunzip(&bytes, MAX_TABLE).map_err(|e| Error::input(path, format!("geo table: {e}")))?)
        } else {
            bytes
        };
        GeoTable::from_bytes(bytes).map_err(|e| Error::input(path, format!("not a valid candor geo table: {e}")))
    }

    /// Validate raw table bytes.
    pub fn from_bytes(bytes: crate::input::InputBytes) -> std::result::Result<GeoTable, String> {
        let b: &[u8] = &bytes;
        if b.len() < HEADER {
            return Err(format!("truncated: {} bytes, shorter than the {HEADER}-byte header", b.len()));
        }
        if &b[..8] != MAGIC {
            return Err("wrong magic number (expected CNDGEO01; build one with build_geo)".into());
        }
        let n4 = u32_at(b, 8) as usize;
        let n6x = u32_at(b, 12) as usize;
        let n6 = u32_at(b, 16) as usize;
        let expected = HEADER as u64 + n4 as u64 * V4_REC as u64 + n6x as u64 * V6X_REC as u64 + n6 as u64 * V6_REC as u64;
        if b.len() as u64 != expected {
            return Err(format!("length {} bytes, but its header announces {expected} (truncated or corrupt)", b.len()));
        }
        let label_bytes = &b[24..24 + LABEL];
        let label_end = label_bytes.iter().position(|&c| c == 0).unwrap_or(LABEL);
        let label = std::str::from_utf8(&label_bytes[..label_end]).map_err(|_| "label is not UTF-8".to_string())?.to_string();
        let digest = Sha256::digest(&b[HEADER..]);
        if digest.as_slice() != &b[64..96] {
            return Err("checksum mismatch (the table is corrupt)".into());
        }
        let t = GeoTable { label, n4, n6x, n6, bytes };
        t.check_order()?;
        Ok(t)
    }

    fn check_order(&self) -> std::result::Result<(), String> {
        let cc_ok = |c: [u8; 2]| c == [0, 0] || (c[0].is_ascii_uppercase() && c[1].is_ascii_uppercase());
        for i in 0..self.n4 {
            let (s, c) = self.v4(i);
            if (i > 0 && self.v4(i - 1).0 >= s) || !cc_ok(c) {
                return Err(format!("IPv4 record {i} is out of order or has a bad country code"));
            }
        }
        for i in 0..self.n6x {
            let (s, e, c) = self.v6x(i);
            if s > e || (i > 0 && self.v6x(i - 1).1 >= s) || !cc_ok(c) {
                return Err(format!("exact IPv6 record {i} is out of order or has a bad country code"));
            }
        }
        for i in 0..self.n6 {
            let (s, c) = self.v6(i);
            if (i > 0 && self.v6(i - 1).0 >= s) || !cc_ok(c) {
                return Err(format!("IPv6 record {i} is out of order or has a bad country code"));
            }
        }
        Ok(())
    }

    /// The table's source and date, as recorded when it was built.
    pub fn label(&self) -> &str {
        &self.label
    }

    fn v4(&self, i: usize) -> (u32, [u8; 2]) {
        let at = HEADER + i * V4_REC;
        (u32_at(&self.bytes, at), [self.bytes[at + 4], self.bytes[at + 5]])
    }

    fn v6x(&self, i: usize) -> (u128, u128, [u8; 2]) {
        let at = HEADER + self.n4 * V4_REC + i * V6X_REC;
        let b = &self.bytes;
        (u128_at(b, at), u128_at(b, at + 16), [b[at + 32], b[at + 33]])
    }

    fn v6(&self, i: usize) -> (u64, [u8; 2]) {
        let at = HEADER + self.n4 * V4_REC + self.n6x * V6X_REC + i * V6_REC;
        let b = &self.bytes;
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[at..at + 8]);
        (u64::from_le_bytes(v), [b[at + 8], b[at + 9]])
    }

    /// The ISO 3166-1 alpha-2 country an address is registered to, or
    /// `None` when the table does not cover it (private, reserved or
    /// unallocated addresses, gaps). IPv4-mapped IPv6 addresses are looked
    /// up as IPv4.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        // Private, shared, loopback, link-local, multicast and reserved
        // addresses are nobody's country (some source rows cover them).
        if !is_public(ip) {
            return None;
        }
        let code = match ip {
            IpAddr::V4(a) => last_at_or_below(self.n4, |i| self.v4(i).0 <= u32::from(a)).map(|i| self.v4(i).1),
            IpAddr::V6(a) => {
                if let Some(v4) = a.to_ipv4_mapped() {
                    return self.country(IpAddr::V4(v4));
                }
                let x = u128::from(a);
                match last_at_or_below(self.n6x, |i| self.v6x(i).0 <= x).map(|i| self.v6x(i)) {
                    Some((_, e, c)) if x <= e => Some(c),
                    _ => {
                        let p = (x >> 64) as u64;
                        last_at_or_below(self.n6, |i| self.v6(i).0 <= p).map(|i| self.v6(i).1)
                    }
                }
            }
        }?;
        (code != [0, 0]).then(|| String::from_utf8_lossy(&code).into_owned())
    }

    /// Encode ranges (inclusive, in any order) into a table: where ranges
    /// overlap the narrower one decides (a more specific registration
    /// inside a larger block), adjacent ranges of one country are merged,
    /// gaps get an unknown record, IPv6 ranges on /64 boundaries go to the
    /// prefix list and the rest to the exact list. `label` names the
    /// source and date.
    pub fn encode(v4: &[Range<u32>], v6: &[Range<u128>], label: &str) -> std::result::Result<Vec<u8>, String> {
        let v4 = flatten(v4.iter().map(|&(s, e, c)| (s as u128, e as u128, c)).collect())?;
        let v6 = flatten(v6.to_vec())?;
        let mut body = Vec::new();
        let n4 = encode_starts(v4.iter().copied(), u32::MAX as u128, |s, out| out.extend_from_slice(&(s as u32).to_le_bytes()), &mut body)?;
        let low = u64::MAX as u128;
        let aligned = |&&(s, e, _): &&Range<u128>| s & low == 0 && e & low == low;
        let exact: Vec<&Range<u128>> = v6.iter().filter(|r| !aligned(r)).collect();
        for &&(s, e, c) in &exact {
            body.extend_from_slice(&s.to_le_bytes());
            body.extend_from_slice(&e.to_le_bytes());
            body.extend_from_slice(&c);
        }
        let prefix = v6.iter().filter(|r| aligned(r)).map(|&(s, e, c)| (s >> 64, e >> 64, c));
        let n6 = encode_starts(prefix, u64::MAX as u128, |s, out| out.extend_from_slice(&(s as u64).to_le_bytes()), &mut body)?;
        let mut out = Vec::with_capacity(HEADER + body.len());
        out.extend_from_slice(MAGIC);
        for n in [n4, exact.len(), n6, 0] {
            out.extend_from_slice(&u32::try_from(n).map_err(|_| "too many records")?.to_le_bytes());
        }
        let mut l = [0u8; LABEL];
        let lb = label.as_bytes();
        l[..lb.len().min(LABEL)].copy_from_slice(&lb[..lb.len().min(LABEL)]);
        out.extend_from_slice(&l);
        out.extend_from_slice(&Sha256::digest(&body));
        out.extend_from_slice(&body);
        Ok(out)
    }
}

/// Make ranges disjoint: each address gets the country of the narrowest
/// range holding it (ties: the later range), by a sweep over the range ends.
fn flatten(ranges: Vec<Range<u128>>) -> std::result::Result<Vec<Range<u128>>, String> {
    use std::collections::BTreeSet;
    // Events: (position, is_start, range index); a range ending at the top has no end event.
    let mut events: Vec<(u128, bool, usize)> = Vec::with_capacity(ranges.len() * 2);
    for (i, &(s, e, _)) in ranges.iter().enumerate() {
        if s > e {
            return Err(format!("bad range {s}-{e}"));
        }
        events.push((s, true, i));
        if let Some(after) = e.checked_add(1) {
            events.push((after, false, i));
        }
    }
    // Ends before starts at one position.
    events.sort_unstable_by_key(|&(p, start, i)| (p, start, i));
    let mut active: BTreeSet<(u128, std::cmp::Reverse<usize>)> = BTreeSet::new();
    let mut out: Vec<Range<u128>> = Vec::new();
    let mut k = 0;
    while k < events.len() {
        let pos = events[k].0;
        while k < events.len() && events[k].0 == pos {
            let (_, start, i) = events[k];
            let key = (ranges[i].1 - ranges[i].0, std::cmp::Reverse(i));
            if start {
                active.insert(key);
            } else {
                active.remove(&key);
            }
            k += 1;
        }
        let Some(&(_, std::cmp::Reverse(i))) = active.iter().next() else { continue };
        let end = match events.get(k) {
            Some(&(next, _, _)) => next - 1,
            None => u128::MAX,
        };
        let c = ranges[i].2;
        match out.last_mut() {
            Some(last) if last.2 == c && last.1.checked_add(1) == Some(pos) => last.1 = end,
            _ => out.push((pos, end, c)),
        }
    }
    Ok(out)
}

/// Write start-only records for sorted inclusive ranges: merge adjacent
/// same-country ranges, insert an unknown record after each range followed
/// by a gap. Returns the number of records.
fn encode_starts(
    ranges: impl Iterator<Item = (u128, u128, [u8; 2])>,
    max: u128,
    write: impl Fn(u128, &mut Vec<u8>),
    out: &mut Vec<u8>,
) -> std::result::Result<usize, String> {
    let mut merged: Vec<(u128, u128, [u8; 2])> = Vec::new();
    for (s, e, c) in ranges {
        if s > e || !(c[0].is_ascii_uppercase() && c[1].is_ascii_uppercase()) {
            return Err(format!("bad range {s}-{e} or country code"));
        }
        match merged.last_mut() {
            Some(last) if s <= last.1 => return Err(format!("ranges overlap or are not sorted at {s}")),
            Some(last) if last.2 == c && last.1 + 1 == s => last.1 = e,
            _ => merged.push((s, e, c)),
        }
    }
    let mut n = 0;
    for (i, &(s, e, c)) in merged.iter().enumerate() {
        write(s, out);
        out.extend_from_slice(&c);
        n += 1;
        let next = merged.get(i + 1).map(|r| r.0);
        if e < max && next != Some(e + 1) {
            write(e + 1, out);
            out.extend_from_slice(&[0, 0]);
            n += 1;
        }
    }
    Ok(n)
}

/// Whether an address is globally routable: not private (10/8, 172.16/12,
/// 192.168/16, fc00::/7), shared (100.64/10), loopback, link-local,
/// unspecified, multicast, documentation or reserved (240/4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_documentation()
                || o[0] == 0
                || o[0] >= 240
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// The index of the last record whose start is at or below the address
/// (`at_or_below` is true for a prefix of the records), if any.
fn last_at_or_below(n: usize, at_or_below: impl Fn(usize) -> bool) -> Option<usize> {
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at_or_below(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo.checked_sub(1)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u128_at(b: &[u8], at: usize) -> u128 {
    let mut v = [0u8; 16];
    v.copy_from_slice(&b[at..at + 16]);
    u128::from_le_bytes(v)
}

/// Decompress gzip data, refusing more than `cap` bytes of output.
fn gunzip(bytes: &[u8], cap: u64) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).take(cap + 1).read_to_end(&mut out).map_err(|e| format!("cannot decompress: {e}"))?;
    if out.len() as u64 > cap {
        return Err(format!("decompresses to more than {cap} bytes"));
    }
    Ok(out)
}

/// Parse an address as written in captures (`1.2.3.4`, `2001:db8::1`,
/// `[2001:db8::1]`); `None` for anything else.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// Give every flow and contact whose destination carries a server address
/// the country that address is registered to (left `None` when unknown).
pub fn locate(obs: &mut Observation, table: &GeoTable) {
    let set = |d: &mut Destination| {
        d.country = d.ip.as_deref().and_then(parse_ip).and_then(|ip| table.country(ip));
    };
    obs.flows.iter_mut().for_each(|f| set(&mut f.destination));
    obs.contacts.iter_mut().for_each(|c| set(&mut c.destination));
    obs.geo_table = Some(table.label().to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(v4: &[Range<u32>], v6: &[Range<u128>]) -> GeoTable {
        let bytes = GeoTable::encode(v4, v6, "test").unwrap();
        GeoTable::from_bytes(crate::input::InputBytes::Read(bytes)).unwrap()
    }

    #[test]
    fn looks_up_ranges_gaps_and_edges() {
        const B: u32 = 0x0100_0000; // 1.0.0.0
        let t = table(&[(B + 10, B + 19, *b"AU"), (B + 20, B + 29, *b"AU"), (B + 40, B + 49, *b"CN")], &[]);
        let v4 = |n: u32| t.country(IpAddr::V4((B + n).into()));
        assert_eq!(v4(9), None);
        assert_eq!(v4(10).as_deref(), Some("AU"));
        assert_eq!(v4(29).as_deref(), Some("AU"));
        assert_eq!(v4(30), None);
        assert_eq!(v4(49).as_deref(), Some("CN"));
        assert_eq!(v4(50), None);
        // Merged: AU is one record, then a gap, CN, a gap.
        assert_eq!(t.n4, 4);
        let t = table(&[(0xC0A8_0000, 0xC0A8_FFFF, *b"AU")], &[]);
        assert_eq!(t.country("192.168.1.1".parse().unwrap()), None, "private addresses are unknown whatever the table says");
    }

    #[test]
    fn ipv6_prefix_and_exact_ranges() {
        let p = |hi: u64| (hi as u128) << 64;
        let t = table(&[(0x0100_0001, 0x0100_0001, *b"US")], &[(p(5), p(7) | u64::MAX as u128, *b"JP"), (p(9) + 16, p(9) + 31, *b"DE")]);
        let v6 = |x: u128| t.country(IpAddr::V6(x.into()));
        assert_eq!(v6(p(6) + 3).as_deref(), Some("JP"));
        assert_eq!(v6(p(8)), None);
        assert_eq!(v6(p(9) + 20).as_deref(), Some("DE"));
        assert_eq!(v6(p(9) + 40), None);
        // IPv4-mapped addresses are IPv4.
        assert_eq!(t.country("::ffff:1.0.0.1".parse().unwrap()).as_deref(), Some("US"));
    }

    #[test]
    fn refuses_truncated_and_corrupt_tables() {
        let bytes = GeoTable::encode(&[(10, 19, *b"AU")], &[], "test").unwrap();
        let cut = bytes[..bytes.len() - 1].to_vec();
        assert!(GeoTable::from_bytes(crate::input::InputBytes::Read(cut)).unwrap_err().contains("length"));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(GeoTable::from_bytes(crate::input::InputBytes::Read(flipped)).unwrap_err().contains("checksum"));
        assert!(GeoTable::from_bytes(crate::input::InputBytes::Read(b"hello".to_vec())).unwrap_err().contains("truncated"));
        assert!(GeoTable::encode(&[(19, 10, *b"AU")], &[], "t").is_err());
    }

    #[test]
    fn narrower_ranges_win_where_ranges_overlap() {
        const B: u32 = 0x0100_0000;
        let t = table(&[(B, B + 99, *b"DE"), (B + 50, B + 50, *b"BE"), (B + 50, B + 59, *b"NL")], &[]);
        let v4 = |n: u32| t.country(IpAddr::V4((B + n).into()));
        assert_eq!(v4(49).as_deref(), Some("DE"));
        assert_eq!(v4(50).as_deref(), Some("BE"));
        assert_eq!(v4(51).as_deref(), Some("NL"));
        assert_eq!(v4(60).as_deref(), Some("DE"));
        assert_eq!(v4(100), None);
    }
}
