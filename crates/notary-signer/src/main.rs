//! `notary-signer`: drop-in for Go's. Flags as Go's (`-config FILE`, `-version`, `-logf`,
//! `-debug`) plus `--listen ADDR` (e.g. `127.0.0.1:0` in tests; the first line on stdout is the
//! bound address), `-reseal-to ALIAS` (re-seal every stored key under that alias's passphrase
//! `NOTARY_SIGNER_<ALIAS>`, then exit) and `-bootstrap` (apply the database migrations of the
//! configured storage, then exit; the signer also applies them at every start).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use notary_service_kit::process::{Flags, fatal, shutdown_signal};
use notary_signer::config::SignerConfig;
use notary_signer::server::SignerServerHandle;

fn main() -> ExitCode {
    let mut config_path: Option<PathBuf> = None;
    let mut listen: Option<String> = None;
    let mut reseal_to: Option<String> = None;
    let mut bootstrap = false;
    let mut flags = Flags::new(std::env::args().skip(1));
    while let Some(flag) = flags.next() {
        let mut value = || flags.value(&flag);
        match flag.name.as_str() {
            "config" => config_path = value().map(PathBuf::from),
            "listen" => listen = value(),
            "reseal-to" => reseal_to = value(),
            "bootstrap" => bootstrap = true,
            "logf" => drop(value()),
            "debug" => {}
            "version" => {
                println!(
                    "notary-signer Version: {}, Git commit: , Rust",
                    env!("CARGO_PKG_VERSION")
                );
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!(
                    "notary-signer: unknown flag {}\nusage: notary-signer -config FILE [--listen HOST:PORT] [-reseal-to ALIAS] [-bootstrap]",
                    flag.arg
                );
                return ExitCode::from(2);
            }
        }
    }
    let Some(config_path) = config_path else {
        return fatal("a configuration file is required: notary-signer -config FILE");
    };
    let config = match SignerConfig::load(&config_path) {
        Ok(config) => config,
        Err(e) => return fatal(&e.to_string()),
    };
    init_logging(config.logging_level.tracing_filter());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fatal(&format!("cannot start the async runtime: {e}")),
    };
    if bootstrap {
        return runtime.block_on(migrate(&config));
    }
    if let Some(alias) = reseal_to {
        return runtime.block_on(reseal(&config, &alias));
    }
    runtime.block_on(async {
        let server = match SignerServerHandle::bind(&config, listen.as_deref()).await {
            Ok(server) => server,
            Err(e) => return fatal(&e.to_string()),
        };
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "{}", server.local_addr()).and_then(|()| stdout.flush());
        match server.run(shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fatal(&e.to_string()),
        }
    })
}

/// `-bootstrap`: opening a store applies its pending migrations; then exit.
async fn migrate(config: &SignerConfig) -> ExitCode {
    use notary_signer::config::SignerStorage;
    let opened = match &config.storage {
        SignerStorage::Memory => {
            println!("storage backend memory: nothing to migrate");
            return ExitCode::SUCCESS;
        }
        SignerStorage::Sqlite { path } => notary_storage::sqlite::SqliteStore::open(path)
            .await
            .map(notary_storage::any::AnyStore::Sqlite),
        #[cfg(feature = "postgres")]
        SignerStorage::Postgres { db_url } => notary_storage::postgres::PostgresStore::connect(db_url)
            .await
            .map(notary_storage::any::AnyStore::Postgres),
        #[cfg(not(feature = "postgres"))]
        SignerStorage::Postgres { .. } => {
            return fatal("storage backend postgres is not built into this notary-signer");
        }
        SignerStorage::Mysql { .. } => return fatal("storage backend mysql is not supported by this notary-signer"),
    };
    match opened {
        Ok(store) => {
            store.close().await;
            println!("database migrations applied");
            ExitCode::SUCCESS
        }
        Err(e) => fatal(&format!("cannot migrate the database: {e}")),
    }
}

/// `-reseal-to ALIAS`: re-seal every stored key under ALIAS's passphrase, then exit.
async fn reseal(config: &SignerConfig, alias: &str) -> ExitCode {
    let notary_signer::config::SignerStorage::Sqlite { path } = &config.storage else {
        return fatal("-reseal-to needs a persistent storage backend (sqlite)");
    };
    let store = match notary_storage::sqlite::SqliteStore::open(path).await {
        Ok(store) => store,
        Err(e) => return fatal(&e.to_string()),
    };
    let passphrases = notary_signer::keys::Passphrases::from_process_env();
    let result = notary_signer::reseal::reseal_all(&store, &passphrases, alias).await;
    store.close().await;
    match result {
        Ok(report) => {
            println!(
                "re-sealed {} keys under alias {alias} ({} already were); set storage.default_alias to {alias}",
                report.resealed, report.unchanged
            );
            ExitCode::SUCCESS
        }
        Err(e) => fatal(&format!("re-seal stopped: {e}")),
    }
}

fn init_logging(level: &str) {
    tracing_subscriber::fmt()
        .event_format(notary_signer::logging::GoJson)
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .init();
}
