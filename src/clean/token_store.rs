//! How the coverage stage's sources keep their word tokens.
//!
//! The index aligns a paragraph against the tokens of its earlier sources,
//! so it keeps every source's tokens: 32-bit values ([`crate::shingle`]),
//! four bytes a word, over a third of the index. A corpus has far fewer
//! distinct tokens than words, and the frequent ones are seen first, so
//! [`CodedTokens`] numbers each distinct token in order of first storage
//! and stores runs of these codes as LEB128 varints: one byte for the 128
//! first tokens seen (the, of, said, ...), two below 16,384, three below
//! 2^21. On news that is under two bytes a word, dictionary included.
//! Reading gives back the same 32-bit tokens, so every measure and
//! decision is the same as with the tokens stored whole.
//!
//! A document's own sources live for one document and are read back as
//! often as they are written: [`PlainTokens`] keeps them whole.

use std::borrow::Cow;
use std::io::{self, Write};

use super::chunked::Chunked;
use super::disk::BlockFile;
use super::heads::Heads;
use super::persist::{Decoder, Encoder, Input, Segmented, invalid};

/// Where a run of tokens is stored: its start in the store's own units.
/// A run starts with its length, so that an index entry holds four bytes
/// for its tokens' place, not eight.
pub(crate) type Handle = u32;

/// A store of runs of tokens, read back by the [`Handle`] storing gave.
pub(crate) trait TokenStore: Default {
    /// Stores `tokens` as one run.
    ///
    /// # Panics
    ///
    /// Past 2^32 units stored (see [`Chunked`]).
    fn store(&mut self, tokens: &[u32]) -> Handle;

    /// Appends the run stored under `handle` to `out`.
    fn load(&self, handle: Handle, out: &mut Vec<u32>);

    /// Reads one byte of every cache line of the run under `handle`, to
    /// have it in cache before it is loaded; the misses of several runs so
    /// touched in a loop overlap. Returns a value only to keep the reads.
    fn touch(&self, handle: Handle) -> u32;

    /// Empties it, keeping its allocations.
    fn clear(&mut self);

    /// Bytes allocated for the runs, and for a dictionary if any.
    fn memory_bytes(&self) -> (usize, usize);
}

/// Tokens stored whole, four bytes each, after their number.
#[derive(Clone, Debug, Default)]
pub(crate) struct PlainTokens(Chunked<u32>);

impl TokenStore for PlainTokens {
    fn store(&mut self, tokens: &[u32]) -> Handle {
        let len = u32::try_from(tokens.len()).expect("fewer than 2^32 tokens per paragraph");
        self.0.extend_iter(
            tokens.len() + 1,
            std::iter::once(len).chain(tokens.iter().copied()),
        )
    }

    fn load(&self, start: Handle, out: &mut Vec<u32>) {
        out.extend_from_slice(&self.run(start));
    }

    fn touch(&self, start: Handle) -> u32 {
        touch_lines(&self.run(start))
    }

    fn clear(&mut self) {
        self.0.clear();
    }

    fn memory_bytes(&self) -> (usize, usize) {
        (self.0.memory_bytes(), 0)
    }
}

impl PlainTokens {
    /// The tokens of the run at `start`.
    fn run(&self, start: Handle) -> Cow<'_, [u32]> {
        let len = self.0.get(start) as usize;
        self.0.slice(start + 1, len)
    }
}

/// Tokens stored as varint codes of a dictionary built as they come,
/// after the number of bytes they take (a varint too).
#[derive(Clone, Debug, Default)]
pub(crate) struct CodedTokens {
    /// Each distinct token's code: its number in order of first storage.
    /// A [`Heads`] table, so that a run's lookups overlap their misses.
    codes: Heads,
    /// The token of each code.
    tokens: Vec<u32>,
    /// The runs, as LEB128 codes: seven bits a byte, the low ones first,
    /// the top bit set on every byte but a code's last.
    bytes: Chunked<u8>,
    /// The first code of each segment of the index file it was read
    /// from, oldest first (see [`CodedTokens::save_from`]).
    part_starts: Vec<usize>,
    /// The codes read from the file: the run's start after them.
    loaded: usize,
    /// The run being encoded.
    run: Vec<u8>,
}

impl CodedTokens {
    /// The code of `token`, numbering it if new.
    fn code(&mut self, token: u32) -> u32 {
        let next = u32::try_from(self.tokens.len())
            .ok()
            .filter(|&next| next != super::heads::EMPTY)
            .expect("fewer than 2^32 - 1 distinct tokens");
        match self.codes.insert_or_get(token, next) {
            Some(code) => *code,
            None => {
                self.tokens.push(token);
                next
            }
        }
    }

    /// Whether `token` was stored.
    pub(crate) fn contains(&self, token: u32) -> bool {
        self.codes.get(token).is_some()
    }

    /// The codes of the run at `start`, after its length.
    fn run_bytes(&self, start: Handle) -> Cow<'_, [u8]> {
        prefixed_run(&self.bytes, start)
    }
}

/// Stores `bytes` in `arena` after their length (a varint); returns where
/// it starts, for [`prefixed_run`].
pub(crate) fn store_prefixed(arena: &mut Chunked<u8>, bytes: &[u8]) -> u32 {
    let (prefix, n) = varint(u32::try_from(bytes.len()).expect("runs under 4 GiB"));
    let prefix = &prefix[..n];
    arena.extend_iter(
        prefix.len() + bytes.len(),
        prefix.iter().chain(bytes).copied(),
    )
}

/// The text [`store_prefixed`] stored at `start`, stored from a `str`
/// (a byte that an index file's read error left zero is replaced, not
/// trusted).
pub(crate) fn prefixed_str(arena: &Chunked<u8>, start: u32) -> Cow<'_, str> {
    match prefixed_run(arena, start) {
        Cow::Borrowed(bytes) => String::from_utf8_lossy(bytes),
        Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// The bytes [`store_prefixed`] stored at `start`.
#[inline]
pub(crate) fn prefixed_run(arena: &Chunked<u8>, start: u32) -> Cow<'_, [u8]> {
    if let Some(run) = arena.prefixed_on_disk(start) {
        return Cow::Owned(run);
    }
    let mut len = 0;
    let mut at = start;
    for shift in (0..32).step_by(7) {
        let byte = arena.get(at);
        at += 1;
        len |= u32::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    arena.slice(at, len as usize)
}

/// `value` as a LEB128 varint (seven bits a byte, the low ones first, the
/// top bit set on every byte but the last): its bytes, and how many.
fn varint(mut value: u32) -> ([u8; 5], usize) {
    let mut bytes = [0u8; 5];
    let mut n = 0;
    while value >= 0x80 {
        bytes[n] = value as u8 | 0x80;
        value >>= 7;
        n += 1;
    }
    bytes[n] = value as u8;
    (bytes, n + 1)
}

impl TokenStore for CodedTokens {
    fn store(&mut self, tokens: &[u32]) -> Handle {
        let mut run = std::mem::take(&mut self.run);
        run.clear();
        std::hint::black_box(self.codes.touch(tokens));
        for &token in tokens {
            let (code, n) = varint(self.code(token));
            run.extend_from_slice(&code[..n]);
        }
        let start = store_prefixed(&mut self.bytes, &run);
        self.run = run;
        start
    }

    fn load(&self, start: Handle, out: &mut Vec<u32>) {
        // Without a branch on the bytes, which would fail half the time
        // on a mix of one- and two-byte codes: every byte writes a token,
        // but only a code's last moves past it. A run holds at most as
        // many tokens as bytes.
        let bytes = self.run_bytes(start);
        let from = out.len();
        out.resize(from + bytes.len(), 0);
        let slots = &mut out[from..];
        let mut n = 0;
        let mut code = 0;
        let mut shift = 0;
        for &byte in bytes.iter() {
            code |= u32::from(byte & 0x7F) << shift;
            let last = byte & 0x80 == 0;
            // A code's last byte completes a code `store` gave; a partial
            // code may be past the dictionary and reads 0, overwritten.
            slots[n] = self.tokens.get(code as usize).copied().unwrap_or(0);
            n += usize::from(last);
            let more = u32::from(!last);
            code *= more;
            shift = (shift + 7) * more;
        }
        out.truncate(from + n);
    }

    fn touch(&self, start: Handle) -> u32 {
        touch_lines(&self.run_bytes(start))
    }

    fn clear(&mut self) {
        self.codes.clear();
        self.tokens.clear();
        self.bytes.clear();
        self.part_starts.clear();
        self.loaded = 0;
    }

    fn memory_bytes(&self) -> (usize, usize) {
        let dictionary = self.codes.capacity() * std::mem::size_of::<(u32, u32)>()
            + self.tokens.capacity() * std::mem::size_of::<u32>();
        (self.bytes.memory_bytes(), dictionary)
    }
}

/// One item of every 64-byte cache line of `items`, folded.
fn touch_lines<T: Copy + Into<u32>>(items: &[T]) -> u32 {
    let line = (64 / std::mem::size_of::<T>()).max(1);
    items
        .iter()
        .step_by(line)
        .fold(0, |acc, &item| acc ^ item.into())
}

impl CodedTokens {
    /// Reads a segment [`CodedTokens::save_from`] wrote onto what it
    /// holds: the dictionary in memory, the runs by `runs`.
    fn extend_with<R: Input>(
        &mut self,
        input: &mut Decoder<R>,
        runs: impl FnOnce(&mut Chunked<u8>, &mut Decoder<R>) -> io::Result<()>,
    ) -> io::Result<()> {
        let start = input.take::<u64>()?;
        if start != self.tokens.len() as u64 {
            return Err(invalid(format!(
                "a segment's tokens numbered from {start}, after {} tokens",
                self.tokens.len()
            )));
        }
        let tokens: Vec<u32> = input.take_vec()?;
        self.part_starts.push(self.tokens.len());
        for &token in &tokens {
            self.code(token);
        }
        if self.tokens.len() as u64 != start + tokens.len() as u64 {
            return Err(invalid("a token numbered twice"));
        }
        self.loaded = self.tokens.len();
        runs(&mut self.bytes, input)
    }

    /// Reads a segment [`CodedTokens::save_from`] wrote onto what it holds,
    /// in place: the dictionary in memory, the runs left in `file` (see
    /// [`Chunked::extend_in_place`]).
    pub(crate) fn extend_in_place<R: Input>(
        &mut self,
        input: &mut Decoder<R>,
        file: &BlockFile,
    ) -> io::Result<()> {
        self.extend_with(input, |bytes, input| bytes.extend_in_place(input, file))
    }
}

impl Segmented for CodedTokens {
    /// Writes the dictionary's tokens that segments `first..` numbered and
    /// those the run numbered (after the code of the first), then the runs
    /// (see [`Chunked::save_from`]): one segment. The codes are not
    /// written: a token's code is its place in the dictionary. From the
    /// first segment, the whole store.
    fn save_from<W: Write>(&self, first: usize, out: &mut Encoder<W>) -> io::Result<()> {
        let start = match self.part_starts.get(first) {
            Some(&start) => start,
            None => self.loaded,
        };
        out.put_len(start)?;
        out.put_slice(&self.tokens[start..])?;
        self.bytes.save_from(first, out)
    }

    /// Reads a segment [`CodedTokens::save_from`] wrote into memory, onto
    /// the store in memory read from the segments before it.
    fn extend_in_memory<R: Input>(&mut self, input: &mut Decoder<R>) -> io::Result<()> {
        self.extend_with(input, |bytes, input| bytes.extend_in_memory(input))?;
        // Held in memory, it is written whole.
        self.part_starts.clear();
        self.loaded = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs of tokens of skewed frequency, some codes one, two and three
    /// bytes long, and empty runs.
    fn runs() -> Vec<Vec<u32>> {
        let mut x = 7u64;
        (0..2_000)
            .map(|i| {
                (0..i % 90)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        // Tens of thousands of distinct tokens, the small ones
                        // far more often; 0 and u32::MAX among them.
                        let rank = (x >> 40) % 400 * ((x >> 20) % 400);
                        match rank {
                            0 => u32::MAX,
                            1 => 0,
                            r => (r as u32).wrapping_mul(0x9E37_79B9),
                        }
                    })
                    .collect()
            })
            .collect()
    }

    fn round_trip<S: TokenStore>() -> S {
        let mut store = S::default();
        let runs = runs();
        let handles: Vec<Handle> = runs.iter().map(|run| store.store(run)).collect();
        let mut out = Vec::new();
        for (run, &handle) in runs.iter().zip(&handles).rev() {
            out.clear();
            out.push(42);
            store.load(handle, &mut out);
            assert_eq!(out[0], 42, "loading appends");
            assert_eq!(&out[1..], &run[..]);
        }
        store
    }

    #[test]
    fn coded_tokens_read_back_as_stored() {
        let store = round_trip::<CodedTokens>();
        // Past 16,384 distinct tokens: three-byte codes were written.
        assert!(store.tokens.len() > 1 << 14, "{}", store.tokens.len());
        let words: usize = runs().iter().map(Vec::len).sum();
        let (bytes, _) = store.memory_bytes();
        assert!(bytes < words * 3, "{bytes} bytes for {words} words");
    }

    #[test]
    fn plain_tokens_read_back_as_stored() {
        round_trip::<PlainTokens>();
    }

    #[test]
    fn a_cleared_store_numbers_afresh() {
        let mut store = CodedTokens::default();
        let first = store.store(&[5, 6, 5]);
        store.clear();
        let again = store.store(&[9, 5]);
        assert_eq!((first, again), (0, 0));
        let mut out = Vec::new();
        store.load(again, &mut out);
        assert_eq!(out, [9, 5]);
        assert_eq!(store.tokens, [9, 5]);
    }
}
