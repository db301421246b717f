//! The issuer binary over a real socket: anonymous, good and bad credentials, partial grants,
//! several scopes, the OAuth2 POST, hostile requests, and no secrets in the log.

use notary_testkit::WorkDir;

use crate::support::{Alg, Pki, RunningIssuer, decode_verified, write_config};

fn issuer(name: &str) -> (WorkDir, RunningIssuer) {
    let work = WorkDir::new(name);
    let config = write_config(&work, &Pki::generate(Alg::Es256), &["registry", "notary"]);
    let issuer = RunningIssuer::start(&config);
    (work, issuer)
}

fn access(response: &notary_testkit::http::HttpResponse) -> serde_json::Value {
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["token"], body["access_token"]);
    let (_, claims) = decode_verified(body["token"].as_str().unwrap());
    claims["access"].clone()
}

#[test]
fn anonymous_gets_only_anonymous_grants() {
    let (work, issuer) = issuer("issuer-anon");
    let response = issuer.get(
        "service=registry&scope=repository:public/x:pull,push&scope=repository:team/app:pull",
        None,
    );
    assert_eq!(
        access(&response),
        serde_json::json!([{"type": "repository", "name": "public/x", "actions": ["pull"]}])
    );
    let body = response.json();
    assert_eq!(body["expires_in"], 120);
    assert!(body["issued_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let (_, claims) = decode_verified(body["token"].as_str().unwrap());
    assert_eq!(claims["sub"], "");
    assert_eq!(claims["aud"], "registry");
    assert_eq!(claims["iss"], "test-issuer");
    let exp = claims["exp"].as_i64().unwrap();
    let iat = claims["iat"].as_i64().unwrap();
    assert!(exp - iat >= 120 && exp - iat <= 130, "{claims}");
    work.done();
}

#[test]
fn credentials_partial_grants_and_several_scopes() {
    let (work, issuer) = issuer("issuer-creds");
    let query =
        "service=notary&scope=repository:team/app:pull,push,*&scope=repository:teamx/app:pull&scope=registry:catalog:*";
    // alice: everything under team/; nothing on teamx/ nor the catalog.
    assert_eq!(
        access(&issuer.get(query, Some(("alice", "alice-pw")))),
        serde_json::json!([{"type": "repository", "name": "team/app", "actions": ["pull", "push", "*"]}])
    );
    // bob: pull and push on team/app, not `*`.
    assert_eq!(
        access(&issuer.get(query, Some(("bob", "bob-pw")))),
        serde_json::json!([{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}])
    );
    // reader: only the any-user pull.
    assert_eq!(
        access(&issuer.get(query, Some(("reader", "reader-pw")))),
        serde_json::json!([{"type": "repository", "name": "team/app", "actions": ["pull"]}])
    );
    // carol (an inline entry): the catalog.
    assert_eq!(
        access(&issuer.get(query, Some(("carol", "carol-pw")))),
        serde_json::json!([
            {"type": "repository", "name": "team/app", "actions": ["pull"]},
            {"type": "registry", "name": "catalog", "actions": ["*"]}
        ])
    );
    let body = issuer.get("service=notary", Some(("alice", "alice-pw"))).json();
    let (_, claims) = decode_verified(body["token"].as_str().unwrap());
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["access"], serde_json::json!([]));
    work.done();
}

#[test]
fn bad_credentials_are_401_with_a_json_error() {
    let (work, issuer) = issuer("issuer-bad");
    for credentials in [("alice", "wrong"), ("nobody", "alice-pw"), ("alice", "")] {
        let response = issuer.get("service=registry&scope=repository:team/app:pull", Some(credentials));
        assert_eq!(response.status, 401, "{credentials:?}");
        let body = response.json();
        assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");
        assert_eq!(body["errors"][0]["message"], "invalid username or password");
        assert!(response.header("www-authenticate").unwrap().starts_with("Basic "));
    }
    let response = notary_testkit::http::request(
        &issuer.addr,
        "GET",
        "/token?service=registry",
        &[("Authorization", "Bearer not-a-password")],
        b"",
    );
    assert_eq!(response.status, 401);
    work.done();
}

#[test]
fn oauth2_password_grant() {
    let (work, issuer) = issuer("issuer-oauth");
    let response = issuer.post(
        "grant_type=password&username=bob&password=bob-pw&service=registry&client_id=docker&access_type=offline&scope=repository%3Ateam%2Fapp%3Apull%2Cpush%2C%2A",
    );
    assert_eq!(
        access(&response),
        serde_json::json!([{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}])
    );
    assert_eq!(response.json()["scope"], "repository:team/app:pull,push");
    assert!(response.json().get("refresh_token").is_none());

    let wrong = issuer.post("grant_type=password&username=bob&password=nope&service=registry&client_id=x");
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["error"], "invalid_grant");
    let refresh = issuer.post("grant_type=refresh_token&refresh_token=abc&service=registry&client_id=x");
    assert_eq!(refresh.status, 400);
    assert_eq!(refresh.json()["error"], "unsupported_grant_type");
    work.done();
}

#[test]
fn hostile_requests_get_4xx() {
    let (work, issuer) = issuer("issuer-hostile");
    let cases: Vec<(String, u16)> = vec![
        ("service=unknown".into(), 400),
        ("scope=repository:a:pull".into(), 400),
        ("service=registry&scope=repository:../x:pull".into(), 400),
        ("service=registry&scope=%ff%fe".into(), 400),
        ("service=registry&account=bob".to_owned(), 200),
        (
            format!(
                "service=registry&{}",
                (0..40)
                    .map(|i| format!("scope=repository:r{i}:pull"))
                    .collect::<Vec<_>>()
                    .join("&")
            ),
            400,
        ),
    ];
    for (query, status) in cases {
        let response = issuer.get(&query, None);
        assert_eq!(response.status, status, "{query}: {}", response.text());
        if status == 400 {
            assert!(response.json()["errors"][0]["message"].is_string());
        }
    }
    let huge = format!("service=registry&x={}", "a".repeat(20_000));
    assert!((400..500).contains(&issuer.get(&huge, None).status));
    let big_body = "a".repeat(20_000);
    assert_eq!(issuer.post(&big_body).status, 413);
    let other = notary_testkit::http::request(&issuer.addr, "GET", "/v2/", &[], b"");
    assert_eq!(other.status, 404);
    let put = notary_testkit::http::request(&issuer.addr, "PUT", "/token", &[("Content-Length", "0")], b"");
    assert_eq!(put.status, 405);
    // Still serving.
    assert_eq!(issuer.get("service=registry", None).status, 200);
    work.done();
}

#[test]
fn the_log_holds_no_passwords_or_tokens() {
    let (work, issuer) = issuer("issuer-log");
    let token = issuer
        .get(
            "service=registry&scope=repository:team/app:pull",
            Some(("alice", "alice-pw")),
        )
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    issuer.get("service=registry", Some(("alice", "secret-wrong-pw")));
    issuer.post("grant_type=password&username=bob&password=bob-pw&service=registry");
    let log = issuer.process.stderr();
    assert!(log.contains("response completed"), "{log}");
    assert!(log.contains("\"user\":\"alice\""), "{log}");
    for secret in ["alice-pw", "secret-wrong-pw", "bob-pw", &token[..40], "YWxpY2U6"] {
        assert!(!log.contains(secret), "log contains {secret}: {log}");
    }
    work.done();
}

#[test]
fn bad_configurations_fail_at_start() {
    let work = WorkDir::new("issuer-badconfig");
    let pki = Pki::generate(Alg::Es256);
    write_config(&work, &pki, &["registry"]);
    let other = Pki::generate(Alg::Es256);
    work.write("signing.crt", other.signing_cert.as_bytes());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_notary-token-issuer"))
        .args([
            "-config",
            work.path("config.json").to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does not belong to the signing key"), "{stderr}");
    assert!(output.stdout.is_empty());
    work.done();
}
