//! The writer's lock on a data folder: one process at a time may write to it.
//!
//! `opis ingest`, `reindex`, `restore` and `backup` take an exclusive advisory lock on
//! `DATA/opis.lock` (`flock`, released by the kernel when the process ends, however it ends:
//! a SIGKILL leaves no stale lock behind). A second writer refuses at once with a message that
//! names the process holding the lock. `opis serve` does not take it: it only reads, so an
//! ingest can run beside it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The lock file inside the data folder.
pub const LOCK_FILE: &str = "opis.lock";

/// Held while a command writes to the data folder; dropping it releases the lock.
pub struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// Takes the lock on `data` (creating the folder if needed), or says who holds it.
    pub fn acquire(data: &Path, command: &str) -> Result<WriterLock> {
        std::fs::create_dir_all(data).with_context(|| format!("creating the data folder {}", data.display()))?;
        let path: PathBuf = data.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // The holder writes its name just after taking the lock: give it a moment.
                let mut holder = String::new();
                for _ in 0..10 {
                    holder.clear();
                    let _ = file.seek(SeekFrom::Start(0));
                    let _ = file.read_to_string(&mut holder);
                    if !holder.trim().is_empty() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                let holder = holder.trim();
                let holder = if holder.is_empty() { "another opis process".to_owned() } else { holder.to_owned() };
                bail!(
                    "the data folder {} is in use by {holder}; only one ingest, reindex, backup or restore \
                     may run on a data folder at a time (wait for it to finish, then run this again)",
                    data.display()
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()));
            }
        }
        // Who holds it, for the message above; advisory only, the lock is the flock.
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = writeln!(file, "`opis {command}` (process {})", std::process::id());
        let _ = file.flush();
        Ok(WriterLock { _file: file })
    }
}
