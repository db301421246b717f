//! The bearer token: a JWS-signed JWT in the shape distribution's "Token Authentication
//! Implementation" and server-behaviour.md §9.2 describe, signed with aws-lc-rs. No I/O: the
//! caller passes the time, the key and the chain.
//!
//! - header: `typ: JWT`, `alg` (`ES256` for a P-256 key, `RS256` for RSA) and `x5c`, the signing
//!   certificate first, then the rest of its chain, each standard base64 of the DER;
//! - claims: `iss`, `sub` (empty for anonymous), `aud` (the requested service, a single string:
//!   verifiers reject an array), `exp`, `nbf`, `iat` (Unix seconds), `jti` (128 random bits) and
//!   `access`.
//!
//! ES256 signatures are the fixed 64-byte `r‖s` of JWS (RFC 7518 §3.4), not DER.

use aws_lc_rs::rand::SecureRandom as _;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use notary_auth::{Claims, Header, ResourceActions};

/// How far back `nbf` and `iat` are set, so a verifier whose clock is slightly behind accepts
/// a fresh token.
pub const CLOCK_SKEW_SECONDS: i64 = 10;

/// A private key that signs tokens, with the certificate chain that vouches for it.
pub struct SigningKey {
    key: KeyKind,
    /// DER certificates, the one for `key` first.
    chain: Vec<Vec<u8>>,
}

enum KeyKind {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// Why a key or chain cannot sign tokens. Messages never include key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not PEM, or no private key block.
    #[error("no PEM private key found (expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)")]
    NoKey,
    /// A key block that is not a P-256 ECDSA or an RSA key aws-lc accepts.
    #[error("unsupported private key: only ECDSA P-256 (ES256) and RSA 2048-8192 (RS256) keys can sign tokens")]
    Unsupported,
    /// The certificate file holds no certificate.
    #[error("no PEM CERTIFICATE found")]
    NoCertificate,
    /// The first certificate cannot be parsed.
    #[error("the signing certificate cannot be parsed: {0}")]
    BadCertificate(String),
    /// The first certificate is for another key.
    #[error("the first certificate does not belong to the signing key")]
    CertificateMismatch,
    /// The first certificate is not valid now.
    #[error("the signing certificate is not valid at this time (valid {not_before} to {not_after})")]
    CertificateNotValidNow {
        /// Start of validity.
        not_before: String,
        /// End of validity.
        not_after: String,
    },
    /// aws-lc refused to sign or produce randomness.
    #[error("signing failed")]
    SigningFailed,
}

/// The claims of a token issued at `now` (Unix seconds) that lives `lifetime_seconds`;
/// `nbf`/`iat` are set [`CLOCK_SKEW_SECONDS`] back.
pub fn claims(
    issuer: &str,
    subject: &str,
    audience: &str,
    access: Vec<ResourceActions>,
    now: i64,
    lifetime_seconds: i64,
    jti: String,
) -> Claims {
    Claims {
        iss: issuer.to_owned(),
        sub: subject.to_owned(),
        aud: audience.to_owned(),
        exp: now + lifetime_seconds,
        nbf: now - CLOCK_SKEW_SECONDS,
        iat: now - CLOCK_SKEW_SECONDS,
        jti,
        access,
    }
}

impl SigningKey {
    /// A key from its PEM (`PRIVATE KEY` PKCS#8, `EC PRIVATE KEY` SEC1 or `RSA PRIVATE KEY`
    /// PKCS#1) and its certificate chain PEM (signing certificate first), checked to belong
    /// together and to be valid at `now` (Unix seconds).
    pub fn from_pem(key_pem: &[u8], chain_pem: &[u8], now: i64) -> Result<SigningKey, KeyError> {
        let key = parse_key(key_pem)?;
        let chain: Vec<Vec<u8>> = pem::parse_many(chain_pem)
            .map_err(|_| KeyError::NoCertificate)?
            .into_iter()
            .filter(|p| p.tag() == "CERTIFICATE")
            .map(pem::Pem::into_contents)
            .collect();
        let leaf = chain.first().ok_or(KeyError::NoCertificate)?;
        check_leaf(leaf, &key, now)?;
        Ok(SigningKey { key, chain })
    }

    /// The JWS `alg` this key signs with.
    pub fn algorithm(&self) -> &'static str {
        match self.key {
            KeyKind::Ec(_) => "ES256",
            KeyKind::Rsa(_) => "RS256",
        }
    }

    /// The signed token: `base64url(header).base64url(claims).base64url(signature)`.
    pub fn sign(&self, claims: &Claims) -> Result<String, KeyError> {
        let header = Header {
            typ: "JWT".into(),
            alg: self.algorithm().into(),
            x5c: self.chain.iter().map(|der| STANDARD.encode(der)).collect(),
            ..Header::default()
        };
        notary_auth::encode(&header, claims, |signing_input| {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            match &self.key {
                KeyKind::Ec(key) => key
                    .sign(&rng, signing_input)
                    .map(|signature| signature.as_ref().to_vec())
                    .map_err(|_| KeyError::SigningFailed),
                KeyKind::Rsa(key) => {
                    let mut signature = vec![0u8; key.public_modulus_len()];
                    key.sign(&signature::RSA_PKCS1_SHA256, &rng, signing_input, &mut signature)
                        .map_err(|_| KeyError::SigningFailed)?;
                    Ok(signature)
                }
            }
        })
    }
}

/// A fresh token id: 128 random bits, hex.
pub fn random_jti() -> Result<String, KeyError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| KeyError::SigningFailed)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn parse_key(key_pem: &[u8]) -> Result<KeyKind, KeyError> {
    let blocks = pem::parse_many(key_pem).map_err(|_| KeyError::NoKey)?;
    let block = blocks
        .iter()
        .find(|p| p.tag().ends_with("PRIVATE KEY"))
        .ok_or(KeyError::NoKey)?;
    let der = block.contents();
    match block.tag() {
        "PRIVATE KEY" => {
            if let Ok(key) = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der) {
                return Ok(KeyKind::Ec(key));
            }
            RsaKeyPair::from_pkcs8(der)
                .map(KeyKind::Rsa)
                .map_err(|_| KeyError::Unsupported)
        }
        "EC PRIVATE KEY" => EcdsaKeyPair::from_private_key_der(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map(KeyKind::Ec)
            .map_err(|_| KeyError::Unsupported),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(der)
            .map(KeyKind::Rsa)
            .map_err(|_| KeyError::Unsupported),
        _ => Err(KeyError::Unsupported),
    }
}

/// The leaf certificate must carry the key's public key and be valid at `now`.
fn check_leaf(leaf: &[u8], key: &KeyKind, now: i64) -> Result<(), KeyError> {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).map_err(|e| KeyError::BadCertificate(e.to_string()))?;
    let cert_key = cert.public_key().subject_public_key.data.as_ref();
    let own_key = match key {
        KeyKind::Ec(k) => k.public_key().as_ref(),
        KeyKind::Rsa(k) => k.public_key().as_ref(),
    };
    if cert_key != own_key {
        return Err(KeyError::CertificateMismatch);
    }
    let validity = cert.validity();
    if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
        return Err(KeyError::CertificateNotValidNow {
            not_before: validity.not_before.to_string(),
            not_after: validity.not_after.to_string(),
        });
    }
    Ok(())
}
