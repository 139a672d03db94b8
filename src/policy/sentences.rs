//! Sentence splitting (stub).
/// Byte ranges of the sentences in `s`.
pub fn split_sentences(s: &str) -> Vec<(usize, usize)> {
    if s.trim().is_empty() { vec![] } else { vec![(0, s.len())] }
}
