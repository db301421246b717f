//! The edges of a service process: Go-style command-line flags, the `fatal` start-up line, and
//! the signals that end a server.

use std::process::ExitCode;

/// Go's `flag` package words: `-name` or `--name`, with a value either inline (`-name=value`) or
/// as the next word (`-name value`).
///
/// Yields each flag; [`Flags::value`] takes its value. Which flags exist, which take a value and
/// what a missing one means is for the caller.
#[derive(Debug)]
pub struct Flags<I> {
    args: I,
}

/// One flag word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The name without its leading dashes and without any `=value`.
    pub name: String,
    /// The word as given, for messages (`unknown flag --x=1`).
    pub arg: String,
    inline: Option<String>,
}

impl<I: Iterator<Item = String>> Flags<I> {
    /// The flags among `args` (the program name already skipped).
    pub fn new(args: I) -> Flags<I> {
        Flags { args }
    }

    /// The value of `flag`: the text after its `=`, else the next word; `None` when there is none.
    pub fn value(&mut self, flag: &Flag) -> Option<String> {
        flag.inline.clone().or_else(|| self.args.next())
    }
}

impl<I: Iterator<Item = String>> Iterator for Flags<I> {
    type Item = Flag;

    fn next(&mut self) -> Option<Flag> {
        let arg = self.args.next()?;
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        Some(Flag {
            name: flag.trim_start_matches('-').to_owned(),
            inline,
            arg,
        })
    }
}

/// Go logs a start-up failure as one `fatal` JSON line on stderr and exits 1: prints
/// [`fatal_line`] and returns exit code 1.
pub fn fatal(message: &str) -> ExitCode {
    eprintln!("{}", fatal_line(message));
    ExitCode::from(1)
}

/// The line [`fatal`] prints: `{"level":"fatal","msg":…,"time":…}` (RFC 3339 time).
pub fn fatal_line(message: &str) -> String {
    let line = serde_json::json!({
        "level": "fatal",
        "msg": message,
        "time": time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    });
    line.to_string()
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM: a server's cue to shut down gracefully. If
/// the SIGTERM handler cannot be installed, only Ctrl-C counts.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> std::vec::IntoIter<String> {
        line.split(' ').map(str::to_owned).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn flags_inline_next_and_missing_values() {
        let mut flags = Flags::new(words("-config=a=b --listen 127.0.0.1:0 -version -logf"));
        let mut seen = Vec::new();
        while let Some(flag) = flags.next() {
            let value = match flag.name.as_str() {
                "config" | "listen" | "logf" => flags.value(&flag),
                _ => None,
            };
            seen.push((flag.name, flag.arg, value));
        }
        let expected = [
            ("config", "-config=a=b", Some("a=b")),
            ("listen", "--listen", Some("127.0.0.1:0")),
            ("version", "-version", None),
            ("logf", "-logf", None),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(n, a, v)| (n.to_string(), a.to_string(), v.map(str::to_owned)))
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn fatal_line_is_go_shaped() {
        let line: serde_json::Value = serde_json::from_str(&fatal_line("boom \"x\"")).unwrap();
        assert_eq!(line["level"], "fatal");
        assert_eq!(line["msg"], "boom \"x\"");
        let time = line["time"].as_str().unwrap();
        assert!(time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).is_ok());
        assert_eq!(line.as_object().unwrap().len(), 3);
    }
}
