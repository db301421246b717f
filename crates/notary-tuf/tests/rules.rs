//! One accepting and one rejecting test per verification rule (metadata.md §3–§9, §12, §13;
//! keys.md §3), each rejection with its exact error variant and Go's message, and the property
//! tests of STYLE.md §4 (parse → serialise → parse keeps everything; sign → verify, and a flipped
//! byte breaks it).

use std::collections::BTreeMap;

use notary_tuf::error::{SignatureError, VerifyError};
use notary_tuf::metadata::{
    self, DelegatedRole, Delegations, FileMeta, Hashes, RoleBody, RoleKeys, Root, Signature, Signed, Snapshot, Targets,
    Timestamp, Verified,
};
use notary_tuf::verify::{self, Expiry, TrustPinning};
use notary_tuf::{Expires, Gun, KeyId, KeyType, Method, PublicKey, RoleName};
use proptest::prelude::*;
use serde_json::Value;
use time::{Duration, UtcOffset};

use crate::fixture::{NOW, TestKey, delegate, expires, expires_at, key_set, role_keys, root_body, sign, targets_body};

// ---------------------------------------------------------------------------------------------
// Signature threshold (metadata.md §12.3, keys.md §3)

/// The canonical bytes every signature test signs.
fn message() -> Vec<u8> {
    metadata::canonical_body(&targets_body(&[("v1", b"one")], 1)).unwrap()
}

fn signature(key: &TestKey, canonical: &[u8]) -> Signature {
    key.private.sign(key.id(), canonical).unwrap()
}

#[test]
fn one_valid_signature_meets_threshold_one() {
    let a = TestKey::ecdsa();
    let msg = message();
    let keys = role_keys(&[&a]);
    verify::check_signatures("targets", &msg, &[signature(&a, &msg)], &key_set(&keys, 1)).unwrap();
}

#[test]
fn zero_signatures_are_refused() {
    let a = TestKey::ecdsa();
    let keys = role_keys(&[&a]);
    let err = verify::check_signatures("targets", &message(), &[], &key_set(&keys, 1)).unwrap_err();
    assert_eq!(err, VerifyError::NoSignatures { role: "targets".into() });
    assert_eq!(err.to_string(), "tuf: data has no signatures");
}

#[test]
fn fewer_valid_signatures_than_the_threshold_are_refused() {
    let (a, b) = (TestKey::ecdsa(), TestKey::ecdsa());
    let msg = message();
    let keys = role_keys(&[&a, &b]);
    let err = verify::check_signatures("targets", &msg, &[signature(&a, &msg)], &key_set(&keys, 2)).unwrap_err();
    assert_eq!(
        err,
        VerifyError::ThresholdNotMet {
            role: "targets".into(),
            needed: 2,
            valid: 1
        }
    );
    assert_eq!(err.to_string(), "valid signatures did not meet threshold for targets");
}

#[test]
fn threshold_two_is_met_by_two_distinct_keys() {
    let (a, b) = (TestKey::ecdsa(), TestKey::ed25519());
    let msg = message();
    let keys = role_keys(&[&a, &b]);
    let sigs = [signature(&b, &msg), signature(&a, &msg)];
    verify::check_signatures("targets", &msg, &sigs, &key_set(&keys, 2)).unwrap();
}

#[test]
fn two_signatures_by_the_same_key_count_once() {
    let (a, b) = (TestKey::ecdsa(), TestKey::ecdsa());
    let msg = message();
    let keys = role_keys(&[&a, &b]);
    // ECDSA is randomised: two different, both valid, signatures by one key.
    let sigs = [signature(&a, &msg), signature(&a, &msg)];
    assert_ne!(sigs[0].sig, sigs[1].sig);
    let err = verify::check_signatures("targets", &msg, &sigs, &key_set(&keys, 2)).unwrap_err();
    assert_eq!(
        err,
        VerifyError::ThresholdNotMet {
            role: "targets".into(),
            needed: 2,
            valid: 1
        }
    );
}

#[test]
fn key_id_that_does_not_match_the_key_content_is_a_hard_error() {
    let (a, b, c) = (TestKey::ecdsa(), TestKey::ecdsa(), TestKey::ecdsa());
    let msg = message();
    // The role lists `a`'s ID but maps it to `b`'s key.
    let keys = vec![(a.id(), b.public.clone()), (c.id(), c.public.clone())];
    for sigs in [
        vec![signature(&a, &msg)],
        // Even after a valid signature has met the threshold (Go looks at every signature).
        vec![signature(&c, &msg), signature(&a, &msg)],
    ] {
        let err = verify::check_signatures("targets", &msg, &sigs, &key_set(&keys, 1)).unwrap_err();
        assert_eq!(
            err,
            VerifyError::InvalidKeyId {
                role: "targets".into(),
                key_id: a.id()
            }
        );
        assert_eq!(err.to_string(), "key ID is not valid for key content");
    }
}

#[test]
fn unknown_method_is_skipped() {
    let (a, b) = (TestKey::ecdsa(), TestKey::ecdsa());
    let msg = message();
    let keys = role_keys(&[&a, &b]);
    let mut unknown = signature(&a, &msg);
    unknown.method = Method::parse("hmac-sha256");
    let err =
        verify::check_signatures("targets", &msg, std::slice::from_ref(&unknown), &key_set(&keys, 1)).unwrap_err();
    assert!(matches!(err, VerifyError::ThresholdNotMet { valid: 0, .. }), "{err:?}");
    // Skipped, not fatal: another valid signature still counts.
    verify::check_signatures("targets", &msg, &[unknown, signature(&b, &msg)], &key_set(&keys, 1)).unwrap();
}

#[test]
fn method_is_read_case_insensitively() {
    let a = TestKey::ecdsa();
    let signed = sign(targets_body(&[], 1), &[&a]);
    let raw = String::from_utf8(signed.raw().to_vec())
        .unwrap()
        .replace(r#""method":"ecdsa""#, r#""method":"ECDSA""#);
    let parsed = Signed::<Targets>::parse(raw.into_bytes()).unwrap();
    assert_eq!(parsed.signatures()[0].method, Method::Ecdsa);
    let keys = role_keys(&[&a]);
    verify::check_signatures("targets", parsed.canonical(), parsed.signatures(), &key_set(&keys, 1)).unwrap();
}

#[test]
fn method_that_does_not_fit_the_key_type_is_skipped() {
    let msg = message();
    let cases = [
        ("eddsa method on an ecdsa key", TestKey::ecdsa(), "eddsa"),
        ("ecdsa signature relabelled rsapss", TestKey::ecdsa(), "rsapss"),
        (
            "ecdsa signature relabelled rsapkcs1v15",
            TestKey::ecdsa(),
            "rsapkcs1v15",
        ),
        ("ed25519 signature relabelled ecdsa", TestKey::ed25519(), "ecdsa"),
        (
            "eddsa method on an ecdsa-x509 key",
            TestKey::root("example.com/app"),
            "eddsa",
        ),
    ];
    for (case, key, method) in cases {
        let keys = role_keys(&[&key]);
        let good = signature(&key, &msg);
        // The unchanged signature verifies: only the label differs.
        verify::check_signatures("targets", &msg, std::slice::from_ref(&good), &key_set(&keys, 1)).unwrap();
        let relabelled = Signature {
            method: Method::parse(method),
            ..good
        };
        let err = verify::check_signatures("targets", &msg, &[relabelled], &key_set(&keys, 1)).unwrap_err();
        assert!(
            matches!(err, VerifyError::ThresholdNotMet { valid: 0, .. }),
            "{case}: {err:?}"
        );
    }
}

#[test]
fn signature_that_does_not_verify_is_skipped() {
    let a = TestKey::ecdsa();
    let msg = message();
    let keys = role_keys(&[&a]);
    let mut bad = signature(&a, &msg);
    bad.sig[10] ^= 1;
    let err = verify::check_signatures("targets", &msg, std::slice::from_ref(&bad), &key_set(&keys, 1)).unwrap_err();
    assert!(matches!(err, VerifyError::ThresholdNotMet { valid: 0, .. }), "{err:?}");
    verify::check_signatures("targets", &msg, &[bad, signature(&a, &msg)], &key_set(&keys, 1)).unwrap();
}

#[test]
fn signature_by_a_key_outside_the_role_is_ignored() {
    let (a, outsider) = (TestKey::ecdsa(), TestKey::ecdsa());
    let msg = message();
    let keys = role_keys(&[&a]);
    let err = verify::check_signatures("targets", &msg, &[signature(&outsider, &msg)], &key_set(&keys, 1)).unwrap_err();
    assert!(matches!(err, VerifyError::ThresholdNotMet { valid: 0, .. }), "{err:?}");
    let sigs = [signature(&outsider, &msg), signature(&a, &msg)];
    verify::check_signatures("targets", &msg, &sigs, &key_set(&keys, 1)).unwrap();
}

#[test]
fn threshold_below_one_is_refused() {
    let a = TestKey::ecdsa();
    let msg = message();
    let keys = role_keys(&[&a]);
    for threshold in [0, -1, i64::MIN] {
        let err =
            verify::check_signatures("targets", &msg, &[signature(&a, &msg)], &key_set(&keys, threshold)).unwrap_err();
        assert_eq!(
            err,
            VerifyError::ThresholdNotMet {
                role: "targets".into(),
                needed: 0,
                valid: 0
            },
            "threshold {threshold}"
        );
    }
}

/// A 1024-bit RSA public key (`openssl genrsa 1024`, OpenSSL 3.0; `openssl rsa -pubout`).
const RSA_1024_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCkZYWGEAlC1fYVvBfKTfolYLOc
GEiLWfUB3GaBCAk8IAl/e4FgdbNg8hpl0Yv4yKgdYKQhNGhqiKtjNlc3kVTGK0cg
WabB3DF8sHMUTOHO/en/blnkEQ6JsriPH+Jq6IM3fx4/0rwXdS9+z7zhy3xq8F/E
zned1NiFanY2HJw8GwIDAQAB
-----END PUBLIC KEY-----
";

/// A P-384 public key (`openssl ecparam -name secp384r1 -genkey`; `openssl ec -pubout`).
const P384_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEBzmaRCti/nhp6JW+fK4qifpjcik3KayH
pL97nBq9h9CfQ9XL9QobwHsfxJu0R4HcjK5rgve9osmIGtwB9jXElfY9SUxg+BnH
06JM3RjcEKhE0uq04sWDqDiqmGynUbjH
-----END PUBLIC KEY-----
";

fn der_of(pem_text: &str) -> Vec<u8> {
    pem::parse(pem_text).unwrap().into_contents()
}

#[test]
fn unusable_keys_never_verify() {
    // keys.md §3: P-256 only for ecdsa, 32-byte ed25519 keys, RSA of at least 2048 bits.
    let msg = message();
    let cases = [
        (
            "ed25519 key of 31 bytes",
            PublicKey::new(KeyType::Ed25519, vec![7; 31]),
            Method::Eddsa,
            64,
        ),
        (
            "P-384 ecdsa key",
            PublicKey::new(KeyType::Ecdsa, der_of(P384_SPKI_PEM)),
            Method::Ecdsa,
            64,
        ),
        (
            "1024-bit RSA key",
            PublicKey::new(KeyType::Rsa, der_of(RSA_1024_SPKI_PEM)),
            Method::RsaPss,
            128,
        ),
        (
            "1024-bit RSA key, PKCS#1 v1.5",
            PublicKey::new(KeyType::Rsa, der_of(RSA_1024_SPKI_PEM)),
            Method::RsaPkcs1v15,
            128,
        ),
        (
            "1024-bit RSA key, pycrypto PEM",
            PublicKey::new(KeyType::Rsa, RSA_1024_SPKI_PEM.as_bytes().to_vec()),
            Method::PyCryptoPss,
            128,
        ),
    ];
    for (case, key, method, sig_len) in cases {
        let err = key.verify(&method, &msg, &vec![1; sig_len]).unwrap_err();
        assert!(matches!(err, SignatureError::BadKey { .. }), "{case}: {err:?}");
        let keys = vec![(key.key_id(), key.clone())];
        let sig = Signature {
            key_id: key.key_id(),
            method,
            sig: vec![1; sig_len],
        };
        let err = verify::check_signatures("targets", &msg, &[sig], &key_set(&keys, 1)).unwrap_err();
        assert!(
            matches!(err, VerifyError::ThresholdNotMet { valid: 0, .. }),
            "{case}: {err:?}"
        );
    }
}

#[test]
fn ecdsa_signatures_are_raw_64_bytes_not_der() {
    let a = TestKey::ecdsa();
    let msg = message();
    let good = signature(&a, &msg);
    assert_eq!(good.sig.len(), 64);
    a.public.verify(&Method::Ecdsa, &msg, &good.sig).unwrap();
    // The same r and s, DER-encoded as other TUF implementations write them.
    let (r, s) = good.sig.split_at(32);
    let int = |x: &[u8]| {
        let x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        let mut out = vec![0x02];
        if x[0] & 0x80 != 0 {
            out.extend([u8::try_from(x.len() + 1).unwrap(), 0]);
        } else {
            out.push(u8::try_from(x.len()).unwrap());
        }
        out.extend(x);
        out
    };
    let body = [int(r), int(s)].concat();
    let der = [vec![0x30, u8::try_from(body.len()).unwrap()], body].concat();
    let err = a.public.verify(&Method::Ecdsa, &msg, &der).unwrap_err();
    assert!(matches!(err, SignatureError::Invalid { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Expiry and version (metadata.md §3.3, §12.1)

#[test]
fn expiry_is_strictly_after_the_instant() {
    let at = Expires::at(NOW);
    verify::check_expiry("targets", at, NOW).unwrap();
    verify::check_expiry("targets", at, NOW - Duration::days(1)).unwrap();
    let err = verify::check_expiry("targets", at, NOW + Duration::nanoseconds(1)).unwrap_err();
    assert_eq!(
        err,
        VerifyError::Expired {
            role: "targets".into(),
            expires: at
        }
    );
    assert_eq!(err.to_string(), "targets expired at Sun Nov 22 12:00:00 UTC 2026");
}

#[test]
fn version_equal_or_higher_is_allowed_lower_is_a_rollback() {
    verify::check_version("targets", 4, 4).unwrap();
    verify::check_version("targets", 5, 4).unwrap();
    let err = verify::check_version("targets", 3, 4).unwrap_err();
    assert_eq!(
        err,
        VerifyError::LowVersion {
            role: "targets".into(),
            version: 3,
            current: 4
        }
    );
    assert_eq!(err.to_string(), "version 3 is lower than current version 4");
}

// ---------------------------------------------------------------------------------------------
// FileMeta hashes (metadata.md §8)

fn hashes(entries: &[(&str, Vec<u8>)]) -> FileMeta {
    FileMeta {
        custom: None,
        hashes: Hashes(entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()),
        length: 3,
    }
}

#[test]
fn matching_hashes_are_accepted() {
    let full = FileMeta::of_bytes(b"abc");
    full.check_hashes("targets", b"abc").unwrap();
    let sha256 = full.hashes.0.get("sha256").unwrap().clone();
    let sha512 = full.hashes.0.get("sha512").unwrap().clone();
    for meta in [
        hashes(&[("sha256", sha256.clone())]),
        hashes(&[("sha512", sha512.clone())]),
        // Unknown algorithms next to a known one are skipped.
        hashes(&[("sha256", sha256), ("md5", vec![0; 16])]),
    ] {
        meta.check_hashes("targets", b"abc").unwrap();
    }
}

#[test]
fn sha256_mismatch_names_the_expected_digest() {
    let meta = FileMeta::of_bytes(b"abc");
    let err = meta.check_hashes("targets", b"abd").unwrap_err();
    let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_eq!(
        err,
        VerifyError::HashMismatch {
            role: "targets".into(),
            algorithm: "sha256",
            expected: expected.into()
        }
    );
    assert_eq!(
        err.to_string(),
        format!("sha256 checksum for targets did not match: expected {expected}")
    );
}

#[test]
fn sha512_mismatch_is_refused_even_when_sha256_matches() {
    let good = FileMeta::of_bytes(b"abc");
    let wrong512 = FileMeta::of_bytes(b"abd").hashes.0.get("sha512").unwrap().clone();
    let meta = hashes(&[
        ("sha256", good.hashes.0.get("sha256").unwrap().clone()),
        ("sha512", wrong512.clone()),
    ]);
    let err = meta.check_hashes("snapshot", b"abc").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "sha512 checksum for snapshot did not match: expected {}",
            hex::encode(&wrong512)
        )
    );
    assert!(matches!(
        err,
        VerifyError::HashMismatch {
            algorithm: "sha512",
            ..
        }
    ));
}

#[test]
fn no_supported_hash_algorithm_is_refused() {
    for meta in [hashes(&[("md5", vec![0; 16]), ("sha1", vec![0; 20])]), hashes(&[])] {
        let err = meta.check_hashes("targets/a", b"abc").unwrap_err();
        assert_eq!(
            err,
            VerifyError::NoChecksums {
                role: "targets/a".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "no checksums for supported algorithms were provided for targets/a"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Structure (metadata.md §3–§7, §9.1)

fn role(name: &str) -> RoleName {
    name.parse().unwrap()
}

fn structure<T: RoleBody>(body: &T, file_role: &str) -> Result<(), String> {
    body.check_structure(&role(file_role)).map_err(|e| {
        assert!(matches!(e, VerifyError::BadStructure { .. }), "{e:?}");
        e.to_string()
    })
}

#[test]
fn targets_structure() {
    let k = TestKey::ecdsa();
    let valid = || {
        let mut t = targets_body(&[("v1", b"one")], 1);
        delegate(&mut t, "targets/a", &[&k], &[""], 1);
        t
    };
    let invalid = |reason: &str| Err(format!("targets type metadata invalid: {reason}"));
    type Edit = fn(&mut Targets);
    let cases: [(&str, Edit, Result<(), String>); 9] = [
        ("valid with a delegation", |_| {}, Ok(())),
        ("no delegations", |t| t.delegations = Delegations::default(), Ok(())),
        (
            "wrong _type",
            |t| t.type_name = "Root".into(),
            invalid("expected type Targets, not Root"),
        ),
        (
            "version 0",
            |t| t.version = 0,
            invalid("version cannot be less than one"),
        ),
        (
            "delegation that is a grandchild",
            |t| t.delegations.roles[0].name = "targets/a/b".into(),
            invalid("delegation role targets/a/b invalid"),
        ),
        (
            "delegation with an invalid name",
            |t| t.delegations.roles[0].name = "targets/A".into(),
            invalid("delegation role targets/A invalid"),
        ),
        (
            "delegation that is a base role",
            |t| t.delegations.roles[0].name = "snapshot".into(),
            invalid("delegation role snapshot invalid"),
        ),
        (
            "delegation with threshold 0",
            |t| t.delegations.roles[0].threshold = 0,
            invalid("invalid threshold specified for targets/a: 0 "),
        ),
        (
            "delegation key ID without a key",
            |t| t.delegations.keys.clear(),
            invalid(&format!(
                "key ID {} specified in targets/a without corresponding key",
                k.id()
            )),
        ),
    ];
    for (case, edit, expected) in cases {
        let mut body = valid();
        edit(&mut body);
        assert_eq!(structure(&body, "targets"), expected, "{case}");
    }
}

#[test]
fn delegated_file_may_only_delegate_to_its_direct_children() {
    let k = TestKey::ecdsa();
    let mut a = targets_body(&[], 1);
    delegate(&mut a, "targets/a/x", &[&k], &["a/"], 1);
    assert_eq!(structure(&a, "targets/a"), Ok(()));
    assert_eq!(
        structure(&a, "targets/b"),
        Err("targets/b type metadata invalid: delegation role targets/a/x invalid".into())
    );
    assert_eq!(
        structure(&a, "targets"),
        Err("targets type metadata invalid: delegation role targets/a/x invalid".into())
    );
}

#[test]
fn root_structure() {
    let keys = [
        TestKey::root("example.com/app"),
        TestKey::ecdsa(),
        TestKey::ecdsa(),
        TestKey::ed25519(),
    ];
    let valid = root_body(
        &[
            (&keys[0], "root"),
            (&keys[1], "targets"),
            (&keys[2], "snapshot"),
            (&keys[3], "timestamp"),
        ],
        1,
    );
    type Edit = fn(&mut Root);
    let cases: [(&str, Edit, Result<(), &str>); 8] = [
        ("valid", |_| {}, Ok(())),
        (
            "other role names are tolerated",
            |r| {
                let t = r.roles["targets"].clone();
                r.roles.insert("mirror".into(), t);
            },
            Ok(()),
        ),
        (
            "wrong _type",
            |r| r.type_name = "Targets".into(),
            Err("root type metadata invalid: expected type Root, not Targets"),
        ),
        (
            "version 0",
            |r| r.version = 0,
            Err("root type metadata invalid: version cannot be less than 1"),
        ),
        (
            "missing timestamp role",
            |r| {
                r.roles.remove("timestamp");
            },
            Err("root type metadata invalid: missing timestamp role specification"),
        ),
        (
            "missing targets and snapshot: Go's role order decides",
            |r| {
                r.roles.remove("snapshot");
                r.roles.remove("targets");
            },
            Err("root type metadata invalid: missing targets role specification"),
        ),
        (
            "threshold 0",
            |r| r.roles.get_mut("snapshot").unwrap().threshold = 0,
            Err("root type metadata invalid: invalid threshold specified for snapshot: 0 "),
        ),
        (
            "key ID without a key",
            |r| {
                r.roles
                    .get_mut("timestamp")
                    .unwrap()
                    .keyids
                    .push(KeyId::new("ab".repeat(32)));
            },
            Err(
                "root type metadata invalid: key ID abababababababababababababababababababababababababababababababab specified in timestamp without corresponding key",
            ),
        ),
    ];
    for (case, edit, expected) in cases {
        let mut body = valid.clone();
        edit(&mut body);
        assert_eq!(structure(&body, "root"), expected.map_err(str::to_owned), "{case}");
    }
}

fn snapshot_body(meta: &[(&str, &[u8])]) -> Snapshot {
    Snapshot {
        type_name: "Snapshot".into(),
        expires: expires(1095),
        meta: meta
            .iter()
            .map(|(r, b)| (r.to_string(), FileMeta::of_bytes(b)))
            .collect(),
        version: 1,
        extra: Default::default(),
    }
}

#[test]
fn snapshot_structure() {
    type Edit = fn(&mut Snapshot);
    let cases: [(&str, Edit, Result<(), &str>); 7] = [
        ("valid", |_| {}, Ok(())),
        (
            "root with sha256 only",
            |s| {
                s.meta.get_mut("root").unwrap().hashes.0.remove("sha512");
            },
            Ok(()),
        ),
        (
            "wrong _type",
            |s| s.type_name = "Timestamp".into(),
            Err("snapshot type metadata invalid: expected type Snapshot, not Timestamp"),
        ),
        (
            "version 0",
            |s| s.version = 0,
            Err("snapshot type metadata invalid: version cannot be less than one"),
        ),
        (
            "no root entry",
            |s| {
                s.meta.remove("root");
            },
            Err("snapshot type metadata invalid: missing root sha256 checksum information"),
        ),
        (
            "targets entry with sha512 only",
            |s| {
                s.meta.get_mut("targets").unwrap().hashes.0.remove("sha256");
            },
            Err("snapshot type metadata invalid: missing targets sha256 checksum information"),
        ),
        (
            "root sha256 of the wrong length",
            |s| {
                s.meta
                    .get_mut("root")
                    .unwrap()
                    .hashes
                    .0
                    .insert("sha256".into(), vec![0; 31]);
            },
            Err("snapshot type metadata invalid: missing root sha256 checksum information"),
        ),
    ];
    for (case, edit, expected) in cases {
        let mut body = snapshot_body(&[("root", b"r"), ("targets", b"t"), ("targets/a", b"a")]);
        edit(&mut body);
        assert_eq!(structure(&body, "snapshot"), expected.map_err(str::to_owned), "{case}");
    }
}

#[test]
fn timestamp_structure() {
    let mut meta = BTreeMap::new();
    meta.insert("snapshot".to_owned(), FileMeta::of_bytes(b"s"));
    let valid = Timestamp {
        type_name: "Timestamp".into(),
        expires: expires(14),
        meta,
        version: 1,
        extra: Default::default(),
    };
    assert_eq!(structure(&valid, "timestamp"), Ok(()));
    let mut no_snapshot = valid.clone();
    no_snapshot.meta.clear();
    assert_eq!(
        structure(&no_snapshot, "timestamp"),
        Err("timestamp type metadata invalid: missing snapshot sha256 checksum information".into())
    );
    let mut wrong_type = valid;
    wrong_type.type_name = "Snapshot".into();
    assert_eq!(
        structure(&wrong_type, "timestamp"),
        Err("timestamp type metadata invalid: expected type Timestamp, not Snapshot".into())
    );
}

// ---------------------------------------------------------------------------------------------
// Root trust (metadata.md §12.2, keys.md §4)

const GUN: &str = "example.com/app";

/// Non-root keys shared by the roots of a test.
struct OtherKeys {
    targets: TestKey,
    snapshot: TestKey,
    timestamp: TestKey,
}

impl OtherKeys {
    fn new() -> OtherKeys {
        OtherKeys {
            targets: TestKey::ecdsa(),
            snapshot: TestKey::ecdsa(),
            timestamp: TestKey::ed25519(),
        }
    }

    /// A root whose root role is `root_keys` with `threshold`.
    fn root(&self, root_keys: &[&TestKey], threshold: i64, version: i64) -> Root {
        let mut listed: Vec<(&TestKey, &str)> = root_keys.iter().map(|k| (*k, "root")).collect();
        listed.extend([
            (&self.targets, "targets"),
            (&self.snapshot, "snapshot"),
            (&self.timestamp, "timestamp"),
        ]);
        let mut root = root_body(&listed, version);
        root.roles
            .entry("root".into())
            .or_insert(RoleKeys {
                keyids: vec![],
                threshold,
            })
            .threshold = threshold;
        root
    }
}

fn gun(s: &str) -> Gun {
    s.parse().unwrap()
}

/// verify_root for [`GUN`], trust on first use, no minimum version, expiry enforced.
fn verify_new_root(new: Signed<Root>, trusted: Option<&Root>) -> Result<Verified<Root>, VerifyError> {
    verify::verify_root(
        new,
        trusted,
        &gun(GUN),
        &TrustPinning::TrustOnFirstUse,
        0,
        Expiry::Enforce,
        NOW,
    )
}

fn pinning_error(reason: &str) -> VerifyError {
    VerifyError::RootPinning { reason: reason.into() }
}

const NO_LEAF: &str = "could not validate the path to a trusted root: unable to retrieve valid leaf certificates";
const NOT_SELF_SIGNED: &str = "could not validate the path to a trusted root: failed to validate integrity of roots";
const NO_ROTATION: &str =
    "could not rotate trust to a new trusted root: failed to validate data with current trusted certificates";

#[test]
fn valid_new_root_is_accepted() {
    let others = OtherKeys::new();
    let key = TestKey::root(GUN);
    let verified = verify_new_root(sign(others.root(&[&key], 1, 1), &[&key]), None).unwrap();
    assert_eq!(verified.body().version, 1);
}

#[test]
fn root_certificate_common_name_must_match_the_gun() {
    let others = OtherKeys::new();
    let cases = [
        ("exact", "example.com/app", true),
        ("wildcard prefix", "example.com/*", true),
        ("wildcard of the whole GUN", "example.com/app*", true),
        ("another GUN", "example.com/other", false),
        ("a prefix without wildcard", "example.com/ap", false),
        ("wildcard of another prefix", "example.org/*", false),
    ];
    for (case, cn, accepted) in cases {
        let key = TestKey::root(cn);
        let result = verify_new_root(sign(others.root(&[&key], 1, 1), &[&key]), None);
        if accepted {
            assert!(result.is_ok(), "{case}: {result:?}");
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.to_string(), NO_LEAF, "{case}");
        }
    }
}

#[test]
fn root_certificate_must_be_a_currently_valid_leaf() {
    type Edit = fn(&mut rcgen::CertificateParams);
    let cases: [(&str, Edit, bool); 6] = [
        ("valid", |_| {}, true),
        (
            "notBefore 23 h ahead",
            |p| p.not_before = NOW + Duration::hours(23),
            true,
        ),
        (
            "notBefore 25 h ahead",
            |p| p.not_before = NOW + Duration::hours(25),
            false,
        ),
        ("expired", |p| p.not_after = NOW - Duration::hours(1), false),
        (
            "CA:TRUE",
            |p| p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
            false,
        ),
        (
            "notBefore after notAfter",
            |p| {
                p.not_before = NOW - Duration::hours(1);
                p.not_after = NOW - Duration::hours(2);
            },
            false,
        ),
    ];
    let others = OtherKeys::new();
    for (case, edit, accepted) in cases {
        let key = TestKey::root_with(GUN, edit);
        let result = verify_new_root(sign(others.root(&[&key], 1, 1), &[&key]), None);
        if accepted {
            assert!(result.is_ok(), "{case}: {result:?}");
        } else {
            assert_eq!(
                result.unwrap_err(),
                pinning_error("unable to retrieve valid leaf certificates"),
                "{case}"
            );
        }
    }
}

#[test]
fn plain_ecdsa_root_keys_never_validate() {
    let others = OtherKeys::new();
    let key = TestKey::ecdsa();
    let err = verify_new_root(sign(others.root(&[&key], 1, 1), &[&key]), None).unwrap_err();
    assert_eq!(err.to_string(), NO_LEAF);
}

#[test]
fn rotation_signed_by_old_and_new_keys_is_accepted() {
    let others = OtherKeys::new();
    let (old, new) = (TestKey::root(GUN), TestKey::root(GUN));
    let previous = others.root(&[&old], 1, 1);
    let mut next = others.root(&[&new], 1, 2);
    // Go keeps the old certificate in `keys` after a rotation.
    next.keys.insert(old.id(), old.public.clone());
    let verified = verify_new_root(sign(next, &[&new, &old]), Some(&previous)).unwrap();
    assert_eq!(verified.body().version, 2);
}

#[test]
fn rotation_signed_only_by_the_new_key_is_refused() {
    let others = OtherKeys::new();
    let (old, new) = (TestKey::root(GUN), TestKey::root(GUN));
    let previous = others.root(&[&old], 1, 1);
    let err = verify_new_root(sign(others.root(&[&new], 1, 2), &[&new]), Some(&previous)).unwrap_err();
    assert_eq!(
        err,
        VerifyError::RootRotation {
            reason: "failed to validate data with current trusted certificates".into()
        }
    );
    assert_eq!(err.to_string(), NO_ROTATION);
}

#[test]
fn rotation_needs_the_previous_roots_threshold_of_old_keys() {
    let others = OtherKeys::new();
    let (old1, old2, new) = (TestKey::root(GUN), TestKey::root(GUN), TestKey::root(GUN));
    let previous = others.root(&[&old1, &old2], 2, 1);
    let next = || others.root(&[&new], 1, 2);
    let err = verify_new_root(sign(next(), &[&new, &old1]), Some(&previous)).unwrap_err();
    assert_eq!(err.to_string(), NO_ROTATION);
    verify_new_root(sign(next(), &[&new, &old1, &old2]), Some(&previous)).unwrap();
}

#[test]
fn previous_roots_certificates_count_for_rotation_even_when_expired() {
    let others = OtherKeys::new();
    let old = TestKey::root_with(GUN, |p| {
        p.not_before = NOW - Duration::days(400);
        p.not_after = NOW - Duration::days(1);
    });
    let new = TestKey::root(GUN);
    let previous = others.root(&[&old], 1, 1);
    verify_new_root(sign(others.root(&[&new], 1, 2), &[&new, &old]), Some(&previous)).unwrap();
    // The previous root's certificates must still name the GUN.
    let foreign = TestKey::root("example.com/other");
    let previous = others.root(&[&foreign], 1, 1);
    let err = verify_new_root(sign(others.root(&[&new], 1, 2), &[&new, &foreign]), Some(&previous)).unwrap_err();
    assert_eq!(err.to_string(), NO_ROTATION);
}

#[test]
fn root_must_meet_its_own_threshold() {
    let others = OtherKeys::new();
    let (a, b) = (TestKey::root(GUN), TestKey::root(GUN));
    let body = || others.root(&[&a, &b], 2, 1);
    let err = verify_new_root(sign(body(), &[&a]), None).unwrap_err();
    assert_eq!(err, pinning_error("failed to validate integrity of roots"));
    assert_eq!(err.to_string(), NOT_SELF_SIGNED);
    verify_new_root(sign(body(), &[&a, &b]), None).unwrap();
}

#[test]
fn pinned_key_ids_select_the_root_certificates() {
    let others = OtherKeys::new();
    let key = TestKey::root(GUN);
    let root = || sign(others.root(&[&key], 1, 1), &[&key]);
    let pin = |ids: Vec<KeyId>| {
        verify::verify_root(
            root(),
            None,
            &gun(GUN),
            &TrustPinning::KeyIds(ids),
            0,
            Expiry::Enforce,
            NOW,
        )
    };
    pin(vec![KeyId::new("00".repeat(32)), key.id()]).unwrap();
    let err = pin(vec![KeyId::new("00".repeat(32))]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not validate the path to a trusted root: unable to match any certificates to trust_pinning config"
    );
}

#[test]
fn refusing_pinning_refuses_every_new_root() {
    let others = OtherKeys::new();
    let key = TestKey::root(GUN);
    let pinning = TrustPinning::Refuse("invalid trust pinning specified".into());
    let err = verify::verify_root(
        sign(others.root(&[&key], 1, 1), &[&key]),
        None,
        &gun(GUN),
        &pinning,
        0,
        Expiry::Enforce,
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not validate the path to a trusted root: invalid trust pinning specified"
    );
}

#[test]
fn expired_root_is_refused_unless_expiry_is_ignored() {
    let others = OtherKeys::new();
    let key = TestKey::root(GUN);
    let mut body = others.root(&[&key], 1, 1);
    body.expires = expires_at("2026-11-21T12:00:00Z");
    let signed = sign(body, &[&key]);
    let check = |expiry| {
        verify::verify_root(
            signed.clone(),
            None,
            &gun(GUN),
            &TrustPinning::TrustOnFirstUse,
            0,
            expiry,
            NOW,
        )
    };
    let err = check(Expiry::Enforce).unwrap_err();
    assert!(
        matches!(err, VerifyError::Expired { ref role, .. } if role == "root"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "root expired at Sat Nov 21 12:00:00 UTC 2026");
    check(Expiry::Ignore).unwrap();
}

#[test]
fn root_below_the_minimum_version_is_a_rollback() {
    let others = OtherKeys::new();
    let key = TestKey::root(GUN);
    let signed = sign(others.root(&[&key], 1, 1), &[&key]);
    let check = |minimum| {
        verify::verify_root(
            signed.clone(),
            None,
            &gun(GUN),
            &TrustPinning::TrustOnFirstUse,
            minimum,
            Expiry::Enforce,
            NOW,
        )
    };
    check(1).unwrap();
    let err = check(2).unwrap_err();
    assert_eq!(
        err,
        VerifyError::LowVersion {
            role: "root".into(),
            version: 1,
            current: 2
        }
    );
    assert_eq!(err.to_string(), "version 1 is lower than current version 2");
}

#[test]
fn root_key_in_a_non_go_pem_layout_does_not_count() {
    // Go recomputes root key IDs from re-encoded certificates (keys.md §4.1), so a signature listed
    // under the ID of another PEM layout of the same certificate names no usable key.
    type Layout = fn(&str) -> String;
    let layouts: [(&str, Layout); 3] = [
        ("CRLF line ends", |pem| pem.replace('\n', "\r\n")),
        ("76-column base64", |pem| {
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            let lines: Vec<String> = body
                .as_bytes()
                .chunks(76)
                .map(|c| String::from_utf8(c.to_vec()).unwrap())
                .collect();
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            )
        }),
        ("no final newline", |pem| pem.trim_end().to_owned()),
    ];
    let others = OtherKeys::new();
    for (case, layout) in layouts {
        let mut key = TestKey::root(GUN);
        let go_pem = String::from_utf8(key.public.public_bytes().to_vec()).unwrap();
        let other = layout(&go_pem);
        assert_ne!(other, go_pem, "{case}");
        key.public = PublicKey::new(KeyType::EcdsaX509, other.into_bytes());
        let err = verify_new_root(sign(others.root(&[&key], 1, 1), &[&key]), None).unwrap_err();
        assert_eq!(err.to_string(), NOT_SELF_SIGNED, "{case}");
    }
}

/// A root certificate signed with ecdsa-with-SHA1 (`openssl req -x509 -sha1`, OpenSSL 3.0),
/// CN `example.com/app`, CA:FALSE, valid 2026-11-22T06:01:45Z to 2046.
const SHA1_SIGNED_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIUSza0FZe9VMBJp3yryeil7IM2ntswCQYHKoZIzj0EATAa
MRgwFgYDVQQDDA9leGFtcGxlLmNvbS9hcHAwHhcNMjYxMTIyMDYwMTQ1WhcNNDYx
MTE3MDYwMTQ1WjAaMRgwFgYDVQQDDA9leGFtcGxlLmNvbS9hcHAwWTATBgcqhkjO
PQIBBggqhkjOPQMBBwNCAAS1hfm6tT5mFfRAGeCZ/MPAZ3YoVB3XXEx7a/NRXvA6
aAmMGBJBCLC/Z6//MjY+E7OeWe4hgkCVYMgnJjkqTz65o1AwTjAdBgNVHQ4EFgQU
rN1Y+QpAiEkGDgqntRROl/6i1BIwHwYDVR0jBBgwFoAUrN1Y+QpAiEkGDgqntRRO
l/6i1BIwDAYDVR0TAQH/BAIwADAJBgcqhkjOPQQBA0kAMEYCIQDSCZKE5lMbvgu2
X1WxN8PcHCAMSszlEgupWKNwmaoX1QIhAKCUbr+kSVNiJPmWnjqIwCEQeEcywd3p
YmhCZm2bs5HG
-----END CERTIFICATE-----
";

/// A root certificate for a 1024-bit RSA key (`openssl req -x509 -sha256`, OpenSSL 3.0), CN
/// `example.com/app`, CA:FALSE, valid 2026-11-22T06:01:45Z to 2046.
const RSA_1024_CERT: &str = "-----BEGIN CERTIFICATE-----
MIICDTCCAXagAwIBAgIUGRsA09gxWTPfDNB2b7ig8dc76SYwDQYJKoZIhvcNAQEL
BQAwGjEYMBYGA1UEAwwPZXhhbXBsZS5jb20vYXBwMB4XDTI2MTEyMjA2MDE0NVoX
DTQ2MTExNzA2MDE0NVowGjEYMBYGA1UEAwwPZXhhbXBsZS5jb20vYXBwMIGfMA0G
CSqGSIb3DQEBAQUAA4GNADCBiQKBgQCkZYWGEAlC1fYVvBfKTfolYLOcGEiLWfUB
3GaBCAk8IAl/e4FgdbNg8hpl0Yv4yKgdYKQhNGhqiKtjNlc3kVTGK0cgWabB3DF8
sHMUTOHO/en/blnkEQ6JsriPH+Jq6IM3fx4/0rwXdS9+z7zhy3xq8F/Ezned1NiF
anY2HJw8GwIDAQABo1AwTjAdBgNVHQ4EFgQU4tZuyjgqTSwhHQJZ+j22ZWHEP8Qw
HwYDVR0jBBgwFoAU4tZuyjgqTSwhHQJZ+j22ZWHEP8QwDAYDVR0TAQH/BAIwADAN
BgkqhkiG9w0BAQsFAAOBgQBtERucnZ4gyK5hvBoxQ5HF8G9NJO04q8SRxIni64ej
VSnfIrQa6pBfQrL3Hr3mrEHqHbwl7RzlZx1TgWfXMgn3F84RCqocBGTtFbR+EVLM
ix396E5+IzaR+1K1GHHrB97RgKqvodCrIZIVf/+tDRmlreb8bwK3SGq2BLukWRKz
cQ==
-----END CERTIFICATE-----
";

#[test]
fn root_certificate_with_a_weak_algorithm_is_not_a_usable_leaf() {
    // keys.md §4.2: no SHA-1 signature, RSA of at least 2048 bits. The leaf filter refuses them
    // before any signature is looked at (an acceptable leaf without signatures would fail with
    // "failed to validate integrity of roots" instead).
    let others = OtherKeys::new();
    let good = TestKey::root(GUN);
    let cases = [
        ("ecdsa-with-SHA1", KeyType::EcdsaX509, SHA1_SIGNED_CERT, false),
        ("1024-bit RSA", KeyType::RsaX509, RSA_1024_CERT, false),
        (
            "control: a good certificate",
            KeyType::EcdsaX509,
            std::str::from_utf8(good.public.public_bytes()).unwrap(),
            true,
        ),
    ];
    for (case, key_type, pem_text, usable) in cases {
        let key = PublicKey::new(key_type, pem_text.as_bytes().to_vec());
        let mut body = others.root(&[], 1, 1);
        body.keys.insert(key.key_id(), key.clone());
        body.roles.get_mut("root").unwrap().keyids = vec![key.key_id()];
        let unsigned = Signed::from_parts(body, vec![]).unwrap();
        let err = verify_new_root(unsigned, None).unwrap_err();
        // A usable leaf without signatures fails the self-signature rule instead.
        let expected = if usable { NOT_SELF_SIGNED } else { NO_LEAF };
        assert_eq!(err.to_string(), expected, "{case}");
    }
}

#[test]
fn root_certificate_bundle_is_one_leaf_first_then_valid_intermediates() {
    let others = OtherKeys::new();
    let ca = |edit: fn(&mut rcgen::CertificateParams)| {
        let key = TestKey::root_with("example.com/ca", |p| {
            p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            edit(p);
        });
        String::from_utf8(key.public.public_bytes().to_vec()).unwrap()
    };
    let pem_of = |k: &TestKey| String::from_utf8(k.public.public_bytes().to_vec()).unwrap();
    type Bundle = fn(&str, &str, &str, &str) -> String;
    // (leaf, another leaf, valid CA, expired CA) → bundle text.
    let cases: [(&str, Bundle, Result<(), &str>); 5] = [
        ("leaf alone", |leaf, _, _, _| leaf.to_owned(), Ok(())),
        ("leaf then a CA", |leaf, _, ca, _| format!("{leaf}{ca}"), Ok(())),
        // An expired intermediate is dropped when Go rebuilds the key, which changes its ID.
        (
            "leaf then an expired CA",
            |leaf, _, _, old_ca| format!("{leaf}{old_ca}"),
            Err(NOT_SELF_SIGNED),
        ),
        ("CA first", |leaf, _, ca, _| format!("{ca}{leaf}"), Err(NO_LEAF)),
        ("two leaves", |leaf, other, _, _| format!("{leaf}{other}"), Err(NO_LEAF)),
    ];
    let valid_ca = ca(|_| {});
    let expired_ca = ca(|p| {
        p.not_before = NOW - Duration::days(30);
        p.not_after = NOW - Duration::days(1);
    });
    for (case, bundle, expected) in cases {
        let mut leaf = TestKey::root(GUN);
        let other_leaf = TestKey::root(GUN);
        let text = bundle(&pem_of(&leaf), &pem_of(&other_leaf), &valid_ca, &expired_ca);
        leaf.public = PublicKey::new(KeyType::EcdsaX509, text.into_bytes());
        let result = verify_new_root(sign(others.root(&[&leaf], 1, 1), &[&leaf]), None);
        assert_eq!(
            result.map(|_| ()).map_err(|e| e.to_string()),
            expected.map_err(str::to_owned),
            "{case}"
        );
    }
}

#[test]
fn cached_root_is_trusted_as_is_but_must_be_well_formed() {
    // The trust anchor (metadata.md §12.2 "Bootstrap"): no signature, certificate or expiry check.
    let others = OtherKeys::new();
    let key = TestKey::ecdsa();
    let mut body = others.root(&[&key], 1, 1);
    body.expires = expires_at("2020-01-01T00:00:00Z");
    let unsigned_expired = Signed::from_parts(body.clone(), vec![]).unwrap();
    verify::trust_cached_root(unsigned_expired).unwrap();
    body.roles.remove("snapshot");
    let err = verify::trust_cached_root(Signed::from_parts(body, vec![]).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "root type metadata invalid: missing snapshot role specification"
    );
}

// ---------------------------------------------------------------------------------------------
// Properties (STYLE.md §4)

/// Strings with everything that is hard to encode: HTML characters, quotes and backslashes,
/// control characters, U+2028/2029, non-BMP characters, and any other scalar value.
fn tricky_string() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '<', '>', '&', '"', '\\', '/', '\u{7f}', '\u{2028}', '\u{2029}', 'é', '\u{fb01}', '😀',
    ]);
    let ch = prop_oneof![4 => any::<char>(), 2 => special, 1 => (0u8..0x20).prop_map(char::from)];
    prop::collection::vec(ch, 0..10).prop_map(String::from_iter)
}

/// JSON without floats (Go's canonical form has none) and with integers within ±2^53.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-(1i64 << 53)..=(1i64 << 53)).prop_map(Value::from),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(tricky_string(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn file_meta() -> impl Strategy<Value = FileMeta> {
    (
        0i64..=(1i64 << 53),
        prop::collection::vec(any::<u8>(), 32),
        prop::option::of(prop::collection::vec(any::<u8>(), 64)),
        // Go drops a `null` custom (a nil *json.RawMessage is omitted), so it cannot survive a round trip.
        prop::option::of(json_value().prop_filter("null custom is dropped", |v| !v.is_null())),
    )
        .prop_map(|(length, sha256, sha512, custom)| {
            let mut hashes = BTreeMap::from([("sha256".to_owned(), sha256)]);
            if let Some(sha512) = sha512 {
                hashes.insert("sha512".to_owned(), sha512);
            }
            FileMeta {
                custom,
                hashes: Hashes(hashes.into()),
                length,
            }
        })
}

fn delegations() -> impl Strategy<Value = Delegations> {
    let role = (
        "[a-z0-9_-]{1,8}",
        prop::collection::vec(tricky_string(), 0..3),
        1i64..4,
        prop::collection::vec(any::<u8>(), 32),
    );
    prop::collection::vec(role, 0..3).prop_map(|roles| {
        let mut d = Delegations::default();
        for (name, paths, threshold, public) in roles {
            let key = PublicKey::new(KeyType::Ed25519, public);
            d.keys.insert(key.key_id(), key.clone());
            d.roles.push(DelegatedRole {
                keyids: vec![key.key_id()],
                name: format!("targets/{name}"),
                paths,
                threshold,
            });
        }
        d
    })
}

fn expires_any() -> impl Strategy<Value = Expires> {
    let offsets = prop::sample::select(vec![0, 60, -480, 330, 345, -210, 840, -720]);
    (0i64..20 * 365 * 86_400, 0i64..1_000_000_000, offsets).prop_map(|(secs, nanos, minutes)| {
        let offset = UtcOffset::from_whole_seconds(minutes * 60).unwrap();
        Expires::at((NOW + Duration::seconds(secs) + Duration::nanoseconds(nanos)).to_offset(offset))
    })
}

/// Targets bodies with random names, lengths, hashes, custom data, delegations and unknown
/// members at the body level.
fn targets_any() -> impl Strategy<Value = Targets> {
    const KNOWN: [&str; 5] = ["_type", "delegations", "expires", "targets", "version"];
    let extra_name = tricky_string().prop_filter("not a known member", |n| !KNOWN.contains(&n.as_str()));
    (
        prop::collection::btree_map(tricky_string(), file_meta(), 0..5),
        delegations(),
        expires_any(),
        1i64..=(1i64 << 53),
        prop::collection::btree_map(extra_name, json_value(), 0..4),
    )
        .prop_map(|(targets, delegations, expires, version, extra)| Targets {
            type_name: "Targets".into(),
            delegations,
            expires,
            targets,
            version,
            extra: extra.into_iter().collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn parse_serialise_parse_keeps_every_field(body in targets_any()) {
        let canonical = metadata::canonical_body(&body).unwrap();
        let file = Signed::from_parts(body.clone(), vec![]).unwrap();
        prop_assert_eq!(file.canonical(), &canonical[..]);
        let parsed = Signed::<Targets>::parse(file.raw().to_vec()).unwrap();
        prop_assert_eq!(parsed.body(), &body);
        prop_assert_eq!(&parsed.body().extra, &body.extra);
        prop_assert_eq!(parsed.canonical(), &canonical[..]);
        // Serialising what was parsed gives the same file again.
        let again = Signed::from_parts(parsed.body().clone(), vec![]).unwrap();
        prop_assert_eq!(again.raw(), file.raw());
        // Another layout of the same JSON (pretty-printed, so read by the general path) reads the same.
        let pretty = serde_json::to_vec_pretty(&notary_cjson::parse(file.raw()).unwrap()).unwrap();
        let reread = Signed::<Targets>::parse(pretty).unwrap();
        prop_assert_eq!(reread.body(), &body);
        prop_assert_eq!(reread.canonical(), &canonical[..]);
    }

    #[test]
    fn sign_verify_passes_and_a_flipped_byte_in_signed_fails(
        body in targets_any(),
        pick in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let key = TestKey::ecdsa();
        let keys = role_keys(&[&key]);
        let set = key_set(&keys, 1);
        let signed = sign(body, &[&key]);
        let verifies = |raw: Vec<u8>| match Signed::<Targets>::parse(raw) {
            Ok(p) => verify::check_signatures("targets", p.canonical(), p.signatures(), &set).is_ok(),
            Err(_) => false,
        };
        prop_assert!(verifies(signed.raw().to_vec()));

        // The `signed` member is the file form of the canonical bytes, right after `{"signed":`.
        let region = notary_cjson::to_file_form(signed.canonical());
        let start = br#"{"signed":"#.len();
        prop_assert_eq!(&signed.raw()[start..start + region.len()], &region[..]);
        let at = start + pick.index(region.len());

        // Inverting a byte always breaks UTF-8 or the JSON, or changes the signed meaning.
        let mut inverted = signed.raw().to_vec();
        inverted[at] ^= 0xFF;
        prop_assert!(!verifies(inverted));

        // A single bit either breaks verification or changes nothing that is signed (the case of a
        // hex digit in a `\u003c` escape, say): signatures cover the meaning, not the encoding.
        let mut flipped = signed.raw().to_vec();
        flipped[at] ^= 1 << bit;
        match Signed::<Targets>::parse(flipped.clone()) {
            Ok(p) if p.canonical() == signed.canonical() => {
                prop_assert!(verifies(flipped));
                prop_assert_eq!(p.body(), signed.body());
            }
            _ => prop_assert!(!verifies(flipped)),
        }
    }
}

#[test]
fn delegation_certificate_keys_must_use_acceptable_algorithms_but_may_be_expired() {
    // server-behaviour.md §2.4, keys.md §4.2: no SHA-1, RSA ≥ 2048 bits; expiry is not checked.
    let expired = TestKey::root_with("anything", |p| {
        p.not_before = NOW - Duration::days(400);
        p.not_after = NOW - Duration::days(30);
    });
    let sha1 = PublicKey::new(KeyType::EcdsaX509, SHA1_SIGNED_CERT.as_bytes().to_vec());
    let rsa_1024 = PublicKey::new(KeyType::RsaX509, RSA_1024_CERT.as_bytes().to_vec());
    let mut parent = targets_body(&[], 1);
    parent.delegations.keys.insert(expired.id(), expired.public.clone());
    parent.delegations.keys.insert(sha1.key_id(), sha1.clone());
    parent.delegations.keys.insert(rsa_1024.key_id(), rsa_1024.clone());
    parent.delegations.roles.push(DelegatedRole {
        keyids: vec![expired.id(), sha1.key_id(), rsa_1024.key_id()],
        name: "targets/releases".into(),
        paths: vec![String::new()],
        threshold: 1,
    });
    let set = verify::RoleKeySet::of_delegation(&parent, &parent.delegations.roles[0]);
    let usable: Vec<&KeyId> = set.keys.keys().copied().collect();
    assert_eq!(usable, vec![&expired.id()]);

    // The expired-certificate key still signs its delegation.
    let child = sign(targets_body(&[("t", b"t")], 1), &[&expired]);
    verify::check_signatures("targets/releases", child.canonical(), child.signatures(), &set).unwrap();
}
