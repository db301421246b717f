//! Who may do what: grants of actions on name prefixes, and their evaluation against requested
//! scopes. Pure, no I/O.
//!
//! # Prefix matching
//!
//! A grant's prefix matches names on `/` boundaries only:
//! - `team/` matches every name under `team/` (`team/app`, `team/x/y`), not `team` itself and not
//!   `teamx/app`;
//! - `team` (no trailing slash) matches `team` itself and every name under `team/`, never
//!   `teamx` or `team-b/app`;
//! - `*` matches every name.
//!
//! # Actions
//!
//! A grant lists actions (`pull`, `push`, `delete`…) or `*`, which grants every action,
//! including the `*` that notary-server requires for key rotation and deletion. `push` does not
//! imply `pull`: list both (registries and notary-server require both to push).
//!
//! Grants to `anonymous` apply to every request, authenticated or not; grants to user `*` apply
//! to every authenticated user. Requests for things not granted are not an error: the token
//! carries only the granted subset (possibly nothing).

use notary_auth::ResourceActions;

use crate::scope::Scope;

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal<'a> {
    /// No credentials were given.
    Anonymous,
    /// A user whose password was verified.
    User(&'a str),
}

/// Which principals a grant applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subjects {
    /// Everyone, with or without credentials.
    Anonymous,
    /// Every authenticated user.
    AnyUser,
    /// These users.
    Users(Vec<String>),
}

/// A name prefix, matched on `/` boundaries (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamePrefix {
    /// `*`: every name.
    Any,
    /// `team/`: names under it.
    Under(String),
    /// `team`: the name itself and names under `team/`.
    Exactly(String),
}

/// One grant: `subjects` may do `actions` on resources of `resource_type` whose names match
/// `prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// To whom.
    pub subjects: Subjects,
    /// `repository` (the default) or e.g. `registry` for `registry:catalog:*`.
    pub resource_type: String,
    /// Which names.
    pub prefix: NamePrefix,
    /// What may be done: action names, or `*` for everything.
    pub actions: Vec<String>,
}

/// Why a prefix was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixError {
    /// Empty, or with an empty, `.` or `..` segment, a leading `/`, or non-printable characters.
    #[error("grant prefix {0:?} must be *, or a name with optional trailing / (no empty, . or .. segments)")]
    Invalid(String),
}

impl NamePrefix {
    /// Parses a configured prefix (see the module docs).
    pub fn parse(text: &str) -> Result<NamePrefix, PrefixError> {
        if text == "*" {
            return Ok(NamePrefix::Any);
        }
        let (body, under) = match text.strip_suffix('/') {
            Some(body) => (body, true),
            None => (text, false),
        };
        let valid = !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_graphic())
            && body.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
        if !valid {
            return Err(PrefixError::Invalid(text.to_owned()));
        }
        Ok(if under {
            NamePrefix::Under(text.to_owned())
        } else {
            NamePrefix::Exactly(text.to_owned())
        })
    }

    /// Whether `name` matches on a `/` boundary.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NamePrefix::Any => true,
            NamePrefix::Under(prefix) => name.len() > prefix.len() && name.starts_with(prefix.as_str()),
            NamePrefix::Exactly(prefix) => match name.strip_prefix(prefix.as_str()) {
                Some(rest) => rest.is_empty() || (rest.starts_with('/') && rest.len() > 1),
                None => false,
            },
        }
    }
}

impl Subjects {
    /// Whether the grant applies to `principal`.
    pub fn include(&self, principal: Principal<'_>) -> bool {
        match (self, principal) {
            (Subjects::Anonymous, _) => true,
            (Subjects::AnyUser, Principal::User(_)) => true,
            (Subjects::Users(users), Principal::User(user)) => users.iter().any(|u| u == user),
            (_, Principal::Anonymous) => false,
        }
    }
}

impl Grant {
    /// Whether this grant covers `action` on `scope`'s resource for `principal`.
    fn allows(&self, principal: Principal<'_>, scope: &Scope, action: &str) -> bool {
        self.resource_type == scope.resource_type
            && self.subjects.include(principal)
            && self.prefix.matches(&scope.name)
            && self.actions.iter().any(|a| a == "*" || a == action)
    }
}

/// The access `principal` gets for the requested `scopes` under `grants`: one entry per
/// (type, name), holding the union of the requested actions that some grant allows, in request
/// order; resources with nothing granted are left out.
pub fn evaluate(grants: &[Grant], principal: Principal<'_>, scopes: &[Scope]) -> Vec<ResourceActions> {
    let mut access: Vec<ResourceActions> = Vec::new();
    for scope in scopes {
        let granted = scope
            .actions
            .iter()
            .filter(|action| grants.iter().any(|g| g.allows(principal, scope, action)));
        for action in granted {
            let entry = match access
                .iter_mut()
                .position(|a| a.resource_type == scope.resource_type && a.name == scope.name)
            {
                Some(i) => &mut access[i],
                None => {
                    access.push(ResourceActions {
                        resource_type: scope.resource_type.clone(),
                        name: scope.name.clone(),
                        ..ResourceActions::default()
                    });
                    let last = access.len() - 1;
                    &mut access[last]
                }
            };
            if !entry.actions.contains(action) {
                entry.actions.push(action.clone());
            }
        }
    }
    access
}
