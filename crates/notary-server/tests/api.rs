//! The conformance checklist of `shared/spec/server-api.md` §11, one test (or a group of closely
//! related items) per `api_<n>_…` name, against an in-process server over real sockets.
//!
//! Not covered here: item 61 (remote signer health; the remote trust service is not implemented
//! yet, issue 5) and items 66–79 and 84 (token authentication, issue 7).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use notary_server::config::{StorageConfig, TlsFiles};
use notary_testkit::WorkDir;
use notary_testkit::http::HttpResponse;
use notary_testkit::tuf::{TestKey, delegate, sign, targets_body};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::support::{ServerRepo, SnapshotKey, TestServer, assert_error, sha256_hex};

/// The initialised GUN of the checklist's setup.
const COLL: &str = "example.com/coll";
/// The checklist's unknown GUN `U`.
const UNKNOWN: &str = "new.example/x";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// `/v2/<gun>/_trust/tuf/<file>`.
fn tuf(gun: &str, file: &str) -> String {
    format!("/v2/{gun}/_trust/tuf/{file}")
}

/// A repository published like [`ServerRepo::init`], keeping the exact uploaded bytes.
struct Published {
    repo: ServerRepo,
    root: Vec<u8>,
    targets: Vec<u8>,
}

fn publish(server: &TestServer, gun: &str, snapshot: SnapshotKey) -> Published {
    let repo = ServerRepo::new(server, gun, snapshot);
    let root = repo.root_file();
    let targets = repo.targets_file();
    let mut parts = vec![("root", root.clone()), ("targets", targets.clone())];
    if repo.snapshot_key.is_some() {
        parts.push((
            "snapshot",
            repo.snapshot_file(&[("root", &root), ("targets", &targets)], 1),
        ));
    }
    let parts: Vec<(&str, &[u8])> = parts.iter().map(|(n, d)| (*n, d.as_slice())).collect();
    let response = server.upload(gun, &parts);
    assert_eq!(response.status, 200, "publish of {gun}: {}", response.text());
    Published { repo, root, targets }
}

/// A server with [`COLL`] published (server-held snapshot key, as `notary init -p` with the
/// server managing the snapshot).
fn with_coll() -> (TestServer, Published) {
    let server = TestServer::start();
    let coll = publish(&server, COLL, SnapshotKey::Server);
    (server, coll)
}

/// Publishes the next targets version of `repo` with one more target; asserts 200.
fn publish_next_targets(server: &TestServer, repo: &mut ServerRepo, name: &str) -> Vec<u8> {
    let targets = repo.add_target(name, name.as_bytes());
    let response = server.upload(&repo.gun, &[("targets", &targets)]);
    assert_eq!(response.status, 200, "{}", response.text());
    targets
}

/// Go's fixed message for an error code (server-api.md §5.1).
fn message(code: &str) -> &'static str {
    match code {
        "MALFORMED_UPLOAD" => "The body of your request is malformed.",
        "NO_FILENAME" => "No file/role name provided.",
        "INVALID_ROLE" => "The role you are attempting to operate on is invalid.",
        "MALFORMED_JSON" => "JSON sent by the client could not be parsed by the server",
        "INVALID_UPDATE" => "Update sent by the client is invalid.",
        "VERSION" => "A newer version of metadata is already available.",
        "INVALID_GUN" => "The server does not support actions on images of this name.",
        "INVALID_PARAMETERS" => "The parameters provided are not valid.",
        "METADATA_NOT_FOUND" => "You have requested metadata that does not exist.",
        other => panic!("no message listed for {other}"),
    }
}

/// An error envelope with one error of `code` and Go's message; `detail` unchecked. Errors never
/// carry cache headers (item 25).
fn assert_api_error(response: &HttpResponse, status: u16, code: &str) {
    assert_error(response, status, code);
    let json = response.json();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{}", response.text());
    assert_eq!(errors[0]["message"], message(code), "{}", response.text());
    for header in ["cache-control", "last-modified", "etag", "pragma"] {
        assert_eq!(
            response.header(header),
            None,
            "{header} on an error: {:?}",
            response.headers
        );
    }
}

/// As [`assert_api_error`], and the body is byte for byte Go's: `detail` is the raw JSON of the
/// `detail` member, `None` when the member must be absent.
fn assert_exact_error(response: &HttpResponse, status: u16, code: &str, detail: Option<&str>) {
    assert_api_error(response, status, code);
    let mut expected = format!(r#"{{"errors":[{{"code":"{code}","message":"{}""#, message(code));
    if let Some(detail) = detail {
        expected.push_str(",\"detail\":");
        expected.push_str(detail);
    }
    expected.push_str("}]}\n");
    assert_eq!(response.text(), expected);
}

/// 404 `METADATA_NOT_FOUND` with `"detail":{}` (metadata not stored).
fn assert_not_stored(response: &HttpResponse) {
    assert_exact_error(response, 404, "METADATA_NOT_FOUND", Some("{}"));
}

/// 404 `METADATA_NOT_FOUND` without `detail` (no route).
fn assert_no_route(response: &HttpResponse) {
    assert_exact_error(response, 404, "METADATA_NOT_FOUND", None);
}

/// A 200 with a JSON body that has no trailing newline.
fn assert_success_json(response: &HttpResponse) {
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        !response.body.ends_with(b"\n"),
        "trailing newline: {:?}",
        response.text()
    );
    serde_json::from_slice::<Value>(&response.body).unwrap();
}

/// A multipart body whose parts are given as (raw part headers, data).
fn raw_multipart(boundary: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (headers, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// POSTs `body` to the upload route of `gun` with `content_type`.
fn post_upload(server: &TestServer, gun: &str, content_type: Option<&str>, body: &[u8]) -> HttpResponse {
    let headers: Vec<(&str, &str)> = content_type.map(|c| ("Content-Type", c)).into_iter().collect();
    server.request("POST", &tuf(gun, ""), &headers, body)
}

/// The `(keytype, public)` of the key that `root` lists for `role`.
fn root_key_of(root: &[u8], role: &str) -> (String, String) {
    let root: Value = serde_json::from_slice(root).unwrap();
    let id = root["signed"]["roles"][role]["keyids"][0].as_str().unwrap();
    let key = &root["signed"]["keys"][id];
    (
        key["keytype"].as_str().unwrap().to_owned(),
        key["keyval"]["public"].as_str().unwrap().to_owned(),
    )
}

/// Checks a key-route body is exactly `{"keytype":"<alg>","keyval":{"public":"<b64>","private":null}}`
/// and returns `(keytype, public)`.
fn parse_key_body(response: &HttpResponse) -> (String, String) {
    assert_eq!(response.status, 200, "{}", response.text());
    let text = response.text();
    let rest = text.strip_prefix(r#"{"keytype":""#).unwrap_or_else(|| panic!("{text}"));
    let (keytype, rest) = rest.split_once('"').unwrap();
    let rest = rest
        .strip_prefix(r#","keyval":{"public":""#)
        .unwrap_or_else(|| panic!("{text}"));
    let public = rest
        .strip_suffix(r#"","private":null}}"#)
        .unwrap_or_else(|| panic!("{text}"));
    assert!(["ecdsa", "ed25519", "rsa"].contains(&keytype), "{text}");
    assert!(!public.is_empty());
    base64::engine::general_purpose::STANDARD.decode(public).unwrap();
    (keytype.to_owned(), public.to_owned())
}

/// A changefeed page: `(count, records)`, checking `count` equals the number of records.
fn changefeed(server: &TestServer, path: &str) -> Vec<Value> {
    let response = server.get(path);
    assert_success_json(&response);
    assert_eq!(response.header("content-type"), Some(TEXT));
    let json = response.json();
    let records = json["records"].as_array().unwrap().clone();
    assert_eq!(json["count"], records.len(), "{}", response.text());
    records
}

fn ids(records: &[Value]) -> Vec<&str> {
    records.iter().map(|r| r["ID"].as_str().unwrap()).collect()
}

// ---------------------------------------------------------------------------------------------
// Routing (items 1–10)

#[test]
fn api_01_base_route_answers_empty_object() {
    let server = TestServer::start();
    let response = server.get("/v2/");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"{}");
    assert_eq!(response.header("content-type"), Some(TEXT));
}

#[test]
fn api_02_other_methods_are_405_with_empty_body() {
    let server = TestServer::start();
    for (method, path) in [("PATCH", "/v2/"), ("OPTIONS", "/anything")] {
        let response = server.request(method, path, &[], b"");
        assert_eq!(response.status, 405, "{method} {path}");
        assert!(response.body.is_empty(), "{method} {path}: {}", response.text());
        assert_eq!(response.header("allow"), None);
    }
}

#[test]
fn api_03_unknown_path_is_404_without_detail() {
    let server = TestServer::start();
    assert_no_route(&server.get("/nope"));
}

#[test]
fn api_04_head_is_not_supported() {
    let (server, _) = with_coll();
    let response = server.request("HEAD", &tuf(COLL, "root.json"), &[], b"");
    assert_eq!(response.status, 404);
}

#[test]
fn api_05_unknown_gun_is_404_with_empty_detail() {
    let server = TestServer::start();
    for role in ["root", "timestamp", "snapshot", "targets", "targets/releases"] {
        assert_not_stored(&server.get(&tuf(UNKNOWN, &format!("{role}.json"))));
    }
}

#[test]
fn api_06_unknown_gun_consistent_downloads_are_404_with_empty_detail() {
    let server = TestServer::start();
    assert_not_stored(&server.get(&tuf(UNKNOWN, "1.root.json")));
    let checksum = sha256_hex(b"anything");
    assert_not_stored(&server.get(&tuf(UNKNOWN, &format!("root.{checksum}.json"))));
}

#[test]
fn api_07_unknown_role_has_no_route() {
    let (server, _) = with_coll();
    assert_no_route(&server.get(&tuf(COLL, "foo.json")));
}

#[test]
fn api_08_unclean_path_redirects() {
    let server = TestServer::start();
    let response = server.get("/v2/example.com//coll/_trust/tuf/root.json");
    assert_eq!(response.status, 301);
    assert_eq!(
        response.header("location"),
        Some("/v2/example.com/coll/_trust/tuf/root.json")
    );
    assert!(response.body.is_empty(), "{}", response.text());
}

#[test]
fn api_09_percent_encoded_slash_in_gun() {
    let (server, coll) = with_coll();
    let response = server.get("/v2/example.com%2Fcoll/_trust/tuf/root.json");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.body, coll.root);
}

#[test]
fn api_10_gun_with_star_never_reaches_a_handler() {
    let server = TestServer::start();
    assert_no_route(&server.get("/v2/exa*mple/_trust/tuf/root.json"));
}

// ---------------------------------------------------------------------------------------------
// Metadata downloads (items 11–25)

#[test]
fn api_11_root_is_served_byte_identical() {
    let (server, coll) = with_coll();
    let response = server.get(&tuf(COLL, "root.json"));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.body, coll.root);
    assert_eq!(response.header("content-type"), Some(TEXT));
    assert_eq!(
        response.header("content-length"),
        Some(coll.root.len().to_string().as_str())
    );
}

#[test]
fn api_12_current_metadata_cache_headers() {
    let (server, _) = with_coll();
    let response = server.get(&tuf(COLL, "root.json"));
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=300, s-maxage=300, must-revalidate")
    );
    assert!(response.header("last-modified").is_some(), "{:?}", response.headers);
    assert_eq!(response.header("etag"), None);
    assert_eq!(response.header("pragma"), None);
}

#[test]
fn api_13_root_by_checksum() {
    let (server, coll) = with_coll();
    let response = server.get(&tuf(COLL, &format!("root.{}.json", sha256_hex(&coll.root))));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.body, coll.root);
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=2592000, s-maxage=2592000")
    );
    assert!(response.header("last-modified").is_some());
    assert_eq!(response.header("etag"), None);
    assert_eq!(response.header("pragma"), None);
}

#[test]
fn api_14_root_by_version() {
    let (server, coll) = with_coll();
    let response = server.get(&tuf(COLL, "1.root.json"));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.body, coll.root);
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=2592000, s-maxage=2592000")
    );
    assert!(response.header("last-modified").is_some());
}

#[test]
fn api_15_version_with_leading_zeros() {
    let (server, coll) = with_coll();
    for file in ["01.root.json", "0001.root.json"] {
        let response = server.get(&tuf(COLL, file));
        assert_eq!(response.status, 200, "{file}: {}", response.text());
        assert_eq!(response.body, coll.root, "{file}");
    }
}

#[test]
fn api_16_version_out_of_range_is_404() {
    let (server, _) = with_coll();
    let response = server.get(&tuf(COLL, "99999999999999999999.root.json"));
    assert_api_error(&response, 404, "METADATA_NOT_FOUND");
}

#[test]
fn api_17_sha512_checksum_is_404() {
    let (server, coll) = with_coll();
    let sha512 = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, &coll.root));
    assert_eq!(sha512.len(), 128);
    let response = server.get(&tuf(COLL, &format!("root.{sha512}.json")));
    assert_api_error(&response, 404, "METADATA_NOT_FOUND");
}

#[test]
fn api_18_upper_case_checksum_is_404_or_the_root() {
    let (server, coll) = with_coll();
    let upper = sha256_hex(&coll.root).to_ascii_uppercase();
    let response = server.get(&tuf(COLL, &format!("root.{upper}.json")));
    match response.status {
        200 => assert_eq!(response.body, coll.root),
        404 => assert_api_error(&response, 404, "METADATA_NOT_FOUND"),
        other => panic!("status {other}: {}", response.text()),
    }
}

#[test]
fn api_19_no_cross_role_checksum_hits() {
    let (server, coll) = with_coll();
    let response = server.get(&tuf(COLL, &format!("targets.{}.json", sha256_hex(&coll.root))));
    assert_api_error(&response, 404, "METADATA_NOT_FOUND");
}

/// The SHA-256 (raw bytes) that the current timestamp lists for the snapshot.
fn timestamp_snapshot_sha256(timestamp: &[u8]) -> Vec<u8> {
    let timestamp: Value = serde_json::from_slice(timestamp).unwrap();
    let b64 = timestamp["signed"]["meta"]["snapshot"]["hashes"]["sha256"]
        .as_str()
        .unwrap();
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

#[test]
fn api_20_timestamp_names_the_served_snapshot() {
    let (server, _) = with_coll();
    let timestamp = server.get(&tuf(COLL, "timestamp.json"));
    assert_eq!(timestamp.status, 200, "{}", timestamp.text());
    assert_eq!(timestamp.json()["signed"]["_type"], "Timestamp");
    let snapshot = server.get(&tuf(COLL, "snapshot.json"));
    assert_eq!(snapshot.status, 200, "{}", snapshot.text());
    assert_eq!(
        hex::encode(timestamp_snapshot_sha256(&timestamp.body)),
        sha256_hex(&snapshot.body)
    );
}

#[test]
fn api_21_snapshot_by_timestamp_checksum() {
    let (server, _) = with_coll();
    let timestamp = server.get(&tuf(COLL, "timestamp.json"));
    let h = hex::encode(timestamp_snapshot_sha256(&timestamp.body));
    let by_hash = server.get(&tuf(COLL, &format!("snapshot.{h}.json")));
    assert_eq!(by_hash.status, 200, "{}", by_hash.text());
    let current = server.get(&tuf(COLL, "snapshot.json"));
    assert_eq!(by_hash.body, current.body);
}

#[test]
fn api_22_if_modified_since_is_ignored() {
    let (server, _) = with_coll();
    let response = server.request(
        "GET",
        &tuf(COLL, "timestamp.json"),
        &[("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT")],
        b"",
    );
    assert_eq!(response.status, 200);
    assert!(!response.body.is_empty());
    assert_eq!(response.json()["signed"]["_type"], "Timestamp");
}

#[test]
fn api_23_current_max_age_zero_disables_caching() {
    let server = TestServer::start_with(|config| config.caching.current_max_age = 0);
    publish(&server, COLL, SnapshotKey::Server);
    let response = server.get(&tuf(COLL, "timestamp.json"));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("max-age=0, no-cache, no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
    // The consistent kind keeps its own default.
    let response = server.get(&tuf(COLL, "1.root.json"));
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=2592000, s-maxage=2592000")
    );
    assert_eq!(response.header("pragma"), None);
}

#[test]
fn api_24_consistent_max_age_is_configurable() {
    let server = TestServer::start_with(|config| config.caching.consistent_max_age = 60);
    publish(&server, COLL, SnapshotKey::Server);
    let response = server.get(&tuf(COLL, "1.root.json"));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=60, s-maxage=60")
    );
    assert_eq!(response.header("pragma"), None);
}

#[test]
fn api_25_errors_carry_no_cache_headers() {
    let (server, _) = with_coll();
    for path in [
        tuf(UNKNOWN, "root.json"),
        tuf(UNKNOWN, "1.root.json"),
        tuf(UNKNOWN, &format!("root.{}.json", sha256_hex(b"x"))),
        tuf(COLL, "2.root.json"),
        tuf(COLL, "foo.json"),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.header("cache-control"), None, "{path}");
        assert_eq!(response.header("last-modified"), None, "{path}");
        assert_eq!(response.header("pragma"), None, "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Keys (items 26–29)

#[test]
fn api_26_timestamp_key_body_shape() {
    let (server, _) = with_coll();
    let response = server.get(&tuf(COLL, "timestamp.key"));
    parse_key_body(&response);
    assert_eq!(response.header("content-type"), Some(TEXT));
    assert_eq!(response.header("cache-control"), None);
    assert_eq!(response.header("last-modified"), None);
}

#[test]
fn api_27_timestamp_key_is_stable_and_listed_in_root() {
    let (server, coll) = with_coll();
    let first = server.get(&tuf(COLL, "timestamp.key"));
    let second = server.get(&tuf(COLL, "timestamp.key"));
    assert_eq!(first.body, second.body);
    assert_eq!(parse_key_body(&first), root_key_of(&coll.root, "timestamp"));
}

#[test]
fn api_28_rotating_a_key_leaves_metadata_alone() {
    let (server, coll) = with_coll();
    let response = server.request("POST", &tuf(COLL, "timestamp.key"), &[], b"");
    let (_, public) = parse_key_body(&response);
    assert_eq!(response.header("content-type"), Some(TEXT));
    let (_, listed) = root_key_of(&coll.root, "timestamp");
    assert_ne!(public, listed);
    let root = server.get(&tuf(COLL, "root.json"));
    assert_eq!(root.status, 200);
    assert_eq!(root.body, coll.root);
}

#[test]
fn api_29_only_snapshot_and_timestamp_have_key_routes() {
    let (server, _) = with_coll();
    assert_no_route(&server.get(&tuf(COLL, "root.key")));
    assert_no_route(&server.request("POST", &tuf(COLL, "targets.key"), &[], b""));
}

// ---------------------------------------------------------------------------------------------
// Uploads (items 30–42, 87–89)

#[test]
fn api_30_json_content_type_is_malformed_upload() {
    let (server, coll) = with_coll();
    let response = post_upload(&server, COLL, Some("application/json"), &coll.targets);
    assert_exact_error(&response, 400, "MALFORMED_UPLOAD", None);
}

#[test]
fn api_31_missing_content_type_is_malformed_upload() {
    let (server, coll) = with_coll();
    let (_, body) = notary_testkit::http::multipart(&[("targets", &coll.targets)]);
    let response = post_upload(&server, COLL, None, &body);
    assert_api_error(&response, 400, "MALFORMED_UPLOAD");
}

#[test]
fn api_32_part_without_filename() {
    let (server, coll) = with_coll();
    let body = raw_multipart(
        "b0undary",
        &[(
            "Content-Disposition: form-data; name=\"files\"\r\nContent-Type: application/octet-stream",
            &coll.targets,
        )],
    );
    let response = post_upload(&server, COLL, Some("multipart/form-data; boundary=b0undary"), &body);
    assert_api_error(&response, 400, "NO_FILENAME");
}

#[test]
fn api_33_invalid_role_names_are_the_detail() {
    let (server, coll) = with_coll();
    for (file, name) in [
        ("foo.json", "foo"),
        ("targets/../x", "targets/../x"),
        ("targets/UPPER", "targets/UPPER"),
    ] {
        let response = server.upload(COLL, &[(file, &coll.targets)]);
        assert_exact_error(&response, 400, "INVALID_ROLE", Some(&format!("\"{name}\"")));
    }
}

#[test]
fn api_34_part_that_is_not_json() {
    let (server, _) = with_coll();
    let response = server.upload(COLL, &[("root", b"notjson")]);
    assert_api_error(&response, 400, "MALFORMED_JSON");
}

#[test]
fn api_35_successful_upload_is_an_empty_200() {
    let (server, mut coll) = with_coll();
    let targets = coll.repo.add_target("v2", b"two");
    let response = server.upload(COLL, &[("targets", &targets)]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-length"), Some("0"));
    assert!(response.body.is_empty());
    assert_eq!(response.header("content-type"), None);
}

#[test]
fn api_36_json_suffix_is_removed_from_part_names() {
    let (server, mut coll) = with_coll();
    let targets = coll.repo.add_target("v2", b"two");
    let response = server.upload(COLL, &[("targets.json", &targets)]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(server.get(&tuf(COLL, "targets.json")).body, targets);
    assert_eq!(server.get(&tuf(COLL, "2.targets.json")).body, targets);
}

/// Delegates `targets/releases` to a new key in the next targets version; returns the key and
/// that targets file (not uploaded).
fn delegate_releases(repo: &mut ServerRepo) -> (TestKey, Vec<u8>) {
    let key = TestKey::ecdsa();
    delegate(&mut repo.targets, "targets/releases", &[&key], &[""], 1);
    repo.targets.version += 1;
    (key, repo.targets_file())
}

fn releases_file(key: &TestKey) -> Vec<u8> {
    let mut body = targets_body(&[("rel-1.0", b"release")], 1);
    body.expires = notary_tuf::Expires::after(time::OffsetDateTime::now_utc(), time::Duration::days(365));
    sign(body, &[key]).raw().to_vec()
}

#[test]
fn api_37_slash_in_part_name_is_a_delegation() {
    let (server, mut coll) = with_coll();
    let (key, targets) = delegate_releases(&mut coll.repo);
    let releases = releases_file(&key);
    let response = server.upload(COLL, &[("targets", &targets), ("targets/releases", &releases)]);
    assert_eq!(response.status, 200, "{}", response.text());
    let served = server.get(&tuf(COLL, "targets/releases.json"));
    assert_eq!(served.status, 200, "{}", served.text());
    assert_eq!(served.body, releases);
    let by_hash = server.get(&tuf(COLL, &format!("targets/releases.{}.json", sha256_hex(&releases))));
    assert_eq!(by_hash.body, releases);
}

#[test]
fn api_38_multipart_mixed_attachment_parts_are_accepted() {
    let (server, mut coll) = with_coll();
    let (key, targets) = delegate_releases(&mut coll.repo);
    let releases = releases_file(&key);
    let body = raw_multipart(
        "mixedB0undary",
        &[
            (
                "Content-Disposition: attachment; name=\"other\"; filename=\"targets\"",
                &targets,
            ),
            (
                "Content-Disposition: attachment; filename=\"targets/releases\"\r\nContent-Type: application/json",
                &releases,
            ),
        ],
    );
    let response = post_upload(&server, COLL, Some("multipart/mixed; boundary=mixedB0undary"), &body);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(server.get(&tuf(COLL, "targets.json")).body, targets);
    assert_eq!(server.get(&tuf(COLL, "targets/releases.json")).body, releases);
}

#[test]
fn api_39_zero_parts_to_unknown_gun() {
    let server = TestServer::start();
    let response = server.upload(UNKNOWN, &[]);
    assert_exact_error(
        &response,
        400,
        "INVALID_UPDATE",
        Some(r#"{"Name":"ErrValidation","Error":{"Msg":"no pre-existing root and no root provided in update."}}"#),
    );
}

#[test]
fn api_40_zero_parts_with_client_held_snapshot_key() {
    let server = TestServer::start();
    publish(&server, COLL, SnapshotKey::Client);
    let response = server.upload(COLL, &[]);
    assert_exact_error(
        &response,
        400,
        "INVALID_UPDATE",
        Some(
            r#"{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":"no snapshot was included in update and server does not hold current snapshot key for repository"}}"#,
        ),
    );
}

#[test]
fn api_41_reuploading_the_stored_version_is_a_version_error() {
    let (server, coll) = with_coll();
    let response = server.upload(COLL, &[("targets", &coll.targets)]);
    assert_exact_error(&response, 400, "VERSION", Some("{}"));
}

#[test]
fn api_42_unparseable_multipart_body_is_a_4xx() {
    let (server, _) = with_coll();
    let response = post_upload(
        &server,
        COLL,
        Some("multipart/form-data; boundary=xyzzy"),
        b"this is not a multipart body at all",
    );
    assert_exact_error(&response, 400, "MALFORMED_UPLOAD", None);
    // A body cut off inside a part.
    let response = post_upload(
        &server,
        COLL,
        Some("multipart/form-data; boundary=xyzzy"),
        b"--xyzzy\r\nContent-Disposition: form-data; name=\"files\"; filename=\"targets\"\r\n\r\n{\"sig",
    );
    assert_exact_error(&response, 400, "MALFORMED_UPLOAD", None);
}

#[test]
fn api_87_part_name_edge_cases() {
    let (server, coll) = with_coll();
    assert_api_error(&server.upload(COLL, &[(".json", &coll.targets)]), 400, "NO_FILENAME");
    assert_exact_error(
        &server.upload(COLL, &[("root.json.json", &coll.root)]),
        400,
        "INVALID_ROLE",
        Some("\"root.json\""),
    );
    for name in ["targets/", "targets/a.b"] {
        assert_exact_error(
            &server.upload(COLL, &[(name, &coll.targets)]),
            400,
            "INVALID_ROLE",
            Some(&format!("\"{name}\"")),
        );
    }
}

#[test]
fn api_88_parts_that_are_not_envelopes() {
    let (server, _) = with_coll();
    for body in [&br#"{"signed":{"version":"x"}}"#[..], b"[]"] {
        assert_api_error(&server.upload(COLL, &[("root", body)]), 400, "MALFORMED_JSON");
    }
}

#[test]
fn api_89_unsigned_targets_is_bad_targets() {
    let (server, _) = with_coll();
    assert_exact_error(
        &server.upload(COLL, &[("targets", b"{}")]),
        400,
        "INVALID_UPDATE",
        Some(r#"{"Name":"ErrBadTargets","Error":{"Msg":"tuf: data has no signatures"}}"#),
    );
}

// ---------------------------------------------------------------------------------------------
// Delete (items 43–45)

#[test]
fn api_43_delete_removes_everything() {
    let (server, coll) = with_coll();
    let response = server.request("DELETE", &tuf(COLL, ""), &[], b"");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-length"), Some("0"));
    assert!(response.body.is_empty());
    assert_not_stored(&server.get(&tuf(COLL, "root.json")));
    assert_not_stored(&server.get(&tuf(COLL, "1.root.json")));
    assert_not_stored(&server.get(&tuf(COLL, &format!("root.{}.json", sha256_hex(&coll.root)))));
}

#[test]
fn api_44_delete_of_unknown_gun_is_200() {
    let server = TestServer::start();
    let response = server.request("DELETE", &tuf(UNKNOWN, ""), &[], b"");
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.body.is_empty());
}

#[test]
fn api_45_delete_without_trailing_slash_has_no_route() {
    let (server, coll) = with_coll();
    assert_no_route(&server.request("DELETE", &format!("/v2/{COLL}/_trust/tuf"), &[], b""));
    assert_eq!(server.get(&tuf(COLL, "root.json")).body, coll.root);
}

// ---------------------------------------------------------------------------------------------
// Changefeed (items 46–59)

#[test]
fn api_46_to_49_changefeed_parameter_errors() {
    let server = TestServer::start();
    // 46
    assert_exact_error(
        &server.get("/v2/_trust/changefeed"),
        400,
        "INVALID_PARAMETERS",
        Some(r#""invalid records parameter: strconv.ParseInt: parsing \"\": invalid syntax""#),
    );
    // 47
    let response = server.get("/v2/_trust/changefeed?records=abc");
    assert_api_error(&response, 400, "INVALID_PARAMETERS");
    let detail = response.json()["errors"][0]["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("parsing \"abc\": invalid syntax"), "{detail}");
    // 48
    let response = server.get("/v2/_trust/changefeed?records=99999999999");
    assert_api_error(&response, 400, "INVALID_PARAMETERS");
    // 49
    assert_exact_error(
        &server.get("/v2/_trust/changefeed?records=10&change_id=abc"),
        400,
        "INVALID_PARAMETERS",
        Some("{}"),
    );
    // The per-GUN feed checks the same parameters.
    assert_api_error(
        &server.get(&format!("/v2/{COLL}/_trust/changefeed?records=abc")),
        400,
        "INVALID_PARAMETERS",
    );
}

#[test]
fn api_50_records_zero_means_one_hundred() {
    let server = TestServer::start();
    let mut coll = publish(&server, COLL, SnapshotKey::Server);
    for i in 0..104 {
        publish_next_targets(&server, &mut coll.repo, &format!("t{i}"));
    }
    let records = changefeed(&server, "/v2/_trust/changefeed?records=0");
    assert_eq!(records.len(), 100);
    let expected: Vec<String> = (1..=100).map(|i| i.to_string()).collect();
    assert_eq!(ids(&records), expected);
}

/// A server with 5 changefeed records: 1 = init of [`COLL`], 2 = init of `example.com/other`,
/// 3–5 = targets updates of [`COLL`].
fn five_changes() -> TestServer {
    let server = TestServer::start();
    let mut coll = publish(&server, COLL, SnapshotKey::Server);
    publish(&server, "example.com/other", SnapshotKey::Server);
    for name in ["a", "b", "c"] {
        publish_next_targets(&server, &mut coll.repo, name);
    }
    server
}

#[test]
fn api_51_to_55_changefeed_paging() {
    let server = five_changes();
    // 51
    assert_eq!(
        ids(&changefeed(&server, "/v2/_trust/changefeed?records=2&change_id=0")),
        ["1", "2"]
    );
    // 52
    assert_eq!(
        ids(&changefeed(&server, "/v2/_trust/changefeed?records=2&change_id=-1")),
        ["4", "5"]
    );
    // 53
    assert_eq!(
        ids(&changefeed(&server, "/v2/_trust/changefeed?records=-2&change_id=5")),
        ["3", "4"]
    );
    // 54
    assert_eq!(
        ids(&changefeed(&server, "/v2/_trust/changefeed?records=-2")),
        ["4", "5"]
    );
    // 55
    let response = server.get("/v2/_trust/changefeed?records=10&change_id=5");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, br#"{"count":0,"records":[]}"#);
}

#[test]
fn api_56_per_gun_changefeed() {
    let server = five_changes();
    let records = changefeed(&server, &format!("/v2/{COLL}/_trust/changefeed?records=10"));
    assert_eq!(ids(&records), ["1", "3", "4", "5"]);
    assert!(records.iter().all(|r| r["GUN"] == COLL));
    // `example.com/coll` is a string prefix of neither; the match is exact.
    let response = server.get("/v2/example.com/_trust/changefeed?records=10");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, br#"{"count":0,"records":[]}"#);
    let response = server.get("/v2/example.com/nothing/_trust/changefeed?records=10");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, br#"{"count":0,"records":[]}"#);
}

#[test]
fn api_57_58_changefeed_record_shape_and_sha256() {
    let server = five_changes();
    server.request("DELETE", &tuf("example.com/other", ""), &[], b"");
    let response = server.get("/v2/_trust/changefeed?records=10");
    assert_success_json(&response);
    #[derive(serde::Deserialize)]
    struct Page<'a> {
        #[serde(borrow)]
        records: Vec<&'a RawValue>,
    }
    let page: Page<'_> = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(page.records.len(), 6);
    let members = ["ID", "CreatedAt", "GUN", "Version", "SHA256", "Category"];
    for raw in page.records {
        let text = raw.get();
        // 57: exactly these members, in this order.
        let record: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(record.len(), members.len(), "{text}");
        let positions: Vec<usize> = members
            .iter()
            .map(|m| {
                text.find(&format!("\"{m}\":"))
                    .unwrap_or_else(|| panic!("{m} in {text}"))
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "member order of {text}");
        assert!(record["ID"].is_string(), "{text}");
        time::OffsetDateTime::parse(
            record["CreatedAt"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let version = record["Version"].as_i64().unwrap();
        let gun = record["GUN"].as_str().unwrap();
        match record["Category"].as_str().unwrap() {
            "update" => {
                // 58: the SHA-256 of the timestamp stored with that version.
                if gun == COLL {
                    let timestamp = server.get(&tuf(gun, &format!("{version}.timestamp.json")));
                    assert_eq!(timestamp.status, 200, "{text}: {}", timestamp.text());
                    assert_eq!(record["SHA256"], sha256_hex(&timestamp.body), "{text}");
                }
            }
            "deletion" => assert_eq!(gun, "example.com/other"),
            other => panic!("category {other}"),
        }
    }
    // The newest update's hash is that of the current timestamp.
    let newest = changefeed(&server, &format!("/v2/{COLL}/_trust/changefeed?records=-1"));
    let current = server.get(&tuf(COLL, "timestamp.json"));
    assert_eq!(newest[0]["SHA256"], sha256_hex(&current.body));
    assert_eq!(newest[0]["Version"], current.json()["signed"]["version"]);
}

#[test]
fn api_59_deletion_records() {
    let (server, _) = with_coll();
    let response = server.request("DELETE", &tuf(COLL, ""), &[], b"");
    assert_eq!(response.status, 200);
    let newest = changefeed(&server, "/v2/_trust/changefeed?records=-1");
    assert_eq!(newest.len(), 1);
    let record = &newest[0];
    assert_eq!(record["ID"], "2");
    assert_eq!(record["GUN"], COLL);
    assert_eq!(record["Version"], 0);
    assert_eq!(record["SHA256"], "");
    assert_eq!(record["Category"], "deletion");
    // Deleting what does not exist (again, or never) adds nothing.
    for gun in [COLL, UNKNOWN] {
        let response = server.request("DELETE", &tuf(gun, ""), &[], b"");
        assert_eq!(response.status, 200);
    }
    assert_eq!(
        ids(&changefeed(&server, "/v2/_trust/changefeed?records=10")),
        ["1", "2"]
    );
}

// ---------------------------------------------------------------------------------------------
// Health and metrics (items 60, 62–65)

#[test]
fn api_60_health_is_ok() {
    let server = TestServer::start();
    let response = server.get("/_notary_server/health");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"{}");
    assert_eq!(response.header("content-type"), Some(JSON));
    assert_eq!(response.header("content-length"), Some("2"));
}

#[test]
fn api_62_unreadable_table_makes_health_503() {
    if Command::new("sqlite3").arg("-version").output().is_err() {
        eprintln!("api_62 not run: the sqlite3 CLI is not installed");
        return;
    }
    let work = WorkDir::new("api-62");
    let db = work.path("notary.db");
    let server = TestServer::start_with(|config| config.storage = StorageConfig::Sqlite { path: db.clone() });
    publish(&server, COLL, SnapshotKey::Server);
    assert_eq!(server.get("/_notary_server/health").status, 200);
    let output = Command::new("sqlite3")
        .arg(&db)
        .arg(".timeout 10000")
        .arg("ALTER TABLE tuf_files RENAME TO tuf_files_gone;")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // The check runs every 10 s in the background.
    let deadline = Instant::now() + Duration::from_secs(25);
    let response = loop {
        let response = server.get("/_notary_server/health");
        if response.status != 200 || Instant::now() > deadline {
            break response;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(response.status, 503, "{}", response.text());
    assert_eq!(response.header("content-type"), Some(JSON));
    let body = response.json();
    assert!(body.as_object().unwrap().contains_key("DB operational"), "{body}");
    drop(server);
    work.done();
}

#[test]
fn api_63_post_health_is_404() {
    let server = TestServer::start();
    assert_no_route(&server.request("POST", "/_notary_server/health", &[], b""));
}

#[test]
fn api_64_metrics() {
    let server = TestServer::start();
    // One instrumented request, so that the counter has a sample whatever the renderer does for
    // empty families.
    server.get(&tuf(UNKNOWN, "root.json"));
    let response = server.get("/metrics");
    assert_eq!(response.status, 200);
    let content_type = response.header("content-type").unwrap();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    assert!(response.text().contains("notary_server_http_requests_total"));
}

#[test]
fn api_65_requests_are_counted_by_operation() {
    let (server, _) = with_coll();
    assert_eq!(server.get(&tuf(COLL, "root.json")).status, 200);
    let text = server.get("/metrics").text();
    let found = text.lines().any(|line| {
        line.starts_with("notary_server_http_requests_total{")
            && line.contains("operation=\"GetRole\"")
            && line.contains("method=\"get\"")
            && line.contains("code=\"200\"")
    });
    assert!(found, "{text}");
}

// ---------------------------------------------------------------------------------------------
// GUN prefixes (items 80–83)

fn with_prefixes() -> TestServer {
    TestServer::start_with(|config| config.gun_prefixes = vec!["docker.io/".into(), "example.com/".into()])
}

#[test]
fn api_80_upload_outside_prefixes_is_invalid_gun() {
    let server = with_prefixes();
    assert_exact_error(
        &server.upload("quay.io/x", &[]),
        400,
        "INVALID_GUN",
        Some(r#""Require GUNs with prefix: [docker.io/ example.com/]""#),
    );
}

#[test]
fn api_81_other_routes_outside_prefixes_are_404() {
    let server = with_prefixes();
    assert_no_route(&server.get(&tuf("quay.io/x", "root.json")));
    assert_no_route(&server.get(&tuf("quay.io/x", "timestamp.key")));
    assert_no_route(&server.request("DELETE", &tuf("quay.io/x", ""), &[], b""));
    assert_no_route(&server.get("/v2/quay.io/x/_trust/changefeed?records=1"));
    // A GUN inside the prefixes reaches the handler.
    assert_not_stored(&server.get(&tuf("example.com/x", "root.json")));
}

#[test]
fn api_82_prefix_match_is_a_plain_string_prefix() {
    let server = with_prefixes();
    assert_no_route(&server.get(&tuf("example.comfoo", "root.json")));
}

#[test]
fn api_83_global_changefeed_is_not_prefix_filtered() {
    let server = with_prefixes();
    let response = server.get("/v2/_trust/changefeed?records=1");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.body, br#"{"count":0,"records":[]}"#);
}

// ---------------------------------------------------------------------------------------------
// Framing and TLS (items 85–86)

#[test]
fn api_85_newlines_on_errors_only() {
    let (server, _) = with_coll();
    for (method, path) in [
        ("GET", "/nope".to_owned()),
        ("GET", tuf(UNKNOWN, "root.json")),
        ("GET", "/v2/_trust/changefeed".to_owned()),
        ("POST", tuf(COLL, "")),
    ] {
        let response = server.request(method, &path, &[], b"");
        assert!(response.status >= 400, "{method} {path}");
        assert!(
            response.body.ends_with(b"}\n") && !response.body.ends_with(b"\n\n"),
            "{method} {path}: {:?}",
            response.text()
        );
    }
    for (method, path) in [
        ("GET", "/v2/".to_owned()),
        ("GET", tuf(COLL, "root.json")),
        ("GET", tuf(COLL, "1.root.json")),
        ("GET", tuf(COLL, "targets.json")),
        ("GET", tuf(COLL, "snapshot.json")),
        ("GET", tuf(COLL, "timestamp.json")),
        ("GET", tuf(COLL, "timestamp.key")),
        ("POST", tuf(COLL, "snapshot.key")),
        ("GET", "/v2/_trust/changefeed?records=10".to_owned()),
        ("GET", format!("/v2/{COLL}/_trust/changefeed?records=10")),
        ("GET", "/_notary_server/health".to_owned()),
    ] {
        let response = server.request(method, &path, &[], b"");
        assert_success_json(&response);
    }
}

/// One `GET /v2/` over TLS restricted to `version`: the negotiated version and the raw response.
fn tls_get(
    addr: &str,
    ca: &std::path::Path,
    version: &'static rustls::SupportedProtocolVersion,
) -> (rustls::ProtocolVersion, Vec<u8>) {
    use rustls_pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from_pem_slice(&std::fs::read(ca).unwrap()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, TcpStream::connect(addr).unwrap());
    tls.write_all(b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    let _ = tls.read_to_end(&mut reply);
    (tls.conn.protocol_version().unwrap(), reply)
}

#[test]
fn api_86_tls_versions_and_plain_http() {
    let work = WorkDir::new("api-86");
    let pki = notary_testkit::pki::TestPki::generate(&work.path("pki"));
    let server = TestServer::start_with(|config| {
        config.tls = Some(TlsFiles {
            cert: pki.server_cert.clone(),
            key: pki.server_key.clone(),
            client_ca: None,
        });
    });

    // TLS 1.2 and 1.3 succeed.
    for (version, expected) in [
        (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
        (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
    ] {
        let (negotiated, reply) = tls_get(&server.addr, &pki.ca_cert, version);
        assert_eq!(negotiated, expected);
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.ends_with("\r\n\r\n{}"), "{reply}");
    }

    // Plain HTTP to the TLS port: Go's canned 400.
    let mut tcp = TcpStream::connect(&server.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    let _ = tcp.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.0 400 Bad Request\r\n"), "{reply}");
    assert!(
        reply.ends_with("Client sent an HTTP request to an HTTPS server.\n"),
        "{reply}"
    );

    // A TLS 1.1-only handshake is refused (needs the openssl CLI).
    match Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &server.addr,
            "-tls1_1",
            "-cipher",
            "DEFAULT@SECLEVEL=0",
        ])
        .stdin(std::process::Stdio::null())
        .output()
    {
        Err(_) => eprintln!("api_86: TLS 1.1 refusal not checked, the openssl CLI is not installed"),
        Ok(output) => {
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!output.status.success(), "TLS 1.1 handshake succeeded:\n{all}");
            // Refused by the server (an alert), not by the local openssl. §1 says Go sends
            // `protocol_version`; rustls answers a TLS 1.1 hello (which has no
            // signature_algorithms extension) with `handshake_failure` first.
            assert!(all.contains("SSL alert number"), "{all}");
        }
    }
    drop(server);
    work.done();
}
