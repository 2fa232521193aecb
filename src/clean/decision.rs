//! Step 2, decision: each paragraph's fate against the index, in input
//! order, and the document recorded in the index.

use std::borrow::Cow;

use super::cover;
use super::index::{self, Candidate, HashTable, NearMatch, Sources};
use super::result::assemble;
use super::token_store::PlainTokens;
use super::{
    Analysis, Cleaned, Cleaner, Evidence, FURNITURE_TAIL, Index, MAX_POSTINGS, NearSettings,
    SHORT_SIMILARITY, Sketch,
};
use crate::removal::{DocId, ParagraphRef};
use crate::shingle::document_hash_of;
use crate::shingle::probe::ShingleProbe;
use crate::shingle::tokens::same_word;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Fate {
    Keep,
    Duplicate(ParagraphRef, &'static str),
    /// A short paragraph with an earlier copy: kept unless part of a run.
    ShortRepeat(ParagraphRef),
    Near(NearMatch, &'static str),
    /// A short line that recurs at the edge of many articles: page
    /// furniture ([`FURNITURE_RULE`](super::FURNITURE_RULE)), with its first copy.
    Furniture(ParagraphRef),
}

impl Fate {
    /// The paragraph this one repeats, when it is removed as a repeat.
    pub(super) fn copy(&self) -> Option<ParagraphRef> {
        match self {
            Fate::Duplicate(at, _) => Some(*at),
            Fate::Near(m, _) => Some(m.of),
            Fate::Keep | Fate::ShortRepeat(_) | Fate::Furniture(_) => None,
        }
    }
}

impl Cleaner {
    /// Step 2: decide against `index` and record the document in it under
    /// `id`. Call in input order.
    pub fn decide(&self, index: &mut Index, id: &str, analysis: Analysis) -> Cleaned {
        let doc = index.add_document(id);
        let candidates: Vec<Candidate> = analysis
            .hashes
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                h.map(|hash| {
                    let para = &analysis.paragraphs[i];
                    // Short keys are kept for near-duplicate runs only.
                    let short = para.words() < self.short_words;
                    let short_key = (short && self.near.is_some()).then_some(para.key());
                    Candidate {
                        paragraph: i as u32,
                        hash,
                        short,
                        short_key,
                    }
                })
            })
            .collect();
        let mut fates = vec![Fate::Keep; candidates.len()];
        let doc_hash =
            (!candidates.is_empty()).then(|| document_hash_of(candidates.iter().map(|c| c.hash)));
        let mut duplicate_document_of = doc_hash.and_then(|h| index.document(h));
        let repeated_document = duplicate_document_of.is_some()
            && candidates.iter().zip(fates.iter_mut()).all(|(c, fate)| {
                // Each paragraph of the earlier document was kept, an exact
                // duplicate of a kept one, or a near-duplicate of one.
                if let Some(at) = index.first_copy(c.hash) {
                    *fate = Fate::Duplicate(at, "duplicate-document");
                } else if let Some(m) = index.alias(c.hash) {
                    *fate = Fate::Near(m, "duplicate-document");
                } else {
                    return false;
                }
                true
            });
        let mut near_counts = (0, 0);
        // The covering paragraphs of near-duplicates that merge several.
        let mut merged = Vec::new();
        if !repeated_document {
            duplicate_document_of = None;
            near_counts = DOCUMENT_SCRATCH.with(|document| {
                self.decide_paragraphs(
                    index,
                    doc,
                    &analysis,
                    &candidates,
                    &mut fates,
                    &mut merged,
                    &mut document.borrow_mut(),
                )
            });
        }
        if !repeated_document {
            extend_runs(index, doc, &candidates, &mut fates, self.near.is_some());
        }
        // What is left may repeat what an earlier document kept: then the
        // document repeats that document once its repeats are gone.
        let kept_hash = kept_document_hash(&candidates, &fates);
        if let Some(earlier) = kept_hash.and_then(|h| index.kept_document(h))
            && duplicate_document_of.is_none()
            && remove_kept(index, &candidates, &mut fates)
        {
            duplicate_document_of = Some(earlier);
        }
        let duplicate_fraction = duplicate_fraction(doc, &analysis, &candidates, &fates);
        let dropped = self
            .drop_duplicate_docs
            .is_some_and(|f| !candidates.is_empty() && duplicate_fraction >= f);
        let mut fate_of = vec![None; analysis.paragraphs.len()];
        for (c, fate) in candidates.iter().zip(&fates) {
            fate_of[c.paragraph as usize] = Some(*fate);
        }
        if !dropped {
            commit(index, doc, &analysis, &candidates, &fates, doc_hash);
            if let Some(hash) = kept_document_hash(&candidates, &fates) {
                index.insert_kept_document(hash, doc);
            }
            // Runs step from a copy, which is always a kept paragraph or
            // next to one in its document: a document that kept nothing is
            // never stepped through.
            if fates.iter().any(|f| matches!(f, Fate::Keep)) {
                index.insert_lines(doc, &candidates);
            }
        }
        let mut cleaned = assemble(doc, analysis, fate_of, duplicate_document_of, merged);
        cleaned.duplicate_fraction = duplicate_fraction;
        cleaned.dropped = dropped;
        (cleaned.near_pairs_verified, cleaned.near_paragraphs_checked) = near_counts;
        cleaned
    }

    /// Exact and near-duplicate fates of the candidates of a document that
    /// does not repeat an earlier one. Nothing enters the index here.
    #[allow(clippy::too_many_arguments)]
    fn decide_paragraphs(
        &self,
        index: &Index,
        doc: DocId,
        analysis: &Analysis,
        candidates: &[Candidate],
        fates: &mut [Fate],
        sources: &mut Vec<(u32, Vec<ParagraphRef>)>,
        document: &mut DocumentScratch,
    ) -> (usize, usize) {
        document.reset();
        let DocumentScratch {
            local_first,
            local_alias,
            local,
            scratch,
        } = document;
        let mut verified = 0;
        let mut checked = 0;
        let edges = furniture_edges(candidates.len());
        for (pos, (fate, c)) in fates.iter_mut().zip(candidates).enumerate() {
            let at = ParagraphRef {
                doc,
                paragraph: c.paragraph,
            };
            if c.short
                && edges(pos)
                && index.is_furniture(c.hash)
                && let Some(first) = index.first_copy(c.hash)
            {
                *fate = Fate::Furniture(first);
                continue;
            }
            let earlier = index
                .first_copy(c.hash)
                .or_else(|| local_first.get(&c.hash).copied());
            // Looked up only when needed: most paragraphs of a news corpus
            // that reach here are exact repeats, and each lookup is a
            // cache miss in a large table.
            let alias = || {
                index
                    .alias(c.hash)
                    .or_else(|| local_alias.get(&c.hash).copied())
            };
            *fate = match earlier {
                Some(first) if c.short => Fate::ShortRepeat(first),
                Some(first) => Fate::Duplicate(first, "duplicate-paragraph"),
                // A short paragraph is never removed merely because it
                // recurs, also not when its earlier copy was a near-duplicate.
                None if c.short => Fate::Keep,
                None => alias().map_or(Fate::Keep, |near| Fate::Near(near, "near-duplicate")),
            };
            if *fate != Fate::Keep {
                continue;
            }
            let (Some(near), Some(sketch)) = (&self.near, &analysis.sketches[c.paragraph as usize])
            else {
                local_first.insert(c.hash, at);
                continue;
            };
            checked += 1;
            let evidence = self.evidence(index, local, at, sketch, scratch);
            verified += evidence.len();
            let kept = match cover::decide(&evidence, &near.rule) {
                Some(e) => {
                    let m = NearMatch {
                        of: e.kept_copy,
                        similarity: e.similarity,
                        containment: Some(e.shingle_coverage),
                        coverage: Some(e.word_coverage),
                    };
                    sources.push((c.paragraph, e.paragraphs.clone()));
                    local_alias.insert(c.hash, m);
                    *fate = Fate::Near(m, "near-duplicate");
                    e.kept_copy
                }
                None => {
                    local_first.insert(c.hash, at);
                    at
                }
            };
            local.insert(at, kept, sketch);
        }
        (verified, checked)
    }

    /// The evidence of the earlier articles that share a fingerprint with
    /// paragraph `at`: in `index` (earlier documents) and `local` (earlier
    /// paragraphs of its own document).
    ///
    /// Sources are aligned in the order the rule ranks them (shingle
    /// coverage, then input order) and only while none has decided; one
    /// whose word coverage cannot reach the threshold (by
    /// `AlignScratch::coverage_bound`) is not aligned. [`cover::decide`] over
    /// what is returned therefore decides as it would over every source.
    fn evidence(
        &self,
        index: &Index,
        local: &Sources<PlainTokens>,
        at: ParagraphRef,
        sketch: &Sketch,
        scratch: &mut Scratch,
    ) -> Vec<Evidence> {
        let Some(near) = &self.near else {
            return Vec::new();
        };
        let sources = index.sources();
        // Every posting hit as its entry (marked when local) and the
        // fingerprint's index, packed in that order into a sort key.
        let mut hits = std::mem::take(&mut scratch.hits);
        hits.clear();
        let key = |tag: u32, entry: u32, fp: u32| (u64::from(tag | entry) << 32) | u64::from(fp);
        sources.postings(sketch.fingerprints(), MAX_POSTINGS, |entry, fp| {
            hits.push(key(0, entry, fp));
        });
        local.postings(sketch.fingerprints(), MAX_POSTINGS, |entry, fp| {
            hits.push(key(LOCAL_HIT, entry, fp));
        });
        // Entries are numbered in input order and the document's own come
        // after the index's, so hits sorted by entry are sorted by document
        // too: the document is looked up once per entry, not per hit. Each
        // fingerprint's hits came newest first: reversed, they are sorted
        // runs, which a merging sort joins in a pass per doubling.
        for run in hits.chunk_by_mut(|a, b| a > b) {
            run.reverse();
        }
        hits.sort();
        // Hits of one entry are adjacent once sorted.
        let same_entry = |a: &u64, b: &u64| a >> 32 == b >> 32;
        let doc_of = |key: u32| {
            if key & LOCAL_HIT == 0 {
                sources.doc_of(key)
            } else {
                at.doc
            }
        };
        // The document of each entry hit, read in a loop without branches
        // on what it reads, so that the cache misses of these lookups (one
        // per entry, about 20 per paragraph checked on the medium corpus)
        // overlap rather than stall the ranking one after another.
        let mut docs = std::mem::take(&mut scratch.docs);
        docs.clear();
        docs.extend(
            hits.chunk_by(same_entry)
                .map(|group| doc_of((group[0] >> 32) as u32)),
        );
        // Rank the documents by fingerprints shared, then input order:
        // (fingerprints shared, document, its hits).
        let mut ranked = std::mem::take(&mut scratch.ranked);
        ranked.clear();
        scratch.fps.clear();
        scratch.fps.resize(sketch.fingerprints().len(), 0);
        let mut from = 0;
        for (group, &doc) in hits.chunk_by(same_entry).zip(&docs) {
            if ranked.last().is_none_or(|r| r.1 != doc) {
                ranked.push((0, doc, from..from));
            }
            from += group.len();
            let stamp = ranked.len() as u32;
            let last = ranked.len() - 1;
            let document = &mut ranked[last];
            document.2.end = from;
            for &hit in group {
                let fp = hit as u32 as usize;
                document.0 += usize::from(scratch.fps[fp] != stamp);
                scratch.fps[fp] = stamp;
            }
        }
        ranked.sort_by_key(|(shared, doc, _)| (std::cmp::Reverse(*shared), *doc));
        ranked.truncate(cover::MAX_SOURCES);
        if ranked.is_empty() {
            // No earlier article shares a fingerprint (nearly half of the
            // paragraphs checked on the medium corpus): nothing to probe.
            scratch.hits = hits;
            scratch.ranked = ranked;
            scratch.docs = docs;
            return Vec::new();
        }
        scratch.probe.set(sketch.tokens(), sketch.width());
        scratch.seen.clear();
        scratch.seen.resize(scratch.probe.len(), 0);
        scratch.stamp = 0;
        // Hits are sorted by entry (the document's own marked) within the
        // document: each ranked document's entries, as (local, id), and how
        // many it has.
        let mut keys = std::mem::take(&mut scratch.keys);
        keys.clear();
        let mut counts = std::mem::take(&mut scratch.counts);
        counts.clear();
        for (_, _, range) in &ranked {
            let before = keys.len();
            keys.extend(hits[range.clone()].chunk_by(same_entry).map(|group| {
                let key = (group[0] >> 32) as u32;
                (key & LOCAL_HIT != 0, key & !LOCAL_HIT)
            }));
            counts.push(keys.len() - before);
        }
        // The index's entry records, then their tokens, are read from
        // memory first in loops without branches on what they read, so
        // that their cache misses overlap rather than come one after
        // another as they are loaded and probed below.
        let index_ids = || keys.iter().filter(|(local, _)| !local).map(|&(_, id)| id);
        std::hint::black_box(index_ids().fold(0, |acc, id| acc ^ sources.touch_entry(id)));
        std::hint::black_box(index_ids().fold(0, |acc, id| acc ^ sources.touch_tokens(id)));
        let mut buffer = std::mem::take(&mut scratch.tokens);
        buffer.clear();
        let mut loaded = std::mem::take(&mut scratch.loaded);
        loaded.clear();
        loaded.extend(keys.iter().map(|&(is_local, id)| {
            if is_local {
                local.load(id, &mut buffer)
            } else {
                sources.load(id, &mut buffer)
            }
        }));
        // Every ranked document's entries are a range of `loaded`, sorted
        // by paragraph, and their stretches the same range of `stretches`:
        // vectors kept from paragraph to paragraph, not two a document.
        let mut stretches = std::mem::take(&mut scratch.stretches);
        stretches.clear();
        stretches.resize(loaded.len(), None);
        let mut covering = std::mem::take(&mut scratch.covering);
        covering.clear();
        let mut start = 0;
        for ((_, doc, _), &count) in ranked.drain(..).zip(&counts) {
            let range = start..start + count;
            start = range.end;
            loaded[range.clone()].sort_by_key(index::LoadedEntry::at);
            let c = covering_of(doc, range, (&loaded, &buffer), &mut stretches, scratch);
            if let Some(c) = c.filter(|c| c.coverage >= near.rule.candidate) {
                covering.push(c);
            }
        }
        (scratch.hits, scratch.docs) = (hits, docs);
        (scratch.ranked, scratch.keys, scratch.counts) = (ranked, keys, counts);
        covering.sort_by(|a, b| b.coverage.total_cmp(&a.coverage).then(a.doc.cmp(&b.doc)));
        scratch.prepared = false;
        let mut out = Vec::new();
        for c in covering.drain(..) {
            let entries = Ranked {
                entries: &loaded[c.entries.clone()],
                tokens: &buffer,
                stretches: &stretches[c.entries.clone()],
            };
            if let Some(e) = self.measure(near, at, sketch, c, entries, index, local, scratch) {
                let decided = near.rule.decides(&e);
                out.push(e);
                if decided {
                    break;
                }
            }
        }
        (scratch.tokens, scratch.loaded) = (buffer, loaded);
        (scratch.stretches, scratch.covering) = (stretches, covering);
        out
    }

    /// The evidence of one source document, from its covering paragraphs:
    /// `None` when its word coverage cannot reach the threshold.
    #[allow(clippy::too_many_arguments)]
    fn measure(
        &self,
        near: &NearSettings,
        at: ParagraphRef,
        sketch: &Sketch,
        covering: Covering,
        ranked: Ranked<'_>,
        index: &Index,
        local: &Sources<PlainTokens>,
        scratch: &mut Scratch,
    ) -> Option<Evidence> {
        let Covering {
            doc,
            coverage,
            best,
            ..
        } = covering;
        // The source to align: of each covering paragraph, the stretch from
        // P's length before its first shared shingle to P's length after its
        // last. What lies further cannot be matched in order without a gap
        // longer than P, and leaving it out bounds the diff's cost.
        let source = &mut scratch.source;
        source.clear();
        let reach = sketch.tokens().len();
        for (e, stretch) in ranked.entries().zip(ranked.stretches) {
            let Some((first, last)) = *stretch else {
                continue;
            };
            let last = last + e.width.min(e.tokens.len());
            let from = first.saturating_sub(reach);
            let to = (last + reach).min(e.tokens.len());
            source.extend_from_slice(&e.tokens[from..to]);
        }
        let (word_coverage, guard) = if sketch.tokens().len() > cover::MAX_ALIGN_WORDS
            || source.len() > cover::MAX_ALIGN_SOURCE
        {
            (coverage, None)
        } else {
            if !scratch.prepared {
                scratch.align.prepare(sketch.tokens(), &self.attribution);
                scratch.prepared = true;
            }
            if scratch.align.coverage_bound(source) < near.rule.coverage {
                return None;
            }
            let bloom = |t: u32| {
                sketch
                    .blooms()
                    .iter()
                    .find(|(token, _)| same_word(*token, t))
                    .map(|&(_, b)| b)
                    .or_else(|| local.bloom(t))
                    .or_else(|| index.sources().bloom(t))
                    .unwrap_or(0)
            };
            // A word seen in lowercase before is no name, whatever its case
            // in P or its source.
            let common = |t: u32| index.is_common(t);
            cover::align(
                sketch.tokens(),
                source,
                &self.attribution,
                &bloom,
                &common,
                &mut scratch.align,
            )
        };
        // Jaccard similarity with the best covering paragraph.
        let (shared, best) = best;
        let best = ranked.entries[best].in_buffer(ranked.tokens);
        let union = scratch.probe.len() + scratch.probe.distinct(best.tokens, best.width) - shared;
        Some(Evidence {
            later: at,
            source: doc,
            best: best.at,
            kept_copy: best.kept,
            paragraphs: ranked.entries().map(|e| e.at).collect(),
            similarity: shared as f64 / union as f64,
            shingle_coverage: coverage,
            word_coverage,
            guard,
        })
    }

    /// Analyzes and decides in one call.
    pub fn clean(&self, index: &mut Index, id: &str, text: &str) -> Cleaned {
        let analysis = self.analyze_against(index, text);
        self.decide(index, id, analysis)
    }
}

/// The bit of a hit key that marks an entry of the document's own
/// paragraphs.
const LOCAL_HIT: u32 = 1 << 31;

/// What the decision of one document builds and drops, kept per thread so
/// that its allocations serve every document.
#[derive(Default)]
struct DocumentScratch {
    local_first: HashTable<ParagraphRef>,
    local_alias: HashTable<NearMatch>,
    /// The document's paragraphs in the near stage so far: sources too.
    local: Sources<PlainTokens>,
    scratch: Scratch,
}

/// Most entries a kept per-document table may hold room for.
const MAX_KEPT_ENTRIES: usize = 1 << 14;

impl DocumentScratch {
    /// Empties it for the next document, keeping its allocations unless
    /// one large document grew them.
    fn reset(&mut self) {
        if self.local_first.capacity() > MAX_KEPT_ENTRIES || self.local.len() > MAX_KEPT_ENTRIES {
            *self = DocumentScratch::default();
        }
        self.local_first.clear();
        self.local_alias.clear();
        self.local.clear();
    }
}

thread_local! {
    static DOCUMENT_SCRATCH: std::cell::RefCell<DocumentScratch> =
        std::cell::RefCell::default();
}

/// Buffers reused across paragraphs.
#[derive(Default)]
struct Scratch {
    hits: Vec<u64>,
    /// The document of each entry hit, in the order of `hits`.
    docs: Vec<DocId>,
    /// The ranked source documents: (fingerprints shared, document, its
    /// hits).
    ranked: Vec<(usize, DocId, std::ops::Range<usize>)>,
    /// The ranked documents' entries, as (local, id), and how many each has.
    keys: Vec<(bool, u32)>,
    counts: Vec<usize>,
    /// Per fingerprint of P, the stamp of the last document holding it.
    fps: Vec<u32>,
    /// Per shingle of the paragraph: whether the current source document
    /// holds it, and the last covering paragraph (by stamp) that did.
    found: Vec<bool>,
    seen: Vec<u32>,
    stamp: u32,
    /// P's shingles, to find in its sources.
    probe: ShingleProbe,
    /// The tokens of the ranked documents' entries, loaded.
    tokens: Vec<u32>,
    /// The source tokens to align.
    source: Vec<u32>,
    /// The entries of the ranked documents, loaded into `tokens`.
    loaded: Vec<index::LoadedEntry>,
    /// Per entry of the ranked documents, its stretch.
    stretches: Vec<Stretch>,
    /// The ranked documents that cover enough of the paragraph.
    covering: Vec<Covering>,
    align: cover::AlignScratch,
    /// Whether `align` is prepared for the current paragraph.
    prepared: bool,
}

/// The positions of the first and last shingle of a source paragraph
/// found in P, when any is.
type Stretch = Option<(usize, usize)>;

/// One ranked document's entries, loaded, with their stretches.
#[derive(Clone, Copy)]
struct Ranked<'a> {
    entries: &'a [index::LoadedEntry],
    /// The buffer the entries' tokens were loaded into.
    tokens: &'a [u32],
    stretches: &'a [Stretch],
}

impl<'a> Ranked<'a> {
    fn entries(self) -> impl Iterator<Item = index::SourceEntry<'a>> {
        self.entries.iter().map(move |e| e.in_buffer(self.tokens))
    }
}

/// What one source document's covering paragraphs hold of a paragraph's
/// shingles, before any alignment.
struct Covering {
    doc: DocId,
    /// Where its paragraphs that share a fingerprint with P are, in order,
    /// among the paragraph's entries (and, per entry, the positions of its
    /// first and last shingle found in P, among the stretches).
    entries: std::ops::Range<usize>,
    /// Share of P's shingles found in the entries.
    coverage: f64,
    /// (shingles of P it holds, entry) of the entry holding the most (the
    /// earliest on ties).
    best: (usize, usize),
}

/// The shingle coverage of P (held by `scratch.probe`) by one source
/// document's entries, `loaded[range]` (sorted by paragraph) with their
/// tokens in `tokens`; their stretches are written to `stretches[range]`.
/// `None` when there are none.
fn covering_of(
    doc: DocId,
    range: std::ops::Range<usize>,
    (loaded, tokens): (&[index::LoadedEntry], &[u32]),
    stretches: &mut [Stretch],
    scratch: &mut Scratch,
) -> Option<Covering> {
    let found = &mut scratch.found;
    found.clear();
    found.resize(scratch.probe.len(), false);
    let mut best: Option<(usize, usize)> = None;
    for (k, (e, stretch)) in loaded[range.clone()]
        .iter()
        .map(|e| e.in_buffer(tokens))
        .zip(&mut stretches[range.clone()])
        .enumerate()
    {
        scratch.stamp += 1;
        let stamp = scratch.stamp;
        let seen = &mut scratch.seen;
        let mut shared = 0;
        scratch.probe.matches(e.tokens, e.width, |i, j| {
            found[j] = true;
            if seen[j] != stamp {
                seen[j] = stamp;
                shared += 1;
            }
            *stretch = Some(stretch.map_or((i, i), |(first, _): (usize, usize)| (first, i)));
        });
        if best.is_none_or(|(n, _)| shared > n) {
            best = Some((shared, k));
        }
    }
    let coverage = found.iter().filter(|&&f| f).count() as f64 / scratch.probe.len() as f64;
    Some(Covering {
        doc,
        entries: range,
        coverage,
        best: best?,
    })
}

/// Turns short paragraphs into run removals where they continue a run of
/// (near-)duplicates, until nothing changes. `near` allows close (not
/// equal) short paragraphs, when the near-duplicate stage is on.
fn extend_runs(
    index: &Index,
    doc: DocId,
    candidates: &[Candidate<'_>],
    fates: &mut [Fate],
    near: bool,
) {
    // The paragraph `step` after `at`, in this document or a decided one.
    let neighbour = |at: ParagraphRef, step: isize| {
        if at.doc != doc {
            return index.neighbour(at, step);
        }
        let (_, c) = index::step_from(candidates, at.paragraph, |c| c.paragraph, step)?;
        let at = ParagraphRef {
            doc,
            paragraph: c.paragraph,
        };
        Some((at, c.hash, c.short_key.map(Cow::Borrowed)))
    };
    loop {
        let mut changed = false;
        for pos in 0..fates.len() {
            let candidate = &candidates[pos];
            if !candidate.short {
                continue;
            }
            if !matches!(fates[pos], Fate::Keep | Fate::ShortRepeat(_)) {
                continue;
            }
            // The neighbour on `side` repeats a copy that has, on the same
            // side of it, a paragraph equal or close to this one.
            let aligned = |side: isize| {
                let copy = pos
                    .checked_add_signed(side)
                    .and_then(|n| fates.get(n))?
                    .copy()?;
                let (at, hash, short_key) = neighbour(copy, -side)?;
                if hash == candidate.hash {
                    return Some(Fate::Duplicate(at, "duplicate-run"));
                }
                if !near {
                    return None;
                }
                let key = candidate.short_key?;
                let similarity = strsim::normalized_levenshtein(key, &short_key?);
                (similarity >= SHORT_SIMILARITY).then_some(Fate::Near(
                    NearMatch {
                        of: at,
                        similarity,
                        containment: None,
                        coverage: None,
                    },
                    "near-duplicate-run",
                ))
            };
            if let Some(fate) = aligned(-1).or_else(|| aligned(1)) {
                // An exact run removal names the earliest kept copy.
                fates[pos] = match (fate, fates[pos]) {
                    (Fate::Duplicate(_, rule), Fate::ShortRepeat(first)) => {
                        Fate::Duplicate(first, rule)
                    }
                    (fate, _) => fate,
                };
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Whether the candidate at a position of a document of `len` candidates
/// stands at its edge, where page furniture goes: the first, or among the
/// last [`FURNITURE_TAIL`], in a document with a body between them. In a
/// record of a few lines every line is at an edge, and a recurring one is
/// its structure ("Nine mths" above the nine months' figures).
fn furniture_edges(len: usize) -> impl Fn(usize) -> bool {
    move |pos| len > 2 * FURNITURE_TAIL && (pos == 0 || pos + FURNITURE_TAIL >= len)
}

/// Hash of the sequence of kept paragraphs, `None` when none is kept.
fn kept_document_hash(candidates: &[Candidate], fates: &[Fate]) -> Option<u64> {
    let mut kept = candidates
        .iter()
        .zip(fates)
        .filter(|(_, f)| matches!(f, Fate::Keep | Fate::ShortRepeat(_)))
        .map(|(c, _)| c.hash)
        .peekable();
    kept.peek().is_some().then(|| document_hash_of(kept))
}

/// Turns every kept paragraph into a `duplicate-document` removal of its
/// earliest kept copy; false (and nothing changed) when one has none.
fn remove_kept(index: &Index, candidates: &[Candidate], fates: &mut [Fate]) -> bool {
    let mut removals = Vec::new();
    for (pos, (c, fate)) in candidates.iter().zip(fates.iter()).enumerate() {
        if matches!(fate, Fate::Keep | Fate::ShortRepeat(_)) {
            match index.first_copy(c.hash) {
                Some(at) => removals.push((pos, Fate::Duplicate(at, "duplicate-document"))),
                None => return false,
            }
        }
    }
    for (pos, fate) in removals {
        fates[pos] = fate;
    }
    true
}

/// Share of the candidates' bytes removed as repeats of earlier documents.
fn duplicate_fraction(
    doc: DocId,
    analysis: &Analysis,
    candidates: &[Candidate],
    fates: &[Fate],
) -> f64 {
    let mut total = 0usize;
    let mut repeated = 0usize;
    for (c, fate) in candidates.iter().zip(fates) {
        let len = analysis.paragraphs[c.paragraph as usize].span.len();
        total += len;
        if fate.copy().is_some_and(|at| at.doc != doc) {
            repeated += len;
        }
    }
    if total == 0 {
        0.0
    } else {
        repeated as f64 / total as f64
    }
}

/// Records a decided (not dropped) document's kept paragraphs in the index.
fn commit(
    index: &mut Index,
    doc: DocId,
    analysis: &Analysis,
    candidates: &[Candidate],
    fates: &[Fate],
    doc_hash: Option<u64>,
) {
    for (c, fate) in candidates.iter().zip(fates) {
        let at = ParagraphRef {
            doc,
            paragraph: c.paragraph,
        };
        match fate {
            Fate::Keep | Fate::ShortRepeat(_) => {
                index.insert_paragraph(c.hash, at);
                if let (Fate::Keep, Some(sketch)) = (fate, &analysis.sketches[c.paragraph as usize])
                    && index.first_copy(c.hash) == Some(at)
                {
                    index.insert_source(at, at, sketch);
                }
            }
            // A later exact copy of a near-duplicate repeats the same kept
            // paragraph (short copies are still kept unless in a run). The
            // first text of a near-duplicate is a source for later ones.
            Fate::Near(m, _) => {
                if index.alias(c.hash).is_none()
                    && let Some(sketch) = &analysis.sketches[c.paragraph as usize]
                {
                    index.insert_source(at, m.of, sketch);
                }
                index.insert_alias(c.hash, *m);
            }
            Fate::Duplicate(..) | Fate::Furniture(_) => {}
        }
    }
    index.count_short_lines(
        candidates
            .iter()
            .filter(|c| c.short)
            .map(|c| c.hash)
            .collect(),
    );
    if let Some(hash) = doc_hash {
        index.insert_document(hash, doc);
    }
}
