//! The configuration file (client.md §2) and trust pinning resolution (§3). Expected error texts
//! were produced by the Go `notary` 0.7.0 CLI (`notary -c <file> list <gun>`, Debian package).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use notary_client::config::{
    ClientConfig, ConfigError, ConfigLocation, DEFAULT_SERVER_URL, MAX_CONFIG_SIZE, Overrides, TrustPinningConfig,
    TrustPinningError, read_ca_file,
};
use notary_testkit::tuf::{NOW, TestKey, root_body, sign};
use notary_tuf::cert::CaBundle;
use notary_tuf::verify::{self, Expiry, TrustPinning};
use notary_tuf::{Gun, KeyId};

const HOME: &str = "/home/alice";
const CWD: &str = "/work/project";

fn location(config_flag: Option<&str>) -> ConfigLocation {
    ConfigLocation::new(config_flag.map(Path::new), Some(Path::new(HOME)), Path::new(CWD))
}

fn parse(json: &str) -> ClientConfig {
    ClientConfig::parse(&location(Some("conf/notary.json")), Some(json.as_bytes())).unwrap()
}

fn parse_error(json: &[u8]) -> String {
    ClientConfig::parse(&location(Some("c.json")), Some(json))
        .unwrap_err()
        .to_string()
}

#[test]
fn without_a_file_everything_has_its_default() {
    let loc = location(None);
    assert_eq!(loc.file, Path::new("/home/alice/.notary/config.json"));
    assert!(!loc.required);
    assert!(loc.warnings.is_empty());
    let config = ClientConfig::parse(&loc, None).unwrap();
    assert_eq!(config.trust_dir, Path::new("/home/alice/.notary"));
    assert_eq!(config.remote_server.url, DEFAULT_SERVER_URL);
    assert_eq!(config.remote_server.url, "https://notary-server:4443");
    assert_eq!(config.remote_server.root_ca, None);
    assert_eq!(config.remote_server.client_identity().unwrap(), None);
    assert!(!config.remote_server.skip_tls_verify);
    assert_eq!(config.trust_pinning, TrustPinningConfig::default());
    // `{}` and `null` documents are the same as no file.
    assert_eq!(ClientConfig::parse(&loc, Some(b"{}")).unwrap(), config);
    assert_eq!(ClientConfig::parse(&loc, Some(b"null")).unwrap(), config);
}

#[test]
fn without_home_go_warns_and_uses_the_working_directory() {
    for home in [None, Some(Path::new(""))] {
        let loc = ConfigLocation::new(None, home, Path::new(CWD));
        assert_eq!(
            loc.warnings,
            [
                "cannot get current user home directory: environment variable not set",
                "notary will use /work/project/.notary to store configuration and keys",
            ]
        );
        assert_eq!(loc.file, Path::new("/work/project/.notary/config.json"));
        let config = ClientConfig::parse(&loc, None).unwrap();
        assert_eq!(config.trust_dir, Path::new("/work/project/.notary"));
        // Go expands `~/x` with an empty home: `/x` (observed with HOME= and trust_dir "~/x").
        let config = ClientConfig::parse(&loc, Some(br#"{"trust_dir":"~/x"}"#)).unwrap();
        assert_eq!(config.trust_dir, Path::new("/x"));
    }
}

#[test]
fn the_config_flag_is_relative_to_the_working_directory_and_required() {
    let loc = location(Some("conf/notary.json"));
    assert_eq!(loc.file, Path::new("/work/project/conf/notary.json"));
    assert!(loc.required);
    assert_eq!(location(Some("/etc/n.json")).file, Path::new("/etc/n.json"));
}

#[test]
fn the_documented_example_parses() {
    let config = parse(
        r#"{
          "trust_dir": "~/.docker/trust",
          "remote_server": {
            "url": "https://notary.example.com",
            "root_ca": "root-ca.crt",
            "tls_client_cert": "client.crt",
            "tls_client_key": "/abs/client.key",
            "skipTLSVerify": true
          },
          "trust_pinning": {
            "certs": { "docker.com/notary": ["49cf5c64"], "example.com/*": ["aa", "bb"] },
            "ca": { "example.com/": "ca-bundle.pem" },
            "disable_tofu": true
          }
        }"#,
    );
    assert_eq!(config.trust_dir, Path::new("/home/alice/.docker/trust"));
    let remote = &config.remote_server;
    assert_eq!(remote.url, "https://notary.example.com");
    // TLS files are relative to the configuration file's directory.
    assert_eq!(
        remote.root_ca.as_deref(),
        Some(Path::new("/work/project/conf/root-ca.crt"))
    );
    assert_eq!(
        remote.client_identity().unwrap(),
        Some((Path::new("/work/project/conf/client.crt"), Path::new("/abs/client.key")))
    );
    assert!(remote.skip_tls_verify);
    let pinning = &config.trust_pinning;
    assert_eq!(pinning.certs["docker.com/notary"], ["49cf5c64"]);
    assert_eq!(pinning.certs["example.com/*"], ["aa", "bb"]);
    // CA bundles are relative to the working directory.
    assert_eq!(pinning.ca["example.com/"], Path::new("/work/project/ca-bundle.pem"));
    assert!(pinning.disable_tofu);
}

#[test]
fn member_names_and_pinning_keys_are_case_insensitive() {
    let config = parse(
        r#"{
          "TRUST_DIR": "/t",
          "Remote_Server": { "URL": "http://x:1", "Root_CA": "ca.pem", "SKIPTLSVERIFY": true },
          "Trust_Pinning": {
            "Certs": { "EXAMPLE.COM/*": ["Ab"] },
            "CA": { "Docker.IO/": "b.pem" },
            "Disable_TOFU": true
          }
        }"#,
    );
    assert_eq!(config.trust_dir, Path::new("/t"));
    assert_eq!(config.remote_server.url, "http://x:1");
    assert_eq!(
        config.remote_server.root_ca.as_deref(),
        Some(Path::new("/work/project/conf/ca.pem"))
    );
    assert!(config.remote_server.skip_tls_verify);
    // viper lower-cases map keys, not values (Go: an `EXAMPLE.COM/*` pin applies to
    // `example.com/app`).
    assert_eq!(config.trust_pinning.certs["example.com/*"], ["Ab"]);
    assert_eq!(config.trust_pinning.ca["docker.io/"], Path::new("/work/project/b.pem"));
    assert!(config.trust_pinning.disable_tofu);
}

#[test]
fn trust_dir_paths() {
    let cases = [
        ("~/.docker/trust", "/home/alice/.docker/trust"),
        ("~", "/home/alice"),
        ("relative/trust", "/work/project/relative/trust"),
        ("/abs/trust", "/abs/trust"),
        ("~bob/trust", "/work/project/~bob/trust"),
    ];
    for (given, expected) in cases {
        let config = parse(&format!(r#"{{"trust_dir": "{given}"}}"#));
        assert_eq!(config.trust_dir, Path::new(expected), "{given}");
    }
    // null is unset, as in viper.
    assert_eq!(
        parse(r#"{"trust_dir": null}"#).trust_dir,
        Path::new("/home/alice/.notary")
    );
}

#[test]
fn relative_tls_paths_are_cleaned_against_the_config_directory() {
    let config = parse(r#"{"remote_server": {"root_ca": "../tls/./ca.pem", "url": ""}}"#);
    assert_eq!(
        config.remote_server.root_ca.as_deref(),
        Some(Path::new("/work/project/tls/ca.pem"))
    );
    assert_eq!(
        config.remote_server.url, DEFAULT_SERVER_URL,
        "an empty URL is the default"
    );
}

#[test]
fn booleans_follow_viper() {
    let tofu = |v: &str| {
        parse(&format!(r#"{{"trust_pinning": {{"disable_tofu": {v}}}}}"#))
            .trust_pinning
            .disable_tofu
    };
    assert!(tofu("true"));
    assert!(tofu(r#""true""#), "Go accepts the string \"true\"");
    assert!(tofu(r#""1""#));
    assert!(!tofu("1"), "Go ignores a number (observed: TOFU still on)");
    assert!(!tofu(r#""yes""#));
    assert!(!tofu("false"));
}

#[test]
fn pinned_certs_must_be_arrays_of_strings() {
    for bad in [r#""b""#, r#"["b", 1]"#, "null", r#"{"x": "y"}"#] {
        let json = format!(r#"{{"trust_pinning": {{"certs": {{"a": {bad}}}}}}}"#);
        let err = ClientConfig::parse(&location(None), Some(json.as_bytes())).unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidCertsFormat { ref gun } if gun == "a"),
            "{bad}"
        );
        assert_eq!(err.to_string(), "invalid format for trust_pinning.certs");
    }
    // Go accepts an empty list, and ignores a `certs` that is not a map.
    assert_eq!(
        parse(r#"{"trust_pinning": {"certs": {"a": []}}}"#).trust_pinning.certs["a"],
        Vec::<String>::new()
    );
    assert!(
        parse(r#"{"trust_pinning": {"certs": [1]}}"#)
            .trust_pinning
            .certs
            .is_empty()
    );
}

#[test]
fn parse_errors_are_go_texts() {
    let prefix = "error opening config file: While parsing config: ";
    let cases: [(&[u8], &str); 17] = [
        (b"", "unexpected end of JSON input"),
        (b"{\"a\": 1", "unexpected end of JSON input"),
        (
            b"[1]",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            b"\"x\"\n",
            "json: cannot unmarshal string into Go value of type map[string]interface {}",
        ),
        (
            b"5\n",
            "json: cannot unmarshal number into Go value of type map[string]interface {}",
        ),
        (
            b"true\n",
            "json: cannot unmarshal bool into Go value of type map[string]interface {}",
        ),
        (b"{\"a\": x}\n", "invalid character 'x' looking for beginning of value"),
        (b"{\"a\":1} xx\n", "invalid character 'x' after top-level value"),
        (
            b"\xef\xbb\xbf{}",
            "invalid character '\u{ef}' looking for beginning of value",
        ),
        (
            b"{\"a\":1,}\n",
            "invalid character '}' looking for beginning of object key string",
        ),
        (
            b"{\"a\":tru}\n",
            "invalid character '}' in literal true (expecting 'e')",
        ),
        (b"{\"a\":\"x\ny\"}", "invalid character '\\n' in string literal"),
        (b"{\"a\" 1}\n", "invalid character '1' after object key"),
        (
            b"{\"a\":1 \"b\":2}\n",
            "invalid character '\"' after object key:value pair",
        ),
        (b"{\"a\":[1 2]}\n", "invalid character '2' after array element"),
        (
            b"{\"a\":[1,]}\n",
            "invalid character ']' looking for beginning of value",
        ),
        (b"{\"a\":\"\\q\"}\n", "invalid character 'q' in string escape code"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            parse_error(input),
            format!("{prefix}{expected}"),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(
        parse_error(b"{\n  \"a\": 1,\n  \"b\": -}\n"),
        format!("{prefix}invalid character '}}' in numeric literal")
    );
}

#[test]
fn loading_files() {
    let scratch = Scratch::new("load");
    let home = scratch.0.join("home");
    let cwd = scratch.0.join("cwd");
    std::fs::create_dir_all(home.join(".notary")).unwrap();
    std::fs::create_dir_all(&cwd).unwrap();

    // The default file may be missing; a `-c` file may not.
    let default = ConfigLocation::new(None, Some(&home), &cwd);
    assert_eq!(ClientConfig::load(&default).unwrap().trust_dir, home.join(".notary"));
    let missing = ConfigLocation::new(Some(Path::new("missing.json")), Some(&home), &cwd);
    let err = ClientConfig::load(&missing).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "error opening config file: open {}: no such file or directory",
            cwd.join("missing.json").display()
        )
    );

    // The default file is read when present, and a broken one is fatal.
    std::fs::write(home.join(".notary/config.json"), br#"{"trust_dir": "t"}"#).unwrap();
    assert_eq!(ClientConfig::load(&default).unwrap().trust_dir, cwd.join("t"));
    std::fs::write(home.join(".notary/config.json"), b"").unwrap();
    assert_eq!(
        ClientConfig::load(&default).unwrap_err().to_string(),
        "error opening config file: While parsing config: unexpected end of JSON input"
    );

    // A `-c` file, relative to the CWD, with TLS paths relative to its own directory.
    std::fs::create_dir_all(cwd.join("etc")).unwrap();
    std::fs::write(cwd.join("etc/c.json"), br#"{"remote_server": {"root_ca": "ca.pem"}}"#).unwrap();
    let flag = ConfigLocation::new(Some(Path::new("etc/c.json")), Some(&home), &cwd);
    let config = ClientConfig::load(&flag).unwrap();
    assert_eq!(config.remote_server.root_ca, Some(cwd.join("etc/ca.pem")));

    // Size limit.
    let mut big = b"{\"a\": \"".to_vec();
    big.resize(MAX_CONFIG_SIZE as usize + 10, b'x');
    big.extend_from_slice(b"\"}");
    std::fs::write(cwd.join("etc/c.json"), &big).unwrap();
    assert!(matches!(ClientConfig::load(&flag), Err(ConfigError::TooLarge { .. })));
}

#[test]
fn flags_override_the_file() {
    let mut config = parse(
        r#"{"trust_dir": "/t", "remote_server": {"url": "https://a:1", "root_ca": "ca.pem",
            "tls_client_cert": "c.crt", "tls_client_key": "c.key"}}"#,
    );
    config.apply(&Overrides::default());
    assert_eq!(config.trust_dir, Path::new("/t"));
    let empty = Overrides {
        trust_dir: Some(PathBuf::new()),
        server_url: Some(String::new()),
        ..Overrides::default()
    };
    config.apply(&empty);
    assert_eq!(config.trust_dir, Path::new("/t"), "an empty flag is not given");
    assert_eq!(config.remote_server.url, "https://a:1");

    config.apply(&Overrides {
        trust_dir: Some("trust/../dir".into()),
        server_url: Some("http://127.0.0.1:4443".into()),
        tls_ca_cert: Some("my-ca.pem".into()),
        tls_client_cert: Some("/abs/me.crt".into()),
        tls_client_key: Some("./me.key".into()),
    });
    assert_eq!(config.trust_dir, Path::new("/work/project/dir"));
    assert_eq!(config.remote_server.url, "http://127.0.0.1:4443");
    // TLS flags are relative to the working directory, not to the configuration file.
    assert_eq!(
        config.remote_server.root_ca.as_deref(),
        Some(Path::new("/work/project/my-ca.pem"))
    );
    assert_eq!(
        config.remote_server.client_identity().unwrap(),
        Some((Path::new("/abs/me.crt"), Path::new("/work/project/me.key")))
    );

    config.apply(&Overrides {
        trust_dir: Some("~/trust".into()),
        ..Overrides::default()
    });
    assert_eq!(config.trust_dir, Path::new("/home/alice/trust"));
}

#[test]
fn client_certificate_and_key_go_together() {
    let config = parse(r#"{"remote_server": {"tls_client_cert": "c.crt"}}"#);
    let err = config.remote_server.client_identity().unwrap_err();
    assert_eq!(err.to_string(), "either pass both client key and cert, or neither");
    let config = parse(r#"{"remote_server": {"tls_client_key": "c.key"}}"#);
    assert!(config.remote_server.client_identity().is_err());
}

// ---- trust pinning resolution (client.md §3) ----

fn gun(s: &str) -> Gun {
    s.parse().unwrap()
}

fn ids(list: &[&str]) -> TrustPinning {
    TrustPinning::KeyIds(list.iter().map(|s| KeyId::new(*s)).collect())
}

fn no_file(path: &Path) -> std::io::Result<Vec<u8>> {
    panic!("no CA bundle should be read, asked for {}", path.display())
}

fn pinning(json: &str) -> TrustPinningConfig {
    parse(json).trust_pinning
}

#[test]
fn exact_gun_wins_over_wildcards_and_cas() {
    let config = pinning(
        r#"{"trust_pinning": {
            "certs": {"example.com/app": ["exact"], "example.com/*": ["wild"], "example.com/app*": ["longer"]},
            "ca": {"example.com/": "ca.pem"}}}"#,
    );
    let resolved = config.for_gun(&gun("example.com/app"), false, no_file).unwrap();
    assert_eq!(resolved, ids(&["exact"]));
}

#[test]
fn the_longest_wildcard_wins_over_cas() {
    let config = pinning(
        r#"{"trust_pinning": {
            "certs": {"example.com/*": ["short"], "example.com/app*": ["long"], "other/*": ["x"], "example.com/": ["no star"]},
            "ca": {"example.com/app": "ca.pem"}}}"#,
    );
    assert_eq!(
        config.for_gun(&gun("example.com/app/sub"), false, no_file).unwrap(),
        ids(&["long"])
    );
    assert_eq!(
        config.for_gun(&gun("example.com/other"), false, no_file).unwrap(),
        ids(&["short"])
    );
    // A key without `*` is only an exact GUN, never a prefix.
    let config = pinning(r#"{"trust_pinning": {"certs": {"example.com/": ["no star"]}}}"#);
    assert_eq!(
        config.for_gun(&gun("example.com/app"), true, no_file).unwrap(),
        TrustPinning::TrustOnFirstUse
    );
}

#[test]
fn the_longest_ca_prefix_wins_over_tofu() {
    let a = TestKey::root_with("a", |p| p.extended_key_usages.clear());
    let b = TestKey::root_with("b", |p| p.extended_key_usages.clear());
    let config = pinning(
        r#"{"trust_pinning": {"ca": {"example.com/": "short.pem", "example.com/app": "long.pem", "": "all.pem"},
            "disable_tofu": true}}"#,
    );
    let read = |path: &Path| -> std::io::Result<Vec<u8>> {
        match path.file_name().unwrap().to_str().unwrap() {
            "long.pem" => Ok(a.public.public_bytes().to_vec()),
            "short.pem" => Ok(b.public.public_bytes().to_vec()),
            other => panic!("read {other}"),
        }
    };
    let bundle = |key: &TestKey| TrustPinning::Ca(CaBundle::parse_pem(key.public.public_bytes()).unwrap());
    assert_eq!(
        config.for_gun(&gun("example.com/app1"), false, read).unwrap(),
        bundle(&a)
    );
    assert_eq!(config.for_gun(&gun("example.com/ap"), false, read).unwrap(), bundle(&b));
    // A plain string prefix: "" matches everything.
    let read_all = |path: &Path| -> std::io::Result<Vec<u8>> {
        assert_eq!(path, Path::new("/work/project/all.pem"));
        Ok(a.public.public_bytes().to_vec())
    };
    assert_eq!(
        config.for_gun(&gun("docker.io/x"), false, read_all).unwrap(),
        bundle(&a)
    );
}

#[test]
fn unreadable_ca_bundles_refuse_with_go_reason() {
    let config = pinning(r#"{"trust_pinning": {"ca": {"example.com/": "/nonexistent/ca.pem"}}}"#);
    let err = config.for_gun(&gun("example.com/app"), true, read_ca_file).unwrap_err();
    assert!(matches!(err, TrustPinningError::LoadCa { ref path, .. } if path == Path::new("/nonexistent/ca.pem")));
    assert_eq!(err.to_string(), "could not load root cert from CA path");
    assert_eq!(
        TrustPinning::from(err),
        TrustPinning::Refuse("could not load root cert from CA path".into())
    );
    let not_pem = |_: &Path| Ok(b"not a certificate".to_vec());
    let err = config.for_gun(&gun("example.com/app"), true, not_pem).unwrap_err();
    assert_eq!(err.to_string(), "could not load root cert from CA path");
}

#[test]
fn tofu_unless_disabled_for_a_first_root() {
    let config = pinning(r#"{"trust_pinning": {"certs": {"other/*": ["x"]}}}"#);
    assert_eq!(
        config.for_gun(&gun("example.com/app"), false, no_file).unwrap(),
        TrustPinning::TrustOnFirstUse
    );
    let config = pinning(r#"{"trust_pinning": {"disable_tofu": true}}"#);
    assert_eq!(
        config.for_gun(&gun("example.com/app"), false, no_file).unwrap(),
        TrustPinning::Refuse("invalid trust pinning specified".into())
    );
    // With a trusted root already, Go's checker allows TOFU (rotations are checked against it).
    assert_eq!(
        config.for_gun(&gun("example.com/app"), true, no_file).unwrap(),
        TrustPinning::TrustOnFirstUse
    );
}

/// From a configuration file to `verify_root`: a CA bundle that holds the root certificate itself
/// (an anchor equal to the leaf is a chain) accepts it only when its EKU allows serverAuth.
#[test]
fn ca_pinning_from_a_config_file_through_verify_root() {
    let scratch = Scratch::new("ca");
    const GUN: &str = "example.com/app";
    let plain = TestKey::root_with(GUN, |p| p.extended_key_usages.clear());
    let notary_style = TestKey::root(GUN); // codeSigning EKU
    let (targets, snapshot, timestamp) = (TestKey::ecdsa(), TestKey::ecdsa(), TestKey::ed25519());
    let run = |key: &TestKey| {
        std::fs::write(scratch.0.join("ca.pem"), key.public.public_bytes()).unwrap();
        let loc = ConfigLocation::new(None, Some(&scratch.0), &scratch.0);
        let json = br#"{"trust_pinning": {"ca": {"example.com/": "ca.pem"}, "disable_tofu": true}}"#;
        let config = ClientConfig::parse(&loc, Some(json)).unwrap();
        let pinning = config
            .trust_pinning
            .for_gun(&gun(GUN), false, read_ca_file)
            .unwrap_or_else(TrustPinning::from);
        let body = root_body(
            &[
                (key, "root"),
                (&targets, "targets"),
                (&snapshot, "snapshot"),
                (&timestamp, "timestamp"),
            ],
            1,
        );
        verify::verify_root(sign(body, &[key]), None, &gun(GUN), &pinning, 0, Expiry::Enforce, NOW)
    };
    run(&plain).unwrap();
    assert_eq!(
        run(&notary_style).unwrap_err().to_string(),
        "could not validate the path to a trusted root: unable to match any certificates to trust_pinning config"
    );
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "notary-client-config-{test}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
