//! The route table of server-api.md §2–§3 as a pure function: path cleaning, percent-decoding,
//! and first-match-wins routing with Go's patterns (`{gun}` = anything without `*`, greedy).

use http::Method;

/// What a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /v2/`.
    Base,
    /// `GET /_notary_server/health`.
    Health,
    /// `GET /metrics`.
    Metrics,
    /// `GET /v2/_trust/changefeed`.
    ChangefeedAll,
    /// `GET /v2/{gun}/_trust/changefeed`.
    Changefeed {
        /// The GUN.
        gun: String,
    },
    /// `POST /v2/{gun}/_trust/tuf/`.
    Upload {
        /// The GUN.
        gun: String,
    },
    /// `DELETE /v2/{gun}/_trust/tuf/`.
    Delete {
        /// The GUN.
        gun: String,
    },
    /// `GET /v2/{gun}/_trust/tuf/{role}.{checksum}.json`.
    ByChecksum {
        /// The GUN.
        gun: String,
        /// The role.
        role: String,
        /// The hex checksum as sent (64, 96 or 128 digits).
        checksum: String,
    },
    /// `GET /v2/{gun}/_trust/tuf/{version}.{role}.json`; `version` is `None` when the digits do not
    /// fit an `i64` (always not found).
    ByVersion {
        /// The GUN.
        gun: String,
        /// The role.
        role: String,
        /// The version.
        version: Option<i64>,
    },
    /// `GET /v2/{gun}/_trust/tuf/{role}.json`.
    Current {
        /// The GUN.
        gun: String,
        /// The role.
        role: String,
    },
    /// `GET /v2/{gun}/_trust/tuf/{snapshot|timestamp}.key`.
    GetKey {
        /// The GUN.
        gun: String,
        /// `snapshot` or `timestamp`.
        role: String,
    },
    /// `POST /v2/{gun}/_trust/tuf/{snapshot|timestamp}.key`.
    RotateKey {
        /// The GUN.
        gun: String,
        /// `snapshot` or `timestamp`.
        role: String,
    },
    /// The catch-all: 404 `METADATA_NOT_FOUND` without detail.
    NotFound,
    /// A method outside GET/POST/PUT/HEAD/DELETE: 405 with an empty body.
    MethodNotAllowed,
}

impl Route {
    /// The GUN the route operates on, if any (what `gun_prefixes` filters).
    pub fn gun(&self) -> Option<&str> {
        match self {
            Route::Changefeed { gun }
            | Route::Upload { gun }
            | Route::Delete { gun }
            | Route::ByChecksum { gun, .. }
            | Route::ByVersion { gun, .. }
            | Route::Current { gun, .. }
            | Route::GetKey { gun, .. }
            | Route::RotateKey { gun, .. } => Some(gun),
            _ => None,
        }
    }
}

/// Routes a request whose path is already clean and percent-decoded.
pub fn route(method: &Method, path: &str) -> Route {
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    let delete = *method == Method::DELETE;
    if !(get || post || delete || *method == Method::PUT || *method == Method::HEAD) {
        return Route::MethodNotAllowed;
    }
    match path {
        "/v2/" if get => return Route::Base,
        "/_notary_server/health" if get => return Route::Health,
        "/metrics" if get => return Route::Metrics,
        _ => {}
    }
    let Some(after_v2) = path.strip_prefix("/v2/") else {
        return Route::NotFound;
    };

    if (post || delete)
        && let Some(gun) = after_v2.strip_suffix("/_trust/tuf/")
        && is_gun(gun)
    {
        let gun = gun.to_owned();
        return if post {
            Route::Upload { gun }
        } else {
            Route::Delete { gun }
        };
    }
    if get || post {
        // Routes 3–7, in table order; each tries every split of `{gun}/_trust/tuf/{rest}`,
        // longest GUN first (the pattern is greedy).
        let splits: Vec<(&str, &str)> = splits(after_v2, "/_trust/tuf/").collect();
        if get {
            for &(gun, rest) in &splits {
                if let Some(stem) = rest.strip_suffix(".json")
                    && let Some((role, checksum)) = stem.rsplit_once('.')
                    && is_role(role)
                    && is_checksum(checksum)
                {
                    return Route::ByChecksum {
                        gun: gun.to_owned(),
                        role: role.to_owned(),
                        checksum: checksum.to_owned(),
                    };
                }
            }
            for &(gun, rest) in &splits {
                if let Some(stem) = rest.strip_suffix(".json")
                    && let Some((digits, role)) = stem.split_once('.')
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && is_role(role)
                {
                    return Route::ByVersion {
                        gun: gun.to_owned(),
                        role: role.to_owned(),
                        version: digits.parse().ok(),
                    };
                }
            }
            for &(gun, rest) in &splits {
                if let Some(role) = rest.strip_suffix(".json")
                    && is_role(role)
                {
                    return Route::Current {
                        gun: gun.to_owned(),
                        role: role.to_owned(),
                    };
                }
            }
        }
        for &(gun, rest) in &splits {
            if let Some(role) = rest.strip_suffix(".key")
                && (role == "snapshot" || role == "timestamp")
            {
                let (gun, role) = (gun.to_owned(), role.to_owned());
                return if get {
                    Route::GetKey { gun, role }
                } else {
                    Route::RotateKey { gun, role }
                };
            }
        }
    }
    if get {
        if after_v2 == "_trust/changefeed" {
            return Route::ChangefeedAll;
        }
        if let Some(gun) = after_v2.strip_suffix("/_trust/changefeed")
            && is_gun(gun)
        {
            return Route::Changefeed { gun: gun.to_owned() };
        }
    }
    Route::NotFound
}

/// Every `(gun, rest)` with `text = gun + sep + rest` and a valid GUN, longest GUN first.
fn splits<'a>(text: &'a str, sep: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    let mut positions: Vec<usize> = text.match_indices(sep).map(|(i, _)| i).collect();
    positions.reverse();
    positions
        .into_iter()
        .map(move |i| (&text[..i], &text[i + sep.len()..]))
        .filter(|(gun, _)| is_gun(gun))
}

/// Go's `{gun:[^*]+}`.
fn is_gun(gun: &str) -> bool {
    !gun.is_empty() && !gun.contains('*')
}

/// Go's `root|targets(?:/[^/\s]+)*|snapshot|timestamp`.
fn is_role(role: &str) -> bool {
    match role {
        "root" | "snapshot" | "timestamp" | "targets" => true,
        _ => role.strip_prefix("targets/").is_some_and(|rest| {
            rest.split('/')
                .all(|seg| !seg.is_empty() && !seg.chars().any(char::is_whitespace))
        }),
    }
}

/// 64, 96 or 128 hex digits.
fn is_checksum(s: &str) -> bool {
    matches!(s.len(), 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Go's `path.Clean`, keeping a trailing slash (gorilla/mux's `cleanPath`); `None` when the path is
/// already clean (the common case, checked without allocating).
pub fn clean_path(path: &str) -> Option<String> {
    let dirty = !path.starts_with('/')
        || path.contains("//")
        || path.contains("/./")
        || path.contains("/../")
        || path.ends_with("/.")
        || path.ends_with("/..");
    if !dirty {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut cleaned = String::with_capacity(path.len() + 1);
    for segment in &out {
        cleaned.push('/');
        cleaned.push_str(segment);
    }
    if cleaned.is_empty() || path.ends_with('/') {
        cleaned.push('/');
    }
    (cleaned != path).then_some(cleaned)
}

/// Percent-decodes a request path (borrowing when there is nothing to decode); `None` when the
/// result is not UTF-8.
pub fn decode_path(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !raw.contains('%') {
        return Some(std::borrow::Cow::Borrowed(raw));
    }
    percent_encoding::percent_decode_str(raw).decode_utf8().ok()
}

/// Percent-encodes a decoded path for a `Location` header.
pub fn encode_path(path: &str) -> String {
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    percent_encoding::utf8_percent_encode(path, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Route {
        route(&Method::GET, path)
    }

    #[test]
    fn table() {
        let g = "example.com/coll".to_owned();
        assert_eq!(get("/v2/"), Route::Base);
        assert_eq!(route(&Method::POST, "/v2/"), Route::NotFound);
        assert_eq!(route(&Method::PATCH, "/v2/"), Route::MethodNotAllowed);
        assert_eq!(route(&Method::OPTIONS, "/anything"), Route::MethodNotAllowed);
        assert_eq!(get("/nope"), Route::NotFound);
        assert_eq!(
            get("/v2/example.com/coll/_trust/tuf/root.json"),
            Route::Current {
                gun: g.clone(),
                role: "root".into()
            }
        );
        assert_eq!(
            get("/v2/example.com/coll/_trust/tuf/targets/releases.json"),
            Route::Current {
                gun: g.clone(),
                role: "targets/releases".into()
            }
        );
        let h = "a".repeat(64);
        assert_eq!(
            get(&format!("/v2/example.com/coll/_trust/tuf/targets/releases.{h}.json")),
            Route::ByChecksum {
                gun: g.clone(),
                role: "targets/releases".into(),
                checksum: h.clone()
            }
        );
        assert_eq!(
            get("/v2/example.com/coll/_trust/tuf/0001.root.json"),
            Route::ByVersion {
                gun: g.clone(),
                role: "root".into(),
                version: Some(1)
            }
        );
        assert_eq!(
            get("/v2/example.com/coll/_trust/tuf/99999999999999999999.root.json"),
            Route::ByVersion {
                gun: g.clone(),
                role: "root".into(),
                version: None
            }
        );
        assert_eq!(get("/v2/example.com/coll/_trust/tuf/foo.json"), Route::NotFound);
        assert_eq!(get("/v2/example.com/coll/_trust/tuf/Root.json"), Route::NotFound);
        assert_eq!(get("/v2/exa*mple/_trust/tuf/root.json"), Route::NotFound);
        assert_eq!(
            get("/v2/example.com/coll/_trust/tuf/timestamp.key"),
            Route::GetKey {
                gun: g.clone(),
                role: "timestamp".into()
            }
        );
        assert_eq!(get("/v2/example.com/coll/_trust/tuf/root.key"), Route::NotFound);
        assert_eq!(
            route(&Method::POST, "/v2/example.com/coll/_trust/tuf/targets.key"),
            Route::NotFound
        );
        assert_eq!(
            route(&Method::POST, "/v2/example.com/coll/_trust/tuf/"),
            Route::Upload { gun: g.clone() }
        );
        assert_eq!(route(&Method::POST, "/v2/example.com/coll/_trust/tuf"), Route::NotFound);
        assert_eq!(
            route(&Method::DELETE, "/v2/example.com/coll/_trust/tuf"),
            Route::NotFound
        );
        assert_eq!(get("/v2/example.com/coll/_trust/tuf/"), Route::NotFound);
        assert_eq!(
            route(&Method::POST, "/v2/example.com/coll/_trust/tuf/root.json"),
            Route::NotFound
        );
        assert_eq!(
            route(&Method::HEAD, "/v2/example.com/coll/_trust/tuf/root.json"),
            Route::NotFound
        );
        assert_eq!(get("/v2/_trust/changefeed"), Route::ChangefeedAll);
        assert_eq!(
            get("/v2/example.com/coll/_trust/changefeed"),
            Route::Changefeed { gun: g }
        );
        assert_eq!(route(&Method::POST, "/metrics"), Route::NotFound);
        assert_eq!(route(&Method::POST, "/_notary_server/health"), Route::NotFound);
    }

    #[test]
    fn greedy_gun_backtracks_into_role() {
        assert_eq!(
            get("/v2/g/_trust/tuf/targets/_trust/tuf/x.json"),
            Route::Current {
                gun: "g".into(),
                role: "targets/_trust/tuf/x".into()
            }
        );
    }

    #[test]
    fn cleaning() {
        let clean = |p: &str| clean_path(p).unwrap_or_else(|| p.to_owned());
        assert_eq!(
            clean("/v2/example.com//coll/_trust/tuf/root.json"),
            "/v2/example.com/coll/_trust/tuf/root.json"
        );
        assert_eq!(clean("/v2/a/../b/./c/"), "/v2/b/c/");
        assert_eq!(clean("/../.."), "/");
        assert_eq!(clean("/v2/a/."), "/v2/a");
        assert_eq!(clean_path("/v2/"), None);
        assert_eq!(clean_path("/v2/a.json"), None);
        assert_eq!(
            decode_path("/v2/example.com%2Fcoll/x").as_deref(),
            Some("/v2/example.com/coll/x")
        );
        assert_eq!(decode_path("/%ff"), None);
    }
}
