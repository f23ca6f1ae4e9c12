//! Integration tests of the readers on real documents from `../shared`.
//! One test binary with modules, to keep link time down.

mod akoma;
mod frus;
mod hostile;
mod opis_jsonl;
mod parlamint;
mod people;
mod seed;
mod tei;
mod variants;
mod wilson_exports;

use std::path::{Path, PathBuf};

use opis_formats::{Document, parse_bytes, parse_file};
use opis_model::BlockKind;

/// The shared folder beside the repository (`OPIS_SHARED` overrides).
pub fn shared() -> PathBuf {
    match std::env::var_os("OPIS_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

pub fn seed_path() -> PathBuf {
    shared().join("seed/presidium-1956-10-30.txt")
}

pub fn parse_one(path: &Path) -> Document {
    let mut parsed = parse_file(path, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.documents.len(), 1, "{}", path.display());
    parsed.documents.remove(0)
}

pub fn parse_text(name: &str, text: &str) -> Document {
    let mut parsed = parse_bytes(Path::new(name), text.as_bytes(), None).unwrap_or_else(|e| panic!("{e}"));
    parsed.documents.remove(0)
}

pub fn turn_speakers(doc: &Document) -> Vec<Vec<String>> {
    doc.turns().map(|t| t.speakers.clone()).collect()
}

pub fn all_blocks(doc: &Document) -> impl Iterator<Item = &opis_model::Block> {
    doc.sections.iter().flat_map(|s| s.blocks.iter())
}

pub fn blocks_of_kind(doc: &Document, kind: BlockKind) -> Vec<&opis_model::Block> {
    all_blocks(doc).filter(|b| b.kind == kind).collect()
}

/// The rows of the Wilson Center CSV export, column name → value, read with the csv crate.
pub fn csv_rows() -> Vec<std::collections::HashMap<String, String>> {
    let path = shared().join("corpora/wilson-center/wilson_archive_kohl-rows.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect()
}
