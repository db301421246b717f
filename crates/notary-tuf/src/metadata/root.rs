//! root.json (`shared/spec/metadata.md` §4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::RoleBody;
use crate::expires::Expires;
use crate::key::{KeyId, PublicKey};
use crate::name::RoleName;

/// The body of root.json.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Root {
    /// `Root`.
    #[serde(rename = "_type")]
    pub type_name: String,
    /// Always written `false`; ignored on read.
    #[serde(default)]
    pub consistent_snapshot: bool,
    /// Expiry.
    pub expires: Expires,
    /// Every key any base role uses (old root certificates are kept after rotations).
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub keys: BTreeMap<KeyId, PublicKey>,
    /// Key IDs and threshold of each base role.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub roles: BTreeMap<String, RoleKeys>,
    /// Version, ≥ 1.
    pub version: i64,
    /// Members Go does not know.
    #[serde(skip)]
    pub extra: Map<String, Value>,
}

super::role_body_deserialize!(Root {
    type_name: "_type",
    consistent_snapshot: "consistent_snapshot" = default,
    expires: "expires",
    keys: "keys" = default,
    roles: "roles" = default,
    version: "version"
});

/// `{"keyids":[…],"threshold":N}` of a base role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleKeys {
    /// TUF key IDs, each present in `keys`.
    #[serde(default, deserialize_with = "super::null_as_empty")]
    pub keyids: Vec<KeyId>,
    /// Signatures needed, ≥ 1.
    pub threshold: i64,
}

impl Root {
    /// The key IDs and threshold of a base role.
    pub fn role(&self, role: &RoleName) -> Option<&RoleKeys> {
        self.roles.get(role.as_str())
    }
}

impl RoleBody for Root {
    const TYPE: &'static str = "Root";
    const KIND: &'static str = "root";

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
        // Go's `BaseRoles` order, which decides the message when several roles are wrong.
        for role in ["root", "targets", "snapshot", "timestamp"] {
            let Some(keys) = self.roles.get(role) else {
                return Err(format!("missing {role} role specification"));
            };
            if keys.threshold < 1 {
                return Err(format!("invalid threshold specified for {role}: {} ", keys.threshold));
            }
            if let Some(id) = keys.keyids.iter().find(|id| !self.keys.contains_key(id)) {
                return Err(format!("key ID {id} specified in {role} without corresponding key"));
            }
        }
        Ok(())
    }
}
