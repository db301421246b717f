//! `shared/spec/signer.md` §11, the signer conformance checklist, against our real binary:
//! `signer_<n>_<name>` is item `n`. Setup unless stated: TLS with `client_ca_file`, a client with a
//! certificate from that CA; "SQL" is the run's SQL backend (a SQLite file, or with
//! `NOTARY_TEST_BACKEND=postgres` a fresh PostgreSQL database) with `default_alias: alias1` and
//! `NOTARY_SIGNER_ALIAS1` set.
//!
//! Not here:
//! - items 28, 29, 31, 32 (configuration parsing) are unit tests in `src/config.rs`
//!   (`signer_28_default_alias_env`, `signer_29_missing_default_alias`, `signer_31_bad_backend`,
//!   `signer_32_numeric_log_level`; item 30 also has `signer_30_missing_tls_or_addr` there);
//! - item 24 (rows interchangeable with Go's signer) needs Go's signer on the same SQL database:
//!   the Debian `notary-signer` has no SQLite driver, and a run of Go's signer on one of the
//!   PostgreSQL databases these tests use is not written yet. Our JWE is checked against an
//!   independent implementation instead (items 22, 23);
//! - items 37, 38 (end-to-end with Go's notary-server / our server against Go's signer) are in the
//!   crossings tests.
//!
//! Beyond the checklist: `rsa_*` check RSA keys, which our signer creates and Go's refuses (item 7).

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use notary_proto::health::health_check_response::ServingStatus;
use notary_proto::signer::key_management_client::KeyManagementClient;
use notary_proto::signer::signer_client::SignerClient;
use notary_proto::signer::{CreateKeyRequest, KeyId, SignatureRequest};
use notary_signer::keys::{self, KeyAlgorithm};
use notary_testkit::pki::TestPki;
use notary_tuf::sign::PrivateKey;
use notary_tuf::{KeyType, Method};
use serde_json::json;
use tonic::Code;
use tonic::codegen::http;
use tonic::transport::Channel;

use crate::support::{
    ALIAS, ALIAS_VAR, Backend, Client, Env, GUN, PASSPHRASE, RSA2048_SPKI_PREFIX, algorithm_of, assert_fatal,
    assert_status, contains, db_bytes, key_id_of, key_row, key_rows, open_jwe, p256_point, parse_time, tuf_key_id,
    verify_ecdsa, verify_ed25519, verify_rsa_pss, verify_rsa_pss_python,
};

const BOTH: [Backend; 2] = [Backend::Memory, Backend::Sql];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_1_health_empty_service() {
    let env = Env::new("1");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    assert_eq!(client.health("").await.unwrap(), ServingStatus::Serving);
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_2_health_notary_services() {
    let env = Env::new("2");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    for service in ["grpc.health.v1.Health.KeyManagement", "grpc.health.v1.Health.Signer"] {
        assert_eq!(
            client.health(service).await.unwrap(),
            ServingStatus::Serving,
            "{service}"
        );
    }
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_3_health_unknown_service() {
    let env = Env::new("3");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    for service in [
        "grpc.health.v1.Health.Overall",
        "KeyManagement",
        "Signer",
        "proto.Signer",
    ] {
        assert_status(client.health(service).await, Code::NotFound, "unknown service");
    }
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_4_create_ecdsa() {
    for backend in BOTH {
        let env = Env::new("4");
        let (_signer, mut client) = env.start_default(backend).await;
        let key = client.create("ecdsa", GUN, "timestamp").await.unwrap();
        assert_eq!(algorithm_of(key.key_info.as_ref()), "ecdsa", "{backend:?}");
        assert_eq!(key.public_key.len(), 91, "{backend:?}");
        assert_eq!(p256_point(&key.public_key).len(), 65);
        // A valid P-256 key: aws-lc parses the SubjectPublicKeyInfo and checks the point.
        aws_lc_rs::signature::ParsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED, &key.public_key)
            .expect("not a P-256 SubjectPublicKeyInfo");
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_5_ecdsa_key_id() {
    for backend in BOTH {
        let env = Env::new("5");
        let (_signer, mut client) = env.start_default(backend).await;
        let key = client.create("ecdsa", GUN, "timestamp").await.unwrap();
        let id = key_id_of(&key);
        assert_eq!(id, tuf_key_id("ecdsa", &key.public_key), "{backend:?}");
        assert_eq!(id.len(), 64);
        assert!(
            id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{id}"
        );
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_6_create_ed25519() {
    for backend in BOTH {
        let env = Env::new("6");
        let (_signer, mut client) = env.start_default(backend).await;
        let key = client.create("ed25519", GUN, "snapshot").await.unwrap();
        assert_eq!(algorithm_of(key.key_info.as_ref()), "ed25519", "{backend:?}");
        assert_eq!(key.public_key.len(), 32, "{backend:?}");
        assert_eq!(key_id_of(&key), tuf_key_id("ed25519", &key.public_key), "{backend:?}");
        env.done();
    }
}

/// The item refuses `rsa` along with the others; our signer deliberately goes beyond Go and
/// creates RSA keys (Go's refusal makes notary-server's `trust_service.key_algorithm: rsa` fail
/// every key creation, signer.md §7), so here `rsa` is accepted and everything else still gets
/// Go's error. The RSA keys themselves are checked by the `rsa_*` tests below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_7_unsupported_algorithms() {
    for backend in BOTH {
        let env = Env::new("7");
        let (mut signer, mut client) = env.start_default(backend).await;
        for algorithm in [
            "",
            "ecdsa-x509",
            "ECDSA",
            "Ed25519",
            "rsa-x509",
            "RSA",
            "rsa ",
            "rsapss",
        ] {
            assert_status(
                client.create(algorithm, GUN, "timestamp").await,
                Code::Unknown,
                &format!("algorithm {algorithm} not supported for create key"),
            );
        }
        assert!(signer.is_running());
        if backend == Backend::Sql {
            assert!(key_rows(&env.db).await.is_empty(), "a refused CreateKey stored a row");
        }
        // Beyond Go: `rsa` is accepted.
        let key = client.create("rsa", GUN, "timestamp").await.unwrap();
        assert_eq!(algorithm_of(key.key_info.as_ref()), "rsa", "{backend:?}");
        if backend == Backend::Sql {
            assert_eq!(key_rows(&env.db).await.len(), 1);
        }
        env.done();
    }
}

/// The spec's item: "Memory store: two identical CreateKey calls → two different key IDs" (Go's
/// memory store always generates). Ours is SQLite in memory, with the SQL store's semantics
/// (signer.md §6.5): the never-used key is handed out again until it signs. This pins OUR
/// behaviour; notary-server only ever relies on the SQL semantics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_8_memory_store_create_twice() {
    let env = Env::new("8");
    let (_signer, mut client) = env.start_default(Backend::Memory).await;
    let (first, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    let (second, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    assert_eq!(first, second, "our memory store reuses the pending key");
    client.sign(Some(&first), b"hello").await.unwrap();
    let (third, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    assert_ne!(third, first, "a key that signed is not pending any more");
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_9_sql_pending_key_reused() {
    let env = Env::new("9");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    let (first, public) = client.create_ok("ecdsa", GUN, "timestamp").await;
    let again = client.create("ecdsa", GUN, "timestamp").await.unwrap();
    assert_eq!(key_id_of(&again), first);
    assert_eq!(again.public_key, public);
    assert_eq!(algorithm_of(again.key_info.as_ref()), "ecdsa");

    let (other_algorithm, _) = client.create_ok("ed25519", GUN, "timestamp").await;
    let (other_role, _) = client.create_ok("ecdsa", GUN, "snapshot").await;
    let (other_gun, _) = client.create_ok("ecdsa", "example.com/other", "timestamp").await;
    let ids = [&first, &other_algorithm, &other_role, &other_gun];
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_eq!(key_rows(&env.db).await.len(), 4, "a reused key is not stored twice");
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_10_sql_sign_ends_pending() {
    let env = Env::new("10");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    let (first, _) = client.create_ok("ed25519", GUN, "timestamp").await;
    client.sign(Some(&first), b"signed once").await.unwrap();
    let (second, _) = client.create_ok("ed25519", GUN, "timestamp").await;
    assert_ne!(second, first);
    // The new key is pending in turn.
    let (third, _) = client.create_ok("ed25519", GUN, "timestamp").await;
    assert_eq!(third, second);
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_11_get_key_info() {
    for backend in BOTH {
        let env = Env::new("11");
        let (_signer, mut client) = env.start_default(backend).await;
        for (algorithm, role) in [("ecdsa", "timestamp"), ("ed25519", "snapshot")] {
            let created = client.create(algorithm, GUN, role).await.unwrap();
            let info = client.info(&key_id_of(&created)).await.unwrap();
            assert_eq!(info.key_info, created.key_info, "{backend:?} {algorithm}");
            assert_eq!(info.public_key, created.public_key, "{backend:?} {algorithm}");
            assert_eq!(info.role, role, "{backend:?} {algorithm}");
        }
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_12_sql_last_used() {
    let env = Env::new("12");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    let (id, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    client.info(&id).await.unwrap();
    client.info(&id).await.unwrap();
    let row = key_row(&env.db, &id).await;
    assert_eq!(row.last_used, None, "GetKeyInfo must not mark the key used");

    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    client.sign(Some(&id), b"content").await.unwrap();
    let after = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    let row = key_row(&env.db, &id).await;
    let last_used = parse_time(row.last_used.as_deref().expect("Sign must set last_used"));
    assert!(
        before <= last_used && last_used <= after,
        "last_used {last_used} not between {before} and {after}"
    );
    // updated_at moves with it (signer.md §6.2).
    assert_eq!(row.updated_at, row.last_used);
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_13_get_key_info_not_found() {
    for backend in BOTH {
        let env = Env::new("13");
        let (_signer, mut client) = env.start_default(backend).await;
        assert_status(client.info("deadbeef").await, Code::NotFound, "key deadbeef not found");
        assert_status(client.info("").await, Code::NotFound, "key  not found");
        // A well-formed ID that is not held.
        let unknown = "0".repeat(64);
        assert_status(
            client.info(&unknown).await,
            Code::NotFound,
            &format!("key {unknown} not found"),
        );
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_14_sign_ecdsa() {
    for backend in BOTH {
        let env = Env::new("14");
        let (_signer, mut client) = env.start_default(backend).await;
        let (id, public) = client.create_ok("ecdsa", GUN, "timestamp").await;
        let signature = client.sign(Some(&id), b"hello world").await.unwrap();
        assert_eq!(signature.content.len(), 64, "{backend:?}: raw r||s");
        assert!(verify_ecdsa(&public, b"hello world", &signature.content), "{backend:?}");
        assert!(!verify_ecdsa(&public, b"hello world!", &signature.content));
        assert_eq!(signature.algorithm.unwrap().algorithm, "ecdsa");
        assert_eq!(algorithm_of(signature.key_info.as_ref()), "ecdsa");
        assert_eq!(signature.key_info.unwrap().key_id.unwrap().id, id);
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_15_sign_ed25519() {
    for backend in BOTH {
        let env = Env::new("15");
        let (_signer, mut client) = env.start_default(backend).await;
        let (id, public) = client.create_ok("ed25519", GUN, "timestamp").await;
        let content = br#"{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","version":1}"#;
        let signature = client.sign(Some(&id), content).await.unwrap();
        assert_eq!(signature.content.len(), 64, "{backend:?}");
        assert!(verify_ed25519(&public, content, &signature.content), "{backend:?}");
        assert_eq!(signature.algorithm.unwrap().algorithm, "eddsa");
        assert_eq!(algorithm_of(signature.key_info.as_ref()), "ed25519");
        assert_eq!(signature.key_info.unwrap().key_id.unwrap().id, id);
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_16_sign_unknown_key() {
    for backend in BOTH {
        let env = Env::new("16");
        let (_signer, mut client) = env.start_default(backend).await;
        assert_status(
            client.sign(Some("deadbeef"), b"x").await,
            Code::NotFound,
            "signing key not found: deadbeef",
        );
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_17_sign_without_key_id() {
    for backend in BOTH {
        let env = Env::new("17");
        let (mut signer, mut client) = env.start_default(backend).await;
        let (id, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
        // Go crashes here; we answer NOT_FOUND for the empty ID.
        assert_status(client.sign(None, b"x").await, Code::NotFound, "signing key not found: ");
        assert!(
            signer.is_running(),
            "{backend:?}: the signer died:\n{}",
            signer.stderr()
        );
        assert_eq!(client.health("").await.unwrap(), ServingStatus::Serving);
        client.sign(Some(&id), b"still serving").await.unwrap();
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_18_delete_unknown_key() {
    for backend in BOTH {
        let env = Env::new("18");
        let (_signer, mut client) = env.start_default(backend).await;
        client.delete("deadbeef").await.unwrap();
        client.delete("").await.unwrap();
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_19_delete_key() {
    for backend in BOTH {
        let env = Env::new("19");
        let (_signer, mut client) = env.start_default(backend).await;
        let (id, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
        // Used once, so the key is in the signer's cache of opened keys too.
        client.sign(Some(&id), b"before").await.unwrap();
        client.delete(&id).await.unwrap();
        assert_status(client.info(&id).await, Code::NotFound, &format!("key {id} not found"));
        assert_status(
            client.sign(Some(&id), b"after").await,
            Code::NotFound,
            &format!("signing key not found: {id}"),
        );
        // Deleting again is still fine.
        client.delete(&id).await.unwrap();
        env.done();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_20_sql_soft_delete() {
    let env = Env::new("20");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    let (id, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    client.delete(&id).await.unwrap();
    let row = key_row(&env.db, &id).await;
    let deleted_at = parse_time(row.deleted_at.as_deref().expect("deleted_at must be set"));
    assert!((time::OffsetDateTime::now_utc() - deleted_at).abs() < time::Duration::minutes(1));
    assert_eq!(row.last_used, None);
    // The deleted key was pending: it must not be handed out again.
    let (new, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    assert_ne!(new, id);
    assert_eq!(key_rows(&env.db).await.len(), 2);
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_21_sql_row_columns() {
    let env = Env::new("21");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    for (algorithm, gun, role) in [
        ("ecdsa", GUN, "timestamp"),
        ("ed25519", "docker.io/library/x", "snapshot"),
        ("ecdsa", "", ""),
    ] {
        let (id, public) = client.create_ok(algorithm, gun, role).await;
        let row = key_row(&env.db, &id).await;
        assert_eq!(row.encryption_alg, "A256GCM");
        assert_eq!(row.keywrap_alg, "PBES2-HS256+A128KW");
        assert_eq!(row.passphrase_alias, ALIAS);
        assert_eq!(row.algorithm, algorithm);
        assert_eq!(row.gun, gun);
        assert_eq!(row.role, role);
        assert_eq!(row.public, public);
        let created = parse_time(row.created_at.as_deref().expect("created_at"));
        assert!((time::OffsetDateTime::now_utc() - created).abs() < time::Duration::minutes(1));
        assert_eq!(row.updated_at, row.created_at);
        assert_eq!(row.deleted_at, None);
        assert_eq!(row.last_used, None);
    }
    env.done();
}

/// Our signer deliberately writes `p2c` = 600,000 (`notary_signer::keys::PBKDF2_ITERATIONS`, the
/// OWASP figure) instead of Go's 8192; Go's JWE reader takes `p2c` from the header. Everything
/// else is the item's exact header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_22_sql_jwe_header() {
    let env = Env::new("22");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    for algorithm in ["ecdsa", "ed25519"] {
        let (id, _) = client.create_ok(algorithm, GUN, "timestamp").await;
        let row = key_row(&env.db, &id).await;
        let jwe = String::from_utf8(row.private).expect("the private column is ASCII text");
        let segments: Vec<&str> = jwe.split('.').collect();
        assert_eq!(segments.len(), 5, "{jwe}");
        assert!(
            segments
                .iter()
                .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')),
            "segments must be unpadded base64url: {jwe}"
        );
        let header = open_jwe(&jwe, PASSPHRASE).header;
        let p2s = header
            .strip_prefix(&format!(
                r#"{{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":{},"p2s":""#,
                keys::PBKDF2_ITERATIONS
            ))
            .and_then(|rest| rest.strip_suffix(r#""}"#))
            .unwrap_or_else(|| panic!("unexpected header {header}"));
        assert_eq!(p2s.len(), 16, "p2s of 12 bytes: {header}");
        assert_eq!(keys::PBKDF2_ITERATIONS, 600_000);
    }
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_23_sql_jwe_decrypts() {
    let env = Env::new("23");
    let (_signer, mut client) = env.start_default(Backend::Sql).await;

    let (id, spki) = client.create_ok("ecdsa", GUN, "timestamp").await;
    let row = key_row(&env.db, &id).await;
    let der = open_jwe(std::str::from_utf8(&row.private).unwrap(), PASSPHRASE).plaintext;
    // SEC 1 ECPrivateKey: version 1, 32-byte scalar, [0] prime256v1, [1] the public point.
    assert_eq!(der.len(), 121, "{}", hex::encode(&der));
    assert_eq!(der[..7], [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20]);
    assert_eq!(
        der[39..56],
        [
            0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44, 0x03, 0x42, 0x00
        ]
    );
    assert_eq!(
        der[56..],
        *p256_point(&spki),
        "embedded public key differs from the stored one"
    );
    let pair = aws_lc_rs::signature::EcdsaKeyPair::from_private_key_der(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &der,
    )
    .expect("aws-lc parses the SEC 1 key");
    use aws_lc_rs::signature::KeyPair as _;
    assert_eq!(
        pair.public_key().as_ref(),
        p256_point(&spki),
        "scalar does not match the public key"
    );

    let (id, public) = client.create_ok("ed25519", GUN, "timestamp").await;
    let row = key_row(&env.db, &id).await;
    let raw = open_jwe(std::str::from_utf8(&row.private).unwrap(), PASSPHRASE).plaintext;
    assert_eq!(raw.len(), 96);
    assert_eq!(raw[..32], public[..]);
    assert_eq!(raw[64..], public[..]);
    let pair = aws_lc_rs::signature::Ed25519KeyPair::from_seed_and_public_key(&raw[32..64], &public)
        .expect("the seed does not match the public key");
    assert_eq!(pair.public_key().as_ref(), &public[..]);
    env.done();
}

/// Item 24 (a row written by Go's signer works in ours and vice versa) cannot run here: see the
/// module documentation.
///
/// Item 25. Go starts without the default alias's passphrase variable and then answers CreateKey
/// with INTERNAL `Key creation failed`; ours refuses to start instead (a deliberate fail-fast in
/// `src/config.rs`), so that half of the item is a start-up failure here. Existing keys under an
/// alias whose variable is unset are NOT_FOUND, as in Go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_25_sql_missing_passphrase() {
    let env = Env::new("25");
    let (signer, mut client) = env.start_default(Backend::Sql).await;
    let (id, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    assert!(signer.terminate().success());

    // No passphrase for the default alias: no start-up.
    let failure = env.start_failure(&env.config(Backend::Sql), &[]);
    assert_fatal(&failure, ALIAS_VAR);

    // Default alias `new` (its variable set), but NOTARY_SIGNER_ALIAS1 unset: the alias1 key
    // cannot be opened.
    let mut config = env.config(Backend::Sql);
    config["storage"]["default_alias"] = json!("new");
    let signer = env.start(&config, &[("NOTARY_SIGNER_NEW", "new passphrase")]);
    let mut client = env.client(&signer).await;
    assert_status(client.info(&id).await, Code::NotFound, &format!("key {id} not found"));
    assert_status(
        client.sign(Some(&id), b"x").await,
        Code::NotFound,
        &format!("signing key not found: {id}"),
    );
    assert_eq!(key_row(&env.db, &id).await.last_used, None);
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_26_sql_wrong_passphrase() {
    let env = Env::new("26");
    let (signer, mut client) = env.start_default(Backend::Sql).await;
    let (id, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    client.sign(Some(&id), b"used").await.unwrap();
    assert!(signer.terminate().success());

    let signer = env.start(&env.config(Backend::Sql), &[(ALIAS_VAR, "not the passphrase")]);
    let mut client = env.client(&signer).await;
    assert_status(client.info(&id).await, Code::NotFound, &format!("key {id} not found"));
    assert_status(
        client.sign(Some(&id), b"x").await,
        Code::NotFound,
        &format!("signing key not found: {id}"),
    );
    // The wrong passphrase is not detected: new keys are sealed with it, and work.
    let (new, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    assert_ne!(new, id);
    client.info(&new).await.unwrap();
    let row = key_row(&env.db, &new).await;
    open_jwe(std::str::from_utf8(&row.private).unwrap(), "not the passphrase");
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_27_sql_alias_rotation() {
    let env = Env::new("27");
    let mut config = env.config(Backend::Sql);
    config["storage"]["default_alias"] = json!("old");
    let signer = env.start(&config, &[("NOTARY_SIGNER_OLD", "old passphrase")]);
    let mut client = env.client(&signer).await;
    let (old_key, old_public) = client.create_ok("ecdsa", GUN, "timestamp").await;
    assert!(signer.terminate().success());
    assert_eq!(key_row(&env.db, &old_key).await.passphrase_alias, "old");

    config["storage"]["default_alias"] = json!("new");
    let signer = env.start(
        &config,
        &[
            ("NOTARY_SIGNER_OLD", "old passphrase"),
            ("NOTARY_SIGNER_NEW", "new passphrase"),
        ],
    );
    let mut client = env.client(&signer).await;
    assert_eq!(client.info(&old_key).await.unwrap().public_key, old_public);
    let signature = client.sign(Some(&old_key), b"old key").await.unwrap();
    assert!(verify_ecdsa(&old_public, b"old key", &signature.content));
    let (new_key, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    assert_ne!(new_key, old_key);
    let row = key_row(&env.db, &new_key).await;
    assert_eq!(row.passphrase_alias, "new");
    open_jwe(std::str::from_utf8(&row.private).unwrap(), "new passphrase");
    client.sign(Some(&new_key), b"new key").await.unwrap();
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_30_startup_without_tls_or_addr() {
    let env = Env::new("30");
    let sql_env = Env::default_env(Backend::Sql);
    for missing in ["tls_cert_file", "tls_key_file"] {
        let mut config = env.config(Backend::Sql);
        config["server"].as_object_mut().unwrap().remove(missing);
        assert_fatal(&env.start_failure(&config, &sql_env), "unable to set up TLS: ");
    }
    // Named but unreadable: still Go's prefix.
    let mut config = env.config(Backend::Memory);
    config["server"]["tls_cert_file"] = json!(env.work.path("missing.crt").to_str().unwrap());
    assert_fatal(&env.start_failure(&config, &[]), "unable to set up TLS: ");

    let mut config = env.config(Backend::Sql);
    config["server"].as_object_mut().unwrap().remove("grpc_addr");
    assert_fatal(
        &env.start_failure(&config, &sql_env),
        "grpc listen address required for server",
    );
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_33_mutual_tls_required() {
    let env = Env::new("33");
    let (signer, mut client) = env.start_default(Backend::Sql).await;
    let other = TestPki::generate(&env.work.path("other-pki"));
    assert_refused(&env, &signer.addr, None).await;
    assert_refused(&env, &signer.addr, Some(&other)).await;
    // The signer is unaffected.
    assert_eq!(client.health("").await.unwrap(), ServingStatus::Serving);
    env.done();
}

/// A client without a certificate, or with `identity`'s, cannot call anything: the handshake or
/// (TLS 1.3, where the server checks the client certificate after the client finished) the
/// first call fails.
async fn assert_refused(env: &Env, addr: &str, identity: Option<&TestPki>) {
    let channel = match crate::support::connect(addr, &env.pki.ca_cert, identity).await {
        Ok(channel) => channel,
        Err(_) => return,
    };
    let mut client = Client::new(channel);
    let health = client.health("").await;
    assert!(
        health.is_err(),
        "health answered without a valid client certificate: {health:?}"
    );
    let created = client.create("ecdsa", GUN, "timestamp").await;
    assert!(
        created.is_err(),
        "CreateKey answered without a valid client certificate: {created:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_34_no_client_ca() {
    let env = Env::new("34");
    let mut config = env.config(Backend::Sql);
    config["server"].as_object_mut().unwrap().remove("client_ca_file");
    let signer = env.start(&config, &Env::default_env(Backend::Sql));
    let mut anonymous = Client::new(env.channel(&signer, None).await.unwrap());
    assert_eq!(anonymous.health("").await.unwrap(), ServingStatus::Serving);
    // A client certificate (ignored) is fine too.
    let mut client = env.client(&signer).await;
    assert_eq!(client.health("").await.unwrap(), ServingStatus::Serving);
    // TLS stays mandatory: plaintext HTTP/2 gets nowhere.
    let plain = tonic::transport::Endpoint::from_shared(format!("http://{}", signer.addr))
        .unwrap()
        .timeout(std::time::Duration::from_secs(10))
        .connect()
        .await;
    if let Ok(channel) = plain {
        assert!(
            Client::new(channel).health("").await.is_err(),
            "served gRPC without TLS"
        );
    }
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_35_tls_versions_and_alpn() {
    if !crate::support::openssl_available() {
        eprintln!("openssl not found: signer_35 skipped");
        return;
    }
    let env = Env::new("35");
    let (signer, _client) = env.start_default(Backend::Memory).await;
    let (ok, output) = crate::support::s_client(&signer.addr, &env.pki, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    assert!(!ok, "TLS 1.1 handshake succeeded:\n{output}");
    assert!(
        output.contains("Cipher is (NONE)"),
        "a TLS 1.1 session was set up:\n{output}"
    );
    // Go answers with a `protocol_version` alert (signer.md §2); rustls checks the ClientHello's
    // signature_algorithms extension (which TLS 1.1 hellos lack) before the version and answers
    // `handshake_failure`. Either is a refusal; the item does not name the alert.
    assert!(
        output.contains("alert protocol version") || output.contains("alert handshake failure"),
        "TLS 1.1 not refused with a fatal alert:\n{output}"
    );
    for (flag, version) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let (ok, output) = crate::support::s_client(&signer.addr, &env.pki, &[flag, "-alpn", "h2"]);
        assert!(ok, "{version} handshake failed:\n{output}");
        assert!(output.contains("ALPN protocol: h2"), "{version}: no ALPN h2:\n{output}");
        assert!(
            // The session block (`Protocol  : …`) may be missing for TLS 1.3 when s_client exits
            // before the session ticket arrives; this line is always there.
            output.contains(&format!("New, {version}, Cipher is ")),
            "{version} not negotiated:\n{output}"
        );
        assert!(output.contains("Verify return code: 0 (ok)"), "{output}");
    }
    env.done();
}

/// The generated clients' requests go through this, which records (and may rewrite) each
/// request's path.
#[derive(Clone)]
struct PathRecorder {
    inner: Channel,
    paths: Arc<Mutex<Vec<String>>>,
    rewrite: Option<&'static str>,
}

impl tonic::codegen::Service<http::Request<tonic::body::Body>> for PathRecorder {
    type Response = <Channel as tonic::codegen::Service<http::Request<tonic::body::Body>>>::Response;
    type Error = <Channel as tonic::codegen::Service<http::Request<tonic::body::Body>>>::Error;
    type Future = <Channel as tonic::codegen::Service<http::Request<tonic::body::Body>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tonic::codegen::Service::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        if let Some(path) = self.rewrite {
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = Some(http::uri::PathAndQuery::from_static(path));
            *request.uri_mut() = http::Uri::from_parts(parts).unwrap();
        }
        self.paths.lock().unwrap().push(request.uri().path().to_owned());
        tonic::codegen::Service::call(&mut self.inner, request)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_36_method_paths() {
    let env = Env::new("36");
    let (signer, _client) = env.start_default(Backend::Sql).await;
    let channel = env.channel(&signer, Some(&env.pki)).await.unwrap();
    let recorder = PathRecorder {
        inner: channel.clone(),
        paths: Arc::default(),
        rewrite: None,
    };
    let mut keys = KeyManagementClient::new(recorder.clone());
    let mut signer_client = SignerClient::new(recorder.clone());
    let created = keys
        .create_key(CreateKeyRequest {
            algorithm: "ed25519".into(),
            gun: GUN.into(),
            role: "timestamp".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let id = key_id_of(&created);
    keys.get_key_info(KeyId { id: id.clone() }).await.unwrap();
    signer_client
        .sign(SignatureRequest {
            key_id: Some(KeyId { id: id.clone() }),
            content: b"x".to_vec(),
        })
        .await
        .unwrap();
    keys.delete_key(KeyId { id }).await.unwrap();
    assert_eq!(
        *recorder.paths.lock().unwrap(),
        [
            "/proto.KeyManagement/CreateKey",
            "/proto.KeyManagement/GetKeyInfo",
            "/proto.Signer/Sign",
            "/proto.KeyManagement/DeleteKey",
        ]
    );
    // Other spellings are not routed.
    for path in [
        "/proto.keymanagement/CreateKey",
        "/KeyManagement/CreateKey",
        "/proto.KeyManagement/createKey",
        "/proto.Signer/CreateKey",
    ] {
        let mut keys = KeyManagementClient::new(PathRecorder {
            inner: channel.clone(),
            paths: Arc::default(),
            rewrite: Some(path),
        });
        let result = keys
            .create_key(CreateKeyRequest {
                algorithm: "ed25519".into(),
                gun: GUN.into(),
                role: "timestamp".into(),
            })
            .await;
        assert_eq!(result.unwrap_err().code(), Code::Unimplemented, "{path}");
    }
    env.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_39_restart() {
    // Memory: gone.
    let env = Env::new("39-memory");
    let (signer, mut client) = env.start_default(Backend::Memory).await;
    let (id, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    client.sign(Some(&id), b"x").await.unwrap();
    assert!(signer.terminate().success());
    let (_signer, mut client) = env.start_default(Backend::Memory).await;
    assert_status(client.info(&id).await, Code::NotFound, &format!("key {id} not found"));
    env.done();

    // SQL: kept (the issue's restart requirement too: create + sign, SIGTERM, same database).
    let env = Env::new("39-sql");
    let (signer, mut client) = env.start_default(Backend::Sql).await;
    let mut keys = Vec::new();
    for algorithm in ["ecdsa", "ed25519"] {
        let created = client.create(algorithm, GUN, "timestamp").await.unwrap();
        let id = key_id_of(&created);
        client.sign(Some(&id), b"before restart").await.unwrap();
        keys.push((algorithm, id, created));
    }
    let (pending, _) = client.create_ok("ecdsa", GUN, "snapshot").await;
    let status = signer.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");

    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    for (algorithm, id, created) in keys {
        let info = client.info(&id).await.unwrap();
        assert_eq!(info.key_info, created.key_info, "{algorithm}");
        assert_eq!(info.public_key, created.public_key, "{algorithm}");
        assert_eq!(info.role, "timestamp");
        let signature = client.sign(Some(&id), b"after restart").await.unwrap();
        let valid = match algorithm {
            "ecdsa" => verify_ecdsa(&created.public_key, b"after restart", &signature.content),
            _ => verify_ed25519(&created.public_key, b"after restart", &signature.content),
        };
        assert!(valid, "{algorithm} signature after restart does not verify");
        // Used before the restart: CreateKey makes a new key.
        let (new, _) = client.create_ok(algorithm, GUN, "timestamp").await;
        assert_ne!(new, id);
    }
    // Still pending after the restart.
    assert_eq!(client.create_ok("ecdsa", GUN, "snapshot").await.0, pending);
    env.done();
}

/// Beyond Go (see item 7): CreateKey `rsa` makes a 2048-bit RSA key whose public bytes are the DER
/// SubjectPublicKeyInfo (keys.md §1), with the key ID of item 5 for `"keytype":"rsa"` — the ID
/// notary-server computes for the key it puts in root.json — and GetKeyInfo returns it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_create_key_and_get_key_info() {
    for backend in BOTH {
        let env = Env::new("rsa-create");
        let (_signer, mut client) = env.start_default(backend).await;
        let key = client.create("rsa", GUN, "timestamp").await.unwrap();
        assert_eq!(algorithm_of(key.key_info.as_ref()), "rsa", "{backend:?}");
        assert_eq!(
            key.public_key.len(),
            294,
            "{backend:?}: {}",
            hex::encode(&key.public_key)
        );
        assert_eq!(key.public_key[..24], RSA2048_SPKI_PREFIX, "{backend:?}");
        // aws-lc parses it as an RSA SubjectPublicKeyInfo.
        let parsed = aws_lc_rs::signature::ParsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PSS_2048_8192_SHA256,
            &key.public_key,
        )
        .expect("not an RSA SubjectPublicKeyInfo");
        assert_eq!(parsed.as_ref(), &key.public_key[..]);

        let id = key_id_of(&key);
        assert_eq!(id, tuf_key_id("rsa", &key.public_key), "{backend:?}");
        let tuf_key = notary_tuf::PublicKey::new(KeyType::Rsa, key.public_key.clone());
        assert_eq!(tuf_key.key_id().as_str(), id);
        assert_eq!(id.len(), 64);

        let info = client.info(&id).await.unwrap();
        assert_eq!(info.key_info, key.key_info, "{backend:?}");
        assert_eq!(info.public_key, key.public_key, "{backend:?}");
        assert_eq!(info.role, "timestamp");

        // A separate key from the ECDSA one for the same GUN and role.
        let (ecdsa, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
        assert_ne!(ecdsa, id);
        env.done();
    }
}

/// Beyond Go: Sign with an RSA key gives method `rsapss`, RSASSA-PSS with SHA-256, MGF1-SHA-256 and
/// a 32-byte salt over the content itself, checked with aws-lc, with notary-tuf's verifier (what
/// our server and client use) and, where Python's `cryptography` exists, with OpenSSL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_sign_rsassa_pss_sha256() {
    for backend in BOTH {
        let env = Env::new("rsa-sign");
        let (_signer, mut client) = env.start_default(backend).await;
        let (id, public) = client.create_ok("rsa", GUN, "snapshot").await;
        let content = br#"{"_type":"Snapshot","expires":"2030-01-01T00:00:00Z","version":1}"#;
        let signature = client.sign(Some(&id), content).await.unwrap();
        assert_eq!(signature.content.len(), 256, "{backend:?}");
        assert_eq!(signature.algorithm.as_ref().unwrap().algorithm, "rsapss");
        assert_eq!(algorithm_of(signature.key_info.as_ref()), "rsa");
        assert_eq!(signature.key_info.as_ref().unwrap().key_id.as_ref().unwrap().id, id);

        assert!(verify_rsa_pss(&public, content, &signature.content), "{backend:?}");
        assert!(!verify_rsa_pss(&public, b"other content", &signature.content));
        let tuf_key = notary_tuf::PublicKey::new(KeyType::Rsa, public.clone());
        tuf_key
            .verify(&Method::RsaPss, content, &signature.content)
            .expect("notary-tuf rejects the rsapss signature");
        if let Some(result) = verify_rsa_pss_python(&public, content, &signature.content) {
            assert_eq!(result, Ok(2048), "{backend:?}");
        }
        // The signature covers the content, not a digest of it.
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, content);
        assert!(!verify_rsa_pss(&public, digest.as_ref(), &signature.content));

        // RSASSA-PSS is randomized: a second signature differs and verifies too.
        let again = client.sign(Some(&id), content).await.unwrap();
        assert_ne!(again.content, signature.content);
        assert!(verify_rsa_pss(&public, content, &again.content));
        env.done();
    }
}

/// Beyond Go: an RSA key is stored like the others (row columns, the JWE of signer.md §6.3 with the
/// PKCS#1 `RSAPrivateKey` as plaintext, our extension), its private key never appears in the
/// database unsealed, and it survives a restart: pending reuse, GetKeyInfo and Sign afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_keys_are_sealed_and_survive_restart() {
    let env = Env::new("rsa-restart");
    let (signer, mut client) = env.start_default(Backend::Sql).await;
    let created = client.create("rsa", GUN, "timestamp").await.unwrap();
    let id = key_id_of(&created);
    client.sign(Some(&id), b"before restart").await.unwrap();
    let (pending, _) = client.create_ok("rsa", GUN, "snapshot").await;
    assert_eq!(client.create_ok("rsa", GUN, "snapshot").await.0, pending);

    let row = key_row(&env.db, &id).await;
    assert_eq!(row.algorithm, "rsa");
    assert_eq!(row.public, created.public_key);
    assert_eq!(
        (
            row.encryption_alg.as_str(),
            row.keywrap_alg.as_str(),
            row.passphrase_alias.as_str()
        ),
        ("A256GCM", "PBES2-HS256+A128KW", ALIAS)
    );
    assert!(row.last_used.is_some());
    // Opened independently: the plaintext is a PKCS#1 RSAPrivateKey of this very public key.
    let jwe = std::str::from_utf8(&row.private).expect("the private column is ASCII text");
    let opened = open_jwe(jwe, PASSPHRASE);
    assert!(
        opened
            .header
            .starts_with(r#"{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":"#)
    );
    let pkcs1 = opened.plaintext;
    let pair = aws_lc_rs::rsa::KeyPair::from_der(&pkcs1).expect("not a PKCS#1 RSAPrivateKey");
    {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        assert_eq!(pair.public_key().as_der().unwrap().as_ref(), &row.public[..]);
    }
    assert_eq!(pair.public_modulus_len(), 256);

    // Nothing of the private key is in the database files (WAL included), before or after a stop.
    let mut on_disk = db_bytes(&env.db);
    let status = signer.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");
    on_disk.extend_from_slice(&db_bytes(&env.db));
    // The PKCS#1 key is version, n, e, then d, p, q, dp, dq, qinv: 32-byte pieces from the secret
    // part (beyond the 273-byte header with n and e) must not occur anywhere.
    assert!(pkcs1.len() > 1100, "{}", pkcs1.len());
    assert!(!contains(&on_disk, &pkcs1), "the PKCS#1 key is stored in plaintext");
    for offset in (300..pkcs1.len() - 32).step_by(97) {
        let piece = &pkcs1[offset..offset + 32];
        assert!(
            !contains(&on_disk, piece),
            "PKCS#1 bytes {offset}.. are stored in plaintext"
        );
        assert!(
            !contains(&on_disk, hex::encode(piece).as_bytes()),
            "PKCS#1 bytes {offset}.. are stored as hex"
        );
    }
    // The check finds key material when it is there (the public key is).
    assert!(contains(&on_disk, &row.public));

    let (_signer, mut client) = env.start_default(Backend::Sql).await;
    let info = client.info(&id).await.unwrap();
    assert_eq!(info.key_info, created.key_info);
    assert_eq!(info.public_key, created.public_key);
    assert_eq!(info.role, "timestamp");
    let signature = client.sign(Some(&id), b"after restart").await.unwrap();
    assert_eq!(signature.algorithm.unwrap().algorithm, "rsapss");
    assert!(verify_rsa_pss(
        &created.public_key,
        b"after restart",
        &signature.content
    ));
    // Used before the restart: a new key; the pending one is still pending.
    let (new, _) = client.create_ok("rsa", GUN, "timestamp").await;
    assert_ne!(new, id);
    assert_eq!(client.create_ok("rsa", GUN, "snapshot").await.0, pending);
    env.done();
}

/// The issue's requirement: without the default alias's passphrase the binary does not start,
/// and says which variable to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_alias_passphrase_fails_at_startup() {
    let env = Env::new("missing-passphrase");
    let config = env.config(Backend::Sql);
    for vars in [&[][..], &[(ALIAS_VAR, "")][..], &[("NOTARY_SIGNER_ALIAS2", "x")][..]] {
        let failure = env.start_failure(&config, vars);
        assert_fatal(&failure, ALIAS_VAR);
    }
    assert!(!env.db.exists() || key_rows(&env.db).await.is_empty());
    env.done();
}

/// The issue's requirement: the database never holds plaintext key material (the ECDSA scalar,
/// the Ed25519 seed), neither while the signer runs (WAL) nor after it stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_on_disk_are_sealed() {
    let env = Env::new("sealed");
    let (signer, mut client) = env.start_default(Backend::Sql).await;
    let (ecdsa, _) = client.create_ok("ecdsa", GUN, "timestamp").await;
    let (ed25519, _) = client.create_ok("ed25519", GUN, "timestamp").await;
    client.sign(Some(&ecdsa), b"x").await.unwrap();
    client.sign(Some(&ed25519), b"x").await.unwrap();
    let mut on_disk = db_bytes(&env.db);
    assert!(signer.terminate().success());
    on_disk.extend_from_slice(&db_bytes(&env.db));

    let mut secrets: Vec<(String, Vec<u8>)> = Vec::new();
    for (id, algorithm) in [(&ecdsa, KeyAlgorithm::Ecdsa), (&ed25519, KeyAlgorithm::Ed25519)] {
        let row = key_row(&env.db, id).await;
        let jwe = String::from_utf8(row.private).unwrap();
        let material = keys::open(&jwe, algorithm, PASSPHRASE, Some(&row.public)).unwrap();
        use aws_lc_rs::encoding::AsBigEndian as _;
        use aws_lc_rs::signature::KeyPair as _;
        match material.private_key() {
            PrivateKey::Ecdsa(pair) => {
                let scalar = pair.private_key().as_be_bytes().unwrap();
                secrets.push(("ECDSA scalar".into(), scalar.as_ref().to_vec()));
            }
            PrivateKey::Ed25519(pair) => {
                let seed = pair.seed().unwrap().as_be_bytes().unwrap();
                secrets.push(("Ed25519 seed".into(), seed.as_ref().to_vec()));
                let mut go_private = seed.as_ref().to_vec();
                go_private.extend_from_slice(pair.public_key().as_ref());
                secrets.push(("Ed25519 private key".into(), go_private));
            }
            PrivateKey::Rsa(_) => unreachable!(),
        }
    }
    assert_eq!(secrets.len(), 3);
    for (what, secret) in &secrets {
        assert_eq!(secret.len() % 32, 0);
        assert!(!contains(&on_disk, secret), "the {what} is stored in plaintext");
        assert!(
            !contains(&on_disk, hex::encode(secret).as_bytes()),
            "the {what} is stored as hex"
        );
    }
    // The check itself finds key material when it is there.
    assert!(contains(&on_disk, &key_row(&env.db, &ecdsa).await.public));
    env.done();
}

/// SIGTERM stops the signer even when a connected client never answers the HTTP/2 shutdown
/// handshake (GOAWAY + PING): in-flight requests get a bounded grace period, as in notary-server.
/// (Go's signer has no graceful shutdown at all, signer.md §9.)
#[test]
fn sigterm_exits_despite_an_unresponsive_client() {
    let env = Env::new("sigterm");
    let signer = env.start(&env.config(Backend::Memory), &[]);
    let (addr, ca, pki) = (signer.addr.clone(), env.pki.ca_cert.clone(), env.pki.clone());
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    // A client on a runtime that stops being polled after one call: its connection stays open but
    // never answers the server again.
    let client = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let channel = runtime.block_on(async {
            let channel = crate::support::connect(&addr, &ca, Some(&pki)).await.unwrap();
            let status = Client::new(channel.clone()).health("").await.unwrap();
            assert_eq!(status, ServingStatus::Serving);
            channel
        });
        ready_tx.send(()).unwrap();
        let _ = release_rx.recv();
        drop(channel);
    });
    ready_rx.recv().unwrap();
    let started = std::time::Instant::now();
    let status = signer.terminate();
    let took = started.elapsed();
    release_tx.send(()).unwrap();
    client.join().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(took < std::time::Duration::from_secs(20), "SIGTERM took {took:?}");
    env.done();
}
