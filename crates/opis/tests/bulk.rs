//! `opis export` and reading the export back with `opis ingest`, end to end on the seed, the
//! corpora and the hostile fixture: into an empty data folder, JSON Lines and TEI give the same
//! documents (ids and content hashes, as `opis list --json` prints them) and `opis check`
//! passes; an export by query holds exactly the documents the search finds.

mod common;

use common::{opis, scratch, shared};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

#[track_caller]
fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr)
}

/// id → content hash, from `opis list --json`.
fn hashes(data: &Path) -> BTreeMap<String, String> {
    ok(opis(data, &["list", "--json"]))
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_owned(), v["content_hash"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// The source collection: the seed, every corpus and the hostile fixture.
fn source() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let data = scratch("source").join("data");
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let (seed, corpora) = (shared().join("seed"), shared().join("corpora"));
        let out =
            opis(&data, &["ingest", seed.to_str().unwrap(), corpora.to_str().unwrap(), fixtures.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        data
    })
}

#[test]
fn json_lines_export_then_import_gives_the_same_documents() {
    let original = hashes(source());
    assert!(original.len() > 100 && original.contains_key("wilson-113647"), "{} documents", original.len());
    let dir = scratch("jsonl");
    let out = dir.join("export");
    let said = ok(opis(source(), &["export", "--format", "jsonl", "--out", out.to_str().unwrap()]));
    assert!(said.contains(&format!("exported {} document(s)", original.len())), "{said}");
    let file = out.join("opis-documents.jsonl");
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), original.len());

    let copy = dir.join("copy");
    let said = ok(opis(&copy, &["ingest", out.to_str().unwrap()]));
    assert!(said.contains(&format!("{} new, 0 changed", original.len())), "{said}");
    assert_eq!(hashes(&copy), original, "same ids, same content hashes");
    assert!(ok(opis(&copy, &["check"])).contains(&format!("ok: {} documents", original.len())));
    // Ingesting the export into the collection it came from changes nothing.
    let said = ok(opis(source(), &["ingest", file.to_str().unwrap()]));
    assert!(said.contains(&format!("0 new, 0 changed, {} unchanged", original.len())), "{said}");
}

#[test]
fn tei_export_then_import_gives_the_same_documents() {
    let original = hashes(source());
    let dir = scratch("tei");
    let out = dir.join("export");
    ok(opis(source(), &["export", "--format", "tei", "--out", out.to_str().unwrap()]));
    let files: BTreeSet<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let expected: BTreeSet<String> = original.keys().map(|id| format!("{id}.xml")).collect();
    assert_eq!(files, expected, "one file per document, named by its id");
    let copy = dir.join("copy");
    ok(opis(&copy, &["ingest", out.to_str().unwrap()]));
    let copied = hashes(&copy);
    let differ: Vec<&String> = original.keys().filter(|id| copied.get(*id) != original.get(*id)).collect();
    assert!(differ.is_empty(), "TEI did not carry {} document(s) whole: {differ:?}", differ.len());
    assert_eq!(copied.len(), original.len());
    ok(opis(&copy, &["check"]));
}

#[test]
fn an_export_by_query_holds_the_documents_the_search_finds() {
    let query = "\"Pancha Shila\"";
    let search = opis(source(), &["search", query, "--json", "--limit", "1000"]);
    assert!(search.status.success());
    let found: serde_json::Value = serde_json::from_slice(&search.stdout).unwrap();
    let ids: BTreeSet<String> =
        found["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.contains("wilson-113647"), "the seed speaks of Pancha Shila: {ids:?}");
    let out = scratch("query").join("export");
    ok(opis(source(), &["export", "--format", "jsonl", "--out", out.to_str().unwrap(), query]));
    let exported: BTreeSet<String> = std::fs::read_to_string(out.join("opis-documents.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(exported, ids);
}

/// `opis ingest` with large JSON Lines files read in pieces of about `piece` bytes.
fn ingest_in_pieces(data: &Path, path: &Path, piece: usize) -> Output {
    common::opis_command(data)
        .env("OPIS_SPLIT_BYTES", "1")
        .env("OPIS_PIECE_BYTES", piece.to_string())
        .args(["ingest", path.to_str().unwrap()])
        .output()
        .unwrap()
}

#[test]
fn a_json_lines_file_read_in_pieces_gives_the_same_documents_as_read_whole() {
    let original = hashes(source());
    let dir = scratch("pieces");
    let out = dir.join("export");
    ok(opis(source(), &["export", "--format", "jsonl", "--out", out.to_str().unwrap()]));
    let file = out.join("opis-documents.jsonl");
    let size = std::fs::metadata(&file).unwrap().len() as usize;
    // Pieces of 1/20 of the file: about twenty jobs, most of several lines, cut between lines.
    let said = ok(ingest_in_pieces(&dir.join("copy"), &file, size / 20));
    assert!(said.contains(&format!("{} new, 0 changed", original.len())), "{said}");
    assert!(said.contains("1 file"), "one file, however many pieces: {said}");
    assert_eq!(hashes(&dir.join("copy")), original, "same ids, same content hashes");

    // The Wilson Center's own JSON Lines export (13 rows, 3 without an id of their own, named
    // by their line): pieces of 1 byte, so each line is a piece of its own.
    let wilson = shared().join("corpora/wilson-center/wilson_archive_db-export.jsonl");
    ok(opis(&dir.join("whole"), &["ingest", wilson.to_str().unwrap()]));
    ok(ingest_in_pieces(&dir.join("lines"), &wilson, 1));
    let whole = hashes(&dir.join("whole"));
    assert_eq!(whole.len(), 13, "{whole:?}");
    assert_eq!(hashes(&dir.join("lines")), whole);
}

#[test]
fn a_bad_line_in_a_large_file_fails_its_piece_with_the_files_line_number() {
    let dir = scratch("bad-line");
    let out = dir.join("export");
    ok(opis(source(), &["export", "--format", "jsonl", "--out", out.to_str().unwrap()]));
    let text = std::fs::read_to_string(out.join("opis-documents.jsonl")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let total = lines.len();
    lines[39] = "{\"id\": \"broken\", this is not JSON";
    let file = dir.join("broken.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    // Pieces of about 1/10 of the file.
    let out = ingest_in_pieces(&dir.join("data"), &file, text.len() / 10);
    assert!(!out.status.success(), "a failed piece fails the run");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("broken.jsonl:40"), "the line of the whole file: {said}");
    // The other pieces are kept: the first and last documents are stored, not the whole file.
    let stored = hashes(&dir.join("data"));
    let id = |line: &str| serde_json::from_str::<serde_json::Value>(line).unwrap()["id"].as_str().unwrap().to_owned();
    assert!(stored.contains_key(&id(lines[0])) && stored.contains_key(&id(lines[total - 1])), "{}", stored.len());
    assert!(stored.len() < total - 1 && stored.len() > total / 2, "{} of {total}", stored.len());
}
