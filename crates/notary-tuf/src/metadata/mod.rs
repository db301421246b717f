//! The signed envelope and the four role bodies (`shared/spec/metadata.md` §1–§8).
//!
//! Parsing keeps three things: the exact file bytes (hashed by snapshot/timestamp), the canonical
//! bytes of the `signed` value (what signatures cover), and the typed body with any members we
//! do not know kept in `extra`. Writing goes the other way: [`canonical_body`] gives the bytes to
//! sign and [`envelope`] the file bytes, in exactly Go's shape.

mod file_meta;
mod root;
mod snapshot;
mod targets;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use self::file_meta::{DigestMap, FileMeta, Hashes};
pub use self::root::{RoleKeys, Root};
pub use self::snapshot::{Snapshot, Timestamp};
pub use self::targets::{DelegatedRole, Delegations, Targets};
use crate::error::{ParseError, VerifyError};
use crate::expires::Expires;
use crate::key::{KeyId, Method};
use crate::name::RoleName;

/// A role body: root, targets (also delegated), snapshot or timestamp.
pub trait RoleBody: Serialize + DeserializeOwned + Sized {
    /// The `_type` value (`Root`, `Targets`, …).
    const TYPE: &'static str;
    /// The role kind for messages (`root`, `targets`, …).
    const KIND: &'static str;
    /// `version`.
    fn version(&self) -> i64;
    /// `expires`.
    fn expires(&self) -> Expires;
    /// `_type` as read.
    fn type_name(&self) -> &str;
    /// Members we did not recognise.
    fn extra(&self) -> &Map<String, Value>;
    /// Mutable access to [`extra`](Self::extra).
    fn extra_mut(&mut self) -> &mut Map<String, Value>;
    /// Role-specific structure rules (beyond `_type` and `version`), for the file of `role`.
    fn check_body(&self, role: &RoleName) -> Result<(), String>;

    /// The common structure rules: `_type`, `version` ≥ 1, then [`check_body`](Self::check_body).
    fn check_structure(&self, role: &RoleName) -> Result<(), VerifyError> {
        let bad = |reason: String| VerifyError::BadStructure {
            role: role.as_str().to_owned(),
            reason,
        };
        if self.type_name() != Self::TYPE {
            return Err(bad(format!("expected type {}, not {}", Self::TYPE, self.type_name())));
        }
        if self.version() < 1 {
            let what = if Self::TYPE == "Root" { "1" } else { "one" };
            return Err(bad(format!("version cannot be less than {what}")));
        }
        self.check_body(role).map_err(bad)
    }
}

/// One entry of `signatures`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The TUF ID of the signing key as listed in the role.
    #[serde(rename = "keyid")]
    pub key_id: KeyId,
    /// The algorithm, lower-cased.
    #[serde(with = "method_string")]
    pub method: Method,
    /// The signature bytes (standard base64 on the wire).
    #[serde(with = "base64_bytes")]
    pub sig: Vec<u8>,
}

/// The largest metadata file accepted at all (Go's client allows root.json up to 100 MiB).
pub const MAX_FILE_LEN: usize = 128 << 20;

/// The most signatures a file may carry: each costs a verification, so an unbounded list would
/// let anyone make a client or server spin.
pub const MAX_SIGNATURES: usize = 256;

/// A parsed, not yet verified, metadata file.
#[derive(Clone, Debug)]
pub struct Signed<T> {
    raw: Vec<u8>,
    canonical: Canonical,
    signatures: Vec<Signature>,
    body: T,
}

impl<T: RoleBody> Signed<T> {
    /// Parses a metadata file. Only the JSON shape is checked here; structure rules run after
    /// signatures, as in Go (metadata.md §12.1).
    ///
    /// Bounded: at most [`MAX_FILE_LEN`] bytes, [`MAX_SIGNATURES`] signatures and 128 levels of
    /// nesting. Callers apply tighter per-role limits where they know them (the lengths recorded
    /// in snapshot and timestamp).
    pub fn parse(raw: Vec<u8>) -> Result<Self, ParseError> {
        if raw.len() > MAX_FILE_LEN {
            return Err(ParseError::TooLarge {
                size: raw.len(),
                limit: MAX_FILE_LEN,
            });
        }
        let signed = Self::parse_unbounded(raw)?;
        if signed.signatures.len() > MAX_SIGNATURES {
            return Err(shape("signatures", format!("more than {MAX_SIGNATURES} signatures")));
        }
        Ok(signed)
    }

    fn parse_unbounded(raw: Vec<u8>) -> Result<Self, ParseError> {
        // Fast path: borrow the `signed` text, take its canonical bytes in one pass when it is
        // already canonical (every file Go or we write), and parse the typed body from the bytes.
        #[derive(Deserialize)]
        struct Envelope<'a> {
            #[serde(borrow)]
            signed: &'a serde_json::value::RawValue,
            #[serde(default)]
            signatures: Option<Vec<Signature>>,
        }
        if let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(&raw) {
            let signed = envelope.signed.get();
            if let Some(canonical) = notary_cjson::canonical_from_file_form(signed.as_bytes()) {
                let body = serde_json::from_str(signed).map_err(|e| shape(T::KIND, e))?;
                let signatures = envelope.signatures.unwrap_or_default();
                // Usually the file's `signed` text is the canonical form itself: point into the
                // file instead of keeping a second copy (a 100,000-target file is 11 MB).
                let start = (signed.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize);
                let canonical = match raw.get(start..start.wrapping_add(signed.len())) {
                    Some(span) if span == canonical.as_slice() => Canonical::InFile(start..start + signed.len()),
                    _ => Canonical::Owned(canonical),
                };
                return Ok(Signed {
                    raw,
                    canonical,
                    signatures,
                    body,
                });
            }
        }
        Self::parse_generic(raw)
    }

    /// The general path: a JSON tree, re-canonicalised (Go's verifier, metadata.md §1.1).
    fn parse_generic(raw: Vec<u8>) -> Result<Self, ParseError> {
        let value = notary_cjson::parse(&raw)?;
        let Value::Object(mut envelope) = value else {
            return Err(shape("metadata", "not a JSON object"));
        };
        let signed = envelope
            .remove("signed")
            .ok_or_else(|| shape("metadata", "no \"signed\" member"))?;
        let canonical = Canonical::Owned(notary_cjson::to_canonical(&signed)?);
        let signatures = match envelope.remove("signatures") {
            // Go reads a missing or null list as empty; threshold checks then refuse it.
            None | Some(Value::Null) => Vec::new(),
            Some(list) => serde_json::from_value(list).map_err(|e| shape("signatures", e))?,
        };
        let body = serde_json::from_value(signed).map_err(|e| shape(T::KIND, e))?;
        Ok(Signed {
            raw,
            canonical,
            signatures,
            body,
        })
    }

    /// Builds a file from a body and its signatures (made over [`canonical_body`]).
    pub fn from_parts(body: T, signatures: Vec<Signature>) -> Result<Self, ParseError> {
        let canonical = Canonical::Owned(canonical_body(&body)?);
        let raw = envelope(canonical.bytes(&[]), &signatures);
        Ok(Signed {
            raw,
            canonical,
            signatures,
            body,
        })
    }
}

impl<T> Signed<T> {
    /// The exact file bytes.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The canonical bytes of `signed`, which signatures cover.
    pub fn canonical(&self) -> &[u8] {
        self.canonical.bytes(&self.raw)
    }

    /// The signatures, as listed.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// The typed body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// Gives up the file bytes and the body.
    pub fn into_parts(self) -> (Vec<u8>, T) {
        (self.raw, self.body)
    }
}

/// Where a file's canonical bytes are.
#[derive(Clone, Debug)]
enum Canonical {
    /// A span of the file bytes (the file's `signed` text is already canonical).
    InFile(std::ops::Range<usize>),
    /// A separate copy.
    Owned(Vec<u8>),
}

impl Canonical {
    fn bytes<'a>(&'a self, raw: &'a [u8]) -> &'a [u8] {
        match self {
            Canonical::InFile(range) => raw.get(range.clone()).unwrap_or_default(),
            Canonical::Owned(bytes) => bytes,
        }
    }
}

/// Metadata that passed every rule for its place in the trust chain. Only this crate's
/// verification functions construct it.
#[derive(Clone, Debug)]
pub struct Verified<T> {
    signed: Signed<T>,
}

impl<T> Verified<T> {
    pub(crate) fn new(signed: Signed<T>) -> Self {
        Verified { signed }
    }

    /// The exact file bytes (what was hashed and what should be cached or served).
    pub fn raw(&self) -> &[u8] {
        &self.signed.raw
    }

    /// The typed body.
    pub fn body(&self) -> &T {
        &self.signed.body
    }

    /// The signed file.
    pub fn signed(&self) -> &Signed<T> {
        &self.signed
    }
}

impl<T> std::ops::Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.signed.body
    }
}

/// The canonical bytes of a body: what a signer signs.
pub fn canonical_body<T: RoleBody>(body: &T) -> Result<Vec<u8>, ParseError> {
    Ok(notary_cjson::to_canonical(&body_to_value(body)?)?)
}

/// The file bytes Go writes for canonical body bytes and signatures (metadata.md §2.4):
/// `{"signed":<file form>,"signatures":[{"keyid":…,"method":…,"sig":…},…]}`, no whitespace, no
/// trailing newline.
pub fn envelope(canonical: &[u8], signatures: &[Signature]) -> Vec<u8> {
    use base64::Engine as _;
    let mut out = Vec::with_capacity(canonical.len() + 64 + signatures.len() * 160);
    out.extend_from_slice(b"{\"signed\":");
    notary_cjson::append_file_form(canonical, &mut out);
    out.extend_from_slice(b",\"signatures\":[");
    for (i, s) in signatures.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let mut one = Vec::with_capacity(160);
        one.extend_from_slice(b"{\"keyid\":");
        notary_cjson::write_string(s.key_id.as_str(), &mut one);
        one.extend_from_slice(b",\"method\":");
        notary_cjson::write_string(s.method.as_str(), &mut one);
        one.extend_from_slice(b",\"sig\":\"");
        one.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(&s.sig).as_bytes());
        one.extend_from_slice(b"\"}");
        notary_cjson::append_file_form(&one, &mut out);
    }
    out.extend_from_slice(b"]}");
    out
}

/// A body as a JSON value, extras merged in (known members win over extras of the same name).
pub fn body_to_value<T: RoleBody>(body: &T) -> Result<Value, ParseError> {
    let value = serde_json::to_value(body).map_err(|e| shape(T::KIND, e))?;
    let Value::Object(mut map) = value else {
        return Err(shape(T::KIND, "body is not an object"));
    };
    for (k, v) in body.extra() {
        map.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(Value::Object(map))
}

/// Implements `Deserialize` for a role body: the listed members through serde (last one wins on
/// duplicates, as in Go), every other member into `extra`. Works from bytes and from a `Value`.
macro_rules! role_body_deserialize {
    ($ty:ident { $($field:ident : $name:literal $(= $default:ident)?),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct BodyVisitor;
                impl<'de> serde::de::Visitor<'de> for BodyVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($ty), " object"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        $(let mut $field = None;)*
                        let mut extra = serde_json::Map::new();
                        while let Some(key) = map.next_key::<String>()? {
                            match key.as_str() {
                                $($name => $field = Some(map.next_value()?),)*
                                _ => {
                                    extra.insert(key, map.next_value()?);
                                }
                            }
                        }
                        Ok($ty {
                            $($field: $crate::metadata::role_body_deserialize!(@field $field, $name $(, $default)?),)*
                            extra,
                        })
                    }
                }
                deserializer.deserialize_map(BodyVisitor)
            }
        }
    };
    (@field $field:ident, $name:literal, default) => { $field.unwrap_or_default() };
    (@field $field:ident, $name:literal) => {
        $field.ok_or_else(|| <A::Error as serde::de::Error>::missing_field($name))?
    };
}
pub(crate) use role_body_deserialize;

fn shape(what: &'static str, reason: impl std::fmt::Display) -> ParseError {
    ParseError::Shape {
        what,
        reason: reason.to_string(),
    }
}

/// Serde helpers for standard, padded base64 (Go's `[]byte` encoding).
pub(crate) mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

mod method_string {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::key::Method;

    pub(crate) fn serialize<S: Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.as_str())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Method, D::Error> {
        Ok(Method::parse(&<std::borrow::Cow<'de, str>>::deserialize(d)?))
    }
}

/// Go writes a nil slice or map as `null`: read it as empty (e.g. a delegation whose keys were all
/// removed has `"keyids":null`).
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Timestamp;

    fn timestamp_with_signatures(n: usize) -> Vec<u8> {
        let sig = r#"{"keyid":"ab","method":"ecdsa","sig":"AA=="}"#;
        let sigs = vec![sig; n].join(",");
        format!(r#"{{"signed":{{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","meta":{{}},"version":1}},"signatures":[{sigs}]}}"#)
            .into_bytes()
    }

    #[test]
    fn signature_count_is_bounded() {
        assert!(Signed::<Timestamp>::parse(timestamp_with_signatures(MAX_SIGNATURES)).is_ok());
        let err = Signed::<Timestamp>::parse(timestamp_with_signatures(MAX_SIGNATURES + 1)).unwrap_err();
        assert!(matches!(err, ParseError::Shape { what: "signatures", .. }), "{err}");
    }

    #[test]
    fn size_is_bounded() {
        let huge = vec![b' '; MAX_FILE_LEN + 1];
        assert_eq!(
            Signed::<Timestamp>::parse(huge).unwrap_err(),
            ParseError::TooLarge {
                size: MAX_FILE_LEN + 1,
                limit: MAX_FILE_LEN
            }
        );
    }

    #[test]
    fn missing_or_null_signatures_read_as_empty() {
        for file in [
            r#"{"signed":{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","meta":{},"version":1}}"#,
            r#"{"signed":{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","meta":{},"version":1},"signatures":null}"#,
        ] {
            assert!(
                Signed::<Timestamp>::parse(file.as_bytes().to_vec())
                    .unwrap()
                    .signatures()
                    .is_empty()
            );
        }
    }
}
