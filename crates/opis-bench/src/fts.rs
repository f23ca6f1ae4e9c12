//! The SQLite FTS5 side: what a small archive would build without opis.
//!
//! One database, `fts5.sqlite3`, in WAL mode with `synchronous=NORMAL` (as the opis store):
//! a `documents` table (id, title, date range, kind, language, collection, the model JSON)
//! with B-tree indexes on date, kind and language; an FTS5 table over title, body (headings and
//! every block's text), notes and speakers; and an FTS5 table of turns (document, turn index,
//! speakers, text) so a hit can land on a turn. Both use the
//! `porter unicode61 remove_diacritics 2` tokenizer, FTS5's nearest to opis's folding and
//! English stemming. Inserts go in transactions of [`crate::ingest::BATCH`] documents; the
//! ingest ends with FTS5's `optimize` (merging its segments, as tantivy merges its own).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use opis_model::{BlockKind, Document};
use rusqlite::{Connection, OpenFlags, ToSql, params, params_from_iter};

use crate::ingest::{SideReport, read_batches};

/// The database file inside the FTS5 folder.
pub const FILE: &str = "fts5.sqlite3";

const SCHEMA: &str = "
CREATE TABLE documents (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    date_from TEXT,
    date_to TEXT,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    collection TEXT,
    json TEXT NOT NULL
);
CREATE INDEX documents_date ON documents (date_from, date_to);
CREATE INDEX documents_kind ON documents (kind);
CREATE INDEX documents_language ON documents (language);
CREATE VIRTUAL TABLE documents_fts USING fts5(
    title, body, notes, speakers,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE turns_fts USING fts5(
    doc UNINDEXED, turn UNINDEXED, speakers, text,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
";

/// Builds the FTS5 database in `dir` from `input`.
pub fn ingest(input: &Path, dir: &Path) -> Result<SideReport> {
    let mut conn = Connection::open(dir.join(FILE)).context("opening the FTS5 database")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(SCHEMA).context("creating the FTS5 schema")?;
    let mut write_s = 0.0;
    let mut turn_rows = 0usize;
    let (documents, input_bytes, parse_s) = read_batches(input, |batch| {
        let t = Instant::now();
        let tx = conn.transaction()?;
        for doc in &batch {
            turn_rows += insert(&tx, doc)?;
        }
        tx.commit()?;
        write_s += t.elapsed().as_secs_f64();
        Ok(())
    })?;
    let t = Instant::now();
    conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('optimize')", [])?;
    conn.execute("INSERT INTO turns_fts (turns_fts) VALUES ('optimize')", [])?;
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    drop(conn);
    let finish_s = t.elapsed().as_secs_f64();
    Ok(SideReport { documents, input_bytes, write_s, finish_s, parse_s, entries: turn_rows, ..Default::default() })
}

/// Inserts one document and its turns; returns the number of turns.
fn insert(tx: &rusqlite::Transaction<'_>, doc: &Document) -> Result<usize> {
    let json = serde_json::to_string(doc)?;
    let mut body = String::new();
    let mut speakers = BTreeSet::new();
    let mut turns = Vec::new();
    for section in &doc.sections {
        if let Some(h) = &section.heading {
            body.push_str(h);
            body.push('\n');
        }
        for b in &section.blocks {
            body.push_str(&b.text);
            body.push('\n');
            if b.kind == BlockKind::Turn {
                speakers.extend(b.speakers.iter().map(String::as_str));
                turns.push(b);
            }
        }
    }
    let notes: Vec<&str> = doc.notes.iter().map(|n| n.text.as_str()).collect();
    let speakers: Vec<&str> = speakers.into_iter().collect();
    let (from, to) = match &doc.date {
        Some(d) => (Some(d.from.as_str()), Some(d.to.as_str())),
        None => (None, None),
    };
    tx.prepare_cached(
        "INSERT INTO documents (id, title, date_from, date_to, kind, language, collection, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![doc.id, doc.title, from, to, doc.kind, doc.language, doc.collection, json])?;
    let n = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO documents_fts (rowid, title, body, notes, speakers) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![n, doc.title, body, notes.join("\n"), speakers.join("; ")])?;
    let mut stmt = tx.prepare_cached("INSERT INTO turns_fts (doc, turn, speakers, text) VALUES (?1, ?2, ?3, ?4)")?;
    for (i, b) in turns.iter().enumerate() {
        stmt.execute(params![n, i as i64, b.speakers.join("; "), b.text])?;
    }
    Ok(turns.len())
}

/// One query in FTS5 terms.
#[derive(Debug, Clone, Copy)]
pub enum FtsQuery {
    /// MATCH on documents and on turns, optionally within a date range (`from`, `to`), with
    /// facet counts (kind, language, collection, year over documents; speakers over turns).
    Match { docs: &'static str, turns: &'static str, date: Option<(&'static str, &'static str)>, facets: bool },
    /// No text: a SQL condition on `documents` (`?1`, `?2` bound to `args`).
    Filter { condition: &'static str, args: &'static [&'static str] },
}

/// What one FTS5 search returned (kept so the work cannot be optimised away).
#[derive(Debug, Default)]
pub struct FtsResults {
    pub total: u64,
    pub hits: Vec<(String, Option<i64>, String, f64)>,
    pub facets: BTreeMap<&'static str, BTreeMap<String, u64>>,
}

/// A read connection to the FTS5 database.
pub struct FtsSearcher {
    conn: Connection,
}

impl FtsSearcher {
    /// Opens read-only, with a 64 MiB page cache and memory-mapped I/O (tantivy maps its files).
    pub fn open(dir: &Path) -> Result<FtsSearcher> {
        let conn = Connection::open_with_flags(
            dir.join(FILE),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .context("opening the FTS5 database")?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.pragma_update(None, "mmap_size", 1i64 << 32)?;
        Ok(FtsSearcher { conn })
    }

    /// Top 10 hits by `bm25` (documents and turns, merged by score) with a `snippet()`, the total,
    /// and facets when asked.
    pub fn search(&self, q: &FtsQuery) -> Result<FtsResults> {
        match *q {
            FtsQuery::Match { docs, turns, date, facets } => self.search_match(docs, turns, date, facets),
            FtsQuery::Filter { condition, args } => self.search_filter(condition, args),
        }
    }

    fn search_match(&self, docs: &str, turns: &str, date: Option<(&str, &str)>, facets: bool) -> Result<FtsResults> {
        let mut out = FtsResults::default();
        let (from, to) = date.unwrap_or(("", ""));
        // Top documents. Without a filter, FTS5 sorts by rank itself and makes snippets for the
        // ten rows only; with one, SQLite joins and sorts.
        let doc_sql = if date.is_some() {
            "SELECT d.id, snippet(documents_fts, -1, '<b>', '</b>', '…', 16), documents_fts.rank
             FROM documents_fts JOIN documents d ON d.n = documents_fts.rowid
             WHERE documents_fts MATCH ?1 AND d.date_from <= ?3 AND d.date_to >= ?2
             ORDER BY documents_fts.rank LIMIT 10"
        } else {
            "SELECT d.id, m.snip, m.rank FROM
               (SELECT rowid, snippet(documents_fts, -1, '<b>', '</b>', '…', 16) AS snip, rank
                FROM documents_fts WHERE documents_fts MATCH ?1 ORDER BY rank LIMIT 10) m
             JOIN documents d ON d.n = m.rowid ORDER BY m.rank"
        };
        let (dfrom, dto) = if date.is_some() { (from, to) } else { ("", "") };
        let doc_params: Vec<&dyn ToSql> = if date.is_some() { vec![&docs, &dfrom, &dto] } else { vec![&docs] };
        let turn_params: Vec<&dyn ToSql> = if date.is_some() { vec![&turns, &dfrom, &dto] } else { vec![&turns] };
        let mut stmt = self.conn.prepare_cached(doc_sql)?;
        let rows = stmt.query_map(&*doc_params, |r| Ok((r.get(0)?, None, r.get(1)?, r.get(2)?)))?;
        for row in rows {
            out.hits.push(row?);
        }
        let turn_sql = if date.is_some() {
            "SELECT d.id, turns_fts.turn, snippet(turns_fts, 3, '<b>', '</b>', '…', 16), turns_fts.rank
             FROM turns_fts JOIN documents d ON d.n = turns_fts.doc
             WHERE turns_fts MATCH ?1 AND d.date_from <= ?3 AND d.date_to >= ?2
             ORDER BY turns_fts.rank LIMIT 10"
        } else {
            "SELECT d.id, m.turn, m.snip, m.rank FROM
               (SELECT doc, turn, snippet(turns_fts, 3, '<b>', '</b>', '…', 16) AS snip, rank
                FROM turns_fts WHERE turns_fts MATCH ?1 ORDER BY rank LIMIT 10) m
             JOIN documents d ON d.n = m.doc ORDER BY m.rank"
        };
        let mut stmt = self.conn.prepare_cached(turn_sql)?;
        let rows = stmt.query_map(&*turn_params, |r| Ok((r.get(0)?, Some(r.get(1)?), r.get(2)?, r.get(3)?)))?;
        for row in rows {
            out.hits.push(row?);
        }
        out.hits.sort_by(|a, b| a.3.total_cmp(&b.3));
        out.hits.truncate(10);
        if facets {
            // One pass over the matching documents gives every document facet and the count.
            let mut stmt = self.conn.prepare_cached(
                "SELECT d.kind, d.language, coalesce(d.collection, ''), coalesce(substr(d.date_from, 1, 4), ''),
                        count(*)
                 FROM documents_fts JOIN documents d ON d.n = documents_fts.rowid
                 WHERE documents_fts MATCH ?1 AND (?2 = '' OR (d.date_from <= ?3 AND d.date_to >= ?2))
                 GROUP BY 1, 2, 3, 4",
            )?;
            let mut rows = stmt.query(params![docs, dfrom, dto])?;
            while let Some(r) = rows.next()? {
                let n: i64 = r.get(4)?;
                let n = n as u64;
                out.total += n;
                for (i, name) in ["kind", "language", "collection", "year"].into_iter().enumerate() {
                    let value: String = r.get(i)?;
                    *out.facets.entry(name).or_default().entry(value).or_default() += n;
                }
            }
            let mut stmt = self.conn.prepare_cached(
                "SELECT speakers, count(*) FROM turns_fts JOIN documents d ON d.n = turns_fts.doc
                 WHERE turns_fts MATCH ?1 AND (?2 = '' OR (d.date_from <= ?3 AND d.date_to >= ?2))
                 GROUP BY 1",
            )?;
            let mut rows = stmt.query(params![turns, dfrom, dto])?;
            while let Some(r) = rows.next()? {
                let n: i64 = r.get(1)?;
                out.total += n as u64;
                out.facets.entry("speaker").or_default().insert(r.get(0)?, n as u64);
            }
        } else {
            let (doc_count, turn_count) = if date.is_some() {
                (
                    "SELECT count(*) FROM documents_fts JOIN documents d ON d.n = documents_fts.rowid
                     WHERE documents_fts MATCH ?1 AND d.date_from <= ?3 AND d.date_to >= ?2",
                    "SELECT count(*) FROM turns_fts JOIN documents d ON d.n = turns_fts.doc
                     WHERE turns_fts MATCH ?1 AND d.date_from <= ?3 AND d.date_to >= ?2",
                )
            } else {
                (
                    "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?1",
                    "SELECT count(*) FROM turns_fts WHERE turns_fts MATCH ?1",
                )
            };
            let d: i64 = self.conn.prepare_cached(doc_count)?.query_row(&*doc_params, |r| r.get(0))?;
            let t: i64 = self.conn.prepare_cached(turn_count)?.query_row(&*turn_params, |r| r.get(0))?;
            out.total = (d + t) as u64;
        }
        Ok(out)
    }

    fn search_filter(&self, condition: &str, args: &[&str]) -> Result<FtsResults> {
        let mut out = FtsResults::default();
        let sql = format!("SELECT id, title FROM documents WHERE {condition} LIMIT 10");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| Ok((r.get(0)?, None, r.get(1)?, 0.0)))?;
        for row in rows {
            out.hits.push(row?);
        }
        // Documents only: opis counts documents, not turns, for a query without words.
        let sql = format!("SELECT count(*) FROM documents WHERE {condition}");
        let d: i64 = self.conn.prepare_cached(&sql)?.query_row(params_from_iter(args), |r| r.get(0))?;
        out.total = d as u64;
        Ok(out)
    }
}
