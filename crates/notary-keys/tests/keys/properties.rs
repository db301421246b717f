//! Property tests: no input makes the parsers or decryption panic; mutated key files fail with
//! typed errors.

use base64::Engine as _;
use notary_keys::{KeyFile, KeyFileError, pkcs8};
use proptest::prelude::*;

use crate::vector;

const ROOT_KEY: &str = "root-ecdsa.29b9477770f2ac12eaedb7c4127ad2a6290188f1633fc1f97feb6120e560c5dc.key";

fn framed(tag: &str, der: &[u8]) -> String {
    notary_tuf::cert::pem_encode(tag, &[("role", "root")], der)
}

/// The DER inside the root key vector.
fn root_der() -> Vec<u8> {
    let text = String::from_utf8(vector(ROOT_KEY)).unwrap();
    let b64: String = text.lines().skip(3).take_while(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = KeyFile::parse(&bytes);
        let _ = KeyFile::parse_all(&bytes);
        let _ = pkcs8::decode(&bytes);
        let _ = pkcs8::decode_sec1(&bytes);
        let _ = pkcs8::decode_pkcs1(&bytes);
        let _ = pkcs8::decode_ed25519_raw(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(-----BEGIN [A-Z ]{0,24}-----\n)?([a-z]{1,5}: [ -~]{0,20}\n){0,3}\n?[A-Za-z0-9+/=\n]{0,200}(-----END [A-Z ]{0,24}-----\n)?") {
        if let Ok(file) = KeyFile::parse(text.as_bytes()) {
            let _ = file.decrypt("p");
            let _ = file.to_pem();
        }
    }

    #[test]
    fn arbitrary_content_in_every_block_type_never_panics(
        der in prop::collection::vec(any::<u8>(), 0..512),
        tag in prop::sample::select(vec!["ENCRYPTED PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ED25519 PRIVATE KEY"]),
    ) {
        let file = KeyFile::parse(framed(tag, &der).as_bytes()).unwrap();
        let _ = file.decrypt("rootpassphrase1");
        let _ = file.decrypt_to_pkcs8("rootpassphrase1");
        let _ = file.unencrypted_key();
        let written = file.to_pem();
        prop_assert_eq!(written.as_str(), framed(tag, &der));
    }

    #[test]
    fn mutated_encrypted_keys_fail_cleanly(index in any::<prop::sample::Index>(), value in any::<u8>()) {
        let mut der = root_der();
        let i = index.index(der.len());
        prop_assume!(der[i] != value);
        der[i] = value;
        let file = KeyFile::parse(framed("ENCRYPTED PRIVATE KEY", &der).as_bytes()).unwrap();
        match file.decrypt("rootpassphrase1") {
            // PBES2 with CBC has no integrity check (in Go neither): a change that garbles only
            // scalar, public point or padding bytes can still decrypt, to a valid key.
            Ok(_) => {}
            Err(
                KeyFileError::WrongPassphrase
                | KeyFileError::MalformedEncryption { .. }
                | KeyFileError::UnsupportedEncryption { .. }
                | KeyFileError::Key(_),
            ) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }
}
