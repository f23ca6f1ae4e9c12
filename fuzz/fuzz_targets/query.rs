//! Fuzzes the search query parser: any string parses or gives an error with a position inside
//! the query; nothing panics, recurses without bound or loops.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opis_index::query;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = query::parse(text) {
        assert!(e.position <= text.chars().count(), "{e:?} in {text:?}");
    }
    if let Some((from, to)) = query::parse_day_span(text) {
        assert!(from <= to, "{text:?}");
    }
});
