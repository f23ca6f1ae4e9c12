//! Fuzzes the wilson_csv reader: any bytes give documents or a FormatError, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use opis_formats::{Reader, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = parse_bytes(Path::new("fuzz.txt"), data, Some(Reader::WilsonCsv));
});
