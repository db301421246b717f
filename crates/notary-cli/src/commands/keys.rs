//! `key list | generate | rotate | import | export | remove | passwd` (client.md §6, keys.md §5–§7).

use std::io::{self, BufRead, Write};
use std::path::Path;

use notary_client::passphrase::{PassphraseRequest, PassphraseSource};
use notary_client::remote::Access;
use notary_client::repository::LegacyRoots;
use notary_keys::{KeyAlgorithm, KeyFile, KeyHeaders};
use notary_tuf::RoleName;
use notary_tuf::sign::PrivateKey;

use super::targets::read_limited;
use crate::cli::{KeyExportArgs, KeyGenerateArgs, KeyImportArgs, KeyRotateArgs};
use crate::context::{Context, gun as parse_gun};
use crate::output::{Table, truncate_left};
use crate::{CmdResult, Fatal, log};

pub(crate) fn list(ctx: &Context) -> CmdResult {
    let store = ctx.key_store()?;
    let mut keys = store.list()?;
    if keys.is_empty() {
        println!("\nNo signing keys found.\n");
        return Ok(());
    }
    // Root keys first, then by GUN, role and ID.
    keys.sort_by(|a, b| {
        (a.role != "root", a.gun.as_deref().unwrap_or(""), &a.role, &a.id).cmp(&(
            b.role != "root",
            b.gun.as_deref().unwrap_or(""),
            &b.role,
            &b.id,
        ))
    });
    let location = truncate_left(&store.path().display().to_string(), 40);
    let mut table = Table::new(&["ROLE", "GUN", "KEY ID", "LOCATION"]);
    for key in keys {
        table.row(vec![
            key.role.clone(),
            truncate_left(key.gun.as_deref().unwrap_or(""), 25),
            key.id.clone(),
            location.clone(),
        ]);
    }
    println!();
    print!("{}", table.render());
    println!();
    Ok(())
}

pub(crate) fn generate(ctx: &Context, args: KeyGenerateArgs) -> CmdResult {
    if let Some(algorithm) = &args.algorithm
        && !algorithm.eq_ignore_ascii_case("ecdsa")
    {
        return Err(Fatal("Algorithm not allowed, possible values are: ECDSA".into()));
    }
    let key = notary_keys::generate(KeyAlgorithm::Ecdsa)?.into_parts().0;
    let mut passphrases = ctx.passphrases();
    match &args.output {
        None => {
            let store = ctx.key_store()?;
            let gun = None;
            let id = store.add(&key, &args.role, gun, &mut passphrases)?;
            println!("Generated new ecdsa {} key with keyID: {id}", args.role);
        }
        Some(prefix) => {
            // `<prefix>.pem`: the public key; `<prefix>-key.pem`: the encrypted private key.
            // Both carry a `role` header; the key store is not touched.
            let id = key.public_key().canonical_id()?;
            let public_pem =
                notary_tuf::cert::pem_encode("PUBLIC KEY", &[("role", &args.role)], key.public_key().public_bytes());
            let passphrase = new_passphrase(&mut passphrases, id.as_str(), "")?;
            let private = KeyFile::encrypt(&key, &passphrase, KeyHeaders::for_role(&args.role, None)?)?;
            let prefix = prefix.display().to_string();
            write_private_file(Path::new(&format!("{prefix}.pem")), public_pem.as_bytes())?;
            write_private_file(Path::new(&format!("{prefix}-key.pem")), private.to_pem().as_bytes())?;
        }
    }
    Ok(())
}

/// A passphrase for a new key (confirmation and length rules are the source's).
fn new_passphrase(source: &mut dyn PassphraseSource, key_id: &str, alias: &str) -> Result<String, Fatal> {
    let mut attempt = 0;
    loop {
        let request = PassphraseRequest {
            key_id,
            alias,
            is_new: true,
            attempt,
        };
        match source.passphrase(&request) {
            Ok(p) => return Ok(p),
            Err(e) if e.is_retryable() && attempt < 10 => attempt += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads a private key file given on the command line (`init --rootkey`, `key rotate -k`):
/// root keys must be encrypted, and are decrypted with the `role` alias.
pub(crate) fn read_private_key(
    path: &Path,
    role: &str,
    source: &mut dyn PassphraseSource,
) -> Result<PrivateKey, Fatal> {
    let pem = read_limited(path, notary_keys::MAX_KEY_FILE_LEN as u64)?;
    let file = KeyFile::parse(&pem).map_err(|e| Fatal(format!("invalid key pem block: {e}")))?;
    if !file.is_encrypted() {
        if role == "root" {
            return Err(Fatal("only encrypted root keys may be imported".into()));
        }
        return Ok(file.unencrypted_key()?);
    }
    let mut attempt = 0;
    loop {
        let request = PassphraseRequest {
            key_id: "",
            alias: role,
            is_new: false,
            attempt,
        };
        let passphrase = source.passphrase(&request)?;
        match file.decrypt(&passphrase) {
            Ok(key) => return Ok(key),
            Err(notary_keys::KeyFileError::WrongPassphrase) if attempt < 3 => attempt += 1,
            Err(notary_keys::KeyFileError::WrongPassphrase) => {
                return Err(Fatal("password invalid, operation has failed.".into()));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

pub(crate) fn rotate(ctx: &Context, args: KeyRotateArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let role: RoleName = args
        .role
        .parse()
        .map_err(|e: notary_tuf::error::NameError| Fatal(e.to_string()))?;
    if role == RoleName::Root
        && !confirm(
            "Warning: you are about to rotate your root key.\n\nYou must use your old key to sign this root rotation.\nAre you sure you want to proceed?  (yes/no)  ",
        )?
    {
        println!("\nAborting action.");
        return Ok(());
    }
    let keys = ctx.key_store()?;
    let mut passphrases = ctx.passphrases();
    let mut new_keys = Vec::new();
    for path in &args.keys {
        new_keys.push(read_private_key(path, role.as_str(), &mut passphrases)?);
    }
    let remote = ctx.connect(&gun, Access::Admin)?;
    if remote.is_none() {
        return Err(Fatal("client is offline".into()));
    }
    let mut repo = ctx.repository(&gun, &keys, &mut passphrases, remote)?;
    let replaced = repo
        .rotate_key(&role, args.server_managed, new_keys, legacy_roots(args.legacy))
        .map_err(|e| Fatal(e.to_string()))?;
    drop(repo);
    if role != RoleName::Root {
        for id in replaced {
            if let Err(e) = keys.remove(&id) {
                log::debug(&format!("could not remove the replaced key {id}: {e}"));
            }
        }
    }
    println!("Successfully rotated {role} key for repository {gun}");
    Ok(())
}

/// `--legacy N` as Go reads it: `-1` means every earlier root version, any other negative
/// number none.
fn legacy_roots(legacy: i64) -> LegacyRoots {
    match legacy {
        -1 => LegacyRoots::All,
        n => u64::try_from(n).map_or(LegacyRoots::None, LegacyRoots::Previous),
    }
}

pub(crate) fn import(ctx: &Context, args: KeyImportArgs) -> CmdResult {
    let store = ctx.key_store()?;
    let mut passphrases = ctx.passphrases();
    for path in &args.files {
        let pem = read_limited(path, 16 << 20)?;
        let outcome = store.import(&pem, args.role.as_deref(), args.gun.as_deref(), &mut passphrases)?;
        for skipped in outcome.skipped {
            log::warn(&format!(
                "failed to import key block {} of {}: {}",
                skipped.index,
                path.display(),
                skipped.reason
            ));
        }
    }
    Ok(())
}

pub(crate) fn export(ctx: &Context, args: KeyExportArgs) -> CmdResult {
    let store = ctx.key_store()?;
    let pem = store.export(&args.keys, args.guns.first().map(String::as_str))?;
    match &args.output {
        Some(path) => write_private_file(path, pem.as_bytes())?,
        None => io::stdout().write_all(pem.as_bytes())?,
    }
    Ok(())
}

pub(crate) fn remove(ctx: &Context, key_id: &str) -> CmdResult {
    if key_id.len() != 64 {
        return Err(Fatal(format!("invalid key ID provided: {key_id}")));
    }
    let store = ctx.key_store()?;
    let info = store
        .list()?
        .into_iter()
        .find(|k| k.id == key_id)
        .ok_or_else(|| Fatal(format!("signing key not found: {key_id}")))?;
    let dir = store.path().display().to_string();
    let question = format!(
        "Are you sure you want to remove {key_id} (role {}) from {dir}?  (yes/no)  ",
        info.role
    );
    if !confirm(&question)? {
        println!("\nAborting action.");
        return Ok(());
    }
    store.remove(key_id)?;
    println!("\nDeleted {key_id} (role {}) from {dir}.", info.role);
    Ok(())
}

pub(crate) fn passwd(ctx: &Context, key_id: &str) -> CmdResult {
    let store = ctx.key_store()?;
    let mut current = ctx.passphrases();
    let mut new = ctx.passphrases();
    store.change_passphrase(key_id, &mut current, &mut new)?;
    println!("\nSuccessfully updated passphrase for key ID: {key_id}");
    Ok(())
}

/// Asks a yes/no question on stdout and reads the answer from stdin: only `y`/`yes` (any case).
pub(crate) fn confirm(question: &str) -> Result<bool, Fatal> {
    print!("{question}");
    io::stdout().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

/// Creates (or truncates) a file readable only by its owner.
fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), Fatal> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    Ok(())
}
