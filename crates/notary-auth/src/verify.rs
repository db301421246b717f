//! Token verification in Go's order (server-behaviour.md §9.2; docker/distribution
//! `token.Verify`): issuer, audience, expiry and not-before with leeway, a signature present, the
//! signing key trusted (`x5c` → `jwk` → `kid`), and finally the signature itself.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use notary_tuf::cert::{Certificate, ChainUsage, chains_to_anchor_for};
use time::{Duration, OffsetDateTime};

use crate::key::{JwkChain, KeyError, SigningKey};
use crate::token::Token;

/// The clock skew tolerated on `exp` and `nbf` (docker/distribution `token.Leeway`).
pub const LEEWAY: Duration = Duration::seconds(60);

/// The most certificates accepted in an `x5c` chain (Go has no limit; real chains have 1–3).
pub const MAX_X5C_CERTIFICATES: usize = 8;

/// The trust anchors of `auth.options.rootcertbundle`, and the libtrust IDs of their keys.
#[derive(Clone, Debug)]
pub struct TrustedRoots {
    certificates: Vec<Certificate>,
    keys: BTreeMap<String, SigningKey>,
}

/// Why a root certificate bundle is unusable; the messages are Go's (server-behaviour.md §9.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RootsError {
    /// A `CERTIFICATE` block that does not parse.
    #[error("unable to parse token auth root certificate: {0}")]
    Certificate(String),
    /// A certificate whose key libtrust cannot represent (not ECDSA P-256/384/521 or RSA).
    #[error("unable to get public key from token auth root certificate: {0}")]
    Key(KeyError),
    /// No `CERTIFICATE` block at all.
    #[error("token auth requires at least one token signing root certificate")]
    Empty,
}

impl TrustedRoots {
    /// Reads every `CERTIFICATE` block of a PEM bundle; other blocks are skipped, as Go does.
    pub fn from_pem(bundle: &[u8]) -> Result<TrustedRoots, RootsError> {
        let blocks = pem::parse_many(bundle).map_err(|e| RootsError::Certificate(e.to_string()))?;
        let mut certificates = Vec::new();
        let mut keys = BTreeMap::new();
        for block in blocks.iter().filter(|b| b.tag() == "CERTIFICATE") {
            let certificate =
                Certificate::from_der(block.contents()).map_err(|e| RootsError::Certificate(e.to_string()))?;
            let key = SigningKey::from_spki(certificate.spki_der()).map_err(RootsError::Key)?;
            keys.insert(key.key_id(), key);
            certificates.push(certificate);
        }
        if certificates.is_empty() {
            return Err(RootsError::Empty);
        }
        Ok(TrustedRoots { certificates, keys })
    }

    /// The certificates, in file order.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// Go's `parseAndVerifyCertChain`: the leaf (first) certificate must chain through the others
    /// to a root at `now`, for any extended key usage; its key is the signing key.
    fn verify_chain(&self, x5c: &[String], now: OffsetDateTime) -> Result<SigningKey, InvalidToken> {
        if x5c.len() > MAX_X5C_CERTIFICATES {
            return Err(InvalidToken::ChainTooLong);
        }
        let certificates = x5c
            .iter()
            .map(|text| {
                let der = STANDARD.decode(text).map_err(|_| InvalidToken::MalformedCertificate)?;
                Certificate::from_der(&der).map_err(|_| InvalidToken::MalformedCertificate)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let Some((leaf, intermediates)) = certificates.split_first() else {
            return Err(InvalidToken::MalformedCertificate);
        };
        let anchors: Vec<&Certificate> = self.certificates.iter().collect();
        if !chains_to_anchor_for(leaf, intermediates, &anchors, now, ChainUsage::AnyExtendedKeyUsage) {
            return Err(InvalidToken::UntrustedChain);
        }
        SigningKey::from_spki(leaf.spki_der()).map_err(InvalidToken::SigningKey)
    }
}

/// Checks tokens against `auth.options` (`issuer`, `service`, `rootcertbundle`).
#[derive(Clone, Debug)]
pub struct TokenVerifier {
    issuer: String,
    service: String,
    roots: TrustedRoots,
    leeway: Duration,
}

/// Why a well-formed token is refused (Go answers all of these with `invalid_token`). The texts
/// name what failed without echoing token contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidToken {
    /// `iss` is not the configured issuer.
    #[error("token from untrusted issuer")]
    Issuer,
    /// `aud` is not the configured service.
    #[error("token intended for another audience")]
    Audience,
    /// `exp` + leeway has passed.
    #[error("token expired")]
    Expired,
    /// `nbf` − leeway is still ahead.
    #[error("token not yet valid")]
    NotYetValid,
    /// An empty signature.
    #[error("token has no signature")]
    Unsigned,
    /// The header has none of `x5c`, `jwk`, `kid`.
    #[error("unable to get token signing key")]
    NoSigningKey,
    /// More `x5c` certificates than [`MAX_X5C_CERTIFICATES`].
    #[error("x5c chain longer than {MAX_X5C_CERTIFICATES} certificates")]
    ChainTooLong,
    /// An `x5c` member that is not base64 DER of a certificate.
    #[error("malformed x509 certificate chain")]
    MalformedCertificate,
    /// The chain does not lead to a root of the bundle.
    #[error("unable to verify certificate chain")]
    UntrustedChain,
    /// A `jwk` without a chain that is not a root key.
    #[error("untrusted JWK with no certificate chain")]
    UntrustedJwk,
    /// A `jwk` whose chain's leaf holds another key.
    #[error("leaf certificate public key ID does not match JWK key ID")]
    JwkMismatch,
    /// A `kid` that names no root key.
    #[error("token signed by untrusted key")]
    UntrustedKeyId,
    /// The signing key is unusable, or the signature does not verify.
    #[error("{0}")]
    SigningKey(KeyError),
}

impl TokenVerifier {
    /// A verifier with Go's 60 s leeway.
    pub fn new(issuer: impl Into<String>, service: impl Into<String>, roots: TrustedRoots) -> TokenVerifier {
        TokenVerifier {
            issuer: issuer.into(),
            service: service.into(),
            roots,
            leeway: LEEWAY,
        }
    }

    /// The configured service (the challenge's `service`).
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Go's `Token.Verify`, checks in its order.
    pub fn verify(&self, token: &Token, now: OffsetDateTime) -> Result<(), InvalidToken> {
        let claims = &token.claims;
        if claims.iss != self.issuer {
            return Err(InvalidToken::Issuer);
        }
        if claims.aud != self.service {
            return Err(InvalidToken::Audience);
        }
        // `time.Unix(exp, 0).Add(Leeway)`: compared in whole seconds plus now's fraction.
        if now > unix(claims.exp).saturating_add(self.leeway) {
            return Err(InvalidToken::Expired);
        }
        if now < unix(claims.nbf).saturating_sub(self.leeway) {
            return Err(InvalidToken::NotYetValid);
        }
        if token.signature().is_empty() {
            return Err(InvalidToken::Unsigned);
        }
        let key = self.signing_key(token, now)?;
        key.verify(&token.header.alg, token.signing_input(), token.signature())
            .map_err(InvalidToken::SigningKey)
    }

    /// Go's `VerifySigningKey`: `x5c`, else `jwk`, else `kid`.
    fn signing_key(&self, token: &Token, now: OffsetDateTime) -> Result<SigningKey, InvalidToken> {
        let header = &token.header;
        if !header.x5c.is_empty() {
            return self.roots.verify_chain(&header.x5c, now);
        }
        if let Some(jwk) = &header.jwk {
            let (key, chain) = SigningKey::from_jwk(jwk).map_err(InvalidToken::SigningKey)?;
            return match chain {
                JwkChain::Absent if self.roots.keys.contains_key(&key.key_id()) => Ok(key),
                JwkChain::Absent => Err(InvalidToken::UntrustedJwk),
                JwkChain::Malformed => Err(InvalidToken::MalformedCertificate),
                JwkChain::Certificates(x5c) => {
                    let leaf = self.roots.verify_chain(&x5c, now)?;
                    if leaf.key_id() != key.key_id() {
                        return Err(InvalidToken::JwkMismatch);
                    }
                    Ok(key)
                }
            };
        }
        if !header.kid.is_empty() {
            return self
                .roots
                .keys
                .get(&header.kid)
                .cloned()
                .ok_or(InvalidToken::UntrustedKeyId);
        }
        Err(InvalidToken::NoSigningKey)
    }
}

/// Unix seconds as a time, clamped to the representable range (hostile `exp`/`nbf` values).
fn unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(if seconds < 0 {
        OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT)
    } else {
        OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT)
    })
}
