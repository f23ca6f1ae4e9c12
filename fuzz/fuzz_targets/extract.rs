//! Fuzzes the extraction parsers on their own: dates, archival references,
//! citation parts, note lists, turn detection and the text-language guess.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opis_formats::extract::{archival, body, citation, date, language, notes, source_lines};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(d) = date::parse_date(text) {
        assert!(d.from <= d.to, "{d:?}");
    }
    let _ = date::find_date(text);
    let _ = archival::find_archival_refs(text);
    let _ = citation::compiler(text);
    let _ = citation::published_in(text);
    let _ = language::detect_language(text);
    let _ = body::parse_explicit_turn(text);
    let lines = source_lines(text, 1);
    let _ = notes::parse_note_list(&lines);
    let _ = body::analyze_body(&lines, "", &Default::default());
});
