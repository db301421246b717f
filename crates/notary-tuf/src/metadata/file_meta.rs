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
        let mut hashes = DigestMap::default();
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
pub struct Hashes(pub DigestMap);

/// A small map from algorithm name to digest, sorted by name: a target has one or two hashes,
/// and a collection can have 100,000 targets, so this is a vector, not a tree (a `BTreeMap`
/// node costs ~500 bytes per target).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DigestMap(Vec<(String, Vec<u8>)>);

impl DigestMap {
    /// The digest recorded for `algorithm`.
    pub fn get(&self, algorithm: &str) -> Option<&Vec<u8>> {
        self.position(algorithm).ok().map(|i| &self.0[i].1)
    }

    /// Whether `algorithm` has a digest.
    pub fn contains_key(&self, algorithm: &str) -> bool {
        self.position(algorithm).is_ok()
    }

    /// Sets the digest of `algorithm`, returning the previous one.
    pub fn insert(&mut self, algorithm: String, digest: Vec<u8>) -> Option<Vec<u8>> {
        match self.position(&algorithm) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, digest)),
            Err(i) => {
                self.0.insert(i, (algorithm, digest));
                None
            }
        }
    }

    /// Removes the digest of `algorithm`.
    pub fn remove(&mut self, algorithm: &str) -> Option<Vec<u8>> {
        self.position(algorithm).ok().map(|i| self.0.remove(i).1)
    }

    /// Removes every digest.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The number of digests.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(algorithm, digest)` pairs, sorted by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<u8>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The algorithm names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    fn position(&self, algorithm: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(algorithm))
    }
}

impl FromIterator<(String, Vec<u8>)> for DigestMap {
    /// Later entries win over earlier ones with the same name (as for JSON duplicates).
    fn from_iter<I: IntoIterator<Item = (String, Vec<u8>)>>(iter: I) -> Self {
        let mut map = DigestMap::default();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl From<BTreeMap<String, Vec<u8>>> for DigestMap {
    fn from(map: BTreeMap<String, Vec<u8>>) -> Self {
        DigestMap(map.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a DigestMap {
    type Item = (&'a String, &'a Vec<u8>);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (String, Vec<u8>)>, fn(&'a (String, Vec<u8>)) -> (&'a String, &'a Vec<u8>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

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
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Hashes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of base64 digests")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<Hashes, A::Error> {
                #[derive(Deserialize)]
                struct B64(#[serde(with = "super::base64_bytes")] Vec<u8>);
                let mut map = DigestMap(Vec::with_capacity(access.size_hint().unwrap_or(2).min(4)));
                while let Some((k, v)) = access.next_entry::<String, B64>()? {
                    map.insert(k, v.0);
                }
                Ok(Hashes(map))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

fn digest(algorithm: &'static aws_lc_rs::digest::Algorithm, bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(algorithm, bytes).as_ref().to_vec()
}
