//! The administrative commands end to end: `opis user`, `opis token`, `opis access`, `opis
//! grant`, `opis correct`, `opis audit` and `opis export --public-only`, on the seed and the
//! FRUS excerpt; a correction that survives `opis ingest` of the unchanged seed and `opis
//! reindex`.

mod common;

use common::shared;
use std::path::Path;
use std::process::{Command, Output};

fn opis(data: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opis"));
    cmd.arg("--data").arg(data).args(args);
    if let Some(p) = password {
        cmd.env("OPIS_PASSWORD", p);
    }
    cmd.output().expect("run opis")
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn accounts_tokens_access_corrections_and_the_audit_log_from_the_command_line() {
    let data = std::env::temp_dir().join(format!("opis-accounts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let seed = shared().join("seed/presidium-1956-10-30.txt");
    let frus = shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml");
    ok(&opis(&data, &["ingest", seed.to_str().unwrap(), frus.to_str().unwrap()], None));

    ok(&opis(&data, &["user", "add", "ed", "--role", "editor"], Some("a long enough password")));
    let again = opis(&data, &["user", "add", "ed", "--role", "reader"], Some("a long enough password"));
    assert_eq!(again.status.code(), Some(1), "a name is taken once");
    let short = opis(&data, &["user", "add", "al", "--role", "reader"], Some("short"));
    assert_eq!(short.status.code(), Some(1), "too short a password is refused");
    assert!(ok(&opis(&data, &["user", "list"], None)).starts_with("ed\teditor\t"));

    let token = ok(&opis(&data, &["token", "create", "--role", "editor", "--label", "ci"], None)).trim().to_owned();
    assert!(token.starts_with("opis_") && token.len() == 5 + 64, "{token}");
    let listed = ok(&opis(&data, &["token", "list"], None));
    assert!(listed.contains("editor") && listed.contains("active") && !listed.contains(&token));
    ok(&opis(&data, &["token", "revoke", "1"], None));
    assert!(ok(&opis(&data, &["token", "list"], None)).contains("revoked"));
    assert_eq!(opis(&data, &["token", "revoke", "1"], None).status.code(), Some(1));

    // Restrict the FRUS telegram of 3 November 1956 (d162); a public export leaves it out.
    ok(&opis(&data, &["access", "set", "document", "frus1955-57v25-d162", "restricted"], None));
    assert!(ok(&opis(&data, &["access", "list"], None)).contains("frus1955-57v25-d162"));
    let all = data.join("all");
    let public = data.join("public");
    ok(&opis(&data, &["export", "--format", "jsonl", "--out", all.to_str().unwrap()], None));
    ok(&opis(&data, &["export", "--format", "jsonl", "--out", public.to_str().unwrap(), "--public-only"], None));
    let read = |dir: &Path| std::fs::read_to_string(dir.join("opis-documents.jsonl")).expect("export");
    assert!(read(&all).contains("\"frus1955-57v25-d162\""));
    assert!(!read(&public).contains("\"frus1955-57v25-d162\""));
    assert_eq!(read(&all).lines().count(), read(&public).lines().count() + 1);
    let bad = opis(&data, &["access", "set", "collection", "x", "embargoed"], None);
    assert_eq!(bad.status.code(), Some(1), "an embargo needs a day");
    ok(&opis(&data, &["grant", "ed", "document", "frus1955-57v25-d162"], None));

    // A correction: the seed's turn "Agrees about the need for a Declaration …" (Saburov's)
    // given to Suslov; an unchanged re-ingest and a reindex keep it.
    let patch =
        r#"{"op":"set_speakers","turn":10,"anchor":"Agrees about the need for a Declaration","speakers":["Suslov"]}"#;
    ok(&opis(&data, &["correct", "wilson-113647", patch, "--reason", "test", "--author", "ed"], None));
    let reingest = opis(&data, &["ingest", seed.to_str().unwrap()], None);
    assert!(String::from_utf8_lossy(&reingest.stderr).contains("1 unchanged"), "{reingest:?}");
    ok(&opis(&data, &["reindex"], None));
    ok(&opis(&data, &["check"], None));
    let found = ok(&opis(&data, &["search", "speaker:Suslov", "--json"], None));
    assert!(found.contains("\"wilson-113647\""), "{found}");
    let listed = ok(&opis(&data, &["corrections", "wilson-113647"], None));
    assert!(listed.starts_with("1\twilson-113647\tapplied\ted\t"), "{listed}");
    assert!(listed.contains("speakers Suslov"), "{listed}");
    let versions = ok(&opis(&data, &["show", "wilson-113647", "--versions"], None));
    assert_eq!(versions.lines().count(), 2, "the correction is version 2: {versions}");

    let audit = ok(&opis(&data, &["audit"], None));
    for action in ["ingest", "user_add", "token_create", "token_revoke", "access", "grant", "correction"] {
        assert!(audit.contains(&format!("\t{action}\t")), "{action} in {audit}");
    }
    assert!(!audit.contains("a long enough password") && !audit.contains(&token));
    let corrections = ok(&opis(&data, &["audit", "--action", "correction"], None));
    assert_eq!(corrections.lines().count(), 1);
    assert!(corrections.contains("\ted\tcorrection\twilson-113647\t"));
    ok(&opis(&data, &["user", "remove", "ed"], None));
    assert_eq!(ok(&opis(&data, &["user", "list"], None)), "");
}
