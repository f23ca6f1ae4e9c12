//! Helpers shared by the `opis` binary's integration tests: where `../shared` is, a scratch
//! data folder, running the binary, and a store's listing. (Each test binary uses some of them.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared folder of real documents (`OPIS_SHARED`, else `../shared` beside the repository).
pub fn shared() -> PathBuf {
    match std::env::var_os("OPIS_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// A fresh, empty folder for this test process and `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("opis-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `opis --data DATA`, without the failpoint settings the crash tests give some runs.
pub fn opis_command(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opis"));
    c.arg("--data").arg(data).env_remove("OPIS_FAILPOINT").env_remove("OPIS_BATCH_DOCUMENTS");
    c
}

/// Runs `opis --data DATA ARGS…` to the end.
pub fn opis(data: &Path, args: &[&str]) -> Output {
    opis_command(data).args(args).output().expect("run opis")
}

/// Every stored document as (id, version, content hash).
pub type Listing = Vec<(String, u64, String)>;

/// `opis list --json` as (id, version, content hash), sorted.
pub fn listing(data: &Path) -> Listing {
    let out = opis(data, &["list", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut rows: Listing = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_owned(),
                v["version"].as_u64().unwrap(),
                v["content_hash"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The PostgreSQL server the tests may use (`OPIS_TEST_POSTGRES`, which `scripts/test` sets), or
/// `None` after saying the test is skipped; with `OPIS_REQUIRE_POSTGRES` set a missing server
/// fails the test instead.
pub fn test_postgres() -> Option<String> {
    match std::env::var("OPIS_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(std::env::var("OPIS_REQUIRE_POSTGRES").is_err(), "OPIS_REQUIRE_POSTGRES without a server");
            eprintln!("skipped: OPIS_TEST_POSTGRES names no PostgreSQL server");
            None
        }
    }
}
