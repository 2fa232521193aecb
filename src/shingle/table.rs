//! A hash table for keys that are hashes already (xxh3 values of
//! paragraphs, documents, fingerprints, tokens), for the index's large
//! tables.
//!
//! Each lookup in a table of hundreds of megabytes is a cache miss, and
//! those misses are most of the ordered decision's time on a large corpus.
//! `std`'s table keeps its control bytes apart from its entries, so a
//! lookup that finds its key touches two cache lines; here each key sits
//! beside its value, so it touches one. Linear probing with Fibonacci
//! hashing, at most three quarters full: a lookup reads a slot or two, in
//! the same line most of the time.

/// A key of a [`KeyTable`]: a hash value. Zero marks a free slot, so the
/// key zero is held apart.
pub(crate) trait TableKey: Copy + Eq + std::fmt::Debug {
    /// The key that marks a free slot.
    const FREE: Self;
    /// The key as 64 bits, for placing it.
    fn bits(self) -> u64;
}

impl TableKey for u64 {
    const FREE: u64 = 0;
    fn bits(self) -> u64 {
        self
    }
}

impl TableKey for u32 {
    const FREE: u32 = 0;
    fn bits(self) -> u64 {
        u64::from(self)
    }
}

/// Most slots [`KeyTable::clear`] keeps.
const MAX_KEPT_SLOTS: usize = 1 << 14;

/// A map from hash keys to small values, each key beside its value.
#[derive(Clone, Debug)]
pub(crate) struct KeyTable<K, V> {
    /// (key, value); a slot whose key is [`TableKey::FREE`] is free (its
    /// value is a copy of some other value, never read).
    slots: Vec<(K, V)>,
    /// Keys in `slots`.
    len: usize,
    /// 64 minus the log2 of the slot count.
    shift: u32,
    /// The value of the key [`TableKey::FREE`], which has no slot.
    free_key: Option<V>,
}

impl<K, V> Default for KeyTable<K, V> {
    fn default() -> KeyTable<K, V> {
        KeyTable {
            slots: Vec::new(),
            len: 0,
            shift: 64,
            free_key: None,
        }
    }
}

impl<K: TableKey, V: Copy> KeyTable<K, V> {
    /// Keys held.
    pub(crate) fn len(&self) -> usize {
        self.len + usize::from(self.free_key.is_some())
    }

    /// Bytes the table holds on the heap.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(K, V)>()
    }

    /// Empties the table, keeping its slots for reuse unless there are
    /// many (so that emptying stays cheap when one use was large).
    pub(crate) fn clear(&mut self) {
        if self.slots.len() > MAX_KEPT_SLOTS {
            *self = KeyTable::default();
            return;
        }
        for slot in &mut self.slots {
            slot.0 = K::FREE;
        }
        self.len = 0;
        self.free_key = None;
    }

    #[inline(always)]
    fn home(&self, key: K) -> usize {
        (key.bits().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The value of `key`.
    #[inline]
    pub(crate) fn get(&self, key: K) -> Option<&V> {
        if key == K::FREE {
            return self.free_key.as_ref();
        }
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            let (k, v) = &self.slots[at];
            if *k == key {
                return Some(v);
            }
            if *k == K::FREE {
                return None;
            }
            at = (at + 1) & mask;
        }
    }

    /// The value of `key`, inserting `value` first when it has none; and
    /// whether it was inserted.
    #[inline]
    pub(crate) fn get_or_insert(&mut self, key: K, value: V) -> (&mut V, bool) {
        if key == K::FREE {
            let inserted = self.free_key.is_none();
            return (self.free_key.get_or_insert(value), inserted);
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow(value);
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            let k = self.slots[at].0;
            if k == key {
                return (&mut self.slots[at].1, false);
            }
            if k == K::FREE {
                self.slots[at] = (key, value);
                self.len += 1;
                return (&mut self.slots[at].1, true);
            }
            at = (at + 1) & mask;
        }
    }

    /// Doubles the slots (16 at first) and places every key again; `filler`
    /// fills the free slots' values.
    fn grow(&mut self, filler: V) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![(K::FREE, filler); size]);
        self.shift = 64 - size.trailing_zeros();
        let mask = size - 1;
        for (key, value) in old.into_iter().filter(|(key, _)| *key != K::FREE) {
            let mut at = self.home(key);
            while self.slots[at].0 != K::FREE {
                at = (at + 1) & mask;
            }
            self.slots[at] = (key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn agrees_with_a_hash_map() {
        let mut table: KeyTable<u64, u32> = KeyTable::default();
        let mut map = HashMap::new();
        let mut x = 5u64;
        for i in 0..20_000u32 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            // Few distinct keys, so that many repeat; zero among them.
            let key = (x >> 40) % 1_000 * 0x0123_4567_89AB;
            let (value, inserted) = table.get_or_insert(key, i);
            assert_eq!(inserted, !map.contains_key(&key));
            assert_eq!(*value, *map.entry(key).or_insert(i));
            *value += 1;
            *map.get_mut(&key).expect("just inserted") += 1;
        }
        assert!(map.contains_key(&0), "the key zero was tried");
        assert_eq!(table.len(), map.len());
        for (key, value) in &map {
            assert_eq!(table.get(*key), Some(value));
        }
        assert_eq!(table.get(12_345), map.get(&12_345));
        assert!(table.memory_bytes() >= table.len() * 12);
    }

    #[test]
    fn a_cleared_table_is_empty_and_works_again() {
        let mut table: KeyTable<u32, u32> = KeyTable::default();
        for key in 0..100 {
            table.get_or_insert(key, key);
        }
        table.clear();
        assert_eq!(table.len(), 0);
        assert_eq!(table.get(0), None);
        assert_eq!(table.get(5), None);
        assert_eq!(table.get_or_insert(5, 7), (&mut 7, true));
        assert_eq!(table.get(5), Some(&7));
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let table: KeyTable<u32, u64> = KeyTable::default();
        assert_eq!(table.get(0), None);
        assert_eq!(table.get(7), None);
        assert_eq!(table.len(), 0);
    }
}
