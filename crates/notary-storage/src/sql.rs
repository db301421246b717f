//! What the SQL backends share: checksums, the in-call duplicate rule and error mapping.

use std::collections::HashSet;

use crate::{NewFile, StoreError};

/// The role whose stored files append changefeed records (server-behaviour.md §6.3).
pub(crate) const TIMESTAMP_ROLE: &str = "timestamp";

/// Whether no two of `files` share a role and version (server-behaviour.md §2.7: such an update
/// conflicts as a whole).
pub(crate) fn distinct_role_versions(files: &[NewFile]) -> bool {
    let mut seen = HashSet::with_capacity(files.len());
    files.iter().all(|file| seen.insert((file.role.as_str(), file.version)))
}

/// Lower-case hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data))
}

/// Maps a database error to [`StoreError::Unreachable`] when the database could not be reached
/// ([`unreachable`]), else to [`StoreError::Backend`], prefixed with what was being done.
///
/// Decode and encode errors are reduced to the column, so no stored value (key bytes included)
/// can end up in the message.
pub(crate) fn backend(context: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |err| {
        if unreachable(&err) {
            return StoreError::Unreachable(format!("{context}: {err}"));
        }
        let detail = match &err {
            sqlx::Error::ColumnDecode { index, .. } => format!("cannot decode column {index}"),
            sqlx::Error::Decode(_) => "cannot decode a value".to_owned(),
            sqlx::Error::Encode(_) => "cannot encode a value".to_owned(),
            other => other.to_string(),
        };
        StoreError::Backend(format!("{context}: {detail}"))
    }
}

/// Whether `err` says the database could not be reached, rather than that it refused or failed
/// an operation: socket and TLS errors, no pooled connection in time, a closed pool, and the
/// server-side errors of a connection being refused or ended (SQLSTATE class 08 "connection
/// exception", 57P01–57P03 "admin shutdown", "crash shutdown", "cannot connect now", 53300 "too
/// many connections", 3D000 "database does not exist").
pub(crate) fn unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300" | "3D000")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_errors_do_not_show_values() {
        let err = sqlx::Error::ColumnDecode {
            index: "\"private\"".to_owned(),
            source: "bytes SEALED-SECRET are not UTF-8".into(),
        };
        let StoreError::Backend(message) = backend("cannot read a key")(err) else {
            panic!("not a backend error");
        };
        assert_eq!(message, "cannot read a key: cannot decode column \"private\"");
    }

    #[test]
    fn connection_failures_are_unreachable() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(
            matches!(backend("cannot read")(refused), StoreError::Unreachable(m) if m.starts_with("cannot read: "))
        );
        assert!(matches!(
            backend("x")(sqlx::Error::PoolTimedOut),
            StoreError::Unreachable(_)
        ));
        assert!(matches!(backend("x")(sqlx::Error::RowNotFound), StoreError::Backend(_)));
    }

    #[test]
    fn duplicate_role_and_version() {
        let file = |role: &str, version| NewFile {
            role: role.to_owned(),
            version,
            data: Vec::new(),
        };
        assert!(distinct_role_versions(&[
            file("root", 1),
            file("targets", 1),
            file("root", 2)
        ]));
        assert!(!distinct_role_versions(&[
            file("root", 1),
            file("targets", 1),
            file("root", 1)
        ]));
        assert!(distinct_role_versions(&[]));
    }
}
