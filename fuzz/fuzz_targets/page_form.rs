//! Fuzz target: `nrm_web::fuzzing::page_form` (see that function for what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nrm_web::fuzzing::page_form(data));
