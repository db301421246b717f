//! FileMeta: length, hashes and optional custom data (`shared/spec/metadata.md` §8).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::VerifyError;

/// `{"custom":…,"hashes":{"sha256":…,"sha512":…},"length":N}` for a target or a metadata file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Opaque custom data (omitted when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
    /// Digests by algorithm name.
    pub hashes: Hashes,
    /// Size in bytes (a download limit for metadata; informative for targets).
    pub length: i64,
}

impl FileMeta {
    /// The FileMeta Go writes for a metadata file or a target read from disk: length, sha256 and
    /// sha512.
    pub fn of_bytes(bytes: &[u8]) -> FileMeta {
        let mut hashes = BTreeMap::new();
        hashes.insert("sha256".to_owned(), digest(&aws_lc_rs::digest::SHA256, bytes));
        hashes.insert("sha512".to_owned(), digest(&aws_lc_rs::digest::SHA512, bytes));
        FileMeta {
            custom: None,
            hashes: Hashes(hashes),
            length: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        }
    }

    /// The recorded SHA-256, if present and well-formed.
    pub fn sha256(&self) -> Option<&[u8]> {
        self.hashes.0.get("sha256").map(Vec::as_slice).filter(|h| h.len() == 32)
    }

    /// Checks `bytes` against every recognised hash; at least one must be recorded
    /// (metadata.md §8 `CheckHashes`). Unknown algorithms are skipped.
    pub fn check_hashes(&self, role: &str, bytes: &[u8]) -> Result<(), VerifyError> {
        let mut checked = false;
        for (name, algorithm) in [
            ("sha256", &aws_lc_rs::digest::SHA256),
            ("sha512", &aws_lc_rs::digest::SHA512),
        ] {
            let Some(expected) = self.hashes.0.get(name) else {
                continue;
            };
            checked = true;
            if digest(algorithm, bytes) != *expected {
                return Err(VerifyError::HashMismatch {
                    role: role.to_owned(),
                    algorithm: name,
                    expected: hex::encode(expected),
                });
            }
        }
        if !checked {
            return Err(VerifyError::NoChecksums { role: role.to_owned() });
        }
        Ok(())
    }
}

/// Digests by algorithm name; values are raw digests, standard base64 on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hashes(pub BTreeMap<String, Vec<u8>>);

impl Serialize for Hashes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, &base64::engine::general_purpose::STANDARD.encode(v))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Hashes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct B64(#[serde(with = "super::base64_bytes")] Vec<u8>);
        let map = BTreeMap::<String, B64>::deserialize(deserializer)?;
        Ok(Hashes(map.into_iter().map(|(k, v)| (k, v.0)).collect()))
    }
}

fn digest(algorithm: &'static aws_lc_rs::digest::Algorithm, bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(algorithm, bytes).as_ref().to_vec()
}
