//! The index's state as bytes, for [`crate::store`]: each structure writes
//! its fields in a fixed order and reads them back in the same order.
//!
//! Everything is little-endian with fixed widths ([`Fixed`]); a sequence is
//! its length (a `u64`) and then its items. Hash tables are written sorted
//! by key, so that the same state gives the same bytes whatever order it
//! was built in; the other structures are written as they lie in memory
//! (the open-addressing tables slot by slot, the chunked arrays chunk by
//! chunk), so that what is read back behaves, and grows, exactly as what
//! was written would have.
//!
//! [`Encoder`] and [`Decoder`] keep a running xxh3-64 of the bytes, which
//! the file ends with: a file cut short or changed is refused, not read
//! into a wrong index.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::io::{self, Read, Write};

use xxhash_rust::xxh3::Xxh3;

use crate::removal::{DocId, ParagraphRef};

/// Bytes buffered before they are hashed and written.
const BUFFER_BYTES: usize = 1 << 20;

/// A value of fixed width in the file.
pub(crate) trait Fixed: Copy {
    /// Its bytes in the file.
    const SIZE: usize;
    /// Appends its bytes to `out`.
    fn put(self, out: &mut Vec<u8>);
    /// Reads it from `bytes` (exactly [`Fixed::SIZE`] of them).
    fn take(bytes: &[u8]) -> Self;

    /// Appends the bytes of every one of `items` to `out`.
    fn put_all(items: &[Self], out: &mut Vec<u8>) {
        for &item in items {
            item.put(out);
        }
    }

    /// Appends to `items` the values whose bytes `bytes` holds, one after
    /// another.
    fn take_all(bytes: &[u8], items: &mut Vec<Self>) {
        items.extend(bytes.chunks_exact(Self::SIZE).map(Self::take));
    }
}

macro_rules! fixed_int {
    ($($t:ty),*) => {$(
        impl Fixed for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn take(bytes: &[u8]) -> Self {
                let mut le = [0u8; std::mem::size_of::<$t>()];
                le.copy_from_slice(bytes);
                <$t>::from_le_bytes(le)
            }
        }
    )*};
}

fixed_int!(u16, u32, u64);

impl Fixed for u8 {
    const SIZE: usize = 1;
    fn put(self, out: &mut Vec<u8>) {
        out.push(self);
    }
    fn take(bytes: &[u8]) -> Self {
        bytes[0]
    }
    fn put_all(items: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(items);
    }
    fn take_all(bytes: &[u8], items: &mut Vec<u8>) {
        items.extend_from_slice(bytes);
    }
}

impl Fixed for f64 {
    const SIZE: usize = 8;
    fn put(self, out: &mut Vec<u8>) {
        self.to_bits().put(out);
    }
    fn take(bytes: &[u8]) -> Self {
        f64::from_bits(u64::take(bytes))
    }
}

impl<A: Fixed, B: Fixed> Fixed for (A, B) {
    const SIZE: usize = A::SIZE + B::SIZE;
    #[inline]
    fn put(self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    #[inline]
    fn take(bytes: &[u8]) -> Self {
        (A::take(&bytes[..A::SIZE]), B::take(&bytes[A::SIZE..]))
    }
}

impl Fixed for DocId {
    const SIZE: usize = 4;
    fn put(self, out: &mut Vec<u8>) {
        self.0.put(out);
    }
    fn take(bytes: &[u8]) -> Self {
        DocId(u32::take(bytes))
    }
}

impl Fixed for ParagraphRef {
    const SIZE: usize = 8;
    fn put(self, out: &mut Vec<u8>) {
        (self.doc, self.paragraph).put(out);
    }
    fn take(bytes: &[u8]) -> Self {
        let (doc, paragraph) = <(DocId, u32)>::take(bytes);
        ParagraphRef { doc, paragraph }
    }
}

/// `table`'s entries sorted by key: the same entries give the same order,
/// whatever order they were inserted in.
pub(crate) fn sorted<K: Copy + Ord, V: Copy, S>(table: &HashMap<K, V, S>) -> Vec<(K, V)> {
    let mut entries: Vec<(K, V)> = table.iter().map(|(&k, &v)| (k, v)).collect();
    entries.sort_unstable_by_key(|&(k, _)| k);
    entries
}

/// Writes values to `out`, hashing every byte.
pub(crate) struct Encoder<W: Write> {
    out: W,
    buffer: Vec<u8>,
    hasher: Xxh3,
}

impl<W: Write> Encoder<W> {
    pub(crate) fn new(out: W) -> Encoder<W> {
        Encoder {
            out,
            buffer: Vec::with_capacity(BUFFER_BYTES),
            hasher: Xxh3::new(),
        }
    }

    fn spill(&mut self) -> io::Result<()> {
        self.hasher.update(&self.buffer);
        self.out.write_all(&self.buffer)?;
        self.buffer.clear();
        Ok(())
    }

    /// Writes one value.
    #[inline]
    pub(crate) fn put<T: Fixed>(&mut self, value: T) -> io::Result<()> {
        value.put(&mut self.buffer);
        if self.buffer.len() >= BUFFER_BYTES {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes a length or count.
    pub(crate) fn put_len(&mut self, len: usize) -> io::Result<()> {
        self.put(len as u64)
    }

    /// Writes `items` after their number.
    pub(crate) fn put_slice<T: Fixed>(&mut self, items: &[T]) -> io::Result<()> {
        self.put_len(items.len())?;
        for part in items.chunks(BUFFER_BYTES / T::SIZE) {
            T::put_all(part, &mut self.buffer);
            if self.buffer.len() >= BUFFER_BYTES {
                self.spill()?;
            }
        }
        Ok(())
    }

    /// Writes bytes already encoded (values read from an index file).
    pub(crate) fn put_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= BUFFER_BYTES {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes a hash table's entries after their number, sorted by key.
    pub(crate) fn put_table<K, V, S>(&mut self, table: &HashMap<K, V, S>) -> io::Result<()>
    where
        K: Fixed + Ord,
        V: Fixed,
    {
        self.put_slice(&sorted(table))
    }

    /// Writes the checksum of everything written before it; returns the
    /// writer, flushed.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.spill()?;
        let checksum = self.hasher.digest();
        self.out.write_all(&checksum.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Reads what an [`Encoder`] wrote, checking its checksum at the end.
pub(crate) struct Decoder<R: Input> {
    input: R,
    buffer: Vec<u8>,
    /// Unread bytes are `buffer[at..]`.
    at: usize,
    hasher: Xxh3,
    /// Bytes of the input not read into the buffer yet (the checksum's
    /// included): no length may promise more.
    left: u64,
    /// Bytes of the input in all.
    len: u64,
    /// What [`Decoder::position`] adds: where the input starts among the
    /// offsets of the block file it is read in place through.
    base: u64,
    /// Whether bytes were jumped over ([`Input::jump`]): the checksum of
    /// the whole cannot be checked, the input's blocks were.
    jumped: bool,
    /// Bytes read at once: [`BUFFER_BYTES`], or [`JUMPING_READ_BYTES`]
    /// once bytes were jumped over.
    read_bytes: usize,
}

/// Bytes a [`Decoder`] that jumps reads at once: what follows a jump is
/// mostly short (a fence, a count, a chunk), and reading a megabyte after
/// each would read most of what was jumped.
const JUMPING_READ_BYTES: usize = 64 << 10;

/// What a [`Decoder`] reads from.
pub(crate) trait Input: Read {
    /// Moves `n` bytes on without reading them, if this input can: one
    /// whose blocks are checked by checksums of their own as they are
    /// read (see [`BlockReader`](super::disk::BlockReader)), so that no
    /// byte needs reading to be checked. Returns whether it did.
    fn jump(&mut self, n: u64) -> io::Result<bool> {
        let _ = n;
        Ok(false)
    }
}

impl Input for std::fs::File {}
impl Input for &std::fs::File {}
impl Input for &[u8] {}

/// The error of a file whose contents are not what was written.
pub(crate) fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl<R: Input> Decoder<R> {
    /// A decoder of the `len` bytes of `input`.
    pub(crate) fn new(input: R, len: u64) -> Decoder<R> {
        Decoder {
            input,
            buffer: Vec::new(),
            at: 0,
            hasher: Xxh3::new(),
            left: len,
            len,
            base: 0,
            jumped: false,
            read_bytes: BUFFER_BYTES,
        }
    }

    /// The decoder, its [`Decoder::position`]s counted from `base`: the
    /// input is the part of a block file that starts there
    /// ([`BlockFile::part_start`](super::disk::BlockFile::part_start)).
    pub(crate) fn starting_at(mut self, base: u64) -> Decoder<R> {
        self.base = base;
        self
    }

    /// Bytes still to read, the checksum's included.
    fn remaining(&self) -> u64 {
        (self.buffer.len() - self.at) as u64 + self.left
    }

    /// Makes `need` bytes readable at `buffer[at..]`, hashing what is
    /// consumed; fails when the input (before its checksum) ends first.
    fn fill(&mut self, need: usize) -> io::Result<()> {
        if self.buffer.len() - self.at >= need {
            return Ok(());
        }
        if self.remaining() < need as u64 + 8 {
            return Err(invalid("the file ends too early"));
        }
        // Once bytes were jumped over, the checksum of the whole is not
        // checked: hashing what is read would be for nothing.
        if !self.jumped {
            self.hasher.update(&self.buffer[..self.at]);
        }
        self.buffer.drain(..self.at);
        self.at = 0;
        // Read up to a buffer's worth, but never the checksum.
        let want = (need.max(self.read_bytes) - self.buffer.len()) as u64;
        let take = want.min(self.left - 8) as usize;
        let start = self.buffer.len();
        self.buffer.resize(start + take, 0);
        self.input.read_exact(&mut self.buffer[start..])?;
        self.left -= take as u64;
        Ok(())
    }

    /// Reads one value.
    #[inline]
    pub(crate) fn take<T: Fixed>(&mut self) -> io::Result<T> {
        self.fill(T::SIZE)?;
        let value = T::take(&self.buffer[self.at..self.at + T::SIZE]);
        self.at += T::SIZE;
        Ok(value)
    }

    /// Reads a number of items of `size` bytes each (at least 1) that
    /// follow; fails when the input cannot hold that many (a damaged length
    /// is not allocated for).
    pub(crate) fn take_len(&mut self, size: usize) -> io::Result<usize> {
        let at = self.len - self.remaining();
        let len = self.take::<u64>()?;
        if len.saturating_mul(size as u64) > self.remaining().saturating_sub(8) {
            return Err(invalid(format!(
                "the length of {len} at byte {at} is longer than the file"
            )));
        }
        usize::try_from(len).map_err(|_| invalid("a length past this machine's memory"))
    }

    /// Where the next byte read is: bytes from the start of the input,
    /// after the base of [`Decoder::starting_at`].
    pub(crate) fn position(&self) -> u64 {
        self.base + self.len - self.remaining()
    }

    /// Reads past `len` items of `size` bytes each, hashing them (or
    /// jumps over them, where the input can: see [`Input::jump`]): what an
    /// index read in place leaves in the file.
    pub(crate) fn skip(&mut self, len: usize, size: usize) -> io::Result<()> {
        let mut left = len
            .checked_mul(size)
            .ok_or_else(|| invalid("a length past memory"))?;
        let ready = (self.buffer.len() - self.at).min(left);
        self.at += ready;
        left -= ready;
        if left > 0 && (left as u64) + 8 <= self.left && self.input.jump(left as u64)? {
            self.left -= left as u64;
            self.jumped = true;
            self.read_bytes = JUMPING_READ_BYTES;
            return Ok(());
        }
        while left > 0 {
            self.fill(1)?;
            let ready = (self.buffer.len() - self.at).min(left);
            self.at += ready;
            left -= ready;
        }
        Ok(())
    }

    /// Reads what [`Encoder::put_slice`] wrote.
    pub(crate) fn take_vec<T: Fixed>(&mut self) -> io::Result<Vec<T>> {
        let len = self.take_len(T::SIZE)?;
        self.take_items(len, Vec::with_capacity(len))
    }

    /// Appends `len` items to `items`.
    pub(crate) fn take_items<T: Fixed>(
        &mut self,
        len: usize,
        mut items: Vec<T>,
    ) -> io::Result<Vec<T>> {
        let mut left = len;
        while left > 0 {
            self.fill(T::SIZE)?;
            let ready = ((self.buffer.len() - self.at) / T::SIZE).min(left);
            let bytes = &self.buffer[self.at..self.at + ready * T::SIZE];
            T::take_all(bytes, &mut items);
            self.at += ready * T::SIZE;
            left -= ready;
        }
        Ok(items)
    }

    /// Reads what [`Encoder::put_table`] wrote.
    pub(crate) fn take_table<K, V, S>(&mut self) -> io::Result<HashMap<K, V, S>>
    where
        K: Fixed + Eq + Hash,
        V: Fixed,
        S: BuildHasher + Default,
    {
        let len = self.take_len(K::SIZE + V::SIZE)?;
        let mut table = HashMap::with_capacity_and_hasher(len, S::default());
        for _ in 0..len {
            let (key, value) = self.take::<(K, V)>()?;
            if table.insert(key, value).is_some() {
                return Err(invalid("a key stored twice in a table"));
            }
        }
        Ok(table)
    }

    /// Checks that nothing but the checksum is left, and that it is the
    /// checksum of what was read (unless bytes were jumped over: the
    /// input's blocks were checked instead).
    pub(crate) fn finish(mut self) -> io::Result<()> {
        if self.remaining() != 8 {
            return Err(invalid("bytes left over after the index"));
        }
        let rest = self.buffer.len() - self.at;
        debug_assert_eq!(rest, 0, "the checksum is never buffered");
        if self.jumped {
            return Ok(());
        }
        self.hasher.update(&self.buffer[..self.at]);
        let mut checksum = [0u8; 8];
        self.input.read_exact(&mut checksum)?;
        if u64::from_le_bytes(checksum) != self.hasher.digest() {
            return Err(invalid("its checksum does not match its contents"));
        }
        Ok(())
    }
}

/// A structure of the index that can be written and read back.
pub(crate) trait Persist: Sized {
    /// Writes it.
    fn save<W: Write>(&self, out: &mut Encoder<W>) -> io::Result<()>;
    /// Reads what [`Persist::save`] wrote.
    fn restore<R: Input>(input: &mut Decoder<R>) -> io::Result<Self>;
}

/// A structure of the index written in segments (see
/// [`store`](crate::store)): each segment holds what some runs changed,
/// and the segments, read oldest first onto one another, give the
/// structure. Written from the first segment, it is written whole: a
/// [`Persist`] structure.
pub(crate) trait Segmented: Default {
    /// Writes what segments `first..` of the file it was read from hold
    /// and what was added since, as one segment; from the first segment
    /// (and held in memory), the whole.
    fn save_from<W: Write>(&self, first: usize, out: &mut Encoder<W>) -> io::Result<()>;

    /// Reads a segment that [`Segmented::save_from`] wrote into memory,
    /// onto what the segments before it gave.
    fn extend_in_memory<R: Input>(&mut self, input: &mut Decoder<R>) -> io::Result<()>;
}

impl<S: Segmented> Persist for S {
    fn save<W: Write>(&self, out: &mut Encoder<W>) -> io::Result<()> {
        self.save_from(0, out)
    }

    fn restore<R: Input>(input: &mut Decoder<R>) -> io::Result<S> {
        let mut whole = S::default();
        whole.extend_in_memory(input)?;
        Ok(whole)
    }
}

/// Saves `saved` to a temporary file and reads it back in place, as the
/// one segment of an index file, with `extend` onto an empty `T`, through
/// a cache of `cache_bytes`, checking the checksum; returns the file (kept
/// while it is read), its block file and what was read.
#[cfg(test)]
pub(crate) fn saved_and_read_in_place<P: Persist, T: Default>(
    saved: &P,
    cache_bytes: u64,
    extend: impl FnOnce(&mut T, &mut Decoder<std::fs::File>, &super::disk::BlockFile) -> io::Result<()>,
) -> (tempfile::NamedTempFile, super::disk::BlockFile, T) {
    use std::fs::File;
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let mut out = Encoder::new(File::create(tmp.path()).unwrap());
    saved.save(&mut out).unwrap();
    out.finish().unwrap();
    let file = File::open(tmp.path()).unwrap();
    let len = file.metadata().unwrap().len();
    let blocks =
        super::disk::BlockFile::new(file.try_clone().unwrap(), tmp.path(), cache_bytes).unwrap();
    let mut input = Decoder::new(file, len);
    let mut read = T::default();
    extend(&mut read, &mut input, &blocks).unwrap();
    input.finish().unwrap();
    (tmp, blocks, read)
}

/// The bytes `saved` saves to, checksum included.
#[cfg(test)]
pub(crate) fn saved_bytes<P: Persist>(saved: &P) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut out = Encoder::new(&mut bytes);
    saved.save(&mut out).unwrap();
    out.finish().unwrap();
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(write: impl Fn(&mut Encoder<&mut Vec<u8>>) -> io::Result<()>) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut out = Encoder::new(&mut bytes);
        write(&mut out).unwrap();
        out.finish().unwrap();
        bytes
    }

    #[test]
    fn values_read_back_as_written_across_buffer_ends() {
        let items: Vec<(u32, u64)> = (0..300_000u32).map(|i| (i, u64::from(i) << 33)).collect();
        let bytes = encoded(|out| {
            out.put(7u8)?;
            out.put_slice(&items)?;
            out.put(-0.5f64)
        });
        let mut input = Decoder::new(bytes.as_slice(), bytes.len() as u64);
        assert_eq!(input.take::<u8>().unwrap(), 7);
        assert_eq!(input.take_vec::<(u32, u64)>().unwrap(), items);
        assert_eq!(input.take::<f64>().unwrap(), -0.5);
        input.finish().unwrap();
    }

    #[test]
    fn tables_are_written_in_key_order() {
        let a: HashMap<u64, u32> = [(5, 1), (1, 2), (9, 3)].into_iter().collect();
        let b: HashMap<u64, u32> = [(9, 3), (5, 1), (1, 2)].into_iter().collect();
        let (x, y) = (encoded(|o| o.put_table(&a)), encoded(|o| o.put_table(&b)));
        assert_eq!(x, y);
        let mut input = Decoder::new(x.as_slice(), x.len() as u64);
        let read: HashMap<u64, u32> = input.take_table().unwrap();
        assert_eq!(read, a);
    }

    #[test]
    fn damaged_files_are_refused() {
        let bytes = encoded(|out| out.put_slice(&[1u32, 2, 3]));
        // A changed byte: the checksum.
        let mut changed = bytes.clone();
        changed[9] ^= 1;
        let mut input = Decoder::new(changed.as_slice(), changed.len() as u64);
        input.take_vec::<u32>().unwrap();
        let error = input.finish().unwrap_err().to_string();
        assert!(error.contains("checksum"), "{error}");
        // Cut short: the length promises more than is there.
        let cut = &bytes[..bytes.len() - 3];
        let mut input = Decoder::new(cut, cut.len() as u64);
        let error = input.take_vec::<u32>().unwrap_err().to_string();
        assert!(error.contains("longer than the file"), "{error}");
        // A huge length is refused before anything is allocated.
        let huge = encoded(|out| out.put(u64::MAX));
        let mut input = Decoder::new(huge.as_slice(), huge.len() as u64);
        assert!(input.take_vec::<u64>().is_err());
    }
}
