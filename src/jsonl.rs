//! JSON Lines records: one line parsed into its fields with every value kept
//! byte for byte, the text and id pulled out, and the record written back
//! with only the text replaced.
//!
//! ```
//! use newsdedup::jsonl::{parse_record, write_record};
//! let line = br#"{"id": 7, "text": "Tom &amp; Jerry", "score": 1.50}"#;
//! let record = parse_record(line, "text", "id").unwrap();
//! assert_eq!(record.text, "Tom &amp; Jerry");
//! assert_eq!(record.id.as_deref(), Some("7"));
//! let mut out = Vec::new();
//! write_record(&mut out, &record.fields, "text", "Tom & Jerry").unwrap();
//! assert_eq!(out, b"{\"id\":7,\"text\":\"Tom & Jerry\",\"score\":1.50}\n".to_vec());
//! ```

use std::fmt;
use std::io::{self, Write};

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The fields of a JSON object in input order, values untouched.
pub type Fields = Vec<(String, Box<RawValue>)>;

/// One parsed record.
#[derive(Debug)]
pub struct JsonRecord {
    /// The id field: a string's value, another value's JSON text, `None` when
    /// missing or null.
    pub id: Option<String>,
    /// The decoded text field.
    pub text: String,
    /// All fields, for writing the record back.
    pub fields: Fields,
}

/// Why a line is not a usable record. Its `Display` is the message the CLI
/// prints after `file:line: `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError(String);

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RecordError {}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
            fields.push((key, value));
        }
        Ok(fields)
    }
}

fn parse_fields(line: &str) -> Result<Fields, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(line);
    let fields = (&mut de).deserialize_map(FieldsVisitor)?;
    de.end()?;
    Ok(fields)
}

fn json_type(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// Parses one line (a trailing newline is allowed). Values other than the
/// text are skipped without recursion, so deep nesting in them is passed
/// through; the text must be a JSON string. A field that occurs twice counts
/// by its last occurrence.
pub fn parse_record(
    line: &[u8],
    text_field: &str,
    id_field: &str,
) -> Result<JsonRecord, RecordError> {
    let bad = |message: String| RecordError(message);
    let line = std::str::from_utf8(line).map_err(|e| {
        bad(format!(
            "invalid UTF-8 at byte {} of the line",
            e.valid_up_to()
        ))
    })?;
    let fields = parse_fields(line.trim_end()).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let field = |name: &str| fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
    let raw_text = field(text_field).ok_or_else(|| bad(format!("missing field `{text_field}`")))?;
    let text: String = match json_type(raw_text) {
        "a string" => serde_json::from_str(raw_text.get())
            .map_err(|e| bad(format!("field `{text_field}`: {e}")))?,
        other => {
            return Err(bad(format!(
                "field `{text_field}` is {other}, expected a string"
            )));
        }
    };
    let id = match field(id_field) {
        None => None,
        Some(raw) => match json_type(raw) {
            "a string" => Some(
                serde_json::from_str(raw.get())
                    .map_err(|e| bad(format!("field `{id_field}`: {e}")))?,
            ),
            "null" => None,
            _ => Some(raw.get().to_string()),
        },
    };
    Ok(JsonRecord { id, text, fields })
}

/// Writes a record (and a newline): `fields` in their order with the text
/// field's value, wherever it occurs, replaced by `text`.
pub fn write_record(
    out: &mut impl Write,
    fields: &Fields,
    text_field: &str,
    text: &str,
) -> io::Result<()> {
    let text_json = serde_json::to_string(text).map_err(io::Error::other)?;
    out.write_all(b"{")?;
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, key).map_err(io::Error::other)?;
        out.write_all(b":")?;
        if key == text_field {
            out.write_all(text_json.as_bytes())?;
        } else {
            out.write_all(value.get().as_bytes())?;
        }
    }
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<JsonRecord, RecordError> {
        parse_record(line.as_bytes(), "text", "id")
    }

    #[test]
    fn good_records() {
        let r = parse(r#"{"id": 12, "text": "Body \u2013 x", "n": 1.50}"#).unwrap();
        assert_eq!(r.id.as_deref(), Some("12"));
        assert_eq!(r.text, "Body \u{2013} x");
        assert_eq!(r.fields[2].1.get(), "1.50");
        assert_eq!(parse(r#"{"text": "x", "id": null}"#).unwrap().id, None);
    }

    #[test]
    fn bad_records_say_what_is_wrong() {
        let err = |line: &str| parse(line).unwrap_err().to_string();
        assert_eq!(err(r#"{"id": "a"}"#), "missing field `text`");
        assert_eq!(
            err(r#"{"text": 5}"#),
            "field `text` is a number, expected a string"
        );
        assert!(
            err("[1, 2]")
                .starts_with("invalid JSON: invalid type: sequence, expected a JSON object")
        );
        assert!(err(r#"{"text": "x""#).starts_with("invalid JSON"));
        assert_eq!(
            parse_record(b"{\"text\": \"\xff\"}", "text", "id")
                .unwrap_err()
                .to_string(),
            "invalid UTF-8 at byte 10 of the line"
        );
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let deep = format!("{{\"text\": \"x\", \"d\": {}}}", nest(10_000));
        assert_eq!(parse(&deep).unwrap().fields[1].1.get(), nest(10_000));
        let deep_text = format!("{{\"text\": {}}}", nest(10_000));
        assert_eq!(
            err(&deep_text),
            "field `text` is an array, expected a string"
        );
    }

    #[test]
    fn writing_back_keeps_other_fields() {
        let r = parse(r#"{"a":{"b":[1,2.0e3]},"text":"old","text":"again","z":"\u00e9"}"#).unwrap();
        let mut out = Vec::new();
        write_record(&mut out, &r.fields, "text", "new \"q\"").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":{\"b\":[1,2.0e3]},\"text\":\"new \\\"q\\\"\",\"text\":\"new \\\"q\\\"\",\"z\":\"\\u00e9\"}\n"
        );
    }
}
