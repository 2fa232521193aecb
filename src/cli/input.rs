//! Input: expanding paths into sources, and reading records from them.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use newsdedup::jsonl::{self, Fields};
use newsdedup::pipeline::{Doc, Unreadable};

/// The kind of an input file, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One article per file.
    Txt,
    /// JSON Lines, plain.
    Jsonl,
    /// JSON Lines, gzip.
    JsonlGz,
    /// JSON Lines, zstd.
    JsonlZst,
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".txt") {
            Some(Format::Txt)
        } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
            Some(Format::Jsonl)
        } else if name.ends_with(".jsonl.gz") || name.ends_with(".ndjson.gz") {
            Some(Format::JsonlGz)
        } else if name.ends_with(".jsonl.zst") || name.ends_with(".ndjson.zst") {
            Some(Format::JsonlZst)
        } else {
            None
        }
    }
}

/// One input to read.
#[derive(Clone, Debug)]
pub enum Source {
    /// A file; `name` is its path relative to the input root, with `/`.
    File {
        path: PathBuf,
        name: String,
        format: Format,
    },
    /// JSON Lines on standard input.
    Stdin,
}

impl Source {
    pub fn name(&self) -> &str {
        match self {
            Source::File { name, .. } => name,
            Source::Stdin => "-",
        }
    }

    pub fn is_stdin(&self) -> bool {
        matches!(self, Source::Stdin)
    }

    pub fn is_txt(&self) -> bool {
        matches!(
            self,
            Source::File {
                format: Format::Txt,
                ..
            }
        )
    }
}

/// Expands the command line's inputs into sources, in order. Directories are
/// walked in sorted order; entries that are not regular files are reported
/// through `warn` and skipped.
pub fn expand(inputs: &[PathBuf], mut warn: impl FnMut(String)) -> Result<Vec<Source>, String> {
    let mut sources = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        let meta = std::fs::metadata(input).map_err(|e| format!("{}: {e}", input.display()))?;
        if meta.is_dir() {
            walk(input, &mut sources, &mut warn)?;
        } else if meta.is_file() {
            let format = Format::of(input).ok_or_else(|| {
                format!(
                    "{}: unknown input type (expected .txt, .jsonl, .jsonl.gz, .jsonl.zst, a directory or -)",
                    input.display()
                )
            })?;
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| input.display().to_string());
            sources.push(Source::File {
                path: input.clone(),
                name,
                format,
            });
        } else {
            return Err(format!(
                "{}: not a regular file or directory",
                input.display()
            ));
        }
    }
    Ok(sources)
}

fn walk(
    root: &Path,
    sources: &mut Vec<Source>,
    warn: &mut impl FnMut(String),
) -> Result<(), String> {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = entry.map_err(|e| format!("{}: {e}", root.display()))?;
        let path = entry.path();
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let Some(format) = Format::of(path) else {
            continue;
        };
        if !file_type.is_file() {
            warn(format!("{}: skipped, not a regular file", path.display()));
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(path);
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        sources.push(Source::File {
            path: path.to_path_buf(),
            name,
            format,
        });
    }
    Ok(())
}

/// Settings for reading records.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    pub text_field: String,
    pub id_field: String,
    pub max_record_bytes: usize,
    /// JSON field naming a record's site; without it, the host of `url`.
    pub site_field: Option<String>,
    /// A JSONL record with no site of its own belongs to its file's site.
    pub file_is_site: bool,
}

/// One input record: `source` is `name` for a `.txt`, `name:line` for
/// JSONL; `extra` holds a JSONL record's original fields (to write back with
/// the text replaced); `site`, for site boilerplate, is the site field or
/// the host of the `url` field (without `www.`) of a JSONL record, else
/// (with `file_is_site`) its file, and the directory of a `.txt` file.
pub type Record = Doc<Option<Fields>>;

/// A record that could not be read: `source` is `name:line`, or `name` for a
/// whole-file problem.
pub type BadRecord = Unreadable;

/// Reads all sources in order, one record (or bad record) at a time.
pub struct Records {
    sources: Vec<Source>,
    options: ReadOptions,
    next_source: usize,
    current: Option<Current>,
    /// For a pass that wants only records with a site: how to tell the
    /// JSONL lines that cannot name one, skipped unparsed.
    site_key: Option<SiteKey>,
    /// Bytes read from the inputs as they are stored (compressed ones
    /// compressed), for progress.
    read: Arc<AtomicU64>,
}

struct Current {
    name: String,
    reader: Box<dyn BufRead + Send>,
    line: u64,
    /// The line being read, reused from line to line.
    buf: Vec<u8>,
}

impl Records {
    pub fn new(sources: Vec<Source>, options: ReadOptions) -> Records {
        Records {
            sources,
            options,
            next_source: 0,
            current: None,
            site_key: None,
            read: Arc::default(),
        }
    }

    /// A counter of the bytes read from the inputs as stored, which goes
    /// on counting as the records are read.
    pub fn bytes_read(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.read)
    }

    /// Like [`Records::new`], for a pass that only wants records with a
    /// site: a JSONL line whose bytes cannot hold the site's field (or
    /// `url`) as a key is skipped without being parsed, so such a pass
    /// costs a scan of the input, not a parse, when records carry no site.
    /// Every record with a site still comes, and so does every line that
    /// holds the key and cannot be read (the full pass reports all of them).
    pub fn sited(sources: Vec<Source>, options: ReadOptions) -> Records {
        let site_key = if options.file_is_site {
            None
        } else {
            SiteKey::new(options.site_field.as_deref().unwrap_or("url"))
        };
        Records {
            site_key,
            ..Records::new(sources, options)
        }
    }

    fn open_next(&mut self) -> Option<Result<Record, BadRecord>> {
        let index = self.next_source;
        let source = self.sources.get(index)?.clone();
        self.next_source += 1;
        let name = source.name().to_string();
        let bad = |error: String| {
            Some(Err(BadRecord {
                source: name.clone(),
                error,
            }))
        };
        let (path, format) = match &source {
            Source::Stdin => {
                self.current = Some(Current {
                    name,
                    reader: Box::new(BufReader::new(Counting::new(io::stdin(), &self.read))),
                    line: 0,
                    buf: Vec::new(),
                });
                return self.next_line();
            }
            Source::File { path, format, .. } => (path, *format),
        };
        let file = match File::open(path) {
            Ok(file) => Counting::new(file, &self.read),
            Err(e) => return bad(format!("cannot open: {e}")),
        };
        let reader = match format {
            Format::Txt => return Some(self.read_txt(&name, file)),
            Format::Jsonl => Compression::Plain.reader(file),
            Format::JsonlGz => Compression::Gzip.reader(file),
            Format::JsonlZst => Compression::Zstd.reader(file),
        };
        let reader = match reader {
            Ok(reader) => reader,
            Err(e) => return bad(e),
        };
        self.current = Some(Current {
            name,
            reader,
            line: 0,
            buf: Vec::new(),
        });
        self.next_line()
    }

    fn read_txt(&self, name: &str, file: impl Read) -> Result<Record, BadRecord> {
        let bad = |error: String| BadRecord {
            source: name.to_string(),
            error,
        };
        let cap = self.options.max_record_bytes;
        let mut bytes = Vec::new();
        file.take(cap as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("cannot read: {e}")))?;
        if bytes.len() > cap {
            return Err(bad(format!(
                "file is longer than the record cap of {cap} bytes (--max-record-bytes)"
            )));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
            BadRecord {
                source: format!("{name}:{line}"),
                error: format!("invalid UTF-8 at byte {valid}"),
            }
        })?;
        let site = Path::new(name)
            .parent()
            .map(|dir| dir.display().to_string())
            .filter(|dir| !dir.is_empty())
            .unwrap_or_else(|| ".".to_string());
        Ok(Record {
            id: name.to_string(),
            source: name.to_string(),
            text,
            site: Some(site),
            extra: None,
        })
    }

    fn next_line(&mut self) -> Option<Result<Record, BadRecord>> {
        let cap = self.options.max_record_bytes;
        loop {
            let current = self.current.as_mut()?;
            current.line += 1;
            let line_no = current.line;
            let buf = &mut current.buf;
            buf.clear();
            let read = (&mut current.reader)
                .take(cap as u64 + 1)
                .read_until(b'\n', buf);
            let where_ = format!("{}:{line_no}", current.name);
            match read {
                Err(e) => {
                    self.current = None;
                    return Some(Err(BadRecord {
                        source: where_,
                        error: format!("read error: {e}"),
                    }));
                }
                Ok(0) => {
                    self.current = None;
                    return None;
                }
                Ok(_) => {}
            }
            if buf.len() > cap && buf.last() != Some(&b'\n') {
                // Skip the rest of the over-long line without holding it.
                if let Err(e) = skip_line(&mut current.reader) {
                    self.current = None;
                    return Some(Err(BadRecord {
                        source: where_,
                        error: format!("read error: {e}"),
                    }));
                }
                return Some(Err(BadRecord {
                    source: where_,
                    error: format!(
                        "record is longer than the cap of {cap} bytes (--max-record-bytes)"
                    ),
                }));
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if self
                .site_key
                .as_ref()
                .is_some_and(|key| !key.could_be_in(buf))
            {
                continue;
            }
            return Some(parse_json_record(
                buf,
                &self.options,
                &current.name,
                line_no,
            ));
        }
    }
}

impl Iterator for Records {
    type Item = Result<Record, BadRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.current.is_some() {
                if let Some(item) = self.next_line() {
                    return Some(item);
                }
                continue;
            }
            if self.next_source >= self.sources.len() {
                return None;
            }
            if let Some(item) = self.open_next() {
                return Some(item);
            }
        }
    }
}

/// Consumes input up to and including the next newline, a buffer at a time.
fn skip_line(reader: &mut dyn BufRead) -> io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'\n', buf) {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

fn parse_json_record(
    buf: &[u8],
    options: &ReadOptions,
    name: &str,
    line: u64,
) -> Result<Record, BadRecord> {
    let source = format!("{name}:{line}");
    match jsonl::parse_record(buf, &options.text_field, &options.id_field) {
        Ok(record) => Ok(Record {
            id: record.id.unwrap_or_else(|| source.clone()),
            source,
            text: record.text,
            site: site_of(&record.fields, options.site_field.as_deref())
                .or_else(|| options.file_is_site.then(|| name.to_string())),
            extra: Some(record.fields),
        }),
        Err(e) => Err(BadRecord {
            source,
            error: e.to_string(),
        }),
    }
}

/// The JSON key that names a record's site, as it can be spelled in a line.
#[derive(Clone, Debug)]
struct SiteKey {
    /// The key in quotes, unescaped.
    quoted: Vec<u8>,
    /// Each of its characters as a `\u00XX` escape, in lower and upper
    /// case hex.
    escapes: Vec<Vec<u8>>,
}

impl SiteKey {
    /// `None` when the key is not plain printable ASCII: such a key is
    /// always looked for by parsing.
    fn new(key: &str) -> Option<SiteKey> {
        if !key
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        {
            return None;
        }
        let escapes = key
            .bytes()
            .flat_map(|b| [format!("\\u00{b:02x}"), format!("\\u00{b:02X}")])
            .map(String::into_bytes)
            .collect();
        Some(SiteKey {
            quoted: format!("\"{key}\"").into_bytes(),
            escapes,
        })
    }

    /// Whether `line` can hold the key: quoted as it is, or with one of
    /// its characters escaped.
    fn could_be_in(&self, line: &[u8]) -> bool {
        let find = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
        find(&self.quoted) || find(b"\\u00") && self.escapes.iter().any(|e| find(e))
    }
}

/// How a file's bytes are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    Plain,
    Gzip,
    Zstd,
}

impl Compression {
    /// The compression a file's name says (`*.gz`, `*.zst`, in any case).
    fn of(path: &Path) -> Compression {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".gz") {
            Compression::Gzip
        } else if name.ends_with(".zst") {
            Compression::Zstd
        } else {
            Compression::Plain
        }
    }

    /// `file` read through this decompression, buffered.
    fn reader<R: Read + Send + 'static>(self, file: R) -> Result<Box<dyn BufRead + Send>, String> {
        Ok(match self {
            Compression::Plain => Box::new(BufReader::with_capacity(1 << 16, file)),
            Compression::Gzip => Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::read::MultiGzDecoder::new(BufReader::new(file)),
            )),
            Compression::Zstd => {
                let decoder = zstd::stream::read::Decoder::new(file)
                    .map_err(|e| format!("cannot start zstd decoding: {e}"))?;
                Box::new(BufReader::with_capacity(1 << 16, decoder))
            }
        })
    }
}

/// A file to read whole, decompressed by its name (`*.gz`, `*.zst`).
pub fn open_compressed(path: &Path) -> Result<Box<dyn BufRead + Send>, String> {
    let file = File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    Compression::of(path)
        .reader(file)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The site of a JSONL record: the string in `site_field`, or the host of
/// the `url` field without a leading `www.`.
fn site_of(fields: &Fields, site_field: Option<&str>) -> Option<String> {
    let string = |name: &str| {
        let (_, raw) = fields.iter().find(|(field, _)| field == name)?;
        serde_json::from_str::<String>(raw.get()).ok()
    };
    match site_field {
        Some(field) => string(field),
        None => {
            let url = url::Url::parse(&string("url")?).ok()?;
            let host = url.host_str()?.to_ascii_lowercase();
            Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
        }
    }
}

/// A reader that adds the bytes it reads to a shared count.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    fn new(inner: R, count: &Arc<AtomicU64>) -> Counting<R> {
        Counting {
            inner,
            count: Arc::clone(count),
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The bytes of all `sources` as stored, when known: not for standard
/// input.
pub fn total_bytes(sources: &[Source]) -> Option<u64> {
    sources
        .iter()
        .map(|source| match source {
            Source::File { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
            Source::Stdin => None,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` and `id` fields, a 1 MiB cap, sites from `url`.
    fn plain_options() -> ReadOptions {
        ReadOptions {
            text_field: "text".into(),
            id_field: "id".into(),
            max_record_bytes: 1 << 20,
            site_field: None,
            file_is_site: false,
        }
    }

    #[test]
    fn records_are_named_by_file_and_line() {
        let options = plain_options();
        let parse = |line: &str| parse_json_record(line.as_bytes(), &options, "in.jsonl", 7);
        assert_eq!(parse(r#"{"text": "x"}"#).unwrap().id, "in.jsonl:7");
        assert_eq!(parse(r#"{"id": 3, "text": "x"}"#).unwrap().id, "3");
        assert_eq!(
            parse(r#"{"id": "a"}"#).unwrap_err().to_string(),
            "in.jsonl:7: missing field `text`"
        );
    }

    #[test]
    fn progress_counts_the_bytes_as_stored() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let plain = dir.path().join("a.jsonl");
        let lines = "{\"text\": \"one\"}\n{\"text\": \"two\"}\n".repeat(500);
        std::fs::write(&plain, &lines).expect("written");
        let gz = dir.path().join("b.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, lines.as_bytes()).expect("compressed");
        std::fs::write(&gz, encoder.finish().expect("compressed")).expect("written");
        let file = |path: &Path, format| Source::File {
            path: path.to_path_buf(),
            name: path.display().to_string(),
            format,
        };
        let sources = vec![file(&plain, Format::Jsonl), file(&gz, Format::JsonlGz)];
        let total = total_bytes(&sources).expect("files have sizes");
        assert!(
            total < 2 * lines.len() as u64,
            "the compressed file counts compressed"
        );
        let records = Records::new(sources.clone(), plain_options());
        let read = records.bytes_read();
        assert_eq!(records.count(), 2_000);
        assert_eq!(read.load(Ordering::Relaxed), total);
        assert_eq!(total_bytes(&[sources[0].clone(), Source::Stdin]), None);
    }

    #[test]
    fn a_line_that_cannot_name_a_site_is_told_without_parsing() {
        let url = SiteKey::new("url").expect("a plain key");
        assert!(url.could_be_in(br#"{"text": "x", "url": "https://a.b/"}"#));
        assert!(url.could_be_in(br#"{"text": "x", "\u0075rl": "https://a.b/"}"#));
        assert!(url.could_be_in(br#"{"text": "x", "ur\u006C": "https://a.b/"}"#));
        assert!(!url.could_be_in(br#"{"text": "curl \u00e9 url", "link": "u"}"#));
        assert!(SiteKey::new("a\"b").is_none());
    }

    #[test]
    fn a_sited_pass_skips_only_lines_without_a_site() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("in.jsonl");
        let lines = [
            r#"{"text": "one", "url": "https://www.example.com/a"}"#,
            r#"{"text": "two"}"#,
            r#"{"text": "three", "\u0075rl": "https://example.org/b"}"#,
            r#"{"text": broken"#,
            r#"{"text": broken, "url": "https://example.net/"#,
        ];
        std::fs::write(&path, lines.join("\n")).expect("written");
        let options = plain_options();
        let sources = expand(&[path], |_| {}).expect("one source");
        let read: Vec<_> = Records::sited(sources.clone(), options.clone()).collect();
        let all: Vec<_> = Records::new(sources, options).collect();
        let sites = |items: &[Result<Record, BadRecord>]| -> Vec<String> {
            items
                .iter()
                .filter_map(|r| r.as_ref().ok()?.site.clone())
                .collect()
        };
        assert_eq!(sites(&read), sites(&all));
        assert_eq!(sites(&read).len(), 2);
        assert_eq!(read.iter().filter(|r| r.is_err()).count(), 1);
        assert_eq!(read.len(), 3, "the lines without a site key are skipped");
    }

    #[test]
    fn sites_come_from_the_url_or_a_field() {
        let mut options = plain_options();
        let site = |options: &ReadOptions, line: &str| {
            parse_json_record(line.as_bytes(), options, "in.jsonl", 1)
                .unwrap()
                .site
        };
        let line = r#"{"text": "x", "url": "https://WWW.Example.com:8080/a?b", "outlet": "ex"}"#;
        assert_eq!(site(&options, line).as_deref(), Some("example.com"));
        assert_eq!(site(&options, r#"{"text": "x", "url": "not a url"}"#), None);
        assert_eq!(site(&options, r#"{"text": "x"}"#), None);
        options.file_is_site = true;
        let file = Some("in.jsonl".to_string());
        assert_eq!(site(&options, r#"{"text": "x"}"#), file);
        options.site_field = Some("outlet".into());
        assert_eq!(site(&options, line).as_deref(), Some("ex"));
    }
}
