#![no_main]
// Certificates inside `ecdsa-x509` / `rsa-x509` keys: PEM bundles and single DER certificates.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = notary_tuf::cert::CertChain::parse_pem(data).map(|c| c.leaf_and_intermediates().is_some());
    let _ = notary_tuf::cert::Certificate::from_der(data);
});
