//! TLS for the public listener (`shared/spec/server-api.md` §1, `server-behaviour.md` §10): the
//! rustls configuration built from `server.tls_cert_file`, `server.tls_key_file` and the optional
//! `server.client_ca_file`, plus the first-bytes check that lets the TLS port answer a plain-HTTP
//! request the way Go does.
//!
//! What it pins, per §10: TLS 1.2 and 1.3 only (older handshakes are refused with a
//! `protocol_version` alert), HTTP/1.1 only (ALPN `http/1.1`, never `h2`), and with a client CA
//! bundle every client must present a certificate that chains to exactly that bundle. Keys are
//! read from disk once, and no error message ever carries key material.
//!
//! Two deliberate differences from Go, invisible to the Go client: rustls offers no AES-CBC
//! cipher suites (Go's list had `ECDHE-…-AES128-SHA`), and a client that offers ALPN without
//! `http/1.1` is refused, where Go ignored ALPN.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::{VerifierBuilderError, WebPkiClientVerifier};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{InconsistentKeys, RootCertStore, ServerConfig};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

/// What Go's `net/http` writes, then closes, when a plain-HTTP request reaches its TLS port.
pub const PLAIN_HTTP_TO_TLS_RESPONSE: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// Why the TLS configuration could not be built. Each message names the file at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A configured file does not exist.
    #[error("TLS file {} does not exist", path.display())]
    FileMissing {
        /// The missing file.
        path: PathBuf,
    },
    /// A configured file exists but could not be read.
    #[error("cannot read TLS file {}: {source}", path.display())]
    Read {
        /// The unreadable file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A file is not well-formed PEM.
    #[error("{} is not valid PEM: {problem}", path.display())]
    Pem {
        /// The malformed file.
        path: PathBuf,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A certificate file (or client CA bundle) holds no `CERTIFICATE` section.
    #[error("no PEM certificate (-----BEGIN CERTIFICATE-----) found in {}", path.display())]
    NoCertificate {
        /// The file without certificates.
        path: PathBuf,
    },
    /// The certificate file holds a private key but no certificate: most likely the certificate
    /// and key files were swapped.
    #[error("{} holds a private key but no certificate (are the certificate and key files swapped?)", path.display())]
    KeyInCertificateFile {
        /// The certificate file.
        path: PathBuf,
    },
    /// The key file holds no PKCS#8, PKCS#1 RSA or SEC1 EC private key.
    #[error(
        "no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) found in {}",
        path.display()
    )]
    NoPrivateKey {
        /// The file without a key.
        path: PathBuf,
    },
    /// The key file holds only an encrypted private key.
    #[error("the private key in {} is encrypted; notary-server needs an unencrypted key", path.display())]
    EncryptedPrivateKey {
        /// The key file.
        path: PathBuf,
    },
    /// The private key parsed as PEM but is not a usable RSA, ECDSA or Ed25519 key.
    #[error("the private key in {} is not a valid RSA, ECDSA or Ed25519 key", path.display())]
    UnsupportedPrivateKey {
        /// The key file.
        path: PathBuf,
    },
    /// The server's end-entity certificate could not be parsed.
    #[error("the certificate in {} is invalid: {source}", path.display())]
    InvalidCertificate {
        /// The certificate file.
        path: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// The private key is not the one of the first certificate in the chain.
    #[error("the private key in {} does not match the certificate in {}", key.display(), cert.display())]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A certificate of the client CA bundle cannot serve as a trust anchor.
    #[error("a certificate in the client CA bundle {} is invalid: {source}", path.display())]
    InvalidClientCa {
        /// The client CA bundle.
        path: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// The client-certificate verifier could not be built from the client CA bundle.
    #[error("cannot verify client certificates against {}: {source}", path.display())]
    ClientVerifier {
        /// The client CA bundle.
        path: PathBuf,
        /// rustls's reason.
        source: VerifierBuilderError,
    },
    /// rustls refused the protocol configuration (a bug, not a configuration problem).
    #[error("cannot build the TLS configuration: {0}")]
    Config(#[source] rustls::Error),
}

/// Builds the listener's TLS configuration (`server-behaviour.md` §10).
///
/// `cert` is a PEM certificate chain, end-entity first; `key` a PEM private key (PKCS#8,
/// PKCS#1 RSA or SEC1 EC; other sections are skipped, so one file may hold both). With
/// `client_ca`, every client must present a certificate chaining to a certificate of that PEM
/// bundle (and only that bundle: the system roots play no part).
pub fn server_config(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = certificate_chain(cert)?;
    let certified = certified_key(&provider, chain, cert, key)?;

    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsError::Config)?;
    let builder = match client_ca {
        Some(path) => builder.with_client_cert_verifier(client_verifier(&provider, path)?),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Whether `first_bytes`, the first bytes a client sent, can start a TLS handshake record
/// (content type 22, protocol major version 3).
///
/// Only a definite mismatch gives `false`: fewer than two bytes are judged on what is there, so
/// callers should peek at least two bytes (or up to end of stream) before deciding. On `false`,
/// Go answers [`PLAIN_HTTP_TO_TLS_RESPONSE`] only when [`looks_like_plain_http`] also holds, and
/// otherwise just closes the connection.
pub fn is_tls_client_hello(first_bytes: &[u8]) -> bool {
    const HANDSHAKE_RECORD: [u8; 2] = [0x16, 0x03];
    let seen = first_bytes.len().min(HANDSHAKE_RECORD.len());
    first_bytes[..seen] == HANDSHAKE_RECORD[..seen]
}

/// Go's `net/http` test (`tlsRecordHeaderLooksLikeHTTP`) for answering a non-TLS first record
/// with [`PLAIN_HTTP_TO_TLS_RESPONSE`]: the first five bytes are exactly `GET /`, `HEAD `,
/// `POST `, `PUT /` or `OPTIO`.
pub fn looks_like_plain_http(first_bytes: &[u8]) -> bool {
    matches!(
        first_bytes.get(..5),
        Some(b"GET /" | b"HEAD " | b"POST " | b"PUT /" | b"OPTIO")
    )
}

/// Reads every certificate of the PEM file at `path`, in file order.
fn certificate_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let contents = read(path)?;
    let chain = CertificateDer::pem_slice_iter(&contents)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| pem_error(path, &err))?;
    if !chain.is_empty() {
        return Ok(chain);
    }
    if contains(&contents, b"PRIVATE KEY-----") {
        return Err(TlsError::KeyInCertificateFile { path: path.to_owned() });
    }
    Err(TlsError::NoCertificate { path: path.to_owned() })
}

/// Loads the private key at `key_path` and checks it belongs to the first certificate of `chain`.
fn certified_key(
    provider: &CryptoProvider,
    chain: Vec<CertificateDer<'static>>,
    cert_path: &Path,
    key_path: &Path,
) -> Result<CertifiedKey, TlsError> {
    let contents = read(key_path)?;
    let key = match PrivateKeyDer::from_pem_slice(&contents) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) if contains(&contents, b"ENCRYPTED") => {
            return Err(TlsError::EncryptedPrivateKey {
                path: key_path.to_owned(),
            });
        }
        Err(pem::Error::NoItemsFound) => {
            return Err(TlsError::NoPrivateKey {
                path: key_path.to_owned(),
            });
        }
        Err(err) => return Err(pem_error(key_path, &err)),
    };
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|_| TlsError::UnsupportedPrivateKey {
            path: key_path.to_owned(),
        })?;

    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // A key that cannot report its public half is accepted, as `with_single_cert` does.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => Err(TlsError::KeyMismatch {
            cert: cert_path.to_owned(),
            key: key_path.to_owned(),
        }),
        Err(source) => Err(TlsError::InvalidCertificate {
            path: cert_path.to_owned(),
            source,
        }),
    }
}

/// A verifier that requires a client certificate chaining to one in the bundle at `path`.
fn client_verifier(
    provider: &Arc<CryptoProvider>,
    path: &Path,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in certificate_chain(path)? {
        roots.add(certificate).map_err(|source| TlsError::InvalidClientCa {
            path: path.to_owned(),
            source,
        })?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|source| TlsError::ClientVerifier {
            path: path.to_owned(),
            source,
        })
}

/// Reads a whole file; the buffer is wiped on drop since it may hold a private key.
fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, TlsError> {
    match std::fs::read(path) {
        Ok(contents) => Ok(Zeroizing::new(contents)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Err(TlsError::FileMissing { path: path.to_owned() }),
        Err(source) => Err(TlsError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Names a PEM syntax problem without quoting the file (which may hold a key).
fn pem_error(path: &Path, err: &pem::Error) -> TlsError {
    let problem = match err {
        pem::Error::MissingSectionEnd { .. } => "a section has no -----END line",
        pem::Error::IllegalSectionStart { .. } => "a -----BEGIN line is malformed",
        pem::Error::Base64Decode(_) => "a section is not valid base64",
        pem::Error::SectionTooLarge => "a section is too large",
        _ => "it cannot be parsed",
    };
    TlsError::Pem {
        path: path.to_owned(),
        problem,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_lc_rs::encoding::{AsDer as _, EcPrivateKeyRfc5915Der};
    use base64::Engine as _;
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    use rustls::pki_types::ServerName;
    use rustls::{ClientConfig, SupportedProtocolVersion};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::{TlsAcceptor, TlsConnector};

    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let unique = format!(
                "notary-server-tls-{name}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            let path = std::env::temp_dir().join(unique);
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, contents).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A test PKI: a CA, a server certificate for 127.0.0.1 and a client certificate, all
    /// ECDSA P-256, as PEM.
    struct Pki {
        ca: String,
        server_cert: String,
        server_key: KeyPair,
        client_cert: String,
        client_key: KeyPair,
    }

    impl Pki {
        fn new() -> Self {
            let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            ca_params
                .distinguished_name
                .push(DnType::CommonName, "notary-rs test CA");
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

            let server_key = KeyPair::generate().unwrap();
            let server_cert = Self::leaf(&ca, &server_key, ExtendedKeyUsagePurpose::ServerAuth);
            let client_key = KeyPair::generate().unwrap();
            let client_cert = Self::leaf(&ca, &client_key, ExtendedKeyUsagePurpose::ClientAuth);
            Self {
                ca: ca.pem(),
                server_cert,
                server_key,
                client_cert,
                client_key,
            }
        }

        fn leaf(ca: &CertifiedIssuer<'_, KeyPair>, key: &KeyPair, usage: ExtendedKeyUsagePurpose) -> String {
            let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
            params
                .distinguished_name
                .push(DnType::CommonName, "notary-rs test leaf");
            params.extended_key_usages = vec![usage];
            params.signed_by(key, &**ca).unwrap().pem()
        }

        /// Writes `ca.pem`, `server.pem` and `server-key.pem` into `dir`.
        fn write(&self, dir: &TempDir) -> (PathBuf, PathBuf, PathBuf) {
            (
                dir.write("ca.pem", &self.ca),
                dir.write("server.pem", &self.server_cert),
                dir.write("server-key.pem", self.server_key.serialize_pem()),
            )
        }
    }

    fn pem_encode(label: &str, der: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
    }

    /// The `privateKey` OCTET STRING of a PKCS#8 `PrivateKeyInfo`: the PKCS#1 key of an RSA key.
    fn pkcs8_inner_key(pkcs8: &[u8]) -> Vec<u8> {
        // Returns (tag, contents, rest) of one DER element.
        fn element(der: &[u8]) -> (u8, &[u8], &[u8]) {
            let (tag, first_len) = (der[0], der[1]);
            let (len, header) = if first_len < 0x80 {
                (usize::from(first_len), 2)
            } else {
                let n = usize::from(first_len & 0x7f);
                (der[2..2 + n].iter().fold(0, |acc, &b| acc << 8 | usize::from(b)), 2 + n)
            };
            (tag, &der[header..header + len], &der[header + len..])
        }
        let (0x30, info, _) = element(pkcs8) else {
            panic!("not a SEQUENCE")
        };
        let (0x02, _version, rest) = element(info) else {
            panic!("no version")
        };
        let (0x30, _algorithm, rest) = element(rest) else {
            panic!("no algorithm")
        };
        let (0x04, key, _) = element(rest) else {
            panic!("no privateKey")
        };
        key.to_vec()
    }

    fn client_config(pki: &Pki, version: &'static SupportedProtocolVersion, client_cert: bool) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(pki.ca.as_bytes()).unwrap())
            .unwrap();
        let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots);
        let mut config = if client_cert {
            let chain = vec![CertificateDer::from_pem_slice(pki.client_cert.as_bytes()).unwrap()];
            let key = PrivateKeyDer::from_pem_slice(pki.client_key.serialize_pem().as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        } else {
            builder.with_no_client_auth()
        };
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// What a client observed of one connection.
    #[derive(Debug)]
    struct Outcome {
        version: rustls::ProtocolVersion,
        alpn: Option<Vec<u8>>,
        reply: Vec<u8>,
    }

    /// Serves one TLS connection that writes `hello` on a loopback port and connects to it with
    /// `client`. Returns the server's handshake result and what the client saw.
    async fn handshake(
        server: Arc<ServerConfig>,
        client: Arc<ClientConfig>,
    ) -> (Result<(), io::Error>, io::Result<Outcome>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server_task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = TlsAcceptor::from(server).accept(tcp).await?;
            tls.write_all(b"hello").await?;
            tls.shutdown().await?;
            Ok::<(), io::Error>(())
        });
        let client_result = async {
            let tcp = TcpStream::connect(addr).await?;
            let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
            let mut tls = TlsConnector::from(client).connect(name, tcp).await?;
            let mut reply = Vec::new();
            tls.read_to_end(&mut reply).await?;
            let (_, connection) = tls.get_ref();
            Ok(Outcome {
                version: connection.protocol_version().unwrap(),
                alpn: connection.alpn_protocol().map(<[u8]>::to_vec),
                reply,
            })
        }
        .await;
        (server_task.await.unwrap(), client_result)
    }

    #[test]
    fn loads_certificate_and_key() {
        let dir = TempDir::new("load");
        let pki = Pki::new();
        let (ca, cert, key) = pki.write(&dir);
        let config = server_config(&cert, &key, None).unwrap();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
        server_config(&cert, &key, Some(&ca)).unwrap();

        // Certificate and key in one file work for both arguments.
        let both = dir.write(
            "both.pem",
            format!("{}{}", pki.server_cert, pki.server_key.serialize_pem()),
        );
        server_config(&both, &both, None).unwrap();
    }

    #[test]
    fn loads_pkcs1_rsa_and_sec1_ec_keys() {
        let dir = TempDir::new("formats");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

        let rsa = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
        let ec = KeyPair::generate().unwrap();
        let ec_aws = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            ec.serialized_der(),
        )
        .unwrap();
        let sec1: EcPrivateKeyRfc5915Der<'_> = ec_aws.private_key().as_der().unwrap();

        for (name, key, key_pem) in [
            (
                "pkcs1-rsa",
                &rsa,
                pem_encode("RSA PRIVATE KEY", &pkcs8_inner_key(rsa.serialized_der())),
            ),
            ("sec1-ec", &ec, pem_encode("EC PRIVATE KEY", sec1.as_ref())),
        ] {
            let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
            let cert = dir.write(&format!("{name}.pem"), params.signed_by(key, &*ca).unwrap().pem());
            let key = dir.write(&format!("{name}-key.pem"), key_pem);
            server_config(&cert, &key, None).unwrap_or_else(|err| panic!("{name}: {err}"));
        }
    }

    #[test]
    fn file_problems_are_named() {
        let dir = TempDir::new("errors");
        let pki = Pki::new();
        let (ca, cert, key) = pki.write(&dir);
        let empty = dir.write("empty.pem", "");
        let other_key = dir.write("other-key.pem", KeyPair::generate().unwrap().serialize_pem());
        let truncated = dir.write("truncated.pem", &pki.server_cert[..pki.server_cert.len() - 30]);
        let encrypted = dir.write(
            "encrypted.pem",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
        );
        let missing = dir.0.join("missing.pem");

        let cases: [(&str, &Path, &Path, Option<&Path>, &str); 10] = [
            (
                "missing cert",
                &missing,
                &key,
                None,
                "TLS file {missing} does not exist",
            ),
            (
                "missing key",
                &cert,
                &missing,
                None,
                "TLS file {missing} does not exist",
            ),
            (
                "missing client CA",
                &cert,
                &key,
                Some(&missing),
                "TLS file {missing} does not exist",
            ),
            (
                "empty cert",
                &empty,
                &key,
                None,
                "no PEM certificate (-----BEGIN CERTIFICATE-----) found in {empty}",
            ),
            (
                "empty key",
                &cert,
                &empty,
                None,
                "no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) found in {empty}",
            ),
            (
                "key only, as cert",
                &key,
                &key,
                None,
                "{key} holds a private key but no certificate (are the certificate and key files swapped?)",
            ),
            (
                "key does not match",
                &cert,
                &other_key,
                None,
                "the private key in {other_key} does not match the certificate in {cert}",
            ),
            (
                "truncated cert",
                &truncated,
                &key,
                None,
                "{truncated} is not valid PEM: a section has no -----END line",
            ),
            (
                "encrypted key",
                &cert,
                &encrypted,
                None,
                "the private key in {encrypted} is encrypted; notary-server needs an unencrypted key",
            ),
            (
                "empty client CA",
                &cert,
                &key,
                Some(&empty),
                "no PEM certificate (-----BEGIN CERTIFICATE-----) found in {empty}",
            ),
        ];
        let secret = pki.server_key.serialize_pem();
        let secret_body: Vec<&str> = secret.lines().filter(|l| !l.starts_with("-----")).collect();
        for (name, cert, key_path, client_ca, expected) in cases {
            let err = server_config(cert, key_path, client_ca)
                .err()
                .unwrap_or_else(|| panic!("{name}: accepted"));
            let expected = expected
                .replace("{missing}", &missing.display().to_string())
                .replace("{empty}", &empty.display().to_string())
                .replace("{key}", &key.display().to_string())
                .replace("{other_key}", &other_key.display().to_string())
                .replace("{cert}", &cert.display().to_string())
                .replace("{truncated}", &truncated.display().to_string())
                .replace("{encrypted}", &encrypted.display().to_string());
            let message = err.to_string();
            assert_eq!(message, expected, "{name}");
            assert!(
                secret_body.iter().all(|line| !message.contains(line)),
                "{name}: message leaks the key"
            );
        }
        server_config(&cert, &key, Some(&ca)).unwrap();
    }

    #[test]
    fn first_bytes() {
        assert_eq!(
            PLAIN_HTTP_TO_TLS_RESPONSE,
            b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
        );
        // A real ClientHello, as rustls sends it.
        let pki = Pki::new();
        let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
        let mut client =
            rustls::ClientConnection::new(client_config(&pki, &rustls::version::TLS13, false), name).unwrap();
        let mut hello = Vec::new();
        client.write_tls(&mut hello).unwrap();
        assert!(is_tls_client_hello(&hello));
        assert!(!looks_like_plain_http(&hello));

        for request in [
            &b"GET / HTTP/1.1\r\n"[..],
            b"POST /v2/",
            b"HEAD /",
            b"PUT /x",
            b"OPTIONS * HTTP/1.1",
        ] {
            assert!(!is_tls_client_hello(request), "{request:?}");
            assert!(looks_like_plain_http(request), "{request:?}");
        }
        assert!(is_tls_client_hello(&[0x16]), "too short to rule out TLS");
        assert!(is_tls_client_hello(&[]));
        assert!(!is_tls_client_hello(&[0x16, 0x02]));
        assert!(!looks_like_plain_http(b"GET"), "Go needs five bytes");
        assert!(!looks_like_plain_http(b"DELETE /v2/"), "not in Go's list");
    }

    #[tokio::test]
    async fn handshakes_with_tls12_and_tls13_over_http11() {
        let dir = TempDir::new("handshake");
        let pki = Pki::new();
        let (_, cert, key) = pki.write(&dir);
        let server = server_config(&cert, &key, None).unwrap();
        for (version, expected) in [
            (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
            (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
        ] {
            let (served, outcome) = handshake(Arc::clone(&server), client_config(&pki, version, false)).await;
            served.unwrap();
            let outcome = outcome.unwrap();
            assert_eq!(outcome.version, expected);
            assert_eq!(
                outcome.alpn.as_deref(),
                Some(&b"http/1.1"[..]),
                "h2 is never negotiated"
            );
            assert_eq!(outcome.reply, b"hello");
        }
    }

    #[tokio::test]
    async fn client_ca_requires_a_signed_client_certificate() {
        let dir = TempDir::new("mtls");
        let pki = Pki::new();
        let (ca, cert, key) = pki.write(&dir);
        let server = server_config(&cert, &key, Some(&ca)).unwrap();
        for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
            let (served, outcome) = handshake(Arc::clone(&server), client_config(&pki, version, true)).await;
            served.unwrap();
            assert_eq!(outcome.unwrap().reply, b"hello");

            let (served, outcome) = handshake(Arc::clone(&server), client_config(&pki, version, false)).await;
            let err = served.unwrap_err();
            assert!(err.to_string().contains("peer sent no certificates"), "{err}");
            assert!(
                outcome.is_err(),
                "{version:?}: client without certificate got {outcome:?}"
            );
        }

        // A certificate from another CA is refused too.
        let stranger = Pki::new();
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(pki.ca.as_bytes()).unwrap())
            .unwrap();
        let foreign = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(stranger.client_cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(stranger.client_key.serialize_pem().as_bytes()).unwrap(),
            )
            .unwrap();
        let (served, outcome) = handshake(server, Arc::new(foreign)).await;
        let err = served.unwrap_err().to_string();
        assert!(err.contains("invalid peer certificate"), "{err}");
        assert!(outcome.is_err());
    }
}
