//! The normalizer and paragraph splitter: spans in bounds and on char
//! boundaries, clean-up and matching keys idempotent.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use newsdedup::Normalizer;
use newsdedup::normalize::{clean_text, matching_key};

#[derive(Debug, Arbitrary)]
struct Input {
    text: String,
    remove_links: bool,
}

fuzz_target!(|input: Input| {
    let normalizer = Normalizer::builder()
        .remove_links(input.remove_links)
        .build()
        .unwrap();
    let doc = normalizer.normalize_document(&input.text);
    for p in &doc.paragraphs {
        assert!(p.span.end <= input.text.len());
        assert!(input.text.is_char_boundary(p.span.start) && input.text.is_char_boundary(p.span.end));
        for cut in &p.cuts {
            assert!(cut.span.start >= p.span.start && cut.span.end <= p.span.end);
        }
        assert_eq!(clean_text(&p.text), p.text.as_str());
        assert_eq!(matching_key(&p.key), p.key);
    }
    let once = clean_text(&input.text).into_owned();
    assert_eq!(clean_text(&once), once.as_str());
});
