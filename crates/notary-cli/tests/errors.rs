//! Error classes and offline behaviour of our CLI against our server (in-process) or small stub
//! servers: each class has its own message, and every failure ends Go's way (exit status 1, an
//! empty line and `* fatal: <message>` on stdout). Also `verify` end to end, and a tampered cache.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use base64::Engine as _;
use notary_testkit::WorkDir;
use notary_testkit::pki::TestPki;
use notary_testkit::tuf::{self, Repo};
use notary_tuf::Expires;
use notary_tuf::metadata::{FileMeta, Snapshot, Timestamp};
use time::{Duration, OffsetDateTime};

use crate::support::{OurServer, Reply, Stub, fails, fatal, ok, ours, run, run_env, unreachable_url};

/// `init -p` then `add -p` of each `(target, file)`: a published collection.
fn publish(work: &WorkDir, trust: &str, url: &str, gun: &str, targets: &[(&str, &PathBuf)]) {
    ok(run(&ours(), work, trust, Some((url, None)), &["init", "-p", gun]));
    for (name, file) in targets {
        ok(run(
            &ours(),
            work,
            trust,
            Some((url, None)),
            &["add", "-p", gun, name, file.to_str().unwrap()],
        ));
    }
}

/// The cached metadata file of `role` in trust directory `trust`.
fn cached(work: &WorkDir, trust: &str, gun: &str, role: &str) -> PathBuf {
    work.path(trust)
        .join("tuf")
        .join(gun)
        .join("metadata")
        .join(format!("{role}.json"))
}

#[test]
fn unknown_gun_names_the_server_and_the_gun() {
    let work = WorkDir::new("cli-unknown-gun");
    let server = OurServer::start(&work, None);
    let host = server.url().trim_start_matches("http://").to_owned();
    let out = fails(run(
        &ours(),
        &work,
        "t",
        Some((server.url(), None)),
        &["list", "example.com/none"],
    ));
    assert!(
        out.contains(&format!(
            "\n* fatal: {host} does not have trust data for example.com/none"
        )),
        "{out}"
    );
    drop(server);
    work.done();
}

#[test]
fn offline_without_cache_is_a_clear_error_and_with_cache_a_warning() {
    let work = WorkDir::new("cli-offline");
    let server = OurServer::start(&work, None);
    let url = server.url().to_owned();
    let gun = "example.com/cli/offline";
    let file = work.write("hello.txt", b"hello\n");
    ok(run(&ours(), &work, "pub", Some((&url, None)), &["init", "-p", gun]));
    ok(run(
        &ours(),
        &work,
        "pub",
        Some((&url, None)),
        &["add", "-p", gun, "hello", file.to_str().unwrap()],
    ));
    ok(run(&ours(), &work, "reader", Some((&url, None)), &["list", gun]));
    drop(server);

    let listed = run(&ours(), &work, "reader", Some((&url, None)), &["list", gun]);
    let stderr = String::from_utf8_lossy(&listed.stderr).into_owned();
    let stdout = ok(listed);
    assert!(stdout.contains("hello "), "{stdout}");
    assert!(stderr.contains("level=error msg=\"could not reach "), "{stderr}");
    assert!(stderr.contains("using cached timestamp"), "{stderr}");

    let out = fails(run(&ours(), &work, "fresh", Some((&url, None)), &["list", gun]));
    assert!(out.contains("\n* fatal: client is offline"), "{out}");
    work.done();
}

#[test]
fn unreachable_server_lookup_and_verify_use_the_cache_and_no_cache_says_why() {
    let work = WorkDir::new("cli-offline-read");
    let server = OurServer::start(&work, None);
    let gun = "example.com/cli/offline-read";
    let content = b"offline content\n";
    let file = work.write("f.txt", content);
    publish(&work, "pub", server.url(), gun, &[("f", &file)]);
    ok(run(
        &ours(),
        &work,
        "reader",
        Some((server.url(), None)),
        &["list", gun],
    ));
    drop(server);
    let down = unreachable_url();
    let sha256 = hex::encode(FileMeta::of_bytes(content).sha256().unwrap());

    let looked = run(&ours(), &work, "reader", Some((&down, None)), &["lookup", gun, "f"]);
    let stderr = String::from_utf8_lossy(&looked.stderr).into_owned();
    assert_eq!(ok(looked), format!("f sha256:{sha256} {}\n", content.len()));
    assert!(
        stderr.contains(&format!("level=error msg=\"could not reach {down}: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains("level=warning msg=\"Error while downloading remote metadata, using cached timestamp"),
        "{stderr}"
    );

    let verified = run(
        &ours(),
        &work,
        "reader",
        Some((&down, None)),
        &["verify", gun, "f", "-i", file.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&verified.stderr).into_owned();
    assert!(verified.status.success(), "{stderr}");
    assert_eq!(verified.stdout, content);
    assert!(stderr.contains("using cached timestamp"), "{stderr}");

    // Nothing cached: Go's text first, then that nothing is cached and why the server was not used.
    let (message, stderr) = fatal(run(&ours(), &work, "fresh", Some((&down, None)), &["lookup", gun, "f"]));
    assert!(
        message.starts_with("client is offline and no cached trust data is available (could not reach "),
        "{message}"
    );
    assert!(message.contains(&down), "{message}");
    assert!(stderr.contains("could not reach"), "{stderr}");
    work.done();
}

#[test]
fn untrusted_server_certificate_is_reported_as_a_tls_failure() {
    let work = WorkDir::new("cli-tls");
    let pki = TestPki::generate(&work.path("pki"));
    let other = TestPki::generate(&work.path("other-pki"));
    let server = OurServer::start(&work, Some(&pki));
    let gun = "example.com/cli/tls";

    // With the server's CA the server is reached (and knows no such collection) …
    let (message, _) = fatal(run(
        &ours(),
        &work,
        "t",
        Some((server.url(), Some(&pki.ca_cert))),
        &["list", gun],
    ));
    assert!(
        message.ends_with(&format!("does not have trust data for {gun}")),
        "{message}"
    );

    // … with another CA the handshake fails: logged, and named in the fatal line.
    let (message, stderr) = fatal(run(
        &ours(),
        &work,
        "t",
        Some((server.url(), Some(&other.ca_cert))),
        &["list", gun],
    ));
    let reason = format!("could not reach {}: TLS handshake failed: ", server.url());
    assert!(
        message.starts_with("client is offline and no cached trust data is available ("),
        "{message}"
    );
    assert!(message.contains(&reason), "{message}");
    assert!(message.contains("certificate"), "{message}");
    assert!(stderr.contains(&format!("level=error msg=\"{reason}")), "{stderr}");
    drop(server);
    work.done();
}

/// A server that wants Bearer tokens: the ping answers 401 with a challenge; the token endpoint
/// refuses scopes on `example.com/refused`; repositories `forbidden` answer 403, `scope` 401 with
/// `error="insufficient_scope"`, `unauth` a plain 401.
fn token_server(target: &str, base: &str) -> Reply {
    let challenge = format!(r#"Bearer realm="{base}/token",service="notary-test""#);
    let unauthorized = |challenge: String| (401, vec![("WWW-Authenticate".to_owned(), challenge)], Vec::new());
    if target == "/v2/" {
        return unauthorized(challenge);
    }
    if target.starts_with("/token?") {
        return if target.contains("example.com%2Frefused") {
            (401, Vec::new(), br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#.to_vec())
        } else {
            (200, Vec::new(), br#"{"token":"tok","expires_in":300}"#.to_vec())
        };
    }
    if target.starts_with("/v2/example.com/forbidden/") {
        (403, Vec::new(), Vec::new())
    } else if target.starts_with("/v2/example.com/scope/") {
        unauthorized(format!(r#"{challenge},error="insufficient_scope""#))
    } else {
        unauthorized(challenge)
    }
}

#[test]
fn authentication_failures_and_refused_access_are_told_apart() {
    let work = WorkDir::new("cli-auth");
    let stub = Stub::start(token_server);
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    let list = |gun: &str| {
        fatal(run_env(
            &ours(),
            &work,
            "t",
            Some((stub.url(), None)),
            &["list", gun],
            &[("NOTARY_AUTH", &auth)],
        ))
        .0
    };

    // Authentication failed: the token server refuses the (anonymous) token request …
    let message = list("example.com/refused");
    assert_eq!(
        message,
        "unauthorized: authentication required (authentication failed: the token server refused the credentials)"
    );
    // … or the server refuses the request anonymously and with credentials.
    let message = list("example.com/unauth");
    assert!(
        message.starts_with(
            "you are not authorized to perform this operation: server returned 401. (authentication failed"
        ),
        "{message}"
    );
    // Not allowed: authenticated, but refused.
    let message = list("example.com/forbidden");
    assert!(
        message.starts_with("unable to reach trust server at this time: 403. (not allowed: "),
        "{message}"
    );
    let message = list("example.com/scope");
    assert!(
        message.starts_with("you are not authorized to perform this operation: server returned 401. (not allowed: "),
        "{message}"
    );
    assert!(message.contains("insufficient_scope"), "{message}");

    let requests = stub.requests();
    assert!(
        requests.contains(&"/token?scope=repository%3Aexample.com%2Frefused%3Apull&service=notary-test".to_owned()),
        "{requests:?}"
    );
    assert!(
        requests.contains(
            &"/token?account=alice&scope=repository%3Aexample.com%2Funauth%3Apull&service=notary-test".to_owned()
        ),
        "credentials were tried after the anonymous 401: {requests:?}"
    );
    drop(stub);
    work.done();
}

/// Writes a cached collection for `gun` into `trust` (as if listed earlier), every file valid
/// except `expired`, whose `expires` is 2025-01-01.
fn cached_collection(work: &WorkDir, trust: &str, gun: &str, expired: Option<&str>) {
    let repo = Repo::new(gun);
    let expires = |role: &str| {
        if expired == Some(role) {
            tuf::expires_at("2025-01-01T00:00:00Z")
        } else {
            Expires::after(OffsetDateTime::now_utc(), Duration::days(365))
        }
    };
    let root = repo.root_file();
    let mut targets = repo.targets.clone();
    targets.expires = expires("targets");
    let targets = tuf::sign(targets, &[&repo.targets_key]).raw().to_vec();
    let snapshot = Snapshot {
        type_name: "Snapshot".into(),
        expires: expires("snapshot"),
        meta: [("root", &root), ("targets", &targets)]
            .into_iter()
            .map(|(role, raw)| (role.to_owned(), FileMeta::of_bytes(raw)))
            .collect(),
        version: 1,
        extra: Default::default(),
    };
    let snapshot = tuf::sign(snapshot, &[&repo.snapshot_key]).raw().to_vec();
    let timestamp = Timestamp {
        type_name: "Timestamp".into(),
        expires: expires("timestamp"),
        meta: [("snapshot".to_owned(), FileMeta::of_bytes(&snapshot))]
            .into_iter()
            .collect(),
        version: 1,
        extra: Default::default(),
    };
    let timestamp = tuf::sign(timestamp, &[&repo.timestamp_key]).raw().to_vec();
    let dir = work.path(trust).join("tuf").join(gun).join("metadata");
    std::fs::create_dir_all(&dir).unwrap();
    for (role, raw) in [
        ("root", &root),
        ("targets", &targets),
        ("snapshot", &snapshot),
        ("timestamp", &timestamp),
    ] {
        std::fs::write(dir.join(format!("{role}.json")), raw).unwrap();
    }
}

#[test]
fn expired_cached_metadata_names_the_role_and_the_time() {
    let work = WorkDir::new("cli-expired");
    let gun = "example.com/cli/expired";
    let down = unreachable_url();

    // The fixture itself is good: offline, all unexpired, it lists (with the offline warning).
    cached_collection(&work, "valid", gun, None);
    let listed = run(&ours(), &work, "valid", Some((&down, None)), &["list", gun]);
    let stderr = String::from_utf8_lossy(&listed.stderr).into_owned();
    let stdout = ok(listed);
    assert!(stdout.contains("v1 "), "{stdout}");
    assert!(stderr.contains("using cached timestamp"), "{stderr}");

    for role in ["timestamp", "snapshot", "targets"] {
        cached_collection(&work, role, gun, Some(role));
        for args in [&["list", gun][..], &["lookup", gun, "v1"][..]] {
            let (message, _) = fatal(run(&ours(), &work, role, Some((&down, None)), args));
            assert_eq!(
                message,
                format!("{role} expired at Wed Jan 1 00:00:00 UTC 2025"),
                "{args:?}"
            );
        }
    }
    work.done();
}

#[test]
fn wrong_passphrase_names_the_key_and_its_role() {
    let work = WorkDir::new("cli-passphrase");
    let server = OurServer::start(&work, None);
    let gun = "example.com/cli/passphrase";
    ok(run(
        &ours(),
        &work,
        "t",
        Some((server.url(), None)),
        &["init", "-p", gun],
    ));
    let file = work.write("f.txt", b"data");
    ok(run(
        &ours(),
        &work,
        "t",
        None,
        &["add", gun, "f", file.to_str().unwrap()],
    ));
    let targets_key = std::fs::read_dir(work.path("t").join("private"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read_to_string(p).unwrap().contains("role: targets"))
        .unwrap();
    let key_id = targets_key.file_stem().unwrap().to_str().unwrap().to_owned();

    let (message, _) = fatal(run_env(
        &ours(),
        &work,
        "t",
        Some((server.url(), None)),
        &["publish", gun],
        &[("NOTARY_TARGETS_PASSPHRASE", "wrong")],
    ));
    assert_eq!(
        message,
        format!("password invalid, operation has failed. (wrong passphrase for the targets key {key_id})")
    );
    // Nothing was published and the change is still staged.
    let status = ok(run(&ours(), &work, "t", None, &["status", gun]));
    assert!(status.contains("create    targets    target    f"), "{status}");
    ok(run(&ours(), &work, "t", Some((server.url(), None)), &["publish", gun]));
    drop(server);
    work.done();
}

#[test]
fn tampered_cached_targets_is_refused_offline_and_repaired_online() {
    let work = WorkDir::new("cli-tamper-targets");
    let server = OurServer::start(&work, None);
    let gun = "example.com/cli/tamper";
    let file = work.write("f.txt", b"genuine");
    publish(&work, "pub", server.url(), gun, &[("f", &file)]);
    ok(run(
        &ours(),
        &work,
        "reader",
        Some((server.url(), None)),
        &["list", gun],
    ));
    let path = cached(&work, "reader", gun, "targets");
    let genuine = std::fs::read(&path).unwrap();
    let text = String::from_utf8(genuine.clone()).unwrap();
    let forged_length = text.replacen("\"length\":7", "\"length\":8", 1);
    assert_ne!(forged_length, text);
    std::fs::write(&path, forged_length).unwrap();

    let down = unreachable_url();
    for args in [&["list", gun][..], &["lookup", gun, "f"][..]] {
        let (message, _) = fatal(run(&ours(), &work, "reader", Some((&down, None)), args));
        assert!(
            message.starts_with(
                "client is offline and the cached targets.json is not valid: sha256 checksum for targets did not match: expected "
            ),
            "{message}"
        );
        assert!(message.contains(&format!(" (could not reach {down}: ")), "{message}");
    }

    let listed = ok(run(
        &ours(),
        &work,
        "reader",
        Some((server.url(), None)),
        &["list", gun],
    ));
    assert!(listed.contains("f "), "{listed}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        genuine,
        "the cache holds the server's bytes again"
    );
    ok(run(&ours(), &work, "reader", Some((&down, None)), &["list", gun]));
    drop(server);
    work.done();
}

#[test]
fn tampered_cached_root_is_refused_even_online() {
    let work = WorkDir::new("cli-tamper-root");
    let server = OurServer::start(&work, None);
    let gun = "example.com/cli/tamper-root";
    let file = work.write("f.txt", b"genuine");
    publish(&work, "pub", server.url(), gun, &[("f", &file)]);
    ok(run(
        &ours(),
        &work,
        "reader",
        Some((server.url(), None)),
        &["list", gun],
    ));
    let path = cached(&work, "reader", gun, "root");
    let mut root: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    root["signed"]["expires"] = "2099-01-01T00:00:00Z".into();
    let forged = serde_json::to_vec(&root).unwrap();
    std::fs::write(&path, &forged).unwrap();

    let (message, _) = fatal(run(
        &ours(),
        &work,
        "reader",
        Some((server.url(), None)),
        &["list", gun],
    ));
    assert_eq!(
        message,
        format!(
            "the cached root.json for {gun} is not valid, refusing to trust it: \
             valid signatures did not meet threshold for root"
        )
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        forged,
        "the anchor is not silently replaced"
    );
    drop(server);
    work.done();
}

#[test]
fn verify_echoes_writes_or_checks_the_content() {
    let work = WorkDir::new("cli-verify");
    let server = OurServer::start(&work, None);
    let url = server.url().to_owned();
    let gun = "example.com/cli/verify";
    // 3 MB of varied bytes (a simple LCG), so that streaming is exercised.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let content: Vec<u8> = (0..3_000_000)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect();
    let file = work.write("big.bin", &content);
    publish(&work, "pub", &url, gun, &[("big", &file)]);
    let input = file.to_str().unwrap();

    let echoed = run(
        &ours(),
        &work,
        "v",
        Some((&url, None)),
        &["verify", gun, "big", "-i", input],
    );
    assert!(echoed.status.success(), "{}", String::from_utf8_lossy(&echoed.stderr));
    assert!(echoed.stdout == content, "stdout is the content, byte for byte");

    let out = work.path("out.bin");
    let written = ok(run(
        &ours(),
        &work,
        "v",
        Some((&url, None)),
        &["verify", gun, "big", "-i", input, "-o", out.to_str().unwrap()],
    ));
    assert_eq!(written, "");
    assert!(std::fs::read(&out).unwrap() == content);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);

    let quiet = ok(run(
        &ours(),
        &work,
        "v",
        Some((&url, None)),
        &["verify", gun, "big", "-i", input, "-q"],
    ));
    assert_eq!(quiet, "");

    let mut changed = content.clone();
    changed[1_500_000] ^= 1;
    let other = work.write("changed.bin", &changed);
    let (message, _) = fatal(run(
        &ours(),
        &work,
        "v",
        Some((&url, None)),
        &[
            "verify",
            gun,
            "big",
            "-i",
            other.to_str().unwrap(),
            "-o",
            work.path("nothing.bin").to_str().unwrap(),
        ],
    ));
    let expected = hex::encode(FileMeta::of_bytes(&content).sha256().unwrap());
    assert_eq!(
        message,
        format!(
            "data not present in the trusted collection, sha256 checksum for big did not match: expected {expected}"
        )
    );
    assert!(
        !work.path("nothing.bin").exists(),
        "nothing is written when the content does not verify"
    );

    let (message, _) = fatal(run(
        &ours(),
        &work,
        "v",
        Some((&url, None)),
        &["verify", gun, "nope", "-i", input],
    ));
    assert_eq!(
        message,
        "error retrieving target by name:nope, error:No valid trust data for nope"
    );
    drop(server);
    work.done();
}

#[test]
fn staging_commands_work_without_any_server() {
    let work = WorkDir::new("cli-staging");
    let gun = "example.com/cli/staging";
    let file = work.write("f.txt", b"data");
    let out = ok(run(
        &ours(),
        &work,
        "t",
        None,
        &["add", gun, "a", file.to_str().unwrap()],
    ));
    assert_eq!(
        out,
        format!("Addition of target \"a\" to repository \"{gun}\" staged for next publish.\n")
    );
    ok(run(&ours(), &work, "t", None, &["remove", gun, "b"]));
    let status = ok(run(&ours(), &work, "t", None, &["status", gun]));
    assert_eq!(
        status,
        format!(
            "Unpublished changes for {gun}:\n\n\
             #    ACTION    SCOPE      TYPE      PATH\n\
             -    ------    -----      ----      ----\n\
             0    create    targets    target    a\n\
             1    delete    targets    target    b\n"
        )
    );
    ok(run(&ours(), &work, "t", None, &["reset", gun, "-n", "0"]));
    let status = ok(run(&ours(), &work, "t", None, &["status", gun]));
    assert!(status.contains("0    delete    targets    target    b"), "{status}");
    ok(run(&ours(), &work, "t", None, &["reset", gun, "--all"]));
    assert_eq!(
        ok(run(&ours(), &work, "t", None, &["status", gun])),
        format!("No unpublished changes for {gun}\n")
    );
    let out = fails(run(&ours(), &work, "t", None, &["reset", gun]));
    assert!(
        out.ends_with("* fatal: Must specify changes to reset with -n or the --all flag\n"),
        "{out}"
    );
    work.done();
}
