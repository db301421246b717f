//! The verification rules, one function each, shared by the client's update and the server's
//! upload validation (`shared/spec/metadata.md` §12, `server-behaviour.md` §2).

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;

use crate::cert::{self, CaBundle, CertChain, Certificate};
use crate::error::VerifyError;
use crate::expires::Expires;
use crate::key::{KeyId, PublicKey};
use crate::metadata::{DelegatedRole, RoleBody, Root, Signature, Signed, Targets, Verified};
use crate::name::{Gun, RoleName};

/// The keys allowed to sign a role and how many distinct ones must.
#[derive(Clone, Debug)]
pub struct RoleKeySet<'a> {
    /// Key ID (as listed in metadata) → key.
    pub keys: BTreeMap<&'a KeyId, &'a PublicKey>,
    /// Distinct valid signatures needed.
    pub threshold: i64,
}

impl<'a> RoleKeySet<'a> {
    /// The keys and threshold `root` assigns to a base role; IDs without a key are left out
    /// (the structure check refuses such roots anyway).
    pub fn of_base_role(root: &'a Root, role: &RoleName) -> RoleKeySet<'a> {
        let Some(role_keys) = root.role(role) else {
            return RoleKeySet {
                keys: BTreeMap::new(),
                threshold: 1,
            };
        };
        let keys = role_keys
            .keyids
            .iter()
            .filter_map(|id| root.keys.get_key_value(id))
            .collect();
        RoleKeySet {
            keys,
            threshold: role_keys.threshold,
        }
    }
}

impl<'a> RoleKeySet<'a> {
    /// The keys and threshold a parent targets file delegates to `delegation`. Certificate keys
    /// must pass the algorithm checks (no SHA-1, RSA ≥ 2048 bits, dates in order); their expiry
    /// is not checked, the role's own metadata expiry applies (server-behaviour.md §2.4,
    /// keys.md §4.2). Unusable keys are left out, so their signatures do not count.
    pub fn of_delegation(parent: &'a Targets, delegation: &'a DelegatedRole) -> RoleKeySet<'a> {
        let usable = |key: &PublicKey| {
            !key.key_type().is_x509()
                || CertChain::parse_pem(key.public_bytes()).is_ok_and(|c| c.first().check_algorithms().is_ok())
        };
        let keys = delegation
            .keyids
            .iter()
            .filter_map(|id| parent.delegations.keys.get_key_value(id))
            .filter(|(_, key)| usable(key))
            .collect();
        RoleKeySet {
            keys,
            threshold: delegation.threshold,
        }
    }
}

/// Threshold rule (metadata.md §12.3): at least `threshold` *distinct* keys of the role made a
/// valid signature over `canonical`. Signatures by other keys, with unknown methods or that fail
/// to verify are skipped; a signature naming a role key whose content hashes to another ID is a
/// hard error.
pub fn check_signatures(
    role: &str,
    canonical: &[u8],
    signatures: &[Signature],
    keys: &RoleKeySet<'_>,
) -> Result<(), VerifyError> {
    if signatures.is_empty() {
        return Err(VerifyError::NoSignatures { role: role.to_owned() });
    }
    let needed = u32::try_from(keys.threshold).unwrap_or(0);
    if needed < 1 {
        return Err(VerifyError::ThresholdNotMet {
            role: role.to_owned(),
            needed,
            valid: 0,
        });
    }
    let mut valid: BTreeSet<&KeyId> = BTreeSet::new();
    for s in signatures {
        let Some((&listed_id, key)) = keys.keys.get_key_value(&s.key_id) else {
            continue;
        };
        if valid.contains(listed_id) {
            continue;
        }
        if key.key_id() != *listed_id {
            return Err(VerifyError::InvalidKeyId {
                role: role.to_owned(),
                key_id: listed_id.clone(),
            });
        }
        // Every signature is examined, as in Go: a later signature naming a key whose content
        // hashes to another ID is a hard error even once the threshold is met.
        if key.verify(&s.method, canonical, &s.sig).is_ok() {
            valid.insert(listed_id);
        }
    }
    if valid.len() >= needed as usize {
        return Ok(());
    }
    let valid = u32::try_from(valid.len()).unwrap_or(u32::MAX);
    Err(VerifyError::ThresholdNotMet {
        role: role.to_owned(),
        needed,
        valid,
    })
}

/// Expiry rule: expired when `expires` is strictly before `now`.
pub fn check_expiry(role: &str, expires: Expires, now: OffsetDateTime) -> Result<(), VerifyError> {
    if expires.is_expired(now) {
        return Err(VerifyError::Expired {
            role: role.to_owned(),
            expires,
        });
    }
    Ok(())
}

/// Rollback rule: a version lower than the trusted one is refused (equal is allowed: unchanged).
pub fn check_version(role: &str, version: i64, minimum: i64) -> Result<(), VerifyError> {
    if version < minimum {
        return Err(VerifyError::LowVersion {
            role: role.to_owned(),
            version,
            current: minimum,
        });
    }
    Ok(())
}

/// Whether expiry is enforced for a load. Anything but `Enforce` weakens freshness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Refuse expired metadata (the normal case).
    Enforce,
    /// # Security
    /// Accept expired metadata: only to read minimum versions from a cache, or for intermediate
    /// roots while walking a rotation chain.
    Ignore,
}

/// Which root certificates a client accepts for a root it does not yet trust
/// (`shared/spec/client.md` §3). Applied to leaves that already match the GUN and are valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustPinning {
    /// # Security
    /// Trust on first use: any valid certificate whose CN matches the GUN. This is Notary's
    /// default and what the server applies (it has no pinning).
    TrustOnFirstUse,
    /// Only certificates whose metadata key ID (leaf + intermediates) is listed.
    KeyIds(Vec<KeyId>),
    /// Only certificates that chain to one of these CAs through the root's own intermediates,
    /// under Go's default X.509 verification at `now` ([`cert::chains_to_anchor`]; the leaf needs
    /// a serverAuth-compatible EKU, keys.md §4.2). Expired, SHA-1 and small-RSA CA certificates
    /// are dropped first; when none is left the root is refused (`invalid CA certs provided`).
    Ca(CaBundle),
    /// Refuse every new root, with this reason (e.g. `invalid trust pinning specified` when
    /// TOFU is disabled and nothing is pinned).
    Refuse(String),
}

/// Root rules (metadata.md §12.2, server-behaviour.md §2.3), in Go's order:
/// structure; usable leaf certificates for `gun`; signed by `trusted`'s root keys and threshold
/// (rotation); pinning; signed by its own root keys and threshold; version ≥ `min_version`;
/// expiry (if enforced).
pub fn verify_root(
    new: Signed<Root>,
    trusted: Option<&Root>,
    gun: &Gun,
    pinning: &TrustPinning,
    min_version: i64,
    expiry: Expiry,
    now: OffsetDateTime,
) -> Result<Verified<Root>, VerifyError> {
    new.body().check_structure(&RoleName::Root)?;
    let mut candidates = root_certificate_keys(new.body(), gun, Some(now));
    if candidates.is_empty() {
        return Err(pinning_error("unable to retrieve valid leaf certificates"));
    }
    if let Some(trusted) = trusted {
        let previous = root_certificate_keys(trusted, gun, None);
        let threshold = trusted.role(&RoleName::Root).map_or(1, |r| r.threshold);
        let set = RootKeySet::new(&previous, threshold);
        if check_signatures("root", new.canonical(), new.signatures(), &set.as_key_set()).is_err() {
            return Err(VerifyError::RootRotation {
                reason: "failed to validate data with current trusted certificates".into(),
            });
        }
    }
    match pinning {
        TrustPinning::TrustOnFirstUse => {}
        TrustPinning::KeyIds(ids) => candidates.retain(|k| ids.contains(&k.id)),
        TrustPinning::Ca(bundle) => {
            let anchors = bundle.usable_at(now);
            if anchors.is_empty() {
                return Err(pinning_error("invalid CA certs provided"));
            }
            candidates.retain(|k| chains_to_ca(k, &anchors, now));
        }
        TrustPinning::Refuse(reason) => return Err(pinning_error(reason)),
    }
    if candidates.is_empty() {
        return Err(pinning_error(
            "unable to match any certificates to trust_pinning config",
        ));
    }
    let threshold = new.body().role(&RoleName::Root).map_or(1, |r| r.threshold);
    let set = RootKeySet::new(&candidates, threshold);
    if check_signatures("root", new.canonical(), new.signatures(), &set.as_key_set()).is_err() {
        return Err(pinning_error("failed to validate integrity of roots"));
    }
    check_version("root", new.body().version, min_version)?;
    if expiry == Expiry::Enforce {
        check_expiry("root", new.body().expires, now)?;
    }
    Ok(Verified::new(new))
}

/// Accepts a root without any check.
///
/// # Security
/// Only for a root the caller already trusts (the client's cached root.json, which is its trust
/// anchor, metadata.md §12.2 "Bootstrap"). The bytes must come from a place only this user can
/// write.
pub fn trust_cached_root(root: Signed<Root>) -> Result<Verified<Root>, VerifyError> {
    root.body().check_structure(&RoleName::Root)?;
    Ok(Verified::new(root))
}

/// A usable root certificate key: the key rebuilt from its leaf and intermediates, as Go does.
#[derive(Clone, Debug)]
pub struct RootCertKey {
    /// The metadata key ID of the rebuilt key.
    pub id: KeyId,
    /// The rebuilt key (`ecdsa-x509` / `rsa-x509`, Go PEM encoding).
    pub key: PublicKey,
    /// The leaf certificate.
    pub leaf: Certificate,
}

/// The root role's keys whose certificates are usable for `gun` (metadata.md §12.2 steps 2–3):
/// a non-CA leaf first, CN matching the GUN, acceptable algorithms, and when `now` is given,
/// currently valid. Each key is rebuilt from the leaf and its acceptable intermediates, so a key
/// stored in any other PEM layout gets another ID and its signatures no longer count.
pub fn root_certificate_keys(root: &Root, gun: &Gun, now: Option<OffsetDateTime>) -> Vec<RootCertKey> {
    let Some(role) = root.role(&RoleName::Root) else {
        return Vec::new();
    };
    let usable = |c: &Certificate| match now {
        Some(now) => c.check_valid_at(now).is_ok(),
        None => c.check_algorithms().is_ok(),
    };
    let mut out = Vec::new();
    for id in &role.keyids {
        let Some(key) = root.keys.get(id) else { continue };
        if !key.key_type().is_x509() {
            continue;
        }
        let Ok(chain) = CertChain::parse_pem(key.public_bytes()) else {
            continue;
        };
        let Some((leaf, intermediates)) = chain.leaf_and_intermediates() else {
            continue;
        };
        if !leaf.matches_gun(gun) || !usable(leaf) {
            continue;
        }
        let mut pem = cert::pem_encode("CERTIFICATE", &[], leaf.der());
        for c in intermediates.iter().filter(|c| usable(c)) {
            pem.push_str(&cert::pem_encode("CERTIFICATE", &[], c.der()));
        }
        let rebuilt = PublicKey::new(key.key_type().clone(), pem.into_bytes());
        out.push(RootCertKey {
            id: rebuilt.key_id(),
            key: rebuilt,
            leaf: leaf.clone(),
        });
    }
    out
}

/// Whether a usable root certificate key chains to one of `anchors`, through the intermediates
/// kept in its rebuilt key (Go passes the same filtered intermediates).
fn chains_to_ca(key: &RootCertKey, anchors: &[&Certificate], now: OffsetDateTime) -> bool {
    let Ok(chain) = CertChain::parse_pem(key.key.public_bytes()) else {
        return false;
    };
    let Some((leaf, intermediates)) = chain.leaf_and_intermediates() else {
        return false;
    };
    cert::chains_to_anchor(leaf, intermediates, anchors, now)
}

struct RootKeySet<'a> {
    keys: &'a [RootCertKey],
    threshold: i64,
}

impl<'a> RootKeySet<'a> {
    fn new(keys: &'a [RootCertKey], threshold: i64) -> Self {
        RootKeySet { keys, threshold }
    }

    fn as_key_set(&self) -> RoleKeySet<'a> {
        RoleKeySet {
            keys: self.keys.iter().map(|k| (&k.id, &k.key)).collect(),
            threshold: self.threshold,
        }
    }
}

fn pinning_error(reason: &str) -> VerifyError {
    VerifyError::RootPinning {
        reason: reason.to_owned(),
    }
}
