//! Compiles ip-location-db's geo-whois-asn-country package (the npm tarball,
//! CC BY 4.0 by NRO) into candor's compact IP-to-country table, written
//! gzip-compressed to `ontology/geo/ip-country.bin.gz` (format in
//! `src/observe/geo.rs`).
//!
//! Usage: `build_geo PACKAGE.tgz [OUT]`. It reads
//! `package/geo-whois-asn-country-ipv4-num.csv` and `-ipv6-num.csv`
//! (`start,end,country`, integers, inclusive) and `package/package.json`
//! (the version, which is the data's date) from the tarball.

use candor::observe::geo::{GeoTable, Range};
use std::io::{Read, Write};

/// Read the tarball, compile the table, write it, report its size.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(tgz) = args.first() else {
        eprintln!("usage: build_geo PACKAGE.tgz [OUT]  (default OUT: ontology/geo/ip-country.bin.gz)");
        std::process::exit(2);
    };
    let out = args.get(1).map(String::as_str).unwrap_or("ontology/geo/ip-country.bin.gz");
    if let Err(e) = run(tgz, out) {
        eprintln!("build_geo: {tgz}: {e}");
        std::process::exit(1);
    }
}

/// Compile `tgz` into the table at `out`.
fn run(tgz: &str, out: &str) -> Result<(), String> {
    let bytes = std::fs::read(tgz).map_err(|e| e.to_string())?;
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..]).take(1 << 30).read_to_end(&mut tar).map_err(|e| format!("gunzip: {e}"))?;
    let files = untar(&tar)?;
    let get = |name: &str| {
        files.iter().find(|(n, _)| n == name).map(|(_, d)| *d).ok_or_else(|| format!("the tarball has no {name}"))
    };
    let version = package_version(get("package/package.json")?)?;
    let v4: Vec<Range<u32>> = parse_csv(get("package/geo-whois-asn-country-ipv4-num.csv")?, "ipv4")?;
    let v6: Vec<Range<u128>> = parse_csv(get("package/geo-whois-asn-country-ipv6-num.csv")?, "ipv6")?;
    let label = format!("geo-whois-asn-country {version}");
    let table = GeoTable::encode(&v4, &v6, &label)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&table).map_err(|e| e.to_string())?;
    let compressed = gz.finish().map_err(|e| e.to_string())?;
    if let Some(dir) = std::path::Path::new(out).parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(out, &compressed).map_err(|e| format!("{out}: {e}"))?;
    eprintln!(
        "build_geo: {label}: {} IPv4 and {} IPv6 ranges -> {} bytes ({} compressed) in {out}",
        v4.len(),
        v6.len(),
        table.len(),
        compressed.len()
    );
    Ok(())
}

/// The regular files of a ustar archive: (name, content).
fn untar(tar: &[u8]) -> Result<Vec<(String, &[u8])>, String> {
    let mut files = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() {
        let h = &tar[at..at + 512];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let field = |r: std::ops::Range<usize>| {
            let f = &h[r];
            String::from_utf8_lossy(&f[..f.iter().position(|&b| b == 0).unwrap_or(f.len())]).trim().to_string()
        };
        let name = field(0..100);
        let prefix = field(345..500);
        let size = usize::from_str_radix(&field(124..136), 8).map_err(|_| format!("bad tar size field at {at}"))?;
        let start = at + 512;
        let end = start.checked_add(size).filter(|&e| e <= tar.len()).ok_or("truncated tar member")?;
        if matches!(h[156], b'0' | 0) {
            let full = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            files.push((full, &tar[start..end]));
        }
        at = start + size.div_ceil(512) * 512;
    }
    Ok(files)
}

/// The `version` of package.json.
fn package_version(json: &[u8]) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_slice(json).map_err(|e| format!("package.json: {e}"))?;
    v.get("version").and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| "package.json has no version".to_string())
}

/// `start,end,CC` lines of integers.
fn parse_csv<T: std::str::FromStr>(data: &[u8], what: &str) -> Result<Vec<Range<T>>, String> {
    let text = std::str::from_utf8(data).map_err(|_| format!("{what} CSV is not UTF-8"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || format!("{what} CSV line {}: expected start,end,country: {line:?}", i + 1);
        let mut parts = line.trim().split(',');
        let (Some(s), Some(e), Some(c), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
        let cc: [u8; 2] = c.as_bytes().try_into().map_err(|_| bad())?;
        out.push((s.parse().map_err(|_| bad())?, e.parse().map_err(|_| bad())?, cc));
    }
    Ok(out)
}
