//! Canonical JSON exactly as Go Notary 0.7 signs it, and the "file form" Go writes to disk and HTTP.
//!
//! Implements `shared/spec/metadata.md` §2 (the `canonical/json` package of `github.com/docker/go`):
//!
//! - no whitespace; object members sorted by the raw UTF-8 bytes of their keys;
//! - strings escape only `"` and `\`; every other character, control characters included, is
//!   copied raw;
//! - numbers pass through an IEEE-754 double, as in Go: they must be integral and are printed as a
//!   64-bit integer (`2.0` → `2`, `1e3` → `1000`, `-0.0` → `0`, `9007199254740993` →
//!   `9007199254740992`).
//!
//! [`to_file_form`] applies the extra escaping of §2.4 that Go's standard encoder adds when it
//! writes a signed envelope (`<`, `>`, `&`, U+2028, U+2029 become `\u003c` …). Signatures are never
//! computed over that form: verify over [`to_canonical`] of the parsed `signed` value, hash over
//! the exact file bytes.
//!
//! This crate does no I/O and depends on `serde_json` only. Its [`serde_json::Value`] objects are
//! `BTreeMap`s (the `preserve_order` feature must stay off), whose `String` ordering *is* byte
//! order, so sorting costs nothing here.
//!
//! ```
//! let value = notary_cjson::parse(br#"{"b": 1, "a": [true, null, {}], "c": 1e3}"#).unwrap();
//! assert_eq!(notary_cjson::to_canonical(&value).unwrap(), br#"{"a":[true,null,{}],"b":1,"c":1000}"#);
//! ```

use std::io::Write as _;

use serde_json::{Map, Number, Value};

/// Why a value has no canonical form, or why input is not JSON.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A number with a fractional part, or outside the signed 64-bit range; Go's encoder refuses
    /// both, so no signature over such a value can ever verify.
    #[error("number {0} has no canonical form: only integers within the signed 64-bit range are allowed")]
    NonIntegralNumber(String),
    /// The input is not valid JSON (or nests deeper than the parser allows).
    #[error("invalid JSON: {0}")]
    Syntax(String),
}

/// Parses JSON text into a generic value, as Go's verifier does before re-canonicalising.
///
/// Duplicate object keys keep the last value (Go map semantics). Nesting is limited to 128 levels
/// by `serde_json`, so hostile input cannot exhaust the stack; callers bound the input size.
pub fn parse(bytes: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Syntax(e.to_string()))
}

/// The canonical JSON bytes of `value`: the bytes that are signed and hashed into key IDs.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out)?;
    Ok(out)
}

/// Appends the canonical JSON bytes of `value` to `out`.
///
/// On error `out` may hold a partial encoding; callers discard it.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(members) => write_object(members, out)?,
    }
    Ok(())
}

/// The canonical value of a number, as Go computes it: the JSON number read as a double, which
/// must be integral and fit in an `i64`.
pub fn canonical_integer(n: &Number) -> Result<i64, Error> {
    if let Some(i) = n.as_i64() {
        // Round-trip through f64 like Go: exact up to 2^53, rounded above.
        return double_to_i64(i as f64).ok_or_else(|| Error::NonIntegralNumber(n.to_string()));
    }
    let f = n.as_f64().ok_or_else(|| Error::NonIntegralNumber(n.to_string()))?;
    double_to_i64(f).ok_or_else(|| Error::NonIntegralNumber(n.to_string()))
}

/// Escapes canonical bytes for a file, as Go's `json.Marshal` does to an embedded `RawMessage`:
/// `<`, `>`, `&`, U+2028 and U+2029 become `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`.
///
/// Control characters (which canonical JSON keeps raw, and which no JSON parser accepts raw) are
/// written as `\u00XX` so the file stays valid JSON; Go cannot write such files at all.
pub fn to_file_form(canonical: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(canonical.len() + canonical.len() / 16);
    append_file_form(canonical, &mut out);
    out
}

/// Appends [`to_file_form`] of `canonical` to `out`.
pub fn append_file_form(canonical: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    let mut i = 0;
    while i < canonical.len() {
        let b = canonical[i];
        let escape: Option<(&[u8], usize)> = match b {
            b'<' => Some((b"\\u003c", 1)),
            b'>' => Some((b"\\u003e", 1)),
            b'&' => Some((b"\\u0026", 1)),
            0xE2 if canonical.get(i + 1) == Some(&0x80) => match canonical.get(i + 2) {
                Some(0xA8) => Some((b"\\u2028", 3)),
                Some(0xA9) => Some((b"\\u2029", 3)),
                _ => None,
            },
            0x00..=0x1F => None,
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&canonical[start..i]);
        match escape {
            Some((text, width)) => {
                out.extend_from_slice(text);
                i += width;
            }
            None if b < 0x20 => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xF)]);
                i += 1;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
        start = i;
    }
    out.extend_from_slice(&canonical[start..]);
}

/// Writes `s` as a canonical JSON string: only `"` and `\` are escaped.
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' || b == b'\\' {
            out.extend_from_slice(&bytes[start..i]);
            out.push(b'\\');
            out.push(b);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write_object(members: &Map<String, Value>, out: &mut Vec<u8>) -> Result<(), Error> {
    out.push(b'{');
    // serde_json's Map is a BTreeMap<String, _> (no `preserve_order`): iteration is in byte
    // order of the keys, which is the canonical order (metadata.md §2.1 rule 2).
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        write_canonical(value, out)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_number(n: &Number, out: &mut Vec<u8>) -> Result<(), Error> {
    let i = canonical_integer(n)?;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{i}");
    Ok(())
}

/// Go's `int64(f)` for integral `f` in range; `None` for fractions, NaN, infinities and overflow.
fn double_to_i64(f: f64) -> Option<i64> {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if !f.is_finite() || f.fract() != 0.0 || !(-TWO_POW_63..TWO_POW_63).contains(&f) {
        return None;
    }
    Some(f as i64)
}

/// The canonical bytes of JSON text that is *already* canonical apart from Go's file-form escapes
/// (`\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`, and `\u00XX` for control characters), or
/// `None` when the text is anything else.
///
/// This is the fast path for files written by Go or by us: one pass, no tree. For `Some(bytes)`,
/// `bytes == to_canonical(&parse(text)?)?` always holds; callers fall back to that on `None`.
pub fn canonical_from_file_form(text: &[u8]) -> Option<Vec<u8>> {
    std::str::from_utf8(text).ok()?;
    let mut checker = FastPath {
        text,
        pos: 0,
        out: Vec::with_capacity(text.len()),
    };
    checker.value(0)?;
    (checker.pos == text.len()).then_some(checker.out)
}

struct FastPath<'a> {
    text: &'a [u8],
    pos: usize,
    out: Vec<u8>,
}

impl FastPath<'_> {
    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_FAST_DEPTH {
            return None;
        }
        match *self.text.get(self.pos)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        self.take(b'{')?;
        if self.peek() == Some(b'}') {
            return self.take(b'}');
        }
        let mut previous: Option<Vec<u8>> = None;
        loop {
            let start = self.out.len();
            self.string()?;
            // The decoded key, without its quotes and escapes, for the byte-order check.
            let key = unescape_key(&self.out[start..]);
            if previous.as_ref().is_some_and(|p| *p >= key) {
                return None;
            }
            previous = Some(key);
            self.take(b':')?;
            self.value(depth + 1)?;
            match self.peek()? {
                b',' => self.take(b',')?,
                b'}' => return self.take(b'}'),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        self.take(b'[')?;
        if self.peek() == Some(b']') {
            return self.take(b']');
        }
        loop {
            self.value(depth + 1)?;
            match self.peek()? {
                b',' => self.take(b',')?,
                b']' => return self.take(b']'),
                _ => return None,
            }
        }
    }

    /// Copies a string, decoding the file-form escapes; `None` for any other escape.
    fn string(&mut self) -> Option<()> {
        self.take(b'"')?;
        let mut run = self.pos;
        loop {
            let b = *self.text.get(self.pos)?;
            match b {
                b'"' => {
                    self.out.extend_from_slice(&self.text[run..self.pos]);
                    return self.take(b'"');
                }
                b'\\' => {
                    self.out.extend_from_slice(&self.text[run..self.pos]);
                    let next = *self.text.get(self.pos + 1)?;
                    if next == b'"' || next == b'\\' {
                        self.out.push(b'\\');
                        self.out.push(next);
                        self.pos += 2;
                        run = self.pos;
                        continue;
                    }
                    let decoded: &[u8] = match self.text.get(self.pos + 1..self.pos + 6)? {
                        b"u003c" => b"<",
                        b"u003e" => b">",
                        b"u0026" => b"&",
                        b"u2028" => "\u{2028}".as_bytes(),
                        b"u2029" => "\u{2029}".as_bytes(),
                        [b'u', b'0', b'0', hi @ (b'0' | b'1'), lo] => {
                            let lo = u8::try_from((*lo as char).to_digit(16)?).ok()?;
                            self.out.push(((hi - b'0') << 4) | lo);
                            self.pos += 6;
                            run = self.pos;
                            continue;
                        }
                        _ => return None,
                    };
                    self.out.extend_from_slice(decoded);
                    self.pos += 6;
                    run = self.pos;
                }
                0x00..=0x1F => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// Integers only, no leading zeros, no `-0`, magnitude ≤ 2^53 (exact through a double).
    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let len = self.pos - digits;
        let text = &self.text[digits..self.pos];
        if len == 0 || len > 16 || (len > 1 && text[0] == b'0') || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let magnitude: u64 = std::str::from_utf8(text).ok()?.parse().ok()?;
        if magnitude > 1 << 53 || (magnitude == 0 && digits != start) {
            return None;
        }
        self.out.extend_from_slice(&self.text[start..self.pos]);
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.text.get(self.pos..self.pos + word.len())? != word {
            return None;
        }
        self.out.extend_from_slice(word);
        self.pos += word.len();
        Some(())
    }

    fn take(&mut self, b: u8) -> Option<()> {
        if self.peek()? != b {
            return None;
        }
        self.out.push(b);
        self.pos += 1;
        Some(())
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }
}

/// A canonical string (with quotes) → its content bytes, undoing `\"` and `\\`.
fn unescape_key(quoted: &[u8]) -> Vec<u8> {
    let inner = &quoted[1..quoted.len() - 1];
    let mut key = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'\\' {
            i += 1;
        }
        if let Some(&b) = inner.get(i) {
            key.push(b);
        }
        i += 1;
    }
    key
}

const MAX_FAST_DEPTH: usize = 128;

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn canon(text: &str) -> Vec<u8> {
        to_canonical(&parse(text.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn table_from_spec_section_2_3() {
        let cases: &[(&str, &[u8])] = &[
            (r#"{"b": 1, "a": [true, null, {}]}"#, br#"{"a":[true,null,{}],"b":1}"#),
            (r#"{"x": 2.0}"#, br#"{"x":2}"#),
            (r#"{"c": 1e3, "d": -0.0}"#, br#"{"c":1000,"d":0}"#),
            (r#"{"k": "a<b"}"#, br#"{"k":"a<b"}"#),
            (r#"{"k": "a\u0001b"}"#, b"{\"k\":\"a\x01b\"}"),
            (r#"{"k": "tab\there\nnl"}"#, b"{\"k\":\"tab\there\nnl\"}"),
            (r#"{"k": "quote\"back\\slash/"}"#, br#"{"k":"quote\"back\\slash/"}"#),
            (r#"{"k": "\u00e9"}"#, "{\"k\":\"é\"}".as_bytes()),
            (r#"{"\ufb01": 1, "\ud83d\ude00": 2}"#, "{\"ﬁ\":1,\"😀\":2}".as_bytes()),
            (
                r#"{"ctl": 0, "Zupper": 0, "html": 0}"#,
                br#"{"Zupper":0,"ctl":0,"html":0}"#,
            ),
            (r#"{"n": 9007199254740993}"#, br#"{"n":9007199254740992}"#),
            (r#"{"n": -9223372036854775808}"#, br#"{"n":-9223372036854775808}"#),
            (r#"{"a": 1, "a": 2}"#, br#"{"a":2}"#),
        ];
        for (input, want) in cases {
            assert_eq!(canon(input), *want, "input {input}");
        }
    }

    #[test]
    fn fractions_and_overflow_are_refused() {
        for input in ["1.5", "-0.25", "9223372036854775808", "18446744073709551615", "1e19"] {
            let value = parse(input.as_bytes()).unwrap();
            assert!(
                matches!(to_canonical(&value), Err(Error::NonIntegralNumber(_))),
                "{input}"
            );
        }
    }

    #[test]
    fn bad_json_is_a_syntax_error() {
        for input in ["", "{", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "nul"] {
            assert!(matches!(parse(input.as_bytes()), Err(Error::Syntax(_))), "{input:?}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn file_form_escapes_html_line_separators_and_controls() {
        let canonical = "{\"k\":\"<a>&\u{2028}\u{2029}\x01\t/é\"}".as_bytes();
        assert_eq!(
            to_file_form(canonical),
            r#"{"k":"\u003ca\u003e\u0026\u2028\u2029\u0001\u0009/é"}"#.as_bytes().to_vec()
        );
        // A lone 0xE2 lead byte of another character is left alone.
        let euro = "€".as_bytes();
        assert_eq!(to_file_form(euro), euro);
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| Value::from(i >> 11)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn keys_sorted(value: &Value) -> bool {
        match value {
            Value::Object(m) => {
                let keys: Vec<&[u8]> = m.keys().map(|k| k.as_bytes()).collect();
                keys.windows(2).all(|w| w[0] < w[1]) && m.values().all(keys_sorted)
            }
            Value::Array(items) => items.iter().all(keys_sorted),
            _ => true,
        }
    }

    #[test]
    fn fast_path_accepts_go_file_form_and_refuses_the_rest() {
        let file = r#"{"a":[1,-2,true,null,{}],"k\u003c":"x\u0026\u2028\u0001\"\\"}"#;
        let slow = to_canonical(&parse(file.as_bytes()).unwrap()).unwrap();
        assert_eq!(canonical_from_file_form(file.as_bytes()), Some(slow));
        for not_canonical in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a": 1}"#,
            r#"{"a":1.0}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":9007199254740993}"#,
            r#"{"a":"\n"}"#,
            r#"{"a":"\u00e9"}"#,
            r#"{"a":"\/"}"#,
            "{\"a\":\"\t\"}",
            r#"{"a":1}x"#,
            r#"{"a":tru}"#,
            "",
        ] {
            assert_eq!(
                canonical_from_file_form(not_canonical.as_bytes()),
                None,
                "{not_canonical}"
            );
        }
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_the_tree(value in arb_json()) {
            let canonical = to_canonical(&value).unwrap();
            prop_assert_eq!(canonical_from_file_form(&to_file_form(&canonical)), Some(canonical.clone()));
            // Any text at all: when the fast path answers, it answers like the tree.
            let pretty = serde_json::to_vec_pretty(&value).unwrap();
            if let Some(fast) = canonical_from_file_form(&pretty) {
                prop_assert_eq!(fast, canonical);
            }
        }

        #[test]
        fn fast_path_never_disagrees_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
            if let Some(fast) = canonical_from_file_form(&bytes) {
                let slow = to_canonical(&parse(&bytes).unwrap()).unwrap();
                prop_assert_eq!(fast, slow);
            }
        }

        #[test]
        fn canonical_is_idempotent_and_sorted(value in arb_json()) {
            let once = to_canonical(&value).unwrap();
            // The file form is valid JSON that parses back to the same value.
            let reparsed = parse(&to_file_form(&once)).unwrap();
            prop_assert_eq!(&reparsed, &value);
            prop_assert!(keys_sorted(&reparsed));
            prop_assert_eq!(to_canonical(&reparsed).unwrap(), once);
        }

        #[test]
        fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(value) = parse(&bytes) {
                let _ = to_canonical(&value);
            }
        }
    }
}
