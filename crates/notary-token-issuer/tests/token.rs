//! Token signing: ES256 and RS256, the header and claims verifiers expect, key/certificate
//! checks.

use notary_auth::Claims;
use notary_auth::ResourceActions;
use notary_token_issuer::token::{self, CLOCK_SKEW_SECONDS, KeyError, SigningKey, random_jti};

use crate::support::{Alg, Pki, decode_verified};

const NOW: i64 = 1_800_000_000;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn claims() -> Claims {
    let access = vec![ResourceActions {
        resource_type: "repository".into(),
        name: "team/app".into(),
        actions: vec!["pull".into(), "push".into()],
        ..Default::default()
    }];
    token::claims("iss-x", "alice", "svc", access, NOW, 300, random_jti().unwrap())
}

#[test]
fn es256_and_rs256_tokens_verify_and_carry_the_claims() {
    for (alg, name) in [(Alg::Es256, "ES256"), (Alg::Rs256, "RS256")] {
        let pki = Pki::generate(alg);
        let key = SigningKey::from_pem(pki.signing_key.as_bytes(), pki.signing_cert.as_bytes(), now()).unwrap();
        assert_eq!(key.algorithm(), name);
        let token = key.sign(&claims()).unwrap();
        let (header, claims) = decode_verified(&token);
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["alg"], name);
        let leaf = pem::parse(&pki.signing_cert).unwrap();
        let x5c = header["x5c"].as_array().unwrap();
        assert_eq!(x5c.len(), 1);
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(x5c[0].as_str().unwrap())
                .unwrap(),
            leaf.contents()
        );
        assert_eq!(claims["iss"], "iss-x");
        assert_eq!(claims["sub"], "alice");
        assert!(claims["aud"].is_string(), "aud must be a single string");
        assert_eq!(claims["aud"], "svc");
        assert_eq!(claims["exp"], NOW + 300);
        assert_eq!(claims["nbf"], NOW - CLOCK_SKEW_SECONDS);
        assert_eq!(claims["iat"], NOW - CLOCK_SKEW_SECONDS);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
        assert_eq!(
            claims["access"],
            serde_json::json!([{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}])
        );
    }
}

#[test]
fn the_whole_chain_goes_into_x5c_leaf_first() {
    let pki = Pki::generate(Alg::Es256);
    let chain = format!("{}{}", pki.signing_cert, pki.root_cert);
    let key = SigningKey::from_pem(pki.signing_key.as_bytes(), chain.as_bytes(), now()).unwrap();
    let (header, _) = decode_verified(&key.sign(&claims()).unwrap());
    assert_eq!(header["x5c"].as_array().unwrap().len(), 2);
}

#[test]
fn jtis_differ() {
    assert_ne!(random_jti().unwrap(), random_jti().unwrap());
}

#[test]
fn keys_and_certificates_that_do_not_fit_are_refused() {
    let a = Pki::generate(Alg::Es256);
    let b = Pki::generate(Alg::Es256);
    let check = |key: &str, chain: &str, at: i64| SigningKey::from_pem(key.as_bytes(), chain.as_bytes(), at);
    assert!(matches!(
        check(&a.signing_key, &b.signing_cert, now()),
        Err(KeyError::CertificateMismatch)
    ));
    assert!(matches!(check(&a.signing_key, "", now()), Err(KeyError::NoCertificate)));
    assert!(matches!(check("", &a.signing_cert, now()), Err(KeyError::NoKey)));
    assert!(matches!(
        check(&a.signing_key, &a.signing_cert, 253_402_300_800 + 1_000_000_000),
        Err(KeyError::CertificateNotValidNow { .. })
    ));
    // A P-384 key cannot sign ES256 tokens.
    let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    assert!(matches!(
        check(&p384.serialize_pem(), &a.signing_cert, now()),
        Err(KeyError::Unsupported)
    ));
    // Messages never carry key material.
    let message = check(&a.signing_key, &b.signing_cert, now()).err().unwrap().to_string();
    assert!(!message.contains("BEGIN"));
}
