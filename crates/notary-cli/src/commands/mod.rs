//! One module per group of commands; [`dispatch`] runs one.

mod delegation;
mod keys;
mod targets;

use notary_client::remote::Access;
use notary_tuf::Gun;

use crate::cli::{Command, DelegationCommand, KeyCommand};
use crate::context::Context;
use crate::{CmdResult, Fatal};

/// Runs `command`.
pub(crate) fn dispatch(ctx: &Context, command: Command) -> CmdResult {
    match command {
        Command::Init(args) => targets::init(ctx, args),
        Command::Add(args) => targets::add(ctx, args),
        Command::Addhash(args) => targets::add_hash(ctx, args),
        Command::Remove(args) => targets::remove(ctx, args),
        Command::List(args) => targets::list(ctx, args),
        Command::Lookup(args) => targets::lookup(ctx, args),
        Command::Verify(args) => targets::verify(ctx, args),
        Command::Status(args) => targets::status(ctx, args),
        Command::Reset(args) => targets::reset(ctx, args),
        Command::Publish(args) => targets::publish(ctx, &args.gun),
        Command::Delete(args) => targets::delete(ctx, args),
        Command::Witness(args) => targets::witness(ctx, args),
        Command::Key(KeyCommand::List) => keys::list(ctx),
        Command::Key(KeyCommand::Generate(args)) => keys::generate(ctx, args),
        Command::Key(KeyCommand::Rotate(args)) => keys::rotate(ctx, args),
        Command::Key(KeyCommand::Import(args)) => keys::import(ctx, args),
        Command::Key(KeyCommand::Export(args)) => keys::export(ctx, args),
        Command::Key(KeyCommand::Remove(args)) => keys::remove(ctx, &args.key_id),
        Command::Key(KeyCommand::Passwd(args)) => keys::passwd(ctx, &args.key_id),
        Command::Delegation(DelegationCommand::List(args)) => delegation::list(ctx, &args.gun),
        Command::Delegation(DelegationCommand::Add(args)) => delegation::add(ctx, args),
        Command::Delegation(DelegationCommand::Remove(args)) => delegation::remove(ctx, args),
        Command::Delegation(DelegationCommand::Purge(args)) => delegation::purge(ctx, args),
        Command::Version => Ok(()),
    }
}

/// Publishes the staged changes of `gun` (the tail of `publish` and of every `-p`).
pub(crate) fn publish_staged(ctx: &Context, gun: &Gun) -> CmdResult {
    let keys = ctx.key_store()?;
    let mut passphrases = ctx.passphrases();
    let remote = ctx.connect(gun, Access::PushPull)?;
    let mut repo = ctx.repository(gun, &keys, &mut passphrases, remote)?;
    let changelist = repo.changelist()?;
    let changes: Vec<_> = changelist.list()?.into_iter().map(|c| c.change).collect();
    let progress = targets::publish_progress(changes.len(), gun);
    repo.publish(&changes).map_err(|e| Fatal(e.to_string()))?;
    drop(progress);
    changelist.clear()?;
    println!("Successfully published changes for repository {gun}");
    Ok(())
}

/// `-p`: publish right after staging.
pub(crate) fn maybe_auto_publish(ctx: &Context, publish: bool, gun: &Gun) -> CmdResult {
    if !publish {
        return Ok(());
    }
    println!("Auto-publishing changes to {gun}");
    publish_staged(ctx, gun)
}
