//! Reading a Chinese sentence as a statement: the Chinese counterpart of
//! [`crate::extract::statement`], giving the same [`StatementReading`].
//!
//! Chinese writes no spaces, so cue words (`ontology/statements_zh.json`)
//! are matched as substrings and a clause ends at ，。；！？. A negation
//! (不会, 绝不, 不得, 未 ...) denies the practice verbs that follow it in
//! its clause ("我们不会出售、出租或共享您的个人信息" denies sell and
//! share); verbs outside every negation stay affirmed. A negation whose
//! clause begins with the user ("如您不提供") or with a recipient
//! ("合作伙伴无权将其用于其他用途", a restriction) denies nothing, and one
//! in a sentence with an exception or a consent condition ("除非", "但以下
//!情形除外", "未经您的同意") is conditional.

use super::statement::{NegationReading, StatementKind, StatementReading, Subject};
use super::Action;
use crate::policy::BlockKind;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The shipped cue table (`ontology/statements_zh.json`).
pub const STATEMENTS_ZH_JSON: &str = include_str!("../../ontology/statements_zh.json");

/// Cue words of the Chinese statement reading.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ChineseStatementTables {
    /// Practice verbs per action (`collect`, `use`, `share`, `sell`, `retain`).
    pub verbs: BTreeMap<String, Vec<String>>,
    pub negations: Vec<String>,
    /// Words that begin with a negation but negate no practice (不限于, 未成年).
    pub off_practice: Vec<String>,
    /// The user as a clause's subject.
    pub user_subjects: Vec<String>,
    /// The app maker as a clause's subject.
    pub first_party_subjects: Vec<String>,
    /// Recipients as a clause's subject (a negation there restricts them).
    pub third_party_subjects: Vec<String>,
    /// Sentence starts that point back to third parties named before.
    pub third_party_pronoun_starts: Vec<String>,
    /// Exceptions and consent conditions that make a denial conditional.
    pub exceptions: Vec<String>,
    /// Exception words that announce a list of circumstances rather than of
    /// recipients ("以下情况", "除外"), when the sentence ends in a colon.
    #[serde(default)]
    pub circumstance_exceptions: Vec<String>,
    /// "仅", "只": an "only ... with X" statement when a recipient marker follows.
    pub only: Vec<String>,
    pub only_recipient_markers: Vec<String>,
    /// Conditions of a statement, by name (`legal`, `corporate_transaction`, `consent`).
    pub conditions: BTreeMap<String, Vec<String>>,
    /// Sentence starts and phrases of statements about the policy or the
    /// user's rights.
    pub meta_starts: Vec<String>,
    pub meta_phrases: Vec<String>,
    /// Phrases that point back to recipients named earlier (上述第三方).
    pub anaphors: Vec<String>,
    /// Words that make a negated clause about linking data ("不会...相结合"), not a practice.
    #[serde(default)]
    pub off_practice_clauses: Vec<String>,
    /// Phrases of sentences about children's data only.
    #[serde(default)]
    pub children: Vec<String>,
    /// Phrases of the items of a list of legal grounds for processing
    /// without consent (the exceptions of GB/T 35273 and PIPL art. 13).
    #[serde(default)]
    pub legal_grounds: Vec<String>,
}

impl ChineseStatementTables {
    /// The shipped table.
    pub fn shipped() -> &'static ChineseStatementTables {
        use std::sync::OnceLock;
        static CELL: OnceLock<ChineseStatementTables> = OnceLock::new();
        CELL.get_or_init(|| serde_json::from_str(STATEMENTS_ZH_JSON).unwrap_or_default())
    }

    /// The actions of the practice verbs in `text[from..to]`, left to right
    /// (longest verb at each place), stepping over the byte ranges of `skip`.
    fn verbs_in(&self, text: &str, from: usize, to: usize, skip: &[(usize, usize)]) -> Vec<Action> {
        let mut out = Vec::new();
        let mut k = from;
        while k < to {
            if let Some(&(_, end)) = skip.iter().find(|(s, e)| k >= *s && k < *e) {
                k = end;
                continue;
            }
            match self.verb_at(&text[k..]) {
                Some((a, len)) => {
                    out.push(a);
                    k += len;
                }
                None => k += text[k..].chars().next().map_or(1, char::len_utf8),
            }
        }
        out
    }

    /// The action and byte length of the longest practice verb at the start of `s`.
    fn verb_at(&self, s: &str) -> Option<(Action, usize)> {
        let mut best: Option<(Action, usize)> = None;
        for (name, verbs) in &self.verbs {
            let Some(action) = action_named(name) else { continue };
            for v in verbs {
                if s.starts_with(v.as_str()) && best.is_none_or(|(_, l)| v.len() > l) {
                    best = Some((action, v.len()));
                }
            }
        }
        best
    }
}

/// The action a verb list is named for.
fn action_named(name: &str) -> Option<Action> {
    Some(match name {
        "collect" => Action::Collect,
        "use" => Action::Use,
        "share" => Action::Share,
        "sell" => Action::Sell,
        "retain" => Action::Retain,
        _ => return None,
    })
}

/// Does a character end a clause?
fn ends_clause(c: char) -> bool {
    matches!(c, '，' | '。' | '；' | '！' | '？' | ',' | ';' | '!' | '?' | '：' | ':')
}

/// Does a character end a sentence (a heading has none)?
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '；' | '！' | '？' | '.' | ';' | '!' | '?' | '：' | ':')
}

/// Is the text a numbered or bracketed heading: "一、我们如何收集信息",
/// "（二）设备权限", "3.1 共享", "【特别提示】", short and without a
/// sentence's end?
fn looks_like_heading(text: &str) -> bool {
    let t = text.trim();
    let chars = t.chars().count();
    if chars == 0 || chars > 40 || t.chars().last().is_some_and(ends_sentence) {
        return false;
    }
    if t.starts_with('【') && t.ends_with('】') {
        return true;
    }
    let numerals = "一二三四五六七八九十";
    let first = t.chars().next().unwrap_or(' ');
    let numbered = (numerals.contains(first) && t.chars().nth(1).is_some_and(|c| c == '、' || numerals.contains(c)))
        || t.starts_with('（') && t.chars().nth(1).is_some_and(|c| numerals.contains(c) || c.is_ascii_digit())
        || t.starts_with('(') && t.chars().nth(1).is_some_and(|c| numerals.contains(c))
        || t.starts_with('第') && t.contains('条')
        || first.is_ascii_digit() && t.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '、' || *c == ' ').count() >= 2;
    numbered && chars <= 30
}

/// What kind of statement a Chinese sentence is.
pub fn statement_kind_zh(text: &str, block: BlockKind) -> StatementKind {
    let t = ChineseStatementTables::shipped();
    let trimmed = text.trim();
    if trimmed.ends_with('？') || trimmed.ends_with('?') {
        return StatementKind::Question;
    }
    // Numbering in front of a statement ("1. 我们会收集...") does not make it
    // about the policy; strip it before looking at how it starts.
    let body = trimmed.trim_start_matches(|c: char| c.is_ascii_digit() || "一二三四五六七八九十、.．（）() ".contains(c));
    if t.meta_starts.iter().any(|m| body.starts_with(m.as_str())) || t.meta_phrases.iter().any(|m| trimmed.contains(m.as_str())) {
        return StatementKind::Meta;
    }
    // "我们主要通过以下途径收集您的个人信息：" ends in a colon like a
    // heading but is a lead-in sentence: we do something to the items below.
    let lead_in = trimmed.ends_with(['：', ':'])
        && t.first_party_subjects.iter().any(|s| body.contains(s.as_str()))
        && !t.verbs_in(body, 0, body.len(), &[]).is_empty();
    if (block == BlockKind::Heading || looks_like_heading(trimmed)) && !lead_in {
        return StatementKind::Heading;
    }
    if t.legal_grounds.iter().any(|g| trimmed.contains(g.as_str())) {
        return StatementKind::LegalGround;
    }
    StatementKind::Statement
}

/// Whether an SDK is what collects ("我们使用听云SDK获取您的位置信息",
/// "号码认证SDK需要收集上述网络信息"): the first collecting verb comes after
/// a mention of an SDK, with no first-party subject between them.
fn sdk_collects(text: &str, t: &ChineseStatementTables) -> bool {
    let upper = text.to_uppercase();
    let Some(verb_at) = t.verbs.get("collect").and_then(|vs| vs.iter().filter_map(|v| upper.find(v.as_str())).min()) else {
        return false;
    };
    let Some(sdk_at) = upper[..verb_at].rfind("SDK") else { return false };
    let between = &upper[sdk_at..verb_at];
    !t.first_party_subjects.iter().any(|s| between.contains(s.as_str()))
}

/// Read a Chinese sentence: its kind, its subject and what its negations
/// apply to.
pub fn read_statement_zh(text: &str, block: BlockKind) -> StatementReading {
    let t = ChineseStatementTables::shipped();
    let kind = statement_kind_zh(text, block);
    let trimmed = text.trim_start();
    let subject = if t.third_party_pronoun_starts.iter().any(|p| trimmed.starts_with(p.as_str())) || sdk_collects(text, t) {
        Subject::ThirdParty
    } else {
        Subject::Unknown
    };
    let mut negation = NegationReading::default();
    let exception = t.exceptions.iter().any(|e| text.contains(e.as_str()));
    let mut negated_spans: Vec<(usize, usize)> = Vec::new();
    let mut clause_start = 0usize;
    let mut i = 0usize;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or(' ');
        if ends_clause(c) {
            clause_start = i + c.len_utf8();
            i += c.len_utf8();
            continue;
        }
        if t.off_practice.iter().any(|o| rest.starts_with(o.as_str())) {
            // Step over the whole word so its negation is not read again.
            let len = t.off_practice.iter().filter(|o| rest.starts_with(o.as_str())).map(|o| o.len()).max().unwrap_or(c.len_utf8());
            negation.off_practice = true;
            i += len;
            continue;
        }
        let Some(neg) = t.negations.iter().filter(|n| rest.starts_with(n.as_str())).max_by_key(|n| n.len()) else {
            i += c.len_utf8();
            continue;
        };
        let after = i + neg.len();
        let clause_end = text[after..].char_indices().find(|(_, c)| ends_clause(*c)).map_or(text.len(), |(k, _)| after + k);
        let head = &text[clause_start..i];
        // Who the clause speaks of: the user, a recipient, or us.
        let we = t.first_party_subjects.iter().any(|s| head.contains(s.as_str()));
        let user = !we && t.user_subjects.iter().any(|s| head.contains(s.as_str()));
        let recipient = !we && !user && t.third_party_subjects.iter().any(|s| head.contains(s.as_str()));
        let denied_here = t.verbs_in(text, after, clause_end, &[]);
        let linking = t.off_practice_clauses.iter().any(|w| text[after..clause_end].contains(w.as_str()));
        if linking && !denied_here.is_empty() {
            negation.off_practice = true;
        } else if !denied_here.is_empty() {
            if user {
                // "如您不提供": the user's choice, no statement of ours.
            } else if recipient {
                negation.restriction = true;
            } else {
                for a in denied_here {
                    if !negation.denied.contains(&a) {
                        negation.denied.push(a);
                    }
                }
                negated_spans.push((i, clause_end));
            }
        }
        i = after;
    }
    // "我们不会转让您的个人信息，但以下情况除外：" followed by a list of
    // circumstances (legal duties, a merger, consent): the denial stands for
    // the routine flows an app shows, and no recipient is allowed.
    let trimmed_end = text.trim_end();
    let circumstances_only = exception
        && trimmed_end.ends_with(['：', ':'])
        && t.exceptions.iter().filter(|e| text.contains(e.as_str())).all(|e| t.circumstance_exceptions.contains(e));
    let exception = exception && !circumstances_only;
    if !negation.denied.is_empty() && exception {
        negation.conditional = true;
    }
    // Verbs outside every denial are affirmed.
    for a in t.verbs_in(text, 0, text.len(), &negated_spans) {
        if !negation.affirmed.contains(&a) {
            negation.affirmed.push(a);
        }
    }
    // "仅与X共享": only the recipients after the marker are allowed.
    let mut allowed_from = None;
    let mut only_with = false;
    for o in &t.only {
        if let Some(at) = text.find(o.as_str()) {
            let clause: String = text[at..].chars().take_while(|c| !ends_clause(*c)).collect();
            let marker = t.only_recipient_markers.iter().any(|m| clause.contains(m.as_str()));
            let shares = t.verbs.get("share").is_some_and(|vs| vs.iter().any(|v| clause.contains(v.as_str())));
            if marker && shares {
                allowed_from = Some(at);
                only_with = true;
                break;
            }
        }
    }
    if allowed_from.is_none() && exception {
        // "除非/除外" lists name who may still receive it.
        allowed_from = t.exceptions.iter().filter_map(|e| text.find(e.as_str())).min();
    }
    let condition = ["legal", "corporate_transaction", "consent"]
        .into_iter()
        .find(|name| t.conditions.get(*name).is_some_and(|cues| cues.iter().any(|c| text.contains(c.as_str()))))
        .map(str::to_string);
    StatementReading { kind, negation, subject, allowed_from, only_with, condition }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> StatementReading {
        read_statement_zh(text, BlockKind::Paragraph)
    }

    #[test]
    fn the_cue_table_parses_and_names_every_action() {
        let t: ChineseStatementTables = serde_json::from_str(STATEMENTS_ZH_JSON).expect("statements_zh.json");
        for a in ["collect", "use", "share", "sell", "retain"] {
            assert!(t.verbs.get(a).is_some_and(|v| !v.is_empty()), "{a}");
        }
        assert!(!t.negations.is_empty() && !t.exceptions.is_empty());
    }

    #[test]
    fn a_negation_denies_the_verbs_of_its_clause_only() {
        let r = read("我们会收集您的位置信息，但不会出售、出租或共享给第三方。");
        assert_eq!(r.negation.denied, vec![Action::Sell, Action::Share]);
        assert!(r.negation.affirmed.contains(&Action::Collect));
        assert!(!r.negation.affirmed.contains(&Action::Sell));
        assert!(!r.negation.conditional && !r.negation.restriction);
    }

    #[test]
    fn the_users_choice_and_words_that_only_look_negated_deny_nothing() {
        for t in ["如您不提供手机号码，将无法注册账号。", "我们收集的信息包括但不限于设备型号。", "我们不定期更新本政策并收集您的反馈。"] {
            assert!(read(t).negation.denied.is_empty(), "{t}");
        }
    }

    #[test]
    fn recipients_restricted_and_denials_with_exceptions_are_told_apart() {
        let r = read("合作伙伴无权将共享的个人信息用于其他用途。");
        assert!(r.negation.restriction && r.negation.denied.is_empty());
        let r = read("未经您的同意，我们不会与第三方共享您的个人信息。");
        assert_eq!(r.negation.denied, vec![Action::Share]);
        assert!(r.negation.conditional);
        let r = read("我们不会收集您的通讯录。");
        assert_eq!(r.negation.denied, vec![Action::Collect]);
        assert!(!r.negation.conditional);
        // A list of circumstances after the colon allows no recipient.
        let r = read("我们不会将您的个人信息转让给任何公司、组织和个人，但以下情况除外：");
        assert!(r.negation.denied.contains(&Action::Share) && !r.negation.conditional && r.allowed_from.is_none(), "{r:?}");
        let r = read("除非获得您的同意，我们不会与第三方共享您的个人信息。");
        assert!(r.negation.conditional, "{r:?}");
    }

    #[test]
    fn an_sdk_that_collects_is_the_subject() {
        assert_eq!(read("我们使用听云SDK获取您的位置信息权限，用于收集崩溃日志。").subject, Subject::ThirdParty);
        assert_eq!(read("号码认证SDK需要收集上述网络信息、当前手机号码的掩码。").subject, Subject::ThirdParty);
        assert_eq!(read("我们会收集您的设备信息，并提供给推送SDK。").subject, Subject::Unknown);
        assert_eq!(read("为接入推送SDK，我们会收集您的设备标识符。").subject, Subject::Unknown);
    }

    #[test]
    fn headings_questions_and_statements_about_the_policy() {
        assert_eq!(statement_kind_zh("一、我们如何收集和使用您的个人信息", BlockKind::Paragraph), StatementKind::Heading);
        assert_eq!(statement_kind_zh("（二）设备权限调用", BlockKind::Paragraph), StatementKind::Heading);
        assert_eq!(statement_kind_zh("【特别提示】", BlockKind::Paragraph), StatementKind::Heading);
        assert_eq!(statement_kind_zh("我们如何共享您的个人信息？", BlockKind::Paragraph), StatementKind::Question);
        assert_eq!(statement_kind_zh("您有权访问和更正您的个人信息。", BlockKind::Paragraph), StatementKind::Meta);
        assert_eq!(statement_kind_zh("1. 我们会收集您的设备信息。", BlockKind::Paragraph), StatementKind::Statement);
        assert_eq!(statement_kind_zh("我们会收集您的手机号码。", BlockKind::Paragraph), StatementKind::Statement);
        assert_eq!(statement_kind_zh("5、您自行向社会公众公开的个人信息；", BlockKind::ListItem), StatementKind::LegalGround);
        assert_eq!(statement_kind_zh("与国家安全、国防安全直接相关的；", BlockKind::ListItem), StatementKind::LegalGround);
        // A lead-in that ends in a colon is a statement, a title is not.
        assert_eq!(statement_kind_zh("我们主要通过以下途径收集您的个人信息：", BlockKind::Heading), StatementKind::Statement);
        assert_eq!(statement_kind_zh("（一）我行将通过以下途径收集和获得您的个人信息：", BlockKind::Paragraph), StatementKind::Statement);
        assert_eq!(statement_kind_zh("一、我们如何收集和使用您的个人信息", BlockKind::Heading), StatementKind::Heading);
        assert_eq!(statement_kind_zh("设备信息：", BlockKind::Heading), StatementKind::Heading);
    }

    #[test]
    fn only_with_and_pronoun_subjects_and_conditions() {
        let r = read("我们仅会与支付机构共享您的订单信息。");
        assert!(r.only_with && r.allowed_from.is_some());
        assert_eq!(read("上述第三方会收集您的设备标识符。").subject, Subject::ThirdParty);
        assert_eq!(read("根据法律法规的要求，我们可能会向司法机关披露您的个人信息。").condition.as_deref(), Some("legal"));
        assert_eq!(read("如发生合并、收购，您的个人信息可能会被转移。").condition.as_deref(), Some("corporate_transaction"));
    }
}
