//! The kept paragraphs' text for `--diff`, which shows how a near-duplicate
//! differs from its kept copy, possibly thousands of articles back.
//!
//! Holding every kept paragraph in memory for the whole run would make the
//! diff's memory grow with the corpus. The texts go to a temporary file
//! instead (removed when the run ends), as they are decided; memory holds where each one is (16
//! bytes a paragraph, not its text), and a document's diff reads back the
//! few it names.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use newsdedup::{Cleaned, ParagraphRef};
use tempfile::NamedTempFile;

/// Kept paragraphs' text, on disk, by paragraph.
pub struct KeptTexts {
    writer: BufWriter<NamedTempFile>,
    /// A second handle, with its own position.
    reader: File,
    /// Bytes written so far.
    end: u64,
    /// Where each paragraph's text is: offset and length.
    places: HashMap<ParagraphRef, (u64, u32)>,
}

impl KeptTexts {
    /// An empty store, in a temporary file that is removed with it.
    pub fn new() -> io::Result<KeptTexts> {
        let file = NamedTempFile::new()?;
        Ok(KeptTexts {
            reader: file.reopen()?,
            writer: BufWriter::with_capacity(1 << 16, file),
            end: 0,
            places: HashMap::new(),
        })
    }

    /// Stores the text of every kept paragraph of `cleaned`.
    pub fn remember(&mut self, cleaned: &Cleaned) -> io::Result<()> {
        if cleaned.dropped {
            return Ok(());
        }
        let kept = cleaned
            .paragraphs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kept)
            .map(|(i, _)| i);
        for (paragraph, text) in kept.zip(cleaned.text.split(cleaned.layout.separator())) {
            let at = ParagraphRef {
                doc: cleaned.doc,
                paragraph: paragraph as u32,
            };
            let len = u32::try_from(text.len()).map_err(io::Error::other)?;
            self.writer.write_all(text.as_bytes())?;
            self.places.insert(at, (self.end, len));
            self.end += u64::from(len);
        }
        Ok(())
    }

    /// The texts of those of `paragraphs` that were stored.
    pub fn texts(
        &mut self,
        paragraphs: impl IntoIterator<Item = ParagraphRef>,
    ) -> io::Result<HashMap<ParagraphRef, String>> {
        let mut texts = HashMap::new();
        self.writer.flush()?;
        for at in paragraphs {
            let Some(&(offset, len)) = self.places.get(&at) else {
                continue;
            };
            if texts.contains_key(&at) {
                continue;
            }
            self.reader.seek(SeekFrom::Start(offset))?;
            let mut bytes = vec![0; len as usize];
            self.reader.read_exact(&mut bytes)?;
            let text = String::from_utf8(bytes).map_err(io::Error::other)?;
            texts.insert(at, text);
        }
        Ok(texts)
    }
}
