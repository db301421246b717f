//! The real Go `notary` CLI and the real Docker CLI against our server binary: the shared interop
//! scenarios (`shared/interop/*-scenario.sh`) must pass completely, over HTTPS and plain HTTP.

use std::path::Path;
use std::process::Command;

use notary_testkit::WorkDir;
use notary_testkit::pki::TestPki;
use notary_testkit::server::ServerProcess;

fn our_server(work: &WorkDir, tls: Option<&TestPki>) -> ServerProcess {
    let db = work.path("db.sqlite");
    let tls = tls.map_or(String::new(), |pki| {
        format!(
            r#","tls_cert_file":"{}","tls_key_file":"{}""#,
            pki.server_cert.display(),
            pki.server_key.display()
        )
    });
    let config = work.write(
        "server.json",
        format!(
            r#"{{"server":{{"http_addr":"127.0.0.1:0"{tls}}},"trust_service":{{"type":"local"}},
               "storage":{{"backend":"sqlite","db_url":"{}"}},"logging":{{"level":"info"}}}}"#,
            db.display()
        )
        .as_bytes(),
    );
    ServerProcess::start(Path::new(env!("CARGO_BIN_EXE_notary-server")), &config)
}

/// Runs a scenario script and asserts its closing `N passed, 0 failed` line.
fn scenario(script: &str, url: &str, env: &[(&str, &str)], expect_passed: usize) {
    let mut command = Command::new("bash");
    command.arg(notary_testkit::interop_script(script)).arg(url);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    assert_eq!(
        summary,
        format!("{expect_passed} passed, 0 failed"),
        "{script} against {url}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{script} against {url}: {summary}");
}

#[test]
fn go_cli_scenario_over_https() {
    let work = WorkDir::new("interop-https");
    let pki = TestPki::generate(&work.path("tls"));
    let server = our_server(&work, Some(&pki));
    assert!(server.url().starts_with("https://"));
    let ca = pki.ca_cert.display().to_string();
    scenario("notary-cli-scenario.sh", server.url(), &[("INTEROP_CA_CERT", &ca)], 80);
    drop(server);
    work.done();
}

#[test]
fn go_cli_scenario_over_http() {
    let work = WorkDir::new("interop-http");
    let server = our_server(&work, None);
    scenario("notary-cli-scenario.sh", server.url(), &[], 80);
    drop(server);
    work.done();
}

#[test]
fn docker_trust_scenario_with_registry() {
    let work = WorkDir::new("interop-docker");
    let pki = TestPki::generate(&work.path("tls"));
    let server = our_server(&work, Some(&pki));
    let registry_dir = work.path("registry");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Command::new("bash")
        .arg(notary_testkit::interop_script("start-registry.sh"))
        .arg(&registry_dir)
        .arg(port.to_string())
        .output()
        .unwrap();
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let registry = format!("127.0.0.1:{port}");
    let ca = pki.ca_cert.display().to_string();
    let result = std::panic::catch_unwind(|| {
        scenario(
            "docker-trust-scenario.sh",
            server.url(),
            &[("INTEROP_CA_CERT", &ca), ("INTEROP_REGISTRY", &registry)],
            41,
        )
    });
    let _ = Command::new("bash")
        .arg(notary_testkit::interop_script("stop-reference-server.sh"))
        .arg(&registry_dir)
        .output();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    drop(server);
    work.done();
}
