//! The near-duplicate decision: verified candidate pairs and the sweep that
//! turns them into removals.
//!
//! # The decision rule
//!
//! A (non-short, not exactly duplicated) paragraph is removed as a
//! near-duplicate of the **earliest kept** paragraph that **passes** it:
//! the exact Jaccard similarity of their shingle sets is at least
//! [`NearRule::threshold`], or the containment of the later paragraph in the
//! earlier one (the share of its shingles found there) is at least
//! [`NearRule::containment`]. `duplicate_of` names that kept paragraph.
//!
//! Candidates come from MinHash LSH; every pair is verified exactly before
//! anything is removed. [`sweep`] is the one place the rule is applied: the
//! single-machine path calls it for every paragraph with the pairs its
//! buckets gave, and a distributed run would call it once over all verified
//! pairs, sorted by the later paragraph, with the same result.

use std::collections::HashSet;

use crate::removal::ParagraphRef;

/// Similarity thresholds of the near-duplicate decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearRule {
    /// Jaccard similarity at or above which a pair is a near-duplicate.
    pub threshold: f64,
    /// Containment at or above which a pair is a near-duplicate.
    pub containment: f64,
}

impl NearRule {
    /// Whether a pair with these measures is a near-duplicate.
    pub fn passes(&self, similarity: f64, containment: f64) -> bool {
        similarity >= self.threshold || containment >= self.containment
    }
}

/// A candidate pair, verified: exact measures of the two shingle sets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VerifiedPair {
    /// The paragraph that comes later in input order.
    pub later: ParagraphRef,
    /// The earlier one.
    pub earlier: ParagraphRef,
    /// Exact Jaccard similarity.
    pub similarity: f64,
    /// Share of `later`'s shingles found in `earlier`.
    pub containment: f64,
}

/// One near-duplicate removal decided by [`sweep`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearDecision {
    /// The removed paragraph.
    pub paragraph: ParagraphRef,
    /// The kept paragraph it repeats.
    pub duplicate_of: ParagraphRef,
    /// Their Jaccard similarity.
    pub similarity: f64,
    /// Containment of the removed paragraph in the kept one.
    pub containment: f64,
}

/// Applies the decision rule to verified pairs sorted by `(later, earlier)`.
///
/// `removed` holds the paragraphs removed so far (by any stage); those are
/// never chosen as the kept copy, and each paragraph removed here is added.
///
/// ```
/// use newsdedup::clean::{sweep, NearRule, VerifiedPair};
/// use newsdedup::{DocId, ParagraphRef};
/// use std::collections::HashSet;
/// let p = |doc, paragraph| ParagraphRef { doc: DocId(doc), paragraph };
/// let pair = |later, earlier, similarity| VerifiedPair { later, earlier, similarity, containment: 0.0 };
/// let rule = NearRule { threshold: 0.8, containment: 0.9 };
/// // b repeats a; c repeats b only (b is removed, so c stays) and a.
/// let pairs = [pair(p(1, 0), p(0, 0), 0.9), pair(p(2, 0), p(0, 0), 0.85), pair(p(2, 0), p(1, 0), 0.95)];
/// let decisions = sweep(&pairs, &rule, &mut HashSet::new());
/// assert_eq!(decisions.len(), 2);
/// assert_eq!(decisions[1].duplicate_of, p(0, 0));
/// ```
pub fn sweep(
    pairs: &[VerifiedPair],
    rule: &NearRule,
    removed: &mut HashSet<ParagraphRef>,
) -> Vec<NearDecision> {
    debug_assert!(
        pairs
            .windows(2)
            .all(|w| (w[0].later, w[0].earlier) <= (w[1].later, w[1].earlier)),
        "pairs must be sorted by (later, earlier)"
    );
    let mut decisions = Vec::new();
    let mut i = 0;
    while i < pairs.len() {
        let later = pairs[i].later;
        let group_end = pairs[i..]
            .iter()
            .position(|p| p.later != later)
            .map_or(pairs.len(), |n| i + n);
        if !removed.contains(&later) {
            let chosen = pairs[i..group_end].iter().find(|p| {
                p.earlier < later
                    && !removed.contains(&p.earlier)
                    && rule.passes(p.similarity, p.containment)
            });
            if let Some(p) = chosen {
                removed.insert(later);
                decisions.push(NearDecision {
                    paragraph: later,
                    duplicate_of: p.earlier,
                    similarity: p.similarity,
                    containment: p.containment,
                });
            }
        }
        i = group_end;
    }
    decisions
}
