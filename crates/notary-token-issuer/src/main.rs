//! `notary-token-issuer`: a Docker registry token issuer for notary-server and registries.
//!
//! - `serve -config FILE [--listen HOST:PORT]` (the default command): serves tokens; the first
//!   line on stdout is the token endpoint (the `realm`).
//! - `init DIR [--listen HOST:PORT] [--host NAME]… [--user NAME] [--issuer NAME] [--service NAME]…`:
//!   writes a complete first setup (see the library's `init` module).
//! - `hash-password [--user NAME] [--cost N]`: reads a password from stdin and prints its bcrypt
//!   hash (as an htpasswd line with `--user`).

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use notary_service_kit::config_doc::LogLevel;
use notary_service_kit::process::{Flags, fatal, shutdown_signal};
use notary_token_issuer::config::IssuerConfig;
use notary_token_issuer::init::{InitOptions, init};
use notary_token_issuer::server::Server;
use zeroize::Zeroizing;

const USAGE: &str = "usage: notary-token-issuer [serve] -config FILE [--listen HOST:PORT]\n       \
                     notary-token-issuer init DIR [--listen HOST:PORT] [--host NAME]... [--user NAME] [--issuer NAME] [--service NAME]...\n       \
                     notary-token-issuer hash-password [--user NAME] [--cost N]   (password on stdin)";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let command = match args.first().map(String::as_str) {
        Some("init" | "hash-password" | "serve") => args.remove(0),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => "serve".to_owned(),
    };
    let result = match command.as_str() {
        "init" => run_init(args),
        "hash-password" => run_hash_password(args),
        _ => return run_serve(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("notary-token-issuer {command}: {message}");
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run_serve(args: Vec<String>) -> ExitCode {
    let mut config_path = None;
    let mut listen = None;
    let mut flags = Flags::new(args.into_iter());
    while let Some(flag) = flags.next() {
        let value = flags.value(&flag);
        match (flag.name.as_str(), value) {
            ("config", Some(v)) => config_path = Some(PathBuf::from(v)),
            ("listen", Some(v)) => listen = Some(v),
            _ => {
                eprintln!("notary-token-issuer: bad flag {}\n{USAGE}", flag.arg);
                return ExitCode::from(2);
            }
        }
    }
    let Some(config_path) = config_path else {
        eprintln!("notary-token-issuer: -config FILE is required\n{USAGE}");
        return ExitCode::from(2);
    };
    let config = match IssuerConfig::load(&config_path) {
        Ok(config) => config,
        Err(e) => return fatal(&e.to_string()),
    };
    init_logging(config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fatal(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        let server = match Server::bind(&config, listen.as_deref()).await {
            Ok(server) => server,
            Err(e) => return fatal(&e.to_string()),
        };
        println!("{}", server.realm());
        let _ = std::io::stdout().flush();
        tracing::info!(realm = %server.realm(), issuer = %config.issuer, "token issuer started");
        server.run(shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}

fn run_init(args: Vec<String>) -> Result<(), String> {
    let mut options = InitOptions::default();
    let mut services = Vec::new();
    let mut dir = None;
    let mut words = args.into_iter().peekable();
    while let Some(word) = words.next() {
        if !word.starts_with('-') {
            if dir.replace(PathBuf::from(&word)).is_some() {
                return Err("only one DIR".into());
            }
            continue;
        }
        let mut flags = Flags::new(std::iter::once(word).chain(words.next()));
        let Some(flag) = flags.next() else { continue };
        let value = flags.value(&flag).ok_or(format!("{} needs a value", flag.arg))?;
        match flag.name.as_str() {
            "listen" => options.listen = value,
            "host" => options.hosts.push(value),
            "user" => options.admin = value,
            "issuer" => options.issuer = value,
            "service" => services.push(value),
            _ => return Err(format!("unknown flag {}", flag.arg)),
        }
    }
    if !services.is_empty() {
        options.services = services;
    }
    if options.admin.is_empty() || options.admin.contains(':') {
        return Err("--user must be non-empty and without ':'".into());
    }
    let dir = dir.ok_or("DIR is required")?;
    let output = init(&dir, &options).map_err(|e| e.to_string())?;
    let readme = std::fs::read_to_string(dir.join("README.txt")).unwrap_or_default();
    println!("{readme}");
    println!("Configuration: {}", output.config.display());
    println!("Root certificate (rootcertbundle): {}", output.root_cert.display());
    println!(
        "User {}, password (shown only now): {}",
        options.admin,
        output.admin_password.as_str()
    );
    Ok(())
}

fn run_hash_password(args: Vec<String>) -> Result<(), String> {
    let mut user = None;
    let mut cost = bcrypt::DEFAULT_COST;
    let mut flags = Flags::new(args.into_iter());
    while let Some(flag) = flags.next() {
        let value = flags.value(&flag).ok_or(format!("{} needs a value", flag.arg))?;
        match flag.name.as_str() {
            "user" => user = Some(value),
            "cost" => {
                cost = value
                    .parse()
                    .ok()
                    .filter(|c| (4..=notary_token_issuer::users::MAX_COST).contains(c))
                    .ok_or("--cost must be 4 to 16")?
            }
            _ => return Err(format!("unknown flag {}", flag.arg)),
        }
    }
    if user.as_deref().is_some_and(|u| u.is_empty() || u.contains(':')) {
        return Err("--user must be non-empty and without ':'".into());
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err("empty password on stdin".into());
    }
    let hash = notary_token_issuer::init::hash_password(password.as_bytes(), cost).ok_or("hashing failed")?;
    match user {
        Some(user) => println!("{user}:{hash}"),
        None => println!("{hash}"),
    }
    Ok(())
}

/// Go-shaped JSON log lines on stderr.
fn init_logging(level: LogLevel) {
    tracing_subscriber::fmt()
        .event_format(notary_service_kit::logging::GoJson)
        .with_env_filter(tracing_subscriber::EnvFilter::new(level.tracing_filter()))
        .with_writer(std::io::stderr)
        .init();
}
