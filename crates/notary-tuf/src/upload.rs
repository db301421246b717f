//! The server's rules for accepting an upload, and the snapshot and timestamp it makes
//! (`shared/spec/server-behaviour.md` §2–§3). Pure: the caller passes the GUN's current stored
//! files and the uploaded parts, and stores what comes back in one transaction.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use crate::error::{ParseError, VerifyError};
use crate::expires::Expires;
use crate::metadata::{FileMeta, RoleBody, Root, Signed, Snapshot, Targets, Timestamp, Verified};
use crate::name::{Gun, RoleName};
use crate::verify::{self, Expiry, RoleKeySet, TrustPinning};

/// How long a server-made snapshot is valid (server-behaviour.md §3.4).
pub const SNAPSHOT_LIFETIME: Duration = Duration::days(3 * 365);
/// How long a server-made timestamp is valid.
pub const TIMESTAMP_LIFETIME: Duration = Duration::days(14);

/// The current files the server holds for one GUN.
pub trait StoredMetadata {
    /// The current file of `role` (`root`, `targets`, `targets/x`, `snapshot`, `timestamp`).
    fn current(&self, role: &str) -> Option<&[u8]>;
}

impl StoredMetadata for BTreeMap<String, Vec<u8>> {
    fn current(&self, role: &str) -> Option<&[u8]> {
        self.get(role).map(Vec::as_slice)
    }
}

/// Why an upload was refused: the `detail.Name` kinds of Go's `INVALID_UPDATE`
/// (server-behaviour.md §2.8), plus unparsable parts (`MALFORMED_JSON`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// A part is not a metadata envelope of its role's shape.
    #[error("{role}: {source}")]
    Malformed {
        /// The part's role.
        role: String,
        /// The parse failure.
        source: ParseError,
    },
    /// `ErrValidation`.
    #[error("{0}")]
    Validation(String),
    /// `ErrBadRoot`.
    #[error("{0}")]
    BadRoot(String),
    /// `ErrBadTargets`.
    #[error("{0}")]
    BadTargets(String),
    /// `ErrBadSnapshot`.
    #[error("{0}")]
    BadSnapshot(String),
    /// `ErrBadHierarchy` with the missing role.
    #[error("{message}")]
    BadHierarchy {
        /// The role that is missing (`snapshot`).
        missing: String,
        /// The message.
        message: String,
    },
}

impl UploadError {
    /// Go's `detail.Name` for this error (`None` for malformed parts).
    pub fn go_name(&self) -> Option<&'static str> {
        Some(match self {
            UploadError::Malformed { .. } => return None,
            UploadError::Validation(_) => "ErrValidation",
            UploadError::BadRoot(_) => "ErrBadRoot",
            UploadError::BadTargets(_) => "ErrBadTargets",
            UploadError::BadSnapshot(_) => "ErrBadSnapshot",
            UploadError::BadHierarchy { .. } => "ErrBadHierarchy",
        })
    }
}

/// An upload that passed validation.
#[derive(Debug)]
pub struct ValidUpdate {
    /// The root in effect after this update (uploaded, else stored).
    pub root: Verified<Root>,
    /// Uploaded files to store, in validation order (root, targets by depth, snapshot).
    pub files: Vec<UploadedFile>,
    /// Every targets file this validation loaded (uploaded ones and their stored ancestors):
    /// their snapshot entries are recomputed when the server makes the snapshot.
    pub loaded_targets: BTreeMap<String, Vec<u8>>,
    /// Whether the client sent a snapshot (else the server must make one).
    pub snapshot_uploaded: bool,
}

/// One uploaded file that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The role.
    pub role: RoleName,
    /// Its `signed.version`.
    pub version: i64,
    /// The exact uploaded bytes (what is stored, served and hashed).
    pub raw: Vec<u8>,
}

/// Validates an upload (server-behaviour.md §2) against the GUN's stored state. Any uploaded
/// timestamp is ignored: the server always makes it (§2.6).
pub fn validate_update(
    gun: &Gun,
    stored: &dyn StoredMetadata,
    uploads: BTreeMap<RoleName, Vec<u8>>,
    now: OffsetDateTime,
) -> Result<ValidUpdate, UploadError> {
    let mut root_part = None;
    let mut snapshot_part = None;
    let mut targets_parts = Vec::new();
    for (role, raw) in uploads {
        let refused = |source| refused_part(&role, &raw, source);
        match &role {
            RoleName::Root => root_part = Some(Signed::<Root>::parse(raw.clone()).map_err(refused)?),
            RoleName::Snapshot => snapshot_part = Some(Signed::<Snapshot>::parse(raw.clone()).map_err(refused)?),
            // §2.6: the server always makes the timestamp; an uploaded one is not even read.
            RoleName::Timestamp => {}
            RoleName::Targets | RoleName::Delegation(_) => {
                let signed = Signed::<Targets>::parse(raw.clone()).map_err(refused)?;
                targets_parts.push((role.clone(), signed));
            }
        }
    }

    // §2.1–2.2: the root in effect.
    let stored_root = match stored.current("root") {
        Some(raw) => Some(
            Signed::<Root>::parse(raw.to_vec())
                .map_err(|e| UploadError::Validation(format!("stored root is unreadable: {e}")))?,
        ),
        None => None,
    };
    let mut files = Vec::new();
    let root = match (root_part, stored_root) {
        (Some(new), previous) => {
            let current = previous.as_ref().map_or(1, |p| p.body().version);
            let version = new.body().version;
            if version != current && version != current + 1 {
                return Err(UploadError::BadRoot(format!(
                    "Root modifications must increment the version. Current {current}, new {version}"
                )));
            }
            let verified = verify::verify_root(
                new,
                previous.as_ref().map(Signed::body),
                gun,
                &TrustPinning::TrustOnFirstUse,
                0,
                Expiry::Enforce,
                now,
            )
            .map_err(|e| UploadError::BadRoot(e.to_string()))?;
            files.push(UploadedFile {
                role: RoleName::Root,
                version,
                raw: verified.raw().to_vec(),
            });
            verified
        }
        (None, Some(stored)) => {
            verify::trust_cached_root(stored).map_err(|e| UploadError::Validation(e.to_string()))?
        }
        (None, None) => {
            return Err(UploadError::Validation(
                "no pre-existing root and no root provided in update.".into(),
            ));
        }
    };

    // §2.4: targets and delegations, shallowest first.
    targets_parts.sort_by(|(a, _), (b, _)| a.depth().cmp(&b.depth()).then_with(|| a.as_str().cmp(b.as_str())));
    let mut loaded: BTreeMap<String, Signed<Targets>> = BTreeMap::new();
    let mut uploaded_targets = Vec::new();
    for (role, signed) in targets_parts {
        load_stored_ancestors(&role, stored, &mut loaded);
        check_targets(&role, &signed, root.body(), &loaded, now).map_err(|e| UploadError::BadTargets(e.to_string()))?;
        files.push(UploadedFile {
            role: role.clone(),
            version: signed.body().version,
            raw: signed.raw().to_vec(),
        });
        uploaded_targets.push(role.as_str().to_owned());
        loaded.insert(role.as_str().to_owned(), signed);
    }

    // §2.5: an uploaded snapshot.
    let snapshot_uploaded = snapshot_part.is_some();
    if let Some(snapshot) = snapshot_part {
        check_snapshot(&snapshot, &root, &loaded, stored, now).map_err(|e| UploadError::BadSnapshot(e.to_string()))?;
        files.push(UploadedFile {
            role: RoleName::Snapshot,
            version: snapshot.body().version,
            raw: snapshot.raw().to_vec(),
        });
    }

    let loaded_targets = loaded
        .into_iter()
        .map(|(role, signed)| (role, signed.into_parts().0))
        .collect();
    Ok(ValidUpdate {
        root,
        files,
        loaded_targets,
        snapshot_uploaded,
    })
}

/// The error for a part that is not metadata of its role's shape. Go checks signatures before
/// structure, so an envelope without signatures fails as `tuf: data has no signatures`, and a
/// signed one of the wrong shape as `<role> type metadata invalid`, both of the role's kind; bytes
/// that are not a JSON envelope at all stay [`UploadError::Malformed`].
fn refused_part(role: &RoleName, raw: &[u8], source: ParseError) -> UploadError {
    let Ok(serde_json::Value::Object(envelope)) = serde_json::from_slice::<serde_json::Value>(raw) else {
        return UploadError::Malformed {
            role: role.as_str().to_owned(),
            source,
        };
    };
    let signed = envelope
        .get("signatures")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|sigs| !sigs.is_empty());
    let message = if signed {
        let kind = if role.is_targets_kind() {
            "targets"
        } else {
            role.as_str()
        };
        format!("{kind} type metadata invalid: {source}")
    } else {
        "tuf: data has no signatures".to_owned()
    };
    match role {
        RoleName::Root => UploadError::BadRoot(message),
        RoleName::Snapshot => UploadError::BadSnapshot(message),
        _ => UploadError::BadTargets(message),
    }
}

/// The next server-made snapshot (§3.1): the previous one's entries kept, `root` and every loaded
/// targets file recomputed over their exact bytes, version + 1, expiry now + 3 years.
pub fn next_snapshot(
    previous: Option<&Snapshot>,
    root_raw: &[u8],
    loaded_targets: &BTreeMap<String, Vec<u8>>,
    now: OffsetDateTime,
) -> Result<Snapshot, UploadError> {
    let (mut meta, version) = match previous {
        Some(p) => (p.meta.clone(), p.version.saturating_add(1)),
        None if loaded_targets.contains_key("targets") => (BTreeMap::new(), 1),
        None => return Err(UploadError::Validation("targets must be loaded first".into())),
    };
    meta.insert("root".to_owned(), FileMeta::of_bytes(root_raw));
    for (role, raw) in loaded_targets {
        meta.insert(role.clone(), FileMeta::of_bytes(raw));
    }
    Ok(Snapshot {
        type_name: Snapshot::TYPE.to_owned(),
        expires: Expires::after(now, SNAPSHOT_LIFETIME),
        meta,
        version,
        extra: Default::default(),
    })
}

/// The next timestamp (§3.2): version + 1 (1 for the first), expiry now + 14 days, pointing at
/// the exact bytes of `snapshot_raw`.
pub fn next_timestamp(previous_version: Option<i64>, snapshot_raw: &[u8], now: OffsetDateTime) -> Timestamp {
    let mut meta = BTreeMap::new();
    meta.insert("snapshot".to_owned(), FileMeta::of_bytes(snapshot_raw));
    Timestamp {
        type_name: Timestamp::TYPE.to_owned(),
        expires: Expires::after(now, TIMESTAMP_LIFETIME),
        meta,
        version: previous_version.map_or(1, |v| v.saturating_add(1)),
        extra: Default::default(),
    }
}

/// Loads `role`'s missing ancestors from storage, shallowest first (absent ones are skipped; the
/// role then fails its own checks).
fn load_stored_ancestors(role: &RoleName, stored: &dyn StoredMetadata, loaded: &mut BTreeMap<String, Signed<Targets>>) {
    let mut ancestors = Vec::new();
    let mut current = role.parent();
    while let Some(parent) = current {
        current = parent.parent();
        ancestors.push(parent);
    }
    for ancestor in ancestors.into_iter().rev() {
        let name = ancestor.as_str();
        if loaded.contains_key(name) {
            continue;
        }
        if let Some(signed) = stored
            .current(name)
            .and_then(|raw| Signed::<Targets>::parse(raw.to_vec()).ok())
        {
            loaded.insert(name.to_owned(), signed);
        }
    }
}

/// §2.4 steps 2–4: signatures by the role's keys, structure, expiry, in Go's order (the
/// builder checks a delegation's structure before its signatures, `targets`' after).
fn check_targets(
    role: &RoleName,
    signed: &Signed<Targets>,
    root: &Root,
    loaded: &BTreeMap<String, Signed<Targets>>,
    now: OffsetDateTime,
) -> Result<(), VerifyError> {
    let name = role.as_str();
    let keys = match role.parent() {
        None => RoleKeySet::of_base_role(root, role),
        Some(parent) => {
            // Go's builder refuses any delegation before `targets` is loaded.
            if !loaded.contains_key("targets") {
                return Err(VerifyError::NotLoaded { role: "targets".into() });
            }
            let delegation = loaded
                .get(parent.as_str())
                .and_then(|p| p.body().delegation(name).map(|d| (p, d)));
            let Some((parent, delegation)) = delegation else {
                return Err(VerifyError::InvalidRole {
                    role: name.to_owned(),
                    reason: "delegation does not exist".into(),
                });
            };
            RoleKeySet::of_delegation(parent.body(), delegation)
        }
    };
    let is_delegation = role.parent().is_some();
    if is_delegation {
        signed.body().check_structure(role)?;
    }
    verify::check_signatures(name, signed.canonical(), signed.signatures(), &keys)?;
    if !is_delegation {
        signed.body().check_structure(role)?;
    }
    verify::check_expiry(name, signed.body().expires, now)
}

/// §2.5: signatures by the root's snapshot role, structure, expiry, then the hashes of every file
/// of this validation — and, beyond Go, that `targets` names bytes the server actually has, so a
/// snapshot cannot leave the repository unservable.
fn check_snapshot(
    snapshot: &Signed<Snapshot>,
    root: &Verified<Root>,
    loaded: &BTreeMap<String, Signed<Targets>>,
    stored: &dyn StoredMetadata,
    now: OffsetDateTime,
) -> Result<(), VerifyError> {
    let keys = RoleKeySet::of_base_role(root.body(), &RoleName::Snapshot);
    verify::check_signatures("snapshot", snapshot.canonical(), snapshot.signatures(), &keys)?;
    snapshot.body().check_structure(&RoleName::Snapshot)?;
    verify::check_expiry("snapshot", snapshot.body().expires, now)?;
    let meta = &snapshot.body().meta;
    let expect = |role: &str, raw: &[u8]| match meta.get(role) {
        Some(file) => file.check_hashes(role, raw),
        None => Err(VerifyError::NoChecksums { role: role.to_owned() }),
    };
    expect("root", root.raw())?;
    for (role, signed) in loaded {
        expect(role, signed.raw())?;
    }
    if !loaded.contains_key("targets") {
        let Some(stored_targets) = stored.current("targets") else {
            return Err(VerifyError::NotLoaded { role: "targets".into() });
        };
        expect("targets", stored_targets)?;
    }
    Ok(())
}
