//! The scraped Wilson Center exports and the Digital Archive API JSON: every record
//! parses, and what we recover matches the export's own columns.

use std::collections::HashMap;

use opis_formats::{Reader, parse_file};
use opis_model::Severity;

use crate::{csv_rows, shared};

#[test]
fn csv_rows_match_their_columns() {
    let path = shared().join("corpora/wilson-center/wilson_archive_kohl-rows.csv");
    let parsed = parse_file(&path, None).unwrap();
    assert_eq!(parsed.reader, Reader::WilsonCsv);
    let rows = csv_rows();
    assert_eq!(parsed.documents.len(), rows.len());
    assert_eq!(rows.len(), 6);
    // Read from the rows' original_publication_date column.
    let dates: HashMap<&str, &str> = [
        ("300242", "1997-10-31"),
        ("300241", "1997-10-22"),
        ("300240", "1997-07-30"),
        ("300239", "1997-05-12"),
        ("300238", "1997-04-23"),
        ("300237", "1996-09-12"),
    ]
    .into();
    for (doc, row) in parsed.documents.iter().zip(&rows) {
        assert_eq!(doc.id, format!("wilson-{}", row["record_id"]));
        assert_eq!(doc.title, row["title"]);
        let date = doc.date.as_ref().unwrap();
        assert_eq!(date.text, row["original_publication_date"]);
        assert_eq!(date.from, dates[row["record_id"].as_str()]);
        assert_eq!(date.to, date.from);
        assert_eq!(doc.citation.as_deref(), Some(row["source"].as_str()));
        assert_eq!(doc.summary.as_deref(), Some(row["summary"].trim()));
        assert_eq!(doc.source_url.as_deref(), Some(row["document_url"].as_str()));
        assert_eq!(doc.original_language.as_deref(), Some("de"), "language column {}", row["language"]);
        assert_eq!(doc.language, "en", "the text held is the English translation");
        assert_eq!(doc.contributors, vec!["Stephan Kieninger".to_string()]);
        let places: Vec<String> = serde_json::from_str(&row["associated_places"]).unwrap();
        assert_eq!(doc.places, places);
        // Each row has one note, "[1] BArch, B 136/59748, …", at the end of text_body, anchored once.
        assert_eq!(doc.notes.len(), 1, "{}", doc.id);
        assert!(doc.notes[0].text.starts_with("BArch, B 136/59748"), "{}", doc.notes[0].text);
        let anchored: Vec<u32> = crate::all_blocks(doc).flat_map(|b| b.notes.clone()).collect();
        assert_eq!(anchored, vec![1], "{}", doc.id);
        assert!(crate::all_blocks(doc).all(|b| !b.text.contains("[1]")));
        let contributors: Vec<String> = serde_json::from_str(&row["document_contributors"]).unwrap();
        let kohl = &contributors[0];
        assert_eq!(kohl, "Kohl, Helmut");
        assert!(doc.persons.iter().any(|p| p.name == "Helmut Kohl"), "{:?}", doc.persons);
        // No warnings on a clean export row.
        let warnings: Vec<_> = doc.diagnostics.iter().filter(|d| d.severity == Severity::Warning).collect();
        assert!(warnings.is_empty(), "{}: {warnings:?}", doc.id);
    }
}

#[test]
fn csv_body_keeps_lf_inside_fields_as_paragraphs() {
    let path = shared().join("corpora/wilson-center/wilson_archive_kohl-rows.csv");
    let doc = parse_file(&path, None).unwrap().documents.remove(0);
    // From text_body of 300242: the numbered agenda is a list.
    let items: Vec<&str> =
        crate::blocks_of_kind(&doc, opis_model::BlockKind::ListItem).iter().map(|b| b.text.as_str()).collect();
    assert!(items.contains(&"1. domestic political development in both countries"), "{items:?}");
    assert!(items.contains(&"4. European aerospace industry"));
}

#[test]
fn jsonl_export_with_summary_only_records() {
    let path = shared().join("corpora/wilson-center/wilson_archive_db-export.jsonl");
    let parsed = parse_file(&path, None).unwrap();
    assert_eq!(parsed.reader, Reader::WilsonJsonl);
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(parsed.documents.len(), 13);
    let mut untitled = 0;
    for (i, (doc, row)) in parsed.documents.iter().zip(&rows).enumerate() {
        let line = i as u32 + 1;
        assert_eq!(doc.summary.as_deref(), row["summary"].as_str().map(str::trim), "line {line}");
        assert_eq!(doc.date.as_ref().map(|d| d.text.as_str()), row["original_publication_date"].as_str());
        assert_eq!(doc.source_url.as_deref(), row["document_url"].as_str());
        match row["title"].as_str() {
            Some(title) => {
                assert_eq!(doc.title, title);
                assert_eq!(doc.id, format!("wilson-{}", row["record_id"].as_str().unwrap()));
                assert_eq!(doc.citation.as_deref(), row["source"].as_str());
                assert_eq!(doc.original_language.as_deref(), Some("en"));
                assert_eq!(doc.language, "en");
            }
            None => {
                untitled += 1;
                let d = doc.diagnostics.iter().find(|d| d.code == "missing-title").expect("a diagnostic, not an error");
                assert_eq!(d.line, Some(line));
                assert!(doc.id.starts_with("wilson-") && doc.id.len() > 10, "{}", doc.id);
            }
        }
    }
    assert_eq!(untitled, 10, "the README counts 10 summary-only rows");
    let ids: std::collections::BTreeSet<&str> = parsed.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), 13, "ids are unique");
}

#[test]
fn jsonl_dates_parse_from_free_text() {
    let path = shared().join("corpora/wilson-center/wilson_archive_db-export.jsonl");
    let docs = parse_file(&path, None).unwrap().documents;
    // Line 1: "September 12, 1996"; line 13: "December 12, 1957".
    assert_eq!(docs[0].date.as_ref().unwrap().from, "1996-09-12");
    assert_eq!(docs[12].date.as_ref().unwrap().from, "1957-12-12");
}

#[test]
fn api_transcript_and_collection() {
    let dir = shared().join("corpora/wilson-center/digitalarchive-api");
    let t = parse_file(&dir.join("transcript.json"), None).unwrap();
    assert_eq!(t.reader, Reader::WilsonApi);
    let doc = &t.documents[0];
    assert_eq!(doc.id, "wilson-transcript-33548");
    assert_eq!(doc.language, "ru");
    let first = crate::all_blocks(doc).next().unwrap();
    assert!(first.text.starts_with("По указанию министра иностранных дел СССР тов. Вышинского"), "{}", first.text);
    assert!(crate::all_blocks(doc).all(|b| !b.text.contains("text-align")), "the inline CSS is dropped");

    let c = parse_file(&dir.join("collection.json"), None).unwrap();
    let doc = &c.documents[0];
    assert_eq!(doc.title, "\u{201c}Local Nationalism\" in Xinjiang, 1957-1958");
    assert_eq!(doc.kind, "collection-description");
    assert_eq!(
        doc.summary.as_deref(),
        Some(
            "In 1957, the Xinjiang Party Committee aimed to expose and eliminate so-called local nationalist deviations."
        )
    );
}
