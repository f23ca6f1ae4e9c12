//! The reading room at the HTTP level: a data folder made from the seed, the FRUS excerpt and
//! a hostile document, served by the router through `tower::ServiceExt::oneshot`. Expected
//! values are read from the parsed documents, except the speaker order the issue names.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use opis_index::Index;
use opis_model::{Block, BlockKind, Document, Note, Section};
use opis_store::{Provenance, SqliteStore, Store};
use tower::ServiceExt;

const SEED_ID: &str = "wilson-113647";
const HOSTILE_ID: &str = "test-hostile";
const SCRIPT: &str = "<script>alert(1)</script>";

fn shared() -> PathBuf {
    match std::env::var_os("OPIS_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn parse(path: &Path, collection: &str) -> Vec<Document> {
    let parsed = opis_formats::parse_file(path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parsed
        .documents
        .into_iter()
        .map(|mut d| {
            d.collection.get_or_insert_with(|| collection.to_owned());
            d
        })
        .collect()
}

fn seed() -> Document {
    parse(&shared().join("seed/presidium-1956-10-30.txt"), "seed").remove(0)
}

fn hostile() -> Document {
    Document {
        id: HOSTILE_ID.into(),
        title: format!("A title with {SCRIPT}"),
        kind: "memorandum".into(),
        language: "en".into(),
        summary: Some(format!("Summary {SCRIPT} & more")),
        sections: vec![Section {
            heading: Some(format!("Heading {SCRIPT}")),
            blocks: vec![
                Block {
                    kind: BlockKind::Paragraph,
                    text: format!("Body text {SCRIPT} here"),
                    notes: vec![1],
                    ..Default::default()
                },
                Block {
                    kind: BlockKind::Turn,
                    speakers: vec![format!("Evil{SCRIPT}")],
                    text: format!("Speech {SCRIPT}"),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        notes: vec![Note { n: 1, text: format!("Note {SCRIPT}"), archival_refs: vec![], refs: vec![], line: None }],
        ..Default::default()
    }
}

/// The data folder, built once per test binary.
fn data() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opis-web-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut docs = vec![seed()];
        docs.extend(parse(&shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"), "frus"));
        docs.push(hostile());
        let batch: Vec<(Document, Provenance)> = docs.into_iter().map(|d| (d, Provenance::default())).collect();
        let mut store = SqliteStore::open(&dir).expect("store");
        store.put_batch(&batch).expect("put");
        let mut index = Index::open(&dir).expect("index");
        index.sync(&store).expect("sync");
        dir
    })
}

async fn get(uri: &str) -> (StatusCode, String) {
    let app = opis_web::router(data()).expect("router");
    let res = app.oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("response");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The texts of the elements `<a class="who" …>TEXT</a>` in `html`.
fn who_links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<a class=\"who\"") {
        rest = &rest[i..];
        let start = rest.find('>').expect("tag end") + 1;
        let end = rest.find("</a>").expect("close");
        out.push(unescape(&rest[start..end]));
        rest = &rest[end..];
    }
    out
}

/// The markup of the element with `id="{id}"` up to the next element of the same id prefix.
fn element<'a>(html: &'a str, id: &str, next_prefix: &str) -> Option<&'a str> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at + id.len() + 5..];
    let end = rest.find(&format!("id=\"{next_prefix}")).unwrap_or(rest.len());
    Some(&rest[..end])
}

#[tokio::test]
async fn search_for_pancha_shila_links_to_the_seed() {
    let (status, html) = get("/search?q=%22Pancha%20Shila%22").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/doc/{SEED_ID}\"")), "no link to the seed document");
    assert!(html.contains(&format!("href=\"/doc/{SEED_ID}#turn-")), "no link to a turn of the seed");
    assert!(html.contains("<mark>Pancha</mark>"), "matches are not marked");
    // The query round-trips into the search box.
    assert!(html.contains("value=\"&quot;Pancha Shila&quot;\""));
    // A facet link narrows the query.
    assert!(html.contains("/search?q=%22Pancha%20Shila%22%20kind%3A%22working-notes%22"));
}

#[tokio::test]
async fn the_seed_shows_its_turns_in_order_with_their_speakers() {
    let (status, html) = get(&format!("/doc/{SEED_ID}")).await;
    assert_eq!(status, StatusCode::OK);
    let doc = seed();
    let expected: Vec<Vec<String>> = doc.turns().map(|t| t.speakers.clone()).collect();
    let named: Vec<Vec<&str>> = vec![
        vec!["Zhukov"],
        vec!["Khrushchev"],
        vec!["Bulganin"],
        vec!["Molotov"],
        vec!["Voroshilov"],
        vec!["Kaganovich"],
        vec!["Shepilov"],
        vec!["Zhukov"],
        vec!["Zhukov"],
        vec!["Furtseva"],
        vec!["Saburov"],
        vec!["Khrushchev"],
        vec!["Khrushchev"],
        vec!["Bulganin"],
        vec!["Khrushchev"],
        vec!["Kaganovich", "Molotov", "Zhukov"],
        vec!["Zhukov"],
        vec!["Zhukov"],
        vec!["Khrushchev"],
        vec!["Liu Shaoqi"],
        vec!["Khrushchev"],
        vec!["Molotov"],
    ];
    assert_eq!(expected, named, "the parsed seed disagrees with the issue's speaker order");
    let mut shown = Vec::new();
    for n in 0..expected.len() {
        let el = element(&html, &format!("turn-{n}"), "turn-").unwrap_or_else(|| panic!("no turn-{n}"));
        let speaker = &el[..el.find("</p>").expect("speaker paragraph")];
        shown.push(who_links(speaker));
    }
    assert_eq!(shown, expected);
    assert!(!html.contains(&format!("id=\"turn-{}\"", expected.len())), "more turns than the seed has");
    assert_eq!(html.matches("<div class=\"turn\" id=\"turn-").count(), 22);
}

#[tokio::test]
async fn the_seed_notes_and_markers_link_both_ways() {
    let (_, html) = get(&format!("/doc/{SEED_ID}")).await;
    let doc = seed();
    assert_eq!(doc.notes.len(), 21);
    for note in &doc.notes {
        let n = note.n;
        let el = element(&html, &format!("note-{n}"), "note-").unwrap_or_else(|| panic!("no note-{n}"));
        assert!(el.contains(&format!("href=\"#marker-{n}\"")), "note {n} does not link back to its marker");
        let marker = format!("id=\"marker-{n}\" href=\"#note-{n}\"");
        assert_eq!(html.matches(&marker).count(), 1, "marker {n} is not in the text exactly once");
    }
    assert_eq!((1..=21).collect::<Vec<u32>>(), doc.notes.iter().map(|n| n.n).collect::<Vec<_>>());
    // Archival references link to their archive pages; diagnostics stay collapsed.
    assert!(html.contains("href=\"/archive/TsKhSD/3/12/1006\""));
    assert!(!html.contains("<details class=\"diagnostics\" open"));
}

#[tokio::test]
async fn a_person_page_lists_every_turn_of_zhukov() {
    let (status, html) = get("/person/Zhukov").await;
    assert_eq!(status, StatusCode::OK);
    let turns: Vec<usize> =
        seed().turns().enumerate().filter(|(_, t)| t.speakers.iter().any(|s| s == "Zhukov")).map(|(i, _)| i).collect();
    assert_eq!(turns.len(), 6);
    let mut last = 0;
    for n in turns {
        let link = format!("href=\"/doc/{SEED_ID}#turn-{n}\"");
        let at = html.find(&link).unwrap_or_else(|| panic!("turn {n} of Zhukov missing"));
        assert!(at > last, "turn {n} out of order");
        last = at;
    }
    assert!(html.contains("Sessions attended"));
}

#[tokio::test]
async fn the_archive_page_of_tskhsd_fond_3_opis_12_lists_the_seed() {
    let (status, html) = get("/archive/TsKhSD/3/12").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/doc/{SEED_ID}\"")));
    assert!(html.contains("href=\"/archive/TsKhSD/3/12/1006\""), "the file within is not listed");
    let (status, html) = get("/archive").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/archive/TsKhSD\""));
    assert_eq!(get("/archive/TsKhSD/3/99999").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn document_content_is_escaped_everywhere() {
    for uri in [
        format!("/doc/{HOSTILE_ID}"),
        "/search?q=alert".to_owned(),
        "/person/Evil%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
        "/people".to_owned(),
    ] {
        let (status, html) = get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(!html.contains("<script>alert"), "{uri} lets a script through");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{uri} does not show the text");
    }
}

#[tokio::test]
async fn unknown_documents_and_paths_are_404() {
    let (status, html) = get("/doc/no-such-document").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<h1>Not found</h1>"));
    assert_eq!(get("/no/such/page").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get("/person/Nobody%20Atall%20Xyzzy").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_query_is_400_with_its_column() {
    let (status, html) = get("/search?q=Zhukov%20(Hungary").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let index = Index::open(data()).expect("index");
    let err = index.search("Zhukov (Hungary", &Default::default()).expect_err("a parse error");
    let column = match err {
        opis_index::IndexError::Query { position, .. } => position + 1,
        other => panic!("{other}"),
    };
    assert!(html.contains(&format!("at column {column}")), "{html}");
    assert!(html.contains("value=\"Zhukov (Hungary\""), "the query is not kept");
}

#[tokio::test]
async fn home_timeline_and_assets_are_served() {
    let (status, html) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(">seed</a>") && html.contains("1956"), "collections with their years");
    assert!(
        html.contains("href=\"/timeline\"") && html.contains("href=\"/people\"") && html.contains("href=\"/archive\"")
    );
    let (status, html) = get("/timeline").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg") && html.contains("href=\"/search?q=date%3A1956\""));
    for (uri, needle) in [("/static/opis.css", "prefers-color-scheme"), ("/static/opis.js", "keydown")] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(needle), "{uri}");
    }
    // Odd parameters are not errors.
    assert_eq!(get("/search?q=Hungary&page=-3&sort=sideways").await.0, StatusCode::OK);
    assert_eq!(get("/search?q=Hungary&page=999999999999").await.0, StatusCode::OK);
}
