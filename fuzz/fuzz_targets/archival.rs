//! Fuzzes the archival-reference parser: every reference found is printed text of the input;
//! nothing panics on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opis_formats::extract::archival;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for r in archival::find_archival_refs(text) {
        assert!(!r.text.is_empty() && text.contains(&r.text), "{r:?} from {text:?}");
    }
});
