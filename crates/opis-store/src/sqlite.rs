//! The embedded store: one SQLite database in WAL mode in the data folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use opis_model::{ArchivalRef, BlockKind, Document};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{
    BatchReceipt, Change, PreparedDocument, Provenance, PutOutcome, Result, Stats, Store, StoreError, StoredDocument,
    VersionInfo, migrations, time,
};

/// The store's file inside the data folder.
pub const STORE_FILE: &str = "store.sqlite3";

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

/// WAL pages between automatic checkpoints for a bulk writer (16,384 pages of 4 KiB: 64 MiB).
pub const WRITER_CHECKPOINT_PAGES: i64 = 16_384;

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`, running migrations.
    pub fn open(data_dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io { path: data_dir.to_owned(), source })?;
        let path = data_dir.join(STORE_FILE);
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // WAL: readers never block the writer and a killed writer leaves the last
        // committed state. NORMAL sync is safe against process crashes in WAL mode.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn)?;
        Ok(SqliteStore { conn, path })
    }

    /// Tunes this connection for bulk writes (ingest, reindex, the people rebuild): a page
    /// cache of `mib` MiB instead of SQLite's 2 MiB (a batch touches the index pages of several
    /// tables; a small cache re-reads and spills them mid-batch), and a WAL checkpoint every
    /// [`WRITER_CHECKPOINT_PAGES`] pages instead of every 1,000 (a checkpoint copies each
    /// changed page once and syncs, so fewer of them copy the pages a bulk write touches again
    /// and again fewer times). The server's many read connections keep the defaults.
    pub fn tune_for_bulk_writes(&self, mib: u32) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -(i64::from(mib) * 1024))?;
        self.conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        Ok(())
    }

    /// The connection, for this crate's other query modules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores one document (with its stored corrections re-applied when `reapply`); returns
    /// what happened, the change-log seq it was logged under, and whether what was written
    /// differs from what was handed in or is not public (see [`BatchReceipt::reread`]).
    fn put_one(
        tx: &rusqlite::Transaction<'_>,
        prepared: &PreparedDocument,
        prov: &Provenance,
        now: &str,
        reapply: bool,
    ) -> Result<(PutOutcome, Option<i64>, bool)> {
        let corrected = match reapply {
            true => crate::corrections::reapply(tx, prepared.document())?.map(PreparedDocument::new),
            false => None,
        };
        let reread = corrected.is_some();
        let prepared = corrected.as_ref().unwrap_or(prepared);
        let (doc, hash, stored) = (prepared.document(), prepared.hash(), prepared.stored());
        let current: Option<(u32, String)> = tx
            .prepare_cached("SELECT version, content_hash FROM documents WHERE id = ?1")?
            .query_row([&doc.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (version, outcome) = match &current {
            Some((_, h)) if h == hash => return Ok((PutOutcome::Unchanged, None, false)),
            Some((v, _)) => (v + 1, PutOutcome::Changed { version: v + 1 }),
            None => (1, PutOutcome::New),
        };
        tx.prepare_cached(
            "INSERT INTO versions (doc_id, version, content_hash, json, source_path, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![doc.id, version, hash, stored, prov.source_path, now])?;
        let (date_from, date_to) = match &doc.date {
            Some(d) => (Some(d.from.as_str()), Some(d.to.as_str())),
            None => (None, None),
        };
        tx.prepare_cached(
            "INSERT INTO documents (id, version, content_hash, title, kind, language, collection, date_from, date_to,
                                    created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, content_hash = excluded.content_hash,
                title = excluded.title, kind = excluded.kind, language = excluded.language,
                collection = excluded.collection, date_from = excluded.date_from, date_to = excluded.date_to,
                updated_at = excluded.updated_at",
        )?
        .execute(params![
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
        ])?;
        let access_until: i64 = tx
            .prepare_cached(&format!(
                "UPDATE documents SET access_until = {} WHERE id = ?1 RETURNING access_until",
                crate::access::EFFECTIVE_ACCESS
            ))?
            .query_row([&doc.id], |r| r.get(0))?;
        Self::write_facts(tx, doc)?;
        // A summary describes exactly what is stored: none when a correction changed it (the
        // next rebuild makes it from the stored document).
        crate::people::write_summary(tx, &doc.id, hash, prepared.people().filter(|_| !reread))?;
        tx.prepare_cached("INSERT INTO changes (doc_id, version, at) VALUES (?1, ?2, ?3)")?
            .execute(params![doc.id, version, now])?;
        Ok((outcome, Some(tx.last_insert_rowid()), reread || access_until != crate::access::PUBLIC))
    }

    /// Replaces the queried facts of a document (turns, notes, references, persons).
    fn write_facts(tx: &rusqlite::Transaction<'_>, doc: &Document) -> Result<()> {
        for table in ["turns", "notes", "archival_refs", "persons"] {
            tx.prepare_cached(&format!("DELETE FROM {table} WHERE doc_id = ?1"))?.execute([&doc.id])?;
        }
        let mut turn = 0u32;
        for (s, section) in doc.sections.iter().enumerate() {
            for b in section.blocks.iter().filter(|b| b.kind == BlockKind::Turn) {
                tx.prepare_cached("INSERT INTO turns (doc_id, turn, section, speakers) VALUES (?1, ?2, ?3, ?4)")?
                    .execute(params![doc.id, turn, s as u32, b.speakers.join("; ")])?;
                turn += 1;
            }
        }
        for (ord, note) in doc.notes.iter().enumerate() {
            tx.prepare_cached("INSERT INTO notes (doc_id, ord, n, text) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![doc.id, ord as u32, note.n, note.text])?;
            for r in &note.archival_refs {
                insert_ref(tx, &doc.id, Some(note.n), r)?;
            }
        }
        for r in &doc.archival_refs {
            insert_ref(tx, &doc.id, None, r)?;
        }
        for p in &doc.persons {
            tx.prepare_cached("INSERT INTO persons (doc_id, name, mentions, variants) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![doc.id, p.name, p.mentions, p.variants.join("; ")])?;
        }
        Ok(())
    }

    /// A stored version's `json` column: LZ4-compressed JSON (a BLOB, as this build writes
    /// it) or plain JSON text (as schema version 1 stores wrote it).
    pub(crate) fn decode(id: &str, version: u32, value: ValueRef<'_>) -> Result<Document> {
        let corrupt = |message: String| StoreError::Undecodable { id: id.to_owned(), version, message };
        let parsed = match value {
            ValueRef::Text(json) => serde_json::from_slice(json),
            ValueRef::Blob(packed) => {
                let json = lz4_flex::block::decompress_size_prepended(packed).map_err(|e| corrupt(e.to_string()))?;
                serde_json::from_slice(&json)
            }
            other => return Err(corrupt(format!("a {:?} where JSON was expected", other.data_type()))),
        };
        parsed.map_err(|source| StoreError::Corrupt { id: id.to_owned(), version, source })
    }
}

fn insert_ref(tx: &rusqlite::Transaction<'_>, doc_id: &str, note: Option<u32>, r: &ArchivalRef) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO archival_refs (doc_id, note, archive, fond, opis, papka, delo, leaves, file, box, folder, text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        doc_id, note, r.archive, r.fond, r.opis, r.papka, r.delo, r.leaves, r.file, r.r#box, r.folder, r.text
    ])?;
    Ok(())
}

impl SqliteStore {
    /// As [`Store::put_prepared`], without re-applying stored corrections (the documents
    /// already carry them: a correction writing its result).
    pub(crate) fn put_without_corrections(&mut self, batch: &[(PreparedDocument, Provenance)]) -> Result<BatchReceipt> {
        self.put(batch, false)
    }

    fn put(&mut self, batch: &[(PreparedDocument, Provenance)], reapply: bool) -> Result<BatchReceipt> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Taken with the write lock held, so that commits are in `updated_at` order whatever
        // the writers (harvesters page by it).
        let now = time::now_rfc3339();
        let mut outcomes = Vec::with_capacity(batch.len());
        let (mut first, mut last) = (None, None);
        let mut reread = false;
        for (doc, prov) in batch {
            let (outcome, seq, differs) = Self::put_one(&tx, doc, prov, &now, reapply)?;
            reread |= differs;
            outcomes.push(outcome);
            if let Some(seq) = seq {
                first.get_or_insert(seq);
                last = Some(seq);
            }
        }
        tx.commit()?;
        Ok(BatchReceipt { outcomes, seqs: first.zip(last).map(|(a, b)| a..=b), reread })
    }
}

impl Store for SqliteStore {
    fn put_prepared(&mut self, batch: &[(PreparedDocument, Provenance)]) -> Result<BatchReceipt> {
        self.put(batch, true)
    }

    fn document(&self, id: &str) -> Result<Option<StoredDocument>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.version, d.content_hash, d.updated_at, v.json, v.source_path, d.access_until
             FROM documents d JOIN versions v ON v.doc_id = d.id AND v.version = d.version
             WHERE d.id = ?1",
        )?;
        let mut rows = stmt.query([id])?;
        let Some(r) = rows.next()? else { return Ok(None) };
        let version: u32 = r.get(0)?;
        Ok(Some(StoredDocument {
            document: Self::decode(id, version, r.get_ref(3)?)?,
            version,
            content_hash: r.get(1)?,
            updated_at: r.get(2)?,
            source_path: r.get(4)?,
            access_until: r.get(5)?,
        }))
    }

    fn versions(&self, id: &str) -> Result<Vec<VersionInfo>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT version, content_hash, created_at, source_path FROM versions WHERE doc_id = ?1 ORDER BY version",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(VersionInfo {
                version: r.get(0)?,
                content_hash: r.get(1)?,
                created_at: r.get(2)?,
                source_path: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn version(&self, id: &str, version: u32) -> Result<Option<Document>> {
        let mut stmt = self.conn.prepare_cached("SELECT json FROM versions WHERE doc_id = ?1 AND version = ?2")?;
        let mut rows = stmt.query(params![id, version])?;
        match rows.next()? {
            Some(r) => Ok(Some(Self::decode(id, version, r.get_ref(0)?)?)),
            None => Ok(None),
        }
    }

    fn for_each_document(&self, f: &mut dyn FnMut(StoredDocument) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT d.id, d.version, d.content_hash, d.updated_at, v.json, v.source_path, d.access_until
             FROM documents d JOIN versions v ON v.doc_id = d.id AND v.version = d.version
             ORDER BY d.id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let version: u32 = r.get(1)?;
            let document = Self::decode(&id, version, r.get_ref(4)?)?;
            f(StoredDocument {
                document,
                version,
                content_hash: r.get(2)?,
                updated_at: r.get(3)?,
                source_path: r.get(5)?,
                access_until: r.get(6)?,
            })?;
        }
        Ok(())
    }

    fn ids_and_versions(&self) -> Result<Vec<(String, u32)>> {
        let mut stmt = self.conn.prepare("SELECT id, version FROM documents ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, doc_id, version FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![seq, limit as i64], |r| {
            Ok(Change { seq: r.get(0)?, doc_id: r.get(1)?, version: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn last_change(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| r.get(0))?)
    }

    fn stats(&self) -> Result<Stats> {
        let count = |sql: &str| -> Result<u64> { Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
        let mut stats = Stats {
            documents: count("SELECT COUNT(*) FROM documents")?,
            turns: count("SELECT COUNT(*) FROM turns")?,
            notes: count("SELECT COUNT(*) FROM notes")?,
            persons: count("SELECT COUNT(DISTINCT name) FROM persons")?,
            ..Default::default()
        };
        let mut stmt = self.conn.prepare(
            "SELECT COALESCE(collection, ''), COUNT(*) FROM documents GROUP BY COALESCE(collection, '') ORDER BY 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (name, n) = row?;
            stats.collections.insert(name, n as u64);
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
        let dir = scratch();
        let mut store = SqliteStore::open(&dir).unwrap();
        assert_eq!(store.put_batch(&[(doc("a", "one"), prov())]).unwrap(), vec![PutOutcome::New]);
        let seq = store.last_change().unwrap();
        assert_eq!(store.put_batch(&[(doc("a", "one"), prov())]).unwrap(), vec![PutOutcome::Unchanged]);
        assert_eq!(store.last_change().unwrap(), seq, "an unchanged document writes no change");
        assert_eq!(store.put_batch(&[(doc("a", "two"), prov())]).unwrap(), vec![PutOutcome::Changed { version: 2 }]);
        let current = store.document("a").unwrap().unwrap();
        assert_eq!(current.version, 2);
        assert_eq!(current.document.sections[0].blocks[0].text, "two");
        assert_eq!(store.version("a", 1).unwrap().unwrap().sections[0].blocks[0].text, "one");
        assert_eq!(store.versions("a").unwrap().iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2]);
        let stats = store.stats().unwrap();
        assert_eq!((stats.documents, stats.turns), (1, 1));
        assert_eq!(store.changes_since(0, 10).unwrap().len(), 2);
    }

    #[test]
    fn a_batch_receipt_names_the_contiguous_seqs_of_what_it_wrote() {
        let dir = scratch();
        let mut store = SqliteStore::open(&dir).unwrap();
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

    #[test]
    fn reopening_keeps_everything_and_does_not_migrate_twice() {
        let dir = scratch();
        {
            let mut store = SqliteStore::open(&dir).unwrap();
            store.put_batch(&[(doc("a", "one"), prov()), (doc("b", "two"), prov())]).unwrap();
        }
        let store = SqliteStore::open(&dir).unwrap();
        assert_eq!(store.ids_and_versions().unwrap(), vec![("a".to_string(), 1), ("b".to_string(), 1)]);
    }

    #[test]
    fn plain_json_from_older_stores_reads_and_a_damaged_blob_is_an_error_not_a_panic() {
        let dir = scratch();
        let mut store = SqliteStore::open(&dir).unwrap();
        store.put_batch(&[(doc("a", "one"), prov()), (doc("b", "two"), prov())]).unwrap();
        let json = serde_json::to_string(&doc("a", "one")).unwrap();
        store.conn.execute("UPDATE versions SET json = ?1 WHERE doc_id = 'a'", [&json]).unwrap();
        assert_eq!(store.document("a").unwrap().unwrap().document, doc("a", "one"));
        store.conn.execute("UPDATE versions SET json = x'ff00ff00deadbeef' WHERE doc_id = 'b'", []).unwrap();
        assert!(matches!(store.document("b"), Err(StoreError::Undecodable { .. })));
        assert!(matches!(store.version("b", 1), Err(StoreError::Undecodable { .. })));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = scratch();
        drop(SqliteStore::open(&dir).unwrap());
        let conn = Connection::open(dir.join(STORE_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(SqliteStore::open(&dir), Err(StoreError::SchemaTooNew { found: 99, .. })));
    }
}
