//! Properties: no query string and no text can crash or hang the parser, the analyzers or the
//! engine.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use opis_index::{Index, IndexError, SearchOptions, analysis, query};
use opis_store::{Provenance, SqlStore, Store};
use proptest::prelude::*;

fn seed_index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let shared = match std::env::var_os("OPIS_SHARED") {
            Some(p) => std::path::PathBuf::from(p),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        };
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("opis-index-props");
        let _ = std::fs::remove_dir_all(&dir);
        let docs =
            opis_formats::parse_file(&shared.join("seed/presidium-1956-10-30.txt"), None).expect("seed").documents;
        let mut store = SqlStore::open(&dir).expect("store");
        let batch: Vec<_> = docs.into_iter().map(|d| (d, Provenance::default())).collect();
        store.put_batch(&batch).expect("put");
        let mut index = Index::open(&dir).expect("index");
        index.sync(&store).expect("sync");
        index
    })
}

/// Query-shaped strings: words, operators, fields, quotes, parentheses, dates, Cyrillic.
const SOUP: &str =
    "([a-zA-Zа-яё0-9.,:\\-\"“”«»()]|AND |OR |NOT | |speaker:|person:|date:|archive:|kind:|\\.\\.|1956-11-0[1-5]){0,60}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_string_parses_or_errs_with_a_position_inside(s in "\\PC{0,300}") {
        if let Err(e) = query::parse(&s) {
            prop_assert!(e.position <= s.chars().count().max(query::MAX_QUERY_CHARS));
            prop_assert!(e.to_string().contains("at column"));
        }
    }

    #[test]
    fn query_soup_parses_or_errs(s in SOUP) {
        if let Err(e) = query::parse(&s) {
            prop_assert!(e.position <= s.chars().count(), "{e:?} for {s:?}");
        }
    }

    #[test]
    fn searching_any_query_answers_quickly(s in SOUP) {
        let start = Instant::now();
        match seed_index().search(&s, &SearchOptions { limit: 20, facets: true, ..Default::default() }) {
            Ok(r) => prop_assert!(r.hits.len() <= 20),
            Err(IndexError::Query { .. }) => {}
            Err(e) => prop_assert!(false, "{s:?}: {e}"),
        }
        prop_assert!(start.elapsed() < Duration::from_secs(5), "{s:?} took {:?}", start.elapsed());
    }

    #[test]
    fn analyzers_take_any_text(s in "\\PC{0,200}") {
        for t in analysis::tokenize(&s) {
            prop_assert!(s.is_char_boundary(t.start) && s.is_char_boundary(t.end) && t.start < t.end);
            let _ = analysis::fold(t.text);
            let _ = analysis::name_keys(t.text);
            for lang in ["en", "ru", "de", "tr", "hu"] {
                let _ = analysis::stem_term(lang, t.text);
            }
        }
        let _ = analysis::parse_query_ref(&s).query_key();
        let _ = analysis::keyword(&s);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [query::MAX_DEPTH, query::MAX_DEPTH + 1, 1000, 100_000] {
        let q = format!("{}troops{}", "(".repeat(depth), ")".repeat(depth));
        let r = query::parse(&q);
        if depth <= query::MAX_DEPTH {
            assert!(r.is_ok(), "depth {depth}");
        } else {
            assert!(r.is_err(), "depth {depth}");
        }
        let unbalanced = "(".repeat(depth);
        assert!(query::parse(&unbalanced).is_err());
        let nots = "NOT ".repeat(depth) + "troops";
        let _ = query::parse(&nots);
        let minus = "-".repeat(depth) + "troops";
        let _ = query::parse(&minus);
    }
    let index = seed_index();
    let q = format!("{}troops{}", "(".repeat(query::MAX_DEPTH), ")".repeat(query::MAX_DEPTH));
    assert!(index.search(&q, &SearchOptions::default()).is_ok());
    let many = vec!["troops"; query::MAX_TERMS + 1].join(" OR ");
    assert!(matches!(index.search(&many, &SearchOptions::default()), Err(IndexError::Query { .. })));
}
