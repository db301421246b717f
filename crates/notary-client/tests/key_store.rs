//! The key store and passphrase retrieval (keys.md §5, §6.1, §7) against Go-made key files
//! (`crates/notary-keys/tests/data/keys/`, copies of `shared/spec/vectors/keys/`), Go-observed
//! prompt transcripts and legacy layouts, and (feature `interop`) the real Go `notary` CLI.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use notary_client::key_store::{KeyInfo, KeyStore, KeyStoreError, SkipReason};
use notary_client::passphrase::{
    NonInteractive, PassphraseError, PassphraseRequest, PassphraseSource, Prompter, Retriever, StaticPassphrase,
};
use notary_keys::KeyFile;
use notary_testkit::WorkDir;
use notary_tuf::Gun;
use notary_tuf::sign::PrivateKey;

const ROOT_ID: &str = "5a7c22e8a9df272012089aefe375b3b847a67e72ad3be4a3aaed9d6842540ccb";
const TARGETS_ID: &str = "f8435c15027e8f5e56326b3cd4d1f0ece2475290766ac26c7e9dc4162df3d396";
const SNAPSHOT_ID: &str = "a9db09cfb0c5f887a85179faf84aa67216f9c0ca9bf4c09e3e58bfdb9b98470d";
const RSA_ID: &str = "f277ee2e83a7590e3423f4ede917e98bef4042660b9a94f6c44c1621932feadc";
const ED25519_ID: &str = "b9fe8d4b54e73abb584e2015aaa447047e53282f491dcc70c40d2474d3096a21";
const VECTOR_GUN: &str = "example.com/vectors/full";

/// The repo-full and delegation vectors: (file, key ID, role, gun, passphrase).
const STORED_VECTORS: [(&str, &str, &str, Option<&str>, &str); 5] = [
    ("repo-full-root", ROOT_ID, "root", None, "rootpassphrase1"),
    (
        "repo-full-targets",
        TARGETS_ID,
        "targets",
        Some(VECTOR_GUN),
        "targetspass1",
    ),
    (
        "repo-full-snapshot",
        SNAPSHOT_ID,
        "snapshot",
        Some(VECTOR_GUN),
        "snapshotpass1",
    ),
    ("rsa-delegation", RSA_ID, "targets/rsa", None, "delegpass1"),
    ("ed25519-imported", ED25519_ID, "targets/ed", None, "delegpass1"),
];

fn vector(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../notary-keys/tests/data/keys");
    fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A scratch trust directory, removed when the test passes.
struct Trust {
    work: Option<WorkDir>,
}

impl Trust {
    fn new(name: &str) -> Trust {
        Trust {
            work: Some(WorkDir::new(&format!("key-store-{name}"))),
        }
    }

    fn work(&self) -> &WorkDir {
        self.work.as_ref().unwrap()
    }

    fn dir(&self) -> PathBuf {
        self.work().path("trust")
    }

    fn private(&self) -> PathBuf {
        self.dir().join("private")
    }

    fn store(&self) -> KeyStore {
        KeyStore::open(&self.dir()).unwrap()
    }

    /// Writes `private/<relative>` (creating directories).
    fn put(&self, relative: &str, contents: &[u8]) -> PathBuf {
        let path = self.private().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
        path
    }

    /// A store holding the five stored Go vectors under their key IDs.
    fn with_vectors(name: &str) -> Trust {
        let trust = Trust::new(name);
        for (file, id, ..) in STORED_VECTORS {
            trust.put(&format!("{id}.key"), &vector(&format!("{file}.{id}.key")));
        }
        trust
    }

    fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.private().join(relative)).unwrap()
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.private())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Trust {
    fn drop(&mut self) {
        if let Some(work) = self.work.take()
            && !std::thread::panicking()
        {
            work.done();
        }
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn headers(pem: &str) -> Vec<String> {
    let file = KeyFile::parse(pem.as_bytes()).unwrap();
    file.headers().iter().map(|(k, v)| format!("{k}: {v}")).collect()
}

/// A scripted terminal: answers lines in order and records everything shown, with the newline a
/// real terminal shows after hidden input.
#[derive(Clone)]
struct Script {
    terminal: bool,
    answers: Rc<RefCell<VecDeque<String>>>,
    shown: Rc<RefCell<String>>,
}

impl Script {
    fn new(answers: &[&str]) -> Script {
        Script {
            terminal: true,
            answers: Rc::new(RefCell::new(answers.iter().map(|s| format!("{s}\n")).collect())),
            shown: Rc::default(),
        }
    }

    fn retriever(&self, env: &[(&str, &str)]) -> Retriever {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Retriever::new(move |name| env.get(name).cloned(), Box::new(self.clone()))
    }

    fn shown(&self) -> String {
        self.shown.borrow().clone()
    }

    fn unanswered(&self) -> usize {
        self.answers.borrow().len()
    }
}

impl Prompter for Script {
    fn is_terminal(&self) -> bool {
        self.terminal
    }

    fn read_secret(&mut self, prompt: &str) -> io::Result<String> {
        self.shown.borrow_mut().push_str(prompt);
        self.shown.borrow_mut().push('\n');
        self.answers
            .borrow_mut()
            .pop_front()
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "script ended"))
    }

    fn say(&mut self, text: &str) {
        self.shown.borrow_mut().push_str(text);
    }
}

/// Records every request passed on to an inner source.
struct Recording<S> {
    inner: S,
    requests: Vec<(String, String, bool, u32)>,
}

impl<S> Recording<S> {
    fn new(inner: S) -> Recording<S> {
        Recording {
            inner,
            requests: Vec::new(),
        }
    }
}

impl<S: PassphraseSource> PassphraseSource for Recording<S> {
    fn passphrase(&mut self, request: &PassphraseRequest<'_>) -> Result<String, PassphraseError> {
        self.requests.push((
            request.key_id.to_owned(),
            request.alias.to_owned(),
            request.is_new,
            request.attempt,
        ));
        self.inner.passphrase(request)
    }
}

fn static_pass(passphrase: &str) -> StaticPassphrase {
    StaticPassphrase::new(passphrase)
}

// ---------------------------------------------------------------------------------------------
// Go's key files

#[test]
fn go_key_files_are_listed_from_headers() {
    let trust = Trust::with_vectors("list");
    trust.put("notes.txt", b"not a key");
    trust.put("broken.key", b"not pem");
    let listed = trust.store().list().unwrap();
    let summary: Vec<(&str, &str, Option<&str>)> = listed
        .iter()
        .map(|k| (k.id.as_str(), k.role.as_str(), k.gun.as_deref()))
        .collect();
    let mut expected: Vec<(&str, &str, Option<&str>)> = STORED_VECTORS
        .iter()
        .map(|&(_, id, role, gun, _)| (id, role, gun))
        .collect();
    expected.sort();
    assert_eq!(summary, expected);
    assert_eq!(listed[0].path, trust.private().join(format!("{}.key", listed[0].id)));
}

#[test]
fn go_key_files_decrypt_to_their_ids() {
    let trust = Trust::with_vectors("get");
    let store = trust.store();
    for (_, id, role, _, passphrase) in STORED_VECTORS {
        let (key, got_role) = store.get(id, &mut static_pass(passphrase)).unwrap();
        assert_eq!(key.public_key().canonical_id().unwrap().as_str(), id);
        assert_eq!(got_role, role);
    }
}

#[test]
fn list_walks_sub_directories_and_skips_symlinks() {
    let trust = Trust::with_vectors("walk");
    let targets = trust.private().join(format!("{TARGETS_ID}.key"));
    trust.put(
        &format!("sub/dir/{RSA_ID}.key"),
        &fs::read(trust.private().join(format!("{RSA_ID}.key"))).unwrap(),
    );
    fs::remove_file(trust.private().join(format!("{RSA_ID}.key"))).unwrap();
    std::os::unix::fs::symlink(&targets, trust.private().join("link.key")).unwrap();
    let store = trust.store();
    let listed = store.list().unwrap();
    assert!(listed.iter().all(|k| k.id != "link"));
    let rsa = listed.iter().find(|k| k.id == RSA_ID).unwrap();
    assert_eq!(rsa.path, trust.private().join(format!("sub/dir/{RSA_ID}.key")));
    assert_eq!(
        store.get(RSA_ID, &mut static_pass("delegpass1")).unwrap().1,
        "targets/rsa"
    );
    assert!(store.contains(RSA_ID).unwrap());
    assert!(!store.contains("link").unwrap());
}

#[test]
fn unknown_and_corrupt_keys_are_told_apart() {
    let trust = Trust::with_vectors("errors");
    trust.put(
        "deadbeef.key",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: root\n\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let store = trust.store();
    let missing = store.get("0000", &mut static_pass("x")).unwrap_err();
    assert!(
        matches!(&missing, KeyStoreError::KeyNotFound { id } if id == "0000"),
        "{missing:?}"
    );
    assert_eq!(missing.to_string(), "signing key not found: 0000");
    let corrupt = store.get("deadbeef", &mut static_pass("x")).unwrap_err();
    assert!(matches!(corrupt, KeyStoreError::CorruptKeyFile { .. }), "{corrupt:?}");
}

#[test]
fn wrong_static_passphrase_names_key_and_role() {
    let trust = Trust::with_vectors("wrong-static");
    let mut source = Recording::new(static_pass("nottheone"));
    let error = trust.store().get(ROOT_ID, &mut source).unwrap_err();
    let KeyStoreError::WrongPassphrase { id, role, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!((id.as_str(), role.as_str()), (ROOT_ID, "root"));
    let text = error.to_string();
    assert!(text.starts_with("password invalid, operation has failed."), "{text}");
    assert!(text.contains(ROOT_ID) && text.contains("root"), "{text}");
    assert!(!text.contains("nottheone"));
    assert_eq!(source.requests.len(), 2, "one try, then the source refuses");
}

/// keys.md §5.4: Go ignores the PBKDF2 PRF, so an OpenSSL hmacWithSHA256 file fails even with the
/// right passphrase; the hmacWithSHA1 one opens.
#[test]
fn openssl_prf_vectors() {
    let trust = Trust::new("openssl");
    let key = KeyFile::parse(&vector("openssl-pbes2-hmacsha1-accepted.key"))
        .unwrap()
        .decrypt("rootpassphrase1")
        .unwrap();
    let id = key.public_key().canonical_id().unwrap();
    trust.put(&format!("{id}.key"), &vector("openssl-pbes2-hmacsha1-accepted.key"));
    trust.put("sha256.key", &vector("openssl-pbes2-hmacsha256-REJECTED.key"));
    let store = trust.store();
    let (_, role) = store.get(id.as_str(), &mut static_pass("rootpassphrase1")).unwrap();
    assert_eq!(role, "", "no role header");
    let error = store.get("sha256", &mut static_pass("rootpassphrase1")).unwrap_err();
    assert!(matches!(error, KeyStoreError::WrongPassphrase { .. }), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// Adding, removing, changing passphrases

#[test]
fn added_keys_are_files_as_go_writes_them() {
    let trust = Trust::new("add");
    let store = trust.store();
    assert_eq!(mode(&trust.private()), 0o700);
    let gun: Gun = "example.com/app".parse().unwrap();
    for (role, with_gun, expected_headers) in [
        ("root", true, vec!["role: root"]),
        ("targets", true, vec!["gun: example.com/app", "role: targets"]),
        ("snapshot", true, vec!["gun: example.com/app", "role: snapshot"]),
        ("targets", false, vec!["role: targets"]),
        ("targets/releases", true, vec!["role: targets/releases"]),
    ] {
        let key = PrivateKey::generate_ecdsa().unwrap();
        let mut source = Recording::new(static_pass("passphrase1"));
        let id = store.add(&key, role, with_gun.then_some(&gun), &mut source).unwrap();
        assert_eq!(id, key.public_key().canonical_id().unwrap().as_str());
        assert_eq!(source.requests, [(id.clone(), role.to_owned(), true, 0)]);
        let path = trust.private().join(format!("{id}.key"));
        assert_eq!(mode(&path), 0o600, "{role}");
        let pem = trust.read(&format!("{id}.key"));
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"), "{pem}");
        assert_eq!(headers(&pem), expected_headers, "{role}");
        let (read, read_role) = store.get(&id, &mut static_pass("passphrase1")).unwrap();
        assert_eq!(read.public_key(), key.public_key());
        assert_eq!(read_role, role);
    }
    assert!(
        trust.files().iter().all(|f| f.ends_with(".key")),
        "no temporary files left: {:?}",
        trust.files()
    );
}

#[test]
fn new_passphrases_are_retried_eleven_times() {
    let trust = Trust::new("add-retries");
    let store = trust.store();
    // A terminal user who never types a long enough passphrase.
    let script = Script::new(&["short"; 20]);
    let mut source = Recording::new(script.retriever(&[]));
    let key = PrivateKey::generate_ecdsa().unwrap();
    let error = store.add(&key, "targets", None, &mut source).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("maximum number of passphrase attempts exceeded"),
        "{error}"
    );
    assert!(matches!(
        error,
        KeyStoreError::PassphraseAttemptsExceeded {
            last: PassphraseError::TooShort,
            ..
        }
    ));
    assert_eq!(source.requests.len(), 11);
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn removed_keys_are_gone() {
    let trust = Trust::with_vectors("remove");
    let store = trust.store();
    let removed = store.remove(TARGETS_ID).unwrap();
    assert_eq!((removed.id.as_str(), removed.role.as_str()), (TARGETS_ID, "targets"));
    assert!(!store.contains(TARGETS_ID).unwrap());
    assert!(!trust.private().join(format!("{TARGETS_ID}.key")).exists());
    assert!(matches!(
        store.remove(TARGETS_ID),
        Err(KeyStoreError::KeyNotFound { .. })
    ));
}

#[test]
fn change_passphrase_re_encrypts_with_the_new_one() {
    let trust = Trust::with_vectors("passwd");
    let store = trust.store();
    let before = trust.read(&format!("{TARGETS_ID}.key"));
    let mut new = Recording::new(static_pass("brand-new-pass"));
    store
        .change_passphrase(TARGETS_ID, &mut static_pass("targetspass1"), &mut new)
        .unwrap();
    assert_eq!(new.requests, [(TARGETS_ID.to_owned(), "targets".to_owned(), true, 0)]);
    let after = trust.read(&format!("{TARGETS_ID}.key"));
    assert_ne!(before, after);
    assert_eq!(headers(&after), headers(&before));
    assert_eq!(mode(&trust.private().join(format!("{TARGETS_ID}.key"))), 0o600);
    assert!(store.get(TARGETS_ID, &mut static_pass("targetspass1")).is_err());
    let (key, _) = store.get(TARGETS_ID, &mut static_pass("brand-new-pass")).unwrap();
    assert_eq!(key.public_key().canonical_id().unwrap().as_str(), TARGETS_ID);

    // The same passphrase again (what env variables do): still a fresh salt and IV.
    store
        .change_passphrase(
            TARGETS_ID,
            &mut static_pass("brand-new-pass"),
            &mut static_pass("brand-new-pass"),
        )
        .unwrap();
    assert_ne!(trust.read(&format!("{TARGETS_ID}.key")), after);
}

// ---------------------------------------------------------------------------------------------
// Legacy layouts (keys.md §5.1; expectations observed with Go 0.7.0's `key list`)

/// A key file without its PEM headers.
fn without_headers(pem: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(pem.to_vec()).unwrap();
    let mut lines = text.lines();
    let mut out = vec![lines.next().unwrap().to_owned()];
    out.extend(lines.skip_while(|l| l.contains(':') || l.is_empty()).map(str::to_owned));
    (out.join("\n") + "\n").into_bytes()
}

#[test]
fn legacy_layouts_are_migrated_on_open() {
    let trust = Trust::new("legacy");
    let root = vector(&format!("repo-full-root.{ROOT_ID}.key"));
    let targets = vector(&format!("repo-full-targets.{TARGETS_ID}.key"));
    let snapshot = vector(&format!("repo-full-snapshot.{SNAPSHOT_ID}.key"));
    trust.put(&format!("root_keys/{ROOT_ID}_root.key"), &without_headers(&root));
    trust.put(
        &format!("tuf_keys/example.com/app/{TARGETS_ID}_targets.key"),
        &without_headers(&targets),
    );
    // Go takes the second `_` field as the role and keeps the name when it is not a suffix.
    trust.put(
        &format!("tuf_keys/example.com/app/{RSA_ID}_my_role.key"),
        &vector(&format!("rsa-delegation.{RSA_ID}.key")),
    );
    trust.put(
        &format!("tuf_keys/{SNAPSHOT_ID}_snapshot.key"),
        &without_headers(&snapshot),
    );
    // No suffix: existing headers stay, the directory still sets the GUN.
    trust.put(
        &format!("tuf_keys/g/h/{ED25519_ID}.key"),
        &vector(&format!("ed25519-imported.{ED25519_ID}.key")),
    );
    trust.put("tuf_keys/g/bad_targets.key", b"not pem");
    trust.put("trusted_certificates/x/a.crt", b"junk");
    fs::create_dir_all(trust.dir().join("trusted_certificates")).unwrap();

    let store = trust.store();
    assert_eq!(
        trust.files(),
        [
            format!("{ROOT_ID}.key"),
            format!("{SNAPSHOT_ID}.key"),
            format!("{ED25519_ID}.key"),
            format!("{RSA_ID}_my_role.key"),
            format!("{TARGETS_ID}.key"),
        ]
    );
    assert!(
        trust.dir().join("trusted_certificates").is_dir(),
        "outside private/: left alone"
    );
    assert_eq!(headers(&trust.read(&format!("{ROOT_ID}.key"))), ["role: root"]);
    assert_eq!(headers(&trust.read(&format!("{SNAPSHOT_ID}.key"))), ["role: snapshot"]);
    assert_eq!(
        headers(&trust.read(&format!("{TARGETS_ID}.key"))),
        ["gun: example.com/app", "role: targets"]
    );
    assert_eq!(
        headers(&trust.read(&format!("{RSA_ID}_my_role.key"))),
        ["gun: example.com/app", "role: my"]
    );
    assert_eq!(
        headers(&trust.read(&format!("{ED25519_ID}.key"))),
        ["gun: g/h", "role: targets/ed"]
    );
    // The encrypted content is untouched: the Go vector still decrypts.
    let (key, role) = store.get(TARGETS_ID, &mut static_pass("targetspass1")).unwrap();
    assert_eq!(
        (key.public_key().canonical_id().unwrap().as_str(), role.as_str()),
        (TARGETS_ID, "targets")
    );
    assert_eq!(mode(&trust.private().join(format!("{ROOT_ID}.key"))), 0o600);
}

#[test]
fn a_root_key_without_suffix_loses_nothing_but_gets_no_role() {
    let trust = Trust::new("legacy-no-suffix");
    let root = without_headers(&vector(&format!("repo-full-root.{ROOT_ID}.key")));
    trust.put(&format!("root_keys/{ROOT_ID}.key"), &root);
    trust.store();
    assert_eq!(trust.read(&format!("{ROOT_ID}.key")).as_bytes(), root.as_slice());
}

// ---------------------------------------------------------------------------------------------
// Export and import (keys.md §7)

#[test]
fn export_of_one_key_is_go_s_output() {
    let trust = Trust::with_vectors("export");
    let store = trust.store();
    let exported = store.export(&[TARGETS_ID.to_owned()], None).unwrap();
    assert_eq!(exported.as_bytes(), vector("key-export-output.pem"));
    assert_eq!(store.export(&["0000".to_owned()], None).unwrap(), "");
}

#[test]
fn export_filters() {
    let trust = Trust::with_vectors("export-filters");
    let store = trust.store();
    let paths = |text: &str| -> Vec<String> {
        KeyFile::parse_all(text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|f| f.unwrap().headers().path().unwrap().to_owned())
            .collect()
    };
    // By GUN: exact header match, sorted by file name; root and delegation keys have no GUN.
    assert_eq!(
        paths(&store.export(&[], Some(VECTOR_GUN)).unwrap()),
        [SNAPSHOT_ID, TARGETS_ID]
    );
    assert_eq!(store.export(&[], Some("example.com/vectors")).unwrap(), "");
    let mut all: Vec<&str> = STORED_VECTORS.iter().map(|v| v.1).collect();
    all.sort();
    assert_eq!(paths(&store.export(&[], None).unwrap()), all);
    let error = store.export(&[ROOT_ID.to_owned()], Some(VECTOR_GUN)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Only the --gun or --key flag may be provided, not a mix of the two flags"
    );
}

#[test]
fn export_then_import_reproduces_the_files() {
    let source = Trust::with_vectors("roundtrip-from");
    let exported = source.store().export(&[], None).unwrap();
    let target = Trust::new("roundtrip-to");
    let outcome = target
        .store()
        .import(exported.as_bytes(), None, None, &mut static_pass("unused-pass"))
        .unwrap();
    assert!(outcome.skipped.is_empty());
    assert_eq!(outcome.imported.len(), STORED_VECTORS.len());
    assert_eq!(target.files(), source.files());
    for file in source.files() {
        assert_eq!(target.read(&file), source.read(&file), "{file}");
        assert_eq!(mode(&target.private().join(&file)), 0o600);
    }
}

/// The Go export of the targets key, with its headers replaced by `headers`.
fn exported_targets_with(headers: &[(&str, &str)]) -> String {
    let mut file = KeyFile::parse(&vector("key-export-output.pem")).unwrap();
    for name in ["gun", "path", "role"] {
        file.headers_mut().remove(name);
    }
    for (name, value) in headers {
        file.headers_mut().set(name, value).unwrap();
    }
    file.to_pem().to_string()
}

#[test]
fn import_rule_1_legacy_paths_give_the_gun() {
    let trust = Trust::new("import-1");
    let pem = exported_targets_with(&[
        ("path", &format!("tuf_keys/example.com/app/{TARGETS_ID}")),
        ("role", "targets"),
    ]);
    let outcome = trust
        .store()
        .import(pem.as_bytes(), None, None, &mut static_pass("x"))
        .unwrap();
    assert_eq!(outcome.imported, [TARGETS_ID]);
    assert_eq!(
        headers(&trust.read(&format!("{TARGETS_ID}.key"))),
        ["gun: example.com/app", "role: targets"]
    );
    // Any other directory is just dropped.
    let pem = exported_targets_with(&[("path", &format!("root_keys/{ROOT_ID}")), ("role", "root")]);
    let outcome = trust
        .store()
        .import(pem.as_bytes(), None, None, &mut static_pass("x"))
        .unwrap();
    assert_eq!(outcome.imported, [ROOT_ID]);
    assert_eq!(headers(&trust.read(&format!("{ROOT_ID}.key"))), ["role: root"]);
}

#[test]
fn import_rule_2_defaults_for_role_and_gun() {
    let trust = Trust::new("import-2");
    let store = trust.store();
    let pem = exported_targets_with(&[("path", "a")]);
    store.import(pem.as_bytes(), None, None, &mut static_pass("x")).unwrap();
    assert_eq!(headers(&trust.read("a.key")), ["role: delegation"]);
    store
        .import(
            pem.as_bytes(),
            Some("targets"),
            Some("example.com/b"),
            &mut static_pass("x"),
        )
        .unwrap();
    assert_eq!(headers(&trust.read("a.key")), ["gun: example.com/b", "role: targets"]);
    // Headers win over the flags.
    let pem = exported_targets_with(&[("path", "a"), ("role", "snapshot"), ("gun", "example.com/c")]);
    store
        .import(
            pem.as_bytes(),
            Some("targets"),
            Some("example.com/b"),
            &mut static_pass("x"),
        )
        .unwrap();
    assert_eq!(headers(&trust.read("a.key")), ["gun: example.com/c", "role: snapshot"]);
}

#[test]
fn import_rule_3_gun_only_for_gun_roles() {
    let trust = Trust::new("import-3");
    let store = trust.store();
    for role in ["targets", "snapshot", "timestamp"] {
        let pem = exported_targets_with(&[("path", "a"), ("role", role)]);
        let error = store
            .import(pem.as_bytes(), None, None, &mut static_pass("x"))
            .unwrap_err();
        let KeyStoreError::NothingImported { skipped } = &error else {
            panic!("{error:?}")
        };
        assert!(matches!(skipped[0].reason, SkipReason::CanonicalRoleWithoutGun));
        assert_eq!(
            skipped[0].reason.to_string(),
            "Cannot have canonical role key without a gun, don't know what gun it belongs to"
        );
        assert_eq!(error.to_string(), "invalid key pem block");
    }
    for role in ["root", "targets/releases", "delegation"] {
        let pem = exported_targets_with(&[("path", "a"), ("role", role), ("gun", "example.com/x")]);
        store
            .import(pem.as_bytes(), None, Some("example.com/y"), &mut static_pass("x"))
            .unwrap();
        assert_eq!(headers(&trust.read("a.key")), [format!("role: {role}")]);
    }
}

#[test]
fn import_rule_4_encrypted_blocks_need_a_path() {
    let trust = Trust::new("import-4");
    let store = trust.store();
    let error = store
        .import(&vector("generate-o.deleg-key.pem"), None, None, &mut static_pass("x"))
        .unwrap_err();
    let KeyStoreError::NothingImported { skipped } = error else {
        panic!("{error:?}")
    };
    assert_eq!(
        skipped[0].reason.to_string(),
        "Invalid key generated, key may be encrypted and does not contain path header"
    );
    // With a path it is trusted as is (not checked against the key).
    let mut file = KeyFile::parse(&vector("generate-o.deleg-key.pem")).unwrap();
    file.headers_mut().set("path", "any-name").unwrap();
    let outcome = store
        .import(file.to_pem().as_bytes(), None, None, &mut static_pass("x"))
        .unwrap();
    assert_eq!(outcome.imported, ["any-name"]);
    let (key, role) = store.get("any-name", &mut static_pass("delegpass1")).unwrap();
    assert_eq!(role, "targets/releases");
    assert!(
        key.public_key()
            .canonical_id()
            .unwrap()
            .as_str()
            .starts_with("c52c23dc")
    );
}

#[test]
fn import_rule_5_unencrypted_keys_are_encrypted_with_a_new_passphrase() {
    let trust = Trust::new("import-5");
    let store = trust.store();
    let mut source = Recording::new(static_pass("delegpass1"));
    let outcome = store
        .import(&vector("ed25519-notary-pkcs8-unencrypted.pem"), None, None, &mut source)
        .unwrap();
    assert_eq!(outcome.imported, [ED25519_ID]);
    assert_eq!(
        source.requests,
        [(ED25519_ID.to_owned(), "targets/ed".to_owned(), true, 0)]
    );
    let pem = trust.read(&format!("{ED25519_ID}.key"));
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: targets/ed\n\n"),
        "{pem}"
    );
    let (key, _) = store.get(ED25519_ID, &mut static_pass("delegpass1")).unwrap();
    assert_eq!(key.public_key().canonical_id().unwrap().as_str(), ED25519_ID);
    // Go's own import of this file is the ed25519-imported vector: same headers, same key.
    let go = KeyFile::parse(&vector(&format!("ed25519-imported.{ED25519_ID}.key"))).unwrap();
    assert_eq!(KeyFile::parse(pem.as_bytes()).unwrap().headers(), go.headers());
}

#[test]
fn import_rule_6_consecutive_blocks_with_one_path_share_a_file() {
    let trust = Trust::new("import-6");
    let store = trust.store();
    let a = exported_targets_with(&[("path", "same"), ("role", "targets/a")]);
    let b = exported_targets_with(&[("path", "same"), ("role", "targets/b")]);
    let c = exported_targets_with(&[("path", "other"), ("role", "targets/c")]);
    let input = format!("{a}{b}{c}{a}");
    let outcome = store
        .import(input.as_bytes(), None, None, &mut static_pass("x"))
        .unwrap();
    assert_eq!(outcome.imported, ["same", "other", "same"]);
    // The last group replaced the first.
    let same = trust.read("same.key");
    assert_eq!(KeyFile::parse_all(same.as_bytes()).unwrap().len(), 1);
    assert_eq!(headers(&same), ["role: targets/a"]);
    let two = format!("{a}{b}");
    store.import(two.as_bytes(), None, None, &mut static_pass("x")).unwrap();
    let blocks = KeyFile::parse_all(trust.read("same.key").as_bytes()).unwrap();
    let roles: Vec<String> = blocks
        .into_iter()
        .map(|b| b.unwrap().headers().role().unwrap().to_owned())
        .collect();
    assert_eq!(roles, ["targets/a", "targets/b"]);
}

#[test]
fn import_rule_7_skips_warn_unless_nothing_was_imported() {
    let trust = Trust::new("import-7");
    let store = trust.store();
    let good = exported_targets_with(&[("path", "good"), ("role", "targets/good")]);
    let public = String::from_utf8(vector("generate-o.deleg.pem")).unwrap();
    let input = format!("{public}{good}");
    let outcome = store
        .import(input.as_bytes(), None, None, &mut static_pass("x"))
        .unwrap();
    assert_eq!(outcome.imported, ["good"]);
    assert_eq!(outcome.skipped.len(), 1);
    assert_eq!(outcome.skipped[0].index, 0);
    assert!(matches!(outcome.skipped[0].reason, SkipReason::InvalidBlock(_)));
    // No PEM block at all: nothing to do, no error (Go exits 0).
    let outcome = store.import(b"garbage\n", None, None, &mut static_pass("x")).unwrap();
    assert!(outcome.imported.is_empty() && outcome.skipped.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Passphrases (keys.md §6.1)

#[test]
fn env_variables_by_alias() {
    let env = [
        ("NOTARY_ROOT_PASSPHRASE", "r-pass"),
        ("NOTARY_TARGETS_PASSPHRASE", "t-pass"),
        ("NOTARY_SNAPSHOT_PASSPHRASE", ""),
        ("NOTARY_DELEGATION_PASSPHRASE", "d-pass"),
    ];
    let script = Script {
        terminal: false,
        ..Script::new(&[])
    };
    let mut retriever = script.retriever(&env);
    let ask = |retriever: &mut Retriever, alias: &str| {
        retriever.passphrase(&PassphraseRequest {
            key_id: ROOT_ID,
            alias,
            is_new: false,
            attempt: 0,
        })
    };
    for (alias, expected) in [
        ("root", "r-pass"),
        ("targets", "t-pass"),
        ("delegation", "d-pass"),
        ("targets/releases", "d-pass"),
        ("", "d-pass"),
        ("user", "d-pass"),
    ] {
        assert_eq!(ask(&mut retriever, alias).unwrap(), expected, "{alias}");
    }
    // Empty variables are unset, and base roles never fall back to the delegation variable.
    for alias in ["snapshot", "timestamp"] {
        let error = ask(&mut retriever, alias).unwrap_err();
        assert!(matches!(error, PassphraseError::NoTerminal), "{alias}: {error:?}");
        assert_eq!(
            error.to_string(),
            "Please either use environment variables or STDIN with a terminal to provide key passphrases"
        );
    }
}

#[test]
fn a_wrong_env_passphrase_is_tried_twice() {
    let trust = Trust::with_vectors("env-wrong");
    let script = Script::new(&[]);
    let mut source = Recording::new(script.retriever(&[("NOTARY_ROOT_PASSPHRASE", "wrongwrong")]));
    let error = trust.store().get(ROOT_ID, &mut source).unwrap_err();
    let attempts: Vec<u32> = source.requests.iter().map(|r| r.3).collect();
    assert_eq!(attempts, [0, 1, 2], "two decryptions, the third request gives up");
    let KeyStoreError::WrongPassphrase { reason, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(matches!(reason, PassphraseError::Refused { origin } if origin == "NOTARY_ROOT_PASSPHRASE"));
    assert!(error.to_string().starts_with("password invalid, operation has failed."));
    assert_eq!(script.shown(), "", "no prompt when a variable applies");

    let mut right = script.retriever(&[("NOTARY_ROOT_PASSPHRASE", "rootpassphrase1")]);
    assert_eq!(trust.store().get(ROOT_ID, &mut right).unwrap().1, "root");
}

#[test]
fn env_passphrases_for_new_keys_skip_the_length_rule() {
    let trust = Trust::new("env-new");
    let store = trust.store();
    let mut retriever = Retriever::new(
        |v| (v == "NOTARY_ROOT_PASSPHRASE").then(|| "short".to_owned()),
        Box::new(NonInteractive),
    );
    let key = PrivateKey::generate_ecdsa().unwrap();
    let id = store.add(&key, "root", None, &mut retriever).unwrap();
    store.get(&id, &mut static_pass("short")).unwrap();
}

#[test]
fn without_terminal_or_env_there_is_no_passphrase() {
    let trust = Trust::with_vectors("no-tty");
    let mut retriever = Retriever::new(|_| None, Box::new(NonInteractive));
    let error = trust.store().get(ROOT_ID, &mut retriever).unwrap_err();
    assert!(
        matches!(
            &error,
            KeyStoreError::PassphraseUnavailable {
                source: PassphraseError::NoTerminal,
                ..
            }
        ),
        "{error:?}"
    );
    let key = PrivateKey::generate_ecdsa().unwrap();
    let error = trust.store().add(&key, "root", None, &mut retriever).unwrap_err();
    assert!(
        matches!(error, KeyStoreError::PassphraseUnavailable { .. }),
        "{error:?}"
    );
}

/// `notary key passwd` with four wrong answers on a terminal (Go 0.7.0 via `script -qc`, CR
/// removed): three retries, then "Too many attempts".
#[test]
fn prompts_for_an_existing_key_match_go() {
    let trust = Trust::with_vectors("prompt-wrong");
    let script = Script::new(&["wrongwrong"; 6]);
    let error = trust.store().get(ROOT_ID, &mut script.retriever(&[])).unwrap_err();
    let go = "\
Enter passphrase for root key with ID 5a7c22e: 
Passphrase incorrect. Please retry.
Enter passphrase for root key with ID 5a7c22e: 
Passphrase incorrect. Please retry.
Enter passphrase for root key with ID 5a7c22e: 
Passphrase incorrect. Please retry.
Enter passphrase for root key with ID 5a7c22e: 
";
    assert_eq!(script.shown(), go);
    assert_eq!(script.unanswered(), 2);
    assert!(
        matches!(
            &error,
            KeyStoreError::WrongPassphrase {
                reason: PassphraseError::TooManyAttempts,
                ..
            }
        ),
        "{error:?}"
    );

    // Right on the second try, with white space around it; then cached for the alias.
    let script = Script::new(&["nope", "  rootpassphrase1  "]);
    let mut retriever = script.retriever(&[]);
    let store = trust.store();
    store.get(ROOT_ID, &mut retriever).unwrap();
    assert_eq!(script.unanswered(), 0);
    let shown = script.shown();
    store.get(ROOT_ID, &mut retriever).unwrap();
    assert_eq!(script.shown(), shown, "the cached passphrase is used without a prompt");
}

/// `notary key generate` on a terminal (Go 0.7.0 via `script -qc`, CR removed): warning once,
/// too short, mismatch, success.
#[test]
fn prompts_for_a_new_root_key_match_go() {
    let trust = Trust::new("prompt-new");
    let script = Script::new(&[
        "short",
        "longpassphrase",
        "different1",
        " longpassphrase",
        "longpassphrase ",
    ]);
    let key = PrivateKey::generate_ecdsa().unwrap();
    let id = trust
        .store()
        .add(&key, "root", None, &mut script.retriever(&[]))
        .unwrap();
    let short = &id[..7];
    let go = format!(
        "\
You are about to create a new root signing key passphrase. This passphrase
will be used to protect the most sensitive key in your signing system. Please
choose a long, complex passphrase and be careful to keep the password and the
key file itself secure and backed up. It is highly recommended that you use a
password manager to generate the passphrase and keep it safe. There will be no
way to recover this key. You can find the key in your config directory.
Enter passphrase for new root key with ID {short}: 
Passphrase is too short. Please use a password manager to generate and store a good random passphrase.
Enter passphrase for new root key with ID {short}: 
Repeat passphrase for new root key with ID {short}: 
Passphrases do not match. Please retry.
Enter passphrase for new root key with ID {short}: 
Repeat passphrase for new root key with ID {short}: 
"
    );
    assert_eq!(script.shown(), go);
    trust.store().get(&id, &mut static_pass("longpassphrase")).unwrap();
}

#[test]
fn new_delegation_key_prompt_has_no_warning() {
    let trust = Trust::new("prompt-deleg");
    let script = Script::new(&["delegpass1", "delegpass1"]);
    let key = PrivateKey::generate_ecdsa().unwrap();
    let id = trust
        .store()
        .add(&key, "targets/releases", None, &mut script.retriever(&[]))
        .unwrap();
    let short = &id[..7];
    assert_eq!(
        script.shown(),
        format!(
            "Enter passphrase for new targets/releases key with ID {short}: \n\
             Repeat passphrase for new targets/releases key with ID {short}: \n"
        )
    );
}

#[test]
fn key_info_is_plain_data() {
    // KeyInfo is what `key list` prints; make sure the fields are the documented ones.
    let trust = Trust::with_vectors("info");
    let info: KeyInfo = trust.store().list().unwrap().remove(0);
    assert_eq!(info.id.len(), 64);
    assert!(info.path.starts_with(trust.private()));
}

// ---------------------------------------------------------------------------------------------
// Interchange with the real Go CLI

#[cfg(feature = "interop")]
mod go {
    use notary_testkit::{ROOT_PASSPHRASE, TARGETS_PASSPHRASE, notary_offline};

    use super::*;

    /// `(role, gun, key id)` rows of `notary key list`.
    fn go_key_list(trust: &Trust) -> Vec<(String, String, String)> {
        let out = notary_offline(&trust.dir(), &["key", "list"]).stdout();
        out.lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let id_at = fields.iter().position(|f| f.len() == 64)?;
                let role = fields.first().copied().filter(|_| id_at > 0).unwrap_or("");
                let gun = if id_at == 2 { fields[1] } else { "" };
                Some((role.to_owned(), gun.to_owned(), fields[id_at].to_owned()))
            })
            .collect()
    }

    #[test]
    fn go_lists_exports_and_decrypts_our_keys() {
        let trust = Trust::new("go-reads-ours");
        let store = trust.store();
        let gun: Gun = "example.com/interop".parse().unwrap();
        let targets = PrivateKey::generate_ecdsa().unwrap();
        let targets_id = store
            .add(&targets, "targets", Some(&gun), &mut static_pass(TARGETS_PASSPHRASE))
            .unwrap();
        let root = PrivateKey::generate_ecdsa().unwrap();
        let root_id = store
            .add(&root, "root", None, &mut static_pass(ROOT_PASSPHRASE))
            .unwrap();

        let mut listed = go_key_list(&trust);
        listed.sort();
        let mut expected = vec![
            ("root".to_owned(), String::new(), root_id.clone()),
            ("targets".to_owned(), gun.as_str().to_owned(), targets_id.clone()),
        ];
        expected.sort();
        assert_eq!(listed, expected);

        let go_export = notary_offline(&trust.dir(), &["key", "export", "--key", &targets_id]).stdout();
        assert_eq!(
            go_export,
            store.export(std::slice::from_ref(&targets_id), None).unwrap()
        );

        // Go decrypts ours (and re-encrypts it with the same env passphrase); we still read it.
        notary_offline(&trust.dir(), &["key", "passwd", &root_id]).ok();
        let (key, role) = store.get(&root_id, &mut static_pass(ROOT_PASSPHRASE)).unwrap();
        assert_eq!((key.public_key(), role.as_str()), (root.public_key(), "root"));
    }

    #[test]
    fn we_read_keys_go_generates() {
        let trust = Trust::new("ours-reads-go");
        let out = notary_offline(&trust.dir(), &["key", "generate", "--role", "targets/releases"]).stdout();
        let id = out.trim().rsplit(' ').next().unwrap().to_owned();
        let store = trust.store();
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].id.as_str(), listed[0].role.as_str()),
            (id.as_str(), "targets/releases")
        );
        assert_eq!(mode(&listed[0].path), 0o600);
        let mut env = Retriever::new(
            |v| (v == "NOTARY_DELEGATION_PASSPHRASE").then(|| notary_testkit::DELEGATION_PASSPHRASE.to_owned()),
            Box::new(NonInteractive),
        );
        let (key, role) = store.get(&id, &mut env).unwrap();
        assert_eq!(key.public_key().canonical_id().unwrap().as_str(), id);
        assert_eq!(role, "targets/releases");

        // Go imports what we export from its store into a fresh one, byte for byte.
        let exported = store.export(&[], None).unwrap();
        let other = Trust::new("go-imports-ours");
        let file = other.work().write("export.pem", exported.as_bytes());
        notary_offline(&other.dir(), &["key", "import", file.to_str().unwrap()]).ok();
        assert_eq!(other.read(&format!("{id}.key")), trust.read(&format!("{id}.key")));
    }
}
