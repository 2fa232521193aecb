//! Append-only arrays in fixed-size chunks, for the index's large tables.
//!
//! A `Vec` that doubles copies everything it holds at each doubling and
//! holds up to twice what it needs; for the index's tables, hundreds of
//! megabytes that only grow, that was a twentieth of the ordered decision's
//! time and a third of the index's memory. A [`Chunked`] array grows by
//! whole chunks of [`CHUNK_BYTES`] and never moves what it holds, so it
//! wastes at most one chunk. Its first chunk grows as a `Vec` would, so a
//! small array (a document's own paragraphs) stays small.
//!
//! Items are addressed by `u32` positions. [`Chunked::extend_iter`] keeps
//! a run of items in one chunk (a paragraph's tokens, a posting block),
//! skipping to the next chunk when the current one cannot hold it, so
//! positions need not be dense once runs are stored; [`Chunked::push`]
//! alone keeps them dense, so an array only pushed to is indexed by item
//! number.

use std::io::{self, Read, Write};

use super::persist::{Decoder, Encoder, Fixed, Persist};

/// Bytes of a chunk.
const CHUNK_BYTES: usize = 1 << 18;

/// An append-only array of `T` in chunks of [`CHUNK_BYTES`].
#[derive(Clone, Debug)]
pub(crate) struct Chunked<T> {
    /// Chunk `k` holds positions `k * per_chunk()..`: never more than
    /// [`Chunked::per_chunk`] items, except a chunk made for one run longer
    /// than that, which is followed by empty chunks standing for the
    /// positions it overlaps.
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Chunked<T> {
        Chunked { chunks: Vec::new() }
    }
}

impl<T: Copy> Chunked<T> {
    /// Items of a chunk.
    const fn per_chunk() -> usize {
        match CHUNK_BYTES.checked_div(std::mem::size_of::<T>()) {
            Some(items) => items,
            None => 1,
        }
    }

    /// The position the next item would take if pushed.
    pub(crate) fn end(&self) -> usize {
        match self.chunks.last() {
            None => 0,
            Some(last) => (self.chunks.len() - 1) * Self::per_chunk() + last.len(),
        }
    }

    /// The chunk to append `need` items to, contiguous, and their first
    /// position.
    fn room(&mut self, need: usize) -> (&mut Vec<T>, u32) {
        let per = Self::per_chunk();
        let fits = self
            .chunks
            .last()
            .is_some_and(|last| last.len() + need <= per);
        if !fits {
            // Past every position the last chunk covers.
            let next = self.end().div_ceil(per);
            self.chunks.resize_with(next, Vec::new);
            let capacity = if next == 0 { 0 } else { per.max(need) };
            self.chunks.push(Vec::with_capacity(capacity));
        }
        let end = self.end();
        let start = u32::try_from(end)
            .ok()
            .filter(|&start| start != u32::MAX)
            .expect("fewer than 2^32 - 1 positions in a chunked array");
        let last = self.chunks.last_mut().expect("a chunk was just made");
        if last.capacity() - last.len() < need {
            // The first chunk grows as a Vec does, up to a chunk.
            let grown = (last.capacity() * 2).clamp(16, per.max(last.len() + need));
            last.reserve_exact(grown.max(last.len() + need) - last.len());
        }
        (last, start)
    }

    /// Appends `item`; returns its position.
    pub(crate) fn push(&mut self, item: T) -> u32 {
        let (chunk, start) = self.room(1);
        chunk.push(item);
        start
    }

    /// Appends the `len` items of `items` in one chunk; returns the
    /// position of the first.
    ///
    /// # Panics
    ///
    /// When `items` does not yield exactly `len` items.
    pub(crate) fn extend_iter(&mut self, len: usize, items: impl IntoIterator<Item = T>) -> u32 {
        let (chunk, start) = self.room(len);
        let before = chunk.len();
        chunk.extend(items);
        assert_eq!(chunk.len() - before, len, "a run of the length announced");
        start
    }

    /// The chunk and offset of position `at`.
    #[inline]
    fn locate(at: u32) -> (usize, usize) {
        let at = at as usize;
        (at / Self::per_chunk(), at % Self::per_chunk())
    }

    /// The item at `at`.
    ///
    /// # Panics
    ///
    /// When nothing was stored at `at`.
    #[inline]
    pub(crate) fn get(&self, at: u32) -> T {
        let (chunk, offset) = Self::locate(at);
        self.chunks[chunk][offset]
    }

    /// The `len` items from `at`, stored by one [`Chunked::extend_iter`] (or
    /// within one).
    ///
    /// # Panics
    ///
    /// When they were not stored so.
    #[inline]
    pub(crate) fn slice(&self, at: u32, len: usize) -> &[T] {
        if len == 0 {
            return &[];
        }
        let (chunk, offset) = Self::locate(at);
        &self.chunks[chunk][offset..offset + len]
    }

    /// The `len` items from `at`, to change.
    ///
    /// # Panics
    ///
    /// As for [`Chunked::slice`].
    #[inline]
    pub(crate) fn slice_mut(&mut self, at: u32, len: usize) -> &mut [T] {
        if len == 0 {
            return &mut [];
        }
        let (chunk, offset) = Self::locate(at);
        &mut self.chunks[chunk][offset..offset + len]
    }

    /// Empties the array, keeping its first chunk's allocation for reuse.
    pub(crate) fn clear(&mut self) {
        self.chunks.truncate(1);
        if let Some(first) = self.chunks.first_mut() {
            first.clear();
        }
    }

    /// Bytes allocated.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Vec<T>>()
            + self
                .chunks
                .iter()
                .map(|c| c.capacity() * std::mem::size_of::<T>())
                .sum::<usize>()
    }
}

impl<T: Fixed> Persist for Chunked<T> {
    fn save<W: Write>(&self, out: &mut Encoder<W>) -> io::Result<()> {
        out.put_len(self.chunks.len())?;
        for chunk in &self.chunks {
            out.put_slice(chunk)?;
        }
        Ok(())
    }

    fn restore<R: Read>(input: &mut Decoder<R>) -> io::Result<Chunked<T>> {
        let count = input.take_len(8)?;
        let per = Self::per_chunk();
        let mut chunks = Vec::with_capacity(count);
        for k in 0..count {
            let len = input.take_len(T::SIZE)?;
            // Later chunks are filled to a chunk, as `room` makes them.
            let capacity = if k == 0 { len } else { per.max(len) };
            chunks.push(input.take_items(len, Vec::with_capacity(capacity))?);
        }
        Ok(Chunked { chunks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_items_are_numbered_densely() {
        let mut array = Chunked::<u64>::default();
        let n = 3 * Chunked::<u64>::per_chunk() + 7;
        for i in 0..n {
            assert_eq!(array.push(i as u64 * 3), i as u32);
        }
        assert_eq!(array.end(), n);
        for i in (0..n).step_by(997) {
            assert_eq!(array.get(i as u32), i as u64 * 3);
        }
        // At most one chunk (and the chunk list) beyond what is held.
        assert!(array.memory_bytes() <= n * 8 + CHUNK_BYTES + 1_024);
    }

    #[test]
    fn runs_stay_in_one_chunk_whatever_their_length() {
        let per = Chunked::<u32>::per_chunk();
        let mut array = Chunked::<u32>::default();
        let mut stored = Vec::new();
        // Runs of many lengths, some longer than a chunk, with pushes
        // between them.
        for (k, len) in [3, per - 1, 5, 2 * per + 3, 1, per, 0, 40]
            .into_iter()
            .enumerate()
        {
            let run: Vec<u32> = (0..len as u32).map(|i| i ^ k as u32).collect();
            let at = array.extend_iter(run.len(), run.iter().copied());
            stored.push((at, run));
            let at = array.push(k as u32);
            assert_eq!(array.get(at), k as u32);
        }
        for (at, run) in &stored {
            assert_eq!(array.slice(*at, run.len()), &run[..]);
        }
        array.slice_mut(stored[0].0, 3)[1] = 99;
        assert_eq!(array.get(stored[0].0 + 1), 99);
    }

    #[test]
    fn a_small_array_stays_small() {
        let mut array = Chunked::<u32>::default();
        array.extend_iter(3, [1, 2, 3]);
        array.push(4);
        assert!(array.memory_bytes() < 256);
    }
}
