//! Encryption at rest for the local signing service's private keys (server-behaviour.md §7.3 made
//! durable): a [`Sealer`] turns key bytes into an AES-256-GCM blob bound to the database row it is
//! stored in, and back.
//!
//! Sealed format (all versions start with one format byte naming the whole scheme):
//!
//! ```text
//! format(1) ‖ salt(16) ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16)
//! ```
//!
//! - format `1`: the AEAD key is HKDF-SHA256(salt, 32-byte key file secret, info [`HKDF_INFO`]);
//! - format `2`: the AEAD key is PBKDF2-HMAC-SHA256(passphrase, salt, [`PBKDF2_ITERATIONS`]).
//!
//! The nonce is random for every seal. The GCM additional data is `format ‖ salt ‖ caller AAD`,
//! so changing the header or opening under another row's AAD (key ID, GUN, role) fails.
//! A sealer draws one random salt when it is built and derives its key for it once; keys for the
//! salts of older blobs (sealed before a restart) are derived on first use and cached.
//!
//! Error messages never contain key material or secrets.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{hkdf, pbkdf2, rand};
use zeroize::Zeroizing;

/// Seals and opens private keys under one secret (a key file or a passphrase), named by an alias
/// that is stored next to every key it sealed.
///
/// Cloning is cheap and shares the derived-key cache. `Debug` shows the alias only.
#[derive(Clone)]
pub struct Sealer {
    inner: Arc<Inner>,
}

struct Inner {
    alias: String,
    secret: Secret,
    /// The salt new blobs are sealed with.
    salt: [u8; SALT_LEN],
    /// AEAD keys by salt: derivation (600,000 PBKDF2 rounds for a passphrase) happens once per salt.
    keys: Mutex<HashMap<[u8; SALT_LEN], Arc<LessSafeKey>>>,
}

enum Secret {
    KeyFile(Zeroizing<[u8; SECRET_LEN]>),
    Passphrase(Zeroizing<String>),
}

/// Why sealing, opening or loading a secret failed. Messages never contain key bytes or secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The AEAD check failed: wrong secret, a blob copied from another row, or modified bytes.
    #[error("cannot open sealed key: wrong secret, wrong key row, or the sealed data was modified")]
    AuthenticationFailed,
    /// The blob is shorter than the fixed header plus tag.
    #[error("sealed key is truncated ({len} bytes)")]
    BlobTruncated {
        /// The blob's length.
        len: usize,
    },
    /// The passphrase is empty.
    #[error("the key sealing passphrase is empty")]
    EmptyPassphrase,
    /// The key file could not be read or created.
    #[error("key sealing secret file {path}: {source}")]
    KeyFileIo {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: io::Error,
    },
    /// The key file is not a regular file.
    #[error("key sealing secret file {path} is not a regular file")]
    KeyFileNotRegular {
        /// The file.
        path: PathBuf,
    },
    /// The key file can be read by its group or by others.
    #[error(
        "key sealing secret file {path} is accessible by group or others (mode {mode:04o}); restrict it to the owner (chmod 600)"
    )]
    KeyFilePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file does not hold exactly 32 bytes.
    #[error("key sealing secret file {path} holds {len} bytes, expected exactly 32")]
    KeyFileSize {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
    },
    /// The system random generator failed.
    #[error("the system random number generator failed")]
    RandomFailed,
    /// The blob was sealed under another kind of secret than this sealer holds.
    #[error("sealed key was made with a {sealed_with}, but this server's sealing secret is a {have}")]
    SecretKindMismatch {
        /// The kind the blob names.
        sealed_with: &'static str,
        /// The kind this sealer has.
        have: &'static str,
    },
    /// An internal cryptographic operation failed.
    #[error("sealing failed in the crypto library")]
    SealFailed,
    /// The format byte is not one this version knows.
    #[error("sealed key has unknown format {format}")]
    UnsupportedFormat {
        /// The format byte.
        format: u8,
    },
}

impl Sealer {
    /// A sealer over a high-entropy 32-byte secret (from a key file); the AEAD key is derived with
    /// HKDF-SHA256.
    pub fn from_key(alias: impl Into<String>, key: [u8; SECRET_LEN]) -> Result<Sealer, SealError> {
        Sealer::build(alias.into(), Secret::KeyFile(Zeroizing::new(key)))
    }

    /// A sealer over a passphrase; the AEAD key is derived with PBKDF2-HMAC-SHA256 and
    /// [`PBKDF2_ITERATIONS`] rounds (done here once for the new salt, so this call takes a
    /// noticeable fraction of a second; call it at startup, not on an async worker's hot path).
    ///
    /// # Security
    /// A passphrase is only as strong as its entropy; prefer [`Sealer::load_or_create_key_file`].
    pub fn from_passphrase(alias: impl Into<String>, passphrase: &str) -> Result<Sealer, SealError> {
        if passphrase.is_empty() {
            return Err(SealError::EmptyPassphrase);
        }
        Sealer::build(alias.into(), Secret::Passphrase(Zeroizing::new(passphrase.to_owned())))
    }

    /// A sealer over the 32-byte secret in `path`, creating the file (owner-only, mode 0600) with
    /// fresh random bytes when it does not exist. Refuses a file that is not exactly 32 bytes or
    /// (on Unix) is accessible by group or others.
    pub fn load_or_create_key_file(path: &Path, alias: impl Into<String>) -> Result<Sealer, SealError> {
        let key = match read_key_file(path) {
            Err(SealError::KeyFileIo { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                match create_key_file(path) {
                    // Someone else created it between our read and create: use theirs.
                    Err(SealError::KeyFileIo { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {
                        read_key_file(path)?
                    }
                    other => other?,
                }
            }
            other => other?,
        };
        Sealer::build(alias.into(), Secret::KeyFile(key))
    }

    /// The alias naming this sealer's secret (stored as each key's `passphrase_alias`).
    pub fn alias(&self) -> &str {
        &self.inner.alias
    }

    /// Seals `plaintext`, binding it to `aad` (which must be given again to open it).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let inner = &self.inner;
        let format = inner.secret.format();
        let key = inner.key_for(&inner.salt)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce).map_err(|_| SealError::RandomFailed)?;

        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.push(format);
        out.extend_from_slice(&inner.salt);
        out.extend_from_slice(&nonce);
        let mut body = out.split_off(HEADER_LEN);
        body.extend_from_slice(plaintext);
        let full_aad = full_aad(format, &inner.salt, aad);
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&full_aad), &mut body)
            .map_err(|_| SealError::SealFailed)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens a blob made by [`Sealer::seal`] under the same secret and `aad`.
    pub fn open(&self, blob: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if blob.len() < HEADER_LEN + TAG_LEN {
            return Err(SealError::BlobTruncated { len: blob.len() });
        }
        let (header, sealed) = blob.split_at(HEADER_LEN);
        let format = header[0];
        let have = self.inner.secret.format();
        if format != have {
            return Err(match Secret::kind_of_format(format) {
                Some(sealed_with) => SealError::SecretKindMismatch {
                    sealed_with,
                    have: self.inner.secret.kind(),
                },
                None => SealError::UnsupportedFormat { format },
            });
        }
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&header[1..1 + SALT_LEN]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&header[1 + SALT_LEN..]);

        let key = self.inner.key_for(&salt)?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let full_aad = full_aad(format, &salt, aad);
        let len = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(&full_aad), &mut buf)
            .map_err(|_| SealError::AuthenticationFailed)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("alias", &self.inner.alias)
            .field("kind", &self.inner.secret.kind())
            .finish_non_exhaustive()
    }
}

impl Sealer {
    fn build(alias: String, secret: Secret) -> Result<Sealer, SealError> {
        let mut salt = [0u8; SALT_LEN];
        rand::fill(&mut salt).map_err(|_| SealError::RandomFailed)?;
        let inner = Inner {
            alias,
            secret,
            salt,
            keys: Mutex::new(HashMap::new()),
        };
        // Derive the sealing key now, so the first seal does not pay for it.
        inner.key_for(&salt)?;
        Ok(Sealer { inner: Arc::new(inner) })
    }
}

impl Inner {
    fn key_for(&self, salt: &[u8; SALT_LEN]) -> Result<Arc<LessSafeKey>, SealError> {
        if let Some(key) = self.keys.lock().unwrap_or_else(PoisonError::into_inner).get(salt) {
            return Ok(Arc::clone(key));
        }
        // Derived outside the lock: a PBKDF2 run must not stall users of other salts. Two
        // concurrent first uses of one salt both derive the same key; either result is kept.
        let key = Arc::new(self.secret.derive(salt)?);
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(Arc::clone(keys.entry(*salt).or_insert(key)))
    }
}

impl Secret {
    fn format(&self) -> u8 {
        match self {
            Secret::KeyFile(_) => FORMAT_HKDF,
            Secret::Passphrase(_) => FORMAT_PBKDF2,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Secret::KeyFile(_) => KIND_KEY_FILE,
            Secret::Passphrase(_) => KIND_PASSPHRASE,
        }
    }

    fn kind_of_format(format: u8) -> Option<&'static str> {
        match format {
            FORMAT_HKDF => Some(KIND_KEY_FILE),
            FORMAT_PBKDF2 => Some(KIND_PASSPHRASE),
            _ => None,
        }
    }

    fn derive(&self, salt: &[u8; SALT_LEN]) -> Result<LessSafeKey, SealError> {
        let mut key = Zeroizing::new([0u8; SECRET_LEN]);
        match self {
            Secret::KeyFile(secret) => {
                let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(secret.as_slice());
                prk.expand(&[HKDF_INFO], &AES_256_GCM)
                    .and_then(|okm| okm.fill(key.as_mut_slice()))
                    .map_err(|_| SealError::SealFailed)?;
            }
            Secret::Passphrase(passphrase) => {
                pbkdf2::derive(
                    pbkdf2::PBKDF2_HMAC_SHA256,
                    PBKDF2_ITERATIONS,
                    salt,
                    passphrase.as_bytes(),
                    key.as_mut_slice(),
                );
            }
        }
        let unbound = UnboundKey::new(&AES_256_GCM, key.as_slice()).map_err(|_| SealError::SealFailed)?;
        Ok(LessSafeKey::new(unbound))
    }
}

fn full_aad(format: u8, salt: &[u8; SALT_LEN], aad: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(1 + SALT_LEN + aad.len());
    full.push(format);
    full.extend_from_slice(salt);
    full.extend_from_slice(aad);
    full
}

fn read_key_file(path: &Path) -> Result<Zeroizing<[u8; SECRET_LEN]>, SealError> {
    let io_err = |source| SealError::KeyFileIo {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    // Checked on the opened file, so the checks and the read see the same inode.
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(SealError::KeyFileNotRegular { path: path.to_owned() });
    }
    check_owner_only(path, &meta)?;
    let mut contents = Zeroizing::new(Vec::with_capacity(SECRET_LEN + 1));
    file.take(SECRET_LEN as u64 + 1)
        .read_to_end(&mut contents)
        .map_err(io_err)?;
    let Ok(key) = <[u8; SECRET_LEN]>::try_from(contents.as_slice()) else {
        return Err(SealError::KeyFileSize {
            path: path.to_owned(),
            len: meta.len(),
        });
    };
    Ok(Zeroizing::new(key))
}

#[cfg(unix)]
fn check_owner_only(path: &Path, meta: &std::fs::Metadata) -> Result<(), SealError> {
    use std::os::unix::fs::PermissionsExt as _;

    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(SealError::KeyFilePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), SealError> {
    Ok(())
}

fn create_key_file(path: &Path) -> Result<Zeroizing<[u8; SECRET_LEN]>, SealError> {
    let io_err = |source| SealError::KeyFileIo {
        path: path.to_owned(),
        source,
    };
    let mut key = Zeroizing::new([0u8; SECRET_LEN]);
    rand::fill(key.as_mut_slice()).map_err(|_| SealError::RandomFailed)?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_err)?;
    // A crash before the data is written leaves a short file, which the size check then refuses.
    file.write_all(key.as_slice()).map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    Ok(key)
}

/// Length of a key file secret.
pub const SECRET_LEN: usize = 32;
/// PBKDF2-HMAC-SHA256 rounds for passphrase sealers (OWASP 2023 recommendation).
pub const PBKDF2_ITERATIONS: NonZeroU32 = match NonZeroU32::new(600_000) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};
/// HKDF `info` for key file sealers.
pub const HKDF_INFO: &[u8] = b"notary-rs key sealing v1 aes-256-gcm";

const FORMAT_HKDF: u8 = 1;
const FORMAT_PBKDF2: u8 = 2;
const KIND_KEY_FILE: &str = "key file";
const KIND_PASSPHRASE: &str = "passphrase";
const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + SALT_LEN + NONCE_LEN;

#[cfg(test)]
mod tests {
    use notary_testkit::WorkDir;

    use super::*;

    const AAD: &[u8] = b"key-id|gun|timestamp";

    fn key_sealer() -> Sealer {
        Sealer::from_key("k1", [7u8; 32]).unwrap()
    }

    #[test]
    fn seal_open_roundtrip_with_key_and_passphrase() {
        for sealer in [key_sealer(), Sealer::from_passphrase("p1", "correct horse").unwrap()] {
            let blob = sealer.seal(b"secret seed bytes", AAD).unwrap();
            assert_eq!(blob.len(), HEADER_LEN + 17 + TAG_LEN);
            assert_eq!(sealer.open(&blob, AAD).unwrap().as_slice(), b"secret seed bytes");
            // Random nonce: sealing twice gives different blobs.
            assert_ne!(blob, sealer.seal(b"secret seed bytes", AAD).unwrap());
        }
    }

    #[test]
    fn blob_does_not_contain_the_plaintext() {
        let seed = [0x5au8; 32];
        let blob = key_sealer().seal(&seed, AAD).unwrap();
        assert!(!blob.windows(8).any(|w| seed.windows(8).any(|s| s == w)));
    }

    #[test]
    fn another_sealer_instance_with_the_same_secret_opens_old_blobs() {
        // A restart: new salt for new blobs, old salts still open.
        let blob = key_sealer().seal(b"x", AAD).unwrap();
        assert_eq!(key_sealer().open(&blob, AAD).unwrap().as_slice(), b"x");
        let p = Sealer::from_passphrase("p", "pw").unwrap().seal(b"y", AAD).unwrap();
        assert_eq!(
            Sealer::from_passphrase("p", "pw")
                .unwrap()
                .open(&p, AAD)
                .unwrap()
                .as_slice(),
            b"y"
        );
    }

    #[test]
    fn bad_blobs_fail_cleanly() {
        let sealer = key_sealer();
        let blob = sealer.seal(b"secret seed bytes", AAD).unwrap();
        let flip = |i: usize| {
            let mut b = blob.clone();
            b[i] ^= 1;
            b
        };
        let cases: Vec<(&str, Vec<u8>, &[u8], Sealer)> = vec![
            ("tampered ciphertext", flip(HEADER_LEN), AAD, key_sealer()),
            ("tampered tag", flip(blob.len() - 1), AAD, key_sealer()),
            ("tampered salt", flip(1), AAD, key_sealer()),
            ("tampered nonce", flip(1 + SALT_LEN), AAD, key_sealer()),
            ("wrong aad", blob.clone(), b"key-id|gun|snapshot", key_sealer()),
            (
                "wrong secret",
                blob.clone(),
                AAD,
                Sealer::from_key("k1", [8u8; 32]).unwrap(),
            ),
        ];
        for (name, bad, aad, sealer) in cases {
            assert!(
                matches!(sealer.open(&bad, aad), Err(SealError::AuthenticationFailed)),
                "{name}"
            );
        }
        for len in [0, 1, HEADER_LEN, HEADER_LEN + TAG_LEN - 1] {
            assert!(matches!(
                sealer.open(&blob[..len], AAD),
                Err(SealError::BlobTruncated { .. })
            ));
        }
        // Dropping the last ciphertext byte still leaves a tag-sized tail, which fails to verify.
        assert!(matches!(
            sealer.open(&blob[..blob.len() - 1], AAD),
            Err(SealError::AuthenticationFailed)
        ));
        let mut unknown = blob.clone();
        unknown[0] = 9;
        assert!(matches!(
            sealer.open(&unknown, AAD),
            Err(SealError::UnsupportedFormat { format: 9 })
        ));
        let passphrase = Sealer::from_passphrase("p", "pw").unwrap();
        assert!(matches!(
            passphrase.open(&blob, AAD),
            Err(SealError::SecretKindMismatch { .. })
        ));
    }

    #[test]
    fn errors_and_debug_show_no_secret() {
        let sealer = Sealer::from_passphrase("alias-1", "hunter2-passphrase").unwrap();
        let debug = format!("{sealer:?}");
        assert!(debug.contains("alias-1") && !debug.contains("hunter2"));
        let err = sealer.open(&[2u8; 64], AAD).unwrap_err().to_string();
        assert!(!err.contains("hunter2"));
    }

    #[test]
    fn empty_passphrase_is_refused() {
        assert!(matches!(
            Sealer::from_passphrase("p", ""),
            Err(SealError::EmptyPassphrase)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_created_0600_and_reloaded() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = WorkDir::new("sealing-create");
        let path = dir.path("sealing.key");
        let first = Sealer::load_or_create_key_file(&path, "file").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 32);
        let blob = first.seal(b"seed", AAD).unwrap();
        let second = Sealer::load_or_create_key_file(&path, "file").unwrap();
        assert_eq!(second.open(&blob, AAD).unwrap().as_slice(), b"seed");
        assert_eq!(second.alias(), "file");
        dir.done();
    }

    #[cfg(unix)]
    #[test]
    fn bad_key_files_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = WorkDir::new("sealing-bad");
        let readable = dir.write("readable.key", &[1u8; 32]);
        std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = Sealer::load_or_create_key_file(&readable, "a").unwrap_err();
        assert!(
            matches!(err, SealError::KeyFilePermissions { mode: 0o640, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");

        for len in [0usize, 31, 33, 64] {
            let short = dir.write(&format!("len{len}.key"), &vec![1u8; len]);
            let err = Sealer::load_or_create_key_file(&short, "a").unwrap_err();
            assert!(matches!(err, SealError::KeyFileSize { .. }), "{len}: {err}");
        }

        let err = Sealer::load_or_create_key_file(&dir.path(""), "a").unwrap_err();
        assert!(matches!(err, SealError::KeyFileNotRegular { .. }), "{err}");

        let missing_dir = dir.path("no-such-dir").join("k");
        let err = Sealer::load_or_create_key_file(&missing_dir, "a").unwrap_err();
        assert!(matches!(err, SealError::KeyFileIo { .. }), "{err}");
        dir.done();
    }
}
