//! Names that come from outside: GUNs and role names (`shared/spec/server-api.md` §4,
//! `metadata.md` §9.1).
//!
//! Both parse with [`FromStr`]; neither derefs to `str`, so an unchecked string cannot be passed
//! where a checked name is expected.

use std::fmt;
use std::str::FromStr;

use crate::error::NameError;

/// A Globally Unique Name of a trusted collection, e.g. `registry.example.com/team/app`.
///
/// Go accepts any non-empty string without `*`. We also refuse what no real client sends and what
/// would be unsafe as a path or a database key: more than 255 bytes, control characters, a leading
/// `/`, and `.`/`..` or empty path segments.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gun(String);

impl Gun {
    /// The GUN as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Gun {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason| {
            Err(NameError::InvalidGun {
                gun: s.chars().take(300).collect(),
                reason,
            })
        };
        if s.is_empty() {
            return bad("must not be empty");
        }
        if s.len() > MAX_GUN_LEN {
            return bad("must be at most 255 bytes");
        }
        if s.contains('*') {
            return bad("must not contain '*'");
        }
        if s.chars().any(char::is_control) {
            return bad("must not contain control characters");
        }
        if s.starts_with('/') {
            return bad("must not start with '/'");
        }
        if s.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
            return bad("must not contain empty, '.' or '..' path segments");
        }
        Ok(Gun(s.to_owned()))
    }
}

impl fmt::Display for Gun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of a TUF role: one of the four base roles or a delegated targets role.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleName {
    /// `root`.
    Root,
    /// `snapshot`.
    Snapshot,
    /// `targets`.
    Targets,
    /// `timestamp`.
    Timestamp,
    /// A delegated targets role such as `targets/releases` (always a valid delegation name).
    Delegation(DelegationName),
}

impl RoleName {
    /// The role name as it appears in metadata and URLs.
    pub fn as_str(&self) -> &str {
        match self {
            RoleName::Root => "root",
            RoleName::Snapshot => "snapshot",
            RoleName::Targets => "targets",
            RoleName::Timestamp => "timestamp",
            RoleName::Delegation(d) => d.as_str(),
        }
    }

    /// Whether this is `targets` or a delegation: a role whose metadata has type `Targets`.
    pub fn is_targets_kind(&self) -> bool {
        matches!(self, RoleName::Targets | RoleName::Delegation(_))
    }

    /// Number of `/`-separated segments (`targets` = 1, `targets/a` = 2).
    pub fn depth(&self) -> usize {
        self.as_str().split('/').count()
    }

    /// The parent of a delegation (`targets/a/b` → `targets/a`, `targets/a` → `targets`).
    pub fn parent(&self) -> Option<RoleName> {
        let RoleName::Delegation(d) = self else { return None };
        let (parent, _) = d.as_str().rsplit_once('/')?;
        parent.parse().ok()
    }
}

impl FromStr for RoleName {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "root" => RoleName::Root,
            "snapshot" => RoleName::Snapshot,
            "targets" => RoleName::Targets,
            "timestamp" => RoleName::Timestamp,
            _ => RoleName::Delegation(s.parse()?),
        })
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A valid delegated role name (`metadata.md` §9.1): starts with `targets/`, only `a-z 0-9 - _ /`,
/// shorter than 256 bytes, already clean (no `//`, no trailing `/`, no `.`/`..` segments).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DelegationName(String);

impl DelegationName {
    /// The name as text, e.g. `targets/releases`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` is a direct child of the role named `parent` (`targets/a/b` of `targets/a`).
    pub fn is_child_of(&self, parent: &str) -> bool {
        self.0
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|last| !last.contains('/'))
    }
}

impl FromStr for DelegationName {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = s.len() < 256
            && s.strip_prefix("targets/").is_some_and(|rest| {
                !rest.is_empty()
                    && rest.split('/').all(|seg| !seg.is_empty())
                    && rest
                        .bytes()
                        .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'/'))
            });
        // The character set excludes '.', so "." and ".." segments cannot occur.
        if !valid {
            return Err(NameError::InvalidRole {
                role: s.chars().take(300).collect(),
            });
        }
        Ok(DelegationName(s.to_owned()))
    }
}

const MAX_GUN_LEN: usize = 255;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn guns() {
        for ok in [
            "example.com/app",
            "registry:5000/a/b",
            "docker.io/library/alpine",
            "a",
            "x y",
        ] {
            assert!(ok.parse::<Gun>().is_ok(), "{ok}");
        }
        let long = "a".repeat(256);
        for bad in [
            "",
            "a*",
            "/abs",
            "a//b",
            "a/../b",
            "..",
            "a/.",
            "a/",
            "x\ny",
            long.as_str(),
        ] {
            assert!(bad.parse::<Gun>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn role_names() {
        for ok in [
            "root",
            "targets",
            "snapshot",
            "timestamp",
            "targets/releases",
            "targets/a/b-c_9",
        ] {
            assert_eq!(ok.parse::<RoleName>().unwrap().as_str(), ok);
        }
        let long = format!("targets/{}", "a".repeat(250));
        for bad in [
            "Root",
            "targets/",
            "targets//a",
            "targets/A",
            "targets/a.b",
            "targets/a/",
            "targets/..",
            "foo",
            "",
            long.as_str(),
        ] {
            assert!(bad.parse::<RoleName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parents_and_children() {
        let role: RoleName = "targets/a/b".parse().unwrap();
        assert_eq!(role.parent().unwrap().as_str(), "targets/a");
        assert_eq!(role.depth(), 3);
        let a: RoleName = "targets/a".parse().unwrap();
        assert_eq!(a.parent(), Some(RoleName::Targets));
        assert_eq!(RoleName::Targets.parent(), None);
        let d: DelegationName = "targets/a/b".parse().unwrap();
        assert!(d.is_child_of("targets/a"));
        assert!(!d.is_child_of("targets"));
        assert!(!d.is_child_of("targets/ab"));
    }

    proptest! {
        #[test]
        fn name_parsers_never_panic(s in ".{0,300}") {
            let _ = s.parse::<Gun>();
            let _ = s.parse::<RoleName>();
        }
    }
}
