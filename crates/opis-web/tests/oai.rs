//! OAI-PMH at the HTTP level: data folders made from the seed, the FRUS excerpt, the Wilson
//! Center CSV rows and a hostile document, served by the router through
//! `tower::ServiceExt::oneshot` with three records a page, every response read back with
//! opis's XML parser. Expected values come from the parsed documents and the store.

mod common;

use common::shared;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use axum::Extension;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use opis_formats::xml::Element;
use opis_model::Document;
use opis_store::{Provenance, SqlStore, Store};
use opis_web::oai::OaiSettings;
use tower::ServiceExt;

const SEED_ID: &str = "wilson-113647";
const PAGE: usize = 3;

fn parse(rel: &str) -> Vec<Document> {
    common::parse_file(&shared().join(rel))
}

/// The seed (collection "Seed"), the FRUS excerpt (its volume is its collection), the Wilson
/// Center CSV rows (no collection), and a document whose title and summary hold markup.
fn corpus() -> Vec<Document> {
    let mut docs = parse("seed/presidium-1956-10-30.txt");
    docs[0].collection = Some("Seed".into());
    docs.extend(parse("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"));
    docs.extend(parse("corpora/wilson-center/wilson_archive_kohl-rows.csv"));
    docs.push(Document {
        id: "test-hostile".into(),
        title: "A title with <script>alert(1)</script> & \"quotes\"".into(),
        kind: "memorandum".into(),
        language: "en".into(),
        summary: Some("Summary ]]> <b>bold</b>".into()),
        ..Default::default()
    });
    docs
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opis-oai-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Stores `batches` one transaction each, a little over a second apart, so that each batch has
/// datestamps of its own.
fn store_batches(dir: &Path, batches: Vec<Vec<Document>>) {
    let mut store = SqlStore::open(dir).expect("store");
    for (i, batch) in batches.into_iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(1100));
        }
        let batch: Vec<(Document, Provenance)> = batch.into_iter().map(|d| (d, Provenance::default())).collect();
        store.put_batch(&batch).expect("put");
    }
}

/// The shared data folder: the corpus in two batches (the seed and FRUS, then the rest).
fn data() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = scratch("main");
        let mut docs = corpus();
        let rest = docs.split_off(5);
        store_batches(&dir, vec![docs, rest]);
        dir
    })
}

fn settings() -> OaiSettings {
    OaiSettings { page_size: PAGE, repository_id: "archive.example.org".into(), ..Default::default() }
}

/// Every current document: (id, updated_at), and the documents by id.
fn store_view(dir: &Path) -> (Vec<(String, String)>, std::collections::BTreeMap<String, Document>) {
    let store = SqlStore::open(dir).expect("store");
    let mut stamps = Vec::new();
    let mut docs = std::collections::BTreeMap::new();
    store
        .for_each_document(&mut |d| {
            stamps.push((d.document.id.clone(), d.updated_at.clone()));
            docs.insert(d.document.id.clone(), d.document);
            Ok(())
        })
        .expect("read");
    (stamps, docs)
}

fn datestamp(updated_at: &str) -> String {
    format!("{}Z", &updated_at[..19])
}

async fn send(dir: &Path, settings: OaiSettings, req: Request<Body>) -> Element {
    let app = opis_web::router(dir).expect("router").layer(Extension(settings));
    let res = app.oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let ctype = res.headers().get(header::CONTENT_TYPE).expect("content type").to_str().unwrap().to_owned();
    assert!(ctype.starts_with("text/xml"), "{ctype}");
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    Element::parse_document(Path::new("response.xml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

async fn oai_in(dir: &Path, settings: OaiSettings, query: &str) -> Element {
    let req = Request::get(format!("/oai?{query}")).header(header::HOST, "archive.example.org").body(Body::empty());
    send(dir, settings, req.expect("request")).await
}

async fn oai(query: &str) -> Element {
    oai_in(data(), settings(), query).await
}

fn error_code(root: &Element) -> Option<String> {
    root.child("error").and_then(|e| e.attr("code")).map(str::to_owned)
}

fn text_of(e: &Element, path: &[&str]) -> Option<String> {
    let mut at = e;
    for name in path {
        at = at.child(name)?;
    }
    Some(at.text())
}

fn local_id(identifier: &str) -> String {
    identifier.strip_prefix("oai:archive.example.org:").unwrap_or_else(|| panic!("{identifier}")).to_owned()
}

/// Follows resumption tokens to the end: every header (id, datestamp) and the number of pages.
async fn harvest(dir: &Path, settings: OaiSettings, verb: &str, args: &str) -> (Vec<(String, String)>, usize) {
    let mut query = format!("verb={verb}&{args}");
    let mut out = Vec::new();
    let mut pages = 0;
    // A harvest resumed from a token counts on from that token's position.
    let mut base = None;
    loop {
        let root = oai_in(dir, settings.clone(), &query).await;
        assert_eq!(error_code(&root), None, "{query}");
        let list = root.child(verb).expect("list element");
        let heads: Vec<&Element> = if verb == "ListRecords" {
            list.children_named("record").map(|r| r.child("header").expect("header")).collect()
        } else {
            list.children_named("header").collect()
        };
        let token = list.child("resumptionToken");
        if let Some(t) = token {
            let cursor: usize = t.attr("cursor").and_then(|c| c.parse().ok()).expect("cursor");
            let base = *base.get_or_insert(if args.starts_with("resumptionToken") { cursor } else { 0 });
            assert_eq!(cursor, base + out.len(), "cursor of page {pages}");
        }
        for h in heads {
            out.push((local_id(&text_of(h, &["identifier"]).unwrap()), text_of(h, &["datestamp"]).unwrap()));
        }
        pages += 1;
        match token.map(Element::text).filter(|t| !t.is_empty()) {
            Some(t) => query = format!("verb={verb}&resumptionToken={t}"),
            None => {
                if pages > 1 {
                    assert!(token.is_some(), "the last page of a paged list carries an empty token");
                }
                return (out, pages);
            }
        }
    }
}

#[tokio::test]
async fn identify_declares_the_repository_and_its_policies() {
    let root = oai("verb=Identify").await;
    let (stamps, _) = store_view(data());
    let id = root.child("Identify").expect("Identify");
    assert_eq!(text_of(id, &["baseURL"]).as_deref(), Some("http://archive.example.org/oai"));
    assert_eq!(text_of(id, &["protocolVersion"]).as_deref(), Some("2.0"));
    assert_eq!(text_of(id, &["deletedRecord"]).as_deref(), Some("no"));
    assert_eq!(text_of(id, &["granularity"]).as_deref(), Some("YYYY-MM-DDThh:mm:ssZ"));
    let earliest = stamps.iter().map(|(_, at)| datestamp(at)).min().unwrap();
    assert_eq!(text_of(id, &["earliestDatestamp"]), Some(earliest));
    let ident = id.child("description").and_then(|d| d.child("oai-identifier")).expect("oai-identifier");
    assert_eq!(text_of(ident, &["repositoryIdentifier"]).as_deref(), Some("archive.example.org"));
    assert_eq!(root.child("request").and_then(|r| r.attr("verb")), Some("Identify"));
}

#[tokio::test]
async fn paging_through_tokens_gives_every_record_exactly_once_with_its_datestamp() {
    let (stamps, _) = store_view(data());
    let expected: std::collections::BTreeMap<String, String> =
        stamps.iter().map(|(id, at)| (id.clone(), datestamp(at))).collect();
    for (verb, prefix) in [("ListRecords", "oai_dc"), ("ListIdentifiers", "oai_dc"), ("ListRecords", "tei")] {
        let (got, pages) = harvest(data(), settings(), verb, &format!("metadataPrefix={prefix}")).await;
        assert_eq!(got.len(), stamps.len(), "{verb} {prefix}");
        assert_eq!(pages, stamps.len().div_ceil(PAGE), "{verb} {prefix}");
        let got_map: std::collections::BTreeMap<String, String> = got.iter().cloned().collect();
        assert_eq!(got_map, expected, "{verb} {prefix}: each record once, with the store's datestamp");
        let mut sorted = got.clone();
        sorted.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        assert_eq!(got, sorted, "records come in datestamp order");
    }
    let root = oai("verb=ListRecords&metadataPrefix=oai_dc").await;
    let token = root.child("ListRecords").and_then(|l| l.child("resumptionToken")).expect("token");
    assert_eq!(token.attr("completeListSize"), Some(stamps.len().to_string().as_str()));
    assert_eq!(token.attr("cursor"), Some("0"));
    let expires = token.attr("expirationDate").expect("expirationDate");
    assert!(expires > text_of(&root, &["responseDate"]).unwrap().as_str());
}

#[tokio::test]
async fn dublin_core_carries_the_documents_fields() {
    let seed = &parse("seed/presidium-1956-10-30.txt")[0];
    let root = oai(&format!("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:{SEED_ID}")).await;
    let record = root.child("GetRecord").and_then(|g| g.child("record")).expect("record");
    let dc = record.child("metadata").and_then(|m| m.child("dc")).expect("oai_dc:dc");
    let values = |name: &str| dc.children_named(name).map(Element::text).collect::<Vec<_>>();
    assert_eq!(values("title"), vec![seed.title.clone()]);
    // The citation line of the seed: "…, October 30, 1956, …, TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14, …".
    assert_eq!(values("date"), vec!["1956-10-30".to_string()]);
    assert_eq!(values("source"), vec!["TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14".to_string()]);
    assert_eq!(values("language"), vec![seed.language.clone()]);
    assert_eq!(values("description"), vec![seed.summary.clone().unwrap().trim().to_owned()]);
    assert!(values("type").contains(&seed.kind));
    assert!(values("identifier").contains(&format!("http://archive.example.org/doc/{SEED_ID}")));
    // "compiled by V. N. Malin"
    assert_eq!(seed.compiler.as_deref(), Some("V. N. Malin"));
    assert!(values("contributor").contains(&"V. N. Malin".to_string()), "{:?}", values("contributor"));
    let set = text_of(record, &["header", "setSpec"]);
    assert_eq!(set.as_deref(), Some("seed"));

    let hostile = oai("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:test-hostile").await;
    let dc = hostile.child("GetRecord").and_then(|g| g.child("record")).and_then(|r| r.child("metadata")).unwrap();
    let dc = dc.child("dc").unwrap();
    assert_eq!(text_of(dc, &["title"]).as_deref(), Some("A title with <script>alert(1)</script> & \"quotes\""));
    assert_eq!(text_of(dc, &["description"]).as_deref(), Some("Summary ]]> <b>bold</b>"));
}

#[tokio::test]
async fn a_tei_record_reads_back_into_the_stored_document() {
    let (_, docs) = store_view(data());
    for id in [SEED_ID, "frus1955-57v25-d162"] {
        // The TEI element as text, out of the response, read by opis's TEI reader.
        let req =
            Request::get(format!("/oai?verb=GetRecord&metadataPrefix=tei&identifier=oai:archive.example.org:{id}"))
                .body(Body::empty())
                .unwrap();
        let res = opis_web::router(data()).unwrap().layer(Extension(settings())).oneshot(req).await.unwrap();
        let text =
            String::from_utf8(axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap();
        let tei = &text[text.find("<TEI ").unwrap()..text.find("</TEI>").unwrap() + "</TEI>".len()];
        let read = opis_formats::tei::parse_tei(Path::new("record.xml"), tei).expect("TEI parses");
        assert_eq!(read[0], docs[id], "{id}: the harvested TEI is the stored document");
    }
}

#[tokio::test]
async fn sets_are_the_collections() {
    let (_, docs) = store_view(data());
    let root = oai("verb=ListSets").await;
    let sets: Vec<(String, String)> = root
        .child("ListSets")
        .expect("ListSets")
        .children_named("set")
        .map(|s| (text_of(s, &["setSpec"]).unwrap(), text_of(s, &["setName"]).unwrap()))
        .collect();
    let mut collections: Vec<String> = docs.values().filter_map(|d| d.collection.clone()).collect();
    collections.dedup();
    collections.sort();
    collections.dedup();
    assert_eq!(sets.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(), collections);
    for (spec, name) in &sets {
        let members = docs.values().filter(|d| d.collection.as_deref() == Some(name.as_str())).count();
        let (got, _) =
            harvest(data(), settings(), "ListIdentifiers", &format!("metadataPrefix=oai_dc&set={spec}")).await;
        assert_eq!(got.len(), members, "set {spec}");
    }
    let frus = sets.iter().find(|(_, n)| n.starts_with("Foreign Relations")).expect("the FRUS volume is a set");
    assert_eq!(frus.0, "foreign-relations-of-the-united-states-1955-1957-eastern-europe-volume-xxv");
}

#[tokio::test]
async fn from_and_until_select_by_datestamp_at_both_granularities() {
    let (stamps, _) = store_view(data());
    let mut days: Vec<String> = stamps.iter().map(|(_, at)| datestamp(at)).collect();
    days.sort();
    days.dedup();
    assert!(days.len() >= 2, "the two batches have datestamps of their own: {days:?}");
    let (first, last) = (days[0].clone(), days[days.len() - 1].clone());
    let count = |pred: &dyn Fn(&str) -> bool| stamps.iter().filter(|(_, at)| pred(&datestamp(at))).count();
    let cases = [
        (format!("from={last}"), count(&|d| d >= last.as_str())),
        (format!("until={first}"), count(&|d| d <= first.as_str())),
        (format!("from={first}&until={first}"), count(&|d| d == first.as_str())),
        (format!("from={}&until={}", &first[..10], &last[..10]), stamps.len()),
    ];
    for (args, want) in cases {
        assert!(want > 0 && want <= stamps.len());
        let (got, _) = harvest(data(), settings(), "ListIdentifiers", &format!("metadataPrefix=oai_dc&{args}")).await;
        assert_eq!(got.len(), want, "{args}");
    }
    let root = oai("verb=ListIdentifiers&metadataPrefix=oai_dc&until=1999-12-31").await;
    assert_eq!(error_code(&root).as_deref(), Some("noRecordsMatch"));
}

#[tokio::test]
async fn every_protocol_error_has_its_code() {
    let token = {
        let root = oai("verb=ListRecords&metadataPrefix=oai_dc").await;
        root.child("ListRecords").and_then(|l| l.child("resumptionToken")).map(Element::text).expect("token")
    };
    let id = format!("oai:archive.example.org:{SEED_ID}");
    let cases = [
        ("", "badVerb"),
        ("verb=Harvest", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=Identify&metadataPrefix=oai_dc", "badArgument"),
        ("verb=ListRecords", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=tei", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=30.10.1956", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&until=2026-02-30", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2000-01-01&until=2099-01-01T00:00:00Z", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2099-01-01&until=2000-01-01", "badArgument"),
        (&format!("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken={token}"), "badArgument"),
        ("verb=GetRecord&metadataPrefix=oai_dc", "badArgument"),
        (&format!("verb=GetRecord&identifier={id}"), "badArgument"),
        ("verb=ListRecords&resumptionToken=zz", "badResumptionToken"),
        ("verb=ListRecords&resumptionToken=7b7d", "badResumptionToken"),
        (&format!("verb=ListIdentifiers&resumptionToken={token}"), "badResumptionToken"),
        (&format!("verb=ListSets&resumptionToken={token}"), "badResumptionToken"),
        ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
        (&format!("verb=GetRecord&identifier={id}&metadataPrefix=marc21"), "cannotDisseminateFormat"),
        ("verb=GetRecord&identifier=oai:archive.example.org:nothing&metadataPrefix=oai_dc", "idDoesNotExist"),
        (&format!("verb=GetRecord&identifier=oai:elsewhere.org:{SEED_ID}&metadataPrefix=oai_dc"), "idDoesNotExist"),
        ("verb=ListMetadataFormats&identifier=oai:archive.example.org:nothing", "idDoesNotExist"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=no-such-set", "noRecordsMatch"),
        ("verb=ListRecords&metadataPrefix=tei&until=1990-01-01T00:00:00Z", "noRecordsMatch"),
    ];
    for (query, code) in cases {
        let root = oai(query).await;
        assert_eq!(error_code(&root).as_deref(), Some(code), "{query}");
        let request = root.child("request").expect("request element");
        if matches!(code, "badVerb" | "badArgument") {
            assert!(request.attrs.is_empty(), "{query}: {code} echoes no arguments");
        }
    }
    // A well-formed token whose time is up.
    let short = OaiSettings { token_ttl_secs: 1, ..settings() };
    let root = oai_in(data(), short.clone(), "verb=ListIdentifiers&metadataPrefix=oai_dc").await;
    let token = root.child("ListIdentifiers").and_then(|l| l.child("resumptionToken")).map(Element::text).unwrap();
    assert_eq!(
        error_code(&oai_in(data(), short.clone(), &format!("verb=ListIdentifiers&resumptionToken={token}")).await),
        None
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let root = oai_in(data(), short, &format!("verb=ListIdentifiers&resumptionToken={token}")).await;
    assert_eq!(error_code(&root).as_deref(), Some("badResumptionToken"));
}

#[tokio::test]
async fn without_collections_there_is_no_set_hierarchy() {
    let dir = scratch("nosets");
    let mut docs = parse("seed/presidium-1956-10-30.txt");
    docs[0].collection = None;
    store_batches(&dir, vec![docs]);
    for query in ["verb=ListSets", "verb=ListIdentifiers&metadataPrefix=oai_dc&set=seed"] {
        let root = oai_in(&dir, settings(), query).await;
        assert_eq!(error_code(&root).as_deref(), Some("noSetHierarchy"), "{query}");
    }
    let root = oai_in(&dir, settings(), "verb=ListIdentifiers&metadataPrefix=oai_dc").await;
    assert_eq!(root.child("ListIdentifiers").map(|l| l.children_named("header").count()), Some(1));
}

#[tokio::test]
async fn post_answers_as_get_does() {
    let get = oai("verb=ListIdentifiers&metadataPrefix=oai_dc").await;
    let req = Request::post("/oai")
        .header(header::HOST, "archive.example.org")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("verb=ListIdentifiers&metadataPrefix=oai_dc"))
        .unwrap();
    let post = send(data(), settings(), req).await;
    // The same page; the tokens differ only in when they were issued (a second may pass
    // between the two requests), so each is followed, by its own method, to the same next page.
    let headers = |root: &Element| -> Vec<Element> {
        root.child("ListIdentifiers").expect("list").children_named("header").cloned().collect()
    };
    let token = |root: &Element| -> Element {
        root.child("ListIdentifiers").and_then(|l| l.child("resumptionToken")).expect("token").clone()
    };
    assert_eq!(headers(&get).len(), PAGE);
    assert_eq!(headers(&get), headers(&post));
    let (get_token, post_token) = (token(&get), token(&post));
    for attr in ["cursor", "completeListSize"] {
        assert_eq!(get_token.attr(attr), post_token.attr(attr), "{attr}");
    }
    let next_get = oai(&format!("verb=ListIdentifiers&resumptionToken={}", get_token.text())).await;
    let req = Request::post("/oai")
        .header(header::HOST, "archive.example.org")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("verb=ListIdentifiers&resumptionToken={}", post_token.text())))
        .unwrap();
    let next_post = send(data(), settings(), req).await;
    assert_eq!(headers(&next_get).len(), PAGE);
    assert_eq!(headers(&next_get), headers(&next_post));
    assert_ne!(headers(&next_get), headers(&get));
    let req =
        Request::post("/oai").header(header::CONTENT_TYPE, "text/plain").body(Body::from("verb=Identify")).unwrap();
    assert_eq!(error_code(&send(data(), settings(), req).await).as_deref(), Some("badArgument"));
}

#[tokio::test]
async fn a_harvest_stays_whole_while_documents_are_written() {
    let dir = scratch("concurrent");
    let docs = corpus();
    let original: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
    store_batches(&dir, vec![docs.clone()]);
    // The first page, then a write: one record already harvested and one not yet change, and
    // a new document arrives; then the rest of the list.
    let root = oai_in(&dir, settings(), "verb=ListIdentifiers&metadataPrefix=oai_dc").await;
    let list = root.child("ListIdentifiers").unwrap();
    let mut seen: Vec<String> =
        list.children_named("header").map(|h| local_id(&text_of(h, &["identifier"]).unwrap())).collect();
    let token = list.child("resumptionToken").map(Element::text).unwrap();
    let (done, pending) = (seen[0].clone(), original.iter().find(|id| !seen.contains(id)).unwrap().clone());
    let changed: Vec<Document> = docs
        .iter()
        .filter(|d| d.id == done || d.id == pending)
        .map(|d| {
            let mut d = d.clone();
            d.title.push_str(" (revised)");
            d
        })
        .chain([Document {
            id: "late-arrival".into(),
            title: "New".into(),
            kind: "memorandum".into(),
            ..Default::default()
        }])
        .collect();
    store_batches(&dir, vec![changed]);
    let (rest, _) = harvest(&dir, settings(), "ListIdentifiers", &format!("resumptionToken={token}")).await;
    seen.extend(rest.into_iter().map(|(id, _)| id));
    for id in &original {
        let times = seen.iter().filter(|s| *s == id).count();
        let want = if *id == done { 2 } else { 1 };
        assert_eq!(times, want, "{id} listed {times} time(s)");
    }
    assert!(seen.contains(&"late-arrival".to_string()));
    assert_eq!(seen.len(), original.len() + 2);
}
