//! targets.json and delegated targets files (`shared/spec/metadata.md` §5, §9).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{FileMeta, RoleBody};
use crate::expires::Expires;
use crate::key::{KeyId, PublicKey};
use crate::name::{DelegationName, RoleName};

/// The body of targets.json or `targets/<name>.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Targets {
    /// `Targets`.
    #[serde(rename = "_type")]
    pub type_name: String,
    /// Delegations to child roles (written even when empty).
    #[serde(default)]
    pub delegations: Delegations,
    /// Expiry.
    pub expires: Expires,
    /// Target name → FileMeta.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub targets: BTreeMap<String, FileMeta>,
    /// Version, ≥ 1.
    pub version: i64,
    /// Members Go does not know.
    #[serde(skip)]
    pub extra: Map<String, Value>,
}

super::role_body_deserialize!(Targets {
    type_name: "_type",
    delegations: "delegations" = default,
    expires: "expires",
    targets: "targets" = default,
    version: "version"
});

/// `{"keys":{…},"roles":[…]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Delegations {
    /// Keys of the child roles.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub keys: BTreeMap<KeyId, PublicKey>,
    /// Child roles in priority order.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub roles: Vec<DelegatedRole>,
}

/// One delegation: `{"keyids":[…],"name":…,"paths":[…],"threshold":N}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedRole {
    /// TUF key IDs, each present in the parent's `delegations.keys`.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub keyids: Vec<KeyId>,
    /// The child's full role name.
    pub name: String,
    /// Plain string prefixes of the target names this role may sign (omitted when empty).
    /// `path_hash_prefixes` is not supported by Notary 0.7 and is not read.
    #[serde(
        default,
        deserialize_with = "super::null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub paths: Vec<String>,
    /// Signatures needed, ≥ 1.
    pub threshold: i64,
}

impl Targets {
    /// The delegation of `name`, if this file lists it.
    pub fn delegation(&self, name: &str) -> Option<&DelegatedRole> {
        self.delegations.roles.iter().find(|r| r.name == name)
    }
}

impl DelegatedRole {
    /// Whether `target` is within one of `paths` (byte-wise prefix, `""` = everything).
    pub fn allows(&self, target: &str) -> bool {
        self.paths.iter().any(|p| target.starts_with(p.as_str()))
    }

    /// This role's paths restricted by the parent's effective paths: entries that are not under
    /// some parent path are dropped, not truncated (metadata.md §9.2).
    pub fn effective_paths(&self, parent_paths: &[String]) -> Vec<String> {
        self.paths
            .iter()
            .filter(|p| parent_paths.iter().any(|pp| p.starts_with(pp.as_str())))
            .cloned()
            .collect()
    }
}

impl RoleBody for Targets {
    const TYPE: &'static str = "Targets";
    const KIND: &'static str = "targets";

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

    /// Every delegation is a valid name, a direct child of `role`, with threshold ≥ 1 and all
    /// its keys present; the messages are Go's (`isValidTargetsStructure`, which reuses the
    /// root's `isValidRootRoleStructure` for threshold and keys).
    fn check_body(&self, role: &RoleName) -> Result<(), String> {
        for d in &self.delegations.roles {
            let is_child = d
                .name
                .parse::<DelegationName>()
                .is_ok_and(|n| n.is_child_of(role.as_str()));
            if !is_child {
                return Err(format!("delegation role {} invalid", d.name));
            }
            if d.threshold < 1 {
                return Err(format!("invalid threshold specified for {}: {} ", d.name, d.threshold));
            }
            if let Some(id) = d.keyids.iter().find(|id| !self.delegations.keys.contains_key(id)) {
                return Err(format!("key ID {id} specified in {} without corresponding key", d.name));
            }
        }
        Ok(())
    }
}
