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

use std::borrow::Cow;
use std::io::{self, Write};
use std::marker::PhantomData;
use std::sync::Arc;

use super::disk::{BlockFile, DiskSlice};
use super::persist::{Decoder, Encoder, Fixed, Input, Segmented, invalid};

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
    /// The chunks left in an index file read in place
    /// ([`Chunked::extend_in_place`]): every chunk but the last, which
    /// takes the items pushed next. Their entries in `chunks` are empty.
    disk: Option<Arc<DiskChunks>>,
    /// The first chunk each segment of the index file holds, oldest
    /// first (see [`Chunked::save_from`]).
    part_starts: Vec<usize>,
}

/// Where the chunks of a [`Chunked`] read in place are in their file.
#[derive(Clone, Debug)]
struct DiskChunks {
    file: BlockFile,
    /// Chunk `k`'s first item's offset and its items.
    chunks: Vec<(u64, usize)>,
}

/// The chunks of a [`Chunked`] left in an index file, to read from on
/// any thread ([`Chunked::file_part`]).
#[derive(Clone, Debug)]
pub(crate) struct FileChunks<T> {
    disk: Arc<DiskChunks>,
    items: PhantomData<fn() -> T>,
}

impl<T: Fixed> FileChunks<T> {
    /// The item at `at`, if it is in the file.
    pub(crate) fn get(&self, at: u32) -> Option<T> {
        let (chunk, offset) = Chunked::<T>::locate(at);
        let &(start, items) = self.disk.chunks.get(chunk)?;
        (offset < items).then(|| self.disk.file.get(start + (offset * T::SIZE) as u64))
    }
}

impl<T> Default for Chunked<T> {
    fn default() -> Chunked<T> {
        Chunked {
            chunks: Vec::new(),
            disk: None,
            part_starts: Vec::new(),
        }
    }
}

impl<T: Fixed> Chunked<T> {
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
        match self.chunks[chunk].get(offset) {
            Some(&item) => item,
            None => {
                let (file, at) = self.on_disk(chunk, offset, 1);
                file.get(at)
            }
        }
    }

    /// The chunks left in an index file read in place.
    pub(crate) fn file_part(&self) -> Option<FileChunks<T>> {
        let disk = self.disk.clone()?;
        Some(FileChunks {
            disk,
            items: PhantomData,
        })
    }

    /// Whether the item at `at` is in memory, not left in an index file:
    /// reading it ahead to have it in the CPU's cache is then worth it.
    #[inline]
    pub(crate) fn in_memory(&self, at: u32) -> bool {
        let (chunk, offset) = Self::locate(at);
        offset < self.chunks[chunk].len()
    }

    /// The file holding items `offset..offset + len` of chunk `chunk`, and
    /// where they start in it.
    ///
    /// # Panics
    ///
    /// When that chunk is not in the file: a position no push gave.
    fn on_disk(&self, chunk: usize, offset: usize, len: usize) -> (&BlockFile, u64) {
        let disk = self.disk.as_ref().expect("a position pushed to");
        let (start, items) = disk.chunks[chunk];
        assert!(offset + len <= items, "a position pushed to");
        (&disk.file, start + (offset * T::SIZE) as u64)
    }

    /// The `len` items from `at`, stored by one [`Chunked::extend_iter`] (or
    /// within one).
    ///
    /// # Panics
    ///
    /// When they were not stored so.
    #[inline]
    pub(crate) fn slice(&self, at: u32, len: usize) -> Cow<'_, [T]> {
        if len == 0 {
            return Cow::Borrowed(&[]);
        }
        let (chunk, offset) = Self::locate(at);
        match self.chunks[chunk].get(offset..offset + len) {
            Some(items) => Cow::Borrowed(items),
            None => {
                let mut items = Vec::with_capacity(len);
                let (file, at) = self.on_disk(chunk, offset, len);
                file.get_all(at, len, &mut items);
                Cow::Owned(items)
            }
        }
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
        self.disk = None;
        self.part_starts.clear();
        self.chunks.truncate(1);
        if let Some(first) = self.chunks.first_mut() {
            first.clear();
        }
    }

    /// Bytes allocated.
    pub(crate) fn memory_bytes(&self) -> usize {
        let disk = self.disk.as_ref().map_or(0, |d| d.chunks.capacity() * 16);
        disk + self.chunks.capacity() * std::mem::size_of::<Vec<T>>()
            + self
                .chunks
                .iter()
                .map(|c| c.capacity() * std::mem::size_of::<T>())
                .sum::<usize>()
    }
}

impl<T: Fixed> Chunked<T> {
    /// The capacity of chunk `chunk`, of `len` items, read from a file:
    /// the first as it is, later ones filled to a chunk, as `room` makes
    /// them.
    fn read_capacity(chunk: usize, len: usize) -> usize {
        match chunk {
            0 => len,
            _ => Self::per_chunk().max(len),
        }
    }

    /// Reads the chunk number and count of a segment: see
    /// [`Chunked::save_from`].
    fn take_start<R: Input>(&self, input: &mut Decoder<R>) -> io::Result<(usize, usize)> {
        let start = input.take::<u64>()?;
        if start > self.chunks.len() as u64 {
            return Err(invalid(format!(
                "a segment of an array of {} chunks starting at chunk {start}",
                self.chunks.len()
            )));
        }
        Ok((start as usize, input.take_len(8)?))
    }
}

impl<T: Fixed> Segmented for Chunked<T> {
    /// Writes the chunks that segments `first..` hold and those the run
    /// filled, as one segment: the number of the first chunk written, then
    /// the chunks. A segment starts at the chunk that was the last when it
    /// was written (held in memory, it took the items pushed next), so
    /// that it replaces that chunk and follows the others. From the first
    /// segment, the whole array.
    fn save_from<W: Write>(&self, first: usize, out: &mut Encoder<W>) -> io::Result<()> {
        let on_disk = self.disk.as_ref().map_or(&[][..], |d| &d.chunks[..]);
        let start = match self.part_starts.get(first) {
            Some(&start) => start,
            None => on_disk.len(),
        };
        out.put_len(start)?;
        out.put_len(self.chunks.len() - start)?;
        for (k, chunk) in self.chunks.iter().enumerate().skip(start) {
            match on_disk.get(k) {
                Some(&(offset, len)) => {
                    out.put_len(len)?;
                    let file = self.disk.as_ref().expect("chunks on disk").file.clone();
                    let slice = DiskSlice { file, offset, len };
                    slice.for_each_piece::<T>(|bytes| out.put_raw(bytes))?;
                }
                None => out.put_slice(chunk)?,
            }
        }
        Ok(())
    }

    /// Reads a segment that [`Chunked::save_from`] wrote into memory,
    /// onto the array in memory read from the segments before it: it
    /// replaces the chunks from its first on.
    fn extend_in_memory<R: Input>(&mut self, input: &mut Decoder<R>) -> io::Result<()> {
        debug_assert!(self.disk.is_none(), "an array in memory");
        let (start, count) = self.take_start(input)?;
        self.chunks.truncate(start);
        for k in 0..count {
            let len = input.take_len(T::SIZE)?;
            let capacity = Self::read_capacity(start + k, len);
            self.chunks
                .push(input.take_items(len, Vec::with_capacity(capacity))?);
        }
        Ok(())
    }
}

impl Chunked<u8> {
    /// The run at `start` (after its length, see
    /// [`store_prefixed`](super::token_store::store_prefixed)) when it lies
    /// in the file within one block: read with its length in one lookup
    /// of the cache, not one per byte of the length and one more.
    pub(crate) fn prefixed_on_disk(&self, start: u32) -> Option<Vec<u8>> {
        let (chunk, offset) = Self::locate(start);
        if offset < self.chunks[chunk].len() {
            return None;
        }
        let disk = self.disk.as_ref()?;
        let &(first, items) = disk.chunks.get(chunk)?;
        let at = first + offset as u64;
        let in_block = super::disk::BLOCK - (at % super::disk::BLOCK as u64) as usize;
        let len = in_block.min(items.checked_sub(offset)?);
        disk.file.with(at, len, |bytes| {
            let mut run = 0usize;
            for (i, &byte) in bytes.iter().take(5).enumerate() {
                run |= usize::from(byte & 0x7F) << (7 * i);
                if byte & 0x80 == 0 {
                    return bytes.get(i + 1..i + 1 + run).map(<[u8]>::to_vec);
                }
            }
            None
        })
    }
}

impl<T: Fixed> Chunked<T> {
    /// Reads a segment that [`Chunked::save_from`] wrote, in place: it
    /// replaces the chunks from its first on; every chunk but the last
    /// stays in `file` (where `input` reads from, at the offsets of
    /// `file`), to be read through its cache; the last is read in, to
    /// take what is pushed next.
    pub(crate) fn extend_in_place<R: Input>(
        &mut self,
        input: &mut Decoder<R>,
        file: &BlockFile,
    ) -> io::Result<()> {
        let (start, count) = self.take_start(input)?;
        let mut disk = self
            .disk
            .as_ref()
            .map_or_else(Vec::new, |d| d.chunks.clone());
        disk.truncate(start);
        self.chunks.truncate(start);
        for k in 0..count {
            let len = input.take_len(T::SIZE)?;
            if k + 1 < count {
                disk.push((input.position(), len));
                input.skip(len, T::SIZE)?;
                self.chunks.push(Vec::new());
            } else {
                let capacity = Self::read_capacity(start + k, len);
                self.chunks
                    .push(input.take_items(len, Vec::with_capacity(capacity))?);
            }
        }
        self.disk = (!disk.is_empty()).then(|| {
            Arc::new(DiskChunks {
                file: file.clone(),
                chunks: disk,
            })
        });
        self.part_starts.push(start);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clean::persist::{saved_and_read_in_place, saved_bytes};

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
    fn an_array_read_in_place_reads_and_saves_as_in_memory() {
        let per = Chunked::<u32>::per_chunk();
        let mut memory = Chunked::<u32>::default();
        let mut runs = Vec::new();
        for k in 0..(3 * per / 100) as u32 {
            let run: Vec<u32> = (0..(k % 150)).map(|i| i * 7 + k).collect();
            runs.push((memory.extend_iter(run.len(), run.iter().copied()), run));
        }
        let (_tmp, blocks, mut in_place) =
            saved_and_read_in_place(&memory, 0, Chunked::<u32>::extend_in_place);
        assert!(in_place.memory_bytes() < memory.memory_bytes() / 2);
        for (at, run) in &runs {
            assert_eq!(&*in_place.slice(*at, run.len()), &run[..]);
            if let Some(&first) = run.first() {
                assert_eq!(in_place.get(*at), first);
            }
        }
        for array in [&mut memory, &mut in_place] {
            assert_eq!(array.extend_iter(3, [1, 2, 3]), array.end() as u32 - 3);
        }
        assert_eq!(saved_bytes(&in_place), saved_bytes(&memory));
        assert!(blocks.error().is_none());
    }

    #[test]
    fn runs_with_their_length_read_in_place_as_stored() {
        use crate::clean::token_store::{prefixed_run, store_prefixed};
        let mut memory = Chunked::<u8>::default();
        // Lengths of one- and two-byte varints, runs that straddle a
        // block's end, and an empty one.
        let runs: Vec<Vec<u8>> = (0..4_000u32)
            .map(|k| (0..(k * 37 % 300)).map(|i| (i ^ k) as u8).collect())
            .collect();
        let starts: Vec<u32> = runs
            .iter()
            .map(|r| store_prefixed(&mut memory, r))
            .collect();
        let (_tmp, blocks, in_place) =
            saved_and_read_in_place(&memory, 0, Chunked::<u8>::extend_in_place);
        let mut one_lookup = 0;
        for (start, run) in starts.iter().zip(&runs) {
            assert_eq!(&*prefixed_run(&in_place, *start), &run[..]);
            one_lookup += usize::from(in_place.prefixed_on_disk(*start).is_some());
        }
        assert!(one_lookup > runs.len() / 2, "{one_lookup}");
        assert!(blocks.error().is_none());
    }

    #[test]
    fn a_small_array_stays_small() {
        let mut array = Chunked::<u32>::default();
        array.extend_iter(3, [1, 2, 3]);
        array.push(4);
        assert!(array.memory_bytes() < 256);
    }
}
