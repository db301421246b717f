//! The one error type of the API: Go notary-server's error codes (server-api.md §5), each with its
//! HTTP status and exact message, rendered as `{"errors":[{"code","message","detail"}]}\n`.
//!
//! 5xx responses never carry internal detail; the cause is kept for the log line only.

use http::StatusCode;
use notary_tuf::upload::UploadError;
use serde_json::{Value, json};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Upload whose Content-Type is not multipart with a boundary, or an unparsable multipart body.
    #[error("malformed upload")]
    MalformedUpload,
    /// A part without a file name (or only `.json`).
    #[error("part without a file name")]
    NoFilename,
    /// A part whose name is not a valid role; the name is the detail.
    #[error("invalid role {0:?}")]
    InvalidRole(String),
    /// A part that is not a metadata envelope.
    #[error("part {0:?} is not metadata JSON")]
    MalformedJson(String),
    /// The upload failed validation.
    #[error("invalid update: {0}")]
    InvalidUpdate(UploadError),
    /// A stored version is not older than an uploaded one.
    #[error("version conflict")]
    Version,
    /// Upload to a GUN outside `repositories.gun_prefixes`.
    #[error("GUN outside the configured prefixes")]
    InvalidGun(Vec<String>),
    /// An upload to a GUN that is not a usable name (traversal, control characters, too long).
    #[error("invalid GUN {0:?}")]
    BadGunName(String),
    /// Changefeed parameters; the detail as Go gives it.
    #[error("invalid parameters")]
    InvalidParameters(Value),
    /// Metadata that is not stored (`detail` `{}`).
    #[error("metadata not found")]
    MetadataNotFound,
    /// No route matched, or a GUN outside the prefixes on a non-upload route (no `detail`).
    #[error("no such route")]
    RouteNotFound,
    /// The request body took too long or was too large.
    #[error("request body: {0}")]
    BodyTooLarge(String),
    /// Server-side failure (storage read, signing); `detail` only where Go gives a public one.
    #[error("internal error: {cause}")]
    Unknown {
        /// The detail shown to the client (e.g. Go's missing-key report), if any.
        detail: Option<Value>,
        /// What went wrong, for the log only.
        cause: String,
    },
    /// Storage write failure other than a version conflict.
    #[error("update failed: {0}")]
    Updating(String),
    /// Token auth refused the request (server-api.md §8): 401 with a challenge.
    #[error("authentication required: {reason}")]
    Unauthorized {
        /// The `Www-Authenticate` value.
        challenge: http::HeaderValue,
        /// The required accesses as JSON text (Go's member order).
        detail: String,
        /// Why, for the log (never contains the token).
        reason: String,
    },
    /// The signing service or database is unreachable.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl ApiError {
    /// An internal error with no public detail.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Unknown {
            detail: None,
            cause: cause.to_string(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedUpload
            | ApiError::NoFilename
            | ApiError::InvalidRole(_)
            | ApiError::MalformedJson(_)
            | ApiError::InvalidUpdate(_)
            | ApiError::Version
            | ApiError::InvalidGun(_)
            | ApiError::BadGunName(_)
            | ApiError::InvalidParameters(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::MetadataNotFound | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unknown { .. } | ApiError::Updating(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Go's error code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedUpload => "MALFORMED_UPLOAD",
            ApiError::NoFilename => "NO_FILENAME",
            ApiError::InvalidRole(_) => "INVALID_ROLE",
            ApiError::MalformedJson(_) => "MALFORMED_JSON",
            ApiError::InvalidUpdate(_) => "INVALID_UPDATE",
            ApiError::Version => "VERSION",
            ApiError::InvalidGun(_) | ApiError::BadGunName(_) => "INVALID_GUN",
            ApiError::InvalidParameters(_) => "INVALID_PARAMETERS",
            ApiError::Unauthorized { .. } => "UNAUTHORIZED",
            ApiError::MetadataNotFound | ApiError::RouteNotFound => "METADATA_NOT_FOUND",
            ApiError::BodyTooLarge(_) => "SIZE_INVALID",
            ApiError::Unknown { .. } => "UNKNOWN",
            ApiError::Updating(_) => "UPDATING",
            ApiError::Unavailable(_) => "UNAVAILABLE",
        }
    }

    /// Go's fixed message for the code.
    pub fn message(&self) -> &'static str {
        match self {
            ApiError::MalformedUpload => "The body of your request is malformed.",
            ApiError::NoFilename => "No file/role name provided.",
            ApiError::InvalidRole(_) => "The role you are attempting to operate on is invalid.",
            ApiError::MalformedJson(_) => "JSON sent by the client could not be parsed by the server",
            ApiError::InvalidUpdate(_) => "Update sent by the client is invalid.",
            ApiError::Version => "A newer version of metadata is already available.",
            ApiError::InvalidGun(_) | ApiError::BadGunName(_) => {
                "The server does not support actions on images of this name."
            }
            ApiError::InvalidParameters(_) => "The parameters provided are not valid.",
            ApiError::Unauthorized { .. } => "authentication required",
            ApiError::MetadataNotFound | ApiError::RouteNotFound => "You have requested metadata that does not exist.",
            ApiError::BodyTooLarge(_) => "provided length did not match content length",
            ApiError::Unknown { .. } => "unknown error",
            ApiError::Updating(_) => "An error has occurred while updating the TUF repository.",
            ApiError::Unavailable(_) => "service unavailable",
        }
    }

    /// The `detail` member, if any.
    pub fn detail(&self) -> Option<Value> {
        match self {
            ApiError::InvalidRole(name) => Some(Value::String(name.clone())),
            ApiError::InvalidUpdate(e) => upload_detail(e),
            ApiError::Version | ApiError::MetadataNotFound => Some(json!({})),
            ApiError::InvalidGun(prefixes) => Some(Value::String(format!(
                "Require GUNs with prefix: [{}]",
                prefixes.join(" ")
            ))),
            ApiError::BadGunName(_) => Some(Value::String(
                "GUNs must be at most 255 bytes, without control characters, a leading '/', or '.'/'..'/empty segments"
                    .into(),
            )),
            ApiError::InvalidParameters(detail) => Some(detail.clone()),
            ApiError::BodyTooLarge(why) => Some(Value::String(why.clone())),
            ApiError::Unknown { detail, .. } => detail.clone(),
            ApiError::Unauthorized { detail, .. } => serde_json::from_str(detail).ok(),
            _ => None,
        }
    }

    /// The response body: the envelope with one error, ending in `\n`. Written by hand to keep
    /// Go's member order (`code`, `message`, `detail`; `Name` before `Error`).
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        out.extend_from_slice(b"{\"errors\":[{\"code\":");
        push_json(&mut out, &Value::from(self.code()));
        out.extend_from_slice(b",\"message\":");
        push_json(&mut out, &Value::from(self.message()));
        if let ApiError::InvalidUpdate(e) = self {
            if let Some(name) = e.go_name() {
                out.extend_from_slice(b",\"detail\":{\"Name\":");
                push_json(&mut out, &Value::from(name));
                out.extend_from_slice(b",\"Error\":");
                push_json(&mut out, &upload_error_object(e));
                out.push(b'}');
            }
        } else if let ApiError::Unauthorized { detail, .. } = self {
            out.extend_from_slice(b",\"detail\":");
            out.extend_from_slice(detail.as_bytes());
        } else if let Some(detail) = self.detail() {
            out.extend_from_slice(b",\"detail\":");
            push_json(&mut out, &detail);
        }
        out.extend_from_slice(b"}]}\n");
        out
    }
}

impl From<notary_storage::StoreError> for ApiError {
    fn from(e: notary_storage::StoreError) -> ApiError {
        match e {
            notary_storage::StoreError::VersionConflict => ApiError::Version,
            notary_storage::StoreError::Backend(cause) => ApiError::Unavailable(cause),
        }
    }
}

/// `detail` of `INVALID_UPDATE` (server-api.md §5.2).
fn upload_detail(e: &UploadError) -> Option<Value> {
    let name = e.go_name()?;
    Some(json!({"Name": name, "Error": upload_error_object(e)}))
}

/// The `Error` member: `{"Msg":…}`, plus `Missing` for `ErrBadHierarchy`.
fn upload_error_object(e: &UploadError) -> Value {
    match e {
        UploadError::BadHierarchy { missing, message } => json!({"Missing": missing, "Msg": message}),
        other => json!({"Msg": other.to_string()}),
    }
}

fn push_json(out: &mut Vec<u8>, value: &Value) {
    // Writing a Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}
