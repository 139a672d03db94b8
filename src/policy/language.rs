//! Language of a piece of policy text: English or Chinese.
//!
//! Decided by script: Han characters against Latin letters. A Han character
//! carries about a word, an English word about five letters, so text counts
//! as Chinese when it has Han characters and no Latin letters, or at least
//! two Han characters and three times its Han characters are at least its
//! Latin letters ("我们使用Google
//! Analytics收集您的设备信息。" is Chinese; "We use 微信 to share." is
//! English). Text with neither (numbers, punctuation) is English, the
//! default.

use serde::{Deserialize, Serialize};

/// A language candor tells apart in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Zh,
}

impl Language {
    /// The ISO 639-1 code: "en", "zh".
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Han characters and Latin letters in `text`. The letters of URLs and
/// e-mail addresses do not count ("联系邮箱：privacy@example.com" is Chinese).
pub(crate) fn script_counts(text: &str) -> (usize, usize) {
    let mut han = 0usize;
    let mut latin = 0usize;
    // A run of characters that are neither whitespace nor Han: a "word".
    let mut word_letters = 0usize;
    let mut word_is_address = false;
    let mut prev = ' ';
    let end_word = |letters: &mut usize, address: &mut bool, latin: &mut usize| {
        if !*address {
            *latin += *letters;
        }
        *letters = 0;
        *address = false;
    };
    for c in text.chars() {
        if is_han(c) || c.is_whitespace() || matches!(c, '，' | '。' | '：' | '；' | '、' | '（' | '）') {
            end_word(&mut word_letters, &mut word_is_address, &mut latin);
            if is_han(c) {
                han += 1;
            }
        } else {
            if c.is_ascii_alphabetic() || (c.is_alphabetic() && ('\u{00C0}'..='\u{024F}').contains(&c)) {
                word_letters += 1;
            }
            if c == '@' || (c == '/' && prev == '/') {
                word_is_address = true;
            }
        }
        prev = c;
    }
    end_word(&mut word_letters, &mut word_is_address, &mut latin);
    (han, latin)
}

/// The language of one piece of text (a sentence, a block): the best
/// guess, English when there is nothing to go on.
pub fn detect_language(text: &str) -> Language {
    let (han, latin) = script_counts(text);
    language_of_counts(han, latin)
}

/// The language of `text` when it says clearly: two or more Han characters
/// for Chinese, ten or more Latin letters for English. "3.", "Vivo SDK",
/// "（一）Cookie" say nothing clear; they take the language around them.
pub(crate) fn clear_language(text: &str) -> Option<Language> {
    let (han, latin) = script_counts(text);
    match language_of_counts(han, latin) {
        Language::Zh if han >= 2 => Some(Language::Zh),
        Language::En if latin >= 10 => Some(Language::En),
        _ => None,
    }
}

pub(crate) fn language_of_counts(han: usize, latin: usize) -> Language {
    if (han >= 1 && latin == 0) || (han >= 2 && han * 3 >= latin) {
        Language::Zh
    } else {
        Language::En
    }
}

/// A CJK unified ideograph (the common blocks and extension A).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_script() {
        assert_eq!(detect_language("We collect your location."), Language::En);
        assert_eq!(detect_language("我们收集您的位置信息。"), Language::Zh);
        assert_eq!(detect_language("我们使用Google Analytics收集您的设备信息。"), Language::Zh);
        assert_eq!(detect_language("We use 微信 to share your photos."), Language::En);
        assert_eq!(detect_language("2021-01-25"), Language::En);
        assert_eq!(detect_language("一、"), Language::Zh);
        assert_eq!(detect_language("Name (名)"), Language::En);
        assert_eq!(detect_language("联系邮箱：privacy@mihoyo.com"), Language::Zh);
        assert_eq!(detect_language("官网链接： https://developer.huawei.com/consumer/cn/"), Language::Zh);
        assert_eq!(clear_language("（一）Cookie"), None);
        assert_eq!(clear_language("3."), None);
        assert_eq!(clear_language("We use cookies."), Some(Language::En));
        assert_eq!(clear_language("我们使用。"), Some(Language::Zh));
        assert_eq!(detect_language("一、收集"), Language::Zh);
    }

    #[test]
    fn serde_codes() {
        assert_eq!(serde_json::to_string(&Language::Zh).ok().as_deref(), Some("\"zh\""));
        assert_eq!(serde_json::from_str::<Language>("\"en\"").ok(), Some(Language::En));
    }
}
