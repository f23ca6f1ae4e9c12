//! The people authority end to end: built at ingest, the editor's `DATA/people.csv` applied
//! and kept through re-ingest (of changed and unchanged sources), reindex and restart, and
//! `person:`/`speaker:` searches going through it.

mod common;

use common::{scratch, shared};
use std::path::Path;
use std::process::{Command, Output};

fn opis(data: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_opis")).arg("--data").arg(data).args(args).output().expect("run opis");
    assert!(out.status.success(), "opis {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn people(data: &Path) -> Vec<serde_json::Value> {
    let out = opis(data, &["people", "--json"]);
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn with_form<'a>(people: &'a [serde_json::Value], form: &str) -> Vec<&'a serde_json::Value> {
    people.iter().filter(|p| p["variants"].as_array().unwrap().iter().any(|v| v["form"] == form)).collect()
}

/// Turns (not documents) a search finds.
fn turns_found(data: &Path, query: &str) -> usize {
    let out = opis(data, &["search", "--json", "--limit", "100", query]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["hits"].as_array().unwrap().iter().filter(|h| h["turn"].is_number()).count()
}

#[test]
fn overrides_survive_reingest_reindex_and_restart() {
    let dir = scratch("overrides");
    let data = dir.join("data");
    let file = dir.join("presidium.txt");
    let original = std::fs::read_to_string(shared().join("seed/presidium-1956-10-30.txt")).unwrap();
    std::fs::write(&file, &original).unwrap();
    opis(&data, &["ingest", file.to_str().unwrap()]);
    let before = people(&data);
    let k = with_form(&before, "Khrushchev");
    assert_eq!(k.len(), 1);
    let k_id = k[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(k[0]["turns"], 6);
    // The authority has no "N. S. Khrushchev": the seed never prints it.
    assert_eq!(turns_found(&data, "speaker:\"N. S. Khrushchev\""), 0);
    let malin = with_form(&before, "V. N. Malin")[0]["id"].as_str().unwrap().to_owned();
    let bulganin = with_form(&before, "Bulganin")[0]["id"].as_str().unwrap().to_owned();
    std::fs::write(
        data.join("people.csv"),
        format!(
            "# the editor's changes\naction,person,value,script,system\n\
             rename,{k_id},Nikita Sergeyevich Khrushchev\n\
             variant,{k_id},N. S. Khrushchev\n\
             variant,{k_id},Хрущёв,Cyrl,\n\
             merge,{malin},{bulganin}\n\
             not-person,,Kadar\n"
        ),
    )
    .unwrap();
    let check = |label: &str| {
        let now = people(&data);
        let k = now.iter().find(|p| p["id"] == k_id.as_str()).unwrap_or_else(|| panic!("{label}: {k_id} gone"));
        assert_eq!(k["name"], "Nikita Sergeyevich Khrushchev", "{label}");
        assert!(with_form(&now, "N. S. Khrushchev").iter().any(|p| p["id"] == k_id.as_str()), "{label}");
        // A deliberately wrong merge, to see that merges are applied: Malin and Bulganin are one.
        let m = with_form(&now, "V. N. Malin");
        assert_eq!(m.len(), 1, "{label}");
        assert!(with_form(&now, "Bulganin").iter().any(|p| p["id"] == m[0]["id"]), "{label}");
        assert!(with_form(&now, "Kadar").is_empty(), "{label}");
        // The editor's variant finds Khrushchev's six turns.
        assert_eq!(turns_found(&data, "speaker:\"N. S. Khrushchev\""), 6, "{label}");
    };
    // Applied on the next ingest, even of an unchanged source.
    opis(&data, &["ingest", file.to_str().unwrap()]);
    check("re-ingest, unchanged");
    // A changed source (a new version) is re-read: the overrides still hold.
    std::fs::write(&file, original.replace("We are unanimous.", "We are unanimous, all of us.")).unwrap();
    opis(&data, &["ingest", file.to_str().unwrap()]);
    check("re-ingest, changed");
    opis(&data, &["reindex"]);
    check("reindex");
    // Every command is a new process: this one reads what the last one stored.
    check("restart");
    opis(&data, &["people", "--show", &k_id]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pocom_records_are_stored_at_ingest_and_link_frus_mentions() {
    let dir = scratch("pocom");
    let data = dir.join("data");
    let frus = shared().join("corpora/frus");
    opis(&data, &["ingest", frus.to_str().unwrap()]);
    let all = people(&data);
    // 4,261 pocom persons (the corpus README), each a person of the authority.
    assert_eq!(all.iter().filter(|p| p["id"].as_str().unwrap().starts_with("pocom-")).count(), 4261);
    let wailes = all.iter().find(|p| p["id"] == "pocom-wailes-edward-thompson").unwrap();
    assert!(wailes["documents"].as_u64().unwrap() >= 2, "{wailes}");
    // person: through the authority: the preferred name finds the documents that say "Wailes".
    let out = opis(&data, &["search", "--json", "person:\"Edward Thompson Wailes\""]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"frus1955-57v25-d162") && ids.contains(&"frus1955-57v25-d163"), "{ids:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What a data folder's authority says: every person (with documents, turns, variants and
/// their sources) and every ambiguity.
fn authority(data: &Path) -> (String, String) {
    let people = opis(data, &["people", "--json"]);
    let ambiguous = opis(data, &["people", "--ambiguous", "--json"]);
    (String::from_utf8_lossy(&people.stdout).into_owned(), String::from_utf8_lossy(&ambiguous.stdout).into_owned())
}

#[test]
fn rebuilds_follow_changed_speakers_and_skip_unchanged_input() {
    let dir = scratch("people-rebuild");
    let (data, fresh) = (dir.join("data"), dir.join("fresh"));
    let file = dir.join("presidium.txt");
    let original = std::fs::read_to_string(shared().join("seed/presidium-1956-10-30.txt")).unwrap();
    std::fs::write(&file, &original).unwrap();
    opis(&data, &["ingest", file.to_str().unwrap()]);
    let turns_of = |data: &Path, form: &str| -> u64 {
        let all = people(data);
        let p = with_form(&all, form);
        assert_eq!(p.len(), 1, "{form}");
        p[0]["turns"].as_u64().unwrap()
    };
    assert_eq!(turns_of(&data, "Khrushchev"), 6);
    // A new version gives one of Khrushchev's turns to Mikoyan: the authority built over the
    // stored summaries (the unchanged document's, the new version's) is the authority of
    // the new version built in an empty folder.
    let changed = original.replacen("Cde. Khrushchev: We are unanimous.", "Cde. Mikoyan: We are unanimous.", 1);
    assert_ne!(changed, original);
    std::fs::write(&file, &changed).unwrap();
    let out = opis(&data, &["ingest", file.to_str().unwrap()]);
    assert!(stderr_of(&out).contains("1 changed") && stderr_of(&out).contains("people: "), "{}", stderr_of(&out));
    assert_eq!(turns_of(&data, "Khrushchev"), 5);
    opis(&fresh, &["ingest", file.to_str().unwrap()]);
    assert_eq!(authority(&data), authority(&fresh));
    // With the editor's file present every ingest checks the authority: once built for these
    // documents and overrides, an unchanged re-ingest builds nothing.
    std::fs::write(data.join("people.csv"), "action,person,value,script,system\nnot-person,,Kadar\n").unwrap();
    let out = opis(&data, &["ingest", file.to_str().unwrap()]);
    assert!(stderr_of(&out).contains("person(s)"), "{}", stderr_of(&out));
    let out = opis(&data, &["ingest", file.to_str().unwrap()]);
    assert!(stderr_of(&out).contains("people: unchanged"), "{}", stderr_of(&out));
    // A correction stores a version without its summary: the next rebuild makes it from the
    // stored document, and the corrected speaker is in the authority.
    let before = turns_of(&data, "Suslov");
    let patch =
        r#"{"op":"set_speakers","turn":10,"anchor":"Agrees about the need for a Declaration","speakers":["Suslov"]}"#;
    opis(&data, &["correct", "wilson-113647", patch, "--reason", "test"]);
    let out = opis(&data, &["people", "--rebuild"]);
    assert!(stderr_of(&out).contains("1 document(s) summarized"), "{}", stderr_of(&out));
    assert_eq!(turns_of(&data, "Suslov"), before + 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A collection with more names than a rebuild holds in memory has them spilled to a file and
/// its parts read back in windows: the authority is the one built in a single pass.
#[test]
fn built_in_windows_of_parts_the_authority_is_the_one_built_at_once() {
    let dir = scratch("people-windows");
    let data = dir.join("data");
    let corpora = shared().join("corpora");
    opis(&data, &["ingest", shared().join("seed").to_str().unwrap(), corpora.to_str().unwrap()]);
    let at_once = authority(&data);
    assert!(at_once.0.lines().count() > 1000 && at_once.1.len() > 100, "{} persons", at_once.0.lines().count());
    let out = Command::new(env!("CARGO_BIN_EXE_opis"))
        .arg("--data")
        .arg(&data)
        .args(["people", "--rebuild"])
        .env("OPIS_PEOPLE_NAMES_IN_MEMORY", "200")
        .env("RUST_LOG", "opis::people=debug")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let windows = stderr_of(&out).matches("a window of parts read").count();
    assert!(windows > 10, "{windows} windows: {}", stderr_of(&out));
    assert!(stderr_of(&out).contains("spilled=true"), "{}", stderr_of(&out));
    assert!(!data.join("people-names.spill").exists(), "the spill file is removed");
    assert_eq!(authority(&data), at_once);
    let _ = std::fs::remove_dir_all(&dir);
}
