//! Hostile and broken input, small enough for a unit test: each is read with diagnostics or
//! refused with an error naming the file (and the line where there is one); nothing panics.
//! The large cases (200 MB, every truncation of every format, time and memory measured) are
//! `opis-bench hostile`.

use std::path::Path;

use opis_formats::{FormatError, Reader, parse_bytes};

use crate::{seed_path, shared};

fn seed_text() -> String {
    std::fs::read_to_string(seed_path()).unwrap()
}

/// The error's text, which must name the file.
fn refused(name: &str, bytes: &[u8], reader: Option<Reader>) -> String {
    let path = Path::new(name);
    match parse_bytes(path, bytes, reader) {
        Ok(p) => panic!("{name}: read {} documents, expected a refusal", p.documents.len()),
        Err(e) => {
            let text = e.to_string();
            assert!(text.starts_with(name), "{name}: the error names the file: {text}");
            text
        }
    }
}

#[test]
fn frus_truncated_at_every_thousandth_byte_is_refused_with_a_line_or_read() {
    let bytes = std::fs::read(shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml")).unwrap();
    let mut refusals = 0;
    for cut in (1000..bytes.len()).step_by(1000) {
        match parse_bytes(Path::new("cut.xml"), &bytes[..cut], None) {
            Ok(_) => {}
            Err(e @ FormatError::Malformed { .. }) => {
                refusals += 1;
                assert!(e.to_string().starts_with("cut.xml:"), "{e}");
                let line: u32 = e.to_string().split(':').nth(1).unwrap().parse().unwrap();
                assert!(line >= 1, "{e}");
            }
            Err(e) => assert!(e.to_string().starts_with("cut.xml"), "{e}"),
        }
    }
    // A FRUS file cut short is unclosed XML: every cut is refused, none read.
    assert_eq!(refusals, (1000..bytes.len()).step_by(1000).count());
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!(
        "<?xml version=\"1.0\"?>\n<TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><text><body>{}x{}</body></text></TEI>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    for reader in [None, Some(Reader::Tei), Some(Reader::Frus), Some(Reader::ParlaMint)] {
        let err = refused("deep.xml", deep.as_bytes(), reader);
        assert!(err.contains("deep.xml:2:") && err.contains("nested deeper"), "{reader:?}: {err}");
    }
    let akoma = format!(
        "<?xml version=\"1.0\"?>\n<akomaNtoso xmlns=\"http://docs.oasis-open.org/legaldocml/ns/akn/3.0\"><debate>\
         <debateBody>{}x{}</debateBody></debate></akomaNtoso>",
        "<debateSection>".repeat(100_000),
        "</debateSection>".repeat(100_000)
    );
    let err = refused("deep-akn.xml", akoma.as_bytes(), None);
    assert!(err.contains("deep-akn.xml:2:") && err.contains("nested deeper"), "{err}");
    let json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for reader in [None, Some(Reader::WilsonApi), Some(Reader::WilsonJsonl), Some(Reader::OpisJsonl)] {
        refused("deep.json", json.as_bytes(), reader);
    }
}

#[test]
fn entity_bombs_and_external_entities_are_refused_before_expansion() {
    let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE TEI [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n\
                <TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><text><body><p>&b;</p></body></text></TEI>";
    let err = refused("bomb.xml", bomb.as_bytes(), None);
    assert!(err.contains("bomb.xml:2:") && err.contains("entity"), "{err}");
    let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE TEI [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n\
               <TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><text><body><p>&x;</p></body></text></TEI>";
    let err = refused("xxe.xml", xxe.as_bytes(), Some(Reader::Frus));
    assert!(err.contains("entity") && !err.contains("root:"), "{err}");
}

#[test]
fn nul_bytes_empty_and_binary_files_are_refused_clearly() {
    let nul = seed_text().replacen("Zhukov", "Zhu\0kov", 1);
    let err = refused("nul.txt", nul.as_bytes(), None);
    assert!(err.contains("binary") && err.contains("NUL byte"), "{err}");
    let err = refused("empty.txt", b"", Some(Reader::Record));
    assert!(err.contains("empty"), "{err}");
    let err = refused("bom.txt", b"\xEF\xBB\xBF", None);
    assert!(err.contains("not a document"), "{err}");
}

#[test]
fn a_csv_with_an_unbalanced_quote_is_read_with_a_diagnostic() {
    let csv = std::fs::read_to_string(shared().join("corpora/wilson-center/wilson_archive_kohl-rows.csv")).unwrap();
    let (header, rows) = csv.split_once('\n').unwrap();
    let broken = format!("{header}\n\"unbalanced, quote{}", &rows[rows.find('\n').unwrap()..]);
    let parsed = parse_bytes(Path::new("q.csv"), broken.as_bytes(), None).unwrap();
    let diagnostics: Vec<_> =
        parsed.diagnostics.iter().chain(parsed.documents.iter().flat_map(|d| &d.diagnostics)).collect();
    assert!(diagnostics.iter().any(|d| d.code.starts_with("csv")), "{diagnostics:?}");
}

#[test]
fn a_record_with_100000_note_markers_is_read_in_one_piece() {
    // The seed marks notes "(16)".
    let markers: String = (1..=100_000).map(|i| format!("word ({i}) ")).collect();
    let text = seed_text().replacen("We are unanimous.", &format!("We are unanimous. {markers}"), 1);
    let parsed = parse_bytes(Path::new("markers.txt"), text.as_bytes(), None).unwrap();
    assert_eq!(parsed.documents.len(), 1);
    let doc = &parsed.documents[0];
    // The seed's 21 notes stay; a parenthesised number beyond the notes is text (a year, a
    // page), kept as written, not dropped.
    assert_eq!(doc.notes.len(), 21);
    let text: String = doc.sections.iter().flat_map(|s| &s.blocks).map(|b| b.text.as_str()).collect();
    assert!(text.contains("word (99999) word (100000)"), "the markers are kept");
}

#[test]
fn mixed_scripts_rtl_and_combining_marks_keep_the_speakers() {
    let text = seed_text()
        .replace("Cde. Saburov:", "Cde. Сабуров:")
        .replace("Cde. Bulganin-", "Cde. Bulga\u{0301}nin-")
        .replace("Cde. Khrushchev: We are unanimous.", "Cde. Khrushchev: We are unanimous. \u{202E}ولا\u{202C} שלום.");
    let parsed = parse_bytes(Path::new("scripts.txt"), text.as_bytes(), None).unwrap();
    let doc = &parsed.documents[0];
    let speakers: Vec<&str> =
        doc.sections.iter().flat_map(|s| &s.blocks).flat_map(|b| b.speakers.iter().map(String::as_str)).collect();
    for name in ["Сабуров", "Bulga\u{0301}nin", "Khrushchev"] {
        assert!(speakers.contains(&name), "{name} in {speakers:?}");
    }
    let all_text: String = doc.sections.iter().flat_map(|s| &s.blocks).map(|b| b.text.as_str()).collect();
    assert!(all_text.contains("\u{202E}ولا\u{202C} שלום."), "right-to-left text and controls kept as written");
}
