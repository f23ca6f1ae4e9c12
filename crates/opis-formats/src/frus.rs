//! FRUS TEI volumes and Office of the Historian TEI documents (frus-history): one Document per `<div type="document">`.

use std::path::Path;

use opis_model::Document;

use crate::error::{FormatError, Result};

/// Reads every document in `text` (the content of `path`).
pub fn parse_frus(path: &Path, text: &str) -> Result<Vec<Document>> {
    let _ = text;
    Err(FormatError::Unrecognized { path: path.to_owned(), reason: "reader not built yet".into() })
}
