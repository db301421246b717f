//! `notary-server`: drop-in for Go's. Flags as Go's (`-config FILE`, `-version`, `-logf`,
//! `-debug`, `-bootstrap`) plus `--listen ADDR` (e.g. `127.0.0.1:0` in tests). Without a config
//! file it serves plain HTTP on 127.0.0.1:4443 with SQLite in the default data directory. The
//! first line on stdout is the server's URL.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use notary_server::config::ServerConfig;
use notary_server::server::{Server, default_data_dir};
use notary_server::service::system_clock;

struct Args {
    config: Option<PathBuf>,
    listen: Option<String>,
    version: bool,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("notary-server: {message}");
            eprintln!("usage: notary-server [-config FILE] [--listen HOST:PORT] [-version]");
            return ExitCode::from(2);
        }
    };
    if args.version {
        println!(
            "notary-server Version: {}, Git commit: , Rust",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    let config = match &args.config {
        Some(path) => match ServerConfig::load(path) {
            Ok(config) => config,
            Err(e) => return fatal(&e.to_string()),
        },
        None => ServerConfig::default_embedded(&default_data_dir()),
    };
    init_logging(config.logging_level.tracing_filter());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fatal(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        let server = match Server::bind(&config, args.listen.as_deref(), system_clock()).await {
            Ok(server) => server,
            Err(e) => return fatal(&e.to_string()),
        };
        println!("{}", server.url());
        let _ = std::io::stdout().flush();
        if args.config.is_none() {
            eprintln!(
                "notary-server: no -config given: serving plain HTTP at {} with SQLite in {} (see README for TLS)",
                server.url(),
                default_data_dir().display()
            );
        }
        server.run(shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        config: None,
        listen: None,
        version: false,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{name} needs a value"))
        };
        match flag.trim_start_matches('-') {
            "config" => out.config = Some(PathBuf::from(value("-config")?)),
            "listen" => out.listen = Some(value("--listen")?),
            "logf" => drop(value("-logf")?),
            "version" => out.version = true,
            // Go's pprof server and RethinkDB bootstrap have no equivalent; accepted for scripts.
            "debug" | "bootstrap" => {}
            _ => return Err(format!("unknown flag {arg}")),
        }
    }
    Ok(out)
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NOTARY_SERVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .init();
}

/// Go logs start-up failures as one `fatal` JSON line and exits 1.
fn fatal(message: &str) -> ExitCode {
    let line = serde_json::json!({
        "level": "fatal",
        "msg": message,
        "time": time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    });
    eprintln!("{line}");
    ExitCode::from(1)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
