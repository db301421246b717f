//! The issuer: from a verified principal and a parsed request to a signed token. No I/O; the
//! caller checks the password (CPU-heavy) and passes the time.

use notary_auth::ResourceActions;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::grant::{self, Grant, Principal};
use crate::scope::Scope;
use crate::token::{self, KeyError, SigningKey};
use crate::users::Users;

/// Everything needed to answer token requests.
pub struct Issuer {
    issuer: String,
    services: Vec<String>,
    lifetime_seconds: i64,
    key: SigningKey,
    users: Users,
    grants: Vec<Grant>,
}

/// A signed token and what it grants.
#[derive(Debug)]
pub struct IssuedToken {
    /// The JWT.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// When it was issued, RFC 3339.
    pub issued_at: String,
    /// What it grants.
    pub access: Vec<ResourceActions>,
}

/// Why no token was issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The requested service is not one this issuer signs for.
    #[error("unknown service")]
    UnknownService,
    /// Signing failed.
    #[error(transparent)]
    Signing(#[from] KeyError),
}

impl Issuer {
    /// An issuer signing with `key` as `issuer` for `services`.
    pub fn new(
        issuer: String,
        services: Vec<String>,
        lifetime_seconds: i64,
        key: SigningKey,
        users: Users,
        grants: Vec<Grant>,
    ) -> Issuer {
        Issuer {
            issuer,
            services,
            lifetime_seconds,
            key,
            users,
            grants,
        }
    }

    /// The configured users (to verify passwords against).
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// The access `principal` gets for `scopes` (the granted subset; never an error).
    pub fn access(&self, principal: Principal<'_>, scopes: &[Scope]) -> Vec<ResourceActions> {
        grant::evaluate(&self.grants, principal, scopes)
    }

    /// A token for `principal` (already authenticated) on `service`, at `now`.
    pub fn issue(
        &self,
        principal: Principal<'_>,
        service: &str,
        scopes: &[Scope],
        now: OffsetDateTime,
    ) -> Result<IssuedToken, IssueError> {
        if !self.services.iter().any(|s| s == service) {
            return Err(IssueError::UnknownService);
        }
        let access = self.access(principal, scopes);
        let subject = match principal {
            Principal::Anonymous => "",
            Principal::User(user) => user,
        };
        let claims = token::claims(
            &self.issuer,
            subject,
            service,
            access.clone(),
            now.unix_timestamp(),
            self.lifetime_seconds,
            token::random_jti()?,
        );
        Ok(IssuedToken {
            token: self.key.sign(&claims)?,
            expires_in: self.lifetime_seconds,
            issued_at: now.format(&Rfc3339).unwrap_or_default(),
            access,
        })
    }
}
