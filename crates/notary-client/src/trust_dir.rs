//! The trust directory's layout (`shared/spec/client.md` §1) and the metadata cache inside it.
//!
//! ```text
//! <trust_dir>/private/<canonical key id>.key         key_store
//! <trust_dir>/tuf/<gun>/metadata/<role>.json         MetadataCache (exact server bytes, verified)
//! <trust_dir>/tuf/<gun>/changelist/<…>.change        changelist
//! ```
//!
//! The cache holds only metadata that verified, written atomically (a temporary file in the same
//! directory, synced, then renamed over the old one), so a crash or a failed update leaves the
//! previous files intact. Directories are created 0700 and files 0600, as Go does.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use notary_tuf::Gun;

/// A trust directory (default `~/.notary`; Docker's is `~/.docker/trust`).
#[derive(Clone, Debug)]
pub struct TrustDir {
    path: PathBuf,
}

impl TrustDir {
    /// The trust directory at `path` (nothing is created until something is written).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TrustDir { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `tuf/<gun>`: everything this client keeps for one collection except keys.
    pub fn gun_dir(&self, gun: &Gun) -> PathBuf {
        self.path.join("tuf").join(gun.as_str())
    }

    /// `tuf/<gun>/changelist`.
    pub fn changelist_dir(&self, gun: &Gun) -> PathBuf {
        self.gun_dir(gun).join("changelist")
    }

    /// The metadata cache of one collection.
    pub fn cache(&self, gun: &Gun) -> MetadataCache {
        MetadataCache {
            dir: self.gun_dir(gun).join("metadata"),
        }
    }

    /// Removes `tuf/<gun>/` (cache and changelist), as `notary delete` does; keys stay.
    pub fn remove_gun(&self, gun: &Gun) -> io::Result<()> {
        match fs::remove_dir_all(self.gun_dir(gun)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

/// `tuf/<gun>/metadata/`: the last verified metadata of a collection, `<role>.json` each.
#[derive(Clone, Debug)]
pub struct MetadataCache {
    dir: PathBuf,
}

impl MetadataCache {
    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cached bytes of `role`, or `None` if absent. A file longer than `limit` is treated as
    /// absent-and-invalid (`Err` of kind `InvalidData`), the same limits as for downloads.
    pub fn read(&self, role: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let file = match fs::File::open(self.file(role)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("cached {role}.json is larger than {limit} bytes"),
            ));
        }
        Ok(Some(bytes))
    }

    /// Replaces `role`'s file atomically with `bytes` (0600, parents 0700).
    pub fn write(&self, role: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.file(role);
        let parent = path.parent().unwrap_or(&self.dir);
        create_private_dir(parent)?;
        write_atomically(&path, bytes)
    }

    /// Removes `role`'s file if present.
    pub fn remove(&self, role: &str) -> io::Result<()> {
        match fs::remove_file(self.file(role)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Whether any metadata is cached.
    pub fn is_empty(&self) -> bool {
        fs::read_dir(&self.dir).map_or(true, |mut d| d.next().is_none())
    }

    fn file(&self, role: &str) -> PathBuf {
        // Role names are checked names (`targets/releases`): never absolute, no `..`.
        self.dir.join(format!("{role}.json"))
    }
}

/// `mkdir -p` with mode 0700 for every directory created.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Writes `bytes` to `path` through a synced temporary file in the same directory and a rename:
/// readers see the old or the new content, never a mix. The file is 0600.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut nonce = [0u8; 8];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| io::Error::other("no randomness for a temporary file name"))?;
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(nonce)));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
