//! CA trust pinning through `verify_root` (client.md §3 step 3, keys.md §4.2): root certificates
//! issued by a CA (directly or through intermediates carried in the root key) are accepted when
//! they chain to a pinned CA under Go's default X.509 verification, serverAuth EKU included.
//! The PKI is made here with rcgen at test time.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use notary_tuf::cert::{self, CaBundle};
use notary_tuf::error::{CertError, VerifyError};
use notary_tuf::metadata::Root;
use notary_tuf::sign::PrivateKey;
use notary_tuf::verify::{self, Expiry, TrustPinning};
use notary_tuf::{KeyType, PublicKey};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use time::Duration;

use crate::fixture::{NOW, TestKey, root_body, sign};

const GUN: &str = "example.com/ca-pinned";
const NO_MATCH: &str =
    "could not validate the path to a trusted root: unable to match any certificates to trust_pinning config";
const NO_CA: &str = "could not validate the path to a trusted root: invalid CA certs provided";

/// A certificate authority made with rcgen: its PEM and what it needs to issue certificates.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A self-signed CA, valid around `NOW` unless `edit` says otherwise.
    fn root(cn: &str, edit: impl FnOnce(&mut CertificateParams)) -> Ca {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn, edit);
        let pem = params.self_signed(&key).unwrap().pem();
        Ca {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate CA issued by `self`.
    fn intermediate(&self, cn: &str, edit: impl FnOnce(&mut CertificateParams)) -> Ca {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn, edit);
        let pem = params.signed_by(&key, &self.issuer).unwrap().pem();
        Ca {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A root-key leaf certificate (CN = `GUN`, CA:FALSE, no EKU unless `edit` adds one) issued by
    /// `self`; the root key's `public` holds the leaf then `intermediates`.
    fn leaf(&self, intermediates: &[&Ca], edit: impl FnOnce(&mut CertificateParams)) -> TestKey {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, GUN);
        params.not_before = NOW - Duration::hours(1);
        params.not_after = NOW + Duration::days(365);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        edit(&mut params);
        let leaf = params.signed_by(&key, &self.issuer).unwrap();
        let mut public = cert::pem_encode("CERTIFICATE", &[], leaf.der());
        for intermediate in intermediates {
            public.push_str(&intermediate.pem);
        }
        TestKey {
            private: PrivateKey::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.serialize_der()).unwrap(),
            ),
            public: PublicKey::new(KeyType::EcdsaX509, public.into_bytes()),
        }
    }
}

fn ca_params(cn: &str, edit: impl FnOnce(&mut CertificateParams)) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.not_before = NOW - Duration::days(1);
    params.not_after = NOW + Duration::days(3650);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    edit(&mut params);
    params
}

fn bundle(cas: &[&Ca]) -> TrustPinning {
    let pem: String = cas.iter().map(|ca| ca.pem.as_str()).collect();
    TrustPinning::Ca(CaBundle::parse_pem(pem.as_bytes()).unwrap())
}

/// A root whose only root key is `root_key`, signed by it.
fn root_signed_by(root_key: &TestKey) -> notary_tuf::metadata::Signed<Root> {
    let (targets, snapshot, timestamp) = (TestKey::ecdsa(), TestKey::ecdsa(), TestKey::ed25519());
    let body = root_body(
        &[
            (root_key, "root"),
            (&targets, "targets"),
            (&snapshot, "snapshot"),
            (&timestamp, "timestamp"),
        ],
        1,
    );
    sign(body, &[root_key])
}

fn verify(root_key: &TestKey, pinning: &TrustPinning) -> Result<(), VerifyError> {
    verify::verify_root(
        root_signed_by(root_key),
        None,
        &GUN.parse().unwrap(),
        pinning,
        0,
        Expiry::Enforce,
        NOW,
    )
    .map(drop)
}

fn refused_with(root_key: &TestKey, pinning: &TrustPinning, message: &str) {
    let err = verify(root_key, pinning).unwrap_err();
    assert!(matches!(err, VerifyError::RootPinning { .. }), "{err:?}");
    assert_eq!(err.to_string(), message);
}

#[test]
fn leaf_chaining_through_its_intermediate_to_the_pinned_ca_is_accepted() {
    let ca = Ca::root("Test Root CA", |_| {});
    let intermediate = ca.intermediate("Test Intermediate", |_| {});
    let key = intermediate.leaf(&[&intermediate], |_| {});
    verify(&key, &bundle(&[&ca])).unwrap();
    // Any certificate of the bundle is an anchor, self-signed or not, wherever it stands.
    let other = Ca::root("Other CA", |_| {});
    verify(&key, &bundle(&[&other, &intermediate])).unwrap();
    // The same root is also fine under TOFU, which does not look at issuers.
    verify(&key, &TrustPinning::TrustOnFirstUse).unwrap();
}

#[test]
fn leaf_issued_directly_by_the_pinned_ca_is_accepted() {
    let ca = Ca::root("Test Root CA", |_| {});
    verify(&ca.leaf(&[], |_| {}), &bundle(&[&ca])).unwrap();
}

#[test]
fn another_ca_matches_no_certificate() {
    let ca = Ca::root("Test Root CA", |_| {});
    let other = Ca::root("Test Root CA", |_| {}); // same name, other key
    let key = ca.leaf(&[], |_| {});
    refused_with(&key, &bundle(&[&other]), NO_MATCH);
}

#[test]
fn the_intermediate_must_be_in_the_root_key() {
    let ca = Ca::root("Test Root CA", |_| {});
    let intermediate = ca.intermediate("Test Intermediate", |_| {});
    let key = intermediate.leaf(&[], |_| {});
    refused_with(&key, &bundle(&[&ca]), NO_MATCH);
}

#[test]
fn the_leaf_needs_a_server_auth_compatible_eku() {
    let ca = Ca::root("Test Root CA", |_| {});
    let with_eku = |purposes: Vec<ExtendedKeyUsagePurpose>| ca.leaf(&[], |p| p.extended_key_usages = purposes);
    // What Notary itself puts in root certificates: never passes CA pinning (keys.md §4.2).
    refused_with(
        &with_eku(vec![ExtendedKeyUsagePurpose::CodeSigning]),
        &bundle(&[&ca]),
        NO_MATCH,
    );
    refused_with(
        &with_eku(vec![ExtendedKeyUsagePurpose::ClientAuth]),
        &bundle(&[&ca]),
        NO_MATCH,
    );
    for ok in [
        vec![ExtendedKeyUsagePurpose::ServerAuth],
        vec![
            ExtendedKeyUsagePurpose::CodeSigning,
            ExtendedKeyUsagePurpose::ServerAuth,
        ],
        vec![ExtendedKeyUsagePurpose::Any],
    ] {
        verify(&with_eku(ok.clone()), &bundle(&[&ca])).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
}

#[test]
fn every_certificate_of_the_chain_must_allow_server_auth() {
    let ca = Ca::root("Test Root CA", |_| {});
    let intermediate = ca.intermediate("Code signing CA", |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    });
    refused_with(&intermediate.leaf(&[&intermediate], |_| {}), &bundle(&[&ca]), NO_MATCH);
    let restricted_root = Ca::root("Code signing root", |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    });
    refused_with(
        &restricted_root.leaf(&[], |_| {}),
        &bundle(&[&restricted_root]),
        NO_MATCH,
    );
}

#[test]
fn notary_generated_self_signed_roots_never_pass_ca_pinning() {
    let key = TestKey::root(GUN);
    let pem = String::from_utf8(key.public.public_bytes().to_vec()).unwrap();
    let pinning = TrustPinning::Ca(CaBundle::parse_pem(pem.as_bytes()).unwrap());
    refused_with(&key, &pinning, NO_MATCH);
    // Pinning the leaf itself works when it has no EKU: an anchor equal to the leaf is a chain.
    let plain = TestKey::root_with(GUN, |p| p.extended_key_usages.clear());
    let pinning = TrustPinning::Ca(CaBundle::parse_pem(plain.public.public_bytes()).unwrap());
    verify(&plain, &pinning).unwrap();
}

#[test]
fn expired_ca_certificates_are_dropped() {
    let expired = Ca::root("Expired CA", |p| {
        p.not_before = NOW - Duration::days(30);
        p.not_after = NOW - Duration::days(1);
    });
    let key = expired.leaf(&[], |_| {});
    refused_with(&key, &bundle(&[&expired]), NO_CA);
    let other = Ca::root("Other CA", |_| {});
    refused_with(&key, &bundle(&[&expired, &other]), NO_MATCH);
    // Far in the future: also unusable (more than 24 hours ahead).
    let future = Ca::root("Future CA", |p| p.not_before = NOW + Duration::days(2));
    refused_with(&future.leaf(&[], |_| {}), &bundle(&[&future]), NO_CA);
}

#[test]
fn a_ca_starting_within_a_day_is_kept_but_must_be_valid_now_to_verify() {
    // Notary keeps it (24 h leeway), Go's x509 verification then has no leeway.
    let soon = Ca::root("Soon CA", |p| p.not_before = NOW + Duration::hours(2));
    refused_with(&soon.leaf(&[], |_| {}), &bundle(&[&soon]), NO_MATCH);
}

#[test]
fn leaf_must_be_valid_now_without_leeway() {
    let ca = Ca::root("Test Root CA", |_| {});
    let key = ca.leaf(&[], |p| p.not_before = NOW + Duration::hours(2));
    // Usable as a root certificate (24 h leeway) under TOFU, but not under CA pinning.
    verify(&key, &TrustPinning::TrustOnFirstUse).unwrap();
    refused_with(&key, &bundle(&[&ca]), NO_MATCH);
}

#[test]
fn intermediates_must_be_cas_within_the_path_length() {
    let ca = Ca::root("Test Root CA", |_| {});
    // A CA:FALSE certificate after the leaf makes the key no root certificate at all…
    let not_ca = ca.intermediate("Not a CA", |p| p.is_ca = IsCa::ExplicitNoCa);
    refused_with(
        &not_ca.leaf(&[&not_ca], |_| {}),
        &bundle(&[&ca]),
        "could not validate the path to a trusted root: unable to retrieve valid leaf certificates",
    );
    // …and as a pinned anchor it is kept but cannot have issued anything.
    let not_ca = Ca::root("Not a CA", |p| p.is_ca = IsCa::ExplicitNoCa);
    refused_with(&not_ca.leaf(&[], |_| {}), &bundle(&[&not_ca]), NO_MATCH);

    let no_intermediates = Ca::root("Path length 0", |p| {
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    });
    let intermediate = no_intermediates.intermediate("Intermediate", |_| {});
    refused_with(
        &intermediate.leaf(&[&intermediate], |_| {}),
        &bundle(&[&no_intermediates]),
        NO_MATCH,
    );
    verify(&no_intermediates.leaf(&[], |_| {}), &bundle(&[&no_intermediates])).unwrap();

    let one = Ca::root("Path length 1", |p| {
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(1))
    });
    let intermediate = one.intermediate("Intermediate", |_| {});
    verify(&intermediate.leaf(&[&intermediate], |_| {}), &bundle(&[&one])).unwrap();
}

#[test]
fn an_issuer_without_cert_sign_key_usage_cannot_issue() {
    let ca = Ca::root("Test Root CA", |p| {
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature]
    });
    refused_with(&ca.leaf(&[], |_| {}), &bundle(&[&ca]), NO_MATCH);
    let ca = Ca::root("Test Root CA", |p| p.key_usages = vec![KeyUsagePurpose::KeyCertSign]);
    verify(&ca.leaf(&[], |_| {}), &bundle(&[&ca])).unwrap();
}

#[test]
fn an_expired_intermediate_breaks_the_chain() {
    let ca = Ca::root("Test Root CA", |_| {});
    let intermediate = ca.intermediate("Expired intermediate", |p| p.not_after = NOW - Duration::hours(1));
    refused_with(&intermediate.leaf(&[&intermediate], |_| {}), &bundle(&[&ca]), NO_MATCH);
}

#[test]
fn ca_bundles_must_hold_only_certificates() {
    let ca = Ca::root("Test Root CA", |_| {});
    let two = format!("{}{}", ca.pem, Ca::root("Second", |_| {}).pem);
    assert_eq!(CaBundle::parse_pem(two.as_bytes()).unwrap().certificates().len(), 2);
    let with_key = format!("{}-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", ca.pem);
    assert!(matches!(
        CaBundle::parse_pem(with_key.as_bytes()),
        Err(CertError::Malformed(_))
    ));
    assert!(CaBundle::parse_pem(b"").is_err());
    assert!(CaBundle::parse_pem(b"not a certificate").is_err());
    assert!(CaBundle::parse_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err());
}

/// The Go-made `ca-pinning` vector: each bundle gives the result the Go CLI gave (see its README).
#[test]
fn go_vector_ca_pinning_results() {
    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ca-pinning/");
    let read = |name: &str| std::fs::read(format!("{DIR}{name}")).unwrap();
    let bundle = |names: &[&str]| {
        let pem: Vec<u8> = names.iter().flat_map(|n| read(n)).collect();
        TrustPinning::Ca(CaBundle::parse_pem(&pem).unwrap())
    };
    let now = time::macros::datetime!(2026-12-03 00:00 UTC);
    let check = |pinning: TrustPinning| {
        verify::verify_root(
            notary_tuf::metadata::Signed::parse(read("root.json")).unwrap(),
            None,
            &"example.com/capin".parse().unwrap(),
            &pinning,
            0,
            Expiry::Enforce,
            now,
        )
        .map(drop)
        .map_err(|e| e.to_string())
    };
    assert_eq!(check(bundle(&["ca.crt"])), Err(NO_MATCH.to_owned()));
    check(bundle(&["int.crt"])).unwrap();
    check(bundle(&["ca.crt", "int.crt"])).unwrap();
    assert_eq!(check(bundle(&["other.crt"])), Err(NO_MATCH.to_owned()));
    assert_eq!(check(bundle(&["weak.crt"])), Err(NO_CA.to_owned()));
    assert_eq!(check(bundle(&["weak.crt", "ca.crt"])), Err(NO_MATCH.to_owned()));
    check(TrustPinning::TrustOnFirstUse).unwrap();
}
