//! Root certificates as Go notary makes them at `init` and `key rotate <gun> root`
//! (`shared/spec/keys.md` §4.1): self-signed X.509 v3, subject = issuer = `CN=<GUN>`, a random
//! positive serial below 2^128, valid from `now` (seconds) for 3650 × 24 h, extensions Key Usage
//! (critical; digitalSignature + keyEncipherment), Extended Key Usage (codeSigning) and Basic
//! Constraints (critical; CA:FALSE), in that order, and no key identifiers.
//!
//! The result is the `ecdsa-x509` (or `rsa-x509`) public key that goes into `root.json`: its
//! `public` bytes are the certificate's PEM text in Go's layout, so its canonical key ID is the ID
//! of the bare key and the private key file keeps its name (keys.md §2.2).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use der::Encode as _;
use der::asn1::UintRef;
use notary_tuf::cert::pem_encode;
use notary_tuf::sign::PrivateKey;
use notary_tuf::{Gun, KeyType, PublicKey};
use rcgen::string::PrintableString;
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa,
    KeyUsagePurpose, PublicKeyData, SerialNumber, SignatureAlgorithm, SigningKey,
};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::error::RootCertError;

/// How long Notary's root certificates are valid: 10 × 365 days (`notary.Year * 10`).
pub const ROOT_CERT_VALIDITY: Duration = Duration::days(3650);

/// Makes the self-signed root certificate for `gun` with `key`, valid from `now` (truncated to
/// whole seconds) for [`ROOT_CERT_VALIDITY`], and returns it as the root's public key:
/// `ecdsa-x509` for an ECDSA P-256 key, `rsa-x509` for an RSA key. Ed25519 keys are refused, as
/// in Go.
pub fn root_certificate(key: &PrivateKey, gun: &Gun, now: OffsetDateTime) -> Result<PublicKey, RootCertError> {
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial).map_err(|_| RootCertError::Random)?;
    root_certificate_with_serial(key, gun, now, serial)
}

/// [`root_certificate`] with a chosen serial (big-endian, read as a positive integer).
fn root_certificate_with_serial(
    key: &PrivateKey,
    gun: &Gun,
    now: OffsetDateTime,
    mut serial: [u8; 16],
) -> Result<PublicKey, RootCertError> {
    let (signer, key_type) = CertSigner::new(key)?;
    // Go's rand.Int(2^128) may in theory return 0; a zero serial is not positive, so avoid it.
    if serial == [0; 16] {
        serial[15] = 1;
    }
    let not_before = now
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .map_err(|_| RootCertError::Signing)?;

    let mut params = CertificateParams::default();
    params.not_before = not_before;
    params.not_after = not_before + ROOT_CERT_VALIDITY;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name(gun));
    params.distinguished_name = name;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    // rcgen's `IsCa::ExplicitNoCa` would also write a Subject Key Identifier, which Go does not;
    // write Basic Constraints (critical, empty SEQUENCE = CA:FALSE) ourselves. Custom extensions
    // come last, which gives Go's order: Key Usage, Extended Key Usage, Basic Constraints.
    params.is_ca = IsCa::NoCa;
    let mut basic_constraints = CustomExtension::from_oid_content(OID_BASIC_CONSTRAINTS, vec![0x30, 0x00]);
    basic_constraints.set_criticality(true);
    params.custom_extensions = vec![basic_constraints];
    params.use_authority_key_identifier_extension = false;

    let cert = params.self_signed(&signer).map_err(RootCertError::Build)?;
    Ok(PublicKey::new(
        key_type,
        pem_encode("CERTIFICATE", &[], cert.der()).into_bytes(),
    ))
}

/// The CN as Go's `encoding/asn1` writes a plain string: PrintableString when every character is
/// in its set (no `*`, `&`, `_`, …), otherwise UTF8String.
fn common_name(gun: &Gun) -> DnValue {
    match PrintableString::try_from(gun.as_str()) {
        Ok(printable) => DnValue::PrintableString(printable),
        Err(_) => DnValue::Utf8String(gun.as_str().to_owned()),
    }
}

/// Signs the certificate with our key (no key material is exported to rcgen).
///
/// rcgen's trap: [`PublicKeyData::der_bytes`] is the raw public key (the EC point, or PKCS#1
/// `RSAPublicKey`) that goes inside the SPKI BIT STRING, not the SPKI itself.
struct CertSigner<'a> {
    key: &'a PrivateKey,
    raw_public: Vec<u8>,
    algorithm: &'static SignatureAlgorithm,
}

impl<'a> CertSigner<'a> {
    fn new(key: &'a PrivateKey) -> Result<(CertSigner<'a>, KeyType), RootCertError> {
        let (raw_public, algorithm, key_type) = match key {
            PrivateKey::Ecdsa(pair) => (
                pair.public_key().as_ref().to_vec(),
                &rcgen::PKCS_ECDSA_P256_SHA256,
                KeyType::EcdsaX509,
            ),
            PrivateKey::Rsa(pair) => (
                pair.public_key().as_ref().to_vec(),
                &rcgen::PKCS_RSA_SHA256,
                KeyType::RsaX509,
            ),
            PrivateKey::Ed25519(_) => {
                return Err(RootCertError::UnsupportedKey {
                    key_type: KeyType::Ed25519.as_str().to_owned(),
                });
            }
        };
        Ok((
            CertSigner {
                key,
                raw_public,
                algorithm,
            },
            key_type,
        ))
    }
}

impl PublicKeyData for CertSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.raw_public
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}

impl SigningKey for CertSigner<'_> {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        match self.key {
            PrivateKey::Ecdsa(_) => {
                // Our ECDSA key signs in TUF's fixed r‖s form; X.509 wants Ecdsa-Sig-Value DER.
                let fixed = self.key.sign_bytes(message).map_err(|_| rcgen::Error::RemoteKeyError)?;
                ecdsa_fixed_to_der(&fixed).ok_or(rcgen::Error::RemoteKeyError)
            }
            PrivateKey::Rsa(pair) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut out)
                    .map_err(|_| rcgen::Error::RemoteKeyError)?;
                Ok(out)
            }
            PrivateKey::Ed25519(_) => Err(rcgen::Error::RemoteKeyError),
        }
    }
}

/// `r‖s` (two equal halves) → `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`.
fn ecdsa_fixed_to_der(fixed: &[u8]) -> Option<Vec<u8>> {
    if fixed.is_empty() || !fixed.len().is_multiple_of(2) {
        return None;
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let value = EcdsaSigValue {
        r: UintRef::new(r).ok()?,
        s: UintRef::new(s).ok()?,
    };
    value.to_der().ok()
}

#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];

#[cfg(test)]
mod tests {
    use notary_tuf::cert::CertChain;
    use time::{Date, Month};

    use super::*;

    fn utc(year: i32, month: Month, day: u8, hms: (u8, u8, u8), nanos: u32) -> OffsetDateTime {
        Date::from_calendar_date(year, month, day)
            .unwrap()
            .with_hms_nano(hms.0, hms.1, hms.2, nanos)
            .unwrap()
            .assume_utc()
    }

    fn gun(s: &str) -> Gun {
        s.parse().unwrap()
    }

    fn der_of(public: &PublicKey) -> Vec<u8> {
        CertChain::parse_pem(public.public_bytes())
            .unwrap()
            .first()
            .der()
            .to_vec()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn certificate_has_go_s_shape() {
        let key = PrivateKey::generate_ecdsa().unwrap();
        let now = utc(2026, Month::November, 22, (3, 41, 34), 987_654_321);
        let public = root_certificate_with_serial(&key, &gun("example.com/app"), now, [0xab; 16]).unwrap();
        assert_eq!(public.key_type(), &KeyType::EcdsaX509);
        let text = std::str::from_utf8(public.public_bytes()).unwrap();
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\nMII"));
        assert!(text.ends_with("\n-----END CERTIFICATE-----\n"));
        assert!(text.lines().all(|l| l.len() <= 64));

        let chain = CertChain::parse_pem(public.public_bytes()).unwrap();
        let (leaf, intermediates) = chain.leaf_and_intermediates().expect("a non-CA leaf");
        assert!(intermediates.is_empty());
        assert_eq!(leaf.common_name(), Some("example.com/app"));
        assert!(leaf.matches_gun(&gun("example.com/app")));
        assert_eq!(leaf.not_after(), utc(2036, Month::November, 19, (3, 41, 34), 0));
        leaf.check_valid_at(now).unwrap();
        // The canonical ID of the certificate key is the ID of the bare key (file name).
        assert_eq!(public.canonical_id().unwrap(), key.public_key().key_id());

        let der = der_of(&public);
        // Serial: 0xab… has its top bit set, so DER adds a leading zero.
        assert!(contains(&der, &[&[0x02, 0x11, 0x00][..], &[0xab; 16]].concat()));
        // ecdsa-with-SHA256 without parameters.
        assert!(contains(
            &der,
            &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]
        ));
        // CN as PrintableString (tag 0x13).
        assert!(contains(&der, b"\x06\x03\x55\x04\x03\x13\x0fexample.com/app"));
        // Validity: UTCTime, whole seconds.
        assert!(contains(&der, b"\x17\x0d261122034134Z\x17\x0d361119034134Z"));
        // Extensions, in Go's order and criticality, and nothing else.
        let key_usage = [
            0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x05, 0xa0,
        ];
        let ext_key_usage = [
            0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25, 0x04, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05,
            0x07, 0x03, 0x03,
        ];
        let basic_constraints = [
            0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00,
        ];
        let extensions = [
            &[0xa3, 0x35, 0x30, 0x33][..],
            &key_usage,
            &ext_key_usage,
            &basic_constraints,
        ]
        .concat();
        assert!(contains(&der, &extensions), "extensions differ from Go's");
        assert!(
            !contains(&der, &[0x06, 0x03, 0x55, 0x1d, 0x0e]),
            "no subject key identifier"
        );
        assert!(
            !contains(&der, &[0x06, 0x03, 0x55, 0x1d, 0x23]),
            "no authority key identifier"
        );
    }

    #[test]
    fn non_printable_gun_is_utf8_string() {
        let key = PrivateKey::generate_ecdsa().unwrap();
        let now = utc(2026, Month::January, 1, (0, 0, 0), 0);
        let public = root_certificate(&key, &gun("docker.io/library/my_app"), now).unwrap();
        assert!(contains(
            &der_of(&public),
            b"\x06\x03\x55\x04\x03\x0c\x18docker.io/library/my_app"
        ));
        let chain = CertChain::parse_pem(public.public_bytes()).unwrap();
        assert_eq!(chain.first().common_name(), Some("docker.io/library/my_app"));
    }

    #[test]
    fn signature_verifies_with_the_certified_key() {
        // The certificate's own signature is ECDSA-SHA256 DER over the TBS; check it with aws-lc.
        let key = PrivateKey::generate_ecdsa().unwrap();
        let public = root_certificate(&key, &gun("a/b"), utc(2026, Month::January, 1, (0, 0, 0), 0)).unwrap();
        let der = der_of(&public);
        let (tbs, signature) = split_certificate(&der);
        let PrivateKey::Ecdsa(pair) = &key else { unreachable!() };
        sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_ASN1, pair.public_key().as_ref())
            .verify(tbs, signature)
            .unwrap();
    }

    #[test]
    fn ed25519_keys_are_refused() {
        let key = PrivateKey::generate_ed25519().unwrap();
        let result = root_certificate(&key, &gun("a/b"), OffsetDateTime::UNIX_EPOCH);
        assert!(matches!(result, Err(RootCertError::UnsupportedKey { .. })));
    }

    #[test]
    fn fixed_to_der_handles_high_bits_and_leading_zeros() {
        let mut fixed = [0u8; 64];
        fixed[0] = 0x80;
        fixed[63] = 1;
        let der = ecdsa_fixed_to_der(&fixed).unwrap();
        assert_eq!(&der[..5], &[0x30, 0x26, 0x02, 0x21, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
        assert!(ecdsa_fixed_to_der(&[1, 2, 3]).is_none());
    }

    /// Splits a certificate DER into its TBS bytes and the signature BIT STRING content.
    fn split_certificate(der: &[u8]) -> (&[u8], &[u8]) {
        use der::{Decode, Reader, SliceReader};
        let mut reader = SliceReader::new(der).unwrap();
        let header = der::Header::decode(&mut reader).unwrap();
        assert_eq!(header.tag(), der::Tag::Sequence);
        let start = u32::from(reader.position()) as usize;
        let tbs_any = der::asn1::AnyRef::decode(&mut reader).unwrap();
        let tbs_end = u32::from(reader.position()) as usize;
        let _alg = der::asn1::AnyRef::decode(&mut reader).unwrap();
        let sig = der::asn1::BitStringRef::decode(&mut reader).unwrap();
        let _ = tbs_any;
        (&der[start..tbs_end], sig.raw_bytes())
    }
}
