//! Error types of the core, one enum per concern, nested under [`Error`].
//!
//! `Display` texts follow Go Notary's messages (`shared/spec/metadata.md` §13,
//! `server-behaviour.md` §2.8) so that users and scripts see what they are used to; the variants
//! carry the role, key and reason as fields for programs.

use crate::expires::Expires;
use crate::key::KeyId;

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A name was invalid.
    #[error(transparent)]
    Name(#[from] NameError),
    /// Bytes were not well-formed metadata.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Metadata failed verification.
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// A GUN or role name that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// An unacceptable GUN.
    #[error("invalid GUN {gun:?}: {reason}")]
    InvalidGun {
        /// The GUN (truncated).
        gun: String,
        /// Why.
        reason: &'static str,
    },
    /// Not a base role nor a valid delegation name.
    #[error("invalid role name {role:?}")]
    InvalidRole {
        /// The name (truncated).
        role: String,
    },
}

/// Bytes that are not a well-formed signed metadata file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Not JSON, or a `signed` value without a canonical form.
    #[error(transparent)]
    Json(#[from] notary_cjson::Error),
    /// JSON, but not `{"signed":{…},"signatures":[…]}` with the members a role needs.
    #[error("{what} is malformed: {reason}")]
    Shape {
        /// What was being read (e.g. `targets metadata`, `signature`).
        what: &'static str,
        /// The parser's explanation.
        reason: String,
    },
    /// Larger than the limit for this kind of file.
    #[error("metadata is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Actual size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

/// A certificate that Notary cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Not a parsable PEM/DER certificate bundle.
    #[error("invalid certificate: {0}")]
    Malformed(String),
    /// Outside its validity period, or `notBefore` after `notAfter`.
    #[error("certificate with CN {common_name} is expired")]
    Expired {
        /// Subject CN.
        common_name: String,
    },
    /// Signed with a SHA-1 based algorithm.
    #[error("certificate uses a SHA-1 based signature algorithm")]
    Sha1Signature,
    /// RSA key below 2048 bits.
    #[error("RSA key must be at least 2048 bits")]
    WeakRsaKey,
}

/// One signature that did not verify (these are skipped while counting a threshold).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature bytes do not verify under the key.
    #[error("signature by key {key_id} is invalid")]
    Invalid {
        /// The key.
        key_id: KeyId,
    },
    /// The method does not fit the key's type (the key type always wins).
    #[error("method {method} cannot be used with key {key_id}")]
    MethodMismatch {
        /// The key.
        key_id: KeyId,
        /// The method named by the signature.
        method: String,
    },
    /// The key itself is unusable (bad encoding, unsupported curve, short RSA).
    #[error("key {key_id} is not supported: {reason}")]
    BadKey {
        /// The key.
        key_id: KeyId,
        /// Why.
        reason: &'static str,
    },
    /// Signing failed (private key unusable).
    #[error("signing failed")]
    SigningFailed,
}

/// Metadata that failed a verification rule. Messages match Go Notary's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Could not be parsed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// No signatures at all.
    #[error("tuf: data has no signatures")]
    NoSignatures {
        /// The role.
        role: String,
    },
    /// Fewer distinct valid signatures than the threshold.
    #[error("valid signatures did not meet threshold for {role}")]
    ThresholdNotMet {
        /// The role.
        role: String,
        /// The threshold.
        needed: u32,
        /// Distinct keys with a valid signature.
        valid: u32,
    },
    /// A signature names a role key whose content hashes to another ID.
    #[error("key ID is not valid for key content")]
    InvalidKeyId {
        /// The role.
        role: String,
        /// The ID listed.
        key_id: KeyId,
    },
    /// Expired at `expires`.
    #[error("{role} expired at {}", expires.to_go_date())]
    Expired {
        /// The role.
        role: String,
        /// When it expired.
        expires: Expires,
    },
    /// A version older than one already trusted (rollback).
    #[error("version {version} is lower than current version {current}")]
    LowVersion {
        /// The role.
        role: String,
        /// The version received.
        version: i64,
        /// The trusted minimum.
        current: i64,
    },
    /// Bytes do not match a recorded hash.
    #[error("{algorithm} checksum for {role} did not match: expected {expected}")]
    HashMismatch {
        /// The role.
        role: String,
        /// `sha256` or `sha512`.
        algorithm: &'static str,
        /// Expected digest, hex.
        expected: String,
    },
    /// No recognised hash recorded for the role.
    #[error("no checksums for supported algorithms were provided for {role}")]
    NoChecksums {
        /// The role.
        role: String,
    },
    /// Longer than the length recorded for it (a download limit, endless-data attack).
    #[error("{role} is larger than the {limit} bytes recorded for it")]
    TooLong {
        /// The role.
        role: String,
        /// The recorded length.
        limit: u64,
    },
    /// Structurally invalid for its role.
    #[error("{role} type metadata invalid: {reason}")]
    BadStructure {
        /// The role whose file it is (`root`, `targets`, `targets/releases`, …).
        role: String,
        /// What is wrong.
        reason: String,
    },
    /// No usable root certificate, pinning refused them all, or the root is not self-signed.
    #[error("could not validate the path to a trusted root: {reason}")]
    RootPinning {
        /// Why.
        reason: String,
    },
    /// The new root is not signed by the previous root's keys and threshold.
    #[error("could not rotate trust to a new trusted root: {reason}")]
    RootRotation {
        /// Why.
        reason: String,
    },
    /// A delegation that does not exist or cannot be used.
    #[error("tuf: invalid role {role}. {reason}")]
    InvalidRole {
        /// The role.
        role: String,
        /// Why.
        reason: String,
    },
    /// The role's metadata is needed but not loaded (programming order of an update).
    #[error("{role} must be loaded first")]
    NotLoaded {
        /// The role.
        role: String,
    },
}
