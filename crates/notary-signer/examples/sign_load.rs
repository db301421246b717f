//! Load generator for a notary-signer (ours or Go's): creates one key, then keeps `CONCURRENCY`
//! Sign calls in flight for `SECONDS` over one mutually authenticated HTTP/2 connection and
//! prints `<algorithm> <signs per second>`.
//!
//! usage: sign_load ADDR CA_CERT CLIENT_CERT CLIENT_KEY ALGORITHM [SECONDS] [CONCURRENCY]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use notary_proto::signer::key_management_client::KeyManagementClient;
use notary_proto::signer::signer_client::SignerClient;
use notary_proto::signer::{CreateKeyRequest, KeyId, SignatureRequest};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, ca, cert, key, algorithm, rest @ ..] = args.as_slice() else {
        return Err("usage: sign_load ADDR CA_CERT CLIENT_CERT CLIENT_KEY ALGORITHM [SECONDS] [CONCURRENCY]".into());
    };
    let seconds: u64 = rest.first().map_or(Ok(5), |s| s.parse())?;
    let concurrency: usize = rest.get(1).map_or(Ok(32), |s| s.parse())?;
    let tls = ClientTlsConfig::new()
        .domain_name("localhost")
        .ca_certificate(Certificate::from_pem(std::fs::read(ca)?))
        .identity(Identity::from_pem(std::fs::read(cert)?, std::fs::read(key)?));
    let channel = Endpoint::from_shared(format!("https://{addr}"))?
        .tls_config(tls)?
        .connect()
        .await?;
    let created = KeyManagementClient::new(channel.clone())
        .create_key(CreateKeyRequest {
            algorithm: algorithm.clone(),
            gun: format!("bench/{}", std::process::id()),
            role: "timestamp".into(),
        })
        .await?
        .into_inner();
    let key_id = created.key_info.and_then(|i| i.key_id).ok_or("no key id")?;
    // A timestamp body's size: what notary-server sends most often.
    let content = vec![b'x'; 400];
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (mut client, key_id, content, done) = (
            SignerClient::new(channel.clone()),
            key_id.clone(),
            content.clone(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let request = SignatureRequest {
                    key_id: Some(KeyId { id: key_id.id.clone() }),
                    content: content.clone(),
                };
                if client.sign(request).await.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let started = Instant::now();
    for task in tasks {
        task.await?;
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!("{algorithm} {rate:.0}");
    Ok(())
}
