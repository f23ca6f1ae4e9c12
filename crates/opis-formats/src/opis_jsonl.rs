//! opis's own JSON Lines (`opis export --format jsonl`): one [`Document`] as the model's JSON per
//! line, read back exactly as written, so that export then ingest is a lossless round trip (same
//! documents, same content hashes).
//!
//! Told apart from the Wilson Center JSON Lines exports (`wilson`) by its keys: a line here is
//! an object with the model's required fields (`id`, `title`, `kind`, `language`, `sections`)
//! and none of a Wilson Center row's (`document_url`, `text_body`, `record_id`, …).

use std::path::Path;

use opis_model::Document;
use serde_json::{Map, Value};

use crate::error::{FormatError, Result};
use crate::wilson;

/// Whether a JSON object is an opis document rather than a Wilson Center row or API object.
pub fn looks_like_document(map: &Map<String, Value>) -> bool {
    ["id", "title", "kind", "language", "sections"].iter().all(|k| map.contains_key(*k))
        && map.get("sections").is_some_and(Value::is_array)
        && !wilson::looks_like_row(map)
}

/// Reads one document per non-blank line; a line that is not a document is an error naming it.
pub fn parse_opis_jsonl(path: &Path, text: &str) -> Result<Vec<Document>> {
    parse_opis_jsonl_from(path, text, 1)
}

/// [`parse_opis_jsonl`] of a piece of a file whose first line is line `first_line` of `path`.
pub fn parse_opis_jsonl_from(path: &Path, text: &str, first_line: u32) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc: Document = serde_json::from_str(line).map_err(|e| {
            FormatError::malformed(
                path,
                first_line + i as u32,
                format!("expected an opis document as JSON on this line: {e}"),
            )
        })?;
        docs.push(doc);
    }
    Ok(docs)
}
