//! `notary`: the command line client of notary-rs, a drop-in for Go Notary 0.7's `notary`
//! (`shared/spec/client.md` §6): same commands, flags, trust directory, key files, output and
//! exit codes.
//!
//! This crate parses, prompts, prints and picks exit codes; the work is done by `notary-client`.
//! Errors end the process Go's way: an empty line and `* fatal: <message>` on stdout, status 1.

mod cli;
mod commands;
mod context;
mod log;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::context::Context;

/// A message that ends the command (`* fatal: …`).
#[derive(Debug)]
pub(crate) struct Fatal(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(error: E) -> Fatal {
        Fatal(error.to_string())
    }
}

/// The result of a command.
pub(crate) type CmdResult = Result<(), Fatal>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            let message = first.strip_prefix("error: ").unwrap_or(first);
            println!("{}", e.render());
            println!("\n* fatal: {message}");
            return ExitCode::FAILURE;
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fatal(message)) => {
            println!("\n* fatal: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> CmdResult {
    if cli.global.version {
        println!("notary Version: {}, Git commit: , Rust", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    let Some(command) = cli.command else {
        use clap::CommandFactory;
        let _ = Cli::command().print_help();
        return Ok(());
    };
    if let Command::Version = command {
        println!(
            "notary\n Version:    {}\n Git commit: \n Rust",
            env!("CARGO_PKG_VERSION")
        );
        return Ok(());
    }
    log::init(&cli.global);
    let ctx = Context::new(&cli.global)?;
    commands::dispatch(&ctx, command).map_err(|fatal| ctx.explain_offline(fatal))
}
