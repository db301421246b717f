//! Token authentication over real sockets: server-api.md §11 items 60, 64, 66–79, 84 and
//! server-behaviour.md §14 items 47–50, with the exact status, `Www-Authenticate` value and body
//! Go clients parse, and nothing stored by a refused request. Tokens are minted here with rcgen
//! certificates and aws-lc signatures (`mint`).

use std::path::PathBuf;

use notary_auth::{Claims, Header, ResourceActions, base64url, libtrust_key_id};
use notary_server::config::{StorageConfig, TokenAuthConfig};
use notary_testkit::WorkDir;
use notary_testkit::http::{HttpResponse, multipart};
use time::{Duration, OffsetDateTime};

use crate::support::{ServerRepo, SnapshotKey, TestServer, assert_error, sha256_hex};

const REALM: &str = "https://auth.example.com/token";
const ISSUER: &str = "auth.example.com";
const SERVICE: &str = "notary-test";
const GUN: &str = "example.com/auth";

/// Test-only token minting: a root CA in a bundle file, leaves that sign tokens.
mod mint {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
    use base64::Engine as _;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, PublicKeyData as _,
    };

    use super::*;

    /// A certificate and the key that signs tokens with it.
    pub(crate) struct Signer {
        pub(crate) key: KeyPair,
        pub(crate) der: Vec<u8>,
        pub(crate) alg: &'static str,
    }

    impl Signer {
        pub(crate) fn x5c(&self) -> String {
            base64::engine::general_purpose::STANDARD.encode(&self.der)
        }

        pub(crate) fn kid(&self) -> String {
            libtrust_key_id(&self.key.subject_public_key_info())
        }

        /// A compact JWS of `header` and `claims`.
        pub(crate) fn sign_token(&self, header: &Header, claims: &Claims) -> String {
            notary_auth::encode(header, claims, |input| Ok::<_, ()>(self.sign(input))).unwrap()
        }

        fn sign(&self, input: &[u8]) -> Vec<u8> {
            let rng = SystemRandom::new();
            let pkcs8 = self.key.serialize_der();
            match self.alg {
                "ES256" => EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
                    .unwrap()
                    .sign(&rng, input)
                    .unwrap()
                    .as_ref()
                    .to_vec(),
                "RS256" => {
                    let pair = RsaKeyPair::from_pkcs8(&pkcs8).unwrap();
                    let mut out = vec![0; pair.public_modulus_len()];
                    pair.sign(&signature::RSA_PKCS1_SHA256, &rng, input, &mut out).unwrap();
                    out
                }
                other => panic!("{other}"),
            }
        }
    }

    /// The token PKI of one test.
    pub(crate) struct Pki {
        pub(crate) dir: WorkDir,
        pub(crate) bundle: PathBuf,
        pub(crate) root: Signer,
        pub(crate) intermediate: Signer,
        pub(crate) leaf: Signer,
        pub(crate) rsa_leaf: Signer,
        pub(crate) via_intermediate: Signer,
        pub(crate) outsider: Signer,
    }

    fn ca(cn: &str) -> CertificateParams {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
    }

    fn leaf(issuer: &Issuer<'_, KeyPair>, alg: &'static str) -> Signer {
        let key = KeyPair::generate_for(match alg {
            "ES256" => &rcgen::PKCS_ECDSA_P256_SHA256,
            _ => &rcgen::PKCS_RSA_SHA256,
        })
        .unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, "token signer");
        // What registry token issuers use; Go checks x5c chains for any EKU.
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        let der = params.signed_by(&key, issuer).unwrap().der().to_vec();
        Signer { key, der, alg }
    }

    impl Pki {
        pub(crate) fn new() -> Pki {
            let dir = WorkDir::new("token-auth");
            let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let root_params = ca("token root");
            let root_cert = root_params.self_signed(&root_key).unwrap();
            let bundle = dir.write("root-bundle.pem", root_cert.pem().as_bytes());
            let root = Signer {
                key: KeyPair::from_pem(&root_key.serialize_pem()).unwrap(),
                der: root_cert.der().to_vec(),
                alg: "ES256",
            };
            let root_issuer = Issuer::new(root_params, root_key);
            let inter_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let inter_params = ca("token intermediate");
            let inter_der = inter_params.signed_by(&inter_key, &root_issuer).unwrap().der().to_vec();
            let intermediate = Signer {
                key: KeyPair::from_pem(&inter_key.serialize_pem()).unwrap(),
                der: inter_der,
                alg: "ES256",
            };
            let inter_issuer = Issuer::new(inter_params, inter_key);
            let outsider_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let outsider = Signer {
                der: ca("outsider").self_signed(&outsider_key).unwrap().der().to_vec(),
                key: outsider_key,
                alg: "ES256",
            };
            Pki {
                leaf: leaf(&root_issuer, "ES256"),
                rsa_leaf: leaf(&root_issuer, "RS256"),
                via_intermediate: leaf(&inter_issuer, "ES256"),
                dir,
                bundle,
                root,
                intermediate,
                outsider,
            }
        }
    }

    /// Claims from the configured issuer for the configured service, valid for five minutes.
    pub(crate) fn claims(now: OffsetDateTime, access: &[(&str, &str, &[&str])]) -> Claims {
        let now = now.unix_timestamp();
        Claims {
            iss: ISSUER.into(),
            sub: "alice".into(),
            aud: SERVICE.into(),
            exp: now + 300,
            nbf: now - 5,
            iat: now - 5,
            jti: format!("jti-{now}"),
            access: access
                .iter()
                .map(|(resource_type, name, actions)| ResourceActions {
                    resource_type: (*resource_type).into(),
                    class: String::new(),
                    name: (*name).into(),
                    actions: actions.iter().map(|a| (*a).to_owned()).collect(),
                })
                .collect(),
        }
    }

    /// A header naming the signer by `x5c` chain.
    pub(crate) fn x5c(chain: &[&Signer]) -> Header {
        Header {
            typ: "JWT".into(),
            alg: chain[0].alg.into(),
            x5c: chain.iter().map(|s| s.x5c()).collect(),
            ..Header::default()
        }
    }
}

use mint::{Pki, claims, x5c};

fn auth_config(pki: &Pki) -> TokenAuthConfig {
    TokenAuthConfig {
        realm: REALM.into(),
        service: SERVICE.into(),
        issuer: ISSUER.into(),
        rootcertbundle: pki.bundle.clone(),
        autoredirect: false,
    }
}

/// A token-auth server over a SQLite file in which `GUN` was published (by an unauthenticated
/// server on the same file, so no token is needed to set it up).
fn server_with_repo(pki: &Pki) -> (TestServer, Published) {
    let db = pki.dir.path("server.db");
    let plain_db = db.clone();
    let plain = TestServer::start_with(move |config| config.storage = StorageConfig::Sqlite { path: plain_db });
    let repo = ServerRepo::init(&plain, GUN, SnapshotKey::Server);
    let root = plain.get(&tuf(GUN, "root.json")).body;
    drop(plain);
    let auth = auth_config(pki);
    let server = TestServer::start_with(move |config| {
        config.storage = StorageConfig::Sqlite { path: db };
        config.auth = Some(auth);
    });
    (server, Published { repo, root })
}

/// The repository published before auth was turned on, and its stored root.
struct Published {
    repo: ServerRepo,
    root: Vec<u8>,
}

fn server(pki: &Pki) -> TestServer {
    let auth = auth_config(pki);
    TestServer::start_with(move |config| config.auth = Some(auth))
}

fn tuf(gun: &str, file: &str) -> String {
    format!("/v2/{gun}/_trust/tuf/{file}")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn with_token(server: &TestServer, method: &str, path: &str, token: &str) -> HttpResponse {
    server.request(method, path, &[("Authorization", &bearer(token))], b"")
}

fn challenge(scope: &str, error: Option<&str>) -> String {
    let mut value = format!("Bearer realm=\"{REALM}\",service=\"{SERVICE}\",scope=\"{scope}\"");
    if let Some(error) = error {
        value.push_str(&format!(",error=\"{error}\""));
    }
    value
}

/// 401 `UNAUTHORIZED` with exactly this challenge; returns the body's `detail`.
fn assert_unauthorized(response: &HttpResponse, scope: &str, error: Option<&str>) -> serde_json::Value {
    assert_error(response, 401, "UNAUTHORIZED");
    assert_eq!(
        response.header("www-authenticate"),
        Some(challenge(scope, error).as_str()),
        "{}",
        response.text()
    );
    let error = &response.json()["errors"][0];
    assert_eq!(error["message"], "authentication required");
    error["detail"].clone()
}

fn repo_scope(actions: &str) -> String {
    format!("repository:{GUN}:{actions}")
}

fn pull_token(pki: &Pki, now: OffsetDateTime) -> String {
    pki.leaf
        .sign_token(&x5c(&[&pki.leaf]), &claims(now, &[("repository", GUN, &["pull"])]))
}

// ---------------------------------------------------------------------------------------------
// server-api.md §11, items 60, 64, 66–79, 84

#[test]
fn api_66_no_token_on_the_base_route() {
    let pki = Pki::new();
    let server = server(&pki);
    let response = server.get("/v2/");
    let detail = assert_unauthorized(&response, "registry:catalog:*", None);
    assert_eq!(
        response.body,
        b"{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":[{\"Type\":\"registry\",\"Class\":\"\",\"Name\":\"catalog\",\"Action\":\"*\"}]}]}\n"
    );
    assert_eq!(detail.as_array().unwrap().len(), 1);
}

#[test]
fn api_67_read_routes_need_pull() {
    let pki = Pki::new();
    let (server, repo) = server_with_repo(&pki);
    let root_sha = sha256_hex(&repo.root);
    for path in [
        tuf(GUN, "root.json"),
        tuf(GUN, "1.root.json"),
        tuf(GUN, &format!("root.{root_sha}.json")),
        format!("/v2/{GUN}/_trust/changefeed?records=1"),
    ] {
        let detail = assert_unauthorized(&server.get(&path), &repo_scope("pull"), None);
        assert_eq!(
            detail,
            serde_json::json!([{"Type": "repository", "Class": "", "Name": GUN, "Action": "pull"}]),
            "{path}"
        );
    }
}

#[test]
fn api_68_key_fetch_and_upload_need_push_and_pull() {
    let pki = Pki::new();
    let server = server(&pki);
    for (method, path) in [("GET", tuf(GUN, "timestamp.key")), ("POST", tuf(GUN, ""))] {
        let response = server.request(method, &path, &[], b"");
        let detail = assert_unauthorized(&response, &repo_scope("push,pull"), None);
        assert_eq!(
            response.text(),
            format!(
                "{{\"errors\":[{{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":[{{\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"{GUN}\",\"Action\":\"push\"}},{{\"Type\":\"repository\",\"Class\":\"\",\"Name\":\"{GUN}\",\"Action\":\"pull\"}}]}}]}}\n"
            ),
            "{method} {path}"
        );
        assert_eq!(detail.as_array().unwrap().len(), 2);
    }
}

#[test]
fn api_69_rotation_and_delete_need_star() {
    let pki = Pki::new();
    let server = server(&pki);
    for (method, path) in [("POST", tuf(GUN, "timestamp.key")), ("DELETE", tuf(GUN, ""))] {
        let response = server.request(method, &path, &[], b"");
        let detail = assert_unauthorized(&response, &repo_scope("*"), None);
        assert_eq!(detail[0]["Action"], "*", "{method} {path}");
    }
}

#[test]
fn api_70_routes_without_a_gun_need_the_catalog() {
    let pki = Pki::new();
    let server = server(&pki);
    for path in [
        "/v2/_trust/changefeed?records=1",
        "/nope",
        "/v2/exa*mple/_trust/tuf/root.json",
    ] {
        assert_unauthorized(&server.get(path), "registry:catalog:*", None);
    }
    // The catch-all for other methods authenticates too (POST /metrics is no metrics route).
    assert_unauthorized(
        &server.request("POST", "/metrics", &[], b""),
        "registry:catalog:*",
        None,
    );
}

#[test]
fn api_60_64_71_health_metrics_and_405s_need_no_token() {
    let pki = Pki::new();
    let server = server(&pki);
    let health = server.get("/_notary_server/health");
    assert_eq!((health.status, health.text().as_str()), (200, "{}"));
    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    for (method, path) in [("PATCH", "/v2/"), ("OPTIONS", "/anything")] {
        let response = server.request(method, path, &[], b"");
        assert_eq!(response.status, 405, "{method} {path}");
        assert!(response.body.is_empty() && response.header("www-authenticate").is_none());
    }
}

#[test]
fn api_72_basic_credentials_count_as_no_token() {
    let pki = Pki::new();
    let server = server(&pki);
    for value in ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer  two spaces", ""] {
        let response = server.request("GET", &tuf(GUN, "root.json"), &[("Authorization", value)], b"");
        assert_unauthorized(&response, &repo_scope("pull"), None);
    }
}

#[test]
fn api_73_untrusted_signer_is_an_invalid_token() {
    let pki = Pki::new();
    let server = server(&pki);
    let now = server.now();
    let token = pki
        .outsider
        .sign_token(&x5c(&[&pki.outsider]), &claims(now, &[("repository", GUN, &["*"])]));
    let response = with_token(&server, "GET", &tuf(GUN, "root.json"), &token);
    assert_unauthorized(&response, &repo_scope("pull"), Some("invalid_token"));
    assert!(
        response
            .header("www-authenticate")
            .unwrap()
            .ends_with(",error=\"invalid_token\"")
    );
    // Garbage in place of a token is the same.
    for garbage in ["abc", "a.b.c", "e30.e30.e30", "e30.e30.", "Zm9v.YmFy.YmF6"] {
        let response = with_token(&server, "GET", &tuf(GUN, "root.json"), garbage);
        assert_unauthorized(&response, &repo_scope("pull"), Some("invalid_token"));
    }
}

#[test]
fn api_74_pull_token_cannot_fetch_a_server_key() {
    let pki = Pki::new();
    let server = server(&pki);
    let response = with_token(
        &server,
        "GET",
        &tuf(GUN, "timestamp.key"),
        &pull_token(&pki, server.now()),
    );
    assert_unauthorized(&response, &repo_scope("push,pull"), Some("insufficient_scope"));
}

#[test]
fn api_75_pull_token_reads_and_bearer_is_case_insensitive() {
    let pki = Pki::new();
    let (server, repo) = server_with_repo(&pki);
    let token = pull_token(&pki, server.now());
    let response = with_token(&server, "GET", &tuf(GUN, "root.json"), &token);
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.body == repo.root, "served root differs from the stored one");
    for scheme in ["bearer", "BEARER", "bEaReR"] {
        let response = server.request(
            "GET",
            &tuf(GUN, "timestamp.json"),
            &[("Authorization", &format!("{scheme} {token}"))],
            b"",
        );
        assert_eq!(response.status, 200, "{scheme}: {}", response.text());
    }
    // Unknown metadata is a 404 past authentication.
    assert_error(
        &with_token(&server, "GET", &tuf(GUN, "targets/x.json"), &token),
        404,
        "METADATA_NOT_FOUND",
    );
}

#[test]
fn api_76_star_token_passes_every_repository_route_but_not_the_catalog() {
    let pki = Pki::new();
    let (server, _repo) = server_with_repo(&pki);
    let token = pki.leaf.sign_token(
        &x5c(&[&pki.leaf]),
        &claims(server.now(), &[("repository", GUN, &["*"])]),
    );
    for (method, path) in [
        ("GET", tuf(GUN, "timestamp.key")),
        ("GET", tuf(GUN, "root.json")),
        ("POST", tuf(GUN, "timestamp.key")),
        ("DELETE", tuf(GUN, "")),
    ] {
        let response = with_token(&server, method, &path, &token);
        assert_eq!(response.status, 200, "{method} {path}: {}", response.text());
    }
    assert_unauthorized(
        &with_token(&server, "GET", "/v2/", &token),
        "registry:catalog:*",
        Some("insufficient_scope"),
    );
}

#[test]
fn api_77_catalog_token_passes_routes_without_a_gun_only() {
    let pki = Pki::new();
    let server = server(&pki);
    let token = pki.leaf.sign_token(
        &x5c(&[&pki.leaf]),
        &claims(server.now(), &[("registry", "catalog", &["*"])]),
    );
    let base = with_token(&server, "GET", "/v2/", &token);
    assert_eq!((base.status, base.text().as_str()), (200, "{}"));
    assert_eq!(
        with_token(&server, "GET", "/v2/_trust/changefeed?records=1", &token).status,
        200
    );
    assert_error(&with_token(&server, "GET", "/nope", &token), 404, "METADATA_NOT_FOUND");
    assert_unauthorized(
        &with_token(&server, "GET", &tuf(GUN, "root.json"), &token),
        &repo_scope("pull"),
        Some("insufficient_scope"),
    );
}

#[test]
fn api_78_push_pull_token_cannot_rotate_or_delete() {
    let pki = Pki::new();
    let (server, repo) = server_with_repo(&pki);
    let token = pki.leaf.sign_token(
        &x5c(&[&pki.leaf]),
        &claims(server.now(), &[("repository", GUN, &["push", "pull"])]),
    );
    assert_eq!(
        with_token(&server, "GET", &tuf(GUN, "timestamp.key"), &token).status,
        200
    );
    for (method, path) in [("POST", tuf(GUN, "timestamp.key")), ("DELETE", tuf(GUN, ""))] {
        let response = with_token(&server, method, &path, &token);
        assert_unauthorized(&response, &repo_scope("*"), Some("insufficient_scope"));
    }
    // The refused DELETE deleted nothing.
    let root = with_token(&server, "GET", &tuf(GUN, "root.json"), &token);
    assert_eq!(root.status, 200);
    assert!(root.body == repo.root, "root changed after a refused DELETE");
}

#[test]
fn api_79_token_for_another_gun_is_refused() {
    let pki = Pki::new();
    let (server, _repo) = server_with_repo(&pki);
    let token = pki.leaf.sign_token(
        &x5c(&[&pki.leaf]),
        &claims(server.now(), &[("repository", "example.com/other", &["*"])]),
    );
    for (method, path, scope) in [
        ("GET", tuf(GUN, "root.json"), "pull"),
        ("GET", tuf(GUN, "timestamp.key"), "push,pull"),
        ("DELETE", tuf(GUN, ""), "*"),
    ] {
        let response = with_token(&server, method, &path, &token);
        assert_unauthorized(&response, &repo_scope(scope), Some("insufficient_scope"));
    }
}

#[test]
fn api_84_gun_prefixes_are_checked_before_authentication() {
    let pki = Pki::new();
    let auth = auth_config(&pki);
    let server = TestServer::start_with(move |config| {
        config.gun_prefixes = vec!["docker.io/".into(), "example.com/".into()];
        config.auth = Some(auth);
    });
    let refused = server.get(&tuf("quay.io/x", "root.json"));
    assert_error(&refused, 404, "METADATA_NOT_FOUND");
    assert!(refused.header("www-authenticate").is_none());
    assert!(refused.json()["errors"][0].get("detail").is_none());
    let upload = server.request("POST", &tuf("quay.io/x", ""), &[], b"");
    assert_error(&upload, 400, "INVALID_GUN");
    assert_eq!(
        upload.json()["errors"][0]["detail"],
        "Require GUNs with prefix: [docker.io/ example.com/]"
    );
    assert_unauthorized(
        &server.get(&tuf("example.com/x", "root.json")),
        "repository:example.com/x:pull",
        None,
    );
}

// ---------------------------------------------------------------------------------------------
// server-behaviour.md §14, items 47–50, and the issue's cases

#[test]
fn behaviour_47_audience_as_an_array_is_an_invalid_token() {
    let pki = Pki::new();
    let server = server(&pki);
    let header = x5c(&[&pki.leaf]);
    let mut claims = serde_json::to_value(claims(server.now(), &[("repository", GUN, &["pull"])])).unwrap();
    claims["aud"] = serde_json::json!([SERVICE]);
    let input = format!(
        "{}.{}",
        base64url(&serde_json::to_vec(&header).unwrap()),
        base64url(&serde_json::to_vec(&claims).unwrap())
    );
    // Correctly signed, so only the array makes it fail.
    let token = format!("{input}.{}", es256_sign(&pki.leaf, input.as_bytes()));
    assert_unauthorized(
        &with_token(&server, "GET", &tuf(GUN, "root.json"), &token),
        &repo_scope("pull"),
        Some("invalid_token"),
    );
}

/// Signs hand-made JWS input with an ES256 `signer`; base64url of the signature.
fn es256_sign(signer: &mint::Signer, input: &[u8]) -> String {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &signer.key.serialize_der(),
    )
    .unwrap();
    base64url(pair.sign(&rng, input).unwrap().as_ref())
}

#[test]
fn behaviour_48_expiry_and_not_before_leeway() {
    let pki = Pki::new();
    let server = server(&pki);
    let now = server.now().unix_timestamp();
    let status = |exp: i64, nbf: i64| {
        let mut claims = claims(server.now(), &[("repository", GUN, &["pull"])]);
        claims.exp = now + exp;
        claims.nbf = now + nbf;
        let token = pki.leaf.sign_token(&x5c(&[&pki.leaf]), &claims);
        let response = with_token(&server, "GET", &tuf(GUN, "root.json"), &token);
        if response.status == 401 {
            assert_unauthorized(&response, &repo_scope("pull"), Some("invalid_token"));
        }
        response.status
    };
    assert_eq!(status(-30, -100), 404, "expired 30 s ago: within leeway");
    assert_eq!(status(-90, -100), 401, "expired 90 s ago");
    assert_eq!(status(300, 30), 404, "valid in 30 s: within leeway");
    assert_eq!(status(300, 120), 401, "valid in 120 s");
}

#[test]
fn expiry_follows_the_servers_clock() {
    let pki = Pki::new();
    let server = server(&pki);
    let token = pull_token(&pki, server.now());
    assert_eq!(with_token(&server, "GET", &tuf(GUN, "root.json"), &token).status, 404);
    server.advance(Duration::seconds(300 + 61));
    assert_unauthorized(
        &with_token(&server, "GET", &tuf(GUN, "root.json"), &token),
        &repo_scope("pull"),
        Some("invalid_token"),
    );
}

#[test]
fn behaviour_49_signing_keys_leaf_root_intermediate_kid_and_outsiders() {
    let pki = Pki::new();
    let server = server(&pki);
    let now = server.now();
    let grant = claims(now, &[("repository", GUN, &["pull"])]);
    let accepted = [
        ("leaf only", pki.leaf.sign_token(&x5c(&[&pki.leaf]), &grant)),
        (
            "leaf + root",
            pki.leaf.sign_token(&x5c(&[&pki.leaf, &pki.root]), &grant),
        ),
        (
            "via intermediate",
            pki.via_intermediate
                .sign_token(&x5c(&[&pki.via_intermediate, &pki.intermediate]), &grant),
        ),
        ("RS256 leaf", pki.rsa_leaf.sign_token(&x5c(&[&pki.rsa_leaf]), &grant)),
        (
            "kid of the root",
            pki.root.sign_token(
                &Header {
                    typ: "JWT".into(),
                    alg: "ES256".into(),
                    kid: pki.root.kid(),
                    ..Header::default()
                },
                &grant,
            ),
        ),
    ];
    for (what, token) in accepted {
        let response = with_token(&server, "GET", &tuf(GUN, "root.json"), &token);
        assert_eq!(response.status, 404, "{what}: {}", response.text());
    }
    let refused = [
        ("outsider", pki.outsider.sign_token(&x5c(&[&pki.outsider]), &grant)),
        (
            "missing intermediate",
            pki.via_intermediate.sign_token(&x5c(&[&pki.via_intermediate]), &grant),
        ),
        (
            "kid of a non-root",
            pki.intermediate.sign_token(
                &Header {
                    typ: "JWT".into(),
                    alg: "ES256".into(),
                    kid: pki.intermediate.kid(),
                    ..Header::default()
                },
                &grant,
            ),
        ),
        (
            "signed by another key under the leaf's x5c",
            pki.outsider.sign_token(&x5c(&[&pki.leaf]), &grant),
        ),
    ];
    for (what, token) in refused {
        let response = with_token(&server, "GET", &tuf(GUN, "root.json"), &token);
        assert_eq!(response.status, 401, "{what}");
        assert_unauthorized(&response, &repo_scope("pull"), Some("invalid_token"));
    }
}

#[test]
fn forged_signature_bytes_are_refused() {
    let pki = Pki::new();
    let server = server(&pki);
    let token = pull_token(&pki, server.now());
    let (input, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature).unwrap();
    bytes[10] ^= 0x01;
    let forged = format!("{input}.{}", base64url(&bytes));
    assert_unauthorized(
        &with_token(&server, "GET", &tuf(GUN, "root.json"), &forged),
        &repo_scope("pull"),
        Some("invalid_token"),
    );
    // A pull token whose claims were rewritten to `*` under the original signature.
    let mut claims = claims(server.now(), &[("repository", GUN, &["*"])]);
    claims.sub = "mallory".into();
    let head = input.split_once('.').unwrap().0;
    let rewritten = format!(
        "{head}.{}.{signature}",
        base64url(&serde_json::to_vec(&claims).unwrap())
    );
    assert_unauthorized(
        &with_token(&server, "POST", &tuf(GUN, "timestamp.key"), &rewritten),
        &repo_scope("*"),
        Some("invalid_token"),
    );
}

#[test]
fn behaviour_50_wrong_issuer_or_service() {
    let pki = Pki::new();
    let server = server(&pki);
    for edit in [
        (|c: &mut Claims| c.iss = "evil.example.com".into()) as fn(&mut Claims),
        |c: &mut Claims| c.aud = "registry.example.com".into(),
        |c: &mut Claims| c.iss.clear(),
    ] {
        let mut claims = claims(server.now(), &[("repository", GUN, &["pull"])]);
        edit(&mut claims);
        let token = pki.leaf.sign_token(&x5c(&[&pki.leaf]), &claims);
        assert_unauthorized(
            &with_token(&server, "GET", &tuf(GUN, "root.json"), &token),
            &repo_scope("pull"),
            Some("invalid_token"),
        );
    }
}

#[test]
fn refused_uploads_store_nothing() {
    let pki = Pki::new();
    let (server, published) = server_with_repo(&pki);
    let mut repo = published.repo;
    let now = server.now();
    let read = pull_token(&pki, now);
    let timestamp_before = with_token(&server, "GET", &tuf(GUN, "timestamp.json"), &read).body;
    let targets_before = with_token(&server, "GET", &tuf(GUN, "targets.json"), &read).body;
    let targets_v2 = repo.add_target("v2", b"two");
    let (content_type, body) = multipart(&[("targets", &targets_v2)]);
    let forged = pki
        .outsider
        .sign_token(&x5c(&[&pki.outsider]), &claims(now, &[("repository", GUN, &["*"])]));
    for (token, error) in [
        (None, None),
        (Some(read.clone()), Some("insufficient_scope")),
        (Some(forged), Some("invalid_token")),
    ] {
        let mut headers = vec![("Content-Type", content_type.clone())];
        if let Some(token) = &token {
            headers.push(("Authorization", bearer(token)));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let response = server.request("POST", &tuf(GUN, ""), &headers, &body);
        assert_unauthorized(&response, &repo_scope("push,pull"), error);
    }
    // A pull-only token pushing to a new GUN creates nothing either.
    let other = "example.com/never";
    let other_pull = pki
        .leaf
        .sign_token(&x5c(&[&pki.leaf]), &claims(now, &[("repository", other, &["pull"])]));
    let response = server.request(
        "POST",
        &tuf(other, ""),
        &[("Content-Type", &content_type), ("Authorization", &bearer(&other_pull))],
        &body,
    );
    assert_unauthorized(
        &response,
        &format!("repository:{other}:push,pull"),
        Some("insufficient_scope"),
    );
    assert_error(
        &with_token(&server, "GET", &tuf(other, "root.json"), &other_pull),
        404,
        "METADATA_NOT_FOUND",
    );
    assert!(with_token(&server, "GET", &tuf(GUN, "timestamp.json"), &read).body == timestamp_before);
    assert!(with_token(&server, "GET", &tuf(GUN, "targets.json"), &read).body == targets_before);
    assert_error(
        &with_token(&server, "GET", &tuf(GUN, "2.targets.json"), &read),
        404,
        "METADATA_NOT_FOUND",
    );
    // The same upload with push,pull goes through.
    let push = pki.leaf.sign_token(
        &x5c(&[&pki.leaf]),
        &claims(now, &[("repository", GUN, &["pull"]), ("repository", GUN, &["push"])]),
    );
    let response = server.request(
        "POST",
        &tuf(GUN, ""),
        &[("Content-Type", &content_type), ("Authorization", &bearer(&push))],
        &body,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(with_token(&server, "GET", &tuf(GUN, "targets.json"), &read).body == targets_v2);
}

#[test]
fn refusals_are_counted_in_metrics() {
    let pki = Pki::new();
    let server = server(&pki);
    assert_eq!(server.get(&tuf(GUN, "root.json")).status, 401);
    let metrics = server.get("/metrics").text();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("notary_server_http_requests_total")
                && l.contains("operation=\"GetRole\"")
                && l.contains("code=\"401\"")),
        "{metrics}"
    );
}

#[test]
fn autoredirect_names_the_request_host() {
    let pki = Pki::new();
    let mut auth = auth_config(&pki);
    auth.autoredirect = true;
    let server = TestServer::start_with(move |config| config.auth = Some(auth));
    let response = server.get(&tuf(GUN, "root.json"));
    assert_eq!(response.status, 401);
    assert_eq!(
        response.header("www-authenticate").unwrap(),
        format!(
            "Bearer realm=\"https://{}/auth/token\",service=\"{SERVICE}\",scope=\"repository:{GUN}:pull\"",
            server.addr
        )
    );
}

#[test]
fn oversized_authorization_is_an_invalid_token_not_a_crash() {
    let pki = Pki::new();
    let server = server(&pki);
    let huge = "A".repeat(64 * 1024);
    let response = with_token(&server, "GET", &tuf(GUN, "root.json"), &huge);
    assert_unauthorized(&response, &repo_scope("pull"), Some("invalid_token"));
}

#[test]
fn start_up_fails_on_an_unusable_root_bundle() {
    let pki = Pki::new();
    let bind = |bundle: PathBuf| {
        let mut config = notary_server::config::ServerConfig::default_embedded(&pki.dir.path("data"));
        config.storage = StorageConfig::Memory;
        config.auth = Some(TokenAuthConfig {
            rootcertbundle: bundle,
            ..auth_config(&pki)
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            match notary_server::server::Server::bind(
                &config,
                Some("127.0.0.1:0"),
                notary_server::service::system_clock(),
            )
            .await
            {
                Ok(_) => panic!("started"),
                Err(e) => e.to_string(),
            }
        })
    };
    let missing = pki.dir.path("missing.pem");
    assert!(bind(missing.clone()).starts_with(&format!(
        "unable to open token auth root certificate bundle file {missing:?}: "
    )));
    let empty = pki.dir.write("empty.pem", b"no certificates here\n");
    assert_eq!(
        bind(empty),
        "token auth requires at least one token signing root certificate"
    );
}
