//! The index end to end on real documents from `../shared`: parsed with `opis-formats`,
//! stored in a `SqlStore`, synced into an `Index`. Expected results are read from the
//! parsed documents, never written down by hand, except where the issue names them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use opis_index::{Hit, Index, IndexError, SearchOptions, SearchResults, Sort, analysis};
use opis_model::{BlockKind, Document};
use opis_store::{PreparedDocument, Provenance, PutOutcome, SqlStore, Store};

const SEED_ID: &str = "wilson-113647";

fn shared() -> PathBuf {
    match std::env::var_os("OPIS_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// A fresh folder under the target directory (cleared first).
fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    // Named by process too: a test runner may run tests as concurrent processes
    // (cargo nextest), and each must have its own folders.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "opis-index-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn parse(path: &Path, collection: &str) -> Vec<Document> {
    let parsed = opis_formats::parse_file(path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parsed
        .documents
        .into_iter()
        .map(|mut d| {
            if d.collection.is_none() {
                d.collection = Some(collection.to_owned());
            }
            d
        })
        .collect()
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

fn seed() -> Document {
    parse(&shared().join("seed/presidium-1956-10-30.txt"), "seed").remove(0)
}

/// The test corpus: the seed, FRUS, the Wilson Center exports, Akoma Ntoso and the smaller
/// ParlaMint sittings (the large Austrian and Turkish ones are left to benchmarks).
fn corpus_documents() -> Vec<Document> {
    let s = shared();
    let c = s.join("corpora");
    let mut docs = vec![seed()];
    docs.extend(parse(&c.join("frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"), "frus"));
    for f in files_in(&c.join("frus/frus-history-documents"), "xml") {
        docs.extend(parse(&f, "frus-history"));
    }
    docs.extend(parse(&c.join("wilson-center/wilson_archive_kohl-rows.csv"), "wilson-center"));
    docs.extend(parse(&c.join("wilson-center/wilson_archive_db-export.jsonl"), "wilson-center"));
    for f in files_in(&c.join("wilson-center/digitalarchive-api"), "json") {
        docs.extend(parse(&f, "wilson-center"));
    }
    for f in files_in(&c.join("akoma-ntoso"), "xml") {
        docs.extend(parse(&f, "akoma-ntoso"));
    }
    docs.extend(parse(&c.join("parlamint/ParlaMint-GB-samples/ParlaMint-GB_2017-09-07-commons.xml"), "parlamint"));
    docs.extend(parse(&c.join("parlamint/ParlaMint-AT/ParlaMint-AT_1996-01-15-020-XX-NRSITZ-00003.xml"), "parlamint"));
    for dir in ["ParlaMint-ES-CT", "ParlaMint-SK-light", "ParlaMint-ES-GA"] {
        for f in files_in(&c.join("parlamint").join(dir), "xml") {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // Sittings only: not the corpus roots, person and organisation lists, taxonomies.
            if name.contains('_') && !name.contains("taxonomy") {
                docs.extend(parse(&f, "parlamint"));
            }
        }
    }
    // One document per id, the last read, as ingest does.
    let mut by_id: BTreeMap<String, Document> = BTreeMap::new();
    for d in docs {
        by_id.insert(d.id.clone(), d);
    }
    by_id.into_values().collect()
}

fn put(store: &mut SqlStore, docs: &[Document]) -> Vec<PutOutcome> {
    let batch: Vec<(Document, Provenance)> =
        docs.iter().map(|d| (d.clone(), Provenance { source_path: format!("test/{}", d.id) })).collect();
    store.put_batch(&batch).expect("put_batch")
}

struct Corpus {
    docs: Vec<Document>,
    index: Index,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = temp_dir("corpus");
        let docs = corpus_documents();
        let mut store = SqlStore::open(&dir).expect("store");
        put(&mut store, &docs);
        let mut index = Index::open(&dir).expect("index");
        let report = index.sync(&store).expect("sync");
        assert_eq!(report.documents, docs.len());
        Corpus { docs, index }
    })
}

fn search(index: &Index, q: &str) -> SearchResults {
    index.search(q, &SearchOptions { limit: 1000, ..Default::default() }).unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn doc_hits(r: &SearchResults) -> BTreeSet<String> {
    r.hits.iter().filter(|h| h.turn.is_none()).map(|h| h.id.clone()).collect()
}

fn hit_ids(r: &SearchResults) -> BTreeSet<String> {
    r.hits.iter().map(|h| h.id.clone()).collect()
}

fn turn_hits<'a>(r: &'a SearchResults, id: &str) -> Vec<&'a Hit> {
    r.hits.iter().filter(|h| h.id == id && h.turn.is_some()).collect()
}

/// Everything a document says, for expectations.
fn all_text(d: &Document) -> String {
    let mut parts = vec![d.title.clone()];
    for s in &d.sections {
        parts.extend(s.heading.clone());
        parts.extend(s.blocks.iter().map(|b| b.text.clone()));
    }
    parts.extend(d.notes.iter().map(|n| n.text.clone()));
    parts.extend(d.summary.clone());
    parts.extend(d.citation.clone());
    parts.extend(d.part.clone());
    parts.extend(d.place.clone());
    parts.join("\n")
}

fn has_word(text: &str, word: &str) -> bool {
    analysis::tokenize(text).iter().any(|t| t.text == word)
}

#[test]
fn pancha_shila_finds_the_seed_turns_and_its_note() {
    let c = corpus();
    let seed = c.docs.iter().find(|d| d.id == SEED_ID).expect("seed");
    let expected: BTreeSet<u32> =
        seed.turns().enumerate().filter(|(_, t)| t.text.contains("Pancha Shila")).map(|(i, _)| i as u32).collect();
    assert_eq!(expected, BTreeSet::from([3, 5]), "the issue names Molotov's and Kaganovich's turns");
    assert!(seed.notes.iter().any(|n| n.n == 8 && n.text.contains("Pancha Shila")));
    let r = search(&c.index, "\"Pancha Shila\"");
    let turns: BTreeSet<u32> = turn_hits(&r, SEED_ID).iter().filter_map(|h| h.turn).collect();
    assert_eq!(turns, expected);
    for h in turn_hits(&r, SEED_ID) {
        let speakers = &seed.turns().nth(h.turn.unwrap_or(0) as usize).expect("turn").speakers;
        assert_eq!(&h.speakers, speakers);
        assert!(h.snippet.contains("<b>Pancha</b> <b>Shila</b>"), "{}", h.snippet);
    }
    let doc_hit = r.hits.iter().find(|h| h.id == SEED_ID && h.turn.is_none()).expect("the document itself");
    assert_eq!(doc_hit.title, seed.title);
    assert_eq!(doc_hit.date, seed.date);
    assert_eq!(r.total as usize, r.hits.len());
    // The JSON of document-model.md's SearchResults.
    let json = serde_json::to_value(&r).expect("json");
    let keys =
        |v: &serde_json::Value| v.as_object().map(|o| o.keys().cloned().collect::<BTreeSet<_>>()).unwrap_or_default();
    assert_eq!(keys(&json), BTreeSet::from(["total".to_owned(), "hits".to_owned()]));
    let hit_keys: BTreeSet<String> =
        ["id", "turn", "speakers", "title", "date", "kind", "snippet", "score"].into_iter().map(String::from).collect();
    for h in json["hits"].as_array().expect("hits") {
        assert_eq!(keys(h), hit_keys);
        assert_eq!(keys(&h["date"]), BTreeSet::from(["text".to_owned(), "from".to_owned(), "to".to_owned()]));
    }
    assert!(
        json["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .any(|h| h["turn"].is_null() && h["speakers"] == serde_json::json!([]))
    );
    assert!(!doc_hit.snippet_plain().contains("<b>"));
    assert!(doc_hit.snippet_segments().iter().any(|(t, hl)| *hl && t == "Pancha"));
    // Unquoted, the two words find the same turns.
    let r2 = search(&c.index, "pancha shila");
    assert_eq!(turn_hits(&r2, SEED_ID).len(), expected.len());
}

#[test]
fn speaker_zhukov_troops_returns_only_zhukovs_turns_about_troops() {
    let c = corpus();
    let mut expected = BTreeSet::new();
    for d in &c.docs {
        for (i, t) in d.turns().enumerate() {
            let lower = t.text.to_lowercase();
            if t.speakers.iter().any(|s| s == "Zhukov") && (has_word(&lower, "troops") || has_word(&lower, "troop")) {
                expected.insert((d.id.clone(), i as u32));
            }
        }
    }
    assert!(expected.len() >= 2, "the seed has Zhukov's turns about troops: {expected:?}");
    let r = search(&c.index, "speaker:Zhukov troops");
    let got: BTreeSet<(String, u32)> = r.hits.iter().filter_map(|h| h.turn.map(|t| (h.id.clone(), t))).collect();
    assert_eq!(got, expected);
    for h in r.hits.iter().filter(|h| h.turn.is_some()) {
        assert!(h.speakers.iter().any(|s| s == "Zhukov"), "{h:?}");
        assert!(h.snippet.contains("<b>troops</b>"), "{}", h.snippet);
    }
}

#[test]
fn rokossovsky_in_cyrillic_and_latin_finds_the_seed() {
    let c = corpus();
    let seed = c.docs.iter().find(|d| d.id == SEED_ID).expect("seed");
    let text = all_text(seed);
    assert!(text.contains("Rokossowski") && !text.contains("Rokossovsky"));
    for q in ["Рокоссовский", "Rokossovsky", "Rokossovskii", "Rokossowski", "Рокоссовского"] {
        let r = search(&c.index, q);
        assert!(hit_ids(&r).contains(SEED_ID), "{q} did not find the seed");
        let hit = r.hits.iter().find(|h| h.id == SEED_ID).expect("seed hit");
        assert!(hit.snippet.contains("<b>Rokossowski</b>"), "{q}: {}", hit.snippet);
    }
    // The Russian transcript names Molotov in the dative (Молотову); the seed in Latin.
    let transcript = c.docs.iter().find(|d| d.language == "ru").expect("a Russian document");
    let r = search(&c.index, "Molotov");
    assert!(hit_ids(&r).contains(SEED_ID) && hit_ids(&r).contains(&transcript.id), "{:?}", hit_ids(&r));
    let r = search(&c.index, "Молотов");
    assert!(hit_ids(&r).contains(SEED_ID) && hit_ids(&r).contains(&transcript.id));
}

#[test]
fn diacritics_fold_kadar() {
    let c = corpus();
    let spelled: BTreeSet<String> = c
        .docs
        .iter()
        .filter(|d| {
            let t = all_text(d);
            has_word(&t, "Kadar") || has_word(&t, "Kádár")
        })
        .map(|d| d.id.clone())
        .collect();
    let plain: Vec<&String> =
        spelled.iter().filter(|id| c.docs.iter().any(|d| &d.id == *id && has_word(&all_text(d), "Kadar"))).collect();
    assert!(plain.iter().any(|id| *id == SEED_ID), "the seed spells Kadar");
    for q in ["Kádár", "Kadar", "KADAR"] {
        let r = search(&c.index, q);
        assert_eq!(hit_ids(&r), spelled, "{q}");
    }
    let r = search(&c.index, "Gomułka");
    assert!(hit_ids(&r).contains(SEED_ID), "the seed spells Gomulka");
}

#[test]
fn archival_reference_is_searchable_as_a_unit() {
    let c = corpus();
    for q in [
        "archive:\"F. 3, Op. 12, D. 1006\"",
        "archive:\"F.3, Op.12, D.1006\"",
        "archive:\"f. 3, op. 12, d. 1006\"",
        "archive:\"TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14\"",
        "archive:\"F. 3, Op. 12\"",
    ] {
        let r = search(&c.index, q);
        assert_eq!(doc_hits(&r), BTreeSet::from([SEED_ID.to_owned()]), "{q}");
        assert!(r.hits.iter().all(|h| h.turn.is_none()), "a metadata query returns documents");
    }
    // Note 2 and 18 cite APRF, F. 3, Op. 64, D. 484: a citation, not where the seed is kept.
    assert!(search(&c.index, "archive:\"F. 3, Op. 64, D. 484\"").hits.is_empty());
    assert!(hit_ids(&search(&c.index, "cites:\"APRF, F. 3, Op. 64, D. 484\"")).contains(SEED_ID));
    // FRUS source notes: Department of State, Central Files.
    let frus: BTreeSet<String> = c
        .docs
        .iter()
        .filter(|d| d.archival_refs.iter().any(|r| r.file.as_deref().is_some_and(|f| f.starts_with("764.00"))))
        .map(|d| d.id.clone())
        .collect();
    if !frus.is_empty() {
        let r = search(&c.index, "archive:\"Central Files\"");
        assert!(frus.is_subset(&hit_ids(&r)));
    }
}

fn overlaps(d: &Document, from: &str, to: &str) -> bool {
    d.date.as_ref().is_some_and(|date| date.from.as_str() <= to && date.to.as_str() >= from)
}

#[test]
fn date_range_with_a_word_finds_the_frus_documents_of_those_days() {
    let c = corpus();
    let expected: BTreeSet<String> = c
        .docs
        .iter()
        .filter(|d| overlaps(d, "1956-11-01", "1956-11-05") && has_word(&all_text(d).to_lowercase(), "hungary"))
        .map(|d| d.id.clone())
        .collect();
    assert!(expected.iter().any(|id| id.starts_with("frus1955-57v25-d16")), "{expected:?}");
    let r = search(&c.index, "date:1956-11-01..1956-11-05 Hungary");
    assert_eq!(hit_ids(&r), expected);
    assert!(!hit_ids(&r).contains(SEED_ID));
    for h in &r.hits {
        let date = h.date.as_ref().expect("dated");
        assert!(date.from.as_str() <= "1956-11-05" && date.to.as_str() >= "1956-11-01", "{h:?}");
    }
    // date:1956 and date:1956-10 and open ranges.
    let in_1956: BTreeSet<String> =
        c.docs.iter().filter(|d| overlaps(d, "1956-01-01", "1956-12-31")).map(|d| d.id.clone()).collect();
    assert_eq!(doc_hits(&search(&c.index, "date:1956")), in_1956);
    assert!(doc_hits(&search(&c.index, "date:1956-10")).contains(SEED_ID));
    // Whole months and years are answered from the span terms: the same documents.
    for (q, from, to) in [
        ("date:1956-10", "1956-10-01", "1956-10-31"),
        ("date:1956-10..1956-11", "1956-10-01", "1956-11-30"),
        ("date:1950..1959", "1950-01-01", "1959-12-31"),
        ("date:1956-10-02..1956-10-31", "1956-10-02", "1956-10-31"),
    ] {
        let want: BTreeSet<String> = c.docs.iter().filter(|d| overlaps(d, from, to)).map(|d| d.id.clone()).collect();
        assert!(!want.is_empty(), "{q}");
        assert_eq!(doc_hits(&search(&c.index, q)), want, "{q}");
    }
    assert!(doc_hits(&search(&c.index, "date:..1956-10-30")).contains(SEED_ID));
    assert!(!doc_hits(&search(&c.index, "date:..1956-10-29")).contains(SEED_ID));
    assert!(!doc_hits(&search(&c.index, "date:1956-10-31..")).contains(SEED_ID));
}

#[test]
fn facets_count_the_documents() {
    let c = corpus();
    for q in ["*", "\"\"", "-", " "] {
        assert_eq!(search(&c.index, q).total as usize, c.docs.len(), "{q:?} is the empty query");
    }
    let r = c.index.search("", &SearchOptions { limit: 0, facets: true, ..Default::default() }).expect("search");
    assert_eq!(r.total as usize, c.docs.len(), "the empty query returns every document");
    let mut expected: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    for d in &c.docs {
        *expected.entry("kind").or_default().entry(d.kind.clone()).or_default() += 1;
        *expected.entry("language").or_default().entry(d.language.clone()).or_default() += 1;
        if let Some(col) = &d.collection {
            *expected.entry("collection").or_default().entry(col.clone()).or_default() += 1;
        }
        if let Some(date) = &d.date {
            *expected.entry("year").or_default().entry(date.from[..4].to_owned()).or_default() += 1;
        }
        for t in d.turns() {
            for s in t.speakers.iter().collect::<BTreeSet<_>>() {
                *expected.entry("speaker").or_default().entry(s.clone()).or_default() += 1;
            }
        }
    }
    for name in ["kind", "language", "collection", "year", "speaker"] {
        let want = &expected[name];
        let got = r.facets.get(name).unwrap_or_else(|| panic!("facet {name}"));
        if want.len() <= opis_index::FACET_VALUES {
            assert_eq!(got, want, "facet {name}");
        }
    }
    assert_eq!(r.facets["archive"].get("TsKhSD, F. 3, Op. 12, D. 1006"), Some(&1));
    assert_eq!(r.facets["archive"].get("TsKhSD"), Some(&1));

    // Facets of a narrower query: the seed's year, Zhukov's turns.
    let r = c
        .index
        .search("speaker:Zhukov", &SearchOptions { limit: 0, facets: true, ..Default::default() })
        .expect("search");
    let zhukov_turns: u64 =
        c.docs.iter().flat_map(|d| d.turns()).filter(|t| t.speakers.iter().any(|s| s == "Zhukov")).count() as u64;
    assert_eq!(r.facets["speaker"]["Zhukov"], zhukov_turns);
    assert_eq!(r.facets["year"], BTreeMap::from([("1956".to_owned(), 1)]));
    assert_eq!(r.facets["kind"], BTreeMap::from([("working-notes".to_owned(), 1)]));
}

#[test]
fn kind_lang_collection_filters_and_date_sort() {
    let c = corpus();
    for (q, pick) in [
        ("lang:ru", Box::new(|d: &Document| d.language == "ru") as Box<dyn Fn(&Document) -> bool>),
        ("lang:Russian", Box::new(|d: &Document| d.language == "ru")),
        ("kind:working-notes", Box::new(|d: &Document| d.kind == "working-notes")),
        ("collection:parlamint", Box::new(|d: &Document| d.collection.as_deref() == Some("parlamint"))),
        ("kind:debate -lang:en", Box::new(|d: &Document| d.kind == "debate" && d.language != "en")),
    ] {
        let expected: BTreeSet<String> = c.docs.iter().filter(|d| pick(d)).map(|d| d.id.clone()).collect();
        assert_eq!(doc_hits(&search(&c.index, q)), expected, "{q}");
    }
    for (sort, asc) in [(Sort::DateAsc, true), (Sort::DateDesc, false)] {
        let r = c.index.search("Hungary", &SearchOptions { limit: 50, sort, ..Default::default() }).expect("search");
        let dates: Vec<&str> = r.hits.iter().filter_map(|h| h.date.as_ref()).map(|d| d.from.as_str()).collect();
        assert!(dates.len() > 3);
        let mut sorted = dates.clone();
        sorted.sort();
        if !asc {
            sorted.reverse();
        }
        assert_eq!(dates, sorted);
    }
    // Paging: offset skips, limit 0 only counts.
    let all = search(&c.index, "Hungary");
    let page = c.index.search("Hungary", &SearchOptions { limit: 3, offset: 2, ..Default::default() }).expect("page");
    assert_eq!(page.total, all.total);
    assert_eq!(
        page.hits.iter().map(|h| (&h.id, h.turn)).collect::<Vec<_>>(),
        all.hits[2..5].iter().map(|h| (&h.id, h.turn)).collect::<Vec<_>>()
    );
    let none = c.index.search("Hungary", &SearchOptions { limit: 0, ..Default::default() }).expect("count");
    assert!(none.hits.is_empty() && none.total == all.total);
}

#[test]
fn boolean_operators() {
    let c = corpus();
    let a = hit_ids(&search(&c.index, "Molotov"));
    let b = hit_ids(&search(&c.index, "Kissinger"));
    let or = hit_ids(&search(&c.index, "Molotov OR Kissinger"));
    assert_eq!(or, a.union(&b).cloned().collect());
    let not = doc_hits(&search(&c.index, "Hungary -Molotov"));
    assert!(!not.contains(SEED_ID) && !not.is_empty());
    assert_eq!(doc_hits(&search(&c.index, "Hungary NOT Molotov")), not);
    let and = doc_hits(&search(&c.index, "Molotov AND (Pancha OR Potsdam)"));
    assert_eq!(and, BTreeSet::from([SEED_ID.to_owned()]));
}

#[test]
fn query_errors_point_at_the_place() {
    let c = corpus();
    let e = c.index.search("Pancha \"Shila", &SearchOptions::default()).unwrap_err();
    assert!(matches!(e, IndexError::Query { position: 7, .. }), "{e:?}");
    assert_eq!(e.to_string(), "unclosed quote at column 8");
    assert_eq!(e.pointer("Pancha \"Shila").as_deref(), Some("Pancha \"Shila\n       ^"));
    for q in ["(troops", "troops)", "date:1956-13-01", "nosuchfield:x", "speaker:", "a OR", "archive:\",,\""] {
        assert!(matches!(c.index.search(q, &SearchOptions::default()), Err(IndexError::Query { .. })), "{q}");
    }
}

#[test]
fn a_changed_document_replaces_its_entries() {
    let dir = temp_dir("resync");
    let mut store = SqlStore::open(&dir).expect("store");
    let mut doc = seed();
    put(&mut store, std::slice::from_ref(&doc));
    let mut index = Index::open(&dir).expect("index");
    let first = index.sync(&store).expect("sync");
    assert_eq!(first, opis_index::SyncReport { applied: 1, documents: 1 });
    let before = search(&index, "\"Pancha Shila\"");
    doc.sections[0].blocks.push(opis_model::Block {
        kind: BlockKind::Paragraph,
        text: "An added paragraph about quuxification.".into(),
        ..Default::default()
    });
    assert_eq!(put(&mut store, std::slice::from_ref(&doc)), vec![PutOutcome::Changed { version: 2 }]);
    let second = index.sync(&store).expect("sync");
    assert_eq!(second, opis_index::SyncReport { applied: 1, documents: 1 });
    assert_eq!(index.ids_and_versions().expect("ids"), vec![(SEED_ID.to_owned(), 2)]);
    let after = search(&index, "\"Pancha Shila\"");
    assert_eq!(after.total, before.total, "no duplicate entries");
    assert_eq!(search(&index, "quuxification").total, 1);
    // A sync with nothing new does nothing.
    assert_eq!(index.sync(&store).expect("sync"), opis_index::SyncReport::default());
}

#[test]
fn rebuild_after_deleting_the_index_folder_gives_the_same_rows() {
    let dir = temp_dir("rebuild");
    let mut store = SqlStore::open(&dir).expect("store");
    let docs =
        corpus_documents().into_iter().filter(|d| d.collection.as_deref() != Some("parlamint")).collect::<Vec<_>>();
    put(&mut store, &docs);
    let rows = {
        let mut index = Index::open(&dir).expect("index");
        index.sync(&store).expect("sync");
        let rows = index.ids_and_versions().expect("ids");
        assert_eq!(rows, store.ids_and_versions().expect("store ids"));
        rows
    };
    std::fs::remove_dir_all(dir.join(opis_index::INDEX_DIR)).expect("delete index");
    let mut index = Index::open(&dir).expect("index");
    assert_eq!(index.applied_seq(), 0);
    assert!(index.ids_and_versions().expect("ids").is_empty());
    index.rebuild(&store).expect("rebuild");
    assert_eq!(index.ids_and_versions().expect("ids"), rows);
    assert_eq!(index.applied_seq(), store.last_change().expect("last"));
    // Rebuilding twice changes nothing.
    index.rebuild(&store).expect("rebuild");
    assert_eq!(index.ids_and_versions().expect("ids"), rows);
}

#[test]
fn sync_after_a_crash_catches_up() {
    let dir = temp_dir("crash");
    let docs =
        corpus_documents().into_iter().filter(|d| d.collection.as_deref() == Some("frus-history")).collect::<Vec<_>>();
    let (first, rest) = docs.split_at(docs.len() / 2);
    {
        let mut store = SqlStore::open(&dir).expect("store");
        put(&mut store, first);
        let mut index = Index::open(&dir).expect("index");
        index.sync(&store).expect("sync");
        // The store commits more, the process dies before the index hears of it.
        put(&mut store, rest);
    }
    let store = SqlStore::open(&dir).expect("store");
    let mut index = Index::open(&dir).expect("index");
    assert!(index.applied_seq() < store.last_change().expect("last"));
    let report = index.sync(&store).expect("sync");
    assert_eq!(report.documents, rest.len());
    assert_eq!(index.applied_seq(), store.last_change().expect("last"));
    assert_eq!(index.ids_and_versions().expect("ids"), store.ids_and_versions().expect("store ids"));
    // Every document exactly once.
    let r = index.search("", &SearchOptions { limit: 1000, ..Default::default() }).expect("all");
    assert_eq!(r.total as usize, docs.len());
}

/// What `opis ingest` does: each batch indexed as stored (no read-back), committed later; a
/// batch another writer slipped in ahead of is refused and `sync` takes over.
#[test]
fn documents_indexed_as_written_follow_the_log_and_a_gap_falls_back_to_sync() {
    let dir = temp_dir("written");
    let docs =
        corpus_documents().into_iter().filter(|d| d.collection.as_deref() == Some("frus-history")).collect::<Vec<_>>();
    assert!(docs.len() >= 3, "the FRUS history documents");
    let third = docs.len() / 3;
    let prepare = |ds: &[Document]| -> Vec<(PreparedDocument, Provenance)> {
        ds.iter().map(|d| (PreparedDocument::new(d.clone()), Provenance { source_path: "t".into() })).collect()
    };
    let written = |batch: &[(PreparedDocument, Provenance)]| -> Vec<(Document, u32)> {
        batch.iter().map(|(d, _)| (d.document().clone(), 1)).collect()
    };
    let mut store = SqlStore::open(&dir).expect("store");
    let mut index = Index::open(&dir).expect("index");
    let batch = prepare(&docs[..third]);
    let receipt = store.put_prepared(&batch).expect("put");
    let w = written(&batch);
    let refs: Vec<(&Document, u32)> = w.iter().map(|(d, v)| (d, *v)).collect();
    assert!(index.apply_written(&refs, receipt.seqs.clone().expect("seqs")).expect("apply"));
    assert_eq!(index.applied_seq(), 0, "nothing is committed before commit_written");
    index.commit_written().expect("commit");
    assert_eq!(index.applied_seq(), store.last_change().expect("last"));
    let r = index.search("", &SearchOptions { limit: 1000, ..Default::default() }).expect("all");
    assert_eq!(r.total as usize, third);

    // Another writer stores the second third; this one's next batch does not follow on.
    put(&mut store, &docs[third..2 * third]);
    let batch = prepare(&docs[2 * third..]);
    let receipt = store.put_prepared(&batch).expect("put");
    let w = written(&batch);
    let refs: Vec<(&Document, u32)> = w.iter().map(|(d, v)| (d, *v)).collect();
    assert!(!index.apply_written(&refs, receipt.seqs.expect("seqs")).expect("apply"), "a gap is refused");
    index.sync(&store).expect("sync");
    assert_eq!(index.ids_and_versions().expect("ids"), store.ids_and_versions().expect("store ids"));
    let r = index.search("", &SearchOptions { limit: 1000, ..Default::default() }).expect("all");
    assert_eq!(r.total as usize, docs.len(), "every document exactly once");
}

/// Measures how many person names meet their variants under the name key, and prints it.
#[test]
fn name_variants_meet() {
    // 1. Spellings of one person across scripts and languages: the issue's pairs, and names
    //    the corpora spell both in Cyrillic (the Russian transcript, inflected) and in Latin.
    let c = corpus();
    let transcript = c.docs.iter().find(|d| d.language == "ru").expect("Russian transcript");
    let russian = all_text(transcript);
    let latin: String = c.docs.iter().filter(|d| d.language != "ru").map(all_text).collect::<Vec<_>>().join("\n");
    let groups: Vec<Vec<&str>> = vec![
        vec!["Rokossowski", "Rokossovsky", "Rokossovskii", "Рокоссовский"],
        vec!["Khrushchev", "Хрущёв", "Khrushchov", "Chruschtschow", "Chruszczow"],
        vec!["Malenkov", "Маленков"],
        vec!["Zhukov", "Жуков", "Schukow"],
        vec!["Kádár", "Kadar"],
        vec!["Gomułka", "Gomulka"],
    ];
    // Cyrillic words of the transcript paired with the Latin name the other corpora use.
    let corpus_pairs = [
        ("Швернику", "Shvernik"),
        ("Молотову", "Molotov"),
        ("Ворошилову", "Voroshilov"),
        ("Сталиным", "Stalin"),
        ("Цзэдун", "Zedong"),
        ("Кайши", "Kai-shek"),
    ];
    let mut met = 0;
    let mut total = 0;
    for g in &groups {
        let keys: Vec<Vec<String>> = g.iter().map(|n| analysis::name_keys(n)).collect();
        for k in &keys[1..] {
            total += 1;
            if k.iter().any(|x| keys[0].contains(x)) {
                met += 1;
            }
        }
    }
    let issue = (met, total);
    let (mut cmet, mut ctotal) = (0, 0);
    for (cyr, lat) in corpus_pairs {
        assert!(has_word(&russian, cyr), "{cyr} in the transcript");
        assert!(latin.contains(lat), "{lat} in the Latin corpora");
        ctotal += 1;
        let lat_key = analysis::name_key(analysis::tokenize(lat)[0].text);
        if analysis::name_keys(cyr).contains(&lat_key) {
            cmet += 1;
        }
    }
    // 2. Persons the readers found with several spellings in one document ("P. Glennon",
    //    "Glennon"): does a search for the surname reach every spelling?
    let (mut pmet, mut ptotal) = (0, 0);
    for d in &c.docs {
        for p in &d.persons {
            let surname = |s: &str| analysis::tokenize(s).last().map(|t| analysis::name_key(t.text));
            for v in p.variants.iter().filter(|v| *v != &p.name) {
                ptotal += 1;
                if surname(v) == surname(&p.name) {
                    pmet += 1;
                }
            }
        }
    }
    println!(
        "name variants: issue spellings {}/{} meet; corpus Cyrillic/Latin names {cmet}/{ctotal} meet; \
         in-document person variants {pmet}/{ptotal} share the surname key",
        issue.0, issue.1
    );
    assert_eq!(issue.0, issue.1);
    assert!(cmet >= 4, "{cmet}/{ctotal}");
    assert!(pmet * 10 >= ptotal * 8, "{pmet}/{ptotal}");
}

#[test]
fn an_index_of_another_version_is_rebuilt_and_a_second_writer_is_refused() {
    let dir = temp_dir("stale");
    let mut store = SqlStore::open(&dir).expect("store");
    put(&mut store, &[seed()]);
    {
        let mut index = Index::open(&dir).expect("index");
        index.sync(&store).expect("sync");
        let mut other = Index::open(&dir).expect("a second handle opens");
        assert_eq!(other.applied_seq(), index.applied_seq());
        assert!(matches!(other.sync(&store), Ok(r) if r.applied == 0), "nothing to apply needs no writer");
        put(
            &mut store,
            &[Document {
                id: "x-1".into(),
                title: "X".into(),
                kind: "note".into(),
                language: "en".into(),
                ..Default::default()
            }],
        );
        assert!(matches!(other.sync(&store), Err(IndexError::Locked { .. })));
    }
    // Pretend an older opis wrote the index: the payload's schema version differs.
    let meta_path = dir.join(opis_index::INDEX_DIR).join("meta.json");
    let meta = std::fs::read_to_string(&meta_path).expect("meta.json");
    let old = meta.replace("\\\"schema\\\":", "\\\"schema\\\":99");
    assert_ne!(meta, old);
    std::fs::write(&meta_path, old).expect("write meta");
    let mut index = Index::open(&dir).expect("index");
    assert_eq!(index.applied_seq(), 0);
    index.sync(&store).expect("sync rebuilds");
    assert_eq!(index.ids_and_versions().expect("ids"), store.ids_and_versions().expect("store ids"));
    assert_eq!(search(&index, "\"Pancha Shila\"").total, 3);
}
