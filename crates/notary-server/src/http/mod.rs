//! The wire (server-api.md): connections (plain or TLS, timeouts, graceful shutdown), path
//! cleaning and routing, the GUN-prefix filter, cache headers, and rendering of every response.
//! The operations themselves are [`crate::service::Service`]'s.

pub mod auth;
pub mod route;
pub mod upload;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, LAST_MODIFIED, LOCATION, PRAGMA, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use notary_service_kit::config_doc::go_quote;
use notary_storage::{ChangeQuery, MetadataStore};
use notary_tuf::name::Gun;
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::error::ApiError;
use crate::metrics::Operation;
use crate::service::{ServedFile, Service, key_json};
use crate::trust::TrustService;
use route::Route;

/// The largest publish body accepted (server-api.md §7.5 recommends at least 100 MiB).
pub const MAX_UPLOAD_BYTES: usize = 160 * 1024 * 1024;
/// How long a client may take to send request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may take to send a request body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a TLS handshake (or the first byte of one) may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long in-flight requests get to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Options of the HTTP layer (from the config's `caching` and `repositories` sections).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// `caching.max_age.current_metadata` (seconds; 0 disables caching).
    pub current_max_age: u32,
    /// `caching.max_age.consistent_metadata`.
    pub consistent_max_age: u32,
    /// `repositories.gun_prefixes` (empty: every GUN).
    pub gun_prefixes: Vec<String>,
    /// `auth.type: token` (none: nothing is authenticated).
    pub auth: Option<Arc<auth::TokenAuth>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            current_max_age: 300,
            consistent_max_age: 2_592_000,
            gun_prefixes: Vec::new(),
            auth: None,
        }
    }
}

/// Everything a request handler needs.
pub struct App<S, T> {
    /// The operations.
    pub service: Service<S, T>,
    /// HTTP options.
    pub options: HttpOptions,
    /// Failing health checks by name (`DB operational`, `Trust operational`) → reason.
    unhealthy: std::sync::RwLock<std::collections::BTreeMap<&'static str, String>>,
    current_cache_control: HeaderValue,
    consistent_cache_control: HeaderValue,
}

impl<S: MetadataStore, T: TrustService> App<S, T> {
    /// An app over `service`.
    pub fn new(service: Service<S, T>, options: HttpOptions) -> Self {
        App {
            current_cache_control: cache_control(options.current_max_age, true),
            consistent_cache_control: cache_control(options.consistent_max_age, false),
            service,
            options,
            unhealthy: Default::default(),
        }
    }

    /// Runs the `DB operational` and `Trust operational` health checks every 10 s
    /// (server-api.md §7.10) until the app is dropped.
    pub fn spawn_health_checks(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let Some(app) = weak.upgrade() else { return };
                let db = app
                    .service
                    .store()
                    .check_health()
                    .await
                    .map_err(|_| "Cannot access table: tuf_files".to_owned());
                let trust = app.service.trust().check_health().await;
                let mut unhealthy = app.unhealthy.write().unwrap_or_else(|p| p.into_inner());
                for (name, result) in [("DB operational", db), ("Trust operational", trust)] {
                    match result {
                        Ok(()) => unhealthy.remove(name),
                        Err(reason) => unhealthy.insert(name, reason),
                    };
                }
            }
        });
    }
}

/// Serves HTTP/1.1 on `listener` (TLS when `tls` is given) until `shutdown` completes, then lets
/// in-flight requests finish for up to [`SHUTDOWN_GRACE`].
pub async fn serve<S, T>(
    listener: TcpListener,
    app: Arc<App<S, T>>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) where
    S: MetadataStore,
    T: TrustService,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(handle(&app, req).await) }
        });
        let builder = {
            let mut b = hyper::server::conn::http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(true);
            b
        };
        match &acceptor {
            None => {
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let mut stream = stream;
                    let mut first = [0u8; 5];
                    let peeked = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await;
                    let Ok(Ok(n)) = peeked else { return };
                    let first = &first[..n];
                    if n == 0 {
                        return;
                    }
                    if !crate::tls::is_tls_client_hello(first) {
                        // Go answers a plain-HTTP request on the TLS port with a canned 400.
                        if crate::tls::looks_like_plain_http(first) {
                            let _ = stream.write_all(crate::tls::PLAIN_HTTP_TO_TLS_RESPONSE).await;
                        }
                        let _ = stream.shutdown().await;
                        return;
                    }
                    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let conn = watcher.watch(builder.serve_connection(TokioIo::new(tls), service));
                    let _ = conn.await;
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// Handles one request: clean path → route → GUN prefixes → token auth → operation → response,
/// with metrics and the `response completed` log line.
pub async fn handle<S, T>(app: &App<S, T>, req: Request<Incoming>) -> Response<Full<Bytes>>
where
    S: MetadataStore,
    T: TrustService,
{
    let started = Instant::now();
    let method = req.method().clone();
    let Some(path) = route::decode_path(req.uri().path()) else {
        return error_response(&ApiError::RouteNotFound);
    };
    if let Some(cleaned) = route::clean_path(&path) {
        let mut location = route::encode_path(&cleaned);
        if let Some(query) = req.uri().query() {
            location.push('?');
            location.push_str(query);
        }
        let mut response = empty(StatusCode::MOVED_PERMANENTLY);
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, value);
        }
        return response;
    }
    let path = path.into_owned();
    let route = route::route(&method, &path);
    let operation = operation(&route);
    let request_bytes = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);

    let response = match dispatch(app, route, req).await {
        Ok(response) => response,
        Err(error) => {
            if error.status().is_server_error() {
                tracing::error!(error = %error, "request failed");
            } else {
                tracing::info!(error = %error, "request refused");
            }
            error_response(&error)
        }
    };
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(operation) = operation {
        let response_bytes = hyper::body::Body::size_hint(response.body()).exact().unwrap_or(0);
        app.service
            .metrics()
            .record_request(operation, &method, status, elapsed, request_bytes, response_bytes);
    }
    tracing::info!(
        http.request.method = %method,
        http.request.uri = %path,
        http.response.status = status,
        http.response.duration = ?elapsed,
        "response completed"
    );
    response
}

async fn dispatch<S, T>(
    app: &App<S, T>,
    route: Route,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError>
where
    S: MetadataStore,
    T: TrustService,
{
    if let Some(gun) = route.gun()
        && !app.options.gun_prefixes.is_empty()
        && !app.options.gun_prefixes.iter().any(|p| gun.starts_with(p.as_str()))
    {
        return Err(match route {
            Route::Upload { .. } => ApiError::InvalidGun(app.options.gun_prefixes.clone()),
            _ => ApiError::RouteNotFound,
        });
    }
    // server-api.md §9: after the GUN-prefix filter, before the handler reads anything.
    if let Some(auth) = &app.options.auth {
        auth.check(&route, req.headers())?;
    }
    let service = &app.service;
    match route {
        Route::MethodNotAllowed => Ok(empty(StatusCode::METHOD_NOT_ALLOWED)),
        Route::NotFound => Err(ApiError::RouteNotFound),
        Route::Base => Ok(text(Bytes::from_static(b"{}"))),
        Route::Health => Ok(health(app)),
        Route::Metrics => {
            let mut response = Response::new(Full::new(Bytes::from(service.metrics().render())));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(crate::metrics::CONTENT_TYPE));
            Ok(response)
        }
        Route::Current { gun, role } => {
            let file = service.current(&gun, &role).await?;
            Ok(metadata(file, &app.current_cache_control, app.options.current_max_age))
        }
        Route::ByChecksum { gun, role, checksum } => {
            let file = service.by_checksum(&gun, &role, &checksum).await?;
            Ok(metadata(
                file,
                &app.consistent_cache_control,
                app.options.consistent_max_age,
            ))
        }
        Route::ByVersion { gun, role, version } => {
            let version = version.ok_or(ApiError::MetadataNotFound)?;
            let file = service.by_version(&gun, &role, version).await?;
            Ok(metadata(
                file,
                &app.consistent_cache_control,
                app.options.consistent_max_age,
            ))
        }
        Route::GetKey { gun, role } => {
            let key = service.key(checked_gun(&gun)?, &role).await?;
            Ok(text(Bytes::from(key_json(&key))))
        }
        Route::RotateKey { gun, role } => {
            let key = service.rotate_key(checked_gun(&gun)?, &role).await?;
            Ok(text(Bytes::from(key_json(&key))))
        }
        Route::Delete { gun } => {
            service.delete(&gun).await?;
            Ok(empty(StatusCode::OK))
        }
        Route::Upload { gun } => {
            let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
            let boundary = upload::boundary(content_type)?;
            let gun: Gun = gun.parse().map_err(|_| ApiError::BadGunName(gun.clone()))?;
            let body = read_body(req.into_body(), MAX_UPLOAD_BYTES).await?;
            let parts = upload::parts(body, boundary).await?;
            service.publish(&gun, parts).await?;
            Ok(empty(StatusCode::OK))
        }
        Route::ChangefeedAll => changefeed(service, None, req.uri().query()).await,
        Route::Changefeed { gun } => changefeed(service, Some(gun), req.uri().query()).await,
    }
}

/// A GUN from a read route; names no upload could have created are simply not found.
fn checked_gun(gun: &str) -> Result<&str, ApiError> {
    match gun.parse::<Gun>() {
        Ok(_) => Ok(gun),
        Err(_) => Err(ApiError::MetadataNotFound),
    }
}

async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::BodyTooLarge(format!(
            "request bodies are limited to {limit} bytes"
        ))),
        Ok(Err(_)) => Err(ApiError::MalformedUpload),
        Err(_) => Err(ApiError::BodyTooLarge("request body not received in time".into())),
    }
}

async fn changefeed<S, T>(
    service: &Service<S, T>,
    gun: Option<String>,
    query: Option<&str>,
) -> Result<Response<Full<Bytes>>, ApiError>
where
    S: MetadataStore,
    T: TrustService,
{
    let query = changefeed_query(gun, query)?;
    let changes = service.changes(&query).await?;
    let mut out = Vec::with_capacity(64 + changes.len() * 200);
    out.extend_from_slice(format!("{{\"count\":{},\"records\":[", changes.len()).as_bytes());
    for (i, c) in changes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(
            format!(
                "{{\"ID\":\"{}\",\"CreatedAt\":\"{}\",\"GUN\":",
                c.id,
                go_rfc3339_nano(c.created_at)
            )
            .as_bytes(),
        );
        let _ = serde_json::to_writer(&mut out, &c.gun);
        out.extend_from_slice(format!(",\"Version\":{},\"SHA256\":", c.version).as_bytes());
        let _ = serde_json::to_writer(&mut out, &c.sha256);
        out.extend_from_slice(format!(",\"Category\":\"{}\"}}", c.category.as_str()).as_bytes());
    }
    out.extend_from_slice(b"]}");
    Ok(text(Bytes::from(out)))
}

/// The changefeed parameters with Go's parsing and errors (server-api.md §7.9).
pub fn changefeed_query(gun: Option<String>, query: Option<&str>) -> Result<ChangeQuery, ApiError> {
    let records_text = query_param(query, "records").unwrap_or_default();
    let records = go_parse_i32(&records_text).map_err(|reason| {
        ApiError::InvalidParameters(serde_json::Value::String(format!(
            "invalid records parameter: strconv.ParseInt: parsing {}: {reason}",
            go_quote(&records_text)
        )))
    })?;
    let change_id = match query_param(query, "change_id") {
        None => 0,
        Some(text) if text.is_empty() => 0,
        Some(text) => go_parse_i32(&text).map_err(|_| ApiError::InvalidParameters(serde_json::json!({})))?,
    };
    let limit = match records {
        0 => 100,
        n => i64::from(n).abs(),
    };
    Ok(ChangeQuery {
        gun,
        change_id: i64::from(change_id),
        limit,
        backward: records < 0 || change_id < 0,
    })
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(key) == name).then(|| decode(value))
    })
}

/// Go's `strconv.ParseInt(s, 10, 32)`: optional sign, ASCII digits, 32-bit range.
fn go_parse_i32(s: &str) -> Result<i32, &'static str> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    s.parse::<i64>()
        .ok()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or("value out of range")
}

fn health<S: MetadataStore, T: TrustService>(app: &App<S, T>) -> Response<Full<Bytes>> {
    let unhealthy = app.unhealthy.read().unwrap_or_else(|p| p.into_inner());
    let (status, body) = if unhealthy.is_empty() {
        (StatusCode::OK, Bytes::from_static(b"{}"))
    } else {
        let body = serde_json::to_vec(&*unhealthy).unwrap_or_default();
        (StatusCode::SERVICE_UNAVAILABLE, Bytes::from(body))
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

fn operation(route: &Route) -> Option<Operation> {
    Some(match route {
        Route::Upload { .. } => Operation::UpdateTuf,
        Route::ByChecksum { .. } => Operation::GetRoleByHash,
        Route::ByVersion { .. } => Operation::GetRoleByVersion,
        Route::Current { .. } => Operation::GetRole,
        Route::GetKey { .. } => Operation::GetKey,
        Route::RotateKey { .. } => Operation::RotateKey,
        Route::Delete { .. } => Operation::DeleteTuf,
        Route::Changefeed { .. } | Route::ChangefeedAll => Operation::Changefeed,
        _ => return None,
    })
}

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

fn text(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
    response
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

fn metadata(file: ServedFile, cache_control: &HeaderValue, max_age: u32) -> Response<Full<Bytes>> {
    let mut response = text(file.data);
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, cache_control.clone());
    if max_age == 0 {
        headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    }
    headers.insert(LAST_MODIFIED, file.last_modified);
    response
}

/// Renders an error envelope.
pub fn error_response(error: &ApiError) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(error.body())));
    *response.status_mut() = error.status();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    if let ApiError::Unauthorized { challenge, .. } = error {
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge.clone());
    }
    response
}

/// server-api.md §6: `must-revalidate` only for current metadata; max-age 0 disables caching.
fn cache_control(max_age: u32, current: bool) -> HeaderValue {
    let value = match (max_age, current) {
        (0, _) => "max-age=0, no-cache, no-store".to_owned(),
        (n, true) => format!("public, max-age={n}, s-maxage={n}, must-revalidate"),
        (n, false) => format!("public, max-age={n}, s-maxage={n}"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("no-store"))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the HTTP date format (RFC 9110 §5.6.7).
pub fn http_date(t: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[usize::from(u8::from(t.month())) - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Go's `time.RFC3339Nano` in UTC: fraction without trailing zeros, none when zero.
pub fn go_rfc3339_nano(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let nanos = t.nanosecond();
    if nanos > 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let t = OffsetDateTime::from_unix_timestamp(1_795_319_000).unwrap();
        assert_eq!(http_date(t), "Sun, 22 Nov 2026 03:43:20 GMT");
        assert_eq!(go_rfc3339_nano(t), "2026-11-22T03:43:20Z");
        let t = t + time::Duration::nanoseconds(589_819_320);
        assert_eq!(go_rfc3339_nano(t), "2026-11-22T03:43:20.58981932Z");
    }

    #[test]
    fn changefeed_parameters() {
        let q = |s: &str| changefeed_query(None, Some(s));
        let detail = |s: &str| match q(s) {
            Err(ApiError::InvalidParameters(d)) => d,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            detail("").as_str().unwrap(),
            "invalid records parameter: strconv.ParseInt: parsing \"\": invalid syntax"
        );
        assert!(
            detail("records=abc")
                .as_str()
                .unwrap()
                .ends_with("parsing \"abc\": invalid syntax")
        );
        assert!(
            detail("records=99999999999")
                .as_str()
                .unwrap()
                .ends_with("value out of range")
        );
        assert_eq!(detail("records=10&change_id=abc"), serde_json::json!({}));
        let ok = q("records=0").unwrap();
        assert_eq!((ok.limit, ok.backward, ok.change_id), (100, false, 0));
        let ok = q("records=2&change_id=-1").unwrap();
        assert_eq!((ok.limit, ok.backward), (2, true));
        let ok = q("records=-2&change_id=5").unwrap();
        assert_eq!((ok.limit, ok.backward, ok.change_id), (2, true, 5));
    }
}
