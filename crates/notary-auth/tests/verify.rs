//! server-behaviour.md §9.2 against real keys: x5c chains (leaf only, leaf+root, via an
//! intermediate, codeSigning EKU, outsiders), `kid` and `jwk` keys, every algorithm, leeway, and
//! forged or garbled tokens.

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use notary_auth::{
    Claims, Header, InvalidToken, KeyError, MalformedToken, Refusal, RequiredAccess, ResourceActions, RootsError,
    Token, TokenVerifier, TrustedRoots, base64url, encode, libtrust_key_id,
};
use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, PublicKeyData as _,
    SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};

const ISSUER: &str = "auth.example.com";
const SERVICE: &str = "notary";
const GUN: &str = "example.com/app";

/// A key with a certificate, able to sign tokens.
struct Identity {
    key: KeyPair,
    der: Vec<u8>,
    pem: String,
    alg: &'static str,
}

impl Identity {
    fn x5c(&self) -> String {
        STANDARD.encode(&self.der)
    }

    fn spki(&self) -> Vec<u8> {
        self.key.subject_public_key_info()
    }
}

struct Pki {
    root: Identity,
    root_issuer: Issuer<'static, KeyPair>,
    intermediate: Identity,
    intermediate_issuer: Issuer<'static, KeyPair>,
}

fn algorithm(alg: &str) -> &'static SignatureAlgorithm {
    match alg {
        "ES256" => &rcgen::PKCS_ECDSA_P256_SHA256,
        "ES384" => &rcgen::PKCS_ECDSA_P384_SHA384,
        "ES512" => &rcgen::PKCS_ECDSA_P521_SHA512,
        "RS256" | "RS384" | "RS512" => &rcgen::PKCS_RSA_SHA256,
        other => panic!("{other}"),
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
}

fn pki() -> Pki {
    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let root_params = ca_params("token root");
    let root_cert = root_params.self_signed(&root_key).unwrap();
    let root = Identity {
        der: root_cert.der().to_vec(),
        pem: root_cert.pem(),
        key: KeyPair::from_pem(&root_key.serialize_pem()).unwrap(),
        alg: "ES256",
    };
    let root_issuer = Issuer::new(root_params, root_key);
    let inter_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let inter_params = ca_params("token intermediate");
    let inter_cert = inter_params.signed_by(&inter_key, &root_issuer).unwrap();
    let intermediate = Identity {
        der: inter_cert.der().to_vec(),
        pem: inter_cert.pem(),
        key: KeyPair::from_pem(&inter_key.serialize_pem()).unwrap(),
        alg: "ES256",
    };
    let intermediate_issuer = Issuer::new(inter_params, inter_key);
    Pki {
        root,
        root_issuer,
        intermediate,
        intermediate_issuer,
    }
}

/// A token-signing leaf with the codeSigning EKU only (webpki would refuse it; Go accepts it).
fn leaf(issuer: &Issuer<'_, KeyPair>, alg: &'static str, not_after: OffsetDateTime) -> Identity {
    let key = KeyPair::generate_for(algorithm(alg)).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, "token signer");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    params.not_before = OffsetDateTime::now_utc() - Duration::days(1);
    params.not_after = not_after;
    let cert = params.signed_by(&key, issuer).unwrap();
    Identity {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key,
        alg,
    }
}

fn self_signed(alg: &'static str) -> Identity {
    let key = KeyPair::generate_for(algorithm(alg)).unwrap();
    let cert = ca_params("outsider").self_signed(&key).unwrap();
    Identity {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key,
        alg,
    }
}

fn sign(key: &KeyPair, alg: &str, input: &[u8]) -> Vec<u8> {
    let rng = SystemRandom::new();
    let pkcs8 = key.serialize_der();
    let ecdsa = |a| {
        EcdsaKeyPair::from_pkcs8(a, &pkcs8)
            .unwrap()
            .sign(&rng, input)
            .unwrap()
            .as_ref()
            .to_vec()
    };
    let rsa = |padding| {
        let pair = RsaKeyPair::from_pkcs8(&pkcs8).unwrap();
        let mut out = vec![0; pair.public_modulus_len()];
        pair.sign(padding, &rng, input, &mut out).unwrap();
        out
    };
    match alg {
        "ES256" => ecdsa(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        "ES384" => ecdsa(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        "ES512" => ecdsa(&signature::ECDSA_P521_SHA512_FIXED_SIGNING),
        "RS256" => rsa(&signature::RSA_PKCS1_SHA256),
        "RS384" => rsa(&signature::RSA_PKCS1_SHA384),
        "RS512" => rsa(&signature::RSA_PKCS1_SHA512),
        other => panic!("{other}"),
    }
}

fn claims(now: OffsetDateTime, actions: &[&str]) -> Claims {
    let now = now.unix_timestamp();
    Claims {
        iss: ISSUER.into(),
        sub: "alice".into(),
        aud: SERVICE.into(),
        exp: now + 300,
        nbf: now - 10,
        iat: now - 10,
        jti: "jti-1".into(),
        access: vec![ResourceActions {
            resource_type: "repository".into(),
            class: String::new(),
            name: GUN.into(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        }],
    }
}

fn x5c_header(alg: &str, chain: &[&Identity]) -> Header {
    Header {
        typ: "JWT".into(),
        alg: alg.into(),
        x5c: chain.iter().map(|c| c.x5c()).collect(),
        ..Header::default()
    }
}

fn mint(header: &Header, claims: &Claims, signer: &Identity) -> String {
    encode(header, claims, |input| {
        Ok::<_, ()>(sign(&signer.key, signer.alg, input))
    })
    .unwrap()
}

fn verifier(pki: &Pki) -> TokenVerifier {
    TokenVerifier::new(
        ISSUER,
        SERVICE,
        TrustedRoots::from_pem(pki.root.pem.as_bytes()).unwrap(),
    )
}

fn check(verifier: &TokenVerifier, token: &str, now: OffsetDateTime) -> Result<(), InvalidToken> {
    verifier.verify(&Token::parse(token).unwrap(), now)
}

fn later() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(30)
}

#[test]
fn behaviour_49_x5c_leaf_alone_or_with_its_root_is_trusted_for_any_eku() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    for alg in ["ES256", "ES384", "ES512", "RS256"] {
        let leaf = leaf(&pki.root_issuer, alg, later());
        for chain in [vec![&leaf], vec![&leaf, &pki.root]] {
            let token = mint(&x5c_header(alg, &chain), &claims(now, &["pull"]), &leaf);
            assert_eq!(check(&verifier, &token, now), Ok(()), "{alg} chain of {}", chain.len());
        }
    }
}

#[test]
fn rs384_and_rs512_verify_with_rsa_keys() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.root_issuer, "RS256", later());
    for alg in ["RS384", "RS512"] {
        let token = encode(&x5c_header(alg, &[&leaf]), &claims(now, &["pull"]), |input| {
            Ok::<_, ()>(sign(&leaf.key, alg, input))
        })
        .unwrap();
        assert_eq!(check(&verifier, &token, now), Ok(()), "{alg}");
    }
}

#[test]
fn chains_through_an_intermediate_and_refuses_missing_links_and_outsiders() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.intermediate_issuer, "ES256", later());
    let good = mint(
        &x5c_header("ES256", &[&leaf, &pki.intermediate]),
        &claims(now, &["pull"]),
        &leaf,
    );
    assert_eq!(check(&verifier, &good, now), Ok(()));
    let missing = mint(&x5c_header("ES256", &[&leaf]), &claims(now, &["pull"]), &leaf);
    assert_eq!(check(&verifier, &missing, now), Err(InvalidToken::UntrustedChain));
    let outsider = self_signed("ES256");
    let token = mint(&x5c_header("ES256", &[&outsider]), &claims(now, &["pull"]), &outsider);
    assert_eq!(check(&verifier, &token, now), Err(InvalidToken::UntrustedChain));
    // An outsider presenting the trusted root as its "intermediate" is no better.
    let token = mint(
        &x5c_header("ES256", &[&outsider, &pki.root]),
        &claims(now, &["pull"]),
        &outsider,
    );
    assert_eq!(check(&verifier, &token, now), Err(InvalidToken::UntrustedChain));
}

#[test]
fn an_expired_leaf_certificate_is_untrusted() {
    let pki = pki();
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.root_issuer, "ES256", now + Duration::hours(1));
    let token = mint(&x5c_header("ES256", &[&leaf]), &claims(now, &["pull"]), &leaf);
    assert_eq!(check(&verifier(&pki), &token, now), Ok(()));
    let after = now + Duration::hours(2);
    let token = mint(&x5c_header("ES256", &[&leaf]), &claims(after, &["pull"]), &leaf);
    assert_eq!(check(&verifier(&pki), &token, after), Err(InvalidToken::UntrustedChain));
}

#[test]
fn behaviour_49_kid_names_a_root_key() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let kid = libtrust_key_id(&pki.root.spki());
    assert_eq!(kid.split(':').count(), 12);
    let header = Header {
        typ: "JWT".into(),
        alg: "ES256".into(),
        kid: kid.clone(),
        ..Header::default()
    };
    assert_eq!(
        check(&verifier, &mint(&header, &claims(now, &["pull"]), &pki.root), now),
        Ok(())
    );
    // The intermediate's key is not a root key, whatever its ID.
    let header = Header {
        kid: libtrust_key_id(&pki.intermediate.spki()),
        ..header
    };
    let token = mint(&header, &claims(now, &["pull"]), &pki.intermediate);
    assert_eq!(check(&verifier, &token, now), Err(InvalidToken::UntrustedKeyId));
    // No key at all.
    let header = Header {
        typ: "JWT".into(),
        alg: "ES256".into(),
        ..Header::default()
    };
    let token = mint(&header, &claims(now, &["pull"]), &pki.root);
    assert_eq!(check(&verifier, &token, now), Err(InvalidToken::NoSigningKey));
}

fn ec_jwk(identity: &Identity) -> serde_json::Value {
    // The uncompressed point is the SPKI's last 65 bytes for P-256.
    let spki = identity.spki();
    let point = &spki[spki.len() - 64..];
    serde_json::json!({"kty": "EC", "crv": "P-256", "x": base64url(&point[..32]), "y": base64url(&point[32..])})
}

#[test]
fn jwk_is_a_root_key_or_carries_its_own_chain() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let with_jwk = |jwk| Header {
        typ: "JWT".into(),
        alg: "ES256".into(),
        jwk: Some(jwk),
        ..Header::default()
    };
    let token = mint(&with_jwk(ec_jwk(&pki.root)), &claims(now, &["pull"]), &pki.root);
    assert_eq!(check(&verifier, &token, now), Ok(()));
    let outsider = self_signed("ES256");
    let token = mint(&with_jwk(ec_jwk(&outsider)), &claims(now, &["pull"]), &outsider);
    assert_eq!(check(&verifier, &token, now), Err(InvalidToken::UntrustedJwk));
    let leaf = leaf(&pki.root_issuer, "ES256", later());
    let mut jwk = ec_jwk(&leaf);
    jwk["x5c"] = serde_json::json!([leaf.x5c()]);
    let token = mint(&with_jwk(jwk), &claims(now, &["pull"]), &leaf);
    assert_eq!(check(&verifier, &token, now), Ok(()));
    let mut jwk = ec_jwk(&outsider);
    jwk["x5c"] = serde_json::json!([leaf.x5c()]);
    let token = mint(&with_jwk(jwk), &claims(now, &["pull"]), &outsider);
    assert_eq!(check(&verifier, &token, now), Err(InvalidToken::JwkMismatch));
}

#[test]
fn behaviour_48_expiry_and_not_before_have_a_minute_of_leeway() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.root_issuer, "ES256", later());
    let header = x5c_header("ES256", &[&leaf]);
    let at = |exp: i64, nbf: i64| {
        let mut claims = claims(now, &["pull"]);
        claims.exp = now.unix_timestamp() + exp;
        claims.nbf = now.unix_timestamp() + nbf;
        check(&verifier, &mint(&header, &claims, &leaf), now)
    };
    assert_eq!(at(-30, -100), Ok(()));
    assert_eq!(at(-90, -100), Err(InvalidToken::Expired));
    assert_eq!(at(300, 30), Ok(()));
    assert_eq!(at(300, 120), Err(InvalidToken::NotYetValid));
    assert_eq!(at(i64::MIN, 0), Err(InvalidToken::Expired));
    assert_eq!(at(300, i64::MAX - now.unix_timestamp()), Err(InvalidToken::NotYetValid));
}

#[test]
fn behaviour_47_50_issuer_and_audience_must_match() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.root_issuer, "ES256", later());
    let header = x5c_header("ES256", &[&leaf]);
    let mut wrong_iss = claims(now, &["pull"]);
    wrong_iss.iss = "evil.example.com".into();
    assert_eq!(
        check(&verifier, &mint(&header, &wrong_iss, &leaf), now),
        Err(InvalidToken::Issuer)
    );
    let mut wrong_aud = claims(now, &["pull"]);
    wrong_aud.aud = "registry".into();
    assert_eq!(
        check(&verifier, &mint(&header, &wrong_aud, &leaf), now),
        Err(InvalidToken::Audience)
    );
    // `aud` as an array does not decode at all.
    let mut value = serde_json::to_value(claims(now, &["pull"])).unwrap();
    value["aud"] = serde_json::json!([SERVICE]);
    let input = format!(
        "{}.{}",
        base64url(&serde_json::to_vec(&header).unwrap()),
        base64url(&serde_json::to_vec(&value).unwrap())
    );
    let token = format!("{input}.{}", base64url(&sign(&leaf.key, "ES256", input.as_bytes())));
    assert!(matches!(Token::parse(&token), Err(MalformedToken::Json { .. })));
    let refusal = verifier
        .authorize(
            Some(format!("Bearer {token}").as_bytes()),
            &RequiredAccess::pull(GUN),
            now,
        )
        .unwrap_err();
    assert_eq!(refusal.error_param(), Some("invalid_token"));
}

#[test]
fn forged_signatures_are_refused() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.root_issuer, "ES256", later());
    let header = x5c_header("ES256", &[&leaf]);
    let token = mint(&header, &claims(now, &["pull"]), &leaf);
    // Same header and claims, signature by another key.
    let other = self_signed("ES256");
    let forged = mint(&header, &claims(now, &["*"]), &other);
    assert_eq!(
        check(&verifier, &forged, now),
        Err(InvalidToken::SigningKey(KeyError::BadSignature))
    );
    // Claims swapped under a valid signature.
    let (input, signature) = token.rsplit_once('.').unwrap();
    let (head, _) = input.split_once('.').unwrap();
    let swapped = format!(
        "{head}.{}.{signature}",
        base64url(&serde_json::to_vec(&claims(now, &["*"])).unwrap())
    );
    assert_eq!(
        check(&verifier, &swapped, now),
        Err(InvalidToken::SigningKey(KeyError::BadSignature))
    );
    // Algorithm confusion and stripped signatures.
    let es384 = mint(&x5c_header("ES384", &[&leaf]), &claims(now, &["pull"]), &leaf);
    assert!(matches!(
        check(&verifier, &es384, now),
        Err(InvalidToken::SigningKey(KeyError::AlgorithmMismatch { .. }))
    ));
    assert_eq!(check(&verifier, &format!("{input}."), now), Err(InvalidToken::Unsigned));
}

#[test]
fn authorize_checks_scope_after_the_token() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.root_issuer, "ES256", later());
    let token = mint(&x5c_header("ES256", &[&leaf]), &claims(now, &["pull"]), &leaf);
    let header = format!("bearer {token}");
    let ok = verifier
        .authorize(Some(header.as_bytes()), &RequiredAccess::pull(GUN), now)
        .unwrap();
    assert_eq!(ok.subject, "alice");
    let refused = verifier
        .authorize(Some(header.as_bytes()), &RequiredAccess::push_pull(GUN), now)
        .unwrap_err();
    assert_eq!(
        refused,
        Refusal::InsufficientScope {
            subject: "alice".into()
        }
    );
    let other_gun = verifier
        .authorize(Some(header.as_bytes()), &RequiredAccess::pull("example.com/other"), now)
        .unwrap_err();
    assert_eq!(other_gun.error_param(), Some("insufficient_scope"));
    assert_eq!(
        verifier.authorize(None, &RequiredAccess::pull(GUN), now),
        Err(Refusal::TokenRequired)
    );
    // Refusal texts never carry the token.
    for refusal in [refused, other_gun] {
        assert!(!refusal.to_string().contains(&token[..20]));
    }
}

#[test]
fn x5c_chains_are_bounded() {
    let pki = pki();
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.root_issuer, "ES256", later());
    let chain: Vec<&Identity> = std::iter::once(&leaf)
        .chain(std::iter::repeat_n(&pki.root, 8))
        .collect();
    let token = mint(&x5c_header("ES256", &chain), &claims(now, &["pull"]), &leaf);
    assert_eq!(check(&verifier(&pki), &token, now), Err(InvalidToken::ChainTooLong));
    let mut header = x5c_header("ES256", &[&leaf]);
    header.x5c[0] = "not base64!".into();
    let token = mint(&header, &claims(now, &["pull"]), &leaf);
    assert_eq!(
        check(&verifier(&pki), &token, now),
        Err(InvalidToken::MalformedCertificate)
    );
}

#[test]
fn root_bundles_are_read_as_go_reads_them() {
    let pki = pki();
    assert_eq!(TrustedRoots::from_pem(b"").unwrap_err(), RootsError::Empty);
    assert_eq!(
        TrustedRoots::from_pem(pki.root.key.serialize_pem().as_bytes()).unwrap_err(),
        RootsError::Empty
    );
    assert_eq!(
        RootsError::Empty.to_string(),
        "token auth requires at least one token signing root certificate"
    );
    // Other blocks are skipped; several roots are all trusted.
    let bundle = format!(
        "{}{}{}",
        pki.root.key.serialize_pem(),
        pki.root.pem,
        pki.intermediate.pem
    );
    assert_eq!(
        TrustedRoots::from_pem(bundle.as_bytes()).unwrap().certificates().len(),
        2
    );
    let ed25519 = self_signed_ed25519();
    assert!(matches!(
        TrustedRoots::from_pem(ed25519.as_bytes()),
        Err(RootsError::Key(KeyError::UnsupportedKey))
    ));
    let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        TrustedRoots::from_pem(broken.as_bytes()),
        Err(RootsError::Certificate(_))
    ));
}

fn self_signed_ed25519() -> String {
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    ca_params("ed25519").self_signed(&key).unwrap().pem()
}

#[test]
fn rsa_root_keys_have_kids_too() {
    let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let spki = key.public_key().as_der().unwrap();
    assert_eq!(libtrust_key_id(spki.as_ref()).len(), 59);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary header values never panic and never authorize.
    #[test]
    fn garbage_authorization_is_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let verifier = TokenVerifier::new(ISSUER, SERVICE, TrustedRoots::from_pem(outsider_bundle().as_bytes()).unwrap());
        let now = OffsetDateTime::now_utc();
        prop_assert!(verifier.authorize(Some(&bytes), &RequiredAccess::pull(GUN), now).is_err());
        let mut bearer = b"Bearer ".to_vec();
        bearer.extend_from_slice(&bytes);
        prop_assert!(verifier.authorize(Some(&bearer), &RequiredAccess::pull(GUN), now).is_err());
    }

    /// JSON-shaped garbage in each segment never panics.
    #[test]
    fn garbage_json_segments_are_refused(header in "\\PC{0,64}", claims in "\\PC{0,64}") {
        let verifier = TokenVerifier::new(ISSUER, SERVICE, TrustedRoots::from_pem(outsider_bundle().as_bytes()).unwrap());
        let token = format!("Bearer {}.{}.AAAA", base64url(header.as_bytes()), base64url(claims.as_bytes()));
        prop_assert!(verifier.authorize(Some(token.as_bytes()), &RequiredAccess::pull(GUN), OffsetDateTime::now_utc()).is_err());
    }
}

/// A bundle of one self-signed P-256 certificate, made once per test process.
fn outsider_bundle() -> &'static str {
    static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PEM.get_or_init(|| self_signed("ES256").pem)
}

#[test]
fn flipping_any_byte_of_a_valid_token_refuses_it() {
    let pki = pki();
    let verifier = verifier(&pki);
    let now = OffsetDateTime::now_utc();
    let leaf = leaf(&pki.root_issuer, "ES256", later());
    let token = mint(&x5c_header("ES256", &[&leaf]), &claims(now, &["pull"]), &leaf);
    assert_eq!(check(&verifier, &token, now), Ok(()));
    let bytes = token.as_bytes();
    // Every 7th position keeps the test fast while touching header, claims, chain and signature.
    for i in (0..bytes.len()).step_by(7) {
        let mut mutated = bytes.to_vec();
        mutated[i] = if mutated[i] == b'A' { b'B' } else { b'A' };
        let Ok(text) = String::from_utf8(mutated) else { continue };
        let header = format!("Bearer {text}");
        let result = verifier.authorize(Some(header.as_bytes()), &RequiredAccess::pull(GUN), now);
        // base64 with unused trailing bits can decode to the same bytes: only then may it pass.
        if let Ok(parsed) = Token::parse(&text) {
            let original = Token::parse(&token).unwrap();
            if parsed.signing_input() == original.signing_input() && parsed.signature() == original.signature() {
                continue;
            }
        }
        assert!(result.is_err(), "mutation at {i} accepted");
    }
}
