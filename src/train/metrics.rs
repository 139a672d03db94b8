//! Precision, recall and F1 per label, and threshold tuning.

use serde::Serialize;

/// Counts and scores of one label.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LabelScore {
    pub label: String,
    pub support: usize,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl LabelScore {
    /// Scores from counts.
    pub fn from_counts(label: &str, tp: usize, fp: usize, fn_: usize) -> Self {
        let precision = if tp + fp == 0 { 0.0 } else { tp as f64 / (tp + fp) as f64 };
        let recall = if tp + fn_ == 0 { 0.0 } else { tp as f64 / (tp + fn_) as f64 };
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        LabelScore { label: label.to_string(), support: tp + fn_, tp, fp, fn_, precision, recall, f1 }
    }
}

/// Score predicted label sets against gold label sets for each name.
pub fn score_sets(names: &[String], gold: &[Vec<String>], predicted: &[Vec<String>]) -> Vec<LabelScore> {
    names
        .iter()
        .map(|name| {
            let (mut tp, mut fp, mut fn_) = (0, 0, 0);
            for (g, p) in gold.iter().zip(predicted) {
                let (in_g, in_p) = (g.contains(name), p.contains(name));
                match (in_g, in_p) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fn_ += 1,
                    _ => {}
                }
            }
            LabelScore::from_counts(name, tp, fp, fn_)
        })
        .collect()
}

/// Counts and scores of probabilities `p` against `y` at threshold `t`.
pub fn score_at(p: &[f32], y: &[bool], t: f32) -> LabelScore {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (&pi, &yi) in p.iter().zip(y) {
        match (yi, pi >= t) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            _ => {}
        }
    }
    LabelScore::from_counts("", tp, fp, fn_)
}

/// F1 of probabilities `p` against `y` at threshold `t`.
pub fn f1_at(p: &[f32], y: &[bool], t: f32) -> f64 {
    score_at(p, y, t).f1
}

/// The thresholds tuning tries: 0.05, 0.10, ... 0.95.
pub fn candidate_thresholds() -> impl Iterator<Item = f32> {
    (1..20).map(|k| k as f32 * 0.05)
}

/// Fewest positive examples a label needs in the tuning data before its
/// threshold moves from 0.5: with one to four positives the F1-best cut is
/// noise (one validation sentence of `social_media` once set 0.05, which
/// then fired on app sentences about sign-in and photos).
pub const MIN_TUNING_POSITIVES: usize = 5;

/// The threshold in 0.05..0.95 with the best F1 (0.5 when there are fewer
/// than [`MIN_TUNING_POSITIVES`] positives).
pub fn tune_threshold(p: &[f32], y: &[bool]) -> f32 {
    if y.iter().filter(|&&v| v).count() < MIN_TUNING_POSITIVES {
        return 0.5;
    }
    let mut best = (0.5f32, f1_at(p, y, 0.5));
    for t in candidate_thresholds() {
        let f = f1_at(p, y, t);
        if f > best.1 + 1e-9 {
            best = (t, f);
        }
    }
    best.0
}

/// One tuned threshold per output column: `probs[i][j]` is sentence `i`'s
/// probability for output `j`, `gold[i][j]` its target (1.0 or 0.0).
pub fn tune_thresholds(probs: &[Vec<f32>], gold: &[Vec<f32>], outputs: usize) -> Vec<f32> {
    (0..outputs)
        .map(|j| {
            let p: Vec<f32> = probs.iter().map(|r| r.get(j).copied().unwrap_or(0.0)).collect();
            let y: Vec<bool> = gold.iter().map(|g| g.get(j).is_some_and(|&v| v > 0.5)).collect();
            tune_threshold(&p, &y)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_count_right() {
        let s = LabelScore::from_counts("x", 8, 2, 2);
        assert!((s.precision - 0.8).abs() < 1e-9 && (s.recall - 0.8).abs() < 1e-9 && (s.f1 - 0.8).abs() < 1e-9);
        let names = vec!["a".to_string()];
        let gold = vec![vec!["a".to_string()], vec![], vec!["a".to_string()]];
        let pred = vec![vec!["a".to_string()], vec!["a".to_string()], vec![]];
        let s = &score_sets(&names, &gold, &pred)[0];
        assert_eq!((s.tp, s.fp, s.fn_), (1, 1, 1));
    }

    #[test]
    fn threshold_tuning_finds_the_separating_cut() {
        let p = [0.1, 0.2, 0.3, 0.35, 0.4, 0.42, 0.9];
        let y = [false, false, true, true, true, true, true];
        let t = tune_threshold(&p, &y);
        assert!(t > 0.2 && t <= 0.3, "{t}");
        assert_eq!(f1_at(&p, &y, t), 1.0);
    }

    #[test]
    fn too_few_positives_keep_the_default_threshold() {
        let p = [0.01, 0.02, 0.06, 0.03, 0.04, 0.02];
        let y = [false, false, true, false, false, true];
        assert_eq!(tune_threshold(&p, &y), 0.5, "two positives say nothing about where to cut");
        let y5 = [true; 5];
        assert!(tune_threshold(&p[..5], &y5) < 0.5);
    }
}
