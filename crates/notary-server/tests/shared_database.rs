//! Two servers on one PostgreSQL database: a publish through one is served by the other at once
//! (no server keeps stale metadata in memory while others write the database).

use notary_testkit::http;
use notary_testkit::postgres::TestDatabase;
use notary_testkit::server::ServerProcess;

use crate::support::{ServerRepo, SnapshotKey};

#[test]
fn a_publish_through_one_server_is_served_by_the_other() {
    let db = TestDatabase::create("shared_db");
    let work = notary_testkit::WorkDir::new("shared-db");
    let config = work.write(
        "server.json",
        format!(
            r#"{{"server":{{"http_addr":"127.0.0.1:0"}},"trust_service":{{"type":"local"}},
               "storage":{{"backend":"postgres","db_url":"{}"}},"logging":{{"level":"info"}}}}"#,
            db.url()
        )
        .as_bytes(),
    );
    // Both servers must open the same sealed keys: one shared passphrase.
    let env = [(notary_server::server::PASSPHRASE_ENV, "shared-test-secret")];
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_notary-server"));
    let one = ServerProcess::start_with(binary, &config, &env);
    let two = ServerProcess::start_with(binary, &config, &env);
    let gun = "example.com/shared/db";
    let mut repo = ServerRepo::init_at(one.addr(), gun, SnapshotKey::Server);
    let timestamp = format!("/v2/{gun}/_trust/tuf/timestamp.json");
    let targets_path = format!("/v2/{gun}/_trust/tuf/targets.json");
    // Warm server two's view, then publish through server one.
    assert_eq!(
        http::get(two.addr(), &timestamp).body,
        http::get(one.addr(), &timestamp).body
    );
    let targets = repo.add_target("v2", b"two");
    assert_eq!(http::upload(one.addr(), gun, &[("targets", &targets)]).status, 200);
    let served_by_one = http::get(one.addr(), &timestamp).body;
    assert_eq!(
        http::get(two.addr(), &timestamp).body,
        served_by_one,
        "server two served a stale timestamp"
    );
    assert_eq!(http::get(two.addr(), &targets_path).body, targets);
    // The other way round: server two signs with the server-held keys server one created.
    let targets = repo.add_target("v3", b"three");
    let response = http::upload(two.addr(), gun, &[("targets", &targets)]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(http::get(one.addr(), &targets_path).body, targets);
    drop((one, two));
    work.done();
}
