//! The Debian `docker-registry` (distribution 2.8) with token auth, started as
//! `shared/interop/start-registry.sh` starts it (filesystem storage, deletes enabled) plus an
//! `auth.token` section, for tests that check a registry accepts our issuer's tokens.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::WorkDir;

/// What the registry's `auth.token` section names.
#[derive(Debug, Clone, Copy)]
pub struct TokenAuth<'a> {
    /// The token service URL.
    pub realm: &'a str,
    /// The `service` (the tokens' `aud`).
    pub service: &'a str,
    /// The tokens' `iss`.
    pub issuer: &'a str,
    /// PEM bundle of the roots the token signing certificate chains to.
    pub root_cert: &'a Path,
}

/// A running registry; killed when dropped.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    addr: String,
}

impl Registry {
    /// Starts `docker-registry` on `addr` (`127.0.0.1:<port>`) with data, config and log in
    /// `work`, and waits until it accepts connections.
    pub fn start(work: &WorkDir, addr: &str, auth: TokenAuth<'_>) -> Registry {
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n\
             http:\n  addr: {addr}\nauth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    \
             rootcertbundle: {root}\n",
            data = work.path("registry-data").display(),
            realm = auth.realm,
            service = auth.service,
            issuer = auth.issuer,
            root = auth.root_cert.display(),
        );
        let config_path = work.write("registry.yml", config.as_bytes());
        let log = std::fs::File::create(work.path("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("docker-registry (Debian package docker-registry) must be installed");
        let registry = Registry {
            child,
            addr: addr.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "registry did not start: {}",
                std::fs::read_to_string(work.path("registry.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    /// Its `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
