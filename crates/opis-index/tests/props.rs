//! Properties: no query string and no text can crash or hang the parser, the analyzers or the
//! engine.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use opis_index::{Index, IndexError, SearchOptions, Sort, analysis, query};
use opis_store::{Provenance, SqlStore, Store};
use proptest::prelude::*;

fn seed_index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let shared = match std::env::var_os("OPIS_SHARED") {
            Some(p) => std::path::PathBuf::from(p),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        };
        // One folder per process: nextest runs each test in a process of its own, and two
        // building the same folder at once clobber each other's index.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opis-index-props-{}", std::process::id()));
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
    fn searching_any_query_answers_quickly(s in SOUP, sort in 0..3usize) {
        let start = Instant::now();
        let sort = [Sort::Relevance, Sort::DateAsc, Sort::DateDesc][sort];
        match seed_index().search(&s, &SearchOptions { limit: 20, facets: true, sort, ..Default::default() }) {
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

/// A negated phrase that matches nothing ("archive not": both words are in the seed,
/// never in that order) excludes nothing, in every sort order. A scored pass seeks the
/// exhausted phrase backwards; tantivy 0.27 asserts against that in debug builds,
/// which is why the workspace builds tantivy without debug assertions (Cargo.toml).
#[test]
fn a_negated_phrase_that_matches_nothing_excludes_nothing() {
    let index = seed_index();
    for sort in [Sort::Relevance, Sort::DateAsc, Sort::DateDesc] {
        let opts = SearchOptions { limit: 20, facets: true, sort, ..Default::default() };
        let troops = index.search("troops", &opts).expect("troops");
        let minus = index.search("troops -\"archive not\"", &opts).expect("troops -phrase");
        assert!(troops.total > 0);
        assert_eq!(minus.total, troops.total, "{sort:?}");
        assert_eq!(minus.facets, troops.facets, "{sort:?}");
        let all = index.search("", &opts).expect("all");
        let none_of = index.search("NOT \"archive not\"", &opts).expect("NOT phrase");
        assert_eq!(all.total, 1, "the seed");
        assert_eq!(none_of.total, all.total, "{sort:?}");
        // And a phrase that does match excludes what it matches.
        let without = index.search("NOT \"Digital Archive\"", &opts).expect("NOT matching phrase");
        assert_eq!(without.total, 0, "{sort:?}");
    }
}
