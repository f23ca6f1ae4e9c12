//! Generalisation: the record reader is not tuned to one file. Variants of the seed
//! (CRLF, no bold, `[n]` markers, other notes headers) must read the same, and
//! records written in the seed's layout around the real CSV rows' content must
//! give back that content.

use std::collections::HashMap;

use opis_formats::parse_file;
use opis_model::Document;

use crate::{csv_rows, parse_one, parse_text, seed_path, shared, turn_speakers};

fn seed_text() -> String {
    std::fs::read_to_string(seed_path()).unwrap()
}

/// Turn speakers, anchored notes, headings, note count, title.
type Structure = (Vec<Vec<String>>, Vec<u32>, Vec<Option<String>>, usize, String);

/// The structure two parses of the same document must share.
fn structure(doc: &Document) -> Structure {
    let anchored: Vec<u32> = crate::all_blocks(doc).flat_map(|b| b.notes.clone()).collect();
    let headings = doc.sections.iter().map(|s| s.heading.clone()).collect();
    (turn_speakers(doc), anchored, headings, doc.notes.len(), doc.title.clone())
}

#[test]
fn seed_with_crlf_line_ends() {
    let original = parse_one(&seed_path());
    let doc = parse_text("seed-crlf.txt", &seed_text().replace('\n', "\r\n"));
    assert_eq!(structure(&doc), structure(&original));
    assert_eq!(doc.notes, original.notes);
}

#[test]
fn seed_without_bold_markers() {
    let original = parse_one(&seed_path());
    let doc = parse_text("seed-plain.txt", &seed_text().replace("**", ""));
    assert_eq!(structure(&doc), structure(&original));
    assert_eq!(doc.date, original.date);
    assert_eq!(doc.compiler, original.compiler);
}

/// `(7)` markers become `[7]`, and note lines `7 text` become `[7] text`.
fn bracketed(text: &str) -> String {
    let (body, notes) = text.split_once("Translator's Notes").unwrap();
    let marker = regex::Regex::new(r"\((\d{1,2})\)").unwrap();
    let body = marker.replace_all(body, "[$1]");
    let note_start = regex::Regex::new(r"(?m)^(\d{1,2}) ").unwrap();
    let notes = note_start.replace_all(notes, "[$1] ");
    format!("{body}Translator's Notes{notes}")
}

#[test]
fn seed_with_bracketed_markers_and_notes() {
    let original = parse_one(&seed_path());
    let doc = parse_text("seed-brackets.txt", &bracketed(&seed_text()));
    assert_eq!(structure(&doc), structure(&original));
    assert_eq!(
        doc.notes.iter().map(|n| &n.text).collect::<Vec<_>>(),
        original.notes.iter().map(|n| &n.text).collect::<Vec<_>>()
    );
}

#[test]
fn seed_with_other_notes_headers() {
    let original = parse_one(&seed_path());
    for header in ["Translator's Note:", "Notes", "Endnotes", "Translator’s Notes", "**Notes:**"] {
        let doc = parse_text("seed-notes.txt", &seed_text().replace("Translator's Notes", header));
        assert_eq!(structure(&doc), structure(&original), "{header}");
    }
}

#[test]
fn seed_without_summary_and_with_transcript_contents() {
    let text = seed_text();
    let start = text.find("**Summary:**").unwrap();
    let end = text.find("**Original Language:**").unwrap();
    let cut = format!("{}{}", &text[..start], &text[end..]).replace("Translation - English", "Transcript - Russian");
    let doc = parse_text("seed-cut.txt", &cut);
    assert_eq!(doc.summary, None);
    assert_eq!(doc.language, "ru", "Contents says the text held is a Russian transcript");
    assert_eq!(turn_speakers(&doc).len(), 22);
}

#[test]
fn seed_with_inline_labels_and_no_contents_type() {
    let text = seed_text()
        .replace("**Citation:**\n\n", "Citation: ")
        .replace("**Original Language:**\n\nRussian", "Original Language: Russian")
        .replace("Translation - English\n\n", "");
    let doc = parse_text("seed-inline.txt", &text);
    assert_eq!(doc.original_language.as_deref(), Some("ru"));
    assert_eq!(doc.compiler.as_deref(), Some("V. N. Malin"));
    assert_eq!(doc.language, "en", "guessed from the English body");
    assert_eq!(turn_speakers(&doc).len(), 22);
}

#[test]
fn record_without_a_title_parses_with_a_diagnostic() {
    let text = seed_text();
    let start = text.find("**Working Notes").unwrap();
    let end = text.find("**Citation:**").unwrap();
    let doc = parse_text("untitled.txt", &format!("{}{}", &text[..start], &text[end..]));
    assert!(doc.title.is_empty());
    assert!(doc.diagnostics.iter().any(|d| d.code == "missing-title"));
    assert_eq!(doc.date.as_ref().unwrap().from, "1956-10-30");
}

/// How one generated record is laid out.
#[derive(Clone, Copy, Debug)]
struct Layout {
    bold: bool,
    crlf: bool,
    wrap_title: bool,
    with_summary: bool,
    bracket_notes: bool,
    notes_header: &'static str,
}

/// Writes a CSV row's real content in the seed's record layout.
fn record_from_row(row: &HashMap<String, String>, layout: Layout) -> String {
    let b = |s: &str| if layout.bold { format!("**{s}**") } else { s.to_string() };
    let (body, notes) = {
        let text = &row["text_body"];
        let at = text.rfind("\n  [1]").or_else(|| text.rfind("\n[1]")).expect("the row has its note at the end");
        (&text[..at], text[at..].trim())
    };
    let notes = if layout.bracket_notes { notes.to_string() } else { notes.replacen("[1]", "1", 1) };
    let title = &row["title"];
    let title = if layout.wrap_title && title.len() > 40 {
        let cut = title[..title.len() / 2].rfind(' ').unwrap();
        format!("{}  \n{}", &title[..cut], &title[cut + 1..])
    } else {
        title.clone()
    };
    let language: Vec<String> = serde_json::from_str(&row["language"]).unwrap();
    let mut out = String::from("\n\n");
    out += &format!("{}  \n{}\n\n", b(&row["original_publication_date"]), b(&title));
    out += &format!("{}\n\n{}  \n<{}>\n\n", b("Citation:"), row["source"], row["document_url"]);
    if layout.with_summary {
        out += &format!("{}\n\n{}\n\n", b("Summary:"), row["summary"]);
    }
    out += &format!("{}\n\n{}\n\n", b("Original Language:"), language[0]);
    out += &format!("{}\n\nTranslation - English\n\n", b("Contents:"));
    out += &body.split('\n').collect::<Vec<_>>().join("\n\n");
    out += &format!("\n\n{}\n\n{}\n", layout.notes_header, notes);
    if layout.crlf { out.replace('\n', "\r\n") } else { out }
}

#[test]
fn records_written_around_real_csv_rows_give_back_their_content() {
    let rows = csv_rows();
    let csv_docs =
        parse_file(&shared().join("corpora/wilson-center/wilson_archive_kohl-rows.csv"), None).unwrap().documents;
    let layouts = [
        Layout {
            bold: true,
            crlf: false,
            wrap_title: true,
            with_summary: true,
            bracket_notes: false,
            notes_header: "Translator's Notes",
        },
        Layout {
            bold: false,
            crlf: true,
            wrap_title: false,
            with_summary: true,
            bracket_notes: true,
            notes_header: "Notes",
        },
        Layout {
            bold: true,
            crlf: true,
            wrap_title: true,
            with_summary: false,
            bracket_notes: true,
            notes_header: "Endnotes",
        },
        Layout {
            bold: false,
            crlf: false,
            wrap_title: true,
            with_summary: true,
            bracket_notes: false,
            notes_header: "Translator's Note:",
        },
    ];
    for (i, (row, csv_doc)) in rows.iter().zip(&csv_docs).enumerate() {
        for layout in layouts {
            let text = record_from_row(row, layout);
            let doc = parse_text(&format!("row-{i}.txt"), &text);
            let ctx = format!("row {} {layout:?}", row["record_id"]);
            assert_eq!(doc.title, row["title"], "{ctx}");
            assert_eq!(
                doc.date.as_ref().map(|d| d.text.as_str()),
                Some(row["original_publication_date"].as_str()),
                "{ctx}"
            );
            assert_eq!(doc.date, csv_doc.date, "{ctx}");
            assert_eq!(doc.citation.as_deref(), Some(row["source"].as_str()), "{ctx}");
            assert_eq!(doc.source_url.as_deref(), Some(row["document_url"].as_str()), "{ctx}");
            let summary = layout.with_summary.then(|| row["summary"].trim().to_string());
            assert_eq!(doc.summary, summary, "{ctx}");
            assert_eq!(doc.original_language.as_deref(), Some("de"), "{ctx}");
            assert_eq!(doc.language, "en", "{ctx}");
            assert_eq!(doc.archival_refs, csv_doc.archival_refs, "{ctx}");
            assert_eq!(doc.contributors, csv_doc.contributors, "{ctx}");
            assert_eq!(doc.notes.len(), 1, "{ctx}");
            assert_eq!(doc.notes[0].text, csv_doc.notes[0].text, "{ctx}");
            let anchored: Vec<u32> = crate::all_blocks(&doc).flat_map(|b| b.notes.clone()).collect();
            assert_eq!(anchored, vec![1], "{ctx}");
            assert!(!doc.diagnostics.iter().any(|d| d.code == "missing-title"), "{ctx}");
        }
    }
}
