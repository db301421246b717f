//! Go notary's private key PEM files (`shared/spec/keys.md` §5.1–§5.4, §7).
//!
//! A key file is one PEM block:
//!
//! ```text
//! -----BEGIN ENCRYPTED PRIVATE KEY-----
//! gun: example.com/test/repo
//! role: targets
//!
//! MIHuMEkGCSqGSIb3DQEFDTA8MBsGCSqGSIb3DQEFDDAOBAjsQFftBwbbwgICCAAw
//! …
//! -----END ENCRYPTED PRIVATE KEY-----
//! ```
//!
//! written with Go's PEM layout (headers sorted by name, a blank line, base64 in 64-column lines,
//! LF, final newline). Besides `ENCRYPTED PRIVATE KEY`, unencrypted `PRIVATE KEY` (for
//! `key import`) and the legacy `EC PRIVATE KEY`, `RSA PRIVATE KEY` and `ED25519 PRIVATE KEY`
//! blocks are read; legacy RFC 1423 encryption (`Proc-Type: 4,ENCRYPTED`) is not supported.

use std::collections::BTreeMap;
use std::fmt;

use notary_tuf::Gun;
use notary_tuf::cert::pem_encode;
use notary_tuf::sign::PrivateKey;
use zeroize::Zeroizing;

use crate::error::KeyFileError;
use crate::{pbes2, pkcs8};

/// The largest key file we parse. A Go key file is under 2 KiB (RSA-4096 included); an export of
/// many keys is parsed block by block by the caller's loop, not as one input.
pub const MAX_KEY_FILE_LEN: usize = 64 * 1024;

/// The PEM block types that hold private keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyFileKind {
    /// `ENCRYPTED PRIVATE KEY`: PBES2-encrypted PKCS#8, what Notary always writes.
    Encrypted,
    /// `PRIVATE KEY`: unencrypted PKCS#8 (import input; Go writes it only for an empty passphrase).
    Pkcs8,
    /// `EC PRIVATE KEY`: legacy unencrypted SEC1.
    LegacyEc,
    /// `RSA PRIVATE KEY`: legacy unencrypted PKCS#1.
    LegacyRsa,
    /// `ED25519 PRIVATE KEY`: legacy unencrypted 96-byte Notary Ed25519 key.
    LegacyEd25519,
}

impl KeyFileKind {
    /// The PEM block type (the text after `BEGIN `).
    pub fn pem_tag(self) -> &'static str {
        match self {
            KeyFileKind::Encrypted => "ENCRYPTED PRIVATE KEY",
            KeyFileKind::Pkcs8 => "PRIVATE KEY",
            KeyFileKind::LegacyEc => "EC PRIVATE KEY",
            KeyFileKind::LegacyRsa => "RSA PRIVATE KEY",
            KeyFileKind::LegacyEd25519 => "ED25519 PRIVATE KEY",
        }
    }

    fn from_tag(tag: &str) -> Option<KeyFileKind> {
        [
            KeyFileKind::Encrypted,
            KeyFileKind::Pkcs8,
            KeyFileKind::LegacyEc,
            KeyFileKind::LegacyRsa,
            KeyFileKind::LegacyEd25519,
        ]
        .into_iter()
        .find(|kind| kind.pem_tag() == tag)
    }
}

/// The RFC 1421 headers of a key PEM block (keys.md §5.2): `role` always, `gun` only for the
/// `targets`, `snapshot` and `timestamp` keys, `path` only in exports. Other headers are kept as
/// they were read.
///
/// Names and values are checked when set so that the block can always be written back and read
/// again unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyHeaders(BTreeMap<String, String>);

impl KeyHeaders {
    /// No headers.
    pub fn new() -> KeyHeaders {
        KeyHeaders::default()
    }

    /// The headers Go notary writes for a stored key of `role`: `role: <role>`, plus
    /// `gun: <gun>` when `role` is `targets`, `snapshot` or `timestamp` and a GUN is given. Root
    /// keys, delegation keys and keys with non-role names (e.g. `delegation`) get no `gun`.
    pub fn for_role(role: &str, gun: Option<&Gun>) -> Result<KeyHeaders, KeyFileError> {
        let mut headers = KeyHeaders::new();
        headers.set(ROLE, role)?;
        if let Some(gun) = gun.filter(|_| GUN_ROLES.contains(&role)) {
            headers.set(GUN, gun.as_str())?;
        }
        Ok(headers)
    }

    /// The `role` header.
    pub fn role(&self) -> Option<&str> {
        self.get(ROLE)
    }

    /// The `gun` header.
    pub fn gun(&self) -> Option<&str> {
        self.get(GUN)
    }

    /// The `path` header (exports only, keys.md §7).
    pub fn path(&self) -> Option<&str> {
        self.get(PATH)
    }

    /// Any header by name (exact, case-sensitive, as Go's `map[string]string`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Sets a header. Names must be non-empty printable ASCII without `:`; values must not
    /// contain control characters or start/end with white space (Go trims values on read).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KeyFileError> {
        let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        let value_ok = !value.chars().any(char::is_control) && value.trim() == value;
        if !name_ok || !value_ok {
            return Err(KeyFileError::InvalidHeader {
                name: name.chars().take(64).collect(),
            });
        }
        self.0.insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    /// Removes a header, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// All headers, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the headers declare legacy RFC 1423 encryption (`Proc-Type: 4,ENCRYPTED`).
    fn legacy_encrypted(&self) -> bool {
        self.get("Proc-Type").is_some_and(|v| v.contains("ENCRYPTED"))
    }
}

/// One private key PEM block: its type, headers and DER content.
///
/// `Debug` shows the type and headers only: the content of an unencrypted block is key material.
#[derive(Clone)]
pub struct KeyFile {
    kind: KeyFileKind,
    headers: KeyHeaders,
    der: Zeroizing<Vec<u8>>,
}

impl KeyFile {
    /// Parses the first PEM block of `input`, which must be a private key block. Text before the
    /// block and anything after it is ignored (as Go's `pem.Decode`).
    pub fn parse(input: &[u8]) -> Result<KeyFile, KeyFileError> {
        check_size(input)?;
        let block = pem::parse(input).map_err(pem_error)?;
        KeyFile::from_block(block)
    }

    /// Parses every PEM block of `input` (e.g. a `key export` file, keys.md §7). The outer
    /// error is for input that is not PEM at all; each block's own result is returned so that
    /// callers can skip bad blocks, as `notary key import` does.
    pub fn parse_all(input: &[u8]) -> Result<Vec<Result<KeyFile, KeyFileError>>, KeyFileError> {
        check_size(input)?;
        let blocks = pem::parse_many(input).map_err(pem_error)?;
        if blocks.is_empty() {
            return Err(KeyFileError::Pem {
                reason: "no PEM block found",
            });
        }
        Ok(blocks.into_iter().map(KeyFile::from_block).collect())
    }

    /// Encrypts `key` with `passphrase` as Go notary does (fresh 8-byte salt and 16-byte IV,
    /// PBKDF2-HMAC-SHA1 with 2048 iterations, AES-256-CBC) into an `ENCRYPTED PRIVATE KEY` block.
    ///
    /// The passphrase is used as its UTF-8 bytes. Unlike Go's key store, an empty passphrase still
    /// encrypts; use [`KeyFile::unencrypted`] to get Go's empty-passphrase behaviour.
    pub fn encrypt(
        key: &PrivateKey,
        passphrase: impl AsRef<[u8]>,
        headers: KeyHeaders,
    ) -> Result<KeyFile, KeyFileError> {
        let plaintext = pkcs8::encode(key)?;
        let der = pbes2::encrypt(&plaintext, passphrase.as_ref())?;
        Ok(KeyFile {
            kind: KeyFileKind::Encrypted,
            headers,
            der: Zeroizing::new(der),
        })
    }

    /// `key` as an unencrypted `PRIVATE KEY` block in Notary's PKCS#8 encoding.
    ///
    /// # Security
    ///
    /// The block holds the key in the clear; Go's CLI only ever writes encrypted keys.
    pub fn unencrypted(key: &PrivateKey, headers: KeyHeaders) -> Result<KeyFile, KeyFileError> {
        Ok(KeyFile {
            kind: KeyFileKind::Pkcs8,
            headers,
            der: pkcs8::encode(key)?,
        })
    }

    /// The block type.
    pub fn kind(&self) -> KeyFileKind {
        self.kind
    }

    /// Whether a passphrase is needed to read the key.
    pub fn is_encrypted(&self) -> bool {
        self.kind == KeyFileKind::Encrypted || self.headers.legacy_encrypted()
    }

    /// The headers.
    pub fn headers(&self) -> &KeyHeaders {
        &self.headers
    }

    /// The headers, for changing them (e.g. adding `path` for an export or dropping `gun` on
    /// import). Changing headers never touches the encrypted content.
    pub fn headers_mut(&mut self) -> &mut KeyHeaders {
        &mut self.headers
    }

    /// The key, decrypted with `passphrase` (its UTF-8 bytes). For an unencrypted block the
    /// passphrase is not used, as in Go.
    ///
    /// A wrong passphrase gives [`KeyFileError::WrongPassphrase`]; so does a file whose PBKDF2 PRF
    /// is not HMAC-SHA1, because Go ignores that field (keys.md §5.4).
    pub fn decrypt(&self, passphrase: impl AsRef<[u8]>) -> Result<PrivateKey, KeyFileError> {
        if self.kind != KeyFileKind::Encrypted {
            return self.unencrypted_key();
        }
        let plaintext = self.decrypt_to_pkcs8(passphrase)?;
        Ok(pkcs8::decode(&plaintext)?)
    }

    /// The plaintext `PrivateKeyInfo` DER as stored in the file, without the CBC padding (for
    /// `PRIVATE KEY` blocks: the content as is; for legacy blocks: the key re-encoded in
    /// Notary's PKCS#8 layout). Secret.
    pub fn decrypt_to_pkcs8(&self, passphrase: impl AsRef<[u8]>) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
        match self.kind {
            KeyFileKind::Encrypted => {
                let mut plaintext = pbes2::decrypt(&self.der, passphrase.as_ref())?;
                // Garbage instead of a PrivateKeyInfo: Go's `pkcs8: incorrect password`.
                let len = pkcs8::private_key_info_len(&plaintext).ok_or(KeyFileError::WrongPassphrase)?;
                plaintext.truncate(len);
                Ok(plaintext)
            }
            KeyFileKind::Pkcs8 if !self.headers.legacy_encrypted() => Ok(self.der.clone()),
            _ => Ok(pkcs8::encode(&self.unencrypted_key()?)?),
        }
    }

    /// The key of an unencrypted block; [`KeyFileError::Encrypted`] for an encrypted one.
    pub fn unencrypted_key(&self) -> Result<PrivateKey, KeyFileError> {
        if self.headers.legacy_encrypted() {
            return Err(KeyFileError::UnsupportedEncryption {
                reason: "legacy RFC 1423 PEM encryption is not supported",
            });
        }
        let key = match self.kind {
            KeyFileKind::Encrypted => return Err(KeyFileError::Encrypted),
            KeyFileKind::Pkcs8 => pkcs8::decode(&self.der)?,
            KeyFileKind::LegacyEc => pkcs8::decode_sec1(&self.der)?,
            KeyFileKind::LegacyRsa => pkcs8::decode_pkcs1(&self.der)?,
            KeyFileKind::LegacyEd25519 => pkcs8::decode_ed25519_raw(&self.der)?,
        };
        Ok(key)
    }

    /// The PEM text, in Go's layout (sorted headers, 64 columns, LF, final newline). Blocks read
    /// from Go's files come out byte-identical, except legacy RFC 1423 blocks, where Go writes
    /// `Proc-Type` before the other headers and we sort it with them.
    ///
    /// Zeroized on drop, since an unencrypted block is key material.
    pub fn to_pem(&self) -> Zeroizing<String> {
        let headers: Vec<(&str, &str)> = self.headers.iter().collect();
        Zeroizing::new(pem_encode(self.kind.pem_tag(), &headers, &self.der))
    }

    fn from_block(block: pem::Pem) -> Result<KeyFile, KeyFileError> {
        let Some(kind) = KeyFileKind::from_tag(block.tag()) else {
            return Err(KeyFileError::UnsupportedBlock {
                tag: block.tag().chars().take(64).collect(),
            });
        };
        // Read headers without re-validating them: Go reads whatever is there (trimmed), and a
        // header we could not write back only matters if the caller writes the block again.
        let mut headers = KeyHeaders::new();
        for (name, value) in block.headers().iter() {
            headers.0.insert(name.to_owned(), value.to_owned());
        }
        Ok(KeyFile {
            kind,
            headers,
            der: Zeroizing::new(block.into_contents()),
        })
    }

    /// Test hook: [`KeyFile::encrypt`] with a chosen salt and IV.
    #[cfg(test)]
    pub(crate) fn encrypt_with(
        key: &PrivateKey,
        passphrase: &[u8],
        headers: KeyHeaders,
        salt: &[u8],
        iv: [u8; pbes2::BLOCK_LEN],
    ) -> Result<KeyFile, KeyFileError> {
        let plaintext = pkcs8::encode(key)?;
        let der = pbes2::encrypt_with(&plaintext, passphrase, salt, pbes2::ITERATIONS, iv)?;
        Ok(KeyFile {
            kind: KeyFileKind::Encrypted,
            headers,
            der: Zeroizing::new(der),
        })
    }
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("kind", &self.kind)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

fn check_size(input: &[u8]) -> Result<(), KeyFileError> {
    if input.len() > MAX_KEY_FILE_LEN {
        return Err(KeyFileError::TooLarge {
            len: input.len(),
            max: MAX_KEY_FILE_LEN,
        });
    }
    Ok(())
}

/// Maps the pem crate's errors to fixed texts (its messages can quote the input).
fn pem_error(error: pem::PemError) -> KeyFileError {
    let reason = match error {
        pem::PemError::MalformedFraming => "no PEM block found",
        pem::PemError::MismatchedTags(..) => "BEGIN and END types differ",
        pem::PemError::InvalidData(_) => "invalid base64 content",
        pem::PemError::InvalidHeader(_) => "invalid header line",
        pem::PemError::NotUtf8(_) => "PEM text is not UTF-8",
        _ => "invalid PEM framing",
    };
    KeyFileError::Pem { reason }
}

const ROLE: &str = "role";
const GUN: &str = "gun";
const PATH: &str = "path";
/// The roles whose key files carry a `gun` header (keys.md §5.2).
const GUN_ROLES: [&str; 3] = ["targets", "snapshot", "timestamp"];

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_KEY: &[u8] = include_bytes!(
        "../tests/data/keys/root-ecdsa.29b9477770f2ac12eaedb7c4127ad2a6290188f1633fc1f97feb6120e560c5dc.key"
    );
    const ROOT_PLAINTEXT_HEX: &str = include_str!(
        "../tests/data/keys/root-ecdsa.29b9477770f2ac12eaedb7c4127ad2a6290188f1633fc1f97feb6120e560c5dc.decrypted-padded.hex"
    );

    fn unhex(s: &str) -> Vec<u8> {
        let s = s.trim();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decrypted_plaintext_matches_the_vector() {
        let file = KeyFile::parse(ROOT_KEY).unwrap();
        let plaintext = pbes2::decrypt(&file.der, b"rootpassphrase1").unwrap();
        assert_eq!(*plaintext, unhex(ROOT_PLAINTEXT_HEX));
    }

    #[test]
    fn re_encoding_reproduces_go_s_plaintext() {
        let key = KeyFile::parse(ROOT_KEY).unwrap().decrypt("rootpassphrase1").unwrap();
        let expected = unhex(ROOT_PLAINTEXT_HEX);
        assert_eq!(*pkcs8::encode(&key).unwrap(), expected[..150]);
    }

    /// With the vector's salt and IV (keys.md §8), our writer reproduces Go's file byte for byte.
    #[test]
    fn encrypting_with_the_vector_s_salt_and_iv_reproduces_the_file() {
        let key = KeyFile::parse(ROOT_KEY).unwrap().decrypt("rootpassphrase1").unwrap();
        let salt = unhex("750D2EFBF000E925");
        let iv: [u8; 16] = unhex("8E49BB60C7A7E417393DC8414A443008").try_into().unwrap();
        let headers = KeyHeaders::for_role("root", None).unwrap();
        let file = KeyFile::encrypt_with(&key, b"rootpassphrase1", headers, &salt, iv).unwrap();
        assert_eq!(file.to_pem().as_bytes(), ROOT_KEY);
    }

    #[test]
    fn gun_header_only_for_gun_roles() {
        let gun: Gun = "example.com/app".parse().unwrap();
        for (role, has_gun) in [
            ("root", false),
            ("targets", true),
            ("snapshot", true),
            ("timestamp", true),
            ("targets/releases", false),
            ("delegation", false),
        ] {
            let headers = KeyHeaders::for_role(role, Some(&gun)).unwrap();
            assert_eq!(headers.role(), Some(role));
            assert_eq!(headers.gun().is_some(), has_gun, "{role}");
        }
    }

    #[test]
    fn header_values_that_would_not_round_trip_are_refused() {
        let mut headers = KeyHeaders::new();
        for (name, value) in [
            ("role", "a\nb"),
            ("role", " lead"),
            ("ro:le", "x"),
            ("", "x"),
            ("ro le", "x"),
        ] {
            assert!(
                matches!(headers.set(name, value), Err(KeyFileError::InvalidHeader { .. })),
                "{name:?} {value:?}"
            );
        }
        headers.set("gun", "localhost:5000/app").unwrap();
        assert_eq!(headers.gun(), Some("localhost:5000/app"));
    }

    #[test]
    fn debug_hides_content() {
        let key = PrivateKey::generate_ed25519().unwrap();
        let file = KeyFile::unencrypted(&key, KeyHeaders::for_role("targets/x", None).unwrap()).unwrap();
        let debug = format!("{file:?}");
        assert_eq!(
            debug,
            r#"KeyFile { kind: Pkcs8, headers: KeyHeaders({"role": "targets/x"}), .. }"#
        );
    }

    #[test]
    fn oversized_input_is_refused() {
        let big = vec![b'A'; MAX_KEY_FILE_LEN + 1];
        assert!(matches!(KeyFile::parse(&big), Err(KeyFileError::TooLarge { .. })));
    }
}
