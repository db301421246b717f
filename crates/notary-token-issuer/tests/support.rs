//! Shared fixtures: a throw-away PKI, test users, a configuration, the issuer as a child
//! process, and a JWT decoder that checks the signature.

use std::path::{Path, PathBuf};

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use notary_testkit::WorkDir;
use notary_testkit::http::HttpResponse;
use notary_testkit::server::ServerProcess;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};

/// Users made with libxcrypt's bcrypt (Python `crypt.crypt(password, salt)`), cost 4 to keep
/// the tests fast; `$2y$`, `$2a$` and `$2b$` as htpasswd files hold them.
pub(crate) const HTPASSWD: &str = "\
alice:$2y$04$aliceSaltAliceSaltAliOyAr7o2.DNQGYf0J9GuOaNxcIMzgSKQy
bob:$2y$04$bobSaltBobSaltBobSalt.fdJhMrG1VrGIjvrX354qZ.HgDXCqIOi
reader:$2a$04$readerSaltReaderSaltReXStw1VbmSwc.UamowGMO50nhQUiTw5K
";
/// An inline entry (config `users.entries`).
pub(crate) const CAROL: &str = "carol:$2b$04$carolSaltCarolSaltCare0XWXIk/R0dmz6nXPPxvhBbVHGTi51jO";

/// PEM texts of a root CA and a token signing certificate it issued.
pub(crate) struct Pki {
    pub(crate) root_cert: String,
    pub(crate) signing_cert: String,
    pub(crate) signing_key: String,
}

/// Which key signs tokens.
#[derive(Clone, Copy)]
pub(crate) enum Alg {
    Es256,
    Rs256,
}

impl Pki {
    pub(crate) fn generate(alg: Alg) -> Pki {
        let root_key = KeyPair::generate().unwrap();
        let mut root = CertificateParams::new(Vec::<String>::new()).unwrap();
        root.distinguished_name.push(DnType::CommonName, "test token root");
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let root_cert = root.self_signed(&root_key).unwrap().pem();
        let ca = Issuer::new(root, root_key);
        let signing_key = match alg {
            Alg::Es256 => KeyPair::generate().unwrap(),
            Alg::Rs256 => {
                let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
                let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(&rsa).unwrap();
                let der = rustls_pki_types::PrivatePkcs8KeyDer::from(der.as_ref().to_vec());
                KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256).unwrap()
            }
        };
        let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
        leaf.distinguished_name.push(DnType::CommonName, "test token signing");
        let signing_cert = leaf.signed_by(&signing_key, &ca).unwrap().pem();
        Pki {
            root_cert,
            signing_cert,
            signing_key: signing_key.serialize_pem(),
        }
    }
}

/// The grants most tests use.
pub(crate) fn grants() -> Value {
    json!([
        {"users": ["alice"], "prefix": "team/", "actions": ["*"]},
        {"users": ["bob"], "prefix": "team/app", "actions": ["pull", "push"]},
        {"users": ["*"], "prefix": "team/", "actions": ["pull"]},
        {"anonymous": true, "prefix": "public/", "actions": ["pull"]},
        {"users": ["carol"], "type": "registry", "prefix": "catalog", "actions": ["*"]}
    ])
}

/// Writes the PKI, users and a configuration (plain HTTP) into `work`; returns the config path.
pub(crate) fn write_config(work: &WorkDir, pki: &Pki, services: &[&str]) -> PathBuf {
    work.write("root.crt", pki.root_cert.as_bytes());
    work.write("signing.crt", pki.signing_cert.as_bytes());
    work.write("signing.key", pki.signing_key.as_bytes());
    work.write("users.htpasswd", HTPASSWD.as_bytes());
    let config = json!({
        "logging": {"level": "info"},
        "token": {
            "issuer": "test-issuer",
            "services": services,
            "expiration": 120,
            "key_file": "signing.key",
            "cert_file": "signing.crt"
        },
        "users": {"htpasswd_file": "users.htpasswd", "entries": [CAROL]},
        "grants": grants()
    });
    work.write("config.json", config.to_string().as_bytes())
}

/// The issuer binary running on `127.0.0.1:0`.
pub(crate) struct RunningIssuer {
    pub(crate) process: ServerProcess,
    /// `host:port`.
    pub(crate) addr: String,
}

impl RunningIssuer {
    pub(crate) fn start(config: &Path) -> RunningIssuer {
        let process = ServerProcess::start(Path::new(env!("CARGO_BIN_EXE_notary-token-issuer")), config);
        let addr = process
            .url()
            .trim_start_matches("http://")
            .trim_end_matches("/token")
            .to_owned();
        RunningIssuer { process, addr }
    }

    /// `GET /token?<query>`, with Basic credentials when given.
    pub(crate) fn get(&self, query: &str, credentials: Option<(&str, &str)>) -> HttpResponse {
        let authorization = credentials.map(|(u, p)| format!("Basic {}", STANDARD.encode(format!("{u}:{p}"))));
        let mut headers = vec![("Host", self.addr.as_str())];
        if let Some(a) = &authorization {
            headers.push(("Authorization", a.as_str()));
        }
        notary_testkit::http::request(&self.addr, "GET", &format!("/token?{query}"), &headers, b"")
    }

    /// `POST /token` with a form body.
    pub(crate) fn post(&self, form: &str) -> HttpResponse {
        let length = form.len().to_string();
        notary_testkit::http::request(
            &self.addr,
            "POST",
            "/token",
            &[
                ("Host", self.addr.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Content-Length", length.as_str()),
            ],
            form.as_bytes(),
        )
    }
}

/// Splits a JWT, checks its signature with the `x5c` leaf's key, returns (header, claims).
pub(crate) fn decode_verified(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let leaf = STANDARD.decode(header["x5c"][0].as_str().unwrap()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    let key = cert.public_key().subject_public_key.data.to_vec();
    let algorithm: &dyn signature::VerificationAlgorithm = match header["alg"].as_str().unwrap() {
        "ES256" => &signature::ECDSA_P256_SHA256_FIXED,
        "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
        other => panic!("unexpected alg {other}"),
    };
    UnparsedPublicKey::new(algorithm, key)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("token signature verifies with the x5c leaf key");
    (header, claims)
}
