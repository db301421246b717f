//! Resources, actions and scopes (server-api.md §3 "Auth scope needed", server-behaviour.md §9.2
//! "Access"): what a token grants, what a route needs, and whether the first covers the second.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize};

/// One entry of a token's `access` claim (docker/distribution `token.ResourceActions`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceActions {
    /// `type`: `repository` or `registry`.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub resource_type: String,
    /// `class`: carried along, never compared.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub class: String,
    /// `name`: the GUN, or `catalog`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `actions`: `pull`, `push`, `*`, or anything else (which grants nothing here).
    #[serde(default, deserialize_with = "null_as_default")]
    pub actions: Vec<String>,
}

/// An action a route can require.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `*`: every action (key rotation, delete, the catalog).
    All,
    /// `pull`: reading.
    Pull,
    /// `push`: writing.
    Push,
}

impl Action {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::All => "*",
            Action::Pull => "pull",
            Action::Push => "push",
        }
    }
}

/// The accesses a route needs: one resource and the actions on it that must all be granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredAccess {
    resource_type: &'static str,
    name: String,
    actions: &'static [Action],
}

impl RequiredAccess {
    /// `registry:catalog:*`: routes without a GUN (`/v2/`, the global changefeed, the catch-all).
    pub fn catalog() -> RequiredAccess {
        RequiredAccess {
            resource_type: "registry",
            name: "catalog".to_owned(),
            actions: &[Action::All],
        }
    }

    /// `repository:<gun>:pull`: reading metadata and the GUN's changefeed.
    pub fn pull(gun: &str) -> RequiredAccess {
        RequiredAccess::repository(gun, &[Action::Pull])
    }

    /// `repository:<gun>:push,pull`: publishing and fetching a server-held key.
    pub fn push_pull(gun: &str) -> RequiredAccess {
        RequiredAccess::repository(gun, &[Action::Push, Action::Pull])
    }

    /// `repository:<gun>:*`: rotating a server-held key, deleting the repository.
    pub fn all(gun: &str) -> RequiredAccess {
        RequiredAccess::repository(gun, &[Action::All])
    }

    fn repository(gun: &str, actions: &'static [Action]) -> RequiredAccess {
        RequiredAccess {
            resource_type: "repository",
            name: gun.to_owned(),
            actions,
        }
    }

    /// The challenge's `scope` value: `<type>:<name>:<actions joined by ,>`.
    pub fn scope(&self) -> String {
        let actions: Vec<&str> = self.actions.iter().map(|a| a.as_str()).collect();
        format!("{}:{}:{}", self.resource_type, self.name, actions.join(","))
    }

    /// The 401 body's `detail`: one `{"Type","Class","Name","Action"}` object per action, in the
    /// order push, pull / pull / `*` (server-api.md §5.3).
    pub fn detail(&self) -> Vec<AccessDetail> {
        self.actions
            .iter()
            .map(|action| AccessDetail {
                resource_type: self.resource_type.to_owned(),
                class: String::new(),
                name: self.name.clone(),
                action: action.as_str().to_owned(),
            })
            .collect()
    }

    /// [`detail`](Self::detail) as JSON text, members in Go's order.
    pub fn detail_json(&self) -> String {
        // Serialising plain strings cannot fail.
        serde_json::to_string(&self.detail()).unwrap_or_default()
    }

    /// Whether `granted` covers every required action.
    pub fn is_granted_by(&self, granted: &Grants) -> bool {
        self.actions
            .iter()
            .all(|action| granted.allows(self.resource_type, &self.name, *action))
    }
}

/// One element of a 401 `detail` (docker/distribution `auth.Access`, its `Resource` embedded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessDetail {
    /// `Type`.
    #[serde(rename = "Type")]
    pub resource_type: String,
    /// `Class`: always empty here.
    #[serde(rename = "Class")]
    pub class: String,
    /// `Name`.
    #[serde(rename = "Name")]
    pub name: String,
    /// `Action`.
    #[serde(rename = "Action")]
    pub action: String,
}

/// What a token grants: per (type, name), the union of its actions (`class` is ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    actions: BTreeMap<(String, String), BTreeSet<String>>,
}

impl Grants {
    /// The union over a token's `access` entries.
    pub fn from_access(access: &[ResourceActions]) -> Grants {
        let mut grants = Grants::default();
        for entry in access {
            grants
                .actions
                .entry((entry.resource_type.clone(), entry.name.clone()))
                .or_default()
                .extend(entry.actions.iter().cloned());
        }
        grants
    }

    /// Whether `action` on `resource_type:name` is granted; `*` grants every action.
    pub fn allows(&self, resource_type: &str, name: &str, action: Action) -> bool {
        self.actions
            .get(&(resource_type.to_owned(), name.to_owned()))
            .is_some_and(|set| set.contains("*") || set.contains(action.as_str()))
    }
}

/// Go's `encoding/json` leaves a field at its zero value when the JSON value is `null`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(entries: &[(&str, &str, &[&str])]) -> Grants {
        let access: Vec<ResourceActions> = entries
            .iter()
            .map(|(t, n, a)| ResourceActions {
                resource_type: (*t).into(),
                class: String::new(),
                name: (*n).into(),
                actions: a.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect();
        Grants::from_access(&access)
    }

    #[test]
    fn scopes_and_details_are_gos() {
        assert_eq!(RequiredAccess::catalog().scope(), "registry:catalog:*");
        assert_eq!(RequiredAccess::pull("a/b").scope(), "repository:a/b:pull");
        assert_eq!(RequiredAccess::push_pull("a/b").scope(), "repository:a/b:push,pull");
        assert_eq!(RequiredAccess::all("a/b").scope(), "repository:a/b:*");
        assert_eq!(
            RequiredAccess::push_pull("example.com/auth").detail_json(),
            r#"[{"Type":"repository","Class":"","Name":"example.com/auth","Action":"push"},{"Type":"repository","Class":"","Name":"example.com/auth","Action":"pull"}]"#
        );
        assert_eq!(
            RequiredAccess::catalog().detail_json(),
            r#"[{"Type":"registry","Class":"","Name":"catalog","Action":"*"}]"#
        );
    }

    #[test]
    fn grants_are_the_union_per_resource_and_star_grants_everything() {
        let split = grants(&[("repository", "g", &["pull"]), ("repository", "g", &["push"])]);
        assert!(RequiredAccess::push_pull("g").is_granted_by(&split));
        assert!(!RequiredAccess::all("g").is_granted_by(&split));
        let star = grants(&[("repository", "g", &["*"])]);
        for required in [
            RequiredAccess::pull("g"),
            RequiredAccess::push_pull("g"),
            RequiredAccess::all("g"),
        ] {
            assert!(required.is_granted_by(&star));
        }
        assert!(!RequiredAccess::catalog().is_granted_by(&star));
        assert!(!RequiredAccess::pull("other").is_granted_by(&star));
        assert!(!RequiredAccess::pull("g").is_granted_by(&grants(&[("registry", "g", &["*"])])));
        assert!(RequiredAccess::catalog().is_granted_by(&grants(&[("registry", "catalog", &["*"])])));
        let pull_only = grants(&[("repository", "g", &["pull"])]);
        assert!(RequiredAccess::pull("g").is_granted_by(&pull_only));
        assert!(!RequiredAccess::push_pull("g").is_granted_by(&pull_only));
    }

    #[test]
    fn class_is_kept_but_not_compared() {
        let parsed: ResourceActions =
            serde_json::from_str(r#"{"type":"repository","class":"image","name":"g","actions":["pull"]}"#).unwrap();
        assert_eq!(parsed.class, "image");
        assert!(RequiredAccess::pull("g").is_granted_by(&Grants::from_access(&[parsed])));
        let nulls: ResourceActions = serde_json::from_str(r#"{"type":null,"name":"g","actions":null}"#).unwrap();
        assert!(nulls.actions.is_empty() && nulls.resource_type.is_empty());
        assert_eq!(
            serde_json::to_string(&nulls).unwrap(),
            r#"{"type":"","name":"g","actions":[]}"#
        );
    }
}
