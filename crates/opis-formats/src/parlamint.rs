//! ParlaMint TEI sittings (plain and `.ana.xml`) and teiCorpus roots: one Document per sitting, each `<u>` a turn.

use std::path::Path;

use opis_model::Document;

use crate::error::{FormatError, Result};

/// Reads every document in `text` (the content of `path`).
pub fn parse_parlamint(path: &Path, text: &str) -> Result<Vec<Document>> {
    let _ = text;
    Err(FormatError::Unrecognized { path: path.to_owned(), reason: "reader not built yet".into() })
}
