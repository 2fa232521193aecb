//! The index's hash tables, in memory or read in place.
//!
//! An index file holds each table as its entries sorted by key
//! ([`Encoder::put_table`]): a sorted run. Read in place
//! ([`Table::restore_in_place`]), a [`Table`] keeps in memory only a
//! fence, the first key of every group of entries that fits in
//! [`GROUP_BYTES`] (an eighth of a [`BLOCK`]: a quarter of a byte an entry
//! of a 16-byte table), and what the run adds. A lookup finds its group in
//! the fence and scans it in the cached block, without copying it (a
//! group straddles two blocks one time in eight). Keys are hashes, spread
//! evenly, so the groups hold the same number of keys and the fence has no
//! hot spot.
//!
//! Writing it back merges the run's entries into the file's, in key
//! order: the same entries give the same bytes as a table that was in
//! memory all along.

use std::io::{self, Read, Write};
use std::sync::Arc;

use super::disk::{BLOCK, BlockFile, DiskSlice};
use super::persist::{Decoder, Encoder, Fixed, Persist, sorted};
use crate::shingle::HashTable;

/// A hash table from `u64` hashes to `V`, see the module docs.
#[derive(Clone, Debug)]
pub(crate) struct Table<V> {
    /// Entries added (or changed, see [`Table::update`]) since the file
    /// was read, or all of them in memory.
    recent: HashTable<V>,
    disk: Option<Arc<DiskTable>>,
    /// Keys of `recent` that the file holds too (values changed since).
    shadowed: usize,
    /// What the file holds (or not) of the keys of the batch being
    /// decided, read together in key order ([`DiskTable::read_ahead`]).
    ahead: HashTable<Option<V>>,
}

/// A sorted run of a table's entries in the index file.
#[derive(Clone, Debug)]
pub(crate) struct DiskTable {
    entries: DiskSlice,
    /// The first key of each group of [`DiskTable::group`] entries.
    fence: Vec<u64>,
    /// Entries of a group.
    group: usize,
}

impl<V> Default for Table<V> {
    fn default() -> Table<V> {
        Table {
            recent: HashTable::default(),
            disk: None,
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
        self.disk.as_ref().map_or(0, |d| d.entries.len) + self.recent.len() - self.shadowed
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
        file_value(self.disk.as_ref(), &self.ahead, key)
    }

    /// The sorted run of an index file read in place, to read ahead from
    /// ([`DiskTable::read_ahead`]) on any thread.
    pub(crate) fn file_part(&self) -> Option<Arc<DiskTable>> {
        self.disk.clone()
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
            disk,
            shadowed,
            ahead,
        } = self;
        let value =
            recent
                .entry(key)
                .or_insert_with(|| match file_value(disk.as_ref(), ahead, key) {
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

    /// Every entry, sorted by key. Entries in the file are read through
    /// its cache.
    pub(crate) fn sorted(&self) -> Vec<(u64, V)> {
        let mut all = Vec::with_capacity(self.len());
        self.merged(|entry| {
            all.push(entry);
            Ok(())
        })
        .expect("only the callback fails");
        all
    }

    /// Calls `each` with every entry in key order: the file's, merged with
    /// the recent ones (which win on a key both hold). Reads the file
    /// straight, not through the cache.
    fn merged(&self, mut each: impl FnMut((u64, V)) -> io::Result<()>) -> io::Result<()> {
        let recent = sorted(&self.recent);
        let mut recent = recent.into_iter().peekable();
        if let Some(disk) = &self.disk {
            let mut failed = Ok(());
            disk.entries.for_each::<(u64, V)>(|(key, value)| {
                if failed.is_err() {
                    return;
                }
                while let Some(entry) = recent.next_if(|&(k, _)| k < key) {
                    if let Err(e) = each(entry) {
                        failed = Err(e);
                        return;
                    }
                }
                let entry = match recent.next_if(|&(k, _)| k == key) {
                    Some(changed) => changed,
                    None => (key, value),
                };
                if let Err(e) = each(entry) {
                    failed = Err(e);
                }
            })?;
            failed?;
        }
        recent.try_for_each(each)
    }

    /// Bytes held in memory: the recent entries' table, the fence and
    /// what was read ahead.
    pub(crate) fn memory_bytes(&self) -> usize {
        let fence = self.disk.as_ref().map_or(0, |d| d.fence.capacity() * 8);
        let table = super::index::table_bytes;
        table(self.recent.capacity(), 8 + std::mem::size_of::<V>())
            + table(self.ahead.capacity(), 8 + std::mem::size_of::<Option<V>>())
            + fence
    }

    /// Reads what [`Persist::save`] wrote, leaving the entries in `file`
    /// (where `input` reads from): only the fence is kept. The whole run
    /// is read past for the checksum, and its order checked.
    pub(crate) fn restore_in_place<R: Read>(
        input: &mut Decoder<R>,
        file: &BlockFile,
    ) -> io::Result<Table<V>> {
        let len = input.take_len(8 + V::SIZE)?;
        let offset = input.position();
        let group = Self::GROUP;
        let mut fence = Vec::with_capacity(len.div_ceil(group));
        let mut previous = None;
        for at in 0..len {
            let (key, _) = input.take::<(u64, V)>()?;
            if previous.is_some_and(|p| p >= key) {
                return Err(super::persist::invalid("a table's keys out of order"));
            }
            previous = Some(key);
            if at % group == 0 {
                fence.push(key);
            }
        }
        let entries = DiskSlice {
            file: file.clone(),
            offset,
            len,
        };
        Ok(Table {
            recent: HashTable::default(),
            disk: Some(Arc::new(DiskTable {
                entries,
                fence,
                group,
            })),
            shadowed: 0,
            ahead: HashTable::default(),
        })
    }
}

/// The value of `key` in the file `disk` (none without a file): from
/// `ahead` when it was read ahead.
#[inline]
fn file_value<V: Fixed>(
    disk: Option<&Arc<DiskTable>>,
    ahead: &HashTable<Option<V>>,
    key: u64,
) -> Option<V> {
    let disk = disk?;
    match ahead.get(&key) {
        Some(&value) => value,
        None => disk.get(key),
    }
}

impl DiskTable {
    /// The values of `keys` (sorted), read together in key order: the
    /// lookups of a batch, so that each block of the file they need is
    /// read once for the batch, however small the cache, and the decisions
    /// find them in memory ([`Table::set_read_ahead`]).
    pub(crate) fn read_ahead<V: Fixed>(&self, keys: &[u64]) -> HashTable<Option<V>> {
        debug_assert!(keys.is_sorted());
        keys.iter().map(|&key| (key, self.get(key))).collect()
    }

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

impl<V: Fixed> Persist for Table<V> {
    fn save<W: Write>(&self, out: &mut Encoder<W>) -> io::Result<()> {
        out.put_len(self.len())?;
        self.merged(|entry| out.put(entry))
    }

    fn restore<R: Read>(input: &mut Decoder<R>) -> io::Result<Table<V>> {
        Ok(Table {
            recent: input.take_table()?,
            disk: None,
            shadowed: 0,
            ahead: HashTable::default(),
        })
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
        let (_tmp, _, mut disk) = saved_and_read_in_place(&memory, 0, Table::restore_in_place);
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
        let file_part = disk.file_part().unwrap();
        disk.set_read_ahead(file_part.read_ahead(&keys));
        let file = file_part.entries.file.clone();
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
