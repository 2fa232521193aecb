//! Output: atomic files and directories, JSONL records with fields kept.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use tempfile::{NamedTempFile, TempDir};

use newsdedup::jsonl::{self, Fields};

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn io_context(path: &Path, what: &str, e: io::Error) -> String {
    format!("{}: {what}: {e}", path.display())
}

/// A file written under a temporary name beside its destination and renamed
/// into place by [`AtomicFile::commit`]. Dropped uncommitted, it disappears.
/// A destination named `*.gz` or `*.zst` is written compressed so, as such
/// inputs are read.
///
/// A destination that exists and is not a regular file (`/dev/null`, a
/// FIFO, a terminal) is written in place: renaming over it would replace the
/// device with a file. A symbolic link to a regular file keeps being a link;
/// the file it names is replaced.
pub struct AtomicFile {
    dest: PathBuf,
    /// The path the finished file is renamed onto: [`renamed_onto`] of
    /// `dest`, resolved once so that the temporary file is beside it.
    target: PathBuf,
    writer: Encoded,
    /// A record, reused from record to record ([`AtomicFile::write_record`]).
    record: Vec<u8>,
}

/// Where the bytes land: a temporary file to rename, or the destination
/// itself when it is no regular file.
enum Landing {
    Temp(NamedTempFile),
    InPlace(fs::File),
}

impl Write for Landing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Landing::Temp(file) => file.write(buf),
            Landing::InPlace(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Landing::Temp(file) => file.flush(),
            Landing::InPlace(file) => file.flush(),
        }
    }
}

/// The landing file, behind the compression its name asks for.
enum Encoded {
    Plain(BufWriter<Landing>),
    Gzip(GzEncoder<BufWriter<Landing>>),
    Zstd(zstd::Encoder<'static, BufWriter<Landing>>),
}

/// zstd's default level: about gzip's ratio at several times its speed.
const ZSTD_LEVEL: i32 = 3;

impl Write for Encoded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner().flush()
    }
}

impl Encoded {
    /// The writer that takes the bytes.
    fn inner(&mut self) -> &mut dyn Write {
        match self {
            Encoded::Plain(w) => w,
            Encoded::Gzip(w) => w,
            Encoded::Zstd(w) => w,
        }
    }

    /// Ends the compressed stream, if any: the buffered file, to commit.
    fn finish(self) -> io::Result<BufWriter<Landing>> {
        match self {
            Encoded::Plain(w) => Ok(w),
            Encoded::Gzip(w) => w.finish(),
            Encoded::Zstd(w) => w.finish(),
        }
    }
}

impl AtomicFile {
    pub fn create(dest: &Path) -> Result<AtomicFile, String> {
        let target = renamed_onto(dest);
        let landing = match fs::metadata(dest) {
            Ok(meta) if !meta.is_file() && !meta.is_dir() => Landing::InPlace(
                fs::OpenOptions::new()
                    .write(true)
                    .open(dest)
                    .map_err(|e| io_context(dest, "cannot open for writing", e))?,
            ),
            _ => Landing::Temp(
                tempfile::Builder::new()
                    .prefix(".newsdedup-")
                    .suffix(".tmp")
                    .tempfile_in(parent_of(&target))
                    .map_err(|e| io_context(dest, "cannot create a temporary file beside it", e))?,
            ),
        };
        let file = BufWriter::with_capacity(1 << 16, landing);
        let name = dest.file_name().unwrap_or_default().to_string_lossy();
        let writer = if name.ends_with(".gz") {
            Encoded::Gzip(GzEncoder::new(file, Compression::default()))
        } else if name.ends_with(".zst") {
            Encoded::Zstd(
                zstd::Encoder::new(file, ZSTD_LEVEL)
                    .map_err(|e| io_context(dest, "cannot start zstd compression", e))?,
            )
        } else {
            Encoded::Plain(file)
        };
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            target,
            writer,
            record: Vec::new(),
        })
    }

    pub fn writer(&mut self) -> &mut impl Write {
        &mut self.writer
    }

    /// Writes one record: `fill` writes it into a buffer reused from record
    /// to record, and the file takes it in one write. serde_json and the
    /// JSONL writer write a record in many small pieces, which a `Vec`
    /// takes inline where the file's writer (behind its compression) takes
    /// each through a dynamic call: on the medium corpus of
    /// `../shared/perf` this took 5% off a one-thread run.
    pub fn write_record(
        &mut self,
        fill: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> Result<(), String> {
        self.record.clear();
        let written = fill(&mut self.record).and_then(|()| self.writer.write_all(&self.record));
        written.map_err(|e| self.write_error(e))
    }

    /// The error message of a failed write to it, naming its path.
    fn write_error(&self, e: io::Error) -> String {
        io_context(&self.dest, "write failed", e)
    }

    pub fn commit(self) -> Result<(), String> {
        let dest = self.dest;
        let landing = self
            .writer
            .finish()
            .map_err(|e| io_context(&dest, "write failed", e))?
            .into_inner()
            .map_err(|e| io_context(&dest, "write failed", e.into_error()))?;
        match landing {
            Landing::Temp(temp) => {
                temp.as_file()
                    .sync_all()
                    .map_err(|e| io_context(&dest, "sync failed", e))?;
                temp.persist(&self.target)
                    .map_err(|e| io_context(&dest, "cannot rename into place", e.error))?;
            }
            Landing::InPlace(mut file) => {
                file.flush()
                    .map_err(|e| io_context(&dest, "write failed", e))?;
            }
        }
        Ok(())
    }
}

/// The path a finished file is renamed onto: the file a symbolic link names
/// (so the link stays a link), else `dest` itself.
fn renamed_onto(dest: &Path) -> PathBuf {
    let is_link = fs::symlink_metadata(dest).is_ok_and(|meta| meta.file_type().is_symlink());
    match is_link {
        true => fs::canonicalize(dest).unwrap_or_else(|_| dest.to_path_buf()),
        false => dest.to_path_buf(),
    }
}

/// A directory built under a temporary name beside its destination and
/// swapped into place by [`AtomicDir::commit`].
pub struct AtomicDir {
    dest: PathBuf,
    temp: TempDir,
}

impl AtomicDir {
    pub fn create(dest: &Path) -> Result<AtomicDir, String> {
        if dest.exists() && !dest.is_dir() {
            return Err(format!("{}: exists and is not a directory", dest.display()));
        }
        let temp = tempfile::Builder::new()
            .prefix(".newsdedup-")
            .suffix(".tmp")
            .tempdir_in(parent_of(dest))
            .map_err(|e| io_context(dest, "cannot create a temporary directory beside it", e))?;
        Ok(AtomicDir {
            dest: dest.to_path_buf(),
            temp,
        })
    }

    /// Writes `contents` at `relative` (a `/`-separated path) inside.
    pub fn write(&self, relative: &str, contents: &[u8]) -> Result<(), String> {
        let path = self.temp.path().join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| io_context(&self.dest.join(relative), "cannot create directory", e))?;
        }
        fs::write(&path, contents)
            .map_err(|e| io_context(&self.dest.join(relative), "cannot write", e))
    }

    pub fn commit(self) -> Result<(), String> {
        let dest = self.dest;
        let built = self.temp.keep();
        if dest.exists() {
            let old = tempfile::Builder::new()
                .prefix(".newsdedup-old-")
                .tempdir_in(parent_of(&dest))
                .map_err(|e| io_context(&dest, "cannot make room for the new output", e))?;
            let old_path = old.path().join("previous");
            fs::rename(&dest, &old_path)
                .map_err(|e| io_context(&dest, "cannot move the old output aside", e))?;
            fs::rename(&built, &dest)
                .map_err(|e| io_context(&dest, "cannot rename into place", e))?;
            drop(old);
        } else {
            fs::rename(&built, &dest)
                .map_err(|e| io_context(&dest, "cannot rename into place", e))?;
        }
        Ok(())
    }
}

/// Writes one JSONL record: the original fields in their order with the
/// text field's value replaced, or `{"id": …, "text": …}` for a `.txt`.
pub fn write_jsonl_record(
    out: &mut impl Write,
    fields: Option<&Fields>,
    text_field: &str,
    id: &str,
    text: &str,
) -> io::Result<()> {
    match fields {
        Some(fields) => jsonl::write_record(out, fields, text_field, text),
        None => {
            out.write_all(b"{\"id\":")?;
            jsonl::write_str(out, id)?;
            out.write_all(b",\"text\":")?;
            jsonl::write_str(out, text)?;
            out.write_all(b"}\n")
        }
    }
}
