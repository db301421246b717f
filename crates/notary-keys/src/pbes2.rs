//! Passphrase encryption of private keys exactly as Go notary does it (`shared/spec/keys.md`
//! §5.4): PKCS#8 `EncryptedPrivateKeyInfo` with PBES2 = PBKDF2-HMAC-SHA1 (8-byte salt, 2048
//! iterations, no keyLength, no PRF field) + AES-256-CBC (16-byte IV), PKCS#7 padding.
//!
//! Reading follows Go, including its quirk: the PRF field is **ignored** and SHA-1 is always used,
//! so a file made with OpenSSL's default `hmacWithSHA256` decrypts to garbage and is reported as
//! [`KeyFileError::WrongPassphrase`], exactly where Go says `password invalid`. Padding is not
//! checked (Go does not check it either); a wrong passphrase is detected because the plaintext
//! does not parse as a `PrivateKeyInfo`.

use std::num::NonZeroU32;

use aws_lc_rs::cipher::{
    AES_256, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::pbkdf2;
use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, DecodeValue, Encode, Header, Reader, Sequence};
use zeroize::Zeroizing;

use crate::error::KeyFileError;
use crate::pkcs8::AlgorithmIdentifier;

/// Salt length Go notary writes.
pub(crate) const SALT_LEN: usize = 8;
/// PBKDF2 iteration count Go notary writes.
pub(crate) const ITERATIONS: u32 = 2048;
/// The largest iteration count we accept when reading: ~3 s of PBKDF2 on a slow machine, so a
/// hostile file cannot pin a CPU for hours.
pub(crate) const MAX_ITERATIONS: u64 = 10_000_000;
/// AES block and IV length.
pub(crate) const BLOCK_LEN: usize = 16;

/// Encrypts a plaintext `PrivateKeyInfo` with a fresh random salt and IV; returns the DER of the
/// `EncryptedPrivateKeyInfo`.
pub(crate) fn encrypt(plaintext: &[u8], passphrase: &[u8]) -> Result<Vec<u8>, KeyFileError> {
    let mut salt = [0u8; SALT_LEN];
    let mut iv = [0u8; BLOCK_LEN];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| crate::KeyError::Generation)?;
    aws_lc_rs::rand::fill(&mut iv).map_err(|_| crate::KeyError::Generation)?;
    encrypt_with(plaintext, passphrase, &salt, ITERATIONS, iv)
}

/// [`encrypt`] with chosen salt, iteration count and IV (for byte-exact tests against Go's files).
pub(crate) fn encrypt_with(
    plaintext: &[u8],
    passphrase: &[u8],
    salt: &[u8],
    iterations: u32,
    iv: [u8; BLOCK_LEN],
) -> Result<Vec<u8>, KeyFileError> {
    let key = derive_key(passphrase, salt, u64::from(iterations))?;
    // PKCS#7: always 1..=16 bytes of padding.
    let pad = BLOCK_LEN - plaintext.len() % BLOCK_LEN;
    let mut data = Zeroizing::new(Vec::with_capacity(plaintext.len() + pad));
    data.extend_from_slice(plaintext);
    data.resize(plaintext.len() + pad, pad as u8);
    let cipher = UnboundCipherKey::new(&AES_256, &key[..])
        .and_then(EncryptingKey::cbc)
        .map_err(|_| KeyFileError::UnsupportedEncryption {
            reason: "AES-256-CBC unavailable",
        })?;
    cipher
        .less_safe_encrypt(&mut data, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| KeyFileError::UnsupportedEncryption {
            reason: "AES-256-CBC encryption failed",
        })?;

    let encode_failed = |_| KeyFileError::MalformedEncryption {
        reason: "DER encoding failed",
    };
    let kdf_params = Pbkdf2ParamsOut {
        salt,
        iteration_count: iterations,
    }
    .to_der()
    .map_err(encode_failed)?;
    let iv_der = OctetStringRef::new(&iv)
        .and_then(|o| o.to_der())
        .map_err(encode_failed)?;
    let scheme = Pbes2Params {
        key_derivation_func: AlgorithmIdentifier {
            algorithm: OID_PBKDF2,
            parameters: Some(any(&kdf_params)?),
        },
        encryption_scheme: AlgorithmIdentifier {
            algorithm: OID_AES256_CBC,
            parameters: Some(any(&iv_der)?),
        },
    }
    .to_der()
    .map_err(encode_failed)?;
    let info = EncryptedPrivateKeyInfo {
        encryption_algorithm: AlgorithmIdentifier {
            algorithm: OID_PBES2,
            parameters: Some(any(&scheme)?),
        },
        encrypted_data: &data,
    };
    info.to_der().map_err(encode_failed)
}

/// Decrypts the DER of an `EncryptedPrivateKeyInfo`. Returns the raw plaintext, padding included
/// (callers parse the leading `PrivateKeyInfo` and ignore the rest, as Go does).
pub(crate) fn decrypt(der: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    let malformed = |reason| move |_| KeyFileError::MalformedEncryption { reason };
    let info = EncryptedPrivateKeyInfo::from_der(der).map_err(malformed("invalid EncryptedPrivateKeyInfo"))?;
    if info.encryption_algorithm.algorithm != OID_PBES2 {
        return Err(KeyFileError::UnsupportedEncryption {
            reason: "only PBES2 is supported",
        });
    }
    let params: Pbes2Params<'_> = info
        .encryption_algorithm
        .parameters
        .ok_or(KeyFileError::MalformedEncryption {
            reason: "missing PBES2 parameters",
        })?
        .decode_as()
        .map_err(malformed("invalid PBES2 parameters"))?;
    if params.key_derivation_func.algorithm != OID_PBKDF2 {
        return Err(KeyFileError::UnsupportedEncryption {
            reason: "only PBKDF2 is supported",
        });
    }
    if params.encryption_scheme.algorithm != OID_AES256_CBC {
        return Err(KeyFileError::UnsupportedEncryption {
            reason: "only AES-256-CBC is supported",
        });
    }
    let kdf: Pbkdf2ParamsIn<'_> = params
        .key_derivation_func
        .parameters
        .ok_or(KeyFileError::MalformedEncryption {
            reason: "missing PBKDF2 parameters",
        })?
        .decode_as()
        .map_err(malformed("invalid PBKDF2 parameters"))?;
    let iv: &OctetStringRef = params
        .encryption_scheme
        .parameters
        .ok_or(KeyFileError::MalformedEncryption {
            reason: "missing AES-256-CBC IV",
        })?
        .decode_as()
        .map_err(malformed("invalid AES-256-CBC IV"))?;
    let iv: [u8; BLOCK_LEN] = iv
        .as_bytes()
        .try_into()
        .map_err(|_| KeyFileError::MalformedEncryption {
            reason: "AES-256-CBC IV must be 16 bytes",
        })?;
    if info.encrypted_data.is_empty() || !info.encrypted_data.len().is_multiple_of(BLOCK_LEN) {
        return Err(KeyFileError::MalformedEncryption {
            reason: "ciphertext is not a whole number of AES blocks",
        });
    }

    let key = derive_key(passphrase, kdf.salt, kdf.iteration_count)?;
    let cipher = UnboundCipherKey::new(&AES_256, &key[..])
        .and_then(DecryptingKey::cbc)
        .map_err(|_| KeyFileError::UnsupportedEncryption {
            reason: "AES-256-CBC unavailable",
        })?;
    let mut data = Zeroizing::new(info.encrypted_data.to_vec());
    cipher
        .decrypt(&mut data, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| KeyFileError::MalformedEncryption {
            reason: "AES-256-CBC decryption failed",
        })?;
    Ok(data)
}

/// PBKDF2-HMAC-SHA1 → 32-byte AES key. Always SHA-1, whatever the file's PRF says (Go).
fn derive_key(passphrase: &[u8], salt: &[u8], iterations: u64) -> Result<Zeroizing<[u8; 32]>, KeyFileError> {
    if iterations > MAX_ITERATIONS {
        return Err(KeyFileError::UnsupportedEncryption {
            reason: "PBKDF2 iteration count is too large",
        });
    }
    // Go's PBKDF2 treats 0 iterations like 1 (the first block only).
    let iterations = u32::try_from(iterations)
        .ok()
        .and_then(NonZeroU32::new)
        .unwrap_or(NonZeroU32::MIN);
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA1, iterations, salt, passphrase, &mut key[..]);
    Ok(key)
}

fn any(der: &[u8]) -> Result<AnyRef<'_>, KeyFileError> {
    AnyRef::from_der(der).map_err(|_| KeyFileError::MalformedEncryption {
        reason: "DER encoding failed",
    })
}

/// `EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }`.
#[derive(Sequence)]
struct EncryptedPrivateKeyInfo<'a> {
    encryption_algorithm: AlgorithmIdentifier<'a>,
    #[asn1(type = "OCTET STRING")]
    encrypted_data: &'a [u8],
}

/// `PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }`.
#[derive(Sequence)]
struct Pbes2Params<'a> {
    key_derivation_func: AlgorithmIdentifier<'a>,
    encryption_scheme: AlgorithmIdentifier<'a>,
}

/// `PBKDF2-params` as Go writes them: salt and iteration count only.
#[derive(Sequence)]
struct Pbkdf2ParamsOut<'a> {
    #[asn1(type = "OCTET STRING")]
    salt: &'a [u8],
    iteration_count: u32,
}

/// `PBKDF2-params` as Go reads them: salt and iteration count; `keyLength` and `prf` (and anything
/// else) are skipped.
struct Pbkdf2ParamsIn<'a> {
    salt: &'a [u8],
    iteration_count: u64,
}

impl<'a> DecodeValue<'a> for Pbkdf2ParamsIn<'a> {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        let salt = <&OctetStringRef>::decode(reader)?.as_bytes();
        let iteration_count = reader.decode()?;
        let rest = reader.remaining_len();
        reader.read_slice(rest)?;
        Ok(Pbkdf2ParamsIn { salt, iteration_count })
    }
}

impl der::FixedTag for Pbkdf2ParamsIn<'_> {
    const TAG: der::Tag = der::Tag::Sequence;
}

const OID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const OID_PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
const OID_AES256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_then_decrypt() {
        let plain = b"0123456789abcdef0123";
        let der = encrypt(plain, b"pass").unwrap();
        let back = decrypt(&der, b"pass").unwrap();
        assert_eq!(&back[..plain.len()], plain);
        assert_eq!(back.len(), 32);
        assert_eq!(&back[plain.len()..], &[12u8; 12]);
    }

    #[test]
    fn whole_block_plaintext_gets_a_full_padding_block() {
        let der = encrypt(&[7u8; 32], b"pass").unwrap();
        let back = decrypt(&der, b"pass").unwrap();
        assert_eq!(back.len(), 48);
        assert_eq!(&back[32..], &[16u8; 16]);
    }

    #[test]
    fn layout_has_no_key_length_and_no_prf() {
        let der = encrypt_with(&[1u8; 150], b"pass", &[0xAA; 8], 2048, [0xBB; 16]).unwrap();
        // SEQUENCE { SEQUENCE(0x49) { PBES2, SEQUENCE(0x3c) { SEQUENCE(0x1b) { PBKDF2,
        //   SEQUENCE(0x0e) { OCTET STRING(8), INTEGER 2048 } }, SEQUENCE(0x1d) { aes256-CBC, OCTET STRING(16) } } }
        let expected_prefix = [
            0x30, 0x81, 0xee, 0x30, 0x49, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d, 0x30, 0x3c,
            0x30, 0x1b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c, 0x30, 0x0e, 0x04, 0x08, 0xaa,
            0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x02, 0x02, 0x08, 0x00, 0x30, 0x1d, 0x06, 0x09, 0x60, 0x86, 0x48,
            0x01, 0x65, 0x03, 0x04, 0x01, 0x2a, 0x04, 0x10,
        ];
        assert_eq!(&der[..expected_prefix.len()], &expected_prefix);
        assert_eq!(&der[expected_prefix.len()..expected_prefix.len() + 16], &[0xBB; 16]);
        assert_eq!(
            &der[expected_prefix.len() + 16..expected_prefix.len() + 19],
            &[0x04, 0x81, 0xa0]
        );
    }

    #[test]
    fn iteration_cap_is_enforced_before_any_work() {
        // Build a file claiming u32::MAX iterations; decrypting must fail fast.
        let der = encrypt_with(&[1u8; 16], b"pass", &[1; 8], u32::MAX, [2; 16]);
        // encrypt_with itself refuses to derive with that many iterations.
        assert!(matches!(der, Err(KeyFileError::UnsupportedEncryption { .. })));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&b""[..], &[0x30, 0x00], &[0x30, 0x03, 0x30, 0x01, 0x00], &[0xff; 40]] {
            assert!(decrypt(bytes, b"x").is_err());
        }
    }
}
