//! One staged change: the typed model of a `.change` file and its exact bytes
//! (`shared/spec/client.md` §4.1 for the file, §4.2 for the change kinds and their `data`).
//!
//! A file is `{"action":…,"role":…,"type":…,"path":…,"data":"<base64>"|null}`; `data` is the
//! standard padded base64 of a second JSON document whose shape depends on the change type.
//! [`Change`] keeps that inner document as bytes ([`Change::data_json`]) next to its decoded form
//! ([`Change::data`]), so a change read from disk is written back byte for byte, members we do
//! not know included, and a change built in memory is written exactly as Go would write it.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use notary_tuf::metadata::{FileMeta, Hashes};
use notary_tuf::{KeyId, PublicKey};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::go_json;

/// A staged change, as one file of the changelist holds it.
///
/// Built with [`Change::new`] (or a shorthand such as [`Change::target_create`]) or read with
/// [`Change::parse`]; written with [`Change::to_bytes`]. Two changes are equal when their members
/// and their inner documents' bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    action: Action,
    scope: String,
    change_type: ChangeType,
    path: String,
    data: ChangeData,
    /// The inner JSON document exactly as written (`None` = `"data":null`).
    data_json: Option<Vec<u8>>,
}

impl Change {
    /// A change with typed `data`, whose inner document is encoded as Go encodes it.
    pub fn new(
        action: Action,
        scope: impl Into<String>,
        change_type: ChangeType,
        path: impl Into<String>,
        data: ChangeData,
    ) -> Change {
        let data_json = data.to_json();
        Change {
            action,
            scope: scope.into(),
            change_type,
            path: path.into(),
            data,
            data_json,
        }
    }

    /// `notary add` / `addhash`: stage `name` with `meta` in the role `scope` (one change per
    /// role given with `-r`).
    pub fn target_create(scope: impl Into<String>, name: impl Into<String>, meta: FileMeta) -> Change {
        Change::new(
            Action::Create,
            scope,
            ChangeType::Target,
            name,
            ChangeData::Target(meta),
        )
    }

    /// `notary remove`: stage the removal of `name` from the role `scope`.
    pub fn target_delete(scope: impl Into<String>, name: impl Into<String>) -> Change {
        Change::new(Action::Delete, scope, ChangeType::Target, name, ChangeData::Null)
    }

    /// `notary delegation add` ([`Action::Create`]) or `delegation remove --paths/--all-paths/<key
    /// ids>` and `delegation purge` ([`Action::Update`]) on `role` (a wildcard `…/*` for purge).
    pub fn delegation(action: Action, role: impl Into<String>, data: DelegationData) -> Change {
        Change::new(action, role, ChangeType::Delegation, "", ChangeData::Delegation(data))
    }

    /// `notary delegation remove <gun> <role>` without keys or paths: delete the whole role.
    pub fn delegation_delete(role: impl Into<String>) -> Change {
        Change::new(Action::Delete, role, ChangeType::Delegation, "", ChangeData::Null)
    }

    /// `notary witness`: re-sign `role` at the next publish.
    pub fn witness(role: impl Into<String>) -> Change {
        Change::new(Action::Update, role, ChangeType::Witness, "", ChangeData::Null)
    }

    /// Reads a change file.
    ///
    /// Accepts any member order and whitespace, missing or `null` members (read as `""`) and
    /// members it does not know (ignored), as Go does. Unlike Go it matches member names
    /// case-sensitively and refuses duplicate members. `data` that does not decode as its
    /// type's document is kept as [`ChangeData::Opaque`]; Go only notices it at publish.
    ///
    /// Bounded: at most [`MAX_CHANGE_LEN`] bytes and serde_json's 128 levels of nesting.
    pub fn parse(bytes: &[u8]) -> Result<Change, ChangeError> {
        if bytes.len() > MAX_CHANGE_LEN {
            return Err(ChangeError::TooLarge { limit: MAX_CHANGE_LEN });
        }
        if !is_object(bytes) {
            let error = <serde_json::Error as serde::de::Error>::custom("a change is a JSON object");
            return Err(ChangeError::MalformedJson(error));
        }
        let wire: ChangeWire = serde_json::from_slice(bytes).map_err(ChangeError::MalformedJson)?;
        let data_json = match wire.data {
            Some(text) => Some(decode_go_base64(&text)?),
            None => None,
        };
        let change_type = ChangeType::from(wire.change_type.as_str());
        let data = ChangeData::decode(&change_type, data_json.as_deref());
        Ok(Change {
            action: Action::from(wire.action.as_str()),
            scope: wire.role,
            change_type,
            path: wire.path,
            data,
            data_json,
        })
    }

    /// The file bytes, exactly as Go's `json.Marshal` writes them: members in the order
    /// `action, role, type, path, data`, compact, HTML-escaped, no trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(96 + self.data_json.as_ref().map_or(0, |d| d.len() * 4 / 3));
        out.push_str("{\"action\":");
        go_json::string(&mut out, self.action.as_str());
        out.push_str(",\"role\":");
        go_json::string(&mut out, &self.scope);
        out.push_str(",\"type\":");
        go_json::string(&mut out, self.change_type.as_str());
        out.push_str(",\"path\":");
        go_json::string(&mut out, &self.path);
        out.push_str(",\"data\":");
        match &self.data_json {
            Some(json) => go_json::bytes(&mut out, json),
            None => out.push_str("null"),
        }
        out.push('}');
        out.into_bytes()
    }

    /// `action`.
    pub fn action(&self) -> &Action {
        &self.action
    }

    /// `role`: the scope, a role name such as `targets`, `targets/releases`, a wildcard
    /// `targets/*`, or `root`. Kept as read; checking it is the job of whoever applies the change.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// `type`.
    pub fn change_type(&self) -> &ChangeType {
        &self.change_type
    }

    /// `path`: the target name for target changes, the role name for a root role change, `""`
    /// otherwise.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `data`, decoded.
    pub fn data(&self) -> &ChangeData {
        &self.data
    }

    /// `data` as the inner JSON document's bytes (`None` for `"data":null`): what was read, or
    /// what [`ChangeData::to_json`] made for a change built in memory.
    pub fn data_json(&self) -> Option<&[u8]> {
        self.data_json.as_deref()
    }
}

/// `action`: what to do with the item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// `create`.
    Create,
    /// `delete`.
    Delete,
    /// `update`.
    Update,
    /// Any other value, kept as read (Go fails on it when applying). [`Action::from`] never
    /// gives this variant for a known value.
    Other(String),
}

impl Action {
    /// The string in the file.
    pub fn as_str(&self) -> &str {
        match self {
            Action::Create => "create",
            Action::Delete => "delete",
            Action::Update => "update",
            Action::Other(s) => s,
        }
    }
}

impl From<&str> for Action {
    fn from(s: &str) -> Action {
        match s {
            "create" => Action::Create,
            "delete" => Action::Delete,
            "update" => Action::Update,
            other => Action::Other(other.to_owned()),
        }
    }
}

/// `type`: what kind of item the change is about; it decides the shape of `data`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeType {
    /// `delegation`: a delegated role's keys, paths or existence; data [`DelegationData`].
    Delegation,
    /// `role`: the keys of a base role in root (key rotation; Go never writes it to disk); data
    /// [`RootRoleData`].
    Role,
    /// `target`: a target of a targets role; data [`FileMeta`] for a create.
    Target,
    /// `witness`: re-sign a role as it is; no data.
    Witness,
    /// Any other value, kept as read. [`ChangeType::from`] never gives this variant for a known
    /// value.
    Other(String),
}

impl ChangeType {
    /// The string in the file.
    pub fn as_str(&self) -> &str {
        match self {
            ChangeType::Delegation => "delegation",
            ChangeType::Role => "role",
            ChangeType::Target => "target",
            ChangeType::Witness => "witness",
            ChangeType::Other(s) => s,
        }
    }
}

impl From<&str> for ChangeType {
    fn from(s: &str) -> ChangeType {
        match s {
            "delegation" => ChangeType::Delegation,
            "role" => ChangeType::Role,
            "target" => ChangeType::Target,
            "witness" => ChangeType::Witness,
            other => ChangeType::Other(other.to_owned()),
        }
    }
}

/// The decoded `data` of a change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeData {
    /// For [`ChangeType::Delegation`].
    Delegation(DelegationData),
    /// `"data":null` (target and delegation deletes, witness).
    Null,
    /// A document we did not decode, kept verbatim: the data of an unknown change type, data
    /// where Go expects none, or a document that does not decode as its type's (Go would fail
    /// on it when applying).
    Opaque(Vec<u8>),
    /// For [`ChangeType::Role`].
    RootRole(RootRoleData),
    /// For [`ChangeType::Target`]: the target's length, hashes and custom data.
    Target(FileMeta),
}

impl ChangeData {
    /// Decodes the inner document `json` (`None` for `"data":null`) of a change of
    /// `change_type`. Never fails: what does not decode is kept as [`ChangeData::Opaque`].
    pub fn decode(change_type: &ChangeType, json: Option<&[u8]>) -> ChangeData {
        let Some(json) = json else {
            return ChangeData::Null;
        };
        if !is_object(json) {
            return ChangeData::Opaque(json.to_vec());
        }
        let decoded = match change_type {
            ChangeType::Delegation => {
                serde_json::from_slice::<DelegationWire>(json).map(|w| ChangeData::Delegation(w.into()))
            }
            ChangeType::Role => serde_json::from_slice::<RootRoleWire>(json).map(|w| ChangeData::RootRole(w.into())),
            ChangeType::Target => serde_json::from_slice::<FileMetaWire>(json).map(|w| ChangeData::Target(w.into())),
            ChangeType::Witness | ChangeType::Other(_) => return ChangeData::Opaque(json.to_vec()),
        };
        decoded.unwrap_or_else(|_| ChangeData::Opaque(json.to_vec()))
    }

    /// The inner JSON document as Go's `json.Marshal` writes it (`None` for
    /// [`ChangeData::Null`]): struct member order, empty members omitted, HTML-escaped strings.
    ///
    /// `custom` is written from its [`Value`] (members in the `Value`'s order, numbers as
    /// serde_json prints them), where Go copies the text it was given minus whitespace; a
    /// change read from a file keeps Go's text in [`Change::data_json`].
    pub fn to_json(&self) -> Option<Vec<u8>> {
        let mut out = String::new();
        match self {
            ChangeData::Null => return None,
            ChangeData::Opaque(bytes) => return Some(bytes.clone()),
            ChangeData::Delegation(d) => d.write_json(&mut out),
            ChangeData::RootRole(r) => r.write_json(&mut out),
            ChangeData::Target(meta) => write_file_meta(&mut out, meta),
        }
        Some(out.into_bytes())
    }
}

/// The data of a delegation change (Go's `changelist.TUFDelegation`).
///
/// As in Go, an empty or zero member means "absent" and is not written: `new_name` `""`,
/// `threshold` 0, empty lists, `clear_paths` false.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DelegationData {
    /// Rename the role (never written by Go 0.7).
    pub new_name: String,
    /// The role's threshold.
    pub threshold: i64,
    /// Keys to add to the role.
    pub add_keys: Vec<PublicKey>,
    /// Keys to remove, by canonical key ID (translated to the metadata's key IDs when applied).
    pub remove_keys: Vec<KeyId>,
    /// Paths to add (`""` alone means every path, from `--all-paths`).
    pub add_paths: Vec<String>,
    /// Paths to remove.
    pub remove_paths: Vec<String>,
    /// Remove every path before adding.
    pub clear_paths: bool,
}

impl DelegationData {
    fn write_json(&self, out: &mut String) {
        let mut members = Members::open(out);
        if !self.new_name.is_empty() {
            go_json::string(members.next("new_name"), &self.new_name);
        }
        if self.threshold != 0 {
            members.next("threshold").push_str(&self.threshold.to_string());
        }
        if !self.add_keys.is_empty() {
            write_keys(members.next("add_keys"), &self.add_keys);
        }
        if !self.remove_keys.is_empty() {
            let ids: Vec<&str> = self.remove_keys.iter().map(KeyId::as_str).collect();
            go_json::strings(members.next("remove_keys"), &ids);
        }
        if !self.add_paths.is_empty() {
            go_json::strings(members.next("add_paths"), &self.add_paths);
        }
        if !self.remove_paths.is_empty() {
            go_json::strings(members.next("remove_paths"), &self.remove_paths);
        }
        if self.clear_paths {
            members.next("clear_paths").push_str("true");
        }
        members.close();
    }
}

/// The data of a root role change (Go's `changelist.TUFRootData`): replace the keys of a base
/// role. Go keeps these changes in memory during key rotation and never stages them on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RootRoleData {
    /// The role's new keys.
    pub keys: Vec<PublicKey>,
    /// The base role (`root`, `targets`, `snapshot` or `timestamp`).
    pub role: String,
}

impl RootRoleData {
    fn write_json(&self, out: &mut String) {
        let mut members = Members::open(out);
        write_keys(members.next("keys"), &self.keys);
        go_json::string(members.next("role"), &self.role);
        members.close();
    }
}

/// Why bytes are not a change file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// Not JSON, or not an object with string members `action`, `role`, `type`, `path` and a
    /// string or `null` `data`.
    #[error("not a change document")]
    MalformedJson(#[source] serde_json::Error),
    /// `data` is not base64.
    #[error("change data is not base64")]
    MalformedData(#[source] base64::DecodeError),
    /// Over [`MAX_CHANGE_LEN`].
    #[error("change file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

/// The largest change file accepted. Go's biggest changes (a delegation adding a few
/// certificate keys) are a few KiB.
pub const MAX_CHANGE_LEN: usize = 1 << 20;

/// `{"length":…,"hashes":{…},"custom":…}`: Go's FileMeta struct order (not the canonical order
/// of metadata files).
fn write_file_meta(out: &mut String, meta: &FileMeta) {
    let mut members = Members::open(out);
    members.next("length").push_str(&meta.length.to_string());
    let hashes = members.next("hashes");
    hashes.push('{');
    for (i, (algorithm, digest)) in meta.hashes.0.iter().enumerate() {
        if i > 0 {
            hashes.push(',');
        }
        go_json::string(hashes, algorithm);
        hashes.push(':');
        go_json::bytes(hashes, digest);
    }
    hashes.push('}');
    if let Some(custom) = &meta.custom {
        go_json::value(members.next("custom"), custom);
    }
    members.close();
}

/// Key objects as Go's `data.PublicKey` marshals them: `keyval` members in struct order
/// `public, private` (not the canonical order), `private` always `null`.
fn write_keys(out: &mut String, keys: &[PublicKey]) {
    out.push('[');
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"keytype\":");
        go_json::string(out, key.key_type().as_str());
        out.push_str(",\"keyval\":{\"public\":");
        go_json::bytes(out, key.public_bytes());
        out.push_str(",\"private\":null}}");
    }
    out.push(']');
}

/// Writes the members of one JSON object, placing the commas.
struct Members<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Members<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Members { out, first: true }
    }

    /// Writes the name of the next member; the caller writes its value into the returned buffer.
    fn next(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        go_json::string(self.out, name);
        self.out.push(':');
        self.out
    }

    fn close(self) {
        self.out.push('}');
    }
}

/// Whether `json` starts like an object. serde's derived structs also read arrays (members by
/// position), which Go refuses.
fn is_object(json: &[u8]) -> bool {
    json.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b'{')
}

/// Decodes `data` as Go's `encoding/json` decodes a `[]byte`: standard padded base64, line
/// breaks ignored, non-zero trailing bits accepted.
fn decode_go_base64(text: &str) -> Result<Vec<u8>, ChangeError> {
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let result = if text.contains(['\r', '\n']) {
        let stripped: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        GO_STD.decode(stripped)
    } else {
        GO_STD.decode(text)
    };
    result.map_err(ChangeError::MalformedData)
}

/// The file's members. Missing or `null` strings read as `""`, as in Go.
#[derive(Deserialize)]
struct ChangeWire {
    #[serde(default, deserialize_with = "null_as_empty")]
    action: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    role: String,
    #[serde(default, rename = "type", deserialize_with = "null_as_empty")]
    change_type: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    path: String,
    #[serde(default)]
    data: Option<String>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// Go's `data.FileMeta` as read: every member optional, `null` = absent.
#[derive(Deserialize)]
struct FileMetaWire {
    #[serde(default)]
    length: Option<i64>,
    #[serde(default)]
    hashes: Option<Hashes>,
    #[serde(default)]
    custom: Option<Value>,
}

impl From<FileMetaWire> for FileMeta {
    fn from(w: FileMetaWire) -> FileMeta {
        FileMeta {
            custom: w.custom,
            hashes: w.hashes.unwrap_or_default(),
            length: w.length.unwrap_or_default(),
        }
    }
}

/// Go's `changelist.TUFDelegation` as read.
#[derive(Deserialize)]
struct DelegationWire {
    #[serde(default)]
    new_name: Option<String>,
    #[serde(default)]
    threshold: Option<i64>,
    #[serde(default)]
    add_keys: Option<Vec<PublicKey>>,
    #[serde(default)]
    remove_keys: Option<Vec<KeyId>>,
    #[serde(default)]
    add_paths: Option<Vec<String>>,
    #[serde(default)]
    remove_paths: Option<Vec<String>>,
    #[serde(default)]
    clear_paths: Option<bool>,
}

impl From<DelegationWire> for DelegationData {
    fn from(w: DelegationWire) -> DelegationData {
        DelegationData {
            new_name: w.new_name.unwrap_or_default(),
            threshold: w.threshold.unwrap_or_default(),
            add_keys: w.add_keys.unwrap_or_default(),
            remove_keys: w.remove_keys.unwrap_or_default(),
            add_paths: w.add_paths.unwrap_or_default(),
            remove_paths: w.remove_paths.unwrap_or_default(),
            clear_paths: w.clear_paths.unwrap_or_default(),
        }
    }
}

/// Go's `changelist.TUFRootData` as read.
#[derive(Deserialize)]
struct RootRoleWire {
    #[serde(default)]
    keys: Option<Vec<PublicKey>>,
    #[serde(default)]
    role: Option<String>,
}

impl From<RootRoleWire> for RootRoleData {
    fn from(w: RootRoleWire) -> RootRoleData {
        RootRoleData {
            keys: w.keys.unwrap_or_default(),
            role: w.role.unwrap_or_default(),
        }
    }
}
