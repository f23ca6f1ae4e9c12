//! The bare tantivy side: the practical limit for plain words and phrases.
//!
//! One entry per document: its id (stored) and one `TEXT` field (title, headings, block texts,
//! notes) with tantivy's default tokenizer (split on non-alphanumerics, lower-case, positions for
//! phrases; the workspace builds tantivy without its `stemmer` feature, so no `en_stem`). No
//! turns, no facets, no snippets, no folding of diacritics or transliterations. The writer gets as many
//! threads and as much memory per thread as the opis index's writer.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use opis_model::Document;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{Field, STORED, STRING, Schema, TEXT, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, doc};

use crate::ingest::{SideReport, read_batches};

const WRITER_MEMORY_PER_THREAD: usize = 48 * 1024 * 1024;
const WRITER_THREADS: usize = 4;

fn schema() -> (Schema, Field, Field) {
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let text = b.add_text_field("text", TEXT);
    (b.build(), id, text)
}

/// Builds the bare index in `dir` from `input`: one commit at the end, merges awaited.
pub fn ingest(input: &Path, dir: &Path) -> Result<SideReport> {
    let (schema, id, text) = schema();
    let index = Index::create_in_dir(dir, schema).context("creating the bare tantivy index")?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, WRITER_THREADS);
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, threads * WRITER_MEMORY_PER_THREAD)?;
    let mut write_s = 0.0;
    let (documents, input_bytes, parse_s) = read_batches(input, |batch| {
        let t = Instant::now();
        for d in batch {
            writer.add_document(doc!(id => d.id.as_str(), text => full_text(&d)))?;
        }
        write_s += t.elapsed().as_secs_f64();
        Ok(())
    })?;
    let t = Instant::now();
    writer.commit()?;
    writer.wait_merging_threads()?;
    let finish_s = t.elapsed().as_secs_f64();
    Ok(SideReport { documents, input_bytes, write_s, finish_s, parse_s, entries: documents, ..Default::default() })
}

fn full_text(d: &Document) -> String {
    let mut s = String::with_capacity(4096);
    s.push_str(&d.title);
    for section in &d.sections {
        if let Some(h) = &section.heading {
            s.push('\n');
            s.push_str(h);
        }
        for b in &section.blocks {
            s.push('\n');
            s.push_str(&b.text);
        }
    }
    for n in &d.notes {
        s.push('\n');
        s.push_str(&n.text);
    }
    s
}

/// A reader over the bare index.
pub struct BareSearcher {
    reader: IndexReader,
    parser: QueryParser,
    id: Field,
}

impl BareSearcher {
    pub fn open(dir: &Path) -> Result<BareSearcher> {
        let index = Index::open_in_dir(dir).context("opening the bare tantivy index")?;
        let schema = index.schema();
        let id = schema.get_field("id")?;
        let text = schema.get_field("text")?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let parser = QueryParser::for_index(&index, vec![text]);
        Ok(BareSearcher { reader, parser, id })
    }

    /// The total and the ids of the top 10 by BM25.
    pub fn search(&self, query: &str) -> Result<(u64, Vec<String>)> {
        let q = self.parser.parse_query(query)?;
        let searcher = self.reader.searcher();
        let (count, top) = searcher.search(&q, &(Count, TopDocs::with_limit(10).order_by_score()))?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, address) in top {
            let d: TantivyDocument = searcher.doc(address)?;
            ids.push(d.get_first(self.id).and_then(|v| v.as_str()).unwrap_or_default().to_owned());
        }
        Ok((count as u64, ids))
    }
}
