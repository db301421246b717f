//! The HTTP client (`client.md` §5) against stub servers written here on `std::net`: status
//! mapping, size limits, the multipart body, the ping, token and Basic authentication, TLS.
//! With the `interop` feature, also against the real Go notary-server.

use std::io::{BufRead as _, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use notary_client::remote::{
    Access, Anonymous, CredentialSource, Credentials, PemSource, Rejection, Remote, RemoteConfig, RemoteError,
};
use notary_testkit::pki::TestPki;
use notary_tuf::{Gun, RoleName};

const GUN: &str = "example.com/test/repo";
const BASE: &str = "/v2/example.com/test/repo/_trust/tuf/";

// ---------------------------------------------------------------------------------------------
// Stub server

/// A request as the stub received it.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Request) -> Vec<u8> + Send + Sync;

/// A threaded HTTP/1.1 server answering one request per connection with `handler`'s raw bytes.
struct Stub {
    addr: String,
    requests: Arc<Mutex<Vec<Request>>>,
    peer_certs: Arc<AtomicUsize>,
}

impl Stub {
    fn start(handler: impl Fn(&Request) -> Vec<u8> + Send + Sync + 'static) -> Stub {
        Stub::start_inner(None, Arc::new(handler))
    }

    fn start_tls(config: rustls::ServerConfig, handler: impl Fn(&Request) -> Vec<u8> + Send + Sync + 'static) -> Stub {
        Stub::start_inner(Some(Arc::new(config)), Arc::new(handler))
    }

    fn start_inner(tls: Option<Arc<rustls::ServerConfig>>, handler: Arc<Handler>) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let peer_certs = Arc::new(AtomicUsize::new(0));
        let (log, certs) = (requests.clone(), peer_certs.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (handler, log, tls, certs) = (handler.clone(), log.clone(), tls.clone(), certs.clone());
                thread::spawn(move || match tls {
                    None => serve(stream, &*handler, &log),
                    Some(config) => {
                        let mut conn = rustls::ServerConnection::new(config).unwrap();
                        let mut tcp = stream;
                        while conn.is_handshaking() {
                            if conn.complete_io(&mut tcp).is_err() {
                                return;
                            }
                        }
                        if conn.peer_certificates().is_some_and(|c| !c.is_empty()) {
                            certs.fetch_add(1, Ordering::SeqCst);
                        }
                        serve(rustls::StreamOwned::new(conn, tcp), &*handler, &log);
                    }
                });
            }
        });
        Stub {
            addr,
            requests,
            peer_certs,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

fn serve(stream: impl Read + Write, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let request = Request {
        method,
        path,
        headers,
        body,
    };
    log.lock().unwrap().push(request.clone());
    let response = handler(&request);
    let stream = reader.get_mut();
    let _ = stream.write_all(&response);
    let _ = stream.flush();
}

/// A response with `Content-Length` and `Connection: close`.
fn reply(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn ok(body: &[u8]) -> Vec<u8> {
    reply(200, &[], body)
}

fn gun() -> Gun {
    GUN.parse().unwrap()
}

fn role(name: &str) -> RoleName {
    name.parse().unwrap()
}

fn connect(stub: &Stub, access: Access) -> Remote {
    Remote::connect(&RemoteConfig::new(stub.url()), &gun(), access, Anonymous).unwrap()
}

/// The spec's example ECDSA key object (key ID `29b94777…`).
const KEY_JSON: &str = r#"{"keytype":"ecdsa","keyval":{"private":null,"public":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZewWuFIpJBh6kMwEqWJdZL59eLJ/2CZp4Y+YDvaw2XL7c+YiZ3GRueMl367eCO95R4y4zkmbplnFvqIuC6hwHA=="}}"#;

// ---------------------------------------------------------------------------------------------
// Status mapping, paths

#[test]
fn statuses_map_to_gos_errors() {
    let envelope = br#"{"errors":[{"code":"INVALID_UPDATE","message":"invalid update","detail":{"Name":"ErrBadTargets","Error":{"Msg":"tuf: data has no signatures"}}}]}"#;
    let stub = Stub::start(move |req| {
        let Some(name) = req.path.strip_prefix(BASE) else {
            return ok(b"");
        };
        match name {
            "root.json" => reply(404, &[], b"{}"),
            "timestamp.json" => reply(400, &[], envelope),
            "3.root.json" => reply(500, &[], b""),
            "snapshot.abcd.json" => reply(403, &[], b""),
            "targets.abcd.json" => reply(201, &[], b"created"),
            "targets/releases.abcd.json" => ok(b"delegation bytes"),
            "timestamp.key" => ok(KEY_JSON.as_bytes()),
            "snapshot.key" => ok(b"not a key"),
            "" => reply(400, &[], b"not json"),
            _ => reply(418, &[], b""),
        }
    });
    let remote = connect(&stub, Access::Admin);
    assert_eq!(remote.base_url(), format!("{}{BASE}", stub.url()));

    let err = remote.root().unwrap_err();
    assert!(
        matches!(&err, RemoteError::NotFound { resource } if resource == "root"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "root trust data unavailable.  Has a notary repository been initialized?"
    );
    assert!(err.is_network());

    let err = remote.timestamp().unwrap_err();
    assert!(
        matches!(&err, RemoteError::Rejected(Rejection::BadTargets { .. })),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "The targets metadata is invalid: tuf: data has no signatures"
    );
    assert!(!err.is_network());

    let err = remote.root_version(3).unwrap_err();
    assert!(matches!(err, RemoteError::ServerUnavailable { status: 500 }), "{err:?}");
    assert_eq!(err.to_string(), "unable to reach trust server at this time: 500.");

    let err = remote.by_checksum(&role("snapshot"), "abcd", 100).unwrap_err();
    assert!(matches!(err, RemoteError::Forbidden { status: 403 }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("unable to reach trust server at this time: 403. (not allowed")
    );

    let err = remote.by_checksum(&role("targets"), "abcd", 100).unwrap_err();
    assert!(
        matches!(err, RemoteError::ServerUnavailable { status: 201 }),
        "only 200 is success: {err:?}"
    );

    let body = remote.by_checksum(&role("targets/releases"), "abcd", 100).unwrap();
    assert_eq!(body, b"delegation bytes");

    let key = remote.key(&role("timestamp")).unwrap();
    assert_eq!(
        key.key_id().as_str(),
        "29b9477770f2ac12eaedb7c4127ad2a6290188f1633fc1f97feb6120e560c5dc"
    );
    let err = remote.key(&role("snapshot")).unwrap_err();
    assert!(matches!(err, RemoteError::BadServerKey { .. }), "{err:?}");

    let err = remote.delete().unwrap_err();
    assert!(matches!(err, RemoteError::Rejected(Rejection::Unparsed)), "{err:?}");
    assert_eq!(err.to_string(), "trust server rejected operation.");

    assert_eq!(
        stub.paths(),
        [
            "GET /v2/".to_owned(),
            format!("GET {BASE}root.json"),
            format!("GET {BASE}timestamp.json"),
            format!("GET {BASE}3.root.json"),
            format!("GET {BASE}snapshot.abcd.json"),
            format!("GET {BASE}targets.abcd.json"),
            format!("GET {BASE}targets/releases.abcd.json"),
            format!("GET {BASE}timestamp.key"),
            format!("GET {BASE}snapshot.key"),
            format!("DELETE {BASE}"),
        ]
    );
}

#[test]
fn not_found_names_the_resource_like_go() {
    let stub = Stub::start(|req| {
        if req.path == "/v2/" {
            ok(b"")
        } else {
            reply(404, &[], b"")
        }
    });
    let remote = connect(&stub, Access::Admin);
    let texts = [
        remote.root_version(2).unwrap_err().to_string(),
        remote.by_checksum(&role("snapshot"), "ab", 9).unwrap_err().to_string(),
        remote.rotate_key(&role("snapshot")).unwrap_err().to_string(),
        remote.publish(&[]).unwrap_err().to_string(),
        remote.delete().unwrap_err().to_string(),
    ];
    let suffix = " trust data unavailable.  Has a notary repository been initialized?";
    let resources: Vec<&str> = texts.iter().map(|t| t.strip_suffix(suffix).unwrap()).collect();
    assert_eq!(
        resources,
        [
            "2.root",
            "snapshot.ab",
            "snapshot key",
            "POST metadata endpoint",
            "DELETE metadata for GUN endpoint"
        ]
    );
    assert_eq!(stub.requests()[3].method, "POST");
    assert_eq!(stub.requests()[3].path, format!("{BASE}snapshot.key"));
}

// ---------------------------------------------------------------------------------------------
// Size limits

#[test]
fn content_length_over_the_limit_is_a_bad_response() {
    let stub = Stub::start(|req| {
        if req.path == "/v2/" {
            return ok(b"");
        }
        // Announces one byte more than the limit, sends a little: the header alone decides.
        let announced = if req.path.ends_with("timestamp.json") {
            (1 << 20) + 1
        } else {
            11
        };
        format!("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {announced}\r\n\r\n0123456789").into_bytes()
    });
    let remote = connect(&stub, Access::Pull);
    let err = remote.timestamp().unwrap_err();
    assert!(matches!(err, RemoteError::BadResponse), "{err:?}");
    assert_eq!(err.to_string(), "trust server returned a bad response.");
    assert!(!err.is_network());
    let err = remote.by_checksum(&role("snapshot"), "aa", 10).unwrap_err();
    assert!(matches!(err, RemoteError::BadResponse), "{err:?}");
}

#[test]
fn chunked_bodies_are_cut_at_the_limit() {
    let stub = Stub::start(|req| {
        if req.path == "/v2/" {
            return ok(b"");
        }
        // 4 MiB in 64 KiB chunks, no Content-Length.
        let mut out = b"HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let chunk = vec![b'x'; 64 << 10];
        for _ in 0..64 {
            out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            out.extend_from_slice(&chunk);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    });
    let remote = connect(&stub, Access::Pull);
    assert_eq!(
        remote.by_checksum(&role("targets"), "aa", 1000).unwrap(),
        vec![b'x'; 1000]
    );
    assert_eq!(remote.timestamp().unwrap().len(), 1 << 20);
}

// ---------------------------------------------------------------------------------------------
// Publish

#[test]
fn publish_sends_gos_multipart_body() {
    let stub = Stub::start(|_| ok(b"{}"));
    let remote = connect(&stub, Access::PushPull);
    let files = [
        (role("root"), b"{\"root\":1}".to_vec()),
        (role("targets/releases"), b"delegation\r\n--not-a-boundary".to_vec()),
        (role("snapshot"), Vec::new()),
    ];
    remote.publish(&files).unwrap();
    remote.publish(&files).unwrap();

    let requests = stub.requests();
    let post = &requests[1];
    assert_eq!((post.method.as_str(), post.path.as_str()), ("POST", BASE));
    assert_eq!(post.header("authorization"), None, "no challenge, no credentials");
    let boundary = post
        .header("content-type")
        .unwrap()
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap()
        .to_owned();
    assert_eq!(boundary.len(), 60);
    assert!(boundary.bytes().all(|b| b.is_ascii_hexdigit()));
    let expected = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"root\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n{{\"root\":1}}\
         \r\n--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"targets/releases\"\r\n\
         Content-Type: application/octet-stream\r\n\r\ndelegation\r\n--not-a-boundary\
         \r\n--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"snapshot\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n\
         \r\n--{b}--\r\n",
        b = boundary
    );
    assert_eq!(String::from_utf8(post.body.clone()).unwrap(), expected);
    assert_ne!(
        requests[2].header("content-type"),
        post.header("content-type"),
        "random boundary"
    );
}

// ---------------------------------------------------------------------------------------------
// Ping, offline

#[test]
fn ping_decides_online_or_offline() {
    // Nothing listening.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = RemoteConfig::new(format!("http://127.0.0.1:{port}"));
    let err = Remote::connect(&config, &gun(), Access::Pull, Anonymous).unwrap_err();
    assert!(matches!(err, RemoteError::Unreachable { .. }), "{err:?}");
    assert!(err.is_network());
    assert!(err.to_string().to_lowercase().contains("connect"), "{err}");

    // Not a notary server: Go logs `could not reach <url>: 404`.
    let stub = Stub::start(|_| reply(404, &[], b""));
    let err = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::Pull, Anonymous).unwrap_err();
    assert!(matches!(err, RemoteError::PingStatus { status: 404 }), "{err:?}");
    assert_eq!(err.to_string(), "404");
    assert!(err.is_network());

    // 2xx and 401 are online; a path prefix is kept.
    let stub = Stub::start(|req| match req.path.as_str() {
        "/prefix/v2/" => reply(204, &[], b""),
        _ => ok(b"root"),
    });
    let remote = Remote::connect(
        &RemoteConfig::new(format!("{}/prefix/", stub.url())),
        &gun(),
        Access::Pull,
        Anonymous,
    )
    .unwrap();
    assert_eq!(remote.root().unwrap(), b"root");
    assert_eq!(
        stub.paths(),
        ["GET /prefix/v2/".to_owned(), format!("GET /prefix{BASE}root.json")]
    );

    let stub = Stub::start(|_| reply(401, &[], b""));
    Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::Pull, Anonymous).unwrap();

    let err = Remote::connect(
        &RemoteConfig::new("notary-server:4443"),
        &gun(),
        Access::Pull,
        Anonymous,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Trust server url has to be in the form of http(s)://URL:PORT. Got: notary-server:4443"
    );
    assert!(!err.is_network());

    let mut config = RemoteConfig::new(stub.url());
    config.client_cert = Some(PemSource::Pem(b"x".to_vec()));
    let err = Remote::connect(&config, &gun(), Access::Pull, Anonymous).unwrap_err();
    assert_eq!(err.to_string(), "either pass both client key and cert, or neither");
}

// ---------------------------------------------------------------------------------------------
// Authentication

/// Counts how often it is asked.
#[derive(Clone)]
struct Counting(Arc<AtomicUsize>, Option<Credentials>);

impl CredentialSource for Counting {
    fn credentials(&mut self) -> Option<Credentials> {
        self.0.fetch_add(1, Ordering::SeqCst);
        self.1.clone()
    }
}

const ALICE_BASIC: &str = "Basic YWxpY2U6czNjcmV0"; // alice:s3cret, from client.md §5.6

/// A registry-style server: `/v2/` challenges with Bearer; `/token` issues `anon` without and
/// `cred` with Basic credentials; metadata needs `want` (a token name).
fn token_server(want: &'static str, token_json: fn(&str) -> String) -> Stub {
    let realm = Arc::new(Mutex::new(String::new()));
    let realm2 = realm.clone();
    let stub = Stub::start(move |req| {
        let challenge = format!(r#"Bearer realm="{}",service="notary-test""#, realm2.lock().unwrap());
        if req.path == "/v2/" {
            return reply(401, &[("WWW-Authenticate", &challenge)], b"");
        }
        if req.path.starts_with("/token?") {
            let name = if req.header("authorization") == Some(ALICE_BASIC) {
                "cred"
            } else {
                "anon"
            };
            return ok(token_json(name).as_bytes());
        }
        let granted = req.header("authorization").and_then(|a| a.strip_prefix("Bearer tok-"));
        if granted == Some(want) || (want == "anon" && granted == Some("cred")) {
            ok(b"meta")
        } else {
            reply(401, &[("WWW-Authenticate", &challenge)], b"")
        }
    });
    *realm.lock().unwrap() = format!("{}/token", stub.url());
    stub
}

fn token(name: &str) -> String {
    format!(r#"{{"token":"tok-{name}","expires_in":3600}}"#)
}

#[test]
fn bearer_tokens_are_fetched_once_and_sent_preemptively() {
    let stub = token_server("anon", token);
    let asked = Arc::new(AtomicUsize::new(0));
    let source = Counting(asked.clone(), Some(Credentials::new("alice", "s3cret")));
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::Pull, source).unwrap();
    assert_eq!(remote.root().unwrap(), b"meta");
    assert_eq!(remote.timestamp().unwrap(), b"meta");

    let requests = stub.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    let root = format!("{BASE}root.json");
    let timestamp = format!("{BASE}timestamp.json");
    assert_eq!(
        paths,
        [
            "/v2/",
            "/token?scope=repository%3Aexample.com%2Ftest%2Frepo%3Apull&service=notary-test",
            &root,
            &timestamp
        ]
    );
    assert_eq!(requests[1].header("authorization"), None, "anonymous token request");
    assert_eq!(requests[2].header("authorization"), Some("Bearer tok-anon"));
    assert_eq!(
        requests[3].header("authorization"),
        Some("Bearer tok-anon"),
        "token reused"
    );
    assert_eq!(asked.load(Ordering::SeqCst), 0, "credentials not needed, not asked");
}

#[test]
fn writes_use_credentials_directly() {
    let stub = token_server("cred", |name| format!(r#"{{"access_token":"tok-{name}"}}"#));
    let asked = Arc::new(AtomicUsize::new(0));
    let source = Counting(asked.clone(), Some(Credentials::new("alice", "s3cret")));
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::PushPull, source).unwrap();
    remote.publish(&[(role("targets"), b"t".to_vec())]).unwrap();
    remote.root().unwrap();

    let requests = stub.requests();
    assert_eq!(
        requests[1].path,
        "/token?account=alice&scope=repository%3Aexample.com%2Ftest%2Frepo%3Apush%2Cpull&service=notary-test"
    );
    assert_eq!(requests[1].header("authorization"), Some(ALICE_BASIC));
    assert_eq!(requests[2].method, "POST");
    assert_eq!(requests[2].header("authorization"), Some("Bearer tok-cred"));
    assert_eq!(requests[3].header("authorization"), Some("Bearer tok-cred"));
    assert_eq!(requests.len(), 4, "one token for both (expires_in missing ⇒ 60 s)");
    assert_eq!(asked.load(Ordering::SeqCst), 1);

    // `*` scope for admin operations; no usable credentials ⇒ no account, no Basic.
    let source = Counting(Arc::new(AtomicUsize::new(0)), Some(Credentials::new("alice", "")));
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::Admin, source).unwrap();
    let err = remote.delete().unwrap_err();
    assert!(matches!(err, RemoteError::Unauthorized), "{err:?}");
    let requests = stub.requests();
    let token_request = &requests[requests.len() - 2];
    assert_eq!(
        token_request.path,
        "/token?scope=repository%3Aexample.com%2Ftest%2Frepo%3A%2A&service=notary-test"
    );
    assert_eq!(token_request.header("authorization"), None);
}

#[test]
fn reads_retry_once_with_credentials_after_401() {
    let stub = token_server("cred", token);
    let asked = Arc::new(AtomicUsize::new(0));
    let source = Counting(asked.clone(), Some(Credentials::new("alice", "s3cret")));
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::Pull, source).unwrap();
    assert_eq!(remote.root().unwrap(), b"meta");
    assert_eq!(remote.root().unwrap(), b"meta");

    let requests = stub.requests();
    let seen: Vec<(&str, Option<&str>)> = requests[1..]
        .iter()
        .map(|r| (r.path.as_str(), r.header("authorization")))
        .collect();
    let root = format!("{BASE}root.json");
    assert_eq!(
        seen,
        [
            (
                "/token?scope=repository%3Aexample.com%2Ftest%2Frepo%3Apull&service=notary-test",
                None
            ),
            (root.as_str(), Some("Bearer tok-anon")),
            (
                "/token?account=alice&scope=repository%3Aexample.com%2Ftest%2Frepo%3Apull&service=notary-test",
                Some(ALICE_BASIC)
            ),
            (root.as_str(), Some("Bearer tok-cred")),
            (root.as_str(), Some("Bearer tok-anon")),
            (root.as_str(), Some("Bearer tok-cred")),
        ]
    );
    assert_eq!(asked.load(Ordering::SeqCst), 1);

    // Without credentials the second attempt is still made, and the 401 is reported.
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::Pull, Anonymous).unwrap();
    let err = remote.timestamp().unwrap_err();
    assert!(matches!(err, RemoteError::Unauthorized), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "you are not authorized to perform this operation: server returned 401. (authentication failed"
        )
    );
}

#[test]
fn token_server_failures_and_insufficient_scope() {
    let stub = Stub::start(|req| {
        let challenge = format!(r#"Bearer realm="http://{}/token""#, req.header("host").unwrap());
        match req.path.as_str() {
            "/v2/" => reply(401, &[("WWW-Authenticate", &challenge)], b""),
            p if p.starts_with("/token") && req.header("authorization").is_some() => ok(br#"{"token":"t"}"#),
            p if p.starts_with("/token") => reply(401, &[], b""),
            _ => reply(
                401,
                &[(
                    "WWW-Authenticate",
                    &format!(r#"{challenge},error="insufficient_scope",scope="repository:x:push""#),
                )],
                b"",
            ),
        }
    });
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::PushPull, Anonymous).unwrap();
    let err = remote.root().unwrap_err();
    assert!(matches!(err, RemoteError::TokenRejected { status: 401 }), "{err:?}");
    assert!(err.is_network());
    assert_eq!(stub.requests().len(), 2, "the metadata request is never sent");

    let creds = Credentials::new("alice", "s3cret");
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::PushPull, creds).unwrap();
    let err = remote.root().unwrap_err();
    assert!(matches!(err, RemoteError::Forbidden { status: 401 }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("you are not authorized to perform this operation: server returned 401. (not allowed")
    );
}

/// An issuer that grants anonymous clients a token (with whatever anonymous may do) and a server
/// that finds the scope insufficient: without credentials that is a missing login
/// ("authentication failed"), with credentials a refusal ("not allowed").
#[test]
fn insufficient_scope_without_credentials_is_an_authentication_failure() {
    let stub = Stub::start(|req| {
        let challenge = format!(
            r#"Bearer realm="http://{}/token",service="notary-test""#,
            req.header("host").unwrap()
        );
        match req.path.as_str() {
            "/v2/" => reply(401, &[("WWW-Authenticate", &challenge)], b""),
            p if p.starts_with("/token") => ok(br#"{"token":"t"}"#),
            _ => reply(
                401,
                &[(
                    "WWW-Authenticate",
                    &format!(r#"{challenge},error="insufficient_scope""#),
                )],
                b"",
            ),
        }
    });
    for access in [Access::Pull, Access::PushPull, Access::Admin] {
        let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), access, Anonymous).unwrap();
        let err = remote.root().unwrap_err();
        assert!(matches!(err, RemoteError::Unauthorized), "{access:?}: {err:?}");
        assert!(
            err.to_string().starts_with(
                "you are not authorized to perform this operation: server returned 401. (authentication failed"
            ),
            "{err}"
        );
        // Credentials that cannot be sent (empty password) are no login either.
        let unusable = Credentials::new("alice", "");
        let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), access, unusable).unwrap();
        let err = remote.root().unwrap_err();
        assert!(matches!(err, RemoteError::Unauthorized), "{access:?}: {err:?}");

        let creds = Credentials::new("alice", "s3cret");
        let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), access, creds).unwrap();
        let err = remote.root().unwrap_err();
        assert!(
            matches!(err, RemoteError::Forbidden { status: 401 }),
            "{access:?}: {err:?}"
        );
    }
}

#[test]
fn basic_challenge() {
    let stub = Stub::start(|req| match (req.path.as_str(), req.header("authorization")) {
        ("/v2/", _) => reply(401, &[("WWW-Authenticate", r#"Basic realm="notary""#)], b""),
        (_, Some(ALICE_BASIC)) => ok(b"meta"),
        _ => reply(401, &[], b""),
    });
    // Go's quirk: anonymous reads fail before sending.
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::Pull, Anonymous).unwrap();
    let err = remote.root().unwrap_err();
    assert!(matches!(err, RemoteError::NoBasicCredentials), "{err:?}");
    assert_eq!(err.to_string(), "no basic auth credentials");
    assert!(err.is_network());
    assert_eq!(stub.requests().len(), 1);

    let creds = Credentials::new("alice", "s3cret");
    let remote = Remote::connect(&RemoteConfig::new(stub.url()), &gun(), Access::PushPull, creds).unwrap();
    remote.delete().unwrap();
    assert_eq!(stub.requests()[2].header("authorization"), Some(ALICE_BASIC));
}

// ---------------------------------------------------------------------------------------------
// TLS

fn server_tls(pki: &TestPki, require_client_cert: bool) -> rustls::ServerConfig {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&pki.server_cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&pki.server_key).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_file(&pki.ca_cert).unwrap()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    builder.with_single_cert(certs, key).unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("notary-client-remote-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn tls_with_a_ca_bundle() {
    let dir = scratch("tls");
    let pki = TestPki::generate(&dir.join("good"));
    let other = TestPki::generate(&dir.join("other"));
    let stub = Stub::start_tls(server_tls(&pki, false), |_| ok(b"meta"));
    let url = format!("https://127.0.0.1:{}", stub.addr.rsplit(':').next().unwrap());

    let mut config = RemoteConfig::new(&url);
    config.ca_bundle = Some(PemSource::Path(pki.ca_cert.clone()));
    let remote = Remote::connect(&config, &gun(), Access::Pull, Anonymous).unwrap();
    assert_eq!(remote.root().unwrap(), b"meta");

    // The bundle replaces the system roots: another CA ⇒ TLS failure, before any request.
    let before = stub.requests().len();
    config.ca_bundle = Some(PemSource::Pem(std::fs::read(&other.ca_cert).unwrap()));
    let err = Remote::connect(&config, &gun(), Access::Pull, Anonymous).unwrap_err();
    assert!(matches!(err, RemoteError::Tls { .. }), "{err:?}");
    assert!(err.is_network());
    assert!(err.to_string().contains("certificate"), "{err}");
    // System roots do not know the test CA either.
    let err = Remote::connect(&RemoteConfig::new(&url), &gun(), Access::Pull, Anonymous).unwrap_err();
    assert!(matches!(err, RemoteError::Tls { .. }), "{err:?}");
    assert_eq!(stub.requests().len(), before);

    // skipTLSVerify accepts it.
    config.skip_tls_verify = true;
    let remote = Remote::connect(&config, &gun(), Access::Pull, Anonymous).unwrap();
    assert_eq!(remote.timestamp().unwrap(), b"meta");

    // A bundle with no certificate is a configuration error.
    config.ca_bundle = Some(PemSource::Pem(b"nothing here".to_vec()));
    let err = Remote::connect(&config, &gun(), Access::Pull, Anonymous).unwrap_err();
    assert!(matches!(err, RemoteError::CaBundle { .. }), "{err:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tls_client_certificate_is_presented() {
    let dir = scratch("mtls");
    let pki = TestPki::generate(&dir);
    let stub = Stub::start_tls(server_tls(&pki, true), |_| ok(b"meta"));
    let url = format!("https://127.0.0.1:{}", stub.addr.rsplit(':').next().unwrap());

    let mut config = RemoteConfig::new(&url);
    config.ca_bundle = Some(PemSource::Path(pki.ca_cert.clone()));
    config.client_cert = Some(PemSource::Path(pki.client_cert.clone()));
    config.client_key = Some(PemSource::Pem(std::fs::read(&pki.client_key).unwrap()));
    let remote = Remote::connect(&config, &gun(), Access::Pull, Anonymous).unwrap();
    assert_eq!(remote.root().unwrap(), b"meta");
    assert_eq!(
        stub.peer_certs.load(Ordering::SeqCst),
        2,
        "ping and root each presented the cert"
    );

    // Without it the server refuses the handshake.
    config.client_cert = None;
    config.client_key = None;
    let err = Remote::connect(&config, &gun(), Access::Pull, Anonymous).unwrap_err();
    assert!(matches!(err, RemoteError::Tls { .. }), "{err:?}");
    assert_eq!(stub.requests().len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Interop: the real Go notary-server

#[cfg(feature = "interop")]
mod interop {
    use super::*;

    #[test]
    fn fetches_from_the_go_server() {
        let server = notary_testkit::GoServer::acquire();
        let work = notary_testkit::WorkDir::new("remote-interop");
        let gun_text = work.gun_under("example.com/remote");
        server.notary(&work.path("trust"), &["init", &gun_text, "-p"]).ok();
        let gun: Gun = gun_text.parse().unwrap();

        let mut config = RemoteConfig::new(server.url());
        config.ca_bundle = Some(PemSource::Path(server.ca().to_path_buf()));
        let remote = Remote::connect(&config, &gun, Access::Pull, Anonymous).unwrap();
        let root = remote.root().unwrap();
        let cached = std::fs::read(
            work.path("trust")
                .join("tuf")
                .join(&gun_text)
                .join("metadata/root.json"),
        )
        .unwrap();
        assert_eq!(root, cached, "the server serves the bytes the Go client uploaded");
        assert_eq!(remote.root_version(1).unwrap(), root);
        let timestamp: serde_json::Value = serde_json::from_slice(&remote.timestamp().unwrap()).unwrap();
        assert_eq!(timestamp["signed"]["_type"], "Timestamp");
        remote.key(&role("timestamp")).unwrap();

        // Our multipart body reaches the server's validation, and its 400 envelope decodes.
        let writer = Remote::connect(&config, &gun, Access::PushPull, Anonymous).unwrap();
        let err = writer.publish(&[(role("targets"), b"{}".to_vec())]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The targets metadata is invalid: tuf: data has no signatures",
            "{err:?}"
        );
        let admin = Remote::connect(&config, &gun, Access::Admin, Anonymous).unwrap();
        admin.delete().unwrap();
        let err = remote.root().unwrap_err();
        assert!(
            matches!(&err, RemoteError::NotFound { resource } if resource == "root"),
            "{err:?}"
        );

        let missing: Gun = format!("{gun_text}-missing").parse().unwrap();
        let remote = Remote::connect(&config, &missing, Access::Pull, Anonymous).unwrap();
        let err = remote.root().unwrap_err();
        assert!(matches!(err, RemoteError::NotFound { .. }), "{err:?}");
        work.done();
    }
}
