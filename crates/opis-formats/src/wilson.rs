//! Wilson Center Digital Archive exports as users hold them: the scraped CSV
//! (CRLF rows, LF inside fields, JSON lists inside cells, free-text dates, `[1]`
//! markers with the notes at the end of `text_body`), its JSON Lines sibling (one
//! row object per line, nulls for what an early scrape missed), and the Digital
//! Archive API's JSON (transcripts with HTML in `raw`, collection records).

use std::collections::HashMap;
use std::path::Path;

use opis_model::{Diagnostic, Document};
use serde_json::Value;

use crate::error::{FormatError, Result};
use crate::extract::archival::find_archival_refs;
use crate::extract::body::SourceLine;
use crate::extract::notes::split_trailing_notes;
use crate::extract::{citation, date, fill_structure, language, source_lines};
use crate::record::{finish_metadata, slug};

/// One export row: column name → value as text (JSON lists stay JSON text).
pub type Row = HashMap<String, String>;

/// Reads a scraped CSV export; every row becomes a document.
pub fn parse_csv(path: &Path, text: &str) -> Result<Vec<Document>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FormatError::malformed(path, 1, format!("cannot read the CSV header: {e}")))?
        .clone();
    if !headers.iter().any(|h| h == "text_body" || h == "record_id") {
        return Err(FormatError::Unrecognized {
            path: path.to_owned(),
            reason: "expected a Wilson Center CSV export with `text_body` and `record_id` columns".into(),
        });
    }
    let mut docs = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as u32);
            FormatError::malformed(path, line, format!("expected a CSV row: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as u32);
        let row: Row = headers.iter().zip(record.iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect();
        if record.len() != headers.len() {
            let mut doc = row_to_document(path, &row, line, true);
            doc.diagnostics.push(Diagnostic::warning(
                "csv-column-count",
                format!("row has {} fields, the header {}", record.len(), headers.len()),
                Some(line),
            ));
            docs.push(doc);
            continue;
        }
        docs.push(row_to_document(path, &row, line, true));
    }
    Ok(docs)
}

/// Reads a JSON Lines export: one row object per line; blank lines are skipped.
pub fn parse_jsonl(path: &Path, text: &str) -> Result<Vec<Document>> {
    parse_jsonl_from(path, text, 1)
}

/// [`parse_jsonl`] of a piece of a file whose first line is line `first_line` of `path` (a
/// row without its own id is named by its line in the whole file, as when read whole).
pub fn parse_jsonl_from(path: &Path, text: &str, first_line: u32) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line_no = first_line + i as u32;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| {
            FormatError::malformed(path, line_no, format!("expected one JSON object on this line: {e}"))
        })?;
        let Value::Object(map) = value else {
            return Err(FormatError::malformed(path, line_no, "expected a JSON object"));
        };
        let row: Row = map.into_iter().map(|(k, v)| (k, value_to_text(v))).collect();
        docs.push(row_to_document(path, &row, line_no, false));
    }
    Ok(docs)
}

/// Reads a Digital Archive API response: a transcript, a collection, or a list of them.
pub fn parse_api_json(path: &Path, text: &str) -> Result<Vec<Document>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        FormatError::malformed(path, e.line() as u32, format!("expected JSON at column {}: {e}", e.column()))
    })?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(_) => vec![value],
        _ => {
            return Err(FormatError::malformed(path, 1, "expected a JSON object or array"));
        }
    };
    let mut docs = Vec::new();
    for item in items {
        let Value::Object(map) = item else { continue };
        let get = |k: &str| map.get(k).map(|v| value_to_text(v.clone())).unwrap_or_default();
        if map.contains_key("raw") && map.contains_key("content_type") {
            docs.push(transcript_to_document(path, &get("id"), &get("raw"), &get("url")));
        } else if map.contains_key("slug") && map.contains_key("name") {
            docs.push(collection_to_document(path, &map));
        } else if map.contains_key("title") || map.contains_key("text_body") {
            let row: Row = map.into_iter().map(|(k, v)| (k, value_to_text(v))).collect();
            docs.push(row_to_document(path, &row, 1, false));
        } else {
            return Err(FormatError::Unrecognized {
                path: path.to_owned(),
                reason: "expected a Digital Archive API transcript, collection or record object".into(),
            });
        }
    }
    Ok(docs)
}

/// Whether a JSON object's keys look like a Wilson Center export row.
pub fn looks_like_row(map: &serde_json::Map<String, Value>) -> bool {
    ["document_url", "text_body", "record_id", "original_publication_date"].iter().any(|k| map.contains_key(*k))
}

fn value_to_text(v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A JSON list inside a cell (`["India", "China"]`), or a plain value as one item.
fn list_cell(cell: &str) -> Vec<String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Vec::new();
    }
    if cell.starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<String>>(cell)
    {
        return items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    }
    vec![cell.to_owned()]
}

fn non_empty(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// One export row to a document. `multiline` says whether the row's `text_body`
/// lines stand on consecutive file lines from `line` (CSV) or all on `line` (JSON).
fn row_to_document(path: &Path, row: &Row, line: u32, multiline: bool) -> Document {
    let mut doc =
        Document { reader: if multiline { "wilson-csv" } else { "wilson-json" }.into(), ..Default::default() };
    let url = non_empty(row.get("document_url"));
    doc.id = match non_empty(row.get("record_id")).or_else(|| url.as_deref().and_then(citation::record_id_from_url)) {
        Some(id) => format!("wilson-{}", id.trim_end_matches(".0")),
        None => match url.as_deref().and_then(|u| u.trim_end_matches('/').rsplit('/').next()) {
            Some(tail) => format!("wilson-{}", slug(tail)),
            None => slug(&format!("{}-{line}", path.file_stem().and_then(|s| s.to_str()).unwrap_or("row"))),
        },
    };
    doc.source_url = url;
    doc.title = non_empty(row.get("title")).unwrap_or_default();
    if let Some(d) = non_empty(row.get("original_publication_date")) {
        doc.date = date::parse_date(&d).or_else(|| date::find_date(&d));
        if doc.date.is_none() {
            doc.diagnostics.push(Diagnostic::warning(
                "unparsed-date",
                format!("original_publication_date {d:?} is not a date opis understands"),
                Some(line),
            ));
        }
    }
    doc.summary = non_empty(row.get("summary"));
    doc.citation = non_empty(row.get("source"));
    doc.classification = non_empty(row.get("original_classification"));
    doc.rights = non_empty(row.get("rights"));
    doc.authors = list_cell(row.get("authors").map_or("", String::as_str));
    doc.places = list_cell(row.get("associated_places").map_or("", String::as_str));
    doc.subjects = list_cell(row.get("subjects_discussed").map_or("", String::as_str));
    let languages = list_cell(row.get("language").map_or("", String::as_str));
    if let Some(first) = languages.first() {
        doc.original_language = language::language_code(first).map(str::to_owned);
        if doc.original_language.is_none() {
            doc.diagnostics.push(Diagnostic::warning(
                "unknown-language",
                format!("language {first:?} is not a language opis knows"),
                Some(line),
            ));
        }
    }
    let mut asserted = list_cell(row.get("document_contributors").map_or("", String::as_str));
    asserted.extend(list_cell(row.get("associated_people_orgs").map_or("", String::as_str)));
    asserted.retain(|n| n.contains(", ") && !n.contains(". "));

    let body_text = row.get("text_body").map_or("", String::as_str);
    let all: Vec<SourceLine> = if multiline {
        source_lines(body_text, line)
    } else {
        body_text.split('\n').map(|l| SourceLine::new(l, line)).collect()
    };
    let (body, notes) = split_trailing_notes(&all);
    if body_text.trim().is_empty() {
        doc.diagnostics.push(Diagnostic::info("summary-only", "the record has no text, only metadata", Some(line)));
        doc.language = doc.original_language.clone().unwrap_or_else(|| "en".into());
        if let Some(s) = &doc.summary {
            doc.language = language::detect_language(s).unwrap_or(&doc.language).to_owned();
        }
    }
    finish_metadata(path, &mut doc, &body, Some(line));
    fill_structure(&mut doc, &body, &notes, &asserted);
    doc
}

fn transcript_to_document(path: &Path, id: &str, raw_html: &str, url: &str) -> Document {
    let text = html_to_text(raw_html);
    let lines = source_lines(&text, 1);
    let mut doc = Document {
        id: format!("wilson-transcript-{}", slug(id)),
        kind: "transcript".into(),
        reader: "wilson-api".into(),
        source_url: (!url.is_empty()).then(|| format!("https://digitalarchive.wilsoncenter.org{url}")),
        ..Default::default()
    };
    doc.language = language::detect_language(&text).unwrap_or("en").to_owned();
    doc.original_language = Some(doc.language.clone());
    doc.title = String::new();
    doc.diagnostics.push(Diagnostic::info(
        "transcript-without-record",
        "an API transcript carries no title or date; they belong to the record it transcribes",
        None,
    ));
    finish_metadata(path, &mut doc, &lines, None);
    fill_structure(&mut doc, &lines, &[], &[]);
    doc
}

fn collection_to_document(path: &Path, map: &serde_json::Map<String, Value>) -> Document {
    let get = |k: &str| map.get(k).map(|v| value_to_text(v.clone())).unwrap_or_default();
    let id = get("id");
    let description = html_to_text(&get("description"));
    let lines = source_lines(&description, 1);
    let mut doc = Document {
        id: format!("wilson-collection-{}", slug(&id)),
        title: get("name"),
        kind: "collection-description".into(),
        reader: "wilson-api".into(),
        summary: Some(get("short_description")).filter(|s| !s.is_empty()),
        source_url: Some(format!("https://digitalarchive.wilsoncenter.org/collection/{id}/{}", get("slug"))),
        ..Default::default()
    };
    let published = get("first_published_at");
    doc.date = date::parse_date(published.get(..10).unwrap_or(""));
    finish_metadata(path, &mut doc, &lines, None);
    fill_structure(&mut doc, &lines, &[], &[]);
    doc.archival_refs = find_archival_refs(&description);
    doc
}

/// Text of an HTML fragment: `<style>` and `<script>` dropped, block ends as line
/// breaks, tags removed, the common entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            out.push_str(after);
            rest = "";
            break;
        };
        let tag = after[1..gt].trim().to_ascii_lowercase();
        let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        rest = &after[gt + 1..];
        if !tag.starts_with('/') && (name == "style" || name == "script") {
            let close = format!("</{name}");
            rest = match rest.to_ascii_lowercase().find(&close) {
                Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                None => "",
            };
            continue;
        }
        if matches!(name.as_str(), "p" | "br" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
            out.push('\n');
        }
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    // Collapse whitespace inside lines and blank runs between them.
    let mut text = String::with_capacity(decoded.len());
    for line in decoded.split('\n') {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if !line.is_empty() {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[1..e];
            let ch = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16).ok().and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            ch.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_to_text_drops_style_and_decodes() {
        let t = html_to_text("<p><style>.a{x:1}</style><span>Мао&nbsp;Цзэдун &amp; Co</span></p><p>Second</p>");
        assert_eq!(t, "Мао Цзэдун & Co\nSecond\n");
    }

    #[test]
    fn list_cells() {
        assert_eq!(list_cell(r#"["India", "China"]"#), vec!["India", "China"]);
        assert_eq!(list_cell("plain"), vec!["plain"]);
        assert!(list_cell("").is_empty());
    }
}
