//! Interchange with the Go `notary` CLI (from PATH): both clients work in the SAME trust
//! directory (keys, TUF cache, changelist), publish what the other staged, import the keys the
//! other exported, and print byte-identical tables for the same collection. Every scenario
//! runs against the real Go notary-server and against ours (in-process, HTTPS).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use notary_testkit::pki::TestPki;
use notary_testkit::{GoServer, WorkDir};

use crate::support::{OurServer, fails, ok, ours, run};

/// `hello\n`: its SHA-256 (computed with `sha256sum`) and length.
const HELLO: (&[u8], &str) = (
    b"hello\n",
    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
);
/// `world\n`.
const WORLD: (&[u8], &str) = (
    b"world\n",
    "e258d248fda94c63753607f7c4494ee0fcbe92f1a76bfdac795c9d84101eb317",
);
/// `third\n`.
const THIRD: (&[u8], &str) = (
    b"third\n",
    "5eef8098ed6ec0a16249fc7c12422027fc9fd75b16130cc9382cf09102014796",
);
/// `fourth\n`.
const FOURTH: (&[u8], &str) = (
    b"fourth\n",
    "623ce79a89d04cf86243b0755848db665fe7d8e814b7b463498238de756e3569",
);

/// Which client runs a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cli {
    Go,
    Ours,
}

impl Cli {
    fn binary(self) -> PathBuf {
        match self {
            Cli::Go => PathBuf::from("notary"),
            Cli::Ours => ours(),
        }
    }

    fn other(self) -> Cli {
        match self {
            Cli::Go => Cli::Ours,
            Cli::Ours => Cli::Go,
        }
    }
}

/// One scenario's work dir and server.
struct Peers<'a> {
    work: &'a WorkDir,
    url: &'a str,
    ca: &'a Path,
}

impl Peers<'_> {
    /// `cli -c {} -d <work>/<trust> -s url --tlscacert ca args…`.
    fn run(&self, cli: Cli, trust: &str, args: &[&str]) -> Output {
        run(&cli.binary(), self.work, trust, Some((self.url, Some(self.ca))), args)
    }

    /// Stdout of a successful run.
    fn ok(&self, cli: Cli, trust: &str, args: &[&str]) -> String {
        let out = self.run(cli, trust, args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let stdout = ok(out);
        eprintln!("{cli:?} {trust} {args:?}:\n{stdout}{stderr}");
        stdout
    }

    /// Runs `args` with both clients in the same trust dir; asserts identical stdout.
    fn same(&self, trust: &str, args: &[&str]) -> String {
        let go = self.ok(Cli::Go, trust, args);
        let rs = self.ok(Cli::Ours, trust, args);
        assert_eq!(rs, go, "stdout of `{}` differs (left: ours, right: Go)", args.join(" "));
        go
    }

    /// `verify -i file gun name` passes the content through unchanged.
    fn verifies(&self, cli: Cli, trust: &str, gun: &str, name: &str, content: &[u8]) {
        let file = self
            .work
            .write(&format!("verify-{}.in", name.replace('/', "_")), content);
        let out = self.run(cli, trust, &["verify", "-i", file.to_str().unwrap(), gun, name]);
        assert_eq!(
            out.stdout,
            content,
            "{cli:?} verify {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ok(out);
    }

    /// `verify` of the wrong content fails.
    fn rejects(&self, cli: Cli, trust: &str, gun: &str, name: &str, content: &[u8]) {
        let file = self
            .work
            .write(&format!("reject-{}.in", name.replace('/', "_")), content);
        let text = fails(self.run(cli, trust, &["verify", "-i", file.to_str().unwrap(), gun, name]));
        assert!(
            text.contains("checksum for") && text.contains("did not match"),
            "{text}"
        );
    }

    /// A file in the work dir, as an argument.
    fn file(&self, name: &str, content: &[u8]) -> String {
        self.work.write(name, content).to_str().unwrap().to_owned()
    }

    /// `key list` of a trust dir with its location column (`…<tail of the work dir>/<trust>/private`)
    /// made independent of the trust dir's name (use names of equal length).
    fn key_list(&self, cli: Cli, trust: &str) -> String {
        self.ok(cli, trust, &["key", "list"])
            .replace(&format!("/{trust}/private\n"), "/<trust>/private\n")
    }

    /// `openssl args…` in the work dir.
    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(self.work.path(""))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Delegation material made by openssl: `<name>.key` (PKCS#8 P-256, unencrypted) and
    /// `<name>.crt` (a self-signed certificate) or `<name>.pub` (a PUBLIC KEY PEM).
    fn delegation_key(&self, name: &str, cert: bool) -> (String, String) {
        let key = format!("{name}.key");
        self.openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ]);
        let public = if cert {
            let crt = format!("{name}.crt");
            let subject = format!("/CN={name}");
            self.openssl(&[
                "req", "-new", "-x509", "-key", &key, "-out", &crt, "-days", "3650", "-subj", &subject,
            ]);
            crt
        } else {
            let public = format!("{name}.pub");
            self.openssl(&["pkey", "-in", &key, "-pubout", "-out", &public]);
            public
        };
        let path = |f: &str| self.work.path(f).to_str().unwrap().to_owned();
        (path(&key), path(&public))
    }
}

/// The `list` row of a target in the base targets role, as Go prints it (name column 4 wide).
fn row(name: &str, (content, digest): (&[u8], &str), role: &str) -> String {
    format!("{name:<4}    {digest}    {:<12}    {role}", content.len())
}

fn clean(gun: &str) -> String {
    format!("No unpublished changes for {gun}\n")
}

/// Scenario 1 (`first` = Go) and 2 (`first` = ours): `first` inits and publishes, the other adds
/// and publishes in the same trust dir, `first` lists and verifies both.
fn publish_on_top(p: &Peers<'_>, first: Cli) {
    let second = first.other();
    let gun = p.work.gun_under("example.com/ic/ontop");
    let (a, b) = (p.file("a.txt", HELLO.0), p.file("b.txt", WORLD.0));
    p.ok(first, "t", &["init", "-p", &gun]);
    p.ok(first, "t", &["add", "-p", &gun, "a", &a]);
    p.ok(second, "t", &["add", "-p", &gun, "b", &b]);

    let list = p.same("t", &["list", &gun]);
    assert_eq!(
        list,
        format!(
            "NAME    DIGEST{:62}SIZE (BYTES)    ROLE\n----    ------{:62}------------    ----\n{}\n{}\n",
            "",
            "",
            row("a", HELLO, "targets"),
            row("b", WORLD, "targets")
        )
    );
    p.verifies(first, "t", &gun, "a", HELLO.0);
    p.verifies(first, "t", &gun, "b", WORLD.0);
    p.rejects(first, "t", &gun, "b", HELLO.0);
    assert_eq!(p.same("t", &["status", &gun]), clean(&gun));
    // A fresh trust dir of the first client trusts what the second one signed.
    p.verifies(first, "fresh", &gun, "b", WORLD.0);
    assert_eq!(p.ok(first, "fresh", &["list", &gun]), list);
}

/// Scenario 3: changes staged by `stager` (`add` without -p, `delegation add`, `remove`, an
/// `add --roles` to a delegation) are published by the other client.
fn staged_elsewhere(p: &Peers<'_>, stager: Cli) {
    let publisher = stager.other();
    let gun = p.work.gun_under("example.com/ic/staged");
    let (old, new) = (p.file("old.txt", HELLO.0), p.file("new.txt", WORLD.0));
    let (d1_key, d1_crt) = p.delegation_key("d1", true);
    let (d2_key, d2_pub) = p.delegation_key("d2", false);
    p.ok(publisher, "t", &["init", "-p", &gun]);
    p.ok(publisher, "t", &["add", "-p", &gun, "old", &old]);

    // Round 1: targets and delegations in the base role.
    p.ok(stager, "t", &["add", &gun, "new", &new]);
    p.ok(
        stager,
        "t",
        &["delegation", "add", &gun, "targets/one", &d1_crt, "--paths", "p1/"],
    );
    p.ok(
        stager,
        "t",
        &["delegation", "add", &gun, "targets/two", &d2_pub, "--all-paths"],
    );
    p.ok(stager, "t", &["remove", &gun, "old"]);
    let status = p.same("t", &["status", &gun]);
    assert!(
        status.starts_with(&format!("Unpublished changes for {gun}:\n")),
        "{status}"
    );
    assert_eq!(status.matches("    delegation    ").count(), 4, "{status}");
    assert_eq!(status.lines().count(), 4 + 6, "{status}");
    p.ok(publisher, "t", &["publish", &gun]);
    assert_eq!(p.same("t", &["status", &gun]), clean(&gun));
    let list = p.same("t", &["list", &gun]);
    assert!(list.contains(&row("new", WORLD, "targets")), "{list}");
    assert!(!list.contains("old "), "{list}");
    let delegations = p.same("t", &["delegation", "list", &gun]);
    assert!(delegations.contains("targets/one    p1/"), "{delegations}");
    assert!(delegations.contains("targets/two    \"\" <all paths>"), "{delegations}");

    // Round 2: targets in the delegations, signed with keys each client imported.
    p.ok(stager, "t", &["key", "import", &d1_key, "--role", "targets/one"]);
    p.ok(publisher, "t", &["key", "import", &d2_key, "--role", "targets/two"]);
    let (x, y) = (p.file("x.txt", THIRD.0), p.file("y.txt", FOURTH.0));
    p.ok(stager, "t", &["add", &gun, "p1/x", &x, "--roles", "targets/one"]);
    p.ok(stager, "t", &["add", &gun, "y", &y, "--roles", "targets/two"]);
    p.same("t", &["status", &gun]);
    p.ok(publisher, "t", &["publish", &gun]);
    assert_eq!(p.same("t", &["status", &gun]), clean(&gun));
    let one = p.same("t", &["list", &gun, "--roles", "targets/one"]);
    assert!(one.contains(&row("p1/x", THIRD, "targets/one")), "{one}");
    let two = p.same("t", &["list", &gun, "--roles", "targets/two"]);
    assert!(two.contains(&row("y", FOURTH, "targets/two")), "{two}");
    for cli in [Cli::Go, Cli::Ours] {
        p.verifies(cli, "t", &gun, "p1/x", THIRD.0);
        p.verifies(cli, "t", &gun, "y", FOURTH.0);
        p.verifies(cli, "fresh", &gun, "new", WORLD.0);
    }
}

/// Scenario 4: `exporter` inits and publishes, exports all its keys; the other client imports
/// them into a fresh trust dir (same `key list`), publishes a target with them, and exports them
/// again for the exporter's own fresh dir, which publishes once more.
fn keys_travel(p: &Peers<'_>, exporter: Cli) {
    let importer = exporter.other();
    let gun = p.work.gun_under("example.com/ic/keys");
    p.ok(exporter, "src", &["init", "-p", &gun]);
    p.ok(exporter, "src", &["add", "-p", &gun, "a", &p.file("a.txt", HELLO.0)]);
    let exported = p.work.path("exported.pem").to_str().unwrap().to_owned();
    p.ok(exporter, "src", &["key", "export", "-o", &exported]);
    let pem = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(pem.matches("-----BEGIN ENCRYPTED PRIVATE KEY-----").count(), 3, "{pem}");

    p.ok(importer, "dst", &["key", "import", &exported]);
    let keys = p.key_list(exporter, "src");
    assert_eq!(keys.matches("/<trust>/private\n").count(), 3, "{keys}");
    assert_eq!(p.key_list(importer, "dst"), keys);
    assert_eq!(p.key_list(exporter, "dst"), keys);
    p.ok(importer, "dst", &["add", "-p", &gun, "b", &p.file("b.txt", WORLD.0)]);

    // And back, through the importer's export of the keys it imported: the same PEM blocks and
    // headers, in the same order, as the exporter writes for that trust dir.
    let again = p.work.path("again.pem").to_str().unwrap().to_owned();
    p.ok(importer, "dst", &["key", "export", "-o", &again, "--gun", &gun]);
    let check = p.work.path("check.pem").to_str().unwrap().to_owned();
    p.ok(exporter, "dst", &["key", "export", "-o", &check, "--gun", &gun]);
    let headers = |file: &str| {
        let pem = std::fs::read_to_string(file).unwrap();
        pem.lines()
            .filter(|l| l.starts_with("-----") || l.contains(": "))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(headers(&again), headers(&check));
    assert_eq!(headers(&again).len(), 2 * 5, "{:?}", headers(&again));
    p.ok(exporter, "back", &["key", "import", &again]);
    p.ok(exporter, "back", &["add", "-p", &gun, "c", &p.file("c.txt", THIRD.0)]);

    let list = p.same("src", &["list", &gun]);
    for (name, content) in [("a", HELLO), ("b", WORLD), ("c", THIRD)] {
        assert!(list.contains(&row(name, content, "targets")), "{list}");
        p.verifies(exporter, "src", &gun, name, content.0);
    }
}

/// Scenario 5: one collection made by `builder` (targets in the base role and a delegation;
/// delegations from a certificate with paths and from a public key with all paths), and every
/// read command's output from Go and from ours, in the same trust dir and in fresh ones; then
/// changes staged by both, listed and reset by both.
fn same_output(p: &Peers<'_>, builder: Cli) {
    let gun = p.work.gun_under("example.com/ic/output");
    let (d1_key, d1_crt) = p.delegation_key("d1", true);
    let (_, d2_pub) = p.delegation_key("d2", false);
    p.ok(builder, "t", &["init", "-p", &gun]);
    p.ok(builder, "t", &["add", &gun, "a", &p.file("a.txt", HELLO.0)]);
    p.ok(builder, "t", &["add", &gun, "b", &p.file("b.txt", WORLD.0)]);
    let one = [
        "delegation",
        "add",
        &gun,
        "targets/one",
        &d1_crt,
        "--paths",
        "p1/",
        "--paths",
        "p2/",
    ];
    p.ok(builder, "t", &one);
    p.ok(
        Cli::Go,
        "t",
        &["delegation", "add", &gun, "targets/two", &d2_pub, "--all-paths"],
    );
    p.ok(builder, "t", &["key", "import", &d1_key, "--role", "targets/one"]);
    p.ok(builder, "t", &["publish", &gun]);
    p.ok(
        Cli::Go,
        "t",
        &[
            "add",
            "-p",
            &gun,
            "p1/x",
            &p.file("x.txt", THIRD.0),
            "--roles",
            "targets/one",
        ],
    );

    // Ours bootstraps "fresh-rs" from the server; Go then reads our cache there.
    p.ok(Cli::Ours, "fresh-rs", &["list", &gun]);
    for trust in ["t", "fresh-go", "fresh-rs"] {
        let list = p.same(trust, &["list", &gun]);
        assert!(list.contains(&row("a", HELLO, "targets")), "{list}");
        assert!(list.contains(&row("p1/x", THIRD, "targets/one")), "{list}");
        p.same(trust, &["list", &gun, "--roles", "targets/one"]);
        p.same(trust, &["list", &gun, "--roles", "targets/two"]);
        assert_eq!(
            p.same(trust, &["lookup", &gun, "a"]),
            format!("a sha256:{} 6\n", HELLO.1)
        );
        p.same(trust, &["lookup", &gun, "p1/x"]);
        let delegations = p.same(trust, &["delegation", "list", &gun]);
        assert!(delegations.contains("targets/one    p1/ "), "{delegations}");
        assert!(delegations.contains("               p2/ "), "{delegations}");
        assert!(delegations.contains("targets/two    \"\" <all paths>"), "{delegations}");
        assert_eq!(p.same(trust, &["status", &gun]), clean(&gun));
    }
    let keys = p.same("t", &["key", "list"]);
    assert_eq!(keys.lines().count(), 3 + 4 + 1, "{keys}");
    assert!(keys.contains("targets/one"), "{keys}");

    // Staged changes of every kind, listed the same way, then reset by one and seen by the other.
    p.ok(Cli::Go, "t", &["add", &gun, "c", &p.file("c.txt", THIRD.0)]);
    p.ok(Cli::Ours, "t", &["remove", &gun, "b"]);
    p.ok(Cli::Go, "t", &["delegation", "remove", &gun, "targets/two", "-y"]);
    p.ok(
        Cli::Ours,
        "t",
        &[
            "add",
            &gun,
            "p2/y",
            &p.file("y.txt", FOURTH.0),
            "--roles",
            "targets/one",
        ],
    );
    let status = p.same("t", &["status", &gun]);
    assert_eq!(status.lines().count(), 3 + 1 + 4, "{status}");
    p.ok(Cli::Ours, "t", &["reset", &gun, "-n", "0,2"]);
    let status = p.same("t", &["status", &gun]);
    assert_eq!(status.lines().count(), 3 + 1 + 2, "{status}");
    assert!(!status.contains("    c\n") && status.contains("    b\n"), "{status}");
    p.ok(Cli::Go, "t", &["reset", &gun, "--all"]);
    assert_eq!(p.same("t", &["status", &gun]), clean(&gun));
}

/// `scenario` against the shared Go notary-server.
fn on_go_server(name: &str, scenario: impl FnOnce(&Peers<'_>)) {
    let server = GoServer::acquire();
    let work = WorkDir::new(&format!("ic-{name}-go"));
    scenario(&Peers {
        work: &work,
        url: server.url(),
        ca: server.ca(),
    });
    work.done();
}

/// `scenario` against our server over HTTPS.
fn on_our_server(name: &str, scenario: impl FnOnce(&Peers<'_>)) {
    let work = WorkDir::new(&format!("ic-{name}-rs"));
    let pki = TestPki::generate(&work.path("pki"));
    let server = OurServer::start(&work, Some(&pki));
    scenario(&Peers {
        work: &work,
        url: server.url(),
        ca: &pki.ca_cert,
    });
    drop(server);
    work.done();
}

/// One test per server for a scenario.
macro_rules! on_both_servers {
    ($($name:ident => $scenario:expr;)*) => {$(
        mod $name {
            #[test]
            fn go_server() {
                super::on_go_server(stringify!($name), $scenario);
            }

            #[test]
            fn our_server() {
                super::on_our_server(stringify!($name), $scenario);
            }
        }
    )*};
}

on_both_servers! {
    go_publishes_ours_adds => |p: &super::Peers<'_>| super::publish_on_top(p, super::Cli::Go);
    ours_publishes_go_adds => |p: &super::Peers<'_>| super::publish_on_top(p, super::Cli::Ours);
    go_stages_ours_publishes => |p: &super::Peers<'_>| super::staged_elsewhere(p, super::Cli::Go);
    ours_stages_go_publishes => |p: &super::Peers<'_>| super::staged_elsewhere(p, super::Cli::Ours);
    go_exports_ours_imports => |p: &super::Peers<'_>| super::keys_travel(p, super::Cli::Go);
    ours_exports_go_imports => |p: &super::Peers<'_>| super::keys_travel(p, super::Cli::Ours);
    same_output_go_builds => |p: &super::Peers<'_>| super::same_output(p, super::Cli::Go);
    same_output_ours_builds => |p: &super::Peers<'_>| super::same_output(p, super::Cli::Ours);
}
