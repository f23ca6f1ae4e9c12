//! The opis search index: a tantivy index in `DATA_DIR/index`, derived from the store and
//! rebuildable from it at any time.
//!
//! [`Index::sync`] follows the store's change log: it applies every change after the last
//! applied sequence number, which is kept in tantivy's commit payload, so the index and its
//! position in the log are committed together. A crash between a store commit and the index
//! commit leaves the payload behind the store, and the next sync repairs it (applying a change
//! deletes the document's entries and adds its current version, so applying one twice is
//! harmless). [`Index::rebuild`] drops everything and indexes every current document.
//!
//! Each document is indexed as one entry, and each of its turns as another entry carrying its
//! speakers, its section heading and the document's metadata, so a hit can land on a turn
//! ([`Hit::turn`]). Analysis ([`analysis`]) folds case, diacritics and Cyrillic, stems by the
//! document's language, and gives names a key under which their spellings meet; archival
//! references are searchable as a unit. Queries use opis's own language ([`query`]).
//!
//! Modules: [`analysis`] (tokens, folding, name keys, stems, archival keys), [`query`] (the
//! parser), `schema` (fields and entries), `search` (query building, facets, snippets).
//!
//! An index whose schema or analysis version differs from this build's, or that cannot be
//! opened, is discarded by [`Index::open`] (it is derived data) and rebuilt by the next sync.

pub mod analysis;
mod merges;
pub mod people;
pub mod query;
mod schema;
mod search;
mod tokenizers;

pub use search::FACET_VALUES;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use opis_model::DocDate;
use opis_store::access::Visibility;
use opis_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use tantivy::schema::Schema;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::schema::{Fields, SCHEMA_VERSION};

/// The index folder inside the data folder.
pub const INDEX_DIR: &str = "index";

/// Changes applied per index commit during [`Index::sync`] (a commit flushes segments and
/// starts merges, so commits are kept few; a crash only loses work the next sync redoes).
pub const SYNC_BATCH: usize = 10_000;

/// Memory each indexing thread may use before it flushes a segment (tantivy's minimum is 15 MB).
const WRITER_MEMORY_PER_THREAD: usize = 48 * 1024 * 1024;
/// Most indexing threads (they analyse the text with [`tokenizers`] and build segments).
const WRITER_THREADS: usize = 4;
/// Most threads one search spreads its segments over.
const SEARCH_THREADS: usize = 4;

/// Most hits one search returns, and the deepest offset it pages to.
pub const MAX_LIMIT: usize = 1000;
pub const MAX_OFFSET: usize = 100_000;

/// What can go wrong in the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("cannot use the index folder {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the index folder {path} is being written by another opis process")]
    Locked { path: PathBuf },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A query the parser rejects; `position` is the 0-based character offset of the place.
    #[error("{message} at column {}", position + 1)]
    Query { message: String, position: usize },
}

impl IndexError {
    /// For a query error: the query with a caret under the offending place, for a terminal.
    pub fn pointer(&self, query: &str) -> Option<String> {
        match self {
            IndexError::Query { position, .. } => {
                let line: String = query.chars().map(|c| if c == '\n' || c == '\t' { ' ' } else { c }).collect();
                Some(format!("{line}\n{}^", " ".repeat(*position)))
            }
            _ => None,
        }
    }
}

impl From<query::QueryError> for IndexError {
    fn from(e: query::QueryError) -> Self {
        IndexError::Query { message: e.message, position: e.position }
    }
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

/// What one [`Index::sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Change-log entries applied.
    pub applied: usize,
    /// Documents (re)indexed.
    pub documents: usize,
}

/// How hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    DateAsc,
    DateDesc,
}

/// Options of one search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchOptions {
    /// Hits to return (at most [`MAX_LIMIT`]; 0 returns only `total` and facets).
    pub limit: usize,
    /// Hits to skip (at most [`MAX_OFFSET`]).
    pub offset: usize,
    pub sort: Sort,
    /// Count facets over everything the query matches.
    pub facets: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { limit: 10, offset: 0, sort: Sort::Relevance, facets: false }
    }
}

/// One hit: a whole document (`turn` is `None`) or one of its turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hit {
    /// The document's id.
    pub id: String,
    /// The turn's index among the document's turns (0-based, reading order).
    pub turn: Option<u32>,
    /// The turn's speakers; empty for a document hit.
    pub speakers: Vec<String>,
    pub title: String,
    pub date: Option<DocDate>,
    pub kind: String,
    /// HTML: the text around the matches, escaped, matches in `<b>…</b>`.
    pub snippet: String,
    pub score: f32,
}

impl Hit {
    /// The snippet as plain text (no tags, entities decoded), for a terminal.
    pub fn snippet_plain(&self) -> String {
        self.snippet_segments().into_iter().map(|(s, _)| s).collect()
    }

    /// The snippet as (text, highlighted) segments, plain text, for coloured output.
    pub fn snippet_segments(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let mut rest = self.snippet.as_str();
        while !rest.is_empty() {
            match rest.find("<b>") {
                Some(open) => {
                    if open > 0 {
                        out.push((unescape(&rest[..open]), false));
                    }
                    let after = &rest[open + 3..];
                    let close = after.find("</b>").unwrap_or(after.len());
                    out.push((unescape(&after[..close]), true));
                    rest = after.get(close + 4..).unwrap_or("");
                }
                None => {
                    out.push((unescape(rest), false));
                    rest = "";
                }
            }
        }
        out
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The answer to a search, as `document-model.md` specifies `SearchResults`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResults {
    /// Documents plus turns matched.
    pub total: u64,
    pub hits: Vec<Hit>,
    /// Facet name → value → count; empty unless asked for. Document facets (kind, language,
    /// collection, year, month (YYYY-MM of the date's start), person, archive) count documents, the
    /// speaker facet counts turns.
    /// Left out of the JSON when empty (facets not asked for).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    seq: i64,
    schema: u32,
}

/// The search index of one data folder.
pub struct Index {
    path: PathBuf,
    index: tantivy::Index,
    fields: Fields,
    reader: IndexReader,
    writer: Option<IndexWriter<schema::Entry>>,
    applied: i64,
    /// The last seq given to [`Index::apply_written`] and not yet committed.
    pending: Option<i64>,
    /// The index was discarded or is of another version: the next sync rebuilds it.
    stale: bool,
    cache: ResultCache,
    /// The people authority's spellings (empty until [`Index::set_people`]).
    people: std::sync::RwLock<std::sync::Arc<people::PeopleNames>>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io { path: path.to_owned(), source }
}

impl Index {
    /// Opens (creating if needed) the index in `data_dir/index`.
    pub fn open(data_dir: &Path) -> Result<Index> {
        let path = data_dir.join(INDEX_DIR);
        std::fs::create_dir_all(&path).map_err(io_err(&path))?;
        let (schema, fields) = schema::build_schema();
        let mut stale = false;
        let existing = if path.join("meta.json").exists() {
            match tantivy::Index::open_in_dir(&path) {
                Ok(index) if same_schema(&index.schema(), &schema) && payload_of(&index).is_some() => Some(index),
                Ok(index) if same_schema(&index.schema(), &schema) && index.searchable_segment_ids()?.is_empty() => {
                    Some(index)
                }
                _ => None,
            }
        } else {
            None
        };
        let mut index = match existing {
            Some(index) => index,
            None => {
                if path.join("meta.json").exists() {
                    // Another version, or unreadable: derived data, so start again.
                    std::fs::remove_dir_all(&path).map_err(io_err(&path))?;
                    std::fs::create_dir_all(&path).map_err(io_err(&path))?;
                    stale = true;
                }
                tantivy::Index::create_in_dir(&path, schema)?
            }
        };
        tokenizers::register(&index);
        // A search reads its segments on every core: at a million documents a search's time is
        // mostly memory stalls (posting blocks, the facet column), which cores overlap.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(SEARCH_THREADS);
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        let applied = payload_of(&index).map_or(0, |p| p.seq);
        Ok(Index {
            path,
            index,
            fields,
            reader,
            writer: None,
            applied,
            pending: None,
            stale,
            cache: ResultCache::default(),
            people: Default::default(),
        })
    }

    /// Makes the latest commit (by this or another writer) visible to searches now.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    /// The last store change sequence number this index has applied.
    pub fn applied_seq(&self) -> i64 {
        self.applied
    }

    /// The index folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&mut self) -> Result<&mut IndexWriter<schema::Entry>> {
        if self.writer.is_none() {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, WRITER_THREADS);
            let writer = self
                .index
                .writer_with_num_threads::<schema::Entry>(threads, threads * WRITER_MEMORY_PER_THREAD)
                .map_err(|e| match e {
                    tantivy::TantivyError::LockFailure(..) => IndexError::Locked { path: self.path.clone() },
                    e => IndexError::Tantivy(e),
                })?;
            writer.set_merge_policy(Box::new(merges::BoundedMerges::new(self.path.clone())));
            self.writer = Some(writer);
        }
        match self.writer.as_mut() {
            Some(w) => Ok(w),
            None => Err(IndexError::Locked { path: self.path.clone() }),
        }
    }

    fn commit(&mut self, seq: i64) -> Result<()> {
        let payload = serde_json::to_string(&Payload { seq, schema: SCHEMA_VERSION }).unwrap_or_default();
        let writer = self.writer()?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.applied = seq;
        self.pending = None;
        self.reader.reload()?;
        Ok(())
    }

    /// Indexes documents the caller has just written to the store under the change-log seqs
    /// `seqs` (`written` in seq order, each with its version: a [`opis_store::BatchReceipt`]'s
    /// new and changed documents), without reading them back. Returns `false`, and indexes
    /// nothing, when they do not continue where the index stands (another writer logged changes
    /// in between, or the index must be rebuilt): then [`Index::sync`] brings it up from the
    /// log. Nothing is visible to searches until [`Index::commit_written`]. The documents are
    /// indexed as public and as given: a batch whose receipt says `reread` is indexed by
    /// [`Index::sync`] instead.
    pub fn apply_written(
        &mut self,
        written: &[(&opis_model::Document, u32)],
        seqs: std::ops::RangeInclusive<i64>,
    ) -> Result<bool> {
        let next = self.pending.unwrap_or(self.applied) + 1;
        if self.stale || *seqs.start() != next || seqs.clone().count() != written.len() {
            return Ok(false);
        }
        let fields = self.fields.clone();
        let writer = self.writer()?;
        for (doc, version) in written {
            // A first version has nothing to replace: the index never runs ahead of the store
            // (it commits after it, and `sync` rebuilds an index that is ahead), so no entry of
            // this id can be in it. Each delete is looked up in every segment as it is flushed.
            if *version > 1 {
                writer.delete_term(Term::from_field_text(fields.id, &doc.id));
            }
            for entry in schema::entries(doc, *version, opis_store::access::PUBLIC, &fields) {
                writer.add_document(entry)?;
            }
        }
        self.pending = Some(*seqs.end());
        Ok(true)
    }

    /// Commits what [`Index::apply_written`] added, with the seq it reached.
    pub fn commit_written(&mut self) -> Result<()> {
        match self.pending {
            Some(seq) => self.commit(seq),
            None => Ok(()),
        }
    }

    /// Applies every store change after [`Index::applied_seq`], committing every
    /// [`SYNC_BATCH`] changes with the sequence reached. Rebuilds instead when the index was
    /// discarded on open or the store's log is behind the index (another store).
    pub fn sync(&mut self, store: &dyn Store) -> Result<SyncReport> {
        // Written-but-uncommitted documents are committed first: they continue the log.
        self.commit_written()?;
        let last = store.last_change()?;
        if self.stale || last < self.applied {
            self.rebuild(store)?;
            let documents = self.ids_and_versions()?.len();
            return Ok(SyncReport { applied: 0, documents });
        }
        let mut report = SyncReport::default();
        loop {
            let changes = store.changes_since(self.applied, SYNC_BATCH)?;
            let Some(seq) = changes.last().map(|c| c.seq) else {
                break;
            };
            let mut ids = BTreeSet::new();
            for c in &changes {
                ids.insert(c.doc_id.as_str());
            }
            let fields = self.fields.clone();
            let writer = self.writer()?;
            let mut documents = 0;
            let applied: Result<()> = (|| {
                for id in ids {
                    writer.delete_term(Term::from_field_text(fields.id, id));
                    if let Some(stored) = store.document(id)? {
                        for entry in schema::entries(&stored.document, stored.version, stored.access_until, &fields) {
                            writer.add_document(entry)?;
                        }
                        documents += 1;
                    }
                }
                Ok(())
            })();
            if let Err(e) = applied {
                // Nothing of a failed batch is committed; the next sync applies it again.
                writer.rollback()?;
                return Err(e);
            }
            report.documents += documents;
            report.applied += changes.len();
            self.commit(seq)?;
        }
        Ok(report)
    }

    /// Drops every entry and indexes every current document of `store`; the applied sequence
    /// becomes the store's last change (read first, so changes made meanwhile are applied again
    /// by the next sync). One commit: a crash midway leaves the previous index.
    pub fn rebuild(&mut self, store: &dyn Store) -> Result<()> {
        let last = store.last_change()?;
        let fields = self.fields.clone();
        let writer = self.writer()?;
        writer.delete_all_documents()?;
        let mut failure: Option<tantivy::TantivyError> = None;
        let walked = store.for_each_document(&mut |stored| {
            if failure.is_none() {
                for entry in schema::entries(&stored.document, stored.version, stored.access_until, &fields) {
                    if let Err(e) = writer.add_document(entry) {
                        failure = Some(e);
                        break;
                    }
                }
            }
            Ok(())
        });
        let outcome = match (walked, failure) {
            (Err(e), _) => Err(IndexError::Store(e)),
            (_, Some(e)) => Err(IndexError::Tantivy(e)),
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            writer.rollback()?;
            return Err(e);
        }
        self.commit(last)?;
        self.stale = false;
        Ok(())
    }

    /// One row per indexed document: its id and the version indexed, sorted by id.
    pub fn ids_and_versions(&self) -> Result<Vec<(String, u32)>> {
        search::ids_and_versions(&self.reader.searcher())
    }

    /// Hands the index the people authority's spellings ((person id, form) pairs, as
    /// `SqlStore::person_names` lists them): `person:` and `speaker:` then ask for every
    /// spelling of the persons a name denotes. Cached answers are dropped when they change.
    pub fn set_people(&self, names: &[(String, String)]) {
        let new = people::PeopleNames::new(names);
        let mut current = self.people.write().unwrap_or_else(|e| e.into_inner());
        if **current != new {
            *current = std::sync::Arc::new(new);
            self.cache.clear();
        }
    }

    /// Searches the index with the query language of [`query`]. Answers are kept in a small
    /// cache for the searcher generation they came from (a commit starts a new one), so the
    /// same query with the same options, as a reader paging or narrowing by facets sends it,
    /// is answered without searching again.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<SearchResults> {
        self.search_as(query, opts, &Visibility::Everything)
    }

    /// As [`Index::search`], seeing only what `visibility` may see: hits, totals and facet
    /// counts leave out every document (and turn) it may not.
    pub fn search_as(&self, query: &str, opts: &SearchOptions, visibility: &Visibility) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let key = (query.to_owned(), opts.limit, opts.offset, opts.sort, opts.facets, visibility.clone());
        if let Some(hit) = self.cache.get(generation, &key) {
            return Ok(hit);
        }
        let node = query::parse(query)?;
        let people = self.people.read().unwrap_or_else(|e| e.into_inner()).clone();
        let results = search::run(&searcher, &self.fields, &node, opts, visibility, &people)?;
        self.cache.put(generation, key, &results);
        Ok(results)
    }

    /// [`Index::search`] without the result cache: every call searches (benchmarks time this).
    pub fn search_uncached(&self, query: &str, opts: &SearchOptions) -> Result<SearchResults> {
        let node = query::parse(query)?;
        let people = self.people.read().unwrap_or_else(|e| e.into_inner()).clone();
        search::run(&self.reader.searcher(), &self.fields, &node, opts, &Visibility::Everything, &people)
    }
}

/// (query, limit, offset, sort, facets, viewer): what a search's answer depends on, with the index.
type CacheKey = (String, usize, usize, Sort, bool, Visibility);

/// Answers of recent searches for one searcher generation; emptied when the generation
/// changes; when full, an arbitrary answer makes room (the map's order is as good as random).
#[derive(Default)]
struct ResultCache {
    inner: std::sync::Mutex<(u64, std::collections::HashMap<CacheKey, std::sync::Arc<SearchResults>>)>,
}

impl ResultCache {
    const CAPACITY: usize = 1024;

    fn get(&self, generation: u64, key: &CacheKey) -> Option<SearchResults> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.0 == generation).then(|| inner.1.get(key).map(|r| SearchResults::clone(r))).flatten()
    }

    fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).1.clear();
    }

    fn put(&self, generation: u64, key: CacheKey, results: &SearchResults) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.0 != generation {
            inner.1.clear();
            inner.0 = generation;
        } else if inner.1.len() >= Self::CAPACITY
            && let Some(k) = inner.1.keys().next().cloned()
        {
            inner.1.remove(&k);
        }
        inner.1.insert(key, std::sync::Arc::new(results.clone()));
    }
}

fn payload_of(index: &tantivy::Index) -> Option<Payload> {
    let metas = index.load_metas().ok()?;
    let payload: Payload = serde_json::from_str(metas.payload.as_deref()?).ok()?;
    (payload.schema == SCHEMA_VERSION).then_some(payload)
}

fn same_schema(a: &Schema, b: &Schema) -> bool {
    serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}
