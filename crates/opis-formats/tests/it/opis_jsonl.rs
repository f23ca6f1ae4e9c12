//! opis's own JSON Lines: real documents from every reader, and those documents with arbitrary
//! text put into their fields, come back from `parse_bytes` exactly as written (the reader is
//! detected from the content), while the Wilson Center JSON Lines export is still read as theirs.

use std::path::Path;
use std::sync::OnceLock;

use opis_formats::{Document, Reader, parse_bytes, parse_file};
use proptest::prelude::*;

use crate::shared;

/// Documents of every reader opis has a corpus for.
fn real_documents() -> &'static Vec<Document> {
    static DOCS: OnceLock<Vec<Document>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let files = [
            "seed/presidium-1956-10-30.txt",
            "corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml",
            "corpora/wilson-center/wilson_archive_kohl-rows.csv",
            "corpora/wilson-center/wilson_archive_db-export.jsonl",
            "corpora/wilson-center/digitalarchive-api/transcript.json",
            "corpora/parlamint/ParlaMint-GB-samples/ParlaMint-GB_2017-09-07-commons.xml",
            "corpora/akoma-ntoso/ke_Debate_Bungeni_2011-06-10.xml",
        ];
        files
            .iter()
            .flat_map(|f| parse_file(&shared().join(f), None).unwrap_or_else(|e| panic!("{f}: {e}")).documents)
            .collect()
    })
}

fn to_jsonl(docs: &[Document]) -> String {
    docs.iter().map(|d| serde_json::to_string(d).unwrap() + "\n").collect()
}

#[track_caller]
fn assert_round_trip(docs: &[Document], text: &str) {
    let parsed = parse_bytes(Path::new("export.jsonl"), text.as_bytes(), None).expect("reads back");
    assert_eq!(parsed.reader, Reader::OpisJsonl);
    assert_eq!(parsed.documents.len(), docs.len());
    for (got, want) in parsed.documents.iter().zip(docs) {
        assert_eq!(got, want);
        assert_eq!(serde_json::to_string(got).unwrap(), serde_json::to_string(want).unwrap(), "same JSON, same hash");
    }
}

#[test]
fn real_documents_of_every_reader_round_trip() {
    let docs = real_documents();
    let readers: std::collections::BTreeSet<&str> = docs.iter().map(|d| d.reader.as_str()).collect();
    assert!(readers.len() >= 5, "{readers:?}");
    assert_round_trip(docs, &to_jsonl(docs));
    // One document alone, and blank lines between documents, read the same.
    assert_round_trip(&docs[..1], &to_jsonl(&docs[..1]));
    assert_round_trip(&docs[..2], &to_jsonl(&docs[..2]).replace('\n', "\n\n"));
}

#[test]
fn the_wilson_center_json_lines_are_still_theirs() {
    let path = shared().join("corpora/wilson-center/wilson_archive_db-export.jsonl");
    assert_eq!(parse_file(&path, None).unwrap().reader, Reader::WilsonJsonl);
}

#[test]
fn a_line_that_is_not_a_document_is_an_error_naming_it() {
    let docs = real_documents();
    let text = format!("{}{{\"id\": 3}}\n", to_jsonl(&docs[..2]));
    let err = parse_bytes(Path::new("export.jsonl"), text.as_bytes(), None).unwrap_err().to_string();
    assert!(err.contains("export.jsonl") && err.contains(":3"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any text in the fields a document carries, control characters, quotes, line
    /// separators and all, survives the round trip.
    #[test]
    fn arbitrary_text_in_real_documents_round_trips(
        pick in 0usize..64,
        texts in proptest::collection::vec(any::<String>(), 6),
    ) {
        let docs = real_documents();
        let mut doc = docs[pick % docs.len()].clone();
        doc.title = texts[0].clone();
        doc.summary = Some(texts[1].clone());
        if let Some(block) = doc.sections.iter_mut().flat_map(|s| s.blocks.iter_mut()).next() {
            block.text = texts[2].clone();
            block.speakers.push(texts[3].clone());
        }
        if let Some(note) = doc.notes.first_mut() {
            note.text = texts[4].clone();
        }
        doc.subjects.push(texts[5].clone());
        let other = docs[(pick + 1) % docs.len()].clone();
        let pair = [doc, other];
        assert_round_trip(&pair, &to_jsonl(&pair));
    }
}
