//! The client's private keys: `<trust_dir>/private/`, laid out exactly as Go Notary 0.7 lays it
//! out, so that the Go and the Rust CLI can share a trust directory (`shared/spec/keys.md` §5,
//! §6.1, §7; `client.md` §1).
//!
//! - One file per key, `private/<canonical key ID>.key` (mode 0600, directory 0700), holding an
//!   `ENCRYPTED PRIVATE KEY` PEM block with a `role` header and, for `targets`/`snapshot`/
//!   `timestamp` keys, a `gun` header (§5.2). The file formats are [`notary_keys::KeyFile`]'s.
//! - Opening the store migrates the pre-0.4 layouts (`root_keys/`, `tuf_keys/`) (§5.1).
//! - Listing reads headers only; passphrases are asked from a [`PassphraseSource`] only to
//!   decrypt or encrypt, with Go's retry rules (§6.1).
//! - [`KeyStore::export`] and [`KeyStore::import`] are `notary key export` / `key import` (§7).
//!
//! Files are replaced atomically (written to a temporary file in `private/`, then renamed).

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use notary_keys::{KeyFile, KeyFileError, KeyHeaders, MAX_KEY_FILE_LEN};
use notary_tuf::Gun;
use notary_tuf::error::SignatureError;
use notary_tuf::sign::PrivateKey;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::passphrase::{PassphraseError, PassphraseRequest, PassphraseSource};

/// The key store of one trust directory: `<trust_dir>/private/`.
#[derive(Clone, Debug)]
pub struct KeyStore {
    dir: PathBuf,
}

/// What the store knows about a key without decrypting it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key ID: the file name without `.key` (the canonical key ID for keys Notary wrote).
    pub id: String,
    /// The `role` header (empty when the file has none).
    pub role: String,
    /// The `gun` header, if present and non-empty.
    pub gun: Option<String>,
    /// The key file.
    pub path: PathBuf,
}

/// What [`KeyStore::import`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ImportOutcome {
    /// The key file names written (without `.key`, normally the key IDs), in input order.
    pub imported: Vec<String>,
    /// The PEM blocks that were skipped, with why (Go logs these as warnings).
    pub skipped: Vec<SkippedBlock>,
}

/// A PEM block that [`KeyStore::import`] skipped.
#[derive(Debug)]
#[non_exhaustive]
pub struct SkippedBlock {
    /// The block's position in the input, from 0.
    pub index: usize,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why [`KeyStore::import`] skipped a PEM block (keys.md §7).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SkipReason {
    /// Rule 3: a `targets`, `snapshot` or `timestamp` key without a GUN.
    #[error("Cannot have canonical role key without a gun, don't know what gun it belongs to")]
    CanonicalRoleWithoutGun,
    /// Rule 4: an encrypted block without a `path` header, so its key ID cannot be computed.
    #[error("Invalid key generated, key may be encrypted and does not contain path header")]
    EncryptedWithoutPath,
    /// The block is not a private key block we can read, or its key does not parse.
    #[error("invalid key pem block")]
    InvalidBlock(#[source] KeyFileError),
}

/// Errors of the key store.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// A file system operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `remove`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// No key with this ID is in the store (Go's text).
    #[error("signing key not found: {id}")]
    KeyNotFound {
        /// The requested key ID.
        id: String,
    },
    /// The passphrase source gave up after wrong passphrases (Go's text, plus the key).
    #[error("password invalid, operation has failed. (wrong passphrase for the {role} key {id})")]
    WrongPassphrase {
        /// The key ID.
        id: String,
        /// The key's role (its alias).
        role: String,
        /// Why the source stopped (environment passphrase refused, too many attempts, …).
        #[source]
        reason: PassphraseError,
    },
    /// The passphrase source could not provide a passphrase at all (no terminal, read error).
    #[error("no passphrase for the {role} key {id}")]
    PassphraseUnavailable {
        /// The key ID.
        id: String,
        /// The key's role (its alias).
        role: String,
        /// What the source said.
        #[source]
        source: PassphraseError,
    },
    /// No acceptable new passphrase after 11 attempts (Go's text, plus the key).
    #[error("maximum number of passphrase attempts exceeded (new {role} key {id})")]
    PassphraseAttemptsExceeded {
        /// The key ID.
        id: String,
        /// The key's role (its alias).
        role: String,
        /// The last refusal.
        #[source]
        last: PassphraseError,
    },
    /// A key file that does not hold a key we can read (bad PEM, unsupported encryption or key).
    #[error("key file {} is not a valid key", path.display())]
    CorruptKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: KeyFileError,
    },
    /// Encrypting or encoding a key, or setting its headers, failed.
    #[error("cannot encode the {role} key")]
    Encode {
        /// The role the key was being stored for.
        role: String,
        /// What failed.
        #[source]
        source: KeyFileError,
    },
    /// The key's ID could not be computed.
    #[error("cannot compute the key ID")]
    KeyId(#[source] SignatureError),
    /// Both key IDs and a GUN were given to [`KeyStore::export`] (Go's text).
    #[error("Only the --gun or --key flag may be provided, not a mix of the two flags")]
    ExportFilterConflict,
    /// [`KeyStore::import`] found PEM blocks but imported none of them (Go:
    /// `failed to import all keys: invalid key pem block`).
    #[error("invalid key pem block")]
    NothingImported {
        /// Every block, with why it was skipped.
        skipped: Vec<SkippedBlock>,
    },
}

impl KeyStore {
    /// Opens the key store of `trust_dir`: creates `private/` (0700, with any missing parents)
    /// and migrates the legacy layouts, as Go does whenever it opens a key store (keys.md §5.1).
    pub fn open(trust_dir: &Path) -> Result<KeyStore, KeyStoreError> {
        let dir = trust_dir.join(PRIVATE_DIR);
        create_private_dir(&dir)?;
        let store = KeyStore { dir };
        store.migrate_legacy_layouts()?;
        Ok(store)
    }

    /// The `private/` directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Every key file under `private/`, sorted by name, from headers only (nothing is
    /// decrypted). Walks sub-directories; skips symbolic links, files not ending in `.key` and
    /// files that are not private key PEM blocks (as Go does).
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyStoreError> {
        let mut infos = Vec::new();
        for (path, name) in key_files(&self.dir)? {
            let Ok(bytes) = read_limited(&path) else { continue };
            let Ok(file) = KeyFile::parse(&bytes) else { continue };
            infos.push(key_info(&file, &name, path));
        }
        Ok(infos)
    }

    /// Whether a key with this ID is in the store.
    pub fn contains(&self, id: &str) -> Result<bool, KeyStoreError> {
        Ok(self.list()?.iter().any(|info| info.id == id))
    }

    /// The key with this ID, decrypted, and its role. Passphrases are asked with the role as
    /// alias and retried after each wrong one until `passphrases` gives up (§6.1).
    pub fn get(&self, id: &str, passphrases: &mut dyn PassphraseSource) -> Result<(PrivateKey, String), KeyStoreError> {
        let (info, file) = self.find(id)?;
        let key = decrypt(&info, &file, passphrases)?;
        Ok((key, info.role))
    }

    /// Encrypts `key` with a new passphrase (alias `role`) and stores it as
    /// `private/<canonical key ID>.key` with Go's headers: `role`, and `gun` for `targets`,
    /// `snapshot` and `timestamp` keys (§5.2). Returns the canonical key ID. An existing file of
    /// that name is replaced.
    pub fn add(
        &self,
        key: &PrivateKey,
        role: &str,
        gun: Option<&Gun>,
        passphrases: &mut dyn PassphraseSource,
    ) -> Result<String, KeyStoreError> {
        let id = canonical_id(key)?;
        let headers = KeyHeaders::for_role(role, gun).map_err(|source| KeyStoreError::Encode {
            role: role.to_owned(),
            source,
        })?;
        let file = encrypt_new(key, &id, role, headers, passphrases)?;
        write_atomic(&self.key_path(&id), file.to_pem().as_bytes())?;
        Ok(id)
    }

    /// Deletes the key file of this ID and returns what it was (for `Deleted <id> (role <role>)`).
    pub fn remove(&self, id: &str) -> Result<KeyInfo, KeyStoreError> {
        let (info, _) = self.find(id)?;
        fs::remove_file(&info.path).map_err(io_error("remove", &info.path))?;
        Ok(info)
    }

    /// Re-encrypts a key with a new passphrase (`notary key passwd`, §6.1 item 5): decrypts it
    /// with `current`, then asks `new` for a new passphrase (same alias) and rewrites the file
    /// with its headers unchanged and a fresh salt and IV.
    ///
    /// Go asks the new passphrase from a fresh retriever, so that the passphrase just entered and
    /// cached for the alias is not reused silently; pass a separate source for `new` to do the
    /// same.
    pub fn change_passphrase(
        &self,
        id: &str,
        current: &mut dyn PassphraseSource,
        new: &mut dyn PassphraseSource,
    ) -> Result<(), KeyStoreError> {
        let (info, file) = self.find(id)?;
        let key = decrypt(&info, &file, current)?;
        let encrypted = encrypt_new(&key, &info.id, &info.role, file.headers().clone(), new)?;
        write_atomic(&info.path, encrypted.to_pem().as_bytes())
    }

    /// `notary key export` (§7): the PEM blocks of the selected key files, each with a `path`
    /// header naming its file (relative to `private/`, without `.key`); keys stay encrypted.
    ///
    /// `keys` selects by key ID, `gun` selects keys whose `gun` header equals it exactly; giving
    /// both is an error; neither selects every key. Keys come out sorted by file name. IDs that
    /// match no key are ignored (Go prints nothing for them).
    pub fn export(&self, keys: &[String], gun: Option<&str>) -> Result<String, KeyStoreError> {
        if !keys.is_empty() && gun.is_some() {
            return Err(KeyStoreError::ExportFilterConflict);
        }
        let selected = self.list()?.into_iter().filter(|info| match gun {
            Some(gun) => info.gun.as_deref() == Some(gun),
            None => keys.is_empty() || keys.contains(&info.id),
        });
        let mut out = String::new();
        for info in selected {
            let bytes = read_limited(&info.path)?;
            let name = self.name_of(&info.path);
            for block in pem_blocks(&bytes) {
                let mut file = KeyFile::parse(block).map_err(corrupt(&info.path))?;
                file.headers_mut().set(PATH, &name).map_err(corrupt(&info.path))?;
                out.push_str(&file.to_pem());
            }
        }
        Ok(out)
    }

    /// `notary key import` (§7) of one input: each PEM block is stored as
    /// `private/<path>.key`, following the numbered rules of §7:
    ///
    /// 1. a `path` header with a directory is reduced to its last element; a `tuf_keys/<gun>/`
    ///    directory (legacy export) becomes the `gun` header;
    /// 2. a missing `gun` is `gun`; a missing `role` is `role`, else `delegation`;
    /// 3. `targets`/`snapshot`/`timestamp` keys without a GUN are skipped; every other role
    ///    loses its `gun` header;
    /// 4. a block without `path` must be unencrypted, and its canonical key ID becomes the path;
    /// 5. unencrypted keys are encrypted with a new passphrase (alias = role); encrypted blocks
    ///    are written as they are, minus the `path` header;
    /// 6. consecutive blocks with the same path go into one file, which is replaced;
    /// 7. skipped blocks are reported in [`ImportOutcome::skipped`]; if there were blocks and
    ///    none was imported the result is [`KeyStoreError::NothingImported`]. Input without any
    ///    PEM block imports nothing and is not an error (as in Go).
    ///
    /// Blocks that are not private keys (e.g. `PUBLIC KEY`) are skipped, even with a `path`.
    pub fn import(
        &self,
        pem_text: &[u8],
        role: Option<&str>,
        gun: Option<&str>,
        passphrases: &mut dyn PassphraseSource,
    ) -> Result<ImportOutcome, KeyStoreError> {
        let mut outcome = ImportOutcome::default();
        let mut pending: Option<(String, Zeroizing<String>)> = None;
        for (index, block) in pem_blocks(pem_text).into_iter().enumerate() {
            let prepared = match KeyFile::parse(block) {
                Ok(file) => self.prepare_import(file, role, gun, passphrases)?,
                Err(error) => Err(SkipReason::InvalidBlock(error)),
            };
            let (name, pem) = match prepared {
                Ok(prepared) => prepared,
                Err(reason) => {
                    outcome.skipped.push(SkippedBlock { index, reason });
                    continue;
                }
            };
            match &mut pending {
                Some((pending_name, text)) if *pending_name == name => text.push_str(&pem),
                _ => {
                    if let Some((done, text)) = pending.replace((name, pem)) {
                        write_atomic(&self.key_path(&done), text.as_bytes())?;
                        outcome.imported.push(done);
                    }
                }
            }
        }
        if let Some((done, text)) = pending {
            write_atomic(&self.key_path(&done), text.as_bytes())?;
            outcome.imported.push(done);
        }
        if outcome.imported.is_empty() && !outcome.skipped.is_empty() {
            return Err(KeyStoreError::NothingImported {
                skipped: outcome.skipped,
            });
        }
        Ok(outcome)
    }

    /// Applies import rules 1–5 to one block: its file name and the PEM text to store, or why
    /// it is skipped. Passphrase failures abort the whole import.
    fn prepare_import(
        &self,
        mut file: KeyFile,
        role: Option<&str>,
        gun: Option<&str>,
        passphrases: &mut dyn PassphraseSource,
    ) -> Result<Result<(String, Zeroizing<String>), SkipReason>, KeyStoreError> {
        let invalid = |error| Ok(Err(SkipReason::InvalidBlock(error)));
        let headers = file.headers_mut();
        let mut path = headers.remove(PATH).filter(|p| !p.is_empty());

        // Rule 1: legacy export paths.
        if let Some(full) = path.take() {
            let trimmed = full.trim_end_matches('/');
            let (dir, last) = trimmed.rsplit_once('/').unwrap_or(("", trimmed));
            if let Some(legacy_gun) = dir.strip_prefix(LEGACY_TUF_DIR).and_then(|d| d.strip_prefix('/'))
                && !legacy_gun.is_empty()
                && let Err(error) = headers.set(GUN, legacy_gun)
            {
                return invalid(error);
            }
            path = Some(last.to_owned()).filter(|p| !p.is_empty());
        }

        // Rule 2: defaults.
        if headers.gun().is_none_or(str::is_empty)
            && let Some(gun) = gun.filter(|g| !g.is_empty())
            && let Err(error) = headers.set(GUN, gun)
        {
            return invalid(error);
        }
        if headers.role().is_none_or(str::is_empty) {
            let role = role.filter(|r| !r.is_empty()).unwrap_or(DEFAULT_IMPORT_ROLE);
            if let Err(error) = headers.set(ROLE, role) {
                return invalid(error);
            }
        }

        // Rule 3: only the GUN roles keep (and need) a GUN.
        let key_role = headers.role().unwrap_or(DEFAULT_IMPORT_ROLE).to_owned();
        if GUN_ROLES.contains(&key_role.as_str()) {
            if headers.gun().is_none_or(str::is_empty) {
                return Ok(Err(SkipReason::CanonicalRoleWithoutGun));
            }
        } else {
            headers.remove(GUN);
        }

        // Rule 5 (encrypted) and rule 4 (no path: must be unencrypted).
        if file.is_encrypted() {
            let Some(path) = path else {
                return Ok(Err(SkipReason::EncryptedWithoutPath));
            };
            return Ok(Ok((path, file.to_pem())));
        }
        let key = match file.unencrypted_key() {
            Ok(key) => key,
            Err(error) => return invalid(error),
        };
        let path = match path {
            Some(path) => path,
            None => canonical_id(&key)?,
        };
        let encrypted = encrypt_new(&key, &path, &key_role, file.headers().clone(), passphrases)?;
        Ok(Ok((path, encrypted.to_pem())))
    }

    /// The key file and parsed first block of the key with this ID.
    fn find(&self, id: &str) -> Result<(KeyInfo, KeyFile), KeyStoreError> {
        for (path, name) in key_files(&self.dir)? {
            if last_element(&name) != id {
                continue;
            }
            let bytes = read_limited(&path)?;
            let file = KeyFile::parse(&bytes).map_err(corrupt(&path))?;
            return Ok((key_info(&file, &name, path), file));
        }
        Err(KeyStoreError::KeyNotFound { id: id.to_owned() })
    }

    fn key_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{KEY_EXTENSION}"))
    }

    /// The name of a key file: its path relative to `private/` without `.key`, with `/`.
    fn name_of(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.dir).unwrap_or(path);
        let text = relative.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/");
        text.strip_suffix(KEY_EXTENSION).unwrap_or(&text).to_owned()
    }

    /// Rewrites `root_keys/<id>_root.key` and `tuf_keys/<gun…>/<id>_<role>.key` as
    /// `<id>.key` with `role` (from the suffix) and `gun` (from the directories) headers, then
    /// deletes `root_keys/`, `tuf_keys/` and `trusted_certificates/` (§5.1). Files that are not
    /// key PEM blocks are lost with their directory, as in Go.
    fn migrate_legacy_layouts(&self) -> Result<(), KeyStoreError> {
        for (subdir, gun_from_dirs) in [(LEGACY_ROOT_DIR, false), (LEGACY_TUF_DIR, true)] {
            let base = self.dir.join(subdir);
            if !is_real_dir(&base) {
                continue;
            }
            for (path, name) in key_files(&base)? {
                let (dirs, stem) = name.rsplit_once('/').unwrap_or(("", &name));
                let role = stem.split('_').nth(1).unwrap_or("");
                let id = stem.strip_suffix(&format!("_{role}")).filter(|_| !role.is_empty());
                let id = id.unwrap_or(stem);
                let Ok(bytes) = read_limited(&path) else { continue };
                let Ok(mut file) = KeyFile::parse(&bytes) else { continue };
                let headers = file.headers_mut();
                if !role.is_empty() && headers.set(ROLE, role).is_err() {
                    continue;
                }
                if gun_from_dirs && !dirs.is_empty() && headers.set(GUN, dirs).is_err() {
                    continue;
                }
                write_atomic(&self.key_path(id), file.to_pem().as_bytes())?;
            }
            fs::remove_dir_all(&base).map_err(io_error("remove", &base))?;
        }
        let certificates = self.dir.join(LEGACY_CERTIFICATES_DIR);
        if is_real_dir(&certificates) {
            fs::remove_dir_all(&certificates).map_err(io_error("remove", &certificates))?;
        }
        Ok(())
    }
}

/// Decrypts `file`, asking `passphrases` until the key decrypts or the source gives up.
fn decrypt(
    info: &KeyInfo,
    file: &KeyFile,
    passphrases: &mut dyn PassphraseSource,
) -> Result<PrivateKey, KeyStoreError> {
    if !file.is_encrypted() {
        return file.unencrypted_key().map_err(corrupt(&info.path));
    }
    let wrong = |reason| KeyStoreError::WrongPassphrase {
        id: info.id.clone(),
        role: info.role.clone(),
        reason,
    };
    for attempt in 0..=MAX_DECRYPT_RETRIES {
        let request = PassphraseRequest {
            key_id: &info.id,
            alias: &info.role,
            is_new: false,
            attempt,
        };
        let passphrase = match passphrases.passphrase(&request) {
            Ok(passphrase) => Zeroizing::new(passphrase),
            Err(reason @ (PassphraseError::Refused { .. } | PassphraseError::TooManyAttempts)) => {
                return Err(wrong(reason));
            }
            Err(source) => {
                return Err(KeyStoreError::PassphraseUnavailable {
                    id: info.id.clone(),
                    role: info.role.clone(),
                    source,
                });
            }
        };
        match file.decrypt(passphrase.as_bytes()) {
            Ok(key) => return Ok(key),
            Err(KeyFileError::WrongPassphrase) => continue,
            Err(error) => return Err(corrupt(&info.path)(error)),
        }
    }
    Err(wrong(PassphraseError::TooManyAttempts))
}

/// Encrypts `key` under a new passphrase for `alias`, retrying too short or unconfirmed ones up
/// to 11 times (§6.1 item 4). An empty passphrase stores the key unencrypted, as Go does.
fn encrypt_new(
    key: &PrivateKey,
    name: &str,
    alias: &str,
    headers: KeyHeaders,
    passphrases: &mut dyn PassphraseSource,
) -> Result<KeyFile, KeyStoreError> {
    let mut attempt = 0;
    let passphrase = loop {
        let request = PassphraseRequest {
            key_id: name,
            alias,
            is_new: true,
            attempt,
        };
        match passphrases.passphrase(&request) {
            Ok(passphrase) => break Zeroizing::new(passphrase),
            Err(error) if error.is_retryable() && attempt < MAX_NEW_PASSPHRASE_RETRIES => attempt += 1,
            Err(last) if last.is_retryable() => {
                return Err(KeyStoreError::PassphraseAttemptsExceeded {
                    id: name.to_owned(),
                    role: alias.to_owned(),
                    last,
                });
            }
            Err(source) => {
                return Err(KeyStoreError::PassphraseUnavailable {
                    id: name.to_owned(),
                    role: alias.to_owned(),
                    source,
                });
            }
        }
    };
    let file = if passphrase.is_empty() {
        KeyFile::unencrypted(key, headers)
    } else {
        KeyFile::encrypt(key, passphrase.as_bytes(), headers)
    };
    file.map_err(|source| KeyStoreError::Encode {
        role: alias.to_owned(),
        source,
    })
}

fn canonical_id(key: &PrivateKey) -> Result<String, KeyStoreError> {
    let id = key.public_key().canonical_id().map_err(KeyStoreError::KeyId)?;
    Ok(id.as_str().to_owned())
}

fn key_info(file: &KeyFile, name: &str, path: PathBuf) -> KeyInfo {
    let headers = file.headers();
    KeyInfo {
        id: last_element(name).to_owned(),
        role: headers.role().unwrap_or_default().to_owned(),
        gun: headers.gun().filter(|g| !g.is_empty()).map(str::to_owned),
        path,
    }
}

fn last_element(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Every regular `.key` file under `dir` (recursively, not following symbolic links), with its
/// name relative to `dir` without `.key`, sorted by name.
fn key_files(dir: &Path) -> Result<Vec<(PathBuf, String)>, KeyStoreError> {
    let mut found = Vec::new();
    walk(dir, "", &mut found)?;
    found.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(found)
}

fn walk(dir: &Path, prefix: &str, found: &mut Vec<(PathBuf, String)>) -> Result<(), KeyStoreError> {
    let entries = fs::read_dir(dir).map_err(io_error("read directory", dir))?;
    for entry in entries {
        let entry = entry.map_err(io_error("read directory", dir))?;
        let Ok(file_type) = entry.file_type() else { continue };
        let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let name = format!("{prefix}{file_name}");
        if file_type.is_dir() {
            walk(&entry.path(), &format!("{name}/"), found)?;
        } else if file_type.is_file()
            && let Some(stem) = name.strip_suffix(KEY_EXTENSION)
        {
            found.push((entry.path(), stem.to_owned()));
        }
    }
    Ok(())
}

/// The PEM blocks of `text`, each from its `-----BEGIN` line to the end of its `-----END` line;
/// text around and between blocks is ignored. Blocks are parsed one by one so that an export of
/// many keys is not limited by [`MAX_KEY_FILE_LEN`].
fn pem_blocks(text: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = find(rest, BEGIN) {
        let block = &rest[start..];
        let Some(end) = find(block, END) else { break };
        let after_end = &block[end..];
        let line_end = after_end
            .iter()
            .position(|&b| b == b'\n')
            .map_or(after_end.len(), |i| i + 1);
        let len = end + line_end;
        blocks.push(&block[..len]);
        rest = &block[len..];
    }
    blocks
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

fn create_private_dir(dir: &Path) -> Result<(), KeyStoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_error("create directory", dir))
}

/// Reads a key file, refusing files larger than any key file (they are not key files).
fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
    let file = fs::File::open(path).map_err(io_error("read", path))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error("read", path))?;
    Ok(bytes)
}

/// Writes `contents` to `path` (mode 0600) through a temporary file in the same directory and a
/// rename, so that readers see the old or the new file, never a part.
fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), KeyStoreError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let temp = dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    result.map_err(|source| {
        let _ = fs::remove_file(&temp);
        KeyStoreError::Io {
            action: "write",
            path: path.to_owned(),
            source,
        }
    })
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> KeyStoreError {
    let path = path.to_owned();
    move |source| KeyStoreError::Io { action, path, source }
}

fn corrupt(path: &Path) -> impl FnOnce(KeyFileError) -> KeyStoreError {
    let path = path.to_owned();
    move |source| KeyStoreError::CorruptKeyFile { path, source }
}

const PRIVATE_DIR: &str = "private";
const KEY_EXTENSION: &str = ".key";
const LEGACY_ROOT_DIR: &str = "root_keys";
const LEGACY_TUF_DIR: &str = "tuf_keys";
const LEGACY_CERTIFICATES_DIR: &str = "trusted_certificates";
const ROLE: &str = "role";
const GUN: &str = "gun";
const PATH: &str = "path";
/// The role of imported keys without a `role` header or `--role` (§7 rule 2).
const DEFAULT_IMPORT_ROLE: &str = "delegation";
/// The roles whose keys carry a `gun` header (§5.2) and need one on import (§7 rule 3).
const GUN_ROLES: [&str; 3] = ["targets", "snapshot", "timestamp"];
/// Go gives up decrypting after 11 passphrases (attempts 0 to 10).
const MAX_DECRYPT_RETRIES: u32 = 10;
/// Go gives up choosing a new passphrase after 11 refusals (attempts 0 to 10).
const MAX_NEW_PASSPHRASE_RETRIES: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_split_concatenated_and_surrounded_blocks() {
        let text =
            b"junk\n-----BEGIN A-----\nx: y\n\nAAAA\n-----END A-----\nmiddle\n-----BEGIN B-----\nBBBB\n-----END B-----";
        let blocks = pem_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0], b"-----BEGIN A-----\nx: y\n\nAAAA\n-----END A-----\n");
        assert_eq!(blocks[1], b"-----BEGIN B-----\nBBBB\n-----END B-----");
        assert!(pem_blocks(b"no pem here").is_empty());
        assert!(pem_blocks(b"-----BEGIN A-----\nunterminated").is_empty());
    }
}
