//! Command-line interface: argument parsing and subcommand dispatch.
//! Exit codes: 0 nothing at or above `--fail-on`, 1 findings, 2 bad usage or
//! unreadable input.

use crate::compare::{compare, Declared, FindingKind};
use crate::extract::model::{locate_model_dir, ModelExtractor};
use crate::extract::rules::RuleExtractor;
use crate::extract::{mentioned_organizations, Extractor};
use crate::observe::{observe, ObserveInputs};
use crate::ontology::Ontologies;
use crate::report::{AppReport, ExtractorInfo, Inputs};
use crate::store::{default_cache_dir, extract_cached, PracticeCache};
use crate::{Error, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "candor", version, about = "Checks whether an app does what its privacy policy says")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compare one app's policy with its manifest and traffic.
    Check(CheckArgs),
    /// List the practices a policy declares.
    Extract(ExtractArgs),
    /// Print what was observed in manifests and traffic, without a policy.
    Observe(ObserveArgs),
    /// Print the shipped ontologies.
    Ontology {
        #[command(subcommand)]
        which: OntologyCmd,
    },
    /// Bulk-compare a catalog of apps (cached and resumable).
    Catalog {
        #[command(subcommand)]
        cmd: crate::catalog::cli::CatalogCmd,
    },
    /// Train the extractor model (needs the corpora and the base model).
    Train(crate::train::cli::TrainArgs),
    /// Score the model and the rule baseline on held-out sentences.
    Eval(crate::train::cli::EvalArgs),
    /// Measure extraction speed and memory on the shipped policies.
    Bench(crate::train::cli::BenchArgs),
    /// Choose the decision thresholds on validation sentences (negation on hand-adjudicated labels).
    Tune(crate::train::cli::TuneArgs),
}

#[derive(Subcommand)]
enum OntologyCmd {
    /// The data-type tree.
    DataTypes {
        #[arg(long, value_enum, default_value = "json")]
        format: ListFormat,
    },
    /// Entity categories and organizations.
    Entities {
        #[arg(long, value_enum, default_value = "json")]
        format: ListFormat,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ListFormat {
    Json,
    Text,
}

/// Output formats of `check`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
    Md,
    /// A self-contained HTML page (policy text with evidence highlighted).
    Html,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

/// Which extractor to use.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExtractorChoice {
    Model,
    Rules,
}

/// Whether the China app rule checks run.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum MiitChoice {
    /// On for a policy written mostly in Chinese, or with --app-type or --frequency-limit.
    Auto,
    On,
    Off,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Extractor options shared by `check`, `extract` and `catalog run`.
#[derive(clap::Args)]
pub struct ExtractorArgs {
    /// Extractor: the NLP model (default) or the rule baseline.
    #[arg(long, value_enum, default_value = "model")]
    pub extractor: ExtractorChoice,
    /// Model folder (default: models/candor-minilm).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Cache folder for extracted practices (default: the platform cache dir;
    /// for `catalog run`, the store folder).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Do not read or write the cache.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// An app folder holding the policy, manifest(s), HAR file(s) and device.json.
    dir: Option<PathBuf>,
    /// The privacy policy (HTML, Markdown or text).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// AndroidManifest.xml (repeatable).
    #[arg(long)]
    manifest: Vec<PathBuf>,
    /// HAR traffic capture (repeatable).
    #[arg(long)]
    traffic: Vec<PathBuf>,
    /// Android app archive: .apk, .xapk or .aab (repeatable).
    #[arg(long)]
    apk: Vec<PathBuf>,
    /// iOS app archive (.ipa), or a loose Info.plist / PrivacyInfo.xcprivacy (repeatable).
    #[arg(long)]
    ipa: Vec<PathBuf>,
    /// Packet capture: .pcap or .pcapng; DNS queries and TLS server names (repeatable).
    #[arg(long)]
    pcap: Vec<PathBuf>,
    /// Device profile: JSON of known identifier values keyed by data type.
    #[arg(long)]
    device: Option<PathBuf>,
    /// A domain that belongs to the app maker (repeatable).
    #[arg(long = "first-party-domain")]
    first_party_domain: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Ignore observed flows below this confidence (1.0 = value matches and
    /// permissions only; key-name guesses are 0.6).
    #[arg(long, default_value_t = 0.0)]
    min_confidence: f32,
    /// Finding kinds that make the exit code 1 (comma-separated): omitted,
    /// incorrect, ambiguous, vague, undisclosed-permission, undisclosed-recipient,
    /// cross-border, undisclosed-transfer, sdk-not-listed, sdk-list-missing,
    /// sdk-data-not-listed, sdk-listed-not-found, the China app rule kinds (pre-consent, frequency, unnecessary-data,
    /// no-collection-list, no-permission-purpose, no-withdrawal, no-deletion,
    /// no-account-cancellation, no-complaint-channel, no-response-time; or a
    /// code such as MIIT-3.1-pre-consent), miit (all of those), all, none.
    #[arg(long, default_value = "omitted,incorrect,cross-border,pre-consent")]
    fail_on: String,
    /// The app maker's home region when the policy states none: EU, EEA, CN,
    /// US or a two-letter country code. Flows to servers registered outside it
    /// are transfers abroad.
    #[arg(long)]
    home_region: Option<String>,
    /// An IP-to-country table (built by build_geo) to use instead of the shipped one.
    #[arg(long)]
    geo_table: Option<PathBuf>,
    /// Traffic captured from the app's first launch until the user accepted
    /// the policy (HAR, repeatable; in an app folder: pre-consent*.har): every
    /// personal-data flow in it is a MIIT-3.1-pre-consent error.
    #[arg(long = "pre-consent")]
    pre_consent: Vec<PathBuf>,
    /// When the user accepted the policy (RFC 3339, e.g.
    /// 2024-05-01T10:00:00+08:00): requests of any capture that started
    /// earlier (HAR startedDateTime) count as before consent.
    #[arg(long = "consent-at")]
    consent_at: Option<String>,
    /// The app's type among the 39 of the 2021 necessary-information
    /// provisions (id such as map-navigation, number 1-39, or Chinese name such
    /// as 地图导航类): data collected beyond its necessary information is a
    /// MIIT-4.1-unnecessary note.
    #[arg(long = "app-type")]
    app_type: Option<String>,
    /// A collection-frequency limit, TYPE=N/WINDOW (e.g. location=3/10m:
    /// more than 3 requests carrying location to one host within 10 minutes
    /// is a MIIT-4.4-frequency warning); replaces the default of that data
    /// type (repeatable).
    #[arg(long = "frequency-limit")]
    frequency_limit: Vec<String>,
    /// China app rule checks (policy text, frequency, necessity): auto (on
    /// for a Chinese policy), on, off. The pre-consent check runs whenever
    /// pre-consent traffic is given.
    #[arg(long, value_enum, default_value = "auto")]
    miit: MiitChoice,
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Terminal output: every finding with all its evidence, instead of
    /// findings grouped per recipient with two lines of evidence each.
    #[arg(long)]
    verbose: bool,
    #[command(flatten)]
    extractor: ExtractorArgs,
}

#[derive(clap::Args)]
struct ExtractArgs {
    /// The privacy policy.
    policy: PathBuf,
    #[arg(long, value_enum, default_value = "json")]
    format: ListFormat,
    /// Print the model's label probabilities for every sentence instead of practices.
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    extractor: ExtractorArgs,
}

#[derive(clap::Args)]
struct ObserveArgs {
    /// Manifests (.xml), traffic captures (.har), app archives (.apk, .xapk, .aab,
    /// .ipa), iOS property lists (.plist, .xcprivacy), packet captures (.pcap, .pcapng).
    files: Vec<PathBuf>,
    #[arg(long)]
    device: Option<PathBuf>,
    #[arg(long = "first-party-domain")]
    first_party_domain: Vec<String>,
    #[arg(long, value_enum, default_value = "json")]
    format: ListFormat,
    /// An IP-to-country table (built by build_geo) to use instead of the shipped one.
    #[arg(long)]
    geo_table: Option<PathBuf>,
}

/// Parse the command line and run; returns the exit code.
pub fn run() -> Result<u8> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(code);
        }
    };
    match cli.command {
        Command::Check(a) => check(a),
        Command::Extract(a) => extract(a),
        Command::Observe(a) => observe_cmd(a),
        Command::Ontology { which } => ontology_cmd(which),
        Command::Catalog { cmd } => crate::catalog::cli::run(cmd),
        Command::Train(a) => crate::train::cli::train(a),
        Command::Eval(a) => crate::train::cli::eval(a),
        Command::Bench(a) => crate::train::cli::bench(a),
        Command::Tune(a) => crate::train::cli::tune(a),
    }
}

/// Write `text` to `out` (a file) or standard output.
pub(crate) fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::input(path, crate::error::describe_io(&e))),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).map_err(crate::error::stdout_error)
        }
    }
}

/// Build the chosen extractor.
pub fn make_extractor(choice: ExtractorChoice, model: Option<&Path>, ont: &'static Ontologies) -> Result<Box<dyn Extractor>> {
    match choice {
        ExtractorChoice::Rules => Ok(Box::new(RuleExtractor::new(ont))),
        ExtractorChoice::Model => {
            let dir = match model {
                Some(d) => d.to_path_buf(),
                None => locate_model_dir().ok_or_else(|| {
                    Error::Model("no model found in models/candor-minilm (set --model or CANDOR_MODEL_DIR, or use --extractor rules)".into())
                })?,
            };
            Ok(Box::new(ModelExtractor::load(&dir, ont)?))
        }
    }
}

/// Open the practice cache unless disabled; a cache that cannot be opened
/// is reported and skipped, never fatal.
fn open_cache(args: &ExtractorArgs) -> Option<PracticeCache> {
    if args.no_cache {
        return None;
    }
    let dir = args.cache.clone().unwrap_or_else(default_cache_dir);
    match PracticeCache::open(&dir) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("candor: warning: cache disabled: {e}");
            None
        }
    }
}

/// Parse `--fail-on` (shared by `check` and `catalog run`).
pub(crate) fn parse_fail_on(s: &str) -> Result<Vec<FindingKind>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "none" => {}
            "all" => out.extend(FindingKind::ALL),
            "miit" => out.extend(FindingKind::miit()),
            _ => out.push(FindingKind::parse(part).ok_or_else(|| {
                let names: Vec<&str> = FindingKind::ALL.iter().map(|k| k.name()).collect();
                Error::Usage(format!("--fail-on: unknown finding kind {part:?} (use {}, miit, all or none)", names.join(", ")))
            })?),
        }
    }
    Ok(out)
}

/// Parse `--home-region` (EU, EEA, CN, US, a country code).
fn parse_home_region(s: Option<&str>) -> Result<Option<String>> {
    let Some(s) = s else { return Ok(None) };
    let cues = crate::extract::region::RegionCues::shipped()?;
    cues.parse_region(s)
        .map(Some)
        .ok_or_else(|| Error::Usage(format!("--home-region: {s:?} is not a region (use EU, EEA, CN, US or a two-letter country code)")))
}

/// The files of an app folder: policy, manifests, traffic, device profile.
#[derive(Debug, Default, PartialEq)]
pub struct AppFiles {
    pub policy: Option<PathBuf>,
    pub manifests: Vec<PathBuf>,
    pub traffic: Vec<PathBuf>,
    pub device: Option<PathBuf>,
    /// `*.apk`, `*.xapk`, `*.aab`.
    pub apks: Vec<PathBuf>,
    /// `*.ipa`.
    pub ipas: Vec<PathBuf>,
    /// `Info.plist`, `*.xcprivacy`.
    pub plists: Vec<PathBuf>,
    /// `*.pcap`, `*.pcapng`.
    pub pcaps: Vec<PathBuf>,
    /// Captures made before the user consented (`pre-consent*.har`); also in `traffic`.
    pub pre_consent: Vec<PathBuf>,
}

/// Find an app's files in a folder (not recursive): a policy named like
/// `privacy*`/`policy*` (.md, .html, .htm, .txt), `*AndroidManifest*.xml`,
/// `*.har` (those named `pre-consent*.har` also count as captured before
/// consent), and `device.json`.
pub fn find_app_files(dir: &Path) -> Result<AppFiles> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::input(dir, crate::error::describe_io(&e)))?;
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
    names.sort();
    let mut files = AppFiles::default();
    for p in names {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if (name.contains("privacy") || name.starts_with("policy")) && matches!(ext.as_str(), "md" | "html" | "htm" | "txt") {
            if files.policy.is_none() {
                files.policy = Some(p);
            }
        } else if name.contains("androidmanifest") && ext == "xml" {
            files.manifests.push(p);
        } else if ext == "har" {
            if is_pre_consent_name(&name) {
                files.pre_consent.push(p.clone());
            }
            files.traffic.push(p);
        } else if matches!(ext.as_str(), "apk" | "xapk" | "aab") {
            files.apks.push(p);
        } else if ext == "ipa" {
            files.ipas.push(p);
        } else if name == "info.plist" || ext == "xcprivacy" {
            files.plists.push(p);
        } else if matches!(ext.as_str(), "pcap" | "pcapng") {
            files.pcaps.push(p);
        } else if name == "device.json" {
            files.device = Some(p);
        }
    }
    Ok(files)
}

/// Whether a capture's file name says it was made before consent
/// (`pre-consent*`, `pre_consent*`, `preconsent*`, any case).
pub fn is_pre_consent_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["pre-consent", "pre_consent", "preconsent"].iter().any(|p| name.starts_with(p))
}

/// The rules stage's options from `check`'s flags.
fn rule_options(a: &CheckArgs, files: &AppFiles, ont: &Ontologies) -> Result<crate::rules::RuleOptions> {
    use crate::rules::{ConsentSplit, FrequencyLimit, MiitMode, RuleOptions};
    let at_ms = match &a.consent_at {
        Some(t) => Some(crate::observe::timestamp::parse_rfc3339(t).ok_or_else(|| {
            Error::Usage(format!("--consent-at {t:?}: not an RFC 3339 date-time (e.g. 2024-05-01T10:00:00+08:00)"))
        })?),
        None => None,
    };
    let app_type = match &a.app_type {
        Some(t) => Some(crate::rules::necessity::NecessaryInfo::shipped()?.find(t)?),
        None => None,
    };
    Ok(RuleOptions {
        miit: match a.miit {
            MiitChoice::Auto => MiitMode::Auto,
            MiitChoice::On => MiitMode::On,
            MiitChoice::Off => MiitMode::Off,
        },
        consent: ConsentSplit { files: files.pre_consent.iter().map(|p| p.display().to_string()).collect(), at_ms },
        app_type,
        frequency_limits: a.frequency_limit.iter().map(|s| FrequencyLimit::parse(s, ont)).collect::<Result<_>>()?,
    })
}

fn check(a: CheckArgs) -> Result<u8> {
    let fail_on = parse_fail_on(&a.fail_on)?;
    let home_flag = parse_home_region(a.home_region.as_deref())?;
    let mut files = match &a.dir {
        Some(dir) => find_app_files(dir)?,
        None => AppFiles::default(),
    };
    if let Some(p) = &a.policy {
        files.policy = Some(p.clone());
    }
    files.manifests.extend(a.manifest.iter().cloned());
    files.traffic.extend(a.traffic.iter().cloned());
    for p in &a.pre_consent {
        if !files.pre_consent.contains(p) {
            files.pre_consent.push(p.clone());
        }
        if !files.traffic.contains(p) {
            files.traffic.push(p.clone());
        }
    }
    files.apks.extend(a.apk.iter().cloned());
    for p in a.ipa.iter().cloned() {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if matches!(ext.as_str(), "plist" | "xcprivacy") {
            files.plists.push(p);
        } else {
            files.ipas.push(p);
        }
    }
    files.pcaps.extend(a.pcap.iter().cloned());
    if a.device.is_some() {
        files.device = a.device.clone();
    }
    let policy_path = files.policy.clone().ok_or_else(|| match &a.dir {
        Some(d) => Error::input(d, "no policy file found (expected privacy*.md/.html/.txt); pass --policy"),
        None => Error::Usage("check needs --policy FILE or an app folder".into()),
    })?;
    let ont = crate::ontology::shipped()?;
    let rule_options = rule_options(&a, &files, ont)?;
    let doc = crate::policy::load_policy(&policy_path)?;
    let observed = observe(
        &ObserveInputs {
            manifests: files.manifests.clone(),
            traffic: files.traffic.clone(),
            device: files.device.clone(),
            first_party_domains: a.first_party_domain.clone(),
            apks: files.apks.clone(),
            ipas: files.ipas.clone(),
            plists: files.plists.clone(),
            pcaps: files.pcaps.clone(),
            geo_table: a.geo_table.clone(),
        },
        ont,
    )?;
    if !(0.0..=1.0).contains(&a.min_confidence) {
        return Err(Error::Usage(format!("--min-confidence must be between 0 and 1, not {}", a.min_confidence)));
    }
    let mut observed = observed;
    observed.flows.retain(|f| f.confidence >= a.min_confidence);
    let mut extractor = make_extractor(a.extractor.extractor, a.extractor.model.as_deref(), ont)?;
    let cache = open_cache(&a.extractor);
    if let Some(c) = &cache {
        extractor.use_sentence_cache(c.sentence_cache());
    }
    let (practices, cached) = extract_cached(cache.as_ref(), extractor.as_ref(), &doc)?;
    let declared = Declared {
        practices: &practices,
        mentioned_organizations: mentioned_organizations(&doc, ont),
        personal_info_defined: crate::extract::defines_personal_info(&doc, ont),
    };
    let mut comparison = compare(&declared, &observed, ont);
    let regions = crate::extract::region::region_statements(&doc)?;
    let (cross_border, transfers) = crate::compare::cross_border::judge(&regions, &observed, home_flag.as_deref())?;
    comparison.add_findings(transfers);
    if rule_options.consent.at_ms.is_some() && !observed.contacts.iter().any(|c| c.started_ms.is_some()) {
        eprintln!("candor: warning: --consent-at: no captured request has a start time (HAR startedDateTime), so none is judged by it");
    }
    crate::rules::apply(&rule_options, &doc, &observed, ont, &mut comparison)?;
    let contacted_hosts = {
        let mut hosts: Vec<&str> = observed.contacts.iter().map(|c| c.destination.host.as_str()).collect();
        hosts.sort();
        hosts.dedup();
        hosts.len()
    };
    let show = |p: &Path| p.display().to_string();
    let report = AppReport::new(
        observed.package.clone(),
        Inputs {
            policy: show(&policy_path),
            manifests: files.manifests.iter().map(|p| show(p)).collect(),
            traffic: files.traffic.iter().map(|p| show(p)).collect(),
            device: files.device.as_deref().map(show),
        },
        ExtractorInfo { name: extractor.name().to_string(), version: extractor.version(), cached },
        practices.clone(),
        observed.permissions.clone(),
        contacted_hosts,
        comparison,
    )
    .with_sdks(observed.sdks.clone())
    .with_cross_border(cross_border);
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => a.out.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = match a.format {
        ReportFormat::Text => crate::report::render_text(&report, color, a.verbose),
        ReportFormat::Json => crate::report::render_json(&report),
        ReportFormat::Md => crate::report::render_markdown(&report),
        ReportFormat::Html => crate::report::render_html(&report.clone().with_policy_text(doc.text.clone())),
        ReportFormat::Sarif => crate::report::render_sarif(&report),
    };
    emit(&text, a.out.as_deref())?;
    Ok(if report.fails(&fail_on) { 1 } else { 0 })
}

fn extract(a: ExtractArgs) -> Result<u8> {
    let ont = crate::ontology::shipped()?;
    let doc = crate::policy::load_policy(&a.policy)?;
    if a.explain {
        return explain(&doc, a.extractor.model.as_deref());
    }
    let mut extractor = make_extractor(a.extractor.extractor, a.extractor.model.as_deref(), ont)?;
    let cache = open_cache(&a.extractor);
    if let Some(c) = &cache {
        extractor.use_sentence_cache(c.sentence_cache());
    }
    let (practices, _) = extract_cached(cache.as_ref(), extractor.as_ref(), &doc)?;
    let regions = crate::extract::region::region_statements(&doc)?;
    let text = match a.format {
        ListFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
            "policy": a.policy.display().to_string(),
            "extractor": extractor.version(),
            "practices": practices,
            "region_statements": regions,
        }))
        .map_err(|e| Error::Data(e.to_string()))?
            + "\n",
        ListFormat::Text => {
            let mut out = String::new();
            for p in &practices {
                out.push_str(&format!(
                    "{}{}{}{}{} {} {} @{}..{}: {}\n",
                    p.audience.as_deref().map(|a| format!("[{a} only] ")).unwrap_or_default()
                        + if p.language == crate::policy::Language::En { "" } else { "[zh] " }
                        + &p.sdk.as_deref().map(|s| format!("[sdk: {s}] ")).unwrap_or_default(),
                    p.scope.as_deref().map(|s| if s == "about_policy" { "[about the policy, not a practice] ".to_string() } else { format!("[{s}, not a denial] ") }).unwrap_or_default(),
                    p.condition.as_deref().map(|c| format!("[only if {c}] ")).unwrap_or_default(),
                    if p.negated { "NOT " } else { "" },
                    p.actor,
                    p.action,
                    p.data_type,
                    p.evidence.start,
                    p.evidence.end,
                    p.evidence.text
                ));
            }
            for r in &regions {
                out.push_str(&format!(
                    "{}[region, rule-based] {} @{}..{}: {}\n",
                    if r.language == crate::policy::Language::En { "" } else { "[zh] " },
                    r.describe(),
                    r.evidence.start,
                    r.evidence.end,
                    r.evidence.text
                ));
            }
            out.push_str(&format!("{} practices from {} sentences\n", practices.len(), doc.sentences.len()));
            out
        }
    };
    emit(&text, None)?;
    Ok(0)
}

/// `candor extract --explain`: each sentence with the model's label
/// probabilities (those over 0.1), marking the ones at or above threshold.
fn explain(doc: &crate::policy::PolicyDocument, model: Option<&Path>) -> Result<u8> {
    use crate::extract::model::{decode::may_state_practice, SentenceClassifier};
    let dir = match model {
        Some(d) => d.to_path_buf(),
        None => locate_model_dir().ok_or_else(|| Error::Model("no model found in models/candor-minilm".into()))?,
    };
    let classifier = SentenceClassifier::load(&dir)?;
    let names = classifier.labels.names();
    let texts: Vec<&str> = doc.sentences.iter().map(|s| s.text.as_str()).collect();
    let probs = classifier.predict(&texts)?;
    let mut out = String::new();
    for (s, p) in doc.sentences.iter().zip(&probs) {
        let filtered = if may_state_practice(&s.text) { "" } else { " (prefilter would skip)" };
        out.push_str(&format!("@{}..{}{}: {}\n", s.start, s.end, filtered, s.text));
        let mut parts = Vec::new();
        for (i, (name, prob)) in names.iter().zip(p).enumerate() {
            if *prob >= 0.1 {
                let on = *prob >= classifier.labels.thresholds.get(i).copied().unwrap_or(0.5);
                parts.push(format!("{name}={prob:.2}{}", if on { "*" } else { "" }));
            }
        }
        out.push_str(&format!("    {}\n", parts.join(" ")));
    }
    emit(&out, None)?;
    Ok(0)
}

fn observe_cmd(a: ObserveArgs) -> Result<u8> {
    let ont = crate::ontology::shipped()?;
    let mut inputs =
        ObserveInputs { device: a.device, first_party_domains: a.first_party_domain, geo_table: a.geo_table, ..ObserveInputs::default() };
    for f in a.files {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "xml" => inputs.manifests.push(f),
            "har" | "json" => inputs.traffic.push(f),
            "apk" | "xapk" | "aab" => inputs.apks.push(f),
            "ipa" => inputs.ipas.push(f),
            "plist" | "xcprivacy" => inputs.plists.push(f),
            "pcap" | "pcapng" | "cap" => inputs.pcaps.push(f),
            _ => {
                return Err(Error::input(
                    &f,
                    "unknown kind of file (expected a manifest .xml, a .har or .pcap/.pcapng capture, \
                     an .apk/.xapk/.aab/.ipa archive or an iOS .plist/.xcprivacy)",
                ))
            }
        }
    }
    let observed = observe(&inputs, ont)?;
    let text = match a.format {
        ListFormat::Json => serde_json::to_string_pretty(&observed).map_err(|e| Error::Data(e.to_string()))? + "\n",
        ListFormat::Text => {
            let mut out = format!("package: {}\n", observed.package.as_deref().unwrap_or("-"));
            for p in &observed.permissions {
                out.push_str(&format!("permission {}{} -> {}\n", p.name, if p.dangerous { " (dangerous)" } else { "" }, p.data_types.join(", ")));
            }
            for f in &observed.flows {
                let place = match (&f.destination.ip, &f.destination.country) {
                    (Some(ip), Some(c)) => format!(" {ip} in {c}"),
                    (Some(ip), None) => format!(" {ip}, country unknown"),
                    _ => String::new(),
                };
                out.push_str(&format!("flow {} -> {}{place} [{}]\n", f.data_type, crate::compare::recipient_name(&f.destination), f.confidence));
            }
            for app in observed.apps.iter().filter(|a| !a.dex_files.is_empty()) {
                out.push_str(&format!("code {}: {} DEX files, {} classes scanned for tracker SDKs\n", app.file, app.dex_files.len(), app.classes));
            }
            for s in &observed.sdks {
                let org = s.organization_name.as_deref().unwrap_or("unknown organization");
                let status = match s.status {
                    crate::observe::SdkStatus::Embedded => "embedded",
                    crate::observe::SdkStatus::Contacted => "embedded and contacted",
                };
                out.push_str(&format!("sdk {} ({org}) {status}: class {} matched {} in {}\n", s.name, s.class, s.signature, s.file));
            }
            out.push_str(&format!("{} requests observed\n", observed.contacts.len()));
            out
        }
    };
    emit(&text, None)?;
    Ok(0)
}

fn ontology_cmd(which: OntologyCmd) -> Result<u8> {
    let ont = crate::ontology::shipped()?;
    let text = match which {
        OntologyCmd::DataTypes { format: ListFormat::Json } => {
            let types: Vec<_> = ont
                .data_types
                .all()
                .iter()
                .map(|t| {
                    serde_json::json!({"id": t.id, "parent": t.parent, "names": t.names, "permissions": t.permissions, "traffic_keys": t.traffic_keys})
                })
                .collect();
            serde_json::to_string_pretty(&serde_json::json!({ "data_types": types })).map_err(|e| Error::Data(e.to_string()))? + "\n"
        }
        OntologyCmd::DataTypes { format: ListFormat::Text } => ont
            .data_types
            .all()
            .iter()
            .map(|t| format!("{}{} ({})\n", "  ".repeat(ont.data_types.depth(&t.id)), t.id, t.names.join(", ")))
            .collect(),
        OntologyCmd::Entities { format: ListFormat::Json } => serde_json::to_string_pretty(&serde_json::json!({
            "categories": ont.entities.categories(),
            "organizations": ont.entities.organizations(),
        }))
        .map_err(|e| Error::Data(e.to_string()))?
            + "\n",
        OntologyCmd::Entities { format: ListFormat::Text } => {
            let mut out = String::new();
            for c in ont.entities.categories() {
                out.push_str(&format!("category {} ({})\n", c.id, c.names.join(", ")));
            }
            for o in ont.entities.organizations() {
                out.push_str(&format!("{} {} [{}] {}\n", o.id, o.name, o.categories.join(","), o.domains.join(" ")));
            }
            out
        }
    };
    emit(&text, None)?;
    Ok(0)
}
