//! Error classes and offline behaviour of our CLI against our server (in-process): each class
//! has its own message, exit status 1, and the `* fatal:` line on stdout as in Go.

use notary_testkit::WorkDir;

use crate::support::{OurServer, fails, ok, ours, run};

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
