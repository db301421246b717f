//! The plaintext private key encodings Notary writes and reads (`shared/spec/keys.md` §5.3, §5.4
//! "other accepted inputs").
//!
//! Notary's `PrivateKeyInfo` is PKCS#8 with Go-specific quirks, and we write it byte for byte:
//!
//! | key | `version` | AlgorithmIdentifier | `privateKey` |
//! |---|---|---|---|
//! | ECDSA P-256 | 1 | `{ecPublicKey, prime256v1}` | SEC1 `ECPrivateKey` v1 with `[0]` curve and `[1]` public point |
//! | RSA | 0 | `{rsaEncryption}` without NULL | PKCS#1 `RSAPrivateKey` |
//! | Ed25519 | 0 | `{1.3.6.1.4.1.11591.15.1}` | 96 raw bytes `public ‖ seed ‖ public` |
//!
//! Reading is as lenient as Go's: any `version`, RSA parameters present or absent, anything after
//! `privateKey` (attributes, PKCS#8 v2 public key) and after the outer SEQUENCE (CBC padding)
//! ignored, the ECDSA curve taken from the AlgorithmIdentifier or else from the SEC1 `[0]`, and the
//! ECDSA public key recomputed from the scalar (Go ignores the SEC1 `[1]`). RFC 8410 Ed25519
//! (`1.3.101.112`) is refused, as Go refuses it (`invalid key pem block`).

use aws_lc_rs::encoding::{AsBigEndian as _, AsDer as _};
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair as _};
use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, DecodeValue, Encode, Header, Reader, Sequence};
use notary_tuf::sign::PrivateKey;
use zeroize::Zeroizing;

use crate::error::KeyError;
use sec1::EcPrivateKey;

/// Encodes `key` as the plaintext `PrivateKeyInfo` Go notary writes (the content that gets
/// encrypted into an `ENCRYPTED PRIVATE KEY` block, or stored as a `PRIVATE KEY` block).
pub fn encode(key: &PrivateKey) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    match key {
        PrivateKey::Ecdsa(pair) => {
            let scalar = pair.private_key().as_be_bytes().map_err(|_| KeyError::Invalid {
                reason: "cannot export the ECDSA scalar",
            })?;
            let sec1 = EcPrivateKey {
                version: 1,
                private_key: scalar.as_ref(),
                parameters: Some(OID_P256),
                public_key: Some(pair.public_key().as_ref()),
            };
            let sec1 = to_der_zeroizing(&sec1)?;
            let algorithm = AlgorithmIdentifier {
                algorithm: OID_EC_PUBLIC_KEY,
                parameters: Some(any(P256_PARAMETERS_DER)?),
            };
            to_der_zeroizing(&GoPrivateKeyInfo {
                version: 1,
                algorithm,
                private_key: &sec1,
            })
        }
        PrivateKey::Ed25519(pair) => {
            let seed = pair.seed().map_err(|_| KeyError::Invalid {
                reason: "cannot export the Ed25519 seed",
            })?;
            let seed = seed.as_be_bytes().map_err(|_| KeyError::Invalid {
                reason: "cannot export the Ed25519 seed",
            })?;
            let public = pair.public_key().as_ref();
            let mut raw = Zeroizing::new(Vec::with_capacity(ED25519_NOTARY_LEN));
            raw.extend_from_slice(public);
            raw.extend_from_slice(seed.as_ref());
            raw.extend_from_slice(public);
            let algorithm = AlgorithmIdentifier {
                algorithm: OID_ED25519_NOTARY,
                parameters: None,
            };
            to_der_zeroizing(&GoPrivateKeyInfo {
                version: 0,
                algorithm,
                private_key: &raw,
            })
        }
        PrivateKey::Rsa(pair) => {
            // aws-lc exports standard PKCS#8 (with NULL); Notary wants the PKCS#1 key inside
            // an AlgorithmIdentifier without parameters.
            let standard = pair.as_der().map_err(|_| KeyError::Invalid {
                reason: "cannot export the RSA key",
            })?;
            let info = parse_private_key_info(standard.as_ref()).map_err(|_| KeyError::Invalid {
                reason: "cannot export the RSA key",
            })?;
            let algorithm = AlgorithmIdentifier {
                algorithm: OID_RSA_ENCRYPTION,
                parameters: None,
            };
            to_der_zeroizing(&GoPrivateKeyInfo {
                version: 0,
                algorithm,
                private_key: info.private_key,
            })
        }
    }
}

/// Decodes a plaintext `PrivateKeyInfo` (Notary's or standard PKCS#8) into a signing key.
/// Bytes after the outer SEQUENCE are ignored, as Go does.
pub fn decode(der: &[u8]) -> Result<PrivateKey, KeyError> {
    let info = parse_private_key_info(der)?;
    decode_info(&info)
}

/// Decodes a legacy `EC PRIVATE KEY` block's content (SEC1 `ECPrivateKey`).
pub fn decode_sec1(der: &[u8]) -> Result<PrivateKey, KeyError> {
    ecdsa_from_sec1(der, None)
}

/// Decodes a legacy `RSA PRIVATE KEY` block's content (PKCS#1 `RSAPrivateKey`).
pub fn decode_pkcs1(der: &[u8]) -> Result<PrivateKey, KeyError> {
    PrivateKey::rsa_from_pkcs1(der).map_err(|_| KeyError::Invalid {
        reason: "RSA key rejected",
    })
}

/// Decodes Notary's 96-byte Ed25519 private key (`public ‖ seed ‖ public`), the content of the
/// PKCS#8 `privateKey` field and of a legacy `ED25519 PRIVATE KEY` block.
pub fn decode_ed25519_raw(raw: &[u8]) -> Result<PrivateKey, KeyError> {
    if raw.len() != ED25519_NOTARY_LEN {
        return Err(KeyError::Malformed {
            reason: "Ed25519 private key must be 96 bytes",
        });
    }
    let (public, rest) = raw.split_at(32);
    let (seed, public_again) = rest.split_at(32);
    // Go signs with the trailing copy as the public key; a mismatch would make every signature
    // it produces invalid, so such a key is refused here.
    if public != public_again {
        return Err(KeyError::Invalid {
            reason: "Ed25519 public key copies differ",
        });
    }
    PrivateKey::ed25519_from_seed(seed, public).map_err(|_| KeyError::Invalid {
        reason: "Ed25519 seed does not match its public key",
    })
}

/// If `der` starts with something shaped like a `PrivateKeyInfo` (version, algorithm, key), its
/// length. Used to tell a wrong passphrase (garbage) from a decrypted but unsupported key, and to
/// cut off the CBC padding.
pub(crate) fn private_key_info_len(der: &[u8]) -> Option<usize> {
    let (_, trailing) = PrivateKeyInfo::from_der_partial(der).ok()?;
    Some(der.len() - trailing.len())
}

fn decode_info(info: &PrivateKeyInfo<'_>) -> Result<PrivateKey, KeyError> {
    let algorithm = info.algorithm.algorithm;
    if algorithm == OID_EC_PUBLIC_KEY {
        let curve = match info.algorithm.parameters {
            Some(params) => Some(
                params
                    .decode_as::<ObjectIdentifier>()
                    .map_err(|_| KeyError::Malformed {
                        reason: "ECDSA curve parameter is not an OID",
                    })?,
            ),
            None => None,
        };
        ecdsa_from_sec1(info.private_key, curve)
    } else if algorithm == OID_RSA_ENCRYPTION {
        decode_pkcs1(info.private_key)
    } else if algorithm == OID_ED25519_NOTARY {
        decode_ed25519_raw(info.private_key)
    } else if algorithm == OID_ED25519_RFC8410 {
        Err(KeyError::Unsupported {
            reason: "RFC 8410 Ed25519 keys are not accepted by Notary (use OID 1.3.6.1.4.1.11591.15.1)",
        })
    } else {
        Err(KeyError::Unsupported {
            reason: "unknown private key algorithm",
        })
    }
}

/// ECDSA from SEC1, like Go's `x509.parseECPrivateKey`: the PKCS#8 curve wins over SEC1's `[0]`,
/// the scalar is left-padded (or stripped of leading zeros) to 32 bytes, and the public key is
/// recomputed from the scalar.
fn ecdsa_from_sec1(der: &[u8], pkcs8_curve: Option<ObjectIdentifier>) -> Result<PrivateKey, KeyError> {
    let sec1 = EcPrivateKey::from_der(der).map_err(|_| KeyError::Malformed {
        reason: "invalid SEC1 ECPrivateKey",
    })?;
    if sec1.version != 1 {
        return Err(KeyError::Malformed {
            reason: "SEC1 ECPrivateKey version must be 1",
        });
    }
    let Some(curve) = pkcs8_curve.or(sec1.parameters) else {
        return Err(KeyError::Malformed {
            reason: "ECDSA key names no curve",
        });
    };
    if curve != OID_P256 {
        return Err(KeyError::Unsupported {
            reason: "only P-256 ECDSA keys are supported",
        });
    }
    let mut scalar = sec1.private_key;
    while scalar.len() > P256_SCALAR_LEN {
        match scalar.split_first() {
            Some((0, rest)) => scalar = rest,
            _ => {
                return Err(KeyError::Invalid {
                    reason: "invalid ECDSA private key length",
                });
            }
        }
    }
    let mut padded = Zeroizing::new([0u8; P256_SCALAR_LEN]);
    padded[P256_SCALAR_LEN - scalar.len()..].copy_from_slice(scalar);
    // Re-encode a minimal SEC1 key (no [1]) so that aws-lc derives the public point itself.
    let minimal = EcPrivateKey {
        version: 1,
        private_key: &padded[..],
        parameters: Some(OID_P256),
        public_key: None,
    };
    let minimal = to_der_zeroizing(&minimal)?;
    EcdsaKeyPair::from_private_key_der(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &minimal)
        .map(PrivateKey::Ecdsa)
        .map_err(|_| KeyError::Invalid {
            reason: "ECDSA private key rejected",
        })
}

fn parse_private_key_info(der: &[u8]) -> Result<PrivateKeyInfo<'_>, KeyError> {
    PrivateKeyInfo::from_der_partial(der)
        .map(|(info, _trailing)| info)
        .map_err(|_| KeyError::Malformed {
            reason: "invalid PKCS#8 PrivateKeyInfo",
        })
}

fn any(der: &[u8]) -> Result<AnyRef<'_>, KeyError> {
    AnyRef::from_der(der).map_err(|_| KeyError::Invalid {
        reason: "cannot encode algorithm parameters",
    })
}

/// DER-encodes into a zeroize-on-drop buffer of the exact size (no reallocation copies).
pub(crate) fn to_der_zeroizing(value: &impl Encode) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let encode_failed = |_| KeyError::Invalid {
        reason: "DER encoding failed",
    };
    let len = value.encoded_len().map_err(encode_failed)?;
    let mut out = Zeroizing::new(Vec::with_capacity(usize::try_from(u32::from(len)).unwrap_or(0)));
    value.encode_to_vec(&mut out).map_err(encode_failed)?;
    Ok(out)
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
#[derive(Clone, Copy, Sequence)]
pub(crate) struct AlgorithmIdentifier<'a> {
    pub(crate) algorithm: ObjectIdentifier,
    pub(crate) parameters: Option<AnyRef<'a>>,
}

/// `PrivateKeyInfo` as read: `version`, `privateKeyAlgorithm`, `privateKey`; anything after is
/// skipped, as Go's `encoding/asn1` does for its three-field struct.
struct PrivateKeyInfo<'a> {
    algorithm: AlgorithmIdentifier<'a>,
    private_key: &'a [u8],
}

impl<'a> DecodeValue<'a> for PrivateKeyInfo<'a> {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        // Go reads the version into an int and never checks it.
        let _version: der::asn1::Int = reader.decode()?;
        let algorithm = reader.decode()?;
        let private_key = <&OctetStringRef>::decode(reader)?.as_bytes();
        let rest = reader.remaining_len();
        reader.read_slice(rest)?;
        Ok(PrivateKeyInfo { algorithm, private_key })
    }
}

impl der::FixedTag for PrivateKeyInfo<'_> {
    const TAG: der::Tag = der::Tag::Sequence;
}

/// `PrivateKeyInfo` as written by Go notary.
#[derive(Sequence)]
struct GoPrivateKeyInfo<'a> {
    version: u8,
    algorithm: AlgorithmIdentifier<'a>,
    #[asn1(type = "OCTET STRING")]
    private_key: &'a [u8],
}

/// SEC1 `ECPrivateKey` (RFC 5915), in a module of its own because der's derive for optional
/// EXPLICIT fields trips `clippy::needless_question_mark` in the generated code.
#[allow(clippy::needless_question_mark)]
mod sec1 {
    use der::Sequence;
    use der::asn1::ObjectIdentifier;

    #[derive(Sequence)]
    pub(super) struct EcPrivateKey<'a> {
        pub(super) version: u8,
        #[asn1(type = "OCTET STRING")]
        pub(super) private_key: &'a [u8],
        #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
        pub(super) parameters: Option<ObjectIdentifier>,
        #[asn1(
            context_specific = "1",
            tag_mode = "EXPLICIT",
            optional = "true",
            type = "BIT STRING"
        )]
        pub(super) public_key: Option<&'a [u8]>,
    }
}

/// Length of Notary's raw Ed25519 private key: public(32) ‖ seed(32) ‖ public(32).
const ED25519_NOTARY_LEN: usize = 96;
const P256_SCALAR_LEN: usize = 32;
/// DER of the OID prime256v1, the ECDSA AlgorithmIdentifier's parameters.
const P256_PARAMETERS_DER: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// The Ed25519 OID Notary uses (GnuPG's), not RFC 8410's.
const OID_ED25519_NOTARY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.15.1");
const OID_ED25519_RFC8410: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p256_parameters_constant_is_the_oid() {
        assert_eq!(OID_P256.to_der().unwrap(), P256_PARAMETERS_DER);
    }

    #[test]
    fn generated_keys_round_trip_byte_identically() {
        for key in [
            PrivateKey::generate_ecdsa().unwrap(),
            PrivateKey::generate_ed25519().unwrap(),
        ] {
            let der = encode(&key).unwrap();
            let back = decode(&der).unwrap();
            assert_eq!(back.public_key(), key.public_key());
            assert_eq!(*encode(&back).unwrap(), *der);
        }
    }

    #[test]
    fn ecdsa_layout_is_go_s() {
        let der = encode(&PrivateKey::generate_ecdsa().unwrap()).unwrap();
        // SEQUENCE(147) { INTEGER 1, SEQUENCE { ecPublicKey, prime256v1 }, OCTET STRING(121) }
        assert_eq!(der.len(), 150);
        assert_eq!(&der[..6], &[0x30, 0x81, 0x93, 0x02, 0x01, 0x01]);
        // SEC1: version 1, 32-byte scalar, [0] curve, [1] public point.
        assert_eq!(&der[27..34], &[0x04, 0x79, 0x30, 0x77, 0x02, 0x01, 0x01]);
        assert_eq!(&der[34..36], &[0x04, 0x20]);
        assert_eq!(&der[68..70], &[0xa0, 0x0a]);
        assert_eq!(&der[80..82], &[0xa1, 0x44]);
    }

    #[test]
    fn ed25519_layout_is_go_s() {
        let der = encode(&PrivateKey::generate_ed25519().unwrap()).unwrap();
        assert_eq!(&der[..20], &hex_literal("3072020100300b06092b06010401da470f010460"));
        assert_eq!(der.len(), 20 + 96);
        assert_eq!(der[20..52], der[84..116], "public key appears twice");
    }

    #[test]
    fn short_scalars_are_left_padded_like_go() {
        let key = PrivateKey::generate_ecdsa().unwrap();
        let PrivateKey::Ecdsa(pair) = &key else { unreachable!() };
        let scalar = pair.private_key().as_be_bytes().unwrap();
        let public = pair.public_key().as_ref();
        // The same scalar with one extra leading zero byte, and without [1] public key.
        let mut long = vec![0u8];
        long.extend_from_slice(scalar.as_ref());
        let sec1 = EcPrivateKey {
            version: 1,
            private_key: &long,
            parameters: Some(OID_P256),
            public_key: None,
        };
        let parsed = decode_sec1(&sec1.to_der().unwrap()).unwrap();
        assert_eq!(parsed.public_key(), key.public_key());
        // A mismatching [1] public key is ignored, as Go recomputes it from the scalar.
        let mut wrong_public = public.to_vec();
        wrong_public[10] ^= 1;
        let sec1 = EcPrivateKey {
            version: 1,
            private_key: scalar.as_ref(),
            parameters: Some(OID_P256),
            public_key: Some(&wrong_public),
        };
        assert_eq!(
            decode_sec1(&sec1.to_der().unwrap()).unwrap().public_key(),
            key.public_key()
        );
        // A non-zero extra byte is refused.
        long[0] = 1;
        let sec1 = EcPrivateKey {
            version: 1,
            private_key: &long,
            parameters: Some(OID_P256),
            public_key: None,
        };
        assert!(matches!(
            decode_sec1(&sec1.to_der().unwrap()),
            Err(KeyError::Invalid { .. })
        ));
    }

    #[test]
    fn other_curves_and_algorithms_are_refused() {
        let p384 = ObjectIdentifier::new_unwrap("1.3.132.0.34");
        let sec1 = EcPrivateKey {
            version: 1,
            private_key: &[1; 48],
            parameters: Some(p384),
            public_key: None,
        };
        assert!(matches!(
            decode_sec1(&sec1.to_der().unwrap()),
            Err(KeyError::Unsupported { .. })
        ));
        let rfc8410 = GoPrivateKeyInfo {
            version: 0,
            algorithm: AlgorithmIdentifier {
                algorithm: OID_ED25519_RFC8410,
                parameters: None,
            },
            private_key: &[0x04, 0x20, 1, 2, 3],
        };
        assert!(matches!(
            decode(&rfc8410.to_der().unwrap()),
            Err(KeyError::Unsupported { .. })
        ));
        let dsa = GoPrivateKeyInfo {
            version: 0,
            algorithm: AlgorithmIdentifier {
                algorithm: ObjectIdentifier::new_unwrap("1.2.840.10040.4.1"),
                parameters: None,
            },
            private_key: &[2, 1, 1],
        };
        assert!(matches!(
            decode(&dsa.to_der().unwrap()),
            Err(KeyError::Unsupported { .. })
        ));
    }

    #[test]
    fn ed25519_copies_must_agree() {
        let key = PrivateKey::generate_ed25519().unwrap();
        let der = encode(&key).unwrap();
        let mut raw = der[20..].to_vec();
        assert!(decode_ed25519_raw(&raw).is_ok());
        raw[95] ^= 1;
        assert!(decode_ed25519_raw(&raw).is_err());
        assert!(decode_ed25519_raw(&raw[..64]).is_err());
    }

    #[test]
    fn trailing_bytes_are_ignored_like_go() {
        let key = PrivateKey::generate_ecdsa().unwrap();
        let mut der = encode(&key).unwrap().to_vec();
        der.extend_from_slice(&[0x0a; 10]);
        assert_eq!(decode(&der).unwrap().public_key(), key.public_key());
    }

    fn hex_literal(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
