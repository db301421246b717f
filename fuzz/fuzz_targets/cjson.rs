#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| notary_tuf::fuzzing::cjson(data));
