//! The HTTP layer: `GET /token` (token spec) and `POST /token` (OAuth2 password grant) over
//! HTTP/1.1, plain or TLS, with size limits and timeouts; password checks run on blocking
//! threads, a few at a time.
//!
//! Answers: 200 `{"token", "access_token", "expires_in", "issued_at"}` (+ `"scope"` for OAuth2);
//! 401 for bad credentials; 400 for malformed requests; always JSON with both the registry's
//! `{"errors": [{"code", "message"}]}` and OAuth2's `{"error", "error_description"}`, and
//! `Cache-Control: no-store`. Logs never hold the query, body or `Authorization` header.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, PRAGMA, WWW_AUTHENTICATE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::grant::Principal;
use crate::issuer::{IssueError, Issuer};
use crate::request::{MAX_PARAMS_BYTES, RequestError, RequestForm, TokenRequest};

/// The path tokens are served at (the `realm` is `<scheme>://<host:port>/token`).
pub const TOKEN_PATH: &str = "/token";
/// How long a client may take to send request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request head (request line + headers) read, in bytes.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long in-flight requests get after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The issuer and what bounds its work.
pub struct App {
    issuer: Issuer,
    /// Concurrent bcrypt verifications (each takes tens of milliseconds of CPU).
    password_checks: Semaphore,
}

impl App {
    /// An app answering with `issuer`.
    pub fn new(issuer: Issuer) -> App {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        App {
            issuer,
            password_checks: Semaphore::new(cores.max(2)),
        }
    }
}

/// Serves HTTP/1.1 on `listener` (TLS when `tls` is given) until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
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
            async move { Ok::<_, Infallible>(handle(app, req).await) }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_HEAD_BYTES)
            .keep_alive(true);
        match &acceptor {
            None => {
                let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await else {
                        return;
                    };
                    let _ = watcher
                        .watch(builder.serve_connection(TokioIo::new(tls), service))
                        .await;
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// Answers one request and logs one line for it.
pub async fn handle(app: Arc<App>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (response, outcome) = match answer(app, req).await {
        Ok((response, outcome)) => (response, outcome),
        Err(error) => (error.response(), Outcome::refused(&error)),
    };
    tracing::info!(
        http.request.method = %method,
        http.request.path = %path,
        http.response.status = response.status().as_u16(),
        http.response.duration = ?started.elapsed(),
        user = outcome.user.as_deref().unwrap_or(""),
        service = outcome.service.as_deref().unwrap_or(""),
        granted = outcome.granted.as_deref().unwrap_or(""),
        reason = outcome.reason.unwrap_or(""),
        "response completed"
    );
    response
}

/// What the log line says about a request.
#[derive(Default)]
struct Outcome {
    user: Option<String>,
    service: Option<String>,
    granted: Option<String>,
    reason: Option<&'static str>,
}

impl Outcome {
    fn refused(error: &HttpError) -> Outcome {
        Outcome {
            reason: Some(error.log_reason()),
            ..Outcome::default()
        }
    }
}

async fn answer(app: Arc<App>, req: Request<Incoming>) -> Result<(Response<Full<Bytes>>, Outcome), HttpError> {
    if req.uri().path() != TOKEN_PATH {
        return Err(HttpError::NotFound);
    }
    let request = match *req.method() {
        Method::GET => {
            let authorization = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes().to_vec());
            TokenRequest::from_get(req.uri().query().unwrap_or(""), authorization.as_deref())?
        }
        Method::POST => {
            let body = read_body(req.into_body()).await?;
            TokenRequest::from_oauth2_form(&body)?
        }
        _ => return Err(HttpError::MethodNotAllowed),
    };
    let user = match request.credentials {
        None => None,
        Some(credentials) => {
            let permit = app.password_checks.acquire().await.map_err(|_| HttpError::Internal)?;
            let checker = app.clone();
            let user = credentials.user.clone();
            let valid = tokio::task::spawn_blocking(move || {
                checker.issuer.users().verify(&credentials.user, &credentials.password)
            })
            .await
            .map_err(|_| HttpError::Internal)?;
            drop(permit);
            if !valid {
                return Err(HttpError::BadCredentials);
            }
            Some(user)
        }
    };
    let principal = match &user {
        Some(user) => Principal::User(user),
        None => Principal::Anonymous,
    };
    let issued = app
        .issuer
        .issue(principal, &request.service, &request.scopes, OffsetDateTime::now_utc())
        .map_err(|e| match e {
            IssueError::UnknownService => HttpError::UnknownService,
            _ => HttpError::Internal,
        })?;
    let granted: Vec<String> = issued
        .access
        .iter()
        .map(|a| format!("{}:{}:{}", a.resource_type, a.name, a.actions.join(",")))
        .collect();
    let granted = granted.join(" ");
    let mut body = json!({
        "token": issued.token,
        "access_token": issued.token,
        "expires_in": issued.expires_in,
        "issued_at": issued.issued_at,
    });
    if request.form == RequestForm::OAuth2 {
        body["scope"] = json!(granted);
    }
    let outcome = Outcome {
        user,
        service: Some(request.service),
        granted: Some(granted),
        reason: None,
    };
    Ok((json_response(StatusCode::OK, &body), outcome))
}

async fn read_body(body: Incoming) -> Result<Bytes, HttpError> {
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_PARAMS_BYTES).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(_)) => Err(HttpError::Request(RequestError::TooLarge)),
        Err(_) => Err(HttpError::BodyTimeout),
    }
}

/// Why a request got no token.
#[derive(Debug, thiserror::Error)]
enum HttpError {
    #[error("not found: tokens are served at {TOKEN_PATH}")]
    NotFound,
    #[error("only GET and POST are supported")]
    MethodNotAllowed,
    #[error("{0}")]
    Request(#[from] RequestError),
    #[error("request body not received in time")]
    BodyTimeout,
    #[error("invalid username or password")]
    BadCredentials,
    #[error("unknown service")]
    UnknownService,
    #[error("internal error")]
    Internal,
}

impl HttpError {
    fn status(&self) -> StatusCode {
        match self {
            HttpError::NotFound => StatusCode::NOT_FOUND,
            HttpError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::Request(RequestError::BadAuthorization) | HttpError::BadCredentials => StatusCode::UNAUTHORIZED,
            HttpError::Request(RequestError::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::Request(_) | HttpError::BodyTimeout | HttpError::UnknownService => StatusCode::BAD_REQUEST,
            HttpError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The registry error code and the OAuth2 error.
    fn codes(&self) -> (&'static str, &'static str) {
        match self.status() {
            StatusCode::UNAUTHORIZED => ("UNAUTHORIZED", "invalid_grant"),
            StatusCode::INTERNAL_SERVER_ERROR => ("UNKNOWN", "server_error"),
            StatusCode::NOT_FOUND => ("NOT_FOUND", "invalid_request"),
            _ => match self {
                HttpError::Request(RequestError::UnsupportedGrantType) => ("UNSUPPORTED", "unsupported_grant_type"),
                HttpError::Request(RequestError::Scope(_) | RequestError::TooManyScopes) => {
                    ("INVALID_SCOPE", "invalid_scope")
                }
                _ => ("INVALID_REQUEST", "invalid_request"),
            },
        }
    }

    fn log_reason(&self) -> &'static str {
        match self {
            HttpError::NotFound => "not found",
            HttpError::MethodNotAllowed => "method not allowed",
            HttpError::Request(RequestError::BadAuthorization) => "malformed credentials",
            HttpError::Request(_) => "malformed request",
            HttpError::BodyTimeout => "body timeout",
            HttpError::BadCredentials => "invalid username or password",
            HttpError::UnknownService => "unknown service",
            HttpError::Internal => "internal error",
        }
    }

    fn response(&self) -> Response<Full<Bytes>> {
        let (code, oauth) = self.codes();
        let message = self.to_string();
        let body = json!({
            "errors": [{"code": code, "message": message}],
            "error": oauth,
            "error_description": message,
        });
        let mut response = json_response(self.status(), &body);
        if self.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"notary-token-issuer\""),
            );
        }
        response
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
