//! Every file of `tests/data/keys/` (see its README): Go notary 0.7.0's key files decrypt with
//! their passphrases, have the key IDs of their file names, sign verifiably, re-encode to the same
//! plaintext bytes, and refuse wrong passphrases; OpenSSL's hmacWithSHA256 file is refused as Go
//! refuses it.

use notary_keys::{KeyFile, KeyFileError, KeyFileKind, KeyHeaders, pkcs8};
use notary_tuf::sign::PrivateKey;
use notary_tuf::{KeyType, PublicKey};

use crate::vector;

/// A Go-written encrypted key vector and what it must yield.
struct GoKey {
    file: &'static str,
    passphrase: &'static str,
    /// The canonical key ID (prefix is enough where the spec gives only a prefix).
    key_id: &'static str,
    key_type: KeyType,
    role: &'static str,
    gun: Option<&'static str>,
    path: Option<&'static str>,
}

fn go_keys() -> Vec<GoKey> {
    let full = Some("example.com/vectors/full");
    vec![
        GoKey {
            file: "root-ecdsa.29b9477770f2ac12eaedb7c4127ad2a6290188f1633fc1f97feb6120e560c5dc.key",
            passphrase: "rootpassphrase1",
            key_id: "29b9477770f2ac12eaedb7c4127ad2a6290188f1633fc1f97feb6120e560c5dc",
            key_type: KeyType::Ecdsa,
            role: "root",
            gun: None,
            path: None,
        },
        GoKey {
            file: "repo-full-root.5a7c22e8a9df272012089aefe375b3b847a67e72ad3be4a3aaed9d6842540ccb.key",
            passphrase: "rootpassphrase1",
            key_id: "5a7c22e8a9df272012089aefe375b3b847a67e72ad3be4a3aaed9d6842540ccb",
            key_type: KeyType::Ecdsa,
            role: "root",
            gun: None,
            path: None,
        },
        GoKey {
            file: "repo-full-targets.f8435c15027e8f5e56326b3cd4d1f0ece2475290766ac26c7e9dc4162df3d396.key",
            passphrase: "targetspass1",
            key_id: "f8435c15027e8f5e56326b3cd4d1f0ece2475290766ac26c7e9dc4162df3d396",
            key_type: KeyType::Ecdsa,
            role: "targets",
            gun: full,
            path: None,
        },
        GoKey {
            file: "repo-full-snapshot.a9db09cfb0c5f887a85179faf84aa67216f9c0ca9bf4c09e3e58bfdb9b98470d.key",
            passphrase: "snapshotpass1",
            key_id: "a9db09cfb0c5f887a85179faf84aa67216f9c0ca9bf4c09e3e58bfdb9b98470d",
            key_type: KeyType::Ecdsa,
            role: "snapshot",
            gun: full,
            path: None,
        },
        GoKey {
            file: "rsa-delegation.f277ee2e83a7590e3423f4ede917e98bef4042660b9a94f6c44c1621932feadc.key",
            passphrase: "delegpass1",
            key_id: "f277ee2e83a7590e3423f4ede917e98bef4042660b9a94f6c44c1621932feadc",
            key_type: KeyType::Rsa,
            role: "targets/rsa",
            gun: None,
            path: None,
        },
        GoKey {
            file: "ed25519-imported.b9fe8d4b54e73abb584e2015aaa447047e53282f491dcc70c40d2474d3096a21.key",
            passphrase: "delegpass1",
            key_id: "b9fe8d4b54e73abb584e2015aaa447047e53282f491dcc70c40d2474d3096a21",
            key_type: KeyType::Ed25519,
            role: "targets/ed",
            gun: None,
            path: None,
        },
        GoKey {
            file: "generate-o.deleg-key.pem",
            passphrase: "delegpass1",
            key_id: "c52c23dc",
            key_type: KeyType::Ecdsa,
            role: "targets/releases",
            gun: None,
            path: None,
        },
        GoKey {
            file: "key-export-output.pem",
            passphrase: "targetspass1",
            key_id: "f8435c15027e8f5e56326b3cd4d1f0ece2475290766ac26c7e9dc4162df3d396",
            key_type: KeyType::Ecdsa,
            role: "targets",
            gun: full,
            path: Some("f8435c15027e8f5e56326b3cd4d1f0ece2475290766ac26c7e9dc4162df3d396"),
        },
    ]
}

fn sign_and_verify(key: &PrivateKey, what: &str) {
    let public = key.public_key();
    let message = b"{\"_type\":\"Targets\",\"version\":1}";
    let signature = key.sign(public.key_id(), message).unwrap();
    public
        .verify(&signature.method, message, &signature.sig)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        public
            .verify(&signature.method, b"other bytes", &signature.sig)
            .is_err(),
        "{what}"
    );
}

#[test]
fn every_go_key_decrypts_to_the_key_of_its_file_name() {
    for v in go_keys() {
        let file = KeyFile::parse(&vector(v.file)).unwrap();
        assert_eq!(file.kind(), KeyFileKind::Encrypted, "{}", v.file);
        assert!(file.is_encrypted());
        assert_eq!(file.headers().role(), Some(v.role), "{}", v.file);
        assert_eq!(file.headers().gun(), v.gun, "{}", v.file);
        assert_eq!(file.headers().path(), v.path, "{}", v.file);

        let key = file.decrypt(v.passphrase).unwrap_or_else(|e| panic!("{}: {e}", v.file));
        let public = key.public_key();
        assert_eq!(public.key_type(), &v.key_type, "{}", v.file);
        assert!(
            public.canonical_id().unwrap().as_str().starts_with(v.key_id),
            "{}: {}",
            v.file,
            public.key_id()
        );
        sign_and_verify(&key, v.file);
    }
}

#[test]
fn every_go_key_re_encodes_to_go_s_plaintext_bytes() {
    for v in go_keys() {
        let file = KeyFile::parse(&vector(v.file)).unwrap();
        let go_plaintext = file.decrypt_to_pkcs8(v.passphrase).unwrap();
        let ours = pkcs8::encode(&file.decrypt(v.passphrase).unwrap()).unwrap();
        assert_eq!(*ours, *go_plaintext, "{}", v.file);
    }
}

#[test]
fn every_go_key_refuses_a_wrong_passphrase() {
    for v in go_keys() {
        let file = KeyFile::parse(&vector(v.file)).unwrap();
        for wrong in ["", "wrongpassphrase", &v.passphrase[1..], &format!("{} ", v.passphrase)] {
            assert_eq!(
                file.decrypt(wrong).unwrap_err(),
                KeyFileError::WrongPassphrase,
                "{} with {wrong:?}",
                v.file
            );
        }
        assert_eq!(file.unencrypted_key().unwrap_err(), KeyFileError::Encrypted);
    }
}

#[test]
fn write_then_read_keeps_key_and_headers_for_go_keys() {
    for v in go_keys() {
        let original = KeyFile::parse(&vector(v.file)).unwrap();
        let key = original.decrypt(v.passphrase).unwrap();
        let rewritten = KeyFile::encrypt(&key, "newpassphrase", original.headers().clone()).unwrap();
        let text = rewritten.to_pem();
        let again = KeyFile::parse(text.as_bytes()).unwrap();
        assert_eq!(again.headers(), original.headers());
        assert_eq!(again.decrypt("newpassphrase").unwrap().public_key(), key.public_key());
        // Same header lines as Go's file (only the base64 differs: fresh salt and IV).
        let go_text = String::from_utf8(vector(v.file)).unwrap();
        let go_headers: Vec<&str> = go_text.lines().take_while(|l| !l.is_empty()).collect();
        let our_headers: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
        assert_eq!(our_headers, go_headers, "{}", v.file);
        assert_eq!(text.len(), go_text.len(), "{}: same size, so same PEM layout", v.file);
    }
}

#[test]
fn delegation_key_matches_its_public_key_file() {
    // `key generate -r targets/releases -o deleg` wrote both halves (keys.md §7).
    let public_pem = pem::parse(vector("generate-o.deleg.pem")).unwrap();
    assert_eq!(public_pem.tag(), "PUBLIC KEY");
    let public = PublicKey::new(KeyType::Ecdsa, public_pem.contents().to_vec());
    assert!(public.key_id().as_str().starts_with("c52c23dc"));
    let key = KeyFile::parse(&vector("generate-o.deleg-key.pem"))
        .unwrap()
        .decrypt("delegpass1")
        .unwrap();
    assert_eq!(key.public_key(), public);
}

#[test]
fn ed25519_unencrypted_import_form() {
    let file = KeyFile::parse(&vector("ed25519-notary-pkcs8-unencrypted.pem")).unwrap();
    assert_eq!(file.kind(), KeyFileKind::Pkcs8);
    assert!(!file.is_encrypted());
    assert_eq!(file.headers().role(), Some("targets/ed"));
    let key = file.unencrypted_key().unwrap();
    let public = key.public_key();
    assert_eq!(public.key_type(), &KeyType::Ed25519);
    assert_eq!(
        public.key_id().as_str(),
        "b9fe8d4b54e73abb584e2015aaa447047e53282f491dcc70c40d2474d3096a21"
    );
    // Seed 0x00..0x1F, public A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg= (keys.md §8).
    let seed: Vec<u8> = (0u8..32).collect();
    let expected = PrivateKey::ed25519_from_seed(&seed, public.public_bytes()).unwrap();
    assert_eq!(expected.public_key(), public);
    // The unencrypted block's content is exactly our encoding, and the passphrase is not used.
    assert_eq!(*file.decrypt_to_pkcs8("").unwrap(), *pkcs8::encode(&key).unwrap());
    assert_eq!(file.decrypt("anything").unwrap().public_key(), public);
    // After import, Go stored it encrypted; same key.
    let imported = KeyFile::parse(&vector(
        "ed25519-imported.b9fe8d4b54e73abb584e2015aaa447047e53282f491dcc70c40d2474d3096a21.key",
    ))
    .unwrap();
    assert_eq!(imported.decrypt("delegpass1").unwrap().public_key(), public);
    sign_and_verify(&key, "ed25519");
    // Our unencrypted writer reproduces Go's file byte for byte.
    let ours = KeyFile::unencrypted(&key, KeyHeaders::for_role("targets/ed", None).unwrap()).unwrap();
    assert_eq!(ours.to_pem().as_bytes(), vector("ed25519-notary-pkcs8-unencrypted.pem"));
}

#[test]
fn openssl_pbes2_with_hmac_sha1_is_accepted() {
    let file = KeyFile::parse(&vector("openssl-pbes2-hmacsha1-accepted.key")).unwrap();
    assert!(file.headers().is_empty());
    let key = file.decrypt("rootpassphrase1").unwrap();
    assert_eq!(key.public_key().key_type(), &KeyType::Ecdsa);
    sign_and_verify(&key, "openssl hmacWithSHA1");
    assert_eq!(
        file.decrypt("rootpassphrase2").unwrap_err(),
        KeyFileError::WrongPassphrase
    );
}

#[test]
fn openssl_pbes2_with_hmac_sha256_is_rejected_like_go() {
    // Go ignores the PRF and derives with HMAC-SHA1, so the right passphrase still fails.
    let file = KeyFile::parse(&vector("openssl-pbes2-hmacsha256-REJECTED.key")).unwrap();
    assert_eq!(
        file.decrypt("rootpassphrase1").unwrap_err(),
        KeyFileError::WrongPassphrase
    );
}

#[test]
fn written_keys_read_back() {
    let gun = "example.com/app".parse().unwrap();
    for key in [
        PrivateKey::generate_ecdsa().unwrap(),
        PrivateKey::generate_ed25519().unwrap(),
    ] {
        for (role, gun, expected_headers) in [
            ("root", None, "role: root\n\n"),
            ("targets", Some(&gun), "gun: example.com/app\nrole: targets\n\n"),
            ("targets/releases", Some(&gun), "role: targets/releases\n\n"),
        ] {
            let headers = KeyHeaders::for_role(role, gun).unwrap();
            let file = KeyFile::encrypt(&key, "passphrase", headers.clone()).unwrap();
            let text = file.to_pem();
            let (head, body) = text.split_once(expected_headers).expect("Go's header layout");
            assert_eq!(head, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n");
            assert!(body.ends_with("\n-----END ENCRYPTED PRIVATE KEY-----\n"));
            assert!(body.lines().all(|l| l.len() <= 64) && !text.contains('\r'));

            let read = KeyFile::parse(text.as_bytes()).unwrap();
            assert_eq!(read.headers(), &headers);
            let back = read.decrypt("passphrase").unwrap();
            assert_eq!(back.public_key(), key.public_key());
            assert_eq!(
                *read.decrypt_to_pkcs8("passphrase").unwrap(),
                *pkcs8::encode(&key).unwrap()
            );
            assert_eq!(read.decrypt("Passphrase").unwrap_err(), KeyFileError::WrongPassphrase);

            let plain = KeyFile::unencrypted(&key, headers.clone()).unwrap();
            let read = KeyFile::parse(plain.to_pem().as_bytes()).unwrap();
            assert_eq!(read.kind(), KeyFileKind::Pkcs8);
            assert_eq!(read.unencrypted_key().unwrap().public_key(), key.public_key());
        }
    }
}

#[test]
fn fresh_salt_and_iv_per_write() {
    let key = PrivateKey::generate_ecdsa().unwrap();
    let a = KeyFile::encrypt(&key, "p", KeyHeaders::new()).unwrap().to_pem();
    let b = KeyFile::encrypt(&key, "p", KeyHeaders::new()).unwrap().to_pem();
    assert_ne!(*a, *b);
}

#[test]
fn export_file_path_header_can_be_dropped_for_import() {
    // `key import` removes `path` and writes the block otherwise unchanged (keys.md §7 rule 5).
    let mut file = KeyFile::parse(&vector("key-export-output.pem")).unwrap();
    assert_eq!(
        file.headers_mut().remove("path").as_deref(),
        Some("f8435c15027e8f5e56326b3cd4d1f0ece2475290766ac26c7e9dc4162df3d396")
    );
    let text = file.to_pem();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com/vectors/full\nrole: targets\n\n")
    );
    assert_eq!(
        KeyFile::parse(text.as_bytes())
            .unwrap()
            .decrypt("targetspass1")
            .unwrap()
            .public_key()
            .key_id()
            .as_str(),
        "f8435c15027e8f5e56326b3cd4d1f0ece2475290766ac26c7e9dc4162df3d396"
    );
}

#[test]
fn several_blocks_parse_one_by_one() {
    let mut input = vector("key-export-output.pem");
    input.extend_from_slice(&vector("generate-o.deleg.pem"));
    input.extend_from_slice(&vector("ed25519-notary-pkcs8-unencrypted.pem"));
    let blocks = KeyFile::parse_all(&input).unwrap();
    assert_eq!(blocks.len(), 3);
    assert!(blocks[0].is_ok());
    assert!(matches!(&blocks[1], Err(KeyFileError::UnsupportedBlock { tag }) if tag == "PUBLIC KEY"));
    assert_eq!(blocks[2].as_ref().unwrap().kind(), KeyFileKind::Pkcs8);
}

#[test]
fn legacy_blocks() {
    // EC PRIVATE KEY (SEC1) and ED25519 PRIVATE KEY (96 bytes) made from the vectors' keys.
    let ec = KeyFile::parse(&vector("openssl-pbes2-hmacsha1-accepted.key"))
        .unwrap()
        .decrypt("rootpassphrase1")
        .unwrap();
    let ec_pkcs8 = pkcs8::encode(&ec).unwrap();
    let sec1 = &ec_pkcs8[29..]; // after SEQUENCE, version, AlgorithmIdentifier, OCTET STRING header
    let text = notary_tuf::cert::pem_encode("EC PRIVATE KEY", &[("role", "root")], sec1);
    let file = KeyFile::parse(text.as_bytes()).unwrap();
    assert_eq!(file.kind(), KeyFileKind::LegacyEc);
    assert_eq!(file.unencrypted_key().unwrap().public_key(), ec.public_key());
    assert_eq!(*file.decrypt_to_pkcs8("").unwrap(), *ec_pkcs8);

    let ed = KeyFile::parse(&vector("ed25519-notary-pkcs8-unencrypted.pem"))
        .unwrap()
        .unencrypted_key()
        .unwrap();
    let ed_pkcs8 = pkcs8::encode(&ed).unwrap();
    let text = notary_tuf::cert::pem_encode("ED25519 PRIVATE KEY", &[], &ed_pkcs8[20..]);
    let file = KeyFile::parse(text.as_bytes()).unwrap();
    assert_eq!(file.kind(), KeyFileKind::LegacyEd25519);
    assert_eq!(file.unencrypted_key().unwrap().public_key(), ed.public_key());

    // Legacy RFC 1423 encryption is refused with a typed error.
    let text = notary_tuf::cert::pem_encode(
        "EC PRIVATE KEY",
        &[
            ("Proc-Type", "4,ENCRYPTED"),
            ("DEK-Info", "AES-256-CBC,00112233445566778899AABBCCDDEEFF"),
        ],
        sec1,
    );
    let file = KeyFile::parse(text.as_bytes()).unwrap();
    assert!(file.is_encrypted());
    assert!(matches!(
        file.decrypt("x"),
        Err(KeyFileError::UnsupportedEncryption { .. })
    ));
}

#[test]
fn legacy_rsa_block() {
    let rsa_file = "rsa-delegation.f277ee2e83a7590e3423f4ede917e98bef4042660b9a94f6c44c1621932feadc.key";
    let rsa = KeyFile::parse(&vector(rsa_file))
        .unwrap()
        .decrypt("delegpass1")
        .unwrap();
    let der = pkcs8::encode(&rsa).unwrap();
    // SEQUENCE(4-byte header) INTEGER 0 (3) AlgorithmIdentifier (13) OCTET STRING (4-byte header).
    assert_eq!(
        &der[7..20],
        &[
            0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
        ],
        "no NULL"
    );
    let text = notary_tuf::cert::pem_encode("RSA PRIVATE KEY", &[], &der[24..]);
    let file = KeyFile::parse(text.as_bytes()).unwrap();
    assert_eq!(file.kind(), KeyFileKind::LegacyRsa);
    assert_eq!(file.unencrypted_key().unwrap().public_key(), rsa.public_key());
}

#[test]
fn errors_do_not_leak_secrets() {
    let file = KeyFile::parse(&vector("generate-o.deleg-key.pem")).unwrap();
    let error = file.decrypt("secret-passphrase-123").unwrap_err();
    assert!(!format!("{error} {error:?}").contains("secret-passphrase-123"));
    let key = file.decrypt("delegpass1").unwrap();
    assert!(!format!("{key:?} {file:?}").contains("MIH"));
}
