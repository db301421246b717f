//! `notary-server`: drop-in for Go's. Flags as Go's (`-config FILE`, `-version`, `-logf`,
//! `-debug`, `-bootstrap`) plus `--listen ADDR` (e.g. `127.0.0.1:0` in tests). Without a config
//! file it serves plain HTTP on 127.0.0.1:4443 with SQLite in the default data directory. The
//! first line on stdout is the server's URL. `-bootstrap` applies the configured database's
//! migrations and exits (0, or 1 with the reason); without it they are applied at start-up.
//!
//! Debug builds only (tests of expiry across server processes): `NOTARY_TEST_CLOCK_OFFSET_SECONDS`
//! moves the server's clock by that many seconds. Release builds ignore it.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use notary_server::config::{LogLevel, ServerConfig};
use notary_server::server::{Server, default_data_dir};
use notary_server::service::{Clock, system_clock};
use notary_service_kit::process::{Flags, fatal, shutdown_signal};

struct Args {
    config: Option<PathBuf>,
    listen: Option<String>,
    version: bool,
    bootstrap: bool,
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
    let log_level = init_logging(config.logging_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fatal(&format!("cannot start the async runtime: {e}")),
    };
    if args.bootstrap {
        return runtime.block_on(async {
            match notary_server::server::migrate(&config).await {
                Ok(message) => {
                    println!("{message}");
                    ExitCode::SUCCESS
                }
                Err(e) => fatal(&format!("bootstrap failed: {e}")),
            }
        });
    }
    runtime.block_on(async {
        // Handlers first: SIGUSR1's default action would end the process.
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            if let (Ok(up), Ok(down)) = (signal(SignalKind::user_defined1()), signal(SignalKind::user_defined2())) {
                tokio::spawn(log_level_signals(log_level, up, down));
            }
        }
        #[cfg(not(unix))]
        drop(log_level);
        let server = match Server::bind(&config, args.listen.as_deref(), clock()).await {
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

/// The system clock, moved by `NOTARY_TEST_CLOCK_OFFSET_SECONDS` in debug builds (module docs).
fn clock() -> Clock {
    #[cfg(debug_assertions)]
    if let Some(offset) = std::env::var("NOTARY_TEST_CLOCK_OFFSET_SECONDS")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
    {
        let offset = time::Duration::seconds(offset);
        return std::sync::Arc::new(move || time::OffsetDateTime::now_utc() + offset);
    }
    system_clock()
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        config: None,
        listen: None,
        version: false,
        bootstrap: false,
    };
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next() {
        let mut value = |name: &str| flags.value(&flag).ok_or(format!("{name} needs a value"));
        match flag.name.as_str() {
            "config" => out.config = Some(PathBuf::from(value("-config")?)),
            "listen" => out.listen = Some(value("--listen")?),
            "logf" => drop(value("-logf")?),
            "version" => out.version = true,
            "bootstrap" => out.bootstrap = true,
            // Go's pprof server has no equivalent; accepted for scripts.
            "debug" => {}
            _ => return Err(format!("unknown flag {}", flag.arg)),
        }
    }
    Ok(out)
}

/// JSON log lines on stderr; the level can be changed at run time (SIGUSR1/SIGUSR2).
fn init_logging(level: LogLevel) -> LogLevelHandle {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::new(level.tracing_filter());
    let (filter, reload) = tracing_subscriber::reload::Layer::new(filter);
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .event_format(notary_server::logging::GoJson)
                .with_writer(std::io::stderr),
        )
        .init();
    LogLevelHandle { level, reload }
}

/// The current log level and the handle that changes it.
struct LogLevelHandle {
    level: LogLevel,
    reload: tracing_subscriber::reload::Handle<tracing_subscriber::EnvFilter, tracing_subscriber::Registry>,
}

/// Go's hot log level (server-behaviour.md §12): SIGUSR1 raises verbosity one step up to debug,
/// SIGUSR2 lowers it down to panic; each prints the outcome on stdout.
#[cfg(unix)]
async fn log_level_signals(
    mut handle: LogLevelHandle,
    mut up: tokio::signal::unix::Signal,
    mut down: tokio::signal::unix::Signal,
) {
    const LEVELS: [LogLevel; 6] = [
        LogLevel::Panic,
        LogLevel::Fatal,
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
    ];
    loop {
        let raise = tokio::select! {
            _ = up.recv() => true,
            _ = down.recv() => false,
        };
        let index = LEVELS.iter().position(|l| *l == handle.level).unwrap_or(2);
        let next = if raise {
            LEVELS.get(index + 1)
        } else {
            index.checked_sub(1).and_then(|i| LEVELS.get(i))
        };
        let message = match next {
            Some(next) => {
                handle.level = *next;
                let _ = handle
                    .reload
                    .reload(tracing_subscriber::EnvFilter::new(next.tracing_filter()));
                format!("Successfully setting log level to {}", next.as_str())
            }
            None if raise => format!(
                "Attempt to increase log level failed, will remain at {} level, error: log level can not be set higher than Debug",
                handle.level.as_str()
            ),
            None => format!(
                "Attempt to decrease log level failed, will remain at {} level, error: log level can not be set lower than Panic",
                handle.level.as_str()
            ),
        };
        // stdout may be closed (a test harness reads only the first line): never panic on it.
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "{message}").and_then(|()| stdout.flush());
    }
}
