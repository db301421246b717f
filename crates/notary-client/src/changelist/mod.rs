//! The changelist: changes staged by `notary add`, `remove`, `delegation …` and `witness`, kept
//! one file per change in `<trust_dir>/tuf/<gun>/changelist/` until `publish` applies them
//! (`shared/spec/client.md` §1 and §4.1).
//!
//! [`Change`] is one file; [`Changelist`] is the directory. File names are
//! `<UnixNano, 20 digits>_<random UUID v4>.change`, so the lexicographic order of names is the
//! order of creation and of application.
//!
//! Differences from Go 0.7, all on inputs Go never writes:
//! - hidden files (names starting with `.`, which include our in-progress temporary files) are
//!   ignored; Go tries to read them as changes;
//! - [`Changelist::open`] does not create the directory ([`Changelist::add`] does), and
//!   [`Changelist::clear`] removes files only, not empty sub-directories;
//! - [`Changelist::list_skipping_unparsable`] numbers changes by their position among all files,
//!   the numbering [`Changelist::remove`] uses, where Go's `status` skips unparsable files in its
//!   numbering and `reset -n` then removes the wrong file;
//! - a new file's name always sorts after every existing `<20 digits>_…` name (the clock is bumped
//!   if needed), where Go relies on the clock alone.

mod change;
mod go_json;

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub use self::change::{
    Action, Change, ChangeData, ChangeError, ChangeType, DelegationData, MAX_CHANGE_LEN, RootRoleData,
};

/// The changelist directory of one GUN.
#[derive(Clone, Debug)]
pub struct Changelist {
    dir: PathBuf,
}

impl Changelist {
    /// The changelist in `dir` (normally `<trust_dir>/tuf/<gun>/changelist`). The directory may
    /// not exist yet: it then reads as empty, and [`add`](Self::add) creates it.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Changelist, ChangelistError> {
        let dir = dir.into();
        match fs::metadata(&dir) {
            Ok(meta) if !meta.is_dir() => Err(ChangelistError::NotADirectory { dir }),
            Ok(_) => Ok(Changelist { dir }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Changelist { dir }),
            Err(source) => Err(ChangelistError::ReadDir { dir, source }),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every staged change, in order of application (lexicographic order of file names).
    /// Sub-directories and hidden files are ignored.
    ///
    /// Fails on the first file that cannot be read or parsed, naming it: Go aborts a publish on
    /// such a file (client.md §4.1).
    pub fn list(&self) -> Result<Vec<StagedChange>, ChangelistError> {
        let mut changes = Vec::new();
        for (index, (file_name, file_type)) in self.change_files()?.into_iter().enumerate() {
            let change = self.read(&file_name, Some(file_type))?;
            changes.push(StagedChange {
                index,
                file_name,
                change,
            });
        }
        Ok(changes)
    }

    /// Like [`list`](Self::list), but a file that cannot be read or parsed is left out and its
    /// error returned beside the changes, as Go's `notary status` warns and goes on. Indices
    /// still count every file, so they are what [`remove`](Self::remove) expects.
    pub fn list_skipping_unparsable(&self) -> Result<(Vec<StagedChange>, Vec<ChangelistError>), ChangelistError> {
        let mut changes = Vec::new();
        let mut errors = Vec::new();
        for (index, (file_name, file_type)) in self.change_files()?.into_iter().enumerate() {
            match self.read(&file_name, Some(file_type)) {
                Ok(change) => changes.push(StagedChange {
                    index,
                    file_name,
                    change,
                }),
                Err(e) => errors.push(e),
            }
        }
        Ok((changes, errors))
    }

    /// Stages `change` as a new file, named from `now` (normally `SystemTime::now()`) and a
    /// random UUID, mode 0600, creating the directory (mode 0700) if needed. Returns the new
    /// file's path.
    ///
    /// The file is written to a hidden temporary file in the same directory and renamed into
    /// place, so readers never see a partial change. If `now` is not later than the newest
    /// staged change (same nanosecond, or a clock that went back), the timestamp is bumped to
    /// one past it so that application order stays creation order.
    pub fn add(&self, change: &Change, now: SystemTime) -> Result<PathBuf, ChangelistError> {
        create_dir(&self.dir).map_err(|source| ChangelistError::CreateDir {
            dir: self.dir.clone(),
            source,
        })?;
        let newest = self.file_names()?.iter().filter_map(|name| timestamp_of(name)).max();
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let stamp = match newest {
            Some(newest) if newest >= now => newest.saturating_add(1),
            _ => now,
        };
        if stamp > MAX_TIMESTAMP {
            return Err(ChangelistError::TimestampsExhausted { dir: self.dir.clone() });
        }
        let name = format!("{stamp:020}_{}.change", random_uuid()?);
        let file = self.dir.join(&name);
        let temporary = self.dir.join(format!(".{name}.tmp"));
        let written = write_new_file(&temporary, &change.to_bytes()).and_then(|()| fs::rename(&temporary, &file));
        if let Err(source) = written {
            // Best effort: the temporary file is hidden from listings anyway.
            let _ = fs::remove_file(&temporary);
            return Err(ChangelistError::WriteFile { file, source });
        }
        Ok(file)
    }

    /// Removes the changes at `indices` (positions in [`list`](Self::list), as `notary reset -n`
    /// takes them). Indices past the end are ignored, as in Go. Returns how many files were
    /// removed.
    pub fn remove(&self, indices: &[usize]) -> Result<usize, ChangelistError> {
        let wanted: BTreeSet<usize> = indices.iter().copied().collect();
        let mut removed = 0;
        for (index, file_name) in self.file_names()?.into_iter().enumerate() {
            if wanted.contains(&index) && remove_file(&self.dir.join(file_name))? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes every file of the directory, unparsable and hidden ones included (`notary reset
    /// --all`, and what a successful publish does). Returns how many files were removed.
    pub fn clear(&self) -> Result<usize, ChangelistError> {
        let mut removed = 0;
        for (file_name, file_type) in self.read_dir()? {
            if !file_type.is_dir() && remove_file(&self.dir.join(file_name))? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The names of the change files, sorted byte-wise; a missing directory has none.
    fn file_names(&self) -> Result<Vec<OsString>, ChangelistError> {
        Ok(self.change_files()?.into_iter().map(|(name, _)| name).collect())
    }

    /// The change files (not directories, not hidden) with their types, sorted by name.
    fn change_files(&self) -> Result<Vec<(OsString, fs::FileType)>, ChangelistError> {
        let mut files: Vec<(OsString, fs::FileType)> = self
            .read_dir()?
            .into_iter()
            .filter(|(name, file_type)| !file_type.is_dir() && !is_hidden(name))
            .collect();
        // On Unix `OsString` orders by bytes, as Go sorts names.
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    /// The entries of the directory with their types (symbolic links not followed, like Go's
    /// `Readdir`); none if it does not exist.
    fn read_dir(&self) -> Result<Vec<(OsString, fs::FileType)>, ChangelistError> {
        let read_dir_error = |source| ChangelistError::ReadDir {
            dir: self.dir.clone(),
            source,
        };
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(read_dir_error(e)),
        };
        entries
            .map(|entry| {
                let entry = entry.map_err(read_dir_error)?;
                let file_type = entry.file_type().map_err(read_dir_error)?;
                Ok((entry.file_name(), file_type))
            })
            .collect()
    }

    /// Reads and parses one change file, at most [`MAX_CHANGE_LEN`] bytes of it.
    fn read(&self, file_name: &OsStr, file_type: Option<fs::FileType>) -> Result<Change, ChangelistError> {
        let file = self.dir.join(file_name);
        let read_error = |source| ChangelistError::ReadFile {
            file: file.clone(),
            source,
        };
        // Checked before opening so that a FIFO cannot block us (the directory listing's file
        // type usually answers without a system call).
        if !is_regular_file(&file, file_type).map_err(read_error)? {
            return Err(ChangelistError::NotAFile { file });
        }
        // Change files are a few hundred bytes: one read fills the buffer, one more sees the end.
        let mut bytes = Vec::with_capacity(1024);
        File::open(&file)
            .and_then(|f| f.take(MAX_CHANGE_LEN as u64 + 1).read_to_end(&mut bytes))
            .map_err(read_error)?;
        Change::parse(&bytes).map_err(|source| ChangelistError::Unparsable { file, source })
    }
}

/// Whether `file` is (or links to) a regular file: from the listing's type when it says so, else
/// `stat` (Go reads through symbolic links).
fn is_regular_file(file: &Path, known: Option<fs::FileType>) -> io::Result<bool> {
    match known {
        Some(t) if !t.is_symlink() => Ok(t.is_file()),
        _ => Ok(fs::metadata(file)?.is_file()),
    }
}

/// One change of a [`Changelist`] listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedChange {
    /// Position among the changelist's files (what `notary status` prints and
    /// [`Changelist::remove`] takes).
    pub index: usize,
    /// The file's name in the changelist directory.
    pub file_name: OsString,
    /// The change.
    pub change: Change,
}

/// A changelist directory operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangelistError {
    /// The directory could not be created.
    #[error("could not create changelist directory {}", dir.display())]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The changelist path exists but is not a directory.
    #[error("changelist {} is not a directory", dir.display())]
    NotADirectory {
        /// The path.
        dir: PathBuf,
    },
    /// A change "file" that is not a regular file (e.g. a link to a directory, or a FIFO).
    #[error("change {} is not a regular file", file.display())]
    NotAFile {
        /// The path.
        file: PathBuf,
    },
    /// The system random generator failed (for a file name's UUID).
    #[error("could not generate a random change file name")]
    Random,
    /// The directory could not be listed.
    #[error("could not read changelist directory {}", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A change file could not be read.
    #[error("could not read change file {}", file.display())]
    ReadFile {
        /// The file.
        file: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A change file could not be removed.
    #[error("could not remove change file {}", file.display())]
    RemoveFile {
        /// The file.
        file: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An existing file name carries the largest 20-digit timestamp, so no later name exists.
    #[error("changelist {} has a change file named after the largest timestamp", dir.display())]
    TimestampsExhausted {
        /// The directory.
        dir: PathBuf,
    },
    /// A change file is not a valid change.
    #[error("could not parse change file {}", file.display())]
    Unparsable {
        /// The file.
        file: PathBuf,
        /// Why.
        #[source]
        source: ChangeError,
    },
    /// A new change file could not be written.
    #[error("could not write change file {}", file.display())]
    WriteFile {
        /// The file that was being created.
        file: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// The largest timestamp that fits the 20 digits of a file name.
const MAX_TIMESTAMP: u128 = 99_999_999_999_999_999_999;

/// The timestamp of a `<20 digits>_…` file name.
fn timestamp_of(file_name: &OsStr) -> Option<u128> {
    let name = file_name.to_str()?;
    let (digits, rest) = name.split_at_checked(20)?;
    if !rest.starts_with('_') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn is_hidden(file_name: &OsStr) -> bool {
    file_name.as_encoded_bytes().first() == Some(&b'.')
}

/// A random (version 4) UUID, lower-case and hyphenated.
fn random_uuid() -> Result<String, ChangelistError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| ChangelistError::Random)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut uuid = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            uuid.push('-');
        }
        uuid.push_str(&format!("{byte:02x}"));
    }
    Ok(uuid)
}

fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `path` (which must not exist) with mode 0600 and writes `bytes` durably.
fn write_new_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Removes a file; `Ok(false)` if it was already gone.
fn remove_file(file: &Path) -> Result<bool, ChangelistError> {
    match fs::remove_file(file) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(ChangelistError::RemoveFile {
            file: file.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_come_from_twenty_digit_prefixes_only() {
        for (name, expected) in [
            (
                "01795319264908568118_fd6cae1d-eea1-4cc1-8b9b-9d7edc20ab99.change",
                Some(1_795_319_264_908_568_118),
            ),
            ("99999999999999999999_x", Some(MAX_TIMESTAMP)),
            ("00000000000000000000_", Some(0)),
            ("0179531926490856811_short.change", None),
            ("017953192649085681180_long.change", None),
            ("+1795319264908568118_sign.change", None),
            ("notes.txt", None),
            ("0179531926490856811é_x", None),
        ] {
            assert_eq!(timestamp_of(OsStr::new(name)), expected, "{name}");
        }
    }

    #[test]
    fn uuids_are_version_4_lower_case_hyphenated() {
        let a = random_uuid().unwrap();
        let b = random_uuid().unwrap();
        assert_ne!(a, b);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(
            a.bytes()
                .all(|c| c == b'-' || c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn hidden_files_are_recognised() {
        assert!(is_hidden(OsStr::new(".01_x.change.tmp")));
        assert!(!is_hidden(OsStr::new("01_x.change")));
        assert!(!is_hidden(OsStr::new("")));
    }
}
