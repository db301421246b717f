//! The terminal: hidden passphrase entry (rpassword) and registry credentials from
//! `NOTARY_AUTH` or prompts.

use std::io::{self, IsTerminal, Write};

use notary_client::passphrase::Prompter;

/// Passphrase prompts on the controlling terminal, written to stdout as Go does.
pub(crate) struct Terminal;

impl Prompter for Terminal {
    fn is_terminal(&self) -> bool {
        io::stdin().is_terminal()
    }

    fn read_secret(&mut self, prompt: &str) -> io::Result<String> {
        print!("{prompt}");
        io::stdout().flush()?;
        let answer = rpassword::read_password()?;
        println!();
        Ok(answer)
    }

    fn say(&mut self, text: &str) {
        print!("{text}");
        let _ = io::stdout().flush();
    }
}

/// Registry credentials: `NOTARY_AUTH` (base64 `user:password`), else `Enter username:` /
/// `Enter password:` on a terminal. Asked only when the server wants them.
pub(crate) struct Credentials;

impl Credentials {
    /// The source for this process.
    pub(crate) fn from_env() -> Credentials {
        Credentials
    }
}

impl notary_client::remote::CredentialSource for Credentials {
    fn credentials(&mut self) -> Option<notary_client::remote::Credentials> {
        if let Ok(value) = std::env::var("NOTARY_AUTH")
            && !value.is_empty()
        {
            return match notary_client::remote::credentials_from_notary_auth(&value) {
                Ok(c) => Some(c),
                Err(e) => {
                    crate::log::error(&e.to_string());
                    None
                }
            };
        }
        if !io::stdin().is_terminal() {
            return None;
        }
        print!("Enter username: ");
        let _ = io::stdout().flush();
        let mut username = String::new();
        io::stdin().read_line(&mut username).ok()?;
        print!("Enter password: ");
        let _ = io::stdout().flush();
        let password = rpassword::read_password().ok()?;
        println!();
        Some(notary_client::remote::Credentials::new(
            username.trim(),
            password.trim(),
        ))
    }
}
