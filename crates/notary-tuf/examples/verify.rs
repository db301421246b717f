//! Verifies a directory of Notary metadata (a `notary` cache such as
//! `~/.notary/tuf/<gun>/metadata/`) from its root, trusting that root on first use, and prints
//! the targets as `notary list` does.
//!
//! `cargo run -p notary-tuf --example verify -- DIR GUN [--at RFC3339-TIME]`

#![allow(missing_docs)]

use std::process::ExitCode;

use notary_tuf::metadata::{Root, Signed};
use notary_tuf::update::{DelegationOutcome, MinimumVersions, TrustedCollection};
use notary_tuf::verify::{self, Expiry, TrustPinning};
use notary_tuf::{Expires, Gun};
use time::OffsetDateTime;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("* fatal: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, gun, rest @ ..] = args.as_slice() else {
        return Err("usage: verify DIR GUN [--at RFC3339-TIME]".into());
    };
    let now = match rest {
        [flag, at] if flag == "--at" => Expires::parse(at).ok_or("--at needs an RFC 3339 time")?.instant(),
        [] => OffsetDateTime::now_utc(),
        _ => return Err("usage: verify DIR GUN [--at RFC3339-TIME]".into()),
    };
    let gun: Gun = gun.parse()?;
    let read = |role: &str| std::fs::read(format!("{dir}/{role}.json")).map_err(|e| format!("{dir}/{role}.json: {e}"));

    let root = Signed::<Root>::parse(read("root")?)?;
    let root = verify::verify_root(
        root,
        None,
        &gun,
        &TrustPinning::TrustOnFirstUse,
        0,
        Expiry::Enforce,
        now,
    )?;
    let mut collection = TrustedCollection::new(gun, root, MinimumVersions::none());
    collection.load_timestamp(read("timestamp")?, now)?;
    collection.load_snapshot(read("snapshot")?, now)?;
    collection.load_targets(read("targets")?, now)?;
    while let Some(role) = collection.next_delegation() {
        if let DelegationOutcome::Skipped(why) = collection.load_delegation(&role, read(role.as_str())?, now)? {
            eprintln!("warning: skipping {role}: {why}");
        }
    }
    println!("{:<24}{:<68}{:<14}ROLE", "NAME", "DIGEST", "SIZE (BYTES)");
    for t in collection.list(&[]) {
        let digest = t.meta.sha256().map(hex::encode).unwrap_or_default();
        println!("{:<24}{:<68}{:<14}{}", t.name, digest, t.meta.length, t.role);
    }
    Ok(())
}
