//! Concurrent writers on one PostgreSQL store: two `opis ingest` processes (each with its own
//! data folder, as on two machines) writing overlapping sets of real documents while an editor
//! corrects the seed from the command line. Nothing is lost, duplicated or interleaved: the
//! store ends with exactly the documents of one ingest into an embedded store (same ids and
//! content hashes), every document's versions are 1..n, the change log is in commit order,
//! every correction is applied, and a new node's index agrees (`opis check`).
//! Runs when `OPIS_TEST_POSTGRES` names a server; `OPIS_REQUIRE_POSTGRES=1` makes a missing
//! server a failure.

mod common;

use common::{opis_command, scratch, shared};
use opis_store::{SqlStore, Store};
use std::process::Output;

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn two_ingests_and_an_editor_at_once_lose_nothing() {
    let Some(admin) = common::test_postgres() else { return };
    let url = opis_store::create_postgres_database(&admin, &format!("t_writers_{}", std::process::id())).unwrap();
    let root = scratch("pg-writers");
    let seed = shared().join("seed");
    let corpora = shared().join("corpora");
    let (frus, wilson, akoma) = (corpora.join("frus"), corpora.join("wilson-center"), corpora.join("akoma-ntoso"));
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();

    // The reference: the same files into an embedded store, one ingest.
    let reference = root.join("reference");
    let _ =
        opis_command(&reference).args(["ingest", &path(&seed), &path(&frus), &path(&wilson), &path(&akoma)]).output();
    let expected = SqlStore::open(&reference).unwrap().content_hashes().unwrap();
    assert!(expected.len() > 20, "the reference holds the corpora: {}", expected.len());

    ok(&opis_command(&root.join("first")).args(["--store", &url, "ingest", &path(&seed)]).output().unwrap());
    let ingest = |dir: &str, paths: Vec<String>| {
        let mut c = opis_command(&root.join(dir));
        c.args(["--store", &url, "ingest"]).args(paths).env("OPIS_BATCH_DOCUMENTS", "3");
        c.spawn().unwrap()
    };
    // Overlapping sets, in different orders: both write FRUS and Wilson Center documents.
    let a = ingest("a", vec![path(&frus), path(&wilson), path(&akoma)]);
    let b = ingest("b", vec![path(&wilson), path(&akoma), path(&frus), path(&seed)]);
    let corrections = ["Suslov", "Zhukov", "Molotov", "Saburov", "Kaganovich"];
    for who in corrections {
        let patch = format!(r#"{{"op":"set_field","field":"summary","value":"checked against the minutes by {who}"}}"#);
        ok(&opis_command(&root.join("editor"))
            .args(["--store", &url, "correct", "wilson-113647", &patch, "--reason", "review", "--author", who])
            .output()
            .unwrap());
    }
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        // A file that fails to parse fails in both (the reference kept what parsed too).
        assert!(out.status.code().is_some(), "the ingest ended");
    }

    let store = SqlStore::connect(&url).unwrap();
    let got = store.content_hashes().unwrap();
    let seed_id = "wilson-113647";
    let strip = |v: &[(String, u32, String)]| -> Vec<(String, String)> {
        v.iter().filter(|(id, _, _)| id != seed_id).map(|(id, _, h)| (id.clone(), h.clone())).collect()
    };
    assert_eq!(strip(&got), strip(&expected), "the same documents with the same content, once each");
    for (id, version, _) in &got {
        let versions: Vec<u32> = store.versions(id).unwrap().iter().map(|v| v.version).collect();
        assert_eq!(versions, (1..=*version).collect::<Vec<_>>(), "{id}: versions 1..n, no gap, no twin");
    }
    // The seed: version 1 and one version per correction, the last one current; the ingest that
    // read the seed again re-applied them and wrote nothing new.
    let seed_doc = store.document(seed_id).unwrap().unwrap();
    assert_eq!(seed_doc.version, 1 + corrections.len() as u32);
    assert_eq!(seed_doc.document.summary.as_deref(), Some("checked against the minutes by Kaganovich"));
    assert_eq!(store.corrections(Some(seed_id)).unwrap().len(), corrections.len());
    // The change log: increasing seqs, one entry per version written.
    let log = store.changes_since(0, 100_000).unwrap();
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    let versions_written: u32 = got.iter().map(|(_, v, _)| v).sum();
    assert_eq!(log.len() as u32, versions_written, "one change per version, none lost or doubled");

    // A new node catches up (a search syncs its index first), then agrees with the store.
    let node = root.join("node");
    ok(&opis_command(&node).args(["--store", &url, "search", "Hungary"]).output().unwrap());
    let checked = ok(&opis_command(&node).args(["--store", &url, "check"]).output().unwrap());
    assert!(checked.contains("store and index agree"), "{checked}");
    let _ = std::fs::remove_dir_all(&root);
}

/// The people authority built on PostgreSQL (its names read a whole part of nodes per query) is
/// the one the embedded store builds from the same documents: same persons, variants, links
/// and ambiguities, byte for byte in `opis people --json`.
#[test]
fn the_people_authority_is_the_same_on_both_engines() {
    let Some(admin) = common::test_postgres() else { return };
    let url = opis_store::create_postgres_database(&admin, &format!("t_people_{}", std::process::id())).unwrap();
    let root = scratch("pg-people");
    let (embedded, server) = (root.join("embedded"), root.join("server"));
    let sources = [shared().join("seed"), shared().join("corpora")];
    let people = |data: &std::path::Path, store: Option<&str>, extra: &[&str]| {
        let mut c = opis_command(data);
        if let Some(url) = store {
            c.args(["--store", url]);
        }
        ok(&c.arg("people").arg("--json").args(extra).output().unwrap())
    };
    let _ = opis_command(&embedded).arg("ingest").args(&sources).output().unwrap();
    let _ = opis_command(&server).args(["--store", &url, "ingest"]).args(&sources).output().unwrap();
    let (a, b) = (people(&embedded, None, &[]), people(&server, Some(&url), &[]));
    assert!(a.len() > 100_000, "the authority holds the corpora's people: {} bytes", a.len());
    assert!(a == b, "the two engines built different authorities ({} and {} bytes)", a.len(), b.len());
    let (a, b) = (people(&embedded, None, &["--ambiguous"]), people(&server, Some(&url), &["--ambiguous"]));
    assert!(a.contains('{') && a == b, "the same ambiguities on both engines");
    let _ = std::fs::remove_dir_all(&root);
}
