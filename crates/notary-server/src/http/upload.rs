//! The multipart body of a publish (server-api.md §7.5): parts named by their file name (the role,
//! verbatim, one trailing `.json` removed), each a metadata envelope. Checks run part by part in
//! Go's order: `NO_FILENAME` → `INVALID_ROLE` → `MALFORMED_JSON`; the first failure aborts.

use std::collections::BTreeMap;

use bytes::Bytes;
use notary_tuf::name::RoleName;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::ApiError;

/// The boundary of a `multipart/form-data` or `multipart/mixed` Content-Type.
pub fn boundary(content_type: Option<&str>) -> Result<String, ApiError> {
    let content_type = content_type.ok_or(ApiError::MalformedUpload)?;
    let mut params = content_type.split(';');
    let mime = params.next().unwrap_or_default().trim().to_ascii_lowercase();
    if mime != "multipart/form-data" && mime != "multipart/mixed" {
        return Err(ApiError::MalformedUpload);
    }
    for param in params {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("boundary") {
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            if value.is_empty() || value.len() > 200 {
                return Err(ApiError::MalformedUpload);
            }
            return Ok(value.to_owned());
        }
    }
    Err(ApiError::MalformedUpload)
}

/// Parses the parts of a publish body into role → bytes (a later part of the same role wins).
pub async fn parts(body: Bytes, boundary: String) -> Result<BTreeMap<RoleName, Vec<u8>>, ApiError> {
    let mut multipart = multer::Multipart::with_reader(&body[..], boundary);
    let mut parts = BTreeMap::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(ApiError::MalformedUpload),
        };
        let name = field.file_name().unwrap_or_default();
        let name = name.strip_suffix(".json").unwrap_or(name).to_owned();
        if name.is_empty() {
            return Err(ApiError::NoFilename);
        }
        let role: RoleName = name.parse().map_err(|_| ApiError::InvalidRole(name.clone()))?;
        let data = field.bytes().await.map_err(|_| ApiError::MalformedUpload)?;
        if !is_envelope(&data) {
            return Err(ApiError::MalformedJson(name));
        }
        parts.insert(role, data.to_vec());
    }
    Ok(parts)
}

/// Go's first decoding of a part: one JSON object of envelope shape, every member optional
/// (`MALFORMED_JSON` otherwise). Role rules come later, in validation.
pub fn is_envelope(data: &[u8]) -> bool {
    serde_json::from_slice::<LooseEnvelope>(data).is_ok_and(|envelope| {
        envelope
            .signed
            .and_then(|s| s.expires)
            .is_none_or(|e| time::OffsetDateTime::parse(&e, &time::format_description::well_known::Rfc3339).is_ok())
    })
}

#[derive(Deserialize)]
struct LooseEnvelope {
    signed: Option<LooseSigned>,
    #[serde(rename = "signatures")]
    _signatures: Option<Vec<LooseSignature>>,
}

#[derive(Deserialize)]
struct LooseSigned {
    #[serde(rename = "_type")]
    _type_name: Option<String>,
    expires: Option<String>,
    #[serde(rename = "version")]
    _version: Option<i64>,
    #[serde(flatten)]
    _rest: BTreeMap<String, IgnoredAny>,
}

#[derive(Deserialize)]
struct LooseSignature {
    #[serde(rename = "keyid")]
    _key_id: Option<String>,
    #[serde(rename = "method")]
    _method: Option<String>,
    #[serde(rename = "sig", default, deserialize_with = "base64_or_null")]
    _sig: Option<Vec<u8>>,
}

fn base64_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    use base64::Engine as _;
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        assert!(is_envelope(b"{}"));
        assert!(is_envelope(
            br#"{"signed":{"_type":"Root","version":1},"signatures":[]}"#
        ));
        assert!(!is_envelope(b"notjson"));
        assert!(!is_envelope(b"[]"));
        assert!(!is_envelope(br#"{"signed":{"version":"x"}}"#));
        assert!(!is_envelope(br#"{"signed":{"expires":"tomorrow"}}"#));
        assert!(!is_envelope(br#"{"signatures":[{"sig":"***"}]}"#));
    }

    #[test]
    fn boundaries() {
        assert_eq!(boundary(Some("multipart/form-data; boundary=abc")).unwrap(), "abc");
        assert_eq!(boundary(Some("Multipart/Mixed; boundary=\"a b\"")).unwrap(), "a b");
        assert!(boundary(Some("application/json")).is_err());
        assert!(boundary(None).is_err());
        assert!(boundary(Some("multipart/form-data")).is_err());
    }
}
