//! The generated contract: exact gRPC method paths (signer.md §3, checklist item 36), message
//! encodings (signer.md §3.1), and client and server code working together in process, in clear
//! text and over mutual TLS (signer.md §2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use notary_proto::health::health_check_response::ServingStatus;
use notary_proto::health::health_client::HealthClient;
use notary_proto::health::health_server::{self, Health, HealthServer};
use notary_proto::health::{HealthCheckRequest, HealthCheckResponse};
use notary_proto::signer::key_management_client::KeyManagementClient;
use notary_proto::signer::key_management_server::{self, KeyManagement, KeyManagementServer};
use notary_proto::signer::signer_client::SignerClient;
use notary_proto::signer::signer_server::{self, Signer, SignerServer};
use notary_proto::signer::{
    Algorithm, CreateKeyRequest, GetKeyInfoResponse, KeyId, KeyInfo, PublicKey, Signature, SignatureRequest, Void,
};
use notary_testkit::WorkDir;
use notary_testkit::pki::TestPki;
use prost::Message;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::codegen::{Context, Poll, Service, http};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity, Server, ServerTlsConfig};
use tonic::{Code, Request, Response, Status};

const KEY_ID: &str = "8d5f3ebd4f7bc6f1b7e3a3a2a0d0b6a8e0f1a2b3c4d5e6f708192a3b4c5d6e7f";

fn key_info(algorithm: &str) -> KeyInfo {
    KeyInfo {
        key_id: Some(KeyId { id: KEY_ID.to_owned() }),
        algorithm: Some(Algorithm {
            algorithm: algorithm.to_owned(),
        }),
    }
}

/// Answers every RPC with a fixed value derived from the request.
struct Dummy;

#[tonic::async_trait]
impl KeyManagement for Dummy {
    async fn create_key(&self, request: Request<CreateKeyRequest>) -> Result<Response<PublicKey>, Status> {
        Ok(Response::new(PublicKey {
            key_info: Some(key_info(&request.into_inner().algorithm)),
            public_key: vec![4; 91],
        }))
    }

    async fn delete_key(&self, _: Request<KeyId>) -> Result<Response<Void>, Status> {
        Ok(Response::new(Void {}))
    }

    async fn get_key_info(&self, request: Request<KeyId>) -> Result<Response<GetKeyInfoResponse>, Status> {
        let id = request.into_inner().id;
        if id != KEY_ID {
            return Err(Status::not_found(format!("key {id} not found")));
        }
        Ok(Response::new(GetKeyInfoResponse {
            key_info: Some(key_info("ecdsa")),
            public_key: vec![4; 91],
            role: "timestamp".to_owned(),
        }))
    }
}

#[tonic::async_trait]
impl Signer for Dummy {
    async fn sign(&self, request: Request<SignatureRequest>) -> Result<Response<Signature>, Status> {
        let request = request.into_inner();
        Ok(Response::new(Signature {
            key_info: Some(key_info("ecdsa")),
            algorithm: Some(Algorithm {
                algorithm: "ecdsa".to_owned(),
            }),
            content: request.content.iter().rev().copied().collect(),
        }))
    }
}

/// Implements only `check` (the stubbed `watch` answers UNIMPLEMENTED).
#[tonic::async_trait]
impl Health for Dummy {
    async fn check(&self, request: Request<HealthCheckRequest>) -> Result<Response<HealthCheckResponse>, Status> {
        match request.into_inner().service.as_str() {
            "" | "grpc.health.v1.Health.KeyManagement" | "grpc.health.v1.Health.Signer" => {
                Ok(Response::new(HealthCheckResponse {
                    status: ServingStatus::Serving.into(),
                }))
            }
            _ => Err(Status::not_found("unknown service")),
        }
    }
}

/// Serves the three services on `127.0.0.1:0` (with `tls`, if given) and returns the port.
async fn serve(tls: Option<ServerTlsConfig>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = Server::builder();
    if let Some(tls) = tls {
        server = server.tls_config(tls).unwrap();
    }
    let router = server
        .add_service(KeyManagementServer::new(Dummy))
        .add_service(SignerServer::new(Dummy))
        .add_service(HealthServer::new(Dummy));
    tokio::spawn(router.serve_with_incoming(TcpIncoming::from(listener)));
    port
}

async fn plain_channel(port: u16) -> Channel {
    Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// A client transport that records the HTTP/2 path of every request it forwards.
#[derive(Clone)]
struct RecordPaths {
    inner: Channel,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Service<http::Request<tonic::body::Body>> for RecordPaths {
    type Response = <Channel as Service<http::Request<tonic::body::Body>>>::Response;
    type Error = <Channel as Service<http::Request<tonic::body::Body>>>::Error;
    type Future = <Channel as Service<http::Request<tonic::body::Body>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        self.paths.lock().unwrap().push(request.uri().path().to_owned());
        Service::call(&mut self.inner, request)
    }
}

const METHOD_PATHS: [&str; 5] = [
    "/proto.KeyManagement/CreateKey",
    "/proto.KeyManagement/DeleteKey",
    "/proto.KeyManagement/GetKeyInfo",
    "/proto.Signer/Sign",
    "/grpc.health.v1.Health/Check",
];

#[test]
fn service_names_are_the_go_ones() {
    use tonic::server::NamedService;

    assert_eq!(key_management_server::SERVICE_NAME, "proto.KeyManagement");
    assert_eq!(signer_server::SERVICE_NAME, "proto.Signer");
    assert_eq!(health_server::SERVICE_NAME, "grpc.health.v1.Health");
    assert_eq!(
        <KeyManagementServer<Dummy> as NamedService>::NAME,
        "proto.KeyManagement"
    );
    assert_eq!(<SignerServer<Dummy> as NamedService>::NAME, "proto.Signer");
    assert_eq!(<HealthServer<Dummy> as NamedService>::NAME, "grpc.health.v1.Health");
}

/// The generated clients send exactly the Go method paths, and the generated servers answer them.
#[tokio::test]
async fn generated_clients_call_the_exact_method_paths() {
    let port = serve(None).await;
    let paths = Arc::new(Mutex::new(Vec::new()));
    let transport = RecordPaths {
        inner: plain_channel(port).await,
        paths: Arc::clone(&paths),
    };
    let mut keys = KeyManagementClient::new(transport.clone());
    let mut signer = SignerClient::new(transport.clone());
    let mut health = HealthClient::new(transport);

    let created = keys
        .create_key(CreateKeyRequest {
            algorithm: "ed25519".to_owned(),
            gun: "example.com/g".to_owned(),
            role: "timestamp".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.key_info, Some(key_info("ed25519")));
    assert_eq!(created.public_key, vec![4; 91]);

    assert_eq!(
        keys.delete_key(KeyId {
            id: "deadbeef".to_owned()
        })
        .await
        .unwrap()
        .into_inner(),
        Void {}
    );

    let info = keys
        .get_key_info(KeyId { id: KEY_ID.to_owned() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.role, "timestamp");

    let signature = signer
        .sign(SignatureRequest {
            key_id: Some(KeyId { id: KEY_ID.to_owned() }),
            content: b"abc".to_vec(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(signature.content, b"cba");

    let check = health
        .check(HealthCheckRequest {
            service: "grpc.health.v1.Health.Signer".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(check.status(), ServingStatus::Serving);

    assert_eq!(*paths.lock().unwrap(), METHOD_PATHS);

    // Statuses come back intact (the server relies on NOT_FOUND meaning "key not held").
    let missing = keys
        .get_key_info(KeyId {
            id: "deadbeef".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (missing.code(), missing.message()),
        (Code::NotFound, "key deadbeef not found")
    );
    // Watch is generated (server streaming) but only stubbed.
    let watch = health.watch(HealthCheckRequest::default()).await.unwrap_err();
    assert_eq!(watch.code(), Code::Unimplemented);
}

/// Calls the path `path` with a hand-made (not generated) client.
async fn call_raw<Req, Resp>(channel: Channel, path: &'static str, request: Req) -> Result<Resp, Status>
where
    Req: Message + Send + Sync + 'static,
    Resp: Message + Default + Send + Sync + 'static,
{
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
    grpc.unary(Request::new(request), PathAndQuery::from_static(path), codec)
        .await
        .map(Response::into_inner)
}

/// The generated servers route the literal Go paths, and nothing else.
#[tokio::test]
async fn generated_servers_route_the_exact_method_paths() {
    let channel = plain_channel(serve(None).await).await;
    let create = CreateKeyRequest {
        algorithm: "ecdsa".to_owned(),
        ..Default::default()
    };
    let key_id = KeyId { id: KEY_ID.to_owned() };

    let created: PublicKey = call_raw(channel.clone(), METHOD_PATHS[0], create.clone())
        .await
        .unwrap();
    assert_eq!(created.key_info, Some(key_info("ecdsa")));
    let _: Void = call_raw(channel.clone(), METHOD_PATHS[1], key_id.clone())
        .await
        .unwrap();
    let info: GetKeyInfoResponse = call_raw(channel.clone(), METHOD_PATHS[2], key_id.clone())
        .await
        .unwrap();
    assert_eq!(info.role, "timestamp");
    let sign = SignatureRequest {
        key_id: Some(key_id),
        content: vec![1, 2],
    };
    let signature: Signature = call_raw(channel.clone(), METHOD_PATHS[3], sign).await.unwrap();
    assert_eq!(signature.content, [2, 1]);
    let check: HealthCheckResponse = call_raw(channel.clone(), METHOD_PATHS[4], HealthCheckRequest::default())
        .await
        .unwrap();
    assert_eq!(check.status(), ServingStatus::Serving);

    for wrong in [
        "/proto.KeyManagement/createKey",
        "/KeyManagement/CreateKey",
        "/proto.Signer/CreateKey",
    ] {
        let status = call_raw::<_, PublicKey>(channel.clone(), wrong, create.clone())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented, "{wrong}");
    }
}

/// The chosen tonic features (`tls-aws-lc`) give both sides mutual TLS.
#[tokio::test]
async fn mutual_tls_between_generated_client_and_server() {
    let work = WorkDir::new("notary-proto-mtls");
    let pki = TestPki::generate(&work.path("pki"));
    let read = |path: &std::path::Path| std::fs::read(path).unwrap();
    let ca = Certificate::from_pem(read(&pki.ca_cert));
    let server_tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(read(&pki.server_cert), read(&pki.server_key)))
        .client_ca_root(ca.clone());
    let port = serve(Some(server_tls)).await;
    let endpoint = Endpoint::from_shared(format!("https://127.0.0.1:{port}")).unwrap();
    let client_tls = ClientTlsConfig::new().ca_certificate(ca).domain_name("localhost");

    let with_cert = client_tls
        .clone()
        .identity(Identity::from_pem(read(&pki.client_cert), read(&pki.client_key)));
    let channel = endpoint.clone().tls_config(with_cert).unwrap().connect().await.unwrap();
    let check = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "grpc.health.v1.Health.KeyManagement".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(check.status(), ServingStatus::Serving);

    // Without a client certificate the handshake (or the first call) fails.
    let refused = match endpoint.tls_config(client_tls).unwrap().connect().await {
        Err(_) => true,
        Ok(channel) => HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate got through");
    work.done();
}

/// Encodes `message`, checks it decodes back to itself, and returns the bytes.
fn round_trip<M: Message + Default + PartialEq + Debug>(message: &M) -> Vec<u8> {
    let bytes = message.encode_to_vec();
    assert_eq!(&M::decode(bytes.as_slice()).unwrap(), message);
    bytes
}

#[test]
fn every_message_round_trips() {
    let key_id = KeyId { id: KEY_ID.to_owned() };
    let info = key_info("ed25519");
    round_trip(&CreateKeyRequest {
        algorithm: "ecdsa".to_owned(),
        gun: "example.com/collection".to_owned(),
        role: "snapshot".to_owned(),
    });
    round_trip(&info);
    round_trip(&key_id);
    round_trip(&Algorithm {
        algorithm: "eddsa".to_owned(),
    });
    round_trip(&GetKeyInfoResponse {
        key_info: Some(info.clone()),
        public_key: vec![7; 32],
        role: "timestamp".to_owned(),
    });
    round_trip(&PublicKey {
        key_info: Some(info.clone()),
        public_key: vec![7; 32],
    });
    round_trip(&Signature {
        key_info: Some(info),
        algorithm: Some(Algorithm {
            algorithm: "eddsa".to_owned(),
        }),
        content: vec![9; 64],
    });
    round_trip(&SignatureRequest {
        key_id: Some(key_id),
        content: b"{\"signed\":{}}".to_vec(),
    });
    assert!(round_trip(&Void {}).is_empty());
    round_trip(&HealthCheckRequest {
        service: "grpc.health.v1.Health.Signer".to_owned(),
    });
    for status in [
        ServingStatus::Unknown,
        ServingStatus::Serving,
        ServingStatus::NotServing,
        ServingStatus::ServiceUnknown,
    ] {
        round_trip(&HealthCheckResponse { status: status.into() });
    }
}

/// Field numbers and wire types, checked against hand-encoded bytes.
#[test]
fn known_encodings() {
    // field 1 "ecdsa", field 2 "g", field 3 "timestamp" (all length-delimited).
    let create = CreateKeyRequest {
        algorithm: "ecdsa".to_owned(),
        gun: "g".to_owned(),
        role: "timestamp".to_owned(),
    };
    assert_eq!(round_trip(&create), b"\x0a\x05ecdsa\x12\x01g\x1a\x09timestamp");

    // KeyID{ID=1}, KeyInfo{keyID=1, algorithm=2}, Signature{keyInfo=1, algorithm=2, content=3}.
    let signature = Signature {
        key_info: Some(KeyInfo {
            key_id: Some(KeyId { id: "ab".to_owned() }),
            algorithm: Some(Algorithm {
                algorithm: "ecdsa".to_owned(),
            }),
        }),
        algorithm: Some(Algorithm {
            algorithm: "ecdsa".to_owned(),
        }),
        content: vec![1, 2],
    };
    assert_eq!(
        round_trip(&signature),
        b"\x0a\x0f\x0a\x04\x0a\x02ab\x12\x07\x0a\x05ecdsa\x12\x07\x0a\x05ecdsa\x1a\x02\x01\x02"
    );

    // SignatureRequest{keyID=1, content=2}.
    let request = SignatureRequest {
        key_id: Some(KeyId { id: "ab".to_owned() }),
        content: b"hi".to_vec(),
    };
    assert_eq!(round_trip(&request), b"\x0a\x04\x0a\x02ab\x12\x02hi");

    // GetKeyInfoResponse{keyInfo=1, publicKey=2, role=3}; PublicKey{keyInfo=1, publicKey=2}.
    let info = KeyInfo {
        key_id: Some(KeyId { id: "ab".to_owned() }),
        algorithm: None,
    };
    let get = GetKeyInfoResponse {
        key_info: Some(info.clone()),
        public_key: vec![0xff],
        role: "r".to_owned(),
    };
    assert_eq!(round_trip(&get), b"\x0a\x06\x0a\x04\x0a\x02ab\x12\x01\xff\x1a\x01r");
    let public = PublicKey {
        key_info: Some(info),
        public_key: vec![0xff],
    };
    assert_eq!(round_trip(&public), b"\x0a\x06\x0a\x04\x0a\x02ab\x12\x01\xff");

    // Health: HealthCheckRequest{service=1}, HealthCheckResponse{status=1 (varint enum)}.
    let check = HealthCheckRequest {
        service: "x".to_owned(),
    };
    assert_eq!(round_trip(&check), b"\x0a\x01x");
    let serving = HealthCheckResponse {
        status: ServingStatus::Serving.into(),
    };
    assert_eq!(round_trip(&serving), b"\x08\x01");
    assert_eq!(
        HealthCheckResponse::decode(&b"\x08\x03"[..]).unwrap().status(),
        ServingStatus::ServiceUnknown
    );
    assert_eq!(ServingStatus::NotServing as i32, 2);

    // proto3 defaults are not sent; unknown fields are skipped.
    assert!(round_trip(&CreateKeyRequest::default()).is_empty());
    assert_eq!(KeyId::decode(&b"\x0a\x02ab\x10\x01"[..]).unwrap().id, "ab");
}
