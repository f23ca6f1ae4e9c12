//! `opis migrate --from A --to B`: moves a whole store between the embedded engine (a data
//! folder) and PostgreSQL, then rebuilds what is derived on the destination (the people
//! authority, a search index) and checks both sides.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use opis_index::Index;
use opis_store::{SqlStore, Store, StoreAt};

/// A store location as typed: a PostgreSQL URL, else a data folder.
fn location(s: &str) -> StoreAt {
    match StoreAt::resolve(Path::new(s), Some(s)) {
        Ok(at @ StoreAt::Postgres(_)) => at,
        _ => StoreAt::Folder(PathBuf::from(s)),
    }
}

/// The folder whose lock, index and `people.csv` go with a location (`data` for a server).
fn folder_of<'a>(at: &'a StoreAt, data: &'a Path) -> &'a Path {
    match at {
        StoreAt::Folder(dir) => dir,
        StoreAt::Postgres(_) => data,
    }
}

pub fn run(data: &Path, from: &str, to: &str) -> Result<()> {
    let (from, to) = (location(from), location(to));
    anyhow::ensure!(from != to, "--from and --to are the same store");
    if let StoreAt::Folder(dir) = &from {
        anyhow::ensure!(dir.join(opis_store::STORE_FILE).exists(), "{} holds no opis store", dir.display());
    }
    let (from_dir, to_dir) = (folder_of(&from, data), folder_of(&to, data));
    anyhow::ensure!(from_dir != to_dir, "the source and the destination would share the folder {}", to_dir.display());
    let _from_lock = crate::lock::WriterLock::acquire(from_dir, "migrate")?;
    let _to_lock = crate::lock::WriterLock::acquire(to_dir, "migrate")?;
    let source = SqlStore::open_at(&from).with_context(|| format!("opening {}", from.describe()))?;
    let mut dest = SqlStore::open_at(&to).with_context(|| format!("opening {}", to.describe()))?;
    let started = Instant::now();
    let report = source.migrate_to(&mut dest).with_context(|| format!("copying into {}", to.describe()))?;
    out!(
        "copied {} documents ({} versions) from {} to {} in {:.1} s",
        report.documents,
        report.versions,
        from.describe(),
        to.describe(),
        started.elapsed().as_secs_f64()
    );
    for (table, n) in &report.rows {
        if *n > 0 {
            out!("  {table}: {n}");
        }
    }
    // The people authority is derived: made again on the destination (with the source
    // folder's editor overrides, when it has any).
    let overrides = from_dir.join(crate::people::OVERRIDES_FILE);
    if overrides.exists() && !to_dir.join(crate::people::OVERRIDES_FILE).exists() {
        std::fs::create_dir_all(to_dir)?;
        std::fs::copy(&overrides, to_dir.join(crate::people::OVERRIDES_FILE))?;
    }
    crate::report_people(crate::people::rebuild(to_dir, &mut dest, true)?);

    // Both sides: the stores hold the same documents at the same versions and hashes, and
    // each agrees with its index.
    anyhow::ensure!(
        source.content_hashes()? == dest.content_hashes()?,
        "the copy's documents differ from the source's"
    );
    let mut index = Index::open(to_dir).with_context(|| format!("opening the index in {}", to_dir.display()))?;
    let built = index.sync(&dest).context("building the destination's index")?;
    out!("indexed {} document(s) in {}", built.documents.max(built.applied), to_dir.display());
    out_part!("source ({}): ", from.describe());
    if from.is_postgres() && !from_dir.join("index").exists() {
        // A server's indexes live on its nodes (`opis check --store URL --data NODE`).
        out!("no index in {} to check beside it", from_dir.display());
    } else {
        let mut from_index = Index::open(from_dir)?;
        if from_index.applied_seq() < source.last_change()? {
            from_index.sync(&source).context("updating the source's index")?;
        }
        crate::check(&source, &from_index)?;
    }
    out_part!("destination ({}): ", to.describe());
    crate::check(&dest, &index)
}
