//! The store over SQL: [`SqlStore`] keeps documents, their versions, the queried facts and
//! the change log in SQLite (embedded, one file in WAL mode in the data folder) or in
//! PostgreSQL (a server, `--store postgres://…`), with the same code: see [`crate::db`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use opis_model::{ArchivalRef, BlockKind, Document};

use crate::db::{Cell, Db, Engine, args};
use crate::{
    BatchReceipt, Change, PreparedDocument, Provenance, PutOutcome, Result, Stats, Store, StoreError, StoredDocument,
    VersionInfo, migrations, time,
};

/// The store's file inside the data folder (embedded store).
pub const STORE_FILE: &str = "store.sqlite3";

/// Where the store is: the embedded SQLite file in a data folder, or a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreAt {
    /// `DATA/store.sqlite3`.
    Folder(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl StoreAt {
    /// The store for a data folder and an optional store URL (`--store`, `OPIS_STORE`): the
    /// URL when it is a PostgreSQL one, else the folder's embedded store.
    pub fn resolve(data_dir: &Path, url: Option<&str>) -> Result<StoreAt> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(StoreAt::Folder(data_dir.to_owned())),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(StoreAt::Postgres(u.to_owned()))
            }
            Some(u) if u.starts_with("sqlite:") => Ok(StoreAt::Folder(PathBuf::from(&u["sqlite:".len()..]))),
            Some(u) => {
                Err(StoreError::Unsupported(format!("the store {u:?} is neither a postgres:// URL nor sqlite:FOLDER")))
            }
        }
    }

    /// Whether this is a PostgreSQL server.
    pub fn is_postgres(&self) -> bool {
        matches!(self, StoreAt::Postgres(_))
    }

    /// What to call it in messages (a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            StoreAt::Folder(dir) => dir.join(STORE_FILE).display().to_string(),
            StoreAt::Postgres(url) => redact(url),
        }
    }
}

/// Creates a new, empty database `name` on the PostgreSQL server at `admin_url` (a URL of a
/// database the role may connect to and create databases from) and returns its URL. For tests
/// that want a database each, and for `opis migrate` into a server.
pub fn create_postgres_database(admin_url: &str, name: &str) -> Result<String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StoreError::Unsupported(format!("{name:?} is not a plain database name (letters, digits, _)")));
    }
    // Through the store's own connection (its own thread: safe from async code too).
    Db::postgres(admin_url)?
        .batch(&format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"))?;
    database_url(admin_url, name)
}

/// `OPIS_STORE_SERVER` mode: each data folder's store is a database of its own on one
/// PostgreSQL server, named `opis_` + a digest of the folder's absolute path, made on first use.
/// Every command and test that opens a folder's store then runs on PostgreSQL unchanged —
/// this is how `scripts/test` runs the store, search and web suites on both engines.
pub fn folder_database(server: &str, data_dir: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let absolute = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let digest = Sha256::digest(absolute.to_string_lossy().as_bytes());
    let name: String =
        std::iter::once("opis_".to_owned()).chain(digest[..10].iter().map(|b| format!("{b:02x}"))).collect();
    match create_postgres_database(server, &name) {
        Ok(url) => Ok(url),
        // Made before (this folder opened again), or by another process just now.
        Err(StoreError::Postgres(m)) if m.contains("already exists") || m.contains("duplicate key") => {
            database_url(server, &name)
        }
        Err(e) => Err(e),
    }
}

/// The URL of database `name` on the server of `server_url`.
fn database_url(server_url: &str, name: &str) -> Result<String> {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    let server = match base.split_once("://").map(|(_, rest)| rest.contains('/')) {
        Some(true) => base.rsplit_once('/').map_or(base, |(server, _)| server),
        _ => base,
    };
    Ok(match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    })
}

/// A URL with any password replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((auth, host)) = rest.split_once('@') else { return url.to_owned() };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// The store, on SQLite or PostgreSQL (see [`StoreAt`]).
pub struct SqlStore {
    db: Db,
    /// The SQLite file (none on PostgreSQL).
    path: Option<PathBuf>,
    at: StoreAt,
}

/// WAL pages between automatic checkpoints for a bulk writer (131,072 pages of 4 KiB: 512 MiB).
/// A 100k ingest: 88.3 s at 16,384 pages, 80.7 s at 65,536, 78.5 s at 262,144.
pub const WRITER_CHECKPOINT_PAGES: i64 = 131_072;
/// Bytes the WAL file is cut back to after a checkpoint (it would keep the size of the largest
/// run of pages between two checkpoints).
pub const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

impl SqlStore {
    /// Opens (creating if needed) the store of the data folder `data_dir`, running migrations:
    /// the embedded SQLite file in it — or, when `OPIS_STORE_SERVER` names a PostgreSQL server,
    /// a database of that folder's own on it (see [`folder_database`]).
    pub fn open(data_dir: &Path) -> Result<SqlStore> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io { path: data_dir.to_owned(), source })?;
        if let Some(server) = std::env::var("OPIS_STORE_SERVER").ok().filter(|s| !s.is_empty()) {
            return SqlStore::connect(&folder_database(&server, data_dir)?);
        }
        let path = data_dir.join(STORE_FILE);
        let conn = rusqlite::Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // Every statement of a document's write stays prepared (more than rusqlite's 16).
        conn.set_prepared_statement_cache_capacity(64);
        // WAL: readers never block the writer and a killed writer leaves the last
        // committed state. NORMAL sync is safe against process crashes in WAL mode.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let store = SqlStore { db: Db::sqlite(conn), path: Some(path), at: StoreAt::Folder(data_dir.to_owned()) };
        migrations::migrate(&store.db)?;
        Ok(store)
    }

    /// Connects to the store on the PostgreSQL server at `url`, running migrations (the
    /// database must exist; its tables are made on first use).
    pub fn connect(url: &str) -> Result<SqlStore> {
        let store = SqlStore { db: Db::postgres(url)?, path: None, at: StoreAt::Postgres(url.to_owned()) };
        migrations::migrate(&store.db)?;
        Ok(store)
    }

    /// Connects to a streaming replica of a PostgreSQL store, whose primary was opened (and
    /// so migrated) first: waits up to `wait` for the replica to replay the schema, and never
    /// writes (a replica refuses to).
    pub fn connect_replica(url: &str, wait: Duration) -> Result<SqlStore> {
        let store = SqlStore { db: Db::postgres(url)?, path: None, at: StoreAt::Postgres(url.to_owned()) };
        let started = std::time::Instant::now();
        loop {
            let found = migrations::postgres_version(&store.db)?;
            if found >= migrations::SCHEMA_VERSION {
                migrations::migrate(&store.db)?;
                return Ok(store);
            }
            if started.elapsed() >= wait {
                return Err(StoreError::ReplicaBehind {
                    found,
                    known: migrations::SCHEMA_VERSION,
                    seconds: wait.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens the store wherever it is.
    pub fn open_at(at: &StoreAt) -> Result<SqlStore> {
        match at {
            StoreAt::Folder(dir) => SqlStore::open(dir),
            StoreAt::Postgres(url) => SqlStore::connect(url),
        }
    }

    /// Where it is.
    pub fn at(&self) -> &StoreAt {
        &self.at
    }

    /// Another connection to the same store.
    pub fn reopen(&self) -> Result<SqlStore> {
        SqlStore::open_at(&self.at)
    }

    /// Which engine holds it.
    pub fn engine(&self) -> Engine {
        self.db.engine()
    }

    /// Tunes this connection for bulk writes (ingest, reindex, the people rebuild): on SQLite a
    /// page cache of `mib` MiB instead of 2 MiB (a batch touches the index pages of several
    /// tables; a small cache re-reads and spills them mid-batch), and a WAL checkpoint every
    /// [`WRITER_CHECKPOINT_PAGES`] pages instead of every 1,000 (a checkpoint copies each
    /// changed page once and syncs, so fewer of them copy the pages a bulk write touches again
    /// and again fewer times). The server's many read connections keep the defaults.
    /// PostgreSQL tunes itself (its server settings).
    pub fn tune_for_bulk_writes(&self, mib: u32) -> Result<()> {
        if let Some(conn) = self.db.sqlite_conn() {
            conn.pragma_update(None, "cache_size", -(i64::from(mib) * 1024))?;
            conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
            conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        }
        Ok(())
    }

    /// The connection, for this crate's other query modules.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// The SQLite file (`None` on PostgreSQL).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Stores one document (with its stored corrections re-applied when `reapply`); returns
    /// what happened, the change-log seq it was logged under, and whether what was written
    /// differs from what was handed in or is not public (see [`BatchReceipt::reread`]).
    /// `known`: what the batch read beforehand (PostgreSQL), kept current as documents are
    /// written.
    fn put_one(
        db: &Db,
        prepared: &PreparedDocument,
        prov: &Provenance,
        now: &str,
        reapply: bool,
        known: &mut Option<Known>,
    ) -> Result<(PutOutcome, Option<i64>, bool)> {
        let may_have_corrections = known.as_ref().is_none_or(|k| k.corrected.contains(&prepared.document().id));
        let corrected = match reapply && may_have_corrections {
            true => crate::corrections::reapply(db, prepared.document())?.map(PreparedDocument::new),
            false => None,
        };
        let reread = corrected.is_some();
        let prepared = corrected.as_ref().unwrap_or(prepared);
        let (doc, hash, stored) = (prepared.document(), prepared.hash(), prepared.stored());
        let current: Option<(u32, String)> = match known {
            Some(k) => k.current.get(&doc.id).cloned(),
            None => match db.query_opt("SELECT version, content_hash FROM documents WHERE id = ?1", args![doc.id])? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            },
        };
        let (version, outcome) = match &current {
            Some((_, h)) if h == hash => return Ok((PutOutcome::Unchanged, None, false)),
            Some((v, _)) => (v + 1, PutOutcome::Changed { version: v + 1 }),
            None => (1, PutOutcome::New),
        };
        let existed = current.is_some();
        // A summary describes exactly what is stored: none when a correction changed it (the
        // next rebuild makes it from the stored document).
        let people = prepared.people().filter(|_| !reread);
        let (access_until, seq) = if db.engine() == Engine::Postgres {
            Self::write_postgres(db, doc, version, hash, stored, prov, now, existed)?
        } else {
            db.execute(
                "INSERT INTO versions (doc_id, version, content_hash, json, source_path, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                args![doc.id, version, hash, stored, prov.source_path, now],
            )?;
            let (date_from, date_to) = dates(doc);
            // The effective access rule is computed in the same statement: the document's own
            // rule, else its collection's, else public.
            let access_until: i64 = db
                .value(
                    &format!("{UPSERT_DOCUMENT} RETURNING access_until"),
                    args![
                        doc.id,
                        version,
                        hash,
                        doc.title,
                        doc.kind,
                        doc.language,
                        doc.collection,
                        date_from,
                        date_to,
                        now
                    ],
                )?
                .unwrap_or(crate::access::PUBLIC);
            Self::write_facts(db, doc, existed)?;
            let seq: i64 = db
                .value(
                    "INSERT INTO changes (doc_id, version, at) VALUES (?1, ?2, ?3) RETURNING seq",
                    args![doc.id, version, now],
                )?
                .unwrap_or_default();
            (access_until, seq)
        };
        crate::people::write_summary(db, &doc.id, hash, people, existed)?;
        if let Some(k) = known {
            k.current.insert(doc.id.clone(), (version, hash.to_owned()));
        }
        Ok((outcome, Some(seq), reread || access_until != crate::access::PUBLIC))
    }

    /// On PostgreSQL, one statement writes the version, the document's row, its facts (each
    /// table's rows as arrays) and the change: one round trip for a new document instead of
    /// eight. Returns the effective access rule and the change's seq.
    #[allow(clippy::too_many_arguments)]
    fn write_postgres(
        db: &Db,
        doc: &Document,
        version: u32,
        hash: &str,
        stored: &[u8],
        prov: &Provenance,
        now: &str,
        existed: bool,
    ) -> Result<(i64, i64)> {
        if existed {
            delete_facts(db, &doc.id)?;
        }
        let facts = Facts::of(doc);
        let (date_from, date_to) = dates(doc);
        let arrays = facts.arrays(doc);
        let mut params: Vec<&dyn crate::db::Param> = vec![
            &doc.id,
            &version,
            &hash,
            &doc.title,
            &doc.kind,
            &doc.language,
            &doc.collection,
            &date_from,
            &date_to,
            &now,
            &stored,
            &prov.source_path,
        ];
        params.extend(arrays.iter().map(|v| v as &dyn crate::db::Param));
        static STATEMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = STATEMENT.get_or_init(|| {
            format!(
                "WITH v AS (INSERT INTO versions (doc_id, version, content_hash, json, source_path, created_at)
                            VALUES (?1, ?2, ?3, ?11, ?12, ?10)),
                      d AS ({UPSERT_DOCUMENT} RETURNING access_until),
                      {},
                      c AS (INSERT INTO changes (doc_id, version, at) VALUES (?1, ?2, ?10) RETURNING seq)
                 SELECT (SELECT access_until FROM d), (SELECT seq FROM c)",
                Facts::inserts(13)
            )
        });
        let row = db.query_opt(sql, &params)?;
        let row = row.ok_or_else(|| StoreError::Postgres("writing a document returned nothing".into()))?;
        Ok((row.get::<Option<i64>>(0)?.unwrap_or(crate::access::PUBLIC), row.get::<Option<i64>>(1)?.unwrap_or(0)))
    }

    /// Writes the queried facts of a document that has none yet.
    pub(crate) fn write_facts_of(db: &Db, doc: &Document) -> Result<()> {
        Self::write_facts(db, doc, false)
    }

    /// Replaces the queried facts of a document (turns, notes, archival references); `existed`
    /// says whether it had any to remove. On PostgreSQL each table's rows go in one statement
    /// (arrays unnested by the server: one round trip instead of one per row).
    fn write_facts(db: &Db, doc: &Document, existed: bool) -> Result<()> {
        if existed {
            delete_facts(db, &doc.id)?;
        }
        let facts = Facts::of(doc);
        if db.engine() == Engine::Postgres {
            // Each table's rows as arrays, one statement (as in `write_postgres`).
            let arrays = facts.arrays(doc);
            let mut params: Vec<&dyn crate::db::Param> = vec![&doc.id];
            params.extend(arrays.iter().map(|v| v as &dyn crate::db::Param));
            static STATEMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            db.query(STATEMENT.get_or_init(|| format!("WITH {} SELECT 1", Facts::inserts(2))), &params)?;
            return Ok(());
        }
        let (turns, refs) = (&facts.turns, &facts.refs);
        for (turn, section, speakers) in turns {
            db.execute(
                "INSERT INTO turns (doc_id, turn, section, speakers) VALUES (?1, ?2, ?3, ?4)",
                args![doc.id, turn, section, speakers],
            )?;
        }
        for (ord, note) in doc.notes.iter().enumerate() {
            db.execute(
                "INSERT INTO notes (doc_id, ord, n, text) VALUES (?1, ?2, ?3, ?4)",
                args![doc.id, ord as u32, note.n, note.text],
            )?;
        }
        for (note, r) in refs {
            db.execute(
                "INSERT INTO archival_refs (doc_id, note, archive, fond, opis, papka, delo, leaves, file, box, folder, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                args![
                    doc.id, note, r.archive, r.fond, r.opis, r.papka, r.delo, r.leaves, r.file, r.r#box, r.folder,
                    r.text
                ],
            )?;
        }
        Ok(())
    }

    /// A stored version's `json` column: LZ4-compressed JSON (a BLOB, as this build writes
    /// it) or plain JSON text (as schema version 1 stores wrote it).
    pub(crate) fn decode(id: &str, version: u32, value: &Cell) -> Result<Document> {
        let corrupt = |message: String| StoreError::Undecodable { id: id.to_owned(), version, message };
        let parsed = match value {
            Cell::Text(json) => serde_json::from_str(json),
            Cell::Blob(packed) => {
                let json = lz4_flex::block::decompress_size_prepended(packed).map_err(|e| corrupt(e.to_string()))?;
                serde_json::from_slice(&json)
            }
            other => return Err(corrupt(format!("{other:?} where JSON was expected"))),
        };
        parsed.map_err(|source| StoreError::Corrupt { id: id.to_owned(), version, source })
    }

    /// A row of `SELECT d.id, d.version, d.content_hash, d.updated_at, v.json, v.source_path,
    /// d.access_until` as a stored document.
    pub(crate) fn stored_row(r: &crate::db::Row) -> Result<StoredDocument> {
        let id: String = r.get(0)?;
        let version: u32 = r.get(1)?;
        Ok(StoredDocument {
            document: Self::decode(&id, version, r.cell(4))?,
            version,
            content_hash: r.get(2)?,
            updated_at: r.get(3)?,
            source_path: r.get(5)?,
            access_until: r.get(6)?,
        })
    }
}

/// What a batch of writes knows before it writes (PostgreSQL: read for the whole batch in two
/// queries instead of two per document).
pub(crate) struct Known {
    /// Each stored document's current version and content hash.
    current: std::collections::HashMap<String, (u32, String)>,
    /// Documents that have corrections.
    corrected: std::collections::HashSet<String>,
}

impl Known {
    fn read(db: &Db, batch: &[(PreparedDocument, Provenance)]) -> Result<Known> {
        let ids = crate::db::Value::Texts(batch.iter().map(|(p, _)| Some(p.document().id.as_str())).collect());
        let mut current = std::collections::HashMap::new();
        for r in db.query("SELECT id, version, content_hash FROM documents WHERE id = ANY(?1::text[])", args![ids])? {
            current.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        }
        let corrected = db
            .query("SELECT DISTINCT doc_id FROM corrections WHERE doc_id = ANY(?1::text[])", args![ids])?
            .iter()
            .map(|r| r.get(0))
            .collect::<Result<_>>()?;
        Ok(Known { current, corrected })
    }
}

/// A document's queried facts as rows: turns (index, section, speakers) and archival
/// references (their note). Who is named is the people authority's (`people_docs`,
/// `person_links`).
struct Facts<'a> {
    turns: Vec<(u32, u32, String)>,
    refs: Vec<(Option<u32>, &'a ArchivalRef)>,
}

impl Facts<'_> {
    fn of(doc: &Document) -> Facts<'_> {
        let mut turns: Vec<(u32, u32, String)> = Vec::new();
        for (s, section) in doc.sections.iter().enumerate() {
            for b in section.blocks.iter().filter(|b| b.kind == BlockKind::Turn) {
                turns.push((turns.len() as u32, s as u32, b.speakers.join("; ")));
            }
        }
        let mut refs: Vec<(Option<u32>, &ArchivalRef)> = Vec::new();
        for note in &doc.notes {
            refs.extend(note.archival_refs.iter().map(|r| (Some(note.n), r)));
        }
        refs.extend(doc.archival_refs.iter().map(|r| (None, r)));
        Facts { turns, refs }
    }

    /// The rows of the three fact tables as 17 arrays, in the order of [`Facts::inserts`]'s
    /// parameters (PostgreSQL).
    fn arrays<'a>(&'a self, doc: &'a Document) -> Vec<crate::db::Value<'a>> {
        use crate::db::Value::{Ints, Texts};
        let col = |f: fn(&'a ArchivalRef) -> Option<&'a str>| Texts(self.refs.iter().map(|(_, r)| f(r)).collect());
        vec![
            Ints(self.turns.iter().map(|t| Some(i64::from(t.0))).collect()),
            Ints(self.turns.iter().map(|t| Some(i64::from(t.1))).collect()),
            Texts(self.turns.iter().map(|t| Some(t.2.as_str())).collect()),
            Ints((0..doc.notes.len() as i64).map(Some).collect()),
            Ints(doc.notes.iter().map(|n| Some(i64::from(n.n))).collect()),
            Texts(doc.notes.iter().map(|n| Some(n.text.as_str())).collect()),
            Ints(self.refs.iter().map(|(n, _)| n.map(i64::from)).collect()),
            col(|r| Some(r.archive.as_str())),
            col(|r| r.fond.as_deref()),
            col(|r| r.opis.as_deref()),
            col(|r| r.papka.as_deref()),
            col(|r| r.delo.as_deref()),
            col(|r| r.leaves.as_deref()),
            col(|r| r.file.as_deref()),
            col(|r| r.r#box.as_deref()),
            col(|r| r.folder.as_deref()),
            col(|r| Some(r.text.as_str())),
        ]
    }

    /// The common table expressions that insert [`Facts::arrays`] (parameters `?first` to
    /// `?first+16`) for the document `?1`: empty arrays insert nothing.
    fn inserts(first: usize) -> String {
        let p = |i: usize, ty: &str| format!("?{}::{ty}[]", first + i);
        let refs: Vec<String> = (7..17).map(|i| p(i, "text")).collect();
        format!(
            "t AS (INSERT INTO turns (doc_id, turn, section, speakers)
                   SELECT ?1, * FROM unnest({}, {}, {})),
             n AS (INSERT INTO notes (doc_id, ord, n, text) SELECT ?1, * FROM unnest({}, {}, {})),
             r AS (INSERT INTO archival_refs (doc_id, note, archive, fond, opis, papka, delo, leaves, file, box,
                                              folder, text)
                   SELECT ?1, * FROM unnest({}, {}))",
            p(0, "bigint"),
            p(1, "bigint"),
            p(2, "text"),
            p(3, "bigint"),
            p(4, "bigint"),
            p(5, "text"),
            p(6, "bigint"),
            refs.join(", "),
        )
    }
}

/// Removes a document's queried facts (before they are written again).
fn delete_facts(db: &Db, id: &str) -> Result<()> {
    for table in ["turns", "notes", "archival_refs"] {
        db.execute(&format!("DELETE FROM {table} WHERE doc_id = ?1"), args![id])?;
    }
    Ok(())
}

/// A document's date range as the `documents` columns hold it.
fn dates(doc: &Document) -> (Option<&str>, Option<&str>) {
    match &doc.date {
        Some(d) => (Some(d.from.as_str()), Some(d.to.as_str())),
        None => (None, None),
    }
}

/// Inserts or updates a document's row (parameters ?1–?10: id, version, hash, title, kind,
/// language, collection, date from, date to, now), its effective access rule computed in the
/// same statement: the document's own rule, else its collection's, else public.
const UPSERT_DOCUMENT: &str = "INSERT INTO documents (id, version, content_hash, title, kind, language, collection,
                                date_from, date_to, created_at, updated_at, access_until)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, COALESCE(
        (SELECT until_key FROM access_rules WHERE scope = 'document' AND name = ?1),
        (SELECT until_key FROM access_rules WHERE scope = 'collection' AND name = ?7),
        0))
     ON CONFLICT (id) DO UPDATE SET version = excluded.version, content_hash = excluded.content_hash,
        title = excluded.title, kind = excluded.kind, language = excluded.language,
        collection = excluded.collection, date_from = excluded.date_from, date_to = excluded.date_to,
        updated_at = excluded.updated_at, access_until = excluded.access_until";

/// The columns [`SqlStore::stored_row`] reads, from `documents d JOIN versions v`.
pub(crate) const STORED_COLUMNS: &str =
    "d.id, d.version, d.content_hash, d.updated_at, v.json, v.source_path, d.access_until";

impl SqlStore {
    /// As [`Store::put_prepared`] on `db` (joining its open transaction, if any), re-applying
    /// stored corrections when `reapply` (not when the documents already carry them: a
    /// correction writing its result).
    pub(crate) fn put_in(db: &Db, batch: &[(PreparedDocument, Provenance)], reapply: bool) -> Result<BatchReceipt> {
        db.write(|db| {
            // Taken with the write lock held, so that commits are in `updated_at` order whatever
            // the writers (harvesters page by it).
            let now = time::now_rfc3339();
            let mut outcomes = Vec::with_capacity(batch.len());
            let (mut first, mut last) = (None, None);
            let mut reread = false;
            let mut known = match db.engine() {
                Engine::Postgres => Some(Known::read(db, batch)?),
                Engine::Sqlite => None,
            };
            for (doc, prov) in batch {
                let (outcome, seq, differs) = Self::put_one(db, doc, prov, &now, reapply, &mut known)?;
                reread |= differs;
                outcomes.push(outcome);
                if let Some(seq) = seq {
                    first.get_or_insert(seq);
                    last = Some(seq);
                }
            }
            Ok(BatchReceipt { outcomes, seqs: first.zip(last).map(|(a, b)| a..=b), reread })
        })
    }
}

impl Store for SqlStore {
    fn put_prepared(&mut self, batch: &[(PreparedDocument, Provenance)]) -> Result<BatchReceipt> {
        Self::put_in(&self.db, batch, true)
    }

    fn document(&self, id: &str) -> Result<Option<StoredDocument>> {
        let row = self.db.query_opt(
            &format!(
                "SELECT {STORED_COLUMNS} FROM documents d JOIN versions v ON v.doc_id = d.id AND v.version = d.version
                 WHERE d.id = ?1"
            ),
            args![id],
        )?;
        row.as_ref().map(Self::stored_row).transpose()
    }

    fn versions(&self, id: &str) -> Result<Vec<VersionInfo>> {
        let rows = self.db.query(
            "SELECT version, content_hash, created_at, source_path FROM versions WHERE doc_id = ?1 ORDER BY version",
            args![id],
        )?;
        rows.iter()
            .map(|r| {
                Ok(VersionInfo {
                    version: r.get(0)?,
                    content_hash: r.get(1)?,
                    created_at: r.get(2)?,
                    source_path: r.get(3)?,
                })
            })
            .collect()
    }

    fn version(&self, id: &str, version: u32) -> Result<Option<Document>> {
        let row =
            self.db.query_opt("SELECT json FROM versions WHERE doc_id = ?1 AND version = ?2", args![id, version])?;
        row.map(|r| Self::decode(id, version, r.cell(0))).transpose()
    }

    fn for_each_document(&self, f: &mut dyn FnMut(StoredDocument) -> Result<()>) -> Result<()> {
        // Pages of 256 by id (a keyset): memory stays bounded on both engines, and `f` may use
        // the store between pages.
        let mut after = String::new();
        loop {
            let rows = self.db.query(
                &format!(
                    "SELECT {STORED_COLUMNS} FROM documents d
                     JOIN versions v ON v.doc_id = d.id AND v.version = d.version
                     WHERE d.id > ?1 ORDER BY d.id LIMIT 256"
                ),
                args![after],
            )?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.get(0)?;
            for r in &rows {
                f(Self::stored_row(r)?)?;
            }
        }
    }

    fn ids_and_versions(&self) -> Result<Vec<(String, u32)>> {
        let rows = self.db.query("SELECT id, version FROM documents ORDER BY id", args![])?;
        rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect()
    }

    fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>> {
        let rows = self.db.query(
            "SELECT seq, doc_id, version FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            args![seq, limit],
        )?;
        rows.iter().map(|r| Ok(Change { seq: r.get(0)?, doc_id: r.get(1)?, version: r.get(2)? })).collect()
    }

    fn last_change(&self) -> Result<i64> {
        Ok(self.db.value("SELECT COALESCE(MAX(seq), 0) FROM changes", args![])?.unwrap_or(0))
    }

    fn stats(&self) -> Result<Stats> {
        let count = |sql: &str| -> Result<u64> { Ok(self.db.value::<i64>(sql, args![])?.unwrap_or(0) as u64) };
        let mut stats = Stats {
            documents: count("SELECT COUNT(*) FROM documents")?,
            turns: count("SELECT COUNT(*) FROM turns")?,
            notes: count("SELECT COUNT(*) FROM notes")?,
            persons: count("SELECT COUNT(DISTINCT person_id) FROM person_links")?,
            ..Default::default()
        };
        let rows = self.db.query(
            "SELECT COALESCE(collection, ''), COUNT(*) FROM documents GROUP BY COALESCE(collection, '') ORDER BY 1",
            args![],
        )?;
        for r in rows {
            stats.collections.insert(r.get(0)?, r.get::<i64>(1)? as u64);
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opis_model::{Block, DocDate, Section};

    fn scratch() -> std::path::PathBuf {
        crate::test_dir("store")
    }

    fn doc(id: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            title: format!("Title of {id}"),
            kind: "record".into(),
            language: "en".into(),
            date: Some(DocDate { text: "1956".into(), from: "1956-01-01".into(), to: "1956-12-31".into() }),
            sections: vec![Section {
                blocks: vec![Block {
                    kind: BlockKind::Turn,
                    speakers: vec!["Zhukov".into()],
                    text: text.into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn prov() -> Provenance {
        Provenance { source_path: "x.txt".into() }
    }

    #[test]
    fn versions_are_kept_and_unchanged_content_writes_nothing() {
        for mut store in crate::test_stores("store") {
            assert_eq!(store.put_batch(&[(doc("a", "one"), prov())]).unwrap(), vec![PutOutcome::New]);
            let seq = store.last_change().unwrap();
            assert_eq!(store.put_batch(&[(doc("a", "one"), prov())]).unwrap(), vec![PutOutcome::Unchanged]);
            assert_eq!(store.last_change().unwrap(), seq, "an unchanged document writes no change");
            assert_eq!(
                store.put_batch(&[(doc("a", "two"), prov())]).unwrap(),
                vec![PutOutcome::Changed { version: 2 }]
            );
            let current = store.document("a").unwrap().unwrap();
            assert_eq!(current.version, 2);
            assert_eq!(current.document.sections[0].blocks[0].text, "two");
            assert_eq!(store.version("a", 1).unwrap().unwrap().sections[0].blocks[0].text, "one");
            assert_eq!(store.versions("a").unwrap().iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2]);
            let stats = store.stats().unwrap();
            assert_eq!((stats.documents, stats.turns), (1, 1));
            assert_eq!(store.changes_since(0, 10).unwrap().len(), 2);
        }
    }

    #[test]
    fn a_batch_receipt_names_the_contiguous_seqs_of_what_it_wrote() {
        for mut store in crate::test_stores("receipt") {
            store.put_batch(&[(doc("a", "one"), prov())]).unwrap();
            let batch: Vec<_> = [doc("a", "one"), doc("b", "two"), doc("a", "changed"), doc("c", "three")]
                .into_iter()
                .map(|d| (PreparedDocument::new(d), prov()))
                .collect();
            let receipt = store.put_prepared(&batch).unwrap();
            assert_eq!(
                receipt.outcomes,
                vec![PutOutcome::Unchanged, PutOutcome::New, PutOutcome::Changed { version: 2 }, PutOutcome::New]
            );
            assert_eq!(receipt.seqs, Some(2..=4));
            let logged: Vec<_> = store.changes_since(1, 10).unwrap().into_iter().map(|c| (c.seq, c.doc_id)).collect();
            assert_eq!(logged, vec![(2, "b".into()), (3, "a".into()), (4, "c".into())]);
            let unchanged = store.put_prepared(&batch[1..2]).unwrap();
            assert_eq!(unchanged.seqs, None);
            assert_eq!(batch[1].0.hash(), crate::content_hash(batch[1].0.document()));
        }
    }

    #[test]
    fn concurrent_writers_never_interleave_and_the_change_log_is_in_commit_order() {
        for store in crate::test_stores("writers") {
            let writers: Vec<_> = (0..3)
                .map(|w| {
                    let mut mine = store.reopen().unwrap();
                    std::thread::spawn(move || {
                        let mut receipts = Vec::new();
                        for b in 0..8 {
                            let batch: Vec<_> = (0..5)
                                .map(|i| (PreparedDocument::new(doc(&format!("w{w}-{b}-{i}"), "text")), prov()))
                                .collect();
                            receipts.push(mine.put_prepared(&batch).unwrap());
                        }
                        receipts
                    })
                })
                .collect();
            let mut batches = Vec::new();
            for w in writers {
                for r in w.join().unwrap() {
                    let seqs = r.seqs.unwrap();
                    assert_eq!(seqs.end() - seqs.start(), 4, "a batch's five changes are contiguous");
                    batches.push(seqs);
                }
            }
            assert_eq!(store.ids_and_versions().unwrap().len(), 120, "every document once");
            let log = store.changes_since(0, 1000).unwrap();
            assert_eq!(log.len(), 120);
            // Sequence order is commit order: every batch's changes are together in the log.
            for seqs in batches {
                let ids: std::collections::BTreeSet<_> = log
                    .iter()
                    .filter(|c| seqs.contains(&c.seq))
                    .map(|c| c.doc_id.rsplit_once('-').unwrap().0.to_owned())
                    .collect();
                assert_eq!(ids.len(), 1, "one batch's seqs hold one batch's documents");
            }
        }
    }

    #[test]
    fn reopening_keeps_everything_and_does_not_migrate_twice() {
        let dir = scratch();
        {
            let mut store = SqlStore::open(&dir).unwrap();
            store.put_batch(&[(doc("a", "one"), prov()), (doc("b", "two"), prov())]).unwrap();
        }
        let store = SqlStore::open(&dir).unwrap();
        assert_eq!(store.ids_and_versions().unwrap(), vec![("a".to_string(), 1), ("b".to_string(), 1)]);
    }

    #[test]
    fn plain_json_from_older_stores_reads_and_a_damaged_blob_is_an_error_not_a_panic() {
        let dir = scratch();
        let mut store = SqlStore::open(&dir).unwrap();
        store.put_batch(&[(doc("a", "one"), prov()), (doc("b", "two"), prov())]).unwrap();
        let json = serde_json::to_string(&doc("a", "one")).unwrap();
        store.db.execute("UPDATE versions SET json = ?1 WHERE doc_id = 'a'", args![json]).unwrap();
        assert_eq!(store.document("a").unwrap().unwrap().document, doc("a", "one"));
        store.db.execute("UPDATE versions SET json = x'ff00ff00deadbeef' WHERE doc_id = 'b'", args![]).unwrap();
        assert!(matches!(store.document("b"), Err(StoreError::Undecodable { .. })));
        assert!(matches!(store.version("b", 1), Err(StoreError::Undecodable { .. })));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = scratch();
        drop(SqlStore::open(&dir).unwrap());
        let conn = rusqlite::Connection::open(dir.join(STORE_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(SqlStore::open(&dir), Err(StoreError::SchemaTooNew { found: 99, .. })));
    }
}
