//! Backups of the store and checks of its integrity.
//!
//! [`SqlStore::backup_to`] copies the database with SQLite's online backup API: pages are
//! copied in steps while other connections keep reading (a server) and, between steps, writing
//! (a write restarts the copy of the pages it touched, so the copy is always of one committed
//! state). [`SqlStore::integrity_check`] runs `PRAGMA integrity_check`;
//! [`SqlStore::content_hashes`] lists every current document's id, version and content hash,
//! which a restore compares with the backup's.

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use crate::db::args;
use crate::{Result, SqlStore, StoreError};

/// The error for what only the embedded store does here.
fn embedded_only(what: &str) -> StoreError {
    StoreError::Unsupported(format!(
        "{what} is for the embedded store; a PostgreSQL store is backed up by the server's own tools \
         (pg_dump, pg_basebackup, a streaming replica), or moved to a folder with `opis migrate`"
    ))
}

/// Pages copied per backup step; between steps other connections get the database.
const PAGES_PER_STEP: std::ffi::c_int = 1024;

impl SqlStore {
    /// Copies the store, as of one committed state, into a new database file `dest` (which must
    /// not exist). Readers and writers of the store may run meanwhile.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(StoreError::Io {
                path: dest.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the backup file exists already"),
            });
        }
        let source = self.db().sqlite_conn().ok_or_else(|| embedded_only("opis backup"))?;
        let mut target = Connection::open(dest)?;
        {
            let backup = Backup::new(source, &mut target)?;
            backup.run_to_completion(PAGES_PER_STEP, Duration::from_millis(5), None)?;
        }
        // The copy is a database of its own: one file, no WAL beside it.
        target.pragma_update(None, "journal_mode", "DELETE")?;
        target.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
        Ok(())
    }

    /// `PRAGMA integrity_check` on the store: empty when the database is sound, else the
    /// problems SQLite reports.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        if self.db().sqlite_conn().is_none() {
            // The server checks its own pages (checksums, WAL replay).
            return Ok(Vec::new());
        }
        let rows = self.db().query("PRAGMA integrity_check", args![])?;
        let rows: Vec<String> = rows.iter().map(|r| r.get(0)).collect::<Result<_>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Every current document as (id, version, content hash), sorted by id.
    pub fn content_hashes(&self) -> Result<Vec<(String, u32, String)>> {
        let rows = self.db().query("SELECT id, version, content_hash FROM documents ORDER BY id", args![])?;
        rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).collect()
    }

    /// Checks that `file` is a sound opis store without changing it (opened read-only).
    pub fn check_file(file: &Path) -> Result<Vec<String>> {
        let conn =
            Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PreparedDocument, Provenance, Store};

    #[test]
    fn a_backup_holds_the_same_documents_and_is_sound() {
        let dir = std::env::temp_dir().join(format!("opis-store-backup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut store = SqlStore::open(&dir.join("data")).unwrap();
        let docs: Vec<(PreparedDocument, Provenance)> = (0..3)
            .map(|i| {
                let doc =
                    opis_model::Document { id: format!("doc-{i}"), title: format!("Title {i}"), ..Default::default() };
                (PreparedDocument::new(doc), Provenance::default())
            })
            .collect();
        store.put_prepared(&docs).unwrap();
        let dest = dir.join("copy").join(crate::sql::STORE_FILE);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        store.backup_to(&dest).unwrap();
        assert!(store.backup_to(&dest).is_err(), "an existing file is not overwritten");
        assert_eq!(SqlStore::check_file(&dest).unwrap(), Vec::<String>::new());
        let copy = SqlStore::open(dest.parent().unwrap()).unwrap();
        assert_eq!(copy.content_hashes().unwrap(), store.content_hashes().unwrap());
        assert_eq!(copy.content_hashes().unwrap().len(), 3);
        assert_eq!(copy.last_change().unwrap(), store.last_change().unwrap());
        assert!(store.integrity_check().unwrap().is_empty());
    }
}
