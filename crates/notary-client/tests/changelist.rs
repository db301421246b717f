//! The changelist against Go-made vectors (`tests/data/changelist*/`), hostile inputs, and the
//! directory operations in a scratch directory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use notary_client::changelist::{
    Action, Change, ChangeData, ChangeError, ChangeType, Changelist, ChangelistError, DelegationData, MAX_CHANGE_LEN,
    RootRoleData,
};
use notary_tuf::metadata::{FileMeta, Hashes};
use notary_tuf::{KeyId, KeyType, PublicKey};
use proptest::prelude::*;

const KEY_ID: &str = "c52c23dcc3f6cb6742b554e625bb03c572acbb75a273d3facdbfb7cd83f5ebc3";
const KEY_PUBLIC: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ2N7L9/VXGYjjiqXKPJ8dFm1fTiLTPjONxFbzkuJkM1qHTrt5uXpwtXmQd0So+0gs8URSPhDRjiZbgNzuDI2eg==";

fn data_dir(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(scenario)
}

/// The `.change` files of a scenario, sorted by name (= staging order).
fn vectors(scenario: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(data_dir(scenario))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "change"))
        .map(|p| {
            (
                p.file_name().unwrap().to_str().unwrap().to_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The `data` member of a change file decoded independently of the crate (serde_json + base64).
fn inner_json(file: &[u8]) -> Option<Vec<u8>> {
    let outer: serde_json::Value = serde_json::from_slice(file).unwrap();
    outer["data"].as_str().map(|b64| STANDARD.decode(b64).unwrap())
}

fn vector_key() -> PublicKey {
    PublicKey::new(KeyType::Ecdsa, STANDARD.decode(KEY_PUBLIC).unwrap())
}

fn t1_meta() -> FileMeta {
    let mut hashes = Hashes::default();
    hashes.0.insert(
        "sha256".to_owned(),
        STANDARD.decode("ZKtuU6vXWDNktsNqGyx3zD8plW2J/ZxibxAAjZBTnEA=").unwrap(),
    );
    hashes.0.insert(
        "sha512".to_owned(),
        STANDARD
            .decode("qRQ/BFVYOP+6VojYGrruer5MtF42XVOVTj9VzE1apQ8NsgoCv6woRWYRFtXuul6WgLOCp0qIr2BDNZRD+PO/Aw==")
            .unwrap(),
    );
    FileMeta {
        custom: None,
        hashes,
        length: 13,
    }
}

/// The changes of `tests/data/changelist/`, in order, built through the API.
fn expected_vector_changes() -> Vec<Change> {
    let releases = "targets/releases";
    vec![
        Change::target_create("targets", "t1", t1_meta()),
        Change::target_delete("targets", "t0"),
        Change::delegation(
            Action::Create,
            releases,
            DelegationData {
                threshold: 1,
                add_keys: vec![vector_key()],
                ..DelegationData::default()
            },
        ),
        Change::delegation(
            Action::Create,
            releases,
            DelegationData {
                add_paths: vec![String::new()],
                ..DelegationData::default()
            },
        ),
        Change::delegation(
            Action::Update,
            releases,
            DelegationData {
                remove_paths: vec!["a/".to_owned()],
                ..DelegationData::default()
            },
        ),
        Change::delegation(
            Action::Update,
            releases,
            DelegationData {
                remove_keys: vec![KeyId::new(KEY_ID)],
                ..DelegationData::default()
            },
        ),
        Change::delegation_delete("targets/old"),
        Change::delegation(
            Action::Update,
            releases,
            DelegationData {
                clear_paths: true,
                ..DelegationData::default()
            },
        ),
        Change::delegation(
            Action::Update,
            "targets/*",
            DelegationData {
                remove_keys: vec![KeyId::new(KEY_ID)],
                ..DelegationData::default()
            },
        ),
        Change::witness("targets"),
    ]
}

// ---- vectors ---------------------------------------------------------------------------------

#[test]
fn every_vector_round_trips_byte_for_byte() {
    let files: Vec<_> = vectors("changelist")
        .into_iter()
        .chain(vectors("changelist-escaping"))
        .collect();
    assert_eq!(files.len(), 11);
    for (name, bytes) in files {
        let change = Change::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(change.to_bytes(), bytes, "{name}");
        assert_eq!(change.data_json().map(<[u8]>::to_vec), inner_json(&bytes), "{name}");
        assert!(!matches!(change.data(), ChangeData::Opaque(_)), "{name} decoded");
    }
}

#[test]
fn decoded_data_re_encodes_to_go_inner_json() {
    for (name, bytes) in vectors("changelist") {
        let change = Change::parse(&bytes).unwrap();
        assert_eq!(change.data().to_json(), inner_json(&bytes), "{name}");
    }
}

#[test]
fn vectors_are_the_expected_changes_and_the_api_builds_them_byte_for_byte() {
    let files = vectors("changelist");
    let expected = expected_vector_changes();
    assert_eq!(files.len(), expected.len());
    for ((name, bytes), built) in files.iter().zip(&expected) {
        assert_eq!(&Change::parse(bytes).unwrap(), built, "{name}");
        assert_eq!(&built.to_bytes(), bytes, "{name}");
    }
}

#[test]
fn vectors_decode_to_concrete_values() {
    let changes: Vec<Change> = vectors("changelist")
        .iter()
        .map(|(_, b)| Change::parse(b).unwrap())
        .collect();

    let t1 = &changes[0];
    assert_eq!(
        (t1.action(), t1.scope(), t1.change_type(), t1.path()),
        (&Action::Create, "targets", &ChangeType::Target, "t1")
    );
    let ChangeData::Target(meta) = t1.data() else {
        panic!("{t1:?}")
    };
    assert_eq!(meta.length, 13);
    assert_eq!(meta.custom, None);
    assert_eq!(meta.sha256().unwrap()[..4], [0x64, 0xab, 0x6e, 0x53]);
    assert_eq!(meta.hashes.0.keys().collect::<Vec<_>>(), ["sha256", "sha512"]);

    assert_eq!(changes[1].action(), &Action::Delete);
    assert_eq!(changes[1].data(), &ChangeData::Null);
    assert_eq!(changes[1].data_json(), None);

    let ChangeData::Delegation(add) = changes[2].data() else {
        panic!("{:?}", changes[2])
    };
    assert_eq!(changes[2].scope(), "targets/releases");
    assert_eq!(changes[2].path(), "");
    assert_eq!(add.threshold, 1);
    assert_eq!(add.add_keys.len(), 1);
    assert_eq!(add.add_keys[0].key_type(), &KeyType::Ecdsa);
    assert_eq!(add.add_keys[0].key_id().as_str(), KEY_ID);
    assert_eq!(add.add_keys[0].canonical_id().unwrap().as_str(), KEY_ID);

    let ChangeData::Delegation(paths) = changes[3].data() else {
        panic!()
    };
    assert_eq!(paths.add_paths, [""]);
    assert_eq!(paths.threshold, 0);
    let ChangeData::Delegation(remove_paths) = changes[4].data() else {
        panic!()
    };
    assert_eq!(remove_paths.remove_paths, ["a/"]);
    let ChangeData::Delegation(remove_keys) = changes[5].data() else {
        panic!()
    };
    assert_eq!(remove_keys.remove_keys, [KeyId::new(KEY_ID)]);
    assert_eq!(changes[6].scope(), "targets/old");
    assert_eq!(changes[6].data(), &ChangeData::Null);
    let ChangeData::Delegation(clear) = changes[7].data() else {
        panic!()
    };
    assert!(clear.clear_paths);
    assert_eq!(changes[8].scope(), "targets/*");
    assert_eq!(changes[8].data(), changes[5].data());

    let witness = &changes[9];
    assert_eq!(
        (witness.action(), witness.scope(), witness.change_type(), witness.path()),
        (&Action::Update, "targets", &ChangeType::Witness, "")
    );
    assert_eq!(witness.data(), &ChangeData::Null);
}

#[test]
fn go_escapes_and_verbatim_custom_survive_a_round_trip() {
    let [(name, bytes)] = vectors("changelist-escaping").try_into().unwrap();
    let change = Change::parse(&bytes).unwrap();
    assert_eq!(change.scope(), "targets/a");
    assert_eq!(change.path(), "t<>&\u{8}\u{2028}/\"");
    let ChangeData::Target(meta) = change.data() else {
        panic!("{name}")
    };
    assert_eq!(meta.length, 12);
    assert_eq!(
        meta,
        &FileMeta {
            custom: meta.custom.clone(),
            ..FileMeta::of_bytes(b"hello world\n")
        }
    );
    let custom: serde_json::Value = serde_json::from_str(r#"{"a":"x<yé\b/","b":1,"c":1000.0}"#).unwrap();
    assert_eq!(meta.custom.as_ref(), Some(&custom));
    assert_eq!(change.to_bytes(), bytes);
    assert!(
        change
            .data_json()
            .unwrap()
            .ends_with(br#","custom":{"b":1,"a":"x\u003cy\u00e9\b\/","c":1e3}}"#)
    );

    // Built through the API: Go's outer bytes; custom from the decoded value.
    let built = Change::target_create("targets/a", change.path(), meta.clone());
    let built_bytes = String::from_utf8(built.to_bytes()).unwrap();
    assert!(built_bytes.starts_with(
        r#"{"action":"create","role":"targets/a","type":"target","path":"t\u003c\u003e\u0026\u0008\u2028/\"","data":""#
    ));
    assert!(
        built
            .data_json()
            .unwrap()
            .ends_with(r#","custom":{"a":"x\u003cyé\u0008/","b":1,"c":1000.0}}"#.as_bytes())
    );
    assert_eq!(Change::parse(built_bytes.as_bytes()).unwrap().data(), change.data());
}

// ---- reading ---------------------------------------------------------------------------------

#[test]
fn readers_accept_any_member_order_and_whitespace() {
    let add_keys = vectors("changelist").swap_remove(2).1;
    let original = Change::parse(&add_keys).unwrap();
    let b64 = STANDARD.encode(
        format!(
            "\n{{ \"add_keys\" : [ {{ \"keyval\": {{ \"private\": null, \"public\": \"{KEY_PUBLIC}\" }},\n\
             \"keytype\": \"ecdsa\" }} ],\t\"threshold\" : 1 }}\n"
        )
        .as_bytes(),
    );
    // Base64 broken over lines, as Go's decoder allows.
    let (head, tail) = b64.split_at(40);
    let reordered = format!(
        " {{\r\n  \"data\" : \"{head}\\n{tail}\",\n  \"path\":\"\", \"type\" : \"delegation\",\n  \"role\": \"targets\\/releases\",\n  \"action\":\"create\"\n}}\n "
    );
    let parsed = Change::parse(reordered.as_bytes()).unwrap();
    assert_eq!(parsed.data(), original.data());
    assert_eq!(
        (parsed.action(), parsed.scope(), parsed.change_type()),
        (original.action(), original.scope(), original.change_type())
    );
    // The inner document is kept as written; re-encoding the typed data gives Go's form.
    assert_ne!(parsed.data_json(), original.data_json());
    assert_eq!(parsed.data().to_json().as_deref(), original.data_json());
}

#[test]
fn missing_null_and_unknown_members_read_as_go_reads_them() {
    let change = Change::parse(br#"{"role":null,"extra":[1,{"x":2}],"type":"witness"}"#).unwrap();
    assert_eq!(change.action(), &Action::Other(String::new()));
    assert_eq!(change.scope(), "");
    assert_eq!(change.change_type(), &ChangeType::Witness);
    assert_eq!(change.data(), &ChangeData::Null);
    assert_eq!(
        change.to_bytes(),
        br#"{"action":"","role":"","type":"witness","path":"","data":null}"#
    );

    // An empty `data` string is kept as an empty (non-null) document, as in Go.
    let empty = Change::parse(br#"{"action":"create","role":"targets","type":"target","path":"x","data":""}"#).unwrap();
    assert_eq!(empty.data_json(), Some(&b""[..]));
    assert_eq!(empty.data(), &ChangeData::Opaque(Vec::new()));
    assert!(empty.to_bytes().ends_with(br#""data":""}"#));
}

#[test]
fn unknown_kinds_and_members_are_kept_verbatim() {
    type Check = fn(&ChangeData) -> bool;
    let cases: [(&str, &str, Check); 5] = [
        // Unknown type and action.
        ("frobnicate", r#"{"anything": [1, 2]}"#, |d| {
            matches!(d, ChangeData::Opaque(_))
        }),
        // A member Go 0.7 does not know, in a delegation change: decoded, and kept in the bytes.
        ("delegation", r#"{"threshold":2,"future":{"a":1}}"#, |d| {
            matches!(d, ChangeData::Delegation(DelegationData { threshold: 2, .. }))
        }),
        // Data that is not its type's document: Go fails on it at publish.
        ("target", r#"{"length":"13"}"#, |d| matches!(d, ChangeData::Opaque(_))),
        ("target", "not json", |d| matches!(d, ChangeData::Opaque(_))),
        // Data where Go expects none.
        ("witness", "{}", |d| matches!(d, ChangeData::Opaque(_))),
    ];
    for (change_type, inner, check) in cases {
        let file = format!(
            r#"{{"action":"create","role":"targets","type":"{change_type}","path":"","data":"{}"}}"#,
            STANDARD.encode(inner)
        );
        let change = Change::parse(file.as_bytes()).unwrap();
        assert!(check(change.data()), "{change_type} {inner}: {:?}", change.data());
        assert_eq!(change.data_json(), Some(inner.as_bytes()));
        assert_eq!(change.to_bytes(), file.as_bytes());
    }
}

#[test]
fn target_data_members_are_optional() {
    let change = Change::new(
        Action::Create,
        "targets",
        ChangeType::Target,
        "x",
        ChangeData::decode(&ChangeType::Target, Some(br#"{"custom":null,"hashes":null}"#)),
    );
    let ChangeData::Target(meta) = change.data() else {
        panic!()
    };
    assert_eq!((meta.length, meta.hashes.0.len(), &meta.custom), (0, 0, &None));
    assert_eq!(change.data_json(), Some(&br#"{"length":0,"hashes":{}}"#[..]));
}

#[test]
fn malformed_files_are_refused() {
    let cases: [&[u8]; 10] = [
        b"",
        b"not json",
        b"[]",
        b"null",
        br#"{"action":5}"#,
        br#"{"action":"create","data":5}"#,
        br#"{"action":"create","action":"delete"}"#,
        br#"{"action":"create"} trailing"#,
        b"{\"path\":\"\xff\"}",
        br#"{"action":"create","data":"%%%%"}"#,
    ];
    for bytes in cases {
        let error = Change::parse(bytes).unwrap_err();
        assert!(
            matches!(error, ChangeError::MalformedJson(_) | ChangeError::MalformedData(_)),
            "{}: {error:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    // Base64 without its padding, as Go's standard decoding requires it.
    let unpadded = br#"{"action":"create","data":"e30"}"#;
    assert!(matches!(Change::parse(unpadded), Err(ChangeError::MalformedData(_))));
}

#[test]
fn oversized_files_are_refused() {
    let head = br#"{"action":"create","role":"targets","type":"target","path":""#;
    let mut file = head.to_vec();
    file.resize(MAX_CHANGE_LEN - 3, b'a');
    file.extend_from_slice(br#""}"#);
    assert_eq!(file.len(), MAX_CHANGE_LEN - 1);
    assert_eq!(
        Change::parse(&file).unwrap().path().len(),
        MAX_CHANGE_LEN - 3 - head.len()
    );

    file.insert(10, b' ');
    file.insert(10, b' ');
    let error = Change::parse(&file).unwrap_err();
    assert!(
        matches!(error, ChangeError::TooLarge { limit: MAX_CHANGE_LEN }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "change file is larger than the limit of 1048576 bytes"
    );
}

#[test]
fn root_role_changes_encode_like_go() {
    let change = Change::new(
        Action::Create,
        "root",
        ChangeType::Role,
        "targets",
        ChangeData::RootRole(RootRoleData {
            keys: vec![vector_key()],
            role: "targets".to_owned(),
        }),
    );
    let expected = format!(
        r#"{{"keys":[{{"keytype":"ecdsa","keyval":{{"public":"{KEY_PUBLIC}","private":null}}}}],"role":"targets"}}"#
    );
    assert_eq!(change.data_json(), Some(expected.as_bytes()));
    assert_eq!(Change::parse(&change.to_bytes()).unwrap(), change);
}

#[test]
fn delegation_data_writes_members_in_go_struct_order() {
    let data = DelegationData {
        new_name: "targets/new<name>".to_owned(),
        threshold: -1,
        add_keys: vec![PublicKey::new(KeyType::Unknown("x&y".to_owned()), vec![0xff])],
        remove_keys: vec![KeyId::new("ab")],
        add_paths: vec!["a/".to_owned(), String::new()],
        remove_paths: vec!["b&".to_owned()],
        clear_paths: true,
    };
    let json = ChangeData::Delegation(data.clone()).to_json().unwrap();
    assert_eq!(
        String::from_utf8(json).unwrap(),
        r#"{"new_name":"targets/new\u003cname\u003e","threshold":-1,"add_keys":[{"keytype":"x\u0026y","keyval":{"public":"/w==","private":null}}],"remove_keys":["ab"],"add_paths":["a/",""],"remove_paths":["b\u0026"],"clear_paths":true}"#
    );
    assert_eq!(
        ChangeData::Delegation(DelegationData::default()).to_json().unwrap(),
        b"{}"
    );
}

// ---- properties ------------------------------------------------------------------------------

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Create),
        Just(Action::Delete),
        Just(Action::Update),
        "[a-z]{0,8}".prop_map(|s| Action::from(s.as_str())),
    ]
}

fn text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![".{0,24}", "[a-z/<>&*\"\\\\\u{8}\u{c}\u{2028}\u{2029}\u{7f} ]{0,24}"]
}

fn change() -> impl Strategy<Value = Change> {
    let meta = (
        any::<i64>(),
        proptest::collection::btree_map(text(), proptest::collection::vec(any::<u8>(), 0..70), 0..3),
        proptest::option::of(proptest::collection::btree_map(text(), text(), 0..3)),
    )
        .prop_map(|(length, hashes, custom)| FileMeta {
            custom: custom.map(|m| serde_json::to_value(m).unwrap()),
            hashes: Hashes(hashes.into()),
            length,
        });
    let key = (text(), proptest::collection::vec(any::<u8>(), 0..40))
        .prop_map(|(t, public)| PublicKey::new(KeyType::Unknown(t), public));
    let strings = || proptest::collection::vec(text(), 0..3);
    let delegation = (
        text(),
        any::<i64>(),
        proptest::collection::vec(key.clone(), 0..3),
        strings(),
        strings(),
        strings(),
        any::<bool>(),
    )
        .prop_map(
            |(new_name, threshold, add_keys, remove_keys, add_paths, remove_paths, clear_paths)| DelegationData {
                new_name,
                threshold,
                add_keys,
                remove_keys: remove_keys.into_iter().map(KeyId::new).collect(),
                add_paths,
                remove_paths,
                clear_paths,
            },
        );
    let data = prop_oneof![
        Just((ChangeType::Witness, ChangeData::Null)),
        meta.prop_map(|m| (ChangeType::Target, ChangeData::Target(m))),
        delegation.prop_map(|d| (ChangeType::Delegation, ChangeData::Delegation(d))),
        (proptest::collection::vec(key, 0..3), text())
            .prop_map(|(keys, role)| (ChangeType::Role, ChangeData::RootRole(RootRoleData { keys, role }))),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| (ChangeType::Other("x".to_owned()), ChangeData::Opaque(b))),
    ];
    (action(), text(), text(), data)
        .prop_map(|(action, scope, path, (change_type, data))| Change::new(action, scope, change_type, path, data))
}

proptest! {
    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Change::parse(&bytes);
        for change_type in [ChangeType::Target, ChangeType::Delegation, ChangeType::Role] {
            let _ = ChangeData::decode(&change_type, Some(&bytes));
        }
    }

    #[test]
    fn parsing_mutated_vectors_never_panics(index in 0usize..10, flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = vectors("changelist").swap_remove(index).1;
        for (at, byte) in flips {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        if let Ok(change) = Change::parse(&bytes) {
            prop_assert_eq!(Change::parse(&change.to_bytes()).unwrap(), change);
        }
    }

    #[test]
    fn serialise_then_parse_keeps_every_field(change in change()) {
        let bytes = change.to_bytes();
        let parsed = Change::parse(&bytes).unwrap();
        prop_assert_eq!(&parsed, &change);
        prop_assert_eq!(parsed.to_bytes(), bytes.clone());
        // What any JSON reader sees equals the model.
        let outer: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(outer["action"].as_str(), Some(change.action().as_str()));
        prop_assert_eq!(outer["role"].as_str(), Some(change.scope()));
        prop_assert_eq!(outer["path"].as_str(), Some(change.path()));
        if let Some(json) = change.data_json()
            && !matches!(change.data(), ChangeData::Opaque(_))
        {
            serde_json::from_slice::<serde_json::Value>(json).unwrap();
            prop_assert!(!json.iter().any(|b| matches!(b, b'<' | b'>' | b'&')));
        }
    }
}

// ---- the directory ---------------------------------------------------------------------------

/// A scratch directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "notary-client-{test}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Scratch(dir)
    }

    fn changelist(&self) -> PathBuf {
        self.0.join("tuf/example.com/test/repo/changelist")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

fn names(changelist: &Changelist) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(changelist.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn add_list_remove_clear() {
    let scratch = Scratch::new("add-list-remove-clear");
    let changelist = Changelist::open(scratch.changelist()).unwrap();
    assert!(changelist.list().unwrap().is_empty());
    assert!(!scratch.0.exists(), "open and list create nothing");

    let changes = [
        Change::target_create("targets", "v1", FileMeta::of_bytes(b"one")),
        Change::target_delete("targets/releases", "v0"),
        Change::witness("targets"),
    ];
    // All three in the same nanosecond: names still sort in creation order.
    let now = at(1_795_318_925_519_156_734);
    let paths: Vec<PathBuf> = changes.iter().map(|c| changelist.add(c, now).unwrap()).collect();
    let created = names(&changelist);
    assert_eq!(created.len(), 3);
    for (i, name) in created.iter().enumerate() {
        assert_eq!(paths[i].file_name().unwrap(), name.as_str());
        assert_eq!(name.len(), 20 + 1 + 36 + ".change".len(), "{name}");
        assert_eq!(name[..20], format!("{:020}", 1_795_318_925_519_156_734 + i as u64));
        assert!(name.ends_with(".change"));
        assert_eq!(std::fs::read(&paths[i]).unwrap(), changes[i].to_bytes());
    }
    assert!(created.windows(2).all(|w| w[0] < w[1]));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for path in &paths {
            assert_eq!(mode(path), 0o600, "{}", path.display());
        }
        assert_eq!(mode(changelist.dir()), 0o700);
        assert_eq!(mode(&scratch.0.join("tuf/example.com")), 0o700);
    }

    let listed = changelist.list().unwrap();
    assert_eq!(listed.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(
        listed.iter().map(|s| &s.change).collect::<Vec<_>>(),
        changes.iter().collect::<Vec<_>>()
    );
    assert_eq!(
        listed.iter().map(|s| s.file_name.clone()).collect::<Vec<_>>(),
        created.iter().map(OsString::from).collect::<Vec<_>>()
    );

    // `reset -n 1` (and indices past the end are ignored, as in Go).
    assert_eq!(changelist.remove(&[1, 7]).unwrap(), 1);
    let listed = changelist.list().unwrap();
    assert_eq!(
        listed.iter().map(|s| &s.change).collect::<Vec<_>>(),
        [&changes[0], &changes[2]]
    );
    assert_eq!(listed[1].index, 1);

    // `reset --all`.
    assert_eq!(changelist.clear().unwrap(), 2);
    assert!(changelist.list().unwrap().is_empty());
    assert!(changelist.dir().is_dir(), "the directory itself stays");
    assert_eq!(changelist.clear().unwrap(), 0);
}

#[test]
fn names_follow_the_newest_change_when_the_clock_goes_back() {
    let scratch = Scratch::new("clock-back");
    let changelist = Changelist::open(scratch.changelist()).unwrap();
    changelist.add(&Change::witness("targets"), at(1_000)).unwrap();
    changelist.add(&Change::witness("targets/a"), at(500)).unwrap();
    changelist.add(&Change::witness("targets/b"), at(5_000)).unwrap();
    let names = names(&changelist);
    let stamps: Vec<&str> = names.iter().map(|n| &n[..20]).collect();
    assert_eq!(
        stamps,
        ["00000000000000001000", "00000000000000001001", "00000000000000005000"]
    );
    let scopes: Vec<String> = changelist
        .list()
        .unwrap()
        .into_iter()
        .map(|s| s.change.scope().to_owned())
        .collect();
    assert_eq!(scopes, ["targets", "targets/a", "targets/b"]);

    // A clock before 1970 counts as 0.
    let before_epoch = UNIX_EPOCH - Duration::from_secs(1);
    let path = changelist.add(&Change::witness("targets/c"), before_epoch).unwrap();
    assert!(
        path.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("00000000000000005001_")
    );
}

#[test]
fn the_largest_timestamp_leaves_no_later_name() {
    let scratch = Scratch::new("exhausted");
    let changelist = Changelist::open(scratch.changelist()).unwrap();
    changelist.add(&Change::witness("targets"), at(1)).unwrap();
    std::fs::write(
        changelist.dir().join("99999999999999999999_x.change"),
        Change::witness("targets").to_bytes(),
    )
    .unwrap();
    let error = changelist.add(&Change::witness("targets"), at(2)).unwrap_err();
    assert!(
        matches!(error, ChangelistError::TimestampsExhausted { .. }),
        "{error:?}"
    );
}

#[test]
fn go_written_files_list_in_staging_order() {
    let scratch = Scratch::new("go-files");
    let dir = scratch.changelist();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in vectors("changelist") {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let changelist = Changelist::open(&dir).unwrap();
    let listed: Vec<Change> = changelist.list().unwrap().into_iter().map(|s| s.change).collect();
    assert_eq!(listed, expected_vector_changes());

    // A change staged now goes after all of them.
    let path = changelist.add(&Change::witness("targets/releases"), at(1)).unwrap();
    assert!(
        path.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("01795319264988079599_")
    );
    assert_eq!(
        changelist.list().unwrap().last().unwrap().change,
        Change::witness("targets/releases")
    );
}

#[test]
fn directories_and_hidden_files_are_ignored_and_unparsable_files_named() {
    let scratch = Scratch::new("odd-entries");
    let changelist = Changelist::open(scratch.changelist()).unwrap();
    changelist.add(&Change::witness("targets"), at(10)).unwrap();
    changelist.add(&Change::witness("targets/b"), at(30)).unwrap();
    let dir = changelist.dir();
    std::fs::create_dir(dir.join("00000000000000000001_subdir.change")).unwrap();
    std::fs::write(dir.join(".00000000000000000002_x.change.tmp"), b"{partial").unwrap();
    assert_eq!(changelist.list().unwrap().len(), 2);

    // An unparsable file aborts a strict listing, naming the file.
    let bad = dir.join("00000000000000000020_bad.change");
    std::fs::write(&bad, b"{not json").unwrap();
    let error = changelist.list().unwrap_err();
    let ChangelistError::Unparsable { file, source } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(file, &bad);
    assert!(matches!(source, ChangeError::MalformedJson(_)));
    assert_eq!(
        error.to_string(),
        format!("could not parse change file {}", bad.display())
    );

    // A lenient listing skips it and keeps indices that `remove` understands.
    let (listed, errors) = changelist.list_skipping_unparsable().unwrap();
    assert_eq!(listed.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 2]);
    assert_eq!(errors.len(), 1);
    assert_eq!(changelist.remove(&[listed[1].index]).unwrap(), 1);
    assert_eq!(changelist.list_skipping_unparsable().unwrap().0.len(), 1);

    // `clear` removes every file, the bad and the hidden one included, but not sub-directories.
    assert_eq!(changelist.clear().unwrap(), 3);
    assert_eq!(names(&changelist), ["00000000000000000001_subdir.change"]);
}

#[test]
fn oversized_change_files_are_refused_without_reading_them_whole() {
    let scratch = Scratch::new("oversized");
    let changelist = Changelist::open(scratch.changelist()).unwrap();
    changelist.add(&Change::witness("targets"), at(10)).unwrap();
    let big = changelist.dir().join("00000000000000000011_big.change");
    std::fs::write(&big, vec![b' '; MAX_CHANGE_LEN + 1]).unwrap();
    let error = changelist.list().unwrap_err();
    assert!(
        matches!(&error, ChangelistError::Unparsable { file, source: ChangeError::TooLarge { .. } } if file == &big),
        "{error:?}"
    );
}

#[cfg(unix)]
#[test]
fn special_files_are_refused() {
    let scratch = Scratch::new("special");
    let changelist = Changelist::open(scratch.changelist()).unwrap();
    changelist.add(&Change::witness("targets"), at(10)).unwrap();
    let link = changelist.dir().join("00000000000000000011_dir.change");
    std::os::unix::fs::symlink(&scratch.0, &link).unwrap();
    let error = changelist.list().unwrap_err();
    assert!(
        matches!(&error, ChangelistError::NotAFile { file } if file == &link),
        "{error:?}"
    );
}

#[test]
fn a_file_in_place_of_the_directory_is_refused() {
    let scratch = Scratch::new("not-a-dir");
    std::fs::create_dir_all(&scratch.0).unwrap();
    let file = scratch.0.join("changelist");
    std::fs::write(&file, b"").unwrap();
    let error = Changelist::open(&file).unwrap_err();
    assert!(matches!(error, ChangelistError::NotADirectory { .. }), "{error:?}");
}
