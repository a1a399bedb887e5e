//! Fuzz target: `nrm_web::fuzzing::submission_body` (see that function for what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nrm_web::fuzzing::submission_body(data));
