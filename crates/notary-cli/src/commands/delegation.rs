//! `delegation list | add | remove | purge` (client.md §4.2, §6).

use std::collections::BTreeMap;

use notary_client::changelist::{Action, Change, DelegationData};
use notary_tuf::cert::Certificate;
use notary_tuf::{KeyId, KeyType, PublicKey, RoleName};

use super::keys::confirm;
use super::maybe_auto_publish;
use super::targets::read_limited;
use crate::cli::{DelegationAddArgs, DelegationPurgeArgs, DelegationRemoveArgs};
use crate::context::{Context, gun as parse_gun};
use crate::output::Table;
use crate::{CmdResult, Fatal, log};

/// Largest PEM file accepted for a delegation key.
const MAX_PEM_LEN: u64 = 1 << 20;

pub(crate) fn list(ctx: &Context, gun: &str) -> CmdResult {
    let gun = parse_gun(gun)?;
    let updated = super::targets::read_collection(ctx, &gun)?;
    let mut roles = BTreeMap::new();
    for (_, file) in updated.collection.all_targets() {
        let parent = file.body();
        for d in &parent.delegations.roles {
            let ids: Vec<String> = d
                .keyids
                .iter()
                .filter_map(|id| parent.delegations.keys.get(id))
                .map(|k| {
                    k.canonical_id()
                        .map_or_else(|_| k.key_id().to_string(), |id| id.to_string())
                })
                .collect();
            roles.insert(d.name.clone(), (d.paths.clone(), ids, d.threshold));
        }
    }
    if roles.is_empty() {
        print!("\n\nNo delegations present in this repository.\n\n\n");
        return Ok(());
    }
    let mut table = Table::new(&["ROLE", "PATHS", "KEY IDS", "THRESHOLD"]);
    for (name, (paths, ids, threshold)) in roles {
        let mut paths: Vec<String> = paths
            .iter()
            .map(|p| {
                if p.is_empty() {
                    "\"\" <all paths>".to_owned()
                } else {
                    p.clone()
                }
            })
            .collect();
        paths.sort();
        let rows = paths.len().max(ids.len()).max(1);
        for i in 0..rows {
            let first = i == 0;
            table.row(vec![
                if first { name.clone() } else { String::new() },
                paths.get(i).cloned().unwrap_or_default(),
                ids.get(i).cloned().unwrap_or_default(),
                if first { threshold.to_string() } else { String::new() },
            ]);
        }
    }
    println!();
    print!("{}", table.render());
    println!();
    Ok(())
}

fn delegation_role(role: &str) -> Result<RoleName, Fatal> {
    match role.parse::<RoleName>() {
        Ok(r @ RoleName::Delegation(_)) => Ok(r),
        _ => Err(Fatal(format!(
            "failed to create delegation: tuf: invalid role {role}. invalid delegation role name"
        ))),
    }
}

pub(crate) fn add(ctx: &Context, args: DelegationAddArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    if args.pem_files.is_empty() && args.paths.is_empty() && !args.all_paths {
        return Err(Fatal("must specify the Global Unique Name and the role of the delegation along with the public key certificate paths and/or a list of paths to add".into()));
    }
    let role = delegation_role(&args.role)?;
    let mut keys = Vec::new();
    for path in &args.pem_files {
        let pem = read_limited(path, MAX_PEM_LEN)?;
        keys.push(
            public_key_from_pem(&pem)
                .map_err(|e| Fatal(format!("unable to read public key from file: {}: {e}", path.display())))?,
        );
    }
    let paths: Vec<String> = if args.all_paths {
        vec![String::new()]
    } else {
        args.paths.clone()
    };
    let changelist = ctx.changelist(&gun)?;
    let now = std::time::SystemTime::now();
    if !keys.is_empty() {
        let data = DelegationData {
            threshold: 1,
            add_keys: keys.clone(),
            ..Default::default()
        };
        changelist.add(&Change::delegation(Action::Create, role.as_str(), data), now)?;
    }
    if !paths.is_empty() {
        let data = DelegationData {
            add_paths: paths.clone(),
            ..Default::default()
        };
        changelist.add(&Change::delegation(Action::Create, role.as_str(), data), now)?;
    }
    let ids: Vec<String> = keys
        .iter()
        .map(|k| {
            k.canonical_id()
                .map_or_else(|_| k.key_id().to_string(), |id| id.to_string())
        })
        .collect();
    let mut parts = Vec::new();
    if !ids.is_empty() {
        parts.push(format!("with keys [{}]", ids.join(" ")));
    }
    if !paths.is_empty() {
        parts.push(format!("with paths [{}]", pretty_paths(&paths).join("\n")));
    }
    println!(
        "\nAddition of delegation role {role} {}, to repository \"{gun}\" staged for next publish.\n",
        parts.join(", ")
    );
    maybe_auto_publish(ctx, args.publish.publish, &gun)
}

pub(crate) fn remove(ctx: &Context, args: DelegationRemoveArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let role = delegation_role(&args.role)?;
    let changelist = ctx.changelist(&gun)?;
    let now = std::time::SystemTime::now();
    let remove_all = args.key_ids.is_empty() && args.paths.is_empty() && !args.all_paths;
    if remove_all {
        println!("\nAre you sure you want to remove all data for this delegation? (yes/no)");
        if args.yes {
            println!("Confirmed `yes` from flag");
        } else if !confirm("")? {
            return Err(Fatal("Aborting action.".into()));
        }
        changelist.add(&Change::delegation_delete(role.as_str()), now)?;
        println!(
            "\nForced removal (including all keys and paths) of delegation role {role} to repository \"{gun}\" staged for next publish.\n"
        );
        return maybe_auto_publish(ctx, args.publish.publish, &gun);
    }
    if args.all_paths {
        let data = DelegationData {
            clear_paths: true,
            ..Default::default()
        };
        changelist.add(&Change::delegation(Action::Update, role.as_str(), data), now)?;
    }
    if !args.paths.is_empty() {
        let data = DelegationData {
            remove_paths: args.paths.clone(),
            ..Default::default()
        };
        changelist.add(&Change::delegation(Action::Update, role.as_str(), data), now)?;
    }
    if !args.key_ids.is_empty() {
        let data = DelegationData {
            remove_keys: args.key_ids.iter().map(|k| KeyId::new(k.clone())).collect(),
            ..Default::default()
        };
        changelist.add(&Change::delegation(Action::Update, role.as_str(), data), now)?;
    }
    let mut parts = Vec::new();
    if !args.key_ids.is_empty() {
        parts.push(format!("with keys [{}]", args.key_ids.join(" ")));
    }
    if args.all_paths {
        parts.push("with all paths".to_owned());
    } else if !args.paths.is_empty() {
        parts.push(format!("with paths [{}]", pretty_paths(&args.paths).join("\n")));
    }
    println!(
        "\nRemoval of delegation role {role} {}, to repository \"{gun}\" staged for next publish.\n",
        parts.join(", ")
    );
    maybe_auto_publish(ctx, args.publish.publish, &gun)
}

pub(crate) fn purge(ctx: &Context, args: DelegationPurgeArgs) -> CmdResult {
    let gun = parse_gun(&args.gun)?;
    let changelist = ctx.changelist(&gun)?;
    let data = DelegationData {
        remove_keys: args.keys.iter().map(|k| KeyId::new(k.clone())).collect(),
        ..Default::default()
    };
    changelist.add(
        &Change::delegation(Action::Update, "targets/*", data),
        std::time::SystemTime::now(),
    )?;
    println!("Removal of the following keys from all delegations in {gun} staged for next publish:");
    for key in &args.keys {
        println!("\t- {key}");
    }
    maybe_auto_publish(ctx, args.publish.publish, &gun)
}

fn pretty_paths(paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            if p.is_empty() {
                "\"\" <all paths>".to_owned()
            } else {
                p.clone()
            }
        })
        .collect()
}

/// A delegation key from a PEM file: a `CERTIFICATE` (kept as the certificate, `ecdsa-x509` /
/// `rsa-x509`) or a `PUBLIC KEY` (`ecdsa` / `rsa`). Ed25519 and other key types are refused.
fn public_key_from_pem(text: &[u8]) -> Result<PublicKey, String> {
    let text = std::str::from_utf8(text).map_err(|_| "not a PEM file".to_owned())?;
    let begin = text.find("-----BEGIN ").ok_or("no PEM block found")?;
    let tag_end = text[begin + 11..].find("-----").ok_or("malformed PEM block")?;
    let tag = &text[begin + 11..begin + 11 + tag_end];
    let der = pem_body(&text[begin..]).ok_or("malformed PEM block")?;
    match tag {
        "CERTIFICATE" => {
            let cert = Certificate::from_der(&der).map_err(|e| e.to_string())?;
            let key_type = match spki_algorithm(cert.spki_der()) {
                Some(Algorithm::Ecdsa) => KeyType::EcdsaX509,
                Some(Algorithm::Rsa) => KeyType::RsaX509,
                None => return Err("unsupported certificate key type".into()),
            };
            let pem = notary_tuf::cert::pem_encode("CERTIFICATE", &[], cert.der());
            Ok(PublicKey::new(key_type, pem.into_bytes()))
        }
        "PUBLIC KEY" => {
            let key_type = match spki_algorithm(&der) {
                Some(Algorithm::Ecdsa) => KeyType::Ecdsa,
                Some(Algorithm::Rsa) => KeyType::Rsa,
                None => return Err("unsupported public key type".into()),
            };
            Ok(PublicKey::new(key_type, der))
        }
        other => {
            log::debug(&format!("unsupported PEM block {other}"));
            Err(format!("unsupported PEM block type {other}"))
        }
    }
}

enum Algorithm {
    Ecdsa,
    Rsa,
}

/// The key algorithm of a DER SubjectPublicKeyInfo, from its algorithm OID.
fn spki_algorithm(spki: &[u8]) -> Option<Algorithm> {
    const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const RSA_ENCRYPTION: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let head = &spki[..spki.len().min(32)];
    if head.windows(EC_PUBLIC_KEY.len()).any(|w| w == EC_PUBLIC_KEY) {
        Some(Algorithm::Ecdsa)
    } else if head.windows(RSA_ENCRYPTION.len()).any(|w| w == RSA_ENCRYPTION) {
        Some(Algorithm::Rsa)
    } else {
        None
    }
}

/// The base64 body of the first PEM block of `text`, decoded (headers skipped).
fn pem_body(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let mut lines = text.lines();
    lines.next()?;
    let mut b64 = String::new();
    for line in lines {
        if line.starts_with("-----END ") {
            return base64::engine::general_purpose::STANDARD.decode(b64).ok();
        }
        if line.contains(':') || line.trim().is_empty() {
            continue;
        }
        b64.push_str(line.trim());
    }
    None
}
