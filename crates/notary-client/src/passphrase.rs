//! Where key passphrases come from (`shared/spec/keys.md` §6.1): the key store asks a
//! [`PassphraseSource`] for each passphrase it needs, saying which key, which alias (role),
//! whether the key is new and how many attempts have failed so far.
//!
//! [`Retriever`] is the Go `notary` CLI's source: the `NOTARY_*_PASSPHRASE` environment variables
//! first, then an interactive prompt through a [`Prompter`] (the CLI implements it over the
//! terminal; tests script it). [`StaticPassphrase`] is a fixed passphrase for library users.
//!
//! Nothing here prints to the process's stdout or reads its stdin directly: all terminal I/O goes
//! through the [`Prompter`], and the environment is read only by [`Retriever::from_env`].
//! Passphrases never appear in errors or `Debug` output.

use std::collections::HashMap;
use std::fmt;
use std::io;

use thiserror::Error;
use zeroize::Zeroizing;

/// One passphrase request from the key store (Go's `PassRetriever` arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassphraseRequest<'a> {
    /// The key's name in the store: its canonical key ID (keys.md §2.2). Prompts show its first
    /// 7 characters.
    pub key_id: &'a str,
    /// The alias: the key's `role` header (`root`, `targets`, `targets/releases`, …), which picks
    /// the environment variable and the prompt text.
    pub alias: &'a str,
    /// Whether a passphrase is being chosen for a key about to be stored (confirmation and length
    /// rules apply) rather than asked for to decrypt an existing one.
    pub is_new: bool,
    /// How many times this request was already answered and the answer did not work (0 first).
    pub attempt: u32,
}

/// Something that answers passphrase requests. The key store retries with `attempt + 1` after a
/// wrong passphrase (existing keys) or a [retryable](PassphraseError::is_retryable) error (new
/// keys); a source stops the retries by returning an error.
pub trait PassphraseSource {
    /// The passphrase for `request`, or why there is none.
    fn passphrase(&mut self, request: &PassphraseRequest<'_>) -> Result<String, PassphraseError>;
}

/// The terminal side of interactive passphrase entry, implemented by the CLI (with `rpassword`)
/// and by test scripts.
pub trait Prompter {
    /// Whether standard input is a terminal; without one, [`Retriever`] refuses to prompt.
    fn is_terminal(&self) -> bool;

    /// Writes `prompt` where Go writes it (standard output), reads one line without echoing it,
    /// and ends the output line (Go prints a newline after the hidden input). The returned text
    /// may still carry its line ending and surrounding white space; the caller trims it.
    fn read_secret(&mut self, prompt: &str) -> io::Result<String>;

    /// Writes `text` (already ending in a newline where Go prints one) to standard output.
    fn say(&mut self, text: &str);
}

/// Why a [`PassphraseSource`] gave no passphrase.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PassphraseError {
    /// No environment variable applies and standard input is not a terminal.
    #[error("Please either use environment variables or STDIN with a terminal to provide key passphrases")]
    NoTerminal,
    /// A fixed passphrase (environment variable or [`StaticPassphrase`]) already failed to
    /// decrypt the key; asking again would give the same answer.
    #[error("the passphrase from {origin} was refused")]
    Refused {
        /// Where the passphrase came from, e.g. `NOTARY_ROOT_PASSPHRASE`.
        origin: String,
    },
    /// A new passphrase shorter than 8 bytes was entered (retryable).
    #[error("passphrase is too short")]
    TooShort,
    /// The confirmation of a new passphrase differs from it (retryable).
    #[error("passphrases do not match")]
    Mismatch,
    /// The interactive prompt was answered wrongly too many times (Go: after 3 retries).
    #[error("Too many attempts")]
    TooManyAttempts,
    /// Reading from the terminal failed (e.g. end of input).
    #[error("reading the passphrase failed")]
    Prompt(#[source] io::Error),
}

impl PassphraseError {
    /// Whether asking again with the next attempt number can succeed: a new passphrase that was
    /// too short or not confirmed. The key store retries these up to 11 times (keys.md §6.1 item 4).
    pub fn is_retryable(&self) -> bool {
        matches!(self, PassphraseError::TooShort | PassphraseError::Mismatch)
    }
}

/// The Go `notary` CLI's passphrase source (keys.md §6.1): environment variables, then a prompt.
///
/// 1. `root`, `targets`, `snapshot` and `delegation` read `NOTARY_<ALIAS>_PASSPHRASE`; any other
///    alias except `timestamp` (every delegation role, the empty alias of `key generate -o`)
///    falls back to `NOTARY_DELEGATION_PASSPHRASE`. Empty variables count as unset. An
///    environment passphrase is answered twice for an existing key; the third request is
///    refused (the key store then reports `password invalid, operation has failed.`). New keys
///    take it as is, without the length rule.
/// 2. Otherwise the [`Prompter`] is used, only if it is a terminal. Answers are trimmed and cached
///    per alias for the life of the retriever; the cache answers first attempts only.
pub struct Retriever {
    env: Vec<EnvPassphrase>,
    prompter: Box<dyn Prompter>,
    cache: HashMap<String, Zeroizing<String>>,
}

impl Retriever {
    /// A retriever whose environment is `env` (variable name → value), read once, now, as Go
    /// does; the prompt goes through `prompter`.
    pub fn new(env: impl Fn(&str) -> Option<String>, prompter: Box<dyn Prompter>) -> Retriever {
        let env = ENV_VARIABLES
            .iter()
            .filter_map(|&(alias, variable)| {
                let value = Zeroizing::new(env(variable)?);
                (!value.is_empty()).then_some(EnvPassphrase { alias, variable, value })
            })
            .collect();
        Retriever {
            env,
            prompter,
            cache: HashMap::new(),
        }
    }

    /// A retriever over the process environment (`std::env`) and `prompter`.
    pub fn from_env(prompter: Box<dyn Prompter>) -> Retriever {
        Retriever::new(|variable| std::env::var(variable).ok(), prompter)
    }

    /// The environment passphrase that applies to `alias`, if any.
    fn env_for(&self, alias: &str) -> Option<&EnvPassphrase> {
        let exact = self.env.iter().find(|e| e.alias == alias);
        exact.or_else(|| {
            if BASE_ROLES.contains(&alias) {
                return None;
            }
            self.env.iter().find(|e| e.alias == DELEGATION_ALIAS)
        })
    }

    fn prompt(&mut self, request: &PassphraseRequest<'_>) -> Result<String, PassphraseError> {
        if !self.prompter.is_terminal() {
            return Err(PassphraseError::NoTerminal);
        }
        if request.attempt == 0 {
            if let Some(cached) = self.cache.get(request.alias) {
                return Ok(cached.to_string());
            }
        } else if !request.is_new {
            if request.attempt > MAX_PROMPT_RETRIES {
                return Err(PassphraseError::TooManyAttempts);
            }
            self.prompter.say("Passphrase incorrect. Please retry.\n");
        }
        if request.is_new && request.alias == ROOT_ALIAS && request.attempt == 0 {
            self.prompter.say(ROOT_KEY_WARNING);
        }

        let with_id = with_id(request.key_id);
        let new = if request.is_new { "new " } else { "" };
        let prompt = format!("Enter passphrase for {new}{} key{with_id}: ", request.alias);
        let passphrase = self.read_trimmed(&prompt)?;
        if !request.is_new {
            self.cache.insert(request.alias.to_owned(), passphrase.clone());
            return Ok(passphrase.to_string());
        }

        if passphrase.len() < MIN_NEW_PASSPHRASE_LEN {
            self.prompter.say(
                "Passphrase is too short. Please use a password manager to generate and store a good random passphrase.\n",
            );
            return Err(PassphraseError::TooShort);
        }
        let prompt = format!("Repeat passphrase for new {} key{with_id}: ", request.alias);
        let confirmation = self.read_trimmed(&prompt)?;
        if confirmation != passphrase {
            self.prompter.say("Passphrases do not match. Please retry.\n");
            return Err(PassphraseError::Mismatch);
        }
        self.cache.insert(request.alias.to_owned(), passphrase.clone());
        Ok(passphrase.to_string())
    }

    fn read_trimmed(&mut self, prompt: &str) -> Result<Zeroizing<String>, PassphraseError> {
        let raw = Zeroizing::new(self.prompter.read_secret(prompt).map_err(PassphraseError::Prompt)?);
        Ok(Zeroizing::new(raw.trim().to_owned()))
    }
}

impl PassphraseSource for Retriever {
    fn passphrase(&mut self, request: &PassphraseRequest<'_>) -> Result<String, PassphraseError> {
        if let Some(env) = self.env_for(request.alias) {
            if request.attempt > 1 && !request.is_new {
                return Err(PassphraseError::Refused {
                    origin: env.variable.to_owned(),
                });
            }
            return Ok(env.value.to_string());
        }
        self.prompt(request)
    }
}

impl fmt::Debug for Retriever {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variables: Vec<&str> = self.env.iter().map(|e| e.variable).collect();
        let cached: Vec<&String> = self.cache.keys().collect();
        f.debug_struct("Retriever")
            .field("env", &variables)
            .field("cached_aliases", &cached)
            .finish_non_exhaustive()
    }
}

/// A [`Prompter`] without a terminal: every prompt fails with
/// [`PassphraseError::NoTerminal`], so only environment variables work (Go's behaviour when
/// stdin is not a terminal).
#[derive(Clone, Copy, Debug, Default)]
pub struct NonInteractive;

impl Prompter for NonInteractive {
    fn is_terminal(&self) -> bool {
        false
    }

    fn read_secret(&mut self, _prompt: &str) -> io::Result<String> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "no terminal"))
    }

    fn say(&mut self, _text: &str) {}
}

/// One fixed passphrase for every key and alias (library use, tests). A passphrase that fails to
/// decrypt a key is refused on the next attempt, so a wrong one fails fast.
///
/// # Security
///
/// An empty passphrase makes the key store write new keys **unencrypted** (`PRIVATE KEY`), as
/// Go's key store does.
#[derive(Clone)]
pub struct StaticPassphrase(Zeroizing<String>);

impl StaticPassphrase {
    /// A source answering `passphrase` to every request.
    pub fn new(passphrase: impl Into<String>) -> StaticPassphrase {
        StaticPassphrase(Zeroizing::new(passphrase.into()))
    }
}

impl PassphraseSource for StaticPassphrase {
    fn passphrase(&mut self, request: &PassphraseRequest<'_>) -> Result<String, PassphraseError> {
        if request.attempt > 0 && !request.is_new {
            return Err(PassphraseError::Refused {
                origin: "the caller".to_owned(),
            });
        }
        Ok(self.0.to_string())
    }
}

impl fmt::Debug for StaticPassphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticPassphrase(..)")
    }
}

/// An environment variable that was set (non-empty) when the retriever was made.
struct EnvPassphrase {
    alias: &'static str,
    variable: &'static str,
    value: Zeroizing<String>,
}

/// Go's " with ID <first 7>" prompt part: empty for names of 7 characters or less; for a name
/// with a directory (legacy layouts) `<7 after the last '/'> (<directory>)`.
fn with_id(key_name: &str) -> String {
    let separator = key_name.rfind('/').filter(|&i| i > 0);
    let short = match separator {
        Some(i) => key_name
            .get(i + 1..i + 1 + SHORT_ID_LEN)
            .map(|id| format!("{id} ({})", &key_name[..i])),
        None => key_name
            .get(..SHORT_ID_LEN)
            .filter(|_| key_name.len() > SHORT_ID_LEN)
            .map(str::to_owned),
    };
    short.map(|s| format!(" with ID {s}")).unwrap_or_default()
}

/// Alias → environment variable (keys.md §6.1 item 1).
const ENV_VARIABLES: [(&str, &str); 4] = [
    (ROOT_ALIAS, "NOTARY_ROOT_PASSPHRASE"),
    ("targets", "NOTARY_TARGETS_PASSPHRASE"),
    ("snapshot", "NOTARY_SNAPSHOT_PASSPHRASE"),
    (DELEGATION_ALIAS, "NOTARY_DELEGATION_PASSPHRASE"),
];
/// Aliases that never fall back to `NOTARY_DELEGATION_PASSPHRASE`.
const BASE_ROLES: [&str; 4] = [ROOT_ALIAS, "targets", "snapshot", "timestamp"];
const ROOT_ALIAS: &str = "root";
const DELEGATION_ALIAS: &str = "delegation";
/// Prompts answered wrongly this many times are not asked again (Go: "Too many attempts").
const MAX_PROMPT_RETRIES: u32 = 3;
/// Go's minimum length of a new passphrase, in bytes.
const MIN_NEW_PASSPHRASE_LEN: usize = 8;
/// How many characters of the key ID prompts show.
const SHORT_ID_LEN: usize = 7;

/// Printed once before the first prompt for a new root key passphrase (Go 0.7, verbatim).
pub const ROOT_KEY_WARNING: &str = "\
You are about to create a new root signing key passphrase. This passphrase
will be used to protect the most sensitive key in your signing system. Please
choose a long, complex passphrase and be careful to keep the password and the
key file itself secure and backed up. It is highly recommended that you use a
password manager to generate the passphrase and keep it safe. There will be no
way to recover this key. You can find the key in your config directory.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_id_is_the_first_seven_characters() {
        for (name, expected) in [
            ("318739bf6a121f882be94ee778851f7e", " with ID 318739b"),
            ("1234567", ""),
            ("12345678", " with ID 1234567"),
            ("", ""),
            (
                "tuf_keys/example.com/abcdef0123456",
                " with ID abcdef0 (tuf_keys/example.com)",
            ),
            ("dir/abc", ""),
        ] {
            assert_eq!(with_id(name), expected, "{name}");
        }
    }

    #[test]
    fn debug_hides_passphrases() {
        let retriever = Retriever::new(
            |v| (v == "NOTARY_ROOT_PASSPHRASE").then(|| "s3cretpass".to_owned()),
            Box::new(NonInteractive),
        );
        let text = format!("{retriever:?} {:?}", StaticPassphrase::new("s3cretpass"));
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("NOTARY_ROOT_PASSPHRASE"), "{text}");
    }
}
