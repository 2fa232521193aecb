//! The index's hash tables, in memory or read in place.
//!
//! An index file holds each table as its entries sorted by key
//! ([`Encoder::put_table`]): a sorted run. Read in place
//! ([`Table::extend_in_place`]), a [`Table`] keeps in memory only a
//! fence, the first key of every group of entries that fits in
//! [`GROUP_BYTES`] (an eighth of a [`BLOCK`]: a quarter of a byte an entry
//! of a 16-byte table), and what the run adds. A lookup finds its group in
//! the fence and scans it in the cached block, without copying it (a
//! group straddles two blocks one time in eight). Keys are hashes, spread
//! evenly, so the groups hold the same number of keys and the fence has no
//! hot spot.
//!
//! An index of several segments has a sorted run in each, holding the
//! entries its runs added or changed: a lookup asks the newest first.
//! Writing from segment `p` on ([`Table::save_from`]) merges the runs of
//! segments `p..` and the run's entries, in key order, the newest value
//! of each key winning: written from the first, the same entries give the
//! same bytes as a table that was in memory all along.

use std::io::{self, Write};
use std::sync::Arc;

use super::disk::{BLOCK, BlockFile, DiskSlice, SliceReader};
use super::persist::{Decoder, Encoder, Fixed, Input, Segmented, invalid, sorted};
use crate::shingle::HashTable;

/// A hash table from `u64` hashes to `V`, see the module docs.
#[derive(Clone, Debug)]
pub(crate) struct Table<V> {
    /// Entries added (or changed, see [`Table::update`]) since the file
    /// was read, or all of them in memory.
    recent: HashTable<V>,
    /// The sorted runs of the index file's segments read in place, oldest
    /// first.
    parts: TableParts,
    /// Distinct keys in `parts`.
    in_parts: usize,
    /// Keys of `recent` that the file holds too (values changed since).
    shadowed: usize,
    /// What the file holds (or not) of the keys of the batch being
    /// decided, read together in key order ([`TableParts::read_ahead`]).
    ahead: HashTable<Option<V>>,
}

/// The sorted runs of a table in an index file's segments, oldest first;
/// clones share them.
#[derive(Clone, Debug, Default)]
pub(crate) struct TableParts(Vec<Arc<DiskTable>>);

/// A sorted run of a table's entries in one segment of an index file.
#[derive(Debug)]
struct DiskTable {
    entries: DiskSlice,
    /// The first key of each group of [`DiskTable::group`] entries.
    fence: Vec<u64>,
    /// Entries of a group.
    group: usize,
    /// Keys no older segment holds.
    fresh: usize,
}

impl<V> Default for Table<V> {
    fn default() -> Table<V> {
        Table {
            recent: HashTable::default(),
            parts: TableParts::default(),
            in_parts: 0,
            shadowed: 0,
            ahead: HashTable::default(),
        }
    }
}

/// Bytes of a group of entries, at most: an eighth of a block, so that a
/// lookup reads few bytes and a group seldom straddles two blocks.
const GROUP_BYTES: usize = BLOCK / 8;

impl<V: Fixed> Table<V> {
    /// Entries of a group.
    const GROUP: usize = GROUP_BYTES / (8 + V::SIZE);

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.in_parts + self.recent.len() - self.shadowed
    }

    /// The value of `key`.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<V> {
        match self.recent.get(&key) {
            Some(&value) => Some(value),
            None => self.in_file(key),
        }
    }

    /// The file's value of `key`: as read ahead, or read now.
    #[inline]
    fn in_file(&self, key: u64) -> Option<V> {
        file_value(&self.parts, &self.ahead, key)
    }

    /// The sorted runs of an index file read in place, to read ahead from
    /// ([`TableParts::read_ahead`]) on any thread.
    pub(crate) fn file_part(&self) -> TableParts {
        self.parts.clone()
    }

    /// Answers lookups of the file from `ahead` (read from this table's
    /// [`Table::file_part`]) where it holds the key, instead of the file.
    /// The file does not change, so this changes no answer.
    pub(crate) fn set_read_ahead(&mut self, ahead: HashTable<Option<V>>) {
        self.ahead = ahead;
    }

    /// Inserts `value` under `key` unless the table holds the key.
    pub(crate) fn insert_new(&mut self, key: u64, value: impl FnOnce() -> V) {
        if self.in_file(key).is_some() {
            return;
        }
        self.recent.entry(key).or_insert_with(value);
    }

    /// Changes the value of `key` (`V::default()` when absent) by
    /// `change`.
    pub(crate) fn update(&mut self, key: u64, change: impl FnOnce(&mut V))
    where
        V: Default,
    {
        let Table {
            recent,
            parts,
            shadowed,
            ahead,
            ..
        } = self;
        let value = recent
            .entry(key)
            .or_insert_with(|| match file_value(parts, ahead, key) {
                Some(value) => {
                    *shadowed += 1;
                    value
                }
                None => V::default(),
            });
        change(value);
    }

    /// The keys added since the file was read (all of them, in memory),
    /// in no particular order.
    #[cfg(feature = "parallel")]
    pub(crate) fn recent_keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.recent.keys().copied()
    }

    /// Every entry, sorted by key. Entries in the file are read straight.
    pub(crate) fn sorted(&self) -> Vec<(u64, V)> {
        let mut all = Vec::with_capacity(self.len());
        self.merged_from(0, |entry| {
            all.push(entry);
            Ok(())
        })
        .expect("only the callback fails");
        all
    }

    /// Calls `each` with every entry of the runs of segments `first..` and
    /// the recent ones, in key order, a key's newest value (the recent
    /// one's, else the newest segment's). Reads the file straight, not
    /// through the cache.
    fn merged_from(
        &self,
        first: usize,
        mut each: impl FnMut((u64, V)) -> io::Result<()>,
    ) -> io::Result<()> {
        // Oldest first, the recent entries last: on a key several hold,
        // the last one's value wins.
        let mut readers: Vec<_> = self.parts.0[first.min(self.parts.0.len())..]
            .iter()
            .map(|part| {
                let mut reader = SliceReader::<(u64, V)>::new(part.entries.clone());
                let head = reader.next();
                (reader, head)
            })
            .collect();
        let mut recent = sorted(&self.recent).into_iter().peekable();
        loop {
            let heads = readers.iter().filter_map(|(_, head)| head.map(|(k, _)| k));
            let Some(key) = heads.chain(recent.peek().map(|&(k, _)| k)).min() else {
                break;
            };
            let mut value = None;
            for (reader, head) in &mut readers {
                if let Some((_, v)) = head.filter(|&(k, _)| k == key) {
                    value = Some(v);
                    *head = reader.next();
                }
            }
            if let Some((_, v)) = recent.next_if(|&(k, _)| k == key) {
                value = Some(v);
            }
            each((key, value.expect("the least key is some source's")))?;
        }
        readers
            .into_iter()
            .try_for_each(|(reader, _)| reader.finish())
    }

    /// Bytes held in memory: the recent entries' table, the fences and
    /// what was read ahead.
    pub(crate) fn memory_bytes(&self) -> usize {
        let fences: usize = self.parts.0.iter().map(|d| d.fence.capacity() * 8).sum();
        let table = super::index::table_bytes;
        table(self.recent.capacity(), 8 + std::mem::size_of::<V>())
            + table(self.ahead.capacity(), 8 + std::mem::size_of::<Option<V>>())
            + fences
    }

    /// Reads a segment's sorted run that [`Table::save_from`] wrote,
    /// leaving its entries in `file` (where `input` reads from, at the
    /// offsets of `file`): only the fence is read and kept, the entries
    /// jumped over where `input` can (else read past, for the checksum).
    pub(crate) fn extend_in_place<R: Input>(
        &mut self,
        input: &mut Decoder<R>,
        file: &BlockFile,
    ) -> io::Result<()> {
        let fresh = input.take_len(1)?;
        let len = input.take_len(8 + V::SIZE)?;
        if fresh > len {
            return Err(invalid("a table with more new keys than keys"));
        }
        let offset = input.position();
        input.skip(len, 8 + V::SIZE)?;
        let fence: Vec<u64> = input.take_vec()?;
        if fence.len() != len.div_ceil(Self::GROUP) || !fence.is_sorted() {
            return Err(invalid("a table's fence that is not its keys'"));
        }
        let entries = DiskSlice {
            file: file.clone(),
            offset,
            len,
        };
        self.parts.0.push(Arc::new(DiskTable {
            entries,
            fence,
            group: Self::GROUP,
            fresh,
        }));
        self.in_parts += fresh;
        Ok(())
    }
}

/// The value of `key` in the file's runs `parts` (none without a file):
/// from `ahead` when it was read ahead.
#[inline]
fn file_value<V: Fixed>(parts: &TableParts, ahead: &HashTable<Option<V>>, key: u64) -> Option<V> {
    if parts.0.is_empty() {
        return None;
    }
    match ahead.get(&key) {
        Some(&value) => value,
        None => parts.get(key),
    }
}

impl TableParts {
    /// The values of `keys` (sorted), read together in key order: the
    /// lookups of a batch, so that each block of the file they need is
    /// read once for the batch, however small the cache, and the decisions
    /// find them in memory ([`Table::set_read_ahead`]). Empty without a
    /// file.
    pub(crate) fn read_ahead<V: Fixed>(&self, keys: &[u64]) -> HashTable<Option<V>> {
        debug_assert!(keys.is_sorted());
        if self.0.is_empty() {
            return HashTable::default();
        }
        let mut ahead: HashTable<Option<V>> = keys.iter().map(|&key| (key, None)).collect();
        // Segment by segment, newest first, each in key order.
        for part in self.0.iter().rev() {
            for &key in keys {
                let value = ahead.get_mut(&key).expect("every key is in");
                if value.is_none() {
                    *value = part.get(key);
                }
            }
        }
        ahead
    }

    /// The newest segment's value of `key`.
    fn get<V: Fixed>(&self, key: u64) -> Option<V> {
        self.0.iter().rev().find_map(|part| part.get(key))
    }

    /// Segments holding a run.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

impl DiskTable {
    fn get<V: Fixed>(&self, key: u64) -> Option<V> {
        let group = self
            .fence
            .partition_point(|&first| first <= key)
            .checked_sub(1)?;
        let start = group * self.group;
        let end = (start + self.group).min(self.entries.len);
        let size = 8 + V::SIZE;
        let offset = self.entries.offset + (start * size) as u64;
        self.entries
            .file
            .with(offset, (end - start) * size, |bytes| {
                let entries = bytes.chunks_exact(size);
                let keys = entries.map(|entry| u64::take(&entry[..8]));
                // A group is short: a scan, not a binary search.
                let at = keys.take_while(|&k| k <= key).count().checked_sub(1)?;
                let (found, value) = <(u64, V)>::take(&bytes[at * size..(at + 1) * size]);
                (found == key).then_some(value)
            })
    }
}

impl<V: Fixed> Segmented for Table<V> {
    /// Writes what segments `first..` hold and what the run added, as one
    /// segment's sorted run (see the module docs); from the first segment,
    /// the whole table.
    fn save_from<W: Write>(&self, first: usize, out: &mut Encoder<W>) -> io::Result<()> {
        let parts = &self.parts.0[first.min(self.parts.0.len())..];
        let fresh =
            parts.iter().map(|p| p.fresh).sum::<usize>() + self.recent.len() - self.shadowed;
        out.put_len(fresh)?;
        let held = parts.iter().map(|p| p.entries.len).sum::<usize>() + self.recent.len();
        let len = if parts.len() + usize::from(!self.recent.is_empty()) <= 1 {
            held
        } else {
            // Keys several of them hold are written once: count them in
            // a first pass.
            let mut len = 0;
            self.merged_from(first, |_| {
                len += 1;
                Ok(())
            })?;
            len
        };
        out.put_len(len)?;
        // The fence after the entries: an index opened in place reads it
        // and jumps over the entries.
        let mut fence = Vec::with_capacity(len.div_ceil(Self::GROUP));
        let mut at = 0;
        self.merged_from(first, |entry| {
            if at % Self::GROUP == 0 {
                fence.push(entry.0);
            }
            at += 1;
            out.put(entry)
        })?;
        out.put_slice(&fence)
    }

    /// Reads a segment's sorted run that [`Table::save_from`] wrote into
    /// memory, onto the table in memory read from the segments before it:
    /// its values replace theirs.
    fn extend_in_memory<R: Input>(&mut self, input: &mut Decoder<R>) -> io::Result<()> {
        debug_assert!(self.parts.0.is_empty(), "a table in memory");
        let fresh = input.take_len(1)?;
        let len = input.take_len(8 + V::SIZE)?;
        let before = self.recent.len();
        self.recent.reserve(fresh.min(len));
        let mut previous = None;
        for _ in 0..len {
            let (key, value) = input.take::<(u64, V)>()?;
            if previous.is_some_and(|p| p >= key) {
                return Err(invalid("a table's keys out of order"));
            }
            previous = Some(key);
            self.recent.insert(key, value);
        }
        // The fence, which memory does not need.
        let fence = input.take_len(8)?;
        input.skip(fence, 8)?;
        if self.recent.len() != before + fresh {
            return Err(invalid("a table segment whose new keys are not its count"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clean::persist::{saved_and_read_in_place, saved_bytes};

    fn key(i: u64) -> u64 {
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[test]
    fn a_table_read_in_place_answers_as_in_memory_and_saves_the_same_bytes() {
        let mut memory = Table::<u32>::default();
        for i in 0..20_000 {
            memory.insert_new(key(i), || i as u32);
        }
        let (_tmp, _, mut disk) = saved_and_read_in_place(&memory, 0, Table::extend_in_place);
        assert_eq!(disk.len(), memory.len());
        for i in (0..25_000).step_by(7) {
            assert_eq!(disk.get(key(i)), memory.get(key(i)), "key {i}");
        }
        // Additions, a changed value, and an insert of a key held: the
        // same in both.
        for table in [&mut memory, &mut disk] {
            for i in 20_000..21_000 {
                table.insert_new(key(i), || i as u32);
            }
            table.insert_new(key(5), || 99);
            table.update(key(6), |v| *v += 1_000);
            table.update(key(30_000), |v| *v += 1);
        }
        assert_eq!(disk.len(), memory.len());
        // Read ahead (after the changes, and before more): the same
        // answers, those read ahead with no block lookup.
        let mut keys: Vec<u64> = (0..25_000).step_by(3).map(key).collect();
        keys.sort_unstable();
        let file_part = disk.file_part();
        disk.set_read_ahead(file_part.read_ahead(&keys));
        let file = file_part.0[0].entries.file.clone();
        let lookups = || {
            let (hits, misses) = file.cache_counts();
            hits + misses
        };
        let before = lookups();
        for &k in &keys {
            assert_eq!(disk.get(k), memory.get(k));
        }
        assert_eq!(lookups(), before, "read ahead, from memory");
        for table in [&mut memory, &mut disk] {
            table.update(key(9), |v| *v += 1_000);
            table.insert_new(key(21_003), || 7);
            table.insert_new(key(24_000), || 8);
        }
        for i in (0..25_000).step_by(3) {
            assert_eq!(disk.get(key(i)), memory.get(key(i)), "key {i}");
        }
        assert_eq!(disk.len(), memory.len());
        assert_eq!(disk.get(key(6)), Some(1_006));
        assert_eq!(disk.get(key(5)), Some(5));
        assert_eq!(disk.sorted(), memory.sorted());
        assert_eq!(saved_bytes(&disk), saved_bytes(&memory));
    }
}
