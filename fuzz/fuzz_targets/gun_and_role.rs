#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| notary_tuf::fuzzing::gun_and_role(data));
