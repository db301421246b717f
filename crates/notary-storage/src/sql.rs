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

/// Maps a database error to [`StoreError::Backend`], prefixed with what was being done.
///
/// Decode and encode errors are reduced to the column, so no stored value (key bytes included)
/// can end up in the message.
pub(crate) fn backend(context: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |err| {
        let detail = match &err {
            sqlx::Error::ColumnDecode { index, .. } => format!("cannot decode column {index}"),
            sqlx::Error::Decode(_) => "cannot decode a value".to_owned(),
            sqlx::Error::Encode(_) => "cannot encode a value".to_owned(),
            other => other.to_string(),
        };
        StoreError::Backend(format!("{context}: {detail}"))
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
