#![no_main]
// Change files from a trust dir's changelist: whatever parses writes back and parses the same.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(change) = notary_client::changelist::Change::parse(data) {
        let again = notary_client::changelist::Change::parse(&change.to_bytes());
        assert!(again.is_ok_and(|c| c.to_bytes() == change.to_bytes()));
    }
});
