//! Fuzz target for one stage; the invariants live in
//! `tests/support/invariants.rs`, shared with the corpus replay test.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/invariants.rs"]
mod invariants;

fuzz_target!(|input: invariants::ShingleInput| invariants::check_shingle(&input));
