//! The reading room at the HTTP level: a data folder made from the seed, the FRUS excerpt and
//! a hostile document, served by the router through `tower::ServiceExt::oneshot`. Expected
//! values are read from the parsed documents, except the speaker order the issue names.

mod common;

use common::{parse, shared};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use opis_index::Index;
use opis_model::{Block, BlockKind, DocDate, Document, Note, Participants, PersonMention, Section};
use opis_store::{Provenance, SqlStore, Store};
use tower::ServiceExt;

const SEED_ID: &str = "wilson-113647";
const HOSTILE_ID: &str = "test-hostile";
const SCRIPT: &str = "<script>alert(1)</script>";

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

/// A second session in the seed's collection, the day after it, with an attendance list that
/// shares two names with the seed's: it gives co-attendance counts above one and a next document.
fn second_session() -> Document {
    let names = ["Zhukov", "Bulganin", "Mikoyan"];
    Document {
        id: "test-session-2".into(),
        title: "Working notes of a second session (test document)".into(),
        kind: "working-notes".into(),
        language: "en".into(),
        collection: Some("seed".into()),
        date: Some(DocDate { text: "October 31, 1956".into(), from: "1956-10-31".into(), to: "1956-10-31".into() }),
        participants: vec![Participants { label: "Present".into(), names: names.map(String::from).to_vec() }],
        persons: names.map(|n| PersonMention { name: n.into(), variants: vec![], mentions: 1, refs: vec![] }).to_vec(),
        ..Default::default()
    }
}

fn frus() -> Vec<Document> {
    parse(&shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"), "frus")
}

/// Every document the data folder holds.
fn all_docs() -> Vec<Document> {
    let mut docs = vec![seed()];
    docs.extend(frus());
    docs.push(hostile());
    docs.push(second_session());
    docs
}

/// The data folder, built once per test binary.
fn data() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opis-web-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let batch: Vec<(Document, Provenance)> = all_docs().into_iter().map(|d| (d, Provenance::default())).collect();
        let mut store = SqlStore::open(&dir).expect("store");
        store.put_batch(&batch).expect("put");
        let mut index = Index::open(&dir).expect("index");
        index.sync(&store).expect("sync");
        dir
    })
}

async fn get(uri: &str) -> (StatusCode, String) {
    let (status, _, body) = get_with_location(uri).await;
    (status, body)
}

/// The status, the `Location` header (for redirects) and the body.
async fn get_with_location(uri: &str) -> (StatusCode, Option<String>, String) {
    let app = opis_web::router(data()).expect("router");
    let res = app.oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("response");
    let status = res.status();
    let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (status, location, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

/// The `href` of the first `<a …>` in `html` carrying `rel="{rel}"`.
fn rel_link(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!("rel=\"{rel}\""))?;
    let start = html[..at].rfind("<a ")?;
    let tag = &html[start..html[start..].find('>')? + start];
    let href = tag.split("href=\"").nth(1)?;
    Some(unescape(&href[..href.find('"')?]))
}

/// The documents of the data folder ordered as the reading view browses a collection: dated
/// ones by (date, id), then undated ones by id.
fn browsing_order(collection: &str) -> Vec<String> {
    let mut docs: Vec<Document> =
        all_docs().into_iter().filter(|d| d.collection.as_deref() == Some(collection)).collect();
    docs.sort_by(|a, b| {
        let key = |d: &Document| (d.date.is_none(), d.date.as_ref().map(|d| d.from.clone()), d.id.clone());
        key(a).cmp(&key(b))
    });
    docs.into_iter().map(|d| d.id).collect()
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
    // A name with nothing to search for names nobody: 404, not a query error.
    assert_eq!(get("/person/%C2%A3").await.0, StatusCode::NOT_FOUND);
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
    assert!(html.contains("<svg") && html.contains("href=\"/search?q=date%3A1956-10\""));
    for (uri, needle) in [("/static/opis.css", "prefers-color-scheme"), ("/static/opis.js", "keydown")] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(needle), "{uri}");
    }
    // Odd parameters are not errors.
    assert_eq!(get("/search?q=Hungary&page=-3&sort=sideways").await.0, StatusCode::OK);
    assert_eq!(get("/search?q=Hungary&page=999999999999").await.0, StatusCode::OK);
}

#[tokio::test]
async fn previous_and_next_follow_the_collection_by_date_then_id() {
    let frus = frus();
    let volume = frus[0].collection.clone().expect("a FRUS document has its volume as collection");
    assert!(frus.iter().all(|d| d.collection.as_deref() == Some(volume.as_str())));
    for collection in [volume.as_str(), "seed"] {
        let order = browsing_order(collection);
        assert!(order.len() >= 2, "{collection}: {order:?}");
        for (i, id) in order.iter().enumerate() {
            let (status, html) = get(&format!("/doc/{id}")).await;
            assert_eq!(status, StatusCode::OK);
            let expected_prev = i.checked_sub(1).map(|j| format!("/doc/{}", order[j]));
            let expected_next = order.get(i + 1).map(|n| format!("/doc/{n}"));
            assert_eq!(rel_link(&html, "prev"), expected_prev, "previous of {id}");
            assert_eq!(rel_link(&html, "next"), expected_next, "next of {id}");
        }
    }
    // A document without a collection has neither.
    let (_, html) = get(&format!("/doc/{HOSTILE_ID}")).await;
    assert_eq!((rel_link(&html, "prev"), rel_link(&html, "next")), (None, None));
}

#[tokio::test]
async fn the_citation_box_links_the_three_download_formats() {
    let (_, html) = get(&format!("/doc/{SEED_ID}")).await;
    for ext in ["bib", "ris", "json"] {
        assert!(html.contains(&format!("href=\"/doc/{SEED_ID}/cite.{ext}\"")), "no cite.{ext} link");
    }
}

#[tokio::test]
async fn a_person_page_counts_sessions_turns_and_who_else_was_in_the_room() {
    let docs = all_docs();
    let who = "Zhukov";
    let listed = |d: &Document, name: &str| d.participants.iter().any(|l| l.names.iter().any(|n| n == name));
    let sessions: Vec<&Document> = docs.iter().filter(|d| listed(d, who)).collect();
    assert_eq!(sessions.len(), 2, "the seed and the second session list Zhukov");
    let turns = docs.iter().flat_map(|d| d.turns()).filter(|t| t.speakers.iter().any(|s| s == who)).count();
    let (status, html) = get(&format!("/person/{who}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"count-sessions\">{}</dd>", sessions.len())), "sessions count");
    assert!(html.contains(&format!("id=\"count-turns\">{turns}</dd>")), "turns count");
    // Co-attendance: for each name sharing a list with Zhukov, the sessions in which it does.
    let together = &html[html.find("id=\"together-h\"").expect("co-attendance section")..];
    let together = &together[..together.find("</section>").expect("section end")];
    for other in ["Bulganin", "Mikoyan", "Molotov", "Yudin"] {
        let shared = sessions
            .iter()
            .filter(|d| {
                d.participants.iter().any(|l| l.names.iter().any(|n| n == who) && l.names.iter().any(|n| n == other))
            })
            .count();
        let item = format!("<a href=\"/person/{other}\">{other}</a> <span class=\"n\" data-sessions=\"{shared}\">");
        assert!(together.contains(&item), "{other} shares {shared} sessions with Zhukov: {together}");
    }
    let twice: std::collections::BTreeSet<&String> = sessions
        .iter()
        .flat_map(|d| d.participants.iter().flat_map(|l| l.names.iter()))
        .filter(|n| *n != who && sessions.iter().all(|d| listed(d, n)))
        .collect();
    assert_eq!(together.matches("data-sessions=\"2\"").count(), twice.len(), "{twice:?} share both sessions");
    assert!(!together.contains(">Zhukov</a>"), "a person is not listed as their own co-attendant");
    // Ordered by the count: the names sharing two sessions come first.
    let bulganin = together.find(">Bulganin<").expect("Bulganin");
    let molotov = together.find(">Molotov<").expect("Molotov");
    assert!(bulganin < molotov);
}

#[tokio::test]
async fn the_timeline_counts_documents_per_month_and_honours_the_query() {
    let docs = all_docs();
    let month_counts = |keep: &dyn Fn(&Document) -> bool| {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for d in docs.iter().filter(|d| keep(d)) {
            if let Some(date) = &d.date {
                *counts.entry(date.from[..7].to_owned()).or_default() += 1;
            }
        }
        counts
    };
    let names = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let label = |month: &str| {
        let m: usize = month[5..].parse().expect("month");
        format!("{} {}", names[m - 1], &month[..4])
    };
    let all = month_counts(&|_| true);
    assert_eq!(all.get("1956-10"), Some(&2), "the seed and the second session");
    let (status, html) = get("/timeline").await;
    assert_eq!(status, StatusCode::OK);
    for (month, n) in &all {
        let bar = format!("<a href=\"/search?q=date%3A{month}\" aria-label=\"{}: {n} document", label(month));
        assert!(html.contains(&bar), "no bar for {month} with {n}");
    }
    // With a query, the bars count only what it matches, and link to the query narrowed.
    let kind = "working-notes";
    let (status, html) = get(&format!("/timeline?q=kind%3A{kind}")).await;
    assert_eq!(status, StatusCode::OK);
    let some = month_counts(&|d| d.kind == kind);
    assert!(!some.is_empty());
    for (month, n) in &some {
        let bar =
            format!("<a href=\"/search?q=kind%3A{kind}%20date%3A{month}\" aria-label=\"{}: {n} document", label(month));
        assert!(html.contains(&bar), "no filtered bar for {month} with {n}");
    }
    assert!(!html.contains("date%3A1956-11\""), "a month without working notes has a bar");
}

#[tokio::test]
async fn the_date_range_control_narrows_with_a_date_filter_that_round_trips() {
    let (status, location, _) = get_with_location("/search?q=Hungary&sort=date&from=1956-11-01&to=1956-11-30").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.expect("a redirect to the query's URL");
    assert_eq!(location, "/search?q=Hungary%20date%3A1956-11-01..1956-11-30&sort=date");
    let (status, html) = get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"from\" name=\"from\" value=\"1956-11-01\""), "from is kept");
    assert!(html.contains("id=\"to\" name=\"to\" value=\"1956-11-30\""), "to is kept");
    assert!(html.contains("name=\"q\" value=\"Hungary\""), "the text box holds the rest of the query");
    // The range is a removable filter.
    assert!(html.contains(
        "href=\"/search?q=Hungary&amp;sort=date\" aria-label=\"Remove the filter date: 1956-11-01..1956-11-30\""
    ));
    // Every document found is dated in November 1956 (the seed, 30 October, matches Hungary without it).
    let docs = all_docs();
    let linked: Vec<&Document> = docs.iter().filter(|d| html.contains(&format!("href=\"/doc/{}\"", d.id))).collect();
    assert!(!linked.is_empty());
    for d in &linked {
        let date = d.date.as_ref().unwrap_or_else(|| panic!("{} is undated", d.id));
        assert!(date.to.as_str() >= "1956-11-01" && date.from.as_str() <= "1956-11-30", "{} {date:?}", d.id);
    }
    assert!(get("/search?q=Hungary").await.1.contains(&format!("href=\"/doc/{SEED_ID}\"")));
    // Emptying both ends removes the range (the page's text box does not hold it); a range
    // typed in the box with the inputs empty stays; one typed with the inputs set gives way.
    let (status, location, _) = get_with_location("/search?q=Hungary&from=&to=").await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/search?q=Hungary")));
    let (_, location, _) = get_with_location("/search?q=Hungary%20date%3A1956..1957&from=&to=").await;
    assert_eq!(location.as_deref(), Some("/search?q=Hungary%20date%3A1956..1957"));
    let (_, location, _) = get_with_location("/search?q=Hungary%20date%3A1956..1957&from=1956-11-04&to=").await;
    assert_eq!(location.as_deref(), Some("/search?q=Hungary%20date%3A1956-11-04.."));
    // An open end stays open; a month range fills the inputs with its first and last days.
    let (_, location, _) = get_with_location("/search?q=&from=1956-11-04&to=").await;
    assert_eq!(location.as_deref(), Some("/search?q=date%3A1956-11-04.."));
    let (_, html) = get("/search?q=date%3A1956-10..1956-11").await;
    assert!(html.contains("value=\"1956-10-01\"") && html.contains("value=\"1956-11-30\""));
}

#[tokio::test]
async fn the_result_count_splits_documents_and_turns() {
    let (_, html) = get("/search?q=%22Pancha%20Shila%22").await;
    // The seed matches as a document, and so do the turns that say it (Molotov, Kaganovich).
    let turns = seed().turns().filter(|t| t.text.contains("Pancha Shila")).count();
    assert_eq!(turns, 2);
    assert!(html.contains("id=\"count-documents\" data-n=\"1\""), "one document");
    assert!(html.contains(&format!("id=\"count-turns\" data-n=\"{turns}\"")), "{turns} turns");
}
