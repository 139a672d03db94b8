//! Compare: PoliCheck-style, entity-sensitive flow-to-policy consistency.
//! For each observed flow (data type, recipient) it finds the declared
//! practices whose actor covers the recipient and whose data type equals or
//! subsumes the flow's, and gives the flow a [`Verdict`]. It also reports
//! dangerous permissions whose data the policy never mentions and
//! third-party organizations contacted that the policy never names.
//! Findings read like compiler diagnostics: a stable code, a severity, a
//! message, and labelled evidence.

use crate::extract::{Actor, Practice};
use crate::observe::{Destination, Flow, FlowSource, Observation};
use crate::ontology::Ontologies;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub mod cross_border;
pub mod sdk;

/// How well the policy discloses one flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A statement names this data type and this recipient exactly.
    Clear,
    /// Only broader terms cover it ("personal information", "third parties").
    Vague,
    /// Nothing in the policy covers it.
    Omitted,
    /// Only negative statements cover it ("we do not share your location").
    Incorrect,
    /// Both positive and negative statements cover it.
    Ambiguous,
}

impl Verdict {
    /// All verdicts, best first.
    pub const ALL: [Verdict; 5] = [Verdict::Clear, Verdict::Vague, Verdict::Omitted, Verdict::Incorrect, Verdict::Ambiguous];

    /// The lower-case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clear => "clear",
            Verdict::Vague => "vague",
            Verdict::Omitted => "omitted",
            Verdict::Incorrect => "incorrect",
            Verdict::Ambiguous => "ambiguous",
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// The kind of a finding; each has a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    OmittedFlow,
    IncorrectFlow,
    AmbiguousFlow,
    VagueFlow,
    UndisclosedPermission,
    UndisclosedRecipient,
    /// Data sent to a country outside the region the policy says it stays in.
    TransferContradicted,
    /// Data sent abroad; the policy never speaks of transfers abroad.
    UndisclosedTransfer,
    /// China app rules (MIIT), made by [`crate::rules`]: personal data sent
    /// before the user consented (认定方法 三.1).
    PreConsentCollection,
    /// The same data type sent to the same host more often than the limit (四.4).
    ExcessiveFrequency,
    /// A data type collected beyond the necessary information of the app's type (2021 规定).
    UnnecessaryData,
    /// The policy has no list of the personal information collected (二.1).
    NoCollectionList,
    /// A dangerous permission with no stated purpose in the policy (二.3).
    NoPermissionPurpose,
    /// The policy does not say how to withdraw consent (三.8).
    NoWithdrawal,
    /// The policy does not say how to delete personal information (六.1).
    NoDeletion,
    /// The policy does not say how to cancel (delete) the account (六.1).
    NoAccountCancellation,
    /// The policy gives no complaint or feedback channel (六.5).
    NoComplaintChannel,
    /// The policy promises no time to answer complaints and requests (六.3, 六.5).
    NoResponseTime,
    /// An SDK in the app or its traffic that the policy's SDK list omits.
    SdkNotListed,
    /// The app has SDKs and the policy has no SDK list (认定方法 二.1).
    SdkListMissing,
    /// Data an SDK was seen receiving that its list row does not name.
    SdkDataNotListed,
    /// A list row whose SDK was not found in the app's code.
    SdkListedNotFound,
}

impl FindingKind {
    /// All kinds, by code.
    pub const ALL: [FindingKind; 22] = [
        FindingKind::OmittedFlow,
        FindingKind::IncorrectFlow,
        FindingKind::AmbiguousFlow,
        FindingKind::VagueFlow,
        FindingKind::UndisclosedPermission,
        FindingKind::UndisclosedRecipient,
        FindingKind::TransferContradicted,
        FindingKind::UndisclosedTransfer,
        FindingKind::PreConsentCollection,
        FindingKind::ExcessiveFrequency,
        FindingKind::UnnecessaryData,
        FindingKind::NoCollectionList,
        FindingKind::NoPermissionPurpose,
        FindingKind::NoWithdrawal,
        FindingKind::NoDeletion,
        FindingKind::NoAccountCancellation,
        FindingKind::NoComplaintChannel,
        FindingKind::NoResponseTime,
        FindingKind::SdkNotListed,
        FindingKind::SdkListMissing,
        FindingKind::SdkDataNotListed,
        FindingKind::SdkListedNotFound,
    ];

    /// Whether this is a China app rule kind ([`crate::rules`]; `--fail-on
    /// miit`): its code starts with `MIIT-`.
    pub fn is_miit(self) -> bool {
        self.code().starts_with("MIIT-")
    }

    /// The China app rule kinds, by code.
    pub fn miit() -> impl Iterator<Item = FindingKind> {
        Self::ALL.into_iter().filter(|k| k.is_miit())
    }

    /// The stable code (`CND001` ...).
    pub fn code(self) -> &'static str {
        match self {
            FindingKind::OmittedFlow => "CND001",
            FindingKind::IncorrectFlow => "CND002",
            FindingKind::AmbiguousFlow => "CND003",
            FindingKind::VagueFlow => "CND004",
            FindingKind::UndisclosedPermission => "CND010",
            FindingKind::UndisclosedRecipient => "CND011",
            FindingKind::TransferContradicted => "CND020",
            FindingKind::UndisclosedTransfer => "CND021",
            FindingKind::PreConsentCollection => "MIIT-3.1-pre-consent",
            FindingKind::ExcessiveFrequency => "MIIT-4.4-frequency",
            FindingKind::UnnecessaryData => "MIIT-4.1-unnecessary",
            FindingKind::NoCollectionList => "MIIT-2.1-collection-list",
            FindingKind::NoPermissionPurpose => "MIIT-2.3-permission-purpose",
            FindingKind::NoWithdrawal => "MIIT-3.8-withdraw-consent",
            FindingKind::NoDeletion => "MIIT-6.1-delete-data",
            FindingKind::NoAccountCancellation => "MIIT-6.1-cancel-account",
            FindingKind::NoComplaintChannel => "MIIT-6.5-complaint-channel",
            FindingKind::NoResponseTime => "MIIT-6.5-response-time",
            FindingKind::SdkNotListed => "CND030",
            FindingKind::SdkListMissing => "CND031",
            FindingKind::SdkDataNotListed => "CND032",
            FindingKind::SdkListedNotFound => "CND033",
        }
    }

    /// The name used by `--fail-on`.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::OmittedFlow => "omitted",
            FindingKind::IncorrectFlow => "incorrect",
            FindingKind::AmbiguousFlow => "ambiguous",
            FindingKind::VagueFlow => "vague",
            FindingKind::UndisclosedPermission => "undisclosed-permission",
            FindingKind::UndisclosedRecipient => "undisclosed-recipient",
            FindingKind::TransferContradicted => "cross-border",
            FindingKind::UndisclosedTransfer => "undisclosed-transfer",
            FindingKind::PreConsentCollection => "pre-consent",
            FindingKind::ExcessiveFrequency => "frequency",
            FindingKind::UnnecessaryData => "unnecessary-data",
            FindingKind::NoCollectionList => "no-collection-list",
            FindingKind::NoPermissionPurpose => "no-permission-purpose",
            FindingKind::NoWithdrawal => "no-withdrawal",
            FindingKind::NoDeletion => "no-deletion",
            FindingKind::NoAccountCancellation => "no-account-cancellation",
            FindingKind::NoComplaintChannel => "no-complaint-channel",
            FindingKind::NoResponseTime => "no-response-time",
            FindingKind::SdkNotListed => "sdk-not-listed",
            FindingKind::SdkListMissing => "sdk-list-missing",
            FindingKind::SdkDataNotListed => "sdk-data-not-listed",
            FindingKind::SdkListedNotFound => "sdk-listed-not-found",
        }
    }

    /// Default severity.
    pub fn severity(self) -> Severity {
        match self {
            FindingKind::OmittedFlow | FindingKind::IncorrectFlow | FindingKind::TransferContradicted | FindingKind::PreConsentCollection => {
                Severity::Error
            }
            FindingKind::AmbiguousFlow
            | FindingKind::UndisclosedPermission
            | FindingKind::UndisclosedRecipient
            | FindingKind::UndisclosedTransfer
            | FindingKind::SdkNotListed
            | FindingKind::SdkListMissing
            | FindingKind::SdkDataNotListed
            | FindingKind::ExcessiveFrequency
            | FindingKind::NoCollectionList
            | FindingKind::NoPermissionPurpose
            | FindingKind::NoWithdrawal
            | FindingKind::NoDeletion
            | FindingKind::NoAccountCancellation
            | FindingKind::NoComplaintChannel
            | FindingKind::NoResponseTime => Severity::Warning,
            FindingKind::VagueFlow | FindingKind::UnnecessaryData | FindingKind::SdkListedNotFound => Severity::Note,
        }
    }

    /// Parse a `--fail-on` name or code.
    pub fn parse(s: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.name() == s || k.code().eq_ignore_ascii_case(s))
    }
}

/// A piece of evidence attached to a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Label {
    /// A policy sentence (byte offsets into the normalized policy text).
    Policy { start: usize, end: usize, text: String, note: String },
    /// A request in a traffic capture.
    Request { method: String, url: String, location: String, matched: String, file: String, entry: usize },
    /// A permission in a manifest.
    Permission { permission: String, file: String },
    /// Code in an app archive: an SDK's class in a DEX file or a component
    /// its manifest declares (`class com.igexin.sdk.PushManager`).
    Code { element: String, file: String },
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub kind: FindingKind,
    pub severity: Severity,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// Recipient: organization id, or host when the organization is unknown, or `first_party`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    pub labels: Vec<Label>,
}

/// One flow with its verdict and the practices behind it (indices into the
/// practice list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowVerdict {
    pub flow: Flow,
    pub verdict: Verdict,
    pub supporting: Vec<usize>,
    pub contradicting: Vec<usize>,
}

/// What the comparison found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub flows: Vec<FlowVerdict>,
    pub findings: Vec<Finding>,
}

impl Comparison {
    /// Number of flows with each verdict.
    pub fn verdict_counts(&self) -> BTreeMap<Verdict, usize> {
        let mut counts: BTreeMap<Verdict, usize> = Verdict::ALL.iter().map(|v| (*v, 0)).collect();
        for f in &self.flows {
            *counts.entry(f.verdict).or_default() += 1;
        }
        counts
    }

    /// Add findings of a later check (cross-border) and keep the order
    /// [`compare`] gives: severity, then code, then message.
    pub fn add_findings(&mut self, findings: Vec<Finding>) {
        self.findings.extend(findings);
        self.findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.code.cmp(&b.code)).then(a.message.cmp(&b.message)));
    }
}

/// What the policy declares, as the compare stage needs it.
#[derive(Debug, Clone, Default)]
pub struct Declared<'a> {
    pub practices: &'a [Practice],
    /// Organization ids the policy text names anywhere (for undisclosed recipients).
    pub mentioned_organizations: BTreeSet<String>,
    /// The policy defines personal information by a closed list
    /// ([`crate::extract::defines_personal_info`]): statements about
    /// personal information in general then cover only the data that
    /// identifies or describes the person.
    pub personal_info_defined: bool,
}

impl Declared<'_> {
    /// True when the policy names the organization: anywhere in its text,
    /// or as the actor of a practice.
    fn names(&self, organization: &str) -> bool {
        self.mentioned_organizations.contains(organization)
            || self.practices.iter().any(|p| matches!(&p.actor, Actor::Organization(o) if o == organization))
    }
}

/// How a practice's actor relates to a flow's recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    Exact,
    Broader,
}

/// Whether a practice's actor covers a flow's recipient, and how exactly.
/// A category covers an organization of a category it subsumes; but an
/// organization that is also an ad network, attribution company, data
/// broker or social network (`not_service_providers`) is covered by a
/// category that subsumes none of those ("service providers", "analytics
/// providers") only when the policy names it (`named`) or it also runs at
/// least two other kinds of service besides analytics.
fn actor_covers(actor: &Actor, dest: &Destination, ont: &Ontologies, named: bool) -> Option<Match> {
    if dest.first_party {
        return (*actor == Actor::FirstParty).then_some(Match::Exact);
    }
    match actor {
        Actor::FirstParty => None,
        Actor::ThirdParty => Some(Match::Broader),
        Actor::Organization(o) => (dest.organization.as_deref() == Some(o.as_str())).then_some(Match::Exact),
        Actor::Category(c) => {
            let excluded = &VerdictRules::shipped().not_service_providers;
            let dest_excluded: Vec<&String> = dest.categories.iter().filter(|dc| excluded.contains(dc)).collect();
            let speaks_of_them = dest_excluded.iter().any(|dc| ont.entities.category_subsumes(c, dc));
            // An organization that also runs several kinds of services (Google:
            // hosting, maps, crash reporting ...) is a service provider too.
            let services = dest.categories.iter().filter(|dc| !excluded.contains(dc) && dc.as_str() != "analytics").count();
            if !named && !dest_excluded.is_empty() && !speaks_of_them && services < 2 {
                return None;
            }
            dest.categories.iter().any(|dc| ont.entities.category_subsumes(c, dc)).then_some(Match::Broader)
        }
    }
}

/// The name a host of no known organization goes by: the first label of
/// its registrable domain ("lemonsqueezy" for api.lemonsqueezy.com), when it
/// is long enough to be read as a name rather than a word.
fn host_brand(dest: &Destination) -> Option<String> {
    if dest.first_party || dest.organization.is_some() || crate::observe::destination::is_ip_address(&dest.host) {
        return None;
    }
    let label = dest.domain.split('.').next()?.to_ascii_lowercase();
    (label.chars().count() >= 6 && label.chars().any(|c| c.is_alphabetic())).then_some(label)
}

/// Whether a text names a brand, spaces and punctuation aside ("Lemon
/// Squeezy", "LemonSqueezy" for `lemonsqueezy`).
fn names_brand(text: &str, brand: &str) -> bool {
    let squeezed: String = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    squeezed.contains(brand)
}

/// Whether one of the data types of `list` (a rule table's) equals or
/// subsumes `flow_type`.
fn listed(list: &[String], flow_type: &str, ont: &Ontologies) -> bool {
    list.iter().any(|t| data_covers(t, flow_type, ont).is_some())
}

fn data_covers(practice_type: &str, flow_type: &str, ont: &Ontologies) -> Option<Match> {
    if practice_type == flow_type {
        Some(Match::Exact)
    } else if ont.data_types.subsumes(practice_type, flow_type) {
        Some(Match::Broader)
    } else {
        None
    }
}

/// Whether a practice's action bears on a flow. A flow to the app maker
/// (a request to its servers, a permission that lets the app read the
/// data) is about what the app collects: "we collect", "we use" and "we
/// store" disclose it; only "we do not collect" denies it ("we do not use
/// it for advertising" or "we do not keep it" does not). A flow to a third
/// party is a transfer: sharing, selling or the third party's collecting
/// discloses it; only a denial of sharing or of the third party's
/// collecting denies it (a sale is not seen in traffic, so "we do not sell
/// your data" does not deny a transfer).
fn action_bears(p: &Practice, first_party_flow: bool) -> bool {
    use crate::extract::Action::*;
    match (first_party_flow, p.negated) {
        (true, false) => matches!(p.action, Collect | Use | Retain),
        (true, true) => p.action == Collect,
        (false, false) => matches!(p.action, Share | Sell | Collect),
        (false, true) => matches!(p.action, Share | Collect),
    }
}

/// The shipped verdict rules (`ontology/verdict_rules.json`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VerdictRules {
    pub generic: GenericCoverage,
    /// What a statement about non-personal data covers.
    #[serde(default)]
    pub non_personal: NonPersonalCoverage,
    /// Categories whose organizations a service-provider category covers
    /// only when the policy names them.
    #[serde(default)]
    pub not_service_providers: Vec<String>,
    pub permission_denial_words: Vec<String>,
    /// Words by which a denial says the app does not collect: such a
    /// denial covers what the app's own SDKs send out.
    #[serde(default)]
    pub collect_words: Vec<String>,
    /// Words by which a statement speaks of the access itself.
    #[serde(default)]
    pub permission_access_words: Vec<String>,
    /// Entity category -> data types a reader expects such a service to get
    /// (`*`: every service); see [`expected_of`].
    #[serde(default)]
    pub expected_data: BTreeMap<String, Vec<String>>,
}

/// Whether the flow's data is what a reader expects its recipient to get,
/// by the recipient's categories (`expected_data` in
/// `ontology/verdict_rules.json`): "we use AdMob" discloses, broadly, an
/// advertising ID sent to AdMob, not an e-mail address sent to a chat
/// assistant named as a feature.
fn expected_of(flow: &Flow, ont: &Ontologies) -> bool {
    let rules = VerdictRules::shipped();
    std::iter::once("*")
        .chain(flow.destination.categories.iter().map(String::as_str))
        .filter_map(|c| rules.expected_data.get(c))
        .any(|types| listed(types, &flow.data_type, ont))
}

/// What a statement about data the policy calls non-personal covers.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NonPersonalCoverage {
    pub data_type: String,
    pub covers: Vec<String>,
}

/// What a statement about personal information in general covers.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GenericCoverage {
    pub data_type: String,
    pub covers: Vec<String>,
    /// Covered too where the policy does not define personal information.
    #[serde(default)]
    pub covers_when_undefined: Vec<String>,
    /// What a denial about personal information in general covers where
    /// the policy does not define it (narrower than what an affirmative
    /// statement discloses broadly).
    #[serde(default)]
    pub denial_covers_when_undefined: Vec<String>,
    /// Names of personal information in its narrow sense (personally
    /// identifiable information): a denial by such a name covers only `covers`.
    #[serde(default)]
    pub narrow_phrases: Vec<String>,
}

/// The rules as JSON.
pub const VERDICT_RULES_JSON: &str = include_str!("../../ontology/verdict_rules.json");

impl VerdictRules {
    /// The rules compiled into the binary (checked by a test).
    pub fn shipped() -> &'static VerdictRules {
        use std::sync::OnceLock;
        static CELL: OnceLock<VerdictRules> = OnceLock::new();
        CELL.get_or_init(|| serde_json::from_str(VERDICT_RULES_JSON).unwrap_or_default())
    }
}

/// Whether a statement about personal information in general covers the
/// flow's data type: the data that identifies or describes the person,
/// and where the policy does not define personal information by a closed
/// list also technical data about the user and the device, never what is
/// on the device (`ontology/verdict_rules.json`); other statements cover
/// what their type subsumes.
fn generic_covers(p: &Practice, flow: &Flow, ont: &Ontologies, defined: bool) -> bool {
    let g = &VerdictRules::shipped().generic;
    let under = |list: &[String]| listed(list, &flow.data_type, ont);
    if p.data_type != g.data_type || under(&g.covers) {
        return true;
    }
    if defined {
        return false;
    }
    if !p.negated {
        return under(&g.covers_when_undefined);
    }
    // A denial is read in the ordinary sense of its words: "personal
    // information" reaches identifiers and location, not usage events or
    // crash reports; "personally identifiable information" reaches neither;
    // one that names no kind of data ("we do not share any data collected")
    // reaches all of it.
    let Some(phrase) = p.data_phrase.as_ref().map(|e| e.text.to_lowercase()) else {
        return under(&g.covers_when_undefined);
    };
    if g.narrow_phrases.iter().any(|w| phrase.contains(w.as_str())) {
        return false;
    }
    under(&g.denial_covers_when_undefined)
}

/// What a statement about data the policy calls non-personal ("we share
/// aggregated, non-personally identifiable information with partners")
/// covers: technical data about the device and its use, broadly
/// (`non_personal` in `ontology/verdict_rules.json`), never a name or an
/// e-mail address.
fn non_personal_covers(p: &Practice, flow: &Flow, ont: &Ontologies) -> Option<Match> {
    let rules = &VerdictRules::shipped().non_personal;
    (p.data_type == rules.data_type && listed(&rules.covers, &flow.data_type, ont)).then_some(Match::Broader)
}

/// Whether a denial bears on a flow beyond actor, action and data type: a
/// permission flow (the app reading data on the device) is contradicted
/// only by a denial of access.
fn denial_bears(p: &Practice, flow: &Flow) -> bool {
    !flow.is_device_access() || says_any(p, &VerdictRules::shipped().permission_denial_words)
}

/// Whether a statement's sentence holds one of `words` (lower case).
fn says_any(p: &Practice, words: &[String]) -> bool {
    let lower = p.evidence.text.to_lowercase();
    words.iter().any(|w| lower.contains(w.as_str()))
}

/// How specifically a practice speaks of a flow: its actor (an
/// organization 3, a category 2, third parties or the app maker 1) plus its
/// data type (the flow's own 2, a broader one 1, personal information in
/// general 0), plus 1 for collecting when the flow goes to the app maker.
fn specificity(p: &Practice, flow: &Flow) -> u8 {
    let actor = match p.actor {
        Actor::Organization(_) => 3,
        Actor::Category(_) => 2,
        Actor::ThirdParty | Actor::FirstParty => 1,
    };
    let data = if p.data_type == flow.data_type {
        2
    } else if p.data_type == VerdictRules::shipped().generic.data_type {
        0
    } else {
        1
    };
    // What the app maker collects is said by "we collect" more directly
    // than by "we use" or "we keep your data".
    let act = u8::from(flow.destination.first_party && p.action == crate::extract::Action::Collect);
    // For a permission flow, a statement that speaks of the access itself
    // ("location permission", "we access your contacts") says more than
    // one about collecting onto servers ("we do not collect your location").
    let access = u8::from(flow.is_device_access() && says_any(p, &VerdictRules::shipped().permission_access_words));
    actor + data + act + access
}



/// The verdict of one flow and the practices behind it. `named` is true
/// when the policy names the flow's recipient organization anywhere: a
/// flow to a named recipient that no statement denies is disclosed, if
/// only broadly (vague), never omitted; this is also what keeps the
/// implicit flows (`matched: implicit:*`) of a named service from being
/// errors.
pub fn judge_flow(flow: &Flow, practices: &[Practice], ont: &Ontologies, named: bool, personal_info_defined: bool) -> FlowVerdict {
    let mut supporting = Vec::new();
    let mut contradicting = Vec::new();
    let mut exact = false;
    let first_party_flow = flow.destination.first_party;
    // A host of no known organization is named by its brand in a sentence
    // ("We use Lemon Squeezy to process subscriptions").
    let brand = host_brand(&flow.destination);
    for (i, p) in practices.iter().enumerate() {
        // A clause about children's data only says nothing of the app's
        // users in general ("We do not knowingly collect personal
        // information from children under 13" must not contradict a flow).
        // A negation that restricts a recipient or is conditional denies nothing.
        if p.audience.is_some() || p.scope.is_some() || !action_bears(p, first_party_flow) || !generic_covers(p, flow, ont, personal_info_defined) {
            continue;
        }
        // "We may disclose it if required by law" or "in a merger" does
        // not disclose a routine transfer to a third party.
        if !first_party_flow && !p.negated && p.condition.as_deref().is_some_and(|c| c != "consent") {
            continue;
        }
        // "We may disclose your information for any other purpose with
        // your consent" names no one: it asks for consent later rather
        // than disclosing a transfer ("with your consent, we share it with
        // advertising partners" still discloses one).
        if !first_party_flow && !p.negated && p.condition.as_deref() == Some("consent") && p.actor == Actor::ThirdParty {
            continue;
        }
        // "We collect email addresses through our sales platform, Lemonsqueezy"
        // says the platform gets them, whoever the sentence's subject is.
        let by_brand = brand.as_deref().is_some_and(|b| names_brand(&p.evidence.text, b));
        // "We do not collect any personal information" denies what the
        // app's own SDKs send out too: the app collects it on their behalf.
        let own_sdks = !first_party_flow
            && p.negated
            && p.actor == Actor::FirstParty
            && p.action == crate::extract::Action::Collect
            && says_any(p, &VerdictRules::shipped().collect_words);
        let actor = if by_brand {
            Some(Match::Exact)
        } else if own_sdks {
            Some(Match::Broader)
        } else {
            actor_covers(&p.actor, &flow.destination, ont, named)
        };
        let data = data_covers(&p.data_type, &flow.data_type, ont).or_else(|| non_personal_covers(p, flow, ont));
        let (Some(a), Some(d)) = (actor, data) else {
            continue;
        };
        if p.negated {
            // "We only share it with X" does not deny what goes to X.
            // The allowed recipients are read strictly: "only with vendors
            // working on our behalf" does not allow an ad network or a
            // social network, even one the policy names elsewhere.
            if p.except.iter().any(|e| actor_covers(e, &flow.destination, ont, false).is_some()) || !denial_bears(p, flow) {
                continue;
            }
            contradicting.push(i);
        } else {
            supporting.push(i);
            // "Advertising partners collect your advertising ID" in a
            // policy that names this partner among its advertisers states
            // the data and the recipient exactly.
            let named_category = named && matches!(p.actor, Actor::Category(_));
            // A permission is read at the grain the app asks for it: "we use
            // your location" states what the location permission gives
            // (precise_location is location's direct child).
            let permission_grain = flow.is_device_access()
                && d == Match::Broader
                && p.data_type != VerdictRules::shipped().generic.data_type
                && ont.data_types.depth(&flow.data_type) == ont.data_types.depth(&p.data_type) + 1;
            exact |= (a == Match::Exact || named_category) && (d == Match::Exact || permission_grain);
        }
    }
    // Where both kinds of statement cover the flow, the more specific one
    // decides ("third-party services may collect information about you"
    // against "we do not pass personally identifiable information to ad
    // networks"): only statements equally specific leave it ambiguous.
    if !supporting.is_empty() && !contradicting.is_empty() {
        let best = |ix: &[usize]| ix.iter().map(|&i| specificity(&practices[i], flow)).max().unwrap_or(0);
        let (s, c) = (best(&supporting), best(&contradicting));
        if s > c {
            contradicting.clear();
        } else if c > s {
            supporting.clear();
        }
    }
    let verdict = match (supporting.is_empty(), contradicting.is_empty()) {
        // A recipient the policy names ("Link to the privacy policies of the
        // third-party services the app uses: AdMob, Firebase ...") is
        // disclosed as one, if only broadly as to what it receives.
        (true, true) if named && !first_party_flow && expected_of(flow, ont) => Verdict::Vague,
        (true, true) => Verdict::Omitted,
        (true, false) => Verdict::Incorrect,
        (false, false) => Verdict::Ambiguous,
        (false, true) if exact => Verdict::Clear,
        (false, true) => Verdict::Vague,
    };
    FlowVerdict { flow: flow.clone(), verdict, supporting, contradicting }
}

/// A human name for a recipient.
pub fn recipient_name(dest: &Destination) -> String {
    if dest.first_party {
        format!("the app maker ({})", dest.host)
    } else {
        match &dest.organization_name {
            Some(n) => format!("{n} ({})", dest.host),
            None => dest.host.clone(),
        }
    }
}

/// A stable key for a recipient: `first_party`, an organization id or the domain.
pub fn recipient_key(dest: &Destination) -> String {
    if dest.first_party {
        "first_party".to_string()
    } else {
        dest.organization.clone().unwrap_or_else(|| dest.domain.clone())
    }
}

/// The evidence label of a flow: its permission or its request.
pub fn flow_label(flow: &Flow) -> Label {
    match &flow.source {
        FlowSource::Permission { permission, file } => Label::Permission { permission: permission.clone(), file: file.clone() },
        FlowSource::UsageDescription { key, file, .. } => Label::Permission { permission: key.clone(), file: file.clone() },
        FlowSource::Request { method, url, location, matched, file, entry } => Label::Request {
            method: method.clone(),
            url: url.clone(),
            location: location.clone(),
            matched: matched.clone(),
            file: file.clone(),
            entry: *entry,
        },
    }
}

fn policy_label(p: &Practice, note: &str) -> Label {
    Label::Policy { start: p.evidence.start, end: p.evidence.end, text: p.evidence.text.clone(), note: note.to_string() }
}

/// Most evidence labels of one kind a finding carries.
pub(crate) const MAX_LABELS: usize = 5;

/// Compare what the policy declares with what the app was seen to do.
pub fn compare(declared: &Declared, observed: &Observation, ont: &Ontologies) -> Comparison {
    let practices = declared.practices;
    let named = |f: &Flow| {
        f.destination.organization.as_ref().is_some_and(|o| declared.names(o))
            || host_brand(&f.destination).is_some_and(|b| practices.iter().any(|p| names_brand(&p.evidence.text, &b)))
    };
    let flows: Vec<FlowVerdict> = observed.flows.iter().map(|f| judge_flow(f, practices, ont, named(f), declared.personal_info_defined)).collect();
    let mut findings = Vec::new();

    // One finding per (verdict, data type, recipient), with up to MAX_LABELS flows as evidence.
    let mut groups: BTreeMap<(Verdict, String, String), Vec<&FlowVerdict>> = BTreeMap::new();
    for fv in &flows {
        if fv.verdict != Verdict::Clear {
            groups
                .entry((fv.verdict, fv.flow.data_type.clone(), recipient_key(&fv.flow.destination)))
                .or_default()
                .push(fv);
        }
    }
    for ((verdict, data_type, recipient), members) in groups {
        let first = members[0];
        let who = recipient_name(&first.flow.destination);
        let via = if first.flow.destination.first_party { "accessed by" } else { "sent to" };
        let (kind, message) = match verdict {
            Verdict::Omitted => (FindingKind::OmittedFlow, format!("{data_type} {via} {who}, but the policy does not disclose it")),
            Verdict::Incorrect => (FindingKind::IncorrectFlow, format!("{data_type} {via} {who}, but the policy says it is not")),
            Verdict::Ambiguous => (
                FindingKind::AmbiguousFlow,
                format!("{data_type} {via} {who}; the policy both discloses and denies it"),
            ),
            Verdict::Vague => (FindingKind::VagueFlow, format!("{data_type} {via} {who} is disclosed only in broader terms")),
            Verdict::Clear => continue,
        };
        let mut labels: Vec<Label> = members.iter().take(MAX_LABELS).map(|fv| flow_label(&fv.flow)).collect();
        let mut seen = BTreeSet::new();
        for &i in first.contradicting.iter().chain(&first.supporting) {
            let p = &practices[i];
            if labels.len() >= 2 * MAX_LABELS || !seen.insert((p.evidence.start, p.evidence.end)) {
                continue;
            }
            let note = if p.negated { "denied here" } else { "disclosed here in broader terms" };
            labels.push(policy_label(p, note));
        }
        findings.push(Finding {
            code: kind.code().to_string(),
            kind,
            severity: kind.severity(),
            message,
            data_type: Some(data_type),
            recipient: Some(recipient),
            labels,
        });
    }

    // Dangerous permissions whose data types the policy never mentions.
    for perm in observed.permissions.iter().filter(|p| p.dangerous && !p.data_types.is_empty()) {
        let mentioned = perm.data_types.iter().any(|t| {
            practices.iter().any(|p| ont.data_types.subsumes(&p.data_type, t) || ont.data_types.subsumes(t, &p.data_type))
        });
        if !mentioned {
            let kind = FindingKind::UndisclosedPermission;
            findings.push(Finding {
                code: kind.code().to_string(),
                kind,
                severity: kind.severity(),
                message: format!(
                    "the app requests {} ({}), which the policy never mentions",
                    perm.name,
                    perm.data_types.join(", ")
                ),
                data_type: perm.data_types.first().cloned(),
                recipient: Some("first_party".to_string()),
                labels: vec![Label::Permission { permission: perm.name.clone(), file: perm.file.clone() }],
            });
        }
    }

    // Third-party organizations contacted that the policy never names.
    let mut contacted: BTreeMap<String, Vec<&crate::observe::Contact>> = BTreeMap::new();
    for c in &observed.contacts {
        if let (false, Some(org)) = (c.destination.first_party, &c.destination.organization) {
            contacted.entry(org.clone()).or_default().push(c);
        }
    }
    for (org, contacts) in contacted {
        let named = declared.names(&org);
        if named {
            continue;
        }
        let kind = FindingKind::UndisclosedRecipient;
        let dest = &contacts[0].destination;
        findings.push(Finding {
            code: kind.code().to_string(),
            kind,
            severity: kind.severity(),
            message: format!(
                "the app contacts {} ({} request{}), which the policy never names",
                dest.organization_name.as_deref().unwrap_or(&org),
                contacts.len(),
                if contacts.len() == 1 { "" } else { "s" }
            ),
            data_type: None,
            recipient: Some(org),
            labels: contacts
                .iter()
                .take(MAX_LABELS)
                .map(|c| Label::Request {
                    method: c.method.clone(),
                    url: c.url.clone(),
                    location: String::new(),
                    matched: "contact".to_string(),
                    file: c.file.clone(),
                    entry: c.entry,
                })
                .collect(),
        });
    }
    findings.extend(sdk::sdk_findings(declared, observed, ont));
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.code.cmp(&b.code)).then(a.message.cmp(&b.message)));
    Comparison { flows, findings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_rules_parse_and_name_known_ids() {
        let rules: VerdictRules = serde_json::from_str(VERDICT_RULES_JSON).expect("ontology/verdict_rules.json parses");
        let ont = crate::ontology::shipped().expect("ontologies load");
        assert!(ont.data_types.contains(&rules.generic.data_type));
        assert!(ont.data_types.contains(&rules.non_personal.data_type));
        let g = &rules.generic;
        for t in g.covers.iter().chain(&g.covers_when_undefined).chain(&g.denial_covers_when_undefined).chain(&rules.non_personal.covers) {
            assert!(ont.data_types.contains(t), "unknown data type {t}");
        }
        for c in &rules.not_service_providers {
            assert!(ont.entities.category_subsumes("third_party", c), "unknown category {c}");
        }
        assert!(!rules.permission_denial_words.is_empty());
        assert!(rules.expected_data.contains_key("*"));
        for (c, types) in &rules.expected_data {
            assert!(c == "*" || ont.entities.category(c).is_some(), "unknown category {c}");
            for t in types {
                assert!(ont.data_types.contains(t), "unknown data type {t}");
            }
        }
    }
}
