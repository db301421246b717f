//! Log lines on stderr in Go notary's logrus text format:
//! `time="2026-11-22T03:44:17Z" level=warning msg="…"`. Default level warning; `-v` info,
//! `-D` debug.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::cli::GlobalArgs;

/// Levels in increasing verbosity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Error = 0,
    Warning = 1,
    Info = 2,
    Debug = 3,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warning as u8);

/// Sets the level from `-D` / `-v`.
pub(crate) fn init(global: &GlobalArgs) {
    let level = if global.debug {
        Level::Debug
    } else if global.verbose {
        Level::Info
    } else {
        Level::Warning
    };
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Writes one log line if `level` is enabled.
pub(crate) fn log(level: Level, message: &str) {
    if level as u8 > LEVEL.load(Ordering::Relaxed) {
        return;
    }
    let name = match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info => "info",
        Level::Debug => "debug",
    };
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let stamp = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    eprintln!("time=\"{stamp}\" level={name} msg={}", quote(message));
}

/// A warning line.
pub(crate) fn warn(message: &str) {
    log(Level::Warning, message);
}

/// An error line (the command goes on).
pub(crate) fn error(message: &str) {
    log(Level::Error, message);
}

/// logrus quoting: `"…"` with `\"` and `\\` escaped.
fn quote(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 2);
    out.push('"');
    for c in message.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A debug line (`-D`).
pub(crate) fn debug(message: &str) {
    log(Level::Debug, message);
}
