//! Ingest tests on real policies (tests/fixtures/policy, see SOURCES.md there)
//! and on hostile inputs.

use candor::policy::{load_policy, parse_policy, split_sentences, BlockKind, Language, PolicyDocument, PolicyFormat};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy").join(name)
}

fn load(name: &str) -> PolicyDocument {
    match load_policy(&fixture(name)) {
        Ok(doc) => doc,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn parse(bytes: &[u8], hint: Option<PolicyFormat>) -> PolicyDocument {
    match parse_policy(bytes, hint, "test") {
        Ok(doc) => doc,
        Err(e) => panic!("parse failed: {e}"),
    }
}

/// The invariants every document must keep.
fn check_offsets(doc: &PolicyDocument) {
    assert!(!doc.sentences.is_empty());
    for s in &doc.sentences {
        assert_eq!(doc.text.get(s.start..s.end), Some(s.text.as_str()), "sentence offsets in {}", doc.source);
        assert_eq!(s.text.trim(), s.text);
        assert!(!s.text.is_empty());
        assert!(s.text.len() <= candor::policy::MAX_POLICY_BYTES as usize);
        let section = &doc.sections[s.section];
        assert!(section.start <= s.start && s.end <= section.end, "sentence outside its section");
    }
    let mut last_end = 0;
    for sec in &doc.sections {
        assert!(sec.start >= last_end && sec.start < sec.end && sec.end <= doc.text.len());
        last_end = sec.end;
    }
}

fn sections_of(doc: &PolicyDocument, kind: BlockKind) -> Vec<&str> {
    doc.sections.iter().filter(|s| s.kind == kind).map(|s| &doc.text[s.start..s.end]).collect()
}

fn has_sentence(doc: &PolicyDocument, text: &str) -> bool {
    doc.sentences.iter().any(|s| s.text == text)
}

#[test]
fn opp115_sanitized_html() {
    let doc = load("opp115_1017_sci-news.com.html");
    check_offsets(&doc);
    assert_eq!(doc.format, PolicyFormat::Html);
    let headings = sections_of(&doc, BlockKind::Heading);
    assert!(headings.contains(&"Privacy Policy"), "{headings:?}");
    assert!(headings.contains(&"Use of Cookies"), "{headings:?}");
    let items = sections_of(&doc, BlockKind::ListItem);
    assert!(items.contains(&"if you contact us, we may keep a record of that correspondence;"), "{items:?}");
    // The `|||` separators never reach the text.
    assert!(!doc.text.contains("|||"));
    // Sentences after a heading carry it as context.
    let cookie = doc.sentences.iter().find(|s| s.text.starts_with("Sci-News.com uses cookie technology."));
    assert_eq!(cookie.and_then(|s| s.heading.as_deref()), Some("Use of Cookies"));
    // "privacy@sci-news.com" does not split a sentence.
    assert!(doc.sentences.iter().any(|s| s.text.contains("privacy@sci-news.com with questions")));
}

#[test]
fn app_case_markdown() {
    let doc = load("sharelocation_PRIVACY_POLICY.md");
    check_offsets(&doc);
    assert_eq!(doc.format, PolicyFormat::Markdown);
    assert_eq!(sections_of(&doc, BlockKind::Heading), vec!["Share Location", "Permission", "Data collection"]);
    // Inline code and link text are kept, markup is not.
    assert!(doc.text.contains("[AndroidManifest.xml](app/src/main/AndroidManifest.xml)"));
    assert!(doc.text.contains("The only analytic service that presented in the app is Google Analytics"));
    assert!(!doc.text.contains("https://firebase.google.com"));
    // One sentence per line without final periods: still separate sentences.
    assert!(has_sentence(&doc, "The app uses location permission in order to view and share them"));
    let analytics = doc.sentences.iter().find(|s| s.text.contains("Google Analytics"));
    assert_eq!(analytics.and_then(|s| s.heading.as_deref()), Some("Data collection"));
}

#[test]
fn policond_layout_html() {
    // An old-style page: layout tables, a menu as <ul id="nav">, scripts.
    let doc = load("policond_109_nursing_central.html");
    check_offsets(&doc);
    assert!(!doc.text.contains("Travel Nursing Checklists"));
    assert!(!doc.text.contains("gtag"));
    assert!(!doc.text.contains('\u{FFFD}'));
    let headings = sections_of(&doc, BlockKind::Heading);
    assert!(headings.contains(&"About Travel Nursing Central and the Information We Collect"), "{headings:?}");
    // The policy's prose is read as paragraphs, not as giant table rows.
    assert!(sections_of(&doc, BlockKind::TableRow).is_empty());
    assert!(has_sentence(&doc, "We do not provide Personal Information to third party marketers."));
    let marketers = doc.sentences.iter().find(|s| s.text.starts_with("We do not provide Personal Information"));
    assert_eq!(marketers.and_then(|s| s.heading.as_deref()), Some("How We Use The Information You Disclose"));
}

#[test]
fn policond_data_tables_and_lists() {
    let doc = load("policond_86_alfredcamera.html");
    check_offsets(&doc);
    let rows = sections_of(&doc, BlockKind::TableRow);
    assert!(rows.contains(&"Category | Type | Source | Purpose"), "{rows:?}");
    assert!(rows.iter().any(|r| r.starts_with("Device Info | Device info | From device API | ")), "{rows:?}");
    let items = sections_of(&doc, BlockKind::ListItem);
    assert!(items.contains(&"Investigate potential violations of Terms of Service"), "{items:?}");
    let headings = sections_of(&doc, BlockKind::Heading);
    assert!(headings.contains(&"Retention Policy"), "{headings:?}");
    // Every sentence is short enough for the model and inside its section.
    assert!(doc.sentences.iter().all(|s| s.text.len() <= 1500));
    let retention = doc.sentences.iter().find(|s| s.text.starts_with("App usage log: Raw data will be deleted in 60 days."));
    assert_eq!(retention.and_then(|s| s.heading.as_deref()), Some("Retention Policy"));
}

#[test]
fn html_structure_and_chrome() {
    let html = br#"<!DOCTYPE html><html><head><title>Site</title><style>.secret-style{}</style>
        <script>var secretScript = 1;</script></head><body>
        <nav><a href="/">Home nav link</a></nav>
        <div role="navigation">Role nav link</div>
        <h1>Privacy Policy</h1>
        <h2>Information We Collect</h2>
        <p>We collect your e-mail address, e.g. when you register. We share it with Google Inc. and Acme Ltd. only.</p>
        <ul><li>Location data<ul><li>Precise GPS location</li></ul></li><li>Contacts</li></ul>
        <table><tr><th>Category</th><th>Shared with</th></tr>
               <tr><td>Device ID</td><td>Advertisers</td></tr></table>
        <p>See www.example.com/privacy for details.<br>Version 2.5 applies.</p>
        <noscript>Enable JS noscript text</noscript>
        <footer>Footer text &copy; 2024</footer>
        <form><input value="input text"><button>Button text</button></form>
        </body></html>"#;
    let doc = parse(html, None);
    check_offsets(&doc);
    assert_eq!(doc.format, PolicyFormat::Html);
    assert_eq!(sections_of(&doc, BlockKind::Heading), vec!["Privacy Policy", "Information We Collect"]);
    assert_eq!(sections_of(&doc, BlockKind::ListItem), vec!["Location data", "Precise GPS location", "Contacts"]);
    assert_eq!(sections_of(&doc, BlockKind::TableRow), vec!["Category | Shared with", "Device ID | Advertisers"]);
    for chrome in ["secret", "Home nav", "Role nav", "noscript", "Footer text", "input text", "Button text", "Site"] {
        assert!(!doc.text.contains(chrome), "{chrome} leaked into {:?}", doc.text);
    }
    assert!(has_sentence(&doc, "We collect your e-mail address, e.g. when you register."));
    assert!(has_sentence(&doc, "We share it with Google Inc. and Acme Ltd. only."));
    assert!(has_sentence(&doc, "See www.example.com/privacy for details."));
    assert!(has_sentence(&doc, "Version 2.5 applies."));
    let share = doc.sentences.iter().find(|s| s.text.starts_with("We share"));
    assert_eq!(share.and_then(|s| s.heading.as_deref()), Some("Information We Collect"));
}

#[test]
fn plain_text_policy() {
    let text = b"PRIVACY POLICY\n\n1. Information We Collect\nWe collect your name, e-mail address\nand phone number. We do not sell it to third parties, i.e. advertisers.\n\nWe may share:\n- crash reports with Sentry Inc.\n- usage statistics\n\n2. Contact\nWrite to privacy@example.com. We answer within 30 days.\n";
    let doc = parse(text, Some(PolicyFormat::Text));
    check_offsets(&doc);
    assert_eq!(sections_of(&doc, BlockKind::Heading), vec!["PRIVACY POLICY", "1. Information We Collect", "We may share:", "2. Contact"]);
    assert_eq!(sections_of(&doc, BlockKind::ListItem), vec!["crash reports with Sentry Inc.", "usage statistics"]);
    assert!(has_sentence(&doc, "We do not sell it to third parties, i.e. advertisers."));
    assert!(has_sentence(&doc, "Write to privacy@example.com."));
    // Without a hint, text with no markup is read as text.
    assert_eq!(parse(text, None).format, PolicyFormat::Text);
}

#[test]
fn abbreviations_and_urls_do_not_split() {
    let s = "We use Google Analytics (see https://www.google.com/policies/privacy/partners/) and Firebase, e.g. for crash reports. Data may be sent to the U.S. and stored approx. 3.5 years by Acme Corp. in No. 5 Main St. Contact Dr. J. Smith at dpo@example.co.uk. Done.";
    let got: Vec<&str> = split_sentences(s).into_iter().map(|(a, b)| &s[a..b]).collect();
    assert_eq!(got, vec![
        "We use Google Analytics (see https://www.google.com/policies/privacy/partners/) and Firebase, e.g. for crash reports.",
        "Data may be sent to the U.S. and stored approx. 3.5 years by Acme Corp. in No. 5 Main St. Contact Dr. J. Smith at dpo@example.co.uk.",
        "Done.",
    ]);
}

fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let mut out = if little_endian { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if little_endian { unit.to_le_bytes() } else { unit.to_be_bytes() });
    }
    out
}

#[test]
fn utf16_with_bom() {
    let html = "<html><body><h1>Política de privacidad</h1><p>Recopilamos su correo electrónico. We share “nothing”.</p></body></html>";
    for le in [true, false] {
        let doc = parse(&utf16(html, le), None);
        check_offsets(&doc);
        assert_eq!(doc.format, PolicyFormat::Html);
        assert_eq!(sections_of(&doc, BlockKind::Heading), vec!["Política de privacidad"]);
        assert!(has_sentence(&doc, "Recopilamos su correo electrónico."));
        assert!(has_sentence(&doc, "We share “nothing”."));
    }
}

#[test]
fn windows_1252_declared_html() {
    let mut html = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"></head><body><p>We don".to_vec();
    html.extend_from_slice(b"\x92t sell your data \x96 ever. Caf\xE9 customers pay \x80 5.</p></body></html>");
    let doc = parse(&html, Some(PolicyFormat::Html));
    check_offsets(&doc);
    assert!(has_sentence(&doc, "We don’t sell your data – ever."), "{:?}", doc.text);
    assert!(has_sentence(&doc, "Café customers pay € 5."), "{:?}", doc.text);
}

#[test]
fn unknown_declared_encoding_is_an_error() {
    let err = parse_policy(b"<meta charset=\"x-made-up\"><p>Hello there.</p>", None, "t").unwrap_err();
    assert!(err.contains("unknown encoding"), "{err}");
}

#[test]
fn bad_files_give_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write: {e}"));
        path
    };
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend((0..2000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    let mut random = Vec::new();
    let mut x: u64 = 0x9E3779B97F4A7C15;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        random.push((x >> 32) as u8);
    }
    let cases = [
        (write("logo.html", &png), "binary"),
        (write("archive.md", b"PK\x03\x04\x14\x00\x08\x00\x08\x00\x00\x00!\x00"), "binary"),
        (write("app.txt", b"\x7FELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00"), "binary"),
        (write("noise.html", &random), "not text"),
        (write("empty.html", b""), "empty"),
        (write("blank.txt", b"  \n\n \t "), "no readable text"),
        (write("only-script.html", b"<html><script>var a = 1;</script></html>"), "no readable text"),
        (dir.path().join("missing-policy.html"), "no such file"),
    ];
    for (path, expected) in cases {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        match load_policy(&path) {
            Ok(doc) => panic!("{name} parsed: {:?}", doc.text),
            Err(e) => {
                let message = e.to_string();
                assert!(message.contains(&name), "{message}");
                assert!(message.contains(expected), "{message}");
            }
        }
    }
}

#[test]
fn deeply_nested_html_does_not_overflow() {
    let n = 100_000;
    let html = format!("<html><body>{}<p>We keep logs for 30 days.</p>{}</body></html>", "<div>".repeat(n), "</div>".repeat(n));
    let started = std::time::Instant::now();
    let doc = parse(html.as_bytes(), None);
    assert!(has_sentence(&doc, "We keep logs for 30 days."));
    // Also unclosed and inline nesting.
    let html = format!("{}We keep logs.", "<span><b><i>".repeat(n / 3));
    let doc = parse(html.as_bytes(), Some(PolicyFormat::Html));
    assert!(has_sentence(&doc, "We keep logs."));
    let md = format!("{}We keep logs.", "> ".repeat(n));
    let doc = parse(md.as_bytes(), Some(PolicyFormat::Markdown));
    check_offsets(&doc);
    let md = format!("{}We keep logs.", "- ".repeat(5000));
    let doc = parse(md.as_bytes(), Some(PolicyFormat::Markdown));
    check_offsets(&doc);
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

#[test]
fn long_runon_sentences_are_cut() {
    let text = format!("{}.", "we collect your location, your contacts and your photos; ".repeat(200));
    let doc = parse(text.as_bytes(), Some(PolicyFormat::Text));
    check_offsets(&doc);
    assert!(doc.sentences.len() > 5);
    assert!(doc.sentences.iter().all(|s| s.text.len() <= 1500));
}

#[test]
fn large_html_is_linear() {
    // About 3 MB of real-looking HTML; the 30 MB case is in the ignored test below.
    let unit = std::fs::read(fixture("policond_109_nursing_central.html")).unwrap_or_else(|e| panic!("{e}"));
    let body_start = String::from_utf8_lossy(&unit).find("<body").unwrap_or(0);
    let body = String::from_utf8_lossy(&unit[body_start..]).to_string();
    let html = format!("<html>{}</html>", body.repeat(3_000_000 / body.len()));
    let started = std::time::Instant::now();
    let doc = parse(html.as_bytes(), Some(PolicyFormat::Html));
    check_offsets(&doc);
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

/// Random mixes of markup fragments, multi-byte text and junk: every format
/// either errors or keeps the offset invariants; nothing panics.
#[test]
fn random_inputs_never_panic() {
    const PIECES: &[&str] = &[
        "<p>", "</p>", "<li>", "</li>", "<ul>", "</ul>", "<table>", "<tr>", "<td>", "</td>", "<th>", "<br>", "<br/>",
        "|||", "<h2>", "</h2>", "<div>", "</div>", "<pre>", "</pre>", "<b>", "</b>", "<a href='x>y'>", "</a>", "<!--",
        "-->", "<script>", "</script>", "<nav>", "<svg>", "<meta charset=utf-8>", "- ", "* ", "• ", "# ", "## ", "1. ",
        "2) ", "(a) ", "> ", "```", "---", "===", "| a | b |", "|---|---|", "\n", "\n\n", "\r\n", "\r", "\t", " ",
        ". ", "? ", "! ", "e.g. ", "U.S. ", "Inc. ", "No. 5", "3.5", "www.example.com/x?y=1", "a@b.co", "é", "ß",
        "。", "；", "隐私政策", "🌎", "\u{FFFD}", "\u{200B}", "\u{2028}", "\u{7}", "&amp;", "&#x1F30E;", "&#0;", "We ",
        "collect ", "Your ", "DATA ", "Location", ":", ";", ",", "\"", "'", "(", ")", "<", ">", "&", "[x](y)", "`c`",
        "**B**", "_i_", "<img alt=x>", "<details><summary>S</summary>",
    ];
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for round in 0..600 {
        let len = next(200);
        let mut input = String::new();
        for _ in 0..len {
            input.push_str(PIECES[next(PIECES.len())]);
        }
        for hint in [Some(PolicyFormat::Html), Some(PolicyFormat::Markdown), Some(PolicyFormat::Text), None] {
            if let Ok(doc) = parse_policy(input.as_bytes(), hint, "random") {
                check_offsets(&doc);
            }
        }
        // And raw bytes.
        let bytes: Vec<u8> = (0..next(300)).map(|_| next(256) as u8).collect();
        if let Ok(doc) = parse_policy(&bytes, None, "bytes") {
            check_offsets(&doc);
        }
        let mut mixed = input.into_bytes();
        if !mixed.is_empty() {
            let at = next(mixed.len());
            mixed[at] = (round % 256) as u8;
        }
        if let Ok(doc) = parse_policy(&mixed, None, "mixed") {
            check_offsets(&doc);
        }
    }
}

/// `cargo test --test policy_ingest -- --ignored thirty_mb` : a 30 MB policy.
#[test]
#[ignore]
fn thirty_mb_html() {
    let unit = std::fs::read(fixture("policond_109_nursing_central.html")).unwrap_or_else(|e| panic!("{e}"));
    let body = String::from_utf8_lossy(&unit).to_string();
    let html = format!("<html><body>{}</body></html>", body.repeat(30_000_000 / body.len()));
    let started = std::time::Instant::now();
    let doc = parse(html.as_bytes(), Some(PolicyFormat::Html));
    println!("{} bytes -> {} sentences in {:?}", html.len(), doc.sentences.len(), started.elapsed());
    check_offsets(&doc);
    for (name, format) in [("sharelocation_PRIVACY_POLICY.md", PolicyFormat::Markdown), ("sharelocation_PRIVACY_POLICY.md", PolicyFormat::Text)] {
        let unit = std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("{e}"));
        let big = format!("{unit}\n\n").repeat(30_000_000 / (unit.len() + 2));
        let started = std::time::Instant::now();
        let doc = parse(big.as_bytes(), Some(format));
        println!("{format:?}: {} bytes -> {} sentences in {:?}", big.len(), doc.sentences.len(), started.elapsed());
        check_offsets(&doc);
    }
}

/// `CANDOR_POLICY_DIR=/tmp/policies cargo test --test policy_ingest -- --ignored --nocapture corpus`
/// parses every file under a directory and prints a summary line for each.
#[test]
#[ignore]
fn corpus() {
    let Ok(dir) = std::env::var("CANDOR_POLICY_DIR") else { return };
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
            continue;
        }
        let started = std::time::Instant::now();
        match load_policy(&path) {
            Ok(doc) => {
                check_offsets(&doc);
                let count = |k| doc.sections.iter().filter(|s| s.kind == k).count();
                println!(
                    "ok {:>6}ms h{:<4} p{:<4} li{:<4} tr{:<4} s{:<5} {}",
                    started.elapsed().as_millis(),
                    count(BlockKind::Heading),
                    count(BlockKind::Paragraph),
                    count(BlockKind::ListItem),
                    count(BlockKind::TableRow),
                    doc.sentences.len(),
                    path.display()
                );
            }
            Err(e) => println!("ERR {e}"),
        }
    }
}

/// `CANDOR_POLICY_FILE=x.html cargo test --test policy_ingest -- --ignored --nocapture dump`
/// prints the sections of one policy.
#[test]
#[ignore]
fn dump() {
    let Ok(file) = std::env::var("CANDOR_POLICY_FILE") else { return };
    match load_policy(Path::new(&file)) {
        Ok(doc) if std::env::var("CANDOR_POLICY_SENTENCES").is_ok() => {
            for s in &doc.sentences {
                println!("S {} {}", s.language, s.text);
            }
        }
        Ok(doc) => {
            for (i, sec) in doc.sections.iter().enumerate() {
                let n = doc.sentences.iter().filter(|s| s.section == i).count();
                println!("{:?} [{n}] {}", sec.kind, &doc.text[sec.start..sec.end]);
            }
        }
        Err(e) => println!("ERR {e}"),
    }
}

// ---- Chinese policies ----------------------------------------------------

/// A short Chinese policy in plain text with the structures Chinese
/// policies use: 【】 labels, 《》 titles, numbered clauses of every kind,
/// full-width and half-width punctuation.
const ZH_POLICY: &str = "隐私政策\n\n【特别提示】请您仔细阅读《用户服务协议》与《隐私政策（儿童版！）》。本政策仅适用于本应用；不适用于第三方服务！\n\n一、我们如何收集和使用您的个人信息\n\n（一）您提供的信息\n\n您注册时，我们会收集您的手机号码、设备标识符（IMEI、Android ID）和位置信息。如您拒绝，您将无法使用相关功能？\n\n1.2 设备信息\n\n我们会收集您的设备型号.我们不会收集您的通讯录;您可以随时关闭定位!\n\n第三条 信息共享\n\n我们不会与第三方共享您的个人信息，但以下情况除外：\n1、获得您的明确同意后。\n2、根据法律法规的要求。\n";

fn zh_doc() -> PolicyDocument {
    let doc = parse(ZH_POLICY.as_bytes(), Some(PolicyFormat::Text));
    check_offsets(&doc);
    doc
}

fn sentence<'a>(doc: &'a PolicyDocument, text: &str) -> &'a candor::policy::Sentence {
    match doc.sentences.iter().find(|s| s.text == text) {
        Some(s) => s,
        None => panic!("no sentence {text:?} in {:#?}", doc.sentences.iter().map(|s| &s.text).collect::<Vec<_>>()),
    }
}

#[test]
fn chinese_sentences_and_offsets() {
    let doc = zh_doc();
    // 。！？； end sentences, and so do half-width .;! after Chinese.
    for text in [
        "本政策仅适用于本应用；",
        "不适用于第三方服务！",
        "如您拒绝，您将无法使用相关功能？",
        "我们会收集您的设备型号.",
        "我们不会收集您的通讯录;",
        "您可以随时关闭定位!",
    ] {
        let s = sentence(&doc, text);
        assert_eq!(&doc.text[s.start..s.end], s.text);
    }
    // A 《》 title holding a "！" is not split.
    sentence(&doc, "请您仔细阅读《用户服务协议》与《隐私政策（儿童版！）》。");
    // Full-width brackets and the ASCII names inside stay in one sentence.
    sentence(&doc, "您注册时，我们会收集您的手机号码、设备标识符（IMEI、Android ID）和位置信息。");
    // Byte offsets point into the normalized text.
    for s in &doc.sentences {
        assert!(doc.text.is_char_boundary(s.start) && doc.text.is_char_boundary(s.end));
    }
}

#[test]
fn chinese_numbered_clauses_are_headings() {
    let doc = zh_doc();
    let headings = sections_of(&doc, BlockKind::Heading);
    for h in ["【特别提示】", "一、我们如何收集和使用您的个人信息", "（一）您提供的信息", "1.2 设备信息", "第三条 信息共享"] {
        assert!(headings.contains(&h), "{h} not in {headings:?}");
    }
    // Sentences carry the nearest heading above them.
    assert_eq!(sentence(&doc, "本政策仅适用于本应用；").heading.as_deref(), Some("【特别提示】"));
    assert_eq!(sentence(&doc, "如您拒绝，您将无法使用相关功能？").heading.as_deref(), Some("（一）您提供的信息"));
    assert_eq!(sentence(&doc, "我们会收集您的设备型号.").heading.as_deref(), Some("1.2 设备信息"));
    // A line ending in "：" introduces a list, as in English ("We may collect:").
    assert_eq!(sentence(&doc, "获得您的明确同意后。").heading.as_deref(), Some("我们不会与第三方共享您的个人信息，但以下情况除外："));
    assert_eq!(doc.sections.iter().find(|s| s.kind == BlockKind::ListItem).and_then(|s| s.heading.as_deref()), Some("我们不会与第三方共享您的个人信息，但以下情况除外："));
    // Numbered sentence lines are list items, read without their number.
    assert!(sections_of(&doc, BlockKind::ListItem).contains(&"根据法律法规的要求。"));
    // A bracketed list of data types inside a sentence is not a label.
    let doc = parse("【姓名、性别、电话号码】等信息，我们会收集。".as_bytes(), Some(PolicyFormat::Text));
    assert!(sections_of(&doc, BlockKind::Heading).is_empty());
}

#[test]
fn chinese_language_per_sentence_and_policy() {
    let doc = zh_doc();
    assert_eq!(doc.language, Language::Zh);
    assert_eq!(doc.languages, vec![Language::Zh]);
    assert!(doc.sentences.iter().all(|s| s.language == Language::Zh), "{:?}", doc.sentences);
    assert!(doc.sections.iter().all(|s| s.language == Language::Zh));
}

#[test]
fn mixed_english_and_chinese_policy() {
    let html = "<html><head><meta charset=\"utf-8\"></head><body>\
        <h1>Privacy Policy</h1><p>We collect your e-mail address. We never sell it.</p>\
        <h2>隐私政策（中文版）</h2><p>我们收集您的电子邮件地址。我们使用Google Analytics分析您的使用情况。</p>\
        <h2>Contact</h2><p>Write to our privacy team at privacy@example.com. 您也可以致电客服。 OK.</p></body></html>";
    let doc = parse(html.as_bytes(), None);
    check_offsets(&doc);
    assert_eq!(sentence(&doc, "We collect your e-mail address.").language, Language::En);
    assert_eq!(sentence(&doc, "我们收集您的电子邮件地址。").language, Language::Zh);
    let analytics = sentence(&doc, "我们使用Google Analytics分析您的使用情况。");
    assert_eq!((analytics.language, analytics.heading.as_deref()), (Language::Zh, Some("隐私政策（中文版）")));
    assert_eq!(sentence(&doc, "Write to our privacy team at privacy@example.com.").language, Language::En);
    assert_eq!(sentence(&doc, "您也可以致电客服。").language, Language::Zh);
    // Too short to tell: it takes its block's language (here English).
    assert_eq!(sentence(&doc, "OK.").language, Language::En);
    // Per section: the English heading is English, the Chinese one Chinese.
    let lang_of = |text: &str| doc.sections.iter().find(|s| &doc.text[s.start..s.end] == text).map(|s| s.language);
    assert_eq!(lang_of("Privacy Policy"), Some(Language::En));
    assert_eq!(lang_of("隐私政策（中文版）"), Some(Language::Zh));
    // Both languages are listed; Chinese (more text) first.
    assert_eq!(doc.languages.len(), 2);
    assert!(doc.languages.contains(&Language::En) && doc.languages.contains(&Language::Zh));
    assert_eq!(doc.language, doc.languages[0]);
}

#[test]
fn language_defaults_when_reading_old_json() {
    let old = r#"{"source":"x","format":"text","text":"We collect data.","sections":[{"kind":"paragraph","start":0,"end":16,"heading":null}],
        "sentences":[{"start":0,"end":16,"text":"We collect data.","section":0,"heading":null}]}"#;
    let doc: PolicyDocument = match serde_json::from_str(old) {
        Ok(doc) => doc,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(doc.sentences[0].language, Language::En);
    assert_eq!(doc.language, Language::En);
    let json = serde_json::to_string(&zh_doc()).unwrap_or_default();
    assert!(json.contains(r#""language":"zh""#) && json.contains(r#""languages":["zh"]"#));
}

/// `text` in UTF-16 without a byte-order mark.
fn utf16_no_bom(text: &str, little_endian: bool) -> Vec<u8> {
    utf16(text, little_endian)[2..].to_vec()
}

fn encode(encoding: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{} cannot encode the test text", encoding.name());
    bytes.into_owned()
}

#[test]
fn chinese_encodings_are_detected() {
    let reference = zh_doc();
    // GB18030 has four-byte codes for characters GBK lacks (U+3400 㐀).
    let gb18030_text = ZH_POLICY.replace("隐私政策\n", "隐私政策 㐀\n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("GB18030 (sniffed)", encode(encoding_rs::GB18030, &gb18030_text), "隐私政策 㐀"),
        ("GBK (sniffed)", encode(encoding_rs::GBK, ZH_POLICY), "隐私政策"),
        ("UTF-8 with BOM", [&b"\xEF\xBB\xBF"[..], ZH_POLICY.as_bytes()].concat(), "隐私政策"),
        ("UTF-16LE with BOM", utf16(ZH_POLICY, true), "隐私政策"),
        ("UTF-16BE with BOM", utf16(ZH_POLICY, false), "隐私政策"),
        ("UTF-16LE without BOM", utf16_no_bom(ZH_POLICY, true), "隐私政策"),
        ("UTF-16BE without BOM", utf16_no_bom(ZH_POLICY, false), "隐私政策"),
    ];
    for (what, bytes, first) in cases {
        let doc = match parse_policy(&bytes, Some(PolicyFormat::Text), "t") {
            Ok(doc) => doc,
            Err(e) => panic!("{what}: {e}"),
        };
        check_offsets(&doc);
        assert_eq!(doc.sections[0].start, 0);
        assert_eq!(&doc.text[..doc.sections[0].end], first, "{what}");
        assert_eq!(doc.sentences.len(), reference.sentences.len(), "{what}");
        let texts = |d: &PolicyDocument| d.sentences.iter().skip(1).map(|s| s.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&doc), texts(&reference), "{what}");
        assert_eq!(doc.language, Language::Zh, "{what}");
    }
}

#[test]
fn chinese_declared_charsets_in_html() {
    let body = "<h2>一、我们如何收集信息</h2><p>我们收集您的位置信息。我们不会出售您的个人信息。</p>";
    for (label, encoding) in [("gb2312", encoding_rs::GBK), ("GBK", encoding_rs::GBK), ("gb18030", encoding_rs::GB18030)] {
        for head in [
            format!("<meta charset=\"{label}\">"),
            format!("<meta http-equiv=\"Content-Type\" content=\"text/html; charset={label}\">"),
        ] {
            let html = format!("<html><head>{head}<title>隐私</title></head><body>{body}</body></html>");
            let doc = parse(&encode(encoding, &html), None);
            check_offsets(&doc);
            assert_eq!(doc.format, PolicyFormat::Html);
            assert_eq!(sections_of(&doc, BlockKind::Heading), vec!["一、我们如何收集信息"], "{head}");
            assert_eq!(sentence(&doc, "我们收集您的位置信息。").heading.as_deref(), Some("一、我们如何收集信息"));
            assert!(has_sentence(&doc, "我们不会出售您的个人信息。"), "{head}");
        }
    }
    // An undeclared GBK page is sniffed too.
    let html = format!("<html><body>{body}</body></html>");
    let doc = parse(&encode(encoding_rs::GBK, &html), None);
    assert!(has_sentence(&doc, "我们收集您的位置信息。"));
}

#[test]
fn western_8bit_text_is_not_read_as_gbk() {
    // "Cafés" in windows-1252 is also valid GBK ("Caf" + a rare ideograph).
    let doc = parse(b"Caf\xE9s and cr\xE8mes are sold. Na\xEFve r\xE9sum\xE9s too.", Some(PolicyFormat::Text));
    assert!(has_sentence(&doc, "Cafés and crèmes are sold."), "{:?}", doc.text);
    assert_eq!(doc.language, Language::En);
}

#[test]
fn chinese_real_policy() {
    let doc = load("capp130_zh_china_mobile_excerpt.txt");
    check_offsets(&doc);
    assert_eq!(doc.language, Language::Zh);
    let headings = sections_of(&doc, BlockKind::Heading);
    for h in [
        "一、我们如何收集和使用您的个人信息",
        "（1）日志信息",
        "（2）位置信息",
        "二、我们如何使用 Cookie 和同类技术",
        "三、我们如何共享、转让、公开披露您的个人信息",
        "（一）共享",
        "（三）公开披露",
    ] {
        assert!(headings.contains(&h), "{h} not in {headings:?}");
    }
    // 《隐私政策》 stays inside its sentence, which ends at 。
    let s = sentence(&doc, "我们希望通过《隐私政策》（以下简称“本政策”）向您说明本网站如何收集、使用、存储和共享您的个人信息，以及您可以如何行使您的用户权利。");
    assert_eq!(s.language, Language::Zh);
    let gps = doc.sentences.iter().find(|s| s.text.contains("GPS或WiFi")).map(|s| s.heading.as_deref());
    assert_eq!(gps, Some(Some("（2）位置信息")));
    // The table of contents lines are sentences of their own.
    assert!(sections_of(&doc, BlockKind::ListItem).contains(&"我们如何使用Cookie和同类技术。"));
    assert!(sections_of(&doc, BlockKind::ListItem).contains(&"关系国家安全、国防安全的情况时。"));
    // 【...】 inside a sentence is kept there.
    assert!(doc.sentences.iter().any(|s| s.text.contains("包括您的【姓名（名称）、性别") && s.text.ends_with("联系人信息等】。")));
    // Whole Chinese sentences, not pieces: none is a bare fragment.
    assert!(doc.sentences.len() > 60, "{}", doc.sentences.len());
    // The same policy in GB18030 and UTF-16 reads the same.
    let utf8 = std::fs::read(fixture("capp130_zh_china_mobile_excerpt.txt")).unwrap_or_default();
    let text = String::from_utf8(utf8).unwrap_or_default();
    for bytes in [encode(encoding_rs::GB18030, &text), utf16(&text, true), utf16_no_bom(&text, false)] {
        let other = parse(&bytes, Some(PolicyFormat::Text));
        assert_eq!(other.text, doc.text);
        assert_eq!(other.sentences, doc.sentences);
    }
}

#[test]
fn extract_on_a_chinese_policy_does_not_crash() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(["extract", "tests/fixtures/policy/capp130_zh_china_mobile_excerpt.txt", "--format", "json", "--no-cache"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run candor");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(v["practices"].is_array(), "{v}");
    // Each practice says which language its sentence is in.
    let practices = v["practices"].as_array().unwrap();
    assert!(!practices.is_empty(), "{v}");
    assert!(practices.iter().all(|p| p["language"] == "zh"), "{v}");
}

#[test]
fn english_policies_are_english() {
    for name in ["opp115_1017_sci-news.com.html", "sharelocation_PRIVACY_POLICY.md", "policond_86_alfredcamera.html"] {
        let doc = load(name);
        assert_eq!((doc.language, doc.languages.as_slice()), (Language::En, &[Language::En][..]), "{name}");
        assert!(doc.sentences.iter().all(|s| s.language == Language::En), "{name}");
    }
}

#[test]
fn chinese_markdown_policy() {
    let md = "# 隐私政策\n\n## 一、我们收集的信息\n\n【重要】我们收集您的位置信息\n我们不会出售您的信息。\n\n1. 我们收集手机号。\n2. 我们收集设备标识符（OAID）。\n\n**（二）共享**\n\n我们与《第三方SDK目录》所列的合作方共享。\n";
    let doc = parse(md.as_bytes(), Some(PolicyFormat::Markdown));
    check_offsets(&doc);
    let headings = sections_of(&doc, BlockKind::Heading);
    assert_eq!(headings, vec!["隐私政策", "一、我们收集的信息", "【重要】", "（二）共享"]);
    // A line break between Chinese lines ends a sentence.
    assert_eq!(sentence(&doc, "我们收集您的位置信息").heading.as_deref(), Some("【重要】"));
    assert!(has_sentence(&doc, "我们不会出售您的信息。"));
    assert_eq!(sections_of(&doc, BlockKind::ListItem), vec!["我们收集手机号。", "我们收集设备标识符（OAID）。"]);
    assert_eq!(sentence(&doc, "我们与《第三方SDK目录》所列的合作方共享。").heading.as_deref(), Some("（二）共享"));
    assert!(doc.sentences.iter().all(|s| s.language == Language::Zh));
}

#[test]
fn every_line_in_heading_markup() {
    // Generated policies that set each line in <h2>: a bullet is an item, a
    // sentence is a paragraph, and the short lines after a lead-in that ends
    // in a colon are its items; a numbered title stays a heading.
    let html = "<h3>Information Collected while Using the Application</h3>\
        <h2>While using Our Application, We may collect, with Your prior permission:</h2>\
        <h2>Information regarding your location</h2>\
        <h2>Pictures and other information from your Device's camera and photo library</h2>\
        <h2>We use this information to provide features of Our Service.</h2>\
        <h2>Personally identifiable information may include, but is not limited to:</h2>\
        <h2>- Email address</h2>\
        <h2>6. Retention of Your Personal Data</h2>";
    let doc = parse(html.as_bytes(), Some(PolicyFormat::Html));
    check_offsets(&doc);
    assert_eq!(sections_of(&doc, BlockKind::ListItem), vec![
        "Information regarding your location",
        "Pictures and other information from your Device's camera and photo library",
        "Email address",
    ]);
    assert_eq!(sections_of(&doc, BlockKind::Paragraph), vec!["We use this information to provide features of Our Service."]);
    assert_eq!(sections_of(&doc, BlockKind::Heading), vec![
        "Information Collected while Using the Application",
        "While using Our Application, We may collect, with Your prior permission:",
        "Personally identifiable information may include, but is not limited to:",
        "6. Retention of Your Personal Data",
    ]);
}
