//! Fuzzes the parlamint reader: any text gives documents or a FormatError, never a panic
//! or a hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = opis_formats::parlamint::parse_parlamint(Path::new("fuzz.xml"), text);
});
