//! Collection commands: init, add, addhash, remove, list, lookup, verify, status, reset,
//! publish, delete, witness.

use std::fs;
use std::io::{self, IsTerminal, Read, Seek, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use notary_client::changelist::Change;
use notary_client::hashing;
use notary_client::remote::Access;
use notary_client::repository::RootKeyChoice;
use notary_client::update::Updated;
use notary_tuf::cert::CertChain;
use notary_tuf::metadata::{FileMeta, Hashes};
use notary_tuf::{Gun, KeyType, PublicKey, RoleName};

use super::{maybe_auto_publish, publish_staged};
use crate::cli::{
    AddArgs, AddHashArgs, DeleteArgs, InitArgs, ListArgs, LookupArgs, RemoveArgs, ResetArgs, VerifyArgs, WitnessArgs,
};
use crate::context::{Context, gun as parse_gun};
use crate::output::{Table, TableWriter};
use crate::{CmdResult, Fatal, log};

/// Largest `--custom` file accepted.
const MAX_CUSTOM_LEN: u64 = 1 << 20;
/// Largest `--rootcert` file accepted.
const MAX_CERT_LEN: u64 = 1 << 20;
/// Files at least this large show a hashing progress bar on a terminal (`add`).
const HASH_PROGRESS_MIN: u64 = 8 << 20;
/// Publishes of more changes than this show a spinner on a terminal.
const PUBLISH_PROGRESS_MIN: usize = 1000;

pub(crate) fn init(ctx: &Context, args: InitArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let keys = ctx.key_store()?;
    let mut passphrases = ctx.passphrases();
    let root_key = match &args.root_key {
        Some(path) => RootKeyChoice::Given(super::keys::read_private_key(path, "root", &mut passphrases)?),
        None => RootKeyChoice::FirstOrNew,
    };
    let root_cert = args.root_cert.as_deref().map(read_root_cert).transpose()?;
    let remote = ctx.connect(&gun, Access::PushPull)?;
    let mut repo = ctx.repository(&gun, &keys, &mut passphrases, remote)?;
    let done = repo
        .init_with_certificate(root_key, root_cert, false)
        .map_err(|e| Fatal(e.to_string()))?;
    if done.root_key_found {
        println!("Root key found, using: {}", done.root_key_id);
    }
    drop(repo);
    maybe_auto_publish(ctx, args.publish.publish, &gun)
}

/// `--rootcert`: the file's first PEM block, an X.509 certificate, as the root key it names
/// (`ecdsa-x509` / `rsa-x509`, in Go's PEM layout), with Go's error messages. As in Go, anything
/// after the first block (intermediates, a private key) is ignored.
fn read_root_cert(path: &Path) -> Result<PublicKey, Fatal> {
    let text =
        read_limited(path, MAX_CERT_LEN).map_err(|e| Fatal(format!("error reading certificate file: {}", e.0)))?;
    let block = first_pem_block(&text)
        .ok_or_else(|| Fatal("the provided file does not contain a valid PEM certificate <nil>".into()))?;
    let chain = CertChain::parse_pem(block)
        .map_err(|e| Fatal(format!("Parsing certificate PEM bytes to x509 certificate: {e}")))?;
    let cert = chain.first();
    let key_type = match spki_algorithm(cert.spki_der()) {
        Some(SpkiAlgorithm::Ecdsa) => KeyType::EcdsaX509,
        Some(SpkiAlgorithm::Rsa) => KeyType::RsaX509,
        None => return Err(Fatal("the root certificate's key must be ECDSA or RSA".into())),
    };
    let pem = notary_tuf::cert::pem_encode("CERTIFICATE", &[], cert.der());
    Ok(PublicKey::new(key_type, pem.into_bytes()))
}

/// The first `-----BEGIN …-----` … `-----END …-----` block of `text`.
fn first_pem_block(text: &[u8]) -> Option<&[u8]> {
    let find = |from: usize, needle: &[u8]| {
        text.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| from + i)
    };
    let begin = find(0, b"-----BEGIN ")?;
    let end = find(begin, b"-----END ")?;
    let close = find(end + 9, b"-----")? + 5;
    text.get(begin..close)
}

enum SpkiAlgorithm {
    Ecdsa,
    Rsa,
}

/// The key algorithm of a DER SubjectPublicKeyInfo: the OID opening its AlgorithmIdentifier.
fn spki_algorithm(spki: &[u8]) -> Option<SpkiAlgorithm> {
    const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const RSA_ENCRYPTION: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let head = &spki[..spki.len().min(32)];
    if head.windows(EC_PUBLIC_KEY.len()).any(|w| w == EC_PUBLIC_KEY) {
        Some(SpkiAlgorithm::Ecdsa)
    } else if head.windows(RSA_ENCRYPTION.len()).any(|w| w == RSA_ENCRYPTION) {
        Some(SpkiAlgorithm::Rsa)
    } else {
        None
    }
}

pub(crate) fn add(ctx: &Context, args: AddArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let file = fs::File::open(&args.file).map_err(|e| Fatal(format!("open {}: {}", args.file.display(), go_io(&e))))?;
    let length = file.metadata().map_or(0, |m| m.len());
    let progress = hashing_progress(length, &args.file);
    let mut meta = hashing::file_meta_of(io::BufReader::new(file), io::sink(), |done| {
        if let Some(bar) = &progress {
            bar.set_position(done);
        }
    })?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    meta.custom = read_custom(args.custom.as_deref())?;
    stage_targets(ctx, &gun, &args.roles, |role| {
        Change::target_create(role, &args.target, meta.clone())
    })?;
    println!(
        "Addition of target \"{}\" to repository \"{}\" staged for next publish.",
        args.target, gun
    );
    maybe_auto_publish(ctx, args.publish.publish, &gun)
}

pub(crate) fn add_hash(ctx: &Context, args: AddHashArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let length = parse_go_int(&args.size)
        .ok_or_else(|| Fatal(format!("strconv.ParseInt: parsing \"{}\": invalid syntax", args.size)))?;
    let mut hashes = std::collections::BTreeMap::new();
    let mut names = Vec::new();
    for (name, value, len) in [("sha256", &args.sha256, 32), ("sha512", &args.sha512, 64)] {
        let Some(value) = value else { continue };
        let bytes = hex::decode(value)
            .ok()
            .filter(|b| b.len() == len)
            .ok_or_else(|| Fatal(format!("invalid {name} hex contents provided")))?;
        hashes.insert(name.to_owned(), bytes);
        names.push(name);
    }
    if hashes.is_empty() {
        return Err(Fatal(
            "Must specify a GUN, target, byte size of target data, and at least one hash".into(),
        ));
    }
    let meta = FileMeta {
        custom: read_custom(args.custom.as_deref())?,
        hashes: Hashes(hashes.into()),
        length,
    };
    stage_targets(ctx, &gun, &args.roles, |role| {
        Change::target_create(role, &args.target, meta.clone())
    })?;
    println!(
        "Addition of target \"{}\" by {} hash to repository \"{}\" staged for next publish.",
        args.target,
        names.join(", "),
        gun
    );
    maybe_auto_publish(ctx, args.publish.publish, &gun)
}

pub(crate) fn remove(ctx: &Context, args: RemoveArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    stage_targets(ctx, &gun, &args.roles, |role| Change::target_delete(role, &args.target))?;
    println!("Removal of {} from {} staged for next publish.", args.target, gun);
    maybe_auto_publish(ctx, args.publish.publish, &gun)
}

/// Stages one change per role (`targets` when none is given).
fn stage_targets(ctx: &Context, gun: &Gun, roles: &[String], change: impl Fn(&str) -> Change) -> CmdResult {
    let roles: Vec<String> = if roles.is_empty() {
        vec!["targets".to_owned()]
    } else {
        roles.to_vec()
    };
    for role in &roles {
        let valid = role.parse::<RoleName>().is_ok_and(|r| r.is_targets_kind());
        if !valid {
            return Err(Fatal(format!("invalid delegation name {role}")));
        }
    }
    let changelist = ctx.changelist(gun)?;
    let now = std::time::SystemTime::now();
    for role in &roles {
        changelist.add(&change(role), now)?;
    }
    Ok(())
}

/// Updates for reading: the server when reachable, else the cache (with Go's warnings).
pub(crate) fn read_collection(ctx: &Context, gun: &Gun) -> Result<Updated, Fatal> {
    let keys = ctx.key_store()?;
    let mut passphrases = ctx.passphrases();
    let remote = ctx.connect(gun, Access::Pull)?;
    let mut repo = ctx.repository(gun, &keys, &mut passphrases, remote)?;
    let updated = repo.update(false).map_err(|e| Fatal(e.to_string()))?;
    for warning in &updated.warnings {
        log::warn(warning);
    }
    Ok(updated)
}

fn parse_roles(roles: &[String]) -> Result<Vec<RoleName>, Fatal> {
    roles
        .iter()
        .map(|r| r.parse::<RoleName>().map_err(|e| Fatal(e.to_string())))
        .collect()
}

pub(crate) fn list(ctx: &Context, args: ListArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let roles = parse_roles(&args.roles)?;
    let updated = read_collection(ctx, &gun)?;
    let found = updated.collection.list(&roles);
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    if found.is_empty() {
        writeln!(out, "\nNo targets present in this repository.\n")?;
        return Ok(());
    }
    // Two passes over the found targets: column widths, then rows straight to stdout.
    let mut widths = [0usize; 4];
    for t in &found {
        widths[0] = widths[0].max(t.name.chars().count());
        widths[1] = widths[1].max(if t.meta.sha256().is_some() { 64 } else { 0 });
        widths[2] = widths[2].max(digits(t.meta.length));
    }
    let mut table = TableWriter::new(&mut out, &["NAME", "DIGEST", "SIZE (BYTES)", "ROLE"], &widths)?;
    let mut hex_buf = [0u8; 64];
    for t in &found {
        let digest = match t.meta.sha256() {
            Some(d) => hex::encode_to_slice(d, &mut hex_buf)
                .ok()
                .and_then(|()| std::str::from_utf8(&hex_buf).ok())
                .unwrap_or(""),
            None => "",
        };
        table.row(&[t.name, digest, &t.meta.length.to_string(), t.role])?;
    }
    table.finish()?;
    out.flush()?;
    // The process ends here: skip freeing a 100,000-target collection piece by piece.
    std::mem::forget(found);
    std::mem::forget(updated);
    Ok(())
}

fn digits(n: i64) -> usize {
    n.to_string().len()
}

pub(crate) fn lookup(ctx: &Context, args: LookupArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let updated = read_collection(ctx, &gun)?;
    let found = updated
        .collection
        .target(&args.target, &[])
        .ok_or_else(|| Fatal(format!("No valid trust data for {}", args.target)))?;
    println!(
        "{} sha256:{} {}",
        found.name,
        found.meta.sha256().map(hex::encode).unwrap_or_default(),
        found.meta.length
    );
    Ok(())
}

pub(crate) fn verify(ctx: &Context, args: VerifyArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    // Hash the input while spooling it to an unnamed temporary file: constant memory, and
    // nothing reaches the output before the content is verified.
    let mut spool = tempfile_in_tmp()?;
    let content = match &args.input {
        Some(path) => {
            let file = fs::File::open(path).map_err(|e| Fatal(format!("open {}: {}", path.display(), go_io(&e))))?;
            hashing::file_meta_of(io::BufReader::new(file), &mut spool, |_| {})?
        }
        None => hashing::file_meta_of(io::stdin().lock(), &mut spool, |_| {})?,
    };
    let updated = read_collection(ctx, &gun)?;
    let found = updated.collection.target(&args.target, &[]).ok_or_else(|| {
        Fatal(format!(
            "error retrieving target by name:{}, error:No valid trust data for {}",
            args.target, args.target
        ))
    })?;
    hashing::check_content(&args.target, found.meta, &content)?;
    if args.quiet {
        return Ok(());
    }
    spool.rewind()?;
    match &args.output {
        Some(path) => {
            let mut out = std::fs::OpenOptions::new();
            out.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut out, 0o600);
            let mut file = out.open(path)?;
            io::copy(&mut spool, &mut file)?;
        }
        None => {
            let mut stdout = io::stdout().lock();
            io::copy(&mut spool, &mut stdout)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

pub(crate) fn status(ctx: &Context, args: crate::cli::GunArg) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let (staged, errors) = ctx.changelist(&gun)?.list_skipping_unparsable()?;
    for e in errors {
        log::warn(&e.to_string());
    }
    if staged.is_empty() {
        println!("No unpublished changes for {gun}");
        return Ok(());
    }
    println!("Unpublished changes for {gun}:\n");
    let mut table = Table::new(&["#", "ACTION", "SCOPE", "TYPE", "PATH"]);
    for (i, s) in staged.iter().enumerate() {
        table.row(vec![
            i.to_string(),
            s.change.action().as_str().to_owned(),
            s.change.scope().to_owned(),
            s.change.change_type().as_str().to_owned(),
            s.change.path().to_owned(),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

pub(crate) fn reset(ctx: &Context, args: ResetArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    if !args.all && args.number.is_empty() {
        return Err(Fatal("Must specify changes to reset with -n or the --all flag".into()));
    }
    let changelist = ctx.changelist(&gun)?;
    if args.all {
        changelist.clear()?;
    } else {
        let indices: Vec<usize> = args.number.iter().filter_map(|n| usize::try_from(*n).ok()).collect();
        changelist.remove(&indices)?;
    }
    println!("Successfully reset specified changes for repository {gun}");
    Ok(())
}

pub(crate) fn publish(ctx: &Context, gun: &str) -> CmdResult {
    let gun = parse_gun(gun)?;
    println!("Pushing changes to {gun}");
    publish_staged(ctx, &gun)
}

pub(crate) fn delete(ctx: &Context, args: DeleteArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    println!("Deleting trust data for repository {gun}");
    let keys = ctx.key_store()?;
    let mut passphrases = ctx.passphrases();
    let remote = if args.remote {
        let remote = ctx.connect(&gun, Access::Admin)?;
        if remote.is_none() {
            return Err(Fatal("client is offline".into()));
        }
        remote
    } else {
        None
    };
    let mut repo = ctx.repository(&gun, &keys, &mut passphrases, remote)?;
    repo.delete(args.remote).map_err(|e| Fatal(e.to_string()))?;
    let which = if args.remote { "local and remote" } else { "local" };
    println!("Successfully deleted {which} trust data for repository {gun}");
    Ok(())
}

pub(crate) fn witness(ctx: &Context, args: WitnessArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let changelist = ctx.changelist(&gun)?;
    let now = std::time::SystemTime::now();
    for role in &args.roles {
        changelist.add(&Change::witness(role.as_str()), now)?;
    }
    println!("The following roles were successfully marked for witnessing on the next publish:");
    for role in &args.roles {
        println!("\t- {role}");
    }
    maybe_auto_publish(ctx, args.publish.publish, &gun)
}

/// A bar over the bytes of a file being hashed for `add`: only for a large file, and only when
/// stderr is a terminal (scripts see the same output as with Go).
fn hashing_progress(length: u64, path: &Path) -> Option<ProgressBar> {
    if length < HASH_PROGRESS_MIN || !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("hashing {msg} [{bar:30}] {bytes}/{total_bytes} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(path.display().to_string());
    Some(bar)
}

/// A spinner while a large changelist (more than [`PUBLISH_PROGRESS_MIN`] changes) is applied,
/// signed and uploaded, only when stderr is a terminal; it is cleared when dropped.
pub(crate) fn publish_progress(changes: usize, gun: &Gun) -> Option<ProgressBar> {
    if changes <= PUBLISH_PROGRESS_MIN || !io::stderr().is_terminal() {
        return None;
    }
    let spinner =
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_finish(ProgressFinish::AndClear);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(format!("publishing {changes} changes to {gun}"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(spinner)
}

/// `--custom`: a JSON document stored with the target.
fn read_custom(path: Option<&Path>) -> Result<Option<serde_json::Value>, Fatal> {
    let Some(path) = path else { return Ok(None) };
    let bytes = read_limited(path, MAX_CUSTOM_LEN)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Fatal(format!("could not parse custom data in {}: {e}", path.display())))?;
    Ok(Some(value))
}

/// Reads a small input file, refusing anything larger than `limit`.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, Fatal> {
    let file = fs::File::open(path).map_err(|e| Fatal(format!("open {}: {}", path.display(), go_io(&e))))?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(Fatal(format!("{} is larger than {limit} bytes", path.display())));
    }
    Ok(bytes)
}

/// Go's `strconv.ParseInt(s, 0, 64)`: decimal, `0x` hex, `0o`/`0` octal, `0b` binary, `_` separators.
fn parse_go_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(b) = lower.strip_prefix("0x") {
        (16, b)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let body = body.replace('_', "");
    let value = i64::from_str_radix(&body, radix).ok()?;
    Some(if negative { -value } else { value })
}

/// Go's wording for common I/O errors.
pub(crate) fn go_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// An anonymous temporary file (removed as soon as it is created, so nothing is left behind).
fn tempfile_in_tmp() -> Result<fs::File, Fatal> {
    let dir = std::env::temp_dir();
    let mut nonce = [0u8; 8];
    for (i, b) in nonce.iter_mut().enumerate() {
        *b = (std::process::id() as u8).wrapping_add(i as u8);
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = dir.join(format!(".notary-verify-{}-{stamp}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path)?;
    let _ = fs::remove_file(&path);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::parse_go_int;

    #[test]
    fn sizes_parse_like_go_strconv() {
        assert_eq!(parse_go_int("13"), Some(13));
        assert_eq!(parse_go_int("0x10"), Some(16));
        assert_eq!(parse_go_int("0o17"), Some(15));
        assert_eq!(parse_go_int("017"), Some(15));
        assert_eq!(parse_go_int("0b101"), Some(5));
        assert_eq!(parse_go_int("1_000"), Some(1000));
        assert_eq!(parse_go_int("abc"), None);
        assert_eq!(parse_go_int(""), None);
    }
}
