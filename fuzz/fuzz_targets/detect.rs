//! Fuzzes format detection and whichever reader it picks.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use opis_formats::parse_bytes;

fuzz_target!(|data: &[u8]| {
    let _ = parse_bytes(Path::new("fuzz"), data, None);
});
