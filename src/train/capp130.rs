//! Chinese training data: the CAPP-130 corpus (CC BY 4.0; 104 labelled app
//! policies, one sentence per line with its categories) put in the model's
//! label space, split by policy, with hand labels where there are some.
//!
//! CAPP-130's categories say what a sentence is about, not which data it
//! names, so a sentence's labels are built from three sources:
//! * its categories: 数据收集 (first-party collection) and 权限获取
//!   (permission) give `practice`, `first_party`, `collect`; 共享、委托、
//!   转让、公开 gives `practice`, `third_party`, `share`; 使用 gives
//!   `practice`, `first_party`, `use`; 存储方式 gives `practice`, `retain`;
//!   the other eight (security, rights, contact, changes ...) give nothing;
//! * its wording: a practice sentence that negates a practice verb
//!   ([`negates_a_practice_zh`]) is `negated`, and each data type the
//!   ontology's Chinese names find in a practice sentence gives its data
//!   group (a weak label, like OPP-115's projection);
//! * hand labels (`models/training/capp130_train_hand.jsonl`, disclosure
//!   format) replace all of that for the sentences they cover.

use super::dataset::Example;
use super::disclosure::AppSentence;
use crate::extract::model::labels::{group_of, DataGroup};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Which CAPP-130 policies are held out: `dev` (validation while training,
/// and the development half of the Chinese evaluation) and `test` (only
/// reported). Every other labelled policy trains.
#[derive(Debug, Clone, Deserialize)]
pub struct Capp130Split {
    pub dev: Vec<String>,
    pub test: Vec<String>,
}

/// Where a policy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Train,
    Dev,
    Test,
}

impl Capp130Split {
    /// Read the split file (JSON: `{"dev": [...], "test": [...]}` of
    /// annotation file names such as `rw_41.jsonl`).
    pub fn load(path: &Path) -> crate::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::input(path, crate::error::describe_io(&e)))?;
        serde_json::from_str(&text).map_err(|e| crate::Error::input(path, e))
    }

    /// The part a policy file belongs to.
    pub fn part(&self, file: &str) -> Part {
        if self.test.iter().any(|t| t == file) {
            Part::Test
        } else if self.dev.iter().any(|t| t == file) {
            Part::Dev
        } else {
            Part::Train
        }
    }
}

/// One line of a CAPP-130 annotation file.
#[derive(Debug, Deserialize)]
struct Line {
    text: String,
    #[serde(default)]
    label: serde_json::Value,
}

/// The labels a CAPP-130 category gives.
fn category_labels(category: &str) -> Option<&'static [&'static str]> {
    Some(match category {
        "数据收集" | "权限获取" => &["practice", "first_party", "collect"],
        "共享、委托、转让、公开（披露）" => &["practice", "third_party", "share"],
        "使用" => &["practice", "first_party", "use"],
        "存储方式" => &["practice", "retain"],
        "安全措施" | "特殊人群" | "数据、权限管理" | "联系方式" | "隐私政策的授权、修改与变更" | "停止运营" | "摘要" | "潜在风险" => &[],
        _ => return None,
    })
}

/// Chinese negations of a practice.
const NEGATIONS: &[&str] = &["不会", "绝不", "不得", "不再", "无权", "禁止", "不", "未", "无需", "并非", "从不"];

/// Chinese practice verbs.
const VERBS: &[&str] = &[
    "收集", "采集", "获取", "读取", "访问", "使用", "利用", "共享", "提供", "出售", "售卖", "出租", "转让", "披露", "公开", "存储", "保存",
    "储存", "传输", "上传", "发送", "交易", "买卖", "调用", "记录", "追踪", "跟踪",
];

/// Does a Chinese sentence say that a data practice does not happen? A
/// negation (不会, 绝不, 不得, 未 ...) with a practice verb after it in the
/// same clause (up to 24 characters, not past ，。；), unless the clause
/// before it names the user and not us ("如您不提供", "您可以不使用") or the negation is of
/// something else ("不同意", "不影响", "不限于", "不包括").
pub fn negates_a_practice_zh(text: &str) -> bool {
    let s = text;
    for (i, _) in s.char_indices() {
        let rest = &s[i..];
        let Some(neg) = NEGATIONS.iter().find(|n| rest.starts_with(**n)) else { continue };
        let after = &rest[neg.len()..];
        if ["同意", "影响", "限于", "包括", "能", "可", "便", "足", "满", "符"].iter().any(|w| after.starts_with(w)) && *neg == "不" {
            continue;
        }
        // "如您不提供", "您可以不使用": the user's choice, when the clause
        // before the negation names the user and not us.
        let head: String = s[..i].chars().rev().take_while(|c| !matches!(c, '，' | '。' | '；' | ',' | ';')).collect();
        if head.contains('您') && !head.contains("们我") {
            continue;
        }
        let clause: String = after.chars().take_while(|c| !matches!(c, '，' | '。' | '；' | ',' | ';' | '！' | '？')).take(24).collect();
        if VERBS.iter().any(|v| clause.contains(v)) {
            return true;
        }
    }
    false
}

/// Labelled sentences of the CAPP-130 annotation folder (`rw_*.jsonl`),
/// each with its part; a hand-labelled sentence comes `hand_repeat` times
/// (at least once), weighting the hand labels against the labels derived
/// from the corpus's categories. A line whose label is not a list of known
/// categories is dropped (the corpus has a few malformed ones); a file that
/// cannot be read or parsed is an error naming it.
pub fn capp130_examples(
    dir: &Path,
    split: &Capp130Split,
    hand: &[AppSentence],
    hand_repeat: usize,
    ont: &crate::ontology::Ontologies,
    groups: &[DataGroup],
) -> crate::Result<Vec<(Part, Example)>> {
    let hand_examples = super::dataset::examples_from_disclosures(hand, ont, groups);
    let by_text: HashMap<(&str, &str), &Example> =
        hand.iter().zip(&hand_examples).map(|(s, e)| ((s.app.as_str(), s.text.as_str()), e)).collect();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| crate::Error::input(dir, crate::error::describe_io(&e)))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("rw_") && n.ends_with(".jsonl")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(crate::Error::input(dir, "no CAPP-130 annotation files (rw_*.jsonl)"));
    }
    let mut out = Vec::new();
    let (mut dropped, mut replaced) = (0usize, 0usize);
    for path in files {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let policy = format!("capp130:{}", file.trim_end_matches(".jsonl"));
        let part = split.part(&file);
        let raw = std::fs::read_to_string(&path).map_err(|e| crate::Error::input(&path, crate::error::describe_io(&e)))?;
        for (n, line) in raw.trim_start_matches('\u{feff}').lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let l: Line = serde_json::from_str(line).map_err(|e| crate::Error::input(&path, format!("line {}: {e}", n + 1)))?;
            let text = l.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if text.is_empty() {
                continue;
            }
            if let Some(h) = by_text.get(&(policy.as_str(), l.text.as_str())) {
                for _ in 0..hand_repeat.max(1) {
                    out.push((part, Example { policy: policy.clone(), text: text.clone(), labels: h.labels.clone() }));
                }
                replaced += 1;
                continue;
            }
            let Some(categories) = l.label.as_array().and_then(|a| a.iter().map(|v| v.as_str()).collect::<Option<Vec<&str>>>()) else {
                dropped += 1;
                continue;
            };
            let mut labels: BTreeSet<String> = BTreeSet::new();
            let mut known = true;
            for c in categories {
                match category_labels(c) {
                    Some(ls) => labels.extend(ls.iter().map(|s| s.to_string())),
                    None => known = false,
                }
            }
            if !known {
                dropped += 1;
                continue;
            }
            if labels.contains("practice") {
                if negates_a_practice_zh(&text) {
                    labels.insert("negated".into());
                }
                for m in ont.data_types.find_phrases(&text) {
                    if let Some(g) = group_of(groups, &ont.data_types, &m.id) {
                        labels.insert(format!("group:{}", g.name));
                    }
                }
            }
            out.push((part, Example { policy: policy.clone(), text, labels: labels.into_iter().collect() }));
        }
    }
    eprintln!("CAPP-130: {} sentences, {} with hand labels, {} malformed lines dropped", out.len(), replaced, dropped);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_negations_of_practices_are_recognised() {
        for t in [
            "我们不会向任何第三方出售您的个人信息。",
            "我们绝不会将您的通讯录上传至服务器。",
            "未经您的同意，我们不会与第三方共享您的个人信息。",
            "我们不会收集您的剪切板信息",
        ] {
            assert!(negates_a_practice_zh(t), "{t}");
        }
        for t in [
            "如您不同意本政策，您可以不使用我们的服务。",
            "如您不提供上述信息，将无法使用该功能。",
            "我们收集的信息包括但不限于设备型号、操作系统版本。",
            "我们会收集您的位置信息，以便为您推荐附近的商家。",
            "这不影响您使用其他功能。",
        ] {
            assert!(!negates_a_practice_zh(t), "{t}");
        }
    }

    #[test]
    fn categories_map_to_labels_and_unknown_ones_are_refused() {
        assert_eq!(category_labels("共享、委托、转让、公开（披露）"), Some(&["practice", "third_party", "share"][..]));
        assert_eq!(category_labels("安全措施"), Some(&[][..]));
        assert_eq!(category_labels("数据收集x"), None);
    }
}
