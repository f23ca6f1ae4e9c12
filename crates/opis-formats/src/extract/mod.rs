//! Extraction shared by every reader: what a historian wants recovered from text,
//! independent of the format the text came in.
//!
//! - [`date`]: printed dates to ISO day ranges.
//! - [`archival`]: archival references ("TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14").
//! - [`language`]: language names and ISO 639-1 codes, and a small text-language guess.
//! - [`citation`]: compiler, publication, source URL and kind from citation and title.
//! - [`body`]: the body's structure: sections, attendance lists, speaker turns, list items.
//! - [`notes`]: note markers, note lists and the references inside notes.
//! - [`persons`]: people named in a document, with spellings and mention counts.

pub mod archival;
pub mod authority;
pub mod body;
pub mod citation;
pub mod date;
pub mod language;
pub mod name_table;
pub mod notes;
pub mod persons;

use std::collections::BTreeSet;

use opis_model::{Diagnostic, Document};

use body::{SourceLine, analyze_body};
use notes::parse_note_list;

/// Fills a document's structure from its body and note lines: notes, sections and
/// turns, attendance lists, the protocol line, persons, and the diagnostics that
/// tie markers to notes. Every reader that holds plain text calls this, so the
/// rules live in one place. `asserted_persons` are names from the source's metadata.
pub fn fill_structure(
    doc: &mut Document,
    body_lines: &[SourceLine],
    note_lines: &[SourceLine],
    asserted_persons: &[String],
) {
    let (notes, stray) = parse_note_list(note_lines);
    if let Some(first) = stray.first() {
        doc.diagnostics.push(Diagnostic::warning(
            "text-before-first-note",
            format!("{} line(s) after the notes header do not belong to a numbered note", stray.len()),
            Some(first.line),
        ));
    }
    fill_structure_with_notes(doc, body_lines, notes, asserted_persons);
}

/// As [`fill_structure`], for readers whose notes are already parsed (TEI's inline
/// `<note n>`: the reader leaves a `[n]` marker in the line where each note stood).
pub fn fill_structure_with_notes(
    doc: &mut Document,
    body_lines: &[SourceLine],
    mut notes: Vec<opis_model::Note>,
    asserted_persons: &[String],
) {
    notes.iter_mut().for_each(notes::cite_in_note);
    let known: BTreeSet<u32> = notes.iter().map(|n| n.n).collect();
    let (body, anchored) = analyze_body(body_lines, &doc.title, &known);
    for section in &body.sections {
        let blocks = section.blocks.iter().map(|b| (&b.notes, b.line));
        let heading = std::iter::once((&section.heading_notes, section.blocks.first().and_then(|b| b.line)));
        for (numbers, line) in heading.chain(blocks) {
            for n in numbers.iter().filter(|n| !known.contains(n)) {
                doc.diagnostics.push(Diagnostic::warning(
                    "marker-without-note",
                    format!("note marker ({n}) has no note"),
                    line,
                ));
            }
        }
    }
    for note in notes.iter().filter(|n| !anchored.contains(&n.n)) {
        doc.diagnostics.push(Diagnostic::warning(
            "note-never-referenced",
            format!("note {} is never referenced in the text", note.n),
            note.line,
        ));
    }
    doc.notes = notes;
    doc.sections = body.sections;
    doc.participants = body.participants;
    if doc.protocol.is_none() {
        doc.protocol = body.protocol;
    }
    doc.persons = persons::collect_persons(doc, asserted_persons);
}

/// Splits text into numbered source lines, starting at `first_line`.
pub fn source_lines(text: &str, first_line: u32) -> Vec<SourceLine> {
    text.split('\n').enumerate().map(|(i, l)| SourceLine::new(l, first_line + i as u32)).collect()
}
