//! Token signing keys as docker/libtrust sees them (server-behaviour.md §9.2): ECDSA on P-256,
//! P-384 or P-521 (each with its one algorithm, ES256/ES384/ES512) and RSA (RS256/RS384/RS512),
//! their libtrust key IDs, and JSON Web Keys.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

/// A public key that may sign tokens, kept as DER SubjectPublicKeyInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SigningKey {
    spki: Vec<u8>,
    kind: KeyKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    P256,
    P384,
    P521,
    Rsa,
}

/// Why a key cannot be used, or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not an ECDSA (P-256/384/521) or RSA key: libtrust cannot represent it.
    #[error("unsupported public key type")]
    UnsupportedKey,
    /// `alg` is not one the key signs with.
    #[error("key cannot verify signature algorithm {alg:?}")]
    AlgorithmMismatch {
        /// The header's `alg`.
        alg: String,
    },
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// A `jwk` header that is not a usable public key.
    #[error("invalid JWK: {0}")]
    Jwk(&'static str),
}

/// The `x5c` member of a `jwk`, as libtrust reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JwkChain {
    /// No `x5c` array: the key must itself be a trusted root key.
    Absent,
    /// An array of non-empty strings.
    Certificates(Vec<String>),
    /// An array with a non-string or empty member.
    Malformed,
}

impl SigningKey {
    /// The key of a certificate (libtrust `FromCryptoPublicKey`).
    pub(crate) fn from_spki(spki: &[u8]) -> Result<SigningKey, KeyError> {
        let Ok((_, info)) = SubjectPublicKeyInfo::from_der(spki) else {
            return Err(KeyError::UnsupportedKey);
        };
        let kind = match info.algorithm.algorithm.to_id_string().as_str() {
            OID_RSA => KeyKind::Rsa,
            OID_EC => {
                let curve = info.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
                match curve.map(|c| c.to_id_string()).as_deref() {
                    Some(OID_P256) => KeyKind::P256,
                    Some(OID_P384) => KeyKind::P384,
                    Some(OID_P521) => KeyKind::P521,
                    _ => return Err(KeyError::UnsupportedKey),
                }
            }
            _ => return Err(KeyError::UnsupportedKey),
        };
        Ok(SigningKey {
            spki: spki.to_vec(),
            kind,
        })
    }

    /// A `jwk` header value (libtrust `UnmarshalPublicKeyJWK`): `kty` `EC` (`crv`, `x`, `y`) or
    /// `RSA` (`n`, `e`); a `kid` member, if present, must be the key's libtrust ID.
    pub(crate) fn from_jwk(jwk: &serde_json::Value) -> Result<(SigningKey, JwkChain), KeyError> {
        let member = |name: &'static str| jwk.get(name).and_then(|v| v.as_str()).ok_or(KeyError::Jwk(name));
        let spki = match member("kty")? {
            "EC" => {
                let (curve_oid, size) = match member("crv")? {
                    "P-256" => (DER_OID_P256, 32),
                    "P-384" => (DER_OID_P384, 48),
                    "P-521" => (DER_OID_P521, 66),
                    _ => return Err(KeyError::Jwk("crv")),
                };
                let x = coordinate(member("x")?, size).ok_or(KeyError::Jwk("x"))?;
                let y = coordinate(member("y")?, size).ok_or(KeyError::Jwk("y"))?;
                let mut point = vec![0x00, 0x04];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                der(
                    0x30,
                    &[der(0x30, &[DER_OID_EC, curve_oid].concat()), der(0x03, &point)].concat(),
                )
            }
            "RSA" => {
                let n = jose_decode(member("n")?)
                    .filter(|n| !n.is_empty())
                    .ok_or(KeyError::Jwk("n"))?;
                let e = jose_decode(member("e")?)
                    .filter(|e| !e.is_empty() && e.len() <= 4)
                    .ok_or(KeyError::Jwk("e"))?;
                let public = der(0x30, &[der_uint(&n), der_uint(&e)].concat());
                let mut bits = vec![0x00];
                bits.extend_from_slice(&public);
                der(
                    0x30,
                    &[der(0x30, &[DER_OID_RSA, DER_NULL].concat()), der(0x03, &bits)].concat(),
                )
            }
            _ => return Err(KeyError::Jwk("kty")),
        };
        let key = SigningKey::from_spki(&spki)?;
        if let Some(kid) = jwk.get("kid")
            && kid.as_str() != Some(key.key_id().as_str())
        {
            return Err(KeyError::Jwk("kid"));
        }
        let chain = match jwk.get("x5c").and_then(|v| v.as_array()) {
            None => JwkChain::Absent,
            Some(items) => items
                .iter()
                .map(|item| item.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map_or(JwkChain::Malformed, JwkChain::Certificates),
        };
        Ok((key, chain))
    }

    /// The libtrust key ID.
    pub(crate) fn key_id(&self) -> String {
        libtrust_key_id(&self.spki)
    }

    /// Verifies a JWS signature made with `alg` over `message` (libtrust `PublicKey.Verify`):
    /// an EC key accepts only its curve's algorithm and a fixed-size `r‖s`; RSA keys take
    /// PKCS#1 v1.5 with SHA-256/384/512 (2048 to 8192 bits).
    pub(crate) fn verify(&self, alg: &str, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let algorithm: &'static dyn VerificationAlgorithm = match (self.kind, alg) {
            (KeyKind::P256, "ES256") => &signature::ECDSA_P256_SHA256_FIXED,
            (KeyKind::P384, "ES384") => &signature::ECDSA_P384_SHA384_FIXED,
            (KeyKind::P521, "ES512") => &signature::ECDSA_P521_SHA512_FIXED,
            (KeyKind::Rsa, "RS256") => &signature::RSA_PKCS1_2048_8192_SHA256,
            (KeyKind::Rsa, "RS384") => &signature::RSA_PKCS1_2048_8192_SHA384,
            (KeyKind::Rsa, "RS512") => &signature::RSA_PKCS1_2048_8192_SHA512,
            _ => return Err(KeyError::AlgorithmMismatch { alg: alg.to_owned() }),
        };
        UnparsedPublicKey::new(algorithm, &self.spki)
            .verify(message, signature)
            .map_err(|_| KeyError::BadSignature)
    }
}

/// libtrust's key ID of a DER SubjectPublicKeyInfo: the first 30 bytes of its SHA-256 in base32
/// without padding, in 12 `:`-separated groups of 4 (`ABCD:EFGH:…`).
pub fn libtrust_key_id(spki: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki);
    let encoded = base32(&digest.as_ref()[..30]);
    let groups: Vec<&str> = encoded
        .as_bytes()
        .chunks(4)
        // base32 output is ASCII.
        .map(|group| std::str::from_utf8(group).unwrap_or_default())
        .collect();
    groups.join(":")
}

/// RFC 4648 base32 without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// An EC coordinate: base64url of at most `size` big-endian bytes, left-padded to `size`.
fn coordinate(text: &str, size: usize) -> Option<Vec<u8>> {
    let bytes = jose_decode(text)?;
    if bytes.len() > size {
        return None;
    }
    let mut out = vec![0u8; size - bytes.len()];
    out.extend_from_slice(&bytes);
    Some(out)
}

fn jose_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

/// One DER TLV.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER from unsigned big-endian bytes.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let start = bytes
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(bytes.len().saturating_sub(1));
    let bytes = &bytes[start..];
    let mut content = Vec::with_capacity(bytes.len() + 1);
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(bytes);
    der(0x02, &content)
}

const OID_EC: &str = "1.2.840.10045.2.1";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";

const DER_OID_EC: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const DER_OID_RSA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const DER_NULL: &[u8] = &[0x05, 0x00];
const DER_OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const DER_OID_P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const DER_OID_P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, RsaKeyPair};

    use super::*;
    use crate::token::base64url;

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn key_ids_have_twelve_groups_of_four() {
        let id = libtrust_key_id(b"anything");
        assert_eq!(id.len(), 12 * 4 + 11);
        assert!(id.split(':').all(|g| g.len() == 4));
    }

    /// EC JWKs are rebuilt into exactly the SPKI aws-lc exports, so key IDs agree.
    #[test]
    fn ec_jwk_gives_the_certificate_key() {
        for (alg, size, crv) in [
            (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, 32, "P-256"),
            (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, 48, "P-384"),
            (&signature::ECDSA_P521_SHA512_FIXED_SIGNING, 66, "P-521"),
        ] {
            let pair = EcdsaKeyPair::generate(alg).unwrap();
            let spki = pair.public_key().as_der().unwrap();
            let point = pair.public_key().as_ref();
            let jwk = serde_json::json!({
                "kty": "EC", "crv": crv,
                "x": base64url(&point[1..1 + size]), "y": base64url(&point[1 + size..]),
            });
            let (key, chain) = SigningKey::from_jwk(&jwk).unwrap();
            assert_eq!(key, SigningKey::from_spki(spki.as_ref()).unwrap(), "{crv}");
            assert_eq!(chain, JwkChain::Absent);
        }
    }

    #[test]
    fn rsa_jwk_gives_the_certificate_key() {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let spki = pair.public_key().as_der().unwrap();
        let public = pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        let mut jwk = serde_json::json!({"kty": "RSA", "n": base64url(&n), "e": base64url(&e)});
        let (key, _) = SigningKey::from_jwk(&jwk).unwrap();
        assert_eq!(key.spki, spki.as_ref());
        jwk["kid"] = key.key_id().into();
        jwk["x5c"] = serde_json::json!(["AAAA", 5]);
        assert_eq!(SigningKey::from_jwk(&jwk).unwrap().1, JwkChain::Malformed);
        jwk["kid"] = "AAAA:BBBB".into();
        assert_eq!(SigningKey::from_jwk(&jwk), Err(KeyError::Jwk("kid")));
    }

    #[test]
    fn algorithms_must_match_the_key() {
        let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let key = SigningKey::from_spki(pair.public_key().as_der().unwrap().as_ref()).unwrap();
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let sig = pair.sign(&rng, b"msg").unwrap();
        key.verify("ES256", b"msg", sig.as_ref()).unwrap();
        assert_eq!(key.verify("ES256", b"msh", sig.as_ref()), Err(KeyError::BadSignature));
        for alg in ["ES384", "RS256", "HS256", "none", ""] {
            assert!(matches!(
                key.verify(alg, b"msg", sig.as_ref()),
                Err(KeyError::AlgorithmMismatch { .. })
            ));
        }
        assert_eq!(SigningKey::from_spki(b"junk"), Err(KeyError::UnsupportedKey));
    }
}
