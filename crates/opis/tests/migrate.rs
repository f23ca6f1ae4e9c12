//! `opis migrate` end to end: the seed and a FRUS excerpt (with an account, an access rule and a
//! correction) moved from a data folder to PostgreSQL and back, with `opis check` and the same
//! search answers on every side. Runs when `OPIS_TEST_POSTGRES` names a server (`scripts/test`
//! starts one); with `OPIS_REQUIRE_POSTGRES=1` a missing server is a failure.

mod common;

use common::shared;
use std::path::Path;
use std::process::{Command, Output};

fn opis(data: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opis"));
    cmd.arg("--data").arg(data).args(args).env("OPIS_PASSWORD", "a long enough password").env_remove("OPIS_STORE");
    cmd.output().expect("run opis")
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The ids of the hits of a search, in order.
fn hits(data: &Path, store: Option<&str>, query: &str) -> Vec<String> {
    let mut args = vec!["search", query, "--json", "--limit", "50"];
    if let Some(url) = store {
        args.extend(["--store", url]);
    }
    let out: serde_json::Value = serde_json::from_str(&ok(&opis(data, &args))).expect("search JSON");
    out["hits"].as_array().expect("hits").iter().map(|h| h["id"].as_str().unwrap_or_default().to_owned()).collect()
}

#[test]
fn a_collection_moves_to_postgresql_and_back_with_its_history() {
    let Some(admin) = common::test_postgres() else { return };
    let root = std::env::temp_dir().join(format!("opis-migrate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (folder, node, back) = (root.join("folder"), root.join("node"), root.join("back"));
    let seed = shared().join("seed/presidium-1956-10-30.txt");
    let frus = shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml");
    ok(&opis(&folder, &["ingest", seed.to_str().unwrap(), frus.to_str().unwrap()]));
    ok(&opis(&folder, &["user", "add", "ed", "--role", "editor"]));
    ok(&opis(&folder, &["access", "set", "document", "frus1955-57v25d162", "restricted"]));
    let patch = r#"{"op":"set_field","field":"place","value":"Moscow, the Kremlin"}"#;
    ok(&opis(&folder, &["correct", "wilson-113647", patch, "--reason", "the place of the session", "--author", "ed"]));
    let before = hits(&folder, None, "\"Pancha Shila\"");
    assert!(before.iter().any(|h| h.starts_with("wilson-113647")), "the seed is found: {before:?}");

    let url = opis_store::create_postgres_database(&admin, &format!("t_migrate_{}", std::process::id())).unwrap();
    let there = ok(&opis(&node, &["migrate", "--from", folder.to_str().unwrap(), "--to", &url]));
    assert!(there.contains("copied 5 documents (6 versions)"), "{there}");
    assert_eq!(there.matches("store and index agree").count(), 2, "both sides checked: {there}");
    assert_eq!(hits(&node, Some(&url), "\"Pancha Shila\""), before);
    let versions = ok(&opis(&node, &["show", "wilson-113647", "--versions", "--store", &url]));
    assert_eq!(versions.lines().filter(|l| !l.trim().is_empty()).count(), 2, "both versions moved: {versions}");
    let show = ok(&opis(&node, &["show", "wilson-113647", "--format", "json", "--store", &url]));
    assert!(show.contains("Moscow, the Kremlin"), "the corrected version is current");
    let rules = ok(&opis(&node, &["access", "list", "--store", &url]));
    assert!(rules.contains("frus1955-57v25d162"), "{rules}");
    assert!(ok(&opis(&node, &["user", "list", "--store", &url])).starts_with("ed\teditor\t"));
    let again = opis(&node, &["migrate", "--from", folder.to_str().unwrap(), "--to", &url]);
    assert_eq!(again.status.code(), Some(1), "never into a store with documents");

    let home = ok(&opis(&node, &["migrate", "--from", &url, "--to", back.to_str().unwrap()]));
    assert!(home.contains("copied 5 documents (6 versions)"), "{home}");
    ok(&opis(&back, &["check"]));
    assert_eq!(hits(&back, None, "\"Pancha Shila\""), before);
    let _ = std::fs::remove_dir_all(&root);
}
