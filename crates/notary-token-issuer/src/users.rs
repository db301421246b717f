//! Users and their bcrypt password hashes, from htpasswd lines (`name:$2y$…`, as `htpasswd -B`
//! writes them; `$2a$`, `$2b$` and `$2x$` are accepted too). Other htpasswd formats (MD5
//! `$apr1$`, `{SHA}`, crypt, plain text) are refused when the file is read: they are weak, and
//! silently ignoring a user would be confusing.
//!
//! # Security
//!
//! - An unknown user still costs one bcrypt verification (against a hash of the same cost as
//!   the users' own), so response times do not tell which user names exist.
//! - bcrypt's own comparison is constant-time (`subtle`).
//! - Errors name the line number and user, never a hash or password.

use std::collections::HashMap;

use zeroize::Zeroizing;

/// Longest user name accepted.
pub const MAX_USER_BYTES: usize = 256;
/// Longest password accepted (bcrypt only uses the first 72 bytes; longer input is refused
/// rather than hashed, to bound the work a request can cause).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Highest bcrypt cost accepted in a configured hash (2^16 rounds take seconds per login).
pub const MAX_COST: u32 = 16;

/// The configured users.
pub struct Users {
    hashes: HashMap<String, String>,
    /// A hash of a random password, of the highest cost in use: what unknown users are checked
    /// against.
    decoy: String,
}

/// Why a users file or list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsersError {
    /// Not `name:hash`.
    #[error("{source_name} line {line}: expected user:bcrypt-hash")]
    Shape {
        /// The file or list the line came from.
        source_name: String,
        /// 1-based line number.
        line: usize,
    },
    /// The user name is empty, too long, or has control characters.
    #[error("{source_name} line {line}: invalid user name")]
    BadUser {
        /// The file or list.
        source_name: String,
        /// 1-based line number.
        line: usize,
    },
    /// The hash is not bcrypt, or its cost is out of range.
    #[error(
        "{source_name} line {line}: the password of user {user:?} is not a bcrypt hash of cost 4-{MAX_COST} (create it with htpasswd -B or notary-token-issuer hash-password)"
    )]
    NotBcrypt {
        /// The file or list.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// The user.
        user: String,
    },
    /// The same user twice.
    #[error("{source_name} line {line}: user {user:?} is defined twice")]
    Duplicate {
        /// The file or list.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// The user.
        user: String,
    },
    /// Randomness or hashing failed while making the decoy hash.
    #[error("cannot prepare password checking")]
    Decoy,
}

impl Users {
    /// Users from htpasswd lines, each source given as (name for messages, text). Blank lines
    /// and lines starting with `#` are skipped.
    pub fn from_htpasswd(sources: &[(&str, &str)]) -> Result<Users, UsersError> {
        let mut hashes = HashMap::new();
        let mut max_cost = 4;
        for (source_name, text) in sources {
            for (index, line) in text.lines().enumerate() {
                let line = line.trim_end_matches('\r');
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let (source_name, line_no) = (source_name.to_string(), index + 1);
                let Some((user, hash)) = line.split_once(':') else {
                    return Err(UsersError::Shape {
                        source_name,
                        line: line_no,
                    });
                };
                if user.is_empty() || user.len() > MAX_USER_BYTES || user.chars().any(char::is_control) {
                    return Err(UsersError::BadUser {
                        source_name,
                        line: line_no,
                    });
                }
                let Some(cost) = bcrypt_cost(hash) else {
                    return Err(UsersError::NotBcrypt {
                        source_name,
                        line: line_no,
                        user: user.to_owned(),
                    });
                };
                max_cost = max_cost.max(cost);
                if hashes.insert(user.to_owned(), hash.to_owned()).is_some() {
                    return Err(UsersError::Duplicate {
                        source_name,
                        line: line_no,
                        user: user.to_owned(),
                    });
                }
            }
        }
        let decoy = decoy_hash(max_cost)?;
        Ok(Users { hashes, decoy })
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether `password` is `user`'s. CPU-heavy (one bcrypt run): call it off the async
    /// executor. Unknown users and over-long passwords cost the same as a wrong password.
    pub fn verify(&self, user: &str, password: &[u8]) -> bool {
        let (hash, known) = match self.hashes.get(user) {
            Some(hash) => (hash.as_str(), true),
            None => (self.decoy.as_str(), false),
        };
        let acceptable = password.len() <= MAX_PASSWORD_BYTES;
        let password: &[u8] = if acceptable { password } else { b"" };
        let matches = bcrypt::verify(password, hash).unwrap_or(false);
        matches && known && acceptable
    }
}

/// The cost of a well-formed bcrypt hash (`$2?$NN$` + 53 characters of bcrypt base64), or
/// `None`.
fn bcrypt_cost(hash: &str) -> Option<u32> {
    let rest = ["$2a$", "$2b$", "$2x$", "$2y$"]
        .iter()
        .find_map(|v| hash.strip_prefix(v))?;
    let (cost, body) = rest.split_once('$')?;
    let cost: u32 = if cost.len() == 2 {
        cost.parse().ok()?
    } else {
        return None;
    };
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'/';
    let valid = (4..=MAX_COST).contains(&cost) && body.len() == 53 && body.bytes().all(alphabet);
    valid.then_some(cost)
}

/// A bcrypt hash of 32 random bytes at `cost`.
fn decoy_hash(cost: u32) -> Result<String, UsersError> {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut password = Zeroizing::new([0u8; 32]);
    aws_lc_rs::rand::SystemRandom::new()
        .fill(password.as_mut())
        .map_err(|_| UsersError::Decoy)?;
    bcrypt::hash(password.as_ref(), cost).map_err(|_| UsersError::Decoy)
}
