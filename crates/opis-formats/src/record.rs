//! The plain-text Wilson Center record: a (bold) date and title, then labelled
//! fields — `Citation:`, `Summary:`, `Original Language:`, `Contents:` — the body,
//! and a notes list under `Translator's Notes` (or `Notes`, `Endnotes`, …).
//!
//! Real exports vary, and the reader tolerates it: `**` bold markers or none, a
//! title wrapped over two lines, fields missing or in another order, a label and
//! its value on one line or on two, `Contents:` naming `Translation - English`,
//! `Transcript - Russian` or `Original Scan`, markers `(7)` or `[7]`, notes `7 text`
//! or `[7] text`, or no notes header at all with `[n]` notes at the end.

use std::path::Path;
use std::sync::LazyLock;

use opis_model::{Diagnostic, Document};
use regex::Regex;

use crate::error::{FormatError, Result};
use crate::extract::archival::find_archival_refs;
use crate::extract::body::SourceLine;
use crate::extract::notes::split_trailing_notes;
use crate::extract::{citation, date, fill_structure, language};

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(citation|summary|original languages?|languages?|contents?|date|title|authors?|classification|record id|source url)\s*:\s*(.*)$",
    )
    .unwrap()
});

static NOTES_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:translator|editor)(?:['’]s|s['’]|s)?\s+notes?|notes|endnotes|footnotes)\s*:?\s*$").unwrap()
});

static CONTENT_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(translation|transcript|original scan|original|scan)\s*(?:[-–—:]\s*([\p{L} ]+?))?\s*$").unwrap()
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Citation,
    Summary,
    OriginalLanguage,
    Contents,
    Date,
    Title,
    Authors,
    Classification,
    Ignored,
}

impl Field {
    fn from_label(label: &str) -> Field {
        match label.to_lowercase().as_str() {
            "citation" => Field::Citation,
            "summary" => Field::Summary,
            "original language" | "original languages" | "language" | "languages" => Field::OriginalLanguage,
            "contents" | "content" => Field::Contents,
            "date" => Field::Date,
            "title" => Field::Title,
            "author" | "authors" => Field::Authors,
            "classification" => Field::Classification,
            _ => Field::Ignored,
        }
    }

    /// Fields whose value is one short paragraph; what follows belongs to the body
    /// when no `Contents:` label comes.
    fn is_short(self) -> bool {
        !matches!(self, Field::Citation | Field::Summary | Field::Contents)
    }
}

/// A record text split into its labelled parts.
#[derive(Default)]
struct Layout {
    header: Vec<SourceLine>,
    fields: Vec<(Field, Vec<SourceLine>)>,
    /// Lines after a short field's first paragraph, for records without `Contents:`.
    overflow: Vec<SourceLine>,
    notes: Vec<SourceLine>,
    saw_notes_header: bool,
}

/// Reads one record. `path` names the file in diagnostics and errors.
pub fn parse_record(path: &Path, text: &str) -> Result<Document> {
    let layout = split_layout(text);
    let has_record_fields =
        layout.fields.iter().any(|(f, _)| matches!(f, Field::Citation | Field::Summary | Field::Contents));
    if !has_record_fields {
        return Err(FormatError::Unrecognized {
            path: path.to_owned(),
            reason: "expected a Wilson Center record with `Citation:`, `Summary:` or `Contents:` fields, found none"
                .into(),
        });
    }

    let mut doc = Document { reader: "record".into(), ..Default::default() };
    let header: Vec<&SourceLine> = layout.header.iter().filter(|l| !l.text.trim().is_empty()).collect();
    let mut title_parts = Vec::new();
    for line in &header {
        let t = line.text.trim();
        if doc.date.is_none()
            && title_parts.is_empty()
            && let Some(d) = date::parse_date(t)
        {
            doc.date = Some(d);
            continue;
        }
        if doc.date.is_none()
            && !title_parts.is_empty()
            && let Some(d) = date::parse_date(t)
        {
            doc.date = Some(d);
            continue;
        }
        title_parts.push(t);
    }
    doc.title = title_parts.join(" ");

    let mut body: Vec<SourceLine> = Vec::new();
    for (field, lines) in &layout.fields {
        let value = paragraphs(lines);
        match field {
            Field::Citation => {
                // A line that is only a web address is the record's URL, not citation text.
                let is_url = |l: &SourceLine| {
                    let t = l.text.trim();
                    (t.starts_with('<') && t.ends_with('>') || t.starts_with("http")) && !t.contains(' ')
                };
                let (urls, text): (Vec<SourceLine>, Vec<SourceLine>) = lines.iter().cloned().partition(is_url);
                let printed = paragraphs(&text).join("\n\n");
                let urls: Vec<&str> = urls.iter().map(|l| l.text.as_str()).collect();
                doc.source_url = citation::source_url(&urls.join(" ")).or_else(|| citation::source_url(&printed));
                if !printed.is_empty() {
                    doc.citation = Some(printed);
                }
            }
            Field::Summary => doc.summary = Some(value.join("\n\n")).filter(|s| !s.is_empty()),
            Field::OriginalLanguage => {
                let name = value.first().map(String::as_str).unwrap_or("");
                let first = name.split([',', ';', '/']).next().unwrap_or("").trim();
                doc.original_language = language::language_code(first).map(str::to_owned);
                if doc.original_language.is_none() && !first.is_empty() {
                    doc.diagnostics.push(Diagnostic::warning(
                        "unknown-language",
                        format!("original language {first:?} is not a language opis knows"),
                        lines.first().map(|l| l.line),
                    ));
                }
            }
            Field::Contents => {
                let mut rest = lines.as_slice();
                while let Some((first, tail)) = rest.split_first() {
                    let t = first.text.trim();
                    if t.is_empty() {
                        rest = tail;
                        continue;
                    }
                    let Some(c) = CONTENT_TYPE.captures(t) else {
                        break;
                    };
                    let kind = c[1].to_lowercase();
                    if let Some(lang) = c.get(2).and_then(|m| language::language_code(m.as_str().trim()))
                        && (kind == "translation" || kind == "transcript" || doc.language.is_empty())
                    {
                        doc.language = lang.to_owned();
                    }
                    rest = tail;
                }
                body.extend(rest.iter().cloned());
            }
            Field::Date => {
                if let Some(d) = value.first().and_then(|v| date::parse_date(v)) {
                    doc.date = Some(d);
                }
            }
            Field::Title => {
                if doc.title.is_empty() {
                    doc.title = value.join(" ");
                }
            }
            Field::Authors => {
                doc.authors = value.iter().flat_map(|v| v.split(';')).map(|s| s.trim().to_owned()).collect()
            }
            Field::Classification => doc.classification = value.first().cloned(),
            Field::Ignored => {}
        }
    }
    if body.is_empty() {
        body = layout.overflow.clone();
    }
    let mut note_lines = layout.notes.clone();
    if !layout.saw_notes_header {
        let (b, n) = split_trailing_notes(&body);
        body = b;
        note_lines = n;
    }

    finish_metadata(path, &mut doc, &body, None);
    fill_structure(&mut doc, &body, &note_lines, &[]);
    Ok(doc)
}

/// Metadata every record reader derives the same way once title, citation and body
/// are known: id, date fallbacks, kind, archival references, compiler, publication,
/// contributors and the language of the text.
/// `line` is where the record starts, for the diagnostics this adds (a row of an export).
pub(crate) fn finish_metadata(path: &Path, doc: &mut Document, body: &[SourceLine], line: Option<u32>) {
    if doc.id.is_empty() {
        doc.id = match doc.source_url.as_deref().and_then(citation::record_id_from_url) {
            Some(id) => format!("wilson-{id}"),
            None => slug(path.file_stem().and_then(|s| s.to_str()).unwrap_or("document")),
        };
    }
    if doc.title.trim().is_empty() {
        doc.diagnostics.push(Diagnostic::warning("missing-title", "the record has no title", line));
    }
    if let Some(c) = doc.citation.clone() {
        if doc.date.is_none() {
            doc.date = date::find_date(&c);
        }
        if doc.archival_refs.is_empty() {
            doc.archival_refs = find_archival_refs(&c);
        }
        doc.compiler = doc.compiler.take().or_else(|| citation::compiler(&c));
        doc.published_in = doc.published_in.take().or_else(|| citation::published_in(&c));
        if doc.contributors.is_empty() {
            doc.contributors = citation::contributors(&c);
        }
        if doc.source_url.is_none() {
            doc.source_url = citation::source_url(&c);
        }
    }
    if doc.date.is_none() {
        doc.date = date::find_date(&doc.title);
    }
    if doc.date.is_none() {
        doc.diagnostics.push(Diagnostic::warning(
            "missing-date",
            "no date found in the header, citation or title",
            None,
        ));
    }
    if doc.kind.is_empty() {
        doc.kind = citation::guess_kind(&doc.title);
    }
    if doc.language.is_empty() {
        let sample: String = body.iter().take(200).map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        doc.language =
            language::detect_language(&sample).or(doc.original_language.as_deref()).unwrap_or("en").to_owned();
    }
}

/// Splits the text into header, labelled fields, and notes.
fn split_layout(text: &str) -> Layout {
    let mut layout = Layout::default();
    let mut current: Option<usize> = None; // index into layout.fields
    let mut in_body = false;
    let mut in_notes = false;
    let mut short_field_done = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i as u32 + 1;
        let clean = raw.replace("**", "");
        let trimmed = clean.trim();
        if in_notes {
            layout.notes.push(SourceLine::new(clean, line_no));
            continue;
        }
        if (in_body || current.is_some()) && NOTES_HEADER.is_match(trimmed) && current.is_some() {
            in_notes = true;
            layout.saw_notes_header = true;
            continue;
        }
        if !in_body && let Some(c) = LABEL.captures(trimmed) {
            let field = Field::from_label(&c[1]);
            let mut lines = Vec::new();
            if !c[2].trim().is_empty() {
                lines.push(SourceLine::new(c[2].trim(), line_no));
            }
            layout.fields.push((field, lines));
            current = Some(layout.fields.len() - 1);
            in_body = field == Field::Contents;
            short_field_done = false;
            continue;
        }
        match current {
            None => layout.header.push(SourceLine::new(clean, line_no)),
            Some(idx) => {
                let (field, lines) = &mut layout.fields[idx];
                if field.is_short() && !in_body {
                    if trimmed.is_empty() && lines.iter().any(|l| !l.text.trim().is_empty()) {
                        short_field_done = true;
                    }
                    if short_field_done {
                        layout.overflow.push(SourceLine::new(clean, line_no));
                        continue;
                    }
                }
                lines.push(SourceLine::new(clean, line_no));
            }
        }
    }
    layout
}

/// The non-empty paragraphs of some lines, each paragraph's lines joined by a space.
fn paragraphs(lines: &[SourceLine]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(t);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A file-name slug: lower-case ASCII letters, digits and single dashes.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() { "document".into() } else { out }
}
