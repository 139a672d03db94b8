//! Regenerates the shipped ontology tables from the public data in `shared/data`:
//!
//! * `ontology/permissions.json` from the AOSP permission tables (androguard
//!   API 36 for names, protection levels and labels; API 28 for the permission
//!   groups) plus `ontology/curation/permissions.json`;
//! * `ontology/entities.json` from AdGuard companiesdb, the Exodus tracker list
//!   and `ontology/curation/entities.json`.
//!
//! It also checks `ontology/data_types.json` (hand-curated) against the new
//! permission table. See `ontology/README.md` for how each table is derived.
//!
//! ```text
//! cargo run --bin build_ontology -- [--data ../shared/data] [--ontology ontology]
//! ```

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

type Res<T> = Result<T, String>;

fn main() {
    if let Err(e) = run() {
        eprintln!("build_ontology: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let mut data = PathBuf::from("../shared/data");
    let mut ont = PathBuf::from("ontology");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = PathBuf::from(args.next().ok_or("--data needs a folder")?),
            "--ontology" => ont = PathBuf::from(args.next().ok_or("--ontology needs a folder")?),
            "-h" | "--help" => {
                println!("usage: build_ontology [--data ../shared/data] [--ontology ontology]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let permissions = build_permissions(&data, &ont)?;
    write_permissions(&ont.join("permissions.json"), &permissions)?;
    let entities = build_entities(&data, &ont)?;
    write_entities(&ont.join("entities.json"), &entities)?;
    check_data_types(&ont.join("data_types.json"), &permissions)?;
    Ok(())
}

fn read_json(path: &Path) -> Res<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_text(path: &Path, text: &str) -> Res<()> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

// ---------------------------------------------------------------------------
// Permissions

struct Permission {
    name: String,
    protection: String,
    group: Option<String>,
    label: Option<String>,
}

fn build_permissions(data: &Path, ont: &Path) -> Res<Vec<Permission>> {
    let dir = data.join("android_permissions/aosp_androguard");
    let api36 = read_json(&dir.join("permissions_api36.json"))?;
    let api28 = read_json(&dir.join("permissions_api28.json"))?;
    let curation = read_json(&ont.join("curation/permissions.json"))?;
    let groups28 = api28["permissions"].as_object().ok_or("api28: no permissions")?;
    let curated_groups = curation["groups"].as_object().ok_or("curation: no groups")?;
    let mut out = BTreeMap::new();
    for (name, p) in api36["permissions"].as_object().ok_or("api36: no permissions")? {
        let group = groups28
            .get(name)
            .map(|q| s(&q["permissionGroup"]))
            .and_then(short_group)
            .or_else(|| curated_groups.get(name).map(|g| s(g).to_string()));
        // The androguard export turned U+2011 (non-breaking hyphen) into "u2011".
        let label = s(&p["label"]).replace("u2011", "-").trim().to_string();
        out.insert(
            name.clone(),
            Permission {
                name: name.clone(),
                protection: s(&p["protectionLevel"]).to_string(),
                group,
                label: (!label.is_empty()).then_some(label),
            },
        );
    }
    for name in curated_groups.keys() {
        if !out.contains_key(name) {
            return Err(format!("curation/permissions.json: group given for unknown permission {name}"));
        }
    }
    for e in curation["extra"].as_array().ok_or("curation: no extra")? {
        let name = s(&e["name"]).to_string();
        if out.contains_key(&name) {
            return Err(format!("curation/permissions.json: {name} is already in the AOSP table"));
        }
        out.insert(
            name.clone(),
            Permission {
                name,
                protection: s(&e["protection"]).to_string(),
                group: e["group"].as_str().map(str::to_string),
                label: e["label"].as_str().map(str::to_string),
            },
        );
    }
    Ok(out.into_values().collect())
}

/// `android.permission-group.LOCATION` -> `LOCATION`; empty or UNDEFINED -> None.
fn short_group(g: &str) -> Option<String> {
    let g = g.trim().trim_start_matches("android.permission-group.");
    (!g.is_empty() && g != "UNDEFINED").then(|| g.to_string())
}

fn write_permissions(path: &Path, perms: &[Permission]) -> Res<()> {
    let mut lines = Vec::new();
    for p in perms {
        let v = json!({"name": p.name, "protection": p.protection, "group": p.group, "label": p.label});
        lines.push(v.to_string());
    }
    write_text(path, &format!("{{\"permissions\":[\n{}\n]}}\n", lines.join(",\n")))?;
    eprintln!("permissions.json: {} permissions", perms.len());
    Ok(())
}

// ---------------------------------------------------------------------------
// Entities

#[derive(Default, Clone)]
struct Org {
    id: String,
    name: String,
    aliases: Vec<String>,
    categories: BTreeSet<String>,
    /// Hosts and domains, as collected (before dedup and generalisation).
    domains: Vec<String>,
    sources: BTreeSet<&'static str>,
    website: Option<String>,
    /// Lower-cased aliases given in the curation file (kept even when they
    /// are common words, then matched case-sensitively).
    curated_aliases: BTreeSet<String>,
}

struct Entities {
    categories: Vec<Value>,
    orgs: Vec<Org>,
    /// Phrases that name no recipient although they contain a category name.
    not_recipients: Vec<Value>,
}

/// Hosts claimed so far: host -> org id. The first claim wins.
#[derive(Default)]
struct Claims {
    owner: HashMap<String, String>,
}

impl Claims {
    /// The org owning `host` or the longest listed suffix of it.
    fn resolve(&self, host: &str) -> Option<&str> {
        let mut rest = host;
        loop {
            if let Some(o) = self.owner.get(rest) {
                return Some(o);
            }
            rest = &rest[rest.find('.')? + 1..];
        }
    }
}

struct Builder {
    orgs: BTreeMap<String, Org>,
    claims: Claims,
    category_ids: BTreeSet<String>,
    /// Shared hosting and CDN domains: only curated organizations hold them
    /// as a whole; other sources may hold specific hosts under them.
    shared: BTreeSet<String>,
}

impl Builder {
    fn org(&mut self, id: &str) -> &mut Org {
        self.orgs.entry(id.to_string()).or_insert_with(|| Org { id: id.to_string(), ..Org::default() })
    }

    fn add_alias(&mut self, id: &str, alias: &str) {
        let alias = clean_name(alias);
        if alias.is_empty() {
            return;
        }
        let o = self.org(id);
        let key = alias.trim_start_matches('=').to_lowercase();
        if o.name.to_lowercase() == key && !alias.starts_with('=') {
            return;
        }
        if !o.aliases.iter().any(|a| a.to_lowercase() == alias.to_lowercase()) {
            o.aliases.push(alias);
        }
    }

    fn add_category(&mut self, id: &str, cat: &str) -> Res<()> {
        if !self.category_ids.contains(cat) {
            return Err(format!("unknown category {cat} for {id}"));
        }
        self.org(id).categories.insert(cat.to_string());
        Ok(())
    }

    /// True when `host` is, or is under, a shared hosting domain.
    fn is_shared(&self, host: &str) -> bool {
        self.shared.contains(host) || parents(host).any(|p| self.shared.contains(p))
    }

    /// Claim a host for `id` from a secondary source (Exodus, websites): not
    /// when another org already covers it, nor a whole shared domain.
    fn claim_weak(&mut self, id: &str, host: &str) -> bool {
        let Some(h) = normalize_domain(host) else { return false };
        if self.shared.contains(&h) || self.claims.resolve(&h).is_some_and(|o| o != id) {
            return false;
        }
        self.claim(id, &h)
    }

    /// Claim `host` for org `id` unless another org already holds exactly it.
    fn claim(&mut self, id: &str, host: &str) -> bool {
        let Some(h) = normalize_domain(host) else { return false };
        if self.shared.contains(&h) && !self.orgs.get(id).is_some_and(|o| o.sources.contains("curated")) {
            return false;
        }
        match self.claims.owner.get(&h) {
            Some(o) if o != id => false,
            Some(_) => true,
            None => {
                self.claims.owner.insert(h.clone(), id.to_string());
                self.org(id).domains.push(h);
                true
            }
        }
    }
}

fn build_entities(data: &Path, ont: &Path) -> Res<Entities> {
    let cur = read_json(&ont.join("curation/entities.json"))?;
    let categories: Vec<Value> = cur["categories"].as_array().ok_or("curation: no categories")?.clone();
    let category_ids: BTreeSet<String> = categories.iter().map(|c| s(&c["id"]).to_string()).collect();
    let shared: BTreeSet<String> =
        cur["shared_hosting"].as_array().map(|a| a.iter().map(|v| s(v).to_string()).collect()).unwrap_or_default();
    let mut b = Builder { orgs: BTreeMap::new(), claims: Claims::default(), category_ids, shared };

    let map_of = |key: &str| -> Res<HashMap<String, Option<String>>> {
        Ok(cur[key]
            .as_object()
            .ok_or(format!("curation: no {key}"))?
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string)))
            .collect())
    };
    let adguard_cats = map_of("adguard_categories")?;
    let exodus_cats = map_of("exodus_categories")?;
    let company_to_org = map_of("company_to_org")?;
    let tracker_to_org = map_of("tracker_to_org")?;
    let exodus_to_org = map_of("exodus_to_org")?;
    let list_of = |key: &str| -> BTreeSet<String> {
        cur[key].as_array().map(|a| a.iter().map(|v| s(v).to_string()).collect()).unwrap_or_default()
    };
    let exodus_drop = list_of("exodus_drop_domains");
    let drop_aliases: BTreeSet<String> = list_of("drop_aliases").into_iter().map(|a| a.to_lowercase()).collect();
    let website_block = list_of("website_blocklist");

    // 1. Curated organizations claim their domains first.
    for o in cur["organizations"].as_array().ok_or("curation: no organizations")? {
        let id = s(&o["id"]).to_string();
        if b.orgs.contains_key(&id) {
            return Err(format!("curation: organization {id} listed twice"));
        }
        let org = b.org(&id);
        org.name = s(&o["name"]).to_string();
        org.sources.insert("curated");
        for a in o["aliases"].as_array().into_iter().flatten() {
            b.add_alias(&id, s(a));
            let key = s(a).trim_start_matches('=').trim().to_lowercase();
            b.org(&id).curated_aliases.insert(key);
        }
        for c in o["categories"].as_array().into_iter().flatten() {
            b.add_category(&id, s(c))?;
        }
        for d in o["domains"].as_array().into_iter().flatten() {
            if !b.claim(&id, s(d)) {
                return Err(format!("curation: domain {} of {id} is claimed twice", s(d)));
            }
        }
    }

    // 2. AdGuard companiesdb: trackers grouped by company, domains by tracker.
    let ag = data.join("trackers/adguard_companiesdb");
    let companies = read_json(&ag.join("companies.json"))?;
    let companies = companies["companies"].as_object().ok_or("companies.json: no companies")?.clone();
    let trackers_file = read_json(&ag.join("trackers.json"))?;
    let ag_categories = trackers_file["categories"].as_object().ok_or("trackers.json: no categories")?;
    let trackers = trackers_file["trackers"].as_object().ok_or("trackers.json: no trackers")?;
    let mut tracker_domains: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (domain, tid) in trackers_file["trackerDomains"].as_object().ok_or("trackers.json: no trackerDomains")? {
        tracker_domains.entry(s(tid)).or_default().push(domain);
    }
    for (tid, t) in trackers {
        let Some(domains) = tracker_domains.get(tid.as_str()) else { continue };
        let mut company = t["companyId"].as_str();
        let org_id = match tracker_to_org.get(tid) {
            Some(Some(o)) => o.clone(),
            Some(None) => continue,
            None => match company {
                Some(c) => match company_to_org.get(c) {
                    Some(Some(o)) => o.clone(),
                    Some(None) => continue,
                    None => slug(c),
                },
                None => slug(tid),
            },
        };
        // A tracker moved to another organization than its AdGuard company
        // (an investor or former owner) names that organization itself.
        if company.is_some_and(|c| slug(c) != org_id) {
            company = None;
        }
        let curated = b.orgs.get(&org_id).is_some_and(|o| o.sources.contains("curated"));
        {
            let org = b.org(&org_id);
            org.sources.insert("adguard");
            if org.name.is_empty() {
                let (name, website) = match company.and_then(|c| companies.get(c)) {
                    Some(c) => (s(&c["name"]), s(&c["websiteUrl"])),
                    None => (s(&t["name"]), s(&t["url"])),
                };
                org.name = clean_name(name);
                if !website.is_empty() {
                    org.website = Some(website.to_string());
                }
            }
        }
        let tracker_name = s(&t["name"]);
        b.add_alias(&org_id, tracker_name);
        if !curated {
            let cat_name = ag_categories.get(&t["categoryId"].to_string()).map(s).unwrap_or("");
            if let Some(Some(c)) = adguard_cats.get(cat_name) {
                b.add_category(&org_id, c)?;
            } else if !adguard_cats.contains_key(cat_name) {
                return Err(format!("AdGuard category {cat_name:?} is not mapped"));
            }
        }
        for d in domains {
            b.claim(&org_id, d);
        }
    }
    // Company websites, where nobody else holds the domain.
    let ids: Vec<String> = b.orgs.keys().cloned().collect();
    for id in &ids {
        if let Some(site) = b.orgs[id].website.clone() {
            if let Some(d) = website_domain(&site) {
                if !website_block.contains(&d) {
                    b.claim_weak(id, &d);
                }
            }
        }
    }

    // 3. Exodus: network signatures and websites; merged into the org that
    //    already holds most of its domains, else a new organization.
    let exodus = read_json(&data.join("trackers/exodus/exodus_trackers_api.json"))?;
    let mut exodus_list: Vec<&Value> = exodus["trackers"].as_object().ok_or("exodus: no trackers")?.values().collect();
    exodus_list.sort_by_key(|t| t["id"].as_u64().unwrap_or(0));
    for t in exodus_list {
        let name = clean_name(s(&t["name"]));
        let mut domains: Vec<String> =
            signature_domains(s(&t["network_signature"])).into_iter().filter(|d| !exodus_drop.contains(d)).collect();
        let site = website_domain(s(&t["website"])).filter(|d| !website_block.contains(d) && !exodus_drop.contains(d));
        let target = match exodus_to_org.get(&name) {
            Some(Some(o)) => Some(o.clone()),
            Some(None) => continue,
            None => {
                let mut votes: BTreeMap<String, usize> = BTreeMap::new();
                for d in domains.iter().chain(site.iter()) {
                    if b.is_shared(d) {
                        continue;
                    }
                    if let Some(o) = b.claims.resolve(d) {
                        *votes.entry(o.to_string()).or_default() += 1;
                    }
                }
                votes.into_iter().max_by_key(|(_, n)| *n).map(|(o, _)| o)
            }
        };
        let id = match target {
            Some(o) => o,
            None => {
                if domains.is_empty() && site.is_none() {
                    continue;
                }
                // A new organization, or the one of the same name.
                let id = slug(&strip_parenthetical(&name));
                let org = b.org(&id);
                if org.name.is_empty() {
                    org.name = strip_parenthetical(&name);
                }
                id
            }
        };
        b.org(&id).sources.insert("exodus");
        b.add_alias(&id, &name);
        let stripped = strip_parenthetical(&name);
        if stripped != name {
            b.add_alias(&id, &stripped);
        }
        let curated = b.orgs[&id].sources.contains("curated");
        if !curated {
            for c in t["categories"].as_array().into_iter().flatten() {
                match exodus_cats.get(s(c)) {
                    Some(Some(cat)) => b.add_category(&id, cat)?,
                    Some(None) => {}
                    None => return Err(format!("Exodus category {:?} is not mapped", s(c))),
                }
            }
        }
        if let Some(site) = site {
            domains.push(site);
        }
        for d in domains {
            b.claim_weak(&id, &d);
        }
    }

    for o in b.orgs.values_mut() {
        o.aliases.retain(|a| !drop_aliases.contains(&a.trim_start_matches('=').to_lowercase()));
    }
    // Display names that say more than the source's short name ("SAS").
    for (id, name) in cur["rename"].as_object().into_iter().flatten() {
        let o = b.orgs.get_mut(id).ok_or(format!("curation: rename of unknown organization {id}"))?;
        let old = std::mem::replace(&mut o.name, s(name).to_string());
        if !drop_aliases.contains(&old.to_lowercase()) {
            o.aliases.insert(0, old);
        }
    }

    // 4. Reduce hosts to registrable domains where that is unambiguous, drop
    //    hosts covered by another domain of the same org.
    generalize_domains(&mut b);

    // 5. Names: unique, at least a word; names and aliases that are also
    //    common words in policies are marked case-sensitive (`=Name`).
    let corpus = Corpus::load(data);
    let mut orgs: Vec<Org> = b.orgs.into_values().filter(|o| !o.domains.is_empty()).collect();
    finish_names(&mut orgs, &corpus)?;
    for o in &mut orgs {
        if o.categories.is_empty() {
            o.categories.insert("third_party".to_string());
        }
    }
    let not_recipients = cur["not_recipients"].as_array().cloned().unwrap_or_default();
    Ok(Entities { categories, orgs, not_recipients })
}

fn generalize_domains(b: &mut Builder) {
    // Which orgs hold hosts under each registrable domain.
    let mut under: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (host, org) in &b.claims.owner {
        if let Some(r) = registrable(host) {
            under.entry(r).or_default().insert(org.clone());
        }
    }
    for org in b.orgs.values_mut() {
        let mut set: BTreeSet<String> = BTreeSet::new();
        for h in &org.domains {
            let general = registrable(h).filter(|r| {
                r != h
                    && icann_registrable(r)
                    && !b.shared.contains(r)
                    && names_org(r, org)
                    && under.get(r).is_some_and(|os| os.len() == 1 && os.contains(&org.id))
                    && b.claims.owner.get(r).is_none_or(|o| *o == org.id)
            });
            set.insert(general.unwrap_or_else(|| h.clone()));
        }
        // Drop a host when one of its parent domains is in the same set.
        let all = set.clone();
        set.retain(|h| !parents(h).any(|p| all.contains(p)));
        org.domains = set.into_iter().collect();
    }
}

/// True when the registrable domain sits under an ICANN suffix (`x.com`),
/// not under a private one (`x.cloudfront.net`, `x.herokuapp.com`).
fn icann_registrable(r: &str) -> bool {
    psl::suffix(r.as_bytes()).is_some_and(|s| s.typ() == Some(psl::Type::Icann))
}

/// True when a registrable domain's first label looks like the org's name
/// (`mixpanel.com` for Mixpanel), so that `api.mixpanel.com` may stand for
/// the whole domain; a tracker host on someone else's domain (a CNAME such as
/// `metrics.shop.example`) stays a single host.
fn names_org(r: &str, org: &Org) -> bool {
    let label: String = r.split('.').next().unwrap_or("").chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if label.len() < 3 {
        return false;
    }
    let id: String = org.id.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let name: String = org.name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let first: String = org
        .name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let related = |k: &str| k.len() >= 3 && (label.contains(k) || k.contains(label.as_str()));
    related(&id) || related(&name) || (first.len() >= 4 && label.contains(&first))
}

/// The proper parent domains of a host: `a.b.c` -> `b.c`, `c`.
fn parents(host: &str) -> impl Iterator<Item = &str> {
    let mut rest = host;
    std::iter::from_fn(move || {
        let i = rest.find('.')?;
        rest = &rest[i + 1..];
        Some(rest)
    })
}

fn registrable(host: &str) -> Option<String> {
    psl::domain_str(host).map(str::to_string)
}

/// Lower-case, strip a leading `*.`/`.`, check it is a host name with a known
/// suffix (not an IP address, no wildcard or port).
fn normalize_domain(d: &str) -> Option<String> {
    let d = d.trim().trim_start_matches("*.").trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 || labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let ok = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    if !ok {
        return None;
    }
    // A known suffix is required; a name that is itself a suffix is kept
    // only when it is a private one (googleapis.com, cloudfront.net), which
    // belongs to a company, unlike an ICANN one (co.uk).
    let suffix = psl::suffix(d.as_bytes())?;
    if !suffix.is_known() || (suffix.as_bytes() == d.as_bytes() && suffix.typ() != Some(psl::Type::Private)) {
        return None;
    }
    Some(d)
}

/// Host names in an Exodus `network_signature` (a `|`-separated regex):
/// alternatives that are plain host names once `\.` is unescaped.
fn signature_domains(sig: &str) -> Vec<String> {
    let mut out = Vec::new();
    for alt in sig.split('|') {
        let a = alt.trim().trim_start_matches('^').trim_end_matches('$');
        let a = a.trim_start_matches(".*").trim_start_matches("\\.").trim_start_matches('.');
        let a = a.replace("\\.", ".").replace("\\-", "-");
        if a.contains(|c: char| "\\[](){}*+?^$:/ ".contains(c)) {
            continue;
        }
        if let Some(d) = normalize_domain(&a) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// The registrable domain of a website URL.
fn website_domain(url: &str) -> Option<String> {
    let u = url.trim();
    let rest = u.split_once("://").map(|(_, r)| r).unwrap_or(u);
    let host = rest.split(['/', '?', '#']).next()?.split(':').next()?.to_ascii_lowercase();
    let host = normalize_domain(&host)?;
    registrable(&host)
}

/// Snake-case id: lower-case ASCII letters and digits separated by `_`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

fn clean_name(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "Heyzap (bought by Fyber)" -> "Heyzap".
fn strip_parenthetical(s: &str) -> String {
    match s.find(" (") {
        Some(i) if s.ends_with(')') => s[..i].trim().to_string(),
        _ => s.to_string(),
    }
}

/// Lower-case occurrences of words in real privacy policies, to tell apart
/// names that are also common words ("Adjust", "Segment", "Branch").
struct Corpus {
    text: String,
    lower: String,
}

impl Corpus {
    fn load(data: &Path) -> Corpus {
        let mut text = String::new();
        let mut add_dir = |dir: PathBuf, html: bool| {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                eprintln!("note: {} not found; generic-name check uses less text", dir.display());
                return;
            };
            let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths {
                if let Ok(t) = std::fs::read_to_string(&p) {
                    text.push_str(&if html { strip_tags(&t) } else { t });
                    text.push('\n');
                }
            }
        };
        add_dir(data.join("corpora/appcorp_en"), false);
        add_dir(data.join("corpora/opp115/sanitized_policies"), true);
        let policond = data.join("corpora/policond_apps2024_en/cleaned_htmls.tar.gz");
        match read_tar_gz(&policond) {
            Ok(files) => {
                for (_, bytes) in files {
                    text.push_str(&strip_tags(&String::from_utf8_lossy(&bytes)));
                    text.push('\n');
                }
            }
            Err(e) => eprintln!("note: {e}; generic-name check uses less text"),
        }
        let lower = text.to_ascii_lowercase();
        Corpus { text, lower }
    }

    /// For each phrase: (all-lower-case occurrences, other occurrences) as a
    /// whole word (an `s` plural allowed), ignoring occurrences inside host
    /// names, URLs and e-mail addresses. One pass over the text.
    fn count_all(&self, phrases: &BTreeSet<String>) -> Res<HashMap<String, (usize, usize)>> {
        let pats: Vec<&String> = phrases.iter().filter(|p| !p.is_empty()).collect();
        let mut counts: HashMap<String, (usize, usize)> = pats.iter().map(|p| ((*p).clone(), (0, 0))).collect();
        if pats.is_empty() || self.lower.is_empty() {
            return Ok(counts);
        }
        let ac = aho_corasick::AhoCorasick::new(&pats).map_err(|e| format!("phrase automaton: {e}"))?;
        let (b, lb) = (self.text.as_bytes(), self.lower.as_bytes());
        let word = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80);
        for m in ac.find_overlapping_iter(&self.lower) {
            let (start, end) = (m.start(), m.end());
            let before = start.checked_sub(1).map(|j| lb[j]);
            let mut e = end;
            if lb.get(e) == Some(&b's') {
                e += 1;
            }
            let after = lb.get(e).copied();
            let after2 = lb.get(e + 1).copied();
            if word(before) || word(after) {
                continue;
            }
            if matches!(before, Some(b'.' | b'/' | b'@' | b'-')) || matches!(after, Some(b'/' | b'-' | b'@')) {
                continue;
            }
            if after == Some(b'.') && word(after2) {
                continue;
            }
            let Some(c) = counts.get_mut(pats[m.pattern().as_usize()]) else { continue };
            if b[start..end] == lb[start..end] {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
        Ok(counts)
    }
}

/// Which names are mostly ordinary words in privacy policies.
struct CommonWords {
    counts: HashMap<String, (usize, usize)>,
}

impl CommonWords {
    fn new(corpus: &Corpus, phrases: &BTreeSet<String>) -> Res<Self> {
        Ok(CommonWords { counts: corpus.count_all(phrases)? })
    }

    /// A phrase that policies mostly write in lower case, i.e. use as an
    /// ordinary word rather than as a name.
    fn is_common_word(&self, phrase: &str) -> bool {
        if !phrase.is_ascii() || phrase.contains(|c: char| c.is_ascii_digit()) {
            return false;
        }
        let (low, other) = self.counts.get(&phrase.to_ascii_lowercase()).copied().unwrap_or((0, 0));
        low >= 3 && low * 5 >= other
    }
}

/// The regular files of a gzip-compressed tar archive (ustar headers only).
fn read_tar_gz(path: &Path) -> Res<Vec<(String, Vec<u8>)>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut data = Vec::new();
    flate2::read::MultiGzDecoder::new(file).read_to_end(&mut data).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 512 <= data.len() {
        let header = &data[pos..pos + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let field =
            |a: usize, b: usize| String::from_utf8_lossy(&header[a..b]).trim_end_matches('\0').trim().to_string();
        let name = field(0, 100);
        let size =
            usize::from_str_radix(&field(124, 136), 8).map_err(|_| format!("{}: bad tar header", path.display()))?;
        let kind = header[156];
        let start = pos + 512;
        let end = start + size;
        if end > data.len() {
            return Err(format!("{}: truncated", path.display()));
        }
        if kind == b'0' || kind == 0 {
            out.push((name, data[start..end].to_vec()));
        }
        pos = start + size.div_ceil(512) * 512;
    }
    Ok(out)
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("|||", "\n").replace("&amp;", "&").replace("&nbsp;", " ")
}

/// Give every org a unique display name and unique aliases. A name or alias
/// that policies mostly use as an ordinary word ("Adjust", "Segment") is
/// kept, matched case-sensitively (`=Name`), only for curated organizations
/// and aliases; otherwise the name gets its domain appended ("Impact
/// (impact.com)") and the alias is dropped, so that prose does not match it.
fn finish_names(orgs: &mut [Org], corpus: &Corpus) -> Res<()> {
    let phrases: BTreeSet<String> = orgs
        .iter()
        .flat_map(|o| std::iter::once(&o.name).chain(&o.aliases))
        .map(|n| n.trim_start_matches('=').trim().to_ascii_lowercase())
        .collect();
    let corpus = CommonWords::new(corpus, &phrases)?;
    // Curated organizations first, so that they keep their names and aliases.
    orgs.sort_by_key(|o| (!o.sources.contains("curated"), o.id.clone()));
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for o in orgs.iter_mut() {
        let curated = o.sources.contains("curated");
        let domain = o.domains.first().cloned().unwrap_or_else(|| o.id.clone());
        let mut name = clean_name(&o.name);
        let mut exact_name = false;
        if name.chars().filter(|c| c.is_alphabetic()).count() < 2 {
            // "163" and the like: use the main domain as the name.
            name = domain.clone();
        } else if o.aliases.iter().any(|a| a.starts_with('=') && a[1..].eq_ignore_ascii_case(&name)) {
            exact_name = true;
        } else if corpus.is_common_word(&name) {
            if curated {
                exact_name = true;
            } else {
                name = format!("{name} ({domain})");
            }
        }
        if taken.contains(&name.to_lowercase()) {
            name = format!("{name} ({domain})");
            exact_name = false;
        }
        taken.insert(name.to_lowercase());
        o.name = name;
        let name_key = o.name.to_lowercase();
        let mut aliases: Vec<String> = Vec::new();
        if exact_name {
            aliases.push(format!("={}", o.name));
        }
        for a in std::mem::take(&mut o.aliases) {
            let exact = a.starts_with('=');
            let bare = a.trim_start_matches('=').trim().to_string();
            let key = bare.to_lowercase();
            let curated_alias = o.curated_aliases.contains(&key);
            if key == name_key || bare.chars().filter(|c| c.is_alphanumeric()).count() < 2 || taken.contains(&key) {
                continue;
            }
            // A bare lower-case domain ("googleapis.com") is a tracker label,
            // not a name a policy uses; "Branch.io" is kept.
            if !curated_alias
                && !bare.contains(' ')
                && normalize_domain(&bare).is_some()
                && !bare.chars().any(|c| c.is_ascii_uppercase())
            {
                continue;
            }
            let alias = if exact {
                a.clone()
            } else if corpus.is_common_word(&bare) {
                if !curated_alias {
                    continue;
                }
                format!("={bare}")
            } else {
                bare
            };
            taken.insert(key);
            aliases.push(alias);
        }
        o.aliases = aliases;
    }
    orgs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(())
}

fn write_entities(path: &Path, e: &Entities) -> Res<()> {
    let mut cats = Vec::new();
    for c in &e.categories {
        let mut m = Map::new();
        for k in ["id", "parent", "names"] {
            m.insert(k.to_string(), c[k].clone());
        }
        cats.push(Value::Object(m).to_string());
    }
    let mut orgs = Vec::new();
    let mut n_domains = 0;
    for o in &e.orgs {
        n_domains += o.domains.len();
        let source: Vec<&str> = o.sources.iter().copied().collect();
        let v = json!({
            "id": o.id,
            "name": o.name,
            "aliases": o.aliases,
            "categories": o.categories,
            "domains": o.domains,
            "source": source.join("+"),
        });
        orgs.push(v.to_string());
    }
    let text = format!(
        "{{\"categories\":[\n{}\n],\n\"organizations\":[\n{}\n],\n\"not_recipients\":{}}}\n",
        cats.join(",\n"),
        orgs.join(",\n"),
        Value::Array(e.not_recipients.clone())
    );
    write_text(path, &text)?;
    eprintln!(
        "entities.json: {} categories, {} organizations, {} domains, {} bytes",
        e.categories.len(),
        e.orgs.len(),
        n_domains,
        text.len()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Data types (hand-curated): check the references into the permission table.

fn check_data_types(path: &Path, perms: &[Permission]) -> Res<()> {
    let v = read_json(path)?;
    let known: BTreeSet<&str> = perms.iter().map(|p| p.name.as_str()).collect();
    let mut bad = Vec::new();
    let mut n = 0;
    for t in v["data_types"].as_array().ok_or("data_types.json: no data_types")? {
        n += 1;
        for p in t["permissions"].as_array().into_iter().flatten() {
            if !known.contains(s(p)) {
                bad.push(format!("{}: {}", s(&t["id"]), s(p)));
            }
        }
    }
    if !bad.is_empty() {
        return Err(format!("data_types.json names unknown permissions: {}", bad.join(", ")));
    }
    eprintln!("data_types.json: {n} types, all permissions known");
    Ok(())
}
