//! Archival references in the spellings sources use, split into archive, fond, opis,
//! papka, delo and leaves (or file, box, folder for western archives).

use opis_model::ArchivalRef;

/// Every archival reference in `text`, in order of appearance.
pub fn find_archival_refs(text: &str) -> Vec<ArchivalRef> {
    let _ = text;
    Vec::new()
}
