//! Scale-out on one PostgreSQL database: three server processes, eight publishers racing on one
//! GUN through different servers. The database decides every race (one upload per version wins,
//! the others get 400 `VERSION`), and afterwards the servers agree: versions 1..N exist exactly
//! once, the Go CLI lists exactly the winners' targets, and every server serves the same
//! timestamp. Holds whether or not servers cache current metadata.

use std::sync::{Barrier, Mutex};

use notary_testkit::http;
use notary_testkit::postgres::TestDatabase;
use notary_testkit::server::ServerProcess;
use notary_testkit::tuf::parse;
use notary_tuf::metadata::{FileMeta, Snapshot, Targets, Timestamp};

use crate::shared_database::start_servers;
use crate::support::{ServerRepo, SnapshotKey, sha256_hex};

const SERVERS: usize = 3;
const PUBLISHERS: usize = 8;
const ROUNDS: usize = 5;
const GUN: &str = "example.com/scale/out";

/// What one publish attempt came to.
#[derive(Debug)]
enum Outcome {
    /// 200: this upload is version `version`, adding `target`.
    Won { version: i64, target: String },
    /// 400 `VERSION`: another publisher took the version first.
    Lost,
}

#[test]
fn three_servers_eight_publishers_one_gun() {
    let db = TestDatabase::create("scale_out");
    let work = notary_testkit::WorkDir::new("scale-out");
    let servers = start_servers(&work, db.url(), SERVERS);
    let addrs: Vec<&str> = servers.iter().map(ServerProcess::addr).collect();
    // Client-held snapshot key: every publish uploads targets and snapshot, both version-checked.
    let repo = ServerRepo::init_at(addrs[0], GUN, SnapshotKey::Client);
    // The stored root's bytes (signing again would give other bytes: ECDSA signatures vary).
    let root_file = http::get(addrs[0], &format!("/v2/{GUN}/_trust/tuf/root.json")).body;

    let barrier = Barrier::new(PUBLISHERS);
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for publisher in 0..PUBLISHERS {
            let (repo, root_file, addrs, barrier, outcomes) = (&repo, &root_file, &addrs, &barrier, &outcomes);
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    // Every round starts together, so publishers really race for the same version.
                    barrier.wait();
                    let read_from = addrs[(publisher + round) % SERVERS];
                    let upload_to = addrs[(publisher + round + 1) % SERVERS];
                    let target = format!("p{publisher}-r{round}");
                    let outcome = publish_once(repo, root_file, read_from, upload_to, &target);
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap();
    assert_eq!(outcomes.len(), PUBLISHERS * ROUNDS);
    let mut winners: Vec<(i64, String)> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Won { version, target } => Some((*version, target.clone())),
            Outcome::Lost => None,
        })
        .collect();
    winners.sort();
    let losses = outcomes.len() - winners.len();
    println!(
        "{} publish attempts: {} won, {losses} lost a version race",
        outcomes.len(),
        winners.len()
    );
    assert!(!winners.is_empty(), "no publish won");
    let newest = 1 + winners.len() as i64;
    let won_versions: Vec<i64> = winners.iter().map(|(version, _)| *version).collect();
    assert_eq!(won_versions, (2..=newest).collect::<Vec<_>>(), "one winner per version");

    // The database: targets and snapshot versions 1..N, each exactly once; the timestamp's chain
    // complete too, its newest naming the newest snapshot, which names the newest targets.
    for role in ["targets", "snapshot"] {
        assert_eq!(
            versions_in_db(&db, role),
            (1..=newest).map(|v| (v, 1)).collect::<Vec<_>>(),
            "{role} versions in tuf_files"
        );
    }
    let timestamps = versions_in_db(&db, "timestamp");
    assert!(
        timestamps
            .iter()
            .enumerate()
            .all(|(i, (v, n))| *v == i as i64 + 1 && *n == 1),
        "timestamp versions in tuf_files: {timestamps:?}"
    );
    let newest_targets = db_file(&db, "targets", newest);
    let newest_snapshot = db_file(&db, "snapshot", newest);
    let snapshot = parse::<Snapshot>(&newest_snapshot);
    assert_eq!(snapshot.body().meta["targets"], FileMeta::of_bytes(&newest_targets));
    let timestamp_version = timestamps.last().unwrap().0;
    let timestamp = parse::<Timestamp>(&db_file(&db, "timestamp", timestamp_version));
    assert_eq!(timestamp.body().meta["snapshot"], FileMeta::of_bytes(&newest_snapshot));

    // Every server serves the same (newest) timestamp and targets.
    let path = |role: &str| format!("/v2/{GUN}/_trust/tuf/{role}.json");
    let served: Vec<Vec<u8>> = addrs
        .iter()
        .map(|addr| {
            let response = http::get(addr, &path("timestamp"));
            assert_eq!(response.status, 200, "{addr}: {}", response.text());
            response.body
        })
        .collect();
    assert!(
        served.iter().all(|body| *body == served[0]),
        "servers disagree on timestamp.json"
    );
    assert_eq!(parse::<Timestamp>(&served[0]).body().version, timestamp_version);
    for addr in &addrs {
        assert_eq!(
            http::get(addr, &path("targets")).body,
            newest_targets,
            "{addr} targets.json"
        );
    }

    // The Go CLI, trusting on first use from a fresh trust dir, lists exactly v1 and the winners.
    let listed = go_cli_list(&work, servers[2].url());
    let mut expected: Vec<String> = winners.into_iter().map(|(_, target)| target).collect();
    expected.push("v1".into());
    expected.sort();
    assert_eq!(listed, expected, "notary list {GUN}");

    drop(servers);
    work.done();
}

/// Reads the current targets from `read_from`, adds `target` as the next version (targets and
/// a snapshot over them and `root_file`), and uploads to `upload_to`.
fn publish_once(repo: &ServerRepo, root_file: &[u8], read_from: &str, upload_to: &str, target: &str) -> Outcome {
    let current = http::get(read_from, &format!("/v2/{GUN}/_trust/tuf/targets.json"));
    assert_eq!(current.status, 200, "{read_from}: {}", current.text());
    let mut targets: Targets = parse::<Targets>(&current.body).body().clone();
    targets
        .targets
        .insert(target.into(), FileMeta::of_bytes(target.as_bytes()));
    targets.version += 1;
    let version = targets.version;
    let targets_file = repo.sign_targets(targets);
    // Every publish bumps targets and snapshot together, so their versions stay equal.
    let snapshot_file = repo.snapshot_file(&[("root", root_file), ("targets", &targets_file)], version);
    let response = http::upload(
        upload_to,
        GUN,
        &[("targets", &targets_file), ("snapshot", &snapshot_file)],
    );
    match response.status {
        200 => Outcome::Won {
            version,
            target: target.into(),
        },
        400 if response.json()["errors"][0]["code"] == "VERSION" => Outcome::Lost,
        status => panic!(
            "upload of {target} (version {version}) to {upload_to}: {status} {}",
            response.text()
        ),
    }
}

/// `(version, rows)` of `role` for the GUN in `tuf_files`, by version.
fn versions_in_db(db: &TestDatabase, role: &str) -> Vec<(i64, i64)> {
    db.query(&format!(
        "SELECT version, count(*) FROM tuf_files WHERE gun = '{GUN}' AND role = '{role}' \
         GROUP BY version ORDER BY version"
    ))
    .lines()
    .map(|line| {
        let (version, count) = line.split_once('|').unwrap();
        (version.parse().unwrap(), count.parse().unwrap())
    })
    .collect()
}

/// The stored bytes of `role` version `version`; checks the row's `sha256` column on the way.
fn db_file(db: &TestDatabase, role: &str, version: i64) -> Vec<u8> {
    let row = db.query(&format!(
        "SELECT encode(data, 'hex'), sha256 FROM tuf_files WHERE gun = '{GUN}' AND role = '{role}' \
         AND version = {version}"
    ));
    let (data, sha256) = row.trim().split_once('|').unwrap();
    let data = hex::decode(data).unwrap();
    assert_eq!(sha256, sha256_hex(&data), "sha256 column of {role} {version}");
    data
}

/// `notary -s URL -d <fresh dir> list GUN`: the target names, sorted.
fn go_cli_list(work: &notary_testkit::WorkDir, url: &str) -> Vec<String> {
    let trust = work.path("fresh-trust");
    let output = notary_testkit::notary_offline(&trust, &["-s", url, "list", GUN]).stdout();
    // A header, a dashed rule, then one `NAME DIGEST SIZE ROLE` row per target.
    let mut names: Vec<String> = output
        .lines()
        .skip_while(|line| !line.starts_with("---"))
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}
