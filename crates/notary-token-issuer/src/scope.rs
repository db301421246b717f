//! Scopes as clients request them: `type:name:action,action` (distribution's "Token Scope
//! Documentation"), e.g. `repository:team/app:pull,push`, `repository:localhost:5000/app:pull`
//! or `registry:catalog:*`. Pure parsing, no I/O.
//!
//! The name may itself contain `:` (a registry host with a port), so the type ends at the first
//! `:` and the actions start after the last one. A type may carry a class (`repository(plugin)`),
//! which is dropped: verifiers compare only type and name (server-behaviour.md §9.2).

use std::fmt;

/// Longest scope accepted, in bytes (a repository name is at most 255 bytes in distribution).
pub const MAX_SCOPE_BYTES: usize = 512;
/// Most actions one scope may list.
pub const MAX_ACTIONS: usize = 8;

/// One requested scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The resource type, without its class: `repository`, `registry`…
    pub resource_type: String,
    /// The resource name: a repository / GUN, or `catalog`.
    pub name: String,
    /// The actions asked for, de-duplicated, in request order.
    pub actions: Vec<String>,
}

/// Why a scope was refused. The scope text itself is not repeated (the caller has it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// Longer than [`MAX_SCOPE_BYTES`].
    #[error("scope is longer than {MAX_SCOPE_BYTES} bytes")]
    TooLong,
    /// Not `type:name:actions`.
    #[error("scope must have the form type:name:actions")]
    Shape,
    /// The type is not lower-case letters and digits (with an optional `(class)`).
    #[error("scope resource type must be lower-case letters and digits")]
    ResourceType,
    /// The name is empty, has an empty, `.` or `..` segment, or a character outside printable
    /// ASCII.
    #[error("scope resource name is not a valid repository name")]
    Name,
    /// An action is not lower-case letters or `*`, or there are too many.
    #[error("scope actions must be lower-case words or *, at most {MAX_ACTIONS}")]
    Actions,
}

impl Scope {
    /// Parses one scope (see the module docs).
    pub fn parse(text: &str) -> Result<Scope, ScopeError> {
        if text.len() > MAX_SCOPE_BYTES {
            return Err(ScopeError::TooLong);
        }
        let (resource_type, rest) = text.split_once(':').ok_or(ScopeError::Shape)?;
        let (name, actions) = rest.rsplit_once(':').ok_or(ScopeError::Shape)?;
        let resource_type = strip_class(resource_type)?;
        check_name(name)?;
        let actions = parse_actions(actions)?;
        Ok(Scope {
            resource_type: resource_type.to_owned(),
            name: name.to_owned(),
            actions,
        })
    }

    /// Parses every scope of a space-separated list (as the OAuth2 form and newer clients send
    /// them; a single GET `scope` parameter may hold several too). Empty items are skipped.
    pub fn parse_list(text: &str) -> Result<Vec<Scope>, ScopeError> {
        text.split(' ').filter(|s| !s.is_empty()).map(Scope::parse).collect()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.resource_type, self.name, self.actions.join(","))
    }
}

/// `type` or `type(class)`, each part `[a-z0-9]+`; the class is dropped.
fn strip_class(text: &str) -> Result<&str, ScopeError> {
    let (resource_type, class) = match text.split_once('(') {
        Some((t, rest)) => (t, Some(rest.strip_suffix(')').ok_or(ScopeError::ResourceType)?)),
        None => (text, None),
    };
    let valid = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !valid(resource_type) || class.is_some_and(|c| !valid(c)) {
        return Err(ScopeError::ResourceType);
    }
    Ok(resource_type)
}

/// A name is `/`-separated non-empty segments of printable ASCII, none `.` or `..`, so that
/// prefix grants on path boundaries cannot be dodged by a verifier that cleans paths.
fn check_name(name: &str) -> Result<(), ScopeError> {
    let printable = name.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    let segments_ok = name.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
    if name.is_empty() || !printable || !segments_ok {
        return Err(ScopeError::Name);
    }
    Ok(())
}

/// Comma-separated actions, each `[a-z]+` or `*`; empty items skipped, duplicates dropped.
fn parse_actions(text: &str) -> Result<Vec<String>, ScopeError> {
    let mut actions: Vec<String> = Vec::new();
    for action in text.split(',').filter(|a| !a.is_empty()) {
        let valid = action == "*" || action.bytes().all(|b| b.is_ascii_lowercase());
        if !valid {
            return Err(ScopeError::Actions);
        }
        if !actions.iter().any(|a| a == action) {
            actions.push(action.to_owned());
        }
        if actions.len() > MAX_ACTIONS {
            return Err(ScopeError::Actions);
        }
    }
    Ok(actions)
}
