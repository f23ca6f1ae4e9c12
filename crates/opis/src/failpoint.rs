//! Failpoints for the crash-safety tests: `OPIS_FAILPOINT=NAME:N` makes the process die
//! (`std::process::abort`: no destructor, no flush, no cleanup, as a SIGKILL would) the N-th
//! time it passes the point called NAME. Unset (always, outside tests) it costs one relaxed
//! atomic load per point.
//!
//! Points in `opis ingest`: `store_batch` (a batch committed to the store, not yet handed to
//! the index), `index_batch` (a batch handed to the index, not committed there),
//! `index_commit` (the index committed).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::OnceLock;

/// The configured point and count, read once from the environment.
fn configured() -> Option<&'static (String, u64)> {
    static POINT: OnceLock<Option<(String, u64)>> = OnceLock::new();
    POINT
        .get_or_init(|| {
            let spec = std::env::var("OPIS_FAILPOINT").ok()?;
            let (name, n) = spec.split_once(':').unwrap_or((spec.as_str(), "1"));
            Some((name.trim().to_owned(), n.trim().parse().ok()?))
        })
        .as_ref()
}

/// Passes the point `name`; aborts the process if this is the configured passage.
pub fn pass(name: &str) {
    let Some((point, n)) = configured() else { return };
    if point != name {
        return;
    }
    static PASSED: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);
    let mut passed = PASSED.lock().unwrap_or_else(|e| e.into_inner());
    let count = passed.get_or_insert_with(HashMap::new).entry(name.to_owned()).or_insert(0);
    *count += 1;
    if *count == *n {
        eprintln!("failpoint {name}:{n}: aborting");
        std::process::abort();
    }
}
