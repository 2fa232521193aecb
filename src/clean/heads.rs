//! The posting heads: an open-addressing table from a 32-bit fingerprint to
//! a 32-bit value, looked up many keys at a time. The token dictionary of
//! [`CodedTokens`](super::token_store::CodedTokens) is one too, keyed by
//! token, for the same reason: a run's lookups touched first overlap their
//! misses.
//!
//! Every paragraph of the coverage stage looks up a dozen fingerprints in
//! a table of millions, and each lookup misses the cache. One at a time,
//! the misses come one after another: `std`'s table keeps its control bytes
//! and its entries apart, two misses a lookup, and the work between them
//! (a branch on what was found, reading the chain) keeps the processor from
//! running ahead to the next key. This table keeps key and value in one
//! 8-byte slot, and [`Heads::touch`] first reads the home slot of every key
//! of a paragraph in a loop with no branches, so that their misses overlap;
//! the lookups that follow find their slots in cache.
//!
//! Slots are probed linearly from a home slot given by the top bits of the
//! key times an odd constant (fingerprints are minima of windows, so their
//! own bits are skewed to small values). The table doubles past three
//! quarters full.

use std::io::{self, Write};

use super::persist::{Decoder, Encoder, Input, Persist, invalid};

/// A slot's value when it is empty (no stored value may be this).
pub(crate) const EMPTY: u32 = u32::MAX;

/// The fewest slots of a table that holds anything.
const MIN_SLOTS: usize = 16;

/// Fingerprint to value, see the module docs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Heads {
    /// `(key, value)`, `value` [`EMPTY`] for a free slot; empty or a power
    /// of two long.
    slots: Vec<(u32, u32)>,
    len: usize,
}

impl Heads {
    /// Number of keys held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// Slots allocated (for the memory estimate).
    pub(crate) fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Every `(key, value)` held, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.slots.iter().copied().filter(|&(_, v)| v != EMPTY)
    }

    /// Empties it, keeping its slots.
    pub(crate) fn clear(&mut self) {
        if self.len > 0 {
            self.slots.fill((0, EMPTY));
            self.len = 0;
        }
    }

    /// The home slot of `key`.
    #[inline]
    fn home(&self, key: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        // The top `bits` bits of a 64-bit product; `bits` is at least 4.
        (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// Reads the home slot of each key, so that the lookups that follow
    /// find them in cache (see the module docs). Returns a value only to
    /// keep the reads from being optimized away.
    pub(crate) fn touch(&self, keys: &[u32]) -> u32 {
        if self.slots.is_empty() {
            return 0;
        }
        keys.iter()
            .fold(0, |acc, &key| acc ^ self.slots[self.home(key)].1)
    }

    /// The value of `key`.
    #[inline]
    pub(crate) fn get(&self, key: u32) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            let (k, v) = self.slots[at];
            if v == EMPTY {
                return None;
            }
            if k == key {
                return Some(v);
            }
            at = (at + 1) & mask;
        }
    }

    /// Inserts `value` for `key` and returns `None` when `key` is absent;
    /// else returns its value, to update.
    ///
    /// # Panics
    ///
    /// When `value` is [`EMPTY`].
    #[inline]
    pub(crate) fn insert_or_get(&mut self, key: u32, value: u32) -> Option<&mut u32> {
        assert!(value != EMPTY, "a stored value is never EMPTY");
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            let (k, v) = self.slots[at];
            if v == EMPTY {
                self.slots[at] = (key, value);
                self.len += 1;
                return None;
            }
            if k == key {
                return Some(&mut self.slots[at].1);
            }
            at = (at + 1) & mask;
        }
    }

    /// Doubles the slots and places every key again.
    fn grow(&mut self) {
        let slots = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![(0, EMPTY); slots]);
        let mask = slots - 1;
        for (key, value) in old.into_iter().filter(|&(_, v)| v != EMPTY) {
            let mut at = self.home(key);
            while self.slots[at].1 != EMPTY {
                at = (at + 1) & mask;
            }
            self.slots[at] = (key, value);
        }
    }
}

impl Persist for Heads {
    fn save<W: Write>(&self, out: &mut Encoder<W>) -> io::Result<()> {
        out.put_slice(&self.slots)
    }

    fn restore<R: Input>(input: &mut Decoder<R>) -> io::Result<Heads> {
        let slots: Vec<(u32, u32)> = input.take_vec()?;
        if !(slots.is_empty() || slots.len().is_power_of_two() && slots.len() >= MIN_SLOTS) {
            return Err(invalid(format!("a table of {} slots", slots.len())));
        }
        let len = slots.iter().filter(|&&(_, v)| v != EMPTY).count();
        // A lookup stops at a free slot: a table is never more than three
        // quarters full.
        if len * 4 > slots.len() * 3 {
            return Err(invalid(format!(
                "a table of {} slots holding {len}",
                slots.len()
            )));
        }
        Ok(Heads { slots, len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn behaves_as_a_map() {
        let mut heads = Heads::default();
        let mut map = HashMap::new();
        assert_eq!(heads.get(7), None);
        assert_eq!(heads.touch(&[1, 2, 3]), 0);
        let mut x = 1u64;
        for i in 0..100_000u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Keys skewed to small values, as window minima are, and
            // repeated: both insertions and updates.
            let key = ((x >> 40) as u32) % (1 << (i % 20 + 1));
            let value = i % (EMPTY - 1);
            match (heads.insert_or_get(key, value), map.get_mut(&key)) {
                (None, None) => {
                    map.insert(key, value);
                }
                (Some(got), Some(want)) => {
                    assert_eq!(*got, *want);
                    *got = (*got + 1) % (EMPTY - 1);
                    *want = *got;
                }
                (got, want) => panic!("{key}: {got:?} / {want:?}"),
            }
            if i % 1_000 == 0 {
                heads.touch(&[key, key / 2, 0]);
                for (&k, &v) in map.iter().take(50) {
                    assert_eq!(heads.get(k), Some(v));
                }
                assert_eq!(heads.get(u32::MAX - 1), map.get(&(u32::MAX - 1)).copied());
            }
        }
        assert_eq!(heads.len(), map.len());
        for (&k, &v) in &map {
            assert_eq!(heads.get(k), Some(v));
        }
        let mut held: Vec<(u32, u32)> = heads.iter().collect();
        held.sort_unstable();
        let mut want: Vec<(u32, u32)> = map.into_iter().collect();
        want.sort_unstable();
        assert_eq!(held, want);
        heads.clear();
        assert_eq!((heads.len(), heads.get(0)), (0, None));
    }
}
