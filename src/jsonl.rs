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

/// The fields of a JSON object in input order, values untouched, except
/// the text field's: it was decoded into [`JsonRecord::text`] and stands
/// here as `null`, since [`write_record`] replaces it.
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

/// Reads an object's fields, the text field's value decoded on the way
/// (it is the one value not kept raw: writing the record back replaces it).
struct FieldsVisitor<'a> {
    text_field: &'a str,
}

/// The text field's value: the string, or what it was instead.
enum TextValue {
    Text(String),
    Other(&'static str),
}

impl<'de> Visitor<'de> for FieldsVisitor<'_> {
    type Value = (Fields, Option<TextValue>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        let mut text = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.text_field {
                text = Some(map.next_value::<TextValue>()?);
                let placeholder =
                    RawValue::from_string("null".to_owned()).expect("null is a JSON value");
                fields.push((key, placeholder));
            } else {
                let value = map.next_value::<Box<RawValue>>()?;
                fields.push((key, value));
            }
        }
        Ok((fields, text))
    }
}

impl<'de> serde::Deserialize<'de> for TextValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TextValue, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

/// Decodes a string; anything else is named, and skipped whole.
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = TextValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<TextValue, E> {
        Ok(TextValue::Text(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<TextValue, E> {
        Ok(TextValue::Text(v))
    }

    fn visit_bool<E>(self, _: bool) -> Result<TextValue, E> {
        Ok(TextValue::Other("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<TextValue, E> {
        Ok(TextValue::Other("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<TextValue, E> {
        Ok(TextValue::Other("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<TextValue, E> {
        Ok(TextValue::Other("a number"))
    }

    fn visit_unit<E>(self) -> Result<TextValue, E> {
        Ok(TextValue::Other("null"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<TextValue, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(TextValue::Other("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextValue, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(TextValue::Other("an object"))
    }
}

fn parse_fields(
    line: &str,
    text_field: &str,
) -> Result<(Fields, Option<TextValue>), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(line);
    let parsed = (&mut de).deserialize_map(FieldsVisitor { text_field })?;
    de.end()?;
    Ok(parsed)
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
    let (fields, text) =
        parse_fields(line.trim_end(), text_field).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let field = |name: &str| fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
    let text = match text {
        None => return Err(bad(format!("missing field `{text_field}`"))),
        Some(TextValue::Text(text)) => text,
        Some(TextValue::Other(other)) => {
            return Err(bad(format!(
                "field `{text_field}` is {other}, expected a string"
            )));
        }
    };
    let id = match field(id_field) {
        // The text field named as the id too: its value is the text.
        Some(_) if id_field == text_field => Some(text.clone()),
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
    out.write_all(b"{")?;
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_str(out, key)?;
        out.write_all(b":")?;
        if key == text_field {
            write_str(out, text)?;
        } else {
            out.write_all(value.get().as_bytes())?;
        }
    }
    out.write_all(b"}\n")
}

/// Writes `s` as a JSON string, byte for byte as `serde_json` writes it:
/// `"` and `\` escaped, control characters as `\n`, `\t`, ... or `\u00xx`,
/// everything else as it is.
///
/// Eight bytes at a time: a run of text with nothing to escape (nearly all
/// of an article) is found by word arithmetic, not byte by byte.
///
/// ```
/// let mut out = Vec::new();
/// newsdedup::jsonl::write_str(&mut out, "a \"quote\"\n\u{1}é").unwrap();
/// assert_eq!(out, serde_json::to_vec("a \"quote\"\n\u{1}é").unwrap());
/// ```
pub fn write_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    out.write_all(b"\"")?;
    // `bytes[start..i]` is written when an escape or the end comes.
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if !needs_escape(word) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if let Some(escape) = escape(b) {
            out.write_all(&bytes[start..i])?;
            out.write_all(escape.as_bytes())?;
            start = i + 1;
        }
        i += 1;
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// Whether any byte of `word` may need escaping: below 0x20, `"` or `\`.
/// May say yes for a word of bytes at or above 0x80 (never no wrongly).
#[inline]
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte below `n` (for bytes below 0x80) sets its high bit here.
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH;
    let zero = |v: u64| below(v, 1);
    (below(word, 0x20)
        | zero(word ^ (ONES * u64::from(b'"')))
        | zero(word ^ (ONES * u64::from(b'\\'))))
        != 0
}

/// The JSON escape of byte `b`, if it needs one.
fn escape(b: u8) -> Option<std::borrow::Cow<'static, str>> {
    Some(match b {
        b'"' => "\\\"".into(),
        b'\\' => "\\\\".into(),
        b'\n' => "\\n".into(),
        b'\t' => "\\t".into(),
        b'\r' => "\\r".into(),
        0x08 => "\\b".into(),
        0x0C => "\\f".into(),
        0..0x20 => format!("\\u{b:04x}").into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut texts: Vec<String> = (0..=0x7Fu8).map(|b| char::from(b).to_string()).collect();
        texts.extend(
            ["", "plain ascii text longer than eight", "é\u{2028}x\u{7f}"].map(String::from),
        );
        // Every control, quote and backslash at every offset of a word,
        // among ASCII and multi-byte text.
        for special in ["\"", "\\", "\n", "\u{1f}", "\u{0}", "\r\n"] {
            for at in 0..17 {
                let mut t: String = "abcdefghijklmnopqrstu".chars().take(at).collect();
                t.push_str(special);
                t.push_str("é–z tail text");
                texts.push(t);
            }
        }
        for text in texts {
            let mut out = Vec::new();
            write_str(&mut out, &text).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&text).unwrap(),
                "{text:?}"
            );
        }
    }

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
        // The last of two text fields counts, and a text field named as the
        // id gives the text as the id.
        let r = parse(r#"{"text": 1, "text": "a\"b"}"#).unwrap();
        assert_eq!(r.text, "a\"b");
        let r = parse_record(br#"{"text": "\u00e9t\u00e9"}"#, "text", "text").unwrap();
        assert_eq!(r.id.as_deref(), Some("\u{e9}t\u{e9}"));
    }

    #[test]
    fn bad_records_say_what_is_wrong() {
        let err = |line: &str| parse(line).unwrap_err().to_string();
        assert_eq!(err(r#"{"id": "a"}"#), "missing field `text`");
        assert_eq!(
            err(r#"{"text": 5}"#),
            "field `text` is a number, expected a string"
        );
        assert_eq!(
            err(r#"{"text": "x", "text": {"a": [1]}}"#),
            "field `text` is an object, expected a string"
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
