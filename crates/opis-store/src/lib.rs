//! The opis store: the source of truth for documents, their versions, and the
//! facts about them that are queried (turns, notes, archival references, collections, and
//! what the people authority needs of each document and makes of them).
//!
//! [`Store`] is the interface; [`SqlStore`] implements it, with every other query of the
//! crate, once for two engines: SQLite (embedded, one file in WAL mode in the data folder, the
//! default) and PostgreSQL (a server: [`StoreAt::Postgres`]). `db` is the thin layer that
//! lets one SQL text and one code path serve both. Nothing outside this crate writes SQL.
//!
//! Invariants:
//! - Every write of documents is one transaction: a batch lands whole or not at
//!   all, whatever kills the process.
//! - A document whose content hash is unchanged writes nothing; a changed one
//!   becomes a new version and the old version stays readable.
//! - Every write appends to a change log (`changes`, a monotonically increasing
//!   sequence written in the same transaction), which the search index follows to
//!   stay current and to catch up after a crash.

pub mod access;
pub mod audit;
pub mod auth;
mod backup;
pub mod browse;
mod catalog;
pub mod corrections;
mod db;
pub mod listing;
pub mod migrate;
mod migrations;
mod people;
mod sql;
pub mod time;

use opis_model::Document;

pub use catalog::{CollectionSummary, DocumentFilter, DocumentSummary};
pub use db::Engine;
pub use people::{PEOPLE_BATCH, PEOPLE_SUMMARY_BATCH, PeopleWriter};
pub use sql::{STORE_FILE, SqlStore, StoreAt, create_postgres_database};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite's own message is the whole story (it is not repeated as a source).
    #[error("store database error: {0}")]
    Sqlite(rusqlite::Error),
    /// PostgreSQL's message, with the server's detail when it gave one.
    #[error("store database error (PostgreSQL): {0}")]
    Postgres(String),
    /// A column held another type than the store expected (a damaged or foreign database).
    #[error("store database error: column {column} holds {found} where {expected} was expected")]
    Type { column: usize, expected: &'static str, found: &'static str },
    /// Someone else changed the document since the version the change was made against.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Something this engine does not do (the message says what to do instead).
    #[error("{0}")]
    Unsupported(String),
    /// SQLite could not write: the disk (or the file system's quota) is full. The transaction
    /// was rolled back; everything committed before it is whole.
    #[error(
        "the disk holding the data folder is full: this write was not stored (everything stored \
         before it is kept whole); free some space and run the same command again"
    )]
    DiskFull,
    #[error("cannot open the data folder {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("stored document {id} version {version} is not valid JSON for the model: {source}")]
    Corrupt {
        id: String,
        version: u32,
        #[source]
        source: serde_json::Error,
    },
    #[error("stored document {id} version {version} cannot be decoded: {message}")]
    Undecodable { id: String, version: u32, message: String },
    #[error(
        "the data folder was written by a newer opis (schema version {found}, this build knows up to {known}); upgrade opis"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error(
        "the replica's schema is at version {found} after {seconds} s of waiting, the primary's at {known}: \
         is the replica following the primary?"
    )]
    ReplicaBehind { found: i64, known: i64, seconds: u64 },
    /// An account, token or access rule that cannot be made as asked (the message says why).
    #[error("{0}")]
    Auth(String),
    /// A correction that does not apply to the document (the message says why).
    #[error("the correction does not apply: {0}")]
    Correction(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull => StoreError::DiskFull,
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        match e.as_db_error() {
            Some(db) if *db.code() == postgres::error::SqlState::DISK_FULL => StoreError::DiskFull,
            Some(db) => StoreError::Postgres(match db.detail() {
                Some(detail) => format!("{}: {detail}", db.message()),
                None => db.message().to_owned(),
            }),
            None => StoreError::Postgres(e.to_string()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where a document came from, kept with each version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The file it was read from.
    pub source_path: String,
}

/// What storing one document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// A document id not seen before: version 1.
    New,
    /// The content changed: a new version was written, the old one kept.
    Changed { version: u32 },
    /// Same content hash as the current version: nothing written.
    Unchanged,
}

/// A document as stored: the model plus its version and bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDocument {
    pub document: Document,
    pub version: u32,
    pub content_hash: String,
    /// When this version was written (UTC, RFC 3339).
    pub updated_at: String,
    pub source_path: Option<String>,
    /// The first day (`YYYYMMDD`) the document is public: [`access::PUBLIC`] (0) when it is,
    /// [`access::RESTRICTED`] when only grants open it.
    pub access_until: i64,
}

/// One version of a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    pub version: u32,
    pub content_hash: String,
    pub created_at: String,
    pub source_path: Option<String>,
}

/// Counts over the whole store (the model's `Stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    pub documents: u64,
    pub turns: u64,
    pub notes: u64,
    /// Persons of the people authority that documents name (each once, however many
    /// spellings the documents use).
    pub persons: u64,
    pub collections: std::collections::BTreeMap<String, u64>,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub doc_id: String,
    pub version: u32,
}

/// A document ready to store: its JSON serialized, hashed and compressed once, on whichever
/// thread prepares it (ingest prepares on its parsing threads, so the writer only writes).
#[derive(Debug, Clone)]
pub struct PreparedDocument {
    document: Document,
    /// The model JSON, LZ4-compressed (block format, size prepended), as the store keeps it.
    stored: Vec<u8>,
    hash: String,
    /// What the people authority needs of it, stored beside it when the store keeps the
    /// document as handed in (no correction re-applied).
    people: Option<opis_model::people::PeopleSummary>,
}

impl PreparedDocument {
    pub fn new(document: Document) -> PreparedDocument {
        let json = serde_json::to_vec(&document).expect("a Document always serializes");
        let hash = hash_json(&json);
        let stored = lz4_flex::block::compress_prepend_size(&json);
        PreparedDocument { document, stored, hash, people: None }
    }

    /// With the document's people summary (`opis_formats::extract::authority::summary_of`),
    /// made on the preparing thread and stored in the document's transaction.
    pub fn with_people(mut self, people: opis_model::people::PeopleSummary) -> PreparedDocument {
        self.people = Some(people);
        self
    }

    pub fn people(&self) -> Option<&opis_model::people::PeopleSummary> {
        self.people.as_ref()
    }

    pub fn document(&self) -> &Document {
        &self.document
    }

    /// What the store keeps: the JSON, compressed.
    pub fn stored(&self) -> &[u8] {
        &self.stored
    }

    /// The content hash ([`content_hash`] of the document).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    pub fn into_document(self) -> Document {
        self.document
    }
}

/// What one [`Store::put_prepared`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReceipt {
    /// What happened to each document, in batch order.
    pub outcomes: Vec<PutOutcome>,
    /// The change-log sequence numbers the batch's new and changed documents were logged
    /// under, in batch order: contiguous, since a batch is one write transaction. `None` when
    /// every document was unchanged.
    pub seqs: Option<std::ops::RangeInclusive<i64>>,
    /// Some written document is not exactly what was handed in (stored corrections were
    /// re-applied to it) or is not public: index from the store (`Index::sync`), not from the
    /// batch.
    pub reread: bool,
}

/// The store interface: SQLite today, PostgreSQL later, tested alike.
pub trait Store {
    /// Stores a batch of prepared documents in one transaction and says what happened to each.
    fn put_prepared(&mut self, batch: &[(PreparedDocument, Provenance)]) -> Result<BatchReceipt>;
    /// Stores a batch of documents in one transaction and says what happened to each.
    fn put_batch(&mut self, batch: &[(Document, Provenance)]) -> Result<Vec<PutOutcome>> {
        let prepared: Vec<_> = batch.iter().map(|(d, p)| (PreparedDocument::new(d.clone()), p.clone())).collect();
        Ok(self.put_prepared(&prepared)?.outcomes)
    }
    /// The current version of a document.
    fn document(&self, id: &str) -> Result<Option<StoredDocument>>;
    /// Every version of a document, oldest first.
    fn versions(&self, id: &str) -> Result<Vec<VersionInfo>>;
    /// One version of a document.
    fn version(&self, id: &str, version: u32) -> Result<Option<Document>>;
    /// Calls `f` with every current document, in id order.
    fn for_each_document(&self, f: &mut dyn FnMut(StoredDocument) -> Result<()>) -> Result<()>;
    /// Every document id with its current version, in id order.
    fn ids_and_versions(&self) -> Result<Vec<(String, u32)>>;
    /// Changes after `seq`, oldest first, at most `limit`.
    fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>>;
    /// The last change's sequence number (0 for an empty store).
    fn last_change(&self) -> Result<i64>;
    fn stats(&self) -> Result<Stats>;
}

/// The content hash of a document: SHA-256 of its JSON, hex.
pub fn content_hash(doc: &Document) -> String {
    hash_json(&serde_json::to_vec(doc).expect("a Document always serializes"))
}

fn hash_json(json: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let digest = Sha256::digest(json);
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The stores a unit test runs on: an embedded store in a fresh folder, and — when
/// `OPIS_TEST_POSTGRES` names a PostgreSQL server (`scripts/test` starts one) — a store in a
/// fresh database of its own on it. With `OPIS_REQUIRE_POSTGRES=1` a missing server fails the
/// test instead of leaving PostgreSQL untested.
#[cfg(test)]
pub(crate) fn test_stores(prefix: &str) -> Vec<SqlStore> {
    let mut stores = vec![SqlStore::open(&test_dir(prefix)).unwrap()];
    match std::env::var("OPIS_TEST_POSTGRES") {
        Ok(admin) if !admin.is_empty() => {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
            let name = format!("t_{prefix}_{}_{n}_{nanos}", std::process::id()).replace('-', "_");
            let url = create_postgres_database(&admin, &name).unwrap();
            stores.push(SqlStore::connect(&url).unwrap());
        }
        _ => assert!(
            std::env::var("OPIS_REQUIRE_POSTGRES").is_err(),
            "OPIS_REQUIRE_POSTGRES is set but OPIS_TEST_POSTGRES names no server"
        ),
    }
    stores
}

/// A fresh folder for one unit test: `opis-PREFIX-PID-NANOS` under the temp folder.
#[cfg(test)]
pub(crate) fn test_dir(prefix: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("opis-{prefix}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
