//! Packet captures (pcap and pcapng): the hosts an app contacted, from DNS
//! queries (UDP port 53) and the server name (SNI) of TLS ClientHellos (the
//! first client segments of a TCP connection, reassembled when the hello
//! spans several). Each host gives one destination-only [`Contact`]; no data
//! types are read from packets. A host's server address is the destination
//! of its TLS connection, or else the first A/AAAA answer to a DNS query for
//! it (the destination's country comes from it, see [`super::geo`]).
//!
//! Link layers: Ethernet (with VLAN tags), raw IP, BSD loopback, Linux
//! cooked capture v1/v2. IPv4 (first fragments only) and IPv6 (with
//! extension headers). The file is streamed, block by block; every length
//! is checked, a bogus one gives an error naming the packet.

use super::destination::{is_ip_address, resolve_destination, FirstParty};
use super::Contact;
use crate::error::{describe_io, Error, Result};
use crate::ontology::Ontologies;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

/// Largest packet (pcap record or pcapng block) accepted.
const MAX_BLOCK: usize = 16 * 1024 * 1024;
/// Largest TLS record reassembled.
const MAX_HELLO: usize = 16 * 1024 + 5;
/// Most TCP connections whose ClientHello is being reassembled at once.
const MAX_PENDING: usize = 10_000;

/// How a host was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostSource {
    /// A DNS query for it.
    Dns,
    /// A TLS ClientHello naming it (SNI), to this TCP port.
    Tls(u16),
}

/// One host seen in a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenHost {
    pub host: String,
    pub source: HostSource,
    /// Index of the packet (0-based).
    pub packet: usize,
    /// The server's address: the TLS connection's destination, or a DNS answer for the host.
    pub ip: Option<std::net::IpAddr>,
}

/// Read a capture and turn each distinct (source, host) into a contact.
pub fn read_pcap(path: &Path, ont: &Ontologies, first_party: &FirstParty) -> Result<Vec<Contact>> {
    // Any size: the capture is streamed, memory does not grow with it.
    let (file, _) = crate::input::open_input(path, u64::MAX)?;
    let hosts = capture_hosts(std::io::BufReader::with_capacity(1 << 16, file), path)?;
    let label = path.display().to_string();
    Ok(hosts
        .into_iter()
        .map(|h| {
            let (method, url) = match h.source {
                HostSource::Dns => ("DNS".to_string(), format!("dns:{}", h.host)),
                HostSource::Tls(port) => ("TLS".to_string(), format!("tls://{}:{port}", h.host)),
            };
            let mut destination = resolve_destination(&h.host, &ont.entities, first_party);
            if let Some(ip) = h.ip {
                destination.ip = Some(ip.to_string());
            }
            Contact {
                method,
                url,
                destination,
                file: label.clone(),
                entry: h.packet,
                started_ms: None,
            }
        })
        .collect())
}

/// The hosts of a pcap or pcapng stream, first sighting of each (source, host).
pub fn capture_hosts<R: Read>(mut r: R, path: &Path) -> Result<Vec<SeenHost>> {
    let mut magic = [0u8; 4];
    read_full(&mut r, &mut magic, path, "file header")?
        .then_some(())
        .ok_or_else(|| Error::input(path, "file is empty, expected a pcap or pcapng capture"))?;
    let mut st = State::default();
    match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => classic(&mut r, path, false, &mut st)?,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => classic(&mut r, path, true, &mut st)?,
        [0x0a, 0x0d, 0x0d, 0x0a] => pcapng(&mut r, path, &mut st)?,
        _ => {
            return Err(Error::input(
                path,
                "not a packet capture (expected the pcap or pcapng magic number; export the capture as pcap/pcapng)",
            ))
        }
    }
    // Hosts seen only by name get the address a DNS answer gave them.
    for h in st.found.iter_mut().filter(|h| h.ip.is_none()) {
        h.ip = st.answers.get(&h.host).copied();
    }
    Ok(st.found)
}

/// Fill `buf`; Ok(false) at a clean end of file (nothing read), error when cut in the middle.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8], path: &Path, what: &str) -> Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::input(path, describe_io(&e))),
        }
    }
    if got == 0 {
        Ok(false)
    } else if got < buf.len() {
        Err(Error::input(path, format!("truncated: {what} is cut off after {got} of {} bytes", buf.len())))
    } else {
        Ok(true)
    }
}

/// A TCP connection: (source address, destination address, source port, destination port).
type FlowKey = (Vec<u8>, Vec<u8>, u16, u16);

#[derive(Default)]
struct State {
    found: Vec<SeenHost>,
    seen: HashSet<(HostSource, String)>,
    /// TCP flow -> (next expected sequence number, bytes so far, bytes needed).
    pending: HashMap<FlowKey, (u32, Vec<u8>, usize)>,
    packet: usize,
    /// Host -> first address a DNS answer gave it (at most MAX_ANSWERS hosts).
    answers: HashMap<String, std::net::IpAddr>,
}

/// Most hosts whose DNS answers are remembered.
const MAX_ANSWERS: usize = 100_000;

impl State {
    fn add(&mut self, host: String, source: HostSource, ip: Option<std::net::IpAddr>) {
        if self.seen.insert((source, host.clone())) {
            self.found.push(SeenHost { host, source, packet: self.packet, ip });
        }
    }
}

/// An address from its bytes (4 or 16).
fn address(b: &[u8]) -> Option<std::net::IpAddr> {
    match b.len() {
        4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

fn classic<R: Read>(r: &mut R, path: &Path, big_endian: bool, st: &mut State) -> Result<()> {
    let mut hdr = [0u8; 20];
    if !read_full(r, &mut hdr, path, "pcap file header")? {
        return Err(Error::input(path, "truncated: pcap file header is cut off after 4 bytes"));
    }
    let u32_of = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let link = u32_of(&hdr[16..20]) & 0xFFFF;
    let mut rec = [0u8; 16];
    let mut data = Vec::new();
    loop {
        if !read_full(r, &mut rec, path, &format!("header of packet {}", st.packet))? {
            return Ok(());
        }
        let incl = u32_of(&rec[8..12]) as usize;
        if incl > MAX_BLOCK {
            return Err(Error::input(
                path,
                format!("packet {} claims {incl} captured bytes, over the {MAX_BLOCK} byte limit (corrupt capture)", st.packet),
            ));
        }
        data.resize(incl, 0);
        if incl > 0 && !read_full(r, &mut data, path, &format!("packet {}", st.packet))? {
            return Err(Error::input(path, format!("truncated: packet {} has no data", st.packet)));
        }
        link_layer(link, &data, st);
        st.packet += 1;
    }
}

fn pcapng<R: Read>(r: &mut R, path: &Path, st: &mut State) -> Result<()> {
    let mut big_endian = false;
    let mut links: Vec<u32> = Vec::new();
    let mut first = true;
    let mut body = Vec::new();
    let mut block_index = 0usize;
    loop {
        let mut head = [0u8; 8];
        if first {
            head[0..4].copy_from_slice(&[0x0a, 0x0d, 0x0d, 0x0a]);
            if !read_full(r, &mut head[4..8], path, "section header block")? {
                return Err(Error::input(path, "truncated: pcapng section header block is cut off"));
            }
            first = false;
        } else if !read_full(r, &mut head, path, &format!("block {block_index}"))? {
            return Ok(());
        }
        let btype_raw = [head[0], head[1], head[2], head[3]];
        let len_raw = [head[4], head[5], head[6], head[7]];
        if btype_raw == [0x0a, 0x0d, 0x0d, 0x0a] {
            // A section header: its byte-order magic decides the endianness of the section.
            let mut bom = [0u8; 4];
            if !read_full(r, &mut bom, path, "section header byte-order magic")? {
                return Err(Error::input(path, "truncated: section header block is cut off"));
            }
            big_endian = match bom {
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                _ => return Err(Error::input(path, format!("block {block_index}: bad pcapng byte-order magic"))),
            };
            let len = if big_endian { u32::from_be_bytes(len_raw) } else { u32::from_le_bytes(len_raw) } as usize;
            check_block_len(len, 28, block_index, path)?;
            body.resize(len - 12, 0);
            if !read_full(r, &mut body, path, &format!("block {block_index}"))? {
                return Err(Error::input(path, format!("truncated: block {block_index} has no body")));
            }
            links.clear();
            block_index += 1;
            continue;
        }
        let u32_of = |b: [u8; 4]| if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) };
        let btype = u32_of(btype_raw);
        let len = u32_of(len_raw) as usize;
        check_block_len(len, 12, block_index, path)?;
        // The body, plus the trailing copy of the length.
        body.resize(len - 8, 0);
        if !read_full(r, &mut body, path, &format!("block {block_index}"))? {
            return Err(Error::input(path, format!("truncated: block {block_index} has no body")));
        }
        let b = &body[..len - 12];
        let word = |at: usize| b.get(at..at + 4).map(|s| u32_of([s[0], s[1], s[2], s[3]]));
        match btype {
            1 => {
                let link = b.get(0..2).map(|s| if big_endian { u16::from_be_bytes([s[0], s[1]]) } else { u16::from_le_bytes([s[0], s[1]]) });
                links.push(link.unwrap_or(u16::MAX) as u32);
            }
            6 => {
                let (Some(iface), Some(cap)) = (word(0), word(12)) else {
                    return Err(Error::input(path, format!("block {block_index}: enhanced packet block is too short")));
                };
                let Some(data) = b.get(20..20usize.saturating_add(cap as usize)) else {
                    return Err(Error::input(
                        path,
                        format!("block {block_index}: packet claims {cap} bytes, more than its block holds (corrupt capture)"),
                    ));
                };
                if let Some(&link) = links.get(iface as usize) {
                    link_layer(link, data, st);
                }
                st.packet += 1;
            }
            3 => {
                if let Some(&link) = links.first() {
                    if let Some(data) = b.get(4..) {
                        link_layer(link, data, st);
                    }
                }
                st.packet += 1;
            }
            2 => {
                let iface = b.get(0..2).map(|s| if big_endian { u16::from_be_bytes([s[0], s[1]]) } else { u16::from_le_bytes([s[0], s[1]]) });
                let cap = word(12).unwrap_or(0) as usize;
                if let (Some(iface), Some(data)) = (iface, b.get(20..20usize.saturating_add(cap))) {
                    if let Some(&link) = links.get(iface as usize) {
                        link_layer(link, data, st);
                    }
                }
                st.packet += 1;
            }
            _ => {}
        }
        block_index += 1;
    }
}

fn check_block_len(len: usize, min: usize, index: usize, path: &Path) -> Result<()> {
    if len < min || !len.is_multiple_of(4) || len > MAX_BLOCK {
        return Err(Error::input(
            path,
            format!("block {index} has a bogus length {len} (must be a multiple of 4, {min}..{MAX_BLOCK}): corrupt capture"),
        ));
    }
    Ok(())
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// Strip the link layer and pass the IP packet on.
fn link_layer(link: u32, data: &[u8], st: &mut State) {
    match link {
        1 => {
            // Ethernet, possibly with 802.1Q / 802.1ad tags.
            let mut at = 12;
            let mut ethertype = be16(data, at);
            let mut tags = 0;
            while matches!(ethertype, Some(0x8100) | Some(0x88a8)) && tags < 4 {
                at += 4;
                ethertype = be16(data, at);
                tags += 1;
            }
            if let (Some(et), Some(payload)) = (ethertype, data.get(at + 2..)) {
                if et == 0x0800 || et == 0x86dd {
                    ip(payload, st);
                }
            }
        }
        0 => {
            // BSD loopback: a 4-byte address family in the capturing host's byte order.
            if let Some(payload) = data.get(4..) {
                ip(payload, st);
            }
        }
        101 | 12 | 14 | 228 | 229 => ip(data, st),
        113 => {
            if let Some(payload) = data.get(16..) {
                ip(payload, st);
            }
        }
        276 => {
            if let Some(payload) = data.get(20..) {
                ip(payload, st);
            }
        }
        _ => {}
    }
}

fn ip(p: &[u8], st: &mut State) {
    let Some(&first) = p.first() else { return };
    match first >> 4 {
        4 => {
            let ihl = (first & 0x0f) as usize * 4;
            let total = be16(p, 2).unwrap_or(0) as usize;
            let frag = be16(p, 6).unwrap_or(0);
            if ihl < 20 || total < ihl || frag & 0x1fff != 0 {
                return;
            }
            let end = total.min(p.len());
            let (Some(proto), Some(src), Some(dst), Some(payload)) = (p.get(9), p.get(12..16), p.get(16..20), p.get(ihl..end))
            else {
                return;
            };
            transport(*proto, src, dst, payload, st);
        }
        6 => {
            let plen = be16(p, 4).unwrap_or(0) as usize;
            let (Some(&next), Some(src), Some(dst)) = (p.get(6), p.get(8..24), p.get(24..40)) else { return };
            let end = (40 + plen).min(p.len());
            let mut next = next;
            let mut at = 40;
            for _ in 0..8 {
                match next {
                    0 | 43 | 60 => {
                        let (Some(&n), Some(&l)) = (p.get(at), p.get(at + 1)) else { return };
                        next = n;
                        at += (l as usize + 1) * 8;
                    }
                    44 => {
                        let (Some(&n), Some(off)) = (p.get(at), be16(p, at + 2)) else { return };
                        if off >> 3 != 0 {
                            return;
                        }
                        next = n;
                        at += 8;
                    }
                    51 => {
                        let (Some(&n), Some(&l)) = (p.get(at), p.get(at + 1)) else { return };
                        next = n;
                        at += (l as usize + 2) * 4;
                    }
                    _ => break,
                }
            }
            if let Some(payload) = p.get(at..end) {
                transport(next, src, dst, payload, st);
            }
        }
        _ => {}
    }
}

fn transport(proto: u8, src: &[u8], dst: &[u8], p: &[u8], st: &mut State) {
    match proto {
        17 => {
            let (Some(dport), Some(payload)) = (be16(p, 2), p.get(8..)) else { return };
            if dport == 53 {
                for name in dns_query_names(payload) {
                    st.add(name, HostSource::Dns, None);
                }
            } else if be16(p, 0) == Some(53) {
                for (name, ip) in dns_answers(payload) {
                    if st.answers.len() < MAX_ANSWERS || st.answers.contains_key(&name) {
                        st.answers.entry(name).or_insert(ip);
                    }
                }
            }
        }
        6 => {
            let (Some(sport), Some(dport), Some(seq), Some(&off)) = (be16(p, 0), be16(p, 2), be32(p, 4), p.get(12)) else {
                return;
            };
            let hl = (off >> 4) as usize * 4;
            let Some(payload) = p.get(hl..).filter(|_| hl >= 20) else { return };
            if payload.is_empty() {
                return;
            }
            let key = (src.to_vec(), dst.to_vec(), sport, dport);
            if let Some((next, buf, need)) = st.pending.get_mut(&key) {
                if seq == *next {
                    let take = payload.len().min(*need - buf.len());
                    buf.extend_from_slice(&payload[..take]);
                    *next = next.wrapping_add(payload.len() as u32);
                    if buf.len() >= *need {
                        let done = std::mem::take(buf);
                        st.pending.remove(&key);
                        if let Some(h) = client_hello_sni(&done) {
                            st.add(h, HostSource::Tls(dport), address(dst));
                        }
                    }
                }
                return;
            }
            // A TLS handshake record holding a ClientHello.
            if payload.len() >= 6 && payload[0] == 0x16 && payload[1] == 0x03 && payload[5] == 0x01 {
                let need = (5 + be16(payload, 3).unwrap_or(0) as usize).min(MAX_HELLO);
                if payload.len() >= need {
                    if let Some(h) = client_hello_sni(payload) {
                        st.add(h, HostSource::Tls(dport), address(dst));
                    }
                } else if st.pending.len() < MAX_PENDING {
                    st.pending.insert(key, (seq.wrapping_add(payload.len() as u32), payload.to_vec(), need));
                }
            }
        }
        _ => {}
    }
}

/// Host names asked in a DNS query message (not responses; no reverse lookups).
pub fn dns_query_names(m: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(flags), Some(qd)) = (be16(m, 2), be16(m, 4)) else { return out };
    if flags & 0x8000 != 0 {
        return out;
    }
    let mut at = 12;
    for _ in 0..qd.min(16) {
        let Some((name, next)) = dns_name(m, at) else { return out };
        let Some(qtype) = be16(m, next) else { return out };
        at = next + 4;
        if qtype != 12 && valid_host(&name) {
            out.push(name);
        }
    }
    out
}

/// The A/AAAA answers of a DNS response, each for the (first) question's
/// name (after a CNAME chain the addresses still answer the question).
pub fn dns_answers(m: &[u8]) -> Vec<(String, std::net::IpAddr)> {
    let mut out = Vec::new();
    let (Some(flags), Some(qd), Some(an)) = (be16(m, 2), be16(m, 4), be16(m, 6)) else { return out };
    if flags & 0x8000 == 0 || qd == 0 {
        return out;
    }
    let Some((question, next)) = dns_name(m, 12) else { return out };
    if !valid_host(&question) {
        return out;
    }
    let mut at = next + 4;
    for _ in 1..qd.min(16) {
        let Some((_, next)) = dns_name(m, at) else { return out };
        at = next + 4;
    }
    for _ in 0..an.min(64) {
        let Some((_, next)) = dns_name(m, at) else { return out };
        let (Some(rtype), Some(len)) = (be16(m, next), be16(m, next + 8)) else { return out };
        let data = next + 10;
        let Some(rdata) = m.get(data..data + len as usize) else { return out };
        if matches!((rtype, rdata.len()), (1, 4) | (28, 16)) {
            if let Some(ip) = address(rdata) {
                out.push((question.clone(), ip));
            }
        }
        at = data + len as usize;
    }
    out
}

/// A (possibly compressed) domain name at `at`; returns it and the offset after it.
fn dns_name(m: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut after: Option<usize> = None;
    let mut jumps = 0;
    loop {
        let len = *m.get(at)? as usize;
        if len == 0 {
            return Some((name, after.unwrap_or(at + 1)));
        }
        if len & 0xc0 == 0xc0 {
            jumps += 1;
            if jumps > 16 {
                return None;
            }
            let ptr = ((len & 0x3f) << 8) | *m.get(at + 1)? as usize;
            after.get_or_insert(at + 2);
            at = ptr;
            continue;
        }
        if len > 63 {
            return None;
        }
        let label = m.get(at + 1..at + 1 + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(&String::from_utf8_lossy(label).to_ascii_lowercase());
        if name.len() > 253 {
            return None;
        }
        at += 1 + len;
    }
}

/// The server name of a TLS record holding a ClientHello.
pub fn client_hello_sni(rec: &[u8]) -> Option<String> {
    if *rec.first()? != 0x16 || *rec.get(5)? != 0x01 {
        return None;
    }
    let rec_len = be16(rec, 3)? as usize;
    let hs = rec.get(5..(5 + rec_len).min(rec.len()))?;
    let hs_len = ((*hs.get(1)? as usize) << 16) | be16(hs, 2)? as usize;
    let body = hs.get(4..(4 + hs_len).min(hs.len()))?;
    let mut at = 34; // version + random
    at += 1 + *body.get(at)? as usize; // session id
    at += 2 + be16(body, at)? as usize; // cipher suites
    at += 1 + *body.get(at)? as usize; // compression methods
    let ext_end = (at + 2 + be16(body, at)? as usize).min(body.len());
    at += 2;
    while at + 4 <= ext_end {
        let ty = be16(body, at)?;
        let len = be16(body, at + 2)? as usize;
        let ext = body.get(at + 4..at + 4 + len)?;
        if ty == 0 {
            let list_len = be16(ext, 0)? as usize;
            let list = ext.get(2..2 + list_len)?;
            let mut p = 0;
            while p + 3 <= list.len() {
                let kind = list[p];
                let n = be16(list, p + 1)? as usize;
                let name = list.get(p + 3..p + 3 + n)?;
                if kind == 0 {
                    let host = String::from_utf8_lossy(name).trim_end_matches('.').to_ascii_lowercase();
                    return valid_host(&host).then_some(host);
                }
                p += 3 + n;
            }
            return None;
        }
        at += 4 + len;
    }
    None
}

/// A plausible DNS host name (not an address, not a local or reverse name).
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.contains('.')
        && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        && !h.ends_with(".arpa")
        && !h.ends_with(".local")
        && !is_ip_address(h)
}
