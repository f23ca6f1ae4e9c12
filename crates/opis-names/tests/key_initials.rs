//! `name_key_initial` gives the first letter of `name_key` for every word of the real
//! documents in `../shared` (and for words that begin with each cluster rule), so that a caller
//! may pass over a token on its initial and never miss a key.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use opis_names::{name_key, name_key_initial, tokenize};

fn shared() -> PathBuf {
    match std::env::var_os("OPIS_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// The first 256 KB of every file under `dir`.
fn texts(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            texts(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            let head = &bytes[..bytes.len().min(256 * 1024)];
            out.push(String::from_utf8_lossy(head).into_owned());
        }
    }
}

#[test]
fn the_initial_is_the_keys_first_letter() {
    let mut all = Vec::new();
    texts(&shared().join("seed"), &mut all);
    texts(&shared().join("corpora"), &mut all);
    assert!(all.len() > 100, "the shared documents are there ({} files)", all.len());
    let mut words: BTreeSet<String> = all.iter().flat_map(|t| tokenize(t)).map(|t| t.text.to_owned()).collect();
    for w in [
        "Schtschedrin",
        "Shtchukin",
        "Chtchedrine",
        "Shchukin",
        "Szczepański",
        "Tschernenko",
        "Schukow",
        "Tchernenko",
        "Zhukov",
        "Shepilov",
        "Szalasi",
        "Czech",
        "Khrushchev",
        "Chruschtschow",
        "Tsar",
        "Tzar",
        "Ckx",
        "Phillips",
        "Ouspensky",
        "Xiaoping",
        "Wyszyński",
        "Yeltsin",
        "Jakovlev",
        "Jo",
        "Y",
        "J",
        "Chruščëv",
        "Ŝukin",
        "Хрущёв",
        "Щукин",
        "Ёлкин",
        "1956",
        "Ł",
        "ʹ",
        "Æbelø",
    ] {
        words.insert(w.to_owned());
    }
    let mut wrong = Vec::new();
    for w in &words {
        let key = name_key(w);
        if name_key_initial(w) != key.chars().next() {
            wrong.push(format!("{w}: key {key:?}, initial {:?}", name_key_initial(w)));
        }
    }
    assert!(words.len() > 50_000, "{} words", words.len());
    assert!(wrong.is_empty(), "{} of {} words: {:?}", wrong.len(), words.len(), &wrong[..wrong.len().min(20)]);
}
