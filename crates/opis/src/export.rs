//! `opis export --format jsonl|tei --out DIR [QUERY]`: the current documents, or those a search
//! matches, as files another opis (or another tool) reads back.
//!
//! - `jsonl`: one file, `DIR/opis-documents.jsonl`, one document per line as the model's JSON,
//!   in id order. `opis ingest DIR` reads it back into the same documents with the same content
//!   hashes (the `opis-jsonl` reader).
//! - `tei`: one TEI P5 file per document, `DIR/ID.xml` (an id with characters a file name
//!   should not hold is percent-encoded), written by `opis_formats::tei::write_tei`, which its
//!   reader reads back.
//!
//! A file is written beside its final name and renamed when complete, so a killed export never
//! leaves a half-written file under the final name.

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use opis_index::{Index, MAX_LIMIT, MAX_OFFSET, SearchOptions, Sort};
use opis_model::Document;
use opis_store::{SqlStore, Store};

/// The JSON Lines export's file name.
pub const JSONL_FILE: &str = "opis-documents.jsonl";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// opis JSON Lines, one document per line, in one file.
    Jsonl,
    /// TEI P5, one file per document.
    Tei,
}

/// Exports to `out`; with `query`, only the documents the search matches; with `public_only`,
/// only what an anonymous reader may see today (no restricted or embargoed document). Returns
/// how many.
pub fn run(
    data: &Path,
    store: &SqlStore,
    format: ExportFormat,
    out: &Path,
    query: Option<&str>,
    public_only: bool,
) -> Result<usize> {
    let today = opis_store::access::today_key();
    let shown = |d: &opis_store::StoredDocument| !public_only || d.access_until <= today;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let wanted = match query {
        Some(q) => Some(matching_ids(data, store, q)?),
        None => None,
    };
    let mut sink = Sink::new(format, out)?;
    let mut count = 0usize;
    match &wanted {
        None => store.for_each_document(&mut |d| {
            if !shown(&d) {
                return Ok(());
            }
            count += 1;
            sink.write(&d.document).map_err(|e| opis_store::StoreError::Io { path: out.to_owned(), source: e })
        })?,
        Some(ids) => {
            for id in ids {
                let Some(d) = store.document(id)?.filter(shown) else { continue };
                sink.write(&d.document).with_context(|| format!("writing to {}", out.display()))?;
                count += 1;
            }
        }
    }
    sink.finish().with_context(|| format!("writing to {}", out.display()))?;
    Ok(count)
}

/// The ids of the documents a search matches (a turn's match counts for its document).
fn matching_ids(data: &Path, store: &SqlStore, query: &str) -> Result<BTreeSet<String>> {
    let mut index = Index::open(data).with_context(|| format!("opening the search index in {}", data.display()))?;
    if index.applied_seq() < store.last_change()? {
        index.sync(store).context("updating the search index")?;
    }
    index.set_people(&store.person_names()?);
    let mut ids = BTreeSet::new();
    let mut offset = 0;
    loop {
        let opts = SearchOptions { limit: MAX_LIMIT, offset, sort: Sort::DateAsc, facets: false };
        let results = index.search(query, &opts)?;
        let n = results.hits.len();
        ids.extend(results.hits.into_iter().map(|h| h.id));
        offset += n;
        if n < MAX_LIMIT || offset as u64 >= results.total {
            break;
        }
        anyhow::ensure!(
            offset <= MAX_OFFSET,
            "the query matches {} documents and turns, more than an export by query can page through ({}); \
             narrow it, or export everything",
            results.total,
            MAX_OFFSET
        );
    }
    Ok(ids)
}

/// Where documents go: one JSON Lines file, or a folder of TEI files.
enum Sink {
    Jsonl { out: BufWriter<std::fs::File>, part: PathBuf, path: PathBuf },
    Tei { dir: PathBuf },
}

impl Sink {
    fn new(format: ExportFormat, dir: &Path) -> Result<Sink> {
        Ok(match format {
            ExportFormat::Jsonl => {
                let path = dir.join(JSONL_FILE);
                let part = dir.join(format!(".{JSONL_FILE}.part"));
                let file = std::fs::File::create(&part).with_context(|| format!("creating {}", part.display()))?;
                Sink::Jsonl { out: BufWriter::new(file), part, path }
            }
            ExportFormat::Tei => Sink::Tei { dir: dir.to_owned() },
        })
    }

    fn write(&mut self, doc: &Document) -> std::io::Result<()> {
        match self {
            Sink::Jsonl { out, .. } => {
                serde_json::to_writer(&mut *out, doc)?;
                out.write_all(b"\n")
            }
            Sink::Tei { dir } => {
                let name = file_name(&doc.id);
                let part = dir.join(format!(".{name}.xml.part"));
                std::fs::write(&part, opis_formats::tei::write_tei(doc))?;
                std::fs::rename(&part, dir.join(format!("{name}.xml")))
            }
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Jsonl { out, part, path } => {
                out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                std::fs::rename(part, path)
            }
            Sink::Tei { .. } => Ok(()),
        }
    }
}

/// A file name for a document id: the id when it is letters, digits, `-`, `_` and inner dots,
/// else with every other byte percent-encoded (so two ids never share a file).
fn file_name(id: &str) -> String {
    let plain = !id.is_empty()
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if plain {
        return id.to_owned();
    }
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() { "%".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_are_the_ids_or_encoded_apart() {
        assert_eq!(file_name("wilson-113647"), "wilson-113647");
        assert_eq!(file_name("a/b"), "a%2Fb");
        assert_ne!(file_name("a/b"), file_name("a%2Fb"));
        assert_eq!(file_name(".."), "%2E%2E");
    }
}
