//! Fuzz target: `scim_harness::list_query` must never panic, and refuse bad input
//! only with a 4xx SCIM error (the harness asserts that).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = scim_harness::list_query(data);
});
