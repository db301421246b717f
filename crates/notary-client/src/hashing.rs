//! Streaming target hashes: `add` and `verify` read a file once, in fixed-size chunks, so a
//! multi-gigabyte target costs constant memory.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use aws_lc_rs::digest;
use notary_tuf::metadata::{FileMeta, Hashes};

const CHUNK: usize = 256 * 1024;

/// Reads `input` to the end, copying every byte to `copy` and reporting progress (bytes so far),
/// and returns its FileMeta (length, sha256, sha512) as `notary add` records it.
pub fn file_meta_of(mut input: impl Read, mut copy: impl Write, mut progress: impl FnMut(u64)) -> io::Result<FileMeta> {
    let mut sha256 = digest::Context::new(&digest::SHA256);
    let mut sha512 = digest::Context::new(&digest::SHA512);
    let mut buf = vec![0u8; CHUNK];
    let mut length: u64 = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha256.update(&buf[..n]);
        sha512.update(&buf[..n]);
        copy.write_all(&buf[..n])?;
        length += n as u64;
        progress(length);
    }
    let mut hashes = BTreeMap::new();
    hashes.insert("sha256".to_owned(), sha256.finish().as_ref().to_vec());
    hashes.insert("sha512".to_owned(), sha512.finish().as_ref().to_vec());
    Ok(FileMeta {
        custom: None,
        hashes: Hashes(hashes.into()),
        length: i64::try_from(length).unwrap_or(i64::MAX),
    })
}

/// Why content does not match a target (`notary verify`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentMismatch {
    /// A recorded hash differs (Go's message).
    #[error(
        "data not present in the trusted collection, {algorithm} checksum for {target} did not match: expected {expected}"
    )]
    Hash {
        /// The target.
        target: String,
        /// `sha256` or `sha512`.
        algorithm: String,
        /// The recorded digest, hex.
        expected: String,
    },
    /// The target records no hash this client can check.
    #[error(
        "data not present in the trusted collection, no checksums for supported algorithms were provided for {target}"
    )]
    NoHashes {
        /// The target.
        target: String,
    },
    /// Same hashes impossible, different length: reported separately for clarity.
    #[error(
        "data not present in the trusted collection, length of {target} did not match: expected {expected} bytes, got {actual}"
    )]
    Length {
        /// The target.
        target: String,
        /// The recorded length.
        expected: i64,
        /// The content's length.
        actual: i64,
    },
}

/// Checks content (as hashed by [`file_meta_of`]) against a target's recorded FileMeta: every
/// recorded hash of a known algorithm must match, and at least one must be known.
pub fn check_content(target: &str, recorded: &FileMeta, content: &FileMeta) -> Result<(), ContentMismatch> {
    let mut checked = 0;
    for algorithm in ["sha256", "sha512"] {
        let Some(expected) = recorded.hashes.0.get(algorithm) else {
            continue;
        };
        checked += 1;
        let actual = content.hashes.0.get(algorithm);
        if actual.map(Vec::as_slice) != Some(expected.as_slice()) {
            return Err(ContentMismatch::Hash {
                target: target.to_owned(),
                algorithm: algorithm.to_owned(),
                expected: hex::encode(expected),
            });
        }
    }
    if checked == 0 {
        return Err(ContentMismatch::NoHashes {
            target: target.to_owned(),
        });
    }
    if recorded.length != content.length {
        return Err(ContentMismatch::Length {
            target: target.to_owned(),
            expected: recorded.length,
            actual: content.length,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_hashes_equal_the_one_shot_ones() {
        let data: Vec<u8> = (0..(3 * CHUNK + 17)).map(|i| (i % 251) as u8).collect();
        let mut copy = Vec::new();
        let mut last = 0;
        let meta = file_meta_of(&data[..], &mut copy, |n| last = n).unwrap();
        assert_eq!(meta, FileMeta::of_bytes(&data));
        assert_eq!(copy, data);
        assert_eq!(last, data.len() as u64);
    }

    #[test]
    fn content_checks_every_known_hash() {
        let good = FileMeta::of_bytes(b"hello");
        let bad = FileMeta::of_bytes(b"hellO");
        assert_eq!(check_content("t", &good, &good), Ok(()));
        let err = check_content("t", &good, &bad).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("data not present in the trusted collection, sha256 checksum for t did not match")
        );
        let mut only512 = good.clone();
        only512.hashes.0.remove("sha256");
        assert!(
            matches!(check_content("t", &only512, &bad), Err(ContentMismatch::Hash { algorithm, .. }) if algorithm == "sha512")
        );
        let mut none = good.clone();
        none.hashes.0.clear();
        assert!(matches!(
            check_content("t", &none, &good),
            Err(ContentMismatch::NoHashes { .. })
        ));
    }
}
