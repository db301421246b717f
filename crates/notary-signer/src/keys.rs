//! Private keys at rest, readable and writable by Go's notary-signer (`shared/spec/signer.md` §6.3,
//! §6.4).
//!
//! Every key row's `private` column holds a JWE compact serialization
//! `header.encrypted_key.iv.ciphertext.tag` (base64url without padding):
//! - protected header `{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":…,"p2s":"…"}`, members in
//!   exactly that order;
//! - key wrapping: PBKDF2-HMAC-SHA-256 of the alias passphrase with salt
//!   `PBES2-HS256+A128KW` ‖ 0x00 ‖ p2s and `p2c` iterations gives a 16-byte key, which wraps a random
//!   32-byte content key with AES key wrap (RFC 3394);
//! - content encryption: AES-256-GCM, 12-byte IV, 16-byte tag, additional authenticated data = the
//!   ASCII of the header segment;
//! - plaintext: `ecdsa` — the SEC 1 `ECPrivateKey` DER of the P-256 key with its named curve and
//!   public key (121 bytes); `ed25519` — 96 bytes, public key ‖ seed ‖ public key; `rsa` — the
//!   PKCS#1 `RSAPrivateKey` DER (our extension: Go's signer never creates or stores RSA keys, so
//!   there is no Go format to follow, and Go's signer cannot use such a row).
//!
//! [`seal`] writes [`PBKDF2_ITERATIONS`] (not Go's 8192) and a 12-byte p2s; [`open`] accepts any
//! `p2c` up to [`MAX_PBKDF2_ITERATIONS`] and any non-empty p2s up to [`MAX_SALT_LEN`] bytes, so it
//! reads the rows Go writes, and Go reads ours.
//!
//! Passphrases are named by an alias (the row's `passphrase_alias`) and come from the environment
//! variable [`alias_env_var`]`(alias)`, read at each use as Go does ([`Passphrases`]).
//!
//! No I/O apart from that environment lookup and the system RNG. Errors and `Debug` output never
//! contain key material or passphrases.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::encoding::{AsBigEndian as _, AsDer as _};
use aws_lc_rs::key_wrap::{AES_128, AesKek, KeyWrap as _};
use aws_lc_rs::pbkdf2;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use notary_tuf::sign::PrivateKey;
use notary_tuf::{KeyId, PublicKey};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// The key types the signer creates and stores: Go's `ecdsa` and `ed25519` (signer.md §4.1), and,
/// beyond Go, `rsa` (Go's signer refuses it, which makes `trust_service.key_algorithm: rsa` in
/// notary-server's configuration fail every key creation, signer.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256.
    Ecdsa,
    /// Ed25519.
    Ed25519,
    /// RSA with a [`RSA_KEY_BITS`]-bit modulus, signing with method `rsapss` (RSASSA-PSS, SHA-256,
    /// MGF1-SHA-256, salt length 32; keys.md §3). Not in Go.
    Rsa,
}

/// A private key the signer holds: its algorithm and the signing key.
///
/// `Debug` shows the algorithm and key ID only, never key material.
pub struct KeyMaterial {
    algorithm: KeyAlgorithm,
    key: PrivateKey,
}

/// Looks up alias passphrases in the environment: alias `A` → variable [`alias_env_var`]`(A)`.
///
/// The variable is read at each call, not cached, as Go does (signer.md §6.4), so an operator can
/// add an alias's variable without a restart only where the process environment allows it; tests
/// inject their own lookup with [`Passphrases::from_lookup`]. Cloning is cheap.
#[derive(Clone)]
pub struct Passphrases {
    lookup: Arc<EnvLookup>,
}

/// Maps an environment variable name to its value.
type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The passphrase of one alias. `Debug` does not show it, and it is zeroed when dropped.
pub struct Passphrase(Zeroizing<String>);

/// Why a key could not be generated, sealed or opened. Messages never contain key material or
/// passphrases.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// An algorithm other than `ecdsa`, `ed25519` or `rsa` (compared exactly, as Go does).
    #[error("key algorithm {algorithm:?} is not supported: must be ecdsa, ed25519 or rsa")]
    UnsupportedAlgorithm {
        /// The algorithm as given.
        algorithm: String,
    },
    /// The alias's passphrase variable is unset or empty (§6.4).
    #[error("the passphrase for alias {alias} is not set: export {variable}")]
    PassphraseNotSet {
        /// The alias.
        alias: String,
        /// The environment variable that holds its passphrase.
        variable: String,
    },
    /// An empty passphrase was given; Go never seals or opens with one.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// The sealed key is not a JWE of the shape signer.md §6.3 describes.
    #[error("malformed sealed key: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The header asks for more PBKDF2 iterations than we are willing to compute: a hostile or
    /// corrupt row, refused before burning CPU on it.
    #[error("the sealed key asks for {p2c} PBKDF2 iterations, more than the {max} allowed")]
    TooManyIterations {
        /// The header's `p2c`.
        p2c: u64,
        /// [`MAX_PBKDF2_ITERATIONS`].
        max: u32,
    },
    /// The content key did not unwrap: the passphrase is wrong, or the header's `p2c`/`p2s` or the
    /// encrypted key were altered.
    #[error("cannot unwrap the content key: wrong passphrase, or the sealed key was altered")]
    WrongPassphrase,
    /// AES-GCM authentication failed: the header, IV, ciphertext or tag were altered.
    #[error("the sealed key failed authentication: it was altered or is corrupt")]
    Tampered,
    /// The decrypted plaintext is not a key of the expected algorithm.
    #[error("the decrypted {algorithm} key is invalid: {reason}")]
    InvalidKey {
        /// The algorithm the row names.
        algorithm: KeyAlgorithm,
        /// What is wrong.
        reason: &'static str,
    },
    /// The decrypted key's public key differs from the one it is stored with.
    #[error("the decrypted key does not match its stored public key")]
    PublicKeyMismatch,
    /// The crypto library or the system RNG failed.
    #[error("cryptographic operation failed: {operation}")]
    Crypto {
        /// What was being done.
        operation: &'static str,
    },
}

impl KeyAlgorithm {
    /// The name used on the wire, in `private_keys.algorithm` and as TUF `keytype`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Ecdsa => "ecdsa",
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Rsa => "rsa",
        }
    }
}

impl FromStr for KeyAlgorithm {
    type Err = KeyError;

    /// `ecdsa`, `ed25519` or `rsa`, case-sensitive (Go refuses `ECDSA` and `ecdsa-x509`, §4.1; it
    /// refuses `rsa` too, which we accept).
    fn from_str(s: &str) -> Result<KeyAlgorithm, KeyError> {
        match s {
            "ecdsa" => Ok(KeyAlgorithm::Ecdsa),
            "ed25519" => Ok(KeyAlgorithm::Ed25519),
            "rsa" => Ok(KeyAlgorithm::Rsa),
            other => Err(KeyError::UnsupportedAlgorithm {
                algorithm: other.to_owned(),
            }),
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl KeyMaterial {
    /// The key type.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The signing key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// Gives up the wrapper, keeping the signing key.
    pub fn into_private_key(self) -> PrivateKey {
        self.key
    }

    /// The public key in TUF form (`keytype` + `keyval.public`).
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// The raw public key bytes, as in `private_keys.public` and the gRPC `publicKey` field: the
    /// 91-byte DER SubjectPublicKeyInfo for `ecdsa`, the 32-byte key for `ed25519` (§7), the DER
    /// SubjectPublicKeyInfo (`rsaEncryption`, 294 bytes for 2048 bits) for `rsa` (keys.md §1).
    pub fn public_bytes(&self) -> Vec<u8> {
        self.public_key().public_bytes().to_vec()
    }

    /// The TUF key ID (§7).
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// The plaintext that gets sealed (§6.3). Secret.
    fn plaintext(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        match &self.key {
            PrivateKey::Ecdsa(pair) => {
                let scalar = pair.private_key().as_be_bytes().map_err(|_| KeyError::Crypto {
                    operation: "exporting the ECDSA private scalar",
                })?;
                let point = pair.public_key().as_ref();
                if scalar.as_ref().len() != P256_SCALAR_LEN || point.len() != P256_POINT_LEN {
                    return Err(KeyError::Crypto {
                        operation: "exporting the ECDSA key",
                    });
                }
                let mut der = Zeroizing::new(Vec::with_capacity(SEC1_P256_LEN));
                der.extend_from_slice(&SEC1_P256_HEAD);
                der.extend_from_slice(scalar.as_ref());
                der.extend_from_slice(&SEC1_P256_MIDDLE);
                der.extend_from_slice(point);
                Ok(der)
            }
            PrivateKey::Ed25519(pair) => {
                let seed = pair
                    .seed()
                    .and_then(|seed| seed.as_be_bytes())
                    .map_err(|_| KeyError::Crypto {
                        operation: "exporting the Ed25519 seed",
                    })?;
                let public = pair.public_key().as_ref();
                let mut raw = Zeroizing::new(Vec::with_capacity(ED25519_PLAINTEXT_LEN));
                raw.extend_from_slice(public);
                raw.extend_from_slice(seed.as_ref());
                raw.extend_from_slice(public);
                Ok(raw)
            }
            PrivateKey::Rsa(pair) => {
                // aws-lc exports only PKCS#8; the PKCS#1 key is its `privateKey` OCTET STRING.
                let export_failed = KeyError::Crypto {
                    operation: "exporting the RSA key",
                };
                let pkcs8 = pair.as_der().map_err(|_| export_failed.clone())?;
                let pkcs1 = pkcs1_in_pkcs8(pkcs8.as_ref()).ok_or(export_failed)?;
                Ok(Zeroizing::new(pkcs1.to_vec()))
            }
        }
    }

    /// Parses a decrypted plaintext as Go's `data.NewPrivateKey` does for the row's algorithm.
    fn from_plaintext(algorithm: KeyAlgorithm, plaintext: &[u8]) -> Result<KeyMaterial, KeyError> {
        let key = match algorithm {
            KeyAlgorithm::Ecdsa => notary_keys::pkcs8::decode_sec1(plaintext).map_err(|_| KeyError::InvalidKey {
                algorithm,
                reason: "not a P-256 SEC 1 ECPrivateKey",
            })?,
            KeyAlgorithm::Ed25519 => {
                notary_keys::pkcs8::decode_ed25519_raw(plaintext).map_err(|_| KeyError::InvalidKey {
                    algorithm,
                    reason: "not 96 bytes of public key, seed and public key",
                })?
            }
            KeyAlgorithm::Rsa => PrivateKey::rsa_from_pkcs1(plaintext).map_err(|_| KeyError::InvalidKey {
                algorithm,
                reason: "not a PKCS#1 RSAPrivateKey of 2048 to 8192 bits",
            })?,
        };
        Ok(KeyMaterial { algorithm, key })
    }
}

impl From<KeyMaterial> for PrivateKey {
    fn from(material: KeyMaterial) -> PrivateKey {
        material.key
    }
}

impl TryFrom<PrivateKey> for KeyMaterial {
    type Error = KeyError;

    /// Any key: ECDSA, Ed25519 and RSA (the last beyond Go, see [`KeyAlgorithm::Rsa`]).
    fn try_from(key: PrivateKey) -> Result<KeyMaterial, KeyError> {
        let algorithm = match key {
            PrivateKey::Ecdsa(_) => KeyAlgorithm::Ecdsa,
            PrivateKey::Ed25519(_) => KeyAlgorithm::Ed25519,
            PrivateKey::Rsa(_) => KeyAlgorithm::Rsa,
        };
        Ok(KeyMaterial { algorithm, key })
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyMaterial({} {})", self.algorithm, self.key_id())
    }
}

impl Passphrases {
    /// Reads passphrases from this process's environment.
    pub fn from_process_env() -> Passphrases {
        Passphrases::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads passphrases through `lookup`, which maps a variable name to its value (`None`, or an
    /// empty value, means unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Passphrases {
        Passphrases {
            lookup: Arc::new(lookup),
        }
    }

    /// The passphrase of `alias`, read now from [`alias_env_var`]`(alias)`; unset or empty is
    /// [`KeyError::PassphraseNotSet`].
    pub fn passphrase(&self, alias: &str) -> Result<Passphrase, KeyError> {
        let variable = alias_env_var(alias);
        match (self.lookup)(&variable).map(Zeroizing::new) {
            Some(value) if !value.is_empty() => Ok(Passphrase(value)),
            _ => Err(KeyError::PassphraseNotSet {
                alias: alias.to_owned(),
                variable,
            }),
        }
    }
}

impl fmt::Debug for Passphrases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrases(..)")
    }
}

impl AsRef<[u8]> for Passphrase {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

/// The environment variable holding the passphrase of `alias` (signer.md §6.4): `NOTARY_SIGNER_`
/// + the alias upper-cased, with `.` replaced by `_` (viper's key-to-variable mapping).
pub fn alias_env_var(alias: &str) -> String {
    format!("{ENV_PREFIX}{}", alias.to_uppercase().replace('.', "_"))
}

/// A fresh key from the system's secure RNG (RSA: [`RSA_KEY_BITS`] bits).
pub fn generate(algorithm: KeyAlgorithm) -> Result<KeyMaterial, KeyError> {
    let key = match algorithm {
        KeyAlgorithm::Ecdsa => PrivateKey::generate_ecdsa().ok(),
        KeyAlgorithm::Ed25519 => PrivateKey::generate_ed25519().ok(),
        KeyAlgorithm::Rsa => RsaKeyPair::generate(RSA_KEY_SIZE).ok().map(PrivateKey::Rsa),
    }
    .ok_or(KeyError::Crypto {
        operation: "generating a key",
    })?;
    Ok(KeyMaterial { algorithm, key })
}

/// Seals `key` under `passphrase` into the JWE text stored in `private_keys.private` (§6.3), with
/// [`PBKDF2_ITERATIONS`] iterations and a fresh random salt, content key and IV.
pub fn seal(key: &KeyMaterial, passphrase: impl AsRef<[u8]>) -> Result<String, KeyError> {
    let plaintext = key.plaintext()?;
    let mut p2s = [0u8; SALT_LEN];
    let mut cek = Zeroizing::new([0u8; CEK_LEN]);
    let mut iv = [0u8; IV_LEN];
    for buf in [&mut p2s[..], &mut cek[..], &mut iv[..]] {
        aws_lc_rs::rand::fill(buf).map_err(|_| KeyError::Crypto {
            operation: "drawing random bytes",
        })?;
    }
    let p2c = NonZeroU32::new(PBKDF2_ITERATIONS).ok_or(KeyError::Crypto {
        operation: "choosing the iteration count",
    })?;
    seal_with(&plaintext, passphrase.as_ref(), p2c, &p2s, &cek, &iv)
}

/// Opens a sealed key (§6.3) with `passphrase` and parses it as an `algorithm` key (the row's
/// `algorithm` column). When `expected_public` is given (the row's `public` column), the decrypted
/// key's public key must be exactly those bytes.
///
/// # Security
///
/// The header is untrusted: `p2c` above [`MAX_PBKDF2_ITERATIONS`], a salt above [`MAX_SALT_LEN`]
/// bytes and texts above 64 KiB are refused before any key derivation. Other header members are
/// ignored, as Go does, except `zip` and `crit`, which are refused.
pub fn open(
    jwe: &str,
    algorithm: KeyAlgorithm,
    passphrase: impl AsRef<[u8]>,
    expected_public: Option<&[u8]>,
) -> Result<KeyMaterial, KeyError> {
    let passphrase = passphrase.as_ref();
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    if jwe.len() > MAX_JWE_LEN {
        return Err(KeyError::Malformed {
            reason: "longer than 64 KiB",
        });
    }
    let segments: Vec<&str> = jwe.trim().split('.').collect();
    let [header_segment, encrypted_key, iv, ciphertext, tag] = segments[..] else {
        return Err(KeyError::Malformed {
            reason: "a JWE compact serialization has five segments",
        });
    };
    let header_json = decode_segment(header_segment, "the header is not base64url")?;
    let header = Header::parse(&header_json)?;
    // Go's JWE library authenticates the header re-encoded without padding, not as written.
    let aad = BASE64URL.encode(&header_json);
    let encrypted_key = decode_segment(encrypted_key, "the encrypted key is not base64url")?;
    if encrypted_key.len() != CEK_LEN + KEY_WRAP_OVERHEAD {
        return Err(KeyError::Malformed {
            reason: "the encrypted key is not a wrapped 32-byte key",
        });
    }
    let iv = decode_segment(iv, "the IV is not base64url")?;
    let nonce = Nonce::try_assume_unique_for_key(&iv).map_err(|_| KeyError::Malformed {
        reason: "the IV is not 12 bytes",
    })?;
    let tag = decode_segment(tag, "the tag is not base64url")?;
    if tag.len() != TAG_LEN {
        return Err(KeyError::Malformed {
            reason: "the tag is not 16 bytes",
        });
    }
    let mut buffer = Zeroizing::new(decode_segment(ciphertext, "the ciphertext is not base64url")?);

    let kek = derive_kek(passphrase, &header.p2s, header.p2c);
    let mut cek = Zeroizing::new([0u8; CEK_LEN]);
    AesKek::new(&AES_128, &kek[..])
        .and_then(|kek| kek.unwrap(&encrypted_key, &mut cek[..]).map(|_| ()))
        .map_err(|_| KeyError::WrongPassphrase)?;
    let content_key = aes_256_gcm(&cek)?;
    let plaintext = content_key
        .open_in_place_separate_tag(nonce, Aad::from(aad.as_bytes()), &tag, &mut buffer[..])
        .map_err(|_| KeyError::Tampered)?;

    let material = KeyMaterial::from_plaintext(algorithm, plaintext)?;
    if let Some(expected) = expected_public
        && material.public_bytes() != expected
    {
        return Err(KeyError::PublicKeyMismatch);
    }
    Ok(material)
}

/// The JWE for `plaintext` with every random input given.
fn seal_with(
    plaintext: &[u8],
    passphrase: &[u8],
    p2c: NonZeroU32,
    p2s: &[u8],
    cek: &[u8; CEK_LEN],
    iv: &[u8; IV_LEN],
) -> Result<String, KeyError> {
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    // Go's member order (§6.3); every value is ASCII without characters JSON would escape.
    let header = format!(
        r#"{{"alg":"{KEYWRAP_ALG}","enc":"{ENCRYPTION_ALG}","p2c":{p2c},"p2s":"{}"}}"#,
        BASE64URL.encode(p2s)
    );
    let header_segment = BASE64URL.encode(header.as_bytes());

    let kek = derive_kek(passphrase, p2s, p2c);
    let mut encrypted_key = [0u8; CEK_LEN + KEY_WRAP_OVERHEAD];
    AesKek::new(&AES_128, &kek[..])
        .and_then(|kek| kek.wrap(&cek[..], &mut encrypted_key).map(|_| ()))
        .map_err(|_| KeyError::Crypto {
            operation: "wrapping the content key",
        })?;
    let mut ciphertext = plaintext.to_vec();
    let tag = aes_256_gcm(cek)?
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(*iv),
            Aad::from(header_segment.as_bytes()),
            &mut ciphertext,
        )
        .map_err(|_| KeyError::Crypto {
            operation: "encrypting the key",
        })?;

    Ok([
        header_segment,
        BASE64URL.encode(encrypted_key),
        BASE64URL.encode(iv),
        BASE64URL.encode(&ciphertext),
        BASE64URL.encode(tag.as_ref()),
    ]
    .join("."))
}

/// The protected header members that matter, checked.
#[derive(Debug)]
struct Header {
    p2c: NonZeroU32,
    p2s: Vec<u8>,
}

impl Header {
    fn parse(json: &[u8]) -> Result<Header, KeyError> {
        let Ok(members) = serde_json::from_slice::<Map<String, Value>>(json) else {
            return Err(KeyError::Malformed {
                reason: "the header is not a JSON object",
            });
        };
        if members.get("alg").and_then(Value::as_str) != Some(KEYWRAP_ALG) {
            return Err(KeyError::Malformed {
                reason: "the header's alg is not PBES2-HS256+A128KW",
            });
        }
        if members.get("enc").and_then(Value::as_str) != Some(ENCRYPTION_ALG) {
            return Err(KeyError::Malformed {
                reason: "the header's enc is not A256GCM",
            });
        }
        if members.contains_key("zip") {
            return Err(KeyError::Malformed {
                reason: "compressed keys are not supported",
            });
        }
        if members.contains_key("crit") {
            return Err(KeyError::Malformed {
                reason: "critical header extensions are not supported",
            });
        }
        let Some(p2c) = members.get("p2c").and_then(Value::as_u64).filter(|&n| n > 0) else {
            return Err(KeyError::Malformed {
                reason: "the header's p2c is not a positive integer",
            });
        };
        let p2c = u32::try_from(p2c)
            .ok()
            .filter(|&n| n <= MAX_PBKDF2_ITERATIONS)
            .and_then(NonZeroU32::new)
            .ok_or(KeyError::TooManyIterations {
                p2c,
                max: MAX_PBKDF2_ITERATIONS,
            })?;
        let Some(p2s) = members.get("p2s").and_then(Value::as_str) else {
            return Err(KeyError::Malformed {
                reason: "the header has no p2s",
            });
        };
        // Checked on the text first, so a huge salt is never decoded.
        if p2s.is_empty() || p2s.len() > MAX_SALT_LEN.div_ceil(3) * 4 {
            return Err(KeyError::Malformed {
                reason: "the header's p2s must be 1 to 256 bytes",
            });
        }
        let p2s = decode_segment(p2s, "the header's p2s is not base64url")?;
        if p2s.is_empty() || p2s.len() > MAX_SALT_LEN {
            return Err(KeyError::Malformed {
                reason: "the header's p2s must be 1 to 256 bytes",
            });
        }
        Ok(Header { p2c, p2s })
    }
}

/// PBES2 key derivation (RFC 7518 §4.8.1.1): PBKDF2-HMAC-SHA-256 with salt = alg ‖ 0x00 ‖ p2s.
fn derive_kek(passphrase: &[u8], p2s: &[u8], p2c: NonZeroU32) -> Zeroizing<[u8; KEK_LEN]> {
    let mut salt = Vec::with_capacity(KEYWRAP_ALG.len() + 1 + p2s.len());
    salt.extend_from_slice(KEYWRAP_ALG.as_bytes());
    salt.push(0);
    salt.extend_from_slice(p2s);
    let mut kek = Zeroizing::new([0u8; KEK_LEN]);
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, p2c, &salt, passphrase, &mut kek[..]);
    kek
}

fn aes_256_gcm(cek: &[u8; CEK_LEN]) -> Result<LessSafeKey, KeyError> {
    UnboundKey::new(&AES_256_GCM, cek)
        .map(LessSafeKey::new)
        .map_err(|_| KeyError::Crypto {
            operation: "setting up AES-256-GCM",
        })
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo`
/// (`SEQUENCE { INTEGER version, SEQUENCE algorithm, OCTET STRING privateKey, … }`).
fn pkcs1_in_pkcs8(der: &[u8]) -> Option<&[u8]> {
    let (info, _) = der_element(der, DER_SEQUENCE)?;
    let (_version, rest) = der_element(info, DER_INTEGER)?;
    let (_algorithm, rest) = der_element(rest, DER_SEQUENCE)?;
    let (private_key, _attributes) = der_element(rest, DER_OCTET_STRING)?;
    Some(private_key)
}

/// The contents of the DER element with tag `tag` at the start of `der`, and what follows it.
fn der_element(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = der.split_first()?;
    if first != tag {
        return None;
    }
    let (&length, rest) = rest.split_first()?;
    let (length, rest) = if length < 0x80 {
        (usize::from(length), rest)
    } else {
        let (octets, rest) = rest.split_at_checked(usize::from(length & 0x7f))?;
        if octets.is_empty() || octets.len() > 4 {
            return None;
        }
        let length = octets.iter().fold(0usize, |n, &octet| (n << 8) | usize::from(octet));
        (length, rest)
    };
    rest.split_at_checked(length)
}

/// A base64url segment as Go's JWE library reads it: padding optional.
fn decode_segment(segment: &str, reason: &'static str) -> Result<Vec<u8>, KeyError> {
    BASE64URL.decode(segment).map_err(|_| KeyError::Malformed { reason })
}

/// PBKDF2 iterations [`seal`] writes (`p2c`).
///
/// Go's signer writes 8192, a cost chosen in 2016 that no longer slows down a guessing attack on a
/// stolen database much; 600,000 is the current OWASP recommendation for PBKDF2-HMAC-SHA-256. Go's
/// JWE reader takes `p2c` from the header, so the Go signer still reads our rows. The cost is paid
/// once per seal and per open; the service caches opened keys, as Go does.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// Most PBKDF2 iterations [`open`] computes: a header asking for more is refused rather than
/// letting a hostile row burn seconds of CPU per request.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Longest `p2s` salt [`open`] accepts, in bytes ([`seal`] writes 12, as Go does).
pub const MAX_SALT_LEN: usize = 256;
/// Modulus size of the RSA keys [`generate`] makes.
///
/// 2048 bits: the smallest size Go's verifiers accept (keys.md §3) and the usual size for keys
/// that sign timestamps and snapshots. 4096 bits cost about ten times as much to generate (0.3 to
/// 1.1 s against 35 to 165 ms, measured with aws-lc on a 2-core test machine, under the signer's
/// one-creation-at-a-time lock) and six times as much per signature (1.5 ms against 0.25 ms), paid
/// on every timestamp the server signs.
pub const RSA_KEY_BITS: usize = 2048;
/// [`RSA_KEY_BITS`] as aws-lc's key size.
const RSA_KEY_SIZE: KeySize = KeySize::Rsa2048;
/// `private_keys.keywrap_alg` and the JWE `alg`.
pub const KEYWRAP_ALG: &str = "PBES2-HS256+A128KW";
/// `private_keys.encryption_alg` and the JWE `enc`.
pub const ENCRYPTION_ALG: &str = "A256GCM";

/// Prefix of every signer environment variable (viper `SetEnvPrefix("NOTARY_SIGNER")`).
const ENV_PREFIX: &str = "NOTARY_SIGNER_";
/// Base64url, no padding written, padding optional when read, trailing bits ignored (Go's decoder).
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);
const SALT_LEN: usize = 12;
const CEK_LEN: usize = 32;
const KEK_LEN: usize = 16;
const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// RFC 3394 adds one 8-byte block.
const KEY_WRAP_OVERHEAD: usize = 8;
const MAX_JWE_LEN: usize = 64 * 1024;
const P256_SCALAR_LEN: usize = 32;
const P256_POINT_LEN: usize = 65;
const ED25519_PLAINTEXT_LEN: usize = 96;
const SEC1_P256_LEN: usize = 121;
const DER_INTEGER: u8 = 0x02;
const DER_OCTET_STRING: u8 = 0x04;
const DER_SEQUENCE: u8 = 0x30;
/// `SEQUENCE (119 bytes) { INTEGER 1, OCTET STRING (32 bytes) …` — the scalar follows.
const SEC1_P256_HEAD: [u8; 7] = [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
/// `[0] { OID prime256v1 }, [1] { BIT STRING (66 bytes, 0 unused bits) …` — the point follows.
const SEC1_P256_MIDDLE: [u8; 17] = [
    0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44, 0x03, 0x42, 0x00,
];

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    use std::sync::Mutex;

    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};

    use super::*;

    const PASSPHRASE: &str = "correct horse battery staple";
    const ALGORITHMS: [KeyAlgorithm; 3] = [KeyAlgorithm::Ecdsa, KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa];

    /// A JWE of `key` with a cheap iteration count, for tests that do not check the cost.
    fn quick_seal(key: &KeyMaterial, passphrase: &str) -> String {
        let p2c = NonZeroU32::new(1000).unwrap();
        seal_with(
            &key.plaintext().unwrap(),
            passphrase.as_bytes(),
            p2c,
            &[7; 12],
            &[9; 32],
            &[3; 12],
        )
        .unwrap()
    }

    fn header_json(jwe: &str) -> String {
        let segment = jwe.split('.').next().unwrap();
        String::from_utf8(BASE64URL.decode(segment).unwrap()).unwrap()
    }

    /// `jwe` with segment `index` replaced by `f(decoded bytes)` re-encoded.
    fn with_segment(jwe: &str, index: usize, f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut segments: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        let mut bytes = BASE64URL.decode(&segments[index]).unwrap();
        f(&mut bytes);
        segments[index] = BASE64URL.encode(&bytes);
        segments.join(".")
    }

    fn with_header(jwe: &str, header: &str) -> String {
        with_segment(jwe, 0, |bytes| *bytes = header.as_bytes().to_vec())
    }

    #[test]
    fn seal_then_open_round_trips_every_algorithm() {
        for algorithm in ALGORITHMS {
            let key = generate(algorithm).unwrap();
            assert_eq!(key.algorithm(), algorithm);
            let jwe = seal(&key, PASSPHRASE).unwrap();
            let public = key.public_bytes();
            let opened = open(&jwe, algorithm, PASSPHRASE, Some(&public)).unwrap();
            assert_eq!(opened.public_key(), key.public_key());
            assert_eq!(opened.key_id(), key.key_id());
            assert_eq!(*opened.plaintext().unwrap(), *key.plaintext().unwrap());
            // The opened key signs, and the signature verifies under the original public key.
            let private: PrivateKey = opened.into();
            let signature = private.sign_bytes(b"hello world").unwrap();
            let expected_len = if algorithm == KeyAlgorithm::Rsa { 256 } else { 64 };
            assert_eq!(signature.len(), expected_len, "{algorithm}");
            key.public_key()
                .verify(&private.method(), b"hello world", &signature)
                .unwrap();
            // Two seals of one key differ (fresh salt, content key and IV).
            assert_ne!(seal(&key, PASSPHRASE).unwrap(), jwe);
        }
    }

    #[test]
    fn header_has_gos_exact_shape_and_member_order() {
        let key = generate(KeyAlgorithm::Ed25519).unwrap();
        let jwe = seal(&key, PASSPHRASE).unwrap();
        let segments: Vec<&str> = jwe.split('.').collect();
        assert_eq!(segments.len(), 5);
        assert!(
            segments
                .iter()
                .all(|s| !s.contains('=') && !s.contains('+') && !s.contains('/'))
        );
        let header = header_json(&jwe);
        let prefix = r#"{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":600000,"p2s":""#;
        assert!(header.starts_with(prefix), "{header}");
        let p2s = header.strip_prefix(prefix).unwrap().strip_suffix("\"}").unwrap();
        assert_eq!(p2s.len(), 16, "{header}");
        assert_eq!(BASE64URL.decode(p2s).unwrap().len(), 12);
        // 40-byte wrapped key, 12-byte IV, 96-byte ciphertext (ed25519), 16-byte tag.
        let lengths: Vec<usize> = segments[1..]
            .iter()
            .map(|s| BASE64URL.decode(s).unwrap().len())
            .collect();
        assert_eq!(lengths, [40, 12, 96, 16]);
    }

    #[test]
    fn plaintexts_are_gos_encodings() {
        // ECDSA: exactly what aws-lc's own RFC 5915 encoder writes for the key (121 bytes, with the
        // named curve and the public key).
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let reference = pair.private_key().as_der().unwrap().as_ref().to_vec();
        let key = KeyMaterial::try_from(PrivateKey::Ecdsa(pair)).unwrap();
        let plaintext = key.plaintext().unwrap();
        assert_eq!(plaintext.len(), 121);
        assert_eq!(*plaintext, reference);

        // Ed25519: public ‖ seed ‖ public.
        let seed = [0x42; 32];
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let key = KeyMaterial::try_from(PrivateKey::Ed25519(pair)).unwrap();
        assert_eq!(*key.plaintext().unwrap(), [&public[..], &seed, &public].concat());
        assert_eq!(key.public_bytes(), public);

        // Public bytes: 91-byte SPKI for ECDSA.
        assert_eq!(generate(KeyAlgorithm::Ecdsa).unwrap().public_bytes().len(), 91);

        // RSA (our extension): the PKCS#1 RSAPrivateKey, i.e. exactly the `privateKey` that
        // notary-keys puts into the PKCS#8 key files Go's client reads, and that aws-lc parses.
        let key = generate(KeyAlgorithm::Rsa).unwrap();
        let plaintext = key.plaintext().unwrap();
        let go_pkcs8 = notary_keys::pkcs8::encode(key.private_key()).unwrap();
        assert!(go_pkcs8.ends_with(&plaintext), "not the PKCS#8 key's privateKey");
        // SEQUENCE (long form) { INTEGER 0 (two-prime), INTEGER modulus (257 bytes: 2048 bits) …
        assert_eq!(plaintext[..2], [0x30, 0x82]);
        assert_eq!(plaintext[4..11], [0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01]);
        let reparsed = RsaKeyPair::from_der(&plaintext).unwrap();
        assert_eq!(reparsed.public_modulus_len() * 8, RSA_KEY_BITS);
        // Public bytes: DER SubjectPublicKeyInfo, rsaEncryption with NULL parameters.
        let spki = key.public_bytes();
        assert_eq!(spki.len(), 294);
        assert_eq!(
            spki[..24],
            [
                0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
                0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00
            ]
        );
        assert_eq!(
            spki,
            reparsed.public_key().as_der().unwrap().as_ref(),
            "the SPKI of the sealed key"
        );
        assert_eq!(key.key_id(), PublicKey::new(notary_tuf::KeyType::Rsa, spki).key_id());
    }

    /// RSA keys: sealed, opened, and the opened key signs with `rsapss` (RSASSA-PSS, SHA-256,
    /// salt 32) as aws-lc's independent verifier checks; another plaintext is refused.
    #[test]
    fn rsa_keys_round_trip_and_sign_rsassa_pss() {
        let key = generate(KeyAlgorithm::Rsa).unwrap();
        let public = key.public_bytes();
        let jwe = quick_seal(&key, PASSPHRASE);
        let opened = open(&jwe, KeyAlgorithm::Rsa, PASSPHRASE, Some(&public)).unwrap();
        assert_eq!((opened.algorithm(), opened.key_id()), (KeyAlgorithm::Rsa, key.key_id()));
        assert_eq!(opened.private_key().method().as_str(), "rsapss");
        let message = br#"{"_type":"Timestamp","version":1}"#;
        let signature = opened.private_key().sign_bytes(message).unwrap();
        assert_eq!(signature.len(), 256);
        let verifier =
            aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::RSA_PSS_2048_8192_SHA256, &public);
        verifier.verify(message, &signature).unwrap();
        assert!(verifier.verify(b"other", &signature).is_err());
        // RSASSA-PSS is randomized: two signatures differ, both verify.
        let again = opened.private_key().sign_bytes(message).unwrap();
        assert_ne!(again, signature);
        verifier.verify(message, &again).unwrap();

        // The ciphertext is the PKCS#1 key's length (no padding in GCM).
        let ciphertext = BASE64URL.decode(jwe.split('.').nth(3).unwrap()).unwrap();
        assert_eq!(ciphertext.len(), key.plaintext().unwrap().len());

        // A truncated PKCS#1 key, or an Ed25519 plaintext, does not open as RSA.
        let plaintext = key.plaintext().unwrap();
        let p2c = NonZeroU32::new(1000).unwrap();
        for bad in [&plaintext[..plaintext.len() - 1], &[0x42; 96][..]] {
            let jwe = seal_with(bad, PASSPHRASE.as_bytes(), p2c, &[1], &[2; 32], &[3; 12]).unwrap();
            assert_eq!(
                open(&jwe, KeyAlgorithm::Rsa, PASSPHRASE, None).unwrap_err(),
                KeyError::InvalidKey {
                    algorithm: KeyAlgorithm::Rsa,
                    reason: "not a PKCS#1 RSAPrivateKey of 2048 to 8192 bits",
                }
            );
        }
        // Another key's public bytes are a mismatch.
        let other = generate(KeyAlgorithm::Rsa).unwrap().public_bytes();
        assert_eq!(
            open(&jwe, KeyAlgorithm::Rsa, PASSPHRASE, Some(&other)).unwrap_err(),
            KeyError::PublicKeyMismatch
        );
        // Nothing secret in Debug output.
        let debug = format!("{opened:?}");
        assert_eq!(debug, format!("KeyMaterial(rsa {})", key.key_id()));
    }

    #[test]
    fn der_elements_are_split_strictly() {
        assert_eq!(
            der_element(&[0x04, 0x02, 1, 2, 9], 0x04),
            Some((&[1u8, 2][..], &[9u8][..]))
        );
        assert_eq!(der_element(&[0x04, 0x81, 0x01, 7], 0x04), Some((&[7u8][..], &[][..])));
        let long = [&[0x04, 0x82, 0x01, 0x00][..], &[5; 256]].concat();
        assert_eq!(
            der_element(&long, 0x04).map(|(c, r)| (c.len(), r.len())),
            Some((256, 0))
        );
        for bad in [
            &[][..],
            &[0x04],
            &[0x30, 0x00],
            &[0x04, 0x03, 1, 2],
            &[0x04, 0x80],
            &[0x04, 0x85, 1, 1, 1, 1, 1],
            &[0x04, 0x82, 0x01],
        ] {
            assert_eq!(der_element(bad, 0x04), None, "{bad:?}");
        }
        assert_eq!(pkcs1_in_pkcs8(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
        assert_eq!(
            pkcs1_in_pkcs8(&[0x30, 0x09, 0x02, 0x01, 0x00, 0x30, 0x00, 0x04, 0x02, 0xaa, 0xbb]),
            Some(&[0xaa, 0xbb][..])
        );
    }

    /// The one independent computation: a JWE built step by step from signer.md §6.3 with Go's
    /// 8192 iterations, straight from the crypto primitives, opened by [`open`].
    #[test]
    fn opens_a_jwe_built_from_the_spec_with_gos_iteration_count() {
        let seed = [0x17; 32];
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let ecdsa = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let cases = [
            (
                KeyAlgorithm::Ed25519,
                [&public[..], &seed, &public].concat(),
                public.clone(),
            ),
            (
                KeyAlgorithm::Ecdsa,
                ecdsa.private_key().as_der().unwrap().as_ref().to_vec(),
                ecdsa.public_key().as_der().unwrap().as_ref().to_vec(),
            ),
        ];
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        for (algorithm, plaintext, public) in cases {
            let passphrase = b"alias1 passphrase";
            let p2s = *b"twelve bytes";
            let header = format!(
                "{{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A256GCM\",\"p2c\":8192,\"p2s\":\"{}\"}}",
                b64(&p2s)
            );
            let header_segment = b64(header.as_bytes());
            let mut salt = b"PBES2-HS256+A128KW\0".to_vec();
            salt.extend_from_slice(&p2s);
            let mut kek = [0u8; 16];
            pbkdf2::derive(
                pbkdf2::PBKDF2_HMAC_SHA256,
                NonZeroU32::new(8192).unwrap(),
                &salt,
                passphrase,
                &mut kek,
            );
            let cek = [0x5a; 32];
            let mut wrapped = [0u8; 40];
            AesKek::new(&AES_128, &kek).unwrap().wrap(&cek, &mut wrapped).unwrap();
            let iv = [0x01; 12];
            let mut ciphertext = plaintext.clone();
            let tag = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).unwrap())
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(iv),
                    Aad::from(header_segment.as_bytes()),
                    &mut ciphertext,
                )
                .unwrap();
            let jwe = [
                header_segment.clone(),
                b64(&wrapped),
                b64(&iv),
                b64(&ciphertext),
                b64(tag.as_ref()),
            ]
            .join(".");

            let opened = open(&jwe, algorithm, passphrase, Some(&public)).unwrap();
            assert_eq!(opened.public_bytes(), public);
            assert_eq!(*opened.plaintext().unwrap(), plaintext);
        }
    }

    const PYTHON_JWE: &str = r#"
import base64, json, os, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def kek(p2s, p2c):
    salt = b"PBES2-HS256+A128KW\x00" + p2s
    return PBKDF2HMAC(hashes.SHA256(), 16, salt, p2c).derive(os.environ["JWE_PASSPHRASE"].encode())

if sys.argv[1] == "open":
    h, ek, iv, ct, tag = sys.stdin.read().strip().split(".")
    header = json.loads(b64d(h))
    assert list(header) == ["alg", "enc", "p2c", "p2s"], header
    assert header["alg"] == "PBES2-HS256+A128KW" and header["enc"] == "A256GCM", header
    cek = aes_key_unwrap(kek(b64d(header["p2s"]), header["p2c"]), b64d(ek))
    print(AESGCM(cek).decrypt(b64d(iv), b64d(ct) + b64d(tag), h.encode()).hex())
else:
    plaintext = bytes.fromhex(sys.stdin.read().strip())
    p2s, cek, iv = os.urandom(12), os.urandom(32), os.urandom(12)
    header = {"alg": "PBES2-HS256+A128KW", "enc": "A256GCM", "p2c": 8192, "p2s": b64e(p2s)}
    h = b64e(json.dumps(header, separators=(",", ":")).encode())
    sealed = AESGCM(cek).encrypt(iv, plaintext, h.encode())
    parts = [h, b64e(aes_key_wrap(kek(p2s, 8192), cek)), b64e(iv), b64e(sealed[:-16]), b64e(sealed[-16:])]
    print(".".join(parts))
"#;

    /// Runs [`PYTHON_JWE`] with `mode` and `input` on stdin; `None` when Python's `cryptography`
    /// package is not installed.
    fn python_jwe(mode: &str, input: &str) -> Option<String> {
        let probe = Command::new("python3")
            .args(["-c", "import cryptography.hazmat.primitives.keywrap"])
            .stderr(Stdio::null())
            .status();
        if !probe.is_ok_and(|status| status.success()) {
            eprintln!("skipped: python3 with the cryptography package is not available");
            return None;
        }
        let mut child = Command::new("python3")
            .args(["-c", PYTHON_JWE, mode])
            .env("JWE_PASSPHRASE", PASSPHRASE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "python3 {mode} failed");
        Some(String::from_utf8(output.stdout).unwrap().trim().to_owned())
    }

    #[test]
    fn python_cryptography_reads_ours_and_we_read_its() {
        for algorithm in ALGORITHMS {
            let key = generate(algorithm).unwrap();
            let jwe = seal(&key, PASSPHRASE).unwrap();
            let Some(plaintext) = python_jwe("open", &jwe) else {
                return;
            };
            assert_eq!(plaintext, hex::encode(&*key.plaintext().unwrap()));

            let Some(theirs) = python_jwe("seal", &plaintext) else {
                return;
            };
            let opened = open(&theirs, algorithm, PASSPHRASE, Some(&key.public_bytes())).unwrap();
            assert_eq!(opened.key_id(), key.key_id());
        }
    }

    #[test]
    fn wrong_or_empty_passphrase_fails() {
        for algorithm in ALGORITHMS {
            let key = generate(algorithm).unwrap();
            let jwe = quick_seal(&key, PASSPHRASE);
            assert_eq!(
                open(&jwe, algorithm, "correct horse battery stapler", None).unwrap_err(),
                KeyError::WrongPassphrase
            );
            assert_eq!(open(&jwe, algorithm, "", None).unwrap_err(), KeyError::EmptyPassphrase);
        }
        assert_eq!(
            seal(&generate(KeyAlgorithm::Ecdsa).unwrap(), "").unwrap_err(),
            KeyError::EmptyPassphrase
        );
    }

    #[test]
    fn tampering_with_any_segment_fails() {
        let key = generate(KeyAlgorithm::Ecdsa).unwrap();
        let jwe = quick_seal(&key, PASSPHRASE);
        assert!(open(&jwe, KeyAlgorithm::Ecdsa, PASSPHRASE, None).is_ok());
        let header = header_json(&jwe);

        // A header that still parses but is not the authenticated one (the AAD changes).
        let extra = header.replacen('{', r#"{"kid":"x","#, 1);
        assert_eq!(
            open(&with_header(&jwe, &extra), KeyAlgorithm::Ecdsa, PASSPHRASE, None).unwrap_err(),
            KeyError::Tampered
        );
        // Another p2c or p2s derives another key-encryption key.
        let p2c = header.replace("\"p2c\":1000", "\"p2c\":1001");
        assert_eq!(
            open(&with_header(&jwe, &p2c), KeyAlgorithm::Ecdsa, PASSPHRASE, None).unwrap_err(),
            KeyError::WrongPassphrase
        );
        let p2s = header.replace("\"p2s\":\"BwcH", "\"p2s\":\"CAcH");
        assert_ne!(p2s, header);
        assert_eq!(
            open(&with_header(&jwe, &p2s), KeyAlgorithm::Ecdsa, PASSPHRASE, None).unwrap_err(),
            KeyError::WrongPassphrase
        );
        // Every bit of the encrypted key, IV, ciphertext and tag is covered.
        for (index, expected) in [
            (1, KeyError::WrongPassphrase),
            (2, KeyError::Tampered),
            (3, KeyError::Tampered),
            (4, KeyError::Tampered),
        ] {
            let length = BASE64URL.decode(jwe.split('.').nth(index).unwrap()).unwrap().len();
            for byte in [0, length / 2, length - 1] {
                let tampered = with_segment(&jwe, index, |bytes| bytes[byte] ^= 0x01);
                assert_eq!(
                    open(&tampered, KeyAlgorithm::Ecdsa, PASSPHRASE, None).unwrap_err(),
                    expected,
                    "segment {index}, byte {byte}"
                );
            }
        }
        // Truncated or extended ciphertext.
        let shorter = with_segment(&jwe, 3, |bytes| {
            bytes.pop();
        });
        assert_eq!(
            open(&shorter, KeyAlgorithm::Ecdsa, PASSPHRASE, None).unwrap_err(),
            KeyError::Tampered
        );
        let longer = with_segment(&jwe, 3, |bytes| bytes.push(0));
        assert_eq!(
            open(&longer, KeyAlgorithm::Ecdsa, PASSPHRASE, None).unwrap_err(),
            KeyError::Tampered
        );
    }

    #[test]
    fn wrong_algorithm_or_public_key_is_refused() {
        let ecdsa = generate(KeyAlgorithm::Ecdsa).unwrap();
        let jwe = quick_seal(&ecdsa, PASSPHRASE);
        assert!(matches!(
            open(&jwe, KeyAlgorithm::Ed25519, PASSPHRASE, None).unwrap_err(),
            KeyError::InvalidKey {
                algorithm: KeyAlgorithm::Ed25519,
                ..
            }
        ));
        let other = generate(KeyAlgorithm::Ecdsa).unwrap().public_bytes();
        assert_eq!(
            open(&jwe, KeyAlgorithm::Ecdsa, PASSPHRASE, Some(&other)).unwrap_err(),
            KeyError::PublicKeyMismatch
        );

        // An RSA row is neither ECDSA nor Ed25519.
        let rsa = quick_seal(&generate(KeyAlgorithm::Rsa).unwrap(), PASSPHRASE);
        for algorithm in [KeyAlgorithm::Ecdsa, KeyAlgorithm::Ed25519] {
            assert!(matches!(
                open(&rsa, algorithm, PASSPHRASE, None).unwrap_err(),
                KeyError::InvalidKey { .. }
            ));
        }
        assert!(matches!(
            open(&jwe, KeyAlgorithm::Rsa, PASSPHRASE, None).unwrap_err(),
            KeyError::InvalidKey {
                algorithm: KeyAlgorithm::Rsa,
                ..
            }
        ));

        let ed25519 = generate(KeyAlgorithm::Ed25519).unwrap();
        let jwe = quick_seal(&ed25519, PASSPHRASE);
        assert!(matches!(
            open(&jwe, KeyAlgorithm::Ecdsa, PASSPHRASE, None).unwrap_err(),
            KeyError::InvalidKey { .. }
        ));
        // Differing public key copies inside the 96 bytes are refused.
        let mut plaintext = ed25519.plaintext().unwrap();
        plaintext[95] ^= 1;
        let p2c = NonZeroU32::new(1000).unwrap();
        let jwe = seal_with(&plaintext, PASSPHRASE.as_bytes(), p2c, &[1], &[2; 32], &[3; 12]).unwrap();
        assert!(matches!(
            open(&jwe, KeyAlgorithm::Ed25519, PASSPHRASE, None).unwrap_err(),
            KeyError::InvalidKey { .. }
        ));
    }

    #[test]
    fn hostile_headers_are_refused_before_any_key_derivation() {
        let key = generate(KeyAlgorithm::Ed25519).unwrap();
        let jwe = quick_seal(&key, PASSPHRASE);
        let salt = r#""p2s":"BwcHBwcHBwcHBwcH""#;
        let too_long_salt = format!(r#""p2s":"{}""#, BASE64URL.encode([1u8; 257]));
        let longest_salt = format!(r#""p2s":"{}""#, BASE64URL.encode([1u8; 256]));
        let cases: Vec<(String, KeyError)> = vec![
            (
                format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":4000000000,{salt}}}"#),
                KeyError::TooManyIterations {
                    p2c: 4_000_000_000,
                    max: MAX_PBKDF2_ITERATIONS,
                },
            ),
            (
                format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":10000001,{salt}}}"#),
                KeyError::TooManyIterations {
                    p2c: 10_000_001,
                    max: MAX_PBKDF2_ITERATIONS,
                },
            ),
            (
                format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":18446744073709551615,{salt}}}"#),
                KeyError::TooManyIterations {
                    p2c: u64::MAX,
                    max: MAX_PBKDF2_ITERATIONS,
                },
            ),
        ];
        for (header, expected) in cases {
            assert_eq!(
                open(&with_header(&jwe, &header), KeyAlgorithm::Ed25519, PASSPHRASE, None).unwrap_err(),
                expected,
                "{header}"
            );
        }
        let malformed = [
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":0,{salt}}}"#),
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":-1,{salt}}}"#),
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":8192.5,{salt}}}"#),
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":"8192",{salt}}}"#),
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM",{salt}}}"#),
            r#"{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":8192}"#.to_owned(),
            r#"{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":8192,"p2s":""}"#.to_owned(),
            r#"{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":8192,"p2s":"!!"}"#.to_owned(),
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":8192,{too_long_salt}}}"#),
            format!(r#"{{"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":8192,{salt}}}"#),
            format!(r#"{{"alg":"dir","enc":"A256GCM","p2c":8192,{salt}}}"#),
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":8192,{salt}}}"#),
            format!(r#"{{"enc":"A256GCM","p2c":8192,{salt}}}"#),
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":8192,"zip":"DEF",{salt}}}"#),
            format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":8192,"crit":["x"],{salt}}}"#),
            "[]".to_owned(),
            "not json".to_owned(),
        ];
        for header in malformed {
            assert!(
                matches!(
                    open(&with_header(&jwe, &header), KeyAlgorithm::Ed25519, PASSPHRASE, None).unwrap_err(),
                    KeyError::Malformed { .. }
                ),
                "{header}"
            );
        }
        // The largest salt and Go's own values parse.
        let header = format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":10000000,{longest_salt}}}"#);
        let parsed = Header::parse(header.as_bytes()).unwrap();
        assert_eq!((parsed.p2c.get(), parsed.p2s.len()), (10_000_000, 256));
        let header = format!(r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":8192,{salt},"kid":"k"}}"#);
        assert_eq!(Header::parse(header.as_bytes()).unwrap().p2c.get(), 8192);
    }

    #[test]
    fn malformed_compact_serializations_are_refused() {
        let key = generate(KeyAlgorithm::Ecdsa).unwrap();
        let jwe = quick_seal(&key, PASSPHRASE);
        let segments: Vec<&str> = jwe.split('.').collect();
        let cases = [
            String::new(),
            segments[..4].join("."),
            format!("{jwe}."),
            format!("{jwe}.AAAA"),
            jwe.replacen('.', ".*", 1),
            with_segment(&jwe, 1, |bytes| bytes.truncate(32)),
            with_segment(&jwe, 2, |bytes| bytes.push(0)),
            with_segment(&jwe, 4, |bytes| bytes.truncate(12)),
            "a".repeat(MAX_JWE_LEN + 1),
        ];
        for case in cases {
            assert!(
                matches!(
                    open(&case, KeyAlgorithm::Ecdsa, PASSPHRASE, None).unwrap_err(),
                    KeyError::Malformed { .. }
                ),
                "{}",
                case.get(..80).unwrap_or(&case)
            );
        }
        // Padding, as some encoders write it, and surrounding whitespace are accepted.
        let padded: Vec<String> = segments
            .iter()
            .map(|s| format!("{s}{}", "=".repeat((4 - s.len() % 4) % 4)))
            .collect();
        assert!(
            open(
                &format!("{}\n", padded.join(".")),
                KeyAlgorithm::Ecdsa,
                PASSPHRASE,
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn algorithm_names_are_exact() {
        for algorithm in ALGORITHMS {
            assert_eq!(algorithm.as_str().parse::<KeyAlgorithm>().unwrap(), algorithm);
            assert_eq!(algorithm.to_string(), algorithm.as_str());
        }
        for name in ["ECDSA", "RSA", "", "ecdsa-x509", "rsa-x509", "ed25519 "] {
            assert_eq!(
                name.parse::<KeyAlgorithm>().unwrap_err(),
                KeyError::UnsupportedAlgorithm {
                    algorithm: name.to_owned()
                }
            );
        }
    }

    #[test]
    fn alias_variables_follow_viper() {
        assert_eq!(alias_env_var("passwordalias1"), "NOTARY_SIGNER_PASSWORDALIAS1");
        assert_eq!(alias_env_var("alias1"), "NOTARY_SIGNER_ALIAS1");
        assert_eq!(alias_env_var("Old.Alias_2"), "NOTARY_SIGNER_OLD_ALIAS_2");
    }

    #[test]
    fn passphrases_are_read_at_each_use() {
        let value = Arc::new(Mutex::new(None::<String>));
        let shared = Arc::clone(&value);
        let passphrases = Passphrases::from_lookup(move |name| {
            assert_eq!(name, "NOTARY_SIGNER_ALIAS1");
            shared.lock().unwrap().clone()
        });
        let not_set = KeyError::PassphraseNotSet {
            alias: "alias1".into(),
            variable: "NOTARY_SIGNER_ALIAS1".into(),
        };
        assert_eq!(passphrases.passphrase("alias1").unwrap_err(), not_set);
        assert_eq!(
            not_set.to_string(),
            "the passphrase for alias alias1 is not set: export NOTARY_SIGNER_ALIAS1"
        );
        *value.lock().unwrap() = Some(String::new());
        assert_eq!(passphrases.passphrase("alias1").unwrap_err(), not_set);
        *value.lock().unwrap() = Some("first".into());
        assert_eq!(passphrases.clone().passphrase("alias1").unwrap().as_ref(), b"first");
        *value.lock().unwrap() = Some("second".into());
        let passphrase = passphrases.passphrase("alias1").unwrap();
        assert_eq!(passphrase.as_ref(), b"second");

        // The passphrase works as the seal/open secret.
        let key = generate(KeyAlgorithm::Ed25519).unwrap();
        let jwe = quick_seal(&key, "second");
        assert!(open(&jwe, KeyAlgorithm::Ed25519, &passphrase, None).is_ok());
        assert!(matches!(
            Passphrases::from_process_env().passphrase("surely unset alias for notary-signer tests"),
            Err(KeyError::PassphraseNotSet { .. })
        ));
    }

    #[test]
    fn no_secret_in_errors_or_debug_output() {
        let key = generate(KeyAlgorithm::Ecdsa).unwrap();
        let plaintext = key.plaintext().unwrap();
        let secret_hex = hex::encode(&plaintext[7..39]);
        let jwe = quick_seal(&key, PASSPHRASE);
        let mut outputs = vec![
            format!("{key:?}"),
            format!("{:?}", Passphrases::from_lookup(|_| Some(PASSPHRASE.into()))),
            format!(
                "{:?}",
                Passphrases::from_lookup(|_| Some(PASSPHRASE.into())).passphrase("a")
            ),
        ];
        let tampered = with_segment(&jwe, 3, |bytes| bytes[0] ^= 1);
        for attempt in [
            open(&jwe, KeyAlgorithm::Ecdsa, "hunter2-incorrect", None),
            open(&tampered, KeyAlgorithm::Ecdsa, PASSPHRASE, None),
            open(&jwe, KeyAlgorithm::Ed25519, PASSPHRASE, None),
            open(&jwe, KeyAlgorithm::Ecdsa, PASSPHRASE, Some(b"other")),
        ] {
            let err = attempt.unwrap_err();
            outputs.push(err.to_string());
            outputs.push(format!("{err:?}"));
        }
        assert!(outputs[0].starts_with("KeyMaterial(ecdsa "), "{}", outputs[0]);
        for output in outputs {
            assert!(!output.contains(PASSPHRASE) && !output.contains("hunter2"), "{output}");
            assert!(!output.to_lowercase().contains(&secret_hex), "{output}");
        }
    }

    #[test]
    fn key_material_from_private_keys() {
        let ecdsa = notary_keys::generate(notary_keys::KeyAlgorithm::Ecdsa)
            .unwrap()
            .into_parts()
            .0;
        let public = ecdsa.public_key();
        let material = KeyMaterial::try_from(ecdsa).unwrap();
        assert_eq!(
            (material.algorithm(), material.public_key()),
            (KeyAlgorithm::Ecdsa, public)
        );
        assert_eq!(
            material.private_key().public_key(),
            material.into_private_key().public_key()
        );

        // RSA too, now that the signer holds RSA keys (beyond Go).
        let rsa = PrivateKey::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).unwrap());
        let public = rsa.public_key();
        let material = KeyMaterial::try_from(rsa).unwrap();
        assert_eq!(
            (material.algorithm(), material.public_key()),
            (KeyAlgorithm::Rsa, public)
        );
    }
}
