#![no_main]
// Key files from `notary key import` and trust dirs: parse, and read unencrypted keys. Decryption
// is left out: its cost is the file's own PBKDF2 iteration count, bounded by the parser.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(files) = notary_keys::KeyFile::parse_all(data) {
        for file in files.into_iter().flatten() {
            let _ = file.unencrypted_key();
            let _ = file.to_pem();
        }
    }
});
