//! A tiny JSON writer that reproduces Go 1.19 `encoding/json.Marshal` byte for byte for the values
//! the changelist writes: compact output, and strings escaped the way Go escapes them.
//!
//! Go differs from `serde_json` in its string escapes (`shared/spec/client.md` §4.2): it
//! HTML-escapes `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`, escapes U+2028 and U+2029, and
//! (before Go 1.22; the Debian notary 0.7.0 binary is built with Go 1.19.8) writes backspace and
//! form feed as `\u0008` and `\u000c` rather than `\b` and `\f`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// Appends `s` as a JSON string literal, escaped as Go's `encoding/json` does.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `bytes` as Go writes a `[]byte`: a string of standard, padded base64.
pub(crate) fn bytes(out: &mut String, bytes: &[u8]) {
    out.push('"');
    out.push_str(&STANDARD.encode(bytes));
    out.push('"');
}

/// Appends a list of strings; Go writes an empty (non-nil) slice as `[]`.
pub(crate) fn strings<S: AsRef<str>>(out: &mut String, items: &[S]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, item.as_ref());
    }
    out.push(']');
}

/// Appends an arbitrary JSON value, compact, with Go's string escapes. Object members come in the
/// order the [`Value`] holds them.
pub(crate) fn value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                value(out, item);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        string(&mut out, s);
        out
    }

    #[test]
    fn strings_are_escaped_like_go_1_19() {
        // Expected bytes observed from Go notary 0.7.0 (`notary add` of a target with this name).
        assert_eq!(
            escaped("t<>&\u{8}\u{2028}/\""),
            r#""t\u003c\u003e\u0026\u0008\u2028/\"""#
        );
        for (input, expected) in [
            ("", r#""""#),
            ("plain/path v1.0", r#""plain/path v1.0""#),
            ("a\\b", r#""a\\b""#),
            ("\n\r\t", r#""\n\r\t""#),
            ("\u{c}\u{1}\u{1f}", r#""\u000c\u0001\u001f""#),
            ("\u{7f}é\u{2029}😀", "\"\u{7f}é\\u2029😀\""),
        ] {
            assert_eq!(escaped(input), expected, "{input:?}");
        }
    }

    #[test]
    fn values_are_compact_with_go_escapes() {
        let v: Value = serde_json::from_str(r#"{ "a": {"x<y": "&"}, "b": [1, -2.5, true, null] }"#).unwrap();
        let mut out = String::new();
        value(&mut out, &v);
        assert_eq!(out, r#"{"a":{"x\u003cy":"\u0026"},"b":[1,-2.5,true,null]}"#);
    }

    #[test]
    fn byte_slices_are_padded_base64() {
        let mut out = String::new();
        bytes(&mut out, b"ab");
        assert_eq!(out, r#""YWI=""#);
    }
}
