//! The flow matrix: every observed flow grouped by (data type, recipient).
//! Rows are data types, columns recipients (the app maker first, then each
//! organization grouped by its category), and a cell holds the flows of one
//! pair with their worst verdict, how many requests and files they came
//! from and the policy practices behind them. This is the one grouping the
//! text, Markdown and HTML reports show; a finding about a (data type,
//! recipient) links to its cell, and its evidence is the cell's flows.

use super::{AppReport, ReportedFlow};
use crate::compare::{recipient_key, FindingKind, Verdict};
use crate::observe::FlowSource;
use std::collections::{BTreeMap, BTreeSet};

/// How bad a verdict is for the reader, worst highest: incorrect > omitted
/// > ambiguous > vague > clear.
pub fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Clear => 0,
        Verdict::Vague => 1,
        Verdict::Ambiguous => 2,
        Verdict::Omitted => 3,
        Verdict::Incorrect => 4,
    }
}

/// The verdicts, worst first (the order of legends).
pub const WORST_FIRST: [Verdict; 5] = [Verdict::Incorrect, Verdict::Omitted, Verdict::Ambiguous, Verdict::Vague, Verdict::Clear];

/// The verdict a flow finding is about; `None` for permission and recipient findings.
pub fn kind_verdict(kind: FindingKind) -> Option<Verdict> {
    match kind {
        FindingKind::OmittedFlow => Some(Verdict::Omitted),
        FindingKind::IncorrectFlow => Some(Verdict::Incorrect),
        FindingKind::AmbiguousFlow => Some(Verdict::Ambiguous),
        FindingKind::VagueFlow => Some(Verdict::Vague),
        _ => None,
    }
}

/// One column of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    /// [`recipient_key`]: `first_party`, an organization id or a domain.
    pub key: String,
    /// A display name: "the app maker", the organization's name or the domain.
    pub name: String,
    /// Hosts contacted (none for the app maker's permission flows).
    pub hosts: Vec<String>,
    /// The column group: "first party", the organization's first category, or "other".
    pub category: String,
    pub first_party: bool,
    /// Names of the tracker SDKs of this organization found in the app's code.
    pub sdks: Vec<String>,
    /// True when the report says the policy never names this organization (CND011).
    pub unnamed: bool,
}

/// One (data type, recipient) pair and its flows.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Index into [`FlowMatrix::data_types`].
    pub row: usize,
    /// Index into [`FlowMatrix::recipients`].
    pub col: usize,
    /// The worst verdict of its flows (see [`verdict_rank`]).
    pub verdict: Verdict,
    /// Indices into the report's flows, most telling first ([`evidence_order`]).
    pub flows: Vec<usize>,
    /// Distinct requests (capture file and entry) among its flows.
    pub requests: usize,
    /// Distinct permissions (or iOS usage keys) among its flows.
    pub permissions: Vec<String>,
    /// Distinct input files its flows were seen in.
    pub files: Vec<String>,
    /// Practice indices supporting / contradicting any of its flows.
    pub supporting: Vec<usize>,
    pub contradicting: Vec<usize>,
    /// Indices into the report's findings about this pair, worst first.
    pub findings: Vec<usize>,
}

impl Cell {
    /// "3 requests in 1 file", "1 permission", "2 requests and 1 permission in 2 files".
    pub fn extent(&self) -> String {
        extent(self.requests, self.permissions.len(), self.files.len())
    }

    /// The finding a link from this cell goes to: the one about its worst verdict.
    pub fn finding(&self) -> Option<usize> {
        self.findings.first().copied()
    }
}

/// "N requests in M files" (with permissions when there are some).
pub fn extent(requests: usize, permissions: usize, files: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let what = match (requests, permissions) {
        (r, 0) => plural(r, "request"),
        (0, p) => plural(p, "permission"),
        (r, p) => format!("{} and {}", plural(r, "request"), plural(p, "permission")),
    };
    format!("{what} in {}", plural(files, "file"))
}

/// The report's flows grouped by (data type, recipient).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlowMatrix {
    /// Rows, the data types with the worst cells first.
    pub data_types: Vec<String>,
    /// Columns: the app maker, then organizations by category and name.
    pub recipients: Vec<Recipient>,
    /// The non-empty cells, row by row.
    pub cells: Vec<Cell>,
}

/// How telling a flow is as evidence, lower first: a device-profile value
/// found in the request, then a tracker's documented parameter or a
/// permission, then a key name, then an implicit flow (IP address,
/// User-Agent).
fn evidence_class(f: &ReportedFlow) -> u8 {
    match &f.flow.source {
        FlowSource::Request { matched, .. } if matched.starts_with("value") => 0,
        FlowSource::Request { matched, .. } if matched == "tracker-parameter" => 1,
        FlowSource::Permission { .. } | FlowSource::UsageDescription { .. } => 1,
        FlowSource::Request { matched, .. } if matched == "key" => 2,
        FlowSource::Request { .. } => 3,
    }
}

/// Sort flow indices most telling first: worst verdict, then evidence
/// class, then confidence, then capture order; among flows of one verdict
/// and class, one from a request not listed yet comes before another from
/// the same request (so the first lines show different requests).
pub fn evidence_order(report: &AppReport, flows: &mut [usize]) {
    let bucket = |k: usize| {
        let f = &report.flows[k];
        (std::cmp::Reverse(verdict_rank(f.verdict)), evidence_class(f))
    };
    flows.sort_by(|&a, &b| {
        let (fa, fb) = (&report.flows[a], &report.flows[b]);
        bucket(a).cmp(&bucket(b)).then(fb.flow.confidence.total_cmp(&fa.flow.confidence)).then(a.cmp(&b))
    });
    let mut seen = BTreeSet::new();
    let mut i = 0;
    while i < flows.len() {
        let b = bucket(flows[i]);
        let j = i + flows[i..].iter().take_while(|&&k| bucket(k) == b).count();
        let (mut fresh, mut again) = (Vec::new(), Vec::new());
        for &k in &flows[i..j] {
            let repeated = flow_place(&report.flows[k]).1.is_some_and(|request| !seen.insert(request));
            if repeated {
                again.push(k);
            } else {
                fresh.push(k);
            }
        }
        fresh.append(&mut again);
        flows[i..j].copy_from_slice(&fresh);
        i = j;
    }
}

/// The input file a flow was seen in, and its request (file, entry) if any.
fn flow_place(f: &ReportedFlow) -> (String, Option<(String, usize)>, Option<String>) {
    match &f.flow.source {
        FlowSource::Request { file, entry, .. } => (file.clone(), Some((file.clone(), *entry)), None),
        FlowSource::Permission { permission, file } => (file.clone(), None, Some(permission.clone())),
        FlowSource::UsageDescription { key, file, .. } => (file.clone(), None, Some(key.clone())),
    }
}

impl FlowMatrix {
    /// Group the report's flows and attach its findings to their cells.
    pub fn build(report: &AppReport) -> FlowMatrix {
        // Columns.
        let mut cols: BTreeMap<String, Recipient> = BTreeMap::new();
        for f in &report.flows {
            let d = &f.flow.destination;
            let key = recipient_key(d);
            let r = cols.entry(key.clone()).or_insert_with(|| Recipient {
                key: key.clone(),
                name: if d.first_party {
                    "the app maker".to_string()
                } else {
                    d.organization_name.clone().unwrap_or_else(|| d.domain.clone())
                },
                hosts: Vec::new(),
                category: if d.first_party {
                    "first party".to_string()
                } else {
                    d.categories.first().cloned().unwrap_or_else(|| "other".to_string())
                },
                first_party: d.first_party,
                sdks: Vec::new(),
                unnamed: false,
            });
            if matches!(f.flow.source, FlowSource::Request { .. }) && !r.hosts.contains(&d.host) {
                r.hosts.push(d.host.clone());
            }
        }
        for r in cols.values_mut() {
            r.hosts.sort();
            let org = Some(r.key.as_str());
            r.sdks = report.sdks.iter().filter(|s| s.organization.as_deref() == org).map(|s| s.name.clone()).collect();
            r.sdks.dedup();
            r.unnamed = report
                .findings
                .iter()
                .any(|f| f.kind == FindingKind::UndisclosedRecipient && f.recipient.as_deref() == Some(r.key.as_str()));
        }
        let mut recipients: Vec<Recipient> = cols.into_values().collect();
        recipients.sort_by(|a, b| {
            b.first_party
                .cmp(&a.first_party)
                .then(a.category.cmp(&b.category))
                .then(a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                .then(a.key.cmp(&b.key))
        });
        let col_of: BTreeMap<&str, usize> = recipients.iter().enumerate().map(|(i, r)| (r.key.as_str(), i)).collect();

        // Cells keyed by (data type, column).
        let mut groups: BTreeMap<(String, usize), Vec<usize>> = BTreeMap::new();
        for (k, f) in report.flows.iter().enumerate() {
            let col = col_of[recipient_key(&f.flow.destination).as_str()];
            groups.entry((f.flow.data_type.clone(), col)).or_default().push(k);
        }
        // Rows: worst cell first, then by flows, then by name.
        let mut row_stats: BTreeMap<&str, (u8, usize)> = BTreeMap::new();
        for ((t, _), flows) in &groups {
            let worst = flows.iter().map(|&k| verdict_rank(report.flows[k].verdict)).max().unwrap_or(0);
            let e = row_stats.entry(t.as_str()).or_default();
            e.0 = e.0.max(worst);
            e.1 += flows.len();
        }
        let mut data_types: Vec<String> = row_stats.keys().map(|t| t.to_string()).collect();
        data_types.sort_by(|a, b| {
            let (sa, sb) = (row_stats[a.as_str()], row_stats[b.as_str()]);
            sb.0.cmp(&sa.0).then(sb.1.cmp(&sa.1)).then(a.cmp(b))
        });
        let row_of: BTreeMap<&str, usize> = data_types.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();

        let mut cells: Vec<Cell> = groups
            .into_iter()
            .map(|((t, col), mut flows)| {
                evidence_order(report, &mut flows);
                let mut requests = BTreeSet::new();
                let mut permissions = BTreeSet::new();
                let mut files = BTreeSet::new();
                let mut supporting = BTreeSet::new();
                let mut contradicting = BTreeSet::new();
                for &k in &flows {
                    let f = &report.flows[k];
                    let (file, request, permission) = flow_place(f);
                    files.insert(file);
                    requests.extend(request);
                    permissions.extend(permission);
                    supporting.extend(f.supporting.iter().copied());
                    contradicting.extend(f.contradicting.iter().copied());
                }
                let verdict = report.flows[flows[0]].verdict;
                Cell {
                    row: row_of[t.as_str()],
                    col,
                    verdict,
                    flows,
                    requests: requests.len(),
                    permissions: permissions.into_iter().collect(),
                    files: files.into_iter().collect(),
                    supporting: supporting.into_iter().collect(),
                    contradicting: contradicting.into_iter().collect(),
                    findings: Vec::new(),
                }
            })
            .collect();
        cells.sort_by_key(|c| (c.row, c.col));

        // Findings about a (data type, recipient) pair.
        let mut matrix = FlowMatrix { data_types, recipients, cells };
        let mut attach: Vec<(usize, usize, u8)> = Vec::new();
        for (n, f) in report.findings.iter().enumerate() {
            let (Some(v), Some(t), Some(r)) = (kind_verdict(f.kind), f.data_type.as_deref(), f.recipient.as_deref()) else {
                continue;
            };
            if let Some(c) = matrix.position(t, r) {
                attach.push((c, n, verdict_rank(v)));
            }
        }
        attach.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)).then(a.1.cmp(&b.1)));
        for (c, n, _) in attach {
            matrix.cells[c].findings.push(n);
        }
        matrix
    }

    /// The index in `cells` of the cell for (data type, recipient key).
    pub fn position(&self, data_type: &str, recipient: &str) -> Option<usize> {
        let row = self.data_types.iter().position(|t| t == data_type)?;
        let col = self.recipients.iter().position(|r| r.key == recipient)?;
        self.cells.binary_search_by_key(&(row, col), |c| (c.row, c.col)).ok()
    }

    /// The cell at (row, column), if any flow falls in it.
    pub fn cell(&self, row: usize, col: usize) -> Option<&Cell> {
        self.cells.binary_search_by_key(&(row, col), |c| (c.row, c.col)).ok().map(|i| &self.cells[i])
    }

    /// The cell a finding is about, if it is about a (data type, recipient) pair.
    pub fn cell_of_finding(&self, finding: usize) -> Option<&Cell> {
        self.cells.iter().find(|c| c.findings.contains(&finding))
    }

    /// The flows of a cell with the verdict of a finding kind, most telling first.
    pub fn flows_of(&self, report: &AppReport, cell: &Cell, kind: FindingKind) -> Vec<usize> {
        match kind_verdict(kind) {
            Some(v) => cell.flows.iter().copied().filter(|&k| report.flows[k].verdict == v).collect(),
            None => Vec::new(),
        }
    }

    /// Number of cells with each verdict.
    pub fn verdict_counts(&self) -> BTreeMap<Verdict, usize> {
        let mut counts = BTreeMap::new();
        for c in &self.cells {
            *counts.entry(c.verdict).or_insert(0) += 1;
        }
        counts
    }
}

/// Requests, permissions and files among a set of flows, as [`extent`] words.
pub fn extent_of(report: &AppReport, flows: &[usize]) -> String {
    let mut requests = BTreeSet::new();
    let mut permissions = BTreeSet::new();
    let mut files = BTreeSet::new();
    for &k in flows {
        let (file, request, permission) = flow_place(&report.flows[k]);
        files.insert(file);
        requests.extend(request);
        permissions.extend(permission);
    }
    extent(requests.len(), permissions.len(), files.len())
}

/// The evidence label of a flow (as compare builds it for findings).
pub fn flow_label(f: &ReportedFlow) -> crate::compare::Label {
    crate::compare::flow_label(&f.flow)
}

/// One piece of a finding's evidence, with the flow it shows when it shows one.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub label: crate::compare::Label,
    /// Index into the report's flows.
    pub flow: Option<usize>,
}

/// A finding's evidence, most telling first: for a flow finding, its
/// strongest policy sentence (a denial first), then every flow of its cell
/// with its verdict, then its other sentences; for other findings, its
/// labels as they are.
pub fn finding_evidence(report: &AppReport, matrix: &FlowMatrix, n: usize) -> Vec<Evidence> {
    use crate::compare::Label;
    let f = &report.findings[n];
    let plain = |l: &Label| Evidence { label: l.clone(), flow: None };
    let Some(cell) = matrix.cell_of_finding(n) else {
        return f.labels.iter().map(plain).collect();
    };
    let mut policy: Vec<&Label> = f.labels.iter().filter(|l| matches!(l, Label::Policy { .. })).collect();
    policy.sort_by_key(|l| match l {
        Label::Policy { note, .. } => !note.contains("denied"),
        _ => true,
    });
    let flows = matrix.flows_of(report, cell, f.kind);
    let mut out = Vec::with_capacity(policy.len() + flows.len());
    let mut rest = policy.into_iter();
    out.extend(rest.next().map(plain));
    out.extend(flows.iter().map(|&k| Evidence { label: flow_label(&report.flows[k]), flow: Some(k) }));
    out.extend(rest.map(plain));
    out
}

/// The one-letter code of a verdict in the terminal matrix.
pub fn verdict_letter(v: Verdict) -> char {
    match v {
        Verdict::Clear => 'C',
        Verdict::Vague => 'V',
        Verdict::Omitted => 'O',
        Verdict::Incorrect => 'X',
        Verdict::Ambiguous => 'A',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::{Destination, Flow};
    use crate::report::{ExtractorInfo, Inputs, Summary};

    /// A destination: first party, a known organization, or an unknown domain.
    fn dest(org: Option<(&str, &str)>, host: &str, first_party: bool) -> Destination {
        Destination {
            host: host.to_string(),
            domain: host.split('.').rev().take(2).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("."),
            organization: org.map(|o| o.0.to_string()),
            organization_name: org.map(|o| o.1.to_string()),
            categories: org.map(|o| vec![o.0.replace("ads", "advertising").replace("metrics", "analytics")]).unwrap_or_default(),
            first_party,
        }
    }

    /// A reported flow of a request (or of a permission when `entry` is None).
    fn flow(t: &str, d: &Destination, file: &str, entry: Option<usize>, matched: &str, verdict: Verdict) -> ReportedFlow {
        let source = match entry {
            Some(entry) => FlowSource::Request {
                method: "POST".into(),
                url: format!("https://{}/", d.host),
                location: "body:json:x".into(),
                matched: matched.into(),
                file: file.into(),
                entry,
            },
            None => FlowSource::Permission { permission: "android.permission.ACCESS_FINE_LOCATION".into(), file: file.into() },
        };
        ReportedFlow {
            flow: Flow { data_type: t.into(), destination: d.clone(), source, confidence: if matched == "key" { 0.6 } else { 1.0 } },
            verdict,
            supporting: vec![],
            contradicting: vec![],
        }
    }

    /// A report holding just these flows.
    fn report(flows: Vec<ReportedFlow>) -> AppReport {
        AppReport {
            schema: crate::report::SCHEMA,
            app: None,
            inputs: Inputs { policy: "p.md".into(), manifests: vec![], traffic: vec![], device: None },
            extractor: ExtractorInfo { name: "rules".into(), version: "1".into(), cached: false },
            summary: Summary {
                practices: 0,
                flows: flows.len(),
                verdicts: BTreeMap::new(),
                findings: BTreeMap::new(),
                contacted_hosts: 0,
            },
            practices: vec![],
            permissions: vec![],
            flows,
            findings: vec![],
            policy_text: None,
            sdks: vec![],
        }
    }

    #[test]
    fn cells_take_the_worst_verdict_and_count_requests_and_files() {
        let ads = dest(Some(("ads", "Ads Inc")), "t.ads.example", false);
        let ads2 = dest(Some(("ads", "Ads Inc")), "u.ads.example", false);
        let unknown = dest(None, "x.unknown.example", false);
        let me = dest(None, "api.app.example", true);
        let r = report(vec![
            flow("advertising_id", &ads, "a.har", Some(1), "key", Verdict::Omitted),
            flow("advertising_id", &ads2, "a.har", Some(2), "value:plain", Verdict::Incorrect),
            flow("advertising_id", &ads, "b.har", Some(1), "key", Verdict::Omitted),
            flow("advertising_id", &ads, "b.har", Some(1), "value:sha1", Verdict::Omitted),
            flow("precise_location", &me, "AndroidManifest.xml", None, "", Verdict::Clear),
            flow("ip_address", &unknown, "a.har", Some(3), "implicit:ip", Verdict::Ambiguous),
        ]);
        let m = FlowMatrix::build(&r);
        // Columns: the app maker first, then by category.
        let keys: Vec<&str> = m.recipients.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["first_party", "ads", "unknown.example"]);
        assert_eq!(m.recipients[1].hosts, ["t.ads.example", "u.ads.example"]);
        assert_eq!(m.recipients[2].category, "other");
        // Rows: the worst first.
        assert_eq!(m.data_types, ["advertising_id", "ip_address", "precise_location"]);
        assert_eq!(m.cells.len(), 3);
        let c = &m.cells[m.position("advertising_id", "ads").unwrap()];
        assert_eq!(c.verdict, Verdict::Incorrect);
        assert_eq!((c.requests, c.files.len()), (3, 2));
        assert_eq!(c.extent(), "3 requests in 2 files");
        // Most telling first: the worst verdict, then a value match before
        // a key, then a request not listed yet.
        assert_eq!(c.flows, [1, 3, 0, 2]);
        let r2 = report(vec![
            flow("advertising_id", &ads, "a.har", Some(1), "value:plain", Verdict::Omitted),
            flow("advertising_id", &ads, "a.har", Some(1), "value:md5", Verdict::Omitted),
            flow("advertising_id", &ads, "a.har", Some(2), "value:plain", Verdict::Omitted),
        ]);
        assert_eq!(FlowMatrix::build(&r2).cells[0].flows, [0, 2, 1]);
        let p = &m.cells[m.position("precise_location", "first_party").unwrap()];
        assert_eq!((p.verdict, p.extent().as_str()), (Verdict::Clear, "1 permission in 1 file"));
        assert_eq!(m.cells[m.position("ip_address", "unknown.example").unwrap()].verdict, Verdict::Ambiguous);
        assert!(m.position("ip_address", "ads").is_none());
    }

    #[test]
    fn verdict_rank_orders_incorrect_omitted_ambiguous_vague_clear() {
        let mut v = Verdict::ALL.to_vec();
        v.sort_by_key(|v| std::cmp::Reverse(verdict_rank(*v)));
        assert_eq!(v, WORST_FIRST);
    }

    #[test]
    fn terminal_matrix_is_capped_unless_verbose() {
        let mut flows = Vec::new();
        for r in 0..12 {
            let d = dest(Some((&format!("org{r}"), &format!("Org {r}"))), &format!("h.org{r}.example"), false);
            for t in 0..40 {
                flows.push(flow(&format!("type_{t:02}"), &d, "a.har", Some(t), "key", Verdict::Omitted));
            }
        }
        let r = report(flows);
        let short = crate::report::render_text(&r, false, false);
        assert!(short.contains("... and 10 more data types"), "{short}");
        assert!(short.contains("... and 4 more recipients"), "{short}");
        assert!(short.lines().count() < 40, "{short}");
        let long = crate::report::render_text(&r, false, true);
        assert!(long.lines().any(|l| l.trim_start().starts_with("type_39 ")), "{long}");
        assert!(!long.contains("more data types"));
    }
}
