//! Fuzzes the reader of opis's own JSON Lines export.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use opis_formats::{Reader, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = parse_bytes(Path::new("fuzz.jsonl"), data, Some(Reader::OpisJsonl));
});
