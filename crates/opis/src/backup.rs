//! `opis backup DIR` and `opis restore DIR`.
//!
//! A backup is a folder: `store.sqlite3` (SQLite's online backup of the store, one committed
//! state, taken while `opis serve` may be reading), `index/` (a copy of the search index,
//! taken first: an index older than the store is brought up to date from the store's change
//! log on restore) and `backup.json` (when, how many documents, the store's last change, and a
//! SHA-256 digest of every document's id, version and content hash).
//!
//! Both hold the data folder's writer lock ([`crate::lock`]): no ingest writes meanwhile, so the
//! index files copied are one commit's. `restore` writes into an empty data folder only, checks
//! the store's integrity, uses the copied index when it opens (else rebuilds it from the store),
//! brings it up to the store, and compares the documents' content hashes with the manifest.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use opis_index::Index;
use opis_store::{SqlStore, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::lock::{LOCK_FILE, WriterLock};

/// The manifest's file name in a backup folder.
pub const MANIFEST: &str = "backup.json";
const STORE_FILE: &str = "store.sqlite3";
const INDEX_DIR: &str = "index";

/// What a backup holds, written beside it and checked by a restore.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub created_at: String,
    pub documents: usize,
    pub last_change: i64,
    pub index_applied: Option<i64>,
    /// SHA-256 over "id\tversion\tcontent_hash\n" for every current document, sorted by id.
    pub content_digest: String,
}

/// The digest of a store's documents, as [`Manifest::content_digest`].
fn content_digest(store: &SqlStore) -> Result<(usize, String)> {
    let rows = store.content_hashes()?;
    let mut hasher = Sha256::new();
    for (id, version, hash) in &rows {
        hasher.update(format!("{id}\t{version}\t{hash}\n").as_bytes());
    }
    let digest: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((rows.len(), digest))
}

/// A folder that does not exist or is empty, created.
fn empty_folder(dir: &Path, what: &str) -> Result<()> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
        ensure!(entries.next().is_none(), "{what} {} is not empty; give a new or empty folder", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// Copies the files of the index folder (not tantivy's lock files).
fn copy_index(from: &Path, to: &Path) -> Result<u64> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut bytes = 0;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".lock") || !entry.file_type()?.is_file() {
            continue;
        }
        bytes += std::fs::copy(entry.path(), to.join(&name))
            .with_context(|| format!("copying {} into {}", entry.path().display(), to.display()))?;
    }
    Ok(bytes)
}

/// `opis backup DIR`.
pub fn backup(data: &Path, dir: &Path) -> Result<()> {
    let started = Instant::now();
    let _lock = WriterLock::acquire(data, "backup")?;
    ensure!(data.join(STORE_FILE).exists(), "no opis store in {}", data.display());
    empty_folder(dir, "the backup folder")?;
    let store = crate::open_store(data)?;
    // The index first: it may then be behind the store copy, never ahead (a restore catches up).
    let index_applied = match Index::open(data) {
        Ok(index) => {
            let applied = index.applied_seq();
            drop(index);
            copy_index(&data.join(INDEX_DIR), &dir.join(INDEX_DIR))?;
            Some(applied)
        }
        Err(e) => {
            eprintln!("warning: the index was not copied ({e}); `opis restore` will rebuild it");
            None
        }
    };
    let dest = dir.join(STORE_FILE);
    store.backup_to(&dest).with_context(|| format!("backing up the store to {}", dest.display()))?;
    let copy = SqlStore::open(dir).with_context(|| format!("opening the copy {}", dest.display()))?;
    let problems = copy.integrity_check()?;
    ensure!(problems.is_empty(), "the copy {} is damaged: {}", dest.display(), problems.join("; "));
    let (documents, content_digest) = content_digest(&copy)?;
    let manifest =
        Manifest { created_at: now_utc(), documents, last_change: copy.last_change()?, index_applied, content_digest };
    // Closing the copy checkpoints its WAL into the one file.
    drop(copy);
    std::fs::write(dir.join(MANIFEST), serde_json::to_string_pretty(&manifest)? + "\n")
        .with_context(|| format!("writing {}", dir.join(MANIFEST).display()))?;
    eprintln!(
        "backed up {} documents (store at change {}) to {} in {:.1} s",
        manifest.documents,
        manifest.last_change,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `opis restore DIR` into the (empty) data folder.
pub fn restore(dir: &Path, data: &Path) -> Result<()> {
    let started = Instant::now();
    let manifest_path = dir.join(MANIFEST);
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(&manifest_path).with_context(|| format!("{} is not an opis backup", dir.display()))?,
    )
    .with_context(|| format!("reading {}", manifest_path.display()))?;
    let source = dir.join(STORE_FILE);
    let problems = SqlStore::check_file(&source).with_context(|| format!("checking {}", source.display()))?;
    ensure!(problems.is_empty(), "the backup's store {} is damaged: {}", source.display(), problems.join("; "));
    if data.exists() {
        let others: Vec<_> = std::fs::read_dir(data)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name() != LOCK_FILE)
            .map(|e| e.file_name())
            .collect();
        ensure!(
            others.is_empty(),
            "the data folder {} is not empty; restore into a new or empty folder",
            data.display()
        );
    }
    let _lock = WriterLock::acquire(data, "restore")?;
    std::fs::copy(&source, data.join(STORE_FILE))
        .with_context(|| format!("copying {} into {}", source.display(), data.display()))?;
    let store = SqlStore::open(data).with_context(|| format!("opening the restored store in {}", data.display()))?;
    let (documents, digest) = content_digest(&store)?;
    if digest != manifest.content_digest || documents != manifest.documents {
        bail!(
            "the restored store does not hold what the backup recorded ({documents} documents, digest {digest}; \
             the manifest says {} documents, digest {})",
            manifest.documents,
            manifest.content_digest
        );
    }
    let copied_index = dir.join(INDEX_DIR);
    if copied_index.join("meta.json").exists() {
        copy_index(&copied_index, &data.join(INDEX_DIR))?;
    }
    // A copied index that opens is brought up from the store's log; one that does not (or is
    // missing, or ahead of the store) is rebuilt by `sync`.
    let mut index = Index::open(data).with_context(|| format!("opening the index in {}", data.display()))?;
    let report = index.sync(&store).context("bringing the index up to the store")?;
    let indexed = index.ids_and_versions()?.len();
    ensure!(indexed == documents, "the restored index holds {indexed} documents, the store {documents}");
    eprintln!(
        "restored {documents} documents into {} ({} changes applied to the index) in {:.1} s",
        data.display(),
        report.applied,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_utc() -> String {
    opis_store::time::now_seconds()
}
