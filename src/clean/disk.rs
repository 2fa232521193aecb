//! Reading an index file in place: fixed-size blocks of the file, read on
//! demand through one bounded cache.
//!
//! An [`Index`](super::Index) opened in place
//! ([`Storage::InPlace`](crate::store::Storage::InPlace)) keeps in memory
//! only what each lookup must start from (hash-table fences, the token
//! dictionary and name spellings, each array's last chunk) and what the
//! run adds; the bulk (chunked arrays, sorted tables, posting runs) stays
//! in the file and is read a block at a time. The blocks read stay in a
//! [`quick_cache`] cache whose capacity is the one memory bound of the
//! file's contents: its S3-FIFO policy keeps the blocks read again and
//! again (the common tokens' runs, the tables' hot blocks) and lets a
//! scan's blocks go.
//!
//! An index is one file or several (its segments, see
//! [`store`](crate::store)): a [`BlockFile`] reads them as one address
//! space, each part starting at a block boundary after the one before, so
//! that every offset the index keeps names one byte of one part and every
//! block lies in one part.
//!
//! A segment file ends with a checksum of each of its blocks
//! ([`BlockSums`]), written as the file is ([`SummedWriter`]) and checked
//! as each block is read: through the cache, straight
//! ([`BlockFile::read_direct`]), or while the segment is opened
//! ([`BlockReader`]), which jumps over what stays in the file instead of
//! reading it through for the checksum of the whole. Opening an index
//! reads what memory holds of it, not its bulk.
//!
//! A read error cannot be returned through a lookup (lookups cannot fail),
//! so it is kept, the lookup reads zeros, and
//! [`BlockFile::error`] hands it to the caller, which must fail the run
//! before anything decided after it is kept.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use quick_cache::Weighter;
use quick_cache::unsync::Cache;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::persist::{Fixed, invalid};

/// Bytes of a block: a page, the unit of the operating system's reads.
pub(crate) const BLOCK: usize = 4096;

/// Bytes a cache of `capacity` bytes needs at least: a few blocks, so that
/// a read spanning blocks never evicts the block it is reading.
const MIN_CACHE: u64 = 16 * BLOCK as u64;

/// An index file opened for reads in place, with its block cache. Clones
/// share the file and the cache.
#[derive(Clone)]
pub(crate) struct BlockFile(Arc<Shared>);

struct Shared {
    parts: Vec<Part>,
    /// Bytes of the parts, not counting the gaps between them.
    len: u64,
    /// Behind a lock, not a concurrent cache: at most two threads read
    /// an index (the one deciding, and the one reading ahead for the next
    /// batch), and a hit then costs the lock alone. Measured on the
    /// medium corpus's part ten, five interleaved rounds: `quick_cache`'s
    /// concurrent cache (four shards) was 4% faster with a 256 MiB cache
    /// but 12% slower with 8 MiB (each shard holds a quarter) and took
    /// 19 MiB more; reading a missing block outside the lock changed
    /// nothing beyond the noise.
    cache: Mutex<Blocks>,
    capacity: u64,
    /// The first read error, see the module docs.
    error: Mutex<Option<io::Error>>,
}

/// One file of a [`BlockFile`].
struct Part {
    file: File,
    path: PathBuf,
    /// Where it starts in the block file's offsets: a multiple of
    /// [`BLOCK`].
    start: u64,
    len: u64,
    /// Its blocks' checksums, when it has them.
    sums: Option<BlockSums>,
}

impl Part {
    /// Its `len` bytes from `within` (a multiple of [`BLOCK`]), each block
    /// checked against its checksum if it has them.
    fn read_blocks(&self, within: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut bytes = vec![0u8; len];
        self.file.read_exact_at(&mut bytes, within)?;
        if let Some(sums) = &self.sums {
            sums.check(within, &bytes)?;
        }
        Ok(bytes)
    }
}

/// The xxh3-64 of each [`BLOCK`] of a file's first `end` bytes (the last
/// block cut at `end`), kept after them: the 8-byte sums, then `end` and
/// the xxh3-64 of the sums, two `u64`s that end the file.
#[derive(Clone, Debug)]
pub(crate) struct BlockSums {
    sums: Vec<u64>,
    end: u64,
}

/// Bytes of the sums' trailer: `end` and the sums' own checksum.
const SUMS_TRAILER: u64 = 16;

impl BlockSums {
    /// Reads the sums at the end of `file` (of `len` bytes), checking
    /// their own checksum.
    pub(crate) fn read(file: &File, len: u64) -> io::Result<BlockSums> {
        let mut trailer = [0u8; SUMS_TRAILER as usize];
        let at = len
            .checked_sub(SUMS_TRAILER)
            .ok_or_else(|| invalid("the file ends too early"))?;
        file.read_exact_at(&mut trailer, at)?;
        let end = u64::take(&trailer[..8]);
        let checksum = u64::take(&trailer[8..]);
        let blocks = end.div_ceil(BLOCK as u64);
        if end.checked_add(blocks * 8) != Some(at) {
            return Err(invalid("the checksums of its blocks do not fit it"));
        }
        let mut bytes = vec![0u8; (blocks * 8) as usize];
        file.read_exact_at(&mut bytes, end)?;
        if xxh3_64(&bytes) != checksum {
            return Err(invalid(
                "the checksums of its blocks do not match their checksum",
            ));
        }
        let mut sums = Vec::with_capacity(blocks as usize);
        u64::take_all(&bytes, &mut sums);
        Ok(BlockSums { sums, end })
    }

    /// Bytes its sums cover: the file but them.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Checks `bytes`, read at `at` (a multiple of [`BLOCK`]), against the
    /// sum of each block they cover.
    fn check(&self, at: u64, bytes: &[u8]) -> io::Result<()> {
        debug_assert_eq!(at % BLOCK as u64, 0);
        let covered = (self.end.saturating_sub(at) as usize).min(bytes.len());
        for (i, block) in bytes[..covered].chunks(BLOCK).enumerate() {
            let number = at / BLOCK as u64 + i as u64;
            if self.sums.get(number as usize) != Some(&xxh3_64(block)) {
                return Err(invalid(format!(
                    "block {number} does not match its checksum"
                )));
            }
        }
        Ok(())
    }
}

/// Writes through to a file and keeps the checksum of each [`BLOCK`]
/// written: [`SummedWriter::finish`] writes them after ([`BlockSums`]).
pub(crate) struct SummedWriter<W: Write> {
    out: W,
    block: Xxh3,
    /// Bytes of the current block hashed.
    filled: usize,
    sums: Vec<u64>,
    written: u64,
}

impl<W: Write> SummedWriter<W> {
    pub(crate) fn new(out: W) -> SummedWriter<W> {
        SummedWriter {
            out,
            block: Xxh3::new(),
            filled: 0,
            sums: Vec::new(),
            written: 0,
        }
    }

    /// Writes the checksums of the blocks written, and their trailer;
    /// returns the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        if self.filled > 0 {
            self.sums.push(self.block.digest());
        }
        let mut bytes = Vec::with_capacity(self.sums.len() * 8);
        u64::put_all(&self.sums, &mut bytes);
        let checksum = xxh3_64(&bytes);
        self.written.put(&mut bytes);
        checksum.put(&mut bytes);
        self.out.write_all(&bytes)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SummedWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.out.write(bytes)?;
        let mut rest = &bytes[..written];
        while !rest.is_empty() {
            let take = rest.len().min(BLOCK - self.filled);
            self.block.update(&rest[..take]);
            self.filled += take;
            rest = &rest[take..];
            if self.filled == BLOCK {
                self.sums.push(self.block.digest());
                self.block.reset();
                self.filled = 0;
            }
        }
        self.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Reads one part of a [`BlockFile`] from its start, straight and
/// checked by its blocks' sums ([`BlockFile::read_direct`]), for a
/// [`Decoder`](super::persist::Decoder) that jumps over what stays in the
/// file.
pub(crate) struct BlockReader {
    file: BlockFile,
    /// Where the next read starts, among the block file's offsets.
    at: u64,
}

impl BlockReader {
    /// A reader of part `part` of `file` from its start.
    pub(crate) fn new(file: &BlockFile, part: usize) -> BlockReader {
        BlockReader {
            file: file.clone(),
            at: file.part_start(part),
        }
    }
}

impl io::Read for BlockReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.file.read_direct(self.at, out)?;
        self.at += out.len() as u64;
        Ok(out.len())
    }
}

impl super::persist::Input for BlockReader {
    fn jump(&mut self, n: u64) -> io::Result<bool> {
        self.at += n;
        Ok(true)
    }
}

/// The cache, and its counts.
struct Blocks {
    cache: Cache<u64, Box<[u8]>, BlockWeight>,
    lookups: u64,
    misses: u64,
}

/// A cached block weighs its bytes.
#[derive(Clone)]
struct BlockWeight;

impl Weighter<u64, Box<[u8]>> for BlockWeight {
    fn weight(&self, _block: &u64, bytes: &Box<[u8]>) -> u64 {
        bytes.len() as u64
    }
}

impl std::fmt::Debug for BlockFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let paths: Vec<_> = self.0.parts.iter().map(|p| &p.path).collect();
        f.debug_struct("BlockFile")
            .field("paths", &paths)
            .field("len", &self.0.len)
            .field("capacity", &self.0.capacity)
            .finish()
    }
}

impl BlockFile {
    /// `file` (at `path`, named in errors), read through a cache of at most
    /// `cache_bytes` (at least 64 KiB).
    pub(crate) fn new(file: File, path: &Path, cache_bytes: u64) -> io::Result<BlockFile> {
        BlockFile::of_parts(vec![(file, path.to_path_buf(), None)], cache_bytes)
    }

    /// The files of `parts` (each with its path, named in errors) read as
    /// one, through a cache of at most `cache_bytes` (at least 64 KiB):
    /// see [`BlockFile::part_start`].
    pub(crate) fn of_parts(
        parts: Vec<(File, PathBuf, Option<BlockSums>)>,
        cache_bytes: u64,
    ) -> io::Result<BlockFile> {
        let mut start = 0;
        let mut len = 0;
        let parts = parts
            .into_iter()
            .map(|(file, path, sums)| {
                let part_len = file.metadata()?.len();
                let part = Part {
                    file,
                    path,
                    start,
                    len: part_len,
                    sums,
                };
                start += part_len.next_multiple_of(BLOCK as u64);
                len += part_len;
                Ok(part)
            })
            .collect::<io::Result<Vec<Part>>>()?;
        let capacity = cache_bytes.max(MIN_CACHE);
        let blocks = usize::try_from(capacity / BLOCK as u64).unwrap_or(usize::MAX);
        Ok(BlockFile(Arc::new(Shared {
            parts,
            len,
            cache: Mutex::new(Blocks {
                cache: Cache::with_weighter(blocks, capacity, BlockWeight),
                lookups: 0,
                misses: 0,
            }),
            capacity,
            error: Mutex::new(None),
        })))
    }

    /// Where part `part` starts among the offsets of this block file: its
    /// byte `n` is at `part_start(part) + n`.
    pub(crate) fn part_start(&self, part: usize) -> u64 {
        self.0.parts[part].start
    }

    /// The part holding `offset` (the last one past the end).
    fn part_of(&self, offset: u64) -> &Part {
        let parts = &self.0.parts;
        let at = parts.partition_point(|p| p.start <= offset);
        &parts[at.saturating_sub(1)]
    }

    /// The cache's capacity in bytes.
    pub(crate) fn cache_capacity(&self) -> u64 {
        self.0.capacity
    }

    /// The files' length in bytes, all parts together.
    pub(crate) fn len(&self) -> u64 {
        self.0.len
    }

    /// The cache's hits and misses so far.
    pub(crate) fn cache_counts(&self) -> (u64, u64) {
        let blocks = self.0.cache.lock().unwrap_or_else(PoisonError::into_inner);
        (blocks.lookups - blocks.misses, blocks.misses)
    }

    /// The bytes the cache holds now.
    #[cfg(test)]
    fn cached_bytes(&self) -> u64 {
        let blocks = self.0.cache.lock().unwrap_or_else(PoisonError::into_inner);
        blocks.cache.weight()
    }

    /// The first read error since the file was opened, if any.
    pub(crate) fn error(&self) -> Option<io::Error> {
        let kept = self.0.error.lock().unwrap_or_else(PoisonError::into_inner);
        kept.as_ref()
            .map(|error| io::Error::new(error.kind(), error.to_string()))
    }

    /// Keeps `error` (of a read at `offset`) with the path of its part,
    /// unless one is kept.
    fn fail(&self, offset: u64, error: io::Error) {
        let path = self.part_of(offset).path.display();
        let error = io::Error::new(error.kind(), format!("{path}: {error}"));
        let mut kept = self.0.error.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get_or_insert(error);
    }

    /// Block `number` read from its part (short, or empty, at the part's
    /// end).
    fn read_block(&self, number: u64) -> io::Result<Box<[u8]>> {
        let start = number * BLOCK as u64;
        let part = self.part_of(start);
        let within = start.saturating_sub(part.start);
        let len = (part.len.saturating_sub(within)).min(BLOCK as u64) as usize;
        Ok(part.read_blocks(within, len)?.into_boxed_slice())
    }

    /// Calls `f` with block `number`, from the cache or the file (a block
    /// of zeros, with the error kept, when the read fails).
    #[inline]
    fn in_block<R>(&self, number: u64, f: impl FnOnce(&[u8]) -> R) -> R {
        let mut guard = self.0.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let blocks = &mut *guard;
        blocks.lookups += 1;
        let misses = &mut blocks.misses;
        let read = || {
            *misses += 1;
            self.read_block(number)
        };
        match blocks.cache.get_or_insert_with(&number, read) {
            Ok(Some(block)) => return f(block),
            // Read, but not admitted (the policy's call).
            Ok(None) => {}
            Err(error) => {
                drop(guard);
                self.fail(number * BLOCK as u64, error);
                return f(&[0u8; BLOCK]);
            }
        }
        drop(guard);
        match self.read_block(number) {
            Ok(block) => f(&block),
            Err(error) => {
                self.fail(number * BLOCK as u64, error);
                f(&[0u8; BLOCK])
            }
        }
    }

    /// Fills `out` with the bytes at `offset`, through the cache (zeros
    /// past the end, with the error kept).
    pub(crate) fn read(&self, offset: u64, out: &mut [u8]) {
        let mut done = 0;
        while done < out.len() {
            let at = offset + done as u64;
            let start = (at % BLOCK as u64) as usize;
            let take = self.in_block(at / BLOCK as u64, |block| {
                let take = (out.len() - done).min(block.len().saturating_sub(start));
                out[done..done + take].copy_from_slice(&block[start..start + take]);
                take
            });
            if take == 0 {
                self.fail(
                    at,
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("a read past the end, at byte {at}"),
                    ),
                );
                out[done..].fill(0);
                return;
            }
            done += take;
        }
    }

    /// Calls `f` with the `len` bytes at `offset`: in place in the cached
    /// block when they lie in one, else copied out of their blocks.
    #[inline]
    pub(crate) fn with<R>(&self, offset: u64, len: usize, f: impl FnOnce(&[u8]) -> R) -> R {
        let start = (offset % BLOCK as u64) as usize;
        if start + len > BLOCK {
            let mut bytes = vec![0u8; len];
            self.read(offset, &mut bytes);
            return f(&bytes);
        }
        let mut f = Some(f);
        let done = self.in_block(offset / BLOCK as u64, |block| {
            let bytes = block.get(start..start + len)?;
            Some(f.take().expect("called once")(bytes))
        });
        match done {
            Some(done) => done,
            // Past the file's end: zeros, and the error kept.
            None => {
                let mut bytes = vec![0u8; len];
                self.read(offset, &mut bytes);
                f.take().expect("not called")(&bytes)
            }
        }
    }

    /// The value of type `T` at `offset`.
    #[inline]
    pub(crate) fn get<T: Fixed>(&self, offset: u64) -> T {
        self.with(offset, T::SIZE, T::take)
    }

    /// Appends to `out` the `len` values of type `T` from `offset`.
    pub(crate) fn get_all<T: Fixed>(&self, offset: u64, len: usize, out: &mut Vec<T>) {
        self.with(offset, len * T::SIZE, |bytes| T::take_all(bytes, out));
    }

    /// Reads `out.len()` bytes at `offset` straight from the file, not
    /// through the cache: the sequential copies of a commit would only
    /// evict what the lookups need.
    pub(crate) fn read_direct(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let part = self.part_of(offset);
        let within = offset - part.start;
        let mut read = || match &part.sums {
            None => part.file.read_exact_at(out, within),
            Some(_) => {
                // The whole blocks around, each checked.
                let first = within - within % BLOCK as u64;
                let end = (within + out.len() as u64).next_multiple_of(BLOCK as u64);
                let end = end.min(part.len);
                let blocks = part.read_blocks(first, end.saturating_sub(first) as usize)?;
                let from = (within - first) as usize;
                let bytes = blocks.get(from..from + out.len()).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::UnexpectedEof, "a read past the end")
                })?;
                out.copy_from_slice(bytes);
                Ok(())
            }
        };
        read().map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", part.path.display())))
    }
}

/// A slice of fixed-width values in a [`BlockFile`].
#[derive(Clone, Debug)]
pub(crate) struct DiskSlice {
    pub(crate) file: BlockFile,
    /// Where the first value starts.
    pub(crate) offset: u64,
    /// Values in it.
    pub(crate) len: usize,
}

impl DiskSlice {
    /// Appends values `range` (within `len`) to `out`.
    pub(crate) fn get_range<T: Fixed>(&self, range: std::ops::Range<usize>, out: &mut Vec<T>) {
        let offset = self.offset + (range.start * T::SIZE) as u64;
        self.file.get_all(offset, range.len(), out);
    }

    /// Calls `each` with the raw bytes of the slice's values in order,
    /// read straight from the file a megabyte at a time (see
    /// [`BlockFile::read_direct`]).
    pub(crate) fn for_each_piece<T: Fixed>(
        &self,
        mut each: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let per = ((1 << 20) / T::SIZE).max(1);
        let mut bytes = Vec::new();
        let mut at = 0;
        while at < self.len {
            let take = per.min(self.len - at);
            bytes.resize(take * T::SIZE, 0);
            self.file
                .read_direct(self.offset + (at * T::SIZE) as u64, &mut bytes)?;
            each(&bytes)?;
            at += take;
        }
        Ok(())
    }
}

/// Reads the values of a [`DiskSlice`] in order, a piece at a time
/// straight from the file (see [`BlockFile::read_direct`]). A read error
/// ends the values early and is kept for [`SliceReader::finish`].
pub(crate) struct SliceReader<T> {
    slice: DiskSlice,
    /// Values read into `piece` so far, before `piece`'s.
    at: usize,
    piece: Vec<T>,
    next: usize,
    error: Option<io::Error>,
}

/// Values a [`SliceReader`] reads at once.
const PIECE: usize = 1 << 16;

impl<T: Fixed> SliceReader<T> {
    pub(crate) fn new(slice: DiskSlice) -> SliceReader<T> {
        SliceReader {
            slice,
            at: 0,
            piece: Vec::new(),
            next: 0,
            error: None,
        }
    }

    /// The read error that ended the values early, if any.
    pub(crate) fn finish(self) -> io::Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

impl<T: Fixed> Iterator for SliceReader<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next == self.piece.len() {
            self.at += self.piece.len();
            let take = PIECE.min(self.slice.len - self.at);
            if take == 0 || self.error.is_some() {
                return None;
            }
            let mut bytes = vec![0u8; take * T::SIZE];
            let offset = self.slice.offset + (self.at * T::SIZE) as u64;
            if let Err(error) = self.slice.file.read_direct(offset, &mut bytes) {
                self.error = Some(error);
                return None;
            }
            self.piece.clear();
            T::take_all(&bytes, &mut self.piece);
            self.next = 0;
        }
        self.next += 1;
        Some(self.piece[self.next - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(bytes: &[u8], cache: u64) -> (tempfile::NamedTempFile, BlockFile) {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(bytes).unwrap();
        tmp.flush().unwrap();
        let file = BlockFile::new(File::open(tmp.path()).unwrap(), tmp.path(), cache).unwrap();
        (tmp, file)
    }

    #[test]
    fn reads_across_blocks_through_a_small_cache() {
        let values: Vec<u32> = (0..100_000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let mut bytes = vec![7u8; 3];
        u32::put_all(&values, &mut bytes);
        let (_tmp, file) = file_of(&bytes, 0);
        let slice = DiskSlice {
            file: file.clone(),
            offset: 3,
            len: values.len(),
        };
        for at in (0..values.len()).step_by(1_021).chain([values.len() - 1]) {
            assert_eq!(file.get::<u32>(3 + 4 * at as u64), values[at]);
        }
        let mut out = Vec::new();
        slice.get_range::<u32>(1_000..5_000, &mut out);
        assert_eq!(out, values[1_000..5_000]);
        assert!(file.cached_bytes() <= file.cache_capacity());
        let mut reader = SliceReader::<u32>::new(slice);
        let all: Vec<u32> = reader.by_ref().collect();
        reader.finish().unwrap();
        assert_eq!(all, values);
        assert!(file.error().is_none());
    }

    #[test]
    fn a_read_past_the_end_reads_zeros_and_keeps_the_error() {
        let (_tmp, file) = file_of(&[1, 2, 3, 4, 5], 1 << 20);
        assert_eq!(file.get::<u32>(0), u32::from_le_bytes([1, 2, 3, 4]));
        // The bytes there, then zeros.
        assert_eq!(file.get::<u64>(2), 0x0005_0403);
        let error = file.error().expect("kept").to_string();
        assert!(error.contains("past the end"), "{error}");
        assert_eq!(file.error().expect("kept still").to_string(), error);
    }
}
