//! snapshot.json and timestamp.json (`shared/spec/metadata.md` §6–§7).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{FileMeta, RoleBody};
use crate::expires::Expires;
use crate::name::RoleName;

/// The body of snapshot.json: FileMeta of root, targets and every delegation file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    /// `Snapshot`.
    #[serde(rename = "_type")]
    pub type_name: String,
    /// Expiry.
    pub expires: Expires,
    /// Role name → FileMeta of its current file.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub meta: BTreeMap<String, FileMeta>,
    /// Version, ≥ 1.
    pub version: i64,
    /// Members Go does not know.
    #[serde(skip)]
    pub extra: Map<String, Value>,
}

/// The body of timestamp.json: FileMeta of the current snapshot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timestamp {
    /// `Timestamp`.
    #[serde(rename = "_type")]
    pub type_name: String,
    /// Expiry.
    pub expires: Expires,
    /// `{"snapshot": FileMeta}`.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub meta: BTreeMap<String, FileMeta>,
    /// Version, ≥ 1.
    pub version: i64,
    /// Members Go does not know.
    #[serde(skip)]
    pub extra: Map<String, Value>,
}

impl Timestamp {
    /// The FileMeta of snapshot.json (present once the structure check passed).
    pub fn snapshot_meta(&self) -> Option<&FileMeta> {
        self.meta.get("snapshot")
    }
}

macro_rules! common_body {
    ($ty:ty, $type:literal, $kind:literal) => {
        impl RoleBody for $ty {
            const TYPE: &'static str = $type;
            const KIND: &'static str = $kind;

            fn version(&self) -> i64 {
                self.version
            }
            fn expires(&self) -> Expires {
                self.expires
            }
            fn type_name(&self) -> &str {
                &self.type_name
            }
            fn extra(&self) -> &Map<String, Value> {
                &self.extra
            }
            fn extra_mut(&mut self) -> &mut Map<String, Value> {
                &mut self.extra
            }
            fn check_body(&self, _role: &RoleName) -> Result<(), String> {
                check_meta(&self.meta, Self::REQUIRED)
            }
        }
    };
}

common_body!(Snapshot, "Snapshot", "snapshot");
super::role_body_deserialize!(Snapshot {
    type_name: "_type",
    expires: "expires",
    meta: "meta" = default,
    version: "version"
});
super::role_body_deserialize!(Timestamp {
    type_name: "_type",
    expires: "expires",
    meta: "meta" = default,
    version: "version"
});
common_body!(Timestamp, "Timestamp", "timestamp");

impl Snapshot {
    const REQUIRED: &'static [&'static str] = &["root", "targets"];
}

impl Timestamp {
    const REQUIRED: &'static [&'static str] = &["snapshot"];
}

/// Required entries need a 32-byte sha256; every sha256 is 32 bytes and every sha512 64.
fn check_meta(meta: &BTreeMap<String, FileMeta>, required: &[&str]) -> Result<(), String> {
    for role in required {
        if meta.get(*role).and_then(FileMeta::sha256).is_none() {
            return Err(format!("missing {role} sha256 checksum information"));
        }
    }
    for (role, file) in meta {
        for (alg, len) in [("sha256", 32), ("sha512", 64)] {
            if file.hashes.0.get(alg).is_some_and(|h| h.len() != len) {
                return Err(format!("{role} {alg} checksum has the wrong length"));
            }
        }
    }
    Ok(())
}
