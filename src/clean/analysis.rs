//! Step 1, analysis: a document's paragraphs normalized, hashed and
//! sketched for the near-duplicate stage. Pure, so it runs in parallel.

use super::{Cleaner, Index, site};
use crate::normalize::{NormalizedParagraph, WordCase, word_cases};
use crate::paragraph::Layout;
use crate::removal::RemovalKind;
use crate::shingle::paragraph_hash;
use crate::shingle::tokens::{LOWER, NAME, bigram_bloom, shingles_into, tokens_with, winnow_into};

/// What the near-duplicate stage keeps of a paragraph: its words as
/// tokens and its winnowed fingerprints ([`crate::shingle::tokens`]).
///
/// The two sequences share one allocation. The shingles themselves are not
/// kept: the decision finds them again from the tokens
/// ([`crate::shingle::probe`]), and [`Sketch::shingles`] hashes them anew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sketch {
    /// The tokens, then the fingerprints.
    data: Box<[u32]>,
    /// Where the fingerprints start in `data`.
    fingerprints_at: u32,
    width: usize,
    blooms: Box<[(u32, u64)]>,
}

impl Sketch {
    /// One token per word, in order.
    pub fn tokens(&self) -> &[u32] {
        &self.data[..self.fingerprints_at as usize]
    }

    /// Tokens per shingle.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Sorted, deduplicated shingle hashes, computed from the tokens.
    pub fn shingles(&self) -> Vec<u32> {
        let mut shingles = Vec::new();
        shingles_into(self.tokens(), self.width, &mut shingles);
        shingles.sort_unstable();
        shingles.dedup();
        shingles
    }

    /// Sorted, deduplicated winnowed fingerprints (a subset of
    /// [`Sketch::shingles`]).
    pub fn fingerprints(&self) -> &[u32] {
        &self.data[self.fingerprints_at as usize..]
    }

    /// The spelling Bloom filter of each name token.
    pub fn blooms(&self) -> &[(u32, u64)] {
        &self.blooms
    }
}

/// Buffers [`Cleaner::sketch`] reuses across the paragraphs a thread
/// sketches.
#[derive(Default)]
struct SketchScratch {
    cases: Vec<WordCase>,
    names: Vec<(usize, u64)>,
    tokens: Vec<u32>,
    /// The shingle hashes, one per position.
    shingles: Vec<u32>,
    fingerprints: Vec<u32>,
}

thread_local! {
    static SKETCH_SCRATCH: std::cell::RefCell<SketchScratch> =
        std::cell::RefCell::default();
}

/// The normalized, hashed paragraphs of one document: the output of
/// [`Cleaner::analyze`], input of [`Cleaner::decide`].
#[derive(Clone, Debug)]
pub struct Analysis {
    pub(super) layout: Layout,
    pub(super) bytes_in: usize,
    pub(super) paragraphs: Vec<NormalizedParagraph>,
    /// Hash of each paragraph's key; `None` for paragraphs already removed.
    pub(crate) hashes: Vec<Option<u64>>,
    /// Sketch of each paragraph that is long enough for the near stage.
    pub(super) sketches: Vec<Option<Sketch>>,
}

impl Analysis {
    /// The detected layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The normalized paragraphs.
    pub fn paragraphs(&self) -> &[NormalizedParagraph] {
        &self.paragraphs
    }

    /// The near-duplicate sketch of each paragraph (`None` for removed and
    /// short ones, or when the near stage is off).
    pub fn sketches(&self) -> &[Option<Sketch>] {
        &self.sketches
    }

    /// Removes the paragraphs that are boilerplate of `site` (rule
    /// [`site::SITE_RULE`]) before [`Cleaner::decide`] sees them; returns
    /// how many went.
    pub fn remove_site_boilerplate(
        &mut self,
        site: &str,
        boilerplate: &site::SiteBoilerplate,
    ) -> usize {
        let mut removed = 0;
        for (i, hash) in self.hashes.iter_mut().enumerate() {
            let Some(key) = *hash else { continue };
            if boilerplate.documents_with(site, key).is_none() {
                continue;
            }
            self.paragraphs[i].remove(RemovalKind::Boilerplate, Some(site::SITE_RULE));
            *hash = None;
            self.sketches[i] = None;
            removed += 1;
        }
        removed
    }
}

impl Cleaner {
    /// The near-duplicate sketch of a paragraph from its cleaned `text` and
    /// its matching `key`: tokens, shingles, fingerprints. Public and
    /// deterministic, so that another process computes the same ones;
    /// `None` when the near stage is off or the key is empty.
    pub fn sketch(&self, text: &str, key: &str) -> Option<Sketch> {
        let near = self.near.as_ref()?;
        if key.is_empty() {
            return None;
        }
        SKETCH_SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            let SketchScratch {
                cases,
                names,
                tokens,
                shingles,
                fingerprints,
            } = scratch;
            word_cases(text, cases);
            // Names need the text's words to line up with the key's, in a
            // text not mostly in capitals.
            let words = crate::normalize::key_words(key);
            if cases.len() != words || cases.iter().filter(|c| c.upper).count() * 2 > words {
                cases.clear();
            }
            names.clear();
            tokens.clear();
            let width = tokens_with(
                key,
                near.shingle_words,
                near.shingle_chars,
                tokens,
                |i, word| {
                    let Some(case) = cases.get(i) else {
                        return 0;
                    };
                    // Capitalized, and not a stop word opening a sentence.
                    if case.capitalized && !(case.initial && self.stop_words.contains(word)) {
                        names.push((i, bigram_bloom(word)));
                        NAME
                    } else if case.capitalized || case.upper {
                        0
                    } else {
                        LOWER
                    }
                },
            );
            shingles.clear();
            shingles_into(tokens, width, shingles);
            winnow_into(shingles, near.winnow_window, fingerprints);
            let mut data = Vec::with_capacity(tokens.len() + fingerprints.len());
            data.extend_from_slice(tokens);
            data.extend_from_slice(fingerprints);
            // Fewer than 2^32 words: a paragraph is at most a few MB.
            let fingerprints_at = u32::try_from(tokens.len()).unwrap_or(u32::MAX);
            Some(Sketch {
                data: data.into_boxed_slice(),
                fingerprints_at,
                width,
                blooms: names.iter().map(|&(i, bloom)| (tokens[i], bloom)).collect(),
            })
        })
    }

    /// Step 1: normalize and hash. Needs no index; safe to run in parallel.
    pub fn analyze(&self, text: &str) -> Analysis {
        self.analyze_with(text, |_| false)
    }

    /// Step 1 with a read-only look at the index the document will be
    /// decided against (or an earlier state of it, as when a batch is
    /// analyzed in parallel before any of it is decided): a paragraph the
    /// index already holds is an exact repeat, decided without a sketch,
    /// so none is made. The decisions are those of [`Cleaner::analyze`].
    pub fn analyze_against(&self, index: &Index, text: &str) -> Analysis {
        self.analyze_with(text, |hash| index.knows(hash))
    }

    /// Step 1 where `known` says which paragraph hashes the index will
    /// hold when the document is decided: for those, no sketch is made.
    /// `known` may say less than the index will hold (an earlier state of
    /// it), never more.
    pub(crate) fn analyze_with(&self, text: &str, known: impl Fn(u64) -> bool) -> Analysis {
        let doc = self.normalizer.normalize_document(text);
        let hashes: Vec<Option<u64>> = doc
            .paragraphs
            .iter()
            .map(|p| p.kept().map(|kept| paragraph_hash(&kept.key)))
            .collect();
        let sketches = doc
            .paragraphs
            .iter()
            .zip(&hashes)
            .map(|(p, hash)| {
                let hash = (*hash)?;
                let kept = p.kept()?;
                (kept.words >= self.short_words && !known(hash))
                    .then(|| self.sketch(&kept.text, &kept.key))?
            })
            .collect();
        Analysis {
            layout: doc.layout,
            bytes_in: text.len(),
            paragraphs: doc.paragraphs,
            hashes,
            sketches,
        }
    }
}
