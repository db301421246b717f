//! Public keys as they appear in metadata, their two kinds of ID, and signature verification
//! (`shared/spec/keys.md` §1–§3).

use std::fmt;

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cert::{self, CertChain};
use crate::error::SignatureError;

/// A key ID: lower-case hex SHA-256 (keys.md §2). Parsed from metadata as any string, because Go
/// accepts any map key and only fails when a signature names a key whose content does not match.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// Wraps text as a key ID without checking it (IDs from metadata are checked against content
    /// when they are used).
    pub fn new(id: impl Into<String>) -> Self {
        KeyId(id.into())
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 7 characters, as Go shows in prompts and tables.
    pub fn short(&self) -> &str {
        self.0.get(..7).unwrap_or(&self.0)
    }

    /// Whether this is 64 lower-case hex characters (what the CLI demands of user input).
    pub fn is_well_formed(&self) -> bool {
        self.0.len() == 64 && self.0.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    fn of_content(key_type: &str, public: &[u8]) -> KeyId {
        // CANON({"keytype":T,"keyval":{"private":null,"public":B64}}), keys.md §2.1.
        let mut canonical = Vec::with_capacity(64 + public.len() * 4 / 3);
        canonical.extend_from_slice(b"{\"keytype\":");
        notary_cjson::write_string(key_type, &mut canonical);
        canonical.extend_from_slice(b",\"keyval\":{\"private\":null,\"public\":\"");
        canonical.extend_from_slice(BASE64.encode(public).as_bytes());
        canonical.extend_from_slice(b"\"}}");
        KeyId(hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            &canonical,
        )))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `keytype` of a key. Unknown types are kept: they hash to an ID but never verify.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `ecdsa`: DER SubjectPublicKeyInfo of a P-256 key.
    Ecdsa,
    /// `ecdsa-x509`: PEM text of a certificate chain with an ECDSA leaf.
    EcdsaX509,
    /// `ed25519`: the raw 32-byte public key.
    Ed25519,
    /// `rsa`: DER SubjectPublicKeyInfo (or, for the pycrypto method, a PEM `PUBLIC KEY`).
    Rsa,
    /// `rsa-x509`: PEM text of a certificate chain with an RSA leaf.
    RsaX509,
    /// Any other `keytype`.
    Unknown(String),
}

impl KeyType {
    /// The `keytype` string.
    pub fn as_str(&self) -> &str {
        match self {
            KeyType::Ecdsa => "ecdsa",
            KeyType::EcdsaX509 => "ecdsa-x509",
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa => "rsa",
            KeyType::RsaX509 => "rsa-x509",
            KeyType::Unknown(s) => s,
        }
    }

    /// Whether `public` holds a PEM certificate chain.
    pub fn is_x509(&self) -> bool {
        matches!(self, KeyType::EcdsaX509 | KeyType::RsaX509)
    }

    fn parse(s: &str) -> KeyType {
        match s {
            "ecdsa" => KeyType::Ecdsa,
            "ecdsa-x509" => KeyType::EcdsaX509,
            "ed25519" => KeyType::Ed25519,
            "rsa" => KeyType::Rsa,
            "rsa-x509" => KeyType::RsaX509,
            other => KeyType::Unknown(other.to_owned()),
        }
    }
}

/// A signature `method` (keys.md §3), lower-cased on read as Go does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `ecdsa`: SHA-256, raw `r‖s`.
    Ecdsa,
    /// `eddsa`: pure Ed25519.
    Eddsa,
    /// `rsapss`: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32.
    RsaPss,
    /// `rsapkcs1v15`: verify only.
    RsaPkcs1v15,
    /// `pycrypto-pkcs#1 pss`: PSS over an `rsa` key whose `public` is PEM; verify only.
    PyCryptoPss,
    /// Anything else: never verifies.
    Unknown(String),
}

impl Method {
    /// Parses a method string, case-insensitively.
    pub fn parse(s: &str) -> Method {
        match s.to_ascii_lowercase().as_str() {
            "ecdsa" => Method::Ecdsa,
            "eddsa" => Method::Eddsa,
            "rsapss" => Method::RsaPss,
            "rsapkcs1v15" => Method::RsaPkcs1v15,
            "pycrypto-pkcs#1 pss" => Method::PyCryptoPss,
            other => Method::Unknown(other.to_owned()),
        }
    }

    /// The method string Go writes.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Ecdsa => "ecdsa",
            Method::Eddsa => "eddsa",
            Method::RsaPss => "rsapss",
            Method::RsaPkcs1v15 => "rsapkcs1v15",
            Method::PyCryptoPss => "pycrypto-pkcs#1 pss",
            Method::Unknown(s) => s,
        }
    }
}

/// A public key object `{"keytype":…,"keyval":{"private":null,"public":…}}`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    key_type: KeyType,
    public: Vec<u8>,
}

impl PublicKey {
    /// A key of `key_type` whose `public` bytes are `public` (DER SPKI, raw Ed25519, or PEM text).
    pub fn new(key_type: KeyType, public: Vec<u8>) -> Self {
        PublicKey { key_type, public }
    }

    /// The key type.
    pub fn key_type(&self) -> &KeyType {
        &self.key_type
    }

    /// The bytes inside `public` (before base64).
    pub fn public_bytes(&self) -> &[u8] {
        &self.public
    }

    /// The TUF key ID used in metadata (keys.md §2.1).
    pub fn key_id(&self) -> KeyId {
        KeyId::of_content(self.key_type.as_str(), &self.public)
    }

    /// The canonical key ID, used for key file names and by the CLI (keys.md §2.2): for
    /// certificate keys, the ID of the leaf certificate's bare public key.
    pub fn canonical_id(&self) -> Result<KeyId, SignatureError> {
        let Some(bare) = self.bare()? else {
            return Ok(self.key_id());
        };
        Ok(bare.key_id())
    }

    /// For a certificate key, the bare public key of its leaf (`ecdsa` / `rsa`); `None` otherwise.
    pub fn bare(&self) -> Result<Option<PublicKey>, SignatureError> {
        let bare_type = match self.key_type {
            KeyType::EcdsaX509 => KeyType::Ecdsa,
            KeyType::RsaX509 => KeyType::Rsa,
            _ => return Ok(None),
        };
        let chain = CertChain::parse_pem(&self.public).map_err(|_| SignatureError::BadKey {
            key_id: self.key_id(),
            reason: "public value is not a PEM certificate",
        })?;
        Ok(Some(PublicKey::new(bare_type, chain.first().spki_der().to_vec())))
    }

    /// Checks one signature over `message` (keys.md §3). The key's own type decides which
    /// algorithms are possible; `method` only selects among them and never overrides the type.
    pub fn verify(&self, method: &Method, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        let bad = || SignatureError::Invalid { key_id: self.key_id() };
        let spki;
        let (algorithm, key_bytes): (&'static dyn VerificationAlgorithm, &[u8]) = match (method, &self.key_type) {
            (Method::Ecdsa, KeyType::Ecdsa | KeyType::EcdsaX509) => {
                // Raw r‖s of a P-256 key: exactly 64 bytes, checked first as Go does.
                if signature.len() != 64 {
                    return Err(bad());
                }
                spki = self.spki()?;
                if !cert::is_p256_spki(&spki) {
                    return Err(SignatureError::BadKey {
                        key_id: self.key_id(),
                        reason: "only P-256 ECDSA keys are supported",
                    });
                }
                (&sig::ECDSA_P256_SHA256_FIXED, &spki)
            }
            (Method::Eddsa, KeyType::Ed25519) => {
                if self.public.len() != 32 {
                    return Err(SignatureError::BadKey {
                        key_id: self.key_id(),
                        reason: "ed25519 public key must be 32 bytes",
                    });
                }
                (&sig::ED25519, &self.public)
            }
            (Method::RsaPss | Method::RsaPkcs1v15, KeyType::Rsa | KeyType::RsaX509) => {
                spki = self.spki()?;
                self.check_rsa_size(&spki)?;
                let alg: &'static dyn VerificationAlgorithm = if *method == Method::RsaPss {
                    &sig::RSA_PSS_2048_8192_SHA256
                } else {
                    &sig::RSA_PKCS1_2048_8192_SHA256
                };
                (alg, &spki)
            }
            (Method::PyCryptoPss, KeyType::Rsa) => {
                let block = pem::parse(&self.public).map_err(|_| SignatureError::BadKey {
                    key_id: self.key_id(),
                    reason: "pycrypto key is not a PEM public key",
                })?;
                spki = block.into_contents();
                self.check_rsa_size(&spki)?;
                (&sig::RSA_PSS_2048_8192_SHA256, &spki)
            }
            _ => {
                return Err(SignatureError::MethodMismatch {
                    key_id: self.key_id(),
                    method: method.as_str().to_owned(),
                });
            }
        };
        UnparsedPublicKey::new(algorithm, key_bytes)
            .verify(message, signature)
            .map_err(|_| bad())
    }

    /// DER SubjectPublicKeyInfo of a plain or certificate key.
    fn spki(&self) -> Result<Vec<u8>, SignatureError> {
        match self.bare()? {
            Some(bare) => Ok(bare.public),
            None => Ok(self.public.clone()),
        }
    }

    fn check_rsa_size(&self, spki: &[u8]) -> Result<(), SignatureError> {
        match cert::rsa_modulus_bits(spki) {
            Some(bits) if bits >= 2048 => Ok(()),
            _ => Err(SignatureError::BadKey {
                key_id: self.key_id(),
                reason: "RSA key must be at least 2048 bits",
            }),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} {})", self.key_type.as_str(), self.key_id())
    }
}

#[derive(Serialize, Deserialize)]
struct KeyWire<'a> {
    keytype: std::borrow::Cow<'a, str>,
    keyval: KeyValWire,
}

#[derive(Serialize, Deserialize)]
struct KeyValWire {
    // Go writes `private` as null in every public key and never reads it back for verification.
    #[serde(default, skip_deserializing)]
    private: Option<()>,
    #[serde(with = "crate::metadata::base64_bytes")]
    public: Vec<u8>,
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        KeyWire {
            keytype: self.key_type.as_str().into(),
            keyval: KeyValWire {
                private: None,
                public: self.public.clone(),
            },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = KeyWire::deserialize(deserializer)?;
        Ok(PublicKey {
            key_type: KeyType::parse(&wire.keytype),
            public: wire.keyval.public,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_example_from_spec() {
        let public = BASE64
            .decode("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZewWuFIpJBh6kMwEqWJdZL59eLJ/2CZp4Y+YDvaw2XL7c+YiZ3GRueMl367eCO95R4y4zkmbplnFvqIuC6hwHA==")
            .unwrap();
        let key = PublicKey::new(KeyType::Ecdsa, public);
        assert_eq!(
            key.key_id().as_str(),
            "29b9477770f2ac12eaedb7c4127ad2a6290188f1633fc1f97feb6120e560c5dc"
        );
        assert_eq!(key.canonical_id().unwrap(), key.key_id());
    }

    #[test]
    fn key_json_shape() {
        let key = PublicKey::new(KeyType::Ed25519, vec![7; 32]);
        let value = serde_json::to_value(&key).unwrap();
        assert_eq!(
            notary_cjson::to_canonical(&value).unwrap(),
            br#"{"keytype":"ed25519","keyval":{"private":null,"public":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}}"#
        );
        let back: PublicKey = serde_json::from_value(value).unwrap();
        assert_eq!(back, key);
        let unknown: PublicKey =
            serde_json::from_str(r#"{"keyval":{"public":"AA==","private":"x"},"keytype":"weird"}"#).unwrap();
        assert_eq!(unknown.key_type(), &KeyType::Unknown("weird".into()));
    }

    #[test]
    fn methods_are_case_insensitive() {
        assert_eq!(Method::parse("ECDSA"), Method::Ecdsa);
        assert_eq!(Method::parse("EdDSA"), Method::Eddsa);
        assert_eq!(Method::parse("Pycrypto-PKCS#1 PSS"), Method::PyCryptoPss);
        assert_eq!(Method::parse("hmac"), Method::Unknown("hmac".into()));
    }

    #[test]
    fn method_never_overrides_key_type() {
        let key = PublicKey::new(KeyType::Ed25519, vec![0; 32]);
        assert!(matches!(
            key.verify(&Method::Ecdsa, b"m", &[0; 64]),
            Err(SignatureError::MethodMismatch { .. })
        ));
        let unknown = PublicKey::new(KeyType::Unknown("x".into()), vec![0; 32]);
        assert!(unknown.verify(&Method::Eddsa, b"m", &[0; 64]).is_err());
    }
}
