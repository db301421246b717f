//! Interop (feature `interop`): the real Go `notary` 0.7 client and this crate share one
//! changelist. Go stages changes that we read back byte for byte, and Go's `status` and `reset`
//! work on changes we staged. Needs `/usr/bin/notary` (shared/interop/install-peers.sh); no
//! server (the URL given is the interop harness's "nothing listens here" port).

use std::path::PathBuf;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use notary_client::changelist::{Action, Change, ChangeData, ChangeType, Changelist, DelegationData};
use notary_tuf::metadata::FileMeta;
use notary_tuf::{KeyId, KeyType, PublicKey};

const GUN: &str = "example.com/interop/repo";
const KEY_ID: &str = "c52c23dcc3f6cb6742b554e625bb03c572acbb75a273d3facdbfb7cd83f5ebc3";
const KEY_PUBLIC: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ2N7L9/VXGYjjiqXKPJ8dFm1fTiLTPjONxFbzkuJkM1qHTrt5uXpwtXmQd0So+0gs8URSPhDRjiZbgNzuDI2eg==";

/// A scratch trust directory, removed on drop.
struct Trust(PathBuf);

impl Trust {
    fn new(test: &str) -> Trust {
        let dir = std::env::temp_dir().join(format!("notary-client-go-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Trust(dir)
    }

    /// Runs `notary -d <trust> <args>` (local commands only) and returns its stdout.
    fn notary(&self, args: &[&str]) -> String {
        notary_testkit::notary_offline(&self.0.join("trust"), args).stdout()
    }

    fn changelist(&self) -> Changelist {
        Changelist::open(self.0.join("trust/tuf").join(GUN).join("changelist")).unwrap()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Trust {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn public_key_pem() -> String {
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n",
        &KEY_PUBLIC[..64],
        &KEY_PUBLIC[64..]
    )
}

/// `(action, scope, type, path)` of each row of `notary status`.
fn status_rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .map(|line| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|fields| fields.first().is_some_and(|f| f.parse::<usize>().is_ok()))
        .map(|fields| fields[1..].to_vec())
        .collect()
}

fn row(change: &Change) -> Vec<String> {
    [
        change.action().as_str(),
        change.scope(),
        change.change_type().as_str(),
        change.path(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .map(str::to_owned)
    .collect()
}

#[test]
fn changes_staged_by_go_round_trip_byte_for_byte() {
    let trust = Trust::new("go-stages");
    trust.write("target.txt", b"hello world\n");
    trust.write("custom.json", br#"{ "b": 1, "a": "x<y&z" }"#);
    trust.write("key.pem", public_key_pem().as_bytes());
    let sha256 = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
    let commands: &[&[&str]] = &[
        &["add", GUN, "t1", "target.txt"],
        &[
            "add",
            GUN,
            "a<b&c>",
            "target.txt",
            "--custom",
            "custom.json",
            "-r",
            "targets/releases",
        ],
        &["addhash", GUN, "t2", "12", "--sha256", sha256],
        &["remove", GUN, "t0"],
        &["delegation", "add", GUN, "targets/releases", "key.pem", "--all-paths"],
        &[
            "delegation",
            "add",
            GUN,
            "targets/qa",
            "key.pem",
            "--paths",
            "qa/",
            "--paths",
            "tmp/",
        ],
        &["delegation", "remove", GUN, "targets/releases", "--paths", "a/"],
        &["delegation", "remove", GUN, "targets/releases", KEY_ID],
        &["delegation", "remove", GUN, "targets/releases", "--all-paths"],
        &["delegation", "remove", GUN, "targets/old", "-y"],
        &["delegation", "purge", GUN, "--key", KEY_ID],
        &["witness", GUN, "targets"],
    ];
    for args in commands {
        trust.notary(args);
    }

    let changelist = trust.changelist();
    let staged = changelist.list().unwrap();
    assert_eq!(
        staged.len(),
        commands.len() + 2,
        "two delegation adds make two changes each"
    );
    for s in &staged {
        let file = std::fs::read(changelist.dir().join(&s.file_name)).unwrap();
        assert_eq!(s.change.to_bytes(), file, "{:?}", s.file_name);
        assert!(!matches!(s.change.data(), ChangeData::Opaque(_)), "{:?}", s.change);
        let has_custom = matches!(s.change.data(), ChangeData::Target(FileMeta { custom: Some(_), .. }));
        if !has_custom {
            assert_eq!(
                s.change.data().to_json().as_deref(),
                s.change.data_json(),
                "{:?}",
                s.file_name
            );
        }
    }

    let changes: Vec<&Change> = staged.iter().map(|s| &s.change).collect();
    assert_eq!(
        changes[0],
        &Change::target_create("targets", "t1", FileMeta::of_bytes(b"hello world\n"))
    );
    assert_eq!(changes[1].path(), "a<b&c>");
    let ChangeData::Target(meta) = changes[2].data() else {
        panic!("{:?}", changes[2])
    };
    assert_eq!((meta.length, meta.sha256().map(|h| h.len())), (12, Some(32)));
    assert_eq!(changes[3], &Change::target_delete("targets", "t0"));
    let ChangeData::Delegation(add) = changes[4].data() else {
        panic!("{:?}", changes[4])
    };
    assert_eq!(
        add.add_keys
            .iter()
            .map(|k| k.key_id().as_str().to_owned())
            .collect::<Vec<_>>(),
        [KEY_ID]
    );
    let ChangeData::Delegation(paths) = changes[7].data() else {
        panic!("{:?}", changes[7])
    };
    assert_eq!(paths.add_paths, ["qa/", "tmp/"]);
    assert_eq!(changes.last().unwrap(), &&Change::witness("targets"));
}

#[test]
fn go_reads_changes_staged_by_us() {
    let trust = Trust::new("we-stage");
    trust.notary(&["status", GUN]); // Go creates the changelist directory here
    let changelist = trust.changelist();
    let key = PublicKey::new(KeyType::Ecdsa, STANDARD.decode(KEY_PUBLIC).unwrap());
    let ours = [
        Change::target_create("targets", "v1", FileMeta::of_bytes(b"v1")),
        Change::target_delete("targets/releases", "v0"),
        Change::delegation(
            Action::Create,
            "targets/releases",
            DelegationData {
                threshold: 1,
                add_keys: vec![key],
                add_paths: vec!["rel/".to_owned()],
                ..DelegationData::default()
            },
        ),
        Change::witness("targets"),
        Change::delegation(
            Action::Update,
            "targets/*",
            DelegationData {
                remove_keys: vec![KeyId::new(KEY_ID)],
                ..DelegationData::default()
            },
        ),
    ];
    for change in &ours {
        changelist.add(change, SystemTime::now()).unwrap();
    }
    let expected: Vec<Vec<String>> = ours.iter().map(row).collect();
    assert_eq!(status_rows(&trust.notary(&["status", GUN])), expected);

    // Go's `reset -n` uses the same numbering.
    trust.notary(&["reset", GUN, "-n", "1"]);
    let left: Vec<Change> = changelist.list().unwrap().into_iter().map(|s| s.change).collect();
    assert_eq!(
        left,
        [ours[0].clone(), ours[2].clone(), ours[3].clone(), ours[4].clone()]
    );

    // Go stages after us; both orders agree.
    trust.write("v2.txt", b"v2");
    trust.notary(&["add", GUN, "v2", "v2.txt"]);
    let last = changelist.list().unwrap().pop().unwrap().change;
    assert_eq!(
        (last.action(), last.change_type(), last.path()),
        (&Action::Create, &ChangeType::Target, "v2")
    );
    assert_eq!(status_rows(&trust.notary(&["status", GUN])).len(), 5);

    trust.notary(&["reset", GUN, "--all"]);
    assert!(changelist.list().unwrap().is_empty());
}
