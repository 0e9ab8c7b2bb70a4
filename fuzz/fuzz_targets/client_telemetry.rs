#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| rmq_client::fuzzing::telemetry(input));
