//! Helpers shared by opis-web's integration tests: where `../shared` is, and reading a source
//! file with opis's readers. (Each test binary uses some of them.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use opis_model::Document;

/// The shared folder of real documents: `OPIS_SHARED`, else `../shared` beside the repository.
pub fn shared() -> PathBuf {
    match std::env::var_os("OPIS_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// The documents of one source file, each put in `collection` unless its reader named one.
pub fn parse(path: &Path, collection: &str) -> Vec<Document> {
    parse_file(path)
        .into_iter()
        .map(|mut d| {
            d.collection.get_or_insert_with(|| collection.to_owned());
            d
        })
        .collect()
}

/// The documents of one source file as its reader gives them.
pub fn parse_file(path: &Path) -> Vec<Document> {
    opis_formats::parse_file(path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display())).documents
}
