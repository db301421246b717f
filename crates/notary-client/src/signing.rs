//! Signing a role's metadata as the Go client does (`shared/spec/metadata.md` §11): every
//! locally held key of the role signs, at least the threshold must, still-valid signatures of
//! other holders are kept (so several people can reach a threshold above 1 in turn), and the file
//! is written in Go's exact serialisation so that Go servers hash the same bytes.

use std::collections::BTreeSet;

use notary_tuf::metadata::{self, RoleBody, Root, Signature, Targets};
use notary_tuf::sign::PrivateKey;
use notary_tuf::verify::RoleKeySet;
use notary_tuf::{KeyId, PublicKey, RoleName};

/// Where private keys come from (the key store, with passphrases).
pub trait KeySource {
    /// The private key with this canonical key ID, if this client holds it. `role` names the
    /// role being signed (for the passphrase prompt).
    fn private_key(&mut self, canonical_id: &str, role: &str) -> Result<Option<&PrivateKey>, SignError>;
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// None of the role's keys is held here.
    #[error("signing keys not available: need {needed} keys from {possible} possible keys ({ids})")]
    NoKeys {
        /// The role.
        role: String,
        /// Its threshold.
        needed: i64,
        /// How many keys the role has.
        possible: usize,
        /// Their canonical IDs, comma-separated.
        ids: String,
    },
    /// Some but fewer than the threshold.
    #[error("not enough signing keys: found {found} of {needed} needed keys - {other} other possible keys ({ids})")]
    NotEnoughKeys {
        /// The role.
        role: String,
        /// Keys held.
        found: usize,
        /// The threshold.
        needed: i64,
        /// Keys not held.
        other: usize,
        /// Canonical IDs of the keys not held.
        ids: String,
    },
    /// A key could not be read (wrong passphrase, corrupt file, …).
    #[error("{0}")]
    Key(String),
    /// The body could not be serialised or signed.
    #[error("could not sign {role}: {reason}")]
    Internal {
        /// The role.
        role: String,
        /// What failed.
        reason: String,
    },
}

/// One key set a file must satisfy: the role's own keys, or (root rotation) the previous root's.
#[derive(Clone, Debug)]
pub struct SigningRole {
    /// Role name, for messages and prompts.
    pub name: String,
    /// Metadata key IDs and keys.
    pub keys: Vec<(KeyId, PublicKey)>,
    /// Signatures needed.
    pub threshold: i64,
}

impl SigningRole {
    /// A base role's keys as `root` lists them.
    pub fn of_base_role(root: &Root, role: &RoleName) -> SigningRole {
        let set = RoleKeySet::of_base_role(root, role);
        SigningRole::from_set(role.as_str(), &set)
    }

    /// A delegation's keys as its parent lists them (threshold 1 if the role is missing).
    pub fn of_delegation(parent: &Targets, role: &str) -> SigningRole {
        match parent.delegation(role) {
            Some(d) => SigningRole::from_set(role, &RoleKeySet::of_delegation(parent, d)),
            None => SigningRole {
                name: role.to_owned(),
                keys: Vec::new(),
                threshold: 1,
            },
        }
    }

    fn from_set(name: &str, set: &RoleKeySet<'_>) -> SigningRole {
        SigningRole {
            name: name.to_owned(),
            keys: set
                .keys
                .iter()
                .map(|(id, key)| ((*id).clone(), (*key).clone()))
                .collect(),
            threshold: set.threshold,
        }
    }
}

/// Signs `body` for every key set in `roles` and returns the file bytes. `previous` are the
/// signatures of the file being replaced: those still valid over the new body by a key of one of
/// the sets are kept.
pub fn sign_file<T: RoleBody>(
    body: &T,
    roles: &[SigningRole],
    previous: &[Signature],
    keys: &mut dyn KeySource,
) -> Result<Vec<u8>, SignError> {
    let role_name = roles.first().map_or("", |r| r.name.as_str()).to_owned();
    let internal = |reason: String| SignError::Internal {
        role: role_name.clone(),
        reason,
    };
    let canonical = metadata::canonical_body(body).map_err(|e| internal(e.to_string()))?;
    let mut signatures: Vec<Signature> = Vec::new();
    let mut signed_by: BTreeSet<KeyId> = BTreeSet::new();
    for role in roles {
        let mut found = 0usize;
        let mut missing = Vec::new();
        for (id, public) in &role.keys {
            if signed_by.contains(id) {
                found += 1;
                continue;
            }
            let canonical_id = public.canonical_id().map_err(|e| internal(e.to_string()))?;
            match keys.private_key(canonical_id.as_str(), &role.name)? {
                Some(private) => {
                    let signature = private
                        .sign(id.clone(), &canonical)
                        .map_err(|e| internal(e.to_string()))?;
                    signatures.push(signature);
                    signed_by.insert(id.clone());
                    found += 1;
                }
                None => missing.push(canonical_id.as_str().to_owned()),
            }
        }
        let needed = role.threshold.max(1);
        if (found as i64) < needed {
            // Signatures from other holders still count towards the threshold.
            let kept = previous
                .iter()
                .filter(|s| !signed_by.contains(&s.key_id))
                .filter(|s| {
                    role.keys
                        .iter()
                        .any(|(id, k)| *id == s.key_id && k.verify(&s.method, &canonical, &s.sig).is_ok())
                })
                .map(|s| s.key_id.clone())
                .collect::<BTreeSet<_>>()
                .len();
            if found == 0 && kept == 0 {
                return Err(SignError::NoKeys {
                    role: role.name.clone(),
                    needed,
                    possible: role.keys.len(),
                    ids: missing.join(", "),
                });
            }
            if ((found + kept) as i64) < needed {
                return Err(SignError::NotEnoughKeys {
                    role: role.name.clone(),
                    found: found + kept,
                    needed,
                    other: missing.len(),
                    ids: missing.join(", "),
                });
            }
        }
    }
    // Keep other holders' signatures that are still valid over the new body.
    for s in previous {
        if signed_by.contains(&s.key_id) {
            continue;
        }
        let valid = roles.iter().any(|r| {
            r.keys
                .iter()
                .any(|(id, k)| *id == s.key_id && k.verify(&s.method, &canonical, &s.sig).is_ok())
        });
        if valid {
            signed_by.insert(s.key_id.clone());
            signatures.push(s.clone());
        }
    }
    Ok(metadata::envelope(&canonical, &signatures))
}
