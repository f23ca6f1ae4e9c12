//! The JSON API at the HTTP level, over a data folder made from the seed, the FRUS excerpt and
//! the Wilson Center API exports (served through `tower::ServiceExt::oneshot`). Expected values
//! come from the parsed documents and from the seed's text.

mod common;

use common::{parse, shared};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use opis_index::Index;
use opis_model::{BlockKind, Document};
use opis_store::{Provenance, SqlStore, Store};
use serde_json::Value;
use tower::ServiceExt;

const SEED_ID: &str = "wilson-113647";

/// The documents and the data folder holding them, built once per test binary.
fn fixture() -> &'static (Vec<Document>, PathBuf) {
    static DATA: OnceLock<(Vec<Document>, PathBuf)> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opis-api-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let s = shared();
        let mut docs = parse(&s.join("seed/presidium-1956-10-30.txt"), "seed");
        docs.extend(parse(&s.join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"), "frus"));
        let api = s.join("corpora/wilson-center/digitalarchive-api");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&api)
            .expect("the Wilson Center API exports")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            docs.extend(parse(&f, "wilson-center"));
        }
        let mut seen = BTreeSet::new();
        docs.retain(|d| seen.insert(d.id.clone()));
        let batch: Vec<(Document, Provenance)> = docs.iter().map(|d| (d.clone(), Provenance::default())).collect();
        let mut store = SqlStore::open(&dir).expect("store");
        store.put_batch(&batch).expect("put");
        let mut index = Index::open(&dir).expect("index");
        index.sync(&store).expect("sync");
        (docs, dir)
    })
}

async fn get(uri: &str) -> (StatusCode, Value) {
    let app = opis_web::router(&fixture().1).expect("router");
    let res = app.oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("response");
    let status = res.status();
    let ctype = res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("").to_owned());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    assert_eq!(ctype.as_deref(), Some("application/json"), "{uri}: every API answer is JSON");
    (status, serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{uri}: {e}")))
}

#[tokio::test]
async fn paging_with_the_cursor_meets_every_document_once() {
    let docs = &fixture().0;
    let mut ids = Vec::new();
    let mut uri = "/api/v1/documents?limit=3".to_owned();
    for _ in 0..100 {
        let (status, page) = get(&uri).await;
        assert_eq!(status, StatusCode::OK);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 3);
        ids.extend(items.iter().map(|d| d["id"].as_str().expect("id").to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/documents?limit=3&cursor={c}"),
            None => break,
        }
    }
    let expected: BTreeSet<String> = docs.iter().map(|d| d.id.clone()).collect();
    assert_eq!(ids.len(), expected.len(), "no document twice");
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test]
async fn filters_narrow_by_collection_and_date() {
    let docs = &fixture().0;
    let (_, page) = get("/api/v1/documents?collection=frus&limit=500").await;
    let frus: BTreeSet<&str> =
        docs.iter().filter(|d| d.collection.as_deref() == Some("frus")).map(|d| d.id.as_str()).collect();
    let got: BTreeSet<&str> =
        page["items"].as_array().expect("items").iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(got, frus);
    // 30 October 1956 is the seed's day.
    let (_, page) = get("/api/v1/documents?from=1956-10-30&until=1956-10-30&limit=500").await;
    let got: Vec<&str> = page["items"].as_array().expect("items").iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert!(got.contains(&SEED_ID), "{got:?}");
    for d in page["items"].as_array().unwrap() {
        assert!(d["date_from"].as_str().unwrap() <= "1956-10-30" && d["date_to"].as_str().unwrap() >= "1956-10-30");
    }
}

#[tokio::test]
async fn one_document_its_versions_and_a_version() {
    let seed = fixture().0.iter().find(|d| d.id == SEED_ID).expect("the seed");
    let (status, record) = get(&format!("/api/v1/documents/{SEED_ID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["version"], 1);
    assert_eq!(record["content_hash"].as_str(), Some(opis_store::content_hash(seed).as_str()));
    let back: Document = serde_json::from_value(record["document"].clone()).expect("a Document");
    assert_eq!(&back, seed, "the API gives the document as stored");
    let (_, versions) = get(&format!("/api/v1/documents/{SEED_ID}/versions")).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(1));
    let (status, v1) = get(&format!("/api/v1/documents/{SEED_ID}/versions/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v1["title"].as_str(), Some(seed.title.as_str()));
    for uri in [
        "/api/v1/documents/no-such-id",
        "/api/v1/documents/no-such-id/versions",
        &format!("/api/v1/documents/{SEED_ID}/versions/2"),
    ] {
        let (status, e) = get(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(e["error"]["code"], "not_found");
    }
}

#[tokio::test]
async fn search_lands_on_zhukovs_turns_and_a_bad_query_points_at_its_place() {
    let seed = fixture().0.iter().find(|d| d.id == SEED_ID).expect("the seed");
    // Zhukov's turns in the seed that mention troops, counted from the document.
    let expected: BTreeSet<u64> = seed
        .turns()
        .enumerate()
        .filter(|(_, b)| b.speakers.iter().any(|s| s == "Zhukov") && b.text.to_lowercase().contains("troops"))
        .map(|(i, _)| i as u64)
        .collect();
    assert!(!expected.is_empty());
    let (status, r) = get("/api/v1/search?q=speaker%3AZhukov%20troops&limit=50").await;
    assert_eq!(status, StatusCode::OK);
    let hits = r["hits"].as_array().expect("hits");
    let turns: BTreeSet<u64> = hits.iter().filter(|h| h["id"] == SEED_ID).filter_map(|h| h["turn"].as_u64()).collect();
    assert_eq!(turns, expected);
    let turn_hits = hits.iter().filter(|h| h["turn"].is_u64());
    assert!(turn_hits.clone().count() > 0);
    for h in turn_hits {
        assert!(h["speakers"].as_array().is_some_and(|s| s.iter().any(|s| s == "Zhukov")), "only Zhukov's turns: {h}");
    }
    let (status, e) = get("/api/v1/search?q=Hungary%20%22unclosed").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["code"], "bad_query");
    assert_eq!(e["error"]["position"], 8, "the quote opens at offset 8");
    let (_, r) = get("/api/v1/search?q=Hungary&limit=0&facets=true").await;
    assert!(r["facets"]["collection"].is_object(), "facets when asked");
}

#[tokio::test]
async fn malformed_parameters_are_json_errors_from_the_one_table() {
    for uri in [
        "/api/v1/documents?limit=abc",
        "/api/v1/documents?limit=0",
        "/api/v1/documents?limit=501",
        "/api/v1/documents?from=1956-13-01",
        "/api/v1/search?limit=1001",
        "/api/v1/search?sort=sideways",
        "/api/v1/documents/x/versions/0",
        "/api/v1/documents/x/versions/one",
    ] {
        let (status, e) = get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(e["error"]["code"], "bad_parameter", "{uri}");
    }
    let (status, e) = get("/api/v2/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(e["error"]["message"].as_str().unwrap().contains("/api/v2/nothing"));
}

#[tokio::test]
async fn people_collections_archives_and_stats_agree_with_the_documents() {
    let docs = &fixture().0;
    let (_, people) = get("/api/v1/people?contains=zhuk").await;
    let zhukov = people.as_array().expect("people").iter().find(|p| p["name"] == "Zhukov").expect("Zhukov");
    let turns = docs
        .iter()
        .flat_map(|d| d.turns())
        .filter(|b| b.kind == BlockKind::Turn && b.speakers.iter().any(|s| s == "Zhukov"))
        .count();
    assert_eq!(zhukov["turns"].as_u64(), Some(turns as u64));
    let (status, person) = get("/api/v1/people/Zhukov").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(person["turns"].as_array().map(Vec::len), Some(turns));
    let (status, _) = get("/api/v1/people/Nobody%20Ever").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A name with nothing to search for (schemathesis sent "£") names nobody.
    let (status, _) = get("/api/v1/people/%C2%A3").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, cols) = get("/api/v1/collections").await;
    let total: u64 = cols.as_array().expect("collections").iter().map(|c| c["documents"].as_u64().unwrap()).sum();
    assert_eq!(total, docs.len() as u64);
    let (_, stats) = get("/api/v1/stats").await;
    assert_eq!(stats["documents"].as_u64(), Some(docs.len() as u64));
    let (_, archives) = get("/api/v1/archives").await;
    // The seed's reference: TsKhSD, F. 3, Op. 12, D. 1006.
    let paths: Vec<Vec<String>> = archives
        .as_array()
        .expect("archives")
        .iter()
        .map(|a| a["path"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .collect();
    assert!(
        paths.iter().any(|p| p.first().is_some_and(|a| a == "TsKhSD") && p.iter().any(|c| c.contains("1006"))),
        "{paths:?}"
    );
}

#[tokio::test]
async fn the_openapi_description_is_3_1_and_names_every_endpoint() {
    let (status, doc) = get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths: BTreeSet<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for p in ["/api/v1/documents", "/api/v1/documents/{id}", "/api/v1/search", "/api/v1/people", "/api/v1/stats"] {
        assert!(paths.contains(p), "{p} is described");
    }
    assert!(doc["components"]["schemas"]["Document"].is_object());
}
