//! Interop with the real Go notary 0.7.0 binaries (feature `interop`): key files we write are
//! used by Go, key files Go writes are used by us, and Go accepts our root certificates.
//!
//! The tests share one Go `notary-server` (local trust service, in-memory storage, on a free
//! port), started by `shared/interop/start-reference-server.sh` for the first test that needs it
//! and stopped by the last one. Every test works in its own temp directory (kept on failure) and
//! its own GUN. Failures print the Go command and its full output.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use der::{Decode as _, Encode as _, Reader as _};
use notary_keys::{KeyAlgorithm, KeyFile, KeyHeaders, generate, pkcs8, root_certificate};
use notary_tuf::cert::{CertChain, pem_encode};
use notary_tuf::sign::PrivateKey;
use notary_tuf::{Gun, KeyType, PublicKey};
use time::OffsetDateTime;

use notary_testkit::{
    DELEGATION_PASSPHRASE as DELEGATION_PASS, GoServer, ROOT_PASSPHRASE as ROOT_PASS, WorkDir, notary_offline,
};

/// a. A root key file we write is imported by `notary init --rootkey`, published, and a fresh Go
/// client trusts the result; a delegation key file we put into the trust dir's `private/` is
/// found and used by Go to sign a delegation role. Also compares Go's own root certificate with
/// ours for the same key and GUN.
#[test]
fn go_notary_uses_key_files_we_write() {
    let server = GoServer::acquire();
    let work = WorkDir::new("our-key-files");
    let gun = work.gun_under("example.com/notary-keys").parse::<Gun>().unwrap();
    let trust = work.path("trust");
    let payload = work.write("payload.txt", b"hello from notary-keys\n");

    // Our encrypted root key, imported by `init --rootkey`.
    let root = generate(KeyAlgorithm::Ecdsa).unwrap().into_parts().0;
    let root_file = KeyFile::encrypt(&root, ROOT_PASS, KeyHeaders::for_role("root", None).unwrap()).unwrap();
    let root_path = work.write("root.key", root_file.to_pem().as_bytes());
    server
        .notary(&trust, &["init", gun.as_str(), "--rootkey", path_str(&root_path), "-p"])
        .ok();

    // Go stored our key under its canonical ID, still readable by us.
    let stored = trust
        .join("private")
        .join(format!("{}.key", root.public_key().key_id()));
    let stored = KeyFile::parse(&fs::read(&stored).unwrap()).unwrap();
    assert_eq!(stored.headers().role(), Some("root"));
    assert_eq!(stored.decrypt(ROOT_PASS).unwrap().public_key(), root.public_key());

    // root.json names a certificate for our key; Go made that certificate as we do (§4.1).
    let go_cert = root_key_of(&trust, &gun);
    assert_eq!(go_cert.key_type(), &KeyType::EcdsaX509);
    assert_eq!(go_cert.canonical_id().unwrap(), root.public_key().key_id());
    let ours = root_certificate(&root, &gun, OffsetDateTime::now_utc()).unwrap();
    let go_fields = tbs_fields(&cert_der(&go_cert));
    let our_fields = tbs_fields(&cert_der(&ours));
    for (i, what) in [
        (0, "version"),
        (2, "signature algorithm"),
        (3, "issuer"),
        (5, "subject"),
        (6, "SPKI"),
        (7, "extensions"),
    ] {
        assert_eq!(
            hex(&our_fields[i]),
            hex(&go_fields[i]),
            "{what} differs from Go's root certificate"
        );
    }
    let validity_len = |fields: &[Vec<u8>]| fields[4].len();
    assert_eq!(
        validity_len(&our_fields),
        validity_len(&go_fields),
        "validity encoding (UTCTime) differs"
    );

    // A delegation key of ours, dropped into Go's key store, signs targets/ours.
    let deleg = generate(KeyAlgorithm::Ecdsa).unwrap().into_parts().0;
    let deleg_id = deleg.public_key().key_id();
    let deleg_file = KeyFile::encrypt(
        &deleg,
        DELEGATION_PASS,
        KeyHeaders::for_role("targets/ours", None).unwrap(),
    )
    .unwrap();
    let deleg_path = trust.join("private").join(format!("{deleg_id}.key"));
    fs::write(&deleg_path, deleg_file.to_pem().as_bytes()).unwrap();
    fs::set_permissions(&deleg_path, fs::Permissions::from_mode(0o600)).unwrap();
    let listed = server.notary(&trust, &["key", "list"]).ok();
    assert!(
        listed.contains(deleg_id.as_str()) && listed.contains("targets/ours"),
        "{listed}"
    );

    let deleg_pub = work.write(
        "deleg.pub",
        pem_encode("PUBLIC KEY", &[], deleg.public_key().public_bytes()).as_bytes(),
    );
    server
        .notary(
            &trust,
            &[
                "delegation",
                "add",
                gun.as_str(),
                "targets/ours",
                path_str(&deleg_pub),
                "--all-paths",
                "-p",
            ],
        )
        .ok();
    server
        .notary(&trust, &["add", gun.as_str(), "top-target", path_str(&payload), "-p"])
        .ok();
    server
        .notary(
            &trust,
            &[
                "add",
                gun.as_str(),
                "ours-target",
                path_str(&payload),
                "--roles",
                "targets/ours",
                "-p",
            ],
        )
        .ok();

    // A fresh Go client (empty trust dir) verifies and lists both.
    let fresh = work.path("fresh");
    let top = server.notary(&fresh, &["list", gun.as_str()]).ok();
    assert!(top.contains("top-target"), "{top}");
    let delegated = server
        .notary(&fresh, &["list", gun.as_str(), "--roles", "targets/ours"])
        .ok();
    assert!(delegated.contains("ours-target"), "{delegated}");
    work.done();
}

/// b. Keys Go generates decrypt and sign with our code; keys we (re-)encrypt are decrypted by Go
/// (`key passwd` decrypts and re-encrypts), and Go's re-encryption of our keys has exactly our
/// plaintext encoding. RSA and imported Ed25519 Go keys are covered by the vectors.
#[test]
fn go_generated_keys_work_with_ours_and_back() {
    let work = WorkDir::new("go-keys");
    let trust = work.path("trust");

    // `notary key generate` (root, ECDSA).
    let out = notary_offline(&trust, &["key", "generate", "ecdsa", "--role", "root"]).ok();
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("Generated new ecdsa root key with keyID: "))
        .unwrap_or_else(|| panic!("unexpected output: {out}"))
        .trim()
        .to_owned();
    let path = trust.join("private").join(format!("{id}.key"));
    let file = KeyFile::parse(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(file.headers().role(), Some("root"));
    assert_eq!(file.headers().gun(), None);
    let key = file.decrypt(ROOT_PASS).unwrap();
    assert_eq!(key.public_key().key_id().as_str(), id);
    assert_eq!(
        *file.decrypt_to_pkcs8(ROOT_PASS).unwrap(),
        *pkcs8::encode(&key).unwrap()
    );
    sign_and_verify(&key);

    // Re-encrypted by us, then decrypted (and re-encrypted) by Go's `key passwd`.
    go_round_trip(&trust, &key, "root", ROOT_PASS);

    // Keys we generate from scratch, ECDSA and Ed25519, under delegation roles.
    for algorithm in [KeyAlgorithm::Ecdsa, KeyAlgorithm::Ed25519] {
        let ours = generate(algorithm).unwrap().into_parts().0;
        go_round_trip(&trust, &ours, "targets/releases", DELEGATION_PASS);
    }

    // `notary key generate -r targets/releases -o prefix`: a PUBLIC KEY and an encrypted key.
    let prefix = work.path("deleg");
    notary_offline(
        &trust,
        &["key", "generate", "--role", "targets/releases", "-o", path_str(&prefix)],
    )
    .ok();
    let public = pem::parse(fs::read(work.path("deleg.pem")).unwrap()).unwrap();
    assert_eq!(public.tag(), "PUBLIC KEY");
    assert_eq!(public.headers().get("role"), Some("targets/releases"));
    let file = KeyFile::parse(&fs::read(work.path("deleg-key.pem")).unwrap()).unwrap();
    assert_eq!(file.headers().role(), Some("targets/releases"));
    assert_eq!(file.headers().path(), None);
    let key = file.decrypt(DELEGATION_PASS).unwrap();
    assert_eq!(
        key.public_key(),
        PublicKey::new(KeyType::Ecdsa, public.contents().to_vec())
    );
    sign_and_verify(&key);
    work.done();
}

/// c. A root certificate we generate is accepted by Go: `init --rootkey --rootcert`, publish, and a
/// fresh Go client trusts the repository; root.json carries our certificate PEM unchanged.
#[test]
fn go_notary_accepts_our_root_certificate() {
    let server = GoServer::acquire();
    let work = WorkDir::new("our-root-cert");
    let gun = work.gun_under("example.com/notary-keys").parse::<Gun>().unwrap();
    let trust = work.path("trust");
    let payload = work.write("payload.txt", b"signed under our certificate\n");

    let root = generate(KeyAlgorithm::Ecdsa).unwrap().into_parts().0;
    let cert = root_certificate(&root, &gun, OffsetDateTime::now_utc()).unwrap();
    let key_path = work.write(
        "root.key",
        KeyFile::encrypt(&root, ROOT_PASS, KeyHeaders::for_role("root", None).unwrap())
            .unwrap()
            .to_pem()
            .as_bytes(),
    );
    let cert_path = work.write("root.crt", cert.public_bytes());
    server
        .notary(
            &trust,
            &[
                "init",
                gun.as_str(),
                "--rootkey",
                path_str(&key_path),
                "--rootcert",
                path_str(&cert_path),
                "-p",
            ],
        )
        .ok();

    let in_root_json = root_key_of(&trust, &gun);
    assert_eq!(
        in_root_json, cert,
        "root.json must carry our certificate PEM byte for byte"
    );
    assert_eq!(in_root_json.key_id(), cert.key_id());

    server
        .notary(
            &trust,
            &["add", gun.as_str(), "under-our-cert", path_str(&payload), "-p"],
        )
        .ok();
    let fresh = work.path("fresh");
    let listed = server.notary(&fresh, &["list", gun.as_str()]).ok();
    assert!(listed.contains("under-our-cert"), "{listed}");
    // The fresh client pinned the root with our certificate.
    assert_eq!(root_key_of(&fresh, &gun), cert);
    work.done();
}

/// Writes `key` re-encrypted by us into Go's key store, lets Go decrypt and re-encrypt it with
/// `key passwd`, and checks that Go's file holds the same key in exactly our plaintext encoding.
fn go_round_trip(trust: &Path, key: &PrivateKey, role: &str, passphrase: &str) {
    let id = key.public_key().key_id();
    let path = trust.join("private").join(format!("{id}.key"));
    let ours = KeyFile::encrypt(key, passphrase, KeyHeaders::for_role(role, None).unwrap()).unwrap();
    fs::write(&path, ours.to_pem().as_bytes()).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();

    let out = notary_offline(trust, &["key", "passwd", id.as_str()]).ok();
    assert!(
        out.contains(&format!("Successfully updated passphrase for key ID: {id}")),
        "{out}"
    );
    let go_text = fs::read(&path).unwrap();
    assert_ne!(
        go_text,
        ours.to_pem().as_bytes(),
        "Go re-encrypts with a fresh salt and IV"
    );
    let go_file = KeyFile::parse(&go_text).unwrap();
    assert_eq!(go_file.headers().role(), Some(role));
    assert_eq!(go_file.decrypt(passphrase).unwrap().public_key(), key.public_key());
    assert_eq!(
        *go_file.decrypt_to_pkcs8(passphrase).unwrap(),
        *pkcs8::encode(key).unwrap(),
        "{role}"
    );
}

fn sign_and_verify(key: &PrivateKey) {
    let public = key.public_key();
    let signature = key.sign(public.key_id(), b"canonical").unwrap();
    public.verify(&signature.method, b"canonical", &signature.sig).unwrap();
}

/// The root role's (only) key from the client's cached root.json.
fn root_key_of(trust: &Path, gun: &Gun) -> PublicKey {
    let path = trust.join("tuf").join(gun.as_str()).join("metadata").join("root.json");
    let root: serde_json::Value =
        serde_json::from_slice(&fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap();
    let signed = &root["signed"];
    let ids = signed["roles"]["root"]["keyids"].as_array().unwrap();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = ids[0].as_str().unwrap();
    let key: PublicKey = serde_json::from_value(signed["keys"][id].clone()).unwrap();
    assert_eq!(key.key_id().as_str(), id);
    key
}

fn cert_der(key: &PublicKey) -> Vec<u8> {
    CertChain::parse_pem(key.public_bytes()).unwrap().first().der().to_vec()
}

/// The DER of each field of a certificate's TBSCertificate: version, serial, signature
/// algorithm, issuer, validity, subject, SPKI, extensions.
fn tbs_fields(cert: &[u8]) -> Vec<Vec<u8>> {
    let outer = der::asn1::AnyRef::from_der(cert).unwrap();
    let mut reader = der::SliceReader::new(outer.value()).unwrap();
    let tbs = der::asn1::AnyRef::decode(&mut reader).unwrap();
    let mut reader = der::SliceReader::new(tbs.value()).unwrap();
    let mut fields = Vec::new();
    while !reader.is_finished() {
        fields.push(der::asn1::AnyRef::decode(&mut reader).unwrap().to_der().unwrap());
    }
    assert_eq!(
        fields.len(),
        8,
        "version, serial, algorithm, issuer, validity, subject, SPKI, extensions"
    );
    fields
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}
