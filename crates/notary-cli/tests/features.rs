//! The CLI features of issue 4, against our server (in-process): `init --rootcert`, progress on
//! a terminal only, `key rotate --legacy`, `witness` of an invalid delegation, offline `delete`.
//! Go's behaviour for each was checked with the Go CLI against the Go server (notary 0.7.0).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::SystemTime;

use base64::Engine as _;
use notary_client::changelist::{Change, Changelist};
use notary_keys::{KeyAlgorithm, KeyFile, KeyHeaders};
use notary_testkit::WorkDir;
use notary_tuf::metadata::FileMeta;
use notary_tuf::sign::PrivateKey;
use notary_tuf::{Gun, KeyId, PublicKey};
use serde_json::Value;
use time::OffsetDateTime;

use crate::support::{OurServer, PASSPHRASES, fails, fatal, ok, ours, run, unreachable_url};

fn new_key() -> PrivateKey {
    notary_keys::generate(KeyAlgorithm::Ecdsa).unwrap().into_parts().0
}

/// Go's root certificate for `gun` and `key`, as a `CERTIFICATE` PEM file in the work dir.
fn root_cert(work: &WorkDir, name: &str, key: &PrivateKey, gun: &str) -> (PathBuf, PublicKey) {
    let gun: Gun = gun.parse().unwrap();
    let cert = notary_keys::root_certificate(key, &gun, OffsetDateTime::now_utc()).unwrap();
    (work.write(name, cert.public_bytes()), cert)
}

fn canonical_id(key: &PublicKey) -> String {
    key.canonical_id().unwrap().as_str().to_owned()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The root.json a fresh client downloads (and verifies) from the server.
fn published(work: &WorkDir, url: &str, gun: &str, role: &str) -> Value {
    let reader = format!("reader-{}", SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos());
    ok(run(&ours(), work, &reader, Some((url, None)), &["list", gun]));
    let file = work
        .path(&reader)
        .join("tuf")
        .join(gun)
        .join("metadata")
        .join(format!("{role}.json"));
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

fn signature_ids(file: &Value) -> BTreeSet<String> {
    file["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["keyid"].as_str().unwrap().to_owned())
        .collect()
}

fn root_role_ids(root: &Value) -> Vec<String> {
    root["signed"]["roles"]["root"]["keyids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

/// [`run`] with `input` on stdin (for the `key rotate <gun> root` question).
fn run_with_input(work: &WorkDir, trust: &str, url: &str, args: &[&str], input: &str) -> Output {
    let config = work.write("client-config.json", b"{}");
    let mut child = Command::new(ours())
        .arg("-c")
        .arg(&config)
        .arg("-d")
        .arg(work.path(trust))
        .arg("-s")
        .arg(url)
        .args(args)
        .envs(PASSPHRASES)
        .env("HOME", work.path("home"))
        .current_dir(work.path(""))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs our CLI inside a pseudo-terminal (util-linux `script`): what a person at a terminal sees,
/// stdout and stderr together.
fn run_on_terminal(work: &WorkDir, trust: &str, url: Option<&str>, args: &[&str]) -> String {
    let config = work.write("client-config.json", b"{}");
    let mut line = format!(
        "'{}' -c '{}' -d '{}'",
        path_str(&ours()),
        path_str(&config),
        path_str(&work.path(trust))
    );
    if let Some(url) = url {
        line.push_str(&format!(" -s '{url}'"));
    }
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let output = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .envs(PASSPHRASES)
        .env("HOME", work.path("home"))
        .current_dir(work.path(""))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}");
    text
}

// ---------------------------------------------------------------------------------------------
// init --rootcert

#[test]
fn init_rootcert_uses_the_given_certificate_with_the_given_or_a_stored_key() {
    let work = WorkDir::new("cli-rootcert");
    let server = OurServer::start(&work, None);
    let url = server.url().to_owned();
    let gun = "example.com/features/rootcert";

    // --rootkey and --rootcert.
    let key = new_key();
    let (cert_file, cert) = root_cert(&work, "root.crt", &key, gun);
    let headers = KeyHeaders::for_role("root", None).unwrap();
    let key_pem = KeyFile::encrypt(&key, "test-root-pass", headers).unwrap().to_pem();
    let key_file = work.write("root-key.pem", key_pem.as_bytes());
    let out = ok(run(
        &ours(),
        &work,
        "owner",
        Some((&url, None)),
        &[
            "init",
            "-p",
            gun,
            "--rootkey",
            path_str(&key_file),
            "--rootcert",
            path_str(&cert_file),
        ],
    ));
    let key_id = canonical_id(&key.public_key());
    assert!(out.contains(&format!("Root key found, using: {key_id}\n")), "{out}");
    let root = published(&work, &url, gun, "root");
    let cert_id = cert.key_id().as_str().to_owned();
    assert_eq!(root_role_ids(&root), std::slice::from_ref(&cert_id));
    let public = root["signed"]["keys"][&cert_id]["keyval"]["public"].as_str().unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD.decode(public).unwrap(),
        cert.public_bytes()
    );
    assert_eq!(signature_ids(&root), BTreeSet::from([cert_id]));

    // --rootcert alone: the store's root key that matches, not the first one. Only the file's
    // first certificate counts (Go's `init` drops the rest of a chain).
    ok(run(&ours(), &work, "owner", None, &["key", "generate"]));
    let gun2 = "example.com/features/rootcert2";
    let (cert2_file, cert2) = root_cert(&work, "root2.crt", &key, gun2);
    let (_, unrelated) = root_cert(&work, "unrelated.crt", &new_key(), gun2);
    let bundle = [cert2.public_bytes(), unrelated.public_bytes()].concat();
    std::fs::write(&cert2_file, bundle).unwrap();
    let out = ok(run(
        &ours(),
        &work,
        "owner",
        Some((&url, None)),
        &["init", "-p", gun2, "--rootcert", path_str(&cert2_file)],
    ));
    assert!(out.contains(&format!("Root key found, using: {key_id}\n")), "{out}");
    let root = published(&work, &url, gun2, "root");
    assert_eq!(root_role_ids(&root), [cert2.key_id().as_str().to_owned()]);
    drop(server);
    work.done();
}

#[test]
fn init_rootcert_errors_are_gos() {
    let work = WorkDir::new("cli-rootcert-errors");
    let server = OurServer::start(&work, None);
    let url = server.url().to_owned();
    let gun = "example.com/features/rootcert-errors";
    let key = new_key();
    let (cert_file, _) = root_cert(&work, "root.crt", &key, gun);
    let other = new_key();
    let headers = KeyHeaders::for_role("root", None).unwrap();
    let other_pem = KeyFile::encrypt(&other, "test-root-pass", headers).unwrap().to_pem();
    let other_file = work.write("other-key.pem", other_pem.as_bytes());
    let garbage = work.write("garbage.crt", b"hello\n");
    let not_cert = work.write(
        "not-a-cert.crt",
        notary_tuf::cert::pem_encode("CERTIFICATE", &[], key.public_key().public_bytes()).as_bytes(),
    );
    let init = |trust: &str, extra: &[&str]| {
        let mut args = vec!["init", gun];
        args.extend_from_slice(extra);
        fatal(run(&ours(), &work, trust, Some((&url, None)), &args)).0
    };

    assert_eq!(
        init("t", &["--rootcert", "missing.crt"]),
        "error reading certificate file: open missing.crt: no such file or directory"
    );
    assert_eq!(
        init("t", &["--rootcert", path_str(&garbage)]),
        "the provided file does not contain a valid PEM certificate <nil>"
    );
    let message = init("t", &["--rootcert", path_str(&not_cert)]);
    assert!(
        message.starts_with("Parsing certificate PEM bytes to x509 certificate: "),
        "{message}"
    );
    // No root key in the store: none is generated for a given certificate.
    assert_eq!(
        init("t", &["--rootcert", path_str(&cert_file)]),
        "error initializing repository with certificate: cannot find matching private key id"
    );
    assert_eq!(
        init(
            "t",
            &["--rootkey", path_str(&other_file), "--rootcert", path_str(&cert_file)]
        ),
        "could not obtain public key from IDs: private key is nil or does not match public key"
    );
    let keys = ok(run(&ours(), &work, "t", None, &["key", "list"]));
    assert!(keys.contains("No signing keys found"), "{keys}");
    assert!(!work.path("t").join("tuf").join(gun).join("metadata/root.json").exists());
    drop(server);
    work.done();
}

// ---------------------------------------------------------------------------------------------
// Progress

#[test]
fn add_of_a_large_file_shows_progress_only_on_a_terminal() {
    let work = WorkDir::new("cli-progress-add");
    let gun = "example.com/features/progress";
    let big: Vec<u8> = (0..(20u32 << 20)).map(|i| (i % 251) as u8).collect();
    let file = work.write("big.bin", &big);

    let out = run(&ours(), &work, "t", None, &["add", gun, "big", path_str(&file)]);
    assert_eq!(
        ok(out.clone()),
        format!("Addition of target \"big\" to repository \"{gun}\" staged for next publish.\n")
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));

    let screen = run_on_terminal(&work, "t", None, &["add", gun, "big2", path_str(&file)]);
    assert!(screen.contains("hashing"), "{screen:?}");
    assert!(screen.contains("20.00 MiB"), "{screen:?}");
    assert!(
        screen.contains(&format!("Addition of target \"big2\" to repository \"{gun}\" staged")),
        "{screen:?}"
    );
    // The staged hashes are the file's.
    let staged = Changelist::open(work.path("t").join("tuf").join(gun).join("changelist"))
        .unwrap()
        .list()
        .unwrap();
    assert_eq!(staged.len(), 2);
    for s in &staged {
        assert_eq!(s.change.data_json().unwrap(), staged[0].change.data_json().unwrap());
    }
    let small = run_on_terminal(
        &work,
        "t",
        None,
        &["add", gun, "small", path_str(&work.write("s", b"s"))],
    );
    assert!(!small.contains("hashing"), "{small:?}");
    work.done();
}

#[test]
fn publish_of_many_changes_shows_a_spinner_only_on_a_terminal() {
    let work = WorkDir::new("cli-progress-publish");
    let server = OurServer::start(&work, None);
    let url = server.url().to_owned();
    let gun = "example.com/features/progress-publish";
    ok(run(&ours(), &work, "t", Some((&url, None)), &["init", "-p", gun]));
    let stage = |prefix: &str| {
        let changelist = Changelist::open(work.path("t").join("tuf").join(gun).join("changelist")).unwrap();
        for i in 0..1001 {
            let name = format!("{prefix}/{i}");
            let change = Change::target_create("targets", &name, FileMeta::of_bytes(name.as_bytes()));
            changelist.add(&change, SystemTime::now()).unwrap();
        }
    };

    stage("plain");
    let out = run(&ours(), &work, "t", Some((&url, None)), &["publish", gun]);
    assert_eq!(
        ok(out.clone()),
        format!("Pushing changes to {gun}\nSuccessfully published changes for repository {gun}\n")
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));

    stage("terminal");
    let screen = run_on_terminal(&work, "t", Some(&url), &["publish", gun]);
    assert!(
        screen.contains(&format!("publishing 1001 changes to {gun}")),
        "{screen:?}"
    );
    assert!(screen.contains("Successfully published changes"), "{screen:?}");
    let targets = published(&work, &url, gun, "targets");
    assert_eq!(targets["signed"]["targets"].as_object().unwrap().len(), 2002);
    drop(server);
    work.done();
}

// ---------------------------------------------------------------------------------------------
// key rotate --legacy

#[test]
fn key_rotate_legacy_also_signs_with_the_root_keys_of_older_versions() {
    let work = WorkDir::new("cli-legacy");
    let server = OurServer::start(&work, None);
    let url = server.url().to_owned();
    let gun = "example.com/features/legacy";
    ok(run(&ours(), &work, "owner", Some((&url, None)), &["init", "-p", gun]));
    let rotate_root = |extra: &[&str]| {
        let mut args = vec!["key", "rotate", gun, "root"];
        args.extend_from_slice(extra);
        let out = ok(run_with_input(&work, "owner", &url, &args, "yes\n"));
        assert!(out.contains("Successfully rotated root key"), "{out}");
        published(&work, &url, gun, "root")
    };
    // Root key of version v at index v - 1.
    let mut keys = vec![root_role_ids(&published(&work, &url, gun, "root"))[0].clone()];
    for _ in 0..3 {
        let root = rotate_root(&[]);
        keys.push(root_role_ids(&root)[0].clone());
        // A plain rotation: the new and the previous root key.
        let expected: BTreeSet<String> = keys[keys.len() - 2..].iter().cloned().collect();
        assert_eq!(signature_ids(&root), expected);
    }

    // Version 5, from version 4 with -l 2: also the keys of versions 3 and 2.
    let root = rotate_root(&["-l", "2"]);
    assert_eq!(root["signed"]["version"], 5);
    keys.push(root_role_ids(&root)[0].clone());
    let expected: BTreeSet<String> = [&keys[4], &keys[3], &keys[2], &keys[1]].into_iter().cloned().collect();
    assert_eq!(signature_ids(&root), expected);

    // A snapshot rotation re-signs root too: -l 1 adds version 4's key to the current one.
    let out = ok(run(
        &ours(),
        &work,
        "owner",
        Some((&url, None)),
        &["key", "rotate", gun, "snapshot", "--legacy", "1"],
    ));
    assert!(out.contains("Successfully rotated snapshot key"), "{out}");
    let root = published(&work, &url, gun, "root");
    assert_eq!(root["signed"]["version"], 6);
    let expected: BTreeSet<String> = [&keys[4], &keys[3]].into_iter().cloned().collect();
    assert_eq!(signature_ids(&root), expected);

    // -1 (Go's "all versions"): every root key ever used.
    let root = rotate_root(&["-l", "-1"]);
    keys.push(root_role_ids(&root)[0].clone());
    assert_eq!(signature_ids(&root), keys.iter().cloned().collect::<BTreeSet<_>>());
    drop(server);
    work.done();
}

// ---------------------------------------------------------------------------------------------
// witness

#[test]
fn witness_revives_a_delegation_that_no_longer_meets_its_threshold() {
    let work = WorkDir::new("cli-witness");
    let server = OurServer::start(&work, None);
    let url = server.url().to_owned();
    let server_at = Some((url.as_str(), None));
    let gun = "example.com/features/witness";
    let role = "targets/releases";
    let (a, b) = (new_key(), new_key());
    let import = |trust: &str, key: &PrivateKey, name: &str| {
        let pem = KeyFile::unencrypted(key, KeyHeaders::new()).unwrap().to_pem();
        let file = work.write(name, pem.as_bytes());
        ok(run(
            &ours(),
            &work,
            trust,
            None,
            &["key", "import", path_str(&file), "-r", role],
        ));
    };
    let public_pem = |key: &PrivateKey, name: &str| {
        let pem = notary_tuf::cert::pem_encode("PUBLIC KEY", &[], key.public_key().public_bytes());
        work.write(name, pem.as_bytes())
    };
    let (a_pub, b_pub) = (public_pem(&a, "a.pub"), public_pem(&b, "b.pub"));
    let file = work.write("release.txt", b"release\n");

    // The owner holds key A, publishes a target in the delegation, then replaces A by B: the
    // delegation's file, signed by A only, misses its threshold.
    ok(run(&ours(), &work, "owner", server_at, &["init", "-p", gun]));
    ok(run(
        &ours(),
        &work,
        "owner",
        server_at,
        &["key", "rotate", gun, "snapshot", "-r"],
    ));
    import("owner", &a, "a.pem");
    ok(run(
        &ours(),
        &work,
        "owner",
        server_at,
        &["delegation", "add", "-p", gun, role, path_str(&a_pub), "--all-paths"],
    ));
    ok(run(
        &ours(),
        &work,
        "owner",
        server_at,
        &["add", "-p", gun, "rel", path_str(&file), "-r", role],
    ));
    ok(run(
        &ours(),
        &work,
        "owner",
        server_at,
        &["delegation", "add", "-p", gun, role, path_str(&b_pub)],
    ));
    let a_id = canonical_id(&a.public_key());
    ok(run(
        &ours(),
        &work,
        "owner",
        server_at,
        &["delegation", "remove", "-p", gun, role, &a_id],
    ));
    let out = run(&ours(), &work, "reader", server_at, &["list", gun]);
    assert!(ok(out.clone()).contains("No targets present"));
    assert!(String::from_utf8_lossy(&out.stderr).contains(role));

    // A holder of A only cannot sign it (Go's message).
    let b_id = canonical_id(&b.public_key());
    let out = fails(run(&ours(), &work, "owner", server_at, &["witness", "-p", gun, role]));
    assert!(
        out.contains(&format!(
            "* fatal: signing keys not available: need 1 keys from 1 possible keys ({b_id})"
        )),
        "{out}"
    );

    // A holder of B witnesses it: re-signed by B as the next version, valid again.
    import("holder", &b, "b.pem");
    let out = ok(run(&ours(), &work, "holder", server_at, &["witness", "-p", gun, role]));
    assert_eq!(
        out,
        format!(
            "The following roles were successfully marked for witnessing on the next publish:\n\t- {role}\n\
             Auto-publishing changes to {gun}\nSuccessfully published changes for repository {gun}\n"
        )
    );
    let releases = published(&work, &url, gun, role);
    assert_eq!(releases["signed"]["version"], 2);
    assert!(releases["signed"]["targets"]["rel"].is_object());
    let b_key_id: KeyId = b.public_key().key_id();
    assert_eq!(signature_ids(&releases), BTreeSet::from([b_key_id.as_str().to_owned()]));
    let out = ok(run(&ours(), &work, "reader2", server_at, &["lookup", gun, "rel"]));
    assert!(out.starts_with("rel sha256:"), "{out}");
    drop(server);
    work.done();
}

// ---------------------------------------------------------------------------------------------
// delete

#[test]
fn delete_without_remote_works_offline_and_keeps_the_keys() {
    let work = WorkDir::new("cli-delete-offline");
    let server = OurServer::start(&work, None);
    let url = server.url().to_owned();
    let gun = "example.com/features/delete";
    let file = work.write("hello.txt", b"hello\n");
    ok(run(&ours(), &work, "t", Some((&url, None)), &["init", "-p", gun]));
    ok(run(
        &ours(),
        &work,
        "t",
        Some((&url, None)),
        &["add", gun, "hello", path_str(&file)],
    ));
    let keys_before = ok(run(&ours(), &work, "t", None, &["key", "list"]));
    drop(server);

    let offline = unreachable_url();
    let out = run(&ours(), &work, "t", Some((&offline, None)), &["delete", gun]);
    assert_eq!(
        ok(out.clone()),
        format!(
            "Deleting trust data for repository {gun}\nSuccessfully deleted local trust data for repository {gun}\n"
        )
    );
    // The server is not even contacted.
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!work.path("t").join("tuf").join(gun).exists());
    assert_eq!(ok(run(&ours(), &work, "t", None, &["key", "list"])), keys_before);

    // Deleting the server's copy needs the server.
    let (message, _) = fatal(run(
        &ours(),
        &work,
        "t",
        Some((&offline, None)),
        &["delete", gun, "--remote"],
    ));
    assert!(message.starts_with("client is offline"), "{message}");
    work.done();
}
