//! `opis ingest`, `opis show` and `opis stats` end to end on real documents.

mod common;

use common::{listing, opis, scratch, shared};
use std::path::Path;
use std::process::{Command, Output};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn ingesting_twice_writes_nothing_the_second_time() {
    let dir = scratch("twice");
    let data = dir.join("data");
    let seed = shared().join("seed");
    let wilson = shared().join("corpora/wilson-center");
    let args = ["ingest", seed.to_str().unwrap(), wilson.to_str().unwrap()];
    let first = opis(&data, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    // The seed (1), the CSV (6 rows), the JSON Lines (13 rows), the API transcript and collection (2).
    assert!(stderr(&first).contains("22 new, 0 changed, 0 unchanged"), "{}", stderr(&first));
    let second = opis(&data, &args);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stderr(&second).contains("0 new, 0 changed, 22 unchanged"), "{}", stderr(&second));
    let stats = opis(&data, &["stats", "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["documents"], 22);
    // The seed has 22 turns and 21 notes; the export rows add their own.
    assert!(stats["turns"].as_u64().unwrap() >= 22);
    assert!(stats["notes"].as_u64().unwrap() >= 21);
}

#[test]
fn a_changed_source_becomes_a_new_version_and_the_old_one_stays_readable() {
    let dir = scratch("versions");
    let data = dir.join("data");
    let file = dir.join("presidium.txt");
    let original = std::fs::read_to_string(shared().join("seed/presidium-1956-10-30.txt")).unwrap();
    std::fs::write(&file, &original).unwrap();
    assert!(opis(&data, &["ingest", file.to_str().unwrap()]).status.success());
    let edited = original.replace("We are unanimous.", "We are unanimous, all of us.");
    std::fs::write(&file, &edited).unwrap();
    let out = opis(&data, &["ingest", file.to_str().unwrap()]);
    assert!(stderr(&out).contains("0 new, 1 changed, 0 unchanged"), "{}", stderr(&out));

    let versions = String::from_utf8(opis(&data, &["show", "wilson-113647", "--versions"]).stdout).unwrap();
    assert_eq!(versions.lines().count(), 2, "{versions}");
    assert!(versions.lines().next().unwrap().starts_with("version 1"));
    let old = String::from_utf8(opis(&data, &["show", "wilson-113647", "--version", "1", "--format", "json"]).stdout)
        .unwrap();
    assert!(old.contains("We are unanimous. As a first step"));
    let new = String::from_utf8(opis(&data, &["show", "wilson-113647", "--format", "json"]).stdout).unwrap();
    assert!(new.contains("We are unanimous, all of us."));
}

#[test]
fn a_bad_file_fails_alone_and_everything_else_is_kept() {
    let dir = scratch("bad");
    let data = dir.join("data");
    let bad = dir.join("broken.json");
    std::fs::write(&bad, b"{\"title\": \"x\",\n \"raw\": }").unwrap();
    let seed = shared().join("seed/presidium-1956-10-30.txt");
    let out = opis(&data, &["ingest", seed.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("1 new") && err.contains("1 failed"), "{err}");
    assert!(err.contains(&format!("failed: {}:2:", bad.display())), "names file and line: {err}");
    let shown = opis(&data, &["show", "wilson-113647"]);
    assert!(shown.status.success());
}

#[test]
fn show_of_an_unknown_id_says_so() {
    let dir = scratch("unknown");
    let out = opis(&dir.join("data"), &["show", "wilson-1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no document with id \"wilson-1\""), "{}", stderr(&out));
}

#[test]
fn a_kill_during_ingest_then_a_rerun_gives_the_uninterrupted_result() {
    let dir = scratch("kill");
    let sources: Vec<String> =
        ["seed", "corpora/wilson-center", "corpora/frus", "corpora/parlamint/ParlaMint-GB-samples"]
            .iter()
            .map(|p| shared().join(p).display().to_string())
            .collect();
    let mut args = vec!["ingest"];
    args.extend(sources.iter().map(String::as_str));

    let reference = dir.join("reference");
    let out = opis(&reference, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = listing(&reference);
    // The seed, 21 Wilson Center records (6 CSV rows, 13 JSON Lines rows, 2 API objects),
    // 77 FRUS documents (4 in the volume excerpt, 73 in the history files), 1 ParlaMint sitting.
    assert_eq!(expected.len(), 100);

    // Kill at several points: early, mid-parse, near the end (timings vary by machine;
    // whatever point each lands on, the rerun must repair it).
    for (round, delay_ms) in [20u64, 80, 200, 500, 1000].into_iter().enumerate() {
        let data = dir.join(format!("killed-{round}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_opis"))
            .arg("--data")
            .arg(&data)
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let rerun = opis(&data, &args);
        assert!(rerun.status.success(), "round {round}: {}", stderr(&rerun));
        let check = opis(&data, &["check"]);
        assert!(check.status.success(), "round {round}: {}{}", String::from_utf8_lossy(&check.stdout), stderr(&check));
        assert_eq!(listing(&data), expected, "round {round}: every document exactly once, same content");
    }
}

#[test]
fn search_json_is_the_models_search_results_and_errors_point_at_the_place() {
    let dir = scratch("search");
    let data = dir.join("data");
    let seed = shared().join("seed/presidium-1956-10-30.txt");
    assert!(opis(&data, &["ingest", seed.to_str().unwrap()]).status.success());
    let out = opis(&data, &["search", "speaker:Zhukov troops", "--json", "--facets"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Zhukov's turns 7 and 8 speak of troops ("withdraw troops from Budapest", "troops in the GDR").
    let turns: Vec<u64> = r["hits"].as_array().unwrap().iter().filter_map(|h| h["turn"].as_u64()).collect();
    assert_eq!(turns, vec![7, 8]);
    let hit = r["hits"].as_array().unwrap().iter().find(|h| h["turn"].is_u64()).unwrap();
    for field in ["id", "turn", "speakers", "title", "date", "kind", "snippet", "score"] {
        assert!(hit.get(field).is_some(), "hit has {field}: {hit}");
    }
    assert_eq!(hit["speakers"], serde_json::json!(["Zhukov"]));
    assert_eq!(hit["date"]["from"], "1956-10-30");
    assert_eq!(r["total"], r["hits"].as_array().unwrap().len());
    assert_eq!(r["facets"]["speaker"]["Zhukov"], 2);

    let bad = opis(&data, &["search", "\"Pancha Shila"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(err.contains("unclosed quote at column 1"), "{err}");
    assert!(err.contains("\"Pancha Shila\n^"), "a caret under the place: {err}");
}

/// The seed's printed citation: the line after "**Citation:**".
fn seed_citation() -> String {
    let text = std::fs::read_to_string(shared().join("seed/presidium-1956-10-30.txt")).unwrap();
    let at = text.find("**Citation:**").unwrap();
    text[at..].lines().skip(1).map(str::trim).find(|l| !l.is_empty()).unwrap().to_owned()
}

#[test]
fn show_prints_citations_in_every_format() {
    let dir = scratch("cite");
    let data = dir.join("data");
    let seed = shared().join("seed/presidium-1956-10-30.txt");
    let hostile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hostile-record.txt");
    let out = opis(&data, &["ingest", seed.to_str().unwrap(), hostile.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let show = |id: &str, format: &str| {
        let out = opis(&data, &["--base-url", "https://archive.example/", "show", id, "--format", format]);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let printed = seed_citation();
    // "…, Wilson Center Digital Archive, TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14, compiled by V. N. Malin. …"
    let reference = printed.split("Digital Archive, ").nth(1).unwrap().split(", compiled by").next().unwrap();

    let csl: serde_json::Value = serde_json::from_str(&show("wilson-113647", "csl-json")).unwrap();
    let item = &csl[0];
    assert_eq!(
        format!("{}, {}", item["archive"].as_str().unwrap(), item["archive_location"].as_str().unwrap()),
        reference
    );
    assert!(printed.starts_with(&format!("\"{}\"", item["title"].as_str().unwrap())));
    assert_eq!(item["compiler"][0]["family"], "Malin");

    let bib = show("wilson-113647", "bibtex");
    assert!(bib.starts_with("@unpublished{wilson-113647,\n"), "{bib}");
    assert!(bib.contains(&format!("  library = {{{reference}}},\n")), "{bib}");

    let ris = show("wilson-113647", "ris");
    assert!(ris.starts_with("TY  - MANSCPT\r\n") && ris.ends_with("ER  - \r\n"), "{ris:?}");

    let note = show("wilson-113647", "chicago");
    let (archive, location) = reference.split_once(", ").unwrap();
    assert!(note.contains(&format!("{location}, {archive}")), "{note}");
    assert!(note.contains("V. N. Malin"), "{note}");

    // The fixture has no source URL: its citations point to the reading room named by --base-url.
    let ris = show("hostile-record", "ris");
    assert!(ris.contains("UR  - https://archive.example/doc/hostile-record\r\n"), "{ris}");
    assert!(ris.contains("TI  - Record of a Session with <script>alert('one')</script> in its Title\r\n"), "{ris}");
    let bib = show("hostile-record", "bibtex");
    assert!(
        bib.contains("title = {{Record of a Session with $<$script$>$alert('one')$<$/script$>$ in its Title}}"),
        "{bib}"
    );
}

/// The same document in two files of one run is stored once ("read twice"); a third file with
/// the same id and other content is a failure naming the file that came first, and is not stored.
#[test]
fn one_id_read_twice_in_a_run_is_stored_once_and_other_content_under_it_fails() {
    let dir = scratch("read-twice");
    let data = dir.join("data");
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let seed = std::fs::read_to_string(shared().join("seed/presidium-1956-10-30.txt")).unwrap();
    assert!(seed.contains("Pancha Shila"));
    std::fs::write(files.join("a.txt"), &seed).unwrap();
    std::fs::write(files.join("b.txt"), &seed).unwrap();
    std::fs::write(files.join("c.txt"), seed.replacen("Pancha Shila", "Panch Shila", 1)).unwrap();
    let out = opis(&data, &["ingest", files.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("1 new, 0 changed, 0 unchanged, 1 read twice, 0 skipped, 1 failed"), "{err}");
    let expected = format!(
        "{}: document id wilson-113647 was already read, with other content, from {} in this run",
        files.join("c.txt").display(),
        files.join("a.txt").display()
    );
    assert!(err.contains(&expected), "{err}");
    assert_eq!(listing(&data).len(), 1);
}
