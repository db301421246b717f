//! The shared Go CLI scenario (`shared/interop/notary-cli-scenario.sh`, 80 steps) run with OUR
//! `notary` binary (`NOTARY_BIN`) against the real Go notary-server and against ours.

use std::process::Command;

use notary_testkit::pki::TestPki;
use notary_testkit::{GoServer, WorkDir};

use crate::support::{OurServer, ours};

/// Runs the scenario with our CLI and asserts its closing `80 passed, 0 failed` line.
fn scenario(url: &str, ca: Option<&std::path::Path>) {
    let mut command = Command::new("bash");
    command
        .arg(notary_testkit::interop_script("notary-cli-scenario.sh"))
        .arg(url)
        .env("NOTARY_BIN", ours());
    if let Some(ca) = ca {
        command.env("INTEROP_CA_CERT", ca);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    assert_eq!(
        summary,
        "80 passed, 0 failed",
        "scenario against {url}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("notary-cli-scenario.sh with our CLI against {url}: {summary}");
}

#[test]
fn our_cli_passes_the_go_scenario_against_the_go_server() {
    let server = GoServer::acquire();
    scenario(server.url(), Some(server.ca()));
}

#[test]
fn our_cli_passes_the_go_scenario_against_our_server_over_https() {
    let work = WorkDir::new("cli-scenario-ours");
    let pki = TestPki::generate(&work.path("pki"));
    let server = OurServer::start(&work, Some(&pki));
    scenario(server.url(), Some(&pki.ca_cert));
    drop(server);
    work.done();
}

#[test]
fn our_cli_passes_the_go_scenario_against_our_server_over_http() {
    let work = WorkDir::new("cli-scenario-ours-http");
    let server = OurServer::start(&work, None);
    scenario(server.url(), None);
    drop(server);
    work.done();
}
