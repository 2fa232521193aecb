#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod clean;
pub mod error;
pub mod eval;
#[cfg(feature = "html")]
pub mod html;
pub mod jsonl;
pub mod normalize;
pub mod paragraph;
#[cfg(feature = "parallel")]
pub mod pipeline;
pub mod removal;
pub mod report;
pub mod shingle;
pub mod span;
pub mod store;

pub use clean::{Analysis, Cleaned, Cleaner, CleanerBuilder, FileCache, Index, ParagraphOutcome};
pub use error::{Error, ErrorKind};
pub use normalize::{Mode, Normalizer, NormalizerBuilder};
pub use paragraph::Layout;
pub use removal::{DocId, ParagraphRef, Removal, RemovalKind, RuleId};
pub use span::Span;
