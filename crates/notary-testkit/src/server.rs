//! Our `notary-server` binary as a child process: started with a config file and
//! `--listen 127.0.0.1:0`, its URL read from the first line of stdout, killed on drop.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running server process.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    url: String,
    stderr_log: PathBuf,
}

impl ServerProcess {
    /// Starts `binary -config <config> --listen 127.0.0.1:0`; stderr goes to `<config>.stderr`.
    pub fn start(binary: &Path, config: &Path) -> ServerProcess {
        ServerProcess::start_with(binary, config, &[])
    }

    /// As [`ServerProcess::start`], with extra environment variables.
    pub fn start_with(binary: &Path, config: &Path, env: &[(&str, &str)]) -> ServerProcess {
        let stderr_log = config.with_extension("stderr");
        let stderr = std::fs::File::create(&stderr_log).unwrap();
        let mut command = Command::new(binary);
        command
            .arg("-config")
            .arg(config)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("http"),
            "server did not start: {}",
            std::fs::read_to_string(&stderr_log).unwrap_or_default()
        );
        ServerProcess { child, url, stderr_log }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `host:port`.
    pub fn addr(&self) -> &str {
        self.url.split("://").nth(1).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// Sends SIGKILL and waits: no chance to clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the exit status (graceful shutdown).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
