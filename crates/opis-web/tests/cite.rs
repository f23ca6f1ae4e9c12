//! Citations over HTTP: the four downloads of a document, the export of a search's documents,
//! and the citation meta tags of the reading view, on a data folder made from the seed, the
//! FRUS excerpt and a hostile document (as in `web.rs`). Expected values are read from the
//! seed's printed citation and from the FRUS source.

mod common;

use common::{parse, shared};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use opis_index::Index;
use opis_model::{Block, BlockKind, Document, Note, Section};
use opis_store::{Provenance, SqlStore, Store};
use tower::ServiceExt;

const SEED_ID: &str = "wilson-113647";
const HOSTILE_ID: &str = "test-hostile";
const SCRIPT: &str = "<script>alert(1)</script>";

fn seed_text() -> String {
    std::fs::read_to_string(shared().join("seed/presidium-1956-10-30.txt")).expect("seed")
}

/// The seed's printed citation: the line after "**Citation:**".
fn seed_citation() -> String {
    let text = seed_text();
    let at = text.find("**Citation:**").expect("citation label");
    text[at..].lines().skip(1).map(str::trim).find(|l| !l.is_empty()).expect("citation").to_owned()
}

fn hostile() -> Document {
    Document {
        id: HOSTILE_ID.into(),
        title: format!("A title with {SCRIPT} & {{braces}} 100%"),
        kind: "memorandum".into(),
        language: "en".into(),
        summary: Some(format!("Summary {SCRIPT}")),
        sections: vec![Section {
            blocks: vec![Block { kind: BlockKind::Paragraph, text: format!("Body {SCRIPT}"), ..Default::default() }],
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
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opis-web-cite-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut docs = parse(&shared().join("seed/presidium-1956-10-30.txt"), "seed");
        docs.extend(parse(&shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"), "frus"));
        docs.push(hostile());
        let batch: Vec<(Document, Provenance)> = docs.into_iter().map(|d| (d, Provenance::default())).collect();
        let mut store = SqlStore::open(&dir).expect("store");
        store.put_batch(&batch).expect("put");
        let mut index = Index::open(&dir).expect("index");
        index.sync(&store).expect("sync");
        dir
    })
}

async fn get_with(uri: &str, host: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let app = opis_web::router(data()).expect("router");
    let mut req = Request::get(uri);
    if let Some(h) = host {
        req = req.header(header::HOST, h);
    }
    let res = app.oneshot(req.body(Body::empty()).expect("request")).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (status, headers, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

async fn get(uri: &str) -> (StatusCode, HeaderMap, String) {
    get_with(uri, None).await
}

fn header_of<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The `content` of every `<meta name="{name}" …>` in `html`, unescaped.
fn meta(html: &str, name: &str) -> Vec<String> {
    let open = format!("<meta name=\"{name}\" content=\"");
    html.match_indices(&open)
        .map(|(i, _)| {
            let rest = &html[i + open.len()..];
            let end = rest.find('"').expect("closing quote");
            rest[..end].replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
        })
        .collect()
}

#[tokio::test]
async fn the_seed_as_csl_json_names_its_archive_and_reference() {
    let (status, h, body) = get(&format!("/doc/{SEED_ID}/cite.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&h, "content-type"), "application/vnd.citationstyles.csl+json");
    assert_eq!(header_of(&h, "content-disposition"), format!("attachment; filename=\"{SEED_ID}.json\""));
    let items: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let item = &items[0];
    let printed = seed_citation();
    assert!(printed.starts_with(&format!("\"{}\"", item["title"].as_str().unwrap())));
    let reference = format!("{}, {}", item["archive"].as_str().unwrap(), item["archive_location"].as_str().unwrap());
    assert!(printed.contains(&format!("Wilson Center Digital Archive, {reference}, compiled by V. N. Malin.")));
    assert_eq!(item["type"], "manuscript");
    assert_eq!(item["issued"]["date-parts"], serde_json::json!([[1956, 10, 30]]));
    assert_eq!(item["compiler"][0]["family"], "Malin");
    assert!(printed.contains(item["container-title"].as_str().unwrap()));
}

#[tokio::test]
async fn the_seed_as_bibtex_ris_and_chicago() {
    let printed = seed_citation();
    let (status, h, bib) = get(&format!("/doc/{SEED_ID}/cite.bib")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header_of(&h, "content-type").starts_with("application/x-bibtex"));
    assert_eq!(header_of(&h, "content-disposition"), format!("attachment; filename=\"{SEED_ID}.bib\""));
    assert!(bib.starts_with(&format!("@unpublished{{{SEED_ID},")), "{bib}");
    assert!(bib.contains("  archive = {TsKhSD},"), "{bib}");

    let (status, h, ris) = get(&format!("/doc/{SEED_ID}/cite.ris")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header_of(&h, "content-type").starts_with("application/x-research-info-systems"));
    assert!(header_of(&h, "content-disposition").contains(&format!("filename=\"{SEED_ID}.ris\"")));
    assert!(ris.starts_with("TY  - MANSCPT\r\n") && ris.ends_with("ER  - \r\n"), "{ris:?}");
    assert!(ris.contains("DA  - 1956/10/30\r\n"));

    let (status, h, note) = get(&format!("/doc/{SEED_ID}/cite.txt")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&h, "content-type"), "text/plain; charset=utf-8");
    assert!(header_of(&h, "content-disposition").contains(&format!("filename=\"{SEED_ID}.txt\"")));
    // The note names the archive and the reference as the seed prints them, and the compiler.
    let reference = printed.split(", ").skip_while(|p| *p != "TsKhSD").take(5).collect::<Vec<_>>();
    assert_eq!(reference, ["TsKhSD", "F. 3", "Op. 12", "D. 1006", "Ll. 6-14"]);
    assert!(note.contains("F. 3, Op. 12, D. 1006, Ll. 6-14, TsKhSD"), "{note}");
    assert!(note.contains("V. N. Malin"), "{note}");
    assert!(note.contains("October 30, 1956"), "{note}");
}

#[tokio::test]
async fn unknown_documents_have_no_citation() {
    for ext in ["json", "bib", "ris", "txt"] {
        let (status, _, _) = get(&format!("/doc/no-such-document/cite.{ext}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{ext}");
    }
}

#[tokio::test]
async fn a_hostile_title_is_escaped_for_bibtex_and_stays_data_elsewhere() {
    let (_, _, bib) = get(&format!("/doc/{HOSTILE_ID}/cite.bib")).await;
    let title = bib.lines().find(|l| l.starts_with("  title = ")).expect("title");
    assert_eq!(title, "  title = {{A title with $<$script$>$alert(1)$<$/script$>$ \\& \\{braces\\} 100\\%}},");
    let (_, h, json) = get(&format!("/doc/{HOSTILE_ID}/cite.json")).await;
    let items: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(items[0]["title"], hostile().title);
    assert_eq!(header_of(&h, "x-content-type-options"), "nosniff");
    let (_, _, html) = get(&format!("/doc/{HOSTILE_ID}")).await;
    assert!(!html.contains(SCRIPT), "the page never carries the raw markup");
    assert_eq!(meta(&html, "citation_title"), [hostile().title]);
}

#[tokio::test]
async fn the_reading_view_carries_highwire_and_dublin_core_tags_and_the_downloads() {
    let (status, _, html) = get_with(&format!("/doc/{SEED_ID}"), Some("archive.example:8080")).await;
    assert_eq!(status, StatusCode::OK);
    let head = &html[..html.find("</head>").expect("head")];
    let printed = seed_citation();
    let title = meta(head, "citation_title");
    assert!(printed.starts_with(&format!("\"{}\"", title[0])));
    assert_eq!(meta(head, "citation_date"), ["1956/10/30"]);
    assert_eq!(meta(head, "citation_publisher"), ["TsKhSD"]);
    assert_eq!(meta(head, "citation_public_url"), [format!("http://archive.example:8080/doc/{SEED_ID}")]);
    assert_eq!(meta(head, "citation_language"), ["en"]);
    assert_eq!(meta(head, "DC.title"), title);
    assert_eq!(meta(head, "DC.date"), ["1956-10-30"]);
    assert!(printed.contains(&meta(head, "DC.source")[0]));
    assert!(head.contains("rel=\"schema.DC\""));
    // The Chicago note, as a Dublin Core bibliographic citation.
    let (_, _, note) = get(&format!("/doc/{SEED_ID}/cite.txt")).await;
    assert_eq!(meta(head, "DCTERMS.bibliographicCitation"), [note.trim()]);
    for ext in ["bib", "ris", "json", "txt"] {
        assert!(html.contains(&format!("href=\"/doc/{SEED_ID}/cite.{ext}\"")), "{ext}");
    }
    // A FRUS telegram names its author.
    let (_, _, html) = get("/doc/frus1955-57v25-d165").await;
    assert_eq!(meta(&html, "citation_author"), ["Dillon"]);
    assert_eq!(meta(&html, "citation_firstpage"), ["390"]);
}

#[tokio::test]
async fn a_search_exports_each_document_once() {
    // Every turn of Khrushchev's in the seed is a hit; the export has the seed once.
    let (status, h, bib) = get("/search/cite.bib?q=speaker:Khrushchev").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&h, "content-disposition"), "attachment; filename=\"opis-search.bib\"");
    assert_eq!(bib.matches("\n@").count() + usize::from(bib.starts_with('@')), 1, "{bib}");
    assert!(bib.starts_with(&format!("@unpublished{{{SEED_ID},")));
    assert_eq!(header_of(&h, "x-opis-export-count"), "1");
    assert_eq!(header_of(&h, "x-opis-export-truncated"), "");

    // The empty query matches every document: the seed, four FRUS documents, the hostile one.
    let (status, h, ris) = get("/search/cite.ris?q=").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ris.matches("TY  - ").count(), 6);
    assert_eq!(ris.matches("ER  - \r\n").count(), 6);
    assert_eq!(header_of(&h, "x-opis-export-count"), "6");

    let (status, _, json) = get("/search/cite.json?q=Hungary&sort=date").await;
    assert_eq!(status, StatusCode::OK);
    let items: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    assert!(ids.contains(&SEED_ID), "{ids:?}");

    let (status, _, _) = get("/search/cite.bib?q=%28").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
