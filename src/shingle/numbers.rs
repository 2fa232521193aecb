//! Numbers for distinct 64-bit keys, by open addressing: the table the
//! coverage stage's inner loops look a paragraph's words
//! ([`crate::clean::cover`]'s alignment) and shingles ([`super::probe`])
//! up in, a probe or two per lookup.

/// A slot holding no key.
const EMPTY: u32 = u32::MAX;

/// Numbers the distinct keys put in it from 0, in order of first
/// insertion. Linear probing, Fibonacci hashing, at most half full.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyNumbers {
    /// (key, its number), the number [`EMPTY`] for a free slot.
    slots: Vec<(u64, u32)>,
    /// 64 minus the log2 of the slot count.
    shift: u32,
    len: u32,
}

impl KeyNumbers {
    /// Empties the table, sized for at most `keys` distinct keys.
    pub(crate) fn reset(&mut self, keys: usize) {
        let size = (2 * keys).next_power_of_two().max(8);
        self.shift = 64 - size.trailing_zeros();
        self.slots.clear();
        self.slots.resize(size, (0, EMPTY));
        self.len = 0;
    }

    #[inline(always)]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The number of `key`, numbering it next when it is new.
    ///
    /// # Panics
    ///
    /// Before [`KeyNumbers::reset`], or when more distinct keys are put in
    /// than it was sized for.
    #[inline]
    pub(crate) fn number(&mut self, key: u64) -> u32 {
        assert!(!self.slots.is_empty(), "a key table is reset before use");
        let mask = self.slots.len() - 1;
        let mut slot = self.slot(key);
        loop {
            match self.slots[slot] {
                (_, EMPTY) => {
                    assert!(
                        (self.len as usize) < self.slots.len() / 2,
                        "a key table holds at most the keys it was sized for"
                    );
                    self.slots[slot] = (key, self.len);
                    self.len += 1;
                    return self.len - 1;
                }
                (k, number) if k == key => return number,
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// The number of `key`, when it was put in.
    #[inline(always)]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = self.slot(key);
        loop {
            match self.slots[slot] {
                (_, EMPTY) => return None,
                (k, number) if k == key => return Some(number),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// How many distinct keys it holds.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_numbered_in_order_of_first_insertion() {
        let mut numbers = KeyNumbers::default();
        assert_eq!(numbers.get(5), None);
        let keys = [5u64, 0, u64::MAX, 5, 1 << 40, 0, 77];
        numbers.reset(keys.len());
        let got: Vec<u32> = keys.iter().map(|&k| numbers.number(k)).collect();
        assert_eq!(got, [0, 1, 2, 0, 3, 1, 4]);
        assert_eq!(numbers.len(), 5);
        assert_eq!(numbers.get(1 << 40), Some(3));
        assert_eq!(numbers.get(6), None);
        numbers.reset(1);
        assert_eq!((numbers.len(), numbers.get(5)), (0, None));
    }
}
