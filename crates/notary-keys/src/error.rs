//! Error types: one enum per concern, nested where one wraps another (STYLE §3).
//!
//! No variant ever carries key material, a passphrase or decrypted bytes; PEM block types are
//! truncated before they are stored.

use thiserror::Error;

/// What went wrong with the key inside a file: the (decrypted) PKCS#8 `PrivateKeyInfo`, a SEC1
/// or PKCS#1 key, or the key material itself (keys.md §5.3).
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The DER structure does not parse.
    #[error("malformed private key: {reason}")]
    Malformed {
        /// Which part failed.
        reason: &'static str,
    },
    /// A well-formed key of a kind Notary cannot use (unknown algorithm, curve other than P-256,
    /// RFC 8410 Ed25519, …).
    #[error("unsupported private key: {reason}")]
    Unsupported {
        /// What is unsupported.
        reason: &'static str,
    },
    /// The crypto library refused the key material (inconsistent public key, scalar out of range,
    /// bad RSA parameters) or failed to export it.
    #[error("invalid private key: {reason}")]
    Invalid {
        /// What was refused.
        reason: &'static str,
    },
    /// Randomness or key generation failed inside the crypto library.
    #[error("key generation failed")]
    Generation,
}

/// Errors reading, decrypting, encrypting or writing a Notary private key PEM file
/// (keys.md §5, §7).
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The input is larger than any key file we accept.
    #[error("key file is too large: {len} bytes (at most {max})")]
    TooLarge {
        /// Input size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// No PEM block, or a PEM block that does not parse (framing, base64, headers).
    #[error("invalid key pem block: {reason}")]
    Pem {
        /// What is wrong.
        reason: &'static str,
    },
    /// A PEM block whose type is not a private key type Notary reads.
    #[error("unsupported pem block type {tag:?}")]
    UnsupportedBlock {
        /// The block type (truncated to 64 characters).
        tag: String,
    },
    /// A header name or value that cannot be written into a PEM block.
    #[error("invalid pem header {name:?}")]
    InvalidHeader {
        /// The header name (truncated to 64 characters).
        name: String,
    },
    /// The block is encrypted with something other than PBES2 + PBKDF2 + AES-256-CBC, or with
    /// parameters outside our limits (e.g. a huge iteration count), or with legacy RFC 1423
    /// encryption.
    #[error("unsupported private key encryption: {reason}")]
    UnsupportedEncryption {
        /// What is unsupported.
        reason: &'static str,
    },
    /// The `EncryptedPrivateKeyInfo` structure itself does not parse.
    #[error("malformed encrypted private key: {reason}")]
    MalformedEncryption {
        /// Which part failed.
        reason: &'static str,
    },
    /// Decryption produced something that is not a private key: the passphrase is wrong (Go:
    /// `pkcs8: incorrect password`, shown by the CLI as `password invalid, operation has
    /// failed.`). This is also the result for files whose PBKDF2 PRF is not HMAC-SHA1, because
    /// Go ignores the PRF field (keys.md §5.4).
    #[error("incorrect passphrase")]
    WrongPassphrase,
    /// An unencrypted key was asked for, but the block is encrypted.
    #[error("the private key is encrypted")]
    Encrypted,
    /// The key inside the block is malformed or unsupported.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Errors generating a root certificate (keys.md §4.1).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RootCertError {
    /// Only ECDSA P-256 and RSA keys can sign certificates (Go: Ed25519 keys have no
    /// certificate signer).
    #[error("cannot make a certificate for a {key_type} key")]
    UnsupportedKey {
        /// The key's `keytype`.
        key_type: String,
    },
    /// Signing the certificate failed.
    #[error("signing the certificate failed")]
    Signing,
    /// rcgen refused the parameters or failed to build the certificate.
    #[error("building the certificate failed")]
    Build(#[source] rcgen::Error),
    /// Randomness for the serial number failed.
    #[error("random serial number generation failed")]
    Random,
}
