//! Akoma Ntoso debate records (final 3.0 and the WD17 draft namespace): `<debateSection>` as sections, `<speech by>` as turns.

use std::path::Path;

use opis_model::Document;

use crate::error::{FormatError, Result};

/// Reads every document in `text` (the content of `path`).
pub fn parse_akoma(path: &Path, text: &str) -> Result<Vec<Document>> {
    let _ = text;
    Err(FormatError::Unrecognized { path: path.to_owned(), reason: "reader not built yet".into() })
}
