//! One trusted collection as the `notary` CLI works on it: update and read, initialise, publish
//! the changelist, rotate keys, delete (`shared/spec/client.md` §1, §4.3–§4.4, §6).
//!
//! Everything that talks to the server goes through [`Remote`]; everything that touches private
//! keys goes through the [`KeyStore`] and a [`PassphraseSource`]. Verification rules are the
//! pure core's; this module decides what to sign, with which keys, and what to upload.

use std::collections::{BTreeMap, BTreeSet};

use notary_keys::KeyAlgorithm;
use notary_tuf::error::VerifyError;
use notary_tuf::metadata::{Delegations, FileMeta, RoleKeys, Root, Signature, Signed, Snapshot, Targets};
use notary_tuf::sign::PrivateKey;
use notary_tuf::update::TrustedCollection;
use notary_tuf::upload::SNAPSHOT_LIFETIME;
use notary_tuf::verify::TrustPinning;
use notary_tuf::{Expires, Gun, KeyId, PublicKey, RoleName};
use time::{Duration, OffsetDateTime};

use crate::apply::{self, Draft};
use crate::changelist::{Action, Change, ChangeData, ChangeType, Changelist, ChangelistError, RootRoleData};
use crate::key_store::{KeyStore, KeyStoreError};
use crate::passphrase::PassphraseSource;
use crate::remote::{Remote, RemoteError};
use crate::signing::{self, KeySource, SignError, SigningRole};
use crate::trust_dir::{MetadataCache, TrustDir};
use crate::update::{self, FetchError, FetchErrorKind, MetadataSource, UpdateError, UpdateOptions, Updated};

/// Root metadata lifetime the Go client sets at every signing (10 × 365 days).
pub const ROOT_LIFETIME: Duration = Duration::days(10 * 365);
/// Targets and delegations lifetime (3 × 365 days).
pub const TARGETS_LIFETIME: Duration = Duration::days(3 * 365);
/// Root is re-signed at publish when it expires sooner than this (six months).
const ROOT_RESIGN_WINDOW: Duration = Duration::days(182);

/// Why an operation on a collection failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// Updating from the server or cache failed.
    #[error(transparent)]
    Update(#[from] UpdateError),
    /// The server answered with an error.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The operation needs the server, which is unreachable.
    #[error("client is offline")]
    Offline,
    /// A key could not be read or written.
    #[error(transparent)]
    Keys(#[from] KeyStoreError),
    /// Signing failed (keys missing, wrong passphrase, …).
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The changelist could not be applied.
    #[error(transparent)]
    Apply(#[from] apply::ApplyError),
    /// The changelist could not be read or cleared.
    #[error(transparent)]
    Changelist(#[from] ChangelistError),
    /// A role name is invalid.
    #[error(transparent)]
    Name(#[from] notary_tuf::error::NameError),
    /// Local metadata is invalid.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// Generating a key or certificate failed.
    #[error("{0}")]
    KeyGeneration(String),
    /// The request is not allowed (e.g. rotating a key the client may not manage).
    #[error("{0}")]
    NotAllowed(String),
    /// `init --rootcert` without a root key: no root key in the store is the certificate's.
    #[error("error initializing repository with certificate: cannot find matching private key id")]
    NoKeyForCertificate {
        /// The canonical ID of the certificate's key.
        key_id: String,
    },
    /// `init --rootcert`: the root key is not the certificate's key.
    #[error("could not obtain public key from IDs: private key is nil or does not match public key")]
    CertificateKeyMismatch {
        /// The canonical ID of the certificate's key.
        certificate_key_id: String,
        /// The canonical ID of the root key.
        root_key_id: String,
    },
    /// The cache could not be written or read.
    #[error("could not access the trust directory: {0}")]
    Io(#[from] std::io::Error),
}

/// A collection in a trust directory, possibly connected to its server.
pub struct Repository<'a> {
    gun: Gun,
    trust_dir: TrustDir,
    keys: &'a KeyStore,
    passphrases: &'a mut dyn PassphraseSource,
    remote: Option<Remote>,
    pinning: TrustPinning,
    server: String,
    now: OffsetDateTime,
}

impl std::fmt::Debug for Repository<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("gun", &self.gun)
            .finish_non_exhaustive()
    }
}

/// How `init` picks its root key.
#[derive(Debug)]
pub enum RootKeyChoice {
    /// The first root key in the key store (by ID), or a new one if there is none.
    FirstOrNew,
    /// This key (imported with `--rootkey`).
    Given(PrivateKey),
}

/// Which earlier root versions' keys also sign the new root at a key rotation (`key rotate
/// --legacy`, `shared/spec/metadata.md` §11), so that clients still trusting an old root accept it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyRoots {
    /// No earlier version: the current and the new root keys only.
    None,
    /// The current version and this many before it.
    Previous(u64),
    /// Every earlier version.
    All,
}

/// What `init` did, for the CLI's messages.
#[derive(Debug)]
pub struct Initialized {
    /// The canonical ID of the root key used.
    pub root_key_id: String,
    /// Whether that key already existed in the store.
    pub root_key_found: bool,
}

impl<'a> Repository<'a> {
    /// A collection of `trust_dir`; `remote` is `None` when offline.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        gun: Gun,
        trust_dir: TrustDir,
        keys: &'a KeyStore,
        passphrases: &'a mut dyn PassphraseSource,
        remote: Option<Remote>,
        pinning: TrustPinning,
        server: String,
        now: OffsetDateTime,
    ) -> Self {
        Repository {
            gun,
            trust_dir,
            keys,
            passphrases,
            remote,
            pinning,
            server,
            now,
        }
    }

    /// The collection's name.
    pub fn gun(&self) -> &Gun {
        &self.gun
    }

    /// The changelist of this collection.
    pub fn changelist(&self) -> Result<Changelist, ChangelistError> {
        Changelist::open(self.trust_dir.changelist_dir(&self.gun))
    }

    fn cache(&self) -> MetadataCache {
        self.trust_dir.cache(&self.gun)
    }

    /// Updates from the server (or the cache when offline) and returns the verified collection.
    pub fn update(&mut self, check_remote_root: bool) -> Result<Updated, UpdateError> {
        let options = UpdateOptions {
            gun: self.gun.clone(),
            pinning: self.pinning.clone(),
            now: self.now,
            check_remote_root,
            server: self.server.clone(),
        };
        let cache = self.cache();
        match self.remote.as_mut() {
            Some(remote) => update::update(&cache, Some(&mut RemoteSource(remote)), &options),
            None => update::update(&cache, None, &options),
        }
    }

    /// Initialises the collection locally (client.md §6 `init`): root key and certificate,
    /// new targets (and snapshot, unless the server manages it) keys, the server's timestamp key,
    /// and signed root/targets/snapshot files in the cache. Needs the server.
    pub fn init(&mut self, root_key: RootKeyChoice, server_managed_snapshot: bool) -> Result<Initialized, RepoError> {
        self.init_with_certificate(root_key, None, server_managed_snapshot)
    }

    /// [`init`](Self::init) with the root certificate `root_cert` (an `ecdsa-x509`/`rsa-x509`
    /// key, `init --rootcert`) instead of a new one. Its key must be the given root key or, with
    /// [`RootKeyChoice::FirstOrNew`], a root key in the store (none is generated). As in Go, the
    /// certificate's name and dates are not checked here: one that does not fit the GUN makes
    /// the first publish fail trust pinning.
    pub fn init_with_certificate(
        &mut self,
        root_key: RootKeyChoice,
        root_cert: Option<PublicKey>,
        server_managed_snapshot: bool,
    ) -> Result<Initialized, RepoError> {
        let cert_key_id = match &root_cert {
            Some(cert) => Some(canonical_id(cert)?),
            None => None,
        };
        let remote = self.remote.as_mut().ok_or(RepoError::Offline)?;
        let timestamp_key = remote.key(&RoleName::Timestamp)?;
        let snapshot_remote_key = if server_managed_snapshot {
            Some(remote.key(&RoleName::Snapshot)?)
        } else {
            None
        };
        let (root_private, root_key_found) = match (root_key, &cert_key_id) {
            (RootKeyChoice::Given(key), _) => {
                check_certificate_key(&key, cert_key_id.as_deref())?;
                self.keys.add(&key, "root", None, self.passphrases)?;
                (key, true)
            }
            (RootKeyChoice::FirstOrNew, Some(cert_key_id)) => {
                let held = self
                    .keys
                    .list()?
                    .into_iter()
                    .any(|k| k.role == "root" && k.id == *cert_key_id);
                if !held {
                    return Err(RepoError::NoKeyForCertificate {
                        key_id: cert_key_id.clone(),
                    });
                }
                let key = self.keys.get(cert_key_id, self.passphrases)?.0;
                check_certificate_key(&key, Some(cert_key_id))?;
                (key, true)
            }
            (RootKeyChoice::FirstOrNew, None) => {
                let mut root_ids: Vec<String> = self
                    .keys
                    .list()?
                    .into_iter()
                    .filter(|k| k.role == "root")
                    .map(|k| k.id)
                    .collect();
                root_ids.sort();
                match root_ids.first() {
                    Some(id) => (self.keys.get(id, self.passphrases)?.0, true),
                    None => {
                        let key = generate_ecdsa()?;
                        self.keys.add(&key, "root", None, self.passphrases)?;
                        (key, false)
                    }
                }
            }
        };
        let root_key_id = canonical_id(&root_private.public_key())?;
        let cert = match root_cert {
            Some(cert) => cert,
            None => notary_keys::root_certificate(&root_private, &self.gun, self.now)
                .map_err(|e| RepoError::KeyGeneration(e.to_string()))?,
        };

        let targets_private = generate_ecdsa()?;
        self.keys
            .add(&targets_private, "targets", Some(&self.gun), self.passphrases)?;
        let snapshot_key = match snapshot_remote_key {
            Some(key) => key,
            None => {
                let key = generate_ecdsa()?;
                self.keys.add(&key, "snapshot", Some(&self.gun), self.passphrases)?;
                key.public_key()
            }
        };

        let mut root = Root {
            type_name: "Root".to_owned(),
            consistent_snapshot: false,
            expires: Expires::after(self.now, ROOT_LIFETIME),
            keys: BTreeMap::new(),
            roles: BTreeMap::new(),
            version: 1,
            extra: Default::default(),
        };
        for (role, key) in [
            ("root", cert),
            ("targets", targets_private.public_key()),
            ("snapshot", snapshot_key),
            ("timestamp", timestamp_key),
        ] {
            let id = key.key_id();
            root.keys.insert(id.clone(), key);
            root.roles.insert(
                role.to_owned(),
                RoleKeys {
                    keyids: vec![id],
                    threshold: 1,
                },
            );
        }
        let targets = Targets {
            type_name: "Targets".to_owned(),
            delegations: Delegations::default(),
            expires: Expires::after(self.now, TARGETS_LIFETIME),
            targets: BTreeMap::new(),
            version: 1,
            extra: Default::default(),
        };
        let mut keys = StoreKeys {
            store: self.keys,
            passphrases: self.passphrases,
            cached: BTreeMap::new(),
        };
        keys.cached.insert(root_key_id.clone(), root_private);
        let root_raw = signing::sign_file(
            &root,
            &[SigningRole::of_base_role(&root, &RoleName::Root)],
            &[],
            &mut keys,
        )?;
        let targets_raw = signing::sign_file(
            &targets,
            &[SigningRole::of_base_role(&root, &RoleName::Targets)],
            &[],
            &mut keys,
        )?;
        let cache = self.trust_dir.cache(&self.gun);
        cache.write("root", &root_raw)?;
        cache.write("targets", &targets_raw)?;
        if !server_managed_snapshot {
            let mut meta = BTreeMap::new();
            meta.insert("root".to_owned(), FileMeta::of_bytes(&root_raw));
            meta.insert("targets".to_owned(), FileMeta::of_bytes(&targets_raw));
            let snapshot = Snapshot {
                type_name: "Snapshot".to_owned(),
                expires: Expires::after(self.now, SNAPSHOT_LIFETIME),
                meta,
                version: 1,
                extra: Default::default(),
            };
            let raw = signing::sign_file(
                &snapshot,
                &[SigningRole::of_base_role(&root, &RoleName::Snapshot)],
                &[],
                &mut keys,
            )?;
            cache.write("snapshot", &raw)?;
        } else {
            cache.remove("snapshot")?;
        }
        cache.remove("timestamp")?;
        Ok(Initialized {
            root_key_id,
            root_key_found,
        })
    }

    /// Publishes `changes` (client.md §4.4): update in write mode, apply, re-sign what changed,
    /// upload in one request. The caller clears the changelist after success.
    pub fn publish(&mut self, changes: &[Change]) -> Result<(), RepoError> {
        if self.remote.is_none() {
            return Err(RepoError::Offline);
        }
        let mut base = match self.update(true) {
            Ok(updated) => Base::from_collection(updated.collection),
            Err(UpdateError::NotFound { .. }) => self.local_base()?,
            Err(e) => return Err(e.into()),
        };
        let mut draft = base.draft.clone();
        let held = held_keys(self.keys)?;
        apply::apply(&mut draft, changes, &held)?;
        let files = self.sign_changes(&mut base, draft, false, None)?;
        let remote = self.remote.as_mut().ok_or(RepoError::Offline)?;
        remote.publish(&files)?;
        Ok(())
    }

    /// The metadata of a collection not yet on the server: what `init` cached. Nothing cached:
    /// a fresh collection (Go initialises silently here).
    fn local_base(&mut self) -> Result<Base, RepoError> {
        let cache = self.cache();
        let Some(root_raw) = cache.read("root", update::MAX_ROOT_LEN)? else {
            self.init(RootKeyChoice::FirstOrNew, false)?;
            return self.local_base();
        };
        let root = Signed::<Root>::parse(root_raw).map_err(VerifyError::from)?;
        let targets = match cache.read("targets", update::MAX_ROOT_LEN)? {
            Some(raw) => Signed::<Targets>::parse(raw).map_err(VerifyError::from)?,
            None => return Err(RepoError::Update(UpdateError::Offline)),
        };
        let snapshot = match cache.read("snapshot", update::MAX_ROOT_LEN)? {
            Some(raw) => Some(Signed::<Snapshot>::parse(raw).map_err(VerifyError::from)?),
            None => None,
        };
        let mut bodies = BTreeMap::new();
        bodies.insert("targets".to_owned(), targets.body().clone());
        let draft = Draft::new(root.body().clone(), bodies, BTreeMap::new());
        let mut raws = BTreeMap::new();
        raws.insert("targets".to_owned(), targets.raw().to_vec());
        let mut signatures = BTreeMap::new();
        signatures.insert("targets".to_owned(), targets.signatures().to_vec());
        signatures.insert("root".to_owned(), root.signatures().to_vec());
        Ok(Base {
            draft,
            root_raw: root.raw().to_vec(),
            raws,
            signatures,
            snapshot: snapshot.map(|s| (s.body().clone(), s.signatures().to_vec())),
            first_publish: true,
        })
    }

    /// Signs every changed role and returns the files to upload, in Go's part order. A
    /// re-signed root is also signed by `legacy_signers`.
    fn sign_changes(
        &mut self,
        base: &mut Base,
        mut draft: Draft,
        force_root: bool,
        legacy_signers: Option<SigningRole>,
    ) -> Result<Vec<(RoleName, Vec<u8>)>, RepoError> {
        let now = self.now;
        let mut keys = StoreKeys {
            store: self.keys,
            passphrases: self.passphrases,
            cached: BTreeMap::new(),
        };
        let mut files: Vec<(RoleName, Vec<u8>)> = Vec::new();
        let old_root = base.draft.root.clone();

        // Root.
        let root_changed =
            force_root || draft.root != old_root || draft.root.expires.instant() < now + ROOT_RESIGN_WINDOW;
        let root_raw = if root_changed {
            draft.root.version = old_root.version.saturating_add(1);
            draft.root.expires = Expires::after(now, ROOT_LIFETIME);
            let mut roles = vec![SigningRole::of_base_role(&draft.root, &RoleName::Root)];
            let old_role = SigningRole::of_base_role(&old_root, &RoleName::Root);
            if old_root.roles.get("root") != draft.root.roles.get("root") {
                roles.push(old_role);
            }
            roles.extend(legacy_signers);
            let previous = base.signatures.get("root").cloned().unwrap_or_default();
            let raw = signing::sign_file(&draft.root, &roles, &previous, &mut keys)?;
            files.push((RoleName::Root, raw.clone()));
            raw
        } else {
            base.root_raw.clone()
        };

        // Targets and delegations.
        let mut to_sign: BTreeSet<String> = draft.changed().clone();
        if base.first_publish {
            to_sign.insert("targets".to_owned());
        }
        let mut new_raws = base.raws.clone();
        for role in &to_sign {
            let Some(body) = draft.targets.get(role).cloned() else {
                continue;
            };
            let mut body = body;
            let previous_version = base
                .draft
                .targets
                .get(role)
                .or_else(|| base.draft.invalid.get(role))
                .map_or(0, |t| t.version);
            body.version = previous_version.saturating_add(1);
            body.expires = Expires::after(now, TARGETS_LIFETIME);
            let signing_role = if role == "targets" {
                SigningRole::of_base_role(&draft.root, &RoleName::Targets)
            } else {
                let parent = role.rsplit_once('/').map_or("targets", |(p, _)| p);
                match draft.targets.get(parent) {
                    Some(parent) => SigningRole::of_delegation(parent, role),
                    None => continue,
                }
            };
            let previous = base.signatures.get(role).cloned().unwrap_or_default();
            let raw = signing::sign_file(&body, &[signing_role], &previous, &mut keys)?;
            draft.targets.insert(role.clone(), body);
            new_raws.insert(role.clone(), raw.clone());
            files.push((role.parse()?, raw));
        }
        for role in draft.removed() {
            new_raws.remove(role);
        }

        // Snapshot: signed here when a snapshot key is held, else left to the server.
        let snapshot_role = SigningRole::of_base_role(&draft.root, &RoleName::Snapshot);
        let holds_snapshot_key = snapshot_role.keys.iter().any(|(_, k)| {
            k.canonical_id()
                .is_ok_and(|id| self.keys.contains(id.as_str()).unwrap_or(false))
        });
        if holds_snapshot_key {
            let (mut meta, version) = match &base.snapshot {
                Some((s, _)) => (s.meta.clone(), s.version.saturating_add(1)),
                None => (BTreeMap::new(), 1),
            };
            meta.insert("root".to_owned(), FileMeta::of_bytes(&root_raw));
            for (role, raw) in &new_raws {
                meta.insert(role.clone(), FileMeta::of_bytes(raw));
            }
            for role in draft.removed() {
                meta.remove(role);
            }
            let snapshot = Snapshot {
                type_name: "Snapshot".to_owned(),
                expires: Expires::after(now, SNAPSHOT_LIFETIME),
                meta,
                version,
                extra: Default::default(),
            };
            let previous = base.snapshot.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
            let raw = signing::sign_file(&snapshot, &[snapshot_role], &previous, &mut keys)?;
            files.push((RoleName::Snapshot, raw));
        }
        if base.first_publish && !files.iter().any(|(r, _)| *r == RoleName::Root) {
            files.insert(0, (RoleName::Root, root_raw));
        }
        Ok(files)
    }

    /// Rotates `role`'s key (client.md §6 `key rotate`) and publishes at once. `new_keys` are
    /// the keys to rotate to (generated when empty and not server-managed); the re-signed root
    /// is also signed by the held root keys of the `legacy` versions. Returns the canonical IDs
    /// of local keys that were replaced (the caller deletes non-root ones).
    pub fn rotate_key(
        &mut self,
        role: &RoleName,
        server_managed: bool,
        new_keys: Vec<PrivateKey>,
        legacy: LegacyRoots,
    ) -> Result<Vec<String>, RepoError> {
        match (role, server_managed) {
            (RoleName::Timestamp, false) => {
                return Err(RepoError::NotAllowed(
                    "notary does not permit the client managing the timestamp key".into(),
                ));
            }
            (RoleName::Root | RoleName::Targets, true) => {
                return Err(RepoError::NotAllowed(format!(
                    "notary does not permit the server managing the {role} key"
                )));
            }
            (RoleName::Delegation(_), _) => {
                return Err(RepoError::NotAllowed(format!(
                    "notary does not currently permit rotating the {role} key"
                )));
            }
            _ => {}
        }
        if self.remote.is_none() {
            return Err(RepoError::Offline);
        }
        let updated = self.update(true)?;
        let mut base = Base::from_collection(updated.collection);
        let old_ids: Vec<String> = SigningRole::of_base_role(&base.draft.root, role)
            .keys
            .iter()
            .filter_map(|(_, k)| k.canonical_id().ok().map(|id| id.as_str().to_owned()))
            .collect();

        let public_keys: Vec<PublicKey> = if server_managed {
            let remote = self.remote.as_mut().ok_or(RepoError::Offline)?;
            vec![remote.rotate_key(role)?]
        } else {
            let keys = if new_keys.is_empty() {
                vec![generate_ecdsa()?]
            } else {
                new_keys
            };
            let mut out = Vec::new();
            for key in keys {
                let gun = (*role != RoleName::Root).then_some(&self.gun);
                self.keys.add(&key, role.as_str(), gun, self.passphrases)?;
                if *role == RoleName::Root {
                    out.push(
                        notary_keys::root_certificate(&key, &self.gun, self.now)
                            .map_err(|e| RepoError::KeyGeneration(e.to_string()))?,
                    );
                } else {
                    out.push(key.public_key());
                }
            }
            out
        };

        let legacy_signers = self.legacy_root_signers(base.draft.root.version, legacy);
        // Go's in-memory changelist of one root role change: the same path as staged changes.
        let rotation = Change::new(
            Action::Create,
            "root",
            ChangeType::Role,
            role.as_str(),
            ChangeData::RootRole(RootRoleData {
                keys: public_keys,
                role: role.as_str().to_owned(),
            }),
        );
        let mut draft = base.draft.clone();
        apply::apply(&mut draft, &[rotation], &held_keys(self.keys)?)?;
        let files = self.sign_changes(&mut base, draft, true, legacy_signers)?;
        let remote = self.remote.as_mut().ok_or(RepoError::Offline)?;
        remote.publish(&files)?;
        Ok(old_ids)
    }

    /// The root keys held here among those of root versions `current` back to the oldest
    /// version `legacy` names, as one optional signer (metadata.md §11). Best effort, as in Go: a
    /// version that cannot be downloaded or parsed is skipped. The old roots are not verified:
    /// they only choose which of our own root keys add a signature.
    fn legacy_root_signers(&self, current: i64, legacy: LegacyRoots) -> Option<SigningRole> {
        let oldest = match legacy {
            LegacyRoots::None => return None,
            LegacyRoots::All => 1,
            LegacyRoots::Previous(n) => current.saturating_sub(i64::try_from(n).unwrap_or(i64::MAX)).max(1),
        };
        if current <= 1 || oldest >= current {
            return None;
        }
        let remote = self.remote.as_ref()?;
        let held = held_keys(self.keys).unwrap_or_default();
        let mut keys: BTreeMap<KeyId, PublicKey> = BTreeMap::new();
        for version in (oldest..=current).rev() {
            let Ok(version) = u64::try_from(version) else { continue };
            let Ok(raw) = remote.root_version(version) else {
                continue;
            };
            let Ok(old) = Signed::<Root>::parse(raw) else { continue };
            for (id, key) in SigningRole::of_base_role(old.body(), &RoleName::Root).keys {
                if key.canonical_id().is_ok_and(|c| held.contains(&c)) {
                    keys.insert(id, key);
                }
            }
        }
        if keys.is_empty() {
            return None;
        }
        Some(SigningRole {
            name: RoleName::Root.as_str().to_owned(),
            keys: keys.into_iter().collect(),
            threshold: 1,
        })
    }

    /// Deletes the local trust data of the collection and, with `remote`, the server's copy.
    pub fn delete(&mut self, remote: bool) -> Result<(), RepoError> {
        if remote {
            let server = self.remote.as_mut().ok_or(RepoError::Offline)?;
            server.delete()?;
        }
        self.trust_dir.remove_gun(&self.gun)?;
        Ok(())
    }
}

/// The collection as loaded, and the bytes and signatures to carry into the next version.
struct Base {
    draft: Draft,
    root_raw: Vec<u8>,
    raws: BTreeMap<String, Vec<u8>>,
    signatures: BTreeMap<String, Vec<Signature>>,
    snapshot: Option<(Snapshot, Vec<Signature>)>,
    first_publish: bool,
}

impl Base {
    fn from_collection(collection: TrustedCollection) -> Base {
        let root = collection.root();
        let mut bodies = BTreeMap::new();
        let mut raws = BTreeMap::new();
        let mut signatures = BTreeMap::new();
        signatures.insert("root".to_owned(), root.signed().signatures().to_vec());
        for (role, file) in collection.all_targets() {
            bodies.insert(role.to_owned(), file.body().clone());
            raws.insert(role.to_owned(), file.raw().to_vec());
            signatures.insert(role.to_owned(), file.signed().signatures().to_vec());
        }
        // Downloaded but invalid delegations: a witness change revives and re-signs one.
        let mut invalid = BTreeMap::new();
        for (role, file) in collection.invalid_targets() {
            invalid.insert(role.to_owned(), file.body().clone());
            signatures.insert(role.to_owned(), file.signatures().to_vec());
        }
        let draft = Draft::new(root.body().clone(), bodies, invalid);
        let snapshot = collection
            .snapshot()
            .map(|s| (s.body().clone(), s.signed().signatures().to_vec()));
        Base {
            draft,
            root_raw: root.raw().to_vec(),
            raws,
            signatures,
            snapshot,
            first_publish: false,
        }
    }
}

/// The canonical key ID of `key` (for a certificate, of its bare key).
fn canonical_id(key: &PublicKey) -> Result<String, RepoError> {
    key.canonical_id()
        .map(|id| id.as_str().to_owned())
        .map_err(|e| RepoError::KeyGeneration(e.to_string()))
}

/// Checks that `key` is the key of the certificate whose key has `cert_key_id`, if any.
fn check_certificate_key(key: &PrivateKey, cert_key_id: Option<&str>) -> Result<(), RepoError> {
    let Some(cert_key_id) = cert_key_id else {
        return Ok(());
    };
    let root_key_id = canonical_id(&key.public_key())?;
    if root_key_id != cert_key_id {
        return Err(RepoError::CertificateKeyMismatch {
            certificate_key_id: cert_key_id.to_owned(),
            root_key_id,
        });
    }
    Ok(())
}

fn generate_ecdsa() -> Result<PrivateKey, RepoError> {
    notary_keys::generate(KeyAlgorithm::Ecdsa)
        .map(|g| g.into_parts().0)
        .map_err(|e| RepoError::KeyGeneration(e.to_string()))
}

/// Private keys from the key store, each decrypted at most once per operation.
struct StoreKeys<'s> {
    store: &'s KeyStore,
    passphrases: &'s mut dyn PassphraseSource,
    cached: BTreeMap<String, PrivateKey>,
}

impl KeySource for StoreKeys<'_> {
    fn private_key(&mut self, canonical_id: &str, _role: &str) -> Result<Option<&PrivateKey>, SignError> {
        if !self.cached.contains_key(canonical_id) {
            if !self
                .store
                .contains(canonical_id)
                .map_err(|e| SignError::Key(e.to_string()))?
            {
                return Ok(None);
            }
            let (key, _) = self
                .store
                .get(canonical_id, self.passphrases)
                .map_err(|e| SignError::Key(e.to_string()))?;
            self.cached.insert(canonical_id.to_owned(), key);
        }
        Ok(self.cached.get(canonical_id))
    }
}

/// The IDs of the private keys held, for the changelist's signing-key checks.
fn held_keys(store: &KeyStore) -> Result<BTreeSet<KeyId>, KeyStoreError> {
    Ok(store.list()?.into_iter().map(|k| KeyId::new(k.id)).collect())
}

/// The server as the update's metadata source.
struct RemoteSource<'r>(&'r mut Remote);

impl MetadataSource for RemoteSource<'_> {
    fn root(&mut self) -> Result<Vec<u8>, FetchError> {
        self.0.root().map_err(fetch_error)
    }
    fn root_version(&mut self, version: i64) -> Result<Vec<u8>, FetchError> {
        let version = u64::try_from(version).map_err(|_| FetchError {
            kind: FetchErrorKind::Other,
            source: format!("invalid root version {version}").into(),
        })?;
        self.0.root_version(version).map_err(fetch_error)
    }
    fn timestamp(&mut self) -> Result<Vec<u8>, FetchError> {
        self.0.timestamp().map_err(fetch_error)
    }
    fn by_checksum(&mut self, role: &str, sha256_hex: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let role: RoleName = role.parse().map_err(|e: notary_tuf::error::NameError| FetchError {
            kind: FetchErrorKind::Other,
            source: Box::new(e),
        })?;
        self.0.by_checksum(&role, sha256_hex, limit).map_err(fetch_error)
    }
}

fn fetch_error(error: RemoteError) -> FetchError {
    let kind = if matches!(error, RemoteError::NotFound { .. }) {
        FetchErrorKind::NotFound
    } else if error.is_network() {
        FetchErrorKind::Network
    } else {
        FetchErrorKind::Other
    };
    FetchError {
        kind,
        source: Box::new(error),
    }
}
