//! End-to-end tests of the `opis` binary: what a person at a terminal sees, and
//! what happens on bad input (a clear message naming the file, exit code 1, no panic).

mod common;

use common::shared;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn opis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opis")).args(args).output().expect("run opis")
}

/// A scratch file with the given bytes, unique to this test.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("opis-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_refused(path: &Path, expected: &str) {
    let out = opis(&["parse", path.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&path.display().to_string()), "names the file: {err}");
    assert!(err.contains(expected), "says {expected:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn seed_as_json_is_one_line_with_the_model() {
    let seed = shared().join("seed/presidium-1956-10-30.txt");
    let out = opis(&["parse", seed.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(doc["id"], "wilson-113647");
    assert_eq!(doc["protocol"]["number"], "49");
    assert_eq!(doc["sections"][0]["heading"], serde_json::Value::Null);
    assert_eq!(doc["notes"].as_array().unwrap().len(), 21);
    assert!(doc["diagnostics"].as_array().unwrap().is_empty(), "{}", doc["diagnostics"]);
}

#[test]
fn seed_as_text_outline() {
    let seed = shared().join("seed/presidium-1956-10-30.txt");
    let out = opis(&["parse", seed.to_str().unwrap(), "--format", "text"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Working Notes from the Session of the CPSU CC Presidium on 30 October 1956\n"));
    assert!(text.contains("## Consideration of the Draft Declaration\n   presenters: Shepilov, Molotov, Bulganin"));
    assert!(text.contains("   Kaganovich + Molotov + Zhukov: We should mention the Potsdam agreement"));
    assert!(text.contains("Those Taking Part: Bulganin, Voroshilov,"));
    assert!(text.contains("\nNotes\n    1  As with the previous session"));
}

#[test]
fn csv_export_prints_json_lines_and_verbose_names_the_reader() {
    let csv = shared().join("corpora/wilson-center/wilson_archive_kohl-rows.csv");
    let out = opis(&["parse", csv.to_str().unwrap(), "--verbose"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 6);
    assert!(stderr(&out).contains("read with the wilson-csv reader"));
}

#[test]
fn diagnostics_go_to_stderr_with_file_and_line() {
    let jsonl = shared().join("corpora/wilson-center/wilson_archive_db-export.jsonl");
    let out = opis(&["parse", jsonl.to_str().unwrap()]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:1: warning[missing-title]", jsonl.display())), "{err}");
}

#[test]
fn a_marker_without_a_note_is_reported_with_its_line() {
    let seed = std::fs::read_to_string(shared().join("seed/presidium-1956-10-30.txt")).unwrap();
    let broken = seed.replace("withdraw from Hungary as a whole.", "withdraw from Hungary as a whole.(33)");
    let path = scratch("marker.txt", broken.as_bytes());
    let out = opis(&["parse", path.to_str().unwrap()]);
    assert!(out.status.success());
    let line = broken.lines().position(|l| l.contains("as a whole.(33)")).unwrap() + 1;
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:{line}: warning[marker-without-note]: note marker (33)", path.display())),
        "{err}"
    );
}

#[test]
fn empty_file() {
    assert_refused(&scratch("empty.txt", b""), "the file is empty");
}

#[test]
fn binary_file() {
    assert_refused(&scratch("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binary file");
}

#[test]
fn missing_file() {
    assert_refused(Path::new("/nonexistent/opis/record.txt"), "cannot read the file");
}

#[test]
fn text_that_is_not_a_record() {
    assert_refused(
        &scratch("letter.txt", b"Dear Sir,\n\nthis is a plain letter with no record fields.\n"),
        "expected a Wilson Center record",
    );
}

#[test]
fn a_50_mb_single_line() {
    let line = "lorem ipsum dolor sit amet ".repeat(50 * 1024 * 1024 / 27);
    assert_refused(&scratch("long-line.txt", line.as_bytes()), "not a document opis can read");
}

#[test]
fn malformed_json_names_line() {
    assert_refused(&scratch("bad.json", b"{\"title\": \"x\",\n \"raw\": }"), "bad.json:2");
}

#[test]
fn invalid_utf8_is_read_as_windows_1252_with_the_offset() {
    let seed = std::fs::read(shared().join("seed/presidium-1956-10-30.txt")).unwrap();
    let text = String::from_utf8(seed).unwrap();
    let at = text.find("Kadar is behaving well").unwrap() + 3;
    let mut bytes = text.into_bytes();
    bytes[at] = 0xE1; // "Kad\xe1r": á in Windows-1252, invalid as UTF-8
    let path = scratch("latin.txt", &bytes);
    let out = opis(&["parse", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("invalid UTF-8 at byte offset {at}")), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.to_string().contains("Kadár is behaving well"));
    assert_eq!(doc["notes"].as_array().unwrap().len(), 21);
}

#[test]
fn unknown_reader_is_a_usage_error() {
    let out = opis(&["parse", "x.txt", "--reader", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected one of record, wilson-csv"));
}

/// `opis stats | head -1` and the like: a reader that closes the pipe early ends the command
/// quietly with exit 0, never with a panic's message.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let data = common::scratch("closed-pipe");
    let seed = shared().join("seed/presidium-1956-10-30.txt");
    let ingest = common::opis(&data, &["ingest", seed.to_str().unwrap()]);
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    for args in [&["stats"][..], &["people"], &["search", "Khrushchev"], &["list"], &["audit"]] {
        let mut child = common::opis_command(&data)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run opis");
        // The reading end is closed before the command has opened the store, so its first
        // write meets a pipe nobody reads.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "opis {args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "opis {args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&data);
}
